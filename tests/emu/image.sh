#!/bin/bash
# The firmware files a user flashes, checked independently of the tools that made them:
# chipdump-rp2040.bin starts with a 256-byte boot2 whose CRC-32/MPEG-2 the bootrom accepts and
# the vector table at 0x100; chipdump-rp2040.uf2 holds exactly that image in RP2040 UF2 blocks.
. "$(dirname "$0")/lib.sh"
FW=$(dirname "$EMU_ELF")
python3 - "$FW/chipdump-rp2040.bin" "$FW/chipdump-rp2040.uf2" <<'PY'
import struct, sys
binf, uf2f = sys.argv[1], sys.argv[2]
img = open(binf, 'rb').read()
fails = 0
def check(cond, what):
    global fails
    print(('ok: ' if cond else 'FAIL: ') + what)
    fails += 0 if cond else 1

def crc_mpeg2(data):  # poly 0x04C11DB7, init 0xFFFFFFFF, no reflection, no final XOR
    crc = 0xffffffff
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04c11db7) & 0xffffffff if crc & 0x80000000 else (crc << 1) & 0xffffffff
    return crc

check(crc_mpeg2(b'123456789') == 0x0376e6e7, 'CRC-32/MPEG-2 check value')
check(struct.unpack_from('<I', img, 252)[0] == crc_mpeg2(img[:252]), 'boot2 CRC32 at offset 252 matches its 252 bytes')
check(img[:2] != b'\x00\x00' and img[:252].count(0) < 200, 'boot2 holds code')
sp, reset = struct.unpack_from('<II', img, 0x100)
check(sp == 0x20042000, 'initial SP = top of SCRATCH_Y (0x%08x)' % sp)
check(reset & 1 and 0x10000100 < reset < 0x10000000 + len(img), 'reset vector is Thumb code in the image (0x%08x)' % reset)

u = open(uf2f, 'rb').read()
check(len(u) % 512 == 0, 'UF2 is whole 512-byte blocks')
n = len(u) // 512
check(n == (len(img) + 255) // 256, '%d blocks for %d bytes' % (n, len(img)))
rebuilt = bytearray()
ok = True
for i in range(n):
    b = u[i * 512:(i + 1) * 512]
    m0, m1, flags, addr, size, no, total, fam = struct.unpack_from('<8I', b, 0)
    end = struct.unpack_from('<I', b, 508)[0]
    ok &= (m0, m1, end) == (0x0a324655, 0x9e5d5157, 0x0ab16f30)
    ok &= flags == 0x2000 and fam == 0xe48bff56 and size == 256 and no == i and total == n
    ok &= addr == 0x10000000 + 256 * i
    rebuilt += b[32:32 + size]
check(ok, 'every block: magics, family 0xE48BFF56 flag, 256-byte payload at 0x10000000 + 256 n')
check(bytes(rebuilt[:len(img)]) == img and not any(rebuilt[len(img):]), 'UF2 payloads = the .bin')
sys.exit(1 if fails else 0)
PY
rc=$?
exit $rc
