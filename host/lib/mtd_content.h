/* Internal: checking inferred offsets against the image (mtd_content.c). */
#ifndef CHIPDUMP_MTD_CONTENT_H
#define CHIPDUMP_MTD_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include "chipdump/mtd.h"
#include "mtd_infer.h"

/**
 * Among the layouts that fit /proc/mtd, the one the image supports: returns the index of
 * the hypothesis to show (res->shown when the image decides nothing) and sets settled[k]
 * for the disputed items whose start the image confirms in that layout.
 */
unsigned mtd_content_pick(const struct cd_mtd_opts *o, const struct infer_item *it, size_t ni,
                          const struct infer_result *res, bool *settled);

/**
 * Record what each placed partition starts with, settle rule-level doubts the way the
 * kernel's parsers would (a TRX header's offsets, a uImage at a container's start, where a
 * gap must lie for every start to hold what its name says) and report mismatches. it, h and
 * part_of are NULL for layouts built from exact sources only.
 */
int mtd_content_check(struct cd_mtd_layout *l, const struct cd_mtd_opts *o,
                      const struct infer_item *it, size_t ni, const int *part_of,
                      const struct infer_hyp *h);

#endif
