#ifndef CHIPDUMP_CLI_MANIFEST_H
#define CHIPDUMP_CLI_MANIFEST_H
#include "cli.h"

/**
 * Write PATH.json describing the data just written to PATH (range of the chip, read
 * result), and print it on stdout with --json. Returns an exit status.
 */
int cli_write_manifest(struct cli *cli, const char *path, struct cd_range range,
                       const uint8_t *data, const struct cd_read_result *res, const char *purpose);
#endif
