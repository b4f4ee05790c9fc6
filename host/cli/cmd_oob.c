/*
 * chipdump oob strip RAW OUT: a page+OOB dump (nanddump -o, `read --oob`, a programmer's raw
 * dump) -> the data-only image, with the bad blocks its markers show. Geometry from --chip,
 * from --page-size/--oob-size, or from the file size when exactly one geometry of the chip
 * database fits. No device is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct geom {
    uint32_t page, oob, ppb;
    const struct cd_chip *chip; /* the row it came from, if one */
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("chipdump: oob strip: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* Distinct geometries of the database's NAND rows whose whole-chip page+OOB dump is size. */
static int guess_geometry(const struct cli *cli, uint64_t size, struct geom *g)
{
    struct geom cand[32];
    char names[32][96];
    size_t n = 0;
    for (size_t i = 0; i < cd_chipdb_count(cli->db); i++) {
        const struct cd_chip *c = cd_chipdb_get(cli->db, i);
        if (c->type != CD_CHIP_NAND || cd_nand_raw_size(c) != size)
            continue;
        size_t k = 0;
        while (k < n && !(cand[k].page == c->page_size && cand[k].oob == c->oob_size &&
                          cand[k].ppb == c->pages_per_block))
            k++;
        if (k == n) {
            if (n == sizeof(cand) / sizeof(cand[0]))
                continue;
            cand[n] = (struct geom){c->page_size, c->oob_size, c->pages_per_block, c};
            names[n][0] = '\0';
            n++;
        }
        size_t used = strlen(names[k]);
        if (used < sizeof(names[k]) - 24)
            snprintf(names[k] + used, sizeof(names[k]) - used, "%s%s", used ? ", " : "", c->name);
        else if (!strstr(names[k], "..."))
            snprintf(names[k] + used, sizeof(names[k]) - used, ", ...");
    }
    if (n == 1) {
        *g = cand[0];
        g->chip = NULL; /* the geometry, not a particular chip */
        cli_info(cli,
                 "geometry from the file size: %u + %u OOB bytes per page, %u pages per block "
                 "(%s)\n",
                 g->page, g->oob, g->ppb, names[0]);
        return EXIT_OK;
    }
    if (n == 0)
        return usage_error("no SPI-NAND in the chip database has a %llu-byte page+OOB dump; name "
                           "the chip with --chip or give --page-size and --oob-size",
                           (unsigned long long)size);
    fprintf(stderr,
            "chipdump: oob strip: a %llu-byte page+OOB dump fits %zu geometries; name the chip "
            "with --chip or give --page-size and --oob-size:\n",
            (unsigned long long)size, n);
    for (size_t k = 0; k < n; k++)
        fprintf(stderr, "  %u + %u OOB, %u pages/block: %s\n", cand[k].page, cand[k].oob,
                cand[k].ppb, names[k]);
    return EXIT_USAGE;
}

static int geometry(struct cli *cli, uint64_t size, struct geom *g)
{
    int r;
    if (cli->chip_name) {
        const struct cd_chip *c;
        if ((r = cd_chipdb_find_name(cli->db, cli->chip_name, &c)))
            return cli_error(r, "--chip");
        if (c->type != CD_CHIP_NAND)
            return usage_error("%s is a SPI-NOR chip: NOR dumps have no OOB", c->name);
        *g = (struct geom){c->page_size, c->oob_size, c->pages_per_block, c};
        return EXIT_OK;
    }
    if (!cli->page_size != !cli->oob_size)
        return usage_error("--page-size and --oob-size go together");
    if (!cli->page_size)
        return guess_geometry(cli, size, g);
    uint64_t page, oob;
    if ((r = cd_parse_size(cli->page_size, &page)))
        return cli_error(r, "--page-size");
    if ((r = cd_parse_size(cli->oob_size, &oob)))
        return cli_error(r, "--oob-size");
    if (page < 256 || page > (1u << 16) || (page & (page - 1)))
        return usage_error("--page-size %s: expected a power of two from 256 to 65536",
                           cli->page_size);
    if (oob == 0 || oob >= page)
        return usage_error("--oob-size %s: expected 1 to %llu bytes", cli->oob_size,
                           (unsigned long long)page - 1);
    *g = (struct geom){(uint32_t)page, (uint32_t)oob, 64, NULL};
    /* the pages per block of the rows with this page and OOB size, if they agree */
    uint32_t ppb = 0;
    bool agree = true;
    for (size_t i = 0; i < cd_chipdb_count(cli->db); i++) {
        const struct cd_chip *c = cd_chipdb_get(cli->db, i);
        if (c->type != CD_CHIP_NAND || c->page_size != page || c->oob_size != oob)
            continue;
        if (ppb && ppb != c->pages_per_block)
            agree = false;
        ppb = c->pages_per_block;
    }
    if (ppb && agree)
        g->ppb = ppb;
    cli_verbose(cli, "assuming %u pages per block (for the bad-block markers)\n", g->ppb);
    return EXIT_OK;
}

static int write_manifest(struct cli *cli, const char *path, const char *raw_path,
                          const struct geom *g, uint64_t pages, const char *sha, uint64_t len,
                          const uint32_t *bad, size_t nbad)
{
    char jpath[4200], src[4200], id[2 * CD_MAX_ID_LEN + 1] = "";
    int r;
    char *pathcopy = strdup(path);
    if (!pathcopy)
        return cli_error(CD_E_NOMEM, "manifest");
    if (g->chip)
        cd_chip_id_hex(g->chip, id, sizeof(id));
    snprintf(src, sizeof(src), "oob strip of %s", raw_path);
    uint32_t block = g->page * g->ppb;
    struct cd_manifest_nand mn = {
        .layout = "data",
        .oob_size = g->oob,
        .pages_per_block = g->ppb,
        .blocks = (uint32_t)((pages + g->ppb - 1) / g->ppb),
        .planes = g->chip ? g->chip->planes : 1,
        .dies = g->chip ? g->chip->dies : 1,
        .ecc = NULL,
        .ecc_strength = g->chip ? g->chip->ecc_strength : 0,
        .ecc_step = g->chip ? g->chip->ecc_step : 0,
        .bad_blocks_policy = cli->skip_bad ? "skipped" : "in place",
        .bad_blocks = bad,
        .nbad_blocks = nbad,
    };
    struct cd_manifest m = {
        .file = basename(pathcopy),
        .chip = g->chip ? g->chip->name : NULL,
        .vendor = g->chip ? g->chip->vendor : NULL,
        .type = "nand",
        .jedec_id = g->chip ? id : NULL,
        .chip_size = pages * g->page,
        .page_size = g->page,
        .erase_sizes = &block,
        .nerase_sizes = 1,
        .programmer = src,
        .offset = 0,
        .length = len,
        .sha256 = sha,
        .reads = 1,
        .nand = &mn,
    };
    snprintf(jpath, sizeof(jpath), "%s.json", path);
    r = cd_manifest_write(jpath, &m);
    if (!r && cli->json) {
        char *text = cd_manifest_json(&m);
        if (text)
            fputs(text, stdout);
        free(text);
    }
    free(pathcopy);
    return r ? cli_error(r, jpath) : EXIT_OK;
}

int cmd_oob(struct cli *cli)
{
    if (cli->argc != 3 || strcmp(cli->argv[0], "strip")) {
        fprintf(stderr, "usage: chipdump oob strip RAW OUT   (RAW: pages with their OOB, e.g. "
                        "`read --oob`; OUT: the data only)\n");
        return EXIT_USAGE;
    }
    const char *raw_path = cli->argv[1], *path = cli->argv[2];
    if (cli->oob || cli->raw || cli->ignore_ecc || cli->bad_blocks || cli->range)
        return usage_error("only --chip, --page-size/--oob-size, --skip-bad, --force and --json "
                           "apply");
    int fd = open(raw_path, O_RDONLY);
    if (fd < 0)
        return usage_error("%s: %s", raw_path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return usage_error("%s: not a regular file", raw_path);
    }
    uint64_t size = (uint64_t)st.st_size;
    struct geom g = {0};
    int status = size ? geometry(cli, size, &g) : usage_error("%s is empty", raw_path);
    if (status) {
        close(fd);
        return status;
    }
    uint64_t rp = (uint64_t)g.page + g.oob, pages = size / rp;
    if (size % rp) {
        close(fd);
        return usage_error("%s is %llu bytes = %llu x (%u + %u) + %llu: not a whole number of "
                           "%llu-byte pages (%u data + %u OOB)",
                           raw_path, (unsigned long long)size, (unsigned long long)pages, g.page,
                           g.oob, (unsigned long long)(size % rp), (unsigned long long)rp, g.page,
                           g.oob);
    }
    if (g.chip && size != cd_nand_raw_size(g.chip))
        cli_info(cli, "note: %s holds %llu pages; a whole %s holds %llu\n", raw_path,
                 (unsigned long long)pages, g.chip->name,
                 (unsigned long long)(cd_nand_raw_size(g.chip) / rp));

    struct cd_outfile *out = NULL;
    uint32_t *bad = NULL;
    size_t nbad = 0;
    uint64_t len = 0;
    char sha[65];
    int r = cd_outfile_open(path, cli->force, &out);
    if (r) {
        status = cli_error(r, path);
        goto done;
    }
    /* streamed in cache-sized chunks: read, compact, hash and write while the chunk is hot */
    if ((r = cd_nand_strip_oob_fd(fd, pages, g.page, g.oob, g.ppb, cli->skip_bad, out, sha, &len,
                                  &bad, &nbad))) {
        status = cli_error(r, raw_path);
        goto done;
    }
    r = cd_outfile_commit(out);
    out = NULL;
    if (r) {
        status = cli_error(r, path);
        goto done;
    }
    if ((status = write_manifest(cli, path, raw_path, &g, pages, sha, len, bad, nbad)))
        goto done;
    char sz[32];
    cli_info(cli, "%s: %llu pages of %u + %u bytes -> %s of data in %s\n", raw_path,
             (unsigned long long)pages, g.page, g.oob, cli_human_size(len, sz, sizeof(sz)), path);
    if (nbad) {
        cli_info(cli, "bad blocks (marker in OOB byte 0 or 1 of the first page), %s:",
                 cli->skip_bad ? "left out" : "kept in place");
        for (size_t i = 0; i < nbad; i++)
            cli_info(cli, " %u", bad[i]);
        cli_info(cli, "\n");
    } else {
        cli_info(cli, "no bad-block markers\n");
    }
done:
    cd_outfile_abort(out);
    close(fd);
    free(bad);
    return status;
}
