/*
 * The MIG planner behind `gpushare mig plan DEMANDS --gpu MODEL`: the layout of GPU instances
 * that holds every model replica with the least waste, and which replica goes in which
 * instance. When none does: why, in the user's terms, and the nearest alternatives: other
 * GPUs of the catalog, several GPUs of this model, MPS inside MIG slices, MPS on the whole GPU.
 *
 * Plain data in, plain data out, so the CLI prints text or JSON from the same plan. Pure logic
 * over mig/catalog.h and mig/geometry.h: no CUDA, no NVML.
 */
#ifndef GPUSHARE_PLAN_MIG_PLAN_H
#define GPUSHARE_PLAN_MIG_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"

/* MPS clients per GPU on Volta and later with CUDA <= 13.0 (newer CUDA: 60), lowered in
 * proportion to the compute-instance size under MIG: NVIDIA's MPS documentation
 * (https://docs.nvidia.com/deploy/mps/, section 2.3.5.1) and the MIG User Guide. */
#define MIG_PLAN_MPS_CLIENTS 48
/* Other catalog GPUs a plan lists as alternatives. */
#define MIG_PLAN_MAX_OTHER 16

enum mig_plan_reason {
    MIG_PLAN_FITS = 0,
    MIG_PLAN_TOO_BIG,  /* a replica is larger than every GPU instance of the GPU */
    MIG_PLAN_TOO_MANY, /* more replicas than GPU instances the GPU can hold at once */
    MIG_PLAN_NO_ROOM,  /* each fits some instance, but the instances do not fit together */
    MIG_PLAN_UNKNOWN,  /* a replica no instance is known to hold might fit one whose memory or
                          SMs the catalog does not know: not "too big", unknown */
};

/* Where one replica goes. */
struct mig_plan_item {
    unsigned demand;   /* index into the demand set */
    unsigned replica;  /* 0 .. replicas - 1 of that demand */
    unsigned gpu;      /* 0 on one GPU; the GPU of mig_plan.multi */
    unsigned instance; /* index into that GPU's placed layout (instances by first slice) */
};

/* One GPU instance shared through MPS by the replicas assigned to it. */
struct mig_plan_group {
    unsigned clients;      /* replicas in it, one MPS client each */
    unsigned client_limit; /* floor(48 * <g> / the GPU's compute slices) */
    double mem_gib;        /* their memory, summed (the instance's is the layout's) */
    unsigned sms;          /* their SM floors (demand_sms_needed), summed */
    const char *tenant;    /* whose replicas these are (borrowed from the demand set) */
    bool hard;             /* one replica that needs hard isolation, alone */
};

/* Another GPU of the catalog on which every replica fits, one per instance. */
struct mig_plan_other {
    const struct mig_gpu *gpu;
    struct mig_layout layout; /* placed */
    struct mig_usage usage;
};

/*
 * A plan. About 140 KiB: allocate it (calloc), not on the stack. Every replica of every
 * demand is an item, in demand order (demand 0's replicas first).
 */
struct mig_plan {
    const struct mig_gpu *gpu;
    size_t replicas; /* of all demands */
    bool fits;       /* one replica per instance, on one GPU of this model */
    enum mig_plan_reason reason;
    char why[512]; /* the reason in words when it does not fit; "" when it does */

    /*
     * fits: the least-waste layout, placed: the valid layout holding every replica whose
     * instances have the least memory, then SMs, then count. +me profiles hold the GPU's
     * media engines (NVDEC, NVJPG), which a plan should not spend unasked: they are used
     * only when nothing else fits (media_ext says so).
     */
    struct mig_layout layout;
    struct mig_usage usage;
    unsigned free_mem_slices; /* memory slices no instance takes */
    bool media_ext;
    size_t n_items; /* = replicas when it fits, else 0 */
    struct mig_plan_item items[PLAN_MAX_REPLICAS];

    /* The alternatives below are filled only when !fits. */

    /* a. Other catalog GPUs on which the demands fit, smallest memory first. */
    size_t n_other;
    struct mig_plan_other other[MIG_PLAN_MAX_OTHER];

    /* b. GPUs of this model that hold every replica, one per instance: first-fit decreasing
     * (largest replicas first, each into the first GPU that can still take it), then each
     * GPU's least-waste layout. k is 0 when no number of them can (a replica is too big);
     * layouts and items mean something only when k > 0. */
    struct {
        size_t k;
        size_t lower_bound; /* no fewer can: by instances, memory and compute slices */
        bool minimal;       /* k == lower_bound: no fewer GPUs exist */
        struct mig_layout layouts[PLAN_MAX_REPLICAS];  /* [0, k), placed */
        struct mig_plan_item items[PLAN_MAX_REPLICAS]; /* [0, replicas) */
    } multi;

    /*
     * c. MPS inside MIG slices on one GPU of this model: replicas grouped into instances,
     * each instance shared by its group through its own MPS daemon. A group's memory and SM
     * floors are summed and must fit the instance; it has at most client_limit replicas. The
     * layout: the most instances (the smallest groups), then the least memory, then SMs;
     * every instance holds a replica. Within a group memory and faults are shared: one
     * replica's fatal fault stops every replica of its instance, and only
     * CUDA_MPS_PINNED_DEVICE_MEM_LIMIT keeps one from taking the others' memory. So a group
     * holds one tenant's replicas, and a replica that needs hard isolation is alone.
     */
    struct {
        bool fits;
        bool cut;                 /* the grouping search hit its budget: a grouping may yet exist */
        unsigned refused;         /* groupings that fitted and the caller's accept refused */
        char why[256];            /* when it does not fit */
        struct mig_layout layout; /* placed */
        struct mig_usage usage;
        struct mig_plan_group groups[MIG_MAX_INSTANCES]; /* per instance of layout */
        struct mig_plan_item items[PLAN_MAX_REPLICAS];   /* [0, replicas) */
    } mps;

    /* d. MPS on the whole GPU, MIG disabled: every replica a client of one daemon. */
    struct {
        bool fits;
        char why[256];
        unsigned clients, client_limit; /* replicas; MIG_PLAN_MPS_CLIENTS */
        double mem_gib, gpu_mem_gib;    /* replicas' memory summed; the GPU's, nominal */
        unsigned sms, gpu_sms;          /* SM floors summed; the GPU's */
    } mps_gpu;
};

/*
 * Plans demands on gpu. 0 with *plan filled, fitting or not; -1 (ERR_INVALID) only for an
 * empty demand set or a GPU record the planner cannot use.
 */
int mig_plan_solve(struct error *err, const struct mig_gpu *gpu, const struct demand_set *set,
                   struct mig_plan *plan) __attribute__((nonnull(2, 3, 4), warn_unused_result));

/*
 * The same, with a say for the caller over MPS inside MIG slices: accept(arg, layout, items)
 * is asked of each grouping that fits (layout placed, items[k] the instance of replica k in
 * demand order), and one it refuses sends the search on to the next layout. accept NULL takes
 * every grouping that fits.
 */
typedef bool mig_plan_accept_fn(void *arg, const struct mig_layout *l,
                                const struct mig_plan_item *items);
int mig_plan_solve_accept(struct error *err, const struct mig_gpu *gpu,
                          const struct demand_set *set, struct mig_plan *plan,
                          mig_plan_accept_fn *accept, void *arg)
    __attribute__((nonnull(2, 3, 4), warn_unused_result));

/* Can one instance of profile p hold a replica of d on gpu? Memory: p's GiB >= d's; compute:
 * p's SMs >= demand_sms_needed(d, gpu->sms). A profile whose GiB, or whose SMs where the
 * demand asks for any, the catalog does not know holds nothing. */
bool mig_plan_holds(const struct mig_gpu *gpu, const struct mig_profile_spec *p,
                    const struct demand *d);

/* MPS clients an instance of p takes: floor(48 * p's <g> / gpu's compute slices), the
 * CUDA <= 13.0 figure (the MPS documentation, as above). 1g on a 7-slice GPU: 6; 7g: 48. */
unsigned mig_plan_mps_clients(const struct mig_gpu *gpu, const struct mig_profile_spec *p);

/* "fits", "too_big", "too_many", "no_room", "unknown_size": the reason as JSON spells it. */
const char *mig_plan_reason_name(enum mig_plan_reason r);

#endif
