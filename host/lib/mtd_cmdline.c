/*
 * mtdparts= strings, as the kernel's cmdlinepart parser reads them
 * (drivers/mtd/parsers/cmdlinepart.c):
 *   mtdparts=<mtddef>[;<mtddef>]
 *   <mtddef>  := <mtd-id>:<partdef>[,<partdef>]
 *   <partdef> := <size>[@<offset>][(<name>)][ro][lk][slc]
 * <size> is a memparse() number (decimal, 0x hex or 0 octal, then K/M/G/T/P/E, either case)
 * or '-' for the rest of the device, after which no partition may follow. Without @offset a
 * partition follows the previous one (the first starts at 0). The last ':' before the first
 * '(' separates the mtd-id, so ids may contain ':'. Unnamed partitions are "Partition_%03d".
 * Sizes past the end of the device are truncated and zero-size partitions skipped; both need
 * the chip size and happen in cd_mtd_layout_build().
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "mtd_internal.h"

struct mp {
    const char *s; /* the whole definition */
    const char *p; /* cursor */
    const char *end;
    struct cd_mtd_exact *out;
    size_t cap;
};

static int col(const struct mp *m, const char *at)
{
    return (int)(at - m->s) + 1;
}

static int fail_at(const struct mp *m, const char *at, const char *what)
{
    char q[80];
    return cd_fail(CD_E_BAD_IMAGE, "mtdparts: column %d: expected %s, at '%s'", col(m, at), what,
                   mtd_quote(at, (size_t)(m->end - at), q, sizeof(q)));
}

/* memparse(): simple_strtoull(base 0) and an optional binary suffix. */
static bool memparse(const char **pp, const char *end, uint64_t *out)
{
    const char *p = *pp;
    if (p >= end || !isdigit((unsigned char)*p))
        return false;
    unsigned base = 10;
    if (p[0] == '0' && p + 1 < end && (p[1] == 'x' || p[1] == 'X') && p + 2 < end &&
        isxdigit((unsigned char)p[2])) {
        base = 16;
        p += 2;
    } else if (p[0] == '0') {
        base = 8;
    }
    uint64_t v = 0;
    for (; p < end; p++) {
        unsigned d;
        if (isdigit((unsigned char)*p))
            d = (unsigned)(*p - '0');
        else if (base == 16 && isxdigit((unsigned char)*p))
            d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        else
            break;
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    unsigned shift = 0;
    if (p < end) {
        switch (*p) {
        case 'E':
        case 'e':
            shift = 60;
            break;
        case 'P':
        case 'p':
            shift = 50;
            break;
        case 'T':
        case 't':
            shift = 40;
            break;
        case 'G':
        case 'g':
            shift = 30;
            break;
        case 'M':
        case 'm':
            shift = 20;
            break;
        case 'K':
        case 'k':
            shift = 10;
            break;
        }
        if (shift)
            p++;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    *pp = p;
    return true;
}

static int add(struct mp *m, const char *name, size_t namelen, unsigned number, uint64_t off,
               uint64_t size, bool fill, unsigned chip, int column)
{
    struct cd_mtd_exact *x = m->out;
    if (x->n == CD_MTD_MAX_PARTS)
        return cd_fail(CD_E_BAD_IMAGE, "mtdparts: more than %d partitions", CD_MTD_MAX_PARTS);
    if (x->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        struct cd_mtd_exact_part *pp = realloc(x->parts, nc * sizeof(*pp));
        if (!pp)
            return cd_fail(CD_E_NOMEM, "out of memory");
        x->parts = pp;
        m->cap = nc;
    }
    char unnamed[32];
    if (!name) {
        snprintf(unnamed, sizeof(unnamed), "Partition_%03u", number);
        name = unnamed;
        namelen = strlen(unnamed);
    }
    struct cd_mtd_exact_part *e = &x->parts[x->n];
    *e = (struct cd_mtd_exact_part){.name = mtd_strndup(name, namelen),
                                    .offset = off,
                                    .size = size,
                                    .chip = chip,
                                    .line = column,
                                    .fill = fill};
    if (!e->name)
        return cd_fail(CD_E_NOMEM, "out of memory");
    x->n++;
    return CD_OK;
}

/* One <mtddef>: m->p at its first character, up to ';' or the end. */
static int mtddef(struct mp *m)
{
    struct cd_mtd_exact *x = m->out;
    const char *def = m->p;
    const char *semi = memchr(def, ';', (size_t)(m->end - def));
    const char *dend = semi ? semi : m->end;
    const char *paren = memchr(def, '(', (size_t)(dend - def));
    const char *idend = paren ? paren : dend;
    const char *colon = NULL;
    for (const char *q = def; q < idend; q++)
        if (*q == ':')
            colon = q;
    if (!colon)
        return fail_at(m, def, "'<mtd-id>:' (the device name and a colon)");
    if (x->nchips == CD_MTD_MAX_CHIPS)
        return fail_at(m, def, "at most 8 devices");
    unsigned chip = x->nchips;
    for (unsigned c = 0; c < x->nchips; c++)
        if (strlen(x->chip_names[c]) == (size_t)(colon - def) &&
            !memcmp(x->chip_names[c], def, (size_t)(colon - def)))
            return fail_at(m, def, "each mtd-id once");
    if (!(x->chip_names[chip] = mtd_strndup(def, (size_t)(colon - def))))
        return cd_fail(CD_E_NOMEM, "out of memory");
    x->nchips++;

    const char *p = colon + 1;
    uint64_t cur = 0;
    unsigned number = 0;
    for (;;) {
        const char *start = p;
        uint64_t size = 0, off = cur;
        bool fill = false;
        if (p < dend && *p == '-') {
            fill = true;
            p++;
        } else if (!memparse(&p, dend, &size)) {
            return fail_at(m, p, "a partition size (a number with an optional k/m/g, or '-')");
        } else if (!size) {
            return fail_at(m, start, "a partition size other than 0");
        }
        if (p < dend && *p == '@') {
            p++;
            if (!memparse(&p, dend, &off))
                return fail_at(m, p, "an offset after '@'");
        }
        const char *name = NULL;
        size_t namelen = 0;
        if (p < dend && *p == '(') {
            const char *close = memchr(p + 1, ')', (size_t)(dend - p - 1));
            if (!close)
                return fail_at(m, p, "a ')' closing the partition name");
            name = p + 1;
            namelen = (size_t)(close - name);
            p = close + 1;
        }
        if ((size_t)(dend - p) >= 2 && !memcmp(p, "ro", 2))
            p += 2;
        if ((size_t)(dend - p) >= 2 && !memcmp(p, "lk", 2))
            p += 2;
        if ((size_t)(dend - p) >= 3 && !memcmp(p, "slc", 3))
            p += 3;
        /* U-Boot variables carry flags Linux does not know (Linksys: "(rootfs)fs") */
        const char *flag = p;
        while (p < dend && isalpha((unsigned char)*p))
            p++;
        if (p > flag && mtd_list_add(&x->notes, &x->nnotes,
                                     "mtdparts: column %d: ignored the flag '%.*s' (not one "
                                     "Linux knows: ro, lk, slc)",
                                     col(m, flag), (int)(p - flag), flag))
            return cd_fail(CD_E_NOMEM, "out of memory");
        int rc = add(m, name, namelen, number++, off, size, fill, chip, col(m, start));
        if (rc)
            return rc;
        if (!fill)
            cur = off + size;
        if (p == dend)
            break;
        if (*p != ',')
            return fail_at(m, p,
                           "',' and the next partition, ';' and the next device, or the "
                           "end");
        if (fill)
            return fail_at(m, p, "nothing after a '-' (rest of the device) partition");
        p++;
    }
    m->p = semi ? semi + 1 : m->end;
    return CD_OK;
}

int cd_mtd_parse_mtdparts(const char *s, struct cd_mtd_exact *out)
{
    memset(out, 0, sizeof(*out));
    out->from_mtdparts = true;
    if (!s)
        return cd_fail(CD_E_ARG, "no mtdparts string");
    /* the definition itself, or a whole command line / U-Boot variable holding one */
    const char *def = s;
    for (const char *k = strstr(s, "mtdparts="); k; k = strstr(k + 1, "mtdparts="))
        if (k == s || k[-1] == ' ' || k[-1] == '\t' || k[-1] == '=' || k[-1] == '"')
            def = k + strlen("mtdparts=");
    while (!strncmp(def, "mtdparts=", 9)) /* U-Boot's "mtdparts=mtdparts=..." */
        def += 9;
    const char *end = def;
    while (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' && *end != '"')
        end++;
    struct mp m = {.s = s, .p = def, .end = end, .out = out}; /* columns count from s */
    if (def == end) {
        cd_mtd_exact_free(out);
        return cd_fail(CD_E_BAD_IMAGE, "mtdparts: empty (expected e.g. "
                                       "'spi0.0:256k(u-boot)ro,64k(u-boot-env),-(firmware)')");
    }
    while (m.p < m.end) {
        int rc = mtddef(&m);
        if (rc) {
            cd_mtd_exact_free(out);
            return rc;
        }
    }
    out->from_mtdparts = true;
    return CD_OK;
}
