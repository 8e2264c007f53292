/*
 * Unit tests for gpu/mps_daemon: the real lifecycle code driven against the fake
 * nvidia-cuda-mps-control of tests/fake_mps.h, first on PATH.
 */
#include "gpu/mps_daemon.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "fake_mps.h"

/* A GPU UUID as NVML writes one. */
#define TUUID "GPU-4a1b0000-1111-2222-3333-444455556666"
#include "testutil.h"

static void assert_mode_0700(const char *path)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0700)
        fail_msg("'%s': mode %o, want a directory with 0700", path, (unsigned)st.st_mode);
}

/*
 * The whole lifecycle with private directories: under $XDG_RUNTIME_DIR, 0700, named after the
 * uid and pid; the daemon gets them in its environment; the settings are sent and read back;
 * stop sends get_server_list and quit, waits for the daemon and its server, removes the
 * directories; a second stop does nothing.
 */
static void test_start_stop_private(void **state)
{
    struct mps_daemon_opts o = {.active_thread_centi = 5000,
                                .pinned_mem_limit = "0=10G," TUUID "=512M,1=1536M",
                                .timeout_ms = 5000};
    struct mps_daemon d;
    struct error err = {0};
    char prefix[128], want[2048], got[2048], root[256];
    long pids[16];

    (void)state;
    if (mps_daemon_start(&err, &o, &d) != 0)
        fail_msg("start: %s", err.msg);
    snprintf(prefix, sizeof(prefix), "%s/gpushare-mps-%u-%ld-", sb.run, (unsigned)getuid(),
             (long)getpid());
    if (strncmp(d.root, prefix, strlen(prefix)) != 0 || strlen(d.root) != strlen(prefix) + 6)
        fail_msg("root '%s', want '%sXXXXXX'", d.root, prefix);
    snprintf(want, sizeof(want), "%s/pipe", d.root);
    assert_string_equal(d.pipe_dir, want);
    snprintf(want, sizeof(want), "%s/log", d.root);
    assert_string_equal(d.log_dir, want);
    assert_mode_0700(d.root);
    assert_mode_0700(d.pipe_dir);
    assert_mode_0700(d.log_dir);
    assert_true(d.own_pipe_dir && d.own_log_dir && d.started && !d.reused);
    assert_int_equal(fake_pids(pids, 16), 2);
    assert_int_equal(d.daemon.pid, pids[0]);
    assert_true(d.daemon.start > 0);
    assert_true(alive(pids[0]) && alive(pids[1]));

    // The variables a client needs, in this process, for the workers it forks.
    assert_int_equal(mps_daemon_setenv(&err, &d), 0);
    assert_string_equal(getenv("CUDA_MPS_PIPE_DIRECTORY"), d.pipe_dir);
    assert_string_equal(getenv("CUDA_MPS_LOG_DIRECTORY"), d.log_dir);

    snprintf(root, sizeof(root), "%s", d.root);
    snprintf(want, sizeof(want),
             "-d pipe=%s log=%s\n"
             "get_default_active_thread_percentage\n"
             "set_default_active_thread_percentage 50\n"
             "get_default_active_thread_percentage\n"
             "set_default_device_pinned_mem_limit 0 10G\n"
             "get_default_device_pinned_mem_limit 0\n"
             "set_default_device_pinned_mem_limit " TUUID " 512M\n"
             "get_default_device_pinned_mem_limit " TUUID "\n"
             "set_default_device_pinned_mem_limit 1 1536M\n"
             "get_default_device_pinned_mem_limit 1\n"
             "get_server_list\n"
             "quit\n",
             d.pipe_dir, d.log_dir);
    if (mps_daemon_stop(&err, &d, 5000) != 0)
        fail_msg("stop: %s", err.msg);
    assert_int_equal(d.stopped, MPS_STOP_QUIT);
    commands(got, sizeof(got));
    assert_string_equal(got, want);
    assert_false(exists(root));
    assert_int_equal(count_alive_fakes(), 0);

    // Idempotent.
    assert_int_equal(mps_daemon_stop(&err, &d, 5000), 0);
    assert_int_equal(d.stopped, MPS_STOP_NOTHING);
}

/* No usable $XDG_RUNTIME_DIR: /tmp. */
static void test_private_dir_fallback(void **state)
{
    static const char *const xdg[] = {NULL, "", "relative/run", "/nonexistent/run",
                                      "/a/path/that/is/much/too/long/for/mps/sockets/run"};

    (void)state;
    for (size_t i = 0; i < sizeof(xdg) / sizeof(xdg[0]); i++) {
        struct mps_daemon_opts o = {.timeout_ms = 5000};
        struct mps_daemon d;
        struct error err = {0};
        char prefix[128], root[256];

        if (xdg[i] != NULL)
            setenv("XDG_RUNTIME_DIR", xdg[i], 1);
        else
            unsetenv("XDG_RUNTIME_DIR");
        if (mps_daemon_start(&err, &o, &d) != 0)
            fail_msg("case %zu: start: %s", i, err.msg);
        snprintf(prefix, sizeof(prefix), "/tmp/gpushare-mps-%u-%ld-", (unsigned)getuid(),
                 (long)getpid());
        snprintf(root, sizeof(root), "%s", d.root);
        if (mps_daemon_stop(&err, &d, 5000) != 0)
            fail_msg("case %zu: stop: %s", i, err.msg);
        if (strncmp(root, prefix, strlen(prefix)) != 0)
            fail_msg("case %zu: root '%s', want '%sXXXXXX'", i, root, prefix);
        if (exists(root))
            fail_msg("case %zu: '%s' left behind", i, root);
    }
}

/* Given directories are used as they are and never removed; a missing one is made. */
static void test_given_dirs(void **state)
{
    char pipe_dir[128], want[1024], got[1024];
    struct mps_daemon_opts o = {.pipe_dir = pipe_dir, .log_dir = sb.logs, .timeout_ms = 5000};
    struct mps_daemon d;
    struct error err = {0};

    (void)state;
    snprintf(pipe_dir, sizeof(pipe_dir), "%s/new", sb.pipes);
    if (mps_daemon_start(&err, &o, &d) != 0)
        fail_msg("start: %s", err.msg);
    assert_string_equal(d.root, "");
    assert_string_equal(d.pipe_dir, pipe_dir);
    assert_string_equal(d.log_dir, sb.logs);
    assert_false(d.own_pipe_dir || d.own_log_dir);
    snprintf(want, sizeof(want), "-d pipe=%s log=%s\n", pipe_dir, sb.logs);
    commands(got, sizeof(got));
    assert_true(strncmp(got, want, strlen(want)) == 0);
    if (mps_daemon_stop(&err, &d, 5000) != 0)
        fail_msg("stop: %s", err.msg);
    assert_true(exists(pipe_dir));
    assert_true(exists(sb.logs));
}

static const struct {
    const char *mode;
    int timeout_ms;
    const char *msg;
} start_fail_cases[] = {
    {"fail_start", 5000,
     "'" CLIENT " -d' failed with exit status 1: An instance of this daemon is already running"},
    {"hang_start", 300, "'" CLIENT " -d' did not return within 300 ms"},
};

/* `-d` exits 1 (its output goes in the message) or never returns: nothing left. */
static void test_start_fails(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(start_fail_cases) / sizeof(start_fail_cases[0]); i++) {
        struct mps_daemon_opts o = {.timeout_ms = start_fail_cases[i].timeout_ms};
        struct mps_daemon d;
        struct error err = {0};

        set_mode(start_fail_cases[i].mode);
        assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
        assert_int_equal(err.code, ERR_UNSUPPORTED);
        assert_string_equal(err.msg, start_fail_cases[i].msg);
        assert_string_equal(d.root, "");
        assert_false(d.started);
        assert_int_equal(count_entries(sb.run, NULL, 0), 0);
        assert_int_equal(count_alive_fakes(), 0);
    }
}

static void test_start_not_on_path(void **state)
{
    struct mps_daemon_opts o = {.timeout_ms = 5000};
    struct mps_daemon d;
    struct error err = {0};
    char path[128];

    (void)state;
    setenv("PATH", sb.empty, 1);
    assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
    assert_int_equal(err.code, ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "'" CLIENT "' is not on PATH");
    path_in(path, sizeof(path), "commands");
    assert_false(exists(path));
}

/* The daemon starts but never answers: a timeout, then it is killed and its dirs removed. */
static void test_start_never_answers(void **state)
{
    struct mps_daemon_opts o = {.timeout_ms = 300};
    struct mps_daemon d;
    struct error err = {0};
    long t0 = now_ms(), elapsed;
    long pids[16];

    (void)state;
    set_mode("mute");
    assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
    elapsed = now_ms() - t0;
    assert_int_equal(err.code, ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "MPS control daemon did not answer within 300 ms");
    if (elapsed < 300 || elapsed > 3000)
        fail_msg("returned after %ld ms, want 300 to 3000", elapsed);
    assert_int_equal(fake_pids(pids, 16), 2);
    assert_int_equal(count_alive_fakes(), 0);
    assert_false(d.started);
    assert_int_equal(count_entries(sb.run, NULL, 0), 0);
}

/* No control pipe ever appears: no client is run, and the message says why. */
static void test_start_no_control(void **state)
{
    struct mps_daemon_opts o = {.timeout_ms = 300};
    struct mps_daemon d;
    struct error err = {0};
    char want[256];

    (void)state;
    set_mode("no_control");
    assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
    assert_int_equal(err.code, ERR_UNSUPPORTED);
    snprintf(
        want, sizeof(want),
        "MPS control daemon did not answer within 300 ms: no control pipe in '%s/gpushare-mps-",
        sb.run);
    if (strncmp(err.msg, want, strlen(want)) != 0 ||
        strcmp(err.msg + strlen(err.msg) - 6, "/pipe'") != 0)
        fail_msg("\"%s\", want \"%s...XXXXXX/pipe'\"", err.msg, want);
    commands(want, sizeof(want)); // no client ran
    assert_int_equal(strncmp(want, "-d ", 3), 0);
    if (strchr(want, '\n') == NULL || strchr(want, '\n')[1] != '\0')
        fail_msg("commands \"%s\", want the -d line alone", want);
    assert_int_equal(count_alive_fakes(), 0);
}

/* A signal while start waits for the daemon: it gives up at once and cleans up. */
static void test_start_interrupted(void **state)
{
    struct mps_daemon_opts o = {.timeout_ms = 5000};
    struct mps_guard g = {0};
    struct mps_daemon d;
    struct error err = {0};
    long t0, elapsed;
    long pids[16];

    (void)state;
    set_mode("no_control");
    mps_guard_install(&g);
    raise(SIGINT);
    t0 = now_ms();
    assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
    elapsed = now_ms() - t0;
    mps_guard_remove(&g);
    assert_int_equal(err.code, ERR_INTERRUPTED);
    assert_string_equal(err.msg,
                        "interrupted by signal 2 while waiting for the MPS control daemon");
    if (elapsed > 2000)
        fail_msg("returned after %ld ms", elapsed);
    assert_int_equal(fake_pids(pids, 16), 2);
    assert_int_equal(count_alive_fakes(), 0);
    assert_int_equal(count_entries(sb.run, NULL, 0), 0);
}

static const struct {
    const char *mode;
    unsigned pct;
    const char *mem;
    const char *msg;
} refused_cases[] = {
    {"bad_set", 30, NULL,
     "MPS control daemon reports default active thread percentage '100.0' after setting 30"},
    {"bad_mem", 0, "0=10G",
     "MPS control daemon reports default pinned memory limit '' for device '0' after setting "
     "10G"},
    {"bad_mem", 0, "0=700M",
     "MPS control daemon reports default pinned memory limit '' for device '0' after setting "
     "700M"},
};

/* A setting the daemon ignored (it still exits 0): the start fails, the daemon gets quit. */
static void test_setting_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refused_cases) / sizeof(refused_cases[0]); i++) {
        struct mps_daemon_opts o = {.active_thread_centi = refused_cases[i].pct * 100,
                                    .pinned_mem_limit = refused_cases[i].mem,
                                    .timeout_ms = 5000};
        struct mps_daemon d;
        static const char tail[] = "\nget_server_list\nquit\n";
        struct error err = {0};
        char got[2048];

        set_mode(refused_cases[i].mode);
        if (mps_daemon_start(&err, &o, &d) != -1)
            fail_msg("case %zu: started", i);
        assert_int_equal(err.code, ERR_UNSUPPORTED);
        assert_string_equal(err.msg, refused_cases[i].msg);
        commands(got, sizeof(got));
        if (strlen(got) < strlen(tail) || strcmp(got + strlen(got) - strlen(tail), tail) != 0)
            fail_msg("case %zu: commands end \"%s\"", i, got);
        assert_int_equal(count_alive_fakes(), 0);
        assert_int_equal(count_entries(sb.run, NULL, 0), 0);
    }
}

static const struct {
    const char *mode;
    enum mps_stop_how want;
    const char *signal;
} escalation_cases[] = {
    {"deaf", MPS_STOP_TERM, "SIGTERM ended them"},
    {"deaf ignore_term", MPS_STOP_KILL, "SIGKILL ended them"},
};

/* A daemon that ignores quit (and SIGTERM): signalled, reported, nothing left. */
static void test_stop_escalates(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(escalation_cases) / sizeof(escalation_cases[0]); i++) {
        struct mps_daemon_opts o = {.timeout_ms = 5000};
        struct mps_daemon d;
        struct error err = {0};
        char root[256], want[256];
        long pids[16];
        long pid;

        set_mode(escalation_cases[i].mode);
        if (mps_daemon_start(&err, &o, &d) != 0)
            fail_msg("case %zu: start: %s", i, err.msg);
        pid = d.daemon.pid;
        snprintf(root, sizeof(root), "%s", d.root);
        assert_int_equal(mps_daemon_stop(&err, &d, 1000), -1);
        assert_int_equal(err.code, ERR_UNSUPPORTED);
        assert_int_equal(d.stopped, escalation_cases[i].want);
        if (escalation_cases[i].want == MPS_STOP_TERM)
            snprintf(want, sizeof(want),
                     "MPS control daemon %ld: 2 processes still running 1000 ms after 'quit'; %s",
                     pid, escalation_cases[i].signal);
        else
            snprintf(want, sizeof(want),
                     "MPS control daemon %ld: 2 processes still running 1000 ms after 'quit' and "
                     "2 after SIGTERM; %s",
                     pid, escalation_cases[i].signal);
        assert_string_equal(err.msg, want);
        assert_int_equal(fake_pids(pids, 16), 2 * (i + 1));
        assert_int_equal(count_alive_fakes(), 0);
        assert_false(exists(root));
    }
}

/* A daemon that died on its own: stop says so and still cleans up. */
static void test_stop_daemon_gone(void **state)
{
    struct mps_daemon_opts o = {.timeout_ms = 5000};
    struct mps_daemon d;
    struct error err = {0};
    char root[256];
    long pids[16];

    (void)state;
    if (mps_daemon_start(&err, &o, &d) != 0)
        fail_msg("start: %s", err.msg);
    snprintf(root, sizeof(root), "%s", d.root);
    assert_int_equal(fake_pids(pids, 16), 2);
    kill((pid_t)pids[0], SIGKILL);
    kill((pid_t)pids[1], SIGKILL);
    for (long t0 = now_ms(); count_alive_fakes() > 0 && now_ms() - t0 < 2000;)
        nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
    assert_int_equal(mps_daemon_stop(&err, &d, 300), 0);
    assert_int_equal(d.stopped, MPS_STOP_GONE);
    assert_false(exists(root));
}

/*
 * A daemon already at the given pipe directory: refused without reuse (the message says how to
 * go on), used and left running with it, refused with settings, stopped once attached.
 */
static void test_existing_daemon(void **state)
{
    struct mps_daemon_opts o = {.pipe_dir = sb.pipes, .log_dir = sb.logs, .timeout_ms = 5000};
    struct mps_daemon first, d;
    struct error err = {0};
    char want[512], got[2048];
    long pid;

    (void)state;
    if (mps_daemon_start(&err, &o, &first) != 0)
        fail_msg("start: %s", err.msg);
    pid = first.daemon.pid;

    assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
    assert_int_equal(err.code, ERR_INVALID);
    snprintf(want, sizeof(want),
             "an MPS control daemon already answers at '%s': use --reuse to share it, or stop "
             "it with 'echo quit | CUDA_MPS_PIPE_DIRECTORY=%s " CLIENT "'",
             sb.pipes, sb.pipes);
    assert_string_equal(err.msg, want);

    o.reuse = true;
    o.active_thread_centi = 4000;
    assert_int_equal(mps_daemon_start(&err, &o, &d), -1);
    assert_int_equal(err.code, ERR_INVALID);
    o.active_thread_centi = 0;

    if (mps_daemon_start(&err, &o, &d) != 0)
        fail_msg("reuse: %s", err.msg);
    assert_true(d.reused && !d.started);
    assert_int_equal(d.daemon.pid, pid);
    assert_string_equal(d.pipe_dir, sb.pipes);
    unsetenv("CUDA_MPS_LOG_DIRECTORY");
    assert_int_equal(mps_daemon_setenv(&err, &d), 0);
    assert_string_equal(getenv("CUDA_MPS_PIPE_DIRECTORY"), sb.pipes);
    assert_null(getenv("CUDA_MPS_LOG_DIRECTORY")); // the reused daemon's own is unknown
    assert_int_equal(mps_daemon_stop(&err, &d, 5000), 0);
    assert_int_equal(d.stopped, MPS_STOP_NOTHING);
    assert_true(alive(pid));
    commands(got, sizeof(got));
    assert_null(strstr(got, "quit"));

    // Another process's view: attach, then stop.
    assert_int_equal(mps_daemon_attach(&err, sb.pipes, &d), 0);
    assert_int_equal(d.daemon.pid, pid);
    assert_int_equal(mps_daemon_stop(&err, &d, 5000), 0);
    assert_int_equal(d.stopped, MPS_STOP_QUIT);
    assert_false(alive(pid));
    assert_true(exists(sb.pipes));
    assert_int_equal(mps_daemon_attach(&err, sb.pipes, &d), -1);
    assert_int_equal(err.code, ERR_INVALID);

    // The first handle's daemon is gone already.
    assert_int_equal(mps_daemon_stop(&err, &first, 300), 0);
    assert_int_equal(first.stopped, MPS_STOP_GONE);
    assert_true(exists(sb.pipes) && exists(sb.logs));
}

static const struct {
    unsigned pct;
    const char *mem;
    const char *pipe_dir;
    const char *msg;
} bad_opts_cases[] = {
    {101, NULL, NULL, "active thread percentage 101.00: expected 1 to 100"},
    {0, "0=10X", NULL, NULL},
    {0, "0=G", NULL, NULL},
    {0, "=1G", NULL, NULL},
    {0, "0=", NULL, NULL},
    {0, "0", NULL, NULL},
    {0, "", NULL, NULL},
    {0, "0=1G,", NULL, NULL},
    {0, "0=1G,,1=2G", NULL, NULL},
    {0, "0 1=1G", NULL, NULL},
    {0, "0=1G;rm", NULL, NULL},
    {0, "0=0G", NULL, NULL},
    {0, "0=1T", NULL, NULL},
    {0, "0=12345678901G", NULL, NULL},
    {0, NULL, "", "MPS pipe directory '': expected 1 to 200 bytes"},
};

/* Bad options: ERR_INVALID before anything runs or is made. */
static void test_bad_options(void **state)
{
    char path[128];

    (void)state;
    path_in(path, sizeof(path), "commands");
    for (size_t i = 0; i < sizeof(bad_opts_cases) / sizeof(bad_opts_cases[0]); i++) {
        struct mps_daemon_opts o = {.active_thread_centi = bad_opts_cases[i].pct * 100,
                                    .pinned_mem_limit = bad_opts_cases[i].mem,
                                    .pipe_dir = bad_opts_cases[i].pipe_dir,
                                    .timeout_ms = 5000};
        struct mps_daemon d;
        struct error err = {0};
        char want[256];

        if (mps_daemon_start(&err, &o, &d) != -1 || err.code != ERR_INVALID)
            fail_msg("case %zu: code %d (%s)", i, err.code, err.msg);
        // A bad limit gets gpu/mps_spec.c's message, which names the setting.
        snprintf(want, sizeof(want), "%s",
                 bad_opts_cases[i].msg != NULL ? bad_opts_cases[i].msg : "the pinned memory limit");
        if (strstr(err.msg, want) == NULL)
            fail_msg("case %zu: \"%s\", want \"%s\" in it", i, err.msg, want);
        if (exists(path))
            fail_msg("case %zu: the client ran", i);
    }
}

/* Stop and setenv on a zeroed struct. */
static void test_zeroed(void **state)
{
    struct mps_daemon d;
    struct error err = {0};

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(mps_daemon_stop(&err, &d, 300), 0);
    assert_int_equal(d.stopped, MPS_STOP_NOTHING);
    assert_int_equal(mps_daemon_setenv(&err, &d), -1);
    assert_int_equal(err.code, ERR_INVALID);
}

static volatile sig_atomic_t other_signal;

static void on_other(int sig)
{
    other_signal = sig;
}

/*
 * SIGINT and SIGTERM set the flag and do not kill the test; a handler installed over the guard
 * and restored afterwards (bench/harness.c) takes them meanwhile; remove restores the old one.
 */
static void test_guard(void **state)
{
    struct sigaction other = {.sa_handler = on_other}, saved, before, now;
    struct mps_guard g = {0};

    (void)state;
    sigemptyset(&other.sa_mask);
    assert_int_equal(sigaction(SIGINT, NULL, &before), 0);
    mps_guard_install(&g);
    assert_int_equal(mps_guard_pending(), 0);
    raise(SIGINT);
    assert_int_equal(mps_guard_pending(), SIGINT);
    raise(SIGTERM);
    assert_int_equal(mps_guard_pending(), SIGTERM);

    // The harness's own handler for the duration of a run.
    mps_guard_install(&g); // a second install is a no-op, and keeps the flag
    assert_int_equal(mps_guard_pending(), SIGTERM);
    assert_int_equal(sigaction(SIGINT, &other, &saved), 0);
    raise(SIGINT);
    assert_int_equal(other_signal, SIGINT);
    assert_int_equal(sigaction(SIGINT, &saved, NULL), 0);
    raise(SIGINT);
    assert_int_equal(mps_guard_pending(), SIGINT);

    mps_guard_remove(&g);
    mps_guard_remove(&g);
    assert_int_equal(mps_guard_pending(), SIGINT);
    assert_int_equal(sigaction(SIGINT, NULL, &now), 0);
    assert_true(now.sa_handler == before.sa_handler);
    assert_int_equal(sigaction(SIGTERM, NULL, &now), 0);
    assert_true(now.sa_handler == SIG_DFL);

    mps_guard_install(&g); // a fresh install clears the flag
    assert_int_equal(mps_guard_pending(), 0);
    mps_guard_remove(&g);
}

/* SIGINT (as kill(2) from a terminal would send it) during the daemon's life: stop still works. */
static void test_guard_lifetime(void **state)
{
    struct mps_daemon_opts o = {.timeout_ms = 5000};
    struct mps_guard g = {0};
    struct mps_daemon d;
    struct error err = {0};

    (void)state;
    mps_guard_install(&g);
    if (mps_daemon_start(&err, &o, &d) != 0)
        fail_msg("start: %s", err.msg);
    kill(getpid(), SIGINT);
    assert_int_equal(mps_guard_pending(), SIGINT);
    if (mps_daemon_stop(&err, &d, 5000) != 0)
        fail_msg("stop: %s", err.msg);
    assert_int_equal(d.stopped, MPS_STOP_QUIT);
    mps_guard_remove(&g);
    assert_int_equal(count_alive_fakes(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_stop_private, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_private_dir_fallback, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_given_dirs, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_fails, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_not_on_path, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_never_answers, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_no_control, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_interrupted, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_setting_refused, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_stop_escalates, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_stop_daemon_gone, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_existing_daemon, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_bad_options, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_zeroed, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_guard, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_guard_lifetime, fake_mps_setup, fake_mps_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
