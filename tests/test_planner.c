/*
 * Unit tests for plan/planner and plan/plandoc: the feasibility edges every mode must get
 * right (memory exactly full and one MiB past it, 48 MPS clients against 49, a set of MIG
 * instances no layout holds, a workload larger than any GPU), the ranking's basic promises,
 * and the plan document: built, checked, reloaded and read back as the same deployment, and
 * refused when broken. The figures come from the committed device results the planner
 * embeds, read back through the plan rather than copied here, so a re-measured card keeps
 * the tests right.
 */
#include "plan/planner.h"

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
#include "core/str.h"
#include "plan/demand.h"
#include "plan/evidence.h"
#include "plan/examples.h"
#include "plan/plandoc.h"

struct fixture {
    struct ev_docs docs;
    struct demand_set set;
    struct plan plan;
    bool planned;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct error err;

    if (f == NULL || evidence_docs_init(&err, &f->docs) < 0)
        return -1;
    mkdir("build", 0755);
    mkdir("build/test-out", 0755);
    mkdir("build/test-out/plans", 0755);
    *state = f;
    return 0;
}

static void release(struct fixture *f)
{
    if (f->planned)
        plan_release(&f->plan);
    demand_set_release(&f->set);
    f->planned = false;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    release(f);
    evidence_docs_release(&f->docs);
    free(f);
    return 0;
}

/* Plans the YAML in buf[0..len); fails the test on any error. */
static struct plan *plan_buf(struct fixture *f, const char *buf, size_t len)
{
    struct error err = {0};

    release(f);
    if (demand_load_yaml_buf(&err, buf, len, "test.yaml", &f->set) < 0)
        fail_msg("parse: %s\n%.*s", err.msg, (int)len, buf);
    if (plan_solve(&err, &f->set, &f->docs, &f->plan) < 0)
        fail_msg("plan: %s", err.msg);
    f->planned = true;
    return &f->plan;
}

static struct plan *plan_yaml(struct fixture *f, const char *yaml)
{
    return plan_buf(f, yaml, strlen(yaml));
}

static struct plan *plan_example(struct fixture *f, const struct plan_example *ex)
{
    assert_non_null(ex);
    return plan_buf(f, ex->text, ex->len);
}

static const struct plan_mode_result *mode_of(const struct plan *p, enum plan_mode m)
{
    assert_int_equal(p->modes[m].mode, m);
    return &p->modes[m];
}

static void assert_contains(const char *s, const char *want)
{
    if (strstr(s, want) == NULL)
        fail_msg("'%s' does not contain '%s'", s, want);
}

/* The H100's usable memory and one client's context, as the plan takes them. */
static void h100_memory(struct fixture *f, double *gpu_gib, double *ctx_gib)
{
    struct plan *p = plan_yaml(f, "gpus: [{model: H100-80GB, count: 1}]\n"
                                  "workloads: [{name: probe, memory_gib: 1, compute_fraction: "
                                  "0.1}]\n");

    *gpu_gib = p->gpus[0].mem_gib;
    *ctx_gib = p->gpus[0].ctx_gib;
    assert_true(*gpu_gib > 70 && *gpu_gib < 81);
    assert_true(*ctx_gib > 0 && *ctx_gib < 2);
}

/* Two replicas whose memory and contexts fill the GPU exactly share one; a MiB more and they
 * need two, under every mode that shares a whole GPU. */
static void test_memory_exactly_full(void **state)
{
    static const enum plan_mode shared[] = {PM_TIMESLICE, PM_MPS, PM_MPS_LIMITS};
    struct fixture *f = *state;
    double gpu, ctx, each;
    char yaml[512];
    struct plan *p;

    h100_memory(f, &gpu, &ctx);
    each = gpu / 2 - ctx;
    for (int over = 0; over <= 1; over++) {
        str_printf(yaml, sizeof(yaml),
                   "gpus: [{model: H100-80GB, count: 2}]\n"
                   "workloads: [{name: half, memory_gib: %.17g, replicas: 2, compute_fraction: "
                   "0.1}]\n",
                   each + (over ? 1.0 / 1024 : 0));
        p = plan_yaml(f, yaml);
        for (size_t i = 0; i < COUNT(shared); i++) {
            const struct plan_mode_result *r = mode_of(p, shared[i]);

            assert_true(r->memory_met);
            if (r->gpus_needed != (over ? 2u : 1u))
                fail_msg("%s, %s: %zu GPUs", plan_mode_name(shared[i]),
                         over ? "a MiB past full" : "exactly full", r->gpus_needed);
            assert_true(r->fits);
        }
    }
}

/* 48 clients (the measured limit of one MPS server) fit one GPU; the 49th opens another. */
static void test_mps_client_limit(void **state)
{
    struct fixture *f = *state;
    char yaml[512];
    struct plan *p;

    for (unsigned n = 48; n <= 49; n++) {
        str_printf(yaml, sizeof(yaml),
                   "gpus: [{model: H100-80GB, count: 1}]\n"
                   "workloads: [{name: tiny, memory_gib: 0.25, replicas: %u, requests_per_s: 1, "
                   "gpu_ms_per_request: 0.1}]\n",
                   n);
        p = plan_yaml(f, yaml);
        assert_int_equal(p->gpus[0].mps_clients, 48);
        for (enum plan_mode m = PM_MPS; m <= PM_MPS_CAPS; m++) {
            const struct plan_mode_result *r = mode_of(p, m);

            if (r->fits != (n == 48) || r->gpus_needed != (n == 48 ? 1u : 2u))
                fail_msg("%s with %u clients: fits %d on %zu GPUs", plan_mode_name(m), n, r->fits,
                         r->gpus_needed);
        }
        /* Time-slicing has no client limit: 49 processes still share one GPU. */
        assert_int_equal(mode_of(p, PM_TIMESLICE)->gpus_needed, 1);
        if (n == 49)
            assert_contains(mode_of(p, PM_MPS)->breaks, "48");
    }
}

/* Two 35 GiB models and a 5 GiB one: each fits some H100 instance, but no valid layout holds
 * the three (two 40 GB instances take all 8 memory slices), so MIG needs a second GPU. */
static void test_mig_no_layout(void **state)
{
    struct fixture *f = *state;
    struct plan *p = plan_yaml(f, "gpus: [{model: H100-80GB, count: 1}]\n"
                                  "workloads:\n"
                                  "  - {name: big, memory_gib: 35, replicas: 2, compute_fraction: "
                                  "0.3}\n"
                                  "  - {name: small, memory_gib: 5, compute_fraction: 0.1}\n");
    const struct plan_mode_result *mig = mode_of(p, PM_MIG);

    assert_true(mig->evaluated);
    assert_false(mig->fits);
    assert_int_equal(mig->gpus_needed, 2);
    assert_contains(mig->breaks, "needs 2 x H100-80GB");
    /* On whole GPUs the three fit one H100 under time-slicing. */
    assert_int_equal(mode_of(p, PM_TIMESLICE)->gpus_needed, 1);
    assert_true(p->any_works);
    assert_int_not_equal(p->best, PM_MIG);
}

/* Eight 1g.10gb instances: more than the seven an H100 holds at once. */
static void test_mig_too_many(void **state)
{
    struct fixture *f = *state;
    struct plan *p = plan_yaml(f, "gpus: [{model: H100-80GB, count: 1}]\n"
                                  "workloads: [{name: s, memory_gib: 4, replicas: 8, "
                                  "compute_fraction: 0.05, isolation: hard}]\n");
    const struct plan_mode_result *mig = mode_of(p, PM_MIG);

    assert_false(mig->fits);
    assert_contains(mig->breaks, "at most 7");
    /* Hard isolation rules out every mode but a GPU or an instance each: nothing works on one
     * GPU, and the plan says so instead of recommending a mode that shares faults. */
    assert_false(p->any_works);
}

/* A workload larger than any GPU: every mode fails on memory, and no mode is recommended. */
static void test_larger_than_any_gpu(void **state)
{
    struct fixture *f = *state;
    struct plan *p = plan_yaml(f, "gpus: [{model: H100-80GB, count: 4}]\n"
                                  "workloads: [{name: huge, memory_gib: 200, compute_fraction: "
                                  "0.5}]\n");

    assert_false(p->any_works);
    for (int m = 0; m < PM_COUNT; m++) {
        const struct plan_mode_result *r = &p->modes[m];

        if (r->evaluated && (r->memory_met || r->rank != 0))
            fail_msg("%s: memory_met %d rank %d", plan_mode_name(r->mode), r->memory_met, r->rank);
    }
    assert_contains(p->rationale, "huge");
}

/* The canonical example: a recommendation that meets every target, ranked first, with the
 * deployment stating one thread percentage, the device plugin's 100/N for its replicas. */
static void test_canonical_example(void **state)
{
    struct fixture *f = *state;
    const struct plan_example *ex = plan_example_find("40-models-a100-80gb");
    struct plan_deploy d;
    struct plan *p;

    p = plan_example(f, ex);
    assert_true(p->any_works);
    assert_int_equal(p->modes[p->best].rank, 1);
    assert_true(p->modes[p->best].slo_met);
    assert_int_equal(p->modes[p->best].gpus_needed, 1);
    assert_int_equal(p->replicas, 40);
    plandoc_deploy_of(p, &d);
    if (d.thread_pct > 0)
        assert_int_equal(d.thread_pct, 100 / d.mps_clients);
    if (d.k8s_replicas > 0 && d.mps_clients > 0)
        assert_int_equal(d.k8s_replicas, d.mps_clients);
    /* Every mode that works is ranked, and ranks are 1..k without gaps. */
    {
        int seen[PM_COUNT + 1] = {0}, k = 0;

        for (int m = 0; m < PM_COUNT; m++)
            if (p->modes[m].rank > 0) {
                seen[p->modes[m].rank]++;
                k++;
            }
        for (int i = 1; i <= k; i++)
            assert_int_equal(seen[i], 1);
    }
}

/* Built, checked, written, reloaded: the same deployment, and the same bytes twice. */
static void test_plandoc_roundtrip(void **state)
{
    struct fixture *f = *state;
    size_t n = 0;
    const struct plan_example *ex = plan_examples(&n);

    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        struct plan *p = plan_example(f, &ex[i]);
        json_t *doc = plandoc_build(p, ex[i].name), *again = plandoc_build(p, ex[i].name);
        char *a = json_dumps(doc, JSON_SORT_KEYS), *b = json_dumps(again, JSON_SORT_KEYS);
        struct plan_deploy want, got;
        struct error err = {0};
        const char *path = "build/test-out/plans/planner-roundtrip.json";

        assert_string_equal(a, b);
        if (plandoc_check(&err, doc, ex[i].name) < 0)
            fail_msg("%s: %s", ex[i].name, err.msg);
        assert_int_equal(json_dump_file(doc, path, JSON_INDENT(2)), 0);
        json_decref(doc);
        doc = plandoc_load(&err, path);
        if (doc == NULL)
            fail_msg("%s: %s", ex[i].name, err.msg);
        plandoc_deploy_of(p, &want);
        assert_int_equal(plandoc_deploy(&err, doc, path, &got), 0);
        assert_int_equal(got.mode, want.mode);
        assert_string_equal(got.gpu_model, want.gpu_model);
        assert_int_equal(got.gpus, want.gpus);
        assert_int_equal(got.mps_clients, want.mps_clients);
        assert_int_equal(got.thread_pct, want.thread_pct);
        assert_int_equal(got.mem_mib, want.mem_mib);
        assert_string_equal(got.k8s_mode, want.k8s_mode);
        assert_int_equal(got.k8s_replicas, want.k8s_replicas);
        assert_string_equal(got.mig_layout, want.mig_layout);
        free(a);
        free(b);
        json_decref(doc);
        json_decref(again);
    }
}

/* The checker refuses what the emitters could not trust, naming the member. */
static void test_plandoc_refused(void **state)
{
    static const struct {
        const char *path[3]; /* members down to the one to change */
        const char *json;    /* its new value; NULL deletes it */
        const char *want;
    } cases[] = {
        {{"schema", NULL, NULL}, "\"gpushare.plan/2\"", "is not 'gpushare.plan/1'"},
        {{"verdict", NULL, NULL}, "1", "verdict: unknown member"},
        {{"modes", NULL, NULL}, "[]", "modes: expected one entry per mode"},
        {{"deploy", "mps", "thread_pct"}, "0", "deploy.mps.thread_pct"},
        {{"deploy", "mps", "clients"}, "1001", "deploy.mps.clients"},
        {{"deploy", "k8s", "replicas"}, "1", "deploy.k8s.replicas"},
        {{"deploy", "gpus", NULL}, "\"one\"", "deploy"},
        {{"fleet", NULL, NULL}, NULL, "fleet"},
    };
    struct fixture *f = *state;
    struct plan *p = plan_example(f, plan_example_find("40-models-a100-80gb"));

    for (size_t i = 0; i < COUNT(cases); i++) {
        json_t *doc = plandoc_build(p, "t"), *o = doc;
        struct error err = {0};
        size_t k = 0;

        while (k + 1 < 3 && cases[i].path[k + 1] != NULL)
            o = json_object_get(o, cases[i].path[k++]);
        assert_non_null(o);
        if (cases[i].json == NULL)
            json_object_del(o, cases[i].path[k]);
        else
            json_object_set_new(o, cases[i].path[k],
                                json_loads(cases[i].json, JSON_DECODE_ANY, NULL));
        if (plandoc_check(&err, doc, "t") == 0)
            fail_msg("case %zu: accepted", i);
        if (strstr(err.msg, cases[i].want) == NULL)
            fail_msg("case %zu: '%s' does not name '%s'", i, err.msg, cases[i].want);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_exactly_full), cmocka_unit_test(test_mps_client_limit),
        cmocka_unit_test(test_mig_no_layout),       cmocka_unit_test(test_mig_too_many),
        cmocka_unit_test(test_larger_than_any_gpu), cmocka_unit_test(test_canonical_example),
        cmocka_unit_test(test_plandoc_roundtrip),   cmocka_unit_test(test_plandoc_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
