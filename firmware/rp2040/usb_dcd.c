/*
 * RP2040 USB device controller (datasheet 4.1.2): DPRAM endpoint and buffer control words,
 * IRQ 5 handler that queues events. Register fields: hw.h, shared facts §6.8.
 */
#include "rp2040.h"
#include "usb_dcd.h"

#define EVQ_LEN 16u /* power of two */

static struct dcd_event evq[EVQ_LEN];
static volatile uint32_t evq_head, evq_tail; /* head: ISR writes; tail: main loop reads */
static uint8_t next_pid[16][2];              /* [ep][0 = IN, 1 = OUT]: 1 = DATA1 */

static inline unsigned ep_num(uint8_t ep_addr)
{
    return ep_addr & 0x0fu;
}

static inline unsigned ep_out(uint8_t ep_addr)
{
    return (ep_addr & 0x80u) ? 0u : 1u;
}

/* ISR only. The queue never drops a transfer completion: a BUFF_STATUS event merges into the
 * newest queued one when the queue is full (bits are sticky until handled anyway). */
static void evq_push(const struct dcd_event *ev)
{
    uint32_t head = evq_head;
    if (head - evq_tail >= EVQ_LEN) {
        struct dcd_event *last = &evq[(head - 1) & (EVQ_LEN - 1)];
        if (ev->type == DCD_EVENT_XFER && last->type == DCD_EVENT_XFER)
            last->buff_status |= ev->buff_status;
        return; /* a SETUP or reset can only overflow a stuck main loop; the host retries */
    }
    evq[head & (EVQ_LEN - 1)] = *ev;
    evq_head = head + 1;
}

void usb_irq_handler(void)
{
    uint32_t ints = REG(USB_INTS);
    struct dcd_event ev;

    if (ints & USB_INT_BUS_RESET) {
        REG(USB_SIE_STATUS) = USB_SIE_STATUS_BUS_RESET; /* write 1 to clear */
        REG(USB_ADDR_ENDP) = 0;
        ev.type = DCD_EVENT_BUS_RESET;
        evq_push(&ev);
    }
    if (ints & USB_INT_BUFF_STATUS) {
        uint32_t bs = REG(USB_BUFF_STATUS);
        REG(USB_BUFF_STATUS) = bs; /* write 1 to clear the bits we take */
        ev.type = DCD_EVENT_XFER;
        ev.buff_status = bs;
        evq_push(&ev);
    }
    if (ints & USB_INT_SETUP_REQ) {
        /* the 8 SETUP bytes sit at DPRAM 0..7 (datasheet 4.1.2.5.1) */
        uint32_t w0 = REG(USB_DPRAM_SETUP), w1 = REG(USB_DPRAM_SETUP + 4);
        for (unsigned i = 0; i < 4; i++) {
            ev.setup[i] = (uint8_t)(w0 >> (8 * i));
            ev.setup[4 + i] = (uint8_t)(w1 >> (8 * i));
        }
        REG(USB_SIE_STATUS) = USB_SIE_STATUS_SETUP_REC;
        ev.type = DCD_EVENT_SETUP;
        evq_push(&ev);
    }
}

bool dcd_event_get(struct dcd_event *ev)
{
    if (evq_tail == evq_head)
        return false;
    uint32_t s = irq_save();
    *ev = evq[evq_tail & (EVQ_LEN - 1)];
    evq_tail = evq_tail + 1;
    irq_restore(s);
    return true;
}

bool dcd_event_pending(void)
{
    return evq_tail != evq_head;
}

void dcd_init(void)
{
    reset_block(RESET_USBCTRL);
    unreset_block_wait(RESET_USBCTRL);
    for (uint32_t off = 0; off < 4096; off += 4)
        REG(USBCTRL_DPRAM_BASE + off) = 0;
    for (unsigned i = 0; i < 16; i++)
        next_pid[i][0] = next_pid[i][1] = 0;
    evq_head = evq_tail = 0;

    /* to the on-chip PHY; VBUS forced present (a Pico has no VBUS-detect pin wired to it) */
    REG(USB_MUXING) = USB_MUXING_TO_PHY | USB_MUXING_SOFTCON;
    REG(USB_PWR) = USB_PWR_VBUS_DETECT | USB_PWR_VBUS_DETECT_OVERRIDE_EN;
    REG(USB_MAIN_CTRL) = USB_MAIN_CTRL_CONTROLLER_EN;
    REG(USB_SIE_CTRL) = USB_SIE_CTRL_EP0_INT_1BUF; /* IRQ on every EP0 buffer */
    REG(USB_INTE) = USB_INT_BUFF_STATUS | USB_INT_BUS_RESET | USB_INT_SETUP_REQ;
    irq_enable(USBCTRL_IRQ);
    hw_set_bits(USB_SIE_CTRL, USB_SIE_CTRL_PULLUP_EN); /* attach: full speed, D+ pull-up */
}

void dcd_set_address(uint8_t addr)
{
    REG(USB_ADDR_ENDP) = addr & 0x7fu;
}

void dcd_ep_open(uint8_t ep_addr, uint32_t type, uint32_t buf)
{
    unsigned n = ep_num(ep_addr), out = ep_out(ep_addr);
    REG(USB_DPRAM_BUF_CTRL(n, out)) = 0;
    REG(USB_DPRAM_EP_CTRL(n, out)) =
        EP_CTRL_ENABLE | EP_CTRL_INTERRUPT_PER_BUFF | (type << EP_CTRL_TYPE_SHIFT) | buf;
    next_pid[n][out] = 0;
}

volatile uint8_t *dcd_ep_buf(uint8_t ep_addr)
{
    unsigned n = ep_num(ep_addr);
    uint32_t off = USB_DPRAM_EP0_BUF;
    if (n)
        off = REG(USB_DPRAM_EP_CTRL(n, ep_out(ep_addr))) & 0xffc0u;
    return (volatile uint8_t *)(uintptr_t)(USBCTRL_DPRAM_BASE + off);
}

void dcd_ep_arm(uint8_t ep_addr, uint32_t len)
{
    unsigned n = ep_num(ep_addr), out = ep_out(ep_addr);
    uint32_t v = (len & BUF_CTRL_LEN_MASK) | (next_pid[n][out] ? BUF_CTRL_DATA1_PID : 0);
    if (!out)
        v |= BUF_CTRL_FULL; /* IN: the buffer holds data for the host */
    next_pid[n][out] ^= 1u;
    uint32_t reg = USB_DPRAM_BUF_CTRL(n, out);
    /* Datasheet 4.1.2.5.1 / TinyUSB rp2040_usb.c: the controller samples the buffer-control
     * word on clk_usb, so write it without AVAILABLE first and set AVAILABLE only after at
     * least one clk_usb period has passed (48 MHz vs 125 MHz clk_sys: 3 cycles; 12 is the
     * margin TinyUSB keeps for clk_sys up to 12 x 48 MHz). */
    REG(reg) = v;
    __asm__ volatile("nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop");
    REG(reg) = v | BUF_CTRL_AVAILABLE;
}

uint32_t dcd_ep_out_len(uint8_t ep)
{
    return REG(USB_DPRAM_BUF_CTRL(ep_num(ep), 1)) & BUF_CTRL_LEN_MASK;
}

void dcd_ep_set_pid(uint8_t ep_addr, bool data1)
{
    next_pid[ep_num(ep_addr)][ep_out(ep_addr)] = data1 ? 1u : 0u;
}

void dcd_ep0_stall(void)
{
    REG(USB_EP_STALL_ARM) = 3u; /* EP0 IN and OUT (datasheet 4.1.2.7: needed for EP0) */
    REG(USB_DPRAM_BUF_CTRL(0, 0)) = BUF_CTRL_STALL;
    REG(USB_DPRAM_BUF_CTRL(0, 1)) = BUF_CTRL_STALL;
}
