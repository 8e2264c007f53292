/*
 * MIG planning over a fleet document (`gpushare mig plan DEMANDS --fleet FILE`): the MIG plan
 * for each GPU model the fleet has, how many of those GPUs it takes, whether the fleet has
 * them, with MIG alone or else with one of the MPS alternatives the plan offers, and which
 * model to choose. Pure logic over plan/mig_plan.h; the CLI prints it.
 */
#ifndef GPUSHARE_PLAN_MIG_FLEET_H
#define GPUSHARE_PLAN_MIG_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "plan/demand.h"
#include "plan/mig_plan.h"

/* How a plan fits in the fleet's GPUs of a model, best first: hardware isolation between
 * replicas before sharing. */
enum mig_fleet_way {
    MIG_FLEET_MIG = 0,    /* MIG alone, one replica per instance, on mig_need GPUs */
    MIG_FLEET_MPS_SLICES, /* MPS inside MIG slices on one GPU (mig_plan.mps) */
    MIG_FLEET_MPS_GPU,    /* MPS on the whole GPU, MIG off, on one GPU (mig_plan.mps_gpu) */
    MIG_FLEET_NONE,       /* none of them fits in the fleet */
};

/* One GPU model of a fleet document and the plan for it. */
struct mig_fleet_model {
    const char *name;        /* the NVML name, the fleet's key (borrowed from the document) */
    const json_t *nodes;     /* their ids (borrowed) */
    size_t gpus;             /* of this model in the fleet */
    const struct mig_gpu *g; /* NULL: no MIG profile in the catalog */
    struct mig_plan *p;      /* when g */
    size_t mig_need;         /* GPUs MIG alone takes: 1 when it fits on one, else the several-GPU
                                count; 0 when no number of them can */
    enum mig_fleet_way way;  /* the first way that fits in the fleet's GPUs of this model */
    size_t need;             /* GPUs `way` takes; mig_need when none fits */
    const char *mps_gpu_no;  /* why MPS on the whole GPU does not count though it fits (a
                                model needs hard isolation, or several tenants); NULL if none */
};

struct mig_fleet {
    struct mig_fleet_model *models; /* by name */
    size_t n;
    const struct mig_fleet_model *best; /* fits in the fleet, then the better way, then fewest
                                           GPUs, then most in the fleet */
    bool fits;                          /* best fits in the fleet's GPUs, one way or another */
};

/* Plans d for every model of the checked fleet document `fleet` (read from `file`). ERR_USAGE
 * when no model has MIG profiles. Release with mig_fleet_release. */
int mig_fleet_plan(struct error *err, const json_t *fleet, const char *file,
                   const struct demand_set *d, struct mig_fleet *out);
void mig_fleet_release(struct mig_fleet *f);

/* One model as the `mig plan --fleet --json` object (docs/fleet.md, docs/mig.md). */
json_t *mig_fleet_model_json(const struct mig_fleet_model *m);

/* "mig", "mps_in_slices", "mps_whole_gpu"; NULL for MIG_FLEET_NONE (JSON null). */
const char *mig_fleet_way_name(enum mig_fleet_way w);

#endif
