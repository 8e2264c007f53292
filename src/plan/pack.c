/*
 * GPUs shared by time-slicing or MPS (plan/planner_int.h): replicas first-fit decreasing onto
 * GPUs, each admitted only while every replica there keeps its memory, the GPU's compute, the
 * MPS client limit, one tenant per MPS daemon, and its latency target. Then every replica's
 * latency is predicted where it landed.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "plan/model.h"
#include "plan/mps_share.h"
#include "plan/planner.h"
#include "plan/planner_int.h"

/* A GPU being filled. */
struct pk_bin {
    size_t unit;        /* index in r->units */
    const char *tenant; /* of its first replica */
    bool strict;        /* a replica on it needs isolation: time-slicing keeps other tenants out */
    size_t n, cap;
    size_t *rep; /* replicas on it */
    double mem, mem_max, work;
};

static bool pk_is_mps(enum plan_mode m)
{
    return m == PM_MPS || m == PM_MPS_LIMITS || m == PM_MPS_CAPS || m == PM_MPS_PRIORITY;
}

/* The time-slicing busy share of a replica: each request also pays a switch. */
static double pk_work(const struct pl_ctx *x, const struct plan_gpu *pg, enum plan_mode m, size_t k)
{
    const struct demand *d = pl_wl(x, k);

    if (m == PM_TIMESLICE && d->rate > 0)
        return d->rate * (d->request_ms + pg->params.switch_ms) / 1000;
    return x->reps[k].work;
}

/* A batch replica's busy share: a compute share or an SM floor, 0 for a request stream. */
static double pk_busy(const struct plan_gpu *pg, const struct demand *d)
{
    if (d->rate > 0)
        return 0;
    if (d->min_fraction > 0)
        return d->min_fraction;
    if (d->min_sms > 0)
        return pg->sms > 0 ? fmin(1, (double)d->min_sms / pg->sms) : 1;
    return 0;
}

/* The cap each of n clients gets under PM_MPS_CAPS, and its SMs. */
static double pk_cap_pct(unsigned n)
{
    return mps_share_pct(n);
}

/* The clients a cap is taken for: the device plugin's one N, or those on the GPU. */
static unsigned pk_caps_n(const struct pl_ctx *x, size_t n)
{
    return x->caps_n > 0 ? x->caps_n : (unsigned)n;
}

static unsigned pk_cap_sms(const struct plan_gpu *pg, unsigned n)
{
    const struct ev_fig *step = &pg->ev.f[EV_SM_STEP], *min = &pg->ev.f[EV_SM_MIN];

    return mdl_cap_sms(pk_cap_pct(n), pg->sms, isfinite(step->v) ? (unsigned)step->v : 0,
                       isfinite(min->v) ? (unsigned)min->v : 0);
}

/* The prediction for member i of the replicas reps[0..n) on one GPU of pg. */
static void pk_predict(const struct pl_ctx *x, const struct plan_gpu *pg, enum plan_mode m,
                       const size_t *reps, size_t n, size_t i, struct mdl_ctx *scratch,
                       struct mdl_out *o, double *t_ms, bool *extra)
{
    const struct demand *di = pl_wl(x, reps[i]);
    double own = di->request_ms, own99 = di->request_p99_ms, k = 0, s50 = 1, s99 = 1;

    for (size_t j = 0; j < n; j++) {
        const struct demand *dj = pl_wl(x, reps[j]);

        scratch[j] =
            (struct mdl_ctx){.rate = dj->rate, .t_ms = dj->request_ms, .busy = pk_busy(pg, dj)};
        if (j != i)
            k += scratch[j].busy;
    }
    if (m == PM_TIMESLICE) {
        mdl_timeslice(&pg->params, scratch, n, i, own99, o);
        *t_ms = own;
        return;
    }
    if (m == PM_MPS_CAPS) {
        unsigned cn = pk_caps_n(x, n);
        double batch = 0, f = pl_slice_factor(pg, pk_cap_sms(pg, cn), 0, extra);

        own *= f;
        own99 *= f;
        for (size_t j = 0; j < n; j++)
            batch += j != i && scratch[j].busy > 0;
        // Capped at 100/n each, the batch neighbours cover that share of the SMs apiece; the
        // measured table's one gemm client capped at 50% covers half of them.
        k = 2 * batch * pk_cap_pct(cn) / 100;
    }
    pl_batch_stretch(pg, m, k, &s50, &s99, extra);
    if (own99 <= 0)
        own99 = own * pg->params.mps_tail;
    mdl_mps(&pg->params, scratch, n, i, own * s50, own99 * s99, o);
    *t_ms = own * s50;
}

/* Would adding replica k keep every replica of b within its memory, the GPU's compute, the
 * client limit and its latency target? */
static bool pk_admits(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode m,
                      struct pk_bin *b, size_t k, struct mdl_ctx *scratch, bool slo)
{
    const struct plan_unit *u = &r->units[b->unit];
    const struct plan_gpu *pg = &x->plan->gpus[u->model];
    const struct demand *d = pl_wl(x, k);
    const struct pl_rep *rep = &x->reps[k];
    size_t n = b->n + 1;
    bool ok = true;

    if (b->n > 0 && strcmp(b->tenant, d->tenant) != 0 &&
        (pk_is_mps(m) || b->strict || d->isolation != ISO_NONE))
        return false;
    if (pk_is_mps(m) && n > pg->mps_clients)
        return false;
    if (m == PM_MPS_CAPS) {
        double biggest = fmax(b->mem_max, rep->mem_gib);
        unsigned cn = pk_caps_n(x, n), sms = pk_cap_sms(pg, cn);

        // The device plugin limits every client to the GPU's memory / N; the mixed plan's own
        // daemons give each client a limit of its size, which only the sum must fit.
        if (n > cn || (r->mode == PM_MIXED ? b->mem + rep->mem_gib > pg->mem_gib + PL_EPS
                                           : biggest * cn > pg->mem_gib + PL_EPS))
            return false;
        for (size_t j = 0; j <= b->n; j++) {
            const struct demand *dj = j < b->n ? pl_wl(x, b->rep[j]) : d;

            if (demand_sms_needed(dj, pg->sms) > sms)
                return false;
        }
    } else if (b->mem + rep->mem_gib > pg->mem_gib + PL_EPS) {
        return false;
    }
    if (b->work + pk_work(x, pg, m, k) > 1 + PL_EPS)
        return false;
    b->rep[b->n] = k; /* tentatively, for the predictions */
    for (size_t i = 0; i < n && ok && slo; i++) {
        const struct demand *di = pl_wl(x, b->rep[i]);
        struct mdl_out o;
        double t;
        bool extra = false;

        if (di->rate <= 0)
            continue;
        pk_predict(x, pg, m, b->rep, n, i, scratch, &o, &t, &extra);
        ok = o.stable && (di->slo_ms <= 0 || !(o.p99_ms > di->slo_ms));
    }
    return ok;
}

static void pk_put(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode m, struct pk_bin *b,
                   size_t k)
{
    const struct demand *d = pl_wl(x, k);
    const struct plan_gpu *pg = &x->plan->gpus[r->units[b->unit].model];

    if (b->n == 0)
        b->tenant = d->tenant;
    b->strict = b->strict || d->isolation != ISO_NONE;
    b->rep[b->n++] = k;
    b->mem += x->reps[k].mem_gib;
    b->mem_max = fmax(b->mem_max, x->reps[k].mem_gib);
    b->work += pk_work(x, pg, m, k);
    r->rep_unit[k] = b->unit;
}

static struct pk_bin *pk_open(struct pl_ctx *x, struct plan_mode_result *r, struct pk_bin **bins,
                              size_t *n, size_t *cap)
{
    struct pk_bin *b;

    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        struct pk_bin *grown = xcalloc(c, sizeof(*grown));

        if (*n > 0)
            memcpy(grown, *bins, *n * sizeof(*grown));
        free(*bins);
        *bins = grown;
        *cap = c;
    }
    b = &(*bins)[(*n)++];
    memset(b, 0, sizeof(*b));
    b->unit = pl_unit_open(x, r);
    return b;
}

/* Room for one more replica (the tentative slot pk_admits writes). */
static void pk_room(struct pk_bin *b)
{
    if (b->n + 1 < b->cap)
        return;
    b->cap = b->cap ? 2 * b->cap : 8;
    {
        size_t *grown = xcalloc(b->cap, sizeof(*grown));

        if (b->n > 0)
            memcpy(grown, b->rep, b->n * sizeof(*grown));
        free(b->rep);
        b->rep = grown;
    }
}

/* Every replica's prediction, where it landed. */
static void pk_finish(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode m,
                      struct pk_bin *bins, size_t nb)
{
    struct plan_isolation gives = pl_isolation(m);
    size_t most = 1;

    for (size_t i = 0; i < nb; i++)
        most = bins[i].n > most ? bins[i].n : most;
    {
        struct mdl_ctx *scratch = xcalloc(most, sizeof(*scratch));

        for (size_t bi = 0; bi < nb; bi++) {
            struct pk_bin *b = &bins[bi];
            struct plan_unit *u = &r->units[b->unit];
            const struct plan_gpu *pg = &x->plan->gpus[u->model];

            u->tenant = b->tenant;
            u->members = b->n;
            u->clients_max = pk_is_mps(m) ? (unsigned)b->n : 0;
            u->mem_gib = b->mem;
            u->thread_pct = m == PM_MPS_CAPS ? pk_cap_pct(pk_caps_n(x, b->n)) : 0;
            for (size_t i = 0; i < b->n; i++) {
                const struct demand *d = pl_wl(x, b->rep[i]);
                double busy = pk_busy(pg, d), served, t = d->request_ms;
                struct mdl_out o = {.p50_ms = NAN, .p99_ms = NAN, .stable = true};
                bool iso;

                u->load += x->reps[b->rep[i]].work;
                if (d->rate > 0)
                    pk_predict(x, pg, m, b->rep, b->n, i, scratch, &o, &t, &r->extrapolated);
                served = d->rate > 0                     ? (o.stable ? d->rate : 0)
                         : m == PM_TIMESLICE && b->n > 1 ? busy * pg->ev.f[EV_TS_AGGREGATE].v
                                                         : busy;
                iso = d->isolation == ISO_NONE ||
                      (d->isolation == ISO_SOFT && gives.memory >= PI_SOFT &&
                       gives.performance >= PI_SOFT);
                pl_take(r, x->reps[b->rep[i]].wl, &o, served, b->unit, (unsigned)(b->n - 1), t,
                        iso);
            }
        }
        free(scratch);
    }
}

static const struct pl_ctx *pk_sort_ctx;

/* By tenant, then as given (the subset is largest first): a stable order for qsort. */
static int pk_by_tenant(const void *a, const void *b)
{
    const size_t *ka = a, *kb = b;
    int c = strcmp(pl_wl(pk_sort_ctx, ka[0])->tenant, pl_wl(pk_sort_ctx, kb[0])->tenant);

    return c != 0 ? c : ka[1] < kb[1] ? -1 : ka[1] > kb[1];
}

/* The subset in packing order: under MPS a GPU serves one tenant, so each tenant's replicas
 * are packed on their own, largest first. */
static size_t *pk_order(const struct pl_ctx *x, enum plan_mode rule, const size_t *subset, size_t n)
{
    size_t *pairs = xcalloc(2 * n, sizeof(*pairs)), *order = xcalloc(n, sizeof(*order));

    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = subset[i];
        pairs[2 * i + 1] = i;
    }
    if (pk_is_mps(rule)) {
        pk_sort_ctx = x;
        qsort(pairs, n, 2 * sizeof(*pairs), pk_by_tenant);
        pk_sort_ctx = NULL;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = pairs[2 * i];
    free(pairs);
    return order;
}

/* Replicas a bin looks at from either end before it is closed. */
#define PK_TRIES 64

/* How full b is in the dimension other than memory: MPS clients or compute, whichever more. */
static double pk_other_fill(const struct pl_ctx *x, const struct plan_mode_result *r,
                            enum plan_mode rule, const struct pk_bin *b)
{
    const struct plan_gpu *pg = &x->plan->gpus[r->units[b->unit].model];
    double clients = pk_is_mps(rule) ? (double)b->n / pg->mps_clients : 0;

    return fmax(clients, b->work);
}

/*
 * One GPU at a time, from the replicas left (largest first): each next replica comes from the
 * large end while the GPU is fuller in clients or compute than in memory, from the small end
 * otherwise, so both fill together rather than the last GPUs holding only small replicas up to
 * the client limit. A replica the GPU refuses is passed over for the next one from that end,
 * and the other end is tried; after PK_TRIES refusals from both the GPU is closed.
 */
static void pk_group(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode rule,
                     const size_t *g, size_t n, bool slo, struct pk_bin **bins, size_t *nb,
                     size_t *cap, struct mdl_ctx **scratch, size_t *most)
{
    bool *used = xcalloc(n, sizeof(*used));
    size_t left = n, front = 0, back = n;
    // Equal limits want replicas of one size together, largest first: no balancing there.
    bool balance = !(rule == PM_MPS_CAPS && r->mode != PM_MIXED);

    while (left > 0) {
        struct pk_bin *b = pk_open(x, r, bins, nb, cap);
        const struct plan_gpu *pg = &x->plan->gpus[r->units[b->unit].model];

        for (;;) {
            bool from_back =
                balance && b->n > 0 && b->mem / pg->mem_gib >= pk_other_fill(x, r, rule, b);
            size_t pick = SIZE_MAX;

            while (front < n && used[front])
                front++;
            while (back > front && used[back - 1])
                back--;
            if (front >= back)
                break;
            pk_room(b);
            if (b->n + 1 > *most) {
                free(*scratch);
                *most = 2 * (b->n + 1);
                *scratch = xcalloc(*most, sizeof(**scratch));
            }
            for (int side = 0; side < (balance ? 2 : 1) && pick == SIZE_MAX;
                 side++, from_back = !from_back) {
                size_t tries = 0;

                if (from_back) {
                    for (size_t i = back; i > front && tries < PK_TRIES && pick == SIZE_MAX; i--)
                        if (!used[i - 1] &&
                            (tries++, pk_admits(x, r, rule, b, g[i - 1], *scratch, slo)))
                            pick = i - 1;
                } else {
                    for (size_t i = front; i < back && tries < PK_TRIES && pick == SIZE_MAX; i++)
                        if (!used[i] && (tries++, pk_admits(x, r, rule, b, g[i], *scratch, slo)))
                            pick = i;
                }
            }
            if (pick == SIZE_MAX && b->n == 0)
                pick = front; // alone on a GPU even when it cannot keep its target there
            if (pick == SIZE_MAX)
                break;
            pk_put(x, r, rule, b, g[pick]);
            used[pick] = true;
            left--;
        }
    }
    free(used);
}

/*
 * The device plugin's MPS sharing gives every GPU of a config the same replicas N, each
 * client 100/N of the threads and memory/N: the largest N at which every replica of the
 * subset keeps its memory and SMs on every GPU model, at most the client limit.
 */
static unsigned pk_caps_uniform(const struct pl_ctx *x, const size_t *subset, size_t n)
{
    unsigned best = 0;

    for (size_t gi = 0; gi < x->plan->n_gpus; gi++) {
        const struct plan_gpu *pg = &x->plan->gpus[gi];
        unsigned N = pg->mps_clients > 0 ? pg->mps_clients : 1;

        for (; N > 1; N--) {
            size_t i = 0;

            while (i < n && x->reps[subset[i]].mem_gib * N <= pg->mem_gib + PL_EPS &&
                   demand_sms_needed(pl_wl(x, subset[i]), pg->sms) <= pk_cap_sms(pg, N))
                i++;
            if (i == n)
                break;
        }
        best = best == 0 || N < best ? N : best;
    }
    return best > 0 ? best : 1;
}

void pl_shared(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode rule,
               const size_t *subset, size_t n, bool slo)
{
    struct pk_bin *bins = NULL;
    size_t nb = 0, cap = 0, most = 64, start = 0;
    size_t *order = pk_order(x, rule, subset, n);
    struct mdl_ctx *scratch;

    for (size_t i = 0; i < x->plan->n_gpus; i++)
        if (x->plan->gpus[i].mps_clients + 1 > most)
            most = x->plan->gpus[i].mps_clients + 1;
    scratch = xcalloc(most, sizeof(*scratch));
    x->caps_n = rule == PM_MPS_CAPS && r->mode != PM_MIXED ? pk_caps_uniform(x, order, n) : 0;
    // Under MPS a GPU serves one tenant: each tenant's replicas are packed on their own.
    for (size_t o = 1; o <= n; o++)
        if (o == n || (pk_is_mps(rule) &&
                       strcmp(pl_wl(x, order[o - 1])->tenant, pl_wl(x, order[o])->tenant) != 0)) {
            pk_group(x, r, rule, order + start, o - start, slo, &bins, &nb, &cap, &scratch, &most);
            start = o;
        }
    free(scratch);
    free(order);
    // Deployed with N the most clients a GPU got: fewer per GPU than the packing allowed only
    // gives each client more, and the plan states what is deployed.
    if (x->caps_n > 0) {
        x->caps_n = 1;
        for (size_t i = 0; i < nb; i++)
            x->caps_n = bins[i].n > x->caps_n ? (unsigned)bins[i].n : x->caps_n;
    }
    pk_finish(x, r, rule, bins, nb);
    x->caps_n = 0;
    for (size_t i = 0; i < nb; i++)
        free(bins[i].rep);
    free(bins);
}

void pl_shared_one(struct pl_ctx *x, struct plan_mode_result *r, enum plan_mode rule)
{
    struct pk_bin b;

    memset(&b, 0, sizeof(b));
    b.unit = pl_unit_open(x, r);
    for (size_t o = 0; o < x->nr; o++) {
        pk_room(&b);
        pk_put(x, r, rule, &b, x->order[o]);
    }
    pk_finish(x, r, rule, &b, 1);
    free(b.rep);
}
