#!/usr/bin/env python3
"""`chipdump oob strip` of a whole W25N01GV page+OOB dump (132 MiB) next to `cat` copying the
same file, side by side on the same machine (issue: at least half of cat's throughput).

usage: bench/oob_strip_vs_cat.py CHIPDUMP [RUNS] [DIR]

Writes DIR/raw.bin (1024 blocks x 64 pages x (2048 + 64) bytes, random data, erased OOB, three
factory-marked blocks), then alternates RUNS times
    cat raw.bin > copy.bin
    cat raw.bin > copy.bin && fsync(copy.bin)     (what an atomic output file also pays)
    chipdump oob strip --force -q raw.bin data.bin
and reports the median wall time and throughput (bytes of raw.bin per second) of each. The
output is checked against a strip done in Python. DIR defaults to /dev/shm when it exists
(tmpfs: no disk in the figures), else the current directory.
"""
import os
import random
import statistics
import subprocess
import sys
import time

PAGE, OOB, PPB, BLOCKS = 2048, 64, 64, 1024
BAD = (5, 77, 900)


def make_raw(path):
    rp = PAGE + OOB
    data = random.Random(7).randbytes(PAGE * PPB * BLOCKS)
    raw = bytearray(b"\xff") * (rp * PPB * BLOCKS)
    for p in range(PPB * BLOCKS):
        raw[p * rp:p * rp + PAGE] = data[p * PAGE:(p + 1) * PAGE]
    for b in BAD:
        raw[b * PPB * rp + PAGE] = 0
    with open(path, "wb") as f:
        f.write(raw)
    return data


def timed(cmd, stdout=None, fsync_path=None):
    """(wall seconds, child CPU seconds)"""
    t0 = time.perf_counter()
    with open(stdout, "wb") if stdout else open(os.devnull, "wb") as out:
        p = subprocess.Popen(cmd, stdout=out)
        _, status, ru = os.wait4(p.pid, 0)
        if status:
            sys.exit("FAIL: %s exited %d" % (cmd, status))
        if fsync_path:
            out.flush()
            os.fsync(out.fileno())
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    chipdump = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    where = sys.argv[3] if len(sys.argv) > 3 else ("/dev/shm" if os.path.isdir("/dev/shm") else ".")
    d = os.path.join(where, "chipdump-bench-%d" % os.getpid())
    os.makedirs(d)
    raw, copy, out = (os.path.join(d, n) for n in ("raw.bin", "copy.bin", "data.bin"))
    try:
        data = make_raw(raw)
        size = os.path.getsize(raw)
        t = {"cat": [], "cat + fsync": [], "chipdump oob strip": []}
        for _ in range(runs):
            t["cat"].append(timed(["cat", raw], stdout=copy))
            t["cat + fsync"].append(timed(["cat", raw], stdout=copy, fsync_path=copy))
            t["chipdump oob strip"].append(
                timed([chipdump, "oob", "strip", "--force", "-q", raw, out]))
        with open(out, "rb") as f:
            if f.read() != data:
                sys.exit("FAIL: chipdump's output differs from the data of raw.bin")
        wall = {k: statistics.median(x[0] for x in v) for k, v in t.items()}
        cpu = {k: statistics.median(x[1] for x in v) for k, v in t.items()}
        print("%d runs, %d-byte page+OOB dump in %s, load average %.1f, medians:" %
              (runs, size, where, os.getloadavg()[0]))
        print("| job | wall time | throughput | vs cat | CPU time |")
        print("|---|---|---|---|---|")
        for k in t:
            print("| %s | %.0f ms | %.0f MiB/s | %.2f | %.0f ms |" %
                  (k, wall[k] * 1000, size / wall[k] / 2**20, wall["cat"] / wall[k],
                   cpu[k] * 1000))
        ratio = wall["cat"] / wall["chipdump oob strip"]
        print("oob strip throughput / cat throughput = %.2f (goal >= 0.5): %s" %
              (ratio, "met" if ratio >= 0.5 else "NOT met"))
    finally:
        for p in (raw, copy, out, out + ".json"):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(d)


if __name__ == "__main__":
    main()
