/*
 * The document checkers' shared machinery (results/doccheck.h): the loader, member access
 * with a path in every refusal, closed objects, enumerations, times and the number range.
 */
#include "results/doccheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"

void doc_at(struct doc_chk *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->ctx, sizeof(c->ctx), fmt, ap);
    va_end(ap);
}

void doc_top(struct doc_chk *c)
{
    c->ctx[0] = '\0';
}

int doc_fail(struct doc_chk *c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->ctx[0] != '\0')
        return error_set(c->err, ERR_INVALID, "'%s': %s: %s", c->where, c->ctx, msg);
    return error_set(c->err, ERR_INVALID, "'%s': %s", c->where, msg);
}

void doc_join(char *buf, size_t len, const char *base, const char *key)
{
    if (base[0] == '\0')
        snprintf(buf, len, "%s", key);
    else
        snprintf(buf, len, "%s.%s", base, key);
}

int doc_want_type(struct doc_chk *c, const json_t *v, const char *path, unsigned types)
{
    if (jtype_of(v) & types)
        return 0;
    return doc_fail(c, "\"%s\" must be %s, not %s", path, jtype_text(types),
                    jtype_text(jtype_of(v)));
}

const json_t *doc_get(struct doc_chk *c, const json_t *obj, const char *base, const char *key,
                      unsigned types)
{
    const json_t *v = json_object_get(obj, key);
    char path[160];

    doc_join(path, sizeof(path), base, key);
    if (v == NULL) {
        doc_fail(c, "missing \"%s\"", path);
        return NULL;
    }
    if (doc_want_type(c, v, path, types) < 0)
        return NULL;
    return v;
}

int doc_opt(struct doc_chk *c, const json_t *obj, const char *base, const char *key, unsigned types,
            const json_t **out)
{
    const json_t *v = json_object_get(obj, key);
    char path[160];

    *out = NULL;
    if (v == NULL)
        return 0;
    doc_join(path, sizeof(path), base, key);
    if (doc_want_type(c, v, path, types) < 0)
        return -1;
    *out = v;
    return 0;
}

const char *doc_get_name(struct doc_chk *c, const json_t *obj, const char *base, const char *key)
{
    const json_t *v = doc_get(c, obj, base, key, JT_STRING);
    char path[160];

    if (v == NULL)
        return NULL;
    if (json_string_length(v) == 0) {
        doc_join(path, sizeof(path), base, key);
        doc_fail(c, "\"%s\" must not be empty", path);
        return NULL;
    }
    return json_string_value(v);
}

const char *doc_unknown_key(const json_t *obj, const char *const *keys)
{
    const char *k;
    json_t *v;

    json_object_foreach ((json_t *)obj, k, v) {
        size_t i;

        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i] == NULL)
            return k;
    }
    return NULL;
}

int doc_only_keys(struct doc_chk *c, const json_t *obj, const char *base, const char *const *keys)
{
    const char *k = doc_unknown_key(obj, keys);
    char path[160];

    if (k == NULL)
        return 0;
    doc_join(path, sizeof(path), base, k);
    return doc_fail(c, "unknown key \"%s\"", path);
}

int doc_want_enum(struct doc_chk *c, const json_t *obj, const char *base, const char *key,
                  const char *const *names, size_t n)
{
    const json_t *v = doc_get(c, obj, base, key, JT_STRING);
    char path[160], list[96] = "";
    size_t used = 0;

    if (v == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(json_string_value(v), names[i]) == 0)
            return 0;
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
                                 i == 0 ? "" : (i + 1 == n ? " or " : ", "), names[i]);
        if (used >= sizeof(list))
            used = sizeof(list) - 1;
    }
    doc_join(path, sizeof(path), base, key);
    return doc_fail(c, "\"%s\" must be %s, not \"%s\"", path, list, json_string_value(v));
}

static bool doc_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool doc_utc_ok(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    long f[6] = {0};
    size_t i;
    int k = 0;

    // The shape first: the loop below reads only the characters it has seen.
    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd') {
            if (s[i] < '0' || s[i] > '9')
                return false;
        } else if (s[i] != shape[i]) {
            return false;
        }
    }
    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd')
            f[k] = f[k] * 10 + (s[i] - '0');
        else
            k++;
    }
    s += i;
    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9')
            return false;
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    }
    if (strcmp(s, "Z") != 0)
        return false;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1)
        return false;
    if (f[2] > mdays[f[1] - 1] + (f[1] == 2 && doc_leap(f[0])))
        return false;
    return f[3] <= 23 && f[4] <= 59 && f[5] <= 59;
}

int doc_want_utc(struct doc_chk *c, const json_t *obj, const char *base, const char *key)
{
    const json_t *v = doc_get(c, obj, base, key, JT_STRING);
    char path[160];

    if (v == NULL)
        return -1;
    if (doc_utc_ok(json_string_value(v)))
        return 0;
    doc_join(path, sizeof(path), base, key);
    return doc_fail(c, "\"%s\" is \"%s\", not an RFC 3339 UTC time", path, json_string_value(v));
}

int doc_check_reals(struct doc_chk *c, const json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;

    // Depth is bounded by the parser's nesting limit.
    switch (json_typeof(j)) {
    case JSON_REAL:
        if (!(fabs(json_real_value(j)) <= JS_REAL_LIMIT))
            return doc_fail(c, "the number %.10g is beyond %g", json_real_value(j), JS_REAL_LIMIT);
        return 0;
    case JSON_OBJECT:
        json_object_foreach ((json_t *)j, k, v) {
            if (doc_check_reals(c, v) < 0)
                return -1;
        }
        return 0;
    case JSON_ARRAY:
        json_array_foreach (j, i, v) {
            if (doc_check_reals(c, v) < 0)
                return -1;
        }
        return 0;
    default:
        return 0;
    }
}

static const struct doc_field *doc_field_of(const struct doc_field *fields, size_t n,
                                            const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

int doc_fields(struct doc_chk *c, const json_t *obj, const char *base,
               const struct doc_field *fields, size_t n)
{
    const char *k;
    json_t *v;
    char path[160];

    json_object_foreach ((json_t *)obj, k, v) {
        if (doc_field_of(fields, n, k) == NULL) {
            doc_join(path, sizeof(path), base, k);
            return doc_fail(c, "unknown key \"%s\"", path);
        }
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *got;

        if (fields[i].flags & DOC_NAME) {
            if ((!(fields[i].flags & DOC_OPTIONAL) || json_object_get(obj, fields[i].key)) &&
                doc_get_name(c, obj, base, fields[i].key) == NULL)
                return -1;
        } else if (fields[i].flags & DOC_OPTIONAL) {
            if (doc_opt(c, obj, base, fields[i].key, fields[i].types, &got) < 0)
                return -1;
        } else if (doc_get(c, obj, base, fields[i].key, fields[i].types) == NULL) {
            return -1;
        }
    }
    return 0;
}

/* ---- loading ---- */

static json_t *doc_parse(struct error *err, const char *buf, size_t len, const char *name)
{
    json_error_t jerr;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

    if (j == NULL)
        error_set(err, ERR_INVALID, "'%s' line %d column %d: %s", name, jerr.line, jerr.column,
                  jerr.text);
    return j;
}

json_t *doc_loadb(struct error *err, const char *buf, size_t len, const char *name)
{
    if (buf == NULL) {
        error_set(err, ERR_INVALID, "'%s': no document", name);
        return NULL;
    }
    return doc_parse(err, buf, len, name);
}

json_t *doc_load(struct error *err, const char *path, const char *what)
{
    bool in = strcmp(path, "-") == 0;
    const char *name = in ? "<stdin>" : path;
    char *buf;
    size_t len;
    json_t *j;

    // Read whole first: the size cap holds before the parser sees a byte, and a directory or
    // an unreadable file is an I/O error, not a syntax error.
    if (io_read_file(err, in ? "/dev/stdin" : path, name, DOC_MAX_BYTES, what, &buf, &len) < 0)
        return NULL;
    j = doc_parse(err, buf, len, name);
    free(buf);
    return j;
}
