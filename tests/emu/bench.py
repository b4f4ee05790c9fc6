#!/usr/bin/env python3
"""Firmware benchmark in the emulator (not a ctest test): CPU cycles per byte of a streamed NOR
read (CD_R_STREAM) and of a NAND page read (CD_R_NAND), from rp2040js's cycle counter and a
per-function cycle profile, plus the USB full-speed model of the transfers the board made.

    python3 tests/emu/bench.py BUILD_DIR        (after a build; prints a Markdown report)

Cycle accounting: `dma_wait` (the CPU waiting for SPI0's DMA, i.e. wire time) and
`board_delay_us` (waiting on the chip's busy time) are waits; every other cycle is work.

USB model: full speed moves at most 19 bulk packets of 64 bytes per 1 ms frame (USB 2.0 5.8.4:
19 x 64-byte transactions fit the 1500-byte frame budget with protocol overhead), and every
host round trip (a request that has to wait for the previous reply) costs one more frame.
"""
import json
import math
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from serprog_raw import Board, ACK  # noqa: E402

WAITS = ('dma_wait', 'board_delay_us')


def harness(build, chip, image, tmp, tag):
    env = dict(os.environ, NODE_PATH=os.path.join(build, 'tests/emu/node_modules'))
    trace = os.path.join(tmp, tag + '.json')
    p = subprocess.Popen(
        ['node', os.path.join(HERE, 'harness.js'), '--elf',
         os.path.join(build, 'firmware/chipdump-rp2040.elf'), '--wasm',
         os.path.join(build, 'tests/emu/models.wasm'), '--chipdb',
         os.path.join(HERE, '../../chipdb'), '--chip', chip, '--image', image, '--trace', trace,
         '--profile', '--quiet'], stdout=subprocess.PIPE, env=env, text=True)
    line = p.stdout.readline()
    if not line.startswith('EMU READY'):
        p.kill()
        sys.exit('emulator did not start: ' + line)
    port = int(line.split('port=')[1].split()[0])
    return p, port, trace


def stop(p, trace):
    p.send_signal(signal.SIGTERM)
    if p.wait(60) != 0:
        sys.exit('emulator exited %d' % p.returncode)
    with open(trace) as f:
        return json.load(f)


def cycles_report(t, nbytes):
    prof = t['profile']
    wait = sum(prof.get(w, 0) for w in WAITS)
    work = t['cycles'] - wait
    top = ', '.join('%s %.2f' % (k, v / nbytes) for k, v in list(prof.items())[:6])
    return {'total': t['cycles'] / nbytes, 'wait': wait / nbytes, 'work': work / nbytes,
            'top': top, 'emulated_s': t['emulated_ns'] / 1e9}


def usb_model(t, nbytes, round_trips, scale_to):
    """Time of a scale_to-byte transfer under the full-speed model, from this run's packets."""
    packets = t['in_packets'] * scale_to / nbytes
    frames = math.ceil(packets / 19) + round_trips
    return frames / 1000.0


def bench_nor(build, tmp, hz):
    size = 2 * 1024 * 1024
    n = 1024 * 1024
    img = random.Random(7).randbytes(size)
    path = os.path.join(tmp, 'nor.bin')
    open(path, 'wb').write(img)
    p, port, trace = harness(build, 'W25Q16JV', path, tmp, 'nor%d' % hz)
    b = Board(port)
    assert b.sync()
    f = b.cmd(0x14, struct.pack('<I', hz), 4)
    set_hz = int.from_bytes(f[1:5], 'little')
    t0 = time.time()
    b.send(bytes([0xc1, 0x03, 3, 0]) + struct.pack('<II', 0, n))
    r = b.rx(1 + n)
    wall = time.time() - t0
    assert r[0] == ACK and r[1:] == img[:n], 'streamed data differs from the chip image'
    b.close()
    t = stop(p, trace)
    rep = cycles_report(t, n)
    rep.update(hz=set_hz, wall=wall, full=t['in_full'], packets=t['in_packets'],
               transfers=t['in_transfers'], zlps=t['in_zlp'],
               model16=usb_model(t, n, 1, 16 * 1024 * 1024))
    return rep


def bench_nand(build, tmp):
    chip = 'W25N01GV'
    page, oob, pages = 2048, 64, 256
    raw = bytearray(random.Random(9).randbytes((page + oob) * pages))
    path = os.path.join(tmp, 'nand.bin')
    open(path, 'wb').write(raw)
    p, port, trace = harness(build, chip, path, tmp, 'nand')
    b = Board(port)
    assert b.sync()
    f = b.cmd(0x14, struct.pack('<I', 62500000), 4)
    set_hz = int.from_bytes(f[1:5], 'little')
    cfg = b.spiop([0x0f, 0xb0], 1)[1]
    assert b.spiop([0x1f, 0xb0, cfg | 0x08], 0)[0] == ACK  # BUF = 1: one page per cache read
    req = struct.pack('<IIHHBBBBBBH', 0, pages, 0, page, 0x03, 2, 1, 0xff, 0, 0, 2000)
    t0 = time.time()
    b.send(bytes([0xc2]) + req)
    assert b.rx(1)[0] == ACK
    data = b.rx((1 + page) * pages)
    wall = time.time() - t0
    for i in range(pages):
        rec = data[i * (1 + page):(i + 1) * (1 + page)]
        assert rec[1:] == raw[i * (page + oob):i * (page + oob) + page], 'page %d differs' % i
    b.close()
    t = stop(p, trace)
    rep = cycles_report(t, page * pages)
    # 128 MiB of page data: 65536 pages of one status byte + 2048 bytes, one request
    rep.update(hz=set_hz, wall=wall, full=t['in_full'], packets=t['in_packets'],
               transfers=t['in_transfers'], page_reads=t['model']['page_reads'],
               model128=usb_model(t, page * pages, 1, 128 * 1024 * 1024))
    return rep


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
    with tempfile.TemporaryDirectory() as tmp:
        nor_fast = bench_nor(build, tmp, 62500000)
        nor_def = bench_nor(build, tmp, 12000000)
        nand = bench_nand(build, tmp)
    print('| measurement | SCK | total cycles/B | waiting cycles/B | CPU work cycles/B | bulk IN packets (full) | USB FS model |')
    print('|---|---|---|---|---|---|---|')
    for name, r in (('NOR CD_R_STREAM, 1 MiB', nor_fast), ('NOR CD_R_STREAM, 1 MiB', nor_def)):
        print('| %s | %.1f MHz | %.1f | %.1f | %.1f | %d (%d) | 16 MiB: %.1f s |' % (
            name, r['hz'] / 1e6, r['total'], r['wait'], r['work'], r['packets'], r['full'],
            r['model16']))
    r = nand
    print('| NAND CD_R_NAND, 256 pages x 2 KiB | %.1f MHz | %.1f | %.1f | %.1f | %d (%d) | 128 MiB: %.1f s |' % (
        r['hz'] / 1e6, r['total'], r['wait'], r['work'], r['packets'], r['full'], r['model128']))
    print()
    for name, r in (('NOR 62.5 MHz', nor_fast), ('NOR default', nor_def), ('NAND', nand)):
        print('- %s: top functions (cycles/byte): %s; %.3f s emulated, %.1f s wall; '
              '%d IN transfers' % (name, r['top'], r['emulated_s'], r['wall'], r['transfers']))


if __name__ == '__main__':
    main()
