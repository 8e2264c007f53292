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
#include <sys/stat.h>
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

static void run_parts(struct bench_case *b, const char *worker_mode, unsigned parts)
{
    struct run_meta meta = {.git_dirty = -1, .command = "bench mps"};
    char slots[160];

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
        .parts = parts,
        .ts = {.mode = "mps", .max_procs = 2, .sizes = {1024}, .n_sizes = 1, .victim_n = 1024},
        .sweep_n = 1024,
        .sweep_step = 50,
        .max_clients = 12,
        .sms_total = 132,
        .cuda_driver_version = 13000,
    };
    /* The fake's client limit: 8 of the 12 clients get a context. */
    path_in(slots, sizeof(slots), "slots");
    mkdir(slots, 0700);
    setenv("FAKE_CLIENT_SLOTS", slots, 1);
    setenv("FAKE_CLIENT_LIMIT", "8", 1);
    /* As cli/cmd_bench.c does for the whole run. */
    mps_guard_install(&b->guard);
    b->rc = bench_mps(&b->err, &b->c, &b->o);
    mps_guard_remove(&b->guard);
    unsetenv("FAKE_WORKER_MODE");
    unsetenv("FAKE_WORKER_LOG");
    unsetenv("FAKE_CLIENT_SLOTS");
    unsetenv("FAKE_CLIENT_LIMIT");
}

static void run_bench(struct bench_case *b, const char *worker_mode)
{
    run_parts(b, worker_mode, MPS_CONTENTION);
}

static double derived(const struct bench_case *b, const char *id, const char *key)
{
    const json_t *t = results_find_test(b->c.doc, id);

    if (t == NULL)
        fail_msg("no test '%s'", id);
    return results_derived_num(t, key);
}

static const char *verdict(const struct bench_case *b, const char *id)
{
    return json_string_value(
        json_object_get(json_object_get(results_find_test(b->c.doc, id), "verdict"), "status"));
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

/*
 * Every part under the daemon, with the fake standing in for each workload: the figures the
 * parts derive from what workers report (SM table, rounding model, memory-limit verdict,
 * client count) come out as the fake's rules make them.
 */
static void test_every_part(void **state)
{
    struct bench_case b;

    (void)state;
    run_parts(&b, NULL, MPS_ALL);
    assert_int_equal(b.rc, 0);
    assert_true(has_test(&b, "mps.timeline.p2"));
    assert_string_equal(verdict(&b, "mps.timeline.p2"), "meets");
    assert_true(has_test(&b, "mps.victim.p1"));
    assert_true(has_test(&b, "mps.victim.p2"));
    assert_true(has_test(&b, "mps.victim.lowprio.p2"));
    assert_false(has_test(&b, "mps.victim.lowprio.p1")); /* alone is not run again */
    assert_true(has_test(&b, "mps.victim.cap50.p2"));
    assert_float_equal(derived(&b, "mps.threads.sms", "granularity_sms"), 2, 0);
    assert_float_equal(derived(&b, "mps.threads.sms", "sms_min"), 8, 0);
    assert_float_equal(derived(&b, "mps.threads.sms", "model_matches_share"), 1, 0);
    assert_float_equal(derived(&b, "mps.threads.gemm.p050", "sms_attribute"), 66, 0);
    assert_true(has_test(&b, "mps.threads.gemm.p100"));
    assert_false(has_test(&b, "mps.threads.gemm.p000"));
    assert_string_equal(verdict(&b, "mps.memlimit"), "meets");
    assert_float_equal(derived(&b, "mps.clients", "clients_refused"), 4, 0);
    assert_string_equal(verdict(&b, "mps.clients"), "misses"); /* 8, not the documented 48 */
    assert_quit_sent();
    assert_int_equal(count_alive_fakes(), 0);
    json_decref(b.c.doc);
}

/* A daemon already answering where the workers would look: refused before any worker runs. */
static void test_foreign_daemon_refused(void **state)
{
    struct mps_daemon_opts opts = {.timeout_ms = 2000};
    struct mps_daemon d;
    struct error err;

    (void)state;
    assert_int_equal(mps_daemon_start(&err, &opts, &d), 0);
    assert_int_equal(mps_daemon_setenv(&err, &d), 0);
    assert_int_equal(multi_check_no_mps(&err), -1);
    assert_int_equal(err.code, ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, d.pipe_dir));
    assert_int_equal(mps_daemon_stop(&err, &d, 2000), 0);
    /* Gone now: what the environment names is dropped, and the workers may run. */
    assert_int_equal(multi_check_no_mps(&err), 0);
    assert_null(getenv("CUDA_MPS_PIPE_DIRECTORY"));
    assert_null(getenv("CUDA_MPS_LOG_DIRECTORY"));
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
        cmocka_unit_test_setup_teardown(test_every_part, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_daemon_refused, fake_mps_setup,
                                        fake_mps_teardown),
    };

    (void)argc;
    snprintf(fake_worker, sizeof(fake_worker), "%.*sfake_worker",
             slash != NULL ? (int)(slash - argv[0] + 1) : 0, argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
