/*
 * libchipdump: JESD216 Serial Flash Discoverable Parameters (SFDP) parser.
 *
 * Layout (JESD216 rev 0, A, B and D agree on everything used here):
 *   0x00  SFDP header, 2 DWORDs (JESD216B §6.2): "SFDP" signature (50444653h little-endian),
 *         minor revision, major revision (1), NPH = number of parameter headers - 1,
 *         one unused / access-protocol byte.
 *   0x08  NPH + 1 parameter headers of 2 DWORDs each (§6.3): ID LSB, table minor, table major,
 *         table length in DWORDs, 24-bit little-endian table pointer, ID MSB (FFh for JEDEC
 *         tables; "unused, FFh" in rev 0, so the BFPT ID reads FF00h in every revision).
 *   PTP   the Basic Flash Parameter Table (§6.4): 9 DWORDs in JESD216 (rev 0), 16 in
 *         JESD216A/B, 20 in JESD216C/D.
 *
 * The bytes come from an unknown chip (or from nothing: a floating bus reads FFh), so every
 * offset is checked against len before it is read and every derived size is sanity-checked.
 */
#include <stdbool.h>
#include <string.h>

#include "chipdump/error.h"
#include "sfdp.h"

#define SFDP_SIGNATURE  0x50444653u /* "SFDP" read as a little-endian DWORD */
#define SFDP_MAJOR      1           /* major 1 is every revision so far (rev 0 .. D) */
#define SFDP_HEADER_LEN 8
#define SFDP_PHDR_LEN   8
#define SFDP_BFPT_ID    0xFF00 /* MSB FFh, LSB 00h */
#define BFPT_MIN_DWORDS 9      /* JESD216 rev 0 */
#define BFPT_PARSED_DW  16     /* the last DWORD read here is DWORD16 (JESD216A/B) */
#define MIB16           (16u * 1024 * 1024)
#define MAX_CHIP_SIZE   (1ull << 32) /* 4 GiB = 2^35 bits, the largest density accepted */

/* BFPT DWORD1 (JESD216B §6.4, 1st DWORD) */
#define DW1_4K_ERASE_MASK   0x3u /* bits 1:0: 01b = 4 KiB erase available everywhere */
#define DW1_4K_ERASE_YES    0x1u
#define DW1_4K_OPCODE_SHIFT 8  /* bits 15:8: 4 KiB erase opcode (FFh if none) */
#define DW1_ADDR_SHIFT      17 /* bits 18:17: address bytes */
#define DW1_ADDR_3          0x0u
#define DW1_ADDR_3_OR_4     0x1u /* 3-byte default, 4-byte mode entered on command */
#define DW1_ADDR_4          0x2u /* 4-byte addresses only */

/* BFPT DWORD2: bit 31 clear -> density is bits 30:0 + 1 bits; set -> 2^(bits 30:0) bits */
#define DW2_EXP_FLAG 0x80000000u

/* BFPT DWORD16 bits 31:24, "Enter 4-Byte Addressing" (JESD216A/B) */
#define DW16_ENTER_SHIFT     24
#define DW16_ENTER_B7        0x01u /* bit 24: issue B7h */
#define DW16_ENTER_WREN_B7   0x02u /* bit 25: issue 06h, then B7h */
#define DW16_ENTER_ALWAYS_4B 0x40u /* bit 30: always in 4-byte address mode */
#define DW16_ENTER_ALL_MASK  0x7Fu /* bits 30:24; bit 31 is reserved */

struct phdr {
    uint16_t id;
    uint8_t minor, major;
    uint8_t ndw;  /* table length in DWORDs */
    uint32_t ptp; /* byte address of the table */
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void read_phdr(const uint8_t *p, struct phdr *h)
{
    h->id = (uint16_t)(p[7] << 8 | p[0]);
    h->minor = p[1];
    h->major = p[2];
    h->ndw = p[3];
    h->ptp = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16;
}

static bool is_pow2_u64(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* Why an SFDP header cannot be used, or NULL. Sets *hdr_end to the end of the headers. */
static const char *check_header(const uint8_t *sfdp, size_t len, size_t *hdr_end)
{
    if (len < SFDP_HEADER_LEN)
        return "SFDP header truncated";
    if (le32(sfdp) != SFDP_SIGNATURE)
        return "no SFDP signature";
    if (sfdp[5] != SFDP_MAJOR)
        return "unsupported SFDP major revision";
    *hdr_end = SFDP_HEADER_LEN + ((size_t)sfdp[6] + 1) * SFDP_PHDR_LEN;
    return NULL;
}

/*
 * Pick the BFPT: ID FF00h, major 1, at least 9 DWORDs; the highest minor revision wins and
 * on a tie the longer table (a chip may list a rev-0 table next to a newer one for old
 * readers). The headers must lie within len. False when there is none.
 */
static bool find_bfpt(const uint8_t *sfdp, size_t hdr_end, struct phdr *best)
{
    bool found = false;
    for (size_t off = SFDP_HEADER_LEN; off + SFDP_PHDR_LEN <= hdr_end; off += SFDP_PHDR_LEN) {
        struct phdr h;
        read_phdr(sfdp + off, &h);
        if (h.id != SFDP_BFPT_ID || h.major != SFDP_MAJOR || h.ndw < BFPT_MIN_DWORDS)
            continue;
        if (!found || h.minor > best->minor || (h.minor == best->minor && h.ndw > best->ndw)) {
            *best = h;
            found = true;
        }
    }
    return found;
}

size_t cd_sfdp_needed(const uint8_t *sfdp, size_t len)
{
    size_t hdr_end;
    struct phdr bfpt;

    if (!sfdp || check_header(sfdp, len, &hdr_end))
        return 0;
    if (hdr_end > len)
        return hdr_end; /* read the parameter headers first */
    if (!find_bfpt(sfdp, hdr_end, &bfpt))
        return 0;
    size_t end = (size_t)bfpt.ptp + (size_t)bfpt.ndw * 4;
    return end > hdr_end ? end : hdr_end;
}

/* Erase time unit in ms for DWORD10 (JESD216A/B §6.4, 10th DWORD): 1 ms, 16 ms, 128 ms, 1 s. */
static const uint32_t erase_unit_ms[4] = {1, 16, 128, 1000};
/* Chip erase unit in ms for DWORD11 bits 30:29: 16 ms, 256 ms, 4 s, 64 s. */
static const uint32_t chip_erase_unit_ms[4] = {16, 256, 4000, 64000};

struct erase_cand {
    uint32_t size;
    uint8_t opcode;
    uint32_t typ_ms, max_ms;
};

int cd_sfdp_parse(const uint8_t *sfdp, size_t len, struct cd_chip *chip)
{
    size_t hdr_end;
    struct phdr bfpt;
    uint32_t dw[BFPT_PARSED_DW + 1] = {0}; /* dw[1] .. dw[16], 1-based like the standard */

    if (!sfdp || !chip)
        return cd_fail(CD_E_ARG, "SFDP: no buffer");

    const char *why = check_header(sfdp, len, &hdr_end);
    if (why) {
        if (len >= 4)
            return cd_fail(CD_E_UNSUPPORTED, "SFDP: %s (read %02X %02X %02X %02X, major %d)", why,
                           sfdp[0], sfdp[1], sfdp[2], sfdp[3], len > 5 ? sfdp[5] : -1);
        return cd_fail(CD_E_UNSUPPORTED, "SFDP: %s (%zu bytes)", why, len);
    }
    if (hdr_end > len)
        return cd_fail(CD_E_UNSUPPORTED, "SFDP: %u parameter headers need %zu bytes, have %zu",
                       sfdp[6] + 1u, hdr_end, len);
    if (!find_bfpt(sfdp, hdr_end, &bfpt))
        return cd_fail(CD_E_UNSUPPORTED,
                       "SFDP: no basic flash parameter table (ID FF00h, major 1, >= 9 DWORDs)");
    if ((size_t)bfpt.ptp + (size_t)bfpt.ndw * 4 > len)
        return cd_fail(CD_E_UNSUPPORTED,
                       "SFDP: basic flash parameter table at 0x%06X (%u DWORDs) extends past "
                       "the %zu bytes read",
                       (unsigned)bfpt.ptp, (unsigned)bfpt.ndw, len);

    unsigned ndw = bfpt.ndw < BFPT_PARSED_DW ? bfpt.ndw : BFPT_PARSED_DW;
    for (unsigned i = 1; i <= ndw; i++)
        dw[i] = le32(sfdp + bfpt.ptp + 4 * (i - 1));

    /* DWORD2: density in bits. Bit 31 set: 2^N bits (JESD216 uses it for > 2 Gbit). */
    uint64_t bits;
    if (dw[2] & DW2_EXP_FLAG) {
        uint32_t n = dw[2] & ~DW2_EXP_FLAG;
        if (n < 3 || n > 35) /* 1 byte .. 4 GiB */
            return cd_fail(CD_E_UNSUPPORTED, "SFDP: density 2^%u bits is out of range",
                           (unsigned)n);
        bits = 1ull << n;
    } else {
        bits = (uint64_t)dw[2] + 1;
    }
    uint64_t size = bits / 8;
    if (bits % 8 || !is_pow2_u64(size) || size > MAX_CHIP_SIZE)
        return cd_fail(CD_E_UNSUPPORTED, "SFDP: density %llu bits is not a usable chip size",
                       (unsigned long long)bits);

    /* DWORD11 bits 7:4: page size 2^N bytes (JESD216A+); rev 0 has none: 256 like most. */
    uint32_t page = 256;
    if (ndw >= 11)
        page = 1u << ((dw[11] >> 4) & 0xF);
    if (page > size)
        return cd_fail(CD_E_UNSUPPORTED, "SFDP: page size %u exceeds the chip size %llu",
                       (unsigned)page, (unsigned long long)size);

    /* DWORD10 bits 3:0: max erase time = 2 * (N + 1) * typical (JESD216A+). */
    uint32_t erase_mult = ndw >= 10 ? 2 * ((dw[10] & 0xF) + 1) : 0;

    /* DWORD8/9: erase types 1..4 as 16-bit halves (size exponent, opcode); 0 = unused. */
    struct erase_cand cand[CD_MAX_ERASE_TYPES + 1];
    unsigned ncand = 0;
    for (unsigned t = 0; t < 4; t++) {
        uint32_t half = (dw[8 + t / 2] >> (16 * (t % 2))) & 0xFFFF;
        unsigned exp = half & 0xFF;
        uint8_t op = (uint8_t)(half >> 8);
        if (exp == 0)
            continue;
        if (exp >= 32)
            return cd_fail(CD_E_UNSUPPORTED, "SFDP: erase type %u size 2^%u is out of range", t + 1,
                           exp);
        if (op == 0x00 || op == 0xFF)
            continue; /* a size without an opcode: not usable */
        struct erase_cand *c = &cand[ncand++];
        c->size = 1u << exp;
        c->opcode = op;
        c->typ_ms = c->max_ms = 0;
        if (ndw >= 10) {
            /* DWORD10: type t count at bits 4+7t .. 8+7t, units at 9+7t .. 10+7t */
            uint32_t count = ((dw[10] >> (4 + 7 * t)) & 0x1F) + 1;
            uint32_t unit = erase_unit_ms[(dw[10] >> (9 + 7 * t)) & 0x3];
            c->typ_ms = count * unit;
            c->max_ms = c->typ_ms * erase_mult;
        }
    }

    /* DWORD1 bits 1:0 = 01b: 4 KiB erase everywhere, opcode in bits 15:8 (rev-0 parts may
     * list it only here). */
    uint8_t op4k = (uint8_t)(dw[1] >> DW1_4K_OPCODE_SHIFT);
    if ((dw[1] & DW1_4K_ERASE_MASK) == DW1_4K_ERASE_YES && op4k != 0x00 && op4k != 0xFF) {
        bool have = false;
        for (unsigned i = 0; i < ncand; i++)
            have |= cand[i].size == 4096;
        if (!have)
            cand[ncand++] = (struct erase_cand){.size = 4096, .opcode = op4k};
    }

    /* Ascending by size (insertion sort, stable), one entry per size: the first listed wins. */
    for (unsigned i = 1; i < ncand; i++) {
        struct erase_cand c = cand[i];
        unsigned j = i;
        while (j > 0 && cand[j - 1].size > c.size) {
            cand[j] = cand[j - 1];
            j--;
        }
        cand[j] = c;
    }
    unsigned n = 0;
    for (unsigned i = 0; i < ncand; i++) {
        if (n && cand[n - 1].size == cand[i].size)
            continue;
        cand[n++] = cand[i];
    }
    if (n > CD_MAX_ERASE_TYPES)
        n = CD_MAX_ERASE_TYPES; /* keep the small ones: they are the useful ones */
    if (n == 0)
        return cd_fail(CD_E_UNSUPPORTED, "SFDP: the parameter table lists no erase type");
    for (unsigned i = 0; i < n; i++)
        if (cand[i].size > size || cand[i].size < page)
            return cd_fail(CD_E_UNSUPPORTED,
                           "SFDP: erase size %u does not fit page %u and chip size %llu",
                           (unsigned)cand[i].size, (unsigned)page, (unsigned long long)size);

    /* Address bytes: DWORD1 bits 18:17 and DWORD16 bits 31:24 (JESD216A+). */
    unsigned addr_bytes = (dw[1] >> DW1_ADDR_SHIFT) & 0x3;
    unsigned addr4 = CD_ADDR4_NONE;
    if (addr_bytes == DW1_ADDR_4)
        addr4 |= CD_ADDR4_ONLY;
    /* DWORD16 exists from JESD216A on; 00h (no method) or all ones (unprogrammed) in bits
     * 30:24 say nothing, and DWORD1 decides alone. */
    uint32_t enter = ndw >= 16 ? (dw[16] >> DW16_ENTER_SHIFT) & DW16_ENTER_ALL_MASK : 0;
    if (enter != 0 && enter != DW16_ENTER_ALL_MASK) {
        if (enter & (DW16_ENTER_B7 | DW16_ENTER_WREN_B7))
            addr4 |= CD_ADDR4_MODE;
        if (enter & DW16_ENTER_ALWAYS_4B)
            addr4 |= CD_ADDR4_ONLY;
    } else if (addr_bytes == DW1_ADDR_3_OR_4) {
        /* "Enters 4-byte mode on command" with no command named: B7h (EN4B) is the one. */
        addr4 |= CD_ADDR4_MODE;
    }
    if (size <= MIB16 && !(addr4 & CD_ADDR4_ONLY))
        addr4 = CD_ADDR4_NONE; /* 3 address bytes reach everything */

    struct cd_chip c;
    memset(&c, 0, sizeof(c));
    c.type = CD_CHIP_NOR;
    c.size = size;
    c.page_size = page;
    for (unsigned i = 0; i < n; i++) {
        c.erase[i].opcode = cand[i].opcode;
        c.erase[i].opcode4 = 0;
        c.erase[i].size = cand[i].size;
        c.erase[i].typ_ms = cand[i].typ_ms;
        c.erase[i].max_ms = cand[i].max_ms;
    }
    c.nerase = n;
    c.chip_erase_opcode = 0xC7;
    if (ndw >= 11) {
        /* DWORD11: chip erase typical bits 28:24 count, 30:29 unit; page program typical
         * bits 12:8 count, bit 13 unit (8 or 64 us); bits 3:0 program max multiplier. */
        c.chip_erase_typ_ms =
            (((dw[11] >> 24) & 0x1F) + 1) * chip_erase_unit_ms[(dw[11] >> 29) & 0x3];
        c.chip_erase_max_ms = c.chip_erase_typ_ms * erase_mult;
        c.pp_typ_us = (((dw[11] >> 8) & 0x1F) + 1) * ((dw[11] & (1u << 13)) ? 64 : 8);
        c.pp_max_us = c.pp_typ_us * 2 * ((dw[11] & 0xF) + 1);
    }
    c.addr4 = addr4;
    c.has_sfdp = true;
    *chip = c;
    return CD_OK;
}
