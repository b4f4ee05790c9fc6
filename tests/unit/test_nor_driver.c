/*
 * The NOR driver and the range jobs, through the public API, on the sim programmer wrapped
 * in a recorder that checks every SPI op against the rules a real chip imposes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chipdump/chipdump.h"

static const char rows[] = "[TEST25Q16]\n"
                           "vendor = Test\ntype = nor\nid = EF 40 15\nsize = 2M\n"
                           "page = 256\nerase = 4K:20 32K:52 64K:D8\nvoltage = 2.7-3.6\n"
                           "protect = bp3-tb\nsource = test\n"
                           "[TEST25Q256M]\n"
                           "vendor = Test\ntype = nor\nid = EF 40 19\nsize = 32M\n"
                           "page = 256\nerase = 4K:20 32K:52 64K:D8\nvoltage = 2.7-3.6\n"
                           "addr4 = mode\nsource = test\n"
                           "[TEST25Q256O]\n"
                           "vendor = Test\ntype = nor\nid = C2 20 19\nsize = 32M\n"
                           "page = 256\nerase = 4K:20 32K:52 64K:D8\n"
                           "erase4 = 4K:21 32K:5C 64K:DC\nvoltage = 2.7-3.6\n"
                           "addr4 = mode opcodes\nsource = test\n";

/* ---- a recording programmer in front of the sim ---- */
struct rec {
    struct cd_programmer *inner;
    uint8_t cmds[1 << 16];
    size_t ncmds;
    bool wel;      /* a WREN has been seen since the last program/erase */
    uint32_t page; /* page size of the chip, for the boundary rule */
    unsigned violations;
    bool stuck_busy; /* answer RDSR with WIP forever */
};

static int rec_exec(struct cd_programmer *p, const struct cd_op *op)
{
    struct rec *r = p->priv;
    if (r->ncmds < sizeof(r->cmds))
        r->cmds[r->ncmds++] = op->cmd;
    switch (op->cmd) {
    case 0x06:
        r->wel = true;
        break;
    case 0x02:
    case 0x12:
        if (!r->wel || op->data_len == 0 || op->addr % r->page + op->data_len > r->page)
            r->violations++;
        r->wel = false;
        break;
    case 0x20:
    case 0x52:
    case 0xD8:
    case 0x21:
    case 0x5C:
    case 0xDC:
    case 0xC7:
    case 0x01:
        if (!r->wel)
            r->violations++;
        r->wel = false;
        break;
    }
    if (op->cmd == 0x05 && r->stuck_busy) {
        *(uint8_t *)op->data.in = 0x03;
        return CD_OK;
    }
    return r->inner->ops->exec_op(r->inner, op);
}

static int rec_delay(struct cd_programmer *p, uint32_t us)
{
    struct rec *r = p->priv;
    return r->inner->ops->delay_us(r->inner, us);
}

static const struct cd_programmer_ops rec_ops = {
    .name = "rec", .exec_op = rec_exec, .delay_us = rec_delay};

struct fixture {
    struct cd_chipdb *db;
    struct cd_programmer prog;
    struct rec rec;
    char image[64];
    uint8_t *data;
    const struct cd_chip *chip;
    struct cd_flash *flash;
};

static struct fixture *open_chip(const char *name, const char *extra)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(cd_chipdb_new_empty(&f->db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(f->db, rows, "test"), CD_OK);
    snprintf(f->image, sizeof(f->image), "/tmp/cd_nor_test_%d.bin", (int)getpid());
    unlink(f->image);
    char spec[256];
    snprintf(spec, sizeof(spec), "sim:chip=%s,image=%s%s", name, f->image, extra);
    assert_int_equal(cd_programmer_open(spec, f->db, NULL, &f->rec.inner), CD_OK);
    f->prog.ops = &rec_ops;
    f->prog.priv = &f->rec;
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(&f->prog, f->db, &probe), CD_OK);
    assert_non_null(probe.chip);
    assert_string_equal(probe.chip->name, name);
    f->chip = probe.chip;
    f->rec.page = f->chip->page_size;
    assert_int_equal(cd_nor_open(&f->prog, f->chip, &f->flash), CD_OK);
    return f;
}

static void close_chip(struct fixture *f)
{
    cd_flash_close(f->flash);
    cd_programmer_close(f->rec.inner);
    cd_chipdb_free(f->db);
    unlink(f->image);
    free(f->data);
    free(f);
}

static struct cd_nor_model_stats stats(struct fixture *f)
{
    struct cd_nor_model_stats st;
    cd_nor_model_get_stats(cd_sim_model(f->rec.inner), &st);
    return st;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) ^ (i >> 13));
    return p;
}

static void test_fresh_image_reads_erased(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", "");
    uint8_t *buf = malloc(f->chip->size);
    assert_int_equal(cd_read_range(f->flash, (struct cd_range){0, f->chip->size}, buf, NULL, NULL),
                     CD_OK);
    for (size_t i = 0; i < f->chip->size; i++)
        if (buf[i] != 0xFF)
            fail_msg("byte %zu of a fresh image is 0x%02X", i, buf[i]);
    free(buf);
    close_chip(f);
}

static void test_write_then_read(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", "");
    size_t n = f->chip->size;
    uint8_t *want = pattern(n, 1), *cur = malloc(n), *got = malloc(n);
    memset(want + 0x10000, 0xFF, 0x10000); /* an erased 64 KiB stays unprogrammed */
    memset(cur, 0xFF, n);
    struct cd_write_stats ws;
    assert_int_equal(cd_write_range(f->flash, (struct cd_range){0, n}, want, cur, NULL, &ws),
                     CD_OK);
    assert_int_equal(cd_read_range(f->flash, (struct cd_range){0, n}, got, NULL, NULL), CD_OK);
    assert_memory_equal(got, want, n);
    /* erased chip, data only clears bits: no erase needed at all */
    assert_int_equal(ws.blocks_erased, 0);
    assert_int_equal(ws.pages_programmed, (n - 0x10000) / 256);
    assert_int_equal(stats(f).page_programs, (n - 0x10000) / 256);
    assert_int_equal(f->rec.violations, 0);
    free(want);
    free(cur);
    free(got);
    close_chip(f);
}

static void test_smart_write_erases_only_what_differs(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", "");
    size_t n = f->chip->size;
    uint8_t *a = pattern(n, 1), *b = malloc(n), *cur = malloc(n);
    memset(cur, 0xFF, n);
    a[0x3000] = 0x00;
    assert_int_equal(cd_write_range(f->flash, (struct cd_range){0, n}, a, cur, NULL, NULL), CD_OK);
    struct cd_nor_model_stats before = stats(f);
    memcpy(b, a, n);
    b[0x3000] = 0x01; /* one 4 KiB block where a bit must go 0 -> 1: needs an erase */
    for (size_t i = 0x40000; i < 0x50000; i++) /* a whole aligned 64 KiB block */
        b[i] = (uint8_t)~a[i];
    struct cd_write_stats ws;
    assert_int_equal(cd_write_range(f->flash, (struct cd_range){0, n}, b, a, NULL, &ws), CD_OK);
    struct cd_nor_model_stats after = stats(f);
    assert_int_equal(after.erases_4k - before.erases_4k, 1);
    assert_int_equal(after.erases_64k - before.erases_64k, 1);
    assert_int_equal(after.erases_32k - before.erases_32k, 0);
    assert_int_equal(after.chip_erases - before.chip_erases, 0);
    assert_int_equal(ws.blocks_erased, 1 + 16);
    uint8_t *got = malloc(n);
    assert_int_equal(cd_read_range(f->flash, (struct cd_range){0, n}, got, NULL, NULL), CD_OK);
    assert_memory_equal(got, b, n);
    assert_int_equal(f->rec.violations, 0);
    free(a);
    free(b);
    free(cur);
    free(got);
    close_chip(f);
}

static void test_verify_names_first_difference(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", "");
    size_t n = f->chip->size;
    uint8_t *ff = malloc(n);
    memset(ff, 0xFF, n);
    uint64_t at = 0;
    assert_int_equal(cd_verify_range(f->flash, (struct cd_range){0, n}, ff, NULL, NULL, &at),
                     CD_OK);
    ff[0x12345] = 0x00;
    assert_int_equal(cd_verify_range(f->flash, (struct cd_range){0, n}, ff, NULL, NULL, &at),
                     CD_E_VERIFY);
    assert_int_equal(at, 0x12345);
    assert_non_null(strstr(cd_error_detail(), "0x12345"));
    free(ff);
    close_chip(f);
}

static void test_erase_range_and_chip(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", "");
    size_t n = f->chip->size;
    uint8_t *a = pattern(n, 3), *cur = malloc(n), *got = malloc(n);
    memset(cur, 0xFF, n);
    assert_int_equal(cd_write_range(f->flash, (struct cd_range){0, n}, a, cur, NULL, NULL), CD_OK);
    /* 4K + 32K + 64K + 4K pieces: the job must pick the largest aligned erase each time */
    struct cd_range r = {0x7000, 0x1000 + 0x8000 + 0x10000 + 0x1000};
    struct cd_nor_model_stats s0 = stats(f);
    assert_int_equal(cd_erase_range(f->flash, (struct cd_range){0x7000, 0x1000}, NULL, NULL),
                     CD_OK);
    r = (struct cd_range){0x8000, 0x8000 + 0x10000 + 0x1000};
    assert_int_equal(cd_erase_range(f->flash, r, NULL, NULL), CD_OK);
    struct cd_nor_model_stats s1 = stats(f);
    assert_int_equal(s1.erases_4k - s0.erases_4k, 2);
    assert_int_equal(s1.erases_32k - s0.erases_32k, 1);
    assert_int_equal(s1.erases_64k - s0.erases_64k, 1);
    assert_int_equal(cd_read_range(f->flash, (struct cd_range){0, n}, got, NULL, NULL), CD_OK);
    for (size_t i = 0; i < n; i++) {
        uint8_t want = i >= 0x7000 && i < 0x21000 ? 0xFF : a[i];
        if (got[i] != want)
            fail_msg("byte 0x%zx: 0x%02X, want 0x%02X", i, got[i], want);
    }
    assert_int_equal(cd_erase_range(f->flash, (struct cd_range){0x100, 0x1000}, NULL, NULL),
                     CD_E_RANGE);
    assert_int_equal(cd_erase_range(f->flash, (struct cd_range){0, n}, NULL, NULL), CD_OK);
    assert_int_equal(stats(f).chip_erases, 1);
    assert_int_equal(f->rec.violations, 0);
    free(a);
    free(cur);
    free(got);
    close_chip(f);
}

static void test_block_protection_cleared(void **state)
{
    /* BP2..0 = 111: everything protected until the driver clears SR1 */
    struct fixture *f = open_chip("TEST25Q16", ",sr1=0x1c");
    size_t n = 0x10000;
    uint8_t *a = pattern(n, 5), *cur = malloc(n);
    memset(cur, 0xFF, n);
    assert_int_equal(cd_write_range(f->flash, (struct cd_range){0, n}, a, cur, NULL, NULL), CD_OK);
    assert_int_equal(stats(f).ignored_protect, 0);
    bool sawwrsr = memchr(f->rec.cmds, 0x01, f->rec.ncmds) != NULL;
    assert_true(sawwrsr);
    free(a);
    free(cur);
    close_chip(f);
}

static void test_4byte_mode_entered_and_left(void **state)
{
    struct fixture *f = open_chip("TEST25Q256M", "");
    assert_non_null(memchr(f->rec.cmds, 0xB7, f->rec.ncmds));
    size_t n = 0x1000;
    uint8_t *a = pattern(n, 9), *cur = malloc(n), *got = malloc(n);
    memset(cur, 0xFF, n);
    struct cd_range hi = {0x1FFF000, n}; /* above 16 MiB */
    assert_int_equal(cd_write_range(f->flash, hi, a, cur, NULL, NULL), CD_OK);
    assert_int_equal(cd_read_range(f->flash, hi, got, NULL, NULL), CD_OK);
    assert_memory_equal(got, a, n);
    /* and the low mirror was not touched */
    assert_int_equal(cd_read_range(f->flash, (struct cd_range){0xFFF000, n}, got, NULL, NULL),
                     CD_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(got[i], 0xFF);
    cd_flash_close(f->flash);
    f->flash = NULL;
    assert_int_equal(f->rec.cmds[f->rec.ncmds - 1], 0xE9); /* back to 3-byte for the SoC */
    free(a);
    free(cur);
    free(got);
    close_chip(f);
}

static void test_4byte_opcodes_preferred(void **state)
{
    struct fixture *f = open_chip("TEST25Q256O", "");
    assert_null(memchr(f->rec.cmds, 0xB7, f->rec.ncmds));
    size_t n = 0x1000;
    uint8_t *a = pattern(n, 11), *cur = malloc(n), *got = malloc(n);
    memset(cur, 0x00, n); /* pretend it holds zeros: forces a 4-byte erase */
    struct cd_range hi = {0x1800000, n};
    assert_int_equal(cd_write_range(f->flash, hi, a, cur, NULL, NULL), CD_OK);
    assert_int_equal(cd_read_range(f->flash, hi, got, NULL, NULL), CD_OK);
    assert_memory_equal(got, a, n);
    assert_non_null(memchr(f->rec.cmds, 0x21, f->rec.ncmds));
    assert_non_null(memchr(f->rec.cmds, 0x12, f->rec.ncmds));
    assert_non_null(memchr(f->rec.cmds, 0x13, f->rec.ncmds));
    assert_null(memchr(f->rec.cmds, 0x02, f->rec.ncmds));
    free(a);
    free(cur);
    free(got);
    close_chip(f);
}

static void test_stuck_busy_times_out(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", "");
    f->rec.stuck_busy = true;
    /* WEL reads as set but WIP never clears: erase and program time out, never hang */
    assert_int_equal(f->flash->ops->erase(f->flash, 0, 0x1000), CD_E_TIMEOUT);
    uint8_t d[16] = {0};
    assert_int_equal(f->flash->ops->program(f->flash, 0, d, sizeof(d)), CD_E_TIMEOUT);
    close_chip(f);
}

static void test_reads2_settles_noise(void **state)
{
    struct fixture *f = open_chip("TEST25Q16", ",faults=noise:0x5000:0x1000:3");
    size_t n = f->chip->size;
    uint8_t *buf = malloc(n);
    struct cd_read_opts o = {.reads = 2};
    struct cd_read_result res;
    assert_int_equal(cd_read_range(f->flash, (struct cd_range){0, n}, buf, &o, &res), CD_OK);
    assert_int_equal(res.nunstable, 1);
    assert_int_equal(res.unstable[0].off, 0x5000);
    assert_true(res.unstable[0].resolved);
    for (size_t i = 0; i < n; i++)
        if (buf[i] != 0xFF)
            fail_msg("settled read has 0x%02X at 0x%zx", buf[i], i);
    free(res.unstable);
    free(buf);
    close_chip(f);
}

static void test_probe_no_chip(void **state)
{
    /* a chip answering FF FF FF (nothing on the bus) */
    struct cd_chipdb *db;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(db, rows, "test"), CD_OK);
    struct cd_programmer *p;
    assert_int_equal(cd_programmer_open("sim:chip=TEST25Q16,id=FFFFFF", db, NULL, &p), CD_OK);
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(p, db, &probe), CD_E_NO_CHIP);
    assert_non_null(strstr(cd_error_detail(), "FF FF FF"));
    cd_programmer_close(p);
    cd_chipdb_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_image_reads_erased),
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_smart_write_erases_only_what_differs),
        cmocka_unit_test(test_verify_names_first_difference),
        cmocka_unit_test(test_erase_range_and_chip),
        cmocka_unit_test(test_block_protection_cleared),
        cmocka_unit_test(test_4byte_mode_entered_and_left),
        cmocka_unit_test(test_4byte_opcodes_preferred),
        cmocka_unit_test(test_stuck_busy_times_out),
        cmocka_unit_test(test_reads2_settles_noise),
        cmocka_unit_test(test_probe_no_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
