/*
 * The latency model's formulas (plan/model.h, docs/plan.md).
 */
#include "plan/model.h"

#include <math.h>

/* The sum of independent B(u) * U(0, a) terms: mean, variance and the sum of every a. */
struct mdl_sum {
    double mean, var, max;
};

static void mdl_add(struct mdl_sum *s, double u, double a)
{
    if (!(u > 0) || !(a > 0))
        return;
    if (u > 1)
        u = 1;
    s->mean += u * a / 2;
    s->var += u * a * a / 3 - (u * a / 2) * (u * a / 2);
    s->max += a;
}

/* The wait for the neighbours at p50 and p99: normal, never beyond every turn at once. */
static void mdl_waits(const struct mdl_sum *s, double rho, struct mdl_out *o)
{
    double w99 = s->mean + MDL_Z99 * sqrt(s->var > 0 ? s->var : 0);

    o->rho = rho;
    o->stable = true;
    o->own_queue_ms = 0;
    o->wait_max_ms = s->max;
    o->wait50_ms = fmin(s->mean, s->max);
    o->wait99_ms = fmin(w99, s->max);
}

/*
 * A process serves its requests one at a time: a request also waits for the ones before it.
 * With x its time from the start of its service (p50), the process is a queue of load
 * rate x: the mean wait of M/D/1, rho x / (2 (1 - rho)), goes on p50 and p99 alike.
 */
static void mdl_own_queue(double rate, struct mdl_out *o)
{
    double x = o->p50_ms, rho = rate * x / 1000, w;

    if (!(rate > 0) || isnan(x))
        return;
    if (rho >= 1) {
        o->stable = false;
        o->p50_ms = o->p99_ms = INFINITY;
        return;
    }
    w = rho * x / (2 * (1 - rho));
    o->own_queue_ms = w;
    o->p50_ms += w;
    o->p99_ms += w;
}

/* The p99 of a request alone: the caller's, else its p50 times the measured tail. */
static double mdl_t99(double t50, double t99, double tail)
{
    return t99 > 0 ? t99 : t50 * tail;
}

/* A context k's part of a time-sliced wait: on the GPU with probability on (the rest of its
 * turn ahead, uniform), waiting in the queue with probability queued (its whole turn). */
static void mdl_add_turn(struct mdl_sum *s, double on, double queued, double a)
{
    if (!(a > 0) || !(on + queued > 0))
        return;
    s->mean += a * (on / 2 + queued);
    s->var += a * a * (on / 3 + queued) - a * a * (on / 2 + queued) * (on / 2 + queued);
    s->max += a;
}

/* Another context's turn a and the shares of time it is on the GPU and waiting for it. */
struct mdl_turn {
    double a, on, queued;
};

/* Context c's turn beside request streams of load rho and batch work batch_w (the sum of
 * busy * turn), w the mean wait (0: leave a stream's queueing out). false: no work. */
static bool mdl_turn_of(const struct mdl_params *p, const struct mdl_ctx *c, double rho,
                        double batch_w, double w, struct mdl_turn *o)
{
    double S = p->slice_ms, C = p->switch_ms, b = fmin(c->busy, 1);

    if (c->rate > 0) {
        o->a = fmin(S, c->t_ms) + C;
        o->on = fmin(1, c->rate * (c->t_ms + C) / 1000);
        o->queued = fmin(1 - o->on, c->rate * w / 1000);
        return true;
    }
    if (!(b > 0) || !(batch_w > 0))
        return false;
    // Batch processes share what the request streams leave, in proportion to their work.
    o->a = S + C;
    o->on = b * fmax(0, 1 - fmin(rho, 1)) * (b * o->a / batch_w);
    o->queued = b - o->on;
    return true;
}

/*
 * Time-slicing serves the contexts that have work in turn, and one that wakes up joins the end
 * of the turn (the victim test: a request issued as the last one ended waited (N-1) whole turns
 * of its N-1 gemm neighbours, p50 and p99 alike). So a request waits for the rest of the turn
 * on the GPU (arriving at a random moment: uniform, half a turn on average) and the whole turn
 * of every context waiting: a request stream j waits with probability rate_j W (Little's law, W the
 * mean wait, taken the same for every stream), a batch process whenever it has work and is
 * not on the GPU.
 */
void mdl_timeslice(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i,
                   double t99, struct mdl_out *o)
{
    struct mdl_sum s = {0};
    struct mdl_turn tj;
    double S = p->slice_ms, C = p->switch_ms, rho = 0, rho_other = 0, batch_w = 0;
    double t = c[i].t_ms, fixed = 0, present = 0, turns = 1, w;

    if (isnan(S) || isnan(C)) {
        // Without the slice or the switch nothing beside another context can be predicted;
        // alone it is the request itself.
        for (size_t j = 0; j < n; j++)
            if (j != i && (c[j].rate > 0 || c[j].busy > 0)) {
                *o = (struct mdl_out){.p50_ms = NAN, .p99_ms = NAN, .stable = true};
                return;
            }
        mdl_alone(p, c[i].rate, t, t99, false, o);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        if (c[j].rate > 0)
            rho += c[j].rate * (c[j].t_ms + C) / 1000;
        if (c[j].rate > 0 && j != i)
            rho_other += c[j].rate * (fmin(S, c[j].t_ms) + C) / 1000;
        else if (c[j].rate <= 0 && c[j].busy > 0 && j != i)
            batch_w += fmin(c[j].busy, 1) * (S + C);
    }
    // The mean wait W solves W = fixed + W * rho_other: what the contexts on the GPU and the
    // batch ones leave, plus each stream's whole turn with probability rate W.
    for (size_t j = 0; j < n; j++)
        if (j != i && mdl_turn_of(p, &c[j], rho, batch_w, 0, &tj))
            fixed += tj.a * (tj.on / 2 + tj.queued);
    w = rho_other < 1 ? fixed / (1 - rho_other) : INFINITY;
    for (size_t j = 0; j < n; j++)
        if (j != i && mdl_turn_of(p, &c[j], rho, batch_w, w, &tj)) {
            mdl_add_turn(&s, tj.on, tj.queued, tj.a);
            present += tj.on + tj.queued;
        }
    // A request longer than a slice is switched out at the end of each of its slices and joins
    // the end of the turn again: every turn of its own is a wait of its own.
    if (present > 0 && t > S) {
        turns = ceil(t / S);
        s.mean *= turns;
        s.var *= turns;
        s.max *= turns;
    }
    mdl_waits(&s, rho, o);
    // Its context is switched in when another ran before it: as often as another has work.
    C *= fmin(1, present) * turns;
    o->p50_ms = t + C + o->wait50_ms;
    o->p99_ms = mdl_t99(t, t99, p->ts_tail) + C + o->wait99_ms;
    mdl_own_queue(c[i].rate, o);
}

void mdl_mps(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i, double own50,
             double own99, struct mdl_out *o)
{
    struct mdl_sum s = {0};
    double rho = 0, t = c[i].t_ms;

    for (size_t j = 0; j < n; j++) {
        if (c[j].rate > 0)
            rho += c[j].rate * c[j].t_ms / 1000;
        if (j != i && c[j].rate > 0)
            mdl_add(&s, c[j].rate * (c[j].t_ms + t) / 1000, fmin(c[j].t_ms, t));
    }
    mdl_waits(&s, rho, o);
    o->stable = rho < 1;
    o->p50_ms = own50 + o->wait50_ms;
    o->p99_ms = mdl_t99(own50, own99, p->mps_tail) + o->wait99_ms;
    if (!o->stable)
        o->p50_ms = o->p99_ms = INFINITY;
    else
        mdl_own_queue(c[i].rate, o);
}

void mdl_alone(const struct mdl_params *p, double rate, double t50, double t99, bool mps,
               struct mdl_out *o)
{
    o->rho = rate * t50 / 1000;
    o->stable = true;
    o->own_queue_ms = 0;
    o->wait_max_ms = o->wait50_ms = o->wait99_ms = 0;
    o->p50_ms = t50;
    o->p99_ms = mdl_t99(t50, t99, mps ? p->mps_tail : p->ts_tail);
    mdl_own_queue(rate, o);
}

double mdl_delay_at(const double d[4], double k, bool *extrapolated)
{
    size_t lo;
    double frac;

    if (isnan(k))
        return NAN;
    if (!(k > 0))
        return d[0];
    lo = k >= 3 ? 2 : (size_t)floor(k);
    if (k > 3 && extrapolated != NULL)
        *extrapolated = true;
    frac = k - (double)lo;
    return d[lo] + (d[lo + 1] - d[lo]) * frac;
}

double mdl_sm_factor(const double *sms, const double *factor, size_t n, double at,
                     bool *extrapolated)
{
    if (n == 0)
        return NAN;
    if (at >= sms[n - 1])
        return 1;
    if (at < sms[0]) {
        if (extrapolated != NULL)
            *extrapolated = true;
        return factor[0] * sms[0] / (at > 0 ? at : 1);
    }
    for (size_t k = 1; k < n; k++)
        if (at <= sms[k])
            return factor[k - 1] +
                   (factor[k] - factor[k - 1]) * (at - sms[k - 1]) / (sms[k] - sms[k - 1]);
    return 1;
}

unsigned mdl_cap_sms(double pct, unsigned gpu_sms, unsigned step, unsigned min)
{
    double share = pct * gpu_sms / 100;
    unsigned sms = step > 0 ? (unsigned)floor(share / step + 1e-9) * step : (unsigned)floor(share);

    if (sms < min)
        sms = min;
    if (sms < 1)
        sms = 1;
    return sms > gpu_sms ? gpu_sms : sms;
}
