/*
 * Consistency tests for mig/catalog: every row against the grammar (mig/profile.h) and the
 * accounting rules of the MIG User Guide (memory and compute slices), the sums its tables
 * give, the lookups, which figures are known, and the H100-80GB entry against what NVML
 * reported on the device (results/2026-11-24-h100-info.json, gpushare info). Run from the
 * repository root.
 */
#include "mig/catalog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/error.h"
#include "mig/profile.h"

#define H100_INFO "results/2026-11-24-h100-info.json"

/* Every name is mig-parted's, its <g> is gslices, "+me" is media_ext, and it is canonical. */
static void test_names_parse(void **state)
{
    size_t n;
    const struct mig_gpu *gpus = mig_catalog(&n);

    (void)state;
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++)
        for (unsigned j = 0; j < gpus[i].n_profiles; j++) {
            const struct mig_profile_spec *p = &gpus[i].profiles[j];
            struct mig_profile_name pn;
            struct error err = {0};
            char canon[MIG_PROFILE_NAME_SIZE];

            if (mig_profile_parse(&err, p->name, &pn) < 0)
                fail_msg("%s %s: %s", gpus[i].model, p->name, err.msg);
            if (pn.g != p->gslices)
                fail_msg("%s %s: <g> is %u, gslices %u", gpus[i].model, p->name, pn.g, p->gslices);
            if (pn.c != 0 || pn.attrs_negated)
                fail_msg("%s %s: a GPU-instance profile has no <c> and no '-'", gpus[i].model,
                         p->name);
            if (p->media_ext != (strcmp(pn.attrs, "me") == 0) ||
                (!p->media_ext && pn.attrs[0] != '\0'))
                fail_msg("%s %s: media_ext %d disagrees with the name", gpus[i].model, p->name,
                         p->media_ext);
            mig_profile_format(&pn, canon, sizeof(canon));
            if (strcmp(canon, p->name) != 0)
                fail_msg("%s %s: not canonical ('%s')", gpus[i].model, p->name, canon);
        }
}

/* Memory slices a placement of a <g> profile may take (section 3.1's table; A30: <g>). */
static bool size_fits(const struct mig_gpu *g, unsigned gslices, unsigned size)
{
    if (g->mem_slices == 4)
        return size == gslices;
    switch (gslices) {
    case 1:
        return size == 1 || size == 2; // 2: the double-memory 1g (ID 15)
    case 2:
        return size == 2;
    case 3:
    case 4:
        return size == 4;
    case 7:
        return size == 8;
    default:
        return false;
    }
}

/* Placements lie within the memory slices, share one size, are aligned and distinct; the
 * counts fit the placements; +me rows take one instance (section 3.1). */
static void test_placements(void **state)
{
    size_t n;
    const struct mig_gpu *gpus = mig_catalog(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct mig_gpu *g = &gpus[i];
        bool whole = false;

        assert_true(g->mem_slices == 8 || g->mem_slices == 4);
        assert_true(g->compute_slices == (g->mem_slices == 8 ? 7u : 4u));
        assert_true(g->n_profiles >= 1 && g->n_profiles <= MIG_MAX_PROFILES);
        for (unsigned j = 0; j < g->n_profiles; j++) {
            const struct mig_profile_spec *p = &g->profiles[j];
            unsigned size = p->placements[0].size;

            if (p->n_placements < 1 || p->n_placements > MIG_MAX_PLACEMENTS)
                fail_msg("%s %s: %u placements", g->model, p->name, p->n_placements);
            if (p->gslices < 1 || p->gslices > g->compute_slices)
                fail_msg("%s %s: %u compute slices of %u", g->model, p->name, p->gslices,
                         g->compute_slices);
            if (!size_fits(g, p->gslices, size))
                fail_msg("%s %s: placement size %u for %ug", g->model, p->name, size, p->gslices);
            for (unsigned k = 0; k < p->n_placements; k++) {
                const struct mig_placement_spec *pl = &p->placements[k];

                if (pl->size != size)
                    fail_msg("%s %s: placement %u has size %u, not %u", g->model, p->name, k,
                             pl->size, size);
                if (pl->start + pl->size > g->mem_slices)
                    fail_msg("%s %s: placement {%u}:%u past %u memory slices", g->model, p->name,
                             pl->start, pl->size, g->mem_slices);
                if (pl->start % pl->size != 0)
                    fail_msg("%s %s: placement {%u}:%u not aligned", g->model, p->name, pl->start,
                             pl->size);
                if (k > 0 && pl->start <= p->placements[k - 1].start)
                    fail_msg("%s %s: placements not in increasing order", g->model, p->name);
            }
            // "A 1g instance can start only at 0..6" on 8-slice GPUs.
            if (g->mem_slices == 8 && size == 1 && p->placements[p->n_placements - 1].start > 6)
                fail_msg("%s %s: a 1g placement at slice 7", g->model, p->name);
            if (p->max_instances < 1 || p->max_instances > p->n_placements)
                fail_msg("%s %s: max %u with %u placements", g->model, p->name, p->max_instances,
                         p->n_placements);
            if (p->media_ext && p->max_instances != 1)
                fail_msg("%s %s: +me takes one instance, not %u", g->model, p->name,
                         p->max_instances);
            whole |= p->gslices == g->compute_slices && size == g->mem_slices;
        }
        if (!whole)
            fail_msg("%s: no profile takes the whole GPU", g->model);
    }
}

/* IDs and names are unique per GPU; verified rows are complete; SMs and memory stay within
 * the GPU's. */
static void test_rows(void **state)
{
    size_t n;
    const struct mig_gpu *gpus = mig_catalog(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct mig_gpu *g = &gpus[i];

        assert_non_null(g->source);
        assert_non_null(g->note);
        assert_true(g->mem_gib > 0);
        for (unsigned j = 0; j < g->n_profiles; j++) {
            const struct mig_profile_spec *p = &g->profiles[j];

            if (p->source == NULL || p->source[0] == '\0')
                fail_msg("%s %s: no source", g->model, p->name);
            if (p->verified && (p->sms == 0 || p->mem_gib <= 0 || p->id == MIG_ID_UNKNOWN))
                fail_msg("%s %s: verified, but SMs %u, GiB %g, ID %u", g->model, p->name, p->sms,
                         p->mem_gib, p->id);
            if (!p->verified && strstr(p->source, "[S]") == NULL &&
                strstr(p->source, "[U]") == NULL && strstr(p->source, "secondary") == NULL)
                fail_msg("%s %s: unverified, but the source does not say why", g->model, p->name);
            if (g->sms != 0 && p->sms > g->sms)
                fail_msg("%s %s: %u SMs of %u", g->model, p->name, p->sms, g->sms);
            if (p->mem_gib > g->mem_gib)
                fail_msg("%s %s: %g GiB of %g", g->model, p->name, p->mem_gib, g->mem_gib);
            for (unsigned k = 0; k < j; k++) {
                if (strcmp(p->name, g->profiles[k].name) == 0)
                    fail_msg("%s: %s twice", g->model, p->name);
                if (p->id != MIG_ID_UNKNOWN && p->id == g->profiles[k].id)
                    fail_msg("%s: ID %u for %s and %s", g->model, p->id, g->profiles[k].name,
                             p->name);
            }
        }
    }
}

static unsigned sms_of(const struct mig_gpu *g, const char *name)
{
    const struct mig_profile_spec *p = mig_profile_find(g, name, NULL);

    if (p == NULL)
        fail_msg("%s: no profile %s", g->model, name);
    return p->sms;
}

/* The SM sums section 3.2 quotes: "1g x 7 = 112; all-balanced = 2*16+32+60 = 124; 4g+3g =
 * 124; 7g = 132" for H100-class GPUs, and A100's 7g at 98 of 108. */
static void test_sums(void **state)
{
    static const char *const h100_class[] = {"H100-80GB", "H100-94GB", "H200-141GB"};
    const struct mig_gpu *h100 = mig_gpu_find("H100-80GB");
    const struct mig_gpu *a40 = mig_gpu_find("A100-40GB");
    const struct mig_gpu *a80 = mig_gpu_find("A100-80GB");
    const struct mig_gpu *a30 = mig_gpu_find("A30-24GB");

    (void)state;
    assert_non_null(h100);
    assert_int_equal(7 * sms_of(h100, "1g.10gb"), 112);
    assert_int_equal(
        2 * sms_of(h100, "1g.10gb") + sms_of(h100, "2g.20gb") + sms_of(h100, "3g.40gb"), 124);
    assert_int_equal(sms_of(h100, "4g.40gb") + sms_of(h100, "3g.40gb"), 124);
    assert_int_equal(sms_of(h100, "7g.80gb"), 132);
    assert_int_equal(h100->sms, 132);
    // The same SM split on every H100-class GPU with printed 1g..7g SMs.
    for (size_t i = 0; i < sizeof(h100_class) / sizeof(h100_class[0]); i++) {
        const struct mig_gpu *g = mig_gpu_find(h100_class[i]);
        unsigned want[8] = {0, 16, 32, 60, 64, 0, 0, 132};

        assert_non_null(g);
        for (unsigned j = 0; j < g->n_profiles; j++) {
            const struct mig_profile_spec *p = &g->profiles[j];

            if (p->placements[0].size != 2 || p->gslices != 1) // not the double-memory 1g
                if (p->sms != want[p->gslices])
                    fail_msg("%s %s: %u SMs, want %u", g->model, p->name, p->sms, want[p->gslices]);
        }
    }
    assert_non_null(a40);
    assert_non_null(a80);
    assert_int_equal(sms_of(a40, "7g.40gb"), 98);
    assert_int_equal(sms_of(a80, "7g.80gb"), 98);
    assert_int_equal(7 * sms_of(a40, "1g.5gb"), 98);
    assert_int_equal(a40->sms, 108);
    assert_non_null(a30);
    assert_int_equal(4 * sms_of(a30, "1g.6gb"), sms_of(a30, "4g.24gb"));
    assert_int_equal(sms_of(a30, "4g.24gb"), a30->sms);
}

/* Case i of a lookup table: fn(key) gave g; want is the model it must be, NULL for none. */
static void check_found(size_t i, const char *fn, const char *key, const struct mig_gpu *g,
                        const char *want)
{
    if (want == NULL ? g != NULL : g == NULL || strcmp(g->model, want))
        fail_msg("case %zu: %s('%s') = %s, want %s", i, fn, key, g ? g->model : "NULL",
                 want ? want : "NULL");
}

static void test_find(void **state)
{
    static const struct {
        const char *key, *want;
    } cases[] = {
        {"H100-80GB", "H100-80GB"},
        {"h100-80gb", "H100-80GB"},
        {"a30-24gb", "A30-24GB"},
        {"Gh200-144Gb", "GH200-144GB"},
        {"b200-180gb", "B200-180GB"},
        {"H100", NULL},
        {"H100-80GB ", NULL},
        {"", NULL},
        {"A100-40", NULL},
    };
    size_t n;
    const struct mig_gpu *gpus = mig_catalog(&n);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_found(i, "mig_gpu_find", cases[i].key, mig_gpu_find(cases[i].key), cases[i].want);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(mig_gpu_find(gpus[i].model), &gpus[i]);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(gpus[i].model, gpus[j].model) == 0)
                fail_msg("model %s twice", gpus[i].model);
    }
}

/* The next '|'-separated item of *p into out (a non-empty one; the lists hold no empty
 * item); false at the end. */
static bool next_item(const char **p, char *out, size_t size)
{
    size_t k = strcspn(*p, "|");

    if (**p == '\0')
        return false;
    if (k == 0 || k >= size)
        fail_msg("list item empty or longer than %zu at '%s'", size - 1, *p);
    memcpy(out, *p, k);
    out[k] = '\0';
    *p += k + ((*p)[k] == '|');
    return true;
}

/* Every listed NVML name leads back to its GPU, and no name or PCI ID is listed twice. */
static void test_nvml_names_and_filters(void **state)
{
    static const struct {
        const char *name, *want;
    } cases[] = {
        {"NVIDIA H100 80GB HBM3", "H100-80GB"},
        {"NVIDIA A100-SXM4-80GB", "A100-80GB"},
        {"NVIDIA A100-SXM4-40GB", "A100-40GB"},
        {"NVIDIA A30", "A30-24GB"},
        {"NVIDIA H100 NVL", "H100-94GB"},
        {"NVIDIA H200", "H200-141GB"},
        {"NVIDIA GH200 480GB", "GH200-96GB"},
        {"NVIDIA GH200 144G HBM3e", "GH200-144GB"},
        {"NVIDIA B200", "B200-180GB"},
        {"NVIDIA GB200", "GB200-186GB"},
        {"NVIDIA H100", NULL},
        {"nvidia h100 80gb hbm3", NULL}, // NVML's spelling exactly
        {"NVIDIA H100 80GB HBM3|NVIDIA H100 PCIe", NULL},
        {"", NULL},
    };
    char seen[64][16];
    size_t n_seen = 0, n;
    const struct mig_gpu *gpus = mig_catalog(&n);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_found(i, "mig_gpu_by_nvml_name", cases[i].name, mig_gpu_by_nvml_name(cases[i].name),
                    cases[i].want);
    for (size_t i = 0; i < n; i++) {
        char t[64];

        for (const char *p = gpus[i].nvml_names; next_item(&p, t, sizeof(t));)
            if (mig_gpu_by_nvml_name(t) != &gpus[i])
                fail_msg("%s: its NVML name '%s' leads elsewhere", gpus[i].model, t);
        for (const char *p = gpus[i].device_filter; next_item(&p, t, sizeof(t));) {
            // mig-parted's form: 0x, the PCI device ID, then NVIDIA's vendor ID 10DE.
            if (strlen(t) != 10 || strncmp(t, "0x", 2) != 0 || strcmp(t + 6, "10DE") != 0 ||
                strspn(t + 2, "0123456789ABCDEF") != 8)
                fail_msg("%s: device filter '%s' is not 0xDDDD10DE", gpus[i].model, t);
            for (size_t k = 0; k < n_seen; k++)
                if (strcmp(seen[k], t) == 0)
                    fail_msg("%s: device filter %s listed twice", gpus[i].model, t);
            assert_true(n_seen < sizeof(seen) / sizeof(seen[0]));
            memcpy(seen[n_seen++], t, 11); // checked above: 10 characters
        }
    }
}

static void test_profile_find(void **state)
{
    const struct mig_gpu *h100 = mig_gpu_find("H100-80GB");
    const struct mig_gpu *a30 = mig_gpu_find("A30-24GB");
    unsigned idx = 99;

    (void)state;
    assert_non_null(mig_profile_find(h100, "1g.10gb+me", &idx));
    assert_string_equal(h100->profiles[idx].name, "1g.10gb+me");
    assert_int_equal(h100->profiles[idx].id, 20);
    assert_non_null(mig_profile_find(h100, "7g.80gb", NULL));
    idx = 99;
    assert_null(mig_profile_find(h100, "1g.10gb.me", &idx)); // the config-name spelling
    assert_null(mig_profile_find(h100, "1G.10GB", &idx));    // names are exact
    assert_null(mig_profile_find(h100, "1g.5gb", &idx));     // the A100-40GB's
    assert_null(mig_profile_find(h100, "", &idx));
    assert_int_equal(idx, 99);
    assert_non_null(mig_profile_find(a30, "2g.12gb+me", &idx));
    assert_int_equal(a30->profiles[idx].id, 6);
}

static void test_verified(void **state)
{
    (void)state;
    assert_true(mig_gpu_verified(mig_gpu_find("A100-40GB")));
    assert_true(mig_gpu_verified(mig_gpu_find("H100-80GB")));
    assert_false(mig_gpu_verified(mig_gpu_find("A30-24GB")));    // 2g.12gb+me: [S]
    assert_false(mig_gpu_verified(mig_gpu_find("H200-141GB")));  // placements presumed
    assert_false(mig_gpu_verified(mig_gpu_find("B200-180GB")));  // 3g/4g/7g SMs unknown
    assert_false(mig_gpu_verified(mig_gpu_find("GB200-186GB"))); // likewise
}

/* Unknown is asked, not compared with 0; a verified row knows every figure. */
static void test_known(void **state)
{
    size_t n;
    const struct mig_gpu *cat = mig_catalog(&n);
    const struct mig_gpu *b200 = mig_gpu_find("B200-180GB");

    (void)state;
    assert_false(mig_gpu_sms_known(b200));
    assert_true(mig_gpu_sms_known(mig_gpu_find("H100-PCIE-80GB")));
    assert_false(mig_sms_known(mig_profile_find(b200, "3g.90gb", NULL)));
    assert_false(mig_mem_known(mig_profile_find(b200, "3g.90gb", NULL)));
    assert_true(mig_sms_known(mig_profile_find(b200, "2g.45gb", NULL)));
    assert_true(mig_mem_known(mig_profile_find(b200, "2g.45gb", NULL)));
    assert_true(mig_gpu_figures_known(mig_gpu_find("H100-80GB")));
    assert_true(mig_gpu_figures_known(mig_gpu_find("H200-141GB"))); // unverified, but complete
    assert_false(mig_gpu_figures_known(b200));
    assert_false(mig_gpu_figures_known(mig_gpu_find("H100-PCIE-80GB"))); // no per-profile SMs
    assert_false(mig_gpu_figures_known(mig_gpu_find("GH200-96GB")));     // 1g GiB unknown
    for (size_t i = 0; i < n; i++)
        for (unsigned j = 0; j < cat[i].n_profiles; j++) {
            const struct mig_profile_spec *p = &cat[i].profiles[j];

            if (p->verified && (!mig_sms_known(p) || !mig_mem_known(p) || p->id == MIG_ID_UNKNOWN))
                fail_msg("%s %s: verified with a figure unknown", cat[i].model, p->name);
        }
}

/* The H100-80GB entry holds exactly the GPU-instance profiles NVML listed on the device. */
static void test_h100_matches_device(void **state)
{
    json_error_t jerr;
    json_t *doc = json_load_file(H100_INFO, 0, &jerr);
    json_t *info, *profiles, *jp;
    const struct mig_gpu *g = mig_gpu_find("H100-80GB");
    bool listed[MIG_MAX_PROFILES] = {false};
    size_t i;

    (void)state;
    if (doc == NULL)
        fail_msg("cannot read '%s' (run from the repository root): %s", H100_INFO, jerr.text);
    info = json_object_get(doc, "info");
    assert_string_equal(json_string_value(json_object_get(info, "name")), "NVIDIA H100 80GB HBM3");
    assert_ptr_equal(mig_gpu_by_nvml_name(json_string_value(json_object_get(info, "name"))), g);
    assert_int_equal(json_integer_value(json_object_get(info, "sm_count")), g->sms);
    profiles = json_object_get(json_object_get(info, "mig"), "gpu_instance_profiles");
    assert_true(json_is_array(profiles));
    assert_int_equal(json_array_size(profiles), g->n_profiles);
    json_array_foreach (profiles, i, jp) {
        const char *name = json_string_value(json_object_get(jp, "name"));
        json_t *pls = json_object_get(jp, "placements"), *pl;
        const struct mig_profile_spec *p;
        unsigned idx;
        size_t k;

        assert_non_null(name);
        if (strncmp(name, "MIG ", 4) != 0)
            fail_msg("device profile '%s' lacks the 'MIG ' prefix", name);
        p = mig_profile_find(g, name + 4, &idx);
        if (p == NULL)
            fail_msg("device profile '%s' is not in the catalog", name);
        listed[idx] = true;
        if (json_integer_value(json_object_get(jp, "id")) != p->id ||
            json_integer_value(json_object_get(jp, "sms")) != p->sms ||
            json_integer_value(json_object_get(jp, "instances")) != p->max_instances ||
            json_integer_value(json_object_get(jp, "slices")) != p->gslices)
            fail_msg("%s: device says id %lld sms %lld instances %lld slices %lld, catalog %u "
                     "%u %u %u",
                     name, json_integer_value(json_object_get(jp, "id")),
                     json_integer_value(json_object_get(jp, "sms")),
                     json_integer_value(json_object_get(jp, "instances")),
                     json_integer_value(json_object_get(jp, "slices")), p->id, p->sms,
                     p->max_instances, p->gslices);
        if (json_array_size(pls) != p->n_placements)
            fail_msg("%s: device lists %zu placements, catalog %u", name, json_array_size(pls),
                     p->n_placements);
        json_array_foreach (pls, k, pl) {
            if (json_integer_value(json_object_get(pl, "start")) != p->placements[k].start ||
                json_integer_value(json_object_get(pl, "size")) != p->placements[k].size)
                fail_msg("%s: device placement %zu is {%lld}:%lld, catalog {%u}:%u", name, k,
                         json_integer_value(json_object_get(pl, "start")),
                         json_integer_value(json_object_get(pl, "size")), p->placements[k].start,
                         p->placements[k].size);
        }
        // The catalog's GiB is -lgip's rounding of NVML's MiB: within a quarter GiB.
        if (fabs(json_integer_value(json_object_get(jp, "memory_mib")) / 1024.0 - p->mem_gib) >
            0.25)
            fail_msg("%s: device %lld MiB, catalog %g GiB", name,
                     json_integer_value(json_object_get(jp, "memory_mib")), p->mem_gib);
    }
    for (unsigned j = 0; j < g->n_profiles; j++)
        if (!listed[j])
            fail_msg("catalog profile %s is not on the device", g->profiles[j].name);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_parse),  cmocka_unit_test(test_placements),
        cmocka_unit_test(test_rows),         cmocka_unit_test(test_sums),
        cmocka_unit_test(test_find),         cmocka_unit_test(test_nvml_names_and_filters),
        cmocka_unit_test(test_profile_find), cmocka_unit_test(test_verified),
        cmocka_unit_test(test_known),        cmocka_unit_test(test_h100_matches_device),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
