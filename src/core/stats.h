/*
 * Summary statistics for repeated measurements: the median with its spread.
 * Percentiles interpolate linearly between order statistics (Hyndman & Fan
 * type 7, the default of R and numpy), so p50 of an even sample is the mean
 * of the middle two.
 */
#ifndef GPUSHARE_CORE_STATS_H
#define GPUSHARE_CORE_STATS_H

#include <stddef.h>

struct summary {
    size_t n;
    double median;
    double min;
    double max;
    double p10;
    double p90;
    double mean;
};

/*
 * Percentile p in [0, 100] of an ascending array of n >= 1 values; NAN for n == 0 or p
 * outside [0, 100]. The result always lies between the two order statistics used.
 */
double stats_percentile_sorted(const double *sorted, size_t n, double p);

/*
 * Summarises n samples without modifying them (it sorts a private copy). Returns 0,
 * or -1 when n is 0, a sample is not finite (a NaN timing is a bug upstream, never a
 * value) or the copy cannot be allocated; *out is untouched on -1. The mean is kept
 * within [min, max] even where rounding would step outside.
 */
int stats_summarize(const double *x, size_t n, struct summary *out);

/*
 * Percentile p of unsorted samples (copies and sorts; x is not modified); NAN when n
 * is 0, a sample is not finite, p is outside [0, 100] or the copy cannot be allocated.
 */
double stats_percentile(const double *x, size_t n, double p);

/* Relative spread (p90 - p10) / |median|; 0 when the median is 0. */
double stats_rel_spread(const struct summary *s);

#endif
