/*
 * libFuzzer: the whole layout path. Input: /proc/mtd text, a NUL, boot-log text, a NUL,
 * then the bytes of a small "chip image" (content checks run on it). Invariants: certain
 * placed partitions lie inside their chip; parents hold their children.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/mtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *z1 = memchr(data, 0, size);
    if (!z1)
        return 0;
    size_t n1 = (size_t)(z1 - data);
    const uint8_t *rest = z1 + 1;
    size_t left = size - n1 - 1;
    const uint8_t *z2 = memchr(rest, 0, left);
    size_t n2 = z2 ? (size_t)(z2 - rest) : left;
    const uint8_t *img = z2 ? z2 + 1 : NULL;
    size_t imglen = z2 ? left - n2 - 1 : 0;

    struct cd_mtd_table t;
    struct cd_mtd_exact x;
    struct cd_mtd_opts o;
    memset(&o, 0, sizeof(o));
    if (cd_mtd_parse_proc((const char *)data, n1, "fuzz", &t) == 0)
        o.table = &t;
    if (n2 && cd_mtd_parse_dmesg((const char *)rest, n2, "fuzz", &x) == 0)
        o.dmesg = &x;
    if (!o.table && !o.dmesg)
        return 0;
    /* the image stands for a small chip: repeat it up to 64 KiB so offsets can land in it */
    uint8_t *chip = NULL;
    if (imglen) {
        chip = malloc(65536);
        if (!chip)
            goto out;
        for (size_t i = 0; i < 65536; i++)
            chip[i] = img[i % imglen];
        o.image[0] = chip;
        o.image_len[0] = 65536;
        o.chip_size[0] = 65536;
        o.chip_size_source[0] = CD_MTD_SIZE_IMAGE;
    }
    struct cd_mtd_layout *l;
    if (cd_mtd_layout_build(&o, &l) == 0) {
        for (size_t i = 0; i < l->n; i++) {
            const struct cd_mtd_part *p = &l->parts[i];
            if (!p->placed || p->chip >= l->nchips)
                continue;
            if (p->certain && l->chips[p->chip].size &&
                p->offset + p->size > l->chips[p->chip].size)
                abort();
            if (p->parent >= 0) {
                const struct cd_mtd_part *q = &l->parts[p->parent];
                if (q->offset > p->offset || q->offset + q->size < p->offset + p->size)
                    abort();
            }
        }
        free(cd_mtd_layout_json(l));
        cd_mtd_layout_free(l);
    }
out:
    free(chip);
    if (o.table)
        cd_mtd_table_free(&t);
    if (o.dmesg)
        cd_mtd_exact_free(&x);
    return 0;
}
