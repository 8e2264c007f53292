/*
 * Window and contention arithmetic for the multi-process harness: where the workers' timed
 * regions overlap, how much of each region that window covers, and how much each worker slowed
 * down against running alone. Pure, so CI checks it without a GPU.
 */
#ifndef GPUSHARE_BENCH_OVERLAP_H
#define GPUSHARE_BENCH_OVERLAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Issue requirement: a run whose min_fraction is below this is flagged and repeated, since a
 * worker that ran mostly alone measures no contention. */
#define OVERLAP_REPEAT_BELOW 0.90

struct window {
    double start, end;    /* common window: latest start, earliest end (seconds) */
    double length;        /* max(0, end - start), seconds */
    double min_fraction;  /* smallest share of any region that lies inside the window, [0, 1] */
    double mean_fraction; /* mean of those shares, [0, 1] */
};

/*
 * Common window of n timed regions [t0[i], t1[i]] (CLOCK_MONOTONIC seconds). When fractions is
 * not NULL it receives each region's share inside the window, in [0, 1]. Regions that do not
 * all overlap are no error: the window has length 0 and every fraction is 0.
 * Returns 0, or -1 with ERR_INVALID when n is 0 or a region (named by index) is empty,
 * reversed or not finite; *w and fractions are untouched then.
 */
int window_compute(struct error *err, const double *t0, const double *t1, size_t n,
                   struct window *w, double *fractions);

/* min_fraction >= min_overlap; false for a NaN on either side. */
bool window_ok(const struct window *w, double min_overlap);

/*
 * Contention figures from work rates (work per second): slowdowns[i] = solo_rate / rates[i],
 * the factor by which worker i ran slower than the same worker alone (slowdowns may be NULL),
 * and *aggregate = sum(rates) / solo_rate, the total throughput in units of one solo worker.
 * Returns 0, or -1 with ERR_INVALID when n is 0 or solo_rate or a rate (named by index) is not
 * finite and > 0; the outputs are untouched then.
 */
int contention_figures(struct error *err, double solo_rate, const double *rates, size_t n,
                       double *slowdowns, double *aggregate);

#endif
