/*
 * The MIG planner (plan/mig_plan.h). Every valid layout of a GPU is listed once (a few
 * hundred multisets of profiles: a layout that does not fit has no superset that does) and
 * ranked by waste; a plan is then the first ranked layout whose instances take the replicas:
 * one per instance by bipartite matching, or several per instance (MPS) by a bounded
 * depth-first grouping. Several GPUs are filled first-fit decreasing.
 */
#include "plan/mig_plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"

/* GiB sums are compared with this much slack, so 0.1 + 0.2 GiB fits in 0.3. */
#define MP_EPS 1e-9
/* Grouping search nodes per layout tried, and in all, so that a plan answers at once; the
 * search tries the even (worst-fit) grouping first, and `cut` says when it ran out. */
#define MP_BUDGET_LAYOUT 20000ul
#define MP_BUDGET_TOTAL 2000000ul

const char *mig_plan_reason_name(enum mig_plan_reason r)
{
    switch (r) {
    case MIG_PLAN_FITS:
        return "fits";
    case MIG_PLAN_TOO_BIG:
        return "too_big";
    case MIG_PLAN_TOO_MANY:
        return "too_many";
    case MIG_PLAN_NO_ROOM:
        return "no_room";
    case MIG_PLAN_UNKNOWN:
        return "unknown_size";
    }
    return "unknown";
}

unsigned mig_plan_mps_clients(const struct mig_gpu *gpu, const struct mig_profile_spec *p)
{
    if (gpu->compute_slices == 0)
        return 0;
    return MIG_PLAN_MPS_CLIENTS * p->gslices / gpu->compute_slices;
}

/* One replica, flattened: what it needs on this GPU. */
struct mp_rep {
    unsigned demand, replica;
    double mem;           /* GiB */
    unsigned sms;         /* demand_sms_needed */
    bool sms_unknown;     /* a share of a GPU whose SM count the catalog does not know */
    unsigned min_mslices; /* fewest memory slices of a profile that holds it; 0: none does */
    unsigned min_gslices; /* fewest compute slices of one */
    const char *tenant;   /* under MPS a slice is shared within one tenant only */
    bool hard;            /* hard isolation: a slice of its own, never shared */
};

/* What one replica of d needs on gpu. */
static struct mp_rep mp_rep_of(const struct mig_gpu *gpu, const struct demand *d)
{
    struct mp_rep r = {.mem = d->mem_gib,
                       .sms = demand_sms_needed(d, gpu->sms),
                       .tenant = d->tenant,
                       .hard = d->isolation == ISO_HARD};

    r.sms_unknown = d->min_fraction > 0.0 && gpu->sms == 0;
    return r;
}

static bool mp_holds(const struct mig_profile_spec *p, const struct mp_rep *r)
{
    return p->mem_gib > 0.0 && p->mem_gib >= r->mem && !r->sms_unknown &&
           (r->sms == 0 || (p->sms > 0 && p->sms >= r->sms));
}

bool mig_plan_holds(const struct mig_gpu *gpu, const struct mig_profile_spec *p,
                    const struct demand *d)
{
    struct mp_rep r = mp_rep_of(gpu, d);

    return mp_holds(p, &r);
}

/* Memory slices of p: every placement of a profile has one size. */
static unsigned mp_mslices(const struct mig_profile_spec *p)
{
    return p->n_placements > 0 ? p->placements[0].size : 0;
}

/* ---- the valid layouts of a GPU ---- */

struct mp_cand {
    unsigned n;
    unsigned prof[MIG_MAX_INSTANCES]; /* catalog order */
    unsigned me;                      /* +me instances */
    double mem;                       /* GiB of all instances */
    unsigned sms;                     /* SMs of all instances (unknown as 0) */
    unsigned clients;                 /* MPS clients of all instances */
    size_t order;                     /* enumeration order: the last tie-break */
};

struct mp_cands {
    const struct mig_gpu *gpu;
    size_t n, cap;
    struct mp_cand *c;
    const struct mp_cand **by_mig; /* least memory, SMs, instances */
    const struct mp_cand **by_mps; /* most instances, then least memory, SMs */
    unsigned max_n;                /* most instances of any valid layout */
};

static void mp_cand_push(struct mp_cands *cs, const unsigned *prof, unsigned n)
{
    struct mp_cand *c;

    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 256;
        struct mp_cand *grown = xcalloc(cap, sizeof(*grown));

        if (cs->n > 0)
            memcpy(grown, cs->c, cs->n * sizeof(*grown));
        free(cs->c);
        cs->c = grown;
        cs->cap = cap;
    }
    c = &cs->c[cs->n];
    memset(c, 0, sizeof(*c));
    c->n = n;
    c->order = cs->n;
    for (unsigned i = 0; i < n; i++) {
        const struct mig_profile_spec *p = &cs->gpu->profiles[prof[i]];

        c->prof[i] = prof[i];
        c->me += p->media_ext;
        c->mem += p->mem_gib;
        c->sms += p->sms;
        c->clients += mig_plan_mps_clients(cs->gpu, p);
    }
    if (n > cs->max_n)
        cs->max_n = n;
    cs->n++;
}

/* Every multiset of profiles j.. added to prof[0..n) that fits, each once. */
static void mp_cand_from(struct mp_cands *cs, unsigned *prof, unsigned n, unsigned j)
{
    if (j == cs->gpu->n_profiles) {
        if (n > 0)
            mp_cand_push(cs, prof, n);
        return;
    }
    mp_cand_from(cs, prof, n, j + 1);
    while (n < MIG_MAX_INSTANCES) {
        struct mig_layout l = {.gpu = cs->gpu, .n = n + 1};

        prof[n++] = j;
        memcpy(l.prof, prof, n * sizeof(prof[0]));
        if (!mig_check_layout(&l, NULL, 0))
            break;
        mp_cand_from(cs, prof, n, j + 1);
    }
}

static int mp_cmp_common(const struct mp_cand *a, const struct mp_cand *b)
{
    if (a->me != b->me)
        return a->me < b->me ? -1 : 1;
    if (a->mem != b->mem)
        return a->mem < b->mem ? -1 : 1;
    if (a->sms != b->sms)
        return a->sms < b->sms ? -1 : 1;
    return 0;
}

static int mp_cmp_mig(const void *pa, const void *pb)
{
    const struct mp_cand *a = *(const struct mp_cand *const *)pa;
    const struct mp_cand *b = *(const struct mp_cand *const *)pb;
    int c = mp_cmp_common(a, b);

    if (c != 0)
        return c;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Under MPS, the most instances first: the smallest groups, since a fault stops every replica
 * of its instance (NVIDIA's MPS documentation); then the least memory and SMs. */
static int mp_cmp_mps(const void *pa, const void *pb)
{
    const struct mp_cand *a = *(const struct mp_cand *const *)pa;
    const struct mp_cand *b = *(const struct mp_cand *const *)pb;

    if (a->me != b->me)
        return a->me < b->me ? -1 : 1;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    if (a->mem != b->mem)
        return a->mem < b->mem ? -1 : 1;
    if (a->sms != b->sms)
        return a->sms < b->sms ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void mp_cands_init(struct mp_cands *cs, const struct mig_gpu *gpu)
{
    unsigned prof[MIG_MAX_INSTANCES];

    memset(cs, 0, sizeof(*cs));
    cs->gpu = gpu;
    mp_cand_from(cs, prof, 0, 0);
    cs->by_mig = xcalloc(cs->n, sizeof(*cs->by_mig));
    cs->by_mps = xcalloc(cs->n, sizeof(*cs->by_mps));
    for (size_t i = 0; i < cs->n; i++)
        cs->by_mig[i] = cs->by_mps[i] = &cs->c[i];
    if (cs->n > 0) {
        qsort(cs->by_mig, cs->n, sizeof(*cs->by_mig), mp_cmp_mig);
        qsort(cs->by_mps, cs->n, sizeof(*cs->by_mps), mp_cmp_mps);
    }
}

static void mp_cands_release(struct mp_cands *cs)
{
    free(cs->c);
    free(cs->by_mig);
    free(cs->by_mps);
    memset(cs, 0, sizeof(*cs));
}

/* Lays out and places a candidate (its profiles always fit: it was listed because they do). */
static void mp_place(const struct mp_cands *cs, const struct mp_cand *c, struct mig_layout *l)
{
    memset(l, 0, sizeof(*l));
    l->gpu = cs->gpu;
    l->n = c->n;
    memcpy(l->prof, c->prof, c->n * sizeof(c->prof[0]));
    mig_check_layout(l, NULL, 0);
}

/* ---- one replica per instance ---- */

struct mp_match {
    const struct mig_gpu *gpu;
    const struct mig_layout *l;
    const struct mp_rep *reps;
    const size_t *idx; /* the replicas matched: reps[idx[0..nr)] */
    size_t nr;
    unsigned pref[MIG_MAX_INSTANCES]; /* instances, smallest first */
    int owner[MIG_MAX_INSTANCES];     /* position in idx holding each instance, or -1 */
    bool seen[MIG_MAX_INSTANCES];
};

static bool mp_augment(struct mp_match *m, size_t r)
{
    const struct mp_rep *rep = &m->reps[m->idx[r]];

    // A free instance first, so replicas keep the order they came in; then take one from a
    // replica that can move.
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < m->l->n; k++) {
            unsigned i = m->pref[k];

            if (m->seen[i] || (pass == 0 && m->owner[i] >= 0) ||
                !mp_holds(&m->gpu->profiles[m->l->prof[i]], rep))
                continue;
            m->seen[i] = true;
            if (m->owner[i] < 0 || mp_augment(m, (size_t)m->owner[i])) {
                m->owner[i] = (int)r;
                return true;
            }
        }
    }
    return false;
}

/* A replica for every instance of l and an instance for every replica (Kuhn's augmenting
 * paths; replicas in order, each trying the smallest instances first). inst[k] gets the
 * instance of reps[idx[k]]. */
static bool mp_match_all(const struct mig_layout *l, const struct mp_rep *reps, const size_t *idx,
                         size_t nr, unsigned *inst)
{
    struct mp_match m = {.gpu = l->gpu, .l = l, .reps = reps, .idx = idx, .nr = nr};

    if (nr != l->n)
        return false;
    for (unsigned i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p = &l->gpu->profiles[l->prof[i]];
        unsigned k = i;

        while (k > 0) {
            const struct mig_profile_spec *q = &l->gpu->profiles[l->prof[m.pref[k - 1]]];

            if (q->mem_gib < p->mem_gib || (q->mem_gib == p->mem_gib && q->sms <= p->sms))
                break;
            m.pref[k] = m.pref[k - 1];
            k--;
        }
        m.pref[k] = i;
        m.owner[i] = -1;
    }
    for (size_t r = 0; r < nr; r++) {
        memset(m.seen, 0, sizeof(m.seen));
        if (!mp_augment(&m, r))
            return false;
    }
    for (unsigned i = 0; i < l->n; i++)
        inst[m.owner[i]] = i;
    return true;
}

/* The least-waste layout holding reps[idx[0..nr)] one per instance, placed in *l, with the
 * instance of each in inst[]. */
static bool mp_one_each(const struct mp_cands *cs, const struct mp_rep *reps, const size_t *idx,
                        size_t nr, struct mig_layout *l, unsigned *inst)
{
    if (nr == 0 || nr > cs->max_n)
        return false;
    for (size_t k = 0; k < cs->n; k++) {
        const struct mp_cand *c = cs->by_mig[k];
        struct mig_layout t = {.gpu = cs->gpu, .n = c->n};

        if (c->n != nr)
            continue;
        // Matching is cheaper than placing: match the candidate as listed, then place it and
        // match again so instance numbers follow the placed order.
        memcpy(t.prof, c->prof, c->n * sizeof(c->prof[0]));
        if (!mp_match_all(&t, reps, idx, nr, inst))
            continue;
        mp_place(cs, c, l);
        return mp_match_all(l, reps, idx, nr, inst);
    }
    return false;
}

/* ---- several replicas per instance (MPS) ---- */

struct mp_pack {
    const struct mig_gpu *gpu;
    const struct mig_layout *l;
    const struct mp_rep *reps;
    const size_t *order; /* replicas, largest first */
    size_t nr;
    double rest_mem[PLAN_MAX_REPLICAS + 1];     /* memory of order[i..] */
    double rest_min_mem[PLAN_MAX_REPLICAS + 1]; /* the smallest memory of order[i..] */
    unsigned rest_min_sms[PLAN_MAX_REPLICAS + 1];
    double mem[MIG_MAX_INSTANCES]; /* left in each instance */
    unsigned sms[MIG_MAX_INSTANCES], clients[MIG_MAX_INSTANCES];
    unsigned limit[MIG_MAX_INSTANCES];             /* clients of each when empty */
    const struct mp_rep *first[MIG_MAX_INSTANCES]; /* a replica in each, its tenant's */
    unsigned inst[PLAN_MAX_REPLICAS];              /* instance of order[i] */
    unsigned long nodes, budget;
    bool cut;
};

static bool mp_pack_fits(const struct mp_pack *p, unsigned i, const struct mp_rep *r)
{
    const struct mig_profile_spec *s = &p->gpu->profiles[p->l->prof[i]];

    const struct mp_rep *f = p->first[i];

    // A slice's MPS group is one tenant's (one server per user, one fault domain), and a
    // replica that needs hard isolation has a slice to itself.
    if (f != NULL && (r->hard || f->hard || strcmp(f->tenant, r->tenant) != 0))
        return false;
    return p->clients[i] > 0 && p->mem[i] + MP_EPS >= r->mem && mp_holds(s, r) &&
           p->sms[i] >= r->sms;
}

/* Instances by room left, most clients first, then most memory: the next replica goes where
 * the groups stay even (worst fit), and the search backtracks from there. */
static void mp_pack_order(const struct mp_pack *p, unsigned *order)
{
    for (unsigned i = 0; i < p->l->n; i++) {
        unsigned k = i;

        while (k > 0 &&
               (p->clients[order[k - 1]] < p->clients[i] ||
                (p->clients[order[k - 1]] == p->clients[i] && p->mem[order[k - 1]] < p->mem[i]))) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
}

static bool mp_pack_from(struct mp_pack *p, size_t k)
{
    const struct mp_rep *r;
    double mem_left = 0;
    unsigned clients_left = 0, empty = 0, order[MIG_MAX_INSTANCES];

    if (k == p->nr) {
        for (unsigned i = 0; i < p->l->n; i++) {
            if (p->clients[i] == p->limit[i])
                return false;
        }
        return true;
    }
    if (++p->nodes > p->budget) {
        p->cut = true;
        return false;
    }
    for (unsigned i = 0; i < p->l->n; i++) {
        // No more replicas than the smallest left would fill, by memory and by SMs.
        unsigned room = p->clients[i];
        double by_mem = floor((p->mem[i] + MP_EPS) / p->rest_min_mem[k]);

        if (by_mem < room)
            room = (unsigned)by_mem;
        if (p->rest_min_sms[k] > 0 && p->sms[i] / p->rest_min_sms[k] < room)
            room = p->sms[i] / p->rest_min_sms[k];
        mem_left += p->mem[i];
        clients_left += room;
        empty += p->clients[i] == p->limit[i];
    }
    // Every instance of the layout must hold a replica: an idle one belongs to no plan.
    if (mem_left + MP_EPS < p->rest_mem[k] || clients_left < p->nr - k || empty > p->nr - k)
        return false;
    r = &p->reps[p->order[k]];
    mp_pack_order(p, order);
    for (unsigned o = 0; o < p->l->n; o++) {
        unsigned i = order[o];
        bool twin = false;

        if (!mp_pack_fits(p, i, r))
            continue;
        // An instance of the same profile with the same room left was tried already.
        for (unsigned q = 0; q < o && !twin; q++) {
            unsigned j = order[q];

            twin = p->l->prof[j] == p->l->prof[i] && p->mem[j] == p->mem[i] &&
                   p->sms[j] == p->sms[i] && p->clients[j] == p->clients[i] &&
                   p->first[j] == NULL && p->first[i] == NULL;
        }
        if (twin)
            continue;
        p->mem[i] -= r->mem;
        p->sms[i] -= r->sms;
        p->clients[i]--;
        p->inst[k] = i;
        if (p->first[i] == NULL)
            p->first[i] = r;
        if (mp_pack_from(p, k + 1))
            return true;
        p->mem[i] += r->mem;
        p->sms[i] += r->sms;
        p->clients[i]++;
        if (p->clients[i] == p->limit[i])
            p->first[i] = NULL;
        if (p->cut)
            return false;
    }
    return false;
}

/* ---- the plan ---- */

struct mp_ctx {
    const struct mig_gpu *gpu;
    const struct demand_set *set;
    mig_plan_accept_fn *accept; /* NULL: every grouping that fits is taken */
    void *accept_arg;
    struct mp_rep *reps; /* every replica, demand order */
    size_t nr;
    struct mp_cands cands;
};

static void mp_reps_init(struct mp_ctx *x)
{
    const struct mig_gpu *gpu = x->gpu;

    x->nr = demand_replicas(x->set);
    x->reps = xcalloc(x->nr, sizeof(*x->reps));
    x->nr = 0;
    for (size_t d = 0; d < x->set->n; d++) {
        const struct demand *dm = &x->set->d[d];
        struct mp_rep r = mp_rep_of(gpu, dm);

        r.demand = (unsigned)d;
        for (unsigned j = 0; j < gpu->n_profiles; j++) {
            const struct mig_profile_spec *p = &gpu->profiles[j];

            if (!mp_holds(p, &r) || mp_mslices(p) == 0)
                continue;
            if (r.min_mslices == 0 || mp_mslices(p) < r.min_mslices)
                r.min_mslices = mp_mslices(p);
            if (r.min_gslices == 0 || p->gslices < r.min_gslices)
                r.min_gslices = p->gslices;
        }
        for (unsigned k = 0; k < dm->replicas; k++) {
            r.replica = k;
            x->reps[x->nr++] = r;
        }
    }
}

static void mp_ctx_release(struct mp_ctx *x)
{
    free(x->reps);
    mp_cands_release(&x->cands);
}

/* The largest profile whose memory is known (then SMs), and whose SMs are known (then
 * memory); NULL when none is. */
static void mp_largest(const struct mig_gpu *gpu, const struct mig_profile_spec **by_mem,
                       const struct mig_profile_spec **by_sms)
{
    *by_mem = *by_sms = NULL;
    for (unsigned j = 0; j < gpu->n_profiles; j++) {
        const struct mig_profile_spec *p = &gpu->profiles[j];

        if (mig_mem_known(p) && (*by_mem == NULL || p->mem_gib > (*by_mem)->mem_gib ||
                                 (p->mem_gib == (*by_mem)->mem_gib && p->sms > (*by_mem)->sms)))
            *by_mem = p;
        if (mig_sms_known(p) && (*by_sms == NULL || p->sms > (*by_sms)->sms ||
                                 (p->sms == (*by_sms)->sms && p->mem_gib > (*by_sms)->mem_gib)))
            *by_sms = p;
    }
}

/*
 * Might p hold r, by figures the catalog does not know? Only when mp_holds cannot say: a
 * figure r needs is unknown (p's memory or SMs, or the SMs a share of the GPU comes to) and
 * nothing known rules it out: the whole GPU has enough, and no profile of at least p's
 * memory (compute) slices is known to have too little, since a profile's memory and SMs grow
 * with its slices.
 */
static bool mp_might_hold(const struct mig_gpu *gpu, const struct mig_profile_spec *p,
                          const struct mp_rep *r)
{
    bool mem_open = !mig_mem_known(p), sms_open = r->sms_unknown;

    if (mp_mslices(p) == 0 || mp_holds(p, r))
        return false;
    if (mig_mem_known(p) ? p->mem_gib < r->mem : r->mem > gpu->mem_gib)
        return false;
    if (!r->sms_unknown && r->sms > 0) {
        if (mig_sms_known(p) ? p->sms < r->sms : mig_gpu_sms_known(gpu) && r->sms > gpu->sms)
            return false;
        sms_open = sms_open || !mig_sms_known(p);
    }
    for (unsigned j = 0; j < gpu->n_profiles; j++) {
        const struct mig_profile_spec *q = &gpu->profiles[j];

        if (mem_open && mig_mem_known(q) && mp_mslices(q) >= mp_mslices(p) && q->mem_gib < r->mem)
            return false;
        if (sms_open && !r->sms_unknown && mig_sms_known(q) && q->gslices >= p->gslices &&
            q->sms < r->sms)
            return false;
    }
    return mem_open || sms_open;
}

/* Is a replica of d held by no profile the catalog knows to hold it, yet possibly by one
 * whose figures it does not know? */
static bool mp_unknown_fit(const struct mig_gpu *gpu, const struct demand *d)
{
    struct mp_rep r = mp_rep_of(gpu, d);

    for (unsigned j = 0; j < gpu->n_profiles; j++)
        if (mp_might_hold(gpu, &gpu->profiles[j], &r))
            return true;
    return false;
}

/* "'x' needs 200 GiB per replica; ...": why no profile, known or not, holds d. */
static void mp_why_too_big_one(const struct mig_gpu *gpu, const struct demand *d, char *why,
                               size_t size)
{
    const struct mig_profile_spec *big_mem, *big_sms;
    unsigned sms = demand_sms_needed(d, gpu->sms);

    mp_largest(gpu, &big_mem, &big_sms);
    if (big_mem == NULL && d->mem_gib <= gpu->mem_gib) {
        str_append(why, size, "%s has no MIG profile of known memory in the catalog", gpu->model);
    } else if (d->mem_gib > gpu->mem_gib && !mig_gpu_figures_known(gpu)) {
        // The unknown rows may be larger than the known ones, but not larger than the GPU.
        str_append(why, size, "'%s' needs %g GiB per replica; %s has %g GiB in all", d->name,
                   d->mem_gib, gpu->model, gpu->mem_gib);
    } else if (big_mem != NULL && d->mem_gib > big_mem->mem_gib) {
        str_append(why, size,
                   "'%s' needs %g GiB per replica; the largest GPU instance of %s, %s, has %g GiB",
                   d->name, d->mem_gib, gpu->model, big_mem->name, big_mem->mem_gib);
    } else if (mig_gpu_sms_known(gpu) && sms > gpu->sms && !mig_gpu_figures_known(gpu)) {
        str_append(why, size, "'%s' needs %u SMs per replica; %s has %u in all", d->name, sms,
                   gpu->model, gpu->sms);
    } else if (big_sms != NULL && sms > big_sms->sms) {
        str_append(why, size,
                   "'%s' needs %u SMs per replica; the largest GPU instance of %s, %s, has %u",
                   d->name, sms, gpu->model, big_sms->name, big_sms->sms);
    } else {
        str_append(why, size,
                   "'%s' needs %g GiB and %u SMs per replica; no GPU instance of %s is known to "
                   "have both",
                   d->name, d->mem_gib, sms, gpu->model);
    }
}

/* The profiles that might hold r by figures the catalog lacks, "3g.90gb, 4g.90gb and
 * 7g.180gb"; whether any of them lacks its memory goes to *mem. */
static void mp_unknown_names(const struct mig_gpu *gpu, const struct mp_rep *r, char *out,
                             size_t size, bool *mem)
{
    unsigned n = 0, total = 0;

    *mem = false;
    for (unsigned j = 0; j < gpu->n_profiles; j++)
        total += mp_might_hold(gpu, &gpu->profiles[j], r);
    out[0] = '\0';
    for (unsigned j = 0; j < gpu->n_profiles; j++) {
        const struct mig_profile_spec *p = &gpu->profiles[j];

        if (!mp_might_hold(gpu, p, r))
            continue;
        n++;
        str_append(out, size, "%s%s", n == 1 ? "" : n == total ? " and " : ", ", p->name);
        *mem = *mem || !mig_mem_known(p);
    }
}

/* MIG_PLAN_UNKNOWN in words: d is held by no profile known to hold it, and the ones that
 * might lack the figures that would say. */
static void mp_why_unknown_one(const struct mig_gpu *gpu, const struct demand *d, char *why,
                               size_t size)
{
    const struct mp_rep r = mp_rep_of(gpu, d);
    const struct mig_profile_spec *big_mem, *big_sms;
    char names[160];
    bool mem;

    mp_largest(gpu, &big_mem, &big_sms);
    mp_unknown_names(gpu, &r, names, sizeof(names), &mem);
    if (r.sms_unknown) {
        str_append(why, size,
                   "'%s' asks for %g%% of the SMs of %s, which the catalog does not know", d->name,
                   d->min_fraction * 100.0, gpu->model);
    } else if (mem && big_mem != NULL) {
        str_append(why, size,
                   "'%s' needs %g GiB per replica; the largest GPU instance of %s whose memory the "
                   "catalog knows, %s, has %g GiB, and it does not know the memory of %s",
                   d->name, d->mem_gib, gpu->model, big_mem->name, big_mem->mem_gib, names);
    } else if (mem) {
        str_append(why, size,
                   "'%s' needs %g GiB per replica; the catalog does not know the memory of %s",
                   d->name, d->mem_gib, names);
    } else if (big_sms != NULL) {
        str_append(why, size,
                   "'%s' needs %u SMs per replica; the largest GPU instance of %s whose SMs the "
                   "catalog knows, %s, has %u, and it does not know the SMs of %s",
                   d->name, r.sms, gpu->model, big_sms->name, big_sms->sms, names);
    } else {
        str_append(why, size,
                   "'%s' needs %u SM%s per replica; the catalog does not know the SMs of %s",
                   d->name, r.sms, r.sms == 1 ? "" : "s", names);
    }
}

/* MIG_PLAN_TOO_BIG or MIG_PLAN_UNKNOWN in words: the first demand no instance is known to hold;
 * then how many more are too big, and for how many more the catalog lacks the figures. */
static void mp_why_too_big(const struct mp_ctx *x, struct mig_plan *plan, size_t first, size_t big,
                           size_t unknown)
{
    const struct demand *d = &x->set->d[first];
    size_t more_big = big, more_unknown = unknown;

    if (plan->reason == MIG_PLAN_TOO_BIG) {
        mp_why_too_big_one(x->gpu, d, plan->why, sizeof(plan->why));
        more_big--;
    } else {
        mp_why_unknown_one(x->gpu, d, plan->why, sizeof(plan->why));
        more_unknown--;
    }
    if (more_big > 0)
        str_append(plan->why, sizeof(plan->why), "; %zu more model%s too big as well", more_big,
                   more_big == 1 ? " is" : "s are");
    if (more_unknown > 0)
        str_append(plan->why, sizeof(plan->why),
                   "; for %zu more model%s the catalog lacks the figures that would say",
                   more_unknown, more_unknown == 1 ? "" : "s");
    if (plan->reason == MIG_PLAN_UNKNOWN || unknown > 0)
        str_append(plan->why, sizeof(plan->why),
                   " (unverified rows: gpushare mig profiles --gpu %s)", x->gpu->model);
}

/* "; the catalog does not know the memory of 1g.12gb and 1g.24gb, which might hold some of
 * them (...)": the rows without figures that might change a refusal, appended to why. */
static void mp_unknown_note(const struct mp_ctx *x, char *why, size_t size)
{
    const struct mig_gpu *gpu = x->gpu;
    bool might[MIG_MAX_PROFILES] = {false}, mem = false;
    unsigned n = 0, total = 0;

    for (unsigned j = 0; j < gpu->n_profiles && j < MIG_MAX_PROFILES; j++) {
        for (size_t k = 0; k < x->nr && !might[j]; k++)
            might[j] = mp_might_hold(gpu, &gpu->profiles[j], &x->reps[k]);
        total += might[j];
        mem = mem || (might[j] && !mig_mem_known(&gpu->profiles[j]));
    }
    if (total == 0)
        return;
    str_append(why, size, "; the catalog does not know the %s of ", mem ? "memory" : "SMs");
    for (unsigned j = 0; j < gpu->n_profiles && j < MIG_MAX_PROFILES; j++) {
        if (!might[j])
            continue;
        n++;
        str_append(why, size, "%s%s",
                   n == 1       ? ""
                   : n == total ? " and "
                                : ", ",
                   gpu->profiles[j].name);
    }
    str_append(why, size,
               ", which might hold some of them (unverified rows: gpushare mig profiles "
               "--gpu %s)",
               gpu->model);
}

/* MIG_PLAN_NO_ROOM in words: the smallest instance for each replica, and what stops them. */
static void mp_why_no_room(const struct mp_ctx *x, struct mig_plan *plan)
{
    const struct mig_gpu *gpu = x->gpu;
    struct mig_layout l = {.gpu = gpu};
    unsigned mslices = 0, gslices = 0;
    char name[160], why[256];
    // Rows without figures hold nothing here; the words say so rather than claim too much.
    const char *hold = mig_gpu_figures_known(gpu) ? "that hold" : "known to hold";

    for (size_t k = 0; k < x->nr && l.n < MIG_MAX_INSTANCES; k++) {
        const struct mp_rep *r = &x->reps[k];
        unsigned best = gpu->n_profiles;

        for (unsigned j = 0; j < gpu->n_profiles; j++) {
            const struct mig_profile_spec *p = &gpu->profiles[j], *b;

            if (!mp_holds(p, r) || mp_mslices(p) == 0 || p->media_ext)
                continue;
            if (best == gpu->n_profiles) {
                best = j;
                continue;
            }
            b = &gpu->profiles[best];
            if (mp_mslices(p) < mp_mslices(b) ||
                (mp_mslices(p) == mp_mslices(b) &&
                 (p->gslices < b->gslices ||
                  (p->gslices == b->gslices && p->mem_gib < b->mem_gib))))
                best = j;
        }
        if (best == gpu->n_profiles)
            continue;
        l.prof[l.n++] = best;
        mslices += mp_mslices(&gpu->profiles[best]);
        gslices += gpu->profiles[best].gslices;
    }
    mig_layout_name(&l, name, sizeof(name));
    if (mslices > gpu->mem_slices || gslices > gpu->compute_slices) {
        str_append(plan->why, sizeof(plan->why),
                   "the smallest GPU instances %s them, %s, need %u memory slices and %u "
                   "compute slices; %s has %u and %u",
                   hold, name, mslices, gslices, gpu->model, gpu->mem_slices, gpu->compute_slices);
        return;
    }
    why[0] = '\0';
    mig_check_layout(&l, why, sizeof(why));
    str_append(plan->why, sizeof(plan->why),
               "the smallest GPU instances %s them, %s, take %u of %s's %u memory slices and "
               "%u of its %u compute slices but do not fit together: %s",
               hold, name, mslices, gpu->model, gpu->mem_slices, gslices, gpu->compute_slices, why);
}

/* a. Other catalog GPUs that take every replica, one per instance. */
static void mp_other_gpus(const struct mp_ctx *x, struct mig_plan *plan)
{
    size_t n_cat = 0;
    const struct mig_gpu *cat = mig_catalog(&n_cat);
    size_t *idx;

    if (x->nr > MIG_MAX_INSTANCES)
        return;
    idx = xcalloc(x->nr, sizeof(*idx));
    for (size_t k = 0; k < x->nr; k++)
        idx[k] = k;
    for (size_t g = 0; g < n_cat && plan->n_other < MIG_PLAN_MAX_OTHER; g++) {
        struct mp_ctx y = {.gpu = &cat[g], .set = x->set};
        unsigned inst[MIG_MAX_INSTANCES];
        struct mig_plan_other o = {.gpu = &cat[g]};
        size_t at;

        if (&cat[g] == x->gpu || cat[g].n_profiles > MIG_MAX_PROFILES)
            continue;
        mp_reps_init(&y);
        mp_cands_init(&y.cands, y.gpu);
        if (mp_one_each(&y.cands, y.reps, idx, y.nr, &o.layout, inst)) {
            mig_layout_usage(&o.layout, &o.usage);
            // Smallest GPU first, catalog order among equals.
            at = plan->n_other;
            while (at > 0 && plan->other[at - 1].gpu->mem_gib > o.gpu->mem_gib) {
                plan->other[at] = plan->other[at - 1];
                at--;
            }
            plan->other[at] = o;
            plan->n_other++;
        }
        mp_ctx_release(&y);
    }
    free(idx);
}

/* Largest first: memory slices, then GiB, then SMs; input order among equals. */
static int mp_rep_cmp(const struct mp_rep *a, const struct mp_rep *b)
{
    if (a->min_mslices != b->min_mslices)
        return a->min_mslices > b->min_mslices ? -1 : 1;
    if (a->mem != b->mem)
        return a->mem > b->mem ? -1 : 1;
    if (a->sms != b->sms)
        return a->sms > b->sms ? -1 : 1;
    return 0;
}

/* 0..nr-1, largest replica first, input order among equals (a stable insertion sort: at most
 * 1024 replicas). Freed by the caller. */
static size_t *mp_largest_first(const struct mp_rep *reps, size_t nr)
{
    size_t *idx = xcalloc(nr, sizeof(*idx));

    for (size_t k = 0; k < nr; k++) {
        size_t j = k;

        while (j > 0 && mp_rep_cmp(&reps[idx[j - 1]], &reps[k]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
    return idx;
}

struct mp_bin {
    size_t n;
    size_t rep[MIG_MAX_INSTANCES];
    unsigned mslices, gslices; /* fewest the replicas need: a bound, not the layout's */
};

/* b. GPUs of this model, first-fit decreasing. */
static void mp_multi(const struct mp_ctx *x, struct mig_plan *plan)
{
    const struct mig_gpu *gpu = x->gpu;
    struct mp_bin *bins;
    size_t *order, nb = 0, mslices = 0, gslices = 0;

    for (size_t k = 0; k < x->nr; k++) {
        if (x->reps[k].min_mslices == 0)
            return; // too big for any instance: no number of GPUs helps
        mslices += x->reps[k].min_mslices;
        gslices += x->reps[k].min_gslices;
    }
    if (x->cands.max_n == 0 || gpu->mem_slices == 0 || gpu->compute_slices == 0)
        return;
    plan->multi.lower_bound = (x->nr + x->cands.max_n - 1) / x->cands.max_n;
    if ((mslices + gpu->mem_slices - 1) / gpu->mem_slices > plan->multi.lower_bound)
        plan->multi.lower_bound = (mslices + gpu->mem_slices - 1) / gpu->mem_slices;
    if ((gslices + gpu->compute_slices - 1) / gpu->compute_slices > plan->multi.lower_bound)
        plan->multi.lower_bound = (gslices + gpu->compute_slices - 1) / gpu->compute_slices;

    order = mp_largest_first(x->reps, x->nr);
    bins = xcalloc(x->nr, sizeof(*bins));
    for (size_t k = 0; k < x->nr; k++) {
        const struct mp_rep *r = &x->reps[order[k]];
        size_t b = 0;

        for (; b < nb; b++) {
            struct mp_bin *bin = &bins[b];
            struct mig_layout l;
            unsigned inst[MIG_MAX_INSTANCES];

            if (bin->n + 1 > x->cands.max_n || bin->mslices + r->min_mslices > gpu->mem_slices ||
                bin->gslices + r->min_gslices > gpu->compute_slices)
                continue;
            bin->rep[bin->n] = order[k];
            if (mp_one_each(&x->cands, x->reps, bin->rep, bin->n + 1, &l, inst))
                break;
        }
        if (b == nb)
            nb++;
        bins[b].rep[bins[b].n++] = order[k];
        bins[b].mslices += r->min_mslices;
        bins[b].gslices += r->min_gslices;
    }
    plan->multi.k = nb;
    plan->multi.minimal = nb == plan->multi.lower_bound;
    for (size_t b = 0; b < nb; b++) {
        unsigned inst[MIG_MAX_INSTANCES];

        // A bin of one always fits (the replica's own smallest profile), and a bin only grew
        // when its replicas fitted together.
        if (!mp_one_each(&x->cands, x->reps, bins[b].rep, bins[b].n, &plan->multi.layouts[b], inst))
            continue;
        for (size_t i = 0; i < bins[b].n; i++) {
            const struct mp_rep *r = &x->reps[bins[b].rep[i]];

            plan->multi.items[bins[b].rep[i]] = (struct mig_plan_item){.demand = r->demand,
                                                                       .replica = r->replica,
                                                                       .gpu = (unsigned)b,
                                                                       .instance = inst[i]};
        }
    }
    free(bins);
    free(order);
}

/* c. MPS inside MIG slices. */
static void mp_mps(const struct mp_ctx *x, struct mig_plan *plan)
{
    const struct mig_gpu *gpu = x->gpu;
    struct mp_pack *p;
    size_t *order;
    double need_mem = 0, most_mem = 0;
    unsigned need_sms = 0, most = 0, most_sms = 0;
    unsigned long spent = 0;
    bool holdable = true, known = mig_gpu_figures_known(gpu);

    for (size_t k = 0; k < x->nr; k++) {
        need_mem += x->reps[k].mem;
        need_sms += x->reps[k].sms;
        holdable = holdable && x->reps[k].min_mslices > 0;
    }
    for (size_t k = 0; k < x->cands.n; k++) {
        const struct mp_cand *c = &x->cands.c[k];

        most = c->clients > most ? c->clients : most;
        most_mem = c->mem > most_mem ? c->mem : most_mem;
        most_sms = c->sms > most_sms ? c->sms : most_sms;
    }
    if (!holdable) {
        str_append(plan->mps.why, sizeof(plan->mps.why),
                   known ? "no GPU instance of %s holds a replica of every model"
                         : "no GPU instance of %s is known to hold a replica of every model",
                   gpu->model);
        return;
    }
    if (x->nr > most) {
        str_append(plan->mps.why, sizeof(plan->mps.why),
                   "%zu replicas: more than the %u MPS clients any layout of %s takes (48 per GPU, "
                   "CUDA <= 13.0, in proportion to each instance's compute slices)",
                   x->nr, most, gpu->model);
        return;
    }
    if (need_mem > most_mem + MP_EPS) {
        str_append(plan->mps.why, sizeof(plan->mps.why),
                   "%g GiB in all: more than any layout of %s %s (%g GiB)", need_mem, gpu->model,
                   known ? "holds" : "is known to hold", most_mem);
        return;
    }
    if (need_sms > most_sms) {
        str_append(plan->mps.why, sizeof(plan->mps.why),
                   "%u SMs in all: more than any layout of %s %s (%u)", need_sms, gpu->model,
                   known ? "has" : "is known to have", most_sms);
        return;
    }
    order = mp_largest_first(x->reps, x->nr);
    p = xcalloc(1, sizeof(*p));
    p->gpu = gpu;
    p->reps = x->reps;
    p->order = order;
    p->nr = x->nr;
    p->rest_mem[x->nr] = 0;
    for (size_t k = x->nr; k-- > 0;) {
        const struct mp_rep *r = &x->reps[order[k]];
        bool last = k + 1 == x->nr;

        p->rest_mem[k] = p->rest_mem[k + 1] + r->mem;
        p->rest_min_mem[k] =
            last || r->mem < p->rest_min_mem[k + 1] ? r->mem : p->rest_min_mem[k + 1];
        p->rest_min_sms[k] =
            last || r->sms < p->rest_min_sms[k + 1] ? r->sms : p->rest_min_sms[k + 1];
    }
    for (size_t c = 0; c < x->cands.n && !plan->mps.fits; c++) {
        const struct mp_cand *cand = x->cands.by_mps[c];
        struct mig_layout l;
        bool each = true;
        unsigned sms_known = 0;

        if (cand->n > x->nr || cand->clients < x->nr || cand->mem + MP_EPS < need_mem)
            continue;
        for (unsigned i = 0; i < cand->n; i++)
            sms_known += gpu->profiles[cand->prof[i]].sms;
        if (sms_known < need_sms)
            continue;
        // Every replica must fit some instance on its own, and every instance some replica.
        for (size_t k = 0; k < x->nr && each; k++) {
            bool any = false;

            for (unsigned i = 0; i < cand->n && !any; i++)
                any = mp_holds(&gpu->profiles[cand->prof[i]], &x->reps[k]);
            each = any;
        }
        for (unsigned i = 0; i < cand->n && each; i++) {
            bool any = false;

            for (size_t k = 0; k < x->nr && !any; k++)
                any = mp_holds(&gpu->profiles[cand->prof[i]], &x->reps[k]);
            each = any;
        }
        if (!each)
            continue;
        mp_place(&x->cands, cand, &l);
        p->l = &l;
        for (unsigned i = 0; i < l.n; i++) {
            const struct mig_profile_spec *s = &gpu->profiles[l.prof[i]];

            p->mem[i] = s->mem_gib;
            p->sms[i] = s->sms;
            p->clients[i] = p->limit[i] = mig_plan_mps_clients(gpu, s);
            p->first[i] = NULL;
        }
        p->nodes = 0;
        p->budget = MP_BUDGET_LAYOUT;
        if (spent + p->budget > MP_BUDGET_TOTAL) {
            plan->mps.cut = true;
            break;
        }
        if (mp_pack_from(p, 0)) {
            struct mig_plan_item *items = xcalloc(x->nr, sizeof(*items));

            for (size_t k = 0; k < x->nr; k++) {
                const struct mp_rep *r = &x->reps[order[k]];

                items[order[k]] = (struct mig_plan_item){
                    .demand = r->demand, .replica = r->replica, .instance = p->inst[k]};
            }
            // The caller may ask more of a grouping than room: its latency, say. A refused one
            // sends the search on to the next layout.
            if (x->accept == NULL || x->accept(x->accept_arg, &l, items)) {
                plan->mps.fits = true;
                plan->mps.layout = l;
                mig_layout_usage(&l, &plan->mps.usage);
                for (unsigned i = 0; i < l.n; i++)
                    plan->mps.groups[i].client_limit =
                        mig_plan_mps_clients(gpu, &gpu->profiles[l.prof[i]]);
                for (size_t k = 0; k < x->nr; k++) {
                    const struct mp_rep *r = &x->reps[order[k]];
                    struct mig_plan_group *g = &plan->mps.groups[p->inst[k]];

                    g->clients++;
                    g->mem_gib += r->mem;
                    g->sms += r->sms;
                    g->tenant = r->tenant;
                    g->hard = g->hard || r->hard;
                }
                memcpy(plan->mps.items, items, x->nr * sizeof(*items));
            } else {
                plan->mps.refused++;
            }
            free(items);
        }
        spent += p->nodes;
        plan->mps.cut = plan->mps.cut || p->cut;
        p->cut = false;
    }
    if (!plan->mps.fits && plan->mps.refused > 0)
        str_append(plan->mps.why, sizeof(plan->mps.why),
                   "%s: no layout groups them within each instance's memory, SMs and MPS client "
                   "limit and meets every latency target (%u grouping%s fitted and missed one)%s",
                   gpu->model, plan->mps.refused, plan->mps.refused == 1 ? "" : "s",
                   plan->mps.cut ? " (the search stopped early)" : "");
    else if (!plan->mps.fits)
        str_append(plan->mps.why, sizeof(plan->mps.why),
                   "%s: no layout groups them within each instance's memory, SMs and MPS client "
                   "limit%s",
                   gpu->model, plan->mps.cut ? " (the search stopped early)" : "");
    free(p);
    free(order);
}

/* d. MPS on the whole GPU. */
static void mp_mps_gpu(const struct mp_ctx *x, struct mig_plan *plan)
{
    const struct mig_gpu *gpu = x->gpu;
    bool unknown = false;

    plan->mps_gpu.clients = (unsigned)x->nr;
    plan->mps_gpu.client_limit = MIG_PLAN_MPS_CLIENTS;
    plan->mps_gpu.gpu_mem_gib = gpu->mem_gib;
    plan->mps_gpu.gpu_sms = gpu->sms;
    for (size_t k = 0; k < x->nr; k++) {
        plan->mps_gpu.mem_gib += x->reps[k].mem;
        plan->mps_gpu.sms += x->reps[k].sms;
        unknown = unknown || x->reps[k].sms_unknown;
    }
    if (x->nr > MIG_PLAN_MPS_CLIENTS)
        str_append(plan->mps_gpu.why, sizeof(plan->mps_gpu.why),
                   "%zu clients: more than the %d one MPS server takes (CUDA <= 13.0)", x->nr,
                   MIG_PLAN_MPS_CLIENTS);
    else if (plan->mps_gpu.mem_gib > gpu->mem_gib + MP_EPS)
        str_append(plan->mps_gpu.why, sizeof(plan->mps_gpu.why),
                   "%g GiB in all: more than %s's %g GiB", plan->mps_gpu.mem_gib, gpu->model,
                   gpu->mem_gib);
    else if (unknown || (plan->mps_gpu.sms > 0 && gpu->sms == 0))
        str_append(plan->mps_gpu.why, sizeof(plan->mps_gpu.why),
                   "the catalog does not know %s's SMs, which the SM floors need", gpu->model);
    else if (plan->mps_gpu.sms > gpu->sms)
        str_append(plan->mps_gpu.why, sizeof(plan->mps_gpu.why), "%u SMs in all: more than %s's %u",
                   plan->mps_gpu.sms, gpu->model, gpu->sms);
    else
        plan->mps_gpu.fits = true;
}

int mig_plan_solve(struct error *err, const struct mig_gpu *gpu, const struct demand_set *set,
                   struct mig_plan *plan)
{
    return mig_plan_solve_accept(err, gpu, set, plan, NULL, NULL);
}

int mig_plan_solve_accept(struct error *err, const struct mig_gpu *gpu,
                          const struct demand_set *set, struct mig_plan *plan,
                          mig_plan_accept_fn *accept, void *arg)
{
    struct mp_ctx x = {.gpu = gpu, .set = set, .accept = accept, .accept_arg = arg};
    size_t *idx = NULL, too_big = 0, first_big = 0, unknown = 0, first_unknown = 0;
    unsigned inst[MIG_MAX_INSTANCES];

    memset(plan, 0, sizeof(*plan));
    plan->gpu = gpu;
    if (set->n == 0)
        return error_set(err, ERR_INVALID, "no demands to plan");
    if (set->n > PLAN_MAX_DEMANDS || demand_replicas(set) > PLAN_MAX_REPLICAS)
        return error_set(err, ERR_INVALID, "more than %d demands or %d replicas to plan",
                         PLAN_MAX_DEMANDS, PLAN_MAX_REPLICAS);
    if (gpu->n_profiles == 0 || gpu->n_profiles > MIG_MAX_PROFILES)
        return error_set(err, ERR_INVALID, "%s: no usable MIG profiles in the catalog", gpu->model);
    mp_reps_init(&x);
    mp_cands_init(&x.cands, gpu);
    plan->replicas = x.nr;

    for (size_t d = 0; d < set->n; d++) {
        bool held = false;

        for (unsigned j = 0; j < gpu->n_profiles && !held; j++)
            held = mig_plan_holds(gpu, &gpu->profiles[j], &set->d[d]) &&
                   mp_mslices(&gpu->profiles[j]) > 0;
        if (held)
            continue;
        // Unknown is not too small: a replica that an unverified row might hold is not "too
        // big", and the plan says which figures are missing.
        if (mp_unknown_fit(gpu, &set->d[d])) {
            if (unknown++ == 0)
                first_unknown = d;
        } else if (too_big++ == 0)
            first_big = d;
    }
    idx = xcalloc(x.nr, sizeof(*idx));
    for (size_t k = 0; k < x.nr; k++)
        idx[k] = k;
    if (too_big == 0 && unknown == 0 &&
        mp_one_each(&x.cands, x.reps, idx, x.nr, &plan->layout, inst)) {
        plan->fits = true;
        plan->reason = MIG_PLAN_FITS;
        mig_layout_usage(&plan->layout, &plan->usage);
        plan->free_mem_slices = gpu->mem_slices - plan->usage.mem_slices;
        for (unsigned i = 0; i < plan->layout.n; i++)
            plan->media_ext = plan->media_ext || gpu->profiles[plan->layout.prof[i]].media_ext;
        plan->n_items = x.nr;
        for (size_t k = 0; k < x.nr; k++)
            plan->items[k] = (struct mig_plan_item){
                .demand = x.reps[k].demand, .replica = x.reps[k].replica, .instance = inst[k]};
        goto done;
    }

    if (too_big > 0) {
        plan->reason = MIG_PLAN_TOO_BIG;
        mp_why_too_big(&x, plan, first_big, too_big, unknown);
    } else if (unknown > 0) {
        plan->reason = MIG_PLAN_UNKNOWN;
        mp_why_too_big(&x, plan, first_unknown, too_big, unknown);
    } else if (x.nr > x.cands.max_n) {
        plan->reason = MIG_PLAN_TOO_MANY;
        str_append(plan->why, sizeof(plan->why),
                   "%zu replicas need %zu GPU instances, one each; %s holds at most %u at once",
                   x.nr, x.nr, gpu->model, x.cands.max_n);
    } else {
        plan->reason = MIG_PLAN_NO_ROOM;
        mp_why_no_room(&x, plan);
        mp_unknown_note(&x, plan->why, sizeof(plan->why));
    }
    mp_other_gpus(&x, plan);
    mp_multi(&x, plan);
    mp_mps(&x, plan);
    mp_mps_gpu(&x, plan);
done:
    free(idx);
    mp_ctx_release(&x);
    return 0;
}
