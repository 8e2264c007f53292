/*
 * Demands from the command line and from YAML (plan/demand.h). Both forms end in the same
 * checks (demand_add), so a demand means the same whichever way it came. The YAML form walks
 * libyaml's document tree, whose nodes carry the line and column every message names.
 */
#include "plan/demand.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/error.h"
#include "core/str.h"
#include "core/strparse.h"

/* Longest run of user text a message repeats, so a long input never cuts the message's end. */
enum { DEMAND_QUOTE_MAX = 40 };

/* What a message may hold of user text: DEMAND_QUOTE_MAX bytes, "..." and NUL. */
struct demand_quote {
    char s[DEMAND_QUOTE_MAX + 4];
};

/* At most DEMAND_QUOTE_MAX bytes of s[0..len), bytes outside printable ASCII as '?' (a message
 * must not carry control characters to a terminal), "..." where it was cut. */
static const char *demand_quote(struct demand_quote *q, const char *s, size_t len)
{
    size_t n = len > DEMAND_QUOTE_MAX ? DEMAND_QUOTE_MAX : len;

    for (size_t i = 0; i < n; i++)
        q->s[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (len > n) {
        memcpy(q->s + n, "...", 4);
    } else {
        q->s[n] = '\0';
    }
    return q->s;
}

static bool demand_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* Names go into reports, YAML and Kubernetes objects unquoted, so they keep to a safe set. */
static bool demand_name_ok(const char *s, size_t len)
{
    if (len == 0 || len >= DEMAND_NAME_MAX || s[0] == '.' || s[0] == '_' || s[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!demand_name_char(s[i]))
            return false;
    }
    return true;
}

/* The span s[0..len) as a NUL-terminated string in buf[size]; false when it does not fit or
 * holds a NUL (a YAML quoted scalar may). */
static bool demand_span(char *buf, size_t size, const char *s, size_t len)
{
    if (len >= size || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

/* Case-insensitive "does s[0..len) end with suffix"; the suffix is lowercase ASCII. */
static bool demand_ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[len - n + i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return false;
    }
    return true;
}

/* A number in (0, max] from the decimal span s[0..len) (strparse's grammar: no sign, hex, inf
 * or spaces). */
static bool demand_positive(const char *s, size_t len, double max, double *out)
{
    struct error scratch = {0};
    char buf[64];
    double v = 0;

    if (!demand_span(buf, sizeof(buf), s, len) ||
        parse_double(&scratch, "value", buf, 0.0, max, &v) < 0 || !(v > 0.0))
        return false;
    *out = v;
    return true;
}

/* A whole number in [1, max] from the digits s[0..len). */
static bool demand_count(const char *s, size_t len, unsigned long max, unsigned *out)
{
    struct error scratch = {0};
    unsigned long v = 0;
    char buf[32];

    if (!demand_span(buf, sizeof(buf), s, len) ||
        parse_uint(&scratch, "value", buf, 1, max, &v) < 0)
        return false;
    *out = (unsigned)v;
    return true;
}

static int demand_find(const struct demand_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->d[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

size_t demand_replicas(const struct demand_set *set)
{
    size_t total = 0;

    for (size_t i = 0; i < set->n; i++)
        total += set->d[i].replicas;
    return total;
}

unsigned demand_sms_needed(const struct demand *d, unsigned gpu_sms)
{
    unsigned need = d->min_sms;

    if (d->min_fraction > 0.0) {
        // 0.3 * 100 is 30.000000000000004 in binary; a share the user wrote exactly must not
        // round up to one SM more.
        double f = ceil(d->min_fraction * (double)gpu_sms - 1e-9);
        unsigned by_share = f < 1.0 ? 1u : (unsigned)f;

        if (by_share > need)
            need = by_share;
    }
    return need;
}

/* ---- the command-line form ---- */

#define DEMAND_FORM "NAME:MEM[:COMPUTE][xCOUNT]"

/* Quotes item and field for an ERR_USAGE message: "invalid demand 'ITEM': WHAT". */
static int demand_item_fail(struct error *err, const char *item, size_t item_len, const char *what,
                            const char *field, size_t field_len, const char *expected)
{
    struct demand_quote qi, qf;

    return error_set(err, ERR_USAGE, "invalid demand '%s': %s '%s': expected %s",
                     demand_quote(&qi, item, item_len), what, demand_quote(&qf, field, field_len),
                     expected);
}

static int demand_parse_item(struct error *err, const char *item, size_t len, struct demand *d)
{
    const char *colon1 = memchr(item, ':', len);
    const char *mem, *compute = NULL, *last, *x, *end = item + len;
    size_t mem_len, compute_len = 0;
    struct demand_quote q;

    memset(d, 0, sizeof(*d));
    d->replicas = 1;
    if (colon1 == NULL)
        return error_set(err, ERR_USAGE,
                         "invalid demand '%s': expected " DEMAND_FORM ", e.g. 'llama:20gb:30sm'",
                         demand_quote(&q, item, len));
    if (!demand_name_ok(item, (size_t)(colon1 - item)))
        return demand_item_fail(err, item, len, "name", item, (size_t)(colon1 - item),
                                "letters, digits, '.', '_' or '-', at most 63");
    memcpy(d->name, item, (size_t)(colon1 - item));
    d->name[colon1 - item] = '\0';

    mem = colon1 + 1;
    last = mem;
    {
        const char *colon2 = memchr(mem, ':', (size_t)(end - mem));

        if (colon2 != NULL) {
            if (memchr(colon2 + 1, ':', (size_t)(end - colon2 - 1)) != NULL)
                return error_set(err, ERR_USAGE, "invalid demand '%s': expected " DEMAND_FORM,
                                 demand_quote(&q, item, len));
            compute = colon2 + 1;
            last = compute;
            mem_len = (size_t)(colon2 - mem);
        } else {
            mem_len = (size_t)(end - mem);
        }
    }
    // xCOUNT ends the last field; no unit contains an 'x'.
    x = memchr(last, 'x', (size_t)(end - last));
    if (x != NULL) {
        if (!demand_count(x + 1, (size_t)(end - x - 1), PLAN_MAX_REPLICAS, &d->replicas))
            return demand_item_fail(err, item, len, "count", x, (size_t)(end - x),
                                    "'x' and a whole number from 1 to 1024");
        end = x;
        if (compute == NULL)
            mem_len = (size_t)(end - mem);
    }
    if (compute != NULL)
        compute_len = (size_t)(end - compute);

    {
        size_t unit = demand_ends_with(mem, mem_len, "gib")  ? 3
                      : demand_ends_with(mem, mem_len, "gb") ? 2
                                                             : 0;

        if (unit == 0 || !demand_positive(mem, mem_len - unit, DEMAND_MAX_MEM_GIB, &d->mem_gib))
            return demand_item_fail(err, item, len, "memory", mem, mem_len,
                                    "GiB above 0 and at most 65536, such as '20gb' or '2.5gib'");
    }
    if (compute != NULL) {
        double pct = 0;
        bool ok = false;

        if (demand_ends_with(compute, compute_len, "sm")) {
            ok = demand_count(compute, compute_len - 2, DEMAND_MAX_SMS, &d->min_sms);
        } else if (demand_ends_with(compute, compute_len, "%")) {
            ok = demand_positive(compute, compute_len - 1, 100.0, &pct);
            d->min_fraction = pct / 100.0;
        }
        if (!ok)
            return demand_item_fail(err, item, len, "compute", compute, compute_len,
                                    "SMs from 1 to 65536 ('30sm') or a share of the GPU above 0 "
                                    "and at most 100 ('25%')");
    }
    return 0;
}

/* Adds d to set after the checks both forms share; the caller words the message. */
enum demand_add_status {
    DEMAND_ADDED,
    DEMAND_DUPLICATE,
    DEMAND_TOO_MANY,
    DEMAND_TOO_MANY_REPLICAS,
};

static enum demand_add_status demand_add(struct demand_set *set, const struct demand *d)
{
    if (demand_find(set, d->name) >= 0)
        return DEMAND_DUPLICATE;
    if (set->n >= PLAN_MAX_DEMANDS)
        return DEMAND_TOO_MANY;
    if (demand_replicas(set) + d->replicas > PLAN_MAX_REPLICAS)
        return DEMAND_TOO_MANY_REPLICAS;
    set->d[set->n++] = *d;
    return DEMAND_ADDED;
}

int demand_parse_inline(struct error *err, const char *s, struct demand_set *set)
{
    const char *p = s;

    set->n = 0;
    if (*s == '\0')
        return error_set(err, ERR_USAGE,
                         "no demands: expected " DEMAND_FORM " items separated by ','");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        struct demand d;
        struct demand_quote q;

        if (len == 0) {
            set->n = 0;
            return error_set(err, ERR_USAGE,
                             "empty item in the demand list: expected " DEMAND_FORM
                             " items separated by single ','");
        }
        if (demand_parse_item(err, p, len, &d) < 0) {
            set->n = 0;
            return -1;
        }
        switch (demand_add(set, &d)) {
        case DEMAND_ADDED:
            break;
        case DEMAND_DUPLICATE:
            set->n = 0;
            return error_set(err, ERR_USAGE, "duplicate demand name '%s': names must be unique",
                             demand_quote(&q, d.name, strlen(d.name)));
        case DEMAND_TOO_MANY:
            set->n = 0;
            return error_set(err, ERR_USAGE, "too many demands: at most %d", PLAN_MAX_DEMANDS);
        case DEMAND_TOO_MANY_REPLICAS:
            set->n = 0;
            return error_set(err, ERR_USAGE, "too many replicas in all: at most %d",
                             PLAN_MAX_REPLICAS);
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

/* ---- the YAML form ---- */

/* A walk over one loaded document; messages name the file as the user gave it. */
struct demand_yaml {
    struct error *err;
    yaml_document_t *doc;
    const char *name;
    struct demand_set *set;
    size_t first_line[PLAN_MAX_DEMANDS]; /* where each model's mapping starts, for duplicates */
};

/* The file name for messages: its last 60 characters, so the message keeps its end. */
static const char *demand_short_name(const char *name, int *more)
{
    size_t len = strlen(name);

    *more = len > 60;
    return len > 60 ? name + len - 57 : name;
}

static int demand_at(struct error *err, const char *name, size_t line, size_t column,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "NAME:LINE:COLUMN: message", ERR_INVALID; line and column are 0-based as libyaml marks. */
static int demand_at(struct error *err, const char *name, size_t line, size_t column,
                     const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    int more = 0;
    const char *shown = demand_short_name(name, &more);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return error_set(err, ERR_INVALID, "%s%s:%zu:%zu: %s", more ? "..." : "", shown, line + 1,
                     column + 1, msg);
}

#define DY_AT(c, node, ...)                                                                        \
    demand_at((c)->err, (c)->name, (node)->start_mark.line, (node)->start_mark.column, __VA_ARGS__)

static bool dy_scalar_is(const yaml_node_t *n, const char *s)
{
    size_t len = strlen(s);

    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
           memcmp(n->data.scalar.value, s, len) == 0;
}

/* YAML's null as a plain scalar: nothing, "~" or "null". */
static bool dy_is_null(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (n->data.scalar.length == 0 || dy_scalar_is(n, "~") || dy_scalar_is(n, "null") ||
            dy_scalar_is(n, "Null") || dy_scalar_is(n, "NULL"));
}

/* "got ..." for a message: the scalar's text, or what kind of node it is. */
static const char *dy_got(const yaml_node_t *n, struct demand_quote *q, char *buf, size_t size)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (dy_is_null(n))
        return "nothing";
    demand_quote(q, (const char *)n->data.scalar.value, n->data.scalar.length);
    str_printf(buf, size, "%s'%s'",
               n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "" : "the string ", q->s);
    return buf;
}

/* ERR_INVALID at node: "KEY: expected WHAT, got ...". */
static int dy_expected(struct demand_yaml *c, const yaml_node_t *node, const char *key,
                       const char *what)
{
    struct demand_quote q;
    char got[64];

    return DY_AT(c, node, "%s: expected %s, got %s", key, what, dy_got(node, &q, got, sizeof(got)));
}

/* A number field: a plain scalar in (0, max]. */
static int dy_number(struct demand_yaml *c, const yaml_node_t *v, const char *key, double max,
                     const char *what, double *out)
{
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        !demand_positive((const char *)v->data.scalar.value, v->data.scalar.length, max, out))
        return dy_expected(c, v, key, what);
    return 0;
}

/* A whole-number field: a plain scalar in [1, max]. */
static int dy_count(struct demand_yaml *c, const yaml_node_t *v, const char *key, unsigned long max,
                    const char *what, unsigned *out)
{
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        !demand_count((const char *)v->data.scalar.value, v->data.scalar.length, max, out))
        return dy_expected(c, v, key, what);
    return 0;
}

static const char *const dy_model_keys[] = {"name", "memory_gib", "min_sms", "compute_fraction",
                                            "replicas"};
enum { DY_NAME, DY_MEM, DY_SMS, DY_FRACTION, DY_REPLICAS, DY_NKEYS };

/* One list item of `models`. */
static int dy_model(struct demand_yaml *c, const yaml_node_t *m, size_t index)
{
    const yaml_node_t *val[DY_NKEYS] = {0};
    struct demand d;
    struct demand_quote q;

    if (m->type != YAML_MAPPING_NODE) {
        char got[64];

        return DY_AT(c, m, "models: each model is a mapping with name and memory_gib, got %s",
                     dy_got(m, &q, got, sizeof(got)));
    }
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        size_t i = 0;

        if (k == NULL || v == NULL)
            return DY_AT(c, m, "a key or value of model %zu is missing", index + 1);
        if (k->type != YAML_SCALAR_NODE)
            return DY_AT(c, k, "a model's keys are names such as memory_gib, got %s",
                         k->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
        while (i < DY_NKEYS && !dy_scalar_is(k, dy_model_keys[i]))
            i++;
        if (i == DY_NKEYS)
            return DY_AT(
                c, k,
                "unknown key '%s' in a model: expected name, memory_gib, min_sms, "
                "compute_fraction or replicas",
                demand_quote(&q, (const char *)k->data.scalar.value, k->data.scalar.length));
        if (val[i] != NULL)
            return DY_AT(c, k, "duplicate key '%s' in a model", dy_model_keys[i]);
        val[i] = v;
    }

    memset(&d, 0, sizeof(d));
    d.replicas = 1;
    if (val[DY_NAME] == NULL)
        return DY_AT(c, m, "model %zu has no 'name'", index + 1);
    {
        const yaml_node_t *v = val[DY_NAME];

        if (v->type != YAML_SCALAR_NODE || dy_is_null(v) ||
            !demand_name_ok((const char *)v->data.scalar.value, v->data.scalar.length))
            return dy_expected(c, v, "name",
                               "letters, digits, '.', '_' or '-', at most 63, from a letter or "
                               "digit");
        memcpy(d.name, v->data.scalar.value, v->data.scalar.length);
        d.name[v->data.scalar.length] = '\0';
    }
    if (val[DY_MEM] == NULL)
        return DY_AT(c, m, "model '%s' has no 'memory_gib'", d.name);
    if (dy_number(c, val[DY_MEM], "memory_gib", DEMAND_MAX_MEM_GIB,
                  "a positive number (GiB, at most 65536)", &d.mem_gib) < 0)
        return -1;
    if (val[DY_SMS] != NULL && val[DY_FRACTION] != NULL) {
        const yaml_node_t *later =
            val[DY_SMS]->start_mark.index > val[DY_FRACTION]->start_mark.index ? val[DY_SMS]
                                                                               : val[DY_FRACTION];

        return DY_AT(c, later, "model '%s': min_sms and compute_fraction both given: expected one",
                     d.name);
    }
    if (val[DY_SMS] != NULL && dy_count(c, val[DY_SMS], "min_sms", DEMAND_MAX_SMS,
                                        "a whole number from 1 to 65536", &d.min_sms) < 0)
        return -1;
    if (val[DY_FRACTION] != NULL &&
        dy_number(c, val[DY_FRACTION], "compute_fraction", 1.0,
                  "a share of the GPU's SMs above 0 and at most 1", &d.min_fraction) < 0)
        return -1;
    if (val[DY_REPLICAS] != NULL && dy_count(c, val[DY_REPLICAS], "replicas", PLAN_MAX_REPLICAS,
                                             "a whole number from 1 to 1024", &d.replicas) < 0)
        return -1;

    switch (demand_add(c->set, &d)) {
    case DEMAND_ADDED:
        c->first_line[c->set->n - 1] = val[DY_NAME]->start_mark.line + 1;
        return 0;
    case DEMAND_DUPLICATE:
        return DY_AT(c, val[DY_NAME], "duplicate model name '%s' (first at line %zu)", d.name,
                     c->first_line[demand_find(c->set, d.name)]);
    case DEMAND_TOO_MANY:
        return DY_AT(c, m, "too many models: at most %d", PLAN_MAX_DEMANDS);
    case DEMAND_TOO_MANY_REPLICAS:
        return DY_AT(c, val[DY_REPLICAS] != NULL ? val[DY_REPLICAS] : m,
                     "too many replicas in all: at most %d", PLAN_MAX_REPLICAS);
    }
    return 0;
}

static int dy_document(struct demand_yaml *c)
{
    const yaml_node_t *root = yaml_document_get_root_node(c->doc);
    const yaml_node_t *models = NULL;
    struct demand_quote q;
    char got[64];

    if (root == NULL)
        return demand_at(c->err, c->name, 0, 0, "empty document: expected a mapping with 'models'");
    if (root->type != YAML_MAPPING_NODE)
        return DY_AT(c, root, "expected a mapping with 'models', got %s",
                     dy_got(root, &q, got, sizeof(got)));
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);

        if (k == NULL || v == NULL)
            return DY_AT(c, root, "a key or value of the document is missing");
        if (!dy_scalar_is(k, "models")) {
            if (k->type != YAML_SCALAR_NODE)
                return DY_AT(c, k, "unknown key at the top: expected only 'models'");
            return DY_AT(
                c, k, "unknown key '%s' at the top: expected only 'models'",
                demand_quote(&q, (const char *)k->data.scalar.value, k->data.scalar.length));
        }
        if (models != NULL)
            return DY_AT(c, k, "duplicate key 'models'");
        models = v;
    }
    if (models == NULL)
        return DY_AT(c, root, "no 'models': expected a list of models under 'models'");
    if (models->type != YAML_SEQUENCE_NODE)
        return dy_expected(c, models, "models", "a list of models");
    if (models->data.sequence.items.top == models->data.sequence.items.start)
        return DY_AT(c, models, "models: the list is empty: expected at least one model");
    for (yaml_node_item_t *it = models->data.sequence.items.start;
         it < models->data.sequence.items.top; it++) {
        const yaml_node_t *m = yaml_document_get_node(c->doc, *it);

        if (m == NULL)
            return DY_AT(c, models, "a model of the list is missing");
        if (dy_model(c, m, (size_t)(it - models->data.sequence.items.start)) < 0)
            return -1;
    }
    return 0;
}

/* Line and column (0-based) of byte offset in buf, for libyaml's reader errors, which give
 * only the offset. */
static void demand_offset_mark(const char *buf, size_t len, size_t offset, size_t *line,
                               size_t *column)
{
    *line = 0;
    *column = 0;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *column = 0;
        } else {
            (*column)++;
        }
    }
}

static int demand_yaml_error(struct error *err, const yaml_parser_t *p, const char *buf, size_t len,
                             const char *name)
{
    const char *problem = p->problem != NULL ? p->problem : "unknown error";
    size_t line = p->problem_mark.line, column = p->problem_mark.column;

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return demand_at(err, name, 0, 0, "out of memory reading the document");
    case YAML_READER_ERROR:
        demand_offset_mark(buf, len, p->problem_offset, &line, &column);
        return demand_at(err, name, line, column, "invalid text: %s", problem);
    default:
        if (p->context != NULL)
            return demand_at(err, name, line, column, "invalid yaml: %s (%s)", problem, p->context);
        return demand_at(err, name, line, column, "invalid yaml: %s", problem);
    }
}

int demand_load_yaml_buf(struct error *err, const char *buf, size_t len, const char *name,
                         struct demand_set *set)
{
    yaml_parser_t parser;
    yaml_document_t doc, extra;
    struct demand_yaml c = {.err = err, .doc = &doc, .name = name, .set = set};
    bool have_doc = false;
    int rv = -1;

    set->n = 0;
    if (buf == NULL)
        len = 0;
    if (!yaml_parser_initialize(&parser)) {
        demand_at(err, name, 0, 0, "out of memory reading the document");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(buf != NULL ? buf : ""), len);
    if (!yaml_parser_load(&parser, &doc)) {
        demand_yaml_error(err, &parser, buf, len, name);
        goto fail;
    }
    have_doc = true;
    if (dy_document(&c) < 0)
        goto fail;
    // A second document would be silently ignored; say so instead.
    if (!yaml_parser_load(&parser, &extra)) {
        demand_yaml_error(err, &parser, buf, len, name);
        goto fail;
    }
    if (yaml_document_get_root_node(&extra) != NULL) {
        const yaml_node_t *r = yaml_document_get_root_node(&extra);

        demand_at(err, name, r->start_mark.line, r->start_mark.column,
                  "a second document: expected one");
        yaml_document_delete(&extra);
        goto fail;
    }
    yaml_document_delete(&extra);
    rv = 0;
fail:
    if (rv < 0)
        set->n = 0;
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rv;
}

int demand_load_yaml(struct error *err, const char *path, struct demand_set *set)
{
    int more = 0;
    const char *shown = demand_short_name(path, &more);
    const char *dots = more ? "..." : "";
    FILE *f;
    char *buf = NULL;
    size_t len;
    int rv = -1;

    set->n = 0;
    f = fopen(path, "rb");
    if (f == NULL)
        return error_set(err, ERR_IO, "cannot open '%s%s': %s", dots, shown, strerror(errno));
    buf = malloc(DEMAND_MAX_FILE_BYTES + 1);
    if (buf == NULL) {
        error_set(err, ERR_IO, "cannot read '%s%s': out of memory", dots, shown);
        goto fail;
    }
    len = fread(buf, 1, DEMAND_MAX_FILE_BYTES + 1, f);
    if (ferror(f)) {
        error_set(err, ERR_IO, "cannot read '%s%s': %s", dots, shown, strerror(errno));
        goto fail;
    }
    if (len > DEMAND_MAX_FILE_BYTES) {
        error_set(err, ERR_INVALID, "'%s%s' is larger than 1 MiB: not a demands file", dots, shown);
        goto fail;
    }
    rv = demand_load_yaml_buf(err, buf, len, path, set);
fail:
    free(buf);
    fclose(f);
    return rv;
}
