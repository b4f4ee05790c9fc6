/*
 * Unit tests: the three partition-table parsers (/proc/mtd, boot-log lines, mtdparts=),
 * including the things people paste around them and the errors for what is not a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "chipdump/error.h"
#include "chipdump/mtd.h"

static int proc(const char *text, struct cd_mtd_table *t)
{
    return cd_mtd_parse_proc(text, strlen(text), "mtd.txt", t);
}

static int dmesg(const char *text, struct cd_mtd_exact *x)
{
    return cd_mtd_parse_dmesg(text, strlen(text), "dmesg.txt", x);
}

static void assert_detail_has(const char *s)
{
    if (!strstr(cd_error_detail(), s))
        fail_msg("detail '%s' lacks '%s'", cd_error_detail(), s);
}

/* ---- /proc/mtd ---- */

static void test_proc_kernel_format(void **state)
{
    (void)state;
    struct cd_mtd_table t;
    assert_int_equal(proc("dev:    size   erasesize  name\n"
                          "mtd0: 00040000 00010000 \"u-boot\"\n"
                          "mtd1: 00010000 00010000 \"u-boot-env\"\n"
                          "mtd2: 00fb0000 00010000 \"firmware\"\n",
                          &t),
                     CD_OK);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.ntables, 1);
    assert_int_equal(t.entries[0].index, 0);
    assert_int_equal(t.entries[0].size, 0x40000);
    assert_int_equal(t.entries[0].erasesize, 0x10000);
    assert_string_equal(t.entries[1].name, "u-boot-env");
    assert_int_equal(t.entries[2].size, 0xfb0000);
    assert_int_equal(t.entries[2].line, 4);
    cd_mtd_table_free(&t);
}

static void test_proc_pasted(void **state)
{
    (void)state;
    /* prompt + command, CRLF, trailing blanks, no header, a prompt at the end, a name with
     * a space and one with a quote, a 64-bit size */
    struct cd_mtd_table t;
    assert_int_equal(proc("root@OpenWrt:~# cat /proc/mtd\r\n"
                          "mtd0: 00040000 00020000 \"RedBoot\"   \r\n"
                          "  mtd1: 00020000 00020000 \"FIS directory\"\t\r\n"
                          "mtd2: 100000000 00020000 \"big \"one\"\"\r\n"
                          "\r\n"
                          "/ # \r\n"
                          "root@OpenWrt:~#\r\n",
                          &t),
                     CD_OK);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.entries[1].name, "FIS directory");
    assert_string_equal(t.entries[2].name, "big \"one\"");
    assert_int_equal(t.entries[2].size, 0x100000000ULL);
    cd_mtd_table_free(&t);
    /* the command alone, and a prompt a mailing-list archive mangled ("root at host") */
    assert_int_equal(proc("cat /proc/mtd\n"
                          "dev: size erasesize name\n"
                          "mtd0: 0000c000 00001000 \"routerboot\"\n"
                          "root at MiniWrt:/# cat /proc/mtd\n"
                          "mtd0: 00040000 00010000 \"boot\"\n",
                          &t),
                     CD_OK);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.ntables, 2);
    cd_mtd_table_free(&t);
}

static void test_proc_forum_quotes(void **state)
{
    (void)state;
    /* what forum software makes of the quotes, or a paste that lost them */
    struct cd_mtd_table t;
    assert_int_equal(proc("mtd0: 00040000 00010000 \xe2\x80\x9cu-boot\xe2\x80\x9d\n"
                          "mtd1: 00010000 00010000 \xe2\x80\x9eu-boot-env\xe2\x80\x9c\n"
                          "mtd2: 00010000 00010000 'factory'\n"
                          "mtd3: 00fb0000 00010000 firmware  \n",
                          &t),
                     CD_OK);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.entries[0].name, "u-boot");
    assert_string_equal(t.entries[1].name, "u-boot-env");
    assert_string_equal(t.entries[2].name, "factory");
    assert_string_equal(t.entries[3].name, "firmware");
    cd_mtd_table_free(&t);
}

static void test_proc_several_tables(void **state)
{
    (void)state;
    struct cd_mtd_table t;
    /* a second header starts a second table; so does a falling mtd number */
    assert_int_equal(proc("dev:    size   erasesize  name\n"
                          "mtd0: 00040000 00010000 \"u-boot\"\n"
                          "mtd1: 00fc0000 00010000 \"firmware\"\n"
                          "dev:    size   erasesize  name\n"
                          "mtd0: 08000000 00020000 \"ubi\"\n"
                          "mtd0: 00100000 00010000 \"x\"\n",
                          &t),
                     CD_OK);
    assert_int_equal(t.ntables, 3);
    assert_int_equal(t.entries[1].table, 0);
    assert_int_equal(t.entries[2].table, 1);
    assert_int_equal(t.entries[3].table, 2);
    cd_mtd_table_free(&t);

    /* the same table pasted twice is used once, with a note */
    const char *one = "mtd0: 00040000 00010000 \"u-boot\"\n"
                      "mtd1: 00fc0000 00010000 \"firmware\"\n";
    char twice[256];
    snprintf(twice, sizeof(twice), "%s%s", one, one);
    assert_int_equal(proc(twice, &t), CD_OK);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.ntables, 1);
    assert_int_equal(t.nnotes, 1);
    assert_non_null(strstr(t.notes[0], "repeats"));
    cd_mtd_table_free(&t);
}

static void test_proc_garbage(void **state)
{
    (void)state;
    struct cd_mtd_table t;
    assert_int_equal(proc("mtd0: 00040000 00010000 \"u-boot\"\n"
                          "BusyBox v1.36.1 built-in shell\n",
                          &t),
                     CD_E_BAD_IMAGE);
    assert_detail_has("mtd.txt:2");
    assert_detail_has("expected a /proc/mtd line");
    assert_detail_has("BusyBox");
    /* malformed entries are errors too, not skipped */
    assert_int_equal(proc("mtd0: 00040000 \"u-boot\"\n", &t), CD_E_BAD_IMAGE);
    assert_detail_has("mtd.txt:1");
    assert_int_equal(proc("mtd0: 0004zz00 00010000 \"u-boot\"\n", &t), CD_E_BAD_IMAGE);
    assert_int_equal(proc("mtd0: 00040000 00010000 \"u-boot\n", &t), CD_E_BAD_IMAGE);
    assert_int_equal(proc("mtd0: 00040000 00010000 u-boot\"\n", &t), CD_E_BAD_IMAGE);
    assert_int_equal(proc("mtd0: 00040000 100000000 \"u-boot\"\n", &t), CD_E_BAD_IMAGE);
    assert_detail_has("32-bit");
    assert_int_equal(proc("mtd0: 11112222333344445 00010000 \"x\"\n", &t), CD_E_BAD_IMAGE);
    /* nothing at all */
    assert_int_equal(proc("root@OpenWrt:~# cat /proc/mtd\n\n", &t), CD_E_BAD_IMAGE);
    assert_detail_has("no /proc/mtd lines");
    assert_int_equal(proc("", &t), CD_E_BAD_IMAGE);
    char bin[] = "mtd0: 00040000 00010000 \"a\"\n\0\0\0";
    assert_int_equal(cd_mtd_parse_proc(bin, sizeof(bin), "mtd.txt", &t), CD_E_BAD_IMAGE);
    assert_detail_has("binary");
}

/* ---- boot log ---- */

static void test_dmesg_old_format(void **state)
{
    (void)state;
    struct cd_mtd_exact x;
    /* 2.6-era lines (8 hex digits), <level> and jiffies prefixes, unrelated lines around */
    assert_int_equal(dmesg("<5>[4294667.752000] Creating 3 MTD partitions on \"sflash\":\n"
                           "<6>[4294667.752500] eth0: link up\n"
                           "<6>[    0.000000]   DMA      [mem 0x00000000-0x07ffffff]\n"
                           "<6>[    0.100000] PCI: 0x10000000-0x1fffffff : bus resources\n"
                           "<5>[4294667.753000] 0x00fc0000-0x01000000 : \"nvram\"\n"
                           "<5>[4294667.754000] 0x00f80000-0x01000000 : \"auxfs\"\n"
                           "<5>[4294667.755000] 0x001a1558-0x00a40000 : \"rootfs\"\n",
                           &x),
                     CD_OK);
    assert_int_equal(x.n, 3);
    assert_int_equal(x.nchips, 1);
    assert_string_equal(x.chip_names[0], "sflash");
    assert_int_equal(x.parts[0].offset, 0xfc0000);
    assert_int_equal(x.parts[0].size, 0x40000);
    assert_int_equal(x.parts[2].offset, 0x1a1558);
    assert_int_equal(x.parts[2].line, 7);
    cd_mtd_exact_free(&x);
}

static void test_dmesg_nested_new_kernel(void **state)
{
    (void)state;
    /* Linux >= 5.8: a split's children are printed relative to their parent, inside a
     * "Creating" block of their own; after them the parent's block goes on */
    struct cd_mtd_exact x;
    assert_int_equal(
        dmesg("[    0.87] 4 fixed-partitions partitions found on MTD device spi0.0\n"
              "[    0.88] Creating 4 MTD partitions on \"spi0.0\":\n"
              "[    0.89] 0x000000000000-0x000000030000 : \"u-boot\"\n"
              "[    0.90] 0x000000030000-0x000000050000 : \"factory\"\n"
              "[    0.91] 0x000000050000-0x000000ff0000 : \"firmware\"\n"
              "[    0.92] 2 uimage-fw partitions found on MTD device firmware\n"
              "[    0.93] Creating 2 MTD partitions on \"firmware\":\n"
              "[    0.94] 0x000000000000-0x0000002771bc : \"kernel\"\n"
              "[    0.95] mtd: partition \"kernel\" doesn't end on an erase/write block -- force "
              "read-only\n"
              "[    0.96] 0x0000002771bc-0x000000fa0000 : \"rootfs\"\n"
              "[    0.97] mtd: setting mtd4 (rootfs) as root device mtdblock4\n"
              "[    0.98] 1 squashfs-split partitions found on MTD device rootfs\n"
              "[    0.99] Creating 1 MTD partitions on \"rootfs\":\n"
              "[    1.00] 0x000000419000-0x000000d28e44 : \"rootfs_data\"\n"
              "[    1.01] 0x000000ff0000-0x000001000000 : \"art\"\n",
              &x),
        CD_OK);
    assert_int_equal(x.n, 7);
    assert_string_equal(x.parts[3].name, "kernel");
    assert_int_equal(x.parts[3].offset, 0x50000);
    assert_int_equal(x.parts[4].offset, 0x50000 + 0x2771bc);
    assert_int_equal(x.parts[5].offset, 0x50000 + 0x2771bc + 0x419000);
    assert_string_equal(x.parts[6].name, "art"); /* back on the master: absolute */
    assert_int_equal(x.parts[6].offset, 0xff0000);
    assert_int_equal(x.nchips, 1);
    assert_true(x.nnotes >= 1);
    assert_non_null(strstr(x.notes[0], "inside"));
    cd_mtd_exact_free(&x);
}

static void test_dmesg_nested_old_kernel(void **state)
{
    (void)state;
    /* older OpenWrt kernels: "N xxx partitions found" and absolute lines, no "Creating" */
    struct cd_mtd_exact x;
    assert_int_equal(
        dmesg("Mon Feb  3 23:10:01 2025 kern.notice kernel: [ 0.61] Creating 5 MTD partitions on "
              "\"spi0.0\":\n"
              "kernel: 0x000000000000-0x000000020000 : \"u-boot\"\n"
              "kernel: 0x000000020000-0x0000001725f8 : \"kernel\"\n"
              "kernel: 0x0000001725f8-0x0000007f0000 : \"rootfs\"\n"
              "kernel: 1 squashfs-split partitions found on MTD device rootfs\n"
              "kernel: 0x0000003c0000-0x0000007f0000 : \"rootfs_data\"\n"
              "kernel: 0x0000007f0000-0x000000800000 : \"art\"\n"
              "kernel: 0x000000020000-0x0000007f0000 : \"firmware\"\n"
              "m25p80 spi0.0: s25fl064k (8192 Kbytes)\n",
              &x),
        CD_OK);
    assert_int_equal(x.n, 6);
    assert_int_equal(x.parts[3].offset, 0x3c0000);
    assert_int_equal(x.parts[5].offset, 0x20000);
    assert_int_equal(x.chip_size_hint[0], 8 * 1024 * 1024);
    cd_mtd_exact_free(&x);
}

static void test_dmesg_rootfs_data_numbered_like_rootfs(void **state)
{
    (void)state;
    /* OpenWrt 19.07 (4.14), ZBT WE1326 v5 (openwrt/openwrt PR #2476): kernel/rootfs printed
     * inside firmware, then a headerless squashfs-split block whose rootfs_data ends at
     * firmware's size (0xfb0000): numbered from firmware's start, like rootfs itself */
    struct cd_mtd_exact x;
    assert_int_equal(dmesg("Creating 4 MTD partitions on \"spi0.0\":\n"
                           "0x000000000000-0x000000030000 : \"u-boot\"\n"
                           "0x000000030000-0x000000040000 : \"u-boot-env\"\n"
                           "0x000000040000-0x000000050000 : \"factory\"\n"
                           "0x000000050000-0x000001000000 : \"firmware\"\n"
                           "2 uimage-fw partitions found on MTD device firmware\n"
                           "Creating 2 MTD partitions on \"firmware\":\n"
                           "0x000000000000-0x0000001d4391 : \"kernel\"\n"
                           "0x0000001d4391-0x000000fb0000 : \"rootfs\"\n"
                           "mtd: device 5 (rootfs) set to be root filesystem\n"
                           "1 squashfs-split partitions found on MTD device rootfs\n"
                           "0x000000460000-0x000000fb0000 : \"rootfs_data\"\n",
                           &x),
                     CD_OK);
    assert_int_equal(x.n, 7);
    assert_int_equal(x.parts[4].offset, 0x50000);
    assert_int_equal(x.parts[5].offset, 0x224391);
    assert_int_equal(x.parts[6].offset, 0x4b0000); /* not 0x460000, the number as printed */
    assert_int_equal(x.parts[6].offset + x.parts[6].size, 0x1000000);
    cd_mtd_exact_free(&x);
}

static void test_dmesg_headerless_child_outside_parent(void **state)
{
    (void)state;
    /* Belkin RT3200 stock (dangowrt/owrt-ubi-installer#151): the vendor's squashfs-split
     * puts rootfs_data right after rootfs; the log is still what the kernel made */
    struct cd_mtd_exact x;
    assert_int_equal(dmesg("Boot number = 1, Creating 3 MTD partitions on \"MTK-SNAND\":\n"
                           "0x000000000000-0x000002300000 : \"Kernel1\"\n"
                           "0x000002300000-0x000004100000 : \"Kernel2\"\n"
                           "2 fit-fw partitions found on MTD device Kernel2\n"
                           "0x000002300000-0x000002580000 : \"kernel\"\n"
                           "0x000002580000-0x000004100000 : \"rootfs\"\n"
                           "1 squashfs-split partitions found on MTD device rootfs\n"
                           "0x000004100000-0x000005a00000 : \"rootfs_data\"\n"
                           "0x000005a00000-0x000006e00000 : \"mfg\"\n",
                           &x),
                     CD_OK);
    assert_int_equal(x.n, 6);
    assert_int_equal(x.parts[3].offset, 0x2580000);
    assert_int_equal(x.parts[4].offset, 0x4100000);
    assert_int_equal(x.parts[5].offset, 0x5a00000);
    bool noted = false;
    for (size_t i = 0; i < x.nnotes; i++)
        noted |= strstr(x.notes[i], "outside \"rootfs\"") != NULL;
    assert_true(noted);
    cd_mtd_exact_free(&x);
}

static void test_dmesg_two_chips_and_warnings(void **state)
{
    (void)state;
    struct cd_mtd_exact x;
    assert_int_equal(dmesg("Creating 2 MTD partitions on \"spi0.0\":\n"
                           "0x000000000000-0x000000080000 : \"u-boot\"\n"
                           "0x000000080000-0x000000200000 : \"nvram\"\n"
                           "Creating 3 MTD partitions on \"spi0.1\":\n"
                           "0x000000000000-0x000000400000 : \"kernel\"\n"
                           "0x000000400000-0x000009000000 : \"ubi\"\n"
                           "mtd: partition \"ubi\" extends beyond the end of device \"spi0.1\" -- "
                           "size truncated to 0x7c00000\n"
                           "0x000010000000-0x000010100000 : \"far\"\n"
                           "mtd: partition \"far\" is out of reach -- disabled\n",
                           &x),
                     CD_OK);
    assert_int_equal(x.nchips, 2);
    assert_int_equal(x.parts[2].chip, 1);
    assert_int_equal(x.parts[3].size, 0x7c00000);
    assert_true(x.parts[4].disabled);
    assert_int_equal(x.parts[4].size, 0);
    cd_mtd_exact_free(&x);

    /* a log holding two boots: the later table replaces the earlier one */
    assert_int_equal(dmesg("Creating 1 MTD partitions on \"nand\":\n"
                           "0x000000000000-0x000001000000 : \"old\"\n"
                           "Creating 1 MTD partitions on \"nand\":\n"
                           "0x000000000000-0x000002000000 : \"new\"\n",
                           &x),
                     CD_OK);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.parts[0].name, "new");
    cd_mtd_exact_free(&x);
}

static void test_dmesg_errors(void **state)
{
    (void)state;
    struct cd_mtd_exact x;
    /* fuzzer find: "Creating" with no count before " MTD partitions on" is not the line */
    assert_int_equal(dmesg("Creating MTD partitions on \"x\":\n"
                           "0x000000000000-0x000000040000 : \"a\"\n",
                           &x),
                     CD_OK);
    assert_int_equal(x.n, 1);
    cd_mtd_exact_free(&x);
    assert_int_equal(dmesg("[ 0.1] Booting Linux\n[ 0.2] nothing here\n", &x), CD_E_BAD_IMAGE);
    assert_detail_has("no partition lines");
    assert_int_equal(dmesg("Creating 1 MTD partitions on \"x\":\n"
                           "0x000000000000-0x00000004zz00 : \"u-boot\"\n",
                           &x),
                     CD_E_BAD_IMAGE);
    assert_detail_has("dmesg.txt:2");
    assert_detail_has("0xSTART-0xEND");
    assert_int_equal(dmesg("0x00040000-0x00000000 : \"backwards\"\n", &x), CD_E_BAD_IMAGE);
    assert_detail_has("ends");
    assert_int_equal(dmesg("0x00000000-0x00040000 : u-boot\n", &x), CD_E_BAD_IMAGE);
    /* a child that fits its parent neither way */
    assert_int_equal(dmesg("Creating 1 MTD partitions on \"m\":\n"
                           "0x000000000000-0x000000100000 : \"firmware\"\n"
                           "Creating 1 MTD partitions on \"firmware\":\n"
                           "0x000000200000-0x000000300000 : \"kernel\"\n",
                           &x),
                     CD_E_BAD_IMAGE);
    assert_detail_has("\"kernel\"");
    assert_detail_has("firmware");
}

/* ---- mtdparts= ---- */

static void test_mtdparts_basic(void **state)
{
    (void)state;
    struct cd_mtd_exact x;
    assert_int_equal(cd_mtd_parse_mtdparts("mtdparts=spi0.0:256k(u-boot)ro,64k(u-boot-env),"
                                           "0x10000(art)lk,-(firmware)",
                                           &x),
                     CD_OK);
    assert_int_equal(x.n, 4);
    assert_string_equal(x.chip_names[0], "spi0.0");
    assert_int_equal(x.parts[1].offset, 0x40000);
    assert_int_equal(x.parts[1].size, 0x10000);
    assert_int_equal(x.parts[2].offset, 0x50000);
    assert_true(x.parts[3].fill);
    assert_int_equal(x.parts[3].offset, 0x60000);
    assert_true(x.from_mtdparts);
    cd_mtd_exact_free(&x);
}

static void test_mtdparts_offsets_devices(void **state)
{
    (void)state;
    struct cd_mtd_exact x;
    /* @offset, several devices, ':' in an id, unnamed partitions, suffixes of every case,
     * octal, and a whole kernel command line around it */
    assert_int_equal(
        cd_mtd_parse_mtdparts("console=ttyS0,115200 mtdparts=physmap-flash.0:1M@0(boot),2m@4M,"
                              "0x100000(x);ar934x-nfc:010(oct),1g(big) rootfstype=squashfs",
                              &x),
        CD_OK);
    assert_int_equal(x.nchips, 2);
    assert_string_equal(x.chip_names[0], "physmap-flash.0");
    assert_string_equal(x.chip_names[1], "ar934x-nfc");
    assert_int_equal(x.parts[1].offset, 0x400000);
    assert_string_equal(x.parts[1].name, "Partition_001");
    assert_int_equal(x.parts[2].offset, 0x600000);
    assert_int_equal(x.parts[3].chip, 1);
    assert_int_equal(x.parts[3].size, 8);
    assert_int_equal(x.parts[4].size, 1ULL << 30);
    cd_mtd_exact_free(&x);

    assert_int_equal(cd_mtd_parse_mtdparts("mtdparts=my:dev:1m(a:b),1m(c)", &x), CD_OK);
    assert_string_equal(x.chip_names[0], "my:dev");
    assert_string_equal(x.parts[0].name, "a:b");
    cd_mtd_exact_free(&x);

    /* U-Boot's doubled prefix and its "fs" flag */
    assert_int_equal(cd_mtd_parse_mtdparts("mtdparts=mtdparts=nand_mtd:26m@2m(rootfs)fs", &x),
                     CD_OK);
    assert_int_equal(x.parts[0].offset, 2 << 20);
    assert_int_equal(x.nnotes, 1);
    assert_non_null(strstr(x.notes[0], "fs"));
    cd_mtd_exact_free(&x);
}

static void test_mtdparts_errors(void **state)
{
    (void)state;
    struct cd_mtd_exact x;
    static const struct {
        const char *s, *detail;
    } bad[] = {
        {"mtdparts=256k(u-boot)", "mtd-id"},
        {"mtdparts=spi0.0:", "partition size"},
        {"mtdparts=spi0.0:0(x)", "other than 0"},
        {"mtdparts=spi0.0:-(a),64k(b)", "nothing after a '-'"},
        {"mtdparts=spi0.0:64k(a", "')'"},
        {"mtdparts=spi0.0:64k@(a)", "offset"},
        {"mtdparts=spi0.0:64k(a)!", "column 23"},
        {"mtdparts=spi0.0:64k;spi0.0:64k", "each mtd-id once"},
        {"mtdparts=spi0.0:99999999999999999999k", "partition size"},
        {"mtdparts=", "empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cd_mtd_parse_mtdparts(bad[i].s, &x) != CD_E_BAD_IMAGE)
            fail_msg("'%s' was accepted", bad[i].s);
        assert_detail_has(bad[i].detail);
    }
}

/* ---- names and magics ---- */

static void test_file_names(void **state)
{
    (void)state;
    char buf[128];
    struct cd_mtd_part p = {.index = 3, .name = "../../etc/passwd"};
    cd_mtd_file_name(&p, false, buf, sizeof(buf));
    assert_string_equal(buf, "mtd3_.._.._etc_passwd.bin");
    assert_null(strchr(buf, '/'));
    p.name = "FIS directory\n\x01\xc3\xa9";
    cd_mtd_file_name(&p, false, buf, sizeof(buf));
    assert_string_equal(buf, "mtd3_FIS_directory____.bin");
    p.name = "";
    cd_mtd_file_name(&p, false, buf, sizeof(buf));
    assert_string_equal(buf, "mtd3_unnamed.bin");
    p.name = "..";
    cd_mtd_file_name(&p, false, buf, sizeof(buf));
    assert_string_equal(buf, "mtd3_...bin");
    p.name = "0:APPSBL";
    p.chip = 1;
    cd_mtd_file_name(&p, true, buf, sizeof(buf));
    assert_string_equal(buf, "chip1_mtd3_0_APPSBL.bin");
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    p.name = longname;
    cd_mtd_file_name(&p, false, buf, sizeof(buf));
    assert_true(strlen(buf) <= 4 + 2 + 64 + 4);
}

static void test_magics(void **state)
{
    (void)state;
    static const struct {
        uint8_t b[8];
        const char *what;
    } m[] = {
        {{0x27, 0x05, 0x19, 0x56, 0, 0, 0, 0}, "uImage"},
        {{0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 0}, "FIT"},
        {{'H', 'D', 'R', '0', 0, 0, 0, 0}, "TRX"},
        {{'h', 's', 'q', 's', 0, 0, 0, 0}, "squashfs"},
        {{'U', 'B', 'I', '#', 1, 0, 0, 0}, "UBI"},
        {{0x31, 0x18, 0x10, 0x06, 0, 0, 0, 0}, "UBIFS"},
        {{0x85, 0x19, 0x03, 0x20, 0, 0, 0, 0}, "JFFS2"},
        {{0x19, 0x85, 0x20, 0x03, 0, 0, 0, 0}, "JFFS2"},
        {{0x7f, 'E', 'L', 'F', 1, 0, 0, 0}, "ELF"},
        {{0x5d, 0x00, 0x00, 0x80, 0x00, 0, 0, 0}, "LZMA"},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        const char *got = cd_mtd_probe_magic(m[i].b, sizeof(m[i].b));
        if (!got || strcmp(got, m[i].what))
            fail_msg("magic %zu: got %s, want %s", i, got ? got : "NULL", m[i].what);
    }
    uint8_t ff[64], cc[64];
    memset(ff, 0xFF, sizeof(ff));
    memset(cc, 0xCC, sizeof(cc));
    assert_string_equal(cd_mtd_probe_magic(ff, sizeof(ff)), "erased");
    assert_null(cd_mtd_probe_magic(cc, sizeof(cc)));
    assert_null(cd_mtd_probe_magic(ff, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_kernel_format),
        cmocka_unit_test(test_proc_pasted),
        cmocka_unit_test(test_proc_forum_quotes),
        cmocka_unit_test(test_proc_several_tables),
        cmocka_unit_test(test_proc_garbage),
        cmocka_unit_test(test_dmesg_old_format),
        cmocka_unit_test(test_dmesg_nested_new_kernel),
        cmocka_unit_test(test_dmesg_nested_old_kernel),
        cmocka_unit_test(test_dmesg_rootfs_data_numbered_like_rootfs),
        cmocka_unit_test(test_dmesg_headerless_child_outside_parent),
        cmocka_unit_test(test_dmesg_two_chips_and_warnings),
        cmocka_unit_test(test_dmesg_errors),
        cmocka_unit_test(test_mtdparts_basic),
        cmocka_unit_test(test_mtdparts_offsets_devices),
        cmocka_unit_test(test_mtdparts_errors),
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_magics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
