/*
 * Parsers for command-line values. Each rejects empty strings, whitespace,
 * trailing garbage, signs where none belong, and out-of-range values, and says
 * why in `err` (ERR_USAGE), naming the offending text and `what`, the option
 * name as the user typed it ("--trials"). On error the output is left as it
 * was (parse_uint_list: *n is 0 and out[] may hold partial results).
 */
#ifndef GPUSHARE_CORE_STRPARSE_H
#define GPUSHARE_CORE_STRPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Decimal unsigned integer in [min, max]: digits only ("010" is 10; "0x10" is rejected). */
int parse_uint(struct error *err, const char *what, const char *s, unsigned long min,
               unsigned long max, unsigned long *out);

/*
 * Finite decimal floating-point number in [min, max]: [-]digits[.digits][e[+-]digits].
 * '-' only when min < 0; no '+', hex, "inf" or "nan"; overflow and underflow rejected.
 */
int parse_double(struct error *err, const char *what, const char *s, double min, double max,
                 double *out);

/*
 * Byte size: a decimal integer with an optional binary suffix K, M, G (also
 * KiB, MiB, GiB; case-insensitive). "4K" is 4096. Result must be in [min, max].
 * Fractions ("1.5K"), "KB"/"B" and sizes that overflow 64 bits are rejected.
 */
int parse_size(struct error *err, const char *what, const char *s, uint64_t min, uint64_t max,
               uint64_t *out);

/*
 * Comma-separated list of unsigned integers in [min, max], e.g. "1,2,4", each
 * as parse_uint takes it. At most cap values (out has room for cap); empty
 * elements ("1,,2", "1,") and duplicates are rejected. Stores the count in *n.
 */
int parse_uint_list(struct error *err, const char *what, const char *s, unsigned long min,
                    unsigned long max, unsigned long *out, size_t cap, size_t *n);

#endif
