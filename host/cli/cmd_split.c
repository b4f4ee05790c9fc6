/*
 * chipdump split: the partitions a box's /proc/mtd (and boot log or mtdparts=) describe,
 * laid out on the chip; with IMAGE, one file per partition plus layout.json. Also the
 * --partition resolution that read and write use.
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "chipdump/mtd.h"
#include "cli.h"

/* The partition-table sources named on the command line, parsed. */
struct mtd_sources {
    struct cd_mtd_table table;
    struct cd_mtd_exact dmesg, mtdparts;
    bool have_table, have_dmesg, have_mtdparts;
};

static void sources_free(struct mtd_sources *s)
{
    if (s->have_table)
        cd_mtd_table_free(&s->table);
    if (s->have_dmesg)
        cd_mtd_exact_free(&s->dmesg);
    if (s->have_mtdparts)
        cd_mtd_exact_free(&s->mtdparts);
    memset(s, 0, sizeof(*s));
}

/* Read and parse --mtd-table, --dmesg and --mtdparts. Returns an exit status. */
static int sources_load(const struct cli *cli, struct mtd_sources *s)
{
    memset(s, 0, sizeof(*s));
    if (!cli->mtd_table && !cli->dmesg && !cli->mtdparts) {
        fprintf(stderr, "chipdump: give the partition table: --mtd-table FILE (a saved "
                        "/proc/mtd), --dmesg FILE (the boot log) or --mtdparts STR\n");
        return EXIT_USAGE;
    }
    const char *files[2] = {cli->mtd_table, cli->dmesg};
    for (int k = 0; k < 2; k++) {
        if (!files[k])
            continue;
        uint8_t *buf;
        size_t len;
        int r = cd_read_file(files[k], &buf, &len);
        if (r)
            return cli_error(r, k ? "--dmesg" : "--mtd-table");
        r = k ? cd_mtd_parse_dmesg((const char *)buf, len, files[k], &s->dmesg)
              : cd_mtd_parse_proc((const char *)buf, len, files[k], &s->table);
        free(buf);
        if (r) {
            sources_free(s);
            return cli_error(r, k ? "--dmesg" : "--mtd-table");
        }
        if (k)
            s->have_dmesg = true;
        else
            s->have_table = true;
    }
    if (cli->mtdparts) {
        int r = cd_mtd_parse_mtdparts(cli->mtdparts, &s->mtdparts);
        if (r) {
            sources_free(s);
            return cli_error(r, "--mtdparts");
        }
        s->have_mtdparts = true;
    }
    return EXIT_OK;
}

/* --flash-size N[,N...]: one size per chip, in table order. */
static int parse_flash_sizes(const char *arg, uint64_t *sizes, unsigned *n)
{
    *n = 0;
    if (!arg)
        return EXIT_OK;
    char *copy = strdup(arg), *save = NULL;
    if (!copy)
        return cli_error(CD_E_NOMEM, "--flash-size");
    int st = EXIT_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == CD_MTD_MAX_CHIPS || cd_parse_size(tok, &sizes[*n]) || !sizes[*n]) {
            fprintf(stderr,
                    "chipdump: --flash-size: expected sizes like 16M or 0x1000000, one per chip "
                    "separated by commas, got '%s'\n",
                    arg);
            st = EXIT_USAGE;
            break;
        }
        (*n)++;
    }
    free(copy);
    return st;
}

static void opts_from(const struct mtd_sources *s, struct cd_mtd_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->table = s->have_table ? &s->table : NULL;
    o->dmesg = s->have_dmesg ? &s->dmesg : NULL;
    o->mtdparts = s->have_mtdparts ? &s->mtdparts : NULL;
}

/* ---- images ---- */

struct image {
    const char *path;
    uint8_t *raw; /* as read from the file */
    size_t rawlen;
    uint8_t *data; /* data only: raw itself, or raw with the OOB taken out */
    uint64_t datalen;
    bool oob; /* raw holds page + OOB */
    uint32_t page, oobsize;
    uint32_t block;     /* bytes of data per erase block, 0 = unknown */
    json_t *bad_blocks; /* manifest nand.bad_blocks (chip-wide block numbers), or NULL */
};

static void image_free(struct image *im)
{
    if (im->data != im->raw)
        free(im->data);
    free(im->raw);
    json_decref(im->bad_blocks);
    memset(im, 0, sizeof(*im));
}

static uint64_t jint(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/*
 * Load IMAGE and what its OUT.json manifest says (page+OOB layout, partial reads, the
 * bad-block policy). --chip (a NAND row) supplies the geometry when there is no manifest.
 */
static int image_load(const struct cli *cli, const char *path, struct image *im)
{
    memset(im, 0, sizeof(*im));
    im->path = path;
    int r = cd_read_file(path, &im->raw, &im->rawlen);
    if (r)
        return cli_error(r, path);
    char mpath[4200];
    snprintf(mpath, sizeof(mpath), "%s.json", path);
    json_error_t jerr;
    json_t *m = NULL;
    struct stat st;
    if (stat(mpath, &st) == 0) {
        m = json_load_file(mpath, 0, &jerr);
        if (!m) {
            fprintf(stderr, "chipdump: %s: not a chipdump manifest (line %d: %s)\n", mpath,
                    jerr.line, jerr.text);
            return EXIT_USAGE;
        }
    }
    uint64_t size = 0;
    bool m_said_data = false;
    if (m) {
        size = jint(m, "size");
        uint64_t off = jint(m, "offset"), len = jint(m, "length");
        if (off || (len && size && len != size)) {
            fprintf(stderr,
                    "chipdump: %s holds 0x%llx bytes from 0x%llx (a --range read, per %s); "
                    "split needs a read of the whole chip\n",
                    path, (unsigned long long)len, (unsigned long long)off, mpath);
            json_decref(m);
            return EXIT_USAGE;
        }
        const json_t *nand = json_object_get(m, "nand");
        if (json_is_object(nand)) {
            const char *layout = json_string_value(json_object_get(nand, "layout"));
            const char *policy = json_string_value(json_object_get(nand, "bad_blocks_policy"));
            im->page = (uint32_t)jint(m, "page_size");
            im->oobsize = (uint32_t)jint(nand, "oob_size");
            im->block = im->page * (uint32_t)jint(nand, "pages_per_block");
            im->oob = layout && !strcmp(layout, "data+oob");
            m_said_data = layout && !strcmp(layout, "data");
            im->bad_blocks = json_incref(json_object_get(nand, "bad_blocks"));
            if (policy && !strcmp(policy, "skipped") && json_array_size(im->bad_blocks)) {
                fprintf(stderr,
                        "chipdump: %s was read with bad blocks skipped, so everything after the "
                        "first bad block sits earlier than on the chip; read it again with bad "
                        "blocks in place\n",
                        path);
                json_decref(m);
                return EXIT_USAGE;
            }
        }
        json_decref(m);
    } else {
        /* no manifest: the geometry from --chip (a NAND row) or --page-size/--oob-size */
        const struct cd_chip *c = cli->chip && cli->chip->type == CD_CHIP_NAND ? cli->chip : NULL;
        uint64_t v;
        if (c) {
            im->page = c->page_size;
            im->oobsize = c->oob_size;
            im->block = c->page_size * c->pages_per_block;
            size = c->size;
        }
        if (cli->page_size) {
            if (cd_parse_size(cli->page_size, &v) || !v || v > 65536) {
                fprintf(stderr,
                        "chipdump: --page-size: expected bytes per page (2048, 4K), got "
                        "'%s'\n",
                        cli->page_size);
                return EXIT_USAGE;
            }
            im->page = (uint32_t)v;
        }
        if (cli->oob_size) {
            if (cd_parse_size(cli->oob_size, &v) || v > 65536) {
                fprintf(stderr,
                        "chipdump: --oob-size: expected OOB bytes per page (64, 128), "
                        "got '%s'\n",
                        cli->oob_size);
                return EXIT_USAGE;
            }
            im->oobsize = (uint32_t)v;
        }
        if (cli->oob) {
            if (!im->page || !im->oobsize) {
                fprintf(stderr, "chipdump: --oob: give the page geometry with --chip NAME (a "
                                "SPI-NAND) or --page-size and --oob-size\n");
                return EXIT_USAGE;
            }
            im->oob = true;
        } else if (c && im->rawlen == (c->size / c->page_size) * (c->page_size + c->oob_size) &&
                   c->oob_size) {
            im->oob = true; /* exactly the size of the chip's pages with their OOB */
            size = 0;
        }
        if (c && !im->oob && im->rawlen != c->size) {
            fprintf(stderr,
                    "chipdump: %s is %zu bytes, neither %s's data (%llu) nor its pages with OOB "
                    "(%llu)\n",
                    path, im->rawlen, c->name, (unsigned long long)c->size,
                    (unsigned long long)(c->size / c->page_size * (c->page_size + c->oob_size)));
            return EXIT_USAGE;
        }
    }
    if (m_said_data && cli->oob) {
        fprintf(stderr, "chipdump: --oob, but %s.json says %s holds data only\n", path, path);
        return EXIT_USAGE;
    }
    if (im->oob) {
        uint64_t stride = (uint64_t)im->page + im->oobsize;
        if (!im->page || im->rawlen % stride) {
            fprintf(stderr, "chipdump: %s: %zu bytes is not a whole number of %u+%u-byte pages\n",
                    path, im->rawlen, im->page, im->oobsize);
            return EXIT_USAGE;
        }
        uint64_t pages = im->rawlen / stride;
        im->datalen = pages * im->page;
        im->data = malloc(im->datalen ? im->datalen : 1);
        if (!im->data)
            return cli_error(CD_E_NOMEM, path);
        for (uint64_t p = 0; p < pages; p++)
            memcpy(im->data + p * im->page, im->raw + p * stride, im->page);
    } else {
        im->data = im->raw;
        im->datalen = im->rawlen;
    }
    if (size && size != im->datalen) {
        fprintf(stderr,
                "chipdump: %s holds 0x%llx bytes of data but its manifest says the chip "
                "has 0x%llx\n",
                path, (unsigned long long)im->datalen, (unsigned long long)size);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* ---- output ---- */

static const char *parent_name(const struct cd_mtd_layout *l, const struct cd_mtd_part *p)
{
    return p->parent >= 0 ? l->parts[p->parent].name : "-";
}

static void print_table(const struct cli *cli, const struct cd_mtd_layout *l)
{
    bool chips = l->nchips > 1;
    printf("%4s  %-16s %s%-10s  %-10s  %-10s  %-16s %-15s %s\n", "mtd", "name",
           chips ? "chip " : "", "offset", "size", "end", "parent", "how", "certain");
    for (size_t i = 0; i < l->n; i++) {
        const struct cd_mtd_part *p = &l->parts[i];
        char chip[16] = "";
        if (chips)
            snprintf(chip, sizeof(chip), "%-4u ", p->chip);
        if (!p->placed) {
            printf("%4d  %-16s %s%-10s  0x%08llx  %-10s  %-16s %-15s %s\n", p->index, p->name, chip,
                   "-", (unsigned long long)p->size, "-", "-", "none", "-");
        } else {
            printf("%4d  %-16s %s0x%08llx  0x%08llx  0x%08llx  %-16s %-15s %s\n", p->index, p->name,
                   chip, (unsigned long long)p->offset, (unsigned long long)p->size,
                   (unsigned long long)(p->offset + p->size), parent_name(l, p),
                   cd_mtd_method_name(p->method), p->certain ? "yes" : "NO");
        }
        if (cli->verbosity > 0 && p->note[0])
            printf("      %s%s%s\n", p->note, p->content[0] ? "; starts with " : "", p->content);
    }
}

static void print_messages(const struct cli *cli, const struct cd_mtd_layout *l)
{
    for (size_t i = 0; i < l->nmessages; i++)
        cli_info(cli, "note: %s\n", l->messages[i]);
}

/* The bytes of partition p as its file holds them: data, or its pages with their OOB. */
static int part_bytes(const struct image *im, const struct cd_mtd_part *p, const uint8_t **buf,
                      size_t *len, bool *with_oob)
{
    *with_oob = false;
    if (im->oob && p->offset % im->page == 0 && p->size % im->page == 0) {
        uint64_t stride = (uint64_t)im->page + im->oobsize;
        *buf = im->raw + p->offset / im->page * stride;
        *len = (size_t)(p->size / im->page * stride);
        *with_oob = true;
    } else {
        *buf = im->data + p->offset;
        *len = (size_t)p->size;
    }
    return 0;
}

static int ensure_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return EXIT_OK;
        fprintf(stderr, "chipdump: -o %s: not a directory\n", dir);
        return EXIT_USAGE;
    }
    if (mkdir(dir, 0755) != 0) {
        fprintf(stderr, "chipdump: cannot create directory %s: %s\n", dir, strerror(errno));
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static bool want_file(const struct cli *cli, const struct cd_mtd_part *p)
{
    return p->placed && (p->certain || cli->guess);
}

/* Indices repeat across pasted tables of several chips: then names carry the chip. */
static bool indices_repeat(const struct cd_mtd_layout *l)
{
    for (size_t i = 0; i < l->n; i++)
        for (size_t j = i + 1; j < l->n; j++)
            if (l->parts[i].index == l->parts[j].index)
                return true;
    return false;
}

static int write_parts(struct cli *cli, const struct cd_mtd_layout *l, struct image *im,
                       unsigned nimages)
{
    const char *dir = cli->output_dir ? cli->output_dir : ".";
    bool prefix = indices_repeat(l);
    char path[4400], fname[128];
    int st = ensure_dir(dir);
    if (st)
        return st;

    /* nothing under a final name until we know every file can be written */
    for (size_t i = 0; i <= l->n; i++) {
        if (i < l->n && !want_file(cli, &l->parts[i]))
            continue;
        if (i < l->n)
            cd_mtd_file_name(&l->parts[i], prefix, fname, sizeof(fname));
        snprintf(path, sizeof(path), "%s/%s", dir, i < l->n ? fname : "layout.json");
        struct stat sb;
        if (!cli->force && lstat(path, &sb) == 0) {
            fprintf(stderr,
                    "chipdump: %s already exists (use --force to overwrite); nothing "
                    "written\n",
                    path);
            return EXIT_USAGE;
        }
    }

    char *text = cd_mtd_layout_json(l);
    json_error_t jerr;
    json_t *root = text ? json_loads(text, 0, &jerr) : NULL;
    free(text);
    json_t *parts = root ? json_object_get(root, "partitions") : NULL;
    if (!parts)
        return cli_error(CD_E_NOMEM, "layout.json");
    json_t *imgs = json_array();
    for (unsigned c = 0; c < nimages; c++) {
        char sha[65];
        json_t *o = json_object();
        cd_sha256_hex(im[c].raw, im[c].rawlen, sha);
        json_object_set_new(o, "chip", json_integer(c));
        json_object_set_new(o, "file", json_string(im[c].path));
        json_object_set_new(o, "sha256", json_string(sha));
        json_object_set_new(o, "layout", json_string(im[c].oob ? "data+oob" : "data"));
        json_array_append_new(imgs, o);
    }
    json_object_set_new(root, "images", imgs);

    size_t written = 0, skipped = 0;
    char skipped_list[256] = "";
    for (size_t i = 0; i < l->n; i++) {
        const struct cd_mtd_part *p = &l->parts[i];
        json_t *pj = json_array_get(parts, i);
        if (!want_file(cli, p)) {
            json_object_set_new(pj, "file", json_null());
            if (p->placed) {
                size_t len = strlen(skipped_list);
                if (len < sizeof(skipped_list) - 40)
                    snprintf(skipped_list + len, sizeof(skipped_list) - len, "%smtd%d \"%s\"",
                             skipped ? ", " : "", p->index, p->name);
                skipped++;
            }
            continue;
        }
        const uint8_t *buf;
        size_t len;
        bool with_oob;
        part_bytes(&im[p->chip], p, &buf, &len, &with_oob);
        cd_mtd_file_name(p, prefix, fname, sizeof(fname));
        snprintf(path, sizeof(path), "%s/%s", dir, fname);
        int r = cd_write_file_atomic(path, buf, len, cli->force);
        if (r) {
            json_decref(root);
            return cli_error(r, path);
        }
        char sha[65];
        cd_sha256_hex(buf, len, sha);
        json_object_set_new(pj, "file", json_string(fname));
        json_object_set_new(pj, "sha256", json_string(sha));
        json_object_set_new(pj, "file_layout", json_string(with_oob ? "data+oob" : "data"));
        if (im[p->chip].oob && !with_oob)
            json_object_set_new(pj, "file_note",
                                json_string("not page aligned: the file holds its data only"));
        if (im[p->chip].bad_blocks && im[p->chip].block) {
            json_t *bb = json_array();
            size_t k;
            json_t *v;
            json_array_foreach(im[p->chip].bad_blocks, k, v)
            {
                uint64_t b = (uint64_t)json_integer_value(v) * im[p->chip].block;
                if (b + im[p->chip].block > p->offset && b < p->offset + p->size)
                    json_array_append_new(bb, json_integer(json_integer_value(v)));
            }
            json_object_set_new(pj, "bad_blocks", bb);
        }
        cli_verbose(cli, "wrote %s\n", path);
        written++;
    }
    snprintf(path, sizeof(path), "%s/layout.json", dir);
    char *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!out)
        return cli_error(CD_E_NOMEM, "layout.json");
    size_t olen = strlen(out);
    out[olen] = '\n'; /* dumps leaves room for the NUL: end the file with a newline */
    int r = cd_write_file_atomic(path, out, olen + 1, cli->force);
    out[olen] = '\0';
    if (!r && cli->json)
        printf("%s\n", out);
    free(out);
    if (r)
        return cli_error(r, path);
    cli_info(cli, "wrote %zu partition file(s) and layout.json to %s\n", written, dir);
    if (skipped) {
        fprintf(stderr,
                "chipdump: %zu partition(s) not written because their offsets are not certain: "
                "%s%s. Give --dmesg or --mtdparts, or --guess to write them anyway\n",
                skipped, skipped_list, skipped > 4 ? ", ..." : "");
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* The first partition (lowest offset) that does not fit in its chip's image. */
static int check_fits(const struct cd_mtd_layout *l, const struct image *im, unsigned nimages)
{
    const struct cd_mtd_part *worst = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct cd_mtd_part *p = &l->parts[i];
        if (!p->placed || p->chip >= nimages || p->offset + p->size <= im[p->chip].datalen)
            continue;
        if (!worst || p->offset < worst->offset)
            worst = p;
    }
    if (!worst)
        return EXIT_OK;
    fprintf(stderr,
            "chipdump: %s holds 0x%llx bytes of data, but mtd%d \"%s\" runs 0x%llx-0x%llx: the "
            "image is shorter than the layout (a partial read, or a table from another box?)\n",
            im[worst->chip].path, (unsigned long long)im[worst->chip].datalen, worst->index,
            worst->name, (unsigned long long)worst->offset,
            (unsigned long long)(worst->offset + worst->size));
    return EXIT_USAGE;
}

int cmd_split(struct cli *cli)
{
    struct mtd_sources src;
    struct image im[CD_MTD_MAX_CHIPS];
    unsigned nimages = 0;
    struct cd_mtd_layout *l = NULL;
    struct cd_mtd_opts o;
    uint64_t sizes[CD_MTD_MAX_CHIPS];
    unsigned nsizes = 0;
    memset(im, 0, sizeof(im));

    if ((unsigned)cli->argc > CD_MTD_MAX_CHIPS) {
        fprintf(stderr, "chipdump: split takes at most %d images (one per chip)\n",
                CD_MTD_MAX_CHIPS);
        return EXIT_USAGE;
    }
    int st = parse_flash_sizes(cli->flash_size, sizes, &nsizes);
    if (st || (st = sources_load(cli, &src)))
        return st;
    if (cli->chip_name && !cli->chip) {
        int r = cd_chipdb_find_name(cli->db, cli->chip_name, &cli->chip);
        if (r) {
            st = cli_error(r, "--chip");
            goto out;
        }
    }
    opts_from(&src, &o);
    for (unsigned c = 0; c < nsizes; c++) {
        o.chip_size[c] = sizes[c];
        o.chip_size_source[c] = CD_MTD_SIZE_GIVEN;
    }
    for (int a = 0; a < cli->argc; a++) {
        if ((st = image_load(cli, cli->argv[a], &im[a]))) {
            image_free(&im[a]);
            goto out;
        }
        nimages++;
    }
    for (unsigned a = 0; a < nimages; a++) {
        if (o.chip_size[a] && o.chip_size[a] != im[a].datalen) {
            fprintf(stderr,
                    "chipdump: --flash-size says chip %u has 0x%llx bytes but %s holds "
                    "0x%llx\n",
                    a, (unsigned long long)o.chip_size[a], im[a].path,
                    (unsigned long long)im[a].datalen);
            st = EXIT_USAGE;
            goto out;
        }
    }
    if (nimages) {
        /* first the layout the sources give: an image too short for it is its own error */
        int r = cd_mtd_layout_build(&o, &l);
        if (!r && nimages == l->nchips && (st = check_fits(l, im, nimages)))
            goto out;
        cd_mtd_layout_free(l);
        l = NULL;
    }
    for (unsigned a = 0; a < nimages; a++) {
        o.chip_size[a] = im[a].datalen;
        o.chip_size_source[a] = CD_MTD_SIZE_IMAGE;
        o.image[a] = im[a].data;
        o.image_len[a] = im[a].datalen;
    }
    int r = cd_mtd_layout_build(&o, &l);
    if (r) {
        st = cli_error(r, "partition layout");
        goto out;
    }
    if (nimages && nimages != l->nchips) {
        fprintf(stderr,
                "chipdump: the table describes %u chip(s) but %u image(s) were given: "
                "give one image per chip, in table order\n",
                l->nchips, nimages);
        st = EXIT_USAGE;
        goto out;
    }
    if (!nimages) {
        if (cli->json) {
            char *text = cd_mtd_layout_json(l);
            if (!text) {
                st = cli_error(CD_E_NOMEM, "json");
                goto out;
            }
            printf("%s\n", text);
            free(text);
        } else {
            print_table(cli, l);
        }
        print_messages(cli, l);
        goto out;
    }
    if ((st = check_fits(l, im, nimages)))
        goto out;
    print_messages(cli, l);
    if (!cli->json && cli->verbosity >= 0)
        print_table(cli, l);
    st = write_parts(cli, l, im, nimages);
out:
    cd_mtd_layout_free(l);
    for (unsigned c = 0; c < nimages; c++)
        image_free(&im[c]);
    sources_free(&src);
    return st;
}

/* ---- read/write/erase --partition ---- */

/* Lay out the table with what is known of the chips (chip may be NULL) and find NAME. */
static int partition_find(struct cli *cli, const struct cd_chip *chip, struct cd_mtd_layout **out,
                          const struct cd_mtd_part **found)
{
    struct mtd_sources src;
    struct cd_mtd_opts o;
    uint64_t sizes[CD_MTD_MAX_CHIPS];
    unsigned nsizes = 0;
    *out = NULL;
    int st = parse_flash_sizes(cli->flash_size, sizes, &nsizes);
    if (st || (st = sources_load(cli, &src)))
        return st;
    opts_from(&src, &o);
    for (unsigned c = 0; c < nsizes; c++) {
        o.chip_size[c] = sizes[c];
        o.chip_size_source[c] = CD_MTD_SIZE_GIVEN;
    }
    struct cd_mtd_layout *l = NULL;
    const struct cd_mtd_part *p = NULL;
    int r = cd_mtd_layout_build(&o, &l);
    if (r && chip && !nsizes) {
        /* e.g. an mtdparts '-' needs the chip's size: take the programmer's chip as chip 0 */
        o.chip_size[0] = chip->size;
        o.chip_size_source[0] = CD_MTD_SIZE_GIVEN;
        r = cd_mtd_layout_build(&o, &l);
    }
    if (!r)
        r = cd_mtd_find(l, cli->partition, &p);
    if (!r && chip && l->chips[p->chip].size && l->chips[p->chip].size != chip->size) {
        fprintf(stderr,
                "chipdump: --partition: mtd%d \"%s\" is on the table's chip %u of 0x%llx bytes, "
                "but %s has 0x%llx: is the table from this box (and this chip)?\n",
                p->index, p->name, p->chip, (unsigned long long)l->chips[p->chip].size, chip->name,
                (unsigned long long)chip->size);
        cd_mtd_layout_free(l);
        sources_free(&src);
        return EXIT_USAGE;
    }
    if (!r && chip && !o.chip_size[p->chip]) {
        /* the chip on the programmer is the partition's chip: its size helps the layout */
        char idx[24];
        snprintf(idx, sizeof(idx), "mtd%d", p->index);
        bool by_index = !strcmp(p->name, cli->partition) ? false : true;
        o.chip_size[p->chip] = chip->size;
        o.chip_size_source[p->chip] = CD_MTD_SIZE_GIVEN;
        cd_mtd_layout_free(l);
        l = NULL;
        r = cd_mtd_layout_build(&o, &l);
        if (!r)
            r = cd_mtd_find(l, by_index ? idx : cli->partition, &p);
    }
    sources_free(&src);
    if (r) {
        cd_mtd_layout_free(l);
        return cli_error(r, "--partition");
    }
    *out = l;
    *found = p;
    return EXIT_OK;
}

/* Does any source name the partition (a name, or mtdN of /proc/mtd or of the order)? */
static bool sources_name(const struct mtd_sources *s, const char *want)
{
    unsigned n;
    char tail;
    bool by_index = sscanf(want, "mtd%u%c", &n, &tail) == 1;
    if (s->have_table)
        for (size_t i = 0; i < s->table.n; i++)
            if (!strcasecmp(s->table.entries[i].name, want) ||
                (by_index && s->table.entries[i].index == (int)n))
                return true;
    const struct cd_mtd_exact *x[2] = {s->have_dmesg ? &s->dmesg : NULL,
                                       s->have_mtdparts ? &s->mtdparts : NULL};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; x[k] && i < x[k]->n; i++)
            if (!strcasecmp(x[k]->parts[i].name, want) || (by_index && !s->have_table && i == n))
                return true;
    return false;
}

int cli_partition_check(struct cli *cli)
{
    if (cli->range) {
        fprintf(stderr, "chipdump: give --range or --partition, not both\n");
        return EXIT_USAGE;
    }
    /* before the device is opened: the sources parse and name the partition */
    struct mtd_sources src;
    uint64_t sizes[CD_MTD_MAX_CHIPS];
    unsigned nsizes;
    int st = parse_flash_sizes(cli->flash_size, sizes, &nsizes);
    if (st || (st = sources_load(cli, &src)))
        return st;
    if (!sources_name(&src, cli->partition)) {
        fprintf(stderr, "chipdump: --partition: no partition \"%s\" in the table given\n",
                cli->partition);
        st = EXIT_USAGE;
    }
    sources_free(&src);
    return st;
}

int cli_partition_resolve(struct cli *cli)
{
    static char range[64]; /* --range as if given; lives as long as cli */
    struct cd_mtd_layout *l = NULL;
    const struct cd_mtd_part *p = NULL;
    const struct cd_chip *c = cli->chip;
    int st = partition_find(cli, c, &l, &p);
    if (st)
        return st;
    if (!p->placed) {
        fprintf(stderr, "chipdump: mtd%d \"%s\" has no range on the chip: %s\n", p->index, p->name,
                p->note);
        st = EXIT_USAGE;
        goto out;
    }
    if (!p->certain && !cli->guess) {
        fprintf(stderr,
                "chipdump: the offset of mtd%d \"%s\" is not certain (%s); give --dmesg or "
                "--mtdparts, or --guess to use 0x%llx anyway\n",
                p->index, p->name, p->note, (unsigned long long)p->offset);
        st = EXIT_USAGE;
        goto out;
    }
    if (p->offset + p->size > c->size) {
        fprintf(stderr,
                "chipdump: mtd%d \"%s\" (0x%llx-0x%llx) lies past the end of %s (0x%llx bytes): "
                "is the table from this box?\n",
                p->index, p->name, (unsigned long long)p->offset,
                (unsigned long long)(p->offset + p->size), c->name, (unsigned long long)c->size);
        st = EXIT_USAGE;
        goto out;
    }
    /* NAND works in whole blocks; NOR writes and erases in whole erase blocks */
    bool nand = c->type == CD_CHIP_NAND;
    bool changes =
        cli->command && (!strcmp(cli->command, "write") || !strcmp(cli->command, "erase"));
    uint64_t block = nand ? (uint64_t)c->page_size * c->pages_per_block
                          : (changes && cli->flash ? cd_flash_min_erase(cli->flash) : 0);
    if (block && (p->offset % block || p->size % block)) {
        fprintf(stderr,
                "chipdump: mtd%d \"%s\" (0x%llx+0x%llx) does not start and end on %llu-byte erase "
                "blocks (the kernel keeps such partitions read-only); %s its container \"%s\" "
                "instead\n",
                p->index, p->name, (unsigned long long)p->offset, (unsigned long long)p->size,
                (unsigned long long)block, cli->command ? cli->command : "use", parent_name(l, p));
        st = EXIT_USAGE;
        goto out;
    }
    snprintf(range, sizeof(range), "0x%llx:0x%llx", (unsigned long long)p->offset,
             (unsigned long long)p->size);
    cli->range = range;
    cli_info(cli, "partition mtd%d \"%s\": 0x%llx+0x%llx (%s%s)\n", p->index, p->name,
             (unsigned long long)p->offset, (unsigned long long)p->size,
             cd_mtd_method_name(p->method), p->certain ? "" : ", guessed");
out:
    cd_mtd_layout_free(l);
    return st;
}
