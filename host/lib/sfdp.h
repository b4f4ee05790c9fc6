/* libchipdump internal: JESD216 SFDP parser for NOR chips that are not in the database. */
#ifndef CHIPDUMP_SFDP_H
#define CHIPDUMP_SFDP_H

#include <stddef.h>
#include <stdint.h>

#include "chipdump/chipdb.h"

/*
 * The SFDP area is read with RDSFDP (5Ah, 3 address bytes, 8 dummy clocks) from address 0.
 * Typical use:
 *
 *     read 64 bytes;
 *     while ((need = cd_sfdp_needed(buf, have)) > have) read `need` bytes;
 *     if (need) cd_sfdp_parse(buf, need, &chip);
 *
 * Both functions pick the same Basic Flash Parameter Table, so reading what
 * cd_sfdp_needed() asks for is always enough for cd_sfdp_parse().
 */

/**
 * Parse the SFDP area read from a chip (bytes from SFDP address 0, at least the header, the
 * parameter headers and the BFPT they point to; `len` bytes available). On success fills
 * `chip` as a NOR row: type NOR, size, page_size, erase[] (ascending, with opcodes;
 * opcode4 = 0), nerase, chip_erase_opcode C7h, addr4 flags from BFPT DWORD1 bits 18:17 and
 * DWORD16 (B7h entry -> CD_ADDR4_MODE; 4-byte-only -> CD_ADDR4_ONLY; NONE for <= 16 MiB
 * unless 4-byte-only), has_sfdp = true, typical/max erase and program times when the table
 * has them (else 0); name/vendor/source/id are left NULL/0 for the caller.
 * Returns CD_OK, CD_E_ARG for NULL pointers, or CD_E_UNSUPPORTED with detail when there is
 * no valid SFDP signature/BFPT or the table is inconsistent; `chip` is untouched on failure.
 */
int cd_sfdp_parse(const uint8_t *sfdp, size_t len, struct cd_chip *chip);

/**
 * How many bytes (from SFDP address 0) to read for a complete parse, given the first `len`
 * bytes: the end address of the selected BFPT (never less than the end of the parameter
 * headers). Returns 0 if the header is invalid or has no usable BFPT header, or if len < 8.
 * \note When the parameter headers themselves extend past `len`, returns the end of the
 * headers (> len): read that much and call again.
 */
size_t cd_sfdp_needed(const uint8_t *sfdp, size_t len);

#endif
