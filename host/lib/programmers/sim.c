/*
 * The "sim" programmer: an SPI chip model in this process, over a memory buffer (the
 * built-in demo image) or a mmap'ed image file, so every driver path runs without hardware.
 *   -p sim[:chip=NAME][,image=PATH][,sr1=0xNN][,id=HEX][,throttle=KIB_PER_S][,faults=LIST]
 * NOR rows get the SPI-NOR model (image = the chip's bytes), NAND rows the SPI-NAND model
 * (image = every page's data followed by its OOB, the raw-dump layout). image= is created
 * erased (all 0xFF) if missing; sr1= presets status register 1 of a NOR chip (e.g. to test
 * block protection); throttle= makes transfers take real time (to watch progress or
 * interrupt a read); id=HEX makes the chip answer another READ ID (a part the database lacks,
 * to exercise SFDP probing). faults= is a '+'-separated list of:
 *   noise:OFF:LEN:COUNT  flip one bit in every read that touches OFF..OFF+LEN of the image for
 *                        the first COUNT such reads (0 = forever), like a marginal clip
 *                        contact: the bus, not the cells, so on-die ECC cannot help;
 *   flip:PAGE:N[:STEP]   NAND: N weak bits in ECC step STEP (default 0) of page PAGE (chip-
 *                        wide index): corrected by on-die ECC up to its strength;
 *   bad:BLOCK            NAND: mark BLOCK factory-bad (00h in OOB bytes 0-1 of its first page,
 *                        written into the image);
 *   pfail:BLOCK, efail:BLOCK  NAND: program / erase in BLOCK ends with P_FAIL / E_FAIL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "chipdump/sim.h"
#include "programmers.h"
#include "sim/demo_image.h"

/* SPI clock assumed for model time: 50 MHz, i.e. 160 ns per byte on one data line. */
#define SIM_NS_PER_BYTE 160

#define MAX_NOISE  8
#define MAX_FAULTS 64

struct noise {
    uint64_t off, len;
    unsigned count, hits; /* count 0 = forever */
    uint64_t seed;
};

struct faults {
    struct noise noise[MAX_NOISE];
    size_t nnoise;
    struct cd_nand_fault nand[MAX_FAULTS];
    size_t nnand;
    uint32_t bad[MAX_FAULTS]; /* blocks to mark factory-bad */
    size_t nbad;
};

struct sim {
    struct cd_spi_model *model;
    uint8_t *array;
    size_t size;
    bool mapped;
    bool nand;
    unsigned long throttle_kib; /* 0 = as fast as possible */
    struct faults faults;
    struct cd_chip custom; /* the emulated row when id= overrides its ID */
};

static bool is_array_read(uint8_t cmd)
{
    return cmd == 0x03 || cmd == 0x0B || cmd == 0x13 || cmd == 0x0C;
}

/* Flip one pseudo-random bit of the part of a read that overlaps a noisy region. a is where
 * the read began: the NOR address, or the offset into the page+OOB image of a NAND cache read. */
static void add_noise(struct sim *s, const struct cd_op *op, uint64_t a)
{
    for (size_t i = 0; i < s->faults.nnoise; i++) {
        struct noise *n = &s->faults.noise[i];
        if (!n->len || (n->count && n->hits >= n->count))
            continue;
        uint64_t b = a + op->data_len;
        uint64_t lo = a > n->off ? a : n->off, hi = b < n->off + n->len ? b : n->off + n->len;
        if (lo >= hi)
            continue;
        n->hits++;
        n->seed = n->seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t at = lo + (n->seed >> 33) % (hi - lo);
        ((uint8_t *)op->data.in)[at - a] ^= (uint8_t)(1u << ((n->seed >> 29) & 7));
    }
}

static void throttle(struct sim *s, size_t bytes)
{
    if (!s->throttle_kib)
        return;
    uint64_t ns = (uint64_t)bytes * 1000000000ull / (s->throttle_kib * 1024);
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

static void sim_clock(struct sim *s, size_t bytes)
{
    s->model->ops->advance_ns(s->model, (uint64_t)bytes * SIM_NS_PER_BYTE);
}

static int sim_exec(struct cd_programmer *p, const struct cd_op *op)
{
    struct sim *s = p->priv;
    const struct cd_spi_model_ops *m = s->model->ops;
    uint8_t hdr[1 + 4 + 255];
    size_t n = 0;

    hdr[n++] = op->cmd;
    for (int i = op->addr_len - 1; i >= 0; i--)
        hdr[n++] = (uint8_t)(op->addr >> (8 * i));
    memset(hdr + n, 0xFF, op->dummy_len);
    n += op->dummy_len;

    m->select(s->model);
    m->xfer(s->model, hdr, NULL, n);
    if (op->dir == CD_DATA_IN)
        m->xfer(s->model, NULL, op->data.in, op->data_len);
    else if (op->dir == CD_DATA_OUT)
        m->xfer(s->model, op->data.out, NULL, op->data_len);
    m->deselect(s->model);
    if (op->dir == CD_DATA_IN && s->faults.nnoise) {
        uint64_t at;
        if (!s->nand && is_array_read(op->cmd))
            add_noise(s, op, op->addr);
        else if (s->nand && cd_nand_model_last_cache_read(s->model, &at))
            add_noise(s, op, at);
    }
    sim_clock(s, n + (op->dir != CD_DATA_NONE ? op->data_len : 0));
    throttle(s, n + op->data_len);
    return CD_OK;
}

static int sim_delay(struct cd_programmer *p, uint32_t us)
{
    struct sim *s = p->priv;
    s->model->ops->advance_ns(s->model, (uint64_t)us * 1000);
    return CD_OK;
}

static void sim_close(struct cd_programmer *p)
{
    struct sim *s = p->priv;
    if (!s)
        return;
    if (s->model)
        s->model->ops->destroy(s->model);
    if (s->mapped) {
        msync(s->array, s->size, MS_SYNC);
        munmap(s->array, s->size);
    } else {
        free(s->array);
    }
    free(s);
}

static const struct cd_programmer_ops sim_ops = {
    .name = "sim",
    .exec_op = sim_exec,
    .delay_us = sim_delay,
    .close = sim_close,
};

/* What the image of chip must hold, for messages. */
static void describe_size(const struct cd_chip *chip, uint64_t size, char *buf, size_t n)
{
    if (chip->type == CD_CHIP_NAND)
        snprintf(buf, n,
                 "%llu bytes (%u blocks x %u pages x (%u + %u OOB) bytes, page+OOB "
                 "interleaved)",
                 (unsigned long long)size, (unsigned)(chip->blocks_per_die * chip->dies),
                 (unsigned)chip->pages_per_block, (unsigned)chip->page_size,
                 (unsigned)chip->oob_size);
    else
        snprintf(buf, n, "%llu bytes", (unsigned long long)size);
}

static int map_image(struct sim *s, const char *path, const struct cd_chip *chip, uint64_t size)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return cd_fail(CD_E_IO, "sim image %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cd_fail(CD_E_BAD_IMAGE, "sim image %s: not a regular file", path);
    }
    bool created = st.st_size == 0;
    if (!created && (uint64_t)st.st_size != size) {
        char want[160];
        describe_size(chip, size, want, sizeof(want));
        close(fd);
        return cd_fail(CD_E_SIZE_MISMATCH, "sim image %s is %lld bytes but %s is %s", path,
                       (long long)st.st_size, chip->name, want);
    }
    if (created && ftruncate(fd, (off_t)size) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(CD_E_IO, "sim image %s: %s", path, strerror(e));
    }
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return cd_fail(CD_E_IO, "sim image %s: mmap: %s", path, strerror(errno));
    s->array = map;
    s->size = size;
    s->mapped = true;
    if (created)
        memset(s->array, 0xFF, s->size);
    return CD_OK;
}

/* The demo layout in the data areas of a NAND image, OOB erased: filled at the front of the
 * buffer, then spread page by page from the last (a page only ever moves up). */
static int nand_demo_image(uint8_t *raw, const struct cd_chip *chip)
{
    int r = cd_demo_image_fill(raw, chip->size, chip->name);
    if (r)
        return r;
    uint64_t pages = chip->size / chip->page_size, rawpage = chip->page_size + chip->oob_size;
    for (uint64_t i = pages; i-- > 0;) {
        memmove(raw + i * rawpage, raw + i * chip->page_size, chip->page_size);
        memset(raw + i * rawpage + chip->page_size, 0xFF, chip->oob_size);
    }
    return CD_OK;
}

struct cd_spi_model *cd_sim_model(struct cd_programmer *p)
{
    if (!p || p->ops != &sim_ops)
        return NULL;
    return ((struct sim *)p->priv)->model;
}

static int bad_fault(const char *item, const char *why)
{
    return cd_fail(CD_E_ARG,
                   "sim: bad fault '%s': %s (faults=ITEM[+ITEM...], ITEM one of "
                   "noise:OFF:LEN:COUNT, flip:PAGE:N[:STEP], bad:BLOCK, pfail:BLOCK, efail:BLOCK)",
                   item, why);
}

/* One list item; numbers are decimal or 0x hex. */
static int parse_fault(const char *item, struct faults *f)
{
    char kind[16];
    unsigned long long a, b;
    unsigned c, d;
    int used = 0;
    if (sscanf(item, "%15[a-z]:%n", kind, &used) != 1 || !used)
        return bad_fault(item, "no KIND: prefix");
    const char *args = item + used;
    if (!strcmp(kind, "noise")) {
        used = 0;
        if (sscanf(args, "%lli:%lli:%u%n", (long long *)&a, (long long *)&b, &c, &used) != 3 ||
            args[used] || !b)
            return bad_fault(item, "expected noise:OFF:LEN:COUNT with LEN > 0");
        if (f->nnoise == MAX_NOISE)
            return bad_fault(item, "too many noise regions");
        f->noise[f->nnoise++] =
            (struct noise){.off = a, .len = b, .count = c, .seed = 0x5DEECE66Dull + f->nnoise};
        return CD_OK;
    }
    if (f->nnand == MAX_FAULTS || f->nbad == MAX_FAULTS)
        return bad_fault(item, "too many faults");
    if (!strcmp(kind, "flip")) {
        int n = sscanf(args, "%lli:%u%n:%u%n", (long long *)&a, &c, &used, &d, &used);
        if (n < 2 || args[used] || a > UINT32_MAX || !c)
            return bad_fault(item, "expected flip:PAGE:N[:STEP] with N > 0");
        f->nand[f->nnand++] =
            (struct cd_nand_fault){CD_NAND_FAULT_BITFLIPS, (uint32_t)a, c, n == 3 ? d : 0};
        return CD_OK;
    }
    used = 0;
    if (sscanf(args, "%lli%n", (long long *)&a, &used) != 1 || args[used] || a > UINT32_MAX)
        return bad_fault(item, "expected KIND:BLOCK");
    if (!strcmp(kind, "bad"))
        f->bad[f->nbad++] = (uint32_t)a;
    else if (!strcmp(kind, "pfail"))
        f->nand[f->nnand++] =
            (struct cd_nand_fault){.kind = CD_NAND_FAULT_PROGRAM_FAIL, .where = (uint32_t)a};
    else if (!strcmp(kind, "efail"))
        f->nand[f->nnand++] =
            (struct cd_nand_fault){.kind = CD_NAND_FAULT_ERASE_FAIL, .where = (uint32_t)a};
    else
        return bad_fault(item, "unknown kind");
    return CD_OK;
}

static int parse_faults(const char *val, struct faults *f)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", val);
    if (!*buf)
        return bad_fault(val, "empty list");
    char *save = NULL;
    for (char *item = strtok_r(buf, "+", &save); item; item = strtok_r(NULL, "+", &save)) {
        int r = parse_fault(item, f);
        if (r)
            return r;
    }
    return CD_OK;
}

/* Apply the NAND faults to the model (and the bad-block markers to the image). */
static int apply_nand_faults(struct sim *s, const struct cd_chip *chip)
{
    uint32_t blocks = chip->blocks_per_die * chip->dies;
    uint64_t rawpage = chip->page_size + chip->oob_size;
    for (size_t i = 0; i < s->faults.nbad; i++) {
        if (s->faults.bad[i] >= blocks)
            return cd_fail(CD_E_RANGE, "sim: bad:%u: %s has blocks 0..%u", s->faults.bad[i],
                           chip->name, blocks - 1);
        uint8_t *oob = s->array + (uint64_t)s->faults.bad[i] * chip->pages_per_block * rawpage +
                       chip->page_size;
        oob[0] = oob[1] = 0x00;
    }
    return CD_OK;
}

int cd_sim_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                struct cd_programmer **out)
{
    char key[32], val[4096], image[4096] = "", chipname[128] = "", idhex[32] = "";
    unsigned long sr1 = 0, throttle_kib = 0;
    struct faults faults = {0};
    const char *cur = params;
    int r;

    while ((r = cd_spec_next_param(&cur, key, sizeof(key), val, sizeof(val))) > 0) {
        if (!strcmp(key, "chip")) {
            if (strlen(val) >= sizeof(chipname))
                return cd_fail(CD_E_ARG, "sim: chip name too long");
            memcpy(chipname, val, strlen(val) + 1);
        } else if (!strcmp(key, "image")) {
            snprintf(image, sizeof(image), "%s", val);
        } else if (!strcmp(key, "sr1")) {
            char *end;
            sr1 = strtoul(val, &end, 0);
            if (*end || sr1 > 0xFF)
                return cd_fail(CD_E_ARG, "sim: bad sr1 value '%s'", val);
        } else if (!strcmp(key, "id")) {
            if (strlen(val) >= sizeof(idhex) || strlen(val) % 2 || strlen(val) < 4 ||
                strspn(val, "0123456789abcdefABCDEF") != strlen(val))
                return cd_fail(CD_E_ARG, "sim: bad id '%s' (hex bytes, e.g. 7F7F17)", val);
            memcpy(idhex, val, strlen(val) + 1);
        } else if (!strcmp(key, "throttle")) {
            char *end;
            throttle_kib = strtoul(val, &end, 0);
            if (*end || !throttle_kib)
                return cd_fail(CD_E_ARG, "sim: bad throttle '%s' (KiB per second)", val);
        } else if (!strcmp(key, "faults")) {
            if ((r = parse_faults(val, &faults)))
                return r;
        } else {
            return cd_fail(CD_E_ARG,
                           "sim: unknown parameter '%s' (known: chip, image, sr1, id, "
                           "throttle, faults)",
                           key);
        }
    }
    if (r < 0)
        return r;

    const char *want = chipname[0] ? chipname : chip_hint;
    if (!want)
        return cd_fail(CD_E_ARG, "sim: which chip? use -p sim:chip=NAME or --chip NAME");
    const struct cd_chip *chip;
    if ((r = cd_chipdb_find_name(db, want, &chip)) != CD_OK)
        return r;
    bool nand = chip->type == CD_CHIP_NAND;
    if (nand && sr1)
        return cd_fail(CD_E_ARG, "sim: sr1= is for SPI-NOR chips; %s is SPI-NAND", chip->name);
    if (!nand && (faults.nnand || faults.nbad))
        return cd_fail(CD_E_ARG,
                       "sim: flip/bad/pfail/efail faults are for SPI-NAND chips; %s is "
                       "SPI-NOR",
                       chip->name);

    struct sim *s = calloc(1, sizeof(*s));
    struct cd_programmer *p = calloc(1, sizeof(*p));
    if (!s || !p) {
        free(s);
        free(p);
        return CD_E_NOMEM;
    }
    p->ops = &sim_ops;
    p->priv = s;
    p->kind = "sim";
    p->emulated_chip = chip;
    s->throttle_kib = throttle_kib;
    s->faults = faults;
    s->nand = nand;
    if (idhex[0]) {
        s->custom = *chip;
        s->custom.id_len = 0;
        for (size_t i = 0; idhex[2 * i] && i < CD_MAX_ID_LEN; i++) {
            unsigned v;
            sscanf(idhex + 2 * i, "%2x", &v);
            s->custom.id[s->custom.id_len++] = (uint8_t)v;
        }
        chip = &s->custom;
    }

    uint64_t size = nand ? cd_nand_raw_size(chip) : chip->size;
    if (image[0]) {
        r = map_image(s, image, chip, size);
    } else {
        s->size = size;
        s->array = malloc(s->size);
        r = !s->array ? CD_E_NOMEM
            : nand    ? nand_demo_image(s->array, chip)
                      : cd_demo_image_fill(s->array, s->size, chip->name);
    }
    if (r == CD_OK && nand)
        r = apply_nand_faults(s, chip);
    if (r == CD_OK) {
        s->model = nand ? cd_nand_model_new(chip, s->array)
                        : cd_nor_model_new(chip, s->array, (uint8_t)sr1);
        if (!s->model)
            r = cd_fail(CD_E_UNSUPPORTED, "sim: cannot emulate %s", chip->name);
    }
    for (size_t i = 0; r == CD_OK && i < s->faults.nnand; i++)
        if ((r = cd_nand_model_add_fault(s->model, &s->faults.nand[i])))
            r = cd_fail(r, "sim: faults: %s", cd_error_detail());
    if (r == CD_OK) {
        char desc[4200];
        snprintf(desc, sizeof(desc), "sim (%s, %s)", chip->name,
                 image[0] ? image : "built-in demo image");
        p->description = strdup(desc);
        if (!p->description)
            r = CD_E_NOMEM;
    }
    if (r != CD_OK) {
        cd_programmer_close(p);
        return r;
    }
    *out = p;
    return CD_OK;
}
