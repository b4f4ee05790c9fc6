#!/usr/bin/env python3
"""Modeled CH341A wire time of whole-chip reads, computed from chipdump's transport trace.

usage: bench/ch341a_wire_time.py [--chipdump build/chipdump] [--spi-mhz 2] [--frame-ms 1]
                                 [--rt-ms X] [--skip-nand]

Runs `chipdump -p ch341a:emulate=CHIP read` (the real CH341A protocol code against the CH341A
device model) with CHIPDUMP_TRACE set, counts what went over USB, and applies the wire-time
model of docs/performance.md ("CH341A"):

  device  = SPI packets x (command overhead + n x 8/f_spi) + other packets x (overhead + 0.75 us)
  usb     = sum over bulk transactions of (payload + 13 bytes) x 8 / 12 Mbit/s
  wire    = max(device, usb) + round trips x frame + host sleeps + stale-reply drain (20 ms)

A round trip is a `sync` line: the host waited for replies before it could send more.
flashrom's pattern for the same read is derived from its source (programmers/ch341a_spi.c,
spi25.c): one command per 4 KiB (opcode + 3 address bytes + 4096 data), sent as one OUT
transfer [CS packet][133 SPI packets] and read back with 133 IN transfers, and the next
command is built only after the last reply (one round trip per 4 KiB).
Prints Markdown table rows for docs/performance.md.
"""
import argparse, math, os, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--chipdump", default="build/chipdump")
ap.add_argument("--spi-mhz", type=float, default=2.0, help="CH341A SPI clock (folklore: ~2 MHz)")
ap.add_argument("--cmd-bytes", type=float, default=1.0,
                help="per-packet command overhead, in SPI byte times (the 0xA8 byte's slot)")
ap.add_argument("--frame-ms", type=float, default=1.0, help="cost of one host round trip")
ap.add_argument("--rt-ms", type=float, default=None,
                help="also show every figure with this round-trip cost (e.g. calibrated so "
                     "that flashrom's pattern gives its measured 177 s)")
ap.add_argument("--skip-nand", action="store_true")
args = ap.parse_args()

BYTE_S = 8 / (args.spi_mhz * 1e6)
CMD_S = args.cmd_bytes * BYTE_S
UIO_S = 0.75e-6          # flashrom: each UIO OUT instruction takes ~750 ns
USB_OVERHEAD = 13        # bytes of protocol per full-speed bulk transaction (USB 2.0 5.8.4)
USB_BPS = 12e6
STALE_DRAIN_S = 0.020    # ch341a.c STALE_TIMEOUT_MS: one IN that times out at open


def counts_from_trace(path):
    c = dict(out_tx=0, out_pkts=0, out_bytes=0, in_tx=0, spi_bytes=0, syncs=0, sleep_us=0,
             stale=0, model_us=None, ops=0)
    for line in open(path):
        if line.startswith("#"):
            continue
        t, prog, ev, where, req, done, status = line.split()
        if prog != "ch341a":
            continue
        req, done = int(req), int(done)
        if ev == "out":
            c["out_tx"] += 1
            c["out_pkts"] += math.ceil(done / 32)
            c["out_bytes"] += done
        elif ev == "in":
            if status == "ok":
                c["in_tx"] += 1
                c["spi_bytes"] += done
            elif status == "timeout" and c["in_tx"] == 0:
                c["stale"] += 1
        elif ev == "sync":
            c["syncs"] += 1
        elif ev == "sleep":
            c["sleep_us"] += done
        elif ev == "op":
            c["ops"] += 1
        elif ev == "model":
            c["model_us"] = done
    return c


def wire(c, rt_s):
    spi_pkts = c["in_tx"]  # one reply, so one IN transfer, per SPI packet
    other = c["out_pkts"] - spi_pkts
    device = spi_pkts * CMD_S + c["spi_bytes"] * BYTE_S + other * (CMD_S + UIO_S)
    usb = ((c["out_bytes"] + USB_OVERHEAD * c["out_pkts"]) +
           (c["spi_bytes"] + USB_OVERHEAD * spi_pkts)) * 8 / USB_BPS
    total = (max(device, usb) + c["syncs"] * rt_s + c["sleep_us"] * 1e-6 +
             c["stale"] * STALE_DRAIN_S)
    return device, usb, total


def flashrom_pattern(size):
    chunks = size // 4096
    spi_per_cmd = 4 + 4096
    pkts = math.ceil(spi_per_cmd / 31)
    out_bytes_per_cmd = 32 + pkts + spi_per_cmd  # flashrom's own length formula
    return dict(out_tx=chunks, out_pkts=chunks * (1 + pkts), out_bytes=chunks * out_bytes_per_cmd,
                in_tx=chunks * pkts, spi_bytes=chunks * spi_per_cmd, syncs=chunks, sleep_us=0,
                stale=0, model_us=None, ops=chunks, uio_instr=chunks * 4)


def run(chip, size, tmp, image=None):
    out = os.path.join(tmp, chip + ".bin")
    trace = os.path.join(tmp, chip + ".trace")
    spec = f"ch341a:emulate={chip}" + (f",image={image}" if image else "")
    env = dict(os.environ, CHIPDUMP_TRACE=trace)
    t0 = time.monotonic()
    r = subprocess.run([args.chipdump, "-p", spec, "read", "--chip", chip, "--force",
                        "--no-progress", "-q", out], env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode:
        return None, r.stderr.strip()
    if image and open(out, "rb").read() != open(image, "rb").read():
        sys.exit(f"{chip}: the read differs from the image")
    if os.path.getsize(out) != size:
        sys.exit(f"{chip}: read {os.path.getsize(out)} bytes, expected {size}")
    return counts_from_trace(trace), wall


def row(name, c, size, rt_s, show_model=True):
    dev, usb, tot = wire(c, rt_s)
    mib = size / 2**20
    model = f"{c['model_us'] / 1e6:.1f} s" if show_model and c.get("model_us") else "-"
    return (f"| {name} | {c['in_tx']:,} | {c['out_tx']:,} | {c['syncs']:,} "
            f"({c['syncs'] / mib:.0f}/MiB) | {dev:.1f} s | {usb:.1f} s | **{tot:.1f} s** | "
            f"{model} |")


with tempfile.TemporaryDirectory() as tmp:
    nor_size = 16 << 20
    img = os.path.join(tmp, "nor.img")
    with open(img, "wb") as f:
        f.write(os.urandom(nor_size))
    nor, nor_wall = run("W25Q128JV", nor_size, tmp, img)
    if nor is None:
        sys.exit(f"NOR read failed: {nor_wall}")
    nand, nand_wall, nand_size = None, None, 128 << 20
    if not args.skip_nand:
        nand, nand_wall = run("W25N01GV", nand_size, tmp)
        if nand is None:
            print(f"(NAND read through the CLI failed: {nand_wall})", file=sys.stderr)

    hdr = ("| read | IN transfers | OUT transfers | host round trips | device | USB bus | "
           "wire time | model clock |")
    sep = "|---|---|---|---|---|---|---|---|"
    print(f"model: SPI {args.spi_mhz:g} MHz, {args.cmd_bytes:g} byte time of command overhead "
          f"per packet, 0.75 us per UIO instruction, full-speed USB (13 bytes overhead per "
          f"transaction), {args.frame_ms:g} ms per host round trip\n")
    print(hdr)
    print(sep)
    fr = flashrom_pattern(nor_size)
    for rt_ms, tag in ((args.frame_ms, ""), (args.rt_ms, f", {args.rt_ms:g} ms per round trip")):
        if rt_ms is None:
            continue
        same = rt_ms == args.frame_ms  # the model's clock charges frame_ms per round trip
        print(row(f"16 MiB NOR (W25Q128JV), chipdump{tag}", nor, nor_size, rt_ms / 1e3, same))
        print(row(f"16 MiB NOR, flashrom's pattern{tag}", fr, nor_size, rt_ms / 1e3))
        if nand:
            print(row(f"128 MiB SPI-NAND (W25N01GV), chipdump{tag}", nand, nand_size,
                      rt_ms / 1e3, same))
    print(f"\nlower bound (every byte at {args.spi_mhz:g} MHz, 31 per 32-byte packet): "
          f"{nor_size * 32 / 31 * BYTE_S:.1f} s for 16 MiB")
    print(f"wall time of the runs through the model: NOR {nor_wall:.2f} s"
          + (f", NAND {nand_wall:.2f} s" if nand else ""))
    # the per-round-trip cost that makes flashrom's pattern match its measured 177 s
    dev, usb, _ = wire(fr, 0)
    print(f"flashrom's measured ~177 s implies {(177 - max(dev, usb)) / fr['syncs'] * 1e3:.0f} ms "
          f"per round trip under this model (try --rt-ms with it)")
