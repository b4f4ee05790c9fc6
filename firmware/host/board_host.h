/*
 * firmware/host/board_host.h — board.h implemented on the host, for the firmware-core unit
 * tests, the fuzzer, the in-process loopback programmer (-p serprog:loop=...) and the TCP
 * test server. The "SPI bus" is a C chip model (struct cd_spi_model, chipdump/sim.h); the
 * "USB pipe" is two byte queues the test or transport fills and drains.
 *
 * Time is virtual by default: it moves only with SPI traffic (8 bits at the set SPI clock),
 * board_delay_us() and refused writes, so tests are deterministic and fast. In real-time
 * mode (the TCP server) wall-clock time is added as well.
 *
 * There is one engine per process (the firmware keeps static state), hence one host board.
 */
#ifndef CHIPDUMP_FW_BOARD_HOST_H
#define CHIPDUMP_FW_BOARD_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cd_spi_model;

struct fwh_stats {
    bool cs;                 /* chip select asserted now */
    bool pins;               /* SPI pin drivers on */
    uint32_t spi_hz;         /* clock set by the engine */
    uint64_t selects;        /* CS assertions */
    uint64_t spi_bytes;      /* bytes clocked */
    uint64_t spi_while_off;  /* bytes clocked with the pins off (a firmware bug) */
    uint64_t spi_without_cs; /* bytes clocked with CS released */
    uint64_t flushes;        /* board_usb_flush calls */
    unsigned bootsel;        /* board_reboot_bootsel calls */
    uint64_t now_us;         /* board time */
};

/* Attach a chip model (NULL: nothing on the bus, MISO reads 0xFF) and reset board state. */
void fwh_reset(struct cd_spi_model *model);

/* Host side of the pipe: queue bytes for the firmware; returns n (grows as needed). */
size_t fwh_host_write(const void *buf, size_t n);
/* Host side of the pipe: take up to max bytes the firmware sent. */
size_t fwh_host_read(void *buf, size_t max);
/* Bytes waiting in each direction. */
size_t fwh_in_pending(void);
size_t fwh_out_pending(void);
/* Most bytes the firmware may have queued for the host (0 = the host reads nothing). */
void fwh_set_out_capacity(size_t cap);

void fwh_set_connected(bool connected);
void fwh_set_realtime(bool realtime);
/* Let us microseconds of board (and chip) time pass. */
void fwh_advance_us(uint64_t us);
/* Every board_time_us() call also lets us pass (fuzzing: a wait of minutes stays short). */
void fwh_set_time_step_us(uint32_t us);

const struct fwh_stats *fwh_stats(void);

#endif
