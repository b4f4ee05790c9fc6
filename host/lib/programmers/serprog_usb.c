/*
 * The serprog pipe to the chipdump RP2040 board over libusb: find CD_USB_VID:CD_USB_PID
 * (firmware/core/protocol.h; udev/60-chipdump.rules grants access), detach cdc_acm, claim
 * the CDC data interface and move bytes with bulk transfers. DTR is raised on open and
 * dropped on close: the firmware treats DTR low as "no host" and goes idle with CS released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#include "chipdump/error.h"
#include "core/protocol.h"
#include "serprog.h"
#include "trace.h"

#define MAX_FOUND   8
#define CDC_COMM    0x02
#define CDC_DATA    0x0A
#define RX_BUF      16384 /* 256 full-speed packets per IN transfer */
#define TX_TIMEOUT  5000
#define SET_LINE    0x20 /* CDC SET_LINE_CODING */
#define SET_CTLLINE 0x22 /* CDC SET_CONTROL_LINE_STATE: bit0 DTR, bit1 RTS */

struct usb_link {
    struct sp_link base;
    libusb_context *ctx;
    libusb_device_handle *h;
    int comm_if, data_if;
    uint8_t ep_in, ep_out;
    uint8_t rx[RX_BUF];
    size_t rx_head, rx_len;
};

static int usb_err(int r, const char *what)
{
    if (r == LIBUSB_ERROR_NO_DEVICE)
        return cd_fail(CD_E_DEVICE_GONE, "rp2040: the board is gone (%s)", what);
    if (r == LIBUSB_ERROR_TIMEOUT)
        return cd_fail(CD_E_TIMEOUT, "rp2040: %s timed out", what);
    return cd_fail(CD_E_IO, "rp2040: %s: %s", what, libusb_error_name(r));
}

static int usb_send(struct sp_link *l, const void *buf, size_t n)
{
    struct usb_link *u = (struct usb_link *)l;
    const uint8_t *p = buf;
    while (n) {
        int chunk = n > 65536 ? 65536 : (int)n, done = 0;
        int r = libusb_bulk_transfer(u->h, u->ep_out, (unsigned char *)p, chunk, &done, TX_TIMEOUT);
        if (cd_trace_enabled())
            cd_trace_usb(l->prog, u->ep_out, (uint32_t)chunk, (uint32_t)done,
                         r ? libusb_error_name(r) : "ok");
        if (r)
            return usb_err(r, "sending");
        p += done;
        n -= (size_t)done;
    }
    return CD_OK;
}

static int usb_recv(struct sp_link *l, void *buf, size_t n, unsigned timeout_ms)
{
    struct usb_link *u = (struct usb_link *)l;
    uint8_t *p = buf;
    while (n) {
        if (u->rx_len) {
            size_t k = n < u->rx_len ? n : u->rx_len;
            memcpy(p, u->rx + u->rx_head, k);
            u->rx_head += k;
            u->rx_len -= k;
            p += k;
            n -= k;
            continue;
        }
        /* big reads go straight into the caller's buffer, in whole packets */
        uint8_t *dst = n >= RX_BUF ? p : u->rx;
        int want = n >= RX_BUF ? (int)((n > (1u << 20) ? (1u << 20) : n) & ~(size_t)63) : RX_BUF;
        int got = 0;
        int r = libusb_bulk_transfer(u->h, u->ep_in, dst, want, &got, timeout_ms);
        if (cd_trace_enabled())
            cd_trace_usb(l->prog, u->ep_in, (uint32_t)want, (uint32_t)got,
                         r ? libusb_error_name(r) : "ok");
        if (r && !(r == LIBUSB_ERROR_TIMEOUT && got > 0))
            return usb_err(r, "receiving");
        if (dst == p) {
            p += got;
            n -= (size_t)got;
        } else {
            u->rx_head = 0;
            u->rx_len = (size_t)got;
        }
    }
    return CD_OK;
}

static void usb_drain(struct sp_link *l, unsigned quiet_ms)
{
    struct usb_link *u = (struct usb_link *)l;
    u->rx_len = 0;
    for (int i = 0; i < 1000; i++) {
        int got = 0;
        if (libusb_bulk_transfer(u->h, u->ep_in, u->rx, RX_BUF, &got, quiet_ms) || !got)
            break;
    }
    u->rx_len = 0;
}

static void set_dtr(struct usb_link *u, bool on)
{
    libusb_control_transfer(u->h, LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE,
                            SET_CTLLINE, on ? 0x03 : 0x00, (uint16_t)u->comm_if, NULL, 0, 1000);
}

static void usb_close(struct sp_link *l)
{
    struct usb_link *u = (struct usb_link *)l;
    if (u->h) {
        set_dtr(u, false);
        libusb_release_interface(u->h, u->data_if);
        if (u->comm_if >= 0)
            libusb_release_interface(u->h, u->comm_if);
        libusb_close(u->h); /* auto-detach gives the interfaces back to cdc_acm */
    }
    if (u->ctx)
        libusb_exit(u->ctx);
    free(u);
}

/* The CDC data interface with a bulk IN and a bulk OUT endpoint, and the comm interface. */
static int find_interfaces(struct usb_link *u, libusb_device *dev)
{
    struct libusb_config_descriptor *cfg;
    int r = libusb_get_active_config_descriptor(dev, &cfg);
    if (r)
        return usb_err(r, "reading the configuration");
    u->comm_if = u->data_if = -1;
    for (int i = 0; i < cfg->bNumInterfaces; i++) {
        if (!cfg->interface[i].num_altsetting)
            continue;
        const struct libusb_interface_descriptor *d = &cfg->interface[i].altsetting[0];
        if (d->bInterfaceClass == CDC_COMM && u->comm_if < 0)
            u->comm_if = d->bInterfaceNumber;
        if (d->bInterfaceClass != CDC_DATA || u->data_if >= 0)
            continue;
        uint8_t in = 0, out = 0;
        for (int e = 0; e < d->bNumEndpoints; e++) {
            const struct libusb_endpoint_descriptor *ep = &d->endpoint[e];
            if ((ep->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
                continue;
            if (ep->bEndpointAddress & 0x80)
                in = ep->bEndpointAddress;
            else
                out = ep->bEndpointAddress;
        }
        if (in && out) {
            u->data_if = d->bInterfaceNumber;
            u->ep_in = in;
            u->ep_out = out;
        }
    }
    libusb_free_config_descriptor(cfg);
    if (u->data_if < 0)
        return cd_fail(CD_E_PROTOCOL, "rp2040: the board has no CDC data interface with bulk "
                                      "endpoints (wrong firmware?)");
    return CD_OK;
}

static void read_serial(libusb_device_handle *h, uint8_t index, char *buf, size_t sz)
{
    buf[0] = '\0';
    if (index) {
        int n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)buf, (int)sz);
        buf[n > 0 ? (n < (int)sz ? n : (int)sz - 1) : 0] = '\0';
    }
}

static int claim(struct usb_link *u)
{
    libusb_set_auto_detach_kernel_driver(u->h, 1);
    int r = libusb_claim_interface(u->h, u->data_if);
    if (r == LIBUSB_ERROR_BUSY)
        return cd_fail(CD_E_IO, "rp2040: the board is in use (flashrom? another chipdump?)");
    if (r)
        return usb_err(r, "claiming the data interface");
    if (u->comm_if >= 0 && libusb_claim_interface(u->h, u->comm_if))
        u->comm_if = -1; /* DTR cannot be raised; the firmware still works on the data */
    /* 115200 8N1: meaningless on USB, but some CDC stacks wait for a line coding */
    uint8_t coding[7] = {0x00, 0xC2, 0x01, 0x00, 0, 0, 8};
    if (u->comm_if >= 0) {
        libusb_control_transfer(u->h, LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE,
                                SET_LINE, 0, (uint16_t)u->comm_if, coding, sizeof(coding), 1000);
        set_dtr(u, true);
    }
    return CD_OK;
}

int cd_sp_link_usb(const char *serial, struct sp_link **out)
{
    *out = NULL;
    struct usb_link *u = calloc(1, sizeof(*u));
    if (!u)
        return CD_E_NOMEM;
    u->base = (struct sp_link){.name = "usb",
                               .send = usb_send,
                               .recv = usb_recv,
                               .drain = usb_drain,
                               .close = usb_close,
                               .traces = true};
    u->comm_if = u->data_if = -1;
    libusb_device **list = NULL;
    int r = libusb_init(&u->ctx);
    if (r) {
        u->ctx = NULL;
        r = cd_fail(CD_E_NO_DEVICE, "rp2040: cannot use USB (libusb_init: %s)",
                    libusb_error_name(r));
        goto err_free;
    }
    ssize_t n = libusb_get_device_list(u->ctx, &list);
    if (n < 0) {
        r = usb_err((int)n, "listing USB devices");
        goto err_free;
    }
    size_t nall = 0, nmatch = 0;
    libusb_device *pick = NULL;
    char serials[512] = "";
    for (ssize_t i = 0; i < n; i++) {
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(list[i], &dd) || dd.idVendor != CD_USB_VID ||
            dd.idProduct != CD_USB_PID)
            continue;
        nall++;
        libusb_device_handle *h;
        char s[128] = "?";
        if (!libusb_open(list[i], &h)) {
            read_serial(h, dd.iSerialNumber, s, sizeof(s));
            libusb_close(h);
        }
        size_t have = strlen(serials);
        snprintf(serials + have, sizeof(serials) - have, "%s%s", have ? ", " : "", s);
        if (serial && strcmp(serial, s))
            continue;
        nmatch++;
        pick = list[i];
    }
    if (!nmatch) {
        if (nall && serial)
            r = cd_fail(CD_E_NO_DEVICE, "rp2040: no board with serial %s (found: %s)", serial,
                        serials);
        else
            r = cd_fail(CD_E_NO_DEVICE,
                        "rp2040: no chipdump RP2040 board (USB %04x:%04x) found; plug it in, or "
                        "for another serprog firmware use -p serprog:dev=/dev/ttyACM0",
                        CD_USB_VID, CD_USB_PID);
        goto err_list;
    }
    if (nmatch > 1) {
        r = cd_fail(CD_E_ARG,
                    "rp2040: %zu boards found (serials %s); choose one with -p "
                    "rp2040:serial=S",
                    nmatch, serials);
        goto err_list;
    }
    if ((r = find_interfaces(u, pick)))
        goto err_list;
    if ((r = libusb_open(pick, &u->h))) {
        u->h = NULL;
        r = r == LIBUSB_ERROR_ACCESS
                ? cd_fail(CD_E_PERMISSION, "rp2040: no permission to open the board; install "
                                           "udev/60-chipdump.rules (see the file) and replug")
                : usb_err(r, "opening the board");
        goto err_list;
    }
    if ((r = claim(u)))
        goto err_list;
    libusb_free_device_list(list, 1);
    *out = &u->base;
    return CD_OK;

err_list:
    libusb_free_device_list(list, 1);
err_free:
    u->base.close(&u->base);
    return r;
}
