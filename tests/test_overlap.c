/*
 * Unit tests for bench/overlap: the common window of the workers' timed regions, each
 * region's share inside it, and the slowdown and aggregate figures. Every expected value is
 * worked in its comment; the inputs are dyadic where possible so most checks are exact.
 */
#include "bench/overlap.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#define TOL 1e-12
#define MAXR 4

static const struct {
    size_t n;
    double t0[MAXR], t1[MAXR];
    double start, end, length, min, mean;
    double fractions[MAXR];
} window_cases[] = {
    // Identical regions: the window is each region, every share 1.
    {3, {10, 10, 10}, {12, 12, 12}, 10, 12, 2, 1, 1, {1, 1, 1}},
    // Staggered: window [2, 8] = 6; shares 6/8, 6/8, 6/12.
    {3, {0, 2, 2}, {8, 10, 14}, 2, 8, 6, 0.5, 2.0 / 3.0, {0.75, 0.75, 0.5}},
    // Late start, early end: window [100.5, 109.5] = 9; shares 9/10, 9/9.5, 9/9.5.
    {3,
     {100.0, 100.5, 100.0},
     {110.0, 110.0, 109.5},
     100.5,
     109.5,
     9,
     0.9,
     (0.9 + 2.0 * 9.0 / 9.5) / 3.0,
     {0.9, 9.0 / 9.5, 9.0 / 9.5}},
    // CLOCK_MONOTONIC magnitudes, one second of stagger over ten: window 9 s, shares 0.9.
    {2, {12345.25, 12346.25}, {12355.25, 12356.25}, 12346.25, 12355.25, 9, 0.9, 0.9, {0.9, 0.9}},
    // Disjoint: latest start 2 after earliest end 1, so no window and no shares.
    {2, {0, 2}, {1, 3}, 2, 1, 0, 0, 0, {0, 0}},
    // Touching at one instant is still no time together.
    {2, {0, 1}, {1, 2}, 1, 1, 0, 0, 0, {0, 0}},
    // Three regions where only two overlap: the common window is still empty.
    {3, {0, 1, 5}, {2, 3, 6}, 5, 2, 0, 0, 0, {0, 0, 0}},
    // A single region is its own window.
    {1, {5}, {7}, 5, 7, 2, 1, 1, {1}},
};

static void test_window_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(window_cases) / sizeof(window_cases[0]); i++) {
        struct error err = {0};
        struct window w;
        double f[MAXR];

        if (window_compute(&err, window_cases[i].t0, window_cases[i].t1, window_cases[i].n, &w,
                           f) != 0)
            fail_msg("case %zu: window_compute failed: %s", i, err.msg);
        check_close(w.start, window_cases[i].start, 0.0, "start", i);
        check_close(w.end, window_cases[i].end, 0.0, "end", i);
        check_close(w.length, window_cases[i].length, TOL, "length", i);
        check_close(w.min_fraction, window_cases[i].min, TOL, "min_fraction", i);
        check_close(w.mean_fraction, window_cases[i].mean, TOL, "mean_fraction", i);
        for (size_t k = 0; k < window_cases[i].n; k++)
            check_close(f[k], window_cases[i].fractions[k], TOL, "fraction", i * 100 + k);
    }
}

/* fractions is optional: the window must come out the same without it. */
static void test_window_null_fractions(void **state)
{
    static const double t0[] = {0, 2, 2}, t1[] = {8, 10, 14};
    struct error err = {0};
    struct window w;

    (void)state;
    assert_int_equal(window_compute(&err, t0, t1, 3, &w, NULL), 0);
    check_close(w.length, 6.0, 0.0, "length", 0);
    check_close(w.min_fraction, 0.5, 0.0, "min_fraction", 0);
}

static const struct {
    size_t n;
    double t0[MAXR], t1[MAXR];
    const char *names; // the message must name the offending region
} bad_window_cases[] = {
    {2, {0, 2}, {1, 1}, "region 1"},         // reversed
    {2, {0, 1}, {1, 1}, "region 1"},         // empty
    {3, {0, 0, NAN}, {1, 1, 1}, "region 2"}, // NaN start
    {2, {0, 0}, {INFINITY, 1}, "region 0"},  // infinite end
    {2, {-INFINITY, 0}, {1, 1}, "region 0"}, // infinite start
    {1, {0}, {NAN}, "region 0"},             // NaN end
    {0, {0}, {1}, "no timed regions"},       // n == 0
};

static void test_window_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_window_cases) / sizeof(bad_window_cases[0]); i++) {
        struct error err = {0};
        struct window w = {.start = -7, .min_fraction = -7};
        double f[MAXR] = {-7, -7, -7, -7};

        if (window_compute(&err, bad_window_cases[i].t0, bad_window_cases[i].t1,
                           bad_window_cases[i].n, &w, f) != -1)
            fail_msg("case %zu: window_compute accepted invalid regions", i);
        if (err.code != ERR_INVALID)
            fail_msg("case %zu: code %d, want ERR_INVALID", i, err.code);
        if (strstr(err.msg, bad_window_cases[i].names) == NULL)
            fail_msg("case %zu: message '%s' does not name '%s'", i, err.msg,
                     bad_window_cases[i].names);
        // Nothing is written on failure.
        check_close(w.start, -7, 0.0, "untouched start", i);
        check_close(w.min_fraction, -7, 0.0, "untouched min_fraction", i);
        check_close(f[0], -7, 0.0, "untouched fraction", i);
    }
}

static const struct {
    double min_fraction, min_overlap;
    bool want;
} ok_cases[] = {
    {0.95, OVERLAP_REPEAT_BELOW, true},
    {0.90, OVERLAP_REPEAT_BELOW, true}, // inclusive
    {0.89, OVERLAP_REPEAT_BELOW, false},
    {0.0, OVERLAP_REPEAT_BELOW, false},
    {1.0, 1.0, true},
    {NAN, OVERLAP_REPEAT_BELOW, false},
    {1.0, NAN, false},
};

static void test_window_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        struct window w = {.min_fraction = ok_cases[i].min_fraction};

        if (window_ok(&w, ok_cases[i].min_overlap) != ok_cases[i].want)
            fail_msg("case %zu: window_ok(%g, %g) = %d, want %d", i, ok_cases[i].min_fraction,
                     ok_cases[i].min_overlap, !ok_cases[i].want, ok_cases[i].want);
    }
}

/* A 10 s region with 1 s of stagger at each end of its partner: 8/10 = 0.8 is flagged. */
static void test_window_flags_staggered_run(void **state)
{
    static const double t0[] = {0, 1}, t1[] = {10, 9};
    struct error err = {0};
    struct window w;

    (void)state;
    assert_int_equal(window_compute(&err, t0, t1, 2, &w, NULL), 0);
    check_close(w.min_fraction, 0.8, TOL, "min_fraction", 0);
    assert_false(window_ok(&w, OVERLAP_REPEAT_BELOW));
}

static const struct {
    double solo;
    size_t n;
    double rates[MAXR];
    double slowdowns[MAXR];
    double aggregate;
} contention_cases[] = {
    // Two workers at half and quarter speed: slowdowns 100/50, 100/25; aggregate 75/100.
    {100, 2, {50, 25}, {2, 4}, 0.75},
    // Perfect sharing (spare capacity): no slowdown, twice the throughput.
    {100, 2, {100, 100}, {1, 1}, 2.0},
    // Fair time-slicing of four: each at a quarter, total throughput unchanged.
    {100, 4, {25, 25, 25, 25}, {4, 4, 4, 4}, 1.0},
    // Uneven: 80/64 = 1.25, 80/40 = 2; (64 + 40 + 40) / 80 = 1.8.
    {80, 3, {64, 40, 40}, {1.25, 2, 2}, 1.8},
    // A single worker against itself.
    {3.5, 1, {3.5}, {1}, 1.0},
    // A worker faster than solo (noise, boost clocks) gives a slowdown below 1, not an error.
    {10, 1, {12.5}, {0.8}, 1.25},
};

static void test_contention_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(contention_cases) / sizeof(contention_cases[0]); i++) {
        struct error err = {0};
        double s[MAXR], agg;

        if (contention_figures(&err, contention_cases[i].solo, contention_cases[i].rates,
                               contention_cases[i].n, s, &agg) != 0)
            fail_msg("case %zu: contention_figures failed: %s", i, err.msg);
        for (size_t k = 0; k < contention_cases[i].n; k++)
            check_close(s[k], contention_cases[i].slowdowns[k], TOL, "slowdown", i * 100 + k);
        check_close(agg, contention_cases[i].aggregate, TOL, "aggregate", i);
        // Slowdowns are optional.
        agg = -1;
        assert_int_equal(contention_figures(&err, contention_cases[i].solo,
                                            contention_cases[i].rates, contention_cases[i].n, NULL,
                                            &agg),
                         0);
        check_close(agg, contention_cases[i].aggregate, TOL, "aggregate without slowdowns", i);
    }
}

static const struct {
    double solo;
    size_t n;
    double rates[MAXR];
    const char *names;
} bad_contention_cases[] = {
    {0, 2, {1, 1}, "solo rate"},    {-1, 2, {1, 1}, "solo rate"},
    {NAN, 2, {1, 1}, "solo rate"},  {INFINITY, 2, {1, 1}, "solo rate"},
    {1, 2, {1, 0}, "worker 1"},     {1, 3, {1, 1, -2}, "worker 2"},
    {1, 2, {NAN, 1}, "worker 0"},   {1, 2, {1, INFINITY}, "worker 1"},
    {1, 0, {1}, "no worker rates"},
};

static void test_contention_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_contention_cases) / sizeof(bad_contention_cases[0]); i++) {
        struct error err = {0};
        double s[MAXR] = {-7, -7, -7, -7}, agg = -7;

        if (contention_figures(&err, bad_contention_cases[i].solo, bad_contention_cases[i].rates,
                               bad_contention_cases[i].n, s, &agg) != -1)
            fail_msg("case %zu: contention_figures accepted invalid rates", i);
        if (err.code != ERR_INVALID)
            fail_msg("case %zu: code %d, want ERR_INVALID", i, err.code);
        if (strstr(err.msg, bad_contention_cases[i].names) == NULL)
            fail_msg("case %zu: message '%s' does not name '%s'", i, err.msg,
                     bad_contention_cases[i].names);
        // A bad rate late in the list must not leave earlier slowdowns half-written.
        check_close(s[0], -7, 0.0, "untouched slowdown", i);
        check_close(agg, -7, 0.0, "untouched aggregate", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_table),
        cmocka_unit_test(test_window_null_fractions),
        cmocka_unit_test(test_window_invalid),
        cmocka_unit_test(test_window_ok),
        cmocka_unit_test(test_window_flags_staggered_run),
        cmocka_unit_test(test_contention_table),
        cmocka_unit_test(test_contention_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
