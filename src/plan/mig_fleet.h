/*
 * MIG planning over a fleet document (`gpushare mig plan DEMANDS --fleet FILE`): the MIG plan
 * for each GPU model the fleet has, how many of those GPUs it takes, whether the fleet has
 * them, and which model to choose. Pure logic over plan/mig_plan.h; the CLI prints it.
 */
#ifndef GPUSHARE_PLAN_MIG_FLEET_H
#define GPUSHARE_PLAN_MIG_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "plan/demand.h"
#include "plan/mig_plan.h"

/* One GPU model of a fleet document and the plan for it. */
struct mig_fleet_model {
    const char *name;        /* the NVML name, the fleet's key (borrowed from the document) */
    const json_t *nodes;     /* their ids (borrowed) */
    size_t gpus;             /* of this model in the fleet */
    const struct mig_gpu *g; /* NULL: no MIG profile in the catalog */
    struct mig_plan *p;      /* when g */
    size_t need;             /* GPUs the plan takes: 1 when it fits on one, else the several-GPU
                                count; 0 when no number of them can */
};

struct mig_fleet {
    struct mig_fleet_model *models; /* by name */
    size_t n;
    const struct mig_fleet_model *best; /* fits in the fleet, then fewest GPUs, then most */
    bool fits;                          /* best's GPUs are in the fleet */
};

/* Plans d for every model of the checked fleet document `fleet` (read from `file`). ERR_USAGE
 * when no model has MIG profiles. Release with mig_fleet_release. */
int mig_fleet_plan(struct error *err, const json_t *fleet, const char *file,
                   const struct demand_set *d, struct mig_fleet *out);
void mig_fleet_release(struct mig_fleet *f);

/* One model as the `mig plan --fleet --json` object (docs/fleet.md). */
json_t *mig_fleet_model_json(const struct mig_fleet_model *m);

#endif
