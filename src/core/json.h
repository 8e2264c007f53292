/*
 * JSON values for every document gpushare writes (results, fleet, plan, the --json outputs):
 * constructors that cannot fail, the one number format they are written in, and the type
 * masks the document checkers name in their errors.
 */
#ifndef GPUSHARE_CORE_JSON_H
#define GPUSHARE_CORE_JSON_H

#include <stdio.h>

#include <jansson.h>

#include "core/error.h"

/* Significant digits of every real gpushare writes. */
#define JS_REAL_DIGITS 10
/* Largest magnitude of a number in a document. Beyond it a value is as meaningless as NaN
 * (refused as a sample, null elsewhere), and every value within it survives being written
 * with JS_REAL_DIGITS and read back; 1.7976931349e308 would not. */
#define JS_REAL_LIMIT 1e300
/* json_dump flags of every document and --json output: one precision, sorted keys. */
#define JS_DUMP_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(JS_REAL_DIGITS))

/*
 * jansson fails only on allocation once keys and values are valid: these stop the process then
 * (core/xalloc.h), so builders stay free of error paths. js_set and js_append take ownership of
 * v. js_real() rounds to JS_REAL_DIGITS so a tree equals its own serialisation (written and
 * reloaded, it compares json_equal), and gives JSON null for NaN, infinities and magnitudes
 * beyond JS_REAL_LIMIT. js_string() replaces bytes that are not UTF-8 with '?' (argv and driver
 * strings are not guaranteed to be), NULL giving "".
 */
json_t *js_must(json_t *j);
void js_set(json_t *obj, const char *key, json_t *v);
void js_append(json_t *arr, json_t *v);
json_t *js_real(double v);
json_t *js_string(const char *s);

/* Writes j with JS_DUMP_FLAGS and a newline to out and flushes it. ERR_IO "cannot write
 * <what>: <reason>" when any of it fails (a full disk, a closed pipe). */
int js_dump(struct error *err, const json_t *j, FILE *out, const char *what);

/* JSON value types as bit masks, so a reader can accept "an integer or null" in one test and
 * name what it wanted in its error. */
enum jtype {
    JT_OBJECT = 1u << 0,
    JT_ARRAY = 1u << 1,
    JT_STRING = 1u << 2,
    JT_INTEGER = 1u << 3,
    JT_REAL = 1u << 4,
    JT_BOOL = 1u << 5,
    JT_NULL = 1u << 6,
    JT_NUMBER = JT_INTEGER | JT_REAL,
    JT_SCALAR = JT_NUMBER | JT_STRING | JT_BOOL | JT_NULL,
};

/* The one bit of j's type. */
unsigned jtype_of(const json_t *j);

/* "an integer or null" for a mask, for messages; "another type" for masks no reader uses. */
const char *jtype_text(unsigned types);

#endif
