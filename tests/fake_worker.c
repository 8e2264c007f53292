/*
 * A CPU-only worker for tests/test_harness.c. It speaks the harness protocol through the real
 * worker side (bench/harness.c) and misbehaves on request:
 *
 *   fake_worker MODE [WORK_MS [READY_DELAY_MS]]
 *
 *   ok           ready, wait for release, spin WORK_MS on the CPU, send the result
 *   hang-ready   never gets ready
 *   hang-run     ready, released, never sends a result
 *   hang-child   like hang-run, with a grandchild in its process group ("child" in ready)
 *   crash        ready, released, abort()
 *   error        sends an error line and exits 1
 *   garbage      sends a line that is not JSON
 *   interrupt    ready, released, sends SIGINT to the parent, hangs
 *   ignore-term  ignores SIGTERM, ready, released, hangs
 *   linger       sends its result, then hangs without closing its pipe
 *
 *   fake_worker worker --workload W [--duration S] [--streams N] [other options ignored]
 *
 * stands in for `gpushare worker` under the benchmarks (tests/test_mpsbench.c): ready with
 * the fields they read (batch 1; 132 SMs, fewer under --mps-thread-pct as the H100 rounds; the
 * memory probe's refusal under --mps-mem-limit; for `client`, a context while one of
 * $FAKE_CLIENT_LIMIT slots is free), released, busy for S clamped to 20..50 ms, then a result
 * at 1000 operations per second per stream, with a gap-free trace for `spin` and 20
 * latencies for `infer`. $FAKE_WORKER_MODE picks a misbehaviour: crash-mps
 * (abort after the release) or interrupt-mps (SIGINT to the parent, then hang), only in a
 * worker that has CUDA_MPS_PIPE_DIRECTORY, i.e. runs under the benchmark's daemon. Every
 * worker appends "WORKLOAD PIPE_DIR" to $FAKE_WORKER_LOG when it is set.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/harness.h"
#include "core/error.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

static _Noreturn void hang(void)
{
    for (;;)
        pause();
}

static int send_ready(pid_t child)
{
    json_t *m = json_pack("{s:s, s:i, s:f}", "msg", "ready", "pid", (int)getpid(), "t_ready",
                          harness_now());
    int rc;

    if (child > 0)
        json_object_set_new(m, "child", json_integer(child));
    rc = harness_send(NULL, m);
    json_decref(m);
    return rc;
}

static int work_and_report(double t_release, long work_ms)
{
    double t0 = harness_now(), t1;
    unsigned long iters = 0;
    json_t *m;
    int rc;

    do {
        iters++;
        t1 = harness_now();
    } while (t1 - t0 < (double)work_ms * 1e-3);
    m = json_pack("{s:s, s:f, s:f, s:f, s:I}", "msg", "result", "t_release", t_release, "t0", t0,
                  "t1", t1, "iters", (json_int_t)iters);
    rc = harness_send(NULL, m);
    json_decref(m);
    return rc;
}

static pid_t start_grandchild(void)
{
    pid_t p = fork();

    if (p == 0)
        hang();
    return p;
}

static void log_worker(const char *workload)
{
    const char *log = getenv("FAKE_WORKER_LOG"), *pipe = getenv("CUDA_MPS_PIPE_DIRECTORY");
    FILE *f = log != NULL ? fopen(log, "a") : NULL;

    if (f == NULL)
        return;
    fprintf(f, "%s %s\n", workload, pipe != NULL ? pipe : "-");
    fclose(f);
}

/* The options of `gpushare worker` the fake acts on. */
struct fake_opts {
    const char *workload;
    double duration, streams, thread_pct;
    bool mem_limit;
};

static void parse_fake(int argc, char **argv, struct fake_opts *o)
{
    *o = (struct fake_opts){.workload = "?", .duration = 0.05, .streams = 1};
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--workload") == 0)
            o->workload = argv[i + 1];
        else if (strcmp(argv[i], "--duration") == 0)
            o->duration = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--streams") == 0)
            o->streams = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--mps-thread-pct") == 0)
            o->thread_pct = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--mps-mem-limit") == 0)
            o->mem_limit = true;
    }
}

/* The H100's rule as measured: whole TPCs of 2 SMs, rounded down, at least 8 of 132. */
static int fake_sms(double pct)
{
    int sms = pct > 0 ? 2 * (int)(pct * 132 / 100 / 2) : 132;

    return sms < 8 ? 8 : sms;
}

/* A client gets a context while one of $FAKE_CLIENT_LIMIT slot files (default 48) in
 * $FAKE_CLIENT_SLOTS can still be created: the limit, counted across processes. The slot is
 * given back when the worker ends, as a context is (a repeated run finds them free). */
static char slot_held[512];

static bool fake_context(void)
{
    const char *dir = getenv("FAKE_CLIENT_SLOTS"), *lim = getenv("FAKE_CLIENT_LIMIT");
    long limit = lim != NULL ? strtol(lim, NULL, 10) : 48;
    char path[512];

    for (long i = 0; dir != NULL && i < limit; i++) {
        snprintf(path, sizeof(path), "%s/slot-%ld", dir, i);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);

        if (fd >= 0) {
            close(fd);
            snprintf(slot_held, sizeof(slot_held), "%s", path);
            return true;
        }
    }
    return dir == NULL;
}

static json_t *fake_ready(const struct fake_opts *o)
{
    json_t *m = json_pack("{s:s, s:i, s:i, s:i, s:i, s:f}", "msg", "ready", "pid", (int)getpid(),
                          "batch", 1, "sms", fake_sms(o->thread_pct), "smids",
                          fake_sms(o->thread_pct), "op_ms", 1.0);

    if (strcmp(o->workload, "client") == 0)
        json_object_set_new(m, "context",
                            json_string(fake_context() ? "ok" : "cudaErrorDevicesUnavailable"));
    if (o->mem_limit) {
        json_object_set_new(m, "over_limit_alloc", json_string("cudaErrorMemoryAllocation"));
        json_object_set_new(m, "mem_free_bytes", json_integer(1307LL << 20));
    }
    return m;
}

/* What each workload adds to its result: a trace without gaps (MPS), some latencies. */
static void fake_result(const struct fake_opts *o, json_t *m, double t0, double t1)
{
    if (strcmp(o->workload, "spin") == 0)
        json_object_set_new(m, "trace",
                            json_pack("{s:I, s:I, s:I, s:I, s:i, s:[]}", "first",
                                      (json_int_t)(t0 * 1e9), "last", (json_int_t)(t1 * 1e9),
                                      "run_ns", (json_int_t)((t1 - t0) * 1e9), "tick_ns",
                                      (json_int_t)32, "dropped", 0, "gaps"));
    if (strcmp(o->workload, "infer") == 0) {
        json_t *lat = json_array();

        for (int i = 0; i < 20; i++)
            json_array_append_new(lat, json_real(100 + i));
        json_object_set_new(m, "latencies_us", lat);
    }
}

/* The `gpushare worker` stand-in: options as the benchmarks pass them. */
static int fake_gpushare_worker(int argc, char **argv)
{
    const char *mode = getenv("FAKE_WORKER_MODE");
    bool under_mps = getenv("CUDA_MPS_PIPE_DIRECTORY") != NULL;
    double t_release, t0, t1, busy;
    struct fake_opts o;
    struct error err;
    json_t *m;
    int rc;

    parse_fake(argc, argv, &o);
    if (mode == NULL || !under_mps)
        mode = "ok";
    log_worker(o.workload);
    m = fake_ready(&o);
    rc = harness_send(NULL, m);
    json_decref(m);
    if (rc < 0 || harness_wait_release(&err, &t_release) < 0)
        return 1;
    if (strcmp(mode, "crash-mps") == 0)
        abort();
    if (strcmp(mode, "interrupt-mps") == 0) {
        kill(getppid(), SIGINT);
        hang();
    }
    /* Long enough for the timed windows of workers released together to overlap. */
    busy = o.duration < 0.02 ? 0.02 : o.duration > 0.05 ? 0.05 : o.duration;
    t0 = harness_now();
    sleep_ms((long)(1000 * busy));
    t1 = harness_now();
    m = json_pack("{s:s, s:f, s:f, s:f, s:f}", "msg", "result", "t_release", t_release, "t0", t0,
                  "t1", t1, "rate", 1000 * o.streams);
    fake_result(&o, m, t0, t1);
    rc = harness_send(NULL, m);
    json_decref(m);
    if (slot_held[0] != '\0')
        unlink(slot_held);
    return rc < 0;
}

int main(int argc, char **argv)
{
    struct error err;
    const char *mode = argc > 1 ? argv[1] : "ok";
    long work_ms = argc > 2 ? strtol(argv[2], NULL, 10) : 50;
    long delay_ms = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    pid_t child = 0;
    double t_release;

    if (harness_worker_attached(&err) < 0) {
        fprintf(stderr, "fake_worker: %s\n", err.msg);
        return 2;
    }
    if (strcmp(mode, "worker") == 0)
        return fake_gpushare_worker(argc, argv);
    if (strcmp(mode, "hang-ready") == 0)
        hang();
    if (strcmp(mode, "error") == 0) {
        harness_send_error("cudaMalloc failed: out of memory");
        return 1;
    }
    if (strcmp(mode, "garbage") == 0) {
        if (write(HARNESS_REPORT_FD, "not json\n", 9) != 9)
            return 1;
        hang();
    }
    if (strcmp(mode, "ignore-term") == 0)
        signal(SIGTERM, SIG_IGN);
    if (strcmp(mode, "hang-child") == 0)
        child = start_grandchild();
    sleep_ms(delay_ms);
    if (send_ready(child) < 0 || harness_wait_release(&err, &t_release) < 0)
        return 1;
    if (strcmp(mode, "crash") == 0)
        abort();
    if (strcmp(mode, "interrupt") == 0)
        kill(getppid(), SIGINT);
    if (strcmp(mode, "ok") != 0 && strcmp(mode, "linger") != 0)
        hang();
    if (work_and_report(t_release, work_ms) < 0)
        return 1;
    if (strcmp(mode, "linger") == 0)
        hang();
    return 0;
}
