/*
 * chipdump RP2040 firmware: bring the chip up, then run the USB stack and the protocol engine
 * (firmware/core) from one loop. Interrupts only queue USB events (usb_dcd.c); the loop sleeps
 * when a pass did nothing, and the next USB interrupt wakes it.
 */
#include "../core/fwcore.h"
#include "rp2040.h"
#include "usb_cdc.h"
#include "usb_dcd.h"

/* boot2.S leaves the flash's 64-bit unique ID in watchdog SCRATCH1/2 and this in SCRATCH0 */
#define UID_MAGIC 0x1d5ee1a1u

/* iSerialNumber: the flash unique ID as 16 upper-case hex digits (the same serial the pico-sdk
 * derives for a Pico: the RP2040 itself has no unique ID); "NOUID" if boot2 did not run. */
static void make_serial(char *out)
{
    if (REG(WATCHDOG_SCRATCH0) != UID_MAGIC) {
        const char *s = "NOUID";
        while ((*out++ = *s++))
            ;
        return;
    }
    uint32_t w[2] = {REG(WATCHDOG_SCRATCH1), REG(WATCHDOG_SCRATCH2)};
    for (unsigned i = 0; i < 16; i++) {
        uint32_t nib = (w[i / 8] >> (28 - 4 * (i % 8))) & 0xfu;
        out[i] = (char)(nib < 10 ? '0' + nib : 'A' + nib - 10);
    }
    out[16] = 0;
}

int main(void)
{
    /* Everything this firmware drives starts from reset (a watchdog or debugger restart can leave
     * it configured); the PLLs are reset inside clocks_init() once clk_sys is off them. */
    reset_block(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_SPI0 | RESET_DMA | RESET_TIMER |
                RESET_USBCTRL);
    clocks_init();
    unreset_block_wait(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_SPI0 | RESET_DMA | RESET_TIMER);
    spi_init();

    static char serial[20];
    make_serial(serial);
    cdc_init(serial);
    fw_init();

    for (;;) {
        board_progress = false;
        bool busy = cdc_task();
        fw_task();
        busy |= cdc_task() || board_progress;
        busy |= cdc_rx_available() && cdc_tx_idle(); /* input the engine has yet to look at */
        /* Mid-command the engine keeps time (receive and send timeouts) and no interrupt may
         * come to wake us, so only an idle engine sleeps. */
        if (busy || !fw_idle())
            continue;
        /* Sleep only if no interrupt slipped in after the checks: with PRIMASK set, WFI still
         * wakes on a pending interrupt (ARMv6-M B1.5.19), which then runs after cpsie. */
        uint32_t s = irq_save();
        if (!dcd_event_pending())
            wait_for_interrupt();
        irq_restore(s);
    }
}
