/* Internal: the programmer implementations and spec parsing helpers. */
#ifndef CHIPDUMP_PROGRAMMERS_H
#define CHIPDUMP_PROGRAMMERS_H

#include <stdbool.h>
#include <stddef.h>

#include "chipdump/programmer.h"

int cd_sim_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                struct cd_programmer **out);
/* -p ch341a[:serial=S|bus=B,addr=A] or ch341a:emulate=CHIP,... (ch341a.c) */
int cd_ch341a_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                   struct cd_programmer **out);
int cd_flashrom_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                     struct cd_programmer **out);
/** True when libflashrom has a chip of this name (case-insensitive). */
bool cd_flashrom_knows_chip(const char *name);

/**
 * Split "k=v,k=v": copies the next key and value, advances *cursor. Returns 1 when a
 * parameter was read, 0 at the end, or a negative cd_err for a malformed one.
 */
int cd_spec_next_param(const char **cursor, char *key, size_t keysz, char *val, size_t valsz);

#endif
