/*
 * firmware/core's SPI-NAND extensions against the SPI-NAND chip model: CD_R_NAND (page range
 * with per-page status, plane bit, OIP timeout, status-only) and CD_O_EXEC_POLL (program
 * and block erase polled on the board, P_FAIL / E_FAIL reported in the status byte).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chipdump/chipdb.h"
#include "chipdump/sim.h"
#include "core/fwcore.h"
#include "core/protocol.h"
#include "host/board_host.h"

#define PAGE 2048
#define OOB  64
#define RAW  (PAGE + OOB)
#define PPB  64

static const char rows[] =
    "[FWTEST-NAND]\nvendor = Test\ntype = nand\nid = EF AA 21\nread_id = dummy\n"
    "page = 2048\noob = 64\npages_per_block = 64\nblocks = 16\necc = 4/512\n"
    "ecc_status = generic\nvoltage = 2.7-3.6\nsource = test row\n"
    "[FWTEST-NAND2P]\nvendor = Test\ntype = nand\nid = 2C 9F\nread_id = dummy\n"
    "page = 2048\noob = 64\npages_per_block = 64\nblocks = 16\nplanes = 2\necc = 4/512\n"
    "ecc_status = generic\nvoltage = 2.7-3.6\nsource = test row\n";

static struct cd_chipdb *db;
static const struct cd_chip *chip;
static uint8_t *array;
static struct cd_spi_model *model;
static uint8_t reply[1 << 20];
static size_t reply_len;

static void start(const char *name)
{
    assert_int_equal(cd_chipdb_new_builtin(&db), 0);
    assert_int_equal(cd_chipdb_add_text(db, rows, "test"), 0);
    assert_int_equal(cd_chipdb_find_name(db, name, &chip), 0);
    size_t size = (size_t)cd_nand_raw_size(chip);
    array = malloc(size);
    memset(array, 0xFF, size);
    /* pages 0..3 of block 1 hold a known pattern (data and OOB) */
    for (unsigned p = 0; p < 4; p++)
        for (unsigned i = 0; i < RAW; i++)
            array[(size_t)(PPB + p) * RAW + i] = (uint8_t)(i * 3 + p * 17 + (i >> 8));
    model = cd_nand_model_new(chip, array);
    assert_non_null(model);
    fwh_reset(model);
    fw_init();
}

static int setup1(void **state)
{
    (void)state;
    start("FWTEST-NAND");
    return 0;
}

static int setup2(void **state)
{
    (void)state;
    start("FWTEST-NAND2P");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    model->ops->destroy(model);
    free(array);
    cd_chipdb_free(db);
    fwh_reset(NULL);
    return 0;
}

static void run(void)
{
    reply_len = 0;
    for (int still = 0; still < 3;) {
        size_t in = fwh_in_pending();
        fw_task();
        size_t got = fwh_host_read(reply + reply_len, sizeof(reply) - reply_len);
        reply_len += got;
        still = got || fwh_in_pending() != in ? 0 : still + 1;
    }
}

static void le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void spiop(const uint8_t *w, uint32_t n, uint32_t rlen)
{
    uint8_t h[7] = {SP_O_SPIOP};
    le(h + 1, n, 3);
    le(h + 4, rlen, 3);
    fwh_host_write(h, 7);
    fwh_host_write(w, n);
    run();
}

static void unlock(void)
{
    static const uint8_t unlock_all[] = {0x1F, 0xA0, 0x00}; /* SET FEATURE A0h = 0 */
    spiop(unlock_all, 3, 0);
    assert_int_equal(reply_len, 1);
    assert_int_equal(reply[0], SP_ACK);
}

static void nand_read(uint32_t row, uint32_t count, uint16_t col, uint16_t len, uint8_t prs,
                      uint8_t pcs, uint8_t flags, uint16_t timeout)
{
    uint8_t h[1 + CD_NAND_REQ_LEN] = {CD_R_NAND};
    le(h + 1, row, 4);
    le(h + 5, count, 4);
    le(h + 9, col, 2);
    le(h + 11, len, 2);
    h[13] = 0x03;
    h[14] = 2;
    h[15] = 1;
    h[16] = prs;
    h[17] = pcs;
    h[18] = flags;
    le(h + 19, timeout, 2);
    fwh_host_write(h, sizeof(h));
    run();
}

static void exec_poll(const uint8_t *const *ops, const uint16_t *lens, unsigned nops)
{
    uint8_t h[1 + CD_EXEC_POLL_HDR] = {CD_O_EXEC_POLL, (uint8_t)nops, 2, 0x0F, 0xC0, 0x01, 0};
    uint32_t total = 0;
    for (unsigned i = 0; i < nops; i++)
        total += 2u + lens[i];
    le(h + 7, 5, 2);
    le(h + 9, 100000, 4);
    le(h + 13, total, 2);
    fwh_host_write(h, sizeof(h));
    for (unsigned i = 0; i < nops; i++) {
        uint8_t l[2];
        le(l, lens[i], 2);
        fwh_host_write(l, 2);
        fwh_host_write(ops[i], lens[i]);
    }
    run();
}

static void test_read_range_with_status(void **state)
{
    (void)state;
    nand_read(PPB, 4, 0, RAW, 0xFF, 0, 0, 1000);
    assert_int_equal(reply_len, 1 + 4 * (1 + RAW));
    assert_int_equal(reply[0], SP_ACK);
    for (unsigned p = 0; p < 4; p++) {
        const uint8_t *rec = reply + 1 + p * (1 + RAW);
        assert_int_equal(rec[0] & 0x31, 0); /* OIP clear, no ECC event */
        assert_memory_equal(rec + 1, array + (size_t)(PPB + p) * RAW, RAW);
    }
    assert_false(fwh_stats()->cs);
    struct cd_nand_model_stats st;
    cd_nand_model_get_stats(model, &st);
    assert_int_equal(st.page_reads, 4);

    /* OOB only: column 2048, 64 bytes */
    nand_read(PPB + 2, 1, PAGE, OOB, 0xFF, 0, 0, 1000);
    assert_int_equal(reply_len, 1 + 1 + OOB);
    assert_memory_equal(reply + 2, array + (size_t)(PPB + 2) * RAW + PAGE, OOB);

    /* status only: one byte per page */
    nand_read(0, 10, 0, RAW, 0xFF, 0, CD_NAND_F_READ_ONLY_STATUS, 1000);
    assert_int_equal(reply_len, 1 + 10);
}

static void test_ecc_status_per_page(void **state)
{
    (void)state;
    struct cd_nand_fault weak = {CD_NAND_FAULT_BITFLIPS, PPB + 1, 2, 0};
    struct cd_nand_fault dead = {CD_NAND_FAULT_BITFLIPS, PPB + 2, 9, 1};
    assert_int_equal(cd_nand_model_add_fault(model, &weak), 0);
    assert_int_equal(cd_nand_model_add_fault(model, &dead), 0);
    nand_read(PPB, 3, 0, PAGE, 0xFF, 0, 0, 1000);
    assert_int_equal(reply_len, 1 + 3 * (1 + PAGE));
    assert_int_equal(reply[1] & 0x30, 0x00);                  /* clean */
    assert_int_equal(reply[1 + (1 + PAGE)] & 0x30, 0x10);     /* corrected */
    assert_int_equal(reply[1 + 2 * (1 + PAGE)] & 0x30, 0x20); /* uncorrectable */
    assert_memory_equal(reply + 2 + (1 + PAGE), array + (size_t)(PPB + 1) * RAW, PAGE);
}

static void test_oip_timeout_ends_stream(void **state)
{
    (void)state;
    /* a timeout of 0 us: the first status read still shows OIP (tRD has not passed) */
    nand_read(PPB, 4, 0, RAW, 0xFF, 0, 0, 0);
    assert_int_equal(reply_len, 2);
    assert_int_equal(reply[0], SP_ACK);
    assert_int_equal(reply[1] & 0x01, 0x01);
    assert_false(fwh_stats()->cs);
    assert_true(fw_idle());
    /* the engine answers the next command normally */
    const uint8_t nop = SP_NOP;
    fwh_host_write(&nop, 1);
    run();
    assert_int_equal(reply_len, 1);
    assert_int_equal(reply[0], SP_ACK);
}

static void test_bad_requests(void **state)
{
    (void)state;
    nand_read(0xFFFFFF, 2, 0, RAW, 0xFF, 0, 0, 1000); /* runs past row 2^24 */
    assert_int_equal(reply_len, 1);
    assert_int_equal(reply[0], SP_NAK);
    nand_read(0, 1, 0, 17409, 0xFF, 0, 0, 1000); /* longer than any page */
    assert_int_equal(reply[0], SP_NAK);
    nand_read(0, 1, 0, RAW, 24, 12, 0, 1000); /* plane row bit beyond the row */
    assert_int_equal(reply[0], SP_NAK);
    nand_read(0, 1, 0, RAW, 0xFF, 0, 0x80, 1000); /* unknown flag */
    assert_int_equal(reply[0], SP_NAK);
    assert_int_equal(fwh_stats()->selects, 0);
    nand_read(0, 0, 0, RAW, 0xFF, 0, 0, 1000); /* nothing to read: just the ACK */
    assert_int_equal(reply_len, 1);
    assert_int_equal(reply[0], SP_ACK);
}

static void test_program_and_erase_on_board(void **state)
{
    (void)state;
    unlock();
    static const uint8_t wren[] = {0x06};
    static uint8_t load[3 + RAW];
    load[0] = 0x02;
    load[1] = 0;
    load[2] = 0;
    for (unsigned i = 0; i < RAW; i++)
        load[3 + i] = (uint8_t)(0xA5 ^ i);
    uint32_t row = 3 * PPB + 7;
    const uint8_t exec[] = {0x10, (uint8_t)(row >> 16), (uint8_t)(row >> 8), (uint8_t)row};
    const uint8_t *ops[] = {wren, load, exec};
    const uint16_t lens[] = {1, sizeof(load), 4};
    exec_poll(ops, lens, 3);
    assert_int_equal(reply_len, 7);
    assert_int_equal(reply[0], SP_ACK);
    assert_int_equal(reply[1], CD_POLL_READY);
    assert_int_equal(reply[2] & 0x09, 0); /* OIP and P_FAIL clear */
    /* with ECC on the model keeps the data; the OOB's ECC area is the chip's business */
    assert_memory_equal(array + (size_t)row * RAW, load + 3, PAGE);
    struct cd_nand_model_stats st;
    cd_nand_model_get_stats(model, &st);
    assert_int_equal(st.page_programs, 1);
    assert_int_equal(st.ignored_no_wel, 0);

    /* read it back through CD_R_NAND */
    nand_read(row, 1, 0, PAGE, 0xFF, 0, 0, 1000);
    assert_memory_equal(reply + 2, load + 3, PAGE);

    /* block erase, then a program that fails (P_FAIL in the status) */
    const uint8_t erase[] = {0xD8, 0, (uint8_t)((3 * PPB) >> 8), (uint8_t)(3 * PPB)};
    const uint8_t *eops[] = {wren, erase};
    const uint16_t elens[] = {1, 4};
    exec_poll(eops, elens, 2);
    assert_int_equal(reply[1], CD_POLL_READY);
    assert_int_equal(reply[2] & 0x04, 0);
    for (unsigned i = 0; i < RAW; i++)
        assert_int_equal(array[(size_t)row * RAW + i], 0xFF);

    struct cd_nand_fault pf = {.kind = CD_NAND_FAULT_PROGRAM_FAIL, .where = 3};
    assert_int_equal(cd_nand_model_add_fault(model, &pf), 0);
    exec_poll(ops, lens, 3);
    assert_int_equal(reply[1], CD_POLL_READY);
    assert_int_equal(reply[2] & 0x08, 0x08);
    struct cd_nand_fault ef = {.kind = CD_NAND_FAULT_ERASE_FAIL, .where = 3};
    assert_int_equal(cd_nand_model_add_fault(model, &ef), 0);
    exec_poll(eops, elens, 2);
    assert_int_equal(reply[2] & 0x04, 0x04);
    assert_false(fwh_stats()->cs);
}

/* Two planes: the plane bit (the block's low bit) goes into column bit 12. */
static void test_plane_bit(void **state)
{
    (void)state;
    /* pages of block 1 (odd: plane 1) */
    nand_read(PPB, 2, 0, RAW, 6, 12, 0, 1000);
    assert_int_equal(reply_len, 1 + 2 * (1 + RAW));
    assert_memory_equal(reply + 2, array + (size_t)PPB * RAW, RAW);
    struct cd_nand_model_stats st;
    cd_nand_model_get_stats(model, &st);
    assert_int_equal(st.plane_mismatches, 0);
    /* without the plane bit the model counts the mismatch */
    nand_read(PPB, 1, 0, RAW, 0xFF, 0, 0, 1000);
    cd_nand_model_get_stats(model, &st);
    assert_int_equal(st.plane_mismatches, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_range_with_status, setup1, teardown),
        cmocka_unit_test_setup_teardown(test_ecc_status_per_page, setup1, teardown),
        cmocka_unit_test_setup_teardown(test_oip_timeout_ends_stream, setup1, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup1, teardown),
        cmocka_unit_test_setup_teardown(test_program_and_erase_on_board, setup1, teardown),
        cmocka_unit_test_setup_teardown(test_plane_bit, setup2, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
