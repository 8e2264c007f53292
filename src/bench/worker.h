/*
 * One worker process of the multi-process harness (bench/harness.h): the hidden
 * `gpushare worker` command. It initialises CUDA, sets up and warms one workload, reports
 * ready, waits at the barrier, runs its timed region and reports what it measured.
 *
 * Workloads:
 *   gemm   cuBLASLt GEMM of size n, `batch` per synchronisation
 *   spin   full-GPU timeline kernel (kernels.h k_timeline): run time per kernel, and the
 *          trace of every time the context was switched out
 *   infer  batch-1 inference: `layers` matrix-vector products of size `hidden`, one
 *          synchronisation per request, every request's latency recorded; with a rate, the
 *          requests arrive at Poisson moments and each is timed from its arrival
 *   copy   pinned H2D then D2H of `bytes`, `batch` pairs per synchronisation
 *   info   no timed work: reports `gpushare info` for the device, so the parent learns the
 *          GPU without initialising CUDA itself
 *   client no GPU work: creates its context (timed), says in its ready line whether that
 *          worked and with what error, and holds the context through the timed region; the
 *          MPS client-limit test runs many at once
 *
 * Every worker but info and a client whose context failed also reports, in its ready line,
 * the SMs it sees twice: the device attribute and the distinct %smid values a wide kernel
 * ran on (MPS caps both; sharing-facts.md 1.4).
 */
#ifndef GPUSHARE_BENCH_WORKER_H
#define GPUSHARE_BENCH_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum workload_kind { WL_GEMM, WL_SPIN, WL_INFER, WL_COPY, WL_INFO, WL_CLIENT };

/* gemm --streams: independent GEMMs on this many streams of one process at most. */
#define WORKER_MAX_STREAMS 8

struct worker_opts {
    enum workload_kind kind;
    int device;
    double duration_s; /* timed region; 0: exactly one step */
    unsigned warmup;   /* untimed steps after set-up */
    unsigned n;        /* gemm: size */
    bool bf16;         /* gemm, infer: bf16 in and out (fp32 accumulate); else fp32 */
    unsigned batch;    /* gemm, copy: operations per step; 0: calibrate to STEP_TARGET_MS */
    unsigned streams;  /* gemm: 1..WORKER_MAX_STREAMS streams, each with its own matrices,
                        * each running `batch` GEMMs per step (one process's N-stream bound) */
    double spin_ms;    /* spin: run time per kernel */
    double gap_us;     /* spin: a timer step longer than this is a gap */
    unsigned hidden;   /* infer */
    unsigned layers;   /* infer */
    double rate;       /* infer: requests per second arriving at Poisson moments, each timed
                        * from its arrival (open loop); 0: back to back, from its start */
    uint32_t seed;     /* infer --rate: the arrivals' seed; 0: the process id */
    size_t bytes;      /* copy: bytes each way per operation */
    /* Set in the worker's environment before CUDA starts, so they apply to it alone:
     * CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, CUDA_MPS_PINNED_DEVICE_MEM_LIMIT, CUDA_VISIBLE_DEVICES
     * (a MIG device's UUID), CUDA_MPS_CLIENT_PRIORITY. NULL: inherited. */
    const char *mps_thread_pct;
    const char *mps_mem_limit;
    const char *visible_devices;
    const char *mps_priority;
};

/* What one step of a calibrated gemm or copy batch lasts when run alone. */
#define WORKER_STEP_TARGET_MS 10.0

const char *workload_name(enum workload_kind k);
/* ERR_USAGE for an unknown name. */
int workload_parse(struct error *err, const char *name, enum workload_kind *k);

/* "fp32" or "bf16" (--dtype); ERR_USAGE otherwise. */
int dtype_parse(struct error *err, const char *name, bool *bf16);

/* Runs the worker; the process exits with 0 on success. On failure the error has been sent
 * to the parent as an error line too. */
int bench_worker(struct error *err, const struct worker_opts *o);

#endif
