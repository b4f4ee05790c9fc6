/*
 * Chip database rows from INI text (the format is docs/chipdb.md).
 *
 * libinih does the INI syntax. Debian builds it without line numbers in the handler, so we
 * feed it through our own line reader (read_line) that counts lines: inih processes each line
 * right after reading it, so at handler time p->line is the line being handled. The reader
 * also sees section headers before inih does, which is where the previous section is turned
 * into a row (finish_section): inih never calls the handler for an empty section.
 *
 * A section's keys are first collected as text (with their line numbers), then converted once
 * the whole section is known, because fields depend on each other (t_erase names sizes from
 * erase, NAND sizes multiply out of several keys) and may come in any order.
 *
 * The first error (lowest line) wins; the whole text is still read so that an error found
 * late (a missing field, reported at the section's line) can still beat a later one.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "chipdb_internal.h"
#include "chipdb_values.h"
#include "chipdump/error.h"

/* Conversion order matters only in that later steps may use earlier results. */
enum key {
    K_TYPE,
    K_VENDOR,
    K_ID,
    K_ALIASES,
    K_ID_GROUP,
    K_SIZE,
    K_PAGE,
    K_VOLTAGE,
    K_SOURCE,
    K_T_PROGRAM,
    K_T_ERASE,
    /* NOR */
    K_ERASE,
    K_ERASE4,
    K_CHIP_ERASE,
    K_ADDR4,
    K_PROTECT,
    K_SFDP,
    /* NAND */
    K_READ_ID,
    K_OOB,
    K_PAGES_PER_BLOCK,
    K_BLOCKS,
    K_PLANES,
    K_DIES,
    K_ECC,
    K_ECC_STATUS,
    K_T_READ,
    K_CACHE_DUMMY,
    K_DIE_SELECT,
    K_CONT_READ,
    NKEYS
};

#define F_NOR      1u /* allowed in NOR rows */
#define F_NAND     2u /* allowed in NAND rows */
#define F_REQ_NOR  4u /* required in NOR rows */
#define F_REQ_NAND 8u /* required in NAND rows */
#define F_ALL      (F_NOR | F_NAND)
#define F_REQ      (F_ALL | F_REQ_NOR | F_REQ_NAND)

static const struct {
    const char *name;
    unsigned flags;
} keys[NKEYS] = {
    [K_TYPE] = {"type", F_REQ},
    [K_VENDOR] = {"vendor", F_REQ},
    [K_ID] = {"id", F_REQ},
    [K_ALIASES] = {"aliases", F_ALL},
    [K_ID_GROUP] = {"id_group", F_ALL},
    [K_SIZE] = {"size", F_ALL | F_REQ_NOR},
    [K_PAGE] = {"page", F_REQ},
    [K_VOLTAGE] = {"voltage", F_REQ},
    [K_SOURCE] = {"source", F_REQ},
    [K_T_PROGRAM] = {"t_program", F_ALL},
    [K_T_ERASE] = {"t_erase", F_ALL},
    [K_ERASE] = {"erase", F_NOR | F_REQ_NOR},
    [K_ERASE4] = {"erase4", F_NOR},
    [K_CHIP_ERASE] = {"chip_erase", F_NOR},
    [K_ADDR4] = {"addr4", F_NOR},
    [K_PROTECT] = {"protect", F_NOR},
    [K_SFDP] = {"sfdp", F_NOR},
    [K_READ_ID] = {"read_id", F_NAND | F_REQ_NAND},
    [K_OOB] = {"oob", F_NAND | F_REQ_NAND},
    [K_PAGES_PER_BLOCK] = {"pages_per_block", F_NAND | F_REQ_NAND},
    [K_BLOCKS] = {"blocks", F_NAND | F_REQ_NAND},
    [K_PLANES] = {"planes", F_NAND},
    [K_DIES] = {"dies", F_NAND},
    [K_ECC] = {"ecc", F_NAND | F_REQ_NAND},
    [K_ECC_STATUS] = {"ecc_status", F_NAND | F_REQ_NAND},
    [K_T_READ] = {"t_read", F_NAND},
    [K_CACHE_DUMMY] = {"cache_dummy", F_NAND},
    [K_DIE_SELECT] = {"die_select", F_NAND},
    [K_CONT_READ] = {"cont_read", F_NAND},
};

struct parser {
    const char *origin;
    struct cd_chip_list *out;

    /* the reader */
    const char *pos; /* rest of the text */
    int line;        /* number of the line inih is handling */
    bool indented;   /* that line starts with white space (inih: a continuation line) */

    /* the section being collected */
    bool in_section;
    char *name;
    int name_line;
    int last_key; /* key of the previous line of this section, -1 if none */
    struct {
        char *val; /* NULL = not given */
        int line;
    } f[NKEYS];

    /* the first error */
    int err_code; /* 0 = none yet */
    int err_line;
    char err[512];
};

static void perr(struct parser *p, int line, const char *chip, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void perr(struct parser *p, int line, const char *chip, const char *fmt, ...)
{
    if (p->err_code && line >= p->err_line)
        return;
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (chip)
        snprintf(p->err, sizeof(p->err), "%s:%d: %s: %s", p->origin, line, chip, msg);
    else
        snprintf(p->err, sizeof(p->err), "%s:%d: %s", p->origin, line, msg);
    p->err_code = CD_E_CHIPDB;
    p->err_line = line;
}

static void oom(struct parser *p)
{
    snprintf(p->err, sizeof(p->err), "%s: out of memory", p->origin);
    p->err_code = CD_E_NOMEM;
    p->err_line = 0; /* beats every other error */
}

/* Error in field k of the current section; returns false for `return ferr(...)`. */
static bool ferr(struct parser *p, enum key k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool ferr(struct parser *p, enum key k, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    perr(p, p->f[k].line, p->name, "field '%s': %s", keys[k].name, msg);
    return false;
}

/* ---- fields ---- */

static bool field_word(struct parser *p, enum key k, const char *const *words, size_t n,
                       unsigned *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(p->f[k].val, words[i]) == 0) {
            *out = (unsigned)i;
            return true;
        }
    }
    char list[128] = "";
    for (size_t i = 0; i < n; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, words[i], sizeof(list) - strlen(list) - 1);
    }
    return ferr(p, k, "bad value '%s' (expected one of: %s)", p->f[k].val, list);
}

static bool field_string(struct parser *p, enum key k, char **out)
{
    *out = strdup(p->f[k].val);
    if (!*out)
        oom(p);
    return *out != NULL;
}

static bool field_size(struct parser *p, enum key k, uint64_t max, uint64_t *out)
{
    if (!chipdb_parse_size(p->f[k].val, max, out))
        return ferr(p, k, "bad size '%s'", p->f[k].val);
    return true;
}

static bool field_count(struct parser *p, enum key k, uint64_t max, uint64_t *out)
{
    if (!chipdb_parse_uint(p->f[k].val, max, out) || *out == 0)
        return ferr(p, k, "bad number '%s' (expected 1 to %llu)", p->f[k].val,
                    (unsigned long long)max);
    return true;
}

static bool field_times(struct parser *p, enum key k, bool to_ms, uint32_t *typ, uint32_t *max)
{
    if (!chipdb_parse_times(p->f[k].val, to_ms, typ, max))
        return ferr(p, k, "bad time '%s' (expected TYP/MAX with unit us, ms or s, e.g. 45/400ms)",
                    p->f[k].val);
    return true;
}

static bool field_id(struct parser *p, struct cd_chip *c)
{
    char *save, *tok;
    for (tok = strtok_r(p->f[K_ID].val, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (c->id_len == CD_MAX_ID_LEN)
            return ferr(p, K_ID, "more than %d bytes", CD_MAX_ID_LEN);
        if (!chipdb_parse_hex_byte(tok, &c->id[c->id_len]))
            return ferr(p, K_ID, "bad hex byte '%s' (expected bytes like 'EF 40 18')", tok);
        c->id_len++;
    }
    return true;
}

static bool field_aliases(struct parser *p, struct cd_chip *c)
{
    char *save, *tok;
    for (tok = strtok_r(p->f[K_ALIASES].val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = chipdb_trim(tok);
        const char *why = chipdb_name_problem(tok);
        if (why)
            return ferr(p, K_ALIASES, "bad alias '%s': %s", tok, why);
        if (c->naliases == CD_MAX_ALIASES)
            return ferr(p, K_ALIASES, "more than %d aliases", CD_MAX_ALIASES);
        c->aliases[c->naliases] = strdup(tok);
        if (!c->aliases[c->naliases]) {
            oom(p);
            return false;
        }
        c->naliases++;
    }
    if (c->naliases == 0)
        return ferr(p, K_ALIASES, "no alias given");
    return true;
}

/* "2.7-3.6" -> millivolts */
static bool field_voltage(struct parser *p, struct cd_chip *c)
{
    char *v = p->f[K_VOLTAGE].val;
    char *dash = strchr(v, '-');
    uint64_t lo, hi;
    if (dash) {
        *dash = '\0';
        bool ok = chipdb_parse_milli(chipdb_trim(v), &lo) &&
                  chipdb_parse_milli(chipdb_trim(dash + 1), &hi) && lo > 0 && lo <= UINT16_MAX &&
                  hi <= UINT16_MAX;
        *dash = '-';
        if (ok) {
            c->vmin_mv = (uint16_t)lo;
            c->vmax_mv = (uint16_t)hi;
            return true;
        }
    }
    return ferr(p, K_VOLTAGE, "bad voltage '%s' (expected MIN-MAX in volts, e.g. 2.7-3.6)", v);
}

/* "4K:20 32K:52 64K:D8" */
static bool field_erase_list(struct parser *p, enum key k, uint32_t *sizes, uint8_t *ops,
                             unsigned *n)
{
    char *save, *tok;
    *n = 0;
    for (tok = strtok_r(p->f[k].val, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon)
            return ferr(p, k, "bad erase type '%s' (expected SIZE:OPCODE, e.g. 4K:20)", tok);
        *colon = '\0';
        uint64_t size;
        if (!chipdb_parse_size(tok, UINT32_MAX, &size))
            return ferr(p, k, "bad size '%s'", tok);
        if (!chipdb_parse_hex_byte(colon + 1, &ops[*n]))
            return ferr(p, k, "bad opcode '%s' (expected two hex digits)", colon + 1);
        if (*n == CD_MAX_ERASE_TYPES)
            return ferr(p, k, "more than %d erase types", CD_MAX_ERASE_TYPES);
        sizes[(*n)++] = (uint32_t)size;
    }
    return true;
}

static bool field_erase(struct parser *p, struct cd_chip *c)
{
    uint32_t sizes[CD_MAX_ERASE_TYPES + 1];
    uint8_t ops[CD_MAX_ERASE_TYPES + 1];
    if (!field_erase_list(p, K_ERASE, sizes, ops, &c->nerase))
        return false;
    for (unsigned i = 0; i < c->nerase; i++) {
        c->erase[i].size = sizes[i];
        c->erase[i].opcode = ops[i];
    }
    if (!p->f[K_ERASE4].val)
        return true;

    unsigned n;
    if (!field_erase_list(p, K_ERASE4, sizes, ops, &n))
        return false;
    for (unsigned j = 0; j < n; j++) {
        unsigned i = 0;
        while (i < c->nerase && c->erase[i].size != sizes[j])
            i++;
        char sz[24];
        chipdb_fmt_size(sizes[j], sz, sizeof(sz));
        if (i == c->nerase)
            return ferr(p, K_ERASE4, "size %s is not in 'erase'", sz);
        if (c->erase[i].opcode4)
            return ferr(p, K_ERASE4, "size %s given twice", sz);
        c->erase[i].opcode4 = ops[j];
    }
    return true;
}

/* Datasheet-free fallbacks (docs/chipdb.md); larger sizes scale the 64K numbers. */
static void default_erase_time(uint32_t size, uint32_t *typ, uint32_t *max)
{
    if (size <= 4096) {
        *typ = 50;
        *max = 400;
    } else if (size <= 32768) {
        *typ = 150;
        *max = 1600;
    } else {
        uint32_t n = (uint32_t)(((uint64_t)size + 65535) / 65536);
        *typ = 200 * n;
        *max = 2000 * n;
    }
}

/* NOR "4K:45/400ms ... chip:40/200s"; NAND "block:3/10ms". */
static bool field_t_erase(struct parser *p, struct cd_chip *c)
{
    char *save, *tok;
    bool seen_chip = false, seen[CD_MAX_ERASE_TYPES] = {false};
    for (tok = strtok_r(p->f[K_T_ERASE].val, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon)
            return ferr(p, K_T_ERASE, "bad entry '%s' (expected %s:TYP/MAX, e.g. %s)", tok,
                        c->type == CD_CHIP_NOR ? "SIZE" : "block",
                        c->type == CD_CHIP_NOR ? "4K:45/400ms" : "block:3/10ms");
        *colon = '\0';
        uint32_t typ, max;
        if (!chipdb_parse_times(colon + 1, true, &typ, &max))
            return ferr(p, K_T_ERASE,
                        "bad time '%s' (expected TYP/MAX with unit us, ms or s, e.g. 45/400ms)",
                        colon + 1);
        bool *dup;
        if (c->type == CD_CHIP_NAND) {
            if (strcasecmp(tok, "block") != 0)
                return ferr(p, K_T_ERASE, "bad entry '%s' (NAND rows only have 'block')", tok);
            dup = &seen[0];
            c->erase[0].typ_ms = typ;
            c->erase[0].max_ms = max;
        } else if (strcasecmp(tok, "chip") == 0) {
            if (!c->chip_erase_opcode)
                return ferr(p, K_T_ERASE, "'chip' time given but chip_erase = none");
            dup = &seen_chip;
            c->chip_erase_typ_ms = typ;
            c->chip_erase_max_ms = max;
        } else {
            uint64_t size;
            if (!chipdb_parse_size(tok, UINT32_MAX, &size))
                return ferr(p, K_T_ERASE, "bad size '%s'", tok);
            unsigned i = 0;
            while (i < c->nerase && c->erase[i].size != size)
                i++;
            if (i == c->nerase)
                return ferr(p, K_T_ERASE, "size %s is not in 'erase'", tok);
            dup = &seen[i];
            c->erase[i].typ_ms = typ;
            c->erase[i].max_ms = max;
        }
        if (*dup)
            return ferr(p, K_T_ERASE, "'%s' given twice", tok);
        *dup = true;
    }
    return true;
}

static bool field_addr4(struct parser *p, struct cd_chip *c)
{
    static const char *const words[] = {"mode", "opcodes", "only"};
    char *save, *tok;
    if (strcasecmp(p->f[K_ADDR4].val, "none") == 0)
        return true;
    for (tok = strtok_r(p->f[K_ADDR4].val, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        unsigned i = 0;
        while (i < 3 && strcasecmp(tok, words[i]) != 0)
            i++;
        if (i == 3)
            return ferr(p, K_ADDR4, "bad word '%s' (expected mode, opcodes and/or only)", tok);
        if (c->addr4 & (1u << i))
            return ferr(p, K_ADDR4, "'%s' given twice", tok);
        c->addr4 |= 1u << i;
    }
    return true;
}

static bool build_nor(struct parser *p, struct cd_chip *c)
{
    static const char *const protect[] = {"none", "bp2", "bp3", "bp3-tb", "bp4"};
    static const uint8_t protect_bits[] = {0, 2, 3, 3, 4};
    static const char *const yes_no[] = {"no", "yes"};
    unsigned w = 0;

    c->readid = CD_READID_OPCODE;
    if (!field_erase(p, c))
        return false;

    c->chip_erase_opcode = 0xC7;
    if (p->f[K_CHIP_ERASE].val) {
        const char *v = p->f[K_CHIP_ERASE].val;
        if (strcasecmp(v, "none") == 0)
            c->chip_erase_opcode = 0;
        else if (strcasecmp(v, "C7") == 0 || strcmp(v, "60") == 0)
            c->chip_erase_opcode = (uint8_t)strtoul(v, NULL, 16);
        else
            return ferr(p, K_CHIP_ERASE, "bad value '%s' (expected C7, 60 or none)", v);
    }

    for (unsigned i = 0; i < c->nerase; i++)
        default_erase_time(c->erase[i].size, &c->erase[i].typ_ms, &c->erase[i].max_ms);
    if (c->chip_erase_opcode) {
        /* 1 s typical and 5 s maximum per started MiB */
        uint64_t mib = (c->size + (1u << 20) - 1) >> 20;
        uint64_t max = 5000 * mib;
        c->chip_erase_typ_ms = (uint32_t)(max > UINT32_MAX ? UINT32_MAX / 5 : 1000 * mib);
        c->chip_erase_max_ms = (uint32_t)(max > UINT32_MAX ? UINT32_MAX : max);
    }
    if (p->f[K_T_ERASE].val && !field_t_erase(p, c))
        return false;

    c->pp_typ_us = 700;
    c->pp_max_us = 5000;
    if (p->f[K_T_PROGRAM].val && !field_times(p, K_T_PROGRAM, false, &c->pp_typ_us, &c->pp_max_us))
        return false;

    if (p->f[K_ADDR4].val && !field_addr4(p, c))
        return false;

    c->bp_bits = 3;
    if (p->f[K_PROTECT].val) {
        if (!field_word(p, K_PROTECT, protect, 5, &w))
            return false;
        c->bp_bits = protect_bits[w];
        c->has_tb = w == 3;
    }
    if (p->f[K_SFDP].val) {
        if (!field_word(p, K_SFDP, yes_no, 2, &w))
            return false;
        c->has_sfdp = w == 1;
    }
    return true;
}

static bool build_nand(struct parser *p, struct cd_chip *c, bool size_given)
{
    static const char *const forms[] = {"opcode", "addr", "dummy"};
    unsigned w = 0;
    uint64_t v, ppb, blocks;

    if (!field_word(p, K_READ_ID, forms, 3, &w))
        return false;
    c->readid = (enum cd_readid_form)w;
    if (!field_size(p, K_OOB, UINT32_MAX, &v))
        return false;
    c->oob_size = (uint32_t)v;
    if (!field_count(p, K_PAGES_PER_BLOCK, UINT32_MAX, &ppb) ||
        !field_count(p, K_BLOCKS, UINT32_MAX, &blocks))
        return false;
    c->pages_per_block = (uint32_t)ppb;
    c->blocks_per_die = (uint32_t)blocks;
    c->planes = c->dies = 1;
    if (p->f[K_PLANES].val) {
        if (!field_count(p, K_PLANES, UINT8_MAX, &v))
            return false;
        c->planes = (uint8_t)v;
    }
    if (p->f[K_DIES].val) {
        if (!field_count(p, K_DIES, UINT8_MAX, &v))
            return false;
        c->dies = (uint8_t)v;
    }

    /* "8/512": correctable bits per step */
    char *ecc = p->f[K_ECC].val, *slash = strchr(ecc, '/');
    uint64_t bits, step;
    if (!slash)
        return ferr(p, K_ECC, "bad ECC '%s' (expected BITS/STEP, e.g. 8/512)", ecc);
    *slash = '\0';
    bool ok =
        chipdb_parse_uint(ecc, UINT8_MAX, &bits) && chipdb_parse_size(slash + 1, UINT16_MAX, &step);
    *slash = '/';
    if (!ok)
        return ferr(p, K_ECC, "bad ECC '%s' (expected BITS/STEP, e.g. 8/512)", ecc);
    c->ecc_strength = (uint8_t)bits;
    c->ecc_step = (uint16_t)step;

    if (!chipdb_is_word(p->f[K_ECC_STATUS].val))
        return ferr(p, K_ECC_STATUS, "bad decoder name '%s'", p->f[K_ECC_STATUS].val);
    if (!field_string(p, K_ECC_STATUS, &c->ecc_status))
        return false;

    c->read_typ_us = 25;
    c->read_max_us = 100;
    if (p->f[K_T_READ].val && !field_times(p, K_T_READ, false, &c->read_typ_us, &c->read_max_us))
        return false;
    c->pp_typ_us = 300;
    c->pp_max_us = 900;
    if (p->f[K_T_PROGRAM].val && !field_times(p, K_T_PROGRAM, false, &c->pp_typ_us, &c->pp_max_us))
        return false;

    static const char *const dummy_pos[] = {"after", "before"};
    static const char *const die_sel[] = {"none", "c2", "d0"};
    static const char *const cont[] = {"none", "buf", "cr"};
    if (p->f[K_CACHE_DUMMY].val) {
        if (!field_word(p, K_CACHE_DUMMY, dummy_pos, 2, &w))
            return false;
        c->cache_dummy_first = w == 1;
    }
    if (p->f[K_DIE_SELECT].val) {
        if (!field_word(p, K_DIE_SELECT, die_sel, 3, &w))
            return false;
        c->die_select = (uint8_t)w;
    }
    if (p->f[K_CONT_READ].val) {
        if (!field_word(p, K_CONT_READ, cont, 3, &w))
            return false;
        c->cont_read = (uint8_t)w;
    }

    /* The block erase (D8h) is erase[0], so geometry and erase code treat NOR and NAND alike. */
    uint64_t block = (uint64_t)c->page_size * ppb, total;
    if (block > UINT32_MAX)
        return ferr(p, K_PAGES_PER_BLOCK, "block of %llu bytes is too large",
                    (unsigned long long)block);
    c->nerase = 1;
    c->erase[0].opcode = 0xD8;
    c->erase[0].size = (uint32_t)block;
    c->erase[0].typ_ms = 3;
    c->erase[0].max_ms = 10;
    if (p->f[K_T_ERASE].val && !field_t_erase(p, c))
        return false;

    if (__builtin_mul_overflow(block, blocks, &total) ||
        __builtin_mul_overflow(total, (uint64_t)c->dies, &total))
        return ferr(p, K_BLOCKS, "chip size overflows");
    if (!size_given)
        c->size = total; /* a given size is kept: cd_chipdb_check() compares the two */
    return true;
}

/* Turn the collected section into a row (NULL on error, already reported). */
static struct cd_chip *build_row(struct parser *p)
{
    static const char *const types[] = {"nor", "nand"};
    struct cd_chip *c = calloc(1, sizeof(*c));
    if (!c || !(c->name = strdup(p->name)) || !(c->origin_file = strdup(p->origin))) {
        oom(p);
        goto fail;
    }
    c->origin_line = p->name_line;

    if (!p->f[K_TYPE].val) {
        perr(p, p->name_line, p->name, "field 'type': missing (required)");
        goto fail;
    }
    unsigned t = 0;
    if (!field_word(p, K_TYPE, types, 2, &t))
        goto fail;
    c->type = (enum cd_chip_type)t;
    const unsigned allowed = t == CD_CHIP_NOR ? F_NOR : F_NAND;
    const unsigned required = t == CD_CHIP_NOR ? F_REQ_NOR : F_REQ_NAND;
    for (int k = 0; k < NKEYS; k++) {
        if (p->f[k].val && !(keys[k].flags & allowed)) {
            ferr(p, (enum key)k, "not a field of %s chips", types[t]);
            goto fail;
        }
    }
    for (int k = 0; k < NKEYS; k++) {
        if (!p->f[k].val && (keys[k].flags & required)) {
            perr(p, p->name_line, p->name, "field '%s': missing (required for %s chips)",
                 keys[k].name, types[t]);
            goto fail;
        }
    }

    uint64_t v;
    if (!field_string(p, K_VENDOR, &c->vendor) || !field_id(p, c))
        goto fail;
    if (p->f[K_ALIASES].val && !field_aliases(p, c))
        goto fail;
    if (p->f[K_ID_GROUP].val) {
        if (!chipdb_is_word(p->f[K_ID_GROUP].val)) {
            ferr(p, K_ID_GROUP, "bad group name '%s' (one word)", p->f[K_ID_GROUP].val);
            goto fail;
        }
        if (!field_string(p, K_ID_GROUP, &c->id_group))
            goto fail;
    }
    if (p->f[K_SIZE].val) {
        if (!field_size(p, K_SIZE, 1ull << 40, &v))
            goto fail;
        c->size = v;
    }
    if (!field_size(p, K_PAGE, UINT32_MAX, &v))
        goto fail;
    c->page_size = (uint32_t)v;
    if (!field_voltage(p, c) || !field_string(p, K_SOURCE, &c->source))
        goto fail;

    if (t == CD_CHIP_NOR ? !build_nor(p, c) : !build_nand(p, c, p->f[K_SIZE].val != NULL))
        goto fail;
    return c;

fail:
    cd_chip_free(c);
    return NULL;
}

static void finish_section(struct parser *p)
{
    if (p->in_section) {
        struct cd_chip *c = build_row(p);
        if (c) {
            ptrdiff_t i = cd_chip_list_find(p->out, c->name);
            if (i >= 0) {
                perr(p, p->name_line, p->name, "section given twice (first at line %d)",
                     p->out->v[i]->origin_line);
                cd_chip_free(c);
            } else if (cd_chip_list_append(p->out, c) != CD_OK) {
                oom(p);
                cd_chip_free(c);
            }
        }
    }
    for (int k = 0; k < NKEYS; k++) {
        free(p->f[k].val);
        p->f[k].val = NULL;
    }
    free(p->name);
    p->name = NULL;
    p->in_section = false;
}

/* A line starting with '[' (seen by the reader before inih parses it). */
static void section_header(struct parser *p, char *line)
{
    finish_section(p);
    char *close = strchr(line, ']');
    if (!close) {
        perr(p, p->line, NULL, "section header without ']'");
        return;
    }
    *close = '\0';
    char *name = chipdb_trim(line + 1), *rest = close + 1;
    while (chipdb_is_space(*rest))
        rest++;
    const char *why = chipdb_name_problem(name);
    if (why)
        perr(p, p->line, NULL, "bad chip name '%s': %s", name, why);
    else if (*rest && *rest != ';' && *rest != '#')
        perr(p, p->line, name, "text after ']'");
    else if (!(p->name = strdup(name)))
        oom(p);
    else {
        p->in_section = true;
        p->name_line = p->line;
        p->last_key = -1;
    }
    *close = ']';
}

/* inih's fgets-like reader over the text; counts lines and spots section headers. */
static char *read_line(char *buf, int num, void *stream)
{
    struct parser *p = stream;
    const char *s = p->pos;
    if (*s == '\0' || num < 3)
        return NULL;
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
    p->pos = s + len;
    p->line++;
    if (p->line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3; /* UTF-8 byte order mark */
        len -= 3;
    }
    if (len > (size_t)num - 1) {
        /* inih would parse the rest as a separate line */
        perr(p, p->line, p->name,
             "line longer than %d characters (continue a value on an indented line)", num - 3);
        memcpy(buf, s, (size_t)num - 2);
        buf[num - 2] = '\n';
        buf[num - 1] = '\0';
    } else {
        memcpy(buf, s, len);
        buf[len] = '\0';
    }

    const char *t = buf;
    while (chipdb_is_space(*t))
        t++;
    p->indented = t != buf && *t;
    if (*t == '[') {
        if (t != buf) /* inih could take it for a continuation line */
            perr(p, p->line, NULL, "indented section header");
        else {
            /* work on a copy: inih still has to see the line as it was */
            char hdr[MAX_NAME_LEN + 200];
            snprintf(hdr, sizeof(hdr), "%s", buf);
            section_header(p, hdr);
        }
    }
    return buf;
}

/* Cut an inline '#' comment (inih only knows ';'), like inih: only after white space. */
static void cut_hash_comment(char *v)
{
    for (size_t i = 1; v[0] && v[i]; i++) {
        if (v[i] == '#' && chipdb_is_space(v[i - 1])) {
            v[i] = '\0';
            break;
        }
    }
    chipdb_trim(v);
}

static int handle_key(void *user, const char *section, const char *name, const char *value)
{
    struct parser *p = user;
    if (!p->in_section) {
        perr(p, p->line, NULL, "field '%s' outside a [chip] section", name);
        return 0;
    }
    int k = 0;
    while (k < NKEYS && strcmp(keys[k].name, name) != 0)
        k++;
    if (k == NKEYS) {
        int best = 0;
        unsigned best_d = ~0u;
        for (int i = 0; i < NKEYS; i++) {
            unsigned d = cd_edit_distance(name, keys[i].name, NULL);
            if (d < best_d) {
                best_d = d;
                best = i;
            }
        }
        if (best_d <= 2)
            perr(p, p->line, p->name, "field '%s': unknown field (did you mean '%s'?)", name,
                 keys[best].name);
        else
            perr(p, p->line, p->name, "field '%s': unknown field", name);
        p->last_key = -1;
        return 0;
    }

    char *v = strdup(value ? value : "");
    if (!v) {
        oom(p);
        return 0;
    }
    cut_hash_comment(v);
    if (p->indented && k == p->last_key && p->f[k].val) {
        /* continuation line: join with a space */
        size_t a = strlen(p->f[k].val), b = strlen(v);
        char *joined = realloc(p->f[k].val, a + b + 2);
        if (!joined) {
            free(v);
            oom(p);
            return 0;
        }
        joined[a] = ' ';
        memcpy(joined + a + 1, v, b + 1);
        p->f[k].val = joined;
        free(v);
        return 1;
    }
    p->last_key = k;
    if (p->f[k].val) {
        free(v);
        perr(p, p->line, p->name, "field '%s': given twice (first at line %d)", name, p->f[k].line);
        return 0;
    }
    if (!*v) {
        free(v);
        perr(p, p->line, p->name, "field '%s': empty value", name);
        return 0;
    }
    p->f[k].val = v;
    p->f[k].line = p->line;
    return 1;
}

int cd_chipdb_parse(const char *text, const char *origin, struct cd_chip_list *out)
{
    struct parser p = {.origin = origin, .out = out, .pos = text, .last_key = -1};
    int rc = ini_parse_stream(read_line, &p, handle_key, &p);
    finish_section(&p);
    if (rc > 0)
        perr(&p, rc, NULL, "syntax error (expected '[NAME]', 'key = value' or a comment)");
    else if (rc < 0)
        oom(&p);
    if (p.err_code)
        return cd_fail(p.err_code, "%s", p.err);
    return CD_OK;
}
