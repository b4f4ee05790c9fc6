/* Internal: helpers shared by the mtd_*.c files (text lines, string lists, size parsing). */
#ifndef CHIPDUMP_MTD_INTERNAL_H
#define CHIPDUMP_MTD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdump/mtd.h"

/* One line of a text buffer, without its "\n", "\r\n" and trailing blanks. */
struct mtd_line {
    const char *p;
    size_t len;
    int no; /* 1-based */
};

/* Iterate lines: start with *pos = 0, no = 0; returns false at the end. */
bool mtd_next_line(const char *text, size_t len, size_t *pos, struct mtd_line *l);

/* Append a printf-formatted string to a malloc'ed list; -1 on out of memory. */
int mtd_list_add(char ***list, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mtd_list_free(char **list, size_t n);

/* The line, quoted for a message: at most 60 characters, non-printables as '?'. */
const char *mtd_quote(const char *p, size_t len, char *buf, size_t bufsize);

/* strndup that never returns NULL for n = 0 */
char *mtd_strndup(const char *p, size_t n);

/* Power of two (and not 0). */
static inline bool mtd_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* Case-insensitive name tests used by the inference. */
bool mtd_name_is_whole_chip(const char *name); /* "all", "ALL", "fullflash", "spi0.0"... */
bool mtd_name_is_fs(const char *name);         /* rootfs, ubi, rootfs_data... */
bool mtd_name_is_kernel(const char *name);     /* kernel, linux, loader */

/* What a partition with this name is expected to start with (for content checks). */
enum mtd_expect {
    MTD_EXPECT_ANY = 0, /* no expectation (bootloaders, config, calibration) */
    MTD_EXPECT_KERNEL,  /* uImage, FIT, ELF, LZMA, TRX */
    MTD_EXPECT_FS,      /* squashfs, UBI, UBIFS, JFFS2 */
    MTD_EXPECT_UBI,     /* UBI */
    MTD_EXPECT_FIRMWARE /* a kernel image or a filesystem */
};
enum mtd_expect mtd_expectation(const char *name);
/* Does the content (cd_mtd_probe_magic result) satisfy the expectation? 1 yes, -1 it
 * contradicts it, 0 says nothing. */
int mtd_content_verdict(enum mtd_expect e, const char *content);

#endif
