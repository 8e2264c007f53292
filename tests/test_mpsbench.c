/*
 * The lifecycle of bench mps without a GPU: the real orchestrator (bench/mpsbench.c), harness
 * and daemon code, with tests/fake_worker.c standing in for `gpushare worker` and the fake
 * nvidia-cuda-mps-control of tests/fake_mps.h first on PATH. Each case runs the contention part
 * (time-slicing references, the N-stream bound, then MPS clients under the daemon) and checks
 * what the document holds, that the MPS workers got the private pipe directory, and, in the
 * teardown, that no fake daemon, worker, descriptor or directory is left.
 */
#include "bench/mpsbench.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_mps.h"
#include "gpu/mps_daemon.h"
#include "results/results.h"
#include "testutil.h"

static char fake_worker[4096];

struct bench_case {
    struct multi_ctx c;
    struct mpsbench_opts o;
    struct mps_guard guard;
    struct error err;
    int rc;
    char log[160];
};

static void run_bench(struct bench_case *b, const char *worker_mode)
{
    struct run_meta meta = {.git_dirty = -1, .command = "bench mps"};

    memset(b, 0, sizeof(*b));
    path_in(b->log, sizeof(b->log), "workers.log");
    setenv("FAKE_WORKER_LOG", b->log, 1);
    if (worker_mode != NULL)
        setenv("FAKE_WORKER_MODE", worker_mode, 1);
    else
        unsetenv("FAKE_WORKER_MODE");
    snprintf(b->c.exe, sizeof(b->c.exe), "%s", fake_worker);
    b->c.duration_s = 0.05;
    b->c.trials = 1;
    b->c.mps_timeout_ms = 1000;
    b->c.doc = results_new(&meta, json_object());
    b->o = (struct mpsbench_opts){
        .parts = MPS_CONTENTION,
        .ts = {.mode = "mps", .max_procs = 2, .sizes = {1024}, .n_sizes = 1},
        .sms_total = 132,
    };
    /* As cli/cmd_bench.c does for the whole run. */
    mps_guard_install(&b->guard);
    b->rc = bench_mps(&b->err, &b->c, &b->o);
    mps_guard_remove(&b->guard);
    unsetenv("FAKE_WORKER_MODE");
    unsetenv("FAKE_WORKER_LOG");
}

static bool has_test(const struct bench_case *b, const char *id)
{
    return results_find_test(b->c.doc, id) != NULL;
}

static bool skipped(const struct bench_case *b, const char *what)
{
    const json_t *s;
    size_t i;

    json_array_foreach (json_object_get(b->c.doc, "skipped"), i, s)
        if (strcmp(json_string_value(json_object_get(s, "what")), what) == 0)
            return true;
    return false;
}

/* Workers that ran under the daemon (a pipe directory) and without it ("-"). */
static void count_workers(const struct bench_case *b, int *with_mps, int *without)
{
    char text[8192], *line, *save = NULL;

    read_text(b->log, text, sizeof(text));
    *with_mps = *without = 0;
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *pipe = strchr(line, ' ');

        if (pipe != NULL && strcmp(pipe + 1, "-") == 0)
            ++*without;
        else if (pipe != NULL && strstr(pipe + 1, sb.run) == pipe + 1)
            ++*with_mps; /* the private directory, under $XDG_RUNTIME_DIR */
        else
            fail_msg("worker line '%s': neither no MPS nor our private pipe directory", line);
    }
}

static void assert_quit_sent(void)
{
    char cmds[4096];

    commands(cmds, sizeof(cmds));
    assert_non_null(strstr(cmds, "-d pipe="));
    assert_non_null(strstr(cmds, "quit"));
}

/* The whole contention part: references without MPS first, then MPS clients, then stop. */
static void test_normal_run(void **state)
{
    struct bench_case b;
    int with, without;

    (void)state;
    run_bench(&b, NULL);
    assert_int_equal(b.rc, 0);
    assert_true(has_test(&b, "timeslice.contention.gemm.fp32.n1024.p1"));
    assert_true(has_test(&b, "timeslice.contention.gemm.fp32.n1024.p2"));
    assert_true(has_test(&b, "mps.bound.gemm.fp32.n1024.p2"));
    assert_true(has_test(&b, "mps.contention.gemm.fp32.n1024.p1"));
    assert_true(has_test(&b, "mps.contention.gemm.fp32.n1024.p2"));
    /* The fake does 1000 gemms/s per stream: two clients are twice one, like the bound. */
    assert_float_equal(
        results_derived_num(results_find_test(b.c.doc, "mps.contention.gemm.fp32.n1024.p2"),
                            "mps_over_bound"),
        1.0, 1e-9);
    count_workers(&b, &with, &without);
    assert_int_equal(without, 1 + 2 + 1); /* solo, two contended, the 2-stream bound */
    assert_int_equal(with, 1 + 2);
    assert_quit_sent();
    assert_int_equal(count_alive_fakes(), 0);
    json_decref(b.c.doc);
}

/* A worker crashes under the daemon: the part is recorded as skipped, the daemon stopped. */
static void test_worker_crash(void **state)
{
    struct bench_case b;

    (void)state;
    run_bench(&b, "crash-mps");
    assert_int_equal(b.rc, -1);
    assert_int_equal(b.err.code, ERR_INVALID);
    assert_true(has_test(&b, "mps.bound.gemm.fp32.n1024.p2"));
    assert_false(has_test(&b, "mps.contention.gemm.fp32.n1024.p1"));
    assert_true(skipped(&b, "mps.contention"));
    assert_quit_sent();
    assert_int_equal(count_alive_fakes(), 0);
    json_decref(b.c.doc);
}

/* SIGINT in the middle of an MPS run: ERR_INTERRUPTED, every worker reaped, daemon stopped. */
static void test_sigint_mid_run(void **state)
{
    struct bench_case b;

    (void)state;
    run_bench(&b, "interrupt-mps");
    assert_int_equal(b.rc, -1);
    assert_int_equal(b.err.code, ERR_INTERRUPTED);
    assert_quit_sent();
    assert_int_equal(count_alive_fakes(), 0);
    json_decref(b.c.doc);
}

/* The daemon fails to start: the references stand, MPS is recorded as skipped. */
static void test_daemon_fails_to_start(void **state)
{
    struct bench_case b;

    (void)state;
    set_mode("fail_start");
    run_bench(&b, NULL);
    assert_int_equal(b.rc, -1);
    assert_int_equal(b.err.code, ERR_UNSUPPORTED);
    assert_true(has_test(&b, "mps.bound.gemm.fp32.n1024.p2"));
    assert_true(skipped(&b, "mps"));
    assert_int_equal(count_alive_fakes(), 0);
    json_decref(b.c.doc);
}

/* A daemon that ignores quit: the measurements stand, the stop escalates and says so. */
static void test_daemon_ignores_quit(void **state)
{
    struct bench_case b;

    (void)state;
    set_mode("deaf");
    run_bench(&b, NULL);
    assert_int_equal(b.rc, -1);
    assert_int_equal(b.err.code, ERR_UNSUPPORTED);
    assert_true(has_test(&b, "mps.contention.gemm.fp32.n1024.p2"));
    assert_int_equal(count_alive_fakes(), 0);
    json_decref(b.c.doc);
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_normal_run, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_worker_crash, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_sigint_mid_run, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_fails_to_start, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_daemon_ignores_quit, fake_mps_setup,
                                        fake_mps_teardown),
    };

    (void)argc;
    snprintf(fake_worker, sizeof(fake_worker), "%.*sfake_worker",
             slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
