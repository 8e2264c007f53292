/*
 * bench mps: the orchestrator, the daemon session, and the contention part with its two
 * references, time-slicing and one process on N streams (bench/mpsbench.h).
 */
#include "bench/mpsbench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "gpu/mps_daemon.h"
#include "results/results.h"

/* Generous: quit waits for clients, and a benchmark's last client may still be exiting. */
#define DAEMON_TIMEOUT_MS 20000

int mps_session(struct error *err, struct multi_ctx *c,
                int (*fn)(struct error *err, struct multi_ctx *c, void *arg), void *arg)
{
    int timeout_ms = c->mps_timeout_ms > 0 ? c->mps_timeout_ms : DAEMON_TIMEOUT_MS;
    struct mps_daemon_opts dopts = {.timeout_ms = timeout_ms};
    struct mps_daemon d;
    struct error serr;
    int rc;

    /* The caller's mps_guard (cli/cmd_bench.c) turns SIGINT and SIGTERM into a flag that every
     * run checks, so this function always reaches the stop below. */
    rc = mps_daemon_start(err, &dopts, &d);
    if (rc == 0)
        rc = mps_daemon_setenv(err, &d);
    if (rc == 0) {
        progress("MPS daemon (pid %ld) at %s", d.daemon.pid, d.pipe_dir);
        rc = fn(err, c, arg);
    }
    /* Always, whatever happened above: no daemon outlives the benchmark. A stop that needed
     * signals, or left a process, is said even when the run failed for another reason. */
    if (mps_daemon_stop(&serr, &d, timeout_ms) < 0) {
        progress("MPS daemon: %s", serr.msg);
        results_skip(c->doc, "mps.daemon", serr.msg);
        if (rc == 0) {
            *err = serr;
            rc = -1;
        }
    }
    unsetenv("CUDA_MPS_PIPE_DIRECTORY");
    unsetenv("CUDA_MPS_LOG_DIRECTORY");
    return rc;
}

static const char *dtype_name(const struct mpsbench_opts *o)
{
    return o->ts.bf16 ? "bf16" : "fp32";
}

/* What the no-MPS references leave for the MPS runs. */
struct mps_state {
    struct timeslice_state ts; /* batch and solo rate per size */
    const struct mpsbench_opts *o;
    bool daemon_ran; /* the daemon started: its parts recorded their own failures */
};

/* One process running procs streams of the same GEMMs (bench/worker.h --streams). */
static int bound_trial(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o,
                       unsigned n, unsigned batch, unsigned procs, double *rate, struct ts_nvml *nv)
{
    struct worker_argv a;
    struct worker_argv *ap[1] = {&a};
    struct multi_run r;

    worker_argv_init(&a, c, "gemm", c->duration_s);
    worker_argv_add(&a, "--n", "%u", n);
    worker_argv_add(&a, "--dtype", "%s", dtype_name(o));
    worker_argv_add(&a, "--batch", "%u", batch);
    worker_argv_add(&a, "--streams", "%u", procs);
    if (multi_run(err, c, 1, ap, &r) < 0)
        return -1;
    *rate = r.rates[0];
    ts_nvml_add(nv, &r);
    multi_run_free(&r);
    return 0;
}

static double mean(const double *v, size_t n)
{
    double sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return n > 0 ? sum / (double)n : NAN;
}

/* Means of the SM clock and power over the trials, which explain a shortfall. */
static void nvml_means(json_t *t, const struct ts_nvml *nv)
{
    results_derived(t, "sm_clock_mean_mhz", mean(nv->clock, nv->n));
    results_derived(t, "power_mean_w", mean(nv->power, nv->n));
}

static void record_bound(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o,
                         unsigned n, unsigned procs, const double *agg, const struct ts_nvml *nv)
{
    char id[96], title[128];
    json_t *t;

    str_printf(id, sizeof(id), "mps.bound.gemm.%s.n%u.p%u", dtype_name(o), n, procs);
    str_printf(title, sizeof(title), "one process, gemm n=%u on %u streams: the upper bound", n,
               procs);
    t = results_add_test(c->doc, id, "mps.bound", title);
    results_param_int(t, "n", n);
    results_param_int(t, "streams", procs);
    results_param_int(t, "trials", c->trials);
    results_param_num(t, "duration_s", c->duration_s);
    results_param_str(t, "sharing", "one process, one context, N streams");
    results_metric(err, t, "aggregate", "x", "higher", agg, nv->n);
    results_bound(t, procs, "x", "upper", "N streams cannot do more than N times one stream");
    results_derived(t, "aggregate_x", stats_percentile(agg, nv->n, 50));
    nvml_means(t, nv);
    ts_nvml_record(t, nv);
    results_verdict(t, VERDICT_INFO, "",
                    "the most N copies of the work can get from this GPU: one context, no "
                    "process boundaries");
}

/* The N-stream references, N = 2..P, for every size (the solo rate is N = 1). */
static int bounds(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    const struct mpsbench_opts *o = s->o;

    for (size_t si = 0; si < o->ts.n_sizes; si++) {
        unsigned n = o->ts.sizes[si];

        for (unsigned p = 2; p <= o->ts.max_procs; p++) {
            double agg[TS_MAX_TRIALS], rate;
            struct ts_nvml nv = {0};

            for (unsigned k = 0; k < c->trials; k++) {
                progress("mps bound: one process, gemm n=%u on %u streams, trial %u/%u", n, p,
                         k + 1, c->trials);
                if (bound_trial(err, c, o, n, s->ts.batch[si], p, &rate, &nv) < 0)
                    return -1;
                agg[k] = rate / s->ts.solo_rate[si];
            }
            record_bound(err, c, o, n, p, agg, &nv);
        }
    }
    return 0;
}

/* Everything one (size, N) collects under MPS. */
struct mps_run {
    unsigned n, procs;
    size_t si;
    double slowdown[TS_MAX_TRIALS * TS_MAX_PROCS];
    size_t n_slowdown;
    double aggregate[TS_MAX_TRIALS], overlap[TS_MAX_TRIALS];
    size_t trials;
    unsigned attempts;
    bool flagged;
    struct ts_nvml nvml;
};

/* A derived figure of a reference test recorded earlier in this document; NAN if absent. */
static double reference(const struct multi_ctx *c, const char *kind, const struct mpsbench_opts *o,
                        unsigned n, unsigned procs, const char *key)
{
    char id[96];

    str_printf(id, sizeof(id), "%s.gemm.%s.n%u.p%u", kind, dtype_name(o), n, procs);
    return results_derived_num(results_find_test(c->doc, id), key);
}

static void contention_verdict(json_t *t, const struct multi_ctx *c, const struct mps_run *m,
                               double agg, double bound, double ts_agg, const struct mps_state *s)
{
    double ratio = agg / bound;
    char detail[320], id[96];
    const json_t *bt;

    if (m->procs == 1) {
        str_printf(detail, sizeof(detail),
                   "one MPS client against the same process without MPS: %.1f%% of its speed",
                   100 * agg);
        results_verdict(t, VERDICT_INFO, "", detail);
        return;
    }
    if (!isfinite(bound)) {
        str_printf(detail, sizeof(detail),
                   "MPS %.2fx, time-slicing %.2fx; the one-process bound was not measured", agg,
                   ts_agg);
        results_verdict(t, VERDICT_INFO, "", detail);
        return;
    }
    /* The explanation, when there is a shortfall, is the clocks and power each run held. */
    str_printf(id, sizeof(id), "mps.bound.gemm.%s.n%u.p%u", dtype_name(s->o), m->n, m->procs);
    bt = results_find_test(c->doc, id);
    str_printf(detail, sizeof(detail),
               "MPS %.2fx, one process on %u streams %.2fx (MPS at %.1f%% of it), time-slicing "
               "%.2fx",
               agg, m->procs, bound, 100 * ratio, ts_agg);
    if (isfinite(results_derived_num(t, "sm_clock_mean_mhz")) &&
        isfinite(results_derived_num(bt, "sm_clock_mean_mhz")))
        str_printf(detail + strlen(detail), sizeof(detail) - strlen(detail),
                   "; SM clock %.0f vs %.0f MHz, power %.0f vs %.0f W (MPS vs bound)",
                   results_derived_num(t, "sm_clock_mean_mhz"),
                   results_derived_num(bt, "sm_clock_mean_mhz"),
                   results_derived_num(t, "power_mean_w"), results_derived_num(bt, "power_mean_w"));
    results_verdict(t, ratio >= 1 - MPS_BOUND_TOLERANCE ? VERDICT_MEETS : VERDICT_MISSES,
                    "aggregate within 5% of one process running the same work on N streams",
                    detail);
}

static void record_mps(struct error *err, struct multi_ctx *c, const struct mps_state *s,
                       const struct mps_run *m)
{
    const struct mpsbench_opts *o = s->o;
    double agg = stats_percentile(m->aggregate, m->trials, 50), ovl_min = INFINITY;
    double bound =
        m->procs == 1 ? 1.0 : reference(c, "mps.bound", o, m->n, m->procs, "aggregate_x");
    double ts_agg = m->procs == 1
                        ? 1.0
                        : reference(c, "timeslice.contention", o, m->n, m->procs, "aggregate_x");
    char id[96], title[128];
    json_t *t;

    for (size_t i = 0; i < m->trials; i++)
        ovl_min = fmin(ovl_min, m->overlap[i]);
    str_printf(id, sizeof(id), "mps.contention.gemm.%s.n%u.p%u", dtype_name(o), m->n, m->procs);
    str_printf(title, sizeof(title), "%u MPS client%s, gemm n=%u each", m->procs,
               m->procs == 1 ? "" : "s", m->n);
    t = results_add_test(c->doc, id, "mps.contention", title);
    ts_params(t, c, &o->ts, m->procs);
    results_param_int(t, "n", m->n);
    results_param_int(t, "batch", s->ts.batch[m->si]);
    results_metric(err, t, "aggregate", "x", "higher", m->aggregate, m->trials);
    results_bound(t, bound, "x", "upper",
                  "one process running the same GEMMs on N streams: merging contexts cannot "
                  "beat one context");
    ts_series(t, "slowdown", "x", m->slowdown, m->n_slowdown);
    ts_series(t, "overlap", "fraction", m->overlap, m->trials);
    results_derived(t, "aggregate_x", agg);
    results_derived(t, "slowdown_p50", stats_percentile(m->slowdown, m->n_slowdown, 50));
    results_derived(t, "aggregate_bound_x", bound);
    results_derived(t, "aggregate_timeslice_x", ts_agg);
    results_derived(t, "mps_over_bound", agg / bound);
    results_derived(t, "mps_over_timeslice", agg / ts_agg);
    results_derived(t, "tflops_aggregate", ts_gemm_tflops(m->n, s->ts.solo_rate[m->si] * agg));
    results_derived(t, "overlap_min", ovl_min);
    results_derived(t, "attempts", m->attempts);
    results_derived(t, "low_overlap_flagged", m->flagged);
    nvml_means(t, &m->nvml);
    ts_nvml_record(t, &m->nvml);
    contention_verdict(t, c, m, agg, bound, ts_agg, s);
}

static int mps_contention(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    const struct mpsbench_opts *o = s->o;

    for (size_t si = 0; si < o->ts.n_sizes; si++)
        for (unsigned p = 1; p <= o->ts.max_procs; p++) {
            struct mps_run m = {.n = o->ts.sizes[si], .procs = p, .si = si};
            struct ts_gemm_trial tr;

            /* Without its solo reference a size has nothing to be compared with. */
            if (!isfinite(s->ts.solo_rate[si]))
                break;

            for (unsigned k = 0; k < c->trials; k++) {
                progress("mps contention: %u x gemm n=%u, trial %u/%u", p, m.n, k + 1, c->trials);
                if (ts_gemm_trial(err, c, &o->ts, m.n, s->ts.batch[si], s->ts.solo_rate[si], p,
                                  m.slowdown + m.n_slowdown, &m.nvml, &tr) < 0)
                    return -1;
                m.n_slowdown += p;
                m.aggregate[m.trials] = tr.aggregate;
                m.overlap[m.trials++] = tr.overlap;
                m.attempts += tr.attempts;
                m.flagged |= tr.low_overlap;
            }
            record_mps(err, c, s, &m);
        }
    return 0;
}

/* Runs part fn if selected; a failure is recorded and the others go on. */
static int part(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o, unsigned bit,
                int (*fn)(struct error *, struct multi_ctx *, struct mps_state *),
                struct mps_state *s, int *rc)
{
    struct error perr;
    char what[64];

    if (!(o->parts & bit) || fn(&perr, c, s) == 0)
        return 0;
    str_printf(what, sizeof(what), "mps.%s", mps_part_name(bit));
    results_skip(c->doc, what, perr.msg);
    *err = perr;
    *rc = -1;
    if (perr.code == ERR_INTERRUPTED)
        return -1;
    progress("mps %s: %s", mps_part_name(bit), perr.msg);
    return 0;
}

/* The references without MPS: time-slicing contention, then the N-stream bound. */
static int references(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    struct timeslice_opts ts = s->o->ts;

    ts.mode = NULL;
    if (timeslice_contention(err, c, &ts, &s->ts) < 0)
        return -1;
    return bounds(err, c, s);
}

static int timeline(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    return timeslice_timeline(err, c, &s->o->ts, &s->ts);
}

/* Each capped aggressor's share of the threads. One leaves the victim half the SMs; two or
 * more may together cover every SM, since a cap limits a client and reserves nothing. */
#define AGGRESSOR_CAP_PCT "50"

/*
 * The victim beside normal aggressors, then the two ways MPS offers to restrain them: a
 * below-normal client priority (MPS doc 2.3.8: a hint that maps the client's stream priorities
 * onto a lower range) and a thread-percentage cap per aggressor (2.3.5.2), which keeps SMs free
 * of aggressor blocks only while the caps sum below 100%.
 */
static int victim(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    struct timeslice_opts low = s->o->ts, capped = s->o->ts;

    if (timeslice_victim(err, c, &s->o->ts, &s->ts) < 0)
        return -1;
    low.aggressor_priority = "1";
    if (timeslice_victim(err, c, &low, &s->ts) < 0)
        return -1;
    capped.aggressor_thread_pct = AGGRESSOR_CAP_PCT;
    return timeslice_victim(err, c, &capped, &s->ts);
}

static int threads(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    return mps_threads(err, c, s->o);
}

static int memlimit(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    return mps_memlimit(err, c, s->o);
}

static int clients(struct error *err, struct multi_ctx *c, struct mps_state *s)
{
    return mps_clients(err, c, s->o);
}

/* Every part that needs the daemon, in an order where a broken server hurts least: the
 * client-limit probe, which drives the server to refuse contexts, comes last. */
static int under_daemon(struct error *err, struct multi_ctx *c, void *arg)
{
    struct mps_state *s = arg;
    const struct mpsbench_opts *o = s->o;
    int rc = 0;

    s->daemon_ran = true;
    if ((o->parts & MPS_CONTENTION) && isfinite(s->ts.solo_rate[0]) &&
        part(err, c, o, MPS_CONTENTION, mps_contention, s, &rc) < 0)
        return -1;
    if (part(err, c, o, MPS_TIMELINE, timeline, s, &rc) < 0 ||
        part(err, c, o, MPS_VICTIM, victim, s, &rc) < 0 ||
        part(err, c, o, MPS_THREADS, threads, s, &rc) < 0 ||
        part(err, c, o, MPS_MEMLIMIT, memlimit, s, &rc) < 0 ||
        part(err, c, o, MPS_CLIENTS, clients, s, &rc) < 0)
        return -1;
    return rc;
}

int bench_mps(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o)
{
    struct mps_state s = {.o = o};
    int rc = 0;

    for (unsigned i = 0; i <= TS_MAX_PROCS; i++)
        s.ts.slice_us[i] = s.ts.switch_us[i] = NAN;
    for (size_t i = 0; i < TS_MAX_SIZES; i++)
        s.ts.solo_rate[i] = NAN;
    s.ts.victim_alone_p99_us = s.ts.victim_alone_p50_us = NAN;
    /* Before the daemon exists: no MPS server may share the GPU with the references. */
    if (part(err, c, o, MPS_CONTENTION, references, &s, &rc) < 0)
        return -1;
    if ((o->parts & ~MPS_CONTENTION) == 0 && !isfinite(s.ts.solo_rate[0]))
        return rc;
    if (mps_session(err, c, under_daemon, &s) < 0) {
        if (!s.daemon_ran)
            results_skip(c->doc, "mps", err->msg);
        return -1;
    }
    return rc;
}
