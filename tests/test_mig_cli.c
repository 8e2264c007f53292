/*
 * `gpushare mig` as a user meets it: the real (sanitized) binary, NVML pointed at a library
 * that does not exist so every case is the same with or without a GPU. Exit statuses, what
 * goes to stdout and what to stderr, unknown catalog figures, the files --out writes and
 * refuses, the fleet verdict, and JSON that cannot be written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

#define SCRATCH "build/test-out"
#define FX "tests/fixtures/"
#define MAX_ARGS 12

static void run(struct proc *r, const char *const *args)
{
    setenv("GPUSHARE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    proc_gpushare_in(r, args, SCRATCH);
}

static const struct {
    const char *args[MAX_ARGS + 1];
    int status;
    const char *out;     /* substring of stdout, or NULL */
    const char *err;     /* substring of stderr, or NULL */
    const char *not_out; /* not in stdout, or NULL */
    int err_lines;       /* exact number of stderr lines, or -1 */
} cases[] = {
    /* 1. A path is a file, even when it is missing or a directory: exit 1, as `plan` says it. */
    {{"mig", "plan", "nonexist.yaml", "--gpu", "H100-80GB", NULL},
     1,
     NULL,
     "gpushare: error: cannot open 'nonexist.yaml': No such file or directory",
     NULL,
     1},
    {{"mig", "plan", "missing.yml", "--gpu", "H100-80GB", NULL},
     1,
     NULL,
     "cannot open 'missing.yml': No such file or directory",
     NULL,
     1},
    {{"mig", "plan", "sub/dir/", "--gpu", "H100-80GB", NULL},
     1,
     NULL,
     "cannot open 'sub/dir/': No such file or directory",
     NULL,
     1},
    {{"mig", "plan", "tests", "--gpu", "H100-80GB", NULL},
     1,
     NULL,
     "cannot read 'tests': Is a directory",
     NULL,
     1},
    {{"mig", "plan", "llama", "--gpu", "H100-80GB", NULL},
     2,
     NULL,
     "invalid demand 'llama'",
     NULL,
     -1},
    /* 2. What the catalog does not know is "?", never 0, and sums over it are unknown. */
    {{"mig", "profiles", "--gpu", "B200-180GB", NULL},
     0,
     "B200-180GB: ? SMs, 7 compute slices",
     NULL,
     "0 SMs",
     0},
    {{"mig", "layouts", "--gpu", "B200-180GB", NULL},
     0,
     "  7g.180gb                                          ?     ?         ?\n",
     NULL,
     " 0.00\n",
     0},
    {{"mig", "check", "3g.90gb,2g.45gb", "--gpu", "B200-180GB", NULL},
     0,
     "SMs: ? of ? used, ? stranded; memory: ? GiB in 6 of 8 slices",
     NULL,
     "44.25 GiB in",
     0},
    {{"mig", "plan", "a:30gb:20smx2", "--gpu", "B200-180GB", NULL},
     0,
     "SMs: 60 of ? used, ? stranded; memory: 88.50 GiB",
     "gpushare: note: unverified catalog rows of B200-180GB",
     "of 0 used",
     1},
    {{"mig", "plan", "big:60gb", "--gpu", "B200-180GB", NULL},
     1,
     "the largest GPU instance of B200-180GB whose memory the catalog knows, 2g.45gb, has 44.25 "
     "GiB, and it does not know the memory of 3g.90gb, 4g.90gb and 7g.180gb",
     NULL,
     "larger than any instance",
     1},
    {{"mig", "plan", "big:200gb", "--gpu", "B200-180GB", NULL},
     1,
     "'big' needs 200 GiB per replica; B200-180GB has 180 GiB in all",
     NULL,
     NULL,
     1},
    {{"mig", "plan", "a:10gb:20sm", "--gpu", "H100-PCIE-80GB", NULL},
     1,
     "the catalog does not know the SMs of 1g.20gb",
     NULL,
     "has 0",
     1},
    /* 4. An invalid layout is "the answer is no", 3; a failure is 1. */
    {{"mig", "check", "3g.40gb,3g.40gb,1g.10gb", "--gpu", "H100-80GB", NULL},
     3,
     "invalid: 3g.40gb x2 + 1g.10gb on H100-80GB",
     NULL,
     NULL,
     0},
    {{"mig", "check", "1g.10gb:8", "--gpu", "H100-80GB", NULL},
     3,
     "at most 7 instances",
     NULL,
     NULL,
     0},
    {{"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out", "/proc/x", NULL},
     1,
     NULL,
     "gpushare: error: cannot create '/proc/x'",
     "valid",
     1},
    {{"mig", "check", "--help", NULL}, 0, "3 invalid layout (nothing written)", NULL, NULL, 0},
    /* 6. The unverified-rows note is a warning: stderr. The profiles table keeps its column. */
    {{"mig", "plan", "m:1.5gbx40", "--gpu", "A100-80GB", NULL},
     1,
     "6 x A100-80GB, one replica per instance (no fewer can)",
     "gpushare: note: unverified catalog rows of A100-80GB (gpushare mig profiles --gpu "
     "A100-80GB): 1g.20gb\n",
     "unverified catalog rows",
     1},
    {{"mig", "profiles", "--gpu", "H200-141GB", NULL}, 0, "* unverified rows", NULL, NULL, 0},
    /* Counts and "nothing asked" read naturally. */
    {{"mig", "plan", "m:1.5gbx40", "--gpu", "A100-80GB", NULL},
     1,
     "6 of at most  6 MPS clients, 9.0 GiB\n",
     NULL,
     "0 SMs asked",
     1},
    {{"mig", "plan", "m:1.5gbx40", "--gpu", "A100-80GB", NULL},
     1,
     "60.0 of 80 GiB (nominal); no isolation between them",
     NULL,
     "0 of 108",
     1},
    {{"mig", "plan", "m:1.5gb:2smx40", "--gpu", "A100-80GB", NULL},
     1,
     "80 of 108 SMs asked; no isolation",
     NULL,
     NULL,
     1},
    {{"mig", "layouts", "--gpu", "A30-24GB", NULL}, 0, "  9 maximal layouts\n", NULL, NULL, 0},
    /* 8. Each subcommand its own help; conflicting options name both. */
    {{"mig", "plan", "--help", NULL},
     0,
     "usage: gpushare mig plan DEMANDS",
     NULL,
     "gpushare mig check",
     0},
    {{"mig", "check", "--help", NULL},
     0,
     "usage: gpushare mig check LAYOUT",
     NULL,
     "gpushare mig plan",
     0},
    {{"mig", "layouts", "-h", NULL},
     0,
     "usage: gpushare mig layouts",
     NULL,
     "gpushare mig check",
     0},
    {{"mig", "profiles", "--help", NULL}, 0, "--live", NULL, "DEMANDS", 0},
    {{"mig", "--help", NULL}, 0, "subcommands:\n  profiles", NULL, NULL, 0},
    {{"help", "mig", NULL}, 0, "usage: gpushare mig profiles", NULL, NULL, 0},
    {{"mig", "profiles", "--gpu", "X", "--live", NULL},
     2,
     NULL,
     "--gpu and --live both name the GPU",
     NULL,
     -1},
    {{"mig", "profiles", "--device", "1", NULL}, 2, NULL, "pass --live too", NULL, -1},
    {{"mig", "profiles", "--live", NULL}, 69, NULL, "gpushare: no GPU:", NULL, 1},
    /* 9. An option a subcommand does not take is unknown. */
    {{"mig", "layouts", "--out", SCRATCH "/mig-never", "--name", "X", NULL},
     2,
     NULL,
     "unknown option '--out'",
     NULL,
     -1},
    {{"mig", "layouts", "--force", NULL}, 2, NULL, "unknown option '--force'", NULL, -1},
    {{"mig", "profiles", "--name", "x", NULL}, 2, NULL, "unknown option '--name'", NULL, -1},
    {{"mig", "check", "3g.40gb", "--gpu", "H100-80GB", "--fleet", "f.json", NULL},
     2,
     NULL,
     "unknown option '--fleet'",
     NULL,
     -1},
    {{"mig", "check", "3g.40gb", "--gpu", "H100-80GB", "--name", "x", NULL},
     2,
     NULL,
     "--name is for the files --out DIR writes",
     NULL,
     -1},
    {{"mig", "plan", "a:1gb", "--gpu", "H100-80GB", "--force", NULL},
     2,
     NULL,
     "--force is for the files --out DIR writes",
     NULL,
     -1},
    {{"mig", "check", "7g.80gb", "--gpu", "H100-80GB", "--name", "-bad", NULL},
     2,
     NULL,
     "must begin and end with a letter or digit",
     NULL,
     -1},
    {{"mig", "check", NULL}, 2, NULL, "check takes exactly one LAYOUT", NULL, -1},
    {{"mig", "layouts", "extra", NULL}, 2, NULL, "unexpected argument 'extra'", NULL, -1},
    {{"mig", "resize", NULL},
     2,
     NULL,
     "unknown subcommand 'resize': expected profiles, check, layouts or plan",
     NULL,
     -1},
    {{"mig", NULL}, 2, NULL, "which subcommand?", NULL, -1},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc r;

        run(&r, cases[i].args);
        if (r.status != cases[i].status ||
            (cases[i].out != NULL && strstr(r.out, cases[i].out) == NULL) ||
            (cases[i].err != NULL && strstr(r.err, cases[i].err) == NULL) ||
            (cases[i].not_out != NULL && strstr(r.out, cases[i].not_out) != NULL) ||
            (cases[i].err_lines >= 0 && count_lines(r.err) != cases[i].err_lines))
            fail_msg("case %zu (mig %s ...): status %d (want %d)\nstdout: %.1500s\nstderr: %.600s",
                     i, cases[i].args[1] ? cases[i].args[1] : "", r.status, cases[i].status, r.out,
                     r.err);
    }
}

static json_t *parse(const struct proc *r, const char *what)
{
    json_error_t jerr;
    json_t *j = json_loads(r->out, 0, &jerr);

    if (j == NULL)
        fail_msg("%s: not JSON (%s):\n%.2000s", what, jerr.text, r->out);
    return j;
}

static const json_t *profile_named(const json_t *gpu, const char *name)
{
    size_t i;
    const json_t *p;

    json_array_foreach (json_object_get(gpu, "profiles"), i, p)
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            return p;
    fail_msg("no profile '%s'", name);
    return NULL;
}

/* 2. Unknown is JSON null, in every document that carries the figure. */
static void test_unknown_is_null(void **state)
{
    struct proc r;
    json_t *j;
    const json_t *p;

    (void)state;
    run(&r, (const char *const[]){"mig", "profiles", "--gpu", "B200-180GB", "--json", NULL});
    expect_status(&r, 0, "profiles --json");
    j = parse(&r, "profiles --json");
    assert_true(json_is_null(json_object_get(j, "sms")));
    p = profile_named(j, "3g.90gb");
    assert_true(json_is_null(json_object_get(p, "sms")));
    assert_true(json_is_null(json_object_get(p, "memory_gib")));
    assert_true(json_is_null(json_object_get(p, "id")));
    p = profile_named(j, "2g.45gb");
    assert_int_equal(json_integer_value(json_object_get(p, "sms")), 36);
    json_decref(j);

    run(&r, (const char *const[]){"mig", "check", "3g.90gb,2g.45gb", "--gpu", "B200-180GB",
                                  "--json", NULL});
    expect_status(&r, 0, "check --json");
    j = parse(&r, "check --json");
    assert_true(json_is_null(json_object_get(j, "memory_gib")));
    assert_true(json_is_null(json_object_get(j, "sms_used")));
    assert_true(json_is_null(json_object_get(j, "sms_stranded")));
    assert_true(json_is_false(json_object_get(j, "memory_known")));
    json_decref(j);

    // Every SM known but the whole GPU's: used is a number, stranded is not.
    run(&r,
        (const char *const[]){"mig", "check", "2g.45gb", "--gpu", "B200-180GB", "--json", NULL});
    j = parse(&r, "check 2g --json");
    assert_int_equal(json_integer_value(json_object_get(j, "sms_used")), 36);
    assert_true(json_is_null(json_object_get(j, "sms_stranded")));
    json_decref(j);

    run(&r,
        (const char *const[]){"mig", "plan", "big:60gb", "--gpu", "B200-180GB", "--json", NULL});
    expect_status(&r, 1, "plan --json");
    j = parse(&r, "plan --json");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "unknown_size");
    assert_true(json_is_null(json_object_get(
        json_object_get(json_object_get(j, "alternatives"), "mps_whole_gpu"), "gpu_sms")));
    json_decref(j);
}

/* 7. JSON that cannot reach stdout is a failure, with the reason. */
static void test_json_write_errors(void **state)
{
    static const char *const cmds[] = {
        "mig layouts --json",
        "mig layouts --gpu H100-80GB --json",
        "mig profiles --json",
        "mig profiles --gpu H100-80GB --json",
        "mig check 3g.40gb --gpu H100-80GB --json",
        "mig plan a:1gb --gpu H100-80GB --json",
    };
    static char sh[] = "/bin/sh", c[] = "-c";
    struct proc r;
    char cmd[256];

    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    setenv("GPUSHARE_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        snprintf(cmd, sizeof(cmd), "%s %s >/dev/full", gpushare_bin(), cmds[i]);
        proc_run(&r, (char *const[]){sh, c, cmd, NULL}, NULL);
        expect_status(&r, 1, cmds[i]);
        expect_in(r.err, "gpushare: error: cannot write the ", cmds[i]);
        expect_in(r.err, "No space left on device", cmds[i]);
    }
}

/* 4, 5, 10. --out: written before anything is printed, refused when present, replaced with
 * --force, and a plan that does not fit says it wrote nothing. */
static void test_out_files(void **state)
{
    char dir[] = "/tmp/gpushare-mig-cli-XXXXXX", sub[96], yaml[128], sh[128], none[96];
    struct proc r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/cfg", dir);
    snprintf(none, sizeof(none), "%s/none", dir);
    snprintf(yaml, sizeof(yaml), "%s/x.yaml", sub);
    snprintf(sh, sizeof(sh), "%s/x.sh", sub);

    run(&r, (const char *const[]){"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out",
                                  sub, "--name", "x", NULL});
    expect_status(&r, 0, "check --out");
    expect_in(r.out, "valid: 3g.40gb + 2g.20gb on A100-80GB", "check --out");
    expect_in(r.out, "nvidia.com/mig.config=x", "check --out");
    assert_true(exists(yaml) && exists(sh));

    // 10. Present: refused, nothing printed; --force replaces.
    run(&r, (const char *const[]){"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out",
                                  sub, "--name", "x", NULL});
    expect_status(&r, 1, "check --out again");
    expect_in(r.err, "x.yaml' exists: pass --force to replace it", "check --out again");
    assert_string_equal(r.out, "");
    run(&r, (const char *const[]){"mig", "check", "3g.40gb,2g.20gb", "--gpu", "A100-80GB", "--out",
                                  sub, "--name", "x", "--force", NULL});
    expect_status(&r, 0, "check --out --force");
    run(&r, (const char *const[]){"mig", "plan", "a:10gb", "--gpu", "A100-80GB", "--out", sub,
                                  "--name", "x", NULL});
    expect_status(&r, 1, "plan --out over");
    expect_in(r.err, "exists: pass --force to replace it", "plan --out over");
    expect_not_in(r.out, "fits", "plan --out over");
    run(&r, (const char *const[]){"mig", "plan", "a:10gb", "--gpu", "A100-80GB", "--out", sub,
                                  "--name", "x", "-f", NULL});
    expect_status(&r, 0, "plan --out -f");
    expect_in(r.out, "fits on one A100-80GB", "plan --out -f");

    // 4. An invalid layout writes nothing and says so; exit 3.
    run(&r, (const char *const[]){"mig", "check", "3g.40gb:3", "--gpu", "A100-80GB", "--out", none,
                                  NULL});
    expect_status(&r, 3, "invalid --out");
    expect_in(r.err, "gpushare: nothing written to ", "invalid --out");
    expect_in(r.err, ": the layout is invalid", "invalid --out");
    assert_false(exists(none));

    // 5. A plan that does not fit: the same status as before, and stderr says nothing was written.
    run(&r, (const char *const[]){"mig", "plan", "m:1.5gbx40", "--gpu", "A100-80GB", "--out", none,
                                  NULL});
    expect_status(&r, 1, "plan no fit --out");
    expect_in(r.err, ": the demands do not fit on one A100-80GB with MIG alone",
              "plan no fit --out");
    assert_false(exists(none));

    unlink(yaml);
    unlink(sh);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* 3. The fleet verdict weighs the MPS alternatives it prints, and comes first. */
static void test_fleet_verdict(void **state)
{
    char dir[] = "/tmp/gpushare-mig-fleet-XXXXXX", fleet[96], hard[96], out[96];
    struct proc r;
    json_t *j;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(fleet, sizeof(fleet), "%s/fleet.json", dir);
    snprintf(hard, sizeof(hard), "%s/hard.yaml", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    run(&r, (const char *const[]){"fleet", "merge", "-o", fleet, FX "fleet-a100-node1.json",
                                  FX "fleet-a100-node2.json", FX "fleet-a100-node3.json",
                                  FX "fleet-a100-node4.json", NULL});
    expect_status(&r, 0, "fleet merge");

    // 40 models on four A100s: MIG alone needs six, MPS inside MIG slices fits on one.
    run(&r, (const char *const[]){"mig", "plan", FX "demands-good-40-models.yaml", "--fleet", fleet,
                                  "--out", out, NULL});
    expect_status(&r, 0, "40 on four");
    {
        const char *fits = strstr(r.out, "it fits");

        if (strncmp(r.out, "fleet '", 7) != 0 || fits == NULL || fits > strchr(r.out, '\n'))
            fail_msg("the verdict does not lead:\n%.600s", r.out);
    }
    expect_in(r.out,
              "the plan needs 1 x A100-80GB, with MPS inside MIG slices; the fleet has 4: it fits "
              "(MIG alone, one replica per instance, needs 6)",
              "40 on four");
    expect_in(r.out, "    MPS inside MIG slices fits on one A100-80GB: 1g.10gb x7\n", "40 on four");
    expect_in(r.err, "nothing written to ", "40 on four");
    expect_in(r.err, "the plan shares MIG slices through MPS", "40 on four");
    assert_false(exists(out));

    run(&r, (const char *const[]){"mig", "plan", FX "demands-good-40-models.yaml", "--fleet", fleet,
                                  "--json", NULL});
    expect_status(&r, 0, "40 on four --json");
    j = parse(&r, "40 on four --json");
    assert_true(json_is_true(json_object_get(j, "fits_in_fleet")));
    assert_string_equal(json_string_value(json_object_get(j, "fits_with")), "mps_in_slices");
    {
        const json_t *m = json_array_get(json_object_get(j, "models"), 0);

        assert_int_equal(json_integer_value(json_object_get(m, "mig_gpus_needed")), 6);
        assert_int_equal(json_integer_value(json_object_get(m, "gpus_needed")), 1);
    }
    json_decref(j);

    // One replica needs hard isolation: MPS on the whole GPU does not count, nothing fits.
    f = fopen(hard, "w");
    assert_non_null(f);
    fputs("models:\n  - name: a\n    memory_gib: 1\n    replicas: 45\n"
          "  - name: b\n    memory_gib: 1\n    isolation: hard\n",
          f);
    assert_int_equal(fclose(f), 0);
    run(&r, (const char *const[]){"mig", "plan", hard, "--fleet", fleet, NULL});
    expect_status(&r, 1, "hard");
    expect_in(r.out, "it does not fit, and neither MPS alternative does on one GPU", "hard");
    expect_in(r.out, "MPS on the whole GPU has room on one, but a model needs hard isolation",
              "hard");

    unlink(hard);
    unlink(fleet);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_unknown_is_null),
        cmocka_unit_test(test_json_write_errors),
        cmocka_unit_test(test_out_files),
        cmocka_unit_test(test_fleet_verdict),
    };

    return cmocka_run_group_tests_name("mig_cli", tests, NULL, NULL);
}
