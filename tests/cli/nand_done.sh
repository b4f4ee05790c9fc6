# The SPI-NAND issue's "Done when", on a whole W25N01GV (1024 blocks x 64 pages x 2112 bytes):
# a raw dump with factory-bad blocks and weak bits as the chip; data and page+OOB reads, the
# manifest, oob strip, an in-place write and a skip write.
# 128 MiB images: on tmpfs where there is room, so fsync and msync cost no disk writes
if [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 2000000 ] 2>/dev/null; then
    export TMPDIR=/dev/shm
fi
. "$(dirname "$0")/lib.bash"

BAD="5 77 900"
# raw.bin: random data, OOB erased except a few free bytes; factory markers on $BAD
python3 - $BAD <<'EOF'
import random, sys
bad = {int(b) for b in sys.argv[1:]}
page, oob, ppb, blocks = 2048, 64, 64, 1024
rp = page + oob
data = random.Random(3).randbytes(page * ppb * blocks)
raw = bytearray(b'\xff') * (rp * ppb * blocks)
for p in range(ppb * blocks):
    raw[p * rp:p * rp + page] = data[p * page:(p + 1) * page]
    raw[p * rp + page + 4:p * rp + page + 8] = p.to_bytes(4, 'little')  # user OOB bytes
for b in bad:
    raw[b * ppb * rp + page] = 0x00
open('raw.bin', 'wb').write(raw)
open('data.bin', 'wb').write(data)
EOF
cp raw.bin raw.orig
SIM="-p sim:chip=W25N01GV,image=raw.bin"
# weak bits: 1 in page 130 (block 2), 1 in pages 640 and 641 (block 10), 2 in page 642 (two
# steps: W25N01GV corrects 1 bit per 512 bytes)
FLIPS="faults=flip:130:1+flip:640:1:1+flip:641:1:3+flip:642:1:0+flip:642:1:2"

# read: the data part of raw.bin, bad blocks in place; the manifest lists exactly the marked
# blocks and the corrected counts
run 0 "$CHIPDUMP" $SIM,$FLIPS read --no-progress out.bin
same out.bin data.bin
[ "$(json_get out.bin.json 'j["type"]')" = nand ] || fail "manifest type"
[ "$(json_get out.bin.json 'j["nand"]["bad_blocks"]')" = "[5, 77, 900]" ] ||
    fail "manifest bad blocks: $(json_get out.bin.json 'j["nand"]["bad_blocks"]')"
[ "$(json_get out.bin.json '[(e["block"], e["corrected_bitflips"], e["pages_corrected"]) for e in j["nand"]["ecc_blocks"]]')" = "[(2, 1, 1), (10, 3, 3)]" ] ||
    fail "manifest ECC blocks: $(json_get out.bin.json 'j["nand"]["ecc_blocks"]')"
[ "$(json_get out.bin.json 'j["nand"]["uncorrectable_pages"]')" = "[]" ] || fail "uncorrectable"
[ "$(json_get out.bin.json 'j["nand"]["corrected_bitflips"]')" = 4 ] || fail "bitflip total"
[ "$(json_get out.bin.json 'j["sha256"]')" = "$(sha256sum data.bin | cut -d' ' -f1)" ] ||
    fail "manifest sha256"
err_has "bad blocks (read in place): 5, 77, 900"

# read --oob: raw.bin itself (weak bits corrected)
run 0 "$CHIPDUMP" $SIM,$FLIPS read --oob --no-progress full.bin
same full.bin raw.bin
[ "$(json_get full.bin.json 'j["nand"]["layout"]')" = "data+oob" ] || fail "layout"
rm -f full.bin

# --skip-bad leaves the three blocks out
run 0 "$CHIPDUMP" $SIM read --skip-bad --no-progress skip.bin
python3 - <<'EOF' || fail "skip-bad read"
d = open('data.bin', 'rb').read(); s = open('skip.bin', 'rb').read(); bb = 2048 * 64
want = b''.join(d[b * bb:(b + 1) * bb] for b in range(1024) if b not in (5, 77, 900))
assert s == want, (len(s), len(want))
EOF
rm -f skip.bin

# oob strip of raw.bin equals the data-only read (geometry recognised from the size)
run 0 "$CHIPDUMP" oob strip raw.bin stripped.bin
same stripped.bin out.bin
err_has "5 77 900"
[ "$(json_get stripped.bin.json 'j["nand"]["bad_blocks"]')" = "[5, 77, 900]" ] ||
    fail "oob strip manifest"
rm -f stripped.bin

# write a changed data image (default inplace): the bad blocks' bytes stay, the rest reads
# back as written
python3 - <<'EOF'
d = bytearray(open('out.bin', 'rb').read()); bb = 2048 * 64
for b in (0, 1, 300, 1023):
    d[b * bb + 1000:b * bb + 9000] = bytes((i * 13 + b) & 0xff for i in range(8000))
d[400 * bb:401 * bb] = b'\xff' * bb
d[401 * bb + 5 * 2048:401 * bb + 6 * 2048] = b'\xff' * 2048
open('new.bin', 'wb').write(d)
EOF
run 0 "$CHIPDUMP" $SIM write --no-progress --backup before.bin --json new.bin
same before.bin out.bin
rm -f before.bin
[ "$(json_get out 'j["bad_blocks"]')" = "[5, 77, 900]" ] || fail "write json bad blocks"
[ "$(json_get out 'j["blocks_erased"]')" = 6 ] || fail "blocks erased: $(cat out)"
python3 - <<'EOF' || fail "bad blocks changed by the write"
a = open('raw.orig', 'rb').read(); b = open('raw.bin', 'rb').read(); rb = 2112 * 64
for blk in (5, 77, 900):
    assert a[blk * rb:(blk + 1) * rb] == b[blk * rb:(blk + 1) * rb], blk
EOF
run 0 "$CHIPDUMP" $SIM read --no-progress back.bin
same back.bin new.bin
rm -f back.bin new.bin out.bin data.bin.unused

# a --bad-blocks skip write puts the data where a skip-bad reader finds it: 120 blocks of
# data over blocks 0..121 (bad blocks 5 and 77 are skipped)
head -c $((120 * 131072)) data.bin >skipimg.bin
run 0 "$CHIPDUMP" $SIM write --no-progress --no-backup --bad-blocks skip --range 0:$((122 * 131072)) skipimg.bin
run 0 "$CHIPDUMP" $SIM read --skip-bad --no-progress skipback.bin
cmp -s <(head -c $((120 * 131072)) skipback.bin) skipimg.bin || fail "skip write not found by a skip-bad read"
run 0 "$CHIPDUMP" $SIM verify --skip-bad --range 0:$((122 * 131072)) --no-progress skipimg.bin
python3 - <<'EOF' || fail "bad blocks changed by the skip write"
a = open('raw.orig', 'rb').read(); b = open('raw.bin', 'rb').read(); rb = 2112 * 64
for blk in (5, 77, 900):
    assert a[blk * rb:(blk + 1) * rb] == b[blk * rb:(blk + 1) * rb], blk
EOF

finish
