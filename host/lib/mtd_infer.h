/* Internal: offset inference from /proc/mtd sizes (mtd_infer.c), used by mtd_layout.c. */
#ifndef CHIPDUMP_MTD_INFER_H
#define CHIPDUMP_MTD_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdump/mtd.h"

/* One partition with a flash range, in registration (table) order. */
struct infer_item {
    const char *name;
    int index; /* mtd number, for messages */
    uint64_t size;
    uint32_t eb;
    unsigned table; /* a new pasted table always starts a new chip */
    bool pinned;    /* offset known exactly */
    uint64_t pin_off;
    int pin_chip;  /* -1 = any */
    int pin_group; /* the exact source's device: same group = same chip; -1 = none */
    enum cd_mtd_method pin_method;
};

/* Why a placement is (un)certain, for the note. */
enum infer_why {
    WHY_NONE = 0,
    WHY_TILED,       /* top-level, chip complete */
    WHY_HOLE,        /* top-level, the chip is not fully covered */
    WHY_INSIDE,      /* children fill their container exactly */
    WHY_TRX,         /* 28-byte TRX header in front */
    WHY_GAP,         /* children leave room: header in front or gap between */
    WHY_TAIL_FS,     /* single filesystem child at its container's end */
    WHY_TAIL_OTHER,  /* single child of another kind: assumed at the end */
    WHY_WHOLE_HOLE,  /* children of a whole-chip partition that do not fill it */
    WHY_FOLLOWS,     /* next to an exactly known sibling */
    WHY_ALIAS,       /* the same range as a run of partitions */
    WHY_PINNED,      /* exact source */
    WHY_PARENT,      /* its container's offset is uncertain */
    WHY_UNALIGNED,   /* tail of a container that does not end on an erase block */
    WHY_FILLER,      /* a filler ("unused", "reserved") listed last may belong earlier */
    WHY_EMPTY_SPLIT, /* rootfs_data could be an old kernel's empty split grown to the chip end */
    WHY_SLOTS,       /* dual-image slots listed by kind may interleave on the chip */
    WHY_ORDER,       /* end-of-flash data listed before a container: the order may not hold */
};

/* One complete layout consistent with every rule. */
struct infer_hyp {
    uint64_t *off; /* from the start of the chip */
    unsigned *chip;
    int *container; /* item this one was laid out in (registration parent), -1 = chip */
    enum cd_mtd_method *method;
    enum infer_why *why;
    bool *certain; /* by the rule that placed it */
    uint64_t gap;  /* WHY_GAP: bytes unaccounted for in its container */
    uint64_t chip_extent[CD_MTD_MAX_CHIPS];
    bool chip_complete[CD_MTD_MAX_CHIPS];
    unsigned nchips;
    int score;
};

#define INFER_MAX_HYPS 32

struct infer_result {
    struct infer_hyp hyps[INFER_MAX_HYPS]; /* distinct layouts of the best tier */
    unsigned nhyps;
    unsigned shown; /* the most plausible of them */
    bool *differ;   /* per item: the hypotheses disagree on its chip or offset */
    bool differ_chip[CD_MTD_MAX_CHIPS]; /* the hypotheses disagree on the chip's extent */
    bool exhausted;                     /* the search stopped early: too many possibilities */
    bool more;                          /* more layouts than INFER_MAX_HYPS were valid */
    int tier;                           /* 0: every chip covered exactly, 1: some chip has a hole */
};

/**
 * Lay out n items. chip_size[c] (0 = unknown) bounds chip c. Returns CD_OK with at least one
 * hypothesis, CD_E_BAD_IMAGE with detail naming the conflicting partitions when none exists.
 */
int infer_layout(const struct infer_item *it, size_t n, const uint64_t *chip_size,
                 struct infer_result *res);
void infer_result_free(struct infer_result *res, size_t n);

#endif
