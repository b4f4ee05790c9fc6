# Every bad-input case of the Foundation issue: message, exit status, nothing lost.
. "$(dirname "$0")/lib.bash"

random_file X.bin $((16 * 1024 * 1024))
sum_x=$(sha256sum X.bin)

# unknown chip: exit 2, closest names listed, no output file, device untouched
run 2 "$CHIPDUMP" -p sim:image=new.bin read --chip W25Q129 out.bin
err_has "W25Q129"
err_has "W25Q128JV"
[ ! -e out.bin ] || fail "output file created for an unknown chip"
[ ! -e new.bin ] || fail "programmer opened for an unknown chip"

# ambiguous prefix with different geometry: exit 2 listing candidates
run 2 "$CHIPDUMP" -p sim:image=X.bin probe --chip W25Q
err_has "W25Q16"

# probed ID contradicts --chip: exit 2 naming both; --force goes on
run 2 "$CHIPDUMP" -p sim:chip=W25Q128JV,image=X.bin read --chip MX25L12835F out.bin
err_has "W25Q128JV"
err_has "MX25L12835F"
[ ! -e out.bin ] || fail "output written despite ID mismatch"
run 0 "$CHIPDUMP" -p sim:chip=W25Q128JV,image=X.bin read --chip MX25L12835F --force out.bin
same out.bin X.bin
rm -f out.bin out.bin.json

# an ID shared by rows that differ only in erase sizes (W25Q16JV / S25FL016K answer EF 40 15):
# reading picks the Winbond row and says so; erasing or writing wants --chip
run 0 "$CHIPDUMP" -p sim:chip=W25Q16JV,image=q16.bin read q16.out
err_has "S25FL016K"
[ "$(json_get q16.out.json 'j["chip"]')" = W25Q16JV ] || fail "shared ID read as the wrong row"
run 2 "$CHIPDUMP" -p sim:chip=W25Q16JV,image=q16.bin erase
err_has "--chip"
run 0 "$CHIPDUMP" -p sim:chip=W25Q16JV,image=q16.bin erase --chip W25Q16JV

# image size != chip size on write/verify: exit 2 with both sizes, chip untouched
random_file small.bin 1000000
run 2 "$CHIPDUMP" -p sim:image=X.bin write --chip W25Q128 --no-backup small.bin
err_has "1000000"
err_has "16777216"
run 2 "$CHIPDUMP" -p sim:image=X.bin verify --chip W25Q128 small.bin
err_has "1000000"
[ "$(sha256sum X.bin)" = "$sum_x" ] || fail "chip changed by a refused write"

# malformed chipdb row: exit 2 with file:line and the field
cat >bad.ini <<'INI'
[GOODCHIP1]
vendor = Test
type = nor
id = 11 22 33
size = 1M
page = 256
erase = 4K:20 64K:D8
voltage = 2.7-3.6
source = test

[BADCHIP]
vendor = Test
type = nor
id = 11 22 34
size = 1Q
page = 256
erase = 4K:20
voltage = 2.7-3.6
source = test
INI
run 2 "$CHIPDUMP" --chipdb bad.ini chips
err_has "bad.ini:15"
err_has "size"

# unwritable output directory: exit 1 before any read starts (the sim image is not even
# opened, so it is not created)
mkdir ro
chmod 0555 ro
if [ "$(id -u)" = 0 ]; then target=notadir.bin/out.bin; : >notadir.bin; else target=ro/out.bin; fi
run 1 "$CHIPDUMP" -p sim:image=fresh.bin read --chip W25Q128 "$target"
[ ! -e fresh.bin ] || fail "read started although the output directory is unusable"

# SIGINT during a read: no file under the final name, no temporary left behind
"$CHIPDUMP" -p sim:image=X.bin,throttle=4096 read --chip W25Q128 --no-progress slow.bin \
    2>"$TMP/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
st=$?
[ "$st" = 1 ] || fail "interrupted read exited $st, expected 1"
[ ! -e slow.bin ] || fail "interrupted read left slow.bin"
ls slow.bin* 2>/dev/null && fail "interrupted read left a temporary file"
err_has "interrupted"

# verify mismatch: exit 1 with the first differing offset
cp X.bin V.bin
printf 'AB' | dd of=V.bin bs=1 seek=4097 conv=notrunc status=none
cmp -s X.bin V.bin || {
    run 1 "$CHIPDUMP" -p sim:image=X.bin verify --chip W25Q128 V.bin
    first=$(cmp X.bin V.bin | sed -n 's/.*byte \([0-9]*\).*/\1/p')
    err_has "$(printf '0x%x' $((first - 1)))"
}

# unknown option / command / missing argument: exit 2
run 2 "$CHIPDUMP" --bogus chips
run 2 "$CHIPDUMP" frobnicate
run 2 "$CHIPDUMP" -p sim read --chip W25Q128
# unknown programmer and bad --range
run 2 "$CHIPDUMP" -p nosuch probe --chip W25Q128
run 2 "$CHIPDUMP" -p sim:image=X.bin read --chip W25Q128 --range 0xFFFFFF:2 r.bin
[ ! -e r.bin ] || fail "bad range left an output file"
# sim image of the wrong size
random_file odd.bin 12345
run 2 "$CHIPDUMP" -p sim:image=odd.bin probe --chip W25Q128
err_has "12345"

finish
