/* libchipdump: atomic output files, whole-file reads, SHA-256 and the JSON manifest. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "chipdump/error.h"
#include "chipdump/output.h"

#define PARTIAL_SUFFIX ".partial-XXXXXX"

struct cd_outfile {
    int fd;
    bool force;
    char *final; /* final path as given */
    char *dir;   /* directory holding final and temp (fsync'ed after the rename) */
    /*
     * Temporary path. Lives inside this allocation so its address never changes between
     * open and commit/abort: a SIGINT handler may read it and unlink() it.
     */
    char temp[];
};

/* Directory part of path ("." when there is none, "/" for "/x"). malloc'ed. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/x" -> "/" */
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* write() until everything is out, retrying on EINTR and short writes. 0 or an errno. */
static int write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return EIO; /* no progress and no error: do not spin forever */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void outfile_free(struct cd_outfile *o)
{
    free(o->final);
    free(o->dir);
    free(o);
}

/* Permissions of a file created by open(..., 0644): mkstemp always gives 0600. */
static mode_t default_file_mode(void)
{
    /*
     * umask() can only be read by setting it; the window is two syscalls long and this
     * library creates no files from other threads meanwhile.
     */
    mode_t mask = umask(022);
    umask(mask);
    return 0644 & ~mask;
}

/* fsync a directory so the rename is durable. Filesystems that cannot sync one are skipped. */
static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == EACCES ? 0 : errno;
    int err = 0;
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
        err = errno;
    close(fd);
    return err;
}

int cd_outfile_open(const char *path, bool force, struct cd_outfile **out)
{
    if (!out)
        return cd_fail(CD_E_ARG, "no output handle");
    *out = NULL;
    if (!path || !*path)
        return cd_fail(CD_E_ARG, "empty output path");
    size_t plen = strlen(path);
    if (path[plen - 1] == '/')
        return cd_fail(CD_E_ARG, "output path %s names a directory", path);

    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return cd_fail(CD_E_ARG, "output path %s is a directory", path);
        if (!force)
            return cd_fail(CD_E_EXISTS, "%s already exists", path);
    } else if (errno != ENOENT) {
        return cd_fail(CD_E_IO, "cannot access %s: %s", path, strerror(errno));
    }

    struct cd_outfile *o = malloc(sizeof(*o) + plen + sizeof(PARTIAL_SUFFIX));
    if (!o)
        return cd_fail(CD_E_NOMEM, "out of memory");
    o->fd = -1;
    o->force = force;
    o->final = strdup(path);
    o->dir = dir_of(path);
    if (!o->final || !o->dir) {
        outfile_free(o);
        return cd_fail(CD_E_NOMEM, "out of memory");
    }
    memcpy(o->temp, path, plen);
    memcpy(o->temp + plen, PARTIAL_SUFFIX, sizeof(PARTIAL_SUFFIX));

    o->fd = mkstemp(o->temp);
    if (o->fd < 0) {
        int e = errno;
        int rc = cd_fail(CD_E_IO, "cannot create a file in directory %s: %s", o->dir, strerror(e));
        outfile_free(o);
        return rc;
    }
    (void)fcntl(o->fd, F_SETFD, FD_CLOEXEC);
    *out = o;
    return CD_OK;
}

int cd_outfile_write(struct cd_outfile *o, const void *buf, size_t len)
{
    if (!o || o->fd < 0 || (!buf && len))
        return cd_fail(CD_E_ARG, "bad output file write");
    int e = write_all(o->fd, buf, len);
    if (e)
        return cd_fail(CD_E_IO, "cannot write %s: %s", o->temp, strerror(e));
    return CD_OK;
}

int cd_outfile_writev(struct cd_outfile *o, const struct iovec *iov, int n)
{
    if (!o || o->fd < 0 || n < 0 || (n && !iov))
        return cd_fail(CD_E_ARG, "bad output file write");
    struct iovec v[256];
    while (n > 0) {
        int k = n < 256 ? n : 256; /* a copy we may advance over short writes */
        memcpy(v, iov, (size_t)k * sizeof(*v));
        for (int i = 0; i < k;) {
            if (!v[i].iov_len) {
                i++;
                continue;
            }
            ssize_t w = writev(o->fd, v + i, k - i);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return cd_fail(CD_E_IO, "cannot write %s: %s", o->temp,
                               strerror(w < 0 ? errno : EIO));
            while (i < k && (size_t)w >= v[i].iov_len)
                w -= (ssize_t)v[i++].iov_len;
            if (i < k) {
                v[i].iov_base = (char *)v[i].iov_base + w;
                v[i].iov_len -= (size_t)w;
            }
        }
        iov += k;
        n -= k;
    }
    return CD_OK;
}

/* Move temp to final. Without force, refuse to replace a file that appeared since open. */
static int publish(struct cd_outfile *o)
{
    if (!o->force) {
        /* link() fails with EEXIST atomically, unlike a stat() + rename() pair. */
        if (link(o->temp, o->final) == 0) {
            unlink(o->temp);
            return CD_OK;
        }
        if (errno == EEXIST)
            return cd_fail(CD_E_EXISTS, "%s already exists", o->final);
        /* Filesystems without hard links (vfat, some FUSE): check, then rename. */
        struct stat st;
        if (lstat(o->final, &st) == 0)
            return cd_fail(CD_E_EXISTS, "%s already exists", o->final);
    }
    if (rename(o->temp, o->final) != 0)
        return cd_fail(CD_E_IO, "cannot rename %s to %s: %s", o->temp, o->final, strerror(errno));
    return CD_OK;
}

int cd_outfile_commit(struct cd_outfile *o)
{
    if (!o)
        return cd_fail(CD_E_ARG, "no output file");
    int rc = CD_OK;

    if (fchmod(o->fd, default_file_mode()) != 0) {
        rc = cd_fail(CD_E_IO, "cannot chmod %s: %s", o->temp, strerror(errno));
        goto err_abort;
    }
    if (fsync(o->fd) != 0) {
        rc = cd_fail(CD_E_IO, "cannot sync %s: %s", o->temp, strerror(errno));
        goto err_abort;
    }
    int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0) {
        rc = cd_fail(CD_E_IO, "cannot close %s: %s", o->temp, strerror(errno));
        goto err_abort;
    }
    rc = publish(o);
    if (rc != CD_OK)
        goto err_abort;

    int e = fsync_dir(o->dir);
    if (e)
        rc = cd_fail(CD_E_IO, "%s written but directory %s could not be synced: %s", o->final,
                     o->dir, strerror(e));
    outfile_free(o);
    return rc;

err_abort:
    cd_outfile_abort(o);
    return rc;
}

void cd_outfile_abort(struct cd_outfile *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    unlink(o->temp); /* ENOENT is fine: a signal handler may have removed it already */
    outfile_free(o);
}

const char *cd_outfile_temp_path(const struct cd_outfile *o)
{
    return o ? o->temp : NULL;
}

int cd_write_file_atomic(const char *path, const void *buf, size_t len, bool force)
{
    struct cd_outfile *o;
    int rc = cd_outfile_open(path, force, &o);
    if (rc != CD_OK)
        return rc;
    rc = cd_outfile_write(o, buf, len);
    if (rc != CD_OK) {
        cd_outfile_abort(o);
        return rc;
    }
    return cd_outfile_commit(o);
}

int cd_read_file(const char *path, uint8_t **buf, size_t *len)
{
    if (!path || !buf || !len)
        return cd_fail(CD_E_ARG, "bad arguments to cd_read_file");
    *buf = NULL;
    *len = 0;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cd_fail(CD_E_BAD_IMAGE, "cannot read %s: %s", path, strerror(errno));
    int rc = CD_OK;
    uint8_t *data = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = cd_fail(CD_E_BAD_IMAGE, "cannot read %s: %s", path, strerror(errno));
        goto close_fd;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = cd_fail(CD_E_BAD_IMAGE, "cannot read %s: %s", path, strerror(EISDIR));
        goto close_fd;
    }

    /* st_size is only a hint: pipes report 0 and files may change while we read. */
    size_t cap = 4096;
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX - 1)
        cap = (size_t)st.st_size + 1; /* +1 so EOF is seen without growing */
    data = malloc(cap);
    if (!data) {
        rc = cd_fail(CD_E_NOMEM, "cannot read %s: out of memory", path);
        goto close_fd;
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) {
                rc = cd_fail(CD_E_BAD_IMAGE, "cannot read %s: file too large", path);
                goto free_data;
            }
            uint8_t *bigger = realloc(data, cap * 2);
            if (!bigger) {
                rc = cd_fail(CD_E_NOMEM, "cannot read %s: out of memory", path);
                goto free_data;
            }
            data = bigger;
            cap *= 2;
        }
        ssize_t r = read(fd, data + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = cd_fail(CD_E_BAD_IMAGE, "cannot read %s: %s", path, strerror(errno));
            goto free_data;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *buf = data;
    *len = n;
    return CD_OK;

free_data:
    free(data);
close_fd:
    close(fd);
    return rc;
}

int cd_sha256_hex(const void *buf, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!hex || (!buf && len))
        return cd_fail(CD_E_ARG, "bad arguments to cd_sha256_hex");
    if (!buf)
        buf = ""; /* EVP wants a valid pointer even for 0 bytes */
    if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return cd_fail(CD_E_IO, "SHA-256 computation failed (libcrypto)");
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return CD_OK;
}

/* ---- manifest ---- */

/* Add a string member unless s is NULL. Bytes that are not UTF-8 become '?'. 0 or -1. */
static int set_str(json_t *obj, const char *key, const char *s)
{
    if (!s)
        return 0;
    json_t *v = json_string(s);
    if (!v) {
        /* jansson rejects invalid UTF-8; chip names come from user files, so degrade. */
        char *copy = strdup(s);
        if (!copy)
            return -1;
        for (char *p = copy; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        v = json_string(copy);
        free(copy);
    }
    return json_object_set_new(obj, key, v);
}

static int set_uint(json_t *obj, const char *key, uint64_t x)
{
    if (x > (uint64_t)LLONG_MAX)
        return -1;
    return json_object_set_new(obj, key, json_integer((json_int_t)x));
}

static json_t *unstable_json(const struct cd_manifest *m)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < m->nunstable; i++) {
        const struct cd_manifest_unstable *u = &m->unstable[i];
        json_t *o = json_object();
        if (!o || set_uint(o, "offset", u->offset) || set_uint(o, "length", u->length) ||
            set_uint(o, "tries", u->tries) ||
            json_object_set_new(o, "resolved", json_boolean(u->resolved)) ||
            json_array_append_new(arr, o)) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *u32_array(const uint32_t *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, json_integer(v[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *nand_json(const struct cd_manifest_nand *n)
{
    json_t *o = json_object(), *blocks = json_array();
    if (!o || !blocks)
        goto err;
    for (size_t i = 0; i < n->necc_blocks; i++) {
        const struct cd_manifest_ecc_block *e = &n->ecc_blocks[i];
        json_t *b = json_object();
        if (!b || set_uint(b, "block", e->block) ||
            set_uint(b, "corrected_bitflips", e->bitflips) ||
            set_uint(b, "max_bitflips_per_page", e->max_bitflips) ||
            set_uint(b, "pages_corrected", e->pages_corrected) ||
            set_uint(b, "pages_uncorrectable", e->pages_uncorrectable) ||
            json_array_append_new(blocks, b)) {
            json_decref(b);
            goto err;
        }
    }
    if (set_str(o, "layout", n->layout) || set_uint(o, "oob_size", n->oob_size) ||
        set_uint(o, "pages_per_block", n->pages_per_block) || set_uint(o, "blocks", n->blocks) ||
        set_uint(o, "planes", n->planes) || set_uint(o, "dies", n->dies) ||
        json_object_set_new(o, "ecc", n->ecc ? json_string(n->ecc) : json_null()) ||
        set_uint(o, "ecc_strength", n->ecc_strength) || set_uint(o, "ecc_step", n->ecc_step) ||
        set_str(o, "bad_blocks_policy", n->bad_blocks_policy) ||
        json_object_set_new(o, "bad_blocks", u32_array(n->bad_blocks, n->nbad_blocks)))
        goto err;
    json_t *b = blocks;
    blocks = NULL; /* owned by o from here */
    if (json_object_set_new(o, "ecc_blocks", b) ||
        json_object_set_new(o, "uncorrectable_pages",
                            u32_array(n->uncorrectable_pages, n->nuncorrectable_pages)) ||
        set_uint(o, "corrected_bitflips", n->corrected_bitflips))
        goto err;
    return o;
err:
    json_decref(blocks);
    json_decref(o);
    return NULL;
}

static json_t *manifest_object(const struct cd_manifest *m, const char *date)
{
    json_t *root = json_object();
    json_t *erase = json_array();
    json_t *e;
    if (!root || !erase)
        goto err_free;
    for (size_t i = 0; i < m->nerase_sizes; i++)
        if (json_array_append_new(erase, json_integer(m->erase_sizes[i])))
            goto err_free;

    /* Insertion order is the output order (JSON_PRESERVE_ORDER). */
    if (set_str(root, "file", m->file) || set_str(root, "chip", m->chip) ||
        set_str(root, "vendor", m->vendor) || set_str(root, "type", m->type) ||
        set_str(root, "jedec_id", m->jedec_id) || set_uint(root, "size", m->chip_size) ||
        set_uint(root, "page_size", m->page_size))
        goto err_free;
    e = erase;
    erase = NULL; /* owned by root from here, even on failure */
    if (json_object_set_new(root, "erase_sizes", e) || set_str(root, "programmer", m->programmer) ||
        set_uint(root, "offset", m->offset) || set_uint(root, "length", m->length) ||
        set_str(root, "sha256", m->sha256) || set_uint(root, "reads", m->reads) ||
        json_object_set_new(root, "unstable_blocks", unstable_json(m)) ||
        (m->nand && json_object_set_new(root, "nand", nand_json(m->nand))) ||
        set_str(root, "date", date) || set_str(root, "tool", "chipdump") ||
        set_str(root, "tool_version", m->tool_version ? m->tool_version : cd_version()))
        goto err_free;
    return root;

err_free:
    json_decref(erase);
    json_decref(root);
    return NULL;
}

char *cd_manifest_json(const struct cd_manifest *m)
{
    if (!m || (m->nerase_sizes && !m->erase_sizes) || (m->nunstable && !m->unstable))
        return NULL;
    if (m->nand && ((m->nand->nbad_blocks && !m->nand->bad_blocks) ||
                    (m->nand->necc_blocks && !m->nand->ecc_blocks) ||
                    (m->nand->nuncorrectable_pages && !m->nand->uncorrectable_pages)))
        return NULL;

    char date[32];
    const char *d = m->date;
    if (!d) {
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm))
            return NULL;
        d = date;
    }

    json_t *root = manifest_object(m, d);
    if (!root)
        return NULL;
    /* json_dumpb writes into our buffer, so the caller frees with plain free(). */
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
    size_t n = json_dumpb(root, NULL, 0, flags);
    char *out = n ? malloc(n + 2) : NULL;
    if (out && json_dumpb(root, out, n, flags) == n) {
        out[n] = '\n';
        out[n + 1] = '\0';
    } else {
        free(out);
        out = NULL;
    }
    json_decref(root);
    return out;
}

int cd_manifest_write(const char *path, const struct cd_manifest *m)
{
    if (!m)
        return cd_fail(CD_E_ARG, "no manifest");
    char *text = cd_manifest_json(m);
    if (!text)
        return cd_fail(CD_E_NOMEM, "cannot build the manifest for %s", path ? path : "(null)");
    int rc = cd_write_file_atomic(path, text, strlen(text), true);
    free(text);
    return rc;
}
