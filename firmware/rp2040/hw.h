/*
 * RP2040 register map: only the blocks and fields this firmware touches, with pico-sdk-style
 * one-register helpers. Addresses and bit positions are from the RP2040 datasheet (section
 * numbers below) and were cross-checked against the pico-sdk hardware_regs headers
 * (addressmap.h, resets.h, clocks.h, xosc.h, pll.h, io_bank0.h, pads_bank0.h, sio.h, spi.h,
 * dma.h, usb.h, timer.h, watchdog.h, ssi.h). See also shared facts §6.
 */
#ifndef RP2040_HW_H
#define RP2040_HW_H

#include <stdbool.h>
#include <stdint.h>

typedef volatile uint32_t io_rw_32;

#define REG(addr) (*(io_rw_32 *)(uintptr_t)(addr))

/* Datasheet 2.1.2: every APB/AHB peripheral register (not SIO) has atomic aliases. */
#define REG_ALIAS_XOR 0x1000u
#define REG_ALIAS_SET 0x2000u
#define REG_ALIAS_CLR 0x3000u

static inline void hw_set_bits(uint32_t addr, uint32_t mask)
{
    REG(addr + REG_ALIAS_SET) = mask;
}

static inline void hw_clear_bits(uint32_t addr, uint32_t mask)
{
    REG(addr + REG_ALIAS_CLR) = mask;
}

/** Replace the bits of mask with value using the XOR alias (one read, one write). */
static inline void hw_write_masked(uint32_t addr, uint32_t value, uint32_t mask)
{
    REG(addr + REG_ALIAS_XOR) = (REG(addr) ^ value) & mask;
}

/* ---- address map (datasheet 2.2) ---- */
#define XIP_BASE           0x10000000u
#define XIP_SSI_BASE       0x18000000u
#define SRAM_BASE          0x20000000u
#define SYSINFO_BASE       0x40000000u
#define CLOCKS_BASE        0x40008000u
#define RESETS_BASE        0x4000c000u
#define IO_BANK0_BASE      0x40014000u
#define PADS_BANK0_BASE    0x4001c000u
#define XOSC_BASE          0x40024000u
#define PLL_SYS_BASE       0x40028000u
#define PLL_USB_BASE       0x4002c000u
#define SPI0_BASE          0x4003c000u
#define TIMER_BASE         0x40054000u
#define WATCHDOG_BASE      0x40058000u
#define DMA_BASE           0x50000000u
#define USBCTRL_DPRAM_BASE 0x50100000u
#define USBCTRL_REGS_BASE  0x50110000u
#define SIO_BASE           0xd0000000u
#define PPB_BASE           0xe0000000u

/* ---- resets (datasheet 2.14) ---- */
#define RESETS_RESET      (RESETS_BASE + 0x0)
#define RESETS_RESET_DONE (RESETS_BASE + 0x8)
#define RESET_DMA         (1u << 2)
#define RESET_IO_BANK0    (1u << 5)
#define RESET_PADS_BANK0  (1u << 8)
#define RESET_PLL_SYS     (1u << 12)
#define RESET_PLL_USB     (1u << 13)
#define RESET_SPI0        (1u << 16)
#define RESET_TIMER       (1u << 21)
#define RESET_USBCTRL     (1u << 24)

/** Hold the blocks in mask in reset. */
static inline void reset_block(uint32_t mask)
{
    hw_set_bits(RESETS_RESET, mask);
}

/** Release the blocks in mask and wait until RESET_DONE reports every one of them. */
static inline void unreset_block_wait(uint32_t mask)
{
    hw_clear_bits(RESETS_RESET, mask);
    while ((REG(RESETS_RESET_DONE) & mask) != mask)
        ;
}

/* ---- XOSC (datasheet 2.16) ---- */
#define XOSC_CTRL              (XOSC_BASE + 0x00)
#define XOSC_STATUS            (XOSC_BASE + 0x04)
#define XOSC_STARTUP           (XOSC_BASE + 0x0c)
#define XOSC_CTRL_FREQ_1_15MHZ 0xaa0u
#define XOSC_CTRL_ENABLE       (0xfabu << 12)
#define XOSC_STATUS_STABLE     (1u << 31)

/* ---- PLL (datasheet 2.18) ---- */
#define PLL_CS            0x0
#define PLL_PWR           0x4
#define PLL_FBDIV_INT     0x8
#define PLL_PRIM          0xc
#define PLL_CS_LOCK       (1u << 31)
#define PLL_PWR_PD        (1u << 0)
#define PLL_PWR_POSTDIVPD (1u << 3)
#define PLL_PWR_VCOPD     (1u << 5)

/* ---- clocks (datasheet 2.15) ---- */
#define CLK_REF_CTRL       (CLOCKS_BASE + 0x30)
#define CLK_REF_DIV        (CLOCKS_BASE + 0x34)
#define CLK_REF_SELECTED   (CLOCKS_BASE + 0x38)
#define CLK_SYS_CTRL       (CLOCKS_BASE + 0x3c)
#define CLK_SYS_DIV        (CLOCKS_BASE + 0x40)
#define CLK_SYS_SELECTED   (CLOCKS_BASE + 0x44)
#define CLK_PERI_CTRL      (CLOCKS_BASE + 0x48)
#define CLK_USB_CTRL       (CLOCKS_BASE + 0x54)
#define CLK_USB_DIV        (CLOCKS_BASE + 0x58)
#define CLK_SYS_RESUS_CTRL (CLOCKS_BASE + 0x78)
#define CLK_CTRL_ENABLE    (1u << 11)
#define CLK_AUXSRC_SHIFT   5

/* ---- watchdog tick + scratch (datasheet 4.7) ---- */
#define WATCHDOG_SCRATCH0    (WATCHDOG_BASE + 0x0c)
#define WATCHDOG_SCRATCH1    (WATCHDOG_BASE + 0x10)
#define WATCHDOG_SCRATCH2    (WATCHDOG_BASE + 0x14)
#define WATCHDOG_TICK        (WATCHDOG_BASE + 0x2c)
#define WATCHDOG_TICK_ENABLE (1u << 9)

/* ---- timer: free-running 1 MHz counter (datasheet 4.6) ---- */
#define TIMER_TIMERAWH (TIMER_BASE + 0x24)
#define TIMER_TIMERAWL (TIMER_BASE + 0x28)

/** Microseconds since the timer left reset (low 32 bits; wraps after 71 minutes). */
static inline uint32_t time_us_32(void)
{
    return REG(TIMER_TIMERAWL);
}

/* ---- IO_BANK0 / PADS_BANK0 (datasheet 2.19) ---- */
#define IO_GPIO_CTRL(n)  (IO_BANK0_BASE + 8u * (n) + 4u)
#define PADS_GPIO(n)     (PADS_BANK0_BASE + 4u + 4u * (n))
#define GPIO_FUNC_SPI    1u
#define GPIO_FUNC_SIO    5u
#define GPIO_FUNC_NULL   0x1fu
#define PADS_OD          (1u << 7)
#define PADS_IE          (1u << 6)
#define PADS_DRIVE_SHIFT 4
#define PADS_PUE         (1u << 3)
#define PADS_PDE         (1u << 2)
#define PADS_SCHMITT     (1u << 1)
#define PADS_SLEWFAST    (1u << 0)

/* ---- SIO (datasheet 2.3.1) ---- */
#define SIO_GPIO_IN      (SIO_BASE + 0x04)
#define SIO_GPIO_OUT_SET (SIO_BASE + 0x14)
#define SIO_GPIO_OUT_CLR (SIO_BASE + 0x18)
#define SIO_GPIO_OE_SET  (SIO_BASE + 0x24)
#define SIO_GPIO_OE_CLR  (SIO_BASE + 0x28)

/* ---- SPI0, ARM PL022 (datasheet 4.4) ---- */
#define SSP_CR0          0x00
#define SSP_CR1          0x04
#define SSP_DR           0x08
#define SSP_SR           0x0c
#define SSP_CPSR         0x10
#define SSP_IMSC         0x14
#define SSP_ICR          0x20
#define SSP_DMACR        0x24
#define SSP_CR1_SSE      (1u << 1)
#define SSP_SR_BSY       (1u << 4)
#define SSP_SR_RNE       (1u << 2)
#define SSP_SR_TNF       (1u << 1)
#define SSP_DMACR_TXDMAE (1u << 1)
#define SSP_DMACR_RXDMAE (1u << 0)

/* ---- DMA (datasheet 2.5.7); channel n registers at 0x40 * n ---- */
#define DMA_CH_READ_ADDR(n)    (DMA_BASE + 0x40u * (n) + 0x00)
#define DMA_CH_WRITE_ADDR(n)   (DMA_BASE + 0x40u * (n) + 0x04)
#define DMA_CH_TRANS_COUNT(n)  (DMA_BASE + 0x40u * (n) + 0x08)
#define DMA_CH_CTRL_TRIG(n)    (DMA_BASE + 0x40u * (n) + 0x0c)
#define DMA_CH_AL1_CTRL(n)     (DMA_BASE + 0x40u * (n) + 0x10)
#define DMA_CTRL_EN            (1u << 0)
#define DMA_CTRL_HIGH_PRIORITY (1u << 1)
#define DMA_CTRL_SIZE_BYTE     (0u << 2)
#define DMA_CTRL_INCR_READ     (1u << 4)
#define DMA_CTRL_INCR_WRITE    (1u << 5)
#define DMA_CTRL_CHAIN_SHIFT   11
#define DMA_CTRL_TREQ_SHIFT    15
#define DMA_CTRL_BUSY          (1u << 24)
#define DREQ_SPI0_TX           16u
#define DREQ_SPI0_RX           17u

/* ---- USB controller (datasheet 4.1.4) ---- */
#define USB_ADDR_ENDP    (USBCTRL_REGS_BASE + 0x00)
#define USB_MAIN_CTRL    (USBCTRL_REGS_BASE + 0x40)
#define USB_SIE_CTRL     (USBCTRL_REGS_BASE + 0x4c)
#define USB_SIE_STATUS   (USBCTRL_REGS_BASE + 0x50)
#define USB_BUFF_STATUS  (USBCTRL_REGS_BASE + 0x58)
#define USB_EP_STALL_ARM (USBCTRL_REGS_BASE + 0x68)
#define USB_MUXING       (USBCTRL_REGS_BASE + 0x74)
#define USB_PWR          (USBCTRL_REGS_BASE + 0x78)
#define USB_INTE         (USBCTRL_REGS_BASE + 0x90)
#define USB_INTS         (USBCTRL_REGS_BASE + 0x98)

#define USB_MAIN_CTRL_CONTROLLER_EN     (1u << 0)
#define USB_SIE_CTRL_EP0_INT_1BUF       (1u << 29)
#define USB_SIE_CTRL_PULLUP_EN          (1u << 16)
#define USB_SIE_STATUS_SETUP_REC        (1u << 17)
#define USB_SIE_STATUS_BUS_RESET        (1u << 19)
#define USB_MUXING_TO_PHY               (1u << 0)
#define USB_MUXING_SOFTCON              (1u << 3)
#define USB_PWR_VBUS_DETECT             (1u << 2)
#define USB_PWR_VBUS_DETECT_OVERRIDE_EN (1u << 3)
#define USB_INT_BUFF_STATUS             (1u << 4)
#define USB_INT_BUS_RESET               (1u << 12)
#define USB_INT_SETUP_REQ               (1u << 16)

/* DPRAM layout (datasheet 4.1.2.5) */
#define USB_DPRAM_SETUP             (USBCTRL_DPRAM_BASE + 0x00)
#define USB_DPRAM_EP_CTRL(ep, out)  (USBCTRL_DPRAM_BASE + 8u * (ep) + ((out) ? 4u : 0u))
#define USB_DPRAM_BUF_CTRL(ep, out) (USBCTRL_DPRAM_BASE + 0x80u + 8u * (ep) + ((out) ? 4u : 0u))
#define USB_DPRAM_EP0_BUF           0x100u /* offset: 64 bytes shared by EP0 IN and OUT */
#define USB_DPRAM_DATA_START        0x180u /* offset: first buffer for EP1.. */

#define EP_CTRL_ENABLE             (1u << 31)
#define EP_CTRL_INTERRUPT_PER_BUFF (1u << 29)
#define EP_CTRL_TYPE_SHIFT         26
#define EP_TYPE_BULK               2u
#define EP_TYPE_INTERRUPT          3u
#define BUF_CTRL_LEN_MASK          0x3ffu
#define BUF_CTRL_AVAILABLE         (1u << 10)
#define BUF_CTRL_STALL             (1u << 11)
#define BUF_CTRL_DATA1_PID         (1u << 13)
#define BUF_CTRL_LAST              (1u << 14)
#define BUF_CTRL_FULL              (1u << 15)

/* ---- Cortex-M0+ system control (ARMv6-M ARM B3) ---- */
#define PPB_NVIC_ISER (PPB_BASE + 0xe100)
#define PPB_NVIC_ICER (PPB_BASE + 0xe180)
#define PPB_VTOR      (PPB_BASE + 0xed08)
#define USBCTRL_IRQ   5u

static inline void irq_enable(unsigned irq)
{
    REG(PPB_NVIC_ISER) = 1u << irq;
}

static inline void irq_disable(unsigned irq)
{
    REG(PPB_NVIC_ICER) = 1u << irq;
}

static inline uint32_t irq_save(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

/** Sleep until an interrupt is pending (works with PRIMASK set: wakes, does not enter). */
static inline void wait_for_interrupt(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

#endif
