/*
 * Unit tests for plan/demand: the command-line form and the YAML form, good and bad, each bad
 * case with the whole message it must give (the line and column included), and the fixtures
 * tests/fixtures/demands-*.yaml.
 */
#include "plan/demand.h"

#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "core/error.h"

/* One expected demand; a table row holds up to four. */
struct want_demand {
    const char *name;
    double mem_gib;
    unsigned min_sms;
    double min_fraction;
    unsigned replicas;
};

static void check_set(const struct demand_set *set, const struct want_demand *want, size_t n,
                      size_t row)
{
    if (set->n != n)
        fail_msg("case %zu: %zu demands, want %zu", row, set->n, n);
    for (size_t j = 0; j < n; j++) {
        const struct demand *d = &set->d[j];

        if (strcmp(d->name, want[j].name) != 0)
            fail_msg("case %zu: demand %zu is '%s', want '%s'", row, j, d->name, want[j].name);
        check_close(d->mem_gib, want[j].mem_gib, 1e-12, "mem_gib", row);
        if (d->min_sms != want[j].min_sms)
            fail_msg("case %zu: '%s' min_sms %u, want %u", row, d->name, d->min_sms,
                     want[j].min_sms);
        check_close(d->min_fraction, want[j].min_fraction, 1e-12, "min_fraction", row);
        if (d->replicas != want[j].replicas)
            fail_msg("case %zu: '%s' replicas %u, want %u", row, d->name, d->replicas,
                     want[j].replicas);
    }
}

/* ---- the command-line form ---- */

static const struct {
    const char *in;
    size_t n;
    struct want_demand want[4];
} inline_good[] = {
    {"llama:20gb:30sm,bert:4gb:10%x3,resnet:2.5gb",
     3,
     {{"llama", 20, 30, 0, 1}, {"bert", 4, 0, 0.1, 3}, {"resnet", 2.5, 0, 0, 1}}},
    // gb and gib are both GiB, in any case; SM and % units in any case.
    {"a:1GiB,b:1GB:2SM,c:1gib:50%", 3, {{"a", 1, 0, 0, 1}, {"b", 1, 2, 0, 1}, {"c", 1, 0, 0.5, 1}}},
    // An 'x' in the name is not a count; the count may end the memory field.
    {"mixtral-8x7b:40gbx2", 1, {{"mixtral-8x7b", 40, 0, 0, 2}}},
    {"m.x_1-2:0.5gbx1024", 1, {{"m.x_1-2", 0.5, 0, 0, 1024}}},
    {"a:1e1gb:100%", 1, {{"a", 10, 0, 1.0, 1}}},
    {"a:65536gb:65536sm", 1, {{"a", 65536, 65536, 0, 1}}},
    {"0:.5gb:0.5%x1", 1, {{"0", 0.5, 0, 0.005, 1}}},
};

static void test_inline_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(inline_good) / sizeof(inline_good[0]); i++) {
        struct demand_set set;
        struct error err = {0};

        if (demand_parse_inline(&err, inline_good[i].in, &set) < 0)
            fail_msg("case %zu: '%s' refused: %s", i, inline_good[i].in, err.msg);
        check_set(&set, inline_good[i].want, inline_good[i].n, i);
        demand_set_release(&set);
    }
}

#define E_FORM "expected NAME:MEM[:COMPUTE][xCOUNT]"
#define E_MEM "expected GiB above 0 and at most 65536, such as '20gb' or '2.5gib'"
#define E_COMPUTE                                                                                  \
    "expected SMs from 1 to 65536 ('30sm') or a share of the GPU above 0 and at most 100 ('25%')"
#define E_COUNT "expected 'x' and a whole number from 1 to 1024"
#define E_NAME "expected letters, digits, '.', '_' or '-', at most 63"

static const struct {
    const char *in;
    const char *msg; /* the whole message */
} inline_bad[] = {
    {"", "no demands: " E_FORM " items separated by ','"},
    {"llama", "invalid demand 'llama': " E_FORM ", e.g. 'llama:20gb:30sm'"},
    {"llama:20gb:30sm:1", "invalid demand 'llama:20gb:30sm:1': " E_FORM},
    {"llama:20", "invalid demand 'llama:20': memory '20': " E_MEM},
    {"llama:20mb", "invalid demand 'llama:20mb': memory '20mb': " E_MEM},
    {"llama:gb", "invalid demand 'llama:gb': memory 'gb': " E_MEM},
    {"llama:0gb", "invalid demand 'llama:0gb': memory '0gb': " E_MEM},
    {"llama:-1gb", "invalid demand 'llama:-1gb': memory '-1gb': " E_MEM},
    {"llama:+1gb", "invalid demand 'llama:+1gb': memory '+1gb': " E_MEM},
    {"llama:infgb", "invalid demand 'llama:infgb': memory 'infgb': " E_MEM},
    {"llama:nangib", "invalid demand 'llama:nangib': memory 'nangib': " E_MEM},
    {"llama:1e999gb", "invalid demand 'llama:1e999gb': memory '1e999gb': " E_MEM},
    {"llama:65536.5gb", "invalid demand 'llama:65536.5gb': memory '65536.5gb': " E_MEM},
    {"llama:0x10gb", "invalid demand 'llama:0x10gb': count 'x10gb': " E_COUNT},
    {"llama: 20gb", "invalid demand 'llama: 20gb': memory ' 20gb': " E_MEM},
    {"llama:", "invalid demand 'llama:': memory '': " E_MEM},
    {"llama:20gb:", "invalid demand 'llama:20gb:': compute '': " E_COMPUTE},
    {"llama:20gb:30", "invalid demand 'llama:20gb:30': compute '30': " E_COMPUTE},
    {"llama:20gb:0sm", "invalid demand 'llama:20gb:0sm': compute '0sm': " E_COMPUTE},
    {"llama:20gb:65537sm", "invalid demand 'llama:20gb:65537sm': compute '65537sm': " E_COMPUTE},
    {"llama:20gb:1.5sm", "invalid demand 'llama:20gb:1.5sm': compute '1.5sm': " E_COMPUTE},
    {"llama:20gb:0%", "invalid demand 'llama:20gb:0%': compute '0%': " E_COMPUTE},
    {"llama:20gb:100.1%", "invalid demand 'llama:20gb:100.1%': compute '100.1%': " E_COMPUTE},
    {"llama:20gbx0", "invalid demand 'llama:20gbx0': count 'x0': " E_COUNT},
    {"llama:20gbx", "invalid demand 'llama:20gbx': count 'x': " E_COUNT},
    {"llama:20gbx1025", "invalid demand 'llama:20gbx1025': count 'x1025': " E_COUNT},
    {"llama:20gbx2x3", "invalid demand 'llama:20gbx2x3': count 'x2x3': " E_COUNT},
    {"llama:20gb:5smx-1", "invalid demand 'llama:20gb:5smx-1': count 'x-1': " E_COUNT},
    {":20gb", "invalid demand ':20gb': name '': " E_NAME},
    {" a:1gb", "invalid demand ' a:1gb': name ' a': " E_NAME},
    {".a:1gb", "invalid demand '.a:1gb': name '.a': " E_NAME},
    {"a/b:1gb", "invalid demand 'a/b:1gb': name 'a/b': " E_NAME},
    {"a\tb:1gb", "invalid demand 'a?b:1gb': name 'a?b': " E_NAME},
    {"a:1gb,,b:1gb", "empty item in the demand list: " E_FORM " items separated by single ','"},
    {"a:1gb,", "empty item in the demand list: " E_FORM " items separated by single ','"},
    {",a:1gb", "empty item in the demand list: " E_FORM " items separated by single ','"},
    {"a:1gb,b:2gb,a:2gb", "duplicate demand name 'a': names must be unique"},
    {"a:1gbx1000,b:1gbx25", "too many replicas in all: at most 1024"},
    // 64 characters of name: one too many. The message quotes 40 of them and keeps its end.
    {"a123456789012345678901234567890123456789012345678901234567890123:1gb",
     "invalid demand 'a123456789012345678901234567890123456789...': name "
     "'a123456789012345678901234567890123456789...': " E_NAME},
};

/* Case i was refused: with code, with exactly msg, and with no demand left in set. */
static void check_refused(size_t i, const struct error *err, int code, const char *msg,
                          const struct demand_set *set)
{
    if (err->code != code)
        fail_msg("case %zu: code %d, want %d", i, err->code, code);
    if (strcmp(err->msg, msg) != 0)
        fail_msg("case %zu: message\n  '%s'\nwant\n  '%s'", i, err->msg, msg);
    if (set->n != 0)
        fail_msg("case %zu: %zu demands left after an error", i, set->n);
}

static void test_inline_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(inline_bad) / sizeof(inline_bad[0]); i++) {
        struct demand_set set;
        struct error err = {0};

        set.n = 99;
        if (demand_parse_inline(&err, inline_bad[i].in, &set) == 0)
            fail_msg("case %zu: '%s' accepted", i, inline_bad[i].in);
        check_refused(i, &err, ERR_USAGE, inline_bad[i].msg, &set);
    }
}

/* 257 items: one more than a set holds. 256 are fine. */
static void test_inline_too_many(void **state)
{
    static char buf[PLAN_MAX_DEMANDS * 16];
    struct demand_set set;
    struct error err = {0};
    size_t len = 0;

    (void)state;
    for (unsigned i = 0; i < PLAN_MAX_DEMANDS; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sm%u:1gb", i ? "," : "", i);
    assert_int_equal(demand_parse_inline(&err, buf, &set), 0);
    assert_int_equal(set.n, PLAN_MAX_DEMANDS);
    assert_int_equal(demand_replicas(&set), PLAN_MAX_DEMANDS);
    demand_set_release(&set);
    snprintf(buf + len, sizeof(buf) - len, ",extra:1gb");
    assert_int_equal(demand_parse_inline(&err, buf, &set), -1);
    assert_int_equal(err.code, ERR_USAGE);
    assert_string_equal(err.msg, "too many demands: at most 256");
    assert_int_equal(set.n, 0);
}

/* Whatever the user typed, the message ends with what was expected, unclipped. */
static void test_inline_long_input(void **state)
{
    static const char *const suffix[] = {E_MEM, E_COMPUTE, E_COUNT};
    char in[3][600];
    struct demand_set set;
    struct error err = {0};

    (void)state;
    memset(in, 'z', sizeof(in));
    memcpy(in[0], "a:", 2);          // memory: "zzz..."
    memcpy(in[1], "a:1gb:", 6);      // compute: "zzz..."
    memcpy(in[2], "a:1gb:1smx", 10); // count: "xzzz..."
    for (size_t i = 0; i < 3; i++) {
        size_t len;

        in[i][599] = '\0';
        assert_int_equal(demand_parse_inline(&err, in[i], &set), -1);
        len = strlen(err.msg);
        assert_true(len < sizeof(err.msg) - 1);
        if (len < strlen(suffix[i]) || strcmp(err.msg + len - strlen(suffix[i]), suffix[i]) != 0)
            fail_msg("case %zu: '%s' does not end with '%s'", i, err.msg, suffix[i]);
    }
}

static const struct {
    const char *name;
    double mem;
    unsigned min_sms;
    double fraction;
    unsigned gpu_sms, want;
} sms_cases[] = {
    {"none", 1, 0, 0, 132, 0},         {"sms", 1, 30, 0, 132, 30},
    {"quarter", 1, 0, 0.25, 132, 33},  // 33 exactly
    {"tenth", 1, 0, 0.1, 132, 14},     // 13.2 -> 14
    {"exact", 1, 0, 0.3, 100, 30},     // 0.3 * 100 is 30.000000000000004 in binary: still 30
    {"tiny", 1, 0, 0.001, 108, 1},     // 0.108 -> 1
    {"whole", 1, 0, 1.0, 108, 108},    // the whole GPU
    {"no sms known", 1, 0, 0.5, 0, 1}, // a share of nothing is still one SM
};

static void test_sms_needed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sms_cases) / sizeof(sms_cases[0]); i++) {
        struct demand d = {.mem_gib = sms_cases[i].mem,
                           .min_sms = sms_cases[i].min_sms,
                           .min_fraction = sms_cases[i].fraction,
                           .replicas = 1};
        unsigned got = demand_sms_needed(&d, sms_cases[i].gpu_sms);

        if (got != sms_cases[i].want)
            fail_msg("case %zu (%s): %u SMs, want %u", i, sms_cases[i].name, got,
                     sms_cases[i].want);
    }
}

/* ---- the YAML form ---- */

static const struct {
    const char *in;
    size_t n;
    struct want_demand want[4];
} yaml_good[] = {
    {"models:\n"
     "  - name: llama-8b\n"
     "    memory_gib: 20\n"
     "    min_sms: 30\n"
     "    replicas: 2\n"
     "  - name: bert\n"
     "    memory_gib: 4.5\n"
     "    compute_fraction: 0.25\n",
     2,
     {{"llama-8b", 20, 30, 0, 2}, {"bert", 4.5, 0, 0.25, 1}}},
    // Flow style, quoted names, comments, a document marker.
    {"---\n# comment\nmodels: [{name: \"a\", memory_gib: 1e0}, {name: '7', memory_gib: .5}]\n",
     2,
     {{"a", 1, 0, 0, 1}, {"7", 0.5, 0, 0, 1}}},
    // An explicit end and trailing comments are one document still.
    {"models:\n- {name: a, memory_gib: 1, compute_fraction: 1}\n...\n# end\n",
     1,
     {{"a", 1, 0, 1.0, 1}}},
    {"models:\n- {name: a, memory_gib: 65536, min_sms: 65536, replicas: 1024}\n",
     1,
     {{"a", 65536, 65536, 0, 1024}}},
};

static void test_yaml_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(yaml_good) / sizeof(yaml_good[0]); i++) {
        struct demand_set set;
        struct error err = {0};

        if (demand_load_yaml_buf(&err, yaml_good[i].in, strlen(yaml_good[i].in), "t.yaml", &set) <
            0)
            fail_msg("case %zu: refused: %s", i, err.msg);
        check_set(&set, yaml_good[i].want, yaml_good[i].n, i);
        demand_set_release(&set);
    }
}

#define M1 "models:\n  - name: a\n"
#define E_EMPTY "empty document: expected a mapping with 'workloads' or 'models'"
#define E_MAPPING "expected a mapping with 'workloads' or 'models'"
#define E_TOP "expected gpus and workloads (or models)"
#define E_POS "expected a positive number (GiB, at most 65536)"

static const struct {
    const char *in;
    const char *msg; /* the whole message */
} yaml_bad[] = {
    {"", "t.yaml:1:1: " E_EMPTY},
    {"# only a comment\n", "t.yaml:1:1: " E_EMPTY},
    {"- a\n", "t.yaml:1:1: " E_MAPPING ", got a list"},
    {"models\n", "t.yaml:1:1: " E_MAPPING ", got 'models'"},
    {"foo: 1\n", "t.yaml:1:1: unknown key 'foo' in the document: " E_TOP},
    {"[a]: 1\n", "t.yaml:1:1: the keys of the document are names such as workloads, got a list"},
    {"models: []\nmodels: []\n", "t.yaml:2:1: duplicate key 'models' in the document"},
    {"version: 1\n", "t.yaml:1:1: unknown key 'version' in the document: " E_TOP},
    {"model: []\n", "t.yaml:1:1: unknown key 'model' in the document: did you mean 'models'?"},
    {"{}\n", "t.yaml:1:1: no 'workloads': expected a list of workloads under 'workloads'"},
    {"models: [{name: a, memory_gib: 1}]\nworkloads: [{name: b, memory_gib: 1}]\n",
     "t.yaml:2:1: workloads and models both given: expected one list (models is the older name)"},
    {"models:\n", "t.yaml:1:8: models: expected a list of models, got nothing"},
    {"models: 3\n", "t.yaml:1:9: models: expected a list of models, got '3'"},
    {"models: []\n", "t.yaml:1:9: models: the list is empty: expected at least one model"},
    {"models:\n  - a\n",
     "t.yaml:2:5: models: each model is a mapping with name and memory_gib, got 'a'"},
    {"models:\n  - memory_gib: 1\n", "t.yaml:2:5: model 1 has no 'name'"},
    {M1, "t.yaml:2:5: model 'a' has no 'memory_gib'"},
    {M1 "    memory_gib: abc\n", "t.yaml:3:17: memory_gib: " E_POS ", got 'abc'"},
    {M1 "    memory_gib: \"20\"\n", "t.yaml:3:17: memory_gib: " E_POS ", got the string '20'"},
    {M1 "    memory_gib: 0\n", "t.yaml:3:17: memory_gib: " E_POS ", got '0'"},
    {M1 "    memory_gib: -1\n", "t.yaml:3:17: memory_gib: " E_POS ", got '-1'"},
    {M1 "    memory_gib: .inf\n", "t.yaml:3:17: memory_gib: " E_POS ", got '.inf'"},
    {M1 "    memory_gib: .nan\n", "t.yaml:3:17: memory_gib: " E_POS ", got '.nan'"},
    {M1 "    memory_gib: 0x10\n", "t.yaml:3:17: memory_gib: " E_POS ", got '0x10'"},
    {M1 "    memory_gib: 20gb\n", "t.yaml:3:17: memory_gib: " E_POS ", got '20gb'"},
    {M1 "    memory_gib: ~\n", "t.yaml:3:17: memory_gib: " E_POS ", got nothing"},
    {M1 "    memory_gib: [1]\n", "t.yaml:3:17: memory_gib: " E_POS ", got a list"},
    {M1 "    memory_gib: {a: 1}\n", "t.yaml:3:17: memory_gib: " E_POS ", got a mapping"},
    {M1 "    memory_gib: 1\n    memory_gb: 1\n",
     "t.yaml:4:5: unknown key 'memory_gb' in a model: did you mean 'memory_gib'?"},
    {M1 "    memory_gib: 1\n    flavour: 2\n",
     "t.yaml:4:5: unknown key 'flavour' in a model: expected name, memory_gib, replicas, min_sms, "
     "compute_fraction, requests_per_s, gpu_ms_per_request, gpu_ms_p99_per_request, "
     "latency_slo_ms, tenant or isolation"},
    {M1 "    memory_gib: 1\n    memory_gib: 2\n",
     "t.yaml:4:5: duplicate key 'memory_gib' in a model"},
    {M1 "    memory_gib: 1\n    [x]: 2\n",
     "t.yaml:4:5: the keys of a model are names such as memory_gib, got a list"},
    {M1 "    memory_gib: 1\n    min_sms: 30\n    compute_fraction: 0.25\n",
     "t.yaml:5:23: model 'a': min_sms and compute_fraction both given: expected one"},
    {M1 "    compute_fraction: 0.25\n    memory_gib: 1\n    min_sms: 30\n",
     "t.yaml:5:14: model 'a': min_sms and compute_fraction both given: expected one"},
    {M1 "    memory_gib: 1\n    min_sms: 0\n",
     "t.yaml:4:14: min_sms: expected a whole number from 1 to 65536, got '0'"},
    {M1 "    memory_gib: 1\n    min_sms: 1.5\n",
     "t.yaml:4:14: min_sms: expected a whole number from 1 to 65536, got '1.5'"},
    {M1 "    memory_gib: 1\n    compute_fraction: 25%\n",
     "t.yaml:4:23: compute_fraction: expected a share of the GPU's SMs above 0 and at most 1, "
     "got '25%'"},
    {M1 "    memory_gib: 1\n    compute_fraction: 1.01\n",
     "t.yaml:4:23: compute_fraction: expected a share of the GPU's SMs above 0 and at most 1, "
     "got '1.01'"},
    {M1 "    memory_gib: 1\n    replicas: 0\n",
     "t.yaml:4:15: replicas: expected a whole number from 1 to 1024, got '0'"},
    {M1 "    memory_gib: 1\n    replicas: two\n",
     "t.yaml:4:15: replicas: expected a whole number from 1 to 1024, got 'two'"},
    {M1 "    memory_gib: 1\n    replicas: 1025\n",
     "t.yaml:4:15: replicas: expected a whole number from 1 to 1024, got '1025'"},
    {"models:\n  - {name: a, memory_gib: 1, replicas: 1000}\n"
     "  - {name: b, memory_gib: 1, replicas: 25}\n",
     "t.yaml:3:40: too many replicas in all: at most 1024"},
    {"models:\n  - name: ~\n    memory_gib: 1\n",
     "t.yaml:2:11: name: expected letters, digits, '.', '_' or '-', at most 63, from a letter or "
     "digit, got nothing"},
    {"models:\n  - name: my model\n    memory_gib: 1\n",
     "t.yaml:2:11: name: expected letters, digits, '.', '_' or '-', at most 63, from a letter or "
     "digit, got 'my model'"},
    {"models:\n  - name: \"a\\0b\"\n    memory_gib: 1\n",
     "t.yaml:2:11: name: expected letters, digits, '.', '_' or '-', at most 63, from a letter or "
     "digit, got the string 'a?b'"},
    {"models:\n  - name: [a]\n    memory_gib: 1\n",
     "t.yaml:2:11: name: expected letters, digits, '.', '_' or '-', at most 63, from a letter or "
     "digit, got a list"},
    {"models:\n  - name: bert\n    memory_gib: 4\n  - name: bert\n    memory_gib: 8\n",
     "t.yaml:4:11: duplicate model name 'bert' (first at line 2)"},
    // An alias repeats a model: the same name twice.
    {"models:\n  - &m {name: a, memory_gib: 1}\n  - *m\n",
     "t.yaml:2:15: duplicate model name 'a' (first at line 2)"},
    {"models:\n  - *m\n", "t.yaml:2:5: invalid yaml: found undefined alias"},
    // Syntax: libyaml's own words, with its line and column.
    {"models:\n  - name: a\n    memory_gib: 20\n   min_sms: 30\n",
     "t.yaml:4:4: invalid yaml: did not find expected '-' indicator (while parsing a block "
     "collection)"},
    {"models: [\n", "t.yaml:2:1: invalid yaml: did not find expected node content (while parsing "
                    "a flow node)"},
    {"models:\n\t- a\n",
     "t.yaml:2:1: invalid yaml: found character that cannot start any token (while scanning for "
     "the next token)"},
    {"models:\n  - name: a\xff\n", "t.yaml:2:12: invalid text: invalid leading UTF-8 octet"},
    {"models: [{name: a, memory_gib: 1}]\n---\nmodels: []\n",
     "t.yaml:3:1: a second document: expected one"},
};

static void test_yaml_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(yaml_bad) / sizeof(yaml_bad[0]); i++) {
        struct demand_set set;
        struct error err = {0};
        size_t len = strlen(yaml_bad[i].in);

        // "\0" in a quoted scalar is a NUL in the value; the raw input never holds one here.
        set.n = 99;
        if (demand_load_yaml_buf(&err, yaml_bad[i].in, len, "t.yaml", &set) == 0)
            fail_msg("case %zu: accepted:\n%s", i, yaml_bad[i].in);
        check_refused(i, &err, ERR_INVALID, yaml_bad[i].msg, &set);
    }
}

/* 257 models: one more than a set holds; the message points at the 257th. */
static void test_yaml_too_many(void **state)
{
    size_t size = 64 + (PLAN_MAX_DEMANDS + 1) * 40, len = 0;
    char *buf = malloc(size);
    struct demand_set set;
    struct error err = {0};

    (void)state;
    assert_non_null(buf);
    len += (size_t)snprintf(buf + len, size - len, "models:\n");
    for (unsigned i = 0; i < PLAN_MAX_DEMANDS; i++)
        len += (size_t)snprintf(buf + len, size - len, "  - {name: m%u, memory_gib: 1}\n", i);
    assert_int_equal(demand_load_yaml_buf(&err, buf, len, "t.yaml", &set), 0);
    assert_int_equal(set.n, PLAN_MAX_DEMANDS);
    demand_set_release(&set);
    len += (size_t)snprintf(buf + len, size - len, "  - {name: extra, memory_gib: 1}\n");
    assert_int_equal(demand_load_yaml_buf(&err, buf, len, "t.yaml", &set), -1);
    assert_int_equal(err.code, ERR_INVALID);
    assert_string_equal(err.msg, "t.yaml:258:5: too many models: at most 256");
    free(buf);
}

/* The buffer is taken by length: no NUL needed, and bytes past len are never read. */
static void test_yaml_length(void **state)
{
    static const char text[] = "models: [{name: a, memory_gib: 1}]\ngarbage: [";
    struct demand_set set;
    struct error err = {0};

    (void)state;
    assert_int_equal(demand_load_yaml_buf(&err, text, 35, "t.yaml", &set), 0);
    assert_int_equal(set.n, 1);
    demand_set_release(&set);
    assert_int_equal(demand_load_yaml_buf(&err, text, sizeof(text) - 1, "t.yaml", &set), -1);
    assert_int_equal(demand_load_yaml_buf(&err, NULL, 0, "t.yaml", &set), -1);
    assert_string_equal(err.msg, "t.yaml:1:1: " E_EMPTY);
}

/* ---- the fixtures ---- */

static const struct {
    const char *path;
    const char *msg; /* NULL: accepted, with n demands and replicas in all */
    size_t n, replicas;
} fixtures[] = {
    {"tests/fixtures/demands-good-basic.yaml", NULL, 3, 4},
    {"tests/fixtures/demands-good-flow.yaml", NULL, 2, 4},
    {"tests/fixtures/demands-good-40-models.yaml", NULL, 40, 40},
    {"tests/fixtures/demands-bad-syntax.yaml",
     "tests/fixtures/demands-bad-syntax.yaml:4:4: invalid yaml: did not find expected '-' "
     "indicator (while parsing a block collection)",
     0, 0},
    {"tests/fixtures/demands-bad-unknown-key.yaml",
     "tests/fixtures/demands-bad-unknown-key.yaml:3:5: unknown key 'memory_gb' in a model: "
     "did you mean 'memory_gib'?",
     0, 0},
    {"tests/fixtures/demands-bad-both-compute.yaml",
     "tests/fixtures/demands-bad-both-compute.yaml:5:23: model 'llama-8b': min_sms and "
     "compute_fraction both given: expected one",
     0, 0},
    {"tests/fixtures/demands-bad-memory.yaml",
     "tests/fixtures/demands-bad-memory.yaml:3:17: memory_gib: expected a positive number (GiB, "
     "at most 65536), got 'abc'",
     0, 0},
    {"tests/fixtures/demands-bad-duplicate.yaml",
     "tests/fixtures/demands-bad-duplicate.yaml:4:11: duplicate model name 'bert' (first at "
     "line 2)",
     0, 0},
};

static void test_fixtures(void **state)
{
    size_t n_fixtures = sizeof(fixtures) / sizeof(fixtures[0]);
    glob_t g;

    (void)state;
    for (size_t i = 0; i < n_fixtures; i++) {
        struct demand_set set;
        struct error err = {0};
        int rc = demand_load_yaml(&err, fixtures[i].path, &set);

        if (fixtures[i].msg == NULL) {
            if (rc < 0)
                fail_msg("%s: %s", fixtures[i].path, err.msg);
            if (set.n != fixtures[i].n || demand_replicas(&set) != fixtures[i].replicas)
                fail_msg("%s: %zu demands, %zu replicas; want %zu, %zu", fixtures[i].path, set.n,
                         demand_replicas(&set), fixtures[i].n, fixtures[i].replicas);
            demand_set_release(&set);
        } else {
            if (rc == 0)
                fail_msg("%s: accepted", fixtures[i].path);
            if (strcmp(err.msg, fixtures[i].msg) != 0)
                fail_msg("%s: message\n  '%s'\nwant\n  '%s'", fixtures[i].path, err.msg,
                         fixtures[i].msg);
        }
    }
    // Every fixture on disk is in the table, so none goes untested.
    assert_int_equal(glob("tests/fixtures/demands-*.yaml", 0, NULL, &g), 0);
    for (size_t j = 0; j < g.gl_pathc; j++) {
        size_t i = 0;

        while (i < n_fixtures && strcmp(fixtures[i].path, g.gl_pathv[j]) != 0)
            i++;
        if (i == n_fixtures)
            fail_msg("%s is not in the fixture table", g.gl_pathv[j]);
    }
    globfree(&g);
}

static void test_file_errors(void **state)
{
    struct demand_set set;
    struct error err = {0};

    (void)state;
    assert_int_equal(demand_load_yaml(&err, "tests/fixtures/no-such-demands.yaml", &set), -1);
    assert_int_equal(err.code, ERR_IO);
    assert_string_equal(err.msg,
                        "cannot open 'tests/fixtures/no-such-demands.yaml': No such file or "
                        "directory");
    assert_int_equal(demand_load_yaml(&err, "tests/fixtures", &set), -1);
    assert_int_equal(err.code, ERR_IO);
    assert_string_equal(err.msg, "cannot read 'tests/fixtures': Is a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_good),     cmocka_unit_test(test_inline_bad),
        cmocka_unit_test(test_inline_too_many), cmocka_unit_test(test_inline_long_input),
        cmocka_unit_test(test_sms_needed),      cmocka_unit_test(test_yaml_good),
        cmocka_unit_test(test_yaml_bad),        cmocka_unit_test(test_yaml_too_many),
        cmocka_unit_test(test_yaml_length),     cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_file_errors),
    };

    return cmocka_run_group_tests_name("demand", tests, NULL, NULL);
}
