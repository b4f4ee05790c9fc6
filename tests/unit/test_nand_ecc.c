/*
 * The ECC-status decoders of nand_ecc.c, fed literal status bytes as the Linux vendor drivers
 * define them (not the NAND model's encoder), plus the contract with chipdb_check.c: the names
 * `chips check` accepts are exactly the decoders that exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chipdump/chipdump.h"
#include "nand_ecc.h"

/* A register file for read_reg: what the decoder may read after the status. */
struct regs {
    uint8_t r30, rf0, eccsr;
    unsigned reads;
    uint16_t last;
    int fail; /* error to return instead */
};

static int read_reg(void *user, uint16_t reg, uint8_t *val)
{
    struct regs *r = user;
    r->reads++;
    r->last = reg;
    if (r->fail)
        return r->fail;
    switch (reg) {
    case 0x30:
        *val = r->r30;
        return CD_OK;
    case 0xF0:
        *val = r->rf0;
        return CD_OK;
    case CD_NAND_REG_MX_ECCSR:
        *val = r->eccsr;
        return CD_OK;
    }
    fail_msg("decoder read unexpected register 0x%X", reg);
    return CD_E_IO;
}

struct vec {
    const char *decoder;
    uint8_t sr;
    struct regs regs;
    unsigned strength;
    int want;
    unsigned reads; /* extra registers the decoder must read */
};

#define UNC   CD_E_ECC_UNCORRECTABLE
#define PROTO CD_E_PROTOCOL

static const struct vec vecs[] = {
    /* core.c: 00 none, 01 corrected (report the strength), 10 failed, 11 undefined */
    {"generic", 0x00, {0}, 1, 0, 0},
    {"generic", 0x10, {0}, 1, 1, 0},
    {"generic", 0x13, {0}, 4, 4, 0}, /* OIP/WEL bits do not matter */
    {"generic", 0x20, {0}, 1, UNC, 0},
    {"generic", 0x30, {0}, 1, PROTO, 0},
    {"zetta", 0x10, {0}, 1, 1, 0},
    /* winbond.c w25n02kv: 01/11 -> register 30h bits 7:4 */
    {"winbond-kv", 0x10, {.r30 = 0x30}, 8, 3, 1},
    {"winbond-kv", 0x30, {.r30 = 0x60}, 8, 6, 1},
    {"winbond-kv", 0x10, {.r30 = 0x00}, 8, 8, 1}, /* no count: the strength */
    {"winbond-kv", 0x10, {.r30 = 0xF0}, 4, 4, 1}, /* above the strength: the strength */
    {"winbond-kv", 0x20, {0}, 8, UNC, 0},
    {"winbond-kv", 0x00, {0}, 8, 0, 0},
    /* toshiba.c: same register */
    {"kioxia", 0x30, {.r30 = 0x50}, 8, 5, 1},
    {"kioxia", 0x10, {.r30 = 0x10}, 8, 1, 1},
    {"kioxia", 0x20, {0}, 8, UNC, 0},
    /* gigadevice.c gd5fxgq4xa: 01 = 1-7 (7), 11 = 8 */
    {"gd-xa", 0x10, {0}, 8, 7, 0},
    {"gd-xa", 0x30, {0}, 8, 8, 0},
    {"gd-xa", 0x20, {0}, 8, UNC, 0},
    /* gd5fxgq4uexxg: 01 -> (SR[5:4] << 2) | STATUS2[5:4] */
    {"gd-uexxg", 0x10, {.rf0 = 0x00}, 8, 4, 1},
    {"gd-uexxg", 0x10, {.rf0 = 0x10}, 8, 5, 1},
    {"gd-uexxg", 0x10, {.rf0 = 0x30}, 8, 7, 1},
    {"gd-uexxg", 0x30, {0}, 8, 8, 0},
    {"gd-uexxg", 0x20, {0}, 8, UNC, 0},
    /* gd5fxgq5xexxg: 01 -> 1 + STATUS2[5:4] */
    {"gd-q5", 0x10, {.rf0 = 0x00}, 4, 1, 1},
    {"gd-q5", 0x10, {.rf0 = 0x30}, 4, 4, 1},
    {"gd-q5", 0x20, {0}, 4, UNC, 0},
    {"gd-q5", 0x30, {0}, 4, PROTO, 0},
    /* gd5fxgq4ufxxg: bits 6:4 */
    {"gd-ufuc", 0x00, {0}, 8, 0, 0},
    {"gd-ufuc", 0x10, {0}, 8, 3, 0},
    {"gd-ufuc", 0x20, {0}, 8, 4, 0},
    {"gd-ufuc", 0x60, {0}, 8, 8, 0},
    {"gd-ufuc", 0x70, {0}, 8, UNC, 0},
    /* macronix.c: 01 -> 7Ch ECCSR bits 3:0 */
    {"mx-7c", 0x10, {.eccsr = 0x02}, 4, 2, 1},
    {"mx-7c", 0x10, {.eccsr = 0xF3}, 8, 3, 1}, /* bits 7:4 are another count */
    {"mx-7c", 0x10, {.eccsr = 0x00}, 4, 4, 1},
    {"mx-7c", 0x20, {0}, 4, UNC, 0},
    {"mx-7c", 0x30, {0}, 4, PROTO, 0},
    /* micron.c micron_8: bits 6:4 */
    {"micron", 0x10, {0}, 8, 3, 0},
    {"micron", 0x30, {0}, 8, 6, 0},
    {"micron", 0x50, {0}, 8, 8, 0},
    {"micron", 0x20, {0}, 8, UNC, 0},
    {"micron", 0x40, {0}, 8, PROTO, 0},
    {"micron", 0x70, {0}, 8, PROTO, 0},
    /* xtx.c xt26g0xa: bits 5:2 */
    {"xtx-a", 0x04, {0}, 8, 1, 0},
    {"xtx-a", 0x1C, {0}, 8, 7, 0},
    {"xtx-a", 0x30, {0}, 8, 8, 0},
    {"xtx-a", 0x20, {0}, 8, UNC, 0},
    {"xtx-a", 0x24, {0}, 8, PROTO, 0},
    {"xtx-a", 0x3C, {0}, 8, PROTO, 0},
    /* xtx.c xt26xxxd: 01 -> 4 + SR[7:6] */
    {"xtx-d", 0x10, {0}, 8, 4, 0},
    {"xtx-d", 0x50, {0}, 8, 5, 0},
    {"xtx-d", 0xD0, {0}, 8, 7, 0},
    {"xtx-d", 0x30, {0}, 8, 8, 0},
    {"xtx-d", 0x20, {0}, 8, UNC, 0},
    /* dosilicon.c ds35xxgb: bits 7:4 */
    {"dosilicon-gb", 0x10, {0}, 8, 3, 0},
    {"dosilicon-gb", 0x30, {0}, 8, 6, 0},
    {"dosilicon-gb", 0x50, {0}, 8, 8, 0},
    {"dosilicon-gb", 0x20, {0}, 8, UNC, 0},
    {"dosilicon-gb", 0x40, {0}, 8, PROTO, 0},
    /* foresee.c f35sqa002g: anything but 00/01 is a failure */
    {"foresee", 0x10, {0}, 1, 1, 0},
    {"foresee", 0x20, {0}, 1, UNC, 0},
    {"foresee", 0x30, {0}, 1, UNC, 0},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const struct vec *v = &vecs[i];
        const struct cd_nand_ecc_decoder *d = cd_nand_ecc_decoder(v->decoder);
        assert_non_null(d);
        struct regs r = v->regs;
        int got = d->status(v->sr, v->strength, read_reg, &r);
        if (got != v->want || r.reads != v->reads)
            fail_msg("%s status 0x%02X: got %d after %u register reads, want %d after %u",
                     v->decoder, v->sr, got, r.reads, v->want, v->reads);
    }
}

/* A failing register read is an error, not a guess. */
static void test_register_error(void **state)
{
    (void)state;
    struct regs r = {.fail = CD_E_IO};
    assert_int_equal(cd_nand_ecc_decoder("winbond-kv")->status(0x10, 8, read_reg, &r), CD_E_IO);
    assert_int_equal(cd_nand_ecc_decoder("mx-7c")->status(0x10, 4, read_reg, &r), CD_E_IO);
    assert_int_equal(r.last, CD_NAND_REG_MX_ECCSR);
    assert_null(cd_nand_ecc_decoder("nosuch"));
    assert_null(cd_nand_ecc_decoder(NULL));
}

/* Every name chipdb_check.c accepts (its known_ecc_decoders list, read from the source) is a
 * decoder, and every decoder is accepted by `chips check`. */
static void test_names_in_sync(void **state)
{
    (void)state;
    const char *src = getenv("CHIPDUMP_SOURCE_DIR");
    if (!src)
        skip();
    char path[4096];
    snprintf(path, sizeof(path), "%s/host/lib/chipdb_check.c", src);
    uint8_t *text;
    size_t len;
    assert_int_equal(cd_read_file(path, &text, &len), CD_OK);
    char *s = strstr((char *)text, "known_ecc_decoders[] = {");
    assert_non_null(s);
    char *end = strstr(s, "};");
    assert_non_null(end);
    size_t known = 0;
    for (char *q = strchr(s, '"'); q && q < end; q = strchr(q + 1, '"')) {
        char *close = strchr(q + 1, '"');
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(close - q - 1), q + 1);
        if (!cd_nand_ecc_decoder(name))
            fail_msg("chipdb_check.c accepts ecc_status '%s' but nand_ecc.c has no decoder", name);
        known++;
        q = close;
    }
    free(text);
    assert_int_equal(known, cd_nand_ecc_ndecoders);

    for (size_t i = 0; i < cd_nand_ecc_ndecoders; i++) {
        char row[512];
        snprintf(row, sizeof(row),
                 "[T%zu]\nvendor = Test\ntype = nand\nid = EF %02zX\nread_id = dummy\npage = 2048\n"
                 "oob = 64\npages_per_block = 64\nblocks = 1024\necc = 4/512\n"
                 "ecc_status = %s\nvoltage = 2.7-3.6\nsource = test\n",
                 i, 0x40 + i, cd_nand_ecc_decoders[i].name);
        struct cd_chipdb *db;
        assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
        assert_int_equal(cd_chipdb_add_text(db, row, "t.ini"), CD_OK);
        assert_int_equal(cd_chipdb_check(db, NULL, NULL), 0);
        cd_chipdb_free(db);
    }
}

/* Every NAND row of the built-in database names a decoder that exists. */
static void test_builtin_rows(void **state)
{
    (void)state;
    struct cd_chipdb *db;
    assert_int_equal(cd_chipdb_new_builtin(&db), CD_OK);
    size_t nand = 0;
    for (size_t i = 0; i < cd_chipdb_count(db); i++) {
        const struct cd_chip *c = cd_chipdb_get(db, i);
        if (c->type != CD_CHIP_NAND)
            continue;
        nand++;
        if (!cd_nand_ecc_decoder(c->ecc_status))
            fail_msg("%s: ecc_status '%s' has no decoder", c->name, c->ecc_status);
    }
    cd_chipdb_free(db);
    if (nand < 40)
        fail_msg("only %zu SPI-NAND rows in the built-in database (want at least 40)", nand);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_register_error),
        cmocka_unit_test(test_names_in_sync),
        cmocka_unit_test(test_builtin_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
