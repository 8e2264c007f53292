/* MIG planning over a fleet document: see mig_fleet.h. */
#include "plan/mig_fleet.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#include "results/results.h"

static int model_cmp(const void *a, const void *b)
{
    return strcmp(((const struct mig_fleet_model *)a)->name,
                  ((const struct mig_fleet_model *)b)->name);
}

/* Is a better than b for these demands? A model with MIG profiles first, then one that fits
 * in the fleet's GPUs of its model, by the better way (MIG's isolation before sharing), then
 * the fewest GPUs, then the most of them in the fleet; ties keep name order. Of two that do
 * not fit, one that some number of GPUs would hold goes first. */
static bool model_better(const struct mig_fleet_model *a, const struct mig_fleet_model *b)
{
    if ((a->g != NULL) != (b->g != NULL))
        return a->g != NULL;
    if (a->g == NULL)
        return false;
    if (a->way != b->way)
        return a->way < b->way;
    if (a->way == MIG_FLEET_NONE && (a->need == 0) != (b->need == 0))
        return a->need > 0;
    if (a->need != b->need)
        return a->need < b->need;
    return a->gpus > b->gpus;
}

/* Why MPS on the whole GPU, though it has room, is no answer for d: one daemon serves one
 * user at a time, and no replica of it has hardware isolation (docs/plan.md, "Isolation").
 * NULL when it is one. */
static const char *mps_gpu_refusal(const struct demand_set *d)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->d[i].isolation == ISO_HARD)
            return "a model needs hard isolation";
        if (strcmp(d->d[i].tenant, d->d[0].tenant) != 0)
            return "the models belong to more than one tenant";
    }
    return NULL;
}

/* The first way that fits in m's GPUs, and the GPUs it takes. */
static void pick_way(struct mig_fleet_model *m, const struct demand_set *d)
{
    m->mig_need = m->p->fits ? 1 : m->p->multi.k;
    m->need = m->mig_need;
    m->mps_gpu_no = !m->p->fits && m->p->mps_gpu.fits ? mps_gpu_refusal(d) : NULL;
    if (m->mig_need > 0 && m->mig_need <= m->gpus)
        m->way = MIG_FLEET_MIG;
    else if (m->gpus > 0 && m->p->mps.fits)
        m->way = MIG_FLEET_MPS_SLICES;
    else if (m->gpus > 0 && m->p->mps_gpu.fits && m->mps_gpu_no == NULL)
        m->way = MIG_FLEET_MPS_GPU;
    else
        m->way = MIG_FLEET_NONE;
    if (m->way == MIG_FLEET_MPS_SLICES || m->way == MIG_FLEET_MPS_GPU)
        m->need = 1;
}

const char *mig_fleet_way_name(enum mig_fleet_way w)
{
    switch (w) {
    case MIG_FLEET_MIG:
        return "mig";
    case MIG_FLEET_MPS_SLICES:
        return "mps_in_slices";
    case MIG_FLEET_MPS_GPU:
        return "mps_whole_gpu";
    case MIG_FLEET_NONE:
        break;
    }
    return NULL;
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
    struct mig_fleet f = {.models = xcalloc(json_object_size(models) + 1, sizeof(*f.models))};
    const char *name;
    size_t known = 0;

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
        m->p = xcalloc(1, sizeof(*m->p));
        if (mig_plan_solve(err, m->g, d, m->p) < 0) {
            mig_fleet_release(&f);
            return -1;
        }
        pick_way(m, d);
        if (f.best == NULL || model_better(m, f.best))
            f.best = m;
    }
    if (known == 0) {
        no_mig_model(err, &f, file);
        mig_fleet_release(&f);
        return -1;
    }
    f.fits = f.best->way != MIG_FLEET_NONE;
    *out = f;
    return 0;
}

json_t *mig_fleet_model_json(const struct mig_fleet_model *m)
{
    json_t *j = js_must(json_pack("{s:s, s:O, s:I}", "model", m->name, "nodes", m->nodes, "gpus",
                                  (json_int_t)m->gpus));
    char name[256];

    js_set(j, "catalog_model", m->g != NULL ? json_string(m->g->model) : json_null());
    if (m->g == NULL)
        return j;
    js_set(j, "gpus_needed", json_integer((json_int_t)m->need));
    js_set(j, "mig_gpus_needed", json_integer((json_int_t)m->mig_need));
    js_set(j, "fits_in_fleet", json_boolean(m->way != MIG_FLEET_NONE));
    js_set(j, "fits_with",
           m->way != MIG_FLEET_NONE ? json_string(mig_fleet_way_name(m->way)) : json_null());
    js_set(j, "fits_on_one_gpu", json_boolean(m->p->fits));
    js_set(j, "reason", json_string(mig_plan_reason_name(m->p->reason)));
    js_set(j, "why", js_string(m->p->why));
    if (m->p->fits) {
        mig_layout_name(&m->p->layout, name, sizeof(name));
        js_set(j, "layout", js_string(name));
    }
    js_set(j, "mps_in_slices_fits", json_boolean(m->p->mps.fits));
    js_set(j, "mps_whole_gpu_fits", json_boolean(m->p->mps_gpu.fits));
    js_set(j, "mps_whole_gpu_refused",
           m->mps_gpu_no != NULL ? json_string(m->mps_gpu_no) : json_null());
    return j;
}
