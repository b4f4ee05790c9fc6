/*
 * The chip database: an ordered list of rows (chipdb_parse.c turns INI text into rows,
 * chipdb_check.c validates them), replacement by name, and lookup by name and by ID.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "chipdb_builtin.h"
#include "chipdb_internal.h"
#include "chipdump/chipdb.h"
#include "chipdump/error.h"

/* A chipdb file is a few dozen KiB; anything this big is not one. */
#define MAX_FILE_SIZE (16u << 20)
/* How many candidates an ambiguous or unknown name lists. */
#define MAX_AMBIGUOUS_LISTED 10
#define MAX_CLOSEST_LISTED   5

/* ---- rows and the name index ---- */

void cd_chip_free(struct cd_chip *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->vendor);
    for (unsigned i = 0; i < c->naliases; i++)
        free(c->aliases[i]);
    free(c->id_group);
    free(c->source);
    free(c->ecc_status);
    free(c->origin_file);
    free(c);
}

/* FNV-1a over the upper-cased name, so that lookups are case-insensitive. */
static size_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)cd_ascii_upper(*s)) * 16777619u;
    return h;
}

static void index_insert(uint32_t *slot, size_t nslot, const char *name, size_t i)
{
    size_t h = name_hash(name) & (nslot - 1);
    while (slot[h])
        h = (h + 1) & (nslot - 1);
    slot[h] = (uint32_t)(i + 1);
}

int cd_chip_list_reserve(struct cd_chip_list *l, size_t extra)
{
    size_t need = l->n + extra;
    if (need > UINT32_MAX / 4)
        return CD_E_NOMEM;
    if (need > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        while (cap < need)
            cap *= 2;
        struct cd_chip **v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return CD_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (need * 2 > l->nslot) { /* keep the load factor under 1/2 */
        size_t nslot = 128;
        while (nslot < need * 2)
            nslot *= 2;
        uint32_t *slot = calloc(nslot, sizeof(*slot));
        if (!slot)
            return CD_E_NOMEM;
        for (size_t i = 0; i < l->n; i++)
            index_insert(slot, nslot, l->v[i]->name, i);
        free(l->slot);
        l->slot = slot;
        l->nslot = nslot;
    }
    return CD_OK;
}

int cd_chip_list_append(struct cd_chip_list *l, struct cd_chip *c)
{
    int rc = cd_chip_list_reserve(l, 1);
    if (rc != CD_OK)
        return rc;
    index_insert(l->slot, l->nslot, c->name, l->n);
    l->v[l->n++] = c;
    return CD_OK;
}

ptrdiff_t cd_chip_list_find(const struct cd_chip_list *l, const char *name)
{
    if (!l->nslot)
        return -1;
    for (size_t h = name_hash(name) & (l->nslot - 1); l->slot[h]; h = (h + 1) & (l->nslot - 1)) {
        size_t i = l->slot[h] - 1;
        if (strcasecmp(l->v[i]->name, name) == 0)
            return (ptrdiff_t)i;
    }
    return -1;
}

void cd_chip_list_clear(struct cd_chip_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        cd_chip_free(l->v[i]);
    free(l->v);
    free(l->slot);
    memset(l, 0, sizeof(*l));
}

/* ---- the database ---- */

int cd_chipdb_new_empty(struct cd_chipdb **out)
{
    if (!out)
        return cd_fail(CD_E_ARG, "cd_chipdb_new_empty: out is NULL");
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return cd_fail(CD_E_NOMEM, "chip database: out of memory");
    return CD_OK;
}

int cd_chipdb_new_builtin(struct cd_chipdb **out)
{
    int rc = cd_chipdb_new_empty(out);
    if (rc != CD_OK)
        return rc;
    for (const struct cd_builtin_file *f = cd_builtin_chipdb; f->name; f++) {
        char origin[256];
        snprintf(origin, sizeof(origin), "chipdb/%s", f->name);
        rc = cd_chipdb_add_text(*out, f->text, origin); /* a bug in the build: pass it on */
        if (rc != CD_OK) {
            cd_chipdb_free(*out);
            *out = NULL;
            return rc;
        }
    }
    return CD_OK;
}

void cd_chipdb_free(struct cd_chipdb *db)
{
    if (!db)
        return;
    cd_chip_list_clear(&db->rows);
    free(db);
}

int cd_chipdb_add_text(struct cd_chipdb *db, const char *text, const char *origin)
{
    if (!db || !text)
        return cd_fail(CD_E_ARG, "cd_chipdb_add_text: db or text is NULL");
    if (!origin)
        origin = "(text)";

    /* Parse into a list of our own first, so that a bad row adds nothing. */
    struct cd_chip_list staged = {0};
    int rc = cd_chipdb_parse(text, origin, &staged);
    if (rc == CD_OK && cd_chip_list_reserve(&db->rows, staged.n) != CD_OK)
        rc = cd_fail(CD_E_NOMEM, "%s: out of memory", origin);
    if (rc == CD_OK) {
        for (size_t j = 0; j < staged.n; j++) {
            struct cd_chip *c = staged.v[j];
            ptrdiff_t i = cd_chip_list_find(&db->rows, c->name);
            if (i >= 0) { /* same name: the new row replaces the old one in place */
                cd_chip_free(db->rows.v[i]);
                db->rows.v[i] = c;
            } else {
                cd_chip_list_append(&db->rows, c); /* cannot fail after the reserve */
            }
            staged.v[j] = NULL;
        }
    }
    cd_chip_list_clear(&staged);
    return rc;
}

static int add_file(struct cd_chipdb *db, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cd_fail(CD_E_IO, "cannot read %s: %s", path, strerror(errno));
    int rc = CD_OK;
    size_t len = 0, cap = 8192;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 == cap) {
            char *bigger = cap < MAX_FILE_SIZE ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                rc = cap < MAX_FILE_SIZE ? cd_fail(CD_E_NOMEM, "%s: out of memory", path)
                                         : cd_fail(CD_E_CHIPDB, "%s: file too large", path);
                goto free_buf;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (!buf) {
        rc = cd_fail(CD_E_NOMEM, "%s: out of memory", path);
        goto close_file;
    }
    if (ferror(f)) {
        rc = cd_fail(CD_E_IO, "cannot read %s: %s", path, strerror(errno));
        goto free_buf;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        rc = cd_fail(CD_E_CHIPDB, "%s: not a text file (contains a NUL byte)", path);
        goto free_buf;
    }
    rc = cd_chipdb_add_text(db, buf, path);
free_buf:
    free(buf);
close_file:
    fclose(f);
    return rc;
}

static bool ends_with_ini(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcasecmp(s + n - 4, ".ini") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.ini (not hidden) in sorted order, so that later files replace rows predictably. */
static int add_dir(struct cd_chipdb *db, const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return cd_fail(CD_E_IO, "cannot read directory %s: %s", path, strerror(errno));
    int rc = CD_OK;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with_ini(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **bigger = realloc(names, cap * sizeof(*names));
            if (!bigger) {
                rc = cd_fail(CD_E_NOMEM, "%s: out of memory", path);
                goto free_names;
            }
            names = bigger;
        }
        if (!(names[n] = malloc(strlen(path) + strlen(e->d_name) + 2))) {
            rc = cd_fail(CD_E_NOMEM, "%s: out of memory", path);
            goto free_names;
        }
        sprintf(names[n++], "%s/%s", path, e->d_name);
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n && rc == CD_OK; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
            continue; /* a directory called x.ini */
        rc = add_file(db, names[i]);
    }
free_names:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int cd_chipdb_add_path(struct cd_chipdb *db, const char *path)
{
    if (!db || !path)
        return cd_fail(CD_E_ARG, "cd_chipdb_add_path: db or path is NULL");
    struct stat st;
    if (stat(path, &st) != 0) {
        /* ~/.config/chipdump/chipdb.d/ usually does not exist; a missing *.ini is a typo */
        if (errno == ENOENT && !ends_with_ini(path))
            return CD_OK;
        return cd_fail(CD_E_IO, "cannot read %s: %s", path, strerror(errno));
    }
    return S_ISDIR(st.st_mode) ? add_dir(db, path) : add_file(db, path);
}

size_t cd_chipdb_count(const struct cd_chipdb *db)
{
    return db ? db->rows.n : 0;
}

const struct cd_chip *cd_chipdb_get(const struct cd_chipdb *db, size_t i)
{
    return db && i < db->rows.n ? db->rows.v[i] : NULL;
}

/* ---- lookup by name ---- */

unsigned cd_edit_distance(const char *a, const char *b, unsigned *prefix_dist)
{
    enum { MAX = 63 };
    size_t m = strlen(a), n = strlen(b);
    m = m > MAX ? MAX : m;
    n = n > MAX ? MAX : n;
    /* d[j] = distance from a[0..i) to b[0..j), one row at a time */
    unsigned d[MAX + 1];
    for (size_t j = 0; j <= n; j++)
        d[j] = (unsigned)j;
    for (size_t i = 1; i <= m; i++) {
        unsigned diag = d[0];
        d[0] = (unsigned)i;
        for (size_t j = 1; j <= n; j++) {
            unsigned up = d[j];
            unsigned best = diag + (cd_ascii_upper(a[i - 1]) != cd_ascii_upper(b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (d[j - 1] + 1 < best)
                best = d[j - 1] + 1;
            d[j] = best;
            diag = up;
        }
    }
    if (prefix_dist) {
        unsigned best = d[0];
        for (size_t j = 1; j <= n; j++)
            best = d[j] < best ? d[j] : best;
        *prefix_dist = best;
    }
    return d[n];
}

static bool has_prefix(const char *s, const char *prefix, size_t len)
{
    return strncasecmp(s, prefix, len) == 0;
}

/* "(2 MiB)", NAND "(128 MiB, 2048+64 byte pages)": what tells candidates apart. */
static void describe_geometry(const struct cd_chip *c, char *buf, size_t n)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    uint64_t v = c->size;
    unsigned u = 0;
    while (u < 4 && v && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    if (c->type == CD_CHIP_NAND)
        snprintf(buf, n, "(%llu %s, %u+%u byte pages)", (unsigned long long)v, units[u],
                 (unsigned)c->page_size, (unsigned)c->oob_size);
    else
        snprintf(buf, n, "(%llu %s)", (unsigned long long)v, units[u]);
}

static void append(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s", s);
}

static int ambiguous(const struct cd_chipdb *db, const char *name, size_t nmatch)
{
    char msg[900], geo[64];
    size_t listed = 0, len = strlen(name);
    snprintf(msg, sizeof(msg), "%s: matches chips of different geometry: ", name);
    for (size_t i = 0; i < db->rows.n && listed < MAX_AMBIGUOUS_LISTED; i++) {
        const struct cd_chip *c = db->rows.v[i];
        bool match = has_prefix(c->name, name, len);
        for (unsigned a = 0; a < c->naliases && !match; a++)
            match = has_prefix(c->aliases[a], name, len);
        if (!match)
            continue;
        describe_geometry(c, geo, sizeof(geo));
        append(msg, sizeof(msg), listed ? ", " : "");
        append(msg, sizeof(msg), c->name);
        append(msg, sizeof(msg), " ");
        append(msg, sizeof(msg), geo);
        listed++;
    }
    if (nmatch > listed) {
        char more[48];
        snprintf(more, sizeof(more), ", ... (%zu more)", nmatch - listed);
        append(msg, sizeof(msg), more);
    }
    return cd_fail(CD_E_AMBIGUOUS_CHIP, "%s", msg);
}

/* List the closest names: nearest to a prefix of the name first, then nearest overall. */
static int unknown(const struct cd_chipdb *db, const char *name)
{
    struct {
        const char *name;
        unsigned prefix, full;
    } best[MAX_CLOSEST_LISTED];
    size_t nbest = 0;

    for (size_t i = 0; i < db->rows.n; i++) {
        const struct cd_chip *c = db->rows.v[i];
        const char *cand = c->name;
        unsigned prefix, full = cd_edit_distance(name, c->name, &prefix);
        for (unsigned a = 0; a < c->naliases; a++) {
            unsigned p2, f2 = cd_edit_distance(name, c->aliases[a], &p2);
            if (p2 < prefix || (p2 == prefix && f2 < full)) {
                cand = c->aliases[a];
                prefix = p2;
                full = f2;
            }
        }
        /* insertion into the sorted short list; ties keep database order */
        size_t pos = nbest;
        while (pos > 0 && (prefix < best[pos - 1].prefix ||
                           (prefix == best[pos - 1].prefix && full < best[pos - 1].full)))
            pos--;
        if (pos >= MAX_CLOSEST_LISTED)
            continue;
        size_t last = nbest < MAX_CLOSEST_LISTED ? nbest : MAX_CLOSEST_LISTED - 1;
        memmove(&best[pos + 1], &best[pos], (last - pos) * sizeof(best[0]));
        best[pos].name = cand;
        best[pos].prefix = prefix;
        best[pos].full = full;
        if (nbest < MAX_CLOSEST_LISTED)
            nbest++;
    }
    if (nbest == 0)
        return cd_fail(CD_E_UNKNOWN_CHIP, "unknown chip '%s' (the chip database is empty)", name);
    char msg[512];
    snprintf(msg, sizeof(msg), "unknown chip '%s'; closest: ", name);
    for (size_t i = 0; i < nbest; i++) {
        append(msg, sizeof(msg), i ? ", " : "");
        append(msg, sizeof(msg), best[i].name);
    }
    return cd_fail(CD_E_UNKNOWN_CHIP, "%s", msg);
}

int cd_chipdb_find_name(const struct cd_chipdb *db, const char *name, const struct cd_chip **out)
{
    if (!db || !name || !out)
        return cd_fail(CD_E_ARG, "cd_chipdb_find_name: NULL argument");
    *out = NULL;
    if (!*name)
        return cd_fail(CD_E_ARG, "empty chip name");

    /* exact name, then exact alias */
    ptrdiff_t i = cd_chip_list_find(&db->rows, name);
    if (i >= 0) {
        *out = db->rows.v[i];
        return CD_OK;
    }
    for (size_t r = 0; r < db->rows.n; r++) {
        const struct cd_chip *c = db->rows.v[r];
        for (unsigned a = 0; a < c->naliases; a++) {
            if (strcasecmp(c->aliases[a], name) == 0) {
                *out = c;
                return CD_OK;
            }
        }
    }

    /* prefix of a name or alias: fine while every candidate reads and writes alike */
    const struct cd_chip *first = NULL;
    size_t nmatch = 0, len = strlen(name);
    bool same = true;
    for (size_t r = 0; r < db->rows.n; r++) {
        const struct cd_chip *c = db->rows.v[r];
        bool match = has_prefix(c->name, name, len);
        for (unsigned a = 0; a < c->naliases && !match; a++)
            match = has_prefix(c->aliases[a], name, len);
        if (!match)
            continue;
        if (!first)
            first = c;
        else if (!cd_chip_same_geometry(first, c))
            same = false;
        nmatch++;
    }
    if (!first)
        return unknown(db, name);
    if (!same)
        return ambiguous(db, name, nmatch);
    *out = first;
    return CD_OK;
}

/* ---- lookup by ID ---- */

size_t cd_chipdb_find_id(const struct cd_chipdb *db, enum cd_chip_type type,
                         enum cd_readid_form form, const uint8_t *id, size_t len,
                         const struct cd_chip **out, size_t max)
{
    size_t n = 0;
    if (!db || !id || !out)
        return 0;
    /* one pass per ID length keeps "longest first, then database order" without sorting */
    for (size_t l = CD_MAX_ID_LEN; l >= 1 && n < max; l--) {
        if (l > len)
            continue;
        for (size_t r = 0; r < db->rows.n && n < max; r++) {
            const struct cd_chip *c = db->rows.v[r];
            if (c->type == type && c->id_len == l && memcmp(c->id, id, l) == 0 &&
                (type == CD_CHIP_NOR || c->readid == form))
                out[n++] = c;
        }
    }
    return n;
}

/* ---- small helpers ---- */

bool cd_chip_same_geometry(const struct cd_chip *a, const struct cd_chip *b)
{
    if (a->type != b->type || a->size != b->size || a->page_size != b->page_size ||
        a->oob_size != b->oob_size || a->pages_per_block != b->pages_per_block ||
        a->nerase != b->nerase)
        return false;
    for (unsigned i = 0; i < a->nerase && i < CD_MAX_ERASE_TYPES; i++)
        if (a->erase[i].size != b->erase[i].size)
            return false;
    return true;
}

const char *cd_chip_id_hex(const struct cd_chip *chip, char *buf, size_t bufsize)
{
    if (!buf || bufsize == 0)
        return "";
    buf[0] = '\0';
    for (unsigned i = 0; chip && i < chip->id_len && 2 * i + 2 < bufsize; i++)
        snprintf(buf + 2 * i, bufsize - 2 * i, "%02X", chip->id[i]);
    return buf;
}

const char *cd_chip_type_name(enum cd_chip_type t)
{
    switch (t) {
    case CD_CHIP_NOR:
        return "nor";
    case CD_CHIP_NAND:
        return "nand";
    }
    return "?";
}

const char *cd_readid_form_name(enum cd_readid_form f)
{
    switch (f) {
    case CD_READID_OPCODE:
        return "opcode";
    case CD_READID_ADDR:
        return "addr";
    case CD_READID_DUMMY:
        return "dummy";
    }
    return "?";
}
