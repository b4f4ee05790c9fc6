/*
 * The CH341A programmer: SPI transactions turned into CH341A USB packets, pipelined.
 *   -p ch341a[:serial=S][,bus=B,addr=A]
 *   -p ch341a:emulate[=CHIP][,image=PATH][,sr1=0xNN][,id=HEX][,faults=F]...
 *
 * Protocol facts (flashrom programmers/ch341a_spi.c; ../shared/facts.md §1): one command per
 * 32-byte USB packet on bulk EP 0x02. 0xA8 (SPI stream) is followed by up to 31 bytes that
 * the chip shifts out LSB first while it shifts in the same number of MISO bytes, returned
 * as one (short) packet on EP 0x82; so every byte is bit-reversed both ways. 0xAB (UIO
 * stream) sets the D0..D5 pins: chip select is D0, SCK D3, MOSI D5; MISO is D7. 0xAA 0x6x
 * sets the stream mode.
 *
 * What this driver does differently from flashrom, and why:
 *  - CS is asserted at the start and released at the end of every transaction (flashrom
 *    releases it at the start of the next one), so a PP or SE that is the last command of
 *    a batch still starts on time and nothing is left selected when the host sleeps.
 *  - A transaction of any length is one stream: OUT transfers of up to 64 packets, up to 16
 *    in flight, and one IN transfer per reply packet, up to 32 in flight, so the device
 *    never waits for the host inside a transaction. A 64 KiB read costs the host one wait
 *    for replies; flashrom's 4 KiB commands cost one per 4 KiB.
 *  - A transaction without read data (WREN, PP, SE, WRSR) does not wait for its replies:
 *    they are collected while the next transaction (normally the RDSR poll) runs. The
 *    WREN + PP + RDSR of a page program therefore share one host round trip.
 *  - Reply packets left in the chip by a session killed mid-read are drained at open.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "chipdump/sim.h"
#include "ch341a.h"
#include "programmers.h"
#include "trace.h"

/* Command bytes and sub-commands [flashrom ch341a_spi.c] */
#define CMD_SPI_STREAM 0xA8
#define CMD_I2C_STREAM 0xAA
#define CMD_UIO_STREAM 0xAB
#define I2C_STM_SET    0x60 /* | mode: bits 1:0 I2C speed, bit 2 "double" (dual) SPI */
#define I2C_STM_END    0x00
#define UIO_STM_OUT    0x80 /* | D5..D0 levels */
#define UIO_STM_DIR    0x40 /* | D5..D0 output enables */
#define UIO_STM_END    0x20

/* The mode flashrom sets (0x61: "100 kHz" I2C setting, single-line SPI); the SPI clock it
 * gives is not documented anywhere we could read (about 2 MHz is the folklore figure). */
#define STREAM_MODE 0x01

/* UIO pins: D0 CS0, D1 CS1, D2 CS2, D3 SCK, D4 DOUT2, D5 MOSI (DOUT) [flashrom pin map] */
#define PIN_CS0       0x01
#define PINS_OUTPUTS  0x3F
#define PINS_IDLE     0x37 /* every CS high, SCK low (SPI mode 0), data lines high */
#define PINS_SELECTED (PINS_IDLE & ~PIN_CS0)

#define SPI_PER_PACKET (CD_CH341A_PACKET - 1)

/* 1000 ms is flashrom's transfer timeout: a 64-packet OUT transfer needs about 8 ms. */
#define USB_TIMEOUT_MS 1000
/* If no transfer at all completes for this long the USB layer's own timeouts failed us. */
#define WATCHDOG_MS (USB_TIMEOUT_MS + 1000)
/* Reply packets of an earlier session come back within a frame or two. */
#define STALE_TIMEOUT_MS 20
#define STALE_MAX        64

/*
 * Pipeline depth. 32 IN transfers in flight is flashrom's figure ("most stable throughput
 * on Windows") and covers 4 ms of replies, four 1 ms USB frames. OUT transfers of 64
 * packets (2 KiB) keep the OUT side ahead of it; 16 of them let a WREN + PP + status poll
 * (or a NAND WREN + PROGRAM LOAD + EXECUTE) be queued without waiting for a free slot,
 * which would cost a hidden round trip.
 */
#define IN_RING  32
#define OUT_RING 16
#define OUT_PKTS 64
#define REPLY_Q  ((OUT_RING + 1) * OUT_PKTS)

/* Where the bytes of one reply packet go. */
struct reply {
    uint8_t len;   /* bytes the chip returns for the packet */
    uint8_t skip;  /* leading bytes that are not read data (opcode, address, dummy) */
    uint8_t ncopy; /* read data bytes after them */
    uint8_t *dst;  /* destination of the data; NULL: thrown away */
};

struct out_slot {
    struct cd_usb_xfer x;
    uint8_t buf[OUT_PKTS * CD_CH341A_PACKET];
};

struct in_slot {
    struct cd_usb_xfer x;
    uint8_t buf[CD_CH341A_PACKET];
    struct reply r;
};

enum phase { PH_IDLE, PH_RAW, PH_ASSERT, PH_SPI, PH_DEASSERT };

struct ch341a {
    struct cd_usb *usb;
    struct cd_programmer *inner; /* emulation: the sim programmer owning chip model + image */

    struct out_slot out[OUT_RING]; /* FIFO of OUT transfers in flight */
    unsigned out_head, out_n;
    struct in_slot in[IN_RING]; /* FIFO of IN transfers in flight */
    unsigned in_head, in_n;
    struct reply rq[REPLY_Q]; /* replies owed by packets sent, no IN transfer yet */
    unsigned rq_head, rq_n;

    /* what is being turned into packets */
    enum phase phase;
    uint8_t raw[CD_CH341A_PACKET];
    size_t raw_len;
    const struct cd_op *op;
    uint8_t hdr[1 + 4 + 255];
    uint32_t hdr_len, total, pos;

    /* the transaction a failure is reported against */
    uint8_t cur_cmd;
    uint32_t cur_addr, cur_len, cur_got;
    bool cur_addr_valid;

    int broken; /* sticky error once a transfer failed */
    struct cd_ch341a_stats st;
};

/* Bit reversal: the CH341A shifts LSB first, SPI flash wants MSB first. */
#define R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define R4(n) R2(n), R2(n + 2 * 16), R2(n + 1 * 16), R2(n + 3 * 16)
#define R6(n) R4(n), R4(n + 2 * 4), R4(n + 1 * 4), R4(n + 3 * 4)
static const uint8_t rev8[256] = {R6(0), R6(2), R6(1), R6(3)};

const char *cd_usb_status_name(enum cd_usb_status s)
{
    switch (s) {
    case CD_USB_PENDING:
        return "pending";
    case CD_USB_OK:
        return "ok";
    case CD_USB_TIMEOUT:
        return "timeout";
    case CD_USB_GONE:
        return "gone";
    case CD_USB_STALL:
        return "stall";
    case CD_USB_OVERFLOW:
        return "overflow";
    case CD_USB_CANCELLED:
        return "cancelled";
    case CD_USB_ERROR:
        break;
    }
    return "error";
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- packets ---- */

static size_t uio_packet(uint8_t *pkt, uint8_t pins, bool pad)
{
    pkt[0] = CMD_UIO_STREAM;
    pkt[1] = UIO_STM_OUT | pins;
    pkt[2] = UIO_STM_END;
    if (!pad)
        return 3;
    /* Zeros after END are ignored; a full packet keeps the USB transfer going. */
    memset(pkt + 3, 0, CD_CH341A_PACKET - 3);
    return CD_CH341A_PACKET;
}

static uint8_t mosi_byte(const struct ch341a *c, uint32_t i)
{
    if (i < c->hdr_len)
        return c->hdr[i];
    if (c->op->dir == CD_DATA_OUT)
        return ((const uint8_t *)c->op->data.out)[i - c->hdr_len];
    return 0xFF; /* clocks for read data: MOSI high */
}

/*
 * Write the next packet of what is being sent into pkt; returns its length. *r is the reply
 * it will get (r->len 0: none).
 */
static size_t next_packet(struct ch341a *c, uint8_t *pkt, struct reply *r)
{
    r->len = 0;
    switch (c->phase) {
    case PH_IDLE:
        return 0;
    case PH_RAW:
        memcpy(pkt, c->raw, c->raw_len);
        c->phase = PH_IDLE;
        return c->raw_len;
    case PH_ASSERT:
        c->phase = c->total ? PH_SPI : PH_DEASSERT;
        return uio_packet(pkt, PINS_SELECTED, true);
    case PH_SPI: {
        uint32_t n = c->total - c->pos;
        if (n > SPI_PER_PACKET)
            n = SPI_PER_PACKET;
        pkt[0] = CMD_SPI_STREAM;
        for (uint32_t i = 0; i < n; i++)
            pkt[1 + i] = rev8[mosi_byte(c, c->pos + i)];
        r->len = (uint8_t)n;
        r->dst = NULL;
        r->skip = r->ncopy = 0;
        if (c->op->dir == CD_DATA_IN && c->pos + n > c->hdr_len) {
            uint32_t skip = c->pos < c->hdr_len ? c->hdr_len - c->pos : 0;
            r->skip = (uint8_t)skip;
            r->ncopy = (uint8_t)(n - skip);
            r->dst = (uint8_t *)c->op->data.in + (c->pos + skip - c->hdr_len);
        }
        c->pos += n;
        if (c->pos == c->total)
            c->phase = PH_DEASSERT;
        return 1 + n;
    }
    case PH_DEASSERT:
        c->phase = PH_IDLE;
        return uio_packet(pkt, PINS_IDLE, false);
    }
    return 0;
}

/* ---- the pipeline ---- */

static void describe_current(const struct ch341a *c, char *buf, size_t sz)
{
    if (!c->cur_len && !c->cur_addr_valid) {
        snprintf(buf, sz, "during command %02Xh", c->cur_cmd);
        return;
    }
    char at[24] = "";
    if (c->cur_addr_valid)
        snprintf(at, sizeof(at), " at 0x%x", (unsigned)c->cur_addr);
    snprintf(buf, sz, "during command %02Xh%s, %u of %u data bytes received", c->cur_cmd, at,
             (unsigned)c->cur_got, (unsigned)c->cur_len);
}

static bool any_pending(const struct ch341a *c)
{
    for (unsigned i = 0; i < OUT_RING; i++)
        if (c->out[i].x.status == CD_USB_PENDING)
            return true;
    for (unsigned i = 0; i < IN_RING; i++)
        if (c->in[i].x.status == CD_USB_PENDING)
            return true;
    return false;
}

/*
 * Give up on everything in flight: cancel it and wait until the USB layer hands every
 * transfer back (its buffers are ours). The error sticks: the device state is unknown.
 */
static int fail(struct ch341a *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ch341a *c, int err, const char *fmt, ...)
{
    char what[512], where[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    describe_current(c, where, sizeof(where));

    for (unsigned i = 0; i < OUT_RING; i++)
        if (c->out[i].x.status == CD_USB_PENDING)
            c->usb->ops->cancel(c->usb, &c->out[i].x);
    for (unsigned i = 0; i < IN_RING; i++)
        if (c->in[i].x.status == CD_USB_PENDING)
            c->usb->ops->cancel(c->usb, &c->in[i].x);
    uint64_t deadline = now_ms() + 2 * WATCHDOG_MS;
    while (any_pending(c) && now_ms() < deadline)
        c->usb->ops->handle_events(c->usb, 100);

    c->out_n = c->in_n = c->rq_n = 0;
    c->phase = PH_IDLE;
    c->broken = err;
    return cd_fail(err, "%s %s", what, where);
}

static int xfer_error(struct ch341a *c, const struct cd_usb_xfer *x)
{
    switch (x->status) {
    case CD_USB_GONE:
        return fail(c, CD_E_DEVICE_GONE,
                    "the CH341A disappeared from USB (unplugged?): transfer on EP 0x%02x failed",
                    x->ep);
    case CD_USB_TIMEOUT:
        return fail(c, CD_E_TIMEOUT,
                    "the CH341A stopped answering: transfer on EP 0x%02x timed out after %u ms",
                    x->ep, USB_TIMEOUT_MS);
    case CD_USB_OVERFLOW:
        return fail(c, CD_E_PROTOCOL, "the CH341A sent more than %u bytes on EP 0x%02x",
                    (unsigned)x->len, x->ep);
    default:
        return fail(c, CD_E_IO, "USB transfer on EP 0x%02x failed (%s)", x->ep,
                    cd_usb_status_name(x->status));
    }
}

static int submit(struct ch341a *c, struct cd_usb_xfer *x, unsigned timeout_ms)
{
    int r = c->usb->ops->submit(c->usb, x, timeout_ms);
    if (r) {
        x->status = CD_USB_ERROR;
        cd_trace_usb("ch341a", x->ep, x->len, 0, r == CD_E_DEVICE_GONE ? "gone" : "error");
        if (r == CD_E_DEVICE_GONE)
            return fail(c, r, "the CH341A disappeared from USB (unplugged?): cannot submit");
        return fail(c, r, "cannot submit a USB transfer on EP 0x%02x", x->ep);
    }
    return CD_OK;
}

static int submit_out(struct ch341a *c)
{
    struct out_slot *s = &c->out[(c->out_head + c->out_n) % OUT_RING];
    size_t len = 0;
    while (c->phase != PH_IDLE && len + CD_CH341A_PACKET <= sizeof(s->buf)) {
        struct reply r;
        size_t n = next_packet(c, s->buf + len, &r);
        if (r.len) {
            c->rq[(c->rq_head + c->rq_n) % REPLY_Q] = r;
            c->rq_n++;
        }
        len += n;
        if (n < CD_CH341A_PACKET)
            break; /* a short packet ends a USB transfer */
    }
    s->x = (struct cd_usb_xfer){.ep = CD_CH341A_EP_OUT, .buf = s->buf, .len = (uint32_t)len};
    c->out_n++;
    return submit(c, &s->x, USB_TIMEOUT_MS);
}

static int submit_in(struct ch341a *c)
{
    struct in_slot *s = &c->in[(c->in_head + c->in_n) % IN_RING];
    s->r = c->rq[c->rq_head];
    c->rq_head = (c->rq_head + 1) % REPLY_Q;
    c->rq_n--;
    /* Ask for exactly the reply's length, as flashrom does: the reply is one short packet. */
    s->x = (struct cd_usb_xfer){.ep = CD_CH341A_EP_IN, .buf = s->buf, .len = s->r.len};
    c->in_n++;
    return submit(c, &s->x, USB_TIMEOUT_MS);
}

/* Take finished transfers off the heads of both FIFOs. Returns how many, or an error. */
static int reap(struct ch341a *c, unsigned *done)
{
    *done = 0;
    while (c->out_n && c->out[c->out_head].x.status != CD_USB_PENDING) {
        struct cd_usb_xfer *x = &c->out[c->out_head].x;
        cd_trace_usb("ch341a", x->ep, x->len, x->actual, cd_usb_status_name(x->status));
        c->out_head = (c->out_head + 1) % OUT_RING;
        c->out_n--;
        c->st.out_transfers++;
        ++*done;
        if (x->status != CD_USB_OK)
            return xfer_error(c, x);
        if (x->actual != x->len)
            return fail(c, CD_E_IO, "the CH341A took %u of %u bytes on EP 0x%02x",
                        (unsigned)x->actual, (unsigned)x->len, x->ep);
    }
    while (c->in_n && c->in[c->in_head].x.status != CD_USB_PENDING) {
        struct in_slot *s = &c->in[c->in_head];
        struct cd_usb_xfer *x = &s->x;
        cd_trace_usb("ch341a", x->ep, x->len, x->actual, cd_usb_status_name(x->status));
        c->in_head = (c->in_head + 1) % IN_RING;
        c->in_n--;
        c->st.in_transfers++;
        ++*done;
        if (x->status != CD_USB_OK)
            return xfer_error(c, x);
        if (x->actual != s->r.len)
            return fail(c, CD_E_PROTOCOL,
                        "the CH341A answered %u bytes to a %u-byte SPI packet (out of step)",
                        (unsigned)x->actual, (unsigned)s->r.len);
        c->st.spi_bytes += s->r.len;
        for (unsigned i = 0; i < s->r.ncopy; i++)
            s->r.dst[i] = rev8[s->buf[s->r.skip + i]];
        c->cur_got += s->r.ncopy;
    }
    return CD_OK;
}

/*
 * Move the pipeline until everything being sent is in OUT transfers and every reply it is
 * owed has an IN transfer; with drain, until nothing is in flight any more.
 */
static int pump(struct ch341a *c, bool drain)
{
    uint64_t last = now_ms();
    for (;;) {
        int r;
        while (c->phase != PH_IDLE && c->out_n < OUT_RING && c->rq_n + OUT_PKTS <= REPLY_Q)
            if ((r = submit_out(c)))
                return r;
        while (c->rq_n && c->in_n < IN_RING)
            if ((r = submit_in(c)))
                return r;
        if (c->phase == PH_IDLE && !c->rq_n && (!drain || (!c->out_n && !c->in_n)))
            return CD_OK;

        if ((r = c->usb->ops->handle_events(c->usb, 100)))
            return fail(c, r, "USB event handling failed");
        unsigned done;
        if ((r = reap(c, &done)))
            return r;
        uint64_t t = now_ms();
        if (done)
            last = t;
        else if (t - last > WATCHDOG_MS)
            return fail(c, CD_E_TIMEOUT, "no USB transfer completed for %u ms", WATCHDOG_MS);
    }
}

/* Send one raw command packet and wait until it has gone out. */
static int send_raw(struct ch341a *c, const uint8_t *pkt, size_t len)
{
    memcpy(c->raw, pkt, len);
    c->raw_len = len;
    c->phase = PH_RAW;
    return pump(c, true);
}

static int drain_stale(struct ch341a *c)
{
    struct in_slot *s = &c->in[0];
    for (unsigned n = 0; n < STALE_MAX; n++) {
        s->x = (struct cd_usb_xfer){.ep = CD_CH341A_EP_IN, .buf = s->buf, .len = CD_CH341A_PACKET};
        int r = c->usb->ops->submit(c->usb, &s->x, STALE_TIMEOUT_MS);
        if (r)
            return cd_fail(r, "cannot read from the CH341A");
        uint64_t deadline = now_ms() + STALE_TIMEOUT_MS + WATCHDOG_MS;
        while (s->x.status == CD_USB_PENDING && now_ms() < deadline)
            c->usb->ops->handle_events(c->usb, 100);
        if (s->x.status == CD_USB_PENDING) {
            c->usb->ops->cancel(c->usb, &s->x);
            while (s->x.status == CD_USB_PENDING && now_ms() < deadline + WATCHDOG_MS)
                c->usb->ops->handle_events(c->usb, 100);
        }
        cd_trace_usb("ch341a", s->x.ep, s->x.len, s->x.actual, cd_usb_status_name(s->x.status));
        switch (s->x.status) {
        case CD_USB_OK:
            continue; /* a reply nobody asked for: drop it */
        case CD_USB_TIMEOUT:
        case CD_USB_CANCELLED:
            return CD_OK;
        case CD_USB_GONE:
            return cd_fail(CD_E_DEVICE_GONE, "the CH341A disappeared from USB");
        case CD_USB_PENDING:
            c->broken = CD_E_TIMEOUT; /* its buffer is still the USB layer's */
            return cd_fail(CD_E_TIMEOUT, "the USB layer does not return a transfer");
        default:
            return cd_fail(CD_E_IO, "reading from the CH341A failed (%s)",
                           cd_usb_status_name(s->x.status));
        }
    }
    return cd_fail(CD_E_PROTOCOL, "the CH341A keeps sending data nobody asked for");
}

/* ---- programmer ops ---- */

static int ch341a_exec(struct cd_programmer *p, const struct cd_op *op)
{
    struct ch341a *c = p->priv;
    if (c->broken)
        return cd_fail(c->broken, "the CH341A failed earlier; reconnect it and start again");
    if (op->addr_len > 4)
        return cd_fail(CD_E_ARG, "%u-byte address", op->addr_len);

    uint32_t n = 0;
    c->hdr[n++] = op->cmd;
    for (int i = op->addr_len - 1; i >= 0; i--)
        c->hdr[n++] = (uint8_t)(op->addr >> (8 * i));
    memset(c->hdr + n, 0xFF, op->dummy_len);
    n += op->dummy_len;
    c->hdr_len = n;
    c->total = n + (op->dir != CD_DATA_NONE ? op->data_len : 0);
    c->pos = 0;
    c->op = op;
    c->phase = PH_ASSERT;
    c->cur_cmd = op->cmd;
    c->cur_addr = op->addr;
    c->cur_addr_valid = op->addr_len != 0;
    c->cur_len = op->dir == CD_DATA_IN ? op->data_len : 0;
    c->cur_got = 0;

    /* Only read data makes the host wait; other replies are collected later. */
    bool wait = op->dir == CD_DATA_IN && op->data_len;
    uint64_t before = c->st.out_transfers + c->st.in_transfers;
    int r = pump(c, wait);
    if (r)
        return r;
    if (wait) {
        /* a host round trip: the transfers it waited for, the earlier ones still owed too */
        uint64_t waited = c->st.out_transfers + c->st.in_transfers - before;
        c->st.syncs++;
        cd_trace_line("ch341a", "sync", "-", waited, waited, "ok");
    }
    return CD_OK;
}

static int ch341a_delay(struct cd_programmer *p, uint32_t us)
{
    struct ch341a *c = p->priv;
    if (c->broken)
        return cd_fail(c->broken, "the CH341A failed earlier; reconnect it and start again");
    /* Transfers still in flight (a PP's) keep going on the bus while the host sleeps. */
    c->st.sleeps++;
    c->usb->ops->sleep_us(c->usb, us);
    return CD_OK;
}

static void ch341a_close(struct cd_programmer *p)
{
    struct ch341a *c = p->priv;
    if (!c)
        return;
    if (!c->broken) {
        /* Pins back to inputs: the board's own SoC may want its flash back (in-circuit). */
        const uint8_t off[] = {CMD_UIO_STREAM, UIO_STM_OUT | PINS_IDLE, UIO_STM_DIR | 0x00,
                               UIO_STM_END};
        if (pump(c, true) == CD_OK)
            send_raw(c, off, sizeof(off));
    }
    if (c->broken && any_pending(c))
        return; /* the USB layer still owns our buffers: leak them rather than free them */
    c->usb->ops->close(c->usb);
    cd_programmer_close(c->inner);
    free(c);
}

static const struct cd_programmer_ops ch341a_ops = {
    .name = "ch341a",
    .exec_op = ch341a_exec,
    .delay_us = ch341a_delay,
    .close = ch341a_close,
};

bool cd_ch341a_get_stats(const struct cd_programmer *p, struct cd_ch341a_stats *st)
{
    if (!p || p->ops != &ch341a_ops)
        return false;
    *st = ((const struct ch341a *)p->priv)->st;
    return true;
}

struct cd_programmer *cd_ch341a_emulated_sim(const struct cd_programmer *p)
{
    if (!p || p->ops != &ch341a_ops)
        return NULL;
    return ((const struct ch341a *)p->priv)->inner;
}

int cd_ch341a_attach(struct cd_usb *u, const char *description, struct cd_programmer **out)
{
    *out = NULL;
    struct ch341a *c = calloc(1, sizeof(*c));
    struct cd_programmer *p = calloc(1, sizeof(*p));
    char *desc = strdup(description);
    if (!c || !p || !desc) {
        free(c);
        free(p);
        free(desc);
        u->ops->close(u);
        return CD_E_NOMEM;
    }
    c->usb = u;
    p->ops = &ch341a_ops;
    p->priv = c;
    p->kind = "ch341a";
    p->description = desc;
    /* max_read/max_write 0: any length is one pipelined stream */

    int r = drain_stale(c);
    const uint8_t mode[] = {CMD_I2C_STREAM, I2C_STM_SET | STREAM_MODE, I2C_STM_END};
    const uint8_t pins[] = {CMD_UIO_STREAM, UIO_STM_OUT | PINS_IDLE, UIO_STM_DIR | PINS_OUTPUTS,
                            UIO_STM_END};
    if (!r)
        r = send_raw(c, mode, sizeof(mode));
    if (!r)
        r = send_raw(c, pins, sizeof(pins));
    if (r) {
        c->broken = c->broken ? c->broken : r;
        char why[512];
        snprintf(why, sizeof(why), "%s", cd_error_detail());
        cd_programmer_close(p);
        return cd_fail(r, "setting up the CH341A: %s", why);
    }
    *out = p;
    return CD_OK;
}

/* ---- -p ch341a:... ---- */

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    *v = strtoull(s, &end, 0);
    if (*end == 'K' || *end == 'k') {
        *v <<= 10;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        *v <<= 20;
        end++;
    }
    return *end ? -1 : 0;
}

struct emu_params {
    bool on;
    char chip[128];
    char sim[4096];         /* parameters handed to the sim programmer (image, sr1, id, ...) */
    char sim_faults[1024];  /* its faults (flip, bad, pfail, efail: the chip model's own) */
    char first_unknown[32]; /* first of them, for the error without emulate */
    struct cd_ch341a_emu_faults faults;
    uint64_t noise_off, noise_len;
    unsigned noise_count, stale;
};

static int parse_fault(const char *val, struct emu_params *e)
{
    char kind[16];
    unsigned long long a, b;
    unsigned cnt;
    int used = 0;
    if (sscanf(val, "%15[a-z]:%lli:%lli:%u%n", kind, (long long *)&a, (long long *)&b, &cnt,
               &used) == 4 &&
        !val[used] && !strcmp(kind, "noise") && b) {
        e->noise_off = a;
        e->noise_len = b;
        e->noise_count = cnt;
        return CD_OK;
    }
    const char *colon = strchr(val, ':');
    uint64_t v;
    if (colon && !parse_u64(colon + 1, &v)) {
        size_t kn = (size_t)(colon - val);
        if (kn == 6 && !strncmp(val, "unplug", 6) && v) {
            e->faults.unplug_after = v;
            return CD_OK;
        }
        if (kn == 5 && !strncmp(val, "stall", 5) && v) {
            e->faults.stall_after = v;
            return CD_OK;
        }
        if (kn == 5 && !strncmp(val, "stale", 5) && v && v <= CD_CH341A_MODEL_REPLY_DEPTH) {
            e->stale = (unsigned)v;
            return CD_OK;
        }
    }
    return cd_fail(CD_E_ARG,
                   "ch341a: bad fault '%s' (expected unplug:BYTES, stall:BYTES, stale:1..%d, "
                   "noise:OFF:LEN:COUNT, or the chip model's flip/bad/pfail/efail)",
                   val, CD_CH341A_MODEL_REPLY_DEPTH);
}

/* A faults= list: USB-level faults and bus noise are the CH341A model's, the rest the chip's. */
static int parse_faults(const char *val, struct emu_params *e)
{
    char item[256];
    while (*val) {
        size_t n = strcspn(val, "+");
        if (n >= sizeof(item))
            return cd_fail(CD_E_ARG, "ch341a: fault too long");
        memcpy(item, val, n);
        item[n] = '\0';
        val += n + (val[n] == '+');
        size_t kn = strcspn(item, ":");
        static const char *const mine[] = {"unplug", "stall", "stale", "noise"};
        bool ours = false;
        for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
            ours |= strlen(mine[i]) == kn && !strncmp(item, mine[i], kn);
        int r;
        if (ours && (r = parse_fault(item, e)))
            return r;
        if (!ours) {
            size_t have = strlen(e->sim_faults);
            int w = snprintf(e->sim_faults + have, sizeof(e->sim_faults) - have, "%s%s",
                             have ? "+" : "", item);
            if (w < 0 || (size_t)w >= sizeof(e->sim_faults) - have)
                return cd_fail(CD_E_ARG, "ch341a: faults too long");
        }
    }
    return CD_OK;
}

static int open_emulated(struct emu_params *e, const struct cd_chipdb *db, const char *chip_hint,
                         struct cd_programmer **out)
{
    struct cd_programmer *sim = NULL;
    struct cd_spi_model *chip_model = NULL;
    const struct cd_chip *row = NULL;
    char desc[4300];
    int r;

    if (!strcmp(e->chip, "none")) {
        snprintf(desc, sizeof(desc), "ch341a emulated (nothing clipped on)");
    } else {
        /* The sim programmer builds the chip model and its image; the packets go through
         * the CH341A model in front of it. */
        char params[5500];
        snprintf(params, sizeof(params), "%s%s%s%s%s%s", e->chip[0] ? "chip=" : "", e->chip,
                 e->chip[0] && e->sim[0] ? "," : "", e->sim,
                 e->sim_faults[0] && (e->chip[0] || e->sim[0]) ? "," : "",
                 e->sim_faults[0] ? "faults=" : "");
        size_t have = strlen(params);
        snprintf(params + have, sizeof(params) - have, "%s", e->sim_faults);
        if ((r = cd_sim_open(params, db, chip_hint, &sim)))
            return r;
        cd_trace_open(); /* the reference cd_programmer_close(sim) drops */
        chip_model = cd_sim_model(sim);
        row = sim->emulated_chip;
        const char *d = sim->description;
        snprintf(desc, sizeof(desc), "ch341a emulated %s", !strncmp(d, "sim ", 4) ? d + 4 : d);
    }

    struct cd_ch341a_model *m = cd_ch341a_model_new(chip_model, row);
    struct cd_usb *u = m ? cd_ch341a_emu_new(m, &e->faults) : NULL;
    if (!u) {
        cd_ch341a_model_free(m);
        cd_programmer_close(sim);
        return CD_E_NOMEM;
    }
    if (e->noise_len)
        cd_ch341a_model_set_noise(m, e->noise_off, e->noise_len, e->noise_count);
    cd_ch341a_model_set_stale(m, e->stale);
    struct cd_programmer *p;
    if ((r = cd_ch341a_attach(u, desc, &p))) {
        cd_programmer_close(sim);
        return r;
    }
    ((struct ch341a *)p->priv)->inner = sim;
    p->emulated_chip = row;
    *out = p;
    return CD_OK;
}

static int parse_params(const char *params, struct emu_params *e, struct cd_ch341a_select *sel,
                        char *serial, size_t serialsz)
{
    char key[32], val[4096];
    const char *cur = params;
    int r;
    while ((r = cd_spec_next_param(&cur, key, sizeof(key), val, sizeof(val))) > 0) {
        uint64_t v;
        if (!strcmp(key, "emulate") || !strcmp(key, "chip")) {
            e->on |= !strcmp(key, "emulate");
            if (strlen(val) >= sizeof(e->chip))
                return cd_fail(CD_E_ARG, "ch341a: chip name too long");
            if (val[0])
                memcpy(e->chip, val, strlen(val) + 1);
        } else if (!strcmp(key, "serial")) {
            if (!val[0] || strlen(val) >= serialsz)
                return cd_fail(CD_E_ARG, "ch341a: bad serial '%s'", val);
            memcpy(serial, val, strlen(val) + 1);
        } else if (!strcmp(key, "bus") || !strcmp(key, "addr")) {
            if (parse_u64(val, &v) || !v || v > 255)
                return cd_fail(CD_E_ARG, "ch341a: bad %s '%s' (1..255, as lsusb shows it)", key,
                               val);
            *(!strcmp(key, "bus") ? &sel->bus : &sel->addr) = (int)v;
        } else if (!strcmp(key, "faults")) {
            if ((r = parse_faults(val, e)))
                return r;
        } else if (!strcmp(key, "throttle")) {
            return cd_fail(CD_E_ARG, "ch341a: throttle is a sim parameter; the emulated "
                                     "CH341A runs as fast as the host can model it");
        } else {
            /* image, sr1, id, ...: chip-model parameters the sim programmer checks */
            size_t have = strlen(e->sim);
            int n = snprintf(e->sim + have, sizeof(e->sim) - have, "%s%s=%s", have ? "," : "", key,
                             val);
            if (n < 0 || (size_t)n >= sizeof(e->sim) - have)
                return cd_fail(CD_E_ARG, "ch341a: parameters too long");
            if (!e->first_unknown[0])
                snprintf(e->first_unknown, sizeof(e->first_unknown), "%s", key);
        }
    }
    return r;
}

int cd_ch341a_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                   struct cd_programmer **out)
{
    char serial[128] = "";
    struct cd_ch341a_select sel = {0};
    struct emu_params *e = calloc(1, sizeof(*e));
    int r;

    *out = NULL;
    if (!e)
        return CD_E_NOMEM;
    if ((r = parse_params(params, e, &sel, serial, sizeof(serial))) < 0)
        goto out;
    bool usb_sel = serial[0] || sel.bus || sel.addr;
    if (e->on) {
        if (usb_sel)
            r = cd_fail(CD_E_ARG, "ch341a: emulate excludes serial=, bus= and addr=");
        else
            r = open_emulated(e, db, chip_hint, out);
        goto out;
    }
    if (e->first_unknown[0]) {
        r = cd_fail(CD_E_ARG,
                    "ch341a: unknown parameter '%s' (known: serial, bus, addr; emulate with "
                    "chip, image, sr1, id, faults)",
                    e->first_unknown);
        goto out;
    }
    if (e->chip[0] || e->noise_len || e->stale || e->faults.unplug_after || e->faults.stall_after ||
        e->sim_faults[0]) {
        r = cd_fail(CD_E_ARG, "ch341a: chip= and faults= need emulate (-p "
                              "ch341a:emulate=CHIP,...); a real CH341A takes serial= or "
                              "bus=,addr=");
        goto out;
    }
    if ((sel.bus != 0) != (sel.addr != 0)) {
        r = cd_fail(CD_E_ARG, "ch341a: give bus= and addr= together (as lsusb shows them)");
        goto out;
    }
    sel.serial = serial[0] ? serial : NULL;

    struct cd_usb *u;
    char where[192], desc[224];
    if ((r = cd_ch341a_usb_open(&sel, &u, where, sizeof(where))))
        goto out;
    snprintf(desc, sizeof(desc), "ch341a (%s)", where);
    r = cd_ch341a_attach(u, desc, out);
out:
    free(e);
    return r;
}
