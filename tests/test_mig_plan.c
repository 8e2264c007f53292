/*
 * Unit tests for plan/mig_plan: exact layouts and assignments for small cases on H100-80GB
 * and A100-80GB (each worked by hand from the catalog rows in its comment), the reasons a
 * set does not fit, the alternatives (other GPUs, several GPUs, MPS in slices, MPS on the
 * whole GPU), the canonical "40 small models on one A100-80GB", and invariants every plan
 * keeps over the whole catalog.
 *
 * Catalog rows used (src/mig/catalog.c, with their sources): name, SMs, GiB, memory slices,
 * placements H100-80GB (132 SMs): 1g.10gb 16 9.75 1 {0..6}; 1g.20gb 26 19.62 2 {0,2,4,6}; 2g.20gb
 * 32 19.62 2 {0,2,4}; 3g.40gb 60 39.50 4 {0,4}; 4g.40gb 64 39.50 4 {0}; 7g.80gb 132 79.25 8 {0}
 *   A100-80GB (108 SMs): 1g.10gb 14 9.75; 1g.20gb 14 19.50; 2g.20gb 28 19.50;
 *     3g.40gb 42 39.25; 4g.40gb 56 39.25; 7g.80gb 98 79.00 (placements as H100's)
 */
#include "plan/mig_plan.h"

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
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "mig_check.h"
#include "plan/demand.h"
#include "plan/mig_fleet.h"

/* Plans demands (the command-line form, or a file when it names one) on model. */
static struct mig_plan *plan_for(const char *model, const char *demands, struct demand_set *set)
{
    struct mig_plan *p = calloc(1, sizeof(*p));
    struct error err = {0};
    int rc = strchr(demands, '/') != NULL ? demand_load_yaml(&err, demands, set)
                                          : demand_parse_inline(&err, demands, set);

    assert_non_null(p);
    if (rc < 0)
        fail_msg("'%s': %s", demands, err.msg);
    if (mig_plan_solve(&err, catalog_gpu(model), set, p) < 0)
        fail_msg("'%s' on %s: %s", demands, model, err.msg);
    return p;
}

/* "3g.40gb@0 1g.10gb@4": the placed layout, instance by instance. */
static void placed(const struct mig_layout *l, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < l->n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s@%u", i ? " " : "",
                                l->gpu->profiles[l->prof[i]].name, l->start[i]);
}

/* Fails unless the layout's name (mig_layout_name) is want. */
static void check_layout_name(const struct mig_layout *l, const char *want)
{
    char name[128];

    mig_layout_name(l, name, sizeof(name));
    if (strcmp(name, want) != 0)
        fail_msg("layout '%s', want '%s'", name, want);
}

/* ---- fitting: exact layouts and assignments ---- */

static const struct {
    const char *gpu, *demands;
    const char *layout;     /* placed, by first slice */
    unsigned instance[8];   /* of each replica, demand order */
    double mem_gib;         /* of the instances */
    unsigned sms, stranded; /* SMs of the instances; the GPU's minus those */
    unsigned free_slices;
} fit_cases[] = {
    // llama: 20 GiB > 19.62 (1g.20gb, 2g.20gb), so 3g.40gb (39.50, 60 SMs >= 30). bert: 10%
    // of 132 = 13.2 -> 14 SMs; 1g.10gb has 16 and 9.75 GiB. 3g goes first at 0, the 1g at
    // 4, 5, 6. 39.50 + 3 * 9.75 = 68.75 GiB; 60 + 48 = 108 SMs; slice 7 left.
    {"H100-80GB",
     "llama:20gb:30sm,bert:4gb:10%x3",
     "3g.40gb@0 1g.10gb@4 1g.10gb@5 1g.10gb@6",
     {0, 1, 2, 3},
     68.75,
     108,
     24,
     1},
    // A100: 10% of 108 = 10.8 -> 11 SMs <= 14; 3g.40gb has 42 >= 30. 39.25 + 29.25 = 68.50;
    // 42 + 3 * 14 = 84 SMs.
    {"A100-80GB",
     "llama:20gb:30sm,bert:4gb:10%x3",
     "3g.40gb@0 1g.10gb@4 1g.10gb@5 1g.10gb@6",
     {0, 1, 2, 3},
     68.50,
     84,
     24,
     1},
    // 15 GiB, 20 SMs: 1g.20gb and 2g.20gb both 19.62 GiB; 1g.20gb has fewer SMs (26).
    {"H100-80GB", "a:15gb:20sm", "1g.20gb@0", {0}, 19.62, 26, 106, 6},
    // 30 SMs: 1g.20gb's 26 are too few, 2g.20gb's 32 do.
    {"H100-80GB", "a:15gb:30sm", "2g.20gb@0", {0}, 19.62, 32, 100, 6},
    // Seven 1g.10gb: 7 * 16 = 112 SMs (the SM oracle), slice 7 unreachable for a 1g.
    {"H100-80GB",
     "a:5gbx7",
     "1g.10gb@0 1g.10gb@1 1g.10gb@2 1g.10gb@3 1g.10gb@4 1g.10gb@5 "
     "1g.10gb@6",
     {0, 1, 2, 3, 4, 5, 6},
     68.25,
     112,
     20,
     1},
    // 40 GiB > 39.50: only 7g.80gb.
    {"H100-80GB", "big:40gb", "7g.80gb@0", {0}, 79.25, 132, 0, 0},
    // Two 39.5 GiB: 3g + 3g (79 GiB, 120 SMs) beats 4g + 3g (79 GiB, 124 SMs) on SMs.
    {"H100-80GB", "a:39.5gb,b:39.5gb", "3g.40gb@0 3g.40gb@4", {0, 1}, 79.0, 120, 12, 0},
    // a needs 61 SMs: 3g's 60 are too few, so 4g.40gb (only at 0); b takes the 3g at 4.
    {"H100-80GB", "a:39gb:61sm,b:30gb", "4g.40gb@0 3g.40gb@4", {0, 1}, 79.0, 124, 8, 0},
    // a needs 30 SMs (2g.20gb), b none (1g.20gb, fewer SMs at the same GiB); the 2g is
    // placed first. 19.62 * 2 = 39.24 GiB, 58 SMs.
    {"H100-80GB", "a:15gb:30sm,b:15gb", "2g.20gb@0 1g.20gb@2", {0, 1}, 39.24, 58, 74, 4},
    // The order of the demands does not change the layout, only who is listed first.
    {"H100-80GB", "b:15gb,a:15gb:30sm", "2g.20gb@0 1g.20gb@2", {1, 0}, 39.24, 58, 74, 4},
    // 25% of 108 = 27 SMs: 1g (14) too few, 2g.20gb (28) enough; 9.75 GiB is 1g.10gb-sized.
    {"A100-80GB", "a:9gb:25%", "2g.20gb@0", {0}, 19.5, 28, 80, 6},
};

static void test_fits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fit_cases) / sizeof(fit_cases[0]); i++) {
        struct demand_set set;
        struct mig_plan *p = plan_for(fit_cases[i].gpu, fit_cases[i].demands, &set);
        char got[256];

        if (!p->fits)
            fail_msg("case %zu: '%s' does not fit: %s", i, fit_cases[i].demands, p->why);
        assert_int_equal(p->reason, MIG_PLAN_FITS);
        assert_string_equal(p->why, "");
        placed(&p->layout, got, sizeof(got));
        if (strcmp(got, fit_cases[i].layout) != 0)
            fail_msg("case %zu: layout '%s', want '%s'", i, got, fit_cases[i].layout);
        assert_int_equal(p->n_items, p->replicas);
        for (size_t k = 0; k < p->n_items; k++) {
            if (p->items[k].instance != fit_cases[i].instance[k] || p->items[k].gpu != 0)
                fail_msg("case %zu: replica %zu in instance %u, want %u", i, k,
                         p->items[k].instance, fit_cases[i].instance[k]);
        }
        check_close(p->usage.mem_gib, fit_cases[i].mem_gib, 1e-9, "mem_gib", i);
        if (p->usage.sms != fit_cases[i].sms || p->usage.sms_stranded != fit_cases[i].stranded ||
            p->free_mem_slices != fit_cases[i].free_slices)
            fail_msg("case %zu: %u SMs, %u stranded, %u slices free; want %u, %u, %u", i,
                     p->usage.sms, p->usage.sms_stranded, p->free_mem_slices, fit_cases[i].sms,
                     fit_cases[i].stranded, fit_cases[i].free_slices);
        assert_false(p->media_ext);
        // No alternatives are looked for when it fits.
        assert_int_equal(p->n_other, 0);
        assert_int_equal(p->multi.k, 0);
        assert_false(p->mps.fits);
        free(p);
        demand_set_release(&set);
    }
}

/* Items name their demand and replica in demand order. */
static void test_items_order(void **state)
{
    struct demand_set set;
    struct mig_plan *p = plan_for("H100-80GB", "a:1gbx2,b:1gb,c:1gbx3", &set);
    static const unsigned demand[] = {0, 0, 1, 2, 2, 2}, replica[] = {0, 1, 0, 0, 1, 2};

    (void)state;
    assert_true(p->fits);
    assert_int_equal(p->n_items, 6);
    for (size_t k = 0; k < 6; k++) {
        assert_int_equal(p->items[k].demand, demand[k]);
        assert_int_equal(p->items[k].replica, replica[k]);
        assert_int_equal(p->items[k].instance, k); // six 1g.10gb at 0..5, in order
    }
    free(p);
    demand_set_release(&set);
}

/* ---- not fitting: the reasons ---- */

static const struct {
    const char *gpu, *demands;
    enum mig_plan_reason reason;
    const char *why;
} why_cases[] = {
    {"H100-80GB", "huge:90gb,ok:1gb,big2:100gb", MIG_PLAN_TOO_BIG,
     "'huge' needs 90 GiB per replica; the largest GPU instance of H100-80GB, 7g.80gb, has "
     "79.25 GiB; 1 more model is too big as well"},
    {"H100-80GB", "a:1gb,huge:90gbx2", MIG_PLAN_TOO_BIG,
     "'huge' needs 90 GiB per replica; the largest GPU instance of H100-80GB, 7g.80gb, has "
     "79.25 GiB"},
    // 100% of A100's 108 SMs; its 7g.80gb has 98 (MIG keeps 10 SMs back).
    {"A100-80GB", "x:10gb:100%", MIG_PLAN_TOO_BIG,
     "'x' needs 108 SMs per replica; the largest GPU instance of A100-80GB, 7g.80gb, has 98"},
    {"H100-80GB", "x:1gb:133sm", MIG_PLAN_TOO_BIG,
     "'x' needs 133 SMs per replica; the largest GPU instance of H100-80GB, 7g.80gb, has 132"},
    {"H100-80GB", "a:1gbx8", MIG_PLAN_TOO_MANY,
     "8 replicas need 8 GPU instances, one each; H100-80GB holds at most 7 at once"},
    {"A100-80GB", "small:1gbx40", MIG_PLAN_TOO_MANY,
     "40 replicas need 40 GPU instances, one each; A100-80GB holds at most 7 at once"},
    // 60 GiB: only 7g.80gb (8 slices); 30 GiB: 3g.40gb (4 slices) at least.
    {"H100-80GB", "big:60gb,mid:30gb", MIG_PLAN_NO_ROOM,
     "the smallest GPU instances that hold them, 7g.80gb + 3g.40gb, need 12 memory slices and "
     "10 compute slices; H100-80GB has 8 and 7"},
    // 3g + 3g + 1g: 9 memory slices (the MIG User Guide's placements).
    {"H100-80GB", "a:35gbx2,b:5gb", MIG_PLAN_NO_ROOM,
     "the smallest GPU instances that hold them, 3g.40gb x2 + 1g.10gb, need 9 memory slices "
     "and 7 compute slices; H100-80GB has 8 and 7"},
    // Five 15 GiB: 1g.20gb each (2 slices), and there are 8.
    {"H100-80GB", "a:15gbx5", MIG_PLAN_NO_ROOM,
     "the smallest GPU instances that hold them, 1g.20gb x5, need 10 memory slices and 5 "
     "compute slices; H100-80GB has 8 and 7"},
    // Two that need 4g.40gb's 64 SMs: 8 compute slices.
    {"H100-80GB", "a:20gb:61smx2", MIG_PLAN_NO_ROOM,
     "the smallest GPU instances that hold them, 4g.40gb x2, need 8 memory slices and 8 "
     "compute slices; H100-80GB has 8 and 7"},
    // Unknown is not too small: B200's 3g/4g/7g rows have no GiB, so 60 GiB may fit them.
    {"B200-180GB", "big:60gb", MIG_PLAN_UNKNOWN,
     "'big' needs 60 GiB per replica; the largest GPU instance of B200-180GB whose memory the "
     "catalog knows, 2g.45gb, has 44.25 GiB, and it does not know the memory of 3g.90gb, "
     "4g.90gb and 7g.180gb (unverified rows: gpushare mig profiles --gpu B200-180GB)"},
    // ... but no row holds more than the whole GPU.
    {"B200-180GB", "big:200gb", MIG_PLAN_TOO_BIG,
     "'big' needs 200 GiB per replica; B200-180GB has 180 GiB in all"},
    {"B200-180GB", "a:200gb,b:60gb", MIG_PLAN_TOO_BIG,
     "'a' needs 200 GiB per replica; B200-180GB has 180 GiB in all; for 1 more model the "
     "catalog lacks the figures that would say (unverified rows: gpushare mig profiles --gpu "
     "B200-180GB)"},
    // A share of SMs the catalog does not count.
    {"B200-180GB", "a:10gb:50%", MIG_PLAN_UNKNOWN,
     "'a' asks for 50% of the SMs of B200-180GB, which the catalog does not know (unverified "
     "rows: gpushare mig profiles --gpu B200-180GB)"},
    // H100 PCIe: no per-profile SMs; 1g.10gb (9.75 GiB) is too small by memory alone.
    {"H100-PCIE-80GB", "a:10gb:20sm", MIG_PLAN_UNKNOWN,
     "'a' needs 20 SMs per replica; the catalog does not know the SMs of 1g.20gb, 2g.20gb, "
     "3g.40gb, 4g.40gb and 7g.80gb (unverified rows: gpushare mig profiles --gpu "
     "H100-PCIE-80GB)"},
    {"H100-PCIE-80GB", "x:10gb:150sm", MIG_PLAN_TOO_BIG,
     "'x' needs 150 SMs per replica; H100-PCIE-80GB has 114 in all"},
    // GH200 96GB: the 1g rows have no GiB; a refusal by the known rows says which might help.
    {"GH200-96GB", "a:5gbx7", MIG_PLAN_NO_ROOM,
     "the smallest GPU instances known to hold them, 2g.24gb x7, need 14 memory slices and 14 "
     "compute slices; GH200-96GB has 8 and 7; the catalog does not know the memory of 1g.12gb, "
     "1g.12gb+me and 1g.24gb, which might hold some of them (unverified rows: gpushare mig "
     "profiles --gpu GH200-96GB)"},
};

static void test_why(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(why_cases) / sizeof(why_cases[0]); i++) {
        struct demand_set set;
        struct mig_plan *p = plan_for(why_cases[i].gpu, why_cases[i].demands, &set);

        if (p->fits)
            fail_msg("case %zu: '%s' fits", i, why_cases[i].demands);
        if (p->reason != why_cases[i].reason)
            fail_msg("case %zu: reason %s, want %s", i, mig_plan_reason_name(p->reason),
                     mig_plan_reason_name(why_cases[i].reason));
        if (strcmp(p->why, why_cases[i].why) != 0)
            fail_msg("case %zu: why\n  '%s'\nwant\n  '%s'", i, p->why, why_cases[i].why);
        assert_int_equal(p->n_items, 0);
        free(p);
        demand_set_release(&set);
    }
}

/* ---- the alternatives ---- */

/* The brief's pair: 60 GiB needs 7g.80gb (4g.40gb has 39.50), so 30 GiB finds no room. */
static void test_pair_on_h100(void **state)
{
    struct demand_set set;
    struct mig_plan *p = plan_for("H100-80GB", "big:60gb,mid:30gb", &set);
    const struct mig_gpu *h200 = mig_gpu_find("H200-141GB");
    bool seen_h200 = false;

    (void)state;
    assert_false(p->fits);
    // b. Two H100s: 7g.80gb for big, 3g.40gb (the smallest that takes 30 GiB) for mid; 12
    // memory slices need two GPUs, so two is the least.
    assert_int_equal(p->multi.k, 2);
    assert_int_equal(p->multi.lower_bound, 2);
    assert_true(p->multi.minimal);
    check_layout_name(&p->multi.layouts[0], "7g.80gb");
    check_layout_name(&p->multi.layouts[1], "3g.40gb");
    assert_int_equal(p->multi.items[0].gpu, 0);
    assert_int_equal(p->multi.items[0].instance, 0);
    assert_int_equal(p->multi.items[1].gpu, 1);
    assert_int_equal(p->multi.items[1].instance, 0);
    // c, d. 90 GiB: more than any instance or the whole GPU.
    assert_false(p->mps.fits);
    assert_string_equal(p->mps.why,
                        "90 GiB in all: more than any layout of H100-80GB holds (79.25 GiB)");
    assert_false(p->mps_gpu.fits);
    assert_string_equal(p->mps_gpu.why, "90 GiB in all: more than H100-80GB's 80 GiB");
    // a. Other GPUs: never the A100-80GB (7g.80gb + 3g.40gb there too); the H200-141GB when
    // the catalog has it: 60 GiB in 3g.71gb (69.50), 30 in 1g.35gb (32.25).
    for (size_t i = 0; i < p->n_other; i++) {
        assert_string_not_equal(p->other[i].gpu->model, "A100-80GB");
        assert_string_not_equal(p->other[i].gpu->model, "H100-80GB");
        if (i > 0)
            assert_true(p->other[i - 1].gpu->mem_gib <= p->other[i].gpu->mem_gib);
        if (p->other[i].gpu == h200) {
            char where[128];

            seen_h200 = true;
            placed(&p->other[i].layout, where, sizeof(where));
            assert_string_equal(where, "3g.71gb@0 1g.35gb@4");
        }
    }
    if (h200 != NULL && !seen_h200)
        fail_msg("H200-141GB is in the catalog but not among the alternatives");
    free(p);
    demand_set_release(&set);
}

/* A replica too big for any instance: no number of GPUs of this model helps, nor MPS. */
static void test_too_big_alternatives(void **state)
{
    struct demand_set set;
    struct mig_plan *p = plan_for("A100-80GB", "x:10gb:100%", &set);
    const struct mig_gpu *h100 = catalog_gpu("H100-80GB");
    bool seen_h100 = false;

    (void)state;
    assert_int_equal(p->multi.k, 0);
    assert_false(p->mps.fits);
    // MPS on the whole GPU, MIG off: 108 SMs of 108.
    assert_true(p->mps_gpu.fits);
    assert_int_equal(p->mps_gpu.sms, 108);
    assert_int_equal(p->mps_gpu.gpu_sms, 108);
    // H100-80GB's 7g.80gb has all 132 of its SMs, so 100% fits there.
    for (size_t i = 0; i < p->n_other; i++) {
        if (p->other[i].gpu != h100)
            continue;
        seen_h100 = true;
        check_layout_name(&p->other[i].layout, "7g.80gb");
    }
    assert_true(seen_h100);
    free(p);
    demand_set_release(&set);
}

/* Eight 1 GiB replicas on H100: seven instances at most. */
static void test_eight_on_h100(void **state)
{
    struct demand_set set;
    struct mig_plan *p = plan_for("H100-80GB", "a:1gbx8", &set);

    (void)state;
    assert_int_equal(p->reason, MIG_PLAN_TOO_MANY);
    // b. Seven 1g.10gb and one more on a second GPU.
    assert_int_equal(p->multi.k, 2);
    assert_true(p->multi.minimal);
    check_layout_name(&p->multi.layouts[0], "1g.10gb x7");
    check_layout_name(&p->multi.layouts[1], "1g.10gb");
    for (unsigned k = 0; k < 8; k++) {
        assert_int_equal(p->multi.items[k].gpu, k / 7);
        assert_int_equal(p->multi.items[k].instance, k % 7);
    }
    // c. MPS in seven 1g.10gb (the most instances), six clients each: 2 + 1 * 6.
    assert_true(p->mps.fits);
    check_layout_name(&p->mps.layout, "1g.10gb x7");
    assert_int_equal(p->mps.groups[0].clients, 2);
    for (unsigned i = 0; i < 7; i++) {
        assert_int_equal(p->mps.groups[i].client_limit, 6);
        if (i > 0)
            assert_int_equal(p->mps.groups[i].clients, 1);
    }
    assert_int_equal(p->mps.items[7].instance, 0);
    free(p);
    demand_set_release(&set);
}

/*
 * The question the tool answers: 40 small inference models on one A100-80GB. MIG alone
 * cannot (at most 7 instances); the alternatives: 6 GPUs (7 + 7 + 7 + 7 + 7 + 5), MPS inside
 * seven 1g.10gb slices of 6 clients each (floor(48 / 7)), or MPS on the whole GPU (40 of 48
 * clients). The fixture's models take 0.5 to 1.5 GiB, 42.5 GiB in all.
 */
static void check_forty(const char *demands, double mem_all)
{
    struct demand_set set;
    struct mig_plan *p = plan_for("A100-80GB", demands, &set);
    unsigned clients = 0;
    double mem = 0;

    assert_int_equal(p->replicas, 40);
    assert_false(p->fits);
    assert_int_equal(p->reason, MIG_PLAN_TOO_MANY);
    assert_string_equal(p->why,
                        "40 replicas need 40 GPU instances, one each; A100-80GB holds at most 7 "
                        "at once");
    // a. No catalog GPU has 40 instances.
    assert_int_equal(p->n_other, 0);
    // b. ceil(40 / 7) = 6 GPUs, and no fewer can.
    assert_int_equal(p->multi.k, 6);
    assert_int_equal(p->multi.lower_bound, 6);
    assert_true(p->multi.minimal);
    for (size_t g = 0; g < 6; g++)
        check_layout_name(&p->multi.layouts[g], g < 5 ? "1g.10gb x7" : "1g.10gb x5");
    // c. MPS in 1g slices: 7 instances of 6 clients (42 >= 40), groups even (5 or 6).
    assert_true(p->mps.fits);
    assert_false(p->mps.cut);
    check_layout_name(&p->mps.layout, "1g.10gb x7");
    for (size_t i = 0; i < 7; i++) {
        const struct mig_plan_group *g = &p->mps.groups[i];

        assert_int_equal(g->client_limit, 6);
        assert_in_range(g->clients, 5, 6);
        assert_true(g->mem_gib <= 9.75);
        clients += g->clients;
        mem += g->mem_gib;
    }
    assert_int_equal(clients, 40);
    check_close(mem, mem_all, 1e-9, "mps mem", 0);
    // d. MPS on the whole GPU: 40 clients of 48, memory well inside 80 GiB.
    assert_true(p->mps_gpu.fits);
    assert_int_equal(p->mps_gpu.clients, 40);
    assert_int_equal(p->mps_gpu.client_limit, 48);
    check_close(p->mps_gpu.mem_gib, mem_all, 1e-9, "mps_gpu mem", 0);
    free(p);
    demand_set_release(&set);
}

static void test_forty_models(void **state)
{
    (void)state;
    check_forty("tests/fixtures/demands-good-40-models.yaml", 42.5);
    check_forty("small:1gbx40", 40.0);
}

/* MPS inside slices fails on client limits before memory: 49 replicas, 48 clients at most. */
static void test_mps_limits(void **state)
{
    static const struct {
        const char *gpu, *demands, *mps_why, *mps_gpu_why;
    } cases[] = {
        {"H100-80GB", "a:0.5gbx49",
         "49 replicas: more than the 48 MPS clients any layout of H100-80GB takes (48 per GPU, "
         "CUDA <= 13.0, in proportion to each instance's compute slices)",
         "49 clients: more than the 48 one MPS server takes (CUDA <= 13.0)"},
        // 40 * 3 = 120 SMs: more than seven 1g.10gb have (112), within 3g + 2g + 1g x2 (124).
        {"H100-80GB", "a:1gb:3smx40", NULL, NULL},
        // 140 SMs: more than any layout and the GPU.
        {"H100-80GB", "a:1gb:14smx10",
         "140 SMs in all: more than any layout of H100-80GB has (132)",
         "140 SMs in all: more than H100-80GB's 132"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct demand_set set;
        struct mig_plan *p = plan_for(cases[i].gpu, cases[i].demands, &set);

        assert_false(p->fits);
        if (cases[i].mps_why == NULL) {
            if (!p->mps.fits)
                fail_msg("case %zu: MPS in slices refused: %s", i, p->mps.why);
        } else if (p->mps.fits || strcmp(p->mps.why, cases[i].mps_why) != 0) {
            fail_msg("case %zu: mps why '%s'", i, p->mps.why);
        }
        if (cases[i].mps_gpu_why == NULL) {
            assert_true(p->mps_gpu.fits);
        } else if (p->mps_gpu.fits || strcmp(p->mps_gpu.why, cases[i].mps_gpu_why) != 0) {
            fail_msg("case %zu: mps_gpu why '%s'", i, p->mps_gpu.why);
        }
        free(p);
        demand_set_release(&set);
    }
}

/* ---- a GPU made up for the branches the catalog never takes ---- */

/* 4 memory and 4 compute slices: a +me 1g listed first, a plain 1g (one of each at most), and
 * a 2g whose two placements overlap, so two 2g never fit though their slices add up. */
static const struct mig_gpu fake_gpu = {
    .model = "FAKE-4",
    .sms = 40,
    .mem_slices = 4,
    .compute_slices = 4,
    .mem_gib = 40,
    .n_profiles = 3,
    .profiles =
        {
            {"1g.10gb+me",
             20,
             1,
             10,
             9.0,
             1,
             true,
             4,
             {{0, 1}, {1, 1}, {2, 1}, {3, 1}},
             true,
             "test"},
            {"1g.10gb",
             19,
             1,
             10,
             9.0,
             1,
             false,
             4,
             {{0, 1}, {1, 1}, {2, 1}, {3, 1}},
             true,
             "test"},
            {"2g.20gb", 14, 2, 20, 18.0, 2, false, 2, {{0, 2}, {1, 2}}, true, "test"},
        },
};

static struct mig_plan *plan_fake(const char *demands)
{
    struct mig_plan *p = calloc(1, sizeof(*p));
    struct demand_set set;
    struct error err = {0};

    assert_non_null(p);
    assert_int_equal(demand_parse_inline(&err, demands, &set), 0);
    assert_int_equal(mig_plan_solve(&err, &fake_gpu, &set, p), 0);
    demand_set_release(&set);
    return p;
}

static void test_media_ext_last(void **state)
{
    static const struct {
        const char *demands, *layout;
        bool media_ext;
    } cases[] = {
        // One replica: the plain 1g, though the +me row comes first and costs the same.
        {"a:1gb", "1g.10gb", false},
        // Two: the plain 1g has one instance at most; 1g + 2g costs more memory than 1g + 1g+me
        // but keeps the media engines.
        {"a:1gbx2", "2g.20gb + 1g.10gb", false},
        // Three: one 2g at most (its placements overlap), so the +me 1g is the only way.
        {"a:1gbx3", "2g.20gb + 1g.10gb+me + 1g.10gb", true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mig_plan *p = plan_fake(cases[i].demands);

        if (!p->fits)
            fail_msg("case %zu: '%s' does not fit: %s", i, cases[i].demands, p->why);
        check_layout_name(&p->layout, cases[i].layout);
        if (p->media_ext != cases[i].media_ext)
            fail_msg("case %zu: media_ext %d", i, p->media_ext);
        free(p);
    }
}

static void test_placement_reason(void **state)
{
    struct mig_plan *p = plan_fake("a:10gbx2");

    (void)state;
    assert_false(p->fits);
    assert_int_equal(p->reason, MIG_PLAN_NO_ROOM);
    // The text after "together: " is geometry's own.
    static const char head[] = "the smallest GPU instances that hold them, 2g.20gb x2, take 4 of "
                               "FAKE-4's 4 memory slices and 4 of its 4 compute slices but do "
                               "not fit together: ";

    if (strncmp(p->why, head, sizeof(head) - 1) != 0 || strlen(p->why) <= sizeof(head) - 1)
        fail_msg("why '%s'", p->why);
    assert_int_equal(p->multi.k, 2);
    free(p);
}

/* ---- helpers ---- */

static void test_mps_clients(void **state)
{
    static const struct {
        const char *gpu, *profile;
        unsigned want;
    } cases[] = {
        {"H100-80GB", "1g.10gb", 6},  {"H100-80GB", "1g.20gb", 6},  {"H100-80GB", "2g.20gb", 13},
        {"H100-80GB", "3g.40gb", 20}, {"H100-80GB", "4g.40gb", 27}, {"H100-80GB", "7g.80gb", 48},
        {"A30-24GB", "1g.6gb", 12},   {"A30-24GB", "2g.12gb", 24},  {"A30-24GB", "4g.24gb", 48},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct mig_gpu *g = mig_gpu_find(cases[i].gpu);
        const struct mig_profile_spec *p;

        if (g == NULL)
            continue; // the A30 row is another helper's; H100 is always there
        p = mig_profile_find(g, cases[i].profile, NULL);
        assert_non_null(p);
        if (mig_plan_mps_clients(g, p) != cases[i].want)
            fail_msg("case %zu: %s %s: %u clients, want %u", i, cases[i].gpu, cases[i].profile,
                     mig_plan_mps_clients(g, p), cases[i].want);
    }
}

static void test_holds(void **state)
{
    static const struct {
        const char *profile;
        struct demand d;
        bool want;
    } cases[] = {
        {"1g.10gb",
         {.name = "a", .mem_gib = 9.75, .min_sms = 0, .min_fraction = 0, .replicas = 1},
         true}, // equal is enough
        {"1g.10gb",
         {.name = "a", .mem_gib = 9.76, .min_sms = 0, .min_fraction = 0, .replicas = 1},
         false},
        {"1g.10gb",
         {.name = "a", .mem_gib = 1, .min_sms = 16, .min_fraction = 0, .replicas = 1},
         true},
        {"1g.10gb",
         {.name = "a", .mem_gib = 1, .min_sms = 17, .min_fraction = 0, .replicas = 1},
         false},
        {"1g.10gb",
         {.name = "a", .mem_gib = 1, .min_sms = 0, .min_fraction = 0.12, .replicas = 1},
         true}, // 15.84 -> 16
        {"1g.10gb",
         {.name = "a", .mem_gib = 1, .min_sms = 0, .min_fraction = 0.125, .replicas = 1},
         false}, // 16.5 -> 17
        {"7g.80gb",
         {.name = "a", .mem_gib = 79.25, .min_sms = 0, .min_fraction = 1.0, .replicas = 1},
         true},
    };
    const struct mig_gpu *g = catalog_gpu("H100-80GB");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct mig_profile_spec *p = mig_profile_find(g, cases[i].profile, NULL);

        assert_non_null(p);
        if (mig_plan_holds(g, p, &cases[i].d) != cases[i].want)
            fail_msg("case %zu: holds is %d", i, !cases[i].want);
    }
}

static void test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(mig_plan_reason_name(MIG_PLAN_FITS), "fits");
    assert_string_equal(mig_plan_reason_name(MIG_PLAN_TOO_BIG), "too_big");
    assert_string_equal(mig_plan_reason_name(MIG_PLAN_TOO_MANY), "too_many");
    assert_string_equal(mig_plan_reason_name(MIG_PLAN_NO_ROOM), "no_room");
    assert_string_equal(mig_plan_reason_name(MIG_PLAN_UNKNOWN), "unknown_size");
    assert_string_equal(mig_plan_reason_name((enum mig_plan_reason)9), "unknown");
}

static void test_refusals(void **state)
{
    struct mig_plan *p = calloc(1, sizeof(*p));
    struct demand_set set = {0};
    struct error err = {0};

    (void)state;
    assert_non_null(p);
    assert_int_equal(mig_plan_solve(&err, catalog_gpu("H100-80GB"), &set, p), -1);
    assert_int_equal(err.code, ERR_INVALID);
    assert_string_equal(err.msg, "no demands to plan");
    free(p);
}

/* ---- invariants over the catalog ---- */

/* Every instance of l holds exactly one replica and each replica's instance holds it. */
static void check_one_each(const struct demand_set *set, const struct mig_layout *l,
                           const struct mig_plan_item *items, size_t n, unsigned gpu,
                           const char *what)
{
    unsigned used[MIG_MAX_INSTANCES] = {0};
    struct mig_layout copy = *l;

    if (!mig_check_layout(&copy, NULL, 0))
        fail_msg("%s: layout does not fit", what);
    for (size_t k = 0; k < n; k++) {
        if (items[k].gpu != gpu)
            continue;
        assert_true(items[k].instance < l->n);
        used[items[k].instance]++;
        if (!mig_plan_holds(l->gpu, &l->gpu->profiles[l->prof[items[k].instance]],
                            &set->d[items[k].demand]))
            fail_msg("%s: replica %zu in an instance too small", what, k);
    }
    for (size_t i = 0; i < l->n; i++) {
        if (used[i] != 1)
            fail_msg("%s: instance %zu holds %u replicas", what, i, used[i]);
    }
}

static void check_invariants(const struct mig_gpu *gpu, const char *demands)
{
    struct mig_plan *p = calloc(1, sizeof(*p)), *q = calloc(1, sizeof(*q));
    struct demand_set set;
    struct error err = {0};
    char what[160];

    assert_non_null(p);
    assert_non_null(q);
    assert_int_equal(demand_parse_inline(&err, demands, &set), 0);
    assert_int_equal(mig_plan_solve(&err, gpu, &set, p), 0);
    snprintf(what, sizeof(what), "'%s' on %s", demands, gpu->model);
    assert_int_equal(p->replicas, demand_replicas(&set));
    if (p->fits) {
        check_one_each(&set, &p->layout, p->items, p->n_items, 0, what);
        goto done;
    }
    assert_true(p->why[0] != '\0');
    // a. Each other GPU does take them, in the layout named.
    for (size_t i = 0; i < p->n_other; i++) {
        char a[128], b[128];

        assert_int_equal(mig_plan_solve(&err, p->other[i].gpu, &set, q), 0);
        if (!q->fits)
            fail_msg("%s: %s listed but does not fit", what, p->other[i].gpu->model);
        placed(&q->layout, a, sizeof(a));
        placed(&p->other[i].layout, b, sizeof(b));
        assert_string_equal(a, b);
    }
    // b. k GPUs, each layout valid with one replica per instance; never fewer than the bound.
    if (p->multi.k > 0) {
        assert_true(p->multi.k >= p->multi.lower_bound);
        assert_int_equal(p->multi.minimal, p->multi.k == p->multi.lower_bound);
        for (size_t g = 0; g < p->multi.k; g++)
            check_one_each(&set, &p->multi.layouts[g], p->multi.items, p->replicas, (unsigned)g,
                           what);
        for (size_t k = 0; k < p->replicas; k++)
            assert_true(p->multi.items[k].gpu < p->multi.k);
    } else {
        // No number of GPUs: a replica too big, or one only rows without figures might hold.
        assert_true(p->reason == MIG_PLAN_TOO_BIG || p->reason == MIG_PLAN_UNKNOWN);
    }
    // c. Groups within their instance's memory, SMs and client limit, none empty.
    if (p->mps.fits) {
        struct mig_plan_group sum[MIG_MAX_INSTANCES] = {{0}};
        struct mig_layout copy = p->mps.layout;

        assert_true(mig_check_layout(&copy, NULL, 0));
        for (size_t k = 0; k < p->replicas; k++) {
            const struct mig_plan_item *it = &p->mps.items[k];
            const struct demand *d = &set.d[it->demand];

            assert_true(it->instance < p->mps.layout.n);
            sum[it->instance].clients++;
            sum[it->instance].mem_gib += d->mem_gib;
            sum[it->instance].sms += demand_sms_needed(d, gpu->sms);
        }
        for (size_t i = 0; i < p->mps.layout.n; i++) {
            const struct mig_profile_spec *s = &gpu->profiles[p->mps.layout.prof[i]];
            const struct mig_plan_group *g = &p->mps.groups[i];

            assert_int_equal(g->clients, sum[i].clients);
            check_close(g->mem_gib, sum[i].mem_gib, 1e-9, "group mem", i);
            assert_int_equal(g->sms, sum[i].sms);
            assert_true(g->clients >= 1 && g->clients <= g->client_limit);
            assert_int_equal(g->client_limit, mig_plan_mps_clients(gpu, s));
            assert_true(g->mem_gib <= s->mem_gib + 1e-9);
            assert_true(g->sms <= s->sms);
        }
    } else {
        assert_true(p->mps.why[0] != '\0');
    }
    // d. The whole GPU: exactly the three limits.
    assert_int_equal(p->mps_gpu.fits,
                     p->mps_gpu.clients <= 48 && p->mps_gpu.mem_gib <= gpu->mem_gib + 1e-9 &&
                         p->mps_gpu.sms <= gpu->sms && (gpu->sms > 0 || p->mps_gpu.sms == 0));
done:
    free(q);
    free(p);
    demand_set_release(&set);
}

static void test_invariants(void **state)
{
    static const char *const demands[] = {
        "a:1gb",
        "a:5gbx7",
        "a:1gbx8",
        "a:60gb,b:30gb",
        "a:20gb:30sm,b:4gb:10%x3",
        "a:30gbx3,b:15gbx2",
        "a:35gbx2,b:5gb",
        "a:15gbx5",
        "a:1.63gbx42",
        "a:1.9gbx20,b:1.7gbx20,c:0.3gbx5",
        "a:9gbx7,b:1gbx7,c:0.7gbx10",
        "a:2gb:3smx20,b:1gb:50%",
        "a:90gb",
        "a:10gb:100%",
        "a:39gb:61sm,b:30gb,c:5gbx2",
        "a:3gb:25%x4,b:0.5gbx9",
        "a:70gbx30,b:10gbx30,c:1gbx30",
    };
    size_t n_cat = 0;
    const struct mig_gpu *cat = mig_catalog(&n_cat);

    (void)state;
    assert_true(n_cat > 0);
    for (size_t g = 0; g < n_cat; g++) {
        for (size_t i = 0; i < sizeof(demands) / sizeof(demands[0]); i++)
            check_invariants(&cat[g], demands[i]);
    }
    for (size_t i = 0; i < sizeof(demands) / sizeof(demands[0]); i++)
        check_invariants(&fake_gpu, demands[i]);
}

/* ---- a fleet: the verdict weighs MPS too ---- */

/* A fleet document of one model, as mig_fleet_plan reads it (fleet/merge.h checks the rest). */
static json_t *one_model_fleet(const char *nvml_name, int gpus)
{
    json_t *f = json_pack("{s:{s:{s:i, s:[s]}}}", "models", nvml_name, "gpus", gpus, "nodes", "n0");

    assert_non_null(f);
    return f;
}

static void fleet_case(const char *demands, int gpus, enum mig_fleet_way way, size_t need,
                       size_t mig_need, bool fits)
{
    json_t *doc = one_model_fleet("NVIDIA A100-SXM4-80GB", gpus);
    struct demand_set set;
    struct mig_fleet f;
    struct error err = {0};
    int rc = strchr(demands, '\n') != NULL
                 ? demand_load_yaml_buf(&err, demands, strlen(demands), "d.yaml", &set)
                 : demand_parse_inline(&err, demands, &set);

    if (rc < 0)
        fail_msg("'%s': %s", demands, err.msg);
    assert_int_equal(mig_fleet_plan(&err, doc, "f.json", &set, &f), 0);
    if (f.best->way != way || f.best->need != need || f.best->mig_need != mig_need ||
        f.fits != fits)
        fail_msg("'%.40s' on %d: way %s need %zu mig_need %zu fits %d", demands, gpus,
                 mig_fleet_way_name(f.best->way) ? mig_fleet_way_name(f.best->way) : "none",
                 f.best->need, f.best->mig_need, f.fits);
    mig_fleet_release(&f);
    demand_set_release(&set);
    json_decref(doc);
}

static void test_fleet_ways(void **state)
{
    (void)state;
    // One fits on one GPU: MIG.
    fleet_case("a:10gb,b:20gb", 1, MIG_FLEET_MIG, 1, 1, true);
    // 40 small models: MIG needs six A100s; with six, MIG; with four, MPS inside MIG slices.
    fleet_case("m:1.5gbx40", 6, MIG_FLEET_MIG, 6, 6, true);
    fleet_case("m:1.5gbx40", 4, MIG_FLEET_MPS_SLICES, 1, 6, true);
    // 79.6 GiB: more than A100's 7g.80gb (79 GiB) holds, within the whole GPU's 80.
    fleet_case("m:1.99gbx40", 4, MIG_FLEET_MPS_GPU, 1, 6, true);
    // The same with one that needs hard isolation: MPS on the whole GPU is no answer.
    fleet_case("models:\n  - name: a\n    memory_gib: 1\n    replicas: 45\n"
               "  - name: b\n    memory_gib: 1\n    isolation: hard\n",
               4, MIG_FLEET_NONE, 7, 7, false);
    // Two tenants cannot share one MPS daemon on the whole GPU either.
    fleet_case("models:\n  - name: a\n    memory_gib: 1\n    replicas: 45\n    tenant: t1\n"
               "  - name: b\n    memory_gib: 1\n    tenant: t2\n",
               4, MIG_FLEET_NONE, 7, 7, false);
    assert_string_equal(mig_fleet_way_name(MIG_FLEET_MPS_GPU), "mps_whole_gpu");
    assert_null(mig_fleet_way_name(MIG_FLEET_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_items_order),
        cmocka_unit_test(test_why),
        cmocka_unit_test(test_pair_on_h100),
        cmocka_unit_test(test_too_big_alternatives),
        cmocka_unit_test(test_eight_on_h100),
        cmocka_unit_test(test_forty_models),
        cmocka_unit_test(test_mps_limits),
        cmocka_unit_test(test_media_ext_last),
        cmocka_unit_test(test_placement_reason),
        cmocka_unit_test(test_mps_clients),
        cmocka_unit_test(test_holds),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_fleet_ways),
    };

    return cmocka_run_group_tests_name("mig_plan", tests, NULL, NULL);
}
