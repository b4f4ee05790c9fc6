/*
 * The loopback pipe: firmware/core runs in this process on the host board
 * (firmware/host/board_host.c) with a chip model on its SPI bus, so chipdump talks the real
 * wire protocol to the real engine with no hardware and no emulator. Bytes sent go into the
 * board's USB OUT queue; a receive runs fw_task() until the bytes it wants have come out.
 * Board time is virtual (SPI traffic and board-side delays move it), like the sim programmer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chipdump/error.h"
#include "chipdump/sim.h"
#include "core/fwcore.h"
#include "host/board_host.h"
#include "serprog.h"
#include "sim/demo_image.h"

struct loop_link {
    struct sp_link base;
    struct sp_backing chip;
};

static bool loop_in_use; /* the engine keeps static state: one loopback per process */
static struct loop_link *loop_open;
static unsigned long loop_sends;

struct cd_spi_model *cd_sp_loop_model(void)
{
    return loop_open ? loop_open->chip.model : NULL;
}

unsigned long cd_sp_loop_sends(void)
{
    return loop_sends;
}

static int map_image(struct sp_backing *b, const char *path, const struct cd_chip *chip)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cd_fail(CD_E_IO, "serprog loop image %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cd_fail(CD_E_BAD_IMAGE, "serprog loop image %s: not a regular file", path);
    }
    bool created = st.st_size == 0;
    if (!created && (uint64_t)st.st_size != b->size) {
        close(fd);
        return cd_fail(CD_E_SIZE_MISMATCH, "serprog loop image %s is %lld bytes but %s needs %zu%s",
                       path, (long long)st.st_size, chip->name, b->size,
                       chip->type == CD_CHIP_NAND ? " (every page followed by its OOB)" : "");
    }
    if (created && ftruncate(fd, (off_t)b->size) < 0) {
        int e = errno;
        close(fd);
        return cd_fail(CD_E_IO, "serprog loop image %s: %s", path, strerror(e));
    }
    void *map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return cd_fail(CD_E_IO, "serprog loop image %s: mmap: %s", path, strerror(errno));
    b->array = map;
    b->mapped = true;
    if (created)
        memset(b->array, 0xFF, b->size);
    return CD_OK;
}

int cd_sp_backing_open(const struct cd_chip *chip, const char *image, struct sp_backing *b)
{
    memset(b, 0, sizeof(*b));
    bool nand = chip->type == CD_CHIP_NAND;
    b->size = nand ? (size_t)cd_nand_raw_size(chip) : (size_t)chip->size;
    int r;
    if (image) {
        r = map_image(b, image, chip);
    } else {
        b->array = malloc(b->size);
        if (!b->array)
            return CD_E_NOMEM;
        if (nand)
            memset(b->array, 0xFF, b->size);
        r = nand ? CD_OK : cd_demo_image_fill(b->array, b->size, chip->name);
    }
    if (!r) {
        b->model = nand ? cd_nand_model_new(chip, b->array) : cd_nor_model_new(chip, b->array, 0);
        if (!b->model)
            r = cd_fail(CD_E_UNSUPPORTED, "serprog loop: cannot emulate %s", chip->name);
    }
    if (r)
        cd_sp_backing_close(b);
    return r;
}

void cd_sp_backing_close(struct sp_backing *b)
{
    if (b->model)
        b->model->ops->destroy(b->model);
    if (b->mapped) {
        msync(b->array, b->size, MS_SYNC);
        munmap(b->array, b->size);
    } else {
        free(b->array);
    }
    memset(b, 0, sizeof(*b));
}

static int loop_send(struct sp_link *l, const void *buf, size_t n)
{
    (void)l;
    loop_sends++;
    return fwh_host_write(buf, n) == n || !n ? CD_OK : CD_E_NOMEM;
}

static int loop_recv(struct sp_link *l, void *buf, size_t n, unsigned timeout_ms)
{
    (void)l;
    (void)timeout_ms;
    uint8_t *p = buf;
    int still = 0;
    while (n) {
        size_t got = fwh_host_read(p, n);
        p += got;
        n -= got;
        if (!n)
            break;
        size_t in = fwh_in_pending(), out = fwh_out_pending();
        fw_task();
        /* the engine neither took input nor produced output: nothing more is coming */
        if (fwh_in_pending() == in && fwh_out_pending() == out && !got) {
            if (++still >= 3)
                return cd_fail(CD_E_TIMEOUT, "serprog loop: the firmware sent no reply");
        } else {
            still = 0;
        }
    }
    return CD_OK;
}

static void loop_drain(struct sp_link *l, unsigned quiet_ms)
{
    (void)l;
    (void)quiet_ms;
    uint8_t junk[4096];
    for (int still = 0; still < 3;) {
        size_t in = fwh_in_pending();
        fw_task();
        size_t got = fwh_host_read(junk, sizeof(junk));
        still = got || fwh_in_pending() != in ? 0 : still + 1;
    }
}

static void loop_close(struct sp_link *l)
{
    struct loop_link *k = (struct loop_link *)l;
    fwh_set_connected(false);
    fw_task(); /* the engine sees the host leave: idle, CS released */
    fwh_reset(NULL);
    cd_sp_backing_close(&k->chip);
    free(k);
    loop_open = NULL;
    loop_in_use = false;
}

int cd_sp_link_loop(const struct cd_chip *chip, const char *image, bool plain, struct sp_link **out)
{
    *out = NULL;
    if (loop_in_use)
        return cd_fail(CD_E_UNSUPPORTED, "serprog loop: only one loopback at a time");
    struct loop_link *k = calloc(1, sizeof(*k));
    if (!k)
        return CD_E_NOMEM;
    int r = cd_sp_backing_open(chip, image, &k->chip);
    if (r) {
        free(k);
        return r;
    }
    k->base = (struct sp_link){.name = "loop",
                               .send = loop_send,
                               .recv = loop_recv,
                               .drain = loop_drain,
                               .close = loop_close};
    loop_in_use = true;
    loop_open = k;
    fwh_reset(k->chip.model);
    /* Wall-clock time passes on the board too: a plain-serprog host sleeps on its own side
     * while the chip is busy. Board-side waits (O_DELAY) still advance the chip at once. */
    fwh_set_realtime(true);
    fw_init();
    if (plain) {
        /* pico-serprog's command map (stacksmashing/pico-serprog) */
        static const uint8_t ops[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                      0x10, 0x12, 0x13, 0x14, 0x15};
        uint8_t map[32] = {0};
        for (size_t i = 0; i < sizeof(ops); i++)
            map[ops[i] / 8] |= (uint8_t)(1u << (ops[i] % 8));
        fw_set_cmdmap(map);
    }
    *out = &k->base;
    return CD_OK;
}
