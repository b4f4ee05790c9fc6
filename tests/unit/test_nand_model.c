/*
 * The SPI-NAND chip model at the byte level: what a host sees on the wire, command by command
 * (READ ID forms, power-up lock, OIP timing, caches and planes, dies, continuous read, OTP, the
 * vendors' ECC encodings, fault injection), without the driver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chipdump/chipdump.h"
#include "nand_ecc.h"

#define COMMON                                                                                     \
    "vendor = Test\ntype = nand\npages_per_block = 64\nvoltage = 2.7-3.6\nsource = test\n"

static const char rows[] =
    "[MW]\n" COMMON "id = EF AA 21\nread_id = dummy\npage = 2048\noob = 64\nblocks = 16\n"
    "ecc = 1/512\necc_status = generic\ncont_read = buf\nt_read = 25/60us\n"
    "[MGA]\n" COMMON "id = C8 F1\nread_id = addr\npage = 2048\noob = 64\nblocks = 16\n"
    "ecc = 8/512\necc_status = gd-xa\n"
    "[MGF]\n" COMMON "id = C8 B1 48\nread_id = opcode\npage = 2048\noob = 128\nblocks = 16\n"
    "ecc = 8/512\necc_status = gd-ufuc\ncache_dummy = before\n"
    "[MP2]\n" COMMON "id = 2C 24\nread_id = dummy\npage = 2048\noob = 128\nblocks = 16\n"
    "planes = 2\necc = 8/512\necc_status = micron\n"
    "[MD2]\n" COMMON "id = EF AB 21\nread_id = dummy\npage = 2048\noob = 64\nblocks = 8\n"
    "dies = 2\ndie_select = c2\necc = 1/512\necc_status = generic\n"
    "[MCR]\n" COMMON "id = 2C 34\nread_id = dummy\npage = 4096\noob = 256\nblocks = 8\n"
    "ecc = 8/512\necc_status = micron\ncont_read = cr\n";

struct chip {
    struct cd_chipdb *db;
    const struct cd_chip *row;
    uint8_t *array;
    size_t size;
    struct cd_spi_model *m;
};

static struct chip *make(const char *name)
{
    struct chip *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    assert_int_equal(cd_chipdb_new_empty(&c->db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(c->db, rows, "t"), CD_OK);
    assert_int_equal(cd_chipdb_find_name(c->db, name, &c->row), CD_OK);
    c->size = cd_nand_raw_size(c->row);
    c->array = malloc(c->size);
    assert_non_null(c->array);
    memset(c->array, 0xFF, c->size);
    c->m = cd_nand_model_new(c->row, c->array);
    assert_non_null(c->m);
    return c;
}

static void destroy(struct chip *c)
{
    c->m->ops->destroy(c->m);
    cd_chipdb_free(c->db);
    free(c->array);
    free(c);
}

/* One transaction: out bytes, then n_in bytes read. */
static void tx(struct chip *c, const uint8_t *out, size_t n_out, uint8_t *in, size_t n_in)
{
    c->m->ops->select(c->m);
    c->m->ops->xfer(c->m, out, NULL, n_out);
    if (n_in)
        c->m->ops->xfer(c->m, NULL, in, n_in);
    c->m->ops->deselect(c->m);
}

static void cmd(struct chip *c, uint8_t op)
{
    tx(c, &op, 1, NULL, 0);
}

static uint8_t get(struct chip *c, uint8_t reg)
{
    uint8_t o[2] = {0x0F, reg}, v;
    tx(c, o, 2, &v, 1);
    return v;
}

static void set(struct chip *c, uint8_t reg, uint8_t v)
{
    uint8_t o[3] = {0x1F, reg, v};
    tx(c, o, 3, NULL, 0);
}

static void row_cmd(struct chip *c, uint8_t op, uint32_t row)
{
    uint8_t o[4] = {op, (uint8_t)(row >> 16), (uint8_t)(row >> 8), (uint8_t)row};
    tx(c, o, 4, NULL, 0);
}

static void wait_ready(struct chip *c)
{
    for (int i = 0; i < 100000 && (get(c, 0xC0) & 1); i++)
        c->m->ops->advance_ns(c->m, 1000);
    assert_int_equal(get(c, 0xC0) & 1, 0);
}

static void read_cache(struct chip *c, uint16_t col, uint8_t *buf, size_t n)
{
    uint8_t o[4] = {0x03, (uint8_t)(col >> 8), (uint8_t)col, 0xFF};
    if (c->row->cache_dummy_first) {
        o[1] = 0x00; /* the dummy byte leads */
        o[2] = (uint8_t)(col >> 8);
        o[3] = (uint8_t)col;
    }
    tx(c, o, 4, buf, n);
}

static void load(struct chip *c, uint8_t op, uint16_t col, const uint8_t *buf, size_t n)
{
    uint8_t o[3] = {op, (uint8_t)(col >> 8), (uint8_t)col};
    c->m->ops->select(c->m);
    c->m->ops->xfer(c->m, o, NULL, 3);
    c->m->ops->xfer(c->m, buf, NULL, n);
    c->m->ops->deselect(c->m);
}

static void page_read(struct chip *c, uint32_t row)
{
    row_cmd(c, 0x13, row);
    wait_ready(c);
}

static struct cd_nand_model_stats stats(struct chip *c)
{
    struct cd_nand_model_stats st;
    cd_nand_model_get_stats(c->m, &st);
    return st;
}

static void test_read_id_forms(void **state)
{
    (void)state;
    uint8_t id[6], op9f = 0x9F, o2[2] = {0x9F, 0x00};
    struct chip *w = make("MW");
    tx(w, &op9f, 1, id, 6); /* no dummy: the dummy slot reads FFh, then the ID */
    assert_memory_equal(id, "\xFF\xEF\xAA\x21\xFF\xFF", 6);
    tx(w, o2, 2, id, 4);
    assert_memory_equal(id, "\xEF\xAA\x21\xFF", 4);
    destroy(w);

    struct chip *a = make("MGA");
    tx(a, o2, 2, id, 3);
    assert_memory_equal(id, "\xC8\xF1\xFF", 3);
    o2[1] = 0x01; /* address 01h: from the device byte */
    tx(a, o2, 2, id, 2);
    assert_memory_equal(id, "\xF1\xFF", 2);
    destroy(a);

    struct chip *f = make("MGF");
    tx(f, &op9f, 1, id, 4);
    assert_memory_equal(id, "\xC8\xB1\x48\xFF", 4);
    destroy(f);
}

/* Power-up: everything locked; program and erase fail until A0h is cleared. */
static void test_powerup_lock(void **state)
{
    (void)state;
    struct chip *c = make("MGA");
    assert_int_equal(get(c, 0xA0), 0x38);
    assert_int_equal(get(c, 0xB0) & 0x10, 0x10); /* ECC on */
    uint8_t data[16];
    memset(data, 0x00, sizeof(data));
    cmd(c, 0x06);
    load(c, 0x02, 0, data, sizeof(data));
    row_cmd(c, 0x10, 5);
    wait_ready(c);
    assert_int_equal(get(c, 0xC0) & 0x08, 0x08); /* P_FAIL */
    assert_int_equal(c->array[5 * 2112], 0xFF);
    assert_int_equal(stats(c).locked_rejects, 1);

    set(c, 0xA0, 0x00);
    /* no WREN: ignored */
    load(c, 0x02, 0, data, sizeof(data));
    row_cmd(c, 0x10, 5);
    assert_int_equal(get(c, 0xC0) & 0x01, 0);
    assert_int_equal(stats(c).ignored_no_wel, 1);
    cmd(c, 0x06);
    assert_int_equal(get(c, 0xC0) & 0x02, 0x02); /* WEL */
    load(c, 0x02, 0, data, sizeof(data));
    row_cmd(c, 0x10, 5);
    assert_int_equal(get(c, 0xC0) & 0x01, 0x01); /* busy */
    assert_int_equal(c->array[5 * 2112], 0xFF);  /* the cells change at the end */
    wait_ready(c);
    assert_int_equal(get(c, 0xC0) & 0x0A, 0); /* no P_FAIL, WEL cleared */
    assert_memory_equal(c->array + 5 * 2112, data, sizeof(data));
    assert_int_equal(c->array[5 * 2112 + 16], 0xFF); /* the load reset the cache to FFh */
    destroy(c);
}

/* PAGE READ keeps OIP for t_read; commands but GET FEATURE are ignored meanwhile. */
static void test_page_read_timing(void **state)
{
    (void)state;
    struct chip *c = make("MW");
    memset(c->array + 3 * 2112, 0x5A, 2112);
    set(c, 0xB0, 0x18); /* BUF: page mode */
    row_cmd(c, 0x13, 3);
    c->m->ops->advance_ns(c->m, 24000);
    assert_int_equal(get(c, 0xC0) & 1, 1);
    uint8_t buf[8];
    read_cache(c, 0, buf, 8);
    assert_memory_equal(buf, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
    assert_int_equal(stats(c).ignored_busy, 1);
    c->m->ops->advance_ns(c->m, 1000);
    assert_int_equal(get(c, 0xC0) & 1, 0);
    read_cache(c, 2046, buf, 8); /* across the data/OOB boundary, then past the end */
    assert_memory_equal(buf, "\x5A\x5A\x5A\x5A\x5A\x5A\x5A\x5A", 8);
    read_cache(c, 2110, buf, 4);
    assert_memory_equal(buf, "\x5A\x5A\xFF\xFF", 4);
    destroy(c);
}

/* BUF = 0 after power-up (W25N01GVxxIT): the cache read ignores the column and streams. */
static void test_continuous_read(void **state)
{
    (void)state;
    struct chip *c = make("MW");
    memset(c->array + 0 * 2112, 0x11, 2048);
    memset(c->array + 1 * 2112, 0x22, 2048);
    page_read(c, 0);
    uint8_t buf[4];
    read_cache(c, 2046, buf, 4); /* column ignored: from byte 0 of page 0 */
    assert_memory_equal(buf, "\x11\x11\x11\x11", 4);
    assert_int_equal(stats(c).cont_reads, 1);
    set(c, 0xB0, get(c, 0xB0) | 0x08);
    page_read(c, 0);
    read_cache(c, 2046, buf, 4);
    assert_memory_equal(buf, "\x11\x11\xFF\xFF", 4);
    destroy(c);

    struct chip *m = make("MCR");
    assert_int_equal(get(m, 0xB0) & 0x01, 0x01); /* CR on at power-up */
    destroy(m);
}

/* GigaDevice xF: 03h takes the dummy byte first. */
static void test_dummy_first(void **state)
{
    (void)state;
    struct chip *c = make("MGF");
    c->array[7 * 2176 + 0x123] = 0x77;
    page_read(c, 7);
    uint8_t o[4] = {0x03, 0x00, 0x01, 0x23}, v;
    tx(c, o, 4, &v, 1);
    assert_int_equal(v, 0x77);
    uint8_t o2[4] = {0x03, 0x01, 0x23, 0x00}; /* column first, as other vendors: wrong here */
    tx(c, o2, 4, &v, 1);
    assert_int_not_equal(v, 0x77);
    destroy(c);
}

/* Two planes: one cache each, the plane bit (column bit 12) picks it. */
static void test_planes(void **state)
{
    (void)state;
    struct chip *c = make("MP2");
    const uint32_t raw = 2176;
    c->array[(64 + 2) * raw] = 0xB1; /* block 1 (plane 1), page 2 */
    c->array[2 * raw] = 0xB0;        /* block 0 (plane 0), page 2 */
    page_read(c, 64 + 2);
    uint8_t v;
    read_cache(c, 0x1000, &v, 1);
    assert_int_equal(v, 0xB1);
    assert_int_equal(stats(c).plane_mismatches, 0);
    read_cache(c, 0x0000, &v, 1); /* plane 0's cache was never loaded */
    assert_int_equal(v, 0xFF);
    assert_int_equal(stats(c).plane_mismatches, 1);

    /* a load into the wrong plane's cache: the page gets the stale cache of its own plane */
    set(c, 0xA0, 0);
    uint8_t data[4] = {1, 2, 3, 4};
    cmd(c, 0x06);
    load(c, 0x02, 0x0000, data, 4);
    row_cmd(c, 0x10, 64 * 3 + 1); /* block 3: plane 1 */
    wait_ready(c);
    assert_int_equal(stats(c).plane_mismatches, 2);
    assert_int_equal(c->array[(64 * 3 + 1) * raw], 0xB1);
    cmd(c, 0x06);
    load(c, 0x02, 0x1000, data, 4);
    row_cmd(c, 0x10, 64 * 3 + 2);
    wait_ready(c);
    assert_memory_equal(c->array + (64 * 3 + 2) * raw, data, 4);
    assert_int_equal(stats(c).plane_mismatches, 2);
    destroy(c);
}

/* Two dies: C2h selects; each die has its own lock register and rows. */
static void test_dies(void **state)
{
    (void)state;
    struct chip *c = make("MD2");
    const uint64_t die1 = 8ull * 64 * 2112;
    uint8_t sel[2] = {0xC2, 1};
    set(c, 0xA0, 0);
    tx(c, sel, 2, NULL, 0);
    assert_int_equal(get(c, 0xA0), 0x38); /* die 1 still locked */
    set(c, 0xA0, 0);
    uint8_t data[2] = {0xD1, 0xE1};
    cmd(c, 0x06);
    load(c, 0x02, 0, data, 2);
    row_cmd(c, 0x10, 0);
    wait_ready(c);
    assert_int_equal(c->array[die1], 0xD1);
    assert_int_equal(c->array[0], 0xFF);
    destroy(c);
}

/* Weak bits and the ECC engine: every scheme's encoding decodes (by nand_ecc.c) to the count,
 * an upper bound of it, or "uncorrectable" past the strength; ECC off shows them raw. */
struct regread {
    struct chip *c;
};
static int model_reg(void *user, uint16_t reg, uint8_t *val)
{
    struct chip *c = ((struct regread *)user)->c;
    if (reg == CD_NAND_REG_MX_ECCSR) {
        uint8_t o[2] = {0x7C, 0xFF};
        tx(c, o, 2, val, 1);
    } else {
        *val = get(c, (uint8_t)reg);
    }
    return CD_OK;
}

static void test_ecc_every_scheme(void **state)
{
    (void)state;
    static const struct {
        const char *decoder;
        unsigned strength;
    } schemes[] = {{"generic", 1}, {"winbond-kv", 8}, {"gd-xa", 8}, {"gd-uexxg", 8},
                   {"gd-q5", 4},   {"gd-ufuc", 8},    {"mx-7c", 4}, {"micron", 8},
                   {"kioxia", 8},  {"xtx-a", 8},      {"xtx-d", 8}, {"dosilicon-gb", 8},
                   {"foresee", 1}, {"zetta", 1}};
    for (size_t s = 0; s < sizeof(schemes) / sizeof(schemes[0]); s++) {
        char row[512];
        snprintf(row, sizeof(row),
                 "[E]\n" COMMON "id = 77 01\nread_id = dummy\npage = 2048\noob = 64\nblocks = 4\n"
                 "ecc = %u/512\necc_status = %s\n",
                 schemes[s].strength, schemes[s].decoder);
        struct cd_chipdb *db;
        const struct cd_chip *r;
        assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
        assert_int_equal(cd_chipdb_add_text(db, row, "t"), CD_OK);
        assert_int_equal(cd_chipdb_find_name(db, "E", &r), CD_OK);
        const struct cd_nand_ecc_decoder *d = cd_nand_ecc_decoder(schemes[s].decoder);
        assert_non_null(d);
        for (unsigned n = 0; n <= schemes[s].strength + 1; n++) {
            struct chip c = {.row = r, .size = cd_nand_raw_size(r)};
            c.array = malloc(c.size);
            memset(c.array, 0xA5, c.size);
            c.m = cd_nand_model_new(r, c.array);
            assert_non_null(c.m);
            if (n) {
                struct cd_nand_fault f = {CD_NAND_FAULT_BITFLIPS, 9, n, 3};
                assert_int_equal(cd_nand_model_add_fault(c.m, &f), CD_OK);
            }
            page_read(&c, 9);
            struct regread rr = {&c};
            int got = d->status(get(&c, 0xC0), schemes[s].strength, model_reg, &rr);
            uint8_t buf[2048];
            read_cache(&c, 0, buf, sizeof(buf));
            if (n > schemes[s].strength) {
                if (got != CD_E_ECC_UNCORRECTABLE)
                    fail_msg("%s: %u flips decoded as %d", schemes[s].decoder, n, got);
            } else if (got < (int)n || got > (int)schemes[s].strength || (n == 0 && got != 0)) {
                fail_msg("%s: %u flips decoded as %d", schemes[s].decoder, n, got);
            } else {
                for (size_t i = 0; i < sizeof(buf); i++)
                    assert_int_equal(buf[i], 0xA5); /* corrected */
            }
            /* ECC off: the weak bits read as they are */
            set(&c, 0xB0, 0x00);
            page_read(&c, 9);
            read_cache(&c, 0, buf, sizeof(buf));
            unsigned diff = 0;
            for (size_t i = 0; i < sizeof(buf); i++)
                diff += (unsigned)__builtin_popcount(buf[i] ^ 0xA5);
            assert_int_equal(diff, n);
            c.m->ops->destroy(c.m);
            free(c.array);
        }
        cd_chipdb_free(db);
    }
}

/* Programming a page twice, or a blank page with ECC on, is counted; the double-programmed
 * page no longer reads through ECC. Erase clears it. */
static void test_program_rules(void **state)
{
    (void)state;
    struct chip *c = make("MGA");
    set(c, 0xA0, 0);
    uint8_t ff[2112], one[4] = {0x12, 0x34, 0x56, 0x78};
    memset(ff, 0xFF, sizeof(ff));
    cmd(c, 0x06);
    load(c, 0x02, 0, ff, sizeof(ff));
    row_cmd(c, 0x10, 1);
    wait_ready(c);
    assert_int_equal(stats(c).blank_programs_ecc, 1);
    cmd(c, 0x06);
    load(c, 0x02, 0, one, 4);
    row_cmd(c, 0x10, 1);
    wait_ready(c);
    assert_int_equal(stats(c).double_programs, 1);
    page_read(c, 1);
    assert_int_equal(get(c, 0xC0) & 0x30, 0x20); /* uncorrectable */
    cmd(c, 0x06);
    row_cmd(c, 0xD8, 5); /* any page of block 0 */
    wait_ready(c);
    page_read(c, 1);
    assert_int_equal(get(c, 0xC0) & 0x30, 0x00);
    assert_int_equal(stats(c).block_erases, 1);
    destroy(c);
}

/* Factory markers are counted when the host erases or programs such a block; P_FAIL/E_FAIL
 * faults; OTP_EN sends reads to a blank OTP page. */
static void test_bad_blocks_faults_otp(void **state)
{
    (void)state;
    struct chip *c = calloc(1, sizeof(*c));
    assert_int_equal(cd_chipdb_new_empty(&c->db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(c->db, rows, "t"), CD_OK);
    assert_int_equal(cd_chipdb_find_name(c->db, "MW", &c->row), CD_OK);
    c->size = cd_nand_raw_size(c->row);
    c->array = malloc(c->size);
    memset(c->array, 0xFF, c->size);
    c->array[2 * 64 * 2112 + 2048 + 1] = 0x00; /* block 2 bad (byte 1) */
    c->m = cd_nand_model_new(c->row, c->array);
    struct cd_nand_fault pf = {CD_NAND_FAULT_PROGRAM_FAIL, 3, 0, 0},
                         ef = {CD_NAND_FAULT_ERASE_FAIL, 4, 0, 0},
                         far = {CD_NAND_FAULT_ERASE_FAIL, 16, 0, 0};
    assert_int_equal(cd_nand_model_add_fault(c->m, &pf), CD_OK);
    assert_int_equal(cd_nand_model_add_fault(c->m, &ef), CD_OK);
    assert_int_equal(cd_nand_model_add_fault(c->m, &far), CD_E_RANGE);
    set(c, 0xA0, 0);
    cmd(c, 0x06);
    row_cmd(c, 0xD8, 2 * 64);
    wait_ready(c);
    assert_int_equal(stats(c).bad_block_erases, 1);
    cmd(c, 0x06);
    row_cmd(c, 0xD8, 4 * 64);
    wait_ready(c);
    assert_int_equal(get(c, 0xC0) & 0x04, 0x04);
    uint8_t d = 0;
    cmd(c, 0x06);
    load(c, 0x02, 0, &d, 1);
    row_cmd(c, 0x10, 3 * 64);
    wait_ready(c);
    assert_int_equal(get(c, 0xC0) & 0x08, 0x08);
    assert_int_equal(c->array[3 * 64 * 2112], 0xFF);

    c->array[0] = 0x00;
    set(c, 0xB0, 0x58); /* OTP_EN */
    page_read(c, 0);
    uint8_t v;
    read_cache(c, 0, &v, 1);
    assert_int_equal(v, 0xFF);
    assert_int_equal(stats(c).otp_accesses, 1);
    destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_id_forms),
        cmocka_unit_test(test_powerup_lock),
        cmocka_unit_test(test_page_read_timing),
        cmocka_unit_test(test_continuous_read),
        cmocka_unit_test(test_dummy_first),
        cmocka_unit_test(test_planes),
        cmocka_unit_test(test_dies),
        cmocka_unit_test(test_ecc_every_scheme),
        cmocka_unit_test(test_program_rules),
        cmocka_unit_test(test_bad_blocks_faults_otp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
