# The CH341A programmer end to end: what a user sees when the device or the clip fails, the
# transport trace, and the udev rule. The packet path runs against the CH341A device model
# (-p ch341a:emulate=CHIP); only the "no device" case looks at the real USB bus.
. "$(dirname "$0")/lib.bash"

random_file X.bin $((4 * 1024 * 1024))
sum_x=$(sha256sum X.bin)

# no CH341A attached: exit 1 with a hint to try without hardware (skipped when one is there)
if ! grep -qsx 1a86 /sys/bus/usb/devices/*/idVendor; then
    run 1 "$CHIPDUMP" -p ch341a probe --chip W25Q32
    err_has "no CH341A"
    err_has "-p sim"
fi

# no -p and no CHIPDUMP_PROGRAMMER: exit 2 naming the programmers there are
run 2 "$CHIPDUMP" probe --chip W25Q32
err_has "-p ch341a"
err_has "-p sim"

# unplugged mid-read: exit 1 saying how far the read got; nothing under the final name
run 1 "$CHIPDUMP" -p ch341a:emulate=W25Q32JV,image=X.bin,faults=unplug:1000000 read u.bin
err_has "disconnected"
err_has "the read stopped at 0xf0000, 983040 of 4194304 bytes read"
[ ! -e u.bin ] || fail "a read cut short left u.bin"
ls u.bin* 2>/dev/null && fail "a read cut short left a temporary file"

# a stuck device: a timeout and exit 1, at once (the model's clock runs, not the wall clock)
start=$(date +%s)
run 1 "$CHIPDUMP" -p ch341a:emulate=W25Q32JV,image=X.bin,faults=stall:300000 read s.bin
err_has "timeout"
err_has "stopped answering"
[ $(($(date +%s) - start)) -lt 20 ] || fail "a stuck transfer took more than 20 s to give up"
[ ! -e s.bin ] || fail "a timed-out read left s.bin"

# garbage on MISO (a clip missing a pin): no chip, with the raw bytes; an empty clip too
run 1 "$CHIPDUMP" -p ch341a:emulate=W25Q32JV,image=X.bin,id=DE8030 probe
err_has "no chip detected (check the clip)"
err_has "DE 80 30"
run 1 "$CHIPDUMP" -p ch341a:emulate=none probe
err_has "no chip detected (check the clip)"
err_has "FF FF FF"

# replies left in the chip by a killed session are drained before the first command
run 0 "$CHIPDUMP" -p ch341a:emulate=W25Q32JV,image=X.bin,faults=stale:2 probe --json
[ "$(json_get out 'j["raw_id"]')" = "EF 40 16 FF FF FF" ] || fail "stale replies garbled RDID"

# bad specs: exit 2 naming the problem
run 2 "$CHIPDUMP" -p ch341a:image=X.bin probe
err_has "emulate"
run 2 "$CHIPDUMP" -p ch341a:bus=3 probe
err_has "addr"
run 2 "$CHIPDUMP" -p ch341a:emulate=W25Q32JV,faults=unplug:soon probe
err_has "unplug:BYTES"
[ "$(sha256sum X.bin)" = "$sum_x" ] || fail "a failed session changed the chip"

# the trace: one line per USB transfer, op and host wait; a 64 KiB read is one stream with
# one host wait for its replies
run 0 env CHIPDUMP_TRACE=t.log "$CHIPDUMP" -p ch341a:emulate=W25Q32JV,image=X.bin \
    read --range 0x10000:64K r.bin
python3 - t.log <<'PY' || fail "trace of a 64 KiB read"
import sys
lines = [l.split() for l in open(sys.argv[1]) if not l.startswith("#")]
assert all(len(l) == 7 for l in lines), "7 columns"
ev = [l[2] for l in lines]
rd = [i for i, l in enumerate(lines) if l[2] == "op" and l[3] == "03@0x10000"]
assert len(rd) == 1 and lines[rd[0]][4] == str(4 + 65536), lines[rd[0]]
# the IN transfers of the read: one per 31 wire bytes, each asked for exactly its reply
before = max(i for i in range(rd[0]) if ev[i] == "op")  # the RDID of the probe
ins = [l for l in lines[before + 1:rd[0]] if l[2] == "in"]
assert len(ins) == (4 + 65536 + 30) // 31, len(ins)
assert all(l[3] == "0x82" and l[4] == l[5] and l[6] == "ok" for l in ins)
syncs = [l for l in lines[before + 1:rd[0]] if l[2] == "sync"]
assert len(syncs) == 1, syncs
assert ev.count("model") == 1
PY

# every programmer traces: the sim programmer writes op and sleep lines
random_file W.bin 4096
run 0 env CHIPDUMP_TRACE=sim.log "$CHIPDUMP" -p sim:chip=W25Q32JV,image=X.bin \
    write --no-backup --range 0:4K W.bin
grep -q " sim op 02@0x0 260 260 ok$" sim.log || fail "sim trace lacks the page program"
grep -q " sim sleep - " sim.log || fail "sim trace lacks host waits"
run 2 env CHIPDUMP_TRACE=/nonexistent/dir/t.log "$CHIPDUMP" -p sim:chip=W25Q32JV probe
err_has "CHIPDUMP_TRACE=/nonexistent/dir/t.log"

# the udev rule: both programmers, uaccess + plugdev, nothing world-writable; installed
rules="$CHIPDUMP_SOURCE_DIR/udev/60-chipdump.rules"
grep -q 'ATTR{idVendor}=="1a86", ATTR{idProduct}=="5512"' "$rules" || fail "rule lacks the CH341A"
grep -q 'ATTR{idVendor}=="1209"' "$rules" || fail "rule lacks the RP2040 board"
grep -q 'TAG+="uaccess"' "$rules" || fail "rule lacks uaccess"
grep -q 'GROUP="plugdev"' "$rules" || fail "rule lacks plugdev"
grep -Eq 'MODE="0?[0-7][0-7][2367]"' "$rules" && fail "rule makes a device world-writable"
build=$(dirname "$CHIPDUMP")
if [ -f "$build/cmake_install.cmake" ]; then
    cmake --install "$build" --prefix "$TMP/inst" >/dev/null ||
        fail "cmake --install failed"
    cmp -s "$rules" "$TMP/inst/lib/udev/rules.d/60-chipdump.rules" ||
        fail "cmake --install did not install the udev rule"
fi
finish
