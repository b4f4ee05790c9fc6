# chipdump end to end through the real wire protocol without hardware: -p serprog:loop=CHIP
# runs firmware/core in the chipdump process on a chip model. NOR probe/read/write/verify/
# erase checked against the image file; the plain-serprog path (mimic=pico-serprog); the
# transport trace shows one streamed request per read chunk and no per-chunk round trip;
# SPI-NAND write/read/verify/erase.
. "$(dirname "$0")/lib.bash"

SIZE=$((2 * 1024 * 1024))
random_file chip.bin $SIZE
cp chip.bin orig.bin
P="serprog:loop=W25Q16JV,image=chip.bin"

run 0 "$CHIPDUMP" -p "$P" probe --chip W25Q16JV
out_has "W25Q16JV"
run 0 "$CHIPDUMP" -p "$P" read --chip W25Q16JV out.bin
same out.bin orig.bin
grep -q '"serprog (loop W25Q16JV' out.bin.json || fail "manifest programmer"

# the trace: reads are CD_R_STREAM requests (12 bytes out), chunk n+1 sent before chunk n
# is read, so every request but the first goes out while data is still owed
CHIPDUMP_TRACE=trace.txt run 0 "$CHIPDUMP" -p "$P" read --chip W25Q16JV --force out2.bin
same out2.bin orig.bin
# 32 chunks of 64 KiB; count the requests that went out while an earlier one was unread
ahead=$(awk '$2 == "serprog" && $3 == "out" && $5 == 12 { if (owed) ahead++; owed++ }
             $2 == "serprog" && $3 == "in" && $5 == 65536 { owed-- }
             END { print ahead + 0 }' trace.txt)
[ "$ahead" -ge 30 ] || fail "expected >= 30 read requests sent ahead in the trace, got $ahead"

random_file new.bin $SIZE
dd if=orig.bin of=new.bin bs=4096 count=100 conv=notrunc status=none
run 0 "$CHIPDUMP" -p "$P" write --chip W25Q16JV --json --backup before.bin new.bin
same before.bin orig.bin
same chip.bin new.bin
[ "$(json_get out 'j["blocks_erased"]')" -lt 512 ] || fail "unchanged blocks were erased"
run 0 "$CHIPDUMP" -p "$P" verify --chip W25Q16JV new.bin
printf '\x00\x00' | dd of=chip.bin bs=1 seek=$((0x54321)) conv=notrunc status=none
run 1 "$CHIPDUMP" -p "$P" verify --chip W25Q16JV new.bin
err_has "0x54321"
run 0 "$CHIPDUMP" -p "$P" erase --chip W25Q16JV
[ "$(tr -d '\377' <chip.bin | wc -c)" = "0" ] || fail "erase left non-FF bytes"

# a plain serprog device (pico-serprog's opcode set): O_SPIOP only, host-side waits
cp orig.bin chip.bin
run 0 "$CHIPDUMP" -p "$P,mimic=pico-serprog" read --chip W25Q16JV plain.bin
same plain.bin orig.bin
random_file blk.bin 4096
run 0 "$CHIPDUMP" -p "$P,mimic=pico-serprog" write --chip W25Q16JV --no-backup --range 0x8000:4K blk.bin
dd if=chip.bin of=got.bin bs=4096 skip=8 count=1 status=none
same got.bin blk.bin

# SPI-NAND through the same protocol (O_SPIOP transactions): a 4 MiB test chip
cat >small.ini <<'INI'
[TNSP4M]
vendor = Test
type = nand
id = EF AA 7D
read_id = dummy
page = 2048
oob = 64
pages_per_block = 64
blocks = 32
ecc = 1/512
ecc_status = generic
voltage = 2.7-3.6
source = test row
INI
NP="serprog:loop=TNSP4M,image=nand.bin"
DB="--chipdb small.ini"
random_file nd.bin $((32 * 64 * 2048))
run 0 "$CHIPDUMP" $DB -p "$NP" probe --chip TNSP4M
out_has "TNSP4M"
run 0 "$CHIPDUMP" $DB -p "$NP" write --chip TNSP4M --no-progress --no-backup nd.bin
run 0 "$CHIPDUMP" $DB -p "$NP" read --chip TNSP4M --no-progress nback.bin
same nback.bin nd.bin
# the image file is the chip: page + OOB, page after page
python3 - nand.bin nd.bin <<'EOF2' || fail "NAND image file does not hold the written pages"
import sys
raw, data = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert len(raw) == 32 * 64 * 2112
for p in range(32 * 64):
    assert raw[p * 2112 : p * 2112 + 2048] == data[p * 2048 : (p + 1) * 2048], p
EOF2
run 0 "$CHIPDUMP" $DB -p "$NP" verify --chip TNSP4M --no-progress nd.bin
run 0 "$CHIPDUMP" $DB -p "$NP" erase --chip TNSP4M --no-progress
run 0 "$CHIPDUMP" $DB -p "$NP" read --chip TNSP4M --no-progress --force nback.bin
[ "$(tr -d '\377' <nback.bin | wc -c)" = "0" ] || fail "NAND erase left non-FF bytes"

# bad input: clear message, exit 2
run 2 "$CHIPDUMP" -p serprog:loop=NOSUCHCHIP probe
err_has "NOSUCHCHIP"
head -c 1000 /dev/zero >short.bin
run 2 "$CHIPDUMP" -p "serprog:loop=W25Q16JV,image=short.bin" probe --chip W25Q16JV
err_has "short.bin"
run 2 "$CHIPDUMP" -p serprog:loop=W25Q16JV,spispeed=x probe --chip W25Q16JV
err_has "spispeed"
finish
