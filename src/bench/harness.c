/*
 * The multi-process harness (harness.h): fork and exec, one gate pipe as the barrier, JSON
 * lines back, a watchdog, and reaping on every path. No CUDA here.
 */
#define _GNU_SOURCE /* pipe2, ppoll, prctl */
#include "bench/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"
#include "core/str.h"
#include "core/xalloc.h"

/* Reaping a worker that closed its pipe: it is exiting, so this is only a backstop. */
#define REAP_GRACE_S 5.0

/* Parent-side state of one worker's report pipe. */
struct slot {
    int fd; /* read end; -1 after EOF */
    char *buf;
    size_t len, cap;
};

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
    caught_signal = sig;
}

double harness_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void set_problem(struct harness_worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_problem(struct harness_worker *w, const char *fmt, ...)
{
    va_list ap;

    if (w->problem[0] != '\0') /* the first cause is the one worth reporting */
        return;
    va_start(ap, fmt);
    vsnprintf(w->problem, sizeof(w->problem), fmt, ap);
    va_end(ap);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static _Noreturn void exec_child(char *const argv[], int report_w, int gate_r, pid_t parent,
                                 const sigset_t *mask)
{
    int r, g;

    setpgid(0, 0);
    /* Dies with the parent, even a parent killed with SIGKILL, so no worker holds the GPU
     * past the benchmark. Checked against the race of a parent that died first. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    /* Above 4 first, so neither dup2 below can overwrite the other source. */
    r = fcntl(report_w, F_DUPFD_CLOEXEC, 10);
    g = fcntl(gate_r, F_DUPFD_CLOEXEC, 10);
    if (r < 0 || g < 0 || dup2(r, HARNESS_REPORT_FD) < 0 || dup2(g, HARNESS_GATE_FD) < 0)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigprocmask(SIG_SETMASK, mask, NULL);
    execv(argv[0], argv);
    _exit(127);
}

static int spawn(struct error *err, char *const argv[], int gate_r, const sigset_t *mask,
                 struct harness_worker *w, struct slot *s)
{
    int p[2];
    pid_t parent = getpid();

    if (access(argv[0], X_OK) != 0)
        return error_set(err, ERR_INVALID, "cannot execute worker '%s': %s", argv[0],
                         strerror(errno));
    if (pipe2(p, O_CLOEXEC) != 0)
        return error_set(err, ERR_IO, "pipe: %s", strerror(errno));
    w->pid = fork();
    if (w->pid < 0) {
        close(p[0]);
        close(p[1]);
        return error_set(err, ERR_IO, "fork: %s", strerror(errno));
    }
    if (w->pid == 0)
        exec_child(argv, p[1], gate_r, parent, mask);
    setpgid(w->pid, w->pid); /* also here, so kill(-pid) works before the child gets to it */
    close(p[1]);
    s->fd = p[0];
    return 0;
}

/* Signals the process group of every worker still running. SIGTERM spares a worker that
 * reported an error: it is exiting, and its exit status says why (69: no GPU). */
static void signal_all(struct harness_worker *w, size_t n, int sig)
{
    for (size_t i = 0; i < n; i++)
        if (w[i].pid > 0 && !(sig == SIGTERM && w[i].sent_error)) {
            kill(-w[i].pid, sig);
            w[i].killed = true;
        }
}

static void describe_exit(struct harness_worker *w)
{
    int st = w->wait_status;

    if (WIFSIGNALED(st))
        set_problem(w, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        set_problem(w, "exited with status %d", WEXITSTATUS(st));
    else if (!w->done)
        set_problem(w, "exited before sending its result");
}

/* Waits for every worker until deadline, then SIGKILLs the groups of the rest and waits for
 * them unconditionally: nothing we started survives the call. pid is 0 once reaped. */
static void reap_all(struct harness_worker *w, size_t n, double deadline)
{
    bool left = true;

    while (left) {
        left = false;
        for (size_t i = 0; i < n; i++) {
            if (w[i].pid <= 0)
                continue;
            if (waitpid(w[i].pid, &w[i].wait_status, WNOHANG) == w[i].pid) {
                /* The group may still hold a grandchild the worker started. */
                kill(-w[i].pid, SIGKILL);
                w[i].pid = 0;
                describe_exit(&w[i]);
            } else
                left = true;
        }
        if (left && harness_now() > deadline) {
            signal_all(w, n, SIGKILL);
            for (size_t i = 0; i < n; i++)
                if (w[i].pid > 0 && waitpid(w[i].pid, &w[i].wait_status, 0) == w[i].pid) {
                    w[i].pid = 0;
                    describe_exit(&w[i]);
                }
            return;
        }
        if (left)
            nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    }
}

static int handle_msg(struct harness_worker *w, json_t *msg)
{
    const char *kind = json_string_value(json_object_get(msg, "msg"));
    const char *text;

    if (kind != NULL && strcmp(kind, "ready") == 0 && !w->ready) {
        w->ready = true;
        w->t_ready = harness_now();
        w->ready_msg = msg;
        return 0;
    }
    if (kind != NULL && strcmp(kind, "result") == 0 && w->ready && !w->done) {
        w->done = true;
        w->result = msg;
        return 0;
    }
    if (kind != NULL && strcmp(kind, "error") == 0) {
        w->sent_error = true;
        text = json_string_value(json_object_get(msg, "error"));
        set_problem(w, "%s", text != NULL ? text : "reported an error without a message");
    } else
        set_problem(w, "sent an unexpected message '%s'", kind != NULL ? kind : "(no msg)");
    json_decref(msg);
    return -1;
}

static int handle_line(struct harness_worker *w, const char *line, size_t len)
{
    json_error_t jerr;
    json_t *msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);

    if (msg == NULL || !json_is_object(msg)) {
        json_decref(msg);
        set_problem(w, "sent a line that is not a JSON object: %.60s", line);
        return -1;
    }
    return handle_msg(w, msg);
}

/* Takes the complete lines out of the buffer; the rest waits for more input. */
static int drain_lines(struct harness_worker *w, struct slot *s)
{
    size_t start = 0;
    char *nl;
    int rc = 0;

    while (rc == 0 && (nl = memchr(s->buf + start, '\n', s->len - start)) != NULL) {
        *nl = '\0';
        rc = handle_line(w, s->buf + start, (size_t)(nl - (s->buf + start)));
        start = (size_t)(nl - s->buf) + 1;
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
    return rc;
}

/* Reads what the pipe holds. -1 when the worker failed; EOF closes the slot. */
static int read_slot(struct harness_worker *w, struct slot *s)
{
    ssize_t got;

    if (s->cap - s->len < 65536) {
        if (s->cap >= HARNESS_MAX_LINE) {
            set_problem(w, "sent a line longer than %u bytes", HARNESS_MAX_LINE);
            return -1;
        }
        s->cap = s->cap == 0 ? 131072 : s->cap * 2;
        s->buf = xreallocarray(s->buf, s->cap, 1);
    }
    got = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (got < 0) {
        set_problem(w, "read: %s", strerror(errno));
        return -1;
    }
    if (got == 0) {
        close(s->fd);
        s->fd = -1;
        if (!w->done) {
            set_problem(w, "closed its pipe before sending its result");
            return -1;
        }
        return 0;
    }
    s->len += (size_t)got;
    return drain_lines(w, s);
}

struct run {
    const struct harness_opts *o;
    size_t n;
    struct harness_worker *w;
    struct slot *s;
    int gate_w;
    double release, deadline, next_sample;
    const sigset_t *poll_mask;
};

static bool all_ready(const struct run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (!r->w[i].ready)
            return false;
    return true;
}

static bool all_closed(const struct run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->s[i].fd >= 0)
            return false;
    return true;
}

static void release(struct run *r)
{
    /* Read the clock first: no worker can pass the gate before it is closed. */
    r->release = harness_now();
    close(r->gate_w);
    r->gate_w = -1;
    r->deadline = r->release + r->o->run_timeout_s;
    r->next_sample = r->release;
}

/* Kills the workers that missed the deadline (and, the run being void, the others). */
static int watchdog(struct error *err, struct run *r)
{
    size_t first = r->n;

    for (size_t i = 0; i < r->n; i++) {
        bool late = isnan(r->release) ? !r->w[i].ready : !r->w[i].done;

        if (late) {
            set_problem(&r->w[i], "%s after %.1f s: killed by the watchdog",
                        isnan(r->release) ? "not ready" : "no result",
                        isnan(r->release) ? r->o->ready_timeout_s : r->o->run_timeout_s);
            first = first < r->n ? first : i;
        }
    }
    /* Every result is in, but a worker still holds its pipe (stuck in CUDA teardown). */
    for (size_t i = 0; first == r->n && i < r->n; i++)
        if (r->s[i].fd >= 0) {
            set_problem(&r->w[i],
                        "sent its result but did not exit within %.1f s: killed by "
                        "the watchdog",
                        r->o->run_timeout_s);
            first = i;
        }
    signal_all(r->w, r->n, SIGKILL);
    if (first == r->n) /* cannot happen: the loop ends once every pipe is closed */
        return error_set(err, ERR_INVALID, "the watchdog fired with every worker finished");
    return error_set(err, ERR_INVALID, "worker %zu (pid %d): %s", first, (int)r->w[first].pid,
                     r->w[first].problem);
}

static int poll_once(struct error *err, struct run *r)
{
    struct pollfd pf[HARNESS_MAX_WORKERS];
    size_t idx[HARNESS_MAX_WORKERS], np = 0;
    double now = harness_now(), until = r->deadline;
    struct timespec ts;
    int k;

    if (r->o->sample != NULL && !isnan(r->release) && r->o->sample_period_s > 0) {
        if (now >= r->next_sample) {
            r->o->sample(r->o->sample_arg, now);
            r->next_sample += r->o->sample_period_s;
            if (r->next_sample < now)
                r->next_sample = now + r->o->sample_period_s;
        }
        until = fmin(until, r->next_sample);
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->s[i].fd >= 0) {
            pf[np] = (struct pollfd){.fd = r->s[i].fd, .events = POLLIN};
            idx[np++] = i;
        }
    until = fmax(0.0, until - now);
    ts.tv_sec = (time_t)until;
    ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
    k = ppoll(pf, np, &ts, r->poll_mask);
    if (k < 0 && errno != EINTR)
        return error_set(err, ERR_IO, "ppoll: %s", strerror(errno));
    for (size_t j = 0; k > 0 && j < np; j++)
        if (pf[j].revents != 0 && read_slot(&r->w[idx[j]], &r->s[idx[j]]) < 0)
            return error_set(err, ERR_INVALID, "worker %zu (pid %d): %s", idx[j],
                             (int)r->w[idx[j]].pid, r->w[idx[j]].problem);
    return 0;
}

/* The event loop: ready, release, results, with the watchdog and the signal check. */
static int supervise(struct error *err, struct run *r)
{
    for (;;) {
        if (caught_signal != 0) {
            signal_all(r->w, r->n, SIGTERM);
            return error_set(err, ERR_INTERRUPTED,
                             "interrupted by signal %d (%s): stopped %zu workers",
                             (int)caught_signal, strsignal(caught_signal), r->n);
        }
        if (isnan(r->release) && all_ready(r))
            release(r);
        if (all_closed(r))
            return 0;
        if (harness_now() >= r->deadline)
            return watchdog(err, r);
        if (poll_once(err, r) < 0) {
            /* One failed worker voids the run; the others get a chance to exit cleanly. */
            signal_all(r->w, r->n, SIGTERM);
            return -1;
        }
    }
}

/* The signals that stop a run: Ctrl-C, kill, and a closed terminal or SSH session. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

static void install(struct sigaction old[NSTOP], sigset_t *orig)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigset_t block;

    caught_signal = 0;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    for (size_t i = 0; i < NSTOP; i++) {
        sigaction(stop_signals[i], &sa, &old[i]);
        sigaddset(&block, stop_signals[i]);
    }
    sigprocmask(SIG_BLOCK, &block, orig);
}

/* Unblocks before restoring the handlers, so a signal that came late still lands in ours. */
static void uninstall(const struct sigaction old[NSTOP], const sigset_t *orig)
{
    sigprocmask(SIG_SETMASK, orig, NULL);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &old[i], NULL);
}

static int start_all(struct error *err, struct run *r, char *const *const argvs[], int gate_r,
                     const sigset_t *orig)
{
    for (size_t i = 0; i < r->n; i++)
        if (spawn(err, argvs[i], gate_r, orig, &r->w[i], &r->s[i]) < 0)
            return error_wrap(err, "worker %zu", i);
    return 0;
}

static double term_grace(const struct harness_opts *o)
{
    return o->term_grace_s > 0 ? o->term_grace_s : 2.0;
}

int harness_run(struct error *err, const struct harness_opts *o, size_t n,
                char *const *const argvs[], struct harness_worker *w, double *release_t)
{
    struct slot s[HARNESS_MAX_WORKERS];
    struct sigaction old[NSTOP];
    sigset_t orig;
    int gate[2], rc;
    struct run r = {.o = o, .n = n, .w = w, .s = s, .release = NAN, .poll_mask = &orig};

    *release_t = NAN;
    if (n == 0 || n > HARNESS_MAX_WORKERS)
        return error_set(err, ERR_INVALID, "%zu workers: expected 1 to %d", n, HARNESS_MAX_WORKERS);
    memset(w, 0, n * sizeof(*w));
    for (size_t i = 0; i < n; i++)
        s[i] = (struct slot){.fd = -1};
    if (pipe2(gate, O_CLOEXEC) != 0)
        return error_set(err, ERR_IO, "pipe: %s", strerror(errno));
    r.gate_w = gate[1];
    install(old, &orig);
    r.deadline = harness_now() + o->ready_timeout_s;
    rc = start_all(err, &r, argvs, gate[0], &orig);
    close(gate[0]);
    if (rc == 0)
        rc = supervise(err, &r);
    else
        signal_all(w, n, SIGKILL);
    if (r.gate_w >= 0)
        close(r.gate_w);
    reap_all(w, n, harness_now() + (rc == 0 ? REAP_GRACE_S : term_grace(o)));
    for (size_t i = 0; i < n; i++) {
        if (s[i].fd >= 0)
            close(s[i].fd);
        free(s[i].buf);
        if (rc == 0 && w[i].problem[0] != '\0')
            rc = error_set(err, ERR_INVALID, "worker %zu: %s", i, w[i].problem);
    }
    uninstall(old, &orig);
    if (caught_signal != 0 && (rc == 0 || err->code != ERR_INTERRUPTED))
        rc = error_set(err, ERR_INTERRUPTED, "interrupted by signal %d (%s)", (int)caught_signal,
                       strsignal(caught_signal));
    *release_t = r.release;
    return rc;
}

void harness_workers_free(struct harness_worker *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(w[i].ready_msg);
        json_decref(w[i].result);
        w[i].ready_msg = w[i].result = NULL;
    }
}

static bool is_pipe(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Both are pipes under the harness; a shell's redirections to files are not. */
int harness_worker_attached(struct error *err)
{
    if (!is_pipe(HARNESS_REPORT_FD) || !is_pipe(HARNESS_GATE_FD))
        return error_set(
            err, ERR_USAGE,
            "'worker' is internal: gpushare bench starts it with pipes on fds 3 and 4");
    return 0;
}

int harness_send(struct error *err, const json_t *msg)
{
    char *line = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(17));
    size_t len;
    int rc;

    if (line == NULL)
        return error_set(err, ERR_INVALID, "cannot serialise a message");
    len = strlen(line);
    rc = io_write_all(HARNESS_REPORT_FD, line, len) == 0 &&
                 io_write_all(HARNESS_REPORT_FD, "\n", 1) == 0
             ? 0
             : error_set(err, ERR_IO, "cannot write to the parent: %s", strerror(errno));
    free(line);
    return rc;
}

void harness_send_error(const char *text)
{
    json_t *m = json_pack("{s:s, s:s}", "msg", "error", "error", text);

    if (m != NULL)
        harness_send(NULL, m);
    json_decref(m);
}

int harness_wait_release(struct error *err, double *t)
{
    char c;
    ssize_t k;

    do
        k = read(HARNESS_GATE_FD, &c, 1);
    while (k < 0 && errno == EINTR);
    *t = harness_now();
    if (k != 0)
        return error_set(err, ERR_IO, "the release gate %s", k < 0 ? strerror(errno) : "sent data");
    return 0;
}
