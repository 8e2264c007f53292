/*
 * Unit tests for core/stats: type-7 percentiles, summaries and their refusals.
 * Expected values are worked by hand from numpy's definition (shown next to each case),
 * so a failure here means the formula changed, not that numpy did.
 */
#include "core/stats.h"

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#define TOL 1e-12

static const struct {
    double x[10];
    size_t n;
    double median, min, max, p10, p90, mean;
} summary_cases[] = {
    // n = 1: every statistic is the sample.
    {{42.0}, 1, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0},
    // n = 2: h = 0.1 and 0.9 between 1 and 3.
    {{3.0, 1.0}, 2, 2.0, 1.0, 3.0, 1.2, 2.8, 2.0},
    // odd n, unsorted. Sorted 15 20 35 40 50. p10: h = 4 * 0.1 = 0.4 -> 15 + 0.4 * 5 = 17;
    // p90: h = 3.6 -> 40 + 0.6 * 10 = 46. numpy.percentile(x, [10, 50, 90]) = [17, 35, 46].
    {{35.0, 15.0, 50.0, 20.0, 40.0}, 5, 35.0, 15.0, 50.0, 17.0, 46.0, 32.0},
    // even n: the median is the mean of the middle two. p10: h = 0.3 -> 1.3; p90: h = 2.7 -> 3.7.
    {{4.0, 1.0, 3.0, 2.0}, 4, 2.5, 1.0, 4.0, 1.3, 3.7, 2.5},
    // 1..10 shuffled. p10: h = 0.9 -> 1.9; p90: h = 8.1 -> 9.1 (numpy: 1.9, 5.5, 9.1).
    {{7, 3, 10, 1, 5, 9, 2, 8, 6, 4}, 10, 5.5, 1.0, 10.0, 1.9, 9.1, 5.5},
    // Timings in ms. Sorted 0.98 0.99 1.00 1.01 1.02 1.05 1.10. p10: h = 0.6 ->
    // 0.98 + 0.6 * 0.01 = 0.986; p90: h = 5.4 -> 1.05 + 0.4 * 0.05 = 1.07; mean 7.15 / 7.
    {{1.02, 0.98, 1.10, 1.00, 0.99, 1.05, 1.01}, 7, 1.01, 0.98, 1.10, 0.986, 1.07, 7.15 / 7.0},
    // Ties. Sorted 1 1 2 2: p10 h = 0.3 inside the 1s; p90 h = 2.7 inside the 2s.
    {{2.0, 1.0, 2.0, 1.0}, 4, 1.5, 1.0, 2.0, 1.0, 2.0, 1.5},
    // Negative values. p10: h = 0.2 -> -5 + 0.2 * 5 = -4; p90: h = 1.8 -> 0 + 0.8 * 5 = 4.
    {{5.0, -5.0, 0.0}, 3, 0.0, -5.0, 5.0, -4.0, 4.0, 0.0},
    // All equal.
    {{3.0, 3.0, 3.0}, 3, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0},
};

static void test_summarize_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(summary_cases) / sizeof(summary_cases[0]); i++) {
        struct summary s;

        memset(&s, 0xff, sizeof(s));
        if (stats_summarize(summary_cases[i].x, summary_cases[i].n, &s) != 0)
            fail_msg("case %zu: stats_summarize refused a valid sample", i);
        if (s.n != summary_cases[i].n)
            fail_msg("case %zu: n = %zu, want %zu", i, s.n, summary_cases[i].n);
        check_close(s.median, summary_cases[i].median, TOL, "median", i);
        check_close(s.min, summary_cases[i].min, 0.0, "min", i);
        check_close(s.max, summary_cases[i].max, 0.0, "max", i);
        check_close(s.p10, summary_cases[i].p10, TOL, "p10", i);
        check_close(s.p90, summary_cases[i].p90, TOL, "p90", i);
        check_close(s.mean, summary_cases[i].mean, TOL, "mean", i);
    }
}

/* The caller's samples are in trial order; sorting them in place would lose that. */
static void test_input_not_modified(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(summary_cases) / sizeof(summary_cases[0]); i++) {
        double x[10];
        struct summary s;

        memcpy(x, summary_cases[i].x, sizeof(x));
        assert_int_equal(stats_summarize(x, summary_cases[i].n, &s), 0);
        if (memcmp(x, summary_cases[i].x, sizeof(x)) != 0)
            fail_msg("case %zu: stats_summarize reordered its input", i);
        (void)stats_percentile(x, summary_cases[i].n, 50.0);
        if (memcmp(x, summary_cases[i].x, sizeof(x)) != 0)
            fail_msg("case %zu: stats_percentile reordered its input", i);
    }
}

static const struct {
    double x[4];
    size_t n;
} refused_cases[] = {
    {{1.0}, 0},           {{NAN}, 1},
    {{1.0, NAN, 3.0}, 3}, {{1.0, 2.0, 3.0, NAN}, 4},
    {{INFINITY, 1.0}, 2}, {{1.0, -INFINITY}, 2},
};

static void test_summarize_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refused_cases) / sizeof(refused_cases[0]); i++) {
        struct summary s, before;

        memset(&s, 0x5a, sizeof(s));
        before = s;
        if (stats_summarize(refused_cases[i].x, refused_cases[i].n, &s) != -1)
            fail_msg("case %zu: stats_summarize accepted n = 0 or a non-finite sample", i);
        if (memcmp(&s, &before, sizeof(s)) != 0)
            fail_msg("case %zu: stats_summarize wrote *out on failure", i);
        check_close(stats_percentile(refused_cases[i].x, refused_cases[i].n, 50.0), NAN, 0.0,
                    "stats_percentile", i);
    }
}

static const struct {
    double p;
    double want;
} percentile_cases[] = {
    // Sample 35 15 50 20 40 (sorted 15 20 35 40 50): h = 4p / 100.
    {0.0, 15.0},   {10.0, 17.0}, {25.0, 20.0}, {50.0, 35.0}, {75.0, 40.0}, {90.0, 46.0},
    {100.0, 50.0}, {62.5, 37.5}, {-0.1, NAN},  {100.1, NAN}, {NAN, NAN},
};

static void test_percentile_table(void **state)
{
    static const double x[] = {35.0, 15.0, 50.0, 20.0, 40.0};
    static const double sorted[] = {15.0, 20.0, 35.0, 40.0, 50.0};

    (void)state;
    for (size_t i = 0; i < sizeof(percentile_cases) / sizeof(percentile_cases[0]); i++) {
        check_close(stats_percentile(x, 5, percentile_cases[i].p), percentile_cases[i].want, TOL,
                    "stats_percentile", i);
        check_close(stats_percentile_sorted(sorted, 5, percentile_cases[i].p),
                    percentile_cases[i].want, TOL, "stats_percentile_sorted", i);
    }
    check_close(stats_percentile_sorted(sorted, 0, 50.0), NAN, 0.0, "n = 0", 0);
}

/* Near DBL_MAX a plain sum or difference overflows; the statistics must stay finite. */
static void test_extremes_stay_finite(void **state)
{
    static const double big[] = {DBL_MAX, DBL_MAX, DBL_MAX};
    static const double wide[] = {DBL_MAX, -DBL_MAX};
    static const double two_big[] = {DBL_MAX, 0.0, DBL_MAX};
    struct summary s;

    (void)state;
    assert_int_equal(stats_summarize(big, 3, &s), 0);
    check_close(s.mean, DBL_MAX, 0.0, "mean of DBL_MAX", 0);
    check_close(s.median, DBL_MAX, 0.0, "median of DBL_MAX", 0);
    // The sum overflows, yet the mean 2/3 DBL_MAX is representable and must be found.
    assert_int_equal(stats_summarize(two_big, 3, &s), 0);
    check_close(s.mean, DBL_MAX / 3.0 * 2.0, DBL_MAX * 1e-12, "mean of DBL_MAX, 0, DBL_MAX", 2);
    assert_int_equal(stats_summarize(wide, 2, &s), 0);
    check_close(s.median, 0.0, 0.0, "median of +-DBL_MAX", 1);
    check_close(s.mean, 0.0, 0.0, "mean of +-DBL_MAX", 1);
    assert_true(isfinite(s.p10) && isfinite(s.p90));
}

static const struct {
    double median, p10, p90;
    double want;
} spread_cases[] = {
    {35.0, 17.0, 46.0, 29.0 / 35.0},
    {1.0, 1.0, 1.0, 0.0},
    {0.0, -1.0, 1.0, 0.0},
    {2.0, 1.0, 2.0, 0.5},
};

static void test_rel_spread_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(spread_cases) / sizeof(spread_cases[0]); i++) {
        struct summary s = {0};

        s.median = spread_cases[i].median;
        s.p10 = spread_cases[i].p10;
        s.p90 = spread_cases[i].p90;
        check_close(stats_rel_spread(&s), spread_cases[i].want, TOL, "rel_spread", i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summarize_table),      cmocka_unit_test(test_input_not_modified),
        cmocka_unit_test(test_summarize_refuses),    cmocka_unit_test(test_percentile_table),
        cmocka_unit_test(test_extremes_stay_finite), cmocka_unit_test(test_rel_spread_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
