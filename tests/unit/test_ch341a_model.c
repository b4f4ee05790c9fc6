/*
 * The CH341A device model (host/lib/sim/ch341a_model.c) fed raw USB packets, in front of a
 * recording SPI chip: bit order, chip select from the UIO pins, one reply per SPI packet,
 * the reply buffer that stalls a host which does not read, and the seam's model-time
 * timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chipdump/error.h"
#include "programmers/ch341a.h"

/* ---- a chip that records what it sees and answers MOSI + 1 ---- */
struct rec_chip {
    struct cd_spi_model base;
    uint8_t seen[256];
    size_t nseen;
    unsigned selects, deselects;
    uint64_t ns;
};

static void rc_select(struct cd_spi_model *m)
{
    ((struct rec_chip *)m)->selects++;
}

static void rc_xfer(struct cd_spi_model *m, const uint8_t *mosi, uint8_t *miso, size_t n)
{
    struct rec_chip *c = (struct rec_chip *)m;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = mosi ? mosi[i] : 0xFF;
        if (c->nseen < sizeof(c->seen))
            c->seen[c->nseen++] = b;
        if (miso)
            miso[i] = (uint8_t)(b + 1);
    }
}

static void rc_deselect(struct cd_spi_model *m)
{
    ((struct rec_chip *)m)->deselects++;
}

static void rc_advance(struct cd_spi_model *m, uint64_t ns)
{
    ((struct rec_chip *)m)->ns += ns;
}

static void rc_destroy(struct cd_spi_model *m)
{
    (void)m;
}

static const struct cd_spi_model_ops rc_ops = {rc_select, rc_xfer, rc_deselect, rc_advance,
                                               rc_destroy};

static uint8_t rev(uint8_t b)
{
    uint8_t r = 0;
    for (int i = 0; i < 8; i++)
        r = (uint8_t)((r << 1) | ((b >> i) & 1));
    return r;
}

static const uint8_t pins_on[] = {0xAB, 0x80 | 0x37, 0x40 | 0x3F, 0x20};
static const uint8_t cs_low[] = {0xAB, 0x80 | 0x36, 0x20};
static const uint8_t cs_high[] = {0xAB, 0x80 | 0x37, 0x20};

static struct cd_ch341a_model *setup_model(struct rec_chip *c)
{
    memset(c, 0, sizeof(*c));
    c->base.ops = &rc_ops;
    struct cd_ch341a_model *m = cd_ch341a_model_new(&c->base, NULL);
    assert_non_null(m);
    return m;
}

static void test_bit_order_and_reply(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    assert_true(cd_ch341a_model_packet(m, pins_on, sizeof(pins_on)));
    assert_true(cd_ch341a_model_packet(m, cs_low, sizeof(cs_low)));
    assert_int_equal(c.selects, 1);

    /* The host sends 9F 00 01 as the CH341A wants them: bit-reversed. */
    uint8_t pkt[] = {0xA8, rev(0x9F), rev(0x00), rev(0x01)};
    assert_true(cd_ch341a_model_packet(m, pkt, sizeof(pkt)));
    assert_int_equal(c.nseen, 3);
    assert_int_equal(c.seen[0], 0x9F);
    assert_int_equal(c.seen[1], 0x00);
    assert_int_equal(c.seen[2], 0x01);

    uint8_t reply[32];
    assert_int_equal(cd_ch341a_model_reply(m, reply), 3);
    assert_int_equal(reply[0], rev(0xA0)); /* the chip answered 9F + 1, LSB first */
    assert_int_equal(reply[1], rev(0x01));
    assert_int_equal(reply[2], rev(0x02));
    assert_int_equal(cd_ch341a_model_reply(m, reply), -1);

    assert_true(cd_ch341a_model_packet(m, cs_high, sizeof(cs_high)));
    assert_int_equal(c.deselects, 1);
    struct cd_ch341a_model_stats st;
    cd_ch341a_model_get_stats(m, &st);
    assert_int_equal(st.spi_packets, 1);
    assert_int_equal(st.uio_packets, 3);
    assert_int_equal(st.bad_packets, 0);
    cd_ch341a_model_free(m);
}

static void test_chip_select_rules(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    uint8_t reply[32];
    uint8_t pkt[] = {0xA8, rev(0x05), 0xFF};

    /* Pins still inputs: CS0 low as a level, but not driven, so the chip stays deselected
     * and the bytes go nowhere (MISO pulled up). */
    assert_true(cd_ch341a_model_packet(m, cs_low, sizeof(cs_low)));
    assert_int_equal(c.selects, 0);
    assert_true(cd_ch341a_model_packet(m, pkt, sizeof(pkt)));
    assert_int_equal(c.nseen, 0);
    assert_int_equal(cd_ch341a_model_reply(m, reply), 2);
    assert_int_equal(reply[0], 0xFF);
    assert_int_equal(reply[1], 0xFF);

    /* Outputs on: CS0 falls. Bytes after UIO END are ignored, also a CS-high command. */
    const uint8_t dir_then_end[] = {0xAB, 0x40 | 0x3F, 0x20, 0x80 | 0x37, 0x80 | 0x37};
    assert_true(cd_ch341a_model_packet(m, dir_then_end, sizeof(dir_then_end)));
    assert_int_equal(c.selects, 1);
    assert_int_equal(c.deselects, 0);

    /* Outputs off again: CS0 floats high, the chip is deselected. */
    const uint8_t release[] = {0xAB, 0x40 | 0x00, 0x20};
    assert_true(cd_ch341a_model_packet(m, release, sizeof(release)));
    assert_int_equal(c.deselects, 1);
    struct cd_ch341a_model_stats st;
    cd_ch341a_model_get_stats(m, &st);
    assert_int_equal(st.spi_unselected, 2);
    assert_int_equal(st.pins_dir, 0);
    cd_ch341a_model_free(m);
}

static void test_stream_mode_and_bad_packets(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    struct cd_ch341a_model_stats st;
    cd_ch341a_model_get_stats(m, &st);
    assert_int_equal(st.stream_mode, 0xFF);

    const uint8_t mode[] = {0xAA, 0x61, 0x00};
    assert_true(cd_ch341a_model_packet(m, mode, sizeof(mode)));
    const uint8_t i2c_start[] = {0xAA, 0x74, 0x00};
    assert_true(cd_ch341a_model_packet(m, i2c_start, sizeof(i2c_start)));
    const uint8_t unknown[] = {0x55, 1, 2};
    assert_true(cd_ch341a_model_packet(m, unknown, sizeof(unknown)));
    const uint8_t empty_spi[] = {0xA8};
    assert_true(cd_ch341a_model_packet(m, empty_spi, sizeof(empty_spi)));
    cd_ch341a_model_get_stats(m, &st);
    assert_int_equal(st.stream_mode, 1);
    assert_int_equal(st.bad_packets, 3);
    assert_int_equal(cd_ch341a_model_reply(m, (uint8_t[32]){0}), -1);
    cd_ch341a_model_free(m);
}

static void test_reply_buffer_stalls(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    uint8_t pkt[32] = {0xA8};
    memset(pkt + 1, 0xFF, 31);
    for (int i = 0; i < CD_CH341A_MODEL_REPLY_DEPTH; i++)
        assert_true(cd_ch341a_model_packet(m, pkt, 32));
    /* full: an SPI packet is refused (the OUT endpoint NAKs), a UIO packet is not */
    assert_false(cd_ch341a_model_packet(m, pkt, 32));
    assert_true(cd_ch341a_model_packet(m, cs_high, sizeof(cs_high)));
    uint8_t reply[32];
    assert_int_equal(cd_ch341a_model_reply(m, reply), 31);
    assert_true(cd_ch341a_model_packet(m, pkt, 32));
    cd_ch341a_model_free(m);
}

static void test_wire_time(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    uint8_t pkt[32] = {0xA8};
    assert_true(cd_ch341a_model_packet(m, pkt, 32));
    /* 31 bytes at 2 MHz plus one byte time of command overhead: 128 us */
    assert_int_equal(cd_ch341a_model_time_ns(m), 128000);
    assert_int_equal(c.ns, 128000);
    assert_true(cd_ch341a_model_packet(m, cs_low, sizeof(cs_low)));
    assert_int_equal(cd_ch341a_model_time_ns(m), 128000 + 4000 + 750);
    cd_ch341a_model_free(m);
}

/* ---- the seam in front of the model ---- */

static void test_seam_host_without_in_transfers_times_out(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    struct cd_usb *u = cd_ch341a_emu_new(m, NULL);
    assert_non_null(u);

    /* Ten SPI packets in one OUT transfer and no IN transfer to take the replies: the device
     * takes two, then NAKs; the transfer times out by the model clock, at once. */
    uint8_t buf[10 * 32];
    for (int i = 0; i < 10; i++) {
        buf[32 * i] = 0xA8;
        memset(buf + 32 * i + 1, 0xFF, 31);
    }
    struct cd_usb_xfer x = {.ep = CD_CH341A_EP_OUT, .buf = buf, .len = sizeof(buf)};
    assert_int_equal(u->ops->submit(u, &x, 1000), CD_OK);
    assert_int_equal(x.status, CD_USB_PENDING);
    uint64_t t0 = cd_ch341a_model_time_ns(m);
    for (int i = 0; i < 3 && x.status == CD_USB_PENDING; i++)
        u->ops->handle_events(u, 100);
    assert_int_equal(x.status, CD_USB_TIMEOUT);
    assert_int_equal(x.actual, 2 * 32);
    assert_true(cd_ch341a_model_time_ns(m) - t0 >= 1000000000ull);

    /* With IN transfers queued the rest goes through. */
    struct cd_usb_xfer in[2];
    uint8_t ib[2][32];
    for (int i = 0; i < 2; i++) {
        in[i] = (struct cd_usb_xfer){.ep = CD_CH341A_EP_IN, .buf = ib[i], .len = 31};
        assert_int_equal(u->ops->submit(u, &in[i], 1000), CD_OK);
    }
    u->ops->handle_events(u, 100);
    assert_int_equal(in[0].status, CD_USB_OK);
    assert_int_equal(in[0].actual, 31);
    assert_int_equal(in[1].status, CD_USB_OK);
    u->ops->close(u);
}

static void test_seam_faults(void **state)
{
    (void)state;
    struct rec_chip c;
    struct cd_ch341a_model *m = setup_model(&c);
    struct cd_ch341a_emu_faults f = {.unplug_after = 40};
    struct cd_usb *u = cd_ch341a_emu_new(m, &f);
    uint8_t buf[3 * 32], ib[3][32];
    for (int i = 0; i < 3; i++) {
        buf[32 * i] = 0xA8;
        memset(buf + 32 * i + 1, 0xFF, 31);
    }
    struct cd_usb_xfer x = {.ep = CD_CH341A_EP_OUT, .buf = buf, .len = sizeof(buf)}, in[3];
    assert_int_equal(u->ops->submit(u, &x, 1000), CD_OK);
    for (int i = 0; i < 3; i++) {
        in[i] = (struct cd_usb_xfer){.ep = CD_CH341A_EP_IN, .buf = ib[i], .len = 31};
        assert_int_equal(u->ops->submit(u, &in[i], 1000), CD_OK);
    }
    u->ops->handle_events(u, 100);
    /* unplugged after the second packet (62 bytes >= 40): everything pending fails, also
     * the replies still in the device */
    assert_int_equal(in[0].status, CD_USB_GONE);
    assert_int_equal(x.status, CD_USB_GONE);
    assert_int_equal(x.actual, 64);
    assert_int_equal(in[2].status, CD_USB_GONE);
    struct cd_usb_xfer again = {.ep = CD_CH341A_EP_OUT, .buf = buf, .len = 32};
    assert_int_equal(u->ops->submit(u, &again, 1000), CD_E_DEVICE_GONE);

    /* cancel: completes as CANCELLED in the next handle_events */
    u->ops->close(u);
    m = setup_model(&c);
    u = cd_ch341a_emu_new(m, NULL);
    struct cd_usb_xfer lone = {.ep = CD_CH341A_EP_IN, .buf = ib[0], .len = 31};
    assert_int_equal(u->ops->submit(u, &lone, 1000), CD_OK);
    u->ops->cancel(u, &lone);
    u->ops->handle_events(u, 100);
    assert_int_equal(lone.status, CD_USB_CANCELLED);
    u->ops->close(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_order_and_reply),
        cmocka_unit_test(test_chip_select_rules),
        cmocka_unit_test(test_stream_mode_and_bad_packets),
        cmocka_unit_test(test_reply_buffer_stalls),
        cmocka_unit_test(test_wire_time),
        cmocka_unit_test(test_seam_host_without_in_transfers_times_out),
        cmocka_unit_test(test_seam_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
