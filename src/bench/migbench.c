/*
 * bench mig: what a MIG slice gives a workload. With MIG enabled and instances in place, the
 * workloads run on each MIG device. Otherwise gpushare never enables MIG (it would need a GPU
 * reset on a machine that may not be ours): it emulates each slice with MPS, capping the
 * client at the slice's SM count (CUDA_MPS_ACTIVE_THREAD_PERCENTAGE) and its memory
 * (CUDA_MPS_PINNED_DEVICE_MEM_LIMIT). That reproduces SMs and memory capacity only: the client
 * still shares the whole L2 and all of the DRAM bandwidth, which a real slice would not.
 */
#include "bench/migbench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/mpsbench.h"
#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "gpu/nvml.h"
#include "results/results.h"

#define EMULATION_LABEL "emulated: SMs and memory capacity only, no L2 or DRAM-bandwidth isolation"

/* One run's figures: a gemm worker's TFLOP/s, or an inference worker's latencies. */
struct slice_meas {
    double tflops[TS_MAX_TRIALS];
    double p50[TS_MAX_TRIALS], p99[TS_MAX_TRIALS];
    size_t trials;
    double sms_seen, mem_seen_mib, mem_free_seen_mib;
    double algo_id, ctas, cluster_x; /* the GEMM cuBLASLt chose for the SMs it saw */
    char over_limit[48];             /* what an allocation past the memory limit did */
};

static double tflops_of(unsigned n, double gemms_per_s)
{
    return 2.0 * n * n * (double)n * gemms_per_s / 1e12;
}

/* Per-worker options that place it: on a MIG device, or inside an emulated slice. */
struct placement {
    const char *visible; /* a MIG device's UUID */
    char pct[16];        /* CUDA_MPS_ACTIVE_THREAD_PERCENTAGE */
    char mem_limit[32];  /* CUDA_MPS_PINNED_DEVICE_MEM_LIMIT */
};

static void place(struct worker_argv *a, const struct placement *p)
{
    if (p == NULL)
        return;
    /* With one device visible it is ordinal 0, whatever --device says (getopt: last wins). */
    if (p->visible != NULL) {
        worker_argv_add(a, "--visible-devices", "%s", p->visible);
        worker_argv_add(a, "--device", "0");
    }
    if (p->pct[0] != '\0')
        worker_argv_add(a, "--mps-thread-pct", "%s", p->pct);
    if (p->mem_limit[0] != '\0')
        worker_argv_add(a, "--mps-mem-limit", "%s", p->mem_limit);
}

static int run_one(struct error *err, struct multi_ctx *c, struct worker_argv *a,
                   struct multi_run *r)
{
    struct worker_argv *ap[1] = {a};

    return multi_run(err, c, 1, ap, r);
}

static int gemm_trial(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                      const struct placement *p, struct slice_meas *m)
{
    struct worker_argv a;
    struct multi_run r;

    worker_argv_init(&a, c, "gemm", c->duration_s);
    worker_argv_add(&a, "--n", "%u", o->n);
    place(&a, p);
    if (run_one(err, c, &a, &r) < 0)
        return -1;
    m->tflops[m->trials] = tflops_of(o->n, r.rates[0]);
    m->sms_seen = multi_num(r.w[0].ready_msg, "sms");
    m->mem_seen_mib = multi_num(r.w[0].ready_msg, "mem_total_bytes") / 1048576.0;
    m->mem_free_seen_mib = multi_num(r.w[0].ready_msg, "mem_free_bytes") / 1048576.0;
    m->algo_id = multi_num(r.w[0].ready_msg, "algo_id");
    m->ctas = multi_num(r.w[0].ready_msg, "ctas");
    m->cluster_x = multi_num(r.w[0].ready_msg, "cluster_x");
    str_printf(m->over_limit, sizeof(m->over_limit), "%s",
               json_string_value(json_object_get(r.w[0].ready_msg, "over_limit_alloc")) != NULL
                   ? json_string_value(json_object_get(r.w[0].ready_msg, "over_limit_alloc"))
                   : "");
    multi_run_free(&r);
    return 0;
}

static int infer_trial(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                       const struct placement *p, struct slice_meas *m)
{
    const json_t *lat, *v;
    struct worker_argv a;
    struct multi_run r;
    double *x;
    size_t n, i;

    worker_argv_init(&a, c, "infer", c->duration_s);
    worker_argv_add(&a, "--hidden", "%u", o->hidden);
    worker_argv_add(&a, "--layers", "%u", o->layers);
    worker_argv_add(&a, "--dtype", "bf16");
    worker_argv_add(&a, "--warmup", "50");
    place(&a, p);
    if (run_one(err, c, &a, &r) < 0)
        return -1;
    lat = json_object_get(r.w[0].result, "latencies_us");
    n = json_array_size(lat);
    x = xcalloc(n + 1, sizeof(*x));
    json_array_foreach (lat, i, v)
        x[i] = json_number_value(v);
    m->p50[m->trials] = n > 0 ? stats_percentile(x, n, 50) : NAN;
    m->p99[m->trials] = n > 0 ? stats_percentile(x, n, 99) : NAN;
    free(x);
    multi_run_free(&r);
    return n > 0 ? 0 : error_set(err, ERR_INVALID, "the inference worker reported no requests");
}

/* Trials of both workloads, interleaved so a slow spell of the machine falls on both. */
static int measure(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                   const struct placement *p, const char *what, struct slice_meas *m)
{
    memset(m, 0, sizeof(*m));
    for (unsigned k = 0; k < c->trials; k++) {
        progress("mig %s: trial %u/%u", what, k + 1, c->trials);
        if (gemm_trial(err, c, o, p, m) < 0 || infer_trial(err, c, o, p, m) < 0)
            return -1;
        m->trials++;
    }
    return 0;
}

/* Which GEMM kernel ran: cuBLASLt chooses by the SMs the process sees. */
static void gemm_derived(json_t *t, const struct slice_meas *m)
{
    results_derived(t, "gemm_algo_id", m->algo_id);
    results_derived(t, "gemm_ctas", m->ctas);
    results_derived(t, "gemm_cluster_x", m->cluster_x);
}

/* The full GPU, no MPS: what every slice is set against. */
static void record_full(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                        const struct slice_meas *m)
{
    json_t *t = results_add_test(c->doc, "mig.full", "mig", "the whole GPU, no MPS: reference");

    results_param_int(t, "n", o->n);
    results_param_int(t, "trials", c->trials);
    results_param_num(t, "duration_s", c->duration_s);
    results_metric(err, t, "throughput", "TFLOP/s", "higher", m->tflops, m->trials);
    ts_series(t, "infer_p50_us", "us", m->p50, m->trials);
    ts_series(t, "infer_p99_us", "us", m->p99, m->trials);
    results_derived(t, "sms_seen", m->sms_seen);
    gemm_derived(t, m);
    results_verdict(t, VERDICT_INFO, "", "the figures every slice is compared with");
}

static void slice_verdict(json_t *t, const struct mig_profile_spec *ps, double seen,
                          const char *label)
{
    char detail[256];

    str_printf(detail, sizeof(detail), "%s; the client saw %.0f SMs for the profile's %u%s", label,
               seen, ps->sms,
               seen == ps->sms ? "" : " (MPS rounds a percentage down to what the GPU supports)");
    results_verdict(t, VERDICT_INFO, "", detail);
}

/* What every slice test holds, emulated or on a MIG device. */
static json_t *slice_test(struct multi_ctx *c, const struct migbench_opts *o,
                          const struct mig_gpu *g, const struct mig_profile_spec *ps,
                          const char *id, const char *title, const char *method)
{
    json_t *t = results_add_test(c->doc, id, "mig", title);

    results_param_str(t, "profile", ps->name);
    results_param_str(t, "gpu", g->model);
    results_param_str(t, "method", method);
    results_param_int(t, "n", o->n);
    results_param_int(t, "trials", c->trials);
    results_derived_str(t, "catalog_row", ps->verified ? "verified" : "unverified");
    return t;
}

static void slice_figures(json_t *t, const struct mig_profile_spec *ps, const struct slice_meas *m)
{
    ts_series(t, "tflops", "TFLOP/s", m->tflops, m->trials);
    ts_series(t, "infer_p50_us", "us", m->p50, m->trials);
    ts_series(t, "infer_p99_us", "us", m->p99, m->trials);
    results_derived(t, "sms_profile", ps->sms);
    results_derived(t, "sms_seen", m->sms_seen);
    results_derived(t, "memory_seen_mib", m->mem_seen_mib);
    results_derived(t, "memory_free_seen_mib", m->mem_free_seen_mib);
    gemm_derived(t, m);
}

static void record_emulated(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                            const struct mig_gpu *g, const struct mig_profile_spec *ps,
                            const struct placement *p, const struct slice_meas *m,
                            const struct slice_meas *full)
{
    double share[TS_MAX_TRIALS], full_tf = stats_percentile(full->tflops, full->trials, 50);
    double full_p50 = stats_percentile(full->p50, full->trials, 50);
    char id[96], title[128], basis[160];
    json_t *t;

    for (size_t k = 0; k < m->trials; k++)
        share[k] = m->tflops[k] / full_tf;
    str_printf(id, sizeof(id), "mig.emulated.%s", ps->name);
    str_printf(title, sizeof(title), "%s slice (%u SMs, %.2f GiB), emulated with MPS", ps->name,
               ps->sms, ps->mem_gib);
    t = slice_test(c, o, g, ps, id, title, EMULATION_LABEL);
    results_param_str(t, "mps_active_thread_percentage", p->pct);
    results_param_str(t, "mps_pinned_device_mem_limit", p->mem_limit);
    results_metric(err, t, "throughput_share", "fraction", "higher", share, m->trials);
    str_printf(basis, sizeof(basis),
               "the slice's share of SMs, %u of %u: a compute-bound GEMM scales with SMs", ps->sms,
               g->sms);
    results_bound(t, (double)ps->sms / g->sms, "fraction", "upper", basis);
    slice_figures(t, ps, m);
    if (m->over_limit[0] != '\0')
        results_derived_str(t, "alloc_past_memory_limit", m->over_limit);
    results_derived(t, "share_of_sm_share",
                    stats_percentile(share, m->trials, 50) / ((double)ps->sms / g->sms));
    results_derived(t, "infer_p50_over_full", stats_percentile(m->p50, m->trials, 50) / full_p50);
    /* A real slice gets its memory slices' share of DRAM bandwidth (MIG User Guide: a memory
     * slice is about 1/8 of capacity and bandwidth): the bandwidth-bound request would take
     * about this many times longer than on the whole GPU. */
    results_derived(t, "real_mig_infer_slowdown_expected",
                    (double)g->mem_slices / ps->placements[0].size);
    slice_verdict(t, ps, m->sms_seen, EMULATION_LABEL);
}

/* On a MIG device: no whole-GPU figure exists while MIG is on, so the figures stand alone. */
static void record_device(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                          const struct mig_gpu *g, const struct mig_profile_spec *ps, size_t index,
                          const struct mig_device *dev, const struct slice_meas *m)
{
    char id[96], title[160], basis[160];
    json_t *t;

    str_printf(id, sizeof(id), "mig.device.%s.%zu", ps->name, index);
    str_printf(title, sizeof(title), "MIG device %zu, %s (%u SMs, %.2f GiB)", index, ps->name,
               ps->sms, ps->mem_gib);
    t = slice_test(c, o, g, ps, id, title, "MIG device");
    results_param_str(t, "mig_device_uuid", dev->uuid);
    results_metric(err, t, "throughput", "TFLOP/s", "higher", m->tflops, m->trials);
    str_printf(basis, sizeof(basis), "the device's own SMs, %u of the GPU's %u", ps->sms, g->sms);
    results_bound(t, NAN, "TFLOP/s", "upper", basis);
    slice_figures(t, ps, m);
    results_derived(t, "tflops_per_sm", stats_percentile(m->tflops, m->trials, 50) / ps->sms);
    slice_verdict(t, ps, m->sms_seen, "measured on the MIG device");
}

/* The profiles worth a run: one per distinct SM count and memory (+me shares its base's). */
static bool wanted(const struct migbench_opts *o, const struct mig_profile_spec *ps)
{
    size_t len = strlen(ps->name);

    if (ps->media_ext || ps->sms == 0)
        return false;
    if (o->profiles == NULL)
        return true;
    for (const char *p = o->profiles; *p != '\0';
         p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
        if (strcspn(p, ",") == len && strncmp(p, ps->name, len) == 0)
            return true;
    return false;
}

/* A slice of s SMs: the percentage rounded up to 0.1, so the cap is not below s SMs before
 * MPS rounds it down to the granularity the GPU supports (MPS doc 2.3.5.2). */
static void emulate_placement(const struct mig_gpu *g, const struct mig_profile_spec *ps,
                              int device, struct placement *p)
{
    double pct = ceil(1000.0 * ps->sms / g->sms) / 10.0;

    memset(p, 0, sizeof(*p));
    str_printf(p->pct, sizeof(p->pct), "%.1f", pct > 100 ? 100.0 : pct);
    /* Keyed by the device ordinal the client uses (MPS doc 4.2.7). */
    str_printf(p->mem_limit, sizeof(p->mem_limit), "%d=%uM", device,
               (unsigned)(ps->mem_gib * 1024));
}

/* The slices, one at a time, as clients of one private daemon. */
static int emulate_slices(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                          const struct mig_gpu *g, const struct slice_meas *full)
{
    struct slice_meas m;
    struct placement p;
    unsigned done = 0;

    for (unsigned i = 0; i < g->n_profiles; i++) {
        const struct mig_profile_spec *ps = &g->profiles[i];

        if (!wanted(o, ps))
            continue;
        done++;
        emulate_placement(g, ps, c->device, &p);
        if (measure(err, c, o, &p, ps->name, &m) < 0)
            return -1;
        record_emulated(err, c, o, g, ps, &p, &m, full);
    }
    /* A slice is emulated by its SM count: a profile whose count is unknown cannot be. */
    if (done == 0)
        results_skip(c->doc, "mig.emulated",
                     "no profile asked for has an SM count in the catalog (--profiles, or an "
                     "unverified GPU entry)");
    return 0;
}

struct emulation {
    const struct migbench_opts *o;
    const struct mig_gpu *g;
    const struct slice_meas *full;
};

static int emulate_in_session(struct error *err, struct multi_ctx *c, void *arg)
{
    const struct emulation *e = arg;

    return emulate_slices(err, c, e->o, e->g, e->full);
}

/* The slices as clients of one private daemon, stopped whatever happens (bench/mpsbench.h). */
static int emulate(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                   const struct mig_gpu *g, const struct slice_meas *full)
{
    struct emulation e = {.o = o, .g = g, .full = full};

    return mps_session(err, c, emulate_in_session, &e);
}

static int on_mig_devices(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
                          const struct mig_gpu *g, const struct mig_device *dev, size_t n)
{
    struct slice_meas m;
    struct placement p;
    unsigned idx;

    for (size_t i = 0; i < n; i++) {
        const struct mig_profile_spec *ps = mig_profile_find(g, dev[i].profile, &idx);

        if (ps == NULL) {
            results_skip(c->doc, dev[i].uuid, "its profile is not in the catalog");
            continue;
        }
        memset(&p, 0, sizeof(p));
        p.visible = dev[i].uuid;
        if (measure(err, c, o, &p, ps->name, &m) < 0)
            return -1;
        record_device(err, c, o, g, ps, i, &dev[i], &m);
    }
    return 0;
}

int bench_mig(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
              const struct gpu_info *info)
{
    const struct mig_gpu *g = mig_gpu_by_nvml_name(info->name);
    struct mig_device dev[MIG_MAX_INSTANCES];
    struct slice_meas full;
    size_t n = 0;

    if (g == NULL) {
        results_skip(c->doc, "mig", "this GPU has no entry in the MIG catalog");
        return error_set(err, ERR_UNSUPPORTED,
                         "'%s' is not in the MIG catalog (gpushare mig "
                         "profiles lists it)",
                         info->name);
    }
    /* A misspelt --profiles name is an error, not a silently empty run. */
    if (o->profiles != NULL && mig_layout_parse(err, g, o->profiles, &(struct mig_layout){0}) < 0)
        return -1;
    if (info->mig.has_mode && info->mig.current_enabled) {
        if (nvml_mig_devices(err, info->pci_bus_id, info->device_index, dev, MIG_MAX_INSTANCES,
                             &n) < 0)
            return -1;
        if (n == 0)
            return error_set(err, ERR_UNSUPPORTED,
                             "MIG is enabled but no MIG device exists: create instances first "
                             "(gpushare mig check LAYOUT --out DIR writes the commands)");
        return on_mig_devices(err, c, o, g, dev, n);
    }
    if (measure(err, c, o, NULL, "whole GPU", &full) < 0)
        return -1;
    record_full(err, c, o, &full);
    return emulate(err, c, o, g, &full);
}
