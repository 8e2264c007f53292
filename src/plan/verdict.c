/*
 * The planner's sentences (plan/planner_int.h): for each mode what breaks, with its number and
 * the figure behind it; the one-line answer; why the recommendation beat the others.
 */
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "plan/evidence.h"
#include "plan/mps_share.h"
#include "plan/planner.h"
#include "plan/planner_int.h"

struct vd_num {
    char s[32];
};

static const char *vd_ms(struct vd_num *n, double ms)
{
    str_ms(n->s, sizeof(n->s), ms);
    return n->s;
}

static const char *vd_g(struct vd_num *n, double v)
{
    str_num(n->s, sizeof(n->s), v);
    return n->s;
}

/* The workload with the worst latency margin, or the first unstable one. */
static size_t vd_worst(const struct pl_ctx *x, const struct plan_mode_result *r)
{
    size_t worst = SIZE_MAX;
    double ratio = -1;

    for (size_t w = 0; w < x->set->n; w++) {
        const struct demand *d = &x->set->d[w];
        double q;

        if (d->rate <= 0)
            continue;
        q = !r->wl[w].stable ? INFINITY : d->slo_ms > 0 ? r->wl[w].p99_ms / d->slo_ms : 0;
        if (q > ratio) {
            ratio = q;
            worst = w;
        }
    }
    return worst;
}

static const struct plan_gpu *vd_gpu_of(const struct pl_ctx *x, const struct plan_mode_result *r,
                                        size_t w)
{
    size_t u = r->wl[w].gpu;

    return &x->plan->gpus[u < r->n_units ? r->units[u].model : 0];
}

/* Why a latency target is missed, in the mode's terms. */
/* The curve's source, and that the prediction went below its smallest point. */
static void vd_curve(const struct pl_ctx *x, const struct plan_mode_result *r, char *out,
                     size_t size)
{
    evidence_cite_curve(&x->plan->gpus[0].ev, out, size);
    if (r->extrapolated)
        str_append(out, size, "; extrapolated below its smallest slice, in proportion to SMs");
}

static void vd_slo(const struct pl_ctx *x, const struct plan_mode_result *r, size_t w, char *out,
                   size_t size)
{
    const struct demand *d = &x->set->d[w];
    const struct plan_wl *wl = &r->wl[w];
    const struct plan_gpu *pg = vd_gpu_of(x, r, w);
    struct vd_num a, b, c, e, f;
    char cite[300];

    if (!wl->stable) {
        const struct plan_unit *u = &r->units[wl->gpu];

        str_append(out, size,
                   "the requests on the GPU of '%s' need %s s of GPU time per second%s: they queue "
                   "without bound",
                   d->name, vd_g(&a, u->load),
                   r->mode == PM_TIMESLICE ? ", and each also pays a switch" : "");
        return;
    }
    str_append(out, size, "'%s' p99 %s > SLO %s", d->name, vd_ms(&a, wl->p99_ms),
               vd_ms(&b, d->slo_ms));
    switch (r->mode) {
    case PM_TIMESLICE:
        evidence_cite(&pg->ev, EV_SLICE_MS, cite, sizeof(cite));
        str_append(out, size,
                   ": a request can wait for %u neighbours' turns, %u x %s = %s in all (each a "
                   "request of at most the %s slice and a %s switch: %s)",
                   wl->neighbours, wl->neighbours,
                   vd_ms(&c, wl->neighbours > 0 ? wl->wait_max_ms / wl->neighbours : 0),
                   vd_ms(&e, wl->wait_max_ms), vd_ms(&f, pg->params.slice_ms),
                   vd_ms(&a, pg->params.switch_ms), cite);
        return;
    case PM_MPS_CAPS:
        vd_curve(x, r, cite, sizeof(cite));
        str_append(out, size,
                   ": at its %s%% cap a request takes %s alone, %sx its whole-GPU time (%s)",
                   vd_g(&c, r->units[wl->gpu].thread_pct), vd_ms(&e, wl->t_ms),
                   vd_g(&f, wl->t_ms / d->request_ms), cite);
        return;
    case PM_MIG:
    case PM_MIG_MPS:
    case PM_MIXED:
        if (wl->t_ms > d->request_ms * 1.01) {
            vd_curve(x, r, cite, sizeof(cite));
            str_append(
                out, size,
                ": in its slice a request takes %s, %sx its whole-GPU time: the slice's share "
                "of SMs (%s) and of the memory bandwidth (MIG User Guide)",
                vd_ms(&c, wl->t_ms), vd_g(&e, wl->t_ms / d->request_ms), cite);
            return;
        }
        break;
    default:
        break;
    }
    if (wl->neighbours > 0) {
        evidence_cite(&pg->ev, EV_MPS_P99_MS, cite, sizeof(cite));
        str_append(out, size, ": it shares the GPU with %u other clients (the tail alone: %s)",
                   wl->neighbours, cite);
    }
}

/* The first workload whose isolation need the mode does not meet. */
static void vd_iso(const struct pl_ctx *x, const struct plan_mode_result *r, char *out, size_t size)
{
    for (size_t w = 0; w < x->set->n; w++) {
        const struct demand *d = &x->set->d[w];

        if (r->wl[w].iso_met)
            continue;
        str_append(out, size,
                   "'%s' needs %s isolation; %s isolates memory: %s, faults: %s, performance: %s "
                   "(%s)",
                   d->name, demand_isolation_name(d->isolation), plan_mode_title(r->mode),
                   plan_iso_name(r->iso.memory), plan_iso_name(r->iso.faults),
                   plan_iso_name(r->iso.performance),
                   d->isolation == ISO_HARD ? r->iso.faults_why : r->iso.memory_why);
        return;
    }
}

/* Which resource sets the GPU count. */
static void vd_count(const struct pl_ctx *x, const struct plan_mode_result *r, char *out,
                     size_t size)
{
    const struct plan_gpu *pg = &x->plan->gpus[0];
    struct vd_num a, b;

    str_append(out, size, "needs %zu x %s, you have %zu", r->gpus_needed, pg->g->model,
               r->gpus_available);
    if (r->mode == PM_WHOLE) {
        str_append(out, size, ": one per replica");
        return;
    }
    if (r->mode == PM_MIG || r->mode == PM_MIXED) {
        if (r->mode == PM_MIXED && x->n_tenants > 1)
            str_append(out, size,
                       ": MIG slices for hard isolation, and GPUs of their own for %zu "
                       "tenants under MPS",
                       x->n_tenants);
        return;
    }
    if (r->mode != PM_TIMESLICE && x->n_tenants > 1) {
        str_append(out, size,
                   ": %zu tenants, and MPS serves one user at a time on a GPU (MPS doc 2.3.1.1)",
                   x->n_tenants);
        return;
    }
    {
        double mem = 0, work = 0, biggest = 0;
        size_t big = 0;

        for (size_t k = 0; k < x->nr; k++) {
            mem += x->reps[k].mem_gib;
            work += x->reps[k].work;
            if (x->reps[k].mem_gib > biggest) {
                biggest = x->reps[k].mem_gib;
                big = k;
            }
        }
        if (r->mode == PM_MPS_CAPS && r->n_units > 0 &&
            biggest * r->units[0].members * 2 > pg->mem_gib) {
            unsigned n = (unsigned)(r->units[0].thread_pct > 0 ? 100 / r->units[0].thread_pct : 1);

            str_append(out, size,
                       ": the device plugin gives every replica of a GPU memory / N and 100/N of "
                       "the threads, one N for all (k8s-device-plugin "
                       "cmd/mps-control-daemon/mps/daemon.go); '%s' needs %s GiB with its context, "
                       "so N is at most %u",
                       pl_wl(x, big)->name, vd_g(&a, biggest), n);
            return;
        }
        if (r->mode != PM_TIMESLICE && (double)x->nr / pg->mps_clients >= mem / pg->mem_gib &&
            (double)x->nr / pg->mps_clients >= work) {
            char cite[300];

            evidence_cite(&pg->ev, EV_MPS_CLIENTS, cite, sizeof(cite));
            str_append(out, size, ": %zu clients, %u per MPS server (%s)", x->nr, pg->mps_clients,
                       cite);
        } else if (mem / pg->mem_gib >= work) {
            str_append(out, size, ": %s GiB with a context each, %s GiB per GPU", vd_g(&a, mem),
                       vd_g(&b, pg->mem_gib));
        } else {
            str_append(out, size, ": %s GPUs' worth of compute", vd_g(&a, work));
        }
        if (r->gpus_needed > r->lower_bound)
            str_append(out, size, "; the latency targets and limits spread them over %zu",
                       r->gpus_needed);
    }
}

/* A working mode's risk: the thing to know before taking it. */
static void vd_risk(const struct pl_ctx *x, const struct plan_mode_result *r, char *out,
                    size_t size)
{
    const struct plan_gpu *pg = &x->plan->gpus[0];
    unsigned most = 0;
    struct vd_num a, b, c;
    char cite[300];

    for (size_t u = 0; u < r->n_units; u++)
        most = r->units[u].members > most ? (unsigned)r->units[u].members : most;
    switch (r->mode) {
    case PM_WHOLE:
        str_append(out, size, "%zu GPUs, %s%% busy on average", r->gpus_needed,
                   vd_g(&a, 100 * r->util_after));
        return;
    case PM_TIMESLICE:
        str_append(out, size,
                   "no memory isolation: one replica can take all %s GiB and the others "
                   "fail; and faults: %s",
                   vd_g(&a, pg->mem_gib), r->iso.faults_why);
        return;
    case PM_MPS:
        str_append(out, size,
                   "one fatal fault stops all %u clients of a GPU (MPS doc 2.3.3.2), and nothing "
                   "limits a client's memory",
                   most);
        return;
    case PM_MPS_LIMITS:
        evidence_cite(&pg->ev, EV_MEMLIMIT_OK, cite, sizeof(cite));
        str_append(out, size,
                   "one fatal fault stops all %u clients of a GPU (MPS doc 2.3.3.2); memory is "
                   "limited per client (%s)",
                   most, cite);
        return;
    case PM_MPS_CAPS: {
        size_t w = vd_worst(x, r);

        vd_curve(x, r, cite, sizeof(cite));
        if (w != SIZE_MAX)
            str_append(out, size,
                       "each of %u clients gets %u%% of the threads: a request of '%s' takes %s, "
                       "%sx its whole-GPU time (%s); one fatal fault stops them all",
                       most, mps_share_pct(most), x->set->d[w].name, vd_ms(&a, r->wl[w].t_ms),
                       vd_g(&b, r->wl[w].t_ms / x->set->d[w].request_ms), cite);
        else
            str_append(out, size,
                       "each of %u clients gets %u%% of the threads and 1/%u of the memory; "
                       "one fatal fault stops them all",
                       most, mps_share_pct(most), most);
        return;
    }
    case PM_MPS_PRIORITY:
        evidence_cite(&pg->ev, EV_LOW_K1_P99, cite, sizeof(cite));
        str_append(out, size,
                   "priority is a hint (MPS doc 2.3.8): beside one below-normal gemm client a "
                   "request's p99 was %s (%s)",
                   vd_ms(&a, pg->ev.f[EV_LOW_K1_P99].v), cite);
        return;
    case PM_MIG:
    case PM_MIG_MPS:
    case PM_MIXED: {
        struct mig_usage use = {0};
        unsigned stranded = 0;

        for (size_t u = 0; u < r->n_units; u++)
            if (r->units[u].is_mig) {
                mig_layout_usage(&r->units[u].mig, &use);
                stranded += use.sms_stranded;
            }
        str_append(
            out, size,
            "layouts are fixed: changing one needs the GPU idle (MIG User Guide); %s SMs stand "
            "idle between slices%s",
            vd_g(&c, stranded),
            r->mode == PM_MIG ? "" : ", and inside a slice one fatal fault stops its group");
        return;
    }
    default:
        return;
    }
}

static void vd_breaks(const struct pl_ctx *x, struct plan_mode_result *r)
{
    char *out = r->breaks;
    size_t size = sizeof(r->breaks), worst;

    if (!r->evaluated || r->n_units == 0) /* nothing placed: the engine said why */
        return;
    if (!r->memory_met) {
        if (out[0] != '\0')
            return;
        for (size_t k = 0; k < x->nr; k++)
            if (x->reps[k].mem_gib > x->plan->gpus[0].mem_gib + PL_EPS) {
                struct vd_num a, b;

                str_append(out, size,
                           "'%s' needs %s GiB with its context, more than one %s has (%s GiB)",
                           pl_wl(x, k)->name, vd_g(&a, x->reps[k].mem_gib),
                           x->plan->gpus[0].g->model, vd_g(&b, x->plan->gpus[0].mem_gib));
                return;
            }
        return;
    }
    if (!r->fits) {
        if (out[0] != '\0')
            str_append(out, size, "; ");
        vd_count(x, r, out, size);
        return;
    }
    out[0] = '\0';
    worst = vd_worst(x, r);
    if (!r->stable || !r->slo_met) {
        vd_slo(x, r, worst, out, size);
        if (r->gpus_for_slo > 0)
            str_append(out, size, "; meeting every target takes %zu GPUs", r->gpus_for_slo);
        return;
    }
    if (!r->iso_met) {
        vd_iso(x, r, out, size);
        return;
    }
    if (!r->predicted) {
        str_append(out, size,
                   "a latency target cannot be checked: a figure the model needs was not "
                   "measured (slice, switch or solo tail)");
        return;
    }
    vd_risk(x, r, out, size);
}

static void vd_summary(const struct pl_ctx *x, struct plan_mode_result *r)
{
    const struct plan_gpu *pg = &x->plan->gpus[0];
    double mem = 0;
    struct vd_num a, b, c, e;

    for (size_t u = 0; u < r->n_units; u++)
        mem += r->units[u].mem_gib;
    str_append(r->summary, sizeof(r->summary), "%s: %zu replica%s on %zu x %s",
               plan_mode_title(r->mode), x->nr, x->nr == 1 ? "" : "s", r->gpus_needed,
               pg->g->model);
    if (!isnan(r->worst_ratio) && r->worst_name != NULL) {
        size_t w = 0;

        while (w < x->set->n && x->set->d[w].name != r->worst_name)
            w++;
        str_append(r->summary, sizeof(r->summary), ", worst p99 %s against its SLO of %s ('%s')",
                   vd_ms(&a, r->wl[w].p99_ms), vd_ms(&b, x->set->d[w].slo_ms), r->worst_name);
    }
    str_append(r->summary, sizeof(r->summary), ", %s of %s GiB", vd_g(&c, mem),
               vd_g(&e, pg->mem_gib * (double)r->gpus_needed));
}

static void vd_rationale(struct plan *p)
{
    const struct plan_mode_result *b = &p->modes[p->best];
    char *out = p->rationale;
    size_t size = sizeof(p->rationale);
    size_t fewer = 0;
    struct vd_num a;

    for (int m = 0; m < PM_COUNT; m++)
        if (p->modes[m].rank > 0 && p->modes[m].gpus_needed == b->gpus_needed)
            fewer++;
    str_append(out, size,
               "%s fits the workloads on %zu GPU%s and meets every latency target and "
               "isolation need",
               plan_mode_title(b->mode), b->gpus_needed, b->gpus_needed == 1 ? "" : "s");
    if (fewer > 1)
        str_append(out, size,
                   "; of the %zu modes that do so on %zu GPU%s, it isolates the most "
                   "(memory %s, faults %s, performance %s)",
                   fewer, b->gpus_needed, b->gpus_needed == 1 ? "" : "s",
                   plan_iso_name(b->iso.memory), plan_iso_name(b->iso.faults),
                   plan_iso_name(b->iso.performance));
    if (p->n_close > 0) {
        str_append(out, size, ". Close:");
        for (size_t i = 0; i < p->n_close; i++) {
            const struct plan_mode_result *c = &p->modes[p->close[i]];

            str_append(out, size, "%s %s", i > 0 ? "," : "", plan_mode_name(c->mode));
            if (!isnan(c->worst_ratio))
                str_append(out, size, " (worst p99 at %s%% of its SLO)",
                           vd_g(&a, 100 * c->worst_ratio));
        }
        str_append(out, size,
                   ": their latency margins differ by less than the model's accuracy goal "
                   "(25%% at p99), so the model cannot tell them apart");
    }
}

/* Why nothing works, leading with the one fact that settles it when there is one. */
static void vd_no_mode(const struct pl_ctx *x)
{
    struct plan *p = x->plan;
    const struct plan_mode_result *fewest = NULL;
    char *out = p->rationale;
    size_t size = sizeof(p->rationale);
    struct vd_num a, b;

    out[0] = '\0';
    for (size_t k = 0; k < x->nr; k++)
        if (x->reps[k].mem_gib > p->gpus[0].mem_gib + PL_EPS) {
            str_append(out, size,
                       "no mode can hold '%s': it needs %s GiB with its context, more than one %s "
                       "has (%s GiB); it needs a GPU with more memory or to be split across GPUs",
                       pl_wl(x, k)->name, vd_g(&a, x->reps[k].mem_gib), p->gpus[0].g->model,
                       vd_g(&b, p->gpus[0].mem_gib));
            return;
        }
    for (int m = 0; m < PM_COUNT; m++) {
        const struct plan_mode_result *r = &p->modes[m];

        if (r->evaluated && r->memory_met && r->slo_met && r->iso_met && r->gpus_needed > 0 &&
            (fewest == NULL || r->gpus_needed < fewest->gpus_needed))
            fewest = r;
    }
    str_append(out, size, "no mode fits the workloads on the %zu GPU%s given", p->gpus_available,
               p->gpus_available == 1 ? "" : "s");
    if (fewest != NULL)
        str_append(out, size,
                   "; the fewest GPUs that meet every target and isolation need: %zu (%s)",
                   fewest->gpus_needed, plan_mode_title(fewest->mode));
    str_append(out, size, "; each mode's line says what breaks");
}

void pl_sentences(struct pl_ctx *x)
{
    struct plan *p = x->plan;

    for (int m = 0; m < PM_COUNT; m++) {
        vd_breaks(x, &p->modes[m]);
        if (p->modes[m].evaluated && p->modes[m].n_units > 0)
            vd_summary(x, &p->modes[m]);
    }
    if (p->any_works)
        vd_rationale(p);
    else
        vd_no_mode(x);
}
