/*
 * Clock tree: XOSC 12 MHz -> clk_ref; PLL_SYS 1500 MHz VCO / 6 / 2 = 125 MHz -> clk_sys and
 * clk_peri; PLL_USB 1200 MHz VCO / 5 / 5 = 48 MHz -> clk_usb. The order follows RP2040 datasheet
 * 2.15 (glitchless muxes: park clk_sys on clk_ref before touching its PLL), 2.16 (XOSC) and 2.18
 * (PLL programming sequence); values as in shared facts §6.5.
 */
#include "rp2040.h"

#define XOSC_MHZ 12u

static void pll_start(uint32_t base, uint32_t reset_bit, uint32_t fbdiv, uint32_t post1,
                      uint32_t post2)
{
    reset_block(reset_bit);
    unreset_block_wait(reset_bit);
    REG(base + PLL_CS) = 1; /* REFDIV = 1: 12 MHz reference */
    REG(base + PLL_FBDIV_INT) = fbdiv;
    hw_clear_bits(base + PLL_PWR, PLL_PWR_PD | PLL_PWR_VCOPD);
    while (!(REG(base + PLL_CS) & PLL_CS_LOCK))
        ;
    /* post dividers only after lock (datasheet 2.18.2) */
    REG(base + PLL_PRIM) = (post1 << 16) | (post2 << 12);
    hw_clear_bits(base + PLL_PWR, PLL_PWR_POSTDIVPD);
}

void clocks_init(void)
{
    REG(CLK_SYS_RESUS_CTRL) = 0;

    /* XOSC: 1-15 MHz range; startup delay in units of 256 reference cycles: ~1 ms x 6 margin,
     * the pico-sdk's default for slow-starting crystals (datasheet 2.16.3). */
    REG(XOSC_CTRL) = XOSC_CTRL_FREQ_1_15MHZ;
    REG(XOSC_STARTUP) = ((XOSC_MHZ * 1000u + 128u) / 256u) * 6u;
    REG(XOSC_CTRL) = XOSC_CTRL_FREQ_1_15MHZ | XOSC_CTRL_ENABLE;
    while (!(REG(XOSC_STATUS) & XOSC_STATUS_STABLE))
        ;

    /* clk_sys -> clk_ref (SRC = 0), then clk_ref -> XOSC (SRC = 2), divider 1 */
    hw_clear_bits(CLK_SYS_CTRL, 1u);
    while (!(REG(CLK_SYS_SELECTED) & 1u))
        ;
    hw_write_masked(CLK_REF_CTRL, 2u, 3u);
    while (!(REG(CLK_REF_SELECTED) & (1u << 2)))
        ;
    REG(CLK_REF_DIV) = 1u << 8;

    pll_start(PLL_SYS_BASE, RESET_PLL_SYS, 125, 6, 2);
    pll_start(PLL_USB_BASE, RESET_PLL_USB, 100, 5, 5);

    /* clk_sys: AUXSRC = PLL_SYS (0) first, then SRC = aux (1) */
    REG(CLK_SYS_DIV) = 1u << 8;
    hw_write_masked(CLK_SYS_CTRL, 0u << CLK_AUXSRC_SHIFT, 7u << CLK_AUXSRC_SHIFT);
    hw_set_bits(CLK_SYS_CTRL, 1u);
    while (!(REG(CLK_SYS_SELECTED) & 2u))
        ;

    /* clk_usb = PLL_USB / 1 = 48 MHz; clk_peri = clk_sys (SPI0's clock) */
    REG(CLK_USB_CTRL) = 0;
    REG(CLK_USB_DIV) = 1u << 8;
    REG(CLK_USB_CTRL) = CLK_CTRL_ENABLE | (0u << CLK_AUXSRC_SHIFT);
    REG(CLK_PERI_CTRL) = 0;
    REG(CLK_PERI_CTRL) = CLK_CTRL_ENABLE | (0u << CLK_AUXSRC_SHIFT);

    /* The TIMER counts watchdog ticks: 12 clk_ref cycles = 1 us (datasheet 4.7.2). */
    REG(WATCHDOG_TICK) = WATCHDOG_TICK_ENABLE | XOSC_MHZ;
}
