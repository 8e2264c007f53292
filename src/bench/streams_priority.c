/*
 * Stream priorities: latency of a short probe kernel while a low-priority
 * stream keeps every SM busy with blocks of known length, against the same
 * with equal priorities and against the probe alone. A running block is never
 * preempted by priority, so one background block is the expected worst wait.
 */
#include "bench/bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bounds.h"
#include "core/progress.h"
#include "core/str.h"
#include "gpu/cu.h"
#include "gpu/kernels.h"
#include "results/results.h"

#define PROBE_NS (10ull * 1000)     /* the "inference" kernel: 10 us, one block */
#define BG_BLOCK_NS (100ull * 1000) /* each background block: 100 us */
#define BG_WAVES 10                 /* background kernel: 10 waves, about 1 ms */
#define BG_THREADS 256
#define BG_AHEAD 3     /* background kernels kept queued */
#define MAX_GAP_US 200 /* random idle time between probes */

enum prio_mode { PRIO_ALONE, PRIO_EQUAL, PRIO_HIGH };

struct prio_rig {
    cudaStream_t bg, probe;
    cudaEvent_t a, b;
    cudaEvent_t bg_done[BG_AHEAD + 1];
    unsigned bg_next;
    unsigned bg_blocks;
    uint64_t rng;
};

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Busy-waits on the host so probes land at random phases of the background waves. */
static void random_gap(uint64_t *rng)
{
    struct timespec t0, t;
    long ns = (long)(xorshift(rng) % (MAX_GAP_US * 1000));

    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ns);
}

/* Keeps BG_AHEAD background kernels queued: the GPU never drains between probes. */
static int feed_background(struct error *err, struct prio_rig *r)
{
    unsigned queued = 0;

    for (unsigned i = 0; i <= BG_AHEAD; i++)
        if (cudaEventQuery(r->bg_done[i]) == cudaErrorNotReady)
            queued++;
    while (queued < BG_AHEAD) {
        cudaEvent_t ev = r->bg_done[r->bg_next];

        if (cudaEventQuery(ev) == cudaErrorNotReady)
            break; /* its slot is still in flight; the ring is full */
        if (CU(err, k_spin(r->bg, r->bg_blocks, BG_THREADS, 0, BG_BLOCK_NS, NULL)) < 0 ||
            CU(err, cudaEventRecord(ev, r->bg)) < 0)
            return -1;
        r->bg_next = (r->bg_next + 1) % (BG_AHEAD + 1);
        queued++;
    }
    return 0;
}

static int create_streams(struct error *err, struct prio_rig *r, const struct gpu_info *info,
                          enum prio_mode mode)
{
    int probe_prio = mode == PRIO_HIGH ? info->priority_greatest : info->priority_least;

    if (CU(err, cudaStreamCreateWithPriority(&r->bg, cudaStreamNonBlocking, info->priority_least)) <
        0)
        return -1;
    return CU(err, cudaStreamCreateWithPriority(&r->probe, cudaStreamNonBlocking, probe_prio));
}

static void rig_release(struct prio_rig *r)
{
    if (r->bg != NULL) {
        cudaStreamSynchronize(r->bg);
        cudaStreamDestroy(r->bg);
    }
    if (r->probe != NULL)
        cudaStreamDestroy(r->probe);
    if (r->a != NULL)
        cudaEventDestroy(r->a);
    if (r->b != NULL)
        cudaEventDestroy(r->b);
    for (unsigned i = 0; i <= BG_AHEAD; i++)
        if (r->bg_done[i] != NULL)
            cudaEventDestroy(r->bg_done[i]);
}

static int rig_init(struct error *err, struct prio_rig *r, const struct gpu_info *info,
                    enum prio_mode mode)
{
    unsigned per_sm = info->max_threads_per_sm / BG_THREADS;

    memset(r, 0, sizeof(*r));
    r->rng = 0x9e3779b97f4a7c15ull;
    r->bg_blocks = info->sm_count * (per_sm > 0 ? per_sm : 1) * BG_WAVES;
    if (create_streams(err, r, info, mode) < 0 || CU(err, cudaEventCreate(&r->a)) < 0 ||
        CU(err, cudaEventCreate(&r->b)) < 0)
        return -1;
    for (unsigned i = 0; i <= BG_AHEAD; i++)
        if (CU(err, cudaEventCreate(&r->bg_done[i])) < 0)
            return -1;
    return 0;
}

/* One probe: events on the probe stream bracket its wait for an SM plus its run. */
static int probe_once(struct error *err, struct prio_rig *r, double *us)
{
    if (CU(err, cudaEventRecord(r->a, r->probe)) < 0 ||
        CU(err, k_spin(r->probe, 1, 32, 0, PROBE_NS, NULL)) < 0 ||
        CU(err, cudaEventRecord(r->b, r->probe)) < 0 || CU(err, cudaEventSynchronize(r->b)) < 0)
        return -1;
    *us = cu_elapsed_ms(r->a, r->b) * 1e3;
    return 0;
}

static int run_mode(struct error *err, struct bench_ctx *c, enum prio_mode mode, double *lat,
                    unsigned n)
{
    struct prio_rig r;
    int rv = -1;

    if (rig_init(err, &r, c->info, mode) < 0)
        goto fail;
    for (unsigned i = 0; i < n + c->warmup; i++) {
        if (mode != PRIO_ALONE && feed_background(err, &r) < 0)
            goto fail;
        random_gap(&r.rng);
        if (probe_once(err, &r, &lat[i < c->warmup ? 0 : i - c->warmup]) < 0)
            goto fail;
    }
    rv = 0;
fail:
    rig_release(&r);
    return rv;
}

static const char *mode_id(enum prio_mode m)
{
    return m == PRIO_ALONE ? "alone" : m == PRIO_EQUAL ? "equal" : "high";
}

static const char *mode_title(enum prio_mode m)
{
    switch (m) {
    case PRIO_ALONE:
        return "probe kernel latency, GPU otherwise idle";
    case PRIO_EQUAL:
        return "probe latency under a saturating stream, equal priorities";
    default:
        return "probe latency under a saturating stream, probe at high priority";
    }
}

static int record_mode(struct error *err, struct bench_ctx *c, enum prio_mode m, const double *lat,
                       unsigned n, double alone_p50, double alone_p99)
{
    char id[64], detail[200], basis[160];
    double p50 = stats_percentile(lat, n, 50), p99 = stats_percentile(lat, n, 99);
    double ceiling = alone_p99 + BG_BLOCK_NS / 1e3;
    json_t *t;

    str_printf(id, sizeof(id), "streams.priority.%s", mode_id(m));
    t = results_add_test(c->doc, id, "streams.priority", mode_title(m));
    results_param_int(t, "probes", n);
    results_param_int(t, "probe_ns", (long long)PROBE_NS);
    results_param_int(t, "background_block_ns", (long long)BG_BLOCK_NS);
    results_param_int(t, "background_waves", BG_WAVES);
    results_param_int(t, "priority",
                      m == PRIO_HIGH ? c->info->priority_greatest : c->info->priority_least);
    results_param_int(t, "priority_range_least", c->info->priority_least);
    results_param_int(t, "priority_range_greatest", c->info->priority_greatest);
    if (results_metric(err, t, "latency", "us", "lower", lat, n) < 0)
        return -1;
    results_derived(t, "p50_us", p50);
    results_derived(t, "p99_us", p99);
    results_derived(t, "max_us", stats_percentile(lat, n, 100));
    results_derived(t, "p99_over_alone", p99 / alone_p99);
    str_printf(basis, sizeof(basis), "the probe alone (p50 %.1f us)", alone_p50);
    results_bound(t, alone_p50, "us", "lower",
                  m == PRIO_ALONE ? "10 us of spin plus launch "
                                    "and event overhead"
                                  : basis);
    if (m != PRIO_HIGH) {
        str_printf(detail, sizeof(detail), "p50 %.1f us, p99 %.1f us, max %.1f us", p50, p99,
                   stats_percentile(lat, n, 100));
        results_verdict(t, VERDICT_INFO, "reference", detail);
        return 0;
    }
    /* Priority reorders block dispatch; it does not stop a running block. */
    results_derived(t, "expected_p99_ceiling_us", ceiling);
    str_printf(detail, sizeof(detail),
               "p50 %.1f us, p99 %.1f us, max %.1f us; p99 against alone p99 + one background "
               "block = %.1f us",
               p50, p99, stats_percentile(lat, n, 100), ceiling);
    results_verdict(t, p99 <= ceiling ? VERDICT_MEETS : VERDICT_MISSES,
                    "p99 <= alone p99 + one background block", detail);
    return 0;
}

int streams_priority(struct error *err, struct bench_ctx *c)
{
    unsigned n = c->trials * 100; /* enough probes for a p99 */
    double *lat[3];
    double alone_p50, alone_p99;
    int rv = -1;

    for (int m = 0; m < 3; m++)
        lat[m] = bench_samples(n + c->warmup);
    for (int m = PRIO_ALONE; m <= PRIO_HIGH; m++) {
        progress("streams: priority, %s (%u probes)", mode_id((enum prio_mode)m), n);
        if (run_mode(err, c, (enum prio_mode)m, lat[m], n) < 0)
            goto fail;
    }
    alone_p50 = stats_percentile(lat[PRIO_ALONE], n, 50);
    alone_p99 = stats_percentile(lat[PRIO_ALONE], n, 99);
    for (int m = PRIO_ALONE; m <= PRIO_HIGH; m++)
        if (record_mode(err, c, (enum prio_mode)m, lat[m], n, alone_p50, alone_p99) < 0)
            goto fail;
    rv = 0;
fail:
    for (int m = 0; m < 3; m++)
        free(lat[m]);
    return rv;
}
