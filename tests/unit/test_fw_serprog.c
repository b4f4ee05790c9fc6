/*
 * firmware/core on the host: the serprog engine and the chipdump extension opcodes driven
 * byte by byte through the host board against the SPI-NOR chip model (W25Q16JV, 2 MiB).
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

#define FILL 0xCC

static struct cd_chipdb *db;
static const struct cd_chip *chip;
static uint8_t *array;
static struct cd_spi_model *model;
static uint8_t reply[1 << 22];
static size_t reply_len;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(cd_chipdb_new_builtin(&db), 0);
    assert_int_equal(cd_chipdb_find_name(db, "W25Q16JV", &chip), 0);
    array = malloc(chip->size);
    assert_non_null(array);
    for (size_t i = 0; i < chip->size; i++)
        array[i] = (uint8_t)(i * 7 + (i >> 11));
    model = cd_nor_model_new(chip, array, 0);
    assert_non_null(model);
    fwh_reset(model);
    fw_init();
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

/* Run the engine until it makes no more progress; collect what it sent. */
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

static void send(const void *buf, size_t n)
{
    assert_int_equal(fwh_host_write(buf, n), n);
}

static void cmd(const uint8_t *bytes, size_t n)
{
    send(bytes, n);
    run();
}

#define CMD(...)                                                                                   \
    do {                                                                                           \
        const uint8_t b_[] = {__VA_ARGS__};                                                        \
        cmd(b_, sizeof(b_));                                                                       \
    } while (0)

#define EXPECT(...)                                                                                \
    do {                                                                                           \
        const uint8_t e_[] = {__VA_ARGS__};                                                        \
        assert_int_equal(reply_len, sizeof(e_));                                                   \
        assert_memory_equal(reply, e_, sizeof(e_));                                                \
    } while (0)

static void le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* O_SPIOP: write w (n bytes), read rlen */
static void spiop(const uint8_t *w, uint32_t n, uint32_t rlen)
{
    uint8_t h[7] = {SP_O_SPIOP};
    le(h + 1, n, 3);
    le(h + 4, rlen, 3);
    send(h, 7);
    send(w, n);
    run();
}

static void stream(uint8_t op, uint8_t alen, uint8_t dummy, uint32_t addr, uint32_t len)
{
    uint8_t h[12] = {CD_R_STREAM, op, alen, dummy};
    le(h + 4, addr, 4);
    le(h + 8, len, 4);
    cmd(h, sizeof(h));
}

/* The exact sequence flashrom 1.3's serprog_init sends to an SPI programmer. */
static void test_flashrom_init(void **state)
{
    (void)state;
    CMD(0, 0, 0, 0, 0, 0, 0, 0);
    EXPECT(SP_ACK, SP_ACK, SP_ACK, SP_ACK, SP_ACK, SP_ACK, SP_ACK, SP_ACK);
    CMD(SP_SYNCNOP);
    EXPECT(SP_NAK, SP_ACK);
    CMD(SP_Q_IFACE);
    EXPECT(SP_ACK, 0x01, 0x00);

    CMD(SP_Q_CMDMAP);
    assert_int_equal(reply_len, 33);
    assert_int_equal(reply[0], SP_ACK);
    const uint8_t *map = reply + 1;
#define HAS(op) ((map[(op) / 8] >> ((op) % 8)) & 1)
    const uint8_t must[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0B, 0x0E, 0x0F,
                            0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4};
    for (size_t i = 0; i < sizeof(must); i++)
        assert_true(HAS(must[i]));
    /* parallel-bus commands are not offered */
    const uint8_t mustnot[] = {0x06, 0x09, 0x0A, 0x0C, 0x0D, 0x19, 0x42, 0xFF};
    for (size_t i = 0; i < sizeof(mustnot); i++)
        assert_false(HAS(mustnot[i]));

    CMD(SP_Q_BUSTYPE);
    EXPECT(SP_ACK, SP_BUS_SPI);
    CMD(SP_S_BUSTYPE, SP_BUS_SPI);
    EXPECT(SP_ACK);
    CMD(SP_Q_WRNMAXLEN);
    assert_int_equal(reply_len, 4);
    assert_true(get(reply + 1, 3) >= 261); /* a 256-byte page program with 4-byte address */
    CMD(SP_Q_RDNMAXLEN);
    EXPECT(SP_ACK, 0, 0, 0);
    CMD(SP_S_BUSTYPE, SP_BUS_SPI);
    EXPECT(SP_ACK);
    CMD(SP_Q_PGMNAME);
    EXPECT(SP_ACK, 'c', 'h', 'i', 'p', 'd', 'u', 'm', 'p', 0, 0, 0, 0, 0, 0, 0, 0);
    CMD(SP_Q_SERBUF);
    EXPECT(SP_ACK, 0xFF, 0xFF);
    CMD(SP_O_INIT);
    EXPECT(SP_ACK);
    CMD(SP_Q_OPBUF);
    assert_int_equal(reply_len, 3);
    assert_true(get(reply + 1, 2) >= 5);
    CMD(SP_S_PIN_STATE, 1);
    EXPECT(SP_ACK);
    assert_true(fwh_stats()->pins);

    const uint8_t rdid = 0x9F;
    spiop(&rdid, 1, 3);
    EXPECT(SP_ACK, 0xEF, 0x40, 0x15);
    assert_false(fwh_stats()->cs);

    CMD(SP_S_PIN_STATE, 0);
    EXPECT(SP_ACK);
    assert_false(fwh_stats()->pins);
    assert_int_equal(fwh_stats()->spi_while_off, 0);
    assert_int_equal(fwh_stats()->spi_without_cs, 0);
}

static void test_bustype_and_modes(void **state)
{
    (void)state;
    CMD(SP_S_BUSTYPE, 0x01); /* parallel only */
    EXPECT(SP_NAK);
    CMD(SP_S_BUSTYPE, 0x0F); /* "decide among them" */
    EXPECT(SP_ACK);
    CMD(SP_S_SPI_CS, 0);
    EXPECT(SP_ACK);
    CMD(SP_S_SPI_CS, 1);
    EXPECT(SP_NAK);
    CMD(SP_S_SPI_MODE, 0);
    EXPECT(SP_ACK);
    CMD(SP_S_SPI_MODE, 1); /* full duplex: not offered */
    EXPECT(SP_NAK);
    CMD(SP_S_CS_MODE, 3);
    EXPECT(SP_NAK);
}

static void test_unknown_opcode_and_syncnop(void **state)
{
    (void)state;
    CMD(0x42, SP_SYNCNOP, SP_NOP, 0xFF, SP_Q_IFACE);
    EXPECT(SP_NAK, SP_NAK, SP_ACK, SP_ACK, SP_NAK, SP_ACK, 1, 0);
    assert_int_equal(fwh_stats()->selects, 0);
}

/* Parallel-bus opcodes are NAKed after their parameters, which are never run as commands. */
static void test_parallel_opcodes_keep_sync(void **state)
{
    (void)state;
    /* R_BYTE addr=0x131313: the address bytes look like O_SPIOP */
    CMD(SP_R_BYTE, 0x13, 0x13, 0x13, SP_NOP);
    EXPECT(SP_NAK, SP_ACK);
    /* O_WRITEN len=3 addr=0 data 13 13 13 */
    CMD(SP_O_WRITEN, 3, 0, 0, 0, 0, 0, 0x13, 0x13, 0x13, SP_NOP);
    EXPECT(SP_NAK, SP_ACK);
    CMD(SP_R_NBYTES, 0, 0, 0, 1, 0, 0, SP_Q_CHIPSIZE, SP_O_WRITEB, 0, 0, 0, 0x13, SP_NOP);
    EXPECT(SP_NAK, SP_NAK, SP_NAK, SP_ACK);
    assert_int_equal(fwh_stats()->selects, 0);
}

static void test_spiop_too_long_is_swallowed(void **state)
{
    (void)state;
    CMD(SP_Q_WRNMAXLEN);
    uint32_t max = get(reply + 1, 3);
    uint8_t *w = malloc(max + 1);
    memset(w, SP_O_SPIOP, max + 1); /* payload that would be harmful if parsed */
    spiop(w, max + 1, 0);
    EXPECT(SP_NAK);
    assert_int_equal(fwh_stats()->selects, 0);
    CMD(SP_NOP);
    EXPECT(SP_ACK);
    /* exactly the maximum is accepted: RDSR followed by max-1 more clocks */
    w[0] = 0x05;
    spiop(w, max, 0);
    EXPECT(SP_ACK);
    assert_int_equal(fwh_stats()->selects, 1);
    free(w);
}

static void test_spiop_read_array(void **state)
{
    (void)state;
    uint8_t w[4] = {0x03, 0x01, 0x23, 0x45};
    spiop(w, 4, 70000); /* longer than every buffer: streamed */
    assert_int_equal(reply_len, 70001);
    assert_int_equal(reply[0], SP_ACK);
    assert_memory_equal(reply + 1, array + 0x012345, 70000);
    assert_false(fwh_stats()->cs);
    assert_true(fwh_stats()->flushes >= 1);
}

static void test_stream_whole_chip(void **state)
{
    (void)state;
    stream(0x03, 3, 0, 0, (uint32_t)chip->size);
    assert_int_equal(reply_len, chip->size + 1);
    assert_int_equal(reply[0], SP_ACK);
    assert_memory_equal(reply + 1, array, chip->size);
    assert_false(fwh_stats()->cs);
    assert_int_equal(fwh_stats()->selects, 1); /* one request, one transaction */

    /* fast read with a dummy byte */
    stream(0x0B, 3, 1, 0x1FFF00, 0x100);
    assert_int_equal(reply_len, 0x101);
    assert_memory_equal(reply + 1, array + 0x1FFF00, 0x100);

    /* an address that does not fit addr_len, too many dummies, addr_len 5: NAK */
    stream(0x03, 3, 0, 0x1000000, 16);
    EXPECT(SP_NAK);
    stream(0x03, 3, 33, 0, 16);
    EXPECT(SP_NAK);
    stream(0x03, 5, 0, 0, 16);
    EXPECT(SP_NAK);
    stream(0x03, 3, 0, 0, 0);
    EXPECT(SP_ACK);
    assert_false(fwh_stats()->cs);
}

/* A host that stops reading mid-stream: after the timeout the engine is idle, CS released. */
static void test_host_stops_reading(void **state)
{
    (void)state;
    fwh_set_out_capacity(4096);
    uint8_t h[12] = {CD_R_STREAM, 0x03, 3, 0};
    le(h + 8, (uint32_t)chip->size, 4);
    send(h, sizeof(h));
    for (int i = 0; i < 50; i++)
        fw_task();
    assert_true(fwh_stats()->cs); /* stuck mid-stream, waiting for the host */
    assert_false(fw_idle());
    for (int i = 0; i < 10000 && !fw_idle(); i++)
        fw_task();
    assert_true(fw_idle());
    assert_false(fwh_stats()->cs);
    /* the host comes back, drops what it had, and the engine answers again */
    fwh_set_out_capacity(1 << 20);
    uint8_t junk[4096];
    while (fwh_host_read(junk, sizeof(junk)))
        ;
    CMD(SP_SYNCNOP);
    EXPECT(SP_NAK, SP_ACK);
}

static void test_disconnect_mid_stream(void **state)
{
    (void)state;
    fwh_set_out_capacity(2048);
    CMD(SP_S_SPI_FREQ, 0x00, 0x12, 0x7A, 0x00); /* 8 MHz */
    uint8_t h[12] = {CD_R_STREAM, 0x03, 3, 0};
    le(h + 8, (uint32_t)chip->size, 4);
    send(h, sizeof(h));
    for (int i = 0; i < 20; i++)
        fw_task();
    assert_true(fwh_stats()->cs);
    assert_true(fwh_stats()->pins);
    fwh_set_connected(false);
    fw_task();
    assert_true(fw_idle());
    assert_false(fwh_stats()->cs);
    assert_false(fwh_stats()->pins); /* drivers off: the board's own SoC may use the chip */
    fwh_set_connected(true);
    fwh_set_out_capacity(1 << 20);
    CMD(SP_NOP); /* the rest of the old stream is gone; the new session starts clean */
    EXPECT(SP_ACK);
}

static void test_midcommand_silence_drops_command(void **state)
{
    (void)state;
    CMD(SP_O_SPIOP, 1, 0, 0); /* half a header */
    assert_int_equal(reply_len, 0);
    assert_false(fw_idle());
    fwh_advance_us(600000);
    fw_task();
    assert_true(fw_idle());
    CMD(SP_NOP, SP_NOP, SP_NOP); /* taken as commands, not as the rest of the header */
    EXPECT(SP_ACK, SP_ACK, SP_ACK);
    assert_int_equal(fwh_stats()->selects, 0);
}

static void test_info(void **state)
{
    (void)state;
    CMD(CD_Q_INFO);
    assert_int_equal(reply_len, 1 + CD_INFO_REPLY);
    assert_int_equal(reply[0], SP_ACK);
    assert_memory_equal(reply + 1, "CDMP", 4);
    assert_int_equal(get(reply + 5, 2), CD_PROTO_VER);
    CMD(SP_Q_WRNMAXLEN);
    uint32_t wrn = get(reply + 1, 3);
    CMD(CD_Q_INFO);
    assert_int_equal(get(reply + 7, 2), wrn);
    assert_int_equal(get(reply + 9, 4), fwh_stats()->spi_hz);
}

static void test_spi_freq(void **state)
{
    (void)state;
    CMD(SP_S_SPI_FREQ, 0, 0, 0, 0);
    EXPECT(SP_NAK);
    CMD(SP_S_SPI_FREQ, 0x40, 0x42, 0x0F, 0x00); /* 1 MHz */
    assert_int_equal(reply_len, 5);
    uint32_t hz = get(reply + 1, 4);
    assert_true(hz <= 1000000 && hz > 900000);
    assert_int_equal(fwh_stats()->spi_hz, hz);
    CMD(SP_S_SPI_FREQ, 0xFF, 0xFF, 0xFF, 0xFF); /* more than the board can: its maximum */
    assert_int_equal(get(reply + 1, 4), 62500000);
    CMD(SP_S_SPI_FREQ, 1, 0, 0, 0); /* less than the board can: its minimum */
    assert_true(get(reply + 1, 4) > 1);
}

static void test_delay_opbuf(void **state)
{
    (void)state;
    uint64_t t0 = fwh_stats()->now_us;
    CMD(SP_O_INIT, SP_O_DELAY, 0x10, 0x27, 0, 0, SP_O_DELAY, 0x10, 0x27, 0, 0);
    EXPECT(SP_ACK, SP_ACK, SP_ACK);
    assert_true(fwh_stats()->now_us - t0 < 10000); /* stored, not run */
    CMD(SP_O_EXEC);
    EXPECT(SP_ACK);
    assert_true(fwh_stats()->now_us - t0 >= 20000);
    /* the buffer holds Q_OPBUF / 5 delays; one more is NAKed */
    CMD(SP_Q_OPBUF);
    unsigned n = get(reply + 1, 2) / 5;
    for (unsigned i = 0; i < n; i++) {
        CMD(SP_O_DELAY, 1, 0, 0, 0);
        EXPECT(SP_ACK);
    }
    CMD(SP_O_DELAY, 1, 0, 0, 0);
    EXPECT(SP_NAK);
    CMD(SP_O_EXEC, SP_O_DELAY, 1, 0, 0, 0);
    EXPECT(SP_ACK, SP_ACK);
}

static void test_cs_held_across_ops(void **state)
{
    (void)state;
    CMD(SP_S_CS_MODE, 1);
    EXPECT(SP_ACK);
    assert_true(fwh_stats()->cs);
    const uint8_t rdid = 0x9F;
    spiop(&rdid, 1, 0);
    EXPECT(SP_ACK);
    spiop(NULL, 0, 1);
    EXPECT(SP_ACK, 0xEF);
    spiop(NULL, 0, 2);
    EXPECT(SP_ACK, 0x40, 0x15);
    assert_true(fwh_stats()->cs);
    /* extension ops manage CS themselves: refused while it is held */
    stream(0x03, 3, 0, 0, 4);
    EXPECT(SP_NAK);
    CMD(SP_S_CS_MODE, 0);
    EXPECT(SP_ACK);
    assert_false(fwh_stats()->cs);
    assert_int_equal(fwh_stats()->selects, 1);
}

static void test_pins_off_refuses_spi(void **state)
{
    (void)state;
    CMD(SP_S_PIN_STATE, 0);
    EXPECT(SP_ACK);
    const uint8_t rdid = 0x9F;
    spiop(&rdid, 1, 3);
    EXPECT(SP_NAK);
    stream(0x03, 3, 0, 0, 4);
    EXPECT(SP_NAK);
    assert_int_equal(fwh_stats()->spi_bytes, 0);
    CMD(SP_S_PIN_STATE, 1);
    spiop(&rdid, 1, 3);
    EXPECT(SP_ACK, 0xEF, 0x40, 0x15);
}

/* EXEC_POLL request: ops (each {u16 len, bytes}) then the RDSR poll. */
static void exec_poll(const uint8_t *const *ops, const uint16_t *lens, unsigned nops,
                      uint32_t timeout_us)
{
    uint8_t h[1 + CD_EXEC_POLL_HDR] = {CD_O_EXEC_POLL, (uint8_t)nops, 1, 0x05, 0, 0x01, 0};
    uint32_t total = 0;
    for (unsigned i = 0; i < nops; i++)
        total += 2u + lens[i];
    le(h + 7, 10, 2);
    le(h + 9, timeout_us, 4);
    le(h + 13, total, 2);
    send(h, sizeof(h));
    for (unsigned i = 0; i < nops; i++) {
        uint8_t l[2];
        le(l, lens[i], 2);
        send(l, 2);
        send(ops[i], lens[i]);
    }
    run();
}

static void test_exec_poll_program_and_erase(void **state)
{
    (void)state;
    static const uint8_t wren[] = {0x06}, se[] = {0x20, 0x00, 0x10, 0x00};
    uint8_t pp[4 + 256] = {0x02, 0x00, 0x10, 0x00};
    for (int i = 0; i < 256; i++)
        pp[4 + i] = (uint8_t)(0x5A ^ i);

    /* erase 4 KiB at 0x1000, polled on the board */
    const uint8_t *ops[] = {wren, se};
    const uint16_t lens[] = {1, 4};
    exec_poll(ops, lens, 2, 1000000);
    assert_int_equal(reply_len, 7);
    assert_int_equal(reply[0], SP_ACK);
    assert_int_equal(reply[1], CD_POLL_READY);
    assert_int_equal(reply[2] & 0x01, 0);
    uint32_t us = get(reply + 3, 4);
    assert_true(us >= 1000 && us <= 400000); /* the model's sector erase time */
    for (int i = 0; i < 4096; i++)
        assert_int_equal(array[0x1000 + i], 0xFF);
    assert_int_not_equal(array[0x2000], 0xFF);

    /* program the first page there */
    const uint8_t *ops2[] = {wren, pp};
    const uint16_t lens2[] = {1, sizeof(pp)};
    exec_poll(ops2, lens2, 2, 100000);
    assert_int_equal(reply[1], CD_POLL_READY);
    assert_memory_equal(array + 0x1000, pp + 4, 256);

    /* a timeout shorter than the erase: reported, with WIP still set in the status */
    static const uint8_t se2[] = {0x20, 0x00, 0x20, 0x00};
    const uint8_t *ops3[] = {wren, se2};
    exec_poll(ops3, lens, 2, 50);
    assert_int_equal(reply_len, 7);
    assert_int_equal(reply[1], CD_POLL_TIMEOUT);
    assert_int_equal(reply[2] & 0x01, 0x01);
    assert_false(fwh_stats()->cs);
}

/* A status that never clears with the longest timeout (2^32-1 us): the poll must still end
 * (elapsed time once wrapped around in 32 bits and the poll never did; found by fuzzing). */
static void test_exec_poll_longest_timeout(void **state)
{
    (void)state;
    static const uint8_t nop[] = {0x00};
    uint8_t h[1 + CD_EXEC_POLL_HDR] = {CD_O_EXEC_POLL, 1, 1, 0x9F, 0, 0x01, 0};
    le(h + 7, 0, 2);           /* no wait between polls */
    le(h + 9, 0xFFFFFFFFu, 4); /* 71.6 minutes */
    le(h + 13, 2 + sizeof(nop), 2);
    fwh_set_time_step_us(1000000);
    send(h, sizeof(h));
    send((const uint8_t[]){1, 0}, 2);
    send(nop, sizeof(nop));
    run();
    assert_int_equal(reply_len, 7);
    assert_int_equal(reply[1], CD_POLL_TIMEOUT);
    assert_int_equal(reply[2], 0xEF); /* RDID's first byte: bit 0 set, never "ready" */
    assert_int_equal(get(reply + 3, 4), 0xFFFFFFFFu);
    /* ~1 s per poll: about 4300 polls, not the hundreds of millions a wrapped clock takes */
    assert_true(fwh_stats()->selects < 5000);
    fwh_set_time_step_us(0);
}

static void test_exec_poll_malformed(void **state)
{
    (void)state;
    /* nops says 2, the block holds one op: NAK, and the block was consumed */
    uint8_t h[1 + CD_EXEC_POLL_HDR] = {CD_O_EXEC_POLL, 2, 1, 0x05, 0, 0x01, 0};
    le(h + 13, 3, 2);
    send(h, sizeof(h));
    CMD(0x01, 0x00, 0x06, SP_SYNCNOP);
    EXPECT(SP_NAK, SP_NAK, SP_ACK);
    /* an op length running past the block */
    le(h + 13, 3, 2);
    h[1] = 1;
    send(h, sizeof(h));
    CMD(0x05, 0x00, 0x06);
    EXPECT(SP_NAK);
    /* a block longer than the buffer is swallowed whole */
    CMD(SP_Q_WRNMAXLEN);
    uint32_t max = get(reply + 1, 3);
    le(h + 13, max + 1, 2);
    send(h, sizeof(h));
    uint8_t *junk = malloc(max + 1);
    memset(junk, SP_SYNCNOP, max + 1);
    send(junk, max + 1);
    free(junk);
    run();
    EXPECT(SP_NAK);
    assert_int_equal(fwh_stats()->selects, 0);
}

static void test_bootsel(void **state)
{
    (void)state;
    CMD(CD_S_BOOTSEL, 'B', 'O', 'O', 'X');
    EXPECT(SP_NAK);
    assert_int_equal(fwh_stats()->bootsel, 0);
    CMD(CD_S_BOOTSEL, 'B', 'O', 'O', 'T');
    EXPECT(SP_ACK);
    assert_int_equal(fwh_stats()->bootsel, 1);
    assert_false(fwh_stats()->cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flashrom_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bustype_and_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_opcode_and_syncnop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_opcodes_keep_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spiop_too_long_is_swallowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spiop_read_array, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_whole_chip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_stops_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_mid_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_midcommand_silence_drops_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spi_freq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_opbuf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cs_held_across_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pins_off_refuses_spi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_poll_program_and_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_poll_longest_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_poll_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootsel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
