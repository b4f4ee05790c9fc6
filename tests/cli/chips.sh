# chips listing, show, --json, check, name matching, user chipdb additions.
. "$(dirname "$0")/lib.bash"

run 0 "$CHIPDUMP" chips --json
python3 - "$TMP/out" <<'PY' || fail "chips --json content"
import json, sys
chips = json.load(open(sys.argv[1]))
nor = [c for c in chips if c["type"] == "nor"]
assert len(nor) >= 80, len(nor)
for c in chips:
    for k in ("name", "vendor", "type", "jedec_id", "size"):
        assert k in c, (c.get("name"), k)
w = [c for c in chips if c["name"] == "W25Q128JV"][0]
assert w["jedec_id"] == "EF4018" and w["size"] == 16777216, w
PY

run 0 "$CHIPDUMP" chips W25Q128
out_has "W25Q128JV"
run 0 "$CHIPDUMP" chips show w25q128
out_has "W25Q128JV"
out_has "EF4018"
run 0 "$CHIPDUMP" chips show MX25L12845E   # an alias
out_has "C22018"
run 2 "$CHIPDUMP" chips show NOSUCHCHIP
run 0 "$CHIPDUMP" chips check
out_has "rows OK"

# a user file adds a chip and can replace a built-in row
mkdir -p "$HOME/.config/chipdump/chipdb.d"
cat >"$HOME/.config/chipdump/chipdb.d/mine.ini" <<'INI'
[TESTCHIP25X]
vendor = Test
type = nor
id = 7F 7F 01
size = 1M
page = 256
erase = 4K:20 64K:D8
voltage = 2.7-3.6
source = test row
INI
run 0 "$CHIPDUMP" chips show TESTCHIP25X
out_has "1 MiB"
rm -rf "$HOME/.config/chipdump"
run 2 "$CHIPDUMP" chips show TESTCHIP25X
finish
