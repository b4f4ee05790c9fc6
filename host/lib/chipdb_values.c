/* Small value parsers of the chip database: true on success, no messages (chipdb_parse.c
 * turns a failure into one naming the file, line and field). */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chipdb_values.h"

bool chipdb_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *chipdb_trim(char *s)
{
    while (chipdb_is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && chipdb_is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

bool chipdb_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* "256", "4K", "16M", "1G" (powers of 1024); zero is not a size. */
bool chipdb_parse_size(const char *s, uint64_t max, uint64_t *out)
{
    char digits[24];
    size_t n = strlen(s);
    static const char units[] = "KkMmGg";
    const char *suffix = n > 1 ? strchr(units, s[n - 1]) : NULL;
    unsigned shift = suffix ? 10 * (unsigned)(1 + (suffix - units) / 2) : 0;
    if (shift)
        n--;
    if (n == 0 || n >= sizeof(digits))
        return false;
    memcpy(digits, s, n);
    digits[n] = '\0';
    uint64_t v;
    if (!chipdb_parse_uint(digits, max >> shift, &v) || v == 0)
        return false;
    *out = v << shift;
    return true;
}

/* Exactly two hex digits. */
bool chipdb_parse_hex_byte(const char *s, uint8_t *out)
{
    if (strlen(s) != 2 || !isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
        return false;
    *out = (uint8_t)strtoul(s, NULL, 16);
    return true;
}

/* A decimal with up to three decimals, in thousandths: "2.7" -> 2700, "45" -> 45000. */
bool chipdb_parse_milli(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int decimals = -1; /* -1: no '.' seen */
    bool digits = false;
    for (; *s; s++) {
        if (*s == '.' && decimals < 0 && digits) {
            decimals = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || decimals == 3 || v > 100000000)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        digits = true;
        if (decimals >= 0)
            decimals++;
    }
    if (!digits || decimals == 0)
        return false;
    for (int d = decimals < 0 ? 0 : decimals; d < 3; d++)
        v *= 10;
    *out = v;
    return true;
}

/* "45/400ms", "0.4/3ms", "40/200s", "25/100us" -> typ, max in ms (to_ms) or us, rounded up. */
bool chipdb_parse_times(char *s, bool to_ms, uint32_t *typ, uint32_t *max)
{
    size_t n = strlen(s);
    uint64_t ns_per_milli; /* nanoseconds per thousandth of the unit */
    if (n > 2 && strcmp(s + n - 2, "us") == 0) {
        ns_per_milli = 1;
        n -= 2;
    } else if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
        ns_per_milli = 1000;
        n -= 2;
    } else if (n > 1 && s[n - 1] == 's') {
        ns_per_milli = 1000000;
        n -= 1;
    } else {
        return false;
    }
    char buf[48];
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    if (!slash)
        return false;
    *slash = '\0';
    uint64_t v[2];
    if (!chipdb_parse_milli(buf, &v[0]) || !chipdb_parse_milli(slash + 1, &v[1]))
        return false;
    uint64_t div = to_ms ? 1000000 : 1000;
    uint32_t r[2];
    for (int i = 0; i < 2; i++) {
        uint64_t t = (v[i] * ns_per_milli + div - 1) / div; /* v < 1e13: no overflow */
        if (t > UINT32_MAX)
            return false;
        r[i] = (uint32_t)t;
    }
    if (r[1] == 0)
        return false; /* a maximum is a timeout: zero makes no sense */
    *typ = r[0];
    *max = r[1];
    return true;
}

/* Chip names and aliases end up on command lines: printable, no blanks or INI specials. */
const char *chipdb_name_problem(const char *s)
{
    static _Thread_local char why[64];
    if (!*s)
        return "empty name";
    if (strlen(s) > MAX_NAME_LEN)
        return "name longer than 63 characters";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || strchr(",;#[]=\"'", c)) {
            snprintf(why, sizeof(why), "character '%c' not allowed in a name", c > ' ' ? c : '?');
            return why;
        }
    }
    return NULL;
}

/* A word such as an id_group or decoder name: letters, digits, '-', '_' and '.'. */
bool chipdb_is_word(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
            return false;
    return true;
}

void chipdb_fmt_size(uint64_t v, char *buf, size_t n)
{
    if (v && v % (1u << 30) == 0)
        snprintf(buf, n, "%lluG", (unsigned long long)(v >> 30));
    else if (v && v % (1u << 20) == 0)
        snprintf(buf, n, "%lluM", (unsigned long long)(v >> 20));
    else if (v && v % (1u << 10) == 0)
        snprintf(buf, n, "%lluK", (unsigned long long)(v >> 10));
    else
        snprintf(buf, n, "%llu", (unsigned long long)v);
}
