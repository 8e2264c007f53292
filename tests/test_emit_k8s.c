/*
 * `gpushare emit k8s` as a user runs it: the real binary writes each mode's directory, which
 * must equal the golden files under tests/golden/k8s/CASE/ byte for byte (tools/validate-k8s.sh
 * validates those against the Kubernetes schemas in `make test`, so what the binary writes is
 * what was validated). GPUSHARE_UPDATE_GOLDEN=1 rewrites the golden files from the binary
 * instead; review the diff before committing it. Refusals: exit 2, the rule named, and nothing
 * written.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "proc.h"

#define GOLDEN "tests/golden/k8s"

struct golden_case {
    const char *name;
    const char *args[PROC_MAX_ARGS - 2]; /* after `emit k8s`, before `--out DIR` */
};

static const struct golden_case cases[] = {
    {"timeslice", {"--mode", "timeslice", "--replicas", "4", NULL}},
    {"timeslice-renamed", {"--mode", "timeslice", "--replicas", "10", "--rename", NULL}},
    {"mps",
     {"--mode", "mps", "--replicas", "4", "--thread-pct", "25", "--mem-limit", "0=10G", NULL}},
    {"mig-single",
     {"--mode", "mig-single", "--mig-layout", "1g.10gb:7", "--gpu", "A100-80GB", NULL}},
    {"mig-mixed",
     {"--mode", "mig-mixed", "--mig-layout", "3g.40gb,2g.20gb,1g.10gb:2", "--gpu", "A100-80GB",
      "--replicas", "2", NULL}},
    {"fleet", {"--fleet-bench", "--nodes", "4", NULL}},
    {"fleet-list",
     {"--fleet-bench", "--node-list", "gpu-node-1,gpu-node-2", "--bench", "timeslice", NULL}},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static char scratch[64];

static int setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof(scratch), "/tmp/gpushare-k8s-test-XXXXXX");
    return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return remove_sandbox(scratch);
}

static void emit(struct proc *r, const char *const *args, const char *out)
{
    const char *argv[PROC_MAX_ARGS + 1] = {"emit", "k8s"};
    size_t n = 2;

    for (size_t i = 0; args[i] != NULL; i++)
        argv[n++] = args[i];
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n] = NULL;
    proc_gpushare(r, argv, NULL);
}

/* The relative names of the files under dir (and one level of subdirectories), sorted. */
static size_t list_files(const char *dir, char names[][128], size_t max)
{
    const char *subs[] = {"", "manifests/", "helm/"};
    size_t n = 0;

    for (size_t s = 0; s < 3; s++) {
        char path[512];
        struct dirent *e;
        DIR *d;

        snprintf(path, sizeof(path), "%s/%s", dir, subs[s]);
        if ((d = opendir(path)) == NULL)
            continue;
        while ((e = readdir(d)) != NULL) {
            char full[768];
            struct stat st;

            snprintf(full, sizeof(full), "%s%s", path, e->d_name);
            if (e->d_name[0] == '.' || stat(full, &st) < 0 || !S_ISREG(st.st_mode))
                continue;
            assert_true(n < max && strlen(subs[s]) + strlen(e->d_name) < 128);
            memcpy(names[n], subs[s], strlen(subs[s]));
            memcpy(names[n] + strlen(subs[s]), e->d_name, strlen(e->d_name) + 1);
            n++;
        }
        closedir(d);
    }
    qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
    return n;
}

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *text = slurp(from, &len);
    char dir[512];
    char *slash;

    assert_non_null(text);
    snprintf(dir, sizeof(dir), "%s", to);
    for (slash = strchr(dir + strlen(GOLDEN) + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(dir, 0755);
        *slash = '/';
    }
    assert_int_equal(write_file(to, text, 0644), 0);
    free(text);
}

static void compare_case(const struct golden_case *gc, const char *out, bool update)
{
    static char got[32][128], want[32][128];
    char golden[256], a[512], b[512];
    size_t ng = list_files(out, got, 32), nw;

    snprintf(golden, sizeof(golden), GOLDEN "/%s", gc->name);
    if (update) {
        for (size_t i = 0; i < ng; i++) {
            snprintf(a, sizeof(a), "%s/%s", out, got[i]);
            snprintf(b, sizeof(b), "%s/%s", golden, got[i]);
            copy_file(a, b);
        }
        return;
    }
    nw = list_files(golden, want, 32);
    if (ng != nw)
        fail_msg("%s: %zu files written, %zu golden", gc->name, ng, nw);
    for (size_t i = 0; i < ng; i++) {
        size_t la = 0, lb = 0;
        char *ta, *tb;

        if (strcmp(got[i], want[i]) != 0)
            fail_msg("%s: wrote '%s', golden has '%s'", gc->name, got[i], want[i]);
        snprintf(a, sizeof(a), "%s/%s", out, got[i]);
        snprintf(b, sizeof(b), "%s/%s", golden, got[i]);
        ta = slurp(a, &la);
        tb = slurp(b, &lb);
        assert_non_null(ta);
        assert_non_null(tb);
        if (la != lb || memcmp(ta, tb, la) != 0)
            fail_msg("%s: '%s' differs from %s (GPUSHARE_UPDATE_GOLDEN=1 make test rewrites the "
                     "golden files; review the diff)\n--- written:\n%.3000s",
                     gc->name, got[i], b, ta);
        free(ta);
        free(tb);
    }
}

/* Every case writes exactly its golden directory; the label script passes shellcheck. */
static void test_golden(void **state)
{
    const char *update = getenv("GPUSHARE_UPDATE_GOLDEN");

    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        char out[128], script[160];
        struct proc r;

        snprintf(out, sizeof(out), "%s/%s", scratch, cases[i].name);
        emit(&r, cases[i].args, out);
        expect_status(&r, 0, cases[i].name);
        expect_in(r.out, "files into", cases[i].name);
        compare_case(&cases[i], out, update != NULL && strcmp(update, "1") == 0);
        snprintf(script, sizeof(script), "%s/label-nodes.sh", out);
        if (exists(script)) {
            /* Through sh, which looks shellcheck up on PATH (posix_spawn does not). */
            char *argv[] = {(char *)"/bin/sh", (char *)"-c",
                            (char *)"exec shellcheck -s bash \"$0\"", script, NULL};

            proc_run(&r, argv, NULL);
            expect_status(&r, 0, "shellcheck label-nodes.sh");
        }
    }
}

/* A rule the device plugin enforces, or a bad option: exit 2, the rule named, nothing written. */
static void test_refusals(void **state)
{
    static const struct {
        const char *args[PROC_MAX_ARGS - 2];
        const char *says;
    } bad[] = {
        {{"--mode", "timeslice", "--replicas", "1", NULL}, "replicas >= 2"},
        {{"--mode", "mps", "--replicas", "1", NULL}, "replicas >= 2"},
        {{"--mode", "mig-single", "--mig-layout", "3g.40gb,1g.10gb", "--gpu", "A100-80GB", NULL},
         "one profile"},
        {{"--mode", "mig-mixed", NULL}, "--mig-layout"},
        {{"--mode", "mig-mixed", "--mig-layout", "4g.40gb,4g.40gb", "--gpu", "A100-80GB", NULL},
         "does not fit"},
        {{"--mode", "timeslice", "--thread-pct", "50", NULL}, "--mode mps"},
        {{"--mode", "timeslice", "--mig-layout", "1g.10gb", "--gpu", "A100-80GB", NULL},
         "MIG modes"},
        {{"--mode", "shared", NULL}, "shared"},
        {{"--mode", "timeslice", "--fleet-bench", NULL}, "either --mode, --plan or --fleet-bench"},
        {{"--plan", "p.json", "--mode", "timeslice", NULL}, "--plan decides the mode"},
        {{"--fleet-bench", "--nodes", "2", "--node-list", "a,b", NULL}, "not both"},
        {{"--mode", "timeslice", "--name", "Bad Name", NULL}, "Bad Name"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[128];
        struct proc r;

        snprintf(out, sizeof(out), "%s/refused-%zu", scratch, i);
        emit(&r, bad[i].args, out);
        expect_status(&r, 2, bad[i].says);
        expect_in(r.err, bad[i].says, "the refusal");
        if (exists(out))
            fail_msg("refusal %zu wrote '%s'", i, out);
    }
}

/* An existing directory's files are kept unless --force. */
static void test_no_overwrite(void **state)
{
    const char *args[] = {"--mode", "timeslice", NULL};
    char out[128];
    struct proc r;

    (void)state;
    snprintf(out, sizeof(out), "%s/twice", scratch);
    emit(&r, args, out);
    expect_status(&r, 0, "first");
    emit(&r, args, out);
    expect_status(&r, 1, "second, without --force");
    expect_in(r.err, "--force", "the refusal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_golden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_overwrite, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
