/* Layout lookups, partition file names and the layout's JSON. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "chipdump/error.h"
#include "mtd_internal.h"

int cd_mtd_find(const struct cd_mtd_layout *l, const char *name, const struct cd_mtd_part **out)
{
    *out = NULL;
    if (!l || !name || !*name)
        return cd_fail(CD_E_ARG, "no partition name");
    /* "mtdN" names the device number, unless a partition is literally called so */
    unsigned n;
    char tail;
    bool by_index = sscanf(name, "mtd%u%c", &n, &tail) == 1;
    for (int pass = 0; pass < 3; pass++) {
        const struct cd_mtd_part *found = NULL;
        char list[256] = "";
        size_t len = 0, count = 0;
        for (size_t i = 0; i < l->n; i++) {
            const struct cd_mtd_part *p = &l->parts[i];
            bool hit = pass == 0   ? !strcmp(p->name, name)
                       : pass == 1 ? by_index && p->index == (int)n
                                   : !strcasecmp(p->name, name);
            if (!hit)
                continue;
            count++;
            found = p;
            if (len < sizeof(list) - 24)
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%smtd%d", len ? ", " : "",
                                        p->index);
        }
        if (count == 1) {
            *out = found;
            return CD_OK;
        }
        if (count > 1)
            return cd_fail(CD_E_ARG, "%zu partitions are called \"%s\" (%s): name one as mtdN",
                           count, name, list);
    }
    char names[300] = "";
    size_t len = 0;
    for (size_t i = 0; i < l->n && len < sizeof(names) - 40; i++)
        len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
                                l->parts[i].name);
    return cd_fail(CD_E_ARG, "no partition \"%s\" (the table has: %s)", name, names);
}

void cd_mtd_file_name(const struct cd_mtd_part *p, bool prefix_chip, char *buf, size_t bufsize)
{
    char clean[65];
    size_t o = 0;
    for (const char *s = p->name; *s && o < sizeof(clean) - 1; s++) {
        unsigned char c = (unsigned char)*s;
        clean[o++] = (isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-') && c < 0x80
                         ? (char)c
                         : '_';
    }
    clean[o] = '\0';
    if (!o)
        snprintf(clean, sizeof(clean), "unnamed");
    if (prefix_chip && p->chip)
        snprintf(buf, bufsize, "chip%u_mtd%d_%s.bin", p->chip, p->index, clean);
    else
        snprintf(buf, bufsize, "mtd%d_%s.bin", p->index, clean);
}

/* Add a string member; bytes that are not UTF-8 become '?'. */
static int set_str(json_t *o, const char *key, const char *s)
{
    json_t *v = json_string(s);
    if (!v) {
        char *copy = strdup(s);
        if (!copy)
            return -1;
        for (char *p = copy; *p; p++)
            if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
                *p = '?';
        v = json_string(copy);
        free(copy);
    }
    return json_object_set_new(o, key, v);
}

static json_t *num(uint64_t x)
{
    return x > (uint64_t)LLONG_MAX ? json_null() : json_integer((json_int_t)x);
}

char *cd_mtd_layout_json(const struct cd_mtd_layout *l)
{
    json_t *root = json_object(), *parts = json_array(), *chips = json_array(),
           *msgs = json_array();
    char *text = NULL;
    if (!root || !parts || !chips || !msgs)
        goto out;
    uint64_t total = 0;
    bool known = l->nchips > 0;
    for (unsigned c = 0; c < l->nchips; c++) {
        static const char *const src[] = {"unknown", "given", "image", "tiling", "log"};
        json_t *cj = json_object();
        if (!cj || json_array_append_new(chips, cj) || json_object_set_new(cj, "chip", num(c)) ||
            json_object_set_new(cj, "size",
                                l->chips[c].size ? num(l->chips[c].size) : json_null()) ||
            set_str(cj, "size_from", src[l->chips[c].size_source]))
            goto out;
        total += l->chips[c].size;
        known &= l->chips[c].size != 0;
    }
    if (json_object_set_new(root, "flash_size", known ? num(total) : json_null()))
        goto out;
    for (size_t i = 0; i < l->n; i++) {
        const struct cd_mtd_part *p = &l->parts[i];
        json_t *pj = json_object();
        if (!pj || json_array_append_new(parts, pj) ||
            json_object_set_new(pj, "index", json_integer(p->index)) ||
            set_str(pj, "name", p->name) ||
            json_object_set_new(pj, "offset", p->placed ? num(p->offset) : json_null()) ||
            json_object_set_new(pj, "size", num(p->size)) ||
            json_object_set_new(pj, "erasesize", json_integer(p->erasesize)) ||
            json_object_set_new(pj, "parent",
                                p->parent >= 0 ? json_integer(l->parts[p->parent].index)
                                               : json_null()) ||
            json_object_set_new(pj, "chip", json_integer(p->chip)) ||
            set_str(pj, "method", cd_mtd_method_name(p->method)) ||
            json_object_set_new(pj, "certain", json_boolean(p->placed && p->certain)) ||
            set_str(pj, "note", p->note) || (p->content[0] && set_str(pj, "content", p->content)))
            goto out;
    }
    for (size_t i = 0; i < l->nmessages; i++) {
        json_t *s = json_string(l->messages[i]);
        if (json_array_append_new(msgs, s ? s : json_string("?")))
            goto out;
    }
    json_t *p = parts, *c = chips, *m = msgs;
    parts = chips = msgs = NULL;
    if (json_object_set_new(root, "partitions", p) || json_object_set_new(root, "chips", c) ||
        json_object_set_new(root, "messages", m))
        goto out;
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
    json_decref(parts);
    json_decref(chips);
    json_decref(msgs);
    json_decref(root);
    return text;
}
