/*
 * Running children from a test (test_cli, test_mps_cli, test_emit_mps): the gpushare binary
 * ($GPUSHARE_BIN), stdout and stderr captured in unlinked temporary files, an environment with
 * entries added, and a deadline past which the child's process group is killed, reaped and the
 * test failed; then checks on what it printed. Needs _POSIX_C_SOURCE (the Makefile sets it).
 */
#ifndef GPUSHARE_TESTS_PROC_H
#define GPUSHARE_TESTS_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

extern char **environ;

#define PROC_MAX_ARGS 16       /* arguments proc_gpushare passes after the binary */
#define PROC_TIMEOUT_MS 30000L /* the deadline when proc_opts gives none */
#define PROC_POLL_NS 2000000L  /* how often the child is checked on */

/* What a child did. */
struct proc {
    int status;    /* exit status, or 128 + signal */
    bool signaled; /* killed by a signal rather than exiting */
    long ms;       /* how long it ran */
    char out[16384];
    char err[16384];
};

/* How proc_run runs a child; a zeroed struct (or NULL) means the defaults. */
struct proc_opts {
    char *const *env;    /* NAME=value entries replacing or adding to environ, NULL-ended */
    const char *tmp_dir; /* where the output files are made (unlinked at once); NULL: /tmp */
    long timeout_ms;     /* the deadline; 0: PROC_TIMEOUT_MS */
    int sig;             /* sent once to the child when ready says so; 0: none */
    bool (*ready)(const void *ctx); /* polled while the child runs; NULL: sig goes at once */
    const void *ctx;
};

/* The binary under test: $GPUSHARE_BIN, else the sanitized build (run from the repository). */
static inline const char *gpushare_bin(void)
{
    const char *b = getenv("GPUSHARE_BIN");

    return b != NULL ? b : "build/asan/gpushare";
}

/* An unlinked temporary file in dir (NULL: /tmp) for a child's output; -1 when none can be made. */
static inline int scratch_fd(const char *dir)
{
    char path[256];
    int fd;

    snprintf(path, sizeof(path), "%s/gpushare-test-io-XXXXXX", dir != NULL ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* What fd holds from its start, as a string of at most size - 1 bytes; closes fd. */
static inline void slurp_fd(int fd, char *buf, size_t size)
{
    ssize_t n;
    size_t len = 0;

    lseek(fd, 0, SEEK_SET);
    while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
}

/*
 * environ, with the NAME=value entries of extra (NULL-ended; may be NULL) replacing or adding to
 * it. The array is malloc'd (the caller frees it, not the strings); NULL on no memory.
 */
static inline char **env_with(char *const extra[])
{
    size_t n = 0, k = 0, m = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    while (extra != NULL && extra[m] != NULL)
        m++;
    env = calloc(n + m + 1, sizeof(*env));
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;

        for (size_t j = 0; j < m; j++) {
            size_t len = strcspn(extra[j], "=") + 1;

            replaced |= strncmp(environ[i], extra[j], len) == 0;
        }
        if (!replaced)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = extra[j];
    return env;
}

/*
 * Runs argv (argv[0] a path) as o says (may be NULL), stdin /dev/null, stdout and stderr into r,
 * in a process group of its own. Past the deadline the group is killed and the child reaped, and
 * the test fails with what it printed; nothing proc_run opened is left open either way.
 */
static inline void proc_run(struct proc *r, char *const argv[], const struct proc_opts *o)
{
    static const struct proc_opts defaults = {0};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int out, err, in, wstatus = 0, rc, saved;
    long timeout_ms, t0;
    bool sent = false;
    char **env;
    pid_t pid, got;

    if (o == NULL)
        o = &defaults;
    timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : PROC_TIMEOUT_MS;
    memset(r, 0, sizeof(*r));
    out = scratch_fd(o->tmp_dir);
    err = scratch_fd(o->tmp_dir);
    in = open("/dev/null", O_RDONLY);
    env = env_with(o->env);
    if (out < 0 || err < 0 || in < 0 || env == NULL) {
        saved = errno;
        if (out >= 0)
            close(out);
        if (err >= 0)
            close(err);
        if (in >= 0)
            close(in);
        free(env);
        fail_msg("cannot set up '%s': %s", argv[0], strerror(saved));
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    t0 = now_ms();
    rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(env);
    close(in);
    if (rc != 0) {
        close(out);
        close(err);
        fail_msg("cannot run '%s': %s", argv[0], strerror(rc));
    }
    while ((got = waitpid(pid, &wstatus, WNOHANG)) == 0 && now_ms() - t0 <= timeout_ms) {
        if (o->sig != 0 && !sent && (o->ready == NULL || o->ready(o->ctx))) {
            kill(pid, o->sig);
            sent = true;
        }
        nanosleep(&(struct timespec){.tv_nsec = PROC_POLL_NS}, NULL);
    }
    saved = errno;
    r->ms = now_ms() - t0;
    if (got != pid) {
        kill(-pid, SIGKILL);
        waitpid(pid, &wstatus, 0);
        slurp_fd(out, r->out, sizeof(r->out));
        slurp_fd(err, r->err, sizeof(r->err));
        if (got == 0)
            fail_msg("'%s %s' ran past %ld ms; killed\nstdout: %.2000s\nstderr: %.2000s", argv[0],
                     argv[1] != NULL ? argv[1] : "", timeout_ms, r->out, r->err);
        fail_msg("waiting for '%s': %s", argv[0], strerror(saved));
    }
    r->signaled = WIFSIGNALED(wstatus);
    r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    slurp_fd(out, r->out, sizeof(r->out));
    slurp_fd(err, r->err, sizeof(r->err));
}

/* proc_run of gpushare_bin() with args (NULL-ended, at most PROC_MAX_ARGS). */
static inline void proc_gpushare(struct proc *r, const char *const args[],
                                 const struct proc_opts *o)
{
    char *argv[PROC_MAX_ARGS + 2];
    size_t n = 0;

    argv[n++] = (char *)gpushare_bin();
    for (; args[n - 1] != NULL; n++) {
        if (n > PROC_MAX_ARGS)
            fail_msg("more than %d arguments for gpushare", PROC_MAX_ARGS);
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    proc_run(r, argv, o);
}

/* proc_gpushare with the output files in dir, made (and "build" above it) when missing. */
static inline void proc_gpushare_in(struct proc *r, const char *const args[], const char *dir)
{
    const struct proc_opts o = {.tmp_dir = dir};

    mkdir("build", 0755);
    mkdir(dir, 0755);
    proc_gpushare(r, args, &o);
}

/* The lines of what a child printed. */
static inline int count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

/* Fails with the child's output unless it exited (not by a signal) with want. */
static inline void expect_status(const struct proc *r, int want, const char *what)
{
    if (r->signaled || r->status != want)
        fail_msg("%s: exit status %d%s, want %d\nstdout: %.3000s\nstderr: %.3000s", what, r->status,
                 r->signaled ? " (a signal)" : "", want, r->out, r->err);
}

static inline void expect_in(const char *text, const char *want, const char *what)
{
    if (strstr(text, want) == NULL)
        fail_msg("%s: no '%s' in:\n%.6000s", what, want, text);
}

static inline void expect_not_in(const char *text, const char *unwanted, const char *what)
{
    if (strstr(text, unwanted) != NULL)
        fail_msg("%s: '%s' unexpected in:\n%.6000s", what, unwanted, text);
}

#endif
