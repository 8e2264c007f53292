/*
 * The worker process (bench/worker.h): CUDA init, set-up and warm-up, ready, barrier, timed
 * region, result. Every failure is sent to the parent as an error line before exiting.
 */
#include "bench/worker.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/harness.h"
#include "bench/workloads.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "gpu/cu.h"
#include "gpu/info.h"
#include "gpu/mps_spec.h"
#include "results/info_json.h"
#include "results/results.h"

static json_t *message(const char *kind, const struct worker_opts *o)
{
    return js_must(json_pack("{s:s, s:i, s:s}", "msg", kind, "pid", (int)getpid(), "workload",
                             workload_name(o->kind)));
}

static int send_and_free(struct error *err, json_t *m)
{
    int rc = harness_send(err, m);

    json_decref(m);
    return rc;
}

/* The info worker: the parent learns the GPU through a process that may touch CUDA. */
static int run_info(struct error *err, const struct worker_opts *o)
{
    struct gpu_info *g = xcalloc(1, sizeof(*g));
    double t;
    json_t *m;
    int rc = -1;

    if (gpu_info_query(err, o->device, NULL, g) == 0 &&
        send_and_free(err, message("ready", o)) == 0 && harness_wait_release(err, &t) == 0) {
        m = message("result", o);
        js_set(m, "info", gpu_info_to_json(g));
        rc = send_and_free(err, m);
    }
    free(g);
    return rc;
}

/* Bytes of CUDA_MPS_PINNED_DEVICE_MEM_LIMIT's entry for this device ("1=9984M", "0=10G");
 * 0 if it has none. */
/* The limit spec sets for the device's ordinal, in bytes; 0 for none. */
static size_t limit_bytes(const char *spec, int device)
{
    struct mps_mem_limit m[MPS_MAX_MEM_LIMITS];
    struct error err;
    char dev[16];
    size_t n;

    if (spec == NULL ||
        mps_mem_parse(&err, "the memory limit", spec, m, MPS_MAX_MEM_LIMITS, &n) < 0)
        return 0;
    str_printf(dev, sizeof(dev), "%d", device);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].dev, dev) == 0)
            return (size_t)(m[i].mib << 20);
    return 0;
}

/*
 * Under an MPS pinned-memory limit, does an allocation past it fail? The limit is what makes an
 * emulated MIG slice's memory a slice's (MPS doc 2.3.5.4): check it rather than assume it.
 */
static void probe_limit(const struct worker_opts *o, json_t *rdy)
{
    size_t limit = limit_bytes(o->mps_mem_limit, o->device), free_b = 0, total_b = 0;
    void *p = NULL;
    cudaError_t rc;

    if (limit == 0)
        return;
    js_set(rdy, "mem_limit_bytes", json_integer((json_int_t)limit));
    /* Past the physical memory too, a refusal would prove nothing about the limit. Under a
     * limit, MPS reports the GPU's total but only the limit's free memory (measured on an
     * H100, driver 580), so the total is the physical figure to compare with. */
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess ||
        limit + (256u << 20) >= total_b - total_b / 10) {
        js_set(rdy, "over_limit_alloc", js_string("inconclusive"));
        return;
    }
    rc = cudaMalloc(&p, limit + (256u << 20));
    js_set(rdy, "over_limit_alloc",
           js_string(rc == cudaSuccess ? "succeeded" : cudaGetErrorName(rc)));
    if (rc == cudaSuccess)
        cudaFree(p);
    cudaGetLastError(); /* an allocation failure is not sticky; clear it */
}

static int warm_up(struct error *err, struct wl *w, unsigned steps)
{
    for (unsigned i = 0; i < steps; i++)
        if (wl_step(err, w) < 0)
            return -1;
    return 0;
}

/* The timed region: whole steps until duration_s has passed (one step when it is 0). */
static int timed(struct error *err, struct wl *w, double duration_s, json_t *res)
{
    double t0, t1;
    unsigned long steps = 0;

    w->timing = true;
    t0 = harness_now();
    do {
        if (wl_step(err, w) < 0)
            return -1;
        steps++;
        t1 = harness_now();
    } while (t1 - t0 < duration_s);
    w->timing = false;
    js_set(res, "t0", json_real(t0));
    js_set(res, "t1", json_real(t1));
    js_set(res, "steps", json_integer((json_int_t)steps));
    js_set(res, "work", json_real(w->work_per_step * (double)steps));
    js_set(res, "rate", json_real(w->work_per_step * (double)steps / (t1 - t0)));
    return 0;
}

static int run_workload(struct error *err, const struct worker_opts *o)
{
    struct wl w;
    json_t *rdy, *res;
    double t_release;
    int rc = -1;

    if (wl_setup(err, &w, o) < 0 || warm_up(err, &w, o->warmup) < 0)
        goto out;
    rdy = message("ready", o);
    wl_describe(&w, rdy);
    probe_limit(o, rdy);
    if (send_and_free(err, rdy) < 0 || harness_wait_release(err, &t_release) < 0)
        goto out;
    res = message("result", o);
    js_set(res, "t_release", json_real(t_release));
    if (timed(err, &w, o->duration_s, res) < 0) {
        json_decref(res);
        goto out;
    }
    wl_report(&w, res);
    rc = send_and_free(err, res);
out:
    wl_teardown(&w);
    return rc;
}

/* Holds the context through the timed region without using the GPU. */
static void hold(double duration_s)
{
    double end = harness_now() + duration_s;
    struct timespec ts = {0, 1000000};

    while (harness_now() < end)
        nanosleep(&ts, NULL);
}

/*
 * The client-limit probe: one context, created and timed here, held until the parent has
 * seen every client ready. A context that fails is reported in the ready line, not as an
 * error, so the parent learns how many of its clients got one (MPS doc 2.3.5.1: past the
 * limit, context creation fails with cudaErrorMpsMaxClientsReached).
 */
static int run_client(struct error *err, const struct worker_opts *o)
{
    double t0 = harness_now(), t_release, ctx_ms;
    cudaError_t rc = cudaSetDevice(o->device);
    size_t free_b = 0, total_b = 0;
    json_t *m;

    if (rc == cudaSuccess)
        rc = cudaFree(NULL);
    ctx_ms = (harness_now() - t0) * 1e3;
    m = message("ready", o);
    js_set(m, "context", js_string(rc == cudaSuccess ? "ok" : cudaGetErrorName(rc)));
    js_set(m, "context_error", json_integer(rc));
    js_set(m, "context_ms", json_real(ctx_ms));
    if (rc == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
        js_set(m, "mem_free_bytes", json_integer((json_int_t)free_b));
    if (send_and_free(err, m) < 0 || harness_wait_release(err, &t_release) < 0)
        return -1;
    t0 = harness_now();
    hold(o->duration_s);
    m = message("result", o);
    js_set(m, "t_release", json_real(t_release));
    js_set(m, "t0", json_real(t0));
    js_set(m, "t1", json_real(harness_now()));
    js_set(m, "rate", json_real(0));
    return send_and_free(err, m);
}

/* CUDA reads these when it starts (MPS doc 4.2): set them before the first CUDA call. */
static int set_env(struct error *err, const struct worker_opts *o)
{
    static const char *const names[] = {"CUDA_MPS_ACTIVE_THREAD_PERCENTAGE",
                                        "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT", "CUDA_VISIBLE_DEVICES",
                                        "CUDA_MPS_CLIENT_PRIORITY"};
    const char *values[] = {o->mps_thread_pct, o->mps_mem_limit, o->visible_devices,
                            o->mps_priority};

    for (size_t i = 0; i < 4; i++)
        if (values[i] != NULL && setenv(names[i], values[i], 1) < 0)
            return error_set(err, ERR_IO, "cannot set %s", names[i]);
    return 0;
}

int bench_worker(struct error *err, const struct worker_opts *o)
{
    int rc;

    if (harness_worker_attached(err) < 0)
        return -1;
    if (set_env(err, o) < 0) {
        harness_send_error(err->msg);
        return -1;
    }
    /* info first: its query turns a missing driver into ERR_NO_GPU with the reason. */
    if (o->kind == WL_INFO)
        rc = run_info(err, o);
    else if (o->kind == WL_CLIENT)
        rc = run_client(err, o);
    else if (CU(err, cudaSetDevice(o->device)) < 0 || CU(err, cudaFree(NULL)) < 0)
        rc = -1;
    else
        rc = run_workload(err, o);
    if (rc < 0)
        harness_send_error(err->msg);
    return rc;
}
