/* The transport trace (trace.h; format in docs/performance.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chipdump/error.h"
#include "trace.h"

/* Lines are small and a 16 MiB read through a CH341A writes ~550 000 of them: buffer well. */
#define TRACE_BUFSZ (256 * 1024)

static FILE *trace_file;
static unsigned trace_refs;
static struct timespec trace_t0;

int cd_trace_open(void)
{
    if (trace_refs++)
        return CD_OK;
    const char *path = getenv("CHIPDUMP_TRACE");
    if (!path || !*path)
        return CD_OK;
    trace_file = fopen(path, "a");
    if (!trace_file) {
        int e = errno;
        trace_refs = 0;
        return cd_fail(CD_E_ARG, "CHIPDUMP_TRACE=%s: %s", path, strerror(e));
    }
    setvbuf(trace_file, NULL, _IOFBF, TRACE_BUFSZ);
    clock_gettime(CLOCK_MONOTONIC, &trace_t0);
    char date[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(trace_file,
            "# chipdump trace v1 pid=%ld start=%s columns: time prog event where req done "
            "status\n",
            (long)getpid(), date);
    return CD_OK;
}

void cd_trace_close(void)
{
    if (!trace_refs || --trace_refs)
        return;
    if (trace_file) {
        fclose(trace_file);
        trace_file = NULL;
    }
}

bool cd_trace_enabled(void)
{
    return trace_file != NULL;
}

void cd_trace_line(const char *prog, const char *event, const char *where, uint64_t req,
                   uint64_t done, const char *status)
{
    if (!trace_file)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double t = (double)(now.tv_sec - trace_t0.tv_sec) + (now.tv_nsec - trace_t0.tv_nsec) * 1e-9;
    fprintf(trace_file, "%.6f %s %s %s %llu %llu %s\n", t, prog, event, where,
            (unsigned long long)req, (unsigned long long)done, status);
}

void cd_trace_usb(const char *prog, uint8_t ep, uint32_t req, uint32_t done, const char *status)
{
    if (!trace_file)
        return;
    char where[8];
    snprintf(where, sizeof(where), "0x%02x", ep);
    cd_trace_line(prog, ep & 0x80 ? "in" : "out", where, req, done, status);
}

void cd_trace_op(const char *prog, const struct cd_op *op, int err)
{
    if (!trace_file)
        return;
    char where[24], status[16] = "ok";
    if (op->addr_len)
        snprintf(where, sizeof(where), "%02x@0x%x", op->cmd, (unsigned)op->addr);
    else
        snprintf(where, sizeof(where), "%02x", op->cmd);
    uint64_t n = 1u + op->addr_len + op->dummy_len + (op->dir != CD_DATA_NONE ? op->data_len : 0);
    if (err)
        snprintf(status, sizeof(status), "err%d", err);
    cd_trace_line(prog, "op", where, n, err ? 0 : n, status);
}
