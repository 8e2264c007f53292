/*
 * gpushare bench timeslice: several processes sharing one GPU without MPS. The driver gives
 * each context the whole GPU in turn (time-slicing), so processes never run at the same time.
 * Three parts, each on the multi-process harness:
 *
 *   contention  N = 1..P identical gemm workers: slowdown against solo, aggregate throughput
 *   timeline    N = 1..P spin workers recording when their context was switched out: the
 *               slice, the gap while the others run, the switch overhead, against N
 *   victim      one batch-1 inference worker alone, then with 1..P-1 gemm aggressors:
 *               p50, p99, p99.9 and max latency
 *
 * NVML utilization is sampled during every run and reported next to the real progress.
 */
#ifndef GPUSHARE_BENCH_TIMESLICE_H
#define GPUSHARE_BENCH_TIMESLICE_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/multi.h"
#include "bench/timeline.h"
#include "core/error.h"

enum timeslice_part {
    TS_CONTENTION = 1 << 0,
    TS_TIMELINE = 1 << 1,
    TS_VICTIM = 1 << 2,
    TS_ALL = (1 << 3) - 1,
};

#define TS_MAX_PROCS 8
#define TS_MAX_TRIALS 20
#define TS_MAX_SIZES 4

/* The expected slowdown of each of two processes sharing a card without MPS. */
#define TS_LAB_LOW 1.2
#define TS_LAB_HIGH 3.5
/* The bar: two gemm workers overlap this much of their timed windows. */
#define TS_MIN_OVERLAP 0.95
/* The driver's default time slice, 128 << 3 us: kfifoChannelGroupGetDefaultTimeslice_GV100()
 * in NVIDIA open-gpu-kernel-modules . */
#define TS_DRIVER_DEFAULT_US 1024.0
/* The "~10 ms context-switch jitter per swap" sharing guides quote; the timeline checks it. */
#define TS_QUOTED_SWITCH_US 10000.0

struct timeslice_opts {
    /* The test ids' first word and what ts_params records as "sharing": NULL is "timeslice";
     * "mps" when bench mps runs these parts under its daemon. */
    const char *mode;
    /* victim under MPS, what the aggressors get (NULL: inherit): CUDA_MPS_CLIENT_PRIORITY ("1":
     * below normal), ids MODE.victim.lowprio.pN; or CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, ids
     * MODE.victim.capPCT.pN. With either, the victim alone is not run again. */
    const char *aggressor_priority;
    const char *aggressor_thread_pct;
    unsigned parts;
    unsigned max_procs;           /* P: 2..TS_MAX_PROCS */
    unsigned sizes[TS_MAX_SIZES]; /* contention gemm sizes */
    size_t n_sizes;
    bool bf16;               /* gemm and infer dtype */
    double spin_ms;          /* timeline: run time of each process's kernel */
    double gap_us;           /* timeline: gap threshold */
    unsigned victim_n;       /* aggressor gemm size */
    unsigned hidden, layers; /* the inference victim */
};

/* What one part learns that a later one uses. */
struct timeslice_state {
    unsigned batch[TS_MAX_SIZES];       /* gemm operations per step, from the solo run */
    double solo_rate[TS_MAX_SIZES];     /* gemms per second alone; NAN until measured */
    double slice_us[TS_MAX_PROCS + 1];  /* timeline median slice for N processes; NAN */
    double switch_us[TS_MAX_PROCS + 1]; /* timeline median switch overhead; NAN */
    double victim_alone_p99_us, victim_alone_p50_us; /* NAN until measured */
};

/* Parses "contention,timeline,victim" into a mask; ERR_USAGE on unknown names (parts.c). */
int timeslice_parse_parts(struct error *err, const char *list, unsigned *mask);
const char *timeslice_part_name(unsigned bit);

/* Runs the selected parts; a part that fails is recorded under "skipped" and the others go
 * on; -1 afterwards (ERR_INTERRUPTED at once). */
int bench_timeslice(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o);

int timeslice_contention(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                         struct timeslice_state *st);
int timeslice_timeline(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                       struct timeslice_state *st);
int timeslice_victim(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                     struct timeslice_state *st);

/* Shared by the parts. */
/* Records series name only when all n values are finite (NVML may not answer). */
void ts_series(json_t *test, const char *name, const char *unit, const double *v, size_t n);
/* Appends the NVML means of a run (utilization, SM clock, power) to per-trial arrays. */
struct ts_nvml {
    double util[TS_MAX_TRIALS], clock[TS_MAX_TRIALS], power[TS_MAX_TRIALS];
    size_t n;
};
void ts_nvml_add(struct ts_nvml *s, const struct multi_run *r);
void ts_nvml_record(json_t *test, const struct ts_nvml *s);
/* Records the run parameters every test shares. */
void ts_params(json_t *test, const struct multi_ctx *c, const struct timeslice_opts *o,
               unsigned procs);
/* o->mode, or "timeslice". */
const char *ts_mode(const struct timeslice_opts *o);
bool ts_is_mps(const struct timeslice_opts *o);

/* One trial of `procs` identical gemm workers of size n, each doing `batch` per step: every
 * worker's slowdown against solo_rate (gemms per second alone) is appended to slowdown[], the
 * aggregate (sum of rates over solo_rate) and the run's overlap go in *agg and *overlap.
 * Adds the run's NVML means to nvml when it is not NULL. */
struct ts_gemm_trial {
    double aggregate, overlap;
    unsigned attempts;
    bool low_overlap;
};
int ts_gemm_trial(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                  unsigned n, unsigned batch, double solo_rate, unsigned procs, double *slowdown,
                  struct ts_nvml *nvml, struct ts_gemm_trial *out);
double ts_gemm_tflops(unsigned n, double gemms_per_s);

#endif
