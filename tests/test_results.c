/*
 * Unit tests of the results document (src/results/results.c) and of the gpu info JSON
 * mapping (src/results/info_json.c): round trips, byte stability, the atomic writer, and the
 * checker's refusals, each with the message a user would see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bounds.h"
#include "gpu/info.h"
#include "results/doccheck.h"
#include "results/info_json.h"
#include "results/results.h"
#include "version.h"

#define OUT_DIR "build/test-out"
#define ROUNDTRIP_PATH OUT_DIR "/roundtrip.json"

/* Where the unit tests leave documents for tools/validate-json.sh to check. */
static void make_out_dir(void)
{
    assert_true(mkdir("build", 0755) == 0 || errno == EEXIST);
    assert_true(mkdir(OUT_DIR, 0755) == 0 || errno == EEXIST);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- fixtures built in code ---- */

/* An H100 SXM as `gpushare info` would see it, with a few fields NVML does not answer. */
static void fake_h100(struct gpu_info *g)
{
    struct mig_gi_profile *p;

    memset(g, 0, sizeof(*g));
    g->device_index = 0;
    snprintf(g->name, sizeof(g->name), "NVIDIA H100 80GB HBM3");
    snprintf(g->uuid, sizeof(g->uuid), "GPU-5b4a8f52-3c1e-7d2f-9a0b-1c2d3e4f5a6b");
    snprintf(g->pci_bus_id, sizeof(g->pci_bus_id), "00000000:19:00.0");
    snprintf(g->driver_version, sizeof(g->driver_version), "580.95.05");
    g->cuda_driver_version = 13000;
    g->cuda_runtime_version = 12080;
    g->cc_major = 9;
    g->cc_minor = 0;
    g->sm_count = 132;
    g->has_memory = true;
    g->memory_total_bytes = 85520809984ull;
    g->memory_free_bytes = 84825604096ull;
    g->l2_bytes = 52428800;
    g->copy_engines = 3;
    g->max_threads_per_sm = 2048;
    g->smem_per_sm_bytes = 233472;
    g->smem_per_block_optin_bytes = 232448;
    g->priority_least = 0;
    g->priority_greatest = -5;
    g->pcie.has_gen_current = false; // NVML may not answer on an idle link
    g->pcie.has_gen_max = true;
    g->pcie.gen_max = 5;
    g->pcie.has_width_current = true;
    g->pcie.width_current = 16;
    g->pcie.has_width_max = true;
    g->pcie.width_max = 16;
    g->has_compute_mode = true;
    snprintf(g->compute_mode, sizeof(g->compute_mode), "Default");
    g->has_persistence = false;
    g->mig.supported = true;
    g->mig.has_mode = true;
    g->mig.current_enabled = false;
    g->mig.pending_enabled = true;
    g->mig.n_profiles = 2;
    p = &g->mig.profiles[0];
    p->index = 0;
    p->id = 19;
    snprintf(p->name, sizeof(p->name), "MIG 1g.10gb");
    p->slices = 1;
    p->instances = 7;
    p->sms = 16;
    p->copy_engines = 1;
    p->decoders = 1;
    p->jpegs = 1;
    p->memory_mib = 9856;
    p->n_placements = 7;
    for (unsigned i = 0; i < 7; i++) {
        p->placements[i].start = i;
        p->placements[i].size = 1;
    }
    p = &g->mig.profiles[1];
    p->index = 4;
    p->id = 0;
    snprintf(p->name, sizeof(p->name), "MIG 7g.80gb");
    p->slices = 7;
    p->instances = 1;
    p->sms = 132;
    p->copy_engines = 7;
    p->decoders = 7;
    p->jpegs = 7;
    p->ofas = 1;
    p->memory_mib = 80896;
    p->n_placements = 1;
    p->placements[0].start = 0;
    p->placements[0].size = 8;
    snprintf(g->mps.pipe_dir, sizeof(g->mps.pipe_dir), "/tmp/nvidia-mps");
    g->mps.answers = false;
    g->mps.has_pid = false;
    snprintf(g->mps.detail, sizeof(g->mps.detail), "no control pipe at '/tmp/nvidia-mps'");
}

/* argv is char *const *: writable storage, as the real argv is. */
static char fixed_args[][16] = {"gpushare", "bench", "streams", "--out", "r.json"};
static char *const fixed_argv[] = {fixed_args[0], fixed_args[1], fixed_args[2], fixed_args[3],
                                   fixed_args[4]};

static const struct run_meta fixed_meta = {
    .tool_version = "0.1.0",
    .git_commit = "0123456789abcdef0123456789abcdef01234567",
    .git_dirty = 1,
    .utc_time = "2026-11-24T02:30:00Z",
    .host = "test-host",
    .command = "bench streams",
    .argc = 5,
    .argv = fixed_argv,
};

/* A document with every optional part: two tests, series, bound, derived, a skip. */
static json_t *build_doc(void)
{
    static const double speedup[] = {1.31, 1.29, 1.33, 1.30, 1.3};
    static const double serial[] = {2.0, 2.1, 1.9};
    static const double concurrent[] = {1.5, 1.6, 1.55};
    static const double bw[] = {25.1, 24.9, 25.0, 25.3};
    struct error err = {0};
    struct gpu_info g;
    json_t *doc, *t;

    fake_h100(&g);
    doc = results_new(&fixed_meta, gpu_info_to_json(&g));
    t = results_add_test(doc, "streams.gemm.bf16.n256", "streams.gemm",
                         "bf16 GEMM n=256, 2 streams");
    assert_non_null(t);
    results_param_int(t, "n", 256);
    results_param_num(t, "waves", 0.4848484848484849);
    results_param_str(t, "dtype", "bf16");
    assert_int_equal(results_metric(&err, t, "speedup", "x", "higher", speedup, 5), 0);
    assert_int_equal(results_series(&err, t, "serial_ms", "ms", serial, 3), 0);
    assert_int_equal(results_series(&err, t, "concurrent_ms", "ms", concurrent, 3), 0);
    results_bound(t, bound_gemm_two_streams(0.4848484848484849), "x", "upper",
                  "wave quantisation: 2 ceil(w) / ceil(2w), w = 0.485");
    results_derived(t, "efficiency", 1.31 / 2.0);
    results_derived(t, "unmeasurable", NAN);
    results_derived_str(t, "note", "cuBLASLt heuristic tile 128x128");
    results_verdict(t, VERDICT_MEETS, "speedup >= 0.8 x bound", "1.31 x of 2 x");

    t = results_add_test(doc, "copy.h2d.pinned", "copy", "pinned host-to-device copy");
    assert_int_equal(results_metric(&err, t, "bandwidth", "GB/s", "higher", bw, 4), 0);
    results_verdict(t, VERDICT_INFO, "", "no bar applies");
    results_skip(doc, "mps", "no MPS control daemon answered at '/tmp/nvidia-mps'");
    return doc;
}

/* ---- tests ---- */

static void test_verdict_names_match_docs(void **state)
{
    (void)state;
    // docs/results.md and the schema spell the statuses so.
    assert_string_equal(verdict_name(VERDICT_INFO), "info");
    assert_string_equal(verdict_name(VERDICT_MEETS), "meets");
    assert_string_equal(verdict_name(VERDICT_MISSES), "misses");
}

static void test_roundtrip(void **state)
{
    struct error err = {0};
    json_t *doc = build_doc(), *back;

    (void)state;
    make_out_dir();
    assert_int_equal(results_check(&err, doc, "built"), 0);
    assert_int_equal(results_write(&err, doc, ROUNDTRIP_PATH), 0);
    back = results_load(&err, ROUNDTRIP_PATH);
    if (back == NULL)
        fail_msg("%s", err.msg);
    assert_true(json_equal(doc, back));
    // Spot checks of the mapping itself.
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(back, "info"), "cuda_runtime_version")),
        "12.8");
    assert_true(json_is_null(
        json_object_get(json_object_get(json_object_get(back, "info"), "pcie"), "gen_current")));
    assert_true(json_is_null(json_object_get(
        json_object_get(json_array_get(json_object_get(back, "tests"), 0), "derived"),
        "unmeasurable")));
    json_decref(back);
    json_decref(doc);
}

static void test_byte_stable(void **state)
{
    struct error err = {0};
    json_t *doc = build_doc(), *back;
    char *a, *b, *dumped;
    size_t la, lb;

    (void)state;
    make_out_dir();
    assert_int_equal(results_write(&err, doc, ROUNDTRIP_PATH), 0);
    a = read_all(ROUNDTRIP_PATH, &la);
    // Written again from what was read: the loaded tree serialises to the same bytes.
    back = results_load(&err, ROUNDTRIP_PATH);
    assert_non_null(back);
    assert_int_equal(results_write(&err, back, ROUNDTRIP_PATH), 0);
    b = read_all(ROUNDTRIP_PATH, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la > 0 && a[la - 1] == '\n');
    dumped = json_dumps(doc, JS_DUMP_FLAGS);
    assert_non_null(dumped);
    assert_int_equal(strlen(dumped) + 1, la);
    assert_memory_equal(dumped, a, la - 1);
    free(dumped);
    free(a);
    free(b);
    json_decref(back);
    json_decref(doc);
}

static void test_defaults(void **state)
{
    struct error err = {0};
    json_t *doc = results_new(NULL, NULL);
    json_t *tool = json_object_get(doc, "tool");

    (void)state;
    assert_int_equal(results_check(&err, doc, "defaults"), 0);
    assert_string_equal(json_string_value(json_object_get(tool, "version")), GPUSHARE_VERSION);
    assert_string_equal(json_string_value(json_object_get(tool, "git_commit")),
                        GPUSHARE_GIT_COMMIT);
    assert_true(json_is_null(json_object_get(doc, "info")));
    assert_true(json_string_length(json_object_get(json_object_get(doc, "run"), "host")) > 0);
    json_decref(doc);
}

static void test_builder_refusals(void **state)
{
    static const double with_nan[] = {1.0, NAN, 2.0};
    static const double with_inf[] = {1.0, INFINITY};
    static const double with_huge[] = {1.0, -1e301};
    static const double ok[] = {1.0, 2.0};
    struct error err = {0};
    json_t *doc = results_new(&fixed_meta, NULL);
    json_t *t = results_add_test(doc, "t", "g", "title");

    (void)state;
    assert_int_equal(results_metric(&err, t, "m", "ms", "lower", with_nan, 3), -1);
    assert_int_equal(err.code, ERR_INVALID);
    assert_non_null(strstr(err.msg, "sample 1 of 'm' is not finite or beyond 1e+300 (nan)"));
    assert_int_equal(results_metric(&err, t, "m", "ms", "lower", with_inf, 2), -1);
    assert_non_null(strstr(err.msg, "not finite"));
    assert_int_equal(results_metric(&err, t, "m", "ms", "lower", with_huge, 2), -1);
    assert_non_null(strstr(err.msg, "sample 1 of 'm' is not finite or beyond"));
    assert_int_equal(results_metric(&err, t, "m", "ms", "lower", ok, 0), -1);
    assert_non_null(strstr(err.msg, "no samples"));
    assert_int_equal(results_metric(&err, t, "m", "ms", "up", ok, 2), -1);
    assert_non_null(strstr(err.msg, "'higher' or 'lower'"));
    assert_null(json_object_get(t, "samples")); // nothing half-recorded
    assert_int_equal(results_series(&err, t, "s", "ms", with_nan, 3), -1);
    assert_null(json_object_get(t, "series"));
    assert_int_equal(results_metric(&err, t, "m", "ms", "lower", ok, 2), 0);
    assert_int_equal(results_metric(&err, t, "m", "ms", "lower", ok, 2), -1);
    assert_non_null(strstr(err.msg, "already has a metric"));
    assert_int_equal(results_series(&err, t, "s", "ms", ok, 2), 0);
    assert_int_equal(results_series(&err, t, "s", "ms", ok, 2), -1);
    assert_non_null(strstr(err.msg, "already has a series 's'"));
    results_bound(t, INFINITY, "ms", "lower", "none");
    assert_true(json_is_null(json_object_get(json_object_get(t, "bound"), "value")));
    results_param_num(t, "nan", NAN);
    assert_true(json_is_null(json_object_get(json_object_get(t, "params"), "nan")));
    results_verdict(t, VERDICT_MISSES, "c", "d");
    assert_int_equal(results_check(&err, doc, "x"), 0);
    // Builders on something that is not a test do nothing rather than crash.
    results_param_int(NULL, "k", 1);
    results_verdict(NULL, VERDICT_INFO, "c", "d");
    assert_int_equal(results_metric(&err, NULL, "m", "ms", "lower", ok, 2), -1);
    assert_null(results_add_test(t, "a", "b", "c"));
    json_decref(doc);
}

static void test_values(void **state)
{
    static const struct {
        const char *in;
        const char *want;
    } strings[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"a\xff"
         "b",
         "a?b"},
        {"\xc0\xaf", "??"},      // overlong '/'
        {"\xed\xa0\x80", "???"}, // a surrogate
        {"\xe2\x82", "??"},      // cut short
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    };
    json_t *j;

    (void)state;
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        j = js_string(strings[i].in);
        assert_string_equal(json_string_value(j), strings[i].want);
        json_decref(j);
    }
    j = js_string(NULL);
    assert_string_equal(json_string_value(j), "");
    json_decref(j);
    j = js_real(0.1 + 0.2);
    assert_true(json_real_value(j) == 0.3);
    json_decref(j);
    j = js_real(NAN);
    assert_true(json_is_null(j));
    json_decref(j);
    j = js_real(-INFINITY);
    assert_true(json_is_null(j));
    json_decref(j);
    j = js_real(1.7976931348623157e308); // would round past DBL_MAX when written
    assert_true(json_is_null(j));
    json_decref(j);
    j = js_real(-1e300);
    assert_true(json_real_value(j) == -1e300);
    json_decref(j);
}

static void test_info_roundtrip(void **state)
{
    struct gpu_info cases[4], back;
    struct error err = {0};

    (void)state;
    fake_h100(&cases[0]);
    memset(&cases[1], 0, sizeof(cases[1])); // nothing known: every optional field null
    fake_h100(&cases[2]);
    cases[2].mig.supported = false;
    cases[2].mig.has_mode = false;
    cases[2].mig.n_profiles = 0;
    cases[2].has_memory = false;
    cases[2].mps.answers = true;
    cases[2].mps.has_pid = true;
    cases[2].mps.daemon_pid = 4242;
    cases[2].has_persistence = true;
    cases[2].persistence_enabled = true;
    cases[2].pcie.has_gen_max = false;
    fake_h100(&cases[3]);
    cases[3].mig.n_profiles = INFO_MAX_MIG_PROFILES;
    for (unsigned i = 2; i < INFO_MAX_MIG_PROFILES; i++) {
        cases[3].mig.profiles[i] = cases[3].mig.profiles[0];
        cases[3].mig.profiles[i].n_placements = INFO_MAX_PLACEMENTS;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j1 = gpu_info_to_json(&cases[i]), *j2;

        if (gpu_info_from_json(&err, j1, &back) < 0)
            fail_msg("case %zu: %s", i, err.msg);
        j2 = gpu_info_to_json(&back);
        assert_true(json_equal(j1, j2));
        json_decref(j1);
        json_decref(j2);
    }
    assert_int_equal(back.mig.n_profiles, INFO_MAX_MIG_PROFILES);
    fake_h100(&cases[0]);
    {
        json_t *j = gpu_info_to_json(&cases[0]);
        json_t *pcie = json_object_get(j, "pcie");

        // Gen5 x16: 32 GT/s x 16 lanes x 128/130 / 8 bits.
        assert_true(fabs(json_real_value(json_object_get(pcie, "max_gbps_per_direction")) -
                         63.01538462) < 1e-6);
        assert_int_equal(gpu_info_from_json(&err, j, &back), 0);
        assert_string_equal(back.name, "NVIDIA H100 80GB HBM3");
        assert_int_equal(back.cuda_driver_version, 13000);
        assert_int_equal(back.mig.profiles[1].placements[0].size, 8);
        assert_false(back.pcie.has_gen_current);
        assert_true(back.mig.pending_enabled);
        json_decref(j);
    }
}

/* Sets (or with value NULL deletes) the member at a dotted path; numbers index arrays. */
static void mutate(json_t *root, const char *path, const char *value)
{
    char buf[256], *seg, *next;
    json_t *parent = root, *v = NULL;

    snprintf(buf, sizeof(buf), "%s", path);
    seg = buf;
    for (next = strchr(seg, '.'); next != NULL; next = strchr(seg, '.')) {
        *next = '\0';
        parent = json_is_array(parent) ? json_array_get(parent, strtoul(seg, NULL, 10))
                                       : json_object_get(parent, seg);
        assert_non_null(parent);
        seg = next + 1;
    }
    if (value != NULL) {
        v = json_loads(value, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
    }
    if (json_is_array(parent)) {
        size_t i = strtoul(seg, NULL, 10);

        assert_int_equal(v ? json_array_set_new(parent, i, v) : json_array_remove(parent, i), 0);
    } else {
        assert_int_equal(v ? json_object_set_new(parent, seg, v) : json_object_del(parent, seg), 0);
    }
}

static void test_check_rejects(void **state)
{
    static const struct {
        const char *path;
        const char *value; /* JSON text; NULL deletes */
        const char *want;  /* substring of the message */
    } cases[] = {
        {"schema", NULL, "'t.json': missing \"schema\""},
        {"schema", "\"gpushare.results/2\"", "\"schema\" is \"gpushare.results/2\" but"},
        {"schema", "1", "\"schema\" must be a string, not an integer"},
        {"tests.1.id", "\"streams.gemm.bf16.n256\"", "duplicate test id (also tests[0])"},
        {"tests.0.summary.n", "4",
         "'t.json': tests[0] ('streams.gemm.bf16.n256'): \"summary.n\" is 4 but there are 5 "
         "samples"},
        {"tests.0.summary.min", "1.32", "\"summary.min\" (1.32) is above \"summary.p10\""},
        {"tests.0.summary.median", "0.5", "\"summary.p10\" (1.294) is above \"summary.median\""},
        {"tests.0.summary.min", "1.0", "\"summary.min\" is 1 but the smallest sample is 1.29"},
        {"tests.0.summary.mean", "9.0", "\"summary.mean\" (9) is outside [min, max]"},
        {"tests.0.verdict.status", "\"pass\"",
         "\"verdict.status\" must be \"info\", \"meets\" or \"misses\", not \"pass\""},
        {"tests.0.verdict", NULL, "missing \"verdict\""},
        {"tests.0.title", "42", "\"title\" must be a string, not an integer"},
        {"tests.0.samples.2", "\"1.3\"", "\"samples[2]\" must be a number, not a string"},
        {"tests.0.samples", "[]", "\"samples\" must not be empty"},
        {"tests.0.metric.better", "\"up\"", "\"metric.better\" must be \"higher\" or \"lower\""},
        {"tests.0.metric.unit", "\"\"", "\"metric.unit\" must not be empty"},
        {"tests.0.bound.kind", "\"exact\"", "\"bound.kind\" must be \"upper\" or \"lower\""},
        {"tests.0.params.dtype", "[1]",
         "\"params.dtype\" must be a number, string, boolean or null, not an array"},
        {"tests.0.derived.x", "{}", "\"derived.x\" must be a number, string, boolean or null"},
        {"tests.0.series.serial_ms.summary.n", "2", "\"series.serial_ms.summary.n\" is 2"},
        {"tests.0.series.serial_ms.unit", NULL, "missing \"series.serial_ms.unit\""},
        {"tests.0.speedup", "1", "unknown key \"speedup\""},
        {"tests.1", "[]", "tests[1]: must be an object, not an array"},
        {"tests", "{}", "\"tests\" must be an array"},
        {"run.utc", "\"2026-02-30T00:00:00Z\"", "\"run.utc\" is \"2026-02-30T00:00:00Z\", not"},
        {"run.utc", "\"2026-11-24T02:30:00+01:00\"", "not an RFC 3339 UTC time"},
        {"run.argv.1", "null", "\"run.argv[1]\" must be a string, not null"},
        {"tool.name", "\"other\"", "\"tool.name\" is \"other\", not \"gpushare\""},
        {"tool.git_dirty", "0", "\"tool.git_dirty\" must be a boolean"},
        {"extra", "1", "unknown key \"extra\""},
        {"skipped.0.why", NULL, "skipped[0]: missing \"why\""},
        {"info.sm_count", "\"132\"", "\"info.sm_count\" must be an integer, not a string"},
        {"info.sm_count", "-1", "\"info.sm_count\" is -1, out of range"},
        {"info.mig.current", "null", "must both be null or both be set"},
        {"info.mig.gpu_instance_profiles.0.placements.0.size", "true",
         "\"info.mig.gpu_instance_profiles[0].placements[0].size\" must be an integer"},
        {"info.cuda_driver_version", "\"13\"", "not a version \"major.minor\""},
        {"info.persistence_mode", "\"On\"", "must be \"Enabled\", \"Disabled\" or null"},
        {"info.mps.bogus", "1", "unknown key \"info.mps.bogus\""},
        {"info", "[]", "\"info\" must be an object or null, not an array"},
        {"tests.0.derived.huge", "1.7976931348623157e308", "the number 1.797693135e+308 is beyond"},
        {"tests.0.params.tiny", "-1e301", "the number -1e+301 is beyond 1e+300"},
    };
    struct error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = build_doc();

        error_clear(&err);
        mutate(doc, cases[i].path, cases[i].value);
        if (results_check(&err, doc, "t.json") != -1)
            fail_msg("case %zu (%s): accepted", i, cases[i].path);
        assert_int_equal(err.code, ERR_INVALID);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("case %zu (%s): message '%s' lacks '%s'", i, cases[i].path, err.msg,
                     cases[i].want);
        json_decref(doc);
    }
}

static void test_check_accepts(void **state)
{
    static const struct {
        const char *path, *value; /* value NULL deletes */
        const char *path2, *value2;
    } cases[] = {
        {"info", "null", NULL, NULL},
        {"tests", "[]", NULL, NULL},
        {"skipped", "[]", NULL, NULL},
        {"tests.0.series", NULL, "tests.0.bound", NULL},
        {"tests.0.derived", NULL, NULL, NULL},
        {"tests.0.bound.value", "null", NULL, NULL},
        {"tests.0.params.flag", "true", "tests.0.derived.flag", "false"},
        {"tests.0.samples.0", "2", "tests.0.summary.max", "2"}, // integers are numbers
        {"run.utc", "\"2024-02-29T23:59:59.123Z\"", NULL, NULL},
        {"run.argv", "[]", "run.command", "\"\""},
        {"info.memory_total_bytes", "null", "info.memory_free_bytes", "null"},
        {"info.mig.current", "null", "info.mig.pending", "null"},
        {"info.name", "\"\"", "info.cuda_driver_version", "\"9999.99\""},
    };
    struct error err = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = build_doc();

        mutate(doc, cases[i].path, cases[i].value);
        if (cases[i].path2 != NULL)
            mutate(doc, cases[i].path2, cases[i].value2);
        if (results_check(&err, doc, "t.json") != 0)
            fail_msg("case %zu (%s): %s", i, cases[i].path, err.msg);
        json_decref(doc);
    }
}

static void test_syntax_errors(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"{\n  \"schema\": ,\n}", "'bad.json' line 2 column"},
        {"{\"schema\": \"gpushare.results/1\", \"schema\": \"x\"}", "duplicate object key"},
        {"", "'bad.json' line 1 column 0"},
        {"[1, 2", "line 1"},
        {"\"a string\"", "line 1"},
        {"{\"a\": \"\\u0000\"}", "line 1"},
        {"{\"a\": 1e999}", "real number overflow"},
    };
    struct error err;
    json_t *doc;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        error_clear(&err);
        doc = results_loadb(&err, cases[i].text, strlen(cases[i].text), "bad.json");
        assert_null(doc);
        assert_int_equal(err.code, ERR_INVALID);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].want);
    }
    doc = results_load(&err, OUT_DIR "/no-such-file.json");
    assert_null(doc);
    assert_int_equal(err.code, ERR_IO);
    assert_non_null(strstr(err.msg, "cannot open 'build/test-out/no-such-file.json'"));
    doc = results_load(&err, "tests");
    assert_null(doc);
    assert_int_equal(err.code, ERR_IO);
}

/* The machinery every checker shares (results/doccheck.h): the strict time, a field table,
 * and the one loader's refusals. */
static void test_doccheck(void **state)
{
    static const struct {
        const char *utc;
        bool ok;
    } times[] = {
        {"2026-11-24T02:30:00Z", true},
        {"2024-02-29T23:59:59.5Z", true},
        {"2026-02-29T00:00:00Z", false},
        {"2026-11-31T00:00:00Z", false},
        {"2026-11-24T24:00:00Z", false},
        {"2026-11-24T02:60:00Z", false},
        {"2026-11-24T02:30:00", false},
        {"2026-11-24T02:30:00+00:00", false},
        {"2026-11-24T02:30:00.Z", false},
        {"2026-11-24", false},
        {"", false},
    };
    static const struct doc_field fields[] = {
        {"id", JT_STRING, DOC_NAME},
        {"n", JT_INTEGER, 0},
        {"note", JT_STRING | JT_NULL, DOC_OPTIONAL},
    };
    static const struct {
        const char *text, *want; /* want NULL: accepted */
    } objs[] = {
        {"{\"id\": \"a\", \"n\": 1}", NULL},
        {"{\"id\": \"a\", \"n\": 1, \"note\": null}", NULL},
        {"{\"id\": \"a\", \"n\": 1, \"x\": 1}", "'d.json': at: unknown key \"base.x\""},
        {"{\"id\": \"\", \"n\": 1}", "'d.json': at: \"base.id\" must not be empty"},
        {"{\"id\": \"a\"}", "'d.json': at: missing \"base.n\""},
        {"{\"id\": \"a\", \"n\": 1.5}",
         "'d.json': at: \"base.n\" must be an integer, not a number"},
        {"{\"id\": \"a\", \"n\": 1, \"note\": 2}",
         "'d.json': at: \"base.note\" must be a string or null, not an integer"},
    };
    struct error err = {0};
    json_t *j;

    (void)state;
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        if (doc_utc_ok(times[i].utc) != times[i].ok)
            fail_msg("'%s': %s", times[i].utc, times[i].ok ? "refused" : "accepted");
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        struct doc_chk c = {.err = &err, .where = "d.json"};
        int rc;

        j = json_loads(objs[i].text, 0, NULL);
        assert_non_null(j);
        doc_at(&c, "%s", "at");
        rc = doc_fields(&c, j, "base", fields, sizeof(fields) / sizeof(fields[0]));
        if (objs[i].want == NULL && rc != 0)
            fail_msg("case %zu: %s", i, err.msg);
        if (objs[i].want != NULL && (rc == 0 || strcmp(err.msg, objs[i].want) != 0))
            fail_msg("case %zu: '%s', not '%s'", i, rc == 0 ? "accepted" : err.msg, objs[i].want);
        json_decref(j);
    }
    // The loader: I/O errors, syntax with line and column, duplicate keys.
    assert_null(doc_load(&err, OUT_DIR "/no-such-file.json", "a document"));
    assert_int_equal(err.code, ERR_IO);
    assert_string_equal(err.msg,
                        "cannot open '" OUT_DIR "/no-such-file.json': No such file or directory");
    assert_null(doc_load(&err, "tests", "a document"));
    assert_int_equal(err.code, ERR_IO);
    assert_string_equal(err.msg, "cannot read 'tests': Is a directory");
    assert_null(doc_loadb(&err, "{\"a\": 1, \"a\": 2}", 16, "dup.json"));
    assert_int_equal(err.code, ERR_INVALID);
    assert_int_equal(strncmp(err.msg, "'dup.json' line 1 column", 24), 0);
    assert_non_null(strstr(err.msg, "duplicate object key"));
    assert_null(doc_loadb(&err, NULL, 0, "none.json"));
    assert_string_equal(err.msg, "'none.json': no document");
    j = doc_load(&err, "tests/fixtures/results-good-minimal.json", "a results document");
    if (j == NULL)
        fail_msg("%s", err.msg);
    assert_int_equal(results_check(&err, j, "minimal"), 0);
    json_decref(j);
}

/* A directory with one existing document in it, for the atomic-write tests. */
static void make_target(char *dir, size_t dlen, char *target, size_t tlen)
{
    make_out_dir();
    snprintf(dir, dlen, OUT_DIR "/atomic-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(target, tlen, "%s/target.json", dir);
    write_text(target, "old\n");
}

static void remove_target(const char *dir, const char *target)
{
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(unlink(target), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_atomic_unwritable_dir(void **state)
{
    char dir[64], target[96], *text;
    struct error err = {0};
    json_t *doc = build_doc();
    size_t len;
    pid_t pid;
    int status;

    (void)state;
    make_target(dir, sizeof(dir), target, sizeof(target));
    assert_int_equal(chmod(dir, 0555), 0);
    if (geteuid() != 0) {
        assert_int_equal(results_write(&err, doc, target), -1);
        assert_int_equal(err.code, ERR_IO);
        assert_non_null(strstr(err.msg, "cannot create a temporary file in"));
    } else {
        // Root ignores directory modes: write as nobody in a child instead.
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) < 0 || setuid(65534) < 0)
                _exit(77);
            _exit(results_write(&err, doc, target) == -1 && err.code == ERR_IO ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
            remove_target(dir, target);
            json_decref(doc);
            skip();
        }
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    text = read_all(target, &len);
    assert_string_equal(text, "old\n");
    assert_int_equal(count_entries(dir), 1); // no temp file left behind
    free(text);
    remove_target(dir, target);
    json_decref(doc);
}

static void test_atomic_path_is_directory(void **state)
{
    char dir[64], target[96], sub[128], *text;
    struct error err = {0};
    json_t *doc = build_doc();
    size_t len;

    (void)state;
    make_target(dir, sizeof(dir), target, sizeof(target));
    snprintf(sub, sizeof(sub), "%s/sub.json", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(results_write(&err, doc, sub), -1);
    assert_int_equal(err.code, ERR_IO);
    assert_non_null(strstr(err.msg, "cannot rename"));
    assert_int_equal(results_write(&err, doc, OUT_DIR "/"), -1);
    assert_int_equal(err.code, ERR_IO);
    assert_int_equal(count_entries(dir), 2); // target.json and sub.json only
    assert_int_equal(count_entries(sub), 0);
    text = read_all(target, &len);
    assert_string_equal(text, "old\n");
    free(text);
    // A good write replaces the old file whole.
    assert_int_equal(results_write(&err, doc, target), 0);
    json_decref(doc);
    doc = results_load(&err, target);
    assert_non_null(doc);
    assert_int_equal(rmdir(sub), 0);
    remove_target(dir, target);
    json_decref(doc);
}

/* The fixtures tools/validate-json.sh feeds ajv: the C checker must agree with the schema. */
static void test_fixtures_agree(void **state)
{
    static const struct {
        const char *pattern;
        bool good;
    } sets[] = {
        {"tests/fixtures/results-good-*.json", true},
        {"tests/fixtures/results-bad-*.json", false},
    };
    struct error err;

    (void)state;
    for (size_t s = 0; s < 2; s++) {
        glob_t g;

        assert_int_equal(glob(sets[s].pattern, 0, NULL, &g), 0);
        assert_true(g.gl_pathc > 0);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            json_t *doc;

            error_clear(&err);
            doc = results_load(&err, g.gl_pathv[i]);
            if (sets[s].good && doc == NULL)
                fail_msg("%s", err.msg);
            if (!sets[s].good && doc != NULL)
                fail_msg("'%s' was accepted", g.gl_pathv[i]);
            json_decref(doc);
        }
        globfree(&g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_names_match_docs),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_byte_stable),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_builder_refusals),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_info_roundtrip),
        cmocka_unit_test(test_check_rejects),
        cmocka_unit_test(test_check_accepts),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_atomic_unwritable_dir),
        cmocka_unit_test(test_atomic_path_is_directory),
        cmocka_unit_test(test_fixtures_agree),
        cmocka_unit_test(test_doccheck),
    };

    return cmocka_run_group_tests_name("results", tests, NULL, NULL);
}
