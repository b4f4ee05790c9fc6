/*
 * The interface the Node harness calls: one SPI chip model (host/lib/sim, unchanged) over an
 * array in wasm memory, driven byte by byte from rp2040js's SPI0 hook.
 *
 * The chip row is filled from numbers the harness passes (it reads them from the same chipdb
 * INI row chipdump uses), so the model, chipdump and flashrom all see the same part.
 */
#include <stdint.h>
#include <stdlib.h>

#include "chipdump/sim.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static struct cd_chip row;
static struct cd_spi_model *model;
static uint8_t *array;
static uint8_t byte_in, byte_out;

/** Row setup: NOR; the harness sets the geometry fields with the setters below. */
EXPORT(emu_row_reset) void emu_row_reset(void)
{
    static char name[] = "emu";
    row = (struct cd_chip){0};
    row.name = name;
    row.vendor = name;
    row.type = CD_CHIP_NOR;
}

EXPORT(emu_row_id) void emu_row_id(uint32_t idx, uint32_t v)
{
    if (idx < CD_MAX_ID_LEN) {
        row.id[idx] = (uint8_t)v;
        if (row.id_len < idx + 1)
            row.id_len = (uint8_t)(idx + 1);
    }
}

EXPORT(emu_row_geometry)
void emu_row_geometry(uint32_t size_lo, uint32_t size_hi, uint32_t page, uint32_t addr4,
                      uint32_t bp_bits, uint32_t has_tb, uint32_t pp_typ_us, uint32_t pp_max_us)
{
    row.size = (uint64_t)size_hi << 32 | size_lo;
    row.page_size = page;
    row.addr4 = addr4;
    row.bp_bits = (uint8_t)bp_bits;
    row.has_tb = has_tb != 0;
    row.has_sfdp = true;
    row.pp_typ_us = pp_typ_us;
    row.pp_max_us = pp_max_us;
}

EXPORT(emu_row_erase)
void emu_row_erase(uint32_t opcode, uint32_t opcode4, uint32_t size, uint32_t typ_ms,
                   uint32_t max_ms)
{
    if (row.nerase < CD_MAX_ERASE_TYPES)
        row.erase[row.nerase++] =
            (struct cd_erase_type){(uint8_t)opcode, (uint8_t)opcode4, size, typ_ms, max_ms};
}

EXPORT(emu_row_chip_erase)
void emu_row_chip_erase(uint32_t opcode, uint32_t typ_ms, uint32_t max_ms)
{
    row.chip_erase_opcode = (uint8_t)opcode;
    row.chip_erase_typ_ms = typ_ms;
    row.chip_erase_max_ms = max_ms;
}

/* ---- SPI-NAND rows ---- */

static char ecc_status[32];

/** A buffer the harness writes strings into (NUL-terminated) before emu_row_ecc_status(). */
EXPORT(emu_strbuf) char *emu_strbuf(void)
{
    static char buf[32];
    return buf;
}

EXPORT(emu_row_nand)
void emu_row_nand(uint32_t page, uint32_t oob, uint32_t pages_per_block, uint32_t blocks,
                  uint32_t planes, uint32_t dies, uint32_t readid, uint32_t ecc_strength,
                  uint32_t ecc_step)
{
    row.type = CD_CHIP_NAND;
    row.page_size = page;
    row.oob_size = oob;
    row.pages_per_block = pages_per_block;
    row.blocks_per_die = blocks;
    row.planes = (uint8_t)planes;
    row.dies = (uint8_t)dies;
    row.readid = (enum cd_readid_form)readid;
    row.ecc_strength = (uint8_t)ecc_strength;
    row.ecc_step = (uint16_t)ecc_step;
    row.size = (uint64_t)page * pages_per_block * blocks * dies;
}

EXPORT(emu_row_nand_timing)
void emu_row_nand_timing(uint32_t read_typ_us, uint32_t read_max_us, uint32_t pp_typ_us,
                         uint32_t pp_max_us, uint32_t erase_typ_ms, uint32_t erase_max_ms)
{
    row.read_typ_us = read_typ_us;
    row.read_max_us = read_max_us;
    row.pp_typ_us = pp_typ_us;
    row.pp_max_us = pp_max_us;
    row.erase[0] = (struct cd_erase_type){0xd8, 0, row.page_size * row.pages_per_block,
                                          erase_typ_ms, erase_max_ms};
    row.nerase = 1;
}

EXPORT(emu_row_nand_modes)
void emu_row_nand_modes(uint32_t cache_dummy_first, uint32_t die_select, uint32_t cont_read)
{
    const char *s = emu_strbuf();
    unsigned i = 0;
    for (; s[i] && i < sizeof(ecc_status) - 1; i++)
        ecc_status[i] = s[i];
    ecc_status[i] = 0;
    row.ecc_status = ecc_status;
    row.cache_dummy_first = cache_dummy_first != 0;
    row.die_select = (uint8_t)die_select;
    row.cont_read = (uint8_t)cont_read;
}

static uint64_t array_size;

/** Bytes of the model's array (NOR: the chip; NAND: pages x (page + OOB)). */
EXPORT(emu_array_size) uint32_t emu_array_size(void)
{
    return (uint32_t)array_size;
}

/** Allocate the array (erased) and build the model; returns the array's address or 0. */
EXPORT(emu_model_new) uint32_t emu_model_new(uint32_t sr1)
{
    if (model)
        return 0;
    array_size = row.type == CD_CHIP_NAND ? cd_nand_raw_size(&row) : row.size;
    if (!array_size || array_size > 0x7fffffffu)
        return 0;
    array = malloc((size_t)array_size);
    if (!array)
        return 0;
    for (uint64_t i = 0; i < array_size; i++)
        array[i] = 0xff;
    model = row.type == CD_CHIP_NAND ? cd_nand_model_new(&row, array)
                                     : cd_nor_model_new(&row, array, (uint8_t)sr1);
    return model ? (uint32_t)(uintptr_t)array : 0;
}

EXPORT(emu_select) void emu_select(void)
{
    model->ops->select(model);
}

EXPORT(emu_deselect) void emu_deselect(void)
{
    model->ops->deselect(model);
}

/** One byte full duplex (the SPI0 hook's unit). */
EXPORT(emu_xfer) uint32_t emu_xfer(uint32_t mosi)
{
    byte_out = (uint8_t)mosi;
    model->ops->xfer(model, &byte_out, &byte_in, 1);
    return byte_in;
}

EXPORT(emu_advance_ns) void emu_advance_ns(uint32_t ns)
{
    model->ops->advance_ns(model, ns);
}

/** Finish a program/erase still in progress (so the array is final) and free the model. */
EXPORT(emu_model_destroy) void emu_model_destroy(void)
{
    if (model)
        model->ops->destroy(model);
    model = NULL;
}

EXPORT(emu_nand_stats) uint32_t emu_nand_stats(uint32_t which)
{
    struct cd_nand_model_stats st;
    cd_nand_model_get_stats(model, &st);
    uint64_t v[] = {st.page_reads,         st.page_programs,      st.block_erases,
                    st.ignored_no_wel,     st.ignored_busy,       st.locked_rejects,
                    st.bad_block_erases,   st.bad_block_programs, st.double_programs,
                    st.blank_programs_ecc, st.plane_mismatches,   st.cont_reads};
    return which < sizeof(v) / sizeof(v[0]) ? (uint32_t)v[which] : 0;
}

EXPORT(emu_stats) uint32_t emu_stats(uint32_t which)
{
    struct cd_nor_model_stats st;
    cd_nor_model_get_stats(model, &st);
    uint64_t v[] = {st.page_programs, st.erases_4k,      st.erases_32k,   st.erases_64k,
                    st.chip_erases,   st.ignored_no_wel, st.ignored_busy, st.ignored_protect};
    return which < sizeof(v) / sizeof(v[0]) ? (uint32_t)v[which] : 0;
}
