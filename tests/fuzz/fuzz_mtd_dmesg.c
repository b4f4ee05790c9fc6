/* libFuzzer: boot-log text -> cd_mtd_parse_dmesg -> layout from exact offsets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/mtd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cd_mtd_exact x;
    if (cd_mtd_parse_dmesg((const char *)data, size, "fuzz", &x))
        return 0;
    for (size_t i = 0; i < x.n; i++)
        if (x.parts[i].chip >= x.nchips || !x.parts[i].name)
            abort();
    struct cd_mtd_opts o;
    memset(&o, 0, sizeof(o));
    o.dmesg = &x;
    struct cd_mtd_layout *l;
    if (cd_mtd_layout_build(&o, &l) == 0) {
        free(cd_mtd_layout_json(l));
        cd_mtd_layout_free(l);
    }
    cd_mtd_exact_free(&x);
    return 0;
}
