/*
 * USB device (chapter 9 requests) + CDC-ACM class on top of usb_dcd.h: the byte pipe that
 * board_usb_read/write/flush/connected expose to the protocol engine.
 */
#ifndef RP2040_USB_CDC_H
#define RP2040_USB_CDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* USB identity: CD_USB_VID:CD_USB_PID from firmware/core/protocol.h (shared with the host's
 * -p rp2040 lookup); the host also checks the product string. */
#include "core/protocol.h"
#define CDC_USB_VID     CD_USB_VID
#define CDC_USB_PID     CD_USB_PID
#define CDC_USB_PRODUCT "chipdump RP2040 programmer"

/** Start the controller and attach to the bus. serial: the iSerialNumber string (ASCII). */
void cdc_init(const char *serial);

/** Main-loop work: handle queued controller events, move data between DPRAM and the rings.
 * Returns true if it did anything. */
bool cdc_task(void);

size_t cdc_read(uint8_t *buf, size_t max);
size_t cdc_write(const uint8_t *buf, size_t n);
void cdc_flush(void);

/** Configured by the host and DTR set (a program has the port open). */
bool cdc_connected(void);

/** true when nothing is queued to send and the IN endpoint is idle. */
bool cdc_tx_idle(void);

/** true when received bytes wait in the ring. */
bool cdc_rx_available(void);

/** Counters for the transfer trace: packets and bytes sent on the bulk IN endpoint. */
struct cdc_stats {
    uint32_t in_packets, in_full_packets, in_bytes, in_zlps, out_packets, out_bytes;
};
extern struct cdc_stats cdc_stats;

#endif
