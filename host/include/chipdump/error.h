/* libchipdump: one error enum for the whole library. */
#ifndef CHIPDUMP_ERROR_H
#define CHIPDUMP_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every library function that can fail returns CD_OK (0) or one of these negative codes.
 * Codes are grouped: bad input (the caller's fault, exit status 2 in the CLI), then
 * device/chip/data failures (exit status 1).
 */
typedef enum cd_err {
    CD_OK = 0,

    /* bad usage or bad input */
    CD_E_ARG = -1,            /* invalid argument or option value */
    CD_E_CHIPDB = -2,         /* malformed chip database row */
    CD_E_UNKNOWN_CHIP = -3,   /* no chip of that name / ID */
    CD_E_AMBIGUOUS_CHIP = -4, /* name matches chips of different geometry */
    CD_E_SIZE_MISMATCH = -5,  /* image size differs from the chip (or range) size */
    CD_E_ID_MISMATCH = -6,    /* probed ID contradicts the chip the user named */
    CD_E_RANGE = -7,          /* range outside the chip or misaligned */
    CD_E_EXISTS = -8,         /* output exists and --force was not given */
    CD_E_BAD_IMAGE = -9,      /* input file unreadable or malformed */
    CD_E_LAST_INPUT = -9,

    /* operation failures */
    CD_E_NOMEM = -20,
    CD_E_IO = -21,           /* file or transport I/O error */
    CD_E_TIMEOUT = -22,      /* chip stayed busy / transfer stuck */
    CD_E_NO_DEVICE = -23,    /* programmer not found */
    CD_E_DEVICE_GONE = -24,  /* programmer vanished mid-operation */
    CD_E_NO_CHIP = -25,      /* nothing answers on the bus (ID all 00 or FF) */
    CD_E_UNSUPPORTED = -26,  /* operation not supported by chip or programmer */
    CD_E_PROTECTED = -27,    /* block protection could not be cleared */
    CD_E_VERIFY = -28,       /* data read back differs */
    CD_E_ERASE_FAIL = -29,   /* chip reported erase failure */
    CD_E_PROGRAM_FAIL = -30, /* chip reported program failure */
    CD_E_ECC_UNCORRECTABLE = -31,
    CD_E_UNSTABLE = -32,    /* repeated reads never agreed */
    CD_E_INTERRUPTED = -33, /* cancelled by the caller (SIGINT) */
    CD_E_PERMISSION = -34,  /* device access denied */
    CD_E_PROTOCOL = -35,    /* programmer answered something unexpected */
} cd_err;

/** Short human-readable text for a cd_err value. Never NULL. */
const char *cd_strerror(int err);

/** True when err is a bad-usage / bad-input code (CLI exit status 2). */
int cd_err_is_input(int err);

/**
 * Detail for the most recent error on this thread (file:line, field name, both sizes...),
 * or "" when the failing function set none. Library functions set it just before returning
 * an error; callers print it next to cd_strerror().
 */
const char *cd_error_detail(void);

/** Set the detail text (printf-style); returns err so callers can `return cd_fail(...)`. */
int cd_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Forget any detail (called at the start of top-level operations). */
void cd_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif
