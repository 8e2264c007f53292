/*
 * Unit tests for bench/bounds: the ideal speedups, pipeline bounds and PCIe ceilings the
 * streams verdicts are measured against. Every expected value is worked in its comment.
 */
#include "bench/bounds.h"
#include "gpu/pcie.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

#define TOL 1e-12

static const struct {
    int v;
    const char *want;
} name_cases[] = {
    {VERDICT_INFO, "info"}, {VERDICT_MEETS, "meets"}, {VERDICT_MISSES, "misses"},
    {7, "unknown"},         {-1, "unknown"},
};

static void test_verdict_name(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
        const char *got = verdict_name((enum verdict_status)name_cases[i].v);

        if (got == NULL || strcmp(got, name_cases[i].want) != 0)
            fail_msg("case %zu: verdict_name(%d) = '%s', want '%s'", i, name_cases[i].v,
                     got ? got : "(null)", name_cases[i].want);
    }
}

static const struct {
    double value, lo, hi; // verdict_at_least uses lo as the bar
    enum verdict_status at_least, within;
} verdict_cases[] = {
    {1.5, 1.0, 2.0, VERDICT_MEETS, VERDICT_MEETS},
    {1.0, 1.0, 2.0, VERDICT_MEETS, VERDICT_MEETS}, // both ends inclusive
    {2.0, 1.0, 2.0, VERDICT_MEETS, VERDICT_MEETS},
    {0.999, 1.0, 2.0, VERDICT_MISSES, VERDICT_MISSES},
    {2.001, 1.0, 2.0, VERDICT_MEETS, VERDICT_MISSES},
    {NAN, 1.0, 2.0, VERDICT_MISSES, VERDICT_MISSES}, // a failed measurement never meets
    {1.5, NAN, NAN, VERDICT_MISSES, VERDICT_MISSES},
    {-INFINITY, 1.0, 2.0, VERDICT_MISSES, VERDICT_MISSES},
};

static void test_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
        enum verdict_status a = verdict_at_least(verdict_cases[i].value, verdict_cases[i].lo);
        enum verdict_status w =
            verdict_within(verdict_cases[i].value, verdict_cases[i].lo, verdict_cases[i].hi);

        if (a != verdict_cases[i].at_least)
            fail_msg("case %zu: verdict_at_least = %s, want %s", i, verdict_name(a),
                     verdict_name(verdict_cases[i].at_least));
        if (w != verdict_cases[i].within)
            fail_msg("case %zu: verdict_within = %s, want %s", i, verdict_name(w),
                     verdict_name(verdict_cases[i].within));
    }
}

static const struct {
    unsigned k, sms, per_kernel;
    double want;
} speedup_cases[] = {
    // 132 SMs (H100 SXM), 66 per kernel: two fit; three kernels take two rounds.
    {2, 132, 66, 2.0},
    {3, 132, 66, 1.5},
    {4, 132, 66, 2.0},
    // 33 per kernel: four fit, so the stream count is the limit.
    {2, 132, 33, 2.0},
    {3, 132, 33, 3.0},
    {4, 132, 33, 4.0},
    // A kernel that fills the GPU gains nothing from more streams.
    {2, 132, 132, 1.0},
    {3, 132, 132, 1.0},
    {4, 132, 132, 1.0},
    {3, 132, 44, 3.0},  // floor(132 / 44) = 3
    {4, 132, 44, 2.0},  // three fit, but four kernels still take two rounds
    {4, 132, 40, 2.0},  // floor(3.3): a part of a kernel's footprint is no room for one
    {6, 132, 22, 6.0},  // six fit in one round
    {4, 132, 50, 2.0},  // floor(2.64)
    {4, 132, 200, 1.0}, // bigger than the GPU: never below 1
    {0, 132, 33, 1.0},
    {1, 132, 33, 1.0},
    {4, 132, 0, 1.0}, // meaningless footprint: no concurrency claimed, no division by 0
};

static void test_stream_speedup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(speedup_cases) / sizeof(speedup_cases[0]); i++)
        check_close(bound_stream_speedup(speedup_cases[i].k, speedup_cases[i].sms,
                                         speedup_cases[i].per_kernel),
                    speedup_cases[i].want, 0.0, "bound_stream_speedup", i);
}

static const struct {
    double waves;
    double want;
} gemm_cases[] = {
    {0.3, 2.0},        // 2 * ceil(0.3) / ceil(0.6) = 2 / 1
    {0.5, 2.0},        // 2 * 1 / ceil(1.0) = 2: two half-waves share one wave
    {0.7, 1.0},        // 2 * 1 / ceil(1.4) = 2 / 2
    {1.0, 1.0},        // 2 * 1 / 2
    {1.2, 4.0 / 3.0},  // 2 * 2 / ceil(2.4) = 4 / 3, the most a GEMM of >= 1 wave gets
    {1.5, 4.0 / 3.0},  // 2 * 2 / 3
    {2.0, 1.0},        // 2 * 2 / 4
    {4.3, 10.0 / 9.0}, // 2 * 5 / ceil(8.6) = 10 / 9
    {0.0, NAN},        {-1.0, NAN}, {NAN, NAN}, {INFINITY, NAN},
};

static void test_gemm_two_streams(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(gemm_cases) / sizeof(gemm_cases[0]); i++)
        check_close(bound_gemm_two_streams(gemm_cases[i].waves), gemm_cases[i].want, TOL,
                    "bound_gemm_two_streams", i);
}

static const struct {
    double h, k, d;
    unsigned chunks, streams;
    double resource, stream, bound;
} pipe_cases[] = {
    // S = 1 is serial: C (h + k + d) = 8 * 3.5 = 28; resource (3.5 - 2) + 8 * 2 = 17.5.
    {1.0, 2.0, 0.5, 8, 1, 17.5, 28.0, 28.0},
    // Balanced, C = 8, S = 3: resource (3 - 1) + 8 * 1 = 10; stream ceil(8/3) * 3 = 9.
    {1.0, 1.0, 1.0, 8, 3, 10.0, 9.0, 10.0},
    // S = 2: each stream runs 4 chunks in order, 4 * 3 = 12 > 10: the stream bound dominates.
    {1.0, 1.0, 1.0, 8, 2, 10.0, 12.0, 12.0},
    // S = C: one chunk per stream; only the engines limit.
    {1.0, 1.0, 1.0, 8, 8, 10.0, 3.0, 10.0},
    // More streams than chunks: ceil(4/8) = 1.
    {1.0, 1.0, 1.0, 4, 8, 6.0, 3.0, 6.0},
    // Copy-bound: h dominates, (4 - 2) + 4 * 2 = 10; stream 1 * 4.
    {2.0, 1.0, 1.0, 4, 4, 10.0, 4.0, 10.0},
    // One chunk: the two bounds agree on h + k + d.
    {0.5, 3.0, 0.5, 1, 4, 4.0, 4.0, 4.0},
    // Invalid: no chunks, no streams, NaN, negative or infinite stage.
    {1.0, 1.0, 1.0, 0, 2, NAN, NAN, NAN},
    {1.0, 1.0, 1.0, 8, 0, NAN, NAN, NAN},
    {NAN, 1.0, 1.0, 8, 2, NAN, NAN, NAN},
    {1.0, NAN, 1.0, 8, 2, NAN, NAN, NAN},
    {1.0, 1.0, -1.0, 8, 2, NAN, NAN, NAN},
    {1.0, INFINITY, 1.0, 8, 2, NAN, NAN, NAN},
};

static void test_pipeline_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(pipe_cases) / sizeof(pipe_cases[0]); i++) {
        struct pipe_bound b;

        bound_pipeline(pipe_cases[i].h, pipe_cases[i].k, pipe_cases[i].d, pipe_cases[i].chunks,
                       pipe_cases[i].streams, &b);
        check_close(b.resource_ms, pipe_cases[i].resource, TOL, "resource_ms", i);
        check_close(b.stream_ms, pipe_cases[i].stream, TOL, "stream_ms", i);
        check_close(b.bound_ms, pipe_cases[i].bound, TOL, "bound_ms", i);
    }
}

/* With one stream nothing overlaps, so the bound must be the serial time for any C. */
static void test_pipeline_one_stream_is_serial(void **state)
{
    static const double stages[][3] = {{1.0, 1.0, 1.0}, {0.2, 5.0, 0.3}, {4.0, 0.0, 1.0}};

    (void)state;
    for (size_t s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
        double sum = stages[s][0] + stages[s][1] + stages[s][2];

        for (unsigned c = 1; c <= 64; c++) {
            struct pipe_bound b;

            bound_pipeline(stages[s][0], stages[s][1], stages[s][2], c, 1, &b);
            check_close(b.bound_ms, c * sum, 1e-9, "bound_ms with S = 1", s * 100 + c);
        }
    }
}

/* Balanced stages x, C = 8, S = 3: streams allow ceil(8/3) 3x = 9x, the engines
 * (h + k + d - m) + C m = 10x, so the resource bound wins whatever x is. */
static void test_pipeline_balanced_resource_bound(void **state)
{
    static const double x[] = {0.25, 1.0, 3.5};

    (void)state;
    for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
        struct pipe_bound b;
        double want = (3.0 * x[i] - x[i]) + 8.0 * x[i];

        bound_pipeline(x[i], x[i], x[i], 8, 3, &b);
        check_close(b.bound_ms, want, TOL, "bound_ms, C = 8, S = 3", i);
        check_close(b.resource_ms, want, TOL, "resource_ms, C = 8, S = 3", i);
    }
}

static const struct {
    double a, b;
    double efficiency, recovered;
} ratio_cases[] = {
    // efficiency = a / b (bound / measured); recovered = 1 - b / a (serial, pipelined).
    {10.0, 20.0, 0.5, -1.0}, {10.0, 10.0, 1.0, 0.0},
    {28.0, 14.0, 2.0, 0.5},  {10.0, 0.0, NAN, 1.0}, // zero measured time is no measurement
    {10.0, -1.0, NAN, 1.1},                         // negative: likewise
    {10.0, NAN, NAN, NAN},                          // NaN measured propagates
    {0.0, 5.0, 0.0, NAN},                           // zero serial time recovers nothing meaningful
    {-3.0, 5.0, -0.6, NAN},  {NAN, 5.0, NAN, NAN},
};

static void test_efficiency_and_recovered(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ratio_cases) / sizeof(ratio_cases[0]); i++) {
        check_close(bound_efficiency(ratio_cases[i].a, ratio_cases[i].b), ratio_cases[i].efficiency,
                    TOL, "bound_efficiency", i);
        check_close(bound_recovered(ratio_cases[i].a, ratio_cases[i].b), ratio_cases[i].recovered,
                    TOL, "bound_recovered", i);
    }
}

/* "-0% recovered" was printed for a share just below zero: a whole percentage is never -0. */
static void test_pct(void **state)
{
    char text[16];

    (void)state;
    snprintf(text, sizeof(text), "%.0f%%", bound_pct(-0.003));
    assert_string_equal(text, "0%");
    snprintf(text, sizeof(text), "%.0f%%", bound_pct(-0.006));
    assert_string_equal(text, "-1%");
    snprintf(text, sizeof(text), "%.0f%%", bound_pct(0.256));
    assert_string_equal(text, "26%");
}

static const struct {
    unsigned gen, width;
    double want;
} pcie_cases[] = {
    {1, 16, 4.0},                   // 2.5 * 16 * 8/10 / 8
    {2, 16, 8.0},                   // 5 * 16 * 8/10 / 8
    {3, 16, 16.0 * 128.0 / 130.0},  // 15.754
    {4, 16, 32.0 * 128.0 / 130.0},  // 31.508: "about 31.5"
    {5, 16, 64.0 * 128.0 / 130.0},  // 63.015: "about 63.0"
    {6, 16, 128.0 * 128.0 / 130.0}, // 126.03, FLIT overhead ignored (see bounds.c)
    {4, 8, 16.0 * 128.0 / 130.0},
    {3, 1, 128.0 / 130.0},
    {0, 16, NAN},
    {7, 16, NAN},
    {4, 0, NAN},
};

static void test_pcie(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(pcie_cases) / sizeof(pcie_cases[0]); i++)
        check_close(pcie_gbps_per_direction(pcie_cases[i].gen, pcie_cases[i].width),
                    pcie_cases[i].want, 1e-9, "pcie_gbps_per_direction", i);
    // The figures quoted in specifications, to one decimal.
    check_close(pcie_gbps_per_direction(5, 16), 63.0, 0.05, "Gen5 x16", 0);
    check_close(pcie_gbps_per_direction(4, 16), 31.5, 0.05, "Gen4 x16", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_name),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_stream_speedup),
        cmocka_unit_test(test_gemm_two_streams),
        cmocka_unit_test(test_pipeline_table),
        cmocka_unit_test(test_pipeline_one_stream_is_serial),
        cmocka_unit_test(test_pipeline_balanced_resource_bound),
        cmocka_unit_test(test_efficiency_and_recovered),
        cmocka_unit_test(test_pct),
        cmocka_unit_test(test_pcie),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
