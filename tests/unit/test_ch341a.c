/*
 * The CH341A protocol code (host/lib/programmers/ch341a.c) against the CH341A device model
 * and the SPI-NOR chip model, with a recording USB seam in between: exact packets, the
 * pipelining promises (one host wait per read, none for WREN/PP, never more than 32 IN
 * transfers in flight), and the failures a user meets (unplug, stuck device, stale replies,
 * empty clip), all through the public API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "chipdump/chipdump.h"
#include "chipdump/nand.h"
#include "programmers/ch341a.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

static const char rows[] = "[TESTQ80]\n"
                           "vendor = Test\ntype = nor\nid = EF 40 14\nsize = 1M\n"
                           "page = 256\nerase = 4K:20 32K:52 64K:D8\nchip_erase = C7\n"
                           "t_erase = 4K:45/400ms 32K:120/1600ms 64K:150/2000ms chip:3/10s\n"
                           "t_program = 0.4/3ms\nvoltage = 2.7-3.6\nprotect = bp3-tb\n"
                           "source = test\n"
                           "[TESTQ256]\n"
                           "vendor = Test\ntype = nor\nid = EF 40 19\nsize = 32M\n"
                           "page = 256\nerase = 4K:20 32K:52 64K:D8\nvoltage = 2.7-3.6\n"
                           "addr4 = mode\nsource = test\n";

static uint8_t rev(uint8_t b)
{
    uint8_t r = 0;
    for (int i = 0; i < 8; i++)
        r = (uint8_t)((r << 1) | ((b >> i) & 1));
    return r;
}

/* ---- a seam that records what goes to the emulated device ---- */

struct pkt {
    uint8_t len;
    uint8_t b[32];
};

struct rec_usb {
    struct cd_usb base;
    struct cd_usb *inner;
    struct cd_usb_xfer *pend[512];
    size_t npend;
    unsigned in_now, in_max, out_now, out_max;
    unsigned out_transfers, in_transfers, in_timeouts;
    uint32_t max_out_len;
    struct pkt *pkts;
    size_t npkts, cap;
    bool record;
    bool closed;
    struct cd_ch341a_model_stats at_close;
};

static void forget_done(struct rec_usb *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->npend; i++) {
        struct cd_usb_xfer *x = r->pend[i];
        if (x->status == CD_USB_PENDING) {
            r->pend[k++] = x;
            continue;
        }
        if (x->ep & 0x80) {
            r->in_now--;
            r->in_timeouts += x->status == CD_USB_TIMEOUT;
        } else {
            r->out_now--;
        }
    }
    r->npend = k;
}

static int rec_submit(struct cd_usb *u, struct cd_usb_xfer *x, unsigned timeout_ms)
{
    struct rec_usb *r = (struct rec_usb *)u;
    if (!(x->ep & 0x80)) {
        r->out_transfers++;
        if (x->len > r->max_out_len)
            r->max_out_len = x->len;
        for (uint32_t off = 0; r->record && off < x->len; off += 32) {
            if (r->npkts == r->cap) {
                r->cap = r->cap ? 2 * r->cap : 256;
                r->pkts = realloc(r->pkts, r->cap * sizeof(*r->pkts));
                assert_non_null(r->pkts);
            }
            struct pkt *p = &r->pkts[r->npkts++];
            p->len = (uint8_t)(x->len - off > 32 ? 32 : x->len - off);
            memcpy(p->b, x->buf + off, p->len);
        }
    } else {
        r->in_transfers++;
    }
    int e = r->inner->ops->submit(r->inner, x, timeout_ms);
    if (e)
        return e;
    assert_true(r->npend < 512);
    r->pend[r->npend++] = x;
    if (x->ep & 0x80) {
        if (++r->in_now > r->in_max)
            r->in_max = r->in_now;
    } else if (++r->out_now > r->out_max) {
        r->out_max = r->out_now;
    }
    return CD_OK;
}

static void rec_cancel(struct cd_usb *u, struct cd_usb_xfer *x)
{
    struct rec_usb *r = (struct rec_usb *)u;
    r->inner->ops->cancel(r->inner, x);
}

static int rec_handle_events(struct cd_usb *u, unsigned timeout_ms)
{
    struct rec_usb *r = (struct rec_usb *)u;
    int e = r->inner->ops->handle_events(r->inner, timeout_ms);
    forget_done(r);
    return e;
}

static void rec_sleep(struct cd_usb *u, uint32_t us)
{
    struct rec_usb *r = (struct rec_usb *)u;
    r->inner->ops->sleep_us(r->inner, us);
}

static void rec_close(struct cd_usb *u)
{
    struct rec_usb *r = (struct rec_usb *)u;
    forget_done(r);
    assert_int_equal(r->npend, 0); /* the programmer never closes with transfers in flight */
    cd_ch341a_model_get_stats(cd_ch341a_emu_model(r->inner), &r->at_close);
    r->inner->ops->close(r->inner);
    r->closed = true;
}

static const struct cd_usb_ops rec_ops = {rec_submit, rec_cancel, rec_handle_events, rec_sleep,
                                          rec_close};

/* ---- fixture: a chip model, the CH341A model, the recorder, the programmer ---- */

struct fx {
    struct cd_chipdb *db;
    const struct cd_chip *row;
    uint8_t *array;
    struct cd_spi_model *chip;
    struct cd_ch341a_model *model;
    struct rec_usb rec;
    struct cd_programmer *p;
};

static void fx_open(struct fx *f, const char *chip, const struct cd_ch341a_emu_faults *faults,
                    unsigned stale, int want)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(cd_chipdb_new_empty(&f->db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(f->db, rows, "test"), CD_OK);
    if (chip) {
        assert_int_equal(cd_chipdb_find_name(f->db, chip, &f->row), CD_OK);
        f->array = malloc(f->row->size);
        assert_non_null(f->array);
        for (size_t i = 0; i < f->row->size; i++)
            f->array[i] = (uint8_t)(i * 7 + (i >> 9));
        f->chip = cd_nor_model_new(f->row, f->array, 0);
        assert_non_null(f->chip);
    }
    f->model = cd_ch341a_model_new(f->chip, f->row);
    cd_ch341a_model_set_stale(f->model, stale);
    f->rec.base.ops = &rec_ops;
    f->rec.inner = cd_ch341a_emu_new(f->model, faults);
    f->rec.record = true;
    assert_int_equal(cd_ch341a_attach(&f->rec.base, "test ch341a", &f->p), want);
}

static void fx_close(struct fx *f)
{
    cd_programmer_close(f->p);
    if (f->chip)
        f->chip->ops->destroy(f->chip);
    free(f->array);
    free(f->rec.pkts);
    cd_chipdb_free(f->db);
}

static struct cd_ch341a_stats stats(struct fx *f)
{
    struct cd_ch341a_stats st;
    assert_true(cd_ch341a_get_stats(f->p, &st));
    return st;
}

/* ---- tests ---- */

static void test_setup_and_rdsr_packets(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, "TESTQ80", NULL, 0, CD_OK);
    /* at open: one IN to drain stale replies (times out), stream mode, pins */
    assert_int_equal(f.rec.in_timeouts, 1);
    assert_int_equal(f.rec.npkts, 2);
    assert_memory_equal(f.rec.pkts[0].b, ((uint8_t[]){0xAA, 0x61, 0x00}), 3);
    assert_int_equal(f.rec.pkts[0].len, 3);
    assert_memory_equal(f.rec.pkts[1].b, ((uint8_t[]){0xAB, 0xB7, 0x7F, 0x20}), 4);

    f.rec.npkts = 0;
    unsigned outs = f.rec.out_transfers, ins = f.rec.in_transfers;
    uint8_t sr = 0xAA;
    struct cd_op op = CD_OP_IN(0x05, 1, &sr);
    assert_int_equal(cd_exec(f.p, &op), CD_OK);
    assert_int_equal(sr, 0x00);
    /* CS low (a full packet, so the transfer goes on), the SPI bytes LSB first, CS high */
    assert_int_equal(f.rec.npkts, 3);
    assert_int_equal(f.rec.pkts[0].len, 32);
    assert_memory_equal(f.rec.pkts[0].b, ((uint8_t[]){0xAB, 0xB6, 0x20, 0, 0}), 5);
    assert_int_equal(f.rec.pkts[1].len, 3);
    assert_memory_equal(f.rec.pkts[1].b, ((uint8_t[]){0xA8, rev(0x05), 0xFF}), 3);
    assert_int_equal(f.rec.pkts[2].len, 3);
    assert_memory_equal(f.rec.pkts[2].b, ((uint8_t[]){0xAB, 0xB7, 0x20}), 3);
    /* the short SPI packet ends its transfer: two OUT transfers, one 2-byte IN */
    assert_int_equal(f.rec.out_transfers - outs, 2);
    assert_int_equal(f.rec.in_transfers - ins, 1);

    /* 31 SPI bytes fill the packet: CS high shares the transfer */
    uint8_t buf[30];
    outs = f.rec.out_transfers;
    struct cd_op rd = CD_OP_IN(0x9F, 30, buf);
    assert_int_equal(cd_exec(f.p, &rd), CD_OK);
    assert_int_equal(f.rec.out_transfers - outs, 1);
    assert_memory_equal(buf, ((uint8_t[]){0xEF, 0x40, 0x14, 0xFF}), 4);
    fx_close(&f);
    /* closing released the pins: outputs off, CS high */
    assert_int_equal(f.rec.at_close.pins_dir, 0);
    assert_int_equal(f.rec.at_close.selects, f.rec.at_close.deselects);
    assert_int_equal(f.rec.at_close.stream_mode, 1);
    assert_int_equal(f.rec.at_close.bad_packets, 0);
    assert_int_equal(f.rec.at_close.spi_unselected, 0);
}

static void test_lifecycle_nor(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, "TESTQ80", NULL, 0, CD_OK);
    f.rec.record = false;
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(f.p, f.db, &probe), CD_OK);
    assert_string_equal(probe.chip->name, "TESTQ80");
    struct cd_flash *fl;
    assert_int_equal(cd_nor_open(f.p, probe.chip, &fl), CD_OK);

    /* whole chip, one full read */
    uint8_t *buf = malloc(MiB), *want = malloc(MiB);
    assert_non_null(buf);
    assert_non_null(want);
    assert_int_equal(cd_read_range(fl, (struct cd_range){0, MiB}, buf, NULL, NULL), CD_OK);
    assert_memory_equal(buf, f.array, MiB);

    /* smart write of 128 KiB with 0xCC-filled and erased parts, then verify */
    memcpy(want, buf, MiB);
    memset(want + 0x20000, 0xCC, 0x10000);
    memset(want + 0x30000, 0xFF, 0x8000);
    for (size_t i = 0x38000; i < 0x40000; i++)
        want[i] = (uint8_t)(i ^ 0x5A);
    struct cd_write_stats ws;
    struct cd_range r = {0x20000, 0x20000};
    assert_int_equal(cd_write_range(fl, r, want + r.off, buf + r.off, NULL, &ws), CD_OK);
    assert_memory_equal(f.array, want, MiB);
    assert_int_equal(cd_verify_range(fl, (struct cd_range){0, MiB}, want, NULL, NULL, NULL), CD_OK);

    /* erase a 64 KiB block, and the whole chip */
    assert_int_equal(cd_erase_range(fl, (struct cd_range){0x10000, 0x10000}, NULL, NULL), CD_OK);
    for (size_t i = 0x10000; i < 0x20000; i++)
        assert_int_equal(f.array[i], 0xFF);
    assert_int_equal(f.array[0xFFFF], want[0xFFFF]);
    assert_int_equal(cd_erase_range(fl, (struct cd_range){0, MiB}, NULL, NULL), CD_OK);
    memset(want, 0xFF, MiB);
    assert_memory_equal(f.array, want, MiB);

    struct cd_nor_model_stats ns;
    cd_nor_model_get_stats(f.chip, &ns);
    assert_int_equal(ns.ignored_no_wel + ns.ignored_busy + ns.ignored_protect, 0);
    assert_int_equal(ns.chip_erases, 1);
    cd_flash_close(fl);
    free(buf);
    free(want);
    fx_close(&f);
    assert_int_equal(f.rec.at_close.bad_packets, 0);
    assert_int_equal(f.rec.at_close.spi_unselected, 0);
}

static void test_read_is_one_stream(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, "TESTQ80", NULL, 0, CD_OK);
    f.rec.record = false;
    struct cd_ch341a_stats a = stats(&f);
    unsigned ins = f.rec.in_transfers;
    uint8_t *buf = malloc(64 * KiB);
    struct cd_op op = {.cmd = 0x03,
                       .addr_len = 3,
                       .addr = 0x12345,
                       .dir = CD_DATA_IN,
                       .data_len = 64 * KiB,
                       .data.in = buf};
    assert_int_equal(cd_exec(f.p, &op), CD_OK);
    assert_memory_equal(buf, f.array + 0x12345, 64 * KiB);
    struct cd_ch341a_stats b = stats(&f);
    /* one host wait for 64 KiB; one IN transfer per 31 bytes on the wire */
    assert_int_equal(b.syncs - a.syncs, 1);
    assert_int_equal(f.rec.in_transfers - ins, (4 + 64 * KiB + 30) / 31);
    assert_int_equal(b.spi_bytes - a.spi_bytes, 4 + 64 * KiB);
    /* the pipeline was full and never deeper than promised */
    assert_int_equal(f.rec.in_max, 32);
    assert_true(f.rec.out_max > 1 && f.rec.out_max <= 16);
    assert_true(f.rec.max_out_len <= 64 * 32);
    free(buf);
    fx_close(&f);
}

static void test_program_waits_only_for_status(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, "TESTQ80", NULL, 0, CD_OK);
    f.rec.record = false;
    struct cd_flash *fl;
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(f.p, f.db, &probe), CD_OK);
    assert_int_equal(cd_nor_open(f.p, probe.chip, &fl), CD_OK);
    assert_int_equal(cd_erase_range(fl, (struct cd_range){0, 4 * KiB}, NULL, NULL), CD_OK);

    uint8_t page[256];
    memset(page, 0xCC, sizeof(page));
    struct cd_ch341a_stats a = stats(&f);
    struct cd_op wren = CD_OP_CMD(0x06);
    struct cd_op pp = {.cmd = 0x02,
                       .addr_len = 3,
                       .addr = 0x100,
                       .dir = CD_DATA_OUT,
                       .data_len = 256,
                       .data.out = page};
    assert_int_equal(cd_exec(f.p, &wren), CD_OK);
    assert_int_equal(cd_exec(f.p, &pp), CD_OK);
    /* nothing waited for yet: the replies of WREN and PP are still owed */
    assert_int_equal(stats(&f).syncs, a.syncs);
    assert_true(f.rec.npend > 0);
    uint8_t sr;
    struct cd_op rdsr = CD_OP_IN(0x05, 1, &sr);
    do {
        assert_int_equal(cd_exec(f.p, &rdsr), CD_OK);
        if (sr & 1)
            assert_int_equal(cd_delay_us(f.p, 100), CD_OK);
    } while (sr & 1);
    assert_memory_equal(f.array + 0x100, page, 256);
    struct cd_nor_model_stats ns;
    cd_nor_model_get_stats(f.chip, &ns);
    assert_int_equal(ns.page_programs, 1);
    assert_int_equal(ns.ignored_no_wel, 0);

    /* the driver's program path: one page, then the NOR model confirms it landed */
    memset(page, 0x3C, sizeof(page));
    assert_int_equal(fl->ops->program(fl, 0x200, page, sizeof(page)), CD_OK);
    assert_memory_equal(f.array + 0x200, page, 256);
    cd_flash_close(fl);
    fx_close(&f);
}

static void test_4byte_chip(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, "TESTQ256", NULL, 0, CD_OK);
    f.rec.record = false;
    struct cd_probe probe;
    struct cd_flash *fl;
    assert_int_equal(cd_nor_probe(f.p, f.db, &probe), CD_OK);
    assert_int_equal(cd_nor_open(f.p, probe.chip, &fl), CD_OK);
    uint8_t *buf = malloc(64 * KiB);
    struct cd_range hi = {32 * MiB - 64 * KiB - 1000, 64 * KiB};
    assert_int_equal(cd_read_range(fl, hi, buf, NULL, NULL), CD_OK);
    assert_memory_equal(buf, f.array + hi.off, hi.len);
    free(buf);
    cd_flash_close(fl); /* EX4B on the way out */
    fx_close(&f);
}

static void test_unplug_mid_read(void **state)
{
    (void)state;
    struct fx f;
    struct cd_ch341a_emu_faults faults = {.unplug_after = 100000};
    fx_open(&f, "TESTQ80", &faults, 0, CD_OK);
    f.rec.record = false;
    struct cd_probe probe;
    struct cd_flash *fl;
    assert_int_equal(cd_nor_probe(f.p, f.db, &probe), CD_OK);
    assert_int_equal(cd_nor_open(f.p, probe.chip, &fl), CD_OK);
    uint8_t *buf = malloc(MiB);
    assert_int_equal(cd_read_range(fl, (struct cd_range){0, MiB}, buf, NULL, NULL),
                     CD_E_DEVICE_GONE);
    const char *d = cd_error_detail();
    assert_non_null(strstr(d, "unplugged"));
    assert_non_null(strstr(d, "the read stopped at 0x10000, 65536 of 1048576 bytes read"));
    /* the session is over: every later op fails at once, without touching USB */
    unsigned outs = f.rec.out_transfers;
    uint8_t sr;
    struct cd_op rdsr = CD_OP_IN(0x05, 1, &sr);
    assert_int_equal(cd_exec(f.p, &rdsr), CD_E_DEVICE_GONE);
    assert_int_equal(f.rec.out_transfers, outs);
    free(buf);
    cd_flash_close(fl);
    fx_close(&f); /* rec_close asserts nothing was left in flight */
    assert_true(f.rec.closed);
}

static void test_stuck_device_times_out(void **state)
{
    (void)state;
    struct fx f;
    struct cd_ch341a_emu_faults faults = {.stall_after = 5000};
    fx_open(&f, "TESTQ80", &faults, 0, CD_OK);
    f.rec.record = false;
    time_t t0 = time(NULL);
    uint8_t *buf = malloc(64 * KiB);
    struct cd_op op = {
        .cmd = 0x03, .addr_len = 3, .dir = CD_DATA_IN, .data_len = 64 * KiB, .data.in = buf};
    assert_int_equal(cd_exec(f.p, &op), CD_E_TIMEOUT);
    assert_non_null(strstr(cd_error_detail(), "stopped answering"));
    assert_non_null(strstr(cd_error_detail(), "command 03h at 0x0"));
    /* the timeout ran on the model clock: no real second went by */
    assert_true(time(NULL) - t0 <= 1);
    free(buf);
    fx_close(&f);
    assert_true(f.rec.closed);
}

static void test_stale_replies_are_drained(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, "TESTQ80", NULL, 2, CD_OK);
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(f.p, f.db, &probe), CD_OK);
    assert_int_equal(probe.id[0], 0xEF);
    assert_int_equal(probe.id[1], 0x40);
    assert_int_equal(probe.id[2], 0x14);
    fx_close(&f);
}

static void test_empty_clip(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL, NULL, 0, CD_OK);
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(f.p, f.db, &probe), CD_E_NO_CHIP);
    assert_non_null(strstr(cd_error_detail(), "FF FF FF"));
    fx_close(&f);
}

/* ---- SPI-NAND through the same packet path ---- */

static const char nand_rows[] = "[TESTN01]\nvendor = Test\ntype = nand\nid = EF AA 21\n"
                                "read_id = dummy\npage = 2048\noob = 64\npages_per_block = 64\n"
                                "blocks = 64\necc = 1/512\necc_status = generic\n"
                                "voltage = 2.7-3.6\nsource = test\n";

static void test_lifecycle_nand(void **state)
{
    (void)state;
    struct cd_chipdb *db;
    struct cd_programmer *p;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(db, nand_rows, "test"), CD_OK);
    assert_int_equal(cd_programmer_open("ch341a:emulate=TESTN01", db, NULL, &p), CD_OK);

    struct cd_nand_probe np;
    assert_int_equal(cd_nand_probe(p, db, &np), CD_OK);
    assert_string_equal(np.chip->name, "TESTN01");
    assert_int_equal(np.form, CD_READID_DUMMY);
    struct cd_nand *n;
    assert_int_equal(cd_nand_open(p, np.chip, &n), CD_OK);

    uint8_t data[2048], oob[64], back[2048 + 64];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(0xCC ^ i);
    memset(oob, 0xFF, sizeof(oob));
    oob[4] = 0x12; /* a user byte, written raw below */
    uint32_t page = 3 * 64 + 5;
    assert_int_equal(cd_nand_erase_block(n, 3), CD_OK);
    assert_int_equal(cd_nand_read_page(n, page, back, true, false), 0);
    for (size_t i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], 0xFF);

    /* with on-die ECC: the data comes back, no bitflips */
    assert_int_equal(cd_nand_program_page(n, page, data, NULL, true), CD_OK);
    memset(back, 0, sizeof(back));
    assert_int_equal(cd_nand_read_page(n, page, back, false, true), 0);
    assert_memory_equal(back, data, sizeof(data));

    /* raw page + OOB, ECC off, on the next page */
    assert_int_equal(cd_nand_program_page(n, page + 1, data, oob, false), CD_OK);
    assert_int_equal(cd_nand_read_page(n, page + 1, back, true, false), 0);
    assert_memory_equal(back, data, sizeof(data));
    assert_memory_equal(back + 2048, oob, sizeof(oob));

    /* one host wait per page read (the page's data comes as one stream) */
    struct cd_ch341a_stats a, b;
    assert_true(cd_ch341a_get_stats(p, &a));
    assert_int_equal(cd_nand_read_page(n, page, back, false, true), 0);
    assert_true(cd_ch341a_get_stats(p, &b));
    assert_true(b.syncs - a.syncs >= 2 && b.syncs - a.syncs <= 4); /* status poll(s), cache read */

    assert_int_equal(cd_nand_erase_block(n, 3), CD_OK);
    assert_int_equal(cd_nand_read_page(n, page, back, true, false), 0);
    for (size_t i = 0; i < sizeof(back); i++)
        assert_int_equal(back[i], 0xFF);
    /* the chip saw a careful host: nothing refused, nothing programmed twice */
    struct cd_nand_model_stats ns;
    cd_nand_model_get_stats(cd_sim_model(cd_ch341a_emulated_sim(p)), &ns);
    assert_int_equal(ns.ignored_no_wel + ns.ignored_busy + ns.locked_rejects, 0);
    assert_int_equal(ns.double_programs, 0);
    assert_int_equal(ns.page_programs, 2);
    assert_int_equal(ns.block_erases, 2);
    cd_nand_close(n);
    cd_programmer_close(p);
    cd_chipdb_free(db);
}

/* ---- -p ch341a:... through cd_programmer_open ---- */

static void test_spec(void **state)
{
    (void)state;
    struct cd_chipdb *db;
    struct cd_programmer *p;
    struct cd_probe probe;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(db, rows, "test"), CD_OK);

    assert_int_equal(cd_programmer_open("ch341a:emulate=TESTQ80", db, NULL, &p), CD_OK);
    assert_string_equal(p->kind, "ch341a");
    assert_non_null(p->emulated_chip);
    assert_string_equal(p->emulated_chip->name, "TESTQ80");
    assert_non_null(strstr(p->description, "emulated"));
    assert_int_equal(cd_nor_probe(p, db, &probe), CD_OK);
    cd_programmer_close(p);

    /* emulate without a name takes --chip; chip= is the same as emulate=NAME */
    assert_int_equal(cd_programmer_open("ch341a:emulate", db, "TESTQ80", &p), CD_OK);
    cd_programmer_close(p);
    assert_int_equal(cd_programmer_open("ch341a:emulate,chip=TESTQ80", db, NULL, &p), CD_OK);
    cd_programmer_close(p);

    /* garbage on MISO: no chip, with the raw bytes */
    assert_int_equal(cd_programmer_open("ch341a:emulate=TESTQ80,id=DE8030", db, NULL, &p), CD_OK);
    assert_int_equal(cd_nor_probe(p, db, &probe), CD_E_NO_CHIP);
    assert_non_null(strstr(cd_error_detail(), "DE 80 30"));
    cd_programmer_close(p);
    assert_int_equal(cd_programmer_open("ch341a:emulate=none", db, NULL, &p), CD_OK);
    assert_null(p->emulated_chip);
    assert_int_equal(cd_nor_probe(p, db, &probe), CD_E_NO_CHIP);
    cd_programmer_close(p);

    /* one faults= list: USB-level kinds for the CH341A model, the others for the chip's */
    assert_int_equal(
        cd_programmer_open("ch341a:emulate=TESTQ80,faults=stale:1+unplug:1M", db, NULL, &p), CD_OK);
    cd_programmer_close(p);

    const char *bad[] = {
        "ch341a:emulate=TESTQ80,faults=bad:1",          /* NAND-only: the sim refuses it */
        "ch341a:emulate=TESTQ80,faults=stale:1+frob:2", /* unknown kind, after a good one */
        "ch341a:image=x.bin",                           /* chip parameters need emulate */
        "ch341a:faults=unplug:10",                      /* so do faults */
        "ch341a:emulate=TESTQ80,bus=1",                 /* emulation has no bus */
        "ch341a:bus=1",                                 /* bus without addr */
        "ch341a:bus=0,addr=3",
        "ch341a:emulate=TESTQ80,faults=unplug:x",
        "ch341a:emulate=TESTQ80,faults=stale:9",
        "ch341a:emulate=TESTQ80,throttle=10",
        "ch341a:emulate=TESTQ80,bogus=1",
        "ch341a:emulate=NOSUCHCHIP",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = cd_programmer_open(bad[i], db, NULL, &p);
        if (!cd_err_is_input(r))
            fail_msg("%s: got %d", bad[i], r);
        assert_null(p);
    }
    cd_chipdb_free(db);
}

static void test_trace_lines(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/cd_ch341a_trace_%d.txt", (int)getpid());
    unlink(path);
    setenv("CHIPDUMP_TRACE", path, 1);
    struct cd_chipdb *db;
    struct cd_programmer *p;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(db, rows, "test"), CD_OK);
    assert_int_equal(cd_programmer_open("ch341a:emulate=TESTQ80", db, NULL, &p), CD_OK);
    uint8_t sr;
    struct cd_op rdsr = CD_OP_IN(0x05, 1, &sr);
    assert_int_equal(cd_exec(p, &rdsr), CD_OK);
    assert_int_equal(cd_delay_us(p, 250), CD_OK);
    cd_programmer_close(p);
    unsetenv("CHIPDUMP_TRACE");

    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[256];
    unsigned header = 0, outs = 0, ins = 0, ops = 0, syncs = 0, sleeps = 0, clock = 0;
    while (fgets(line, sizeof(line), fp)) {
        if (line[0] == '#') {
            header++;
            continue;
        }
        double t;
        char prog[16], ev[16], where[32], status[16];
        unsigned long long req, done;
        assert_int_equal(sscanf(line, "%lf %15s %15s %31s %llu %llu %15s", &t, prog, ev, where,
                                &req, &done, status),
                         7);
        assert_string_equal(prog, "ch341a");
        if (!strcmp(ev, "out")) {
            assert_string_equal(where, "0x02");
            outs++;
        } else if (!strcmp(ev, "in")) {
            assert_string_equal(where, "0x82");
            ins++;
        } else if (!strcmp(ev, "op")) {
            assert_string_equal(where, "05");
            assert_int_equal(req, 2);
            ops++;
        } else if (!strcmp(ev, "sync")) {
            syncs++;
        } else if (!strcmp(ev, "sleep")) {
            assert_int_equal(req, 250);
            sleeps++;
        } else if (!strcmp(ev, "model")) {
            assert_string_equal(where, "clock");
            assert_true(done > 0);
            clock++;
        } else {
            fail_msg("unexpected event %s", ev);
        }
    }
    fclose(fp);
    unlink(path);
    /* setup: stale drain IN, mode, pins; RDSR: 2 OUT + 1 IN; close: pins off */
    assert_int_equal(header, 1);
    assert_int_equal(ins, 2);
    assert_int_equal(outs, 2 + 2 + 1);
    assert_int_equal(ops, 1);
    assert_int_equal(syncs, 1);
    assert_int_equal(sleeps, 1);
    assert_int_equal(clock, 1);
    cd_chipdb_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_and_rdsr_packets),
        cmocka_unit_test(test_lifecycle_nor),
        cmocka_unit_test(test_read_is_one_stream),
        cmocka_unit_test(test_program_waits_only_for_status),
        cmocka_unit_test(test_4byte_chip),
        cmocka_unit_test(test_unplug_mid_read),
        cmocka_unit_test(test_stuck_device_times_out),
        cmocka_unit_test(test_stale_replies_are_drained),
        cmocka_unit_test(test_empty_clip),
        cmocka_unit_test(test_lifecycle_nand),
        cmocka_unit_test(test_spec),
        cmocka_unit_test(test_trace_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
