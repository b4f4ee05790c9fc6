/*
 * Checking offsets against the chip's image, with the magics the kernel's parsers look for
 * (mtdsplit.c mtd_check_rootfs_magic: squashfs "hsqs", JFFS2 0x1985, UBI "UBI#";
 * mtdsplit_uimage: 0x27051956; mtdsplit_fit: 0xd00dfeed; parser_trx / mtdsplit_trx: "HDR0"
 * and the offset[] table of its 28-byte header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "mtd_content.h"
#include "mtd_internal.h"

static const uint8_t *image_at(const struct cd_mtd_opts *o, unsigned chip, uint64_t off,
                               size_t *avail)
{
    if (!o || chip >= CD_MTD_MAX_CHIPS || !o->image[chip] || off >= o->image_len[chip])
        return NULL;
    uint64_t left = o->image_len[chip] - off;
    *avail = left > 64 ? 64 : (size_t)left;
    return o->image[chip] + off;
}

/* cd_mtd_probe_magic at off; "data" for bytes of no known kind, NULL outside the image. */
static const char *content_at(const struct cd_mtd_opts *o, unsigned chip, uint64_t off)
{
    size_t n;
    const uint8_t *b = image_at(o, chip, off, &n);
    if (!b)
        return NULL;
    const char *m = cd_mtd_probe_magic(b, n);
    return m ? m : "data";
}

static int verdict(const struct cd_mtd_opts *o, const char *name, unsigned chip, uint64_t off)
{
    return mtd_content_verdict(mtd_expectation(name), content_at(o, chip, off));
}

static bool have_image(const struct cd_mtd_opts *o)
{
    for (unsigned c = 0; o && c < CD_MTD_MAX_CHIPS; c++)
        if (o->image[c])
            return true;
    return false;
}

unsigned mtd_content_pick(const struct cd_mtd_opts *o, const struct infer_item *it, size_t ni,
                          const struct infer_result *res, bool *settled)
{
    if (!have_image(o) || res->nhyps < 2)
        return res->shown;
    int best = -1, best_score = 0;
    bool tie = false;
    for (unsigned a = 0; a < res->nhyps; a++) {
        const struct infer_hyp *h = &res->hyps[a];
        int score = 0, wrong = 0;
        for (size_t k = 0; k < ni; k++) {
            if (!res->differ[k])
                continue;
            int v = verdict(o, it[k].name, h->chip[k], h->off[k]);
            score += v;
            wrong += v < 0;
        }
        if (wrong || score <= 0)
            continue;
        if (score > best_score) {
            best = (int)a;
            best_score = score;
            tie = false;
        } else if (score == best_score) {
            tie = true;
        }
    }
    if (best < 0 || tie || res->more || res->exhausted)
        return res->shown;
    const struct infer_hyp *h = &res->hyps[best];
    for (size_t k = 0; k < ni; k++)
        settled[k] = res->differ[k] && verdict(o, it[k].name, h->chip[k], h->off[k]) > 0;
    return (unsigned)best;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Mark a part as found by content. */
static void confirm(struct cd_mtd_part *p, uint64_t off, const char *fmt, const char *what)
{
    p->offset = off;
    p->certain = true;
    p->method = CD_MTD_CONTENT;
    snprintf(p->note, sizeof(p->note), fmt, what);
}

/* A TRX container's header gives its children's offsets, as parser_trx reads them. */
static void settle_trx(struct cd_mtd_layout *l, const struct cd_mtd_opts *o, size_t ni,
                       const int *part_of, const struct infer_hyp *h, size_t x)
{
    struct cd_mtd_part *X = &l->parts[part_of[x]];
    size_t avail;
    const uint8_t *b = image_at(o, X->chip, X->offset, &avail);
    if (!X->certain || !b || avail < 28 || strcmp(X->content, "TRX"))
        return;
    uint32_t offs[3];
    unsigned no = 0;
    for (unsigned j = 0; j < 3; j++) {
        uint32_t v = le32(b + 16 + 4 * j);
        if (v && (!no || v > offs[no - 1]) && v < X->size)
            offs[no++] = v;
        else if (v)
            return; /* not an ordered offset table: leave the doubt standing */
    }
    size_t kids[3];
    unsigned nk = 0;
    for (size_t k = x + 1; k < ni; k++) {
        if (h->container[k] != (int)x || h->method[k] == CD_MTD_ALIAS)
            continue;
        if (nk == 3)
            return;
        kids[nk++] = k;
    }
    if (nk != no || !nk)
        return;
    for (unsigned j = 0; j < nk; j++) {
        uint64_t end = j + 1 < no ? offs[j + 1] : X->size;
        if (l->parts[part_of[kids[j]]].size != end - offs[j])
            return;
    }
    for (unsigned j = 0; j < nk; j++) {
        struct cd_mtd_part *p = &l->parts[part_of[kids[j]]];
        if (!p->certain)
            confirm(p, X->offset + offs[j], "offset taken from the TRX header of \"%s\"", X->name);
    }
}

/* mtdsplit's uimage/fit/elf/seama parsers start the kernel part at the container's start. */
static void settle_kernel_first(struct cd_mtd_layout *l, size_t ni, const int *part_of,
                                const struct infer_hyp *h, size_t x)
{
    struct cd_mtd_part *X = &l->parts[part_of[x]];
    if (!X->certain || !*X->content ||
        (strcmp(X->content, "uImage") && strcmp(X->content, "FIT") && strcmp(X->content, "ELF") &&
         strcmp(X->content, "SEAMA")))
        return;
    for (size_t k = x + 1; k < ni; k++) {
        if (h->container[k] != (int)x || h->method[k] == CD_MTD_ALIAS)
            continue;
        struct cd_mtd_part *p = &l->parts[part_of[k]];
        if (!p->certain && mtd_name_is_kernel(p->name))
            confirm(p, X->offset, "\"%s\" starts with a kernel image, so this starts with it",
                    X->name);
        return; /* only the first child */
    }
}

/* Topmost registration ancestor of item k (the top-level partition it sits in). */
static size_t top_of(const struct infer_hyp *h, size_t k)
{
    while (h->container[k] >= 0)
        k = (size_t)h->container[k];
    return k;
}

/* Position of k's top-level ancestor among the chip's tiled partitions; nt if none. */
static size_t top_pos(const struct infer_hyp *h, const size_t *tops, size_t nt, size_t k)
{
    size_t t = top_of(h, k), pos = 0;
    while (pos < nt && tops[pos] != t)
        pos++;
    return pos;
}

/*
 * A chip whose image is larger than its partitions: a gap lies somewhere. Try it before each
 * top-level partition; keep the place where the most starts hold what their names promise
 * and none contradicts. Only partitions whose own start the image confirms become certain.
 */
static void settle_hole(struct cd_mtd_layout *l, const struct cd_mtd_opts *o, size_t ni,
                        const int *part_of, const struct infer_hyp *h, unsigned chip)
{
    if (!o->image[chip] || o->image_len[chip] <= h->chip_extent[chip] || h->chip_complete[chip])
        return;
    uint64_t g = o->image_len[chip] - h->chip_extent[chip];
    size_t tops[CD_MTD_MAX_PARTS];
    size_t nt = 0;
    for (size_t k = 0; k < ni; k++)
        if (h->container[k] < 0 && h->chip[k] == chip && h->method[k] == CD_MTD_TILED)
            tops[nt++] = k;
    if (nt < 1)
        return;
    /* score every place for the gap; keep the best places without a contradiction */
    int score[CD_MTD_MAX_PARTS + 1];
    int best_score = 0;
    for (size_t p = 0; p <= nt; p++) {
        int sc = 0, wrong = 0;
        for (size_t k = 0; k < ni; k++) {
            if (h->chip[k] != chip)
                continue;
            size_t pos = top_pos(h, tops, nt, k);
            if (pos == nt)
                continue; /* under an alias or pinned: not moved */
            int v = verdict(o, l->parts[part_of[k]].name, chip, h->off[k] + (pos >= p ? g : 0));
            sc += v;
            wrong += v < 0;
        }
        score[p] = wrong ? -1 : sc;
        if (score[p] > best_score)
            best_score = score[p];
    }
    if (best_score <= 0)
        return;
    /* a start is settled when every best place puts it at the same offset and the image
     * holds there what its name promises */
    size_t last_best = 0;
    for (size_t p = 0; p <= nt; p++)
        if (score[p] == best_score)
            last_best = p;
    for (size_t k = 0; k < ni; k++) {
        if (h->chip[k] != chip)
            continue;
        size_t pos = top_pos(h, tops, nt, k);
        if (pos == nt)
            continue;
        bool same = true;
        uint64_t off = h->off[k] + (pos >= last_best ? g : 0);
        for (size_t p = 0; p <= nt; p++)
            if (score[p] == best_score && h->off[k] + (pos >= p ? g : 0) != off)
                same = false;
        struct cd_mtd_part *q = &l->parts[part_of[k]];
        q->offset = off;
        if (same && verdict(o, q->name, chip, off) > 0)
            confirm(q, off, "%s",
                    "the chip has a gap /proc/mtd does not show; the image puts this partition's "
                    "start here");
    }
}

int mtd_content_check(struct cd_mtd_layout *l, const struct cd_mtd_opts *o,
                      const struct infer_item *it, size_t ni, const int *part_of,
                      const struct infer_hyp *h)
{
    (void)it;
    if (!have_image(o))
        return CD_OK;
    for (size_t i = 0; i < l->n; i++) {
        struct cd_mtd_part *p = &l->parts[i];
        const char *c = p->placed ? content_at(o, p->chip, p->offset) : NULL;
        snprintf(p->content, sizeof(p->content), "%s", c ? c : "");
    }
    if (h) {
        for (unsigned c = 0; c < h->nchips; c++)
            settle_hole(l, o, ni, part_of, h, c);
        for (size_t x = 0; x < ni; x++) {
            struct cd_mtd_part *X = &l->parts[part_of[x]];
            const char *c = content_at(o, X->chip, X->offset);
            snprintf(X->content, sizeof(X->content), "%s", c ? c : "");
            settle_trx(l, o, ni, part_of, h, x);
            settle_kernel_first(l, ni, part_of, h, x);
        }
        for (size_t k = 0; k < ni; k++) {
            struct cd_mtd_part *p = &l->parts[part_of[k]];
            /* the image confirms the start where the rules left a doubt */
            if (!p->certain && verdict(o, p->name, p->chip, p->offset) > 0 &&
                (h->container[k] < 0 || l->parts[part_of[h->container[k]]].certain))
                confirm(p, p->offset, "the image holds a %s here, as a partition so named should",
                        content_at(o, p->chip, p->offset));
            /* inside a container now known, by a rule that is certain in itself */
            if (!p->certain && h->why[k] == WHY_PARENT && h->container[k] >= 0) {
                const struct cd_mtd_part *X = &l->parts[part_of[h->container[k]]];
                if (X->certain && p->offset >= X->offset &&
                    p->offset + p->size <= X->offset + X->size)
                    p->certain = true;
            }
        }
    }
    for (size_t i = 0; i < l->n; i++) {
        struct cd_mtd_part *p = &l->parts[i];
        if (!p->placed)
            continue;
        const char *c = content_at(o, p->chip, p->offset);
        snprintf(p->content, sizeof(p->content), "%s", c ? c : "");
        if (mtd_content_verdict(mtd_expectation(p->name), c) < 0 &&
            mtd_list_add(&l->messages, &l->nmessages,
                         "mtd%d \"%s\" at 0x%llx starts with %s, not what a partition of that name "
                         "holds%s",
                         p->index, p->name, (unsigned long long)p->offset, c,
                         p->certain ? ": is the table from this box and this firmware?" : ""))
            return cd_fail(CD_E_NOMEM, "out of memory");
    }
    return CD_OK;
}
