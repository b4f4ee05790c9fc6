/*
 * Whole-chip and block-range SPI-NAND jobs: read (ECC statistics per block, bad blocks in place
 * or skipped), write (bad-block policy, blank pages never programmed, stop at the first
 * failure), verify, erase, and OOB stripping of page+OOB dumps. The conventions are
 * nanddump's and nandwrite's (mtd-utils, see ../shared/facts.md section 5.3) where a user
 * would expect them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bytes.h"
#include "chipdump/error.h"
#include "chipdump/nand.h"
#include "chipdump/output.h"

void cd_nand_report_free(struct cd_nand_report *r)
{
    if (!r)
        return;
    free(r->bad_blocks);
    free(r->ecc);
    free(r->uncorrectable);
    free(r->unstable);
    memset(r, 0, sizeof(*r));
    r->failed_block = -1;
}

static void report_init(struct cd_nand_report *r)
{
    memset(r, 0, sizeof(*r));
    r->failed_block = -1;
}

static int push_u32(uint32_t **v, size_t *n, uint32_t x)
{
    if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
        uint32_t *p = realloc(*v, (*n ? 2 * *n : 1) * sizeof(**v));
        if (!p)
            return CD_E_NOMEM;
        *v = p;
    }
    (*v)[(*n)++] = x;
    return CD_OK;
}

/* The ECC entry of block b (the last one, since blocks come in order), created if needed. */
static struct cd_nand_ecc_block *ecc_entry(struct cd_nand_report *r, uint32_t b)
{
    if (r->necc && r->ecc[r->necc - 1].block == b)
        return &r->ecc[r->necc - 1];
    if ((r->necc & (r->necc - 1)) == 0) {
        struct cd_nand_ecc_block *p =
            realloc(r->ecc, (r->necc ? 2 * r->necc : 1) * sizeof(*r->ecc));
        if (!p)
            return NULL;
        r->ecc = p;
    }
    struct cd_nand_ecc_block *e = &r->ecc[r->necc++];
    memset(e, 0, sizeof(*e));
    e->block = b;
    return e;
}

/* Record the ECC outcome of one page of a good block. */
static int note_page(struct cd_nand_report *r, uint32_t block, uint32_t page, int flips)
{
    if (flips == 0)
        return CD_OK;
    struct cd_nand_ecc_block *e = ecc_entry(r, block);
    if (!e)
        return CD_E_NOMEM;
    if (flips == CD_E_ECC_UNCORRECTABLE) {
        e->pages_uncorrectable++;
        return push_u32(&r->uncorrectable, &r->nuncorrectable, page);
    }
    e->pages_corrected++;
    e->bitflips += (uint32_t)flips;
    if ((uint32_t)flips > e->max_bitflips)
        e->max_bitflips = (uint32_t)flips;
    r->bitflips += (uint64_t)flips;
    return CD_OK;
}

static int progress_at(cd_progress_fn fn, void *user, uint64_t done, uint64_t total)
{
    if (fn && fn(user, done, total))
        return cd_fail(CD_E_INTERRUPTED, "cancelled after %llu of %llu bytes",
                       (unsigned long long)done, (unsigned long long)total);
    return CD_OK;
}

/* Scan [first, first + count) and list the bad blocks in the report. */
static int scan(struct cd_nand *n, uint32_t first, uint32_t count, uint8_t **bad,
                struct cd_nand_report *rep)
{
    *bad = malloc(count ? count : 1);
    if (!*bad)
        return CD_E_NOMEM;
    int r = cd_nand_scan_bad(n, first, count, *bad, NULL, NULL);
    for (uint32_t i = 0; !r && i < count; i++)
        if ((*bad)[i])
            r = push_u32(&rep->bad_blocks, &rep->nbad, first + i);
    return r;
}

static int check_range(struct cd_nand *n, uint32_t first, uint32_t count)
{
    uint32_t blocks = cd_nand_blocks(cd_nand_chip(n));
    if (count == 0 || first >= blocks || count > blocks - first)
        return cd_fail(CD_E_RANGE, "blocks %u..%u lie outside %s (blocks 0..%u)", first,
                       first + count - 1, cd_nand_chip(n)->name, blocks - 1);
    return CD_OK;
}

static int add_unstable(struct cd_nand_report *r, uint64_t off, uint32_t len, unsigned tries,
                        bool resolved)
{
    struct cd_unstable_block *u = realloc(r->unstable, (r->nunstable + 1) * sizeof(*u));
    if (!u)
        return CD_E_NOMEM;
    r->unstable = u;
    u[r->nunstable++] = (struct cd_unstable_block){off, len, tries, resolved};
    if (!resolved)
        r->nunresolved++;
    return CD_OK;
}

/*
 * One page into dst; with reads >= 2 read it again (into tmp) until two consecutive reads
 * agree, up to max_tries more. The ECC result is the last read's.
 */
static int read_page_checked(struct cd_nand *n, uint32_t page, uint8_t *dst, uint8_t *tmp,
                             const struct cd_nand_read_opts *o, uint64_t out_off,
                             struct cd_nand_report *rep)
{
    const struct cd_chip *c = cd_nand_chip(n);
    uint32_t len = o->oob ? cd_nand_raw_page(c) : c->page_size;
    int f = cd_nand_read_page(n, page, dst, o->oob, !o->raw);
    if (o->reads < 2 || (f < 0 && f != CD_E_ECC_UNCORRECTABLE))
        return f;
    unsigned max = o->max_tries ? o->max_tries : 8, tries = 0;
    for (;;) {
        int g = cd_nand_read_page(n, page, tmp, o->oob, !o->raw);
        if (g < 0 && g != CD_E_ECC_UNCORRECTABLE)
            return g;
        bool same = !memcmp(dst, tmp, len);
        memcpy(dst, tmp, len);
        f = g;
        if (same && !tries)
            return f;
        if (same || ++tries > max) {
            int r = add_unstable(rep, out_off, len, tries + 2, same);
            return r ? r : f;
        }
    }
}

int cd_nand_read_blocks(struct cd_nand *n, uint32_t first, uint32_t count,
                        const struct cd_nand_read_opts *o, uint8_t *buf, uint64_t *len,
                        struct cd_nand_report *rep)
{
    const struct cd_chip *c = cd_nand_chip(n);
    struct cd_nand_read_opts def = {0};
    uint8_t *bad = NULL, *tmp = NULL;
    int *res = NULL;
    if (!o)
        o = &def;
    report_init(rep);
    *len = 0;
    int r = check_range(n, first, count);
    if (r || (r = scan(n, first, count, &bad, rep)))
        goto out;
    if (!(tmp = malloc(cd_nand_raw_page(c)))) {
        r = CD_E_NOMEM;
        goto out;
    }
    uint32_t pbytes = o->oob ? cd_nand_raw_page(c) : c->page_size;
    uint64_t total = (uint64_t)count * c->pages_per_block * pbytes;
    uint8_t *dst = buf;
    res = malloc(c->pages_per_block * sizeof(*res));
    for (uint32_t i = 0; !r && i < count; i++) {
        uint32_t b = first + i;
        if (bad[i] && o->skip_bad)
            continue;
        /* One read each: the whole block in one go (a bulk request where the programmer has
         * one), then the per-page results in order. */
        if (o->reads < 2 && res &&
            (r = cd_nand_read_pages(n, b * c->pages_per_block, c->pages_per_block, dst, o->oob,
                                    !o->raw, res)))
            break;
        for (uint32_t pg = 0; pg < c->pages_per_block; pg++, dst += pbytes) {
            uint32_t page = b * c->pages_per_block + pg;
            int f = o->reads < 2 && res
                        ? res[pg]
                        : read_page_checked(n, page, dst, tmp, o, (uint64_t)(dst - buf), rep);
            if (f < 0 && f != CD_E_ECC_UNCORRECTABLE) {
                r = f;
                break;
            }
            /* A factory-bad block is read as it is; what ECC says about it means nothing. */
            if (!bad[i] && (r = note_page(rep, b, page, f)))
                break;
        }
        if (!r)
            r = progress_at(o->progress, o->progress_user,
                            (uint64_t)(i + 1) * c->pages_per_block * pbytes, total);
    }
    *len = (uint64_t)(dst - buf);
    if (!r && rep->nunresolved)
        r = cd_fail(CD_E_UNSTABLE, "%zu page(s) never read the same twice", rep->nunresolved);
out:
    free(bad);
    free(tmp);
    free(res);
    return r;
}

/* Read block b back and compare with src (the image block at image offset img_off). */
static int verify_block(struct cd_nand *n, uint32_t b, const uint8_t *src, bool raw,
                        uint64_t img_off, uint8_t *tmp)
{
    const struct cd_chip *c = cd_nand_chip(n);
    uint32_t pbytes = raw ? cd_nand_raw_page(c) : c->page_size;
    for (uint32_t pg = 0; pg < c->pages_per_block; pg++) {
        uint32_t page = b * c->pages_per_block + pg;
        const uint8_t *want = src + (uint64_t)pg * pbytes;
        int f = cd_nand_read_page(n, page, tmp, raw, !raw);
        if (f == CD_E_ECC_UNCORRECTABLE)
            return cd_fail(CD_E_VERIFY,
                           "block %u page %u (image offset 0x%llx) does not read back: "
                           "uncorrectable ECC error",
                           b, pg, (unsigned long long)(img_off + (uint64_t)pg * pbytes));
        if (f < 0)
            return f;
        if (memcmp(tmp, want, pbytes)) {
            uint32_t k = 0;
            while (tmp[k] == want[k])
                k++;
            return cd_fail(CD_E_VERIFY,
                           "first difference at image offset 0x%llx (block %u, page %u, byte "
                           "%u): chip has 0x%02X, image has 0x%02X",
                           (unsigned long long)(img_off + (uint64_t)pg * pbytes + k), b, pg, k,
                           tmp[k], want[k]);
        }
    }
    return CD_OK;
}

/* Erase block b and program the pages of src that are not all 0xFF. */
static int write_block(struct cd_nand *n, uint32_t b, const uint8_t *src, bool raw,
                       struct cd_nand_report *rep)
{
    const struct cd_chip *c = cd_nand_chip(n);
    uint32_t pbytes = raw ? cd_nand_raw_page(c) : c->page_size;
    int r = cd_nand_erase_block(n, b);
    if (r) {
        rep->failed_block = b;
        return r;
    }
    rep->blocks_erased++;
    for (uint32_t pg = 0; pg < c->pages_per_block; pg++) {
        const uint8_t *p = src + (uint64_t)pg * pbytes;
        /* Never program an all-0xFF page: with ECC on the chip would write parity, and the
         * page would no longer be blank for whoever writes it next. */
        if (cd_all_ff(p, pbytes)) {
            rep->pages_blank++;
            continue;
        }
        r = cd_nand_program_page(n, b * c->pages_per_block + pg, p, raw ? p + c->page_size : NULL,
                                 !raw);
        if (r) {
            rep->failed_block = b;
            return r;
        }
        rep->pages_programmed++;
    }
    return CD_OK;
}

/* "5, 7, 9" (at most a few, then "..."). */
static void list_blocks(const uint32_t *v, size_t n, char *buf, size_t sz)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 16 < sz; i++) {
        if (i == 8) {
            snprintf(buf + used, sz - used, ", ... (%zu in all)", n);
            return;
        }
        used += (size_t)snprintf(buf + used, sz - used, "%s%u", i ? ", " : "", v[i]);
    }
}

int cd_nand_write_blocks(struct cd_nand *n, uint32_t first, uint32_t count, const uint8_t *img,
                         uint64_t len, const uint8_t *current, const struct cd_nand_write_opts *o,
                         struct cd_nand_report *rep)
{
    const struct cd_chip *c = cd_nand_chip(n);
    uint64_t bb = cd_nand_block_bytes(c, o->raw);
    uint8_t *bad = NULL, *tmp = NULL;
    int64_t *target = NULL;
    char list[160];
    report_init(rep);
    int r = check_range(n, first, count);
    if (r)
        return r;
    if (len == 0 || len % bb)
        return cd_fail(CD_E_SIZE_MISMATCH,
                       "the image is %llu bytes, not a whole number of %llu-byte "
                       "blocks",
                       (unsigned long long)len, (unsigned long long)bb);
    uint64_t nimg = len / bb;
    if (o->bad_blocks != CD_NAND_BB_SKIP ? nimg != count : nimg > count)
        return cd_fail(CD_E_SIZE_MISMATCH, "the image holds %llu blocks but the range has %u",
                       (unsigned long long)nimg, count);
    tmp = malloc(cd_nand_raw_page(c));
    target = malloc(nimg * sizeof(*target));
    if (!tmp || !target) {
        r = CD_E_NOMEM;
        goto out;
    }
    if ((r = scan(n, first, count, &bad, rep)))
        goto out;
    list_blocks(rep->bad_blocks, rep->nbad, list, sizeof(list));

    /* ---- the plan: every refusal happens here, before the first erase ---- */
    if (o->bad_blocks == CD_NAND_BB_FAIL && rep->nbad) {
        r = cd_fail(CD_E_ARG, "--bad-blocks fail: the range holds %zu bad block(s): %s", rep->nbad,
                    list);
        goto out;
    }
    if (o->bad_blocks == CD_NAND_BB_SKIP) {
        uint64_t need = nimg;
        while (need && cd_all_ff(img + (need - 1) * bb, bb))
            need--;
        uint64_t good = count - rep->nbad;
        if (need > good) {
            r = cd_fail(CD_E_SIZE_MISMATCH,
                        "--bad-blocks skip: the image needs %llu good blocks but blocks %u..%u "
                        "have %llu (bad: %s); nothing was erased",
                        (unsigned long long)need, first, first + count - 1,
                        (unsigned long long)good, list);
            goto out;
        }
        uint32_t t = 0;
        for (uint64_t i = 0; i < nimg; i++) {
            while (t < count && bad[t])
                t++;
            target[i] = t < count ? (int64_t)(first + t++) : -1; /* -1: blank, nowhere to go */
        }
    } else {
        for (uint64_t i = 0; i < nimg; i++) {
            target[i] = bad[i] ? -1 : (int64_t)(first + i);
            if (!bad[i] || cd_all_ff(img + i * bb, bb))
                continue;
            /* An image read from this very chip holds the bad block's bytes: fine. */
            const uint8_t *now = current ? current + i * bb : NULL;
            uint64_t off = i * bb;
            bool same = true;
            uint32_t pbytes = o->raw ? cd_nand_raw_page(c) : c->page_size;
            for (uint32_t pg = 0; same && pg < c->pages_per_block; pg++) {
                const uint8_t *want = img + off + (uint64_t)pg * pbytes;
                if (now) {
                    same = !memcmp(now + (uint64_t)pg * pbytes, want, pbytes);
                    continue;
                }
                int f = cd_nand_read_page(n, (first + (uint32_t)i) * c->pages_per_block + pg, tmp,
                                          o->raw, !o->raw);
                if (f < 0 && f != CD_E_ECC_UNCORRECTABLE) {
                    r = f;
                    goto out;
                }
                same = !memcmp(tmp, want, pbytes);
            }
            if (!same) {
                r = cd_fail(CD_E_BAD_IMAGE,
                            "the image holds data at offset 0x%llx for block %u, which is a "
                            "factory-bad block on this chip (bad: %s); a bad block is never "
                            "written: use --bad-blocks skip to move the data to the next good "
                            "block; nothing was erased",
                            (unsigned long long)off, first + (uint32_t)i, list);
                goto out;
            }
        }
    }

    /* ---- execute ---- */
    uint64_t total = len * (o->verify ? 2 : 1), done = 0;
    for (uint64_t i = 0; i < nimg; i++, done += bb) {
        const uint8_t *src = img + i * bb;
        if (target[i] >= 0) {
            uint32_t t = (uint32_t)target[i];
            const uint8_t *now = current ? current + (uint64_t)(t - first) * bb : NULL;
            bool blank = cd_all_ff(src, bb);
            if (now && (!memcmp(now, src, bb))) {
                rep->blocks_unchanged++;
            } else if (blank) {
                if ((r = cd_nand_erase_block(n, t))) {
                    rep->failed_block = t;
                    goto out;
                }
                rep->blocks_erased++;
            } else if ((r = write_block(n, t, src, o->raw, rep))) {
                goto out;
            }
        }
        if ((r = progress_at(o->progress, o->progress_user, done + bb, total)))
            goto out;
    }
    for (uint64_t i = 0; o->verify && i < nimg; i++, done += bb) {
        if (target[i] >= 0 &&
            (r = verify_block(n, (uint32_t)target[i], img + i * bb, o->raw, i * bb, tmp)))
            goto out;
        if ((r = progress_at(o->progress, o->progress_user, done + bb, total)))
            goto out;
    }
out:
    free(bad);
    free(tmp);
    free(target);
    return r;
}

int cd_nand_verify_blocks(struct cd_nand *n, uint32_t first, uint32_t count, const uint8_t *img,
                          uint64_t len, bool raw, bool skip_bad, cd_progress_fn progress,
                          void *user, struct cd_nand_report *rep)
{
    const struct cd_chip *c = cd_nand_chip(n);
    uint64_t bb = cd_nand_block_bytes(c, raw);
    uint8_t *bad = NULL, *tmp = NULL;
    report_init(rep);
    int r = check_range(n, first, count);
    if (r)
        return r;
    if (len == 0 || len % bb || len / bb > count || (!skip_bad && len / bb != count))
        return cd_fail(CD_E_SIZE_MISMATCH,
                       "the image is %llu bytes; blocks %u..%u hold %llu (%llu-byte blocks)",
                       (unsigned long long)len, first, first + count - 1,
                       (unsigned long long)(count * bb), (unsigned long long)bb);
    if (!(tmp = malloc(cd_nand_raw_page(c)))) {
        r = CD_E_NOMEM;
        goto out;
    }
    if ((r = scan(n, first, count, &bad, rep)))
        goto out;
    uint64_t nimg = len / bb;
    if (skip_bad && nimg > count - rep->nbad) {
        r = cd_fail(CD_E_SIZE_MISMATCH,
                    "the image holds %llu blocks but the range has %llu good "
                    "blocks",
                    (unsigned long long)nimg, (unsigned long long)(count - rep->nbad));
        goto out;
    }
    uint32_t t = 0;
    for (uint64_t i = 0; i < nimg; i++) {
        if (skip_bad) {
            while (bad[t])
                t++;
        } else {
            t = (uint32_t)i;
        }
        if (!bad[t] && (r = verify_block(n, first + t, img + i * bb, raw, i * bb, tmp)))
            goto out;
        t++;
        if ((r = progress_at(progress, user, (i + 1) * bb, len)))
            goto out;
    }
out:
    free(bad);
    free(tmp);
    return r;
}

int cd_nand_erase_blocks(struct cd_nand *n, uint32_t first, uint32_t count, cd_progress_fn progress,
                         void *user, struct cd_nand_report *rep)
{
    uint8_t *bad = NULL;
    report_init(rep);
    int r = check_range(n, first, count);
    if (r || (r = scan(n, first, count, &bad, rep)))
        goto out;
    for (uint32_t i = 0; i < count; i++) {
        if (!bad[i]) {
            if ((r = cd_nand_erase_block(n, first + i))) {
                rep->failed_block = first + i;
                break;
            }
            rep->blocks_erased++;
        }
        if ((r = progress_at(progress, user, i + 1, count)))
            break;
    }
out:
    free(bad);
    return r;
}

int cd_nand_strip_oob(const uint8_t *raw, uint64_t n_pages, uint32_t page, uint32_t oob,
                      uint32_t ppb, bool skip_bad, uint8_t *out, uint64_t *out_len, uint32_t **bad,
                      size_t *nbad)
{
    uint64_t rp = (uint64_t)page + oob;
    uint8_t *dst = out;
    int r = CD_OK;
    if (bad) {
        *bad = NULL;
        *nbad = 0;
    }
    if (!ppb)
        return cd_fail(CD_E_ARG, "pages per block is 0");
    for (uint64_t p0 = 0; p0 < n_pages; p0 += ppb) {
        uint64_t np = n_pages - p0 < ppb ? n_pages - p0 : ppb;
        const uint8_t *blk = raw + p0 * rp;
        /* factory marker: OOB bytes 0/1 of the block's first page (only where a byte exists) */
        bool is_bad = oob && (blk[page] != 0xFF || (oob > 1 && blk[page + 1] != 0xFF));
        if (is_bad && bad && (r = push_u32(bad, nbad, (uint32_t)(p0 / ppb))))
            break;
        if (is_bad && skip_bad)
            continue;
        for (uint64_t i = 0; i < np; i++, dst += page)
            memmove(dst, blk + i * rp, page); /* in place: overlapping */
    }
    *out_len = (uint64_t)(dst - out);
    return r;
}

/* Read exactly n bytes (short only at end of file). */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/*
 * The dump goes out in chunks, a ring of them: this thread writes each chunk, a second thread
 * hashes it meanwhile (SHA-256 costs about as much as the copies do), so on two cores the job
 * takes about as long as `cat`. A regular file is mapped and written with writev() straight
 * from the mapping, page by page (the kernel's copy is the only one); anything else is read()
 * in ~1 MiB chunks and compacted in place.
 */
#define STRIP_CHUNK (1u << 20)
#define STRIP_PAGES 1024 /* pages per chunk of the mapped path (IOV_MAX) */
#define STRIP_RING  4

struct chunk {
    uint8_t *buf; /* read path: the compacted data */
    uint64_t len;
    struct iovec *iov; /* mapped path: the data of each page */
    int niov;
};

struct hasher {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct chunk c[STRIP_RING];
    uint64_t produced, hashed; /* chunks */
    bool done, failed;
    EVP_MD_CTX *md;
};

static void *hash_thread(void *arg)
{
    struct hasher *h = arg;
    for (uint64_t j = 0;; j++) {
        pthread_mutex_lock(&h->lock);
        while (h->produced <= j && !h->done)
            pthread_cond_wait(&h->cond, &h->lock);
        bool have = h->produced > j;
        pthread_mutex_unlock(&h->lock);
        if (!have)
            return NULL;
        const struct chunk *c = &h->c[j % STRIP_RING];
        bool ok = true;
        if (c->niov)
            for (int i = 0; ok && i < c->niov; i++)
                ok = EVP_DigestUpdate(h->md, c->iov[i].iov_base, c->iov[i].iov_len) == 1;
        else
            ok = EVP_DigestUpdate(h->md, c->buf, c->len) == 1;
        pthread_mutex_lock(&h->lock);
        h->failed |= !ok;
        h->hashed = j + 1;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
    }
}

/* The chunk k may be filled once the chunk that used its slot is hashed. */
static void wait_slot(struct hasher *h, uint64_t k)
{
    pthread_mutex_lock(&h->lock);
    while (h->hashed + STRIP_RING <= k)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

static void publish(struct hasher *h, uint64_t k)
{
    pthread_mutex_lock(&h->lock);
    h->produced = k + 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

/* Map the n bytes at fd's position if fd is a regular file that holds them; NULL if not. */
static const uint8_t *map_input(int fd, uint64_t n, off_t *pos, void **base, size_t *base_len)
{
    struct stat st;
    *pos = lseek(fd, 0, SEEK_CUR);
    if (*pos < 0 || !n || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < (uint64_t)*pos + n)
        return NULL;
    off_t start = *pos & ~(off_t)(sysconf(_SC_PAGESIZE) - 1);
    *base_len = (size_t)(*pos - start) + (size_t)n;
    *base = mmap(NULL, *base_len, PROT_READ, MAP_PRIVATE, fd, start);
    if (*base == MAP_FAILED)
        return NULL;
    madvise(*base, *base_len, MADV_SEQUENTIAL);
    return (const uint8_t *)*base + (*pos - start);
}

int cd_nand_strip_oob_fd(int fd, uint64_t n_pages, uint32_t page, uint32_t oob, uint32_t ppb,
                         bool skip_bad, struct cd_outfile *out, char sha256_hex[65],
                         uint64_t *out_len, uint32_t **bad, size_t *nbad)
{
    uint64_t rp = (uint64_t)page + oob;
    struct hasher h = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    bool started = false;
    int r = CD_OK;
    *out_len = 0;
    if (bad) {
        *bad = NULL;
        *nbad = 0;
    }
    if (!ppb)
        return cd_fail(CD_E_ARG, "pages per block is 0");
    off_t pos = 0;
    void *base = NULL;
    size_t base_len = 0;
    const uint8_t *map = map_input(fd, n_pages * rp, &pos, &base, &base_len);
    /* pages per chunk: whole blocks */
    uint64_t per = map ? (STRIP_PAGES / ppb ? STRIP_PAGES / ppb * ppb : ppb)
                       : ppb * (STRIP_CHUNK / (rp * ppb) ? STRIP_CHUNK / (rp * ppb) : 1);
    h.md = EVP_MD_CTX_new();
    for (int i = 0; !r && i < STRIP_RING; i++) {
        if (map ? !(h.c[i].iov = malloc(per * sizeof(struct iovec)))
                : !(h.c[i].buf = malloc(per * rp)))
            r = CD_E_NOMEM;
    }
    if (!r && (!h.md || EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) != 1))
        r = cd_fail(CD_E_IO, "SHA-256 init failed");
    if (!r && pthread_create(&th, NULL, hash_thread, &h))
        r = cd_fail(CD_E_NOMEM, "cannot start the hashing thread");
    started = !r;
    for (uint64_t k = 0, p0 = 0; !r && p0 < n_pages; k++, p0 += per) {
        uint64_t np = n_pages - p0 < per ? n_pages - p0 : per, len = 0;
        struct chunk *c = &h.c[k % STRIP_RING];
        wait_slot(&h, k);
        if (map) {
            c->niov = 0;
            for (uint64_t b0 = 0; b0 < np; b0 += ppb) {
                const uint8_t *blk = map + (p0 + b0) * rp;
                bool is_bad = blk[page] != 0xFF || (oob > 1 && blk[page + 1] != 0xFF);
                if (is_bad && bad && (r = push_u32(bad, nbad, (uint32_t)((p0 + b0) / ppb))))
                    break;
                if (is_bad && skip_bad)
                    continue;
                for (uint64_t i = b0; i < np && i < b0 + ppb; i++)
                    c->iov[c->niov++] = (struct iovec){(void *)(map + (p0 + i) * rp), page};
            }
            len = (uint64_t)c->niov * page;
        } else {
            ssize_t got = read_full(fd, c->buf, np * rp);
            if (got < 0) {
                r = cd_fail(CD_E_IO, "read: %s", strerror(errno));
                break;
            }
            if ((uint64_t)got != np * rp) {
                r = cd_fail(CD_E_BAD_IMAGE, "the dump ends at byte %llu, page %llu of %llu",
                            (unsigned long long)(p0 * rp + (uint64_t)got),
                            (unsigned long long)(p0 + (uint64_t)got / rp),
                            (unsigned long long)n_pages);
                break;
            }
            uint32_t *cb = NULL;
            size_t ncb = 0;
            /* in place: a page only ever moves down */
            r = cd_nand_strip_oob(c->buf, np, page, oob, ppb, skip_bad, c->buf, &len,
                                  bad ? &cb : NULL, &ncb);
            for (size_t i = 0; !r && i < ncb; i++)
                r = push_u32(bad, nbad, (uint32_t)(p0 / ppb) + cb[i]);
            free(cb);
            c->len = len;
        }
        if (r)
            break;
        publish(&h, k);
        r = map ? cd_outfile_writev(out, c->iov, c->niov) : cd_outfile_write(out, c->buf, len);
        *out_len += len;
    }
    if (started) {
        pthread_mutex_lock(&h.lock);
        h.done = true;
        pthread_cond_broadcast(&h.cond);
        pthread_mutex_unlock(&h.lock);
        pthread_join(th, NULL);
    }
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (!r && (h.failed || EVP_DigestFinal_ex(h.md, dig, &dlen) != 1 || dlen != 32))
        r = cd_fail(CD_E_IO, "SHA-256 failed");
    for (unsigned i = 0; !r && i < 32; i++)
        snprintf(sha256_hex + 2 * i, 3, "%02x", dig[i]);
    EVP_MD_CTX_free(h.md);
    for (int i = 0; i < STRIP_RING; i++) {
        free(h.c[i].buf);
        free(h.c[i].iov);
    }
    if (map) {
        munmap(base, base_len);
        lseek(fd, pos + (off_t)(n_pages * rp), SEEK_SET);
    }
    return r;
}
