/* libFuzzer: /proc/mtd text -> cd_mtd_parse_proc -> layout -> JSON and file names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/mtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cd_mtd_table t;
    if (cd_mtd_parse_proc((const char *)data, size, "fuzz", &t))
        return 0;
    struct cd_mtd_opts o;
    memset(&o, 0, sizeof(o));
    o.table = &t;
    struct cd_mtd_layout *l;
    if (cd_mtd_layout_build(&o, &l) == 0) {
        char name[128];
        for (size_t i = 0; i < l->n; i++) {
            cd_mtd_file_name(&l->parts[i], true, name, sizeof(name));
            if (strchr(name, '/') || name[0] == '.')
                abort(); /* a file name must never leave its directory */
            if (l->parts[i].placed && l->parts[i].parent >= 0) {
                const struct cd_mtd_part *p = &l->parts[l->parts[i].parent];
                if (p->offset > l->parts[i].offset ||
                    p->offset + p->size < l->parts[i].offset + l->parts[i].size)
                    abort(); /* a parent always holds its child */
            }
        }
        free(cd_mtd_layout_json(l));
        const struct cd_mtd_part *p;
        cd_mtd_find(l, "firmware", &p);
        cd_mtd_find(l, "mtd1", &p);
        cd_mtd_layout_free(l);
    }
    cd_mtd_table_free(&t);
    return 0;
}
