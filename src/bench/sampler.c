/*
 * The sample log and its window means. The sampling loop itself lives with the
 * multi-process harness; this file only stores and summarises what it read.
 */
#include "bench/sampler.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "core/xalloc.h"

#define SAMPLE_LOG_MIN_CAP 64 /* 6 s at 10 Hz before the first regrowth */

void sample_log_add(struct sample_log *log, double t, const struct gpu_sample *s)
{
    if (log->n == log->cap) {
        size_t cap = log->cap < SAMPLE_LOG_MIN_CAP ? SAMPLE_LOG_MIN_CAP : log->cap * 2;
        double *nt;
        struct gpu_sample *ns;

        if (cap < log->cap)
            xalloc_die("GPU samples");
        nt = xreallocarray(log->t, cap, sizeof(*nt));
        log->t = nt;
        ns = xreallocarray(log->s, cap, sizeof(*ns));
        log->s = ns;
        log->cap = cap;
    }
    log->t[log->n] = t;
    log->s[log->n] = *s;
    log->n++;
}

void sample_log_free(struct sample_log *log)
{
    free(log->t);
    free(log->s);
    memset(log, 0, sizeof(*log));
}

/* The one window test, shared by the means and the spacings so they count the same samples. */
static bool in_window(double t, double t0, double t1)
{
    return t >= t0 && t <= t1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

struct field_mean {
    double sum;
    size_t n;
};

static void field_add(struct field_mean *f, bool has, double v)
{
    if (has) {
        f->sum += v;
        f->n++;
    }
}

static double field_value(const struct field_mean *f)
{
    return f->n > 0 ? f->sum / (double)f->n : NAN;
}

/* The median gap between successive times of the window's n samples, sorted first. */
static double median_spacing(const struct sample_log *log, double t0, double t1, size_t n)
{
    double *t, period;
    size_t k = 0;

    if (n < 2)
        return NAN;
    t = xreallocarray(NULL, n, sizeof(*t));
    for (size_t i = 0; i < log->n; i++)
        if (in_window(log->t[i], t0, t1) && k < n)
            t[k++] = log->t[i];
    qsort(t, k, sizeof(*t), cmp_double);
    for (size_t i = 0; i + 1 < k; i++)
        t[i] = t[i + 1] - t[i];
    qsort(t, k - 1, sizeof(*t), cmp_double);
    period = stats_percentile_sorted(t, k - 1, 50.0);
    free(t);
    return period;
}

void sample_log_means(const struct sample_log *log, double t0, double t1, struct sample_means *m)
{
    struct field_mean util_gpu = {0}, util_mem = {0}, clock = {0}, power = {0};
    double mem_max = NAN;
    size_t n = 0;

    for (size_t i = 0; i < log->n; i++) {
        const struct gpu_sample *s = &log->s[i];

        if (!in_window(log->t[i], t0, t1))
            continue;
        n++;
        field_add(&util_gpu, s->has_util, s->util_gpu_pct);
        field_add(&util_mem, s->has_util, s->util_mem_pct);
        field_add(&clock, s->has_sm_clock, s->sm_clock_mhz);
        field_add(&power, s->has_power, s->power_w);
        if (s->has_memory && (isnan(mem_max) || (double)s->memory_used_bytes > mem_max))
            mem_max = (double)s->memory_used_bytes;
    }
    m->n = n;
    m->util_gpu_pct = field_value(&util_gpu);
    m->util_mem_pct = field_value(&util_mem);
    m->sm_clock_mhz = field_value(&clock);
    m->power_w = field_value(&power);
    m->memory_used_max_bytes = mem_max;
    m->period_s = median_spacing(log, t0, t1, n);
}
