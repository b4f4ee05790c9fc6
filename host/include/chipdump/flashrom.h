/* libchipdump: flashrom's chip list (libflashrom) next to chipdump's database. */
#ifndef CHIPDUMP_FLASHROM_H
#define CHIPDUMP_FLASHROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One row of flashrom's chip list. */
struct cd_flashrom_chip {
    const char *vendor; /* flashrom's strings, valid until cd_flashrom_chips_free */
    const char *name;   /* "W25Q128.V", "MX25L6405(D)", "S25FL032A/P"... */
    uint64_t size;      /* bytes */
    bool spi;           /* an SPI chip (the kind chipdump's NOR rows describe) */
    bool generic;       /* a catch-all row ("unknown SPI chip (RDID)", "SFDP-capable chip") */
};

/**
 * flashrom's supported chips from the linked libflashrom. libflashrom 1.3 does not export a
 * chip's bus, so `spi` is found by asking flashrom's dummy programmer (bus=spi, no chip) to
 * probe: it tries exactly the SPI rows. Free with cd_flashrom_chips_free().
 */
int cd_flashrom_chips(struct cd_flashrom_chip **out, size_t *n);
void cd_flashrom_chips_free(struct cd_flashrom_chip *chips);

/** libflashrom's version string ("unknown" on Debian 12's 1.3.0 build). */
const char *cd_flashrom_version(void);

/**
 * True when flashrom's chip name stands for the marketing name `name` (case-insensitive).
 * flashrom's conventions: '.' is any one character ("W25Q128.V"), "(X)" or "(X/Y)" is
 * optional ("MX25L6405(D)"), '/' separates names ("MX25L3206E/MX25L3208E") and a short
 * piece after '/' replaces the end of the previous name ("S25FL032A/P"); a qualifier after
 * '-', '_' or ' ' ("W25Q256JV_Q", "S25FL127S-64kB") still names the part before it.
 */
bool cd_flashrom_name_matches(const char *flashrom_name, const char *name);

/**
 * True when flashrom's chip `flashrom_name` is the database row `row`: by name or alias
 * (cd_flashrom_name_matches) or by a `same` line of the allow-list (chipdb/flashrom-allow.txt).
 */
bool cd_flashrom_is_row(const char *flashrom_name, const struct cd_chip *row);

/* What cd_flashrom_check found. */
struct cd_flashrom_check_stats {
    size_t flashrom_spi;   /* flashrom's SPI rows, catch-alls excluded */
    size_t matched;        /* ... that name a database row */
    size_t allowed;        /* ... disagreements the allow-list explains */
    size_t rows_only_here; /* NOR rows flashrom does not list */
};

/**
 * Compare the NOR rows of db with flashrom's SPI chips: every flashrom SPI chip must name a
 * row of the same size, unless a line of the allow-list (`allow`, the text of
 * chipdb/flashrom-allow.txt, built in when NULL; `origin` names it in messages) says why not.
 * Allow-list lines no longer needed are problems too. Calls report(user, msg) per problem and
 * returns their number, or a negative cd_err when libflashrom or the allow-list fails.
 */
long cd_flashrom_check(const struct cd_chipdb *db, const char *allow, const char *origin,
                       void (*report)(void *user, const char *msg), void *user,
                       struct cd_flashrom_check_stats *st);

#ifdef __cplusplus
}
#endif
#endif
