/*
 * The two-stream GEMM test: the same 2R GEMMs on one stream, then split
 * over two streams, for fp32 (SGEMM) and bf16 at n = 256..4096. The launch
 * shape of the kernel cuBLASLt picked (CTAs, waves) says why a size overlaps
 * or cannot.
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
#include "gpu/cublas.h"
#include "gpu/kernels.h"
#include "results/results.h"

#define LAB_CRITERION 1.05 /* two streams this much faster than one: they overlapped */
#define WS_LIMIT (32u << 20)
#define TARGET_MS 4.0      /* one-stream trial length; long against launch jitter */
#define MAX_PER_STREAM 200 /* bounded queue behind the latch */

static const unsigned sizes[] = {256, 512, 1024, 2048, 4096};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define NMAX 4096

struct gemm_rig {
    struct cu_region reg;
    void *a, *b, *c[2], *ws[2];
};

static void rig_release(struct gemm_rig *r)
{
    cu_region_release(&r->reg);
    for (int i = 0; i < 2; i++) {
        cudaFree(r->c[i]);
        cudaFree(r->ws[i]);
    }
    cudaFree(r->a);
    cudaFree(r->b);
}

static int rig_init(struct error *err, struct gemm_rig *r)
{
    size_t bytes = (size_t)NMAX * NMAX * 4; /* fp32 at the largest n; bf16 uses half */

    memset(r, 0, sizeof(*r));
    if (cu_region_init(err, &r->reg) < 0 || CU(err, cudaMalloc(&r->a, bytes)) < 0 ||
        CU(err, cudaMalloc(&r->b, bytes)) < 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (CU(err, cudaMalloc(&r->c[i], bytes)) < 0 ||
            CU(err, cudaMalloc(&r->ws[i], WS_LIMIT)) < 0)
            return -1;
    return 0;
}

static int fill_inputs(struct error *err, struct gemm_rig *r, enum gemm_dtype t)
{
    size_t n = (size_t)NMAX * NMAX;

    if (t == GEMM_BF16) {
        if (CU(err, k_fill_bf16(r->reg.s[0], r->a, n, 1)) < 0 ||
            CU(err, k_fill_bf16(r->reg.s[0], r->b, n, 2)) < 0)
            return -1;
    } else if (CU(err, k_fill_f32(r->reg.s[0], r->a, n, 1)) < 0 ||
               CU(err, k_fill_f32(r->reg.s[0], r->b, n, 2)) < 0) {
        return -1;
    }
    return CU(err, cudaStreamSynchronize(r->reg.s[0]));
}

/* R GEMMs on each of `streams` streams (1: all 2R on stream 0), in a timed region. */
static int gemm_once(struct error *err, struct gemm_rig *r, const struct gemm_plan *p,
                     unsigned per_stream, unsigned streams, double *ms)
{
    if (cu_region_begin(err, &r->reg, streams) < 0)
        return -1;
    for (unsigned i = 0; i < per_stream; i++)
        for (unsigned j = 0; j < 2; j++) {
            unsigned s = streams == 2 ? j : 0;

            if (gemm_run(err, p, r->reg.s[s], r->a, r->b, r->c[j], r->ws[s]) < 0)
                return -1;
        }
    return cu_region_end(err, &r->reg, streams, ms);
}

static double to_float(const void *base, enum gemm_dtype t, size_t i)
{
    if (t == GEMM_BF16) {
        uint32_t bits = (uint32_t)((const uint16_t *)base)[i] << 16;
        float f;

        memcpy(&f, &bits, sizeof(f));
        return f;
    }
    return ((const float *)base)[i];
}

/*
 * Checks three entries of C = A B (column-major) against a float64 dot product, normalised
 * by sum |a||b| so the bar does not depend on cancellation: fp32 lands near 1e-7, bf16
 * output rounding near 4e-3. Returns the worst normalised error.
 */
static int check_result(struct error *err, struct gemm_rig *r, const struct gemm_plan *p,
                        double *worst)
{
    size_t n = p->n, es = gemm_elem_size(p->dtype), bytes = n * n * es;
    unsigned char *ha = malloc(bytes), *hb = malloc(bytes), *hc = malloc(bytes);
    const size_t pick[3][2] = {{0, 0}, {n - 1, n - 1}, {n / 2, n / 3}};
    int rv = -1;

    *worst = 0;
    if (ha == NULL || hb == NULL || hc == NULL) {
        error_set(err, ERR_IO, "out of memory for the GEMM check");
        goto fail;
    }
    if (CU(err, cudaMemcpy(ha, r->a, bytes, cudaMemcpyDeviceToHost)) < 0 ||
        CU(err, cudaMemcpy(hb, r->b, bytes, cudaMemcpyDeviceToHost)) < 0 ||
        CU(err, cudaMemcpy(hc, r->c[0], bytes, cudaMemcpyDeviceToHost)) < 0)
        goto fail;
    for (int q = 0; q < 3; q++) {
        size_t i = pick[q][0], j = pick[q][1];
        double ref = 0, mag = 0, e;

        for (size_t k = 0; k < n; k++) {
            double x = to_float(ha, p->dtype, i + k * n), y = to_float(hb, p->dtype, k + j * n);

            ref += x * y;
            mag += fabs(x * y);
        }
        e = fabs(to_float(hc, p->dtype, i + j * n) - ref) / (mag > 0 ? mag : 1);
        if (!(e <= *worst))
            *worst = e; /* NaN sticks */
    }
    rv = 0;
fail:
    free(ha);
    free(hb);
    free(hc);
    return rv;
}

/* One size's measurements, kept until the dtype's throughput ceiling is known. */
struct gemm_meas {
    struct gemm_plan p;
    unsigned per_stream;
    double *one, *two, *speedup; /* trials each */
    double check;
};

static double flops(const struct gemm_meas *m)
{
    return 2.0 * m->p.n * m->p.n * m->p.n * 2 * m->per_stream;
}

/* TFLOP/s at the median of a series of trial times. */
static double tflops(const struct gemm_meas *m, const double *ms, unsigned trials)
{
    return flops(m) / (stats_percentile(ms, trials, 50) * 1e9);
}

/* The fastest single trial's rate: a ceiling every trial's speedup respects. */
static double best_tflops(const struct gemm_meas *m, unsigned trials)
{
    double best = 0;

    for (unsigned i = 0; i < trials; i++)
        best = fmax(best, flops(m) / (fmin(m->one[i], m->two[i]) * 1e9));
    return best;
}

static void explain(const struct gemm_plan *p, unsigned sms, double med, char *out, size_t size)
{
    char shape[96] = "";

    if (p->ctas > 0)
        str_printf(shape, sizeof(shape), "%lu CTAs of %ux%u%s for %u SMs, ", p->ctas, p->tile_m,
                   p->tile_n, p->splitk > 1 ? " (split-K)" : "", sms);
    /* Waves are CTAs over resident CTA slots (SMs x CTAs per SM): the fill that matters. */
    if (p->waves >= 0.9f)
        str_printf(out, size,
                   "%.2fx: one GEMM is %s%.2f waves: it fills the GPU, so a second stream only "
                   "fills the tail of its last wave",
                   med, shape, (double)p->waves);
    else
        str_printf(out, size,
                   "%.2fx: one GEMM is %s%.2f waves: it leaves CTA slots free for the other "
                   "stream",
                   med, shape, (double)p->waves);
}

static int record(struct error *err, struct bench_ctx *c, const struct gemm_meas *m, double ceiling)
{
    const struct gemm_plan *p = &m->p;
    char id[64], title[128], basis[200], detail[300];
    double med = stats_percentile(m->speedup, c->trials, 50);
    double one_tf = tflops(m, m->one, c->trials);
    json_t *t;

    str_printf(id, sizeof(id), "streams.gemm.%s.n%u", gemm_dtype_name(p->dtype), p->n);
    str_printf(title, sizeof(title), "%s GEMM n=%u: 2 streams vs 1", gemm_dtype_name(p->dtype),
               p->n);
    t = results_add_test(c->doc, id, "streams.gemm", title);
    results_param_str(t, "dtype", gemm_dtype_name(p->dtype));
    results_param_int(t, "n", p->n);
    results_param_int(t, "gemms_per_stream", m->per_stream);
    results_param_int(t, "cublaslt_version", (long long)blas_version());
    if (results_metric(err, t, "speedup", "x", "higher", m->speedup, c->trials) < 0 ||
        results_series(err, t, "one_stream_ms", "ms", m->one, c->trials) < 0 ||
        results_series(err, t, "two_streams_ms", "ms", m->two, c->trials) < 0)
        return -1;
    /* Two streams cannot beat the GPU's GEMM throughput: the best rate of any trial of this
     * type, at any size or stream count, over the one-stream rate at this size; nor 2x. */
    str_printf(basis, sizeof(basis),
               "min(2, best %s rate measured %.1f TFLOP/s / one-stream rate %.1f TFLOP/s)",
               gemm_dtype_name(p->dtype), ceiling, one_tf);
    results_bound(t, fmin(2.0, ceiling / one_tf), "x", "upper", basis);
    results_derived(t, "ctas", p->ctas > 0 ? (double)p->ctas : NAN);
    results_derived(t, "ctas_per_sm", p->ctas > 0 ? (double)p->ctas / c->info->sm_count : NAN);
    results_derived(t, "heuristic_waves", p->waves);
    results_derived(t, "tile_m", p->tile_m > 0 ? p->tile_m : NAN);
    results_derived(t, "tile_n", p->tile_n > 0 ? p->tile_n : NAN);
    results_derived(t, "splitk", p->splitk);
    results_derived(t, "cluster_x", p->cluster_x > 0 ? p->cluster_x : NAN);
    results_derived(t, "algo_id", p->algo_id);
    results_derived(t, "tflops_one_stream", one_tf);
    results_derived(t, "tflops_two_streams", tflops(m, m->two, c->trials));
    results_derived(t, "tflops_ceiling", ceiling);
    results_derived(t, "check_rel_err", m->check);
    explain(p, c->info->sm_count, med, detail, sizeof(detail));
    results_verdict(t, verdict_at_least(med, LAB_CRITERION), ">= 1.05x (the streams overlapped)",
                    detail);
    return 0;
}

/* Loads the kernel cuBLASLt chose (lazy loading must not happen behind a latch) and sizes a
 * trial from one GEMM's time. */
static int warm(struct error *err, struct bench_ctx *c, struct gemm_rig *r, struct gemm_meas *m)
{
    double ten = 0;
    unsigned per;

    for (unsigned i = 0; i < c->warmup; i++)
        if (gemm_run(err, &m->p, r->reg.s[0], r->a, r->b, r->c[0], r->ws[0]) < 0 ||
            gemm_run(err, &m->p, r->reg.s[1], r->a, r->b, r->c[1], r->ws[1]) < 0)
            return -1;
    if (CU(err, cudaDeviceSynchronize()) < 0 || gemm_once(err, r, &m->p, 5, 1, &ten) < 0)
        return -1;
    per = (unsigned)ceil(TARGET_MS / (ten / 10) / 2);
    m->per_stream = per < 2 ? 2 : per > MAX_PER_STREAM ? MAX_PER_STREAM : per;
    return 0;
}

static int gemm_case(struct error *err, struct bench_ctx *c, struct gemm_rig *r, enum gemm_dtype t,
                     unsigned n, struct gemm_meas *m)
{
    double bar = t == GEMM_BF16 ? 1e-2 : 1e-5;

    if (gemm_plan_init(err, &m->p, t, n, WS_LIMIT) < 0 || warm(err, c, r, m) < 0 ||
        check_result(err, r, &m->p, &m->check) < 0)
        return -1;
    if (!(m->check <= bar))
        return error_set(err, ERR_CUDA, "%s GEMM n=%u is wrong: error %.3g over the %.0e bar",
                         gemm_dtype_name(t), n, m->check, bar);
    for (unsigned i = 0; i < c->trials; i++) {
        if (gemm_once(err, r, &m->p, m->per_stream, 1, &m->one[i]) < 0 ||
            gemm_once(err, r, &m->p, m->per_stream, 2, &m->two[i]) < 0)
            return -1;
        m->speedup[i] = m->one[i] / m->two[i];
    }
    return 0;
}

/* All sizes of one type, then their records: the bound needs the best rate of all of them. */
static int gemm_type(struct error *err, struct bench_ctx *c, struct gemm_rig *r, enum gemm_dtype t)
{
    struct gemm_meas m[NSIZES];
    double ceiling = 0;
    int rv = -1;

    memset(m, 0, sizeof(m));
    for (size_t i = 0; i < NSIZES; i++) {
        m[i].one = bench_samples(c->trials);
        m[i].two = bench_samples(c->trials);
        m[i].speedup = bench_samples(c->trials);
    }
    if (fill_inputs(err, r, t) < 0)
        goto fail;
    for (size_t i = 0; i < NSIZES; i++) {
        progress("streams: %s GEMM n=%u", gemm_dtype_name(t), sizes[i]);
        if (gemm_case(err, c, r, t, sizes[i], &m[i]) < 0)
            goto fail;
        ceiling = fmax(ceiling, best_tflops(&m[i], c->trials));
    }
    for (size_t i = 0; i < NSIZES; i++)
        if (record(err, c, &m[i], ceiling) < 0)
            goto fail;
    rv = 0;
fail:
    for (size_t i = 0; i < NSIZES; i++) {
        gemm_plan_release(&m[i].p);
        free(m[i].one);
        free(m[i].two);
        free(m[i].speedup);
    }
    return rv;
}

int streams_gemm(struct error *err, struct bench_ctx *c)
{
    struct gemm_rig r;
    int rv = -1;

    if (blas_open(err) < 0)
        return -1;
    if (rig_init(err, &r) < 0)
        goto fail;
    if (gemm_type(err, c, &r, GEMM_F32) < 0 || gemm_type(err, c, &r, GEMM_BF16) < 0)
        goto fail;
    rv = 0;
fail:
    rig_release(&r);
    return rv;
}
