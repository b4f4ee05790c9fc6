#!/usr/bin/env python3
"""Host time of whole-chip SPI-NAND reads through `-p sim`, by chip size: W25N01GV (128 MiB),
W25N02KV (256 MiB), W25N04KV (512 MiB, two planes). The issue asks that host time grow no
faster than linearly with the size: the CPU time per MiB should stay flat.

usage: bench/nand_read_scaling.py CHIPDUMP [RUNS] [DIR]

For each chip: DIR/CHIP.raw is a page+OOB image of random data (erased OOB, so no bad
blocks), read RUNS times with
    chipdump -p sim:chip=CHIP,image=CHIP.raw read --force --no-progress -q OUT
(data only, every page through the on-die ECC status path). Reports the median wall and
child CPU time (user + system), and CPU time per MiB of data. DIR defaults to /dev/shm
(tmpfs) when it exists. The data read is checked against the image.
"""
import os
import statistics
import subprocess
import sys
import time

CHIPS = [("W25N01GV", 2048, 64, 1024), ("W25N02KV", 2048, 128, 2048),
         ("W25N04KV", 2048, 128, 4096)]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    chipdump = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    where = sys.argv[3] if len(sys.argv) > 3 else ("/dev/shm" if os.path.isdir("/dev/shm") else ".")
    rows = []
    for name, page, oob, blocks in CHIPS:
        raw = os.path.join(where, "bench-%s-%d.raw" % (name, os.getpid()))
        out = raw + ".data"
        pages = blocks * 64
        rp = page + oob
        img = bytearray(b"\xff") * (rp * pages)
        data = os.urandom(page * pages)
        for p in range(pages):
            img[p * rp:p * rp + page] = data[p * page:(p + 1) * page]
        with open(raw, "wb") as f:
            f.write(img)
        del img
        try:
            wall, cpu = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                p = subprocess.Popen([chipdump, "-p", "sim:chip=%s,image=%s" % (name, raw), "read",
                                      "--force", "--no-progress", "-q", out])
                _, status, ru = os.wait4(p.pid, 0)
                wall.append(time.perf_counter() - t0)
                cpu.append(ru.ru_utime + ru.ru_stime)
                if status:
                    sys.exit("FAIL: read of %s exited %d" % (name, status))
            with open(out, "rb") as f:
                if f.read() != data:
                    sys.exit("FAIL: %s read differs from its image" % name)
            mib = page * pages / 2**20
            rows.append((name, mib, statistics.median(wall), statistics.median(cpu)))
        finally:
            for f in (raw, out, out + ".json"):
                if os.path.exists(f):
                    os.unlink(f)
    print("%d runs per chip, images in %s, load average %.1f, medians:" %
          (runs, where, os.getloadavg()[0]))
    print("| chip | data | wall time | CPU time | CPU per MiB |")
    print("|---|---|---|---|---|")
    for name, mib, w, c in rows:
        print("| %s | %d MiB | %.2f s | %.2f s | %.2f ms |" % (name, mib, w, c, c / mib * 1000))
    per = [c / mib for _, mib, _, c in rows]
    print("CPU per MiB, largest chip / smallest: %.2f (linear = 1.0)" % (per[-1] / per[0]))


if __name__ == "__main__":
    main()
