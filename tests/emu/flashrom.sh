#!/bin/bash
# Unmodified flashrom (Debian's) drives the emulated board over serprog-on-TCP: probe, read,
# write, verify a 2 MiB W25Q16JV; the chip model's backing image is checked after each step.
. "$(dirname "$0")/lib.sh"
command -v flashrom >/dev/null || { echo "flashrom not installed: skipped"; exit 0; }

random_image a.bin 2097152 1
# b.bin: a.bin with one 4 KiB sector, a 64 KiB block and a single page changed (flashrom
# erases and programs only what differs, which keeps the emulated run short)
python3 - <<'PY'
import random
b = bytearray(open('a.bin', 'rb').read())
r = random.Random(2)
b[0x1000:0x2000] = r.randbytes(0x1000)
b[0x40000:0x50000] = r.randbytes(0x10000)
b[0x1ff00:0x20000] = bytes(0x100)
open('b.bin', 'wb').write(b)
PY

emu_start W25Q16JV --image a.bin --save chip.bin
FR="flashrom -p serprog:ip=127.0.0.1:$EMU_PORT"

if $FR >fr.out 2>&1 && grep -q 'Found Winbond flash chip "W25Q16.V" (2048 kB, SPI)' fr.out; then
    ok "flashrom probe finds W25Q16.V"
else
    fail "flashrom probe"; sed 's/^/  flashrom: /' fr.out >&2
fi
grep -q 'serprog: Programmer name is "' fr.out && ok "flashrom reads the programmer name" ||
    fail "no programmer name in flashrom's output"

if $FR -c W25Q16.V -r read.bin >fr.out 2>&1; then same read.bin a.bin "flashrom read = chip contents"
else fail "flashrom read"; sed 's/^/  flashrom: /' fr.out >&2; fi

if $FR -c W25Q16.V -v b.bin >fr.out 2>&1; then fail "flashrom verify of a different image passed"
else ok "flashrom verify of a different image fails"; fi

if $FR -c W25Q16.V -w b.bin >fr.out 2>&1; then ok "flashrom write"
else fail "flashrom write"; sed 's/^/  flashrom: /' fr.out >&2; fi

if $FR -c W25Q16.V -v b.bin >fr.out 2>&1; then ok "flashrom verify after write"
else fail "flashrom verify after write"; sed 's/^/  flashrom: /' fr.out >&2; fi

emu_stop
same chip.bin b.bin "the chip model holds the written image"
[ "$(trace_get model.ignored_no_wel)" = 0 ] && ok "no program/erase without WREN" ||
    fail "$(trace_get model.ignored_no_wel) program/erase commands without WREN"
[ "$(trace_get model.ignored_busy)" = 0 ] && ok "no command while busy" ||
    fail "$(trace_get model.ignored_busy) commands sent while the chip was busy"
finish
