/* JSON and text descriptions of a chip row, shared by `chips` and `probe`. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "chipjson.h"

json_t *chip_to_json(const struct cd_chip *c)
{
    char id[2 * CD_MAX_ID_LEN + 1];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(c->name ? c->name : ""));
    json_object_set_new(o, "vendor", json_string(c->vendor ? c->vendor : ""));
    json_object_set_new(o, "type", json_string(cd_chip_type_name(c->type)));
    json_object_set_new(o, "jedec_id", json_string(cd_chip_id_hex(c, id, sizeof(id))));
    json_object_set_new(o, "size", json_integer((json_int_t)c->size));
    json_object_set_new(o, "page_size", json_integer(c->page_size));
    json_t *aliases = json_array();
    for (unsigned i = 0; i < c->naliases; i++)
        json_array_append_new(aliases, json_string(c->aliases[i]));
    json_object_set_new(o, "aliases", aliases);
    if (c->vmax_mv) {
        json_object_set_new(o, "voltage_min", json_real(c->vmin_mv / 1000.0));
        json_object_set_new(o, "voltage_max", json_real(c->vmax_mv / 1000.0));
    }
    if (c->type == CD_CHIP_NOR) {
        json_t *er = json_array();
        for (unsigned i = 0; i < c->nerase; i++)
            json_array_append_new(er, json_integer(c->erase[i].size));
        json_object_set_new(o, "erase_sizes", er);
        json_object_set_new(o, "address_bytes", json_integer(c->size > (1u << 24) ? 4 : 3));
    } else {
        json_object_set_new(o, "read_id", json_string(cd_readid_form_name(c->readid)));
        json_object_set_new(o, "oob_size", json_integer(c->oob_size));
        json_object_set_new(o, "pages_per_block", json_integer(c->pages_per_block));
        json_object_set_new(o, "blocks", json_integer((json_int_t)c->blocks_per_die * c->dies));
        json_object_set_new(o, "planes", json_integer(c->planes));
        json_object_set_new(o, "dies", json_integer(c->dies));
        json_object_set_new(o, "ecc_strength", json_integer(c->ecc_strength));
        json_object_set_new(o, "ecc_step", json_integer(c->ecc_step));
        if (c->ecc_status)
            json_object_set_new(o, "ecc_status", json_string(c->ecc_status));
        static const char *const die_sel[] = {"none", "c2", "d0"}, *const cont[] = {"none", "buf",
                                                                                    "cr"};
        json_object_set_new(o, "cache_dummy",
                            json_string(c->cache_dummy_first ? "before" : "after"));
        json_object_set_new(o, "die_select", json_string(die_sel[c->die_select % 3]));
        json_object_set_new(o, "cont_read", json_string(cont[c->cont_read % 3]));
    }
    if (c->source)
        json_object_set_new(o, "source", json_string(c->source));
    return o;
}

static const char *size_str(uint64_t n, char *buf, size_t sz)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    while (u < 3 && n >= 1024 && n % 1024 == 0) {
        n /= 1024;
        u++;
    }
    snprintf(buf, sz, "%llu %s", (unsigned long long)n, unit[u]);
    return buf;
}

void chip_print(FILE *out, const struct cd_chip *c)
{
    char id[2 * CD_MAX_ID_LEN + 1], s[32];
    fprintf(out, "name:       %s\n", c->name);
    if (c->naliases) {
        fprintf(out, "aliases:   ");
        for (unsigned i = 0; i < c->naliases; i++)
            fprintf(out, " %s", c->aliases[i]);
        fputc('\n', out);
    }
    fprintf(out, "vendor:     %s\n", c->vendor ? c->vendor : "?");
    fprintf(out, "type:       SPI-%s\n", c->type == CD_CHIP_NOR ? "NOR" : "NAND");
    fprintf(out, "ID:         %s", cd_chip_id_hex(c, id, sizeof(id)));
    if (c->type == CD_CHIP_NAND)
        fprintf(out, " (read ID form: %s)", cd_readid_form_name(c->readid));
    fputc('\n', out);
    fprintf(out, "size:       %s (%llu bytes)\n", size_str(c->size, s, sizeof(s)),
            (unsigned long long)c->size);
    fprintf(out, "page:       %u bytes\n", c->page_size);
    if (c->type == CD_CHIP_NOR) {
        fprintf(out, "erase:     ");
        for (unsigned i = 0; i < c->nerase; i++)
            fprintf(out, " %s (%02Xh)", size_str(c->erase[i].size, s, sizeof(s)),
                    c->erase[i].opcode);
        if (c->chip_erase_opcode)
            fprintf(out, " chip (%02Xh)", c->chip_erase_opcode);
        fputc('\n', out);
        fprintf(out, "addressing: %s\n",
                c->size > (1u << 24) || (c->addr4 & CD_ADDR4_ONLY)
                    ? (c->addr4 & CD_ADDR4_OPCODES ? "4-byte (dedicated opcodes)"
                                                   : "4-byte (EN4B mode)")
                    : "3-byte");
    } else {
        fprintf(out, "OOB:        %u bytes per page\n", c->oob_size);
        fprintf(out, "geometry:   %u pages/block, %u blocks/die, %u plane(s), %u die(s)\n",
                c->pages_per_block, c->blocks_per_die, c->planes, c->dies);
        fprintf(out, "ECC:        %u bits per %u bytes, status decoder %s\n", c->ecc_strength,
                c->ecc_step, c->ecc_status ? c->ecc_status : "?");
        if (c->cache_dummy_first)
            fprintf(out, "cache read: dummy byte before the column (03h)\n");
        if (c->dies > 1)
            fprintf(out, "dies:       %s\n",
                    c->die_select == CD_DIE_SELECT_C2 ? "DIE SELECT C2h" : "SET FEATURE D0h bit 6");
        if (c->cont_read)
            fprintf(out, "cont. read: on at power-up; off with CFG %s\n",
                    c->cont_read == CD_CONT_READ_BUF ? "BUF (bit 3) = 1" : "CR (bit 0) = 0");
    }
    if (c->vmax_mv)
        fprintf(out, "voltage:    %.2f-%.2f V\n", c->vmin_mv / 1000.0, c->vmax_mv / 1000.0);
    if (c->source)
        fprintf(out, "source:     %s\n", c->source);
    if (c->origin_file)
        fprintf(out, "row:        %s:%d\n", c->origin_file, c->origin_line);
}
