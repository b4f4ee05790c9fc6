/* The sidecar OUT.json of every file chipdump writes from a chip. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int cli_write_manifest(struct cli *cli, const char *path, struct cd_range range,
                       const uint8_t *data, const struct cd_read_result *res, const char *purpose)
{
    (void)purpose;
    char sha[65], id[3 * CD_MAX_ID_LEN + 1] = "", jpath[4200];
    const struct cd_chip *c = cli->chip;
    int r = cd_sha256_hex(data, range.len, sha);
    if (r)
        return cli_error(r, "sha256");
    for (unsigned i = 0; i < 3 && i < cli->probe.id_len; i++)
        snprintf(id + 2 * i, 3, "%02X", cli->probe.id[i]);

    uint32_t erase[CD_MAX_ERASE_TYPES];
    size_t nerase = cd_flash_erase_sizes(cli->flash, erase, CD_MAX_ERASE_TYPES);
    size_t nu = res ? res->nunstable : 0;
    struct cd_manifest_unstable *u = calloc(nu ? nu : 1, sizeof(*u));
    if (!u)
        return cli_error(CD_E_NOMEM, "manifest");
    for (size_t i = 0; i < nu; i++)
        u[i] = (struct cd_manifest_unstable){res->unstable[i].off, res->unstable[i].len,
                                             res->unstable[i].tries, res->unstable[i].resolved};
    char *pathcopy = strdup(path);
    struct cd_manifest m = {
        .file = pathcopy ? basename(pathcopy) : path,
        .chip = c->name,
        .vendor = c->vendor,
        .type = cd_chip_type_name(c->type),
        .jedec_id = id,
        .chip_size = c->size,
        .page_size = c->page_size,
        .erase_sizes = erase,
        .nerase_sizes = nerase,
        .programmer = cli->prog->description,
        .offset = range.off,
        .length = range.len,
        .sha256 = sha,
        .reads = cli->reads,
        .unstable = u,
        .nunstable = nu,
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
    free(u);
    return r ? cli_error(r, jpath) : EXIT_OK;
}
