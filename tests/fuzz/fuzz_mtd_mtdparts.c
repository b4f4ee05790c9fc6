/* libFuzzer: an mtdparts= string -> cd_mtd_parse_mtdparts -> layout on a 16 MiB chip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/mtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct cd_mtd_exact x;
    if (cd_mtd_parse_mtdparts(s, &x) == 0) {
        struct cd_mtd_opts o;
        memset(&o, 0, sizeof(o));
        o.mtdparts = &x;
        for (unsigned c = 0; c < CD_MTD_MAX_CHIPS; c++)
            o.chip_size[c] = 16u << 20;
        struct cd_mtd_layout *l;
        if (cd_mtd_layout_build(&o, &l) == 0) {
            for (size_t i = 0; i < l->n; i++)
                if (l->parts[i].placed &&
                    l->parts[i].offset + l->parts[i].size > l->chips[l->parts[i].chip].size)
                    abort(); /* truncation keeps every partition on its chip */
            cd_mtd_layout_free(l);
        }
        cd_mtd_exact_free(&x);
    }
    free(s);
    return 0;
}
