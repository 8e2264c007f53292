/*
 * JSON building, the one number format, and type masks for the checkers (core/json.h).
 */
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

json_t *js_must(json_t *j)
{
    if (j == NULL)
        xalloc_die("building a JSON document");
    return j;
}

void js_set(json_t *obj, const char *key, json_t *v)
{
    if (v == NULL || json_object_set_new(obj, key, v) < 0)
        xalloc_die("building a JSON document");
}

void js_append(json_t *arr, json_t *v)
{
    if (v == NULL || json_array_append_new(arr, v) < 0)
        xalloc_die("building a JSON document");
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates),
 * 0 when it is not one. */
static size_t js_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len, i;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

json_t *js_string(const char *s)
{
    json_t *j;
    char *clean;
    size_t n, i, k;

    if (s == NULL)
        s = "";
    j = json_string(s);
    if (j != NULL)
        return j;
    // json_string() refuses malformed UTF-8; keep the readable part of the text.
    n = strlen(s);
    clean = malloc(n + 1);
    if (clean == NULL)
        xalloc_die("building a JSON document");
    for (i = 0; i < n; i += k) {
        k = js_utf8_len((const unsigned char *)s + i);
        if (k == 0) {
            clean[i] = '?';
            k = 1;
        } else {
            memcpy(clean + i, s + i, k);
        }
    }
    clean[n] = '\0';
    j = json_string(clean);
    free(clean);
    return js_must(j);
}

json_t *js_real(double v)
{
    char buf[40];

    if (!(fabs(v) <= JS_REAL_LIMIT))
        return js_must(json_null());
    // The same %.*g the writer uses: rounding here makes the tree equal its serialisation.
    snprintf(buf, sizeof(buf), "%.*g", JS_REAL_DIGITS, v);
    return js_must(json_real(strtod(buf, NULL)));
}

unsigned jtype_of(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return JT_OBJECT;
    case JSON_ARRAY:
        return JT_ARRAY;
    case JSON_STRING:
        return JT_STRING;
    case JSON_INTEGER:
        return JT_INTEGER;
    case JSON_REAL:
        return JT_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return JT_BOOL;
    case JSON_NULL:
        break;
    }
    return JT_NULL;
}

const char *jtype_text(unsigned types)
{
    switch (types) {
    case JT_OBJECT:
        return "an object";
    case JT_ARRAY:
        return "an array";
    case JT_STRING:
        return "a string";
    case JT_INTEGER:
        return "an integer";
    case JT_REAL:
    case JT_NUMBER:
        return "a number";
    case JT_BOOL:
        return "a boolean";
    case JT_NULL:
        return "null";
    case JT_OBJECT | JT_NULL:
        return "an object or null";
    case JT_STRING | JT_NULL:
        return "a string or null";
    case JT_INTEGER | JT_NULL:
        return "an integer or null";
    case JT_NUMBER | JT_NULL:
        return "a number or null";
    case JT_SCALAR:
        return "a number, string, boolean or null";
    }
    return "another type";
}

int js_dump(struct error *err, const json_t *j, FILE *out, const char *what)
{
    errno = 0;
    if (json_dumpf(j, out, JS_DUMP_FLAGS) < 0 || fputc('\n', out) == EOF || fflush(out) == EOF)
        return error_set(err, ERR_IO, "cannot write %s: %s", what,
                         errno != 0 ? strerror(errno) : "write error");
    return 0;
}
