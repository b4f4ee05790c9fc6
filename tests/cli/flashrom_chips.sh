# The database next to flashrom's chip list: breadth, agreement, and what a disagreement looks like.
. "$(dirname "$0")/lib.bash"

run 0 "$CHIPDUMP" chips --json
n=$(json_get out 'len([c for c in j if c["type"] == "nor"])')
[ "$n" -ge 300 ] || fail "chips --json lists $n NOR chips, fewer than 300"

run 0 "$CHIPDUMP" chips check --against-flashrom
out_has "are database rows of the same size"

# a row whose size contradicts flashrom fails the check, naming file, line and both sizes
cat >bad.ini <<'INI'
[W25Q128JV]
vendor = Winbond
type = nor
id = EF 40 18
size = 8M
page = 256
erase = 4K:20 64K:D8
voltage = 2.7-3.6
source = test row with the wrong size
INI
run 2 "$CHIPDUMP" --chipdb bad.ini chips check --against-flashrom
err_has "bad.ini:1: W25Q128JV is 8192 KiB but flashrom's Winbond W25Q128.V is 16384 KiB"

finish
