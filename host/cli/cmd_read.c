/* chipdump read OUT: read the chip (or --range) into OUT, atomically, plus OUT.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "manifest.h"

int cmd_read(struct cli *cli)
{
    if (cli->argc != 1) {
        fprintf(stderr, "usage: chipdump read OUT\n");
        return EXIT_USAGE;
    }
    const char *path = cli->argv[0];
    struct cd_outfile *out = NULL;
    uint8_t *buf = NULL;
    struct cd_read_result res = {0};
    int r, st;

    /* Before touching the device: the output must be creatable (and not clobber a file). */
    if ((r = cd_outfile_open(path, cli->force, &out)))
        return cli_error(r, path);
    if ((st = cli_open_device(cli)))
        goto fail;
    if (cli->nand) {
        st = cli_nand_read(cli, path, &out);
        goto fail;
    }
    struct cd_range range;
    if ((st = cli_range(cli, &range)))
        goto fail;
    buf = malloc(range.len);
    if (!buf) {
        st = cli_error(CD_E_NOMEM, "read");
        goto fail;
    }

    struct cli_progress pr;
    cli_progress_init(&pr, cli, "read");
    struct cd_read_opts opts = {
        .reads = cli->reads, .progress = cli_progress_cb, .progress_user = &pr};
    r = cd_read_range(cli->flash, range, buf, &opts, &res);
    cli_progress_done(&pr);
    if (r && r != CD_E_UNSTABLE) {
        st = cli_error(r, "read");
        goto fail;
    }
    int unstable = r;
    if ((r = cd_outfile_write(out, buf, range.len)) || (r = cd_outfile_commit(out))) {
        out = NULL; /* commit frees on failure */
        st = cli_error(r, path);
        goto fail;
    }
    out = NULL;

    if ((st = cli_write_manifest(cli, path, range, buf, &res, NULL)))
        goto fail;
    if (unstable) {
        fprintf(stderr,
                "chipdump: %zu block(s) read differently every time; %s holds the last "
                "read, %s.json lists them\n",
                res.nunresolved, path, path);
        st = EXIT_FAIL;
    } else {
        char sz[32];
        cli_info(cli, "read %s from %s into %s\n", cli_human_size(range.len, sz, sizeof(sz)),
                 cli->chip->name, path);
    }
fail:
    cd_outfile_abort(out);
    free(res.unstable);
    free(buf);
    return st;
}
