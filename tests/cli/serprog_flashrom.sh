# Unmodified flashrom (Debian's 1.3) against firmware/core over TCP (tests/fw_tcp_server.c):
# probe, read, write, verify and erase of a W25Q16JV model, checked against its image file.
. "$(dirname "$0")/lib.bash"
: "${FW_TCP_SERVER:=$(dirname "$CHIPDUMP")/tests/fw_tcp_server}"
FLASHROM=$(command -v flashrom || echo /usr/sbin/flashrom)
[ -x "$FLASHROM" ] || { echo "flashrom is not installed (scripts/deps.sh installs it)" >&2; exit 1; }

SIZE=$((2 * 1024 * 1024))
random_file chip.bin $SIZE
cp chip.bin orig.bin
"$FW_TCP_SERVER" --chip W25Q16JV --image chip.bin --port-file port >server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
[ -s port ] || { fail "server did not start"; cat server.log >&2; finish; }
PORT=$(cat port)
FR="$FLASHROM -p serprog:ip=127.0.0.1:$PORT"

# probe: flashrom identifies the chip through O_SPIOP
run 0 $FR
out_has 'Programmer name is "chipdump"'
out_has "W25Q16"
# flashrom knows several chips with this ID; name one from now on
CHIPOPT="-c W25Q16.V"

# read: the image, byte for byte
run 0 $FR $CHIPOPT -r read.bin
same read.bin orig.bin

# write: flashrom erases and programs what differs, then verifies by itself
random_file new.bin $SIZE
dd if=orig.bin of=new.bin bs=65536 count=8 conv=notrunc status=none # some blocks unchanged
run 0 $FR $CHIPOPT -w new.bin
out_has "VERIFIED"
same chip.bin new.bin

# verify: match and mismatch
run 0 $FR $CHIPOPT -v new.bin
printf '\x00' | dd of=chip.bin bs=1 seek=$((0x1234)) conv=notrunc status=none
[ "$(od -An -tx1 -j $((0x1234)) -N1 new.bin | tr -d ' ')" != "00" ] || fail "test byte already 00"
run 3 $FR $CHIPOPT -v new.bin # flashrom: 3 = verify failed
err_has "0x00001234"

# erase: all 0xFF
run 0 $FR $CHIPOPT -E
[ "$(tr -d '\377' <chip.bin | wc -c)" = "0" ] || fail "erase left non-FF bytes"

# chipdump through the same server afterwards (the engine went idle when flashrom left)
run 0 "$CHIPDUMP" -p serprog:tcp=127.0.0.1:$PORT probe --chip W25Q16JV
out_has "W25Q16JV"
finish
