# chipdump -p serprog:tcp=HOST:PORT against firmware/core served on 127.0.0.1
# (tests/fw_tcp_server.c): probe, read, write, verify, erase of a W25Q16JV model, checked
# against the server's image file; then the same server impersonating pico-serprog.
. "$(dirname "$0")/lib.bash"
: "${FW_TCP_SERVER:=$(dirname "$CHIPDUMP")/tests/fw_tcp_server}"

SIZE=$((2 * 1024 * 1024))
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

start_server() { # start_server ARGS...: sets SERVER and PORT
    rm -f port
    "$FW_TCP_SERVER" --port-file port "$@" >server.log 2>&1 &
    SERVER=$!
    for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
    [ -s port ] || { fail "server did not start"; cat server.log >&2; finish; }
    PORT=$(cat port)
}
stop_server() {
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null
    SERVER=
}

random_file chip.bin $SIZE
cp chip.bin orig.bin
start_server --chip W25Q16JV --image chip.bin
P="serprog:tcp=127.0.0.1:$PORT"

run 0 "$CHIPDUMP" -p "$P" probe --chip W25Q16JV --json
[ "$(json_get out 'j["chip"]["name"]')" = "W25Q16JV" ] || fail "probe chip"
run 0 "$CHIPDUMP" -p "$P" read --chip W25Q16JV out.bin
same out.bin orig.bin
[ "$(json_get out.bin.json 'j["programmer"]')" != "" ] || fail "no programmer in manifest"
grep -q "chipdump extensions" out.bin.json || fail "manifest does not name the extensions"

random_file new.bin $SIZE
dd if=orig.bin of=new.bin bs=65536 count=4 conv=notrunc status=none
run 0 "$CHIPDUMP" -p "$P" write --chip W25Q16JV --no-backup new.bin
same chip.bin new.bin
run 0 "$CHIPDUMP" -p "$P" verify --chip W25Q16JV new.bin
cp new.bin bad.bin
printf '\x5a' | dd of=bad.bin bs=1 seek=$((0x1F0001)) conv=notrunc status=none
[ "$(od -An -tx1 -j $((0x1F0001)) -N1 new.bin | tr -d ' ')" != "5a" ] ||
    printf '\x5b' | dd of=bad.bin bs=1 seek=$((0x1F0001)) conv=notrunc status=none
run 1 "$CHIPDUMP" -p "$P" verify --chip W25Q16JV bad.bin
err_has "0x1f0001"
run 0 "$CHIPDUMP" -p "$P" erase --chip W25Q16JV --range 0x10000:64K
dd if=chip.bin of=part.bin bs=65536 skip=1 count=1 status=none
[ "$(tr -d '\377' <part.bin | wc -c)" = "0" ] || fail "erased range is not all FF"
stop_server

# the same engine answering only pico-serprog's opcodes: plain O_SPIOP path
cp orig.bin chip.bin
start_server --chip W25Q16JV --image chip.bin --mimic pico-serprog
run 0 "$CHIPDUMP" -p "serprog:tcp=127.0.0.1:$PORT" read --chip W25Q16JV plain.bin
same plain.bin orig.bin
grep -q "extensions" plain.bin.json && fail "plain device described with extensions"
stop_server

# nobody listening: an operation failure naming the address; bad specs: usage errors
run 1 "$CHIPDUMP" -p serprog:tcp=127.0.0.1:1 probe --chip W25Q16JV
err_has "127.0.0.1:1"
run 2 "$CHIPDUMP" -p serprog:tcp=localhost probe --chip W25Q16JV
err_has "HOST:PORT"
run 2 "$CHIPDUMP" -p serprog:tcp=127.0.0.1:1,loop=W25Q16JV probe
err_has "exactly one"
finish
