/*
 * bench mix (bench/mix.h): paced inference processes, alone or beside a gemm, time-sliced and
 * under MPS. Every inference request of every process of a trial goes into one pool; the
 * metric is each trial's p99, the derived figures are over every trial's requests.
 */
#include "bench/mix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/mpsbench.h"
#include "bench/timeslice.h"
#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "results/results.h"

static const struct bench_name mode_names[] = {{MIX_TIMESLICE, "timeslice"}, {MIX_MPS, "mps"}};
static const struct bench_name neighbour_names[] = {{MIX_QUIET, "none"}, {MIX_GEMM, "gemm"}};

int mix_parse_modes(struct error *err, const char *list, unsigned *mask)
{
    return bench_parse_names(err, mode_names, 2, "mode", "--modes", "timeslice or mps", list, mask);
}

int mix_parse_neighbours(struct error *err, const char *list, unsigned *mask)
{
    return bench_parse_names(err, neighbour_names, 2, "neighbour", "--neighbour", "none or gemm",
                             list, mask);
}

/* One mix: every request of one trial, and the figures kept across trials. */
struct mix_meas {
    unsigned procs;
    bool gemm, mps;
    size_t trials;
    double p50[MIX_MAX_TRIALS], p99[MIX_MAX_TRIALS], overlap[MIX_MAX_TRIALS];
    double rate[MIX_MAX_TRIALS]; /* requests per second served, all processes */
    double *all;                 /* every request of every trial, us */
    size_t n_all;
    double proc_p99[MIX_MAX_TRIALS * MIX_MAX_PROCS]; /* each process's own p99, us */
    size_t n_proc;
    double gemm_rate[MIX_MAX_TRIALS];
    struct ts_nvml nvml;
    unsigned attempts;
};

static void mix_argvs(const struct multi_ctx *c, const struct mix_opts *o, const struct mix_meas *m,
                      unsigned trial, struct worker_argv *a)
{
    for (unsigned i = 0; i < m->procs; i++) {
        worker_argv_init(&a[i], c, "infer", c->duration_s);
        worker_argv_add(&a[i], "--hidden", "%u", o->hidden);
        worker_argv_add(&a[i], "--layers", "%u", o->layers);
        worker_argv_add(&a[i], "--dtype", "bf16");
        worker_argv_add(&a[i], "--warmup", "50");
        worker_argv_add(&a[i], "--rate", "%.6g", o->rate);
        // A seed per process and trial: independent arrivals, the same ones on a rerun.
        worker_argv_add(&a[i], "--seed", "%u", 1000u * (trial + 1) + i + 1);
    }
    if (m->gemm) {
        worker_argv_init(&a[m->procs], c, "gemm", c->duration_s);
        worker_argv_add(&a[m->procs], "--n", "%u", o->gemm_n);
        worker_argv_add(&a[m->procs], "--dtype", "fp32");
    }
}

static int mix_take(struct error *err, const struct multi_run *r, struct mix_meas *m,
                    double c_duration)
{
    size_t k = m->trials, start = m->n_all, served = 0;

    for (unsigned i = 0; i < m->procs; i++) {
        const json_t *lat = json_object_get(r->w[i].result, "latencies_us"), *v;
        size_t n = json_array_size(lat), j;

        if (n == 0)
            return error_set(err, ERR_INVALID, "inference process %u served no request", i + 1);
        m->all = xreallocarray(m->all, (m->n_all + n) * sizeof(*m->all), 1);
        json_array_foreach (lat, j, v)
            m->all[m->n_all + j] = json_number_value(v);
        m->proc_p99[m->n_proc++] = stats_percentile(m->all + m->n_all, n, 99);
        m->n_all += n;
        served += n;
    }
    m->p50[k] = stats_percentile(m->all + start, m->n_all - start, 50);
    m->p99[k] = stats_percentile(m->all + start, m->n_all - start, 99);
    m->overlap[k] = r->win.min_fraction;
    m->rate[k] = (double)served / c_duration;
    if (m->gemm)
        m->gemm_rate[k] = r->rates[m->procs];
    m->attempts += r->attempts;
    m->trials++;
    return 0;
}

static int mix_trial(struct error *err, struct multi_ctx *c, const struct mix_opts *o,
                     struct mix_meas *m, unsigned trial)
{
    struct worker_argv *a = xcalloc(MIX_MAX_PROCS + 1, sizeof(*a));
    struct worker_argv *ap[MIX_MAX_PROCS + 1];
    size_t n = m->procs + (m->gemm ? 1 : 0);
    struct multi_run r;
    int rc = -1;

    mix_argvs(c, o, m, trial, a);
    for (size_t i = 0; i < n; i++)
        ap[i] = &a[i];
    if (multi_run(err, c, n, ap, &r) == 0) {
        rc = mix_take(err, &r, m, c->duration_s);
        ts_nvml_add(&m->nvml, &r);
        multi_run_free(&r);
    }
    free(a);
    return rc;
}

static double pooled(const struct mix_meas *m, double pct)
{
    return stats_percentile(m->all, m->n_all, pct);
}

static void mix_record(struct error *err, struct multi_ctx *c, const struct mix_opts *o,
                       const struct mix_meas *m)
{
    char id[64], group[32], title[160];
    json_t *t;

    if (m->procs == 1 && !m->gemm)
        str_printf(id, sizeof(id), "mix.%s.alone", m->mps ? "mps" : "timeslice");
    else
        str_printf(id, sizeof(id), "mix.%s.p%u.%s", m->mps ? "mps" : "timeslice", m->procs,
                   m->gemm ? "gemm" : "none");
    str_printf(group, sizeof(group), "mix.%s", m->mps ? "mps" : "timeslice");
    str_printf(title, sizeof(title), "%u inference process%s at %.4g requests/s each%s%s", m->procs,
               m->procs == 1 ? "" : "es", o->rate, m->gemm ? ", beside a gemm process" : "",
               m->mps ? ", MPS clients" : "");
    t = results_add_test(c->doc, id, group, title);
    results_param_int(t, "processes", m->procs);
    results_param_num(t, "rate_per_process", o->rate);
    results_param_str(t, "neighbour", m->gemm ? "gemm" : "none");
    results_param_str(t, "sharing", m->mps ? "MPS (one private daemon)" : "time-slicing (no MPS)");
    results_param_str(t, "arrivals", "Poisson, each request timed from its arrival");
    results_param_int(t, "hidden", o->hidden);
    results_param_int(t, "layers", o->layers);
    results_param_str(t, "infer_dtype", "bf16");
    results_param_int(t, "gemm_n", o->gemm_n);
    results_param_int(t, "trials", c->trials);
    results_param_num(t, "duration_s", c->duration_s);
    results_metric(err, t, "p99_latency", "us", "lower", m->p99, m->trials);
    ts_series(t, "p50_us", "us", m->p50, m->trials);
    ts_series(t, "overlap", "fraction", m->overlap, m->trials);
    ts_series(t, "requests_per_s", "requests/s", m->rate, m->trials);
    results_derived(t, "requests", (double)m->n_all);
    results_derived(t, "p50_us", pooled(m, 50));
    results_derived(t, "p90_us", pooled(m, 90));
    results_derived(t, "p99_us", pooled(m, 99));
    results_derived(t, "p999_us", pooled(m, 99.9));
    results_derived(t, "max_us", pooled(m, 100));
    results_derived(t, "process_p99_min_us", stats_percentile(m->proc_p99, m->n_proc, 0));
    results_derived(t, "process_p99_max_us", stats_percentile(m->proc_p99, m->n_proc, 100));
    results_derived(t, "offered_per_s", o->rate * m->procs);
    results_derived(t, "overlap_min", stats_percentile(m->overlap, m->trials, 0));
    results_derived(t, "attempts", m->attempts);
    if (m->gemm)
        results_derived(t, "gemm_steps_per_s", stats_percentile(m->gemm_rate, m->trials, 50));
    ts_nvml_record(t, &m->nvml);
    // The bound: a request can be no faster than alone; the mix's alone test is that figure.
    results_verdict(t, VERDICT_INFO, "",
                    "the planner's prediction for this mix is set beside it by gpushare plan "
                    "check");
}

static int mix_one(struct error *err, struct multi_ctx *c, const struct mix_opts *o, unsigned procs,
                   bool gemm, bool mps)
{
    struct mix_meas m = {.procs = procs, .gemm = gemm, .mps = mps};
    int rc = 0;

    for (unsigned k = 0; k < c->trials && rc == 0; k++) {
        progress("mix%s: %u inference process%s at %.4g/s%s, trial %u/%u", mps ? " (MPS)" : "",
                 procs, procs == 1 ? "" : "es", o->rate, gemm ? " beside a gemm" : "", k + 1,
                 c->trials);
        rc = mix_trial(err, c, o, &m, k);
    }
    if (rc == 0)
        mix_record(err, c, o, &m);
    free(m.all);
    return rc;
}

/* The request alone, then every mix. */
static int mix_all(struct error *err, struct multi_ctx *c, const struct mix_opts *o, bool mps)
{
    int rc = mix_one(err, c, o, 1, false, mps);

    for (size_t i = 0; i < o->n_procs && rc == 0; i++)
        for (unsigned nb = MIX_QUIET; nb <= MIX_GEMM && rc == 0; nb <<= 1)
            if (o->neighbours & nb)
                rc = mix_one(err, c, o, o->procs[i], nb == MIX_GEMM, mps);
    return rc;
}

static int mix_under_mps(struct error *err, struct multi_ctx *c, void *arg)
{
    return mix_all(err, c, arg, true);
}

int bench_mix(struct error *err, struct multi_ctx *c, const struct mix_opts *o)
{
    int rc = 0;

    if (o->modes & MIX_TIMESLICE)
        rc = mix_all(err, c, o, false);
    else
        rc = mix_one(err, c, o, 1, false, false);
    if (rc == 0 && (o->modes & MIX_MPS))
        rc = mps_session(err, c, mix_under_mps, (void *)o);
    if (rc < 0 && err->code != ERR_INTERRUPTED)
        results_skip(c->doc, "mix", err->msg);
    return rc;
}
