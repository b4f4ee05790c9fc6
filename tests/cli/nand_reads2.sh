# SPI-NAND reads through a marginal clip: bus noise is invisible to on-die ECC, so with
# --reads 2 every page is read twice and pages that differ are read again until two agree.
. "$(dirname "$0")/lib.bash"

cat >small.ini <<'INI'
[TN4M]
vendor = Test
type = nand
id = EF AA 7E
read_id = dummy
page = 2048
oob = 64
pages_per_block = 64
blocks = 32
ecc = 1/512
ecc_status = generic
voltage = 2.7-3.6
source = test row
INI
DB="--chipdb small.ini"
N="--no-progress"
RP=2112
head -c $((32 * 64 * 2048)) /dev/urandom >d.bin
run 0 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=c.bin write $N --no-backup d.bin

# three noisy reads of page 100's data, then a clean bus: the page settles
run 0 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=c.bin,faults=noise:$((RP * 100)):2048:3 read $N --reads 2 r.bin
same r.bin d.bin
[ "$(json_get r.bin.json 'j["reads"]')" = 2 ] || fail "manifest reads"
[ "$(json_get r.bin.json '[(u["offset"], u["resolved"]) for u in j["unstable_blocks"]]')" = "[(204800, True)]" ] ||
    fail "manifest unstable pages: $(json_get r.bin.json 'j["unstable_blocks"]')"
err_has "settled after re-reads"
# without --reads 2 the noise goes into the file unnoticed
run 0 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=c.bin,faults=noise:$((RP * 100)):2048:3 read $N r1.bin
cmp -s r1.bin d.bin && fail "noise did not reach a single read"

# noise on every read: exit 1, the file holds the last read, the manifest names the page
run 1 "$CHIPDUMP" $DB -p sim:chip=TN4M,image=c.bin,faults=noise:$((RP * 7)):16:0 read $N --reads 2 r2.bin
err_has "1 page(s) read differently every time"
[ -f r2.bin ] || fail "no output after unstable reads"
[ "$(json_get r2.bin.json '[(u["offset"], u["resolved"]) for u in j["unstable_blocks"]]')" = "[(14336, False)]" ] ||
    fail "manifest unresolved page"

finish
