/*
 * The latency model (docs/plan.md, "The model"): what a request of one process waits for when
 * it shares a GPU with others, under time-slicing and under MPS, from the measured slice,
 * switch cost, solo tails and MPS neighbour slowdowns. Closed forms, so a fleet of thousands
 * of GPUs is planned in well under a second.
 *
 * Every other process j is busy at a random moment with probability u_j. The wait a request
 * sees is the sum over the others of B(u_j) * U(0, a_j): busy or not, and if busy some part of
 * its turn a_j still ahead (the part uniform: on average half of the busy ones are ahead in
 * the rotation, the one on the GPU part-way through its turn). The sum is taken as normal
 * (mean + 2.326 sigma for p99), never beyond every turn at once. Then the process's own queue:
 * it serves its requests one at a time, an M/D/1 queue of its rate and its request's time.
 *
 *   time-slicing: a request stream j holds a turn a_j = min(slice, t_j) + switch, busy
 *     u_j = rate_j (t_j + switch); a batch process a_j = slice + switch, busy u_j = its share.
 *     p50 = t + switch + wait50, p99 = t99 + switch + wait99, the switch paid as often as the
 *     others are busy; a request longer than a slice takes ceil(t / slice) turns, each with
 *     its switch and its wait.
 *   MPS: requests run side by side and share the GPU (processor sharing): j overlaps with
 *     probability rate_j (t_j + t) and costs up to min(t_j, t); rho = sum rate t < 1.
 *     p50 = own50 + wait50, p99 = own99 + wait99, own the request's time there: stretched
 *     beside batch clients by what the measured request took beside that many gemm clients.
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
    double own_queue_ms; /* the mean wait behind its own process's earlier requests */
};

/* Request i of c[0..n) under time-slicing; t99 its p99 alone (0: t_ms times ts_tail). */
void mdl_timeslice(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i,
                   double t99, struct mdl_out *o);

/* Request i of c[0..n) under MPS, where it takes own50 and own99 (0: own50 times mps_tail)
 * alone: c[i].t_ms but for a thread cap or a batch neighbour, which slow it without adding to
 * the work it shares with the other request streams. */
void mdl_mps(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i, double own50,
             double own99, struct mdl_out *o);

/* A request stream of rate alone on the GPU (a whole GPU, a MIG instance of its own); t99 0:
 * t50 times the tail. */
void mdl_alone(const struct mdl_params *p, double rate, double t50, double t99, bool mps,
               struct mdl_out *o);

/*
 * A figure measured beside k gemm neighbours, d[0..3] for k = 0..3 (d[0]: alone), at a
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
