/*
 * Internal: the serprog programmer (serprog.c) and the byte pipes it runs over
 * (serprog_link.c: tty and TCP; serprog_loop.c: firmware/core in this process;
 * serprog_usb.c: the chipdump RP2040 board over libusb). docs/protocol.md is the protocol.
 */
#ifndef CHIPDUMP_SERPROG_H
#define CHIPDUMP_SERPROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chipdump/programmer.h"

/* A reliable byte pipe to a serprog device. */
struct sp_link {
    const char *name; /* "tty", "tcp", "loop", "usb": the trace's WHERE column */
    /** Send all n bytes. */
    int (*send)(struct sp_link *l, const void *buf, size_t n);
    /**
     * Receive exactly n bytes; CD_E_TIMEOUT when nothing arrives for timeout_ms (the clock
     * restarts with every byte, so a long stream is fine as long as it flows).
     */
    int (*recv)(struct sp_link *l, void *buf, size_t n, unsigned timeout_ms);
    /** Drop whatever arrives within quiet_ms of silence (resynchronisation). */
    void (*drain)(struct sp_link *l, unsigned quiet_ms);
    void (*close)(struct sp_link *l);
    const char *prog; /* programmer kind for the trace ("serprog", "rp2040") */
    bool traces;      /* the link writes its own trace lines (USB transfers) */
};

/* -p serprog:dev=PATH[,baud=N] | serprog:tcp=HOST:PORT | serprog:loop=CHIP[,image=PATH] */
int cd_serprog_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                    struct cd_programmer **out);
/* -p rp2040[:serial=S] */
int cd_rp2040_open(const char *params, const struct cd_chipdb *db, const char *chip_hint,
                   struct cd_programmer **out);

int cd_sp_link_tty(const char *path, unsigned baud, struct sp_link **out);
int cd_sp_link_tcp(const char *hostport, struct sp_link **out);
/*
 * chip: the row to emulate; image: file backing it (NULL: demo contents for NOR, erased NAND);
 * plain: answer only pico-serprog's opcodes (no Q_WRN/RDNMAXLEN, O_DELAY or extensions), to
 * run the host's plain-serprog path.
 */
int cd_sp_link_loop(const struct cd_chip *chip, const char *image, bool plain,
                    struct sp_link **out);
int cd_sp_link_usb(const char *serial, struct sp_link **out);
/* Tests: the open loopback's chip model (NULL if none) and how many writes the host sent it. */
struct cd_spi_model *cd_sp_loop_model(void);
unsigned long cd_sp_loop_sends(void);

/* A chip model over its contents (the loopback's chip; tests/fw_tcp_server.c uses it too). */
struct cd_spi_model;
struct sp_backing {
    struct cd_spi_model *model;
    uint8_t *array; /* NOR: the chip's bytes; NAND: every page followed by its OOB */
    size_t size;
    bool mapped;
};
/* image: a file (created erased if missing, else exactly the right size) or NULL (NOR: the
 * built-in demo image, NAND: erased). */
int cd_sp_backing_open(const struct cd_chip *chip, const char *image, struct sp_backing *b);
void cd_sp_backing_close(struct sp_backing *b);

/* Optional settings from the spec (0 = leave as the device has it). */
struct sp_settings {
    uint32_t spi_hz;
};

/**
 * Synchronise, negotiate capabilities and wrap the link as a programmer (it owns the link
 * from here, also on failure). kind: "serprog" or "rp2040"; desc: where it is, for messages
 * and manifests; emulated: the loop's chip (NULL otherwise).
 */
int cd_serprog_attach(struct sp_link *l, const char *kind, const char *desc,
                      const struct sp_settings *set, const struct cd_chip *emulated,
                      struct cd_programmer **out);

#endif
