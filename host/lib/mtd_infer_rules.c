/*
 * Doubt: the layout search in mtd_infer.c finds the layouts the kernel's parsers can make
 * from /proc/mtd's sizes and keeps the ones that cover their chips best. These rules then
 * take certainty away where real tables show the sizes alone mislead: a reading an old
 * kernel would also give, or a listing order vendor tables are known to break. Each rule
 * names the table that showed it (tests/data/mtd/).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mtd_infer_search.h"
#include "mtd_internal.h"

static bool prefix(const char *name, const char *p)
{
    return !strncasecmp(name, p, strlen(p));
}

/* Small partitions vendor kernels keep at the end of the flash and may register before the
 * firmware container that lies in front of them (HiWiFi HC5x61: oem, bdinfo and backup at
 * 0xfc0000.. are listed before "firmware" at 0x50000). Not nvram: Broadcom NAND boxes keep it
 * right after boot (the seed table). */
bool infer_tail_data_like(const char *name)
{
    static const char *const p[] = {"oem", "bdinfo", "backup", NULL};
    for (const char *const *q = p; *q; q++)
        if (prefix(name, *q))
            return true;
    return false;
}

/* Two slots of a dual image: listed together, the same size, names that differ only in a
 * trailing number ("kernel0"/"kernel1", "rootfs"/"rootfs_1"), kernel or filesystem ones. */
static bool slot_pair(const struct search *s, size_t a)
{
    if (a + 1 >= s->n || s->it[a].size != s->it[a + 1].size || !(s->kd[a].kernel || s->kd[a].fs) ||
        !(s->kd[a + 1].kernel || s->kd[a + 1].fs))
        return false;
    const char *x = s->it[a].name, *y = s->it[a + 1].name;
    size_t nx = strlen(x), ny = strlen(y);
    while (nx && (isdigit((unsigned char)x[nx - 1]) || x[nx - 1] == '_' || x[nx - 1] == '-'))
        nx--;
    while (ny && (isdigit((unsigned char)y[ny - 1]) || y[ny - 1] == '_' || y[ny - 1] == '-'))
        ny--;
    return nx && nx == ny && !strncasecmp(x, y, nx) && strcasecmp(x, y);
}

int infer_declines_split(const struct search *s)
{
    size_t n = s->n;
    /* A partition followed by kernel/rootfs-named ones whose sizes add up to exactly its own
     * is what a split looks like. A layout that lays them beside it instead earns no credit
     * for covering the chip: that the hole left by the split equals their size is chance
     * (EcoNet JCOW407: tclinux = tclinux_kernel + tclinux_rootfs on 224 of 256 MiB). */
    for (size_t i = 0; i < n; i++) {
        if (s->role[i] != R_TOP)
            continue;
        uint64_t sum = 0;
        bool named = false, nested = true;
        size_t j = i + 1;
        for (; j < n && sum < s->it[i].size; j++) {
            sum += s->it[j].size;
            named |= s->kd[j].kernel || s->kd[j].fs;
            nested &= s->cont[j] == (int)i;
        }
        if (sum == s->it[i].size && j - i > 2 && named && !nested) {
            return 1;
        }
    }
    return 0;
}

void infer_doubt(const struct search *s, struct infer_hyp *h, const uint64_t *chipsize)
{
    size_t n = s->n;
    /* Linux before 2.6.3x gave a rootfs_data the squashfs left no room for size 0, which
     * add_one_partition() read as "to the end of the master": it then starts where rootfs
     * ends and its size is what follows rootfs on the chip (Netgear WNR2000v5 stock). When
     * the sizes allow that reading too, the tail is not certain. */
    for (size_t i = 0; i < n; i++) {
        int r = s->cont[i];
        if (!s->kd[i].late || s->role[i] != R_CHILD || r >= (int)n || !h->certain[i])
            continue;
        uint64_t rend = h->off[r] + s->it[r].size, cs = chipsize[h->chip[i]];
        if (cs && rend < cs && cs - rend == s->it[i].size) {
            h->certain[i] = false;
            h->why[i] = WHY_EMPTY_SPLIT;
        }
    }
    /* end-of-flash data listed before a container that comes later at the top level: vendor
     * tables register in any order, so neither they nor the container are certain */
    for (size_t i = 0; i < n; i++) {
        if (!s->kd[i].tail_data || s->role[i] != R_TOP || s->it[i].pinned)
            continue;
        size_t q = n;
        for (size_t j = i + 1; j < n; j++)
            if (s->role[j] == R_TOP && h->chip[j] == h->chip[i] && s->kd[j].container &&
                !s->kd[j].whole && !s->it[j].pinned)
                q = j;
        for (size_t j = i; q < n && j <= q; j++)
            if (s->role[j] == R_TOP && h->chip[j] == h->chip[i] && h->certain[j]) {
                h->certain[j] = false;
                h->why[j] = WHY_ORDER;
            }
    }
    /* Dual-image slots listed kernels first, then filesystems ("kernel0 kernel1 ... rootfs0
     * rootfs1") may lie kernel0 rootfs0 kernel1 rootfs1 on the chip (Sharp AS111 / ZTE) or in
     * the listed order (Xiaomi AC2100): what lies from the first pair's second slot to the
     * second pair's is not certain. */
    for (size_t a = 0; a + 3 < n; a++) {
        if (!slot_pair(s, a))
            continue;
        for (size_t b = a + 2; b + 1 < n; b++) {
            if (!slot_pair(s, b) || s->cont[b] != s->cont[a] || s->cont[b + 1] != s->cont[a])
                continue;
            for (size_t j = a + 1; j <= b + 1; j++)
                if (s->cont[j] == s->cont[a] && s->role[j] != R_ALIAS && !s->it[j].pinned &&
                    h->certain[j]) {
                    h->certain[j] = false;
                    h->why[j] = WHY_SLOTS;
                }
            break;
        }
    }
}
