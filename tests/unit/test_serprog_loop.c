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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_negotiates_extensions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_erase_through_board, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_serprog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nand_over_serprog, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
