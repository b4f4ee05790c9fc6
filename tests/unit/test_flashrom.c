/* libflashrom backend: flashrom's chip names, its chip list, and the check against a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chipdump/chipdump.h"
#include "chipdump/flashrom.h"

static void name_conventions(void **state)
{
    (void)state;
    /* '.' is one character */
    assert_true(cd_flashrom_name_matches("W25Q128.V", "W25Q128JV"));
    assert_true(cd_flashrom_name_matches("W25Q128.V", "w25q128fv"));
    assert_false(cd_flashrom_name_matches("W25Q128.V", "W25Q128JW"));
    assert_false(cd_flashrom_name_matches("W25Q128.V", "W25Q128V"));
    assert_false(cd_flashrom_name_matches("W25Q128.V..M", "W25Q128JV"));
    assert_true(cd_flashrom_name_matches("W25Q128.V..M", "W25Q128JV-IM"));
    /* optional groups, with alternatives inside */
    assert_true(cd_flashrom_name_matches("MX25L6405(D)", "MX25L6405"));
    assert_true(cd_flashrom_name_matches("MX25L6405(D)", "MX25L6405D"));
    assert_false(cd_flashrom_name_matches("MX25L6405(D)", "MX25L6405E"));
    assert_true(cd_flashrom_name_matches("MX25L4005(A/C)/MX25L4006E", "MX25L4005C"));
    assert_true(cd_flashrom_name_matches("MX25L4005(A/C)/MX25L4006E", "MX25L4006E"));
    assert_true(cd_flashrom_name_matches("EN25Q32(A/B)", "EN25Q32B"));
    /* '/' lists names; a short piece replaces the end of the one before */
    assert_true(cd_flashrom_name_matches("MX25L3206E/MX25L3208E", "MX25L3208E"));
    assert_true(cd_flashrom_name_matches("S25FL032A/P", "S25FL032P"));
    assert_true(cd_flashrom_name_matches("S25FL032A/P", "S25FL032A"));
    assert_true(cd_flashrom_name_matches("MX25U3235E/F", "MX25U3235F"));
    assert_false(cd_flashrom_name_matches("S25FL032A/P", "P"));
    /* qualifiers after - _ or space */
    assert_true(cd_flashrom_name_matches("W25Q256JV_Q", "W25Q256JV"));
    assert_true(cd_flashrom_name_matches("S25FL127S-64kB", "S25FL127S"));
    assert_true(cd_flashrom_name_matches("S25FL256S Large Sectors", "S25FL256S"));
    assert_false(cd_flashrom_name_matches("M25P40-old", "M25P4"));
    assert_false(cd_flashrom_name_matches("GD25Q128C", "GD25Q128"));
}

static const struct cd_flashrom_chip *find(const struct cd_flashrom_chip *v, size_t n,
                                           const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

static void chip_list_and_bus(void **state)
{
    (void)state;
    struct cd_flashrom_chip *v;
    size_t n;
    assert_int_equal(cd_flashrom_chips(&v, &n), CD_OK);
    assert_true(n > 300);
    const struct cd_flashrom_chip *w = find(v, n, "W25Q128.V");
    assert_non_null(w);
    assert_true(w->spi);
    assert_false(w->generic);
    assert_int_equal(w->size, 16 * 1024 * 1024);
    const struct cd_flashrom_chip *par = find(v, n, "Am29F010");
    assert_non_null(par);
    assert_false(par->spi); /* parallel */
    const struct cd_flashrom_chip *lpc = find(v, n, "A49LF040A");
    assert_non_null(lpc);
    assert_false(lpc->spi);
    const struct cd_flashrom_chip *gen = find(v, n, "unknown SPI chip (RDID)");
    assert_non_null(gen);
    assert_true(gen->generic);
    cd_flashrom_chips_free(v);
}

static char msgs[1 << 17];
static void collect(void *user, const char *msg)
{
    (void)user;
    size_t have = strlen(msgs), n = strlen(msg);
    if (have + n + 2 > sizeof(msgs))
        return;
    memcpy(msgs + have, msg, n);
    memcpy(msgs + have + n, "\n", 2);
}

/* A tiny database: one right row, one with flashrom's size wrong, flashrom's other chips
 * allowed out wholesale by a generated allow-list. */
static void check_finds_problems(void **state)
{
    (void)state;
    struct cd_chipdb *db;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    const char *rows = "[W25Q128JV]\nvendor = Winbond\ntype = nor\nid = EF 40 18\nsize = 16M\n"
                       "page = 256\nerase = 4K:20 64K:D8\nvoltage = 2.7-3.6\nsource = test\n\n"
                       "[MX25L6405D]\nvendor = Macronix\ntype = nor\nid = C2 20 17\nsize = 4M\n"
                       "page = 256\nerase = 4K:20 64K:D8\nvoltage = 2.7-3.6\nsource = test\n";
    assert_int_equal(cd_chipdb_add_text(db, rows, "test.ini"), CD_OK);

    struct cd_flashrom_chip *v;
    size_t n;
    assert_int_equal(cd_flashrom_chips(&v, &n), CD_OK);
    size_t cap = 1 << 16, len = 0;
    char *allow = malloc(cap);
    assert_non_null(allow);
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!v[i].spi || v[i].generic || !strcmp(v[i].name, "W25Q128.V") ||
            !strncmp(v[i].name, "MX25L6405", 9))
            continue;
        len += (size_t)snprintf(allow + len, cap - len, "lack | %s | test\n", v[i].name);
    }
    cd_flashrom_chips_free(v);

    /* MX25L6405D is 8 MiB, the row says 4M; flashrom's older "MX25L6405" has no row */
    struct cd_flashrom_check_stats st;
    msgs[0] = '\0';
    long p = cd_flashrom_check(db, allow, "allow.txt", collect, NULL, &st);
    assert_int_equal(p, 2);
    assert_non_null(strstr(msgs, "MX25L6405D is 4096 KiB but flashrom's Macronix MX25L6405D is "
                                 "8192 KiB"));
    assert_non_null(strstr(msgs, "flashrom lists SPI chip Macronix MX25L6405 (8192 KiB) and "
                                 "the database has no row for it"));
    assert_int_equal(st.matched, 2);

    /* 'size' and 'lack' lines accept them; lines that explain nothing are problems */
    len += (size_t)snprintf(allow + len, cap - len,
                            "lack | MX25L6405 | test\nsize | MX25L6405D | test\n"
                            "lack | W25Q128.V | stale\nlack | NOSUCHCHIP | stale\n");
    msgs[0] = '\0';
    p = cd_flashrom_check(db, allow, "allow.txt", collect, NULL, &st);
    assert_int_equal(p, 2);
    assert_non_null(strstr(msgs, "'lack | W25Q128.V' is no longer needed"));
    assert_non_null(strstr(msgs, "flashrom lists no SPI chip named 'NOSUCHCHIP'"));

    /* a malformed allow-list is an error naming the line */
    assert_int_equal(cd_flashrom_check(db, "lack W25Q128.V\n", "bad.txt", collect, NULL, &st),
                     CD_E_CHIPDB);
    assert_non_null(strstr(cd_error_detail(), "bad.txt:1"));
    free(allow);
    cd_chipdb_free(db);
}

/* A database row flashrom lists under another name: rows that carry none of flashrom's
 * spellings are not matched, so the check reports the flashrom chip as missing. */
static void check_reports_missing(void **state)
{
    (void)state;
    struct cd_chipdb *db;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    msgs[0] = '\0';
    long p = cd_flashrom_check(db, "", "empty.txt", collect, NULL, NULL);
    assert_true(p > 300);
    assert_non_null(strstr(msgs, "flashrom lists SPI chip Winbond W25Q128.V (16384 KiB)"));
    assert_null(strstr(msgs, "Am29F010")); /* parallel chips are not our business */
    cd_chipdb_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(name_conventions),
        cmocka_unit_test(chip_list_and_bus),
        cmocka_unit_test(check_finds_problems),
        cmocka_unit_test(check_reports_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
