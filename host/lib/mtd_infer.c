/*
 * Offsets from /proc/mtd alone. /proc/mtd lists partitions in registration order with their
 * sizes; how the kernel lays them out (drivers/mtd/mtdpart.c, drivers/mtd/parsers/,
 * OpenWrt's mtdsplit) gives these rules:
 *
 *  - A chip's own partitions (ofpart, cmdlinepart, bcm47xxpart...) are laid end to end from
 *    offset 0; cmdlinepart places a partition without @offset right after the previous one,
 *    bcm47xxpart ends each partition where the next begins. They may leave holes or overlap
 *    only through explicit offsets, which /proc/mtd does not show.
 *  - A partition split by a parser (mtdsplit uimage/trx/seama/elf/fit..., parser_trx, the
 *    squashfs split) has its children registered right after it (add_mtd_partitions parses
 *    each child before registering the next sibling), in offset order. Every firmware split
 *    ends its last child (rootfs/ubi) at the container's end (rootfs_size = size - offset);
 *    the kernel part usually starts at the container's start and ends where the rootfs
 *    begins (uimage, seama, elf, jimage, tplink), so children fill their container exactly.
 *    TRX keeps its 28-byte header in front: children start at offset[0] = 0x1c.
 *  - rootfs_data (squashfs split) starts at the first erase block after the squashfs and
 *    runs to the erase-aligned end of rootfs: the tail of rootfs.
 *  - Old cmdline tables and tp-link's parser register a "firmware" alias covering kernel and
 *    rootfs after them; whole-chip partitions ("all", a partitioned master) cover everything.
 *
 * The search below enumerates every assignment of the listed partitions to these roles (top
 * level of a chip, child of an open container, alias of a run of neighbours, first of the
 * next chip) that fits the sizes. Layouts whose chips are covered exactly (sum = flash size,
 * or a power of two when the size is unknown) beat layouts with holes. A partition's offset
 * is certain only if every surviving layout agrees on it and the rule that placed it allows
 * no alternative.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chipdump/error.h"
#include "mtd_infer.h"
#include "mtd_infer_search.h"
#include "mtd_internal.h"

static bool prefix(const char *name, const char *p)
{
    return !strncasecmp(name, p, strlen(p));
}

/* Names of partitions that parsers split or that dual-image tables nest into. */
static bool container_like(const char *name)
{
    return prefix(name, "firmware") || prefix(name, "kernel") || prefix(name, "rootfs") ||
           prefix(name, "linux") || prefix(name, "image") || prefix(name, "fw") ||
           prefix(name, "alt_kernel") || prefix(name, "failsafe") || mtd_name_is_whole_chip(name);
}

/* Names device trees give to space nobody uses; such a node is sometimes appended after the
 * others to cover an earlier gap (ofpart registers nodes in device-tree order, unsorted:
 * Linux's kirkwood-linksys-viper.dts lists "unused" @0xc0000 last, WRT1900ACS and WRT3200ACM
 * "unused_area" @0x280000 / 0x260000). Not "reserved": listed last, it is the NAND's last
 * blocks in every table in tests/data/mtd (Netgear R6220, WAC124). */
static bool filler_like(const char *name)
{
    static const char *const p[] = {"unused", "free", "empty", "padding", "blank", "gap", NULL};
    for (const char *const *q = p; *q; q++)
        if (prefix(name, *q))
            return true;
    return false;
}

/*
 * A child of container c may be item i: the kinds of nesting the kernel produces. Split
 * parsers only ever make kernel-like and filesystem parts (kernel, linux, loader, rootfs,
 * ubi, rootfs_data); dual-image tables nest rootfs in kernel; a whole-chip partition holds
 * anything. An "art" inside "firmware" is no layout a kernel makes.
 */
static bool plausible_child(const struct search *s, int c, size_t i)
{
    return s->kd[c].whole || s->kd[i].fs || s->kd[i].kernel;
}

static void dfs(struct search *s, size_t i);

/* ---- leaf: turn the role assignment into offsets and judge it ---- */

static void set(struct infer_hyp *h, int i, uint64_t off, enum cd_mtd_method m, enum infer_why w,
                bool certain)
{
    h->off[i] = off;
    h->method[i] = m;
    h->why[i] = w;
    h->certain[i] = certain;
}

/* Lay out the non-alias children of container x (an item). false = the layout is impossible. */
static bool layout_kids(struct search *s, int x, const uint64_t *chipsize)
{
    struct infer_hyp *h = &s->tmp;
    const struct infer_item *X = &s->it[x];
    const int *L = &s->kids[(size_t)x * s->n];
    int k = s->nk[x];
    uint64_t base = h->off[x], P = X->size, S = s->ksum[x];
    bool anyp = false, allp = true;
    for (int j = 0; j < k; j++) {
        anyp |= s->it[L[j]].pinned;
        allp &= s->it[L[j]].pinned;
    }
    if (anyp) {
        uint64_t pos = base;
        for (int j = 0; j < k; j++) {
            const struct infer_item *c = &s->it[L[j]];
            if (c->pinned)
                set(h, L[j], c->pin_off, c->pin_method, WHY_PINNED, true);
            else
                set(h, L[j], pos, CD_MTD_INSIDE, WHY_FOLLOWS, false);
            if (h->off[L[j]] < base || h->off[L[j]] + c->size > base + P)
                return false;
            pos = h->off[L[j]] + c->size;
        }
        (void)allp;
        return true;
    }
    unsigned chip = h->chip[x];
    bool whole = s->role[x] == R_TOP && base == 0 &&
                 ((chipsize[chip] && P == chipsize[chip]) || s->kd[x].whole);
    uint64_t pos = base;
    if (whole || S == P) {
        for (int j = 0; j < k; j++) {
            set(h, L[j], pos, CD_MTD_INSIDE, S == P ? WHY_INSIDE : WHY_WHOLE_HOLE, S == P);
            pos += s->it[L[j]].size;
        }
        return true;
    }
    if (k == 1) {
        const struct infer_item *c = &s->it[L[0]];
        uint64_t off = base + P - c->size;
        bool fs = s->kd[L[0]].fs;
        enum infer_why w = fs ? WHY_TAIL_FS : WHY_TAIL_OTHER;
        /* the squashfs split starts rootfs_data on an erase block; a TRX's rootfs starts
         * wherever the squashfs does */
        if (s->kd[L[0]].late && c->eb && off % c->eb)
            w = WHY_UNALIGNED;
        set(h, L[0], off, CD_MTD_TAIL, w, w == WHY_TAIL_FS);
        return true;
    }
    uint64_t g = P - S;
    bool trx = g == TRX_HEADER && s->kd[L[0]].kernel;
    pos = base + g;
    for (int j = 0; j < k; j++) {
        const struct infer_item *c = &s->it[L[j]];
        bool last = j == k - 1;
        /* only the first child sits right after the header; the others follow it */
        enum cd_mtd_method m = j == 0 ? CD_MTD_HEADER : CD_MTD_INSIDE;
        if (trx)
            set(h, L[j], pos, m, WHY_TRX, true);
        else
            set(h, L[j], pos, last ? CD_MTD_TAIL : m, WHY_GAP,
                last && s->kd[L[j]].fs && g != BRN_FOOTER);
        pos += c->size;
    }
    h->gap = g;
    return true;
}

static int plausibility(const struct search *s)
{
    int score = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct infer_item *x = &s->it[i];
        if (s->role[i] == R_CHILD)
            score += (s->kd[i].fs || s->kd[i].kernel) ? 2 : 0;
        else if (s->role[i] == R_ALIAS)
            score += s->kd[i].container ? 0 : -3;
        else if (x->eb && x->size % x->eb)
            score -= 1;
    }
    /* chips opened at a change of erase size (NOR boot flash + NAND) are the usual reason */
    return score + 3 * (int)(s->curchip - s->forced_chips);
}

static int hyp_alloc(struct infer_hyp *h, size_t n)
{
    size_t m = n ? n : 1;
    h->off = calloc(m, sizeof(*h->off));
    h->chip = calloc(m, sizeof(*h->chip));
    h->container = calloc(m, sizeof(*h->container));
    h->method = calloc(m, sizeof(*h->method));
    h->why = calloc(m, sizeof(*h->why));
    h->certain = calloc(m, sizeof(*h->certain));
    return (h->off && h->chip && h->container && h->method && h->why && h->certain) ? 0 : -1;
}

static void hyp_free(struct infer_hyp *h)
{
    free(h->off);
    free(h->chip);
    free(h->container);
    free(h->method);
    free(h->why);
    free(h->certain);
    memset(h, 0, sizeof(*h));
}

static void hyp_copy(struct infer_hyp *d, const struct infer_hyp *src, size_t n)
{
    memcpy(d->off, src->off, n * sizeof(*d->off));
    memcpy(d->chip, src->chip, n * sizeof(*d->chip));
    memcpy(d->container, src->container, n * sizeof(*d->container));
    memcpy(d->method, src->method, n * sizeof(*d->method));
    memcpy(d->why, src->why, n * sizeof(*d->why));
    memcpy(d->certain, src->certain, n * sizeof(*d->certain));
    d->gap = src->gap;
    memcpy(d->chip_extent, src->chip_extent, sizeof(d->chip_extent));
    memcpy(d->chip_complete, src->chip_complete, sizeof(d->chip_complete));
    d->nchips = src->nchips;
    d->score = src->score;
}

static void record(struct search *s, int tier)
{
    struct infer_result *r = s->res;
    struct infer_hyp *h = &s->tmp;
    size_t n = s->n;
    if (r->nhyps && tier > r->tier)
        return;
    if (!r->nhyps || tier < r->tier) {
        r->nhyps = 0;
        r->tier = tier;
        r->more = false;
        memset(r->differ, 0, (n ? n : 1) * sizeof(*r->differ));
        memset(r->differ_chip, 0, sizeof(r->differ_chip));
    }
    for (unsigned k = 0; k < r->nhyps; k++) {
        struct infer_hyp *o = &r->hyps[k];
        bool same = true;
        for (size_t i = 0; i < n && same; i++)
            same = o->off[i] == h->off[i] && o->chip[i] == h->chip[i];
        if (same) {
            /* the same offsets reached another way: certain only if both ways say so */
            for (size_t i = 0; i < n; i++)
                if (!h->certain[i] && o->certain[i]) {
                    o->certain[i] = false;
                    o->why[i] = h->why[i];
                }
            if (h->score > o->score)
                o->score = h->score;
            return;
        }
    }
    if (r->nhyps) {
        for (size_t i = 0; i < n; i++)
            if (r->hyps[0].off[i] != h->off[i] || r->hyps[0].chip[i] != h->chip[i])
                r->differ[i] = true;
        for (unsigned c = 0; c < CD_MTD_MAX_CHIPS; c++)
            if (r->hyps[0].chip_extent[c] != h->chip_extent[c] ||
                r->hyps[0].chip_complete[c] != h->chip_complete[c] ||
                r->hyps[0].nchips != h->nchips)
                r->differ_chip[c] = true;
    }
    if (r->nhyps == INFER_MAX_HYPS) {
        r->more = true;
        return;
    }
    struct infer_hyp *d = &r->hyps[r->nhyps];
    if (!d->off && hyp_alloc(d, n)) {
        s->stop = true; /* out of memory: the caller sees fewer hypotheses, never wrong ones */
        return;
    }
    hyp_copy(d, h, n);
    r->nhyps++;
}

static void leaf(struct search *s)
{
    struct infer_hyp *h = &s->tmp;
    size_t n = s->n;
    unsigned nchips = s->curchip + 1;
    uint64_t chipsize[CD_MTD_MAX_CHIPS] = {0};
    bool anypin[CD_MTD_MAX_CHIPS] = {0};
    h->gap = 0;
    h->nchips = nchips;
    memset(h->chip_extent, 0, sizeof(h->chip_extent));
    memset(h->chip_complete, 0, sizeof(h->chip_complete));

    /* what one exact source puts on one device lies on one chip, and on different chips
     * what it puts on different devices (the numbers themselves need not match) */
    for (size_t i = 0; i < n; i++) {
        int gi = s->it[i].pin_group;
        if (gi < 0)
            continue;
        for (size_t j = i + 1; j < n; j++) {
            int gj = s->it[j].pin_group;
            if (gj < 0 || gi / CD_MTD_MAX_CHIPS != gj / CD_MTD_MAX_CHIPS)
                continue;
            if ((gi == gj) != (s->chip[i] == s->chip[j]))
                return;
        }
    }
    /* top level first: their offsets were fixed when they were placed */
    for (size_t i = 0; i < n; i++) {
        h->chip[i] = s->chip[i];
        h->container[i] = s->cont[i] >= (int)n ? -1 : s->cont[i];
        if (s->role[i] != R_TOP)
            continue;
        const struct infer_item *x = &s->it[i];
        if (x->pinned) {
            set(h, (int)i, x->pin_off, x->pin_method, WHY_PINNED, true);
            anypin[s->chip[i]] = true;
        } else {
            set(h, (int)i, s->rel[i], CD_MTD_TILED, WHY_TILED, true);
        }
    }
    for (unsigned c = 0; c < nchips; c++) {
        uint64_t extent = 0;
        for (size_t i = 0; i < n; i++)
            if (s->role[i] == R_TOP && s->chip[i] == c && h->off[i] + s->it[i].size > extent)
                extent = h->off[i] + s->it[i].size;
        h->chip_extent[c] = extent;
        /* exact offsets explain gaps between them, not a chip that is not covered */
        bool tiled = anypin[c] || s->ksum[ROOT(c)] == extent;
        if (s->F[c]) {
            if (extent > s->F[c])
                return;
            chipsize[c] = s->F[c];
            h->chip_complete[c] = tiled && extent == s->F[c];
        } else {
            h->chip_complete[c] = tiled && mtd_pow2(extent);
            chipsize[c] = h->chip_complete[c] ? extent : 0;
        }
    }
    /* containers in registration order: a container always precedes its children */
    bool aliases = false;
    for (size_t i = 0; i < n; i++)
        aliases |= s->role[i] == R_ALIAS;
    for (size_t i = 0; i < n; i++) {
        if (s->nk[i] && !layout_kids(s, (int)i, chipsize))
            return;
        for (size_t a = i + 1; aliases && a < n; a++) /* aliases among i's children */
            if (s->role[a] == R_ALIAS && s->cont[a] == (int)i)
                set(h, (int)a, h->off[s->alias_first[a]], CD_MTD_ALIAS, WHY_ALIAS,
                    h->certain[s->alias_first[a]] && h->certain[s->alias_last[a]]);
    }
    for (size_t a = 0; a < n; a++) /* aliases at the top level */
        if (s->role[a] == R_ALIAS && s->cont[a] >= (int)n)
            set(h, (int)a, h->off[s->alias_first[a]], CD_MTD_ALIAS, WHY_ALIAS,
                h->certain[s->alias_first[a]] && h->certain[s->alias_last[a]]);

    int tier = 0;
    for (size_t i = 0; i < n; i++) {
        const struct infer_item *x = &s->it[i];
        if (x->pinned &&
            (h->off[i] != x->pin_off || (x->pin_chip >= 0 && h->chip[i] != (unsigned)x->pin_chip)))
            return; /* contradicts an exact source */
        unsigned c = h->chip[i];
        /* a whole-chip name that does not hold everything on its chip is a poor fit */
        if (s->kd[i].whole && (h->off[i] != 0 || x->size < h->chip_extent[c]))
            h->chip_complete[c] = false;
    }
    /* a "firmware" that holds neither kernel nor rootfs while they exist elsewhere on its
     * chip is no OpenWrt layout: mtdsplit and the aliases always put them inside it */
    for (size_t j = 0; j < n; j++) {
        if (!s->kd[j].fs)
            continue;
        bool inside = false, any = false;
        for (size_t f = 0; f < n && !inside; f++) {
            if (!s->kd[f].firmware || h->chip[f] != h->chip[j])
                continue;
            any = true;
            inside =
                h->off[f] <= h->off[j] && h->off[f] + s->it[f].size >= h->off[j] + s->it[j].size;
        }
        if (any && !inside)
            h->chip_complete[h->chip[j]] = false;
    }
    /* fewer chips with gaps is better: chips are laid out independently */
    for (unsigned c = 0; c < nchips; c++)
        if (!h->chip_complete[c])
            tier++;
    tier += infer_declines_split(s);
    /* on a chip with exactly known partitions, the others are laid after their known
     * neighbour: certain only where a run of them fills the room up to the next known one
     * (or to the chip's end) exactly */
    for (unsigned c = 0; c < nchips; c++) {
        if (!anypin[c])
            continue;
        int root = ROOT(c);
        int nt = s->nk[root];
        const int *L = &s->kids[(size_t)root * n];
        int first = -1;
        uint64_t total = 0;
        for (int k = 0; k <= nt; k++) {
            bool at_end = k == nt;
            if (!at_end && !s->it[L[k]].pinned) {
                if (first < 0)
                    first = k;
                total += s->it[L[k]].size;
                continue;
            }
            if (first >= 0) {
                uint64_t limit =
                    at_end ? (s->F[c] ? s->F[c]
                                      : (mtd_pow2(h->chip_extent[c]) ? h->chip_extent[c] : 0))
                           : s->it[L[k]].pin_off;
                bool exact = limit && h->off[L[first]] + total == limit;
                for (int j = first; j < k; j++)
                    if (!exact)
                        set(h, L[j], h->off[L[j]], CD_MTD_TILED, WHY_FOLLOWS, false);
            }
            first = -1;
            total = 0;
        }
    }
    /* top-level partitions overlap only through explicit offsets: an inferred one that
     * overlaps an exactly known one is no layout (the exact one belongs elsewhere) */
    for (size_t i = 0; i < n; i++) {
        if (s->role[i] != R_TOP || s->it[i].pinned)
            continue;
        for (size_t j = 0; j < n; j++)
            if (s->role[j] == R_TOP && s->it[j].pinned && h->chip[j] == h->chip[i] &&
                h->off[j] < h->off[i] + s->it[i].size && h->off[i] < h->off[j] + s->it[j].size)
                return;
    }
    /* a filler listed last on its chip may really sit anywhere before */
    bool filler[CD_MTD_MAX_CHIPS] = {0};
    for (unsigned c = 0; c < nchips; c++) {
        int root = ROOT(c);
        int nt = s->nk[root];
        if (nt >= 2) {
            int last = s->kids[(size_t)root * n + (size_t)nt - 1];
            filler[c] = !s->it[last].pinned && s->kd[last].filler;
        }
    }
    infer_doubt(s, h, chipsize);
    /* uncertainty flows down: a hole makes the top level uncertain, an uncertain container
     * its children */
    for (size_t i = 0; i < n; i++) {
        if (s->it[i].pinned)
            continue;
        if (s->role[i] == R_TOP || (s->role[i] == R_ALIAS && s->cont[i] >= (int)n)) {
            if (!h->chip_complete[h->chip[i]]) {
                h->certain[i] = false;
                if (s->role[i] == R_TOP)
                    h->why[i] = WHY_HOLE;
            } else if (filler[h->chip[i]] && s->role[i] == R_TOP) {
                h->certain[i] = false;
                h->why[i] = WHY_FILLER;
            }
        } else if (s->cont[i] < (int)n && !h->certain[s->cont[i]] && h->certain[i]) {
            h->certain[i] = false;
            h->why[i] = WHY_PARENT;
        }
    }
    h->score = plausibility(s);
    record(s, tier);
}

/* ---- the search ---- */

static void push_kid(struct search *s, int c, size_t i)
{
    s->kids[(size_t)c * s->n + (size_t)s->nk[c]++] = (int)i;
    if (s->it[i].pinned)
        s->kpinned[c] = true;
    else
        s->ksum[c] += s->it[i].size;
}

static void pop_kid(struct search *s, int c, size_t i, bool old_kpinned)
{
    s->nk[c]--;
    s->kpinned[c] = old_kpinned;
    if (!s->it[i].pinned)
        s->ksum[c] -= s->it[i].size;
}

static void try_child(struct search *s, size_t i, int k)
{
    int c = s->stack[k];
    const struct infer_item *x = &s->it[i], *C = &s->it[c];
    if (k + 1 >= MAX_DEPTH || x->size > C->size || !plausible_child(s, c, i))
        return;
    if (x->pinned && x->pin_chip >= 0 && (unsigned)x->pin_chip != s->curchip)
        return;
    if (!x->pinned && !s->kpinned[c] && s->ksum[c] + x->size > C->size)
        return;
    if (x->pinned && s->role[c] == R_TOP) {
        uint64_t coff = C->pinned ? C->pin_off : s->rel[c];
        if (x->pin_off < coff || x->pin_off + x->size > coff + C->size)
            return;
    }
    int saved[MAX_DEPTH];
    int depth = s->depth;
    memcpy(saved, s->stack, sizeof(saved));
    bool kp = s->kpinned[c];
    s->role[i] = R_CHILD;
    s->cont[i] = c;
    s->chip[i] = s->curchip;
    push_kid(s, c, i);
    s->stack[k + 1] = (int)i;
    s->depth = k + 2;
    dfs(s, i + 1);
    pop_kid(s, c, i, kp);
    memcpy(s->stack, saved, sizeof(saved));
    s->depth = depth;
}

/*
 * Old brcm47xx and similar kernels registered "rootfs_data" after the chip's last partition
 * (nvram), not right after rootfs: let it sit at the tail of an earlier rootfs that is no
 * longer open. The stack stays as it is.
 */
static void try_late_child(struct search *s, size_t i, int c)
{
    const struct infer_item *x = &s->it[i];
    if (s->nk[c] || x->size >= s->it[c].size || s->chip[c] != s->curchip || s->role[c] == R_ALIAS)
        return;
    for (int k = 1; k < s->depth; k++)
        if (s->stack[k] == c)
            return; /* still open: the ordinary child case */
    bool kp = s->kpinned[c];
    s->role[i] = R_CHILD;
    s->cont[i] = c;
    s->chip[i] = s->curchip;
    push_kid(s, c, i);
    dfs(s, i + 1);
    pop_kid(s, c, i, kp);
}

static void try_top(struct search *s, size_t i, unsigned chip)
{
    const struct infer_item *x = &s->it[i];
    if (x->pinned && x->pin_chip >= 0 && (unsigned)x->pin_chip != chip)
        return;
    if (!x->pinned && s->F[chip] && s->cursor[chip] + x->size > s->F[chip])
        return;
    int saved[MAX_DEPTH];
    int depth = s->depth;
    unsigned curchip = s->curchip;
    uint64_t cursor = s->cursor[chip];
    memcpy(saved, s->stack, sizeof(saved));
    int root = ROOT(chip);
    bool kp = s->kpinned[root];
    s->role[i] = R_TOP;
    s->cont[i] = root;
    s->chip[i] = chip;
    s->rel[i] = x->pinned ? x->pin_off : s->cursor[chip];
    s->cursor[chip] = s->rel[i] + x->size;
    push_kid(s, root, i);
    s->curchip = chip;
    s->stack[0] = root;
    s->stack[1] = (int)i;
    s->depth = 2;
    dfs(s, i + 1);
    pop_kid(s, root, i, kp);
    s->cursor[chip] = cursor;
    s->curchip = curchip;
    memcpy(s->stack, saved, sizeof(saved));
    s->depth = depth;
}

static void try_alias(struct search *s, size_t i, int k)
{
    const struct infer_item *x = &s->it[i];
    /* aliases the kernel produces: old cmdline/tp-link "firmware" over kernel + rootfs,
     * bcm63xx-style "linux", whole-chip "all". Another name may alias only the run listed
     * right before it, and only among the aliases that end a chip's table (ZyXEL Keenetic
     * Viva: "backup" over firmware..storage, then "full"; dfs() closes the chip after it):
     * anything else matching a run is chance (EA6350v3: APPSBL = QSEE + CDT + APPSBLENV) */
    if (x->pinned)
        return;
    bool any_run = s->kd[i].container;
    int c = s->stack[k];
    const int *L = &s->kids[(size_t)c * s->n];
    int nk = s->nk[c];
    for (int a = 0; a < nk; a++) {
        uint64_t sum = 0;
        for (int b = a; b < nk && sum < x->size; b++) {
            /* partitions of one master share its erase size: so does an alias and its run */
            const struct infer_item *y = &s->it[L[b]];
            if (x->eb && y->eb && x->eb != y->eb)
                break;
            /* a run is all inferred, or all exactly known and without gaps (a whole-chip
             * name the boot log never printed, Meraki Mini's "spiflash") */
            if (y->pinned != s->it[L[a]].pinned ||
                (y->pinned && b > a &&
                 s->it[L[b - 1]].pin_off + s->it[L[b - 1]].size != y->pin_off))
                break;
            sum += y->size;
            if (sum == x->size && b > a && (any_run || b == nk - 1)) {
                int saved[MAX_DEPTH];
                int depth = s->depth;
                memcpy(saved, s->stack, sizeof(saved));
                s->role[i] = R_ALIAS;
                s->cont[i] = c;
                s->chip[i] = s->curchip;
                s->alias_first[i] = L[a];
                s->alias_last[i] = L[b];
                s->depth = k + 1; /* an alias closes what was open below its level */
                bool closed = s->closed[s->curchip];
                s->closed[s->curchip] = !any_run || closed;
                dfs(s, i + 1);
                s->closed[s->curchip] = closed;
                memcpy(s->stack, saved, sizeof(saved));
                s->depth = depth;
            }
        }
    }
}

static bool newchip_allowed(const struct search *s, size_t i, bool newtable)
{
    if (s->curchip + 1 >= CD_MTD_MAX_CHIPS)
        return false;
    if (newtable)
        return true;
    const struct infer_item *x = &s->it[i];
    if (x->pinned && x->pin_chip >= 0)
        return (unsigned)x->pin_chip == s->curchip + 1;
    /* the chip given is full and the user named the next one's size too */
    if (s->F[s->curchip] && s->cursor[s->curchip] == s->F[s->curchip] && s->F[s->curchip + 1])
        return true;
    /* a change of erase size between top-level partitions: NOR boot flash, then NAND */
    int root = ROOT(s->curchip);
    if (!s->nk[root])
        return false;
    int last = s->kids[(size_t)root * s->n + (size_t)s->nk[root] - 1];
    return s->it[last].eb != x->eb;
}

static void dfs(struct search *s, size_t i)
{
    if (s->stop)
        return;
    if (++s->nodes > NODE_BUDGET) {
        s->res->exhausted = true;
        s->stop = true;
        return;
    }
    if (i == s->n) {
        if (++s->leaves > LEAF_BUDGET) {
            s->res->exhausted = true;
            s->stop = true;
            return;
        }
        leaf(s);
        return;
    }
    bool newtable = i > 0 && s->it[i].table != s->it[i - 1].table;
    if (i == 0) {
        try_top(s, i, 0);
        return;
    }
    if (!newtable) {
        /* after a plain-named alias only aliases may follow on its chip */
        bool open = !s->closed[s->curchip];
        for (int k = s->depth - 1; open && k >= 1; k--)
            try_child(s, i, k);
        if (open)
            try_top(s, i, s->curchip);
        for (int k = 0; k < s->depth; k++)
            try_alias(s, i, k);
        if (open && s->kd[i].late)
            for (size_t c = 0; c < i; c++)
                if (s->kd[c].rootfs)
                    try_late_child(s, i, (int)c);
    }
    if (newchip_allowed(s, i, newtable)) {
        if (newtable)
            s->forced_chips++;
        try_top(s, i, s->curchip + 1);
        if (newtable)
            s->forced_chips--;
    }
}

/* ---- no layout at all: say which partitions conflict ---- */

static int diagnose(const struct infer_item *it, size_t n, const uint64_t *F)
{
    /* walk greedily: into the innermost container with room, else the top level */
    int stack[MAX_DEPTH];
    uint64_t used[MAX_DEPTH];
    int depth = 0;
    unsigned chip = 0;
    uint64_t T = 0;
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && it[i].table != it[i - 1].table) {
            if (++chip >= CD_MTD_MAX_CHIPS)
                break;
            T = 0;
            depth = 0;
            first = i;
        }
        int k;
        for (k = depth - 1; k >= 0; k--)
            if (used[k] + it[i].size <= it[stack[k]].size &&
                (mtd_name_is_whole_chip(it[stack[k]].name) || mtd_name_is_fs(it[i].name) ||
                 mtd_name_is_kernel(it[i].name)))
                break;
        if (k >= 0) {
            used[k] += it[i].size;
            depth = k + 1;
        } else if (!F[chip] || T + it[i].size <= F[chip]) {
            T += it[i].size;
            depth = 0;
        } else {
            char in[256] = "";
            size_t o = 0;
            for (int j = 0; j < depth && o < sizeof(in) - 2; j++) {
                int w = snprintf(in + o, sizeof(in) - 1 - o, "%smtd%d \"%s\" has 0x%llx bytes left",
                                 j ? "; " : " (", it[stack[j]].index, it[stack[j]].name,
                                 (unsigned long long)(it[stack[j]].size - used[j]));
                /* snprintf says what it would have written: long names are cut, not overrun */
                o = w < 0 || (size_t)w >= sizeof(in) - 1 - o ? sizeof(in) - 2 : o + (size_t)w;
            }
            if (depth)
                snprintf(in + o, sizeof(in) - o, ")");
            return cd_fail(CD_E_BAD_IMAGE,
                           "mtd%d \"%s\" (0x%llx bytes) fits nowhere: mtd%d..mtd%d already fill "
                           "0x%llx of the 0x%llx-byte flash, and no partition before it can hold "
                           "it%s",
                           it[i].index, it[i].name, (unsigned long long)it[i].size, it[first].index,
                           it[i ? i - 1 : 0].index, (unsigned long long)T,
                           (unsigned long long)F[chip], in);
        }
        if (depth < MAX_DEPTH) {
            stack[depth] = (int)i;
            used[depth] = 0;
            depth++;
        }
    }
    return cd_fail(CD_E_BAD_IMAGE,
                   "the partitions cannot be laid out on %u chip(s) of the given size(s): their "
                   "sizes contradict the flash size or the exact offsets given",
                   chip + 1);
}

int infer_layout(const struct infer_item *it, size_t n, const uint64_t *chip_size,
                 struct infer_result *res)
{
    memset(res, 0, sizeof(*res));
    struct search s = {.it = it, .n = n, .F = chip_size, .res = res};
    size_t nc = n + CD_MTD_MAX_CHIPS, m = n ? n : 1;
    s.role = calloc(m, sizeof(*s.role));
    s.cont = calloc(m, sizeof(*s.cont));
    s.chip = calloc(m, sizeof(*s.chip));
    s.rel = calloc(m, sizeof(*s.rel));
    s.alias_first = calloc(m, sizeof(*s.alias_first));
    s.alias_last = calloc(m, sizeof(*s.alias_last));
    s.kids = calloc(nc * m, sizeof(*s.kids));
    s.nk = calloc(nc, sizeof(*s.nk));
    s.ksum = calloc(nc, sizeof(*s.ksum));
    s.kpinned = calloc(nc, sizeof(*s.kpinned));
    res->differ = calloc(m, sizeof(*res->differ));
    struct kind *kd = calloc(m, sizeof(*kd));
    for (size_t i = 0; kd && i < n; i++)
        kd[i] = (struct kind){.fs = mtd_name_is_fs(it[i].name),
                              .kernel = mtd_name_is_kernel(it[i].name),
                              .whole = mtd_name_is_whole_chip(it[i].name),
                              .container = container_like(it[i].name),
                              .firmware = prefix(it[i].name, "firmware"),
                              .filler = filler_like(it[i].name),
                              .tail_data = infer_tail_data_like(it[i].name),
                              .rootfs = prefix(it[i].name, "rootfs") &&
                                        strcasecmp(it[i].name, "rootfs_data") != 0,
                              .late = !strcasecmp(it[i].name, "rootfs_data")};
    s.kd = kd;
    int rc = CD_OK;
    if (!s.role || !s.cont || !s.chip || !s.rel || !s.alias_first || !s.alias_last || !s.kids ||
        !s.nk || !s.ksum || !s.kpinned || !res->differ || !kd || hyp_alloc(&s.tmp, n)) {
        rc = cd_fail(CD_E_NOMEM, "out of memory");
        goto out;
    }
    if (n)
        dfs(&s, 0);
    if (!res->nhyps)
        rc = res->exhausted ? cd_fail(CD_E_BAD_IMAGE,
                                      "too many partitions to lay out (%zu); "
                                      "give the exact offsets (--dmesg or "
                                      "--mtdparts)",
                                      n)
                            : diagnose(it, n, chip_size);
    else {
        unsigned best = 0;
        for (unsigned k = 1; k < res->nhyps; k++)
            if (res->hyps[k].score > res->hyps[best].score)
                best = k;
        res->shown = best;
    }
out:
    hyp_free(&s.tmp);
    free(kd);
    free(s.role);
    free(s.cont);
    free(s.chip);
    free(s.rel);
    free(s.alias_first);
    free(s.alias_last);
    free(s.kids);
    free(s.nk);
    free(s.ksum);
    free(s.kpinned);
    if (rc)
        infer_result_free(res, n);
    return rc;
}

void infer_result_free(struct infer_result *res, size_t n)
{
    (void)n;
    for (unsigned k = 0; k < INFER_MAX_HYPS; k++)
        hyp_free(&res->hyps[k]);
    free(res->differ);
    memset(res, 0, sizeof(*res));
}
