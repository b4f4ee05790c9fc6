/*
 * SPI-NAND chip model: the single-I/O command set shared by the parts in chipdb/ (Winbond
 * W25N, GigaDevice GD5F, Macronix MX35LF, Micron MT29F, Kioxia TC58CV, XTX, Dosilicon, ESMT,
 * FORESEE, Zetta), clocked byte by byte over a caller-owned page+OOB array (see sim.h).
 *
 * Sources (facts restated, nothing copied):
 *   [LX]  Linux drivers/mtd/nand/spi/core.c (command sequences, read-ID forms, bad-block
 *         marker, plane bit at column bit fls(page size)) and the vendor files winbond.c,
 *         gigadevice.c, macronix.c, micron.c, toshiba.c, xtx.c, dosilicon.c, esmt.c,
 *         foresee.c (status encodings, extra registers 30h / F0h / 7Ch, die select C2h /
 *         D0h, Winbond BUF, Micron CR, GigaDevice "3-address-byte" cache reads);
 *         include/linux/mtd/spinand.h (opcodes, feature addresses, status bits).
 *   [SN]  SNANDer spi_nand_flash.c (A0h "protect all" value 38h, dummy-byte prepend).
 *   [W1G] Winbond W25N01GVxxIG/IT datasheet rev. L (BUF = 0 continuous read on xxIT parts,
 *         ECC-E on at power-up, all blocks locked at power-up).
 *
 * Model choices (where the datasheets differ from one another or the model simplifies):
 *  - Time only moves in advance_ns(). PAGE READ, PROGRAM EXECUTE, BLOCK ERASE and RESET set
 *    OIP for the row's typical time (tRST: 5 us); their effect lands when that time has passed.
 *    While OIP = 1 only GET FEATURE, RESET and (stacked parts) die select are accepted; other
 *    commands clock in nothing (stats.ignored_busy). destroy() completes what is in progress.
 *  - Power-up: A0h = 38h (BP2..BP0 set: everything locked [SN, W1G]); B0h = ECC_EN, plus CR on
 *    `cont_read = cr` rows; `cont_read = buf` rows power up with BUF = 0 (continuous read),
 *    like W25N01GVxxIT parts [W1G]. Any of A0h bits 6:3 set locks every block (the model has no
 *    partial-array protection); a program or erase into a locked block ends with P_FAIL /
 *    E_FAIL (Micron behaviour; other vendors ignore it -- either way nothing changes).
 *  - Bits 7:2 of the status register report the last array operation: after PAGE READ the
 *    vendor's ECC field (XTX XT26G0xA uses bits 5:2, which overlap E_FAIL/P_FAIL), after
 *    PROGRAM EXECUTE P_FAIL, after BLOCK ERASE E_FAIL.
 *  - PROGRAM LOAD (02h) fills the cache with FFh first (the datasheets say so; Linux notes some
 *    parts do not, and always loads page + OOB); RANDOM PROGRAM LOAD (84h) keeps it. Neither
 *    needs WEL; PROGRAM EXECUTE and BLOCK ERASE do, and clear it. Bytes past page + OOB are
 *    dropped on load and read as FFh from the cache.
 *  - Programming only clears bits (cache AND cells). A page programmed again before its block
 *    is erased is counted (double_programs) and, with ECC on, its stored parity no longer
 *    matches: ECC reads of it are uncorrectable until the block is erased. Programming an
 *    all-FFh page with ECC on writes parity, so the page counts as programmed.
 *  - Two-plane parts have one cache per plane. PAGE READ fills the cache of the block's plane
 *    (block bit 0); READ FROM CACHE / PROGRAM LOAD use the cache the column's plane bit (bit
 *    fls(page size) [LX]) names; PROGRAM EXECUTE programs from the cache of the target
 *    block's plane. A host that forgets the plane bit reads or loads the wrong cache.
 *  - On-die ECC is behavioural: no parity bytes are computed; injected weak bits are corrected
 *    when ECC is on and no step holds more than the strength, and reported in the vendor's
 *    encoding; with ECC off they read flipped. Kioxia reports 11b (instead of 01b) for counts
 *    above half the strength; Winbond W25N0xKV 11b for counts above 4 [LX].
 *  - READ ID: `dummy` parts drive nothing (FFh) during the dummy byte; `addr` parts start the ID
 *    at the manufacturer byte for address 00h and at the device byte for 01h; bytes past the ID
 *    read FFh. `opcode` parts send the ID at once.
 *  - Continuous-read mode (BUF = 0 / CR = 1): READ FROM CACHE ignores the column and streams
 *    the data areas (no OOB) of the page and the pages after it (stats.cont_reads).
 *  - OTP_EN = 1: PAGE READ loads an erased (all FFh) OTP page, programs are ignored
 *    (stats.otp_accesses). The parameter page is not modelled.
 *  - Factory bad blocks are the blocks whose first page's OOB bytes 0 or 1 are not FFh when the
 *    model is created [LX]; they behave like good blocks, but erasing or programming them is
 *    counted (bad_block_erases, bad_block_programs): a careful host never does.
 *  - Not modelled: x2/x4 commands, QE, the ONFI parameter page, OTP locking, read retry,
 *    block-lock ranges, WP#/HOLD#.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nand_model_internal.h"

static uint64_t chip_page_of(const struct nand_model *m, unsigned die, uint32_t row)
{
    return (uint64_t)die * m->pages_per_die + (row & (m->pages_per_die - 1));
}

static unsigned plane_of_row(const struct nand_model *m, uint32_t row)
{
    return m->chip->planes > 1 ? (row >> m->ppb_shift) & 1 : 0;
}

static bool cont_read_on(const struct nand_model *m, const struct die *d)
{
    if (m->chip->cont_read == CD_CONT_READ_BUF)
        return !(d->cfg & CFG_BUF);
    if (m->chip->cont_read == CD_CONT_READ_CR)
        return (d->cfg & CFG_CR) != 0;
    return false;
}

static bool all_ff(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0xff && !memcmp(p, p + 1, n - 1));
}

static uint8_t page_state(struct nand_model *m, uint64_t cp)
{
    uint8_t s = m->pg_state[cp];
    if ((s & 0x0f) == PG_UNKNOWN) {
        s |= all_ff(raw_page(m, cp), m->raw) ? PG_ERASED : PG_PROGRAMMED;
        m->pg_state[cp] = s;
    }
    return s;
}

/* ---- on-die ECC ---- */

/* Position of the k-th weak bit of a step: distinct bytes, bits cycling 0..7. */
static void flip_bit(uint8_t *data, uint32_t step_size, unsigned step, unsigned k)
{
    uint32_t byte = step * step_size + (k * 67u + 13u) % step_size;
    data[byte] ^= (uint8_t)(1u << (k & 7));
}

/* Bits 7:2 of the status register and the vendor registers for n corrected bitflips (the
 * most in one step), or uncorrectable. */
static void ecc_encode(struct nand_model *m, struct die *d, unsigned n, bool unc)
{
    unsigned strength = m->chip->ecc_strength;
    uint8_t sr = 0;
    d->mbf = d->gd_sr2 = d->eccsr = 0;
    switch (m->ecc) {
    case ECC_GENERIC:
    case ECC_FORESEE:
        sr = unc ? 0x20 : n ? 0x10 : 0;
        break;
    case ECC_WINBOND_KV:
        sr = unc ? 0x20 : n > 4 ? 0x30 : n ? 0x10 : 0;
        d->mbf = unc ? 0 : (uint8_t)(n << 4);
        break;
    case ECC_KIOXIA:
        sr = unc ? 0x20 : n * 2 > strength ? 0x30 : n ? 0x10 : 0;
        d->mbf = unc ? 0 : (uint8_t)(n << 4);
        break;
    case ECC_GD_XA:
        sr = unc ? 0x20 : n >= 8 ? 0x30 : n ? 0x10 : 0;
        break;
    case ECC_GD_UEXXG:
        /* 01b + STATUS2 bits 5:4 make a 4-bit count 4..7; 1..4 all read as 4 */
        if (unc)
            sr = 0x20;
        else if (n >= 8)
            sr = 0x30;
        else if (n) {
            sr = 0x10;
            d->gd_sr2 = (uint8_t)((n > 4 ? n - 4 : 0) << 4);
        }
        break;
    case ECC_GD_Q5:
        if (unc)
            sr = 0x20;
        else if (n) {
            sr = 0x10;
            d->gd_sr2 = (uint8_t)(((n > 4 ? 4 : n) - 1) << 4);
        }
        break;
    case ECC_GD_UFUC:
        sr = unc ? 0x70 : n == 0 ? 0 : n <= 3 ? 0x10 : (uint8_t)(((n > 8 ? 8 : n) - 2) << 4);
        break;
    case ECC_MX_7C:
        sr = unc ? 0x20 : n ? 0x10 : 0;
        d->eccsr = unc ? 0 : (uint8_t)(n & 0x0f);
        break;
    case ECC_MICRON:
        sr = unc ? 0x20 : n == 0 ? 0 : n <= 3 ? 0x10 : n <= 6 ? 0x30 : 0x50;
        break;
    case ECC_XTX_A:
        sr = unc ? 0x20 : n >= 8 ? 0x30 : (uint8_t)(n << 2);
        break;
    case ECC_XTX_D:
        if (unc)
            sr = 0x20;
        else if (n >= 8)
            sr = 0x30;
        else if (n)
            sr = (uint8_t)(0x10 | ((n > 4 ? n - 4 : 0) << 6));
        break;
    case ECC_DOSILICON_GB:
        sr = unc ? 0x20 : n == 0 ? 0 : n <= 3 ? 0x10 : n <= 6 ? 0x30 : 0x50;
        break;
    }
    d->op_bits = sr;
}

/* PAGE READ completes: cells -> cache of the block's plane, through ECC if it is on. */
static void finish_page_read(struct nand_model *m, struct die *d, unsigned die)
{
    unsigned pl = plane_of_row(m, d->busy_row);
    uint8_t *c = d->cache[pl];
    m->st.page_reads++;
    if (d->cfg & CFG_OTP_EN) {
        m->st.otp_accesses++;
        memset(c, 0xff, m->raw);
        d->cache_page[pl] = -1;
        ecc_encode(m, d, 0, false);
        return;
    }
    uint64_t cp = chip_page_of(m, die, d->busy_row);
    memcpy(c, raw_page(m, cp), m->raw);
    d->cache_page[pl] = (int64_t)cp;

    unsigned per_step[64] = {0}, worst = 0;
    bool any = false;
    for (size_t i = 0; i < m->nflips; i++) {
        const struct flip *f = &m->flips[i];
        if (f->page != cp)
            continue;
        for (unsigned k = 0; k < f->count; k++)
            flip_bit(c, m->chip->ecc_step, f->step, per_step[f->step] + k);
        per_step[f->step] += f->count;
        any = true;
    }
    for (unsigned s = 0; s < m->steps; s++)
        if (per_step[s] > worst)
            worst = per_step[s];
    bool broken = (m->pg_state[cp] & PG_ECC_BROKEN) != 0;
    if (!(d->cfg & CFG_ECC_EN)) {
        d->op_bits = 0;
        d->mbf = d->gd_sr2 = d->eccsr = 0;
        return;
    }
    if (worst > m->chip->ecc_strength || broken) {
        ecc_encode(m, d, 0, true); /* the cache keeps the uncorrected bits */
        return;
    }
    if (any)
        memcpy(c, raw_page(m, cp), m->raw); /* corrected */
    ecc_encode(m, d, worst, false);
}

static bool in_list(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void finish_program(struct nand_model *m, struct die *d, unsigned die)
{
    uint64_t cp = chip_page_of(m, die, d->busy_row);
    uint32_t block = (uint32_t)(cp >> m->ppb_shift);
    const uint8_t *c = d->cache[plane_of_row(m, d->busy_row)];
    if (in_list(m->pfail, m->npfail, block)) {
        d->op_bits = SR_P_FAIL;
        return;
    }
    uint8_t st = page_state(m, cp);
    bool ecc = (d->cfg & CFG_ECC_EN) != 0, blank = all_ff(c, m->raw);
    if ((st & 0x0f) == PG_PROGRAMMED) {
        m->st.double_programs++;
        if (ecc)
            st |= PG_ECC_BROKEN;
    }
    if (blank && ecc)
        m->st.blank_programs_ecc++;
    if (m->factory_bad[block])
        m->st.bad_block_programs++;
    /* cells only go from 1 to 0: AND, a word at a time (raw is a multiple of 8) */
    uint8_t *dst = raw_page(m, cp);
    for (uint32_t i = 0; i < m->raw; i += 8) {
        uint64_t a, b;
        memcpy(&a, dst + i, 8);
        memcpy(&b, c + i, 8);
        a &= b;
        memcpy(dst + i, &a, 8);
    }
    if (!blank || ecc)
        st = (uint8_t)((st & PG_ECC_BROKEN) | PG_PROGRAMMED);
    m->pg_state[cp] = st;
    m->st.page_programs++;
    d->op_bits = 0;
}

static void finish_erase(struct nand_model *m, struct die *d, unsigned die)
{
    uint64_t first = chip_page_of(m, die, d->busy_row & ~(m->ppb - 1));
    uint32_t block = (uint32_t)(first >> m->ppb_shift);
    if (in_list(m->efail, m->nefail, block)) {
        d->op_bits = SR_E_FAIL;
        return;
    }
    if (m->factory_bad[block])
        m->st.bad_block_erases++;
    memset(raw_page(m, first), 0xff, (size_t)m->ppb * m->raw);
    memset(m->pg_state + first, PG_ERASED, m->ppb);
    m->st.block_erases++;
    d->op_bits = 0;
}

static void finish_busy(struct nand_model *m, unsigned die)
{
    struct die *d = &m->die[die];
    switch (d->busy) {
    case BUSY_READ:
        finish_page_read(m, d, die);
        break;
    case BUSY_PROGRAM:
        finish_program(m, d, die);
        d->wel = false;
        break;
    case BUSY_ERASE:
        finish_erase(m, d, die);
        d->wel = false;
        break;
    case BUSY_RESET:
    case BUSY_NONE:
        break;
    }
    d->busy = BUSY_NONE;
}

static void start_busy(struct nand_model *m, struct die *d, enum busy_op op, uint64_t ns)
{
    d->busy = op;
    d->busy_until_ns = m->now_ns + ns;
}

/* ---- commands that execute at CS# rise ---- */

static bool locked(const struct die *d)
{
    return (d->lock & LOCK_BP_MASK) != 0;
}

static void do_page_read(struct nand_model *m)
{
    struct die *d = cur_die(m);
    d->busy_row = m->addr;
    d->read_plane = plane_of_row(m, m->addr);
    start_busy(m, d, BUSY_READ, (uint64_t)m->chip->read_typ_us * NS_PER_US);
}

static void do_program(struct nand_model *m)
{
    struct die *d = cur_die(m);
    if (!d->wel) {
        m->st.ignored_no_wel++;
        return;
    }
    if (locked(d) || (d->cfg & CFG_OTP_EN)) {
        if (d->cfg & CFG_OTP_EN)
            m->st.otp_accesses++;
        else
            m->st.locked_rejects++;
        d->op_bits = (d->cfg & CFG_OTP_EN) ? 0 : SR_P_FAIL;
        d->wel = false;
        return;
    }
    d->busy_row = m->addr;
    if (m->chip->planes > 1 && d->load_plane != plane_of_row(m, m->addr))
        m->st.plane_mismatches++;
    start_busy(m, d, BUSY_PROGRAM, (uint64_t)m->chip->pp_typ_us * NS_PER_US);
}

static void do_erase(struct nand_model *m)
{
    struct die *d = cur_die(m);
    if (!d->wel) {
        m->st.ignored_no_wel++;
        return;
    }
    if (locked(d)) {
        m->st.locked_rejects++;
        d->op_bits = SR_E_FAIL;
        d->wel = false;
        return;
    }
    d->busy_row = m->addr;
    start_busy(m, d, BUSY_ERASE, (uint64_t)m->chip->erase[0].typ_ms * NS_PER_MS);
}

static void do_reset(struct nand_model *m)
{
    struct die *d = cur_die(m);
    if (d->busy != BUSY_NONE && d->busy != BUSY_RESET)
        finish_busy(m, m->cur); /* the model lets the operation land; real parts abort it */
    d->wel = false;
    d->op_bits = 0;
    start_busy(m, d, BUSY_RESET, T_RST_NS);
}

static void do_set_feature(struct nand_model *m, uint8_t reg, uint8_t v)
{
    struct die *d = cur_die(m);
    switch (reg) {
    case REG_LOCK:
        d->lock = v;
        break;
    case REG_CFG:
        d->cfg = (uint8_t)((d->cfg & ~CFG_RW) | (v & CFG_RW));
        break;
    case REG_DIE:
        if (m->chip->die_select == CD_DIE_SELECT_D0 && ((v >> 6) & 1) < m->chip->dies)
            m->cur = (v >> 6) & 1;
        break;
    default:
        break; /* status and vendor registers are read-only */
    }
}

static uint8_t get_feature(struct nand_model *m, uint8_t reg)
{
    struct die *d = cur_die(m);
    switch (reg) {
    case REG_LOCK:
        return d->lock;
    case REG_CFG:
        return d->cfg;
    case REG_STATUS:
        return (uint8_t)((d->op_bits & 0xfc) | (d->wel ? SR_WEL : 0) |
                         (d->busy != BUSY_NONE ? SR_OIP : 0));
    case REG_DIE:
        return m->chip->die_select == CD_DIE_SELECT_D0 ? (uint8_t)(m->cur << 6) : 0;
    case REG_MBF:
        return d->mbf;
    case REG_GD_SR2:
        return d->gd_sr2;
    default:
        return 0;
    }
}

/* ---- the byte protocol ---- */

static enum cmd decode(struct nand_model *m, uint8_t op)
{
    const struct cd_chip *c = m->chip;
    m->addr_len = 0;
    m->dummy = 0;
    switch (op) {
    case OP_RESET:
        return C_RESET;
    case OP_READ_ID:
        if (c->readid == CD_READID_ADDR)
            m->addr_len = 1;
        else if (c->readid == CD_READID_DUMMY)
            m->dummy = 1;
        return C_READ_ID;
    case OP_GET_FEATURE:
        m->addr_len = 1;
        return C_GET_FEATURE;
    case OP_SET_FEATURE:
        m->addr_len = 1;
        return C_SET_FEATURE;
    case OP_WREN:
        return C_WREN;
    case OP_WRDI:
        return C_WRDI;
    case OP_PAGE_READ:
        m->addr_len = 3;
        return C_PAGE_READ;
    case OP_READ_CACHE:
    case OP_READ_CACHE_FT:
        /* GigaDevice xC/xF: a dummy byte, then the column ("3 address bytes") [LX, SN];
         * 0Bh adds a dummy byte after it. Everyone else: column, then one dummy byte. */
        if (c->cache_dummy_first) {
            m->addr_len = 3;
            m->dummy = op == OP_READ_CACHE_FT;
        } else {
            m->addr_len = 2;
            m->dummy = 1;
        }
        return C_READ_CACHE;
    case OP_PROG_LOAD:
        m->addr_len = 2;
        return C_PROG_LOAD;
    case OP_PROG_LOAD_RND:
        m->addr_len = 2;
        return C_PROG_LOAD_RND;
    case OP_PROG_EXEC:
        m->addr_len = 3;
        return C_PROG_EXEC;
    case OP_BLOCK_ERASE:
        m->addr_len = 3;
        return C_BLOCK_ERASE;
    case OP_DIE_SELECT:
        return c->die_select == CD_DIE_SELECT_C2 ? C_DIE_SELECT : C_NONE;
    case OP_MX_ECCSR:
        if (c->ecc_status && !strcmp(c->ecc_status, "mx-7c")) {
            m->dummy = 1;
            return C_MX_ECCSR;
        }
        return C_NONE;
    default:
        return C_NONE;
    }
}

/* Column -> plane cache and offset; counts plane bits that name the wrong cache. */
static void set_column(struct nand_model *m, bool is_read)
{
    struct die *d = cur_die(m);
    uint32_t col = m->addr & 0xffff;
    m->plane = m->chip->planes > 1 ? (col >> m->plane_shift) & 1 : 0;
    m->col = col & ((1u << m->plane_shift) - 1);
    if (m->chip->planes > 1) {
        if (is_read && m->plane != d->read_plane)
            m->st.plane_mismatches++;
        if (!is_read)
            d->load_plane = m->plane;
    }
}

static void enter_data(struct nand_model *m)
{
    struct die *d = cur_die(m);
    m->phase = PH_DATA;
    m->data_count = 0;
    m->have_last_read = false;
    switch (m->cmd) {
    case C_READ_CACHE:
        set_column(m, true);
        m->stream = cont_read_on(m, d);
        if (m->stream) {
            m->st.cont_reads++;
            m->stream_page = d->cache_page[m->plane];
            m->col = 0;
        } else if (d->cache_page[m->plane] >= 0 && m->col < m->raw) {
            m->have_last_read = true;
            m->last_read_off = (uint64_t)d->cache_page[m->plane] * m->raw + m->col;
        }
        break;
    case C_PROG_LOAD:
        set_column(m, false);
        memset(d->cache[m->plane], 0xff, m->raw);
        d->cache_page[m->plane] = -1;
        break;
    case C_PROG_LOAD_RND:
        set_column(m, false);
        d->cache_page[m->plane] = -1;
        break;
    default:
        break;
    }
}

static void after_opcode(struct nand_model *m, uint8_t op)
{
    enum cmd c = decode(m, op);
    struct die *d = cur_die(m);
    if (c != C_NONE && d->busy != BUSY_NONE && c != C_GET_FEATURE && c != C_RESET &&
        c != C_DIE_SELECT) {
        m->st.ignored_busy++;
        c = C_NONE;
    }
    m->cmd = c;
    m->addr = 0;
    m->addr_got = 0;
    if (c == C_NONE) {
        m->addr_len = 0;
        m->dummy = 0;
    }
    if (m->addr_len)
        m->phase = PH_ADDR;
    else if (m->dummy)
        m->phase = PH_DUMMY;
    else
        enter_data(m);
}

static void fill(uint8_t *miso, uint8_t v, size_t n)
{
    if (miso)
        memset(miso, v, n);
}

/* Continuous read: data areas of consecutive pages, loaded as the stream reaches them. */
static void stream_out(struct nand_model *m, uint8_t *miso, size_t n)
{
    while (n) {
        if (m->stream_page < 0 || (uint64_t)m->stream_page >= (uint64_t)m->blocks * m->ppb) {
            fill(miso, 0xff, n);
            return;
        }
        size_t k = m->page - m->col;
        if (k > n)
            k = n;
        if (miso) {
            memcpy(miso, raw_page(m, (uint64_t)m->stream_page) + m->col, k);
            miso += k;
        }
        n -= k;
        m->col += (uint32_t)k;
        if (m->col == m->page) {
            m->col = 0;
            m->stream_page++;
        }
    }
}

static void data_phase(struct nand_model *m, const uint8_t *mosi, uint8_t *miso, size_t n)
{
    struct die *d = cur_die(m);
    uint64_t pos = m->data_count;
    m->data_count += n;
    if (pos == 0 && n && mosi)
        m->in_byte = mosi[0];
    else if (pos == 0 && n)
        m->in_byte = 0xff;

    switch (m->cmd) {
    case C_READ_ID: {
        const struct cd_chip *c = m->chip;
        uint64_t start = c->readid == CD_READID_ADDR && (m->addr & 0xff) == 1 ? 1 : 0;
        if (miso)
            for (size_t i = 0; i < n; i++)
                miso[i] = start + pos + i < c->id_len ? c->id[start + pos + i] : 0xff;
        return;
    }
    case C_GET_FEATURE:
        fill(miso, get_feature(m, (uint8_t)m->addr), n);
        return;
    case C_MX_ECCSR:
        fill(miso, d->eccsr, n);
        return;
    case C_READ_CACHE:
        if (m->stream) {
            stream_out(m, miso, n);
            return;
        }
        if (miso) {
            const uint8_t *c = d->cache[m->plane];
            size_t k = m->col < m->raw ? m->raw - m->col : 0;
            if (k > n)
                k = n;
            memcpy(miso, c + m->col, k);
            memset(miso + k, 0xff, n - k);
        }
        m->col += (uint32_t)n;
        return;
    case C_PROG_LOAD:
    case C_PROG_LOAD_RND: {
        uint8_t *c = d->cache[m->plane];
        size_t k = m->col < m->raw ? m->raw - m->col : 0; /* bytes past the cache are dropped */
        if (k > n)
            k = n;
        if (mosi)
            memcpy(c + m->col, mosi, k);
        else
            memset(c + m->col, 0xff, k);
        m->col += (uint32_t)n;
        fill(miso, 0xff, n);
        return;
    }
    default:
        fill(miso, 0xff, n);
        return;
    }
}

static void nand_select(struct cd_spi_model *base)
{
    struct nand_model *m = (struct nand_model *)base;
    m->selected = true;
    m->phase = PH_OPCODE;
    m->cmd = C_NONE;
}

static void nand_xfer(struct cd_spi_model *base, const uint8_t *mosi, uint8_t *miso, size_t n)
{
    struct nand_model *m = (struct nand_model *)base;
    if (!m->selected) {
        fill(miso, 0xff, n);
        return;
    }
    while (n) {
        size_t k = 1;
        uint8_t in = mosi ? mosi[0] : 0xff;
        switch (m->phase) {
        case PH_OPCODE:
            fill(miso, 0xff, 1);
            after_opcode(m, in);
            break;
        case PH_ADDR:
            fill(miso, 0xff, 1);
            m->addr = (m->addr << 8) | in;
            if (++m->addr_got == m->addr_len) {
                if (m->dummy)
                    m->phase = PH_DUMMY;
                else
                    enter_data(m);
            }
            break;
        case PH_DUMMY:
            k = n < m->dummy ? n : m->dummy;
            fill(miso, 0xff, k);
            m->dummy -= (unsigned)k;
            if (!m->dummy)
                enter_data(m);
            break;
        case PH_DATA:
            k = n;
            data_phase(m, mosi, miso, n);
            break;
        case PH_IDLE:
            k = n;
            fill(miso, 0xff, n);
            break;
        }
        if (mosi)
            mosi += k;
        if (miso)
            miso += k;
        n -= k;
    }
}

static void nand_deselect(struct cd_spi_model *base)
{
    struct nand_model *m = (struct nand_model *)base;
    if (!m->selected)
        return;
    m->selected = false;
    bool in_data = m->phase == PH_DATA;
    bool exact = in_data && m->data_count == 0;
    struct die *d = cur_die(m);
    switch (m->cmd) {
    case C_RESET:
        if (exact)
            do_reset(m);
        break;
    case C_WREN:
        if (exact)
            d->wel = true;
        break;
    case C_WRDI:
        if (exact)
            d->wel = false;
        break;
    case C_PAGE_READ:
        if (exact)
            do_page_read(m);
        break;
    case C_PROG_EXEC:
        if (exact)
            do_program(m);
        break;
    case C_BLOCK_ERASE:
        if (exact)
            do_erase(m);
        break;
    case C_SET_FEATURE:
        if (in_data && m->data_count == 1)
            do_set_feature(m, (uint8_t)m->addr, m->in_byte);
        break;
    case C_DIE_SELECT:
        if (in_data && m->data_count == 1 && m->in_byte < m->chip->dies)
            m->cur = m->in_byte;
        break;
    default:
        break;
    }
    m->cmd = C_NONE;
    m->phase = PH_IDLE;
}

static void nand_advance_ns(struct cd_spi_model *base, uint64_t ns)
{
    struct nand_model *m = (struct nand_model *)base;
    m->now_ns = ns > UINT64_MAX - m->now_ns ? UINT64_MAX : m->now_ns + ns;
    for (unsigned i = 0; i < m->chip->dies; i++)
        if (m->die[i].busy != BUSY_NONE && m->now_ns >= m->die[i].busy_until_ns)
            finish_busy(m, i);
}

void cd_nand_model_destroy(struct cd_spi_model *base)
{
    struct nand_model *m = (struct nand_model *)base;
    if (!m)
        return;
    for (unsigned i = 0; i < MAX_DIES; i++) {
        if (i < m->chip->dies)
            finish_busy(m, i);
        free(m->die[i].cache[0]);
        free(m->die[i].cache[1]);
    }
    free(m->pg_state);
    free(m->factory_bad);
    free(m->flips);
    free(m->pfail);
    free(m->efail);
    free(m);
}

const struct cd_spi_model_ops cd_nand_model_ops = {
    .select = nand_select,
    .xfer = nand_xfer,
    .deselect = nand_deselect,
    .advance_ns = nand_advance_ns,
    .destroy = cd_nand_model_destroy,
};
