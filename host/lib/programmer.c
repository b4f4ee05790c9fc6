/* Programmer selection (-p SPEC) and the thin op wrappers every driver goes through. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chipdump/error.h"
#include "chipdump/programmer.h"
#include "programmers/programmers.h"
#include "programmers/serprog.h"
#include "trace.h"

const char *const cd_programmer_kinds[] = {"sim", "ch341a", "flashrom", "serprog", "rp2040", NULL};

static const struct {
    const char *kind;
    int (*open)(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                struct cd_programmer **out);
} kinds[] = {
    {"sim", cd_sim_open},         {"ch341a", cd_ch341a_open}, {"flashrom", cd_flashrom_open},
    {"serprog", cd_serprog_open}, {"rp2040", cd_rp2040_open},
};

int cd_programmer_open(const char *spec, const struct cd_chipdb *db, const char *chip_hint,
                       struct cd_programmer **out)
{
    *out = NULL;
    if (!spec || !*spec)
        return cd_fail(CD_E_ARG, "no programmer given (use -p SPEC, e.g. -p sim)");
    size_t klen = strcspn(spec, ":");
    const char *params = spec[klen] == ':' ? spec + klen + 1 : "";
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strlen(kinds[i].kind) == klen && !strncmp(kinds[i].kind, spec, klen)) {
            int r = cd_trace_open(); /* CHIPDUMP_TRACE, closed with the programmer */
            if (r)
                return r;
            if ((r = kinds[i].open(params, db, chip_hint, out)))
                cd_trace_close();
            return r;
        }
    }
    return cd_fail(CD_E_ARG,
                   "unknown programmer '%.*s' (available: sim, ch341a, flashrom:NAME, "
                   "serprog:dev=|tcp=|loop=, rp2040)",
                   (int)klen, spec);
}

bool cd_programmer_knows_chip(const char *spec, const char *name)
{
    if (spec && !strncmp(spec, "flashrom", 8) && (spec[8] == ':' || !spec[8]))
        return cd_flashrom_knows_chip(name);
    return false;
}

void cd_programmer_close(struct cd_programmer *p)
{
    if (!p)
        return;
    if (p->ops->close)
        p->ops->close(p);
    free(p->description);
    free(p);
    cd_trace_close();
}

int cd_exec(struct cd_programmer *p, const struct cd_op *op)
{
    if (!p->ops->exec_op)
        return cd_fail(CD_E_UNSUPPORTED, "%s drives chips itself and takes no SPI commands",
                       p->ops->name);
    int r = p->ops->exec_op(p, op);
    if (cd_trace_enabled())
        cd_trace_op(p->kind ? p->kind : p->ops->name, op, r);
    return r;
}

int cd_delay_us(struct cd_programmer *p, uint32_t us)
{
    int r = CD_OK;
    if (p->ops->delay_us) {
        r = p->ops->delay_us(p, us);
    } else {
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    /* A host wait: for simulated programmers model time, as asked (no real time passes). */
    cd_trace_line(p->kind ? p->kind : p->ops->name, "sleep", "-", us, r ? 0 : us, r ? "err" : "ok");
    return r;
}

int cd_spec_next_param(const char **cursor, char *key, size_t keysz, char *val, size_t valsz)
{
    const char *s = *cursor;
    if (!*s)
        return 0;
    size_t n = strcspn(s, ",");
    const char *eq = memchr(s, '=', n);
    size_t kn = eq ? (size_t)(eq - s) : n;
    size_t vn = eq ? n - kn - 1 : 0;
    if (kn == 0 || kn >= keysz || vn >= valsz)
        return cd_fail(CD_E_ARG, "bad programmer parameter '%.*s'", (int)n, s);
    memcpy(key, s, kn);
    key[kn] = '\0';
    if (eq)
        memcpy(val, eq + 1, vn);
    val[vn] = '\0';
    *cursor = s[n] ? s + n + 1 : s + n;
    return 1;
}
