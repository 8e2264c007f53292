/*
 * Unit tests for fleet/merge and `gpushare fleet merge`, and for `gpushare mig plan --fleet`:
 * the merge of several per-node documents with one GPU 20% slower (exactly that one flagged),
 * the direction of "worse" for both kinds of metric, too few peers, documents of several
 * benchmarks of one GPU merged into one node (and the real duplicate, one test twice, refused),
 * refused inputs (bad JSON, a schema violation, a missing file, a document without a GPU, one
 * test of one GPU twice) with the output left as it was, fleet_check's refusals of tampered
 * documents, and the real binary (GPUSHARE_BIN, default build/asan/gpushare) merging, refusing
 * (a directory or an existing file as -o), its dispatch and help, its counts and its table,
 * and planning from a fleet.
 *
 * Scratch files go to a mkdtemp directory under /tmp, removed after each test.
 */
#include "fleet/merge.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>
#include <jansson.h>

#include "check.h"
#include "core/error.h"
#include "proc.h"
#include "results/results.h"
#include "testutil.h"

#define FX "tests/fixtures/"
#define A100 "NVIDIA A100-SXM4-80GB"
#define H100 "NVIDIA H100 80GB HBM3"
#define OLD_TEXT "previous fleet document\n"

static const char *const a100_files[] = {FX "fleet-a100-node1.json", FX "fleet-a100-node2.json",
                                         FX "fleet-a100-node3.json", FX "fleet-a100-node4.json"};

/* ---- helpers ---- */

struct sandbox {
    char dir[64];
};

static int tmp_setup(void **state)
{
    struct sandbox *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return -1;
    snprintf(s->dir, sizeof(s->dir), "/tmp/gpushare-fleet-XXXXXX");
    if (mkdtemp(s->dir) == NULL) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct sandbox *s = *state;
    int rc = remove_sandbox(s->dir);

    free(s);
    return rc;
}

static struct fleet_opts fixed_opts(double tol)
{
    struct fleet_opts o = {.tolerance = tol,
                           .tool_version = "9.9.9",
                           .git_commit = "abc1234",
                           .git_dirty = 0,
                           .utc = "2026-11-24T03:00:00Z"};

    return o;
}

/* Loads files (each must load) into docs and in. */
static void load_all(const char *const *files, size_t n, json_t **docs, struct fleet_input *in)
{
    struct error err = {0};

    if (fleet_load_inputs(&err, (char *const *)files, n, docs) < 0)
        fail_msg("fleet_load_inputs: %s", err.msg);
    for (size_t i = 0; i < n; i++) {
        in[i].file = files[i];
        in[i].doc = docs[i];
    }
}

static void release(json_t **docs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
}

/* The merge of in[0..n) with tolerance tol; must succeed and pass fleet_check. */
static json_t *merge_ok(const struct fleet_input *in, size_t n, double tol)
{
    struct fleet_opts o = fixed_opts(tol);
    struct error err = {0};
    json_t *f = fleet_merge(&err, &o, in, n);

    if (f == NULL)
        fail_msg("fleet_merge: %s", err.msg);
    if (fleet_check(&err, f, "merged") < 0)
        fail_msg("fleet_check of a merge: %s", err.msg);
    return f;
}

static const char *jstr(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "";
}

/* A results document of one GPU with one test whose metric has these samples. */
static json_t *make_doc(const char *host, const char *model, const char *uuid, const char *test_id,
                        const char *better, const double *samples, size_t n)
{
    struct run_meta meta = {.tool_version = "0.1.0",
                            .git_commit = "abc1234",
                            .git_dirty = 0,
                            .utc_time = "2026-11-24T02:30:00Z",
                            .host = host,
                            .command = "bench streams"};
    struct error err = {0};
    json_t *base = results_load(&err, FX "fleet-a100-node1.json"), *info, *doc, *t;

    assert_non_null(base);
    info = json_deep_copy(json_object_get(base, "info"));
    json_decref(base);
    json_object_set_new(info, "name", json_string(model));
    json_object_set_new(info, "uuid", json_string(uuid));
    doc = results_new(&meta, info);
    t = results_add_test(doc, test_id, "fleet.test", "a figure");
    assert_non_null(t);
    assert_int_equal(results_metric(&err, t, "latency", "us", better, samples, n), 0);
    results_verdict(t, VERDICT_INFO, "", "test");
    if (results_check(&err, doc, "made") < 0)
        fail_msg("made document: %s", err.msg);
    return doc;
}

static void write_text(const char *path, const char *text)
{
    if (write_file(path, text, 0644) < 0)
        fail_msg("cannot write '%s': %s", path, strerror(errno));
}

static void expect_file(const char *path, const char *want)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        fail_msg("'%s' is gone: %s", path, strerror(errno));
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (strcmp(buf, want) != 0)
        fail_msg("'%s' changed: now '%.200s'", path, buf);
}

/* ---- merging ---- */

/* Four A100s, node-3 20% slower on one figure: exactly that one is flagged. */
static void test_merge_flags_the_slow_gpu(void **state)
{
    json_t *docs[4], *f, *flags, *fl, *m, *cmp;
    struct fleet_input in[4];

    (void)state;
    load_all(a100_files, 4, docs, in);
    f = merge_ok(in, 4, FLEET_DEFAULT_TOLERANCE);
    assert_string_equal(jstr(f, "schema"), FLEET_SCHEMA_ID);
    assert_int_equal(json_array_size(json_object_get(f, "nodes")), 4);
    m = json_object_get(json_object_get(f, "models"), A100);
    assert_int_equal(json_integer_value(json_object_get(m, "gpus")), 4);
    assert_string_equal(jstr(m, "peers"), "compared");
    flags = json_object_get(f, "flags");
    assert_int_equal(json_array_size(flags), 1);
    fl = json_array_get(flags, 0);
    assert_string_equal(jstr(fl, "node"), "node-3");
    assert_string_equal(jstr(fl, "gpu_uuid"), "GPU-a1000000-0000-0000-0000-000000000003");
    assert_string_equal(jstr(fl, "test_id"), "streams.gemm.bf16.n1024");
    assert_string_equal(jstr(fl, "direction"), "worse");
    check_close(json_real_value(json_object_get(fl, "peer_median")), 1.795, 1e-9, "peer", 0);
    check_close(json_real_value(json_object_get(fl, "deviation")), 1.44 / 1.795 - 1, 1e-9, "dev",
                0);
    expect_in(jstr(fl, "why"), "19.8% lower than the median", "why");
    // The identity of each node and its whole document are kept.
    for (size_t i = 0; i < 4; i++) {
        const json_t *nd = json_array_get(json_object_get(f, "nodes"), i);
        char id[32];

        snprintf(id, sizeof(id), "node-%zu", i + 1);
        assert_string_equal(jstr(nd, "id"), id);
        assert_string_equal(jstr(nd, "host"), id);
        assert_string_equal(jstr(nd, "file"), a100_files[i]);
        assert_string_equal(jstr(nd, "model"), A100);
        assert_string_equal(jstr(nd, "pci_bus_id"), "00000000:07:00.0");
        assert_string_equal(jstr(nd, "driver_version"), "580.95.05");
        assert_string_equal(jstr(json_object_get(nd, "tool"), "git_commit"),
                            "0123456789abcdef0123456789abcdef01234567");
        assert_true(json_equal(json_object_get(nd, "document"), docs[i]));
    }
    // The latency figures are all within 10%: compared, none an outlier.
    cmp = json_array_get(json_object_get(f, "comparisons"), 1);
    assert_string_equal(jstr(cmp, "test_id"), "streams.priority.high");
    assert_string_equal(jstr(cmp, "status"), "compared");
    for (size_t i = 0; i < 4; i++)
        assert_true(json_is_null(
            json_object_get(json_array_get(json_object_get(cmp, "per_node"), i), "outlier")));
    json_decref(f);
    release(docs, 4);
}

/* Argument order does not change the document; a wider tolerance flags nothing. */
static void test_merge_order_and_tolerance(void **state)
{
    const char *const rev[] = {a100_files[3], a100_files[2], a100_files[1], a100_files[0]};
    json_t *d1[4], *d2[4], *f1, *f2, *f3;
    struct fleet_input i1[4], i2[4];

    (void)state;
    load_all(a100_files, 4, d1, i1);
    load_all(rev, 4, d2, i2);
    f1 = merge_ok(i1, 4, 0.10);
    f2 = merge_ok(i2, 4, 0.10);
    assert_true(json_equal(f1, f2));
    f3 = merge_ok(i1, 4, 0.25);
    assert_int_equal(json_array_size(json_object_get(f3, "flags")), 0);
    json_decref(f1);
    json_decref(f2);
    json_decref(f3);
    release(d1, 4);
    release(d2, 4);
}

/* For a lower-is-better metric, 20% higher is worse and flagged; 20% lower is better and only
 * marked so in the comparison. */
static void test_merge_direction(void **state)
{
    static const double fast[] = {8.0}, mid[] = {10.0}, slow[] = {12.0};
    const char *const hosts[] = {"a", "b", "c", "d"};
    const double *const s[] = {mid, slow, fast, mid};
    json_t *docs[4], *f, *per, *fl;
    struct fleet_input in[4];

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        char uuid[48];

        snprintf(uuid, sizeof(uuid), "GPU-dir-%zu", i);
        docs[i] = make_doc(hosts[i], A100, uuid, "t.lat", "lower", s[i], 1);
        in[i].file = hosts[i];
        in[i].doc = docs[i];
    }
    f = merge_ok(in, 4, 0.10);
    per = json_object_get(json_array_get(json_object_get(f, "comparisons"), 0), "per_node");
    assert_string_equal(jstr(json_array_get(per, 1), "outlier"), "worse");
    assert_string_equal(jstr(json_array_get(per, 2), "outlier"), "better");
    assert_int_equal(json_array_size(json_object_get(f, "flags")), 1);
    fl = json_array_get(json_object_get(f, "flags"), 0);
    assert_string_equal(jstr(fl, "node"), "b");
    check_close(json_real_value(json_object_get(fl, "deviation")), 0.2, 1e-9, "dev", 0);
    json_decref(f);
    release(docs, 4);
}

/* Two H100s far apart: too few peers, nothing flagged; one of them next to four A100s too. */
static void test_merge_too_few_peers(void **state)
{
    const char *const files[] = {FX "fleet-h100-node5.json", FX "fleet-h100-node6.json",
                                 a100_files[0]};
    json_t *docs[3], *f, *m, *cmp;
    struct fleet_input in[3];
    size_t i;

    (void)state;
    load_all(files, 3, docs, in);
    f = merge_ok(in, 3, 0.10);
    assert_int_equal(json_array_size(json_object_get(f, "flags")), 0);
    m = json_object_get(json_object_get(f, "models"), H100);
    assert_int_equal(json_integer_value(json_object_get(m, "gpus")), 2);
    assert_string_equal(jstr(m, "peers"), "too few peers");
    m = json_object_get(json_object_get(f, "models"), A100);
    assert_string_equal(jstr(m, "peers"), "too few peers");
    json_array_foreach (json_object_get(f, "comparisons"), i, cmp) {
        assert_string_equal(jstr(cmp, "status"), "too few peers");
    }
    json_decref(f);
    release(docs, 3);
}

/* Two GPUs of one host: each node id carries the UUID. */
static void test_merge_shared_host(void **state)
{
    static const double v[] = {1.0};
    json_t *docs[2], *f;
    struct fleet_input in[2];

    (void)state;
    docs[0] = make_doc("dgx", A100, "GPU-x1", "t", "higher", v, 1);
    docs[1] = make_doc("dgx", A100, "GPU-x0", "t", "higher", v, 1);
    in[0] = (struct fleet_input){"x1.json", docs[0]};
    in[1] = (struct fleet_input){"x0.json", docs[1]};
    f = merge_ok(in, 2, 0.10);
    assert_string_equal(jstr(json_array_get(json_object_get(f, "nodes"), 0), "id"), "dgx/GPU-x0");
    assert_string_equal(jstr(json_array_get(json_object_get(f, "nodes"), 1), "id"), "dgx/GPU-x1");
    json_decref(f);
    release(docs, 2);
}

/* Inputs the merge refuses, each with a message naming the file. */
static void test_merge_refusals(void **state)
{
    static const struct {
        const char *file;
        const char *want;
    } cases[] = {
        {FX "fleet-bad-syntax.json", "'" FX "fleet-bad-syntax.json' line 15 column"},
        {FX "fleet-bad-schema.json", "'" FX "fleet-bad-schema.json': tests[0]"},
        {FX "fleet-missing.json", "cannot open '" FX "fleet-missing.json'"},
        {FX "fleet-bad-duplicate.json",
         "'" FX "fleet-bad-duplicate.json': test 'streams.gemm.bf16.n1024' is also in '" FX
         "fleet-a100-node1.json' (host 'node-1', GPU-a1000000-0000-0000-0000-000000000001): "
         "one figure per test and GPU"},
        {FX "results-good-minimal.json",
         "'" FX "results-good-minimal.json': no GPU in the document"},
    };
    struct fleet_opts o = fixed_opts(0.10);

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *files[] = {a100_files[0], a100_files[1], cases[i].file};
        json_t *docs[3] = {NULL, NULL, NULL}, *f = NULL;
        struct fleet_input in[3];
        struct error err = {0};

        if (fleet_load_inputs(&err, (char *const *)files, 3, docs) == 0) {
            for (size_t k = 0; k < 3; k++)
                in[k] = (struct fleet_input){files[k], docs[k]};
            f = fleet_merge(&err, &o, in, 3);
            assert_int_equal(err.code, ERR_INVALID);
        } else
            for (size_t k = 0; k < 3; k++)
                assert_null(docs[k]);
        if (f != NULL)
            fail_msg("case %zu: merged", i);
        expect_in(err.msg, cases[i].want, cases[i].file);
        release(docs, 3);
    }
}

/* Two benchmarks of one GPU (node-5's streams run and its MPS run): one node with both
 * documents, the earlier run first whatever the argument order, every figure compared. */
static void test_merge_one_gpu_several_documents(void **state)
{
    const char *const files[] = {FX "fleet-h100-node5-mps.json", FX "fleet-h100-node5.json",
                                 FX "fleet-h100-node6.json"};
    const char *const rev[] = {files[2], files[1], files[0]};
    json_t *docs[3], *d2[3], *f, *f2, *nodes, *nd, *more, *cmps;
    struct fleet_input in[3], i2[3];
    const char *file = NULL;

    (void)state;
    load_all(files, 3, docs, in);
    load_all(rev, 3, d2, i2);
    f = merge_ok(in, 3, 0.10);
    f2 = merge_ok(i2, 3, 0.10);
    assert_true(json_equal(f, f2));
    nodes = json_object_get(f, "nodes");
    assert_int_equal(json_array_size(nodes), 2);
    nd = json_array_get(nodes, 0);
    assert_string_equal(jstr(nd, "id"), "node-5");
    assert_string_equal(jstr(nd, "file"), files[1]);
    assert_string_equal(jstr(nd, "command"), "bench streams");
    more = json_object_get(nd, "more_sources");
    assert_int_equal(json_array_size(more), 1);
    assert_string_equal(jstr(json_array_get(more, 0), "file"), files[0]);
    assert_string_equal(jstr(json_array_get(more, 0), "command"), "bench mps");
    assert_string_equal(jstr(json_array_get(more, 0), "run_utc"), "2026-11-24T03:10:00Z");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(more, 0), "tests_count")),
                     2);
    // Each document whole, and the reader's way to every one of them.
    assert_true(json_equal(fleet_node_document(nd, 0, &file), docs[1]));
    assert_string_equal(file, files[1]);
    assert_true(json_equal(fleet_node_document(nd, 1, &file), docs[0]));
    assert_string_equal(file, files[0]);
    assert_null(fleet_node_document(nd, 2, NULL));
    // A node of one document is as before: no "more_sources".
    assert_null(json_object_get(json_array_get(nodes, 1), "more_sources"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(f, "models"), H100), "gpus")),
                     2);
    // The MPS figures have one GPU, the streams figures two.
    cmps = json_object_get(f, "comparisons");
    assert_int_equal(json_array_size(cmps), 4);
    assert_string_equal(jstr(json_array_get(cmps, 0), "test_id"), "mps.gemm.bf16.n1024.p2");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cmps, 0), "gpus")), 1);
    assert_string_equal(jstr(json_array_get(cmps, 2), "test_id"), "streams.gemm.bf16.n1024");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cmps, 2), "gpus")), 2);
    json_decref(f);
    json_decref(f2);
    release(docs, 3);
    release(d2, 3);
}

/* Documents of one GPU that cannot make one node: the same test twice (the one real
 * duplicate), the GPU on another host, or another driver. Each names both files. */
static void test_merge_one_gpu_refusals(void **state)
{
    static const double v[] = {1.0};
    static const struct {
        const char *host, *test_id, *driver; /* driver NULL: as the first document's */
        const char *want;
    } cases[] = {
        {"h", "t.a", NULL,
         "'b.json': test 't.a' is also in 'a.json' (host 'h', GPU-s): one figure per test and "
         "GPU"},
        {"h2", "t.b", NULL, "'b.json': GPU GPU-s is on host 'h2' but on 'h' in 'a.json'"},
        {"h", "t.c", "999.1",
         "'b.json': GPU GPU-s (host 'h') has another info.driver_version than in 'a.json'"},
    };
    struct fleet_opts o = fixed_opts(0.10);

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *a = make_doc("h", A100, "GPU-s", "t.a", "higher", v, 1), *b, *f;
        struct fleet_input in[2];
        struct error err = {0};

        b = make_doc(cases[i].host, A100, "GPU-s", cases[i].test_id, "higher", v, 1);
        if (cases[i].driver != NULL)
            json_object_set_new(json_object_get(b, "info"), "driver_version",
                                json_string(cases[i].driver));
        in[0] = (struct fleet_input){"a.json", a};
        in[1] = (struct fleet_input){"b.json", b};
        f = fleet_merge(&err, &o, in, 2);
        if (f != NULL)
            fail_msg("case %zu: merged", i);
        assert_int_equal(err.code, ERR_INVALID);
        expect_in(err.msg, cases[i].want, cases[i].want);
        json_decref(a);
        json_decref(b);
    }
}

/* ---- checking fleet documents ---- */

static void set_path(json_t *f, const char *what)
{
    json_t *nodes = json_object_get(f, "nodes"), *n0 = json_array_get(nodes, 0);
    json_t *cmp0 = json_array_get(json_object_get(f, "comparisons"), 0);

    if (strcmp(what, "schema") == 0)
        json_object_set_new(f, "schema", json_string("gpushare.fleet/2"));
    else if (strcmp(what, "extra") == 0)
        json_object_set_new(f, "extra", json_true());
    else if (strcmp(what, "created") == 0)
        json_object_set_new(f, "created", json_string("yesterday"));
    else if (strcmp(what, "created_feb30") == 0)
        json_object_set_new(f, "created", json_string("2026-02-30T00:00:00Z"));
    else if (strcmp(what, "created_hour24") == 0)
        json_object_set_new(f, "created", json_string("2026-11-24T24:00:00Z"));
    else if (strcmp(what, "tolerance") == 0)
        json_object_set_new(f, "tolerance", json_real(-1.0));
    else if (strcmp(what, "gpus") == 0)
        json_object_set_new(json_object_get(json_object_get(f, "models"), A100), "gpus",
                            json_integer(5));
    else if (strcmp(what, "uuid") == 0)
        json_object_set_new(n0, "gpu_uuid", json_string("GPU-other"));
    else if (strcmp(what, "document") == 0)
        json_object_set_new(json_object_get(n0, "document"), "schema", json_string("x"));
    else if (strcmp(what, "tests_count") == 0)
        json_object_set_new(n0, "tests_count", json_integer(7));
    else if (strcmp(what, "dup_node") == 0)
        json_array_append(nodes, n0);
    else if (strcmp(what, "cmp_node") == 0)
        json_object_set_new(json_array_get(json_object_get(cmp0, "per_node"), 0), "node",
                            json_string("nowhere"));
    else if (strcmp(what, "cmp_status") == 0)
        json_object_set_new(cmp0, "status", json_string("too few peers"));
    else if (strcmp(what, "flag_node") == 0)
        json_object_set_new(json_array_get(json_object_get(f, "flags"), 0), "node",
                            json_string("node-1"));
    else if (strcmp(what, "flag_direction") == 0)
        json_object_set_new(json_array_get(json_object_get(f, "flags"), 0), "direction",
                            json_string("better"));
    else if (strcmp(what, "nodes_empty") == 0)
        json_array_clear(nodes);
    else
        fail_msg("unknown mutation '%s'", what);
}

/* fleet_check refuses g (and releases it) with a message holding prefix and want. */
static void expect_refused(json_t *g, const char *prefix, const char *want, const char *what)
{
    struct error err = {0};

    if (fleet_check(&err, g, "f.json") == 0)
        fail_msg("%s: accepted", what);
    assert_int_equal(err.code, ERR_INVALID);
    expect_in(err.msg, prefix, what);
    expect_in(err.msg, want, what);
    json_decref(g);
}

static void test_check_refusals(void **state)
{
    static const struct {
        const char *what;
        const char *want;
    } cases[] = {
        {"schema", "\"schema\" is \"gpushare.fleet/2\" but this gpushare reads"},
        {"extra", "unknown key \"extra\""},
        {"created", "\"created\" is \"yesterday\", not an RFC 3339 UTC time"},
        {"created_feb30", "\"created\" is \"2026-02-30T00:00:00Z\", not an RFC 3339 UTC time"},
        {"created_hour24", "\"created\" is \"2026-11-24T24:00:00Z\", not an RFC 3339"},
        {"tolerance", "\"tolerance\" must be above 0"},
        {"gpus", "\"gpus\" must be the number of its nodes"},
        {"uuid", "nodes[0]: the GPU's identity differs"},
        {"document", "nodes[0]: 'document'"},
        {"tests_count", "\"tests_count\" differs"},
        {"dup_node", "nodes[4]: \"id\" 'node-1' is also nodes[0]'s"},
        {"cmp_node", "\"node\" 'nowhere' is no node of the fleet"},
        {"cmp_status", "\"status\" must be \"compared\""},
        {"flag_node", "flags[0]: \"gpu_uuid\" is not its node's"},
        {"flag_direction", "\"direction\" must be \"worse\""},
        {"nodes_empty", "\"nodes\" is empty"},
    };
    json_t *docs[4], *f;
    struct fleet_input in[4];

    (void)state;
    load_all(a100_files, 4, docs, in);
    f = merge_ok(in, 4, 0.10);
    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *g = json_deep_copy(f);

        set_path(g, cases[i].what);
        expect_refused(g, "'f.json': ", cases[i].want, cases[i].what);
    }
    json_decref(f);
    release(docs, 4);
}

/* A node of several documents, tampered with: each refusal names the entry. */
static void test_check_more_sources(void **state)
{
    static const struct {
        const char *key;   /* member of more_sources[0] to set; NULL: more_sources itself */
        const char *value; /* JSON; NULL deletes; "SELF": a copy of the node's own record */
        const char *want;
    } cases[] = {
        {NULL, "[]", "nodes[0]: \"more_sources\" is empty"},
        {NULL, "{}", "nodes[0]: \"more_sources\" must be an array, not an object"},
        {"tests_count", "7", "nodes[0]: more_sources[0]: \"tests_count\" differs"},
        {"extra", "1", "nodes[0]: more_sources[0]: unknown key \"extra\""},
        {"file", NULL, "nodes[0]: more_sources[0]: missing \"file\""},
        {"command", "\"bench x\"", "nodes[0]: more_sources[0]: the run's identity differs"},
        {"tool", "{\"version\": \"0.1.0\"}", "more_sources[0]: missing \"tool.git_commit\""},
        {"document", "{}", "more_sources[0]: 'document': missing \"schema\""},
        {"SELF", NULL,
         "nodes[0]: more_sources[0]: test 'streams.gemm.bf16.n1024' is also in the node's "
         "\"document\""},
    };
    const char *const files[] = {FX "fleet-h100-node5.json", FX "fleet-h100-node5-mps.json",
                                 FX "fleet-h100-node6.json"};
    json_t *docs[3], *f;
    struct fleet_input in[3];

    (void)state;
    load_all(files, 3, docs, in);
    f = merge_ok(in, 3, 0.10);
    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *g = json_deep_copy(f), *nd = json_array_get(json_object_get(g, "nodes"), 0);
        json_t *src = json_array_get(json_object_get(nd, "more_sources"), 0);

        if (cases[i].key == NULL)
            json_object_set_new(nd, "more_sources", json_loads(cases[i].value, 0, NULL));
        else if (strcmp(cases[i].key, "SELF") == 0) {
            json_object_set(src, "document", json_object_get(nd, "document"));
            json_object_set(src, "run_utc", json_object_get(nd, "run_utc"));
            json_object_set(src, "command", json_object_get(nd, "command"));
            json_object_set(src, "file", json_object_get(nd, "file"));
        } else if (cases[i].value == NULL)
            json_object_del(src, cases[i].key);
        else
            json_object_set_new(src, cases[i].key,
                                json_loads(cases[i].value, JSON_DECODE_ANY, NULL));
        expect_refused(g, "'f.json': nodes[0]: ", cases[i].want, cases[i].want);
    }
    json_decref(f);
    release(docs, 3);
}

/* Written with results_write and read back with fleet_load: the same document. */
static void test_write_and_load(void **state)
{
    struct sandbox *s = *state;
    json_t *docs[4], *f, *back;
    struct fleet_input in[4];
    struct error err = {0};
    char path[128];

    load_all(a100_files, 4, docs, in);
    f = merge_ok(in, 4, 0.10);
    snprintf(path, sizeof(path), "%s/fleet.json", s->dir);
    assert_int_equal(results_write(&err, f, path), 0);
    back = fleet_load(&err, path);
    if (back == NULL)
        fail_msg("fleet_load: %s", err.msg);
    assert_true(json_equal(f, back));
    json_decref(back);
    // A results document is not a fleet document; neither is broken JSON.
    assert_null(fleet_load(&err, a100_files[0]));
    expect_in(err.msg, "this gpushare reads \"gpushare.fleet/1\"", "results doc as fleet");
    assert_null(fleet_loadb(&err, "{\"schema\":", 10, "cut.json"));
    expect_in(err.msg, "'cut.json' line 1", "cut");
    json_decref(f);
    release(docs, 4);
}

/* ---- the binary ---- */

static void test_cli_merge(void **state)
{
    struct sandbox *s = *state;
    struct proc r;
    struct error err = {0};
    char out[128];
    json_t *f;

    snprintf(out, sizeof(out), "%s/fleet.json", s->dir);
    proc_gpushare(&r,
                  (const char *const[]){"fleet", "merge", "-o", out, a100_files[0], a100_files[1],
                                        a100_files[2], a100_files[3], FX "fleet-h100-node5.json",
                                        FX "fleet-h100-node6.json", NULL},
                  NULL);
    expect_status(&r, 0, "fleet merge");
    expect_in(r.out, "nodes (6):", "table");
    expect_in(r.out, "too few peers (3 needed)", "table");
    expect_in(r.out, "flags (1;", "table");
    expect_in(r.out, "node-3  GPU-a1000000-0000-0000-0000-000000000003  streams.gemm.bf16.n1024",
              "table");
    expect_in(r.err, "': 6 nodes from 6 documents, 2 models, 1 flag\n", "progress");
    f = fleet_load(&err, out);
    if (f == NULL)
        fail_msg("fleet_load: %s", err.msg);
    assert_int_equal(json_array_size(json_object_get(f, "flags")), 1);
    json_decref(f);

    // --json: the document on stdout, the same as the file but for nothing; --force replaces.
    proc_gpushare(&r,
                  (const char *const[]){"-q", "fleet", "merge", "--json", "--tolerance", "25%",
                                        "--force", "-o", out, a100_files[0], a100_files[1],
                                        a100_files[2], NULL},
                  NULL);
    expect_status(&r, 0, "fleet merge --json");
    assert_string_equal(r.err, "");
    f = fleet_loadb(&err, r.out, strlen(r.out), "stdout");
    if (f == NULL)
        fail_msg("stdout: %s", err.msg);
    check_close(json_real_value(json_object_get(f, "tolerance")), 0.25, 0, "tolerance", 0);
    assert_int_equal(json_array_size(json_object_get(f, "flags")), 0);
    json_decref(f);
}

/* A bad input: exit 1, the file named, the output as it was (or still absent). */
static void test_cli_merge_writes_nothing(void **state)
{
    static const struct {
        const char *file;
        const char *want;
    } cases[] = {
        {FX "fleet-bad-syntax.json", "gpushare: error: '" FX "fleet-bad-syntax.json' line 15"},
        {FX "fleet-bad-schema.json", "gpushare: error: '" FX "fleet-bad-schema.json': tests[0]"},
        {FX "fleet-missing.json", "cannot open '" FX "fleet-missing.json'"},
        {FX "fleet-bad-duplicate.json",
         "'" FX "fleet-bad-duplicate.json': test 'streams.gemm.bf16.n1024' is also in '" FX
         "fleet-a100-node1.json'"},
        {FX "results-good-minimal.json", "'" FX "results-good-minimal.json': no GPU"},
    };
    struct sandbox *s = *state;
    char out[128], fresh[128];
    struct proc r;

    snprintf(out, sizeof(out), "%s/fleet.json", s->dir);
    snprintf(fresh, sizeof(fresh), "%s/new.json", s->dir);
    for (size_t i = 0; i < COUNT(cases); i++) {
        write_text(out, OLD_TEXT);
        proc_gpushare(&r,
                      (const char *const[]){"fleet", "merge", "--force", "-o", out, a100_files[0],
                                            cases[i].file, a100_files[1], NULL},
                      NULL);
        expect_status(&r, 1, cases[i].file);
        expect_in(r.err, cases[i].want, cases[i].file);
        expect_file(out, OLD_TEXT);
        proc_gpushare(&r,
                      (const char *const[]){"fleet", "merge", "-o", fresh, cases[i].file,
                                            a100_files[0], NULL},
                      NULL);
        expect_status(&r, 1, cases[i].file);
        if (exists(fresh))
            fail_msg("case %zu: '%s' was created", i, fresh);
    }
    // Nothing else is left in the directory either (no temporary file).
    {
        DIR *d = opendir(s->dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
            n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        assert_int_equal(n, 1);
    }
}

static void test_cli_usage(void **state)
{
    static const struct {
        const char *args[8];
        int status;
        const char *want_out;
        const char *want_err;
    } cases[] = {
        {{"fleet", "--help", NULL}, 0, "merge  merge per-node results documents", NULL},
        {{"fleet", "merge", "--help", NULL}, 0, "--tolerance PCT", NULL},
        {{"help", "fleet", NULL}, 0, "merge", NULL},
        {{"fleet", NULL}, 2, NULL, "which subcommand? expected merge"},
        {{"fleet", "split", NULL}, 2, NULL, "unknown subcommand 'split'"},
        {{"fleet", "merge", FX "fleet-a100-node1.json", NULL}, 2, NULL, "pass -o FILE"},
        {{"fleet", "merge", "-o", "/tmp/x.json", NULL}, 2, NULL, "pass one or more FILES"},
        {{"fleet", "merge", "-o", NULL}, 2, NULL, "option '-o' needs a value"},
        {{"fleet", "merge", "--tolerance", "0", "-o", "x", "y", NULL}, 2, NULL, "above 0"},
        {{"fleet", "merge", "--tolerance", "ten", "-o", "x", "y", NULL}, 2, NULL, "--tolerance"},
        {{"fleet", "merge", "--bogus", NULL}, 2, NULL, "unknown option '--bogus'"},
        {{"fleet", "merge", "-o", FX "fleet-a100-node1.json", FX "fleet-a100-node1.json", NULL},
         2,
         NULL,
         "is one of the inputs"},
    };
    struct proc r;

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char what[64];

        snprintf(what, sizeof(what), "usage case %zu", i);
        proc_gpushare(&r, cases[i].args, NULL);
        expect_status(&r, cases[i].status, what);
        if (cases[i].want_out != NULL)
            expect_in(r.out, cases[i].want_out, what);
        if (cases[i].want_err != NULL)
            expect_in(r.err, cases[i].want_err, what);
    }
}

/* The repro of issue 12: a GPU's MPS run and its contention run are one node, not a clash;
 * its streams run and a repeat of it measure the same tests and are refused. */
static void test_cli_merge_one_gpu(void **state)
{
    static const char mps[] = "results/2026-11-24-h100-mps.json";
    static const char contention[] = "results/2026-11-24-h100-mps-contention.json";
    struct sandbox *s = *state;
    struct error err = {0};
    char out[128], *before, *after;
    size_t len;
    struct proc r;
    json_t *f, *nd;

    snprintf(out, sizeof(out), "%s/f.json", s->dir);
    proc_gpushare(&r, (const char *const[]){"fleet", "merge", "-o", out, mps, contention, NULL},
                  NULL);
    expect_status(&r, 0, "one GPU, two documents");
    expect_in(r.err, "': 1 node from 2 documents, 1 model, 0 flags\n", "progress");
    expect_in(r.out, "nodes (1):", "table");
    // The earlier run first; the tests column counts both documents' tests (22 + 27).
    expect_in(r.out, "   49  results/2026-11-24-h100-mps-contention.json\n", "table");
    expect_in(r.out, "and 'results/2026-11-24-h100-mps.json': 27 tests of bench mps", "table");
    f = fleet_load(&err, out);
    if (f == NULL)
        fail_msg("fleet_load: %s", err.msg);
    nd = json_array_get(json_object_get(f, "nodes"), 0);
    assert_string_equal(jstr(nd, "id"), "vm");
    assert_string_equal(jstr(nd, "file"), contention);
    assert_int_equal(json_array_size(json_object_get(nd, "more_sources")), 1);
    json_decref(f);

    before = slurp(out, &len);
    assert_non_null(before);
    proc_gpushare(&r,
                  (const char *const[]){"fleet", "merge", "--force", "-o", out,
                                        "results/2026-11-24-h100-streams.json",
                                        "results/2026-11-24-h100-streams-repeat.json", NULL},
                  NULL);
    expect_status(&r, 1, "a real duplicate");
    expect_in(r.err,
              "gpushare: error: 'results/2026-11-24-h100-streams-repeat.json': test "
              "'streams.kernels.calibration' is also in 'results/2026-11-24-h100-streams.json' "
              "(host 'vm', GPU-e52a4d4a-0586-66cb-5526-7d47df5866b2): one figure per test and "
              "GPU\n",
              "a real duplicate");
    after = slurp(out, &len);
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* Names in dir other than . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* -o a directory: refused up front, naming it, with or without --force, nothing left behind.
 * -o an existing file: refused without --force and left as it was; replaced with it. */
static void test_cli_out_rules(void **state)
{
    struct sandbox *s = *state;
    char dir[128], out[128], want[256];
    struct error err = {0};
    struct proc r;
    json_t *f;

    snprintf(dir, sizeof(dir), "%s/adir", s->dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(want, sizeof(want),
             "gpushare: error: '%s' is a directory: expected a file to write\nusage: gpushare "
             "fleet merge ",
             dir);
    for (int force = 0; force < 2; force++) {
        proc_gpushare(&r,
                      (const char *const[]){"fleet", "merge", force ? "--force" : "--json", "-o",
                                            dir, a100_files[0], NULL},
                      NULL);
        expect_status(&r, 2, "-o a directory");
        expect_in(r.err, want, "-o a directory");
        expect_not_in(r.err, "rename", "-o a directory");
        assert_string_equal(r.out, "");
    }
    assert_int_equal(entries(dir), 0);
    assert_int_equal(entries(s->dir), 1);

    snprintf(out, sizeof(out), "%s/fleet.json", s->dir);
    write_text(out, OLD_TEXT);
    proc_gpushare(&r, (const char *const[]){"fleet", "merge", "-o", out, a100_files[0], NULL},
                  NULL);
    expect_status(&r, 1, "-o existing");
    snprintf(want, sizeof(want), "gpushare: error: '%s' exists: pass --force to replace it\n", out);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    expect_file(out, OLD_TEXT);
    proc_gpushare(&r, (const char *const[]){"fleet", "merge", "-f", "-o", out, a100_files[0], NULL},
                  NULL);
    expect_status(&r, 0, "-o existing --force");
    f = fleet_load(&err, out);
    if (f == NULL)
        fail_msg("fleet_load: %s", err.msg);
    json_decref(f);
    assert_int_equal(entries(s->dir), 2);
}

/* One dispatch table: fleet's help lists it; merge's help is merge's own usage. */
static void test_cli_help(void **state)
{
    static const char merge_usage[] =
        "usage: gpushare fleet merge [--tolerance PCT] [--json] [--force] -o FILE FILES...\n";
    static const char *const merge_help[][4] = {
        {"fleet", "merge", "--help", NULL},
        {"fleet", "merge", "-h", NULL},
        {"help", "fleet", NULL, NULL},
    };
    struct proc r;

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        proc_gpushare(&r, merge_help[i], NULL);
        expect_status(&r, 0, merge_help[i][2]);
        if (strncmp(r.out, merge_usage, strlen(merge_usage)) != 0)
            fail_msg("%s: stdout does not start with merge's usage:\n%s", merge_help[i][2], r.out);
        expect_in(r.out, "  -f, --force         replace an existing FILE", "merge help");
        expect_not_in(r.out, "SUBCOMMAND", "merge help");
    }
    proc_gpushare(&r, merge_help[2], NULL);
    expect_status(&r, 0, "help fleet");
    expect_in(r.out, "usage: gpushare fleet SUBCOMMAND [OPTIONS]", "help fleet");
    expect_in(r.out,
              "subcommands:\n  merge  merge per-node results documents into a fleet document",
              "help fleet");
}

/* Offset of needle in the line of text that begins with start; -1 when there is none. */
static long column_of(const char *text, const char *start, const char *needle)
{
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n'), *hit;

        if (end == NULL)
            end = line + strlen(line);
        if (strncmp(line, start, strlen(start)) == 0) {
            hit = strstr(line, needle);
            return hit != NULL && hit < end ? (long)(hit - line) : -1;
        }
        line = *end == '\n' ? end + 1 : end;
    }
    return -1;
}

/* Counts agree in number; the node column is as wide as its widest id. */
static void test_cli_counts_and_table(void **state)
{
    static const double v[] = {1.0};
    static const char long_host[] = "a-node-with-a-rather-long-host-name.cluster.example";
    struct sandbox *s = *state;
    char out[128], a[128], b[128];
    struct error err = {0};
    struct proc r;
    json_t *da, *db;
    long head;

    snprintf(out, sizeof(out), "%s/fleet.json", s->dir);
    snprintf(a, sizeof(a), "%s/a.json", s->dir);
    snprintf(b, sizeof(b), "%s/b.json", s->dir);
    da = make_doc(long_host, A100, "GPU-w1", "t", "higher", v, 1);
    db = make_doc("n1", A100, "GPU-w2", "t", "higher", v, 1);
    assert_int_equal(results_write(&err, da, a), 0);
    assert_int_equal(results_write(&err, db, b), 0);
    json_decref(da);
    json_decref(db);

    proc_gpushare(&r, (const char *const[]){"fleet", "merge", "-o", out, b, NULL}, NULL);
    expect_status(&r, 0, "one document");
    expect_in(r.err, "fleet: reading 1 document\n", "singular");
    expect_in(r.err, "': 1 node from 1 document, 1 model, 0 flags\n", "singular");
    expect_in(r.out, "1 GPU   too few peers", "singular");

    proc_gpushare(&r, (const char *const[]){"fleet", "merge", "--force", "-o", out, a, b, NULL},
                  NULL);
    expect_status(&r, 0, "two documents");
    expect_in(r.err, "': 2 nodes from 2 documents, 1 model, 0 flags\n", "plural");
    head = column_of(r.out, "  node ", "model");
    assert_true(head > (long)strlen(long_host));
    assert_int_equal(column_of(r.out, "  n1 ", A100), head);
    assert_int_equal(column_of(r.out, "  a-node-with", A100), head);
    // The UUID line under each node starts where the model does.
    assert_int_equal(column_of(r.out, "   ", "GPU-w1"), head);
}

/* Writes a fleet of n made A100 documents (or of model) to path. */
static void write_fleet(const char *path, size_t n, const char *model)
{
    static const double v[] = {1.0};
    json_t *docs[8], *f;
    struct fleet_input in[8];
    struct error err = {0};

    char hosts[8][32];

    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        char uuid[48];

        snprintf(hosts[i], sizeof(hosts[i]), "n%zu", i);
        snprintf(uuid, sizeof(uuid), "GPU-plan-%zu", i);
        docs[i] = make_doc(hosts[i], model, uuid, "t", "higher", v, 1);
        in[i] = (struct fleet_input){hosts[i], docs[i]};
    }
    f = merge_ok(in, n, 0.10);
    assert_int_equal(results_write(&err, f, path), 0);
    json_decref(f);
    release(docs, n);
}

static void test_cli_plan_fleet(void **state)
{
    struct sandbox *s = *state;
    char four[128], six[128], l4[128], mixed[128];
    struct proc r;
    json_t *j;
    json_error_t jerr;

    snprintf(four, sizeof(four), "%s/four.json", s->dir);
    snprintf(six, sizeof(six), "%s/six.json", s->dir);
    snprintf(l4, sizeof(l4), "%s/l4.json", s->dir);
    snprintf(mixed, sizeof(mixed), "%s/mixed.json", s->dir);
    write_fleet(four, 4, A100);
    write_fleet(six, 6, A100);
    write_fleet(l4, 3, "NVIDIA L4");

    // 40 models on A100-80GB: MIG alone needs 6 of them, which 4 do not hold; MPS inside MIG
    // slices fits on one, and that alternative is the answer (exit 0). 6 hold MIG alone.
    proc_gpushare(&r,
                  (const char *const[]){"mig", "plan", FX "demands-good-40-models.yaml", "--fleet",
                                        four, NULL},
                  NULL);
    expect_status(&r, 0, "plan on four");
    expect_in(r.out, "4 x " A100 " (A100-80GB) on n0, n1, n2, n3", "plan on four");
    expect_in(r.out,
              "MIG needs 6 x A100-80GB (one replica per instance); the fleet has 4: does "
              "not fit",
              "plan on four");
    expect_in(r.out, "MPS inside MIG slices fits on one A100-80GB", "plan on four");
    proc_gpushare(&r,
                  (const char *const[]){"mig", "plan", FX "demands-good-40-models.yaml", "--fleet",
                                        six, NULL},
                  NULL);
    expect_status(&r, 0, "plan on six");
    expect_in(r.out, "the fleet has 6: it fits", "plan on six");
    proc_gpushare(&r,
                  (const char *const[]){"mig", "plan", FX "demands-good-40-models.yaml", "--fleet",
                                        six, "--json", NULL},
                  NULL);
    expect_status(&r, 0, "plan --json");
    j = json_loads(r.out, 0, &jerr);
    if (j == NULL)
        fail_msg("plan --json: %s\n%s", jerr.text, r.out);
    assert_string_equal(jstr(j, "chosen"), "A100-80GB");
    assert_true(json_is_true(json_object_get(j, "fits_in_fleet")));
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(j, "models"), 0), "gpus_needed")),
                     6);
    json_decref(j);

    // Small demands fit on one GPU.
    proc_gpushare(&r, (const char *const[]){"mig", "plan", "a:10gb,b:20gb", "--fleet", four, NULL},
                  NULL);
    expect_status(&r, 0, "small plan");
    expect_in(r.out, "fits on one A100-80GB", "small plan");
    expect_in(r.out, "the plan needs 1 x A100-80GB; the fleet has 4: it fits", "small plan");

    // Refusals: both --gpu and --fleet, --fleet elsewhere, no MIG model, a results document.
    proc_gpushare(
        &r,
        (const char *const[]){"mig", "plan", "a:10gb", "--fleet", four, "--gpu", "A100-80GB", NULL},
        NULL);
    expect_status(&r, 2, "--gpu and --fleet");
    expect_in(r.err, "--gpu and --fleet", "--gpu and --fleet");
    proc_gpushare(&r, (const char *const[]){"mig", "layouts", "--fleet", four, NULL}, NULL);
    expect_status(&r, 2, "layouts --fleet");
    proc_gpushare(&r, (const char *const[]){"mig", "plan", "a:10gb", "--fleet", l4, NULL}, NULL);
    expect_status(&r, 2, "L4 fleet");
    expect_in(r.err, "'NVIDIA L4', has no MIG profile in the catalog", "L4 fleet");
    proc_gpushare(
        &r, (const char *const[]){"mig", "plan", "a:10gb", "--fleet", a100_files[0], NULL}, NULL);
    expect_status(&r, 1, "results doc as fleet");
    expect_in(r.err, "reads \"gpushare.fleet/1\"", "results doc as fleet");

    // Several models: each reported; the one needing the fewest GPUs is planned.
    proc_gpushare(&r,
                  (const char *const[]){"fleet", "merge", "-o", mixed, a100_files[0],
                                        FX "fleet-h100-node5.json", FX "fleet-h100-node6.json",
                                        NULL},
                  NULL);
    expect_status(&r, 0, "mixed merge");
    proc_gpushare(&r, (const char *const[]){"mig", "plan", "a:30gbx4", "--fleet", mixed, NULL},
                  NULL);
    expect_status(&r, 0, "mixed plan");
    expect_in(r.out, "1 x " A100 " (A100-80GB) on node-1", "mixed plan");
    expect_in(r.out, "2 x " H100 " (H100-80GB) on node-5, node-6", "mixed plan");
    expect_in(r.out, "plan for H100-80GB (chosen of 2 models: fits in the fleet, then fewest GPUs)",
              "mixed plan");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_flags_the_slow_gpu),
        cmocka_unit_test(test_merge_order_and_tolerance),
        cmocka_unit_test(test_merge_direction),
        cmocka_unit_test(test_merge_too_few_peers),
        cmocka_unit_test(test_merge_shared_host),
        cmocka_unit_test(test_merge_refusals),
        cmocka_unit_test(test_merge_one_gpu_several_documents),
        cmocka_unit_test(test_merge_one_gpu_refusals),
        cmocka_unit_test(test_check_refusals),
        cmocka_unit_test(test_check_more_sources),
        cmocka_unit_test_setup_teardown(test_write_and_load, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cli_merge, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cli_merge_writes_nothing, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_cli_usage),
        cmocka_unit_test_setup_teardown(test_cli_merge_one_gpu, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cli_out_rules, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_cli_help),
        cmocka_unit_test_setup_teardown(test_cli_counts_and_table, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cli_plan_fleet, tmp_setup, tmp_teardown),
    };

    return cmocka_run_group_tests_name("fleet", tests, NULL, NULL);
}
