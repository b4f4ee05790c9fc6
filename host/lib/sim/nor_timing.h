/*
 * The SPI-NOR model's times and SFDP area, shared by the command model (nor_model.c) and the
 * SFDP builder (nor_sfdp.c). Sources as cited in nor_model.c.
 */
#ifndef CHIPDUMP_NOR_TIMING_H
#define CHIPDUMP_NOR_TIMING_H

#include <stdbool.h>
#include <stdint.h>

#include "chipdump/chipdb.h"

/* SFDP area: header (8) + one parameter header (8), BFPT at 0x30 like Macronix parts. */
#define SFDP_BFPT_PTR    0x30
#define SFDP_BFPT_DWORDS 16
#define SFDP_LEN         (SFDP_BFPT_PTR + 4 * SFDP_BFPT_DWORDS)

/* ---- timing: the row's typical times, or the docs/chipdb.md defaults when 0 ---- */

static inline uint64_t pp_typ_us(const struct cd_chip *c)
{
    return c->pp_typ_us ? c->pp_typ_us : 700;
}

static inline uint64_t pp_max_us(const struct cd_chip *c)
{
    return c->pp_max_us ? c->pp_max_us : 5000;
}

static inline uint64_t erase_typ_ms(const struct cd_erase_type *e)
{
    if (e->typ_ms)
        return e->typ_ms;
    if (e->size <= 4096)
        return 50;
    if (e->size <= 32768)
        return 150;
    return 200 * ((e->size + 65535) / 65536);
}

static inline uint64_t erase_max_ms(const struct cd_erase_type *e)
{
    if (e->max_ms)
        return e->max_ms;
    if (e->size <= 4096)
        return 400;
    if (e->size <= 32768)
        return 1600;
    return 2000 * ((e->size + 65535) / 65536);
}

/* Default chip erase: 1 s typical, 4 s maximum per MiB (docs/chipdb.md). */
static inline uint64_t chip_erase_typ_ms(const struct cd_chip *c)
{
    if (c->chip_erase_typ_ms)
        return c->chip_erase_typ_ms;
    uint64_t ms = (c->size * 1000) >> 20;
    return ms < 100 ? 100 : ms;
}

static inline uint64_t chip_erase_max_ms(const struct cd_chip *c)
{
    if (c->chip_erase_max_ms)
        return c->chip_erase_max_ms;
    uint64_t ms = (c->size * 4000) >> 20;
    return ms < 400 ? 400 : ms;
}

static inline bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

#endif
