/* libchipdump: the programmer interface every chip driver is written against. */
#ifndef CHIPDUMP_PROGRAMMER_H
#define CHIPDUMP_PROGRAMMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdb.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cd_data_dir { CD_DATA_NONE = 0, CD_DATA_IN = 1, CD_DATA_OUT = 2 };

/*
 * One SPI transaction under one chip select, as a value (after Linux spi_mem_op):
 * opcode, then addr_len address bytes (MSB first), then dummy_len dummy bytes (sent as
 * 0xFF), then data_len bytes in direction dir. All single-line (1-1-1).
 */
struct cd_op {
    uint8_t cmd;
    uint8_t addr_len; /* 0..4 bytes */
    uint32_t addr;
    uint8_t dummy_len; /* bytes */
    enum cd_data_dir dir;
    uint32_t data_len;
    union {
        void *in;
        const void *out;
    } data;
};

#define CD_OP_CMD(c) ((struct cd_op){.cmd = (c)})
#define CD_OP_IN(c, n, buf)                                                                        \
    ((struct cd_op){.cmd = (c), .dir = CD_DATA_IN, .data_len = (n), .data.in = (buf)})
#define CD_OP_OUT(c, n, buf)                                                                       \
    ((struct cd_op){.cmd = (c), .dir = CD_DATA_OUT, .data_len = (n), .data.out = (buf)})

/** A run of SPI-NAND pages for cd_programmer_ops.nand_read_pages (one die, ECC_EN preset). */
struct cd_nand_pages {
    uint32_t row, count;   /* first die-local row (page address) and number of pages */
    uint32_t column, len;  /* READ FROM CACHE column and bytes per page */
    uint8_t cache_op;      /* READ FROM CACHE opcode (03h) */
    uint8_t addr_len;      /* column address bytes (2, or 3 with the dummy byte first) */
    uint8_t dummy_len;     /* dummy bytes after the column */
    uint8_t plane_row_bit; /* plane = (row >> this) & 1; 0xFF = single plane */
    uint8_t plane_col_bit; /* ... ORed into the column at this bit */
    uint32_t timeout_us;   /* PAGE READ busy limit per page */
    uint8_t *buf;          /* count * len bytes */
    uint8_t *status;       /* count bytes: C0h after each PAGE READ */
};

struct cd_programmer;
struct cd_flash;
struct cd_probe;

struct cd_programmer_ops {
    const char *name;
    /** Execute one transaction. Returns CD_OK or a negative cd_err. NULL with open_flash. */
    int (*exec_op)(struct cd_programmer *p, const struct cd_op *op);
    /** Wait (the chip is busy). NULL = host sleep. Simulated programmers advance model time. */
    int (*delay_us)(struct cd_programmer *p, uint32_t us);
    /**
     * Optional bulk: read len bytes of NOR array with read opcode cmd (03h/0Bh/13h/0Ch),
     * addr_len-byte addresses and dummy bytes, splitting as the programmer likes.
     * NULL = the driver issues exec_op calls of at most max_read bytes.
     */
    int (*nor_read)(struct cd_programmer *p, uint8_t cmd, uint8_t addr_len, uint8_t dummy_len,
                    uint32_t addr, void *buf, uint32_t len);
    /**
     * Optional bulk SPI-NAND read: for each page of rq, PAGE READ (13h), wait OIP clear, store
     * GET FEATURE C0h in rq->status[i], READ FROM CACHE rq->len bytes into rq->buf + i * len;
     * *done = pages finished; CD_E_TIMEOUT if a page stays busy, CD_E_UNSUPPORTED (*done 0)
     * when rq is beyond what it can express. NULL = the driver uses exec_op.
     */
    int (*nand_read_pages)(struct cd_programmer *p, const struct cd_nand_pages *rq, uint32_t *done);
    /**
     * Optional, for programmers that drive chips themselves (libflashrom) and have no exec_op:
     * probe, reconcile with the chip the user named (`named`, the --chip row, or `name`, a
     * --chip text only the programmer knows; both NULL without --chip), fill *probe and open
     * *out. Returns CD_E_AMBIGUOUS_CHIP (detail lists the choices) when several chips answer
     * and nothing was named, CD_E_ID_MISMATCH when the chip is not the one named.
     */
    int (*open_flash)(struct cd_programmer *p, const struct cd_chipdb *db,
                      const struct cd_chip *named, const char *name, struct cd_flash **out,
                      struct cd_probe *probe);
    /** Release everything; p itself is freed by cd_programmer_close. */
    void (*close)(struct cd_programmer *p);
};

struct cd_programmer {
    const struct cd_programmer_ops *ops;
    uint32_t max_read;  /* data bytes per exec_op IN, 0 = unlimited */
    uint32_t max_write; /* data bytes per exec_op OUT, 0 = unlimited */
    char *description;  /* e.g. "sim (W25Q128JV, image=x.bin)" for manifests */
    char *kind;         /* "sim", "ch341a", ... */
    /** Chip the programmer itself emulates, if any (sim): lets --chip be optional. */
    const struct cd_chip *emulated_chip;
    void *priv;
};

/**
 * Open a programmer from a -p SPEC string ("sim", "sim:chip=W25Q128,image=x.bin").
 * chip_hint is the --chip name (NULL if none): the sim programmer emulates it when the spec
 * names no chip. db resolves chip names. On error *out is NULL and detail says why.
 */
int cd_programmer_open(const char *spec, const struct cd_chipdb *db, const char *chip_hint,
                       struct cd_programmer **out);

void cd_programmer_close(struct cd_programmer *p);

/** Execute one op (thin wrapper that also writes the CHIPDUMP_TRACE line). */
int cd_exec(struct cd_programmer *p, const struct cd_op *op);
int cd_delay_us(struct cd_programmer *p, uint32_t us);

/**
 * True when the programmer of this -p SPEC knows a chip called name by itself (flashrom's
 * chip names), so --chip may name a chip the database lacks. Touches no device.
 */
bool cd_programmer_knows_chip(const char *spec, const char *name);

/**
 * Where programmers with a log of their own (libflashrom) send it: one line per call, without
 * the newline; level 0 error, 1 warning, 2 info, 3 debug, 4+ more detail. Lines above
 * max_level are dropped unformatted (libflashrom's most detailed level logs every byte).
 * NULL drops everything.
 */
typedef void (*cd_log_fn)(void *user, int level, const char *line);
void cd_set_log(cd_log_fn fn, void *user, int max_level);

/** Names of programmer kinds for --help. */
extern const char *const cd_programmer_kinds[];

#ifdef __cplusplus
}
#endif
#endif
