#!/bin/bash
# The firmware's answers to bad input, byte by byte (tests/emu/serprog_raw.py): unknown opcodes,
# oversized lengths, SPI clock limits, hosts that vanish mid-command and mid-stream. The
# harness also checks chip select is released after every disconnect.
. "$(dirname "$0")/lib.sh"
emu_start W25Q16JV
python3 "$(dirname "$0")/serprog_raw.py" "$EMU_PORT" protocol >raw.out 2>&1 || true
cat raw.out
passes=$((passes + $(grep -c '^ok:' raw.out)))
failures=$((failures + $(grep -c '^FAIL:' raw.out)))
grep -q '^ok:' raw.out || fail "the raw client did not run: $(tail -3 raw.out)"
grep -q Traceback raw.out && fail "the raw client crashed"
emu_stop
held=$(trace_get cs_held_after_disconnect)
[ "$held" = 0 ] && ok "chip select released after each disconnect" ||
    fail "chip select still low 20 ms after $held disconnect(s)"
finish
