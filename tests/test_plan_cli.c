/*
 * `gpushare plan` as a user runs it, the planner issue's acceptance list: the real (sanitized)
 * binary plans every shipped example, and its decision table must equal
 * tests/golden/plan/NAME.table.txt byte for byte (GPUSHARE_UPDATE_GOLDEN=1 rewrites them from
 * the binary; review the diff before committing it). The plan documents it writes are left in
 * build/test-out/plans/ for tools/validate-json.sh (docs/plan.schema.json), a plan nothing fits
 * among them. Every bad input exits 2 with its message (file, line and column where the parser
 * gives them) and writes nothing; --emit writes the same files as `emit mps --plan` and
 * `emit k8s --plan`, with the figures the plan document states; --json, the table and the text
 * name the same recommendation; `plan check` sets the predictions beside a measured mix.
 */
#include <dirent.h>
#include <sys/stat.h>

#include <jansson.h>

#include "proc.h"

#include "check.h" /* after proc.h, which brings cmocka */

#define OUT_DIR "build/test-out"
#define PLANS_DIR OUT_DIR "/plans"
#define JSON_DIR OUT_DIR "/plan-json" /* --json's stdout: not a results document, so not *.json */
#define BAD_DIR OUT_DIR "/plan-bad"
#define NEVER_FILE OUT_DIR "/plan-never-written.json"
#define NEVER_DIR OUT_DIR "/plan-never-dir"
#define EMIT_DIR OUT_DIR "/plan-emit"
#define EMIT_MPS OUT_DIR "/plan-emit-mps"
#define EMIT_K8S OUT_DIR "/plan-emit-k8s"
#define NOFIT_DIR OUT_DIR "/plan-nofit-dir"
#define CHECK_OUT OUT_DIR "/plan-check.json"
#define GOLDEN "tests/golden/plan"
#define NOFIT_YAML "tests/fixtures/plan-nofit.yaml"
#define MIX_DOC "results/2026-12-07-h100-mix-large.json"
#define NOT_MIX_DOC "results/2026-11-24-h100-mig.json"
#define EX40 "40-models-a100-80gb"
#define MAX_FILES 32
#define PLAN_USAGE "\nusage: gpushare plan FILE.yaml"

/* What `gpushare plan --examples` must list, in its order. */
static const char *const examples[] = {EX40, "mixed-tenants-h100", "large-and-small-h100"};
#define NEXAMPLES (sizeof(examples) / sizeof(examples[0]))

/* Runs the binary with args (NULL-ended), its output captured in OUT_DIR. */
static void run(struct proc *r, const char *const *args)
{
    const struct proc_opts o = {.tmp_dir = OUT_DIR};

    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    proc_gpushare(r, args, &o);
}

/*
 * Runs `gpushare plan ARGS...` with stdout into the file out (a plan document outgrows the
 * 16 KiB struct proc keeps), through sh, which does the redirection. r keeps stderr.
 */
static void run_to_file(struct proc *r, const char *out, const char *const *args)
{
    char *argv[PROC_MAX_ARGS + 2];
    size_t n = 0;

    argv[n++] = (char *)"/bin/sh";
    argv[n++] = (char *)"-c";
    argv[n++] = (char *)"f=$1; shift; exec \"$@\" >\"$f\"";
    argv[n++] = (char *)"sh";
    argv[n++] = (char *)out;
    argv[n++] = (char *)gpushare_bin();
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n < PROC_MAX_ARGS + 1);
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
    proc_run(r, argv, &(struct proc_opts){.tmp_dir = OUT_DIR});
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t count_of(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* Removes what a previous run left at path; nothing there is fine. */
static void clear(const char *path)
{
    if (exists(path) && remove_tree(path) < 0)
        fail_msg("cannot remove '%s' left by an earlier run", path);
}

/* ---- trees of files ---- */

struct tree {
    size_t n;
    char names[MAX_FILES][128]; /* relative to the root, sorted */
};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void list_under(const char *root, const char *rel, struct tree *t, int depth)
{
    char path[512];
    struct dirent *e;
    DIR *d;

    snprintf(path, sizeof(path), "%s%s%s", root, rel[0] != '\0' ? "/" : "", rel);
    if ((d = opendir(path)) == NULL)
        fail_msg("cannot list '%s'", path);
    while ((e = readdir(d)) != NULL) {
        char sub[512], full[1024];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] != '\0' ? "/" : "", e->d_name);
        snprintf(full, sizeof(full), "%s/%s", root, sub);
        assert_int_equal(lstat(full, &st), 0);
        if (S_ISDIR(st.st_mode) && depth < 4) {
            list_under(root, sub, t, depth + 1);
        } else {
            if (!S_ISREG(st.st_mode))
                fail_msg("'%s' is not a regular file", full);
            assert_true(t->n < MAX_FILES && strlen(sub) < sizeof(t->names[0]));
            memcpy(t->names[t->n++], sub, strlen(sub) + 1);
        }
    }
    closedir(d);
}

/* Every regular file under root, recursively. */
static void list_tree(const char *root, struct tree *t)
{
    t->n = 0;
    list_under(root, "", t, 0);
    qsort(t->names, t->n, sizeof(t->names[0]), name_cmp);
}

/* The trees a and b hold the same files: names, bytes and permission bits. */
static void expect_same_tree(const char *a, const char *b)
{
    static struct tree ta, tb;

    list_tree(a, &ta);
    list_tree(b, &tb);
    if (ta.n == 0)
        fail_msg("'%s' holds no files", a);
    if (ta.n != tb.n)
        fail_msg("'%s' holds %zu files, '%s' %zu", a, ta.n, b, tb.n);
    for (size_t i = 0; i < ta.n; i++) {
        char pa[512], pb[512];
        size_t la = 0, lb = 0;
        struct stat sa, sb;
        char *xa, *xb;

        if (strcmp(ta.names[i], tb.names[i]) != 0)
            fail_msg("'%s' has '%s' where '%s' has '%s'", a, ta.names[i], b, tb.names[i]);
        snprintf(pa, sizeof(pa), "%s/%s", a, ta.names[i]);
        snprintf(pb, sizeof(pb), "%s/%s", b, tb.names[i]);
        xa = slurp(pa, &la);
        xb = slurp(pb, &lb);
        assert_non_null(xa);
        assert_non_null(xb);
        if (la != lb || memcmp(xa, xb, la) != 0)
            fail_msg("'%s' and '%s' differ\n--- %s:\n%.2000s\n--- %s:\n%.2000s", pa, pb, pa, xa, pb,
                     xb);
        assert_int_equal(stat(pa, &sa), 0);
        assert_int_equal(stat(pb, &sb), 0);
        if ((sa.st_mode & 07777) != (sb.st_mode & 07777))
            fail_msg("'%s' has mode %o, '%s' %o", pa, (unsigned)(sa.st_mode & 07777), pb,
                     (unsigned)(sb.st_mode & 07777));
        free(xa);
        free(xb);
    }
}

/* No temporary directory of fileset_dir_begin ("DIR.gpushare-XXXXXX") is left beside dir. */
static void expect_no_leftover(const char *dir)
{
    const char *base = strrchr(dir, '/') + 1;
    char prefix[128];
    struct dirent *e;
    DIR *d = opendir(OUT_DIR);

    snprintf(prefix, sizeof(prefix), "%s.gpushare-", base);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (starts_with(e->d_name, prefix))
            fail_msg("'%s/%s' was left behind", OUT_DIR, e->d_name);
    closedir(d);
}

/* ---- the decision table ---- */

/*
 * The table's one recommended mode into mode[size]: the table has a header and a row per mode
 * (9), and exactly one row's verdict, its last column, is "recommended".
 */
static void table_recommended(const char *name, const char *table, char *mode, size_t size)
{
    const char *line = table, *found = NULL;
    size_t rows = 0, n = 0;

    if (!starts_with(table, "  mode "))
        fail_msg("%s: the table does not begin with its header:\n%s", name, table);
    while (*line != '\0') {
        const char *end = strchr(line, '\n');

        assert_non_null(end);
        rows++;
        if ((size_t)(end - line) > 13 && memcmp(end - 13, "  recommended", 13) == 0) {
            n++;
            found = line;
        }
        line = end + 1;
    }
    if (rows != 10)
        fail_msg("%s: %zu table lines, want a header and 9 modes:\n%s", name, rows, table);
    if (n != 1 || count_of(table, "recommended") != 1)
        fail_msg("%s: %zu rows recommended, want exactly one:\n%s", name, n, table);
    found += 2;
    n = strcspn(found, " ");
    assert_true(n > 0 && n < size);
    memcpy(mode, found, n);
    mode[n] = '\0';
}

/* `plan --example NAME --table`: status 0, nothing on stderr, the table into out. */
static void example_table(const char *name, struct proc *r)
{
    const char *args[] = {"plan", "--example", name, "--table", NULL};

    run(r, args);
    expect_status(r, 0, name);
    if (r->err[0] != '\0')
        fail_msg("%s --table: stderr: %s", name, r->err);
}

/* --examples lists exactly the examples this suite has golden tables for. */
static void test_examples_listed(void **state)
{
    const char *args[] = {"plan", "--examples", NULL};
    const char *line;
    struct proc r;

    (void)state;
    run(&r, args);
    expect_status(&r, 0, "plan --examples");
    line = r.out;
    for (size_t i = 0; i < NEXAMPLES; i++) {
        if (!starts_with(line, examples[i]) || line[strlen(examples[i])] != ' ')
            fail_msg("example %zu is not '%s':\n%s", i, examples[i], r.out);
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    if (*line != '\0')
        fail_msg("more examples than %zu (add their golden tables):\n%s", NEXAMPLES, r.out);
}

/* 1: each example's table equals its golden file; the text leads with the recommendation. */
static void test_golden_tables(void **state)
{
    const char *update = getenv("GPUSHARE_UPDATE_GOLDEN");
    bool rewrite = update != NULL && strcmp(update, "1") == 0;

    (void)state;
    for (size_t i = 0; i < NEXAMPLES; i++) {
        const char *text_args[] = {"plan", "--example", examples[i], NULL};
        char golden[256], mode[32];
        size_t len = 0;
        struct proc r;
        char *want;

        snprintf(golden, sizeof(golden), GOLDEN "/%s.table.txt", examples[i]);
        example_table(examples[i], &r);
        table_recommended(examples[i], r.out, mode, sizeof(mode));
        if (rewrite) {
            mkdir("tests/golden", 0755);
            mkdir(GOLDEN, 0755);
            assert_int_equal(write_file(golden, r.out, 0644), 0);
        } else {
            want = slurp(golden, &len);
            if (want == NULL)
                fail_msg("no '%s' (GPUSHARE_UPDATE_GOLDEN=1 writes it; review it)", golden);
            if (len != strlen(r.out) || memcmp(want, r.out, len) != 0)
                fail_msg("%s: the table differs from %s (GPUSHARE_UPDATE_GOLDEN=1 rewrites the "
                         "golden files; review the diff)\n--- written:\n%s--- golden:\n%s",
                         examples[i], golden, r.out, want);
            free(want);
        }
        run(&r, text_args);
        expect_status(&r, 0, examples[i]);
        if (!starts_with(r.out, "Recommended: ") || r.out[13] == '\n')
            fail_msg("%s: the text does not begin with 'Recommended: ':\n%.500s", examples[i],
                     r.out);
    }
}

/* 2: plan documents for the schema validator, one of a plan nothing fits. */
static void test_plan_documents(void **state)
{
    const char *nofit_args[] = {"plan",    NOFIT_YAML, "-o",      PLANS_DIR "/no-fit.json",
                                "--force", "--emit",   NOFIT_DIR, NULL};
    const char *nofit_table[] = {"plan", NOFIT_YAML, "--table", NULL};
    struct proc r;
    json_t *doc;

    (void)state;
    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    mkdir(PLANS_DIR, 0755);
    for (size_t i = 0; i < NEXAMPLES; i++) {
        char out[256];
        const char *args[] = {"plan", "--example", examples[i], "-o", out, "--force", NULL};
        const char *again[] = {"plan", "--example", examples[i], "-o", out, NULL};
        size_t len = 0;
        struct stat before, after;
        char *text;

        snprintf(out, sizeof(out), PLANS_DIR "/%s.json", examples[i]);
        run(&r, args);
        expect_status(&r, 0, out);
        text = slurp(out, &len);
        if (text == NULL)
            fail_msg("%s: -o wrote no '%s'", examples[i], out);
        expect_in(text, "\"schema\": \"gpushare.plan/1\"", out);
        free(text);
        doc = check_load_json(out);
        assert_true(
            json_is_string(json_object_get(json_object_get(doc, "recommendation"), "mode")));
        assert_true(json_is_object(json_object_get(doc, "deploy")));
        json_decref(doc);
        /* Without --force an existing document stays, untouched: status 1. */
        assert_int_equal(stat(out, &before), 0);
        run(&r, again);
        expect_status(&r, 1, "-o over an existing file");
        expect_in(r.err, "exists: pass --force to replace it", "-o without --force");
        assert_int_equal(stat(out, &after), 0);
        assert_true(before.st_ino == after.st_ino && before.st_size == after.st_size);
    }
    /* Nothing fits: status 1, the document still written (deploy null), no --emit directory. */
    clear(NOFIT_DIR);
    run(&r, nofit_args);
    expect_status(&r, 1, "a plan nothing fits");
    if (!starts_with(r.out, "No sharing mode fits: "))
        fail_msg("no-fit: the text does not begin with 'No sharing mode fits: ':\n%.500s", r.out);
    expect_in(r.err, "gpushare: nothing written into " NOFIT_DIR ": no mode fits", "no-fit");
    if (exists(NOFIT_DIR))
        fail_msg("no-fit wrote '%s'", NOFIT_DIR);
    expect_no_leftover(NOFIT_DIR);
    doc = check_load_json(PLANS_DIR "/no-fit.json");
    assert_string_equal(json_string_value(json_object_get(doc, "schema")), "gpushare.plan/1");
    assert_true(json_is_null(json_object_get(doc, "deploy")));
    assert_true(json_is_null(json_object_get(json_object_get(doc, "recommendation"), "mode")));
    json_decref(doc);
    run(&r, nofit_table);
    expect_status(&r, 1, "no-fit --table");
    expect_not_in(r.out, "recommended", "no-fit --table");
    expect_not_in(r.out, "works", "no-fit --table");
    expect_in(r.out, "too big", "no-fit --table");
}

/* ---- 3: bad input ---- */

/* Plan files the parser refuses, each with where and what it says. */
static const struct {
    const char *name;
    const char *yaml;
    const char *at; /* "LINE:COLUMN" the message names, or NULL: the message quotes the file */
    const char *msg;
} bad_yaml[] = {
    {"syntax", "gpus: [\n  - model: H100-80GB\nworkloads:\n  - name: a\n", "2:3",
     "invalid yaml: did not find expected node content (while parsing a flow node)"},
    {"syntax-quote", "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: \"a\n    memory_gib: 1\n",
     "6:1", "invalid yaml: found unexpected end of stream (while scanning a quoted scalar)"},
    {"top-key",
     "gpus:\n  - model: H100-80GB\ntenants: [a]\nworkloads:\n  - name: a\n    memory_gib: 1\n",
     "3:1", "unknown key 'tenants' in the document: expected gpus and workloads (or models)"},
    {"top-key-typo", "gpu:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n",
     "1:1", "unknown key 'gpu' in the document: did you mean 'gpus'?"},
    {"workload-key", "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gb: 1\n",
     "5:5", "unknown key 'memory_gb' in a workload: did you mean 'memory_gib'?"},
    {"workload-key-far",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n    priority: 1\n",
     "6:5",
     "unknown key 'priority' in a workload: expected name, memory_gib, replicas, min_sms, "
     "compute_fraction, requests_per_s, gpu_ms_per_request, gpu_ms_p99_per_request, "
     "latency_slo_ms, tenant or isolation"},
    {"no-gpus", "workloads:\n  - name: a\n    memory_gib: 1\n", NULL,
     "names no GPUs: add a 'gpus:' list, or give --gpu MODEL[:COUNT]"},
    {"unknown-gpu", "gpus:\n  - model: X100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n",
     "2:12",
     "model: expected a catalog model such as A100-80GB or H100-80GB (gpushare mig profiles "
     "lists them), got 'X100-80GB'"},
    {"count-0",
     "gpus:\n  - model: H100-80GB\n    count: 0\nworkloads:\n  - name: a\n    memory_gib: 1\n",
     "3:12", "count: expected a whole number from 1 to 100000, got '0'"},
    {"negative-memory",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: -1\n", "5:17",
     "memory_gib: expected a positive number (GiB, at most 65536), got '-1'"},
    {"quoted-memory",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: \"1\"\n", "5:17",
     "memory_gib: expected a positive number (GiB, at most 65536), got the string '1'"},
    {"no-memory", "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    replicas: 2\n", "4:5",
     "workload 'a' has no 'memory_gib'"},
    {"sms-and-fraction",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n    min_sms: 10\n"
     "    compute_fraction: 0.5\n",
     "7:23", "workload 'a': min_sms and compute_fraction both given: expected one"},
    {"rate-alone",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n"
     "    requests_per_s: 10\n",
     "6:21", "workload 'a': requests_per_s and gpu_ms_per_request go together: expected both"},
    {"slo-0",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n"
     "    requests_per_s: 10\n    gpu_ms_per_request: 1\n    latency_slo_ms: 0\n",
     "8:21", "latency_slo_ms: expected milliseconds above 0 and at most 10000000, got '0'"},
    {"isolation",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n"
     "    isolation: strict\n",
     "6:16", "isolation: expected none, soft or hard, got 'strict'"},
    {"duplicate",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n  - name: a\n"
     "    memory_gib: 2\n",
     "6:11", "duplicate workload name 'a' (first at line 4)"},
    {"empty-list", "gpus:\n  - model: H100-80GB\nworkloads: []\n", "3:12",
     "workloads: the list is empty: expected at least one workload"},
    {"no-list", "gpus:\n  - model: H100-80GB\nworkloads:\n", "3:11",
     "workloads: expected a list of workloads, got nothing"},
    {"two-documents",
     "gpus:\n  - model: H100-80GB\nworkloads:\n  - name: a\n    memory_gib: 1\n---\ngpus: []\n",
     "7:1", "a second document: expected one"},
};

/* Bad options and arguments; -o NEVER_FILE --emit NEVER_DIR are added to each. */
static const struct {
    const char *args[10];
    int status;
    const char *msg; /* on stderr, whole */
} bad_args[] = {
    {{"plan", BAD_DIR "/nonexistent.yaml", NULL},
     1,
     "gpushare: error: cannot open '" BAD_DIR "/nonexistent.yaml': No such file or directory"},
    {{"plan", "--example", "nope", NULL},
     2,
     "gpushare: error: no example 'nope': gpushare plan --examples lists them"},
    {{"plan", "--example", EX40, "--gpu", "X100", NULL},
     2,
     "gpushare: error: unknown GPU 'X100': expected one of A100-40GB, A100-80GB, "},
    {{"plan", "--example", EX40, "--gpu", "H100-80GB:0", NULL},
     2,
     "gpushare: error: invalid value '0' for --gpu COUNT: expected a whole number from 1 to "
     "100000"},
    {{"plan", "--example", EX40, "--bogus", NULL}, 2, "gpushare: error: unknown option '--bogus'"},
    {{"plan", NULL}, 2, "gpushare: error: give a plan file or --example NAME (one of the two)"},
    {{"plan", NOFIT_YAML, "--example", EX40, NULL},
     2,
     "gpushare: error: give a plan file or --example NAME (one of the two)"},
    {{"plan", NOFIT_YAML, NOFIT_YAML, NULL},
     2,
     "gpushare: error: unexpected argument '" NOFIT_YAML "'"},
    {{"plan", "--example", EX40, "--json", "--table", NULL},
     2,
     "gpushare: error: --json and --table: give one"},
};

/* After a refused run: nothing on stdout, the message, the usage when status 2, nothing
 * written. */
static void expect_refused(const struct proc *r, int status, const char *msg, const char *what)
{
    expect_status(r, status, what);
    if (r->out[0] != '\0')
        fail_msg("%s: printed on stdout: %.500s", what, r->out);
    expect_in(r->err, msg, what);
    if (status == 2)
        expect_in(r->err, PLAN_USAGE, what);
    else
        expect_not_in(r->err, "usage:", what);
    if (exists(NEVER_FILE))
        fail_msg("%s: wrote '%s'", what, NEVER_FILE);
    if (exists(NEVER_DIR))
        fail_msg("%s: wrote '%s'", what, NEVER_DIR);
    expect_no_leftover(NEVER_DIR);
}

static void test_bad_input(void **state)
{
    const char *bare[] = {"plan", NULL};
    struct proc r;

    (void)state;
    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    mkdir(BAD_DIR, 0755);
    clear(NEVER_FILE);
    clear(NEVER_DIR);
    unlink(BAD_DIR "/nonexistent.yaml");
    for (size_t i = 0; i < sizeof(bad_yaml) / sizeof(bad_yaml[0]); i++) {
        char path[256], msg[768];
        const char *args[] = {"plan", path, "-o", NEVER_FILE, "--emit", NEVER_DIR, NULL};

        snprintf(path, sizeof(path), BAD_DIR "/%s.yaml", bad_yaml[i].name);
        assert_int_equal(write_file(path, bad_yaml[i].yaml, 0644), 0);
        if (bad_yaml[i].at != NULL)
            snprintf(msg, sizeof(msg), "gpushare: error: %s:%s: %s\n", path, bad_yaml[i].at,
                     bad_yaml[i].msg);
        else
            snprintf(msg, sizeof(msg), "gpushare: error: '%s' %s\n", path, bad_yaml[i].msg);
        run(&r, args);
        expect_refused(&r, 2, msg, bad_yaml[i].name);
    }
    for (size_t i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
        const char *args[PROC_MAX_ARGS + 1];
        size_t n = 0;

        for (; bad_args[i].args[n] != NULL; n++)
            args[n] = bad_args[i].args[n];
        args[n++] = "-o";
        args[n++] = NEVER_FILE;
        args[n++] = "--emit";
        args[n++] = NEVER_DIR;
        args[n] = NULL;
        run(&r, args);
        expect_refused(&r, bad_args[i].status, bad_args[i].msg, bad_args[i].msg);
    }
    /* `plan` and nothing else. */
    run(&r, bare);
    expect_refused(&r, 2, "gpushare: error: give a plan file or --example NAME (one of the two)\n",
                   "bare plan");
}

/* ---- 4: --emit against emit mps/k8s --plan ---- */

/* The integer at key of obj, which must be one. */
static long long int_at(const json_t *obj, const char *key, const char *what)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v))
        fail_msg("%s: '%s' is not an integer", what, key);
    return (long long)json_integer_value(v);
}

static void expect_file_has(const char *path, const char *want)
{
    size_t len = 0;
    char *text = slurp(path, &len);

    if (text == NULL)
        fail_msg("no '%s'", path);
    expect_in(text, want, path);
    free(text);
}

static void test_emit_agreement(void **state)
{
    const char *emit[] = {"plan", "--example", EX40, "--emit", EMIT_DIR, "--force", NULL};
    const char *again[] = {"plan", "--example", EX40, "--emit", EMIT_DIR, NULL};
    const char *mps[] = {"emit", "mps", "--plan", EMIT_DIR "/plan.json", "--out", EMIT_MPS, NULL};
    const char *k8s[] = {"emit", "k8s", "--plan", EMIT_DIR "/plan.json", "--out", EMIT_K8S, NULL};
    const json_t *deploy, *dmps, *dk8s;
    struct stat dir0, plan0, dir1, plan1, st;
    long long pct, replicas, mib;
    size_t len0 = 0, len1 = 0;
    char want[160], *plan_text, *plan_again, *cm;
    static struct tree top;
    struct proc r;
    json_t *doc;

    (void)state;
    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    clear(EMIT_DIR);
    clear(EMIT_MPS);
    clear(EMIT_K8S);
    run(&r, emit);
    expect_status(&r, 0, "plan --emit");
    expect_in(r.out, "\nwrote into " EMIT_DIR ":\n", "plan --emit");
    assert_true(stat(EMIT_DIR "/mps", &st) == 0 && S_ISDIR(st.st_mode));
    assert_true(stat(EMIT_DIR "/k8s", &st) == 0 && S_ISDIR(st.st_mode));
    assert_true(stat(EMIT_DIR "/plan.json", &st) == 0 && S_ISREG(st.st_mode));
    expect_no_leftover(EMIT_DIR);

    /* The emitters, given the plan document, write the same files. */
    run(&r, mps);
    expect_status(&r, 0, "emit mps --plan");
    expect_same_tree(EMIT_DIR "/mps", EMIT_MPS);
    run(&r, k8s);
    expect_status(&r, 0, "emit k8s --plan");
    expect_same_tree(EMIT_DIR "/k8s", EMIT_K8S);

    /* The figures in the files are the ones the deploy section states. */
    doc = check_load_json(EMIT_DIR "/plan.json");
    deploy = json_object_get(doc, "deploy");
    dmps = json_object_get(deploy, "mps");
    dk8s = json_object_get(deploy, "k8s");
    assert_true(json_is_object(dmps) && json_is_object(dk8s));
    assert_string_equal(json_string_value(json_object_get(deploy, "mode")), "mps-caps");
    assert_string_equal(json_string_value(json_object_get(dk8s, "mode")), "mps");
    pct = int_at(dmps, "thread_pct", "deploy.mps");
    mib = int_at(dmps, "mem_limit_mib", "deploy.mps");
    replicas = int_at(dk8s, "replicas", "deploy.k8s");
    /* mps-caps: the device plugin's 100/N in Go's integer division (docs/plan.md). */
    assert_true(replicas >= 2);
    assert_int_equal(pct, 100 / replicas);
    assert_int_equal(int_at(dmps, "clients", "deploy.mps"), replicas);
    json_decref(doc);
    snprintf(want, sizeof(want), "\ndefault CUDA_MPS_ACTIVE_THREAD_PERCENTAGE '%lld'\n", pct);
    expect_file_has(EMIT_DIR "/mps/mps-start.sh", want);
    snprintf(want, sizeof(want), "\ndefault GPUSHARE_MPS_PINNED_MEM_LIMIT '0=%lldM'\n", mib);
    expect_file_has(EMIT_DIR "/mps/mps-start.sh", want);
    snprintf(want, sizeof(want), "\nCUDA_MPS_ACTIVE_THREAD_PERCENTAGE=%lld\n", pct);
    expect_file_has(EMIT_DIR "/mps/gpushare-mps.env", want);
    cm = slurp(EMIT_DIR "/k8s/manifests/device-plugin-config.yaml", &len0);
    assert_non_null(cm);
    snprintf(want, sizeof(want), " replicas: %lld\n", replicas);
    expect_in(cm, want, "the device plugin's ConfigMap");
    if (count_of(cm, "replicas:") != 1)
        fail_msg("the ConfigMap states replicas %zu times:\n%s", count_of(cm, "replicas:"), cm);
    free(cm);

    /* Again without --force: refused, status 1, the directory as it was. */
    plan_text = slurp(EMIT_DIR "/plan.json", &len0);
    assert_non_null(plan_text);
    assert_int_equal(stat(EMIT_DIR, &dir0), 0);
    assert_int_equal(stat(EMIT_DIR "/plan.json", &plan0), 0);
    run(&r, again);
    expect_status(&r, 1, "plan --emit over an existing directory");
    expect_in(r.err, "gpushare: error: '" EMIT_DIR "' exists: pass --force to replace it",
              "--emit without --force");
    if (r.out[0] != '\0')
        fail_msg("--emit without --force printed: %.500s", r.out);
    assert_int_equal(stat(EMIT_DIR, &dir1), 0);
    assert_int_equal(stat(EMIT_DIR "/plan.json", &plan1), 0);
    assert_true(dir0.st_ino == dir1.st_ino && plan0.st_ino == plan1.st_ino);
    plan_again = slurp(EMIT_DIR "/plan.json", &len1);
    assert_non_null(plan_again);
    assert_true(len0 == len1 && memcmp(plan_text, plan_again, len0) == 0);
    free(plan_text);
    free(plan_again);
    expect_same_tree(EMIT_DIR "/mps", EMIT_MPS);
    expect_same_tree(EMIT_DIR "/k8s", EMIT_K8S);
    list_tree(EMIT_DIR, &top);
    for (size_t i = 0; i < top.n; i++)
        if (strcmp(top.names[i], "plan.json") != 0 && !starts_with(top.names[i], "mps/") &&
            !starts_with(top.names[i], "k8s/"))
            fail_msg("'%s/%s' is more than plan.json, mps/ and k8s/", EMIT_DIR, top.names[i]);
    expect_no_leftover(EMIT_DIR);
}

/* ---- 5: --json, the table and the text name one recommendation ---- */

static void test_json_recommendation(void **state)
{
    (void)state;
    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    mkdir(JSON_DIR, 0755);
    for (size_t i = 0; i < NEXAMPLES; i++) {
        const char *json_args[] = {"plan", "--example", examples[i], "--json", NULL};
        const char *text_args[] = {"plan", "--example", examples[i], NULL};
        const json_t *modes, *m, *rec = NULL;
        char path[256], mode[32], first[256];
        const char *rec_mode;
        struct proc r;
        json_t *doc;
        size_t k;

        example_table(examples[i], &r);
        table_recommended(examples[i], r.out, mode, sizeof(mode));
        snprintf(path, sizeof(path), JSON_DIR "/%s.json", examples[i]);
        run_to_file(&r, path, json_args);
        expect_status(&r, 0, path);
        doc = check_load_json(path);
        assert_string_equal(json_string_value(json_object_get(doc, "schema")), "gpushare.plan/1");
        rec_mode =
            json_string_value(json_object_get(json_object_get(doc, "recommendation"), "mode"));
        if (rec_mode == NULL || strcmp(rec_mode, mode) != 0)
            fail_msg("%s: --json recommends '%s', the table '%s'", examples[i],
                     rec_mode != NULL ? rec_mode : "(null)", mode);
        modes = json_object_get(doc, "modes");
        json_array_foreach (modes, k, m)
            if (strcmp(json_string_value(json_object_get(m, "mode")), mode) == 0)
                rec = m;
        assert_non_null(rec);
        assert_int_equal(json_integer_value(json_object_get(rec, "rank")), 1);
        /* The text's first line: "Recommended: TITLE: ..." of the same mode. */
        snprintf(first, sizeof(first),
                 "Recommended: %s: ", json_string_value(json_object_get(rec, "title")));
        run(&r, text_args);
        expect_status(&r, 0, examples[i]);
        if (!starts_with(r.out, first))
            fail_msg("%s: the text does not begin with '%s':\n%.500s", examples[i], first, r.out);
        json_decref(doc);
    }
}

/* ---- 6: plan check ---- */

static void test_plan_check(void **state)
{
    const char *check[] = {"plan", "check", MIX_DOC, NULL};
    const char *check_o[] = {"plan", "check", MIX_DOC, "-o", CHECK_OUT, NULL};
    const char *not_mix[] = {"plan", "check", NOT_MIX_DOC, "-o", NEVER_FILE, NULL};
    const char *missing[] = {"plan", "check", BAD_DIR "/nonexistent.json", "-o", NEVER_FILE, NULL};
    const char *none[] = {"plan", "check", "-o", NEVER_FILE, NULL};
    const json_t *t;
    bool ts = false, mps = false;
    struct proc r;
    json_t *doc;
    size_t i;

    (void)state;
    mkdir("build", 0755);
    mkdir(OUT_DIR, 0755);
    clear(CHECK_OUT);
    clear(NEVER_FILE);
    run(&r, check);
    expect_status(&r, 0, "plan check");
    expect_in(r.out, "check.timeslice", "plan check");
    expect_in(r.out, "check.mps", "plan check");
    expect_in(r.out, "p99 predicted", "plan check");
    run(&r, check_o);
    expect_status(&r, 0, "plan check -o");
    doc = check_load_json(CHECK_OUT);
    assert_string_equal(json_string_value(json_object_get(doc, "schema")), "gpushare.results/1");
    json_array_foreach (json_object_get(doc, "tests"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));

        ts |= id != NULL && starts_with(id, "check.timeslice.");
        mps |= id != NULL && starts_with(id, "check.mps.");
    }
    if (!ts || !mps)
        fail_msg("'%s' lacks a check.timeslice.* or check.mps.* test", CHECK_OUT);
    json_decref(doc);

    run(&r, not_mix);
    expect_refused(&r, 1,
                   "gpushare: error: '" NOT_MIX_DOC "' has no test mix.timeslice.alone: expected a "
                   "document of gpushare bench mix\n",
                   "plan check of a document that is no mix");
    run(&r, missing);
    expect_refused(&r, 1,
                   "gpushare: error: cannot open '" BAD_DIR
                   "/nonexistent.json': No such file or directory",
                   "plan check of a missing file");
    run(&r, none);
    expect_status(&r, 2, "plan check without a document");
    expect_in(r.err, "gpushare: error: give one bench mix document\nusage: gpushare plan check",
              "plan check without a document");
    assert_false(exists(NEVER_FILE));
}

/* ---- 7: help ---- */

static void test_help(void **state)
{
    const char *plan[] = {"plan", "--help", NULL};
    const char *check[] = {"plan", "check", "--help", NULL};
    struct proc r;

    (void)state;
    run(&r, plan);
    expect_status(&r, 0, "plan --help");
    if (!starts_with(r.out, "usage: gpushare plan FILE.yaml") || r.err[0] != '\0')
        fail_msg("plan --help: stdout %.300s\nstderr %.300s", r.out, r.err);
    expect_in(r.out, "Exit status: 0 a mode works", "plan --help");
    run(&r, check);
    expect_status(&r, 0, "plan check --help");
    if (!starts_with(r.out, "usage: gpushare plan check MIX.json") || r.err[0] != '\0')
        fail_msg("plan check --help: stdout %.300s\nstderr %.300s", r.out, r.err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_listed), cmocka_unit_test(test_golden_tables),
        cmocka_unit_test(test_plan_documents),  cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_emit_agreement),  cmocka_unit_test(test_json_recommendation),
        cmocka_unit_test(test_plan_check),      cmocka_unit_test(test_help),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
