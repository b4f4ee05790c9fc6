/* Value parsers shared inside the chip database code (chipdb_values.c). */
#ifndef CHIPDUMP_CHIPDB_VALUES_H
#define CHIPDUMP_CHIPDB_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest chip name or alias: longer ones are surely a mistake, and the edit distance only
 * looks at 63 characters. */
#define MAX_NAME_LEN 63

bool chipdb_is_space(char c);
char *chipdb_trim(char *s);
bool chipdb_parse_uint(const char *s, uint64_t max, uint64_t *out);
bool chipdb_parse_size(const char *s, uint64_t max, uint64_t *out);
bool chipdb_parse_hex_byte(const char *s, uint8_t *out);
bool chipdb_parse_milli(const char *s, uint64_t *out);
bool chipdb_parse_times(char *s, bool to_ms, uint32_t *typ, uint32_t *max);
const char *chipdb_name_problem(const char *s);
bool chipdb_is_word(const char *s);
void chipdb_fmt_size(uint64_t v, char *buf, size_t n);

#endif
