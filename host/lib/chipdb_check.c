/*
 * cd_chipdb_check() (`chipdump chips check`, run by ctest): the rules of docs/chipdb.md that
 * go beyond the syntax the parser enforces, plus the rules between rows (unique IDs, names).
 * Every message stands alone: "FILE:LINE: CHIP: what is wrong".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chipdb_internal.h"
#include "chipdump/chipdb.h"

/*
 * The contract with host/lib/nand_ecc.c: every ecc_status name a row may use. A decoder added
 * there is added here in the same change, and every name here has a decoder there.
 */
static const char *const known_ecc_decoders[] = {
    "generic", /* the common 2-bit field: 00 none, 01 corrected, 10 uncorrectable */
    "winbond-kv", "gd-xa", "gd-uexxg", "gd-q5",        "gd-ufuc", "mx-7c", "micron",
    "kioxia",     "xtx-a", "xtx-d",    "dosilicon-gb", "foresee", "zetta",
};

#define MIB (1024u * 1024u)

struct checker {
    void (*report)(void *user, const struct cd_chip *chip, const char *msg);
    void *user;
    size_t problems;
};

static void problem(struct checker *k, const struct cd_chip *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct checker *k, const struct cd_chip *c, const char *fmt, ...)
{
    char msg[1024];
    int n = snprintf(msg, sizeof(msg), "%s:%d: %s: ", c->origin_file ? c->origin_file : "?",
                     c->origin_line, c->name && *c->name ? c->name : "(unnamed)");
    if (n < 0 || (size_t)n >= sizeof(msg))
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    k->problems++;
    if (k->report)
        k->report(k->user, c, msg);
}

/* The way docs/chipdb.md writes sizes: 4K, 16M, 1G, else bytes. */
static const char *size_str(uint64_t v, char *buf, size_t n)
{
    if (v && v % (1u << 30) == 0)
        snprintf(buf, n, "%lluG", (unsigned long long)(v >> 30));
    else if (v && v % MIB == 0)
        snprintf(buf, n, "%lluM", (unsigned long long)(v >> 20));
    else if (v && v % 1024 == 0)
        snprintf(buf, n, "%lluK", (unsigned long long)(v >> 10));
    else
        snprintf(buf, n, "%llu", (unsigned long long)v);
    return buf;
}

static void check_times(struct checker *k, const struct cd_chip *c, const char *what, uint32_t typ,
                        uint32_t max, const char *unit)
{
    if (typ > max)
        problem(k, c, "%s: typical time %u %s is above the maximum %u %s", what, typ, unit, max,
                unit);
}

static void check_common(struct checker *k, const struct cd_chip *c)
{
    if (!c->name || !*c->name)
        problem(k, c, "row has no name");
    if (!c->vendor || !*c->vendor)
        problem(k, c, "field 'vendor' missing");
    if (c->id_len == 0) {
        problem(k, c, "field 'id' missing");
    } else {
        char hex[2 * CD_MAX_ID_LEN + 1];
        cd_chip_id_hex(c, hex, sizeof(hex));
        if (c->id_len < 2 || c->id_len > CD_MAX_ID_LEN)
            problem(k, c, "ID %s has %u byte(s); an ID has 2 to %d", hex, (unsigned)c->id_len,
                    CD_MAX_ID_LEN);
        if (c->id[0] == 0x00 || c->id[0] == 0xFF)
            problem(k, c,
                    "ID %s starts with %02X, which is what an empty bus reads, not a "
                    "manufacturer",
                    hex, c->id[0]);
    }
    if (c->page_size == 0)
        problem(k, c, "field 'page' missing");
    if (c->vmin_mv == 0 && c->vmax_mv == 0)
        problem(k, c, "field 'voltage' missing");
    else if (c->vmin_mv >= c->vmax_mv)
        problem(k, c, "voltage %u.%03u-%u.%03u V: the minimum is not below the maximum",
                c->vmin_mv / 1000, c->vmin_mv % 1000, c->vmax_mv / 1000, c->vmax_mv % 1000);
    if (!c->source || !*c->source)
        problem(k, c, "field 'source' missing or empty (name the datasheet and its revision)");
    check_times(k, c, "t_program", c->pp_typ_us, c->pp_max_us, "us");
}

static void check_nor(struct checker *k, const struct cd_chip *c)
{
    char a[24], b[24];
    if (c->size == 0)
        problem(k, c, "field 'size' missing");
    if (c->nerase == 0)
        problem(k, c, "field 'erase' missing");
    if (c->page_size && c->size % c->page_size)
        problem(k, c, "page size %u does not divide the chip size %s", (unsigned)c->page_size,
                size_str(c->size, a, sizeof(a)));
    bool has_opcode4 = false;
    for (unsigned i = 0; i < c->nerase && i < CD_MAX_ERASE_TYPES; i++) {
        const struct cd_erase_type *e = &c->erase[i];
        size_str(e->size, a, sizeof(a));
        if (i > 0 && e->size <= c->erase[i - 1].size)
            problem(k, c, "erase sizes not ascending: %s after %s", a,
                    size_str(c->erase[i - 1].size, b, sizeof(b)));
        if (e->size == 0 || (c->size && c->size % e->size))
            problem(k, c, "erase size %s does not divide the chip size %s", a,
                    size_str(c->size, b, sizeof(b)));
        if (c->page_size && e->size % c->page_size)
            problem(k, c, "erase size %s is not a multiple of the page size %u", a,
                    (unsigned)c->page_size);
        if ((c->addr4 & CD_ADDR4_OPCODES) && !e->opcode4)
            problem(k, c, "addr4 has 'opcodes' but erase4 has no opcode for %s", a);
        has_opcode4 |= e->opcode4 != 0;
        char what[40];
        snprintf(what, sizeof(what), "t_erase %s", a);
        check_times(k, c, what, e->typ_ms, e->max_ms, "ms");
    }
    if (has_opcode4 && !(c->addr4 & CD_ADDR4_OPCODES))
        problem(k, c, "erase4 given but addr4 has no 'opcodes'");
    if (c->size > 16 * MIB && c->addr4 == CD_ADDR4_NONE)
        problem(k, c, "chip is larger than 16 MiB (3-byte addresses) but has no addr4");
    if (c->chip_erase_opcode)
        check_times(k, c, "t_erase chip", c->chip_erase_typ_ms, c->chip_erase_max_ms, "ms");
}

static void check_nand(struct checker *k, const struct cd_chip *c)
{
    char a[24], b[24];
    if (c->oob_size == 0)
        problem(k, c, "field 'oob' missing");
    if (c->pages_per_block == 0)
        problem(k, c, "field 'pages_per_block' missing");
    if (c->blocks_per_die == 0)
        problem(k, c, "field 'blocks' missing");
    if (c->ecc_step == 0)
        problem(k, c, "field 'ecc' missing");
    if (!c->ecc_status || !*c->ecc_status) {
        problem(k, c, "field 'ecc_status' missing");
    } else {
        size_t i = 0, n = sizeof(known_ecc_decoders) / sizeof(known_ecc_decoders[0]);
        while (i < n && strcmp(c->ecc_status, known_ecc_decoders[i]) != 0)
            i++;
        if (i == n)
            problem(k, c, "ecc_status '%s' is not a known decoder (see host/lib/nand_ecc.c)",
                    c->ecc_status);
    }

    uint64_t total = (uint64_t)c->page_size * c->pages_per_block * c->blocks_per_die * c->dies;
    if (c->size != total)
        problem(k, c,
                "size %s does not match page x pages_per_block x blocks x dies = "
                "%u x %u x %u x %u = %s",
                size_str(c->size, a, sizeof(a)), (unsigned)c->page_size,
                (unsigned)c->pages_per_block, (unsigned)c->blocks_per_die, (unsigned)c->dies,
                size_str(total, b, sizeof(b)));
    if (c->planes == 0 || c->blocks_per_die % c->planes)
        problem(k, c, "planes (%u) do not divide blocks (%u)", (unsigned)c->planes,
                (unsigned)c->blocks_per_die);
    if (c->dies == 0)
        problem(k, c, "dies is 0");
    if (c->dies > 1 && c->die_select == CD_DIE_SELECT_NONE)
        problem(k, c, "%u dies but no die_select (c2 or d0)", (unsigned)c->dies);
    if (c->dies == 1 && c->die_select != CD_DIE_SELECT_NONE)
        problem(k, c, "die_select given for a chip with one die");
    if (c->ecc_step && c->page_size % c->ecc_step)
        problem(k, c, "ECC step %u does not divide the page size %u", (unsigned)c->ecc_step,
                (unsigned)c->page_size);
    check_times(k, c, "t_read", c->read_typ_us, c->read_max_us, "us");
    if (c->nerase)
        check_times(k, c, "t_erase block", c->erase[0].typ_ms, c->erase[0].max_ms, "ms");
}

static bool same_id(const struct cd_chip *a, const struct cd_chip *b)
{
    return a->type == b->type && a->readid == b->readid && a->id_len == b->id_len &&
           memcmp(a->id, b->id, a->id_len) == 0;
}

/* An ID may be shared only by rows that all name the same id_group. */
static void check_ids(struct checker *k, const struct cd_chip_list *rows)
{
    bool *done = calloc(rows->n ? rows->n : 1, sizeof(*done));
    for (size_t i = 0; i < rows->n; i++) {
        const struct cd_chip *c = rows->v[i];
        if ((done && done[i]) || c->id_len == 0)
            continue;
        char others[640] = "";
        bool shared = false, grouped = c->id_group != NULL;
        for (size_t j = i + 1; j < rows->n; j++) {
            const struct cd_chip *d = rows->v[j];
            if (!same_id(c, d))
                continue;
            if (done)
                done[j] = true;
            shared = true;
            if (!c->id_group || !d->id_group || strcasecmp(c->id_group, d->id_group) != 0)
                grouped = false;
            size_t len = strlen(others);
            snprintf(others + len, sizeof(others) - len, "%s%s (%s:%d)", len ? ", " : "", d->name,
                     d->origin_file ? d->origin_file : "?", d->origin_line);
        }
        if (shared && !grouped) {
            char hex[2 * CD_MAX_ID_LEN + 1];
            problem(k, c,
                    "ID %s (%s, read_id %s) is also used by %s; rows sharing an ID must all "
                    "carry the same id_group",
                    cd_chip_id_hex(c, hex, sizeof(hex)), cd_chip_type_name(c->type),
                    cd_readid_form_name(c->readid), others);
        }
    }
    free(done);
}

struct alias_ref {
    const char *alias;
    const struct cd_chip *chip;
    size_t order; /* position in the database, so equal aliases sort deterministically */
};

static int cmp_alias(const void *a, const void *b)
{
    const struct alias_ref *x = a, *y = b;
    int r = strcasecmp(x->alias, y->alias);
    return r ? r : (x->order > y->order) - (x->order < y->order);
}

/* An alias must name one row only: not another row's name, not another row's alias. */
static void check_aliases(struct checker *k, const struct cd_chip_list *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < rows->n; i++)
        n += rows->v[i]->naliases;
    struct alias_ref *refs = calloc(n ? n : 1, sizeof(*refs));
    n = 0;
    for (size_t i = 0; i < rows->n; i++) {
        const struct cd_chip *c = rows->v[i];
        for (unsigned a = 0; a < c->naliases; a++) {
            const char *alias = c->aliases[a];
            ptrdiff_t r = cd_chip_list_find(rows, alias);
            if (r >= 0 && rows->v[r] == c)
                problem(k, c, "alias '%s' is the row's own name", alias);
            else if (r >= 0)
                problem(k, c, "alias '%s' is the name of another row (%s:%d)", alias,
                        rows->v[r]->origin_file ? rows->v[r]->origin_file : "?",
                        rows->v[r]->origin_line);
            if (refs) {
                refs[n] = (struct alias_ref){alias, c, n};
                n++;
            }
        }
    }
    if (!refs)
        return;
    qsort(refs, n, sizeof(*refs), cmp_alias);
    for (size_t i = 1; i < n; i++) {
        if (strcasecmp(refs[i - 1].alias, refs[i].alias) != 0)
            continue;
        const struct cd_chip *c = refs[i].chip, *d = refs[i - 1].chip;
        if (c == d)
            problem(k, c, "alias '%s' given twice", refs[i].alias);
        else
            problem(k, c, "alias '%s' is also an alias of %s (%s:%d)", refs[i].alias, d->name,
                    d->origin_file ? d->origin_file : "?", d->origin_line);
    }
    free(refs);
}

size_t cd_chipdb_check(const struct cd_chipdb *db,
                       void (*report)(void *user, const struct cd_chip *chip, const char *msg),
                       void *user)
{
    struct checker k = {report, user, 0};
    if (!db)
        return 0;
    for (size_t i = 0; i < db->rows.n; i++) {
        const struct cd_chip *c = db->rows.v[i];
        check_common(&k, c);
        if (c->type == CD_CHIP_NOR)
            check_nor(&k, c);
        else
            check_nand(&k, c);
    }
    check_ids(&k, &db->rows);
    check_aliases(&k, &db->rows);
    return k.problems;
}
