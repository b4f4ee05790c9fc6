# SPI-NAND operations end to end on small test chips: ECC failures and --ignore-ecc, --raw
# reads and writes, program/erase failures that stop the job, erase around bad blocks, verify,
# two-plane and two-die parts, bus noise that on-die ECC cannot see.
. "$(dirname "$0")/lib.bash"

cat >small.ini <<'INI'
[TN4M]
vendor = Test
type = nand
id = EF AA 7E
read_id = dummy
page = 2048
oob = 64
pages_per_block = 64
blocks = 32
ecc = 1/512
ecc_status = generic
cont_read = buf
voltage = 2.7-3.6
source = test row

[TN2P]
vendor = Test
type = nand
id = 2C 7E
read_id = dummy
page = 2048
oob = 128
pages_per_block = 64
blocks = 32
planes = 2
ecc = 8/512
ecc_status = micron
voltage = 2.7-3.6
source = test row

[TN2D]
vendor = Test
type = nand
id = C8 7E
read_id = addr
page = 2048
oob = 64
pages_per_block = 64
blocks = 16
dies = 2
die_select = c2
ecc = 8/512
ecc_status = gd-xa
voltage = 2.7-3.6
source = test row
INI
DB="--chipdb small.ini"
BB=$((64 * 2048)) RB=$((64 * 2112))
N="--no-progress"

# uncorrectable page: exit 1, the file and manifest are still written; --ignore-ecc accepts
SIM="-p $(spec chip=TN4M,image=a.bin,faults=flip:70:2+flip:71:1)"
run 1 "$CHIPDUMP" $DB $SIM read $N out.bin
err_has "1 page(s) could not be corrected"
err_has "page 6 of block 1"
[ -f out.bin ] && [ -f out.bin.json ] || fail "no output after an ECC failure"
[ "$(json_get out.bin.json 'j["nand"]["uncorrectable_pages"]')" = "[70]" ] || fail "manifest"
[ "$(json_get out.bin.json 'j["nand"]["ecc_blocks"][0]["pages_corrected"]')" = 1 ] ||
    fail "manifest corrected pages"
run 0 "$CHIPDUMP" $DB $SIM read $N --force --ignore-ecc out.bin
err_has "--ignore-ecc"
# --raw: ECC off, the weak bits are in the data, nothing is reported
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=a.bin,faults=flip:5:1)" read $N --raw rawread.bin
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=a.bin,faults=flip:5:1)" read $N ecc.bin
cmp -s rawread.bin ecc.bin && fail "--raw read hides the weak bit"
[ "$(cmp rawread.bin ecc.bin | wc -l)" = 1 ] || fail "--raw read differs in more than one byte"
[ "$(json_get rawread.bin.json 'j["nand"]["ecc"]')" = off ] || fail "manifest ecc off"

# a page+OOB image with --raw: OOB bytes go back exactly (ECC off), read --oob gives it back
python3 - <<'EOF'
import random
r = random.Random(5); page, oob = 2048, 64
img = bytearray()
for p in range(32 * 64):
    o = bytearray(r.randbytes(oob)); o[0] = o[1] = 0xff
    img += r.randbytes(page) + o
open('rawimg.bin', 'wb').write(img)
EOF
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=b.bin)" write $N --raw --backup b0.bin rawimg.bin
err_has "on-die ECC off (--raw)"
[ "$(stat -c %s b0.bin)" = $((RB * 32)) ] || fail "raw write backup is not page+OOB"
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=b.bin)" read $N --oob back.bin
same back.bin rawimg.bin
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=b.bin)" verify $N rawimg.bin
err_has "pages with OOB"

# verify mismatch names the offset
head -c $((BB * 32)) /dev/urandom >d.bin
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=c.bin)" write $N --no-backup d.bin
cp d.bin e.bin
printf '\x00\x00' | dd of=e.bin bs=1 seek=$((BB * 7 + 4097)) conv=notrunc status=none
cmp -s d.bin e.bin || {
    run 1 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=c.bin)" verify $N e.bin
    err_has "block 7"
}

# a program failure stops the write at its block; nothing after it is touched
cp c.bin c.orig
head -c $((BB * 32)) /dev/urandom >f.bin
run 1 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=c.bin,faults=pfail:12)" write $N --no-backup f.bin
err_has "block 12"
err_has "no block after it"
cmp -s <(tail -c $((RB * 19)) c.bin) <(tail -c $((RB * 19)) c.orig) || fail "blocks after the failure changed"
# an erase failure likewise; erase leaves bad blocks alone
run 1 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=c.bin,faults=efail:4)" erase $N
err_has "block 4"
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN4M,image=c.bin,faults=bad:2+bad:20)" erase $N
err_has "erased 30 of 32 blocks"
err_has "bad blocks left alone: 2, 20"
python3 - <<'EOF' || fail "erase touched a bad block or left data"
d = open('c.bin', 'rb').read(); rb = 64 * 2112
for b in range(32):
    blk = d[b * rb:(b + 1) * rb]
    if b in (2, 20):
        assert blk[2048] == 0 and blk[2049] == 0, b   # marker still there
        assert blk.count(0xff) < len(blk), b          # the old data too
    else:
        assert blk == b'\xff' * rb, b
EOF

# two planes and two dies: write, read back, verify; --json write summary
for chip in TN2P TN2D; do
    run 0 "$CHIPDUMP" $DB -p "$(spec chip=$chip,image=$chip.bin)" probe --json
    [ "$(json_get out 'j["chip"]["name"]')" = $chip ] || fail "$chip probe"
    head -c $((BB * 32)) /dev/urandom >$chip.data
    run 0 "$CHIPDUMP" $DB -p "$(spec chip=$chip,image=$chip.bin)" write $N --no-backup --json $chip.data
    [ "$(json_get out 'j["pages_programmed"]')" = 2048 ] || fail "$chip pages programmed"
    run 0 "$CHIPDUMP" $DB -p "$(spec chip=$chip,image=$chip.bin)" read $N $chip.back
    same $chip.back $chip.data
    # a range in the second half (the other plane / the second die)
    run 0 "$CHIPDUMP" $DB -p "$(spec chip=$chip,image=$chip.bin)" read $N --range $((BB * 17)):$((BB * 2)) $chip.part
    cmp -s $chip.part <(tail -c +$((BB * 17 + 1)) $chip.data | head -c $((BB * 2))) || fail "$chip range read"
done

# bus noise (a marginal clip) is not an ECC matter: the data differ, ECC reports nothing
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN2P,image=TN2P.bin,faults=noise:$((2176 * 64 * 3)):2176:0)" read $N noisy.bin
cmp -s noisy.bin TN2P.data && fail "noise fault did not reach the NAND read"
[ "$(json_get noisy.bin.json 'j["nand"]["corrected_bitflips"]')" = 0 ] || fail "noise counted as ECC"
# --reads 2 reads every page twice (nand_reads2.sh has the noisy cases)
run 0 "$CHIPDUMP" $DB -p "$(spec chip=TN2P,image=TN2P.bin)" read $N --reads 2 r2.bin
same r2.bin TN2P.data

finish
