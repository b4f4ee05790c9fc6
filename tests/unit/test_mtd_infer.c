/*
 * Unit tests: offset inference and its certainty, exact sources overriding it, settling
 * doubts by what the image holds, and the errors for tables that cannot be laid out.
 * Images are built here byte by byte (0xCC filler, the kernel's magics where it looks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chipdump/error.h"
#include "chipdump/mtd.h"

#define K 1024ULL
#define M (1024ULL * 1024ULL)

struct fx {
    struct cd_mtd_table t;
    struct cd_mtd_exact d, m;
    struct cd_mtd_opts o;
    struct cd_mtd_layout *l;
    uint8_t *img;
};

static void fx_free(struct fx *f)
{
    cd_mtd_layout_free(f->l);
    if (f->o.table)
        cd_mtd_table_free(&f->t);
    if (f->o.dmesg)
        cd_mtd_exact_free(&f->d);
    if (f->o.mtdparts)
        cd_mtd_exact_free(&f->m);
    free(f->img);
    memset(f, 0, sizeof(*f));
}

static void with_table(struct fx *f, const char *text)
{
    assert_int_equal(cd_mtd_parse_proc(text, strlen(text), "mtd.txt", &f->t), CD_OK);
    f->o.table = &f->t;
}

static void with_dmesg(struct fx *f, const char *text)
{
    assert_int_equal(cd_mtd_parse_dmesg(text, strlen(text), "dmesg.txt", &f->d), CD_OK);
    f->o.dmesg = &f->d;
}

static void with_mtdparts(struct fx *f, const char *s)
{
    assert_int_equal(cd_mtd_parse_mtdparts(s, &f->m), CD_OK);
    f->o.mtdparts = &f->m;
}

static uint8_t *with_image(struct fx *f, uint64_t size)
{
    f->img = malloc(size);
    assert_non_null(f->img);
    memset(f->img, 0xCC, size);
    f->o.image[0] = f->img;
    f->o.image_len[0] = size;
    f->o.chip_size[0] = size;
    f->o.chip_size_source[0] = CD_MTD_SIZE_IMAGE;
    return f->img;
}

static int build(struct fx *f)
{
    return cd_mtd_layout_build(&f->o, &f->l);
}

static const struct cd_mtd_part *part(const struct fx *f, const char *name)
{
    const struct cd_mtd_part *p = NULL;
    assert_int_equal(cd_mtd_find(f->l, name, &p), CD_OK);
    return p;
}

static void expect(const struct fx *f, const char *name, uint64_t off, bool certain)
{
    const struct cd_mtd_part *p = part(f, name);
    if (p->certain != certain || (certain && p->offset != off))
        fail_msg("%s: got 0x%llx %s (%s: %s), want 0x%llx %s", name, (unsigned long long)p->offset,
                 p->certain ? "certain" : "uncertain", cd_mtd_method_name(p->method), p->note,
                 (unsigned long long)off, certain ? "certain" : "uncertain");
}

static bool any_message(const struct fx *f, const char *s)
{
    for (size_t i = 0; i < f->l->nmessages; i++)
        if (strstr(f->l->messages[i], s))
            return true;
    return false;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The OpenWrt ramips shape: fixed top level, uimage split, squashfs split. */
static void test_ramips(void **state)
{
    (void)state;
    struct fx f = {0};
    char tbl[1024];
    /* rootfs = firmware - kernel, made explicit here so the sizes stay consistent */
    snprintf(tbl, sizeof(tbl),
             "dev:    size   erasesize  name\n"
             "mtd0: 00030000 00010000 \"u-boot\"\n"
             "mtd1: 00010000 00010000 \"u-boot-env\"\n"
             "mtd2: 00010000 00010000 \"factory\"\n"
             "mtd3: 00fb0000 00010000 \"firmware\"\n"
             "mtd4: 001d23a8 00010000 \"kernel\"\n"
             "mtd5: %08llx 00010000 \"rootfs\"\n"
             "mtd6: 00a00000 00010000 \"rootfs_data\"\n",
             0xfb0000ULL - 0x1d23a8ULL);
    with_table(&f, tbl);
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "firmware", 0x50000, true);
    expect(&f, "kernel", 0x50000, true);
    expect(&f, "rootfs", 0x50000 + 0x1d23a8, true);
    expect(&f, "rootfs_data", 0x1000000 - 0xa00000, true);
    assert_int_equal(part(&f, "rootfs_data")->method, CD_MTD_TAIL);
    assert_string_equal(f.l->parts[part(&f, "rootfs")->parent].name, "firmware");
    assert_int_equal(f.l->chips[0].size, 16 * M);
    assert_int_equal(f.l->chips[0].size_source, CD_MTD_SIZE_TILING);
    assert_true(f.l->certain);
    fx_free(&f);
}

static void test_firmware_listed_last(void **state)
{
    (void)state;
    /* old ar71xx cmdline: firmware alias after art; kernel's parent is firmware */
    struct fx f = {0};
    with_table(&f, "mtd0: 00020000 00010000 \"u-boot\"\n"
                   "mtd1: 00100000 00010000 \"kernel\"\n"
                   "mtd2: 002d0000 00010000 \"rootfs\"\n"
                   "mtd3: 00010000 00010000 \"art\"\n"
                   "mtd4: 003d0000 00010000 \"firmware\"\n");
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "firmware", 0x20000, true);
    assert_int_equal(part(&f, "firmware")->method, CD_MTD_ALIAS);
    expect(&f, "art", 0x3f0000, true);
    assert_string_equal(f.l->parts[part(&f, "kernel")->parent].name, "firmware");
    assert_string_equal(f.l->parts[part(&f, "rootfs")->parent].name, "firmware");
    fx_free(&f);
}

static void test_late_rootfs_data(void **state)
{
    (void)state;
    /* old brcm47xx kernels registered rootfs_data after nvram, not right after rootfs; the
     * TRX's rootfs ends where "linux" ends and starts wherever the squashfs does */
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"cfe\"\n"
                   "mtd1: 003b0000 00010000 \"linux\"\n"
                   "mtd2: 002d6000 00010000 \"rootfs\"\n"
                   "mtd3: 00010000 00010000 \"nvram\"\n"
                   "mtd4: 00140000 00010000 \"rootfs_data\"\n");
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "rootfs", 0x3f0000 - 0x2d6000, true);
    expect(&f, "nvram", 0x3f0000, true);
    expect(&f, "rootfs_data", 0x3f0000 - 0x140000, true);
    assert_string_equal(f.l->parts[part(&f, "rootfs_data")->parent].name, "rootfs");
    fx_free(&f);
}

static void test_gap_is_uncertain(void **state)
{
    (void)state;
    /* children leave 0x10000 of firmware: header in front or gap between? The rootfs at the
     * end is certain either way, the kernel is not */
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 003c0000 00010000 \"firmware\"\n"
                   "mtd2: 00100000 00010000 \"kernel\"\n"
                   "mtd3: 002b0000 00010000 \"rootfs\"\n");
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "firmware", 0x40000, true);
    expect(&f, "kernel", 0, false);
    expect(&f, "rootfs", 0x150000, true);
    assert_false(f.l->certain);
    assert_true(any_message(&f, "--dmesg"));
    assert_non_null(strstr(part(&f, "kernel")->note, "gap"));
    fx_free(&f);

    /* the image settles it the way mtdsplit_uimage would: the uImage starts firmware */
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 003c0000 00010000 \"firmware\"\n"
                   "mtd2: 00100000 00010000 \"kernel\"\n"
                   "mtd3: 002b0000 00010000 \"rootfs\"\n");
    uint8_t *img = with_image(&f, 4 * M);
    put_be32(img + 0x40000, 0x27051956);
    memcpy(img + 0x150000, "hsqs", 4);
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "kernel", 0x40000, true);
    assert_int_equal(part(&f, "kernel")->method, CD_MTD_CONTENT);
    assert_string_equal(part(&f, "rootfs")->content, "squashfs");
    assert_true(f.l->certain);
    fx_free(&f);
}

static void test_trx_header_offsets(void **state)
{
    (void)state;
    /* a TRX with an LZMA loader: loader + linux + rootfs leave 0x1c in front only if the
     * sizes say so; here they leave 0x20, so the rules alone are not sure */
    struct fx f = {0};
    const char *tbl = "mtd0: 00040000 00010000 \"boot\"\n"
                      "mtd1: 003b0000 00010000 \"firmware\"\n"
                      "mtd2: 00000100 00010000 \"loader\"\n"
                      "mtd3: 0011fee0 00010000 \"linux\"\n"
                      "mtd4: 00290000 00010000 \"rootfs\"\n"
                      "mtd5: 00010000 00010000 \"nvram\"\n";
    with_table(&f, tbl);
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "loader", 0, false);
    expect(&f, "linux", 0, false);
    expect(&f, "rootfs", 0x40000 + 0x120000, true);
    fx_free(&f);

    /* with the image: the TRX header's offset[] table places each child exactly */
    with_table(&f, tbl);
    uint8_t *img = with_image(&f, 4 * M);
    uint8_t *trx = img + 0x40000;
    memcpy(trx, "HDR0", 4);
    put_le32(trx + 4, 0x3b0000);
    put_le32(trx + 16, 0x20);
    put_le32(trx + 20, 0x120);
    put_le32(trx + 24, 0x120000);
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "loader", 0x40020, true);
    expect(&f, "linux", 0x40120, true);
    assert_int_equal(part(&f, "linux")->method, CD_MTD_CONTENT);
    assert_non_null(strstr(part(&f, "linux")->note, "TRX header"));
    fx_free(&f);
}

static void test_hole_settled_by_content(void **state)
{
    (void)state;
    /* the partitions cover 0x3f0000 of 4 MiB: a 64 KiB gap somewhere. The image has the
     * uImage and the squashfs one gap later than laid end to end: the gap is before firmware */
    struct fx f = {0};
    const char *tbl = "mtd0: 00040000 00010000 \"u-boot\"\n"
                      "mtd1: 00380000 00010000 \"firmware\"\n"
                      "mtd2: 00100000 00010000 \"kernel\"\n"
                      "mtd3: 00280000 00010000 \"rootfs\"\n"
                      "mtd4: 00010000 00010000 \"art\"\n"
                      "mtd5: 00020000 00010000 \"config\"\n";
    with_table(&f, tbl);
    f.o.chip_size[0] = 4 * M;
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "firmware", 0, false);
    expect(&f, "kernel", 0, false);
    assert_true(any_message(&f, "--dmesg"));
    fx_free(&f);

    with_table(&f, tbl);
    uint8_t *img = with_image(&f, 4 * M);
    put_be32(img + 0x50000, 0x27051956);
    memcpy(img + 0x150000, "hsqs", 4);
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "kernel", 0x50000, true);
    expect(&f, "rootfs", 0x150000, true);
    assert_int_equal(part(&f, "rootfs")->method, CD_MTD_CONTENT);
    expect(&f, "u-boot", 0, false); /* nothing in it to tell */
    fx_free(&f);
}

static void test_exact_sources(void **state)
{
    (void)state;
    /* the boot log pins what it names; the rest follows the rules around it */
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 003c0000 00010000 \"firmware\"\n"
                   "mtd2: 00100000 00010000 \"kernel\"\n"
                   "mtd3: 002b0000 00010000 \"rootfs\"\n");
    with_dmesg(&f, "Creating 2 MTD partitions on \"spi0.0\":\n"
                   "0x000000000000-0x000000040000 : \"u-boot\"\n"
                   "0x000000040000-0x000000400000 : \"firmware\"\n"
                   "2 uimage-fw partitions found on MTD device firmware\n"
                   "Creating 2 MTD partitions on \"firmware\":\n"
                   "0x000000000000-0x000000100000 : \"kernel\"\n"
                   "0x000000110000-0x0000003c0000 : \"rootfs\"\n");
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "kernel", 0x40000, true);
    expect(&f, "rootfs", 0x150000, true);
    assert_int_equal(part(&f, "kernel")->method, CD_MTD_DMESG);
    assert_true(f.l->certain);
    fx_free(&f);

    /* mtdparts with '-' (size from /proc/mtd), children inferred inside */
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 00fc0000 00010000 \"firmware\"\n"
                   "mtd2: 00200000 00010000 \"kernel\"\n"
                   "mtd3: 00dc0000 00010000 \"rootfs\"\n");
    with_mtdparts(&f, "mtdparts=spi0.0:256k(u-boot)ro,-(firmware)");
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "firmware", 0x40000, true);
    assert_int_equal(part(&f, "firmware")->method, CD_MTD_MTDPARTS);
    expect(&f, "rootfs", 0x240000, true);
    assert_int_equal(part(&f, "rootfs")->method, CD_MTD_INSIDE);
    fx_free(&f);

    /* a log from another firmware (kernel size differs): not used for it, and said so */
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 003c0000 00010000 \"firmware\"\n"
                   "mtd2: 00100000 00010000 \"kernel\"\n"
                   "mtd3: 002c0000 00010000 \"rootfs\"\n");
    with_dmesg(&f, "0x000000000000-0x000000040000 : \"u-boot\"\n"
                   "0x000000040000-0x000000400000 : \"firmware\"\n"
                   "0x000000040000-0x000000180000 : \"kernel\"\n");
    assert_int_equal(build(&f), CD_OK);
    assert_true(any_message(&f, "different boots"));
    expect(&f, "kernel", 0x40000, true);
    assert_int_equal(part(&f, "kernel")->method, CD_MTD_INSIDE);
    fx_free(&f);
}

static void test_exact_second_chip_only(void **state)
{
    (void)state;
    /* a log that names only the NAND (the user kept the lines of one device): its offsets
     * still pin the NAND partitions, which sit on the table's second chip */
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 00fc0000 00010000 \"nor_firmware\"\n"
                   "mtd2: 00400000 00020000 \"kernel\"\n"
                   "mtd3: 07c00000 00020000 \"ubi\"\n");
    with_dmesg(&f, "Creating 2 MTD partitions on \"spi0.1\":\n"
                   "0x000000000000-0x000000400000 : \"kernel\"\n"
                   "0x000000400000-0x000008000000 : \"ubi\"\n");
    assert_int_equal(build(&f), CD_OK);
    expect(&f, "ubi", 0x400000, true);
    assert_int_equal(part(&f, "ubi")->chip, 1);
    assert_int_equal(part(&f, "ubi")->method, CD_MTD_DMESG);
    expect(&f, "nor_firmware", 0x40000, true);
    fx_free(&f);
}

static void test_exact_conflict(void **state)
{
    (void)state;
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 00fc0000 00010000 \"firmware\"\n");
    with_dmesg(&f, "0x000000000000-0x000000040000 : \"u-boot\"\n"
                   "0x000000040000-0x000001000000 : \"firmware\"\n");
    with_mtdparts(&f, "mtdparts=spi0.0:256k(u-boot),0xfc0000@0x30000(firmware)");
    assert_int_equal(build(&f), CD_E_BAD_IMAGE);
    assert_non_null(strstr(cd_error_detail(), "firmware"));
    assert_non_null(strstr(cd_error_detail(), "0x30000"));
    fx_free(&f);
}

static void test_cannot_lay_out(void **state)
{
    (void)state;
    /* sum past the flash size */
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 00fc0000 00010000 \"firmware\"\n"
                   "mtd2: 00010000 00010000 \"art\"\n");
    f.o.chip_size[0] = 16 * M;
    assert_int_equal(build(&f), CD_E_BAD_IMAGE);
    assert_non_null(strstr(cd_error_detail(), "mtd2 \"art\""));
    assert_non_null(strstr(cd_error_detail(), "fits nowhere"));
    fx_free(&f);

    /* a child larger than any container */
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 00400000 00010000 \"firmware\"\n"
                   "mtd2: 00800000 00010000 \"kernel\"\n");
    f.o.chip_size[0] = 8 * M;
    assert_int_equal(build(&f), CD_E_BAD_IMAGE);
    assert_non_null(strstr(cd_error_detail(), "\"kernel\""));
    assert_non_null(strstr(cd_error_detail(), "\"firmware\""));
    fx_free(&f);

    /* exact sources that run past the chip */
    with_mtdparts(&f, "mtdparts=spi0.0:1m(a),1m@0x7f0000(b)");
    f.o.chip_size[0] = 8 * M;
    assert_int_equal(build(&f), CD_OK); /* cmdlinepart truncates, and we say so */
    expect(&f, "b", 0x7f0000, true);
    assert_int_equal(part(&f, "b")->size, 0x10000);
    assert_true(any_message(&f, "truncates"));
    fx_free(&f);
}

static void test_conflict_long_names(void **state)
{
    (void)state;
    /* fuzzer find: the conflict message lists every open container; long names are cut */
    char tbl[2048], name[5][80];
    size_t o = 0;
    for (int i = 0; i < 5; i++) {
        snprintf(name[i], sizeof(name[i]), "rootfs_%d_%s", i,
                 "a_very_long_partition_name_that_goes_on_and_on_and_on_forever");
        o += (size_t)snprintf(tbl + o, sizeof(tbl) - o, "mtd%d: %08x 00010000 \"%s\"\n", i,
                              0x80000 >> i, name[i]);
    }
    snprintf(tbl + o, sizeof(tbl) - o, "mtd5: 00100000 00010000 \"x\"\n");
    struct fx f = {0};
    with_table(&f, tbl);
    f.o.chip_size[0] = 1 * M;
    assert_int_equal(build(&f), CD_E_BAD_IMAGE);
    assert_non_null(strstr(cd_error_detail(), "mtd5 \"x\""));
    fx_free(&f);
}

static void test_unplaced(void **state)
{
    (void)state;
    struct fx f = {0};
    with_table(&f, "mtd0: 00100000 00020000 \"boot\"\n"
                   "mtd1: 07f00000 00020000 \"ubi\"\n"
                   "mtd2: 00000000 00020000 \"gone\"\n"
                   "mtd3: 0005d000 0001f000 \"nvram\"\n");
    assert_int_equal(build(&f), CD_OK);
    assert_false(part(&f, "gone")->placed);
    assert_false(part(&f, "nvram")->placed);
    assert_non_null(strstr(part(&f, "nvram")->note, "UBI"));
    expect(&f, "ubi", 0x100000, true);
    assert_true(f.l->certain); /* unplaced partitions have no offset to doubt */
    fx_free(&f);
}

static void test_find(void **state)
{
    (void)state;
    struct fx f = {0};
    with_table(&f, "mtd0: 00020000 00020000 \"POT\"\n"
                   "mtd1: 00060000 00020000 \"POT\"\n"
                   "mtd2: 00780000 00020000 \"Firmware\"\n"
                   "mtd3: 00000000 00020000 \"mtd1\"\n");
    assert_int_equal(build(&f), CD_OK);
    const struct cd_mtd_part *p;
    assert_int_equal(cd_mtd_find(f.l, "POT", &p), CD_E_ARG);
    assert_non_null(strstr(cd_error_detail(), "mtd0, mtd1"));
    assert_int_equal(cd_mtd_find(f.l, "mtd0", &p), CD_OK);
    assert_int_equal(p->size, 0x20000);
    assert_int_equal(cd_mtd_find(f.l, "firmware", &p), CD_OK);
    assert_int_equal(p->index, 2);
    /* a partition literally named "mtd1" wins over the number */
    assert_int_equal(cd_mtd_find(f.l, "mtd1", &p), CD_OK);
    assert_int_equal(p->index, 3);
    assert_int_equal(cd_mtd_find(f.l, "nothing", &p), CD_E_ARG);
    assert_non_null(strstr(cd_error_detail(), "Firmware"));
    fx_free(&f);
}

static void test_json_shape(void **state)
{
    (void)state;
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 00fc0000 00010000 \"firmware\"\n"
                   "mtd2: 00200000 00010000 \"kernel\"\n"
                   "mtd3: 00dc0000 00010000 \"rootfs\"\n");
    assert_int_equal(build(&f), CD_OK);
    char *text = cd_mtd_layout_json(f.l);
    assert_non_null(text);
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    free(text);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "flash_size")), 16 * M);
    json_t *parts = json_object_get(j, "partitions");
    assert_int_equal(json_array_size(parts), 4);
    json_t *k = json_array_get(parts, 2);
    assert_int_equal(json_integer_value(json_object_get(k, "index")), 2);
    assert_string_equal(json_string_value(json_object_get(k, "name")), "kernel");
    assert_int_equal(json_integer_value(json_object_get(k, "offset")), 0x40000);
    assert_int_equal(json_integer_value(json_object_get(k, "size")), 0x200000);
    assert_int_equal(json_integer_value(json_object_get(k, "erasesize")), 0x10000);
    assert_int_equal(json_integer_value(json_object_get(k, "parent")), 1);
    assert_int_equal(json_integer_value(json_object_get(k, "chip")), 0);
    assert_string_equal(json_string_value(json_object_get(k, "method")), "inside");
    assert_true(json_is_true(json_object_get(k, "certain")));
    assert_true(json_is_null(json_object_get(json_array_get(parts, 0), "parent")));
    json_decref(j);
    fx_free(&f);
}

static void test_content_mismatch_reported(void **state)
{
    (void)state;
    struct fx f = {0};
    with_table(&f, "mtd0: 00040000 00010000 \"u-boot\"\n"
                   "mtd1: 003c0000 00010000 \"firmware\"\n"
                   "mtd2: 00100000 00010000 \"kernel\"\n"
                   "mtd3: 002c0000 00010000 \"rootfs\"\n");
    uint8_t *img = with_image(&f, 4 * M);
    put_be32(img + 0x140000, 0x27051956); /* a kernel where rootfs should start */
    assert_int_equal(build(&f), CD_OK);
    assert_true(any_message(&f, "mtd3 \"rootfs\" at 0x140000 starts with uImage"));
    assert_string_equal(part(&f, "rootfs")->content, "uImage");
    fx_free(&f);
}

static void test_big_table_is_fast(void **state)
{
    (void)state;
    /* 48 partitions of a Qualcomm-style NAND table: the search must stay quick */
    char tbl[8192];
    size_t o = 0;
    uint64_t sum = 0;
    for (int i = 0; i < 47; i++) {
        uint64_t sz = (i % 3 + 1) * 0x20000;
        sum += sz;
        o += (size_t)snprintf(tbl + o, sizeof(tbl) - o, "mtd%d: %08llx 00020000 \"0:PART%d\"\n", i,
                              (unsigned long long)sz, i);
    }
    snprintf(tbl + o, sizeof(tbl) - o, "mtd47: %08llx 00020000 \"rootfs\"\n",
             (unsigned long long)(128 * M - sum));
    struct fx f = {0};
    with_table(&f, tbl);
    clock_t t0 = clock();
    assert_int_equal(build(&f), CD_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 2.0);
    expect(&f, "rootfs", sum, true);
    assert_true(f.l->certain);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ramips),
        cmocka_unit_test(test_firmware_listed_last),
        cmocka_unit_test(test_late_rootfs_data),
        cmocka_unit_test(test_gap_is_uncertain),
        cmocka_unit_test(test_trx_header_offsets),
        cmocka_unit_test(test_hole_settled_by_content),
        cmocka_unit_test(test_exact_sources),
        cmocka_unit_test(test_exact_second_chip_only),
        cmocka_unit_test(test_exact_conflict),
        cmocka_unit_test(test_cannot_lay_out),
        cmocka_unit_test(test_conflict_long_names),
        cmocka_unit_test(test_unplaced),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_content_mismatch_reported),
        cmocka_unit_test(test_big_table_is_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
