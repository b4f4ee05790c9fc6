/*
 * firmware/core/fwcore.c — the protocol engine: serprog (flashrom's serial flasher
 * protocol, interface version 1) plus the chipdump extension opcodes. docs/protocol.md is
 * the spec; protocol.h has the numbers.
 *
 * Shape: fw_task() is called from the board's main loop and never waits for the host. A
 * command is received in three steps (opcode, fixed header, payload) straight into its
 * buffer; it runs when complete; its reply goes to `out` and is pushed to the USB pipe as
 * the pipe accepts it. Long replies (O_SPIOP reads, streamed NOR reads, NAND page ranges)
 * are produced one `out`-sized chunk at a time while chip select stays asserted, so a
 * whole-chip read is one request and never needs more RAM than FW_OUT_SIZE.
 *
 * Rules that keep the stream in sync: an unknown opcode is NAKed after its one byte; a
 * known opcode with a length beyond our buffers has its payload swallowed, then NAK; a
 * half-received command is dropped after FW_RX_TIMEOUT_US of silence; a host that stops
 * reading for FW_TX_TIMEOUT_US, or goes away, returns the engine to idle with CS released.
 */
#include <string.h>

#include "board.h"
#include "fwcore.h"
#include "protocol.h"

/* TinyUSB-style early return for bool functions. */
#define CD_VERIFY(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return false;                                                                          \
    } while (0)

#ifndef FW_BUF_SIZE
/* Largest O_SPIOP write / EXEC_POLL op block: a 4096+256-byte NAND page load plus headers. */
#define FW_BUF_SIZE 4608
#endif
#ifndef FW_OUT_SIZE
/* Reply staging and stream chunk size: 16 full-speed bulk packets of 64 bytes. */
#define FW_OUT_SIZE 1024
#endif
#ifndef FW_OPBUF_SIZE
/* serprog operation buffer (only O_DELAY goes there on an SPI-only programmer, 5 bytes each). */
#define FW_OPBUF_SIZE 256
#endif
#ifndef FW_RX_TIMEOUT_US
/* Silence in the middle of a command after which the partial command is dropped. */
#define FW_RX_TIMEOUT_US 500000u
#endif
#ifndef FW_TX_TIMEOUT_US
/* A host that accepts nothing for this long has stopped reading: abort the reply. */
#define FW_TX_TIMEOUT_US 3000000u
#endif
#ifndef FW_SPI_HZ_DEFAULT
/* Power-on SPI clock: slow enough for clip leads on a powered board. */
#define FW_SPI_HZ_DEFAULT 12000000u
#endif
#ifndef FW_NAND_POLL_US
/* Wait between status polls during a NAND page load (tRD is 25..100 us on common parts). */
#define FW_NAND_POLL_US 4u
#endif
#define FW_NAND_MAX_LEN 17408u /* bytes per page in CD_R_NAND: 16 KiB + 1 KiB OOB */
#define FW_MAX_DUMMY    32u
#define FW_HDR_MAX      24u

#if FW_BUF_SIZE > 0xFFFFFF || FW_BUF_SIZE < 300
#error "FW_BUF_SIZE must hold a 256-byte page program and fit Q_WRNMAXLEN's 24 bits"
#endif
#if FW_OUT_SIZE < 64
#error "FW_OUT_SIZE must hold the longest fixed reply (33 bytes) and should be packet-sized"
#endif

enum phase { PH_OPCODE, PH_HEADER, PH_PAYLOAD, PH_DISCARD };
enum stream { ST_NONE, ST_SPI, ST_NAND };
enum pins { PINS_BOOT_OFF, PINS_ON, PINS_HOST_OFF };
enum cs_mode { CS_AUTO = 0, CS_HELD = 1, CS_RELEASED = 2 };

static struct {
    /* receive */
    enum phase phase;
    uint8_t op;
    uint8_t hdr[FW_HDR_MAX];
    uint32_t hdr_need, hdr_have;
    uint32_t pay_need, pay_have;
    uint32_t discard;
    uint32_t last_rx_us;
    /* transmit */
    uint8_t out[FW_OUT_SIZE];
    uint32_t out_len, out_pos;
    uint32_t last_tx_us;
    bool need_flush;
    /* a reply being streamed */
    enum stream st;
    uint32_t st_left;   /* ST_SPI: bytes left; ST_NAND: bytes left of the current page */
    bool st_release_cs; /* end of an ST_SPI stream deselects */
    struct {
        uint32_t row, pages_left;
        uint16_t column, len, timeout_us;
        uint8_t read_op, addr_len, dummy_len, plane_row_shift, plane_col_shift, flags;
        bool in_page;
    } nand;
    /* bus state */
    bool cs_active;
    enum cs_mode cs_mode;
    enum pins pins;
    uint32_t spi_hz;
    /* serprog operation buffer: delays only */
    uint32_t opbuf_used;
    uint32_t opbuf_delays[FW_OPBUF_SIZE / 5];
    bool was_connected;
    uint8_t allowed[32]; /* fw_set_cmdmap: opcodes this build may answer */
    /* command payload */
    uint8_t buf[FW_BUF_SIZE];
} fw;

/* ---- little helpers ---- */

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void cs(bool on)
{
    if (on != fw.cs_active) {
        board_spi_cs(on);
        fw.cs_active = on;
    }
}

/* The pins are off at power-up and after a host leaves; any SPI use switches them on, unless
 * the host itself switched them off with S_PIN_STATE(0): then SPI commands are refused. */
static bool spi_ready(void)
{
    CD_VERIFY(fw.pins != PINS_HOST_OFF);
    if (fw.pins == PINS_BOOT_OFF) {
        board_spi_pins(true);
        fw.pins = PINS_ON;
    }
    return true;
}

static void out_put(const void *data, uint32_t n)
{
    if (fw.out_len == 0)
        fw.last_tx_us = board_time_us();
    /* fixed replies are <= 33 bytes and go into an empty buffer; streams fill it themselves */
    if (n > FW_OUT_SIZE - fw.out_len)
        n = FW_OUT_SIZE - fw.out_len;
    memcpy(fw.out + fw.out_len, data, n);
    fw.out_len += n;
}

static void out_byte(uint8_t b)
{
    out_put(&b, 1);
}

static void reply_ack(const void *data, uint32_t n)
{
    out_byte(SP_ACK);
    if (n)
        out_put(data, n);
    fw.need_flush = true;
}

static void reply_nak(void)
{
    out_byte(SP_NAK);
    fw.need_flush = true;
}

/* Back to idle: CS released, nothing half-received or half-sent, CS mode automatic. */
static void abort_all(void)
{
    cs(false);
    fw.phase = PH_OPCODE;
    fw.st = ST_NONE;
    fw.nand.in_page = false;
    fw.out_len = fw.out_pos = 0;
    fw.need_flush = false;
    fw.cs_mode = CS_AUTO;
    fw.opbuf_used = 0;
}

/* Everything a new host session starts from. */
static void reset_session(void)
{
    abort_all();
    board_spi_pins(false);
    fw.pins = PINS_BOOT_OFF;
    fw.spi_hz = board_spi_set_hz(FW_SPI_HZ_DEFAULT);
}

void fw_init(void)
{
    memset(&fw, 0, sizeof(fw));
    memset(fw.allowed, 0xFF, sizeof(fw.allowed));
    board_spi_cs(false);
    reset_session();
}

bool fw_idle(void)
{
    return fw.phase == PH_OPCODE && fw.st == ST_NONE && fw.out_len == 0;
}

/* ---- serprog command map ---- */

static bool implemented(uint8_t op)
{
    switch (op) {
    case SP_NOP:
    case SP_Q_IFACE:
    case SP_Q_CMDMAP:
    case SP_Q_PGMNAME:
    case SP_Q_SERBUF:
    case SP_Q_BUSTYPE:
    case SP_Q_OPBUF:
    case SP_Q_WRNMAXLEN:
    case SP_O_INIT:
    case SP_O_DELAY:
    case SP_O_EXEC:
    case SP_SYNCNOP:
    case SP_Q_RDNMAXLEN:
    case SP_S_BUSTYPE:
    case SP_O_SPIOP:
    case SP_S_SPI_FREQ:
    case SP_S_PIN_STATE:
    case SP_S_SPI_CS:
    case SP_S_SPI_MODE:
    case SP_S_CS_MODE:
    case CD_Q_INFO:
    case CD_R_STREAM:
    case CD_R_NAND:
    case CD_O_EXEC_POLL:
    case CD_S_BOOTSEL:
        return true;
    default:
        return false;
    }
}

static bool supported(uint8_t op)
{
    return implemented(op) && (fw.allowed[op / 8] >> (op % 8)) & 1;
}

void fw_set_cmdmap(const uint8_t map[32])
{
    memcpy(fw.allowed, map, sizeof(fw.allowed));
}

/*
 * Bytes of fixed parameters after the opcode, or -1 for an opcode nobody defines. Opcodes
 * serprog defines for parallel buses are parsed too (and NAKed) so their parameters are
 * never mistaken for commands.
 */
static int header_len(uint8_t op)
{
    if (implemented(op) && !supported(op))
        return -1; /* switched off with fw_set_cmdmap: as if unknown */
    switch (op) {
    case SP_R_BYTE:
        return 3;
    case SP_R_NBYTES:
    case SP_O_WRITEN:
    case SP_O_SPIOP:
        return 6;
    case SP_O_WRITEB:
    case SP_O_DELAY:
    case SP_S_SPI_FREQ:
    case CD_S_BOOTSEL:
        return 4;
    case SP_S_BUSTYPE:
    case SP_S_PIN_STATE:
    case SP_S_SPI_CS:
    case SP_S_SPI_MODE:
    case SP_S_CS_MODE:
        return 1;
    case SP_Q_CHIPSIZE:
        return 0;
    case CD_R_STREAM:
        return 11;
    case CD_R_NAND:
        return CD_NAND_REQ_LEN;
    case CD_O_EXEC_POLL:
        return CD_EXEC_POLL_HDR;
    default:
        return supported(op) ? 0 : -1;
    }
}

/* ---- the commands; false = NAK ---- */

static bool do_spiop(void)
{
    uint32_t slen = get_le(fw.hdr, 3), rlen = get_le(fw.hdr + 3, 3);
    CD_VERIFY(spi_ready());
    if (fw.cs_mode == CS_AUTO)
        cs(true);
    if (slen)
        board_spi_xfer(fw.buf, NULL, slen);
    reply_ack(NULL, 0);
    if (rlen) {
        fw.st = ST_SPI;
        fw.st_left = rlen;
        fw.st_release_cs = fw.cs_mode == CS_AUTO;
    } else if (fw.cs_mode == CS_AUTO) {
        cs(false);
    }
    return true;
}

static bool do_delay(void)
{
    CD_VERIFY(fw.opbuf_used + 5 <= FW_OPBUF_SIZE);
    fw.opbuf_delays[fw.opbuf_used / 5] = get_le(fw.hdr, 4);
    fw.opbuf_used += 5;
    reply_ack(NULL, 0);
    return true;
}

static bool do_exec(void)
{
    for (uint32_t i = 0; i < fw.opbuf_used / 5; i++)
        board_delay_us(fw.opbuf_delays[i]);
    fw.opbuf_used = 0;
    reply_ack(NULL, 0);
    return true;
}

static bool do_spi_freq(void)
{
    uint32_t hz = get_le(fw.hdr, 4);
    uint8_t r[4];
    CD_VERIFY(hz != 0); /* 0 is reserved */
    fw.spi_hz = board_spi_set_hz(hz);
    put_le(r, fw.spi_hz, 4);
    reply_ack(r, 4);
    return true;
}

static bool do_pin_state(void)
{
    if (fw.hdr[0]) {
        board_spi_pins(true);
        fw.pins = PINS_ON;
    } else {
        cs(false);
        fw.cs_mode = CS_AUTO;
        board_spi_pins(false);
        fw.pins = PINS_HOST_OFF;
    }
    reply_ack(NULL, 0);
    return true;
}

static bool do_cs_mode(void)
{
    switch (fw.hdr[0]) {
    case CS_AUTO:
    case CS_RELEASED:
        cs(false);
        break;
    case CS_HELD:
        CD_VERIFY(spi_ready());
        cs(true);
        break;
    default:
        return false;
    }
    fw.cs_mode = (enum cs_mode)fw.hdr[0];
    reply_ack(NULL, 0);
    return true;
}

static bool do_info(void)
{
    uint8_t r[CD_INFO_REPLY] = {0};
    memcpy(r, CD_INFO_MAGIC, 4);
    put_le(r + 4, CD_PROTO_VER, 2);
    put_le(r + 6, FW_BUF_SIZE, 2);
    put_le(r + 8, fw.spi_hz, 4);
    /* r[12..15]: reserved, 0 */
    reply_ack(r, sizeof(r));
    return true;
}

/* Opcode, then addr_len address bytes MSB first, then dummy bytes of 0xFF. */
static void send_cmd_addr(uint8_t cmd, uint32_t addr, unsigned addr_len, unsigned dummy)
{
    uint8_t h[1 + 4 + FW_MAX_DUMMY];
    unsigned n = 0;
    h[n++] = cmd;
    for (unsigned i = addr_len; i-- > 0;)
        h[n++] = (uint8_t)(addr >> (8 * i));
    memset(h + n, 0xFF, dummy);
    board_spi_xfer(h, NULL, n + dummy);
}

static bool do_stream(void)
{
    uint8_t cmd = fw.hdr[0], alen = fw.hdr[1], dummy = fw.hdr[2];
    uint32_t addr = get_le(fw.hdr + 3, 4), len = get_le(fw.hdr + 7, 4);
    CD_VERIFY(alen <= 4 && dummy <= FW_MAX_DUMMY);
    CD_VERIFY(alen == 4 || addr >> (8 * alen) == 0);
    CD_VERIFY(fw.cs_mode == CS_AUTO && spi_ready());
    cs(true);
    send_cmd_addr(cmd, addr, alen, dummy);
    reply_ack(NULL, 0);
    if (len) {
        fw.st = ST_SPI;
        fw.st_left = len;
        fw.st_release_cs = true;
    } else {
        cs(false);
    }
    return true;
}

static bool do_nand(void)
{
    const uint8_t *h = fw.hdr;
    fw.nand.row = get_le(h, 4);
    fw.nand.pages_left = get_le(h + 4, 4);
    fw.nand.column = (uint16_t)get_le(h + 8, 2);
    fw.nand.len = (uint16_t)get_le(h + 10, 2);
    fw.nand.read_op = h[12];
    fw.nand.addr_len = h[13];
    fw.nand.dummy_len = h[14];
    fw.nand.plane_row_shift = h[15];
    fw.nand.plane_col_shift = h[16];
    fw.nand.flags = h[17];
    fw.nand.timeout_us = (uint16_t)get_le(h + 18, 2);
    CD_VERIFY(fw.nand.addr_len >= 1 && fw.nand.addr_len <= 3);
    CD_VERIFY(fw.nand.dummy_len <= 4 && fw.nand.len <= FW_NAND_MAX_LEN);
    CD_VERIFY(fw.nand.plane_row_shift == 0xFF ||
              (fw.nand.plane_row_shift < 24 && fw.nand.plane_col_shift < 16));
    /* the row address is 24 bits: the whole range must fit */
    CD_VERIFY(fw.nand.row <= 0xFFFFFF && fw.nand.pages_left <= 0x1000000 - fw.nand.row);
    CD_VERIFY(fw.nand.flags <= CD_NAND_F_READ_ONLY_STATUS);
    CD_VERIFY(fw.cs_mode == CS_AUTO && spi_ready());
    reply_ack(NULL, 0);
    fw.nand.in_page = false;
    fw.st_left = 0;
    fw.st = fw.nand.pages_left ? ST_NAND : ST_NONE;
    return true;
}

/* Read status register (GET FEATURE C0h, or RDSR) once. */
static uint8_t read_status(const uint8_t *cmd, unsigned n)
{
    uint8_t s;
    cs(true);
    board_spi_xfer(cmd, NULL, n);
    board_spi_xfer(NULL, &s, 1);
    cs(false);
    return s;
}

/*
 * Poll until (status & mask) == 0 or timeout_us passes; *elapsed gets the time taken.
 * Returns false if the host went away meanwhile.
 */
static bool poll_ready(const uint8_t *cmd, unsigned n, uint8_t mask, uint32_t timeout_us,
                       uint32_t interval_us, uint8_t *status, uint32_t *elapsed, bool *ready)
{
    /* elapsed time is summed from small steps: a u32 difference to the start would wrap
     * after 71 minutes and a timeout near 2^32 us would never be reached (found by fuzzing) */
    uint32_t last = board_time_us();
    uint64_t total = 0;
    for (;;) {
        *status = read_status(cmd, n);
        uint32_t now = board_time_us();
        total += (uint32_t)(now - last);
        last = now;
        *elapsed = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
        if (!(*status & mask)) {
            *ready = true;
            return true;
        }
        if (total >= timeout_us) {
            *ready = false;
            return true;
        }
        if (!board_usb_connected())
            return false;
        if (interval_us)
            board_delay_us(interval_us);
    }
}

static bool do_exec_poll(bool *aborted)
{
    const uint8_t *h = fw.hdr;
    uint8_t nops = h[0], poll_len = h[1], mask = h[4];
    uint32_t interval = get_le(h + 6, 2), timeout = get_le(h + 8, 4), total = get_le(h + 12, 2);
    CD_VERIFY(nops >= 1 && nops <= CD_EXEC_MAX_OPS && poll_len <= 2 && h[5] == 0);
    CD_VERIFY(total == fw.pay_have);
    /* the op block must be exactly nops records of {u16 len >= 1, bytes} */
    uint32_t at = 0;
    for (unsigned i = 0; i < nops; i++) {
        CD_VERIFY(total - at >= 2);
        uint32_t len = get_le(fw.buf + at, 2);
        CD_VERIFY(len >= 1 && len <= total - at - 2);
        at += 2 + len;
    }
    CD_VERIFY(at == total);
    CD_VERIFY(fw.cs_mode == CS_AUTO && spi_ready());

    at = 0;
    for (unsigned i = 0; i < nops; i++) {
        uint32_t len = get_le(fw.buf + at, 2);
        cs(true);
        board_spi_xfer(fw.buf + at + 2, NULL, len);
        cs(false);
        at += 2 + len;
    }
    uint8_t r[6] = {CD_POLL_READY, 0};
    uint32_t elapsed = 0;
    if (poll_len) {
        bool ready;
        if (!poll_ready(h + 2, poll_len, mask, timeout, interval, &r[1], &elapsed, &ready)) {
            *aborted = true;
            return true;
        }
        r[0] = ready ? CD_POLL_READY : CD_POLL_TIMEOUT;
    }
    put_le(r + 2, elapsed, 4);
    reply_ack(r, sizeof(r));
    return true;
}

static bool do_bootsel(bool *reboot)
{
    CD_VERIFY(memcmp(fw.hdr, "BOOT", 4) == 0);
    reply_ack(NULL, 0);
    *reboot = true;
    return true;
}

/* Run the complete command in fw.op / fw.hdr / fw.buf. */
static void execute(void)
{
    static const uint8_t iface[2] = {1, 0}, serbuf[2] = {0xFF, 0xFF}, bus = SP_BUS_SPI;
    uint8_t r[32];
    bool ok = true, aborted = false, reboot = false;

    switch (fw.op) {
    case SP_NOP:
    case SP_O_INIT:
        if (fw.op == SP_O_INIT)
            fw.opbuf_used = 0;
        reply_ack(NULL, 0);
        break;
    case SP_Q_IFACE:
        reply_ack(iface, 2);
        break;
    case SP_Q_CMDMAP:
        memset(r, 0, 32);
        for (unsigned op = 0; op < 256; op++)
            if (supported((uint8_t)op))
                r[op / 8] |= (uint8_t)(1u << (op % 8));
        reply_ack(r, 32);
        break;
    case SP_Q_PGMNAME:
        memset(r, 0, 16);
        memcpy(r, SP_PGMNAME, sizeof(SP_PGMNAME) - 1);
        reply_ack(r, 16);
        break;
    case SP_Q_SERBUF: /* USB has flow control: "a big bogus value" per the spec */
        reply_ack(serbuf, 2);
        break;
    case SP_Q_BUSTYPE:
        reply_ack(&bus, 1);
        break;
    case SP_Q_OPBUF:
        put_le(r, FW_OPBUF_SIZE, 2);
        reply_ack(r, 2);
        break;
    case SP_Q_WRNMAXLEN:
        put_le(r, FW_BUF_SIZE, 3);
        reply_ack(r, 3);
        break;
    case SP_Q_RDNMAXLEN: /* reads are streamed, not buffered: 0 = only the 24-bit field limits */
        put_le(r, 0, 3);
        reply_ack(r, 3);
        break;
    case SP_O_DELAY:
        ok = do_delay();
        break;
    case SP_O_EXEC:
        ok = do_exec();
        break;
    case SP_SYNCNOP:
        out_byte(SP_NAK);
        reply_ack(NULL, 0);
        break;
    case SP_S_BUSTYPE:
        ok = (fw.hdr[0] & SP_BUS_SPI) != 0;
        if (ok)
            reply_ack(NULL, 0);
        break;
    case SP_O_SPIOP:
        ok = do_spiop();
        break;
    case SP_S_SPI_FREQ:
        ok = do_spi_freq();
        break;
    case SP_S_PIN_STATE:
        ok = do_pin_state();
        break;
    case SP_S_SPI_CS:
    case SP_S_SPI_MODE: /* one chip select; half duplex only */
        ok = fw.hdr[0] == 0;
        if (ok)
            reply_ack(NULL, 0);
        break;
    case SP_S_CS_MODE:
        ok = do_cs_mode();
        break;
    case CD_Q_INFO:
        ok = do_info();
        break;
    case CD_R_STREAM:
        ok = do_stream();
        break;
    case CD_R_NAND:
        ok = do_nand();
        break;
    case CD_O_EXEC_POLL:
        ok = do_exec_poll(&aborted);
        break;
    case CD_S_BOOTSEL:
        ok = do_bootsel(&reboot);
        break;
    default: /* parallel-bus opcodes (parameters already consumed) */
        ok = false;
        break;
    }
    fw.phase = PH_OPCODE;
    if (aborted) {
        abort_all();
        return;
    }
    if (!ok)
        reply_nak();
    if (reboot) {
        /* the ACK must leave before the USB device disappears */
        uint32_t t0 = board_time_us();
        while (fw.out_pos < fw.out_len && board_time_us() - t0 < 100000u)
            fw.out_pos += (uint32_t)board_usb_write(fw.out + fw.out_pos, fw.out_len - fw.out_pos);
        board_usb_flush();
        fw.out_len = fw.out_pos = 0;
        fw.need_flush = false;
        cs(false);
        board_reboot_bootsel();
    }
}

/* The header is complete: decide how much payload follows. */
static void begin_payload(void)
{
    uint32_t need = 0;
    if (fw.op == SP_O_SPIOP)
        need = get_le(fw.hdr, 3);
    else if (fw.op == SP_O_WRITEN)
        need = get_le(fw.hdr, 3);
    else if (fw.op == CD_O_EXEC_POLL)
        need = get_le(fw.hdr + 12, 2);

    fw.pay_have = 0;
    if (fw.op == SP_O_WRITEN || need > FW_BUF_SIZE) {
        /* swallow it so the payload is not parsed as commands, then NAK */
        fw.discard = need;
        fw.phase = need ? PH_DISCARD : PH_OPCODE;
        if (!need)
            reply_nak();
        return;
    }
    fw.pay_need = need;
    fw.phase = PH_PAYLOAD;
}

/* Take what the pipe has for the current command; run it when complete. */
static void receive(void)
{
    uint32_t now = board_time_us();
    for (;;) {
        size_t n;
        switch (fw.phase) {
        case PH_OPCODE: {
            uint8_t b;
            if (board_usb_read(&b, 1) != 1)
                return;
            fw.last_rx_us = now;
            int h = header_len(b);
            if (h < 0) {
                reply_nak();
                return;
            }
            fw.op = b;
            fw.hdr_need = (uint32_t)h;
            fw.hdr_have = 0;
            fw.phase = PH_HEADER;
            break;
        }
        case PH_HEADER:
            if (fw.hdr_have < fw.hdr_need) {
                n = board_usb_read(fw.hdr + fw.hdr_have, fw.hdr_need - fw.hdr_have);
                if (!n)
                    goto starved;
                fw.hdr_have += (uint32_t)n;
                fw.last_rx_us = now;
                break;
            }
            begin_payload();
            break;
        case PH_PAYLOAD:
            if (fw.pay_have < fw.pay_need) {
                n = board_usb_read(fw.buf + fw.pay_have, fw.pay_need - fw.pay_have);
                if (!n)
                    goto starved;
                fw.pay_have += (uint32_t)n;
                fw.last_rx_us = now;
                break;
            }
            execute();
            return;
        case PH_DISCARD: {
            uint8_t junk[64];
            while (fw.discard) {
                n = board_usb_read(junk, fw.discard < sizeof(junk) ? fw.discard : sizeof(junk));
                if (!n)
                    goto starved;
                fw.discard -= (uint32_t)n;
                fw.last_rx_us = now;
            }
            fw.phase = PH_OPCODE;
            reply_nak();
            return;
        }
        }
    }
starved:
    if (now - fw.last_rx_us > FW_RX_TIMEOUT_US)
        fw.phase = PH_OPCODE; /* the host gave up mid-command: drop it silently */
}

/* ---- streamed replies ---- */

/* PAGE READ (13h) into the cache, then poll OIP. Returns the final status byte. */
static uint8_t nand_load(uint32_t row)
{
    static const uint8_t get_status[2] = {0x0F, 0xC0};
    uint8_t s;
    uint32_t elapsed;
    bool ready;
    cs(true);
    send_cmd_addr(0x13, row, 3, 0);
    cs(false);
    if (!poll_ready(get_status, 2, 0x01, fw.nand.timeout_us, FW_NAND_POLL_US, &s, &elapsed, &ready))
        return 0xFF; /* host gone: OIP-set status ends the stream, the caller aborts */
    return s;
}

static void produce_nand(void)
{
    while (fw.out_len < FW_OUT_SIZE) {
        if (fw.st_left == 0) {
            if (fw.nand.in_page) {
                cs(false);
                fw.nand.in_page = false;
            }
            if (!fw.nand.pages_left) {
                fw.st = ST_NONE;
                return;
            }
            uint32_t row = fw.nand.row++;
            fw.nand.pages_left--;
            uint8_t s = nand_load(row);
            out_byte(s);
            if (s & 0x01) { /* OIP never cleared: the record has no data and the stream ends */
                fw.st = ST_NONE;
                return;
            }
            if (fw.nand.flags & CD_NAND_F_READ_ONLY_STATUS || !fw.nand.len)
                continue;
            uint32_t col = fw.nand.column;
            if (fw.nand.plane_row_shift != 0xFF)
                col |= ((row >> fw.nand.plane_row_shift) & 1u) << fw.nand.plane_col_shift;
            cs(true);
            send_cmd_addr(fw.nand.read_op, col, fw.nand.addr_len, fw.nand.dummy_len);
            fw.nand.in_page = true;
            fw.st_left = fw.nand.len;
            continue;
        }
        uint32_t n = FW_OUT_SIZE - fw.out_len;
        if (n > fw.st_left)
            n = fw.st_left;
        board_spi_xfer(NULL, fw.out + fw.out_len, n);
        fw.out_len += n;
        fw.st_left -= n;
    }
}

static void produce(void)
{
    if (fw.out_len == 0)
        fw.last_tx_us = board_time_us();
    if (fw.st == ST_SPI) {
        uint32_t n = FW_OUT_SIZE - fw.out_len;
        if (n > fw.st_left)
            n = fw.st_left;
        board_spi_xfer(NULL, fw.out + fw.out_len, n);
        fw.out_len += n;
        fw.st_left -= n;
        if (!fw.st_left) {
            fw.st = ST_NONE;
            if (fw.st_release_cs)
                cs(false);
        }
    } else if (fw.st == ST_NAND) {
        produce_nand();
    }
    if (fw.st == ST_NONE)
        fw.need_flush = true;
}

/* Hand `out` to the pipe. True when it is empty (everything accepted). */
static bool pump(void)
{
    while (fw.out_pos < fw.out_len) {
        size_t n = board_usb_write(fw.out + fw.out_pos, fw.out_len - fw.out_pos);
        if (!n) {
            if (board_time_us() - fw.last_tx_us > FW_TX_TIMEOUT_US)
                abort_all(); /* the host stopped reading */
            return false;
        }
        fw.out_pos += (uint32_t)n;
        fw.last_tx_us = board_time_us();
    }
    fw.out_len = fw.out_pos = 0;
    if (fw.need_flush && fw.st == ST_NONE) {
        board_usb_flush();
        fw.need_flush = false;
    }
    return true;
}

void fw_task(void)
{
    if (!board_usb_connected()) {
        if (fw.was_connected)
            reset_session();
        fw.was_connected = false;
        return;
    }
    if (!fw.was_connected) {
        reset_session(); /* a new host: start clean whatever the last one left */
        fw.was_connected = true;
    }
    if (!pump())
        return;
    if (fw.st != ST_NONE)
        produce();
    else
        receive();
    pump();
}
