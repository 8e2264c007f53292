/*
 * bench streams: in-process sharing. This file runs the parts and holds the
 * kernel-concurrency test: k spin kernels of a chosen SM width, one stream
 * against k streams, timed with events behind a latch (nvbandwidth's method).
 */
#include "bench/bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bounds.h"
#include "core/progress.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "gpu/cu.h"
#include "gpu/kernels.h"
#include "results/results.h"

#define SPIN_NS (2ull * 1000 * 1000) /* 2 ms: launch costs (~us) vanish against it */
#define MAX_K CU_MAX_STREAMS

double *bench_samples(unsigned n)
{
    return xcalloc(n, sizeof(double));
}

struct spin_rig {
    struct cu_region reg;
    unsigned *smids; /* MAX_K x sms, device-written, host-mapped */
    size_t smem;     /* per block: over half an SM's, so one block per SM */
};

static int rig_init(struct error *err, struct spin_rig *r, const struct gpu_info *info)
{
    memset(r, 0, sizeof(*r));
    r->smem = info->smem_per_sm_bytes / 2 + 4096;
    if (r->smem > info->smem_per_block_optin_bytes)
        r->smem = info->smem_per_block_optin_bytes;
    if (CU(err, k_spin_allow_smem(r->smem)) < 0 || cu_region_init(err, &r->reg) < 0)
        return -1;
    return CU(err, cudaHostAlloc((void **)&r->smids, MAX_K * info->sm_count * sizeof(unsigned),
                                 cudaHostAllocMapped));
}

static void rig_release(struct spin_rig *r)
{
    cu_region_release(&r->reg);
    if (r->smids != NULL)
        cudaFreeHost(r->smids);
}

/* k kernels of `width` blocks: all on stream 0 (spread = false) or one per stream. */
static int spin_once(struct error *err, struct spin_rig *r, unsigned k, unsigned width, bool spread,
                     unsigned sms, double *ms)
{
    unsigned streams = spread ? k : 1;

    if (cu_region_begin(err, &r->reg, streams) < 0)
        return -1;
    for (unsigned j = 0; j < k; j++)
        if (CU(err, k_spin(r->reg.s[spread ? j : 0], width, 32, r->smem, SPIN_NS,
                           r->smids + (size_t)j * sms)) < 0)
            return -1;
    return cu_region_end(err, &r->reg, streams, ms);
}

/* Distinct SMs the k kernels of the last run landed on: k x width when each block had its
 * own SM, as the bound assumes. */
static unsigned distinct_sms(const unsigned *smids, unsigned k, unsigned width, unsigned sms)
{
    unsigned char seen[1024] = {0};
    unsigned n = 0;

    for (unsigned j = 0; j < k; j++)
        for (unsigned b = 0; b < width; b++) {
            unsigned id = smids[(size_t)j * sms + b];

            if (id < sizeof(seen) && !seen[id]) {
                seen[id] = 1;
                n++;
            }
        }
    return n;
}

static int calibrate(struct error *err, struct bench_ctx *c, struct spin_rig *r)
{
    double *ms = bench_samples(c->trials);
    json_t *t;
    double med;
    int rv = -1;

    for (unsigned i = 0; i < c->warmup + c->trials; i++)
        if (spin_once(err, r, 1, 1, false, c->info->sm_count,
                      &ms[i < c->warmup ? 0 : i - c->warmup]) < 0)
            goto fail;
    t = results_add_test(c->doc, "streams.kernels.calibration", "streams.kernels",
                         "spin kernel: requested 2 ms of %globaltimer, one block");
    results_param_int(t, "requested_ns", (long long)SPIN_NS);
    if (results_metric(err, t, "duration", "ms", "lower", ms, c->trials) < 0)
        goto fail;
    med = stats_percentile(ms, c->trials, 50);
    results_bound(t, SPIN_NS / 1e6, "ms", "lower",
                  "the requested spin; the excess is launch and "
                  "event overhead");
    results_derived(t, "overhead_us", (med - SPIN_NS / 1e6) * 1e3);
    results_verdict(t, VERDICT_INFO, "calibration", "the spin kernels below last this long each");
    rv = 0;
fail:
    free(ms);
    return rv;
}

static int concurrency_case(struct error *err, struct bench_ctx *c, struct spin_rig *r,
                            unsigned width, unsigned k)
{
    unsigned sms = c->info->sm_count;
    double *serial = bench_samples(c->trials), *conc = bench_samples(c->trials);
    double *speedup = bench_samples(c->trials);
    double ideal = bound_stream_speedup(k, sms, width), med;
    char id[64], title[128], basis[128], detail[200];
    json_t *t;
    int rv = -1;

    for (unsigned i = 0; i < c->warmup + c->trials; i++) {
        unsigned slot = i < c->warmup ? 0 : i - c->warmup;

        if (spin_once(err, r, k, width, false, sms, &serial[slot]) < 0 ||
            spin_once(err, r, k, width, true, sms, &conc[slot]) < 0)
            goto fail;
        speedup[slot] = serial[slot] / conc[slot];
    }
    str_printf(id, sizeof(id), "streams.kernels.w%u.k%u", width, k);
    str_printf(title, sizeof(title), "%u spin kernels of %u SMs: %u streams vs 1", k, width, k);
    t = results_add_test(c->doc, id, "streams.kernels", title);
    results_param_int(t, "k", k);
    results_param_int(t, "sms_per_kernel", width);
    results_param_int(t, "sm_count", sms);
    results_param_int(t, "spin_ns", (long long)SPIN_NS);
    results_param_int(t, "smem_per_block", (long long)r->smem);
    if (results_metric(err, t, "speedup", "x", "higher", speedup, c->trials) < 0 ||
        results_series(err, t, "one_stream_ms", "ms", serial, c->trials) < 0 ||
        results_series(err, t, "k_streams_ms", "ms", conc, c->trials) < 0)
        goto fail;
    str_printf(basis, sizeof(basis),
               "k / ceil(k / fit), fit = min(k, floor(SMs / SMs per kernel)) = min(%u, %u / %u)", k,
               sms, width);
    results_bound(t, ideal, "x", "upper", basis);
    results_derived(t, "distinct_sms_last_run", distinct_sms(r->smids, k, width, sms));
    /* The formula, which ignores that whole kernels run in rounds. */
    results_derived(t, "ideal_min_k_sms_ratio", fmin((double)k, (double)sms / width));
    med = stats_percentile(speedup, c->trials, 50);
    results_derived(t, "share_of_ideal", med / ideal);
    str_printf(detail, sizeof(detail), "%.2fx of an ideal %.2fx (%.0f%%)", med, ideal,
               100 * med / ideal);
    results_verdict(t, verdict_at_least(med, 0.95 * ideal), ">= 95% of the ideal", detail);
    rv = 0;
fail:
    free(serial);
    free(conc);
    free(speedup);
    return rv;
}

int streams_kernels(struct error *err, struct bench_ctx *c)
{
    unsigned sms = c->info->sm_count;
    unsigned widths[3] = {sms / 4, sms / 2, sms};
    struct spin_rig r;
    int rv = -1;

    if (rig_init(err, &r, c->info) < 0 || calibrate(err, c, &r) < 0)
        goto fail;
    for (int w = 0; w < 3; w++) {
        if (widths[w] == 0)
            continue;
        for (unsigned k = 2; k <= MAX_K; k++) {
            progress("streams: %u kernels of %u SMs", k, widths[w]);
            if (concurrency_case(err, c, &r, widths[w], k) < 0)
                goto fail;
        }
    }
    rv = 0;
fail:
    rig_release(&r);
    return rv;
}

static const struct {
    unsigned bit;
    int (*run)(struct error *, struct bench_ctx *);
} parts[] = {
    {STREAMS_KERNELS, streams_kernels},   {STREAMS_GEMM, streams_gemm},
    {STREAMS_COPY, streams_copy},         {STREAMS_PIPELINE, streams_pipeline},
    {STREAMS_PRIORITY, streams_priority},
};

int bench_streams(struct error *err, struct bench_ctx *c, unsigned mask)
{
    int failed = 0;

    if (CU(err, cudaSetDevice(c->device)) < 0 || CU(err, k_warm(NULL)) < 0 ||
        CU(err, cudaDeviceSynchronize()) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        struct error perr;

        if (!(mask & parts[i].bit))
            continue;
        progress("streams: %s", streams_part_name(parts[i].bit));
        error_clear(&perr);
        if (parts[i].run(&perr, c) == 0)
            continue;
        /* A missing library is a skip; anything else is a failure, reported after the rest
         * have run so one broken part does not cost the others' figures. */
        results_skip(c->doc, streams_part_name(parts[i].bit), perr.msg);
        progress("streams: %s: %s", streams_part_name(parts[i].bit), perr.msg);
        if (perr.code != ERR_UNSUPPORTED && !failed) {
            *err = perr;
            failed = 1;
        }
        /* A sticky CUDA error poisons the context: later parts would fail for its sake. */
        if (perr.code == ERR_CUDA && cudaDeviceSynchronize() != cudaSuccess)
            break;
    }
    return failed ? -1 : 0;
}
