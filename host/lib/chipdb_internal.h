/* Internal interface between chipdb.c (database, matching), chipdb_parse.c (INI rows) and
 * chipdb_check.c (validation). Not installed, not API. */
#ifndef CHIPDUMP_CHIPDB_INTERNAL_H
#define CHIPDUMP_CHIPDB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chipdump/chipdb.h"

/*
 * An ordered list of owned rows with a case-insensitive index on the row name, so that
 * replacing rows by name stays O(1) per row with a few hundred rows.
 */
struct cd_chip_list {
    struct cd_chip **v;
    size_t n, cap;
    uint32_t *slot; /* open addressing: row index + 1, 0 = empty; nslot is a power of two */
    size_t nslot;
};

struct cd_chipdb {
    struct cd_chip_list rows;
};

/* Make room for `extra` more rows so the next `extra` appends cannot fail. */
int cd_chip_list_reserve(struct cd_chip_list *l, size_t extra);
/* Append c (taking ownership; on failure c is not taken). */
int cd_chip_list_append(struct cd_chip_list *l, struct cd_chip *c);
/* Index of the row named `name` (case-insensitive), or -1. */
ptrdiff_t cd_chip_list_find(const struct cd_chip_list *l, const char *name);
/* Free every row and the list's storage; the list is empty afterwards. */
void cd_chip_list_clear(struct cd_chip_list *l);

/* Free a row and every string it owns. NULL is allowed. */
void cd_chip_free(struct cd_chip *c);

/*
 * Parse INI text (docs/chipdb.md) and append its rows to out, which should start empty (a
 * name already in out is a section given twice). Returns CD_OK, or CD_E_CHIPDB / CD_E_NOMEM
 * with detail "ORIGIN:LINE: CHIP: field 'X': reason" for the first problem in the text (lowest
 * line); rows appended before the error stay in out for the caller to free.
 */
int cd_chipdb_parse(const char *text, const char *origin, struct cd_chip_list *out);

/*
 * Case-insensitive Levenshtein distance between a and b (each compared up to 63 chars).
 * If prefix_dist is not NULL it receives the distance from a to the closest prefix of b
 * ("W25Q129" is 1 away from a prefix of "W25Q128JV").
 */
unsigned cd_edit_distance(const char *a, const char *b, unsigned *prefix_dist);

/* ASCII upper case, independent of the locale. */
static inline char cd_ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

#endif
