/*
 * SPI-NAND driver, written only against struct cd_programmer. Commands, feature registers and
 * sequences are the ones Linux drivers/mtd/nand/spi/core.c uses (restated in
 * ../shared/facts.md section 4): PAGE READ -> wait OIP -> READ FROM CACHE; WREN -> PROGRAM
 * LOAD (whole page + OOB) -> PROGRAM EXECUTE -> wait -> P_FAIL; WREN -> BLOCK ERASE -> wait ->
 * E_FAIL. Every helper named *_op is exactly one SPI transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "chipdump/error.h"
#include "chipdump/nand.h"
#include "nand_ecc.h"

#define OP_RESET         0xFF
#define OP_READ_ID       0x9F
#define OP_GET_FEATURE   0x0F
#define OP_SET_FEATURE   0x1F
#define OP_WREN          0x06
#define OP_PAGE_READ     0x13
#define OP_READ_CACHE    0x03
#define OP_PROG_LOAD     0x02
#define OP_PROG_LOAD_RND 0x84
#define OP_PROG_EXEC     0x10
#define OP_BLOCK_ERASE   0xD8
#define OP_DIE_SELECT    0xC2 /* Winbond W25M */
#define OP_MX_ECCSR      0x7C /* Macronix GET ECC STATUS, 1 dummy byte */

#define REG_LOCK   0xA0
#define REG_CFG    0xB0
#define REG_STATUS 0xC0
#define REG_DIE    0xD0 /* Micron: die in bit 6 */

#define CFG_OTP_EN 0x40
#define CFG_ECC_EN 0x10
#define CFG_BUF    0x08 /* Winbond: 1 = buffer read (page by page) */
#define CFG_CR     0x01 /* Micron M70A: continuous read */

#define LOCK_BP_MASK 0x78 /* BP bits (BP3..BP0 Winbond, BP2..BP0 others) */

#define SR_OIP    0x01
#define SR_E_FAIL 0x04
#define SR_P_FAIL 0x08

/* RESET: Linux waits on the status after it; a busy chip may take up to a few hundred us to
 * abort, so allow 5 ms. */
#define RESET_TYP_US 5
#define RESET_MAX_US 5000

#define MAX_DIES 4

struct cd_nand {
    struct cd_programmer *p;
    const struct cd_chip *chip;
    const struct cd_nand_ecc_decoder *ecc;
    uint32_t page, oob, raw, ppb, pages_per_die, blocks;
    unsigned ppb_shift, plane_shift;
    int cur_die;
    uint8_t cfg[MAX_DIES]; /* what each die's B0h holds */
    uint8_t *ff;           /* oob_size bytes of 0xFF: the OOB of data-only programs */
};

static unsigned log2_u32(uint32_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

/* ---- one transaction each ---- */

static int reset_op(struct cd_programmer *p)
{
    struct cd_op op = CD_OP_CMD(OP_RESET);
    return cd_exec(p, &op);
}

static int read_id_op(struct cd_programmer *p, enum cd_readid_form form, uint8_t *id, size_t n)
{
    struct cd_op op = CD_OP_IN(OP_READ_ID, (uint32_t)n, id);
    if (form == CD_READID_ADDR)
        op.addr_len = 1; /* address 00h: the ID from the manufacturer byte */
    else if (form == CD_READID_DUMMY)
        op.dummy_len = 1;
    return cd_exec(p, &op);
}

static int get_feature_op(struct cd_programmer *p, uint8_t reg, uint8_t *val)
{
    struct cd_op op = CD_OP_IN(OP_GET_FEATURE, 1, val);
    op.addr_len = 1;
    op.addr = reg;
    return cd_exec(p, &op);
}

static int set_feature_op(struct cd_programmer *p, uint8_t reg, uint8_t val)
{
    struct cd_op op = CD_OP_OUT(OP_SET_FEATURE, 1, &val);
    op.addr_len = 1;
    op.addr = reg;
    return cd_exec(p, &op);
}

static int write_enable_op(struct cd_programmer *p)
{
    struct cd_op op = CD_OP_CMD(OP_WREN);
    return cd_exec(p, &op);
}

static int row_op(struct cd_programmer *p, uint8_t cmd, uint32_t row)
{
    struct cd_op op = {.cmd = cmd, .addr_len = 3, .addr = row};
    return cd_exec(p, &op);
}

static int read_from_cache_op(struct cd_nand *n, uint32_t col, uint8_t *buf, uint32_t len)
{
    struct cd_op op = CD_OP_IN(OP_READ_CACHE, len, buf);
    op.addr = col;
    if (n->chip->cache_dummy_first) {
        op.addr_len = 3; /* GigaDevice xC/xF: the dummy byte leads, then the column [LX] */
    } else {
        op.addr_len = 2;
        op.dummy_len = 1;
    }
    return cd_exec(n->p, &op);
}

static int program_load_op(struct cd_programmer *p, uint8_t cmd, uint32_t col, const uint8_t *buf,
                           uint32_t len)
{
    struct cd_op op = CD_OP_OUT(cmd, len, buf);
    op.addr_len = 2;
    op.addr = col;
    return cd_exec(p, &op);
}

static int mx_eccsr_op(struct cd_programmer *p, uint8_t *val)
{
    struct cd_op op = CD_OP_IN(OP_MX_ECCSR, 1, val);
    op.dummy_len = 1;
    return cd_exec(p, &op);
}

static int die_select_op(struct cd_nand *n, unsigned die)
{
    if (n->chip->die_select == CD_DIE_SELECT_C2) {
        uint8_t v = (uint8_t)die;
        struct cd_op op = CD_OP_OUT(OP_DIE_SELECT, 1, &v);
        return cd_exec(n->p, &op);
    }
    return set_feature_op(n->p, REG_DIE, (uint8_t)(die << 6));
}

/* ---- helpers ---- */

/* Poll OIP until clear: wait the typical time first (Linux polls likewise after an initial
 * delay), then every typ/8; give up after twice the datasheet maximum plus 1 ms. */
static int wait_ready(struct cd_nand *n, uint64_t typ_us, uint64_t max_us, uint8_t *status)
{
    uint64_t step = typ_us / 8, waited = 0, limit = 2 * max_us + 1000;
    if (step < 5)
        step = 5;
    if (step > 10000)
        step = 10000;
    int r = cd_delay_us(n->p, (uint32_t)(typ_us > 1000000 ? 1000000 : typ_us));
    if (r)
        return r;
    waited = typ_us;
    for (;;) {
        uint8_t sr;
        if ((r = get_feature_op(n->p, REG_STATUS, &sr)))
            return r;
        if (!(sr & SR_OIP)) {
            if (status)
                *status = sr;
            return CD_OK;
        }
        if (waited > limit)
            return cd_fail(CD_E_TIMEOUT, "%s still busy after %llu us (status 0x%02X)",
                           n->chip->name, (unsigned long long)waited, sr);
        if ((r = cd_delay_us(n->p, (uint32_t)step)))
            return r;
        waited += step;
    }
}

static int select_die(struct cd_nand *n, unsigned die)
{
    if (n->chip->dies == 1 || n->cur_die == (int)die)
        return CD_OK;
    int r = die_select_op(n, die);
    if (!r)
        n->cur_die = (int)die;
    return r;
}

/* Set or clear cfg bits on the selected die, writing only on a change. */
static int update_cfg(struct cd_nand *n, uint8_t mask, uint8_t val)
{
    uint8_t *cfg = &n->cfg[n->cur_die < 0 ? 0 : n->cur_die];
    uint8_t want = (uint8_t)((*cfg & ~mask) | (val & mask));
    if (want == *cfg)
        return CD_OK;
    int r = set_feature_op(n->p, REG_CFG, want);
    if (!r)
        *cfg = want;
    return r;
}

/* Die, die-local row and the column bit of the plane for a chip-wide page. */
static int address_page(struct cd_nand *n, uint32_t page, uint32_t *row, uint32_t *plane_col)
{
    if ((uint64_t)page >= (uint64_t)n->blocks * n->ppb)
        return cd_fail(CD_E_RANGE, "page %u is past the end of %s", page, n->chip->name);
    int r = select_die(n, page / n->pages_per_die);
    *row = page % n->pages_per_die;
    /* Two-plane parts: the plane (block bit 0) also goes into the column, just above the
     * page + OOB range: bit fls(page size) [LX core.c dirmaps]. */
    *plane_col = n->chip->planes > 1 ? ((*row >> n->ppb_shift) & 1u) << n->plane_shift : 0;
    return r;
}

struct reg_ctx {
    struct cd_nand *n;
};

static int read_ecc_reg(void *user, uint16_t reg, uint8_t *val)
{
    struct reg_ctx *c = user;
    if (reg == CD_NAND_REG_MX_ECCSR)
        return mx_eccsr_op(c->n->p, val);
    return get_feature_op(c->n->p, (uint8_t)reg, val);
}

/* ---- public ---- */

const char *cd_nand_probe_describe(const struct cd_nand_probe *pr, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int f = 0; f < 3; f++) {
        if (!pr->tried[f])
            continue;
        int k = snprintf(buf + used, n - used, "%s%s:", used ? "; " : "",
                         cd_readid_form_name((enum cd_readid_form)f));
        for (int i = 0; k > 0 && i < CD_MAX_ID_LEN && used + (size_t)k < n; i++)
            k += snprintf(buf + used + k, n - used - (size_t)k, " %02X", pr->raw[f][i]);
        if (k < 0 || used + (size_t)k >= n)
            break;
        used += (size_t)k;
    }
    return buf;
}

/* Does byte m start the ID of any NAND row (a manufacturer that makes SPI-NAND)? */
static bool nand_vendor(const struct cd_chipdb *db, uint8_t m)
{
    for (size_t i = 0; i < cd_chipdb_count(db); i++) {
        const struct cd_chip *c = cd_chipdb_get(db, i);
        if (c->type == CD_CHIP_NAND && c->id_len && c->id[0] == m)
            return true;
    }
    return false;
}

int cd_nand_probe(struct cd_programmer *p, const struct cd_chipdb *db, struct cd_nand_probe *out)
{
    static const enum cd_readid_form order[] = {CD_READID_OPCODE, CD_READID_ADDR, CD_READID_DUMMY};
    bool vendor_seen = false;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < 3; i++) {
        enum cd_readid_form f = order[i];
        int r = read_id_op(p, f, out->raw[f], CD_MAX_ID_LEN);
        if (r)
            return r;
        out->tried[f] = true;
        if (!nand_vendor(db, out->raw[f][0]))
            continue;
        vendor_seen = true;
        out->nmatches =
            cd_chipdb_find_id(db, CD_CHIP_NAND, f, out->raw[f], CD_MAX_ID_LEN, out->matches, 8);
        if (out->nmatches) {
            out->form = f;
            out->chip = out->matches[0];
            return CD_OK;
        }
    }
    char raw[160];
    cd_nand_probe_describe(out, raw, sizeof(raw));
    /* No form starts with the manufacturer byte of a SPI-NAND maker: an empty bus, or noise. */
    if (!vendor_seen)
        return cd_fail(CD_E_NO_CHIP, "no SPI-NAND maker answers READ ID (9Fh) (%s)", raw);
    return cd_fail(CD_E_UNKNOWN_CHIP, "no SPI-NAND in the database has this ID (READ ID %s)", raw);
}

const struct cd_chip *cd_nand_chip(const struct cd_nand *n)
{
    return n ? n->chip : NULL;
}

void cd_nand_close(struct cd_nand *n)
{
    if (n)
        free(n->ff);
    free(n);
}

int cd_nand_open(struct cd_programmer *p, const struct cd_chip *chip, struct cd_nand **out)
{
    *out = NULL;
    if (chip->type != CD_CHIP_NAND)
        return cd_fail(CD_E_UNSUPPORTED, "%s is not a SPI-NAND chip", chip->name);
    const struct cd_nand_ecc_decoder *ecc = cd_nand_ecc_decoder(chip->ecc_status);
    if (!ecc)
        return cd_fail(CD_E_CHIPDB, "%s: no ECC-status decoder called '%s'", chip->name,
                       chip->ecc_status ? chip->ecc_status : "(none)");
    if (chip->dies > MAX_DIES || (chip->dies > 1 && chip->die_select == CD_DIE_SELECT_NONE) ||
        chip->page_size == 0 || chip->pages_per_block == 0 ||
        (chip->pages_per_block & (chip->pages_per_block - 1)) ||
        (chip->page_size & (chip->page_size - 1)))
        return cd_fail(CD_E_UNSUPPORTED, "%s: geometry the driver cannot address", chip->name);
    struct cd_nand *n = calloc(1, sizeof(*n));
    if (!n || !(n->ff = malloc(chip->oob_size ? chip->oob_size : 1))) {
        free(n);
        return CD_E_NOMEM;
    }
    memset(n->ff, 0xFF, chip->oob_size);
    n->p = p;
    n->chip = chip;
    n->ecc = ecc;
    n->page = chip->page_size;
    n->oob = chip->oob_size;
    n->raw = n->page + n->oob;
    n->ppb = chip->pages_per_block;
    n->ppb_shift = log2_u32(n->ppb);
    n->pages_per_die = chip->pages_per_block * chip->blocks_per_die;
    n->blocks = cd_nand_blocks(chip);
    n->plane_shift = log2_u32(n->page) + 1;
    n->cur_die = chip->dies > 1 ? -1 : 0;

    int r = reset_op(p);
    if (!r)
        r = wait_ready(n, RESET_TYP_US, RESET_MAX_US, NULL);
    for (unsigned d = 0; !r && d < chip->dies; d++) {
        uint8_t lock = 0xFF;
        if ((r = select_die(n, d)) || (r = get_feature_op(p, REG_CFG, &n->cfg[d])))
            break;
        /* OTP_EN would send page reads and programs to the OTP area. */
        if ((r = update_cfg(n, CFG_OTP_EN, 0)))
            break;
        if (chip->cont_read == CD_CONT_READ_BUF)
            r = update_cfg(n, CFG_BUF, CFG_BUF);
        else if (chip->cont_read == CD_CONT_READ_CR)
            r = update_cfg(n, CFG_CR, 0);
        /* After power-up every block is locked; each die has its own lock register. */
        if (r || (r = set_feature_op(p, REG_LOCK, 0x00)) ||
            (r = get_feature_op(p, REG_LOCK, &lock)))
            break;
        if (lock & LOCK_BP_MASK)
            r = cd_fail(CD_E_PROTECTED,
                        "%s die %u: block lock bits stay set (A0h = 0x%02X after writing 00h): "
                        "is WP# held low?",
                        chip->name, d, lock);
    }
    if (r) {
        cd_nand_close(n);
        return r;
    }
    *out = n;
    return CD_OK;
}

int cd_nand_read_page(struct cd_nand *n, uint32_t page, uint8_t *buf, bool with_oob, bool ecc)
{
    uint32_t row = 0, pcol = 0;
    uint8_t sr;
    int r = address_page(n, page, &row, &pcol);
    if (!r)
        r = update_cfg(n, CFG_ECC_EN, ecc ? CFG_ECC_EN : 0);
    if (!r)
        r = row_op(n->p, OP_PAGE_READ, row);
    if (!r)
        r = wait_ready(n, n->chip->read_typ_us, n->chip->read_max_us, &sr);
    if (r)
        return r;
    int flips = 0;
    if (ecc) {
        struct reg_ctx ctx = {n};
        flips = n->ecc->status(sr, n->chip->ecc_strength, read_ecc_reg, &ctx);
        if (flips < 0 && flips != CD_E_ECC_UNCORRECTABLE)
            return flips;
    }
    uint32_t len = with_oob ? n->raw : n->page, max = n->p->max_read ? n->p->max_read : len;
    for (uint32_t done = 0; done < len;) {
        uint32_t k = len - done < max ? len - done : max;
        if ((r = read_from_cache_op(n, pcol | done, buf + done, k)))
            return r;
        done += k;
    }
    return flips;
}

/* read_reg for pages read in bulk: the register now holds a later page's state. */
struct bulk_ctx {
    bool wanted;
};

static int bulk_reg(void *user, uint16_t reg, uint8_t *val)
{
    (void)reg;
    ((struct bulk_ctx *)user)->wanted = true;
    *val = 0;
    return CD_E_UNSUPPORTED;
}

int cd_nand_read_pages(struct cd_nand *n, uint32_t page, uint32_t count, uint8_t *buf,
                       bool with_oob, bool ecc, int *res)
{
    uint32_t len = with_oob ? n->raw : n->page, done = 0;
    uint8_t *status = NULL;
    int r = CD_OK;
    /* The bulk op covers one-die chips; a run must not leave the chip. */
    if (n->p->ops->nand_read_pages && n->chip->dies == 1 && count > 1 &&
        (uint64_t)page + count <= (uint64_t)n->blocks * n->ppb && (status = malloc(count))) {
        uint32_t row = 0, pcol = 0;
        uint64_t limit = 2 * (uint64_t)n->chip->read_max_us + 1000;
        if (limit < 65535)
            limit = 65535; /* generous: busy past this is judged by the page-by-page path */
        r = address_page(n, page, &row, &pcol);
        if (!r)
            r = update_cfg(n, CFG_ECC_EN, ecc ? CFG_ECC_EN : 0);
        struct cd_nand_pages rq = {
            .row = row,
            .count = count,
            .column = 0,
            .len = len,
            .cache_op = OP_READ_CACHE,
            .addr_len = n->chip->cache_dummy_first ? 3 : 2,
            .dummy_len = n->chip->cache_dummy_first ? 0 : 1,
            .plane_row_bit = n->chip->planes > 1 ? (uint8_t)n->ppb_shift : 0xFF,
            .plane_col_bit = n->chip->planes > 1 ? (uint8_t)n->plane_shift : 0,
            .timeout_us = limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit,
            .buf = buf,
            .status = status,
        };
        if (!r)
            r = n->p->ops->nand_read_pages(n->p, &rq, &done);
        /* The programmer cannot express it, or a page stayed busy past the board's limit (a
         * stalled host clock can cut it short): the rest page by page below, whose own wait
         * decides. */
        if ((r == CD_E_UNSUPPORTED && !done) || r == CD_E_TIMEOUT)
            r = CD_OK;
        for (uint32_t i = 0; !r && i < done; i++) {
            res[i] = 0;
            if (!ecc)
                continue;
            struct bulk_ctx ctx = {false};
            int f = n->ecc->status(status[i], n->chip->ecc_strength, bulk_reg, &ctx);
            if (ctx.wanted) /* the count is in another register: read this page again */
                f = cd_nand_read_page(n, page + i, buf + (size_t)i * len, with_oob, ecc);
            if (f < 0 && f != CD_E_ECC_UNCORRECTABLE)
                r = f;
            res[i] = f;
        }
        free(status);
        if (r)
            return r;
    }
    for (uint32_t i = done; i < count; i++) {
        int f = cd_nand_read_page(n, page + i, buf + (size_t)i * len, with_oob, ecc);
        if (f < 0 && f != CD_E_ECC_UNCORRECTABLE)
            return f;
        res[i] = f;
    }
    return CD_OK;
}

int cd_nand_program_page(struct cd_nand *n, uint32_t page, const uint8_t *data, const uint8_t *oob,
                         bool ecc)
{
    uint32_t row = 0, pcol = 0;
    uint8_t sr;
    int r = address_page(n, page, &row, &pcol);
    if (!r)
        r = update_cfg(n, CFG_ECC_EN, ecc ? CFG_ECC_EN : 0);
    if (!r)
        r = write_enable_op(n->p);
    if (r)
        return r;
    /* Always load page + OOB: PROGRAM LOAD does not reset the cache on every part [LX]. The
     * first op is PROGRAM LOAD (02h), later chunks RANDOM PROGRAM LOAD (84h). */
    uint32_t max = n->p->max_write ? n->p->max_write : n->raw;
    for (uint32_t done = 0; done < n->raw;) {
        const uint8_t *src;
        uint32_t k;
        if (done < n->page) {
            src = data + done;
            k = n->page - done;
        } else {
            src = (oob ? oob : n->ff) + (done - n->page);
            k = n->raw - done;
        }
        if (k > max)
            k = max;
        if ((r = program_load_op(n->p, done ? OP_PROG_LOAD_RND : OP_PROG_LOAD, pcol | done, src,
                                 k)))
            return r;
        done += k;
    }
    if ((r = row_op(n->p, OP_PROG_EXEC, row)) ||
        (r = wait_ready(n, n->chip->pp_typ_us, n->chip->pp_max_us, &sr)))
        return r;
    if (sr & SR_P_FAIL)
        return cd_fail(CD_E_PROGRAM_FAIL, "%s reports a program failure in block %u (page %u)",
                       n->chip->name, page / n->ppb, page);
    return CD_OK;
}

int cd_nand_erase_block(struct cd_nand *n, uint32_t block)
{
    uint32_t row = 0, pcol = 0;
    uint8_t sr;
    if (block >= n->blocks)
        return cd_fail(CD_E_RANGE, "block %u is past the end of %s", block, n->chip->name);
    int r = address_page(n, block * n->ppb, &row, &pcol);
    if (!r)
        r = write_enable_op(n->p);
    if (!r)
        r = row_op(n->p, OP_BLOCK_ERASE, row);
    if (!r)
        r = wait_ready(n, (uint64_t)n->chip->erase[0].typ_ms * 1000,
                       (uint64_t)n->chip->erase[0].max_ms * 1000, &sr);
    if (r)
        return r;
    if (sr & SR_E_FAIL)
        return cd_fail(CD_E_ERASE_FAIL, "%s reports an erase failure in block %u", n->chip->name,
                       block);
    return CD_OK;
}

int cd_nand_block_is_bad(struct cd_nand *n, uint32_t block)
{
    uint32_t row = 0, pcol = 0;
    uint8_t sr, marker[2];
    if (block >= n->blocks)
        return cd_fail(CD_E_RANGE, "block %u is past the end of %s", block, n->chip->name);
    /* Raw read of the first page's OOB bytes 0 and 1 [LX core.c spinand_isbad]. */
    int r = address_page(n, block * n->ppb, &row, &pcol);
    if (!r)
        r = update_cfg(n, CFG_ECC_EN, 0);
    if (!r)
        r = row_op(n->p, OP_PAGE_READ, row);
    if (!r)
        r = wait_ready(n, n->chip->read_typ_us, n->chip->read_max_us, &sr);
    if (!r)
        r = read_from_cache_op(n, pcol | n->page, marker, 2);
    if (r)
        return r;
    return marker[0] != 0xFF || marker[1] != 0xFF;
}

int cd_nand_scan_bad(struct cd_nand *n, uint32_t first, uint32_t count, uint8_t *bad,
                     cd_progress_fn progress, void *user)
{
    for (uint32_t i = 0; i < count; i++) {
        int r = cd_nand_block_is_bad(n, first + i);
        if (r < 0)
            return r;
        bad[i] = (uint8_t)r;
        if (progress && (i % 64 == 63 || i + 1 == count) && progress(user, i + 1, count))
            return cd_fail(CD_E_INTERRUPTED, "cancelled during the bad-block scan");
    }
    return CD_OK;
}
