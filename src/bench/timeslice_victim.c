/*
 * bench timeslice, victim part: a latency-sensitive batch-1 inference process alone, then
 * beside 1..P-1 gemm aggressors. Under time-slicing every request that finds an aggressor's
 * context on the GPU waits for its slice to end.
 */
#include "bench/timeslice.h"

#include <math.h>
#include <stdlib.h>

#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "results/results.h"

/* Twice the contention runs: under time-slicing a request can take several slices, and p99.9
 * needs thousands of requests. */
#define VICTIM_DURATION(c) (2 * (c)->duration_s)

struct victim_meas {
    unsigned procs;
    size_t trials;
    double p50[TS_MAX_TRIALS], p99[TS_MAX_TRIALS], p999[TS_MAX_TRIALS], max[TS_MAX_TRIALS];
    double *all; /* every request of every trial, microseconds */
    size_t n_all;
    double aggressor_rate[TS_MAX_TRIALS * TS_MAX_PROCS];
    size_t n_aggr;
    struct ts_nvml nvml;
    unsigned attempts;
};

/* The batch a gemm of this size used alone in the contention part, so aggressors match it. */
static unsigned known_batch(const struct timeslice_opts *o, const struct timeslice_state *st,
                            double *solo_rate)
{
    for (size_t i = 0; i < o->n_sizes; i++)
        if (o->sizes[i] == o->victim_n && st->batch[i] > 0) {
            *solo_rate = st->solo_rate[i];
            return st->batch[i];
        }
    *solo_rate = NAN;
    return 0;
}

static void victim_argvs(const struct multi_ctx *c, const struct timeslice_opts *o, unsigned batch,
                         unsigned procs, struct worker_argv *a)
{
    worker_argv_init(&a[0], c, "infer", VICTIM_DURATION(c));
    worker_argv_add(&a[0], "--hidden", "%u", o->hidden);
    worker_argv_add(&a[0], "--layers", "%u", o->layers);
    worker_argv_add(&a[0], "--dtype", "bf16");
    worker_argv_add(&a[0], "--warmup", "50");
    for (unsigned i = 1; i < procs; i++) {
        worker_argv_init(&a[i], c, "gemm", VICTIM_DURATION(c));
        worker_argv_add(&a[i], "--n", "%u", o->victim_n);
        worker_argv_add(&a[i], "--dtype", "%s", o->bf16 ? "bf16" : "fp32");
        worker_argv_add(&a[i], "--batch", "%u", batch);
        if (o->aggressor_priority != NULL)
            worker_argv_add(&a[i], "--mps-priority", "%s", o->aggressor_priority);
        if (o->aggressor_thread_pct != NULL)
            worker_argv_add(&a[i], "--mps-thread-pct", "%s", o->aggressor_thread_pct);
    }
}

static int take_latencies(struct error *err, const json_t *res, struct victim_meas *m)
{
    const json_t *lat = json_object_get(res, "latencies_us"), *v;
    size_t n = json_array_size(lat), k = m->trials, i;
    double *mine;

    if (n == 0)
        return error_set(err, ERR_INVALID, "the inference worker reported no requests");
    m->all = xreallocarray(m->all, (m->n_all + n) * sizeof(*m->all), 1);
    mine = m->all + m->n_all;
    json_array_foreach (lat, i, v)
        mine[i] = json_number_value(v);
    m->n_all += n;
    m->p50[k] = stats_percentile(mine, n, 50);
    m->p99[k] = stats_percentile(mine, n, 99);
    m->p999[k] = stats_percentile(mine, n, 99.9);
    m->max[k] = stats_percentile(mine, n, 100);
    m->trials++;
    return 0;
}

static int run_trial(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                     unsigned batch, struct victim_meas *m)
{
    struct worker_argv a[TS_MAX_PROCS];
    struct worker_argv *ap[TS_MAX_PROCS];
    struct multi_run r;
    int rc;

    victim_argvs(c, o, batch, m->procs, a);
    for (unsigned i = 0; i < m->procs; i++)
        ap[i] = &a[i];
    if (multi_run(err, c, m->procs, ap, &r) < 0)
        return -1;
    rc = take_latencies(err, r.w[0].result, m);
    for (size_t i = 1; i < r.n; i++)
        m->aggressor_rate[m->n_aggr++] = r.rates[i];
    m->attempts += r.attempts;
    ts_nvml_add(&m->nvml, &r);
    multi_run_free(&r);
    return rc;
}

static double pooled(const struct victim_meas *m, double pct)
{
    return stats_percentile(m->all, m->n_all, pct);
}

static void victim_verdict(json_t *t, const struct timeslice_opts *o, const struct victim_meas *m,
                           double alone_p99)
{
    char detail[256], p99[32];

    str_ms(p99, sizeof(p99), pooled(m, 99) / 1e3);
    if (m->procs == 1) {
        results_verdict(t, VERDICT_INFO, "", "the request latency with the GPU to itself");
        return;
    }
    if (ts_is_mps(o)) {
        str_printf(detail, sizeof(detail),
                   "p99 %s is %.1fx the p99 alone: under MPS the request's kernels run "
                   "beside the aggressors' on shared SMs, with no slice to wait for%s",
                   p99, pooled(m, 99) / alone_p99,
                   o->aggressor_priority != NULL     ? "; aggressors at below-normal priority"
                   : o->aggressor_thread_pct != NULL ? "; aggressors capped by thread percentage"
                                                     : "");
        results_verdict(t, VERDICT_INFO, "", detail);
        return;
    }
    str_printf(detail, sizeof(detail),
               "p99 %s is %.1fx the p99 alone: a request that finds an aggressor's context "
               "on the GPU waits for its slice to end",
               p99, pooled(m, 99) / alone_p99);
    results_verdict(t, VERDICT_INFO, "", detail);
}

static void record(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                   struct timeslice_state *st, const struct victim_meas *m, double solo_rate)
{
    char id[64], group[64], title[128];
    double alone = st->victim_alone_p99_us;
    double cycle = st->slice_us[m->procs] + st->switch_us[m->procs];
    char variant[32] = "", how[64] = "";
    json_t *t;

    if (o->aggressor_priority != NULL) {
        str_printf(variant, sizeof(variant), ".lowprio");
        str_printf(how, sizeof(how), " of below-normal MPS priority");
    } else if (o->aggressor_thread_pct != NULL) {
        str_printf(variant, sizeof(variant), ".cap%s", o->aggressor_thread_pct);
        str_printf(how, sizeof(how), " capped at %s%% of the threads", o->aggressor_thread_pct);
    }
    str_printf(id, sizeof(id), "%s.victim%s.p%u", ts_mode(o), variant, m->procs);
    str_printf(group, sizeof(group), "%s.victim%s", ts_mode(o), variant);
    str_printf(title, sizeof(title), "batch-1 inference beside %u gemm aggressor%s%s", m->procs - 1,
               m->procs == 2 ? "" : "s", how);
    t = results_add_test(c->doc, id, group, title);
    ts_params(t, c, o, m->procs);
    results_param_num(t, "duration_s", VICTIM_DURATION(c));
    results_param_int(t, "hidden", o->hidden);
    results_param_int(t, "layers", o->layers);
    results_param_str(t, "infer_dtype", "bf16");
    results_param_int(t, "aggressor_n", o->victim_n);
    results_metric(err, t, "p99_latency", "us", "lower", m->p99, m->trials);
    ts_series(t, "p50_us", "us", m->p50, m->trials);
    ts_series(t, "p999_us", "us", m->p999, m->trials);
    ts_series(t, "max_us", "us", m->max, m->trials);
    if (m->procs > 1)
        results_bound(t, alone, "us", "lower", "the same request's p99 with the GPU to itself");
    results_derived(t, "requests", (double)m->n_all);
    results_derived(t, "p50_us", pooled(m, 50));
    results_derived(t, "p99_us", pooled(m, 99));
    results_derived(t, "p999_us", pooled(m, 99.9));
    results_derived(t, "max_us", pooled(m, 100));
    results_derived(t, "p99_inflation", pooled(m, 99) / alone);
    results_derived(t, "p50_inflation", pooled(m, 50) / st->victim_alone_p50_us);
    /* Waiting behind every aggressor's slice once: what the timeline part predicts. */
    if (isfinite(cycle))
        results_derived(t, "expected_wait_us", (m->procs - 1) * cycle);
    if (m->n_aggr > 0)
        results_derived(t, "aggressor_progress",
                        stats_percentile(m->aggressor_rate, m->n_aggr, 50) / solo_rate);
    results_derived(t, "attempts", m->attempts);
    ts_nvml_record(t, &m->nvml);
    victim_verdict(t, o, m, alone);
}

int timeslice_victim(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                     struct timeslice_state *st)
{
    double solo_rate;
    unsigned batch = known_batch(o, st, &solo_rate);

    for (unsigned p = 1; p <= o->max_procs; p++) {
        struct victim_meas m = {.procs = p};

        /* With restrained aggressors, the victim alone is the run already measured. */
        if (p == 1 && (o->aggressor_priority != NULL || o->aggressor_thread_pct != NULL) &&
            isfinite(st->victim_alone_p99_us))
            continue;
        for (unsigned k = 0; k < c->trials; k++) {
            progress("%s victim: inference beside %u aggressor(s), trial %u/%u", ts_mode(o), p - 1,
                     k + 1, c->trials);
            if (run_trial(err, c, o, batch, &m) < 0) {
                free(m.all);
                return -1;
            }
        }
        if (p == 1) {
            st->victim_alone_p99_us = pooled(&m, 99);
            st->victim_alone_p50_us = pooled(&m, 50);
        }
        record(err, c, o, st, &m, solo_rate);
        free(m.all);
    }
    return 0;
}
