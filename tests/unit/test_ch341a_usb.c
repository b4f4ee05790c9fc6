/*
 * The libusb-1.0 glue of the CH341A programmer (host/lib/programmers/ch341a_usb.c), linked
 * against fakes: every libusb_* it calls is redirected to __wrap_libusb_* below with
 * -Wl,--wrap (tests/CMakeLists.txt), as flashrom's tests/ do. A per-test struct says what
 * the fake bus holds and how calls fail; for the lifecycle tests the fake hands bulk
 * transfers to the CH341A device model, so the real glue and the real protocol code run
 * together: open, claim, transfer, timeout, disconnect.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libusb.h>

#include "chipdump/chipdump.h"
#include "programmers/ch341a.h"

/* ---- the fake bus ---- */

struct fake_dev {
    uint16_t vid, pid;
    uint8_t bus, addr, iserial;
    const char *serial;
    int open_ret;
};

static struct fake {
    struct fake_dev devs[4];
    int ndevs;
    int init_ret;
    int kernel_active, detach_ret, claim_ret, submit_ret;
    /* without a model, pending transfers complete like this in handle_events */
    enum libusb_transfer_status complete_as;
    struct cd_ch341a_model *model;
    int gone_after_in;  /* IN completions before the device vanishes (0: never) */
    int stall_after_in; /* IN completions before it stops answering (0: never) */

    /* what happened */
    int inits, exits, list_frees, opens, closes, detaches, attaches, claims, releases;
    int allocs, frees, cancels, handle_calls, in_done;
    bool gone;
    struct libusb_device_handle *claimed_handle;
    struct libusb_transfer *q[512];
    int nq;
} F;

static void reset_fake(void)
{
    memset(&F, 0, sizeof(F));
    F.complete_as = LIBUSB_TRANSFER_COMPLETED;
}

static struct fake_dev *dev_of(void *p)
{
    return (struct fake_dev *)p;
}

/* prototypes (the flags want them; libusb.h declares only the real names) */
int __wrap_libusb_init(libusb_context **ctx);
void __wrap_libusb_exit(libusb_context *ctx);
ssize_t __wrap_libusb_get_device_list(libusb_context *ctx, libusb_device ***list);
void __wrap_libusb_free_device_list(libusb_device **list, int unref);
int __wrap_libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *d);
uint8_t __wrap_libusb_get_bus_number(libusb_device *dev);
uint8_t __wrap_libusb_get_device_address(libusb_device *dev);
int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h);
void __wrap_libusb_close(libusb_device_handle *h);
int __wrap_libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t idx,
                                              unsigned char *data, int length);
int __wrap_libusb_kernel_driver_active(libusb_device_handle *h, int iface);
int __wrap_libusb_detach_kernel_driver(libusb_device_handle *h, int iface);
int __wrap_libusb_attach_kernel_driver(libusb_device_handle *h, int iface);
int __wrap_libusb_claim_interface(libusb_device_handle *h, int iface);
int __wrap_libusb_release_interface(libusb_device_handle *h, int iface);
struct libusb_transfer *__wrap_libusb_alloc_transfer(int iso_packets);
void __wrap_libusb_free_transfer(struct libusb_transfer *t);
int __wrap_libusb_submit_transfer(struct libusb_transfer *t);
int __wrap_libusb_cancel_transfer(struct libusb_transfer *t);
int __wrap_libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv,
                                                  int *completed);

int __wrap_libusb_init(libusb_context **ctx)
{
    F.inits++;
    *ctx = (libusb_context *)&F;
    return F.init_ret;
}

void __wrap_libusb_exit(libusb_context *ctx)
{
    assert_ptr_equal(ctx, &F);
    F.exits++;
}

ssize_t __wrap_libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    (void)ctx;
    libusb_device **l = calloc((size_t)F.ndevs + 1, sizeof(*l));
    for (int i = 0; i < F.ndevs; i++)
        l[i] = (libusb_device *)&F.devs[i];
    *list = l;
    return F.ndevs;
}

void __wrap_libusb_free_device_list(libusb_device **list, int unref)
{
    assert_int_equal(unref, 1);
    F.list_frees++;
    free(list);
}

int __wrap_libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *d)
{
    memset(d, 0, sizeof(*d));
    d->idVendor = dev_of(dev)->vid;
    d->idProduct = dev_of(dev)->pid;
    d->iSerialNumber = dev_of(dev)->iserial;
    return 0;
}

uint8_t __wrap_libusb_get_bus_number(libusb_device *dev)
{
    return dev_of(dev)->bus;
}

uint8_t __wrap_libusb_get_device_address(libusb_device *dev)
{
    return dev_of(dev)->addr;
}

int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h)
{
    if (dev_of(dev)->open_ret)
        return dev_of(dev)->open_ret;
    F.opens++;
    *h = (libusb_device_handle *)dev;
    return 0;
}

void __wrap_libusb_close(libusb_device_handle *h)
{
    (void)h;
    F.closes++;
}

int __wrap_libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t idx,
                                              unsigned char *data, int length)
{
    const struct fake_dev *d = dev_of(h);
    assert_int_equal(idx, d->iserial);
    int n = (int)strlen(d->serial);
    if (n > length)
        n = length;
    memcpy(data, d->serial, (size_t)n);
    return n;
}

int __wrap_libusb_kernel_driver_active(libusb_device_handle *h, int iface)
{
    (void)h;
    assert_int_equal(iface, 0);
    return F.kernel_active;
}

int __wrap_libusb_detach_kernel_driver(libusb_device_handle *h, int iface)
{
    (void)h;
    assert_int_equal(iface, 0);
    if (F.detach_ret)
        return F.detach_ret;
    F.detaches++;
    return 0;
}

int __wrap_libusb_attach_kernel_driver(libusb_device_handle *h, int iface)
{
    (void)h;
    assert_int_equal(iface, 0);
    F.attaches++;
    return 0;
}

int __wrap_libusb_claim_interface(libusb_device_handle *h, int iface)
{
    assert_int_equal(iface, 0);
    if (F.claim_ret)
        return F.claim_ret;
    F.claims++;
    F.claimed_handle = h;
    return 0;
}

int __wrap_libusb_release_interface(libusb_device_handle *h, int iface)
{
    assert_ptr_equal(h, F.claimed_handle);
    assert_int_equal(iface, 0);
    F.releases++;
    return 0;
}

struct libusb_transfer *__wrap_libusb_alloc_transfer(int iso_packets)
{
    assert_int_equal(iso_packets, 0);
    F.allocs++;
    return calloc(1, sizeof(struct libusb_transfer));
}

void __wrap_libusb_free_transfer(struct libusb_transfer *t)
{
    F.frees++;
    free(t);
}

int __wrap_libusb_submit_transfer(struct libusb_transfer *t)
{
    if (F.gone)
        return LIBUSB_ERROR_NO_DEVICE;
    if (F.submit_ret)
        return F.submit_ret;
    assert_int_equal(t->type, LIBUSB_TRANSFER_TYPE_BULK);
    assert_ptr_equal(t->dev_handle, F.claimed_handle);
    assert_true(t->timeout > 0);
    assert_true(F.nq < 512);
    t->status = (enum libusb_transfer_status) - 1; /* in flight */
    t->actual_length = 0;
    F.q[F.nq++] = t;
    return 0;
}

int __wrap_libusb_cancel_transfer(struct libusb_transfer *t)
{
    for (int i = 0; i < F.nq; i++) {
        if (F.q[i] == t) {
            t->status = LIBUSB_TRANSFER_CANCELLED;
            F.cancels++;
            return 0;
        }
    }
    return LIBUSB_ERROR_NOT_FOUND;
}

/* Finish q[i] with a status: the callback runs, as in libusb's event handling. */
static void finish(int i, enum libusb_transfer_status st)
{
    struct libusb_transfer *t = F.q[i];
    memmove(&F.q[i], &F.q[i + 1], (size_t)(F.nq - i - 1) * sizeof(F.q[0]));
    F.nq--;
    t->status = st;
    t->callback(t);
}

/* The model behind the fake bus: OUT packets in, replies out, in submission order. */
static bool serve_model(void)
{
    bool progress = false, out_blocked = false;
    for (int i = 0; i < F.nq;) {
        struct libusb_transfer *t = F.q[i];
        if ((int)t->status == LIBUSB_TRANSFER_CANCELLED) {
            finish(i, LIBUSB_TRANSFER_CANCELLED);
            progress = true;
            continue;
        }
        if (t->endpoint & 0x80) {
            if (F.stall_after_in && F.in_done >= F.stall_after_in)
                return progress;
            uint8_t buf[32];
            int n = cd_ch341a_model_reply(F.model, buf);
            if (n < 0) {
                i++;
                continue;
            }
            assert_true(n <= t->length);
            memcpy(t->buffer, buf, (size_t)n);
            t->actual_length = n;
            F.in_done++;
            finish(i, LIBUSB_TRANSFER_COMPLETED);
            progress = true;
            if (F.gone_after_in && F.in_done >= F.gone_after_in) {
                F.gone = true;
                while (F.nq)
                    finish(0, LIBUSB_TRANSFER_NO_DEVICE);
                return true;
            }
            continue;
        }
        if (out_blocked) {
            i++; /* OUT transfers complete in order */
            continue;
        }
        while (t->actual_length < t->length) {
            int n = t->length - t->actual_length;
            if (n > 32)
                n = 32;
            if (!cd_ch341a_model_packet(F.model, t->buffer + t->actual_length, (size_t)n))
                break;
            t->actual_length += n;
            progress = true;
        }
        if (t->actual_length == t->length) {
            finish(i, LIBUSB_TRANSFER_COMPLETED);
            continue;
        }
        out_blocked = true; /* reply buffer full: the OUT endpoint NAKs */
        i++;
    }
    return progress;
}

int __wrap_libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv,
                                                  int *completed)
{
    (void)completed;
    assert_ptr_equal(ctx, &F);
    assert_non_null(tv);
    F.handle_calls++;
    if (!F.model) {
        while (F.nq) {
            struct libusb_transfer *t = F.q[0];
            if ((int)t->status == LIBUSB_TRANSFER_CANCELLED) {
                finish(0, LIBUSB_TRANSFER_CANCELLED);
                continue;
            }
            t->actual_length = F.complete_as == LIBUSB_TRANSFER_COMPLETED ? t->length : 0;
            finish(0, F.complete_as);
        }
        return 0;
    }
    bool any = false;
    while (serve_model())
        any = true;
    /* the host waited: a USB frame of device time passes (real sleeps do not reach the model) */
    cd_ch341a_model_advance(F.model, 1000000);
    if (!any && F.nq) {
        /* nothing moves: libusb's timeout fires on the oldest transfer */
        finish(0, LIBUSB_TRANSFER_TIMED_OUT);
    }
    return 0;
}

/* ---- helpers ---- */

static void add_dev(uint16_t vid, uint16_t pid, uint8_t bus, uint8_t addr, const char *serial)
{
    struct fake_dev *d = &F.devs[F.ndevs++];
    *d = (struct fake_dev){vid, pid, bus, addr, (uint8_t)(serial ? 3 : 0), serial, 0};
}

static void assert_all_released(void)
{
    assert_int_equal(F.exits, F.inits);
    assert_int_equal(F.list_frees, F.inits - (F.init_ret ? F.inits : 0));
    assert_int_equal(F.closes, F.opens);
    assert_int_equal(F.frees, F.allocs);
    assert_int_equal(F.nq, 0);
}

static int open_sel(const struct cd_ch341a_select *sel, struct cd_usb **u, char *desc)
{
    return cd_ch341a_usb_open(sel, u, desc, 160);
}

/* ---- finding the device ---- */

static void test_no_device(void **state)
{
    (void)state;
    reset_fake();
    add_dev(0x046d, 0xc52b, 1, 2, NULL); /* a mouse */
    struct cd_usb *u = (struct cd_usb *)1;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_E_NO_DEVICE);
    assert_null(u);
    assert_non_null(strstr(cd_error_detail(), "1a86:5512"));
    assert_non_null(strstr(cd_error_detail(), "-p sim"));
    assert_all_released();

    reset_fake();
    F.init_ret = LIBUSB_ERROR_OTHER;
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_E_NO_DEVICE);
    assert_non_null(strstr(cd_error_detail(), "libusb_init"));
}

static void test_several_devices_are_listed(void **state)
{
    (void)state;
    reset_fake();
    add_dev(0x1a86, 0x5512, 1, 4, NULL);
    add_dev(0x1a86, 0x7523, 1, 5, NULL); /* a CH340 serial adapter: not ours */
    add_dev(0x1a86, 0x5512, 3, 9, "A1B2");
    struct cd_usb *u;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_E_ARG);
    const char *d = cd_error_detail();
    assert_non_null(strstr(d, "2 CH341A"));
    assert_non_null(strstr(d, "bus 1 addr 4"));
    assert_non_null(strstr(d, "bus 3 addr 9 serial A1B2"));
    assert_non_null(strstr(d, "bus=B,addr=A"));
    assert_null(strstr(d, "addr 5"));
    assert_int_equal(F.claims, 0);
    assert_all_released();

    /* bus=,addr= picks one */
    reset_fake();
    add_dev(0x1a86, 0x5512, 1, 4, NULL);
    add_dev(0x1a86, 0x5512, 3, 9, "A1B2");
    assert_int_equal(open_sel(&(struct cd_ch341a_select){.bus = 3, .addr = 9}, &u, desc), CD_OK);
    assert_ptr_equal(F.claimed_handle, &F.devs[1]);
    assert_string_equal(desc, "bus 3 addr 9");
    u->ops->close(u);
    assert_int_equal(F.releases, 1);
    assert_all_released();

    /* serial= picks one; a serial nobody has is "not found" */
    reset_fake();
    add_dev(0x1a86, 0x5512, 1, 4, "ZZ9");
    add_dev(0x1a86, 0x5512, 3, 9, "A1B2");
    assert_int_equal(open_sel(&(struct cd_ch341a_select){.serial = "ZZ9"}, &u, desc), CD_OK);
    assert_ptr_equal(F.claimed_handle, &F.devs[0]);
    u->ops->close(u);
    assert_all_released();
    reset_fake();
    add_dev(0x1a86, 0x5512, 1, 4, "ZZ9");
    assert_int_equal(open_sel(&(struct cd_ch341a_select){.serial = "nope"}, &u, desc),
                     CD_E_NO_DEVICE);
    assert_non_null(strstr(cd_error_detail(), "serial nope"));
    assert_all_released();
}

static void test_permission_denied_names_udev_rule(void **state)
{
    (void)state;
    reset_fake();
    add_dev(0x1a86, 0x5512, 2, 7, NULL);
    F.devs[0].open_ret = LIBUSB_ERROR_ACCESS;
    struct cd_usb *u;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_E_PERMISSION);
    assert_non_null(strstr(cd_error_detail(), "udev/60-chipdump.rules"));
    assert_non_null(strstr(cd_error_detail(), "bus 2 addr 7"));
    assert_all_released();
}

static void test_kernel_driver_detached_and_given_back(void **state)
{
    (void)state;
    reset_fake();
    add_dev(0x1a86, 0x5512, 2, 7, NULL);
    F.kernel_active = 1;
    struct cd_usb *u;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_OK);
    assert_int_equal(F.detaches, 1);
    assert_int_equal(F.claims, 1);
    u->ops->close(u);
    assert_int_equal(F.releases, 1);
    assert_int_equal(F.attaches, 1);
    assert_all_released();

    /* no driver bound: nothing to give back */
    reset_fake();
    add_dev(0x1a86, 0x5512, 2, 7, NULL);
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_OK);
    u->ops->close(u);
    assert_int_equal(F.detaches + F.attaches, 0);
    assert_all_released();
}

static void test_claim_busy(void **state)
{
    (void)state;
    reset_fake();
    add_dev(0x1a86, 0x5512, 2, 7, NULL);
    F.kernel_active = 1;
    F.claim_ret = LIBUSB_ERROR_BUSY;
    struct cd_usb *u;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_E_IO);
    assert_non_null(strstr(cd_error_detail(), "another program"));
    assert_int_equal(F.attaches, 1); /* the kernel driver we took away is given back */
    assert_all_released();
}

/* ---- transfers ---- */

static void test_transfer_statuses(void **state)
{
    (void)state;
    static const struct {
        enum libusb_transfer_status lu;
        enum cd_usb_status cd;
    } map[] = {
        {LIBUSB_TRANSFER_COMPLETED, CD_USB_OK},        {LIBUSB_TRANSFER_TIMED_OUT, CD_USB_TIMEOUT},
        {LIBUSB_TRANSFER_NO_DEVICE, CD_USB_GONE},      {LIBUSB_TRANSFER_STALL, CD_USB_STALL},
        {LIBUSB_TRANSFER_OVERFLOW, CD_USB_OVERFLOW},   {LIBUSB_TRANSFER_ERROR, CD_USB_ERROR},
        {LIBUSB_TRANSFER_CANCELLED, CD_USB_CANCELLED},
    };
    reset_fake();
    add_dev(0x1a86, 0x5512, 2, 7, NULL);
    struct cd_usb *u;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_OK);
    uint8_t buf[64] = {0};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        F.complete_as = map[i].lu;
        struct cd_usb_xfer x = {.ep = i % 2 ? 0x82 : 0x02, .buf = buf, .len = 40};
        assert_int_equal(u->ops->submit(u, &x, 1000), CD_OK);
        assert_int_equal(x.status, CD_USB_PENDING);
        assert_int_equal(F.q[0]->endpoint, x.ep);
        assert_int_equal(F.q[0]->timeout, 1000);
        assert_int_equal(u->ops->handle_events(u, 100), CD_OK);
        assert_int_equal(x.status, map[i].cd);
        assert_int_equal(x.actual, map[i].cd == CD_USB_OK ? 40 : 0);
    }

    /* cancel */
    F.complete_as = LIBUSB_TRANSFER_COMPLETED;
    struct cd_usb_xfer x = {.ep = 0x82, .buf = buf, .len = 31};
    assert_int_equal(u->ops->submit(u, &x, 1000), CD_OK);
    u->ops->cancel(u, &x);
    u->ops->handle_events(u, 100);
    assert_int_equal(x.status, CD_USB_CANCELLED);
    assert_int_equal(F.cancels, 1);

    /* submit refused: device gone / other error; nothing stays allocated */
    F.submit_ret = LIBUSB_ERROR_NO_DEVICE;
    assert_int_equal(u->ops->submit(u, &x, 1000), CD_E_DEVICE_GONE);
    F.submit_ret = LIBUSB_ERROR_IO;
    assert_int_equal(u->ops->submit(u, &x, 1000), CD_E_IO);
    assert_int_equal(F.allocs, F.frees);
    u->ops->close(u);
    assert_all_released();
}

/* ---- the glue and the protocol code together, over the device model ---- */

static const char rows[] = "[TESTQ80]\nvendor = Test\ntype = nor\nid = EF 40 14\nsize = 1M\n"
                           "page = 256\nerase = 4K:20 64K:D8\nt_erase = 4K:2/10ms 64K:5/20ms\n"
                           "t_program = 0.2/1ms\nvoltage = 2.7-3.6\nsource = t\n";

struct life {
    struct cd_chipdb *db;
    uint8_t *array;
    struct cd_spi_model *chip;
    struct cd_programmer *p;
    struct cd_flash *fl;
};

static void life_open(struct life *l)
{
    reset_fake();
    add_dev(0x1a86, 0x5512, 1, 3, NULL);
    const struct cd_chip *row;
    assert_int_equal(cd_chipdb_new_empty(&l->db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(l->db, rows, "t"), CD_OK);
    assert_int_equal(cd_chipdb_find_name(l->db, "TESTQ80", &row), CD_OK);
    l->array = malloc(row->size);
    for (size_t i = 0; i < row->size; i++)
        l->array[i] = (uint8_t)(i * 13 + 0xCC);
    l->chip = cd_nor_model_new(row, l->array, 0);
    F.model = cd_ch341a_model_new(l->chip, row);

    struct cd_usb *u;
    char desc[160];
    assert_int_equal(open_sel(&(struct cd_ch341a_select){0}, &u, desc), CD_OK);
    assert_int_equal(cd_ch341a_attach(u, "ch341a (test)", &l->p), CD_OK);
    struct cd_probe probe;
    assert_int_equal(cd_nor_probe(l->p, l->db, &probe), CD_OK);
    assert_string_equal(probe.chip->name, "TESTQ80");
    assert_int_equal(cd_nor_open(l->p, probe.chip, &l->fl), CD_OK);
}

static void life_close(struct life *l)
{
    cd_flash_close(l->fl);
    cd_programmer_close(l->p);
    assert_int_equal(F.releases, 1);
    assert_all_released();
    cd_ch341a_model_free(F.model);
    l->chip->ops->destroy(l->chip);
    free(l->array);
    cd_chipdb_free(l->db);
}

static void test_lifecycle_over_libusb(void **state)
{
    (void)state;
    struct life l;
    life_open(&l);
    uint8_t *buf = malloc(256 * 1024);
    assert_int_equal(cd_read_range(l.fl, (struct cd_range){0x40000, 256 * 1024}, buf, NULL, NULL),
                     CD_OK);
    assert_memory_equal(buf, l.array + 0x40000, 256 * 1024);
    memset(buf, 0x5A, 4096);
    assert_int_equal(l.fl->ops->erase(l.fl, 0x1000, 4096), CD_OK);
    assert_int_equal(l.fl->ops->program(l.fl, 0x1000, buf, 4096), CD_OK);
    assert_memory_equal(l.array + 0x1000, buf, 4096);
    free(buf);
    life_close(&l);
}

static void test_disconnect_mid_read(void **state)
{
    (void)state;
    struct life l;
    life_open(&l);
    F.gone_after_in = F.in_done + 3000; /* ~90 KiB into the read */
    uint8_t *buf = malloc(256 * 1024);
    assert_int_equal(cd_read_range(l.fl, (struct cd_range){0, 256 * 1024}, buf, NULL, NULL),
                     CD_E_DEVICE_GONE);
    assert_non_null(strstr(cd_error_detail(), "65536 of 262144 bytes read"));
    free(buf);
    life_close(&l); /* released and freed everything although the device is gone */
}

static void test_timeout_mid_read(void **state)
{
    (void)state;
    struct life l;
    life_open(&l);
    F.stall_after_in = F.in_done + 500;
    uint8_t *buf = malloc(64 * 1024);
    assert_int_equal(cd_read_range(l.fl, (struct cd_range){0, 64 * 1024}, buf, NULL, NULL),
                     CD_E_TIMEOUT);
    assert_non_null(strstr(cd_error_detail(), "timed out"));
    assert_true(F.cancels > 0); /* the rest of the pipeline was cancelled, then reaped */
    free(buf);
    life_close(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_device),
        cmocka_unit_test(test_several_devices_are_listed),
        cmocka_unit_test(test_permission_denied_names_udev_rule),
        cmocka_unit_test(test_kernel_driver_detached_and_given_back),
        cmocka_unit_test(test_claim_busy),
        cmocka_unit_test(test_transfer_statuses),
        cmocka_unit_test(test_lifecycle_over_libusb),
        cmocka_unit_test(test_disconnect_mid_read),
        cmocka_unit_test(test_timeout_mid_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
