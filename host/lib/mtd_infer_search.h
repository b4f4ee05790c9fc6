/*
 * The state of the layout search in mtd_infer.c, shared with the doubt rules in
 * mtd_infer_rules.c.
 */
#ifndef CHIPDUMP_MTD_INFER_SEARCH_H
#define CHIPDUMP_MTD_INFER_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtd_infer.h"

#define MAX_DEPTH   24
#define NODE_BUDGET 10000 /* the real tables in tests/data/mtd take under 100 */
#define LEAF_BUDGET 500   /* complete layouts judged; beyond, nothing is called certain */
#define TRX_HEADER  0x1c  /* magic, len, crc32, flags+version, offset[3]: 28 bytes */
#define BRN_FOOTER  12    /* mtdsplit_brnimage keeps a 12-byte footer after rootfs */

enum role { R_TOP, R_CHILD, R_ALIAS };

/* Name classes, computed once per item: the search asks them at every node. */
struct kind {
    bool fs, kernel, whole, container, firmware, filler;
    bool tail_data;    /* data vendors keep at the chip's end (oem, bdinfo, backup) */
    bool rootfs, late; /* a "rootfs*" container; "rootfs_data" that may come late */
};

struct search {
    const struct infer_item *it;
    const struct kind *kd;
    size_t n;
    const uint64_t *F;
    int *role;
    int *cont;
    unsigned *chip;
    uint64_t *rel;
    int *alias_first, *alias_last;
    int *kids; /* kids[c * n + k]: non-alias children of container c (item or chip root) */
    int *nk;
    uint64_t *ksum;
    bool *kpinned;
    uint64_t cursor[CD_MTD_MAX_CHIPS];
    bool closed[CD_MTD_MAX_CHIPS]; /* an alias without a container's name ended the table */
    int stack[MAX_DEPTH];
    int depth;
    unsigned curchip;
    unsigned forced_chips; /* chips opened by a new pasted table */
    long nodes, leaves;
    bool stop;
    struct infer_hyp tmp;
    struct infer_result *res;
};

#define ROOT(c) ((int)s->n + (int)(c))

/* Data vendors keep at the chip's end (oem, bdinfo, backup). */
bool infer_tail_data_like(const char *name);
/* 1 when the layout lays kernel/rootfs-named partitions beside one whose size they add up to
 * exactly, instead of inside it: that layout then earns no credit for covering the chip. */
int infer_declines_split(const struct search *s);
/* The rules that make offsets of a complete layout uncertain: sizes that fit another reading
 * too, or listing orders vendors are known to break. */
void infer_doubt(const struct search *s, struct infer_hyp *h, const uint64_t *chipsize);

#endif
