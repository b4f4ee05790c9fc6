/* chipdump write IN | verify IN | erase */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "manifest.h"

/* Load IN and check it against the range before anything touches the chip. */
static int load_image(struct cli *cli, const char *path, struct cd_range *range, uint8_t **data,
                      size_t *lenp)
{
    size_t len;
    int r = cd_read_file(path, data, &len);
    if (r)
        return cli_error(r, path);
    *lenp = len;
    int st = cli_open_device(cli);
    if (!st && cli->nand)
        return EXIT_OK; /* cmd_nand.c checks the size against the NAND layouts */
    if (!st)
        st = cli_range(cli, range);
    if (st)
        return st;
    if (len != range->len) {
        char a[32], b[32];
        fprintf(stderr,
                "chipdump: %s is %zu bytes (%s) but %s %s is %llu bytes (%s); chip untouched\n",
                path, len, cli_human_size(len, a, sizeof(a)), cli->chip->name,
                cli->range ? "--range" : "holds", (unsigned long long)range->len,
                cli_human_size(range->len, b, sizeof(b)));
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int save_backup(struct cli *cli, struct cd_range range, const uint8_t *current)
{
    char path[4096];
    if (cli->backup_path) {
        snprintf(path, sizeof(path), "%s", cli->backup_path);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(path, sizeof(path), "%s-backup-%04d%02d%02d-%02d%02d%02d.bin", cli->chip->name,
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    int r = cd_write_file_atomic(path, current, range.len, false);
    if (r)
        return cli_error(r, "backup (nothing was written to the chip)");
    bool json = cli->json;
    cli->json = false; /* the write summary, not the backup's manifest, goes to stdout */
    int st = cli_write_manifest(cli, path, range, current, NULL, "backup");
    cli->json = json;
    if (!st)
        cli_info(cli, "saved the current contents to %s\n", path);
    return st;
}

int cmd_write(struct cli *cli)
{
    if (cli->argc != 1) {
        fprintf(stderr, "usage: chipdump write IN\n");
        return EXIT_USAGE;
    }
    cli->needs_erase = true;
    struct cd_range range;
    uint8_t *data = NULL, *current = NULL;
    size_t len = 0;
    int st = load_image(cli, cli->argv[0], &range, &data, &len);
    if (st)
        goto out;
    if (cli->nand) {
        st = cli_nand_write(cli, cli->argv[0], data, len);
        goto out;
    }
    current = malloc(range.len);
    if (!current) {
        st = cli_error(CD_E_NOMEM, "write");
        goto out;
    }
    struct cli_progress pr;
    cli_progress_init(&pr, cli, "read ");
    struct cd_read_opts ro = {.reads = 1, .progress = cli_progress_cb, .progress_user = &pr};
    int r = cd_read_range(cli->flash, range, current, &ro, NULL);
    cli_progress_done(&pr);
    if (r) {
        st = cli_error(r, "reading the current contents");
        goto out;
    }
    if (!cli->no_backup && (st = save_backup(cli, range, current)))
        goto out;

    cli_progress_init(&pr, cli, "write");
    struct cd_write_opts wo = {
        .verify = !cli->no_verify, .progress = cli_progress_cb, .progress_user = &pr};
    struct cd_write_stats ws;
    r = cd_write_range(cli->flash, range, data, current, &wo, &ws);
    cli_progress_done(&pr);
    if (r) {
        st = cli_error(r, "write");
        goto out;
    }
    if (cli->json) {
        printf("{\"chip\": \"%s\", \"offset\": %llu, \"length\": %llu, \"blocks\": %llu, "
               "\"blocks_erased\": %llu, \"pages_programmed\": %llu, \"verified\": %s}\n",
               cli->chip->name, (unsigned long long)range.off, (unsigned long long)range.len,
               (unsigned long long)ws.blocks_total, (unsigned long long)ws.blocks_erased,
               (unsigned long long)ws.pages_programmed, wo.verify ? "true" : "false");
    }
    cli_info(cli, "wrote %s: %llu of %llu erase blocks changed, %llu pages programmed%s\n",
             cli->chip->name, (unsigned long long)ws.blocks_erased,
             (unsigned long long)ws.blocks_total, (unsigned long long)ws.pages_programmed,
             wo.verify ? ", verified" : " (not verified)");
out:
    free(current);
    free(data);
    return st;
}

int cmd_verify(struct cli *cli)
{
    if (cli->argc != 1) {
        fprintf(stderr, "usage: chipdump verify IN\n");
        return EXIT_USAGE;
    }
    struct cd_range range;
    uint8_t *data = NULL;
    size_t len = 0;
    int st = load_image(cli, cli->argv[0], &range, &data, &len);
    if (!st && cli->nand)
        st = cli_nand_verify(cli, cli->argv[0], data, len);
    else if (!st) {
        struct cli_progress pr;
        cli_progress_init(&pr, cli, "verify");
        int r = cd_verify_range(cli->flash, range, data, cli_progress_cb, &pr, NULL);
        cli_progress_done(&pr);
        if (r)
            st = cli_error(r, "verify");
        else
            cli_info(cli, "verified: %s matches %s\n", cli->chip->name, cli->argv[0]);
    }
    free(data);
    return st;
}

int cmd_erase(struct cli *cli)
{
    if (cli->argc) {
        fprintf(stderr, "usage: chipdump erase\n");
        return EXIT_USAGE;
    }
    cli->needs_erase = true;
    int st = cli_open_device(cli);
    struct cd_range range;
    if (!st && cli->nand)
        return cli_nand_erase(cli);
    if (st || (st = cli_range(cli, &range)))
        return st;
    struct cli_progress pr;
    cli_progress_init(&pr, cli, "erase");
    int r = cd_erase_range(cli->flash, range, cli_progress_cb, &pr);
    cli_progress_done(&pr);
    if (r)
        return cli_error(r, "erase");
    char sz[32];
    cli_info(cli, "erased %s of %s\n", cli_human_size(range.len, sz, sizeof(sz)), cli->chip->name);
    return EXIT_OK;
}
