# Block protection: a chip that powers up with BP bits set is unprotected before a write;
# probe works on every sim chip; SFDP fallback for an unknown chip.
. "$(dirname "$0")/lib.bash"

random_file X.bin $((4 * 1024 * 1024))
random_file Y.bin $((4 * 1024 * 1024))
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q32JV,image=X.bin,sr1=0x1c)" write --no-backup Y.bin
same X.bin Y.bin

# 32 MiB part: 4-byte addressing end to end
random_file B.bin $((32 * 1024 * 1024))
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q256JV,image=B.bin)" read big.bin
same big.bin B.bin
random_file C.bin $((32 * 1024 * 1024))
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q256JV,image=B.bin)" write --no-backup C.bin
same B.bin C.bin

# an ID the database lacks is identified through SFDP (the sim answers another ID)
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q64JV,id=7F7F17,image=m.bin)" probe --json
python3 - "$TMP/out" <<'PY' || fail "probe --json via SFDP"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["source"] == "SFDP", j
assert j["chip"]["size"] == 8 * 1024 * 1024, j
assert j["chip"]["erase_sizes"][0] == 4096, j
PY
random_file M.bin $((8 * 1024 * 1024))
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q64JV,id=7F7F17,image=m.bin)" write --no-backup M.bin
same m.bin M.bin
finish
