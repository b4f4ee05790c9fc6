/*
 * firmware/core/board.h — everything the protocol engine needs from a board.
 *
 * The engine (firmware/core) is pure C with no register access. A board provides these
 * functions in one .c file: firmware/rp2040/ for the real thing, firmware/host/ for the
 * host-compiled tests (wired to a chip model). All are called from the main loop only,
 * never from an interrupt; USB interrupts should only queue data (TinyUSB style).
 *
 * The engine entry points a board's main loop calls are in firmware/core/fwcore.h:
 *     fw_init();  for (;;) { <port's USB housekeeping>; fw_task(); }
 */
#ifndef CHIPDUMP_FW_BOARD_H
#define CHIPDUMP_FW_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- SPI (mode 0, MSB first, 8-bit frames) ---- */

/* Clock n bytes full duplex; tx NULL sends 0xFF, rx NULL discards what came back. */
void board_spi_xfer(const uint8_t *tx, uint8_t *rx, size_t n);

/* Drive chip select: true = selected (CS# low); returns only after the bus is idle. */
void board_spi_cs(bool selected);

/* Set SCK to the highest rate <= hz (the lowest supported if none is); returns the rate set. */
uint32_t board_spi_set_hz(uint32_t hz);

/* true: drive CS/SCK/MOSI (CS deselected); false: all SPI pins to high-Z inputs. */
void board_spi_pins(bool enable);

/* ---- time ---- */

/* Microseconds since boot; wraps at 2^32, callers compare with unsigned subtraction. */
uint32_t board_time_us(void);

/* Busy-wait at least us microseconds (host boards advance the chip model's clock instead). */
void board_delay_us(uint32_t us);

/* ---- the USB byte pipe (CDC-ACM data, or a socket on the host) ---- */

/* Copy up to max received bytes into buf without blocking; returns the count (0: none yet). */
size_t board_usb_read(uint8_t *buf, size_t max);

/* Queue up to n bytes for the host without blocking; returns how many were accepted. */
size_t board_usb_write(const uint8_t *buf, size_t n);

/* Send what is queued now, even a short packet (called at the end of every reply). */
void board_usb_flush(void);

/* true while a host has the pipe open; false (unplugged, reset, port closed) aborts work. */
bool board_usb_connected(void);

/* ---- system ---- */

/* Reboot into the RP2040 ROM's USB mass-storage bootloader (BOOTSEL); host boards record it. */
void board_reboot_bootsel(void);

#endif
