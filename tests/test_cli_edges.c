/*
 * The rough edges a new user hit (issue 12), one row each, so that none comes back: the
 * command, the exit status it must give, and fragments its output must and must not hold.
 * Rows run in order in one scratch directory ("$D" in an argument or a file name stands for
 * it), so a row may use what an earlier one wrote. The binary runs with NVML pointed at a
 * library that does not exist: every row behaves the same with or without a GPU.
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

#include "check.h"
#include "proc.h"

#define OUT_DIR "build/test-out"
#define D OUT_DIR "/edges"
#define MAX_ARGS 14

struct edge {
    const char *edge; /* the item */
    const char *args[MAX_ARGS];
    int status;
    const char *out_has, *out_lacks; /* stdout */
    const char *err_has;             /* stderr */
    const char *file, *file_has, *file_lacks;
    bool full; /* stdout is /dev/full */
};

static const struct edge edges[] = {
    {.edge = "1 emit k8s: more MPS replicas than one server takes",
     .args = {"emit", "k8s", "--mode", "mps", "--replicas", "100", "--out", "$D/k8s-100"},
     .status = 2,
     .err_has = "one MPS server accepted 48 clients (results/2026-11-24-h100-mps.json"},
    {.edge = "1 emit mps: more clients than one server takes",
     .args = {"emit", "mps", "--clients", "60", "--out", "$D/mps-60"},
     .status = 2,
     .err_has = "--clients 60: one MPS server accepted 48 clients"},
    {.edge = "1 emit mps: 48 clients fit",
     .args = {"emit", "mps", "--clients", "48", "--out", "$D/mps-48"},
     .status = 0},
    {.edge = "2 show: an info document shows its GPU",
     .args = {"show", "results/2026-11-24-h100-info.json"},
     .status = 0,
     .out_has = "NVIDIA H100 80GB HBM3"},
    {.edge = "3 show: a label is never cut",
     .args = {"show", "results/2026-11-24-h100-mps.json"},
     .status = 0,
     .out_has = "capped at 50% of the threads"},
    {.edge = "3 mig profiles: a long model name keeps its column in line",
     .args = {"mig", "profiles"},
     .status = 0,
     .out_has = "  H100-PCIE-80GB   114    80 GiB"},
    {.edge = "4 show: no exponent, times scaled",
     .args = {"show", "results/2026-11-24-h100-mps.json"},
     .status = 0,
     .out_lacks = "e+0"},
    {.edge = "4 show: a median past its bound is marked",
     .args = {"show", "results/2026-11-24-h100-mps-contention.json"},
     .status = 0,
     .out_has = "meets*"},
    {.edge = "5 show: no lab, no seed",
     .args = {"show", "results/2026-11-24-h100-streams.json"},
     .status = 0,
     .out_lacks = "lab"},
    {.edge = "5 mig profiles: public sources only",
     .args = {"mig", "profiles", "--gpu", "H100-80GB"},
     .status = 0,
     .out_lacks = "facts.md"},
    {.edge = "6 mig plan: a missing file is missing",
     .args = {"mig", "plan", "$D/missing.yaml", "--gpu", "H100-80GB"},
     .status = 1,
     .err_has = "No such file"},
    {.edge = "7 mig profiles: unknown is null, never 0",
     .args = {"mig", "profiles", "--gpu", "B200-180GB", "--json"},
     .status = 0,
     .out_lacks = "\"memory_gib\": 0.0"},
    {.edge = "8 fleet merge: two benchmarks of one GPU",
     .args = {"fleet", "merge", "-o", "$D/fleet-one.json", "results/2026-11-24-h100-mps.json",
              "results/2026-11-24-h100-mps-contention.json"},
     .status = 0},
    {.edge = "9 setup: a fleet",
     .args = {"fleet", "merge", "-o", "$D/fleet.json", "tests/fixtures/fleet-a100-node1.json",
              "tests/fixtures/fleet-a100-node2.json"},
     .status = 0},
    {.edge = "9 mig plan --fleet: the MPS alternative that fits is the answer",
     .args = {"mig", "plan", "tests/fixtures/demands-good-40-models.yaml", "--fleet",
              "$D/fleet.json"},
     .status = 0,
     .out_lacks = "it does not fit"},
    {.edge = "10 fleet bench README: no mode it does not deploy",
     .args = {"emit", "k8s", "--fleet-bench", "--out", "$D/fleet-bench"},
     .status = 0,
     .file = "$D/fleet-bench/README.md",
     .file_lacks = "deploys **timeslice**"},
    {.edge = "11 emit k8s: next steps in the README's order",
     .args = {"emit", "k8s", "--mode", "timeslice", "--out", "$D/k8s-ts"},
     .status = 0,
     .out_has = "1. kubectl apply -f " D "/k8s-ts/manifests/device-plugin-config.yaml"},
    {.edge = "12 fleet merge -o: an existing file stays",
     .args = {"fleet", "merge", "-o", "$D/fleet.json", "tests/fixtures/fleet-a100-node1.json",
              "tests/fixtures/fleet-a100-node2.json"},
     .status = 1,
     .err_has = "exists: pass --force to replace it"},
    {.edge = "12 setup: mig check --out",
     .args = {"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out", "$D/mig", "--name",
              "x"},
     .status = 0},
    {.edge = "12 mig check --out: an existing file stays",
     .args = {"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out", "$D/mig", "--name",
              "x"},
     .status = 1,
     .err_has = "exists: pass --force to replace it"},
    {.edge = "12 fleet merge -o DIR: no temporary name in the message",
     .args = {"fleet", "merge", "-o", "$D", "tests/fixtures/fleet-a100-node1.json"},
     .status = 2,
     .err_has = "is a directory"},
    {.edge = "12 bench -o: the same rule, before any GPU is touched",
     .args = {"bench", "streams", "-o", "$D/fleet.json"},
     .status = 1,
     .err_has = "exists: pass --force to replace it"},
    {.edge = "13 mig check --out unwritable: no verdict printed first",
     .args = {"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out", "/proc/gpushare-x"},
     .status = 1,
     .out_lacks = "valid"},
    {.edge = "13 mig check: an invalid layout is its own status",
     .args = {"mig", "check", "7g.80gb,1g.10gb", "--gpu", "A100-80GB"},
     .status = 3},
    {.edge = "14 mig plan --out: nothing written is said",
     .args = {"mig", "plan", "big:100gb", "--gpu", "H100-80GB", "--out", "$D/nofit"},
     .status = 1,
     .err_has = "nothing written"},
    {.edge = "15 mig plan: notes go to stderr",
     .args = {"mig", "plan", "tests/fixtures/plan-nofit.yaml", "--gpu", "A100-80GB"},
     .status = 1,
     .out_lacks = "note:",
     .err_has = "unverified"},
    {.edge = "16 mig layouts --json: a full stdout fails",
     .args = {"mig", "layouts", "--json"},
     .status = 1,
     .err_has = "No space left on device",
     .full = true},
    {.edge = "16 show: a full stdout fails",
     .args = {"show", "results/2026-11-24-h100-streams.json"},
     .status = 1,
     .err_has = "cannot write to standard output",
     .full = true},
    {.edge = "16 plan --json: a full stdout fails",
     .args = {"plan", "--example", "40-models-a100-80gb", "--json"},
     .status = 1,
     .err_has = "No space left on device",
     .full = true},
    {.edge = "17 bench -o: checked before measuring",
     .args = {"bench", "streams", "-o", "/nonexistent/dir/x.json"},
     .status = 1,
     .err_has = "cannot write '/nonexistent/dir/x.json'"},
    {.edge = "18 help: bench lists mps",
     .args = {"--help"},
     .status = 0,
     .out_has = "(streams, timeslice, mps, mig, mix)"},
    {.edge = "18 help: the exit statuses include 3 and 130",
     .args = {"--help"},
     .status = 0,
     .out_has = "130 interrupted"},
    {.edge = "18 mig plan --help: its own usage",
     .args = {"mig", "plan", "--help"},
     .status = 0,
     .out_has = "usage: gpushare mig plan",
     .out_lacks = "mig profiles"},
    {.edge = "18 help --help", .args = {"help", "--help"}, .status = 0, .out_has = "commands:"},
    {.edge = "18 conflicting options exit 2",
     .args = {"mig", "profiles", "--gpu", "A100-80GB", "--live"},
     .status = 2,
     .err_has = "--live"},
    {.edge = "18 bench streams --trials 0: the streams range",
     .args = {"bench", "streams", "--trials", "0"},
     .status = 2,
     .err_has = "from 3 to 1000"},
    {.edge = "18 bench streams --trials 2: the same range",
     .args = {"bench", "streams", "--trials", "2"},
     .status = 2,
     .err_has = "from 3 to 1000"},
    {.edge = "18 emit k8s --node-list: an empty entry is refused",
     .args = {"emit", "k8s", "--fleet-bench", "--out", "$D/nodes", "--node-list", "a,,b"},
     .status = 2,
     .err_has = "an empty node name"},
    {.edge = "19 make run: --emit makes the directories above it",
     .args = {"plan", "--example", "40-models-a100-80gb", "--emit", "$D/deploy/a/b"},
     .status = 0,
     .file = "$D/deploy/a/b/plan.json",
     .file_has = "gpushare.plan/1"},
    {.edge = "19 README: a no-GPU quick start, no ../shared",
     .args = {"version"},
     .status = 0,
     .file = "README.md",
     .file_has = "## Without a GPU: a quick start",
     .file_lacks = "../shared"},
};

/* s with "$D" replaced by the scratch directory, into out. */
static const char *expand(const char *s, char *out, size_t size)
{
    const char *at = strstr(s, "$D");

    if (at == NULL)
        return s;
    snprintf(out, size, "%.*s%s%s", (int)(at - s), s, D, at + 2);
    return out;
}

static char *file_text(const char *path)
{
    size_t len = 0;

    return slurp(path, &len);
}

static void run_edge(const struct edge *e, struct proc *r)
{
    static char bufs[MAX_ARGS][512];
    const struct proc_opts o = {.tmp_dir = OUT_DIR};
    const char *args[MAX_ARGS + 1] = {NULL};
    char *argv[MAX_ARGS + 5] = {NULL};
    size_t n = 0;

    for (; n < MAX_ARGS && e->args[n] != NULL; n++)
        args[n] = expand(e->args[n], bufs[n], sizeof(bufs[n]));
    if (!e->full) {
        proc_gpushare(r, args, &o);
        return;
    }
    // The shell puts stdout on /dev/full, then becomes gpushare.
    argv[0] = (char *)"/bin/sh";
    argv[1] = (char *)"-c";
    argv[2] = (char *)"exec \"$0\" \"$@\" >/dev/full";
    argv[3] = (char *)gpushare_bin();
    for (size_t i = 0; i < n; i++)
        argv[4 + i] = (char *)args[i];
    proc_run(r, argv, &o);
}

static void test_edges(void **state)
{
    (void)state;
    setenv("GPUSHARE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    assert_int_equal(system("rm -rf " D " && mkdir -p " D), 0);
    for (size_t i = 0; i < COUNT(edges); i++) {
        const struct edge *e = &edges[i];
        struct proc r;
        char path[512];

        run_edge(e, &r);
        if (r.status != e->status)
            fail_msg("edge %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", e->edge, r.status,
                     e->status, r.out, r.err);
        if (e->out_has != NULL && strstr(r.out, e->out_has) == NULL)
            fail_msg("edge %s: no '%s' on stdout:\n%s", e->edge, e->out_has, r.out);
        if (e->out_lacks != NULL && strstr(r.out, e->out_lacks) != NULL)
            fail_msg("edge %s: '%s' on stdout:\n%s", e->edge, e->out_lacks, r.out);
        if (e->err_has != NULL && strstr(r.err, e->err_has) == NULL)
            fail_msg("edge %s: no '%s' on stderr:\n%s", e->edge, e->err_has, r.err);
        if (e->file != NULL) {
            const char *fp = expand(e->file, path, sizeof(path));
            char *text = file_text(fp);

            if (text == NULL)
                fail_msg("edge %s: no file '%s'", e->edge, fp);
            if ((e->file_has != NULL && strstr(text, e->file_has) == NULL) ||
                (e->file_lacks != NULL && strstr(text, e->file_lacks) != NULL)) {
                free(text);
                fail_msg("edge %s: '%s' has '%s' or lacks '%s'", e->edge, e->file,
                         e->file_lacks != NULL ? e->file_lacks : "",
                         e->file_has ? e->file_has : "");
            }
            free(text);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
    };

    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
