/* CLI helpers: messages, device opening with --chip reconciliation, sizes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_status(int err)
{
    if (err == CD_OK)
        return EXIT_OK;
    return cd_err_is_input(err) ? EXIT_USAGE : EXIT_FAIL;
}

int cli_error(int err, const char *what)
{
    const char *detail = cd_error_detail();
    if (detail[0])
        fprintf(stderr, "chipdump: %s: %s: %s\n", what, cd_strerror(err), detail);
    else
        fprintf(stderr, "chipdump: %s: %s\n", what, cd_strerror(err));
    return cli_status(err);
}

void cli_info(const struct cli *cli, const char *fmt, ...)
{
    if (cli->verbosity < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

void cli_verbose(const struct cli *cli, const char *fmt, ...)
{
    if (cli->verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

const char *cli_human_size(uint64_t n, char *buf, size_t bufsz)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB"};
    int u = 0;
    uint64_t v = n;
    while (u < 3 && v >= 1024 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    snprintf(buf, bufsz, "%llu %s", (unsigned long long)v, unit[u]);
    return buf;
}

static bool id_matches(const struct cd_chip *c, const struct cd_probe *p)
{
    return c->id_len <= p->id_len && !memcmp(c->id, p->id, c->id_len);
}

/* Same data layout: what a read or verify depends on (erase sizes are not). */
static bool same_data_geometry(const struct cd_chip *a, const struct cd_chip *b)
{
    return a->type == b->type && a->size == b->size && a->page_size == b->page_size &&
           a->oob_size == b->oob_size && a->pages_per_block == b->pages_per_block;
}

/* Of rows sharing an ID, the one from the vendor that owns the manufacturer byte (the vendor
 * most rows with that first ID byte name): a Winbond die is reported as Winbond. */
static const struct cd_chip *likeliest_vendor_row(const struct cli *cli)
{
    const struct cd_probe *p = &cli->probe;
    const struct cd_chip *best = p->matches[0];
    size_t best_votes = 0, n = cd_chipdb_count(cli->db);
    for (size_t i = 0; i < p->nmatches; i++) {
        size_t votes = 0;
        for (size_t k = 0; k < n; k++) {
            const struct cd_chip *row = cd_chipdb_get(cli->db, k);
            votes += row->id_len && row->id[0] == p->matches[i]->id[0] && row->vendor &&
                     p->matches[i]->vendor && !strcmp(row->vendor, p->matches[i]->vendor);
        }
        if (votes > best_votes) {
            best = p->matches[i];
            best_votes = votes;
        }
    }
    return best;
}

/*
 * An ID shared by rows of different geometry (Spansion S25FL016K is a Winbond die answering
 * EF 40 15 without W25Q16JV's 32 KiB erase): reading and verifying are safe with any of them,
 * writing and erasing need the user to say which part it is.
 */
static int check_id_matches(struct cli *cli, const char *found)
{
    const struct cd_probe *p = &cli->probe;
    bool data_same = true, all_same = true;
    for (size_t i = 1; i < p->nmatches; i++) {
        all_same &= cd_chip_same_geometry(p->matches[0], p->matches[i]);
        data_same &= same_data_geometry(p->matches[0], p->matches[i]);
    }
    if (all_same)
        return EXIT_OK;
    char names[256] = "";
    for (size_t i = 0, n = 0; i < p->nmatches && n < sizeof(names); i++)
        n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
                              p->matches[i]->name);
    if (data_same && !cli->needs_erase) {
        if (!cli->prog->ops->open_flash) /* a whole-flash backend keeps its own row */
            cli->chip = likeliest_vendor_row(cli);
        cli_info(cli,
                 "note: %s matches %s, which differ only in erase sizes; using %s (name the "
                 "chip with --chip before writing or erasing)\n",
                 found, names, cli->chip->name);
        return EXIT_OK;
    }
    fprintf(stderr,
            "chipdump: %s matches chips of different geometry (%s); name the chip "
            "with --chip\n",
            found, names);
    return EXIT_USAGE;
}

/* A programmer's own log (libflashrom's): -v shows errors, warnings and information, -vv
 * debug output, -vvv everything. */
static void log_line(void *user, int level, const char *line)
{
    const struct cli *cli = user;
    (void)level; /* cd_set_log filters by level */
    fprintf(stderr, "%.*s: %s\n", (int)strcspn(cli->programmer, ":"), cli->programmer, line);
}

/* Programmers that probe and drive the chip themselves (flashrom) open the flash whole. */
static int open_whole_flash(struct cli *cli, const struct cd_chip *named)
{
    struct cd_probe *p = &cli->probe;
    int r = cli->prog->ops->open_flash(cli->prog, cli->db, named, named ? NULL : cli->chip_name,
                                       &cli->flash, p);
    if (r)
        return cli_error(r, "probe");
    cli->chip = cli->flash->chip;
    cli_verbose(cli, "%s: %s\n", p->found_as, cli->chip->name);
    return named ? EXIT_OK : check_id_matches(cli, p->found_as);
}

static int open_device(struct cli *cli);

int cli_open_device(struct cli *cli)
{
    /* a bad table or partition name must not touch the device either */
    int st = cli->partition ? cli_partition_check(cli) : EXIT_OK;
    if (!st)
        st = open_device(cli);
    if (!st && cli->partition)
        st = cli_partition_resolve(cli);
    return st;
}

static int open_device(struct cli *cli)
{
    const struct cd_chip *named = NULL;
    int r;

    /* Resolve --chip first: a typo must not touch the device. */
    if (cli->chip_name && (r = cd_chipdb_find_name(cli->db, cli->chip_name, &named))) {
        /* a name only the programmer knows (flashrom's) goes to it as text */
        if (r != CD_E_UNKNOWN_CHIP || !cd_programmer_knows_chip(cli->programmer, cli->chip_name))
            return cli_error(r, "--chip");
        named = NULL;
    }
    if (!cli->programmer || !*cli->programmer) /* CHIPDUMP_PROGRAMMER= counts as unset */
        return cli_error(cd_fail(CD_E_ARG, "none given: use -p SPEC (-p ch341a for a CH341A "
                                           "board, -p rp2040, -p serprog:dev=PATH, or -p sim "
                                           "to try without hardware) or set "
                                           "CHIPDUMP_PROGRAMMER"),
                         "programmer");
    cd_set_log(log_line, cli, cli->verbosity >= 1 ? cli->verbosity + 1 : -1);
    if ((r = cd_programmer_open(cli->programmer, cli->db, cli->chip_name, &cli->prog)))
        return cli_error(r, cli->programmer);
    cli_verbose(cli, "programmer: %s\n", cli->prog->description);
    if (cli->prog->ops->open_flash)
        return open_whole_flash(cli, named);

    /* NOR first (9Fh), then SPI-NAND in every READ ID form unless a NOR chip answered. */
    r = named && named->type == CD_CHIP_NAND ? CD_E_UNKNOWN_CHIP
                                             : cd_nor_probe(cli->prog, cli->db, &cli->probe);
    int nand = cli_nand_probe(cli, named, r);
    if (nand >= 0)
        return nand;
    if (r && !(r == CD_E_UNKNOWN_CHIP && named && cli->force))
        return cli_error(r, "probe");
    const struct cd_probe *p = &cli->probe;
    char idbuf[3 * CD_MAX_ID_LEN + 1];
    snprintf(idbuf, sizeof(idbuf), "%02X %02X %02X", p->id[0], p->id[1], p->id[2]);

    if (named) {
        if (!id_matches(named, p)) {
            if (!cli->force) {
                char want[2 * CD_MAX_ID_LEN + 1];
                fprintf(stderr,
                        "chipdump: the chip answers ID %s (%s), but --chip names %s (%s); "
                        "use --force to go on with %s anyway\n",
                        idbuf, p->chip ? p->chip->name : "unknown", named->name,
                        cd_chip_id_hex(named, want, sizeof(want)), named->name);
                return EXIT_USAGE;
            }
            cli_info(cli, "warning: chip ID %s does not match %s; going on (--force)\n", idbuf,
                     named->name);
        }
        cli->chip = named;
    } else {
        cli->chip = p->chip;
        char what[64];
        snprintf(what, sizeof(what), "ID %s", idbuf);
        int st = check_id_matches(cli, what);
        if (st)
            return st;
    }
    if ((r = cd_nor_open(cli->prog, cli->chip, &cli->flash)))
        return cli_error(r, cli->chip->name);
    return EXIT_OK;
}

int cli_range(struct cli *cli, struct cd_range *out)
{
    if (!cli->range) {
        *out = (struct cd_range){0, cli->chip->size};
        return EXIT_OK;
    }
    int r = cd_parse_range(cli->range, cli->chip->size, out);
    return r ? cli_error(r, "--range") : EXIT_OK;
}
