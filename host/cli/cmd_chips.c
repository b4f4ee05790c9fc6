/* chipdump chips [PATTERN] | chips show NAME | chips check */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chipdump/flashrom.h"
#include "chipjson.h"
#include "cli.h"

static bool matches(const struct cd_chip *c, const char *pattern)
{
    if (!pattern)
        return true;
    if (strpbrk(pattern, "*?[")) {
        if (!fnmatch(pattern, c->name, FNM_CASEFOLD))
            return true;
        for (unsigned i = 0; i < c->naliases; i++)
            if (!fnmatch(pattern, c->aliases[i], FNM_CASEFOLD))
                return true;
        return false;
    }
    if (strcasestr(c->name, pattern) || (c->vendor && !strcasecmp(c->vendor, pattern)))
        return true;
    for (unsigned i = 0; i < c->naliases; i++)
        if (strcasestr(c->aliases[i], pattern))
            return true;
    return false;
}

static int list(struct cli *cli, const char *pattern)
{
    size_t n = cd_chipdb_count(cli->db), shown = 0;
    json_t *arr = cli->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const struct cd_chip *c = cd_chipdb_get(cli->db, i);
        if (!matches(c, pattern))
            continue;
        shown++;
        if (arr) {
            json_array_append_new(arr, chip_to_json(c));
            continue;
        }
        char id[2 * CD_MAX_ID_LEN + 1], sz[32];
        if (shown == 1)
            printf("%-20s %-12s %-4s %-12s %10s  %s\n", "NAME", "VENDOR", "TYPE", "ID", "SIZE",
                   "VOLTAGE");
        printf("%-20s %-12s %-4s %-12s %10s  %.2f-%.2f V\n", c->name, c->vendor,
               cd_chip_type_name(c->type), cd_chip_id_hex(c, id, sizeof(id)),
               cli_human_size(c->size, sz, sizeof(sz)), c->vmin_mv / 1000.0, c->vmax_mv / 1000.0);
    }
    if (arr) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    }
    if (!shown && pattern) {
        fprintf(stderr, "chipdump: no chip matches '%s'\n", pattern);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int show(struct cli *cli, const char *name)
{
    const struct cd_chip *c;
    int r = cd_chipdb_find_name(cli->db, name, &c);
    if (r)
        return cli_error(r, "chips show");
    if (cli->json) {
        json_t *o = chip_to_json(c);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        chip_print(stdout, c);
    }
    return EXIT_OK;
}

static void report(void *user, const struct cd_chip *c, const char *msg)
{
    (void)user;
    (void)c; /* the message already names file:line and the chip */
    fprintf(stderr, "%s\n", msg);
}

static void report_line(void *user, const char *msg)
{
    (void)user;
    fprintf(stderr, "%s\n", msg);
}

/* chips check --against-flashrom: sizes and coverage against libflashrom's chip list. */
static int check_flashrom(struct cli *cli)
{
    struct cd_flashrom_check_stats st;
    long problems = cd_flashrom_check(cli->db, NULL, NULL, report_line, NULL, &st);
    if (problems < 0)
        return cli_error((int)problems, "chips check --against-flashrom");
    if (problems) {
        fprintf(stderr, "chipdump: chips check --against-flashrom: %ld problem(s)\n", problems);
        return EXIT_USAGE;
    }
    if (cli->verbosity >= 0)
        printf("chips check --against-flashrom: libflashrom%s%s lists %zu SPI chips: %zu are "
               "database rows of the same size, %zu left out or corrected with a reason "
               "(chipdb/flashrom-allow.txt); %zu NOR rows flashrom does not list\n",
               strcmp(cd_flashrom_version(), "unknown") ? " " : "",
               strcmp(cd_flashrom_version(), "unknown") ? cd_flashrom_version() : "",
               st.flashrom_spi, st.matched, st.allowed, st.rows_only_here);
    return EXIT_OK;
}

static int check(struct cli *cli)
{
    size_t problems = cd_chipdb_check(cli->db, report, NULL);
    size_t n = cd_chipdb_count(cli->db), nor = 0, nand = 0;
    for (size_t i = 0; i < n; i++)
        cd_chipdb_get(cli->db, i)->type == CD_CHIP_NOR ? nor++ : nand++;
    if (problems) {
        fprintf(stderr, "chipdump: chips check: %zu problem(s) in %zu rows\n", problems, n);
        return EXIT_USAGE;
    }
    if (cli->verbosity >= 0)
        printf("chips check: %zu rows OK (%zu SPI-NOR, %zu SPI-NAND)\n", n, nor, nand);
    return cli->against_flashrom ? check_flashrom(cli) : EXIT_OK;
}

int cmd_chips(struct cli *cli)
{
    if (cli->argc >= 1 && !strcmp(cli->argv[0], "show")) {
        if (cli->argc != 2) {
            fprintf(stderr, "usage: chipdump chips show NAME\n");
            return EXIT_USAGE;
        }
        return show(cli, cli->argv[1]);
    }
    if (cli->argc >= 1 && !strcmp(cli->argv[0], "check")) {
        if (cli->argc != 1) {
            fprintf(stderr, "usage: chipdump chips check [--against-flashrom]\n");
            return EXIT_USAGE;
        }
        return check(cli);
    }
    if (cli->argc > 1) {
        fprintf(stderr, "usage: chipdump chips [PATTERN]\n");
        return EXIT_USAGE;
    }
    return list(cli, cli->argc ? cli->argv[0] : NULL);
}
