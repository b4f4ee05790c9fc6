/* Whole-chip and range jobs on a cd_flash: read (with re-reads), smart write, verify, erase. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "bytes.h"
#include "chipdump/flash.h"

/* Progress granularity: big enough to keep per-call overhead invisible, small enough for
 * a smooth display and a prompt reaction to Ctrl-C. */
#define CHUNK (64 * 1024)

int cd_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
        return cd_fail(CD_E_ARG, "bad size '%s'", s ? s : "");
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return cd_fail(CD_E_ARG, "bad size '%s'", s);
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K':
        shift = 10;
        end++;
        break;
    case 'M':
        shift = 20;
        end++;
        break;
    case 'G':
        shift = 30;
        end++;
        break;
    }
    if (shift && (*end == 'i' || *end == 'I'))
        end++;
    if (shift && (*end == 'b' || *end == 'B'))
        end++;
    if (*end)
        return cd_fail(CD_E_ARG, "bad size '%s'", s);
    if (shift && v > (UINT64_MAX >> shift))
        return cd_fail(CD_E_ARG, "size '%s' too large", s);
    *out = (uint64_t)v << shift;
    return CD_OK;
}

int cd_parse_range(const char *s, uint64_t size, struct cd_range *out)
{
    const char *colon = strchr(s, ':');
    if (!colon)
        return cd_fail(CD_E_ARG, "bad range '%s': expected OFFSET:LENGTH", s);
    char off[64];
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof(off))
        return cd_fail(CD_E_ARG, "bad range '%s': expected OFFSET:LENGTH", s);
    memcpy(off, s, n);
    off[n] = '\0';
    uint64_t o, l;
    if (cd_parse_size(off, &o) || cd_parse_size(colon + 1, &l))
        return cd_fail(CD_E_ARG, "bad range '%s': expected OFFSET:LENGTH", s);
    if (l == 0 || o >= size || l > size - o)
        return cd_fail(CD_E_RANGE, "range 0x%llx+0x%llx lies outside the chip (size 0x%llx)",
                       (unsigned long long)o, (unsigned long long)l, (unsigned long long)size);
    out->off = o;
    out->len = l;
    return CD_OK;
}

static int report(cd_progress_fn fn, void *user, uint64_t done, uint64_t total)
{
    if (fn && fn(user, done, total))
        return cd_fail(CD_E_INTERRUPTED, "cancelled after %llu of %llu bytes",
                       (unsigned long long)done, (unsigned long long)total);
    return CD_OK;
}

/* Region size for programmers that write and verify by themselves (write_region): each call
 * costs them setup and a pass over a chip-sized buffer (libflashrom), so at most 16 calls
 * per chip. */
static uint64_t region_size(const struct cd_flash *f)
{
    uint64_t n = f->chip->size / 16;
    return n < CHUNK ? CHUNK : n;
}

/* Read with progress reported over [base, base + total) of a larger job. */
static int read_chunked(struct cd_flash *f, uint64_t off, uint8_t *buf, uint64_t len,
                        cd_progress_fn fn, void *user, uint64_t base, uint64_t total)
{
    uint64_t step = f->ops->write_region ? region_size(f) : CHUNK;
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done > step ? (size_t)step : (size_t)(len - done);
        int r = f->ops->read(f, off + done, buf + done, n);
        if (r) {
            /* How far it got: the user knows what a retry (or a better clip) has to redo. */
            char why[768];
            snprintf(why, sizeof(why), "%s", cd_error_detail());
            return cd_fail(r, "%s%sthe read stopped at 0x%llx, %llu of %llu bytes read", why,
                           why[0] ? "; " : "", (unsigned long long)(off + done),
                           (unsigned long long)done, (unsigned long long)len);
        }
        done += n;
        if ((r = report(fn, user, base + done, total)))
            return r;
    }
    return CD_OK;
}

static int add_unstable(struct cd_read_result *res, uint64_t off, uint64_t len, unsigned tries,
                        bool resolved)
{
    struct cd_unstable_block *u =
        realloc(res->unstable, (res->nunstable + 1) * sizeof(*res->unstable));
    if (!u)
        return CD_E_NOMEM;
    res->unstable = u;
    u[res->nunstable++] = (struct cd_unstable_block){off, len, tries, resolved};
    if (!resolved)
        res->nunresolved++;
    return CD_OK;
}

/* Re-read one block until two consecutive reads agree. `last` holds the newest copy. */
static int settle_block(struct cd_flash *f, uint64_t off, uint8_t *last, size_t len,
                        unsigned max_tries, unsigned *tries, bool *agreed)
{
    uint8_t *again = malloc(len);
    if (!again)
        return CD_E_NOMEM;
    int r = CD_OK;
    *agreed = false;
    for (*tries = 0; *tries < max_tries && !*agreed;) {
        if ((r = f->ops->read(f, off, again, len)))
            break;
        ++*tries;
        *agreed = !memcmp(again, last, len);
        memcpy(last, again, len);
    }
    free(again);
    return r;
}

int cd_read_range(struct cd_flash *f, struct cd_range r, void *buf, const struct cd_read_opts *o,
                  struct cd_read_result *res)
{
    struct cd_read_result local = {0};
    struct cd_read_opts def = {.reads = 1};
    if (!o)
        o = &def;
    if (!res)
        res = &local;
    memset(res, 0, sizeof(*res));
    unsigned reads = o->reads ? o->reads : 1;
    uint64_t total = r.len * (reads > 1 ? 2 : 1);

    int err = read_chunked(f, r.off, buf, r.len, o->progress, o->progress_user, 0, total);
    if (err || reads < 2)
        goto out;

    uint8_t *second = malloc(r.len);
    if (!second)
        return CD_E_NOMEM;
    err = read_chunked(f, r.off, second, r.len, o->progress, o->progress_user, r.len, total);
    uint64_t blk = cd_flash_min_erase(f);
    for (uint64_t at = 0; !err && at < r.len; at += blk) {
        /* blocks are aligned to the chip, so the first and last may be partial */
        uint64_t start = r.off + at;
        uint64_t len = blk - start % blk;
        if (len > r.len - at)
            len = r.len - at;
        if (!memcmp((uint8_t *)buf + at, second + at, len)) {
            at += len - blk;
            continue;
        }
        unsigned tries;
        bool agreed;
        uint8_t *dst = (uint8_t *)buf + at;
        memcpy(dst, second + at, len);
        unsigned max_tries = o->max_tries ? o->max_tries : 8;
        err = settle_block(f, start, dst, len, max_tries, &tries, &agreed);
        if (!err)
            err = add_unstable(res, start, len, tries + 2, agreed);
        at += len - blk;
    }
    free(second);
    if (!err && res->nunresolved)
        err = cd_fail(CD_E_UNSTABLE, "%zu block(s) never read the same twice", res->nunresolved);
out:
    if (res == &local)
        free(local.unstable);
    return err;
}

static int verify_chunked(struct cd_flash *f, struct cd_range r, const uint8_t *data,
                          cd_progress_fn progress, void *user, uint64_t base, uint64_t total,
                          uint64_t *first_diff)
{
    if (f->ops->verify_region) {
        int err = CD_OK;
        for (uint64_t done = 0, step = region_size(f); !err && done < r.len; done += step) {
            size_t n = r.len - done > step ? (size_t)step : (size_t)(r.len - done);
            err = f->ops->verify_region(f, r.off + done, data + done, n, first_diff);
            if (!err)
                err = report(progress, user, base + done + n, total);
        }
        return err;
    }
    uint8_t *buf = malloc(CHUNK);
    if (!buf)
        return CD_E_NOMEM;
    int err = CD_OK;
    for (uint64_t done = 0; !err && done < r.len;) {
        size_t n = r.len - done > CHUNK ? CHUNK : (size_t)(r.len - done);
        if ((err = f->ops->read(f, r.off + done, buf, n)))
            break;
        for (size_t i = 0; i < n; i++) {
            if (buf[i] != data[done + i]) {
                uint64_t at = r.off + done + i;
                if (first_diff)
                    *first_diff = at;
                err = cd_fail(CD_E_VERIFY,
                              "first difference at offset 0x%llx: chip has 0x%02X, file has "
                              "0x%02X",
                              (unsigned long long)at, buf[i], data[done + i]);
                break;
            }
        }
        done += n;
        if (!err)
            err = report(progress, user, base + done, total);
    }
    free(buf);
    return err;
}

int cd_verify_range(struct cd_flash *f, struct cd_range r, const uint8_t *data,
                    cd_progress_fn progress, void *user, uint64_t *first_diff)
{
    return verify_chunked(f, r, data, progress, user, 0, r.len, first_diff);
}

/* Largest erase size that starts at `at`, stays within the chip, and covers only blocks
 * marked in `need` (indices of min-size blocks relative to first_blk). */
static uint64_t pick_erase(struct cd_flash *f, uint64_t at, const uint8_t *need, uint64_t nblk,
                           uint64_t first_blk, uint64_t minsz)
{
    const struct cd_chip *c = f->chip;
    for (int i = (int)c->nerase - 1; i > 0; i--) {
        uint64_t sz = c->erase[i].size;
        if (at % sz)
            continue;
        uint64_t b0 = at / minsz - first_blk, cnt = sz / minsz;
        if (b0 + cnt > nblk)
            continue;
        bool all = true;
        for (uint64_t k = 0; k < cnt && all; k++)
            all = need[b0 + k];
        if (all)
            return sz;
    }
    return minsz;
}

int cd_write_range(struct cd_flash *f, struct cd_range r, const uint8_t *data,
                   const uint8_t *current, const struct cd_write_opts *o, struct cd_write_stats *st)
{
    struct cd_write_stats local;
    struct cd_write_opts def = {.verify = true};
    if (!o)
        o = &def;
    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    uint64_t minsz = cd_flash_min_erase(f);
    if (r.off % minsz || r.len % minsz)
        return cd_fail(
            CD_E_RANGE, "write range 0x%llx+0x%llx is not aligned to the %llu-byte erase size",
            (unsigned long long)r.off, (unsigned long long)r.len, (unsigned long long)minsz);

    uint64_t nblk = r.len / minsz, first_blk = r.off / minsz;
    uint8_t *need_erase = calloc(nblk ? nblk : 1, 1);
    if (!need_erase)
        return CD_E_NOMEM;
    int err = f->ops->unprotect ? f->ops->unprotect(f) : CD_OK;

    /* Plan: a block needs an erase if any bit must go from 0 to 1. */
    uint64_t nerase = 0;
    for (uint64_t b = 0; b < nblk; b++) {
        const uint8_t *d = data + b * minsz, *c = current + b * minsz;
        for (uint64_t i = 0; i < minsz; i++) {
            if ((c[i] & d[i]) != d[i]) {
                need_erase[b] = 1;
                nerase++;
                break;
            }
        }
    }
    st->blocks_total = nblk;
    st->bytes_compared = r.len;
    uint64_t total = r.len * (o->verify ? 2 : 1), progress = 0;

    if (!err && f->ops->write_region) {
        /* The programmer plans erases itself; count what the plan above says it must do. */
        uint32_t pg = f->chip->page_size ? f->chip->page_size : 256;
        for (uint64_t b = 0; b < nblk; b++) {
            const uint8_t *d = data + b * minsz, *c = current + b * minsz;
            st->blocks_erased += need_erase[b];
            for (uint64_t i = 0; i < minsz; i += pg) {
                uint64_t n = minsz - i < pg ? minsz - i : pg;
                if (need_erase[b] ? !cd_all_ff(d + i, n) : memcmp(d + i, c + i, n) != 0)
                    st->pages_programmed++;
            }
        }
        for (uint64_t done = 0, step = region_size(f); !err && done < r.len; done += step) {
            size_t n = r.len - done > step ? (size_t)step : (size_t)(r.len - done);
            if (memcmp(data + done, current + done, n))
                err = f->ops->write_region(f, r.off + done, data + done, current + done, n);
            if (!err)
                err = report(o->progress, o->progress_user, done + n, total);
        }
        free(need_erase);
        if (!err && o->verify)
            err = verify_chunked(f, r, data, o->progress, o->progress_user, r.len, total, NULL);
        return err;
    }

    for (uint64_t b = 0; !err && b < nblk;) {
        uint64_t at = r.off + b * minsz, span = minsz;
        const uint8_t *d = data + b * minsz, *c = current + b * minsz;
        if (need_erase[b]) {
            if (nerase == nblk && r.off == 0 && r.len == f->chip->size &&
                f->chip->chip_erase_opcode)
                span = r.len;
            else
                span = pick_erase(f, at, need_erase, nblk, first_blk, minsz);
            err = f->ops->erase(f, at, span);
            st->blocks_erased += span / minsz;
            /* after the erase every non-0xFF page must be programmed */
            for (uint64_t pg = 0; !err && pg < span; pg += f->chip->page_size) {
                if (cd_all_ff(d + pg, f->chip->page_size))
                    continue;
                err = f->ops->program(f, at + pg, d + pg, f->chip->page_size);
                st->pages_programmed++;
            }
        } else if (memcmp(d, c, minsz)) {
            /* only bits going 1 -> 0: program the pages that differ, no erase */
            for (uint64_t pg = 0; !err && pg < minsz; pg += f->chip->page_size) {
                if (!memcmp(d + pg, c + pg, f->chip->page_size))
                    continue;
                err = f->ops->program(f, at + pg, d + pg, f->chip->page_size);
                st->pages_programmed++;
            }
        }
        b += span / minsz;
        progress += span;
        if (!err)
            err = report(o->progress, o->progress_user, progress, total);
    }
    free(need_erase);
    if (!err && o->verify)
        err = verify_chunked(f, r, data, o->progress, o->progress_user, r.len, total, NULL);
    return err;
}

int cd_erase_range(struct cd_flash *f, struct cd_range r, cd_progress_fn progress, void *user)
{
    uint64_t minsz = cd_flash_min_erase(f);
    if (r.off % minsz || r.len % minsz)
        return cd_fail(
            CD_E_RANGE, "erase range 0x%llx+0x%llx is not aligned to the %llu-byte erase size",
            (unsigned long long)r.off, (unsigned long long)r.len, (unsigned long long)minsz);
    int err = f->ops->unprotect ? f->ops->unprotect(f) : CD_OK;
    if (err)
        return err;
    if (r.off == 0 && r.len == f->chip->size && f->chip->chip_erase_opcode) {
        err = f->ops->erase(f, 0, r.len);
        return err ? err : report(progress, user, r.len, r.len);
    }
    uint64_t nblk = r.len / minsz;
    uint8_t *all = malloc(nblk);
    if (!all)
        return CD_E_NOMEM;
    memset(all, 1, nblk);
    for (uint64_t done = 0; !err && done < r.len;) {
        uint64_t span = pick_erase(f, r.off + done, all, nblk, r.off / minsz, minsz);
        err = f->ops->erase(f, r.off + done, span);
        done += span;
        if (!err)
            err = report(progress, user, done, r.len);
    }
    free(all);
    return err;
}
