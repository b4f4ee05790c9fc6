# -p flashrom: bad input and the choices flashrom leaves to the user; its log only with -v.
. "$(dirname "$0")/lib.bash"

# a Macronix C2 20 17 answers for several of flashrom's chips: a clear choice, exit 2
run 2 "$CHIPDUMP" -p flashrom:dummy:emulate=MX25L6436 probe
err_has "'MX25L6405D' (chipdump: MX25L6405D)"
err_has "MX25L6436E/MX25L6445E"
err_has "name one with --chip"
# ... and naming one settles it, by chipdump's or by flashrom's name
run 0 "$CHIPDUMP" -p flashrom:dummy:emulate=MX25L6436 probe --json --chip MX25L6436E
[ "$(json_get out 'j["found_as"]')" = "flashrom: Macronix MX25L6436E/MX25L6445E/MX25L6465E/MX25L6473E/MX25L6473F" ] ||
    fail "--chip MX25L6436E: $(json_get out 'j["found_as"]')"
run 0 "$CHIPDUMP" -p flashrom:dummy:emulate=MX25L6436 probe --json --chip MX25L6405D
[ "$(json_get out 'j["chip"]["name"]')" = "MX25L6405D" ] || fail "--chip MX25L6405D"

# --chip naming another chip: exit 2 before anything is read
run 2 "$CHIPDUMP" -p flashrom:dummy:emulate=W25Q128FV read --chip MX25L6405D x.bin
err_has "W25Q128.V"
[ ! -e x.bin ] || fail "read wrote a file after an ID mismatch"
# flashrom's own name for a chip is accepted; an unknown one is not
run 0 "$CHIPDUMP" -p flashrom:dummy:emulate=W25Q128FV probe --chip W25Q128.V
run 2 "$CHIPDUMP" -p flashrom:dummy:emulate=W25Q128FV probe --chip NOSUCH25Q
err_has "unknown chip"

# no chip on the bus: exit 1
run 1 "$CHIPDUMP" -p flashrom:dummy:bus=spi probe
err_has "flashrom finds no chip"

# bad programmer names and parameters: exit 2 naming them
run 2 "$CHIPDUMP" -p flashrom:nosuch probe
err_has "flashrom has no programmer 'nosuch'"
err_has "ch341a_spi"
run 2 "$CHIPDUMP" -p flashrom:dummy:bogus=1 probe
err_has "bogus=1"
run 2 "$CHIPDUMP" -p flashrom: probe
err_has "which flashrom programmer"

# flashrom's log: nothing by default, its lines with -v
run 0 "$CHIPDUMP" -p flashrom:dummy:emulate=W25Q128FV probe
grep -q "flashrom: " err && fail "flashrom's log reached the terminal without -v"
run 0 "$CHIPDUMP" -v -p flashrom:dummy:emulate=W25Q128FV probe
err_has 'flashrom: Found Winbond flash chip "W25Q128.V"'

finish
