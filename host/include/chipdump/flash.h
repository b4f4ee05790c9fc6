/* libchipdump: a flash chip to work on (geometry + read/program/erase), and whole-chip jobs. */
#ifndef CHIPDUMP_FLASH_H
#define CHIPDUMP_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdb.h"
#include "programmer.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Progress: called now and then; return non-zero to cancel (the job returns CD_E_INTERRUPTED). */
typedef int (*cd_progress_fn)(void *user, uint64_t done, uint64_t total);

/** What probing found. */
struct cd_probe {
    uint8_t id[CD_MAX_ID_LEN]; /* raw READ ID bytes */
    uint8_t id_len;
    const struct cd_chip *chip;       /* the matched row (or the SFDP-derived one), NULL if none */
    const struct cd_chip *matches[8]; /* every row with this ID (alias group) */
    size_t nmatches;
    bool from_sfdp;           /* geometry came from SFDP, not the database */
    struct cd_chip sfdp_chip; /* storage for the SFDP-derived row */
    char sfdp_name[32];       /* its name: "SFDP-<ID>" */
    char found_as[128];       /* chip as the programmer names it ("flashrom: Winbond W25Q128.V") */
};

/**
 * Read the JEDEC ID and match it against db; when no row matches, try SFDP. Returns
 * CD_E_NO_CHIP when the ID is all 00 or all FF (detail holds the raw bytes), CD_E_UNKNOWN_CHIP
 * when nothing matches and there is no usable SFDP.
 */
int cd_nor_probe(struct cd_programmer *p, const struct cd_chipdb *db, struct cd_probe *out);

struct cd_flash;

struct cd_flash_ops {
    int (*read)(struct cd_flash *f, uint64_t off, void *buf, size_t len);
    /** Program bytes into erased flash; len/off need not be page aligned. */
    int (*program)(struct cd_flash *f, uint64_t off, const void *buf, size_t len);
    /** Erase one block of `size` (one of the chip's erase sizes, or the chip size), aligned. */
    int (*erase)(struct cd_flash *f, uint64_t off, uint64_t size);
    /** Clear block protection before program/erase (may be NULL). */
    int (*unprotect)(struct cd_flash *f);
    /**
     * Optional, for programmers that erase and program by themselves (libflashrom): make
     * [off, off+len) hold data when it holds current now, erasing only what differs. With it,
     * cd_write_range hands over one region at a time and program/erase may be NULL.
     */
    int (*write_region)(struct cd_flash *f, uint64_t off, const uint8_t *data,
                        const uint8_t *current, size_t len);
    /**
     * Optional: compare [off, off+len) with data; CD_E_VERIFY (detail and *first_diff name the
     * first differing offset) on a mismatch. NULL = cd_verify_range reads and compares.
     */
    int (*verify_region)(struct cd_flash *f, uint64_t off, const uint8_t *data, size_t len,
                         uint64_t *first_diff);
    void (*close)(struct cd_flash *f);
};

struct cd_flash {
    const struct cd_flash_ops *ops;
    const struct cd_chip *chip;
    struct cd_programmer *prog;
    void *priv;
};

/** Open the NOR driver for chip on p (enters 4-byte mode when the chip needs it). */
int cd_nor_open(struct cd_programmer *p, const struct cd_chip *chip, struct cd_flash **out);
void cd_flash_close(struct cd_flash *f);

/** The erase sizes the flash supports, ascending (chip erase not included). */
size_t cd_flash_erase_sizes(const struct cd_flash *f, uint32_t *sizes, size_t max);
/** Smallest erase size (the granularity of a write). */
uint32_t cd_flash_min_erase(const struct cd_flash *f);

/* ---- whole-chip / range jobs (image.c) ---- */

struct cd_range {
    uint64_t off, len;
};

/** Parse "OFF:LEN" (decimal, 0x hex, K/M/G suffixes); checks it lies inside size. */
int cd_parse_range(const char *s, uint64_t size, struct cd_range *out);
/** Parse a size: decimal, 0x hex, with optional K/M/G (binary) suffix. */
int cd_parse_size(const char *s, uint64_t *out);

struct cd_unstable_block {
    uint64_t off, len;
    unsigned tries;
    bool resolved;
};

struct cd_read_opts {
    unsigned reads;     /* 1 (default) or 2+: read again, re-read disagreeing blocks */
    unsigned max_tries; /* re-reads per disagreeing block before giving up (default 8) */
    cd_progress_fn progress;
    void *progress_user;
};

struct cd_read_result {
    struct cd_unstable_block *unstable; /* malloc'ed, nunstable entries */
    size_t nunstable;
    size_t nunresolved;
};

/**
 * Read range r into buf (r.len bytes). With reads >= 2 every erase block is compared between
 * two full reads; blocks that differ are re-read until two consecutive reads agree or
 * max_tries is reached; unresolved blocks make it return CD_E_UNSTABLE (buf holds the last
 * read). res may be NULL; free res->unstable with free().
 */
int cd_read_range(struct cd_flash *f, struct cd_range r, void *buf, const struct cd_read_opts *o,
                  struct cd_read_result *res);

struct cd_write_opts {
    bool verify; /* read back afterwards (default true) */
    cd_progress_fn progress;
    void *progress_user;
};

struct cd_write_stats {
    uint64_t blocks_total, blocks_erased, pages_programmed, bytes_compared;
};

/**
 * Smart write of range r from data: `current` is what the chip holds now (read by the
 * caller, who also saved it as the backup). Compares per smallest erase block, erases only
 * blocks that differ (largest aligned erase that covers only differing blocks), programs
 * non-0xFF pages, then verifies the range. Returns CD_E_VERIFY with detail naming the first
 * differing offset.
 */
int cd_write_range(struct cd_flash *f, struct cd_range r, const uint8_t *data,
                   const uint8_t *current, const struct cd_write_opts *o,
                   struct cd_write_stats *st);

/** Compare chip range r with data; CD_E_VERIFY names the first differing offset. */
int cd_verify_range(struct cd_flash *f, struct cd_range r, const uint8_t *data,
                    cd_progress_fn progress, void *user, uint64_t *first_diff);

/** Erase range r (must be aligned to the smallest erase size); chip erase if whole chip. */
int cd_erase_range(struct cd_flash *f, struct cd_range r, cd_progress_fn progress, void *user);

#ifdef __cplusplus
}
#endif
#endif
