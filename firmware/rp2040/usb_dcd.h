/*
 * USB device controller port (RP2040 USBCTRL in device mode, datasheet 4.1), TinyUSB dcd.h
 * style: the interrupt handler only reads and clears the hardware status and queues events;
 * the main loop pops them with dcd_event_get() and does the work.
 */
#ifndef RP2040_USB_DCD_H
#define RP2040_USB_DCD_H

#include <stdbool.h>
#include <stdint.h>

enum dcd_event_type {
    DCD_EVENT_BUS_RESET, /* the host reset the bus: address 0, endpoints closed */
    DCD_EVENT_SETUP,     /* a SETUP packet arrived (setup[]) */
    DCD_EVENT_XFER,      /* buffers completed: BUFF_STATUS bits (bit 2n EPn IN, 2n+1 EPn OUT) */
};

struct dcd_event {
    uint8_t type;
    uint8_t setup[8];
    uint32_t buff_status;
};

/** The USBCTRL interrupt (IRQ 5, vector table in crt0.c): reads and clears, queues events. */
void usb_irq_handler(void);

/** Controller on, EP0 ready, events enabled, pull-up on (the host sees us attach). */
void dcd_init(void);

/** Pop the oldest queued event; false when there is none. */
bool dcd_event_get(struct dcd_event *ev);

/** true when events are queued (for the main loop's decision to sleep). */
bool dcd_event_pending(void);

/** Set the device address (after the SET_ADDRESS status stage, USB 2.0 9.4.6). */
void dcd_set_address(uint8_t addr);

/**
 * Enable endpoint ep_addr (bit 7 = IN) of type 2 (bulk) or 3 (interrupt) with a 64-byte buffer
 * at DPRAM offset buf (64-byte aligned, >= 0x180); its data toggle starts at DATA0.
 */
void dcd_ep_open(uint8_t ep_addr, uint32_t type, uint32_t buf);

/** Pointer to the DPRAM buffer of an endpoint (EP0: the shared 64-byte buffer). */
volatile uint8_t *dcd_ep_buf(uint8_t ep_addr);

/**
 * Hand a buffer to the controller: IN sends len bytes already in the buffer, OUT accepts up
 * to len. Uses the endpoint's current data PID and toggles it. The buffer-control word is
 * written twice, AVAILABLE only the second time, a few cycles apart (see usb_dcd.c).
 */
void dcd_ep_arm(uint8_t ep_addr, uint32_t len);

/** Bytes the host sent into an OUT buffer that completed. */
uint32_t dcd_ep_out_len(uint8_t ep);

/** Next packet of the endpoint uses DATA1 (EP0 after SETUP) or DATA0 (after CLEAR_FEATURE). */
void dcd_ep_set_pid(uint8_t ep_addr, bool data1);

/** STALL both directions of EP0 until the next SETUP (a request we do not support). */
void dcd_ep0_stall(void);

#endif
