/*
 * firmware/core/board.h for the RP2040: SPI0 + GP1 chip select, the 1 MHz TIMER, the CDC-ACM
 * byte pipe, and the ROM's reboot into BOOTSEL.
 */
#include "../core/board.h"
#include "rp2040.h"
#include "usb_cdc.h"

volatile bool board_progress;

void board_spi_xfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
    board_progress = true;
    spi_xfer(tx, rx, n);
}

void board_spi_cs(bool selected)
{
    /* spi_xfer returns only after the last frame came back, so the bus is idle here */
    spi_cs(selected);
}

uint32_t board_spi_set_hz(uint32_t hz)
{
    return spi_set_freq(hz);
}

void board_spi_pins(bool enable)
{
    spi_pins(enable);
}

uint32_t board_time_us(void)
{
    return time_us_32();
}

void board_delay_us(uint32_t us)
{
    board_progress = true;
    uint32_t t0 = time_us_32();
    while (time_us_32() - t0 < us)
        cdc_task(); /* keep USB served during long waits (see board_usb_connected) */
}

size_t board_usb_read(uint8_t *buf, size_t max)
{
    size_t n = cdc_read(buf, max);
    if (n)
        board_progress = true;
    return n;
}

size_t board_usb_write(const uint8_t *buf, size_t n)
{
    size_t done = cdc_write(buf, n);
    if (done)
        board_progress = true;
    return done;
}

void board_usb_flush(void)
{
    cdc_flush();
}

bool board_usb_connected(void)
{
    /* The engine asks this while it polls a busy chip (a chip erase can take minutes): serve
     * USB here too, or control requests (a closing port's DTR drop) would wait until the poll
     * ends, and hosts give up on control transfers after 5 s. */
    cdc_task();
    return cdc_connected();
}

/* RP2040 datasheet 2.8.3: the bootrom keeps a 16-bit pointer to its function table at 0x14 and
 * one to the lookup function at 0x18; reset_usb_boot is code 'U','B' and takes (GPIO activity
 * LED mask, interfaces to disable). Not reachable in the emulator (it has no bootrom). */
static uint16_t rom_hword(uint32_t addr)
{
    /* hide the constant from GCC, which takes a pointer below 4 KiB for a null-pointer bug */
    const volatile uint16_t *p;
    __asm__("" : "=r"(p) : "0"(addr));
    return *p;
}

void board_reboot_bootsel(void)
{
    typedef void *(*lookup_fn)(const uint16_t *table, uint32_t code);
    typedef void (*reset_usb_boot_fn)(uint32_t gpio_mask, uint32_t disable_mask);
    uint32_t s = irq_save();
    (void)s;
    const uint16_t *table = (const uint16_t *)(uintptr_t)rom_hword(0x14);
    lookup_fn lookup = (lookup_fn)(uintptr_t)rom_hword(0x18);
    reset_usb_boot_fn fn = (reset_usb_boot_fn)lookup(table, 'U' | ('B' << 8));
    fn(0, 0);
    for (;;)
        ;
}
