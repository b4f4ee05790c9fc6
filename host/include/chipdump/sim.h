/* libchipdump: SPI-level chip models (back the sim programmer and the tests). */
#ifndef CHIPDUMP_SIM_H
#define CHIPDUMP_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "chipdb.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A chip on an SPI bus, answering byte by byte as the datasheet says. Time is virtual:
 * busy periods (program, erase) end only when advance_ns() has moved the model's clock past
 * them, so tests run at full speed yet see WIP/OIP exactly as a host polling a real chip.
 */
struct cd_spi_model;

struct cd_spi_model_ops {
    /** CS# falls: a new command begins. */
    void (*select)(struct cd_spi_model *m);
    /**
     * Clock n bytes. mosi NULL means 0xFF is driven; miso NULL means the reply is dropped.
     * Bytes the chip does not drive read as 0xFF (pulled-up MISO).
     */
    void (*xfer)(struct cd_spi_model *m, const uint8_t *mosi, uint8_t *miso, size_t n);
    /** CS# rises: commands that execute on the rising edge (PP, SE, WRSR...) start here. */
    void (*deselect)(struct cd_spi_model *m);
    /** Let ns nanoseconds of chip time pass. */
    void (*advance_ns)(struct cd_spi_model *m, uint64_t ns);
    void (*destroy)(struct cd_spi_model *m);
};

struct cd_spi_model {
    const struct cd_spi_model_ops *ops;
};

/*
 * SPI-NOR model of `chip` over `array` (chip->size bytes, owned by the caller; writes land
 * there directly, so a mmap'ed file is a file-backed chip). The chip row must stay valid for
 * the model's life. Returns NULL on a row the model cannot emulate (not NOR, bad geometry).
 * sr1_initial presets status register 1 (block-protect bits), normally 0.
 */
struct cd_spi_model *cd_nor_model_new(const struct cd_chip *chip, uint8_t *array,
                                      uint8_t sr1_initial);

/**
 * Bytes of the SFDP area (header + parameter headers + BFPT) the NOR model serves for chip.
 * Writes at most max bytes to out and returns the full size (max 0, out NULL: size only).
 */
size_t cd_nor_model_sfdp(const struct cd_chip *chip, uint8_t *out, size_t max);

/** Counters for tests: how many program / erase operations actually executed. */
struct cd_nor_model_stats {
    uint64_t page_programs, erases_4k, erases_32k, erases_64k, chip_erases;
    uint64_t ignored_no_wel;  /* program/erase commands dropped because WEL was 0 */
    uint64_t ignored_busy;    /* commands dropped because the chip was busy */
    uint64_t ignored_protect; /* program/erase into a protected area */
};
void cd_nor_model_get_stats(const struct cd_spi_model *m, struct cd_nor_model_stats *st);

/**
 * The array range [*start, *start + *len) that status register 1 value sr1 write-protects on
 * chip, by its bp_bits / has_tb (the block-protect rule the NOR model enforces); *len = 0 when
 * nothing is protected.
 */
void cd_nor_protected_range(const struct cd_chip *chip, uint8_t sr1, uint64_t *start,
                            uint64_t *len);

struct cd_programmer;
/** The chip model behind a sim programmer (NULL for any other programmer), for tests. */
struct cd_spi_model *cd_sim_model(struct cd_programmer *p);

#ifdef __cplusplus
}
#endif
#endif
