/*
 * Host <-> device bandwidth by the copy engines, nvbandwidth's way: a latch
 * holds the stream while L copies are queued between two events, so only the
 * transfers are timed. Pinned memory from 4 KiB to 512 MiB in each direction
 * and both at once; pageable against pinned at one large size.
 */
#include "bench/bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bounds.h"
#include "core/progress.h"
#include "core/str.h"
#include "gpu/cu.h"
#include "gpu/kernels.h"
#include "gpu/pcie.h"
#include "results/results.h"

#define MAX_BYTES (512ull << 20)
#define PAGEABLE_BYTES (256ull << 20)
#define BAR_GBPS 50.0 /* issue #2 bar for Gen5 x16, about 79% of the 63 GB/s link */
#define BAR_FROM_BYTES (256ull << 20)

enum dir { H2D, D2H, BIDIR };

struct copy_rig {
    cudaStream_t s[2];
    cudaEvent_t start[2], stop[2];
    struct cu_latch latch;
    void *host[2], *dev[2]; /* [0]: H2D source/target, [1]: D2H */
};

static void rig_release(struct copy_rig *r)
{
    for (int i = 0; i < 2; i++) {
        if (r->s[i] != NULL)
            cudaStreamDestroy(r->s[i]);
        if (r->start[i] != NULL)
            cudaEventDestroy(r->start[i]);
        if (r->stop[i] != NULL)
            cudaEventDestroy(r->stop[i]);
        cudaFreeHost(r->host[i]);
        cudaFree(r->dev[i]);
    }
    cu_latch_release_all(&r->latch);
}

static int rig_init(struct error *err, struct copy_rig *r)
{
    memset(r, 0, sizeof(*r));
    if (cu_latch_init(err, &r->latch) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (CU(err, cudaStreamCreateWithFlags(&r->s[i], cudaStreamNonBlocking)) < 0 ||
            CU(err, cudaEventCreate(&r->start[i])) < 0 ||
            CU(err, cudaEventCreate(&r->stop[i])) < 0 ||
            CU(err, cudaHostAlloc(&r->host[i], MAX_BYTES, cudaHostAllocDefault)) < 0 ||
            CU(err, cudaMalloc(&r->dev[i], MAX_BYTES)) < 0)
            return -1;
        /* Real data, touched once, so no first-touch cost lands in a timed copy. */
        memset(r->host[i], 0x5a + i, MAX_BYTES);
        if (CU(err, k_fill_f32(r->s[i], r->dev[i], MAX_BYTES / 4, 7 + (uint32_t)i)) < 0)
            return -1;
    }
    return CU(err, cudaDeviceSynchronize());
}

/* Enough copies that small sizes are not all launch latency, few enough that the queue behind
 * the latch never fills (a full queue would block the host while the latch holds). */
static unsigned loops_for(size_t bytes)
{
    size_t l = (1ull << 30) / bytes;

    return l < 4 ? 4 : l > 200 ? 200 : (unsigned)l;
}

static int enqueue(struct error *err, struct copy_rig *r, int side, size_t bytes, unsigned loops)
{
    cudaStream_t s = r->s[side];

    if (cu_latch_hold(err, &r->latch, s) < 0 || CU(err, cudaEventRecord(r->start[side], s)) < 0)
        return -1;
    for (unsigned i = 0; i < loops; i++) {
        int rc = side == 0
                     ? cudaMemcpyAsync(r->dev[0], r->host[0], bytes, cudaMemcpyHostToDevice, s)
                     : cudaMemcpyAsync(r->host[1], r->dev[1], bytes, cudaMemcpyDeviceToHost, s);
        if (CU(err, rc) < 0)
            return -1;
    }
    return CU(err, cudaEventRecord(r->stop[side], s));
}

/* GB/s of each side used, and of both together over the union of their windows. */
static int copy_once(struct error *err, struct copy_rig *r, enum dir d, size_t bytes,
                     unsigned loops, double gbps[3])
{
    double total = (double)bytes * loops;

    if ((d != D2H && enqueue(err, r, 0, bytes, loops) < 0) ||
        (d != H2D && enqueue(err, r, 1, bytes, loops) < 0))
        return -1;
    cu_latch_open(&r->latch);
    if (CU(err, cudaDeviceSynchronize()) < 0 || cu_latch_check(err, &r->latch) < 0)
        return -1;
    gbps[0] = gbps[1] = gbps[2] = NAN;
    if (d != D2H)
        gbps[0] = total / (cu_elapsed_ms(r->start[0], r->stop[0]) * 1e6);
    if (d != H2D)
        gbps[1] = total / (cu_elapsed_ms(r->start[1], r->stop[1]) * 1e6);
    if (d == BIDIR) {
        double end =
            fmax(cu_elapsed_ms(r->start[0], r->stop[0]), cu_elapsed_ms(r->start[0], r->stop[1]));
        double begin = fmin(0, cu_elapsed_ms(r->start[0], r->start[1]));

        gbps[2] = 2 * total / ((end - begin) * 1e6);
    }
    return 0;
}

static const char *dir_name(enum dir d)
{
    return d == H2D ? "h2d" : d == D2H ? "d2h" : "bidir";
}

static void size_label(size_t bytes, char *out, size_t size)
{
    if (bytes >= (1u << 20))
        str_printf(out, size, "%zuMiB", bytes >> 20);
    else
        str_printf(out, size, "%zuKiB", bytes >> 10);
}

/* The link bound per direction from NVML's maximum generation and width; NAN if unknown. */
static double link_gbps(const struct gpu_info *info)
{
    if (!info->pcie.has_gen_max || !info->pcie.has_width_max)
        return NAN;
    return pcie_gbps_per_direction(info->pcie.gen_max, info->pcie.width_max);
}

static void judge(json_t *t, const struct gpu_info *info, enum dir d, size_t bytes, double med)
{
    double link = link_gbps(info) * (d == BIDIR ? 2 : 1);
    char detail[160];
    bool gen5x16 = info->pcie.has_gen_max && info->pcie.gen_max == 5 && info->pcie.has_width_max &&
                   info->pcie.width_max == 16;

    str_printf(detail, sizeof(detail), "%.1f GB/s = %.0f%% of the %.1f GB/s link", med,
               100 * med / link, link);
    if (isnan(link))
        str_printf(detail, sizeof(detail), "%.1f GB/s; NVML does not report the link", med);
    if (d != BIDIR && bytes >= BAR_FROM_BYTES && gen5x16)
        results_verdict(t, verdict_at_least(med, BAR_GBPS), ">= 50 GB/s at >= 256 MiB", detail);
    else
        results_verdict(t, VERDICT_INFO, "reference", detail);
}

static int bw_case(struct error *err, struct bench_ctx *c, struct copy_rig *r, enum dir d,
                   size_t bytes)
{
    unsigned loops = loops_for(bytes);
    double *figure = bench_samples(c->trials),
           *side[2] = {bench_samples(c->trials), bench_samples(c->trials)};
    double g[3], link = link_gbps(c->info);
    char id[64], title[128], label[32];
    json_t *t;
    int rv = -1;

    for (unsigned i = 0; i < c->warmup + c->trials; i++) {
        unsigned slot = i < c->warmup ? 0 : i - c->warmup;

        if (copy_once(err, r, d, bytes, loops, g) < 0)
            goto fail;
        figure[slot] = d == H2D ? g[0] : d == D2H ? g[1] : g[2];
        side[0][slot] = g[0];
        side[1][slot] = g[1];
    }
    size_label(bytes, label, sizeof(label));
    str_printf(id, sizeof(id), "streams.copy.%s.%s", dir_name(d), label);
    str_printf(title, sizeof(title), "pinned %s %s",
               d == H2D   ? "H2D"
               : d == D2H ? "D2H"
                          : "H2D+D2H at once",
               label);
    t = results_add_test(c->doc, id, "streams.copy", title);
    results_param_str(t, "direction", dir_name(d));
    results_param_int(t, "bytes", (long long)bytes);
    results_param_int(t, "copies", loops);
    results_param_str(t, "memory", "pinned");
    if (results_metric(err, t, d == BIDIR ? "aggregate_bandwidth" : "bandwidth", "GB/s", "higher",
                       figure, c->trials) < 0)
        goto fail;
    if (d == BIDIR && (results_series(err, t, "h2d_gbps", "GB/s", side[0], c->trials) < 0 ||
                       results_series(err, t, "d2h_gbps", "GB/s", side[1], c->trials) < 0))
        goto fail;
    results_bound(t, link * (d == BIDIR ? 2 : 1), "GB/s", "upper",
                  d == BIDIR ? "PCIe link, both directions" : "PCIe link, one direction");
    judge(t, c->info, d, bytes, stats_percentile(figure, c->trials, 50));
    rv = 0;
fail:
    free(figure);
    free(side[0]);
    free(side[1]);
    return rv;
}

/* Pageable copies are staged through a driver buffer and block the host, so no latch here: the
 * events bracket synchronous-in-effect copies. */
static int pageable_case(struct error *err, struct bench_ctx *c, struct copy_rig *r, enum dir d,
                         double pinned_gbps)
{
    char *buf = malloc(PAGEABLE_BYTES);
    double *g = bench_samples(c->trials), med;
    char id[64], detail[160];
    cudaStream_t s = r->s[0];
    json_t *t;
    int rv = -1;

    if (buf == NULL) {
        error_set(err, ERR_IO, "out of memory for the pageable buffer");
        goto fail;
    }
    memset(buf, 0x33, PAGEABLE_BYTES);
    for (unsigned i = 0; i < c->warmup + c->trials; i++) {
        int rc;

        if (CU(err, cudaEventRecord(r->start[0], s)) < 0)
            goto fail;
        rc = d == H2D ? cudaMemcpyAsync(r->dev[0], buf, PAGEABLE_BYTES, cudaMemcpyHostToDevice, s)
                      : cudaMemcpyAsync(buf, r->dev[1], PAGEABLE_BYTES, cudaMemcpyDeviceToHost, s);
        if (CU(err, rc) < 0 || CU(err, cudaEventRecord(r->stop[0], s)) < 0 ||
            CU(err, cudaEventSynchronize(r->stop[0])) < 0)
            goto fail;
        g[i < c->warmup ? 0 : i - c->warmup] =
            PAGEABLE_BYTES / (cu_elapsed_ms(r->start[0], r->stop[0]) * 1e6);
    }
    str_printf(id, sizeof(id), "streams.copy.pageable.%s.256MiB", dir_name(d));
    t = results_add_test(c->doc, id, "streams.copy",
                         d == H2D ? "pageable H2D 256MiB" : "pageable D2H 256MiB");
    results_param_str(t, "direction", dir_name(d));
    results_param_int(t, "bytes", (long long)PAGEABLE_BYTES);
    results_param_str(t, "memory", "pageable");
    if (results_metric(err, t, "bandwidth", "GB/s", "higher", g, c->trials) < 0)
        goto fail;
    med = stats_percentile(g, c->trials, 50);
    results_bound(t, pinned_gbps, "GB/s", "upper", "pinned memory at the same size");
    results_derived(t, "pinned_gbps", pinned_gbps);
    results_derived(t, "pageable_over_pinned", med / pinned_gbps);
    str_printf(detail, sizeof(detail), "%.1f GB/s, %.0f%% of pinned (%.1f GB/s)", med,
               100 * med / pinned_gbps, pinned_gbps);
    results_verdict(t, VERDICT_INFO, "reference", detail);
    rv = 0;
fail:
    free(buf);
    free(g);
    return rv;
}

/* Median GB/s of an already-recorded pinned test, for the pageable comparison. */
static double recorded_median(json_t *doc, const char *id)
{
    json_t *tests = json_object_get(doc, "tests"), *t;
    size_t i;

    json_array_foreach (tests, i, t) {
        if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
            return json_number_value(json_object_get(json_object_get(t, "summary"), "median"));
    }
    return NAN;
}

int streams_copy(struct error *err, struct bench_ctx *c)
{
    struct copy_rig r;
    int rv = -1;

    if (rig_init(err, &r) < 0)
        goto fail;
    for (int d = H2D; d <= BIDIR; d++) {
        progress("streams: %s bandwidth, 4 KiB to 512 MiB", dir_name((enum dir)d));
        for (size_t bytes = 4096; bytes <= MAX_BYTES; bytes *= 4) {
            if (bw_case(err, c, &r, (enum dir)d, bytes) < 0)
                goto fail;
            if (bytes == (256ull << 20) &&
                bw_case(err, c, &r, (enum dir)d, MAX_BYTES) < 0) /* 4^k skips 512 MiB */
                goto fail;
        }
    }
    progress("streams: pageable against pinned, 256 MiB");
    if (pageable_case(err, c, &r, H2D, recorded_median(c->doc, "streams.copy.h2d.256MiB")) < 0 ||
        pageable_case(err, c, &r, D2H, recorded_median(c->doc, "streams.copy.d2h.256MiB")) < 0)
        goto fail;
    rv = 0;
fail:
    rig_release(&r);
    return rv;
}
