/*
 * Unit tests for mig/geometry: the layout parser, the validator and its reasons, usage, names,
 * the diagram, and the maximal layouts. The validator is checked against a brute-force
 * placement search written here from the rule alone (geometry.h), over every multiset of up to
 * 8 instances of every catalog GPU.
 */
#include "mig/geometry.h"

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
#include "mig_check.h"

/* ---- The brute force: the rule, read literally ------------------------------------------ */

/*
 * Tries every placement of instance i (each from its profile's list) against the ones chosen
 * for 0..i-1, then the rest; an assignment that already overlaps is not extended, since no
 * extension of it can be valid. No sorting and no symmetry breaking, unlike geometry.c.
 */
static bool brute_assign(const struct mig_gpu *g, const unsigned *prof, size_t n, size_t i,
                         unsigned *lo, unsigned *hi)
{
    const struct mig_profile_spec *p;

    if (i == n)
        return true;
    p = &g->profiles[prof[i]];
    for (unsigned k = 0; k < p->n_placements; k++) {
        unsigned a = p->placements[k].start, b = a + p->placements[k].size; // [a, b)
        bool ok = b <= g->mem_slices;

        for (size_t j = 0; ok && j < i; j++)
            if (a < hi[j] && lo[j] < b)
                ok = false;
        if (!ok)
            continue;
        lo[i] = a;
        hi[i] = b;
        if (brute_assign(g, prof, n, i + 1, lo, hi))
            return true;
    }
    return false;
}

static bool brute_valid(const struct mig_gpu *g, const unsigned *prof, size_t n)
{
    unsigned lo[16], hi[16];

    for (unsigned j = 0; j < g->n_profiles; j++) {
        unsigned c = 0;

        for (size_t i = 0; i < n; i++)
            c += prof[i] == j;
        if (c > g->profiles[j].max_instances)
            return false;
    }
    return brute_assign(g, prof, n, 0, lo, hi);
}

/* Is l's placement one the rule allows: every start one of its profile's placements, no two
 * instances sharing a slice? Empty when it is, else what is wrong. */
static const char *bad_placement(const struct mig_layout *l)
{
    const struct mig_gpu *g = l->gpu;

    for (size_t i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p = &g->profiles[l->prof[i]];
        bool listed = false;

        for (unsigned k = 0; k < p->n_placements; k++)
            listed = listed || p->placements[k].start == l->start[i];
        if (!listed)
            return "a start not among the profile's placements";
        for (size_t j = 0; j < i; j++) {
            const struct mig_profile_spec *q = &g->profiles[l->prof[j]];

            if (l->start[i] < l->start[j] + q->placements[0].size &&
                l->start[j] < l->start[i] + p->placements[0].size)
                return "two instances share a slice";
        }
    }
    return "";
}

/* A multiset as its profile counts, base 9 (counts <= 8): one number per layout. */
static uint64_t key_of(const unsigned *prof, size_t n)
{
    uint64_t key = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t w = 1;

        for (unsigned j = 0; j < prof[i]; j++)
            w *= 9;
        key += w;
    }
    return key;
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* ---- Every multiset: validator against brute force ------------------------------------- */

struct sweep {
    const struct mig_gpu *g;
    unsigned prof[MIG_MAX_INSTANCES];
    size_t cases, valid;
    uint64_t *maximal; /* keys of the brute force's maximal layouts */
    size_t n_maximal, cap_maximal;
};

static void fail_case(const struct sweep *s, size_t n, const char *what, const char *detail)
{
    char list[256] = "";

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list);

        snprintf(list + len, sizeof(list) - len, "%s%s", i ? "," : "",
                 s->g->profiles[s->prof[i]].name);
    }
    fail_msg("%s '%s': %s%s%s", s->g->model, list, what, detail[0] ? ": " : "", detail);
}

/* The validator on prof[0..n) in the order given; the placement and reason checked. */
static bool check_one(const struct sweep *s, const unsigned *prof, size_t n, bool want)
{
    struct mig_layout l = {.gpu = s->g, .n = n};
    char why[256];
    unsigned before[MIG_MAX_PROFILES] = {0}, after[MIG_MAX_PROFILES] = {0};
    bool got;

    memcpy(l.prof, prof, n * sizeof(prof[0]));
    memset(why, 'x', sizeof(why));
    got = mig_check_layout(&l, why, sizeof(why));
    if (got != want)
        fail_case(s, n,
                  got ? "validator accepts, brute force refuses"
                      : "validator refuses, brute force accepts",
                  got ? "" : why);
    if (!got) {
        size_t len = strnlen(why, sizeof(why));

        if (len == 0 || len >= sizeof(why) - 1 || why[len - 1] == '.' ||
            (why[0] >= 'A' && why[0] <= 'Z'))
            fail_case(s, n, "reason empty, cut or not in git style", why);
        return got;
    }
    for (size_t i = 0; i < n; i++) {
        before[prof[i]]++;
        after[l.prof[i]]++;
        if (i > 0 && l.start[i - 1] >= l.start[i])
            fail_case(s, n, "instances not sorted by start", "");
    }
    if (memcmp(before, after, sizeof(before)) != 0)
        fail_case(s, n, "the instances changed", "");
    if (bad_placement(&l)[0] != '\0')
        fail_case(s, n, "placement breaks the rule", bad_placement(&l));
    return got;
}

static void sweep_add_maximal(struct sweep *s, uint64_t key)
{
    if (s->n_maximal == s->cap_maximal) {
        s->cap_maximal = s->cap_maximal ? 2 * s->cap_maximal : 64;
        s->maximal = realloc(s->maximal, s->cap_maximal * sizeof(s->maximal[0]));
        assert_non_null(s->maximal);
    }
    s->maximal[s->n_maximal++] = key;
}

/* Every multiset prof[0..n) with profiles nondecreasing from `from`, up to 8 instances. */
static void sweep_from(struct sweep *s, size_t n, unsigned from)
{
    if (n > 0) {
        unsigned rev[MIG_MAX_INSTANCES];
        bool valid = brute_valid(s->g, s->prof, n);

        for (size_t i = 0; i < n; i++)
            rev[i] = s->prof[n - 1 - i];
        check_one(s, s->prof, n, valid);
        check_one(s, rev, n, valid); // order of the user's items does not matter
        s->cases++;
        if (valid) {
            bool maximal = true;

            s->valid++;
            // Maximal: no instance of any profile can join (a ninth never can).
            for (unsigned j = 0; maximal && n < MIG_MAX_INSTANCES && j < s->g->n_profiles; j++) {
                s->prof[n] = j;
                maximal = !brute_valid(s->g, s->prof, n + 1);
            }
            if (maximal)
                sweep_add_maximal(s, key_of(s->prof, n));
        }
    }
    if (n == MIG_MAX_INSTANCES)
        return;
    for (unsigned j = from; j < s->g->n_profiles; j++) {
        s->prof[n] = j;
        sweep_from(s, n + 1, j);
    }
}

struct collected {
    const struct mig_gpu *g;
    uint64_t keys[4096];
    size_t n;
};

static void collect(const struct mig_layout *l, void *arg)
{
    struct collected *c = arg;

    if (l->gpu != c->g || l->n == 0 || l->n > MIG_MAX_INSTANCES)
        fail_msg("%s: maximal layout with %zu instances", c->g->model, l->n);
    for (size_t i = 1; i < l->n; i++)
        if (l->prof[i - 1] > l->prof[i])
            fail_msg("%s: maximal layout not in catalog order", c->g->model);
    if (bad_placement(l)[0] != '\0')
        fail_msg("%s: maximal layout placed wrongly: %s", c->g->model, bad_placement(l));
    if (c->n == COUNT(c->keys))
        fail_msg("%s: more than %zu maximal layouts", c->g->model, COUNT(c->keys));
    c->keys[c->n++] = key_of(l->prof, l->n);
}

/* What the exhaustive sweep found for the two GPUs the acceptance names, once the validator
 * and the brute force agreed: multisets of 1..8 instances of the 7 profiles (C(15,8) - 1),
 * how many fit, how many of those are maximal. */
static const struct {
    const char *model;
    size_t cases, valid, maximal;
} sweep_want[] = {
    {"A100-80GB", 6434, 127, 44},
    {"H100-80GB", 6434, 127, 44},
};

/* Validator, brute force and enumeration on one GPU; returns the sweep for the totals. */
static void sweep_gpu(const struct mig_gpu *g, size_t *cases, size_t *valid, size_t *n_maximal)
{
    struct sweep s = {.g = g};
    static struct collected c;
    size_t found;

    sweep_from(&s, 0, 0);
    c.g = g;
    c.n = 0;
    found = mig_enumerate_maximal(g, collect, &c);
    if (found != c.n)
        fail_msg("%s: mig_enumerate_maximal returned %zu, called back %zu times", g->model, found,
                 c.n);
    assert_int_equal(mig_enumerate_maximal(g, NULL, NULL), found);
    qsort(c.keys, c.n, sizeof(c.keys[0]), cmp_key);
    qsort(s.maximal, s.n_maximal, sizeof(s.maximal[0]), cmp_key);
    for (size_t i = 1; i < c.n; i++)
        if (c.keys[i - 1] == c.keys[i])
            fail_msg("%s: a maximal layout enumerated twice", g->model);
    if (c.n != s.n_maximal || memcmp(c.keys, s.maximal, c.n * sizeof(c.keys[0])) != 0)
        fail_msg("%s: %zu maximal layouts enumerated, brute force finds %zu (or others)", g->model,
                 c.n, s.n_maximal);
    *cases = s.cases;
    *valid = s.valid;
    *n_maximal = s.n_maximal;
    free(s.maximal);
}

static void test_sweep_acceptance(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(sweep_want); i++) {
        size_t cases, valid, maximal;

        sweep_gpu(catalog_gpu(sweep_want[i].model), &cases, &valid, &maximal);
        if (cases != sweep_want[i].cases || valid != sweep_want[i].valid ||
            maximal != sweep_want[i].maximal)
            fail_msg("%s: %zu cases, %zu valid, %zu maximal; want %zu, %zu, %zu",
                     sweep_want[i].model, cases, valid, maximal, sweep_want[i].cases,
                     sweep_want[i].valid, sweep_want[i].maximal);
    }
}

/* Every other GPU in the catalog too: the two must agree whatever the table says. */
static void test_sweep_catalog(void **state)
{
    size_t n;
    const struct mig_gpu *all = mig_catalog(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        size_t cases, valid, maximal;

        sweep_gpu(&all[i], &cases, &valid, &maximal);
        print_message("%-12s %zu multisets, %zu fit, %zu maximal\n", all[i].model, cases, valid,
                      maximal);
    }
}

/* What the validator and the brute force both assume of the catalog. */
static void test_catalog_shape(void **state)
{
    size_t n;
    const struct mig_gpu *all = mig_catalog(&n);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct mig_gpu *g = &all[i];

        if (g->mem_slices == 0 || g->mem_slices > 64 || g->n_profiles > MIG_MAX_PROFILES)
            fail_msg("%s: %u memory slices, %u profiles", g->model, g->mem_slices, g->n_profiles);
        for (unsigned j = 0; j < g->n_profiles; j++) {
            const struct mig_profile_spec *p = &g->profiles[j];

            if (p->n_placements == 0 || p->n_placements > MIG_MAX_PLACEMENTS)
                fail_msg("%s %s: %u placements", g->model, p->name, p->n_placements);
            for (unsigned k = 0; k < p->n_placements; k++)
                if (p->placements[k].size != p->placements[0].size ||
                    p->placements[k].start + p->placements[k].size > g->mem_slices)
                    fail_msg("%s %s: placement %u:%u", g->model, p->name, p->placements[k].start,
                             p->placements[k].size);
        }
    }
}

/* ---- Documented cases ------------------------------------------------------------------- */

#define ANY_SMS 9999

static const struct {
    const char *model, *list;
    bool valid;
    const char *why;        /* exact reason when invalid */
    unsigned sms, stranded; /* when valid; ANY_SMS: not checked */
} check_cases[] = {
    // Two 3g take memory slices 0-3 and 4-7: no 1g can start anywhere (MIG User Guide).
    {"H100-80GB", "3g.40gb:2,1g.10gb", false,
     "two 3g.40gb use all 8 memory slices; no 1g.10gb can be placed", 0, 0},
    {"H100-80GB", "1g.10gb,3g.40gb,3g.40gb", false,
     "two 3g.40gb use all 8 memory slices; no 1g.10gb can be placed", 0, 0},
    {"A100-80GB", "3g.40gb:2,1g.10gb", false,
     "two 3g.40gb use all 8 memory slices; no 1g.10gb can be placed", 0, 0},
    // 4g at 0-3, 3g at 4-7; 64 + 60 SMs, 8 left over.
    {"H100-80GB", "4g.40gb,3g.40gb", true, NULL, 124, 8},
    {"H100-80GB", "3g.40gb,4g.40gb", true, NULL, 124, 8},
    // all-balanced: 2 * 16 + 32 + 60 = 124 (the H100 -lgip printout's SMs).
    {"H100-80GB", "1g.10gb:2,2g.20gb,3g.40gb", true, NULL, 124, 8},
    // 7 * 16 = 112; slice 7 has no 1g placement.
    {"H100-80GB", "1g.10gb:7", true, NULL, 112, 20},
    {"H100-80GB", "7g.80gb", true, NULL, 132, 0},
    {"H100-80GB", "1g.20gb:4", true, NULL, 104, 28},
    {"H100-80GB", "1g.10gb:6,1g.10gb+me", true, NULL, 112, 20},
    // all-balanced on A100-80GB: 3g at 4-7, 2g at 0-1, the 1g at 2 and 3. 42 + 28 + 14 + 14.
    {"A100-80GB", "3g.40gb,2g.20gb,1g.10gb,1g.10gb", true, NULL, 98, 10},
    {"A100-80GB", "1g.10gb:7", true, NULL, 98, 10},
    {"H100-80GB", "1g.10gb+me:2", false, "1g.10gb+me: at most 1 instance, 2 asked", 0, 0},
    {"H100-80GB", "1g.10gb:8", false, "1g.10gb: at most 7 instances, 8 asked", 0, 0},
    {"H100-80GB", "4g.40gb:2", false, "4g.40gb: at most 1 instance, 2 asked", 0, 0},
    {"H100-80GB", "1g.20gb:5", false, "1g.20gb: at most 4 instances, 5 asked", 0, 0},
    {"H100-80GB", "4g.40gb,3g.40gb,2g.20gb", false,
     "4g.40gb and 3g.40gb use all 8 memory slices; no 2g.20gb can be placed", 0, 0},
    {"H100-80GB", "7g.80gb,1g.10gb", false,
     "7g.80gb uses all 8 memory slices; no 1g.10gb can be placed", 0, 0},
    {"H100-80GB", "3g.40gb,2g.20gb:2,1g.10gb", false,
     "3g.40gb and two 2g.20gb use all 8 memory slices; no 1g.10gb can be placed", 0, 0},
    // 2g can start at 0, 2 or 4 only, so 6-7 stay free behind a 4g and a 2g.
    {"H100-80GB", "4g.40gb,2g.20gb:2", false,
     "4g.40gb takes slices 0-3 and 2g.20gb slices 4-5; 2g.20gb needs 2 free slices starting "
     "at 0, 2 or 4; only slices 6-7 are free",
     0, 0},
    // Eight slices for seven instances, but slice 7 takes no 1g and no 2g.
    {"H100-80GB", "1g.10gb:6,2g.20gb", false,
     "2g.20gb takes slices 0-1 and five 1g.10gb slices 2-6; 1g.10gb needs one of slices 0-6 "
     "free; only slice 7 is free",
     0, 0},
    {"H100-80GB", "2g.20gb:2,1g.10gb:5", false,
     "two 2g.20gb take slices 0-3 and three 1g.10gb slices 4-6; 1g.10gb needs one of slices "
     "0-6 free; only slice 7 is free",
     0, 0},
    {"H100-80GB", "1g.20gb:2,1g.10gb:5", false,
     "two 1g.20gb and four 1g.10gb use all 8 memory slices; no 1g.10gb can be placed", 0, 0},
    {"H100-80GB", "4g.40gb,2g.20gb,1g.20gb:2", false,
     "4g.40gb, 2g.20gb and 1g.20gb use all 8 memory slices; no 1g.20gb can be placed", 0, 0},
    {"H100-80GB", "4g.40gb,2g.20gb,1g.20gb", true, NULL, 122, 10},
};

static void test_check_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(check_cases); i++) {
        struct error err = {0};
        struct mig_layout l;
        struct mig_usage u;
        char why[256];
        bool got;

        if (mig_layout_parse(&err, catalog_gpu(check_cases[i].model), check_cases[i].list, &l) != 0)
            fail_msg("case %zu '%s': %s", i, check_cases[i].list, err.msg);
        got = mig_check_layout(&l, why, sizeof(why));
        if (got != check_cases[i].valid)
            fail_msg("case %zu '%s': %s, want %s (%s)", i, check_cases[i].list,
                     got ? "valid" : "invalid", check_cases[i].valid ? "valid" : "invalid",
                     got ? "" : why);
        if (!got) {
            if (strcmp(why, check_cases[i].why) != 0)
                fail_msg("case %zu '%s': reason\n  \"%s\"\nwant\n  \"%s\"", i, check_cases[i].list,
                         why, check_cases[i].why);
            continue;
        }
        if (bad_placement(&l)[0] != '\0')
            fail_msg("case %zu '%s': %s", i, check_cases[i].list, bad_placement(&l));
        mig_layout_usage(&l, &u);
        if (check_cases[i].sms != ANY_SMS && (!u.sms_known || u.sms != check_cases[i].sms ||
                                              u.sms_stranded != check_cases[i].stranded))
            fail_msg("case %zu '%s': %u SMs, %u stranded; want %u, %u", i, check_cases[i].list,
                     u.sms, u.sms_stranded, check_cases[i].sms, check_cases[i].stranded);
    }
}

/* Where the instances of A100-80GB all-balanced go: the only placement there is. */
static void test_check_places_and_sorts(void **state)
{
    struct error err = {0};
    struct mig_layout l;
    char why[256];
    const struct mig_gpu *g = catalog_gpu("A100-80GB");
    static const char *const want_prof[] = {"2g.20gb", "1g.10gb", "1g.10gb", "3g.40gb"};
    static const unsigned want_start[] = {0, 2, 3, 4};

    (void)state;
    assert_int_equal(mig_layout_parse(&err, g, "3g.40gb,2g.20gb,1g.10gb,1g.10gb", &l), 0);
    assert_true(mig_check_layout(&l, why, sizeof(why)));
    assert_int_equal(l.n, 4);
    for (size_t i = 0; i < l.n; i++) {
        assert_string_equal(g->profiles[l.prof[i]].name, want_prof[i]);
        assert_int_equal(l.start[i], want_start[i]);
    }
}

/* No buffer, or a short one: same answer, always terminated. */
static void test_check_why_buffer(void **state)
{
    struct error err = {0};
    struct mig_layout l, m;
    char small[12];

    (void)state;
    assert_int_equal(mig_layout_parse(&err, catalog_gpu("H100-80GB"), "3g.40gb:2,1g.10gb", &l), 0);
    m = l;
    assert_false(mig_check_layout(&l, NULL, 0));
    memset(small, 'x', sizeof(small));
    assert_false(mig_check_layout(&m, small, sizeof(small)));
    assert_string_equal(small, "two 3g.40gb");
    m.n = 0;
    assert_true(mig_check_layout(&m, small, sizeof(small))); // nothing to place
}

static void test_usage(void **state)
{
    struct error err = {0};
    struct mig_layout l;
    struct mig_usage u;
    struct mig_gpu g = *catalog_gpu("H100-80GB");

    (void)state;
    assert_int_equal(mig_layout_parse(&err, &g, "3g.40gb,2g.20gb,1g.10gb:2", &l), 0);
    mig_layout_usage(&l, &u);
    assert_true(u.sms_known);
    assert_int_equal(u.sms, 124);
    assert_int_equal(u.sms_stranded, 8);
    assert_int_equal(u.mem_slices, 8); // 4 + 2 + 1 + 1
    assert_int_equal(u.compute_slices, 7);
    assert_true(u.mem_gib > 39.50 + 19.62 + 2 * 9.75 - 1e-9 &&
                u.mem_gib < 39.50 + 19.62 + 2 * 9.75 + 1e-9);
    assert_int_equal(mig_layout_parse(&err, &g, "1g.20gb,1g.10gb", &l), 0);
    mig_layout_usage(&l, &u);
    assert_int_equal(u.mem_slices, 3); // the double-memory 1g takes two
    assert_int_equal(u.compute_slices, 2);
    // A profile whose SMs are unknown makes the total unknown, not short.
    g.profiles[1].sms = 0;
    assert_int_equal(mig_layout_parse(&err, &g, "1g.10gb+me,1g.10gb", &l), 0);
    mig_layout_usage(&l, &u);
    assert_false(u.sms_known);
    assert_int_equal(u.sms, 0);
    assert_int_equal(u.sms_stranded, 0);
    assert_false(u.stranded_known);
    assert_true(u.mem_known);
}

/* Memory the catalog lacks makes the sum unknown; so does a whole GPU without an SM count for
 * what is stranded (B200: 3g/4g/7g GiB and SMs, and the GPU's SMs, unknown). */
static void test_usage_unknown(void **state)
{
    struct error err = {0};
    struct mig_layout l;
    struct mig_usage u;
    const struct mig_gpu *g = catalog_gpu("B200-180GB");

    (void)state;
    assert_int_equal(mig_layout_parse(&err, g, "3g.90gb,2g.45gb", &l), 0);
    mig_layout_usage(&l, &u);
    assert_false(u.mem_known);
    assert_true(u.mem_gib == 0.0);
    assert_false(u.sms_known);
    assert_false(u.stranded_known);
    assert_int_equal(u.mem_slices, 6);
    assert_int_equal(u.compute_slices, 5);
    assert_int_equal(mig_layout_parse(&err, g, "2g.45gb,1g.23gb", &l), 0);
    mig_layout_usage(&l, &u);
    assert_true(u.mem_known);
    assert_true(u.sms_known);
    assert_int_equal(u.sms, 36 + 18);
    assert_false(u.stranded_known); // of an unknown whole
    assert_int_equal(u.sms_stranded, 0);
    assert_int_equal(mig_layout_parse(&err, catalog_gpu("H100-80GB"), "7g.80gb", &l), 0);
    mig_layout_usage(&l, &u);
    assert_true(u.stranded_known && u.mem_known && u.sms_known);
    assert_int_equal(u.sms_stranded, 0);
}

/* ---- Parsing ---------------------------------------------------------------------------- */

static const struct {
    const char *list;
    const char *want;   /* accepted: the profiles, space-separated; refused: NULL */
    const char *quoted; /* refused: the text the message must quote */
} parse_cases[] = {
    {"3g.40gb,2g.20gb,1g.10gb:2", "3g.40gb 2g.20gb 1g.10gb 1g.10gb", NULL},
    {"1g.10gb+me", "1g.10gb+me", NULL},
    {"1g.10gb:1,1g.10gb+me:1", "1g.10gb 1g.10gb+me", NULL},
    {"1g.10gb:08", "1g.10gb 1g.10gb 1g.10gb 1g.10gb 1g.10gb 1g.10gb 1g.10gb 1g.10gb", NULL},
    {"3g.40gb:2,1g.10gb", "3g.40gb 3g.40gb 1g.10gb", NULL}, // parses; does not fit
    {"foo", NULL, "'foo'"},
    {"3G.40GB", NULL, "'3G.40GB'"},
    {" 1g.10gb", NULL, "' 1g.10gb'"},
    {"1g.5gb", NULL, "'1g.5gb'"}, // an A100-40GB profile
    {":2", NULL, "''"},
    {"1g.10gb:x", NULL, "'1g.10gb:x'"},
    {"1g.10gb:", NULL, "'1g.10gb:'"},
    {"1g.10gb:0", NULL, "'1g.10gb:0'"},
    {"1g.10gb:-1", NULL, "'1g.10gb:-1'"},
    {"1g.10gb:+1", NULL, "'1g.10gb:+1'"},
    {"1g.10gb:2:2", NULL, "'1g.10gb:2:2'"},
    {"1g.10gb:1 ", NULL, "'1g.10gb:1 '"},
    {"1g.10gb:9", NULL, "'1g.10gb:9'"},
    {"1g.10gb:99999999999999999999999", NULL, "'1g.10gb:99999999999999999999999'"},
    {"1g.10gb:5,2g.20gb:4", NULL, "'2g.20gb:4'"},
    {"1g.10gb:8,1g.10gb", NULL, "'1g.10gb'"},
    {",,", NULL, "',,'"},
    {"1g.10gb,", NULL, "'1g.10gb,'"},
    {",1g.10gb", NULL, "',1g.10gb'"},
    {"1g.10gb,,2g.20gb", NULL, "'1g.10gb,,2g.20gb'"},
    {"", NULL, "H100-80GB"},
};

static void test_parse_table(void **state)
{
    const struct mig_gpu *g = catalog_gpu("H100-80GB");

    (void)state;
    for (size_t i = 0; i < COUNT(parse_cases); i++) {
        struct error err = {0};
        struct mig_layout l = {.n = 99};
        int rc = mig_layout_parse(&err, g, parse_cases[i].list, &l);

        if (parse_cases[i].want != NULL) {
            char got[256] = "";

            if (rc != 0)
                fail_msg("case %zu '%s': refused: %s", i, parse_cases[i].list, err.msg);
            for (size_t k = 0; k < l.n; k++) {
                size_t len = strlen(got);

                snprintf(got + len, sizeof(got) - len, "%s%s", k ? " " : "",
                         g->profiles[l.prof[k]].name);
            }
            if (l.gpu != g || strcmp(got, parse_cases[i].want) != 0)
                fail_msg("case %zu '%s': got '%s', want '%s'", i, parse_cases[i].list, got,
                         parse_cases[i].want);
        } else {
            size_t len = strlen(err.msg);

            if (rc != -1)
                fail_msg("case %zu '%s': accepted", i, parse_cases[i].list);
            if (l.n != 99)
                fail_msg("case %zu '%s': layout written on failure", i, parse_cases[i].list);
            if (err.code != ERR_USAGE || len == 0 || err.msg[0] < 'a' || err.msg[0] > 'z' ||
                err.msg[len - 1] == '.')
                fail_msg("case %zu '%s': code %d, message not in git style: \"%s\"", i,
                         parse_cases[i].list, err.code, err.msg);
            if (strstr(err.msg, parse_cases[i].quoted) == NULL)
                fail_msg("case %zu '%s': message \"%s\" lacks %s", i, parse_cases[i].list, err.msg,
                         parse_cases[i].quoted);
        }
    }
}

static const struct {
    const char *list, *msg;
} parse_messages[] = {
    {"foo", "unknown MIG profile 'foo' for H100-80GB: expected 1g.10gb, 1g.10gb+me, 1g.20gb, "
            "2g.20gb, 3g.40gb, 4g.40gb or 7g.80gb"},
    {"1g.10gb:x", "invalid count in '1g.10gb:x': expected a whole number from 1 to 8"},
    {"1g.10gb:", "missing count after ':' in '1g.10gb:'"},
    {"1g.10gb:0", "invalid count in '1g.10gb:0': expected a whole number from 1 to 8"},
    {"1g.10gb:-1", "invalid count in '1g.10gb:-1': expected a whole number from 1 to 8"},
    {"1g.10gb:5,2g.20gb:4", "too many GPU instances at '2g.20gb:4': a layout has at most 8"},
    {"1g.10gb,,2g.20gb", "empty item 2 in MIG layout '1g.10gb,,2g.20gb'"},
    {"", "empty MIG layout for H100-80GB: expected PROFILE or PROFILE:COUNT, comma-separated"},
};

static void test_parse_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(parse_messages); i++) {
        struct error err = {0};
        struct mig_layout l;

        assert_int_equal(
            mig_layout_parse(&err, catalog_gpu("H100-80GB"), parse_messages[i].list, &l), -1);
        if (strcmp(err.msg, parse_messages[i].msg) != 0)
            fail_msg("case %zu '%s': \"%s\", want \"%s\"", i, parse_messages[i].list, err.msg,
                     parse_messages[i].msg);
    }
}

/* A pasted novel is cut so that what was expected still shows at the end. */
static void test_parse_long_input(void **state)
{
    static const char *const tails[] = {"or 7g.80gb", "from 1 to 8", "at most 8", "...'"};
    char in[4][400];
    struct error err = {0};
    struct mig_layout l;

    (void)state;
    memset(in, 'z', sizeof(in));
    in[0][399] = '\0'; // an unknown profile
    memcpy(in[1], "1g.10gb:", 8);
    in[1][399] = '\0'; // a bad count
    memcpy(in[2], "1g.10gb:7,1g.10gb:", 18);
    memset(in[2] + 18, '9', 381);
    in[2][399] = '\0'; // too many
    snprintf(in[3], sizeof(in[3]), "1g.10gb,,%0390d", 0);
    for (size_t i = 0; i < COUNT(tails); i++) {
        size_t len, tlen = strlen(tails[i]);

        assert_int_equal(mig_layout_parse(&err, catalog_gpu("H100-80GB"), in[i], &l), -1);
        len = strlen(err.msg);
        if (len >= sizeof(err.msg) - 1 || len < tlen || strstr(err.msg, "...'") == NULL ||
            strcmp(err.msg + len - tlen, tails[i]) != 0)
            fail_msg("case %zu: \"%s\" (%zu bytes) does not end in '%s'", i, err.msg, len,
                     tails[i]);
    }
}

/* Twelve profiles with long names and a long model: the list stops at a whole name and says
 * how many it leaves out. */
static void test_parse_many_profiles(void **state)
{
    struct mig_gpu g = *catalog_gpu("H100-80GB");
    static char names[MIG_MAX_PROFILES][32];
    struct error err = {0};
    struct mig_layout l;
    size_t len;

    (void)state;
    g.model = "A-VERY-LONG-MODEL-NAME-THAT-GOES-ON-AND-ON";
    g.n_profiles = MIG_MAX_PROFILES;
    for (unsigned j = 0; j < MIG_MAX_PROFILES; j++) {
        snprintf(names[j], sizeof(names[j]), "%ug.%ugb+gfx.me.all", j % 7 + 1, 10 * j + 10);
        g.profiles[j] = g.profiles[0];
        g.profiles[j].name = names[j];
    }
    assert_int_equal(mig_layout_parse(&err, &g, "nope", &l), -1);
    len = strlen(err.msg);
    assert_true(len < sizeof(err.msg) - 1);
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_non_null(strstr(err.msg, names[0]));
    assert_non_null(strstr(err.msg, " more"));
    assert_string_equal(err.msg + len - 5, " more");
    assert_int_equal(mig_layout_parse(&err, &g, names[11], &l), 0);
}

/* ---- Names and the diagram -------------------------------------------------------------- */

static const struct {
    const char *list, *name;
} name_cases[] = {
    {"1g.10gb,3g.40gb,1g.10gb,2g.20gb", "3g.40gb + 2g.20gb + 1g.10gb x2"},
    {"1g.10gb:7", "1g.10gb x7"},
    {"1g.10gb+me,1g.10gb,1g.20gb", "1g.20gb + 1g.10gb + 1g.10gb+me"},
    {"3g.40gb,4g.40gb", "4g.40gb + 3g.40gb"},
    {"7g.80gb", "7g.80gb"},
};

static void test_name(void **state)
{
    struct error err = {0};
    struct mig_layout l;
    char out[64], small[10];

    (void)state;
    for (size_t i = 0; i < COUNT(name_cases); i++) {
        assert_int_equal(mig_layout_parse(&err, catalog_gpu("H100-80GB"), name_cases[i].list, &l),
                         0);
        mig_layout_name(&l, out, sizeof(out));
        if (strcmp(out, name_cases[i].name) != 0)
            fail_msg("case %zu '%s': '%s', want '%s'", i, name_cases[i].list, out,
                     name_cases[i].name);
    }
    mig_layout_name(&l, small, sizeof(small));
    assert_string_equal(small, "7g.80gb");
    assert_int_equal(mig_layout_parse(&err, catalog_gpu("H100-80GB"), "3g.40gb,2g.20gb", &l), 0);
    mig_layout_name(&l, small, sizeof(small));
    assert_string_equal(small, "3g.40gb +"); // cut, terminated
    l.n = 0;
    mig_layout_name(&l, out, sizeof(out));
    assert_string_equal(out, "none");
}

static void draw(const char *model, const char *list, char *out, size_t size)
{
    struct error err = {0};
    struct mig_layout l;
    char why[256];
    FILE *f = tmpfile();
    size_t n;

    assert_non_null(f);
    assert_int_equal(mig_layout_parse(&err, catalog_gpu(model), list, &l), 0);
    assert_true(mig_check_layout(&l, why, sizeof(why)));
    mig_layout_draw(f, &l);
    rewind(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_draw(void **state)
{
    char out[2048];

    (void)state;
    draw("H100-80GB", "2g.20gb,4g.40gb,1g.10gb", out, sizeof(out));
    assert_string_equal(out, "slice      0    1    2    3    4    5    6    7\n"
                             "4g.40gb  [==================]\n"
                             "2g.20gb                      [========]\n"
                             "1g.10gb                                [===]\n"
                             "free                                        [...]\n");
    draw("H100-80GB", "4g.40gb,3g.40gb", out, sizeof(out));
    assert_string_equal(out, "slice      0    1    2    3    4    5    6    7\n"
                             "4g.40gb  [==================]\n"
                             "3g.40gb                      [==================]\n"
                             "free     none\n");
    draw("H100-80GB", "1g.10gb+me,1g.10gb", out, sizeof(out));
    assert_string_equal(out, "slice         0    1    2    3    4    5    6    7\n"
                             "1g.10gb     [===]\n"
                             "1g.10gb+me       [===]\n"
                             "free                  [............................]\n");
}

/* ---- Maximal layouts -------------------------------------------------------------------- */

struct names {
    char all[64][64];
    size_t n;
};

static void collect_name(const struct mig_layout *l, void *arg)
{
    struct names *c = arg;

    if (c->n < COUNT(c->all))
        mig_layout_name(l, c->all[c->n], sizeof(c->all[0]));
    c->n++;
}

/* A few layouts that must be among the maximal ones, and a few that must not. */
static void test_maximal_members(void **state)
{
    static const char *const in[] = {
        "4g.40gb + 3g.40gb", "3g.40gb + 2g.20gb + 1g.10gb x2", "7g.80gb",    "3g.40gb x2",
        "1g.10gb x7",        "1g.10gb x6 + 1g.10gb+me",        "1g.20gb x4",
    };
    static const char *const out[] = {
        "1g.10gb x6",        // +me still fits
        "4g.40gb + 2g.20gb", // a 1g.20gb or 1g.10gb still fits at 6
    };
    struct names c = {.n = 0};
    size_t count;

    (void)state;
    count = mig_enumerate_maximal(catalog_gpu("H100-80GB"), collect_name, &c);
    assert_int_equal(count, c.n);
    assert_true(c.n <= COUNT(c.all));
    for (size_t i = 0; i < COUNT(in) + COUNT(out); i++) {
        const char *want = i < COUNT(in) ? in[i] : out[i - COUNT(in)];
        bool found = false;

        for (size_t k = 0; k < c.n; k++)
            found = found || strcmp(c.all[k], want) == 0;
        if (found != (i < COUNT(in)))
            fail_msg("'%s' %s among the maximal layouts", want, found ? "is" : "is not");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_shape),
        cmocka_unit_test(test_sweep_acceptance),
        cmocka_unit_test(test_sweep_catalog),
        cmocka_unit_test(test_check_table),
        cmocka_unit_test(test_check_places_and_sorts),
        cmocka_unit_test(test_check_why_buffer),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_usage_unknown),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_messages),
        cmocka_unit_test(test_parse_long_input),
        cmocka_unit_test(test_parse_many_profiles),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_draw),
        cmocka_unit_test(test_maximal_members),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
