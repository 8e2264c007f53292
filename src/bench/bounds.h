/*
 * Physical bounds and verdicts for the streams benchmarks. Pure arithmetic on
 * measured inputs, kept apart from CUDA so CI can test it.
 */
#ifndef GPUSHARE_BENCH_BOUNDS_H
#define GPUSHARE_BENCH_BOUNDS_H

enum verdict_status {
    VERDICT_INFO = 0, /* measured and reported; no bar applies */
    VERDICT_MEETS,
    VERDICT_MISSES,
};

/* "info", "meets" or "misses"; "unknown" for a value outside the enum, never NULL. */
const char *verdict_name(enum verdict_status v);

/* value >= bar: MEETS, else MISSES. NaN value: MISSES. */
enum verdict_status verdict_at_least(double value, double bar);
/* value within [lo, hi] inclusive: MEETS, else (NaN included) MISSES. */
enum verdict_status verdict_within(double value, double lo, double hi);

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

/* 1 - pipelined / serial: share of serial wall-clock recovered; NAN if serial <= 0 or NaN. */
double bound_recovered(double serial_ms, double pipelined_ms);

/*
 * PCIe bandwidth per direction in GB/s (1e9 B/s) after 128b/130b encoding (Gen3+) or
 * 8b/10b (Gen1, Gen2): GT/s per lane x lanes x encoding / 8; Gen5 x16 is 63.0. Gen6
 * (FLIT mode) is taken as 128b/130b as well, which overstates it by about 4%.
 * NAN for a gen outside 1..6 or width 0 (no link information).
 */
double bound_pcie_gbps(unsigned gen, unsigned width);

#endif
