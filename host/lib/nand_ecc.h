/*
 * Internal: the named SPI-NAND on-die ECC status decoders (a row's `ecc_status`).
 *
 * The contract, once: after a PAGE READ with ECC_EN set, status() turns the status register
 * (C0h) into the number of corrected bitflips, reading at most one more register through
 * read_reg when the vendor keeps the count elsewhere. It returns
 *   >= 0                    corrected bitflips: the most in one ECC step; where the chip
 *                           reports a range (1-3), its upper bound; where it reports no
 *                           count at all, the ECC strength (as Linux does, so nobody
 *                           underestimates wear);
 *   CD_E_ECC_UNCORRECTABLE  the page holds more errors than the ECC corrects;
 *   another negative cd_err read_reg's error, or CD_E_PROTOCOL for an encoding the
 *                           datasheet leaves undefined (detail names the bits).
 * Each decoder follows the vendor driver in Linux drivers/mtd/nand/spi/ named beside it.
 */
#ifndef CHIPDUMP_NAND_ECC_H
#define CHIPDUMP_NAND_ECC_H

#include <stddef.h>
#include <stdint.h>

/* read_reg addresses: a GET FEATURE address (0x30, 0xF0), or this for Macronix's
 * GET ECC STATUS command (7Ch + 1 dummy byte -> ECCSR). */
#define CD_NAND_REG_MX_ECCSR 0x17C

typedef int (*cd_nand_reg_fn)(void *user, uint16_t reg, uint8_t *val);

struct cd_nand_ecc_decoder {
    const char *name; /* the chipdb `ecc_status` word */
    int (*status)(uint8_t sr, unsigned strength, cd_nand_reg_fn read_reg, void *user);
};

/** The decoder called name, NULL if there is none. */
const struct cd_nand_ecc_decoder *cd_nand_ecc_decoder(const char *name);

/** Every decoder (for tests and `chips check`). */
extern const struct cd_nand_ecc_decoder cd_nand_ecc_decoders[];
extern const size_t cd_nand_ecc_ndecoders;

#endif
