#!/usr/bin/env python3
"""How well /proc/mtd alone places partitions, against the boot log of the same box.

usage: tools/mtd_eval.py CHIPDUMP DIR... [-v]

For every DIR holding mtd.txt and an exact source (dmesg.txt or mtdparts.txt), runs
`chipdump split --json` twice: with the exact source (the truth) and with mtd.txt alone (the
inference), then counts rows stated as certain and right, uncertain, and certain but wrong.
A row certain and wrong is the failure the inference must never have; the exit status is 1
if there is one.
"""
import json
import os
import subprocess
import sys

EXACT = ("dmesg", "mtdparts")


def split(cd, args):
    p = subprocess.run([cd, "split", "--json"] + args, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        return None, p.stderr.strip()
    return json.loads(p.stdout)["partitions"], ""


def exact_args(d):
    a = []
    if os.path.exists(f"{d}/dmesg.txt"):
        a += ["--dmesg", f"{d}/dmesg.txt"]
    if os.path.exists(f"{d}/mtdparts.txt"):
        with open(f"{d}/mtdparts.txt") as f:
            a += ["--mtdparts", f.read().strip()]
    return a


def main():
    verbose = "-v" in sys.argv
    args = [a for a in sys.argv[1:] if a != "-v"]
    if len(args) < 2:
        sys.exit(__doc__)
    cd, dirs = args[0], args[1:]
    tot = dict(tables=0, rows=0, certain_right=0, uncertain=0, certain_wrong=0, all_certain=0)
    for d in dirs:
        ex = exact_args(d)
        if not ex or not os.path.exists(f"{d}/mtd.txt"):
            continue
        truth, err = split(cd, ["--mtd-table", f"{d}/mtd.txt"] + ex)
        inferred, err2 = split(cd, ["--mtd-table", f"{d}/mtd.txt"])
        name = os.path.basename(d.rstrip("/"))
        if truth is None or inferred is None:
            print(f"ERROR {name}: {err or err2}")
            continue
        tot["tables"] += 1
        exact = {p["index"]: p for p in truth if p["method"] in EXACT}
        wrong, unsure, right = [], [], 0
        for p in inferred:
            t = exact.get(p["index"])
            if t is None:
                continue
            tot["rows"] += 1
            if not p["certain"]:
                unsure.append(p)
            elif p["offset"] != t["offset"] or p["chip"] != t["chip"]:
                wrong.append((p, t))
            else:
                right += 1
        tot["certain_right"] += right
        tot["uncertain"] += len(unsure)
        tot["certain_wrong"] += len(wrong)
        tot["all_certain"] += not wrong and not unsure
        state = "WRONG" if wrong else ("part " if unsure else "ok   ")
        print(f"{state} {name}: {right} certain, {len(unsure)} uncertain, {len(wrong)} wrong")
        for p, t in wrong:
            print(f"    mtd{p['index']} {p['name']}: said 0x{p['offset']:x} (chip {p['chip']}), "
                  f"the log says 0x{t['offset']:x} (chip {t['chip']})")
        if verbose:
            for p in unsure:
                t = exact[p["index"]]
                print(f"    ? mtd{p['index']} {p['name']}: 0x{p['offset']:x}, log 0x{t['offset']:x}")
    print(json.dumps(tot))
    sys.exit(1 if tot["certain_wrong"] else 0)


if __name__ == "__main__":
    main()
