/*
 * Unit tests for emit/mps and `gpushare emit mps`: what the files hold and where each value came
 * from; the plan's thread percentage and the results document; every refusal of a value that
 * could break out of a file; shellcheck on the scripts and systemd-analyze verify on the unit;
 * the scripts run against the fake nvidia-cuda-mps-control of tests/fake_mps.h (start, settings
 * read back, a daemon already there, a daemon that ignores quit, one that refuses a setting);
 * and the real binary (GPUSHARE_BIN, default build/asan/gpushare) writing the set, or nothing.
 *
 * Every child runs in a process group of its own and is killed after CHILD_TIMEOUT_S; its output
 * goes to unlinked temporary files. Directories are made with mkdtemp under /tmp and removed.
 */
#include "emit/mps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

#include "check.h"
#include "core/error.h"
#include "fake_mps.h"
#include "plan/evidence.h"
#include "plan/mps_share.h"
#include "proc.h"
#include "results/results.h"
#include "testutil.h"

#define CHILD_TIMEOUT_S 20
#define FIXTURE "tests/fixtures/emit-mps-results.json"
#define NO_TEST_FIXTURE "tests/fixtures/results-good-minimal.json"
#define UUID "GPU-5b4a8f52-3c1e-7d2f-9a0b-1c2d3e4f5a6b"

/* ---- helpers ---- */

/* Options with a fixed version and commit, so the files are the same on every build. */
static struct emit_mps_opts fixed_opts(void)
{
    struct emit_mps_opts o = {.version = "9.9.9", .commit = "abc1234", .dirty = 0};

    return o;
}

/* The plan's equal share for n clients, as `emit mps --clients N` gives it to the emitter
 * (cli/cmd_emit.c): mps_share_pct(n) in hundredths, n, and mps_share_why's sentence in why. */
static void plan_share(struct emit_mps_opts *o, unsigned n, char *why, size_t size)
{
    o->plan_clients = n;
    o->plan_pct_centi = mps_share_pct(n) * 100;
    mps_share_why(n, why, size);
    o->plan_why = why;
}

/* What the results document at path measured at the percentage in force in c (100 when none),
 * into c->measured, as `emit mps --results` looks it up after configuring (cli/cmd_emit.c). */
static void measure(struct emit_mps_config *c, const char *path)
{
    struct error err = {0};
    json_t *doc = results_load(&err, path);

    if (doc == NULL)
        fail_msg("%s: %s", path, err.msg);
    if (evidence_threads_at(&err, doc, path, c->pct_centi > 0 ? c->pct_centi : 10000,
                            &c->measured) < 0)
        fail_msg("evidence_threads_at: %s", err.msg);
    json_decref(doc);
}

static void configure(const struct emit_mps_opts *o, struct emit_mps_config *c)
{
    struct error err = {0};

    if (emit_mps_configure(&err, o, c) < 0)
        fail_msg("emit_mps_configure: %s", err.msg);
}

/* The rendered file f; the caller frees it. */
static char *render_of(const struct emit_mps_opts *o, enum emit_mps_file f)
{
    struct emit_mps_config c;
    char *text;

    configure(o, &c);
    text = emit_mps_render(&c, f);
    assert_non_null(text);
    return text;
}

/* Writes the four files into dir with their modes. */
static void write_set(const struct emit_mps_opts *o, const char *dir)
{
    struct emit_mps_config c;
    char path[256];

    configure(o, &c);
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        char *text = emit_mps_render(&c, f);

        snprintf(path, sizeof(path), "%s/%s", dir, emit_mps_file_name(f));
        assert_int_equal(write_file(path, text, emit_mps_file_mode(f)), 0);
        free(text);
    }
}

static bool on_path(const char *prog)
{
    const char *p = getenv("PATH");
    char path[512];

    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, ":");

        snprintf(path, sizeof(path), "%.*s/%s", (int)n, p, prog);
        if (access(path, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* Runs argv with the environment plus extra (NAME=value entries, may be NULL), in a process
 * group of its own; kills the group after CHILD_TIMEOUT_S (and fails the test). */
static void run(struct proc *r, char *const argv[], char *const extra[])
{
    const struct proc_opts o = {.env = extra, .timeout_ms = CHILD_TIMEOUT_S * 1000L};

    proc_run(r, argv, &o);
}

/* Runs a script in dir (extra: environment additions, may be NULL). */
static void run_script(struct proc *r, const char *dir, const char *name, char *const extra[])
{
    char path[256];
    char *argv[] = {path, NULL};

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    run(r, argv, extra);
}

/* expect_in on text with its comment lines joined: a line break followed by '#' and spaces
 * counts as one space, so a check does not depend on where a header wraps. */
static void expect_in_joined(const char *text, const char *want, const char *what)
{
    size_t len = 0;
    char *joined = malloc(strlen(text) + 1);

    assert_non_null(joined);
    for (const char *p = text; *p != '\0';) {
        if (p[0] == '\n' && p[1] == '#' && p[2] == ' ') {
            joined[len++] = ' ';
            for (p += 2; *p == ' '; p++)
                ;
            continue;
        }
        joined[len++] = *p++;
    }
    joined[len] = '\0';
    if (strstr(joined, want) == NULL) {
        free(joined);
        fail_msg("%s: no '%s' in:\n%.6000s", what, want, text);
    }
    free(joined);
}

/* Occurrences of needle in text. */
static int count_of(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The assignment lines of an environment file (no comment, no blank), joined by '\n'. */
static void env_lines(const char *text, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n");

        if (n > 0 && p[0] != '#' && len + n + 2 < size) {
            memcpy(out + len, p, n);
            len += n;
            out[len++] = '\n';
            out[len] = '\0';
        }
        p += n + (p[n] == '\n');
    }
}

/* git's message style: lowercase (or a quoted file name first), no full stop. */
static void check_style(const char *msg, const char *ctx)
{
    size_t len = strlen(msg);

    if (len == 0 || msg[len - 1] == '.' || !(islower((unsigned char)msg[0]) || msg[0] == '\''))
        fail_msg("%s: message '%s' not in git style", ctx, msg);
}

/* The scratch directory of a test that runs without the fake's sandbox: made by tmp_setup,
 * removed by tmp_teardown even when the test fails. */
static char scratch[64];

static int tmp_setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof(scratch), "/tmp/gpushare-emit-mps-XXXXXX");
    return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int tmp_teardown(void **state)
{
    (void)state;
    if (remove_tree(scratch) < 0 || exists(scratch)) {
        fprintf(stderr, "teardown: cannot remove '%s'\n", scratch);
        return -1;
    }
    return 0;
}

/* ---- 1. rendering ---- */

/* The environment file holds exactly the variables set, in order, and says which are not. */
static void test_env_file(void **state)
{
    struct emit_mps_opts o = fixed_opts();
    char lines[2048];
    char *env;

    (void)state;
    o.pipe_dir = "/srv/mps/pipe";
    o.log_dir = "/srv/mps/log";
    o.thread_pct = "12.5";
    o.mem_limit = "0=10G,1=512M," UUID "=2048M";
    o.control = "/opt/nvidia/bin/nvidia-cuda-mps-control";
    env = render_of(&o, EMIT_MPS_ENV);
    env_lines(env, lines, sizeof(lines));
    assert_string_equal(lines, "CUDA_MPS_PIPE_DIRECTORY=/srv/mps/pipe\n"
                               "CUDA_MPS_LOG_DIRECTORY=/srv/mps/log\n"
                               "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=12.5\n"
                               "GPUSHARE_MPS_PINNED_MEM_LIMIT=0=10G,1=512M," UUID "=2048M\n"
                               "MPS_CONTROL=/opt/nvidia/bin/nvidia-cuda-mps-control\n");
    expect_in(env, "#       option: --thread-pct\n", "env");
    expect_in(env, "#       option: --pipe-dir\n", "env");
    free(env);

    /* Nothing given: the MPS defaults, and no percentage or limit, which the file says. */
    o = fixed_opts();
    env = render_of(&o, EMIT_MPS_ENV);
    env_lines(env, lines, sizeof(lines));
    assert_string_equal(lines, "CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps\n"
                               "CUDA_MPS_LOG_DIRECTORY=/var/log/nvidia-mps\n"
                               "MPS_CONTROL=nvidia-cuda-mps-control\n");
    expect_in(env, "# CUDA_MPS_ACTIVE_THREAD_PERCENTAGE is not set: the daemon's default, 100",
              "env");
    expect_in(env, "# GPUSHARE_MPS_PINNED_MEM_LIMIT is not set", "env");
    expect_in(env, "default: the MPS default (MPS doc 4.2.2)", "env");
    expect_in(env, "default: the MPS default (MPS doc 4.2.3)", "env");
    free(env);
}

/* Each file begins as its kind must, names gpushare's version and commit, and lists every value
 * with its source; the unit points at the install directory and the environment file. */
static void test_headers(void **state)
{
    struct emit_mps_opts o = fixed_opts();

    (void)state;
    o.install_dir = "/opt/gpushare";
    o.env_file = "/etc/mps/gpushare.env";
    o.pipe_dir = "/run/nvidia-mps";
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        char *text = render_of(&o, f), first[128];

        snprintf(first, sizeof(first),
                 "%s# %s: ", emit_mps_file_mode(f) == 0755 ? "#!/usr/bin/env bash\n" : "",
                 emit_mps_file_name(f));
        if (strncmp(text, first, strlen(first)) != 0)
            fail_msg("%s begins '%.80s'", emit_mps_file_name(f), text);
        expect_in(text, "# Generated by gpushare 9.9.9 (commit abc1234) with", "header");
        expect_in(text, "#   CUDA_MPS_PIPE_DIRECTORY=/run/nvidia-mps\n#       option: --pipe-dir",
                  "header");
        expect_in(text, "#   install directory /opt/gpushare\n#       option: --install-dir",
                  "header");
        expect_in(text, "#   MPS_CONTROL=nvidia-cuda-mps-control\n#       default:", "header");
        if (emit_mps_file_mode(f) == 0755) {
            expect_in(text, "\nset -euo pipefail\n", "script");
            expect_in(text, "default CUDA_MPS_PIPE_DIRECTORY '/run/nvidia-mps'\n", "script");
            expect_in(text,
                      "elif [[ ${GPUSHARE_MPS_ENV_LOADED:-} != 1 && -e '/etc/mps/gpushare.env' ]]; "
                      "then\n",
                      "script");
        }
        free(text);
    }
    {
        char *unit = render_of(&o, EMIT_MPS_UNIT);

        expect_in(unit, "\n[Unit]\n", "unit");
        expect_in(unit, "\nAfter=nvidia-persistenced.service\n", "unit");
        expect_not_in(unit, "Wants=", "unit");
        expect_in(unit, "\nType=forking\n", "unit");
        expect_in(unit, "\nEnvironmentFile=/etc/mps/gpushare.env\n", "unit");
        expect_in(unit, "\nEnvironment=GPUSHARE_MPS_ENV_LOADED=1\n", "unit");
        expect_in(unit, "\nExecStart=/opt/gpushare/mps-start.sh\n", "unit");
        expect_in(unit, "\nExecStop=/opt/gpushare/mps-stop.sh\n", "unit");
        expect_in(unit, "\nPIDFile=/run/nvidia-mps/nvidia-cuda-mps-control.pid\n", "unit");
        expect_in(unit, "\nRestart=on-failure\n", "unit");
        expect_in(unit, "\nTimeoutStopSec=", "unit");
        expect_in(unit, "\n[Install]\nWantedBy=multi-user.target\n", "unit");
        free(unit);
    }
    {
        char *stop = render_of(&o, EMIT_MPS_STOP);

        expect_in(stop, "`quit` waits for the clients", "stop");
        free(stop);
    }
}

/* The plan's thread percentage: the equal share of plan/mps_share.h (100/n in whole percent, as
 * NVIDIA's device plugin sets it for n replicas), written with the plan's sentence for where it
 * came from; --thread-pct wins over it; a plan's memory limit says where it came from too. */
static void test_plan_pct(void **state)
{
    static const struct {
        unsigned clients, pct;
    } cases[] = {{0, 100}, {1, 100}, {2, 50}, {3, 33}, {4, 25},  {7, 14},
                 {8, 12},  {48, 2},  {60, 1}, {99, 1}, {100, 1}, {250, 1}};
    struct emit_mps_opts o = fixed_opts();
    struct emit_mps_config c;
    char why[400], *env;
    json_t *sum, *v;
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(cases); i++)
        if (mps_share_pct(cases[i].clients) != cases[i].pct)
            fail_msg("case %zu: %u clients give %u%%, want %u%%", i, cases[i].clients,
                     mps_share_pct(cases[i].clients), cases[i].pct);
    plan_share(&o, 8, why, sizeof(why));
    configure(&o, &c);
    assert_int_equal(c.pct_centi, 1200);
    assert_int_equal(c.src_pct, EMIT_MPS_SRC_PLAN);
    assert_int_equal(c.clients, 8);
    env = emit_mps_render(&c, EMIT_MPS_ENV);
    expect_in(env, "\nCUDA_MPS_ACTIVE_THREAD_PERCENTAGE=12\n", "env");
    expect_in_joined(env, "plan: each of 8 clients' equal share, 100/8 in whole percent = 12",
                     "env");
    free(env);
    plan_share(&o, 3, why, sizeof(why));
    env = render_of(&o, EMIT_MPS_START);
    expect_in_joined(env, "100/3 in whole percent = 33", "start");
    expect_in(env, "\ndefault CUDA_MPS_ACTIVE_THREAD_PERCENTAGE '33'\n", "start");
    free(env);
    plan_share(&o, 8, why, sizeof(why));
    o.thread_pct = "40";
    configure(&o, &c);
    assert_int_equal(c.pct_centi, 4000);
    assert_int_equal(c.src_pct, EMIT_MPS_SRC_OPTION);
    env = emit_mps_render(&c, EMIT_MPS_ENV);
    expect_in(env, "\nCUDA_MPS_ACTIVE_THREAD_PERCENTAGE=40\n", "env");
    expect_in_joined(env,
                     "option: --thread-pct, which wins over the plan's share for 8 clients: each "
                     "of 8 clients' equal share, 100/8 in whole percent = 12",
                     "env");
    free(env);

    /* A plan's figures without a sentence, one past 100 capped at 100; its memory limit. */
    o = fixed_opts();
    o.plan_pct_centi = 12000;
    o.plan_clients = 1;
    o.mem_limit = "0=10240M";
    o.mem_why = "the plan's share of the GPU's memory";
    configure(&o, &c);
    assert_int_equal(c.pct_centi, 10000);
    assert_int_equal(c.src_pct, EMIT_MPS_SRC_PLAN);
    assert_int_equal(c.src_mem, EMIT_MPS_SRC_PLAN);
    env = emit_mps_render(&c, EMIT_MPS_ENV);
    expect_in(env, "\nCUDA_MPS_ACTIVE_THREAD_PERCENTAGE=100\n", "env");
    expect_in(env, "\nGPUSHARE_MPS_PINNED_MEM_LIMIT=0=10240M\n", "env");
    expect_in(env, "#       plan: the plan\n", "env");
    expect_in_joined(env,
                     "plan: the plan's share of the GPU's memory; applied with "
                     "set_default_device_pinned_mem_limit",
                     "env");
    free(env);
    sum = emit_mps_json(&c, NULL);
    json_array_foreach (json_object_get(sum, "settings"), i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));

        if (strcmp(name, "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE") == 0 ||
            strcmp(name, "GPUSHARE_MPS_PINNED_MEM_LIMIT") == 0)
            assert_string_equal(json_string_value(json_object_get(v, "source")), "plan");
    }
    json_decref(sum);
    /* The same limit given as --mem-limit: an option. */
    o.mem_why = NULL;
    configure(&o, &c);
    assert_int_equal(c.src_mem, EMIT_MPS_SRC_OPTION);
}

/* The results document: what the percentage gave a client on that GPU; none, an error. */
static void test_results(void **state)
{
    struct emit_mps_opts o = fixed_opts();
    struct emit_mps_config c;
    struct ev_threads_at m;
    struct error err = {0};
    json_t *doc, *sum;
    char why[400], *text;

    (void)state;
    plan_share(&o, 4, why, sizeof(why)); /* 25%, which the fixture measured */
    configure(&o, &c);
    assert_false(c.measured.present);
    text = emit_mps_render(&c, EMIT_MPS_ENV);
    expect_not_in(text, "mps.threads.sms", "env without a results document");
    free(text);
    measure(&c, FIXTURE);
    assert_true(c.measured.present && c.measured.exact);
    assert_int_equal(c.measured.sms_lo, 32);
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        text = emit_mps_render(&c, f);
        expect_in_joined(text, "measured on NVIDIA H100 80GB HBM3 by test mps.threads.sms in",
                         "header");
        expect_in_joined(text, "at 25% a client saw 32 of 132 SMs (SMs come in steps of 2)",
                         "header");
        free(text);
    }
    sum = emit_mps_json(&c, NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(sum, "measured"), "sms_min")), 32);
    json_decref(sum);

    /* A percentage between two measured ones: both neighbours. */
    o.thread_pct = "40";
    configure(&o, &c);
    measure(&c, FIXTURE);
    text = emit_mps_render(&c, EMIT_MPS_ENV);
    expect_in_joined(text, "40% was not measured; 30% gave a client 38 SMs and 50% gave 66 of 132",
                     "env");
    free(text);
    /* No percentage: what the daemon's 100 gave. */
    o = fixed_opts();
    configure(&o, &c);
    measure(&c, FIXTURE);
    text = emit_mps_render(&c, EMIT_MPS_ENV);
    expect_in_joined(text, "at 100% a client saw 132 of 132 SMs", "env");
    free(text);

    /* A document without the test: refused, naming the file. */
    doc = results_load(&err, NO_TEST_FIXTURE);
    assert_non_null(doc);
    assert_int_equal(evidence_threads_at(&err, doc, NO_TEST_FIXTURE, 2500, &m), -1);
    assert_int_equal(err.code, ERR_INVALID);
    expect_in(err.msg, "results-good-minimal.json", "error");
    expect_in(err.msg, "mps.threads.sms", "error");
    check_style(err.msg, "no test");
    json_decref(doc);
}

/* Every value that could break out of a file, or that the daemon would misread, is refused
 * with a message naming it. */
static void test_bad_options(void **state)
{
    enum field { PIPE, LOG, INSTALL, ENV, CONTROL, PCT, MEM, MODE };
    static const struct {
        enum field field;
        const char *value;
        const char *named; /* what the message must quote */
    } cases[] = {
        {PIPE, "relative/dir", "'relative/dir'"},
        {PIPE, "", "''"},
        {PIPE, "/tmp/a b", "'/tmp/a b'"},
        {PIPE, "/tmp/it's", "'/tmp/it's'"},
        {PIPE, "/tmp/x\"y", "'/tmp/x\"y'"},
        {PIPE, "/tmp/$(reboot)", "'/tmp/$(reboot)'"},
        {PIPE, "/tmp/a\nb", "0x0a"},
        {PIPE, "/tmp//x", "'/tmp//x'"},
        {PIPE, "/tmp/x/", "'/tmp/x/'"},
        {PIPE, "/tmp/../x", "'/tmp/../x'"},
        {PIPE, "/", "'/'"},
        {PIPE,
         "/tmp/0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/0123456789/"
         "0123456789/012345678",
         "is 102 bytes long"},
        {LOG, "var/log", "'var/log'"},
        {LOG, "/var/log/a;b", "';'"},
        {INSTALL, "/usr/local/lib/gpu share", "'/usr/local/lib/gpu share'"},
        {ENV, "/etc/gpushare/mps env", "'/etc/gpushare/mps env'"},
        {ENV, "~/mps.env", "'~/mps.env'"},
        {CONTROL, "-d", "'-d'"},
        {CONTROL, "mps control", "'mps control'"},
        {CONTROL, "bin/mps", "'bin/mps'"},
        {PCT, "0", "'0'"},
        {PCT, "101", "'101'"},
        {PCT, "100.01", "'100.01'"},
        {PCT, "abc", "'abc'"},
        {PCT, "", "''"},
        {PCT, "-5", "'-5'"},
        {PCT, "1e2", "'1e2'"},
        {PCT, "50%", "'50%'"},
        {PCT, "12.345", "'12.345'"},
        {PCT, "25.", "'25.'"},
        {PCT, " 25", "' 25'"},
        {MEM, "0", "'0'"},
        {MEM, "0=", "'0='"},
        {MEM, "=10G", "'=10G'"},
        {MEM, "0=10", "'0=10'"},
        {MEM, "0=10T", "'0=10T'"},
        {MEM, "0=10g", "'0=10g'"},
        {MEM, "0=0G", "'0=0G'"},
        {MEM, "0=010G", "'0=010G'"},
        {MEM, "0=12345678M", "'0=12345678M'"},
        {MEM, "x=1G", "'x=1G'"},
        {MEM, "01=1G", "'01=1G'"},
        {MEM, "1000=1G", "'1000=1G'"},
        {MEM, "GPU-123=1G", "'GPU-123=1G'"},
        {MEM, "GPU-5b4a8f52-3c1e-7d2f-9a0b-1c2d3e4f5a6g=1G", "-1c2d3e4f5a6g=1G'"},
        {MEM, "0=1G,0=2G", "device '0'"},
        {MEM, UUID "=1G," UUID "=2G", "device '" UUID "'"},
        {MEM, "0=1G,,1=1G", "'0=1G,,1=1G'"},
        {MEM, "0=1G,", "'0=1G,'"},
        {MEM, "0=1G;reboot", "'0=1G;reboot'"},
        {MEM, "0=1G 1=2G", "'0=1G 1=2G'"},
        {MODE, "0644", "'0644'"},
        {MODE, "0999", "'0999'"},
        {MODE, "75", "'75'"},
        {MODE, "01755", "'01755'"},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct emit_mps_opts o = fixed_opts();
        struct emit_mps_config c;
        struct error err = {0};
        const char *v = cases[i].value;

        switch (cases[i].field) {
        case PIPE:
            o.pipe_dir = v;
            break;
        case LOG:
            o.log_dir = v;
            break;
        case INSTALL:
            o.install_dir = v;
            break;
        case ENV:
            o.env_file = v;
            break;
        case CONTROL:
            o.control = v;
            break;
        case PCT:
            o.thread_pct = v;
            break;
        case MEM:
            o.mem_limit = v;
            break;
        case MODE:
            o.pipe_mode = v;
            break;
        }
        if (emit_mps_configure(&err, &o, &c) == 0)
            fail_msg("case %zu: '%s' accepted", i, v);
        if (err.code != ERR_USAGE || strstr(err.msg, cases[i].named) == NULL)
            fail_msg("case %zu: '%s': code %d, message '%s' does not name %s", i, v, err.code,
                     err.msg, cases[i].named);
        check_style(err.msg, v);
        assert_int_equal(c.pct_centi, 0); /* left zeroed */
    }
}

/* What the validators accept, and what they make of it. */
static void test_good_values(void **state)
{
    static const struct {
        const char *in;
        unsigned centi;
        const char *text;
    } pcts[] = {{"1", 100, "1"},        {"25", 2500, "25"},      {"025", 2500, "25"},
                {"12.5", 1250, "12.5"}, {"12.50", 1250, "12.5"}, {"33.33", 3333, "33.33"},
                {"100", 10000, "100"},  {"100.0", 10000, "100"}, {"1.05", 105, "1.05"}};
    struct mps_mem_limit m[EMIT_MPS_MAX_MEM];
    struct error err = {0};
    size_t n = 99;
    char text[16], spec[1024] = "";

    (void)state;
    for (size_t i = 0; i < COUNT(pcts); i++) {
        unsigned centi = 0;

        if (mps_pct_parse(&err, "--thread-pct", pcts[i].in, &centi) < 0)
            fail_msg("case %zu: '%s' refused: %s", i, pcts[i].in, err.msg);
        mps_pct_text(centi, text, sizeof(text));
        assert_int_equal(centi, pcts[i].centi);
        assert_string_equal(text, pcts[i].text);
    }
    assert_int_equal(mps_mem_parse(&err, "--mem-limit", "0=10240M,63=1G," UUID "=9999999M", m,
                                   EMIT_MPS_MAX_MEM, &n),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(m[0].dev, "0");
    assert_string_equal(m[0].value, "10240M");
    assert_true(m[0].mib == 10240 && m[1].mib == 1024 && m[2].mib == 9999999);
    assert_string_equal(m[2].dev, UUID);
    /* EMIT_MPS_MAX_MEM UUID entries fit; one more does not. */
    for (int i = 0; i <= EMIT_MPS_MAX_MEM; i++) {
        size_t len = strlen(spec);

        snprintf(spec + len, sizeof(spec) - len, "%sGPU-%08d-3c1e-7d2f-9a0b-1c2d3e4f5a6b=1G",
                 i > 0 ? "," : "", i);
        if (i == EMIT_MPS_MAX_MEM - 1) {
            struct emit_mps_opts o = fixed_opts();
            char *env;

            assert_int_equal(mps_mem_parse(&err, "--mem-limit", spec, m, EMIT_MPS_MAX_MEM, &n), 0);
            o.mem_limit = spec;
            env = render_of(&o, EMIT_MPS_ENV);
            expect_in(env, spec, "16 entries");
            free(env);
        }
    }
    assert_int_equal(mps_mem_parse(&err, "--mem-limit", spec, m, EMIT_MPS_MAX_MEM, &n), -1);
    assert_int_equal(n, 0);
    expect_in(err.msg, "at most 16", "17 entries");
    assert_int_equal(emit_mps_check_path(&err, "--pipe-dir", "/tmp/nvidia-mps"), 0);
    assert_int_equal(emit_mps_check_path(&err, "--pipe-dir", "/a/.hidden/b_c-9"), 0);
    assert_int_equal(emit_mps_check_control(&err, "--control", "nvidia-cuda-mps-control"), 0);
    assert_int_equal(emit_mps_check_control(&err, "--control", "/usr/bin/x"), 0);
}

/* ---- 2. shellcheck ---- */

static void test_shellcheck(void **state)
{
    const char *dir = scratch;
    char start[96], stop[96];
    char *argv[] = {(char *)"/usr/bin/env",
                    (char *)"shellcheck",
                    (char *)"-s",
                    (char *)"bash",
                    start,
                    stop,
                    NULL};
    char *bash_n[] = {(char *)"/usr/bin/env", (char *)"bash", (char *)"-n", start, NULL};
    struct proc r;

    (void)state;
    if (!on_path("shellcheck"))
        skip();
    snprintf(start, sizeof(start), "%s/mps-start.sh", dir);
    snprintf(stop, sizeof(stop), "%s/mps-stop.sh", dir);
    for (int with = 0; with < 2; with++) {
        struct emit_mps_opts o = fixed_opts();

        if (with) {
            o.thread_pct = "12.5";
            o.mem_limit = "0=10G,1=512M," UUID "=1G";
            o.pipe_dir = "/run/nvidia-mps";
            o.control = "/usr/bin/nvidia-cuda-mps-control";
            o.pipe_mode = "0700";
        }
        write_set(&o, dir);
        run(&r, argv, NULL);
        expect_status(&r, 0, with ? "shellcheck, every setting" : "shellcheck, defaults");
        run(&r, bash_n, NULL);
        expect_status(&r, 0, "bash -n");
    }
}

/* ---- 3. systemd-analyze verify ---- */

static void test_systemd_verify(void **state)
{
    const char *dir = scratch;
    char unit[96], env[96];
    char *argv[] = {(char *)"/usr/bin/env", (char *)"systemd-analyze", (char *)"verify", unit,
                    NULL};
    struct emit_mps_opts o = fixed_opts();
    char why[400];
    struct proc r;

    (void)state;
    if (!on_path("systemd-analyze"))
        skip();
    snprintf(unit, sizeof(unit), "%s/gpushare-mps.service", dir);
    snprintf(env, sizeof(env), "%s/gpushare-mps.env", dir);
    /* verify checks that ExecStart= and ExecStop= name executables: point them here. */
    o.install_dir = dir;
    o.env_file = env;
    plan_share(&o, 4, why, sizeof(why));
    o.mem_limit = "0=4G";
    write_set(&o, dir);
    run(&r, argv, NULL);
    expect_status(&r, 0, "systemd-analyze verify");
    if (r.err[0] != '\0')
        fail_msg("systemd-analyze verify said on stderr:\n%s", r.err);
}

/* ---- 4. the scripts against the fake control daemon ---- */

/* The files into sb.root/out, the daemon's directories in the sandbox; pct and mem may be NULL. */
static void emit_into_sandbox(char *out, size_t size, const char *pct, const char *mem)
{
    struct emit_mps_opts o = fixed_opts();
    char env[128];

    snprintf(out, size, "%s/out", sb.root);
    snprintf(env, sizeof(env), "%s/gpushare-mps.env", out);
    assert_int_equal(mkdir(out, 0755), 0);
    o.pipe_dir = sb.pipes;
    o.log_dir = sb.logs;
    o.install_dir = out;
    o.env_file = env;
    o.thread_pct = pct;
    o.mem_limit = mem;
    write_set(&o, out);
}

static long daemon_pid_in(const char *pipe_dir)
{
    char path[160];
    long pid = 0;

    snprintf(path, sizeof(path), "%s/nvidia-cuda-mps-control.pid", pipe_dir);
    return read_longs(path, &pid, 1) == 1 ? pid : 0;
}

/* Start, settings applied and read back, stop by quit; nothing left running. */
static void test_fake_start_stop(void **state)
{
    char out[128], cmds[4096], want[256];
    struct proc r;
    long pid;

    (void)state;
    emit_into_sandbox(out, sizeof(out), "25", "0=10240M,1=512M");
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 0, "mps-start.sh");
    expect_in(r.out, "answers at", "mps-start.sh");
    pid = daemon_pid_in(sb.pipes);
    assert_true(pid > 0 && alive(pid));
    commands(cmds, sizeof(cmds));
    snprintf(want, sizeof(want), "-d pipe=%s log=%s\n", sb.pipes, sb.logs);
    expect_in(cmds, want, "commands");
    expect_in(cmds,
              "set_default_active_thread_percentage 25\n"
              "get_default_active_thread_percentage\n"
              "set_default_device_pinned_mem_limit 0 10240M\n"
              "get_default_device_pinned_mem_limit 0\n"
              "set_default_device_pinned_mem_limit 1 512M\n"
              "get_default_device_pinned_mem_limit 1\n",
              "commands");
    assert_int_equal(count_of(cmds, "-d "), 1);
    {
        struct stat st;

        assert_int_equal(stat(sb.logs, &st), 0);
    }
    run_script(&r, out, "mps-stop.sh", NULL);
    expect_status(&r, 0, "mps-stop.sh");
    expect_in(r.out, "stopped", "mps-stop.sh");
    commands(cmds, sizeof(cmds));
    expect_in(cmds, "\nquit\n", "commands");
    assert_int_equal(count_alive_fakes(), 0);
    /* Nothing runs: a message, and success. */
    run_script(&r, out, "mps-stop.sh", NULL);
    expect_status(&r, 0, "mps-stop.sh with no daemon");
    expect_in(r.out, "no MPS control daemon runs at", "mps-stop.sh with no daemon");
}

/* The environment wins over $GPUSHARE_MPS_ENV, which wins over the values baked in; a directory
 * the script makes gets the pipe mode. */
static void test_fake_overrides(void **state)
{
    char out[128], file[160], alt[128], logs[128], cmds[4096], want[320], text[512];
    char env_kv[200], pct_kv[] = "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=50";
    char *extra[] = {env_kv, pct_kv, NULL};
    struct stat st;
    struct proc r;

    (void)state;
    emit_into_sandbox(out, sizeof(out), "25", "0=1G");
    snprintf(alt, sizeof(alt), "%s/alt/pipe", sb.root);
    snprintf(logs, sizeof(logs), "%s/alt/log", sb.root);
    snprintf(file, sizeof(file), "%s/custom.env", sb.root);
    snprintf(text, sizeof(text),
             "# a user's file\n\nCUDA_MPS_PIPE_DIRECTORY='%s'\nCUDA_MPS_LOG_DIRECTORY=\"%s\"\n"
             "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=30\nGPUSHARE_MPS_PINNED_MEM_LIMIT=0=2G\n",
             alt, logs);
    assert_int_equal(write_file(file, text, 0644), 0);
    snprintf(env_kv, sizeof(env_kv), "GPUSHARE_MPS_ENV=%s", file);
    run_script(&r, out, "mps-start.sh", extra);
    expect_status(&r, 0, "mps-start.sh, overridden");
    commands(cmds, sizeof(cmds));
    snprintf(want, sizeof(want), "-d pipe=%s log=%s\n", alt, logs);
    expect_in(cmds, want, "commands");
    expect_in(cmds, "set_default_active_thread_percentage 50\n", "the environment wins");
    expect_in(cmds, "set_default_device_pinned_mem_limit 0 2G\n", "the file wins");
    assert_int_equal(stat(alt, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_true(daemon_pid_in(alt) > 0);
    assert_int_equal(daemon_pid_in(sb.pipes), 0);
    run_script(&r, out, "mps-stop.sh", extra);
    expect_status(&r, 0, "mps-stop.sh, overridden");
    assert_int_equal(count_alive_fakes(), 0);
}

/* Whether the environment process pid started with holds entry ("NAME=value"). */
static bool environ_has(long pid, const char *entry)
{
    char path[64], buf[16384];
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot read '%s': %s", path, strerror(errno));
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
        if (strcmp(buf + i, entry) == 0)
            return true;
    return false;
}

/*
 * An environment file as people write them for systemd: comments with '#' and ';', blank and
 * indented lines, spaces around '=', quotes, GPUSHARE_MPS_TIMEOUT, and variables for the daemon
 * that are no setting of the scripts. Run by hand, the scripts read it as systemd does: they
 * start and stop the daemon, CUDA_* variables reach it and others do not. Under the unit
 * (GPUSHARE_MPS_ENV_LOADED=1, the file's variables already in the environment), the scripts
 * start and stop it too, and do not read the file again.
 */
static void test_fake_env_file_extras(void **state)
{
    char out[128], file[160], text[1024], cmds[8192], want[320];
    char pipe_kv[160], log_kv[160],
        pct_kv[] = "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=30", timeout_kv[] = "GPUSHARE_MPS_TIMEOUT=30",
        cvd_kv[] = "CUDA_VISIBLE_DEVICES=0,1", other_kv[] = "SOME_OTHER_SETTING=a b # c",
        loaded_kv[] = "GPUSHARE_MPS_ENV_LOADED=1";
    /* What systemd puts in the environment of ExecStart= and ExecStop= from the file. */
    char *unit_env[] = {pipe_kv, log_kv, pct_kv, timeout_kv, cvd_kv, other_kv, loaded_kv, NULL};
    struct proc r;
    long pid;

    (void)state;
    emit_into_sandbox(out, sizeof(out), "25", NULL);
    snprintf(file, sizeof(file), "%s/gpushare-mps.env", out); /* the unit's EnvironmentFile= */
    snprintf(text, sizeof(text),
             "# edited by hand\n"
             "; a comment as systemd also takes it\n"
             "\n"
             "   CUDA_MPS_PIPE_DIRECTORY = %s  \n"
             "\tCUDA_MPS_LOG_DIRECTORY=\"%s\"\n"
             "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE='30'\n"
             "GPUSHARE_MPS_TIMEOUT=30\n"
             "CUDA_VISIBLE_DEVICES=0,1\n"
             "SOME_OTHER_SETTING=\"a b # c\"\n"
             "  # an indented comment\n"
             "MPS_CONTROL=nvidia-cuda-mps-control",
             sb.pipes, sb.logs);
    assert_int_equal(write_file(file, text, 0644), 0);

    // By hand: GPUSHARE_MPS_ENV unset, so the scripts read the file, which exists.
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 0, "mps-start.sh, a file with more than the settings");
    expect_not_in(r.err, "warning", "mps-start.sh, a file with more than the settings");
    commands(cmds, sizeof(cmds));
    snprintf(want, sizeof(want), "-d pipe=%s log=%s\n", sb.pipes, sb.logs);
    expect_in(cmds, want, "commands");
    expect_in(cmds, "set_default_active_thread_percentage 30\n", "the file's percentage");
    pid = daemon_pid_in(sb.pipes);
    assert_true(pid > 0 && alive(pid));
    assert_true(environ_has(pid, "CUDA_VISIBLE_DEVICES=0,1"));
    assert_true(environ_has(pid, "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=30"));
    assert_false(environ_has(pid, "SOME_OTHER_SETTING=a b # c"));
    run_script(&r, out, "mps-stop.sh", NULL);
    expect_status(&r, 0, "mps-stop.sh, a file with more than the settings");
    expect_in(r.out, "stopped", "mps-stop.sh, a file with more than the settings");
    assert_int_equal(count_alive_fakes(), 0);

    // As the unit runs them.
    snprintf(pipe_kv, sizeof(pipe_kv), "CUDA_MPS_PIPE_DIRECTORY=%s", sb.pipes);
    snprintf(log_kv, sizeof(log_kv), "CUDA_MPS_LOG_DIRECTORY=%s", sb.logs);
    run_script(&r, out, "mps-start.sh", unit_env);
    expect_status(&r, 0, "mps-start.sh under the unit");
    run_script(&r, out, "mps-stop.sh", unit_env);
    expect_status(&r, 0, "mps-stop.sh under the unit");
    expect_in(r.out, "stopped", "mps-stop.sh under the unit");
    assert_int_equal(count_alive_fakes(), 0);

    // Under the unit the file is not read again: a value in it that the scripts would refuse
    // does not matter, and the settings baked in hold where the environment has none.
    assert_int_equal(write_file(file, "GPUSHARE_MPS_PINNED_MEM_LIMIT=bad\n", 0644), 0);
    unit_env[2] = NULL;
    unit_env[0] = loaded_kv;
    run_script(&r, out, "mps-start.sh", unit_env);
    expect_status(&r, 0, "mps-start.sh under the unit, the file not read");
    run_script(&r, out, "mps-stop.sh", unit_env);
    expect_status(&r, 0, "mps-stop.sh under the unit, the file not read");
    commands(cmds, sizeof(cmds));
    assert_int_equal(count_of(cmds, "set_default_active_thread_percentage 25\n"), 1);
    // By hand it is read, and the bad value refused before anything starts.
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 1, "mps-start.sh, a bad value in the file");
    expect_in(r.err, "GPUSHARE_MPS_PINNED_MEM_LIMIT entry 'bad'", "a bad value in the file");
    assert_int_equal(count_alive_fakes(), 0);
}

/* A value from the environment is checked like an option: nothing is started. */
static void test_fake_bad_environment(void **state)
{
    static const char *const bad[] = {
        "CUDA_MPS_PIPE_DIRECTORY=/tmp/a b",
        "CUDA_MPS_PIPE_DIRECTORY=relative",
        "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=0",
        "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=abc",
        "GPUSHARE_MPS_PINNED_MEM_LIMIT=0=1T",
        "MPS_CONTROL=no-such-program",
        "GPUSHARE_MPS_TIMEOUT=x",
    };
    char out[128], cmds[4096];
    struct proc r;

    (void)state;
    emit_into_sandbox(out, sizeof(out), NULL, NULL);
    for (size_t i = 0; i < COUNT(bad); i++) {
        char *extra[] = {(char *)bad[i], NULL};

        run_script(&r, out, "mps-start.sh", extra);
        expect_status(&r, 1, bad[i]);
        expect_in(r.err, "mps-start.sh: error: ", bad[i]);
    }
    commands(cmds, sizeof(cmds));
    assert_int_equal(count_of(cmds, "-d "), 0);
    assert_int_equal(count_alive_fakes(), 0);
}

/* A daemon already answers: refused, and that daemon is untouched. */
static void test_fake_already_running(void **state)
{
    char out[128], cmds[4096];
    struct proc r;
    long pid;

    (void)state;
    emit_into_sandbox(out, sizeof(out), "50", NULL);
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 0, "first mps-start.sh");
    pid = daemon_pid_in(sb.pipes);
    assert_true(pid > 0);
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 1, "second mps-start.sh");
    expect_in(r.err, "already answers at", "second mps-start.sh");
    assert_int_equal(daemon_pid_in(sb.pipes), pid);
    assert_true(alive(pid));
    commands(cmds, sizeof(cmds));
    assert_int_equal(count_of(cmds, "-d "), 1);
    assert_int_equal(count_of(cmds, "quit"), 0);
    assert_int_equal(count_of(cmds, "set_default_active_thread_percentage"), 1);
    run_script(&r, out, "mps-stop.sh", NULL);
    expect_status(&r, 0, "mps-stop.sh");
    assert_int_equal(count_alive_fakes(), 0);
}

/* A daemon that ignores quit: SIGTERM ends it, and the exit status says so. */
static void test_fake_deaf(void **state)
{
    char out[128], timeout[] = "GPUSHARE_MPS_TIMEOUT=1";
    char *extra[] = {timeout, NULL};
    struct proc r;

    (void)state;
    set_mode("deaf");
    emit_into_sandbox(out, sizeof(out), NULL, NULL);
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 0, "mps-start.sh");
    run_script(&r, out, "mps-stop.sh", extra);
    expect_status(&r, 1, "mps-stop.sh, deaf daemon");
    expect_in(r.err, "SIGTERM", "mps-stop.sh, deaf daemon");
    assert_int_equal(count_alive_fakes(), 0);
    assert_int_equal(daemon_pid_in(sb.pipes), 0); /* its stale pid file removed */
}

/* A daemon that ignores quit and SIGTERM: SIGKILL. */
static void test_fake_deaf_ignore_term(void **state)
{
    char out[128], timeout[] = "GPUSHARE_MPS_TIMEOUT=1";
    char *extra[] = {timeout, NULL};
    struct proc r;

    (void)state;
    set_mode("deaf ignore_term");
    emit_into_sandbox(out, sizeof(out), NULL, NULL);
    run_script(&r, out, "mps-start.sh", NULL);
    expect_status(&r, 0, "mps-start.sh");
    run_script(&r, out, "mps-stop.sh", extra);
    expect_status(&r, 1, "mps-stop.sh, daemon ignoring SIGTERM");
    expect_in(r.err, "SIGKILL", "mps-stop.sh, daemon ignoring SIGTERM");
    assert_int_equal(count_alive_fakes(), 0);
}

/* A setting the daemon does not take: start fails and stops the daemon it started. */
static void test_fake_setting_refused(void **state)
{
    static const struct {
        const char *mode, *pct, *mem, *why;
    } cases[] = {
        {"bad_set", "25", NULL,
         "reports default active thread percentage '100.0' after setting 25"},
        {"bad_mem", NULL, "0=2G", "reports default pinned memory limit '' for device 0"},
    };
    char out[128], cmds[4096];
    struct proc r;

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char pipes[128];

        set_mode(cases[i].mode);
        emit_into_sandbox(out, sizeof(out), cases[i].pct, cases[i].mem);
        run_script(&r, out, "mps-start.sh", NULL);
        expect_status(&r, 1, cases[i].mode);
        expect_in(r.err, cases[i].why, cases[i].mode);
        assert_int_equal(count_alive_fakes(), 0);
        commands(cmds, sizeof(cmds));
        expect_in(cmds, "\nquit\n", cases[i].mode);
        /* The next case starts from a fresh tree of files and directories. */
        assert_int_equal(remove_tree(out), 0);
        snprintf(pipes, sizeof(pipes), "%s", sb.pipes);
        assert_int_equal(remove_tree(pipes), 0);
        assert_int_equal(mkdir(pipes, 0755), 0);
    }
}

/* A daemon that never answers: start gives up after the bound and stops the daemon it started,
 * known by the pid file it wrote. */
static void test_fake_never_answers(void **state)
{
    char out[128], timeout[] = "GPUSHARE_MPS_TIMEOUT=1";
    char *extra[] = {timeout, NULL};
    struct proc r;

    (void)state;
    set_mode("mute");
    emit_into_sandbox(out, sizeof(out), "25", NULL);
    run_script(&r, out, "mps-start.sh", extra);
    expect_status(&r, 1, "mps-start.sh, mute daemon");
    expect_in(r.err, "no MPS control daemon answered at", "mps-start.sh, mute daemon");
    expect_in(r.err, "SIGTERM", "mps-start.sh, mute daemon");
    assert_int_equal(count_alive_fakes(), 0);
}

/* A pid file naming a process that is not the daemon (a stale file, a reused pid), with no
 * daemon answering: nothing runs, and that process is left alone. */
static void test_fake_stale_pid_file(void **state)
{
    char out[128], path[160], pid_text[32], timeout[] = "GPUSHARE_MPS_TIMEOUT=1";
    char *sleeper[] = {(char *)"/bin/sleep", (char *)"30", NULL}, *extra[] = {timeout, NULL};
    struct proc r;
    pid_t pid;
    int status = 0;

    (void)state;
    emit_into_sandbox(out, sizeof(out), NULL, NULL);
    assert_int_equal(posix_spawn(&pid, sleeper[0], NULL, NULL, sleeper, environ), 0);
    snprintf(path, sizeof(path), "%s/nvidia-cuda-mps-control.pid", sb.pipes);
    snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)pid);
    assert_int_equal(write_file(path, pid_text, 0644), 0);
    run_script(&r, out, "mps-stop.sh", extra);
    expect_status(&r, 0, "mps-stop.sh, stale pid file");
    expect_in(r.out, "no MPS control daemon runs at", "mps-stop.sh, stale pid file");
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* still running */
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/*
 * A stale pid file naming a running process that is not the daemon (a reused pid) when the start
 * begins, and a daemon that answers before it writes its own: the start waits for the pid file the
 * new daemon writes, and reports that daemon. The control program is wrapped so that nothing
 * answers before `-d` (the fake client goes by the pid file), the daemon answers get_server_list
 * as soon as `-d` returns, and the fake daemon comes up, writing its pid file, a second later.
 */
static void test_fake_stale_pid_file_live(void **state)
{
    static const char wrapper[] =
        "#!/bin/sh\n"
        "R=\"$FAKE_MPS_ROOT\" D=\"$CUDA_MPS_PIPE_DIRECTORY\"\n"
        "if [ \"$1\" = -d ]; then\n"
        "    touch \"$R/wrap/started\"\n"
        "    (sleep 1; exec \"$R/bin/nvidia-cuda-mps-control\" -d) </dev/null >/dev/null 2>&1 &\n"
        "    exit 0\n"
        "fi\n"
        "[ -e \"$R/wrap/started\" ] || { echo 'Cannot find MPS control daemon process'; exit 1; }\n"
        "read -r cmd\n"
        "[ \"$cmd\" = get_server_list ] && [ ! -e \"$D/servers\" ] && exit 0\n"
        "printf '%s\\n' \"$cmd\" | exec \"$R/bin/nvidia-cuda-mps-control\"\n";
    char out[128], dir[128], control_kv[160], path[160], pid_text[32], want[128];
    char *sleeper[] = {(char *)"/bin/sleep", (char *)"30", NULL}, *extra[] = {control_kv, NULL};
    struct proc r;
    pid_t stale;
    long pid;
    int status = 0;

    (void)state;
    emit_into_sandbox(out, sizeof(out), NULL, NULL);
    snprintf(dir, sizeof(dir), "%s/wrap", sb.root);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(control_kv, sizeof(control_kv), "MPS_CONTROL=%s/ctl", dir);
    assert_int_equal(write_file(control_kv + strlen("MPS_CONTROL="), wrapper, 0755), 0);
    assert_int_equal(posix_spawn(&stale, sleeper[0], NULL, NULL, sleeper, environ), 0);
    snprintf(path, sizeof(path), "%s/nvidia-cuda-mps-control.pid", sb.pipes);
    snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)stale);
    assert_int_equal(write_file(path, pid_text, 0644), 0);

    run_script(&r, out, "mps-start.sh", extra);
    pid = daemon_pid_in(sb.pipes);
    snprintf(want, sizeof(want), "MPS control daemon %ld answers", pid);
    if (r.status != 0 || pid == (long)stale || strstr(r.out, want) == NULL) {
        kill(stale, SIGKILL);
        waitpid(stale, &status, 0);
        fail_msg("the start did not wait for the daemon it started to write its pid file (the "
                 "stale one named %ld; the file names %ld now)\nstdout: %s\nstderr: %s",
                 (long)stale, pid, r.out, r.err);
    }
    run_script(&r, out, "mps-stop.sh", extra);
    assert_int_equal(waitpid(stale, &status, WNOHANG), 0); /* left alone */
    kill(stale, SIGKILL);
    assert_int_equal(waitpid(stale, &status, 0), stale);
    expect_status(&r, 0, "mps-stop.sh");
    expect_in(r.out, "stopped", "mps-stop.sh");
    assert_int_equal(count_alive_fakes(), 0);
}

/* `-d` fails or never returns: exit 1, nothing to stop. */
static void test_fake_start_fails(void **state)
{
    static const struct {
        const char *mode, *why;
    } cases[] = {
        {"fail_start", "failed with exit status 1: An instance of this daemon is already running"},
        {"hang_start", "-d' did not return within 1s"},
    };
    char out[128], cmds[4096], timeout[] = "GPUSHARE_MPS_TIMEOUT=1";
    char *extra[] = {timeout, NULL};
    struct proc r;

    (void)state;
    emit_into_sandbox(out, sizeof(out), NULL, NULL);
    for (size_t i = 0; i < COUNT(cases); i++) {
        set_mode(cases[i].mode);
        run_script(&r, out, "mps-start.sh", extra);
        expect_status(&r, 1, cases[i].mode);
        expect_in(r.err, cases[i].why, cases[i].mode);
        assert_int_equal(count_alive_fakes(), 0);
    }
    commands(cmds, sizeof(cmds));
    assert_int_equal(count_of(cmds, "-d "), 2);
    assert_int_equal(count_of(cmds, "quit"), 0);
}

/* ---- 5. the command line ---- */

/* Runs gpushare with args (NULL-terminated, at most PROC_MAX_ARGS), as run. */
static void run_cli(struct proc *r, const char *const args[])
{
    const struct proc_opts o = {.timeout_ms = CHILD_TIMEOUT_S * 1000L};

    proc_gpushare(r, args, &o);
}

static void test_cli_help(void **state)
{
    static const char *const options[] = {
        "--out DIR",        "--clients N",      "--thread-pct P",
        "--mem-limit SPEC", "--results FILE",   "--pipe-dir",
        "--log-dir",        "--pipe-mode MODE", "--control PROGRAM",
        "--install-dir",    "--env-file FILE",  "--force",
        "--json",           "--help",           "--plan PLAN.json",
        "Exit status:",
    };
    static const struct {
        const char *args[4];
        int status;
        const char *out, *err;
    } cases[] = {
        {{"emit", "--help", NULL}, 0, "  mps ", NULL},
        {{"help", "emit", NULL}, 0, "targets:", NULL},
        {{"emit", NULL}, 2, NULL, "which target?"},
        {{"emit", "helm", NULL}, 2, NULL, "unknown target 'helm': expected mps or k8s"},
        {{"emit", "mps", NULL}, 2, NULL, "no --out DIR"},
        {{"emit", "mps", "--bogus", NULL}, 2, NULL, "unknown option '--bogus'"},
        {{"emit", "mps", "--out", NULL}, 2, NULL, "needs a value"},
    };
    const char *help[] = {"emit", "mps", "--help", NULL};
    struct proc r;

    (void)state;
    run_cli(&r, help);
    expect_status(&r, 0, "emit mps --help");
    for (size_t i = 0; i < COUNT(options); i++)
        expect_in(r.out, options[i], "emit mps --help");
    for (size_t i = 0; i < COUNT(cases); i++) {
        run_cli(&r, cases[i].args);
        expect_status(&r, cases[i].status, cases[i].args[1] ? cases[i].args[1] : "emit");
        if (cases[i].out != NULL)
            expect_in(r.out, cases[i].out, "stdout");
        if (cases[i].err != NULL)
            expect_in(r.err, cases[i].err, "stderr");
    }
}

static void expect_mode(const char *dir, const char *name, mode_t mode)
{
    char path[160];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (stat(path, &st) < 0)
        fail_msg("'%s' was not written", path);
    if ((st.st_mode & 07777) != mode)
        fail_msg("'%s' has mode %04o, want %04o", path, (unsigned)(st.st_mode & 07777),
                 (unsigned)mode);
}

static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
    char path[160];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    read_text(path, buf, size);
}

/* The set is written with its modes; --json says what and from where. */
static void test_cli_writes(void **state)
{
    const char *dir = scratch;
    char out[128];
    /* --clients 4: the plan's equal share, 25%, which the fixture measured. */
    const char *args[] = {"emit",      "mps",   "--out",       out,    "--clients", "4",
                          "--results", FIXTURE, "--mem-limit", "0=1G", "--json",    NULL};
    json_t *j, *v;
    json_error_t jerr;
    size_t i;
    bool seen = false;
    struct proc r;

    (void)state;
    snprintf(out, sizeof(out), "%s/out", dir);
    run_cli(&r, args);
    expect_status(&r, 0, "emit mps --json");
    expect_mode(out, "mps-start.sh", 0755);
    expect_mode(out, "mps-stop.sh", 0755);
    expect_mode(out, "gpushare-mps.service", 0644);
    expect_mode(out, "gpushare-mps.env", 0644);
    j = json_loads(r.out, 0, &jerr);
    if (j == NULL)
        fail_msg("--json output does not parse: %s\n%s", jerr.text, r.out);
    assert_string_equal(json_string_value(json_object_get(j, "dir")), out);
    assert_int_equal(json_array_size(json_object_get(j, "files")), 4);
    json_array_foreach (json_object_get(j, "settings"), i, v)
        if (strcmp(json_string_value(json_object_get(v, "name")),
                   "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE") == 0) {
            assert_string_equal(json_string_value(json_object_get(v, "value")), "25");
            assert_string_equal(json_string_value(json_object_get(v, "source")), "plan");
            expect_in(json_string_value(json_object_get(v, "detail")),
                      "each of 4 clients' equal share, 100/4 in whole percent = 25", "detail");
            seen = true;
        }
    assert_true(seen);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "measured"), "sms_max")),
                     32);
    json_decref(j);
}

/* A failing run writes nothing: a bad option (2), files already there without --force (1), a
 * path where DIR should be, a missing parent, an unusable results document (1). */
static void test_cli_writes_nothing(void **state)
{
    const char *dir = scratch;
    char out[128], other[128], deep[160], file[160];
    char before[4096], after[4096];
    const char *first[] = {"emit", "mps", "--out", out, "--clients", "8", NULL};
    const char *again[] = {"emit", "mps", "--out", out, "--clients", "4", NULL};
    const char *forced[] = {"emit", "mps", "--out", out, "--clients", "4", "--force", NULL};
    const char *bad_pct[] = {"emit", "mps", "--out", other, "--thread-pct", "101", NULL};
    const char *bad_path[] = {"emit", "mps", "--out", other, "--pipe-dir", "/tmp/a b", NULL};
    static const char *const bad_clients[] = {"0", "61", "x", ""};
    const char *clients[] = {"emit", "mps", "--out", other, "--clients", NULL, NULL};
    const char *plan_and_clients[] = {"emit",   "mps",       "--out", other, "--plan",
                                      "p.json", "--clients", "2",     NULL};
    const char *bad_results[] = {"emit", "mps", "--out", other, "--results", NO_TEST_FIXTURE, NULL};
    const char *no_results[] = {"emit", "mps", "--out", other, "--results", "/nonexistent.json",
                                NULL};
    const char *extra_arg[] = {"emit", "mps", "--out", other, "extra", NULL};
    const char *on_file[] = {"emit", "mps", "--out", file, NULL};
    const char *too_deep[] = {"emit", "mps", "--out", deep, NULL};
    struct proc r;

    (void)state;
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(other, sizeof(other), "%s/other", dir);
    snprintf(deep, sizeof(deep), "%s/missing/deeper", dir);
    snprintf(file, sizeof(file), "%s/gpushare-mps.env", out);
    run_cli(&r, first);
    expect_status(&r, 0, "first emit");
    read_file(out, "gpushare-mps.env", before, sizeof(before));
    expect_in(before, "PERCENTAGE=12\n", "first emit"); /* 100/8 in whole percent */

    run_cli(&r, again);
    expect_status(&r, 1, "emit over existing files");
    expect_in(r.err, "exists: pass --force to replace it", "emit over existing files");
    read_file(out, "gpushare-mps.env", after, sizeof(after));
    assert_string_equal(before, after);
    assert_int_equal(count_entries(out, NULL, 0), 4); /* no temporary file left */

    run_cli(&r, forced);
    expect_status(&r, 0, "emit --force");
    read_file(out, "gpushare-mps.env", after, sizeof(after));
    expect_in(after, "PERCENTAGE=25\n", "emit --force");
    assert_int_equal(count_entries(out, NULL, 0), 4);

    run_cli(&r, bad_pct);
    expect_status(&r, 2, "--thread-pct 101");
    expect_in(r.err, "'101' for --thread-pct", "--thread-pct 101");
    run_cli(&r, bad_path);
    expect_status(&r, 2, "--pipe-dir with a space");
    expect_in(r.err, "'/tmp/a b'", "--pipe-dir with a space");
    run_cli(&r, extra_arg);
    expect_status(&r, 2, "an extra argument");
    for (size_t i = 0; i < COUNT(bad_clients); i++) {
        char named[32];

        clients[5] = bad_clients[i];
        run_cli(&r, clients);
        expect_status(&r, 2, "a bad --clients");
        snprintf(named, sizeof(named), "'%s' for --clients", bad_clients[i]);
        expect_in(r.err, named, "a bad --clients");
    }
    run_cli(&r, plan_and_clients);
    expect_status(&r, 2, "--plan and --clients");
    expect_in(r.err, "--plan and --clients both", "--plan and --clients");
    run_cli(&r, bad_results);
    expect_status(&r, 1, "--results without the test");
    expect_in(r.err, "results-good-minimal.json", "--results without the test");
    run_cli(&r, no_results);
    expect_status(&r, 1, "--results missing");
    assert_false(exists(other));

    run_cli(&r, on_file);
    expect_status(&r, 1, "--out on a file");
    expect_in(r.err, "is not a directory", "--out on a file");
    run_cli(&r, too_deep);
    expect_status(&r, 1, "--out two levels down");
    snprintf(deep, sizeof(deep), "%s/missing", dir);
    assert_false(exists(deep));
    assert_int_equal(count_entries(dir, NULL, 0), 1);
}

/* A file that cannot be replaced (a directory of its name) fails an emit --force after the other
 * files were renamed into place: those are put back, and nothing is left beside them. */
static void test_cli_force_all_or_nothing(void **state)
{
    const char *dir = scratch;
    char out[128], env[160], before[EMIT_MPS_NFILES][32768], after[32768];
    const char *first[] = {"emit", "mps", "--out", out, "--clients", "8", NULL};
    const char *forced[] = {"emit", "mps", "--out", out, "--clients", "4", "--force", NULL};
    struct proc r;

    (void)state;
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(env, sizeof(env), "%s/%s", out, emit_mps_file_name(EMIT_MPS_ENV));
    run_cli(&r, first);
    expect_status(&r, 0, "first emit");
    assert_int_equal(unlink(env), 0);
    assert_int_equal(mkdir(env, 0755), 0);
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        if (f != EMIT_MPS_ENV)
            read_file(out, emit_mps_file_name(f), before[f], sizeof(before[f]));
    run_cli(&r, forced);
    expect_status(&r, 1, "emit --force over a directory");
    expect_in(r.err, "Is a directory", "emit --force over a directory");
    expect_in(r.err, "every file is as it was", "emit --force over a directory");
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        if (f != EMIT_MPS_ENV) {
            read_file(out, emit_mps_file_name(f), after, sizeof(after));
            if (strcmp(before[f], after) != 0)
                fail_msg("'%s' was replaced by a failed emit", emit_mps_file_name(f));
        }
    expect_mode(out, "mps-start.sh", 0755);
    assert_true(exists(env));
    assert_int_equal(count_entries(out, NULL, 0), 4); /* no temporary file or kept copy */
    assert_int_equal(count_entries(env, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_file),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_plan_pct),
        cmocka_unit_test(test_results),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_good_values),
        cmocka_unit_test_setup_teardown(test_shellcheck, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_systemd_verify, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_fake_start_stop, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_overrides, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_bad_environment, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_already_running, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_deaf, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_deaf_ignore_term, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_setting_refused, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_never_answers, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_stale_pid_file, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_start_fails, fake_mps_setup, fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_env_file_extras, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test_setup_teardown(test_fake_stale_pid_file_live, fake_mps_setup,
                                        fake_mps_teardown),
        cmocka_unit_test(test_cli_help),
        cmocka_unit_test_setup_teardown(test_cli_writes, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cli_writes_nothing, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cli_force_all_or_nothing, tmp_setup, tmp_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
