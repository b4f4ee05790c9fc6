/*
 * The "sim" programmer: an SPI chip model in this process, over a memory buffer (the
 * built-in demo image) or a mmap'ed image file, so every driver path runs without hardware.
 *   -p sim[:chip=NAME][,image=PATH][,sr1=0xNN][,throttle=KIB_PER_S][,faults=SPEC]
 * image= is created erased (all 0xFF) if missing; sr1= presets status register 1 (e.g. to
 * test block protection); throttle= makes transfers take real time (to watch progress or
 * interrupt a read); id=HEX makes the chip answer another READ ID (a part the database
 * lacks, to exercise SFDP probing); faults=noise:OFF:LEN:COUNT flips one bit in every read that
 * touches OFF..OFF+LEN for the first COUNT such reads (0 = forever), like a marginal clip contact.
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

struct noise {
    uint64_t off, len;
    unsigned count, hits; /* count 0 = forever */
    uint64_t seed;
};

struct sim {
    struct cd_spi_model *model;
    uint8_t *array;
    size_t size;
    bool mapped;
    unsigned long throttle_kib; /* 0 = as fast as possible */
    struct noise noise;
    struct cd_chip custom; /* the emulated row when id= overrides its ID */
};

static bool is_array_read(uint8_t cmd)
{
    return cmd == 0x03 || cmd == 0x0B || cmd == 0x13 || cmd == 0x0C;
}

/* Flip one pseudo-random bit of the part of a read that overlaps the noisy region. */
static void add_noise(struct sim *s, const struct cd_op *op)
{
    struct noise *n = &s->noise;
    if (!n->len || (n->count && n->hits >= n->count))
        return;
    uint64_t a = op->addr, b = a + op->data_len;
    uint64_t lo = a > n->off ? a : n->off, hi = b < n->off + n->len ? b : n->off + n->len;
    if (lo >= hi)
        return;
    n->hits++;
    n->seed = n->seed * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t at = lo + (n->seed >> 33) % (hi - lo);
    ((uint8_t *)op->data.in)[at - a] ^= (uint8_t)(1u << ((n->seed >> 29) & 7));
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
    if (op->dir == CD_DATA_IN && is_array_read(op->cmd))
        add_noise(s, op);
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

static int map_image(struct sim *s, const char *path, const struct cd_chip *chip)
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
    if (!created && (uint64_t)st.st_size != chip->size) {
        close(fd);
        return cd_fail(CD_E_SIZE_MISMATCH, "sim image %s is %lld bytes but %s is %llu bytes", path,
                       (long long)st.st_size, chip->name, (unsigned long long)chip->size);
    }
    if (created && ftruncate(fd, (off_t)chip->size) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(CD_E_IO, "sim image %s: %s", path, strerror(e));
    }
    void *map = mmap(NULL, chip->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return cd_fail(CD_E_IO, "sim image %s: mmap: %s", path, strerror(errno));
    s->array = map;
    s->size = chip->size;
    s->mapped = true;
    if (created)
        memset(s->array, 0xFF, s->size);
    return CD_OK;
}

struct cd_spi_model *cd_sim_model(struct cd_programmer *p)
{
    if (!p || p->ops != &sim_ops)
        return NULL;
    return ((struct sim *)p->priv)->model;
}

static int parse_faults(const char *val, struct noise *n)
{
    char kind[16];
    unsigned long long off, len;
    unsigned count;
    int used = 0;
    if (sscanf(val, "%15[a-z]:%lli:%lli:%u%n", kind, (long long *)&off, (long long *)&len, &count,
               &used) != 4 ||
        val[used] || strcmp(kind, "noise") || !len)
        return cd_fail(CD_E_ARG, "sim: bad faults '%s' (expected noise:OFF:LEN:COUNT)", val);
    n->off = off;
    n->len = len;
    n->count = count;
    return CD_OK;
}

int cd_sim_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                struct cd_programmer **out)
{
    char key[32], val[4096], image[4096] = "", chipname[128] = "", idhex[32] = "";
    unsigned long sr1 = 0, throttle_kib = 0;
    struct noise noise = {.seed = 0x5DEECE66Dull};
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
            if ((r = parse_faults(val, &noise)))
                return r;
        } else {
            return cd_fail(CD_E_ARG,
                           "sim: unknown parameter '%s' (known: chip, image, sr1, throttle, "
                           "faults)",
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
    if (chip->type != CD_CHIP_NOR)
        return cd_fail(CD_E_UNSUPPORTED, "sim: %s is a %s chip; only SPI-NOR is simulated yet",
                       chip->name, cd_chip_type_name(chip->type));

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
    s->noise = noise;
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

    if (image[0]) {
        r = map_image(s, image, chip);
    } else {
        s->size = chip->size;
        s->array = malloc(s->size);
        r = s->array ? cd_demo_image_fill(s->array, s->size, chip->name) : CD_E_NOMEM;
    }
    if (r == CD_OK) {
        s->model = cd_nor_model_new(chip, s->array, (uint8_t)sr1);
        if (!s->model)
            r = cd_fail(CD_E_UNSUPPORTED, "sim: cannot emulate %s", chip->name);
    }
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
