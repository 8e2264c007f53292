/*
 * bench timeslice: the orchestrator, the helpers its parts share, and the contention part:
 * N identical gemm processes, each one's slowdown against the same process alone.
 */
#include "bench/timeslice.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "results/results.h"

void ts_series(json_t *test, const char *name, const char *unit, const double *v, size_t n)
{
    struct error err;

    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return;
    if (n > 0)
        results_series(&err, test, name, unit, v, n);
}

/* The mean of the per-trial means; NAN when there are none or one is missing. */
static double mean_of(const double *v, size_t n)
{
    double sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return n > 0 ? sum / (double)n : NAN;
}

void ts_nvml_add(struct ts_nvml *s, const struct multi_run *r)
{
    if (s->n >= TS_MAX_TRIALS)
        return;
    s->util[s->n] = r->nvml.n > 0 ? r->nvml.util_gpu_pct : NAN;
    s->clock[s->n] = r->nvml.n > 0 ? r->nvml.sm_clock_mhz : NAN;
    s->power[s->n] = r->nvml.n > 0 ? r->nvml.power_w : NAN;
    s->n++;
}

/* What nvidia-smi would have shown during the runs: the "cosmetic utilization" figures. */
void ts_nvml_record(json_t *test, const struct ts_nvml *s)
{
    ts_series(test, "gpu_util_pct", "%", s->util, s->n);
    ts_series(test, "sm_clock_mhz", "MHz", s->clock, s->n);
    ts_series(test, "power_w", "W", s->power, s->n);
    results_derived(test, "gpu_util_mean_pct", mean_of(s->util, s->n));
}

const char *ts_mode(const struct timeslice_opts *o)
{
    return o->mode != NULL ? o->mode : "timeslice";
}

bool ts_is_mps(const struct timeslice_opts *o)
{
    return strcmp(ts_mode(o), "mps") == 0;
}

void ts_params(json_t *test, const struct multi_ctx *c, const struct timeslice_opts *o,
               unsigned procs)
{
    results_param_int(test, "processes", procs);
    results_param_int(test, "trials", c->trials);
    results_param_num(test, "duration_s", c->duration_s);
    results_param_str(test, "sharing",
                      ts_is_mps(o) ? "MPS (one private daemon)" : "time-slicing (no MPS)");
    if (o->aggressor_priority != NULL)
        results_param_str(test, "aggressor_mps_client_priority", o->aggressor_priority);
    if (o->aggressor_thread_pct != NULL)
        results_param_str(test, "aggressor_mps_thread_pct", o->aggressor_thread_pct);
}

double ts_gemm_tflops(unsigned n, double gemms_per_s)
{
    return 2.0 * n * n * (double)n * gemms_per_s / 1e12;
}

/* Per-size measurements of the contention part. */
struct size_run {
    unsigned n, procs;
    double slowdown[TS_MAX_TRIALS * TS_MAX_PROCS];
    size_t n_slowdown;
    double aggregate[TS_MAX_TRIALS], overlap[TS_MAX_TRIALS];
    size_t trials;
    struct ts_nvml nvml;
    unsigned attempts;
    bool flagged;
};

static void gemm_argv(struct worker_argv *a, const struct multi_ctx *c,
                      const struct timeslice_opts *o, unsigned n, unsigned batch)
{
    worker_argv_init(a, c, "gemm", c->duration_s);
    worker_argv_add(a, "--n", "%u", n);
    worker_argv_add(a, "--dtype", "%s", o->bf16 ? "bf16" : "fp32");
    worker_argv_add(a, "--batch", "%u", batch);
}

/* The solo reference: one process, trials times. Fixes the batch the contended runs use. */
static int solo(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                struct timeslice_state *st, size_t si)
{
    unsigned n = o->sizes[si];
    double tf[TS_MAX_TRIALS];
    struct worker_argv a;
    struct worker_argv *ap[1] = {&a};
    struct ts_nvml nv = {0};
    struct multi_run r;
    json_t *t, *rdy = NULL;
    char id[96];

    for (unsigned k = 0; k < c->trials; k++) {
        progress("timeslice contention: gemm n=%u alone, trial %u/%u", n, k + 1, c->trials);
        gemm_argv(&a, c, o, n, st->batch[si]);
        if (multi_run(err, c, 1, ap, &r) < 0)
            return -1;
        if (st->batch[si] == 0)
            st->batch[si] = (unsigned)multi_num(r.w[0].ready_msg, "batch");
        tf[k] = ts_gemm_tflops(n, r.rates[0]);
        ts_nvml_add(&nv, &r);
        if (k + 1 == c->trials)
            rdy = json_incref(r.w[0].ready_msg);
        multi_run_free(&r);
    }
    st->solo_rate[si] = stats_percentile(tf, c->trials, 50) * 1e12 / (2.0 * n * n * (double)n);
    str_printf(id, sizeof(id), "timeslice.contention.gemm.%s.n%u.p1", o->bf16 ? "bf16" : "fp32", n);
    t = results_add_test(c->doc, id, "timeslice.contention", "gemm alone: the reference");
    ts_params(t, c, o, 1);
    results_param_int(t, "n", n);
    results_param_int(t, "batch", st->batch[si]);
    results_metric(err, t, "throughput", "TFLOP/s", "higher", tf, c->trials);
    results_derived(t, "gemms_per_s", st->solo_rate[si]);
    results_derived(t, "gemm_ms", multi_num(rdy, "op_ms"));
    results_derived(t, "ctas", multi_num(rdy, "ctas"));
    results_derived(t, "heuristic_waves", multi_num(rdy, "waves"));
    ts_nvml_record(t, &nv);
    results_verdict(t, VERDICT_INFO, "",
                    "one process alone: the rate every slowdown is taken against");
    json_decref(rdy);
    return 0;
}

int ts_gemm_trial(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                  unsigned n, unsigned batch, double solo_rate, unsigned procs, double *slowdown,
                  struct ts_nvml *nvml, struct ts_gemm_trial *out)
{
    struct worker_argv a[TS_MAX_PROCS];
    struct worker_argv *ap[TS_MAX_PROCS];
    struct multi_run r;
    int rc;

    for (unsigned i = 0; i < procs; i++) {
        gemm_argv(&a[i], c, o, n, batch);
        ap[i] = &a[i];
    }
    if (multi_run(err, c, procs, ap, &r) < 0)
        return -1;
    rc = contention_figures(err, solo_rate, r.rates, procs, slowdown, &out->aggregate);
    out->overlap = r.win.min_fraction;
    out->attempts = r.attempts;
    out->low_overlap = r.low_overlap;
    if (rc == 0 && nvml != NULL)
        ts_nvml_add(nvml, &r);
    multi_run_free(&r);
    return rc;
}

static int contended_trial(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                           const struct timeslice_state *st, size_t si, struct size_run *sr)
{
    struct ts_gemm_trial tr;

    if (ts_gemm_trial(err, c, o, sr->n, st->batch[si], st->solo_rate[si], sr->procs,
                      sr->slowdown + sr->n_slowdown, &sr->nvml, &tr) < 0)
        return -1;
    sr->n_slowdown += sr->procs;
    sr->aggregate[sr->trials] = tr.aggregate;
    sr->overlap[sr->trials++] = tr.overlap;
    sr->attempts += tr.attempts;
    sr->flagged |= tr.low_overlap;
    return 0;
}

static void contention_verdict(json_t *t, const struct size_run *sr, double ovl_min, double agg)
{
    char detail[256];
    double lo = INFINITY, hi = 0;

    for (size_t i = 0; i < sr->n_slowdown; i++) {
        lo = fmin(lo, sr->slowdown[i]);
        hi = fmax(hi, sr->slowdown[i]);
    }
    if (sr->procs != 2) {
        str_printf(
            detail, sizeof(detail),
            "the 1.2-3.5x bar is for two processes; each of %u gets 1/%.2f of its solo speed "
            "and together they do %.0f%% of one process's work",
            sr->procs, stats_percentile(sr->slowdown, sr->n_slowdown, 50), 100 * agg);
        results_verdict(t, VERDICT_INFO, "", detail);
        return;
    }
    str_printf(detail, sizeof(detail),
               "every worker's slowdown %.2f..%.2fx, timed windows overlap >= %.1f%%; together "
               "%.0f%% of one process's work",
               lo, hi, 100 * ovl_min, 100 * agg);
    results_verdict(t,
                    lo >= TS_LAB_LOW && hi <= TS_LAB_HIGH && ovl_min >= TS_MIN_OVERLAP
                        ? VERDICT_MEETS
                        : VERDICT_MISSES,
                    "each worker's slowdown within [1.2, 3.5]x, overlap >= 95%", detail);
}

static void record_contended(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                             const struct timeslice_state *st, size_t si, const struct size_run *sr)
{
    double ovl_min = INFINITY, agg = stats_percentile(sr->aggregate, sr->trials, 50);
    char id[96], title[128], basis[160];
    json_t *t;

    for (size_t i = 0; i < sr->trials; i++)
        ovl_min = fmin(ovl_min, sr->overlap[i]);
    str_printf(id, sizeof(id), "timeslice.contention.gemm.%s.n%u.p%u", o->bf16 ? "bf16" : "fp32",
               sr->n, sr->procs);
    str_printf(title, sizeof(title), "%u processes, gemm n=%u each, no MPS", sr->procs, sr->n);
    t = results_add_test(c->doc, id, "timeslice.contention", title);
    ts_params(t, c, o, sr->procs);
    results_param_int(t, "n", sr->n);
    results_param_int(t, "batch", st->batch[si]);
    results_metric(err, t, "slowdown", "x", "lower", sr->slowdown, sr->n_slowdown);
    ts_series(t, "aggregate_x", "x", sr->aggregate, sr->trials);
    ts_series(t, "overlap", "fraction", sr->overlap, sr->trials);
    str_printf(basis, sizeof(basis),
               "time-slicing runs one context at a time: each of %u processes gets at most 1/%u "
               "of the GPU's time",
               sr->procs, sr->procs);
    results_bound(t, sr->procs, "x", "lower", basis);
    results_derived(t, "aggregate_x", agg);
    results_derived(t, "progress_per_process",
                    1.0 / stats_percentile(sr->slowdown, sr->n_slowdown, 50));
    results_derived(t, "tflops_solo", ts_gemm_tflops(sr->n, st->solo_rate[si]));
    results_derived(t, "tflops_aggregate", ts_gemm_tflops(sr->n, st->solo_rate[si] * agg));
    results_derived(t, "overlap_min", ovl_min);
    results_derived(t, "attempts", sr->attempts);
    results_derived(t, "low_overlap_flagged", sr->flagged);
    /* Each process runs one slice in every round of procs slices and procs switches, so
     * slowdown = procs (slice + switch) / slice: the switch a gemm context costs, assuming
     * it gets the slice the timeline part measured. */
    results_derived(t, "implied_switch_us",
                    st->slice_us[sr->procs] *
                        (stats_percentile(sr->slowdown, sr->n_slowdown, 50) / sr->procs - 1));
    ts_nvml_record(t, &sr->nvml);
    contention_verdict(t, sr, ovl_min, agg);
}

int timeslice_contention(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o,
                         struct timeslice_state *st)
{
    for (size_t si = 0; si < o->n_sizes; si++) {
        if (solo(err, c, o, st, si) < 0)
            return -1;
        for (unsigned p = 2; p <= o->max_procs; p++) {
            struct size_run sr = {.n = o->sizes[si], .procs = p};

            for (unsigned k = 0; k < c->trials; k++) {
                progress("timeslice contention: %u x gemm n=%u, trial %u/%u", p, sr.n, k + 1,
                         c->trials);
                if (contended_trial(err, c, o, st, si, &sr) < 0)
                    return -1;
            }
            record_contended(err, c, o, st, si, &sr);
        }
    }
    return 0;
}

int bench_timeslice(struct error *err, struct multi_ctx *c, const struct timeslice_opts *o)
{
    static const struct {
        unsigned bit;
        int (*fn)(struct error *, struct multi_ctx *, const struct timeslice_opts *,
                  struct timeslice_state *);
    } parts[] = {
        /* The timeline first: contention and victim compare their figures with its slice. */
        {TS_TIMELINE, timeslice_timeline},
        {TS_CONTENTION, timeslice_contention},
        {TS_VICTIM, timeslice_victim},
    };
    struct timeslice_state st = {.victim_alone_p99_us = NAN, .victim_alone_p50_us = NAN};
    struct error perr;
    char what[64];
    int rc = 0;

    for (unsigned i = 0; i <= TS_MAX_PROCS; i++)
        st.slice_us[i] = st.switch_us[i] = NAN;
    for (size_t i = 0; i < TS_MAX_SIZES; i++)
        st.solo_rate[i] = NAN;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!(o->parts & parts[i].bit))
            continue;
        if (parts[i].fn(&perr, c, o, &st) == 0)
            continue;
        str_printf(what, sizeof(what), "timeslice.%s", timeslice_part_name(parts[i].bit));
        results_skip(c->doc, what, perr.msg);
        if (perr.code == ERR_INTERRUPTED) {
            *err = perr;
            return -1;
        }
        progress("timeslice %s: %s", timeslice_part_name(parts[i].bit), perr.msg);
        *err = perr;
        rc = -1;
    }
    return rc;
}
