/*
 * USB device: descriptors, chapter-9 control requests and a CDC-ACM function (USB CDC 1.2,
 * PSTN subclass 1.2 for the ACM requests). One configuration, two interfaces joined by an
 * interface association: 0 = communications (notification EP 0x81, never used), 1 = data (bulk
 * OUT 0x02 and bulk IN 0x82, 64-byte packets, the full-speed maximum for bulk).
 *
 * Data path: OUT packets are copied from DPRAM into rx_ring and the endpoint is re-armed only
 * when a whole packet fits again (the host is NAKed meanwhile: flow control). cdc_write() fills
 * tx_ring; the pump sends full 64-byte packets, and a short packet (or a zero-length packet
 * after a full one) only up to the point cdc_flush() marked, so a long reply goes out as full
 * packets with one short packet at its end.
 */
#include "rp2040.h"
#include "usb_cdc.h"
#include "usb_dcd.h"

#define EP0_SIZE     64u
#define EP_NOTIF     0x81u
#define EP_DATA_OUT  0x02u
#define EP_DATA_IN   0x82u
#define BULK_SIZE    64u
#define BUF_DATA_OUT (USB_DPRAM_DATA_START + 0x00u)
#define BUF_DATA_IN  (USB_DPRAM_DATA_START + 0x40u)
#define BUF_NOTIF    (USB_DPRAM_DATA_START + 0x80u)

#define RX_RING 2048u /* powers of two */
#define TX_RING 4096u

struct cdc_stats cdc_stats;

/* ---- descriptors (USB 2.0 9.6, CDC 1.2 5.2.3, IAD ECN) ---- */

static const uint8_t dev_desc[18] = {
    18,
    1, /* bLength, DEVICE */
    0x00,
    0x02, /* bcdUSB 2.00 */
    0xef,
    0x02,
    0x01,     /* class "miscellaneous", common class, IAD: the IAD says CDC */
    EP0_SIZE, /* bMaxPacketSize0 */
    CDC_USB_VID & 0xff,
    CDC_USB_VID >> 8,
    CDC_USB_PID & 0xff,
    CDC_USB_PID >> 8,
    0x00,
    0x01, /* bcdDevice 1.00 */
    1,
    2,
    3, /* iManufacturer, iProduct, iSerialNumber */
    1, /* one configuration */
};

#define CFG_LEN (9 + 8 + 9 + 5 + 5 + 4 + 5 + 7 + 9 + 7 + 7)

static const uint8_t cfg_desc[CFG_LEN] = {
    9,
    2,
    CFG_LEN & 0xff,
    CFG_LEN >> 8,
    2,
    1,
    0,
    0x80,
    50, /* 2 interfaces, bus powered 100 mA */
    8,
    11,
    0,
    2,
    2,
    2,
    0,
    0, /* IAD: interfaces 0..1, CDC / ACM */
    9,
    4,
    0,
    0,
    1,
    2,
    2,
    0,
    0, /* interface 0: CDC communications, ACM, no AT protocol */
    5,
    0x24,
    0x00,
    0x20,
    0x01, /* header functional descriptor, CDC 1.20 */
    5,
    0x24,
    0x01,
    0x00,
    1, /* call management: none, data interface 1 */
    4,
    0x24,
    0x02,
    0x02, /* ACM: SET/GET_LINE_CODING + SET_CONTROL_LINE_STATE */
    5,
    0x24,
    0x06,
    0,
    1, /* union: master 0, slave 1 */
    7,
    5,
    EP_NOTIF,
    3,
    16,
    0,
    16, /* notification: interrupt IN, 16 bytes, every 16 ms */
    9,
    4,
    1,
    0,
    2,
    0x0a,
    0,
    0,
    0, /* interface 1: CDC data */
    7,
    5,
    EP_DATA_OUT,
    2,
    BULK_SIZE,
    0,
    0,
    7,
    5,
    EP_DATA_IN,
    2,
    BULK_SIZE,
    0,
    0,
};

static const char *const strings[] = {NULL, "chipdump", CDC_USB_PRODUCT, NULL /* serial */};
static char serial_str[24];

/* ---- state ---- */

enum ep0_stage { EP0_IDLE, EP0_DATA_IN, EP0_DATA_OUT, EP0_STATUS_IN, EP0_STATUS_OUT };

static struct {
    enum ep0_stage stage;
    const uint8_t *data; /* IN data stage: what is left to send */
    uint32_t left;
    bool zlp;         /* IN data shorter than wLength and a multiple of 64: end with a ZLP */
    uint8_t req;      /* bRequest of an OUT data stage */
    uint8_t set_addr; /* nonzero: apply after the status stage */
    uint8_t reply[8]; /* small replies (status, configuration, line coding) */
    uint8_t desc[64]; /* string descriptors are built here */
} ep0;

static uint8_t configured;
static bool dtr, opened;
static uint8_t line_coding[7] = {0x00, 0xc2, 0x01, 0x00, 0, 0, 8}; /* 115200 8N1 */

static uint8_t rx_ring[RX_RING];
static uint32_t rx_head, rx_tail; /* free-running byte counters */
static bool out_armed;

/* +4: copy_to_words may read the aligned word after a packet that ends at the ring's end */
static uint8_t tx_ring[TX_RING + 4] __attribute__((aligned(4)));
static uint32_t tx_head, tx_tail, tx_flush_mark;
static bool in_busy;
static bool last_full; /* the last IN packet was 64 bytes: its transfer is still open */
static bool zlp_owed;  /* a flush ended exactly on a full packet */

/* ---- EP0 ---- */

static void ep0_in_next(void)
{
    uint32_t n = ep0.left < EP0_SIZE ? ep0.left : EP0_SIZE;
    volatile uint8_t *b = dcd_ep_buf(0x80);
    for (uint32_t i = 0; i < n; i++)
        b[i] = ep0.data[i];
    ep0.data += n;
    ep0.left -= n;
    if (n < EP0_SIZE)
        ep0.zlp = false; /* a short packet already ends the data stage */
    dcd_ep_arm(0x80, n);
}

static void ep0_send(const uint8_t *data, uint32_t len, uint16_t wlength)
{
    if (len > wlength)
        len = wlength;
    ep0.data = data;
    ep0.left = len;
    ep0.zlp = len < wlength && len % EP0_SIZE == 0;
    ep0.stage = EP0_DATA_IN;
    ep0_in_next();
}

static void ep0_status_in(void)
{
    ep0.stage = EP0_STATUS_IN;
    dcd_ep_arm(0x80, 0);
}

static const uint8_t *string_desc(unsigned idx, uint32_t *len)
{
    if (idx == 0) {
        static const uint8_t langid[4] = {4, 3, 0x09, 0x04}; /* English (US) */
        *len = sizeof(langid);
        return langid;
    }
    const char *s = idx == 3 ? serial_str : idx < 3 ? strings[idx] : NULL;
    if (!s)
        return NULL;
    uint32_t n = 0;
    while (s[n] && n < 31)
        n++;
    ep0.desc[0] = (uint8_t)(2 + 2 * n);
    ep0.desc[1] = 3;
    for (uint32_t i = 0; i < n; i++) { /* UTF-16LE */
        ep0.desc[2 + 2 * i] = (uint8_t)s[i];
        ep0.desc[3 + 2 * i] = 0;
    }
    *len = ep0.desc[0];
    return ep0.desc;
}

static void close_pipe(void)
{
    opened = false;
    rx_head = rx_tail = 0;
    tx_head = tx_tail = tx_flush_mark = 0;
}

static void configure(uint8_t cfg)
{
    configured = cfg;
    in_busy = false;
    out_armed = false;
    last_full = zlp_owed = false;
    close_pipe();
    dtr = false;
    if (!cfg)
        return;
    dcd_ep_open(EP_NOTIF, EP_TYPE_INTERRUPT, BUF_NOTIF);
    dcd_ep_open(EP_DATA_OUT, EP_TYPE_BULK, BUF_DATA_OUT);
    dcd_ep_open(EP_DATA_IN, EP_TYPE_BULK, BUF_DATA_IN);
}

static void handle_setup(const uint8_t *s)
{
    uint8_t type = s[0], req = s[1];
    uint16_t wvalue = (uint16_t)(s[2] | s[3] << 8);
    uint16_t wlength = (uint16_t)(s[6] | s[7] << 8);

    /* every control transfer's data and status stages start with DATA1 (USB 2.0 8.5.3) */
    dcd_ep_set_pid(0x80, true);
    dcd_ep_set_pid(0x00, true);
    REG(USB_EP_STALL_ARM) = 0;
    ep0.stage = EP0_IDLE;
    ep0.set_addr = 0;

    switch ((type << 8) | req) {
    case 0x8006: { /* GET_DESCRIPTOR */
        const uint8_t *d = NULL;
        uint32_t len = 0;
        switch (wvalue >> 8) {
        case 1:
            d = dev_desc;
            len = sizeof(dev_desc);
            break;
        case 2:
            d = cfg_desc;
            len = sizeof(cfg_desc);
            break;
        case 3:
            d = string_desc(wvalue & 0xff, &len);
            break;
        default: /* DEVICE_QUALIFIER etc.: a full-speed-only device STALLs (USB 2.0 9.6.2) */
            break;
        }
        if (!d)
            break;
        ep0_send(d, len, wlength);
        return;
    }
    case 0x0005: /* SET_ADDRESS: takes effect after the status stage (USB 2.0 9.4.6) */
        ep0.set_addr = (uint8_t)(wvalue & 0x7f);
        ep0_status_in();
        return;
    case 0x0009: /* SET_CONFIGURATION */
        if (wvalue > 1)
            break;
        configure((uint8_t)wvalue);
        ep0_status_in();
        return;
    case 0x8008: /* GET_CONFIGURATION */
        ep0.reply[0] = configured;
        ep0_send(ep0.reply, 1, wlength);
        return;
    case 0x8000: /* GET_STATUS device: bus powered, no remote wakeup */
    case 0x8100: /* interface */
    case 0x8200: /* endpoint: never halted */
        ep0.reply[0] = ep0.reply[1] = 0;
        ep0_send(ep0.reply, 2, wlength);
        return;
    case 0x810a: /* GET_INTERFACE: alternate setting 0 */
        ep0.reply[0] = 0;
        ep0_send(ep0.reply, 1, wlength);
        return;
    case 0x010b: /* SET_INTERFACE: only alternate setting 0 exists */
        if (wvalue != 0)
            break;
        ep0_status_in();
        return;
    case 0x0201: /* CLEAR_FEATURE(ENDPOINT_HALT): restart the data toggle at DATA0 */
        if (wvalue != 0)
            break;
        dcd_ep_set_pid(s[4], false);
        ep0_status_in();
        return;
    case 0x2120: /* SET_LINE_CODING: 7 bytes follow in the data stage */
        if (wlength != sizeof(line_coding))
            break;
        ep0.stage = EP0_DATA_OUT;
        ep0.req = req;
        dcd_ep_arm(0x00, EP0_SIZE);
        return;
    case 0xa121: /* GET_LINE_CODING */
        ep0_send(line_coding, sizeof(line_coding), wlength);
        return;
    case 0x2122: { /* SET_CONTROL_LINE_STATE: bit 0 DTR. Closing the port drops DTR. */
        bool new_dtr = (wvalue & 1u) != 0;
        if (dtr && !new_dtr)
            close_pipe();
        if (new_dtr)
            opened = true;
        dtr = new_dtr;
        ep0_status_in();
        return;
    }
    case 0x2123: /* SEND_BREAK: nothing to break */
        ep0_status_in();
        return;
    default:
        break;
    }
    dcd_ep0_stall();
}

static void ep0_in_done(void)
{
    switch (ep0.stage) {
    case EP0_DATA_IN:
        if (ep0.left || ep0.zlp) {
            if (!ep0.left)
                ep0.zlp = false;
            ep0_in_next();
        } else {
            ep0.stage = EP0_STATUS_OUT; /* the host acknowledges with a zero-length OUT */
            dcd_ep_arm(0x00, EP0_SIZE);
        }
        break;
    case EP0_STATUS_IN:
        if (ep0.set_addr) {
            dcd_set_address(ep0.set_addr);
            ep0.set_addr = 0;
        }
        ep0.stage = EP0_IDLE;
        break;
    default:
        break;
    }
}

static void ep0_out_done(void)
{
    if (ep0.stage == EP0_DATA_OUT) {
        uint32_t n = dcd_ep_out_len(0);
        volatile uint8_t *b = dcd_ep_buf(0x00);
        if (ep0.req == 0x20 && n == sizeof(line_coding))
            for (uint32_t i = 0; i < n; i++)
                line_coding[i] = b[i];
        ep0_status_in();
    } else {
        ep0.stage = EP0_IDLE;
    }
}

/* ---- data endpoints ---- */

static void rx_pump(void)
{
    if (configured && !out_armed && RX_RING - (rx_head - rx_tail) >= BULK_SIZE) {
        out_armed = true;
        dcd_ep_arm(EP_DATA_OUT, BULK_SIZE);
    }
}

static void rx_done(void)
{
    uint32_t n = dcd_ep_out_len(EP_DATA_OUT);
    volatile uint8_t *b = dcd_ep_buf(EP_DATA_OUT);
    out_armed = false;
    if (n)
        opened = true; /* a host writing to us has the pipe open, DTR or not */
    for (uint32_t i = 0; i < n; i++)
        rx_ring[(rx_head + i) & (RX_RING - 1)] = b[i];
    rx_head += n;
    cdc_stats.out_packets++;
    cdc_stats.out_bytes += n;
}

/*
 * Copies that keep the per-byte cost of a streamed read low (newlib-nano's memcpy goes byte by
 * byte: ~8.5 cycles a byte here). Word loads and stores throughout; when source and destination
 * disagree on alignment, each stored word is funnel-shifted from two aligned source words.
 * These may read up to 3 bytes past the end of the source, but never past the aligned word
 * that holds its last byte.
 */
static inline uint32_t funnel(uint32_t lo, uint32_t hi, unsigned k)
{
    return (lo >> (8 * k)) | (hi << (32 - 8 * k)); /* k = 1..3; little-endian byte order */
}

/* n bytes from src (any alignment) to word-aligned dst, as ceil(n / 4) word stores */
static void copy_to_words(volatile uint32_t *dst, const uint8_t *src, uint32_t n)
{
    uint32_t words = (n + 3) / 4;
    unsigned k = (uintptr_t)src & 3u;
    const uint32_t *ws = (const uint32_t *)(const void *)(src - k);
    if (!k) {
        for (uint32_t i = 0; i < words; i++)
            dst[i] = ws[i];
        return;
    }
    uint32_t lo = ws[0];
    for (uint32_t i = 0; i < words; i++) {
        uint32_t hi = ws[i + 1];
        dst[i] = funnel(lo, hi, k);
        lo = hi;
    }
}

/* memcpy for the ring: bytes until dst is aligned, then copy_to_words, then the tail bytes */
static void copy_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
    while (n && ((uintptr_t)dst & 3u)) {
        *dst++ = *src++;
        n--;
    }
    size_t whole = n & ~(size_t)3;
    if (whole)
        copy_to_words((volatile uint32_t *)(void *)dst, src, (uint32_t)whole);
    for (size_t i = whole; i < n; i++)
        dst[i] = src[i];
}

/* Copy n <= 64 bytes from tx_ring at tx_tail into the IN buffer (DPRAM: 32-bit stores). */
static void copy_to_dpram(volatile uint8_t *dst, uint32_t n)
{
    volatile uint32_t *d = (volatile uint32_t *)(uintptr_t)dst;
    uint32_t off = tx_tail & (TX_RING - 1);
    if (off + n <= TX_RING) {
        copy_to_words(d, &tx_ring[off], n);
        return;
    }
    /* the packet wraps around the ring's end (once every 64 packets): gather it first */
    static uint8_t gather[BULK_SIZE] __attribute__((aligned(4)));
    uint32_t first = TX_RING - off;
    copy_bytes(gather, &tx_ring[off], first);
    copy_bytes(gather + first, tx_ring, n - first);
    copy_to_words(d, gather, n);
}

static void tx_pump(void)
{
    if (!configured || in_busy)
        return;
    uint32_t avail = tx_head - tx_tail;
    uint32_t n;
    if (avail >= BULK_SIZE)
        n = BULK_SIZE;
    else if ((int32_t)(tx_flush_mark - tx_tail) > 0)
        n = avail; /* flushed bytes left: a short packet ends the transfer */
    else if (zlp_owed)
        n = 0; /* flushed data ended on a full packet: a ZLP ends the transfer */
    else
        return;
    copy_to_dpram(dcd_ep_buf(EP_DATA_IN), n);
    tx_tail += n;
    last_full = n == BULK_SIZE;
    zlp_owed = last_full && tx_tail == tx_flush_mark;
    in_busy = true;
    cdc_stats.in_packets++;
    cdc_stats.in_bytes += n;
    if (n == BULK_SIZE)
        cdc_stats.in_full_packets++;
    if (n == 0)
        cdc_stats.in_zlps++;
    dcd_ep_arm(EP_DATA_IN, n);
}

static void tx_done(void)
{
    in_busy = false;
}

/* ---- public ---- */

void cdc_init(const char *serial)
{
    unsigned i = 0;
    for (; serial && serial[i] && i < sizeof(serial_str) - 1; i++)
        serial_str[i] = serial[i];
    serial_str[i] = 0;
    configure(0);
    dcd_init();
}

bool cdc_task(void)
{
    struct dcd_event ev;
    bool did = false;
    while (dcd_event_get(&ev)) {
        did = true;
        switch (ev.type) {
        case DCD_EVENT_BUS_RESET:
            dcd_set_address(0);
            configure(0);
            ep0.stage = EP0_IDLE;
            break;
        case DCD_EVENT_SETUP:
            handle_setup(ev.setup);
            break;
        case DCD_EVENT_XFER:
            if (ev.buff_status & (1u << 0))
                ep0_in_done();
            if (ev.buff_status & (1u << 1))
                ep0_out_done();
            if (ev.buff_status & (1u << (2 * (EP_DATA_OUT & 0xf) + 1)))
                rx_done();
            if (ev.buff_status & (1u << (2 * (EP_DATA_IN & 0xf))))
                tx_done();
            break;
        default:
            break;
        }
    }
    uint32_t before = tx_tail;
    bool was_armed = out_armed;
    rx_pump();
    tx_pump();
    return did || before != tx_tail || was_armed != out_armed;
}

size_t cdc_read(uint8_t *buf, size_t max)
{
    size_t n = rx_head - rx_tail;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        buf[i] = rx_ring[(rx_tail + i) & (RX_RING - 1)];
    rx_tail += (uint32_t)n;
    if (n)
        rx_pump();
    return n;
}

size_t cdc_write(const uint8_t *buf, size_t n)
{
    if (!configured)
        return 0;
    size_t space = TX_RING - (tx_head - tx_tail);
    if (n > space)
        n = space;
    uint32_t pos = tx_head & (TX_RING - 1);
    size_t first = TX_RING - pos < n ? TX_RING - pos : n;
    copy_bytes(&tx_ring[pos], buf, first);
    copy_bytes(&tx_ring[0], buf + first, n - first);
    tx_head += (uint32_t)n;
    if (tx_head - tx_tail >= BULK_SIZE)
        tx_pump();
    return n;
}

void cdc_flush(void)
{
    tx_flush_mark = tx_head;
    if (tx_tail == tx_head && last_full)
        zlp_owed = true;
    tx_pump();
}

bool cdc_connected(void)
{
    return configured && opened;
}

bool cdc_tx_idle(void)
{
    return !in_busy && tx_head == tx_tail;
}

bool cdc_rx_available(void)
{
    return rx_head != rx_tail;
}
