# chipdump -p serprog:dev=TTY: the serial-port path (raw termios, poll, HUPCL) on a pseudo-
# terminal whose other side is bridged to firmware/core on TCP (tests/fw_tcp_server.c).
. "$(dirname "$0")/lib.bash"
: "${FW_TCP_SERVER:=$(dirname "$CHIPDUMP")/tests/fw_tcp_server}"

SIZE=$((2 * 1024 * 1024))
random_file chip.bin $SIZE
cp chip.bin orig.bin
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
"$FW_TCP_SERVER" --chip W25Q16JV --image chip.bin --port-file port >server.log 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
[ -s port ] || { fail "server did not start"; finish; }

# the bridge: a pty whose slave is the "serial port"; a new TCP connection per open of it
python3 - "$(cat port)" >tty.name 2>bridge.log <<'PY' &
import os, pty, select, socket, sys, tty
master, slave = pty.openpty()
tty.setraw(master)
print(os.ttyname(slave), flush=True)
sock = None
while True:
    fds = [master] + ([sock] if sock else [])
    r, _, _ = select.select(fds, [], [], 0.2)
    if master in r:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if data:
            if not sock:
                sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            sock.sendall(data)
    if sock and sock in r:
        data = sock.recv(65536)
        if not data:
            sock.close(); sock = None
        else:
            os.write(master, data)
PY
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -s tty.name ] && break; sleep 0.05; done
DEV=$(cat tty.name)
[ -c "$DEV" ] || { fail "no pty"; cat bridge.log >&2; finish; }

run 0 "$CHIPDUMP" -p "serprog:dev=$DEV" read --chip W25Q16JV out.bin
same out.bin orig.bin
random_file blk.bin 65536
run 0 "$CHIPDUMP" -p "serprog:dev=$DEV,baud=921600" write --chip W25Q16JV --no-backup --range 0x30000:64K blk.bin
dd if=chip.bin of=got.bin bs=65536 skip=3 count=1 status=none
same got.bin blk.bin

run 2 "$CHIPDUMP" -p "serprog:dev=$DEV,baud=12345" probe --chip W25Q16JV
err_has "baud"
run 1 "$CHIPDUMP" -p serprog:dev=/nonexistent/tty probe --chip W25Q16JV
err_has "/nonexistent/tty"
finish
