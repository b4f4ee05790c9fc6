/* The RP2040 port's internal interfaces: pins, clocks, the SPI bus. */
#ifndef RP2040_PORT_H
#define RP2040_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw.h"

/* Wiring (docs/wiring.md): the pico-serprog pinout, whose SCK/MOSI/MISO are SPI0's own pins
 * GP2/GP3/GP4 on FUNCSEL 1 (datasheet 2.19.2), chip select a SIO output on GP1. */
#define PIN_CS   1u
#define PIN_SCK  2u
#define PIN_MOSI 3u
#define PIN_MISO 4u

#define CLK_SYS_HZ  125000000u
#define CLK_PERI_HZ 125000000u /* clk_peri runs from clk_sys */

/* Default SCK: 125 MHz / 12 = 10.4 MHz, already above the ~1.2 MB/s a full-speed USB bulk
 * pipe carries, and slow enough for clip leads. The host raises or lowers it (S_SPI_FREQ). */
#ifndef SPI_DEFAULT_HZ
#define SPI_DEFAULT_HZ 12000000u
#endif

void clocks_init(void);

void spi_init(void);
void spi_pins(bool on);
uint32_t spi_set_freq(uint32_t hz);
uint32_t spi_get_freq(void);
void spi_cs(bool select);
void spi_xfer(const uint8_t *tx, uint8_t *rx, size_t n);

/** Progress flag: set by every board_* call that moved data; main() sleeps only when a pass of
 * the loop made none. */
extern volatile bool board_progress;

#endif
