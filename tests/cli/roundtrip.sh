# read reproduces the image with a manifest; write then read gives the new data; verify.
. "$(dirname "$0")/lib.bash"

random_file X.bin $((16 * 1024 * 1024))
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" read --chip W25Q128 out.bin
same X.bin out.bin
[ -f out.bin.json ] || fail "no manifest"
[ "$(json_get out.bin.json 'j["sha256"]')" = "$(sha256sum X.bin | cut -d' ' -f1)" ] ||
    fail "manifest sha256 differs from sha256sum"
[ "$(json_get out.bin.json 'j["chip"]')" = "W25Q128JV" ] || fail "manifest chip"
[ "$(json_get out.bin.json 'j["size"]')" = "16777216" ] || fail "manifest size"
[ "$(json_get out.bin.json 'j["jedec_id"]')" = "EF4018" ] || fail "manifest jedec_id"

# an existing OUT is not overwritten without --force
run 2 "$CHIPDUMP" -p "$(spec image=X.bin)" read --chip W25Q128 out.bin
err_has "out.bin"
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" read --chip W25Q128 --force out.bin

# write Y: backup of the old contents first, then read gives Y
cp X.bin X.orig
random_file Y.bin $((16 * 1024 * 1024))
# keep some blocks identical and some erased so the smart write has work to skip
dd if=X.bin of=Y.bin bs=65536 count=16 conv=notrunc status=none
dd if=/dev/zero bs=65536 count=4 status=none | tr '\0' '\377' |
    dd of=Y.bin bs=65536 seek=32 conv=notrunc status=none
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" write --chip W25Q128 --backup before.bin Y.bin
same before.bin X.orig
[ -f before.bin.json ] || fail "no backup manifest"
err_has "before.bin"
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" read --chip W25Q128 back.bin
same back.bin Y.bin

# verify: match -> 0, mismatch -> 1 naming the first differing offset
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" verify --chip W25Q128 Y.bin
cp Y.bin Z.bin
printf '\x5a' | dd of=Z.bin bs=1 seek=$((0x123456)) conv=notrunc status=none
[ "$(od -An -tx1 -j $((0x123456)) -N1 Y.bin | tr -d ' ')" != "5a" ] || printf '\x5b' |
    dd of=Z.bin bs=1 seek=$((0x123456)) conv=notrunc status=none
run 1 "$CHIPDUMP" -p "$(spec image=X.bin)" verify --chip W25Q128 Z.bin
err_has "0x123456"

# a write of identical data changes nothing (no erase, no program)
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" write --chip W25Q128 --no-backup --json Y.bin
[ "$(json_get out 'j["blocks_erased"]')" = "0" ] || fail "identical write erased blocks"
[ "$(json_get out 'j["pages_programmed"]')" = "0" ] || fail "identical write programmed pages"

# --range: read and write part of the chip
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" read --chip W25Q128 --range 0x10000:64K part.bin
dd if=Y.bin of=want.bin bs=65536 skip=1 count=1 status=none
same part.bin want.bin
[ "$(json_get part.bin.json 'j["offset"]')" = "65536" ] || fail "range offset in manifest"
random_file P.bin 65536
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" write --chip W25Q128 --no-backup --range 0x20000:0x10000 P.bin
dd if=X.bin of=got.bin bs=65536 skip=2 count=1 status=none
same got.bin P.bin

# erase: whole chip reads back as all 0xFF
run 0 "$CHIPDUMP" -p "$(spec image=X.bin)" erase --chip W25Q128
[ "$(tr -d '\377' <X.bin | wc -c)" = "0" ] || fail "erase left non-FF bytes"

finish
