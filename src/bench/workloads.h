/*
 * The worker's workloads (bench/worker.h), behind one set-up / step / report interface. A
 * step is synchronous: it returns once the GPU has finished it, so the worker's
 * CLOCK_MONOTONIC timestamps around a run of steps bound real GPU work.
 */
#ifndef GPUSHARE_BENCH_WORKLOADS_H
#define GPUSHARE_BENCH_WORKLOADS_H

#include <stdint.h>

#include <cuda_runtime_api.h>
#include <jansson.h>

#include "bench/worker.h"
#include "gpu/cublas.h"
#include "gpu/kernels.h"

#define INFER_MAX_LAYERS 64

/* A further stream of a multi-stream gemm, with matrices of its own. */
struct gemm_lane {
    cudaStream_t s;
    void *a, *b, *c, *ws;
};

struct wl {
    const struct worker_opts *o;
    cudaStream_t s;
    unsigned sms;   /* as this process sees the device (MPS may cap it) */
    unsigned smids; /* distinct %smid values of a wide kernel; 0 when not counted */
    struct gemm_lane lanes[WORKER_MAX_STREAMS - 1]; /* gemm --streams N: lanes 0..N-2 */
    unsigned n_lanes;
    unsigned batch;        /* operations per step */
    double op_ms;          /* one operation alone, measured at set-up; NAN when not measured */
    double work_per_step;  /* in `unit` */
    const char *unit;      /* what `work` counts */
    struct gemm_plan plan; /* gemm, infer */
    void *a, *b, *c, *ws;  /* gemm; infer uses b and c as ping-pong vectors */
    void *weights[INFER_MAX_LAYERS];
    double *lat_us; /* infer: every timed request */
    size_t n_lat, cap_lat;
    double next_arrival; /* infer --rate: the next request's arrival, seconds; 0 before the first */
    uint64_t rng;        /* infer --rate: xorshift64 state of the arrivals */
    bool timing;         /* infer: record latencies (the timed region) */
    struct k_timeline_out *tout; /* spin */
    uint64_t *gaps;
    json_t *trace; /* spin: the first timed kernel's trace */
    void *host;    /* copy: pinned */
    void *dev;
};

int wl_setup(struct error *err, struct wl *w, const struct worker_opts *o);
int wl_step(struct error *err, struct wl *w);
/* Adds the workload's own figures to the ready line (rdy) or the result line (res). */
void wl_describe(const struct wl *w, json_t *rdy);
void wl_report(const struct wl *w, json_t *res);
void wl_teardown(struct wl *w);

#endif
