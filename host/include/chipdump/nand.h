/* libchipdump: the SPI-NAND driver (over struct cd_programmer) and whole-chip NAND jobs. */
#ifndef CHIPDUMP_NAND_H
#define CHIPDUMP_NAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdb.h"
#include "flash.h"
#include "programmer.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Addressing. A chip-wide page number counts pages die after die (die * pages_per_die + block
 * * pages_per_block + page), a chip-wide block number likewise; that is also the order of a
 * dump. "Raw" means page + OOB bytes.
 */
static inline uint32_t cd_nand_blocks(const struct cd_chip *c)
{
    return c->blocks_per_die * c->dies;
}
static inline uint32_t cd_nand_raw_page(const struct cd_chip *c)
{
    return c->page_size + c->oob_size;
}
/** Bytes of one block in a dump: page_size (data only) or page + OOB per page. */
static inline uint64_t cd_nand_block_bytes(const struct cd_chip *c, bool with_oob)
{
    return (uint64_t)(with_oob ? cd_nand_raw_page(c) : c->page_size) * c->pages_per_block;
}

/** What NAND probing read and found. */
struct cd_nand_probe {
    uint8_t raw[3][CD_MAX_ID_LEN]; /* READ ID bytes per form (index: enum cd_readid_form) */
    bool tried[3];
    enum cd_readid_form form; /* the form that matched */
    const struct cd_chip *chip;
    const struct cd_chip *matches[8]; /* every row with this ID and form */
    size_t nmatches;
};

/**
 * READ ID (9Fh) in each form -- opcode only, one address byte 00h, one dummy byte (the order
 * Linux uses) -- until the bytes read match a NAND row of that form. CD_E_UNKNOWN_CHIP when some
 * form starts with the manufacturer byte of a NAND row but no row matches, CD_E_NO_CHIP when
 * none does (an empty bus reads FFh, noise reads anything); detail lists the raw bytes of each
 * form tried either way.
 */
int cd_nand_probe(struct cd_programmer *p, const struct cd_chipdb *db, struct cd_nand_probe *out);

/** "opcode: C8 F1 ..; addr: ..; dummy: .." -- the raw bytes of every form tried. */
const char *cd_nand_probe_describe(const struct cd_nand_probe *pr, char *buf, size_t n);

struct cd_nand;

/**
 * Open the driver: RESET, then on every die clear OTP_EN, leave continuous-read mode (row
 * `cont_read`) and unlock every block (A0h = 00h; all blocks are locked after power-up).
 * CD_E_PROTECTED when the lock bits do not clear (WP# held low).
 */
int cd_nand_open(struct cd_programmer *p, const struct cd_chip *chip, struct cd_nand **out);
void cd_nand_close(struct cd_nand *n);
const struct cd_chip *cd_nand_chip(const struct cd_nand *n);

/**
 * Read chip-wide page `page` into buf: page_size bytes, followed by oob_size bytes of OOB if
 * with_oob. With ecc, on-die ECC corrects the data and the result is >= 0 corrected bitflips
 * (see nand_ecc.h) or CD_E_ECC_UNCORRECTABLE (buf then holds what the chip returned); without,
 * the cells are read as they are and the result is 0. Other negative codes: I/O errors.
 */
int cd_nand_read_page(struct cd_nand *n, uint32_t page, uint8_t *buf, bool with_oob, bool ecc);

/**
 * count consecutive pages from `page` into buf (count * page bytes, with OOB if with_oob), as
 * cd_nand_read_page would read each; res[i] gets page i's result (>= 0 corrected bitflips or
 * CD_E_ECC_UNCORRECTABLE). Uses the programmer's nand_read_pages when it has one. Returns
 * CD_OK or the first other negative code.
 */
int cd_nand_read_pages(struct cd_nand *n, uint32_t page, uint32_t count, uint8_t *buf,
                       bool with_oob, bool ecc, int *res);

/**
 * Program chip-wide page `page` (erased before): data is page_size bytes, oob oob_size bytes or
 * NULL for all 0xFF. With ecc the chip computes parity into its OOB ECC bytes; without, data
 * and OOB are written exactly as given. CD_E_PROGRAM_FAIL when the chip reports P_FAIL.
 */
int cd_nand_program_page(struct cd_nand *n, uint32_t page, const uint8_t *data, const uint8_t *oob,
                         bool ecc);

/** Erase chip-wide block `block`. CD_E_ERASE_FAIL when the chip reports E_FAIL. */
int cd_nand_erase_block(struct cd_nand *n, uint32_t block);

/**
 * Factory bad-block marker: 1 if OOB byte 0 or 1 of the block's first page, read with ECC off,
 * is not 0xFF; 0 if the block is good; negative on I/O error.
 */
int cd_nand_block_is_bad(struct cd_nand *n, uint32_t block);

/** Markers of blocks [first, first + count) into bad[0..count) (1 = bad). */
int cd_nand_scan_bad(struct cd_nand *n, uint32_t first, uint32_t count, uint8_t *bad,
                     cd_progress_fn progress, void *user);

/* ---- jobs on block ranges (nand_image.c) ---- */

/** What a job found; arrays are malloc'ed, free with cd_nand_report_free(). */
struct cd_nand_ecc_block {
    uint32_t block;               /* chip-wide */
    uint32_t bitflips;            /* corrected bitflips reported for its pages, summed */
    uint32_t max_bitflips;        /* the most for one page */
    uint32_t pages_corrected;     /* pages that reported corrected bitflips */
    uint32_t pages_uncorrectable; /* pages ECC could not correct */
};

struct cd_nand_report {
    uint32_t *bad_blocks; /* factory-marked blocks in the range, ascending */
    size_t nbad;
    struct cd_nand_ecc_block *ecc; /* good blocks with corrected or uncorrectable pages */
    size_t necc;
    uint32_t *uncorrectable; /* chip-wide pages of good blocks ECC could not correct */
    size_t nuncorrectable;
    uint64_t bitflips; /* total corrected bitflips reported */
    /* reads >= 2: pages whose transfers differed (offset/length in the output) */
    struct cd_unstable_block *unstable;
    size_t nunstable, nunresolved;
    /* write / erase */
    uint64_t blocks_erased, blocks_unchanged, pages_programmed, pages_blank;
    int64_t failed_block; /* block of a program/erase failure, -1 if none */
};
void cd_nand_report_free(struct cd_nand_report *r);

struct cd_nand_read_opts {
    bool oob;       /* page+OOB interleaved (else data only) */
    bool raw;       /* on-die ECC off: the cells as they are */
    bool skip_bad;  /* leave factory-bad blocks out (nanddump's default); else read them in place */
    unsigned reads; /* 2+: read every page twice; pages that differ (bus noise, a marginal
                     * clip: ECC cannot see it) are read again until two reads agree */
    unsigned max_tries; /* re-reads per page before giving up (default 8) */
    cd_progress_fn progress;
    void *progress_user;
};

/**
 * Read blocks [first, first + count) into buf (count * cd_nand_block_bytes() bytes; *len gets
 * the bytes used, fewer when bad blocks are skipped). Uncorrectable pages do not stop the read:
 * they are in the report (the caller decides what they mean) and buf holds what the chip sent.
 * With reads >= 2, pages that never read the same twice make it return CD_E_UNSTABLE after
 * the whole range is read (buf holds the last read; rep->unstable lists them).
 */
int cd_nand_read_blocks(struct cd_nand *n, uint32_t first, uint32_t count,
                        const struct cd_nand_read_opts *o, uint8_t *buf, uint64_t *len,
                        struct cd_nand_report *rep);

enum cd_nand_bad_policy {
    CD_NAND_BB_INPLACE = 0, /* every good block at its own address; bad blocks left alone */
    CD_NAND_BB_SKIP = 1,    /* data moves on to the next good block (nandwrite, U-Boot) */
    CD_NAND_BB_FAIL = 2,    /* refuse if the range has any bad block */
};

struct cd_nand_write_opts {
    enum cd_nand_bad_policy bad_blocks;
    bool raw;    /* the image is page+OOB: written with on-die ECC off, OOB as given */
    bool verify; /* read every written block back (through ECC unless raw) */
    cd_progress_fn progress;
    void *progress_user;
};

/**
 * Write img (len bytes, whole blocks: data-only, or page+OOB when o->raw) to blocks [first,
 * first + count). Bad blocks are scanned first and never erased or programmed. Every check
 * happens before the first erase: INPLACE refuses (CD_E_BAD_IMAGE) when the image holds data
 * where the chip has a bad block, unless it is all 0xFF or equals what that block holds now;
 * SKIP refuses (CD_E_SIZE_MISMATCH) when the image needs more good blocks than the range has
 * (trailing all-0xFF blocks need none); FAIL refuses (CD_E_ARG) when the range has a bad
 * block. INPLACE and FAIL take exactly count blocks, SKIP at most count. current, if not NULL,
 * is what blocks [first, first + count) hold now (same layout as img, bad blocks in place):
 * blocks already equal to the image are left alone. Each changed block is erased and its pages
 * that are not all 0xFF programmed (an all-0xFF page is never programmed: with ECC on that
 * writes parity). The first program/erase failure stops the job (CD_E_PROGRAM_FAIL /
 * CD_E_ERASE_FAIL, rep->failed_block); nothing after it is written.
 */
int cd_nand_write_blocks(struct cd_nand *n, uint32_t first, uint32_t count, const uint8_t *img,
                         uint64_t len, const uint8_t *current, const struct cd_nand_write_opts *o,
                         struct cd_nand_report *rep);

/**
 * Compare blocks [first, first + count) with img (layout as for write: raw selects page+OOB
 * with ECC off, skip_bad the skip layout; bad blocks are not compared in place). CD_E_VERIFY
 * names the first differing byte of the image.
 */
int cd_nand_verify_blocks(struct cd_nand *n, uint32_t first, uint32_t count, const uint8_t *img,
                          uint64_t len, bool raw, bool skip_bad, cd_progress_fn progress,
                          void *user, struct cd_nand_report *rep);

/** Erase the good blocks of [first, first + count); bad blocks are listed, not touched. */
int cd_nand_erase_blocks(struct cd_nand *n, uint32_t first, uint32_t count, cd_progress_fn progress,
                         void *user, struct cd_nand_report *rep);

/* ---- page+OOB dumps without a chip ---- */

/**
 * Strip the OOB from a page+OOB dump: n_pages pages of page + oob bytes at raw into out
 * (page bytes each). With skip_bad, blocks of ppb pages whose first page's OOB bytes 0/1 are
 * not 0xFF are left out. bad (may be NULL) gets the blocks whose markers are set, *out_len the
 * bytes written. The caller provides out of n_pages * page bytes.
 */
int cd_nand_strip_oob(const uint8_t *raw, uint64_t n_pages, uint32_t page, uint32_t oob,
                      uint32_t ppb, bool skip_bad, uint8_t *out, uint64_t *out_len, uint32_t **bad,
                      size_t *nbad);

struct cd_outfile;

/**
 * The same as a stream: n_pages pages of page + oob bytes read from fd (from its current
 * position) go to out, data only, in chunks that stay in the CPU cache; sha256_hex gets the
 * SHA-256 of the bytes written (for the manifest). CD_E_BAD_IMAGE if fd ends early.
 */
int cd_nand_strip_oob_fd(int fd, uint64_t n_pages, uint32_t page, uint32_t oob, uint32_t ppb,
                         bool skip_bad, struct cd_outfile *out, char sha256_hex[65],
                         uint64_t *out_len, uint32_t **bad, size_t *nbad);

#ifdef __cplusplus
}
#endif
#endif
