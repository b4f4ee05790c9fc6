/*
 * libFuzzer target: the firmware protocol engine (firmware/core) compiled for the host, fed
 * arbitrary host->board bytes through the host board, with a chip model on the SPI bus.
 *
 * Input: byte 0 picks the setup, the rest is the USB OUT stream.
 *   bit 0     chip: 0 = NOR (W25X10, 128 KiB), 1 = SPI-NAND (a 4-block test row)
 *   bits 1-2  how the host reads: 0 everything, 1 64 bytes per round, 2 nothing (a host that
 *             stopped reading), 3 everything, then unplug halfway through the input
 *   bits 3-7  split the input into deliveries of (n + 1) * 7 bytes
 * Checks beyond ASan/UBSan: no SPI clock while the pins are off; after a disconnect the
 * engine is idle with CS released and the pins off; a host that stops reading is dropped
 * (idle, CS released) once the engine's transmit timeout has passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdump/chipdb.h"
#include "chipdump/sim.h"
#include "core/fwcore.h"
#include "host/board_host.h"

#define OUT_CAP (4u << 10) /* output taken per input before the host unplugs */

static struct cd_chipdb *db;
static const struct cd_chip *nor, *nand;
static uint8_t *nor_img, *nand_img, *nor_orig, *nand_orig;
static size_t nand_size;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_fwcore: %s\n", what);
    abort();
}

static void init_once(void)
{
    static const char row[] = "[FUZZNAND]\nvendor = Test\ntype = nand\nid = EF AA 21\n"
                              "read_id = dummy\npage = 2048\noob = 64\npages_per_block = 4\n"
                              "blocks = 4\necc = 1/512\necc_status = generic\n"
                              "voltage = 2.7-3.6\nsource = fuzz row\n";
    if (cd_chipdb_new_builtin(&db) || cd_chipdb_add_text(db, row, "fuzz") ||
        cd_chipdb_find_name(db, "W25X10", &nor) || cd_chipdb_find_name(db, "FUZZNAND", &nand))
        die("chip rows");
    nand_size = (size_t)cd_nand_raw_size(nand);
    nor_img = malloc(nor->size);
    nor_orig = malloc(nor->size);
    nand_img = malloc(nand_size);
    nand_orig = malloc(nand_size);
    if (!nor_img || !nor_orig || !nand_img || !nand_orig)
        die("memory");
    for (size_t i = 0; i < nor->size; i++)
        nor_orig[i] = (uint8_t)(i * 131 + 7);
    memset(nand_orig, 0xFF, nand_size);
    for (size_t i = 0; i < 2048; i++)
        nand_orig[2112 + i] = (uint8_t)i; /* one programmed page */
}

static void check(bool ok, const char *what)
{
    if (!ok)
        die(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        init_once();
    if (size < 1)
        return 0;
    uint8_t setup = data[0];
    data++;
    size--;
    bool use_nand = setup & 1;
    unsigned reader = (setup >> 1) & 3;
    size_t chunk = ((size_t)(setup >> 3) + 1) * 7;

    /* the images go back to their first contents only after a run that changed them */
    static bool nor_dirty = true, nand_dirty = true;
    struct cd_spi_model *m;
    if (use_nand) {
        if (nand_dirty)
            memcpy(nand_img, nand_orig, nand_size);
        m = cd_nand_model_new(nand, nand_img);
    } else {
        if (nor_dirty)
            memcpy(nor_img, nor_orig, nor->size);
        m = cd_nor_model_new(nor, nor_img, 0);
    }
    check(m != NULL, "model");
    fwh_reset(m);
    fwh_set_time_step_us(1000000); /* a poll with a 71-minute timeout ends in ~4300 rounds */
    fwh_set_out_capacity(reader == 2 ? 4096 : OUT_CAP);
    fw_init();

    static uint8_t sink[65536];
    size_t fed = 0, taken = 0;
    bool unplugged = false;
    for (int round = 0; round < 100000; round++) {
        if (fed < size) {
            size_t n = size - fed < chunk ? size - fed : chunk;
            fwh_host_write(data + fed, n);
            fed += n;
        }
        size_t in = fwh_in_pending(), out = fwh_out_pending();
        fw_task();
        if (reader != 2)
            taken += fwh_host_read(sink, reader == 1 ? 64 : sizeof(sink));
        check(fwh_stats()->spi_while_off == 0, "SPI clocked with the pins off");
        bool still = fwh_in_pending() == in && fwh_out_pending() == out;
        if ((reader == 3 && fed * 2 >= size) || taken > OUT_CAP) {
            fwh_set_connected(false);
            unplugged = true;
            break;
        }
        if (fed >= size && still && fw_idle())
            break;
        if (reader == 2 && fed >= size && still) {
            /* a host that reads nothing: the engine must give up on it */
            for (int i = 0; i < 10000 && !fw_idle(); i++)
                fw_task();
            check(fw_idle() && !fwh_stats()->cs, "stalled host not dropped");
            break;
        }
    }
    if (!unplugged)
        fwh_set_connected(false);
    fw_task();
    check(fw_idle(), "not idle after disconnect");
    check(!fwh_stats()->cs, "CS held after disconnect");
    check(!fwh_stats()->pins, "pins driven after disconnect");
    if (use_nand) {
        struct cd_nand_model_stats st;
        cd_nand_model_get_stats(m, &st);
        nand_dirty = st.page_programs || st.block_erases;
    } else {
        struct cd_nor_model_stats st;
        cd_nor_model_get_stats(m, &st);
        nor_dirty =
            st.page_programs || st.erases_4k || st.erases_32k || st.erases_64k || st.chip_erases;
    }
    fwh_reset(NULL);
    m->ops->destroy(m);
    return 0;
}
