/*
 * Real partition tables (one directory each under tests/data/mtd): every scenario must come out as
 * expected — certain rows at the right offset with the right parent, doubtful rows reported as not
 * certain. See tests/data/mtd/README.md for the file formats and the sources.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chipdump/error.h"
#include "chipdump/flash.h"
#include "chipdump/mtd.h"
#include "chipdump/output.h"

static char data_dir[4096];

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[8192];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    uint8_t *buf;
    size_t n;
    if (cd_read_file(path, &buf, &n))
        return NULL;
    char *s = realloc(buf, n + 1);
    if (!s) {
        free(buf);
        return NULL;
    }
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

static bool has_word(const char *line, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = strstr(line, w); p; p = strstr(p + 1, w))
        if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
            return true;
    return false;
}

/* Run one expected*.tsv; returns the number of mismatches (printed). */
static int run_scenario(const char *dir, const char *file)
{
    char *exp = slurp(dir, file, NULL);
    assert_non_null(exp);
    bool use_mtd = true, use_dmesg = true, use_mtdparts = true;
    struct cd_mtd_opts o;
    memset(&o, 0, sizeof(o));
    int bad = 0;

    /* header comments */
    char *save = NULL;
    char *line = strtok_r(exp, "\n", &save);
    for (; line && line[0] == '#'; line = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(line, "# use:", 6)) {
            use_mtd = has_word(line + 6, "mtd");
            use_dmesg = has_word(line + 6, "dmesg");
            use_mtdparts = has_word(line + 6, "mtdparts");
        } else if (!strncmp(line, "# flash-size:", 13)) {
            char *sizes = line + 13, *s2 = NULL;
            unsigned c = 0;
            for (char *tok = strtok_r(sizes, ", ", &s2); tok && c < CD_MTD_MAX_CHIPS;
                 tok = strtok_r(NULL, ", ", &s2)) {
                assert_int_equal(cd_parse_size(tok, &o.chip_size[c]), CD_OK);
                o.chip_size_source[c++] = CD_MTD_SIZE_GIVEN;
            }
        }
    }
    struct cd_mtd_table t;
    struct cd_mtd_exact d, m;
    size_t len;
    char *txt;
    if (use_mtd && (txt = slurp(dir, "mtd.txt", &len))) {
        if (cd_mtd_parse_proc(txt, len, "mtd.txt", &t)) {
            print_error("%s: mtd.txt: %s\n", dir, cd_error_detail());
            bad++;
        } else {
            o.table = &t;
        }
        free(txt);
    }
    if (use_dmesg && (txt = slurp(dir, "dmesg.txt", &len))) {
        if (cd_mtd_parse_dmesg(txt, len, "dmesg.txt", &d)) {
            print_error("%s: dmesg.txt: %s\n", dir, cd_error_detail());
            bad++;
        } else {
            o.dmesg = &d;
        }
        free(txt);
    }
    if (use_mtdparts && (txt = slurp(dir, "mtdparts.txt", &len))) {
        if (cd_mtd_parse_mtdparts(txt, &m)) {
            print_error("%s: mtdparts.txt: %s\n", dir, cd_error_detail());
            bad++;
        } else {
            o.mtdparts = &m;
        }
        free(txt);
    }
    struct cd_mtd_layout *l = NULL;
    if (!bad && cd_mtd_layout_build(&o, &l)) {
        print_error("%s/%s: layout: %s\n", dir, file, cd_error_detail());
        bad++;
    }
    size_t rows = 0;
    /* skip the column header */
    if (line && !strncmp(line, "index", 5))
        line = strtok_r(NULL, "\n", &save);
    for (; l && line; line = strtok_r(NULL, "\n", &save), rows++) {
        int index;
        char name[128], off[32], size[32], parent[16], certain[8];
        unsigned chip = 0;
        int nf = sscanf(line, "%d\t%127[^\t]\t%31s\t%31s\t%15s\t%7s\t%u", &index, name, off, size,
                        parent, certain, &chip);
        assert_true(nf >= 6);
        if (rows >= l->n) {
            print_error("%s/%s: expected mtd%d \"%s\", the layout has only %zu partitions\n", dir,
                        file, index, name, l->n);
            bad++;
            continue;
        }
        const struct cd_mtd_part *p = &l->parts[rows];
        bool want_certain = !strcmp(certain, "yes");
        char got[256];
        snprintf(got, sizeof(got), "mtd%d \"%s\" 0x%llx+0x%llx parent %d chip %u %s (%s)", p->index,
                 p->name, (unsigned long long)p->offset, (unsigned long long)p->size,
                 p->parent >= 0 ? l->parts[p->parent].index : -1, p->chip,
                 p->certain ? "certain" : "uncertain", cd_mtd_method_name(p->method));
        bool ok = p->index == index && !strcmp(p->name, name) &&
                  p->size == strtoull(size, NULL, 0) && p->certain == want_certain;
        if (ok && want_certain) {
            int want_parent = strcmp(parent, "-") ? atoi(parent) : -1;
            int got_parent = p->parent >= 0 ? l->parts[p->parent].index : -1;
            ok = p->placed && p->offset == strtoull(off, NULL, 0) && got_parent == want_parent &&
                 p->chip == chip;
        }
        if (!strcmp(off, "-"))
            ok = ok && !p->placed;
        if (!ok) {
            print_error("%s/%s: expected %s; got %s\n", dir, file, line, got);
            bad++;
        }
    }
    if (l && rows != l->n) {
        print_error("%s/%s: %zu rows expected, the layout has %zu\n", dir, file, rows, l->n);
        bad++;
    }
    if (bad && l)
        for (size_t i = 0; i < l->nmessages; i++)
            print_error("  message: %s\n", l->messages[i]);
    cd_mtd_layout_free(l);
    if (o.table)
        cd_mtd_table_free(&t);
    if (o.dmesg)
        cd_mtd_exact_free(&d);
    if (o.mtdparts)
        cd_mtd_exact_free(&m);
    free(exp);
    return bad;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_all_tables(void **state)
{
    (void)state;
    DIR *top = opendir(data_dir);
    assert_non_null(top);
    char *names[256];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(top)) && nn < 256)
        if (e->d_name[0] != '.')
            names[nn++] = strdup(e->d_name);
    closedir(top);
    qsort(names, nn, sizeof(*names), cmp_str);
    int bad = 0, scenarios = 0;
    for (size_t i = 0; i < nn; i++) {
        char dir[8192];
        snprintf(dir, sizeof(dir), "%s/%s", data_dir, names[i]);
        struct stat st;
        if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
            free(names[i]);
            continue;
        }
        DIR *dd = opendir(dir);
        assert_non_null(dd);
        while ((e = readdir(dd))) {
            if (strncmp(e->d_name, "expected", 8) || !strstr(e->d_name, ".tsv"))
                continue;
            scenarios++;
            bad += run_scenario(dir, e->d_name);
        }
        closedir(dd);
        free(names[i]);
    }
    print_message("%d table scenarios checked\n", scenarios);
    assert_true(scenarios >= 20);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const char *src = getenv("CHIPDUMP_SOURCE_DIR");
    snprintf(data_dir, sizeof(data_dir), "%s/tests/data/mtd", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
