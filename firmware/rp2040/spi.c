/*
 * SPI flash bus: SPI0 (ARM PL022, RP2040 datasheet 4.4) on GP2 SCK / GP3 MOSI / GP4 MISO
 * (FUNCSEL 1, datasheet 2.19.2), chip select on GP1 as a plain SIO output so it can stay low
 * across any number of transfers. Mode 0, 8-bit frames, MSB first.
 *
 * Short transfers are done by the CPU, keeping at most 8 frames in flight (the PL022 FIFOs are
 * 8 deep: one more and the RX FIFO overruns). Long ones use two DMA channels paced by the SPI's
 * DREQs (datasheet 2.5.3.1): RX is started first so it is always ready to drain the frames TX
 * pushes.
 */
#include "rp2040.h"

#define SPI_DR (SPI0_BASE + SSP_DR)

#define DMA_CH_RX 0u
#define DMA_CH_TX 1u

/* Below this many bytes the CPU loop is cheaper than programming two DMA channels. */
#ifndef SPI_DMA_MIN
#define SPI_DMA_MIN 24u
#endif

static uint32_t spi_hz;
static bool pins_on;

static void pins_drive(bool on)
{
    static const uint8_t fn_pins[] = {PIN_SCK, PIN_MOSI, PIN_MISO};
    if (on) {
        /* CS high (deselected) before its output driver is enabled */
        REG(SIO_GPIO_OUT_SET) = 1u << PIN_CS;
        REG(SIO_GPIO_OE_SET) = 1u << PIN_CS;
        REG(PADS_GPIO(PIN_CS)) = PADS_IE | PADS_SCHMITT | (1u << PADS_DRIVE_SHIFT);
        REG(IO_GPIO_CTRL(PIN_CS)) = GPIO_FUNC_SIO;
        for (unsigned i = 0; i < sizeof(fn_pins); i++) {
            /* 8 mA drive, fast slew on SCK and MOSI: long clip leads are capacitive. MISO gets
             * a pull-up so an absent chip reads 0xFF, like the chip models. */
            uint32_t pad = PADS_IE | PADS_SCHMITT | (2u << PADS_DRIVE_SHIFT) | PADS_SLEWFAST;
            if (fn_pins[i] == PIN_MISO)
                pad = PADS_IE | PADS_SCHMITT | PADS_PUE;
            REG(PADS_GPIO(fn_pins[i])) = pad;
            REG(IO_GPIO_CTRL(fn_pins[i])) = GPIO_FUNC_SPI;
        }
    } else {
        /* serprog S_PIN_STATE(0): every bus pin an input without pulls, so another master
         * (the board's own SoC) can use the chip. */
        REG(SIO_GPIO_OE_CLR) = 1u << PIN_CS;
        REG(IO_GPIO_CTRL(PIN_CS)) = GPIO_FUNC_NULL;
        REG(PADS_GPIO(PIN_CS)) = PADS_IE | PADS_SCHMITT;
        for (unsigned i = 0; i < sizeof(fn_pins); i++) {
            REG(IO_GPIO_CTRL(fn_pins[i])) = GPIO_FUNC_NULL;
            REG(PADS_GPIO(fn_pins[i])) = PADS_IE | PADS_SCHMITT;
        }
    }
    pins_on = on;
}

void spi_pins(bool on)
{
    if (on != pins_on)
        pins_drive(on);
}

uint32_t spi_set_freq(uint32_t hz)
{
    /* SCK = clk_peri / (CPSDVSR * (1 + SCR)), CPSDVSR even 2..254, SCR 0..255 (datasheet
     * 4.4.4). Pick the fastest setting not above hz; below the slowest one, use the slowest. */
    uint32_t best_cps = 254, best_scr = 255, best = CLK_PERI_HZ / (254u * 256u);
    if (hz == 0)
        hz = 1;
    for (uint32_t cps = 2; cps <= 254; cps += 2) {
        uint32_t scr = 0;
        if (hz < CLK_PERI_HZ / cps) {
            uint64_t den = (uint64_t)hz * cps;
            uint64_t div = (CLK_PERI_HZ + den - 1) / den; /* ceil: (1 + SCR) */
            if (div > 256)
                continue;
            scr = (uint32_t)div - 1;
        }
        uint32_t f = CLK_PERI_HZ / (cps * (1 + scr));
        if (f <= hz && f > best) {
            best = f;
            best_cps = cps;
            best_scr = scr;
        }
        if (scr == 0)
            break; /* larger prescalers only get slower */
    }
    hw_clear_bits(SPI0_BASE + SSP_CR1, SSP_CR1_SSE); /* change format only while disabled */
    REG(SPI0_BASE + SSP_CPSR) = best_cps;
    REG(SPI0_BASE + SSP_CR0) = (best_scr << 8) | 7u; /* Motorola mode 0, DSS = 8 bits */
    hw_set_bits(SPI0_BASE + SSP_CR1, SSP_CR1_SSE);
    spi_hz = best;
    return best;
}

uint32_t spi_get_freq(void)
{
    return spi_hz;
}

void spi_init(void)
{
    REG(SPI0_BASE + SSP_CR1) = 0; /* master, disabled */
    REG(SPI0_BASE + SSP_IMSC) = 0;
    REG(SPI0_BASE + SSP_DMACR) = SSP_DMACR_TXDMAE | SSP_DMACR_RXDMAE;
    spi_set_freq(SPI_DEFAULT_HZ);
    pins_drive(true);
}

void spi_cs(bool select)
{
    if (select)
        REG(SIO_GPIO_OUT_CLR) = 1u << PIN_CS;
    else
        REG(SIO_GPIO_OUT_SET) = 1u << PIN_CS;
}

static void xfer_cpu(const uint8_t *tx, uint8_t *rx, size_t n)
{
    size_t sent = 0, got = 0;
    while (got < n) {
        /* keep at most 8 frames in flight: the RX FIFO depth */
        while (sent < n && sent - got < 8 && (REG(SPI0_BASE + SSP_SR) & SSP_SR_TNF)) {
            REG(SPI_DR) = tx ? tx[sent] : 0xffu;
            sent++;
        }
        while (got < sent && (REG(SPI0_BASE + SSP_SR) & SSP_SR_RNE)) {
            uint8_t b = (uint8_t)REG(SPI_DR);
            if (rx)
                rx[got] = b;
            got++;
        }
    }
}

/* The CPU's only part in a DMA transfer: waiting. A function of its own so that the emulator's
 * cycle profile tells wire time from work (tests/emu bench). */
__attribute__((noinline)) static void dma_wait(void)
{
    /* RX finishing means every frame has also left TX and the bus is idle */
    while (REG(DMA_CH_CTRL_TRIG(DMA_CH_RX)) & DMA_CTRL_BUSY)
        ;
}

static void xfer_dma(const uint8_t *tx, uint8_t *rx, size_t n)
{
    static const uint8_t ones = 0xff;
    static uint8_t sink;
    REG(DMA_CH_READ_ADDR(DMA_CH_RX)) = SPI_DR;
    REG(DMA_CH_WRITE_ADDR(DMA_CH_RX)) = rx ? (uint32_t)(uintptr_t)rx : (uint32_t)(uintptr_t)&sink;
    REG(DMA_CH_TRANS_COUNT(DMA_CH_RX)) = n;
    REG(DMA_CH_CTRL_TRIG(DMA_CH_RX)) =
        DMA_CTRL_EN | DMA_CTRL_HIGH_PRIORITY | DMA_CTRL_SIZE_BYTE | (rx ? DMA_CTRL_INCR_WRITE : 0) |
        (DMA_CH_RX << DMA_CTRL_CHAIN_SHIFT) | (DREQ_SPI0_RX << DMA_CTRL_TREQ_SHIFT);
    REG(DMA_CH_READ_ADDR(DMA_CH_TX)) = tx ? (uint32_t)(uintptr_t)tx : (uint32_t)(uintptr_t)&ones;
    REG(DMA_CH_WRITE_ADDR(DMA_CH_TX)) = SPI_DR;
    REG(DMA_CH_TRANS_COUNT(DMA_CH_TX)) = n;
    REG(DMA_CH_CTRL_TRIG(DMA_CH_TX)) =
        DMA_CTRL_EN | DMA_CTRL_SIZE_BYTE | (tx ? DMA_CTRL_INCR_READ : 0) |
        (DMA_CH_TX << DMA_CTRL_CHAIN_SHIFT) | (DREQ_SPI0_TX << DMA_CTRL_TREQ_SHIFT);
    dma_wait();
}

void spi_xfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
    if (n >= SPI_DMA_MIN)
        xfer_dma(tx, rx, n);
    else if (n)
        xfer_cpu(tx, rx, n);
}
