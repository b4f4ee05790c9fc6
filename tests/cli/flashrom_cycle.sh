# -p flashrom:dummy (libflashrom's emulated W25Q128FV) under chipdump's whole workflow:
# probe, read (same bytes and manifest as -p sim), write with backup, verify, erase, ranges.
. "$(dirname "$0")/lib.bash"

random_file X.bin $((16 * 1024 * 1024))
cp X.bin S.bin
FR="flashrom:dummy:emulate=W25Q128FV,image=X.bin"

run 0 "$CHIPDUMP" -p "$FR" probe --json
[ "$(json_get out 'j["chip"]["name"]')" = "W25Q128JV" ] || fail "probe: chip is not W25Q128JV"
[ "$(json_get out 'j["found_as"]')" = "flashrom: Winbond W25Q128.V" ] || fail "probe: found_as"
[ "$(json_get out 'j["raw_id"]' | tr -d ' ')" = "EF4018" ] || fail "probe: raw ID"

# the same image read through flashrom and through sim: identical bytes and manifests
mkdir fr sim
run 0 "$CHIPDUMP" -p "$FR" read fr/out.bin
run 0 "$CHIPDUMP" -p sim:image=S.bin read --chip W25Q128 sim/out.bin
same X.bin fr/out.bin
same fr/out.bin sim/out.bin
strip() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); [j.pop(k) for k in ("programmer","date")]; print(json.dumps(j, sort_keys=True))' "$1"; }
[ "$(strip fr/out.bin.json)" = "$(strip sim/out.bin.json)" ] || {
    fail "manifests differ beyond programmer and date"
    diff <(strip fr/out.bin.json) <(strip sim/out.bin.json) >&2
}
case "$(json_get fr/out.bin.json 'j["programmer"]')" in
flashrom:dummy*W25Q128.V*) ;;
*) fail "manifest programmer field: $(json_get fr/out.bin.json 'j["programmer"]')" ;;
esac

# --range and --reads 2 go through flashrom layouts
run 0 "$CHIPDUMP" -p "$FR" read --reads 2 --range 0x10000:64K part.bin
dd if=X.bin of=want.bin bs=65536 skip=1 count=1 status=none
same part.bin want.bin
[ "$(json_get part.bin.json 'j["offset"]')" = "65536" ] || fail "range offset in manifest"

# write: backup of the old contents first, only what differs changes, verified
cp X.bin X.orig
random_file Y.bin $((16 * 1024 * 1024))
dd if=X.bin of=Y.bin bs=65536 count=16 conv=notrunc status=none
run 0 "$CHIPDUMP" -p "$FR" write --backup before.bin --json Y.bin
same before.bin X.orig
[ -f before.bin.json ] || fail "no backup manifest"
[ "$(json_get out 'j["verified"]')" = "True" ] || fail "write not verified"
[ "$(json_get out 'j["blocks_erased"]')" = "3840" ] || fail "write: blocks_erased $(json_get out 'j["blocks_erased"]')"
same X.bin Y.bin # the dummy programmer saves its image when chipdump closes it

# verify: match, then a mismatch named by offset
run 0 "$CHIPDUMP" -p "$FR" verify Y.bin
cp Y.bin Z.bin
printf '\x5a' | dd of=Z.bin bs=1 seek=$((0x123456)) conv=notrunc status=none
[ "$(od -An -tx1 -j $((0x123456)) -N1 Y.bin | tr -d ' ')" != "5a" ] || printf '\x5b' |
    dd of=Z.bin bs=1 seek=$((0x123456)) conv=notrunc status=none
run 1 "$CHIPDUMP" -p "$FR" verify Z.bin
err_has "0x123456"

# a part write touches only its range
random_file P.bin 65536
run 0 "$CHIPDUMP" -p "$FR" write --no-backup --range 0x20000:0x10000 P.bin
dd if=X.bin of=got.bin bs=65536 skip=2 count=1 status=none
same got.bin P.bin
dd if=X.bin of=a.bin bs=65536 skip=3 count=253 status=none
dd if=Y.bin of=b.bin bs=65536 skip=3 count=253 status=none
same a.bin b.bin

# erase a range, then the whole chip
run 0 "$CHIPDUMP" -p "$FR" erase --range 0x40000:64K
[ "$(dd if=X.bin bs=65536 skip=4 count=1 status=none | tr -d '\377' | wc -c)" = "0" ] ||
    fail "range erase left data"
[ "$(dd if=X.bin bs=65536 skip=5 count=1 status=none | tr -d '\377' | wc -c)" != "0" ] ||
    fail "range erase went past its range"
run 0 "$CHIPDUMP" -p "$FR" erase
[ "$(tr -d '\377' <X.bin | wc -c)" = "0" ] || fail "erase left non-FF bytes"

finish
