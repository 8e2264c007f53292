/*
 * bench timeslice, timeline part: N processes each run one spin kernel that records every
 * moment its context was switched out (kernels.h k_timeline). Merged on the GPU's global
 * timer, the traces give the slice each context gets, the gap while the others run, and the
 * overhead of each switch (bench/timeline.h).
 */
#include "bench/timeslice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "results/results.h"

/* One worker's trace, parsed from its result line. */
struct trace_buf {
    struct tl_gap *gaps;
    struct tl_trace t;
    double run_ns, tick_ns, dropped;
};

static int parse_trace(struct error *err, const json_t *res, size_t i, struct trace_buf *b)
{
    const json_t *tr = json_object_get(res, "trace"), *g = json_object_get(tr, "gaps"), *p;
    size_t k;

    if (!json_is_integer(json_object_get(tr, "first")) || !json_is_array(g))
        return error_set(err, ERR_INVALID, "worker %zu sent no timeline trace", i);
    b->gaps = xcalloc(json_array_size(g) + 1, sizeof(*b->gaps));
    json_array_foreach (g, k, p) {
        b->gaps[k].start = (uint64_t)json_integer_value(json_array_get(p, 0));
        b->gaps[k].end = (uint64_t)json_integer_value(json_array_get(p, 1));
    }
    b->t = (struct tl_trace){
        .first = (uint64_t)json_integer_value(json_object_get(tr, "first")),
        .last = (uint64_t)json_integer_value(json_object_get(tr, "last")),
        .gaps = b->gaps,
        .n_gaps = json_array_size(g),
    };
    b->run_ns = multi_num(tr, "run_ns");
    b->tick_ns = multi_num(tr, "tick_ns");
    b->dropped = multi_num(tr, "dropped");
    return 0;
}

/* Growable pools of every slice, gap and switch over all trials. */
struct pool {
    double *v;
    size_t n, cap;
};

static void pool_add(struct pool *p, const double *v, size_t n)
{
    if (p->n + n > p->cap) {
        p->cap = (p->n + n) * 2;
        p->v = xreallocarray(p->v, p->cap * sizeof(*p->v), 1);
    }
    for (size_t i = 0; i < n; i++)
        p->v[p->n++] = v[i];
}

static double pool_pct(const struct pool *p, double pct)
{
    return p->n > 0 ? stats_percentile(p->v, p->n, pct) : NAN;
}

/* Everything one N collects over its trials. */
struct tl_meas {
    unsigned procs;
    size_t trials;
    double slice[TS_MAX_TRIALS], gap[TS_MAX_TRIALS], sw[TS_MAX_TRIALS];
    double busy[TS_MAX_TRIALS], conc[TS_MAX_TRIALS], run_share[TS_MAX_TRIALS];
    struct pool slices, gaps, switches;
    size_t overlaps, self_gaps;
    double tick_ns, dropped, window_ms;
    struct ts_nvml nvml;
};

static double median_or_nan(const double *v, size_t n)
{
    return n > 0 ? stats_percentile(v, n, 50) : NAN;
}

static void add_trial(struct tl_meas *m, const struct tl_result *res, const struct trace_buf *b)
{
    size_t k = m->trials++;

    m->slice[k] = median_or_nan(res->slices_us, res->n_slices);
    m->gap[k] = median_or_nan(res->gaps_us, res->n_gaps);
    m->sw[k] = median_or_nan(res->switches_us, res->n_switches);
    m->busy[k] = res->busy_share;
    m->conc[k] = res->concurrency;
    m->run_share[k] = b[0].run_ns / (double)(b[0].t.last - b[0].t.first);
    pool_add(&m->slices, res->slices_us, res->n_slices);
    pool_add(&m->gaps, res->gaps_us, res->n_gaps);
    pool_add(&m->switches, res->switches_us, res->n_switches);
    m->overlaps += res->n_overlaps;
    m->self_gaps += res->n_self_gaps;
    m->window_ms = res->window_us / 1e3;
    for (unsigned i = 0; i < m->procs; i++) {
        m->tick_ns = fmax(m->tick_ns, b[i].tick_ns);
        m->dropped += b[i].dropped;
    }
}

static int analyze_run(struct error *err, const struct multi_run *r, struct tl_meas *m)
{
    struct trace_buf b[TS_MAX_PROCS] = {0};
    struct tl_trace t[TS_MAX_PROCS];
    struct tl_result res = {0};
    int rc = 0;

    for (size_t i = 0; i < r->n && rc == 0; i++) {
        rc = parse_trace(err, r->w[i].result, i, &b[i]);
        t[i] = b[i].t;
    }
    if (rc == 0)
        rc = timeline_analyze(err, t, r->n, &res);
    if (rc == 0)
        add_trial(m, &res, b);
    tl_result_free(&res);
    for (size_t i = 0; i < r->n; i++)
        free(b[i].gaps);
    return rc;
}

static int run_trial(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                     struct tl_meas *m)
{
    struct worker_argv a[TS_MAX_PROCS];
    struct worker_argv *ap[TS_MAX_PROCS];
    struct multi_run r;
    int rc;

    for (unsigned i = 0; i < m->procs; i++) {
        worker_argv_init(&a[i], c, "spin", 0);
        worker_argv_add(&a[i], "--spin-ms", "%g", o->spin_ms);
        worker_argv_add(&a[i], "--gap-us", "%g", o->gap_us);
        worker_argv_add(&a[i], "--warmup", "1");
        ap[i] = &a[i];
    }
    if (multi_run(err, c, m->procs, ap, &r) < 0)
        return -1;
    rc = analyze_run(err, &r, m);
    ts_nvml_add(&m->nvml, &r);
    multi_run_free(&r);
    return rc;
}

static void record_common(json_t *t, const struct multi_ctx *c, const struct timeslice_opts *o,
                          const struct tl_meas *m)
{
    ts_params(t, c, o, m->procs);
    results_param_num(t, "spin_ms", o->spin_ms);
    results_param_num(t, "gap_threshold_us", o->gap_us);
    results_derived(t, "timer_tick_ns", m->tick_ns);
    /* A switch's edges are known to within one loop step of the recorder: the threshold
     * bounds the step that is still counted as running, the tick the timer's own grain. */
    results_derived(t, "resolution_us", o->gap_us + m->tick_ns / 1e3);
    results_derived(t, "gaps_dropped", m->dropped);
    results_derived(t, "window_ms", m->window_ms);
    ts_nvml_record(t, &m->nvml);
}

/* One process alone: the control. Its kernel should never be switched out. */
static void record_alone(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                         const struct tl_meas *m)
{
    char id[64], group[64];
    json_t *t;

    str_printf(id, sizeof(id), "%s.timeline.p1", ts_mode(o));
    str_printf(group, sizeof(group), "%s.timeline", ts_mode(o));
    t = results_add_test(c->doc, id, group, "one process alone: the recorder's control");

    results_metric(err, t, "run_share", "fraction", "higher", m->run_share, m->trials);
    results_bound(t, 1.0, "fraction", "upper", "the kernel cannot run longer than it exists");
    results_derived(t, "gaps", (double)m->gaps.n);
    results_derived(t, "gap_p50_us", pool_pct(&m->gaps, 50));
    record_common(t, c, o, m);
    results_verdict(t, VERDICT_INFO, "",
                    "alone, a context is never switched out: gaps here would be recorder noise");
}

static void timeline_verdict(json_t *t, const struct tl_meas *m, double slice, double sw)
{
    char detail[256];
    double dev = slice / TS_DRIVER_DEFAULT_US - 1, worst = pool_pct(&m->gaps, 100);

    str_printf(detail, sizeof(detail),
               "slice %.0f us: %s the driver default 1024 us (%+.0f%%); switch %.1f us; the "
               "longest wait %.2f ms is (N-1) slices, %s the ~10 ms per switch often quoted",
               slice, fabs(dev) <= 0.10 ? "matches" : "differs from", 100 * dev, sw, worst / 1e3,
               worst < TS_QUOTED_SWITCH_US ? "not" : "as large as");
    results_verdict(t, VERDICT_INFO, "", detail);
}

/* Under MPS the contexts should run side by side: no slices at all. */
static void mps_timeline_verdict(json_t *t, const struct tl_meas *m)
{
    char detail[256];

    str_printf(detail, sizeof(detail),
               "%zu gaps and %zu slices recorded over %zu trials; median concurrency %.2f of %u "
               "contexts%s",
               m->gaps.n, m->slices.n, m->trials, median_or_nan(m->conc, m->trials), m->procs,
               m->gaps.n > 0 ? "; the longest gap " : "");
    if (m->gaps.n > 0)
        str_printf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%.1f us",
                   pool_pct(&m->gaps, 100));
    results_verdict(t, m->gaps.n == 0 ? VERDICT_MEETS : VERDICT_MISSES,
                    "no context switched out: no gap above the threshold in any trace", detail);
}

static void record_shared(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                          struct timeslice_state *st, const struct tl_meas *m)
{
    double slice = pool_pct(&m->slices, 50), sw = pool_pct(&m->switches, 50);
    double expect = timeline_expected_gap_us(m->procs, slice, sw);
    char id[64], group[64], title[96], basis[128];
    json_t *t;

    str_printf(id, sizeof(id), "%s.timeline.p%u", ts_mode(o), m->procs);
    str_printf(group, sizeof(group), "%s.timeline", ts_mode(o));
    str_printf(title, sizeof(title), "%u processes: time slice, wait and switch overhead",
               m->procs);
    t = results_add_test(c->doc, id, group, title);
    if (results_metric(err, t, "gap", "us", "lower", m->gap, m->trials) == 0) {
        str_printf(basis, sizeof(basis), "the other %u contexts each run one slice of %.0f us",
                   m->procs - 1, slice);
        results_bound(t, (m->procs - 1) * slice, "us", "lower", basis);
    } else {
        /* No context was ever switched out (MPS): concurrency is the figure instead. */
        results_metric(err, t, "concurrency", "x", "higher", m->conc, m->trials);
        results_bound(t, m->procs, "x", "upper", "no more contexts run at once than exist");
    }
    ts_series(t, "slice_us", "us", m->slice, m->trials);
    ts_series(t, "switch_us", "us", m->sw, m->trials);
    ts_series(t, "busy_share", "fraction", m->busy, m->trials);
    ts_series(t, "concurrency", "x", m->conc, m->trials);
    results_derived(t, "slice_p10_us", pool_pct(&m->slices, 10));
    results_derived(t, "slice_p50_us", slice);
    results_derived(t, "slice_p90_us", pool_pct(&m->slices, 90));
    results_derived(t, "gap_p50_us", pool_pct(&m->gaps, 50));
    results_derived(t, "gap_max_us", pool_pct(&m->gaps, 100));
    results_derived(t, "switch_p10_us", pool_pct(&m->switches, 10));
    results_derived(t, "switch_p50_us", sw);
    results_derived(t, "switch_p90_us", pool_pct(&m->switches, 90));
    results_derived(t, "expected_gap_us", expect);
    results_derived(t, "gap_over_model", pool_pct(&m->gaps, 50) / expect);
    results_derived(t, "slices", (double)m->slices.n);
    results_derived(t, "switches", (double)m->switches.n);
    results_derived(t, "overlapping_runs", (double)m->overlaps);
    results_derived(t, "self_gaps", (double)m->self_gaps);
    record_common(t, c, o, m);
    if (ts_is_mps(o))
        mps_timeline_verdict(t, m);
    else
        timeline_verdict(t, m, slice, sw);
    st->slice_us[m->procs] = slice;
    st->switch_us[m->procs] = sw;
}

static void meas_free(struct tl_meas *m)
{
    free(m->slices.v);
    free(m->gaps.v);
    free(m->switches.v);
}

int timeslice_timeline(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                       struct timeslice_state *st)
{
    int rc = 0;

    for (unsigned p = 1; rc == 0 && p <= o->max_procs; p++) {
        struct tl_meas m = {.procs = p};

        /* A warm-up kernel and the timed one, each taking p turns of the GPU. */
        c->run_hint_s = 2 * o->spin_ms / 1000;

        for (unsigned k = 0; k < c->trials; k++) {
            progress("%s timeline: %u processes, trial %u/%u", ts_mode(o), p, k + 1, c->trials);
            if ((rc = run_trial(err, c, o, &m)) < 0)
                break;
        }
        if (rc == 0 && p == 1)
            record_alone(err, c, o, &m);
        else if (rc == 0)
            record_shared(err, c, o, st, &m);
        meas_free(&m);
    }
    c->run_hint_s = 0;
    return rc;
}
