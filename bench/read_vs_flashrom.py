#!/usr/bin/env python3
"""Host CPU time of reading a 16 MiB simulated W25Q128: chipdump -p sim vs flashrom dummy.

usage: bench/read_vs_flashrom.py [CHIPDUMP_BINARY] [RUNS]
Both tools read the same random image; CPU time is user+sys of the child (getrusage),
median of RUNS runs each, interleaved. Prints a Markdown table row for docs/performance.md.
"""
import os, resource, shutil, statistics, subprocess, sys, tempfile

chipdump = sys.argv[1] if len(sys.argv) > 1 else "build/chipdump"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
flashrom = shutil.which("flashrom")
if not flashrom:
    sys.exit("flashrom not installed (apt-get install flashrom)")


def cpu(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


with tempfile.TemporaryDirectory() as d:
    img = os.path.join(d, "x.bin")
    with open(img, "wb") as f:
        f.write(os.urandom(16 << 20))
    fr_img = os.path.join(d, "fr.bin")
    shutil.copy(img, fr_img)
    cd_out, fr_out = os.path.join(d, "cd.bin"), os.path.join(d, "fr_out.bin")
    cd_cmd = [chipdump, "-p", f"sim:image={img}", "read", "--chip", "W25Q128",
              "--force", "--no-progress", "-q", cd_out]
    fr_cmd = [flashrom, "-p", f"dummy:emulate=W25Q128FV,image={fr_img}", "-r", fr_out]
    cd_t, fr_t = [], []
    for _ in range(runs):
        cd_t.append(cpu(cd_cmd))
        if os.path.exists(fr_out):
            os.unlink(fr_out)
        fr_t.append(cpu(fr_cmd))
    for a, b in ((cd_out, img), (fr_out, img)):
        if open(a, "rb").read() != open(b, "rb").read():
            sys.exit(f"{a} differs from the image")
    cd_m, fr_m = statistics.median(cd_t), statistics.median(fr_t)
    print(f"chipdump: {cd_m*1000:.0f} ms CPU (median of {runs}: {[round(t*1000) for t in cd_t]})")
    print(f"flashrom: {fr_m*1000:.0f} ms CPU (median of {runs}: {[round(t*1000) for t in fr_t]})")
    print(f"| 16 MiB W25Q128 read | {cd_m*1000:.0f} ms | {fr_m*1000:.0f} ms | {cd_m/fr_m:.2f} |")
