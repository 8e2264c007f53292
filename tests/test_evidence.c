/*
 * Unit tests for plan/evidence: the figures the planner's model is built from. Each measured
 * figure is checked against the committed results documents themselves, read here with jansson
 * at the field docs/plan.md's "Evidence" table names (so the suite stays right when the device
 * is re-measured, and fails when evidence.c reads the wrong field or scale); the source each
 * figure cites; the order of sources (this GPU model, then the user's other GPUs, then the
 * committed documents, then a documented default); "not measured" as NaN, never 0; the
 * messages for documents that cannot be read; the MPS thread-percentage look-up against the
 * model's thread rule; and that the embedded documents are the newest committed of their kind.
 */
#include "plan/evidence.h"

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
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "check.h"
#include "core/error.h"
#include "mig/catalog.h"
#include "plan/model.h"
#include "results/results.h"

/* Not build/test-out itself, whose *.json tools/validate-json.sh takes for results documents:
 * some of these are broken on purpose. */
#define OUT_DIR "build/test-out/evidence"
#define H100_NAME "NVIDIA H100 80GB HBM3"
#define DOC_TIMESLICE "results/2026-11-24-h100-timeslice.json"
#define DOC_MPS "results/2026-11-24-h100-mps.json"
#define DOC_MIG "results/2026-11-24-h100-mig.json"

/*
 * Where each figure lives in a results document, written out from docs/plan.md's table
 * rather than taken from evidence.c: test id (NULL: a field of "info"), the key ("median":
 * the metric's median; else a derived key or the info field), and the document's unit into
 * the figure's.
 */
static const struct fig_at {
    enum ev_id id;
    const char *name, *test, *key;
    double scale;
} figs[] = {
    {EV_SLICE_MS, "slice_ms", "timeslice.timeline.p2", "slice_p50_us", 1e-3},
    {EV_SWITCH_MS, "switch_ms", "timeslice.timeline.p2", "switch_p50_us", 1e-3},
    {EV_TS_P50_MS, "ts_alone_p50_ms", "timeslice.victim.p1", "p50_us", 1e-3},
    {EV_TS_P99_MS, "ts_alone_p99_ms", "timeslice.victim.p1", "p99_us", 1e-3},
    {EV_MPS_P50_MS, "mps_alone_p50_ms", "mps.victim.p1", "p50_us", 1e-3},
    {EV_MPS_P99_MS, "mps_alone_p99_ms", "mps.victim.p1", "p99_us", 1e-3},
    {EV_MPS_K1_P50, "mps_gemm1_p50_ms", "mps.victim.p2", "p50_us", 1e-3},
    {EV_MPS_K1_P99, "mps_gemm1_p99_ms", "mps.victim.p2", "p99_us", 1e-3},
    {EV_MPS_K2_P50, "mps_gemm2_p50_ms", "mps.victim.p3", "p50_us", 1e-3},
    {EV_MPS_K2_P99, "mps_gemm2_p99_ms", "mps.victim.p3", "p99_us", 1e-3},
    {EV_MPS_K3_P50, "mps_gemm3_p50_ms", "mps.victim.p4", "p50_us", 1e-3},
    {EV_MPS_K3_P99, "mps_gemm3_p99_ms", "mps.victim.p4", "p99_us", 1e-3},
    {EV_LOW_K1_P50, "lowprio_gemm1_p50_ms", "mps.victim.lowprio.p2", "p50_us", 1e-3},
    {EV_LOW_K1_P99, "lowprio_gemm1_p99_ms", "mps.victim.lowprio.p2", "p99_us", 1e-3},
    {EV_LOW_K2_P50, "lowprio_gemm2_p50_ms", "mps.victim.lowprio.p3", "p50_us", 1e-3},
    {EV_LOW_K2_P99, "lowprio_gemm2_p99_ms", "mps.victim.lowprio.p3", "p99_us", 1e-3},
    {EV_LOW_K3_P50, "lowprio_gemm3_p50_ms", "mps.victim.lowprio.p4", "p50_us", 1e-3},
    {EV_LOW_K3_P99, "lowprio_gemm3_p99_ms", "mps.victim.lowprio.p4", "p99_us", 1e-3},
    {EV_CAP_K1_P50, "cap50_gemm1_p50_ms", "mps.victim.cap50.p2", "p50_us", 1e-3},
    {EV_CAP_K1_P99, "cap50_gemm1_p99_ms", "mps.victim.cap50.p2", "p99_us", 1e-3},
    {EV_CAP_K2_P50, "cap50_gemm2_p50_ms", "mps.victim.cap50.p3", "p50_us", 1e-3},
    {EV_CAP_K2_P99, "cap50_gemm2_p99_ms", "mps.victim.cap50.p3", "p99_us", 1e-3},
    {EV_CAP_K3_P50, "cap50_gemm3_p50_ms", "mps.victim.cap50.p4", "p50_us", 1e-3},
    {EV_CAP_K3_P99, "cap50_gemm3_p99_ms", "mps.victim.cap50.p4", "p99_us", 1e-3},
    {EV_MPS_CLIENTS, "mps_clients", "mps.clients", "median", 1},
    {EV_CTX_MIB, "context_mib", "mps.clients", "mib_per_client_est", 1},
    {EV_SM_STEP, "mps_sm_step", "mps.threads.sms", "granularity_sms", 1},
    {EV_SM_MIN, "mps_sm_min", "mps.threads.sms", "sms_min", 1},
    {EV_MEMLIMIT_OK, "mps_memlimit_enforced", "mps.memlimit", "alloc_past_limit", 1},
    {EV_TS_AGGREGATE, "ts_aggregate", "timeslice.contention.gemm.fp32.n4096.p2", "aggregate_x", 1},
    {EV_MPS_AGGREGATE, "mps_aggregate", "mps.contention.gemm.fp32.n4096.p2", "aggregate_x", 1},
    {EV_GPU_MEM_GIB, "gpu_memory_gib", NULL, "memory_total_bytes", 1.0 / 1073741824.0},
    {EV_GPU_SMS, "gpu_sms", NULL, "sm_count", 1},
};

/* ---- reading the documents here, independently of evidence.c ---- */

static json_t *test_of(const json_t *doc, const char *id)
{
    const json_t *t;
    size_t i;

    json_array_foreach (json_object_get(doc, "tests"), i, t) {
        const char *tid = json_string_value(json_object_get(t, "id"));

        if (tid != NULL && strcmp(tid, id) == 0)
            return (json_t *)t;
    }
    return NULL;
}

/* The figure in doc, NAN when it has none. The memory-limit probe is a string: the error the
 * allocation past the limit failed with, cudaErrorMemoryAllocation meaning "enforced". */
static double fig_value(const json_t *doc, const struct fig_at *f)
{
    const json_t *t, *v;

    if (f->test == NULL) {
        v = json_object_get(json_object_get(doc, "info"), f->key);
        return json_is_number(v) ? json_number_value(v) * f->scale : NAN;
    }
    t = test_of(doc, f->test);
    if (t == NULL)
        return NAN;
    if (strcmp(f->key, "median") == 0)
        v = json_object_get(json_object_get(t, "summary"), "median");
    else
        v = json_object_get(json_object_get(t, "derived"), f->key);
    if (json_is_string(v))
        return strcmp(json_string_value(v), "cudaErrorMemoryAllocation") == 0 ? 1 : 0;
    return json_is_number(v) ? json_number_value(v) * f->scale : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* What the committed documents say of figure f: the median over those that have it (they are
 * all of one card and all committed, so evidence_for takes every one), how many, and the
 * first of them (the one a tie leaves chosen). */
struct expect {
    double v;
    unsigned docs;
    char src[200], card[96];
};

static void committed_expect(const struct fig_at *f, struct expect *e)
{
    double vals[16];
    unsigned n = 0;

    memset(e, 0, sizeof(*e));
    e->v = NAN;
    for (size_t i = 0; i < evidence_committed_count; i++) {
        json_t *doc = check_load_json(evidence_committed_names[i]);
        double v = fig_value(doc, f);

        if (isfinite(v)) {
            if (n == 0) {
                snprintf(e->src, sizeof(e->src), "%s, %s%s", evidence_committed_names[i],
                         f->test != NULL ? f->test : "info.", f->test != NULL ? "" : f->key);
                snprintf(e->card, sizeof(e->card), "%s",
                         json_string_value(json_object_get(json_object_get(doc, "info"), "name")));
            }
            vals[n++] = v;
        }
        json_decref(doc);
    }
    if (n == 0)
        fail_msg("%s: no committed document has %s %s", f->name, f->test ? f->test : "info",
                 f->key);
    qsort(vals, n, sizeof(vals[0]), cmp_double);
    e->v = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
    e->docs = n;
}

static const struct mig_gpu *gpu(const char *model)
{
    const struct mig_gpu *g = mig_gpu_find(model);

    if (g == NULL)
        fail_msg("no catalog GPU '%s'", model);
    return g;
}

static void check_fig(const struct evidence *ev, enum ev_id id, enum ev_kind kind, double v,
                      const char *src, unsigned docs, const char *cite)
{
    const struct ev_fig *f = &ev->f[id];
    char got[512];

    if (f->kind != kind)
        fail_msg("%s on %s: kind %d, want %d", evidence_name(id), ev->gpu->model, f->kind, kind);
    if (isnan(v) ? !isnan(f->v) : !(fabs(f->v - v) <= 1e-9 * fmax(1, fabs(v))))
        fail_msg("%s on %s: %.17g, want %.17g", evidence_name(id), ev->gpu->model, f->v, v);
    if (src != NULL && strcmp(f->src, src) != 0)
        fail_msg("%s on %s: source '%s', want '%s'", evidence_name(id), ev->gpu->model, f->src,
                 src);
    if (f->docs != docs)
        fail_msg("%s on %s: over %u documents, want %u", evidence_name(id), ev->gpu->model, f->docs,
                 docs);
    evidence_cite(ev, id, got, sizeof(got));
    if (cite != NULL && strcmp(got, cite) != 0)
        fail_msg("%s on %s: cite\n  '%s'\nwant\n  '%s'", evidence_name(id), ev->gpu->model, got,
                 cite);
}

/* "SRC" or "SRC (median of N documents)", as the cite puts it. */
static void cite_of(const struct expect *e, char *out, size_t size)
{
    if (e->docs > 1)
        snprintf(out, size, "%s (median of %u documents)", e->src, e->docs);
    else
        snprintf(out, size, "%s", e->src);
}

static void init_docs(struct ev_docs *docs)
{
    struct error err = {0};

    if (evidence_docs_init(&err, docs) < 0)
        fail_msg("evidence_docs_init: %s", err.msg);
}

/* ---- the committed documents ---- */

/* Every committed figure on the H100, the card that measured them: the documents' values,
 * measured, citing the first document that has the figure. */
static void test_committed_h100(void **state)
{
    struct ev_docs docs;
    struct evidence ev;

    (void)state;
    init_docs(&docs);
    assert_int_equal(docs.n, evidence_committed_count);
    evidence_for(&docs, gpu("H100-80GB"), &ev);
    for (size_t i = 0; i < COUNT(figs); i++) {
        struct expect e;
        char cite[512];

        if (strcmp(evidence_name(figs[i].id), figs[i].name) != 0)
            fail_msg("figure %d is '%s', want '%s'", figs[i].id, evidence_name(figs[i].id),
                     figs[i].name);
        committed_expect(&figs[i], &e);
        cite_of(&e, cite, sizeof(cite));
        check_fig(&ev, figs[i].id, EV_MEASURED, e.v, e.src, e.docs, cite);
        if (strcmp(ev.f[figs[i].id].card, e.card) != 0)
            fail_msg("%s: card '%s', want '%s'", figs[i].name, ev.f[figs[i].id].card, e.card);
    }
    // The table covers every figure.
    assert_int_equal(COUNT(figs), EV_COUNT);
    // The ones the brief names, spelled out: slice = timeslice.timeline.p2 slice_p50_us / 1000
    // of the timeslice document, the client limit the mps document's mps.clients median.
    {
        json_t *ts = check_load_json(DOC_TIMESLICE), *mps = check_load_json(DOC_MPS);
        double slice_us = json_number_value(json_object_get(
            json_object_get(test_of(ts, "timeslice.timeline.p2"), "derived"), "slice_p50_us"));
        double clients = json_number_value(
            json_object_get(json_object_get(test_of(mps, "mps.clients"), "summary"), "median"));

        check_close(ev.f[EV_SLICE_MS].v, slice_us / 1000, 1e-12, "slice_ms", 0);
        check_close(ev.f[EV_MPS_CLIENTS].v, clients, 0, "mps_clients", 0);
        check_fig(&ev, EV_SLICE_MS, EV_MEASURED, slice_us / 1000,
                  DOC_TIMESLICE ", timeslice.timeline.p2", 1,
                  DOC_TIMESLICE ", timeslice.timeline.p2");
        json_decref(ts);
        json_decref(mps);
    }
    assert_string_equal(evidence_unit(EV_SLICE_MS), "ms");
    assert_string_equal(evidence_name(EV_COUNT), "?");
    evidence_docs_release(&docs);
}

/* The request-time curve: the mig document's emulated slices, ascending by SMs, each slice's
 * infer_p50_over_full over the largest slice's. */
static void check_curve(const struct evidence *ev, enum ev_kind kind, const char *cite)
{
    json_t *doc = check_load_json(DOC_MIG);
    double sms[EV_CURVE_MAX], f[EV_CURVE_MAX];
    const json_t *t;
    size_t i, n = 0;
    char got[512];

    json_array_foreach (json_object_get(doc, "tests"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        const json_t *d = json_object_get(t, "derived");
        double s = json_number_value(json_object_get(d, "sms_seen"));
        double x = json_number_value(json_object_get(d, "infer_p50_over_full"));
        size_t k;

        if (id == NULL || strncmp(id, "mig.emulated.", 13) != 0 || !(s > 0) || !(x > 0))
            continue;
        assert_true(n < EV_CURVE_MAX);
        for (k = n++; k > 0 && sms[k - 1] > s; k--) {
            sms[k] = sms[k - 1];
            f[k] = f[k - 1];
        }
        sms[k] = s;
        f[k] = x;
    }
    json_decref(doc);
    assert_true(n >= 2);
    if (ev->infer.n != n)
        fail_msg("curve on %s: %zu points, want %zu", ev->gpu->model, ev->infer.n, n);
    for (size_t k = 0; k < n; k++) {
        check_close(ev->infer.sms[k], sms[k], 0, "curve sms", k);
        check_close(ev->infer.factor[k], f[k] / f[n - 1], 1e-12, "curve factor", k);
    }
    assert_int_equal(ev->infer.kind, kind);
    assert_string_equal(ev->infer.src, DOC_MIG ", mig.emulated.*");
    evidence_cite_curve(ev, got, sizeof(got));
    assert_string_equal(got, cite);
}

static void test_committed_curve(void **state)
{
    struct ev_docs docs;
    struct evidence ev;

    (void)state;
    init_docs(&docs);
    evidence_for(&docs, gpu("H100-80GB"), &ev);
    check_curve(&ev, EV_MEASURED, DOC_MIG ", mig.emulated.*");
    evidence_for(&docs, gpu("A100-80GB"), &ev);
    check_curve(&ev, EV_OTHER_CARD,
                DOC_MIG ", mig.emulated.*; measured on " H100_NAME ", not on this A100-80GB");
    evidence_docs_release(&docs);
}

/* On the A100 the same figures, measured on another card, and the cite says which; the GPU's
 * own memory and SMs come from the catalog, never from the H100's info. */
static void test_committed_a100(void **state)
{
    const struct mig_gpu *a100 = gpu("A100-80GB");
    struct ev_docs docs;
    struct evidence ev;
    double whole = 0;
    char src[256];

    (void)state;
    init_docs(&docs);
    evidence_for(&docs, a100, &ev);
    for (size_t i = 0; i < COUNT(figs); i++) {
        struct expect e;
        char cite[512], many[48] = "";

        if (figs[i].id == EV_GPU_MEM_GIB || figs[i].id == EV_GPU_SMS)
            continue;
        committed_expect(&figs[i], &e);
        if (e.docs > 1)
            snprintf(many, sizeof(many), " (median of %u documents)", e.docs);
        snprintf(cite, sizeof(cite), "%s%s; measured on %s, not on this A100-80GB", e.src, many,
                 e.card);
        check_fig(&ev, figs[i].id, EV_OTHER_CARD, e.v, e.src, e.docs, cite);
    }
    // The wording spelled out once.
    check_fig(&ev, EV_SLICE_MS, EV_OTHER_CARD, ev.f[EV_SLICE_MS].v, NULL, 1,
              "results/2026-11-24-h100-timeslice.json, timeslice.timeline.p2; measured on NVIDIA "
              "H100 80GB HBM3, not on this A100-80GB");
    assert_string_equal(ev.f[EV_SLICE_MS].card, H100_NAME);
    // The catalog: the whole-GPU instance's memory, the GPU's SMs.
    for (unsigned j = 0; j < a100->n_profiles; j++)
        if (a100->profiles[j].gslices == a100->compute_slices && a100->profiles[j].mem_gib > whole)
            whole = a100->profiles[j].mem_gib;
    assert_true(whole > 0);
    snprintf(src, sizeof(src),
             "the MIG catalog: the memory of %s's whole-GPU instance (nvidia-smi mig -lgip)",
             a100->model);
    check_fig(&ev, EV_GPU_MEM_GIB, EV_DEFAULT, whole, src, 0, src);
    assert_true(a100->sms > 0);
    check_fig(&ev, EV_GPU_SMS, EV_DEFAULT, a100->sms, "the MIG catalog: A100-80GB", 0,
              "the MIG catalog: A100-80GB");
    evidence_docs_release(&docs);
}

/* ---- not measured ---- */

/* No documents at all (a set evidence_docs_init never filled; the API allows it): every figure
 * without a documented default is NaN and "not measured", never 0; the defaults are the
 * documented ones with their sources. */
static void test_not_measured(void **state)
{
    static const struct {
        enum ev_id id;
        double v;
        const char *src_starts;
    } defaults[] = {
        {EV_SLICE_MS, 1.024, "the default of NVIDIA open-gpu-kernel-modules"},
        {EV_MPS_CLIENTS, 48, "NVIDIA's MPS documentation, section 2.3.5.1"},
        {EV_CTX_MIB, 438, "NVIDIA/nvidia-docker issue 868"},
        {EV_MEMLIMIT_OK, 1, "NVIDIA's MPS documentation, section 2.3.5.4"},
        {EV_GPU_SMS, 132, "the MIG catalog: H100-80GB"},
        {EV_GPU_MEM_GIB, NAN, "the MIG catalog: the memory of H100-80GB's"},
    };
    struct ev_docs none = {0};
    struct evidence ev;
    char cite[512];

    (void)state;
    evidence_for(&none, gpu("H100-80GB"), &ev);
    for (int id = 0; id < EV_COUNT; id++) {
        const struct ev_fig *f = &ev.f[id];
        size_t d = 0;

        while (d < COUNT(defaults) && defaults[d].id != (enum ev_id)id)
            d++;
        if (d == COUNT(defaults)) {
            // No default: NaN, not measured, no source, no card.
            check_fig(&ev, (enum ev_id)id, EV_UNKNOWN, NAN, "", 0, "not measured");
            assert_string_equal(f->card, "");
            continue;
        }
        if (f->kind != EV_DEFAULT ||
            strncmp(f->src, defaults[d].src_starts, strlen(defaults[d].src_starts)) != 0)
            fail_msg("%s: kind %d source '%s', want a default from '%s'",
                     evidence_name((enum ev_id)id), f->kind, f->src, defaults[d].src_starts);
        if (!isnan(defaults[d].v))
            check_close(f->v, defaults[d].v, 1e-12, evidence_name((enum ev_id)id), d);
        assert_true(f->v > 0);
        evidence_cite(&ev, (enum ev_id)id, cite, sizeof(cite));
        assert_string_equal(cite, f->src);
    }
    assert_int_equal(ev.infer.n, 0);
    evidence_cite_curve(&ev, cite, sizeof(cite));
    assert_string_equal(cite, "not measured");
    evidence_docs_release(&none);
}

/* With the committed documents, a GPU the catalog knows no SM count of (B200-180GB) gets no
 * SM count: not the H100's 132 of another card, not 0. */
static void test_not_measured_sms(void **state)
{
    const struct mig_gpu *b200 = gpu("B200-180GB");
    struct ev_docs docs;
    struct evidence ev;

    (void)state;
    assert_int_equal(b200->sms, 0); // the case's premise
    init_docs(&docs);
    evidence_for(&docs, b200, &ev);
    check_fig(&ev, EV_GPU_SMS, EV_UNKNOWN, NAN, "", 0, "not measured");
    // Every figure of every kind: an unknown one is NaN.
    for (int id = 0; id < EV_COUNT; id++)
        if (ev.f[id].kind == EV_UNKNOWN && !isnan(ev.f[id].v))
            fail_msg("%s: not measured but %g", evidence_name((enum ev_id)id), ev.f[id].v);
    evidence_docs_release(&docs);
}

/* ---- the user's documents ---- */

/* Writes the fixture results-good-h100.json (a bench streams document of an H100, info with
 * sm_count 132) with the committed timeline test added, its slice and switch set to slice_us
 * and switch_us, and its info.name and sm_count set to card and sms. */
static void write_user_doc(const char *path, const char *card, unsigned sms, double slice_us,
                           double switch_us)
{
    json_t *doc = check_load_json("tests/fixtures/results-good-h100.json");
    json_t *ts = check_load_json(DOC_TIMESLICE);
    json_t *t = json_deep_copy(test_of(ts, "timeslice.timeline.p2"));
    json_t *derived = json_object_get(t, "derived");

    assert_non_null(t);
    json_object_set_new(derived, "slice_p50_us", json_real(slice_us));
    json_object_set_new(derived, "switch_p50_us", json_real(switch_us));
    json_array_append_new(json_object_get(doc, "tests"), t);
    json_object_set_new(json_object_get(doc, "info"), "name", json_string(card));
    json_object_set_new(json_object_get(doc, "info"), "sm_count", json_integer(sms));
    mkdir("build", 0755);
    mkdir("build/test-out", 0755);
    mkdir(OUT_DIR, 0755);
    if (json_dump_file(doc, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
        fail_msg("cannot write '%s'", path);
    json_decref(ts);
    json_decref(doc);
}

static void add_doc(struct ev_docs *docs, const char *path)
{
    struct error err = {0};

    if (evidence_docs_add(&err, docs, path) < 0)
        fail_msg("evidence_docs_add '%s': %s", path, err.msg);
}

#define USER1 OUT_DIR "/evidence-user-h100-a.json"
#define USER2 OUT_DIR "/evidence-user-h100-b.json"
#define USER_A100 OUT_DIR "/evidence-user-a100.json"

static void test_user_doc(void **state)
{
    const struct mig_gpu *h100 = gpu("H100-80GB"), *a100 = gpu("A100-80GB");
    const struct fig_at *ts_p50 = &figs[2];
    struct ev_docs docs;
    struct evidence ev;
    struct expect e;

    (void)state;
    assert_int_equal(ts_p50->id, EV_TS_P50_MS);
    write_user_doc(USER1, H100_NAME, 132, 3000, 250);
    write_user_doc(USER2, H100_NAME, 132, 4000, 350);
    write_user_doc(USER_A100, "NVIDIA A100-SXM4-80GB", 108, 5000, 450);

    // One user document of the H100 wins over the committed ones for what it measured.
    init_docs(&docs);
    add_doc(&docs, USER1);
    assert_int_equal(docs.n, evidence_committed_count + 1);
    evidence_for(&docs, h100, &ev);
    check_fig(&ev, EV_SLICE_MS, EV_MEASURED, 3.0, USER1 ", timeslice.timeline.p2", 1,
              USER1 ", timeslice.timeline.p2");
    check_fig(&ev, EV_SWITCH_MS, EV_MEASURED, 0.25, USER1 ", timeslice.timeline.p2", 1, NULL);
    check_fig(&ev, EV_GPU_SMS, EV_MEASURED, 132, USER1 ", info.sm_count", 1, NULL);
    // What it did not measure still comes from the committed documents.
    committed_expect(ts_p50, &e);
    check_fig(&ev, EV_TS_P50_MS, EV_MEASURED, e.v, e.src, e.docs, NULL);
    // Planned on the A100, the user's H100 document comes before the committed ones.
    evidence_for(&docs, a100, &ev);
    check_fig(&ev, EV_SLICE_MS, EV_OTHER_CARD, 3.0, NULL, 1,
              USER1 ", timeslice.timeline.p2; measured on " H100_NAME ", not on this A100-80GB");

    // Two of the H100: their median, and the cite says so; the first given is named.
    add_doc(&docs, USER2);
    evidence_for(&docs, h100, &ev);
    check_fig(&ev, EV_SLICE_MS, EV_MEASURED, 3.5, USER1 ", timeslice.timeline.p2", 2,
              USER1 ", timeslice.timeline.p2 (median of 2 documents)");
    check_fig(&ev, EV_SWITCH_MS, EV_MEASURED, 0.3, NULL, 2, NULL);

    // An A100 document: measured on the A100; on the H100 the H100's documents still win.
    add_doc(&docs, USER_A100);
    evidence_for(&docs, a100, &ev);
    check_fig(&ev, EV_SLICE_MS, EV_MEASURED, 5.0, USER_A100 ", timeslice.timeline.p2", 1,
              USER_A100 ", timeslice.timeline.p2");
    check_fig(&ev, EV_GPU_SMS, EV_MEASURED, 108, USER_A100 ", info.sm_count", 1, NULL);
    evidence_for(&docs, h100, &ev);
    check_fig(&ev, EV_SLICE_MS, EV_MEASURED, 3.5, USER1 ", timeslice.timeline.p2", 2, NULL);
    evidence_docs_release(&docs);
}

/* Files that cannot be used: refused with a message naming the file, the set unchanged. */
static void test_user_doc_bad(void **state)
{
    static const char *const not_json = OUT_DIR "/evidence-not-json.json";
    struct ev_docs docs;
    struct error err;
    glob_t g;
    FILE *f;

    (void)state;
    mkdir("build", 0755);
    mkdir("build/test-out", 0755);
    mkdir(OUT_DIR, 0755);
    f = fopen(not_json, "w");
    assert_non_null(f);
    fputs("not json\n", f);
    fclose(f);
    init_docs(&docs);

    memset(&err, 0, sizeof(err));
    assert_int_equal(evidence_docs_add(&err, &docs, OUT_DIR "/evidence-no-such.json"), -1);
    assert_int_equal(err.code, ERR_IO);
    assert_string_equal(err.msg, "cannot open '" OUT_DIR
                                 "/evidence-no-such.json': No such file or directory");

    memset(&err, 0, sizeof(err));
    assert_int_equal(evidence_docs_add(&err, &docs, not_json), -1);
    assert_int_equal(err.code, ERR_INVALID);
    {
        static const char prefix[] = "'" OUT_DIR "/evidence-not-json.json' line 1 column ";

        if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
            fail_msg("not JSON: '%s'", err.msg);
    }

    memset(&err, 0, sizeof(err));
    assert_int_equal(evidence_docs_add(&err, &docs, "tests/fixtures/results-bad-schema-id.json"),
                     -1);
    assert_int_equal(err.code, ERR_INVALID);
    assert_string_equal(err.msg, "'tests/fixtures/results-bad-schema-id.json': \"schema\" is "
                                 "\"gpushare.results/0\" but this gpushare reads "
                                 "\"gpushare.results/1\"");

    // Every fixture the results checker refuses, each naming its file first.
    assert_int_equal(glob("tests/fixtures/results-bad-*.json", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 5);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char want[300];

        memset(&err, 0, sizeof(err));
        if (evidence_docs_add(&err, &docs, g.gl_pathv[i]) == 0)
            fail_msg("'%s' accepted", g.gl_pathv[i]);
        snprintf(want, sizeof(want), "'%s'", g.gl_pathv[i]);
        if (err.code != ERR_INVALID || strncmp(err.msg, want, strlen(want)) != 0)
            fail_msg("'%s': code %d message '%s'", g.gl_pathv[i], err.code, err.msg);
    }
    globfree(&g);
    assert_int_equal(docs.n, evidence_committed_count);
    evidence_docs_release(&docs);
}

/*
 * A document whose memory-limit probe did not run ("not probed", what bench mps writes when
 * the worker did not report the over-limit allocation) has not measured the figure: it must
 * not win as a measured 0 ("not enforced") over the committed document's probe.
 */
static void test_memlimit_not_probed(void **state)
{
    static const char *const path = OUT_DIR "/evidence-memlimit-not-probed.json";
    json_t *doc = check_load_json("tests/fixtures/results-good-h100.json"),
           *mps = check_load_json(DOC_MPS);
    json_t *t = json_deep_copy(test_of(mps, "mps.memlimit"));
    const struct fig_at *memlimit = &figs[28];
    struct ev_docs docs;
    struct evidence ev;
    struct expect e;

    (void)state;
    assert_int_equal(memlimit->id, EV_MEMLIMIT_OK);
    json_object_set_new(json_object_get(t, "derived"), "alloc_past_limit",
                        json_string("not probed"));
    json_array_append_new(json_object_get(doc, "tests"), t);
    mkdir("build", 0755);
    mkdir("build/test-out", 0755);
    mkdir(OUT_DIR, 0755);
    assert_int_equal(json_dump_file(doc, path, JSON_INDENT(2)), 0);
    json_decref(doc);
    json_decref(mps);
    init_docs(&docs);
    add_doc(&docs, path);
    evidence_for(&docs, gpu("H100-80GB"), &ev);
    evidence_docs_release(&docs); // before any failure: cmocka's longjmp would leak it
    committed_expect(memlimit, &e);
    if (strstr(ev.f[EV_MEMLIMIT_OK].src, path) != NULL || ev.f[EV_MEMLIMIT_OK].v == 0)
        fail_msg("'not probed' taken as measured: %s = %g from '%s'", evidence_name(EV_MEMLIMIT_OK),
                 ev.f[EV_MEMLIMIT_OK].v, ev.f[EV_MEMLIMIT_OK].src);
    check_fig(&ev, EV_MEMLIMIT_OK, EV_MEASURED, e.v, e.src, e.docs, NULL);
}

/* ---- MPS thread percentages ---- */

/* The SMs the mps document measured at pct (every trial; lo..hi), false if none. */
static bool measured_sms(const json_t *t, double pct, unsigned *lo, unsigned *hi)
{
    const json_t *series = json_object_get(t, "series");
    const json_t *p = json_object_get(json_object_get(series, "thread_pct"), "samples");
    const json_t *s = json_object_get(json_object_get(series, "sms_attribute"), "samples");
    bool any = false;

    for (size_t i = 0; i < json_array_size(p); i++)
        if (json_number_value(json_array_get(p, i)) == pct) {
            unsigned v = (unsigned)json_number_value(json_array_get(s, i));

            *lo = any && *lo < v ? *lo : v;
            *hi = any && *hi > v ? *hi : v;
            any = true;
        }
    return any;
}

static void test_threads_at(void **state)
{
    struct error err = {0};
    json_t *doc = results_load(&err, DOC_MPS), *ts, *t, *broken;
    struct ev_threads_at m;
    unsigned lo = 0, hi = 0, lo2 = 0, hi2 = 0;

    (void)state;
    if (doc == NULL)
        fail_msg("%s: %s", DOC_MPS, err.msg);
    t = test_of(doc, EV_THREADS_TEST_ID);
    assert_non_null(t);

    // A percentage the document measured: its SMs.
    assert_true(measured_sms(t, 50, &lo, &hi));
    assert_int_equal(evidence_threads_at(&err, doc, DOC_MPS, 5000, &m), 0);
    assert_true(m.present && m.exact);
    assert_int_equal(m.pct_centi, 5000);
    assert_int_equal(m.sms_lo, lo);
    assert_int_equal(m.sms_hi, hi);
    assert_string_equal(m.results, DOC_MPS);
    assert_string_equal(m.gpu,
                        json_string_value(json_object_get(json_object_get(doc, "info"), "name")));
    assert_int_equal(m.sms_total, (long)json_number_value(
                                      json_object_get(json_object_get(t, "derived"), "sms_total")));
    assert_int_equal(m.granularity, (long)json_number_value(json_object_get(
                                        json_object_get(t, "derived"), "granularity_sms")));

    // One it did not (50.5%): no error, not exact, the measured neighbours 50% and 51%.
    assert_false(measured_sms(t, 50.5, &lo2, &hi2));
    assert_true(measured_sms(t, 51, &lo2, &hi2));
    memset(&m, 0, sizeof(m));
    assert_int_equal(evidence_threads_at(&err, doc, DOC_MPS, 5050, &m), 0);
    assert_true(m.present);
    assert_false(m.exact);
    assert_true(m.has_below && m.has_above);
    assert_int_equal(m.below_centi, 5000);
    assert_int_equal(m.below_sms, lo);
    assert_int_equal(m.above_centi, 5100);
    assert_int_equal(m.above_sms, lo2);

    // A document without the test: an error naming the file and mps.threads.sms.
    ts = results_load(&err, DOC_TIMESLICE);
    assert_non_null(ts);
    assert_int_equal(evidence_threads_at(&err, ts, DOC_TIMESLICE, 5000, &m), -1);
    assert_int_equal(err.code, ERR_INVALID);
    assert_string_equal(err.msg, "'" DOC_TIMESLICE "' has no test 'mps.threads.sms': expected a "
                                 "document of gpushare bench mps");
    json_decref(ts);

    // The test with series of different lengths: refused, naming the test.
    broken = json_deep_copy(doc);
    json_array_remove(
        json_object_get(
            json_object_get(json_object_get(test_of(broken, EV_THREADS_TEST_ID), "series"),
                            "sms_attribute"),
            "samples"),
        0);
    assert_int_equal(evidence_threads_at(&err, broken, "broken.json", 5000, &m), -1);
    assert_string_equal(err.msg, "'broken.json': test 'mps.threads.sms' lacks the series "
                                 "thread_pct and sms_attribute, of one length");
    json_decref(broken);
    json_decref(doc);
}

/* The model's thread rule (mdl_cap_sms with the measured step and minimum) gives every SM count
 * the committed document measured, at every percentage it measured. */
static void test_threads_rule(void **state)
{
    json_t *doc = check_load_json(DOC_MPS);
    const json_t *series = json_object_get(test_of(doc, EV_THREADS_TEST_ID), "series");
    const json_t *p = json_object_get(json_object_get(series, "thread_pct"), "samples");
    const json_t *s = json_object_get(json_object_get(series, "sms_attribute"), "samples");
    struct ev_docs docs;
    struct evidence ev;

    (void)state;
    init_docs(&docs);
    evidence_for(&docs, gpu("H100-80GB"), &ev);
    assert_true(json_array_size(p) >= 10);
    for (size_t i = 0; i < json_array_size(p); i++) {
        double pct = json_number_value(json_array_get(p, i));
        unsigned want = (unsigned)json_number_value(json_array_get(s, i));
        unsigned got = mdl_cap_sms(pct, (unsigned)ev.f[EV_GPU_SMS].v, (unsigned)ev.f[EV_SM_STEP].v,
                                   (unsigned)ev.f[EV_SM_MIN].v);

        if (got != want)
            fail_msg("%g%%: the rule gives %u SMs, %s measured %u", pct, got, DOC_MPS, want);
    }
    json_decref(doc);
    evidence_docs_release(&docs);
}

/* ---- the embedded documents are the newest ---- */

/* "results/DATE-REST.json": DATE (10 characters) and REST ("h100-mps-contention"); false for
 * another form. */
static bool split_name(const char *path, char date[11], char *rest, size_t size)
{
    const char *base = strrchr(path, '/');
    size_t len;

    base = base != NULL ? base + 1 : path;
    len = strlen(base);
    if (len < 17 || base[4] != '-' || base[7] != '-' || base[10] != '-' ||
        strcmp(base + len - 5, ".json") != 0)
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (base[i] < '0' || base[i] > '9'))
            return false;
    memcpy(date, base, 10);
    date[10] = '\0';
    snprintf(rest, size, "%.*s", (int)(len - 16), base + 11);
    return true;
}

/*
 * By name: every results/DATE-CARD-KIND.json of a CARD-KIND an embedded document is of
 * (h100-timeslice, h100-mps-contention, h100-mps, h100-mig) has a DATE no later than the
 * embedded one's.
 */
static void test_embedded_newest_by_name(void **state)
{
    glob_t g;

    (void)state;
    assert_int_equal(glob("results/*.json", 0, NULL, &g), 0);
    for (size_t e = 0; e < evidence_committed_count; e++) {
        char edate[11], ekind[128];
        struct stat st;

        if (!split_name(evidence_committed_names[e], edate, ekind, sizeof(ekind)))
            fail_msg("embedded '%s' is not results/DATE-CARD-KIND.json",
                     evidence_committed_names[e]);
        if (stat(evidence_committed_names[e], &st) != 0)
            fail_msg("embedded '%s' is not under results/", evidence_committed_names[e]);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char date[11], kind[128];

            if (split_name(g.gl_pathv[i], date, kind, sizeof(kind)) && strcmp(kind, ekind) == 0 &&
                strcmp(date, edate) > 0)
                fail_msg("'%s' is newer than the embedded '%s': move src/plan/evidence_docs.c "
                         "to it",
                         g.gl_pathv[i], evidence_committed_names[e]);
        }
    }
    globfree(&g);
}

/* The date of the file a figure's source names ("results/NAME.json, test"): false if none. */
static bool src_date(const char *src, char date[11], char *file, size_t size)
{
    const char *comma = strchr(src, ',');
    char rest[128];

    if (comma == NULL)
        return false;
    snprintf(file, size, "%.*s", (int)(comma - src), src);
    return split_name(file, date, rest, sizeof(rest));
}

/*
 * By what they measure: every committed results/ document that has a figure the planner draws
 * from (read by evidence_for from that document alone), measured on the card of the embedded
 * documents, is dated no later than the embedded document the figure is taken from. So a
 * re-measurement committed under any name ("2027-01-05-h100-timeslice-v2.json") is caught, and
 * the mix documents, which measure none of the figures, are not.
 */
static void test_embedded_newest_by_figure(void **state)
{
    const struct mig_gpu *h100 = gpu("H100-80GB");
    struct ev_docs docs;
    struct evidence all;
    char card[96];
    glob_t g;

    (void)state;
    init_docs(&docs);
    snprintf(card, sizeof(card), "%s", docs.d[0].card);
    for (size_t e = 1; e < docs.n; e++)
        assert_string_equal(docs.d[e].card, card);
    evidence_for(&docs, h100, &all);
    assert_int_equal(glob("results/*.json", 0, NULL, &g), 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct ev_docs one = {0};
        struct evidence ev;
        struct error err = {0};
        char date[11], kind[128], edate[11], efile[200];

        if (!split_name(g.gl_pathv[i], date, kind, sizeof(kind)))
            fail_msg("'%s' is not results/DATE-CARD-KIND.json", g.gl_pathv[i]);
        if (evidence_docs_add(&err, &one, g.gl_pathv[i]) < 0)
            fail_msg("committed '%s' does not load: %s", g.gl_pathv[i], err.msg);
        evidence_for(&one, h100, &ev);
        for (int id = 0; id < EV_COUNT; id++) {
            // Every document's info has the GPU's memory and SMs: not a kind of its own.
            if (id == EV_GPU_MEM_GIB || id == EV_GPU_SMS ||
                (ev.f[id].kind != EV_MEASURED && ev.f[id].kind != EV_OTHER_CARD) ||
                strcmp(ev.f[id].card, card) != 0)
                continue;
            if (all.f[id].kind != EV_MEASURED ||
                !src_date(all.f[id].src, edate, efile, sizeof(efile)))
                fail_msg("'%s' measures %s, which no embedded document has", g.gl_pathv[i],
                         evidence_name((enum ev_id)id));
            if (strcmp(date, edate) > 0)
                fail_msg("'%s' measures %s and is newer than the embedded '%s'", g.gl_pathv[i],
                         evidence_name((enum ev_id)id), efile);
        }
        if (ev.infer.n > 0 && strcmp(ev.infer.card, card) == 0) {
            if (all.infer.n == 0 || !src_date(all.infer.src, edate, efile, sizeof(efile)))
                fail_msg("'%s' measures the request-time curve, no embedded document does",
                         g.gl_pathv[i]);
            if (strcmp(date, edate) > 0)
                fail_msg("'%s' measures the request-time curve and is newer than '%s'",
                         g.gl_pathv[i], efile);
        }
        evidence_docs_release(&one);
    }
    globfree(&g);
    evidence_docs_release(&docs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_committed_h100),
        cmocka_unit_test(test_committed_curve),
        cmocka_unit_test(test_committed_a100),
        cmocka_unit_test(test_not_measured),
        cmocka_unit_test(test_not_measured_sms),
        cmocka_unit_test(test_user_doc),
        cmocka_unit_test(test_user_doc_bad),
        cmocka_unit_test(test_memlimit_not_probed),
        cmocka_unit_test(test_threads_at),
        cmocka_unit_test(test_threads_rule),
        cmocka_unit_test(test_embedded_newest_by_name),
        cmocka_unit_test(test_embedded_newest_by_figure),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
