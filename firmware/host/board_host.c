/* firmware/host/board_host.c — board.h on the host: a chip model as the SPI bus, queues as USB. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/board.h"
#include "board_host.h"
#include "chipdump/sim.h"

/* Time a refused board_usb_write costs: the firmware spinning while the host does not read. */
#define REFUSED_WRITE_US 1000

struct queue {
    uint8_t *data;
    size_t head, tail, cap;
};

static struct {
    struct cd_spi_model *model;
    struct queue in, out;
    size_t out_cap;
    bool connected, realtime;
    uint32_t time_step_us;
    uint64_t now_ns;
    struct timespec last_real;
    struct fwh_stats st;
} b;

static size_t q_len(const struct queue *q)
{
    return q->tail - q->head;
}

static bool q_reserve(struct queue *q, size_t n)
{
    if (q->head == q->tail)
        q->head = q->tail = 0;
    if (q->tail + n <= q->cap)
        return true;
    size_t len = q_len(q);
    if (q->head >= len && len + n <= q->cap) {
        /* compact only when no more is moved than was consumed: amortised O(1) per byte */
        memmove(q->data, q->data + q->head, len);
    } else {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < len + n)
            cap *= 2;
        uint8_t *d = malloc(cap);
        if (!d)
            return false;
        if (len)
            memcpy(d, q->data + q->head, len);
        free(q->data);
        q->data = d;
        q->cap = cap;
    }
    q->head = 0;
    q->tail = len;
    return true;
}

static size_t q_put(struct queue *q, const void *buf, size_t n)
{
    if (!n || !q_reserve(q, n))
        return 0;
    memcpy(q->data + q->tail, buf, n);
    q->tail += n;
    return n;
}

static size_t q_take(struct queue *q, void *buf, size_t max)
{
    size_t n = q_len(q) < max ? q_len(q) : max;
    if (n) {
        memcpy(buf, q->data + q->head, n);
        q->head += n;
    }
    return n;
}

static void advance_ns(uint64_t ns)
{
    b.now_ns += ns;
    if (b.model)
        b.model->ops->advance_ns(b.model, ns);
}

static void sync_real(void)
{
    if (!b.realtime)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t d =
        (int64_t)(ts.tv_sec - b.last_real.tv_sec) * 1000000000 + (ts.tv_nsec - b.last_real.tv_nsec);
    b.last_real = ts;
    if (d > 0)
        advance_ns((uint64_t)d);
}

void fwh_reset(struct cd_spi_model *model)
{
    free(b.in.data);
    free(b.out.data);
    memset(&b, 0, sizeof(b));
    b.model = model;
    b.out_cap = (size_t)1 << 20;
    b.connected = true;
    clock_gettime(CLOCK_MONOTONIC, &b.last_real);
}

size_t fwh_host_write(const void *buf, size_t n)
{
    return q_put(&b.in, buf, n);
}

size_t fwh_host_read(void *buf, size_t max)
{
    return q_take(&b.out, buf, max);
}

size_t fwh_in_pending(void)
{
    return q_len(&b.in);
}

size_t fwh_out_pending(void)
{
    return q_len(&b.out);
}

void fwh_set_out_capacity(size_t cap)
{
    b.out_cap = cap;
}

void fwh_set_connected(bool connected)
{
    b.connected = connected;
    if (!connected) { /* what the host had not sent or read is lost with the connection */
        b.in.head = b.in.tail = 0;
        b.out.head = b.out.tail = 0;
    }
}

void fwh_set_realtime(bool realtime)
{
    b.realtime = realtime;
    clock_gettime(CLOCK_MONOTONIC, &b.last_real);
}

void fwh_set_time_step_us(uint32_t us)
{
    b.time_step_us = us;
}

void fwh_advance_us(uint64_t us)
{
    advance_ns(us * 1000);
}

const struct fwh_stats *fwh_stats(void)
{
    b.st.now_us = b.now_ns / 1000;
    return &b.st;
}

/* ---- board.h ---- */

void board_spi_xfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
    b.st.spi_bytes += n;
    if (!b.st.pins)
        b.st.spi_while_off += n;
    if (!b.st.cs)
        b.st.spi_without_cs += n;
    if (b.model && b.st.cs && b.st.pins)
        b.model->ops->xfer(b.model, tx, rx, n);
    else if (rx)
        memset(rx, 0xFF, n); /* nobody drives MISO: the pull-up wins */
    if (b.st.spi_hz)
        advance_ns((uint64_t)n * 8 * 1000000000ull / b.st.spi_hz);
}

void board_spi_cs(bool selected)
{
    if (selected == b.st.cs)
        return;
    b.st.cs = selected;
    if (selected)
        b.st.selects++;
    if (b.model && b.st.pins) {
        if (selected)
            b.model->ops->select(b.model);
        else
            b.model->ops->deselect(b.model);
    }
}

uint32_t board_spi_set_hz(uint32_t hz)
{
    /* like the RP2040's PL022 at clk_peri 125 MHz: 125 MHz / an even divisor 2..65024 */
    uint32_t div = hz ? (125000000u + hz - 1) / hz : 65024;
    div += div & 1;
    if (div < 2)
        div = 2;
    if (div > 65024)
        div = 65024;
    b.st.spi_hz = 125000000u / div;
    return b.st.spi_hz;
}

void board_spi_pins(bool enable)
{
    if (!enable && b.st.cs && b.model)
        b.model->ops->deselect(b.model); /* the chip sees CS# float high */
    b.st.pins = enable;
    if (enable && b.st.cs && b.model)
        b.model->ops->select(b.model);
}

uint32_t board_time_us(void)
{
    sync_real();
    if (b.time_step_us)
        advance_ns((uint64_t)b.time_step_us * 1000);
    return (uint32_t)(b.now_ns / 1000);
}

void board_delay_us(uint32_t us)
{
    advance_ns((uint64_t)us * 1000);
}

size_t board_usb_read(uint8_t *buf, size_t max)
{
    if (!b.connected)
        return 0;
    return q_take(&b.in, buf, max);
}

size_t board_usb_write(const uint8_t *buf, size_t n)
{
    if (!b.connected)
        return 0;
    size_t room = b.out_cap > q_len(&b.out) ? b.out_cap - q_len(&b.out) : 0;
    if (n > room)
        n = room;
    if (!n) {
        if (!b.realtime)
            advance_ns(REFUSED_WRITE_US * 1000ull);
        return 0;
    }
    return q_put(&b.out, buf, n);
}

void board_usb_flush(void)
{
    b.st.flushes++;
}

bool board_usb_connected(void)
{
    return b.connected;
}

void board_reboot_bootsel(void)
{
    b.st.bootsel++;
}
