/*
 * Internal: the CH341A programmer and the USB seam under it.
 *
 * The protocol code (ch341a.c) talks to the device only through struct cd_usb: a small
 * asynchronous bulk-transfer interface shaped after libusb's own (submit, cancel, handle
 * events), plus the host's sleep. Two implementations exist:
 *   ch341a_usb.c        libusb-1.0 (thin glue: every op is one or two libusb calls)
 *   sim/ch341a_model.c  a model of the CH341A that decodes packets as the chip does and
 *                       drives an SPI chip model (-p ch341a:emulate=CHIP, and the tests)
 * The seam is asynchronous because the CH341A needs it: each 31-byte SPI reply is a short
 * USB packet, which ends an IN transfer, so a fast read keeps many IN transfers in flight;
 * and a synchronous "send all, then read" deadlocks once the device's reply buffer is full.
 * It has no control transfer: the CH341A's SPI mode needs none (flashrom sends none either).
 */
#ifndef CHIPDUMP_PROGRAMMERS_CH341A_H
#define CHIPDUMP_PROGRAMMERS_CH341A_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdump/chipdb.h"
#include "chipdump/programmer.h"
#include "chipdump/sim.h"

#define CD_CH341A_VID    0x1a86
#define CD_CH341A_PID    0x5512
#define CD_CH341A_EP_OUT 0x02 /* bulk OUT [flashrom ch341a_spi.c] */
#define CD_CH341A_EP_IN  0x82 /* bulk IN */
#define CD_CH341A_PACKET 32   /* wMaxPacketSize of both endpoints: one command per packet */

/** How a transfer ended. PENDING while in flight. */
enum cd_usb_status {
    CD_USB_PENDING = -1,
    CD_USB_OK = 0,
    CD_USB_TIMEOUT,   /* the transfer's timeout expired */
    CD_USB_GONE,      /* device unplugged (LIBUSB_TRANSFER_NO_DEVICE) */
    CD_USB_STALL,     /* endpoint halted */
    CD_USB_OVERFLOW,  /* device sent more than requested */
    CD_USB_CANCELLED, /* cancel() took effect */
    CD_USB_ERROR,     /* anything else */
};

/** Short name for the trace ("ok", "timeout", "gone", ...). */
const char *cd_usb_status_name(enum cd_usb_status s);

/** One bulk transfer; owned by the caller, which must not touch it while PENDING. */
struct cd_usb_xfer {
    uint8_t ep; /* bit 7 set: IN */
    uint8_t *buf;
    uint32_t len;    /* bytes requested */
    uint32_t actual; /* bytes done, valid once status != PENDING */
    enum cd_usb_status status;
    void *impl; /* the USB layer's handle while in flight */
};

struct cd_usb;

struct cd_usb_ops {
    /**
     * Queue x (ep, buf, len filled in) behind the transfers already queued on its endpoint;
     * sets status PENDING. It completes during a later handle_events(). Returns CD_OK, or
     * CD_E_DEVICE_GONE / CD_E_IO with nothing queued.
     */
    int (*submit)(struct cd_usb *u, struct cd_usb_xfer *x, unsigned timeout_ms);
    /** Ask a PENDING transfer to end; it still completes (CANCELLED or its real status). */
    void (*cancel)(struct cd_usb *u, struct cd_usb_xfer *x);
    /** Let transfers complete: returns once one did, or after about timeout_ms. */
    int (*handle_events)(struct cd_usb *u, unsigned timeout_ms);
    /** The host waits (the chip is busy): a real sleep, or model time in emulation. */
    void (*sleep_us)(struct cd_usb *u, uint32_t us);
    /** Release the device and free u; no transfer may be PENDING. */
    void (*close)(struct cd_usb *u);
};

struct cd_usb {
    const struct cd_usb_ops *ops;
};

/* ---- ch341a.c: the protocol code ---- */

/**
 * Make a programmer of a CH341A behind u: configures the stream and the pins, and takes
 * ownership of u (closed with the programmer, also on failure). description is copied.
 */
int cd_ch341a_attach(struct cd_usb *u, const char *description, struct cd_programmer **out);

/** Counters the tests and -v read back. */
struct cd_ch341a_stats {
    uint64_t out_transfers, in_transfers, syncs, sleeps;
    uint64_t spi_bytes; /* bytes clocked on the SPI bus */
};
/** Statistics of a CH341A programmer; false if p is not one. */
bool cd_ch341a_get_stats(const struct cd_programmer *p, struct cd_ch341a_stats *st);
/** Emulation: the sim programmer holding the chip model and image behind p (else NULL). */
struct cd_programmer *cd_ch341a_emulated_sim(const struct cd_programmer *p);

/* ---- ch341a_usb.c: libusb-1.0 ---- */

/** Which attached CH341A to use: all zero = the only one. */
struct cd_ch341a_select {
    const char *serial; /* iSerialNumber string, NULL = any */
    int bus, addr;      /* 0 = any */
};

/**
 * Find, open and claim a CH341A (detaching a kernel driver from interface 0 if one is
 * bound). None: CD_E_NO_DEVICE; several and no selection: CD_E_ARG listing them; access
 * denied: CD_E_PERMISSION naming the udev rule. *desc gets "bus B addr A[ serial S]".
 */
int cd_ch341a_usb_open(const struct cd_ch341a_select *sel, struct cd_usb **out, char *desc,
                       size_t descsz);

/* ---- sim/ch341a_model.c: the device model ---- */

/*
 * A CH341A in SPI mode as the chip itself behaves: one command per 32-byte USB packet;
 * 0xA8 SPI stream (every byte shifted LSB-first, one reply byte per byte sent, one short
 * reply packet per command packet), 0xAB UIO stream (pin levels and directions: CS0, SCK,
 * MOSI), 0xAA I2C stream (only the stream-mode setting). Replies wait in a small buffer; a
 * host that does not read them stalls the OUT endpoint, as on the chip.
 */
struct cd_ch341a_model;

/** A model over chip (NULL = nothing clipped on: MISO reads 0xFF). chip_row may be NULL. */
struct cd_ch341a_model *cd_ch341a_model_new(struct cd_spi_model *chip,
                                            const struct cd_chip *chip_row);
void cd_ch341a_model_free(struct cd_ch341a_model *m);

/** Reply packets the model holds at most before it stops taking OUT packets. */
#define CD_CH341A_MODEL_REPLY_DEPTH 2

/**
 * Offer one OUT packet (1..32 bytes). Returns false, taking nothing, while the reply buffer
 * is full and the packet is an SPI stream (it would produce a reply).
 */
bool cd_ch341a_model_packet(struct cd_ch341a_model *m, const uint8_t *pkt, size_t len);
/** Take the oldest reply packet into buf (32 bytes); returns its length, or -1 if none. */
int cd_ch341a_model_reply(struct cd_ch341a_model *m, uint8_t *buf);
/** Device time used so far (ns): wire time of the packets processed plus host waits. */
uint64_t cd_ch341a_model_time_ns(const struct cd_ch341a_model *m);
/** Let ns pass (host sleep, USB frame wait): the chip model's clock moves too. */
void cd_ch341a_model_advance(struct cd_ch341a_model *m, uint64_t ns);

struct cd_ch341a_model_stats {
    uint64_t spi_packets, uio_packets, i2c_packets, bad_packets;
    uint64_t spi_bytes;         /* bytes shifted */
    uint64_t spi_unselected;    /* bytes shifted while CS0 was not asserted */
    uint64_t selects;           /* CS0 falling edges */
    uint64_t deselects;         /* CS0 rising edges */
    uint8_t stream_mode;        /* last 0xAA 0x6x setting (low 3 bits); 0xFF = never set */
    uint8_t pins_out, pins_dir; /* UIO D0..D5 levels and output enables */
    uint64_t noise_flips;
};
void cd_ch341a_model_get_stats(const struct cd_ch341a_model *m, struct cd_ch341a_model_stats *s);

/** Like sim's faults=noise: flip one bit in the first count array reads touching off..+len. */
void cd_ch341a_model_set_noise(struct cd_ch341a_model *m, uint64_t off, uint64_t len,
                               unsigned count);
/** Leave n garbage reply packets in the reply buffer, as a session killed mid-read does. */
void cd_ch341a_model_set_stale(struct cd_ch341a_model *m, unsigned n);

/** USB-level faults of the emulated device. */
struct cd_ch341a_emu_faults {
    uint64_t unplug_after; /* SPI bytes; then every transfer fails with GONE (0 = never) */
    uint64_t stall_after;  /* SPI bytes; then the device answers nothing (0 = never) */
};

/**
 * The model behind the USB seam: transfers are processed in order in handle_events(), in
 * model time (a transfer that cannot progress times out by the model clock at once, so a
 * stuck device costs no real time). Takes ownership of m. close() writes the model's clock
 * to the trace (a "model clock" line).
 */
struct cd_usb *cd_ch341a_emu_new(struct cd_ch341a_model *m, const struct cd_ch341a_emu_faults *f);
/** The model behind an emulated seam (NULL for a libusb one). */
struct cd_ch341a_model *cd_ch341a_emu_model(struct cd_usb *u);

#endif
