/*
 * The worker's workloads: gemm, spin, infer and copy (bench/workloads.h).
 */
#include "bench/workloads.h"

#include "core/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness.h"
#include "gpu/cu.h"
#include "results/results.h"

#define WS_LIMIT (32u << 20)
#define CALIB_WARM 3
#define CALIB_OPS 5
#define MAX_BATCH 100000u
/* Gap pairs the spin kernel can record: 1 MiB of device memory, thousands of slices. */
#define GAP_CAP 65536u

static enum gemm_dtype dtype(const struct wl *w)
{
    return w->o->bf16 ? GEMM_BF16 : GEMM_F32;
}

static int gemm_op(struct error *err, struct wl *w)
{
    return gemm_run(err, &w->plan, w->s, w->a, w->b, w->c, w->ws);
}

static int copy_op(struct error *err, struct wl *w)
{
    size_t n = w->o->bytes;

    if (CU(err, cudaMemcpyAsync(w->dev, w->host, n, cudaMemcpyHostToDevice, w->s)) < 0)
        return -1;
    return CU(err, cudaMemcpyAsync(w->host, w->dev, n, cudaMemcpyDeviceToHost, w->s));
}

typedef int (*op_fn)(struct error *err, struct wl *w);

/* Times one operation alone (events around CALIB_OPS after CALIB_WARM) and sizes the batch
 * so a step lasts WORKER_STEP_TARGET_MS, unless the caller fixed it. */
static int calibrate(struct error *err, struct wl *w, op_fn op)
{
    cudaEvent_t e0 = NULL, e1 = NULL;
    int rc = -1;

    if (CU(err, cudaEventCreate(&e0)) < 0 || CU(err, cudaEventCreate(&e1)) < 0)
        goto out;
    for (int i = 0; i < CALIB_WARM; i++)
        if (op(err, w) < 0)
            goto out;
    if (CU(err, cudaEventRecord(e0, w->s)) < 0)
        goto out;
    for (int i = 0; i < CALIB_OPS; i++)
        if (op(err, w) < 0)
            goto out;
    if (CU(err, cudaEventRecord(e1, w->s)) < 0 || CU(err, cudaEventSynchronize(e1)) < 0)
        goto out;
    w->op_ms = cu_elapsed_ms(e0, e1) / CALIB_OPS;
    w->batch = w->o->batch;
    if (w->batch == 0)
        w->batch = (unsigned)fmin(MAX_BATCH, fmax(1.0, ceil(WORKER_STEP_TARGET_MS / w->op_ms)));
    rc = 0;
out:
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return rc;
}

static int fill(struct error *err, struct wl *w, void *p, size_t n, uint32_t seed)
{
    return CU(err, dtype(w) == GEMM_BF16 ? k_fill_bf16(w->s, p, n, seed)
                                         : k_fill_f32(w->s, (float *)p, n, seed));
}

/* Matrices of its own for every lane: N processes each have their own, and shared inputs
 * would let small sizes live in L2, which the processes they bound never could. */
static int lane_setup(struct error *err, struct wl *w, struct gemm_lane *l, uint32_t seed)
{
    size_t elems = (size_t)w->o->n * w->o->n, bytes = elems * gemm_elem_size(dtype(w));

    if (CU(err, cudaStreamCreateWithFlags(&l->s, cudaStreamNonBlocking)) < 0 ||
        CU(err, cudaMalloc(&l->a, bytes)) < 0 || CU(err, cudaMalloc(&l->b, bytes)) < 0 ||
        CU(err, cudaMalloc(&l->c, bytes)) < 0 || CU(err, cudaMalloc(&l->ws, WS_LIMIT)) < 0 ||
        fill(err, w, l->a, elems, seed) < 0 || fill(err, w, l->b, elems, seed + 1) < 0)
        return -1;
    return 0;
}

static int gemm_setup(struct error *err, struct wl *w)
{
    size_t elems = (size_t)w->o->n * w->o->n, bytes = elems * gemm_elem_size(dtype(w));
    unsigned streams = w->o->streams > 0 ? w->o->streams : 1;

    if (gemm_plan_init(err, &w->plan, dtype(w), w->o->n, WS_LIMIT) < 0 ||
        CU(err, cudaMalloc(&w->a, bytes)) < 0 || CU(err, cudaMalloc(&w->b, bytes)) < 0 ||
        CU(err, cudaMalloc(&w->c, bytes)) < 0 || CU(err, cudaMalloc(&w->ws, WS_LIMIT)) < 0 ||
        fill(err, w, w->a, elems, 1) < 0 || fill(err, w, w->b, elems, 2) < 0)
        return -1;
    while (w->n_lanes + 1 < streams) {
        struct gemm_lane *l = &w->lanes[w->n_lanes++]; /* counted first: teardown frees it */

        if (lane_setup(err, w, l, 1 + 2 * w->n_lanes) < 0)
            return -1;
    }
    w->unit = "gemm";
    /* One stream alone: op_ms and the batch are those of a single GEMM stream, so an N-stream
     * step is N times a one-stream step's work. */
    if (calibrate(err, w, gemm_op) < 0)
        return -1;
    w->work_per_step = (double)w->batch * streams;
    return 0;
}

static int copy_setup(struct error *err, struct wl *w)
{
    if (CU(err, cudaHostAlloc(&w->host, w->o->bytes, cudaHostAllocDefault)) < 0 ||
        CU(err, cudaMalloc(&w->dev, w->o->bytes)) < 0)
        return -1;
    memset(w->host, 1, w->o->bytes);
    w->unit = "byte";
    if (calibrate(err, w, copy_op) < 0)
        return -1;
    w->work_per_step = 2.0 * (double)w->o->bytes * w->batch;
    return 0;
}

static int spin_setup(struct error *err, struct wl *w)
{
    if (CU(err, cudaMalloc((void **)&w->tout, sizeof(*w->tout))) < 0 ||
        CU(err, cudaMalloc((void **)&w->gaps, 2 * sizeof(uint64_t) * GAP_CAP)) < 0)
        return -1;
    w->unit = "ms_run";
    w->batch = 1;
    w->op_ms = NAN;
    w->work_per_step = w->o->spin_ms;
    return 0;
}

static int infer_setup(struct error *err, struct wl *w)
{
    unsigned h = w->o->hidden;
    size_t es = gemm_elem_size(dtype(w));

    if (gemm_plan_init_mnk(err, &w->plan, dtype(w), h, 1, h, WS_LIMIT) < 0 ||
        CU(err, cudaMalloc(&w->b, h * es)) < 0 || CU(err, cudaMalloc(&w->c, h * es)) < 0 ||
        CU(err, cudaMalloc(&w->ws, WS_LIMIT)) < 0 || fill(err, w, w->b, h, 3) < 0)
        return -1;
    for (unsigned l = 0; l < w->o->layers; l++)
        if (CU(err, cudaMalloc(&w->weights[l], (size_t)h * h * es)) < 0 ||
            fill(err, w, w->weights[l], (size_t)h * h, 10 + l) < 0)
            return -1;
    w->unit = "request";
    w->batch = 1;
    w->op_ms = NAN;
    w->work_per_step = 1;
    return 0;
}

/*
 * The SMs this context can run on, counted rather than read: spin blocks that each need more
 * than half an SM's shared memory get an SM to themselves, and enough of them, each lasting
 * SMID_SPIN_NS, land on every SM the context may use. MPS's thread percentage caps that set
 * (MPS doc 2.3.5.2), so the count shows the cap's real effect, next to the attribute.
 */
#define SMID_MAX 4096u
#define SMID_SPIN_NS 20000u

static int count_smids(struct error *err, struct wl *w)
{
    int per_sm = 0, per_block = 0;
    unsigned blocks = 8 * (w->sms > 16 ? w->sms : 16), *ids = NULL, *host = NULL;
    unsigned char seen[SMID_MAX] = {0};
    size_t smem;
    int rc = -1;

    if (CU(err, cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor,
                                       w->o->device)) < 0 ||
        CU(err, cudaDeviceGetAttribute(&per_block, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                                       w->o->device)) < 0)
        return -1;
    smem = (size_t)per_sm / 2 + 1024;
    if (smem > (size_t)per_block)
        smem = (size_t)per_block;
    host = xcalloc(blocks, sizeof(*host));
    if (CU(err, k_spin_allow_smem(smem)) < 0 ||
        CU(err, cudaMalloc((void **)&ids, blocks * sizeof(*ids))) < 0 ||
        CU(err, k_spin(w->s, blocks, 32, smem, SMID_SPIN_NS, ids)) < 0 ||
        CU(err, cudaMemcpyAsync(host, ids, blocks * sizeof(*ids), cudaMemcpyDeviceToHost, w->s)) <
            0 ||
        CU(err, cudaStreamSynchronize(w->s)) < 0)
        goto out;
    for (unsigned i = 0; i < blocks; i++)
        if (host[i] < SMID_MAX && !seen[host[i]]) {
            seen[host[i]] = 1;
            w->smids++;
        }
    rc = 0;
out:
    cudaFree(ids);
    free(host);
    return rc;
}

int wl_setup(struct error *err, struct wl *w, const struct worker_opts *o)
{
    int dev_sms = 0;

    memset(w, 0, sizeof(*w));
    w->o = o;
    if (CU(err, cudaStreamCreateWithFlags(&w->s, cudaStreamNonBlocking)) < 0 ||
        CU(err, cudaDeviceGetAttribute(&dev_sms, cudaDevAttrMultiProcessorCount, o->device)) < 0 ||
        CU(err, k_warm(w->s)) < 0)
        return -1;
    w->sms = (unsigned)dev_sms;
    if (count_smids(err, w) < 0)
        return -1;
    switch (o->kind) {
    case WL_GEMM:
        return gemm_setup(err, w);
    case WL_COPY:
        return copy_setup(err, w);
    case WL_SPIN:
        return spin_setup(err, w);
    case WL_INFER:
        return infer_setup(err, w);
    default:
        return error_set(err, ERR_INVALID, "workload '%s' has no steps", workload_name(o->kind));
    }
}

static int batch_step(struct error *err, struct wl *w, op_fn op)
{
    for (unsigned i = 0; i < w->batch; i++)
        if (op(err, w) < 0)
            return -1;
    return CU(err, cudaStreamSynchronize(w->s));
}

/* Every lane's batch is queued before any wait, so the streams run side by side. */
static int gemm_step(struct error *err, struct wl *w)
{
    for (unsigned i = 0; i < w->batch; i++) {
        if (gemm_op(err, w) < 0)
            return -1;
        for (unsigned k = 0; k < w->n_lanes; k++) {
            const struct gemm_lane *l = &w->lanes[k];

            if (gemm_run(err, &w->plan, l->s, l->a, l->b, l->c, l->ws) < 0)
                return -1;
        }
    }
    for (unsigned k = 0; k < w->n_lanes; k++)
        if (CU(err, cudaStreamSynchronize(w->lanes[k].s)) < 0)
            return -1;
    return CU(err, cudaStreamSynchronize(w->s));
}

static json_t *trace_json(const struct k_timeline_out *out, const uint64_t *gaps)
{
    json_t *g = js_must(json_array());

    for (unsigned i = 0; i < out->n_gaps; i++)
        js_append(
            g, js_must(json_pack("[I, I]", (json_int_t)gaps[2 * i], (json_int_t)gaps[2 * i + 1])));
    return js_must(json_pack("{s:I, s:I, s:I, s:I, s:i, s:o}", "first", (json_int_t)out->first,
                             "last", (json_int_t)out->last, "run_ns", (json_int_t)out->run_ns,
                             "tick_ns", (json_int_t)out->tick_ns, "dropped", (int)out->dropped,
                             "gaps", g));
}

static int spin_step(struct error *err, struct wl *w)
{
    struct k_timeline_out out;
    uint64_t *gaps;

    if (CU(err, cudaMemsetAsync(w->tout, 0, sizeof(*w->tout), w->s)) < 0 ||
        CU(err, k_timeline(w->s, w->sms, w->tout, w->gaps, GAP_CAP, (uint64_t)(w->o->spin_ms * 1e6),
                           (uint64_t)(w->o->gap_us * 1e3))) < 0 ||
        CU(err, cudaMemcpyAsync(&out, w->tout, sizeof(out), cudaMemcpyDeviceToHost, w->s)) < 0 ||
        CU(err, cudaStreamSynchronize(w->s)) < 0)
        return -1;
    if (!w->timing || w->trace != NULL)
        return 0;
    gaps = xmalloc(2 * sizeof(uint64_t) * (out.n_gaps + 1));
    if (CU(err, cudaMemcpy(gaps, w->gaps, 2 * sizeof(uint64_t) * out.n_gaps,
                           cudaMemcpyDeviceToHost)) == 0)
        w->trace = trace_json(&out, gaps);
    free(gaps);
    return w->trace != NULL ? 0 : -1;
}

static double now_us(void)
{
    return harness_now() * 1e6;
}

static void keep_latency(struct wl *w, double us)
{
    if (w->n_lat == w->cap_lat) {
        w->cap_lat = w->cap_lat == 0 ? 4096 : 2 * w->cap_lat;
        w->lat_us = xreallocarray(w->lat_us, w->cap_lat * sizeof(*w->lat_us), 1);
    }
    w->lat_us[w->n_lat++] = us;
}

/* An exponential gap of mean 1 / rate seconds (xorshift64*, the top 53 bits as a uniform). */
static double next_gap(struct wl *w)
{
    double u;

    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    u = (double)((w->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
    return -log(1.0 - u) / w->o->rate;
}

/* With --rate, sleeps until the next request arrives and returns its arrival (us); the clock
 * is CLOCK_MONOTONIC, the harness's. Without, now. */
static double arrival_us(struct wl *w)
{
    struct timespec ts;
    double t = harness_now();

    if (!(w->o->rate > 0) || !w->timing)
        return t * 1e6;
    if (w->next_arrival == 0) {
        w->rng = w->o->seed != 0 ? w->o->seed : (uint64_t)getpid() * 2654435761u + 1;
        w->next_arrival = t + next_gap(w);
    }
    if (w->next_arrival > t) {
        ts.tv_sec = (time_t)w->next_arrival;
        ts.tv_nsec = (long)((w->next_arrival - (double)ts.tv_sec) * 1e9);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
            ;
    }
    t = w->next_arrival;
    w->next_arrival += next_gap(w);
    return t * 1e6;
}

/* One request: every layer reads the previous layer's output, then the host waits for it. A
 * paced request that arrives while the one before still runs waits for it: the open-loop
 * latency a server sees. */
static int infer_step(struct error *err, struct wl *w)
{
    double t0 = arrival_us(w);
    void *in = w->b, *out = w->c, *tmp;

    for (unsigned l = 0; l < w->o->layers; l++) {
        if (gemm_run(err, &w->plan, w->s, w->weights[l], in, out, w->ws) < 0)
            return -1;
        tmp = in;
        in = out;
        out = tmp;
    }
    if (CU(err, cudaStreamSynchronize(w->s)) < 0)
        return -1;
    if (w->timing)
        keep_latency(w, now_us() - t0);
    return 0;
}

int wl_step(struct error *err, struct wl *w)
{
    switch (w->o->kind) {
    case WL_GEMM:
        return gemm_step(err, w);
    case WL_COPY:
        return batch_step(err, w, copy_op);
    case WL_SPIN:
        return spin_step(err, w);
    case WL_INFER:
        return infer_step(err, w);
    default:
        return error_set(err, ERR_INVALID, "workload '%s' has no steps", workload_name(w->o->kind));
    }
}

void wl_describe(const struct wl *w, json_t *rdy)
{
    size_t free_b = 0, total_b = 0;

    /* Under an MPS pinned-memory limit, what the client is told it has. */
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
        js_set(rdy, "mem_total_bytes", json_integer((json_int_t)total_b));
        js_set(rdy, "mem_free_bytes", json_integer((json_int_t)free_b));
    }
    js_set(rdy, "sms", json_integer(w->sms));
    js_set(rdy, "smids", json_integer(w->smids));
    js_set(rdy, "streams", json_integer(w->n_lanes + 1));
    js_set(rdy, "batch", json_integer(w->batch));
    js_set(rdy, "op_ms", js_real(w->op_ms));
    js_set(rdy, "unit", js_string(w->unit));
    if (w->o->kind == WL_GEMM || w->o->kind == WL_INFER) {
        js_set(rdy, "dtype", js_string(gemm_dtype_name(dtype(w))));
        js_set(rdy, "algo_id", json_integer(w->plan.algo_id));
        js_set(rdy, "ctas", json_integer((json_int_t)w->plan.ctas));
        js_set(rdy, "waves", js_real(w->plan.waves));
        js_set(rdy, "cluster_x", json_integer(w->plan.cluster_x));
    }
}

void wl_report(const struct wl *w, json_t *res)
{
    json_t *lat;

    if (w->trace != NULL)
        js_set(res, "trace", json_incref(w->trace));
    if (w->o->kind != WL_INFER)
        return;
    lat = js_must(json_array());
    for (size_t i = 0; i < w->n_lat; i++)
        js_append(lat, json_real(w->lat_us[i]));
    js_set(res, "latencies_us", lat);
}

void wl_teardown(struct wl *w)
{
    if (w->o == NULL)
        return;
    if (w->s != NULL)
        cudaStreamSynchronize(w->s);
    for (unsigned k = 0; k < w->n_lanes; k++) {
        struct gemm_lane *l = &w->lanes[k];

        cudaStreamSynchronize(l->s);
        cudaFree(l->a);
        cudaFree(l->b);
        cudaFree(l->c);
        cudaFree(l->ws);
        cudaStreamDestroy(l->s);
    }
    for (unsigned l = 0; l < INFER_MAX_LAYERS; l++)
        cudaFree(w->weights[l]);
    cudaFree(w->a);
    cudaFree(w->b);
    cudaFree(w->c);
    cudaFree(w->ws);
    cudaFree(w->tout);
    cudaFree(w->gaps);
    cudaFree(w->dev);
    cudaFreeHost(w->host);
    if (w->plan.op != NULL)
        gemm_plan_release(&w->plan);
    if (w->s != NULL)
        cudaStreamDestroy(w->s);
    json_decref(w->trace);
    free(w->lat_us);
    memset(w, 0, sizeof(*w));
}
