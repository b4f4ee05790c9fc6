# read --reads 2: blocks that differ between reads are re-read until two agree; blocks that
# never settle are listed in the manifest and make the exit status 1.
. "$(dirname "$0")/lib.bash"

random_file X.bin $((4 * 1024 * 1024))
# noise on 3 reads of one 4 KiB block: settles after re-reads, exit 0, block listed resolved
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q32JV,image=X.bin,faults=noise:0x21000:0x1000:3)" \
    read --reads 2 a.bin
same a.bin X.bin
[ "$(json_get a.bin.json 'len(j["unstable_blocks"])')" = 1 ] || fail "unstable block not listed"
[ "$(json_get a.bin.json 'j["unstable_blocks"][0]["offset"]')" = $((0x21000)) ] ||
    fail "wrong unstable offset"
[ "$(json_get a.bin.json 'j["unstable_blocks"][0]["resolved"]')" = True ] || fail "not resolved"

# plain read with the same noise: the corrupted data goes unnoticed (why --reads 2 exists)
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q32JV,image=X.bin,faults=noise:0x21000:0x1000:1)" \
    read b.bin
cmp -s b.bin X.bin && fail "noise fault did not corrupt a single read"

# noise forever: exit 1, manifest lists the unresolved block, file still written
run 1 "$CHIPDUMP" -p "$(spec chip=W25Q32JV,image=X.bin,faults=noise:0x3ff000:0x1000:0)" \
    read --reads 2 c.bin
err_has "c.bin.json"
[ "$(json_get c.bin.json 'j["unstable_blocks"][0]["resolved"]')" = False ] ||
    fail "unresolved block not marked"

# clean chip: nothing listed
run 0 "$CHIPDUMP" -p "$(spec chip=W25Q32JV,image=X.bin)" read --reads 2 d.bin
[ "$(json_get d.bin.json 'len(j["unstable_blocks"])')" = 0 ] || fail "clean read lists blocks"
finish
