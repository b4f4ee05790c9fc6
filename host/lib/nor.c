/*
 * SPI-NOR driver, written only against struct cd_programmer. Opcodes and status bits are
 * the JEDEC-common ones every part in chipdb/ uses (e.g. Winbond W25Q128JV datasheet §8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/error.h"
#include "bytes.h"
#include "chipdump/flash.h"
#include "sfdp.h"

#define OP_RDID   0x9F
#define OP_RDSR   0x05
#define OP_WRSR   0x01
#define OP_WREN   0x06
#define OP_WRDI   0x04
#define OP_READ   0x03
#define OP_READ4B 0x13
#define OP_PP     0x02
#define OP_PP4B   0x12
#define OP_EN4B   0xB7
#define OP_EX4B   0xE9
#define OP_RDSFDP 0x5A

#define SR_WIP 0x01
#define SR_WEL 0x02
/* BP0..BP3 and TB/BP4 live in SR1 bits 2..6 on every row's protect scheme. */
#define SR_PROTECT_MASK 0x7C

/* Status register write (tW) is at most 15 ms on W25Q128JV; allow generously. */
#define WRSR_TIMEOUT_MS 100

struct nor {
    uint8_t addr_len;
    uint8_t read_op, pp_op;
    bool exit_4b_on_close; /* put the chip back in 3-byte mode so the board still boots */
};

static int rdsr(struct cd_programmer *p, uint8_t *sr)
{
    struct cd_op op = CD_OP_IN(OP_RDSR, 1, sr);
    return cd_exec(p, &op);
}

static int cmd_op(struct cd_programmer *p, uint8_t cmd)
{
    struct cd_op op = CD_OP_CMD(cmd);
    return cd_exec(p, &op);
}

/* Poll WIP until clear; timeout after twice the datasheet maximum (plus slack). */
static int wait_ready(struct cd_programmer *p, uint64_t typ_us, uint64_t max_us)
{
    uint64_t step = typ_us / 8, waited = 0, limit = 2 * max_us + 1000;
    if (step < 10)
        step = 10;
    if (step > 10000)
        step = 10000;
    for (;;) {
        uint8_t sr;
        int r = rdsr(p, &sr);
        if (r)
            return r;
        if (!(sr & SR_WIP))
            return CD_OK;
        if (waited > limit)
            return cd_fail(CD_E_TIMEOUT, "chip still busy after %llu ms (SR1=0x%02X)",
                           (unsigned long long)(waited / 1000), sr);
        if ((r = cd_delay_us(p, (uint32_t)step)))
            return r;
        waited += step;
    }
}

/* WREN, then check WEL really got set: a chip that ignores it is protected or absent. */
static int write_enable(struct cd_programmer *p)
{
    uint8_t sr;
    int r = cmd_op(p, OP_WREN);
    if (!r)
        r = rdsr(p, &sr);
    if (r)
        return r;
    if (!(sr & SR_WEL))
        return cd_fail(CD_E_PROTECTED,
                       "write enable did not set WEL (SR1=0x%02X): chip not responding or "
                       "hardware write-protected",
                       sr);
    return CD_OK;
}

int cd_nor_probe(struct cd_programmer *p, const struct cd_chipdb *db, struct cd_probe *out)
{
    memset(out, 0, sizeof(*out));
    struct cd_op op = CD_OP_IN(OP_RDID, CD_MAX_ID_LEN, out->id);
    int r = cd_exec(p, &op);
    if (r)
        return r;
    out->id_len = CD_MAX_ID_LEN;

    bool all00 = true, allff = true;
    for (int i = 0; i < 3; i++) {
        all00 &= out->id[0 + i] == 0x00;
        allff &= out->id[0 + i] == 0xFF;
    }
    if (all00 || allff)
        return cd_fail(CD_E_NO_CHIP, "READ ID (9Fh) returned %02X %02X %02X", out->id[0],
                       out->id[1], out->id[2]);

    out->nmatches =
        cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, out->id, out->id_len, out->matches, 8);
    if (out->nmatches) {
        out->chip = out->matches[0];
        return CD_OK;
    }

    /*
     * JEP106 manufacturer codes (and the 7Fh continuation code) have odd parity: bit 7 is
     * the parity bit. An unknown ID whose first byte has even parity is noise on MISO (a clip
     * that misses a pin, a board holding the chip in reset), not a chip to ask for SFDP.
     */
    if (!(__builtin_popcount(out->id[0]) & 1))
        return cd_fail(CD_E_NO_CHIP,
                       "READ ID (9Fh) returned %02X %02X %02X: %02Xh is no JEDEC manufacturer "
                       "code (they have odd parity)",
                       out->id[0], out->id[1], out->id[2], out->id[0]);

    /* Not in the database: JESD216 SFDP tells the geometry of most parts made since 2011. */
    uint8_t sfdp[512];
    struct cd_op rd = {.cmd = OP_RDSFDP,
                       .addr_len = 3,
                       .addr = 0,
                       .dummy_len = 1,
                       .dir = CD_DATA_IN,
                       .data_len = 64,
                       .data.in = sfdp};
    if ((r = cd_exec(p, &rd)))
        return r;
    size_t need = cd_sfdp_needed(sfdp, 64);
    if (need > 64 && need <= sizeof(sfdp)) {
        rd.data_len = (uint32_t)need;
        if ((r = cd_exec(p, &rd)))
            return r;
    }
    if (need && need <= sizeof(sfdp) && cd_sfdp_parse(sfdp, need, &out->sfdp_chip) == CD_OK) {
        out->from_sfdp = true;
        out->chip = &out->sfdp_chip;
        struct cd_chip *c = &out->sfdp_chip;
        c->type = CD_CHIP_NOR;
        memcpy(c->id, out->id, 3);
        c->id_len = 3;
        snprintf(out->sfdp_name, sizeof(out->sfdp_name), "SFDP-%02X%02X%02X", out->id[0],
                 out->id[1], out->id[2]);
        c->name = out->sfdp_name;
        c->vendor = "unknown";
        c->source = "JESD216 SFDP read from the chip";
        /* a row with the same manufacturer byte names the vendor */
        for (size_t i = 0; i < cd_chipdb_count(db); i++) {
            const struct cd_chip *row = cd_chipdb_get(db, i);
            if (row->id[0] == out->id[0] && row->id_len) {
                c->vendor = row->vendor;
                break;
            }
        }
        return CD_OK;
    }
    return cd_fail(CD_E_UNKNOWN_CHIP,
                   "chip ID %02X %02X %02X is not in the database and has no usable SFDP",
                   out->id[0], out->id[1], out->id[2]);
}

static int nor_read(struct cd_flash *f, uint64_t off, void *buf, size_t len)
{
    struct nor *n = f->priv;
    struct cd_programmer *p = f->prog;
    uint8_t *dst = buf;

    if (p->ops->nor_read)
        return p->ops->nor_read(p, n->read_op, n->addr_len, 0, (uint32_t)off, buf, (uint32_t)len);
    while (len) {
        uint32_t chunk = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        if (p->max_read && chunk > p->max_read)
            chunk = p->max_read;
        struct cd_op op = {.cmd = n->read_op,
                           .addr_len = n->addr_len,
                           .addr = (uint32_t)off,
                           .dir = CD_DATA_IN,
                           .data_len = chunk,
                           .data.in = dst};
        int r = cd_exec(p, &op);
        if (r)
            return r;
        dst += chunk;
        off += chunk;
        len -= chunk;
    }
    return CD_OK;
}

static int nor_program(struct cd_flash *f, uint64_t off, const void *buf, size_t len)
{
    struct nor *n = f->priv;
    struct cd_programmer *p = f->prog;
    const struct cd_chip *c = f->chip;
    const uint8_t *src = buf;

    while (len) {
        /* PP never crosses a page boundary: bytes past it would wrap to the page start. */
        size_t chunk = c->page_size - (off % c->page_size);
        if (chunk > len)
            chunk = len;
        if (p->max_write && chunk > p->max_write)
            chunk = p->max_write;
        if (!cd_all_ff(src, chunk)) {
            int r = cmd_op(p, OP_WREN);
            if (r)
                return r;
            struct cd_op op = {.cmd = n->pp_op,
                               .addr_len = n->addr_len,
                               .addr = (uint32_t)off,
                               .dir = CD_DATA_OUT,
                               .data_len = (uint32_t)chunk,
                               .data.out = src};
            if ((r = cd_exec(p, &op)))
                return r;
            if ((r = wait_ready(p, c->pp_typ_us, c->pp_max_us)))
                return r;
        }
        src += chunk;
        off += chunk;
        len -= chunk;
    }
    return CD_OK;
}

static int nor_erase(struct cd_flash *f, uint64_t off, uint64_t size)
{
    struct nor *n = f->priv;
    struct cd_programmer *p = f->prog;
    const struct cd_chip *c = f->chip;
    int r;

    if (size == c->size && c->chip_erase_opcode && off == 0) {
        if ((r = write_enable(p)) || (r = cmd_op(p, c->chip_erase_opcode)))
            return r;
        return wait_ready(p, (uint64_t)c->chip_erase_typ_ms * 1000,
                          (uint64_t)c->chip_erase_max_ms * 1000);
    }
    for (unsigned i = 0; i < c->nerase; i++) {
        const struct cd_erase_type *e = &c->erase[i];
        if (e->size != size)
            continue;
        if (off % size)
            return cd_fail(CD_E_RANGE, "erase at 0x%llx is not aligned to %llu bytes",
                           (unsigned long long)off, (unsigned long long)size);
        uint8_t opcode = n->addr_len == 4 && e->opcode4 ? e->opcode4 : e->opcode;
        if ((r = write_enable(p)))
            return r;
        struct cd_op op = {.cmd = opcode, .addr_len = n->addr_len, .addr = (uint32_t)off};
        if ((r = cd_exec(p, &op)))
            return r;
        return wait_ready(p, (uint64_t)e->typ_ms * 1000, (uint64_t)e->max_ms * 1000);
    }
    return cd_fail(CD_E_UNSUPPORTED, "%s has no %llu-byte erase", c->name,
                   (unsigned long long)size);
}

static int nor_unprotect(struct cd_flash *f)
{
    struct cd_programmer *p = f->prog;
    uint8_t sr, zero = 0;
    int r = rdsr(p, &sr);
    if (r || !(sr & SR_PROTECT_MASK))
        return r;
    struct cd_op op = CD_OP_OUT(OP_WRSR, 1, &zero);
    if ((r = write_enable(p)) || (r = cd_exec(p, &op)) ||
        (r = wait_ready(p, 1000, WRSR_TIMEOUT_MS * 1000)))
        return r;
    uint8_t after;
    if ((r = rdsr(p, &after)))
        return r;
    if (after & SR_PROTECT_MASK)
        return cd_fail(CD_E_PROTECTED,
                       "block-protect bits stay set (SR1 0x%02X -> 0x%02X): the WP# pin is "
                       "probably held low with SRP set",
                       sr, after);
    return CD_OK;
}

static void nor_close(struct cd_flash *f)
{
    struct nor *n = f->priv;
    if (n && n->exit_4b_on_close)
        cmd_op(f->prog, OP_EX4B);
    free(n);
}

static const struct cd_flash_ops nor_ops = {
    .read = nor_read,
    .program = nor_program,
    .erase = nor_erase,
    .unprotect = nor_unprotect,
    .close = nor_close,
};

int cd_nor_open(struct cd_programmer *p, const struct cd_chip *chip, struct cd_flash **out)
{
    *out = NULL;
    if (chip->type != CD_CHIP_NOR)
        return cd_fail(CD_E_UNSUPPORTED, "%s is not a SPI-NOR chip", chip->name);
    struct cd_flash *f = calloc(1, sizeof(*f));
    struct nor *n = calloc(1, sizeof(*n));
    if (!f || !n) {
        free(f);
        free(n);
        return CD_E_NOMEM;
    }
    f->ops = &nor_ops;
    f->chip = chip;
    f->prog = p;
    f->priv = n;
    n->addr_len = 3;
    n->read_op = OP_READ;
    n->pp_op = OP_PP;

    if (chip->size > (1u << 24) || (chip->addr4 & CD_ADDR4_ONLY)) {
        n->addr_len = 4;
        if (chip->addr4 & CD_ADDR4_OPCODES) {
            /* Stateless 4-byte opcodes: nothing to undo if we are cut off mid-way. */
            n->read_op = OP_READ4B;
            n->pp_op = OP_PP4B;
        } else if (chip->addr4 & CD_ADDR4_MODE) {
            /* Micron N25Q/MT25Q want WREN before EN4B; others ignore it, WRDI undoes it. */
            int r = cmd_op(p, OP_WREN);
            if (!r)
                r = cmd_op(p, OP_EN4B);
            if (!r)
                r = cmd_op(p, OP_WRDI);
            if (r) {
                cd_flash_close(f);
                return r;
            }
            n->exit_4b_on_close = true;
        } else if (!(chip->addr4 & CD_ADDR4_ONLY)) {
            cd_flash_close(f);
            return cd_fail(CD_E_UNSUPPORTED,
                           "%s is larger than 16 MiB but its row names no 4-byte addressing",
                           chip->name);
        }
    }
    *out = f;
    return CD_OK;
}

void cd_flash_close(struct cd_flash *f)
{
    if (!f)
        return;
    if (f->ops->close)
        f->ops->close(f);
    free(f);
}

size_t cd_flash_erase_sizes(const struct cd_flash *f, uint32_t *sizes, size_t max)
{
    size_t n = 0;
    for (unsigned i = 0; i < f->chip->nerase && n < max; i++)
        sizes[n++] = f->chip->erase[i].size;
    return n;
}

uint32_t cd_flash_min_erase(const struct cd_flash *f)
{
    return f->chip->nerase ? f->chip->erase[0].size : f->chip->page_size;
}
