/*
 * Kernel boot-log partition lines (drivers/mtd/mtdpart.c):
 *   add_mtd_partitions():  "Creating %d MTD partitions on \"%s\":"
 *   allocate_partition():  "0x%012llx-0x%012llx : \"%s\""   (start, start + size, name)
 *   mtd_part_do_parse():   "%d %s partitions found on MTD device %s"
 *   and the warnings "mtd: partition \"%s\" is out of reach -- disabled" and
 *   "... extends beyond the end of device \"%s\" -- size truncated to %#llx".
 * Since partitions became a tree (Linux 5.8), a split's children are created by
 * add_mtd_partitions() on the parent, so their block starts with its own "Creating" line
 * naming the parent and the numbers are offsets inside it. Older OpenWrt kernels registered
 * them on the master after "N xxx partitions found on MTD device firmware" without a
 * "Creating" line, and printed offsets from the start of the chip.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "mtd_internal.h"

struct block {
    char *device;
    bool header; /* opened by a "Creating" line: children are printed relative (>= 5.8) */
    int expect;  /* partitions announced ("Creating N", "N xxx partitions found"); -1 unknown */
    int got;
    int parent; /* raw index of the partition this block splits; -1 = a master device */
    int outer;  /* block that was current when this one opened; -1 none */
    unsigned chip;
    int line;
};

struct raw {
    char *name;
    uint64_t start, end; /* as printed */
    uint64_t abs;        /* from the start of the chip */
    int block;
    int line;
    bool disabled;
    bool truncated;
    uint64_t truncated_size;
    bool dropped; /* replaced by a later table of the same master */
};

struct parser {
    const char *origin;
    struct raw *raw;
    size_t nraw, capraw;
    struct block *blocks;
    size_t nblocks, capblocks;
    int cur;         /* current block, -1 none */
    char *found_dev; /* device of a "partitions found on MTD device" line not yet used */
    int found_count;
    int found_line;
    bool noted_rel, noted_abs, noted_asparent;
    struct cd_mtd_exact *out;
};

static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= end; p++)
        if (!memcmp(p, needle, n))
            return p;
    return NULL;
}

static bool parse_hex(const char **pp, const char *end, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    unsigned n = 0;
    while (p < end && isxdigit((unsigned char)*p)) {
        if (++n > 16)
            return false;
        v = v << 4 | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
                                                           : tolower((unsigned char)*p) - 'a' + 10);
        p++;
    }
    if (!n)
        return false;
    *pp = p;
    *out = v;
    return true;
}

/* The most recent partition of that name, or -1. */
static int raw_by_name(const struct parser *ps, const char *name, size_t n)
{
    for (size_t i = ps->nraw; i-- > 0;)
        if (!ps->raw[i].dropped && strlen(ps->raw[i].name) == n &&
            !memcmp(ps->raw[i].name, name, n))
            return (int)i;
    return -1;
}

/* Open a block for device dev: a split of an earlier partition of that name, or a master. */
static int add_block(struct parser *ps, const char *dev, size_t devlen, bool header, int expect,
                     int line)
{
    struct cd_mtd_exact *x = ps->out;
    if (ps->nblocks == ps->capblocks) {
        size_t n = ps->capblocks ? ps->capblocks * 2 : 8;
        struct block *b = realloc(ps->blocks, n * sizeof(*b));
        if (!b)
            return cd_fail(CD_E_NOMEM, "out of memory");
        ps->blocks = b;
        ps->capblocks = n;
    }
    struct block *b = &ps->blocks[ps->nblocks];
    *b = (struct block){.device = mtd_strndup(dev, devlen),
                        .header = header,
                        .expect = expect,
                        .parent = devlen ? raw_by_name(ps, dev, devlen) : -1,
                        .outer = ps->cur,
                        .line = line};
    if (!b->device)
        return cd_fail(CD_E_NOMEM, "out of memory");
    if (b->parent >= 0) {
        b->chip = ps->blocks[ps->raw[b->parent].block].chip;
    } else {
        unsigned c;
        for (c = 0; c < x->nchips; c++)
            if (!strcmp(x->chip_names[c], b->device))
                break;
        if (c < x->nchips) {
            /* the same master again (two boots in one log): the later table wins */
            for (size_t i = 0; i < ps->nraw; i++)
                if (ps->blocks[ps->raw[i].block].chip == c)
                    ps->raw[i].dropped = true;
            if (mtd_list_add(&x->notes, &x->nnotes,
                             "%s:%d: \"%s\" is partitioned again; using this later table",
                             ps->origin, line, b->device)) {
                free(b->device);
                return cd_fail(CD_E_NOMEM, "out of memory");
            }
        } else {
            if (x->nchips == CD_MTD_MAX_CHIPS) {
                free(b->device);
                return cd_fail(CD_E_BAD_IMAGE, "%s:%d: more than %d flash devices", ps->origin,
                               line, CD_MTD_MAX_CHIPS);
            }
            if (!(x->chip_names[c] = strdup(b->device))) {
                free(b->device);
                return cd_fail(CD_E_NOMEM, "out of memory");
            }
            x->nchips++;
        }
        b->chip = c;
        b->outer = -1; /* a master is never left for an enclosing block */
    }
    ps->cur = (int)ps->nblocks++;
    return CD_OK;
}

static int line_creating(struct parser *ps, const char *p, const char *end, int no)
{
    /* "Creating %d MTD partitions on \"%s\":" */
    const char *q = p + strlen("Creating ");
    int n = 0;
    while (q < end && isdigit((unsigned char)*q) && n < 100000)
        n = n * 10 + (*q++ - '0');
    const char *on = find(q, end, " MTD partitions on \"");
    if (!on)
        return CD_OK; /* "Creating MTD partitions on" without a count: not the kernel's line */
    const char *dev = on + strlen(" MTD partitions on \"");
    const char *close = end;
    while (close > dev && close[-1] != '"')
        close--;
    if (close <= dev)
        return cd_fail(CD_E_BAD_IMAGE, "%s:%d: expected 'Creating N MTD partitions on \"DEVICE\":'",
                       ps->origin, no);
    free(ps->found_dev);
    ps->found_dev = NULL;
    return add_block(ps, dev, (size_t)(close - 1 - dev), true, n, no);
}

static int line_found(struct parser *ps, const char *p, const char *f, const char *end, int no)
{
    /* "%d %s partitions found on MTD device %s": the count is the number before the word */
    const char *w = f;
    while (w > p && w[-1] != ' ')
        w--;
    const char *d = w > p ? w - 1 : w;
    const char *ds = d;
    while (ds > p && isdigit((unsigned char)ds[-1]))
        ds--;
    ps->found_count = ds < d ? atoi(ds) : -1;
    const char *dev = f + strlen(" partitions found on MTD device ");
    free(ps->found_dev);
    ps->found_dev = mtd_strndup(dev, (size_t)(end - dev));
    ps->found_line = no;
    return ps->found_dev ? CD_OK : cd_fail(CD_E_NOMEM, "out of memory");
}

static bool block_full(const struct block *b)
{
    return b->parent >= 0 && b->expect >= 0 && b->got >= b->expect;
}

/*
 * How a split block's numbers are to be read. Kernels since 5.8 print them inside the parent
 * (the block has a "Creating" line). Older OpenWrt kernels print them in the same numbering
 * as the parent's own line: from the chip's start when the parent was printed so, but from
 * the start of "firmware" for a rootfs_data split from a rootfs that was itself printed
 * inside firmware (4.14: "Creating 2 MTD partitions on \"firmware\"" gives kernel/rootfs
 * relative, then the headerless squashfs-split block ends at firmware's size).
 */
enum reading { READ_ABS, READ_INSIDE, READ_AS_PARENT };

static bool fits(const struct raw *par, uint64_t base, uint64_t s, uint64_t e)
{
    uint64_t psize = par->end - par->start;
    return s + base >= par->abs && e + base <= par->abs + psize && e + base >= e;
}

/* Where a line of block b lands, if it fits its parent. */
static bool place(struct parser *ps, int b, uint64_t s, uint64_t e, uint64_t *abs,
                  enum reading *how)
{
    const struct block *bl = &ps->blocks[b];
    *how = READ_ABS;
    *abs = s;
    if (bl->parent < 0)
        return true;
    const struct raw *par = &ps->raw[bl->parent];
    const uint64_t base[] = {par->abs, par->abs - par->start, 0};
    const enum reading kind[] = {READ_INSIDE, READ_AS_PARENT, READ_ABS};
    static const int header_order[] = {0, 1, 2}, old_order[] = {1, 0, 2};
    const int *order = bl->header ? header_order : old_order;
    for (int k = 0; k < 3; k++) {
        int j = order[k];
        if (fits(par, base[j], s, e)) {
            *how = base[j] == 0 ? READ_ABS : kind[j];
            *abs = s + base[j];
            return true;
        }
    }
    return false;
}

static int line_range(struct parser *ps, const char *p, const char *end, int no)
{
    char qbuf[80];
    const char *q = p + 2;
    uint64_t s, e;
    if (!parse_hex(&q, end, &s) || q + 3 > end || q[0] != '-' || q[1] != '0' ||
        (q[2] != 'x' && q[2] != 'X'))
        goto bad;
    q += 3;
    if (!parse_hex(&q, end, &e))
        goto bad;
    while (q < end && *q == ' ')
        q++;
    if (q >= end || *q != ':')
        goto bad;
    q++;
    const char *open = memchr(q, '"', (size_t)(end - q));
    const char *close = end - 1;
    if (!open || close <= open || *close != '"')
        goto bad;
    const char *name = open + 1;
    size_t n = (size_t)(close - open - 1);
    if (e < s)
        return cd_fail(CD_E_BAD_IMAGE,
                       "%s:%d: partition \"%.*s\" ends (0x%llx) before it starts (0x%llx)",
                       ps->origin, no, (int)n, name, (unsigned long long)e, (unsigned long long)s);
    int rc;
    if (ps->found_dev) {
        /* an old-style split block: "N xxx partitions found on MTD device D", no "Creating" */
        char *dev = ps->found_dev;
        ps->found_dev = NULL;
        rc = add_block(ps, dev, strlen(dev), false, ps->found_count, ps->found_line);
        free(dev);
        if (rc)
            return rc;
    }
    if (ps->cur < 0 && (rc = add_block(ps, "", 0, false, -1, no)))
        return rc; /* partition lines pasted without their "Creating" line */
    while (block_full(&ps->blocks[ps->cur]))
        ps->cur = ps->blocks[ps->cur].outer;
    uint64_t abs = 0;
    enum reading how = READ_ABS;
    bool outside = false;
    while (!place(ps, ps->cur, s, e, &abs, &how)) {
        const struct block *bl = &ps->blocks[ps->cur];
        /* leave a block early only when it never said how many lines it has */
        if (bl->outer < 0 || bl->expect >= 0) {
            /* a block without a "Creating" line was registered on the master: what the kernel
             * printed is what it made, even outside the parent (a vendor squashfs-split
             * putting rootfs_data after rootfs, Belkin RT3200). A block with one was made
             * inside its parent, which its lines must fit. */
            if (bl->header) {
                const struct raw *par = &ps->raw[bl->parent];
                return cd_fail(CD_E_BAD_IMAGE,
                               "%s:%d: \"%.*s\" (0x%llx-0x%llx) lies outside \"%s\" (line %d) "
                               "whether read as offsets inside it or from the chip's start",
                               ps->origin, no, (int)n, name, (unsigned long long)s,
                               (unsigned long long)e, par->name, par->line);
            }
            outside = true;
            abs = s;
            how = READ_ABS;
            break;
        }
        ps->cur = bl->outer; /* a count was off: the line belongs further out */
    }
    struct block *bl = &ps->blocks[ps->cur];
    bl->got++;
    if (outside) {
        if (mtd_list_add(&ps->out->notes, &ps->out->nnotes,
                         "%s:%d: \"%.*s\" (0x%llx-0x%llx) lies outside \"%s\" (line %d) however "
                         "it is read; taken as offsets from the chip's start",
                         ps->origin, no, (int)n, name, (unsigned long long)s, (unsigned long long)e,
                         ps->raw[bl->parent].name, ps->raw[bl->parent].line))
            return cd_fail(CD_E_NOMEM, "out of memory");
    } else if (bl->parent >= 0) {
        bool *noted = how == READ_INSIDE      ? &ps->noted_rel
                      : how == READ_AS_PARENT ? &ps->noted_asparent
                                              : &ps->noted_abs;
        if (!*noted) {
            *noted = true;
            if (mtd_list_add(&ps->out->notes, &ps->out->nnotes,
                             "%s:%d: partitions split from \"%s\" read as %s", ps->origin, no,
                             ps->raw[bl->parent].name,
                             how == READ_INSIDE
                                 ? "offsets inside it (kernels since 5.8 print them so)"
                             : how == READ_AS_PARENT
                                 ? "numbered like it, from the start of its own parent (4.14-era "
                                   "OpenWrt kernels print rootfs_data so)"
                                 : "offsets from the chip's start (older kernels print them so)"))
                return cd_fail(CD_E_NOMEM, "out of memory");
        }
    }
    if (ps->nraw == CD_MTD_MAX_PARTS)
        return cd_fail(CD_E_BAD_IMAGE, "%s:%d: more than %d partitions", ps->origin, no,
                       CD_MTD_MAX_PARTS);
    if (ps->nraw == ps->capraw) {
        size_t nc = ps->capraw ? ps->capraw * 2 : 16;
        struct raw *r = realloc(ps->raw, nc * sizeof(*r));
        if (!r)
            return cd_fail(CD_E_NOMEM, "out of memory");
        ps->raw = r;
        ps->capraw = nc;
    }
    struct raw *r = &ps->raw[ps->nraw];
    *r = (struct raw){.name = mtd_strndup(name, n),
                      .start = s,
                      .end = e,
                      .abs = abs,
                      .block = ps->cur,
                      .line = no};
    if (!r->name)
        return cd_fail(CD_E_NOMEM, "out of memory");
    ps->nraw++;
    return CD_OK;
bad:
    return cd_fail(CD_E_BAD_IMAGE, "%s:%d: expected '0xSTART-0xEND : \"name\"', got '%s'",
                   ps->origin, no, mtd_quote(p, (size_t)(end - p), qbuf, sizeof(qbuf)));
}

static void line_warning(struct parser *ps, const char *p, const char *end)
{
    const char *w = find(p, end, "mtd: partition \"");
    if (!w)
        return;
    const char *ns = w + strlen("mtd: partition \"");
    const char *ne = memchr(ns, '"', (size_t)(end - ns));
    if (!ne)
        return;
    int i = raw_by_name(ps, ns, (size_t)(ne - ns));
    if (i < 0)
        return;
    if (find(ne, end, "is out of reach -- disabled")) {
        ps->raw[i].disabled = true;
        return;
    }
    const char *t = find(ne, end, "size truncated to 0x");
    if (t) {
        const char *h = t + strlen("size truncated to 0x");
        uint64_t v;
        if (parse_hex(&h, end, &v)) {
            ps->raw[i].truncated = true;
            ps->raw[i].truncated_size = v;
        }
    }
}

/* One line: find what it holds anywhere after timestamps, facility or host prefixes. */
static int parse_line(struct parser *ps, const struct mtd_line *l)
{
    const char *p = l->p, *end = l->p + l->len;
    const char *c = find(p, end, "Creating ");
    if (c && find(c, end, " MTD partitions on \""))
        return line_creating(ps, c, end, l->no);
    const char *f = find(p, end, " partitions found on MTD device ");
    if (f)
        return line_found(ps, p, f, end, l->no);
    /* a partition line: "0x...-0x... : \"...\"" after an optional prefix */
    for (const char *h = find(p, end, "0x"); h; h = find(h + 2, end, "0x")) {
        const char *q = h + 2;
        uint64_t dummy;
        if (!parse_hex(&q, end, &dummy) || q + 1 >= end || q[0] != '-' || q[1] != '0')
            continue;
        if (h > p && (isalnum((unsigned char)h[-1]) || h[-1] == '-'))
            continue;
        /* only a line shaped like the kernel's, "...-0x... : \"name\"", is ours; other
         * ranges in a log ("[mem 0x...-0x...]", "0x...-0x... : pcie") are not */
        if (find(q, end, " : \"") || find(q, end, ": \""))
            return line_range(ps, h, end, l->no);
    }
    if (find(p, end, "mtd: partition \""))
        line_warning(ps, p, end);
    return CD_OK;
}

/* Size hints: "spi-nor spi0.0: w25q128 (16384 Kbytes)", "m25p80 spi0.0: ... (8192 Kbytes)". */
static void size_hints(struct parser *ps, const char *text, size_t len)
{
    size_t pos = 0;
    struct mtd_line l = {0};
    while (mtd_next_line(text, len, &pos, &l)) {
        const char *end = l.p + l.len;
        const char *k = find(l.p, end, " Kbytes)");
        if (!k)
            continue;
        const char *d = k;
        while (d > l.p && isdigit((unsigned char)d[-1]))
            d--;
        if (d == k || d == l.p || d[-1] != '(' || k - d > 9)
            continue;
        uint64_t kb = strtoull(d, NULL, 10);
        for (unsigned c = 0; c < ps->out->nchips; c++) {
            const char *name = ps->out->chip_names[c];
            size_t n = strlen(name);
            const char *at = n ? find(l.p, k, name) : NULL;
            if (at && at + n < k && at[n] == ':' && !ps->out->chip_size_hint[c])
                ps->out->chip_size_hint[c] = kb * 1024;
        }
    }
}

static int collect(struct parser *ps)
{
    struct cd_mtd_exact *x = ps->out;
    x->parts = calloc(ps->nraw ? ps->nraw : 1, sizeof(*x->parts));
    if (!x->parts)
        return cd_fail(CD_E_NOMEM, "out of memory");
    for (size_t i = 0; i < ps->nraw; i++) {
        struct raw *r = &ps->raw[i];
        if (r->dropped ||
            (ps->blocks[r->block].parent >= 0 && ps->raw[ps->blocks[r->block].parent].dropped))
            continue;
        uint64_t size = r->end - r->start;
        if (r->truncated && r->truncated_size < size)
            size = r->truncated_size;
        x->parts[x->n++] = (struct cd_mtd_exact_part){.name = r->name,
                                                      .offset = r->abs,
                                                      .size = r->disabled ? 0 : size,
                                                      .chip = ps->blocks[r->block].chip,
                                                      .line = r->line,
                                                      .disabled = r->disabled};
        r->name = NULL; /* moved */
    }
    return CD_OK;
}

int cd_mtd_parse_dmesg(const char *text, size_t len, const char *origin, struct cd_mtd_exact *out)
{
    memset(out, 0, sizeof(*out));
    if (!origin)
        origin = "boot log";
    if (!text)
        return cd_fail(CD_E_ARG, "no text");
    struct parser ps = {.origin = origin, .cur = -1, .out = out};
    size_t pos = 0;
    struct mtd_line l = {0};
    int rc = CD_OK;
    while (mtd_next_line(text, len, &pos, &l)) {
        if (memchr(l.p, '\0', l.len))
            continue; /* serial captures carry line noise */
        if ((rc = parse_line(&ps, &l)))
            goto out;
    }
    if (!ps.nraw) {
        rc = cd_fail(CD_E_BAD_IMAGE,
                     "%s: no partition lines found (expected 'Creating N MTD partitions on "
                     "\"DEVICE\":' followed by lines like '0x000000000000-0x000000040000 : "
                     "\"u-boot\"')",
                     origin);
        goto out;
    }
    if ((rc = collect(&ps)))
        goto out;
    size_hints(&ps, text, len);
out:
    for (size_t i = 0; i < ps.nraw; i++)
        free(ps.raw[i].name);
    free(ps.raw);
    for (size_t b = 0; b < ps.nblocks; b++)
        free(ps.blocks[b].device);
    free(ps.blocks);
    free(ps.found_dev);
    if (rc)
        cd_mtd_exact_free(out);
    return rc;
}

void cd_mtd_exact_free(struct cd_mtd_exact *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++)
        free(x->parts[i].name);
    free(x->parts);
    for (unsigned c = 0; c < x->nchips; c++)
        free(x->chip_names[c]);
    mtd_list_free(x->notes, x->nnotes);
    memset(x, 0, sizeof(*x));
}
