/* libchipdump: the chip database (rows loaded from chipdb/ INI files, see docs/chipdb.md). */
#ifndef CHIPDUMP_CHIPDB_H
#define CHIPDUMP_CHIPDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cd_chip_type { CD_CHIP_NOR = 0, CD_CHIP_NAND = 1 };

/* How a chip answers READ ID (9Fh). NOR chips always use CD_READID_OPCODE. */
enum cd_readid_form {
    CD_READID_OPCODE = 0, /* ID bytes follow the opcode directly */
    CD_READID_ADDR = 1,   /* one address byte 0x00 first */
    CD_READID_DUMMY = 2,  /* one dummy byte first */
};

/* How a stacked SPI-NAND switches dies (`die_select` in docs/chipdb.md). */
enum cd_die_select {
    CD_DIE_SELECT_NONE = 0, /* one die */
    CD_DIE_SELECT_C2 = 1,   /* DIE SELECT C2h + die index (Winbond W25M) */
    CD_DIE_SELECT_D0 = 2,   /* SET FEATURE D0h = die << 6 (Micron) */
};

/* What a SPI-NAND needs so that READ FROM CACHE reads one page (`cont_read`). */
enum cd_cont_read {
    CD_CONT_READ_NONE = 0, /* no continuous-read mode */
    CD_CONT_READ_BUF = 1,  /* set CFG (B0h) bit 3 BUF: buffer mode (Winbond) */
    CD_CONT_READ_CR = 2,   /* clear CFG bit 0 CR, on at power-up (Micron M70A) */
};

/* 4-byte addressing capabilities of NOR chips over 16 MiB (bit flags). */
enum cd_addr4 {
    CD_ADDR4_NONE = 0,
    CD_ADDR4_MODE = 1 << 0,    /* EN4B (B7h) / EX4B (E9h) switch the ordinary opcodes */
    CD_ADDR4_OPCODES = 1 << 1, /* dedicated 4-byte opcodes (13h 0Ch 12h 21h 5Ch DCh) */
    CD_ADDR4_ONLY = 1 << 2,    /* chip powers up in 4-byte mode / accepts only 4-byte addresses */
};

#define CD_MAX_ID_LEN      6
#define CD_MAX_ERASE_TYPES 4
#define CD_MAX_ALIASES     8

struct cd_erase_type {
    uint8_t opcode;  /* 3-byte-address opcode (20h, 52h, D8h) */
    uint8_t opcode4; /* 4-byte-address opcode (21h, 5Ch, DCh), 0 if none */
    uint32_t size;   /* bytes erased */
    uint32_t typ_ms; /* typical busy time */
    uint32_t max_ms; /* datasheet maximum (driver timeout) */
};

struct cd_chip {
    char *name;
    char *vendor;
    enum cd_chip_type type;
    uint8_t id[CD_MAX_ID_LEN]; /* READ ID bytes, manufacturer first */
    uint8_t id_len;
    enum cd_readid_form readid;
    char *aliases[CD_MAX_ALIASES]; /* other marketing names of the same row */
    unsigned naliases;
    char *id_group; /* rows sharing an ID must name the same group; NULL otherwise */
    uint64_t size;  /* bytes of data (NAND: without OOB, all dies) */
    uint32_t page_size;
    uint16_t vmin_mv, vmax_mv;
    char *source; /* datasheet the row was taken from */

    /* NOR (NAND rows use erase[0] for the block erase: D8h, one block, t_erase, nerase = 1;
     * and pp_typ_us/pp_max_us for PROGRAM EXECUTE) */
    struct cd_erase_type erase[CD_MAX_ERASE_TYPES]; /* ascending size, chip erase excluded */
    unsigned nerase;
    uint8_t chip_erase_opcode; /* C7h or 60h; 0 = none */
    uint32_t chip_erase_typ_ms, chip_erase_max_ms;
    uint32_t pp_typ_us, pp_max_us; /* page program time */
    unsigned addr4;                /* enum cd_addr4 flags; NONE for <= 16 MiB */
    uint8_t bp_bits;               /* number of block-protect bits in SR1 from bit 2 (0 = none) */
    bool has_tb;                   /* SR1 bit 5 = TB (top/bottom), only with bp_bits = 3 */
    bool has_sfdp;

    /* NAND */
    uint32_t oob_size;
    uint32_t pages_per_block;
    uint32_t blocks_per_die; /* blocks on one die (all planes) */
    uint8_t planes, dies;
    uint8_t ecc_strength;              /* correctable bits per ecc_step */
    uint16_t ecc_step;                 /* bytes per ECC step (512) */
    char *ecc_status;                  /* name of the ECC-status decoder ("generic", ...) */
    uint32_t read_typ_us, read_max_us; /* PAGE READ busy time (tRD) */
    bool cache_dummy_first;            /* READ FROM CACHE: dummy byte before the column */
    uint8_t die_select;                /* enum cd_die_select */
    uint8_t cont_read;                 /* enum cd_cont_read */

    /* where the row came from (for messages) */
    char *origin_file;
    int origin_line;
};

struct cd_chipdb;

/** Create a database holding the rows compiled into the library (the chipdb/ INI files). */
int cd_chipdb_new_builtin(struct cd_chipdb **out);

/** Create an empty database. */
int cd_chipdb_new_empty(struct cd_chipdb **out);

/**
 * Add rows from INI text; origin names it in messages (file name). A row with the name of an
 * existing row replaces it (user additions override built-in rows). On a malformed row,
 * returns CD_E_CHIPDB with detail "FILE:LINE: field 'X': reason" and adds nothing.
 */
int cd_chipdb_add_text(struct cd_chipdb *db, const char *text, const char *origin);

/** Add a file, or every *.ini in a directory (sorted). A missing directory is not an error. */
int cd_chipdb_add_path(struct cd_chipdb *db, const char *path);

void cd_chipdb_free(struct cd_chipdb *db);

size_t cd_chipdb_count(const struct cd_chipdb *db);
const struct cd_chip *cd_chipdb_get(const struct cd_chipdb *db, size_t i);

/**
 * Find a chip by name, alias or unique prefix, case-insensitive ("W25Q128" -> W25Q128JV).
 * An exact name or alias wins over prefixes; several prefix matches with the same geometry
 * (type, size, page, OOB, erase sizes) resolve to the first; with different geometry returns
 * CD_E_AMBIGUOUS_CHIP and detail lists the candidates. Not found: CD_E_UNKNOWN_CHIP, detail
 * lists the closest names.
 */
int cd_chipdb_find_name(const struct cd_chipdb *db, const char *name, const struct cd_chip **out);

/**
 * All rows of this type whose ID is a prefix of the bytes read (id, len) for read-ID form
 * `form`. Longest ID first. Returns the number of matches written to out (<= max).
 */
size_t cd_chipdb_find_id(const struct cd_chipdb *db, enum cd_chip_type type,
                         enum cd_readid_form form, const uint8_t *id, size_t len,
                         const struct cd_chip **out, size_t max);

/**
 * Validate every row. For each problem calls report(user, chip, message); returns the
 * number of problems (0 = database good).
 */
size_t cd_chipdb_check(const struct cd_chipdb *db,
                       void (*report)(void *user, const struct cd_chip *chip, const char *msg),
                       void *user);

/** Same geometry (what a read or write depends on). */
bool cd_chip_same_geometry(const struct cd_chip *a, const struct cd_chip *b);

/** "EF4018" style upper-case hex of the ID into buf (>= 2*CD_MAX_ID_LEN+1 bytes). */
const char *cd_chip_id_hex(const struct cd_chip *chip, char *buf, size_t bufsize);

const char *cd_chip_type_name(enum cd_chip_type t);
const char *cd_readid_form_name(enum cd_readid_form f);

#ifdef __cplusplus
}
#endif
#endif
