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

/* The wait at p50 and p99: normal, clipped to every turn at once, inflated for the queue. */
static void mdl_waits(const struct mdl_sum *s, double rho, struct mdl_out *o)
{
    double q = 1 / (1 - rho);
    double w99 = s->mean + MDL_Z99 * sqrt(s->var > 0 ? s->var : 0);

    o->rho = rho;
    o->stable = rho < 1;
    o->wait_max_ms = s->max;
    o->wait50_ms = o->stable ? fmin(s->mean, s->max) * q : INFINITY;
    o->wait99_ms = o->stable ? fmin(w99, s->max) * q : INFINITY;
}

void mdl_timeslice(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i,
                   struct mdl_out *o)
{
    struct mdl_sum s = {0};
    double S = p->slice_ms, C = p->switch_ms, rho = 0, t = c[i].t_ms;
    bool others = false;

    for (size_t j = 0; j < n; j++) {
        if (c[j].rate > 0)
            rho += c[j].rate * (c[j].t_ms + C) / 1000;
        if (j == i)
            continue;
        if (c[j].rate > 0) {
            mdl_add(&s, c[j].rate * (c[j].t_ms + C) / 1000, fmin(S, c[j].t_ms) + C);
            others = true;
        } else if (c[j].busy > 0) {
            mdl_add(&s, c[j].busy, S + C);
            others = true;
        }
    }
    // A request longer than a slice is switched out at the end of each of its slices and waits
    // for the others again: every turn of its own is a wait of its own.
    if (others && t > S) {
        double turns = ceil(t / S);

        s.mean *= turns;
        s.var *= turns;
        s.max *= turns;
        C *= turns;
    }
    mdl_waits(&s, rho, o);
    // Alone, nothing switches its context out; with others, it is switched back in each time.
    o->p50_ms = t + (others ? C : 0) + o->wait50_ms;
    o->p99_ms = t * p->ts_tail + (others ? C : 0) + o->wait99_ms;
}

void mdl_mps(const struct mdl_params *p, const struct mdl_ctx *c, size_t n, size_t i, double own_ms,
             struct mdl_out *o)
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
    o->p50_ms = own_ms + o->wait50_ms;
    o->p99_ms = own_ms * p->mps_tail + o->wait99_ms;
}

void mdl_alone(const struct mdl_params *p, double t_ms, bool mps, struct mdl_out *o)
{
    o->rho = 0;
    o->stable = true;
    o->wait_max_ms = o->wait50_ms = o->wait99_ms = 0;
    o->p50_ms = t_ms;
    o->p99_ms = t_ms * (mps ? p->mps_tail : p->ts_tail);
}

double mdl_delay_at(const double d[4], double k, bool *extrapolated)
{
    size_t lo;
    double frac;

    if (!(k > 0))
        return 0;
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
