/* Internal: JESD216 SFDP parsing for NOR chips not in the database. */
#ifndef CHIPDUMP_SFDP_H
#define CHIPDUMP_SFDP_H

#include <stddef.h>
#include <stdint.h>

#include "chipdump/chipdb.h"

int cd_sfdp_parse(const uint8_t *sfdp, size_t len, struct cd_chip *chip);
size_t cd_sfdp_needed(const uint8_t *sfdp, size_t len);

#endif
