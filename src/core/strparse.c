/*
 * Strict parsers for command-line values: whole numbers, decimals, byte sizes and
 * lists. The C library parsers accept spaces, signs, hex and "inf", so each value is
 * checked against a narrow grammar first and only then handed to strtoul/strtod.
 */
#include "core/strparse.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

enum strparse_status {
    STRPARSE_OK = 0,
    STRPARSE_SYNTAX,
    STRPARSE_RANGE,
};

/* Longest run of the user's text quoted in a message, so the expectation stays readable. */
enum { STRPARSE_QUOTE_MAX = 64 };

/* Locale-free: isdigit() may accept other digits and is undefined for negative char. */
static int strparse_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char strparse_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int strparse_eq_nocase(const char *a, const char *b)
{
    while (*a != '\0' && strparse_lower(*a) == strparse_lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* Precision for "%.*s" quoting at most STRPARSE_QUOTE_MAX characters of len. */
static int strparse_qlen(size_t len)
{
    return len > STRPARSE_QUOTE_MAX ? STRPARSE_QUOTE_MAX : (int)len;
}

static const char *strparse_qmore(size_t len)
{
    return len > STRPARSE_QUOTE_MAX ? "..." : "";
}

/*
 * The len characters at s as a decimal unsigned long. s[len] must not be a digit (the
 * callers end spans at ',' or NUL), so strtoul stops exactly at the end of the span.
 */
static enum strparse_status strparse_ulong_span(const char *s, size_t len, unsigned long *out)
{
    unsigned long v;
    char *end;

    if (len == 0)
        return STRPARSE_SYNTAX;
    for (size_t i = 0; i < len; i++) {
        if (!strparse_is_digit(s[i]))
            return STRPARSE_SYNTAX;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno == ERANGE)
        return STRPARSE_RANGE;
    if (errno != 0 || end != s + len)
        return STRPARSE_SYNTAX;
    *out = v;
    return STRPARSE_OK;
}

int parse_uint(struct error *err, const char *what, const char *s, unsigned long min,
               unsigned long max, unsigned long *out)
{
    size_t len = strlen(s);
    unsigned long v = 0;

    if (strparse_ulong_span(s, len, &v) != STRPARSE_OK || v < min || v > max)
        return error_set(err, ERR_USAGE,
                         "invalid value '%.*s%s' for %s: expected a whole number from %lu to %lu",
                         strparse_qlen(len), s, strparse_qmore(len), what, min, max);
    *out = v;
    return 0;
}

/*
 * [-]digits[.digits][e[+|-]digits], at least one mantissa digit. This keeps strtod away
 * from spaces, '+', hex floats, "inf" and "nan", all of which it would accept.
 */
static int strparse_is_decimal(const char *s, int allow_minus)
{
    size_t i = 0;
    size_t digits = 0;

    if (s[i] == '-' && allow_minus)
        i++;
    for (; strparse_is_digit(s[i]); i++)
        digits++;
    if (s[i] == '.') {
        for (i++; strparse_is_digit(s[i]); i++)
            digits++;
    }
    if (digits == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '+' || s[i] == '-')
            i++;
        if (!strparse_is_digit(s[i]))
            return 0;
        while (strparse_is_digit(s[i]))
            i++;
    }
    return s[i] == '\0';
}

int parse_double(struct error *err, const char *what, const char *s, double min, double max,
                 double *out)
{
    size_t len = strlen(s);
    double v;
    char *end;

    // A minus sign belongs only where the range reaches below zero; "-0" for [0, 1] is a typo.
    if (!strparse_is_decimal(s, min < 0.0))
        goto fail;
    errno = 0;
    v = strtod(s, &end);
    // ERANGE is overflow or underflow: "1e999" and "1e-999" are not what the user meant.
    if (errno != 0 || end != s + len || !isfinite(v))
        goto fail;
    // Written so that a NaN bound rejects everything instead of accepting everything.
    if (!(v >= min && v <= max))
        goto fail;
    *out = v;
    return 0;
fail:
    return error_set(err, ERR_USAGE,
                     "invalid value '%.*s%s' for %s: expected a number from %g to %g",
                     strparse_qlen(len), s, strparse_qmore(len), what, min, max);
}

/* A size bound in the form a user would type it: "4K", "1G", "1000". buf holds 32 bytes. */
static void strparse_fmt_size(char *buf, size_t size, uint64_t v)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"G", 30}, {"M", 20}, {"K", 10}};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t unit = UINT64_C(1) << units[i].shift;

        if (v != 0 && v % unit == 0) {
            snprintf(buf, size, "%" PRIu64 "%s", v / unit, units[i].suffix);
            return;
        }
    }
    snprintf(buf, size, "%" PRIu64, v);
}

int parse_size(struct error *err, const char *what, const char *s, uint64_t min, uint64_t max,
               uint64_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } suffixes[] = {
        {"", 0}, {"k", 10}, {"m", 20}, {"g", 30}, {"kib", 10}, {"mib", 20}, {"gib", 30},
    };
    size_t len = strlen(s);
    size_t ndigits = 0;
    unsigned long long v;
    char lo[32], hi[32];
    char *end;

    while (strparse_is_digit(s[ndigits]))
        ndigits++;
    if (ndigits == 0)
        goto fail;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end != s + ndigits)
        goto fail;
#if ULLONG_MAX > UINT64_MAX
    if (v > UINT64_MAX)
        goto fail;
#endif
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (!strparse_eq_nocase(end, suffixes[i].suffix))
            continue;
        // Checked before shifting: "17179869184G" would wrap to a small size.
        if (v > (UINT64_MAX >> suffixes[i].shift))
            goto fail;
        v <<= suffixes[i].shift;
        if (v < min || v > max)
            goto fail;
        *out = (uint64_t)v;
        return 0;
    }
fail:
    strparse_fmt_size(lo, sizeof(lo), min);
    strparse_fmt_size(hi, sizeof(hi), max);
    return error_set(err, ERR_USAGE,
                     "invalid value '%.*s%s' for %s: expected a size from %s to %s bytes "
                     "(a whole number, optionally followed by K, M or G)",
                     strparse_qlen(len), s, strparse_qmore(len), what, lo, hi);
}

int parse_uint_list(struct error *err, const char *what, const char *s, unsigned long min,
                    unsigned long max, unsigned long *out, size_t cap, size_t *n)
{
    size_t slen = strlen(s);
    size_t count = 0;
    const char *p = s;

    *n = 0;
    if (slen == 0)
        return error_set(err, ERR_USAGE,
                         "invalid list '' for %s: expected comma-separated whole numbers "
                         "from %lu to %lu",
                         what, min, max);
    for (;;) {
        size_t len = strcspn(p, ",");
        unsigned long v = 0;

        if (len == 0)
            return error_set(err, ERR_USAGE, "invalid list '%.*s%s' for %s: empty element",
                             strparse_qlen(slen), s, strparse_qmore(slen), what);
        if (strparse_ulong_span(p, len, &v) != STRPARSE_OK || v < min || v > max)
            return error_set(err, ERR_USAGE,
                             "invalid value '%.*s%s' in list for %s: expected a whole number "
                             "from %lu to %lu",
                             strparse_qlen(len), p, strparse_qmore(len), what, min, max);
        for (size_t i = 0; i < count; i++) {
            if (out[i] == v)
                return error_set(err, ERR_USAGE,
                                 "invalid list '%.*s%s' for %s: duplicate value '%lu'",
                                 strparse_qlen(slen), s, strparse_qmore(slen), what, v);
        }
        if (count == cap)
            return error_set(err, ERR_USAGE, "invalid list '%.*s%s' for %s: more than %zu values",
                             strparse_qlen(slen), s, strparse_qmore(slen), what, cap);
        out[count++] = v;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *n = count;
    return 0;
}
