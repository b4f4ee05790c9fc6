/*
 * The SPI-NAND side of probe / read / write / verify / erase: probing in every READ ID form,
 * data-only or page+OOB dumps, the bad-block policy, ECC statistics in the manifest. The
 * conventions are nanddump's and nandwrite's where the issue is silent.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("chipdump: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* NAND-only options given for a NOR chip: say so rather than ignore them. */
static int nand_options_on_nor(const struct cli *cli)
{
    const char *opt = cli->oob          ? "--oob"
                      : cli->skip_bad   ? "--skip-bad"
                      : cli->ignore_ecc ? "--ignore-ecc"
                      : cli->raw        ? "--raw"
                      : cli->bad_blocks ? "--bad-blocks"
                                        : NULL;
    if (opt)
        return usage_error("%s applies to SPI-NAND chips; %s is SPI-NOR", opt,
                           cli->chip ? cli->chip->name : "this chip");
    return -1;
}

/* SPI-NAND options a command does not take: refuse them instead of ignoring them. */
enum { O_OOB = 1, O_SKIP_BAD = 2, O_IGNORE_ECC = 4, O_RAW = 8, O_BAD_BLOCKS = 16, O_GEOMETRY = 32 };

static int only_options(const struct cli *cli, const char *cmd, unsigned allowed)
{
    static const struct {
        unsigned bit;
        const char *name, *hint;
    } opts[] = {
        {O_OOB, "--oob", "read --oob makes a page+OOB dump"},
        {O_SKIP_BAD, "--skip-bad", "a write that moves data past bad blocks is --bad-blocks skip"},
        {O_IGNORE_ECC, "--ignore-ecc", "it applies to read"},
        {O_RAW, "--raw", "it applies to read and write"},
        {O_BAD_BLOCKS, "--bad-blocks", "it applies to write"},
        {O_GEOMETRY, "--page-size/--oob-size", "they apply to oob strip"},
    };
    bool given[] = {cli->oob, cli->skip_bad,   cli->ignore_ecc,
                    cli->raw, cli->bad_blocks, cli->page_size || cli->oob_size};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (given[i] && !(allowed & opts[i].bit))
            return usage_error("%s %s: not an option of %s on SPI-NAND (%s)", cmd, opts[i].name,
                               cmd, opts[i].hint);
    return EXIT_OK;
}

static bool nand_id_matches(const struct cd_chip *c, const struct cd_nand_probe *p)
{
    return p->tried[c->readid] && c->id_len <= CD_MAX_ID_LEN &&
           !memcmp(c->id, p->raw[c->readid], c->id_len);
}

int cli_nand_probe(struct cli *cli, const struct cd_chip *named, int nor_result)
{
    bool nand_named = named && named->type == CD_CHIP_NAND;
    struct cd_nand_probe *np = &cli->nand_probe;

    /* A NOR chip from the database (or one the user insists on): no NAND commands at all. */
    if (!nand_named &&
        (nor_result == CD_OK ? !cli->probe.from_sfdp
                             : nor_result == CD_E_UNKNOWN_CHIP && named && cli->force)) {
        cli->chip = named ? named : cli->probe.chip;
        return nand_options_on_nor(cli);
    }
    char nor_detail[256];
    snprintf(nor_detail, sizeof(nor_detail), "%s", cd_error_detail());
    int r = cd_nand_probe(cli->prog, cli->db, np);
    if (r && nor_result == CD_OK) {
        cli->chip = named ? named : cli->probe.chip; /* a NOR chip known by its SFDP */
        return nand_options_on_nor(cli);
    }
    char raw[160];
    cd_nand_probe_describe(np, raw, sizeof(raw));
    if (r && !nand_named && (named || r == CD_E_NO_CHIP)) {
        /* Nothing like a NAND either: the NOR probe's verdict, with what NAND forms read. */
        if (nor_result == CD_E_NO_CHIP && r == CD_E_NO_CHIP)
            return cli_error(cd_fail(CD_E_NO_CHIP, "%s; as SPI-NAND: %s", nor_detail, raw),
                             "probe");
        cd_fail(nor_result, "%s", nor_detail);
        return -1;
    }
    if (r && nand_named && !cli->force && cd_nor_probe(cli->prog, cli->db, &cli->probe) == CD_OK &&
        !cli->probe.from_sfdp) {
        /* --chip names a NAND, but a NOR chip answers: say which */
        const uint8_t *id = cli->probe.id;
        return usage_error("the chip answers READ ID %02X %02X %02X (%s, SPI-NOR), but --chip "
                           "names %s (SPI-NAND); use --force to go on with %s anyway",
                           id[0], id[1], id[2], cli->probe.chip->name, named->name, named->name);
    }
    if (r) {
        if (!(nand_named && cli->force && r == CD_E_UNKNOWN_CHIP))
            return cli_error(r, "probe");
        cli_info(cli, "warning: no SPI-NAND answers %s's ID (%s); going on (--force)\n",
                 named->name, raw);
    } else if (named && !nand_id_matches(named, np)) {
        char want[2 * CD_MAX_ID_LEN + 1];
        if (!cli->force) {
            fprintf(stderr,
                    "chipdump: the chip answers READ ID %s (%s), but --chip names %s (%s, read "
                    "ID form %s); use --force to go on with %s anyway\n",
                    raw, np->chip->name, named->name, cd_chip_id_hex(named, want, sizeof(want)),
                    cd_readid_form_name(named->readid), named->name);
            return EXIT_USAGE;
        }
        cli_info(cli, "warning: chip ID does not match %s; going on (--force)\n", named->name);
        if (!nand_named)
            return -1;
    } else if (!named) {
        for (size_t i = 1; i < np->nmatches; i++) {
            if (!cd_chip_same_geometry(np->matches[0], np->matches[i]))
                return usage_error("ID %s matches chips of different geometry (%s, %s...); "
                                   "name the chip with --chip",
                                   raw, np->matches[0]->name, np->matches[i]->name);
        }
    }
    cli->chip = named ? named : np->chip;

    /* The NOR-shaped probe record the rest of the CLI (probe, manifests) reads. */
    memset(&cli->probe, 0, sizeof(cli->probe));
    enum cd_readid_form f = r ? named->readid : np->form;
    memcpy(cli->probe.id, np->raw[f], CD_MAX_ID_LEN);
    cli->probe.id_len = CD_MAX_ID_LEN;
    cli->probe.chip = r ? NULL : np->chip;
    cli->probe.nmatches = r ? 0 : np->nmatches;
    memcpy(cli->probe.matches, np->matches, sizeof(cli->probe.matches));
    cli_verbose(cli, "SPI-NAND %s (READ ID form %s: %s)\n", cli->chip->name, cd_readid_form_name(f),
                raw);

    if ((r = cd_nand_open(cli->prog, cli->chip, &cli->nand)))
        return cli_error(r, cli->chip->name);
    return EXIT_OK;
}

/* --range in data bytes (what a data-only dump holds), aligned to erase blocks. */
static int nand_range(struct cli *cli, uint32_t *first, uint32_t *count)
{
    const struct cd_chip *c = cli->chip;
    uint64_t bb = cd_nand_block_bytes(c, false);
    *first = 0;
    *count = cd_nand_blocks(c);
    if (!cli->range)
        return EXIT_OK;
    struct cd_range r;
    int e = cd_parse_range(cli->range, c->size, &r);
    if (e)
        return cli_error(e, "--range");
    if (r.off % bb || r.len % bb) {
        char s[32];
        return usage_error("--range %s: SPI-NAND ranges are whole erase blocks of %s (offsets "
                           "count data bytes, without OOB)",
                           cli->range, cli_human_size(bb, s, sizeof(s)));
    }
    *first = (uint32_t)(r.off / bb);
    *count = (uint32_t)(r.len / bb);
    return EXIT_OK;
}

static int parse_policy(const struct cli *cli, enum cd_nand_bad_policy *p)
{
    *p = CD_NAND_BB_INPLACE;
    if (!cli->bad_blocks || !strcmp(cli->bad_blocks, "inplace"))
        return EXIT_OK;
    if (!strcmp(cli->bad_blocks, "skip"))
        *p = CD_NAND_BB_SKIP;
    else if (!strcmp(cli->bad_blocks, "fail"))
        *p = CD_NAND_BB_FAIL;
    else
        return usage_error("--bad-blocks: expected inplace, skip or fail, got '%s'",
                           cli->bad_blocks);
    return EXIT_OK;
}

/* "3, 9, 17" (the first few). */
static const char *block_list(const uint32_t *v, size_t n, char *buf, size_t sz)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 24 < sz; i++) {
        if (i == 10) {
            snprintf(buf + used, sz - used, ", ... (%zu in all)", n);
            break;
        }
        used += (size_t)snprintf(buf + used, sz - used, "%s%u", i ? ", " : "", v[i]);
    }
    return buf;
}

/* PATH.json for a NAND dump (printed with --json). */
static int nand_manifest(struct cli *cli, const char *path, uint32_t first, const uint8_t *data,
                         uint64_t len, bool oob, bool raw, bool skipped,
                         const struct cd_nand_report *rep)
{
    const struct cd_chip *c = cli->chip;
    char sha[65], id[2 * CD_MAX_ID_LEN + 1], jpath[4200];
    int r = cd_sha256_hex(data, len, sha);
    if (r)
        return cli_error(r, "sha256");
    cd_chip_id_hex(c, id, sizeof(id));
    struct cd_manifest_ecc_block *eb = calloc(rep->necc ? rep->necc : 1, sizeof(*eb));
    char *pathcopy = strdup(path);
    if (!eb || !pathcopy) {
        free(eb);
        free(pathcopy);
        return cli_error(CD_E_NOMEM, "manifest");
    }
    for (size_t i = 0; i < rep->necc; i++)
        eb[i] = (struct cd_manifest_ecc_block){
            rep->ecc[i].block, rep->ecc[i].bitflips, rep->ecc[i].max_bitflips,
            rep->ecc[i].pages_corrected, rep->ecc[i].pages_uncorrectable};
    uint32_t block = (uint32_t)cd_nand_block_bytes(c, false);
    struct cd_manifest_nand mn = {
        .layout = oob ? "data+oob" : "data",
        .oob_size = c->oob_size,
        .pages_per_block = c->pages_per_block,
        .blocks = cd_nand_blocks(c),
        .planes = c->planes,
        .dies = c->dies,
        .ecc = raw ? "off" : "on-die",
        .ecc_strength = c->ecc_strength,
        .ecc_step = c->ecc_step,
        .bad_blocks_policy = skipped ? "skipped" : "in place",
        .bad_blocks = rep->bad_blocks,
        .nbad_blocks = rep->nbad,
        .ecc_blocks = eb,
        .necc_blocks = rep->necc,
        .uncorrectable_pages = rep->uncorrectable,
        .nuncorrectable_pages = rep->nuncorrectable,
        .corrected_bitflips = rep->bitflips,
    };
    struct cd_manifest_unstable *un = calloc(rep->nunstable ? rep->nunstable : 1, sizeof(*un));
    if (!un) {
        free(eb);
        free(pathcopy);
        return cli_error(CD_E_NOMEM, "manifest");
    }
    for (size_t i = 0; i < rep->nunstable; i++)
        un[i] = (struct cd_manifest_unstable){rep->unstable[i].off, rep->unstable[i].len,
                                              rep->unstable[i].tries, rep->unstable[i].resolved};
    struct cd_manifest m = {
        .file = basename(pathcopy),
        .chip = c->name,
        .vendor = c->vendor,
        .type = "nand",
        .jedec_id = id,
        .chip_size = c->size,
        .page_size = c->page_size,
        .erase_sizes = &block,
        .nerase_sizes = 1,
        .programmer = cli->prog->description,
        .offset = (uint64_t)first * block,
        .length = len,
        .sha256 = sha,
        .reads = cli->reads > 1 ? cli->reads : 1,
        .unstable = un,
        .nunstable = rep->nunstable,
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
    free(un);
    free(eb);
    free(pathcopy);
    return r ? cli_error(r, jpath) : EXIT_OK;
}

/* What ECC said, on stderr. Returns EXIT_FAIL for uncorrectable pages unless --ignore-ecc. */
static int ecc_summary(const struct cli *cli, const char *path, const struct cd_nand_report *rep)
{
    if (rep->necc && rep->bitflips) {
        uint64_t pages = 0;
        for (size_t i = 0; i < rep->necc; i++)
            pages += rep->ecc[i].pages_corrected;
        cli_info(cli,
                 "on-die ECC corrected %llu bitflip(s) in %llu page(s) of %zu block(s); "
                 "%s.json lists them\n",
                 (unsigned long long)rep->bitflips, (unsigned long long)pages, rep->necc, path);
    }
    if (!rep->nuncorrectable)
        return EXIT_OK;
    uint32_t p = rep->uncorrectable[0], ppb = cli->chip->pages_per_block;
    if (cli->ignore_ecc) {
        cli_info(cli,
                 "warning: %zu page(s) could not be corrected by on-die ECC (first: page %u of "
                 "block %u); kept as the chip returned them (--ignore-ecc)\n",
                 rep->nuncorrectable, p % ppb, p / ppb);
        return EXIT_OK;
    }
    fprintf(stderr,
            "chipdump: %zu page(s) could not be corrected by on-die ECC (first: page %u of block "
            "%u); %s holds what the chip returned and %s.json lists them (--ignore-ecc to "
            "accept)\n",
            rep->nuncorrectable, p % ppb, p / ppb, path, path);
    return EXIT_FAIL;
}

int cli_nand_read(struct cli *cli, const char *path, struct cd_outfile **outp)
{
    const struct cd_chip *c = cli->chip;
    uint32_t first, count;
    struct cd_nand_report rep = {0};
    uint8_t *buf = NULL;
    int st;
    if ((st = only_options(cli, "read", O_OOB | O_SKIP_BAD | O_IGNORE_ECC | O_RAW)) ||
        (st = nand_range(cli, &first, &count)))
        return st;
    uint64_t len = 0, size = count * cd_nand_block_bytes(c, cli->oob);
    if (!(buf = malloc(size ? size : 1)))
        return cli_error(CD_E_NOMEM, "read");
    if (cli->raw)
        cli_info(cli, "reading with on-die ECC off (--raw): bitflips stay in the data\n");
    struct cli_progress pr;
    cli_progress_init(&pr, cli, "read");
    struct cd_nand_read_opts o = {.oob = cli->oob,
                                  .raw = cli->raw,
                                  .skip_bad = cli->skip_bad,
                                  .reads = cli->reads,
                                  .progress = cli_progress_cb,
                                  .progress_user = &pr};
    int r = cd_nand_read_blocks(cli->nand, first, count, &o, buf, &len, &rep);
    cli_progress_done(&pr);
    int unstable = r == CD_E_UNSTABLE;
    if (unstable)
        r = CD_OK; /* the file is still written; the exit status says it */
    if (r) {
        st = cli_error(r, "read");
        goto out;
    }
    r = cd_outfile_write(*outp, buf, len);
    if (!r)
        r = cd_outfile_commit(*outp);
    *outp = NULL; /* commit frees, also on failure */
    if (r) {
        st = cli_error(r, path);
        goto out;
    }
    if ((st = nand_manifest(cli, path, first, buf, len, cli->oob, cli->raw, cli->skip_bad, &rep)))
        goto out;
    char sz[32], list[160];
    cli_info(cli, "read %s (%s) from %s into %s\n", cli_human_size(len, sz, sizeof(sz)),
             cli->oob ? "pages with OOB" : "data", c->name, path);
    if (rep.nbad)
        cli_info(cli, "bad blocks (%s): %s\n", cli->skip_bad ? "left out" : "read in place",
                 block_list(rep.bad_blocks, rep.nbad, list, sizeof(list)));
    st = ecc_summary(cli, path, &rep);
    if (rep.nunstable)
        cli_info(cli, "%zu page(s) read differently at first; %zu settled after re-reads\n",
                 rep.nunstable, rep.nunstable - rep.nunresolved);
    if (unstable) {
        fprintf(stderr,
                "chipdump: %zu page(s) read differently every time; %s holds the last read, "
                "%s.json lists them\n",
                rep.nunresolved, path, path);
        st = EXIT_FAIL;
    }
out:
    cd_nand_report_free(&rep);
    free(buf);
    return st;
}

/*
 * Which layout IN has: data-only (pages x page size) or page+OOB, by its size; --raw is
 * required for page+OOB writes. For skip writes and skip-bad verifies the image may be shorter
 * (whole blocks), then --raw says which layout it is.
 */
static int image_layout(struct cli *cli, const char *path, size_t len, uint32_t count, bool shorter,
                        bool need_raw_flag, bool *raw)
{
    const struct cd_chip *c = cli->chip;
    uint64_t data = count * cd_nand_block_bytes(c, false),
             full = count * cd_nand_block_bytes(c, true);
    if (len == full || (shorter && cli->raw))
        *raw = true;
    else if (len == data || (shorter && !cli->raw))
        *raw = false;
    else
        goto bad_size;
    uint64_t bb = cd_nand_block_bytes(c, *raw);
    if (shorter && (len == 0 || len % bb || len > (*raw ? full : data)))
        goto bad_size;
    if (*raw && !cli->raw && need_raw_flag)
        return usage_error("%s is a page+OOB image (%zu bytes = %u blocks x %u pages x (%u + %u "
                           "OOB)); writing OOB bytes back is refused unless --raw is given (it "
                           "writes them with on-die ECC off); a data-only image needs no OOB",
                           path, len, count, c->pages_per_block, c->page_size, c->oob_size);
    if (!*raw && (cli->raw || cli->oob))
        return usage_error("%s needs a page+OOB image: %s is %zu bytes, the data size of %s",
                           cli->raw ? "--raw" : "--oob", path, len,
                           cli->range ? "--range" : c->name);
    return EXIT_OK;
bad_size:
    return usage_error(
        "%s is %zu bytes, but %s %s %llu bytes of data (%u blocks x %u pages x %u) or %llu with "
        "OOB (x %u)%s; chip untouched",
        path, len, c->name, cli->range ? "--range holds" : "holds", (unsigned long long)data, count,
        c->pages_per_block, c->page_size, (unsigned long long)full, cd_nand_raw_page(c),
        shorter ? ", or whole blocks of either up to that size with --bad-blocks skip" : "");
}

static int save_backup(struct cli *cli, uint32_t first, const uint8_t *cur, uint64_t len, bool raw,
                       const struct cd_nand_report *rep)
{
    char path[4096];
    if (cli->backup_path) {
        snprintf(path, sizeof(path), "%s", cli->backup_path);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(path, sizeof(path), "%s-backup-%04d%02d%02d-%02d%02d%02d%s.bin", cli->chip->name,
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 raw ? "-oob" : "");
    }
    int r = cd_write_file_atomic(path, cur, len, false);
    if (r)
        return cli_error(r, "backup (nothing was written to the chip)");
    bool json = cli->json;
    cli->json = false; /* the write summary, not the backup's manifest, goes to stdout */
    int st = nand_manifest(cli, path, first, cur, len, raw, raw, false, rep);
    cli->json = json;
    if (!st)
        cli_info(cli, "saved the current contents%s to %s\n", raw ? " (with OOB)" : "", path);
    return st;
}

int cli_nand_write(struct cli *cli, const char *path, const uint8_t *data, size_t len)
{
    const struct cd_chip *c = cli->chip;
    uint32_t first, count;
    enum cd_nand_bad_policy policy;
    bool raw;
    uint8_t *cur = NULL;
    struct cd_nand_report rep = {0}, crep = {0};
    char list[160];
    int st;
    if ((st = only_options(cli, "write", O_OOB | O_RAW | O_BAD_BLOCKS)) ||
        (st = parse_policy(cli, &policy)) || (st = nand_range(cli, &first, &count)) ||
        (st = image_layout(cli, path, len, count, policy == CD_NAND_BB_SKIP, true, &raw)))
        return st;
    if (raw)
        cli_info(cli, "writing pages with their OOB and on-die ECC off (--raw): the image's OOB "
                      "bytes, ECC parity included, go to the chip as they are\n");

    /* What the range holds now: the backup, and the blocks that need no work. */
    uint64_t size = count * cd_nand_block_bytes(c, raw), curlen;
    if (!(cur = malloc(size))) {
        st = cli_error(CD_E_NOMEM, "write");
        goto out;
    }
    struct cli_progress pr;
    cli_progress_init(&pr, cli, "read ");
    struct cd_nand_read_opts ro = {
        .oob = raw, .raw = raw, .progress = cli_progress_cb, .progress_user = &pr};
    int r = cd_nand_read_blocks(cli->nand, first, count, &ro, cur, &curlen, &crep);
    cli_progress_done(&pr);
    if (r) {
        st = cli_error(r, "reading the current contents (nothing was written)");
        goto out;
    }
    if (crep.nuncorrectable)
        cli_info(cli,
                 "warning: %zu page(s) of the current contents could not be corrected by "
                 "on-die ECC; the backup holds what the chip returned\n",
                 crep.nuncorrectable);
    if (!cli->no_backup && (st = save_backup(cli, first, cur, curlen, raw, &crep)))
        goto out;

    cli_progress_init(&pr, cli, "write");
    struct cd_nand_write_opts wo = {.bad_blocks = policy,
                                    .raw = raw,
                                    .verify = !cli->no_verify,
                                    .progress = cli_progress_cb,
                                    .progress_user = &pr};
    r = cd_nand_write_blocks(cli->nand, first, count, data, len, cur, &wo, &rep);
    cli_progress_done(&pr);
    if (r) {
        st = cli_error(r, "write");
        if (rep.failed_block >= 0)
            fprintf(stderr,
                    "chipdump: the write stopped at block %lld (offset 0x%llx); no block after it "
                    "was erased or programmed\n",
                    (long long)rep.failed_block,
                    (unsigned long long)(rep.failed_block * cd_nand_block_bytes(c, false)));
        goto out;
    }
    if (cli->json) {
        printf("{\"chip\": \"%s\", \"layout\": \"%s\", \"bad_blocks_policy\": \"%s\", "
               "\"first_block\": %u, \"blocks\": %u, \"bad_blocks\": [",
               c->name, raw ? "data+oob" : "data",
               policy == CD_NAND_BB_SKIP   ? "skip"
               : policy == CD_NAND_BB_FAIL ? "fail"
                                           : "inplace",
               first, count);
        for (size_t i = 0; i < rep.nbad; i++)
            printf("%s%u", i ? ", " : "", rep.bad_blocks[i]);
        printf("], \"blocks_erased\": %llu, \"blocks_unchanged\": %llu, \"pages_programmed\": "
               "%llu, \"blank_pages_skipped\": %llu, \"verified\": %s}\n",
               (unsigned long long)rep.blocks_erased, (unsigned long long)rep.blocks_unchanged,
               (unsigned long long)rep.pages_programmed, (unsigned long long)rep.pages_blank,
               wo.verify ? "true" : "false");
    }
    cli_info(cli,
             "wrote %s: %llu of %u blocks erased, %llu unchanged, %llu pages programmed, %llu "
             "blank pages left erased%s\n",
             c->name, (unsigned long long)rep.blocks_erased, count,
             (unsigned long long)rep.blocks_unchanged, (unsigned long long)rep.pages_programmed,
             (unsigned long long)rep.pages_blank, wo.verify ? ", verified" : " (not verified)");
    if (rep.nbad)
        cli_info(cli, "bad blocks left alone: %s\n",
                 block_list(rep.bad_blocks, rep.nbad, list, sizeof(list)));
out:
    cd_nand_report_free(&rep);
    cd_nand_report_free(&crep);
    free(cur);
    return st;
}

int cli_nand_verify(struct cli *cli, const char *path, const uint8_t *data, size_t len)
{
    uint32_t first, count;
    bool raw;
    int st;
    struct cd_nand_report rep = {0};
    if ((st = only_options(cli, "verify", O_OOB | O_SKIP_BAD | O_RAW)) ||
        (st = nand_range(cli, &first, &count)) ||
        (st = image_layout(cli, path, len, count, cli->skip_bad, false, &raw)))
        return st;
    struct cli_progress pr;
    cli_progress_init(&pr, cli, "verify");
    int r = cd_nand_verify_blocks(cli->nand, first, count, data, len, raw, cli->skip_bad,
                                  cli_progress_cb, &pr, &rep);
    cli_progress_done(&pr);
    if (r) {
        st = cli_error(r, "verify");
    } else {
        char list[160];
        cli_info(cli, "verified: %s matches %s%s\n", cli->chip->name, path,
                 raw ? " (pages with OOB, on-die ECC off)" : "");
        if (rep.nbad)
            cli_info(cli, "bad blocks not compared: %s\n",
                     block_list(rep.bad_blocks, rep.nbad, list, sizeof(list)));
    }
    cd_nand_report_free(&rep);
    return st;
}

int cli_nand_erase(struct cli *cli)
{
    uint32_t first, count;
    struct cd_nand_report rep = {0};
    char list[160];
    int st = only_options(cli, "erase", 0);
    if (!st)
        st = nand_range(cli, &first, &count);
    if (st)
        return st;
    struct cli_progress pr;
    cli_progress_init(&pr, cli, "erase");
    int r = cd_nand_erase_blocks(cli->nand, first, count, cli_progress_cb, &pr, &rep);
    cli_progress_done(&pr);
    if (r) {
        st = cli_error(r, "erase");
        if (rep.failed_block >= 0)
            fprintf(stderr,
                    "chipdump: the erase stopped at block %lld; no block after it was "
                    "erased\n",
                    (long long)rep.failed_block);
    } else {
        cli_info(cli, "erased %llu of %u blocks of %s\n", (unsigned long long)rep.blocks_erased,
                 count, cli->chip->name);
    }
    if (rep.nbad)
        cli_info(cli, "bad blocks left alone: %s\n",
                 block_list(rep.bad_blocks, rep.nbad, list, sizeof(list)));
    cd_nand_report_free(&rep);
    return st;
}
