/* Internal: small byte-buffer helpers shared by the drivers and jobs. */
#ifndef CHIPDUMP_BYTES_H
#define CHIPDUMP_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** True when all n bytes are 0xFF (erased flash; such pages are never programmed). */
static inline bool cd_all_ff(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

#endif
