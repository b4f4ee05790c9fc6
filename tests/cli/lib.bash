# Shared helpers for tests/cli/*.sh (sourced, not run by ctest itself).
set -u
: "${CHIPDUMP:?set CHIPDUMP to the chipdump binary}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
export CHIPDUMP_PROGRAMMER=
failures=0

# The programmer the end-to-end scripts run on: sim (default) or, through the CH341A packet
# path, CHIPDUMP_TEST_PROGRAMMER=ch341a:emulate (tests/CMakeLists.txt runs both).
PROG=${CHIPDUMP_TEST_PROGRAMMER:-sim}

# spec [PARAMS]: the -p argument for the chosen programmer, e.g. spec image=X.bin gives
# sim:image=X.bin or ch341a:emulate,image=X.bin
spec() {
    case "$PROG" in
    *:*) echo "$PROG${1:+,$1}" ;;
    *) echo "$PROG${1:+:$1}" ;;
    esac
}

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS cmd...: runs cmd, stdout -> $TMP/out, stderr -> $TMP/err
run() {
    local want=$1
    shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "'$*' exited $got, expected $want"
        sed 's/^/  stderr: /' "$TMP/err" >&2
    fi
}

# err_has TEXT: stderr of the last run contains TEXT
err_has() {
    grep -qF -- "$1" "$TMP/err" || { fail "stderr lacks '$1'"; sed 's/^/  stderr: /' "$TMP/err" >&2; }
}

out_has() {
    grep -qF -- "$1" "$TMP/out" || { fail "stdout lacks '$1'"; sed 's/^/  stdout: /' "$TMP/out" >&2; }
}

# random_file PATH BYTES: reproducible pseudo-random content that is neither 00 nor FF-only
random_file() {
    head -c "$2" /dev/urandom >"$1"
}

same() {
    cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures failure(s)" >&2
        exit 1
    fi
    echo "ok"
    exit 0
}

json_get() { # json_get FILE PYTHON_EXPR  (the JSON is `j`)
    python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}
