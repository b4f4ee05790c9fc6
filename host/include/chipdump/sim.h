/* libchipdump: SPI-level chip models (back the sim programmer and the tests). */
#ifndef CHIPDUMP_SIM_H
#define CHIPDUMP_SIM_H

#include <stdbool.h>
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

/*
 * SPI-NAND model of `chip` (a NAND row) over `array`: every page's data followed by its OOB
 * (page_size + oob_size bytes per page), die after die -- the raw-dump layout, so a page+OOB
 * dump is a chip. The array is owned by the caller (a mmap'ed file makes a file-backed chip).
 * The chip powers up with every block locked (A0h), ECC on and continuous read on where the
 * row has it. Returns NULL on a row the model cannot emulate (not NAND, bad geometry).
 */
struct cd_spi_model *cd_nand_model_new(const struct cd_chip *chip, uint8_t *array);

/** Bytes of array a NAND model of chip needs: pages x (page_size + oob_size). */
uint64_t cd_nand_raw_size(const struct cd_chip *chip);

enum cd_nand_fault_kind {
    CD_NAND_FAULT_BITFLIPS,     /* weak cells: `count` bits of ECC step `step` of page `where`
                                 * read flipped (corrected when ECC is on and count <= the
                                 * strength, uncorrectable above it, visible with ECC off) */
    CD_NAND_FAULT_PROGRAM_FAIL, /* PROGRAM EXECUTE in block `where` ends with P_FAIL */
    CD_NAND_FAULT_ERASE_FAIL,   /* BLOCK ERASE of block `where` ends with E_FAIL */
};

struct cd_nand_fault {
    enum cd_nand_fault_kind kind;
    uint32_t where; /* chip-wide page (bit flips) or block (P_FAIL, E_FAIL) */
    unsigned count; /* bit flips */
    unsigned step;  /* ECC step of the page the bit flips are in (0 = its first 512 bytes) */
};

/** Add a fault to a NAND model. CD_E_RANGE if it lies outside the chip. */
int cd_nand_model_add_fault(struct cd_spi_model *m, const struct cd_nand_fault *f);

/**
 * Where the last READ FROM CACHE began, as an offset into the array (chip-wide page x
 * (page + OOB) + column). False if the last command was not a cache read of an array page.
 */
bool cd_nand_model_last_cache_read(const struct cd_spi_model *m, uint64_t *raw_offset);

/** Counters for tests: what executed, and every rule a careful host never breaks. */
struct cd_nand_model_stats {
    uint64_t page_reads, page_programs, block_erases;
    uint64_t ignored_no_wel;     /* PROGRAM EXECUTE / BLOCK ERASE without WEL */
    uint64_t ignored_busy;       /* commands other than GET FEATURE / RESET while busy */
    uint64_t locked_rejects;     /* program/erase refused because blocks are locked (A0h) */
    uint64_t bad_block_erases;   /* erases of a block that carried a factory bad-block marker */
    uint64_t bad_block_programs; /* programs into such a block */
    uint64_t double_programs;    /* PROGRAM EXECUTE into a page already programmed since its
                                  * erase (with ECC on this corrupts the page's parity) */
    uint64_t blank_programs_ecc; /* all-0xFF page+OOB programmed with ECC on: writes parity, so
                                  * the page is no longer blank */
    uint64_t plane_mismatches;   /* cache access whose plane bit is not the page's plane */
    uint64_t cont_reads;         /* READ FROM CACHE in continuous-read mode */
    uint64_t otp_accesses;       /* page read / program with OTP_EN set */
};
void cd_nand_model_get_stats(const struct cd_spi_model *m, struct cd_nand_model_stats *st);

struct cd_programmer;
/** The chip model behind a sim programmer (NULL for any other programmer), for tests. */
struct cd_spi_model *cd_sim_model(struct cd_programmer *p);

#ifdef __cplusplus
}
#endif
#endif
