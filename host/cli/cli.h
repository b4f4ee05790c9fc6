/*
 * The chipdump CLI: shared state and helpers. Only include/chipdump/ headers are used.
 *
 * Adding a command:
 *   1. write host/cli/cmd_NAME.c with `int cmd_NAME(struct cli *cli)` returning an exit status;
 *   2. declare it below and add a row to the table in main.c (name, function, usage line);
 *   3. document it in README.md and docs/, and add a test under tests/cli/.
 */
#ifndef CHIPDUMP_CLI_H
#define CHIPDUMP_CLI_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "chipdump/chipdump.h"
#include "chipdump/nand.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli {
    /* options */
    const char *programmer;
    const char *chip_name;
    const char *range;
    const char *backup_path;
    const char *chipdb_paths[16];
    unsigned nchipdb;
    unsigned reads;
    int verbosity; /* -1 quiet, 0 normal, 1+ verbose */
    bool json, force, progress, no_backup, no_verify;
    bool needs_erase; /* set by write/erase: the erase geometry must be certain */
    bool against_flashrom; /* chips check --against-flashrom */
    /* SPI-NAND: --oob, --skip-bad, --ignore-ecc, --raw, --bad-blocks; oob strip geometry */
    bool oob, skip_bad, ignore_ecc, raw;
    const char *bad_blocks, *page_size, *oob_size;
    /* partitions (split, read/write/erase --partition): the table's sources */
    const char *mtd_table, *dmesg, *mtdparts, *flash_size, *output_dir, *partition;
    bool guess; /* use offsets the sources leave uncertain */
    const char *command; /* the command being run ("read", "split"...) */

    /* positional arguments after the command */
    int argc;
    char **argv;

    /* opened on demand */
    struct cd_chipdb *db;
    struct cd_programmer *prog;
    struct cd_probe probe;
    const struct cd_chip *chip;
    struct cd_flash *flash;
    struct cd_nand *nand; /* instead of flash when the chip is SPI-NAND */
    struct cd_nand_probe nand_probe;
};

/* Set by SIGINT; long jobs stop at the next progress callback. */
extern volatile sig_atomic_t cli_interrupted;

/** Print "chipdump: what: strerror (detail)" and return the exit status for err. */
int cli_error(int err, const char *what);
/** Exit status for a library error code. */
int cli_status(int err);
void cli_info(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_verbose(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Open the programmer, probe the chip, reconcile with --chip and open the flash driver. */
int cli_open_device(struct cli *cli);
/** Range from --range or the whole chip. */
int cli_range(struct cli *cli, struct cd_range *r);
/**
 * cmd_split.c: --partition NAME. cli_partition_check() parses the table sources and finds
 * NAME before any device is opened; cli_partition_resolve() lays the table out on the
 * opened chip and turns the partition into --range (so NOR and NAND paths both use it).
 */
int cli_partition_check(struct cli *cli);
int cli_partition_resolve(struct cli *cli);

/** "16 MiB" / "4 KiB" / "123 bytes" into buf. */
const char *cli_human_size(uint64_t n, char *buf, size_t bufsz);

/* progress display on stderr (a terminal only, unless forced off) */
struct cli_progress {
    const struct cli *cli;
    const char *label;
    double start, last;
    bool shown;
};
void cli_progress_init(struct cli_progress *pr, const struct cli *cli, const char *label);
int cli_progress_cb(void *user, uint64_t done, uint64_t total);
void cli_progress_done(struct cli_progress *pr);

int cmd_chips(struct cli *cli);
int cmd_probe(struct cli *cli);
int cmd_read(struct cli *cli);
int cmd_write(struct cli *cli);
int cmd_verify(struct cli *cli);
int cmd_erase(struct cli *cli);
int cmd_oob(struct cli *cli);
int cmd_split(struct cli *cli);

/*
 * cmd_nand.c, the SPI-NAND side of the device commands. cli_nand_probe() runs inside
 * cli_open_device() after the NOR probe (nor_result): it probes NAND in every READ ID form when
 * the chip is not a known NOR chip and opens cli->nand; -1 means "go on with NOR".
 */
int cli_nand_probe(struct cli *cli, const struct cd_chip *named, int nor_result);
int cli_nand_read(struct cli *cli, const char *path, struct cd_outfile **out);
int cli_nand_write(struct cli *cli, const char *path, const uint8_t *data, size_t len);
int cli_nand_verify(struct cli *cli, const char *path, const uint8_t *data, size_t len);
int cli_nand_erase(struct cli *cli);

#endif
