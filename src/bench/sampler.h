/*
 * A log of timestamped NVML readings taken while a benchmark runs, and their
 * means over the benchmark's common time window. Pure arithmetic, no NVML or
 * CUDA, so the figures the report puts next to real progress can be tested.
 */
#ifndef GPUSHARE_BENCH_SAMPLER_H
#define GPUSHARE_BENCH_SAMPLER_H

#include <stddef.h>

#include "gpu/info.h"

/* Zero-initialise to start. t[i] is when s[i] was read: CLOCK_MONOTONIC seconds. */
struct sample_log {
    size_t n, cap;
    double *t;
    struct gpu_sample *s;
};

/* Appends one reading, growing the arrays; prints and aborts when out of memory (xmalloc). */
void sample_log_add(struct sample_log *log, double t, const struct gpu_sample *s);

/* Frees the arrays and zeroes the log, which can be reused; safe on a zeroed log. */
void sample_log_free(struct sample_log *log);

struct sample_means {
    size_t n; /* samples with t inside [t0, t1] */
    /* Means over the samples in the window that have the field (has_*); NAN if none has it. */
    double util_gpu_pct, util_mem_pct, sm_clock_mhz, power_w;
    double memory_used_max_bytes; /* the largest reading in the window; NAN if none */
    double period_s; /* median spacing of the window's samples, in time order; NAN if n < 2 */
};

/*
 * Summarises the samples with t0 <= t <= t1 (bounds included; none when t0 > t1
 * or either is NaN). The log need not be in time order. Aborts only when out of
 * memory for the spacings.
 */
void sample_log_means(const struct sample_log *log, double t0, double t1, struct sample_means *m);

#endif
