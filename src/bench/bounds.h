/*
 * Physical bounds and verdicts for the streams benchmarks. Pure arithmetic on
 * measured inputs, kept apart from CUDA so CI can test it.
 */
#ifndef GPUSHARE_BENCH_BOUNDS_H
#define GPUSHARE_BENCH_BOUNDS_H

#include "results/verdict.h"

/*
 * Ideal speedup of k equal kernels on k streams over one stream, when each
 * kernel occupies sms_per_kernel of sms SMs (one block per SM). At most
 * fit = min(k, floor(sms / sms_per_kernel)) run at once, and whole kernels run
 * in rounds, so the k kernels take ceil(k / fit) kernel-times instead of k:
 * k / ceil(k / fit). That is min(k, sms / sms_per_kernel) when fit divides k,
 * and less otherwise (3 half-GPU kernels: 2 rounds, 1.5x, not 2x). Never below
 * 1 (also 1 when sms_per_kernel is 0, which has no meaning).
 */
double bound_stream_speedup(unsigned k, unsigned sms, unsigned sms_per_kernel);

/*
 * Two-stream GEMM speedup bound from wave quantisation: a GEMM of w waves
 * (CTAs over resident CTA slots) takes ceil(w) wave-times alone, two on two
 * streams ceil(2w): bound = 2 ceil(w) / ceil(2w). w <= 0.5 gives 2, w >= 1 at
 * most 4/3 and tends to 1. Returns NAN for w <= 0 and for NaN or infinite w.
 */
double bound_gemm_two_streams(double waves);

/*
 * Chunked H2D -> kernel -> D2H pipeline. Per-chunk solo stage times h, k, d
 * (ms), C chunks, S streams (chunk i on stream i mod S).
 *   resource bound: fill + C * max(stage) + drain = (h + k + d - m) + C * m,
 *                   m = max(h, k, d): each engine does its C stages in turn;
 *   stream bound:   ceil(C / S) * (h + k + d): a stream runs its chunks in order.
 * bound = max of the two. With S = 1 the bound is the serial time C (h + k + d).
 * All three are NAN when a stage time is negative or not finite, or C or S is 0.
 */
struct pipe_bound {
    double resource_ms;
    double stream_ms;
    double bound_ms;
};
void bound_pipeline(double h, double k, double d, unsigned chunks, unsigned streams,
                    struct pipe_bound *out);

/* bound / measured, the share of the ideal achieved; NAN if measured <= 0 or NaN. */
double bound_efficiency(double bound_ms, double measured_ms);

/* A share as a whole percentage for "%.0f%%": rounded, and never "-0" (a share of -0.3%
 * recovered is none). */
double bound_pct(double share);

/* 1 - pipelined / serial: share of serial wall-clock recovered; NAN if serial <= 0 or NaN. */
double bound_recovered(double serial_ms, double pipelined_ms);

#endif
