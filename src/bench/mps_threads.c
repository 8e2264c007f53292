/*
 * bench mps, threads and memlimit parts: what CUDA_MPS_ACTIVE_THREAD_PERCENTAGE gives a client
 * (MPS doc 2.3.5.2: a cap, not a reservation, rounded down to what the hardware supports, with
 * the granularity undocumented), and what CUDA_MPS_PINNED_DEVICE_MEM_LIMIT does to an
 * allocation past it (MPS doc 2.3.5.4, 4.2.7).
 */
#include "bench/mpsbench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "results/results.h"

#define PCT_POINTS 100
/* Light clients measured at once in the SM-count sweep; far below the client limit. */
#define SWEEP_BATCH 20
#define SWEEP_HOLD_S 0.3

/* SM counts seen at every whole percentage 1..100. */
struct sm_table {
    double pct[PCT_POINTS], attr[PCT_POINTS], smid[PCT_POINTS];
    size_t n;
};

/* One light worker per percentage: the spin workload reports both counts in its ready line. */
static int sweep_batch(struct error *err, struct multi_ctx *c, unsigned first, unsigned count,
                       struct sm_table *tb)
{
    struct worker_argv a[SWEEP_BATCH];
    struct worker_argv *ap[SWEEP_BATCH] = {0};
    struct multi_run r;

    for (unsigned i = 0; i < count; i++) {
        /* Long enough for the timed windows to overlap, which every run must. */
        worker_argv_init(&a[i], c, "spin", SWEEP_HOLD_S);
        worker_argv_add(&a[i], "--spin-ms", "1");
        worker_argv_add(&a[i], "--warmup", "0");
        worker_argv_add(&a[i], "--mps-thread-pct", "%u", first + i);
        ap[i] = &a[i];
    }
    if (multi_run(err, c, count, ap, &r) < 0)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        tb->pct[tb->n] = first + i;
        tb->attr[tb->n] = multi_num(r.w[i].ready_msg, "sms");
        tb->smid[tb->n++] = multi_num(r.w[i].ready_msg, "smids");
    }
    multi_run_free(&r);
    return 0;
}

static unsigned gcd(unsigned a, unsigned b)
{
    while (b != 0) {
        unsigned t = a % b;

        a = b;
        b = t;
    }
    return a;
}

/* The step every count is a multiple of: the hardware's granularity if the sweep saw it. */
static unsigned granularity(const struct sm_table *tb)
{
    unsigned g = 0;

    for (size_t i = 0; i < tb->n; i++)
        if (isfinite(tb->attr[i]) && tb->attr[i] > 0)
            g = gcd(g, (unsigned)tb->attr[i]);
    return g;
}

static void record_table(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o,
                         const struct sm_table *tb)
{
    unsigned g = granularity(tb), down = 0, same = 0;
    double total = o->sms_total, lo = INFINITY, gd = g;
    char detail[320];
    json_t *t;

    for (size_t i = 0; i < tb->n; i++)
        lo = fmin(lo, tb->attr[i]);
    /* The model: the exact share rounded down to a multiple of g, but never below the
     * smallest count seen (the hardware's minimum partition). */
    for (size_t i = 0; i < tb->n; i++) {
        double exact = tb->pct[i] * total / 100;

        if (g > 0 && tb->attr[i] == fmax(lo, floor(exact / g) * g))
            down++;
        same += tb->attr[i] == tb->smid[i];
    }
    t = results_add_test(c->doc, "mps.threads.sms", "mps.threads",
                         "SMs a client sees at every thread percentage 1..100");
    results_param_str(t, "sharing", "MPS (one private daemon)");
    results_param_str(t, "workload", "spin kernel, one block per SM, 8 blocks per SM seen");
    results_metric(err, t, "granularity", "SMs", "lower", &gd, 1);
    results_series(err, t, "thread_pct", "%", tb->pct, tb->n);
    results_series(err, t, "sms_attribute", "SMs", tb->attr, tb->n);
    results_series(err, t, "sms_smid", "SMs", tb->smid, tb->n);
    results_bound(t, total, "SMs", "upper", "the GPU's SMs");
    results_derived(t, "sms_total", total);
    results_derived(t, "granularity_sms", g);
    results_derived(t, "sms_min", lo);
    results_derived(t, "model_matches_share", (double)down / (double)tb->n);
    results_derived(t, "smid_matches_attribute_share", (double)same / (double)tb->n);
    str_printf(detail, sizeof(detail),
               "every count is a multiple of %u SMs, at least %.0f; max(%.0f, floor(pct x %.0f / "
               "%u) x %u) matches %u of %zu percentages; the distinct %%smid count equals the "
               "attribute in %u",
               g, lo, lo, total, g, g, down, tb->n, same);
    results_verdict(t, VERDICT_INFO, "", detail);
}

/* Gemm throughput of one client at each percentage, and the SMs it saw. */
struct gemm_point {
    unsigned pct;
    double tflops[TS_MAX_TRIALS];
    double sms, smids;
};

static int gemm_point(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o,
                      struct gemm_point *g)
{
    struct worker_argv a;
    struct worker_argv *ap[1] = {&a};
    struct multi_run r;

    for (unsigned k = 0; k < c->trials; k++) {
        progress("mps threads: gemm n=%u at %u%%, trial %u/%u", o->sweep_n, g->pct, k + 1,
                 c->trials);
        worker_argv_init(&a, c, "gemm", c->duration_s);
        worker_argv_add(&a, "--n", "%u", o->sweep_n);
        worker_argv_add(&a, "--dtype", "%s", o->ts.bf16 ? "bf16" : "fp32");
        worker_argv_add(&a, "--mps-thread-pct", "%u", g->pct);
        if (multi_run(err, c, 1, ap, &r) < 0)
            return -1;
        g->tflops[k] = ts_gemm_tflops(o->sweep_n, r.rates[0]);
        g->sms = multi_num(r.w[0].ready_msg, "sms");
        g->smids = multi_num(r.w[0].ready_msg, "smids");
        multi_run_free(&r);
    }
    return 0;
}

static void record_point(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o,
                         const struct gemm_point *g, double full_tf)
{
    double tf = stats_percentile(g->tflops, c->trials, 50), share = g->sms / o->sms_total;
    char id[64], title[96], detail[200];
    json_t *t;

    str_printf(id, sizeof(id), "mps.threads.gemm.p%03u", g->pct);
    str_printf(title, sizeof(title), "one client at %u%% of the threads, gemm n=%u", g->pct,
               o->sweep_n);
    t = results_add_test(c->doc, id, "mps.threads", title);
    results_param_int(t, "thread_pct", g->pct);
    results_param_int(t, "n", o->sweep_n);
    results_param_int(t, "trials", c->trials);
    results_param_num(t, "duration_s", c->duration_s);
    results_param_str(t, "sharing", "MPS (one private daemon)");
    results_metric(err, t, "throughput", "TFLOP/s", "higher", g->tflops, c->trials);
    results_bound(t, full_tf * share, "TFLOP/s", "upper",
                  "the 100% client's throughput times the share of SMs the cap leaves");
    results_derived(t, "sms_attribute", g->sms);
    results_derived(t, "sms_smid", g->smids);
    results_derived(t, "sm_share", share);
    results_derived(t, "share_of_full", tf / full_tf);
    results_derived(t, "efficiency_vs_sm_share", tf / full_tf / share);
    str_printf(detail, sizeof(detail),
               "%.0f SMs (%.0f%% of the GPU) give %.1f%% of the full client's throughput", g->sms,
               100 * share, 100 * tf / full_tf);
    results_verdict(t, VERDICT_INFO, "", detail);
}

static int gemm_sweep(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o)
{
    struct gemm_point pts[PCT_POINTS] = {0};
    size_t n = 0;
    double full_tf;

    /* 100% first: it is what every other point is set against. */
    for (int pct = 100; pct >= (int)o->sweep_step && n < PCT_POINTS; pct -= (int)o->sweep_step) {
        pts[n].pct = (unsigned)pct;
        if (gemm_point(err, c, o, &pts[n++]) < 0)
            return -1;
    }
    full_tf = stats_percentile(pts[0].tflops, c->trials, 50);
    for (size_t i = n; i-- > 0;)
        record_point(err, c, o, &pts[i], full_tf);
    return 0;
}

int mps_threads(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o)
{
    struct sm_table tb = {0};

    if (o->sms_total == 0)
        return error_set(err, ERR_INVALID, "the GPU's SM count is unknown");
    for (unsigned first = 1; first <= PCT_POINTS; first += SWEEP_BATCH) {
        progress("mps threads: SMs seen at %u..%u%%", first, first + SWEEP_BATCH - 1);
        if (sweep_batch(err, c, first, SWEEP_BATCH, &tb) < 0)
            return -1;
    }
    record_table(err, c, o, &tb);
    return gemm_sweep(err, c, o);
}

/* How much memory the limited client gets: far below the GPU's, far above its gemm's needs. */
#define MEMLIMIT "2G"

int mps_memlimit(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o)
{
    struct worker_argv a[2];
    struct worker_argv *ap[2] = {&a[0], &a[1]};
    const char *over;
    struct multi_run r;
    char detail[256];
    double free_mib;
    bool refused;
    json_t *t;

    progress("mps memlimit: a client limited to %s beside one without a limit", MEMLIMIT);
    for (int i = 0; i < 2; i++) {
        worker_argv_init(&a[i], c, "gemm", c->duration_s);
        worker_argv_add(&a[i], "--n", "%u", o->sweep_n);
    }
    /* Keyed by the ordinal the client uses (MPS doc 4.2.7). */
    worker_argv_add(&a[0], "--mps-mem-limit", "%d=" MEMLIMIT, c->device);
    if (multi_run(err, c, 2, ap, &r) < 0)
        return -1;
    over = json_string_value(json_object_get(r.w[0].ready_msg, "over_limit_alloc"));
    refused = over != NULL && strcmp(over, "cudaErrorMemoryAllocation") == 0;
    t = results_add_test(c->doc, "mps.memlimit", "mps.memlimit",
                         "an allocation past CUDA_MPS_PINNED_DEVICE_MEM_LIMIT, beside a client "
                         "without one");
    results_param_str(t, "mps_pinned_device_mem_limit", MEMLIMIT);
    results_param_int(t, "n", o->sweep_n);
    results_param_num(t, "duration_s", c->duration_s);
    results_derived_str(t, "alloc_past_limit", over != NULL ? over : "not probed");
    free_mib = multi_num(r.w[0].ready_msg, "mem_free_bytes") / 1048576;
    results_metric(err, t, "limited_free_mib", "MiB", "higher", &free_mib, 1);
    results_bound(t, 2048, "MiB", "upper", "the limit: what the client may pin at most");
    results_derived(t, "limited_free_mib", multi_num(r.w[0].ready_msg, "mem_free_bytes") / 1048576);
    results_derived(t, "limited_total_mib",
                    multi_num(r.w[0].ready_msg, "mem_total_bytes") / 1048576);
    results_derived(t, "unlimited_free_mib",
                    multi_num(r.w[1].ready_msg, "mem_free_bytes") / 1048576);
    results_derived(t, "limited_tflops", ts_gemm_tflops(o->sweep_n, r.rates[0]));
    results_derived(t, "unlimited_tflops", ts_gemm_tflops(o->sweep_n, r.rates[1]));
    results_derived(t, "overlap_min", r.win.min_fraction);
    str_printf(detail, sizeof(detail),
               "the allocation past the limit returned %s; both clients then ran their GEMMs "
               "(%.1f and %.1f TFLOP/s side by side); the limited client was told %.0f MiB free",
               over != NULL ? over : "nothing", ts_gemm_tflops(o->sweep_n, r.rates[0]),
               ts_gemm_tflops(o->sweep_n, r.rates[1]),
               multi_num(r.w[0].ready_msg, "mem_free_bytes") / 1048576);
    results_verdict(t, refused ? VERDICT_MEETS : VERDICT_MISSES,
                    "cudaErrorMemoryAllocation past the limit (MPS doc 2.3.5.4), and both "
                    "clients finish their work",
                    detail);
    multi_run_free(&r);
    return 0;
}
