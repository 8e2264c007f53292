/*
 * Unit tests for bench/timeline on synthetic traces: round-robin schedules whose slice, gap
 * and switch are known by construction, MPS-like concurrent kernels, jittered slices, kernels
 * that start at different times, and malformed traces. Expected values are worked in comments.
 */
#include "bench/timeline.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "core/stats.h"

#define TOL 1e-12
#define MAXW 4
#define MAXRUNS 64

/* About 2^60 ns, where %globaltimer sits today: a double steps by 256 ns there, so exact
 * results prove the module subtracts in integers before converting. */
#define BASE 1700000000123456789ULL

struct fixture {
    struct tl_trace t[MAXW];
    struct tl_gap g[MAXW][MAXRUNS];
};

/*
 * Run j (length len[j] ns) belongs to worker j % nw and starts o ns after run j - 1 ends,
 * the first at base: a round-robin schedule with switch overhead o. Each worker's gaps are
 * the holes between its consecutive runs.
 */
static void tl_sequence(struct fixture *f, size_t nw, const uint64_t *len, size_t nruns,
                        uint64_t base, uint64_t o)
{
    uint64_t at = base;

    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < nw; i++)
        f->t[i].gaps = f->g[i];
    for (size_t j = 0; j < nruns; j++) {
        struct tl_trace *t = &f->t[j % nw];

        if (j < nw)
            t->first = at;
        else
            f->g[j % nw][t->n_gaps++] = (struct tl_gap){t->last, at};
        t->last = at + len[j];
        at += len[j] + o;
    }
}

/* n workers, k rounds of slice s and overhead o: worker i runs [base + (r n + i)(s + o), +s]. */
static void tl_round_robin(struct fixture *f, size_t n, size_t k, uint64_t s, uint64_t o)
{
    uint64_t len[MAXRUNS];

    for (size_t j = 0; j < n * k; j++)
        len[j] = s;
    tl_sequence(f, n, len, n * k, BASE, o);
}

static void check_all(const double *x, size_t n, double want, const char *field, size_t c)
{
    for (size_t i = 0; i < n; i++)
        check_close(x[i], want, TOL, field, c * 1000 + i);
}

static void check_count(size_t got, size_t want, const char *field, size_t c)
{
    if (got != want)
        fail_msg("case %zu: %s = %zu, want %zu", c, field, got, want);
}

static const struct {
    size_t n, k;
    uint64_t s, o; // ns
} rr_cases[] = {
    {2, 6, 2000000, 25000}, // 2 ms slices, 25 us switches
    {3, 6, 2000000, 25000}, {4, 6, 2000000, 25000},
    {2, 3, 1000000, 40000}, // the fewest rounds that leave a complete slice inside
    {4, 10, 1000, 1},       // tiny numbers: edges must be strict, not off by one
};

/*
 * With g = r n + i the global run index, run g is [base + g(s+o), + s]. The window is
 * [start of run n-1, end of run (k-1)n], so, in units of (s+o):
 * - slices strictly inside: runs n .. (k-1)n - 1, that is (k - 2) n of length s;
 * - gaps strictly inside: those after runs n-1 .. (k-2)n, (k - 3) n + 2 of (n-1)s + n o;
 * - clipped runs: n-1 .. (k-1)n, (k-2)n + 2 of them, each a different worker from the one
 *   before, so (k-2)n + 1 switches of o, no overlaps and no self gaps;
 * - window length ((k-2)n + 1)(s+o) + s, busy ((k-2)n + 2) s over it.
 */
static void test_round_robin(void **state)
{
    static struct fixture f;

    (void)state;
    for (size_t c = 0; c < sizeof(rr_cases) / sizeof(rr_cases[0]); c++) {
        size_t n = rr_cases[c].n, k = rr_cases[c].k;
        double s = (double)rr_cases[c].s, o = (double)rr_cases[c].o;
        double window = (double)((k - 2) * n + 1) * (s + o) + s;
        struct error err = {0};
        struct tl_result r;

        tl_round_robin(&f, n, k, rr_cases[c].s, rr_cases[c].o);
        if (timeline_analyze(&err, f.t, n, &r) != 0)
            fail_msg("case %zu: timeline_analyze failed: %s", c, err.msg);
        check_count(r.workers, n, "workers", c);
        check_close(r.window_us, window / 1000.0, TOL, "window_us", c);
        check_count(r.n_slices, (k - 2) * n, "n_slices", c);
        check_all(r.slices_us, r.n_slices, s / 1000.0, "slice_us", c);
        check_count(r.n_gaps, (k - 3) * n + 2, "n_gaps", c);
        check_all(r.gaps_us, r.n_gaps, ((double)(n - 1) * s + (double)n * o) / 1000.0, "gap_us", c);
        check_all(r.gaps_us, r.n_gaps, timeline_expected_gap_us(n, s / 1000.0, o / 1000.0),
                  "gap_us against the model", c);
        check_count(r.n_switches, (k - 2) * n + 1, "n_switches", c);
        check_all(r.switches_us, r.n_switches, o / 1000.0, "switch_us", c);
        check_count(r.n_overlaps, 0, "n_overlaps", c);
        check_count(r.n_self_gaps, 0, "n_self_gaps", c);
        check_close(r.busy_share, (double)((k - 2) * n + 2) * s / window, 1e-12, "busy_share", c);
        // Near s / (s + o) and tending to it with more rounds.
        check_close(r.busy_share, s / (s + o), 0.01, "busy_share near s/(s+o)", c);
        check_close(r.concurrency, 1.0, 0.0, "concurrency", c);
        tl_result_free(&r);
    }
}

/*
 * Hand-built cases: the traces (or, where len is set, a tl_sequence schedule of nruns runs
 * with switch overhead o from BASE) and every field of the result. A list holds the values in
 * the module's order, trace by trace; a field left out of a row is expected to be 0. Times
 * are in us. Every value is an integer count of ns over 1000 or a ratio of two integers, which
 * the module computes correctly rounded, so the checks are exact.
 */
#define MAXV 8

struct tl_case {
    const char *what;
    size_t n;
    struct tl_trace t[MAXW];
    const uint64_t *len;
    size_t nruns;
    uint64_t o;
    double window;
    size_t n_slices, n_gaps, n_switches;
    double slices[MAXV], gaps[MAXV], switches[MAXV];
    double median; // of the slices, checked where there are any
    size_t overlaps, self_gaps;
    double busy, concurrency;
};

/* Run lengths for the jittered case, ns: runs 0, 2, 4, ... are worker 0's. */
static const uint64_t jitter_len[] = {900, 1000, 1100, 1300, 800, 1200, 1000, 1500, 700, 1000};

static const struct tl_case cases[] = {
    // One kernel alone: the window is the kernel, its one run touches both edges.
    {.what = "single trace",
     .n = 1,
     .t = {{BASE, BASE + 4000, NULL, 0}},
     .window = 4.0,
     .busy = 1.0,
     .concurrency = 1.0},
    // One kernel preempted twice with nobody else running: runs [0,100] [200,300] [400,500]
    // ns. The middle run is a slice of 0.1 us, both gaps 0.1 us, two self gaps, busy 300/500.
    {.what = "single trace, self gaps",
     .n = 1,
     .t = {{BASE, BASE + 500,
            (const struct tl_gap[]){{BASE + 100, BASE + 200}, {BASE + 300, BASE + 400}}, 2}},
     .window = 0.5,
     .n_slices = 1,
     .slices = {0.1},
     .median = 0.1,
     .n_gaps = 2,
     .gaps = {0.1, 0.1},
     .self_gaps = 2,
     .busy = 0.6,
     .concurrency = 1.0},
    // MPS-like: two kernels that never stop, B inside A. Window [1000, 9000] ns, both run all
    // of it: one overlap, no switch, twice the run time over the union.
    {.what = "concurrent, no gaps",
     .n = 2,
     .t = {{BASE, BASE + 10000, NULL, 0}, {BASE + 1000, BASE + 9000, NULL, 0}},
     .window = 8.0,
     .overlaps = 1,
     .busy = 1.0,
     .concurrency = 2.0},
    // A runs [0,600], B [400,1000]: B overlaps A and extends the union past A's end, so the
    // union is the whole 1000 ns window and the run time 1200 ns. No run or gap lies strictly
    // inside the window.
    {.what = "partial overlap",
     .n = 2,
     .t = {{BASE, BASE + 1000, (const struct tl_gap[]){{BASE + 600, BASE + 1000}}, 1},
           {BASE, BASE + 1000, (const struct tl_gap[]){{BASE, BASE + 400}}, 1}},
     .window = 1.0,
     .overlaps = 1,
     .busy = 1.0,
     .concurrency = 1.2},
    // Partly concurrent, over [0, 1000] ns: A runs [0,400] [500,1000], B [0,300] [600,1000].
    // In start order A0, B0 (overlaps A0), A1 (starts at 500 after the latest end 400, which
    // was A's: a self gap), B1 (overlaps A1). Union 400 + 500 = 900; run time 1600.
    {.what = "overlap and self gap",
     .n = 2,
     .t = {{BASE, BASE + 1000, (const struct tl_gap[]){{BASE + 400, BASE + 500}}, 1},
           {BASE, BASE + 1000, (const struct tl_gap[]){{BASE + 300, BASE + 600}}, 1}},
     .window = 1.0,
     .n_gaps = 2,
     .gaps = {0.1, 0.3}, // A's, then B's
     .overlaps = 2,
     .self_gaps = 1,
     .busy = 0.9,
     .concurrency = 1600.0 / 900.0},
    // Two workers alternate runs of jitter_len with a 40 ns switch. The window runs from the
    // start of run 1 to the end of run 8: 8600 ns of runs plus seven switches, 8880 ns. The
    // complete slices are runs 2..7, reported trace by trace: worker 0 runs 2, 4, 6, then
    // worker 1 runs 3, 5, 7. Sorted they are 800 1000 1100 1200 1300 1500 ns: median
    // (1100 + 1200) / 2 = 1150 ns. The gaps inside are those that end in runs 3..8 and start
    // after run 1: each is the other worker's run plus two switches. Clipped runs 1..8 give
    // seven switches of 40 ns.
    {.what = "jittered slices",
     .n = 2,
     .len = jitter_len,
     .nruns = 10,
     .o = 40,
     .window = 8.88,
     .n_slices = 6,
     .slices = {1.1, 0.8, 1.0, 1.3, 1.2, 1.5},
     .median = 1.15,
     .n_gaps = 6,
     // Worker 0: runs 3, 5, 7 plus 80; worker 1: runs 2, 4, 6 plus 80.
     .gaps = {1.38, 1.28, 1.58, 1.18, 0.88, 1.08},
     .n_switches = 7,
     .switches = {0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04},
     .busy = 8600.0 / 8880.0,
     .concurrency = 1.0},
    // Worker 0 starts alone at 0 (with a preemption [3000, 3500] by something else), worker 1
    // joins at 10050 and outlives worker 0, which ends at 14200. Only [10050, 14200] counts:
    //   worker 0: runs [0,3000] [3500,10000] [11100,12100] [13200,14200]
    //   worker 1: runs [10050,11050] [12150,13150] [14250,30000]
    // Complete slices: [11100,12100] and [12150,13150]. Gaps inside: [12100,13200] and
    // [11050,12150]. Clipped runs 10050-11050, 11100-12100, 12150-13150, 13200-14200 alternate
    // workers with three 50 ns switches; busy 4000 of 4150 ns.
    {.what = "staggered kernels",
     .n = 2,
     .t = {{BASE, BASE + 14200,
            (const struct tl_gap[]){{BASE + 3000, BASE + 3500},
                                    {BASE + 10000, BASE + 11100},
                                    {BASE + 12100, BASE + 13200}},
            3},
           {BASE + 10050, BASE + 30000,
            (const struct tl_gap[]){{BASE + 11050, BASE + 12150}, {BASE + 13150, BASE + 14250}},
            2}},
     .window = 4.15,
     .n_slices = 2,
     .slices = {1.0, 1.0},
     .median = 1.0,
     .n_gaps = 2,
     .gaps = {1.1, 1.1},
     .n_switches = 3,
     .switches = {0.05, 0.05, 0.05},
     .busy = 4000.0 / 4150.0,
     .concurrency = 1.0},
    // Window [200, 1000]: A's runs [0,100] and [900,1000] leave [900,1000]; B's [200,200] and
    // [1000,1100] are empty once clipped. One run: no switch, busy 100/800, concurrency 1.
    {.what = "mostly idle",
     .n = 2,
     .t = {{BASE, BASE + 1000, (const struct tl_gap[]){{BASE + 100, BASE + 900}}, 1},
           {BASE + 200, BASE + 1100, (const struct tl_gap[]){{BASE + 200, BASE + 1000}}, 1}},
     .window = 0.8,
     .busy = 0.125,
     .concurrency = 1.0},
    // Both kernels switched out from their first read to their last: every run is empty, so
    // the union is 0 and both shares are 0 rather than 0/0. The gaps touch the window's edges.
    {.what = "nobody ran",
     .n = 2,
     .t = {{BASE, BASE + 1000, (const struct tl_gap[]){{BASE, BASE + 1000}}, 1},
           {BASE, BASE + 1000, (const struct tl_gap[]){{BASE, BASE + 1000}}, 1}},
     .window = 1.0,
     .busy = 0.0,
     .concurrency = 0.0},
    // A hands over to B with no measurable hole: B runs [500,1000], A [1000,1500] (A's first
    // run [0,500] ends where the window starts). Starting exactly at the latest end is a
    // switch of 0, not an overlap.
    {.what = "zero switch",
     .n = 2,
     .t = {{BASE, BASE + 1500, (const struct tl_gap[]){{BASE + 500, BASE + 1000}}, 1},
           {BASE + 500, BASE + 2000, (const struct tl_gap[]){{BASE + 1000, BASE + 1600}}, 1}},
     .window = 1.0,
     .n_switches = 1,
     .switches = {0.0},
     .busy = 1.0,
     .concurrency = 1.0},
    // Equal starts are ordered by worker, so the result does not depend on qsort: A [0,400]
    // [500,1000] and B [0,400] (then out to the end). A sorts first and keeps the latest end
    // (B's equal end does not replace it), so A resuming at 500 is a self gap. Taking B first
    // would report a 100 ns switch instead. A's gap is the only one inside the window.
    {.what = "tie by worker",
     .n = 2,
     .t = {{BASE, BASE + 1000, (const struct tl_gap[]){{BASE + 400, BASE + 500}}, 1},
           {BASE, BASE + 1000, (const struct tl_gap[]){{BASE + 400, BASE + 1000}}, 1}},
     .window = 1.0,
     .n_gaps = 1,
     .gaps = {0.1},
     .overlaps = 1,
     .self_gaps = 1,
     .busy = 0.9,
     .concurrency = 1300.0 / 900.0},
};

static void case_count(const struct tl_case *tc, size_t c, const char *field, size_t got,
                       size_t want)
{
    if (got != want)
        fail_msg("case %zu: %s: %s = %zu, want %zu", c, tc->what, field, got, want);
}

static void case_close(const struct tl_case *tc, size_t c, const char *field, double got,
                       double want)
{
    char name[128];

    snprintf(name, sizeof(name), "%s: %s", tc->what, field);
    check_close(got, want, 0.0, name, c);
}

/* One of the three lists, "slices", "gaps" or "switches": its length, then each value. */
static void case_list(const struct tl_case *tc, size_t c, const char *list, const double *got,
                      size_t n_got, const double *want, size_t n_want)
{
    char name[64];

    snprintf(name, sizeof(name), "n_%s", list);
    case_count(tc, c, name, n_got, n_want);
    for (size_t k = 0; k < n_want; k++) {
        snprintf(name, sizeof(name), "%s_us[%zu]", list, k);
        case_close(tc, c, name, got[k], want[k]);
    }
}

static void test_cases(void **state)
{
    static struct fixture f;

    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const struct tl_case *tc = &cases[c];
        const struct tl_trace *t = tc->t;
        struct error err = {0};
        struct tl_result r;

        if (tc->len != NULL) {
            tl_sequence(&f, tc->n, tc->len, tc->nruns, BASE, tc->o);
            t = f.t;
        }
        if (timeline_analyze(&err, t, tc->n, &r) != 0)
            fail_msg("case %zu: %s: timeline_analyze failed: %s", c, tc->what, err.msg);
        case_count(tc, c, "workers", r.workers, tc->n);
        case_close(tc, c, "window_us", r.window_us, tc->window);
        case_list(tc, c, "slices", r.slices_us, r.n_slices, tc->slices, tc->n_slices);
        if (tc->n_slices > 0)
            case_close(tc, c, "median slice", stats_percentile(r.slices_us, r.n_slices, 50),
                       tc->median);
        case_list(tc, c, "gaps", r.gaps_us, r.n_gaps, tc->gaps, tc->n_gaps);
        case_list(tc, c, "switches", r.switches_us, r.n_switches, tc->switches, tc->n_switches);
        case_count(tc, c, "n_overlaps", r.n_overlaps, tc->overlaps);
        case_count(tc, c, "n_self_gaps", r.n_self_gaps, tc->self_gaps);
        case_close(tc, c, "busy_share", r.busy_share, tc->busy);
        case_close(tc, c, "concurrency", r.concurrency, tc->concurrency);
        tl_result_free(&r);
    }
}

static const struct tl_gap unsorted[] = {{500, 600}, {200, 300}};
static const struct tl_gap overlapping[] = {{200, 400}, {300, 500}};
static const struct tl_gap before_first[] = {{50, 150}};
static const struct tl_gap after_last[] = {{900, 1100}};
static const struct tl_gap empty_gap[] = {{200, 300}, {400, 400}};
static const struct tl_gap fine[] = {{200, 300}};

static const struct {
    size_t n;
    struct tl_trace t[2];
    const char *names; // the message must name the trace and gap
} bad_cases[] = {
    {0, {{0, 1000, NULL, 0}}, "no traces"},
    {2, {{0, 1000, fine, 1}, {0, 1000, unsorted, 2}}, "trace 1: gap 1"},
    {1, {{0, 1000, overlapping, 2}}, "trace 0: gap 1"},
    {2, {{0, 1000, NULL, 0}, {100, 1000, before_first, 1}}, "trace 1: gap 0 starts before"},
    {1, {{0, 1000, after_last, 1}}, "trace 0: gap 0"},
    {1, {{0, 1000, empty_gap, 2}}, "trace 0: gap 1"},
    {2, {{0, 1000, NULL, 0}, {500, 500, NULL, 0}}, "trace 1"},
    {1, {{1000, 0, NULL, 0}}, "trace 0"},
    {1, {{0, 1000, NULL, 1}}, "trace 0"},
    {2, {{0, 1000, NULL, 0}, {1000, 2000, NULL, 0}}, "did not run at the same time"},
    {2, {{2000, 3000, fine, 0}, {0, 1000, fine, 1}}, "did not run at the same time"},
};

static void test_invalid(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++) {
        struct error err = {0};
        struct tl_result r = {.n_slices = 99, .workers = 99};

        if (timeline_analyze(&err, bad_cases[c].t, bad_cases[c].n, &r) != -1)
            fail_msg("case %zu: timeline_analyze accepted invalid traces", c);
        if (err.code != ERR_INVALID)
            fail_msg("case %zu: code %d, want ERR_INVALID", c, err.code);
        if (strstr(err.msg, bad_cases[c].names) == NULL)
            fail_msg("case %zu: message '%s' does not name '%s'", c, err.msg, bad_cases[c].names);
        // A failed call leaves a zeroed result that is safe to free.
        check_count(r.n_slices, 0, "n_slices after failure", c);
        check_count(r.workers, 0, "workers after failure", c);
        assert_null(r.slices_us);
        tl_result_free(&r);
    }
}

/* Freeing twice, or a zeroed result, must be harmless. */
static void test_free_twice(void **state)
{
    static const struct tl_trace t = {0, 1000, NULL, 0};
    struct error err = {0};
    struct tl_result r = {0};

    (void)state;
    tl_result_free(&r);
    assert_int_equal(timeline_analyze(&err, &t, 1, &r), 0);
    tl_result_free(&r);
    assert_null(r.slices_us);
    tl_result_free(&r);
}

static const struct {
    size_t n;
    double slice, sw, want;
} model_cases[] = {
    {2, 2000, 25, 2050},  // the other one's slice, a switch out and one back
    {3, 2000, 25, 4075},  // 2 * 2000 + 3 * 25
    {4, 1000, 10, 3040},  // 3 * 1000 + 4 * 10
    {1, 2000, 25, 25},    // alone: only the switch that took it off
    {0, 2000, 25, NAN},   // no contexts: no model
    {8, 0.5, 0.125, 4.5}, // 7 * 0.5 + 8 * 0.125
};

static void test_expected_gap(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(model_cases) / sizeof(model_cases[0]); i++)
        check_close(
            timeline_expected_gap_us(model_cases[i].n, model_cases[i].slice, model_cases[i].sw),
            model_cases[i].want, TOL, "timeline_expected_gap_us", i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin),  cmocka_unit_test(test_cases),
        cmocka_unit_test(test_invalid),      cmocka_unit_test(test_free_twice),
        cmocka_unit_test(test_expected_gap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
