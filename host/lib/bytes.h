/* Internal: small byte-buffer helpers shared by the drivers and jobs. */
#ifndef CHIPDUMP_BYTES_H
#define CHIPDUMP_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** True when all n bytes are 0xFF (erased flash; such pages are never programmed). */
static inline bool cd_all_ff(const uint8_t *p, size_t n)
{
    /* every byte equals the one before it, and the first is FFh: one vectorised memcmp */
    return n == 0 || (p[0] == 0xFF && !memcmp(p, p + 1, n - 1));
}

#endif
