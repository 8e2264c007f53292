/*
 * Unit tests for bench/harness: the real parent side driving tests/fake_worker.c, a CPU-only
 * worker that speaks the protocol and hangs, crashes or lies on request. Every test ends by
 * checking that no child of ours is left, zombie or not, and that no descriptor leaked.
 */
#include "bench/harness.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "testutil.h"

static char fake_path[4096];
static int fds_at_setup;

static int setup(void **state)
{
    (void)state;
    fds_at_setup = count_open_fds();
    return 0;
}

/* No child left at all: waitpid(-1) has nothing to wait for. */
static int teardown(void **state)
{
    (void)state;
    if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
        fprintf(stderr, "teardown: a child process is left\n");
        return -1;
    }
    if (count_open_fds() != fds_at_setup) {
        fprintf(stderr, "teardown: %d descriptors open, %d at setup\n", count_open_fds(),
                fds_at_setup);
        return -1;
    }
    return 0;
}

#define MAXW 4

/* argv storage for up to MAXW workers: fake_worker MODE WORK_MS READY_DELAY_MS. */
struct spec {
    char *argv[MAXW][5];
    char work[MAXW][16], delay[MAXW][16];
    char *const *argvs[MAXW];
};

static void make_spec(struct spec *sp, size_t n, const char *const modes[], long work_ms,
                      const long delays[])
{
    for (size_t i = 0; i < n; i++) {
        snprintf(sp->work[i], sizeof(sp->work[i]), "%ld", work_ms);
        snprintf(sp->delay[i], sizeof(sp->delay[i]), "%ld", delays != NULL ? delays[i] : 0L);
        sp->argv[i][0] = fake_path;
        sp->argv[i][1] = (char *)modes[i];
        sp->argv[i][2] = sp->work[i];
        sp->argv[i][3] = sp->delay[i];
        sp->argv[i][4] = NULL;
        sp->argvs[i] = sp->argv[i];
    }
}

static const struct harness_opts quick = {
    .ready_timeout_s = 10, .run_timeout_s = 10, .term_grace_s = 0.5};

static double num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    assert_true(json_is_number(v));
    return json_number_value(v);
}

static bool gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

/* Gone, or a zombie waiting for a reaper that is not us (an orphaned grandchild). */
static bool dead(pid_t pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    size_t k;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return true;
    k = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[k] = '\0';
    p = strrchr(buf, ')');
    return p != NULL && (p[2] == 'Z' || p[2] == 'X');
}

static void test_three_workers_report(void **state)
{
    const char *modes[] = {"ok", "ok", "ok"};
    struct harness_worker w[3];
    struct spec sp;
    struct error err;
    double rel;

    (void)state;
    make_spec(&sp, 3, modes, 100, NULL);
    assert_int_equal(harness_run(&err, &quick, 3, sp.argvs, w, &rel), 0);
    assert_false(isnan(rel));
    for (size_t i = 0; i < 3; i++) {
        assert_true(w[i].ready && w[i].done && !w[i].killed);
        assert_string_equal(w[i].problem, "");
        assert_int_equal(w[i].pid, 0); /* reaped */
        assert_true(WIFEXITED(w[i].wait_status) && WEXITSTATUS(w[i].wait_status) == 0);
        assert_true(num(w[i].result, "t1") - num(w[i].result, "t0") >= 0.1);
        assert_true(num(w[i].result, "t0") >= rel);
    }
    harness_workers_free(w, 3);
}

/* The barrier: a worker slow to get ready holds back the release of all of them, and then
 * all of them pass the gate within a few milliseconds of each other. */
static void test_barrier_waits_for_the_slowest(void **state)
{
    const char *modes[] = {"ok", "ok", "ok", "ok"};
    const long delays[] = {0, 0, 400, 0};
    struct harness_worker w[4];
    struct spec sp;
    struct error err;
    double rel, latest_ready = 0, first_pass = INFINITY, last_pass = 0;

    (void)state;
    make_spec(&sp, 4, modes, 20, delays);
    assert_int_equal(harness_run(&err, &quick, 4, sp.argvs, w, &rel), 0);
    for (size_t i = 0; i < 4; i++) {
        latest_ready = fmax(latest_ready, num(w[i].ready_msg, "t_ready"));
        first_pass = fmin(first_pass, num(w[i].result, "t_release"));
        last_pass = fmax(last_pass, num(w[i].result, "t_release"));
    }
    assert_true(first_pass >= latest_ready);
    assert_true(rel >= latest_ready);
    assert_true(num(w[2].ready_msg, "t_ready") - num(w[0].ready_msg, "t_ready") >= 0.35);
    assert_true(last_pass - first_pass < 0.05);
    harness_workers_free(w, 4);
}

static void expect_failure(size_t n, const char *const modes[], const struct harness_opts *o,
                           int code, size_t bad, const char *problem, double max_s)
{
    struct harness_worker w[MAXW];
    pid_t pids[MAXW];
    struct spec sp;
    struct error err;
    double rel, t0 = harness_now();

    make_spec(&sp, n, modes, 5000, NULL);
    assert_int_equal(harness_run(&err, o, n, sp.argvs, w, &rel), -1);
    assert_int_equal(err.code, code);
    if (strstr(w[bad].problem, problem) == NULL)
        fail_msg("worker %zu: problem '%s', want '%s'", bad, w[bad].problem, problem);
    if (code != ERR_INTERRUPTED && strstr(err.msg, problem) == NULL)
        fail_msg("error '%s' does not say '%s'", err.msg, problem);
    assert_true(harness_now() - t0 < max_s);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(w[i].pid, 0);
        pids[i] = w[i].ready_msg != NULL ? (pid_t)num(w[i].ready_msg, "pid") : 0;
        if (pids[i] > 0)
            assert_true(gone(pids[i]));
    }
    harness_workers_free(w, n);
}

static void test_watchdog_kills_a_worker_that_never_gets_ready(void **state)
{
    const char *modes[] = {"ok", "hang-ready"};
    struct harness_opts o = quick;

    (void)state;
    o.ready_timeout_s = 0.5;
    expect_failure(2, modes, &o, ERR_INVALID, 1, "not ready after 0.5 s: killed by the watchdog",
                   3.0);
}

static void test_watchdog_kills_a_worker_that_hangs_in_its_run(void **state)
{
    const char *modes[] = {"hang-run", "ok"};
    struct harness_opts o = quick;

    (void)state;
    o.run_timeout_s = 0.5;
    expect_failure(2, modes, &o, ERR_INVALID, 0, "no result after 0.5 s", 3.0);
}

/* One fake worker in the given mode; harness_run's status. */
static int run_one(const char *mode, const struct harness_opts *o, struct harness_worker *w)
{
    char *argv[] = {fake_path, (char *)mode, (char *)"0", (char *)"0", NULL};
    char *const *argvs[] = {argv};
    struct error err;
    double rel;

    return harness_run(&err, o, 1, argvs, w, &rel);
}

/* The watchdog kills the whole process group: a grandchild the worker started dies too. */
static void test_watchdog_kills_the_process_group(void **state)
{
    struct harness_opts o = quick;
    struct harness_worker w[1];
    double t0;
    pid_t grandchild;

    (void)state;
    o.run_timeout_s = 0.3;
    assert_int_equal(run_one("hang-child", &o, w), -1);
    assert_true(w[0].killed);
    grandchild = (pid_t)num(w[0].ready_msg, "child");
    t0 = harness_now();
    while (!dead(grandchild) && harness_now() - t0 < 2.0)
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    assert_true(dead(grandchild));
    harness_workers_free(w, 1);
}

/* A worker that sent its result but never exits is still the watchdog's to kill. */
static void test_watchdog_kills_a_worker_that_lingers(void **state)
{
    struct harness_opts o = quick;
    struct harness_worker w[1];

    (void)state;
    o.run_timeout_s = 0.5;
    assert_int_equal(run_one("linger", &o, w), -1);
    assert_true(w[0].done && w[0].killed);
    assert_non_null(strstr(w[0].problem, "sent its result but did not exit within 0.5 s"));
    harness_workers_free(w, 1);
}

static void test_crash_voids_the_run(void **state)
{
    const char *modes[] = {"ok", "crash"};

    (void)state;
    expect_failure(2, modes, &quick, ERR_INVALID, 1, "closed its pipe before sending its result",
                   3.0);
}

static void test_crash_status_is_kept(void **state)
{
    struct harness_worker w[1];

    (void)state;
    assert_int_equal(run_one("crash", &quick, w), -1);
    assert_true(WIFSIGNALED(w[0].wait_status) && WTERMSIG(w[0].wait_status) == SIGABRT);
    harness_workers_free(w, 1);
}

static void test_error_line_names_the_worker(void **state)
{
    const char *modes[] = {"ok", "ok", "error"};

    (void)state;
    expect_failure(3, modes, &quick, ERR_INVALID, 2, "cudaMalloc failed: out of memory", 3.0);
}

static void test_garbage_line_is_refused(void **state)
{
    const char *modes[] = {"garbage"};

    (void)state;
    expect_failure(1, modes, &quick, ERR_INVALID, 0, "not a JSON object: not json", 3.0);
}

/* A healthy worker that ignores SIGTERM is killed once the grace period is over. */
static void test_sigterm_escalates_to_sigkill(void **state)
{
    const char *modes[] = {"ignore-term", "error"};
    struct harness_opts o = quick;

    (void)state;
    o.term_grace_s = 0.3;
    expect_failure(2, modes, &o, ERR_INVALID, 1, "out of memory", 2.5);
}

/* SIGINT to the parent mid-run: ERR_INTERRUPTED, every worker stopped, and the test process
 * itself survives (its default SIGINT action would have killed it). */
static void test_sigint_stops_every_worker(void **state)
{
    const char *modes[] = {"interrupt", "hang-run", "ok"};

    (void)state;
    expect_failure(3, modes, &quick, ERR_INTERRUPTED, 1, "killed by signal", 4.0);
}

static void test_missing_program_is_a_clear_error(void **state)
{
    char *argv[] = {(char *)"/nonexistent/gpushare", (char *)"worker", NULL};
    char *const *argvs[] = {argv};
    struct harness_worker w[1];
    struct error err;
    double rel;

    (void)state;
    assert_int_equal(harness_run(&err, &quick, 1, argvs, w, &rel), -1);
    assert_non_null(strstr(err.msg, "cannot execute worker '/nonexistent/gpushare'"));
    assert_true(isnan(rel));
}

struct counter {
    unsigned calls;
    double first, last;
};

static void count_sample(void *arg, double now)
{
    struct counter *c = arg;

    if (c->calls++ == 0)
        c->first = now;
    c->last = now;
}

static void test_sampler_runs_at_its_period(void **state)
{
    const char *modes[] = {"ok", "ok"};
    struct counter c = {0};
    struct harness_opts o = quick;
    struct harness_worker w[2];
    struct spec sp;
    struct error err;
    double rel;

    (void)state;
    o.sample_period_s = 0.02;
    o.sample = count_sample;
    o.sample_arg = &c;
    make_spec(&sp, 2, modes, 300, NULL);
    assert_int_equal(harness_run(&err, &o, 2, sp.argvs, w, &rel), 0);
    assert_true(c.calls >= 10); /* 300 ms at 20 ms: 15 expected, ASan slack */
    assert_true(c.first >= rel && c.first - rel < 0.05);
    assert_true((c.last - c.first) / (c.calls - 1) < 0.03);
    harness_workers_free(w, 2);
}

static void test_worker_side_refuses_to_run_detached(void **state)
{
    struct error err;
    int saved3 = dup(3), saved4 = dup(4);

    (void)state;
    close(3);
    close(4);
    assert_int_equal(harness_worker_attached(&err), -1);
    assert_int_equal(err.code, ERR_USAGE);
    if (saved3 >= 0) {
        dup2(saved3, 3);
        close(saved3);
    }
    if (saved4 >= 0) {
        dup2(saved4, 4);
        close(saved4);
    }
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_three_workers_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_barrier_waits_for_the_slowest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_kills_a_worker_that_never_gets_ready, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_kills_a_worker_that_hangs_in_its_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_kills_the_process_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_kills_a_worker_that_lingers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_voids_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_status_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_line_names_the_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_line_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_escalates_to_sigkill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigint_stops_every_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_program_is_a_clear_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sampler_runs_at_its_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_worker_side_refuses_to_run_detached, setup, teardown),
    };

    (void)argc;
    snprintf(fake_path, sizeof(fake_path), "%.*sfake_worker",
             slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
