/*
 * SPI-NAND on-die ECC status decoders; the contract is in nand_ecc.h. Bit meanings follow the
 * Linux vendor drivers in drivers/mtd/nand/spi/ (cited per decoder) and the facts in
 * docs/chipdb.md; each row of chipdb/ names its decoder in `ecc_status`.
 */
#include <string.h>

#include "chipdump/error.h"
#include "nand_ecc.h"

/* Status register (C0h) ECC field shared by most vendors: bits 5:4. */
#define SR_ECC(sr) (((sr) >> 4) & 3)
enum { ECC_NONE = 0, ECC_CORRECTED = 1, ECC_UNCORRECTABLE = 2, ECC_OTHER = 3 };

static int invalid(uint8_t sr, const char *name)
{
    return cd_fail(CD_E_PROTOCOL, "ECC status 0x%02X is not a valid %s encoding", sr, name);
}

/* A count read from a vendor register; 0 or above the strength means "no count", so report
 * the strength (Linux does the same). */
static int count_or_strength(unsigned n, unsigned strength)
{
    return n == 0 || n > strength ? (int)strength : (int)n;
}

/* Linux core.c spinand_check_ecc_status(): 00 none, 01 corrected (count unknown), 10 failed. */
static int generic_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_CORRECTED:
        return (int)strength;
    case ECC_UNCORRECTABLE:
        return CD_E_ECC_UNCORRECTABLE;
    }
    return invalid(sr, "2-bit ECC status");
}

/* winbond.c w25n02kv_ecc_get_status() and toshiba.c tx58cxgxsxraix_ecc_get_status(): 01 and 11
 * (W25N04KV: 5-8 bitflips; Kioxia: at or above the threshold) both mean corrected, and feature
 * register 30h bits 7:4 hold the most bitflips in one step. */
static int reg30_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    uint8_t mbf;
    int r;
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_UNCORRECTABLE:
        return CD_E_ECC_UNCORRECTABLE;
    default:
        if ((r = rd(u, 0x30, &mbf)))
            return r;
        return count_or_strength(mbf >> 4, strength);
    }
}

/* gigadevice.c gd5fxgq4xa_ecc_get_status(): 01 = 1-7 bitflips, 11 = 8. */
static int gd_xa_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    static const int v[4] = {0, 7, CD_E_ECC_UNCORRECTABLE, 8};
    return v[SR_ECC(sr)];
}

/* gigadevice.c gd5fxgq4uexxg_ecc_get_status(): 01 -> STATUS2 (F0h) bits 5:4 extend SR bits 5:4
 * to a 4-bit count ECCS1 ECCS0 ECCSE1 ECCSE0 (4..7; 1-4 all read as 4); 11 = 8. */
static int gd_uexxg_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    uint8_t s2;
    int r;
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_UNCORRECTABLE:
        return CD_E_ECC_UNCORRECTABLE;
    case ECC_OTHER:
        return 8;
    }
    if ((r = rd(u, 0xF0, &s2)))
        return r;
    return (int)(((sr & 0x30u) >> 2) | ((s2 & 0x30u) >> 4));
}

/* gigadevice.c gd5fxgq5xexxg_ecc_get_status(): 01 -> 1 + STATUS2 (F0h) bits 5:4 (1-4). */
static int gd_q5_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    uint8_t s2;
    int r;
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_UNCORRECTABLE:
        return CD_E_ECC_UNCORRECTABLE;
    case ECC_OTHER:
        return invalid(sr, "GigaDevice Q5");
    }
    if ((r = rd(u, 0xF0, &s2)))
        return r;
    return (int)((s2 & 0x30u) >> 4) + 1;
}

/* gigadevice.c gd5fxgq4ufxxg_ecc_get_status(): bits 6:4; 000 none, 001 1-3, 111 failed,
 * 010..110 = field + 2 (4..8). */
static int gd_ufuc_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    unsigned f = (sr >> 4) & 7;
    return f == 0 ? 0 : f == 1 ? 3 : f == 7 ? CD_E_ECC_UNCORRECTABLE : (int)f + 2;
}

/* macronix.c macronix_ecc_get_status(): 01 -> GET ECC STATUS (7Ch) bits 3:0 = bitflips in the
 * page just read. */
static int mx_7c_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    uint8_t eccsr;
    int r;
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_UNCORRECTABLE:
        return CD_E_ECC_UNCORRECTABLE;
    case ECC_OTHER:
        return invalid(sr, "Macronix");
    }
    if ((r = rd(u, CD_NAND_REG_MX_ECCSR, &eccsr)))
        return r;
    return count_or_strength(eccsr & 0x0Fu, strength);
}

/* micron.c micron_8_ecc_get_status(): bits 6:4; 000 none, 001 1-3, 011 4-6, 101 7-8,
 * 010 failed. */
static int micron_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    switch ((sr >> 4) & 7) {
    case 0:
        return 0;
    case 1:
        return 3;
    case 3:
        return 6;
    case 5:
        return 8;
    case 2:
        return CD_E_ECC_UNCORRECTABLE;
    }
    return invalid(sr, "Micron");
}

/* xtx.c xt26g0xa_ecc_get_status(): bits 5:2; 0 none, 1..7 that many, 1000 failed, 1100 = 8,
 * anything else above 1000 invalid. */
static int xtx_a_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    unsigned f = (sr >> 2) & 0xF;
    if (f == 0xC)
        return 8;
    if (f == 0x8)
        return CD_E_ECC_UNCORRECTABLE;
    if (f > 0x8)
        return invalid(sr, "XTX XT26G0xA");
    return (int)f;
}

/* xtx.c xt26xxxd_ecc_get_status(): bits 5:4; 01 -> 4 + bits 7:6 (4..7), 11 = 8. */
static int xtx_d_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_UNCORRECTABLE:
        return CD_E_ECC_UNCORRECTABLE;
    case ECC_OTHER:
        return 8;
    }
    return 4 + (int)((sr >> 6) & 3);
}

/* dosilicon.c ds35xxgb_ecc_get_status(): bits 7:4; 0000 none, 0001 1-3, 0011 4-6, 0101 7-8,
 * 0010 failed. */
static int dosilicon_gb_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    switch (sr >> 4) {
    case 0x0:
        return 0;
    case 0x1:
        return 3;
    case 0x3:
        return 6;
    case 0x5:
        return 8;
    case 0x2:
        return CD_E_ECC_UNCORRECTABLE;
    }
    return invalid(sr, "Dosilicon DS35xxGB");
}

/* foresee.c f35sqa002g_ecc_get_status(): 00 none, 01 corrected, everything else failed. */
static int foresee_status(uint8_t sr, unsigned strength, cd_nand_reg_fn rd, void *u)
{
    switch (SR_ECC(sr)) {
    case ECC_NONE:
        return 0;
    case ECC_CORRECTED:
        return (int)strength;
    }
    return CD_E_ECC_UNCORRECTABLE;
}

const struct cd_nand_ecc_decoder cd_nand_ecc_decoders[] = {
    {"generic", generic_status},
    {"winbond-kv", reg30_status},
    {"gd-xa", gd_xa_status},
    {"gd-uexxg", gd_uexxg_status},
    {"gd-q5", gd_q5_status},
    {"gd-ufuc", gd_ufuc_status},
    {"mx-7c", mx_7c_status},
    {"micron", micron_status},
    {"kioxia", reg30_status},
    {"xtx-a", xtx_a_status},
    {"xtx-d", xtx_d_status},
    {"dosilicon-gb", dosilicon_gb_status},
    {"foresee", foresee_status},
    /* Zetta ZD35Q1GA: the common 2-bit field (vendor U-Boot driver, ufprog) */
    {"zetta", generic_status},
};
const size_t cd_nand_ecc_ndecoders = sizeof(cd_nand_ecc_decoders) / sizeof(cd_nand_ecc_decoders[0]);

const struct cd_nand_ecc_decoder *cd_nand_ecc_decoder(const char *name)
{
    for (size_t i = 0; name && i < cd_nand_ecc_ndecoders; i++)
        if (!strcmp(cd_nand_ecc_decoders[i].name, name))
            return &cd_nand_ecc_decoders[i];
    return NULL;
}
