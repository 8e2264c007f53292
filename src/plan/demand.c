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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/error.h"
#include "core/io.h"
#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "core/yamlr.h"
#include "mig/catalog.h"

/* Longest run of user text a message repeats, so a long input never cuts the message's end. */
enum { DEMAND_QUOTE_MAX = 40, DEMAND_KEY_QUOTE_MAX = 24 };

/* What a message may hold of user text: DEMAND_QUOTE_MAX bytes, "..." and NUL. */
struct demand_quote {
    char s[DEMAND_QUOTE_MAX + 4];
};

/* At most max bytes of s[0..len), bytes outside printable ASCII as '?' (a message must not
 * carry control characters to a terminal), "..." where it was cut. */
static const char *demand_quote_max(struct demand_quote *q, const char *s, size_t len, size_t max)
{
    size_t n = len > max ? max : len;

    for (size_t i = 0; i < n; i++)
        q->s[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (len > n) {
        memcpy(q->s + n, "...", 4);
    } else {
        q->s[n] = '\0';
    }
    return q->s;
}

static const char *demand_quote(struct demand_quote *q, const char *s, size_t len)
{
    return demand_quote_max(q, s, len, DEMAND_QUOTE_MAX);
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
static bool demand_count(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    struct error scratch = {0};
    unsigned long v = 0;
    char buf[32];

    if (!demand_span(buf, sizeof(buf), s, len) ||
        parse_uint(&scratch, "value", buf, 1, max, &v) < 0)
        return false;
    *out = v;
    return true;
}

const char *demand_isolation_name(enum demand_isolation iso)
{
    switch (iso) {
    case ISO_SOFT:
        return "soft";
    case ISO_HARD:
        return "hard";
    default:
        return "none";
    }
}

size_t demand_replicas(const struct demand_set *set)
{
    return set->n > 0 ? set->replicas : 0;
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

/* ---- the set ---- */

void demand_set_release(struct demand_set *set)
{
    free(set->d);
    free(set->index);
    memset(set, 0, sizeof(*set));
}

/* FNV-1a: names are short and this only has to spread them over an open-addressing table. */
static size_t demand_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* Position of name in the set, or -1; index slots hold position + 1, 0 being empty. */
static long demand_find(const struct demand_set *set, const char *name)
{
    if (set->index_cap == 0)
        return -1;
    for (size_t i = demand_hash(name) & (set->index_cap - 1);; i = (i + 1) & (set->index_cap - 1)) {
        size_t v = set->index[i];

        if (v == 0)
            return -1;
        if (strcmp(set->d[v - 1].name, name) == 0)
            return (long)(v - 1);
    }
}

static void demand_index_put(struct demand_set *set, size_t pos)
{
    size_t i = demand_hash(set->d[pos].name) & (set->index_cap - 1);

    while (set->index[i] != 0)
        i = (i + 1) & (set->index_cap - 1);
    set->index[i] = pos + 1;
}

/* Room for one more demand, the index kept under half full. */
static void demand_grow(struct demand_set *set)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 16;
        struct demand *d = xcalloc(cap, sizeof(*d));

        if (set->n > 0)
            memcpy(d, set->d, set->n * sizeof(*d));
        free(set->d);
        set->d = d;
        set->cap = cap;
    }
    if (2 * (set->n + 1) > set->index_cap) {
        size_t cap = set->index_cap ? 2 * set->index_cap : 64;

        free(set->index);
        set->index = xcalloc(cap, sizeof(*set->index));
        set->index_cap = cap;
        for (size_t i = 0; i < set->n; i++)
            demand_index_put(set, i);
    }
}

/* The limits of the set's form. */
static size_t demand_max_count(const struct demand_set *set)
{
    return set->workloads ? PLAN_MAX_WORKLOADS : PLAN_MAX_DEMANDS;
}

static size_t demand_max_total(const struct demand_set *set)
{
    return set->workloads ? PLAN_MAX_TOTAL_REPLICAS : PLAN_MAX_REPLICAS;
}

static unsigned long demand_max_each(const struct demand_set *set)
{
    return set->workloads ? PLAN_MAX_WORKLOAD_REPLICAS : PLAN_MAX_REPLICAS;
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
    if (set->n >= demand_max_count(set))
        return DEMAND_TOO_MANY;
    if (set->replicas + d->replicas > demand_max_total(set))
        return DEMAND_TOO_MANY_REPLICAS;
    demand_grow(set);
    set->d[set->n] = *d;
    demand_index_put(set, set->n);
    set->n++;
    set->replicas += d->replicas;
    return DEMAND_ADDED;
}

/* An empty set of the given form. */
static void demand_set_begin(struct demand_set *set, bool workloads)
{
    memset(set, 0, sizeof(*set));
    set->workloads = workloads;
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

static void demand_defaults(struct demand *d)
{
    memset(d, 0, sizeof(*d));
    d->replicas = 1;
    str_printf(d->tenant, sizeof(d->tenant), "%s", DEMAND_DEFAULT_TENANT);
}

static int demand_parse_item(struct error *err, const char *item, size_t len, struct demand *d)
{
    const char *colon1 = memchr(item, ':', len);
    const char *mem, *compute = NULL, *last, *x, *end = item + len;
    size_t mem_len, compute_len = 0;
    struct demand_quote q;
    unsigned long count = 1;

    demand_defaults(d);
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
        if (!demand_count(x + 1, (size_t)(end - x - 1), PLAN_MAX_REPLICAS, &count))
            return demand_item_fail(err, item, len, "count", x, (size_t)(end - x),
                                    "'x' and a whole number from 1 to 1024");
        d->replicas = (unsigned)count;
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
        unsigned long sms = 0;
        bool ok = false;

        if (demand_ends_with(compute, compute_len, "sm")) {
            ok = demand_count(compute, compute_len - 2, DEMAND_MAX_SMS, &sms);
            d->min_sms = (unsigned)sms;
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

int demand_parse_inline(struct error *err, const char *s, struct demand_set *set)
{
    const char *p = s;

    demand_set_begin(set, false);
    if (*s == '\0')
        return error_set(err, ERR_USAGE,
                         "no demands: expected " DEMAND_FORM " items separated by ','");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        struct demand d;
        struct demand_quote q;
        int rc = 0;

        if (len == 0)
            rc = error_set(err, ERR_USAGE,
                           "empty item in the demand list: expected " DEMAND_FORM
                           " items separated by single ','");
        else if (demand_parse_item(err, p, len, &d) < 0)
            rc = -1;
        else
            switch (demand_add(set, &d)) {
            case DEMAND_ADDED:
                break;
            case DEMAND_DUPLICATE:
                rc = error_set(err, ERR_USAGE, "duplicate demand name '%s': names must be unique",
                               demand_quote(&q, d.name, strlen(d.name)));
                break;
            case DEMAND_TOO_MANY:
                rc = error_set(err, ERR_USAGE, "too many demands: at most %d", PLAN_MAX_DEMANDS);
                break;
            case DEMAND_TOO_MANY_REPLICAS:
                rc = error_set(err, ERR_USAGE, "too many replicas in all: at most %d",
                               PLAN_MAX_REPLICAS);
                break;
            }
        if (rc < 0) {
            demand_set_release(set);
            return -1;
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
    const char *list_key; /* "workloads" or "models": the list */
    const char *item;     /* "workload" or "model": one of its items */
};

#define DY_AT(c, node, ...)                                                                        \
    yamlr_at((c)->err, (c)->name, (node)->start_mark.line, (node)->start_mark.column, __VA_ARGS__)

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
                    const char *what, unsigned long *out)
{
    if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        !demand_count((const char *)v->data.scalar.value, v->data.scalar.length, max, out))
        return dy_expected(c, v, key, what);
    return 0;
}

/* A name field: a scalar of demand_name_ok's set, copied into out[DEMAND_NAME_MAX]. */
static int dy_name(struct demand_yaml *c, const yaml_node_t *v, const char *key, char *out)
{
    if (v->type != YAML_SCALAR_NODE || dy_is_null(v) ||
        !demand_name_ok((const char *)v->data.scalar.value, v->data.scalar.length))
        return dy_expected(c, v, key,
                           "letters, digits, '.', '_' or '-', at most 63, from a letter or digit");
    memcpy(out, v->data.scalar.value, v->data.scalar.length);
    out[v->data.scalar.length] = '\0';
    return 0;
}

/* Levenshtein distance of two short keys, capped: a typo is one or two edits away. */
static size_t dy_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[48], prev, tmp;

    if (la >= 47 || lb >= 47)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t best = prev + (a[i - 1] != b[j - 1]);

            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            tmp = row[j];
            row[j] = best;
            prev = tmp;
        }
    }
    return row[lb];
}

/*
 * The keys of one mapping, matched against keys[0..n): val[i] gets the value of keys[i]. An
 * unknown key is refused with the nearest known one when it is a typo away, else with the
 * list (expected); a repeated key is refused. what names the mapping ("a workload").
 */
static int dy_keys(struct demand_yaml *c, const yaml_node_t *m, const char *const *keys, size_t n,
                   const char *what, const char *expected, const yaml_node_t **val,
                   const yaml_node_t **key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        struct demand_quote q;
        size_t i = 0, best = n, best_d = 3;

        if (k == NULL || v == NULL)
            return DY_AT(c, m, "a key or value of %s is missing", what);
        if (k->type != YAML_SCALAR_NODE)
            return DY_AT(c, k, "the keys of %s are names such as %s, got %s", what, keys[1],
                         k->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
        while (i < n && !dy_scalar_is(k, keys[i]))
            i++;
        if (i == n) {
            const char *s = (const char *)k->data.scalar.value;

            for (size_t j = 0; j < n; j++) {
                size_t d = dy_distance(s, k->data.scalar.length, keys[j]);

                if (d < best_d) {
                    best_d = d;
                    best = j;
                }
            }
            demand_quote_max(&q, s, k->data.scalar.length, DEMAND_KEY_QUOTE_MAX);
            if (best < n)
                return DY_AT(c, k, "unknown key '%s' in %s: did you mean '%s'?", q.s, what,
                             keys[best]);
            return DY_AT(c, k, "unknown key '%s' in %s: expected %s", q.s, what, expected);
        }
        if (val[i] != NULL)
            return DY_AT(c, k, "duplicate key '%s' in %s", keys[i], what);
        val[i] = v;
        if (key != NULL)
            key[i] = k;
    }
    return 0;
}

/* In the order of the enum below. */
static const char *const dy_model_keys[] = {"name",
                                            "memory_gib",
                                            "min_sms",
                                            "compute_fraction",
                                            "requests_per_s",
                                            "gpu_ms_per_request",
                                            "latency_slo_ms",
                                            "tenant",
                                            "isolation",
                                            "replicas",
                                            "gpu_ms_p99_per_request"};
enum {
    DY_NAME,
    DY_MEM,
    DY_SMS,
    DY_FRACTION,
    DY_RATE,
    DY_REQUEST_MS,
    DY_SLO,
    DY_TENANT,
    DY_ISOLATION,
    DY_REPLICAS,
    DY_REQUEST_P99,
    DY_NKEYS
};
_Static_assert(sizeof(dy_model_keys) / sizeof(dy_model_keys[0]) == DY_NKEYS,
               "a key for every field");
#define DY_MODEL_EXPECTED                                                                          \
    "name, memory_gib, replicas, min_sms, compute_fraction, requests_per_s, gpu_ms_per_request, "  \
    "gpu_ms_p99_per_request, latency_slo_ms, tenant or isolation"

/* The later of two given keys, for the message that names both. */
static const yaml_node_t *dy_later(const yaml_node_t *a, const yaml_node_t *b)
{
    return a->start_mark.index > b->start_mark.index ? a : b;
}

/* The compute forms: at most one of min_sms, compute_fraction and a request stream. */
static int dy_compute(struct demand_yaml *c, const yaml_node_t **val, struct demand *d)
{
    static const unsigned forms[] = {DY_SMS, DY_FRACTION, DY_RATE};
    const yaml_node_t *given = NULL;
    unsigned given_key = 0;
    unsigned long sms = 0;

    for (size_t i = 0; i < 3; i++) {
        const yaml_node_t *v = val[forms[i]];

        if (v == NULL)
            continue;
        if (given != NULL)
            return DY_AT(c, dy_later(given, v), "%s '%s': %s and %s both given: expected one",
                         c->item, d->name, dy_model_keys[given_key], dy_model_keys[forms[i]]);
        given = v;
        given_key = forms[i];
    }
    if (val[DY_SMS] != NULL && dy_count(c, val[DY_SMS], "min_sms", DEMAND_MAX_SMS,
                                        "a whole number from 1 to 65536", &sms) < 0)
        return -1;
    d->min_sms = (unsigned)sms;
    if (val[DY_FRACTION] != NULL &&
        dy_number(c, val[DY_FRACTION], "compute_fraction", 1.0,
                  "a share of the GPU's SMs above 0 and at most 1", &d->min_fraction) < 0)
        return -1;
    if ((val[DY_RATE] == NULL) != (val[DY_REQUEST_MS] == NULL)) {
        const yaml_node_t *v = val[DY_RATE] != NULL ? val[DY_RATE] : val[DY_REQUEST_MS];

        return DY_AT(c, v,
                     "%s '%s': requests_per_s and gpu_ms_per_request go together: "
                     "expected both",
                     c->item, d->name);
    }
    if (val[DY_RATE] != NULL &&
        (dy_number(c, val[DY_RATE], "requests_per_s", DEMAND_MAX_RATE,
                   "requests per second above 0 and at most 1000000", &d->rate) < 0 ||
         dy_number(c, val[DY_REQUEST_MS], "gpu_ms_per_request", DEMAND_MAX_REQUEST_MS,
                   "milliseconds above 0 and at most 100000", &d->request_ms) < 0))
        return -1;
    if (val[DY_REQUEST_P99] != NULL && val[DY_RATE] == NULL)
        return DY_AT(c, val[DY_REQUEST_P99],
                     "%s '%s': gpu_ms_p99_per_request is the tail of its requests: expected "
                     "requests_per_s and gpu_ms_per_request with it",
                     c->item, d->name);
    if (val[DY_REQUEST_P99] != NULL &&
        dy_number(c, val[DY_REQUEST_P99], "gpu_ms_p99_per_request", DEMAND_MAX_REQUEST_MS,
                  "milliseconds above 0 and at most 100000", &d->request_p99_ms) < 0)
        return -1;
    if (val[DY_REQUEST_P99] != NULL && d->request_p99_ms < d->request_ms)
        return DY_AT(c, val[DY_REQUEST_P99],
                     "%s '%s': gpu_ms_p99_per_request %g is below gpu_ms_per_request %g: expected "
                     "the p99 at least the p50",
                     c->item, d->name, d->request_p99_ms, d->request_ms);
    if (val[DY_SLO] != NULL && val[DY_RATE] == NULL)
        return DY_AT(c, val[DY_SLO],
                     "%s '%s': latency_slo_ms is the p99 of its requests: expected "
                     "requests_per_s and gpu_ms_per_request with it",
                     c->item, d->name);
    if (val[DY_SLO] != NULL &&
        dy_number(c, val[DY_SLO], "latency_slo_ms", DEMAND_MAX_SLO_MS,
                  "milliseconds above 0 and at most 10000000", &d->slo_ms) < 0)
        return -1;
    return 0;
}

static int dy_isolation(struct demand_yaml *c, const yaml_node_t *v, enum demand_isolation *iso)
{
    if (dy_scalar_is(v, "none"))
        *iso = ISO_NONE;
    else if (dy_scalar_is(v, "soft"))
        *iso = ISO_SOFT;
    else if (dy_scalar_is(v, "hard"))
        *iso = ISO_HARD;
    else
        return dy_expected(c, v, "isolation", "none, soft or hard");
    return 0;
}

/* One list item of `workloads` or `models`. */
static int dy_model(struct demand_yaml *c, const yaml_node_t *m, size_t index)
{
    const yaml_node_t *val[DY_NKEYS] = {0};
    struct demand d;
    struct demand_quote q;
    unsigned long replicas = 1;
    char what[48], each[64];
    long first;

    if (m->type != YAML_MAPPING_NODE) {
        char got[64];

        return DY_AT(c, m, "%s: each %s is a mapping with name and memory_gib, got %s", c->list_key,
                     c->item, dy_got(m, &q, got, sizeof(got)));
    }
    str_printf(what, sizeof(what), "a %s", c->item);
    if (dy_keys(c, m, dy_model_keys, DY_NKEYS, what, DY_MODEL_EXPECTED, val, NULL) < 0)
        return -1;

    demand_defaults(&d);
    if (val[DY_NAME] == NULL)
        return DY_AT(c, m, "%s %zu has no 'name'", c->item, index + 1);
    if (dy_name(c, val[DY_NAME], "name", d.name) < 0)
        return -1;
    d.line = (unsigned)val[DY_NAME]->start_mark.line + 1;
    if (val[DY_MEM] == NULL)
        return DY_AT(c, m, "%s '%s' has no 'memory_gib'", c->item, d.name);
    if (dy_number(c, val[DY_MEM], "memory_gib", DEMAND_MAX_MEM_GIB,
                  "a positive number (GiB, at most 65536)", &d.mem_gib) < 0 ||
        dy_compute(c, val, &d) < 0)
        return -1;
    if (val[DY_TENANT] != NULL && dy_name(c, val[DY_TENANT], "tenant", d.tenant) < 0)
        return -1;
    if (val[DY_ISOLATION] != NULL && dy_isolation(c, val[DY_ISOLATION], &d.isolation) < 0)
        return -1;
    str_printf(each, sizeof(each), "a whole number from 1 to %lu", demand_max_each(c->set));
    if (val[DY_REPLICAS] != NULL &&
        dy_count(c, val[DY_REPLICAS], "replicas", demand_max_each(c->set), each, &replicas) < 0)
        return -1;
    d.replicas = (unsigned)replicas;

    switch (demand_add(c->set, &d)) {
    case DEMAND_ADDED:
        return 0;
    case DEMAND_DUPLICATE:
        first = demand_find(c->set, d.name);
        return DY_AT(c, val[DY_NAME], "duplicate %s name '%s' (first at line %u)", c->item, d.name,
                     c->set->d[first].line);
    case DEMAND_TOO_MANY:
        return DY_AT(c, m, "too many %ss: at most %zu", c->item, demand_max_count(c->set));
    case DEMAND_TOO_MANY_REPLICAS:
        return DY_AT(c, val[DY_REPLICAS] != NULL ? val[DY_REPLICAS] : m,
                     "too many replicas in all: at most %zu", demand_max_total(c->set));
    }
    return 0;
}

static const char *const dy_gpu_keys[] = {"model", "count"};

/* One item of `gpus`. */
static int dy_gpu(struct demand_yaml *c, const yaml_node_t *g, size_t index)
{
    const yaml_node_t *val[2] = {0};
    struct demand_set *set = c->set;
    struct demand_gpu *out;
    struct demand_quote q;
    const struct mig_gpu *known;
    char got[64];

    if (g->type != YAML_MAPPING_NODE)
        return DY_AT(c, g, "gpus: each GPU is a mapping with model and count, got %s",
                     dy_got(g, &q, got, sizeof(got)));
    if (dy_keys(c, g, dy_gpu_keys, 2, "a GPU", "model or count", val, NULL) < 0)
        return -1;
    if (val[0] == NULL)
        return DY_AT(c, g, "GPU %zu has no 'model'", index + 1);
    if (set->n_gpus == PLAN_MAX_GPU_MODELS)
        return DY_AT(c, g, "too many GPU models: at most %d", PLAN_MAX_GPU_MODELS);
    out = &set->gpus[set->n_gpus];
    memset(out, 0, sizeof(*out));
    if (val[0]->type != YAML_SCALAR_NODE || dy_is_null(val[0]) ||
        !demand_span(out->model, sizeof(out->model), (const char *)val[0]->data.scalar.value,
                     val[0]->data.scalar.length) ||
        (known = mig_gpu_find(out->model)) == NULL)
        return dy_expected(c, val[0], "model",
                           "a catalog model such as A100-80GB or H100-80GB (gpushare mig "
                           "profiles lists them)");
    str_printf(out->model, sizeof(out->model), "%s", known->model);
    out->line = (unsigned)val[0]->start_mark.line + 1;
    for (size_t i = 0; i < set->n_gpus; i++)
        if (strcmp(set->gpus[i].model, out->model) == 0)
            return DY_AT(c, val[0], "duplicate GPU model '%s' (first at line %u): give one count",
                         out->model, set->gpus[i].line);
    out->count = 1;
    if (val[1] != NULL && dy_count(c, val[1], "count", PLAN_MAX_GPU_COUNT,
                                   "a whole number from 1 to 100000", &out->count) < 0)
        return -1;
    set->n_gpus++;
    return 0;
}

/* A non-empty list under key, each item through fn. */
static int dy_list(struct demand_yaml *c, const yaml_node_t *list, const char *key,
                   const char *item, int (*fn)(struct demand_yaml *, const yaml_node_t *, size_t))
{
    char what[64];

    str_printf(what, sizeof(what), "a list of %s", key);
    if (list->type != YAML_SEQUENCE_NODE)
        return dy_expected(c, list, key, what);
    if (list->data.sequence.items.top == list->data.sequence.items.start)
        return DY_AT(c, list, "%s: the list is empty: expected at least one %s", key, item);
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top;
         it++) {
        const yaml_node_t *m = yaml_document_get_node(c->doc, *it);

        if (m == NULL)
            return DY_AT(c, list, "an item of %s is missing", key);
        if (fn(c, m, (size_t)(it - list->data.sequence.items.start)) < 0)
            return -1;
    }
    return 0;
}

static const char *const dy_top_keys[] = {"gpus", "workloads", "models"};
#define DY_TOP_EXPECTED "gpus and workloads (or models)"

static int dy_document(struct demand_yaml *c)
{
    const yaml_node_t *root = yaml_document_get_root_node(c->doc);
    const yaml_node_t *val[3] = {0}, *key[3] = {0}, *list;
    struct demand_quote q;
    char got[64];

    if (root == NULL)
        return yamlr_at(c->err, c->name, 0, 0,
                        "empty document: expected a mapping with 'workloads' or 'models'");
    if (root->type != YAML_MAPPING_NODE)
        return DY_AT(c, root, "expected a mapping with 'workloads' or 'models', got %s",
                     dy_got(root, &q, got, sizeof(got)));
    if (dy_keys(c, root, dy_top_keys, 3, "the document", DY_TOP_EXPECTED, val, key) < 0)
        return -1;
    if (val[1] != NULL && val[2] != NULL)
        return DY_AT(c, dy_later(key[1], key[2]),
                     "workloads and models both given: expected one list (models is the older "
                     "name)");
    if (val[1] == NULL && val[2] == NULL)
        return DY_AT(c, root, "no 'workloads': expected a list of workloads under 'workloads'");
    c->set->workloads = val[1] != NULL;
    c->list_key = val[1] != NULL ? "workloads" : "models";
    c->item = val[1] != NULL ? "workload" : "model";
    list = val[1] != NULL ? val[1] : val[2];
    if (val[0] != NULL && dy_list(c, val[0], "gpus", "GPU", dy_gpu) < 0)
        return -1;
    return dy_list(c, list, c->list_key, c->item, dy_model);
}

int demand_load_yaml_buf(struct error *err, const char *buf, size_t len, const char *name,
                         struct demand_set *set)
{
    struct yamlr r;
    struct demand_yaml c = {.err = err, .doc = &r.doc, .name = name, .set = set};
    int rv;

    demand_set_begin(set, false);
    if (yamlr_load(&r, err, buf, len, name) < 0) {
        demand_set_release(set);
        return -1;
    }
    rv = dy_document(&c);
    if (rv < 0)
        demand_set_release(set);
    yamlr_done(&r);
    return rv;
}

int demand_load_yaml(struct error *err, const char *path, struct demand_set *set)
{
    size_t plen = strlen(path), len = 0;
    char name[72], *buf = NULL;
    int rv;

    demand_set_begin(set, false);
    // The file's end says more than its start: "...dir/plan.yaml".
    str_printf(name, sizeof(name), "%s%s", plen > 60 ? "..." : "",
               plen > 60 ? path + plen - 57 : path);
    if (io_read_file(err, path, name, DEMAND_MAX_FILE_BYTES, "a plan or demands file", &buf, &len) <
        0)
        return -1;
    rv = demand_load_yaml_buf(err, buf, len, path, set);
    free(buf);
    return rv;
}
