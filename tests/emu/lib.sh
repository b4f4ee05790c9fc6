# Shared helpers for tests/emu/*.sh (sourced). The environment comes from tests/emu/CMakeLists.txt.
set -u
: "${NODE:?}" "${EMU_HARNESS:?}" "${EMU_WASM:?}" "${EMU_ELF:?}" "${CHIPDUMP_SOURCE_DIR:?}"
TMP=$(mktemp -d)
EMU_PID=
cleanup() {
    [ -n "$EMU_PID" ] && kill -TERM "$EMU_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP"
failures=0
passes=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

ok() {
    echo "ok: $*"
    passes=$((passes + 1))
}

# emu_start CHIP [harness options...]: boots the firmware with CHIP on SPI0; sets EMU_PORT.
# The harness's stderr goes to $TMP/emu.err, its trace to $TMP/trace.json.
emu_start() {
    local chip=$1
    shift
    "$NODE" "$EMU_HARNESS" --elf "$EMU_ELF" --wasm "$EMU_WASM" \
        --chipdb "$CHIPDUMP_SOURCE_DIR/chipdb" --chip "$chip" --trace "$TMP/trace.json" \
        --quiet "$@" >"$TMP/emu.out" 2>"$TMP/emu.err" &
    EMU_PID=$!
    local i
    for i in $(seq 1 600); do
        if grep -q '^EMU READY' "$TMP/emu.out" 2>/dev/null; then
            EMU_PORT=$(sed -n 's/^EMU READY port=\([0-9]*\).*/\1/p' "$TMP/emu.out")
            return 0
        fi
        kill -0 "$EMU_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "emulator did not come up:" >&2
    cat "$TMP/emu.err" >&2
    exit 1
}

# emu_stop: SIGTERM, wait; fails the test if the harness saw a warning, a fault or a bad
# check (its exit status), and shows why.
emu_stop() {
    kill -TERM "$EMU_PID"
    local rc=0
    wait "$EMU_PID" || rc=$?
    EMU_PID=
    if [ "$rc" != 0 ]; then
        fail "emulator exited $rc"
        sed 's/^/  emu: /' "$TMP/emu.err" >&2
    fi
}

# same A B WHAT: files A and B are byte-identical
same() {
    if cmp -s "$1" "$2"; then ok "$3"; else fail "$3: $1 and $2 differ ($(cmp "$1" "$2" | head -1))"; fi
}

# trace_get KEY: a number from the harness's trace JSON
trace_get() {
    python3 -c "import json,sys; t=json.load(open('$TMP/trace.json')); print(eval('t' + ''.join('[%r]' % k for k in sys.argv[1].split('.'))))" "$1"
}

# random_image FILE SIZE SEED: reproducible pseudo-random contents
random_image() {
    python3 -c "import random,sys; r=random.Random(int(sys.argv[3])); open(sys.argv[1],'wb').write(r.randbytes(int(sys.argv[2])))" "$1" "$2" "$3"
}

finish() {
    echo "$passes passed, $failures failed"
    [ "$failures" = 0 ]
}
