# read / write / erase --partition: exactly one partition's range, with every safety check.
. "$(dirname "$0")/lib.bash"

# A 16 MiB W25Q128 (64 KiB blocks) laid out the OpenWrt ramips way; the kernel part ends
# mid-block, as uimage-fw makes it.
cat >mtd.txt <<'EOF'
dev:    size   erasesize  name
mtd0: 00030000 00010000 "u-boot"
mtd1: 00010000 00010000 "u-boot-env"
mtd2: 00010000 00010000 "factory"
mtd3: 00fb0000 00010000 "firmware"
mtd4: 001d23a8 00010000 "kernel"
mtd5: 00dddc58 00010000 "rootfs"
mtd6: 00a00000 00010000 "rootfs_data"
EOF
random_file chip.bin $((16 << 20))
cp chip.bin orig.bin
SIM="sim:chip=W25Q128JV,image=chip.bin"

# read one partition: exactly its bytes, manifest offset/length say so
run 0 "$CHIPDUMP" -p "$SIM" read --partition factory --mtd-table mtd.txt f.bin
err_has 'partition mtd2 "factory": 0x40000+0x10000'
cmp -s f.bin <(dd if=orig.bin bs=65536 skip=4 count=1 status=none) || fail "factory bytes"
json_get f.bin.json 'j["offset"], j["length"]' | grep -qx "262144 65536" || fail "manifest range"
# by mtd number, and an unaligned nested partition can be read
run 0 "$CHIPDUMP" -p "$SIM" read --partition mtd4 --mtd-table mtd.txt k.bin
cmp -s k.bin <(tail -c +$((0x50000 + 1)) orig.bin | head -c $((0x1d23a8))) || fail "kernel bytes"

# write one partition: only its range changes, the old contents are saved first
random_file newenv.bin 65536
run 0 "$CHIPDUMP" -p "$SIM" write --partition u-boot-env --mtd-table mtd.txt --backup env-old.bin newenv.bin
cmp -s env-old.bin <(dd if=orig.bin bs=65536 skip=3 count=1 status=none) || fail "backup"
python3 - <<'PY' || fail "write changed more than the partition"
a = open("orig.bin", "rb").read(); b = open("chip.bin", "rb").read(); n = open("newenv.bin", "rb").read()
assert b[0x30000:0x40000] == n
assert a[:0x30000] == b[:0x30000] and a[0x40000:] == b[0x40000:]
PY
cp chip.bin after-write.bin

# refused before the chip is touched: size mismatch, unaligned partition, uncertain offset,
# unknown name, --range with --partition, a bad table
random_file wrong.bin 65537
run 2 "$CHIPDUMP" -p "$SIM" write --no-backup --partition factory --mtd-table mtd.txt wrong.bin
err_has "65537"
run 2 "$CHIPDUMP" -p "$SIM" write --no-backup --partition kernel --mtd-table mtd.txt k.bin
err_has "erase blocks"
err_has '"firmware" instead'
run 2 "$CHIPDUMP" -p "$SIM" erase --partition rootfs --mtd-table mtd.txt
err_has '"firmware" instead'
cat >gap.txt <<'EOF'
mtd0: 00040000 00010000 "u-boot"
mtd1: 00fc0000 00010000 "firmware"
mtd2: 00100000 00010000 "kernel"
mtd3: 00eb0000 00010000 "rootfs"
EOF
run 2 "$CHIPDUMP" -p "$SIM" read --partition kernel --mtd-table gap.txt g.bin
err_has "not certain"
err_has "--guess"
[ ! -e g.bin ] || fail "output written for an uncertain partition"
run 2 "$CHIPDUMP" -p "sim:chip=W25Q128JV,image=never.bin" read --partition nope --mtd-table mtd.txt n.bin
err_has 'no partition "nope"'
[ ! -e never.bin ] || fail "the device was opened for an unknown partition"
run 2 "$CHIPDUMP" -p "$SIM" read --partition factory --range 0:4K --mtd-table mtd.txt r.bin
err_has "not both"
printf 'mtd0: garbage\n' >bad.txt
run 2 "$CHIPDUMP" -p "sim:chip=W25Q128JV,image=never.bin" read --partition factory --mtd-table bad.txt b.bin
err_has "bad.txt:1"
[ ! -e never.bin ] || fail "the device was opened for a bad table"
run 2 "$CHIPDUMP" -p "$SIM" read --partition factory o.bin
err_has "--mtd-table"
# a table that tiles 8 MiB does not describe this 16 MiB chip
printf 'mtd0: 00040000 00010000 "u-boot"\nmtd1: 007c0000 00010000 "firmware"\n' >small.txt
run 2 "$CHIPDUMP" -p "$SIM" read --partition u-boot --mtd-table small.txt s.bin
err_has "0x800000 bytes"
err_has "is the table from this box"
cmp -s chip.bin after-write.bin || fail "a refused command changed the chip"

# erase one aligned partition: exactly its blocks become 0xFF
run 0 "$CHIPDUMP" -p "$SIM" erase --partition u-boot-env --mtd-table mtd.txt
python3 -c 'b=open("chip.bin","rb").read(); a=open("after-write.bin","rb").read();
assert b[0x30000:0x40000]==b"\xff"*0x10000 and b[:0x30000]==a[:0x30000] and b[0x40000:]==a[0x40000:]' ||
    fail "erase --partition"

# mtdparts and dmesg sources work the same way
run 0 "$CHIPDUMP" -p "$SIM" read --partition art --mtdparts 'spi0.0:192k(u-boot),64k(env),64k(art),-(firmware)' a.bin
cmp -s a.bin <(dd if=chip.bin bs=65536 skip=4 count=1 status=none) || fail "mtdparts read"

# SPI-NAND: ranges are data bytes (no OOB), whole 128 KiB blocks
cat >nand.txt <<'EOF'
mtd0: 00100000 00020000 "boot"
mtd1: 00100000 00020000 "config"
mtd2: 07e00000 00020000 "ubi"
EOF
NSIM="sim:chip=W25N01GV,image=nand.bin"
run 0 "$CHIPDUMP" -p "$NSIM" read --partition config --mtd-table nand.txt c.bin
[ "$(stat -c %s c.bin)" = $((0x100000)) ] || fail "NAND partition read size"
json_get c.bin.json 'j["offset"]' | grep -qx $((0x100000)) || fail "NAND manifest offset"
random_file newcfg.bin $((0x100000))
run 0 "$CHIPDUMP" -p "$NSIM" write --no-backup --partition config --mtd-table nand.txt newcfg.bin
run 0 "$CHIPDUMP" -p "$NSIM" read --partition config --mtd-table nand.txt c2.bin
same c2.bin newcfg.bin

finish
