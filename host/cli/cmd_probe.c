/* chipdump probe: identify the chip. */
#include <jansson.h>
#include <stdio.h>

#include "chipjson.h"
#include "cli.h"

int cmd_probe(struct cli *cli)
{
    if (cli->argc) {
        fprintf(stderr, "usage: chipdump probe\n");
        return EXIT_USAGE;
    }
    int st = cli_open_device(cli);
    if (st)
        return st;
    const struct cd_probe *p = &cli->probe;
    char raw[3 * CD_MAX_ID_LEN + 1] = "";
    for (unsigned i = 0, n = 0; i < p->id_len; i++)
        n += (unsigned)snprintf(raw + n, sizeof(raw) - n, "%s%02X", i ? " " : "", p->id[i]);
    const char *origin = p->from_sfdp     ? "SFDP"
                         : p->chip        ? "chipdb"
                         : p->found_as[0] ? "the programmer (not in chipdump's database)"
                                          : "--chip (forced)";

    if (cli->json) {
        json_t *o = json_object();
        json_object_set_new(o, "programmer", json_string(cli->prog->description));
        json_object_set_new(o, "raw_id", json_string(raw));
        json_object_set_new(o, "source", json_string(origin));
        if (p->found_as[0])
            json_object_set_new(o, "found_as", json_string(p->found_as));
        json_object_set_new(o, "chip", chip_to_json(cli->chip));
        json_t *alts = json_array();
        for (size_t i = 0; i < p->nmatches; i++)
            json_array_append_new(alts, json_string(p->matches[i]->name));
        json_object_set_new(o, "id_matches", alts);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
        return EXIT_OK;
    }
    printf("programmer: %s\n", cli->prog->description);
    printf("raw ID:     %s\n", raw);
    printf("found by:   %s\n", origin);
    if (p->found_as[0])
        printf("found as:   %s\n", p->found_as);
    if (p->nmatches > 1) {
        printf("same ID:   ");
        for (size_t i = 0; i < p->nmatches; i++)
            printf(" %s", p->matches[i]->name);
        putchar('\n');
    }
    chip_print(stdout, cli->chip);
    return EXIT_OK;
}
