/*
 * The serprog programmer through the in-process loopback (-p serprog:loop=CHIP): the host's
 * negotiation, O_SPIOP transactions, pipelined board-side delays and streamed NOR reads
 * against firmware/core and the NOR model, through the public driver API. Also the plain
 * path (mimic=pico-serprog) and the NAND driver on top of O_SPIOP.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "chipdump/flash.h"
#include "chipdump/nand.h"
#include "chipdump/programmer.h"
#include "chipdump/sim.h"
#include "programmers/serprog.h"

#define SIZE (2u << 20) /* W25Q16JV */

struct fx {
    struct cd_chipdb *db;
    char path[64];
    uint8_t *want;
};

static void write_file(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void read_file(const char *path, uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, n, f), n);
    fclose(f);
}

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_int_equal(cd_chipdb_new_builtin(&x->db), CD_OK);
    snprintf(x->path, sizeof(x->path), "/tmp/cd-sploop-%d.bin", (int)getpid());
    x->want = malloc(SIZE);
    uint32_t v = 12345;
    for (size_t i = 0; i < SIZE; i++) {
        v = v * 1103515245u + 12345u;
        x->want[i] = (uint8_t)(v >> 16);
    }
    write_file(x->path, x->want, SIZE);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fx *x = *state;
    unlink(x->path);
    free(x->want);
    cd_chipdb_free(x->db);
    free(x);
    return 0;
}

static struct cd_programmer *open_loop(struct fx *x, const char *extra)
{
    char spec[256];
    snprintf(spec, sizeof(spec), "serprog:loop=W25Q16JV,image=%s%s", x->path, extra);
    struct cd_programmer *p = NULL;
    int r = cd_programmer_open(spec, x->db, NULL, &p);
    if (r)
        fprintf(stderr, "open: %s: %s\n", cd_strerror(r), cd_error_detail());
    assert_int_equal(r, CD_OK);
    return p;
}

static void test_negotiates_extensions(void **state)
{
    struct fx *x = *state;
    struct cd_programmer *p = open_loop(x, "");
    assert_non_null(strstr(p->description, "chipdump extensions"));
    assert_non_null(strstr(p->description, "\"chipdump\""));
    assert_non_null(p->ops->nor_read);
    assert_true(p->max_write >= 256);
    assert_int_equal(p->max_read, 0xFFFFFF);
    assert_string_equal(p->emulated_chip->name, "W25Q16JV");

    struct cd_probe pr;
    assert_int_equal(cd_nor_probe(p, x->db, &pr), CD_OK);
    bool found = false;
    for (size_t i = 0; i < pr.nmatches; i++)
        found |= !strcmp(pr.matches[i]->name, "W25Q16JV");
    assert_true(found);
    cd_programmer_close(p);
}

static void test_streamed_reads(void **state)
{
    struct fx *x = *state;
    struct cd_programmer *p = open_loop(x, "");
    struct cd_flash *f;
    assert_int_equal(cd_nor_open(p, p->emulated_chip, &f), CD_OK);

    uint8_t *buf = malloc(SIZE);
    memset(buf, 0xCC, SIZE);
    struct cd_read_opts o = {.reads = 1};
    assert_int_equal(cd_read_range(f, (struct cd_range){0, SIZE}, buf, &o, NULL), CD_OK);
    assert_memory_equal(buf, x->want, SIZE);

    /* reads that break the sequence: the chunk sent ahead is dropped, not delivered */
    uint8_t small[300];
    assert_int_equal(f->ops->read(f, 0x1000, small, 100), CD_OK);
    assert_memory_equal(small, x->want + 0x1000, 100);
    assert_int_equal(f->ops->read(f, 0x1064, small, 100), CD_OK); /* sequential: sends ahead */
    assert_memory_equal(small, x->want + 0x1064, 100);
    assert_int_equal(f->ops->read(f, 0x10, small, 300), CD_OK); /* not what was sent ahead */
    assert_memory_equal(small, x->want + 0x10, 300);
    /* an SPI op in between also drains it */
    assert_int_equal(f->ops->read(f, 0x10 + 300, small, 10), CD_OK);
    uint8_t id[3];
    struct cd_op rdid = CD_OP_IN(0x9F, 3, id);
    assert_int_equal(cd_exec(p, &rdid), CD_OK);
    assert_int_equal(id[0], 0xEF);
    assert_int_equal(id[2], 0x15);
    /* the end of the 3-byte address space: the next chunk is not asked for */
    assert_int_equal(f->ops->read(f, SIZE - 200, small, 100), CD_OK);
    assert_int_equal(f->ops->read(f, SIZE - 100, small, 100), CD_OK);
    assert_memory_equal(small, x->want + SIZE - 100, 100);
    free(buf);
    cd_flash_close(f);
    cd_programmer_close(p);
}

static void test_write_erase_through_board(void **state)
{
    struct fx *x = *state;
    struct cd_programmer *p = open_loop(x, "");
    struct cd_flash *f;
    assert_int_equal(cd_nor_open(p, p->emulated_chip, &f), CD_OK);

    /* 64 KiB at 0x30000: new data, with one erased 4K block and one identical one */
    uint32_t off = 0x30000, len = 0x10000;
    uint8_t *data = malloc(len);
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 13 + 7);
    memset(data + 0x2000, 0xFF, 0x1000);
    memcpy(data + 0x5000, x->want + off + 0x5000, 0x1000);
    struct cd_write_opts wo = {.verify = true};
    struct cd_write_stats st;
    assert_int_equal(cd_write_range(f, (struct cd_range){off, len}, data, x->want + off, &wo, &st),
                     CD_OK);
    assert_int_equal(st.blocks_erased, 15);
    cd_flash_close(f);
    cd_programmer_close(p);

    uint8_t *img = malloc(SIZE);
    read_file(x->path, img, SIZE);
    assert_memory_equal(img + off, data, len);
    assert_memory_equal(img, x->want, off);
    assert_memory_equal(img + off + len, x->want + off + len, SIZE - off - len);

    /* erase of the whole chip */
    p = open_loop(x, "");
    assert_int_equal(cd_nor_open(p, p->emulated_chip, &f), CD_OK);
    assert_int_equal(cd_erase_range(f, (struct cd_range){0, SIZE}, NULL, NULL), CD_OK);
    cd_flash_close(f);
    cd_programmer_close(p);
    read_file(x->path, img, SIZE);
    for (size_t i = 0; i < SIZE; i++)
        if (img[i] != 0xFF)
            fail_msg("byte 0x%zx is 0x%02x after erase", i, img[i]);
    free(img);
    free(data);
}

/* A plain serprog device: O_SPIOP only, flashrom's default limits, host-side waits. */
static void test_plain_serprog(void **state)
{
    struct fx *x = *state;
    struct cd_programmer *p = open_loop(x, ",mimic=pico-serprog");
    assert_null(strstr(p->description, "extensions"));
    assert_null(p->ops->nor_read);
    assert_int_equal(p->max_read, 64 * 1024);
    assert_int_equal(p->max_write, 256);
    struct cd_flash *f;
    assert_int_equal(cd_nor_open(p, p->emulated_chip, &f), CD_OK);
    uint8_t *buf = malloc(SIZE);
    struct cd_read_opts o = {.reads = 1};
    assert_int_equal(cd_read_range(f, (struct cd_range){0, SIZE}, buf, &o, NULL), CD_OK);
    assert_memory_equal(buf, x->want, SIZE);
    /* one 4 KiB block rewritten (the host sleeps while the chip is busy) */
    uint8_t data[4096];
    memset(data, 0x3C, sizeof(data));
    struct cd_write_opts wo = {.verify = true};
    assert_int_equal(
        cd_write_range(f, (struct cd_range){0x7000, 4096}, data, x->want + 0x7000, &wo, NULL),
        CD_OK);
    cd_flash_close(f);
    cd_programmer_close(p);
    read_file(x->path, buf, SIZE);
    assert_memory_equal(buf + 0x7000, data, 4096);
    free(buf);
}

static void test_bad_specs(void **state)
{
    struct fx *x = *state;
    struct cd_programmer *p = NULL;
    const char *bad[] = {
        "serprog",
        "serprog:loop=W25Q16JV,tcp=127.0.0.1:1",
        "serprog:loop=NOSUCHCHIP",
        "serprog:tcp=127.0.0.1",
        "serprog:tcp=127.0.0.1:99999",
        "serprog:dev=/dev/null,image=x.bin",
        "serprog:loop=W25Q16JV,spispeed=fast",
        "serprog:loop=W25Q16JV,mimic=other",
        "serprog:loop=W25Q16JV,frobnicate=1",
        "rp2040:colour=blue",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = cd_programmer_open(bad[i], x->db, NULL, &p);
        if (!cd_err_is_input(r))
            fail_msg("'%s' gave %d (%s), not a bad-input error", bad[i], r, cd_strerror(r));
        assert_null(p);
        assert_true(strlen(cd_error_detail()) > 0);
    }
    /* not a serial port, nobody listening: operation failures with a reason */
    assert_true(cd_programmer_open("serprog:dev=/dev/null", x->db, NULL, &p) < 0);
    assert_non_null(strstr(cd_error_detail(), "/dev/null"));
    assert_int_equal(cd_programmer_open("serprog:tcp=127.0.0.1:1", x->db, NULL, &p),
                     CD_E_NO_DEVICE);
    /* one loopback at a time (the engine is a singleton) */
    struct cd_programmer *a = open_loop(x, "");
    assert_int_equal(cd_programmer_open("serprog:loop=W25Q16JV", x->db, NULL, &p),
                     CD_E_UNSUPPORTED);
    cd_programmer_close(a);
}

/* The SPI-NAND driver on a serprog device (O_SPIOP transactions only). */
static void test_nand_over_serprog(void **state)
{
    struct fx *x = *state;
    static const char row[] = "[TESTNAND1G-SP]\nvendor = Test\ntype = nand\nid = EF AA 21\n"
                              "read_id = dummy\npage = 2048\noob = 64\npages_per_block = 64\n"
                              "blocks = 16\necc = 1/512\necc_status = generic\n"
                              "voltage = 2.7-3.6\nsource = test row\n";
    assert_int_equal(cd_chipdb_add_text(x->db, row, "test"), CD_OK);
    char path[80], spec[160];
    snprintf(path, sizeof(path), "/tmp/cd-sploop-nand-%d.bin", (int)getpid());
    unlink(path);
    snprintf(spec, sizeof(spec), "serprog:loop=TESTNAND1G-SP,image=%s", path);
    struct cd_programmer *p;
    assert_int_equal(cd_programmer_open(spec, x->db, NULL, &p), CD_OK);
    struct cd_nand_probe np;
    assert_int_equal(cd_nand_probe(p, x->db, &np), CD_OK);
    struct cd_nand *n;
    const struct cd_chip *chip;
    assert_int_equal(cd_chipdb_find_name(x->db, "TESTNAND1G-SP", &chip), CD_OK);
    assert_int_equal(cd_nand_open(p, chip, &n), CD_OK);
    uint8_t page[2048], back[2048 + 64];
    for (int i = 0; i < 2048; i++)
        page[i] = (uint8_t)(i ^ 0xA5);
    assert_int_equal(cd_nand_erase_block(n, 3), CD_OK);
    assert_int_equal(cd_nand_program_page(n, 3 * 64 + 5, page, NULL, true), CD_OK);
    assert_true(cd_nand_read_page(n, 3 * 64 + 5, back, false, true) >= 0);
    assert_memory_equal(back, page, 2048);
    cd_nand_close(n);
    cd_programmer_close(p);
    unlink(path);
}

/* Rows for the bulk NAND read: plain, dummy byte first, two planes, ECC count in 7Ch. */
static const char *const bulk_rows =
    "[BULK-GEN]\nvendor = Test\ntype = nand\nid = EF AA 31\nread_id = dummy\npage = 2048\n"
    "oob = 64\npages_per_block = 64\nblocks = 8\necc = 1/512\necc_status = generic\n"
    "voltage = 2.7-3.6\nsource = test row\n"
    "[BULK-GD]\nvendor = Test\ntype = nand\nid = C8 D1 32\nread_id = addr\npage = 2048\n"
    "oob = 128\npages_per_block = 64\nblocks = 8\necc = 8/512\necc_status = gd-ufuc\n"
    "cache_dummy = before\nvoltage = 2.7-3.6\nsource = test row\n"
    "[BULK-MT]\nvendor = Test\ntype = nand\nid = 2C 24 33\nread_id = dummy\npage = 2048\n"
    "oob = 128\npages_per_block = 64\nblocks = 8\nplanes = 2\necc = 8/512\n"
    "ecc_status = micron\nvoltage = 2.7-3.6\nsource = test row\n"
    "[BULK-MX]\nvendor = Test\ntype = nand\nid = C2 12 34\nread_id = dummy\npage = 2048\n"
    "oob = 64\npages_per_block = 64\nblocks = 8\necc = 4/512\necc_status = mx-7c\n"
    "voltage = 2.7-3.6\nsource = test row\n";

struct bulk_result {
    uint8_t *data;
    uint64_t len;
    struct cd_nand_report rep;
    unsigned long sends;
    bool bulk;
};

static const struct cd_nand_fault bulk_flips[] = {
    {CD_NAND_FAULT_BITFLIPS, 3, 1, 0},
    {CD_NAND_FAULT_BITFLIPS, 2 * 64 + 9, 1, 1},
    {CD_NAND_FAULT_BITFLIPS, 3 * 64 + 63, 9, 0}, /* past every strength: uncorrectable */
};

static void bulk_read(struct fx *x, const char *spec, const struct cd_chip *chip, bool faults,
                      struct bulk_result *out)
{
    struct cd_programmer *p;
    assert_int_equal(cd_programmer_open(spec, x->db, NULL, &p), CD_OK);
    if (faults) {
        struct cd_spi_model *m = cd_sp_loop_model();
        assert_non_null(m);
        for (size_t i = 0; i < sizeof(bulk_flips) / sizeof(bulk_flips[0]); i++)
            assert_int_equal(cd_nand_model_add_fault(m, &bulk_flips[i]), CD_OK);
    }
    out->bulk = p->ops->nand_read_pages != NULL;
    struct cd_nand *n;
    assert_int_equal(cd_nand_open(p, chip, &n), CD_OK);
    out->data = malloc((size_t)4 * cd_nand_block_bytes(chip, false));
    struct cd_nand_read_opts o = {0};
    unsigned long before = cd_sp_loop_sends();
    assert_int_equal(cd_nand_read_blocks(n, 0, 4, &o, out->data, &out->len, &out->rep), CD_OK);
    out->sends = cd_sp_loop_sends() - before;
    cd_nand_close(n);
    cd_programmer_close(p);
}

static void bulk_same(const struct bulk_result *a, const struct bulk_result *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->data, b->data, a->len);
    assert_int_equal(a->rep.nbad, b->rep.nbad);
    if (a->rep.nbad)
        assert_memory_equal(a->rep.bad_blocks, b->rep.bad_blocks, a->rep.nbad * 4);
    assert_int_equal(a->rep.bitflips, b->rep.bitflips);
    assert_int_equal(a->rep.necc, b->rep.necc);
    for (size_t i = 0; i < a->rep.necc; i++) {
        assert_int_equal(a->rep.ecc[i].block, b->rep.ecc[i].block);
        assert_int_equal(a->rep.ecc[i].bitflips, b->rep.ecc[i].bitflips);
        assert_int_equal(a->rep.ecc[i].max_bitflips, b->rep.ecc[i].max_bitflips);
        assert_int_equal(a->rep.ecc[i].pages_corrected, b->rep.ecc[i].pages_corrected);
        assert_int_equal(a->rep.ecc[i].pages_uncorrectable, b->rep.ecc[i].pages_uncorrectable);
    }
    assert_int_equal(a->rep.nuncorrectable, b->rep.nuncorrectable);
}

/* NAND reads through the board use CD_R_NAND (one request per block) and report exactly what
 * -p sim reports for the same image and bit flips; a plain serprog device reads page by page. */
static void test_nand_bulk_read(void **state)
{
    struct fx *x = *state;
    static const char *const names[] = {"BULK-GEN", "BULK-GD", "BULK-MT", "BULK-MX"};
    assert_int_equal(cd_chipdb_add_text(x->db, bulk_rows, "test"), CD_OK);
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        const struct cd_chip *chip;
        assert_int_equal(cd_chipdb_find_name(x->db, names[k], &chip), CD_OK);
        char path[80], spec[256];
        snprintf(path, sizeof(path), "/tmp/cd-sploop-bulk-%d.bin", (int)getpid());
        unlink(path);
        /* contents: programmed pages, a factory-bad block 1 */
        snprintf(spec, sizeof(spec), "serprog:loop=%s,image=%s", names[k], path);
        struct cd_programmer *p;
        assert_int_equal(cd_programmer_open(spec, x->db, NULL, &p), CD_OK);
        struct cd_nand *n;
        assert_int_equal(cd_nand_open(p, chip, &n), CD_OK);
        uint8_t page[2048], oob[128];
        memset(oob, 0xFF, sizeof(oob));
        for (uint32_t pg = 0; pg < 4 * 64; pg++) {
            if (pg % 3 && pg % 64)
                continue;
            for (int i = 0; i < 2048; i++)
                page[i] = (uint8_t)(i * 7 + pg);
            if (pg / 64 == 1) {
                oob[0] = pg % 64 == 0 ? 0x00 : 0xFF;
                assert_int_equal(cd_nand_program_page(n, pg, page, oob, false), CD_OK);
            } else {
                assert_int_equal(cd_nand_program_page(n, pg, page, NULL, true), CD_OK);
            }
        }
        cd_nand_close(n);
        cd_programmer_close(p);

        struct bulk_result board = {0}, plain = {0}, sim = {0};
        bulk_read(x, spec, chip, true, &board);
        assert_true(board.bulk);
        snprintf(spec, sizeof(spec), "serprog:loop=%s,image=%s,mimic=pico-serprog", names[k], path);
        bulk_read(x, spec, chip, true, &plain);
        assert_false(plain.bulk);
        snprintf(spec, sizeof(spec), "sim:chip=%s,image=%s,faults=flip:3:1+flip:137:1:1+flip:255:9",
                 names[k], path);
        bulk_read(x, spec, chip, false, &sim);
        assert_int_equal(board.rep.nbad, 1);
        assert_true(board.rep.bitflips > 0);
        assert_int_equal(board.rep.nuncorrectable, 1);
        bulk_same(&board, &sim);
        bulk_same(&plain, &sim);
        /* one request per block, except pages whose count needs another register */
        print_message("%s: %lu host writes through C2, %lu page by page\n", names[k], board.sends,
                      plain.sends);
        assert_true(board.sends * 4 < plain.sends);
        free(board.data);
        free(plain.data);
        free(sim.data);
        cd_nand_report_free(&board.rep);
        cd_nand_report_free(&plain.rep);
        cd_nand_report_free(&sim.rep);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_negotiates_extensions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_erase_through_board, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_serprog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nand_over_serprog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nand_bulk_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
