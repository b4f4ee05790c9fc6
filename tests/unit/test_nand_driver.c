/*
 * The SPI-NAND driver and the NAND jobs, through the public API, on the sim programmer (the NAND
 * chip model) wrapped in a recorder that checks every SPI op against the rules a real chip
 * imposes. Small test rows keep images at a few MiB; each row exercises one datasheet quirk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chipdump/chipdump.h"
#include "chipdump/nand.h"

#define COMMON                                                                                     \
    "vendor = Test\ntype = nand\npages_per_block = 64\nvoltage = 2.7-3.6\nsource = test\n"

static const char rows[] =
    /* Winbond-like: READ ID with a dummy byte, continuous read until BUF is set */
    "[TW]\n" COMMON "id = EF AA 71\nread_id = dummy\npage = 2048\noob = 64\nblocks = 64\n"
    "ecc = 1/512\necc_status = generic\ncont_read = buf\n"
    /* GigaDevice xF-like: ID without dummy, dummy byte before the column, 3-bit status */
    "[TGF]\n" COMMON "id = C8 B1 77\nread_id = opcode\npage = 2048\noob = 128\nblocks = 64\n"
    "ecc = 8/512\necc_status = gd-ufuc\ncache_dummy = before\n"
    /* GigaDevice xA-like: READ ID with an address byte */
    "[TGA]\n" COMMON "id = C8 F7\nread_id = addr\npage = 2048\noob = 64\nblocks = 64\n"
    "ecc = 8/512\necc_status = gd-xa\n"
    /* Micron-like, two planes, CR on at power-up */
    "[TMP]\n" COMMON "id = 2C 77\nread_id = dummy\npage = 2048\noob = 128\nblocks = 64\n"
    "planes = 2\necc = 8/512\necc_status = micron\ncont_read = cr\n"
    /* Winbond W25M-like stack: two dies, DIE SELECT C2h */
    "[TW2]\n" COMMON "id = EF AB 77\nread_id = dummy\npage = 2048\noob = 64\nblocks = 32\n"
    "dies = 2\ndie_select = c2\necc = 1/512\necc_status = generic\ncont_read = buf\n"
    /* Micron MT29F4G01ADAGD-like: two dies (D0h) of two planes */
    "[TM2]\n" COMMON "id = 2C 78\nread_id = dummy\npage = 2048\noob = 128\nblocks = 32\n"
    "planes = 2\ndies = 2\ndie_select = d0\necc = 8/512\necc_status = micron\n"
    /* Macronix-like: count from 7Ch */
    "[TMX]\n" COMMON "id = C2 77\nread_id = dummy\npage = 2048\noob = 64\nblocks = 64\n"
    "ecc = 4/512\necc_status = mx-7c\n"
    /* Kioxia-like 4 KiB pages */
    "[TK4]\n" COMMON "id = 98 77\nread_id = dummy\npage = 4096\noob = 256\nblocks = 16\n"
    "ecc = 8/512\necc_status = kioxia\n";

/* ---- a recording programmer in front of the sim ---- */
struct rec {
    struct cd_programmer *inner;
    unsigned ops[256];
    unsigned violations;
    char why[256];
    bool wel;
    int die;          /* selected die as the recorder follows it */
    bool unlocked[4]; /* A0h = 00h written on each die */
    bool stuck_busy;  /* answer every status read with OIP */
    bool lock_stuck;  /* WP# low: A0h writes do nothing, A0h reads 38h */
    uint32_t max_in, max_out;
};

static void violation(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!r->violations)
        vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    r->violations++;
}

static int rec_exec(struct cd_programmer *p, const struct cd_op *op)
{
    struct rec *r = p->priv;
    r->ops[op->cmd]++;
    if (op->dir == CD_DATA_IN && r->max_in && op->data_len > r->max_in)
        violation(r, "op %02X reads %u bytes, max_read is %u", op->cmd, op->data_len, r->max_in);
    if (op->dir == CD_DATA_OUT && r->max_out && op->data_len > r->max_out)
        violation(r, "op %02X writes %u bytes, max_write is %u", op->cmd, op->data_len, r->max_out);
    switch (op->cmd) {
    case 0x06:
        r->wel = true;
        break;
    case 0x10:
    case 0xD8:
        if (!r->wel)
            violation(r, "op %02X row %06X without WREN", op->cmd, op->addr);
        r->wel = false;
        break;
    case 0xC2:
        r->die = *(const uint8_t *)op->data.out;
        break;
    case 0x1F:
        if (op->addr == 0xD0)
            r->die = *(const uint8_t *)op->data.out >> 6;
        if (op->addr == 0xA0 && *(const uint8_t *)op->data.out == 0 && r->die >= 0)
            r->unlocked[r->die] = true;
        if (op->addr == 0xA0 && r->lock_stuck)
            return CD_OK;
        break;
    case 0x0F:
        if (op->addr == 0xC0 && r->stuck_busy) {
            *(uint8_t *)op->data.in = 0x01;
            return CD_OK;
        }
        if (op->addr == 0xA0 && r->lock_stuck) {
            *(uint8_t *)op->data.in = 0x38;
            return CD_OK;
        }
        break;
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
    const struct cd_chip *chip;
    struct cd_nand *nand;
};

static struct fixture *sim_only(const char *name, const char *extra)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(cd_chipdb_new_empty(&f->db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(f->db, rows, "test"), CD_OK);
    assert_int_equal(cd_chipdb_check(f->db, NULL, NULL), 0);
    snprintf(f->image, sizeof(f->image), "/tmp/cd_nand_test_%d.bin", (int)getpid());
    unlink(f->image);
    char spec[256];
    snprintf(spec, sizeof(spec), "sim:chip=%s,image=%s%s", name, f->image, extra);
    int r = cd_programmer_open(spec, f->db, NULL, &f->rec.inner);
    if (r)
        fail_msg("%s: %s", spec, cd_error_detail());
    f->prog.ops = &rec_ops;
    f->prog.priv = &f->rec;
    f->rec.die = -1;
    return f;
}

static struct fixture *open_chip(const char *name, const char *extra)
{
    struct fixture *f = sim_only(name, extra);
    struct cd_nand_probe probe;
    int r = cd_nand_probe(&f->prog, f->db, &probe);
    if (r)
        fail_msg("probe: %s", cd_error_detail());
    assert_non_null(probe.chip);
    assert_string_equal(probe.chip->name, name);
    assert_int_equal(probe.form, probe.chip->readid);
    f->chip = probe.chip;
    if (f->chip->dies == 1)
        f->rec.die = 0;
    r = cd_nand_open(&f->prog, f->chip, &f->nand);
    if (r)
        fail_msg("open: %s", cd_error_detail());
    for (unsigned d = 0; d < f->chip->dies; d++)
        assert_true(f->rec.unlocked[d]);
    return f;
}

static void close_chip(struct fixture *f)
{
    if (f->rec.violations)
        fail_msg("%u rule violation(s), first: %s", f->rec.violations, f->rec.why);
    cd_nand_close(f->nand);
    cd_programmer_close(f->rec.inner);
    cd_chipdb_free(f->db);
    unlink(f->image);
    free(f);
}

static struct cd_nand_model_stats stats(struct fixture *f)
{
    struct cd_nand_model_stats st;
    cd_nand_model_get_stats(cd_sim_model(f->rec.inner), &st);
    return st;
}

/* The rules every job here must keep. */
static void assert_careful(struct fixture *f)
{
    struct cd_nand_model_stats st = stats(f);
    assert_int_equal(st.double_programs, 0);
    assert_int_equal(st.blank_programs_ecc, 0);
    assert_int_equal(st.bad_block_erases, 0);
    assert_int_equal(st.bad_block_programs, 0);
    assert_int_equal(st.plane_mismatches, 0);
    assert_int_equal(st.cont_reads, 0);
    assert_int_equal(st.otp_accesses, 0);
    assert_int_equal(st.ignored_busy, 0);
    assert_int_equal(st.ignored_no_wel, 0);
    assert_int_equal(st.locked_rejects, 0);
}

/* Deterministic bytes that are neither 00 nor FF runs. */
static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

static uint8_t *image_bytes(struct fixture *f, size_t *len)
{
    uint8_t *b;
    assert_int_equal(cd_read_file(f->image, &b, len), CD_OK);
    return b;
}

/* ---- probing ---- */

static void test_probe_every_form(void **state)
{
    (void)state;
    static const char *const names[] = {"TW", "TGF", "TGA", "TMP", "TW2", "TM2", "TMX", "TK4"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct fixture *f = open_chip(names[i], "");
        assert_careful(f);
        close_chip(f);
    }
}

static void test_probe_unknown_lists_every_form(void **state)
{
    (void)state;
    struct fixture *f = sim_only("TW", ",id=EFAA99");
    struct cd_nand_probe probe;
    assert_int_equal(cd_nand_probe(&f->prog, f->db, &probe), CD_E_UNKNOWN_CHIP);
    const char *d = cd_error_detail();
    assert_non_null(strstr(d, "opcode: FF EF AA 99"));
    assert_non_null(strstr(d, "addr: EF AA 99"));
    assert_non_null(strstr(d, "dummy: EF AA 99"));
    close_chip(f);
    /* no form starts with the byte of a SPI-NAND maker: no chip (noise on MISO) */
    f = sim_only("TW", ",id=DE8030");
    assert_int_equal(cd_nand_probe(&f->prog, f->db, &probe), CD_E_NO_CHIP);
    assert_non_null(strstr(cd_error_detail(), "opcode: FF DE 80 30"));
    close_chip(f);
}

/* ---- page operations ---- */

static void roundtrip(const char *name, uint32_t max_in, uint32_t max_out)
{
    struct fixture *f = sim_only(name, "");
    f->prog.max_read = f->rec.max_in = max_in;
    f->prog.max_write = f->rec.max_out = max_out;
    struct cd_nand_probe probe;
    assert_int_equal(cd_nand_probe(&f->prog, f->db, &probe), CD_OK);
    f->chip = probe.chip;
    assert_int_equal(cd_nand_open(&f->prog, f->chip, &f->nand), CD_OK);
    const struct cd_chip *c = f->chip;
    uint32_t raw = cd_nand_raw_page(c), blocks = cd_nand_blocks(c);
    uint8_t *buf = malloc(raw), *oob = pattern(c->oob_size, 7);
    oob[0] = oob[1] = 0xFF; /* keep the bad-block marker clear */
    /* one page in the first and the last block of every die and plane */
    uint32_t pages[] = {0, c->pages_per_block + 3, (blocks - 1) * c->pages_per_block + 63,
                        (blocks / 2) * c->pages_per_block + 1};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *data = pattern(c->page_size, (unsigned)i + 1);
        assert_int_equal(cd_nand_program_page(f->nand, pages[i], data, oob, false), CD_OK);
        memset(buf, 0xCC, raw);
        assert_int_equal(cd_nand_read_page(f->nand, pages[i], buf, true, true), 0);
        assert_memory_equal(buf, data, c->page_size);
        assert_memory_equal(buf + c->page_size, oob, c->oob_size);
        memset(buf, 0xCC, raw);
        assert_int_equal(cd_nand_read_page(f->nand, pages[i], buf, false, false), 0);
        assert_memory_equal(buf, data, c->page_size);
        free(data);
    }
    /* the image holds each page at chip-wide page x (page + OOB) */
    size_t len;
    uint8_t *img = image_bytes(f, &len);
    assert_int_equal(len, cd_nand_raw_size(c));
    for (size_t i = 0; i < 4; i++) {
        uint8_t *data = pattern(c->page_size, (unsigned)i + 1);
        assert_memory_equal(img + (uint64_t)pages[i] * raw, data, c->page_size);
        free(data);
    }
    free(img);
    /* the block erase sets every byte of one block, and nothing else */
    assert_int_equal(cd_nand_erase_block(f->nand, blocks - 1), CD_OK);
    assert_int_equal(cd_nand_read_page(f->nand, pages[2], buf, true, false), 0);
    for (uint32_t k = 0; k < raw; k++)
        assert_int_equal(buf[k], 0xFF);
    assert_int_equal(cd_nand_read_page(f->nand, pages[1], buf, false, true), 0);
    uint8_t *d1 = pattern(c->page_size, 2);
    assert_memory_equal(buf, d1, c->page_size);
    free(d1);
    assert_careful(f);
    free(buf);
    free(oob);
    close_chip(f);
}

static void test_roundtrip_every_quirk(void **state)
{
    (void)state;
    static const char *const names[] = {"TW", "TGF", "TGA", "TMP", "TW2", "TM2", "TMX", "TK4"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        roundtrip(names[i], 0, 0);
}

/* Programmers with small transfers: cache reads and loads are split, columns follow. */
static void test_small_transfers(void **state)
{
    (void)state;
    roundtrip("TMP", 500, 300);
    roundtrip("TGF", 64, 1000);
}

/* Weak bits: reported through each vendor's encoding, corrected, raw when ECC is off. */
static void ecc_case(const char *name, unsigned nflips, int want)
{
    struct fixture *f = open_chip(name, "");
    const struct cd_chip *c = f->chip;
    uint8_t *data = pattern(c->page_size, 3), *buf = malloc(cd_nand_raw_page(c));
    assert_int_equal(cd_nand_program_page(f->nand, 70, data, NULL, true), CD_OK);
    struct cd_nand_fault fl = {CD_NAND_FAULT_BITFLIPS, 70, nflips, 1};
    assert_int_equal(cd_nand_model_add_fault(cd_sim_model(f->rec.inner), &fl), CD_OK);
    int got = cd_nand_read_page(f->nand, 70, buf, false, true);
    if (got != want)
        fail_msg("%s with %u weak bits: read_page returned %d, want %d", name, nflips, got, want);
    if (want >= 0)
        assert_memory_equal(buf, data, c->page_size);
    else
        assert_memory_not_equal(buf, data, c->page_size);
    /* ECC off: the flips are there, all in step 1 */
    assert_int_equal(cd_nand_read_page(f->nand, 70, buf, false, false), 0);
    unsigned diff = 0;
    for (uint32_t i = 0; i < c->page_size; i++)
        diff += (unsigned)__builtin_popcount(buf[i] ^ data[i]);
    assert_int_equal(diff, nflips);
    assert_memory_equal(buf, data, c->ecc_step);
    free(data);
    free(buf);
    close_chip(f);
}

static void test_ecc_reporting(void **state)
{
    (void)state;
    ecc_case("TW", 1, 1);
    ecc_case("TW", 2, CD_E_ECC_UNCORRECTABLE);
    ecc_case("TGF", 2, 3);
    ecc_case("TGF", 5, 5);
    ecc_case("TGF", 8, 8);
    ecc_case("TGF", 9, CD_E_ECC_UNCORRECTABLE);
    ecc_case("TGA", 3, 7);
    ecc_case("TMP", 5, 6);
    ecc_case("TM2", 7, 8);
    ecc_case("TMX", 3, 3);
    ecc_case("TMX", 5, CD_E_ECC_UNCORRECTABLE);
    ecc_case("TK4", 6, 6);
}

/* ---- open ---- */

static void test_open_clears_otp_and_cont_read(void **state)
{
    (void)state;
    struct fixture *f = sim_only("TW", "");
    /* someone left OTP_EN on (and BUF is 0 from power-up) */
    uint8_t v = 0x50;
    struct cd_op op = CD_OP_OUT(0x1F, 1, &v);
    op.addr_len = 1;
    op.addr = 0xB0;
    assert_int_equal(f->rec.inner->ops->exec_op(f->rec.inner, &op), CD_OK);
    struct cd_nand_probe probe;
    assert_int_equal(cd_nand_probe(&f->prog, f->db, &probe), CD_OK);
    f->chip = probe.chip;
    assert_int_equal(cd_nand_open(&f->prog, f->chip, &f->nand), CD_OK);
    uint8_t *data = pattern(2048, 9), oob[64], buf[2112];
    memset(oob, 0xFF, sizeof(oob));
    oob[5] = 0x42;
    assert_int_equal(cd_nand_program_page(f->nand, 1, data, oob, true), CD_OK);
    assert_int_equal(cd_nand_read_page(f->nand, 1, buf, true, true), 0);
    assert_memory_equal(buf, data, 2048);
    assert_int_equal(buf[2048 + 5], 0x42);
    assert_careful(f);
    free(data);
    close_chip(f);
}

static void test_open_write_protected(void **state)
{
    (void)state;
    struct fixture *f = sim_only("TW", "");
    f->rec.lock_stuck = true;
    struct cd_nand_probe probe;
    assert_int_equal(cd_nand_probe(&f->prog, f->db, &probe), CD_OK);
    assert_int_equal(cd_nand_open(&f->prog, probe.chip, &f->nand), CD_E_PROTECTED);
    assert_non_null(strstr(cd_error_detail(), "WP#"));
    assert_null(f->nand);
    close_chip(f);
}

static void test_stuck_busy_times_out(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TW", "");
    f->rec.stuck_busy = true;
    uint8_t buf[2112];
    assert_int_equal(cd_nand_read_page(f->nand, 0, buf, true, true), CD_E_TIMEOUT);
    assert_int_equal(cd_nand_erase_block(f->nand, 1), CD_E_TIMEOUT);
    f->rec.stuck_busy = false;
    close_chip(f);
}

/* ---- jobs ---- */

static uint8_t *data_image(const struct cd_chip *c, uint32_t blocks, unsigned seed)
{
    uint64_t bb = cd_nand_block_bytes(c, false);
    uint8_t *img = pattern(bb * blocks, seed);
    /* an erased block and an erased page, which must never be programmed */
    memset(img + 2 * bb, 0xFF, bb);
    memset(img + 5 * bb + 3 * c->page_size, 0xFF, c->page_size);
    return img;
}

static void test_read_blocks_bad_and_ecc(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TW", ",faults=bad:3+bad:9+flip:640:1+flip:641:1:2+flip:700:2");
    const struct cd_chip *c = f->chip;
    uint64_t bb = cd_nand_block_bytes(c, false);
    uint8_t *buf = malloc(bb * 64);
    uint64_t len;
    struct cd_nand_report rep;
    struct cd_nand_read_opts o = {0};
    assert_int_equal(cd_nand_read_blocks(f->nand, 0, 64, &o, buf, &len, &rep), CD_OK);
    assert_int_equal(len, bb * 64);
    assert_int_equal(rep.nbad, 2);
    assert_int_equal(rep.bad_blocks[0], 3);
    assert_int_equal(rep.bad_blocks[1], 9);
    /* block 10: two pages corrected (1 bit each, reported as the strength 1) */
    assert_int_equal(rep.necc, 1);
    assert_int_equal(rep.ecc[0].block, 10);
    assert_int_equal(rep.ecc[0].pages_corrected, 2);
    assert_int_equal(rep.ecc[0].bitflips, 2);
    assert_int_equal(rep.ecc[0].pages_uncorrectable, 1); /* page 700 = block 10, 2 flips */
    assert_int_equal(rep.nuncorrectable, 1);
    assert_int_equal(rep.uncorrectable[0], 700);
    cd_nand_report_free(&rep);

    o.skip_bad = true;
    assert_int_equal(cd_nand_read_blocks(f->nand, 0, 64, &o, buf, &len, &rep), CD_OK);
    assert_int_equal(len, bb * 62);
    cd_nand_report_free(&rep);

    /* page+OOB reads equal the image exactly (flips corrected, bad blocks in place) */
    uint8_t *raw = malloc(cd_nand_block_bytes(c, true) * 64);
    o = (struct cd_nand_read_opts){.oob = true};
    assert_int_equal(cd_nand_read_blocks(f->nand, 0, 64, &o, raw, &len, &rep), CD_OK);
    size_t ilen;
    uint8_t *img = image_bytes(f, &ilen);
    assert_int_equal(len, ilen);
    /* except the uncorrectable page, which reads as the chip returns it */
    uint64_t p700 = 700ull * cd_nand_raw_page(c);
    assert_memory_equal(raw, img, p700);
    assert_memory_equal(raw + p700 + cd_nand_raw_page(c), img + p700 + cd_nand_raw_page(c),
                        ilen - p700 - cd_nand_raw_page(c));
    cd_nand_report_free(&rep);
    free(img);
    free(raw);
    free(buf);
    assert_careful(f);
    close_chip(f);
}

static void test_write_inplace(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TMP", ",faults=bad:4+bad:11");
    const struct cd_chip *c = f->chip;
    uint64_t bb = cd_nand_block_bytes(c, false);
    uint8_t *img = data_image(c, 64, 1);
    size_t ilen;
    uint8_t *before = image_bytes(f, &ilen);
    uint64_t rb = cd_nand_block_bytes(c, true);

    /* data where the chip has a bad block: refused before any erase */
    struct cd_nand_report rep;
    struct cd_nand_write_opts o = {.verify = true};
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, img, bb * 64, NULL, &o, &rep),
                     CD_E_BAD_IMAGE);
    assert_non_null(strstr(cd_error_detail(), "block 4"));
    assert_int_equal(stats(f).block_erases, 0);
    cd_nand_report_free(&rep);

    /* 0xFF there is fine */
    memset(img + 4 * bb, 0xFF, bb);
    memset(img + 11 * bb, 0xFF, bb);
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, img, bb * 64, NULL, &o, &rep), CD_OK);
    assert_int_equal(rep.nbad, 2);
    /* 62 good blocks erased; block 2 is all 0xFF: erased, nothing programmed */
    assert_int_equal(rep.blocks_erased, 62);
    assert_int_equal(rep.pages_blank, 1);
    assert_int_equal(rep.pages_programmed, 61 * 64 - 1);
    cd_nand_report_free(&rep);
    size_t alen;
    uint8_t *after = image_bytes(f, &alen);
    /* the bad blocks' bytes, OOB markers included, are untouched */
    assert_memory_equal(after + 4 * rb, before + 4 * rb, rb);
    assert_memory_equal(after + 11 * rb, before + 11 * rb, rb);
    /* and a data read gives the image back */
    uint8_t *buf = malloc(bb * 64);
    uint64_t len;
    struct cd_nand_read_opts ro = {0};
    assert_int_equal(cd_nand_read_blocks(f->nand, 0, 64, &ro, buf, &len, &rep), CD_OK);
    cd_nand_report_free(&rep);
    for (uint32_t b = 0; b < 64; b++)
        if (b != 4 && b != 11)
            assert_memory_equal(buf + b * bb, img + b * bb, bb);

    /* writing the same again changes nothing when the caller passes the current contents */
    uint64_t erases = stats(f).block_erases;
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, buf, bb * 64, buf, &o, &rep), CD_OK);
    assert_int_equal(rep.blocks_unchanged, 62);
    assert_int_equal(stats(f).block_erases, erases);
    cd_nand_report_free(&rep);
    assert_careful(f);
    free(buf);
    free(after);
    free(before);
    free(img);
    close_chip(f);
}

/* An image read from this very chip (bad blocks' bytes included) writes back in place. */
static void test_write_inplace_same_chip_image(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TW", ",faults=bad:6");
    const struct cd_chip *c = f->chip;
    uint64_t bb = cd_nand_block_bytes(c, false);
    /* put data into the bad block's pages by programming them before it is scanned */
    uint8_t *junk = pattern(c->page_size, 77);
    assert_int_equal(cd_nand_program_page(f->nand, 6 * 64 + 1, junk, NULL, true), CD_OK);
    free(junk);
    uint8_t *buf = malloc(bb * 64);
    uint64_t len;
    struct cd_nand_report rep;
    struct cd_nand_read_opts ro = {0};
    assert_int_equal(cd_nand_read_blocks(f->nand, 0, 64, &ro, buf, &len, &rep), CD_OK);
    cd_nand_report_free(&rep);
    uint8_t *img = data_image(c, 64, 4);
    memcpy(img + 6 * bb, buf + 6 * bb, bb);
    struct cd_nand_write_opts o = {.verify = true};
    uint64_t erases = stats(f).block_erases;
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, img, bb * 64, NULL, &o, &rep), CD_OK);
    assert_int_equal(stats(f).block_erases - erases, 63);
    assert_int_equal(stats(f).bad_block_erases, 0);
    cd_nand_report_free(&rep);
    free(img);
    free(buf);
    close_chip(f);
}

static void test_write_skip(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TW2", ",faults=bad:1+bad:40");
    const struct cd_chip *c = f->chip;
    uint64_t bb = cd_nand_block_bytes(c, false);
    uint8_t *img = pattern(bb * 62, 5);
    struct cd_nand_report rep;
    struct cd_nand_write_opts o = {.bad_blocks = CD_NAND_BB_SKIP, .verify = true};
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, img, bb * 62, NULL, &o, &rep), CD_OK);
    cd_nand_report_free(&rep);
    /* a skip-bad read finds it */
    uint8_t *buf = malloc(bb * 64);
    uint64_t len;
    struct cd_nand_read_opts ro = {.skip_bad = true};
    assert_int_equal(cd_nand_read_blocks(f->nand, 0, 64, &ro, buf, &len, &rep), CD_OK);
    assert_int_equal(len, bb * 62);
    assert_memory_equal(buf, img, bb * 62);
    cd_nand_report_free(&rep);
    assert_int_equal(
        cd_nand_verify_blocks(f->nand, 0, 64, img, bb * 62, false, true, NULL, NULL, &rep), CD_OK);
    cd_nand_report_free(&rep);

    /* 63 blocks of data need 63 good blocks: refused, nothing erased */
    uint64_t erases = stats(f).block_erases;
    uint8_t *big = pattern(bb * 64, 6);
    memset(big + 63 * bb, 0xFF, bb); /* a trailing blank block needs no good block */
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, big, bb * 64, NULL, &o, &rep),
                     CD_E_SIZE_MISMATCH);
    assert_non_null(strstr(cd_error_detail(), "needs 63 good blocks"));
    assert_int_equal(stats(f).block_erases, erases);
    cd_nand_report_free(&rep);
    /* fail: refuses any bad block */
    o.bad_blocks = CD_NAND_BB_FAIL;
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 64, big, bb * 64, NULL, &o, &rep), CD_E_ARG);
    assert_int_equal(stats(f).block_erases, erases);
    cd_nand_report_free(&rep);
    /* but fail writes a range without bad blocks */
    assert_int_equal(cd_nand_write_blocks(f->nand, 2, 30, big, bb * 30, NULL, &o, &rep), CD_OK);
    cd_nand_report_free(&rep);
    assert_careful(f);
    free(big);
    free(buf);
    free(img);
    close_chip(f);
}

/* A program failure stops the write at that block; nothing after it is touched. */
static void test_program_failure_stops(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TGA", ",faults=pfail:7");
    const struct cd_chip *c = f->chip;
    uint64_t bb = cd_nand_block_bytes(c, false);
    uint8_t *img = data_image(c, 16, 2);
    struct cd_nand_report rep;
    struct cd_nand_write_opts o = {.verify = true};
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, 16, img, bb * 16, NULL, &o, &rep),
                     CD_E_PROGRAM_FAIL);
    assert_int_equal(rep.failed_block, 7);
    assert_non_null(strstr(cd_error_detail(), "block 7"));
    assert_int_equal(stats(f).block_erases, 8); /* blocks 0..7 */
    size_t len;
    uint8_t *now = image_bytes(f, &len);
    uint64_t rb = cd_nand_block_bytes(c, true);
    for (uint64_t i = 8 * rb; i < 16 * rb; i++)
        assert_int_equal(now[i], 0xFF);
    cd_nand_report_free(&rep);
    free(now);

    /* an erase failure likewise */
    struct fixture *g = open_chip("TGA", ",faults=efail:3");
    assert_int_equal(cd_nand_write_blocks(g->nand, 0, 16, img, bb * 16, NULL, &o, &rep),
                     CD_E_ERASE_FAIL);
    assert_int_equal(rep.failed_block, 3);
    assert_int_equal(stats(g).block_erases, 3);
    cd_nand_report_free(&rep);
    assert_int_equal(cd_nand_erase_blocks(g->nand, 0, 16, NULL, NULL, &rep), CD_E_ERASE_FAIL);
    assert_int_equal(rep.failed_block, 3);
    cd_nand_report_free(&rep);
    free(img);
    close_chip(g);
    close_chip(f);
}

/* Raw (page+OOB) writes go with ECC off and put the OOB back exactly. */
static void test_raw_write(void **state)
{
    (void)state;
    struct fixture *f = open_chip("TM2", ",faults=bad:20");
    const struct cd_chip *c = f->chip;
    uint64_t rb = cd_nand_block_bytes(c, true);
    uint32_t blocks = cd_nand_blocks(c);
    size_t len;
    uint8_t *img = pattern(rb * blocks, 8);
    uint8_t *now = image_bytes(f, &len);
    for (uint32_t b = 0; b < blocks; b++) {
        uint8_t *oob = img + b * rb + c->page_size;
        oob[0] = oob[1] = 0xFF;
    }
    memcpy(img + 20 * rb, now + 20 * rb, rb); /* the bad block as this chip has it */
    struct cd_nand_report rep;
    struct cd_nand_write_opts o = {.raw = true, .verify = true};
    assert_int_equal(cd_nand_write_blocks(f->nand, 0, blocks, img, rb * blocks, NULL, &o, &rep),
                     CD_OK);
    cd_nand_report_free(&rep);
    free(now);
    now = image_bytes(f, &len);
    assert_memory_equal(now, img, len);
    free(now);
    free(img);
    assert_careful(f);
    close_chip(f);
}

static void test_strip_oob(void **state)
{
    (void)state;
    const uint32_t page = 2048, oob = 64, ppb = 4;
    uint64_t pages = 16;
    uint8_t *raw = pattern(pages * (page + oob), 3);
    for (uint64_t p = 0; p < pages; p++)
        memset(raw + p * (page + oob) + page, 0xFF, 2);
    raw[1 * ppb * (page + oob) + page + 1] = 0x00; /* block 1 bad (byte 1) */
    uint8_t *out = malloc(pages * page);
    uint64_t len;
    uint32_t *bad;
    size_t nbad;
    assert_int_equal(cd_nand_strip_oob(raw, pages, page, oob, ppb, false, out, &len, &bad, &nbad),
                     CD_OK);
    assert_int_equal(len, pages * page);
    assert_int_equal(nbad, 1);
    assert_int_equal(bad[0], 1);
    for (uint64_t p = 0; p < pages; p++)
        assert_memory_equal(out + p * page, raw + p * (page + oob), page);
    free(bad);
    assert_int_equal(cd_nand_strip_oob(raw, pages, page, oob, ppb, true, out, &len, &bad, &nbad),
                     CD_OK);
    assert_int_equal(len, (pages - ppb) * page);
    assert_memory_equal(out + ppb * page, raw + 2 * ppb * (page + oob), page);
    free(bad);
    free(out);
    free(raw);
}

/* The streamed strip, from a mapped file and from a pipe (read() path): same bytes, same
 * SHA-256, same bad blocks. */
static void strip_fd_case(bool use_pipe)
{
    const uint32_t page = 2048, oob = 64, ppb = 4;
    const uint64_t pages = 3 * 1024 + 2 * ppb; /* several chunks of either path */
    const size_t rawlen = pages * (page + oob);
    uint8_t *raw = pattern(rawlen, 11), *want = malloc(pages * page);
    for (uint64_t p = 0; p < pages; p++)
        memset(raw + p * (page + oob) + page, 0xFF, 2);
    raw[(uint64_t)700 * ppb * (page + oob) + page] = 0x00; /* block 700 bad */
    uint64_t wlen;
    assert_int_equal(cd_nand_strip_oob(raw, pages, page, oob, ppb, true, want, &wlen, NULL, NULL),
                     CD_OK);
    char wsha[65], sha[65], in[64], outp[64];
    assert_int_equal(cd_sha256_hex(want, wlen, wsha), CD_OK);
    snprintf(in, sizeof(in), "/tmp/cd_strip_in_%d", (int)getpid());
    snprintf(outp, sizeof(outp), "/tmp/cd_strip_out_%d", (int)getpid());
    int fd;
    pid_t child = -1;
    if (use_pipe) {
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            close(pfd[0]);
            for (size_t done = 0; done < rawlen;) {
                ssize_t k = write(pfd[1], raw + done, rawlen - done);
                if (k <= 0)
                    _exit(1);
                done += (size_t)k;
            }
            _exit(0);
        }
        close(pfd[1]);
        fd = pfd[0];
    } else {
        assert_int_equal(cd_write_file_atomic(in, raw, rawlen, true), CD_OK);
        fd = open(in, O_RDONLY);
        assert_true(fd >= 0);
    }
    struct cd_outfile *o;
    unlink(outp);
    assert_int_equal(cd_outfile_open(outp, true, &o), CD_OK);
    uint64_t len;
    uint32_t *bad;
    size_t nbad;
    assert_int_equal(
        cd_nand_strip_oob_fd(fd, pages, page, oob, ppb, true, o, sha, &len, &bad, &nbad), CD_OK);
    assert_int_equal(cd_outfile_commit(o), CD_OK);
    close(fd);
    if (child > 0)
        waitpid(child, NULL, 0);
    assert_int_equal(len, wlen);
    assert_string_equal(sha, wsha);
    assert_int_equal(nbad, 1);
    assert_int_equal(bad[0], 700);
    uint8_t *got;
    size_t glen;
    assert_int_equal(cd_read_file(outp, &got, &glen), CD_OK);
    assert_int_equal(glen, wlen);
    assert_memory_equal(got, want, wlen);
    unlink(in);
    unlink(outp);
    free(got);
    free(bad);
    free(want);
    free(raw);
}

static void test_strip_oob_fd(void **state)
{
    (void)state;
    strip_fd_case(false);
    strip_fd_case(true);
}

/* The manifest's "nand" object (output.c): every field a reader of OUT.json relies on. */
static void test_manifest_nand(void **state)
{
    (void)state;
    const uint32_t bad[] = {3, 9}, unc[] = {700};
    const struct cd_manifest_ecc_block eb[] = {{10, 3, 1, 3, 1}};
    const uint32_t erase = 131072;
    struct cd_manifest_nand n = {.layout = "data+oob",
                                 .oob_size = 64,
                                 .pages_per_block = 64,
                                 .blocks = 1024,
                                 .planes = 1,
                                 .dies = 1,
                                 .ecc = "on-die",
                                 .ecc_strength = 1,
                                 .ecc_step = 512,
                                 .bad_blocks_policy = "in place",
                                 .bad_blocks = bad,
                                 .nbad_blocks = 2,
                                 .ecc_blocks = eb,
                                 .necc_blocks = 1,
                                 .uncorrectable_pages = unc,
                                 .nuncorrectable_pages = 1,
                                 .corrected_bitflips = 3};
    struct cd_manifest m = {.file = "x.bin",
                            .chip = "W25N01GV",
                            .type = "nand",
                            .erase_sizes = &erase,
                            .nerase_sizes = 1,
                            .sha256 = "00",
                            .date = "2026-01-01T00:00:00Z",
                            .nand = &n};
    char *j = cd_manifest_json(&m);
    assert_non_null(j);
    static const char *const want[] = {
        "\"nand\": {",
        "\"layout\": \"data+oob\"",
        "\"ecc\": \"on-die\"",
        "\"bad_blocks_policy\": \"in place\"",
        "\"block\": 10",
        "\"corrected_bitflips\": 3",
        "\"max_bitflips_per_page\": 1",
        "\"pages_uncorrectable\": 1",
        "\"uncorrectable_pages\": [\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(j, want[i]))
            fail_msg("manifest lacks %s:\n%s", want[i], j);
    assert_non_null(strstr(j, "\"bad_blocks\": [\n      3,\n      9\n    ]"));
    free(j);
    /* NOR manifests have no "nand" object; a count without its array is refused */
    m.nand = NULL;
    j = cd_manifest_json(&m);
    assert_null(strstr(j, "\"nand\": {"));
    free(j);
    n.bad_blocks = NULL;
    m.nand = &n;
    assert_null(cd_manifest_json(&m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_every_form),
        cmocka_unit_test(test_probe_unknown_lists_every_form),
        cmocka_unit_test(test_roundtrip_every_quirk),
        cmocka_unit_test(test_small_transfers),
        cmocka_unit_test(test_ecc_reporting),
        cmocka_unit_test(test_open_clears_otp_and_cont_read),
        cmocka_unit_test(test_open_write_protected),
        cmocka_unit_test(test_stuck_busy_times_out),
        cmocka_unit_test(test_read_blocks_bad_and_ecc),
        cmocka_unit_test(test_write_inplace),
        cmocka_unit_test(test_write_inplace_same_chip_image),
        cmocka_unit_test(test_write_skip),
        cmocka_unit_test(test_program_failure_stops),
        cmocka_unit_test(test_raw_write),
        cmocka_unit_test(test_strip_oob),
        cmocka_unit_test(test_manifest_nand),
        cmocka_unit_test(test_strip_oob_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
