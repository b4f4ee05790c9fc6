/* Unit tests: the chip database (parsing, replacement, lookup by name and ID, check). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"

/* ---- helpers ---- */

static const char W25Q128JV[] = "[W25Q128JV]\n"
                                "vendor = Winbond\n"
                                "type = nor\n"
                                "id = EF 40 18\n"
                                "aliases = W25Q128FV, W25Q128BV\n"
                                "size = 16M\n"
                                "page = 256\n"
                                "erase = 4K:20 32K:52 64K:D8\n"
                                "chip_erase = C7\n"
                                "t_erase = 4K:45/400ms 32K:120/1600ms 64K:150/2000ms chip:40/200s\n"
                                "t_program = 0.4/3ms\n"
                                "voltage = 2.7-3.6\n"
                                "protect = bp3-tb\n"
                                "sfdp = yes\n"
                                "source = Winbond W25Q128JV datasheet, rev. F (2018-03-27)\n";

static const char W25N01GV[] = "[W25N01GV]\n"
                               "vendor = Winbond\n"
                               "type = nand\n"
                               "id = EF AA 21\n"
                               "read_id = dummy\n"
                               "page = 2048\n"
                               "oob = 64\n"
                               "pages_per_block = 64\n"
                               "blocks = 1024\n"
                               "planes = 1\n"
                               "dies = 1\n"
                               "ecc = 1/512\n"
                               "ecc_status = generic\n"
                               "t_read = 25/60us\n"
                               "t_program = 250/700us\n"
                               "t_erase = block:2/10ms\n"
                               "voltage = 2.7-3.6\n"
                               "source = Winbond W25N01GV datasheet, rev. L\n";

/* A minimal NOR row; extra lines (may be "") are appended to the section. */
static const char *nor_row(char *buf, size_t n, const char *name, const char *id, const char *size,
                           const char *extra)
{
    snprintf(buf, n,
             "[%s]\nvendor = Test\ntype = nor\nid = %s\nsize = %s\npage = 256\n"
             "erase = 4K:20 64K:D8\nvoltage = 2.7-3.6\nsource = test row\n%s",
             name, id, size, extra);
    return buf;
}

/* A minimal NAND row (2048+64, 64 pages, 1024 blocks = 128 MiB) plus extra lines. */
static const char *nand_row(char *buf, size_t n, const char *name, const char *id,
                            const char *extra)
{
    snprintf(buf, n,
             "[%s]\nvendor = Test\ntype = nand\nid = %s\nread_id = dummy\npage = 2048\n"
             "oob = 64\npages_per_block = 64\nblocks = 1024\necc = 8/512\n"
             "ecc_status = generic\nvoltage = 2.7-3.6\nsource = test row\n%s",
             name, id, extra);
    return buf;
}

static struct cd_chipdb *db_from(const char *text)
{
    struct cd_chipdb *db = NULL;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    int rc = cd_chipdb_add_text(db, text, "test.ini");
    if (rc != CD_OK)
        fail_msg("add_text: %s: %s", cd_strerror(rc), cd_error_detail());
    return db;
}

struct reports {
    size_t n;
    char msg[16][512];
};

static void collect(void *user, const struct cd_chip *chip, const char *msg)
{
    struct reports *r = user;
    (void)chip;
    if (r->n < 16)
        snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", msg);
    r->n++;
}

static bool any_report_contains(const struct reports *r, const char *needle)
{
    for (size_t i = 0; i < r->n && i < 16; i++)
        if (strstr(r->msg[i], needle))
            return true;
    return false;
}

static size_t check(const char *text, struct reports *r)
{
    struct cd_chipdb *db = db_from(text);
    memset(r, 0, sizeof(*r));
    size_t n = cd_chipdb_check(db, collect, r);
    assert_int_equal(n, r->n);
    cd_chipdb_free(db);
    return n;
}

/* ---- parsing good rows ---- */

static void test_parse_nor_all_fields(void **state)
{
    (void)state;
    struct cd_chipdb *db = db_from(W25Q128JV);
    assert_int_equal(cd_chipdb_count(db), 1);
    const struct cd_chip *c = cd_chipdb_get(db, 0);
    assert_non_null(c);
    assert_null(cd_chipdb_get(db, 1));

    assert_string_equal(c->name, "W25Q128JV");
    assert_string_equal(c->vendor, "Winbond");
    assert_int_equal(c->type, CD_CHIP_NOR);
    assert_int_equal(c->id_len, 3);
    assert_int_equal(c->id[0], 0xEF);
    assert_int_equal(c->id[1], 0x40);
    assert_int_equal(c->id[2], 0x18);
    assert_int_equal(c->readid, CD_READID_OPCODE);
    assert_int_equal(c->naliases, 2);
    assert_string_equal(c->aliases[0], "W25Q128FV");
    assert_string_equal(c->aliases[1], "W25Q128BV");
    assert_null(c->id_group);
    assert_int_equal(c->size, 16u << 20);
    assert_int_equal(c->page_size, 256);
    assert_int_equal(c->vmin_mv, 2700);
    assert_int_equal(c->vmax_mv, 3600);
    assert_string_equal(c->source, "Winbond W25Q128JV datasheet, rev. F (2018-03-27)");

    assert_int_equal(c->nerase, 3);
    const uint32_t sizes[] = {4096, 32768, 65536};
    const uint8_t ops[] = {0x20, 0x52, 0xD8};
    const uint32_t typ[] = {45, 120, 150}, max[] = {400, 1600, 2000};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c->erase[i].size, sizes[i]);
        assert_int_equal(c->erase[i].opcode, ops[i]);
        assert_int_equal(c->erase[i].opcode4, 0);
        assert_int_equal(c->erase[i].typ_ms, typ[i]);
        assert_int_equal(c->erase[i].max_ms, max[i]);
    }
    assert_int_equal(c->chip_erase_opcode, 0xC7);
    assert_int_equal(c->chip_erase_typ_ms, 40000);
    assert_int_equal(c->chip_erase_max_ms, 200000);
    assert_int_equal(c->pp_typ_us, 400);
    assert_int_equal(c->pp_max_us, 3000);
    assert_int_equal(c->addr4, CD_ADDR4_NONE);
    assert_int_equal(c->bp_bits, 3);
    assert_true(c->has_tb);
    assert_true(c->has_sfdp);
    assert_string_equal(c->origin_file, "test.ini");
    assert_int_equal(c->origin_line, 1);
    cd_chipdb_free(db);
}

static void test_parse_nor_addr4_and_defaults(void **state)
{
    (void)state;
    static const char text[] = "# a comment\n"
                               "; another\n"
                               "\n"
                               "[MX25L25645G]\n"
                               "vendor = Macronix\n"
                               "type = nor\n"
                               "id = C2 20 19\n"
                               "size = 32M\n"
                               "page = 256\n"
                               "erase = 4K:20 32K:52 64K:D8\n"
                               "erase4 = 64K:DC 4K:21 32K:5C\n"
                               "addr4 = mode opcodes\n"
                               "chip_erase = 60\n"
                               "protect = bp4\n"
                               "voltage = 2.7-3.6\n"
                               "source = Macronix MX25L25645G datasheet\n";
    struct cd_chipdb *db = db_from(text);
    const struct cd_chip *c = cd_chipdb_get(db, 0);
    assert_int_equal(c->origin_line, 4);
    assert_int_equal(c->size, 32u << 20);
    assert_int_equal(c->addr4, CD_ADDR4_MODE | CD_ADDR4_OPCODES);
    assert_int_equal(c->erase[0].opcode4, 0x21);
    assert_int_equal(c->erase[1].opcode4, 0x5C);
    assert_int_equal(c->erase[2].opcode4, 0xDC);
    assert_int_equal(c->chip_erase_opcode, 0x60);
    assert_int_equal(c->bp_bits, 4);
    assert_false(c->has_tb);
    assert_false(c->has_sfdp); /* default no */
    /* default times: 4K 50/400, 32K 150/1600, 64K 200/2000 ms; chip 1 s / 5 s per MiB */
    assert_int_equal(c->erase[0].typ_ms, 50);
    assert_int_equal(c->erase[0].max_ms, 400);
    assert_int_equal(c->erase[1].typ_ms, 150);
    assert_int_equal(c->erase[1].max_ms, 1600);
    assert_int_equal(c->erase[2].typ_ms, 200);
    assert_int_equal(c->erase[2].max_ms, 2000);
    assert_int_equal(c->chip_erase_typ_ms, 32 * 1000);
    assert_int_equal(c->chip_erase_max_ms, 32 * 5000);
    assert_int_equal(c->pp_typ_us, 700);
    assert_int_equal(c->pp_max_us, 5000);
    cd_chipdb_free(db);

    char buf[1024];
    db = db_from(nor_row(buf, sizeof(buf), "X25", "AB 12", "1M",
                         "chip_erase = none\nprotect = none\naddr4 = none\n"
                         "t_erase = 64K:0.5/2s\nt_program = 25/100us\n"));
    c = cd_chipdb_get(db, 0);
    assert_int_equal(c->chip_erase_opcode, 0);
    assert_int_equal(c->bp_bits, 0);
    assert_int_equal(c->addr4, CD_ADDR4_NONE);
    assert_int_equal(c->erase[1].typ_ms, 500);
    assert_int_equal(c->erase[1].max_ms, 2000);
    assert_int_equal(c->pp_typ_us, 25);
    assert_int_equal(c->pp_max_us, 100);
    assert_int_equal(c->bp_bits, 0);
    cd_chipdb_free(db);

    /* size suffixes are powers of 1024, either case */
    static const struct {
        const char *text;
        uint64_t bytes;
    } sizes[] = {{"1G", 1ull << 30}, {"2g", 2ull << 30}, {"512k", 512 * 1024}, {"65536", 65536}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        db = db_from(nor_row(buf, sizeof(buf), "X25", "AB 12", sizes[i].text, "addr4 = only\n"));
        assert_int_equal(cd_chipdb_get(db, 0)->size, sizes[i].bytes);
        assert_int_equal(cd_chipdb_get(db, 0)->addr4, CD_ADDR4_ONLY);
        cd_chipdb_free(db);
    }

    db = db_from(nor_row(buf, sizeof(buf), "X25", "AB 12", "1M", ""));
    c = cd_chipdb_get(db, 0);
    assert_int_equal(c->bp_bits, 3); /* default bp3 */
    assert_false(c->has_tb);
    assert_int_equal(c->chip_erase_opcode, 0xC7);
    assert_int_equal(c->chip_erase_typ_ms, 1000);
    assert_int_equal(c->chip_erase_max_ms, 5000);
    cd_chipdb_free(db);
}

static void test_parse_nand_all_fields(void **state)
{
    (void)state;
    struct cd_chipdb *db = db_from(W25N01GV);
    const struct cd_chip *c = cd_chipdb_get(db, 0);
    assert_string_equal(c->name, "W25N01GV");
    assert_int_equal(c->type, CD_CHIP_NAND);
    assert_int_equal(c->readid, CD_READID_DUMMY);
    assert_int_equal(c->id_len, 3);
    assert_int_equal(c->id[1], 0xAA);
    assert_int_equal(c->page_size, 2048);
    assert_int_equal(c->oob_size, 64);
    assert_int_equal(c->pages_per_block, 64);
    assert_int_equal(c->blocks_per_die, 1024);
    assert_int_equal(c->planes, 1);
    assert_int_equal(c->dies, 1);
    assert_int_equal(c->size, 128u << 20); /* 2048 x 64 x 1024 x 1 */
    assert_int_equal(c->ecc_strength, 1);
    assert_int_equal(c->ecc_step, 512);
    assert_string_equal(c->ecc_status, "generic");
    assert_int_equal(c->read_typ_us, 25);
    assert_int_equal(c->read_max_us, 60);
    assert_int_equal(c->pp_typ_us, 250);
    assert_int_equal(c->pp_max_us, 700);
    assert_int_equal(c->nerase, 1); /* the block erase */
    assert_int_equal(c->erase[0].opcode, 0xD8);
    assert_int_equal(c->erase[0].size, 128 * 1024);
    assert_int_equal(c->erase[0].typ_ms, 2);
    assert_int_equal(c->erase[0].max_ms, 10);
    assert_int_equal(c->vmin_mv, 2700);
    assert_int_equal(c->bp_bits, 0);
    cd_chipdb_free(db);
}

static void test_parse_nand_defaults_and_dies(void **state)
{
    (void)state;
    char buf[1024];
    struct cd_chipdb *db =
        db_from(nand_row(buf, sizeof(buf), "W25M02GV", "EF AB 21", "dies = 2\nplanes = 2\n"));
    const struct cd_chip *c = cd_chipdb_get(db, 0);
    assert_int_equal(c->dies, 2);
    assert_int_equal(c->planes, 2);
    assert_int_equal(c->size, 256u << 20);
    assert_int_equal(c->ecc_strength, 8);
    assert_int_equal(c->read_typ_us, 25); /* defaults 25/100us, 300/900us, block:3/10ms */
    assert_int_equal(c->read_max_us, 100);
    assert_int_equal(c->pp_typ_us, 300);
    assert_int_equal(c->pp_max_us, 900);
    assert_int_equal(c->erase[0].typ_ms, 3);
    assert_int_equal(c->erase[0].max_ms, 10);
    cd_chipdb_free(db);

    /* read_id forms */
    static const char *const forms[] = {"opcode", "addr", "dummy"};
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof(buf),
                 "[N1]\nvendor = V\ntype = nand\nid = C8 51\nread_id = %s\npage = 2048\n"
                 "oob = 128\npages_per_block = 64\nblocks = 1024\necc = 8/512\n"
                 "ecc_status = generic\nvoltage = 1.7-1.95\nsource = s\n",
                 forms[i]);
        db = db_from(buf);
        assert_int_equal(cd_chipdb_get(db, 0)->readid, (enum cd_readid_form)i);
        assert_int_equal(cd_chipdb_get(db, 0)->vmin_mv, 1700);
        assert_int_equal(cd_chipdb_get(db, 0)->vmax_mv, 1950);
        cd_chipdb_free(db);
    }
}

static void test_parse_syntax_variants(void **state)
{
    (void)state;
    /* BOM, CRLF, inline comments, a continuation line, upper/lower-case words */
    static const char text[] = "\xEF\xBB\xBF[GD25Q64C]\r\n"
                               "vendor = GigaDevice ; inline comment\r\n"
                               "type = NOR\r\n"
                               "id = c8 40 17   # hash comment\r\n"
                               "aliases = GD25Q64B,\r\n"
                               "   GD25Q64E\r\n"
                               "size = 8m\r\n"
                               "page = 256\r\n"
                               "erase = 4K:20 32K:52 64K:d8\r\n"
                               "voltage = 2.7 - 3.6\r\n"
                               "source = GigaDevice GD25Q64C datasheet rev#3 # comment\r\n";
    struct cd_chipdb *db = db_from(text);
    const struct cd_chip *c = cd_chipdb_get(db, 0);
    assert_string_equal(c->name, "GD25Q64C");
    assert_string_equal(c->vendor, "GigaDevice");
    assert_int_equal(c->type, CD_CHIP_NOR);
    assert_int_equal(c->id[0], 0xC8);
    assert_int_equal(c->naliases, 2);
    assert_string_equal(c->aliases[1], "GD25Q64E");
    assert_int_equal(c->size, 8u << 20);
    assert_int_equal(c->erase[2].opcode, 0xD8);
    assert_int_equal(c->vmax_mv, 3600);
    /* '#' starts a comment only after white space, like inih's ';' */
    assert_string_equal(c->source, "GigaDevice GD25Q64C datasheet rev#3");
    cd_chipdb_free(db);

    /* several rows keep file order; a text with no rows is fine */
    char a[1024], b[1024], both[2048];
    snprintf(both, sizeof(both), "%s\n%s", nor_row(a, sizeof(a), "B1", "AA 01", "1M", ""),
             nor_row(b, sizeof(b), "A1", "AA 02", "1M", ""));
    db = db_from(both);
    assert_int_equal(cd_chipdb_count(db), 2);
    assert_string_equal(cd_chipdb_get(db, 0)->name, "B1");
    assert_string_equal(cd_chipdb_get(db, 1)->name, "A1");
    assert_int_equal(cd_chipdb_get(db, 1)->origin_line, 11); /* after a blank line */
    assert_int_equal(cd_chipdb_add_text(db, "; nothing\n\n", "empty.ini"), CD_OK);
    assert_int_equal(cd_chipdb_count(db), 2);
    cd_chipdb_free(db);
}

/* ---- malformed rows ---- */

struct bad_case {
    const char *what;
    const char *text;
    const char *detail; /* expected prefix of cd_error_detail() (file:line: chip: field) */
    const char *also;   /* another substring it must contain, or NULL */
};

#define ROW_HEAD "[W25Q128JV]\nvendor = Winbond\ntype = nor\n" /* lines 1-3 */
#define ROW_TAIL "size = 16M\npage = 256\nerase = 4K:20 64K:D8\nvoltage = 2.7-3.6\nsource = ds\n"

static const struct bad_case bad_cases[] = {
    {"bad hex", ROW_HEAD "id = EF 4G 18\n" ROW_TAIL, "test.ini:4: W25Q128JV: field 'id': ", "'4G'"},
    {"hex without spaces", ROW_HEAD "id = EF4018\n" ROW_TAIL,
     "test.ini:4: W25Q128JV: field 'id': ", "'EF4018'"},
    {"too many ID bytes", ROW_HEAD "id = EF 40 18 00 00 00 00\n" ROW_TAIL,
     "test.ini:4: W25Q128JV: field 'id': ", "more than 6"},
    {"bad size",
     ROW_HEAD "id = EF 40 18\nsize = 16Q\npage = 256\nerase = 4K:20\n"
              "voltage = 2.7-3.6\nsource = ds\n",
     "test.ini:5: W25Q128JV: field 'size': bad size '16Q'", NULL},
    {"zero page",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 0\nerase = 4K:20\n"
              "voltage = 2.7-3.6\nsource = ds\n",
     "test.ini:6: W25Q128JV: field 'page': bad size '0'", NULL},
    {"unknown key", ROW_HEAD "id = EF 40 18\nerse = 4K:20\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'erse': unknown field", "did you mean 'erase'"},
    {"missing vendor", "[W25Q128JV]\ntype = nor\nid = EF 40 18\n" ROW_TAIL,
     "test.ini:1: W25Q128JV: field 'vendor': missing", NULL},
    {"missing erase",
     "\n\n" ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\n"
     "voltage = 2.7-3.6\nsource = ds\n",
     "test.ini:3: W25Q128JV: field 'erase': missing", "nor"},
    {"missing type", "[W25Q128JV]\nvendor = Winbond\nid = EF 40 18\n" ROW_TAIL,
     "test.ini:1: W25Q128JV: field 'type': missing", NULL},
    {"empty section", "[W25Q128JV]\n\n[OTHER]\n", "test.ini:1: W25Q128JV: field 'type': missing",
     NULL},
    {"bad erase size",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\n"
              "erase = 4K:20 32K:52 4Q:D8\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:7: W25Q128JV: field 'erase': bad size '4Q'", NULL},
    {"bad erase opcode",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\n"
              "erase = 4K:20 32K:5 64K:D8\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:7: W25Q128JV: field 'erase': bad opcode '5'", NULL},
    {"erase without opcode",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\n"
              "erase = 4K 32K\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:7: W25Q128JV: field 'erase': bad erase type '4K'", NULL},
    {"too many erase types",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\n"
              "erase = 4K:20 8K:40 32K:52 64K:D8 256K:DC\n"
              "voltage = 2.7-3.6\nsource = ds\n",
     "test.ini:7: W25Q128JV: field 'erase': more than 4", NULL},
    {"bad voltage",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\nerase = 4K:20\n"
              "voltage = 2.7\nsource = ds\n",
     "test.ini:8: W25Q128JV: field 'voltage': bad voltage '2.7'", NULL},
    {"bad voltage number",
     ROW_HEAD "id = EF 40 18\nsize = 16M\npage = 256\nerase = 4K:20\n"
              "voltage = 2,7-3.6\nsource = ds\n",
     "test.ini:8: W25Q128JV: field 'voltage': bad voltage", NULL},
    {"duplicate key", ROW_HEAD "id = EF 40 18\nsize = 8M\n" ROW_TAIL,
     "test.ini:6: W25Q128JV: field 'size': given twice (first at line 5)", NULL},
    {"bad time", ROW_HEAD "id = EF 40 18\nt_program = 0.4/3\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 't_program': bad time '0.4/3'", NULL},
    {"t_erase size not in erase", ROW_HEAD "id = EF 40 18\nt_erase = 32K:1/2ms\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 't_erase': size 32K is not in 'erase'", NULL},
    {"erase4 size not in erase", ROW_HEAD "id = EF 40 18\nerase4 = 32K:5C\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'erase4': size 32K is not in 'erase'", NULL},
    {"NAND field in NOR row", ROW_HEAD "id = EF 40 18\noob = 64\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'oob': not a field of nor chips", NULL},
    {"bad type", "[W25Q128JV]\nvendor = Winbond\ntype = nro\nid = EF 40 18\n" ROW_TAIL,
     "test.ini:3: W25Q128JV: field 'type': bad value 'nro'", NULL},
    {"bad protect", ROW_HEAD "id = EF 40 18\nprotect = bp5\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'protect': bad value 'bp5'", NULL},
    {"bad addr4", ROW_HEAD "id = EF 40 18\naddr4 = mode 4byte\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'addr4': bad word '4byte'", NULL},
    {"bad chip_erase", ROW_HEAD "id = EF 40 18\nchip_erase = C6\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'chip_erase': bad value 'C6'", NULL},
    {"empty value", ROW_HEAD "id = EF 40 18\nsfdp =\n" ROW_TAIL,
     "test.ini:5: W25Q128JV: field 'sfdp': empty value", NULL},
    {"NAND bad ecc",
     "[N]\nvendor = V\ntype = nand\nid = EF AA\nread_id = dummy\npage = 2048\n"
     "oob = 64\npages_per_block = 64\nblocks = 1024\necc = 8-512\n"
     "ecc_status = generic\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:10: N: field 'ecc': bad ECC '8-512'", NULL},
    {"NAND missing oob",
     "[N]\nvendor = V\ntype = nand\nid = EF AA\nread_id = dummy\n"
     "page = 2048\npages_per_block = 64\nblocks = 1024\necc = 8/512\n"
     "ecc_status = generic\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:1: N: field 'oob': missing", NULL},
    {"NAND bad read_id",
     "[N]\nvendor = V\ntype = nand\nid = EF AA\nread_id = none\n"
     "page = 2048\noob = 64\npages_per_block = 64\nblocks = 1024\n"
     "ecc = 8/512\necc_status = generic\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:5: N: field 'read_id': bad value 'none'", NULL},
    {"NAND bad blocks",
     "[N]\nvendor = V\ntype = nand\nid = EF AA\nread_id = dummy\n"
     "page = 2048\noob = 64\npages_per_block = 64\nblocks = 1k\n"
     "ecc = 8/512\necc_status = generic\nvoltage = 2.7-3.6\nsource = ds\n",
     "test.ini:9: N: field 'blocks': bad number '1k'", NULL},
    {"key outside a section", "vendor = Winbond\n", "test.ini:1: field 'vendor' outside", NULL},
    {"syntax error", ROW_HEAD "id = EF 40 18\nthis line has no equals sign\n" ROW_TAIL,
     "test.ini:5: syntax error", NULL},
    {"section without ]", "[W25Q128JV\n", "test.ini:1: section header without ']'", NULL},
    {"bad chip name", "[W25Q 128]\n", "test.ini:1: bad chip name 'W25Q 128'", NULL},
    {"indented section header", ROW_HEAD "id = EF 40 18\n" ROW_TAIL "  [NEXT]\n",
     "test.ini:10: indented section header", NULL},
    {"section given twice", ROW_HEAD "id = EF 40 18\n" ROW_TAIL ROW_HEAD "id = EF 40 19\n" ROW_TAIL,
     "test.ini:10: W25Q128JV: section given twice (first at line 1)", NULL},
    {"the first error wins",
     ROW_HEAD "id = EF 40 18\nsize = 16Q\npage = 256\nerase = 4K:20\n"
              "voltage = 2.7-3.6\nsource = ds\nbogus = 1\n",
     "test.ini:5: W25Q128JV: field 'size': bad size '16Q'", NULL},
};

static void test_malformed_rows(void **state)
{
    (void)state;
    struct cd_chipdb *db = NULL;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *t = &bad_cases[i];
        cd_clear_error();
        int rc = cd_chipdb_add_text(db, t->text, "test.ini");
        const char *d = cd_error_detail();
        if (rc != CD_E_CHIPDB || strncmp(d, t->detail, strlen(t->detail)) != 0 ||
            (t->also && !strstr(d, t->also)))
            fail_msg("case '%s': rc %d, detail \"%s\", expected \"%s...\"%s%s", t->what, rc, d,
                     t->detail, t->also ? " containing " : "", t->also ? t->also : "");
        assert_int_equal(cd_chipdb_count(db), 0);
    }
    cd_chipdb_free(db);
}

static void test_malformed_exact_detail(void **state)
{
    (void)state;
    char text[4096];
    /* the error is on line 42 of the file */
    size_t n = 0;
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "; comment line %d\n", i + 1);
    snprintf(text + n, sizeof(text) - n,
             "[W25Q128JV]\nvendor = Winbond\ntype = nor\nid = EF 40 18\nsize = 16M\npage = 256\n"
             "voltage = 2.7-3.6\nsource = ds\n\n; why not\n\nerase = 4Q:20\n");
    struct cd_chipdb *db = NULL;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(db, text, "chipdb/winbond.ini"), CD_E_CHIPDB);
    assert_string_equal(cd_error_detail(),
                        "chipdb/winbond.ini:42: W25Q128JV: field 'erase': bad size '4Q'");
    cd_chipdb_free(db);
}

static void test_failed_text_adds_nothing(void **state)
{
    (void)state;
    char good[1024], bad[1024], text[4096];
    nor_row(good, sizeof(good), "GOOD1", "AA 01", "1M", "");
    nor_row(bad, sizeof(bad), "BAD1", "AA 02", "1M", "sfdp = maybe\n");
    snprintf(text, sizeof(text), "%s%s", good, bad);
    struct cd_chipdb *db = db_from(W25Q128JV);
    assert_int_equal(cd_chipdb_add_text(db, text, "user.ini"), CD_E_CHIPDB);
    assert_non_null(strstr(cd_error_detail(), "user.ini:19: BAD1: field 'sfdp'"));
    assert_int_equal(cd_chipdb_count(db), 1);
    assert_string_equal(cd_chipdb_get(db, 0)->name, "W25Q128JV");

    /* a replacement in a failed text does not replace either */
    snprintf(text, sizeof(text), "%s%s",
             nor_row(good, sizeof(good), "w25q128jv", "EF 40 18", "1M", ""), bad);
    assert_int_equal(cd_chipdb_add_text(db, text, "user.ini"), CD_E_CHIPDB);
    assert_int_equal(cd_chipdb_get(db, 0)->size, 16u << 20);
    cd_chipdb_free(db);
}

static void test_long_line(void **state)
{
    (void)state;
    char text[2048], src[600];
    memset(src, 'x', sizeof(src) - 1);
    src[sizeof(src) - 1] = '\0';
    snprintf(text, sizeof(text),
             "[L1]\nvendor = V\ntype = nor\nid = EF 01\nsize = 1M\npage = 256\n"
             "erase = 4K:20\nvoltage = 2.7-3.6\nsource = %s\n",
             src);
    struct cd_chipdb *db = NULL;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_text(db, text, "t.ini"), CD_E_CHIPDB);
    assert_non_null(strstr(cd_error_detail(), "t.ini:9: L1: line longer than"));

    /* the same long value split over indented continuation lines is fine */
    snprintf(text, sizeof(text),
             "[L1]\nvendor = V\ntype = nor\nid = EF 01\nsize = 1M\npage = 256\n"
             "erase = 4K:20\nvoltage = 2.7-3.6\nsource = %.150s\n  %.150s\n\t%.150s\n",
             src, src, src);
    assert_int_equal(cd_chipdb_add_text(db, text, "t.ini"), CD_OK);
    assert_int_equal(strlen(cd_chipdb_get(db, 0)->source), 3 * 150 + 2);
    cd_chipdb_free(db);
}

/* ---- replacement ---- */

static void test_replace_by_name(void **state)
{
    (void)state;
    char a[1024], b[1024], c[1024], text[4096];
    snprintf(text, sizeof(text), "%s%s%s", nor_row(a, sizeof(a), "AAA", "AA 01", "1M", ""),
             nor_row(b, sizeof(b), "BBB", "AA 02", "2M", ""),
             nor_row(c, sizeof(c), "CCC", "AA 03", "4M", ""));
    struct cd_chipdb *db = db_from(text);
    assert_int_equal(cd_chipdb_count(db), 3);

    /* a user file corrects BBB (different case) and adds DDD */
    snprintf(text, sizeof(text), "%s%s", nor_row(a, sizeof(a), "bbb", "AA 12", "8M", ""),
             nor_row(b, sizeof(b), "DDD", "AA 04", "1M", ""));
    assert_int_equal(cd_chipdb_add_text(db, text, "user.ini"), CD_OK);
    assert_int_equal(cd_chipdb_count(db), 4);
    const struct cd_chip *r = cd_chipdb_get(db, 1);
    assert_string_equal(r->name, "bbb"); /* replaced in place */
    assert_int_equal(r->size, 8u << 20);
    assert_int_equal(r->id[1], 0x12);
    assert_string_equal(r->origin_file, "user.ini");
    assert_string_equal(cd_chipdb_get(db, 0)->name, "AAA");
    assert_string_equal(cd_chipdb_get(db, 2)->name, "CCC");
    assert_string_equal(cd_chipdb_get(db, 3)->name, "DDD");

    const struct cd_chip *found;
    assert_int_equal(cd_chipdb_find_name(db, "BBB", &found), CD_OK);
    assert_ptr_equal(found, r);
    cd_chipdb_free(db);
}

/* ---- find_name ---- */

static struct cd_chipdb *w25q_db(void)
{
    char rows[6][1024], text[8192];
    snprintf(
        text, sizeof(text), "%s%s%s%s%s%s",
        nor_row(rows[0], sizeof(rows[0]), "W25Q16JV", "EF 40 15", "2M", ""),
        nor_row(rows[1], sizeof(rows[1]), "W25Q32JV", "EF 40 16", "4M", ""),
        nor_row(rows[2], sizeof(rows[2]), "W25Q64JV", "EF 40 17", "8M",
                "aliases = W25Q64FV, W25Q64BV\n"),
        nor_row(rows[3], sizeof(rows[3]), "W25Q128JV", "EF 40 18", "16M", "aliases = W25Q128FV\n"),
        nor_row(rows[4], sizeof(rows[4]), "W25Q128JW", "EF 60 18", "16M", ""),
        nor_row(rows[5], sizeof(rows[5]), "MX25L6433F", "C2 20 17", "8M", ""));
    return db_from(text);
}

static void test_find_name_exact_alias_case(void **state)
{
    (void)state;
    struct cd_chipdb *db = w25q_db();
    const struct cd_chip *c = NULL;
    assert_int_equal(cd_chipdb_find_name(db, "W25Q64JV", &c), CD_OK);
    assert_string_equal(c->name, "W25Q64JV");
    assert_int_equal(cd_chipdb_find_name(db, "w25q64jv", &c), CD_OK);
    assert_string_equal(c->name, "W25Q64JV");
    assert_int_equal(cd_chipdb_find_name(db, "W25Q64FV", &c), CD_OK);
    assert_string_equal(c->name, "W25Q64JV");
    assert_int_equal(cd_chipdb_find_name(db, "w25q128fv", &c), CD_OK);
    assert_string_equal(c->name, "W25Q128JV");
    assert_int_equal(cd_chipdb_find_name(db, "mx25l6433f", &c), CD_OK);
    assert_string_equal(c->name, "MX25L6433F");
    assert_int_equal(cd_chipdb_find_name(db, "", &c), CD_E_ARG);
    assert_null(c);
    cd_chipdb_free(db);
}

static void test_find_name_prefix(void **state)
{
    (void)state;
    struct cd_chipdb *db = w25q_db();
    const struct cd_chip *c = NULL;
    /* W25Q128JV and W25Q128JW have the same geometry: the first in database order */
    assert_int_equal(cd_chipdb_find_name(db, "W25Q128", &c), CD_OK);
    assert_string_equal(c->name, "W25Q128JV");
    assert_int_equal(cd_chipdb_find_name(db, "w25q128j", &c), CD_OK);
    assert_string_equal(c->name, "W25Q128JV");
    assert_int_equal(cd_chipdb_find_name(db, "W25Q32", &c), CD_OK);
    assert_string_equal(c->name, "W25Q32JV");
    /* a prefix of an alias */
    assert_int_equal(cd_chipdb_find_name(db, "W25Q64B", &c), CD_OK);
    assert_string_equal(c->name, "W25Q64JV");
    /* an exact name wins over a longer name it is a prefix of */
    char a[1024], b[1024], text[2048];
    snprintf(text, sizeof(text), "%s%s", nor_row(a, sizeof(a), "AT25X1M", "1F 01", "1M", ""),
             nor_row(b, sizeof(b), "AT25X", "1F 02", "2M", ""));
    struct cd_chipdb *db2 = db_from(text);
    assert_int_equal(cd_chipdb_find_name(db2, "at25x", &c), CD_OK);
    assert_string_equal(c->name, "AT25X");
    cd_chipdb_free(db2);
    cd_chipdb_free(db);
}

static void test_find_name_ambiguous(void **state)
{
    (void)state;
    struct cd_chipdb *db = w25q_db();
    const struct cd_chip *c = (const struct cd_chip *)1;
    assert_int_equal(cd_chipdb_find_name(db, "W25Q", &c), CD_E_AMBIGUOUS_CHIP);
    assert_null(c);
    assert_string_equal(cd_error_detail(),
                        "W25Q: matches chips of different geometry: W25Q16JV (2 MiB), "
                        "W25Q32JV (4 MiB), W25Q64JV (8 MiB), W25Q128JV (16 MiB), "
                        "W25Q128JW (16 MiB)");
    assert_true(cd_err_is_input(CD_E_AMBIGUOUS_CHIP));

    /* NAND vs NOR of the same size is a different geometry too */
    char a[1024], b[1024], text[2048];
    snprintf(text, sizeof(text), "%s%s", nor_row(a, sizeof(a), "XY128", "AB 01", "128M", ""),
             nand_row(b, sizeof(b), "XY128N", "AB 02", ""));
    struct cd_chipdb *db2 = db_from(text);
    assert_int_equal(cd_chipdb_find_name(db2, "xy1", &c), CD_E_AMBIGUOUS_CHIP);
    assert_non_null(strstr(cd_error_detail(), "XY128 (128 MiB), XY128N (128 MiB, 2048+64"));
    cd_chipdb_free(db2);

    /* the list is capped */
    char big[16384];
    size_t n = 0;
    for (int i = 0; i < 14; i++) {
        char name[16];
        snprintf(name, sizeof(name), "CAP%02d", i);
        char sz[8];
        snprintf(sz, sizeof(sz), "%dM", 1 << (i % 4));
        n += strlen(nor_row(big + n, sizeof(big) - n, name, "AB 01", sz, ""));
    }
    db2 = db_from(big);
    assert_int_equal(cd_chipdb_find_name(db2, "CAP", &c), CD_E_AMBIGUOUS_CHIP);
    assert_non_null(strstr(cd_error_detail(), "CAP09 (2 MiB), ... (4 more)"));
    assert_null(strstr(cd_error_detail(), "CAP10"));
    cd_chipdb_free(db2);
    cd_chipdb_free(db);
}

static void test_find_name_unknown(void **state)
{
    (void)state;
    struct cd_chipdb *db = w25q_db();
    const struct cd_chip *c = (const struct cd_chip *)1;
    assert_int_equal(cd_chipdb_find_name(db, "W25Q129", &c), CD_E_UNKNOWN_CHIP);
    assert_null(c);
    const char *d = cd_error_detail();
    assert_non_null(strstr(d, "unknown chip 'W25Q129'; closest: W25Q128JV, W25Q128"));
    /* five names at most */
    size_t commas = 0;
    for (const char *p = d; *p; p++)
        commas += *p == ',';
    assert_int_equal(commas, 4);

    assert_int_equal(cd_chipdb_find_name(db, "mx25l6433", &c), CD_OK); /* prefix */
    assert_int_equal(cd_chipdb_find_name(db, "MX25L6443F", &c), CD_E_UNKNOWN_CHIP);
    assert_non_null(strstr(cd_error_detail(), "closest: MX25L6433F,"));
    cd_chipdb_free(db);

    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_find_name(db, "W25Q", &c), CD_E_UNKNOWN_CHIP);
    assert_non_null(strstr(cd_error_detail(), "unknown chip 'W25Q'"));
    cd_chipdb_free(db);
}

/* ---- find_id ---- */

static void test_find_id(void **state)
{
    (void)state;
    char r[6][1024], text[8192];
    snprintf(text, sizeof(text), "%s%s%s%s%s%s",
             nor_row(r[0], sizeof(r[0]), "SHORT", "EF 40", "1M", ""),
             nor_row(r[1], sizeof(r[1]), "LONG", "EF 40 18 00", "16M", "addr4 = mode\n"),
             nor_row(r[2], sizeof(r[2]), "MID", "EF 40 18", "16M", ""),
             nor_row(r[3], sizeof(r[3]), "OTHER", "EF 40 17", "8M", ""),
             nand_row(r[4], sizeof(r[4]), "NAND-DUMMY", "EF AA 21", ""),
             nand_row(r[5], sizeof(r[5]), "NAND-NOR-ID", "EF 40 18", ""));
    struct cd_chipdb *db = db_from(text);
    const struct cd_chip *out[8];

    const uint8_t id[] = {0xEF, 0x40, 0x18, 0x00, 0x00};
    size_t n = cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, id, sizeof(id), out, 8);
    assert_int_equal(n, 3);
    assert_string_equal(out[0]->name, "LONG");
    assert_string_equal(out[1]->name, "MID");
    assert_string_equal(out[2]->name, "SHORT");

    /* max limits the output, longest still first */
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, id, 5, out, 1), 1);
    assert_string_equal(out[0]->name, "LONG");
    /* fewer bytes read than the long ID: it cannot match */
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, id, 3, out, 8), 2);
    assert_string_equal(out[0]->name, "MID");

    const uint8_t id17[] = {0xEF, 0x40, 0x17};
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, id17, 3, out, 8), 2);
    assert_string_equal(out[0]->name, "OTHER");
    assert_string_equal(out[1]->name, "SHORT");

    /* NAND: type and read-ID form both count */
    const uint8_t nid[] = {0xEF, 0xAA, 0x21, 0x00};
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NAND, CD_READID_DUMMY, nid, 4, out, 8), 1);
    assert_string_equal(out[0]->name, "NAND-DUMMY");
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NAND, CD_READID_OPCODE, nid, 4, out, 8), 0);
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, nid, 4, out, 8), 0);
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NAND, CD_READID_DUMMY, id, 5, out, 8), 1);
    assert_string_equal(out[0]->name, "NAND-NOR-ID");

    const uint8_t none[] = {0xC2, 0x20, 0x18};
    assert_int_equal(cd_chipdb_find_id(db, CD_CHIP_NOR, CD_READID_OPCODE, none, 3, out, 8), 0);
    cd_chipdb_free(db);
}

/* ---- check ---- */

static void test_check_good_rows(void **state)
{
    (void)state;
    char text[4096];
    struct reports r;
    snprintf(text, sizeof(text), "%s%s", W25Q128JV, W25N01GV);
    if (check(text, &r) != 0)
        fail_msg("unexpected problem: %s", r.msg[0]);
    char row[1024];
    assert_int_equal(check(nor_row(row, sizeof(row), "B32", "EF 40 19", "32M",
                                   "addr4 = opcodes\nerase4 = 4K:21 64K:DC\n"),
                           &r),
                     0);
}

static void test_check_duplicate_ids(void **state)
{
    (void)state;
    char a[1024], b[1024], c[1024], text[4096];
    struct reports r;
    snprintf(text, sizeof(text), "%s%s", nor_row(a, sizeof(a), "ONE", "EF 40 18", "16M", ""),
             nor_row(b, sizeof(b), "TWO", "EF 40 18", "16M", ""));
    assert_int_equal(check(text, &r), 1);
    assert_non_null(strstr(r.msg[0], "test.ini:1: ONE: ID EF4018 (nor, read_id opcode) is also "
                                     "used by TWO (test.ini:10)"));
    assert_non_null(strstr(r.msg[0], "id_group"));

    /* the same id_group on all rows makes sharing fine */
    snprintf(text, sizeof(text), "%s%s",
             nor_row(a, sizeof(a), "ONE", "EF 40 18", "16M", "id_group = w25q128\n"),
             nor_row(b, sizeof(b), "TWO", "EF 40 18", "16M", "id_group = w25q128\n"));
    assert_int_equal(check(text, &r), 0);

    /* only one row carrying it is not */
    snprintf(text, sizeof(text), "%s%s%s",
             nor_row(a, sizeof(a), "ONE", "EF 40 18", "16M", "id_group = w25q128\n"),
             nor_row(b, sizeof(b), "TWO", "EF 40 18", "16M", "id_group = w25q128\n"),
             nor_row(c, sizeof(c), "THREE", "EF 40 18", "16M", ""));
    assert_int_equal(check(text, &r), 1);
    assert_non_null(strstr(r.msg[0], "TWO (test.ini:11), THREE (test.ini:21)"));

    /* the same bytes with another type or read-ID form is another ID */
    snprintf(text, sizeof(text), "%s%s%s", nor_row(a, sizeof(a), "ONE", "EF AA 21", "16M", ""),
             nand_row(b, sizeof(b), "NAND1", "EF AA 21", ""),
             nand_row(c, sizeof(c), "NAND2", "EF AA 21", ""));
    assert_int_equal(check(text, &r), 1);
    assert_non_null(strstr(r.msg[0], "NAND1: ID EFAA21 (nand, read_id dummy)"));
}

static void test_check_nor_geometry(void **state)
{
    (void)state;
    char row[1024];
    struct reports r;
    /* erase size not dividing size (48K), not a multiple of the page (page 256 < 4K fine) */
    assert_int_equal(check(nor_row(row, sizeof(row), "ODD", "AB 01", "48K", ""), &r), 1);
    assert_non_null(strstr(r.msg[0], "test.ini:1: ODD: erase size 64K does not divide the chip "
                                     "size 48K"));

    /* over 16 MiB without addr4 */
    assert_int_equal(check(nor_row(row, sizeof(row), "BIG", "AB 01", "32M", ""), &r), 1);
    assert_non_null(strstr(r.msg[0], "BIG: chip is larger than 16 MiB"));
    assert_int_equal(check(nor_row(row, sizeof(row), "BIG", "AB 01", "32M", "addr4 = mode\n"), &r),
                     0);

    /* addr4 opcodes without (complete) erase4 */
    assert_int_equal(
        check(nor_row(row, sizeof(row), "BIG", "AB 01", "32M", "addr4 = opcodes\nerase4 = 4K:21\n"),
              &r),
        1);
    assert_non_null(strstr(r.msg[0], "erase4 has no opcode for 64K"));
    assert_int_equal(check(nor_row(row, sizeof(row), "S", "AB 01", "1M", "erase4 = 4K:21\n"), &r),
                     1);
    assert_non_null(strstr(r.msg[0], "erase4 given but addr4 has no 'opcodes'"));

    /* erase sizes not ascending, erase not a multiple of the page */
    snprintf(row, sizeof(row),
             "[DESC]\nvendor = V\ntype = nor\nid = AB 01\nsize = 1M\npage = 256\n"
             "erase = 64K:D8 4K:20 128:DB\nvoltage = 2.7-3.6\nsource = s\n");
    assert_int_equal(check(row, &r), 3);
    assert_true(any_report_contains(&r, "erase sizes not ascending: 4K after 64K"));
    assert_true(any_report_contains(&r, "erase sizes not ascending: 128 after 4K"));
    assert_true(any_report_contains(&r, "erase size 128 is not a multiple of the page size 256"));

    /* ID, voltage and time sanity */
    assert_int_equal(check(nor_row(row, sizeof(row), "ID1", "EF", "1M", ""), &r), 1);
    assert_non_null(strstr(r.msg[0], "ID EF has 1 byte(s)"));
    assert_int_equal(check(nor_row(row, sizeof(row), "ID2", "FF 40 18", "1M", ""), &r), 1);
    assert_non_null(strstr(r.msg[0], "starts with FF"));
    snprintf(row, sizeof(row),
             "[V]\nvendor = V\ntype = nor\nid = AB 01\nsize = 1M\npage = 256\n"
             "erase = 4K:20\nvoltage = 3.6-2.7\nt_program = 5/1ms\nsource = s\n");
    assert_int_equal(check(row, &r), 2);
    assert_true(any_report_contains(&r, "voltage 3.600-2.700 V"));
    assert_true(any_report_contains(&r, "t_program: typical time 5000 us is above"));
}

static void test_check_nand(void **state)
{
    (void)state;
    char row[1024];
    struct reports r;
    /* size given and not matching the geometry */
    assert_int_equal(check(nand_row(row, sizeof(row), "N1", "EF AA 21", "size = 256M\n"), &r), 1);
    assert_non_null(strstr(r.msg[0], "N1: size 256M does not match page x pages_per_block x "
                                     "blocks x dies = 2048 x 64 x 1024 x 1 = 128M"));
    assert_int_equal(check(nand_row(row, sizeof(row), "N1", "EF AA 21", "size = 128M\n"), &r), 0);

    /* unknown decoder */
    snprintf(row, sizeof(row),
             "[N2]\nvendor = V\ntype = nand\nid = EF AA 22\nread_id = dummy\npage = 2048\n"
             "oob = 64\npages_per_block = 64\nblocks = 1024\necc = 8/512\n"
             "ecc_status = winbond-zz\nvoltage = 2.7-3.6\nsource = s\n");
    assert_int_equal(check(row, &r), 1);
    assert_non_null(strstr(r.msg[0], "N2: ecc_status 'winbond-zz' is not a known decoder"));

    /* every name of the nand_ecc.c contract is known */
    static const char *const names[] = {"generic", "winbond-kv",   "gd-xa",   "gd-uexxg", "gd-q5",
                                        "gd-ufuc", "mx-7c",        "micron",  "kioxia",   "xtx-a",
                                        "xtx-d",   "dosilicon-gb", "foresee", "zetta"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(row, sizeof(row),
                 "[N3]\nvendor = V\ntype = nand\nid = EF AA 22\nread_id = dummy\npage = 2048\n"
                 "oob = 64\npages_per_block = 64\nblocks = 1024\necc = 8/512\n"
                 "ecc_status = %s\nvoltage = 2.7-3.6\nsource = s\n",
                 names[i]);
        if (check(row, &r) != 0)
            fail_msg("ecc_status %s: %s", names[i], r.msg[0]);
    }

    /* planes not dividing blocks, ECC step not dividing the page */
    snprintf(row, sizeof(row),
             "[N4]\nvendor = V\ntype = nand\nid = EF AA 23\nread_id = addr\npage = 2048\n"
             "oob = 64\npages_per_block = 64\nblocks = 1025\nplanes = 2\necc = 4/768\n"
             "ecc_status = generic\nvoltage = 1.7-1.95\nsource = s\n");
    assert_int_equal(check(row, &r), 2);
    assert_true(any_report_contains(&r, "N4: planes (2) do not divide blocks (1025)"));
    assert_true(any_report_contains(&r, "N4: ECC step 768 does not divide the page size 2048"));
}

static void test_check_aliases(void **state)
{
    (void)state;
    char a[1024], b[1024], text[4096];
    struct reports r;
    snprintf(text, sizeof(text), "%s%s",
             nor_row(a, sizeof(a), "ONE", "AB 01", "1M", "aliases = TWO, SAME\n"),
             nor_row(b, sizeof(b), "TWO", "AB 02", "1M", "aliases = same, two\n"));
    assert_int_equal(check(text, &r), 4);
    assert_true(any_report_contains(&r, "test.ini:1: ONE: alias 'TWO' is the name of another row "
                                        "(test.ini:11)"));
    assert_true(any_report_contains(&r, "TWO: alias 'two' is the row's own name"));
    assert_true(any_report_contains(&r, "TWO: alias 'same' is also an alias of ONE (test.ini:1)"));
    assert_true(any_report_contains(&r, "TWO: alias 'two' is also an alias of ONE (test.ini:1)"));
}

static void test_check_null_report(void **state)
{
    (void)state;
    char row[1024];
    struct cd_chipdb *db = db_from(nor_row(row, sizeof(row), "BIG", "AB 01", "32M", ""));
    assert_int_equal(cd_chipdb_check(db, NULL, NULL), 1);
    cd_chipdb_free(db);
}

/* ---- files and the builtin database ---- */

struct tmpdir {
    char path[64];
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        chmod(p, 0700);
        if (unlink(p) != 0)
            remove_tree(p);
    }
    closedir(d);
    rmdir(dir);
}

static void test_add_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/cd-test-chipdb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[1024], b[1024], text[2048], p[256];
    /* b.ini sorts after a.ini and corrects its row */
    snprintf(text, sizeof(text), "%s%s", nor_row(a, sizeof(a), "R1", "AB 01", "1M", ""),
             nor_row(b, sizeof(b), "R2", "AB 02", "1M", ""));
    write_file(dir, "a.ini", text);
    write_file(dir, "b.ini", nor_row(a, sizeof(a), "r1", "AB 11", "2M", ""));
    write_file(dir, "notes.txt", "not a chipdb file\n");
    write_file(dir, ".hidden.ini", "garbage\n");
    snprintf(p, sizeof(p), "%s/sub.ini", dir);
    assert_int_equal(mkdir(p, 0700), 0);

    struct cd_chipdb *db = NULL;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    assert_int_equal(cd_chipdb_add_path(db, dir), CD_OK);
    assert_int_equal(cd_chipdb_count(db), 2);
    assert_string_equal(cd_chipdb_get(db, 0)->name, "r1");
    assert_int_equal(cd_chipdb_get(db, 0)->size, 2u << 20);
    snprintf(p, sizeof(p), "%s/b.ini", dir);
    assert_string_equal(cd_chipdb_get(db, 0)->origin_file, p);

    /* a single file */
    snprintf(p, sizeof(p), "%s/a.ini", dir);
    assert_int_equal(cd_chipdb_add_path(db, p), CD_OK);
    assert_int_equal(cd_chipdb_get(db, 0)->size, 1u << 20);

    /* a missing directory adds nothing and is fine; a missing .ini file is an error */
    snprintf(p, sizeof(p), "%s/no-such-dir", dir);
    assert_int_equal(cd_chipdb_add_path(db, p), CD_OK);
    snprintf(p, sizeof(p), "%s/missing.ini", dir);
    assert_int_equal(cd_chipdb_add_path(db, p), CD_E_IO);
    assert_non_null(strstr(cd_error_detail(), "missing.ini"));

    /* a bad file names itself */
    write_file(dir, "c.ini", nor_row(a, sizeof(a), "R3", "AB 03", "1X", ""));
    snprintf(p, sizeof(p), "%s/c.ini", dir);
    assert_int_equal(cd_chipdb_add_path(db, p), CD_E_CHIPDB);
    char want[300];
    snprintf(want, sizeof(want), "%s/c.ini:5: R3: field 'size': bad size '1X'", dir);
    assert_string_equal(cd_error_detail(), want);
    assert_int_equal(cd_chipdb_add_path(db, dir), CD_E_CHIPDB);
    assert_int_equal(cd_chipdb_count(db), 2);

    /* unreadable (root reads anything, so only as another user) */
    if (geteuid() != 0) {
        chmod(p, 0);
        assert_int_equal(cd_chipdb_add_path(db, p), CD_E_IO);
        assert_non_null(strstr(cd_error_detail(), "c.ini"));
    }
    cd_chipdb_free(db);
    remove_tree(dir);
}

static void test_builtin_loads(void **state)
{
    (void)state;
    struct cd_chipdb *db = NULL;
    int rc = cd_chipdb_new_builtin(&db);
    if (rc != CD_OK)
        fail_msg("builtin chipdb: %s: %s", cd_strerror(rc), cd_error_detail());
    for (size_t i = 0; i < cd_chipdb_count(db); i++) {
        const struct cd_chip *c = cd_chipdb_get(db, i);
        assert_non_null(c->name);
        assert_true(*c->name);
        assert_non_null(c->vendor);
        assert_true(*c->vendor);
        assert_non_null(strstr(c->origin_file, "chipdb/"));
    }
    /* the data files are being written: strict only when asked (ctest runs `chips check`) */
    if (getenv("CHIPDUMP_STRICT_DB")) {
        struct reports r = {0};
        size_t n = cd_chipdb_check(db, collect, &r);
        if (n)
            fail_msg("%zu problems, first: %s", n, r.msg[0]);
    }
    print_message("builtin chipdb: %zu rows\n", cd_chipdb_count(db));
    cd_chipdb_free(db);
}

/* CPU time of this process: what the load costs, whatever else the machine is doing */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_load_speed(void **state)
{
    (void)state;
    /* 500 full rows (the builtin database will have 300-500) */
    size_t cap = 500 * 800, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 500; i++) {
        n += (size_t)snprintf(text + n, cap - n,
                              "[CHIP%03d]\nvendor = Vendor\ntype = nor\nid = EF %02X %02X\n"
                              "aliases = ALIAS%03dA, ALIAS%03dB\nsize = 16M\npage = 256\n"
                              "erase = 4K:20 32K:52 64K:D8\nchip_erase = C7\n"
                              "t_erase = 4K:45/400ms 32K:120/1600ms 64K:150/2000ms "
                              "chip:40/200s\nt_program = 0.4/3ms\nvoltage = 2.7-3.6\n"
                              "protect = bp3-tb\nsfdp = yes\n"
                              "source = Vendor datasheet, rev. F (2018-03-27)\n\n",
                              i, i / 256, i % 256, i, i);
    }
    struct cd_chipdb *db = NULL;
    assert_int_equal(cd_chipdb_new_empty(&db), CD_OK);
    double t0 = now_ms();
    assert_int_equal(cd_chipdb_add_text(db, text, "big.ini"), CD_OK);
    double t1 = now_ms();
    assert_int_equal(cd_chipdb_count(db), 500);
    assert_int_equal(cd_chipdb_check(db, NULL, NULL), 0);
    double t2 = now_ms();
    /* loading again replaces every row by name */
    assert_int_equal(cd_chipdb_add_text(db, text, "big.ini"), CD_OK);
    assert_int_equal(cd_chipdb_count(db), 500);
    print_message("500 rows: load %.2f ms, check %.2f ms\n", t1 - t0, t2 - t1);
    /* the target is well under 10 ms in a normal build; sanitizers are several times slower,
     * so the bound only catches a blow-up (quadratic name replacement and the like) */
    assert_true(t1 - t0 < 250.0);
    cd_chipdb_free(db);
    free(text);
}

/* ---- helpers ---- */

static void test_helpers(void **state)
{
    (void)state;
    struct cd_chipdb *db = db_from(W25Q128JV);
    const struct cd_chip *c = cd_chipdb_get(db, 0);
    char buf[2 * CD_MAX_ID_LEN + 1];
    assert_string_equal(cd_chip_id_hex(c, buf, sizeof(buf)), "EF4018");
    char small[5];
    assert_string_equal(cd_chip_id_hex(c, small, sizeof(small)), "EF40");
    assert_string_equal(cd_chip_type_name(CD_CHIP_NOR), "nor");
    assert_string_equal(cd_chip_type_name(CD_CHIP_NAND), "nand");
    assert_string_equal(cd_readid_form_name(CD_READID_OPCODE), "opcode");
    assert_string_equal(cd_readid_form_name(CD_READID_ADDR), "addr");
    assert_string_equal(cd_readid_form_name(CD_READID_DUMMY), "dummy");

    struct cd_chip other = *c;
    assert_true(cd_chip_same_geometry(c, &other));
    other.erase[1].size = 8192;
    assert_false(cd_chip_same_geometry(c, &other));
    other = *c;
    other.nerase = 2;
    assert_false(cd_chip_same_geometry(c, &other));
    other = *c;
    other.size *= 2;
    assert_false(cd_chip_same_geometry(c, &other));
    other = *c;
    other.type = CD_CHIP_NAND;
    assert_false(cd_chip_same_geometry(c, &other));
    other = *c;
    other.vmin_mv = 1700; /* not geometry */
    assert_true(cd_chip_same_geometry(c, &other));

    assert_int_equal(cd_chipdb_count(NULL), 0);
    assert_null(cd_chipdb_get(NULL, 0));
    cd_chipdb_free(NULL);
    cd_chipdb_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_nor_all_fields),
        cmocka_unit_test(test_parse_nor_addr4_and_defaults),
        cmocka_unit_test(test_parse_nand_all_fields),
        cmocka_unit_test(test_parse_nand_defaults_and_dies),
        cmocka_unit_test(test_parse_syntax_variants),
        cmocka_unit_test(test_malformed_rows),
        cmocka_unit_test(test_malformed_exact_detail),
        cmocka_unit_test(test_failed_text_adds_nothing),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_replace_by_name),
        cmocka_unit_test(test_find_name_exact_alias_case),
        cmocka_unit_test(test_find_name_prefix),
        cmocka_unit_test(test_find_name_ambiguous),
        cmocka_unit_test(test_find_name_unknown),
        cmocka_unit_test(test_find_id),
        cmocka_unit_test(test_check_good_rows),
        cmocka_unit_test(test_check_duplicate_ids),
        cmocka_unit_test(test_check_nor_geometry),
        cmocka_unit_test(test_check_nand),
        cmocka_unit_test(test_check_aliases),
        cmocka_unit_test(test_check_null_report),
        cmocka_unit_test(test_add_path),
        cmocka_unit_test(test_builtin_loads),
        cmocka_unit_test(test_load_speed),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
