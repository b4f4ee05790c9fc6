/*
 * Startup: the vector table (at 0x10000100, where boot2 points VTOR) and the reset handler.
 * Cortex-M0+ loads SP from word 0 and jumps to word 1 (ARMv6-M ARM B1.5.5); the RP2040 has
 * 32 external interrupts (datasheet 2.3.2), USBCTRL is IRQ 5.
 */
#include <stdint.h>

#include "hw.h"
#include "usb_dcd.h"

extern uint32_t __stack_top[], __data_start[], __data_end[], __data_load[], __bss_start[],
    __bss_end[];

int main(void);
void reset_handler(void);

/** Unexpected exception or interrupt: stop at a breakpoint (the emulator harness reports it
 * as a firmware fault; on a board without a debugger it escalates to a lockup). */
static void fault_handler(void)
{
    for (;;)
        __asm__ volatile("bkpt #0xfe");
}

__attribute__((section(".vectors"), used)) static void (*const vectors[48])(void) = {
    [0] = (void (*)(void))__stack_top,
    [1] = reset_handler,
    [2] = fault_handler,  /* NMI */
    [3] = fault_handler,  /* HardFault */
    [11] = fault_handler, /* SVCall */
    [14] = fault_handler, /* PendSV */
    [15] = fault_handler, /* SysTick */
    [16 + 0] = fault_handler,
    [16 + 1] = fault_handler,
    [16 + 2] = fault_handler,
    [16 + 3] = fault_handler,
    [16 + 4] = fault_handler,
    [16 + USBCTRL_IRQ] = usb_irq_handler,
    [16 + 6] = fault_handler,
    [16 + 7] = fault_handler,
    [16 + 8] = fault_handler,
    [16 + 9] = fault_handler,
    [16 + 10] = fault_handler,
    [16 + 11] = fault_handler,
    [16 + 12] = fault_handler,
    [16 + 13] = fault_handler,
    [16 + 14] = fault_handler,
    [16 + 15] = fault_handler,
    [16 + 16] = fault_handler,
    [16 + 17] = fault_handler,
    [16 + 18] = fault_handler,
    [16 + 19] = fault_handler,
    [16 + 20] = fault_handler,
    [16 + 21] = fault_handler,
    [16 + 22] = fault_handler,
    [16 + 23] = fault_handler,
    [16 + 24] = fault_handler,
    [16 + 25] = fault_handler,
    [16 + 26] = fault_handler,
    [16 + 27] = fault_handler,
    [16 + 28] = fault_handler,
    [16 + 29] = fault_handler,
    [16 + 30] = fault_handler,
    [16 + 31] = fault_handler,
};

void reset_handler(void)
{
    /* .data from its load image in flash, then zero .bss (plain loops: no libc yet). */
    uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
    main();
    for (;;)
        __asm__ volatile("bkpt #0xfd");
}
