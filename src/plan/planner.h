/*
 * The planner behind `gpushare plan`: workloads and GPUs in, every sharing mode evaluated on
 * them, a ranked recommendation out (docs/plan.md). For each mode: whether the workloads fit
 * the GPUs (memory, the MPS client limit, MIG layouts through the MIG planner), the predicted
 * p50/p99 latency and throughput of every workload (plan/model.h, from plan/evidence.h), the
 * isolation it gives for memory, faults and performance, and what breaks, as a sentence with
 * its number and the figure it came from.
 *
 * Modes pack the replicas onto as many GPUs as they need, so a fleet is planned the same way
 * as one GPU; "mixed" packs each tenant and isolation need apart (MIG slices for hard
 * isolation, MPS for the rest).
 *
 * Pure logic: no CUDA, no NVML.
 */
#ifndef GPUSHARE_PLAN_PLANNER_H
#define GPUSHARE_PLAN_PLANNER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/evidence.h"
#include "plan/model.h"

enum plan_mode {
    PM_WHOLE,        /* a GPU per replica */
    PM_TIMESLICE,    /* processes take turns on the GPU */
    PM_MPS,          /* one MPS daemon per GPU, no limits */
    PM_MPS_LIMITS,   /* each client under a pinned memory limit */
    PM_MPS_CAPS,     /* each client capped at its equal share of threads and memory, as the
                        device plugin deploys MPS */
    PM_MPS_PRIORITY, /* batch clients at below-normal priority */
    PM_MIG,          /* a MIG instance per replica */
    PM_MIG_MPS,      /* MIG instances, each shared through MPS by one tenant's replicas */
    PM_MIXED,        /* hard isolation in MIG slices, each tenant's rest under MPS */
    PM_COUNT,
};

/* Isolation a mode gives, in the order a need is met: a need of soft is met by soft or hard. */
enum plan_iso { PI_NONE = 0, PI_SOFT, PI_HARD };

struct plan_isolation {
    enum plan_iso memory, faults, performance;
    const char *memory_why, *faults_why, *performance_why; /* the source of each, in words */
};

/* One workload under one mode: its worst replica. */
struct plan_wl {
    double p50_ms, p99_ms; /* NAN: no request stream, or a figure the model needs is unknown */
    double served;         /* requests per second served; a batch workload: its GPU share */
    bool slo_met;          /* true when it has no SLO */
    bool iso_met;          /* the mode meets its isolation need */
    bool stable;           /* its GPU's requests do not queue without bound */
    double wait_max_ms;    /* the worst case: every neighbour's turn at once (time-slicing) */
    size_t gpu;            /* the GPU of that replica (index into the mode's units) */
    unsigned neighbours;   /* processes beside it there */
    double t_ms;           /* a request's time there, scaled for a cap or a slice */
};

/* One GPU of a mode's packing. */
struct plan_unit {
    size_t model;          /* index into plan.gpus */
    struct mig_layout mig; /* PM_MIG, PM_MIG_MPS, PM_MIXED's MIG GPUs: placed; n = 0 else */
    bool is_mig;
    const char *tenant;   /* an MPS GPU's tenant (borrowed) */
    size_t members;       /* replicas on it */
    unsigned clients_max; /* the most MPS clients of one daemon on it */
    double mem_gib;       /* memory its replicas take, contexts included */
    double load;          /* its busy share: requests' GPU time per second and batch shares */
    double thread_pct;    /* PM_MPS_CAPS: each client's cap; 0 else */
};

struct plan_mode_result {
    enum plan_mode mode;
    bool evaluated; /* false: not applicable here (why says so) */
    bool fits;      /* every replica placed on the GPUs there are */
    bool slo_met, iso_met, stable, memory_met;
    bool predicted;      /* every latency could be predicted */
    size_t gpus_needed;  /* GPUs the packing opened */
    size_t gpus_for_slo; /* time-slicing, MPS: GPUs the latency targets would need, when
                            more than there are (the packing is then on those there are) */
    bool extrapolated;   /* a prediction went beyond the measured points */
    size_t lower_bound;  /* no packing of this mode can use fewer */
    size_t gpus_available;
    double util_after;      /* mean busy share of the GPUs it uses */
    double worst_ratio;     /* the largest p99 / SLO; NAN without SLOs */
    const char *worst_name; /* the workload with it */
    struct plan_isolation iso;
    char breaks[600];   /* what breaks: one sentence with its number and figure */
    char summary[300];  /* the answer in one line when it is the recommendation */
    struct plan_wl *wl; /* per workload, [set->n] */
    struct plan_unit *units;
    size_t n_units, cap_units;
    size_t units_of[PLAN_MAX_GPU_MODELS]; /* units opened on each GPU model */
    size_t *rep_unit;                     /* per replica (workload order), its unit */
    int rank;                             /* 1 = recommended; 0 = not ranked (does not work) */
};

/* One GPU model of the plan, with the figures its model uses. */
struct plan_gpu {
    const struct mig_gpu *g;
    unsigned long count;
    struct evidence ev;
    struct mdl_params params;
    double mem_gib; /* usable memory */
    double ctx_gib; /* one client's context; NAN when unknown */
    unsigned sms;   /* 0 when unknown */
    unsigned mps_clients;
};

struct plan {
    const struct demand_set *set;
    size_t n_gpus;
    struct plan_gpu gpus[PLAN_MAX_GPU_MODELS];
    size_t replicas, gpus_available;
    struct plan_mode_result modes[PM_COUNT];
    enum plan_mode best; /* valid when any_works */
    bool any_works;
    enum plan_mode close[PM_COUNT];
    size_t n_close;
    char rationale[600];
    double util_before; /* one GPU per replica */
    double demand;      /* busy share of all replicas together, in GPUs */
};

/*
 * Plans set (which names its GPUs) with the figures docs hold. 0 with *plan filled (a plan
 * nothing fits is still a plan: any_works false); -1 with ERR_INVALID for a set without GPUs
 * or workloads. plan_release() frees what it holds.
 */
int plan_solve(struct error *err, const struct demand_set *set, const struct ev_docs *docs,
               struct plan *plan) __attribute__((warn_unused_result));
void plan_release(struct plan *plan);

/*
 * The model's word on a given mix: every replica of set on one GPU of its first model under
 * mode (time-slicing or an MPS mode), nothing packed or refused. Fills plan->modes[mode]
 * only; plan_release() frees it. For checking predictions against a measured mix.
 */
int plan_predict_mix(struct error *err, const struct demand_set *set, const struct ev_docs *docs,
                     enum plan_mode mode, struct plan *plan) __attribute__((warn_unused_result));

/* "timeslice", "mps-caps", ... as the document spells a mode; and in words. */
const char *plan_mode_name(enum plan_mode m);
const char *plan_mode_title(enum plan_mode m);
const char *plan_iso_name(enum plan_iso i);

#endif
