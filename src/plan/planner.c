/*
 * The planner (plan/planner.h): the plan's GPUs and their figures, every mode packed and
 * predicted (pack.c, plan_mig.c), then judged: what breaks, and which mode to take.
 */
#include "plan/planner.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "mig/catalog.h"
#include "plan/demand.h"
#include "plan/evidence.h"
#include "plan/model.h"
#include "plan/mps_share.h"
#include "plan/planner_int.h"

static const char *const mode_names[PM_COUNT] = {
    "whole",        "timeslice", "mps",     "mps-limits", "mps-caps",
    "mps-priority", "mig",       "mig-mps", "mixed",
};

static const char *const mode_titles[PM_COUNT] = {
    "a whole GPU per replica",
    "time-slicing",
    "MPS",
    "MPS with pinned memory limits",
    "MPS with equal thread caps and memory limits",
    "MPS with batch clients at below-normal priority",
    "MIG, an instance per replica",
    "MPS inside MIG slices",
    "MIG slices for hard isolation, MPS per tenant for the rest",
};

const char *plan_mode_name(enum plan_mode m)
{
    return m < PM_COUNT ? mode_names[m] : "?";
}

const char *plan_mode_title(enum plan_mode m)
{
    return m < PM_COUNT ? mode_titles[m] : "?";
}

const char *plan_iso_name(enum plan_iso i)
{
    return i == PI_HARD ? "hard" : i == PI_SOFT ? "soft" : "none";
}

/* ---- what each mode isolates, and where that is written ---- */

#define SRC_DP_README                                                                              \
    "NVIDIA/k8s-device-plugin README: time-sliced replicas are not isolated and share one fault "  \
    "domain"
#define SRC_MPS_FAULT                                                                              \
    "NVIDIA MPS documentation 2.3.3.2: a fatal fault reaches every client on the GPU"
#define SRC_MIG "NVIDIA MIG User Guide: each instance has its own memory, SMs and L2"

struct plan_isolation pl_isolation(enum plan_mode m)
{
    struct plan_isolation none = {PI_NONE,       PI_NONE,
                                  PI_NONE,       "nothing limits a process's memory",
                                  SRC_MPS_FAULT, "a client's kernels share every SM"};
    struct plan_isolation i = none;

    switch (m) {
    case PM_WHOLE:
        return (struct plan_isolation){
            PI_HARD, PI_HARD, PI_HARD, "a GPU of its own", "a GPU of its own", "a GPU of its own"};
    case PM_TIMESLICE:
        return (struct plan_isolation){
            PI_NONE,
            PI_NONE,
            PI_NONE,
            SRC_DP_README,
            SRC_DP_README "; NVIDIA's 2022 utilization blog claims error isolation: the sources "
                          "disagree",
            "a request waits for every busy neighbour's time slice"};
    case PM_MPS:
        return none;
    case PM_MPS_LIMITS:
        i.memory = PI_SOFT;
        i.memory_why = "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: an allocation past it fails (MPS doc "
                       "2.3.5.4)";
        return i;
    case PM_MPS_CAPS:
        i.memory = PI_SOFT;
        i.memory_why = "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT of memory / N each (MPS doc 2.3.5.4)";
        i.performance = PI_SOFT;
        i.performance_why = "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE of 100 / N each: caps limit and "
                            "reserve nothing (MPS doc 2.3.5.2)";
        return i;
    case PM_MPS_PRIORITY:
        i.performance = PI_SOFT;
        i.performance_why = "CUDA_MPS_CLIENT_PRIORITY=1 for batch clients: a hint (MPS doc 2.3.8)";
        return i;
    case PM_MIG:
        return (struct plan_isolation){PI_HARD, PI_HARD, PI_HARD, SRC_MIG, SRC_MIG, SRC_MIG};
    case PM_MIG_MPS:
    case PM_MIXED:
        return (struct plan_isolation){
            PI_SOFT,
            PI_NONE,
            PI_SOFT,
            "slices apart; inside a slice, each client's memory limit",
            "slices apart (MIG User Guide); inside a slice one fault domain (MPS doc 2.3.3.2)",
            "slices apart; inside a slice, each client's thread cap"};
    default:
        return none;
    }
}

/* ---- the GPUs and their figures ---- */

static double pl_ratio(const struct ev_fig *a, const struct ev_fig *b)
{
    return isfinite(a->v) && isfinite(b->v) && b->v > 0 ? a->v / b->v : NAN;
}

static void pl_gpu_init(struct plan_gpu *pg, const struct mig_gpu *g, unsigned long count,
                        const struct ev_docs *docs)
{
    const struct ev_fig *f;

    memset(pg, 0, sizeof(*pg));
    pg->g = g;
    pg->count = count;
    evidence_for(docs, g, &pg->ev);
    f = pg->ev.f;
    pg->params.slice_ms = f[EV_SLICE_MS].v;
    pg->params.switch_ms = f[EV_SWITCH_MS].v;
    pg->params.ts_tail = pl_ratio(&f[EV_TS_P99_MS], &f[EV_TS_P50_MS]);
    pg->params.mps_tail = pl_ratio(&f[EV_MPS_P99_MS], &f[EV_MPS_P50_MS]);
    pg->mem_gib = f[EV_GPU_MEM_GIB].v;
    pg->ctx_gib = f[EV_CTX_MIB].v / 1024;
    pg->sms = isfinite(f[EV_GPU_SMS].v) ? (unsigned)f[EV_GPU_SMS].v : 0;
    pg->mps_clients = isfinite(f[EV_MPS_CLIENTS].v) ? (unsigned)f[EV_MPS_CLIENTS].v : 48;
}

double pl_slice_factor(const struct plan_gpu *pg, unsigned sms, unsigned mslices,
                       bool *extrapolated)
{
    const struct ev_curve *c = &pg->ev.infer;
    // The curve was measured on its own card: read it as a share of that card's SMs.
    double at = pg->sms > 0 && c->n > 0 ? (double)sms / pg->sms * c->sms[c->n - 1] : sms;
    double by_sms = mdl_sm_factor(c->sms, c->factor, c->n, at, extrapolated);
    double by_bw = mslices > 0 && pg->g->mem_slices > 0 ? (double)pg->g->mem_slices / mslices : 1;

    return isnan(by_sms) ? NAN : fmax(by_sms, by_bw);
}

void pl_batch_stretch(const struct plan_gpu *pg, enum plan_mode mode, double k, double *s50,
                      double *s99, bool *extrapolated)
{
    enum ev_id base = mode == PM_MPS_PRIORITY ? EV_LOW_K1_P50
                      : mode == PM_MPS_CAPS   ? EV_CAP_K1_P50
                                              : EV_MPS_K1_P50;
    const struct ev_fig *f = pg->ev.f;
    double a50 = f[EV_MPS_P50_MS].v, t50[4] = {1}, t99[4];

    t99[0] = f[EV_MPS_P99_MS].v / a50;
    for (int j = 0; j < 3; j++) {
        // Never faster than alone: a capped run may beat the alone run within its spread.
        t50[j + 1] = fmax(1, f[base + 2 * j].v / a50);
        t99[j + 1] = fmax(t99[0], f[base + 2 * j + 1].v / a50);
    }
    *s50 = mdl_delay_at(t50, k, extrapolated);
    *s99 = mdl_delay_at(t99, k, extrapolated) / t99[0];
}

size_t pl_unit_open(struct pl_ctx *x, struct plan_mode_result *r)
{
    size_t model = 0;
    struct plan_unit *u;

    for (size_t m = 0; m < x->plan->n_gpus; m++)
        if (r->units_of[m] < x->plan->gpus[m].count) {
            model = m;
            break;
        }
    if (r->n_units == r->cap_units) {
        size_t cap = r->cap_units ? 2 * r->cap_units : 64;
        struct plan_unit *grown = xcalloc(cap, sizeof(*grown));

        if (r->n_units > 0)
            memcpy(grown, r->units, r->n_units * sizeof(*grown));
        free(r->units);
        r->units = grown;
        r->cap_units = cap;
    }
    u = &r->units[r->n_units];
    memset(u, 0, sizeof(*u));
    u->model = model;
    r->units_of[model]++;
    return r->n_units++;
}

void pl_take(struct plan_mode_result *r, size_t wl, const struct mdl_out *o, double served,
             size_t unit, unsigned neighbours, double t_ms, bool iso_met)
{
    struct plan_wl *w = &r->wl[wl];
    bool first = w->gpu == SIZE_MAX;

    w->served += served;
    w->iso_met = (first || w->iso_met) && iso_met;
    w->stable = (first || w->stable) && o->stable;
    if (first || isnan(w->p99_ms) || o->p99_ms > w->p99_ms) {
        w->p50_ms = o->p50_ms;
        w->p99_ms = o->p99_ms;
        w->wait_max_ms = o->wait_max_ms;
        w->gpu = unit;
        w->neighbours = neighbours;
        w->t_ms = t_ms;
    }
}

/* ---- a GPU per replica ---- */

void pl_whole(struct pl_ctx *x, struct plan_mode_result *r)
{
    for (size_t k = 0; k < x->nr; k++) {
        size_t u = pl_unit_open(x, r);
        const struct plan_gpu *pg = &x->plan->gpus[r->units[u].model];
        const struct demand *d = pl_wl(x, k);
        struct mdl_out o = {.p50_ms = NAN, .p99_ms = NAN, .stable = true};

        if (d->rate > 0)
            mdl_alone(&pg->params, d->rate, d->request_ms, d->request_p99_ms, false, &o);
        r->units[u].members = 1;
        r->units[u].mem_gib = x->reps[k].mem_gib;
        r->units[u].load = x->reps[k].work;
        r->rep_unit[k] = u;
        pl_take(r, x->reps[k].wl, &o, d->rate > 0 ? d->rate : x->reps[k].work, u, 0, d->request_ms,
                true);
    }
}

/* ---- set-up ---- */

static int pl_tenant_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void pl_reps(struct pl_ctx *x)
{
    const struct plan_gpu *pg = &x->plan->gpus[0];
    const char **tenants = xcalloc(x->set->n, sizeof(*tenants));
    size_t k = 0;

    x->nr = demand_replicas(x->set);
    x->reps = xcalloc(x->nr, sizeof(*x->reps));
    x->order = xcalloc(x->nr, sizeof(*x->order));
    for (size_t w = 0; w < x->set->n; w++) {
        const struct demand *d = &x->set->d[w];
        struct pl_rep r = {.wl = w,
                           .mem_gib = d->mem_gib + (isfinite(pg->ctx_gib) ? pg->ctx_gib : 0)};

        if (d->rate > 0)
            r.work = d->rate * d->request_ms / 1000;
        else if (d->min_fraction > 0)
            r.work = d->min_fraction;
        else if (d->min_sms > 0)
            r.work = pg->sms > 0 ? (double)d->min_sms / pg->sms : 1;
        r.size = fmax(r.mem_gib / pg->mem_gib, r.work);
        tenants[w] = d->tenant;
        x->any_soft = x->any_soft || d->isolation == ISO_SOFT;
        x->any_hard = x->any_hard || d->isolation == ISO_HARD;
        x->any_batch = x->any_batch || (d->rate <= 0 && r.work > 0);
        for (unsigned j = 0; j < d->replicas; j++)
            x->reps[k++] = r;
        x->plan->demand += r.work * d->replicas;
    }
    qsort(tenants, x->set->n, sizeof(*tenants), pl_tenant_cmp);
    for (size_t w = 0; w < x->set->n; w++)
        x->n_tenants += w == 0 || strcmp(tenants[w], tenants[w - 1]) != 0;
    free(tenants);
}

static const struct pl_rep *pl_sort_reps;

static int pl_size_cmp(const void *a, const void *b)
{
    const struct pl_rep *ra = &pl_sort_reps[*(const size_t *)a];
    const struct pl_rep *rb = &pl_sort_reps[*(const size_t *)b];
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;

    if (ra->size != rb->size)
        return ra->size > rb->size ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

static void pl_order(struct pl_ctx *x)
{
    for (size_t k = 0; k < x->nr; k++)
        x->order[k] = k;
    pl_sort_reps = x->reps;
    qsort(x->order, x->nr, sizeof(*x->order), pl_size_cmp);
    pl_sort_reps = NULL;
}

/* ---- judging a mode ---- */

/* Lower bound of time-slicing and MPS: memory, compute and, under MPS, clients, per tenant
 * (MPS serves one tenant per GPU). */
static const struct pl_ctx *pl_sort_ctx;

static int pl_by_tenant(const void *a, const void *b)
{
    return strcmp(pl_wl(pl_sort_ctx, *(const size_t *)a)->tenant,
                  pl_wl(pl_sort_ctx, *(const size_t *)b)->tenant);
}

size_t pl_bound_shared(const struct pl_ctx *x, enum plan_mode m, const size_t *subset, size_t n)
{
    const struct plan_gpu *pg = &x->plan->gpus[0];
    size_t *idx = xcalloc(n, sizeof(*idx)), total = 0;
    bool mps = m != PM_TIMESLICE;

    memcpy(idx, subset, n * sizeof(*idx));
    if (mps) {
        pl_sort_ctx = x;
        qsort(idx, n, sizeof(*idx), pl_by_tenant);
        pl_sort_ctx = NULL;
    }
    for (size_t start = 0, end; start < n; start = end) {
        double mem = 0, work = 0;
        size_t b, c, cl;

        for (end = start; end < n; end++) {
            const struct demand *d = pl_wl(x, idx[end]);

            if (mps && strcmp(d->tenant, pl_wl(x, idx[start])->tenant) != 0)
                break;
            mem += x->reps[idx[end]].mem_gib;
            work += m == PM_TIMESLICE && d->rate > 0
                        ? d->rate * (d->request_ms + pg->params.switch_ms) / 1000
                        : x->reps[idx[end]].work;
        }
        b = (size_t)ceil(mem / pg->mem_gib - 1e-9);
        c = (size_t)ceil(work - 1e-9);
        cl = mps ? (end - start + pg->mps_clients - 1) / pg->mps_clients : 0;
        b = b > c ? b : c;
        b = b > cl ? b : cl;
        total += b > 0 ? b : 1;
    }
    free(idx);
    return total;
}

static void pl_judge(struct pl_ctx *x, struct plan_mode_result *r)
{
    const struct demand_set *set = x->set;
    double busy = 0;

    r->fits = r->n_units > 0 && r->gpus_needed <= x->plan->gpus_available && r->memory_met;
    r->slo_met = r->iso_met = r->stable = r->predicted = true;
    r->worst_ratio = NAN;
    for (size_t w = 0; w < set->n; w++) {
        const struct demand *d = &set->d[w];
        struct plan_wl *wl = &r->wl[w];

        wl->slo_met = d->slo_ms <= 0 || (isfinite(wl->p99_ms) && wl->p99_ms <= d->slo_ms);
        r->slo_met = r->slo_met && wl->slo_met;
        r->iso_met = r->iso_met && wl->iso_met;
        r->stable = r->stable && wl->stable;
        if (d->slo_ms > 0 && !isfinite(wl->p99_ms) && wl->stable)
            r->predicted = false;
        if (d->slo_ms > 0 && isfinite(wl->p99_ms) &&
            (isnan(r->worst_ratio) || wl->p99_ms / d->slo_ms > r->worst_ratio)) {
            r->worst_ratio = wl->p99_ms / d->slo_ms;
            r->worst_name = d->name;
        }
        if (d->slo_ms > 0 && !wl->stable) {
            r->worst_ratio = INFINITY;
            r->worst_name = d->name;
        }
    }
    for (size_t u = 0; u < r->n_units; u++)
        busy += fmin(1, r->units[u].load);
    r->util_after = r->n_units > 0 ? busy / r->n_units : NAN;
}

static bool pl_works(const struct plan_mode_result *r)
{
    return r->evaluated && r->fits && r->slo_met && r->iso_met && r->stable && r->predicted;
}

static int pl_iso_strength(const struct plan_mode_result *r)
{
    return (int)r->iso.memory + (int)r->iso.faults + (int)r->iso.performance;
}

/* a before b: fewer GPUs, then more isolation, then more latency margin, then the order of
 * the modes. */
static bool pl_before(const struct plan_mode_result *a, const struct plan_mode_result *b)
{
    double ra = isnan(a->worst_ratio) ? 0 : a->worst_ratio;
    double rb = isnan(b->worst_ratio) ? 0 : b->worst_ratio;

    if (a->gpus_needed != b->gpus_needed)
        return a->gpus_needed < b->gpus_needed;
    if (pl_iso_strength(a) != pl_iso_strength(b))
        return pl_iso_strength(a) > pl_iso_strength(b);
    if (ra != rb)
        return ra < rb;
    return a->mode < b->mode;
}

/* The model's error against the device was within this at p99 (results/README.md): modes
 * whose margins differ by less are too close to call on latency. */
#define PL_CLOSE_RATIO 0.25

static void pl_rank(struct plan *p)
{
    enum plan_mode order[PM_COUNT];
    size_t n = 0;

    for (int m = 0; m < PM_COUNT; m++)
        if (pl_works(&p->modes[m]))
            order[n++] = (enum plan_mode)m;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && pl_before(&p->modes[order[j]], &p->modes[order[j - 1]]); j--) {
            enum plan_mode t = order[j];

            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        p->modes[order[i]].rank = (int)i + 1;
    p->any_works = n > 0;
    if (n == 0)
        return;
    p->best = order[0];
    for (size_t i = 1; i < n; i++) {
        const struct plan_mode_result *a = &p->modes[order[0]], *b = &p->modes[order[i]];
        double ra = isnan(a->worst_ratio) ? 0 : a->worst_ratio;
        double rb = isnan(b->worst_ratio) ? 0 : b->worst_ratio;

        if (b->gpus_needed == a->gpus_needed && fabs(rb - ra) <= PL_CLOSE_RATIO)
            p->close[p->n_close++] = order[i];
    }
}

/* ---- the plan ---- */

static void pl_result_init(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode m)
{
    memset(r, 0, sizeof(*r));
    r->mode = m;
    r->iso = pl_isolation(m);
    r->gpus_available = x->plan->gpus_available;
    r->wl = xcalloc(x->set->n, sizeof(*r->wl));
    r->rep_unit = xcalloc(x->nr, sizeof(*r->rep_unit));
    for (size_t w = 0; w < x->set->n; w++) {
        r->wl[w].gpu = SIZE_MAX;
        r->wl[w].p50_ms = r->wl[w].p99_ms = NAN;
    }
    r->memory_met = true;
    for (size_t k = 0; k < x->nr; k++)
        if (x->reps[k].mem_gib > x->plan->gpus[0].mem_gib + PL_EPS)
            r->memory_met = false;
    r->evaluated = true;
}

static void pl_result_free(struct plan_mode_result *r)
{
    free(r->wl);
    free(r->units);
    free(r->rep_unit);
    memset(r, 0, sizeof(*r));
}

/* Time-slicing or MPS: packed to meet every latency target; when that takes more GPUs than
 * there are, packed on those there are, so the mode is judged, and its misses shown, on them. */
static void pl_shared_mode(struct pl_ctx *x, struct plan_mode_result *r)
{
    struct plan_mode_result forced;

    pl_shared(x, r, r->mode, x->order, x->nr, true);
    r->lower_bound = pl_bound_shared(x, r->mode, x->order, x->nr);
    if (r->n_units <= x->plan->gpus_available || r->lower_bound > x->plan->gpus_available)
        return;
    pl_result_init(x, &forced, r->mode);
    pl_shared(x, &forced, r->mode, x->order, x->nr, false);
    if (forced.n_units > x->plan->gpus_available) {
        pl_result_free(&forced);
        return;
    }
    forced.gpus_for_slo = r->n_units;
    forced.lower_bound = r->lower_bound;
    pl_result_free(r);
    *r = forced;
}

static void pl_mode(struct pl_ctx *x, struct plan_mode_result *r)
{
    switch (r->mode) {
    case PM_WHOLE:
        pl_whole(x, r);
        r->lower_bound = x->nr;
        break;
    case PM_MIG:
    case PM_MIG_MPS:
        pl_mig(x, r, r->mode == PM_MIG_MPS);
        break;
    case PM_MIXED:
        pl_mixed(x, r);
        break;
    case PM_MPS_PRIORITY:
        if (!x->any_batch) {
            r->evaluated = false;
            str_printf(r->breaks, sizeof(r->breaks),
                       "no batch workload to lower: the same as MPS (CUDA_MPS_CLIENT_PRIORITY is "
                       "for the clients that may wait)");
            break;
        }
        pl_shared_mode(x, r);
        break;
    default:
        pl_shared_mode(x, r);
        break;
    }
    if (r->evaluated) {
        r->gpus_needed = r->n_units;
        pl_judge(x, r);
    }
}

/* The GPUs, the replicas and their order: what every mode starts from. */
static int pl_setup(struct error *err, const struct demand_set *set, const struct ev_docs *docs,
                    struct plan *plan, struct pl_ctx *x)
{
    memset(plan, 0, sizeof(*plan));
    memset(x, 0, sizeof(*x));
    x->plan = plan;
    x->set = set;
    plan->set = set;
    if (set->n == 0)
        return error_set(err, ERR_INVALID, "no workloads to plan");
    if (set->n_gpus == 0)
        return error_set(err, ERR_INVALID, "no GPUs to plan on: the file's 'gpus' or --gpu");
    for (size_t i = 0; i < set->n_gpus; i++) {
        const struct mig_gpu *g = mig_gpu_find(set->gpus[i].model);

        if (g == NULL)
            return error_set(err, ERR_INVALID, "unknown GPU model '%s'", set->gpus[i].model);
        pl_gpu_init(&plan->gpus[i], g, set->gpus[i].count, docs);
        plan->gpus_available += set->gpus[i].count;
    }
    plan->n_gpus = set->n_gpus;
    pl_reps(x);
    pl_order(x);
    plan->replicas = x->nr;
    plan->util_before = x->nr > 0 ? plan->demand / (double)x->nr : NAN;
    return 0;
}

int plan_solve(struct error *err, const struct demand_set *set, const struct ev_docs *docs,
               struct plan *plan)
{
    struct pl_ctx x;

    if (pl_setup(err, set, docs, plan, &x) < 0)
        return -1;
    for (int m = 0; m < PM_COUNT; m++) {
        pl_result_init(&x, &plan->modes[m], (enum plan_mode)m);
        pl_mode(&x, &plan->modes[m]);
    }
    pl_rank(plan);
    pl_sentences(&x);
    free(x.reps);
    free(x.order);
    return 0;
}

int plan_predict_mix(struct error *err, const struct demand_set *set, const struct ev_docs *docs,
                     enum plan_mode mode, struct plan *plan)
{
    struct pl_ctx x;

    if (mode != PM_TIMESLICE && mode != PM_MPS && mode != PM_MPS_LIMITS && mode != PM_MPS_CAPS &&
        mode != PM_MPS_PRIORITY)
        return error_set(err, ERR_INVALID, "a mix is predicted under time-slicing or MPS, not %s",
                         plan_mode_name(mode));
    if (pl_setup(err, set, docs, plan, &x) < 0)
        return -1;
    pl_result_init(&x, &plan->modes[mode], mode);
    pl_shared_one(&x, &plan->modes[mode], mode);
    plan->modes[mode].gpus_needed = plan->modes[mode].n_units;
    pl_judge(&x, &plan->modes[mode]);
    free(x.reps);
    free(x.order);
    return 0;
}

void plan_release(struct plan *plan)
{
    for (int m = 0; m < PM_COUNT; m++)
        pl_result_free(&plan->modes[m]);
    memset(plan, 0, sizeof(*plan));
}
