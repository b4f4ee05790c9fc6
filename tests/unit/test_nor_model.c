/* Unit tests: the SPI-NOR chip model (host/lib/sim/nor_model.c), driven through its ops only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chipdump/sim.h"

#define KiB       1024u
#define MiB       (1024u * 1024u)
#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull

/* ---- chip rows, by hand (numbers as in the datasheets' AC tables, rounded) ---- */

static void nor_row(struct cd_chip *c, const char *name, uint8_t mfr, uint8_t type, uint8_t cap,
                    uint64_t size)
{
    memset(c, 0, sizeof(*c));
    c->name = (char *)name;
    c->vendor = (char *)"Winbond";
    c->type = CD_CHIP_NOR;
    c->id[0] = mfr;
    c->id[1] = type;
    c->id[2] = cap;
    c->id_len = 3;
    c->size = size;
    c->page_size = 256;
    c->erase[0] = (struct cd_erase_type){0x20, 0, 4 * KiB, 45, 400};
    c->erase[1] = (struct cd_erase_type){0x52, 0, 32 * KiB, 120, 1600};
    c->erase[2] = (struct cd_erase_type){0xd8, 0, 64 * KiB, 150, 2000};
    c->nerase = 3;
    c->chip_erase_opcode = 0xc7;
    c->chip_erase_typ_ms = 2000;
    c->chip_erase_max_ms = 6000;
    c->pp_typ_us = 400;
    c->pp_max_us = 3000;
    c->bp_bits = 3;
    c->has_tb = true;
    c->has_sfdp = true;
}

/* 1 MiB, W25Q80-like (small and fast; the bp3 rule of the bigger W25Q parts applies). */
static void row_w25q80(struct cd_chip *c)
{
    nor_row(c, "W25Q80", 0xef, 0x40, 0x14, 1 * MiB);
}

static void row_w25q128(struct cd_chip *c)
{
    nor_row(c, "W25Q128JV", 0xef, 0x40, 0x18, 16 * MiB);
    c->chip_erase_typ_ms = 40000;
    c->chip_erase_max_ms = 200000;
}

static void row_w25q256(struct cd_chip *c)
{
    nor_row(c, "W25Q256JV", 0xef, 0x40, 0x19, 32 * MiB);
    c->erase[0].opcode4 = 0x21;
    c->erase[1].opcode4 = 0x5c;
    c->erase[2].opcode4 = 0xdc;
    c->chip_erase_typ_ms = 80000;
    c->chip_erase_max_ms = 400000;
    c->addr4 = CD_ADDR4_MODE | CD_ADDR4_OPCODES;
    c->bp_bits = 4;
    c->has_tb = false;
}

/* ---- bus helpers: one transaction each, like a host driver's *_op ---- */

static void txn(struct cd_spi_model *m, const uint8_t *out, size_t nout, uint8_t *in, size_t nin)
{
    m->ops->select(m);
    if (nout)
        m->ops->xfer(m, out, NULL, nout);
    if (nin)
        m->ops->xfer(m, NULL, in, nin);
    m->ops->deselect(m);
}

static void op1(struct cd_spi_model *m, uint8_t op)
{
    txn(m, &op, 1, NULL, 0);
}

static uint8_t rdsr(struct cd_spi_model *m)
{
    uint8_t op = 0x05, v = 0;
    txn(m, &op, 1, &v, 1);
    return v;
}

static size_t put_addr(uint8_t *p, uint32_t addr, unsigned alen)
{
    for (unsigned i = 0; i < alen; i++)
        p[i] = (uint8_t)(addr >> (8 * (alen - 1 - i)));
    return alen;
}

/* opcode + address (alen bytes) + dummy bytes, then read n bytes */
static void read_op(struct cd_spi_model *m, uint8_t op, uint32_t addr, unsigned alen,
                    unsigned dummy, uint8_t *buf, size_t n)
{
    uint8_t hdr[8];
    size_t k = 0;
    hdr[k++] = op;
    k += put_addr(hdr + k, addr, alen);
    for (unsigned i = 0; i < dummy; i++)
        hdr[k++] = 0x00;
    txn(m, hdr, k, buf, n);
}

static void read03(struct cd_spi_model *m, uint32_t addr, uint8_t *buf, size_t n)
{
    read_op(m, 0x03, addr, 3, 0, buf, n);
}

static void pp_op(struct cd_spi_model *m, uint8_t op, uint32_t addr, unsigned alen,
                  const uint8_t *data, size_t n)
{
    uint8_t hdr[5];
    size_t k = 0;
    hdr[k++] = op;
    k += put_addr(hdr + k, addr, alen);
    m->ops->select(m);
    m->ops->xfer(m, hdr, NULL, k);
    if (n)
        m->ops->xfer(m, data, NULL, n);
    m->ops->deselect(m);
}

static void erase_op(struct cd_spi_model *m, uint8_t op, uint32_t addr, unsigned alen)
{
    uint8_t hdr[5];
    size_t k = 0;
    hdr[k++] = op;
    k += put_addr(hdr + k, addr, alen);
    txn(m, hdr, k, NULL, 0);
}

/* Poll like a host: RDSR, then let 1 ms pass, until WIP clears. Returns ms waited. */
static uint64_t wait_idle(struct cd_spi_model *m)
{
    uint64_t ms = 0;
    while (rdsr(m) & 0x01) {
        m->ops->advance_ns(m, NS_PER_MS);
        ms++;
        assert_true(ms < 10 * 60 * 1000);
    }
    return ms;
}

static struct cd_nor_model_stats stats(struct cd_spi_model *m)
{
    struct cd_nor_model_stats st;
    cd_nor_model_get_stats(m, &st);
    return st;
}

static bool all_eq(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 7 + (i >> 8) + (i >> 16) * 13);
}

static uint8_t *new_array(uint64_t size, int fill_byte)
{
    uint8_t *a = malloc(size);
    assert_non_null(a);
    if (fill_byte >= 0)
        memset(a, fill_byte, size);
    else
        for (uint64_t i = 0; i < size; i++)
            a[i] = pattern(i);
    return a;
}

/* ---- tests ---- */

static void test_rdid(void **state)
{
    struct cd_chip c;
    row_w25q128(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    assert_non_null(m);

    uint8_t op = 0x9f, id[6];
    txn(m, &op, 1, id, sizeof(id));
    const uint8_t want[6] = {0xef, 0x40, 0x18, 0xff, 0xff, 0xff};
    assert_memory_equal(id, want, 6);

    /* RES (ABh): 3 dummy bytes, then the device ID 17h, repeated. */
    uint8_t res[4] = {0xab, 0, 0, 0}, rid[3];
    txn(m, res, 4, rid, 3);
    assert_int_equal(rid[0], 0x17);
    assert_int_equal(rid[2], 0x17);

    /* RDSR2 reads 0; an unknown opcode drives nothing. */
    op = 0x35;
    txn(m, &op, 1, rid, 2);
    assert_int_equal(rid[0], 0x00);
    op = 0x77;
    txn(m, &op, 1, rid, 2);
    assert_int_equal(rid[0], 0xff);
    m->ops->destroy(m);
    free(a);
}

static void test_read_fast_read_wrap(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, -1);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    assert_non_null(m);
    uint8_t buf[300];

    read03(m, 0x12345, buf, 300);
    assert_memory_equal(buf, a + 0x12345, 300);

    memset(buf, 0, sizeof(buf));
    read_op(m, 0x0b, 0x54321, 3, 1, buf, 300);
    assert_memory_equal(buf, a + 0x54321, 300);

    /* past the last byte the address wraps to 0 */
    read03(m, (uint32_t)c.size - 4, buf, 8);
    assert_memory_equal(buf, a + c.size - 4, 4);
    assert_memory_equal(buf + 4, a, 4);

    /* address bits above the array are don't-care */
    read03(m, 0x100000 + 5, buf, 4);
    assert_memory_equal(buf, a + 5, 4);

    /* one full-duplex xfer for opcode, address, dummy and data, in odd pieces */
    uint8_t out[40] = {0x0b, 0x00, 0x10, 0x00, 0x00}, in[40];
    m->ops->select(m);
    m->ops->xfer(m, out, in, 2);
    m->ops->xfer(m, out + 2, in + 2, 38);
    m->ops->deselect(m);
    assert_true(all_eq(in, 5, 0xff));
    assert_memory_equal(in + 5, a + 0x1000, 35);

    /* miso NULL: the reply is dropped but the address still advances */
    m->ops->select(m);
    m->ops->xfer(m, (const uint8_t[]){0x03, 0x00, 0x20, 0x00}, NULL, 4);
    m->ops->xfer(m, NULL, NULL, 10);
    m->ops->xfer(m, NULL, buf, 4);
    m->ops->deselect(m);
    assert_memory_equal(buf, a + 0x200a, 4);

    /* bytes clocked with CS# high do nothing and read 0xFF */
    m->ops->xfer(m, (const uint8_t[]){0x03, 0, 0, 0}, buf, 4);
    assert_true(all_eq(buf, 4, 0xff));
    m->ops->destroy(m);
    free(a);
}

static void test_pp_clears_bits_only(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);

    const uint8_t data[5] = {0x0f, 0xf0, 0xff, 0x00, 0x33};
    op1(m, 0x06);
    pp_op(m, 0x02, 0x1000, 3, data, 5);
    wait_idle(m);
    const uint8_t want[5] = {0x0c, 0xc0, 0xcc, 0x00, 0x00};
    assert_memory_equal(a + 0x1000, want, 5);
    assert_int_equal(a[0xfff], 0xcc);
    assert_true(all_eq(a + 0x1005, 0x100 - 5, 0xcc));

    /* a second program of the same bytes can only clear more bits */
    op1(m, 0x06);
    pp_op(m, 0x02, 0x1000, 3, (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff}, 5);
    wait_idle(m);
    assert_memory_equal(a + 0x1000, want, 5);
    assert_int_equal(stats(m).page_programs, 2);
    m->ops->destroy(m);
    free(a);
}

static void test_pp_page_wrap(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xff);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    uint8_t data[300];

    /* 10 bytes from column 250: 6 to the end of the page, 4 wrap to its start */
    for (int i = 0; i < 10; i++)
        data[i] = (uint8_t)(i + 1);
    op1(m, 0x06);
    pp_op(m, 0x02, 0x2000 + 250, 3, data, 10);
    wait_idle(m);
    assert_memory_equal(a + 0x2000 + 250, data, 6);
    assert_memory_equal(a + 0x2000, data + 6, 4);
    assert_true(all_eq(a + 0x2004, 246, 0xff));
    assert_true(all_eq(a + 0x2100, 0x100, 0xff)); /* next page untouched */

    /* 300 bytes from column 0: the last 256 are kept, each at its wrapped column */
    for (int i = 0; i < 300; i++)
        data[i] = (uint8_t)(i ^ 0x5a);
    op1(m, 0x06);
    pp_op(m, 0x02, 0x3000, 3, data, 300);
    wait_idle(m);
    for (int col = 0; col < 256; col++) {
        int last = col < 44 ? col + 256 : col;
        assert_int_equal(a[0x3000 + col], data[last]);
    }
    assert_true(all_eq(a + 0x3100, 0x100, 0xff));
    m->ops->destroy(m);
    free(a);
}

static void test_write_needs_wel(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);

    pp_op(m, 0x02, 0x0, 3, (const uint8_t[]){0x00}, 1);
    erase_op(m, 0x20, 0x1000, 3);
    op1(m, 0xc7);
    txn(m, (const uint8_t[]){0x01, 0x1c}, 2, NULL, 0);
    /* WRDI cancels a WREN */
    op1(m, 0x06);
    assert_int_equal(rdsr(m), 0x02);
    op1(m, 0x04);
    assert_int_equal(rdsr(m), 0x00);
    erase_op(m, 0xd8, 0x10000, 3);

    assert_int_equal(rdsr(m), 0x00); /* nothing started */
    m->ops->advance_ns(m, 100000 * NS_PER_MS);
    assert_true(all_eq(a, c.size, 0xcc));
    struct cd_nor_model_stats st = stats(m);
    assert_int_equal(st.ignored_no_wel, 5);
    assert_int_equal(st.page_programs + st.erases_4k + st.erases_64k + st.chip_erases, 0);
    m->ops->destroy(m);
    free(a);
}

static void test_wip_wel_timing(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xff);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);

    op1(m, 0x06);
    assert_int_equal(rdsr(m), 0x02);
    pp_op(m, 0x02, 0x400, 3, (const uint8_t[]){0x12, 0x34}, 2);
    assert_int_equal(rdsr(m), 0x03);
    /* the cells change during tPP: nothing has landed yet */
    assert_int_equal(a[0x400], 0xff);
    m->ops->advance_ns(m, c.pp_typ_us * NS_PER_US - 1);
    assert_int_equal(rdsr(m), 0x03);
    m->ops->advance_ns(m, 1);
    assert_int_equal(rdsr(m), 0x00); /* WIP and WEL both clear */
    assert_int_equal(a[0x400], 0x12);
    assert_int_equal(a[0x401], 0x34);

    /* the row's erase time exactly */
    op1(m, 0x06);
    erase_op(m, 0x20, 0x0, 3);
    m->ops->advance_ns(m, c.erase[0].typ_ms * NS_PER_MS - 1);
    assert_int_equal(rdsr(m) & 0x01, 1);
    m->ops->advance_ns(m, 1);
    assert_int_equal(rdsr(m), 0x00);

    /* a row without times gets the defaults (0.7 ms program) */
    c.pp_typ_us = 0;
    op1(m, 0x06);
    pp_op(m, 0x02, 0x800, 3, (const uint8_t[]){0x00}, 1);
    m->ops->advance_ns(m, 700 * NS_PER_US - 1);
    assert_int_equal(rdsr(m) & 0x01, 1);
    m->ops->advance_ns(m, 1);
    assert_int_equal(rdsr(m) & 0x01, 0);
    m->ops->destroy(m);
    free(a);
}

static void test_erase_sizes(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    const uint32_t base[3] = {0x23000, 0x48000, 0x70000};

    for (unsigned i = 0; i < 3; i++) {
        uint32_t sz = c.erase[i].size;
        op1(m, 0x06);
        erase_op(m, c.erase[i].opcode, base[i] + sz / 2 + 123, 3); /* any address inside */
        uint64_t ms = wait_idle(m);
        assert_int_equal(ms, c.erase[i].typ_ms);
        assert_true(all_eq(a + base[i], sz, 0xff));
        assert_int_equal(a[base[i] - 1], 0xcc);
        assert_int_equal(a[base[i] + sz], 0xcc);
    }
    /* address bits above the 1 MiB array are don't-care: 0x1F1000 is 0xF1000 */
    op1(m, 0x06);
    erase_op(m, 0x20, 0x1f1000, 3);
    wait_idle(m);
    assert_true(all_eq(a + 0xf1000, 4096, 0xff));
    assert_int_equal(a[0xf2000], 0xcc);

    struct cd_nor_model_stats st = stats(m);
    assert_int_equal(st.erases_4k, 2);
    assert_int_equal(st.erases_32k, 1);
    assert_int_equal(st.erases_64k, 1);
    assert_int_equal(st.chip_erases, 0);

    /* chip erase, both opcodes */
    const uint8_t ce[2] = {0xc7, 0x60};
    for (unsigned i = 0; i < 2; i++) {
        memset(a, 0xcc, c.size);
        op1(m, 0x06);
        op1(m, ce[i]);
        assert_int_equal(wait_idle(m), c.chip_erase_typ_ms);
        assert_true(all_eq(a, c.size, 0xff));
    }
    assert_int_equal(stats(m).chip_erases, 2);

    /* no chip erase on a row without one */
    c.chip_erase_opcode = 0;
    memset(a, 0xcc, c.size);
    op1(m, 0x06);
    op1(m, 0xc7);
    assert_int_equal(rdsr(m), 0x02);
    assert_true(all_eq(a, c.size, 0xcc));
    m->ops->destroy(m);
    free(a);
}

static void test_busy_ignores_commands(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    uint8_t buf[16];

    op1(m, 0x06);
    erase_op(m, 0xd8, 0x10000, 3);
    assert_int_equal(rdsr(m), 0x03);

    read03(m, 0x0, buf, 16); /* would be 0xCC */
    assert_true(all_eq(buf, 16, 0xff));
    txn(m, (const uint8_t[]){0x9f}, 1, buf, 3);
    assert_true(all_eq(buf, 3, 0xff));
    pp_op(m, 0x02, 0x0, 3, (const uint8_t[]){0x00}, 1);
    op1(m, 0x04); /* WRDI ignored too: WEL stays until the erase ends */
    assert_int_equal(rdsr(m), 0x03);
    txn(m, (const uint8_t[]){0x35}, 1, buf, 1); /* RDSR2 answered */
    assert_int_equal(buf[0], 0x00);
    assert_int_equal(stats(m).ignored_busy, 4);

    wait_idle(m);
    assert_int_equal(rdsr(m), 0x00);
    assert_int_equal(a[0], 0xcc); /* the PP never happened */
    assert_true(all_eq(a + 0x10000, 0x10000, 0xff));
    read03(m, 0x0, buf, 16);
    assert_true(all_eq(buf, 16, 0xcc));
    m->ops->destroy(m);
    free(a);
}

static void test_incomplete_commands(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);

    op1(m, 0x06);
    txn(m, (const uint8_t[]){0x20, 0x00, 0x10}, 3, NULL, 0);             /* short address */
    txn(m, (const uint8_t[]){0x20, 0x00, 0x10, 0x00, 0x00}, 5, NULL, 0); /* extra byte */
    pp_op(m, 0x02, 0x1000, 3, NULL, 0);                                  /* no data */
    txn(m, (const uint8_t[]){0x02, 0x00, 0x10}, 3, NULL, 0);             /* short address */
    txn(m, (const uint8_t[]){0x01, 0x1c, 0x00, 0x00}, 4, NULL, 0);       /* 3 status bytes */
    txn(m, (const uint8_t[]){0xc7, 0x00}, 2, NULL, 0);                   /* CE + extra byte */
    assert_int_equal(rdsr(m), 0x02); /* nothing started, WEL still set */
    assert_true(all_eq(a, c.size, 0xcc));

    op1(m, 0x04);
    txn(m, (const uint8_t[]){0x06, 0x00}, 2, NULL, 0); /* WREN + extra byte: not executed */
    assert_int_equal(rdsr(m), 0x00);

    struct cd_nor_model_stats st = stats(m);
    assert_int_equal(st.ignored_no_wel + st.ignored_busy + st.ignored_protect, 0);
    assert_int_equal(st.page_programs + st.erases_4k + st.chip_erases, 0);
    m->ops->destroy(m);
    free(a);
}

static void check_range(const struct cd_chip *c, uint8_t sr1, uint64_t start, uint64_t len)
{
    uint64_t s = 12345, l = 12345;
    cd_nor_protected_range(c, sr1, &s, &l);
    assert_int_equal(l, len);
    if (len)
        assert_int_equal(s, start);
}

static void test_protect_rule(void **state)
{
    struct cd_chip c;
    row_w25q128(&c); /* bp3-tb, 16 MiB: W25Q128JV table (CMP = 0, SEC = 0) */
    const uint64_t S = 16 * MiB;
    check_range(&c, 0x00, 0, 0);
    check_range(&c, 1 << 2, S - 256 * KiB, 256 * KiB);
    check_range(&c, 2 << 2, S - 512 * KiB, 512 * KiB);
    check_range(&c, 5 << 2, S - 4 * MiB, 4 * MiB);
    check_range(&c, 6 << 2, S - 8 * MiB, 8 * MiB);
    check_range(&c, 7 << 2, 0, S);
    check_range(&c, 0x20 | (1 << 2), 0, 256 * KiB); /* TB = 1: bottom */
    check_range(&c, 0x20 | (6 << 2), 0, 8 * MiB);
    check_range(&c, 0x20, 0, 0);
    check_range(&c, 0x03 | (3 << 2), S - MiB, MiB); /* WIP/WEL do not matter */
    c.has_tb = false;
    check_range(&c, 0x20 | (1 << 2), S - 256 * KiB, 256 * KiB); /* bit 5 is not TB */

    c.bp_bits = 4; /* MX25L25645G-style table, on 16 MiB */
    c.has_tb = false;
    check_range(&c, 1 << 2, S - 64 * KiB, 64 * KiB);
    check_range(&c, 2 << 2, S - 128 * KiB, 128 * KiB);
    check_range(&c, 8 << 2, S - 8 * MiB, 8 * MiB);
    check_range(&c, 9 << 2, 0, S);
    check_range(&c, 12 << 2, 0, S);
    check_range(&c, 15 << 2, 0, S);
    c.size = 32 * MiB;
    check_range(&c, 9 << 2, 16 * MiB, 16 * MiB);
    check_range(&c, 10 << 2, 0, 32 * MiB);

    c.size = S;
    c.bp_bits = 2;
    check_range(&c, 1 << 2, S - 4 * MiB, 4 * MiB);
    check_range(&c, 2 << 2, S - 8 * MiB, 8 * MiB);
    check_range(&c, 3 << 2, 0, S);
    check_range(&c, 0x10 | (0 << 2), 0, 0); /* BP2 does not exist */

    c.bp_bits = 0;
    check_range(&c, 0x1c, 0, 0);
}

static void test_protect_bp3_top_bottom(void **state)
{
    struct cd_chip c;
    row_w25q80(&c); /* 1 MiB: BP = 1 is the top or bottom 16 KiB */
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 1 << 2);
    assert_int_equal(rdsr(m), 0x04);

    op1(m, 0x06);
    pp_op(m, 0x02, 0xfc000, 3, (const uint8_t[]){0x00}, 1); /* first protected page */
    erase_op(m, 0x52, 0xf8000, 3);                          /* 32 KiB overlapping it */
    op1(m, 0xc7);                                           /* chip erase */
    assert_int_equal(rdsr(m), 0x06);                        /* all ignored, WEL kept */
    assert_int_equal(stats(m).ignored_protect, 3);
    pp_op(m, 0x02, 0xfbf00, 3, (const uint8_t[]){0x00}, 1); /* the page below is free */
    wait_idle(m);
    op1(m, 0x06);
    erase_op(m, 0x20, 0xfb000, 3);
    wait_idle(m);
    assert_true(all_eq(a + 0xfb000, 0x1000, 0xff));
    assert_true(all_eq(a + 0xfc000, 0x4000, 0xcc));

    m->ops->destroy(m);
    memset(a, 0xcc, c.size);
    m = cd_nor_model_new(&c, a, 0x20 | (1 << 2)); /* TB = 1: the bottom 16 KiB */
    assert_int_equal(rdsr(m), 0x24);
    op1(m, 0x06);
    pp_op(m, 0x02, 0x3f00, 3, (const uint8_t[]){0x00}, 1);
    erase_op(m, 0xd8, 0x0, 3);
    assert_int_equal(rdsr(m), 0x26);
    pp_op(m, 0x02, 0x4000, 3, (const uint8_t[]){0x00}, 1);
    wait_idle(m);
    assert_int_equal(a[0x3f00], 0xcc);
    assert_int_equal(a[0x4000], 0x00);
    assert_int_equal(stats(m).ignored_protect, 2);
    m->ops->destroy(m);
    free(a);
}

static void test_protect_bp4(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    c.bp_bits = 4;
    c.has_tb = false;
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 1 << 2); /* top 64 KiB */

    op1(m, 0x06);
    erase_op(m, 0x20, 0xf0000, 3);
    assert_int_equal(stats(m).ignored_protect, 1);
    erase_op(m, 0x20, 0xef000, 3);
    wait_idle(m);
    assert_true(all_eq(a + 0xef000, 0x1000, 0xff));
    assert_true(all_eq(a + 0xf0000, 0x10000, 0xcc));

    /* BP = 5 is 1 MiB on this table: the whole chip */
    op1(m, 0x06);
    txn(m, (const uint8_t[]){0x01, 5 << 2}, 2, NULL, 0);
    wait_idle(m);
    assert_int_equal(rdsr(m), 5 << 2);
    op1(m, 0x06);
    pp_op(m, 0x02, 0x0, 3, (const uint8_t[]){0x00}, 1);
    assert_int_equal(stats(m).ignored_protect, 2);
    assert_int_equal(a[0], 0xcc);
    m->ops->destroy(m);
    free(a);
}

static void test_wrsr_and_protect_all(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0xff); /* preset: writable bits only */
    assert_int_equal(rdsr(m), 0xbc);                        /* SRP, TB, BP2..0 */

    op1(m, 0x06);
    txn(m, (const uint8_t[]){0x01, 0x00}, 2, NULL, 0);
    assert_int_equal(rdsr(m), 0xbf); /* busy: old value, WIP and WEL */
    m->ops->advance_ns(m, 10 * NS_PER_MS - 1);
    assert_int_equal(rdsr(m), 0xbf);
    m->ops->advance_ns(m, 1);
    assert_int_equal(rdsr(m), 0x00);

    /* BP = 7: everything protected */
    op1(m, 0x06);
    txn(m, (const uint8_t[]){0x01, 7 << 2, 0x02}, 3, NULL, 0); /* SR1 + SR2 */
    wait_idle(m);
    assert_int_equal(rdsr(m), 0x1c);
    uint32_t addrs[3] = {0x0, 0x80000, 0xfff00};
    for (int i = 0; i < 3; i++) {
        op1(m, 0x06);
        pp_op(m, 0x02, addrs[i], 3, (const uint8_t[]){0x00}, 1);
    }
    op1(m, 0x60);
    assert_int_equal(stats(m).ignored_protect, 4);
    assert_true(all_eq(a, c.size, 0xcc));

    /* WRSR back to 0 re-opens the array; WIP/WEL are not writable */
    op1(m, 0x06);
    txn(m, (const uint8_t[]){0x01, 0x03}, 2, NULL, 0);
    wait_idle(m);
    assert_int_equal(rdsr(m), 0x00);
    op1(m, 0x06);
    pp_op(m, 0x02, 0x80000, 3, (const uint8_t[]){0x00}, 1);
    wait_idle(m);
    assert_int_equal(a[0x80000], 0x00);
    m->ops->destroy(m);
    free(a);
}

static void test_addr4(void **state)
{
    struct cd_chip c;
    row_w25q256(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    uint8_t buf[4];
    memcpy(a + 0x123456, "LOW!", 4);
    memcpy(a + 0x1123456, "HIGH", 4);

    read03(m, 0x123456, buf, 4);
    assert_memory_equal(buf, "LOW!", 4);

    /* EN4B: 03h / 0Bh / 02h / 20h take 4 address bytes */
    op1(m, 0xb7);
    read_op(m, 0x03, 0x1123456, 4, 0, buf, 4);
    assert_memory_equal(buf, "HIGH", 4);
    read_op(m, 0x0b, 0x1123456, 4, 1, buf, 4);
    assert_memory_equal(buf, "HIGH", 4);
    op1(m, 0x06);
    pp_op(m, 0x02, 0x1ffff00, 4, (const uint8_t[]){0x44}, 1);
    wait_idle(m);
    assert_int_equal(a[0x1ffff00], 0x44);
    assert_int_equal(a[0xffff00], 0xcc);
    op1(m, 0x06);
    erase_op(m, 0x20, 0x1800000, 4);
    wait_idle(m);
    assert_true(all_eq(a + 0x1800000, 4096, 0xff));
    /* RDSFDP keeps its 3 address bytes in 4-byte mode */
    read_op(m, 0x5a, 0x0, 3, 1, buf, 4);
    assert_memory_equal(buf, "SFDP", 4);

    /* EX4B: back to 3 bytes, the low 16 MiB */
    op1(m, 0xe9);
    read03(m, 0x123456, buf, 4);
    assert_memory_equal(buf, "LOW!", 4);

    /* dedicated 4-byte opcodes in 3-byte mode */
    read_op(m, 0x13, 0x1123456, 4, 0, buf, 4);
    assert_memory_equal(buf, "HIGH", 4);
    read_op(m, 0x0c, 0x1123456, 4, 1, buf, 4);
    assert_memory_equal(buf, "HIGH", 4);
    op1(m, 0x06);
    pp_op(m, 0x12, 0x1fffe00, 4, (const uint8_t[]){0x48}, 1);
    wait_idle(m);
    assert_int_equal(a[0x1fffe00], 0x48);
    const uint8_t e4[3] = {0x21, 0x5c, 0xdc};
    const uint32_t at[3] = {0x1001000, 0x1008000, 0x1020000};
    for (int i = 0; i < 3; i++) {
        op1(m, 0x06);
        erase_op(m, e4[i], at[i], 4);
        wait_idle(m);
        assert_true(all_eq(a + at[i], c.erase[i].size, 0xff));
        assert_int_equal(a[at[i] - 1], 0xcc);
    }
    struct cd_nor_model_stats st = stats(m);
    assert_int_equal(st.erases_4k, 2);
    assert_int_equal(st.erases_32k, 1);
    assert_int_equal(st.erases_64k, 1);

    /* soft reset (66h, 99h) leaves 4-byte mode; 99h alone does nothing */
    op1(m, 0xb7);
    op1(m, 0x99);
    read_op(m, 0x03, 0x1123456, 4, 0, buf, 4);
    assert_memory_equal(buf, "HIGH", 4);
    op1(m, 0x06);
    op1(m, 0x66);
    op1(m, 0x99);
    assert_int_equal(rdsr(m), 0xff); /* tRST: nothing answered */
    m->ops->advance_ns(m, 30 * NS_PER_US);
    assert_int_equal(rdsr(m), 0x00); /* WEL cleared by the reset */
    read03(m, 0x123456, buf, 4);
    assert_memory_equal(buf, "LOW!", 4);
    m->ops->destroy(m);
    free(a);
}

static void test_addr4_absent(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, -1);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    uint8_t buf[4];

    op1(m, 0xb7); /* no EN4B on this row */
    read03(m, 0x1234, buf, 4);
    assert_memory_equal(buf, a + 0x1234, 4);
    read_op(m, 0x13, 0x1234, 4, 0, buf, 4); /* no 13h either */
    assert_true(all_eq(buf, 4, 0xff));

    /* 4-byte-only row: powers up in 4-byte mode, E9h does not leave it */
    c.addr4 = CD_ADDR4_ONLY | CD_ADDR4_MODE;
    m->ops->destroy(m);
    m = cd_nor_model_new(&c, a, 0);
    op1(m, 0xe9);
    read_op(m, 0x03, 0x1234, 4, 0, buf, 4);
    assert_memory_equal(buf, a + 0x1234, 4);
    m->ops->destroy(m);
    free(a);
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decode a JESD216 typical time: count (N + 1) in count_bits, unit index just above it. */
static uint64_t sfdp_time(uint32_t field, unsigned count_bits, const uint64_t *units)
{
    uint64_t count = (field & ((1u << count_bits) - 1)) + 1;
    return count * units[field >> count_bits];
}

struct bfpt {
    uint8_t raw[0x80];
    uint32_t dw[17]; /* dw[1]..dw[16] */
};

/* Read the SFDP area through 5Ah and the BFPT the first parameter header points to,
 * checking the header fields (JESD216B) on the way. */
static void read_bfpt(struct cd_spi_model *m, struct bfpt *b)
{
    read_op(m, 0x5a, 0x0, 3, 1, b->raw, sizeof(b->raw));
    assert_int_equal(le32(b->raw), 0x50444653); /* "SFDP" */
    assert_memory_equal(b->raw, "SFDP", 4);
    assert_int_equal(b->raw[4], 6);     /* minor: JESD216B */
    assert_int_equal(b->raw[5], 1);     /* major */
    assert_int_equal(b->raw[6], 0);     /* NPH: one parameter header */
    assert_int_equal(b->raw[8], 0x00);  /* ID LSB: BFPT */
    assert_int_equal(b->raw[9], 6);     /* table minor */
    assert_int_equal(b->raw[10], 1);    /* table major */
    assert_int_equal(b->raw[11], 16);   /* 16 DWORDs */
    assert_int_equal(b->raw[15], 0xff); /* ID MSB */
    uint32_t ptr = b->raw[12] | b->raw[13] << 8 | b->raw[14] << 16;
    assert_true(ptr >= 16 && ptr % 4 == 0 && ptr + 64 <= sizeof(b->raw));
    for (int i = 1; i <= 16; i++)
        b->dw[i] = le32(b->raw + ptr + 4 * (i - 1));
    /* past the table the area reads 0xFF */
    assert_true(all_eq(b->raw + ptr + 64, sizeof(b->raw) - ptr - 64, 0xff));
}

static void test_sfdp_w25q128(void **state)
{
    struct cd_chip c;
    row_w25q128(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    struct bfpt b;
    read_bfpt(m, &b);

    /* the model serves what cd_nor_model_sfdp() builds */
    uint8_t direct[0x100];
    size_t len = cd_nor_model_sfdp(&c, direct, sizeof(direct));
    assert_true(len > 16 && len <= sizeof(b.raw));
    assert_memory_equal(direct, b.raw, len);
    assert_int_equal(cd_nor_model_sfdp(&c, NULL, 0), len);

    uint32_t d1 = b.dw[1];
    assert_int_equal(d1 & 3, 1);              /* 4 KiB erase everywhere */
    assert_int_equal((d1 >> 2) & 1, 1);       /* page buffer >= 64 bytes */
    assert_int_equal((d1 >> 8) & 0xff, 0x20); /* its opcode */
    assert_int_equal((d1 >> 17) & 3, 0);      /* 3-byte addresses only */
    assert_int_equal(d1 & (1u << 16 | 1u << 20 | 1u << 21 | 1u << 22), 0); /* x1 only */
    assert_int_equal(b.dw[2], 128u * 1024 * 1024 - 1);                     /* 128 Mbit - 1 */
    assert_int_equal(b.dw[5] & 0x11, 0);                                   /* no 2-2-2 / 4-4-4 */

    /* erase types: (exponent, opcode) in DWORD8/9 halves */
    const uint16_t want_et[4] = {0x200c, 0x520f, 0xd810, 0};
    uint16_t et[4] = {(uint16_t)b.dw[8], (uint16_t)(b.dw[8] >> 16), (uint16_t)b.dw[9],
                      (uint16_t)(b.dw[9] >> 16)};
    for (int i = 0; i < 3; i++)
        assert_int_equal(et[i], want_et[i]);
    assert_int_equal(et[3] & 0xff, 0); /* type 4 absent */

    /* DWORD10: typical erase times, rounded up to the encoding (45 -> 48, 120 -> 128,
     * 150 -> 160 ms), and the multiplier keeps every max (400/1600/2000) covered */
    static const uint64_t eu[4] = {1, 16, 128, 1000};
    uint64_t typ[3];
    for (int i = 0; i < 3; i++)
        typ[i] = sfdp_time((b.dw[10] >> (4 + 7 * i)) & 0x7f, 5, eu);
    assert_int_equal(typ[0], 48);
    assert_int_equal(typ[1], 128);
    assert_int_equal(typ[2], 160);
    uint64_t mult = 2 * ((b.dw[10] & 0xf) + 1);
    for (int i = 0; i < 3; i++) {
        assert_true(typ[i] >= c.erase[i].typ_ms);
        assert_true(mult * typ[i] >= c.erase[i].max_ms);
    }

    /* DWORD11: page 2^8, page program 400 us -> 7 x 64 us, chip erase 40 s -> 10 x 4 s */
    uint32_t d11 = b.dw[11];
    assert_int_equal((d11 >> 4) & 0xf, 8);
    static const uint64_t pu[2] = {8, 64};
    static const uint64_t cu[4] = {16, 256, 4000, 64000};
    assert_int_equal(sfdp_time((d11 >> 8) & 0x3f, 5, pu), 448);
    assert_int_equal(sfdp_time((d11 >> 24) & 0x7f, 5, cu), 40000);
    assert_true(2 * ((d11 & 0xf) + 1) * 448 >= c.pp_max_us);
    assert_int_equal(d11 >> 31, 1);

    /* DWORD16: no 4-byte entry/exit methods, soft reset 66h/99h */
    uint32_t d16 = b.dw[16];
    assert_int_equal((d16 >> 24) & 0x7f, 0);
    assert_int_equal((d16 >> 14) & 0xff, 0);
    assert_int_equal((d16 >> 12) & 1, 1);
    m->ops->destroy(m);
    free(a);
}

static void test_sfdp_addr4_rows(void **state)
{
    struct cd_chip c;
    row_w25q256(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    struct bfpt b;
    read_bfpt(m, &b);
    assert_int_equal((b.dw[1] >> 17) & 3, 1);          /* 3- or 4-byte */
    assert_int_equal(b.dw[2], 256u * 1024 * 1024 - 1); /* 256 Mbit - 1 */
    assert_int_equal((b.dw[16] >> 24) & 1, 1);         /* enter: B7h */
    assert_int_equal((b.dw[16] >> 29) & 1, 1);         /* dedicated 4-byte opcodes */
    assert_int_equal((b.dw[16] >> 30) & 1, 0);         /* not 4-byte only */
    assert_int_equal((b.dw[16] >> 14) & 1, 1);         /* exit: E9h */
    m->ops->destroy(m);
    free(a);

    /* a 4-byte-only row, read without a model (no array needed for the table) */
    uint8_t t[0x70];
    c.addr4 = CD_ADDR4_ONLY;
    assert_int_equal(cd_nor_model_sfdp(&c, t, sizeof(t)), sizeof(t));
    uint32_t ptr = t[12] | t[13] << 8 | t[14] << 16;
    assert_int_equal((le32(t + ptr) >> 17) & 3, 2);
    uint32_t d16 = le32(t + ptr + 60);
    assert_int_equal((d16 >> 30) & 1, 1);
    assert_int_equal((d16 >> 24) & 1, 0);

    /* over 2 Gbit the density is 2^N: 512 MiB = 2^32 bits */
    c.size = 512ull * MiB;
    cd_nor_model_sfdp(&c, t, sizeof(t));
    assert_int_equal(le32(t + ptr + 4), 0x80000000u | 32);

    /* no 4 KiB erase: DWORD1 bits 1:0 = 11, opcode FFh; short buffer gets a prefix */
    row_w25q80(&c);
    c.erase[0] = c.erase[2];
    c.nerase = 1;
    uint8_t small[8];
    assert_int_equal(cd_nor_model_sfdp(&c, small, sizeof(small)), sizeof(t));
    assert_memory_equal(small, "SFDP", 4);
    cd_nor_model_sfdp(&c, t, sizeof(t));
    assert_int_equal(le32(t + ptr) & 0xff03, 0xff03);
    assert_int_equal(le32(t + ptr + 28) & 0xffff, 0xd810);
}

static void test_new_rejects_bad_rows(void **state)
{
    struct cd_chip c;
    uint8_t a[4096];
    row_w25q80(&c);
    c.size = sizeof(a);
    c.erase[0].size = 4096;
    c.nerase = 1;
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    assert_non_null(m);
    m->ops->destroy(m);

    assert_null(cd_nor_model_new(NULL, a, 0));
    assert_null(cd_nor_model_new(&c, NULL, 0));
    struct cd_chip bad = c;
    bad.type = CD_CHIP_NAND;
    assert_null(cd_nor_model_new(&bad, a, 0));
    bad = c;
    bad.page_size = 0;
    assert_null(cd_nor_model_new(&bad, a, 0));
    bad.page_size = 300;
    assert_null(cd_nor_model_new(&bad, a, 0));
    bad = c;
    bad.erase[0].size = 8192; /* larger than the chip */
    assert_null(cd_nor_model_new(&bad, a, 0));
    bad = c;
    bad.bp_bits = 5;
    assert_null(cd_nor_model_new(&bad, a, 0));
    bad = c;
    bad.size = 0;
    assert_null(cd_nor_model_new(&bad, a, 0));

    /* stats of a NULL model read as zero */
    struct cd_nor_model_stats st;
    memset(&st, 0xaa, sizeof(st));
    cd_nor_model_get_stats(NULL, &st);
    assert_int_equal(st.page_programs + st.ignored_busy, 0);
}

static void test_destroy_completes_operation(void **state)
{
    struct cd_chip c;
    row_w25q80(&c);
    uint8_t *a = new_array(c.size, 0xcc);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);
    op1(m, 0x06);
    erase_op(m, 0x20, 0x5000, 3);
    assert_int_equal(rdsr(m) & 1, 1);
    m->ops->destroy(m);
    assert_true(all_eq(a + 0x5000, 4096, 0xff));
    free(a);
}

static void test_bench_16mib_read(void **state)
{
    struct cd_chip c;
    row_w25q128(&c);
    uint8_t *a = new_array(c.size, -1);
    uint8_t *out = malloc(c.size);
    assert_non_null(out);
    struct cd_spi_model *m = cd_nor_model_new(&c, a, 0);

    memset(out, 0, c.size); /* fault the pages in: time the model, not the kernel */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    m->ops->select(m);
    m->ops->xfer(m, (const uint8_t[]){0x03, 0, 0, 0}, NULL, 4);
    for (uint64_t off = 0; off < c.size; off += 64 * KiB)
        m->ops->xfer(m, NULL, out + off, 64 * KiB);
    m->ops->deselect(m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("16 MiB READ through xfer(): %.2f ms\n", ms);

    assert_memory_equal(out, a, c.size);
    assert_true(ms < 2000); /* a few ms optimised; generous for sanitizer builds */
    m->ops->destroy(m);
    free(out);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdid),
        cmocka_unit_test(test_read_fast_read_wrap),
        cmocka_unit_test(test_pp_clears_bits_only),
        cmocka_unit_test(test_pp_page_wrap),
        cmocka_unit_test(test_write_needs_wel),
        cmocka_unit_test(test_wip_wel_timing),
        cmocka_unit_test(test_erase_sizes),
        cmocka_unit_test(test_busy_ignores_commands),
        cmocka_unit_test(test_incomplete_commands),
        cmocka_unit_test(test_protect_rule),
        cmocka_unit_test(test_protect_bp3_top_bottom),
        cmocka_unit_test(test_protect_bp4),
        cmocka_unit_test(test_wrsr_and_protect_all),
        cmocka_unit_test(test_addr4),
        cmocka_unit_test(test_addr4_absent),
        cmocka_unit_test(test_sfdp_w25q128),
        cmocka_unit_test(test_sfdp_addr4_rows),
        cmocka_unit_test(test_new_rejects_bad_rows),
        cmocka_unit_test(test_destroy_completes_operation),
        cmocka_unit_test(test_bench_16mib_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
