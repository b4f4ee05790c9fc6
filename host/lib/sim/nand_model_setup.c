/* Building a SPI-NAND model from a database row, and its test knobs (faults, stats). */
#include <stdlib.h>
#include <string.h>

#include "nand_model_internal.h"

/* ---- construction ---- */

static const struct {
    const char *name;
    enum ecc_scheme scheme;
} schemes[] = {
    {"generic", ECC_GENERIC},
    {"zetta", ECC_GENERIC},
    {"winbond-kv", ECC_WINBOND_KV},
    {"gd-xa", ECC_GD_XA},
    {"gd-uexxg", ECC_GD_UEXXG},
    {"gd-q5", ECC_GD_Q5},
    {"gd-ufuc", ECC_GD_UFUC},
    {"mx-7c", ECC_MX_7C},
    {"micron", ECC_MICRON},
    {"kioxia", ECC_KIOXIA},
    {"xtx-a", ECC_XTX_A},
    {"xtx-d", ECC_XTX_D},
    {"dosilicon-gb", ECC_DOSILICON_GB},
    {"foresee", ECC_FORESEE},
};

uint64_t cd_nand_raw_size(const struct cd_chip *c)
{
    if (!c || c->type != CD_CHIP_NAND)
        return 0;
    return (uint64_t)(c->page_size + c->oob_size) * c->pages_per_block * c->blocks_per_die *
           c->dies;
}

static bool row_ok(const struct cd_chip *c, enum ecc_scheme *scheme)
{
    if (c->type != CD_CHIP_NAND || !is_pow2(c->page_size) || c->page_size < 512 ||
        c->oob_size == 0 || c->oob_size % 8 || c->oob_size >= c->page_size ||
        !is_pow2(c->pages_per_block) || !is_pow2(c->blocks_per_die) || c->dies == 0 ||
        c->dies > MAX_DIES || (c->planes != 1 && c->planes != 2) || c->ecc_step == 0 ||
        c->page_size % c->ecc_step || c->page_size / c->ecc_step > 64 || c->nerase < 1)
        return false;
    if ((uint64_t)c->pages_per_block * c->blocks_per_die > (1u << 24))
        return false;
    if (c->dies > 1 &&
        (c->die_select == CD_DIE_SELECT_NONE || (c->die_select == CD_DIE_SELECT_D0 && c->dies > 2)))
        return false;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (c->ecc_status && !strcmp(c->ecc_status, schemes[i].name)) {
            *scheme = schemes[i].scheme;
            return true;
        }
    }
    return false;
}

struct cd_spi_model *cd_nand_model_new(const struct cd_chip *chip, uint8_t *array)
{
    enum ecc_scheme scheme;
    if (!chip || !array || !row_ok(chip, &scheme))
        return NULL;
    struct nand_model *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->base.ops = &cd_nand_model_ops;
    m->chip = chip;
    m->array = array;
    m->ecc = scheme;
    m->page = chip->page_size;
    m->oob = chip->oob_size;
    m->raw = m->page + m->oob;
    m->ppb = chip->pages_per_block;
    m->ppb_shift = log2_u32(m->ppb);
    m->pages_per_die = chip->pages_per_block * chip->blocks_per_die;
    m->blocks = chip->blocks_per_die * chip->dies;
    m->plane_shift = log2_u32(m->page) + 1;
    m->steps = m->page / chip->ecc_step;
    uint64_t pages = (uint64_t)m->pages_per_die * chip->dies;
    m->pg_state = calloc(pages, 1);
    m->factory_bad = calloc(m->blocks, 1);
    bool ok = m->pg_state && m->factory_bad;
    for (unsigned i = 0; ok && i < chip->dies; i++) {
        struct die *d = &m->die[i];
        d->cache_page[0] = d->cache_page[1] = -1;
        for (unsigned p = 0; ok && p < chip->planes; p++) {
            ok = (d->cache[p] = malloc(m->raw)) != NULL;
            if (ok)
                memset(d->cache[p], 0xff, m->raw);
        }
        d->lock = LOCK_POWERUP;
        d->cfg = CFG_ECC_EN | (chip->cont_read == CD_CONT_READ_CR ? CFG_CR : 0);
    }
    if (!ok) {
        cd_nand_model_destroy(&m->base);
        return NULL;
    }
    /* factory bad-block markers [LX spinand_isbad: OOB bytes 0 and 1 of the first page] */
    for (uint32_t b = 0; b < m->blocks; b++) {
        const uint8_t *oob = raw_page(m, (uint64_t)b * m->ppb) + m->page;
        m->factory_bad[b] = oob[0] != 0xff || oob[1] != 0xff;
    }
    m->phase = PH_IDLE;
    return &m->base;
}

static struct nand_model *as_nand(const struct cd_spi_model *base)
{
    return base && base->ops == &cd_nand_model_ops ? (struct nand_model *)base : NULL;
}

static int add_block(uint32_t **v, size_t *n, uint32_t block)
{
    uint32_t *p = realloc(*v, (*n + 1) * sizeof(**v));
    if (!p)
        return CD_E_NOMEM;
    p[(*n)++] = block;
    *v = p;
    return CD_OK;
}

int cd_nand_model_add_fault(struct cd_spi_model *base, const struct cd_nand_fault *f)
{
    struct nand_model *m = as_nand(base);
    if (!m || !f)
        return cd_fail(CD_E_ARG, "not a NAND model");
    uint64_t pages = (uint64_t)m->blocks * m->ppb;
    switch (f->kind) {
    case CD_NAND_FAULT_BITFLIPS: {
        if (f->where >= pages)
            return cd_fail(CD_E_RANGE, "page %u is past the last page %llu of %s", f->where,
                           (unsigned long long)pages - 1, m->chip->name);
        if (f->step >= m->steps)
            return cd_fail(CD_E_RANGE, "ECC step %u: a %u-byte page has steps 0..%u", f->step,
                           m->page, m->steps - 1);
        if (f->count == 0 || f->count > 64)
            return cd_fail(CD_E_RANGE, "bit flips: %u (1 to 64)", f->count);
        struct flip *p = realloc(m->flips, (m->nflips + 1) * sizeof(*p));
        if (!p)
            return CD_E_NOMEM;
        p[m->nflips++] = (struct flip){f->where, f->step, f->count};
        m->flips = p;
        return CD_OK;
    }
    case CD_NAND_FAULT_PROGRAM_FAIL:
    case CD_NAND_FAULT_ERASE_FAIL:
        if (f->where >= m->blocks)
            return cd_fail(CD_E_RANGE, "block %u is past the last block %u of %s", f->where,
                           m->blocks - 1, m->chip->name);
        return f->kind == CD_NAND_FAULT_PROGRAM_FAIL ? add_block(&m->pfail, &m->npfail, f->where)
                                                     : add_block(&m->efail, &m->nefail, f->where);
    }
    return cd_fail(CD_E_ARG, "unknown NAND fault");
}

bool cd_nand_model_last_cache_read(const struct cd_spi_model *base, uint64_t *raw_offset)
{
    const struct nand_model *m = as_nand(base);
    if (!m || !m->have_last_read)
        return false;
    if (raw_offset)
        *raw_offset = m->last_read_off;
    return true;
}

void cd_nand_model_get_stats(const struct cd_spi_model *base, struct cd_nand_model_stats *st)
{
    const struct nand_model *m = as_nand(base);
    if (!st)
        return;
    if (!m)
        memset(st, 0, sizeof(*st));
    else
        *st = m->st;
}
