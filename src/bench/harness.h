/*
 * The multi-process harness: gpushare runs N copies of itself (the hidden `worker` command,
 * or any program that speaks the protocol below), releases them at one instant and collects
 * what each measured. Time-slicing, MPS, isolation and MIG emulation all run on it.
 *
 * The parent never initialises CUDA: it forks before any CUDA call, so each worker gets a
 * context of its own, as separate containers would.
 *
 * Protocol, one JSON object per line:
 *   worker -> parent on fd 3:  {"msg":"ready",...}   after CUDA init and warm-up
 *                              {"msg":"result",...}  after its timed region
 *                              {"msg":"error","error":"..."} instead of either, then exit 1
 *   parent -> workers on fd 4: nothing; the parent closes the write end once every worker is
 *                              ready, and every worker's read() returns 0 at that instant.
 * Workers time their regions with CLOCK_MONOTONIC, one clock for every process on the host.
 */
#ifndef GPUSHARE_BENCH_HARNESS_H
#define GPUSHARE_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/error.h"

#define HARNESS_REPORT_FD 3
#define HARNESS_GATE_FD 4
#define HARNESS_MAX_WORKERS 64
/* A result line carries per-request latencies or a timeline: far below this. */
#define HARNESS_MAX_LINE (64u << 20)

struct harness_opts {
    double ready_timeout_s; /* spawn until every worker is ready (CUDA init, warm-up) */
    double run_timeout_s;   /* release until every worker has sent its result */
    double term_grace_s;    /* SIGTERM to SIGKILL when stopping healthy workers; 0: 2 s */
    /* Called every sample_period_s from release until the last result (NVML sampling);
     * sample may be NULL. */
    double sample_period_s;
    void (*sample)(void *arg, double now);
    void *sample_arg;
};

struct harness_worker {
    pid_t pid;
    bool ready;        /* sent its ready line */
    bool done;         /* sent its result line */
    bool killed;       /* we signalled it: watchdog, or another worker failed */
    bool sent_error;   /* sent an error line: it exits by itself, with its own status */
    double t_ready;    /* parent's CLOCK_MONOTONIC when the ready line arrived */
    json_t *ready_msg; /* owned; NULL until ready */
    json_t *result;    /* owned; NULL until done */
    int wait_status;   /* from waitpid() */
    char problem[256]; /* what went wrong with this worker; "" when nothing did */
};

/*
 * Runs n workers, worker i as argvs[i] (argvs[i][0] is the program path, run with execv),
 * each in a process group of its own that dies with the parent (PR_SET_PDEATHSIG). Returns
 * 0 when every worker sent its result and exited 0. Otherwise -1, every worker having been
 * stopped and reaped: ERR_INVALID naming the first worker that failed (its problem says
 * how: error line, crash, exit before its result, unreadable line, watchdog), or
 * ERR_INTERRUPTED when SIGINT, SIGTERM or SIGHUP arrived (blocked in the caller
 * for the run; handlers of the caller are not called). No worker outlives the call, and
 * none is left a zombie. *release_t gets the release instant (NAN if never released).
 */
int harness_run(struct error *err, const struct harness_opts *o, size_t n,
                char *const *const argvs[], struct harness_worker *w, double *release_t);

/* Frees the messages of n workers. */
void harness_workers_free(struct harness_worker *w, size_t n);

/* CLOCK_MONOTONIC in seconds. */
double harness_now(void);

/* Worker side. */

/* Checks that fds 3 and 4 are pipes: the worker was started by the harness. */
int harness_worker_attached(struct error *err);

/* Sends msg (a JSON object with "msg") as one line on fd 3. */
int harness_send(struct error *err, const json_t *msg);

/* Sends {"msg":"error","error":text}; errors of its own are ignored (the parent sees EOF). */
void harness_send_error(const char *text);

/* Blocks until the parent releases every worker; *t gets CLOCK_MONOTONIC at release. */
int harness_wait_release(struct error *err, double *t);

#endif
