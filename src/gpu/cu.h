/*
 * CUDA runtime helpers for C11 host code: a checker that records the failing
 * expression with file:line and returns (never exits), and the latch used to
 * hold a stream while timed work is enqueued (nvbandwidth's method).
 */
#ifndef GPUSHARE_GPU_CU_H
#define GPUSHARE_GPU_CU_H

#include <stdbool.h>

#include <cuda_runtime_api.h>

#include "core/error.h"

/* 0 when rc is cudaSuccess, else -1 with "cudaMalloc(...) failed: cudaErrorMemoryAllocation
 * (out of memory) at src/x.c:12" in err. No hidden control flow: callers test and goto. */
int cu_check(struct error *err, int rc, const char *expr, const char *file, int line);
#define CU(err, expr) cu_check((err), (int)(expr), #expr, __FILE__, __LINE__)

/* Elapsed milliseconds between two completed events; NAN when the runtime refuses. */
double cu_elapsed_ms(cudaEvent_t start, cudaEvent_t stop);

/* A latch: host-mapped flag the latch kernel spins on, and a flag it sets on timeout. */
struct cu_latch {
    volatile int *flag;
    volatile int *timed_out;
};

int cu_latch_init(struct error *err, struct cu_latch *l);
void cu_latch_release_all(struct cu_latch *l); /* frees; safe on a zeroed latch */

/* Re-arms the latch and enqueues the latch kernel on s; everything enqueued on s afterwards
 * waits until cu_latch_open(). Several streams may wait on one latch. */
int cu_latch_hold(struct error *err, struct cu_latch *l, cudaStream_t s);
void cu_latch_open(struct cu_latch *l);

/* -1 with err set when a latch kernel gave up waiting: the timing is void. */
int cu_latch_check(struct error *err, const struct cu_latch *l);

/* Makes follower wait for the work leader has queued so far, through event ev. */
int cu_stream_follow(struct error *err, cudaStream_t follower, cudaStream_t leader, cudaEvent_t ev);

#define CU_MAX_STREAMS 4

/*
 * A timed region over the first n of CU_MAX_STREAMS non-blocking streams: begin holds stream
 * 0 behind the latch and records the start, which streams 1..n-1 wait for; the caller queues
 * its work; end joins streams 1..n-1 back into 0, records the stop, opens the latch, waits
 * and returns the GPU time between the two events. Queueing cost is never timed.
 */
struct cu_region {
    cudaStream_t s[CU_MAX_STREAMS];
    cudaEvent_t start, stop, join[CU_MAX_STREAMS];
    struct cu_latch latch;
};

int cu_region_init(struct error *err, struct cu_region *r);
void cu_region_release(struct cu_region *r); /* safe on a zeroed or half-made region */
int cu_region_begin(struct error *err, struct cu_region *r, unsigned n);
int cu_region_end(struct error *err, struct cu_region *r, unsigned n, double *ms);

#endif
