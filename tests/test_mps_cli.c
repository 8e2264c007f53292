/*
 * `gpushare mps` as a user meets it: the real (sanitized) binary, driven inside the fake MPS
 * sandbox of tests/fake_mps.h (the fake nvidia-cuda-mps-control first on PATH, $XDG_RUNTIME_DIR
 * the sandbox's), with NVML pointed at a library that does not exist. Every run has a deadline
 * (killed and reaped past it); every test ends with no fake process, child, descriptor or entry
 * in $XDG_RUNTIME_DIR left (the teardown checks). Also the record's parser and option checks
 * (gpu/mps_state.h) as unit tests.
 */
#include "gpu/mps_state.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
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
#include <jansson.h>

#include "core/error.h"
#include "fake_mps.h"
#include "gpu/mps_daemon.h"
#include "proc.h"
#include "testutil.h"

#define DEADLINE_MS 30000
#define MAX_FAKE_PIDS 128

/* Whether the fake got a command containing when (a string): proc_run's ready. */
static bool fake_got(const void *when)
{
    char cmds[8192];

    commands(cmds, sizeof(cmds));
    return when != NULL && strstr(cmds, when) != NULL;
}

/*
 * How every child runs: its output in the sandbox, killed, reaped and the test failed past
 * DEADLINE_MS. When sig != 0, it is sent once the fake has got a command containing when: by
 * then gpushare has its signal guard installed, so the test does not race its start-up.
 */
static struct proc_opts run_opts(int sig, const char *when)
{
    struct proc_opts o = {
        .tmp_dir = sb.root, .timeout_ms = DEADLINE_MS, .sig = sig, .ready = fake_got, .ctx = when};

    return o;
}

/* Runs argv (argv[0] a path) as run_opts says. */
static void spawn_run(struct proc *r, char *const argv[], int sig, const char *when)
{
    struct proc_opts o = run_opts(sig, when);

    proc_run(r, argv, &o);
}

/* gpushare with args (NULL-terminated), as run_opts says. */
static void gpushare_sig(struct proc *r, const char *const *args, int sig, const char *when)
{
    struct proc_opts o = run_opts(sig, when);

    proc_gpushare(r, args, &o);
}

#define GPUSHARE(r, ...) gpushare_sig((r), (const char *const[]){__VA_ARGS__, NULL}, 0, NULL)

static void assert_mode(const char *path, mode_t type, unsigned mode)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        fail_msg("'%s': %s", path, strerror(errno));
    if ((st.st_mode & S_IFMT) != type || (st.st_mode & 07777) != mode)
        fail_msg("'%s': mode %o, want type %o with %o", path, (unsigned)st.st_mode, (unsigned)type,
                 mode);
}

static void registry(char *path, size_t size)
{
    snprintf(path, size, "%s/gpushare-mps", sb.run);
}

/* The value of `export NAME='VALUE'` in a start's stdout ("" when absent). */
static void export_value(const char *out, const char *name, char *value, size_t size)
{
    char key[64];
    const char *p, *end;

    snprintf(key, sizeof(key), "export %s='", name);
    value[0] = '\0';
    p = strstr(out, key);
    if (p == NULL)
        return;
    p += strlen(key);
    end = strchr(p, '\'');
    assert_non_null(end);
    snprintf(value, size, "%.*s", (int)(end - p), p);
}

static size_t all_fake_pids(long *pids)
{
    char path[128];

    path_in(path, sizeof(path), "pids");
    return read_longs(path, pids, MAX_FAKE_PIDS);
}

/* Waits up to 2 s for every fake process to be gone (a zombie counts as gone). */
static size_t fakes_alive(void)
{
    long pids[MAX_FAKE_PIDS];
    size_t n = all_fake_pids(pids), left = 0;

    for (long t0 = now_ms(); now_ms() - t0 < 2000;) {
        left = 0;
        for (size_t i = 0; i < n; i++)
            left += alive(pids[i]);
        if (left == 0)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    return left;
}

/* Nothing of a daemon left: no fake process, nothing in $XDG_RUNTIME_DIR. */
static void assert_nothing_left(const char *when)
{
    char first[256] = "";
    int n = count_entries(sb.run, first, sizeof(first));

    if (fakes_alive() != 0)
        fail_msg("%s: a fake MPS process is still running", when);
    if (n != 0)
        fail_msg("%s: %d entries left in $XDG_RUNTIME_DIR, such as '%s'", when, n, first);
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    if (j == NULL)
        fail_msg("not JSON (%s): %.2000s", jerr.text, text);
    return j;
}

/* Starts a daemon with private directories; its pipe directory into pipe (may be NULL). */
static void start_private(char *pipe, size_t size)
{
    struct proc r;

    GPUSHARE(&r, "mps", "start", "--timeout", "5");
    expect_status(&r, 0, "start");
    if (pipe != NULL)
        export_value(r.out, "CUDA_MPS_PIPE_DIRECTORY", pipe, size);
}

/* A pipe directory where nothing ever listened, as the default for status and exec. */
static void no_default_daemon(void)
{
    setenv("CUDA_MPS_PIPE_DIRECTORY", sb.pipes, 1);
}

/* ---- the lifecycle ---- */

/*
 * start, status, stop: eval-able lines, private 0700 directories and a 0600 record in a 0700
 * registry, the commands the fake got, and nothing left after the stop.
 */
static void test_start_status_stop(void **state)
{
    char pipe[256], log[256], prefix[128], reg[128], cmds[4096], want[1024], eval_out[1024];
    long pids[MAX_FAKE_PIDS];
    json_t *j, *d;
    struct proc r;

    (void)state;
    GPUSHARE(&r, "mps", "start");
    expect_status(&r, 0, "start");
    export_value(r.out, "CUDA_MPS_PIPE_DIRECTORY", pipe, sizeof(pipe));
    export_value(r.out, "CUDA_MPS_LOG_DIRECTORY", log, sizeof(log));
    snprintf(prefix, sizeof(prefix), "%s/gpushare-mps-%u-", sb.run, (unsigned)getuid());
    if (strncmp(pipe, prefix, strlen(prefix)) != 0 || strncmp(log, prefix, strlen(prefix)) != 0)
        fail_msg("pipe '%s', log '%s': want them under '%s'", pipe, log, prefix);
    assert_mode(pipe, S_IFDIR, 0700);
    assert_mode(log, S_IFDIR, 0700);
    registry(reg, sizeof(reg));
    assert_mode(reg, S_IFDIR, 0700);
    assert_int_equal(count_entries(reg, want, sizeof(want)), 1);
    snprintf(cmds, sizeof(cmds), "%s/%s", reg, want);
    assert_mode(cmds, S_IFREG, 0600);
    expect_in(r.err, "compute mode unknown (NVML: ", "stderr");
    expect_in(r.err, "sudo nvidia-smi -i 0 -c EXCLUSIVE_PROCESS", "stderr");
    expect_in(r.err, "gpushare never does", "stderr");
    expect_in(r.err, "stop it with: gpushare mps stop\n", "stderr");

    // The lines evaluate in a POSIX shell.
    {
        char *sh[] = {(char *)"/bin/sh",
                      (char *)"-c",
                      (char *)"eval \"$1\"; printf '%s|%s' \"$CUDA_MPS_PIPE_DIRECTORY\" "
                              "\"$CUDA_MPS_LOG_DIRECTORY\"",
                      (char *)"sh",
                      r.out,
                      NULL};
        struct proc e;

        spawn_run(&e, sh, 0, NULL);
        expect_status(&e, 0, "eval");
        snprintf(eval_out, sizeof(eval_out), "%s|%s", pipe, log);
        assert_string_equal(e.out, eval_out);
    }
    commands(cmds, sizeof(cmds));
    snprintf(want, sizeof(want), "-d pipe=%s log=%s\n", pipe, log);
    assert_int_equal(strncmp(cmds, want, strlen(want)), 0);
    assert_int_equal(all_fake_pids(pids), 2);

    // Two clients on the server, as the fake reports them.
    snprintf(want, sizeof(want), "%s/clients", pipe);
    assert_int_equal(write_file(want, "4101\n4102\n", 0600), 0);
    GPUSHARE(&r, "mps", "status");
    expect_status(&r, 0, "status");
    expect_in(r.out, pipe, "status");
    expect_in(r.out, "started by gpushare", "status");
    snprintf(want, sizeof(want), "server %ld", pids[1]);
    expect_in(r.out, want, "status");
    expect_in(r.out, "2 clients (4101 4102); active thread percentage 100.0", "status");
    expect_in(r.out, "ordinal 0 only: device count unknown (NVML: ", "status");

    GPUSHARE(&r, "mps", "status", "--json");
    expect_status(&r, 0, "status --json");
    j = parse_json(r.out);
    d = json_array_get(json_object_get(j, "daemons"), 0);
    assert_true(json_is_true(json_object_get(d, "answers")));
    assert_true(json_is_true(json_object_get(d, "started_by_gpushare")));
    assert_int_equal(json_integer_value(json_object_get(d, "pid")), pids[0]);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(d, "servers"), 0), "pid")),
                     pids[1]);
    assert_int_equal(
        json_integer_value(json_array_get(
            json_object_get(json_array_get(json_object_get(d, "servers"), 0), "clients"), 1)),
        4102);
    assert_true(json_is_real(json_object_get(d, "default_active_thread_percentage")));
    assert_int_equal(json_integer_value(json_object_get(d, "default_client_priority")), 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(d, "default_device_pinned_mem_limit"), "0")),
                        "none");
    json_decref(j);
    commands(cmds, sizeof(cmds));
    snprintf(want, sizeof(want), "get_client_list %ld\nget_active_thread_percentage %ld\n", pids[1],
             pids[1]);
    expect_in(cmds, want, "commands");
    expect_in(cmds, "get_default_client_priority\n", "commands");
    expect_in(cmds, "get_default_device_pinned_mem_limit 0\n", "commands");

    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop");
    expect_in(r.err, "stopped by 'quit'", "stop");
    commands(cmds, sizeof(cmds));
    assert_string_equal(cmds + strlen(cmds) - 5, "quit\n");
    assert_false(exists(pipe));
    assert_false(exists(reg));
    assert_nothing_left("after stop");

    // Now nothing answers, and there is nothing to stop.
    no_default_daemon();
    GPUSHARE(&r, "mps", "status");
    expect_status(&r, 3, "status with no daemon");
    expect_in(r.out, "no control pipe", "status");
    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop with nothing recorded");
    expect_in(r.err, "nothing to stop", "stop");
}

/* Settings are applied and read back; --json's object; status shows them; stop --json. */
static void test_start_settings_json(void **state)
{
    json_t *j, *set, *lim, *cm, *d;
    char cmds[4096], root[256];
    long pids[MAX_FAKE_PIDS];
    struct proc r;

    (void)state;
    GPUSHARE(&r, "mps", "start", "--json", "--thread-pct", "50", "--mem-limit",
             "0=10G,1=512M,GPU-4a1b0000-1111-2222-3333-444455556666=1536M");
    expect_status(&r, 0, "start --json");
    j = parse_json(r.out);
    set = json_object_get(j, "settings");
    assert_true(json_number_value(json_object_get(set, "default_active_thread_percentage")) ==
                50.0);
    lim = json_object_get(set, "default_device_pinned_mem_limit");
    assert_string_equal(json_string_value(json_object_get(lim, "0")), "10G");
    assert_string_equal(json_string_value(json_object_get(lim, "1")), "512M");
    assert_string_equal(
        json_string_value(json_object_get(lim, "GPU-4a1b0000-1111-2222-3333-444455556666")), "1G");
    cm = json_object_get(j, "compute_mode");
    assert_true(json_is_null(json_object_get(cm, "mode")));
    assert_string_equal(json_string_value(json_object_get(cm, "recommended_command")),
                        "sudo nvidia-smi -i 0 -c EXCLUSIVE_PROCESS");
    assert_non_null(strstr(json_string_value(json_object_get(cm, "detail")), "NVML: "));
    assert_int_equal(all_fake_pids(pids), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "daemon"), "pid")),
                     pids[0]);
    assert_true(json_is_true(json_object_get(j, "started")));
    assert_true(exists(json_string_value(json_object_get(j, "state_file"))));
    snprintf(root, sizeof(root), "%s", json_string_value(json_object_get(j, "pipe_dir")));
    *strrchr(root, '/') = '\0';
    json_decref(j);
    expect_in(r.err, "default active thread percentage 50.0 (read back)", "stderr");
    commands(cmds, sizeof(cmds));
    expect_in(cmds, "set_default_active_thread_percentage 50\n", "commands");
    expect_in(cmds, "set_default_device_pinned_mem_limit 1 512M\n", "commands");

    GPUSHARE(&r, "mps", "status", "--json");
    expect_status(&r, 0, "status --json");
    j = parse_json(r.out);
    d = json_array_get(json_object_get(j, "daemons"), 0);
    assert_true(json_number_value(json_object_get(d, "default_active_thread_percentage")) == 50.0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(d, "default_device_pinned_mem_limit"), "0")),
                        "10G");
    json_decref(j);

    GPUSHARE(&r, "mps", "stop", "--json");
    expect_status(&r, 0, "stop --json");
    j = parse_json(r.out);
    d = json_array_get(json_object_get(j, "stopped"), 0);
    assert_string_equal(json_string_value(json_object_get(d, "how")), "quit");
    assert_true(json_is_true(json_object_get(d, "ok")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "removed"), 0)), root);
    json_decref(j);
    assert_nothing_left("after stop");
}

/* The daemon fails to start, or starts and never answers, or ignores a setting: exit 1, and
 * nothing left, not even a given pipe directory start made. */
static void test_start_fails(void **state)
{
    static const struct {
        const char *mode, *timeout, *pct, *msg;
    } cases[] = {
        {"fail_start", "5", NULL, "An instance of this daemon is already running"},
        {"hang_start", "0.5", NULL, "did not return within 500 ms"},
        {"mute", "0.5", NULL, "did not answer within 500 ms"},
        {"bad_set", "5", "30", "reports default active thread percentage '100.0' after setting 30"},
    };
    char given[128];

    (void)state;
    snprintf(given, sizeof(given), "%s/new", sb.pipes);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc r;

        set_mode(cases[i].mode);
        if (cases[i].pct != NULL)
            GPUSHARE(&r, "mps", "start", "--timeout", cases[i].timeout, "--thread-pct",
                     cases[i].pct);
        else
            GPUSHARE(&r, "mps", "start", "--timeout", cases[i].timeout);
        expect_status(&r, 1, cases[i].mode);
        expect_in(r.err, cases[i].msg, cases[i].mode);
        assert_string_equal(r.out, "");
        if (r.ms > 5000)
            fail_msg("%s: took %ld ms", cases[i].mode, r.ms);
        assert_nothing_left(cases[i].mode);

        if (cases[i].pct != NULL)
            GPUSHARE(&r, "mps", "start", "--timeout", cases[i].timeout, "--pipe-dir", given,
                     "--thread-pct", cases[i].pct);
        else
            GPUSHARE(&r, "mps", "start", "--timeout", cases[i].timeout, "--pipe-dir", given);
        expect_status(&r, 1, cases[i].mode);
        if (exists(given))
            fail_msg("%s: '%s', made by start, is left", cases[i].mode, given);
        GPUSHARE(&r, "mps", "stop", "--pipe-dir", given, "--timeout", "1");
        assert_nothing_left(cases[i].mode);
    }
    set_mode("");
    setenv("PATH", sb.empty, 1);
    {
        struct proc r;

        GPUSHARE(&r, "mps", "start");
        expect_status(&r, 1, "no client on PATH");
        expect_in(r.err, "'nvidia-cuda-mps-control' is not on PATH", "stderr");
    }
    assert_nothing_left("no client");
}

/* A daemon that ignores quit (and SIGTERM): stop escalates, says so, exits 1, leaves nothing. */
static void test_stop_escalates(void **state)
{
    static const struct {
        const char *mode, *msg;
    } cases[] = {
        {"deaf", "ignored 'quit'; ended by SIGTERM"},
        {"deaf ignore_term", "ignored 'quit' and SIGTERM; ended by SIGKILL"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc r;

        set_mode(cases[i].mode);
        start_private(NULL, 0);
        GPUSHARE(&r, "mps", "stop", "--timeout", "0.5");
        expect_status(&r, 1, cases[i].mode);
        expect_in(r.err, cases[i].msg, cases[i].mode);
        expect_in(r.err, "still running 500 ms after 'quit'", cases[i].mode);
        assert_nothing_left(cases[i].mode);
    }
}

/* A signal during the stop: the stop still finishes, then exit 130. */
static void test_stop_interrupted(void **state)
{
    struct proc r;

    (void)state;
    set_mode("deaf");
    start_private(NULL, 0);
    gpushare_sig(&r, (const char *const[]){"mps", "stop", "--timeout", "1", NULL}, SIGINT,
                 "quit\n");
    expect_status(&r, 130, "stop, interrupted");
    expect_in(r.err, "ended by SIGTERM", "stderr");
    expect_in(r.err, "signal 2 came during the stop", "stderr");
    assert_nothing_left("interrupted stop");
}

/*
 * Someone else's daemon at --pipe-dir: refused and untouched; used with --reuse and left
 * running by stop; stopped by a stop --pipe-dir with no record, its directories kept.
 */
static void test_existing_daemon(void **state)
{
    struct mps_daemon_opts o = {.pipe_dir = sb.pipes, .log_dir = sb.logs, .timeout_ms = 5000};
    struct mps_daemon foreign;
    struct error err = {0};
    char cmds[4096], value[256];
    struct proc r;
    long pid;

    (void)state;
    if (mps_daemon_start(&err, &o, &foreign) != 0)
        fail_msg("foreign daemon: %s", err.msg);
    pid = foreign.daemon.pid;

    GPUSHARE(&r, "mps", "start", "--pipe-dir", sb.pipes);
    expect_status(&r, 1, "start at a busy pipe dir");
    expect_in(r.err, "already answers", "stderr");
    expect_in(r.err, "--reuse", "stderr");
    assert_true(alive(pid));
    assert_int_equal(count_entries(sb.run, NULL, 0), 0);

    GPUSHARE(&r, "mps", "start", "--pipe-dir", sb.pipes, "--reuse", "--thread-pct", "40");
    expect_status(&r, 1, "reuse with settings");
    expect_in(r.err, "cannot be changed", "stderr");

    GPUSHARE(&r, "mps", "start", "--pipe-dir", sb.pipes, "--reuse");
    expect_status(&r, 0, "start --reuse");
    export_value(r.out, "CUDA_MPS_PIPE_DIRECTORY", value, sizeof(value));
    assert_string_equal(value, sb.pipes);
    expect_not_in(r.out, "CUDA_MPS_LOG_DIRECTORY", "stdout"); // unknown for someone else's
    expect_in(r.err, "stop leaves it running", "stderr");

    GPUSHARE(&r, "mps", "status");
    expect_status(&r, 0, "status");
    expect_in(r.out, "reused (start --reuse)", "status");

    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop of a reused daemon");
    expect_in(r.err, "left running", "stderr");
    assert_true(alive(pid));
    commands(cmds, sizeof(cmds));
    expect_not_in(cmds, "quit", "commands");
    assert_int_equal(count_entries(sb.run, NULL, 0), 0);

    GPUSHARE(&r, "mps", "stop", "--pipe-dir", sb.pipes);
    expect_status(&r, 0, "stop --pipe-dir, no record");
    expect_in(r.err, "stopped by 'quit'", "stderr");
    assert_false(alive(pid));
    assert_true(exists(sb.pipes) && exists(sb.logs));
    assert_int_equal(mps_daemon_stop(&err, &foreign, 300), 0);
    assert_int_equal(foreign.stopped, MPS_STOP_GONE);

    GPUSHARE(&r, "mps", "stop", "--pipe-dir", sb.pipes);
    expect_status(&r, 0, "stop --pipe-dir, nothing there");
    expect_in(r.err, "nothing to stop: no MPS control daemon answers", "stderr");
}

/*
 * Given directories: a pipe directory start made goes with the stop, a given log directory
 * stays; a second start at our own daemon's directory is refused, and reused with --reuse.
 */
static void test_given_dirs(void **state)
{
    char pipe[128], value[256];
    struct proc r;

    (void)state;
    snprintf(pipe, sizeof(pipe), "%s/p1", sb.pipes);
    GPUSHARE(&r, "mps", "start", "--pipe-dir", pipe, "--log-dir", sb.logs);
    expect_status(&r, 0, "start with given dirs");
    export_value(r.out, "CUDA_MPS_LOG_DIRECTORY", value, sizeof(value));
    assert_string_equal(value, sb.logs);
    assert_mode(pipe, S_IFDIR, 0700);

    GPUSHARE(&r, "mps", "start", "--pipe-dir", pipe);
    expect_status(&r, 1, "second start");
    expect_in(r.err, "gpushare already started the MPS control daemon", "stderr");

    // Another spelling of the same directory finds the same record.
    snprintf(value, sizeof(value), "%s//p1/", sb.pipes);
    GPUSHARE(&r, "mps", "start", "--pipe-dir", value, "--reuse");
    expect_status(&r, 0, "start --reuse of our own");
    expect_in(r.out, sb.logs, "stdout");
    expect_in(r.err, "reusing the MPS control daemon", "stderr");

    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop");
    assert_false(exists(pipe));
    assert_true(exists(sb.logs));
    assert_nothing_left("given dirs");
}

/* Two daemons recorded: stop and exec ask which; status shows both; --all stops both. */
static void test_two_recorded(void **state)
{
    char a[256], b[256], log[300];
    struct proc r;

    (void)state;
    start_private(a, sizeof(a));
    start_private(b, sizeof(b));
    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 2, "stop with two recorded");
    expect_in(r.err, "2 MPS control daemons are recorded", "stderr");
    expect_in(r.err, a, "stderr");
    expect_in(r.err, b, "stderr");
    GPUSHARE(&r, "mps", "exec", "--", "true");
    expect_status(&r, 2, "exec with two recorded");
    expect_in(r.err, "--pipe-dir", "stderr");
    // The environment `eval "$(gpushare mps start)"` left says which.
    setenv("CUDA_MPS_PIPE_DIRECTORY", b, 1);
    GPUSHARE(&r, "mps", "exec", "--", "sh", "-c", "echo \"$CUDA_MPS_LOG_DIRECTORY\"");
    expect_status(&r, 0, "exec with two recorded, one named by the environment");
    snprintf(log, sizeof(log), "%.*s/log\n", (int)(strrchr(b, '/') - b), b);
    assert_string_equal(r.out, log);
    unsetenv("CUDA_MPS_PIPE_DIRECTORY");

    GPUSHARE(&r, "mps", "status");
    expect_status(&r, 0, "status of two");
    expect_in(r.out, a, "status");
    expect_in(r.out, b, "status");

    GPUSHARE(&r, "mps", "stop", "--pipe-dir", a);
    expect_status(&r, 0, "stop --pipe-dir");
    assert_false(exists(a));
    assert_true(exists(b));

    start_private(a, sizeof(a));
    GPUSHARE(&r, "mps", "stop", "--all");
    expect_status(&r, 0, "stop --all");
    assert_false(exists(a));
    assert_false(exists(b));
    assert_nothing_left("stop --all");
}

/* The daemon killed behind gpushare's back: the record is stale; stop and status clean up. */
static void kill_fakes(void)
{
    long pids[MAX_FAKE_PIDS];
    size_t n = all_fake_pids(pids);

    for (size_t i = 0; i < n; i++)
        kill((pid_t)pids[i], SIGKILL);
    assert_int_equal(fakes_alive(), 0);
}

static void test_stale_record(void **state)
{
    char pipe[256];
    struct proc r;

    (void)state;
    start_private(pipe, sizeof(pipe));
    kill_fakes();
    GPUSHARE(&r, "mps", "exec", "--", "true");
    expect_status(&r, 1, "exec at a stale record");
    expect_in(r.err, "the daemon gpushare recorded there is gone", "stderr");
    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop of a stale record");
    expect_in(r.err, "gone already (stale record)", "stderr");
    assert_nothing_left("stale, stop");

    start_private(pipe, sizeof(pipe));
    kill_fakes();
    GPUSHARE(&r, "mps", "status");
    expect_status(&r, 3, "status of a stale record");
    expect_in(r.out, "its record was stale and is removed", "status");
    assert_nothing_left("stale, status");
}

/* The pid in pipe's nvidia-cuda-mps-control.pid; 0 when there is none. */
static long pid_file_of(const char *pipe)
{
    char path[300];
    long pid = 0;

    snprintf(path, sizeof(path), "%s/nvidia-cuda-mps-control.pid", pipe);
    return read_longs(path, &pid, 1) == 1 ? pid : 0;
}

/* Starts a daemon at pipe as a person would, without gpushare (`nvidia-cuda-mps-control -d`
 * with CUDA_MPS_PIPE_DIRECTORY set), and waits until its pid file names it, not old_pid. */
static long start_by_hand(const char *pipe, long old_pid)
{
    char client[160], env_kv[200];
    char *argv[] = {client, (char *)"-d", NULL}, *extra[] = {env_kv, NULL};
    const struct proc_opts o = {.env = extra, .tmp_dir = sb.root, .timeout_ms = DEADLINE_MS};
    struct proc r;
    long pid = 0;

    snprintf(client, sizeof(client), "%s/" CLIENT, sb.bin);
    snprintf(env_kv, sizeof(env_kv), "CUDA_MPS_PIPE_DIRECTORY=%s", pipe);
    proc_run(&r, argv, &o);
    expect_status(&r, 0, "nvidia-cuda-mps-control -d, by hand");
    for (long t0 = now_ms(); now_ms() - t0 < 5000; pid = 0) {
        pid = pid_file_of(pipe);
        if (pid > 0 && pid != old_pid && alive(pid))
            break;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    if (pid == 0)
        fail_msg("the daemon started by hand at '%s' wrote no pid file", pipe);
    return pid;
}

/* The daemon at pipe answers, and its files are where it put them. */
static void assert_answers(const char *pipe, long pid, const char *when)
{
    char path[300];
    struct proc r;

    if (!alive(pid))
        fail_msg("%s: the daemon %ld started by hand is gone", when, pid);
    snprintf(path, sizeof(path), "%s/control", pipe);
    if (!exists(path) || pid_file_of(pipe) != pid)
        fail_msg("%s: the files of the daemon %ld in '%s' are gone", when, pid, pipe);
    GPUSHARE(&r, "mps", "status", "--pipe-dir", pipe);
    expect_status(&r, 0, when);
    expect_in(r.out, "yes (server list: ", when);
}

/*
 * A pipe directory `start --pipe-dir` made, its daemon killed behind gpushare's back, then a new
 * daemon started there by hand (or by a unit): status, and stop, drop the stale record but leave
 * the new daemon's sockets and pid file, and the directories, where they are.
 */
static void test_stale_record_new_daemon(void **state)
{
    static const char *const cleaners[] = {"status", "stop"};
    char pipe[128], log[256], reg[128], want[512];
    struct proc r;

    (void)state;
    snprintf(pipe, sizeof(pipe), "%s/made", sb.pipes);
    registry(reg, sizeof(reg));
    for (size_t i = 0; i < 2; i++) {
        long old_pid, pid;

        GPUSHARE(&r, "mps", "start", "--pipe-dir", pipe, "--timeout", "5");
        expect_status(&r, 0, "start --pipe-dir, a directory it makes");
        export_value(r.out, "CUDA_MPS_LOG_DIRECTORY", log, sizeof(log));
        old_pid = pid_file_of(pipe);
        kill_fakes();
        pid = start_by_hand(pipe, old_pid);

        GPUSHARE(&r, "mps", cleaners[i]);
        expect_status(&r, 0, cleaners[i]);
        snprintf(want, sizeof(want),
                 "keeping '%s' and the directories start made for the MPS control daemon %ld, "
                 "which is gone: an MPS control daemon answers there (pid %ld), started since",
                 pipe, old_pid, pid);
        expect_in(r.err, want, cleaners[i]);
        assert_answers(pipe, pid, cleaners[i]);
        assert_true(exists(log));  /* the log directory the new daemon may be writing */
        assert_false(exists(reg)); /* the stale record, the last one, is gone */

        // Named, the new daemon is stopped like any other; its directories stay.
        GPUSHARE(&r, "mps", "stop", "--pipe-dir", pipe);
        expect_status(&r, 0, "stop --pipe-dir of the daemon started by hand");
        expect_in(r.err, "stopped by 'quit'", "stop --pipe-dir");
        assert_false(alive(pid));
        assert_true(exists(pipe));
        *strrchr(log, '/') = '\0'; /* the private root that holds the log directory */
        assert_int_equal(remove_tree(log), 0);
        assert_int_equal(remove_tree(pipe), 0);
        assert_nothing_left(cleaners[i]);
    }
}

/* A record whose daemon's start time is unknown is not written: no later stop could tell a
 * process reusing the pid from it. */
static void test_no_record_without_start_time(void **state)
{
    struct mps_state s;
    struct error err = {0};

    (void)state;
    memset(&s, 0, sizeof(s));
    snprintf(s.pipe_dir, sizeof(s.pipe_dir), "%s/p", sb.pipes);
    snprintf(s.log_dir, sizeof(s.log_dir), "%s", sb.logs);
    s.made_pipe_dir = true;
    s.daemon.pid = 4242;
    s.uid = (unsigned)getuid();
    assert_int_equal(mps_state_save(&err, &s), -1);
    assert_int_equal(err.code, ERR_INVALID);
    expect_in(err.msg, "no start time", "mps_state_save");
    assert_int_equal(count_entries(sb.run, NULL, 0), 0);
    s.daemon.start = 99;
    if (mps_state_save(&err, &s) != 0)
        fail_msg("mps_state_save: %s", err.msg);
    assert_int_equal(mps_state_delete(&err, &s), 0);
    assert_int_equal(count_entries(sb.run, NULL, 0), 0);
}

/* The sandbox's leak check sees every fake process however many a test starts, and fails loudly
 * rather than look at part of them. */
static void test_fake_pid_cap(void **state)
{
    char *sleeper[] = {(char *)"/bin/sleep", (char *)"30", NULL};
    char path[128], line[32];
    size_t alive_now, past_cap;
    FILE *f;
    pid_t pid;
    int status;

    (void)state;
    path_in(path, sizeof(path), "pids");
    assert_int_equal(posix_spawn(&pid, sleeper[0], NULL, NULL, sleeper, environ), 0);
    // 40 processes gone (pids past any pid_max), then one running: as after 20 daemons.
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "%d\n", 99999000 + i);
    fprintf(f, "%ld\n", (long)pid);
    fclose(f);
    alive_now = count_alive_fakes();
    // Past the cap: no count at all, rather than a partial one.
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i <= FAKE_MAX_PIDS; i++)
        fprintf(f, "%d\n", 99999000 + i);
    fclose(f);
    past_cap = count_alive_fakes();
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    snprintf(line, sizeof(line), "%d\n", 99999000);
    assert_int_equal(write_file(path, line, 0644), 0); /* what teardown can read */
    assert_int_equal(alive_now, 1);
    assert_true(past_cap == SIZE_MAX);
}

/* exec: the variables from the options, CMD's status, 126/127, and the daemon check. */
static void test_exec(void **state)
{
    static const char echo[] =
        "echo \"$CUDA_MPS_PIPE_DIRECTORY $CUDA_MPS_ACTIVE_THREAD_PERCENTAGE "
        "$CUDA_MPS_PINNED_DEVICE_MEM_LIMIT $CUDA_MPS_CLIENT_PRIORITY $CUDA_MPS_LOG_DIRECTORY\"";
    char pipe[256], log[256], want[768], notexec[128];
    struct proc r;

    (void)state;
    GPUSHARE(&r, "mps", "start", "--thread-pct", "40");
    expect_status(&r, 0, "start");
    export_value(r.out, "CUDA_MPS_PIPE_DIRECTORY", pipe, sizeof(pipe));
    export_value(r.out, "CUDA_MPS_LOG_DIRECTORY", log, sizeof(log));

    GPUSHARE(&r, "mps", "exec", "--thread-pct", "12.5", "--mem-limit",
             "0=10G,GPU-0123abcd-0000-1111-2222-333344445555=512M", "--priority", "1", "--", "sh",
             "-c", echo);
    expect_status(&r, 0, "exec");
    snprintf(want, sizeof(want),
             "%s 12.5 0=10G,GPU-0123abcd-0000-1111-2222-333344445555=512M 1 %s\n", pipe, log);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");

    // Above the daemon's default: a warning, and it still runs.
    GPUSHARE(&r, "mps", "exec", "--pipe-dir", pipe, "--thread-pct", "50", "sh", "-c", echo);
    expect_status(&r, 0, "exec above the default");
    expect_in(r.err, "above the daemon's default 40.0", "stderr");

    GPUSHARE(&r, "mps", "exec", "--", "sh", "-c", "exit 7");
    expect_status(&r, 7, "exec, status 7");
    GPUSHARE(&r, "mps", "exec", "--", "/nonexistent/cmd");
    expect_status(&r, 127, "exec of a missing command");
    expect_in(r.err, "cannot run '/nonexistent/cmd'", "stderr");
    GPUSHARE(&r, "mps", "exec", "--", "no-such-command-on-path");
    expect_status(&r, 127, "exec of a command not on PATH");
    snprintf(notexec, sizeof(notexec), "%s/notexec", sb.root);
    assert_int_equal(write_file(notexec, "#!/bin/sh\n", 0644), 0);
    GPUSHARE(&r, "mps", "exec", "--", notexec);
    expect_status(&r, 126, "exec of a file that is not executable");

    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop");
    assert_nothing_left("exec");

    no_default_daemon();
    GPUSHARE(&r, "mps", "exec", "--", "true");
    expect_status(&r, 1, "exec with no daemon");
    expect_in(r.err, "no MPS control daemon answers at", "stderr");
    GPUSHARE(&r, "mps", "exec", "--no-check", "--", "sh", "-c",
             "echo \"$CUDA_MPS_PIPE_DIRECTORY\"");
    expect_status(&r, 0, "exec --no-check");
    snprintf(want, sizeof(want), "%s\n", sb.pipes);
    assert_string_equal(r.out, want);
}

/* A signal while start waits for the daemon: the daemon is stopped, nothing left, exit 130. */
static void test_start_interrupted(void **state)
{
    static const struct {
        const char *mode, *timeout;
        int sig;
        long max_ms;
    } cases[] = {
        {"no_control", "10", SIGINT, 3000}, /* start's own wait sees the signal */
        {"no_control", "10", SIGTERM, 3000},
        {"mute", "1", SIGINT, 6000},       /* a client mid-call: at its deadline */
        {"hang_start", "1", SIGINT, 6000}, /* `-d` never returns: at its deadline */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[128];
        struct proc r;

        set_mode(cases[i].mode);
        path_in(path, sizeof(path), "commands");
        unlink(path); /* the signal goes once this start's `-d` reached the fake */
        gpushare_sig(&r, (const char *const[]){"mps", "start", "--timeout", cases[i].timeout, NULL},
                     cases[i].sig, "-d ");
        expect_status(&r, 130, cases[i].mode);
        expect_in(r.err, "interrupted by signal", cases[i].mode);
        assert_string_equal(r.out, "");
        if (r.ms > cases[i].max_ms)
            fail_msg("%s: took %ld ms", cases[i].mode, r.ms);
        assert_nothing_left(cases[i].mode);
    }
}

/* The acceptance run, with the fake: 20 start/stop cycles leave no process and no directory. */
static void test_cycles(void **state)
{
    long pids[MAX_FAKE_PIDS];

    (void)state;
    for (int i = 0; i < 20; i++) {
        struct proc r;

        start_private(NULL, 0);
        GPUSHARE(&r, "mps", "stop");
        expect_status(&r, 0, "stop");
        if (count_entries(sb.run, NULL, 0) != 0)
            fail_msg("cycle %d: something left in $XDG_RUNTIME_DIR", i);
    }
    assert_int_equal(all_fake_pids(pids), 40);
    assert_nothing_left("20 cycles");
}

/* A registry that is not ours alone is refused before anything starts; a bad record is named
 * and skipped. */
static void test_registry_checks(void **state)
{
    char reg[128], path[256], target[128];
    struct proc r;

    (void)state;
    registry(reg, sizeof(reg));
    assert_int_equal(mkdir(reg, 0700), 0);
    assert_int_equal(chmod(reg, 0755), 0);
    GPUSHARE(&r, "mps", "start");
    expect_status(&r, 1, "start, registry 0755");
    expect_in(r.err, "mode 755 lets others in", "stderr");
    path_in(path, sizeof(path), "commands");
    assert_false(exists(path));
    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 1, "stop, registry 0755");
    assert_int_equal(rmdir(reg), 0);

    snprintf(target, sizeof(target), "%s/elsewhere", sb.root);
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, reg), 0);
    GPUSHARE(&r, "mps", "start");
    expect_status(&r, 1, "start, registry a link");
    expect_in(r.err, "not a directory (a link?)", "stderr");
    assert_int_equal(unlink(reg), 0);

    assert_int_equal(mkdir(reg, 0700), 0);
    snprintf(path, sizeof(path), "%s/mps-0123456789abcdef.json", reg);
    assert_int_equal(write_file(path, "{\"schema\": 1}", 0600), 0);
    no_default_daemon();
    GPUSHARE(&r, "mps", "status");
    expect_status(&r, 3, "status with a bad record");
    expect_in(r.err, "warning: ignoring", "stderr");
    expect_in(r.err, "mps-0123456789abcdef.json", "stderr");
    GPUSHARE(&r, "mps", "stop");
    expect_status(&r, 0, "stop with only a bad record");
    assert_true(exists(path)); // not ours to remove: it is not a valid record
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(reg), 0);
}

/* Usage errors exit 2 with a reason; help exits 0 on stdout. Nothing is started. */
static void test_usage(void **state)
{
    static const struct {
        const char *args[8];
        int status;
        const char *out, *err;
    } cases[] = {
        {{"mps"}, 2, NULL, "which subcommand? expected start, stop, status or exec"},
        {{"mps", "frob"}, 2, NULL, "unknown subcommand 'frob'"},
        {{"mps", "start", "--thread-pct", "0"}, 2, NULL, "'0' for --thread-pct"},
        {{"mps", "start", "--thread-pct", "101"}, 2, NULL, "from 1 to 100"},
        {{"mps", "start", "--thread-pct", "12.345"}, 2, NULL, "at most two decimals"},
        {{"mps", "start", "--mem-limit", "0=10X"}, 2, NULL, "invalid entry '0=10X' in --mem-limit"},
        {{"mps", "start", "--mem-limit", "0=10g"}, 2, NULL, "M or G (upper case)"},
        {{"mps", "exec", "--mem-limit", "0=10g", "true"}, 2, NULL, "M or G (upper case)"},
        {{"mps", "start", "--mem-limit", "gpu0=1G"}, 2, NULL, "DEV must be a CUDA ordinal"},
        {{"mps", "start", "--mem-limit", "64=1G"}, 2, NULL, "invalid entry '64=1G'"},
        {{"mps", "start", "--mem-limit", "0=1G,0=2G"}, 2, NULL, "appears twice"},
        {{"mps", "start", "--pipe-dir", "relative/dir"}, 2, NULL, "expected an absolute path"},
        {{"mps", "start", "--pipe-dir", "/tmp/../etc"}, 2, NULL, "no '.' or '..' component"},
        {{"mps", "start", "--pipe-dir",
          "/nonexistent/a-pipe-directory-name-that-is-far-too-long-for-the-unix-sockets-mps-puts/"
          "in/it"},
         2,
         NULL,
         "at most 88 bytes (MPS puts Unix sockets in it"},
        {{"mps", "start", "--pipe-dir", "/"}, 2, NULL, "expected a directory below /"},
        {{"mps", "start", "--log-dir", "log"}, 2, NULL, "invalid --log-dir 'log'"},
        {{"mps", "start", "--timeout", "0"}, 2, NULL, "'0' for --timeout"},
        {{"mps", "start", "--device", "64"}, 2, NULL, "from 0 to 63"},
        {{"mps", "start", "extra"}, 2, NULL, "unexpected argument 'extra'"},
        {{"mps", "start", "--bogus"}, 2, NULL, "unknown option '--bogus'"},
        {{"mps", "start", "--pipe-dir"}, 2, NULL, "needs a value"},
        {{"mps", "stop", "--all", "--pipe-dir", "/tmp/x"}, 2, NULL, "exclude each other"},
        {{"mps", "stop", "--timeout", "x"}, 2, NULL, "'x' for --timeout"},
        {{"mps", "status", "extra"}, 2, NULL, "unexpected argument 'extra'"},
        {{"mps", "exec"}, 2, NULL, "which command? expected [--] CMD"},
        {{"mps", "exec", "--"}, 2, NULL, "which command?"},
        {{"mps", "exec", "--priority", "2", "--", "true"}, 2, NULL, "'2' for --priority"},
        {{"mps", "exec", "--thread-pct", "0.5", "true"}, 2, NULL, "'0.5' for --thread-pct"},
        {{"mps", "exec", "--thread-pct", "1e1x", "true"}, 2, NULL, "for --thread-pct"},
        {{"mps", "exec", "--mem-limit", "0=1T", "true"},
         2,
         NULL,
         "invalid entry '0=1T' in --mem-limit"},
        {{"mps", "--help"}, 0, "start    start a daemon", NULL},
        {{"mps", "-h"}, 0, "usage: gpushare mps start", NULL},
        {{"help", "mps"}, 0, "exec     run CMD as a client", NULL},
        {{"mps", "start", "--help"}, 0, "--reuse", NULL},
        {{"mps", "stop", "--help"}, 0, "--all", NULL},
        {{"mps", "status", "--help"}, 0, "3 none answers", NULL},
        {{"mps", "exec", "--help"}, 0, "CUDA_MPS_CLIENT_PRIORITY", NULL},
        {{"mps", "exec", "--", "--help"}, 1, NULL, "no MPS control daemon answers"},
    };
    char path[128];

    (void)state;
    no_default_daemon();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[10] = {NULL};
        char what[160];
        struct proc r;
        size_t n = 0;

        for (; n < 8 && cases[i].args[n] != NULL; n++)
            args[n] = cases[i].args[n];
        args[n] = NULL;
        gpushare_sig(&r, args, 0, NULL);
        snprintf(what, sizeof(what), "case %zu (%s %s)", i, args[1] != NULL ? args[1] : "",
                 n > 2 ? args[2] : "");
        expect_status(&r, cases[i].status, what);
        if (cases[i].out != NULL)
            expect_in(r.out, cases[i].out, what);
        if (cases[i].err != NULL)
            expect_in(r.err, cases[i].err, what);
        if (cases[i].status == 2)
            expect_in(r.err, "usage: gpushare mps", what);
    }
    path_in(path, sizeof(path), "commands");
    commands(path, sizeof(path));
    expect_not_in(path, "-d", "commands");
    assert_nothing_left("usage");
}

/* ---- the record and the option checks, as units ---- */

static const char good_state[] =
    "{\"schema\": \"gpushare.mps-state/1\", \"pipe_dir\": \"/run/u/gpushare-mps-0-12-AbC123/pipe\","
    " \"log_dir\": \"/run/u/gpushare-mps-0-12-AbC123/log\", \"root\": "
    "\"/run/u/gpushare-mps-0-12-AbC123\", \"own_pipe_dir\": true, \"own_log_dir\": true, "
    "\"made_pipe_dir\": false, \"made_log_dir\": false, \"reused\": false, \"daemon\": {\"pid\": "
    "4242, \"start\": 99}, \"uid\": 0, \"thread_pct\": 50, \"mem_limit\": \"0=10G\", "
    "\"started_at\": \"2025-01-01T00:00:00Z\", \"future\": [1]}";

/* Someone else's daemon (start --reuse): its start time may be unknown, as its pid may be. */
static const char reused_state[] =
    "{\"schema\": \"gpushare.mps-state/1\", \"pipe_dir\": \"/tmp/nvidia-mps\", \"log_dir\": \"\", "
    "\"root\": \"\", \"own_pipe_dir\": false, \"own_log_dir\": false, \"made_pipe_dir\": false, "
    "\"made_log_dir\": false, \"reused\": true, \"daemon\": {\"pid\": 4242, \"start\": 0}, "
    "\"uid\": 0, \"thread_pct\": 0, \"mem_limit\": \"\", \"started_at\": \"\"}";

/* good_state with one substring replaced. */
static void mutate(char *dst, size_t size, const char *from, const char *to)
{
    const char *p = strstr(good_state, from);

    assert_non_null(p);
    snprintf(dst, size, "%.*s%s%s", (int)(p - good_state), good_state, to, p + strlen(from));
}

static void test_state_parse(void **state)
{
    static const struct {
        const char *from, *to, *msg;
    } bad[] = {
        {"gpushare.mps-state/1", "gpushare.mps-state/2", "schema 'gpushare.mps-state/2'"},
        {"\"pipe_dir\": \"/run", "\"pipe_dir\": \"run", "'pipe_dir' is not a normalized"},
        {"12-AbC123/pipe", "12-AbC123//pipe", "'pipe_dir' is not a normalized"},
        {"\"root\": \"/run/u/gpushare-mps-0-12-AbC123\"", "\"root\": \"/run/u/other\"",
         "'root' is not named gpushare-mps-0-PID-XXXXXX"},
        {"\"uid\": 0", "\"uid\": 7", "'root' is not named gpushare-mps-7-PID-XXXXXX"},
        {"\"root\": \"/run/u/gpushare-mps-0-12-AbC123\"", "\"root\": \"\"",
         "owned directories but no 'root'"},
        {"\"reused\": false", "\"reused\": true", "a reused daemon with directories"},
        {"\"pid\": 4242", "\"pid\": 1", "'daemon' pid 1"},
        /* Without its start time, a process that reuses the pid would pass for the daemon. */
        {"\"start\": 99", "\"start\": 0", "a daemon of ours with no start time"},
        {"\"pid\": 4242", "\"pid\": \"4242\"", "'pid' is missing or not an integer"},
        {"\"thread_pct\": 50", "\"thread_pct\": 101",
         "'thread_pct' is missing or not 0 or a percentage"},
        {"\"thread_pct\": 50", "\"thread_pct\": 12.345", "'thread_pct' is missing or not 0"},
        {"\"mem_limit\": \"0=10G\"", "\"mem_limit\": \"0=10g\"", "'mem_limit' is not a normalized"},
        {"\"made_pipe_dir\": false", "\"made_pipe_dir\": true", "both owned and made"},
        {"\"own_log_dir\": true", "\"own_log_dir\": 1", "'own_log_dir' is missing"},
        {"\"future\": [1]}", "\"future\": [1]} x", "not JSON"},
        {"\"future\": [1]", "\"uid\": 0", "not JSON"}, /* a duplicate key */
    };
    struct mps_state s, t;
    struct error err = {0};
    char text[2048];
    json_t *j;
    char *dump, *again;

    (void)state;
    if (mps_state_parse(&err, good_state, strlen(good_state), &s) != 0)
        fail_msg("good state: %s", err.msg);
    assert_string_equal(s.root, "/run/u/gpushare-mps-0-12-AbC123");
    assert_int_equal(s.daemon.pid, 4242);
    assert_int_equal(s.thread_centi, 5000);
    assert_string_equal(s.path, "");
    // It round-trips.
    j = mps_state_to_json(&s);
    dump = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    assert_int_equal(mps_state_parse(&err, dump, strlen(dump), &t), 0);
    j = mps_state_to_json(&t);
    again = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    assert_string_equal(dump, again);
    free(dump);
    free(again);
    if (mps_state_parse(&err, reused_state, strlen(reused_state), &t) != 0)
        fail_msg("reused state: %s", err.msg);
    assert_true(t.reused && t.daemon.pid == 4242 && t.daemon.start == 0);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mutate(text, sizeof(text), bad[i].from, bad[i].to);
        memset(&t, 0x5a, sizeof(t));
        if (mps_state_parse(&err, text, strlen(text), &t) != -1 || err.code != ERR_INVALID)
            fail_msg("case %zu: accepted", i);
        if (strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, err.msg, bad[i].msg);
        assert_int_equal(t.daemon.pid, (long)0x5a5a5a5a5a5a5a5aLL); // untouched
    }
}

static void test_option_checks(void **state)
{
    static const struct {
        const char *in, *want; /* want NULL: refused */
        size_t max;
    } dirs[] = {
        {"/a//b/", "/a/b", 88}, {"/a/b", "/a/b", 88},
        {"//x", "/x", 88},      {"/a/./b", NULL, 88},
        {"/a/..", NULL, 88},    {"a/b", NULL, 88},
        {"/", NULL, 88},        {"", NULL, 88},
        {"/a\nb", NULL, 88},    {"/.x/..y", "/.x/..y", 88},
        {"/abcd", NULL, 4},     {"/abc", "/abc", 4},
    };
    static const struct {
        const char *in, *want;
    } limits[] = {
        {"0=10G,GPU-0123abcd-0000-1111-2222-333344445555=1G",
         "0=10G,GPU-0123abcd-0000-1111-2222-333344445555=1G"},
        {"63=1M", "63=1M"},
        {"MIG-0123abcd-0000-1111-2222-333344445555=2G",
         "MIG-0123abcd-0000-1111-2222-333344445555=2G"},
        /* One grammar for mps start, mps exec and emit mps: M and G are upper case. */
        {"0=10g", NULL},
        {"GPU-ab=1G", NULL},
        {"64=1G", NULL},
        {"01=1G", NULL},
        {"x=1G", NULL},
        {"GPU-=1G", NULL},
        {"GPU-xyz=1G", NULL},
        {"0=1G,0=2G", NULL},
        {"0=0G", NULL},
    };
    struct error err = {0};
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        int rc = mps_dir_normalize(&err, "--pipe-dir", dirs[i].in, dirs[i].max, out, sizeof(out));

        if (dirs[i].want == NULL && (rc != -1 || err.code != ERR_USAGE))
            fail_msg("dir case %zu: accepted as '%s'", i, out);
        if (dirs[i].want != NULL && (rc != 0 || strcmp(out, dirs[i].want) != 0))
            fail_msg("dir case %zu: rc %d, '%s' (%s)", i, rc, out, err.msg);
    }
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        int rc = mps_mem_normalize(&err, "--mem-limit", limits[i].in, out, sizeof(out));

        if (limits[i].want == NULL && (rc != -1 || err.code != ERR_USAGE))
            fail_msg("limit case %zu: accepted as '%s'", i, out);
        if (limits[i].want != NULL && (rc != 0 || strcmp(out, limits[i].want) != 0))
            fail_msg("limit case %zu: rc %d, '%s' (%s)", i, rc, out, err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_parse),
        cmocka_unit_test(test_option_checks),
        cmocka_unit_test_setup_teardown(test_start_status_stop, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_settings_json, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_fails, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_stop_escalates, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_stop_interrupted, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_existing_daemon, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_given_dirs, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_two_recorded, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_stale_record, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_stale_record_new_daemon, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_no_record_without_start_time, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_pid_cap, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_exec, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_start_interrupted, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_cycles, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_registry_checks, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_usage, fake_mps_setup, fake_mps_teardown),
    };

    setenv("GPUSHARE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
