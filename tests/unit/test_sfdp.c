/*
 * Unit tests: JESD216 SFDP parser. Every table here is assembled field by field from the
 * standard (JESD216 rev 0 / A / B), not copied from a chip dump.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "chipdump/chipdb.h"
#include "chipdump/error.h"
#include "sfdp.h"

#define MIB (1024u * 1024u)

struct img {
    uint8_t b[8192];
    size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void grow(struct img *im, size_t end)
{
    if (end > im->len)
        im->len = end;
}

/* SFDP header (§6.2): "SFDP", minor, major 1, NPH = headers - 1, unused/access FFh. */
static void img_header(struct img *im, uint8_t minor, unsigned nheaders)
{
    memset(im->b, 0xFF, sizeof(im->b)); /* unprogrammed SFDP space reads FFh */
    im->len = 0;
    im->b[0] = 'S';
    im->b[1] = 'F';
    im->b[2] = 'D';
    im->b[3] = 'P';
    im->b[4] = minor;
    im->b[5] = 1;
    im->b[6] = (uint8_t)(nheaders - 1);
    im->b[7] = 0xFF;
    grow(im, 8 + 8 * nheaders);
}

/* Parameter header idx (§6.3): ID LSB, minor, major, length (DWORDs), PTP (24-bit LE), ID MSB. */
static void img_phdr(struct img *im, unsigned idx, uint16_t id, uint8_t minor, uint8_t major,
                     uint8_t ndw, uint32_t ptp)
{
    uint8_t *p = im->b + 8 + 8 * idx;
    p[0] = (uint8_t)id;
    p[1] = minor;
    p[2] = major;
    p[3] = ndw;
    p[4] = (uint8_t)ptp;
    p[5] = (uint8_t)(ptp >> 8);
    p[6] = (uint8_t)(ptp >> 16);
    p[7] = (uint8_t)(id >> 8);
}

static void img_table(struct img *im, uint32_t ptp, const uint32_t *dw, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put32(im->b + ptp + 4 * i, dw[i]);
    grow(im, ptp + 4 * n);
}

/* ---- field builders, named after the standard's DWORDs ---- */

/* DWORD1: bits 1:0 4 KiB erase (01b yes, 11b no), bit 2 write granularity, 15:8 4K opcode,
 * bit 16 1-1-2, 18:17 address bytes, bit 19 DTR, 20 1-2-2, 21 1-4-4, 22 1-1-4, 31:23 and 7:5
 * unused (1). */
static uint32_t bfpt_dw1(bool has_4k, uint8_t op4k, unsigned addr_bytes)
{
    return 0xFF800000u | 1u << 22 | 1u << 21 | 1u << 20 | (addr_bytes & 3u) << 17 | 1u << 16 |
           (uint32_t)op4k << 8 | 0xE0u | 1u << 2 | (has_4k ? 0x1u : 0x3u);
}

/* Erase type half-word (DWORD8/9): low byte size exponent N (2^N bytes, 0 = unused), high
 * byte opcode. */
static uint32_t erase_half(unsigned exp, uint8_t op)
{
    return (uint32_t)op << 8 | exp;
}

/* DWORD10: bits 3:0 max multiplier M (max = 2 * (M + 1) * typ); erase type t (1..4) typical
 * time count C at bits 4+7(t-1) (5 bits, time = (C + 1) * unit), unit U at the next 2 bits
 * (00b 1 ms, 01b 16 ms, 10b 128 ms, 11b 1 s). */
static uint32_t dw10_type(unsigned t, unsigned count, unsigned unit)
{
    return (count & 0x1Fu) << (4 + 7 * (t - 1)) | (unit & 3u) << (9 + 7 * (t - 1));
}

/* DWORD11: bits 3:0 program max multiplier, 7:4 page size N, 12:8 page program count, 13 unit
 * (0 = 8 us, 1 = 64 us), 17:14 first byte count, 18 unit, 22:19 additional byte count, 23 unit,
 * 28:24 chip erase count, 30:29 unit (16 ms, 256 ms, 4 s, 64 s), 31 reserved (1). */
static uint32_t bfpt_dw11(unsigned mult, unsigned page_exp, unsigned pp_count, unsigned pp_unit,
                          unsigned ce_count, unsigned ce_unit)
{
    return 1u << 31 | (ce_unit & 3u) << 29 | (ce_count & 0x1Fu) << 24 | 1u << 19 /* 2 us */ |
           7u << 14 /* 8 us */ | (pp_unit & 1u) << 13 | (pp_count & 0x1Fu) << 8 |
           (page_exp & 0xFu) << 4 | (mult & 0xFu);
}

/* DWORD16: bits 31:24 enter 4-byte addressing (bit 24 B7h, 25 06h+B7h, 26 EAR, 27 bank
 * register, 28 NV config register, 29 dedicated 4-byte opcodes, 30 always 4-byte, 31
 * reserved 1), 23:14 exit methods, 13:8 soft reset (bit 12 = 66h/99h), 7 reserved (1), 6:0 SR1
 * write enable. */
static uint32_t bfpt_dw16(uint8_t enter, unsigned exit_methods)
{
    return (uint32_t)enter << 24 | (exit_methods & 0x3FFu) << 14 | 1u << 12 | 1u << 7 | 0x01u;
}

/* A W25Q128-like 16-DWORD (JESD216B, minor 6) table: 128 Mbit, 4K/32K/64K = 20h/52h/D8h. */
static void w25q128_bfpt(uint32_t dw[16])
{
    dw[0] = bfpt_dw1(true, 0x20, 0); /* 3-byte addressing only */
    dw[1] = 128u * MIB - 1;          /* density: bit 31 = 0, 2^27 bits - 1 */
    dw[2] = 0x6B08EB44;              /* 1-1-4: 6Bh, 8 wait; 1-4-4: EBh, 2 mode + 4 wait */
    dw[3] = 0xBB423B08;              /* 1-2-2: BBh, 2 mode; 1-1-2: 3Bh, 8 wait */
    dw[4] = 0xFFFFFFEE;              /* no 2-2-2 (bit 0), no 4-4-4 (bit 4) */
    dw[5] = 0xFFFF0000;              /* 2-2-2 settings (unused) */
    dw[6] = 0xFFFF0000;              /* 4-4-4 settings (unused) */
    dw[7] = erase_half(15, 0x52) << 16 | erase_half(12, 0x20); /* type 2: 32K, type 1: 4K */
    dw[8] = erase_half(0, 0xFF) << 16 | erase_half(16, 0xD8);  /* type 4: none, type 3: 64K */
    /* 4K 3 x 16 ms = 48 ms, 32K 8 x 16 = 128 ms, 64K 10 x 16 = 160 ms; max = 2*(3+1) = 8x */
    dw[9] = 3u | dw10_type(1, 2, 1) | dw10_type(2, 7, 1) | dw10_type(3, 9, 1);
    /* page 2^8; page program 6 x 64 us = 384 us, max 2*(2+1) = 6x; chip erase 10 x 4 s */
    dw[10] = bfpt_dw11(2, 8, 5, 1, 9, 2);
    dw[11] = 0xEC23F291; /* DWORD12..15: suspend/resume, deep power-down, QER: not parsed */
    dw[12] = 0x7A757A75;
    dw[13] = 0xF7A2D5D9;
    dw[14] = 0xFF5CF29D | 5u << 20; /* QER 101b */
    dw[15] = bfpt_dw16(0x00, 0);    /* no 4-byte entry methods */
}

static void build_w25q128(struct img *im)
{
    uint32_t dw[16];
    img_header(im, 6, 1);
    img_phdr(im, 0, 0xFF00, 6, 1, 16, 0x80);
    w25q128_bfpt(dw);
    img_table(im, 0x80, dw, 16);
}

static void test_w25q128_like(void **state)
{
    struct img im;
    struct cd_chip c;
    build_w25q128(&im);
    assert_int_equal(im.len, 0x80 + 64);

    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0xC0);
    assert_int_equal(cd_sfdp_needed(im.b, 16), 0xC0); /* header + 1 parameter header */
    assert_int_equal(cd_sfdp_needed(im.b, 8), 16);    /* only the header: read the phdrs */

    memset(&c, 0xCC, sizeof(c));
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.type, CD_CHIP_NOR);
    assert_int_equal(c.size, 16 * MIB);
    assert_int_equal(c.page_size, 256);
    assert_int_equal(c.nerase, 3);
    assert_int_equal(c.erase[0].size, 4096);
    assert_int_equal(c.erase[0].opcode, 0x20);
    assert_int_equal(c.erase[0].opcode4, 0);
    assert_int_equal(c.erase[0].typ_ms, 48);
    assert_int_equal(c.erase[0].max_ms, 384);
    assert_int_equal(c.erase[1].size, 32768);
    assert_int_equal(c.erase[1].opcode, 0x52);
    assert_int_equal(c.erase[1].typ_ms, 128);
    assert_int_equal(c.erase[1].max_ms, 1024);
    assert_int_equal(c.erase[2].size, 65536);
    assert_int_equal(c.erase[2].opcode, 0xD8);
    assert_int_equal(c.erase[2].typ_ms, 160);
    assert_int_equal(c.erase[2].max_ms, 1280);
    assert_int_equal(c.chip_erase_opcode, 0xC7);
    assert_int_equal(c.chip_erase_typ_ms, 40000);
    assert_int_equal(c.chip_erase_max_ms, 320000);
    assert_int_equal(c.pp_typ_us, 384);
    assert_int_equal(c.pp_max_us, 2304);
    assert_int_equal(c.addr4, CD_ADDR4_NONE);
    assert_true(c.has_sfdp);
    assert_null(c.name);
    assert_null(c.vendor);
    assert_null(c.source);
    assert_int_equal(c.id_len, 0);
}

static void test_32mib_b7_entry(void **state)
{
    /* 256 Mbit, 3-or-4 address bytes, DWORD16 enter = B7h (+ dedicated 4-byte set listed),
     * a 4-byte address instruction table header that must be skipped. */
    struct img im;
    struct cd_chip c;
    uint32_t dw[16], bait[2];
    img_header(&im, 6, 2);
    img_phdr(&im, 0, 0xFF00, 6, 1, 16, 0x30);
    img_phdr(&im, 1, 0xFF84, 0, 1, 2, 0x70);
    w25q128_bfpt(dw);
    dw[0] = bfpt_dw1(true, 0x20, 1); /* 01b: 3- or 4-byte */
    dw[1] = 256u * MIB - 1;
    dw[15] = bfpt_dw16(0x80 | 0x20 | 0x01, 0x001 /* E9h */);
    img_table(&im, 0x30, dw, 16);
    bait[0] = 0x00000E41; /* 4BAIT: 13h, PP 12h, erase types 1..3 */
    bait[1] = 0xFFDC5C21;
    img_table(&im, 0x70, bait, 2);

    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0x70);
    assert_int_equal(cd_sfdp_parse(im.b, 0x70, &c), CD_OK);
    assert_int_equal(c.size, 32 * MIB);
    assert_int_equal(c.addr4, CD_ADDR4_MODE);
    assert_int_equal(c.nerase, 3);
    for (unsigned i = 0; i < c.nerase; i++)
        assert_int_equal(c.erase[i].opcode4, 0);

    /* WREN + B7h (bit 25) is still an EN4B chip */
    dw[15] = bfpt_dw16(0x80 | 0x02, 0x002);
    img_table(&im, 0x30, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.addr4, CD_ADDR4_MODE);

    /* only an extended address register (bit 26): no B7h, no flag */
    dw[15] = bfpt_dw16(0x80 | 0x04, 0x004);
    img_table(&im, 0x30, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.addr4, CD_ADDR4_NONE);

    /* DWORD16 names no entry method (00h): DWORD1's 3-or-4 alone means B7h */
    dw[15] = bfpt_dw16(0x00, 0x000);
    img_table(&im, 0x30, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.addr4, CD_ADDR4_MODE);

    /* a 16 MiB part that also accepts B7h needs no 4-byte mode */
    dw[1] = 128u * MIB - 1;
    dw[15] = bfpt_dw16(0x80 | 0x01, 0x001);
    img_table(&im, 0x30, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 16 * MIB);
    assert_int_equal(c.addr4, CD_ADDR4_NONE);
}

static void test_rev0_9_dwords(void **state)
{
    /* JESD216 (rev 0): header minor 0, BFPT header minor 0, 9 DWORDs, ID MSB "unused FFh". */
    struct img im;
    struct cd_chip c;
    uint32_t dw[9];
    img_header(&im, 0, 1);
    img_phdr(&im, 0, 0xFF00, 0, 1, 9, 0x10);
    dw[0] = bfpt_dw1(true, 0x20, 0);
    dw[1] = 32u * MIB - 1; /* 32 Mbit */
    dw[2] = 0xFFFFFFFF;
    dw[3] = 0xFFFFFFFF;
    dw[4] = 0xFFFFFFEE;
    dw[5] = 0xFFFF0000;
    dw[6] = 0xFFFF0000;
    dw[7] = erase_half(16, 0xD8) << 16 | erase_half(12, 0x20);
    dw[8] = 0x00000000;
    img_table(&im, 0x10, dw, 9);
    assert_int_equal(im.len, 0x10 + 36);

    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0x34);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 4 * MIB);
    assert_int_equal(c.page_size, 256); /* not in rev 0: the usual 256 */
    assert_int_equal(c.nerase, 2);
    assert_int_equal(c.erase[0].size, 4096);
    assert_int_equal(c.erase[0].opcode, 0x20);
    assert_int_equal(c.erase[0].typ_ms, 0);
    assert_int_equal(c.erase[0].max_ms, 0);
    assert_int_equal(c.erase[1].size, 65536);
    assert_int_equal(c.erase[1].opcode, 0xD8);
    assert_int_equal(c.chip_erase_opcode, 0xC7);
    assert_int_equal(c.chip_erase_typ_ms, 0);
    assert_int_equal(c.pp_typ_us, 0);
    assert_int_equal(c.pp_max_us, 0);
    assert_int_equal(c.addr4, CD_ADDR4_NONE);
    assert_true(c.has_sfdp);

    /* the 4 KiB erase only in DWORD1 (erase types list 64K only) is still found */
    dw[7] = erase_half(16, 0xD8);
    img_table(&im, 0x10, dw, 9);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.nerase, 2);
    assert_int_equal(c.erase[0].size, 4096);
    assert_int_equal(c.erase[0].opcode, 0x20);
    assert_int_equal(c.erase[1].size, 65536);

    /* 4 KiB erase unavailable (bits 1:0 = 11b): 64K only */
    dw[0] = bfpt_dw1(false, 0xFF, 0);
    img_table(&im, 0x10, dw, 9);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.nerase, 1);
    assert_int_equal(c.erase[0].size, 65536);

    /* rev 0 has no DWORD16: 3-or-4 on a 32 MiB part means EN4B (B7h) */
    dw[0] = bfpt_dw1(true, 0x20, 1);
    dw[1] = 256u * MIB - 1;
    img_table(&im, 0x10, dw, 9);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 32 * MIB);
    assert_int_equal(c.addr4, CD_ADDR4_MODE);
}

static void test_highest_bfpt_revision_wins(void **state)
{
    /* A rev-0 header first (for old readers), then a JESD216B one, then a vendor table. */
    struct img im;
    struct cd_chip c;
    uint32_t dw[16];
    img_header(&im, 6, 3);
    img_phdr(&im, 0, 0xFF00, 0, 1, 9, 0x40);
    img_phdr(&im, 1, 0xFF00, 6, 1, 16, 0x80);
    img_phdr(&im, 2, 0xFFEF, 0, 1, 4, 0xC0); /* vendor (EFh) table */
    w25q128_bfpt(dw);
    dw[1] = 64u * MIB - 1; /* rev-0 copy says 8 MiB: must not be used */
    img_table(&im, 0x40, dw, 9);
    w25q128_bfpt(dw);
    img_table(&im, 0x80, dw, 16);
    uint32_t vendor[4] = {0, 0, 0, 0};
    img_table(&im, 0xC0, vendor, 4);

    assert_int_equal(cd_sfdp_needed(im.b, 0x40), 0xC0);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 16 * MIB);
    assert_int_equal(c.page_size, 256);
    assert_int_equal(c.erase[0].typ_ms, 48);

    /* a major-2 or too-short BFPT header is ignored */
    img_phdr(&im, 1, 0xFF00, 7, 2, 16, 0x80);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 8 * MIB);
    img_phdr(&im, 1, 0xFF00, 7, 1, 8, 0x80);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 8 * MIB);

    /* no usable BFPT header at all */
    img_phdr(&im, 0, 0xFF00, 0, 1, 8, 0x40);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
    assert_non_null(strstr(cd_error_detail(), "FF00"));
    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0);
}

static void test_bad_signature(void **state)
{
    struct img im;
    struct cd_chip c, before;
    build_w25q128(&im);
    memset(&c, 0xCC, sizeof(c));
    before = c;

    im.b[3] = 'Q';
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
    assert_non_null(strstr(cd_error_detail(), "signature"));
    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0);
    assert_memory_equal(&c, &before, sizeof(c)); /* untouched on failure */

    uint8_t ff[64], zero[64];
    memset(ff, 0xFF, sizeof(ff)); /* nothing on the bus */
    memset(zero, 0x00, sizeof(zero));
    assert_int_equal(cd_sfdp_parse(ff, sizeof(ff), &c), CD_E_UNSUPPORTED);
    assert_int_equal(cd_sfdp_parse(zero, sizeof(zero), &c), CD_E_UNSUPPORTED);
    assert_int_equal(cd_sfdp_needed(ff, sizeof(ff)), 0);
    assert_int_equal(cd_sfdp_needed(zero, sizeof(zero)), 0);

    /* right signature, major revision 2 */
    build_w25q128(&im);
    im.b[5] = 2;
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0);

    /* shorter than a header, and NULL */
    build_w25q128(&im);
    assert_int_equal(cd_sfdp_parse(im.b, 7, &c), CD_E_UNSUPPORTED);
    assert_int_equal(cd_sfdp_parse(im.b, 0, &c), CD_E_UNSUPPORTED);
    assert_int_equal(cd_sfdp_needed(im.b, 7), 0);
    assert_int_equal(cd_sfdp_parse(NULL, 64, &c), CD_E_ARG);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, NULL), CD_E_ARG);
    assert_int_equal(cd_sfdp_needed(NULL, 64), 0);
    assert_memory_equal(&c, &before, sizeof(c));
}

static void test_pointer_past_len(void **state)
{
    struct img im;
    struct cd_chip c;
    uint32_t dw[16];
    img_header(&im, 6, 1);
    img_phdr(&im, 0, 0xFF00, 6, 1, 16, 0xFFFFF0); /* 24-bit pointer near the top */
    w25q128_bfpt(dw);
    img_table(&im, 0x10, dw, 16); /* the table is really somewhere else */

    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
    assert_non_null(strstr(cd_error_detail(), "0xFFFFF0"));
    assert_int_equal(cd_sfdp_needed(im.b, im.len), 0xFFFFF0 + 64);

    /* NPH = 255: 256 parameter headers do not fit in what was read */
    build_w25q128(&im);
    im.b[6] = 0xFF;
    assert_int_equal(cd_sfdp_needed(im.b, im.len), 8 + 256 * 8);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
    assert_non_null(strstr(cd_error_detail(), "parameter headers"));
}

static void test_truncated_bfpt(void **state)
{
    struct img im;
    struct cd_chip c;
    build_w25q128(&im);
    for (size_t len = 0; len < im.len; len++)
        assert_int_equal(cd_sfdp_parse(im.b, len, &c), CD_E_UNSUPPORTED);
    assert_int_equal(cd_sfdp_parse(im.b, 0x80 + 9 * 4, &c), CD_E_UNSUPPORTED);
    assert_non_null(strstr(cd_error_detail(), "16 DWORDs"));
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
}

static void test_density_bit31(void **state)
{
    struct img im;
    struct cd_chip c;
    uint32_t dw[16];
    img_header(&im, 6, 1);
    img_phdr(&im, 0, 0xFF00, 6, 1, 16, 0x10);
    w25q128_bfpt(dw);
    dw[0] = bfpt_dw1(true, 0x20, 2);             /* 4-byte addressing only */
    dw[1] = 0x80000000u | 33;                    /* 2^33 bits = 1 GiB */
    dw[15] = bfpt_dw16(0x80 | 0x40 | 0x20, 0x0); /* always 4-byte, dedicated opcodes */
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 1024ull * MIB);
    assert_int_equal(c.addr4, CD_ADDR4_ONLY);

    /* 2^35 bits = 4 GiB: the largest accepted */
    dw[1] = 0x80000000u | 35;
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 4096ull * MIB);

    /* bit 31 set with a small N is legal: 2^27 bits = 16 MiB; still 4-byte only */
    dw[1] = 0x80000000u | 27;
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 16 * MIB);
    assert_int_equal(c.addr4, CD_ADDR4_ONLY);

    /* DWORD16 "always 4-byte" alone makes a 3-or-4 part 4-byte-only */
    dw[0] = bfpt_dw1(true, 0x20, 1);
    dw[1] = 512u * MIB - 1;
    dw[15] = bfpt_dw16(0x80 | 0x40, 0x0);
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.size, 64 * MIB);
    assert_int_equal(c.addr4, CD_ADDR4_ONLY);

    static const uint32_t bad[] = {
        0x80000000u | 36,         /* 8 GiB: over 4 GiB */
        0x80000000u | 0x7FFFFFFF, /* absurd exponent */
        0x80000000u | 2,          /* half a byte */
        0x00FFFFFE,               /* 2^24 - 1 bits: not whole bytes */
        48u * MIB - 1,            /* 48 Mbit = 6 MiB: not a power of two */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dw[1] = bad[i];
        img_table(&im, 0x10, dw, 16);
        assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
        assert_non_null(strstr(cd_error_detail(), "density"));
    }
}

static void test_inconsistent_tables(void **state)
{
    struct img im;
    struct cd_chip c;
    uint32_t dw[16];
    img_header(&im, 6, 1);
    img_phdr(&im, 0, 0xFF00, 6, 1, 16, 0x10);

    /* no erase type at all */
    w25q128_bfpt(dw);
    dw[0] = bfpt_dw1(false, 0xFF, 0);
    dw[7] = 0;
    dw[8] = 0;
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);
    assert_non_null(strstr(cd_error_detail(), "erase"));

    /* erase type larger than the chip (64K on a 32 KiB part) */
    w25q128_bfpt(dw);
    dw[1] = 256u * 1024 - 1;
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);

    /* erase type exponent 32 (4 GiB sector) */
    w25q128_bfpt(dw);
    dw[8] = erase_half(32, 0xD8);
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);

    /* page (2^15) larger than the 4K erase */
    w25q128_bfpt(dw);
    dw[10] = bfpt_dw11(2, 15, 5, 1, 9, 2);
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_E_UNSUPPORTED);

    /* page 512 is fine */
    w25q128_bfpt(dw);
    dw[10] = bfpt_dw11(2, 9, 5, 1, 9, 2);
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.page_size, 512);

    /* an erase type given twice with the same size: one entry; unordered types get sorted */
    w25q128_bfpt(dw);
    dw[7] = erase_half(16, 0xD8) << 16 | erase_half(15, 0x52);
    dw[8] = erase_half(12, 0x20) << 16 | erase_half(16, 0xDC);
    img_table(&im, 0x10, dw, 16);
    assert_int_equal(cd_sfdp_parse(im.b, im.len, &c), CD_OK);
    assert_int_equal(c.nerase, 3);
    assert_int_equal(c.erase[0].size, 4096);
    assert_int_equal(c.erase[1].size, 32768);
    assert_int_equal(c.erase[1].opcode, 0x52);
    assert_int_equal(c.erase[2].size, 65536);
    assert_int_equal(c.erase[2].opcode, 0xD8);
    /* times follow their erase type through the sort: type 4 (4K) has count 0, unit 0 */
    assert_int_equal(c.erase[0].typ_ms, 1);
    assert_int_equal(c.erase[1].typ_ms, 48); /* type 1: 3 x 16 ms */
    assert_int_equal(c.erase[2].typ_ms, 128);
}

/* Deterministic xorshift so failures reproduce. */
static uint32_t rnd_state = 0x12345678;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static void test_fuzz_mutations(void **state)
{
    /* Flip bytes of a valid image; parse must never read out of bounds (ASan), and any
     * success must yield a consistent row. */
    struct img base, im;
    struct cd_chip c;
    unsigned ok = 0;
    build_w25q128(&base);
    for (int iter = 0; iter < 20000; iter++) {
        im = base;
        unsigned flips = 1 + rnd() % 6;
        for (unsigned k = 0; k < flips; k++)
            im.b[rnd() % im.len] = (uint8_t)rnd();
        size_t len = rnd() % 4 ? im.len : rnd() % (im.len + 1);
        size_t need = cd_sfdp_needed(im.b, len);
        int rc = cd_sfdp_parse(im.b, len, &c);
        if (rc == CD_OK) {
            ok++;
            assert_true(need > 0 && need <= len);
            assert_true(c.size > 0 && c.size <= (1ull << 32));
            assert_true((c.size & (c.size - 1)) == 0);
            assert_true(c.nerase >= 1 && c.nerase <= CD_MAX_ERASE_TYPES);
            for (unsigned i = 0; i < c.nerase; i++) {
                assert_true(c.erase[i].size >= c.page_size && c.erase[i].size <= c.size);
                if (i)
                    assert_true(c.erase[i].size > c.erase[i - 1].size);
            }
        } else {
            assert_int_equal(rc, CD_E_UNSUPPORTED);
        }
    }

    assert_true(ok > 1000); /* the mutations are not all rejected by the signature check */

    /* random garbage behind a valid signature, with short pointers into the buffer */
    uint8_t buf[600];
    for (int iter = 0; iter < 20000; iter++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)rnd();
        memcpy(buf, "SFDP", 4);
        buf[5] = 1;
        buf[6] = (uint8_t)(rnd() % 4);
        buf[8] = 0x00;
        buf[15] = 0xFF;
        buf[10] = 1;
        buf[11] = (uint8_t)(9 + rnd() % 12);
        buf[12] = (uint8_t)(rnd() % 600);
        buf[13] = (uint8_t)(rnd() % 3);
        buf[14] = 0;
        size_t len = rnd() % (sizeof(buf) + 1);
        (void)cd_sfdp_needed(buf, len);
        int rc = cd_sfdp_parse(buf, len, &c);
        assert_true(rc == CD_OK || rc == CD_E_UNSUPPORTED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_w25q128_like),
        cmocka_unit_test(test_32mib_b7_entry),
        cmocka_unit_test(test_rev0_9_dwords),
        cmocka_unit_test(test_highest_bfpt_revision_wins),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_pointer_past_len),
        cmocka_unit_test(test_truncated_bfpt),
        cmocka_unit_test(test_density_bit31),
        cmocka_unit_test(test_inconsistent_tables),
        cmocka_unit_test(test_fuzz_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
