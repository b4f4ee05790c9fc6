/*
 * -p rp2040: the libusb glue (host/lib/programmers/serprog_usb.c) against fakes linked in
 * place of libusb (-Wl,--wrap=libusb_*, flashrom tests/ style). The fake board's bulk
 * endpoints carry bytes to and from firmware/core on the host board with a NOR model, and its
 * DTR line is the engine's "host connected", so open/negotiate/read/close run for real.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libusb.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "chipdump/flash.h"
#include "chipdump/programmer.h"
#include "chipdump/sim.h"
#include "core/fwcore.h"
#include "core/protocol.h"
#include "host/board_host.h"

/* ---- the fake USB bus ---- */

struct fake_dev {
    uint16_t vid, pid;
    const char *serial;
    bool denied;
};

static struct {
    struct fake_dev devs[4];
    int ndevs;
    bool gone;        /* the board was unplugged: transfers fail with NO_DEVICE */
    int claimed;      /* bitmask of claimed interfaces */
    int dtr_changes;  /* SET_CONTROL_LINE_STATE requests */
    int opened;       /* open handles */
    bool had_context; /* libusb_exit matched libusb_init */
} bus;

int __wrap_libusb_init(libusb_context **ctx);
int __wrap_libusb_init(libusb_context **ctx)
{
    *ctx = (libusb_context *)&bus;
    bus.had_context = true;
    return 0;
}

void __wrap_libusb_exit(libusb_context *ctx);
void __wrap_libusb_exit(libusb_context *ctx)
{
    (void)ctx;
    bus.had_context = false;
}

ssize_t __wrap_libusb_get_device_list(libusb_context *ctx, libusb_device ***list);
ssize_t __wrap_libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    (void)ctx;
    *list = calloc((size_t)bus.ndevs + 1, sizeof(**list));
    for (int i = 0; i < bus.ndevs; i++)
        (*list)[i] = (libusb_device *)&bus.devs[i];
    return bus.ndevs;
}

void __wrap_libusb_free_device_list(libusb_device **list, int unref);
void __wrap_libusb_free_device_list(libusb_device **list, int unref)
{
    (void)unref;
    free(list);
}

int __wrap_libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *d);
int __wrap_libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *d)
{
    const struct fake_dev *f = (const struct fake_dev *)dev;
    memset(d, 0, sizeof(*d));
    d->idVendor = f->vid;
    d->idProduct = f->pid;
    d->iSerialNumber = f->serial ? 3 : 0;
    return 0;
}

int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h);
int __wrap_libusb_open(libusb_device *dev, libusb_device_handle **h)
{
    const struct fake_dev *f = (const struct fake_dev *)dev;
    if (f->denied)
        return LIBUSB_ERROR_ACCESS;
    *h = (libusb_device_handle *)dev;
    bus.opened++;
    return 0;
}

void __wrap_libusb_close(libusb_device_handle *h);
void __wrap_libusb_close(libusb_device_handle *h)
{
    (void)h;
    bus.opened--;
}

int __wrap_libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index,
                                              unsigned char *data, int length);
int __wrap_libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index,
                                              unsigned char *data, int length)
{
    const struct fake_dev *f = (const struct fake_dev *)h;
    if (index != 3 || !f->serial)
        return LIBUSB_ERROR_INVALID_PARAM;
    int n = (int)strlen(f->serial);
    if (n > length)
        n = length;
    memcpy(data, f->serial, (size_t)n);
    return n;
}

/* CDC-ACM: interface 0 comm (one interrupt IN), interface 1 data (bulk 0x81 IN, 0x02 OUT) */
static const struct libusb_endpoint_descriptor comm_ep[] = {
    {.bEndpointAddress = 0x83, .bmAttributes = LIBUSB_TRANSFER_TYPE_INTERRUPT}};
static const struct libusb_endpoint_descriptor data_ep[] = {
    {.bEndpointAddress = 0x02, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK},
    {.bEndpointAddress = 0x81, .bmAttributes = LIBUSB_TRANSFER_TYPE_BULK}};
static const struct libusb_interface_descriptor comm_alt[] = {
    {.bInterfaceNumber = 0, .bNumEndpoints = 1, .bInterfaceClass = 2, .endpoint = comm_ep}};
static const struct libusb_interface_descriptor data_alt[] = {
    {.bInterfaceNumber = 1, .bNumEndpoints = 2, .bInterfaceClass = 0x0A, .endpoint = data_ep}};
static const struct libusb_interface ifaces[] = {{.altsetting = comm_alt, .num_altsetting = 1},
                                                 {.altsetting = data_alt, .num_altsetting = 1}};
static struct libusb_config_descriptor config = {.bNumInterfaces = 2, .interface = ifaces};

int __wrap_libusb_get_active_config_descriptor(libusb_device *dev,
                                               struct libusb_config_descriptor **cfg);
int __wrap_libusb_get_active_config_descriptor(libusb_device *dev,
                                               struct libusb_config_descriptor **cfg)
{
    (void)dev;
    *cfg = &config;
    return 0;
}

void __wrap_libusb_free_config_descriptor(struct libusb_config_descriptor *cfg);
void __wrap_libusb_free_config_descriptor(struct libusb_config_descriptor *cfg)
{
    (void)cfg;
}

int __wrap_libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable);
int __wrap_libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
    (void)h;
    (void)enable;
    return 0;
}

int __wrap_libusb_claim_interface(libusb_device_handle *h, int iface);
int __wrap_libusb_claim_interface(libusb_device_handle *h, int iface)
{
    (void)h;
    bus.claimed |= 1 << iface;
    return 0;
}

int __wrap_libusb_release_interface(libusb_device_handle *h, int iface);
int __wrap_libusb_release_interface(libusb_device_handle *h, int iface)
{
    (void)h;
    bus.claimed &= ~(1 << iface);
    return 0;
}

int __wrap_libusb_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t req,
                                   uint16_t value, uint16_t index, unsigned char *data,
                                   uint16_t len, unsigned timeout);
int __wrap_libusb_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t req,
                                   uint16_t value, uint16_t index, unsigned char *data,
                                   uint16_t len, unsigned timeout)
{
    (void)h;
    (void)type;
    (void)data;
    (void)timeout;
    if (req == 0x22 && index == 0) { /* SET_CONTROL_LINE_STATE: DTR is the host's presence */
        bus.dtr_changes++;
        fwh_set_connected(value & 1);
        fw_task();
    }
    return len;
}

int __wrap_libusb_bulk_transfer(libusb_device_handle *h, unsigned char ep, unsigned char *data,
                                int length, int *transferred, unsigned timeout);
int __wrap_libusb_bulk_transfer(libusb_device_handle *h, unsigned char ep, unsigned char *data,
                                int length, int *transferred, unsigned timeout)
{
    (void)h;
    (void)timeout;
    *transferred = 0;
    if (bus.gone)
        return LIBUSB_ERROR_NO_DEVICE;
    if (!(ep & 0x80)) {
        assert_int_equal(ep, 0x02);
        fwh_host_write(data, (size_t)length);
        *transferred = length;
        return 0;
    }
    assert_int_equal(ep, 0x81);
    assert_int_equal(length % 64, 0); /* IN transfers are whole packets */
    for (int still = 0; still < 3;) {
        size_t got = fwh_host_read(data + *transferred, (size_t)(length - *transferred));
        *transferred += (int)got;
        if (*transferred)
            return 0; /* a short packet ends the transfer */
        size_t in = fwh_in_pending();
        fw_task();
        still = fwh_out_pending() || fwh_in_pending() != in ? 0 : still + 1;
    }
    return LIBUSB_ERROR_TIMEOUT;
}

/* ---- fixture: the engine on the host board with a NOR model behind the fake board ---- */

static struct cd_chipdb *db;
static const struct cd_chip *chip;
static uint8_t *array;
static struct cd_spi_model *model;

static int setup(void **state)
{
    (void)state;
    memset(&bus, 0, sizeof(bus));
    bus.devs[0] = (struct fake_dev){CD_USB_VID, CD_USB_PID, "E66038B7131B2A2F", false};
    bus.devs[1] = (struct fake_dev){0x1a86, 0x5512, NULL, false}; /* a CH341A nearby */
    bus.ndevs = 2;
    assert_int_equal(cd_chipdb_new_builtin(&db), 0);
    assert_int_equal(cd_chipdb_find_name(db, "W25Q16JV", &chip), 0);
    array = malloc(chip->size);
    for (size_t i = 0; i < chip->size; i++)
        array[i] = (uint8_t)(i ^ (i >> 9));
    model = cd_nor_model_new(chip, array, 0);
    fwh_reset(model);
    fwh_set_connected(false); /* no host until DTR */
    fw_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fwh_reset(NULL);
    model->ops->destroy(model);
    free(array);
    cd_chipdb_free(db);
    return 0;
}

static void test_open_read_close(void **state)
{
    (void)state;
    struct cd_programmer *p;
    int r = cd_programmer_open("rp2040", db, NULL, &p);
    if (r)
        fail_msg("open: %s", cd_error_detail());
    assert_string_equal(p->kind, "rp2040");
    assert_non_null(strstr(p->description, "chipdump extensions"));
    assert_non_null(p->ops->nor_read);
    assert_int_equal(bus.claimed, 3);
    assert_true(fwh_stats()->pins); /* S_PIN_STATE(1) after negotiation */

    struct cd_flash *f;
    assert_int_equal(cd_nor_open(p, chip, &f), CD_OK);
    uint8_t *buf = malloc(chip->size);
    struct cd_read_opts o = {.reads = 1};
    assert_int_equal(cd_read_range(f, (struct cd_range){0, chip->size}, buf, &o, NULL), CD_OK);
    assert_memory_equal(buf, array, chip->size);
    free(buf);
    cd_flash_close(f);
    cd_programmer_close(p);

    /* closing dropped DTR: the board is idle with the bus released; nothing left open */
    assert_int_equal(bus.dtr_changes, 2);
    assert_true(fw_idle());
    assert_false(fwh_stats()->cs);
    assert_false(fwh_stats()->pins);
    assert_int_equal(bus.claimed, 0);
    assert_int_equal(bus.opened, 0);
    assert_false(bus.had_context);
}

static void test_choose_by_serial(void **state)
{
    (void)state;
    bus.devs[2] = (struct fake_dev){CD_USB_VID, CD_USB_PID, "0000000000000002", false};
    bus.ndevs = 3;
    struct cd_programmer *p = NULL;
    assert_int_equal(cd_programmer_open("rp2040", db, NULL, &p), CD_E_ARG);
    assert_non_null(strstr(cd_error_detail(), "E66038B7131B2A2F"));
    assert_non_null(strstr(cd_error_detail(), "0000000000000002"));
    assert_non_null(strstr(cd_error_detail(), "serial="));
    assert_int_equal(cd_programmer_open("rp2040:serial=NOPE", db, NULL, &p), CD_E_NO_DEVICE);
    assert_non_null(strstr(cd_error_detail(), "NOPE"));
    assert_int_equal(cd_programmer_open("rp2040:serial=E66038B7131B2A2F", db, NULL, &p), CD_OK);
    cd_programmer_close(p);
    assert_int_equal(bus.opened, 0);
}

static void test_no_board_and_no_permission(void **state)
{
    (void)state;
    struct cd_programmer *p = NULL;
    bus.ndevs = 1;
    bus.devs[0].vid = 0x2e8a; /* a Pico running something else */
    assert_int_equal(cd_programmer_open("rp2040", db, NULL, &p), CD_E_NO_DEVICE);
    assert_non_null(strstr(cd_error_detail(), "1209:0001"));
    assert_null(p);
    bus.devs[0] = (struct fake_dev){CD_USB_VID, CD_USB_PID, NULL, true};
    assert_int_equal(cd_programmer_open("rp2040", db, NULL, &p), CD_E_PERMISSION);
    assert_non_null(strstr(cd_error_detail(), "60-chipdump.rules"));
    assert_false(bus.had_context);
}

static void test_unplugged_mid_read(void **state)
{
    (void)state;
    struct cd_programmer *p;
    assert_int_equal(cd_programmer_open("rp2040", db, NULL, &p), CD_OK);
    struct cd_flash *f;
    assert_int_equal(cd_nor_open(p, chip, &f), CD_OK);
    uint8_t buf[4096];
    assert_int_equal(f->ops->read(f, 0, buf, sizeof(buf)), CD_OK);
    bus.gone = true;
    assert_int_equal(f->ops->read(f, 4096, buf, sizeof(buf)), CD_E_DEVICE_GONE);
    cd_flash_close(f);
    cd_programmer_close(p);
    assert_int_equal(bus.opened, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_read_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_choose_by_serial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_board_and_no_permission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unplugged_mid_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
