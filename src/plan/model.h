/*
 * The latency model (docs/plan.md, "The model"): what a request of one process waits for when
 * it shares a GPU with others, under time-slicing and under MPS, from the measured slice,
 * switch cost, solo tails and MPS neighbour delays. Closed forms, so a fleet of thousands of
 * GPUs is planned in well under a second.
 *
 * Every other process j is busy at a random moment with probability u_j. The wait a request
 * sees is the sum over the others of B(u_j) * U(0, a_j): busy or not, and if busy some part of
 * its turn a_j still ahead (the part uniform: on average half of the busy ones are ahead in
 * the rotation, the one on the GPU part-way through its turn). The sum is taken as normal
 * (mean + 2.326 sigma for p99), never beyond every turn at once, and inflated by 1 / (1 - rho)
 * for the queue that a load rho builds (Pollaczek-Khinchine).
 *
 *   time-slicing: a request stream j holds a turn a_j = min(slice, t_j) + switch, busy
 *     u_j = rate_j (t_j + switch); a batch process a_j = slice + switch, busy u_j = its share.
 *     p50 = t + switch + wait50, p99 = t tail + switch + wait99; a request longer than a slice
 *     takes ceil(t / slice) turns, each with its switch and its wait.
 *   MPS: requests run side by side and share the GPU (processor sharing): j overlaps with
 *     probability rate_j (t_j + t) and costs up to min(t_j, t); rho = sum rate t.
 *     p50 = t + wait50, p99 = t tail + wait99; beside batch clients, plus the delay measured
 *     beside that many gemm clients.
 *
 * Pure arithmetic.
 */
#ifndef GPUSHARE_PLAN_MODEL_H
#define GPUSHARE_PLAN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

/* z of the normal distribution's 99th percentile. */
#define MDL_Z99 2.326348

/* One process sharing the GPU (or a MIG instance) as the model sees it. */
struct mdl_ctx {
    double rate; /* requests per second; 0: no request stream */
    double t_ms; /* GPU time of one request here, scaled for a cap or a slice */
    double busy; /* a batch process: the share of time it has work, (0, 1]; 0: none */
};

/* The measured figures the formulas take. NAN where not measured: the result is then NAN. */
struct mdl_params {
    double slice_ms, switch_ms;
    double ts_tail, mps_tail; /* p99 / p50 of a request alone, without and with MPS */
};

struct mdl_out {
    double p50_ms, p99_ms; /* NAN when a figure the formula needs is unknown */
    double rho;            /* load of the request streams (the queue's) */
    bool stable;           /* rho < 1 */
    double wait_max_ms;    /* every other process's turn at once: the worst case */
    double wait50_ms, wait99_ms;
};

/* Request i of c[0..n) under time-slicing. */
void mdl_timeslice(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i,
                   struct mdl_out *o);

/* Request i of c[0..n) under MPS, where it takes own_ms alone (c[i].t_ms but for a thread cap,
 * which slows it without shrinking the work it shares with the others); batch processes are
 * left to the measured delay (mdl_delay_at). */
void mdl_mps(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i, double own_ms,
             struct mdl_out *o);

/* A request alone on the GPU (a whole GPU, a MIG instance of its own). */
void mdl_alone(const struct mdl_params *p, double t_ms, bool mps, struct mdl_out *o);

/*
 * The delay measured beside k gemm neighbours, d[0..3] for k = 0..3 (d[0] = 0: alone), at a
 * fractional k: linear between the measured points, and along the last segment beyond 3
 * (*extrapolated set). NAN when a point it needs is NAN.
 */
double mdl_delay_at(const double d[4], double k, bool *extrapolated);

/*
 * How much longer a request takes on sms SMs than on the whole GPU, from a measured curve
 * (sms ascending, factor 1 at the largest): linear between points; below the smallest in
 * inverse proportion to SMs (*extrapolated set); above the largest 1. NAN without a curve.
 */
double mdl_sm_factor(const double *sms, const double *factor, size_t n, double at,
                     bool *extrapolated);

/*
 * The SMs a client capped at pct percent of gpu_sms gets: rounded down to a multiple of step,
 * never below min (MPS doc 2.3.5.2; the rule bench mps measured). step 0: no rounding (the
 * step was not measured); the result is at least 1 and at most gpu_sms.
 */
unsigned mdl_cap_sms(double pct, unsigned gpu_sms, unsigned step, unsigned min);

#endif
