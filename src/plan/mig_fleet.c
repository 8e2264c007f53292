/* MIG planning over a fleet document: see mig_fleet.h. */
#include "plan/mig_fleet.h"

#include <stdlib.h>
#include <string.h>

#include "results/results.h"

static int model_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mig_fleet_model *)a)->name,
                  ((const struct mig_fleet_model *)b)->name);
}

/* Is a better than b for these demands? Fits in the fleet's GPUs of its model first, then the
 * fewest GPUs, then the most of them in the fleet; ties keep name order. */
static bool model_better(const struct mig_fleet_model *a, const struct mig_fleet_model *b)
{
    bool fa = a->need > 0 && a->need <= a->gpus, fb = b->need > 0 && b->need <= b->gpus;

    if (b->g == NULL || b->need == 0)
        return a->g != NULL && (a->need > 0 || b->g == NULL);
    if (a->g == NULL || a->need == 0)
        return false;
    if (fa != fb)
        return fa;
    if (a->need != b->need)
        return a->need < b->need;
    return a->gpus > b->gpus;
}

void mig_fleet_release(struct mig_fleet *f)
{
    for (size_t i = 0; f->models != NULL && i < f->n; i++)
        free(f->models[i].p);
    free(f->models);
    memset(f, 0, sizeof(*f));
}

static int no_mig_model(struct error *err, const struct mig_fleet *f, const char *file)
{
    return error_set(err, ERR_USAGE,
                     f->n == 1 ? "the GPU model of fleet '%.80s', '%.60s', has no MIG profile "
                                 "in the catalog (gpushare mig profiles lists them)"
                               : "no GPU model of fleet '%.80s' has a MIG profile in the "
                                 "catalog, '%.60s' included (gpushare mig profiles lists them)",
                     file, f->models[0].name);
}

int mig_fleet_plan(struct error *err, const json_t *fleet, const char *file,
                   const struct demand_set *d, struct mig_fleet *out)
{
    const json_t *models = json_object_get(fleet, "models"), *v;
    struct mig_fleet f = {.models = calloc(json_object_size(models) + 1, sizeof(*f.models))};
    const char *name;
    size_t known = 0;

    if (f.models == NULL)
        abort();
    json_object_foreach ((json_t *)models, name, v) {
        f.models[f.n].name = name;
        f.models[f.n].nodes = json_object_get(v, "nodes");
        f.models[f.n++].gpus = (size_t)json_integer_value(json_object_get(v, "gpus"));
    }
    qsort(f.models, f.n, sizeof(*f.models), model_cmp);
    for (size_t i = 0; i < f.n; i++) {
        struct mig_fleet_model *m = &f.models[i];

        m->g = mig_gpu_by_nvml_name(m->name);
        if (m->g == NULL)
            continue;
        known++;
        m->p = calloc(1, sizeof(*m->p));
        if (m->p == NULL)
            abort();
        if (mig_plan_solve(err, m->g, d, m->p) < 0) {
            mig_fleet_release(&f);
            return -1;
        }
        m->need = m->p->fits ? 1 : m->p->multi.k;
        if (f.best == NULL || model_better(m, f.best))
            f.best = m;
    }
    if (known == 0) {
        no_mig_model(err, &f, file);
        mig_fleet_release(&f);
        return -1;
    }
    f.fits = f.best->need > 0 && f.best->need <= f.best->gpus;
    *out = f;
    return 0;
}

json_t *mig_fleet_model_json(const struct mig_fleet_model *m)
{
    json_t *j = results_must(json_pack("{s:s, s:O, s:I}", "model", m->name, "nodes", m->nodes,
                                       "gpus", (json_int_t)m->gpus));
    char name[256];

    results_set(j, "catalog_model", m->g != NULL ? json_string(m->g->model) : json_null());
    if (m->g == NULL)
        return j;
    results_set(j, "gpus_needed", json_integer((json_int_t)m->need));
    results_set(j, "fits_in_fleet", json_boolean(m->need > 0 && m->need <= m->gpus));
    results_set(j, "fits_on_one_gpu", json_boolean(m->p->fits));
    results_set(j, "reason", json_string(mig_plan_reason_name(m->p->reason)));
    results_set(j, "why", results_string(m->p->why));
    if (m->p->fits) {
        mig_layout_name(&m->p->layout, name, sizeof(name));
        results_set(j, "layout", results_string(name));
    }
    results_set(j, "mps_in_slices_fits", json_boolean(m->p->mps.fits));
    results_set(j, "mps_whole_gpu_fits", json_boolean(m->p->mps_gpu.fits));
    return j;
}
