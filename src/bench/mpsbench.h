/*
 * gpushare bench mps: N processes sharing one GPU through a private MPS daemon that gpushare
 * starts and always stops. The parts, each on the multi-process harness:
 *
 *   contention  N = 1..P identical gemm workers as MPS clients: each one's slowdown, and the
 *               aggregate set against time-slicing (the same workers without MPS, measured in
 *               the same run) and against one process running the same GEMMs on N streams,
 *               the upper bound: merging contexts cannot beat one context
 *   timeline    the time-slicing recorder under MPS: it should find no slices
 *   victim      batch-1 inference beside gemm aggressors, then with the aggressors at
 *               below-normal client priority (CUDA_MPS_CLIENT_PRIORITY=1)
 *   threads     CUDA_MPS_ACTIVE_THREAD_PERCENTAGE from 1 to 100: the SMs a client sees (device
 *               attribute and distinct %smid), the rounding granularity, and gemm throughput
 *               from 10 to 100 %
 *   memlimit    a client under CUDA_MPS_PINNED_DEVICE_MEM_LIMIT allocating past it, beside a
 *               client without a limit
 *   clients     many light clients at once, bounded: how many get a context, and the error of
 *               those that do not
 *
 * Pure C: the workers touch CUDA, this file only starts and reads them.
 */
#ifndef GPUSHARE_BENCH_MPSBENCH_H
#define GPUSHARE_BENCH_MPSBENCH_H

#include <stdbool.h>

#include "bench/multi.h"
#include "bench/timeslice.h"
#include "core/error.h"

enum mps_part {
    MPS_CONTENTION = 1 << 0,
    MPS_TIMELINE = 1 << 1,
    MPS_VICTIM = 1 << 2,
    MPS_THREADS = 1 << 3,
    MPS_MEMLIMIT = 1 << 4,
    MPS_CLIENTS = 1 << 5,
    MPS_ALL = (1 << 6) - 1,
};

/* The client-limit probe starts at most this many clients at once (the harness's maximum). */
#define MPS_MAX_CLIENTS HARNESS_MAX_WORKERS
/* MPS doc 2.3.5.1: 48 client contexts per device on Volta and newer up to CUDA 13.0; the current
 * doc says 60 from CUDA 13.1 (sharing-facts.md 1.4). */
#define MPS_DOC_CLIENTS_OLD 48
#define MPS_DOC_CLIENTS_NEW 60
/* The bar: MPS aggregate within 5% of the single-process N-stream bound. */
#define MPS_BOUND_TOLERANCE 0.05

struct mpsbench_opts {
    unsigned parts;
    struct timeslice_opts ts; /* sizes, processes, dtype, timeline and victim settings */
    unsigned sweep_n;         /* threads: gemm size of the throughput sweep */
    unsigned sweep_step;      /* threads: percent between throughput points (10: 10..100) */
    unsigned max_clients;     /* clients: how many to start, 2..MPS_MAX_CLIENTS */
    unsigned sms_total;       /* the GPU's SMs, from its description; 0 when unknown */
    int cuda_driver_version;  /* e.g. 13000: picks the documented client limit; 0 unknown */
};

/* Parses "contention,timeline,..." into a mask (parts.c). */
int mps_parse_parts(struct error *err, const char *list, unsigned *mask);
const char *mps_part_name(unsigned bit);

/*
 * Runs the selected parts. The no-MPS references (the time-slicing contention and the
 * N-stream bound) run first, then one private daemon serves every MPS part and is stopped
 * whatever happens (the caller has an mps_guard installed, so SIGINT and SIGTERM come back as
 * ERR_INTERRUPTED from the run in progress). A part that fails is recorded under "skipped" and
 * the others go on; -1 afterwards (ERR_INTERRUPTED at once).
 */
int bench_mps(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o);

/*
 * Calls fn(err, c, arg) with a private MPS daemon running and CUDA_MPS_PIPE_DIRECTORY and
 * CUDA_MPS_LOG_DIRECTORY set for the workers it forks; stops the daemon and unsets them
 * afterwards, on every path. A daemon that needed signals to stop is an error when fn
 * succeeded. bench mig's emulated slices use it too.
 */
int mps_session(struct error *err, struct multi_ctx *c,
                int (*fn)(struct error *err, struct multi_ctx *c, void *arg), void *arg);

/* The parts, under a running daemon (mps_threads.c, mps_clients.c). */
int mps_threads(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o);
int mps_memlimit(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o);
int mps_clients(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o);

#endif
