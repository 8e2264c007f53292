/*
 * Summary statistics for repeated timings: median, spread and mean of a sample.
 * Percentiles are Hyndman & Fan type 7 (numpy's default), so results can be checked
 * against numpy.percentile by hand.
 */
#include "core/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int stats_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    // Callers have refused NaN, so this is a total order.
    return (x > y) - (x < y);
}

static int stats_all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return 0;
    }
    return 1;
}

/* A sorted private copy, so the caller's samples are never reordered; NULL on failure. */
static double *stats_sorted_copy(const double *x, size_t n)
{
    double *copy;

    if (n == 0 || n > SIZE_MAX / sizeof(*copy))
        return NULL;
    copy = malloc(n * sizeof(*copy));
    if (copy == NULL)
        return NULL;
    memcpy(copy, x, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), stats_cmp_double);
    return copy;
}

double stats_percentile_sorted(const double *sorted, size_t n, double p)
{
    double h, lo_idx, frac, lo, hi, v;
    size_t i;

    if (sorted == NULL || n == 0 || !(p >= 0.0 && p <= 100.0))
        return NAN;
    // Type 7: h = (n - 1) p, interpolating between the order statistics either side of h.
    h = (double)(n - 1) * (p / 100.0);
    lo_idx = floor(h);
    i = (size_t)lo_idx;
    if (i >= n - 1)
        return sorted[n - 1];
    frac = h - lo_idx;
    lo = sorted[i];
    hi = sorted[i + 1];
    if (frac == 0.0)
        return lo;
    v = lo + frac * (hi - lo);
    // hi - lo overflows only for samples near DBL_MAX of opposite sign; the weighted
    // form cannot overflow there.
    if (!isfinite(v))
        v = (1.0 - frac) * lo + frac * hi;
    // Rounding in hi - lo can carry the result just above hi (never below lo, as
    // frac (hi - lo) >= 0): the result stays between its order statistics.
    if (v > hi)
        v = hi;
    return v;
}

/* Mean of finite samples that stays finite: a plain sum can overflow near DBL_MAX. */
static double stats_mean(const double *x, size_t n, double min, double max)
{
    double sum = 0.0;
    double mean;

    for (size_t i = 0; i < n; i++)
        sum += x[i];
    mean = sum / (double)n;
    if (!isfinite(mean)) {
        mean = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += x[i] / (double)n;
    }
    if (mean < min)
        mean = min;
    if (mean > max)
        mean = max;
    return mean;
}

int stats_summarize(const double *x, size_t n, struct summary *out)
{
    double *sorted;

    if (x == NULL || out == NULL || n == 0 || !stats_all_finite(x, n))
        return -1;
    sorted = stats_sorted_copy(x, n);
    if (sorted == NULL)
        return -1;
    out->n = n;
    out->min = sorted[0];
    out->max = sorted[n - 1];
    out->median = stats_percentile_sorted(sorted, n, 50.0);
    out->p10 = stats_percentile_sorted(sorted, n, 10.0);
    out->p90 = stats_percentile_sorted(sorted, n, 90.0);
    out->mean = stats_mean(sorted, n, out->min, out->max);
    free(sorted);
    return 0;
}

double stats_percentile(const double *x, size_t n, double p)
{
    double *sorted;
    double v;

    if (x == NULL || n == 0 || !stats_all_finite(x, n))
        return NAN;
    sorted = stats_sorted_copy(x, n);
    if (sorted == NULL)
        return NAN;
    v = stats_percentile_sorted(sorted, n, p);
    free(sorted);
    return v;
}

double stats_rel_spread(const struct summary *s)
{
    if (s->median == 0.0)
        return 0.0;
    // fabs keeps a spread a spread should a median ever be negative (a clock offset).
    return (s->p90 - s->p10) / fabs(s->median);
}
