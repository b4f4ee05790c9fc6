/*
 * Internal: the transport trace. With CHIPDUMP_TRACE=FILE every programmer appends one line
 * per USB transfer, SPI op or host wait to FILE; tests count transfers with it and the
 * wire-time benchmark (bench/ch341a_wire_time.py) is computed from it. The format is
 * specified in docs/performance.md ("The transport trace"); in short, after a "#" header
 * line per process:
 *
 *   TIME PROG EVENT WHERE REQ DONE STATUS
 *   0.004210 ch341a out 0x02 64 64 ok
 *
 * TIME is seconds since this process opened the trace, written when the event ends.
 */
#ifndef CHIPDUMP_TRACE_H
#define CHIPDUMP_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "chipdump/programmer.h"

/**
 * Start tracing if CHIPDUMP_TRACE names a file (reference counted: every programmer open
 * calls it once, every close calls cd_trace_close). Returns CD_E_ARG, naming the variable
 * and the file, when the file cannot be opened for appending.
 */
int cd_trace_open(void);
/** Drop one reference; the last one flushes and closes the file. */
void cd_trace_close(void);
/** True while a trace file is open: callers skip formatting work otherwise. */
bool cd_trace_enabled(void);

/** One line. where: endpoint, opcode or "-"; status: "ok" or a short error word. */
void cd_trace_line(const char *prog, const char *event, const char *where, uint64_t req,
                   uint64_t done, const char *status);

/** A bulk transfer on endpoint ep (bit 7 set: IN) that ended with status. */
void cd_trace_usb(const char *prog, uint8_t ep, uint32_t req, uint32_t done, const char *status);

/** The "op" line of one SPI transaction: opcode[@address], bytes on the wire, cd_err result. */
void cd_trace_op(const char *prog, const struct cd_op *op, int err);

#endif
