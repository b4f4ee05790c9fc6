#!/usr/bin/env python3
"""A raw serprog client for the emulator tests: talks bytes to the board over TCP, without
chipdump's or flashrom's programmer code in between.

    serprog_raw.py PORT protocol      the bad-input and recovery checks (prints ok:/FAIL: lines)
    serprog_raw.py PORT stream N      one CD_R_STREAM read of N bytes from address 0 (bench)
    serprog_raw.py PORT spiop N       flashrom-style 03h reads, 64 KiB O_SPIOP at a time (bench)
"""
import socket
import struct
import sys
import time

ACK, NAK = 0x06, 0x15


class Board:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port))
        self.s.settimeout(30)

    def send(self, b):
        self.s.sendall(bytes(b))

    def rx(self, n):
        out = bytearray()
        while len(out) < n:
            c = self.s.recv(min(n - len(out), 1 << 20))
            if not c:
                raise EOFError('connection closed after %d of %d bytes' % (len(out), n))
            out += c
        return bytes(out)

    def cmd(self, op, params=b'', n=0):
        self.send(bytes([op]) + params)
        r = self.rx(1)
        return r + (self.rx(n) if r[0] == ACK and n else b'')

    def sync(self):
        self.send(b'\x10')
        return self.rx(2) == bytes([NAK, ACK])

    def spiop(self, tx, rlen):
        return self.cmd(0x13, u24(len(tx)) + u24(rlen) + bytes(tx), rlen)

    def close(self):
        self.s.close()


def u24(v):
    return struct.pack('<I', v)[:3]


def protocol(port):
    fails = 0

    def check(cond, what):
        nonlocal fails
        print(('ok: ' if cond else 'FAIL: ') + what)
        fails += 0 if cond else 1

    b = Board(port)
    check(b.sync(), 'SYNCNOP answers NAK ACK')
    check(b.cmd(0x01, n=2) == bytes([ACK, 1, 0]), 'Q_IFACE = 1')
    m = b.cmd(0x02, n=32)
    check(m[0] == ACK and all(m[1 + op // 8] >> (op % 8) & 1 for op in (0x00, 0x01, 0x02, 0x03, 0x05, 0x08, 0x10, 0x11, 0x13)),
          'Q_CMDMAP has what flashrom needs')
    name = b.cmd(0x03, n=16)
    check(name[0] == ACK and name[1:].rstrip(b'\0') == b'chipdump', 'Q_PGMNAME = chipdump')
    wmax = b.cmd(0x08, n=3)
    wrn = int.from_bytes(wmax[1:4], 'little')
    check(wmax[0] == ACK and 256 <= wrn < 1 << 24, 'Q_WRNMAXLEN = %d' % wrn)
    check(b.spiop([0x9f], 3) == bytes([ACK, 0xef, 0x40, 0x15]), 'O_SPIOP RDID = EF 40 15')
    info = b.cmd(0xc0, n=16)
    check(info[0] == ACK and info[1:5] == b'CDMP', 'CD_Q_INFO magic')

    # unknown opcodes: NAK, and nothing after them is taken as their parameters
    check(b.cmd(0x7f) == bytes([NAK]), 'unknown opcode 0x7F -> NAK')
    check(b.cmd(0xfe) == bytes([NAK]), 'unknown opcode 0xFE -> NAK')
    check(b.sync(), 'SYNCNOP after unknown opcodes: in sync')
    check(b.spiop([0x9f], 3) == bytes([ACK, 0xef, 0x40, 0x15]), 'O_SPIOP still works')

    # lengths beyond the buffers: NAK, the payload is skipped, the stream stays in sync
    big = wrn + 1
    b.send(bytes([0x13]) + u24(big) + u24(0) + bytes([0x00] * big))
    check(b.rx(1) == bytes([NAK]), 'O_SPIOP slen = Q_WRNMAXLEN + 1 -> NAK')
    check(b.sync(), 'in sync after the oversized write')
    rd = b.cmd(0x11, n=3)
    rdn = int.from_bytes(rd[1:4], 'little') or 1 << 24
    if rdn < 1 << 24:
        b.send(bytes([0x13]) + u24(1) + u24(rdn + 1) + b'\x9f')
        check(b.rx(1) == bytes([NAK]), 'O_SPIOP rlen = Q_RDNMAXLEN + 1 -> NAK')
        check(b.sync(), 'in sync after the oversized read')
    else:
        check(rd[0] == ACK, 'Q_RDNMAXLEN: unlimited (reads are streamed, no buffer limit)')
    check(b.cmd(0x14, struct.pack('<I', 0)) == bytes([NAK]), 'S_SPI_FREQ 0 -> NAK')
    f = b.cmd(0x14, struct.pack('<I', 1000000), 4)
    hz = int.from_bytes(f[1:5], 'little')
    check(f[0] == ACK and 0 < hz <= 1000000, 'S_SPI_FREQ 1 MHz -> %d Hz' % hz)
    f = b.cmd(0x14, struct.pack('<I', 200000000), 4)
    hz = int.from_bytes(f[1:5], 'little')
    check(f[0] == ACK and hz == 62500000, 'S_SPI_FREQ 200 MHz -> the 62.5 MHz maximum (%d)' % hz)
    check(b.spiop([0x9f], 3) == bytes([ACK, 0xef, 0x40, 0x15]), 'RDID at 62.5 MHz')

    # a host that goes away mid-command, then mid-stream: the next host finds an idle board
    b.send(bytes([0x13]) + u24(100) + u24(0) + bytes(10))
    b.close()
    b = Board(port)
    check(b.sync(), 'new connection after a half-sent command: in sync')
    check(b.spiop([0x9f], 3) == bytes([ACK, 0xef, 0x40, 0x15]), 'and O_SPIOP works')
    b.send(bytes([0xc1, 0x03, 3, 0]) + struct.pack('<II', 0, 2 * 1024 * 1024))
    b.rx(1 + 4096)
    b.close()
    b = Board(port)
    # whatever was already queued of the old stream may still arrive first: resync finds the end
    ok = False
    b.send(b'\x10')
    deadline = time.time() + 20
    buf = b''
    while time.time() < deadline and not ok:
        buf += b.s.recv(65536)
        ok = buf.endswith(bytes([NAK, ACK]))
    check(ok, 'new connection after an abandoned 2 MiB stream: SYNCNOP answers')
    check(b.spiop([0x9f], 3) == bytes([ACK, 0xef, 0x40, 0x15]), 'and O_SPIOP works')
    b.close()
    return fails


def bench_stream(port, n):
    b = Board(port)
    assert b.sync()
    t = time.time()
    b.send(bytes([0xc1, 0x03, 3, 0]) + struct.pack('<II', 0, n))
    r = b.rx(1 + n)
    assert r[0] == ACK
    print('stream %d bytes in %.2f s wall' % (n, time.time() - t))
    sys.stdout.buffer.write(b'')
    return r[1:]


def bench_spiop(port, n):
    b = Board(port)
    assert b.sync()
    out = bytearray()
    t = time.time()
    for a in range(0, n, 65536):
        r = b.spiop([0x03, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff], min(65536, n - a))
        assert r[0] == ACK
        out += r[1:]
    print('spiop %d bytes in %.2f s wall' % (n, time.time() - t))
    return bytes(out)


if __name__ == '__main__':
    port, what = int(sys.argv[1]), sys.argv[2]
    if what == 'protocol':
        sys.exit(1 if protocol(port) else 0)
    data = bench_stream(port, int(sys.argv[3])) if what == 'stream' else bench_spiop(port, int(sys.argv[3]))
    if len(sys.argv) > 4:
        open(sys.argv[4], 'wb').write(data)
