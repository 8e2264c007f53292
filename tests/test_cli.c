/*
 * The command line as a user meets it: the real (sanitized) binary is run with
 * NVML pointed at a library that does not exist, so every case behaves the same
 * on a machine with or without a GPU. Checks exit statuses, where text goes,
 * and that a failed run leaves no half-written output file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

#define OUT_DIR "build/test-out"
#define NO_FILE OUT_DIR "/cli-never-written.json"
#define MAX_ARGS 12

/* Runs the binary with args (NULL-terminated), stdout and stderr captured in OUT_DIR. */
static void run_cli(struct proc *r, const char *const *args)
{
    proc_gpushare_in(r, args, OUT_DIR);
}

static const struct {
    const char *args[MAX_ARGS + 1];
    int status;
    const char *out; /* substring of stdout, or NULL */
    const char *err; /* substring of stderr, or NULL */
    int err_lines;   /* exact number of stderr lines, or -1 */
} cases[] = {
    /* No driver: one line, the documented status, nothing on stdout. */
    {{"info", NULL}, 69, NULL, "gpushare: no GPU: no NVIDIA driver", 1},
    {{"info", "--json", NULL}, 69, NULL, "no GPU", 1},
    {{"bench", "streams", NULL}, 69, NULL, "gpushare: no GPU:", 1},
    {{"bench", "streams", "--only", "copy", "--json", NULL}, 69, NULL, "no GPU", 1},
    /* timeslice learns the GPU through an info worker: its "no GPU" reaches the parent. */
    {{"bench", "timeslice", NULL}, 69, NULL, "gpushare: no GPU: no NVIDIA driver", 1},
    {{"bench", "timeslice", "--only", "victim", "--json", NULL}, 69, NULL, "no GPU", 1},
    {{"bench", "mig", NULL}, 69, NULL, "gpushare: no GPU: no NVIDIA driver", 1},
    {{"bench", "mps", NULL}, 69, NULL, "gpushare: no GPU: no NVIDIA driver", 1},
    {{"bench", "mps", "--only", "clients", "-o", NO_FILE, NULL}, 69, NULL, "no GPU", 1},
    {{"mig", "profiles", "--live", NULL}, 69, NULL, "gpushare: no GPU:", 1},
    /* mig needs no GPU when told which one. */
    {{"mig", "profiles", NULL}, 0, "H100-80GB", NULL, 0},
    {{"mig", "profiles", "--gpu", "h100-80gb", NULL}, 0, "3g.40gb        9   60   39.50", NULL, 0},
    {{"mig", "profiles", "--gpu", "H200-141GB", NULL}, 0, "* unverified rows", NULL, 0},
    {{"mig", "check", "3g.40gb,3g.40gb,1g.10gb", "--gpu", "H100-80GB", NULL},
     3,
     "two 3g.40gb use all 8 memory slices; no 1g.10gb can be placed",
     NULL,
     0},
    {{"mig", "check", "1g.10gb:7", "--gpu", "H100-80GB", NULL},
     0,
     "SMs: 112 of 132 used, 20 stranded",
     NULL,
     0},
    {{"mig", "check", "1g.10gb:8", "--gpu", "H100-80GB", NULL}, 3, "at most 7 instances", NULL, 0},
    {{"mig", "check", "--json", "4g.40gb,3g.40gb", "--gpu", "H100-80GB", NULL},
     0,
     "\"sms_used\": 124",
     NULL,
     0},
    {{"mig", "layouts", "--gpu", "A30-24GB", NULL}, 0, "9 maximal layouts", NULL, 0},
    {{"mig", "plan", "m:1.5gbx40", "--gpu", "A100-80GB", NULL},
     1,
     "6 x A100-80GB, one replica per instance (no fewer can)",
     "unverified catalog rows",
     1},
    {{"mig", "plan", "llama:20gb:30sm,bert:4gb", "--gpu", "H100-80GB", NULL},
     0,
     "fits on one H100-80GB",
     NULL,
     0},
    /* Usage errors: status 2, the reason and the usage on stderr. */
    {{"bench", "streams", "--trials", "abc", NULL}, 2, NULL, "'abc' for --trials", -1},
    {{"bench", "streams", "--trials", "2", NULL}, 2, NULL, "from 3 to 1000", -1},
    {{"bench", "streams", "--warmup", "1x", NULL}, 2, NULL, "'1x' for --warmup", -1},
    {{"bench", "streams", "--only", "gemm,foo", NULL}, 2, NULL, "unknown part 'foo'", -1},
    {{"bench", "streams", "--device", "-1", NULL}, 2, NULL, "'-1' for --device", -1},
    {{"bench", NULL}, 2, NULL, "which mode?", -1},
    {{"bench", "green", NULL}, 2, NULL, "unknown mode 'green'", -1},
    {{"bench", "mps", "--only", "slices", NULL}, 2, NULL, "unknown part 'slices'", -1},
    {{"bench", "mps", "--clients", "65", NULL}, 2, NULL, "--clients", -1},
    {{"bench", "streams", "extra", NULL}, 2, NULL, "unexpected argument 'extra'", -1},
    {{"bench", "timeslice", "--only", "contention,foo", NULL}, 2, NULL, "unknown part 'foo'", -1},
    {{"bench", "--only", "gemm", "timeslice", NULL}, 2, NULL, "expected contention, timeline", -1},
    {{"bench", "timeslice", "--procs", "9", NULL}, 2, NULL, "from 2 to 8", -1},
    {{"bench", "timeslice", "--trials", "21", NULL}, 2, NULL, "from 1 to 20", -1},
    {{"bench", "timeslice", "--sizes", "4096,x", NULL}, 2, NULL, "'x' in list for --sizes", -1},
    {{"bench", "timeslice", "--dtype", "fp16", NULL}, 2, NULL, "unknown --dtype 'fp16'", -1},
    {{"bench", "timeslice", "--duration", "0.1", NULL}, 2, NULL, "'0.1' for --duration", -1},
    {{"worker", "--workload", "gemm", NULL}, 2, NULL, "'worker' is internal", -1},
    {{"worker", "--workload", "nope", NULL}, 2, NULL, "unknown workload 'nope'", -1},
    {{"worker", NULL}, 2, NULL, "no --workload", -1},
    {{"bench", "mig", "--only", "gemm", NULL},
     2,
     NULL,
     "--only is for streams, timeslice and mps",
     -1},
    {{"mig", NULL}, 2, NULL, "which subcommand?", -1},
    {{"mig", "resize", NULL}, 2, NULL, "unknown subcommand 'resize'", -1},
    {{"mig", "check", NULL}, 2, NULL, "check takes exactly one LAYOUT", -1},
    {{"mig", "check", "3g.40gb", NULL}, 2, NULL, "no --gpu MODEL, and no local GPU", -1},
    {{"mig", "check", "3g.40gb", "--gpu", "X100", NULL}, 2, NULL, "unknown GPU 'X100'", -1},
    {{"mig", "check", "1g.10gb:x", "--gpu", "H100-80GB", NULL}, 2, NULL, "invalid count", -1},
    {{"mig", "check", "9g.90gb", "--gpu", "H100-80GB", NULL}, 2, NULL, "unknown MIG profile", -1},
    {{"mig", "check", "7g.80gb", "--gpu", "H100-80GB", "--name", "-bad", NULL},
     2,
     NULL,
     "must begin and end with a letter or digit",
     -1},
    {{"mig", "plan", "llama", "--gpu", "H100-80GB", NULL}, 2, NULL, "llama", -1},
    {{"mig", "plan", "tests/fixtures/nonexistent.yaml", "--gpu", "H100-80GB", NULL},
     1,
     NULL,
     "nonexistent.yaml",
     -1},
    {{"info", "--bogus", NULL}, 2, NULL, "unknown option '--bogus'", -1},
    {{"info", "-o", NULL}, 2, NULL, "needs a value", -1},
    {{"info", "--device", "64", NULL}, 2, NULL, "from 0 to 63", -1},
    {{"--bogus", NULL}, 2, NULL, "unknown option '--bogus'", -1},
    {{NULL}, 2, NULL, "usage: gpushare", -1},
    {{"nosuch", NULL}, 2, NULL, "no command 'nosuch'", -1},
    {{"help", "nosuch", NULL}, 2, NULL, "no command 'nosuch'", -1},
    {{"show", NULL}, 2, NULL, "which file?", -1},
    {{"show", "a.json", "b.json", NULL}, 2, NULL, "one file at a time", -1},
    /* Help everywhere, on stdout, status 0. */
    {{"--help", NULL}, 0, "commands:", NULL, 0},
    {{"help", NULL}, 0, "commands:", NULL, 0},
    {{"info", "--help", NULL}, 0, "usage: gpushare info", NULL, 0},
    {{"bench", "--help", NULL}, 0, "usage: gpushare bench streams", NULL, 0},
    {{"bench", "streams", "-h", NULL}, 0, "--only PARTS", NULL, 0},
    {{"bench", "timeslice", "--help", NULL}, 0, "--procs N", NULL, 0},
    {{"worker", "--help", NULL}, 0, "Internal: one process", NULL, 0},
    {{"mig", "--help", NULL}, 0, "usage: gpushare mig profiles", NULL, 0},
    {{"mig", "plan", "--help", NULL}, 0, "DEMANDS", NULL, 0},
    {{"help", "mig", NULL}, 0, "usage: gpushare mig", NULL, 0},
    {{"show", "--help", NULL}, 0, "usage: gpushare show", NULL, 0},
    {{"help", "bench", NULL}, 0, "usage: gpushare bench", NULL, 0},
    {{"version", NULL}, 0, "gpushare 0.1.0", NULL, 0},
    {{"-V", NULL}, 0, "gpushare 0.1.0", NULL, 0},
    /* Saved documents need no GPU. */
    {{"show", "tests/fixtures/results-good-h100.json", NULL}, 0, "median [p10-p90]", NULL, 0},
    {{"show", "--json", "tests/fixtures/results-good-minimal.json", NULL},
     0,
     "\"gpushare.results/1\"",
     NULL,
     0},
    {{"show", "tests/fixtures/results-bad-schema-id.json", NULL},
     1,
     NULL,
     "results-bad-schema-id.json",
     1},
    {{"show", "/nonexistent/results.json", NULL}, 1, NULL, "/nonexistent/results.json", 1},
};

static void test_cases(void **state)
{
    (void)state;
    setenv("GPUSHARE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc r;

        run_cli(&r, cases[i].args);
        if (r.status != cases[i].status ||
            (cases[i].out != NULL && strstr(r.out, cases[i].out) == NULL) ||
            (cases[i].err != NULL && strstr(r.err, cases[i].err) == NULL) ||
            (cases[i].err_lines >= 0 && count_lines(r.err) != cases[i].err_lines))
            fail_msg("case %zu (%s ...): status %d (want %d)\nstdout: %.300s\nstderr: %.600s", i,
                     cases[i].args[0] ? cases[i].args[0] : "(none)", r.status, cases[i].status,
                     r.out, r.err);
        /* No driver means nothing to report on stdout. */
        if (cases[i].status == 69 && r.out[0] != '\0')
            fail_msg("case %zu printed on stdout without a GPU: %.200s", i, r.out);
    }
}

/* A run that cannot measure must not leave a file behind, not even an empty one. */
static void test_no_half_written_output(void **state)
{
    static const char *const bench[] = {"bench", "streams", "-o", NO_FILE, NULL};
    static const char *const ts[] = {"bench", "timeslice", "-o", NO_FILE, NULL};
    static const char *const info[] = {"info", "-o", NO_FILE, NULL};
    struct proc r;
    struct stat st;

    (void)state;
    setenv("GPUSHARE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    unlink(NO_FILE);
    run_cli(&r, bench);
    assert_int_equal(r.status, 69);
    assert_int_equal(stat(NO_FILE, &st), -1);
    run_cli(&r, ts);
    assert_int_equal(r.status, 69);
    assert_int_equal(stat(NO_FILE, &st), -1);
    run_cli(&r, info);
    assert_int_equal(r.status, 69);
    assert_int_equal(stat(NO_FILE, &st), -1);
}

/* mig --out writes the config and the script together, or nothing. */
static void test_mig_out_files(void **state)
{
    char dir[] = "/tmp/gpushare-cli-mig-XXXXXX", yaml[96], sh[96], file[96];
    const char *ok[] = {"mig",   "check", "4g.40gb,3g.40gb", "--gpu", "H100-80GB",
                        "--out", dir,     "--name",          "x1",    NULL};
    const char *bad[] = {"mig",   "check", "4g.40gb,3g.40gb", "--gpu", "H100-80GB",
                         "--out", file,    "--name",          "x2",    NULL};
    struct stat st;
    struct proc r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(yaml, sizeof(yaml), "%s/x1.yaml", dir);
    snprintf(sh, sizeof(sh), "%s/x1.sh", dir);
    run_cli(&r, ok);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "nvidia.com/mig.config=x1"));
    assert_int_equal(stat(yaml, &st), 0);
    assert_int_equal(stat(sh, &st), 0);
    assert_true((st.st_mode & 0111) != 0);
    /* A file where the directory should be: exit 1, nothing written beside it. */
    snprintf(file, sizeof(file), "%s", yaml);
    run_cli(&r, bad);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "is not a directory"));
    snprintf(file, sizeof(file), "%s/x2.yaml", dir);
    assert_int_equal(stat(file, &st), -1);
    unlink(yaml);
    unlink(sh);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_no_half_written_output),
        cmocka_unit_test(test_mig_out_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
