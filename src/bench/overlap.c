/*
 * Window and contention arithmetic for the multi-process harness. Each worker times its own
 * region; only the part where all of them ran at once measures sharing, so the report needs
 * that window and how much of each region it covers.
 */
#include "bench/overlap.h"

#include <math.h>

static int overlap_check_regions(struct error *err, const double *t0, const double *t1, size_t n)
{
    if (n == 0)
        return error_set(err, ERR_INVALID, "no timed regions to overlap");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t0[i]) || !isfinite(t1[i]))
            return error_set(err, ERR_INVALID, "region %zu: bounds are not finite", i);
        // Empty and reversed regions both mean a broken clock read, never a real worker.
        if (!(t1[i] > t0[i]))
            return error_set(err, ERR_INVALID, "region %zu: end %.9f is not after start %.9f", i,
                             t1[i], t0[i]);
    }
    return 0;
}

int window_compute(struct error *err, const double *t0, const double *t1, size_t n,
                   struct window *w, double *fractions)
{
    double start, end, length, min = 1.0, sum = 0.0;

    if (overlap_check_regions(err, t0, t1, n) < 0)
        return -1;
    start = t0[0];
    end = t1[0];
    for (size_t i = 1; i < n; i++) {
        start = fmax(start, t0[i]);
        end = fmin(end, t1[i]);
    }
    length = end > start ? end - start : 0.0;
    for (size_t i = 0; i < n; i++) {
        // The window lies inside every region, so each region's overlap is the whole window;
        // rounded subtraction is monotone, so f never exceeds 1.
        double f = length / (t1[i] - t0[i]);

        if (fractions != NULL)
            fractions[i] = f;
        min = fmin(min, f);
        sum += f;
    }
    w->start = start;
    w->end = end;
    w->length = length;
    w->min_fraction = min;
    w->mean_fraction = sum / (double)n;
    return 0;
}

bool window_ok(const struct window *w, double min_overlap)
{
    return w->min_fraction >= min_overlap;
}

static bool overlap_rate_ok(double r)
{
    return isfinite(r) && r > 0.0;
}

int contention_figures(struct error *err, double solo_rate, const double *rates, size_t n,
                       double *slowdowns, double *aggregate)
{
    double sum = 0.0;

    if (n == 0)
        return error_set(err, ERR_INVALID, "no worker rates to compare");
    if (!overlap_rate_ok(solo_rate))
        return error_set(err, ERR_INVALID, "solo rate %g is not a positive finite number",
                         solo_rate);
    // Check every rate before writing, so a bad input leaves the outputs untouched.
    for (size_t i = 0; i < n; i++) {
        if (!overlap_rate_ok(rates[i]))
            return error_set(err, ERR_INVALID,
                             "worker %zu: rate %g is not a positive finite number", i, rates[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (slowdowns != NULL)
            slowdowns[i] = solo_rate / rates[i];
        sum += rates[i];
    }
    *aggregate = sum / solo_rate;
    return 0;
}
