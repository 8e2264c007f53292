/*
 * Unit tests for emit/migparted: every maximal layout of every catalog GPU (and their
 * sub-layouts) goes to YAML and back unchanged, and the YAML is re-read here with libyaml's
 * event API to check the scalar styles a YAML 1.1 reader depends on; the parser's refusals
 * and acceptances follow mig-parted's rules (k8s-mig-facts.md section 2.1), NVIDIA's own
 * example config included; config names; the nvidia-smi script, checked by bash -n and
 * shellcheck where it is installed.
 */
#include "emit/migparted.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <yaml.h>

#include "check.h"
#include "core/error.h"
#include "mig/catalog.h"
#include "mig_check.h"
#include "mig/geometry.h"
#include "mig/profile.h"

/* A layout from its list, placed; fails the test if it does not fit. */
static void placed(const char *model, const char *list, struct mig_layout *l)
{
    struct error err = {0};
    char why[256];

    if (mig_layout_parse(&err, catalog_gpu(model), list, l) < 0)
        fail_msg("%s '%s': %s", model, list, err.msg);
    if (!mig_check_layout(l, why, sizeof(why)))
        fail_msg("%s '%s' does not fit: %s", model, list, why);
}

/* git's message style: lowercase after the "file:line:column: " prefix, no full stop. */
static void check_style(const char *msg, const char *ctx)
{
    size_t len = strlen(msg);

    if (len == 0 || msg[len - 1] == '.' || isupper((unsigned char)msg[0]))
        fail_msg("%s: message '%s' not in git style", ctx, msg);
}

/* ---- A second reader: libyaml's event API, for the styles a YAML 1.1 reader sees ------- */

/* Would a YAML 1.1 reader (go-yaml v2, PyYAML) resolve this plain scalar to something other
 * than a string: a bool, a null, or a number (decimal, 0x, 0o, 0b, sexagesimal, float)? A
 * deliberately wide net: anything made only of digits, signs and number letters counts. */
static bool yaml11_not_string(const char *s)
{
    static const char *const words[] = {
        "",    "~",    "null",  "y",    "n",     "yes",   "no",   "on",
        "off", "true", "false", ".inf", "-.inf", "+.inf", ".nan",
    };
    char low[64];
    size_t i;

    for (i = 0; s[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    for (size_t k = 0; k < COUNT(words); k++)
        if (strcmp(low, words[k]) == 0)
            return true;
    if (!isdigit((unsigned char)s[0]) && !(strchr("+-.", s[0]) && isdigit((unsigned char)s[1])))
        return false;
    return strspn(low, "0123456789abcdefxo_.:+-") == strlen(low);
}

/* What the event walk saw. */
struct seen {
    int docs, version, enabled, devices, configs;
    size_t n_filters, n_counts;
    char filters[8][32];
    struct {
        char profile[64];
        unsigned long count;
    } counts[MIG_MAX_PROFILES + 1];
};

/* Where a scalar is: the key it is the value of (or inside a list that is), or a key. */
struct frame {
    bool map;       /* else a sequence */
    bool want_key;  /* a map whose next scalar is a key */
    char key[64];   /* the map's current key, or the key the sequence is the value of */
    char outer[64]; /* the key the map is the value of */
};

static void seen_scalar(struct seen *sn, const struct frame *f, const yaml_event_t *ev,
                        const char *name, const char *ctx)
{
    const char *v = (const char *)ev->data.scalar.value;
    yaml_scalar_style_t style = ev->data.scalar.style;
    bool plain = style == YAML_PLAIN_SCALAR_STYLE;

    if (ev->data.scalar.tag != NULL || ev->data.scalar.anchor != NULL)
        fail_msg("%s: scalar '%s' has a tag or an anchor", ctx, v);
    if (f->map && f->want_key) {
        // Every key is a string to a YAML 1.1 reader: plain where that reads it as one,
        // quoted where it would not (a config named "0x10" or "y").
        if (plain == yaml11_not_string(v))
            fail_msg("%s: key '%s' %s quoted", ctx, v, plain ? "is not" : "is needlessly");
        if (strcmp(f->outer, "mig-configs") == 0 && strcmp(v, name) != 0)
            fail_msg("%s: config named '%s', want '%s'", ctx, v, name);
        sn->configs += strcmp(f->outer, "mig-configs") == 0;
        return;
    }
    if (strcmp(f->key, "device-filter") == 0) {
        // 0x233010DE plain would be an integer to YAML 1.1: it must be double-quoted.
        if (style != YAML_DOUBLE_QUOTED_SCALAR_STYLE)
            fail_msg("%s: device-filter '%s' is not double-quoted", ctx, v);
        if (sn->n_filters == COUNT(sn->filters))
            fail_msg("%s: too many device-filter values", ctx);
        snprintf(sn->filters[sn->n_filters++], sizeof(sn->filters[0]), "%s", v);
    } else if (strcmp(f->key, "version") == 0) {
        if (!plain || strcmp(v, "v1") != 0)
            fail_msg("%s: version '%s' (style %d), want plain v1", ctx, v, (int)style);
        sn->version++;
    } else if (strcmp(f->key, "mig-enabled") == 0) {
        if (!plain || strcmp(v, "true") != 0)
            fail_msg("%s: mig-enabled '%s' (style %d), want plain true", ctx, v, (int)style);
        sn->enabled++;
    } else if (strcmp(f->key, "devices") == 0) {
        if (!plain || strcmp(v, "all") != 0)
            fail_msg("%s: devices '%s' (style %d), want plain all", ctx, v, (int)style);
        sn->devices++;
    } else if (strcmp(f->outer, "mig-devices") == 0) {
        // A plain decimal integer: digits, no sign, no leading zero.
        if (!plain || v[0] < '1' || v[0] > '9' || strspn(v, "0123456789") != strlen(v))
            fail_msg("%s: count '%s' for '%s' is not a plain integer", ctx, v, f->key);
        if (sn->n_counts == COUNT(sn->counts))
            fail_msg("%s: too many mig-devices", ctx);
        snprintf(sn->counts[sn->n_counts].profile, sizeof(sn->counts[0].profile), "%s", f->key);
        sn->counts[sn->n_counts++].count = strtoul(v, NULL, 10);
    } else {
        fail_msg("%s: unexpected value '%s' under '%s'", ctx, v, f->key);
    }
}

/* Walks y's events; fails on anything that is not the plain shape migparted_yaml promises. */
static void walk_events(const char *y, const char *name, struct seen *sn, const char *ctx)
{
    struct frame st[16];
    int depth = 0;
    yaml_parser_t p;
    yaml_event_t ev;
    bool done = false;

    memset(sn, 0, sizeof(*sn));
    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)y, strlen(y));
    while (!done) {
        struct frame *top = depth > 0 ? &st[depth - 1] : NULL;
        char key[64] = "";

        if (!yaml_parser_parse(&p, &ev))
            fail_msg("%s: libyaml events: %s at line %lu", ctx, p.problem,
                     (unsigned long)p.problem_mark.line + 1);
        if (top != NULL)
            snprintf(key, sizeof(key), "%s", top->key);
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            sn->docs++;
            if (ev.data.document_start.version_directive != NULL)
                fail_msg("%s: a %%YAML directive", ctx);
            break;
        case YAML_ALIAS_EVENT:
            fail_msg("%s: an alias", ctx);
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == (int)COUNT(st))
                fail_msg("%s: nested too deep", ctx);
            st[depth] =
                (struct frame){.map = ev.type == YAML_MAPPING_START_EVENT, .want_key = true};
            // A map's values are named by its own keys; a list's items by the key above it.
            if (ev.type == YAML_MAPPING_START_EVENT)
                snprintf(st[depth].outer, sizeof(st[depth].outer), "%s", key);
            else
                snprintf(st[depth].key, sizeof(st[depth].key), "%s", key);
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            if (depth > 0 && st[depth - 1].map)
                st[depth - 1].want_key = true;
            break;
        case YAML_SCALAR_EVENT:
            if (top == NULL)
                fail_msg("%s: a scalar at the top level", ctx);
            seen_scalar(sn, top, &ev, name, ctx);
            if (top->map && top->want_key)
                snprintf(top->key, sizeof(top->key), "%s", (const char *)ev.data.scalar.value);
            if (top->map)
                top->want_key = !top->want_key;
            break;
        default:
            break;
        }
        // A collection that ends as a value hands its map back to key position (above); one
        // that starts as a value takes it out of key position.
        if ((ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) &&
            depth > 1 && st[depth - 2].map)
            st[depth - 2].want_key = false;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
}

/* ---- Round trip ------------------------------------------------------------------------ */

/* The GPU's device-filter list, split on '|'. */
static size_t split_filters(const char *ids, char out[8][32])
{
    size_t n = 0;

    while (*ids != '\0' && n < 8) {
        size_t k = strcspn(ids, "|");

        snprintf(out[n++], sizeof(out[0]), "%.*s", (int)k, ids);
        ids += k + (ids[k] == '|');
    }
    return n;
}

/* yaml -> parse -> the same layout; and the event walk agrees. */
static void round_trip(const struct mig_layout *l, const char *name)
{
    const struct mig_gpu *g = l->gpu;
    struct migparted_entry e[3];
    struct error err = {0};
    unsigned want[MIG_MAX_PROFILES] = {0}, got[MIG_MAX_PROFILES] = {0};
    char ctx[400], layout[256], ids[8][32];
    size_t n = 99, n_ids = split_filters(g->device_filter, ids), n_want = 0;
    struct seen sn;
    char *y;

    mig_layout_name(l, layout, sizeof(layout));
    snprintf(ctx, sizeof(ctx), "%s '%s' as '%s'", g->model, layout, name);
    y = migparted_yaml(&err, l, name);
    if (y == NULL)
        fail_msg("%s: migparted_yaml: %s", ctx, err.msg);
    if (migparted_parse(&err, y, strlen(y), "rt.yaml", name, e, COUNT(e), &n) < 0)
        fail_msg("%s: parse: %s\n%s", ctx, err.msg, y);
    if (n != 1 || !e[0].mig_enabled || !e[0].all_devices || e[0].n_devices != 0)
        fail_msg("%s: %zu entries, enabled %d, all %d\n%s", ctx, n, e[0].mig_enabled,
                 e[0].all_devices, y);
    if (e[0].n_filters != n_ids)
        fail_msg("%s: %zu device filters, want %zu\n%s", ctx, e[0].n_filters, n_ids, y);
    for (size_t i = 0; i < n_ids; i++)
        if (strcmp(e[0].device_filter[i], ids[i]) != 0)
            fail_msg("%s: filter %zu '%s', want '%s'", ctx, i, e[0].device_filter[i], ids[i]);
    for (size_t i = 0; i < l->n; i++)
        n_want += want[l->prof[i]]++ == 0;
    if (e[0].n_mig_devices != n_want)
        fail_msg("%s: %zu profiles read back, want %zu\n%s", ctx, e[0].n_mig_devices, n_want, y);
    for (size_t i = 0; i < e[0].n_mig_devices; i++) {
        unsigned k;

        if (mig_profile_find(g, e[0].mig_devices[i].profile, &k) == NULL || got[k] != 0)
            fail_msg("%s: profile '%s' unknown or repeated\n%s", ctx, e[0].mig_devices[i].profile,
                     y);
        got[k] = e[0].mig_devices[i].count;
    }
    if (memcmp(got, want, sizeof(got)) != 0)
        fail_msg("%s: the counts read back differ\n%s", ctx, y);

    walk_events(y, name, &sn, ctx);
    if (sn.docs != 1 || sn.version != 1 || sn.configs != 1 || sn.enabled != 1 || sn.devices != 1 ||
        sn.n_filters != n_ids || sn.n_counts != n_want)
        fail_msg("%s: events: %d docs, %d version, %d configs, %d enabled, %d devices, %zu "
                 "filters, %zu counts\n%s",
                 ctx, sn.docs, sn.version, sn.configs, sn.enabled, sn.devices, sn.n_filters,
                 sn.n_counts, y);
    for (size_t i = 0; i < n_ids; i++)
        if (strcmp(sn.filters[i], ids[i]) != 0)
            fail_msg("%s: events: filter '%s', want '%s'", ctx, sn.filters[i], ids[i]);
    memset(got, 0, sizeof(got));
    for (size_t i = 0; i < sn.n_counts; i++) {
        unsigned k;

        if (mig_profile_find(g, sn.counts[i].profile, &k) == NULL)
            fail_msg("%s: events: profile '%s' unknown", ctx, sn.counts[i].profile);
        got[k] = (unsigned)sn.counts[i].count;
    }
    if (memcmp(got, want, sizeof(got)) != 0)
        fail_msg("%s: events: the counts differ\n%s", ctx, y);
    free(y);
}

struct trip {
    size_t maximal, sub;
};

/* A maximal layout, under its default name and a fixed one, and every layout one instance
 * short of it (not maximal, still valid: a subset of a placement is a placement). */
static void trip_one(const struct mig_layout *l, void *arg)
{
    struct trip *t = arg;
    char name[MIGPARTED_NAME_MAX + 1];

    migparted_default_name(l, name, sizeof(name));
    round_trip(l, name);
    round_trip(l, "x");
    t->maximal++;
    for (size_t drop = 0; drop < l->n; drop++) {
        struct mig_layout s = {.gpu = l->gpu};

        for (size_t i = 0; i < l->n; i++)
            if (i != drop) {
                s.prof[s.n] = l->prof[i];
                s.start[s.n++] = l->start[i];
            }
        migparted_default_name(&s, name, sizeof(name));
        round_trip(&s, name);
        t->sub++;
    }
}

static void test_round_trip_catalog(void **state)
{
    size_t n_gpus;
    const struct mig_gpu *all = mig_catalog(&n_gpus);
    struct trip t = {0};

    (void)state;
    assert_true(n_gpus >= 10);
    for (size_t i = 0; i < n_gpus; i++) {
        size_t before = t.maximal, count = mig_enumerate_maximal(&all[i], trip_one, &t);

        if (count == 0 || t.maximal - before != count)
            fail_msg("%s: %zu maximal layouts, %zu round trips", all[i].model, count,
                     t.maximal - before);
    }
    print_message("round trip: %zu maximal layouts, %zu sub-layouts\n", t.maximal, t.sub);
}

/* Hand-picked layouts, names at the edges of the label rules, and the empty layout. */
static void test_round_trip_table(void **state)
{
    static const struct {
        const char *model, *list, *name;
    } cases[] = {
        {"H100-80GB", "3g.40gb,2g.20gb,1g.10gb:2", "all-balanced"},
        {"H100-80GB", "1g.10gb+me", "a"},
        {"H100-80GB", "4g.40gb,1g.20gb", "gpu_0.a-b"},
        {"A30-24GB", "2g.12gb+me,1g.6gb:2", "A30_mixed.1"},
        {"A100-40GB", "1g.5gb+me,1g.5gb:6", "gpushare-1g.5gb.me-1g.5gbx6"},
        {"GH200-96GB", "3g.48gb,1g.12gb+me", "unknown-ids"},
        {"B200-180GB", "7g.180gb", "b200"},
        // The longest name: the comment above the document repeats it twice.
        {"GB200-186GB", "1g.23gb",
         "n23456789-123456789-123456789-123456789-123456789-123456789-123"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct mig_layout l;

        placed(cases[i].model, cases[i].list, &l);
        round_trip(&l, cases[i].name);
    }
}

/* Config names a YAML 1.1 reader would not read back as strings if written plain: mig-parted
 * (sigs.k8s.io/yaml over go-yaml v2) would turn "0x10" into the key "16" and "y" into "true".
 * They must be quoted, and still read back. */
static void test_round_trip_numeric_names(void **state)
{
    static const char *const names[] = {
        "0",   "7", "010", "0x1F", "0o17", "0b101", "1e3", "1.5",  "1_000", "2024-01-02",
        "1-2", "y", "N",   "yes",  "No",   "on",    "OFF", "true", "False", "null",
    };
    struct mig_layout l;

    (void)state;
    placed("H100-80GB", "4g.40gb,3g.40gb", &l);
    for (size_t i = 0; i < COUNT(names); i++) {
        if (!yaml11_not_string(names[i]))
            fail_msg("'%s' should count as a non-string", names[i]);
        round_trip(&l, names[i]);
    }
}

/* No instances: mig-devices {} ("enabled, no instances"), which mig-parted accepts. */
static void test_round_trip_empty(void **state)
{
    struct mig_layout l = {.gpu = mig_gpu_find("H100-80GB"), .n = 0};
    struct migparted_entry e[1];
    struct error err = {0};
    size_t n = 0;
    char *y;

    (void)state;
    round_trip(&l, "empty");
    y = migparted_yaml(&err, &l, "empty");
    assert_non_null(y);
    assert_int_equal(migparted_parse(&err, y, strlen(y), "e.yaml", "empty", e, 1, &n), 0);
    assert_int_equal(n, 1);
    assert_true(e[0].mig_enabled);
    assert_int_equal(e[0].n_mig_devices, 0);
    free(y);
}

/* A name that is not a label value is refused before anything is written. */
static void test_yaml_refuses_bad_name(void **state)
{
    static const char *const names[] = {"", "-a", "a b", "a\nversion: v2", "a:b"};
    struct mig_layout l;

    (void)state;
    placed("H100-80GB", "7g.80gb", &l);
    for (size_t i = 0; i < COUNT(names); i++) {
        struct error err = {0};
        char *y = migparted_yaml(&err, &l, names[i]);

        if (y != NULL || err.code != ERR_USAGE)
            fail_msg("case %zu: name '%s' not refused (code %d)", i, names[i], err.code);
    }
}

/* ---- Parser: refusals ------------------------------------------------------------------ */

/* Lines 1-4 of a valid config with one config "a", to be continued by the entry's fields. */
#define HEAD "version: v1\nmig-configs:\n  a:\n    - devices: all\n"

static void test_parse_refusals(void **state)
{
    static const struct {
        const char *what, *yaml, *name;
        unsigned line;
        const char *msg; /* a part of the message after "bad.yaml:N:C: " */
    } cases[] = {
        {"version missing", "mig-configs:\n  a:\n    - devices: all\n      mig-enabled: false\n",
         "a", 1, "version: expected v1"},
        {"version v2",
         "version: v2\nmig-configs:\n  a:\n    - devices: all\n      mig-enabled: "
         "false\n",
         "a", 1, "version: expected v1"},
        {"version a number", "version: 1\nmig-configs: {}\n", "a", 1, "version: expected v1"},
        {"version a list", "version: [v1]\nmig-configs: {}\n", "a", 1, "version: expected v1"},
        {"unknown top-level key", HEAD "      mig-enabled: false\nflags: {}\n", "a", 6,
         "unexpected field 'flags'"},
        {"mig-configs a list", "version: v1\nmig-configs:\n  - a\n", "a", 1,
         "mig-configs: expected a map"},
        {"mig-configs missing", "version: v1\n", "a", 1, "mig-configs: expected a map"},
        {"named config missing", HEAD "      mig-enabled: false\n", "b", 3, "no config named 'b'"},
        {"empty entry list", "version: v1\nmig-configs:\n  a: []\n", "a", 3,
         "a config is a non-empty list"},
        {"null entry list", "version: v1\nmig-configs:\n  a:\n", "a", 3,
         "a config is a non-empty list"},
        {"entry not a map", "version: v1\nmig-configs:\n  a:\n    - all\n", "a", 4,
         "expected a map with devices"},
        {"no devices", "version: v1\nmig-configs:\n  a:\n    - mig-enabled: false\n", "a", 4,
         "an entry needs devices and mig-enabled"},
        {"no mig-enabled", HEAD "      mig-devices: {}\n", "a", 4,
         "an entry needs devices and mig-enabled"},
        {"devices a string",
         "version: v1\nmig-configs:\n  a:\n    - devices: some\n"
         "      mig-enabled: false\n",
         "a", 4, "devices: expected 'all' or a list of GPU indexes"},
        {"devices All",
         "version: v1\nmig-configs:\n  a:\n    - devices: All\n"
         "      mig-enabled: false\n",
         "a", 4, "devices: expected 'all'"},
        {"devices a map",
         "version: v1\nmig-configs:\n  a:\n    - devices: {0: 1}\n"
         "      mig-enabled: false\n",
         "a", 4, "devices: expected 'all'"},
        {"devices a non-integer",
         "version: v1\nmig-configs:\n  a:\n    - devices: [0, x]\n"
         "      mig-enabled: false\n",
         "a", 4, "devices: 'x' is not a GPU index"},
        {"devices a negative",
         "version: v1\nmig-configs:\n  a:\n    - devices: [-1]\n"
         "      mig-enabled: false\n",
         "a", 4, "devices: '-1' is not a GPU index"},
        {"devices a nested list",
         "version: v1\nmig-configs:\n  a:\n    - devices: [[0]]\n"
         "      mig-enabled: false\n",
         "a", 4, "devices: expected 'all' or a list of GPU indexes"},
        {"devices 17 indexes",
         "version: v1\nmig-configs:\n  a:\n"
         "    - devices: [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n      mig-enabled: false\n",
         "a", 4, "devices: more than 16 GPU indexes"},
        {"mig-enabled yes", HEAD "      mig-enabled: yes\n", "a", 5,
         "mig-enabled: expected true or false"},
        {"mig-enabled 1", HEAD "      mig-enabled: 1\n", "a", 5,
         "mig-enabled: expected true or false"},
        {"mig-enabled a list", HEAD "      mig-enabled: [true]\n", "a", 5,
         "mig-enabled: expected true or false"},
        {"enabled without mig-devices", HEAD "      mig-enabled: true\n", "a", 4,
         "mig-enabled is true but mig-devices is missing"},
        {"disabled with mig-devices",
         HEAD "      mig-enabled: false\n      mig-devices:\n"
              "        1g.10gb: 1\n",
         "a", 4, "mig-enabled is false but mig-devices is not empty"},
        {"mig-devices a list", HEAD "      mig-enabled: true\n      mig-devices: [1g.10gb]\n", "a",
         6, "mig-devices: expected a map of profile to count"},
        {"negative count",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb: 1\n        2g.20gb: -1\n",
         "a", 8, "mig-devices: 2g.20gb: expected a count >= 0"},
        {"fractional count",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb: 1.5\n",
         "a", 7, "expected a count >= 0"},
        {"count a word",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb: two\n",
         "a", 7, "expected a count >= 0"},
        {"all counts zero",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb: 0\n        2g.20gb: 0\n",
         "a", 7, "all counts for all MIG profiles are 0"},
        {"profile 1x.10gb",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1x.10gb: 1\n",
         "a", 7, "mig-devices: '1x.10gb' is not a MIG profile name"},
        {"profile 1g.10GB",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10GB: 1\n",
         "a", 7, "'1g.10GB' is not a MIG profile name"},
        {"profile +me-x",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb+me-x: 1\n",
         "a", 7, "is not a MIG profile name"},
        {"unknown entry field", HEAD "      mig-enabled: false\n      mig-devicez: {}\n", "a", 6,
         "unexpected field 'mig-devicez'"},
        {"device-filter a map", HEAD "      mig-enabled: false\n      device-filter: {a: b}\n", "a",
         6, "device-filter: expected a string or a list of strings"},
        {"device-filter with a subsystem ID",
         HEAD "      mig-enabled: false\n      device-filter: \"0x233010DE:0x16A110DE\"\n", "a", 6,
         "device-filter: '0x233010DE:0x16A110DE' is longer than 15 characters"},
        {"five device filters",
         HEAD
         "      mig-enabled: false\n      device-filter: [\"1\", \"2\", \"3\", \"4\", \"5\"]\n",
         "a", 6, "device-filter: more than 4 PCI device IDs"},
        {"device-filter a nested list",
         HEAD "      mig-enabled: false\n      device-filter: [[a]]\n", "a", 6,
         "device-filter: expected a string or a list of strings"},
        {"profile too long to keep",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb+abcdefghijklmnopqrstuvwx: 1\n",
         "a", 7, "'1g.10gb+abcdefghijklmnopqrstuvwx' is longer than 31 characters"},
        {"second entry bad", HEAD "      mig-enabled: false\n    - devices: all\n", "a", 6,
         "an entry needs devices and mig-enabled"},
        {"bad indentation", HEAD "     mig-enabled: false\n", "a", 5, "expected"},
        {"tab indentation", "version: v1\nmig-configs:\n\ta: []\n", "a", 3,
         "found character that cannot start any token"},
        {"unclosed flow", "version: v1\nmig-configs: {a: [\n", "a", 3, "did not find expected"},
        {"not a map", "just text\n", "a", 1, "expected a map with version and mig-configs"},
        {"empty input", "", "a", 1, "expected a map with version and mig-configs"},
        {"comment only", "# nothing\n", "a", 1, "expected a map with version and mig-configs"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct migparted_entry e[2];
        struct error err = {0};
        char prefix[64];
        size_t n = 12345;
        int rc = migparted_parse(&err, cases[i].yaml, strlen(cases[i].yaml), "bad.yaml",
                                 cases[i].name, e, COUNT(e), &n);

        if (rc != -1 || err.code != ERR_INVALID)
            fail_msg("case %zu (%s): rc %d code %d, want a refusal", i, cases[i].what, rc,
                     err.code);
        snprintf(prefix, sizeof(prefix), "bad.yaml:%u:", cases[i].line);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu (%s): message \"%s\", want \"%s...%s\"", i, cases[i].what, err.msg,
                     prefix, cases[i].msg);
        check_style(strstr(err.msg + strlen(prefix), ": ") + 2, cases[i].what);
        if (n != 0)
            fail_msg("case %zu (%s): *n = %zu after a refusal", i, cases[i].what, n);
    }
}

/* More entries than the caller has room for. */
static void test_parse_max(void **state)
{
    static const char y[] = HEAD "      mig-enabled: false\n"
                                 "    - devices: [1]\n      mig-enabled: false\n";
    struct migparted_entry e[2];
    struct error err = {0};
    size_t n = 7;

    (void)state;
    assert_int_equal(migparted_parse(&err, y, strlen(y), "m.yaml", "a", e, 1, &n), -1);
    assert_int_equal(err.code, ERR_INVALID);
    assert_string_equal(err.msg, "m.yaml:4:5: more than 1 entries");
    assert_int_equal(n, 0);
    assert_int_equal(migparted_parse(&err, y, strlen(y), "m.yaml", "a", e, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_false(e[1].all_devices);
    assert_int_equal(e[1].n_devices, 1);
    assert_int_equal(e[1].devices[0], 1);
}

/* ---- Parser: acceptances --------------------------------------------------------------- */

/* NVIDIA/mig-parted examples/config.yaml, verbatim (k8s-mig-facts.md section 2.1). */
static const char nvidia_example[] = "version: v1\n"
                                     "mig-configs:\n"
                                     "  all-disabled:\n"
                                     "    - devices: all\n"
                                     "      mig-enabled: false\n"
                                     "\n"
                                     "  all-enabled:\n"
                                     "    - devices: all\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices: {}\n"
                                     "\n"
                                     "  all-1g.5gb:\n"
                                     "    - devices: all\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"1g.5gb\": 7\n"
                                     "\n"
                                     "  all-2g.10gb:\n"
                                     "    - devices: all\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"2g.10gb\": 3\n"
                                     "\n"
                                     "  all-3g.20gb:\n"
                                     "    - devices: all\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"3g.20gb\": 2\n"
                                     "\n"
                                     "  all-balanced:\n"
                                     "    - devices: all\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"1g.5gb\": 2\n"
                                     "        \"2g.10gb\": 1\n"
                                     "        \"3g.20gb\": 1\n"
                                     "\n"
                                     "  custom-config:\n"
                                     "    - devices: [0,1,2,3]\n"
                                     "      mig-enabled: false\n"
                                     "    - devices: [4]\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"1g.5gb\": 7\n"
                                     "    - devices: [5]\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"2g.10gb\": 3\n"
                                     "    - devices: [6]\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"3g.20gb\": 2\n"
                                     "    - devices: [7]\n"
                                     "      mig-enabled: true\n"
                                     "      mig-devices:\n"
                                     "        \"1g.5gb\": 2\n"
                                     "        \"2g.10gb\": 1\n"
                                     "        \"3g.20gb\": 1\n";

/* One expected entry: devices ("all" or indexes, comma-separated), mig-enabled, the
 * mig-devices as "profile=count" comma-separated, the device filters '|'-separated. */
struct want_entry {
    const char *devices;
    bool enabled;
    const char *mig;
    const char *filters;
};

static void check_entry(const struct migparted_entry *e, const struct want_entry *w,
                        const char *ctx)
{
    char got[512] = "", buf[64];

    if (strcmp(w->devices, "all") == 0) {
        if (!e->all_devices || e->n_devices != 0)
            fail_msg("%s: devices not 'all'", ctx);
    } else {
        if (e->all_devices)
            fail_msg("%s: devices 'all', want [%s]", ctx, w->devices);
        for (size_t i = 0; i < e->n_devices; i++) {
            snprintf(buf, sizeof(buf), "%s%u", i ? "," : "", e->devices[i]);
            strncat(got, buf, sizeof(got) - strlen(got) - 1);
        }
        if (strcmp(got, w->devices) != 0)
            fail_msg("%s: devices [%s], want [%s]", ctx, got, w->devices);
    }
    if (e->mig_enabled != w->enabled)
        fail_msg("%s: mig-enabled %d, want %d", ctx, e->mig_enabled, w->enabled);
    got[0] = '\0';
    for (size_t i = 0; i < e->n_mig_devices; i++) {
        snprintf(buf, sizeof(buf), "%s%s=%u", i ? "," : "", e->mig_devices[i].profile,
                 e->mig_devices[i].count);
        strncat(got, buf, sizeof(got) - strlen(got) - 1);
    }
    if (strcmp(got, w->mig) != 0)
        fail_msg("%s: mig-devices '%s', want '%s'", ctx, got, w->mig);
    got[0] = '\0';
    for (size_t i = 0; i < e->n_filters; i++) {
        snprintf(buf, sizeof(buf), "%s%s", i ? "|" : "", e->device_filter[i]);
        strncat(got, buf, sizeof(got) - strlen(got) - 1);
    }
    if (strcmp(got, w->filters) != 0)
        fail_msg("%s: device-filter '%s', want '%s'", ctx, got, w->filters);
}

static void test_parse_nvidia_example(void **state)
{
    static const struct {
        const char *name;
        size_t n;
        struct want_entry e[5];
    } cases[] = {
        {"all-disabled", 1, {{"all", false, "", ""}}},
        {"all-enabled", 1, {{"all", true, "", ""}}},
        {"all-1g.5gb", 1, {{"all", true, "1g.5gb=7", ""}}},
        {"all-2g.10gb", 1, {{"all", true, "2g.10gb=3", ""}}},
        {"all-3g.20gb", 1, {{"all", true, "3g.20gb=2", ""}}},
        {"all-balanced", 1, {{"all", true, "1g.5gb=2,2g.10gb=1,3g.20gb=1", ""}}},
        {"custom-config",
         5,
         {{"0,1,2,3", false, "", ""},
          {"4", true, "1g.5gb=7", ""},
          {"5", true, "2g.10gb=3", ""},
          {"6", true, "3g.20gb=2", ""},
          {"7", true, "1g.5gb=2,2g.10gb=1,3g.20gb=1", ""}}},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct migparted_entry e[8];
        struct error err = {0};
        size_t n = 0;
        char ctx[96];

        if (migparted_parse(&err, nvidia_example, strlen(nvidia_example), "config.yaml",
                            cases[i].name, e, COUNT(e), &n) < 0)
            fail_msg("'%s': %s", cases[i].name, err.msg);
        if (n != cases[i].n)
            fail_msg("'%s': %zu entries, want %zu", cases[i].name, n, cases[i].n);
        for (size_t k = 0; k < n; k++) {
            snprintf(ctx, sizeof(ctx), "'%s' entry %zu", cases[i].name, k);
            check_entry(&e[k], &cases[i].e[k], ctx);
        }
    }
}

static void test_parse_accepts(void **state)
{
    static const struct {
        const char *what, *yaml;
        struct want_entry e;
    } cases[] = {
        {"mig-devices {} when enabled",
         HEAD "      mig-enabled: true\n      mig-devices: {}\n",
         {"all", true, "", ""}},
        {"disabled, no mig-devices", HEAD "      mig-enabled: false\n", {"all", false, "", ""}},
        {"disabled, mig-devices {}",
         HEAD "      mig-enabled: false\n      mig-devices: {}\n",
         {"all", false, "", ""}},
        {"device-filter a string",
         "version: v1\nmig-configs:\n  a:\n    - device-filter: \"0x233010DE\"\n"
         "      devices: all\n      mig-enabled: false\n",
         {"all", false, "", "0x233010DE"}},
        {"device-filter a list",
         "version: v1\nmig-configs:\n  a:\n    - device-filter: [\"0x20B010DE\", \"0x20B110DE\"]\n"
         "      devices: all\n      mig-enabled: true\n      mig-devices:\n        1g.5gb: 7\n",
         {"all", true, "1g.5gb=7", "0x20B010DE|0x20B110DE"}},
        {"device-filter a block list",
         "version: v1\nmig-configs:\n  a:\n    - device-filter:\n        - \"0x233010DE\"\n"
         "        - \"0x233110DE\"\n      devices: all\n      mig-enabled: false\n",
         {"all", false, "", "0x233010DE|0x233110DE"}},
        {"device-filter an empty list",
         "version: v1\nmig-configs:\n  a:\n    - device-filter: []\n"
         "      devices: all\n      mig-enabled: false\n",
         {"all", false, "", ""}},
        {"devices a list",
         "version: v1\nmig-configs:\n  a:\n    - devices: [0, 1, 3]\n"
         "      mig-enabled: false\n",
         {"0,1,3", false, "", ""}},
        {"devices a block list",
         "version: v1\nmig-configs:\n  a:\n    - devices:\n"
         "        - 2\n        - 15\n      mig-enabled: false\n",
         {"2,15", false, "", ""}},
        {"a zero count beside others",
         HEAD "      mig-enabled: true\n      mig-devices:\n        1g.10gb: 0\n"
              "        3g.40gb: 2\n",
         {"all", true, "1g.10gb=0,3g.40gb=2", ""}},
        {"profile grammar: c, +me, +me.all, -me",
         HEAD "      mig-enabled: true\n      mig-devices:\n        1c.2g.20gb: 1\n"
              "        1g.10gb+me: 1\n        1g.24gb+me.all: 1\n        1g.24gb-me: 1\n",
         {"all", true, "1c.2g.20gb=1,1g.10gb+me=1,1g.24gb+me.all=1,1g.24gb-me=1", ""}},
        {"keys in any order, flow style",
         "{mig-configs: {a: [{mig-devices: {3g.40gb: 1}, mig-enabled: true, devices: all}]}, "
         "version: v1}",
         {"all", true, "3g.40gb=1", ""}},
        {"other configs beside it",
         "version: v1\nmig-configs:\n  b:\n    - devices: bogus\n  a:\n    - devices: all\n"
         "      mig-enabled: false\n",
         {"all", false, "", ""}},
        {"repeated keys: the last one counts",
         HEAD "      device-filter: \"0x1\"\n      devices: [1]\n      mig-enabled: true\n"
              "      mig-devices: {1g.10gb: 1}\n      device-filter: [\"0x2\", \"0x3\"]\n"
              "      mig-devices: {2g.20gb: 2}\n",
         {"1", true, "2g.20gb=2", "0x2|0x3"}},
        {"repeated devices: a list, then all",
         "version: v1\nmig-configs:\n  a:\n    - devices: [0, 1]\n      devices: all\n"
         "      mig-enabled: false\n",
         {"all", false, "", ""}},
        {"a profile of 31 characters",
         HEAD "      mig-enabled: true\n      mig-devices:\n"
              "        1g.10gb+abcdefghijklmnopqrstuvw: 1\n",
         {"all", true, "1g.10gb+abcdefghijklmnopqrstuvw=1", ""}},
        {"comments and a document marker",
         "# c\n---\nversion: v1 # c\nmig-configs:\n  a:\n  - devices: all\n"
         "    mig-enabled: false\n...\n",
         {"all", false, "", ""}},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct migparted_entry e[2];
        struct error err = {0};
        size_t n = 0;

        if (migparted_parse(&err, cases[i].yaml, strlen(cases[i].yaml), "ok.yaml", "a", e, COUNT(e),
                            &n) < 0)
            fail_msg("case %zu (%s): %s", i, cases[i].what, err.msg);
        if (n != 1)
            fail_msg("case %zu (%s): %zu entries", i, cases[i].what, n);
        check_entry(&e[0], &cases[i].e, cases[i].what);
    }
}

/* ---- Names ----------------------------------------------------------------------------- */

static void test_default_name_table(void **state)
{
    static const struct {
        const char *model, *list, *want;
    } cases[] = {
        {"H100-80GB", "3g.40gb,2g.20gb,1g.10gb:2", "gpushare-3g.40gb-2g.20gb-1g.10gbx2"},
        {"H100-80GB", "1g.10gb:2,2g.20gb,3g.40gb", "gpushare-3g.40gb-2g.20gb-1g.10gbx2"},
        {"H100-80GB", "7g.80gb", "gpushare-7g.80gb"},
        {"H100-80GB", "1g.10gb+me,1g.10gb:6", "gpushare-1g.10gb.me-1g.10gbx6"},
        {"H100-80GB", "4g.40gb,1g.20gb,1g.10gb", "gpushare-4g.40gb-1g.20gb-1g.10gb"},
        {"A30-24GB", "2g.12gb+me,1g.6gb:2", "gpushare-2g.12gb.me-1g.6gbx2"},
        {"A100-40GB", "1g.5gb:7", "gpushare-1g.5gbx7"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct mig_layout l;
        struct error err = {0};
        char name[MIGPARTED_NAME_MAX + 1];

        placed(cases[i].model, cases[i].list, &l);
        migparted_default_name(&l, name, sizeof(name));
        if (strcmp(name, cases[i].want) != 0)
            fail_msg("case %zu: '%s', want '%s'", i, name, cases[i].want);
        if (migparted_check_name(&err, name) < 0)
            fail_msg("case %zu: '%s' refused: %s", i, name, err.msg);
    }
}

struct longest {
    const struct mig_gpu *g;
    unsigned prof[MIG_MAX_INSTANCES];
    size_t layouts;
    char name[512];
};

/* Every multiset of up to MIG_MAX_INSTANCES instances, profiles nondecreasing from `from`;
 * the valid ones must get a name that is a label value and fits MIGPARTED_NAME_MAX. */
static void longest_from(struct longest *s, size_t n, unsigned from)
{
    struct mig_layout l = {.gpu = s->g, .n = n};
    struct error err = {0};
    char big[512], small[MIGPARTED_NAME_MAX + 1];

    memcpy(l.prof, s->prof, n * sizeof(s->prof[0]));
    if (!mig_check_layout(&l, NULL, 0))
        return; // nor does any superset fit
    s->layouts++;
    migparted_default_name(&l, big, sizeof(big));
    migparted_default_name(&l, small, sizeof(small));
    if (strlen(big) > MIGPARTED_NAME_MAX || strcmp(big, small) != 0)
        fail_msg("%s: default name '%s' (%zu characters) does not fit a label value", s->g->model,
                 big, strlen(big));
    if (migparted_check_name(&err, big) < 0)
        fail_msg("%s: default name '%s' refused: %s", s->g->model, big, err.msg);
    if (strlen(big) > strlen(s->name))
        snprintf(s->name, sizeof(s->name), "%s", big);
    if (n == MIG_MAX_INSTANCES)
        return;
    for (unsigned k = from; k < s->g->n_profiles; k++) {
        s->prof[n] = k;
        longest_from(s, n + 1, k);
    }
}

static void test_default_name_every_layout(void **state)
{
    size_t n_gpus, total = 0;
    const struct mig_gpu *all = mig_catalog(&n_gpus);
    char longest[512] = "";

    (void)state;
    for (size_t i = 0; i < n_gpus; i++) {
        struct longest s = {.g = &all[i]};

        longest_from(&s, 0, 0);
        total += s.layouts;
        if (strlen(s.name) > strlen(longest))
            snprintf(longest, sizeof(longest), "%s", s.name);
    }
    print_message("default names: %zu valid layouts, longest '%s' (%zu characters)\n", total,
                  longest, strlen(longest));
    assert_true(strlen(longest) > strlen("gpushare-"));
}

/* A cramped buffer still gets a terminated string, never an overrun. */
static void test_default_name_small_buffer(void **state)
{
    struct mig_layout l;
    char buf[12];

    (void)state;
    placed("H100-80GB", "3g.40gb,2g.20gb,1g.10gb:2", &l);
    memset(buf, 'z', sizeof(buf));
    migparted_default_name(&l, buf, 8);
    assert_int_equal(strlen(buf), 7);
    assert_int_equal(buf[8], 'z');
}

static void test_check_name(void **state)
{
    static const char name63[] = "a23456789-123456789-123456789-123456789-123456789-123456789-12z";
    static const char name64[] = "a23456789-123456789-123456789-123456789-123456789-123456789-123z";
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"a", true},
        {"0", true},
        {"gpushare-3g.40gb-2g.20gb-1g.10gbx2", true},
        {"all-1g.10gb.me", true},
        {"A_b.c-9", true},
        {name63, true},
        {"", false},
        {name64, false},
        {"-a", false},
        {"a-", false},
        {".a", false},
        {"_a", false},
        {"a.", false},
        {"1g.10gb+me", false},
        {"a/b", false},
        {"a b", false},
        {" a", false},
        {"a\n", false},
        {"a:b", false},
        {"caf\xc3\xa9", false},
        {"\xc3\xa9t\xc3\xa9", false},
        {"a\xe2\x80\x8b"
         "b",
         false},
    };

    (void)state;
    assert_int_equal(strlen(name63), 63);
    assert_int_equal(strlen(name64), 64);
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct error err = {0};
        int rc = migparted_check_name(&err, cases[i].name);

        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu '%s': rc %d, want %s", i, cases[i].name, rc,
                     cases[i].ok ? "accepted" : "refused");
        if (rc == 0)
            continue;
        if (err.code != ERR_USAGE)
            fail_msg("case %zu: code %d, want ERR_USAGE", i, err.code);
        check_style(err.msg, cases[i].name);
    }
}

/* ---- The nvidia-smi script ------------------------------------------------------------- */

/* Runs `prog FILE` on the script in a temporary file: its exit status. */
static int run_on_script(const char *script, const char *prog)
{
    char path[] = "/tmp/gpushare-test-migparted-XXXXXX", cmd[256];
    int fd = mkstemp(path), rc;
    FILE *f;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "%s '%s'", prog, path);
    rc = system(cmd);
    unlink(path);
    return rc;
}

static bool have_shellcheck(void)
{
    return system("command -v shellcheck >/dev/null 2>&1") == 0;
}

/* The script's commands (lines not comments): no MIG mode change, no reset, and the -cgi
 * list is the layout's profiles in placement order (whatever order l is in), by ID or by
 * name. */
static void check_script(const struct mig_layout *l, const char *s, const char *ctx)
{
    char want[256] = " -cgi ", line[512];
    bool used[MIG_MAX_INSTANCES] = {false};
    size_t n_cgi = 0;

    if (strncmp(s, "#!/usr/bin/env bash\n", 20) != 0)
        fail_msg("%s: no bash shebang", ctx);
    if (strstr(s, "\nset -euo pipefail\n") == NULL)
        fail_msg("%s: no 'set -euo pipefail'", ctx);
    for (size_t i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p;
        char item[64];
        size_t min = l->n;

        // The unused instance with the lowest start: selection, unlike the code's insertion.
        for (size_t k = 0; k < l->n; k++)
            if (!used[k] && (min == l->n || l->start[k] < l->start[min]))
                min = k;
        used[min] = true;
        p = &l->gpu->profiles[l->prof[min]];
        if (p->id != MIG_ID_UNKNOWN)
            snprintf(item, sizeof(item), "%s%u", i ? "," : "", p->id);
        else
            snprintf(item, sizeof(item), "%s%s", i ? "," : "", p->name);
        strncat(want, item, sizeof(want) - strlen(want) - 1);
    }
    strncat(want, " -C", sizeof(want) - strlen(want) - 1);
    for (const char *p = s; *p != '\0';) {
        size_t k = strcspn(p, "\n");

        snprintf(line, sizeof(line), "%.*s", (int)k, p);
        p += k + (p[k] == '\n');
        if (line[0] == '#')
            continue;
        if (strstr(line, "-mig") != NULL || strstr(line, "--multi-instance-gpu") != NULL ||
            strstr(line, " -r") != NULL || strstr(line, "--gpu-reset") != NULL)
            fail_msg("%s: command '%s' changes the MIG mode or resets the GPU", ctx, line);
        if (strstr(line, " -cgi ") != NULL) {
            n_cgi++;
            if (strlen(line) < strlen(want) || strcmp(line + strlen(line) - strlen(want), want))
                fail_msg("%s: '%s', want it to end in '%s'", ctx, line, want);
        }
    }
    if (n_cgi != 1)
        fail_msg("%s: %zu -cgi commands", ctx, n_cgi);
}

static void test_script_h100_balanced(void **state)
{
    struct mig_layout l;
    char *s;

    (void)state;
    placed("H100-80GB", "3g.40gb,2g.20gb,1g.10gb:2", &l);
    s = migparted_script(&l, "gpushare-3g.40gb-2g.20gb-1g.10gbx2");
    assert_non_null(s);
    // 2g.20gb at 0, 1g.10gb at 2 and 3, 3g.40gb at 4: IDs 14, 19, 19, 9.
    if (strstr(s, "\nnvidia-smi mig -i \"$gpu\" -cgi 14,19,19,9 -C\n") == NULL)
        fail_msg("no '-cgi 14,19,19,9 -C' in\n%s", s);
    assert_non_null(strstr(s, "2g.20gb 0-1, 1g.10gb 2, 1g.10gb 3, 3g.40gb 4-7"));
    check_script(&l, s, "H100 balanced");
    assert_int_equal(run_on_script(s, "bash -n"), 0);
    if (have_shellcheck())
        assert_int_equal(run_on_script(s, "shellcheck -s bash"), 0);
    else
        print_message("shellcheck not installed: skipped\n");
    free(s);
}

struct scripts {
    size_t n, checked;
    bool shellcheck;
};

/* Every maximal layout's script; bash -n (and shellcheck) on the first of each GPU. */
static void script_one(const struct mig_layout *l, void *arg)
{
    struct scripts *sc = arg;
    char ctx[256], name[MIGPARTED_NAME_MAX + 1];
    char *s;

    migparted_default_name(l, name, sizeof(name));
    snprintf(ctx, sizeof(ctx), "%s '%s'", l->gpu->model, name);
    s = migparted_script(l, name);
    assert_non_null(s);
    check_script(l, s, ctx);
    if (sc->n++ == 0) {
        if (run_on_script(s, "bash -n") != 0)
            fail_msg("%s: bash -n refuses\n%s", ctx, s);
        if (sc->shellcheck && run_on_script(s, "shellcheck -s bash") != 0)
            fail_msg("%s: shellcheck refuses\n%s", ctx, s);
        sc->checked++;
    }
    free(s);
}

static void test_script_catalog(void **state)
{
    size_t n_gpus;
    const struct mig_gpu *all = mig_catalog(&n_gpus);
    struct scripts sc = {.shellcheck = have_shellcheck()};

    (void)state;
    for (size_t i = 0; i < n_gpus; i++) {
        sc.n = 0;
        mig_enumerate_maximal(&all[i], script_one, &sc);
    }
    assert_int_equal(sc.checked, n_gpus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_catalog),
        cmocka_unit_test(test_round_trip_table),
        cmocka_unit_test(test_round_trip_numeric_names),
        cmocka_unit_test(test_round_trip_empty),
        cmocka_unit_test(test_yaml_refuses_bad_name),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_max),
        cmocka_unit_test(test_parse_nvidia_example),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_default_name_table),
        cmocka_unit_test(test_default_name_every_layout),
        cmocka_unit_test(test_default_name_small_buffer),
        cmocka_unit_test(test_check_name),
        cmocka_unit_test(test_script_h100_balanced),
        cmocka_unit_test(test_script_catalog),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
