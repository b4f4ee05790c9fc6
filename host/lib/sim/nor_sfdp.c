/*
 * The SFDP area the SPI-NOR model answers 5Ah with: an SFDP header, one parameter header
 * and a JESD216B Basic Flash Parameter Table built from the chip's database row.
 * Sources: [J216B] JEDEC JESD216B; bit positions cross-checked as described in nor_model.c.
 */
#include <string.h>

#include "chipdump/sim.h"
#include "nor_timing.h"

static unsigned log2_u64(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

/* ---- SFDP (JESD216B) ---- */

/*
 * A typical time t (in the unit of units[0]) as JESD216 "count + units": count is
 * count_bits wide and stores N - 1, the unit index sits right above it. The smallest unit
 * that can hold t is used; t is rounded up.
 */
static uint32_t sfdp_time(uint64_t t, const uint32_t *units, unsigned nunits, unsigned count_bits)
{
    uint64_t max_count = 1ull << count_bits;
    for (unsigned u = 0; u < nunits; u++) {
        uint64_t cnt = (t + units[u] - 1) / units[u];
        if (cnt == 0)
            cnt = 1;
        if (cnt <= max_count || u == nunits - 1) {
            if (cnt > max_count)
                cnt = max_count;
            return (uint32_t)(u << count_bits) | (uint32_t)(cnt - 1);
        }
    }
    return 0;
}

/* JESD216 "maximum = 2 * (N + 1) * typical" multiplier N (4 bits), rounded up. */
static uint32_t sfdp_mult(uint64_t typ, uint64_t max)
{
    if (!typ || max <= typ)
        return 0;
    uint64_t n = (max + 2 * typ - 1) / (2 * typ);
    n = n ? n - 1 : 0;
    return n > 15 ? 15 : (uint32_t)n;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

size_t cd_nor_model_sfdp(const struct cd_chip *chip, uint8_t *out, size_t max)
{
    uint8_t t[SFDP_LEN];
    uint32_t dw[SFDP_BFPT_DWORDS + 1]; /* dw[1]..dw[16], numbered as in JESD216 */
    if (!chip)
        return 0;
    unsigned nerase = chip->nerase < CD_MAX_ERASE_TYPES ? chip->nerase : CD_MAX_ERASE_TYPES;

    memset(t, 0xff, sizeof(t));
    /* SFDP header [J216B]: "SFDP" signature 0x50444653 LE, minor 6 / major 1 (JESD216B),
     * NPH = number of parameter headers - 1 = 0, byte 7 unused (FFh). */
    put_le32(t, 0x50444653);
    t[4] = 6;
    t[5] = 1;
    t[6] = 0;
    t[7] = 0xff;
    /* Parameter header 0 = the BFPT: ID LSB 00h, minor 6, major 1, 16 DWORDs, 24-bit LE
     * pointer, ID MSB FFh (ID FF00h). */
    t[8] = 0x00;
    t[9] = 6;
    t[10] = 1;
    t[11] = SFDP_BFPT_DWORDS;
    t[12] = SFDP_BFPT_PTR & 0xff;
    t[13] = (SFDP_BFPT_PTR >> 8) & 0xff;
    t[14] = (SFDP_BFPT_PTR >> 16) & 0xff;
    t[15] = 0xff;

    /* DWORD1: bits 1:0 erase granularity (01 = 4 KiB erase available everywhere, 11 = not),
     * bit 2 write granularity (1 = page buffer >= 64 bytes), bit 3 = 0 (status register is
     * non-volatile, bit 4 then unused = 0), bits 7:5 unused (111), bits 15:8 the 4 KiB erase
     * opcode (FFh if none), bit 16 1-1-2 read = 0, bits 18:17 address bytes (00 3-byte only,
     * 01 3- or 4-byte, 10 4-byte only), bit 19 DTR = 0, bits 20/21/22 1-2-2 / 1-4-4 / 1-1-4
     * reads = 0, bits 31:23 unused (all 1). */
    uint8_t op4k = 0xff;
    for (unsigned i = 0; i < nerase; i++)
        if (chip->erase[i].size == 4096)
            op4k = chip->erase[i].opcode;
    uint32_t addr_bytes = 0;
    if (chip->addr4 & CD_ADDR4_ONLY)
        addr_bytes = 2;
    else if (chip->addr4 & (CD_ADDR4_MODE | CD_ADDR4_OPCODES))
        addr_bytes = 1;
    dw[1] = 0xff800000u | (addr_bytes << 17) | ((uint32_t)op4k << 8) | 0xe0u |
            (chip->page_size >= 64 ? 1u << 2 : 0) | (op4k != 0xff ? 0x1u : 0x3u);

    /* DWORD2: density; bit 31 = 0 -> bits 30:0 = bits - 1 (<= 2 Gbit), bit 31 = 1 ->
     * bits 30:0 = log2(bits). */
    uint64_t bits = chip->size * 8;
    if (bits <= (1ull << 31))
        dw[2] = (uint32_t)(bits - 1);
    else
        dw[2] = 0x80000000u | log2_u64(bits);

    /* DWORD3/4: 1-4-4 / 1-1-4 and 1-1-2 / 1-2-2 read settings; unsupported (DWORD1 bits 16,
     * 20-22 are 0), so no opcode, no mode clocks, no wait states. */
    dw[3] = 0;
    dw[4] = 0;
    /* DWORD5: bit 0 2-2-2 read, bit 4 4-4-4 read, both unsupported; the rest reserved (1). */
    dw[5] = 0xffffffeeu;
    /* DWORD6/7: 2-2-2 / 4-4-4 settings in bits 31:16 (none), bits 15:0 reserved. */
    dw[6] = 0x0000ffffu;
    dw[7] = 0x0000ffffu;

    /* DWORD8/9: erase types 1..4 as 16-bit halves (DWORD8 low, DWORD8 high, DWORD9 low,
     * DWORD9 high): size exponent N (2^N bytes, 0 = none) in the low byte, opcode in the high
     * byte. The row's erase types in order; unused halves 0xFF00 (size 0, opcode FFh). */
    uint16_t et[4] = {0xff00, 0xff00, 0xff00, 0xff00};
    for (unsigned i = 0; i < nerase; i++)
        if (is_pow2(chip->erase[i].size))
            et[i] =
                (uint16_t)(((unsigned)chip->erase[i].opcode << 8) | log2_u64(chip->erase[i].size));
    dw[8] = et[0] | ((uint32_t)et[1] << 16);
    dw[9] = et[2] | ((uint32_t)et[3] << 16);

    /* DWORD10: bits 3:0 multiplier N (max erase time = 2 * (N + 1) * typical), then per erase
     * type 1..4 a 7-bit typical time at bits 10:4, 17:11, 24:18, 31:25: 5-bit count (N + 1)
     * and above it 2-bit units (00 1 ms, 01 16 ms, 10 128 ms, 11 1 s). The multiplier covers
     * the slowest ratio of the row's erase types and the chip erase. */
    static const uint32_t erase_units[] = {1, 16, 128, 1000};
    uint32_t mult = sfdp_mult(chip_erase_typ_ms(chip), chip_erase_max_ms(chip));
    dw[10] = 0;
    for (unsigned i = 0; i < nerase; i++) {
        const struct cd_erase_type *e = &chip->erase[i];
        uint32_t mi = sfdp_mult(erase_typ_ms(e), erase_max_ms(e));
        if (mi > mult)
            mult = mi;
        dw[10] |= sfdp_time(erase_typ_ms(e), erase_units, 4, 5) << (4 + 7 * i);
    }
    dw[10] |= mult;

    /* DWORD11: bits 3:0 program multiplier N (max = 2 * (N + 1) * typical), bits 7:4 page size
     * exponent, bits 12:8 page program count + bit 13 units (8 us / 64 us), bits 17:14 first
     * byte program count + bit 18 units (1 us / 8 us), bits 22:19 additional byte count +
     * bit 23 units (1 us / 8 us), bits 28:24 chip erase count + bits 30:29 units (16 ms,
     * 256 ms, 4 s, 64 s), bit 31 reserved (1). Byte program times are not in the row: the
     * W25Q128JV tBP1 (30 us) and tBP2 (2.5 us, rounded up to 3 us) are used. */
    static const uint32_t pp_units[] = {8, 64};
    static const uint32_t byte_units[] = {1, 8};
    static const uint32_t ce_units[] = {16, 256, 4000, 64000};
    unsigned page_exp = log2_u64(chip->page_size);
    dw[11] = 0x80000000u | sfdp_mult(pp_typ_us(chip), pp_max_us(chip)) |
             ((uint32_t)(page_exp > 15 ? 15 : page_exp) << 4) |
             (sfdp_time(pp_typ_us(chip), pp_units, 2, 5) << 8) |
             (sfdp_time(30, byte_units, 2, 4) << 14) | (sfdp_time(3, byte_units, 2, 4) << 19) |
             (sfdp_time(chip_erase_typ_ms(chip), ce_units, 4, 5) << 24);

    /* DWORD12: bit 31 = 1, program/erase suspend not supported (other fields unused).
     * DWORD13: suspend / resume opcodes, unused. */
    dw[12] = 0xffffffffu;
    dw[13] = 0xffffffffu;
    /* DWORD14: bit 31 = 1, deep power-down not supported (opcode/delay fields unused);
     * bits 7:2 busy polling: bit 2 = legacy RDSR 05h WIP polling, bit 3 (flag status 70h)
     * = 0, bits 7:4 reserved (1); bits 1:0 reserved (1). */
    dw[14] = 0xfffffff7u;
    /* DWORD15: bits 31:24 reserved (1); bit 23 HOLD disable = 0; bits 22:20 QER = 000 (no QE
     * bit: no quad modes are modelled); 0-4-4 (bit 9, methods 19:10) and 4-4-4 (8:0) none. */
    dw[15] = 0xff000000u;
    /* DWORD16: bits 31:24 enter 4-byte addressing: bit 24 B7h (no WREN), bit 29 dedicated
     * 4-byte instruction set, bit 30 always 4-byte, bit 31 reserved (1); bits 23:14 exit:
     * bit 14 E9h (no WREN), bit 20 software reset, bit 21 power cycle, bits 23:22 reserved
     * (1); bits 13:8 soft reset: bit 12 = 66h then 99h; bit 7 reserved (1); bits 6:0 status
     * register 1: bit 0 = non-volatile, written after WREN 06h. */
    uint32_t d16 = 0x80000000u | (3u << 22) | (1u << 12) | 0x80u | 0x01u;
    if ((chip->addr4 & CD_ADDR4_MODE) && !(chip->addr4 & CD_ADDR4_ONLY))
        d16 |= (1u << 24) | (1u << 14) | (1u << 20) | (1u << 21);
    if (chip->addr4 & CD_ADDR4_OPCODES)
        d16 |= 1u << 29;
    if (chip->addr4 & CD_ADDR4_ONLY)
        d16 |= 1u << 30;
    dw[16] = d16;

    for (unsigned i = 1; i <= SFDP_BFPT_DWORDS; i++)
        put_le32(t + SFDP_BFPT_PTR + 4 * (i - 1), dw[i]);

    if (out && max)
        memcpy(out, t, max < sizeof(t) ? max : sizeof(t));
    return sizeof(t);
}
