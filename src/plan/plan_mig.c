/*
 * The MIG modes (plan/planner_int.h): a MIG instance per replica, MPS inside MIG slices, and
 * the mixed fleet plan. Layouts come from the MIG planner (plan/mig_plan.h) where it can take
 * the replicas (one GPU model, up to PLAN_MAX_REPLICAS); a fleet's hard-isolation replicas go
 * first-fit into instances that the MIG geometry (mig/geometry.h) checks.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "core/xalloc.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/mig_plan.h"
#include "plan/model.h"
#include "plan/planner.h"
#include "plan/planner_int.h"

static unsigned pm_mslices(const struct mig_profile_spec *p)
{
    return p->n_placements > 0 ? p->placements[0].size : 0;
}

/* A request of d alone in an instance of p: its time there and its prediction. */
static void pm_alone(const struct plan_gpu *pg, const struct mig_profile_spec *p,
                     const struct demand *d, struct mdl_out *o, double *t)
{
    bool extra = false;

    double f = pl_slice_factor(pg, p->sms, pm_mslices(p), &extra);

    *t = d->request_ms * f;
    o->p50_ms = o->p99_ms = NAN;
    o->stable = true;
    o->wait_max_ms = 0;
    if (d->rate > 0)
        mdl_alone(&pg->params, d->rate, *t, d->request_p99_ms * f, false, o);
}

/* One replica alone in an instance of profile p on unit u. */
static void pm_place_one(struct pl_ctx *x, struct plan_mode_result *r, size_t k, size_t u,
                         const struct mig_profile_spec *p)
{
    const struct plan_gpu *pg = &x->plan->gpus[r->units[u].model];
    const struct demand *d = pl_wl(x, k);
    struct mdl_out o;
    double t;

    pm_alone(pg, p, d, &o, &t);
    r->units[u].members++;
    r->units[u].mem_gib += x->reps[k].mem_gib;
    r->units[u].load += x->reps[k].work;
    r->rep_unit[k] = u;
    pl_take(r, x->reps[k].wl, &o, d->rate > 0 ? (o.stable ? d->rate : 0) : x->reps[k].work, u, 0, t,
            true);
}

/* A unit holding a MIG layout. */
static size_t pm_unit(struct pl_ctx *x, struct plan_mode_result *r, const struct mig_layout *l)
{
    size_t u = pl_unit_open(x, r);

    r->units[u].is_mig = true;
    r->units[u].mig = *l;
    return u;
}

/* The SMs one of n clients of a slice of sms SMs gets under an equal cap. */
static unsigned pm_cap_sms(const struct plan_gpu *pg, unsigned sms, size_t n)
{
    const struct ev_fig *step = &pg->ev.f[EV_SM_STEP], *min = &pg->ev.f[EV_SM_MIN];

    return mdl_cap_sms(100.0 / (double)n, sms, isfinite(step->v) ? (unsigned)step->v : 0,
                       isfinite(min->v) ? (unsigned)min->v : 0);
}

/* What a mode of MPS groups in slices isolates: hard between slices; inside a group of more
 * than one, one fault domain, and memory and SMs limited only when the group is capped. */
static void pm_group_iso(struct plan_mode_result *r, bool grouped, bool unlimited)
{
    if (!grouped) {
        r->iso = pl_isolation(PM_MIG);
        return;
    }
    r->iso.faults = PI_NONE;
    r->iso.faults_why = "slices apart (MIG User Guide); inside a slice's MPS group one fault "
                        "domain (MPS doc 2.3.3.2)";
    r->iso.memory = r->iso.performance = unlimited ? PI_NONE : PI_SOFT;
    r->iso.memory_why = unlimited ? "slices apart; inside a slice's MPS group nothing limits a "
                                    "client's memory"
                                  : "slices apart; inside a slice each client's pinned memory "
                                    "limit, the slice's memory / N (MPS doc 2.3.5.4)";
    r->iso.performance_why = unlimited
                                 ? "slices apart; inside a slice's MPS group the clients "
                                   "share its SMs"
                                 : "slices apart; inside a slice each client's cap of 100 / N "
                                   "of its threads (MPS doc 2.3.5.2)";
}

/*
 * The replicas of the MPS groups of one GPU (layout l, items[k] the instance of replica k),
 * each group predicted under MPS with every request taking its slice's time. A group with a
 * replica that needs soft isolation runs its slice's daemon with equal caps and limits, as the
 * device plugin would on a whole GPU: each member must fit the slice's memory / N, and runs on
 * its cap's SMs. With r NULL, only whether every latency target is met, no queue grows without
 * bound and every member fits its limit.
 */
static bool pm_groups(struct pl_ctx *x, struct plan_mode_result *r, const struct mig_layout *l,
                      const struct mig_plan_item *items)
{
    size_t u = r != NULL ? pm_unit(x, r, l) : 0;
    const struct plan_gpu *pg = &x->plan->gpus[0];
    size_t *members = xcalloc(x->nr, sizeof(*members));
    struct mdl_ctx *c = xcalloc(x->nr, sizeof(*c));
    bool ok = true, grouped = false, unlimited = false;

    for (unsigned i = 0; i < l->n && ok; i++) {
        const struct mig_profile_spec *p = &l->gpu->profiles[l->prof[i]];
        bool extra = false, capped = false;
        double f = pl_slice_factor(pg, p->sms, pm_mslices(p), &extra), own_f = f, most = 0;
        size_t n = 0;

        for (size_t k = 0; k < x->nr; k++)
            if (items[k].instance == i) {
                members[n++] = k;
                capped = capped || pl_wl(x, k)->isolation == ISO_SOFT;
                most = fmax(most, x->reps[k].mem_gib);
            }
        if (n > 1) {
            grouped = true;
            unlimited = unlimited || !capped;
        }
        if (n > 1 && capped) {
            ok = most * (double)n <= p->mem_gib + PL_EPS;
            own_f = pl_slice_factor(pg, pm_cap_sms(pg, p->sms, n), pm_mslices(p), &extra);
        }
        for (size_t j = 0; j < n; j++) {
            const struct demand *d = pl_wl(x, members[j]);

            c[j] = (struct mdl_ctx){.rate = d->rate, .t_ms = d->request_ms * f};
        }
        for (size_t j = 0; j < n && ok; j++) {
            size_t k = members[j];
            const struct demand *d = pl_wl(x, k);
            struct mdl_out o = {.p50_ms = NAN, .p99_ms = NAN, .stable = true};
            bool iso = n == 1 || d->isolation == ISO_NONE || (capped && d->isolation == ISO_SOFT);

            // Alone in its slice a replica needs no MPS daemon: it runs as on MIG.
            if (d->rate > 0 && n == 1)
                mdl_alone(&pg->params, d->rate, d->request_ms * f, d->request_p99_ms * f, false,
                          &o);
            else if (d->rate > 0)
                mdl_mps(&pg->params, c, n, j, d->request_ms * own_f, d->request_p99_ms * own_f, &o);
            if (r == NULL) {
                ok = o.stable && (d->slo_ms <= 0 || !(o.p99_ms > d->slo_ms)) && iso;
                continue;
            }
            r->extrapolated = r->extrapolated || extra;
            r->units[u].members++;
            r->units[u].mem_gib += x->reps[k].mem_gib;
            r->units[u].load += x->reps[k].work;
            if ((unsigned)n > r->units[u].clients_max)
                r->units[u].clients_max = (unsigned)n;
            r->rep_unit[k] = u;
            pl_take(r, x->reps[k].wl, &o, d->rate > 0 ? (o.stable ? d->rate : 0) : x->reps[k].work,
                    u, (unsigned)(n - 1), d->request_ms * own_f, iso);
        }
    }
    if (r != NULL)
        pm_group_iso(r, grouped, unlimited);
    free(members);
    free(c);
    return ok;
}

static bool pm_accept(void *arg, const struct mig_layout *l, const struct mig_plan_item *items)
{
    return pm_groups(arg, NULL, l, items);
}

/* Memory slices no instance of a MIG unit occupies (a non-MIG unit has none). */
static unsigned pm_free_mslices(const struct plan_unit *u)
{
    unsigned used = 0;

    if (!u->is_mig)
        return 0;
    for (size_t i = 0; i < u->mig.n; i++)
        used += pm_mslices(&u->mig.gpu->profiles[u->mig.prof[i]]);
    return used < u->mig.gpu->mem_slices ? u->mig.gpu->mem_slices - used : 0;
}

static bool pm_full(const struct plan_unit *u)
{
    return !u->is_mig || u->mig.n >= MIG_MAX_INSTANCES || pm_free_mslices(u) == 0;
}

/* Hard-isolation replicas, each in an instance of its own, first fit over MIG units. */
static void pm_slots(struct pl_ctx *x, struct plan_mode_result *r, const size_t *subset, size_t n);
static void pm_demands(const struct pl_ctx *x, struct demand_set *out, bool slo_sms);

void pl_mig(struct pl_ctx *x, struct plan_mode_result *r, bool mps)
{
    const struct mig_gpu *g = x->plan->gpus[0].g;
    struct demand_set ds;
    struct mig_plan *mp;
    struct error err = {0};

    if (x->set->n > PLAN_MAX_DEMANDS || x->nr > PLAN_MAX_REPLICAS) {
        if (mps) {
            r->evaluated = false;
            str_printf(r->breaks, sizeof(r->breaks),
                       "the MIG planner lays out at most %d replicas on one GPU; the mixed plan "
                       "packs MIG and MPS across GPUs",
                       PLAN_MAX_REPLICAS);
            return;
        }
        pm_slots(x, r, x->order, x->nr);
        r->lower_bound = r->n_units; /* refined by the sentences' bound below */
        return;
    }
    // Alone in a slice, a latency target asks for a slice big enough; in an MPS group the
    // grouping is judged whole, by pm_accept.
    pm_demands(x, &ds, !mps);
    mp = xcalloc(1, sizeof(*mp));
    if (mig_plan_solve_accept(&err, g, &ds, mp, mps ? pm_accept : NULL, x) < 0) {
        r->evaluated = false;
        str_printf(r->breaks, sizeof(r->breaks), "%s", err.msg);
    } else if (mp->fits) {
        size_t u = pm_unit(x, r, &mp->layout);

        for (size_t k = 0; k < x->nr; k++)
            pm_place_one(x, r, k, u, &g->profiles[mp->layout.prof[mp->items[k].instance]]);
        r->lower_bound = 1;
    } else if (mps && mp->mps.fits) {
        pm_groups(x, r, &mp->mps.layout, mp->mps.items);
        r->lower_bound = 1;
    } else if (mps) {
        r->fits = false;
        r->memory_met = true;
        str_printf(r->breaks, sizeof(r->breaks), "on one %s: %s", g->model, mp->mps.why);
        // Nothing placed: a fleet of MPS-in-MIG GPUs is the mixed plan's.
        r->evaluated = x->plan->gpus_available == 1;
        r->n_units = 0;
        r->lower_bound = 1;
        r->gpus_needed = 0;
    } else if (mp->multi.k > 0) {
        str_printf(r->breaks, sizeof(r->breaks), "%s", mp->why);
        for (size_t b = 0; b < mp->multi.k; b++)
            pm_unit(x, r, &mp->multi.layouts[b]);
        for (size_t k = 0; k < x->nr; k++) {
            const struct mig_plan_item *it = &mp->multi.items[k];

            pm_place_one(x, r, k, it->gpu,
                         &g->profiles[mp->multi.layouts[it->gpu].prof[it->instance]]);
        }
        r->lower_bound = mp->multi.lower_bound;
    } else {
        r->memory_met = false;
        str_printf(r->breaks, sizeof(r->breaks), "%s", mp->why);
        r->lower_bound = 0;
    }
    free(mp);
    demand_set_release(&ds);
}

/* ---- the mixed plan ---- */

/* The smallest instance profile of g (memory slices, then compute slices, then GiB; no +me)
 * that holds replica k, preferring one where it meets its latency target; NULL when none
 * holds it. */
static const struct mig_profile_spec *pm_profile(const struct pl_ctx *x, const struct plan_gpu *pg,
                                                 size_t k, unsigned *index)
{
    const struct mig_gpu *g = pg->g;
    const struct demand *d = pl_wl(x, k);
    const struct mig_profile_spec *best = NULL;
    bool best_meets = false;

    for (unsigned j = 0; j < g->n_profiles; j++) {
        const struct mig_profile_spec *p = &g->profiles[j];
        struct mdl_out o;
        double t;
        bool meets, smaller;

        if (p->media_ext || p->mem_gib + PL_EPS < x->reps[k].mem_gib ||
            demand_sms_needed(d, pg->sms) > p->sms || pm_mslices(p) == 0)
            continue;
        pm_alone(pg, p, d, &o, &t);
        meets = o.stable && (d->slo_ms <= 0 || !(o.p99_ms > d->slo_ms));
        smaller = best == NULL || pm_mslices(p) < pm_mslices(best) ||
                  (pm_mslices(p) == pm_mslices(best) &&
                   (p->gslices < best->gslices ||
                    (p->gslices == best->gslices && p->mem_gib < best->mem_gib)));
        if (best == NULL || (meets && !best_meets) || (meets == best_meets && smaller)) {
            best = p;
            best_meets = meets;
            *index = j;
        }
    }
    return best;
}

/* The MIG planner's demand set for the replicas: their memory with a context's, and, for one
 * with a latency target, at least the SMs of the smallest slice it meets it in alone (the
 * planner sizes slices by memory and SMs; a slice's latency follows its SMs and bandwidth). */
static void pm_demands(const struct pl_ctx *x, struct demand_set *out, bool slo_sms)
{
    const struct plan_gpu *pg = &x->plan->gpus[0];

    memset(out, 0, sizeof(*out));
    out->n = out->cap = x->set->n;
    out->d = xcalloc(out->n, sizeof(*out->d));
    memcpy(out->d, x->set->d, out->n * sizeof(*out->d));
    out->replicas = x->nr;
    for (size_t i = 0, k = 0; i < out->n; k += out->d[i].replicas, i++) {
        struct demand *d = &out->d[i];
        unsigned prof = 0;
        const struct mig_profile_spec *p;

        d->mem_gib += isfinite(pg->ctx_gib) ? pg->ctx_gib : 0;
        if (!slo_sms || d->slo_ms <= 0 || (p = pm_profile(x, pg, k, &prof)) == NULL || p->sms == 0)
            continue;
        if (p->sms > demand_sms_needed(d, pg->sms)) {
            d->min_sms = p->sms;
            d->min_fraction = 0;
        }
    }
}

static void pm_slots(struct pl_ctx *x, struct plan_mode_result *r, const size_t *subset, size_t n)
{
    size_t first = r->n_units, open = r->n_units;

    for (size_t o = 0; o < n; o++) {
        size_t k = subset[o], u = SIZE_MAX;
        unsigned prof = 0;
        const struct plan_gpu *pg = &x->plan->gpus[0];
        const struct mig_profile_spec *p = pm_profile(x, pg, k, &prof);
        struct mig_layout l;

        if (p == NULL) {
            // No instance holds it: a GPU with MIG off, to itself.
            size_t w = pl_unit_open(x, r);
            const struct demand *d = pl_wl(x, k);
            struct mdl_out out = {.p50_ms = NAN, .p99_ms = NAN, .stable = true};

            if (d->rate > 0)
                mdl_alone(&x->plan->gpus[r->units[w].model].params, d->rate, d->request_ms,
                          d->request_p99_ms, false, &out);
            r->units[w].members = 1;
            r->units[w].mem_gib = x->reps[k].mem_gib;
            r->units[w].load = x->reps[k].work;
            r->rep_unit[k] = w;
            if (x->reps[k].mem_gib > x->plan->gpus[r->units[w].model].mem_gib + PL_EPS)
                r->memory_met = false;
            pl_take(r, x->reps[k].wl, &out, d->rate > 0 ? d->rate : x->reps[k].work, w, 0,
                    d->request_ms, true);
            continue;
        }
        // First fit over the GPUs that still have a free memory slice; a full one is passed
        // for good, so a fleet's replicas do not try every GPU before them.
        while (open < r->n_units && pm_full(&r->units[open]))
            open++;
        for (size_t i = open > first ? open : first; i < r->n_units && u == SIZE_MAX; i++) {
            if (!r->units[i].is_mig || r->units[i].mig.n >= MIG_MAX_INSTANCES ||
                pm_free_mslices(&r->units[i]) < pm_mslices(p))
                continue;
            l = r->units[i].mig;
            l.prof[l.n++] = prof;
            if (mig_check_layout(&l, NULL, 0)) {
                r->units[i].mig = l;
                u = i;
            }
        }
        if (u == SIZE_MAX) {
            memset(&l, 0, sizeof(l));
            l.gpu = pg->g;
            l.n = 1;
            l.prof[0] = prof;
            mig_check_layout(&l, NULL, 0);
            u = pm_unit(x, r, &l);
        }
        pm_place_one(x, r, k, u, p);
    }
}

static int pm_str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void pl_mixed(struct pl_ctx *x, struct plan_mode_result *r)
{
    size_t *hard = xcalloc(x->nr, sizeof(*hard)), *soft = xcalloc(x->nr, sizeof(*soft));
    size_t *none = xcalloc(x->nr, sizeof(*none)), nh = 0, ns = 0, nn = 0;
    const struct plan_gpu *pg = &x->plan->gpus[0];
    double mem = 0, work = 0, gs = 0, ms = 0;

    if (!x->any_hard && !(x->any_soft && x->nr > 0)) {
        r->evaluated = false;
        str_printf(r->breaks, sizeof(r->breaks),
                   "no workload needs isolation: the mixed plan is plain MPS per tenant");
        goto out;
    }
    {
        // A tenant with a workload that needs soft isolation has all its GPUs capped: its
        // replicas share those GPUs rather than leave one partly filled GPU per need.
        const char **capped = xcalloc(x->set->n, sizeof(*capped));
        size_t nc = 0;

        for (size_t w = 0; w < x->set->n; w++)
            if (x->set->d[w].isolation == ISO_SOFT)
                capped[nc++] = x->set->d[w].tenant;
        qsort(capped, nc, sizeof(*capped), pm_str_cmp);
        for (size_t o = 0; o < x->nr; o++) {
            size_t k = x->order[o];
            const struct demand *d = pl_wl(x, k);
            const char *key = d->tenant;

            if (d->isolation == ISO_HARD)
                hard[nh++] = k;
            else if (nc > 0 && bsearch(&key, capped, nc, sizeof(*capped), pm_str_cmp))
                soft[ns++] = k;
            else
                none[nn++] = k;
        }
        free(capped);
    }
    if (nh == 0 && (ns == 0 || nn == 0)) {
        r->evaluated = false;
        str_printf(r->breaks, sizeof(r->breaks),
                   "every workload needs the same isolation: the "
                   "mixed plan is the MPS mode that gives it");
        goto out;
    }
    pm_slots(x, r, hard, nh);
    pl_shared(x, r, PM_MPS_CAPS, soft, ns, true);
    pl_shared(x, r, PM_MPS, none, nn, true);
    // No mixed plan uses fewer GPUs than the memory, compute and slices all replicas take
    // together: a hard replica counts its smallest slice whole.
    for (size_t i = 0; i < nh; i++) {
        unsigned prof = 0;
        const struct mig_profile_spec *p = pm_profile(x, pg, hard[i], &prof);

        mem += p != NULL ? p->mem_gib : pg->mem_gib;
        gs += p != NULL ? p->gslices : pg->g->compute_slices;
        ms += p != NULL ? pm_mslices(p) : pg->g->mem_slices;
        work += p != NULL ? (double)p->gslices / pg->g->compute_slices : 1;
    }
    for (size_t i = 0; i < ns; i++) {
        mem += x->reps[soft[i]].mem_gib;
        work += x->reps[soft[i]].work;
    }
    for (size_t i = 0; i < nn; i++) {
        mem += x->reps[none[i]].mem_gib;
        work += x->reps[none[i]].work;
    }
    {
        size_t b = (size_t)ceil(mem / pg->mem_gib - 1e-9), c = (size_t)ceil(work - 1e-9);
        size_t g = (size_t)ceil(gs / pg->g->compute_slices - 1e-9);
        size_t m = (size_t)ceil(ms / pg->g->mem_slices - 1e-9);

        b = b > c ? b : c;
        b = b > g ? b : g;
        r->lower_bound = b > m ? b : m;
        if (r->lower_bound == 0)
            r->lower_bound = 1;
    }
out:
    free(hard);
    free(soft);
    free(none);
}
