# chipdump split: the layout, one file per partition, layout.json, and every bad input.
. "$(dirname "$0")/lib.bash"
DATA="$CHIPDUMP_SOURCE_DIR/tests/data/mtd"

# ---- the seed table: printed layout and --json ----
run 0 "$CHIPDUMP" split --mtd-table "$DATA/seed-nand-128m/mtd.txt"
out_has "firmware         0x00380000"
grep -q '^  12  linux            0x0038001c  0x0041ffe4  0x007a0000  firmware' "$TMP/out" ||
    fail "linux row wrong: $(grep linux "$TMP/out")"
run 0 "$CHIPDUMP" split --json --mtd-table "$DATA/seed-nand-128m/mtd.txt"
python3 - "$TMP/out" <<'PY' || fail "seed --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["flash_size"] == 0x8000000, j["flash_size"]
p = {x["index"]: x for x in j["partitions"]}
assert p[11]["offset"] == 0x380000 and p[11]["parent"] is None
assert p[12]["offset"] == 0x38001c and p[12]["parent"] == 11 and p[12]["certain"] is True
assert p[13]["offset"] == 0x7a0000 and p[13]["parent"] == 11 and p[13]["size"] == 0x7860000
for x in j["partitions"]:
    for k in ("index", "name", "offset", "size", "erasesize", "parent", "chip", "method", "certain"):
        assert k in x, k
PY

# ---- the seed box with its 128 MiB dump (sparse): TRX header and UBI where the layout says
truncate -s 128M seed.bin
python3 - <<'PY'
import struct
f = open("seed.bin", "r+b")
f.seek(0x380000)   # TRX: magic, length, crc, flags/version, offset[3] = 0x1c, 0x420000, 0
f.write(b"HDR0" + struct.pack("<IIHHIII", 0x7c80000, 0, 0, 1, 0x1c, 0x420000, 0))
f.seek(0x7a0000)
f.write(b"UBI#")
PY
run 0 "$CHIPDUMP" split --mtd-table "$DATA/seed-nand-128m/mtd.txt" seed.bin -o seed
python3 - <<'PY' || fail "seed split"
import json, os
j = json.load(open("seed/layout.json"))
p = {x["index"]: x for x in j["partitions"]}
assert (p[11]["offset"], p[12]["offset"], p[13]["offset"]) == (0x380000, 0x38001c, 0x7a0000)
assert p[12]["parent"] == 11 and p[13]["parent"] == 11
assert p[11]["content"] == "TRX" and p[13]["content"] == "UBI"
assert os.path.getsize("seed/mtd12_linux.bin") == 0x41ffe4
assert open("seed/mtd13_ubi.bin", "rb").read(4) == b"UBI#"
assert sorted(os.listdir("seed")) == sorted([x["file"] for x in j["partitions"]] + ["layout.json"])
PY
rm -rf seed seed.bin

# ---- an image: a 4 MiB NOR with a ramips-style table, every byte traceable ----
cat >mtd.txt <<'EOF'
root@OpenWrt:~# cat /proc/mtd
dev:    size   erasesize  name
mtd0: 00030000 00010000 "u-boot"
mtd1: 00010000 00010000 "../../escape"
mtd2: 00010000 00010000 "factory"
mtd3: 003b0000 00010000 "firmware"
mtd4: 0015a2c4 00010000 "kernel"
mtd5: 00255d3c 00010000 "rootfs"
mtd6: 00120000 00010000 "rootfs_data"
EOF
python3 - <<'PY'
import os
img = bytearray(os.urandom(4 << 20))
img[0x50000:0x50004] = bytes.fromhex("27051956")          # uImage at firmware
img[0x50000 + 0x15a2c4:0x50000 + 0x15a2c4 + 4] = b"hsqs" # squashfs where rootfs starts
open("nor.bin", "wb").write(img)
PY
run 0 "$CHIPDUMP" split --mtd-table mtd.txt nor.bin -o parts
for f in mtd0_u-boot mtd1_.._.._escape mtd2_factory mtd3_firmware mtd4_kernel mtd5_rootfs \
    mtd6_rootfs_data; do
    [ -f "parts/$f.bin" ] || fail "parts/$f.bin missing"
done
[ ! -e escape.bin ] && [ ! -e ../escape.bin ] || fail "a name escaped the output directory"
ls parts | grep -qv '\.bin$\|^layout.json$' && fail "unexpected files: $(ls parts)"
python3 - <<'PY' || fail "partition files do not match the image slices"
import hashlib, json
img = open("nor.bin", "rb").read()
j = json.load(open("parts/layout.json"))
assert j["flash_size"] == 4 << 20
for p in j["partitions"]:
    data = open("parts/" + p["file"], "rb").read()
    assert data == img[p["offset"]:p["offset"] + p["size"]], p["name"]
    assert hashlib.sha256(data).hexdigest() == p["sha256"], p["name"]
    assert p["certain"], p["name"]
byname = {p["name"]: p for p in j["partitions"]}
assert byname["rootfs"]["offset"] == 0x50000 + 0x15a2c4
assert byname["rootfs"]["content"] == "squashfs"
assert byname["rootfs_data"]["offset"] == 0x400000 - 0x120000
assert j["images"][0]["sha256"] == hashlib.sha256(img).hexdigest()
PY
# existing files: nothing is overwritten without --force
before=$(sha256sum parts/* | sha256sum)
run 2 "$CHIPDUMP" split --mtd-table mtd.txt nor.bin -o parts
err_has "already exists"
[ "$(sha256sum parts/* | sha256sum)" = "$before" ] || fail "files changed without --force"
run 0 "$CHIPDUMP" split --force --mtd-table mtd.txt nor.bin -o parts
ls parts/*partial* 2>/dev/null && fail "temporary files left behind"

# ---- an image shorter than the layout: exit 2 naming the first partition that does not fit
head -c $((3 << 20)) nor.bin >short.bin
run 2 "$CHIPDUMP" split --mtd-table mtd.txt --flash-size 4M short.bin -o short
err_has "--flash-size says chip 0 has 0x400000"
run 2 "$CHIPDUMP" split --mtd-table mtd.txt --mtdparts 'spi0.0:192k(u-boot),64k(../../escape),64k(factory),3776k(firmware)' short.bin -o short
err_has 'mtd3 "firmware"'
err_has "shorter than the layout"
[ ! -e short ] || [ -z "$(ls short)" ] || fail "files written for a short image"

# ---- uncertain offsets: not written without --guess, exit 1, the rest written ----
cat >gap.txt <<'EOF'
mtd0: 00040000 00010000 "u-boot"
mtd1: 003c0000 00010000 "firmware"
mtd2: 00100000 00010000 "kernel"
mtd3: 002b0000 00010000 "rootfs"
EOF
head -c $((4 << 20)) /dev/zero | tr '\0' '\314' >cc.bin
run 1 "$CHIPDUMP" split --mtd-table gap.txt cc.bin -o g1
err_has 'mtd2 "kernel"'
err_has "--guess"
[ ! -e g1/mtd2_kernel.bin ] || fail "uncertain partition written"
[ -f g1/mtd3_rootfs.bin ] && [ -f g1/layout.json ] || fail "certain partitions not written"
json_get g1/layout.json '[p for p in j["partitions"] if p["name"]=="kernel"][0]["file"] is None' |
    grep -q True || fail "layout.json lists a file for the uncertain kernel"
run 0 "$CHIPDUMP" split --guess --mtd-table gap.txt cc.bin -o g2
[ -f g2/mtd2_kernel.bin ] || fail "--guess did not write the uncertain partition"
# a boot log settles it: exact offsets override the guess
cat >dmesg.txt <<'EOF'
[    0.80] Creating 2 MTD partitions on "spi0.0":
[    0.81] 0x000000000000-0x000000040000 : "u-boot"
[    0.82] 0x000000040000-0x000000400000 : "firmware"
[    0.83] 2 uimage-fw partitions found on MTD device firmware
[    0.84] Creating 2 MTD partitions on "firmware":
[    0.85] 0x000000000000-0x000000100000 : "kernel"
[    0.86] 0x000000110000-0x0000003c0000 : "rootfs"
EOF
run 0 "$CHIPDUMP" split --mtd-table gap.txt --dmesg dmesg.txt --json
python3 -c 'import json,sys; p={x["name"]:x for x in json.load(open(sys.argv[1]))["partitions"]};
assert p["kernel"]["offset"]==0x40000 and p["kernel"]["method"]=="dmesg" and p["kernel"]["certain"]' \
    "$TMP/out" || fail "boot log did not pin the kernel"

# ---- bad input ----
printf 'mtd0: 00040000 00010000 "u-boot"\nthis is not a table\n' >bad.txt
run 2 "$CHIPDUMP" split --mtd-table bad.txt
err_has "bad.txt:2"
err_has "expected a /proc/mtd line"
run 2 "$CHIPDUMP" split --mtd-table "$DATA/seed-nand-128m/mtd.txt" --flash-size 64M
err_has "fits nowhere"
err_has "mtd11 \"firmware\""
run 2 "$CHIPDUMP" split --mtdparts 'spi0.0:256k(u-boot),-(firmware'
err_has "column"
run 2 "$CHIPDUMP" split --dmesg mtd.txt
err_has "no partition lines"
run 2 "$CHIPDUMP" split
err_has "--mtd-table"
run 2 "$CHIPDUMP" split --mtd-table missing.txt
run 2 "$CHIPDUMP" split --mtd-table mtd.txt --flash-size 4Q

# ---- SPI-NAND page+OOB dump (geometry from its manifest): files keep their pages' OOB ----
python3 - <<'PY'
import json, os
page, oob, ppb, blocks = 2048, 64, 64, 32           # a 4 MiB test chip
raw = bytearray()
for p in range(ppb * blocks):
    raw += bytes([p & 0xff]) * page + bytes([0xa0 | (p & 0xf)]) * oob
open("nand.bin", "wb").write(raw)
json.dump({"file": "nand.bin", "chip": "TEST", "type": "nand", "size": page * ppb * blocks,
           "page_size": page, "offset": 0, "length": page * ppb * blocks,
           "nand": {"layout": "data+oob", "oob_size": oob, "pages_per_block": ppb,
                    "blocks": blocks, "bad_blocks_policy": "in place", "bad_blocks": [5]}},
          open("nand.bin.json", "w"))
open("nand-mtd.txt", "w").write('mtd0: 00100000 00020000 "boot"\n'
                                'mtd1: 00300000 00020000 "firmware"\n'
                                'mtd2: 0007ffe4 00020000 "linux"\n'
                                'mtd3: 00280000 00020000 "ubi"\n')
PY
run 0 "$CHIPDUMP" split --mtd-table nand-mtd.txt nand.bin -o nparts
python3 - <<'PY' || fail "NAND files"
import json
raw = open("nand.bin", "rb").read()
j = json.load(open("nparts/layout.json"))
p = {x["name"]: x for x in j["partitions"]}
stride = 2048 + 64
fw = open("nparts/mtd1_firmware.bin", "rb").read()
assert fw == raw[0x100000 // 2048 * stride:0x400000 // 2048 * stride]
assert p["firmware"]["file_layout"] == "data+oob"
assert p["boot"]["bad_blocks"] == [5] and p["firmware"]["bad_blocks"] == []
lin = open("nparts/mtd2_linux.bin", "rb").read()        # not page aligned: data only
assert p["linux"]["offset"] == 0x10001c and p["linux"]["file_layout"] == "data"
data = b"".join(raw[i * stride:i * stride + 2048] for i in range(len(raw) // stride))
assert lin == data[0x10001c:0x10001c + 0x7ffe4]
assert j["images"][0]["layout"] == "data+oob"
PY
# without a manifest: --oob with the geometry given on the command line
mv nand.bin.json nand.json.saved
run 0 "$CHIPDUMP" split --mtd-table nand-mtd.txt --oob --page-size 2048 --oob-size 64 nand.bin -o nparts3
cmp -s nparts3/mtd1_firmware.bin nparts/mtd1_firmware.bin || fail "--oob without a manifest"
run 2 "$CHIPDUMP" split --mtd-table nand-mtd.txt --oob nand.bin -o nparts4
err_has "--page-size"
run 2 "$CHIPDUMP" split --mtd-table nand-mtd.txt --oob --page-size 2Q --oob-size 64 nand.bin
err_has "--page-size"
mv nand.json.saved nand.bin.json
# a dump that skipped bad blocks cannot be cut by offsets
python3 -c 'import json; m=json.load(open("nand.bin.json")); m["nand"]["bad_blocks_policy"]="skipped"; json.dump(m, open("nand.bin.json","w"))'
run 2 "$CHIPDUMP" split --mtd-table nand-mtd.txt nand.bin -o nparts2
err_has "bad blocks skipped"

# ---- two chips, two images (NOR boot flash + NAND), indices unique ----
cat >two.txt <<'EOF'
mtd0: 00040000 00010000 "u-boot"
mtd1: 003c0000 00010000 "nor_firmware"
mtd2: 00400000 00020000 "ubi"
EOF
head -c $((4 << 20)) /dev/urandom >n1.bin
head -c $((4 << 20)) /dev/urandom >n2.bin
run 0 "$CHIPDUMP" split --mtd-table two.txt n1.bin n2.bin -o two
cmp -s two/mtd2_ubi.bin n2.bin || fail "chip 1's partition not cut from the second image"
run 2 "$CHIPDUMP" split --mtd-table two.txt n1.bin -o two1
err_has "one image per chip"

finish
