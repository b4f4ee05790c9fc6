#!/bin/bash
# chipdump drives a W25N01GV SPI-NAND model on the emulated board (serprog over TCP, NAND page
# reads done on the board with CD_R_NAND): probe, read, read --skip-bad past a factory-bad
# block, write, verify, erase of --ranges; the model's raw array (page + OOB per page) is then
# checked page by page.
. "$(dirname "$0")/lib.sh"
: "${CHIPDUMP:?}"
if "$CHIPDUMP" -p serprog:tcp=127.0.0.1:1 probe 2>&1 | grep -q "unknown programmer 'serprog'"; then
    echo "SKIP: this chipdump has no serprog programmer yet"
    exit 77
fi

PAGE=2048 OOB=64 PPB=64
# the first 16 blocks: random data, OOB erased; block 12 carries a factory bad-block marker
python3 - <<'PY'
import random
r = random.Random(11)
page, oob, ppb = 2048, 64, 64
raw = bytearray()
for blk in range(16):
    for p in range(ppb):
        spare = bytearray(b'\xff' * oob)
        if blk == 12 and p == 0:
            spare[0] = 0x00
        raw += r.randbytes(page) + spare
open('raw.bin', 'wb').write(raw)
data = b''.join(raw[i * (page + oob):i * (page + oob) + page] for i in range(16 * ppb))
open('data.bin', 'wb').write(data)
new = bytearray(data[0x20000:0x60000])
new[0x1000:0x9000] = r.randbytes(0x8000)
open('new.bin', 'wb').write(new)
PY

emu_start W25N01GV --image raw.bin --save chip.bin
P="-p serprog:tcp=127.0.0.1:$EMU_PORT"
C="--chip W25N01GV --no-progress"

"$CHIPDUMP" $P probe >probe.txt 2>&1
grep -q W25N01GV probe.txt && ok "probe: W25N01GV" || { fail "probe"; sed 's/^/  chipdump: /' probe.txt >&2; }

if "$CHIPDUMP" $P read $C --range 0:1M first.bin 2>err.txt; then
    head -c 1048576 data.bin >want.bin
    same first.bin want.bin "read --range 0:1M = the pages' data"
else fail "read"; sed 's/^/  chipdump: /' err.txt >&2; fi

if "$CHIPDUMP" $P read $C --range 1M:1M --skip-bad second.bin 2>err.txt; then
    python3 -c "
d = open('data.bin', 'rb').read(); blk = 131072
want = b''.join(d[b * blk:(b + 1) * blk] for b in range(8, 16) if b != 12)
open('want2.bin', 'wb').write(want)"
    same second.bin want2.bin "read --skip-bad leaves factory-bad block 12 out"
else fail "read --skip-bad"; sed 's/^/  chipdump: /' err.txt >&2; fi

if "$CHIPDUMP" $P write $C --range 0x20000:256K --backup backup.bin new.bin 2>err.txt; then ok "write --range"
else fail "write --range"; sed 's/^/  chipdump: /' err.txt >&2; fi
if "$CHIPDUMP" $P verify $C --range 0x20000:256K new.bin 2>err.txt; then ok "verify after write"
else fail "verify after write"; sed 's/^/  chipdump: /' err.txt >&2; fi
if "$CHIPDUMP" $P erase $C --range 0x80000:128K 2>err.txt; then ok "erase --range (block 4)"
else fail "erase --range"; sed 's/^/  chipdump: /' err.txt >&2; fi

emu_stop
python3 - <<'PY' && ok "model array: written blocks, erased block, untouched blocks, bad block as they should be" || fail "model array differs"
page, oob, ppb = 2048, 64, 64
raw = open('chip.bin', 'rb').read(16 * ppb * (page + oob))
data = bytearray(open('data.bin', 'rb').read())
data[0x20000:0x60000] = open('new.bin', 'rb').read()
data[0x80000:0xa0000] = b'\xff' * 0x20000
for i in range(16 * ppb):
    got = raw[i * (page + oob):i * (page + oob) + page]
    if got != data[i * page:(i + 1) * page]:
        raise SystemExit('page %d (block %d) differs' % (i, i // ppb))
if raw[12 * ppb * (page + oob) + page] != 0x00:
    raise SystemExit('the bad-block marker of block 12 is gone')
PY
for k in ignored_no_wel ignored_busy bad_block_erases bad_block_programs double_programs locked_rejects; do
    v=$(trace_get model.$k)
    [ "$v" = 0 ] || fail "chip model counted $v $k"
done
ok "no NAND rule broken (WEL, busy, bad blocks, double programs, locks)"
finish
