/* MTD helpers: text lines, string lists, partition-name classes and content magics. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtd_internal.h"

bool mtd_next_line(const char *text, size_t len, size_t *pos, struct mtd_line *l)
{
    if (*pos >= len)
        return false;
    const char *start = text + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    while (n > 0 && (start[n - 1] == '\r' || start[n - 1] == ' ' || start[n - 1] == '\t'))
        n--;
    l->p = start;
    l->len = n;
    l->no++;
    return true;
}

int mtd_list_add(char ***list, size_t *n, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **bigger = realloc(*list, (*n + 1) * sizeof(**list));
    if (!bigger)
        return -1;
    *list = bigger;
    if (!(bigger[*n] = strdup(buf)))
        return -1;
    (*n)++;
    return 0;
}

void mtd_list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

const char *mtd_quote(const char *p, size_t len, char *buf, size_t bufsize)
{
    size_t max = bufsize > 64 ? 60 : bufsize - 4;
    size_t o = 0;
    for (size_t i = 0; i < len && o < max; i++)
        buf[o++] = isprint((unsigned char)p[i]) ? p[i] : '?';
    if (len > max) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

char *mtd_strndup(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Case-insensitive substring (strcasestr is a GNU extension). */
static bool has(const char *s, const char *sub)
{
    size_t n = strlen(sub);
    for (; *s; s++)
        if (!strncasecmp(s, sub, n))
            return true;
    return false;
}

/* Names compare without case, and ' ', '-' and '_' alike ("whole flash" = "whole_flash"). */
static bool same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
        if (x == ' ' || x == '-')
            x = '_';
        if (y == ' ' || y == '-')
            y = '_';
        if (x != y)
            return false;
        if (!x)
            return true;
    }
}

static bool in_list(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (same_name(name, *list))
            return true;
    return false;
}

bool mtd_name_is_whole_chip(const char *name)
{
    /* the chip's own names, Broadcom's masters (nflash, sflash) among them: a partition that
     * covers the whole chip under the master's name */
    static const char *const names[] = {
        "all",      "whole",    "whole_flash", "wholeflash", "fullflash",  "full_flash",
        "full",     "flash",    "entire",      "allflash",   "all_flash",  "spi_flash",
        "spiflash", "norflash", "nor_flash",   "nandflash",  "nand_flash", "dummy_full",
        "nflash",   "sflash",   "pflash",      "bcmsflash",  "brcmnand",   NULL};
    if (in_list(name, names))
        return true;
    /* a partitioned master registered as a device of its own: "spi0.0", "spi32766.0",
     * "MT7621-NAND", "qcom_nand.0", "spi-nand0" */
    unsigned a, b;
    char tail;
    size_t n = strlen(name);
    bool devlike =
        strchr(name, '.') || strchr(name, '-') || (n && isdigit((unsigned char)name[n - 1]));
    return sscanf(name, "spi%u.%u%c", &a, &b, &tail) == 2 || (has(name, "nand") && devlike) ||
           has(name, "-flash") || has(name, ".cfi");
}

bool mtd_name_is_fs(const char *name)
{
    /* what every split parser puts last and dual-image layouts put at a container's end */
    static const char *const exact[] = {"ubi", "ubi_1", "ubi_2", "ubi1", "ubi2", "ubi_dev", NULL};
    if (in_list(name, exact))
        return true;
    return has(name, "rootfs");
}

/* The names split parsers and OpenWrt device trees give the partition holding the kernel. */
static bool kernel_exact(const char *name)
{
    static const char *const names[] = {"kernel",  "linux",   "loader",     "kernel_1", "kernel_2",
                                        "kernel1", "kernel2", "alt_kernel", NULL};
    return in_list(name, names);
}

bool mtd_name_is_kernel(const char *name)
{
    /* vendor names around the word: "tclinux_kernel", "KernelFS", "kernel_stock" */
    return kernel_exact(name) || has(name, "kernel");
}

enum mtd_expect mtd_expectation(const char *name)
{
    if (has(name, "rootfs_data") || !strcasecmp(name, "overlay") || !strcasecmp(name, "data"))
        return MTD_EXPECT_ANY; /* JFFS2, UBI, erased or a "deadc0de" marker: anything goes */
    if (!strcasecmp(name, "ubi") || !strncasecmp(name, "ubi_", 4) || !strcasecmp(name, "ubi1") ||
        !strcasecmp(name, "ubi2"))
        return MTD_EXPECT_UBI;
    if (has(name, "rootfs"))
        return MTD_EXPECT_FS;
    if (kernel_exact(name)) /* not "KernelFS", a TRX */
        return MTD_EXPECT_KERNEL;
    if (!strcasecmp(name, "firmware") || !strcasecmp(name, "firmware1") ||
        !strcasecmp(name, "firmware2") || !strcasecmp(name, "firmware_1") ||
        !strcasecmp(name, "firmware_2") || !strcasecmp(name, "failsafe"))
        return MTD_EXPECT_FIRMWARE;
    return MTD_EXPECT_ANY;
}

static bool is(const char *content, const char *what)
{
    return content && !strcmp(content, what);
}

int mtd_content_verdict(enum mtd_expect e, const char *content)
{
    if (!content || !*content)
        return 0;
    bool fs = is(content, "squashfs") || is(content, "UBI") || is(content, "UBIFS") ||
              is(content, "JFFS2");
    bool kernel = is(content, "uImage") || is(content, "FIT") || is(content, "ELF") ||
                  is(content, "LZMA") || is(content, "TRX") || is(content, "SEAMA");
    switch (e) {
    case MTD_EXPECT_ANY:
        return 0;
    case MTD_EXPECT_KERNEL:
        /* an LZMA loader in a TRX has no magic of its own: only known opposites contradict */
        return kernel ? 1 : (fs ? -1 : 0);
    case MTD_EXPECT_FS:
        return fs ? 1 : (kernel ? -1 : 0);
    case MTD_EXPECT_UBI:
        return is(content, "UBI") ? 1 : ((fs || kernel) ? -1 : 0);
    case MTD_EXPECT_FIRMWARE:
        return (kernel || fs) ? 1 : 0;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *cd_mtd_probe_magic(const uint8_t *b, size_t len)
{
    if (!b || len < 4)
        return NULL;
    uint32_t m = be32(b);
    switch (m) {
    case 0x27051956: /* U-Boot legacy image, ih_magic big-endian */
        return "uImage";
    case 0xd00dfeed: /* flattened device tree: a FIT image, or a bare DTB */
        return "FIT";
    case 0x48445230: /* "HDR0": Broadcom TRX (magic 0x30524448 little-endian) */
        return "TRX";
    case 0x68737173: /* "hsqs": squashfs, little-endian superblock magic 0x73717368 */
    case 0x73717368: /* "sqsh": big-endian squashfs */
        return "squashfs";
    case 0x55424923: /* "UBI#": UBI erase-counter header */
        return "UBI";
    case 0x31181006: /* UBIFS node magic 0x06101831 little-endian */
        return "UBIFS";
    case 0x7f454c46: /* "\x7fELF" */
        return "ELF";
    case 0x5ea3a417: /* D-Link SEAMA */
        return "SEAMA";
    }
    /* JFFS2 node magic 0x1985 in either byte order, followed by a node type 0x2003/0xe001... */
    if ((b[0] == 0x85 && b[1] == 0x19) || (b[0] == 0x19 && b[1] == 0x85))
        return "JFFS2";
    /* LZMA alone: properties byte 0x5d, then a little-endian dictionary size */
    if (len >= 5 && b[0] == 0x5d && b[1] == 0x00 && b[2] == 0x00 && mtd_pow2(b[3]) && b[4] == 0)
        return "LZMA";
    size_t n = len < 64 ? len : 64;
    size_t i = 0;
    while (i < n && b[i] == 0xFF)
        i++;
    if (i == n)
        return "erased";
    return NULL;
}
