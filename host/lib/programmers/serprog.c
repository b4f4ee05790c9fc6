/*
 * The serprog programmer: flashrom's serial flasher protocol (interface version 1) over any
 * byte pipe, plus the chipdump extensions when the device offers them (docs/protocol.md).
 *
 *   -p serprog:dev=/dev/ttyACM0[,baud=N][,spispeed=HZ]   any serprog device on a tty
 *   -p serprog:tcp=HOST:PORT[,spispeed=HZ]               ... on a TCP socket (ip= also works)
 *   -p serprog:loop=CHIP[,image=PATH][,spispeed=HZ]      firmware/core in this process
 *   -p rp2040[:serial=S][,spispeed=HZ]                   the chipdump board over libusb
 *
 * Capability negotiation: the 0x02 command map says what the device does. Plain serprog
 * devices (pico-serprog, stm32-vserprog) get O_SPIOP transactions within their
 * Q_WRNMAXLEN/Q_RDNMAXLEN (flashrom's defaults when they do not say); a device that answers
 * CD_Q_INFO with the chipdump magic also gets streamed NOR reads (CD_R_STREAM, one request
 * per read, the next one sent before the current one is read so the pipe never idles).
 *
 * Replies are read in order from a small queue of what is still owed: ACKs of commands that
 * return nothing else (write-only SPI transactions such as WREN or page program, O_DELAY/
 * O_EXEC), sent without waiting within the device's Q_SERBUF, and streamed reads sent ahead.
 * So only transactions that read data cost a round trip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chipdump/error.h"
#include "core/protocol.h"
#include "programmers.h"
#include "serprog.h"
#include "trace.h"

/* A reply may take this long to begin (an erase polled on the board is not one of these). */
#define REPLY_TIMEOUT_MS 5000
/* flashrom's limits for a device that does not answer Q_WRNMAXLEN / Q_RDNMAXLEN */
#define DEFAULT_MAX_WRITE 256
#define DEFAULT_MAX_READ  (64 * 1024)
#define MAX_OWED          16

struct owed {
    uint32_t len; /* 0: the ACK of command `cmd`; else a stream request: ACK + len bytes */
    uint8_t cmd, alen, dummy;
    uint32_t addr;
};

struct sp {
    struct sp_link *l;
    uint8_t map[32];
    bool ext;
    uint32_t wrn, rdn; /* longest O_SPIOP write (whole slen) / read */
    uint32_t serbuf;   /* Q_SERBUF: bytes the device buffers when we send ahead */
    struct owed owed[MAX_OWED];
    unsigned nowed;
    uint32_t inflight; /* bytes of commands whose ACKs are owed */
    bool seq_valid;    /* the last NOR read, to detect sequential reading */
    uint8_t seq_cmd, seq_alen, seq_dummy;
    uint32_t seq_next;
    char name[17];
    struct cd_programmer_ops ops; /* sp_ops plus what the device offers */
};

static bool has(const struct sp *s, uint8_t op)
{
    return (s->map[op / 8] >> (op % 8)) & 1;
}

static void le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static int xsend(struct sp *s, const void *buf, size_t n)
{
    int r = s->l->send(s->l, buf, n);
    if (!s->l->traces && cd_trace_enabled())
        cd_trace_line(s->l->prog, "out", s->l->name, n, r ? 0 : n, r ? "error" : "ok");
    return r;
}

static int xrecv(struct sp *s, void *buf, size_t n, unsigned timeout_ms)
{
    int r = s->l->recv(s->l, buf, n, timeout_ms);
    if (!s->l->traces && cd_trace_enabled())
        cd_trace_line(s->l->prog, "in", s->l->name, n, r ? 0 : n,
                      r == CD_E_TIMEOUT ? "timeout"
                      : r               ? "error"
                                        : "ok");
    return r;
}

/* The first byte of a reply: ACK -> CD_OK, NAK -> CD_E_UNSUPPORTED, anything else broken. */
static int ack(struct sp *s, uint8_t op)
{
    uint8_t c;
    int r = xrecv(s, &c, 1, REPLY_TIMEOUT_MS);
    if (r == CD_E_TIMEOUT)
        return cd_fail(CD_E_TIMEOUT, "%s: no reply to command 0x%02X within %d ms", s->l->prog, op,
                       REPLY_TIMEOUT_MS);
    if (r)
        return r;
    if (c == SP_ACK)
        return CD_OK;
    if (c == SP_NAK)
        return cd_fail(CD_E_UNSUPPORTED, "%s: the device refused command 0x%02X (NAK)", s->l->prog,
                       op);
    return cd_fail(CD_E_PROTOCOL, "%s: reply 0x%02X to command 0x%02X is neither ACK nor NAK",
                   s->l->prog, c, op);
}

/* Read every reply still owed, in order; stream data sent ahead is dropped. */
static int settle(struct sp *s)
{
    int err = CD_OK;
    unsigned i = 0;
    for (; i < s->nowed; i++) {
        struct owed *o = &s->owed[i];
        int r = ack(s, o->len ? CD_R_STREAM : o->cmd);
        if (r == CD_E_UNSUPPORTED && o->len)
            continue; /* a read-ahead past what the device takes: nothing follows a NAK */
        if (r) {
            err = err ? err : r;
            if (r != CD_E_UNSUPPORTED)
                break; /* the pipe is broken: later replies cannot be found */
            continue;
        }
        uint8_t junk[4096];
        for (uint32_t left = o->len; left && !r;) {
            uint32_t k = left < sizeof(junk) ? left : sizeof(junk);
            r = xrecv(s, junk, k, REPLY_TIMEOUT_MS);
            left -= k;
        }
        if (r) {
            err = err ? err : r;
            break;
        }
    }
    memmove(s->owed, s->owed + i, (s->nowed - i) * sizeof(s->owed[0]));
    s->nowed -= i;
    if (err)
        s->nowed = 0;
    if (!s->nowed)
        s->inflight = 0;
    return err;
}

static bool owes_stream(const struct sp *s)
{
    for (unsigned i = 0; i < s->nowed; i++)
        if (s->owed[i].len)
            return true;
    return false;
}

/*
 * One command: opcode + params, then the reply (ACK + rlen bytes). Pipelined ACKs are read
 * after sending (no extra round trip); streams sent ahead are drained first, since a device
 * busy streaming to us may not read a long command.
 */
static int command(struct sp *s, uint8_t op, const void *params, size_t plen, void *reply,
                   size_t rlen)
{
    int r;
    if (owes_stream(s) && (r = settle(s)))
        return r;
    uint8_t small[64];
    uint8_t *buf = plen + 1 <= sizeof(small) ? small : malloc(plen + 1);
    if (!buf)
        return CD_E_NOMEM;
    buf[0] = op;
    if (plen)
        memcpy(buf + 1, params, plen);
    r = xsend(s, buf, plen + 1);
    if (buf != small)
        free(buf);
    if (!r)
        r = settle(s);
    if (!r)
        r = ack(s, op);
    if (!r && rlen)
        r = xrecv(s, reply, rlen, REPLY_TIMEOUT_MS);
    if (r == CD_E_TIMEOUT && rlen)
        return cd_fail(CD_E_TIMEOUT, "%s: the reply to command 0x%02X stopped", s->l->prog, op);
    return r;
}

static int owe(struct sp *s, struct owed o)
{
    int r;
    if (s->nowed == MAX_OWED && (r = settle(s)))
        return r;
    s->owed[s->nowed++] = o;
    return CD_OK;
}

/*
 * A command whose reply is a bare ACK, sent without waiting for it: the ACK is read with the
 * next reply, so WREN, page program and board-side waits cost no round trip of their own. A
 * NAK still fails the job, reported by the next command that reads replies. Never more
 * than the device's serial buffer (Q_SERBUF) is sent ahead.
 */
static int command_ahead(struct sp *s, uint8_t op, const void *params, size_t plen)
{
    int r;
    if (owes_stream(s) && (r = settle(s)))
        return r;
    if ((s->nowed == MAX_OWED || s->inflight + plen + 1 > s->serbuf) && (r = settle(s)))
        return r;
    uint8_t *buf = malloc(plen + 1);
    if (!buf)
        return CD_E_NOMEM;
    buf[0] = op;
    if (plen)
        memcpy(buf + 1, params, plen);
    r = xsend(s, buf, plen + 1);
    free(buf);
    if (r)
        return r;
    s->inflight += (uint32_t)plen + 1;
    return owe(s, (struct owed){.cmd = op});
}

/* ---- synchronisation and negotiation ---- */

/* flashrom's way: NOPs to finish whatever the parser was in, then SYNCNOP until NAK ACK. */
static int synchronize(struct sp *s)
{
    static const uint8_t nops[8] = {0};
    int r = xsend(s, nops, sizeof(nops));
    if (r)
        return r;
    s->l->drain(s->l, 100);
    for (int attempt = 0; attempt < 8; attempt++) {
        uint8_t c = SP_SYNCNOP;
        if ((r = xsend(s, &c, 1)))
            return r;
        bool nak = false;
        for (int i = 0; i < 16; i++) {
            if (xrecv(s, &c, 1, 300))
                break;
            if (nak && c == SP_ACK) {
                /* once more, to be sure the ACK was not a stray byte */
                c = SP_SYNCNOP;
                uint8_t two[2];
                if ((r = xsend(s, &c, 1)))
                    return r;
                if (!xrecv(s, two, 2, 1000) && two[0] == SP_NAK && two[1] == SP_ACK)
                    return CD_OK;
                break;
            }
            nak = c == SP_NAK;
        }
        s->l->drain(s->l, 50);
    }
    return cd_fail(CD_E_NO_DEVICE,
                   "%s: no serprog device answers on %s (SYNCNOP got no NAK+ACK); check the "
                   "port and that the board runs serprog firmware",
                   s->l->prog, s->l->name);
}

static int negotiate(struct sp *s, const struct sp_settings *set)
{
    uint8_t b[32];
    int r = synchronize(s);
    if (r)
        return r;
    if ((r = command(s, SP_Q_IFACE, NULL, 0, b, 2)))
        return r;
    if (get_le(b, 2) != 1)
        return cd_fail(CD_E_PROTOCOL, "%s: serprog interface version %u (only 1 is spoken)",
                       s->l->prog, (unsigned)get_le(b, 2));
    if ((r = command(s, SP_Q_CMDMAP, NULL, 0, s->map, 32)))
        return r;
    if (!has(s, SP_O_SPIOP))
        return cd_fail(CD_E_UNSUPPORTED, "%s: the device offers no SPI operation (serprog 0x13)",
                       s->l->prog);
    if (has(s, SP_Q_BUSTYPE)) {
        if ((r = command(s, SP_Q_BUSTYPE, NULL, 0, b, 1)))
            return r;
        if (!(b[0] & SP_BUS_SPI))
            return cd_fail(CD_E_UNSUPPORTED, "%s: the device has no SPI bus (bus types 0x%02X)",
                           s->l->prog, b[0]);
    }
    if (has(s, SP_S_BUSTYPE)) {
        b[0] = SP_BUS_SPI;
        if ((r = command(s, SP_S_BUSTYPE, b, 1, NULL, 0)))
            return r;
    }
    s->wrn = DEFAULT_MAX_WRITE + 5; /* 256 data bytes after a 4-byte-address opcode */
    s->rdn = DEFAULT_MAX_READ;
    if (has(s, SP_Q_WRNMAXLEN) && !command(s, SP_Q_WRNMAXLEN, NULL, 0, b, 3))
        s->wrn = get_le(b, 3) ? get_le(b, 3) : 0xFFFFFF;
    if (has(s, SP_Q_RDNMAXLEN) && !command(s, SP_Q_RDNMAXLEN, NULL, 0, b, 3))
        s->rdn = get_le(b, 3) ? get_le(b, 3) : 0xFFFFFF;
    if (s->wrn < 8)
        return cd_fail(CD_E_PROTOCOL, "%s: the device takes only %u-byte SPI writes", s->l->prog,
                       (unsigned)s->wrn);
    strcpy(s->name, "(unnamed)");
    if (has(s, SP_Q_PGMNAME) && !command(s, SP_Q_PGMNAME, NULL, 0, b, 16)) {
        memcpy(s->name, b, 16);
        s->name[16] = '\0';
        for (char *c = s->name; *c; c++)
            if (*c < 0x20 || *c > 0x7E)
                *c = '?';
    }
    s->serbuf = 16; /* flashrom's assumption for a device that does not say */
    if (has(s, SP_Q_SERBUF) && !command(s, SP_Q_SERBUF, NULL, 0, b, 2))
        s->serbuf = get_le(b, 2);
    if (has(s, CD_Q_INFO)) {
        if ((r = command(s, CD_Q_INFO, NULL, 0, b, CD_INFO_REPLY)))
            return r;
        s->ext = !memcmp(b, CD_INFO_MAGIC, 4) && get_le(b + 4, 2) >= 1;
    }
    if (set->spi_hz) {
        if (!has(s, SP_S_SPI_FREQ))
            return cd_fail(CD_E_UNSUPPORTED, "%s: the device cannot set its SPI clock", s->l->prog);
        le(b, set->spi_hz, 4);
        if ((r = command(s, SP_S_SPI_FREQ, b, 4, b, 4)))
            return r;
    }
    if (has(s, SP_S_PIN_STATE)) {
        b[0] = 1;
        if ((r = command(s, SP_S_PIN_STATE, b, 1, NULL, 0)))
            return r;
    }
    return CD_OK;
}

/* ---- programmer ops ---- */

static int sp_exec(struct cd_programmer *p, const struct cd_op *op)
{
    struct sp *s = p->priv;
    uint32_t slen = 1u + op->addr_len + op->dummy_len + (op->dir == CD_DATA_OUT ? op->data_len : 0);
    uint32_t rlen = op->dir == CD_DATA_IN ? op->data_len : 0;
    if (op->addr_len > 4)
        return cd_fail(CD_E_ARG, "serprog: %u address bytes", op->addr_len);
    if (slen > s->wrn || rlen > s->rdn)
        return cd_fail(CD_E_UNSUPPORTED,
                       "%s: SPI op 0x%02X writes %u and reads %u bytes; the device takes at most "
                       "%u and %u",
                       s->l->prog, op->cmd, slen, rlen, s->wrn, s->rdn);
    uint8_t *par = malloc(6 + slen);
    if (!par)
        return CD_E_NOMEM;
    le(par, slen, 3);
    le(par + 3, rlen, 3);
    uint8_t *w = par + 6;
    *w++ = op->cmd;
    for (int i = op->addr_len - 1; i >= 0; i--)
        *w++ = (uint8_t)(op->addr >> (8 * i));
    memset(w, 0xFF, op->dummy_len);
    w += op->dummy_len;
    if (op->dir == CD_DATA_OUT && op->data_len)
        memcpy(w, op->data.out, op->data_len);
    int r = rlen ? command(s, SP_O_SPIOP, par, 6 + slen, op->data.in, rlen)
                 : command_ahead(s, SP_O_SPIOP, par, 6 + slen);
    free(par);
    return r;
}

static int sp_delay(struct cd_programmer *p, uint32_t us)
{
    struct sp *s = p->priv;
    if (!has(s, SP_O_DELAY) || !has(s, SP_O_EXEC)) {
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        return CD_OK;
    }
    /* The board waits; the ACKs are read with the next reply (no round trip of its own). */
    uint8_t b[4];
    le(b, us, 4);
    int r = command_ahead(s, SP_O_DELAY, b, 4);
    return r ? r : command_ahead(s, SP_O_EXEC, NULL, 0);
}

static int send_stream(struct sp *s, uint8_t cmd, uint8_t alen, uint8_t dummy, uint32_t addr,
                       uint32_t len)
{
    uint8_t b[12] = {CD_R_STREAM, cmd, alen, dummy};
    le(b + 4, addr, 4);
    le(b + 8, len, 4);
    int r =
        owe(s, (struct owed){.len = len, .cmd = cmd, .alen = alen, .dummy = dummy, .addr = addr});
    if (!r && (r = xsend(s, b, sizeof(b))))
        s->nowed = 0;
    return r;
}

/*
 * Streamed NOR read. When reads are sequential (the read job asks for chunk after chunk), the
 * request for the next chunk goes out before this one is read, so the board streams without
 * a gap; a guess that turns out wrong costs one chunk of reading, drained later.
 */
static int sp_nor_read(struct cd_programmer *p, uint8_t cmd, uint8_t alen, uint8_t dummy,
                       uint32_t addr, void *buf, uint32_t len)
{
    struct sp *s = p->priv;
    int r;
    if (!len)
        return CD_OK;
    bool seq = s->seq_valid && s->seq_cmd == cmd && s->seq_alen == alen && s->seq_dummy == dummy &&
               s->seq_next == addr;
    const struct owed *h = s->nowed ? &s->owed[0] : NULL;
    bool ahead = h && s->nowed == 1 && h->len == len && h->addr == addr && h->cmd == cmd &&
                 h->alen == alen && h->dummy == dummy;
    if (!ahead) {
        if ((r = settle(s)) || (r = send_stream(s, cmd, alen, dummy, addr, len)))
            return r;
    }
    uint64_t next = (uint64_t)addr + len;
    if (seq && (alen == 4 || next < (1ull << (8 * alen))) && next <= UINT32_MAX &&
        (r = send_stream(s, cmd, alen, dummy, (uint32_t)next, len)))
        return r;
    /* the head of the queue is now this read */
    s->seq_valid = false;
    if ((r = ack(s, CD_R_STREAM)) || (r = xrecv(s, buf, len, REPLY_TIMEOUT_MS))) {
        s->nowed = 0;
        if (r == CD_E_TIMEOUT)
            r = cd_fail(CD_E_TIMEOUT, "%s: the streamed read at 0x%X stopped", s->l->prog, addr);
        return r;
    }
    memmove(s->owed, s->owed + 1, (s->nowed - 1) * sizeof(s->owed[0]));
    s->nowed--;
    s->seq_valid = true;
    s->seq_cmd = cmd;
    s->seq_alen = alen;
    s->seq_dummy = dummy;
    s->seq_next = (uint32_t)next;
    return CD_OK;
}

/* SPI-NAND pages with CD_R_NAND: one request, one reply stream (status + data per page). */
static int sp_nand_read_pages(struct cd_programmer *p, const struct cd_nand_pages *rq,
                              uint32_t *done)
{
    struct sp *s = p->priv;
    *done = 0;
    if (!rq->count)
        return CD_OK;
    if (rq->len == 0 || rq->len > 17408 || rq->column > 0xFFFF || rq->addr_len < 1 ||
        rq->addr_len > 3 || rq->dummy_len > 4 || (uint64_t)rq->row + rq->count > (1u << 24) ||
        (rq->plane_row_bit != 0xFF && (rq->plane_row_bit > 23 || rq->plane_col_bit > 15)))
        return CD_E_UNSUPPORTED;
    uint8_t b[20];
    le(b, rq->row, 4);
    le(b + 4, rq->count, 4);
    le(b + 8, rq->column, 2);
    le(b + 10, rq->len, 2);
    b[12] = rq->cache_op;
    b[13] = rq->addr_len;
    b[14] = rq->dummy_len;
    b[15] = rq->plane_row_bit;
    b[16] = rq->plane_col_bit;
    b[17] = 0;
    le(b + 18, rq->timeout_us > 0xFFFF ? 0xFFFF : rq->timeout_us, 2);
    s->seq_valid = false;
    int r = command(s, CD_R_NAND, b, sizeof(b), NULL, 0);
    if (r)
        return r;
    for (uint32_t i = 0; i < rq->count; i++) {
        if ((r = xrecv(s, &rq->status[i], 1, REPLY_TIMEOUT_MS)))
            break;
        if (rq->status[i] & 0x01)
            return cd_fail(CD_E_TIMEOUT, "%s: row %u still busy after %u us (status 0x%02X)",
                           s->l->prog, rq->row + i, rq->timeout_us, rq->status[i]);
        if ((r = xrecv(s, rq->buf + (size_t)i * rq->len, rq->len, REPLY_TIMEOUT_MS)))
            break;
        *done = i + 1;
    }
    if (r == CD_E_TIMEOUT) /* not a busy chip (that is CD_E_TIMEOUT above): a broken pipe */
        return cd_fail(CD_E_PROTOCOL, "%s: the NAND page stream stopped at row %u", s->l->prog,
                       rq->row + *done);
    return r;
}

static void sp_close(struct cd_programmer *p)
{
    struct sp *s = p->priv;
    if (!s)
        return;
    if (s->l) {
        if (!settle(s) && has(s, SP_S_PIN_STATE)) {
            uint8_t off = 0;
            command(s, SP_S_PIN_STATE, &off, 1, NULL, 0); /* let the board's SoC have the bus */
        }
        s->l->close(s->l);
    }
    free(s);
}

static const struct cd_programmer_ops sp_ops = {
    .name = "serprog",
    .exec_op = sp_exec,
    .delay_us = sp_delay,
    .close = sp_close,
};

static const struct cd_programmer_ops sp_ext_ops = {
    .name = "serprog",
    .exec_op = sp_exec,
    .delay_us = sp_delay,
    .nor_read = sp_nor_read,
    .close = sp_close,
};

int cd_serprog_attach(struct sp_link *l, const char *kind, const char *desc,
                      const struct sp_settings *set, const struct cd_chip *emulated,
                      struct cd_programmer **out)
{
    *out = NULL;
    struct sp *s = calloc(1, sizeof(*s));
    struct cd_programmer *p = calloc(1, sizeof(*p));
    if (!s || !p) {
        free(s);
        free(p);
        l->close(l);
        return CD_E_NOMEM;
    }
    s->l = l;
    l->prog = kind;
    p->ops = &sp_ops;
    p->priv = s;
    p->kind = (char *)kind;
    p->emulated_chip = emulated;
    int r = negotiate(s, set);
    if (r) {
        if (!has(s, SP_S_PIN_STATE))
            memset(s->map, 0, sizeof(s->map)); /* nothing to undo on close */
        cd_programmer_close(p);
        return r;
    }
    s->ops = s->ext && has(s, CD_R_STREAM) ? sp_ext_ops : sp_ops;
    if (s->ext && has(s, CD_R_NAND))
        s->ops.nand_read_pages = sp_nand_read_pages;
    p->ops = &s->ops;
    p->max_write = s->wrn - 5; /* room for the opcode and a 4-byte address */
    p->max_read = s->rdn;
    char d[512];
    snprintf(d, sizeof(d), "%s (%s, \"%s\"%s)", kind, desc, s->name,
             s->ext ? ", chipdump extensions" : "");
    p->description = strdup(d);
    if (!p->description) {
        cd_programmer_close(p);
        return CD_E_NOMEM;
    }
    *out = p;
    return CD_OK;
}

/* ---- -p parsing ---- */

static int parse_hz(const char *val, uint32_t *hz)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (end == val || errno)
        return cd_fail(CD_E_ARG, "bad spispeed '%s' (Hz, or with k/M: 500k, 30M)", val);
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M')
        v *= 1e6, end++;
    if (*end || v < 1 || v > 4294967295.0)
        return cd_fail(CD_E_ARG, "bad spispeed '%s' (Hz, or with k/M: 500k, 30M)", val);
    *hz = (uint32_t)v;
    return CD_OK;
}

int cd_serprog_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                    struct cd_programmer **out)
{
    char key[32], val[4096], dev[4096] = "", tcp[512] = "", loop[128] = "", image[4096] = "";
    bool plain = false;
    unsigned long baud = 0;
    struct sp_settings set = {0};
    const char *cur = params;
    int r;
    *out = NULL;
    while ((r = cd_spec_next_param(&cur, key, sizeof(key), val, sizeof(val))) > 0) {
        if (!strcmp(key, "dev")) {
            snprintf(dev, sizeof(dev), "%s", val);
        } else if (!strcmp(key, "tcp") || !strcmp(key, "ip")) {
            if (strlen(val) >= sizeof(tcp))
                return cd_fail(CD_E_ARG, "serprog: tcp address too long");
            memcpy(tcp, val, strlen(val) + 1);
        } else if (!strcmp(key, "loop")) {
            if (strlen(val) >= sizeof(loop))
                return cd_fail(CD_E_ARG, "serprog: chip name too long");
            memcpy(loop, val, strlen(val) + 1);
        } else if (!strcmp(key, "image")) {
            snprintf(image, sizeof(image), "%s", val);
        } else if (!strcmp(key, "mimic")) {
            if (strcmp(val, "pico-serprog"))
                return cd_fail(CD_E_ARG, "serprog: mimic= knows only pico-serprog");
            plain = true;
        } else if (!strcmp(key, "baud")) {
            char *end;
            baud = strtoul(val, &end, 10);
            if (*end || !baud)
                return cd_fail(CD_E_ARG, "serprog: bad baud '%s'", val);
        } else if (!strcmp(key, "spispeed")) {
            if ((r = parse_hz(val, &set.spi_hz)))
                return r;
        } else {
            return cd_fail(CD_E_ARG,
                           "serprog: unknown parameter '%s' (known: dev, baud, tcp, loop, image, "
                           "mimic, spispeed)",
                           key);
        }
    }
    if (r < 0)
        return r;
    int where = !!dev[0] + !!tcp[0] + !!loop[0];
    if (where != 1)
        return cd_fail(CD_E_ARG, "serprog: give exactly one of dev=PATH, tcp=HOST:PORT or "
                                 "loop=CHIP (e.g. -p serprog:dev=/dev/ttyACM0)");
    if ((image[0] || plain) && !loop[0])
        return cd_fail(CD_E_ARG, "serprog: image= and mimic= go with loop=CHIP");
    if (baud && !dev[0])
        return cd_fail(CD_E_ARG, "serprog: baud= goes with dev=PATH");

    struct sp_link *l;
    const struct cd_chip *chip = NULL;
    char desc[4200];
    if (dev[0]) {
        r = cd_sp_link_tty(dev, baud ? (unsigned)baud : 115200, &l);
        snprintf(desc, sizeof(desc), "%s", dev);
    } else if (tcp[0]) {
        r = cd_sp_link_tcp(tcp, &l);
        snprintf(desc, sizeof(desc), "tcp %s", tcp);
    } else {
        (void)chip_hint;
        if ((r = cd_chipdb_find_name(db, loop, &chip)))
            return r;
        r = cd_sp_link_loop(chip, image[0] ? image : NULL, plain, &l);
        snprintf(desc, sizeof(desc), "loop %s, %s", chip->name,
                 image[0]                    ? image
                 : chip->type == CD_CHIP_NOR ? "demo image"
                                             : "erased");
    }
    if (r)
        return r;
    return cd_serprog_attach(l, "serprog", desc, &set, chip, out);
}

int cd_rp2040_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                   struct cd_programmer **out)
{
    char key[32], val[256], serial[256] = "";
    struct sp_settings set = {0};
    const char *cur = params;
    int r;
    (void)db;
    (void)chip_hint;
    *out = NULL;
    while ((r = cd_spec_next_param(&cur, key, sizeof(key), val, sizeof(val))) > 0) {
        if (!strcmp(key, "serial")) {
            memcpy(serial, val, strlen(val) + 1);
        } else if (!strcmp(key, "spispeed")) {
            if ((r = parse_hz(val, &set.spi_hz)))
                return r;
        } else {
            return cd_fail(CD_E_ARG, "rp2040: unknown parameter '%s' (known: serial, spispeed)",
                           key);
        }
    }
    if (r < 0)
        return r;
    struct sp_link *l;
    if ((r = cd_sp_link_usb(serial[0] ? serial : NULL, &l)))
        return r;
    char desc[300];
    snprintf(desc, sizeof(desc), "usb %04x:%04x%s%s", CD_USB_VID, CD_USB_PID,
             serial[0] ? " serial " : "", serial);
    return cd_serprog_attach(l, "rp2040", desc, &set, NULL, out);
}
