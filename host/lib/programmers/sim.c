/*
 * The "sim" programmer: an SPI chip model in this process, over a memory buffer (the
 * built-in demo image) or a mmap'ed image file, so every driver path runs without hardware.
 *   -p sim[:chip=NAME][,image=PATH][,sr1=0xNN]
 * image= is created erased (all 0xFF) if missing; sr1= presets status register 1 (e.g. to
 * test block protection).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "chipdump/sim.h"
#include "programmers.h"
#include "sim/demo_image.h"

/* SPI clock assumed for model time: 50 MHz, i.e. 160 ns per byte on one data line. */
#define SIM_NS_PER_BYTE 160

struct sim {
    struct cd_spi_model *model;
    uint8_t *array;
    size_t size;
    bool mapped;
};

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
    sim_clock(s, n + (op->dir != CD_DATA_NONE ? op->data_len : 0));
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
        return cd_fail(CD_E_SIZE_MISMATCH,
                       "sim image %s is %lld bytes but %s is %llu bytes", path,
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

int cd_sim_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                struct cd_programmer **out)
{
    char key[32], val[4096], image[4096] = "", chipname[128] = "";
    unsigned long sr1 = 0;
    const char *cur = params;
    int r;

    while ((r = cd_spec_next_param(&cur, key, sizeof(key), val, sizeof(val))) > 0) {
        if (!strcmp(key, "chip")) {
            snprintf(chipname, sizeof(chipname), "%s", val);
        } else if (!strcmp(key, "image")) {
            snprintf(image, sizeof(image), "%s", val);
        } else if (!strcmp(key, "sr1")) {
            char *end;
            sr1 = strtoul(val, &end, 0);
            if (*end || sr1 > 0xFF)
                return cd_fail(CD_E_ARG, "sim: bad sr1 value '%s'", val);
        } else {
            return cd_fail(CD_E_ARG, "sim: unknown parameter '%s' (known: chip, image, sr1)",
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
