/*
 * cd_mtd_layout_build(): /proc/mtd + exact sources (boot log, mtdparts=) + chip sizes +
 * images -> one layout. Exact offsets pin the partitions they name; the rest are inferred
 * (mtd_infer.c) and then checked against the image (mtd_content.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "mtd_content.h"
#include "mtd_infer.h"
#include "mtd_internal.h"

static int msg(struct cd_mtd_layout *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int msg(struct cd_mtd_layout *l, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return mtd_list_add(&l->messages, &l->nmessages, "%s", buf) ? CD_E_NOMEM : CD_OK;
}

const char *cd_mtd_method_name(enum cd_mtd_method m)
{
    switch (m) {
    case CD_MTD_NONE:
        return "none";
    case CD_MTD_TILED:
        return "tiled";
    case CD_MTD_INSIDE:
        return "inside";
    case CD_MTD_HEADER:
        return "header-skipped";
    case CD_MTD_TAIL:
        return "tail";
    case CD_MTD_ALIAS:
        return "alias";
    case CD_MTD_DMESG:
        return "dmesg";
    case CD_MTD_MTDPARTS:
        return "mtdparts";
    case CD_MTD_CONTENT:
        return "content";
    }
    return "?";
}

/* Kernel truncation rules for exact parts, once chip sizes are known. */
static int resolve_exact(struct cd_mtd_exact *x, const uint64_t *F, struct cd_mtd_layout *l)
{
    size_t o = 0;
    for (size_t i = 0; i < x->n; i++) {
        struct cd_mtd_exact_part *p = &x->parts[i];
        uint64_t f = p->chip < CD_MTD_MAX_CHIPS ? F[p->chip] : 0;
        if (p->fill && f) {
            if (p->offset >= f) {
                p->size = 0;
            } else {
                p->size = f - p->offset;
                p->fill = false;
            }
        } else if (f && !p->fill && p->offset + p->size > f) {
            /* cmdlinepart: "partitioning exceeds flash size, truncating" */
            uint64_t ns = p->offset < f ? f - p->offset : 0;
            if (msg(l,
                    "mtdparts: \"%s\" runs past the end of the 0x%llx-byte chip; the kernel "
                    "truncates it to 0x%llx bytes",
                    p->name, (unsigned long long)f, (unsigned long long)ns))
                return CD_E_NOMEM;
            p->size = ns;
        }
        if (x->from_mtdparts && !p->fill && p->size == 0) {
            /* cmdlinepart skips zero-sized partitions: they get no mtd number */
            if (msg(l, "mtdparts: \"%s\" has no room on the chip; the kernel skips it", p->name))
                return CD_E_NOMEM;
            free(p->name);
            continue;
        }
        x->parts[o++] = *p;
    }
    x->n = o;
    return CD_OK;
}

/* Longest common subsequence of names: map[i] = exact part for table entry i, or -1. */
static int match_names(const struct cd_mtd_table *t, const struct cd_mtd_exact *x, int *map)
{
    size_t n = t->n, m = x->n;
    unsigned *dp = calloc((n + 1) * (m + 1), sizeof(*dp));
    if (!dp)
        return CD_E_NOMEM;
#define DP(i, j) dp[(size_t)(i) * (m + 1) + (size_t)(j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            DP(i, j) = !strcmp(t->entries[i].name, x->parts[j].name)
                           ? DP(i + 1, j + 1) + 1
                           : (DP(i + 1, j) > DP(i, j + 1) ? DP(i + 1, j) : DP(i, j + 1));
    for (size_t i = 0; i < n; i++)
        map[i] = -1;
    size_t i = 0, j = 0;
    while (i < n && j < m) {
        if (!strcmp(t->entries[i].name, x->parts[j].name) && DP(i, j) == DP(i + 1, j + 1) + 1) {
            map[i++] = (int)j++;
        } else if (DP(i + 1, j) >= DP(i, j + 1)) {
            i++;
        } else {
            j++;
        }
    }
#undef DP
    free(dp);
    return CD_OK;
}

static const char *src_name(const struct cd_mtd_exact *x)
{
    return x->from_mtdparts ? "mtdparts" : "the boot log";
}

/* Pin table entries to exact parts; conflicts between two exact sources are errors. */
static int pin(const struct cd_mtd_table *t, const struct cd_mtd_exact *x, struct infer_item *it,
               const int *item_of, struct cd_mtd_layout *l)
{
    int *map = malloc((t->n ? t->n : 1) * sizeof(*map));
    if (!map || match_names(t, x, map)) {
        free(map);
        return cd_fail(CD_E_NOMEM, "out of memory");
    }
    int rc = CD_OK;
    for (size_t i = 0; i < t->n && !rc; i++) {
        if (map[i] < 0 || item_of[i] < 0)
            continue;
        const struct cd_mtd_exact_part *p = &x->parts[map[i]];
        struct infer_item *e = &it[item_of[i]];
        uint64_t size = p->fill ? t->entries[i].size : p->size;
        if (size != t->entries[i].size) {
            rc = msg(l,
                     "%s gives \"%s\" 0x%llx bytes but /proc/mtd (mtd%d) says 0x%llx: they come "
                     "from different boots or firmware, so its offset is inferred instead",
                     src_name(x), p->name, (unsigned long long)size, t->entries[i].index,
                     (unsigned long long)t->entries[i].size);
            continue;
        }
        if (e->pinned) {
            if (e->pin_off != p->offset || (e->pin_chip >= 0 && (unsigned)e->pin_chip != p->chip))
                rc = cd_fail(CD_E_BAD_IMAGE,
                             "the boot log puts \"%s\" (mtd%d) at 0x%llx but mtdparts puts it at "
                             "0x%llx",
                             p->name, t->entries[i].index, (unsigned long long)e->pin_off,
                             (unsigned long long)p->offset);
            continue;
        }
        e->pinned = true;
        e->pin_off = p->offset;
        /* the source's chip numbers count only the devices it names (a log grepped for the
         * NAND lines has one): the search places the chip, the offset is what is exact */
        e->pin_chip = -1;
        e->pin_group = (x->from_mtdparts ? CD_MTD_MAX_CHIPS : 0) + (int)p->chip;
        e->pin_method = x->from_mtdparts ? CD_MTD_MTDPARTS : CD_MTD_DMESG;
    }
    free(map);
    return rc;
}

static int add_part(struct cd_mtd_layout *l, const struct cd_mtd_part *p)
{
    struct cd_mtd_part *bigger = realloc(l->parts, (l->n + 1) * sizeof(*bigger));
    if (!bigger)
        return CD_E_NOMEM;
    l->parts = bigger;
    l->parts[l->n] = *p;
    if (!(l->parts[l->n].name = strdup(p->name ? p->name : "")))
        return CD_E_NOMEM;
    l->n++;
    return CD_OK;
}

/* Smallest placed partition on the same chip holding p (equal ranges: the earlier one). */
static void parents(struct cd_mtd_layout *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct cd_mtd_part *p = &l->parts[i];
        p->parent = -1;
        if (!p->placed)
            continue;
        uint64_t best = 0;
        for (size_t j = 0; j < l->n; j++) {
            const struct cd_mtd_part *q = &l->parts[j];
            if (j == i || !q->placed || q->chip != p->chip || q->offset > p->offset ||
                q->offset + q->size < p->offset + p->size)
                continue;
            if (q->size == p->size && q->offset == p->offset && j > i)
                continue; /* two names for one range: the later one is not the parent */
            if (p->parent < 0 || q->size < best) {
                p->parent = (int)j;
                best = q->size;
            }
        }
    }
}

static const char *name_of(const struct infer_item *it, int i)
{
    return i >= 0 ? it[i].name : "the chip";
}

static void note_for(const struct infer_item *it, size_t nit, const struct infer_hyp *h, int i,
                     char *buf, size_t n, const struct cd_mtd_chipinfo *chips)
{
    const char *par = name_of(it, h->container[i]);
    unsigned c = h->chip[i];
    switch (h->why[i]) {
    case WHY_NONE:
        buf[0] = '\0';
        break;
    case WHY_TILED:
        snprintf(buf, n, "laid end to end from the start of the chip");
        break;
    case WHY_HOLE:
        if (chips[c].size)
            snprintf(buf, n,
                     "the partitions cover 0x%llx of the 0x%llx-byte chip: a gap /proc/mtd does "
                     "not show may lie anywhere before it",
                     (unsigned long long)h->chip_extent[c], (unsigned long long)chips[c].size);
        else if (!mtd_pow2(h->chip_extent[c]))
            snprintf(buf, n,
                     "the partitions add up to 0x%llx bytes, which is no flash size: something is "
                     "not listed, and the gap may lie anywhere before it",
                     (unsigned long long)h->chip_extent[c]);
        else
            snprintf(buf, n,
                     "laid end to end, but in this layout a firmware or whole-chip partition does "
                     "not hold what it should, so the chip may not be covered as listed");
        break;
    case WHY_INSIDE:
        snprintf(buf, n, "inside \"%s\", whose children fill it exactly", par);
        break;
    case WHY_TRX:
        snprintf(buf, n, "inside \"%s\", after its 28-byte TRX header", par);
        break;
    case WHY_GAP:
        snprintf(buf, n,
                 "\"%s\" holds 0x%llx bytes its children do not fill: taken as a header in "
                 "front; it could be a gap between them",
                 par, (unsigned long long)h->gap);
        break;
    case WHY_TAIL_FS:
        snprintf(buf, n, "at the end of \"%s\" (a filesystem split off its tail)", par);
        break;
    case WHY_TAIL_OTHER:
        snprintf(buf, n, "assumed at the end of \"%s\"; it could sit anywhere inside it", par);
        break;
    case WHY_WHOLE_HOLE:
        snprintf(buf, n,
                 "inside whole-chip \"%s\", which its children do not fill: a gap may lie "
                 "before it",
                 par);
        break;
    case WHY_FOLLOWS:
        if (h->container[i] >= 0)
            snprintf(buf, n, "assumed right after its neighbour in \"%s\"", par);
        else
            snprintf(buf, n,
                     "laid after its neighbour, but what lies between it and the next "
                     "exactly known partition is not certain");
        break;
    case WHY_ALIAS: {
        /* the run it covers: its siblings inside it */
        int first = -1, last = -1;
        for (size_t j = 0; j < nit; j++) {
            if ((int)j == i || h->container[j] != h->container[i] || h->chip[j] != c ||
                h->method[j] == CD_MTD_ALIAS || h->off[j] < h->off[i] ||
                h->off[j] + it[j].size > h->off[i] + it[i].size)
                continue;
            if (first < 0)
                first = (int)j;
            last = (int)j;
        }
        if (first >= 0)
            snprintf(buf, n, "another name for mtd%d \"%s\" .. mtd%d \"%s\" together",
                     it[first].index, it[first].name, it[last].index, it[last].name);
        else
            snprintf(buf, n, "another name for a run of partitions");
        break;
    }
    case WHY_PINNED:
        buf[0] = '\0';
        break;
    case WHY_FILLER:
        snprintf(buf, n,
                 "the last partition on the chip is a filler (\"unused\", "
                 "\"reserved\"...), which device trees sometimes append for an earlier "
                 "gap: the order may not be the layout");
        break;
    case WHY_EMPTY_SPLIT:
        snprintf(buf, n,
                 "taken as the tail of \"%s\"; an old kernel would have put a rootfs_data the "
                 "squashfs left no room for right after it instead, running to the chip's end, "
                 "and the sizes fit that too",
                 par);
        break;
    case WHY_SLOTS:
        snprintf(buf, n,
                 "laid in listing order, but the table lists dual-image slots by kind (kernels, "
                 "then filesystems), which vendors lay out either that way or slot by slot");
        break;
    case WHY_ORDER:
        snprintf(buf, n,
                 "laid in listing order, but data vendors keep at the chip's end (oem, bdinfo, "
                 "backup) is listed before a firmware container here: vendor tables "
                 "register in any order");
        break;
    case WHY_PARENT:
        snprintf(buf, n, "inside \"%s\", whose own offset is uncertain", par);
        break;
    case WHY_UNALIGNED:
        snprintf(buf, n, "tail of \"%s\", which does not end on an erase block", par);
        break;
    }
}

/* The layout straight from exact parts (no /proc/mtd). */
static int from_exact(struct cd_mtd_layout *l, const struct cd_mtd_exact *x)
{
    for (size_t i = 0; i < x->n; i++) {
        const struct cd_mtd_exact_part *p = &x->parts[i];
        struct cd_mtd_part q = {.index = (int)i,
                                .name = p->name,
                                .offset = p->offset,
                                .size = p->size,
                                .chip = p->chip,
                                .method = x->from_mtdparts ? CD_MTD_MTDPARTS : CD_MTD_DMESG,
                                .placed = !p->disabled && p->size && !p->fill,
                                .certain = true,
                                .line = p->line};
        if (p->fill)
            return cd_fail(CD_E_BAD_IMAGE,
                           "mtdparts: \"%s\" runs to the end of \"%s\", whose size is unknown: "
                           "give --flash-size or the chip's image",
                           p->name, x->chip_names[p->chip]);
        if (!q.placed) {
            q.method = CD_MTD_NONE;
            q.certain = false;
            snprintf(q.note, sizeof(q.note), "disabled by the kernel (out of reach)");
        } else {
            snprintf(q.note, sizeof(q.note), "%s %d of %s", x->from_mtdparts ? "column" : "line",
                     p->line, x->from_mtdparts ? "mtdparts" : "the boot log");
        }
        if (add_part(l, &q))
            return CD_E_NOMEM;
        if (p->chip + 1 > l->nchips)
            l->nchips = p->chip + 1;
    }
    if (msg(l,
            "mtd numbers are assumed from the order of %s (a master device registered as "
            "its own mtd would shift them)",
            src_name(x)))
        return CD_E_NOMEM;
    return CD_OK;
}

/* Compare two exact sources given without /proc/mtd; the first is used, the second checked. */
static int cross_check(const struct cd_mtd_exact *a, const struct cd_mtd_exact *b)
{
    for (size_t j = 0; j < b->n; j++)
        for (size_t i = 0; i < a->n; i++)
            if (!strcmp(a->parts[i].name, b->parts[j].name) && !b->parts[j].fill &&
                (a->parts[i].offset != b->parts[j].offset || a->parts[i].size != b->parts[j].size))
                return cd_fail(CD_E_BAD_IMAGE,
                               "the boot log puts \"%s\" at 0x%llx (0x%llx bytes) but mtdparts "
                               "at 0x%llx (0x%llx bytes)",
                               a->parts[i].name, (unsigned long long)a->parts[i].offset,
                               (unsigned long long)a->parts[i].size,
                               (unsigned long long)b->parts[j].offset,
                               (unsigned long long)b->parts[j].size);
    return CD_OK;
}

/*
 * The exact sources place some partitions and /proc/mtd's sizes leave the others no room
 * around them (vendor boxes list volumes and partitions of a second driver that the boot log
 * does not show). Keep what is known instead of failing: the rest is not placed.
 */
static int exact_only(struct cd_mtd_layout *l, const struct infer_item *it, size_t ni,
                      const int *part_of)
{
    size_t pinned = 0;
    for (size_t k = 0; k < ni; k++)
        pinned += it[k].pinned;
    if (!pinned)
        return CD_E_BAD_IMAGE; /* the detail set by the inference stands */
    char why[200];
    snprintf(why, sizeof(why), "%s", cd_error_detail());
    l->nchips = 1;
    for (size_t k = 0; k < ni; k++) {
        struct cd_mtd_part *p = &l->parts[part_of[k]];
        if (!it[k].pinned) {
            p->placed = false;
            p->method = CD_MTD_NONE;
            snprintf(p->note, sizeof(p->note),
                     "not in the exact source, and /proc/mtd's sizes leave it no room next to "
                     "the partitions that are: not placed");
            continue;
        }
        p->offset = it[k].pin_off;
        p->chip = it[k].pin_chip >= 0    ? (unsigned)it[k].pin_chip
                  : it[k].pin_group >= 0 ? (unsigned)(it[k].pin_group % CD_MTD_MAX_CHIPS)
                                         : 0;
        p->method = it[k].pin_method;
        p->certain = true;
        snprintf(p->note, sizeof(p->note), "%s",
                 it[k].pin_method == CD_MTD_MTDPARTS ? "exact, from mtdparts"
                                                     : "exact, from the boot log");
        if (p->chip + 1 > l->nchips)
            l->nchips = p->chip + 1;
    }
    return msg(l, "only the exactly known partitions are placed: %s", why);
}

static int from_table(struct cd_mtd_layout *l, const struct cd_mtd_opts *o,
                      struct cd_mtd_exact *exact[2], const uint64_t *F)
{
    const struct cd_mtd_table *t = o->table;
    int rc = CD_OK;
    if (t->ntables > CD_MTD_MAX_CHIPS)
        return cd_fail(CD_E_BAD_IMAGE,
                       "%u tables one after another (line %d starts the last): at most %d chips",
                       t->ntables, t->entries[t->n - 1].line, CD_MTD_MAX_CHIPS);
    struct infer_item *it = calloc(t->n ? t->n : 1, sizeof(*it));
    int *item_of = malloc((t->n ? t->n : 1) * sizeof(*item_of));
    int *part_of = malloc((t->n ? t->n : 1) * sizeof(*part_of));
    struct infer_result res;
    size_t ni = 0;
    memset(&res, 0, sizeof(res));
    if (!it || !item_of || !part_of) {
        rc = cd_fail(CD_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct cd_mtd_entry *e = &t->entries[i];
        struct cd_mtd_part q = {.index = e->index,
                                .name = e->name,
                                .size = e->size,
                                .erasesize = e->erasesize,
                                .line = e->line,
                                .parent = -1};
        item_of[i] = -1;
        if (!e->size) {
            snprintf(q.note, sizeof(q.note), "size 0: disabled by the kernel (out of reach)");
        } else if (e->erasesize && !mtd_pow2(e->erasesize)) {
            snprintf(q.note, sizeof(q.note),
                     "a UBI volume (erase size 0x%x is a UBI LEB, not a flash block): it lives "
                     "inside a UBI partition, not at a fixed flash range",
                     e->erasesize);
        } else {
            q.placed = true;
            item_of[i] = (int)ni;
            part_of[ni] = (int)l->n;
            it[ni++] = (struct infer_item){.name = e->name,
                                           .index = e->index,
                                           .size = e->size,
                                           .eb = e->erasesize,
                                           .table = e->table,
                                           .pin_chip = -1,
                                           .pin_group = -1};
        }
        if (add_part(l, &q)) {
            rc = cd_fail(CD_E_NOMEM, "out of memory");
            goto out;
        }
    }
    for (int k = 0; k < 2; k++)
        if (exact[k] && (rc = pin(t, exact[k], it, item_of, l)))
            goto out;
    if ((rc = infer_layout(it, ni, F, &res))) {
        if (rc == CD_E_BAD_IMAGE)
            rc = exact_only(l, it, ni, part_of);
        goto out;
    }

    bool *settled = calloc(ni ? ni : 1, sizeof(*settled));
    if (!settled) {
        rc = cd_fail(CD_E_NOMEM, "out of memory");
        goto out;
    }
    unsigned shown = mtd_content_pick(o, it, ni, &res, settled);
    const struct infer_hyp *h = &res.hyps[shown];
    l->nchips = h->nchips;
    for (unsigned c = 0; c < h->nchips; c++) {
        if (F[c]) {
            l->chips[c].size = F[c];
            if (!l->chips[c].size_source)
                l->chips[c].size_source = CD_MTD_SIZE_GIVEN;
        } else if (h->chip_complete[c] && !res.differ_chip[c]) {
            l->chips[c].size = h->chip_extent[c];
            l->chips[c].size_source = CD_MTD_SIZE_TILING;
        }
    }
    for (size_t k = 0; k < ni; k++) {
        struct cd_mtd_part *p = &l->parts[part_of[k]];
        p->offset = h->off[k];
        p->chip = h->chip[k];
        p->method = h->method[k];
        p->certain = h->certain[k] && (!res.differ[k] || settled[k]);
        note_for(it, ni, h, (int)k, p->note, sizeof(p->note), l->chips);
        if (it[k].pinned)
            snprintf(p->note, sizeof(p->note), "%s",
                     it[k].pin_method == CD_MTD_MTDPARTS ? "exact, from mtdparts"
                                                         : "exact, from the boot log");
        if (settled[k]) {
            p->method = CD_MTD_CONTENT;
            snprintf(p->note, sizeof(p->note),
                     "several layouts fit /proc/mtd; the image holds what this partition "
                     "should start with only in this one");
        } else if (res.differ[k]) {
            size_t len = strlen(p->note);
            for (unsigned a = 0; a < res.nhyps; a++) {
                if (res.hyps[a].off[k] == h->off[k] && res.hyps[a].chip[k] == h->chip[k])
                    continue;
                snprintf(p->note + len, sizeof(p->note) - len,
                         "%sanother layout that fits /proc/mtd puts it at 0x%llx%s",
                         len ? "; " : "", (unsigned long long)res.hyps[a].off[k],
                         res.hyps[a].chip[k] != h->chip[k] ? " on another chip" : "");
                break;
            }
        }
    }
    free(settled);
    rc = mtd_content_check(l, o, it, ni, part_of, h);
    if (rc)
        goto out;
    if (res.exhausted) {
        /* an unexplored layout could disagree with any inferred offset */
        for (size_t k = 0; k < ni; k++) {
            struct cd_mtd_part *p = &l->parts[part_of[k]];
            if (!it[k].pinned && p->method != CD_MTD_CONTENT && p->certain) {
                p->certain = false;
                snprintf(p->note, sizeof(p->note),
                         "too many layouts fit the table to try them "
                         "all");
            }
        }
        rc = msg(l, "the table allows too many layouts to try them all; offsets are uncertain");
    } else if (res.more)
        rc = msg(l, "more than %d layouts fit /proc/mtd", INFER_MAX_HYPS);
out:
    infer_result_free(&res, ni);
    free(it);
    free(item_of);
    free(part_of);
    return rc;
}

static int summarize(struct cd_mtd_layout *l, const struct cd_mtd_opts *o)
{
    size_t unsure = 0;
    char list[300] = "";
    size_t len = 0;
    l->certain = true;
    for (size_t i = 0; i < l->n; i++) {
        const struct cd_mtd_part *p = &l->parts[i];
        if (!p->placed || p->certain)
            continue;
        l->certain = false;
        if (unsure++ < 6 && len < sizeof(list) - 40)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%smtd%d \"%s\"",
                                    len ? ", " : "", p->index, p->name);
    }
    if (unsure) {
        bool exact = o->dmesg || o->mtdparts;
        bool image = false;
        for (unsigned c = 0; c < CD_MTD_MAX_CHIPS; c++)
            image |= o->image[c] != NULL;
        if (msg(l,
                "%zu partition(s) have offsets /proc/mtd alone does not settle: %s%s. Give the "
                "exact offsets with --dmesg FILE (the boot log's 'Creating N MTD partitions' "
                "lines) or --mtdparts STR%s",
                unsure, list, unsure > 6 ? ", ..." : "",
                exact ? "" : (image ? "" : ", or the chip's image to check what starts where")))
            return CD_E_NOMEM;
    }
    for (unsigned c = 0; c < l->nchips; c++)
        if (!l->chips[c].size && msg(l, "the size of chip %u is unknown: give --flash-size", c))
            return CD_E_NOMEM;
    return CD_OK;
}

int cd_mtd_layout_build(const struct cd_mtd_opts *o, struct cd_mtd_layout **out)
{
    *out = NULL;
    if (!o || (!o->table && !o->dmesg && !o->mtdparts))
        return cd_fail(CD_E_ARG, "no partition table given (/proc/mtd, boot log or mtdparts)");
    struct cd_mtd_layout *l = calloc(1, sizeof(*l));
    if (!l)
        return cd_fail(CD_E_NOMEM, "out of memory");
    uint64_t F[CD_MTD_MAX_CHIPS] = {0};
    struct cd_mtd_exact copies[2];
    struct cd_mtd_exact *exact[2] = {NULL, NULL};
    memset(copies, 0, sizeof(copies));
    int rc = CD_OK;

    for (unsigned c = 0; c < CD_MTD_MAX_CHIPS; c++) {
        F[c] = o->chip_size[c];
        l->chips[c].size_source = F[c] ? o->chip_size_source[c] : CD_MTD_SIZE_UNKNOWN;
        if (F[c] && !l->chips[c].size_source)
            l->chips[c].size_source = CD_MTD_SIZE_GIVEN;
        if (o->dmesg && !F[c] && c < o->dmesg->nchips && o->dmesg->chip_size_hint[c]) {
            F[c] = o->dmesg->chip_size_hint[c];
            l->chips[c].size_source = CD_MTD_SIZE_LOG;
        }
    }
    /* private copies: truncation rules need the chip sizes */
    const struct cd_mtd_exact *src[2] = {o->dmesg, o->mtdparts};
    for (int k = 0; k < 2; k++) {
        if (!src[k])
            continue;
        struct cd_mtd_exact *d = &copies[k];
        d->from_mtdparts = src[k]->from_mtdparts;
        d->nchips = src[k]->nchips;
        d->parts = calloc(src[k]->n ? src[k]->n : 1, sizeof(*d->parts));
        if (!d->parts) {
            rc = cd_fail(CD_E_NOMEM, "out of memory");
            goto fail;
        }
        for (unsigned c = 0; c < src[k]->nchips; c++)
            if (!(d->chip_names[c] = strdup(src[k]->chip_names[c]))) {
                rc = cd_fail(CD_E_NOMEM, "out of memory");
                goto fail;
            }
        for (size_t i = 0; i < src[k]->n; i++) {
            d->parts[i] = src[k]->parts[i];
            if (!(d->parts[i].name = strdup(src[k]->parts[i].name))) {
                d->n = i;
                rc = cd_fail(CD_E_NOMEM, "out of memory");
                goto fail;
            }
        }
        d->n = src[k]->n;
        for (size_t i = 0; i < src[k]->nnotes; i++)
            if (msg(l, "%s", src[k]->notes[i])) {
                rc = cd_fail(CD_E_NOMEM, "out of memory");
                goto fail;
            }
        if ((rc = resolve_exact(d, F, l)))
            goto fail;
        exact[k] = d;
    }

    if (o->table) {
        for (size_t i = 0; i < o->table->nnotes; i++)
            if (msg(l, "%s", o->table->notes[i])) {
                rc = cd_fail(CD_E_NOMEM, "out of memory");
                goto fail;
            }
        if ((rc = from_table(l, o, exact, F)))
            goto fail;
    } else {
        struct cd_mtd_exact *base = exact[0] ? exact[0] : exact[1];
        if (exact[0] && exact[1] && (rc = cross_check(exact[0], exact[1])))
            goto fail;
        if ((rc = from_exact(l, base)))
            goto fail;
        for (unsigned c = 0; c < l->nchips; c++)
            if (F[c]) {
                l->chips[c].size = F[c];
                for (size_t i = 0; i < l->n; i++)
                    if (l->parts[i].chip == c && l->parts[i].placed &&
                        l->parts[i].offset + l->parts[i].size > F[c]) {
                        rc = cd_fail(CD_E_BAD_IMAGE,
                                     "\"%s\" (0x%llx-0x%llx) lies past the end of the 0x%llx-byte "
                                     "chip",
                                     l->parts[i].name, (unsigned long long)l->parts[i].offset,
                                     (unsigned long long)(l->parts[i].offset + l->parts[i].size),
                                     (unsigned long long)F[c]);
                        goto fail;
                    }
            }
        if ((rc = mtd_content_check(l, o, NULL, 0, NULL, NULL)))
            goto fail;
    }
    parents(l);
    if ((rc = summarize(l, o)))
        goto fail;
    for (int k = 0; k < 2; k++)
        cd_mtd_exact_free(&copies[k]);
    *out = l;
    return CD_OK;

fail:
    if (rc == CD_E_NOMEM)
        rc = cd_fail(CD_E_NOMEM, "out of memory");
    for (int k = 0; k < 2; k++)
        cd_mtd_exact_free(&copies[k]);
    cd_mtd_layout_free(l);
    return rc;
}

void cd_mtd_layout_free(struct cd_mtd_layout *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->parts[i].name);
    free(l->parts);
    mtd_list_free(l->messages, l->nmessages);
    free(l);
}
