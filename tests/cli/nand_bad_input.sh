# Every SPI-NAND bad-input case: a clear message, exit status 2, the chip untouched, no output
# file. Small test chips (--chipdb) keep the images at 4 MiB.
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
INI
DB="--chipdb small.ini"
BB=$((64 * 2048)) RB=$((64 * 2112))
SIM="-p sim:chip=TN4M,image=chip.bin,faults=bad:3+bad:9"
run 0 "$CHIPDUMP" $DB $SIM probe
sum_before=$(sha256sum chip.bin)
untouched() { [ "$(sha256sum chip.bin)" = "$sum_before" ] || fail "chip changed: $1"; }

# raw image that is not a whole number of pages+OOB: the arithmetic
head -c $((RB * 32 + 100)) /dev/zero >odd.bin
run 2 "$CHIPDUMP" $DB oob strip --chip TN4M odd.bin out.bin
err_has "4325476 bytes = 2048 x (2048 + 64) + 100"
[ ! -e out.bin ] || fail "oob strip left out.bin"
run 2 "$CHIPDUMP" oob strip --page-size 2048 --oob-size 64 odd.bin out.bin
err_has "not a whole number of 2112-byte pages"
# a size no database geometry has, and one that fits several
run 2 "$CHIPDUMP" oob strip odd.bin out.bin
err_has "no SPI-NAND in the chip database has a 4325476-byte page+OOB dump"
truncate -s 553648128 amb.bin # 2048+64 x 64 x 4096 = 2048+64 x 128 x 2048 = 4096+128 x 64 x 2048
run 2 "$CHIPDUMP" oob strip amb.bin out.bin
err_has "fits 3 geometries"
err_has "GD5F4GQ4UA"
err_has "XT26G04A"
err_has "MX35LF4GE4AD"
rm -f amb.bin
run 2 "$CHIPDUMP" oob strip --chip W25Q128 odd.bin out.bin
err_has "SPI-NOR"
run 2 "$CHIPDUMP" oob strip --page-size 2048 odd.bin out.bin
err_has "go together"
run 2 "$CHIPDUMP" oob strip odd.bin
[ ! -e out.bin ] || fail "out.bin after bad oob strip input"

# data image whose size is not the chip's data size: both sizes, chip untouched
head -c $((BB * 32 - 2048)) /dev/urandom >short.bin
run 2 "$CHIPDUMP" $DB $SIM write --no-backup short.bin
err_has "4192256 bytes"
err_has "4194304 bytes of data"
err_has "chip untouched"
run 2 "$CHIPDUMP" $DB $SIM verify short.bin
untouched "short data image"

# a page+OOB image is refused unless --raw; --raw needs one
head -c $((RB * 32)) /dev/urandom >rawimg.bin
run 2 "$CHIPDUMP" $DB $SIM write --no-backup rawimg.bin
err_has "page+OOB image"
err_has "--raw"
head -c $((BB * 32)) /dev/urandom >data.bin
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --raw data.bin
err_has "--raw needs a page+OOB image"
untouched "OOB image without --raw"

# unknown NAND ID: the raw bytes of each read-ID form
run 2 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=chip.bin,id=EFAA99 probe
err_has "opcode: FF EF AA 99"
err_has "addr: EF AA 99"
err_has "dummy: EF AA 99"
run 2 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=chip.bin,id=EFAA99 read unk.bin
[ ! -e unk.bin ] || fail "output for an unknown chip"

# a skip write that needs more good blocks than the range has: nothing erased
head -c $((BB * 31)) /dev/urandom >big.bin
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --bad-blocks skip big.bin
err_has "needs 31 good blocks"
err_has "have 30"
err_has "nothing was erased"
untouched "skip write that does not fit"
# ... also within a --range (blocks 0..7 hold bad block 3)
head -c $((BB * 8)) /dev/urandom >eight.bin
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --bad-blocks skip --range 0:$((BB * 8)) eight.bin
err_has "needs 8 good blocks"
untouched "skip write in a range"

# inplace: data where the chip has a bad block is refused before any erase
run 2 "$CHIPDUMP" $DB $SIM write --no-backup data.bin
err_has "block 3, which is a factory-bad block"
untouched "inplace write over a bad block"
# fail: any bad block in the range
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --bad-blocks fail data.bin
err_has "bad block(s): 3, 9"
untouched "--bad-blocks fail"
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --bad-blocks sometimes data.bin
err_has "expected inplace, skip or fail"

# options a NAND command does not take are refused, not ignored
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --skip-bad data.bin
err_has "--bad-blocks skip"
run 2 "$CHIPDUMP" $DB $SIM read --bad-blocks skip r.bin
err_has "read --bad-blocks"
run 2 "$CHIPDUMP" $DB $SIM erase --raw
err_has "erase --raw"
run 2 "$CHIPDUMP" $DB $SIM write --no-backup --oob data.bin
err_has "--oob needs a page+OOB image"
[ ! -e r.bin ] || fail "refused read left r.bin"
untouched "refused options"

# ranges are whole erase blocks of data bytes
run 2 "$CHIPDUMP" $DB $SIM read --range 0x1000:64K r.bin
err_has "whole erase blocks"
[ ! -e r.bin ] || fail "misaligned range left r.bin"

# NAND options on a NOR chip; --chip naming another NAND than the one answering
run 2 "$CHIPDUMP" -p sim:image=nor.bin read --chip W25Q128 --oob n.bin
err_has "--oob applies to SPI-NAND chips"
[ ! -e n.bin ] || fail "output for NAND options on NOR"
run 2 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=chip.bin read --chip W25N01GV x.bin
err_has "but --chip names W25N01GV"
[ ! -e x.bin ] || fail "output despite the ID mismatch"
# a NAND row named for a NOR chip
run 2 "$CHIPDUMP" -p sim:chip=W25Q128JV,image=nor.bin probe --chip W25N01GV
err_has "W25N01GV"
untouched "mismatches"

# sim fault grammar
run 2 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=chip.bin,faults=flip:1 probe
err_has "flip:PAGE:N"
run 2 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=chip.bin,faults=bad:32 probe
err_has "blocks 0..31"
run 2 "$CHIPDUMP" -p sim:chip=W25Q128JV,image=nor.bin,faults=bad:1 probe
err_has "SPI-NAND"
untouched "fault grammar"

finish
