/*
 * Multi-process benchmarks, parent side: worker command lines, one run of N workers with
 * NVML sampling, the overlap check with its repeat, and the figures every mode reports.
 * Time-slicing uses it now; MPS and MIG emulation run the same way under a daemon.
 *
 * Pure C (no CUDA header): the parent must never initialise CUDA, so that every worker gets
 * a context of its own.
 */
#ifndef GPUSHARE_BENCH_MULTI_H
#define GPUSHARE_BENCH_MULTI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "bench/harness.h"
#include "bench/overlap.h"
#include "bench/sampler.h"
#include "core/error.h"

/* Repeats of a run whose overlap is below OVERLAP_REPEAT_BELOW, before it is kept, flagged. */
#define MULTI_MAX_ATTEMPTS 3
#define MULTI_MAX_ARGS 40

struct multi_ctx {
    char exe[4096]; /* this gpushare, which the workers run */
    int device;
    char bus_id[32];   /* for NVML sampling; "" when unknown */
    bool sample;       /* NVML answered: sample during runs */
    double duration_s; /* timed region of each worker */
    double run_hint_s; /* a worker's longer run (a timeline kernel), for the watchdog; 0: none */
    unsigned trials;
    json_t *doc;        /* the results document tests are appended to */
    int mps_timeout_ms; /* MPS daemon start and stop deadlines (bench/mpsbench.h); 0: 20 s */
};

/* Finds this executable and fills the context; sampling is set up by multi_info(). */
int multi_init(struct error *err, struct multi_ctx *c, int device, double duration_s,
               unsigned trials);

/* A worker's argv: gpushare worker --workload W --device D [options]. */
struct worker_argv {
    char *argv[MULTI_MAX_ARGS + 1];
    char text[MULTI_MAX_ARGS][128]; /* a MIG device's UUID fits */
    int argc;
};

void worker_argv_init(struct worker_argv *a, const struct multi_ctx *c, const char *workload,
                      double duration_s);
void worker_argv_add(struct worker_argv *a, const char *option, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One run of n workers. */
struct multi_run {
    size_t n;
    struct harness_worker w[HARNESS_MAX_WORKERS];
    double release;
    struct window win;
    double fractions[HARNESS_MAX_WORKERS]; /* of each region inside the common window */
    double rates[HARNESS_MAX_WORKERS];     /* work per second, from each result */
    /* Over the common window after its first second (multi.c NVML_SETTLE_S); n = 0 without
     * NVML or in a shorter window. */
    struct sample_means nvml;
    unsigned attempts;
    bool low_overlap; /* still below OVERLAP_REPEAT_BELOW after MULTI_MAX_ATTEMPTS */
};

/*
 * Runs the workers, samples NVML from release to the last result, and computes the window.
 * A run whose overlap is below OVERLAP_REPEAT_BELOW is repeated, up to MULTI_MAX_ATTEMPTS;
 * the last attempt is kept and flagged. -1 when a worker failed (err names it and what
 * happened; r holds nothing to free), or ERR_INTERRUPTED, also for a SIGINT or SIGTERM the
 * caller's mps_guard caught between runs.
 */
int multi_run(struct error *err, struct multi_ctx *c, size_t n, struct worker_argv *const a[],
              struct multi_run *r);
void multi_run_free(struct multi_run *r);

/*
 * Runs the info worker: the GPU's description as the "info" member of a results document
 * (new reference). Opens NVML for sampling when the driver answers. ERR_NO_GPU when the
 * worker says there is no GPU.
 */
json_t *multi_info(struct error *err, struct multi_ctx *c);

/*
 * Makes sure the workers will not be clients of an MPS daemon nobody asked for: a worker that
 * finds one (CUDA_MPS_PIPE_DIRECTORY, else /tmp/nvidia-mps; MPS doc 4.2.2) becomes its client,
 * so "no MPS" figures would be MPS figures, and a private daemon's server would share the GPU
 * with that daemon's. ERR_UNSUPPORTED when a daemon answers there; otherwise unsets
 * CUDA_MPS_PIPE_DIRECTORY and CUDA_MPS_LOG_DIRECTORY (the daemon they named is gone) and
 * returns 0. multi_info calls it first.
 */
int multi_check_no_mps(struct error *err);

/* A number from a worker's message; NAN when absent. */
double multi_num(const json_t *msg, const char *key);

#endif
