/*
 * The USB seam of the CH341A programmer on libusb-1.0 (ch341a.h): find and claim the
 * device, then one or two libusb calls per seam op. Tested with -Wl,--wrap=libusb_* fakes
 * (tests/unit/test_ch341a_usb.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>

#include "chipdump/error.h"
#include "ch341a.h"

#define UDEV_RULE "60-chipdump.rules"
#define MAX_FOUND 16

struct lu {
    struct cd_usb base;
    libusb_context *ctx;
    libusb_device_handle *h;
    bool reattach; /* a kernel driver was bound to interface 0 before us */
};

static enum cd_usb_status status_of(enum libusb_transfer_status s)
{
    switch (s) {
    case LIBUSB_TRANSFER_COMPLETED:
        return CD_USB_OK;
    case LIBUSB_TRANSFER_TIMED_OUT:
        return CD_USB_TIMEOUT;
    case LIBUSB_TRANSFER_NO_DEVICE:
        return CD_USB_GONE;
    case LIBUSB_TRANSFER_STALL:
        return CD_USB_STALL;
    case LIBUSB_TRANSFER_OVERFLOW:
        return CD_USB_OVERFLOW;
    case LIBUSB_TRANSFER_CANCELLED:
        return CD_USB_CANCELLED;
    default:
        return CD_USB_ERROR;
    }
}

static void LIBUSB_CALL on_done(struct libusb_transfer *t)
{
    struct cd_usb_xfer *x = t->user_data;
    x->actual = t->actual_length < 0 ? 0 : (uint32_t)t->actual_length;
    x->impl = NULL;
    x->status = status_of(t->status);
    libusb_free_transfer(t);
}

static int lu_submit(struct cd_usb *u, struct cd_usb_xfer *x, unsigned timeout_ms)
{
    struct lu *l = (struct lu *)u;
    struct libusb_transfer *t = libusb_alloc_transfer(0);
    if (!t)
        return CD_E_NOMEM;
    libusb_fill_bulk_transfer(t, l->h, x->ep, x->buf, (int)x->len, on_done, x, timeout_ms);
    x->status = CD_USB_PENDING;
    x->actual = 0;
    x->impl = t;
    int r = libusb_submit_transfer(t);
    if (r) {
        x->impl = NULL;
        x->status = CD_USB_ERROR;
        libusb_free_transfer(t);
        if (r == LIBUSB_ERROR_NO_DEVICE)
            return cd_fail(CD_E_DEVICE_GONE, "libusb_submit_transfer: %s", libusb_error_name(r));
        return cd_fail(CD_E_IO, "libusb_submit_transfer: %s", libusb_error_name(r));
    }
    return CD_OK;
}

static void lu_cancel(struct cd_usb *u, struct cd_usb_xfer *x)
{
    (void)u;
    if (x->impl)
        libusb_cancel_transfer(x->impl); /* NOT_FOUND: it is completing anyway */
}

static int lu_handle_events(struct cd_usb *u, unsigned timeout_ms)
{
    struct lu *l = (struct lu *)u;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    int r = libusb_handle_events_timeout_completed(l->ctx, &tv, NULL);
    if (r < 0 && r != LIBUSB_ERROR_INTERRUPTED)
        return cd_fail(CD_E_IO, "libusb_handle_events: %s", libusb_error_name(r));
    return CD_OK;
}

static void lu_sleep_us(struct cd_usb *u, uint32_t us)
{
    (void)u;
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0)
        ;
}

static void lu_close(struct cd_usb *u)
{
    struct lu *l = (struct lu *)u;
    libusb_release_interface(l->h, 0);
    if (l->reattach)
        libusb_attach_kernel_driver(l->h, 0);
    libusb_close(l->h);
    libusb_exit(l->ctx);
    free(l);
}

static const struct cd_usb_ops lu_ops = {
    .submit = lu_submit,
    .cancel = lu_cancel,
    .handle_events = lu_handle_events,
    .sleep_us = lu_sleep_us,
    .close = lu_close,
};

struct found {
    libusb_device *dev;
    int bus, addr;
    char serial[128]; /* "" none, "?" unreadable */
};

/* The iSerialNumber string of dev, if it has one and we may open it. */
static void read_serial(libusb_device *dev, uint8_t index, char *buf, size_t sz)
{
    libusb_device_handle *h;
    buf[0] = '\0';
    if (!index)
        return;
    if (libusb_open(dev, &h)) {
        snprintf(buf, sz, "?");
        return;
    }
    int n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)buf, (int)sz);
    if (n < 0)
        snprintf(buf, sz, "?");
    else
        buf[n < (int)sz ? n : (int)sz - 1] = '\0';
    libusb_close(h);
}

static void describe(const struct found *f, char *buf, size_t sz)
{
    if (f->serial[0] && strcmp(f->serial, "?"))
        snprintf(buf, sz, "bus %d addr %d serial %s", f->bus, f->addr, f->serial);
    else
        snprintf(buf, sz, "bus %d addr %d", f->bus, f->addr);
}

static int open_error(int r, const char *what, const char *where)
{
    switch (r) {
    case LIBUSB_ERROR_ACCESS:
        return cd_fail(CD_E_PERMISSION,
                       "%s the CH341A at %s: %s. Install the udev rule udev/" UDEV_RULE
                       " (cmake --install puts it in <prefix>/lib/udev/rules.d; or copy it to "
                       "/etc/udev/rules.d/), run 'udevadm control --reload-rules && udevadm "
                       "trigger' as root and replug the programmer; or run chipdump as root",
                       what, where, libusb_error_name(r));
    case LIBUSB_ERROR_NO_DEVICE:
        return cd_fail(CD_E_NO_DEVICE, "%s the CH341A at %s: it is gone (unplugged?)", what, where);
    case LIBUSB_ERROR_BUSY:
        return cd_fail(CD_E_IO,
                       "%s the CH341A at %s: %s; another program (flashrom? another chipdump?) "
                       "is using it",
                       what, where, libusb_error_name(r));
    default:
        return cd_fail(CD_E_IO, "%s the CH341A at %s: %s", what, where, libusb_error_name(r));
    }
}

static int claim(struct lu *l, const char *where)
{
    int r = libusb_kernel_driver_active(l->h, 0);
    if (r == 1) {
        if ((r = libusb_detach_kernel_driver(l->h, 0)))
            return open_error(r, "cannot detach the kernel driver from", where);
        l->reattach = true;
    } else if (r < 0 && r != LIBUSB_ERROR_NOT_SUPPORTED) {
        return open_error(r, "cannot query", where);
    }
    if ((r = libusb_claim_interface(l->h, 0))) {
        if (l->reattach)
            libusb_attach_kernel_driver(l->h, 0);
        l->reattach = false;
        return open_error(r, "cannot claim", where);
    }
    return CD_OK;
}

int cd_ch341a_usb_open(const struct cd_ch341a_select *sel, struct cd_usb **out, char *desc,
                       size_t descsz)
{
    static const char hint[] = "check the cable (and the module's jumper: SPI/I2C mode); to try "
                               "chipdump without hardware use -p sim, or -p ch341a:emulate=CHIP";
    struct found found[MAX_FOUND];
    size_t nfound = 0, nall = 0;
    libusb_device **list = NULL;
    struct lu *l = NULL;
    char where[160];
    int r;

    *out = NULL;
    libusb_context *ctx;
    if ((r = libusb_init(&ctx)))
        return cd_fail(CD_E_NO_DEVICE, "cannot use USB (libusb_init: %s); %s", libusb_error_name(r),
                       hint);
    ssize_t n = libusb_get_device_list(ctx, &list);
    if (n < 0) {
        r = cd_fail(CD_E_NO_DEVICE, "cannot list USB devices (%s); %s", libusb_error_name((int)n),
                    hint);
        goto err_exit;
    }
    for (ssize_t i = 0; i < n && nfound < MAX_FOUND; i++) {
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(list[i], &dd) || dd.idVendor != CD_CH341A_VID ||
            dd.idProduct != CD_CH341A_PID)
            continue;
        nall++;
        struct found f = {.dev = list[i],
                          .bus = libusb_get_bus_number(list[i]),
                          .addr = libusb_get_device_address(list[i])};
        if (sel->bus && (f.bus != sel->bus || f.addr != sel->addr))
            continue;
        if (sel->serial || !sel->bus)
            read_serial(list[i], dd.iSerialNumber, f.serial, sizeof(f.serial));
        if (sel->serial && strcmp(f.serial, sel->serial))
            continue;
        found[nfound++] = f;
    }

    if (nfound == 0) {
        if (nall && sel->serial)
            r = cd_fail(CD_E_NO_DEVICE, "no CH341A with serial %s (%zu other CH341A found)",
                        sel->serial, nall);
        else if (nall)
            r = cd_fail(CD_E_NO_DEVICE, "no CH341A at bus %d addr %d (%zu other CH341A found)",
                        sel->bus, sel->addr, nall);
        else
            r = cd_fail(CD_E_NO_DEVICE, "no CH341A (USB %04x:%04x) found; %s", CD_CH341A_VID,
                        CD_CH341A_PID, hint);
        goto err_free_list;
    }
    if (nfound > 1) {
        char names[1024] = "";
        for (size_t i = 0; i < nfound; i++) {
            char one[160];
            describe(&found[i], one, sizeof(one));
            size_t have = strlen(names);
            snprintf(names + have, sizeof(names) - have, "%s%s", i ? "; " : "", one);
        }
        r = cd_fail(CD_E_ARG,
                    "%zu CH341A programmers found: %s. Choose one with -p ch341a:bus=B,addr=A "
                    "or -p ch341a:serial=S",
                    nfound, names);
        goto err_free_list;
    }

    describe(&found[0], where, sizeof(where));
    l = calloc(1, sizeof(*l));
    if (!l) {
        r = CD_E_NOMEM;
        goto err_free_list;
    }
    l->base.ops = &lu_ops;
    l->ctx = ctx;
    if ((r = libusb_open(found[0].dev, &l->h))) {
        r = open_error(r, "cannot open", where);
        goto err_free;
    }
    if ((r = claim(l, where)))
        goto err_close;
    libusb_free_device_list(list, 1);
    snprintf(desc, descsz, "%s", where);
    *out = &l->base;
    return CD_OK;

err_close:
    libusb_close(l->h);
err_free:
    free(l);
err_free_list:
    libusb_free_device_list(list, 1);
err_exit:
    libusb_exit(ctx);
    return r;
}
