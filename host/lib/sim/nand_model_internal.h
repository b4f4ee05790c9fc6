/*
 * The SPI-NAND model's state, shared by the command model (nand_model.c) and its construction
 * and test knobs (nand_model_setup.c). Sources and model choices: nand_model.c.
 */
#ifndef CHIPDUMP_NAND_MODEL_INTERNAL_H
#define CHIPDUMP_NAND_MODEL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "chipdump/error.h"
#include "chipdump/sim.h"

/* Opcodes [LX spinand.h] */
#define OP_RESET         0xff
#define OP_READ_ID       0x9f
#define OP_GET_FEATURE   0x0f
#define OP_SET_FEATURE   0x1f
#define OP_WREN          0x06
#define OP_WRDI          0x04
#define OP_PAGE_READ     0x13
#define OP_READ_CACHE    0x03
#define OP_READ_CACHE_FT 0x0b
#define OP_PROG_LOAD     0x02
#define OP_PROG_LOAD_RND 0x84
#define OP_PROG_EXEC     0x10
#define OP_BLOCK_ERASE   0xd8
#define OP_DIE_SELECT    0xc2 /* Winbond W25M */
#define OP_MX_ECCSR      0x7c /* Macronix GET ECC STATUS */

/* Feature registers [LX] */
#define REG_LOCK   0xa0
#define REG_CFG    0xb0
#define REG_STATUS 0xc0
#define REG_DIE    0xd0 /* Micron die select, bit 6 */
#define REG_MBF    0x30 /* Winbond-KV / Kioxia: bits 7:4 = most bitflips in a step */
#define REG_GD_SR2 0xf0 /* GigaDevice STATUS2: bits 5:4 finer count */

#define CFG_OTP_EN 0x40
#define CFG_ECC_EN 0x10
#define CFG_BUF    0x08
#define CFG_CR     0x01 /* Micron M70A continuous read; QE on other vendors */
#define CFG_RW     (CFG_OTP_EN | CFG_ECC_EN | CFG_BUF | CFG_CR)

#define LOCK_BP_MASK 0x78 /* BP3..BP0 (Winbond) / BP2..BP0 (common) */
#define LOCK_POWERUP 0x38

#define SR_OIP    0x01
#define SR_WEL    0x02
#define SR_E_FAIL 0x04
#define SR_P_FAIL 0x08

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define T_RST_NS  (5 * NS_PER_US)

#define MAX_DIES 4

enum cmd {
    C_NONE,
    C_RESET,
    C_READ_ID,
    C_GET_FEATURE,
    C_SET_FEATURE,
    C_WREN,
    C_WRDI,
    C_PAGE_READ,
    C_READ_CACHE,
    C_PROG_LOAD,
    C_PROG_LOAD_RND,
    C_PROG_EXEC,
    C_BLOCK_ERASE,
    C_DIE_SELECT,
    C_MX_ECCSR,
};

enum phase { PH_IDLE, PH_OPCODE, PH_ADDR, PH_DUMMY, PH_DATA };
enum busy_op { BUSY_NONE, BUSY_READ, BUSY_PROGRAM, BUSY_ERASE, BUSY_RESET };

/* page state, lazily known */
enum { PG_UNKNOWN = 0, PG_ERASED = 1, PG_PROGRAMMED = 2 };
#define PG_ECC_BROKEN 0x10

enum ecc_scheme {
    ECC_GENERIC,
    ECC_WINBOND_KV,
    ECC_GD_XA,
    ECC_GD_UEXXG,
    ECC_GD_Q5,
    ECC_GD_UFUC,
    ECC_MX_7C,
    ECC_MICRON,
    ECC_KIOXIA,
    ECC_XTX_A,
    ECC_XTX_D,
    ECC_DOSILICON_GB,
    ECC_FORESEE,
};

struct die {
    uint8_t lock, cfg;
    bool wel;
    uint8_t op_bits;            /* status bits 7:2 from the last array operation */
    uint8_t mbf, gd_sr2, eccsr; /* vendor ECC registers after the last PAGE READ */
    uint8_t *cache[2];          /* one per plane */
    int64_t cache_page[2];      /* chip-wide page in each cache, -1 = none / OTP */
    unsigned read_plane;        /* plane of the last PAGE READ */
    unsigned load_plane;        /* plane the last PROGRAM LOAD named */
    enum busy_op busy;
    uint64_t busy_until_ns;
    uint32_t busy_row; /* die-local row of the operation */
};

struct flip {
    uint32_t page;
    unsigned step, count;
};

struct nand_model {
    struct cd_spi_model base;
    const struct cd_chip *chip;
    uint8_t *array;
    uint32_t page, oob, raw;                        /* raw = page + oob */
    uint32_t ppb, ppb_shift, pages_per_die, blocks; /* blocks: chip-wide */
    unsigned plane_shift;                           /* column bit of the plane: fls(page) */
    unsigned steps;                                 /* ECC steps per page */
    enum ecc_scheme ecc;
    struct die die[MAX_DIES];
    unsigned cur; /* selected die */

    uint8_t *pg_state; /* per chip-wide page */
    uint8_t *factory_bad;
    struct flip *flips;
    size_t nflips;
    uint32_t *pfail, *efail; /* chip-wide blocks */
    size_t npfail, nefail;

    uint64_t now_ns;
    /* the transaction under CS# */
    bool selected;
    enum phase phase;
    enum cmd cmd;
    unsigned addr_len, addr_got, dummy;
    uint32_t addr;
    uint64_t data_count;
    uint8_t in_byte; /* first data byte (SET FEATURE, DIE SELECT) */
    unsigned plane;  /* cache of the current cache command */
    uint32_t col;    /* running column */
    bool stream;     /* continuous-read stream */
    int64_t stream_page;
    bool have_last_read;
    uint64_t last_read_off;

    struct cd_nand_model_stats st;
};

static inline unsigned log2_u32(uint32_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

static inline bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

static inline struct die *cur_die(struct nand_model *m)
{
    return &m->die[m->cur];
}

static inline uint8_t *raw_page(struct nand_model *m, uint64_t chip_page)
{
    return m->array + chip_page * m->raw;
}

extern const struct cd_spi_model_ops cd_nand_model_ops;
void cd_nand_model_destroy(struct cd_spi_model *base);

#endif
