/*
 * Time-slice timeline analysis: merges the per-worker %globaltimer gap traces into slice,
 * gap and switch-overhead samples. Timestamps stay uint64_t until they are subtracted:
 * %globaltimer counts ns since an epoch (about 2^60 today), where a double steps by 256 ns.
 */
#include "bench/timeline.h"
#include "core/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One run interval, clipped to the window, and the worker it belongs to. */
struct tl_run {
    uint64_t start, end;
    size_t worker;
};

static double tl_us(uint64_t a, uint64_t b)
{
    return (double)(b - a) / 1000.0;
}

static int tl_check_trace(struct error *err, const struct tl_trace *t, size_t i)
{
    uint64_t prev_end = t->first;

    if (t->first >= t->last)
        return error_set(err, ERR_INVALID, "trace %zu: first read %llu is not before last %llu", i,
                         (unsigned long long)t->first, (unsigned long long)t->last);
    if (t->n_gaps > 0 && t->gaps == NULL)
        return error_set(err, ERR_INVALID, "trace %zu: %zu gaps but no gap array", i, t->n_gaps);
    for (size_t k = 0; k < t->n_gaps; k++) {
        const struct tl_gap *g = &t->gaps[k];

        if (g->start >= g->end)
            return error_set(err, ERR_INVALID, "trace %zu: gap %zu does not end after its start", i,
                             k);
        if (k == 0 && g->start < t->first)
            return error_set(err, ERR_INVALID, "trace %zu: gap %zu starts before the first read", i,
                             k);
        // Touching gaps are allowed: one read between two jumps is a run of length 0.
        if (g->start < prev_end)
            return error_set(err, ERR_INVALID,
                             "trace %zu: gap %zu is out of order or overlaps the one before", i, k);
        if (g->end > t->last)
            return error_set(err, ERR_INVALID, "trace %zu: gap %zu ends after the last read", i, k);
        prev_end = g->end;
    }
    return 0;
}

/* Run interval k of a trace, k in [0, n_gaps]. */
static void tl_run_at(const struct tl_trace *t, size_t k, uint64_t *a, uint64_t *b)
{
    *a = k == 0 ? t->first : t->gaps[k - 1].end;
    *b = k == t->n_gaps ? t->last : t->gaps[k].start;
}

/* Slices and gaps strictly inside (ws, we): one touching an edge was cut short by another
 * kernel's start or end, so its length says nothing about the scheduler. */
static void tl_collect(const struct tl_trace *t, size_t n, uint64_t ws, uint64_t we,
                       struct tl_result *r)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k <= t[i].n_gaps; k++) {
            uint64_t a, b;

            tl_run_at(&t[i], k, &a, &b);
            if (a > ws && b < we)
                r->slices_us[r->n_slices++] = tl_us(a, b);
        }
        for (size_t k = 0; k < t[i].n_gaps; k++) {
            const struct tl_gap *g = &t[i].gaps[k];

            if (g->start > ws && g->end < we)
                r->gaps_us[r->n_gaps++] = tl_us(g->start, g->end);
        }
    }
}

static int tl_cmp_run(const void *pa, const void *pb)
{
    const struct tl_run *a = pa, *b = pb;

    // A worker's non-empty runs are disjoint, so (start, worker) orders them totally and
    // qsort's instability cannot change the result.
    if (a->start != b->start)
        return (a->start > b->start) - (a->start < b->start);
    return (a->worker > b->worker) - (a->worker < b->worker);
}

/* Every run interval clipped to [ws, we], empty ones dropped, sorted by start. */
static struct tl_run *tl_clipped_runs(const struct tl_trace *t, size_t n, uint64_t ws, uint64_t we,
                                      size_t total, size_t *m)
{
    struct tl_run *runs = xcalloc(total, sizeof(*runs));

    *m = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k <= t[i].n_gaps; k++) {
            uint64_t a, b;

            tl_run_at(&t[i], k, &a, &b);
            a = a > ws ? a : ws;
            b = b < we ? b : we;
            if (a < b)
                runs[(*m)++] = (struct tl_run){a, b, i};
        }
    }
    qsort(runs, *m, sizeof(*runs), tl_cmp_run);
    return runs;
}

/* Sweeps the sorted runs against the latest end so far, classifying each hole or overlap,
 * and sums the union and total of run time for busy_share and concurrency. */
static void tl_sweep(const struct tl_run *runs, size_t m, uint64_t window, struct tl_result *r)
{
    uint64_t max_end, covered, sum;
    size_t max_worker;

    if (m == 0)
        return; // busy_share and concurrency stay 0: no one ran
    max_end = runs[0].end;
    max_worker = runs[0].worker;
    covered = sum = runs[0].end - runs[0].start;
    for (size_t j = 1; j < m; j++) {
        const struct tl_run *b = &runs[j];

        sum += b->end - b->start;
        if (b->start < max_end) {
            r->n_overlaps++;
            if (b->end > max_end)
                covered += b->end - max_end;
        } else {
            covered += b->end - b->start;
            if (b->worker != max_worker)
                r->switches_us[r->n_switches++] = tl_us(max_end, b->start);
            else
                r->n_self_gaps++;
        }
        if (b->end > max_end) {
            max_end = b->end;
            max_worker = b->worker;
        }
    }
    r->busy_share = (double)covered / (double)window;
    r->concurrency = (double)sum / (double)covered;
}

int timeline_analyze(struct error *err, const struct tl_trace *t, size_t n, struct tl_result *r)
{
    uint64_t ws, we;
    size_t total = 0, m;
    struct tl_run *runs;

    memset(r, 0, sizeof(*r));
    if (n == 0)
        return error_set(err, ERR_INVALID, "no traces to analyse");
    ws = t[0].first;
    we = t[0].last;
    for (size_t i = 0; i < n; i++) {
        if (tl_check_trace(err, &t[i], i) < 0)
            return -1;
        ws = t[i].first > ws ? t[i].first : ws;
        we = t[i].last < we ? t[i].last : we;
        total += t[i].n_gaps + 1;
    }
    if (ws >= we)
        return error_set(err, ERR_INVALID, "the kernels did not run at the same time");
    r->workers = n;
    r->window_us = tl_us(ws, we);
    // Each trace has n_gaps + 1 run intervals, and each clipped run after the first adds at
    // most one switch, so total bounds all three arrays.
    r->slices_us = xcalloc(total, sizeof(*r->slices_us));
    r->gaps_us = xcalloc(total, sizeof(*r->gaps_us));
    r->switches_us = xcalloc(total, sizeof(*r->switches_us));
    tl_collect(t, n, ws, we, r);
    runs = tl_clipped_runs(t, n, ws, we, total, &m);
    tl_sweep(runs, m, we - ws, r);
    free(runs);
    return 0;
}

void tl_result_free(struct tl_result *r)
{
    free(r->slices_us);
    free(r->gaps_us);
    free(r->switches_us);
    memset(r, 0, sizeof(*r));
}

double timeline_expected_gap_us(size_t n, double slice_us, double switch_us)
{
    if (n == 0)
        return NAN;
    return (double)(n - 1) * slice_us + (double)n * switch_us;
}
