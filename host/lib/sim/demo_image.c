#include <stdio.h>
#include <string.h>

#include "chipdump/error.h"
#include "demo_image.h"

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void fill_random(uint8_t *p, size_t n, uint64_t *seed)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = xorshift(seed);
        size_t k = n - i < 8 ? n - i : 8;
        memcpy(p + i, &v, k);
    }
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int cd_demo_image_fill(uint8_t *buf, size_t size, const char *name)
{
    if (size < 0x10000)
        return cd_fail(CD_E_ARG, "demo image needs at least 64 KiB");
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (const char *c = name; *c; c++)
        seed = (seed ^ (uint8_t)*c) * 0x100000001B3ull;
    if (!seed)
        seed = 1;
    memset(buf, 0xFF, size);

    /* Regions scale with the chip; the smallest (64 KiB) chip gets only the loader. */
    size_t unit = size >= 0x400000 ? 0x10000 : size / 64 ? size / 64 : 0x1000;
    size_t loader = 4 * unit, env = unit, art = unit;
    size_t fw = loader + env + art;

    fill_random(buf, loader * 3 / 4, &seed);
    snprintf((char *)buf + 0x10, 64, "chipdump demo image: %s, %zu bytes", name, size);
    if (size < fw + 2 * unit)
        return CD_OK;

    static const char envtext[] = "bootcmd=bootm 0x9f050000\0bootdelay=1\0"
                                  "baudrate=115200\0ethaddr=02:00:00:c0:ff:ee\0";
    memcpy(buf + loader + 4, envtext, sizeof(envtext));
    memset(buf + loader, 0, 4); /* CRC slot; not checked by anything here */
    fill_random(buf + loader + env, 0x1000, &seed);

    /* firmware: uImage (magic 27051956) kernel, then squashfs ("hsqs") aligned to 64 KiB */
    size_t fwsize = (size - fw - art) / 2;
    size_t kernel = fwsize / 3;
    fill_random(buf + fw, fwsize, &seed);
    put_be32(buf + fw, 0x27051956);
    snprintf((char *)buf + fw + 32, 32, "chipdump demo kernel");
    size_t rootfs = (fw + kernel + 0xFFFF) & ~(size_t)0xFFFF;
    if (rootfs + fwsize / 2 < fw + fwsize) {
        memcpy(buf + rootfs, "hsqs", 4);
        /* the rest of the firmware partition is erased: an empty rootfs_data */
        memset(buf + rootfs + fwsize / 2, 0xFF, fw + fwsize - (rootfs + fwsize / 2));
    }
    /* last unit: calibration data of a second radio */
    fill_random(buf + size - art, 0x800, &seed);
    return CD_OK;
}
