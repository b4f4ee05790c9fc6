/*
 * A model of the WCH CH341A in its SPI (EPP/MEM/I2C) mode, driving an SPI chip model, and
 * the USB seam in front of it (programmers/ch341a.h) for -p ch341a:emulate=CHIP and tests.
 *
 * What the model knows, and where from (flashrom programmers/ch341a_spi.c, ufprog
 * controller/wch; ../shared/facts.md §1). The constants are spelled out again here rather
 * than shared with the driver, so that a wrong constant in one does not hide in both.
 *  - Each USB OUT packet (at most 32 bytes) is one command, named by its first byte:
 *    0xA8 SPI stream: every following byte goes out on MOSI least significant bit first
 *    while one byte is taken in from MISO the same way; the bytes taken in come back as one
 *    IN packet of the same length (31 at most, so always a short packet).
 *    0xAB UIO stream: sub-commands up to END (0x20), the rest of the packet is ignored:
 *    0x80|v sets output levels D5..D0, 0x40|m sets output enables, 0xC0|n waits n us.
 *    Pins: D0 = CS0, D3 = SCK, D5 = MOSI (outputs); D7 = MISO.
 *    0xAA I2C stream: sub-commands up to END (0x00); 0x60|m sets the stream mode (bits 1:0
 *    I2C speed, bit 2 dual-line SPI). Real I2C sub-commands are counted as bad packets.
 *  - The chip sees CS0 low only while D0 is an output driven low; a floating D0 is pulled up.
 *    SPI bytes clocked while CS0 is high or SCK/MOSI are not outputs reach no chip and read
 *    0xFF (MISO pulled up), like an empty clip.
 *
 * Model choices (not documented anywhere we could read; say so when it matters):
 *  - The device holds CD_CH341A_MODEL_REPLY_DEPTH reply packets. When they are full it takes
 *    no more SPI packets (the OUT endpoint NAKs), so a host that does not keep IN transfers
 *    queued stalls exactly as it would on the chip.
 *  - Time: SPI at 2 MHz (4 us a byte), one byte time of command overhead per packet, 750 ns
 *    per UIO instruction (flashrom's measurement). The seam adds one 1 ms USB frame each time
 *    the host submits work after it waited for the device to run dry (a host round trip;
 *    a host sleep is not one). The chip model's clock follows, so a status poll sees
 *    exactly as much busy time as the wire took.
 */
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "programmers/ch341a.h"
#include "trace.h"

#define PACKET  32
#define SPI_MAX 31
#define DEPTH   CD_CH341A_MODEL_REPLY_DEPTH
#define QUEUE   128 /* transfers the seam holds per endpoint */

#define SPI_NS_PER_BYTE  4000u /* 8 clocks at 2 MHz */
#define CMD_NS           4000u /* per-packet command overhead: one byte time */
#define UIO_NS_PER_INSTR 750u  /* flashrom: each UIO OUT instruction takes ~750 ns */
#define FRAME_NS         1000000u

#define D0_CS0  0x01
#define D3_SCK  0x08
#define D5_MOSI 0x20

struct reply_pkt {
    uint8_t len;
    uint8_t b[SPI_MAX];
};

struct cd_ch341a_model {
    struct cd_spi_model *chip;
    const struct cd_chip *row;
    uint8_t out, dir;
    bool selected;
    struct reply_pkt fifo[DEPTH];
    unsigned head, n;
    uint64_t t_ns;
    struct cd_ch341a_model_stats st;

    /* noise: decode array reads per CS cycle */
    uint64_t noise_off, noise_len, seed, target;
    unsigned noise_count, noise_hits;
    bool target_armed, addr4;
    uint32_t cyc; /* bytes since CS fell */
    uint8_t opcode;
    unsigned alen;       /* NOR address bytes */
    uint32_t data_start; /* index of the first data byte after CS fell */
    uint64_t addr;       /* image offset of that byte */
    bool array_read, nand;
};

/* LSB-first shifting, as a table filled bit by bit on first use. */
static uint8_t rev_tab[256];

static void init_rev_tab(void)
{
    if (rev_tab[1])
        return;
    for (unsigned b = 0; b < 256; b++)
        for (int i = 0; i < 8; i++)
            if (b & (1u << i))
                rev_tab[b] |= (uint8_t)(0x80u >> i);
}

struct cd_ch341a_model *cd_ch341a_model_new(struct cd_spi_model *chip,
                                            const struct cd_chip *chip_row)
{
    struct cd_ch341a_model *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->chip = chip;
    m->row = chip_row;
    m->st.stream_mode = 0xFF;
    m->seed = 0x5DEECE66Dull;
    init_rev_tab();
    return m;
}

void cd_ch341a_model_free(struct cd_ch341a_model *m)
{
    free(m);
}

uint64_t cd_ch341a_model_time_ns(const struct cd_ch341a_model *m)
{
    return m->t_ns;
}

void cd_ch341a_model_advance(struct cd_ch341a_model *m, uint64_t ns)
{
    m->t_ns += ns;
    if (m->chip)
        m->chip->ops->advance_ns(m->chip, ns);
}

void cd_ch341a_model_get_stats(const struct cd_ch341a_model *m, struct cd_ch341a_model_stats *s)
{
    *s = m->st;
    s->pins_out = m->out;
    s->pins_dir = m->dir;
}

void cd_ch341a_model_set_noise(struct cd_ch341a_model *m, uint64_t off, uint64_t len,
                               unsigned count)
{
    m->noise_off = off;
    m->noise_len = len;
    m->noise_count = count;
}

void cd_ch341a_model_set_stale(struct cd_ch341a_model *m, unsigned n)
{
    for (; n && m->n < DEPTH; n--) {
        struct reply_pkt *r = &m->fifo[(m->head + m->n++) % DEPTH];
        r->len = SPI_MAX;
        memset(r->b, 0x5A, SPI_MAX);
    }
}

/* ---- pins ---- */

static void update_cs(struct cd_ch341a_model *m)
{
    bool sel = (m->dir & D0_CS0) && !(m->out & D0_CS0);
    if (sel == m->selected)
        return;
    m->selected = sel;
    if (sel) {
        m->st.selects++;
        m->cyc = 0;
        m->array_read = false;
        m->target_armed = false;
        if (m->chip)
            m->chip->ops->select(m->chip);
    } else {
        m->st.deselects++;
        /* 4-byte address mode as the chip tracks it: EN4B / EX4B / reset, executed at CS# rise */
        if (m->cyc == 1 && m->opcode == 0xB7)
            m->addr4 = true;
        else if (m->cyc == 1 && (m->opcode == 0xE9 || m->opcode == 0x99))
            m->addr4 = false;
        if (m->chip)
            m->chip->ops->deselect(m->chip);
    }
}

static void uio_stream(struct cd_ch341a_model *m, const uint8_t *p, size_t n)
{
    uint64_t ns = CMD_NS;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        if (b == 0x20)
            break; /* END: the rest of the packet is ignored */
        ns += UIO_NS_PER_INSTR;
        switch (b & 0xC0) {
        case 0x80:
            m->out = b & 0x3F;
            update_cs(m);
            break;
        case 0x40:
            m->dir = b & 0x3F;
            update_cs(m);
            break;
        case 0xC0:
            ns += (uint64_t)(b & 0x3F) * 1000u;
            break;
        default: /* 0x00 IN and the rest: not used by an SPI host */
            m->st.bad_packets++;
            break;
        }
    }
    cd_ch341a_model_advance(m, ns);
}

static void i2c_stream(struct cd_ch341a_model *m, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0x00)
            break; /* END */
        if ((p[i] & 0xF8) == 0x60)
            m->st.stream_mode = p[i] & 0x07;
        else
            m->st.bad_packets++; /* I2C start/stop/in/out: no I2C device here */
    }
    cd_ch341a_model_advance(m, CMD_NS);
}

/* ---- SPI ---- */

/*
 * Follow the command on MOSI far enough to know which byte of the chip's image a MISO byte
 * carries (for faults=noise): NOR READ / FAST READ (3- or 4-byte addresses, as the chip's
 * address mode stands), SPI-NAND READ FROM CACHE (where it reads from, the NAND model says).
 */
static void decode_byte(struct cd_ch341a_model *m, uint8_t mosi, uint8_t *miso)
{
    uint32_t k = m->cyc++;
    if (k == 0) {
        m->opcode = mosi;
        m->array_read = false;
        m->addr = 0;
        if (!m->row)
            return;
        m->nand = m->row->type == CD_CHIP_NAND;
        if (m->nand) {
            /* x1 cache read: opcode, two column bytes and a dummy byte (in either order) */
            m->array_read = mosi == 0x03 || mosi == 0x0B;
            m->data_start = 4;
            return;
        }
        bool only4 = m->row->addr4 & CD_ADDR4_ONLY;
        m->array_read = true;
        switch (mosi) {
        case 0x03:
        case 0x0B:
            m->alen = m->addr4 || only4 ? 4 : 3;
            break;
        case 0x13:
        case 0x0C:
            m->alen = 4;
            break;
        default:
            m->array_read = false;
        }
        m->data_start = 1 + m->alen + (mosi == 0x0B || mosi == 0x0C);
        return;
    }
    if (!m->array_read || !m->noise_len)
        return;
    if (k < m->data_start) {
        if (!m->nand && k <= m->alen)
            m->addr = (m->addr << 8) | mosi;
        return;
    }
    if (k == m->data_start) {
        if (m->nand && !cd_nand_model_last_cache_read(m->chip, &m->addr)) {
            m->array_read = false; /* not an array page (OTP, parameter page...) */
            return;
        }
        uint64_t lo = m->addr > m->noise_off ? m->addr : m->noise_off;
        uint64_t hi = m->noise_off + m->noise_len;
        m->target_armed = lo < hi && (!m->noise_count || m->noise_hits < m->noise_count);
        if (m->target_armed) {
            m->seed = m->seed * 6364136223846793005ull + 1442695040888963407ull;
            m->target = lo + (m->seed >> 33) % (hi - lo);
        }
    }
    uint64_t a = m->addr + (k - m->data_start);
    if (!m->nand)
        a %= m->row->size; /* the NOR address counter wraps at the end of the array */
    if (m->target_armed && a == m->target) {
        m->target_armed = false;
        m->noise_hits++;
        m->st.noise_flips++;
        *miso ^= (uint8_t)(1u << ((m->seed >> 29) & 7));
    }
}

static void spi_stream(struct cd_ch341a_model *m, const uint8_t *p, size_t n)
{
    uint8_t mosi[SPI_MAX], miso[SPI_MAX];
    struct reply_pkt *r = &m->fifo[(m->head + m->n++) % DEPTH];
    bool wired = (m->dir & D3_SCK) && (m->dir & D5_MOSI);
    for (size_t i = 0; i < n; i++)
        mosi[i] = rev_tab[p[i]];
    memset(miso, 0xFF, n);
    if (m->selected && wired && m->chip) {
        m->chip->ops->xfer(m->chip, mosi, miso, n);
        /* the opcode always (4-byte mode tracking); the rest only when noise wants it */
        size_t i = 0;
        for (; i < n && (m->cyc == 0 || m->noise_len); i++)
            decode_byte(m, mosi[i], &miso[i]);
        m->cyc += (uint32_t)(n - i);
    } else {
        m->st.spi_unselected += n;
    }
    for (size_t i = 0; i < n; i++)
        r->b[i] = rev_tab[miso[i]];
    r->len = (uint8_t)n;
    m->st.spi_packets++;
    m->st.spi_bytes += n;
    cd_ch341a_model_advance(m, CMD_NS + (uint64_t)n * SPI_NS_PER_BYTE);
}

bool cd_ch341a_model_packet(struct cd_ch341a_model *m, const uint8_t *pkt, size_t len)
{
    if (!len || len > PACKET) {
        m->st.bad_packets++;
        return true;
    }
    switch (pkt[0]) {
    case 0xA8:
        if (len == 1) {
            m->st.bad_packets++;
            return true;
        }
        if (m->n == DEPTH)
            return false;
        spi_stream(m, pkt + 1, len - 1);
        return true;
    case 0xAB:
        m->st.uio_packets++;
        uio_stream(m, pkt + 1, len - 1);
        return true;
    case 0xAA:
        m->st.i2c_packets++;
        i2c_stream(m, pkt + 1, len - 1);
        return true;
    }
    m->st.bad_packets++;
    return true;
}

int cd_ch341a_model_reply(struct cd_ch341a_model *m, uint8_t *buf)
{
    if (!m->n)
        return -1;
    struct reply_pkt *r = &m->fifo[m->head];
    memcpy(buf, r->b, r->len);
    m->head = (m->head + 1) % DEPTH;
    m->n--;
    return r->len;
}

/* ---- the USB seam in front of the model ---- */

struct pend {
    struct cd_usb_xfer *x;
    uint64_t deadline; /* model time */
    uint32_t off;      /* OUT: bytes the device has taken */
    bool cancel;
};

struct pq {
    struct pend q[QUEUE];
    unsigned h, n;
};

struct emu {
    struct cd_usb base;
    struct cd_ch341a_model *m;
    struct cd_ch341a_emu_faults f;
    struct pq out, in;
    bool gone, stalled, idle;
};

static const struct cd_usb_ops emu_ops;

static void complete(struct pq *q, enum cd_usb_status st, uint32_t actual)
{
    struct pend *p = &q->q[q->h];
    p->x->actual = actual;
    p->x->status = st;
    q->h = (q->h + 1) % QUEUE;
    q->n--;
}

static void fail_all(struct emu *e, enum cd_usb_status st)
{
    while (e->out.n)
        complete(&e->out, st, e->out.q[e->out.h].off);
    while (e->in.n)
        complete(&e->in, st, 0);
}

static int emu_submit(struct cd_usb *u, struct cd_usb_xfer *x, unsigned timeout_ms)
{
    struct emu *e = (struct emu *)u;
    if (e->gone)
        return CD_E_DEVICE_GONE;
    struct pq *q = x->ep & 0x80 ? &e->in : &e->out;
    if (q->n == QUEUE)
        return CD_E_IO;
    if (e->idle) {
        /* The device ran dry and waited for the host: one USB frame passes. */
        cd_ch341a_model_advance(e->m, FRAME_NS);
        e->idle = false;
    }
    x->status = CD_USB_PENDING;
    x->actual = 0;
    q->q[(q->h + q->n++) % QUEUE] = (struct pend){
        .x = x, .deadline = cd_ch341a_model_time_ns(e->m) + (uint64_t)timeout_ms * 1000000u};
    return CD_OK;
}

static void emu_cancel(struct cd_usb *u, struct cd_usb_xfer *x)
{
    struct emu *e = (struct emu *)u;
    struct pq *q = x->ep & 0x80 ? &e->in : &e->out;
    for (unsigned i = 0; i < q->n; i++)
        if (q->q[(q->h + i) % QUEUE].x == x)
            q->q[(q->h + i) % QUEUE].cancel = true;
}

/* Complete cancelled transfers, keeping the others in order. */
static unsigned reap_cancelled(struct pq *q)
{
    unsigned done = 0, keep = 0, n = q->n;
    struct pend tmp[QUEUE];
    for (unsigned i = 0; i < n; i++) {
        struct pend *p = &q->q[(q->h + i) % QUEUE];
        if (p->cancel) {
            p->x->actual = p->x->ep & 0x80 ? 0 : p->off;
            p->x->status = CD_USB_CANCELLED;
            done++;
        } else {
            tmp[keep++] = *p;
        }
    }
    for (unsigned i = 0; i < keep; i++)
        q->q[i] = tmp[i];
    q->h = 0;
    q->n = keep;
    return done;
}

static void check_faults(struct emu *e)
{
    uint64_t b = e->m->st.spi_bytes;
    if (e->f.unplug_after && b >= e->f.unplug_after) {
        e->gone = true;
        fail_all(e, CD_USB_GONE);
    } else if (e->f.stall_after && b >= e->f.stall_after) {
        e->stalled = true;
    }
}

/* Let the device work until it can do nothing more. Returns transfers completed. */
static unsigned run(struct emu *e)
{
    unsigned done = 0;
    bool progress = true;
    while (progress && !e->gone && !e->stalled) {
        progress = false;
        while (e->in.n) {
            struct cd_usb_xfer *x = e->in.q[e->in.h].x;
            uint8_t buf[PACKET];
            int n = cd_ch341a_model_reply(e->m, buf);
            if (n < 0)
                break;
            if ((uint32_t)n > x->len) {
                memcpy(x->buf, buf, x->len);
                complete(&e->in, CD_USB_OVERFLOW, x->len);
            } else {
                memcpy(x->buf, buf, (size_t)n);
                complete(&e->in, CD_USB_OK, (uint32_t)n);
            }
            done++;
            progress = true;
        }
        while (e->out.n && !e->gone && !e->stalled) {
            struct pend *p = &e->out.q[e->out.h];
            uint32_t n = p->x->len - p->off;
            if (n > PACKET)
                n = PACKET;
            if (n && !cd_ch341a_model_packet(e->m, p->x->buf + p->off, n))
                break; /* reply buffer full: the OUT endpoint NAKs */
            p->off += n;
            progress = true;
            if (p->off == p->x->len) {
                complete(&e->out, CD_USB_OK, p->off);
                done++;
            }
            check_faults(e);
        }
    }
    return done;
}

static int emu_handle_events(struct cd_usb *u, unsigned timeout_ms)
{
    struct emu *e = (struct emu *)u;
    unsigned done = reap_cancelled(&e->out) + reap_cancelled(&e->in);
    done += run(e);
    /* The host waited for the device and the device ran dry: whatever the host sends next
     * starts a new round trip. (A host sleep is no such wait: the host did not wait for a
     * reply, so sleep_us leaves this alone.) */
    if (!e->out.n)
        e->idle = true;
    if (done || (!e->out.n && !e->in.n))
        return CD_OK;
    /* Nothing can move: the model clock runs to the first deadline and that transfer (with
     * any others due by then) times out. A stuck device costs no real time. */
    uint64_t first = UINT64_MAX;
    for (unsigned i = 0; i < e->out.n; i++)
        if (e->out.q[(e->out.h + i) % QUEUE].deadline < first)
            first = e->out.q[(e->out.h + i) % QUEUE].deadline;
    for (unsigned i = 0; i < e->in.n; i++)
        if (e->in.q[(e->in.h + i) % QUEUE].deadline < first)
            first = e->in.q[(e->in.h + i) % QUEUE].deadline;
    uint64_t now = cd_ch341a_model_time_ns(e->m);
    if (first > now)
        cd_ch341a_model_advance(e->m, first - now);
    now = cd_ch341a_model_time_ns(e->m);
    struct pq *qs[2] = {&e->out, &e->in};
    for (int k = 0; k < 2; k++)
        for (unsigned i = 0; i < qs[k]->n; i++)
            if (qs[k]->q[(qs[k]->h + i) % QUEUE].deadline <= now)
                qs[k]->q[(qs[k]->h + i) % QUEUE].cancel = true;
    /* complete them as timed out rather than cancelled */
    for (int k = 0; k < 2; k++) {
        struct pq *q = qs[k];
        unsigned keep = 0, n = q->n;
        struct pend tmp[QUEUE];
        for (unsigned i = 0; i < n; i++) {
            struct pend *p = &q->q[(q->h + i) % QUEUE];
            if (p->cancel) {
                p->x->actual = p->x->ep & 0x80 ? 0 : p->off;
                p->x->status = CD_USB_TIMEOUT;
            } else {
                tmp[keep++] = *p;
            }
        }
        for (unsigned i = 0; i < keep; i++)
            q->q[i] = tmp[i];
        q->h = 0;
        q->n = keep;
    }
    (void)timeout_ms;
    return CD_OK;
}

static void emu_sleep_us(struct cd_usb *u, uint32_t us)
{
    struct emu *e = (struct emu *)u;
    run(e);
    cd_ch341a_model_advance(e->m, (uint64_t)us * 1000u);
}

static void emu_close(struct cd_usb *u)
{
    struct emu *e = (struct emu *)u;
    /* The model's clock: the wire time it modelled, for bench/ch341a_wire_time.py. */
    cd_trace_line("ch341a", "model", "clock", 0, cd_ch341a_model_time_ns(e->m) / 1000u, "ok");
    cd_ch341a_model_free(e->m);
    free(e);
}

static const struct cd_usb_ops emu_ops = {
    .submit = emu_submit,
    .cancel = emu_cancel,
    .handle_events = emu_handle_events,
    .sleep_us = emu_sleep_us,
    .close = emu_close,
};

struct cd_usb *cd_ch341a_emu_new(struct cd_ch341a_model *m, const struct cd_ch341a_emu_faults *f)
{
    struct emu *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->base.ops = &emu_ops;
    e->m = m;
    e->idle = true;
    if (f)
        e->f = *f;
    return &e->base;
}

struct cd_ch341a_model *cd_ch341a_emu_model(struct cd_usb *u)
{
    return u && u->ops == &emu_ops ? ((struct emu *)u)->m : NULL;
}
