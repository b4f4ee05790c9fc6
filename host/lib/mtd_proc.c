/*
 * /proc/mtd parser. The kernel prints (mtdcore.c, mtd_proc_show) a header
 * "dev:    size   erasesize  name" and then one "mtd%d: %8.8llx %8.8x \"%s\"\n" line per
 * device. What people paste around it: shell prompts and commands, CRLF line ends, trailing
 * blanks, no header at all, and the tables of several boxes or chips one after another.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "mtd_internal.h"

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static bool word(const char **pp, const char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(end - *pp) < n || memcmp(*pp, w, n))
        return false;
    *pp += n;
    return true;
}

static bool is_header(const char *p, const char *end)
{
    p = skip_blanks(p, end);
    if (!word(&p, end, "dev:"))
        return false;
    static const char *const rest[] = {"size", "erasesize", "name"};
    for (unsigned i = 0; i < 3; i++) {
        const char *q = skip_blanks(p, end);
        if (q == p || !word(&q, end, rest[i]))
            return false;
        p = q;
    }
    return skip_blanks(p, end) == end;
}

/*
 * A shell prompt, with or without a command after it: "root@OpenWrt:~# cat /proc/mtd",
 * "/ # ", "$ cat /proc/mtd", "~ #", "# comment", "> ". One optional word (no blanks), one
 * optional blank, then '#', '$' or '>' followed by a blank or the end of the line.
 */
static bool is_prompt(const char *p, const char *end)
{
    p = skip_blanks(p, end);
    const char *q = p;
    while (q < end && *q != ' ' && *q != '\t' && *q != '#' && *q != '$' && *q != '>')
        q++;
    if (q < end && (*q == ' ' || *q == '\t') && q > p)
        q++; /* "/ #" */
    if (q >= end || (*q != '#' && *q != '$' && *q != '>'))
        return false;
    q++;
    return q == end || *q == ' ' || *q == '\t';
}

/* The command that printed the table, with or without a prompt in front, however mangled
 * ("cat /proc/mtd", "root at MiniWrt:/# cat /proc/mtd" from a list archive). */
static bool names_proc_mtd(const char *p, const char *end)
{
    static const char cmd[] = "/proc/mtd";
    for (; p + sizeof(cmd) - 1 <= end; p++)
        if (!memcmp(p, cmd, sizeof(cmd) - 1))
            return true;
    return false;
}

static bool hex_field(const char **pp, const char *end, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    unsigned digits = 0;
    for (; p < end && isxdigit((unsigned char)*p); p++, digits++) {
        if (digits >= 16)
            return false;
        unsigned d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0')
                                                : (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        v = v << 4 | d;
    }
    if (!digits)
        return false;
    *pp = p;
    *out = v;
    return true;
}

/* "mtd%d: %llx %x \"%s\"". Returns false when the line is not of that shape. */
/* U+201C, U+201D or U+201E in UTF-8 at p. */
static bool curly_quote(const char *p, const char *end)
{
    return end - p >= 3 && (unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
           ((unsigned char)p[2] == 0x9c || (unsigned char)p[2] == 0x9d ||
            (unsigned char)p[2] == 0x9e);
}

static bool parse_entry(const char *p, const char *end, int *index, uint64_t *size,
                        uint64_t *erasesize, const char **name, size_t *namelen)
{
    p = skip_blanks(p, end);
    if (!word(&p, end, "mtd") || p >= end || !isdigit((unsigned char)*p))
        return false;
    long idx = 0;
    for (; p < end && isdigit((unsigned char)*p); p++) {
        idx = idx * 10 + (*p - '0');
        if (idx > 1000000)
            return false;
    }
    if (!word(&p, end, ":"))
        return false;
    const char *q = skip_blanks(p, end);
    if (q == p || !hex_field(&q, end, size))
        return false;
    p = skip_blanks(q, end);
    if (p == q || !hex_field(&p, end, erasesize))
        return false;
    q = skip_blanks(p, end);
    if (q == p || q >= end)
        return false;
    *index = (int)idx;
    /* the name runs to the last quote: the kernel prints names verbatim, quotes included */
    const char *close = end - 1;
    if ((*q == '"' || *q == '\'') && close > q && *close == *q) {
        *name = q + 1;
        *namelen = (size_t)(close - q - 1);
        return true;
    }
    /* what forums make of the quotes (“u-boot”, „u-boot“), or none left at all */
    if (curly_quote(q, end) && end - q >= 6 && curly_quote(end - 3, end)) {
        *name = q + 3;
        *namelen = (size_t)(end - 3 - q - 3);
        return true;
    }
    if (*q == '"' || memchr(q, '"', (size_t)(end - q)))
        return false; /* an unbalanced quote is a damaged line, not a bare name */
    *name = q;
    *namelen = (size_t)(end - q);
    return true;
}

static bool same_table(const struct cd_mtd_table *t, size_t a0, size_t a1, size_t b0, size_t b1)
{
    if (a1 - a0 != b1 - b0)
        return false;
    for (size_t i = 0; i < a1 - a0; i++) {
        const struct cd_mtd_entry *x = &t->entries[a0 + i], *y = &t->entries[b0 + i];
        if (x->index != y->index || x->size != y->size || x->erasesize != y->erasesize ||
            strcmp(x->name, y->name))
            return false;
    }
    return true;
}

/* Drop a table that repeats an earlier one exactly (the same paste twice). */
static int drop_duplicate_tables(struct cd_mtd_table *t, const char *origin)
{
    for (unsigned tb = 1; tb < t->ntables; tb++) {
        size_t b0 = 0, b1;
        while (b0 < t->n && t->entries[b0].table != tb)
            b0++;
        for (b1 = b0; b1 < t->n && t->entries[b1].table == tb; b1++)
            ;
        for (unsigned ta = 0; ta < tb; ta++) {
            size_t a0 = 0, a1;
            while (a0 < t->n && t->entries[a0].table != ta)
                a0++;
            for (a1 = a0; a1 < t->n && t->entries[a1].table == ta; a1++)
                ;
            if (b0 == b1 || !same_table(t, a0, a1, b0, b1))
                continue;
            if (mtd_list_add(&t->notes, &t->nnotes,
                             "%s:%d: the table repeats the one at line %d; using it once", origin,
                             t->entries[b0].line, t->entries[a0].line))
                return CD_E_NOMEM;
            for (size_t i = b0; i < b1; i++)
                free(t->entries[i].name);
            memmove(&t->entries[b0], &t->entries[b1], (t->n - b1) * sizeof(*t->entries));
            t->n -= b1 - b0;
            for (size_t i = b0; i < t->n; i++)
                t->entries[i].table--;
            t->ntables--;
            tb--;
            break;
        }
    }
    return CD_OK;
}

int cd_mtd_parse_proc(const char *text, size_t len, const char *origin, struct cd_mtd_table *out)
{
    memset(out, 0, sizeof(*out));
    if (!origin)
        origin = "/proc/mtd";
    if (!text)
        return cd_fail(CD_E_ARG, "no text");
    size_t pos = 0, cap = 0;
    struct mtd_line l = {0};
    bool entries_in_table = false;
    int last_index = -1;
    int rc = CD_OK;
    char q[80];

    while (mtd_next_line(text, len, &pos, &l)) {
        const char *p = l.p, *end = l.p + l.len;
        if (skip_blanks(p, end) == end)
            continue;
        if (memchr(p, '\0', l.len)) {
            rc = cd_fail(CD_E_BAD_IMAGE, "%s:%d: binary data where /proc/mtd text was expected",
                         origin, l.no);
            goto err_free;
        }
        if (is_header(p, end)) {
            if (entries_in_table) {
                out->ntables++;
                entries_in_table = false;
                last_index = -1;
            }
            continue;
        }
        int index;
        uint64_t size, es;
        const char *name;
        size_t namelen;
        if (!parse_entry(p, end, &index, &size, &es, &name, &namelen)) {
            if (is_prompt(p, end) || names_proc_mtd(p, end))
                continue;
            rc = cd_fail(CD_E_BAD_IMAGE,
                         "%s:%d: expected a /proc/mtd line like 'mtd3: 00010000 00010000 "
                         "\"u-boot-env\"' (or the 'dev: size erasesize name' header), got '%s'",
                         origin, l.no, mtd_quote(p, l.len, q, sizeof(q)));
            goto err_free;
        }
        if (es > UINT32_MAX) {
            rc = cd_fail(CD_E_BAD_IMAGE, "%s:%d: erase size 0x%llx of mtd%d is not a 32-bit value",
                         origin, l.no, (unsigned long long)es, index);
            goto err_free;
        }
        if (memchr(name, '\0', namelen)) {
            rc = cd_fail(CD_E_BAD_IMAGE, "%s:%d: NUL byte in the name of mtd%d", origin, l.no,
                         index);
            goto err_free;
        }
        if (entries_in_table && index <= last_index) {
            out->ntables++; /* mtd numbers only grow within one table */
            entries_in_table = false;
        }
        if (out->n == CD_MTD_MAX_PARTS) {
            rc = cd_fail(CD_E_BAD_IMAGE, "%s:%d: more than %d partitions", origin, l.no,
                         CD_MTD_MAX_PARTS);
            goto err_free;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct cd_mtd_entry *e = realloc(out->entries, ncap * sizeof(*e));
            if (!e) {
                rc = cd_fail(CD_E_NOMEM, "out of memory");
                goto err_free;
            }
            out->entries = e;
            cap = ncap;
        }
        struct cd_mtd_entry *e = &out->entries[out->n];
        *e = (struct cd_mtd_entry){.index = index,
                                   .size = size,
                                   .erasesize = (uint32_t)es,
                                   .name = mtd_strndup(name, namelen),
                                   .line = l.no,
                                   .table = out->ntables};
        if (!e->name) {
            rc = cd_fail(CD_E_NOMEM, "out of memory");
            goto err_free;
        }
        out->n++;
        entries_in_table = true;
        last_index = index;
    }
    if (!out->n) {
        rc = cd_fail(CD_E_BAD_IMAGE,
                     "%s: no /proc/mtd lines found (expected lines like 'mtd0: 00040000 00010000 "
                     "\"u-boot\"')",
                     origin);
        goto err_free;
    }
    if (entries_in_table || !out->ntables)
        out->ntables++;
    /* a trailing header with nothing after it does not open a table */
    while (out->ntables > 1 && out->entries[out->n - 1].table < out->ntables - 1)
        out->ntables--;
    if ((rc = drop_duplicate_tables(out, origin)))
        goto err_free;
    return CD_OK;

err_free:
    cd_mtd_table_free(out);
    return rc;
}

void cd_mtd_table_free(struct cd_mtd_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->entries[i].name);
    free(t->entries);
    mtd_list_free(t->notes, t->nnotes);
    memset(t, 0, sizeof(*t));
}
