/*
 * The "flashrom" programmer: every programmer libflashrom drives (ch341a_spi, ft2232_spi,
 * linux_spi, serprog, dediprog, dummy...) behind chipdump's workflow.
 *   -p flashrom:NAME[:PARAMS]      PARAMS in flashrom's own syntax, e.g.
 *   -p flashrom:dummy:emulate=W25Q128FV,image=x.bin   -p flashrom:linux_spi:dev=/dev/spidev0.0
 *
 * libflashrom probes and drives the chip itself, so this programmer has no SPI ops: it opens a
 * whole cd_flash (open_flash) whose reads, writes, verifies and erases are libflashrom calls
 * limited to one region by a flashrom layout. Writes hand flashrom the contents read before
 * (the backup) as its reference, so flashrom erases and programs only what differs.
 *
 * libflashrom 1.3 tells neither the name of the chip a probe found, nor its JEDEC ID, nor a
 * chip's bus; its log does (the lines are parsed below, and every use has a fallback that
 * asks the library instead). The whole log goes to cd_set_log() (chipdump -v), never to the
 * terminal; the last error lines go into the error detail of a failed operation.
 */
#include <ctype.h>
#include <libflashrom.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chipdb_builtin.h"
#include "chipdump/error.h"
#include "chipdump/flash.h"
#include "chipdump/flashrom.h"
#include "chipdump/programmer.h"
#include "log.h"
#include "programmers.h"

/* ---------------------------------------------------------------- log */

/* libflashrom logs in fragments ("Probing for X, 16384 kB: " ... "\n"): join them into lines.
 * The line's level is the most important level among its fragments. */
static char line_buf[1024];
static size_t line_len;
static int line_level = 99;

/* While capturing, whole lines are also appended here (probe results are read from them). */
static char *capture;
static size_t capture_len, capture_cap;
static bool capturing;

/* The last error and warning lines, for the detail of a failed operation. */
static char last_error[2][256];

static void capture_line(const char *s, size_t n)
{
    if (!capturing)
        return;
    if (capture_len + n + 2 > capture_cap) {
        size_t cap = capture_cap ? capture_cap * 2 : 65536;
        while (cap < capture_len + n + 2)
            cap *= 2;
        char *p = realloc(capture, cap);
        if (!p)
            return;
        capture = p;
        capture_cap = cap;
    }
    memcpy(capture + capture_len, s, n);
    capture_len += n;
    capture[capture_len++] = '\n';
    capture[capture_len] = '\0';
}

static void flush_line(void)
{
    line_buf[line_len] = '\0';
    size_t n = line_len;
    while (n && isspace((unsigned char)line_buf[n - 1]))
        line_buf[--n] = '\0';
    if (n) {
        capture_line(line_buf, n);
        if (line_level <= FLASHROM_MSG_WARN) {
            memcpy(last_error[0], last_error[1], sizeof(last_error[0]));
            snprintf(last_error[1], sizeof(last_error[1]), "%.255s", line_buf);
        }
        cd_log_line(line_level, line_buf);
    }
    line_len = 0;
    line_level = 99;
}

static int log_cb(enum flashrom_log_level level, const char *fmt, va_list ap)
{
    /* probe results are read from debug lines; the levels above log every byte moved */
    if (level > FLASHROM_MSG_DEBUG && !cd_log_wants((int)level))
        return 0;
    char tmp[1024];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (n < 0)
        return 0;
    if ((int)level < line_level)
        line_level = (int)level;
    for (const char *s = tmp; *s; s++) {
        if (*s == '\n' || line_len + 1 >= sizeof(line_buf)) {
            flush_line();
            if (*s == '\n')
                continue;
        }
        line_buf[line_len++] = *s;
        if ((int)level < line_level)
            line_level = (int)level;
    }
    return n;
}

static void capture_start(void)
{
    capture_len = 0;
    if (capture)
        capture[0] = '\0';
    capturing = true;
}

static const char *capture_stop(void)
{
    if (line_len)
        flush_line();
    capturing = false;
    return capture ? capture : "";
}

static void clear_errors(void)
{
    last_error[0][0] = last_error[1][0] = '\0';
}

/* "; flashrom says: <last error lines>" or "" */
static const char *flashrom_says(void)
{
    static char buf[600];
    if (line_len)
        flush_line();
    if (!last_error[1][0])
        return "";
    if (last_error[0][0])
        snprintf(buf, sizeof(buf), "; flashrom says: %s / %s", last_error[0], last_error[1]);
    else
        snprintf(buf, sizeof(buf), "; flashrom says: %s", last_error[1]);
    return buf;
}

static int lib_init(void)
{
    static bool done;
    if (done)
        return CD_OK;
    flashrom_set_log_callback(log_cb);
    if (flashrom_init(1))
        return cd_fail(CD_E_IO, "libflashrom failed its self-check%s", flashrom_says());
    done = true;
    return CD_OK;
}

const char *cd_flashrom_version(void)
{
    return flashrom_version_info();
}

/* ---------------------------------------------------------------- flashrom's chip names */

#define MAX_ALTS 32
#define ALT_LEN  64

/* Expand "(X)" and "(X/Y)" groups of one '/'-piece into every spelling. */
static size_t expand_groups(const char *s, char out[][ALT_LEN], size_t n, size_t max)
{
    const char *open = strchr(s, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (!open || !close) {
        if (n < max && strlen(s) < ALT_LEN)
            snprintf(out[n++], ALT_LEN, "%s", s);
        return n;
    }
    char head[ALT_LEN], opt[ALT_LEN], next[2 * ALT_LEN];
    size_t hl = (size_t)(open - s), ol = (size_t)(close - open - 1);
    if (hl >= ALT_LEN || ol >= ALT_LEN)
        return n;
    memcpy(head, s, hl);
    head[hl] = '\0';
    memcpy(opt, open + 1, ol);
    opt[ol] = '\0';
    snprintf(next, sizeof(next), "%s%s", head, close + 1); /* without the group */
    n = expand_groups(next, out, n, max);
    for (char *tok = opt, *end; tok && *tok; tok = end) {
        end = strchr(tok, '/');
        if (end)
            *end++ = '\0';
        snprintf(next, sizeof(next), "%s%s%s", head, tok, close + 1);
        n = expand_groups(next, out, n, max);
    }
    return n;
}

/* Every spelling flashrom's name stands for. Returns how many were written. */
static size_t expand_name(const char *fr, char out[][ALT_LEN], size_t max)
{
    char prev[ALT_LEN] = "";
    size_t n = 0;
    const char *s = fr;
    while (*s) {
        /* a top-level piece ends at a '/' outside parentheses */
        const char *e = s;
        int depth = 0;
        for (; *e && !(*e == '/' && depth == 0); e++)
            depth += *e == '(' ? 1 : *e == ')' ? -1 : 0;
        char piece[ALT_LEN];
        size_t pl = (size_t)(e - s);
        if (pl && pl < ALT_LEN) {
            memcpy(piece, s, pl);
            piece[pl] = '\0';
            bool suffix = pl <= 2 && prev[0];
            for (size_t i = 0; suffix && i < pl; i++)
                suffix = isalpha((unsigned char)piece[i]);
            if (suffix && strlen(prev) > pl) {
                /* "S25FL032A/P": P replaces the last letter of the previous name */
                char sub[2 * ALT_LEN];
                snprintf(sub, sizeof(sub), "%.*s%s", (int)(strlen(prev) - pl), prev, piece);
                n = expand_groups(sub, out, n, max);
            } else {
                n = expand_groups(piece, out, n, max);
                snprintf(prev, sizeof(prev), "%s", piece);
            }
        }
        s = *e ? e + 1 : e;
    }
    return n;
}

/* name against one spelling: '.' is any one character; a qualifier after - _ or space is
 * ignored ("W25Q256JV_Q" names W25Q256JV). */
static bool spelling_matches(const char *pat, const char *name)
{
    size_t i = 0;
    for (; pat[i] && name[i]; i++) {
        if (pat[i] != '.' && toupper((unsigned char)pat[i]) != toupper((unsigned char)name[i]))
            return false;
    }
    if (!pat[i] && !name[i])
        return true;
    return !name[i] && i > 0 && (pat[i] == '-' || pat[i] == '_' || pat[i] == ' ');
}

bool cd_flashrom_name_matches(const char *flashrom_name, const char *name)
{
    char alts[MAX_ALTS][ALT_LEN];
    size_t n = expand_name(flashrom_name, alts, MAX_ALTS);
    for (size_t i = 0; i < n; i++)
        if (spelling_matches(alts[i], name))
            return true;
    return false;
}

/* ---------------------------------------------------------------- the allow-list */

extern const struct cd_builtin_file cd_builtin_flashrom_allow[];

enum allow_kind { ALLOW_LACK, ALLOW_SIZE, ALLOW_SAME };

struct allow_line {
    enum allow_kind kind;
    char *name; /* flashrom's chip name */
    char *row;  /* ALLOW_SAME: the database row */
    int line;
    bool used;
};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/*
 * Lines: "KIND | flashrom chip name | ..." with KIND lack (we leave the chip out on purpose:
 * why), size (flashrom's size is wrong: the datasheet that says so), or same (flashrom's name
 * is this row: "same | S25FL128S......0 | S25FL128S | why"). '#' starts a comment line.
 */
static int allow_parse(const char *text, const char *origin, struct allow_line **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char *copy = strdup(text);
    if (!copy)
        return CD_E_NOMEM;
    struct allow_line *v = NULL;
    size_t cnt = 0;
    int lineno = 0, err = CD_OK;
    for (char *line = copy, *next; line && !err; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *f[4] = {0};
        size_t nf = 0;
        for (char *p = s; p && nf < 4; nf++) {
            char *bar = strchr(p, '|');
            if (bar)
                *bar++ = '\0';
            f[nf] = trim(p);
            p = bar;
        }
        enum allow_kind kind;
        if (!strcmp(f[0], "lack"))
            kind = ALLOW_LACK;
        else if (!strcmp(f[0], "size"))
            kind = ALLOW_SIZE;
        else if (!strcmp(f[0], "same"))
            kind = ALLOW_SAME;
        else {
            err = cd_fail(CD_E_CHIPDB, "%s:%d: expected lack, size or same, not '%s'", origin,
                          lineno, f[0]);
            break;
        }
        size_t need = kind == ALLOW_SAME ? 4 : 3;
        if (nf < need || !*f[1] || !*f[need - 1] || (kind == ALLOW_SAME && !*f[2])) {
            err = cd_fail(CD_E_CHIPDB, "%s:%d: expected '%s | FLASHROM NAME | %s'", origin, lineno,
                          f[0], kind == ALLOW_SAME ? "ROW | WHY" : "WHY (datasheet or reason)");
            break;
        }
        struct allow_line *nv = realloc(v, (cnt + 1) * sizeof(*v));
        if (!nv) {
            err = CD_E_NOMEM;
            break;
        }
        v = nv;
        v[cnt] = (struct allow_line){kind, strdup(f[1]), kind == ALLOW_SAME ? strdup(f[2]) : NULL,
                                     lineno, false};
        cnt++;
    }
    free(copy);
    if (err) {
        for (size_t i = 0; i < cnt; i++) {
            free(v[i].name);
            free(v[i].row);
        }
        free(v);
        return err;
    }
    *out = v;
    *n = cnt;
    return CD_OK;
}

static void allow_free(struct allow_line *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].row);
    }
    free(v);
}

static const char *builtin_allow_text(void)
{
    return cd_builtin_flashrom_allow[0].text ? cd_builtin_flashrom_allow[0].text : "";
}

static bool row_named(const struct cd_chip *row, const char *name)
{
    if (!strcasecmp(row->name, name))
        return true;
    for (unsigned i = 0; i < row->naliases; i++)
        if (!strcasecmp(row->aliases[i], name))
            return true;
    return false;
}

static bool is_row(const char *fr, const struct cd_chip *row, struct allow_line *allow,
                   size_t nallow)
{
    if (cd_flashrom_name_matches(fr, row->name))
        return true;
    for (unsigned i = 0; i < row->naliases; i++)
        if (cd_flashrom_name_matches(fr, row->aliases[i]))
            return true;
    for (size_t i = 0; i < nallow; i++) {
        if (allow[i].kind == ALLOW_SAME && !strcmp(allow[i].name, fr) &&
            row_named(row, allow[i].row)) {
            allow[i].used = true;
            return true;
        }
    }
    return false;
}

/* The built-in allow-list, parsed once (a malformed one is reported by chips check). */
static struct allow_line *builtin_allow(size_t *n)
{
    static struct allow_line *v;
    static size_t nv;
    static bool parsed;
    if (!parsed && allow_parse(builtin_allow_text(), "flashrom-allow.txt", &v, &nv))
        v = NULL, nv = 0;
    parsed = true;
    *n = nv;
    return v;
}

bool cd_flashrom_is_row(const char *flashrom_name, const struct cd_chip *row)
{
    size_t nallow;
    struct allow_line *allow = builtin_allow(&nallow);
    return is_row(flashrom_name, row, allow, nallow);
}

/* ---------------------------------------------------------------- flashrom's chip list */

static bool is_generic(const char *vendor, const char *name)
{
    return !strcmp(vendor, "Generic") || !strcmp(vendor, "Unknown") ||
           !strncmp(name, "unknown ", 8) || strstr(name, "SFDP-capable") ||
           strstr(name, "Opaque flash") || strstr(name, "Programmer-specific");
}

int cd_flashrom_chips(struct cd_flashrom_chip **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int r = lib_init();
    if (r)
        return r;
    struct flashrom_flashchip_info *info = flashrom_supported_flash_chips();
    if (!info)
        return cd_fail(CD_E_IO, "libflashrom returned no chip list%s", flashrom_says());
    size_t cnt = 0;
    while (info[cnt].name)
        cnt++;
    struct cd_flashrom_chip *v = calloc(cnt + 1, sizeof(*v));
    if (!v) {
        flashrom_data_free(info);
        return CD_E_NOMEM;
    }
    for (size_t i = 0; i < cnt; i++)
        v[i] = (struct cd_flashrom_chip){info[i].vendor, info[i].name,
                                         (uint64_t)info[i].total_size * 1024, false,
                                         is_generic(info[i].vendor, info[i].name)};
    /* The strings belong to flashrom's static table; only the array was allocated. */
    flashrom_data_free(info);

    /* The dummy programmer on the SPI bus alone, with no chip: probing tries every SPI row
     * and logs "Probing for VENDOR NAME, SIZE kB: ..." for each. */
    struct flashrom_programmer *prog = NULL;
    capture_start();
    int ir = flashrom_programmer_init(&prog, "dummy", "bus=spi");
    struct flashrom_flashctx *ctx = NULL;
    if (!ir) {
        flashrom_flash_probe(&ctx, prog, NULL);
        flashrom_flash_release(ctx);
        flashrom_programmer_shutdown(prog);
    }
    const char *log = capture_stop();
    size_t nspi = 0;
    for (size_t i = 0; i < cnt; i++) {
        char needle[256];
        snprintf(needle, sizeof(needle), "Probing for %s %s, ", v[i].vendor, v[i].name);
        v[i].spi = strstr(log, needle) != NULL;
        nspi += v[i].spi;
    }
    if (ir || !nspi) {
        free(v);
        return cd_fail(CD_E_IO,
                       "could not tell flashrom's SPI chips from the others (dummy programmer "
                       "probe%s)%s",
                       ir ? " failed" : " logged no chip", flashrom_says());
    }
    *out = v;
    *n = cnt;
    return CD_OK;
}

void cd_flashrom_chips_free(struct cd_flashrom_chip *chips)
{
    free(chips);
}

static bool known_flashrom_name(const char *name, char *exact, size_t exactsz)
{
    if (lib_init())
        return false;
    struct flashrom_flashchip_info *info = flashrom_supported_flash_chips();
    bool found = false;
    for (size_t i = 0; info && info[i].name && !found; i++) {
        if (!strcasecmp(info[i].name, name)) {
            found = true;
            snprintf(exact, exactsz, "%s", info[i].name);
        }
    }
    flashrom_data_free(info);
    return found;
}

bool cd_flashrom_knows_chip(const char *name)
{
    char exact[128];
    return known_flashrom_name(name, exact, sizeof(exact));
}

/* ---------------------------------------------------------------- check against the database */

long cd_flashrom_check(const struct cd_chipdb *db, const char *allow_text, const char *origin,
                       void (*report)(void *user, const char *msg), void *user,
                       struct cd_flashrom_check_stats *st)
{
    struct cd_flashrom_check_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    if (!allow_text) {
        allow_text = builtin_allow_text();
        origin = "chipdb/flashrom-allow.txt (built in)";
    }
    struct allow_line *allow;
    size_t nallow;
    int r = allow_parse(allow_text, origin ? origin : "allow-list", &allow, &nallow);
    if (r)
        return r;
    struct cd_flashrom_chip *fr;
    size_t nfr;
    if ((r = cd_flashrom_chips(&fr, &nfr))) {
        allow_free(allow, nallow);
        return r;
    }
    size_t nrows = cd_chipdb_count(db);
    bool *seen = calloc(nrows ? nrows : 1, 1);
    if (!seen) {
        cd_flashrom_chips_free(fr);
        allow_free(allow, nallow);
        return CD_E_NOMEM;
    }
    long problems = 0;
    char msg[512];
    for (size_t i = 0; i < nfr; i++) {
        if (!fr[i].spi || fr[i].generic)
            continue;
        st->flashrom_spi++;
        struct allow_line *why_lack = NULL, *why_size = NULL;
        for (size_t k = 0; k < nallow; k++) {
            if (strcmp(allow[k].name, fr[i].name))
                continue;
            if (allow[k].kind == ALLOW_LACK)
                why_lack = &allow[k];
            else if (allow[k].kind == ALLOW_SIZE)
                why_size = &allow[k];
        }
        bool any = false, size_ok = false;
        const struct cd_chip *other = NULL;
        for (size_t k = 0; k < nrows; k++) {
            const struct cd_chip *c = cd_chipdb_get(db, k);
            if (c->type != CD_CHIP_NOR || !is_row(fr[i].name, c, allow, nallow))
                continue;
            any = true;
            seen[k] = true;
            if (c->size == fr[i].size)
                size_ok = true;
            else
                other = c;
        }
        if (any) {
            st->matched++;
            if (why_lack) {
                snprintf(msg, sizeof(msg),
                         "%s:%d: 'lack | %s' is no longer needed: the database has the chip",
                         origin, why_lack->line, fr[i].name);
                report(user, msg);
                problems++;
                why_lack->used = true;
            }
        } else if (why_lack) {
            why_lack->used = true;
            st->allowed++;
            continue;
        } else {
            snprintf(msg, sizeof(msg),
                     "flashrom lists SPI chip %s %s (%llu KiB) and the database has no row for "
                     "it (add one, or a 'lack' line to %s saying why not)",
                     fr[i].vendor, fr[i].name, (unsigned long long)(fr[i].size / 1024), origin);
            report(user, msg);
            problems++;
            continue;
        }
        if (!size_ok && other) {
            if (why_size) {
                why_size->used = true;
                st->allowed++;
                continue;
            }
            snprintf(msg, sizeof(msg),
                     "%s:%d: %s is %llu KiB but flashrom's %s %s is %llu KiB (fix the row, or "
                     "add a 'size' line to %s citing the datasheet)",
                     other->origin_file ? other->origin_file : "?", other->origin_line, other->name,
                     (unsigned long long)(other->size / 1024), fr[i].vendor, fr[i].name,
                     (unsigned long long)(fr[i].size / 1024), origin);
            report(user, msg);
            problems++;
        } else if (why_size) {
            snprintf(msg, sizeof(msg), "%s:%d: 'size | %s' is no longer needed: the sizes agree",
                     origin, why_size->line, fr[i].name);
            report(user, msg);
            problems++;
            why_size->used = true;
        }
    }
    for (size_t k = 0; k < nallow; k++) {
        if (allow[k].used)
            continue;
        bool listed = false;
        for (size_t i = 0; i < nfr && !listed; i++)
            listed = fr[i].spi && !strcmp(fr[i].name, allow[k].name);
        if (!listed)
            snprintf(msg, sizeof(msg), "%s:%d: flashrom lists no SPI chip named '%s'", origin,
                     allow[k].line, allow[k].name);
        else if (allow[k].kind == ALLOW_SAME) {
            bool have = false;
            for (size_t i = 0; i < nrows && !have; i++)
                have = cd_chipdb_get(db, i)->type == CD_CHIP_NOR &&
                       row_named(cd_chipdb_get(db, i), allow[k].row);
            if (have)
                snprintf(msg, sizeof(msg),
                         "%s:%d: 'same | %s' is not needed: flashrom's name already names a row",
                         origin, allow[k].line, allow[k].name);
            else
                snprintf(msg, sizeof(msg), "%s:%d: the database has no NOR row named '%s'", origin,
                         allow[k].line, allow[k].row);
        } else if (allow[k].kind == ALLOW_SIZE)
            snprintf(msg, sizeof(msg), "%s:%d: 'size | %s' names a chip the database lacks", origin,
                     allow[k].line, allow[k].name);
        else
            continue; /* lack lines were judged above */
        report(user, msg);
        problems++;
    }
    for (size_t k = 0; k < nrows; k++)
        if (cd_chipdb_get(db, k)->type == CD_CHIP_NOR && !seen[k])
            st->rows_only_here++;
    free(seen);
    cd_flashrom_chips_free(fr);
    allow_free(allow, nallow);
    return problems;
}

/* ---------------------------------------------------------------- the programmer */

struct frprog {
    struct flashrom_programmer *prog;
    bool open;
    char name[64]; /* flashrom's programmer name */
};

struct frflash {
    struct flashrom_flashctx *ctx;
    size_t size;
    uint8_t *newbuf, *refbuf; /* chip-sized: flashrom's image calls take whole images */
    struct cd_chip synth;     /* the row when the database has none for the chip */
    char synth_name[128], synth_vendor[64];
};

static int fr_flash_probe(struct flashrom_flashctx **ctx, const char *chip)
{
    return flashrom_flash_probe(ctx, NULL, chip);
}

static int set_region(struct frflash *ff, uint64_t off, uint64_t len,
                      struct flashrom_layout **layout)
{
    *layout = NULL;
    if (off == 0 && len == ff->size)
        return CD_OK; /* flashrom's default layout is the whole chip */
    if (flashrom_layout_new(layout) ||
        flashrom_layout_add_region(*layout, (size_t)off, (size_t)(off + len - 1), "chipdump") ||
        flashrom_layout_include_region(*layout, "chipdump")) {
        flashrom_layout_release(*layout);
        *layout = NULL;
        return CD_E_NOMEM;
    }
    flashrom_layout_set(ff->ctx, *layout);
    return CD_OK;
}

static void clear_region(struct frflash *ff, struct flashrom_layout *layout)
{
    if (!layout)
        return;
    flashrom_layout_set(ff->ctx, NULL);
    flashrom_layout_release(layout);
}

static int need_bufs(struct frflash *ff, bool ref)
{
    if (!ff->newbuf && !(ff->newbuf = malloc(ff->size)))
        return CD_E_NOMEM;
    if (ref && !ff->refbuf && !(ff->refbuf = malloc(ff->size)))
        return CD_E_NOMEM;
    return CD_OK;
}

static int fr_read(struct cd_flash *f, uint64_t off, void *buf, size_t len)
{
    struct frflash *ff = f->priv;
    struct flashrom_layout *layout;
    int r = need_bufs(ff, false);
    if (!r)
        r = set_region(ff, off, len, &layout);
    if (r)
        return r;
    clear_errors();
    int fr = flashrom_image_read(ff->ctx, ff->newbuf, ff->size);
    clear_region(ff, layout);
    if (fr)
        return cd_fail(CD_E_IO, "flashrom could not read 0x%llx+0x%zx%s", (unsigned long long)off,
                       len, flashrom_says());
    memcpy(buf, ff->newbuf + off, len);
    return CD_OK;
}

static int fr_erase(struct cd_flash *f, uint64_t off, uint64_t size)
{
    struct frflash *ff = f->priv;
    struct flashrom_layout *layout;
    int r = set_region(ff, off, size, &layout);
    if (r)
        return r;
    clear_errors();
    int fr = flashrom_flash_erase(ff->ctx);
    clear_region(ff, layout);
    if (fr)
        return cd_fail(CD_E_ERASE_FAIL, "flashrom could not erase 0x%llx+0x%llx%s",
                       (unsigned long long)off, (unsigned long long)size, flashrom_says());
    return CD_OK;
}

static int fr_write_region(struct cd_flash *f, uint64_t off, const uint8_t *data,
                           const uint8_t *current, size_t len)
{
    struct frflash *ff = f->priv;
    struct flashrom_layout *layout;
    int r = need_bufs(ff, true);
    if (!r)
        r = set_region(ff, off, len, &layout);
    if (r)
        return r;
    memcpy(ff->newbuf + off, data, len);
    memcpy(ff->refbuf + off, current, len);
    /* chipdump verifies afterwards itself (and flashrom would wait 1 s before each verify) */
    flashrom_flag_set(ff->ctx, FLASHROM_FLAG_VERIFY_AFTER_WRITE, false);
    flashrom_flag_set(ff->ctx, FLASHROM_FLAG_VERIFY_WHOLE_CHIP, false);
    clear_errors();
    int fr = flashrom_image_write(ff->ctx, ff->newbuf, ff->size, ff->refbuf);
    clear_region(ff, layout);
    if (fr == 0)
        return CD_OK;
    if (fr == 2)
        return cd_fail(CD_E_PROGRAM_FAIL,
                       "flashrom's erase/write of 0x%llx+0x%zx failed and the chip's contents "
                       "changed: write again, or restore the backup%s",
                       (unsigned long long)off, len, flashrom_says());
    return cd_fail(CD_E_PROGRAM_FAIL, "flashrom could not write 0x%llx+0x%zx (chip unchanged)%s",
                   (unsigned long long)off, len, flashrom_says());
}

static int fr_verify_region(struct cd_flash *f, uint64_t off, const uint8_t *data, size_t len,
                            uint64_t *first_diff)
{
    struct frflash *ff = f->priv;
    struct flashrom_layout *layout;
    int r = need_bufs(ff, false);
    if (!r)
        r = set_region(ff, off, len, &layout);
    if (r)
        return r;
    memcpy(ff->newbuf + off, data, len);
    clear_errors();
    int fr = flashrom_image_verify(ff->ctx, ff->newbuf, ff->size);
    clear_region(ff, layout);
    if (fr == 0)
        return CD_OK;
    if (fr != 3)
        return cd_fail(CD_E_IO, "flashrom could not verify 0x%llx+0x%zx%s", (unsigned long long)off,
                       len, flashrom_says());
    /* flashrom says only "differs": read the region to name the first differing byte */
    uint8_t *buf = malloc(len);
    if (!buf)
        return CD_E_NOMEM;
    if ((r = fr_read(f, off, buf, len))) {
        free(buf);
        return r;
    }
    size_t i = 0;
    while (i < len && buf[i] == data[i])
        i++;
    if (i == len) {
        free(buf);
        return cd_fail(CD_E_VERIFY,
                       "flashrom's verify of 0x%llx+0x%zx failed but a read matches (unstable "
                       "reads?)",
                       (unsigned long long)off, len);
    }
    if (first_diff)
        *first_diff = off + i;
    r = cd_fail(CD_E_VERIFY, "first difference at offset 0x%llx: chip has 0x%02X, file has 0x%02X",
                (unsigned long long)(off + i), buf[i], data[i]);
    free(buf);
    return r;
}

static void fr_flash_close(struct cd_flash *f)
{
    struct frflash *ff = f->priv;
    if (!ff)
        return;
    flashrom_flash_release(ff->ctx);
    free(ff->newbuf);
    free(ff->refbuf);
    free(ff);
}

static const struct cd_flash_ops fr_flash_ops = {
    .read = fr_read,
    .erase = fr_erase,
    .write_region = fr_write_region,
    .verify_region = fr_verify_region,
    .close = fr_flash_close,
};

/* From a capture of probe output: the chip flashrom found ("Found Winbond flash chip
 * "W25Q128.V" (16384 kB, SPI) on dummy.") and the ID its probe compared ("compare_id: id1
 * 0xef, id2 0x4018" on the line that probed it). */
static bool parse_found(const char *log, char *name, size_t namesz, char *vendor, size_t vsz,
                        uint8_t id[3], bool *have_id)
{
    const char *found = NULL;
    for (const char *p = log; (p = strstr(p, "Found ")); p++)
        if (strstr(p, " flash chip \"") && (p == log || p[-1] == '\n'))
            found = p;
    if (!found)
        return false;
    const char *q = strstr(found, " flash chip \"");
    const char *end = strchr(q + 13, '"');
    if (!end)
        return false;
    snprintf(name, namesz, "%.*s", (int)(end - (q + 13)), q + 13);
    snprintf(vendor, vsz, "%.*s", (int)(q - (found + 6)), found + 6);
    *have_id = false;
    /* the last "Probing for VENDOR NAME, " line before it */
    char needle[256];
    snprintf(needle, sizeof(needle), "Probing for %s %s, ", vendor, name);
    const char *probe = NULL;
    for (const char *p = log; (p = strstr(p, needle)) && p < found; p++)
        probe = p;
    if (probe) {
        const char *eol = strchr(probe, '\n');
        const char *c = strstr(probe, "compare_id: id1 0x");
        unsigned id1, id2;
        if (c && (!eol || c < eol) &&
            sscanf(c, "compare_id: id1 0x%x, id2 0x%x", &id1, &id2) == 2 && id1 <= 0xFF &&
            id2 <= 0xFFFF) {
            id[0] = (uint8_t)id1;
            id[1] = (uint8_t)(id2 >> 8);
            id[2] = (uint8_t)id2;
            *have_id = true;
        }
    }
    return true;
}

/* flashrom's names of the rows that name this chip (for --chip), in flashrom's order. */
static size_t flashrom_names_for(const struct cd_chip *row, const char **names, size_t max,
                                 struct flashrom_flashchip_info *info)
{
    size_t n = 0;
    for (size_t i = 0; info[i].name && n < max; i++)
        if ((uint64_t)info[i].total_size * 1024 == row->size &&
            cd_flashrom_is_row(info[i].name, row))
            names[n++] = info[i].name;
    return n;
}

/* Which database rows the chip flashrom found is: by ID (same size) when the ID is known,
 * else by name; rows that also carry flashrom's name first. */
static void map_rows(const struct cd_chipdb *db, const char *frname, uint64_t size,
                     struct cd_probe *probe)
{
    const struct cd_chip *byid[8];
    size_t nid = 0;
    if (probe->id_len)
        nid =
            cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, probe->id, probe->id_len, byid, 8);
    probe->nmatches = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nid; i++) {
            if (byid[i]->size != size || cd_flashrom_is_row(frname, byid[i]) != (pass == 0))
                continue;
            if (probe->nmatches < 8)
                probe->matches[probe->nmatches++] = byid[i];
        }
    }
    if (!probe->nmatches && !nid) {
        for (size_t i = 0; i < cd_chipdb_count(db) && probe->nmatches < 8; i++) {
            const struct cd_chip *c = cd_chipdb_get(db, i);
            if (c->type == CD_CHIP_NOR && c->size == size && cd_flashrom_is_row(frname, c))
                probe->matches[probe->nmatches++] = c;
        }
    }
    probe->chip = probe->nmatches ? probe->matches[0] : NULL;
}

/* Every flashrom chip that answers, probing them one by one by name (flashrom's own probe
 * stops at the second). names point into info. */
static size_t answering(struct flashrom_flashchip_info *info, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; info && info[i].name && n < max; i++) {
        struct flashrom_flashctx *ctx = NULL;
        if (is_generic(info[i].vendor, info[i].name) || fr_flash_probe(&ctx, info[i].name) != 0)
            continue;
        flashrom_flash_release(ctx);
        names[n++] = info[i].name;
    }
    return n;
}

/* "'MX25L6405D' (chipdump: MX25L6405D), 'MX25L6436E/...' (chipdump: ...)" */
static void choice_list(const struct cd_chipdb *db, struct flashrom_flashchip_info *info,
                        const char *const *names, size_t n, char *buf, size_t bufsz)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < bufsz; i++) {
        uint64_t size = 0;
        for (size_t k = 0; info[k].name; k++)
            if (info[k].name == names[i])
                size = (uint64_t)info[k].total_size * 1024;
        len += (size_t)snprintf(buf + len, bufsz - len, "%s'%s'", i ? ", " : "", names[i]);
        size_t no = 0;
        for (size_t k = 0; k < cd_chipdb_count(db) && len + 1 < bufsz; k++) {
            const struct cd_chip *c = cd_chipdb_get(db, k);
            if (c->type != CD_CHIP_NOR || c->size != size || !cd_flashrom_is_row(names[i], c))
                continue;
            len += (size_t)snprintf(buf + len, bufsz - len, "%s%s",
                                    no++ ? ", " : " (chipdump: ", c->name);
        }
        if (no && len + 1 < bufsz)
            len += (size_t)snprintf(buf + len, bufsz - len, ")");
    }
}

static int fr_open_flash(struct cd_programmer *p, const struct cd_chipdb *db,
                         const struct cd_chip *named, const char *name, struct cd_flash **out,
                         struct cd_probe *probe)
{
    struct frprog *fp = p->priv;
    *out = NULL;
    memset(probe, 0, sizeof(*probe));
    struct flashrom_flashctx *ctx = NULL;
    char frname[128] = "", frvendor[64] = "";
    uint8_t id[3];
    bool have_id = false;
    int r = 2;
    const char *log;

    /* 1. the chip the user named, under each of flashrom's names for it */
    if (named) {
        struct flashrom_flashchip_info *info = flashrom_supported_flash_chips();
        const char *names[16];
        size_t n = info ? flashrom_names_for(named, names, 16, info) : 0;
        for (size_t i = 0; i < n && r; i++) {
            capture_start();
            r = fr_flash_probe(&ctx, names[i]);
            log = capture_stop();
            if (!r &&
                !parse_found(log, frname, sizeof(frname), frvendor, sizeof(frvendor), id, &have_id))
                snprintf(frname, sizeof(frname), "%s", names[i]);
        }
        flashrom_data_free(info);
    } else if (name) {
        char exact[128];
        if (!known_flashrom_name(name, exact, sizeof(exact)))
            return cd_fail(CD_E_UNKNOWN_CHIP, "neither chipdump nor flashrom knows a chip '%s'",
                           name);
        capture_start();
        r = fr_flash_probe(&ctx, exact);
        log = capture_stop();
        if (!r &&
            !parse_found(log, frname, sizeof(frname), frvendor, sizeof(frvendor), id, &have_id))
            snprintf(frname, sizeof(frname), "%s", exact);
    }

    /* 2. nothing named, or the named chip did not answer: what is there? */
    if (r) {
        clear_errors();
        capture_start();
        int any = fr_flash_probe(&ctx, NULL);
        log = capture_stop();
        if (any == 2)
            return cd_fail(named || name ? CD_E_ID_MISMATCH : CD_E_NO_CHIP,
                           "flashrom finds no chip%s%s%s%s",
                           named || name ? " at all (--chip " : "",
                           named  ? named->name
                           : name ? name
                                  : "",
                           named || name ? ")" : "", flashrom_says());
        if (any && any != 3)
            return cd_fail(CD_E_IO, "flashrom's probe failed%s", flashrom_says());
        bool parsed = !any && parse_found(log, frname, sizeof(frname), frvendor, sizeof(frvendor),
                                          id, &have_id);
        if (!parsed) {
            /* several chips answer, or the log did not say which one: ask chip by chip */
            struct flashrom_flashchip_info *info = flashrom_supported_flash_chips();
            const char *names[16];
            size_t n = answering(info, names, 16);
            if (n == 1 && !any) {
                snprintf(frname, sizeof(frname), "%s", names[0]);
            } else {
                flashrom_flash_release(ctx);
                char list[2048];
                choice_list(db, info, names, n, list, sizeof(list));
                int e = named || name
                            ? cd_fail(CD_E_ID_MISMATCH,
                                      "--chip names %s, but the chips flashrom finds here are: %s",
                                      named ? named->name : name, list)
                            : cd_fail(CD_E_AMBIGUOUS_CHIP,
                                      "several of flashrom's chips answer like this one: %s; name "
                                      "one with --chip (chipdump's or flashrom's name)",
                                      list);
                flashrom_data_free(info);
                return e;
            }
            flashrom_data_free(info);
        }
        if (named || name) {
            /* the same chip under a name flashrom does not use? only if the IDs say so */
            bool same = named && have_id && named->id_len >= 3 && !memcmp(named->id, id, 3) &&
                        flashrom_flash_getsize(ctx) == named->size;
            if (!same) {
                flashrom_flash_release(ctx);
                return cd_fail(CD_E_ID_MISMATCH,
                               "the chip answers as flashrom's %s%s%s, but --chip names %s "
                               "(libflashrom cannot be forced to another chip)",
                               frvendor, frvendor[0] ? " " : "", frname,
                               named ? named->name : name);
            }
        }
    }

    size_t size = flashrom_flash_getsize(ctx);
    if (have_id) {
        memcpy(probe->id, id, 3);
        probe->id_len = 3;
    }
    snprintf(probe->found_as, sizeof(probe->found_as), "flashrom: %.30s%s%.80s", frvendor,
             frvendor[0] ? " " : "", frname);
    map_rows(db, frname, size, probe);
    if (named && named->size == size)
        probe->chip = named;

    struct cd_flash *f = calloc(1, sizeof(*f));
    struct frflash *ff = calloc(1, sizeof(*ff));
    if (!f || !ff) {
        free(f);
        free(ff);
        flashrom_flash_release(ctx);
        return CD_E_NOMEM;
    }
    ff->ctx = ctx;
    ff->size = size;
    if (!probe->chip) {
        /* flashrom knows the chip and we do not: describe what libflashrom tells */
        struct cd_chip *c = &ff->synth;
        snprintf(ff->synth_name, sizeof(ff->synth_name), "%s", frname);
        snprintf(ff->synth_vendor, sizeof(ff->synth_vendor), "%s", frvendor[0] ? frvendor : "?");
        c->name = ff->synth_name;
        c->vendor = ff->synth_vendor;
        c->type = CD_CHIP_NOR;
        c->size = size;
        c->page_size = 256;
        /* libflashrom 1.3 does not tell the erase blocks; flashrom handles partial blocks
         * itself, 4 KiB is only chipdump's unit for ranges and re-reads */
        c->erase[0] = (struct cd_erase_type){.size = size < 4096 ? (uint32_t)size : 4096};
        c->nerase = 1;
        c->source = "libflashrom's chip list (not in chipdump's database)";
        if (have_id) {
            memcpy(c->id, id, 3);
            c->id_len = 3;
        }
    }
    f->ops = &fr_flash_ops;
    f->chip = probe->chip ? probe->chip : &ff->synth;
    f->prog = p;
    f->priv = ff;
    if (!have_id && probe->chip) {
        /* libflashrom did not log the ID: the row's, so manifests still carry one */
        memcpy(probe->id, probe->chip->id, probe->chip->id_len);
        probe->id_len = probe->chip->id_len;
    }

    char desc[512];
    snprintf(desc, sizeof(desc), "%s (flashrom chip %s)", p->description, frname);
    char *d = strdup(desc);
    if (d) {
        free(p->description);
        p->description = d;
    }
    (void)fp;
    *out = f;
    return CD_OK;
}

static void fr_close(struct cd_programmer *p)
{
    struct frprog *fp = p->priv;
    if (!fp)
        return;
    if (fp->open)
        flashrom_programmer_shutdown(fp->prog);
    free(fp);
}

static const struct cd_programmer_ops fr_ops = {
    .name = "flashrom",
    .open_flash = fr_open_flash,
    .close = fr_close,
};

/* "Error: Unknown programmer "x". Valid choices are:" then the names, comma-separated. */
static int unknown_programmer(const char *log, const char *name)
{
    const char *v = strstr(log, "Valid choices are:");
    char list[1024] = "";
    if (v) {
        size_t n = 0;
        for (const char *s = v + 18; *s && n + 2 < sizeof(list); s++) {
            if (*s == '\n') {
                if (n && list[n - 1] != ' ')
                    list[n++] = ' ';
                continue;
            }
            list[n++] = *s;
        }
        list[n] = '\0';
        char *t = trim(list);
        size_t tl = strlen(t);
        if (tl && t[tl - 1] == '.')
            t[tl - 1] = '\0';
        memmove(list, t, strlen(t) + 1);
    }
    return cd_fail(CD_E_ARG, "flashrom has no programmer '%s'%s%s%s", name,
                   list[0] ? " (it has: " : "", list, list[0] ? ")" : "");
}

int cd_flashrom_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                     struct cd_programmer **out)
{
    (void)db;
    (void)chip_hint;
    *out = NULL;
    size_t nl = strcspn(params, ":");
    if (nl == 0)
        return cd_fail(CD_E_ARG, "which flashrom programmer? use -p flashrom:NAME[:PARAMS], "
                                 "e.g. -p flashrom:ch341a_spi or "
                                 "-p flashrom:linux_spi:dev=/dev/spidev0.0");
    struct frprog *fp = calloc(1, sizeof(*fp));
    struct cd_programmer *p = calloc(1, sizeof(*p));
    if (!fp || !p) {
        free(fp);
        free(p);
        return CD_E_NOMEM;
    }
    p->ops = &fr_ops;
    p->priv = fp;
    p->kind = "flashrom";
    snprintf(fp->name, sizeof(fp->name), "%.*s", (int)(nl < 63 ? nl : 63), params);
    const char *fparams = params[nl] == ':' ? params + nl + 1 : "";
    char desc[4200];
    snprintf(desc, sizeof(desc), "flashrom:%s%s%s%s", fp->name, *fparams ? " (" : "", fparams,
             *fparams ? ")" : "");
    p->description = strdup(desc);
    int r = p->description ? lib_init() : CD_E_NOMEM;
    if (r) {
        cd_programmer_close(p);
        return r;
    }
    clear_errors();
    capture_start();
    int ir = flashrom_programmer_init(&fp->prog, fp->name, *fparams ? fparams : NULL);
    const char *log = capture_stop();
    if (ir) {
        if (strstr(log, "Unknown programmer"))
            r = unknown_programmer(log, fp->name);
        else if (strstr(log, "Unhandled programmer parameters") || strstr(log, "nvalid") ||
                 strstr(log, "Unknown parameter"))
            r = cd_fail(CD_E_ARG, "flashrom:%s rejects its parameters '%s'%s", fp->name, fparams,
                        flashrom_says());
        else
            r = cd_fail(CD_E_NO_DEVICE, "flashrom could not start programmer %s%s", fp->name,
                        flashrom_says());
        cd_programmer_close(p);
        return r;
    }
    fp->open = true;
    *out = p;
    return CD_OK;
}
