/*
 * The planner's internals, shared by planner.c (set-up, ranking, sentences), pack.c (GPUs
 * shared by time-slicing or MPS) and plan_mig.c (MIG, MIG with MPS, the mixed fleet plan).
 * Not an API: nothing outside src/plan includes it.
 */
#ifndef GPUSHARE_PLAN_PLANNER_INT_H
#define GPUSHARE_PLAN_PLANNER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "plan/model.h"
#include "plan/planner.h"

/* GiB sums are compared with this much slack, so 0.1 + 0.2 GiB fits in 0.3. */
#define PL_EPS 1e-9

/* One replica, flattened. */
struct pl_rep {
    size_t wl;      /* workload */
    double mem_gib; /* its memory and its context's */
    double work;    /* its busy share of a whole GPU alone: rate x time, a share, or SMs */
    double size;    /* first-fit-decreasing key: the larger of its memory and work shares */
};

struct pl_ctx {
    struct plan *plan;
    const struct demand_set *set;
    struct pl_rep *reps; /* every replica, workload order */
    size_t nr;
    size_t *order; /* replicas, largest first */
    size_t n_tenants;
    bool any_soft, any_hard, any_batch;
    /* PM_MPS_CAPS as the device plugin deploys it: one replicas figure N for every GPU, each
     * client capped at 100/N of the threads and memory/N (set while packing it; 0 else) */
    unsigned caps_n;
};

/* The demand set's workload of replica k. */
static inline const struct demand *pl_wl(const struct pl_ctx *x, size_t k)
{
    return &x->set->d[x->reps[k].wl];
}

/* Opens unit u of mode r on a GPU of the plan's models: the next one there is, else more of
 * the first model. Returns its index. */
size_t pl_unit_open(struct pl_ctx *x, struct plan_mode_result *r);

/* Folds one replica's prediction into its workload's worst. */
void pl_take(struct plan_mode_result *r, size_t wl, const struct mdl_out *o, double served,
             size_t unit, unsigned neighbours, double t_ms, bool iso_met);

/* The time of a request of d on sms SMs of gpu with mslices of its memory slices (a MIG slice;
 * mslices 0: the whole GPU's bandwidth), as a factor of its time on the whole GPU. */
double pl_slice_factor(const struct plan_gpu *pg, unsigned sms, unsigned mslices,
                       bool *extrapolated);

/* How much longer a request takes under MPS beside batch neighbours worth k whole-GPU gemm
 * clients, at p50 and at p99 (over its own p99 alone), from the measured table the mode uses
 * (plain, below-normal priority or capped): the measured request's time there over alone. */
void pl_batch_stretch(const struct plan_gpu *pg, enum plan_mode mode, double k, double *s50,
                      double *s99, bool *extrapolated);

/* What a mode isolates, and the source of each. */
struct plan_isolation pl_isolation(enum plan_mode m);

/* No packing of the replicas subset[0..n) under time-slicing or MPS mode m uses fewer GPUs:
 * memory, compute and (MPS) clients, per tenant under MPS. */
size_t pl_bound_shared(const struct pl_ctx *x, enum plan_mode m, const size_t *subset, size_t n);

/* The modes. pl_shared packs the replicas subset[0..n), in that order, onto new units of r
 * under the rules of time-slicing or MPS mode rule (r's own, or one of the mixed plan's);
 * slo false admits a replica however long the others' requests then take. */
void pl_whole(struct pl_ctx *x, struct plan_mode_result *r);
void pl_shared(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode rule,
               const size_t *subset, size_t n, bool slo);
/* Every replica on one GPU under rule, nothing refused: the model's word on that mix. */
void pl_shared_one(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode rule);
void pl_mig(struct pl_ctx *x, struct plan_mode_result *r, bool mps);
void pl_mixed(struct pl_ctx *x, struct plan_mode_result *r);

/* What breaks in each mode, the one-line answer and the recommendation's rationale. */
void pl_sentences(struct pl_ctx *x);

#endif
