#include <stdarg.h>
#include <stdio.h>

#include "chipdump/error.h"

static _Thread_local char detail[1024];

const char *cd_strerror(int err)
{
    switch (err) {
    case CD_OK:
        return "success";
    case CD_E_ARG:
        return "invalid argument";
    case CD_E_CHIPDB:
        return "malformed chip database row";
    case CD_E_UNKNOWN_CHIP:
        return "unknown chip";
    case CD_E_AMBIGUOUS_CHIP:
        return "ambiguous chip name";
    case CD_E_SIZE_MISMATCH:
        return "size mismatch";
    case CD_E_ID_MISMATCH:
        return "chip ID mismatch";
    case CD_E_RANGE:
        return "invalid range";
    case CD_E_EXISTS:
        return "output file exists (use --force to overwrite)";
    case CD_E_BAD_IMAGE:
        return "bad input file";
    case CD_E_NOMEM:
        return "out of memory";
    case CD_E_IO:
        return "I/O error";
    case CD_E_TIMEOUT:
        return "timeout";
    case CD_E_NO_DEVICE:
        return "programmer not found";
    case CD_E_DEVICE_GONE:
        return "programmer disconnected";
    case CD_E_NO_CHIP:
        return "no chip detected (check the clip)";
    case CD_E_UNSUPPORTED:
        return "operation not supported";
    case CD_E_PROTECTED:
        return "chip is write-protected";
    case CD_E_VERIFY:
        return "verify failed";
    case CD_E_ERASE_FAIL:
        return "erase failed";
    case CD_E_PROGRAM_FAIL:
        return "program failed";
    case CD_E_ECC_UNCORRECTABLE:
        return "uncorrectable ECC error";
    case CD_E_UNSTABLE:
        return "reads do not agree (unstable connection?)";
    case CD_E_INTERRUPTED:
        return "interrupted";
    case CD_E_PERMISSION:
        return "permission denied";
    case CD_E_PROTOCOL:
        return "protocol error";
    }
    return "unknown error";
}

int cd_err_is_input(int err)
{
    return err <= CD_E_ARG && err >= CD_E_LAST_INPUT;
}

const char *cd_error_detail(void)
{
    return detail;
}

int cd_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return err;
}

void cd_clear_error(void)
{
    detail[0] = '\0';
}
