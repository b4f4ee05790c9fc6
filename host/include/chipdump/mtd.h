/*
 * libchipdump: Linux MTD partition tables and the chip offsets they imply.
 *
 * Three sources describe a running box's partitions:
 *   - /proc/mtd: index, size, erase size and name, in registration order, but no offsets;
 *   - the kernel's boot log: `Creating N MTD partitions on "DEV":` followed by
 *     `0xSTART-0xEND : "name"` lines (exact; newer kernels print a split's children relative
 *     to their parent);
 *   - an `mtdparts=` string (exact, cmdlinepart syntax).
 * cd_mtd_layout_build() merges whatever the caller has into one layout: every partition's
 * offset from the start of its chip, its parent (the smallest partition containing it), how
 * the offset was decided and whether that is certain. docs/recovery.md explains the rules.
 */
#ifndef CHIPDUMP_MTD_H
#define CHIPDUMP_MTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CD_MTD_MAX_CHIPS 8
#define CD_MTD_MAX_PARTS 512

/* ---- /proc/mtd ---- */

/** One `mtdN: SIZE ERASESIZE "NAME"` line. */
struct cd_mtd_entry {
    int index; /* N of mtdN */
    uint64_t size;
    uint32_t erasesize;
    char *name;
    int line;       /* 1-based line in the text */
    unsigned table; /* 0-based: a repeated header or a falling index starts the next table */
};

struct cd_mtd_table {
    struct cd_mtd_entry *entries;
    size_t n;
    unsigned ntables;
    char **notes; /* things the parser skipped on purpose (a duplicated paste) */
    size_t nnotes;
};

/**
 * Parse /proc/mtd text as pasted from a terminal: tolerates shell prompts and commands,
 * CRLF, trailing blanks, a missing header and several tables one after another. Any other
 * line is CD_E_BAD_IMAGE with detail "ORIGIN:LINE: expected ..., got '...'".
 */
int cd_mtd_parse_proc(const char *text, size_t len, const char *origin, struct cd_mtd_table *out);
void cd_mtd_table_free(struct cd_mtd_table *t);

/* ---- exact sources: boot log lines and mtdparts= ---- */

struct cd_mtd_exact_part {
    char *name;
    uint64_t offset; /* from the start of its chip */
    uint64_t size;
    unsigned chip; /* 0-based, in order of first appearance of the master device */
    int line;      /* boot log: line; mtdparts: 1-based column of the partition */
    bool fill;     /* mtdparts '-': runs to the end of the chip (size set by resolve) */
    bool disabled; /* "out of reach -- disabled" */
};

struct cd_mtd_exact {
    struct cd_mtd_exact_part *parts; /* registration order */
    size_t n;
    char *chip_names[CD_MTD_MAX_CHIPS]; /* master device name (mtd-id) of each chip */
    unsigned nchips;
    uint64_t chip_size_hint[CD_MTD_MAX_CHIPS]; /* from the log ("(16384 Kbytes)"), 0 = none */
    bool from_mtdparts;
    char **notes; /* how child blocks were read (relative / absolute), repeated tables */
    size_t nnotes;
};

/**
 * Parse kernel log text (dmesg, logread or a serial capture: timestamps and prefixes are
 * fine, unrelated lines are skipped). A line that starts like a partition line but is not
 * one is CD_E_BAD_IMAGE naming the line; so is a log without any partition line.
 */
int cd_mtd_parse_dmesg(const char *text, size_t len, const char *origin, struct cd_mtd_exact *out);

/**
 * Parse an mtdparts= definition (the whole kernel command line or U-Boot variable may be
 * given: the text after "mtdparts=" up to a blank is used). Errors name the 1-based column.
 */
int cd_mtd_parse_mtdparts(const char *s, struct cd_mtd_exact *out);
void cd_mtd_exact_free(struct cd_mtd_exact *x);

/* ---- the layout ---- */

enum cd_mtd_method {
    CD_MTD_NONE = 0, /* no flash range: size 0 (disabled) or a UBI volume (gluebi) */
    CD_MTD_TILED,    /* top-level partitions laid end to end from the chip's start */
    CD_MTD_INSIDE,   /* a split's children laid end to end inside their container */
    CD_MTD_HEADER,   /* children laid end to end after a header at the container's front */
    CD_MTD_TAIL,     /* ends where its container ends (rootfs_data, dual-image rootfs) */
    CD_MTD_ALIAS,    /* the same range as a run of neighbouring partitions */
    CD_MTD_DMESG,    /* exact, from the boot log */
    CD_MTD_MTDPARTS, /* exact, from mtdparts= */
    CD_MTD_CONTENT,  /* found by what the image holds there */
};

struct cd_mtd_part {
    int index; /* mtd number (assumed from the order when only a boot log / mtdparts is given) */
    char *name;
    uint64_t offset; /* from the start of its chip (meaningless when !placed) */
    uint64_t size;
    uint32_t erasesize; /* 0 when unknown */
    int parent;         /* position in parts[] of the smallest partition holding this one; -1 */
    unsigned chip;
    enum cd_mtd_method method;
    bool placed;  /* has a flash range */
    bool certain; /* every layout consistent with the sources gives this offset */
    char note[200];
    char
        content[24]; /* what the image holds at the offset ("squashfs", "UBI"...), "" = unchecked */
    int line;        /* line (or column) in the source that named it */
};

enum cd_mtd_size_source {
    CD_MTD_SIZE_UNKNOWN = 0,
    CD_MTD_SIZE_GIVEN,  /* --flash-size */
    CD_MTD_SIZE_IMAGE,  /* the image's length */
    CD_MTD_SIZE_TILING, /* the top-level partitions add up to a power of two */
    CD_MTD_SIZE_LOG,    /* the boot log names the chip's size */
};

struct cd_mtd_chipinfo {
    uint64_t size; /* 0 = unknown */
    enum cd_mtd_size_source size_source;
};

struct cd_mtd_layout {
    struct cd_mtd_part *parts; /* table order */
    size_t n;
    struct cd_mtd_chipinfo chips[CD_MTD_MAX_CHIPS];
    unsigned nchips;
    char **messages; /* ambiguities, holes, content mismatches: for the user */
    size_t nmessages;
    bool certain; /* every placed partition is certain */
};

struct cd_mtd_opts {
    const struct cd_mtd_table *table;     /* /proc/mtd, or NULL */
    const struct cd_mtd_exact *dmesg;     /* boot log, or NULL */
    const struct cd_mtd_exact *mtdparts;  /* mtdparts=, or NULL */
    uint64_t chip_size[CD_MTD_MAX_CHIPS]; /* known chip sizes (0 = unknown) */
    enum cd_mtd_size_source chip_size_source[CD_MTD_MAX_CHIPS];
    /* data-only contents of each chip (no OOB), for content checks; NULL = none */
    const uint8_t *image[CD_MTD_MAX_CHIPS];
    uint64_t image_len[CD_MTD_MAX_CHIPS];
};

/**
 * Build the layout. Partitions that cannot be laid out at all (children larger than any
 * container, a sum past the flash size, exact sources that contradict each other) give
 * CD_E_BAD_IMAGE with detail naming the partitions in conflict. Ambiguity is not an error:
 * the partitions concerned have certain = false and messages say what would settle it.
 */
int cd_mtd_layout_build(const struct cd_mtd_opts *o, struct cd_mtd_layout **out);
void cd_mtd_layout_free(struct cd_mtd_layout *l);

/**
 * Find a partition by name (exact, then case-insensitive) or "mtdN". A name that several
 * partitions carry is CD_E_ARG with detail listing their mtdN; not found is CD_E_ARG too.
 */
int cd_mtd_find(const struct cd_mtd_layout *l, const char *name, const struct cd_mtd_part **out);

/** "tiled", "inside", "header-skipped", "tail", "alias", "dmesg", "mtdparts", "content", "none". */
const char *cd_mtd_method_name(enum cd_mtd_method m);

/**
 * The file name of a partition: "mtd<index>_<name>.bin", the name reduced to letters,
 * digits and "._+-" (anything else becomes '_', at most 64 bytes), so it never leaves the
 * directory. chip > 0 with prefix_chip adds "chip<N>_" in front (tables whose indices repeat).
 */
void cd_mtd_file_name(const struct cd_mtd_part *p, bool prefix_chip, char *buf, size_t bufsize);

/** JSON text of the layout (design.md's split --json shape; malloc'ed, caller frees). */
char *cd_mtd_layout_json(const struct cd_mtd_layout *l);

/**
 * What a known format starts at buf: "uImage", "FIT", "TRX", "squashfs", "UBI", "UBIFS",
 * "JFFS2", "ELF", "SEAMA", "LZMA", "erased" (all 0xFF), or NULL.
 */
const char *cd_mtd_probe_magic(const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
