/*
 * Multi-process benchmarks, parent side (bench/multi.h).
 */
#include "bench/multi.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/progress.h"
#include "core/str.h"
#include "gpu/mps.h"
#include "gpu/mps_daemon.h"
#include "gpu/nvml.h"

/* Generous: a worker's CUDA init, cuBLAS load and warm-up on a GPU others are using. */
#define READY_TIMEOUT_S 120.0
/* NVML sampling period: the issue asks for 10 Hz or more. */
#define SAMPLE_PERIOD_S 0.05
/* NVML's utilization is "over the past sample period", between 1/6 s and 1 s depending on
 * the product (nvmlDeviceGetUtilizationRates): a reading in the window's first second still
 * counts the idle wait at the barrier, so only later readings are averaged. */
#define NVML_SETTLE_S 1.0

int multi_init(struct error *err, struct multi_ctx *c, int device, double duration_s,
               unsigned trials)
{
    ssize_t k;

    memset(c, 0, sizeof(*c));
    k = readlink("/proc/self/exe", c->exe, sizeof(c->exe) - 1);
    if (k < 0 || (size_t)k >= sizeof(c->exe) - 1)
        return error_set(err, ERR_IO, "cannot find this executable (/proc/self/exe): %s",
                         k < 0 ? strerror(errno) : "path too long");
    c->exe[k] = '\0';
    c->device = device;
    c->duration_s = duration_s;
    c->trials = trials;
    return 0;
}

static void push(struct worker_argv *a, const char *text)
{
    /* Programming errors: the option lists are fixed, and a cut value would be a wrong one. */
    if (a->argc >= MULTI_MAX_ARGS || strlen(text) >= sizeof(a->text[0]))
        error_bug("worker argument %d ('%.40s') past the argument list's bounds", a->argc, text);
    str_printf(a->text[a->argc], sizeof(a->text[a->argc]), "%s", text);
    a->argv[a->argc] = a->text[a->argc];
    a->argv[++a->argc] = NULL;
}

void worker_argv_init(struct worker_argv *a, const struct multi_ctx *c, const char *workload,
                      double duration_s)
{
    char num[32];

    a->argc = 0;
    a->argv[0] = NULL;
    push(a, "gpushare");
    a->argv[0] = (char *)c->exe; /* execv's path; the long path does not fit text[] */
    push(a, "worker");
    push(a, "--workload");
    push(a, workload);
    str_printf(num, sizeof(num), "%d", c->device);
    push(a, "--device");
    push(a, num);
    str_printf(num, sizeof(num), "%.6g", duration_s);
    push(a, "--duration");
    push(a, num);
}

void worker_argv_add(struct worker_argv *a, const char *option, const char *fmt, ...)
{
    char value[sizeof(a->text[0])];
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof(value))
        error_bug("the value of worker option %s does not fit its %zu bytes", option,
                  sizeof(value));
    push(a, option);
    push(a, value);
}

double multi_num(const json_t *msg, const char *key)
{
    const json_t *v = json_object_get(msg, key);

    return json_is_number(v) ? json_number_value(v) : NAN;
}

struct sampling {
    struct multi_ctx *c;
    struct sample_log log;
};

static void take_sample(void *arg, double now)
{
    struct sampling *s = arg;
    struct gpu_sample g;
    struct error err;

    if (nvml_sample(&err, s->c->bus_id, s->c->device, &g) == 0)
        sample_log_add(&s->log, now, &g);
}

/* Window, fractions and rates of a finished run. */
static int figures(struct error *err, struct multi_run *r)
{
    double t0[HARNESS_MAX_WORKERS], t1[HARNESS_MAX_WORKERS];

    for (size_t i = 0; i < r->n; i++) {
        t0[i] = multi_num(r->w[i].result, "t0");
        t1[i] = multi_num(r->w[i].result, "t1");
        r->rates[i] = multi_num(r->w[i].result, "rate");
    }
    if (window_compute(err, t0, t1, r->n, &r->win, r->fractions) < 0)
        return error_wrap(err, "worker results");
    return 0;
}

static int attempt(struct error *err, struct multi_ctx *c, size_t n, struct worker_argv *const a[],
                   struct multi_run *r)
{
    char *const *argvs[HARNESS_MAX_WORKERS];
    struct sampling smp = {.c = c};
    struct harness_opts o = {
        .ready_timeout_s = READY_TIMEOUT_S,
        .run_timeout_s = 3 * fmax(c->duration_s, c->run_hint_s) * (double)n + 60,
        .sample_period_s = SAMPLE_PERIOD_S,
        .sample = c->sample ? take_sample : NULL,
        .sample_arg = &smp,
    };
    int rc;

    for (size_t i = 0; i < n; i++)
        argvs[i] = a[i]->argv;
    r->n = n;
    rc = harness_run(err, &o, n, argvs, r->w, &r->release);
    if (rc == 0)
        rc = figures(err, r);
    if (rc == 0)
        sample_log_means(&smp.log, r->win.start + NVML_SETTLE_S, r->win.end, &r->nvml);
    sample_log_free(&smp.log);
    return rc;
}

int multi_run(struct error *err, struct multi_ctx *c, size_t n, struct worker_argv *const a[],
              struct multi_run *r)
{
    memset(r, 0, sizeof(*r));
    /* Between runs SIGINT and SIGTERM only raise the guard's flag (cli/cmd_bench.c). */
    if (mps_guard_pending() != 0)
        return error_set(err, ERR_INTERRUPTED, "interrupted by signal %d (%s)", mps_guard_pending(),
                         strsignal(mps_guard_pending()));
    for (unsigned k = 1; k <= MULTI_MAX_ATTEMPTS; k++) {
        if (k > 1)
            harness_workers_free(r->w, r->n);
        if (attempt(err, c, n, a, r) < 0) {
            harness_workers_free(r->w, r->n);
            return -1;
        }
        r->attempts = k;
        r->low_overlap = !window_ok(&r->win, OVERLAP_REPEAT_BELOW);
        if (!r->low_overlap)
            return 0;
        progress("overlap of the timed windows only %.0f%%: repeating", 100 * r->win.min_fraction);
    }
    return 0;
}

void multi_run_free(struct multi_run *r)
{
    harness_workers_free(r->w, r->n);
}

/* The worker exits 69 when CUDA sees no GPU: keep that meaning for the parent's exit. */
static int info_failed(struct error *err, const struct harness_worker *w)
{
    if (WIFEXITED(w->wait_status) && WEXITSTATUS(w->wait_status) == EXIT_NO_GPU)
        return error_set(err, ERR_NO_GPU, "%s", w->problem);
    return -1;
}

int multi_check_no_mps(struct error *err)
{
    struct mps_probe_result pr;
    bool from_env = getenv("CUDA_MPS_PIPE_DIRECTORY") != NULL;

    for (;;) {
        mps_probe(mps_default_pipe_dir(), &pr);
        if (pr.answers)
            return error_set(err, ERR_UNSUPPORTED,
                             "an MPS daemon answers at '%s': every worker would be its client; "
                             "stop it (gpushare mps stop, or echo quit | nvidia-cuda-mps-control) "
                             "or unset CUDA_MPS_PIPE_DIRECTORY",
                             pr.pipe_dir);
        if (!from_env)
            return 0;
        /* What the environment named is not answering: look at the default place too. */
        unsetenv("CUDA_MPS_PIPE_DIRECTORY");
        unsetenv("CUDA_MPS_LOG_DIRECTORY");
        from_env = false;
    }
}

json_t *multi_info(struct error *err, struct multi_ctx *c)
{
    struct worker_argv a;
    struct harness_worker w[1];
    struct harness_opts o = {.ready_timeout_s = READY_TIMEOUT_S, .run_timeout_s = 30};
    char *const *argvs[1];
    struct error nerr;
    const char *bus;
    json_t *info;
    double rel;

    if (multi_check_no_mps(err) < 0)
        return NULL;
    worker_argv_init(&a, c, "info", 0);
    argvs[0] = a.argv;
    if (harness_run(err, &o, 1, argvs, w, &rel) < 0) {
        info_failed(err, &w[0]);
        harness_workers_free(w, 1);
        return NULL;
    }
    info = json_incref(json_object_get(w[0].result, "info"));
    harness_workers_free(w, 1);
    bus = json_string_value(json_object_get(info, "pci_bus_id"));
    str_printf(c->bus_id, sizeof(c->bus_id), "%s", bus != NULL ? bus : "");
    /* Without NVML the benchmarks still run; they just have no utilization to report. */
    c->sample = nvml_open(&nerr) == 0;
    return info;
}
