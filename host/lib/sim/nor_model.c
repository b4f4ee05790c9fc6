/*
 * SPI-NOR chip model: the single-I/O command set of a Winbond W25Q128JV / W25Q256JV or a
 * Macronix MX25L25645G, clocked byte by byte over a caller-owned array (see sim.h).
 *
 * Sources, cited below by tag:
 *   [W128]  Winbond W25Q128JV datasheet (instruction descriptions, status register,
 *           "Status Register Memory Protection" table, AC characteristics)
 *   [W256]  Winbond W25Q256JV datasheet (4-byte address mode, 4-byte instructions)
 *   [MX]    Macronix MX25L25645G datasheet (4-byte mode, protected-area table, RES)
 *   [J216B] JEDEC JESD216B, Serial Flash Discoverable Parameters (the BFPT layout); every bit
 *           position used here was cross-checked against the field definitions in Linux
 *           drivers/mtd/spi-nor/sfdp.{c,h}, Zephyr drivers/flash/jesd216.{c,h}, the
 *           ChromiumOS EC SFDP header (DWORD10-16 field tables) and the SFDP dumps of real
 *           W25Q16JV / W25Q256JV / MX25L25645G parts.
 *
 * Model choices (where the datasheets leave room, or where the model simplifies):
 *  - Time only moves in advance_ns(). Program, erase and WRSR start at CS# rise and keep WIP
 *    set for the row's typical time; their effect on the array / status register is applied
 *    when that time has passed (the data lands at the end, as on silicon where the cells
 *    change during tPP/tSE). destroy() completes an operation still in progress, so a
 *    file-backed image is never left half-written by a host that quit without polling.
 *  - While WIP = 1 only RDSR (05h) and RDSR2 (35h) are answered [W128: while BUSY the chip
 *    ignores every instruction but the status reads and suspend]; other commands clock in
 *    nothing, MISO stays 0xFF, and stats.ignored_busy counts them. For tRST (30 us [W128])
 *    after a reset no command at all is accepted.
 *  - A command executes at CS# rise only if it is complete: one-byte commands (WREN, WRDI,
 *    EN4B, EX4B, CE, 66h, 99h) and erases need CS# to rise right after their last opcode /
 *    address byte [W128, MX: if CS# does not rise exactly on that byte boundary the
 *    instruction is not executed], PP needs at least one data byte, WRSR exactly
 *    one or two data bytes. (At this byte-level interface CS# always rises on a byte
 *    boundary.) Incomplete commands are dropped silently.
 *  - A program/erase/WRSR without WEL, or a program/erase into a protected area, is dropped
 *    and leaves WEL as it was (counted in ignored_no_wel / ignored_protect).
 *  - RDID (9Fh) sends the row's ID bytes, then 0xFF (MISO undriven) however long the host
 *    keeps clocking, so a host reading 6 bytes sees where the ID ends.
 *  - RDSR2 (35h) always reads 0 (no QE/SRP1/CMP modelled; on Macronix 35h is really EQIO).
 *    WRSR accepts SR1 or SR1+SR2; the SR2 byte is ignored.
 *  - RDSFDP (5Ah) is answered for every row (also has_sfdp = no) so tests can use it; the
 *    table is cd_nor_model_sfdp(), 0xFF past its end.
 *  - READ in 3-byte mode on a chip over 16 MiB reads from the low 16 MiB (extended address
 *    register = 0); the address counter then runs through the whole array and wraps from
 *    the last byte to 0 [W128: READ auto-increments the address, so one command can stream
 *    the whole array].
 *  - Write suspend/resume, quad/dual I/O, QPI, deep power-down, OTP/security registers and
 *    the WP#/HOLD# pins are not modelled.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/sim.h"
#include "nor_timing.h"

/* Opcodes [W128, W256, MX] */
#define OP_WRSR        0x01
#define OP_PP          0x02
#define OP_READ        0x03
#define OP_WRDI        0x04
#define OP_RDSR        0x05
#define OP_WREN        0x06
#define OP_FAST_READ   0x0b
#define OP_FAST_READ4B 0x0c
#define OP_PP4B        0x12
#define OP_READ4B      0x13
#define OP_RDSR2       0x35
#define OP_RDSFDP      0x5a
#define OP_CE_60       0x60
#define OP_RSTEN       0x66
#define OP_RST         0x99
#define OP_RDID        0x9f
#define OP_RES         0xab
#define OP_EN4B        0xb7
#define OP_CE_C7       0xc7
#define OP_EX4B        0xe9

/* Status register 1 [W128]: WIP (BUSY) bit 0, WEL bit 1, BP0.. from bit 2, TB bit 5 (bp3-tb),
 * SRP0 / SRWD bit 7. */
#define SR1_WIP      0x01
#define SR1_WEL      0x02
#define SR1_BP_SHIFT 2
#define SR1_TB       0x20
#define SR1_SRP      0x80

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull

/* tW, write status register time: 10 ms typical [W128]. */
#define T_WRSR_NS (10 * NS_PER_MS)
/* tRST, reset time: 30 us, no command accepted meanwhile [W128]. */
#define T_RST_NS (30 * NS_PER_US)

enum cmd {
    CMD_NONE, /* unknown or ignored: clock bytes, drive nothing */
    CMD_RDID,
    CMD_RDSR,
    CMD_RDSR2,
    CMD_RES,
    CMD_RDSFDP,
    CMD_READ,
    CMD_WRSR,
    CMD_WREN,
    CMD_WRDI,
    CMD_PP,
    CMD_ERASE,
    CMD_CE,
    CMD_EN4B,
    CMD_EX4B,
    CMD_RSTEN,
    CMD_RST,
};

enum phase { PH_IDLE, PH_OPCODE, PH_ADDR, PH_DUMMY, PH_DATA };

enum busy_op { BUSY_NONE, BUSY_PROGRAM, BUSY_ERASE, BUSY_WRSR };

struct nor_model {
    struct cd_spi_model base;
    const struct cd_chip *chip;
    uint8_t *array;
    uint64_t size;
    uint32_t page_size;

    /* chip state */
    uint8_t sr1;    /* non-volatile bits only (BP, TB, SRP); WIP/WEL are below */
    uint8_t sr1_rw; /* bits WRSR may change */
    bool wel;       /* write enable latch */
    bool addr4;     /* 4-byte address mode */
    bool rst_armed; /* 66h was the previous command */
    uint8_t res_id; /* ABh device ID */

    /* virtual time and the operation in progress */
    uint64_t now_ns, busy_until_ns, reset_until_ns;
    enum busy_op busy;
    uint64_t busy_addr, busy_len; /* page base (program) or block (erase) */
    uint8_t busy_sr1;             /* WRSR: the value to store */

    /* the transaction under CS# */
    bool selected;
    enum phase phase;
    enum cmd cmd;
    unsigned addr_len, addr_got, dummy;
    uint64_t addr;       /* address latched, then the running array / SFDP offset */
    uint64_t data_count; /* bytes clocked in the data phase */
    int erase_idx;
    uint8_t wrsr_in[2];
    uint8_t *page_buf; /* PP data, 0xFF where not sent; page_size bytes */

    uint8_t sfdp[SFDP_LEN];
    struct cd_nor_model_stats st;
};

/* ---- block protection ---- */

void cd_nor_protected_range(const struct cd_chip *chip, uint8_t sr1, uint64_t *start, uint64_t *len)
{
    uint64_t size = chip->size, n = 0;
    bool bottom = false;
    unsigned bp;

    switch (chip->bp_bits) {
    case 2:
        /* BP1..0: 1 = upper 1/4, 2 = upper 1/2, 3 = all (docs/chipdb.md `bp2`). */
        bp = (sr1 >> SR1_BP_SHIFT) & 3;
        n = bp == 0 ? 0 : bp == 1 ? size / 4 : bp == 2 ? size / 2 : size;
        break;
    case 3:
        /* [W128] protection table with CMP = 0, SEC = 0: BP2..0 = 1..6 protect the upper
         * (TB = 0) or lower (TB = 1) 1/64 .. 1/2 of the array (256 KiB .. 8 MiB on 16 MiB),
         * 7 protects everything. */
        bp = (sr1 >> SR1_BP_SHIFT) & 7;
        bottom = chip->has_tb && (sr1 & SR1_TB);
        n = bp == 0 ? 0 : bp == 7 ? size : size >> (7 - bp);
        break;
    case 4:
        /* [MX] protected-area table: BP3..0 = n protects the top 2^(n-1) 64 KiB blocks
         * (0001 = block 511 only ... 1001 = upper half), capped at the whole array; 1111 is
         * always all. */
        bp = (sr1 >> SR1_BP_SHIFT) & 15;
        if (bp == 15)
            n = size;
        else if (bp)
            n = (65536ull << (bp - 1)) > size ? size : 65536ull << (bp - 1);
        break;
    default:
        break;
    }
    *start = bottom ? 0 : size - n;
    *len = n;
}

static bool range_protected(const struct nor_model *m, uint64_t addr, uint64_t len)
{
    uint64_t ps, pl;
    cd_nor_protected_range(m->chip, m->sr1, &ps, &pl);
    return pl && addr < ps + pl && ps < addr + len;
}

/* ---- operations ---- */

static uint8_t status1(const struct nor_model *m)
{
    return (uint8_t)(m->sr1 | (m->busy != BUSY_NONE ? SR1_WIP : 0) | (m->wel ? SR1_WEL : 0));
}

static void start_busy(struct nor_model *m, enum busy_op op, uint64_t ns)
{
    m->busy = op;
    m->busy_until_ns = m->now_ns + ns;
}

/* The operation in progress ends: its effect lands, WEL clears [W128: WEL is reset when a
 * program, erase or write-status cycle completes]. */
static void finish_busy(struct nor_model *m)
{
    switch (m->busy) {
    case BUSY_PROGRAM: {
        /* Program can only clear bits: each cell goes from 1 to 0, never back. */
        uint8_t *dst = m->array + m->busy_addr;
        for (uint32_t i = 0; i < m->page_size; i++)
            dst[i] &= m->page_buf[i];
        break;
    }
    case BUSY_ERASE:
        memset(m->array + m->busy_addr, 0xff, m->busy_len);
        break;
    case BUSY_WRSR:
        m->sr1 = m->busy_sr1;
        break;
    case BUSY_NONE:
        return;
    }
    m->busy = BUSY_NONE;
    m->wel = false;
}

static void do_program(struct nor_model *m)
{
    uint64_t base = m->addr & ~(uint64_t)(m->page_size - 1);
    if (!m->wel) {
        m->st.ignored_no_wel++;
        return;
    }
    /* [W128] PP into a page protected by the BP/TB bits is not executed. */
    if (range_protected(m, base, m->page_size)) {
        m->st.ignored_protect++;
        return;
    }
    m->busy_addr = base;
    m->st.page_programs++;
    start_busy(m, BUSY_PROGRAM, pp_typ_us(m->chip) * NS_PER_US);
}

static void do_erase(struct nor_model *m)
{
    const struct cd_erase_type *e = &m->chip->erase[m->erase_idx];
    /* Any address inside the sector / block selects it. */
    uint64_t base = m->addr & ~(uint64_t)(e->size - 1);
    if (!m->wel) {
        m->st.ignored_no_wel++;
        return;
    }
    /* [W128, MX] an erase touching a protected area is not executed. */
    if (range_protected(m, base, e->size)) {
        m->st.ignored_protect++;
        return;
    }
    m->busy_addr = base;
    m->busy_len = e->size;
    if (e->size == 4096)
        m->st.erases_4k++;
    else if (e->size == 32768)
        m->st.erases_32k++;
    else if (e->size == 65536)
        m->st.erases_64k++;
    start_busy(m, BUSY_ERASE, erase_typ_ms(e) * NS_PER_MS);
}

static void do_chip_erase(struct nor_model *m)
{
    uint64_t ps, pl;
    if (!m->wel) {
        m->st.ignored_no_wel++;
        return;
    }
    /* [W128] CE is not executed if any region is protected by the BP bits; [MX] only when all
     * BP bits are 0. Both come to: ignored when the BP bits protect anything. */
    cd_nor_protected_range(m->chip, m->sr1, &ps, &pl);
    if (pl) {
        m->st.ignored_protect++;
        return;
    }
    m->busy_addr = 0;
    m->busy_len = m->size;
    m->st.chip_erases++;
    start_busy(m, BUSY_ERASE, chip_erase_typ_ms(m->chip) * NS_PER_MS);
}

static void do_wrsr(struct nor_model *m)
{
    if (!m->wel) {
        m->st.ignored_no_wel++;
        return;
    }
    m->busy_sr1 = (uint8_t)((m->sr1 & ~m->sr1_rw) | (m->wrsr_in[0] & m->sr1_rw));
    start_busy(m, BUSY_WRSR, T_WRSR_NS);
}

/* Software reset [W128]: volatile state back to power-on (WEL 0, address mode default), the
 * non-volatile status bits stay; the chip then ignores commands for tRST. */
static void do_reset(struct nor_model *m)
{
    m->wel = false;
    m->addr4 = (m->chip->addr4 & CD_ADDR4_ONLY) != 0;
    m->reset_until_ns = m->now_ns + T_RST_NS;
}

/* ---- the byte protocol ---- */

static unsigned cur_addr_len(const struct nor_model *m)
{
    return m->addr4 ? 4 : 3;
}

/* Decode an opcode into the command it starts (CMD_NONE if the chip does not know it). */
static enum cmd decode(struct nor_model *m, uint8_t op, bool rst_armed)
{
    const struct cd_chip *c = m->chip;
    bool ops4 = (c->addr4 & CD_ADDR4_OPCODES) != 0;

    m->addr_len = 0;
    m->dummy = 0;
    switch (op) {
    case OP_RDID:
        return CMD_RDID;
    case OP_RDSR:
        return CMD_RDSR;
    case OP_RDSR2:
        return CMD_RDSR2;
    case OP_WRSR:
        return CMD_WRSR;
    case OP_WREN:
        return CMD_WREN;
    case OP_WRDI:
        return CMD_WRDI;
    case OP_READ:
        m->addr_len = cur_addr_len(m);
        return CMD_READ;
    case OP_FAST_READ:
        m->addr_len = cur_addr_len(m);
        m->dummy = 1;
        return CMD_READ;
    case OP_PP:
        m->addr_len = cur_addr_len(m);
        return CMD_PP;
    case OP_RDSFDP:
        /* Always 3 address bytes + 8 dummy clocks, whatever the address mode [J216B]. */
        m->addr_len = 3;
        m->dummy = 1;
        return CMD_RDSFDP;
    case OP_RES:
        /* ABh + 3 dummy bytes, then the device ID, repeated [W128]. */
        m->dummy = 3;
        return CMD_RES;
    case OP_RSTEN:
        return CMD_RSTEN;
    case OP_RST:
        /* Reset must follow Reset Enable directly [W128]. */
        return rst_armed ? CMD_RST : CMD_NONE;
    case OP_CE_C7:
    case OP_CE_60:
        /* Both opcodes are chip erase on W25Q and MX25L parts [W128, MX]. */
        return c->chip_erase_opcode ? CMD_CE : CMD_NONE;
    default:
        break;
    }
    if (ops4) {
        switch (op) {
        case OP_READ4B:
            m->addr_len = 4;
            return CMD_READ;
        case OP_FAST_READ4B:
            m->addr_len = 4;
            m->dummy = 1;
            return CMD_READ;
        case OP_PP4B:
            m->addr_len = 4;
            return CMD_PP;
        default:
            break;
        }
    }
    if (c->addr4 & CD_ADDR4_MODE) {
        if (op == OP_EN4B)
            return CMD_EN4B;
        if (op == OP_EX4B && !(c->addr4 & CD_ADDR4_ONLY))
            return CMD_EX4B;
    }
    for (unsigned i = 0; i < c->nerase; i++) {
        if (op == c->erase[i].opcode) {
            m->erase_idx = (int)i;
            m->addr_len = cur_addr_len(m);
            return CMD_ERASE;
        }
        if (ops4 && c->erase[i].opcode4 && op == c->erase[i].opcode4) {
            m->erase_idx = (int)i;
            m->addr_len = 4;
            return CMD_ERASE;
        }
    }
    return CMD_NONE;
}

static void enter_data(struct nor_model *m)
{
    m->phase = PH_DATA;
    m->data_count = 0;
    switch (m->cmd) {
    case CMD_PP:
        memset(m->page_buf, 0xff, m->page_size);
        /* fall through */
    case CMD_READ:
    case CMD_ERASE:
        /* Address bits above the array are don't-care. */
        m->addr %= m->size;
        break;
    default:
        break;
    }
}

static void after_opcode(struct nor_model *m, uint8_t op)
{
    bool rst_armed = m->rst_armed;
    m->rst_armed = false;

    enum cmd c = decode(m, op, rst_armed);
    if (c != CMD_NONE) {
        bool status_read = c == CMD_RDSR || c == CMD_RDSR2;
        if (m->now_ns < m->reset_until_ns || (m->busy != BUSY_NONE && !status_read)) {
            m->st.ignored_busy++;
            c = CMD_NONE;
        }
    }
    m->cmd = c;
    m->addr = 0;
    m->addr_got = 0;
    if (c == CMD_NONE) {
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

/* The data phase: n bytes; reads are block copies, so streaming a whole chip is cheap. */
static void data_phase(struct nor_model *m, const uint8_t *mosi, uint8_t *miso, size_t n)
{
    uint64_t pos = m->data_count;
    m->data_count += n;

    switch (m->cmd) {
    case CMD_READ:
        while (n) {
            uint64_t chunk = m->size - m->addr;
            if (chunk > n)
                chunk = n;
            if (miso) {
                memcpy(miso, m->array + m->addr, chunk);
                miso += chunk;
            }
            n -= chunk;
            m->addr += chunk;
            if (m->addr == m->size)
                m->addr = 0; /* wrap from the last byte to address 0 */
        }
        return;
    case CMD_RDSR:
        fill(miso, status1(m), n); /* read continuously [W128] */
        return;
    case CMD_RDSR2:
        fill(miso, 0, n);
        return;
    case CMD_RES:
        fill(miso, m->res_id, n);
        return;
    case CMD_RDID:
        if (miso)
            for (size_t i = 0; i < n; i++)
                miso[i] = pos + i < m->chip->id_len ? m->chip->id[pos + i] : 0xff;
        return;
    case CMD_RDSFDP:
        if (miso)
            for (size_t i = 0; i < n; i++)
                miso[i] = m->addr + i < SFDP_LEN ? m->sfdp[m->addr + i] : 0xff;
        m->addr += n;
        return;
    case CMD_PP: {
        /* [W128] bytes past the end of the page wrap to its start and overwrite what was
         * sent before, so of more than a page the last page_size bytes stay: a ring. */
        uint32_t mask = m->page_size - 1;
        uint64_t col = (m->addr & mask) + pos;
        for (size_t i = 0; i < n; i++)
            m->page_buf[(col + i) & mask] = mosi ? mosi[i] : 0xff;
        fill(miso, 0xff, n);
        return;
    }
    case CMD_WRSR:
        for (size_t i = 0; i < n && pos + i < 2; i++)
            m->wrsr_in[pos + i] = mosi ? mosi[i] : 0xff;
        fill(miso, 0xff, n);
        return;
    default:
        fill(miso, 0xff, n);
        return;
    }
}

static void nor_select(struct cd_spi_model *base)
{
    struct nor_model *m = (struct nor_model *)base;
    /* A select without deselect (CS# glitch) abandons the previous transaction. */
    m->selected = true;
    m->phase = PH_OPCODE;
    m->cmd = CMD_NONE;
}

static void nor_xfer(struct cd_spi_model *base, const uint8_t *mosi, uint8_t *miso, size_t n)
{
    struct nor_model *m = (struct nor_model *)base;

    if (!m->selected) {
        fill(miso, 0xff, n); /* CS# high: the chip ignores the clock */
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

static void nor_deselect(struct cd_spi_model *base)
{
    struct nor_model *m = (struct nor_model *)base;
    if (!m->selected)
        return;
    m->selected = false;

    /* exact: CS# rose right after the last opcode/address byte (no extra bytes) */
    bool in_data = m->phase == PH_DATA;
    bool exact = in_data && m->data_count == 0;
    switch (m->cmd) {
    case CMD_WREN:
        if (exact)
            m->wel = true;
        break;
    case CMD_WRDI:
        if (exact)
            m->wel = false;
        break;
    case CMD_EN4B:
        if (exact)
            m->addr4 = true;
        break;
    case CMD_EX4B:
        if (exact)
            m->addr4 = false;
        break;
    case CMD_RSTEN:
        if (exact)
            m->rst_armed = true;
        break;
    case CMD_RST:
        if (exact)
            do_reset(m);
        break;
    case CMD_WRSR:
        if (in_data && (m->data_count == 1 || m->data_count == 2))
            do_wrsr(m);
        break;
    case CMD_PP:
        if (in_data && m->data_count >= 1)
            do_program(m);
        break;
    case CMD_ERASE:
        if (exact)
            do_erase(m);
        break;
    case CMD_CE:
        if (exact)
            do_chip_erase(m);
        break;
    default:
        break;
    }
    m->cmd = CMD_NONE;
    m->phase = PH_IDLE;
}

static void nor_advance_ns(struct cd_spi_model *base, uint64_t ns)
{
    struct nor_model *m = (struct nor_model *)base;
    m->now_ns = ns > UINT64_MAX - m->now_ns ? UINT64_MAX : m->now_ns + ns;
    if (m->busy != BUSY_NONE && m->now_ns >= m->busy_until_ns)
        finish_busy(m);
}

static void nor_destroy(struct cd_spi_model *base)
{
    struct nor_model *m = (struct nor_model *)base;
    if (!m)
        return;
    finish_busy(m);
    free(m->page_buf);
    free(m);
}

static const struct cd_spi_model_ops nor_ops = {
    .select = nor_select,
    .xfer = nor_xfer,
    .deselect = nor_deselect,
    .advance_ns = nor_advance_ns,
    .destroy = nor_destroy,
};

static bool row_ok(const struct cd_chip *c)
{
    if (c->type != CD_CHIP_NOR || c->size == 0 || c->size > (1ull << 32))
        return false;
    if (!is_pow2(c->page_size) || c->page_size > c->size || c->size % c->page_size)
        return false;
    if (c->id_len > CD_MAX_ID_LEN || c->nerase > CD_MAX_ERASE_TYPES)
        return false;
    for (unsigned i = 0; i < c->nerase; i++) {
        uint32_t s = c->erase[i].size;
        if (!is_pow2(s) || s > c->size || c->size % s)
            return false;
    }
    return c->bp_bits == 0 || (c->bp_bits >= 2 && c->bp_bits <= 4);
}

struct cd_spi_model *cd_nor_model_new(const struct cd_chip *chip, uint8_t *array,
                                      uint8_t sr1_initial)
{
    if (!chip || !array || !row_ok(chip))
        return NULL;
    struct nor_model *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->page_buf = malloc(chip->page_size);
    if (!m->page_buf) {
        free(m);
        return NULL;
    }
    m->base.ops = &nor_ops;
    m->chip = chip;
    m->array = array;
    m->size = chip->size;
    m->page_size = chip->page_size;

    m->sr1_rw = (uint8_t)((((1u << chip->bp_bits) - 1) << SR1_BP_SHIFT) | SR1_SRP);
    if (chip->bp_bits == 3 && chip->has_tb)
        m->sr1_rw |= SR1_TB;
    m->sr1 = sr1_initial & m->sr1_rw;
    m->addr4 = (chip->addr4 & CD_ADDR4_ONLY) != 0;
    /* RES device ID: one less than the RDID capacity byte on W25Q (EF4018 -> 17h) [W128] and
     * MX25L (C22019 -> 18h) [MX] parts. */
    m->res_id = chip->id_len >= 3 ? (uint8_t)(chip->id[2] - 1) : 0xff;
    m->phase = PH_IDLE;
    cd_nor_model_sfdp(chip, m->sfdp, sizeof(m->sfdp));
    return &m->base;
}

void cd_nor_model_get_stats(const struct cd_spi_model *base, struct cd_nor_model_stats *st)
{
    if (!st)
        return;
    if (!base || base->ops != &nor_ops) {
        memset(st, 0, sizeof(*st));
        return;
    }
    *st = ((const struct nor_model *)base)->st;
}
