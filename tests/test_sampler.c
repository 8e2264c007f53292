/*
 * Unit tests for bench/sampler: the growable sample log and its means over a
 * benchmark's time window. Expected figures are worked by hand next to each case.
 */
#include "bench/sampler.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "gpu/info.h"

#define TOL 1e-9
#define MIB 1048576.0
#define NONE (-1.0) /* a reading NVML did not answer */

/* One reading; NONE leaves the field out (has_* false). Utilization is one reading of two. */
struct row {
    double t, util_gpu, util_mem, clock_mhz, power_w, mem_mib;
};

/* A 7-sample burst at 8 Hz: idle, four busy samples, idle. Times are exact in binary. */
static const struct row log_busy[] = {
    {100.000, 0, 0, 345, 70, 479},        {100.125, 100, 40, 1980, 300, 10479},
    {100.250, 100, 30, 1980, 320, 20479}, {100.375, 50, 20, 1755, 250, 20479},
    {100.500, 100, 10, 1980, 310, 15479}, {100.625, 0, 0, 1980, 120, 479},
    {100.750, 0, 0, 345, 70, 479},
};

/* Each field missing from some samples, power from all. */
static const struct row log_gaps[] = {
    {0.0, 80, 20, NONE, NONE, 100},
    {1.0, NONE, NONE, 1500, NONE, NONE},
    {2.0, 60, 10, NONE, NONE, 300},
    {3.0, NONE, NONE, 1700, NONE, 200},
};

/* Logged out of order, unevenly: sorted 0 0.1 0.2 0.5 0.6, spacings 0.1 0.1 0.3 0.1. */
static const struct row log_shuffled[] = {
    {0.5, 50, 5, 1980, 300, 1}, {0.0, 50, 5, 1980, 300, 1}, {0.6, 50, 5, 1980, 300, 1},
    {0.1, 50, 5, 1980, 300, 1}, {0.2, 50, 5, 1980, 300, 1},
};

/* Spacings 0.1 0.2 0.3 0.4: an even count, so the median is the mean of the middle two. */
static const struct row log_uneven[] = {
    {0.0, 10, 1, 1000, 100, 1}, {0.1, 20, 2, 1100, 110, 2}, {0.3, 30, 3, 1200, 120, 3},
    {0.6, 40, 4, 1300, 130, 4}, {1.0, 50, 5, 1400, 140, 5},
};

#define ROWS(a) a, sizeof(a) / sizeof(a[0])

static const struct {
    const char *what;
    const struct row *rows;
    size_t n_rows;
    double t0, t1;
    size_t n;
    double util_gpu, util_mem, clock_mhz, power_w, mem_max_mib, period_s;
} cases[] = {
    // Bounds inclusive: samples 1..4. util (100 + 100 + 50 + 100) / 4; memory util
    // (40 + 30 + 20 + 10) / 4; clock (3 * 1980 + 1755) / 4; power (300 + 320 + 250 + 310) / 4.
    {"inner window", ROWS(log_busy), 100.125, 100.5, 4, 87.5, 25, 1923.75, 295, 20479, 0.125},
    // Bounds between samples: samples 1 and 2 only.
    {"two samples", ROWS(log_busy), 100.1, 100.3, 2, 100, 35, 1980, 310, 20479, 0.125},
    // Everything: util 350 / 7, memory util 100 / 7, clock 10365 / 7, power 1440 / 7.
    {"whole log", ROWS(log_busy), 0, 1e9, 7, 50, 100.0 / 7, 10365.0 / 7, 1440.0 / 7, 20479, 0.125},
    // A zero-width window on a sample holds it, but no spacing.
    {"one sample", ROWS(log_busy), 100.25, 100.25, 1, 100, 30, 1980, 320, 20479, NAN},
    {"after the log", ROWS(log_busy), 200, 300, 0, NAN, NAN, NAN, NAN, NAN, NAN},
    {"between samples", ROWS(log_busy), 100.01, 100.1, 0, NAN, NAN, NAN, NAN, NAN, NAN},
    {"reversed bounds", ROWS(log_busy), 100.5, 100.125, 0, NAN, NAN, NAN, NAN, NAN, NAN},
    {"NaN bound", ROWS(log_busy), NAN, 1e9, 0, NAN, NAN, NAN, NAN, NAN, NAN},
    {"empty log", NULL, 0, 0, 1e9, 0, NAN, NAN, NAN, NAN, NAN, NAN},
    // Means over the samples that have each field: util (80 + 60) / 2, memory util
    // (20 + 10) / 2, clock (1500 + 1700) / 2, no power; the spacing counts every sample.
    {"gaps", ROWS(log_gaps), 0, 3, 4, 70, 15, 1600, NAN, 300, 1},
    // The window's only sample lacks util, power and memory: those are NaN, not 0.
    {"gaps, one sample", ROWS(log_gaps), 0.5, 1.5, 1, NAN, NAN, 1500, NAN, NAN, NAN},
    {"gaps, no clock", ROWS(log_gaps), 1.5, 2.5, 1, 60, 10, NAN, NAN, 300, NAN},
    // Median of 0.1 0.1 0.1 0.3: 0.1; the log's order does not matter.
    {"shuffled", ROWS(log_shuffled), 0, 1, 5, 50, 5, 1980, 300, 1, 0.1},
    // Window 0.2 .. 0.6 holds 0.2 0.5 0.6: spacings 0.3 0.1, median 0.2.
    {"shuffled, part", ROWS(log_shuffled), 0.2, 0.6, 3, 50, 5, 1980, 300, 1, 0.2},
    // Spacings 0.1 0.2 0.3 0.4: median (0.2 + 0.3) / 2.
    {"uneven", ROWS(log_uneven), 0, 1, 5, 30, 3, 1200, 120, 5, 0.25},
    // 0.3 0.6 1.0: spacings 0.3 0.4, median 0.35; means of the last three.
    {"uneven, tail", ROWS(log_uneven), 0.3, 1.0, 3, 40, 4, 1300, 130, 5, 0.35},
};

static struct gpu_sample to_sample(const struct row *r)
{
    struct gpu_sample s;

    memset(&s, 0, sizeof(s));
    s.has_util = r->util_gpu != NONE;
    s.util_gpu_pct = s.has_util ? (unsigned)r->util_gpu : 0;
    s.util_mem_pct = s.has_util ? (unsigned)r->util_mem : 0;
    s.has_sm_clock = r->clock_mhz != NONE;
    s.sm_clock_mhz = s.has_sm_clock ? (unsigned)r->clock_mhz : 0;
    s.has_power = r->power_w != NONE;
    s.power_w = s.has_power ? r->power_w : 0;
    s.has_memory = r->mem_mib != NONE;
    s.memory_used_bytes = s.has_memory ? (uint64_t)r->mem_mib * (uint64_t)MIB : 0;
    return s;
}

static void test_means_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sample_log log;
        struct sample_means m;

        memset(&log, 0, sizeof(log));
        for (size_t r = 0; r < cases[i].n_rows; r++) {
            struct gpu_sample s = to_sample(&cases[i].rows[r]);

            sample_log_add(&log, cases[i].rows[r].t, &s);
        }
        memset(&m, 0xa5, sizeof(m));
        sample_log_means(&log, cases[i].t0, cases[i].t1, &m);
        if (m.n != cases[i].n)
            fail_msg("case %zu (%s): n = %zu, want %zu", i, cases[i].what, m.n, cases[i].n);
        check_close(m.util_gpu_pct, cases[i].util_gpu, TOL, "util_gpu_pct", i);
        check_close(m.util_mem_pct, cases[i].util_mem, TOL, "util_mem_pct", i);
        check_close(m.sm_clock_mhz, cases[i].clock_mhz, TOL, "sm_clock_mhz", i);
        check_close(m.power_w, cases[i].power_w, TOL, "power_w", i);
        check_close(m.memory_used_max_bytes, cases[i].mem_max_mib * MIB, TOL,
                    "memory_used_max_bytes", i);
        check_close(m.period_s, cases[i].period_s, TOL, "period_s", i);
        sample_log_free(&log);
    }
}

/* The log grows past its first allocation and keeps every reading, in order. */
static void test_log_growth(void **state)
{
    struct sample_log log;
    const size_t n = 1000;

    (void)state;
    memset(&log, 0, sizeof(log));
    for (size_t i = 0; i < n; i++) {
        struct gpu_sample s;

        memset(&s, 0, sizeof(s));
        s.has_sm_clock = true;
        s.sm_clock_mhz = (unsigned)i;
        s.has_memory = true;
        s.memory_used_bytes = UINT64_C(1) << 40 | i;
        sample_log_add(&log, 0.1 * (double)i, &s);
    }
    assert_int_equal(log.n, n);
    assert_true(log.cap >= n);
    for (size_t i = 0; i < n; i++) {
        if (log.t[i] != 0.1 * (double)i || log.s[i].sm_clock_mhz != i ||
            log.s[i].memory_used_bytes != (UINT64_C(1) << 40 | i) || log.s[i].has_power)
            fail_msg("sample %zu changed: t %.17g clock %u", i, log.t[i], log.s[i].sm_clock_mhz);
    }
    sample_log_free(&log);
    assert_int_equal(log.n, 0);
    assert_int_equal(log.cap, 0);
    assert_null(log.t);
    assert_null(log.s);
}

/* Free is safe on a zeroed log and twice over, and a freed log takes samples again. */
static void test_log_free_reuse(void **state)
{
    struct sample_log log;
    struct sample_means m;
    struct gpu_sample s;

    (void)state;
    memset(&log, 0, sizeof(log));
    sample_log_free(&log);
    sample_log_free(&log);
    memset(&s, 0, sizeof(s));
    s.has_power = true;
    s.power_w = 250.5;
    sample_log_add(&log, 1.0, &s);
    sample_log_add(&log, 1.5, &s);
    sample_log_means(&log, 0, 2, &m);
    assert_int_equal(m.n, 2);
    check_close(m.power_w, 250.5, TOL, "power_w", 0);
    check_close(m.period_s, 0.5, TOL, "period_s", 0);
    check_close(m.util_gpu_pct, NAN, TOL, "util_gpu_pct", 0);
    sample_log_free(&log);
    sample_log_free(&log);
    assert_int_equal(log.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_means_table),
        cmocka_unit_test(test_log_growth),
        cmocka_unit_test(test_log_free_reuse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
