/*
 * gpushare mps exec: runs a command as a client of an MPS control daemon, with the per-client
 * limits in its environment (MPS doc 4.2.5, 4.2.7, 4.2.8), in place of gpushare (execvp), so
 * its exit status and signals are the command's own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/mps_cli.h"
#include "core/str.h"
#include "core/strparse.h"
#include "gpu/mps.h"

/* env(1)'s statuses: the command was found but could not be run; it was not found. */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

static const char usage[] =
    "usage: gpushare mps exec [--pipe-dir DIR] [--thread-pct P] [--mem-limit SPEC]\n"
    "                         [--priority 0|1] [--no-check] [--] CMD [ARGS...]\n";

static const char help[] =
    "Run CMD as a client of an MPS control daemon. The daemon is --pipe-dir's, else the one\n"
    "gpushare recorded for this user (of several, the one $CUDA_MPS_PIPE_DIRECTORY names),\n"
    "else $CUDA_MPS_PIPE_DIRECTORY's or /tmp/nvidia-mps's (MPS doc 4.2.2). CMD gets\n"
    "CUDA_MPS_PIPE_DIRECTORY (and CUDA_MPS_LOG_DIRECTORY when known), and:\n\n"
    "  --thread-pct P     CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, 1 to 100 with at most two\n"
    "                     decimals (12.5): the share of SMs CMD's contexts may use; it can\n"
    "                     only lower the daemon's (MPS doc 4.2.5)\n"
    "  --mem-limit SPEC   CUDA_MPS_PINNED_DEVICE_MEM_LIMIT, DEV=N{M,G},... (4.2.7): device\n"
    "                     memory CMD may allocate per device; it can only lower the server's\n"
    "  --priority 0|1     CUDA_MPS_CLIENT_PRIORITY (4.2.8): 0 normal, 1 below normal; a hint\n"
    "  --pipe-dir DIR     the daemon's pipe directory\n"
    "  --no-check         run CMD even when no daemon answers (CUDA then runs without MPS,\n"
    "                     or fails, as the driver decides)\n"
    "  -h, --help         this help\n\n"
    "Variables not given keep the values CMD would inherit.\n\n"
    "Exit status: CMD's own; 1 no daemon answers (without --no-check); 2 usage error;\n"
    "126 CMD cannot be run; 127 CMD not found.\n";

struct exec_opts {
    char pipe_dir[256], mem_limit[256];
    char thread_pct[16]; /* as mps_pct_text writes it; "" not given */
    unsigned pct_centi;
    int priority; /* -1: not given */
    bool check;
};

static int parse_value(struct error *err, int opt, const char *arg, struct exec_opts *o)
{
    unsigned long v;

    switch (opt) {
    case 'P':
        return mps_opt_dir(err, "--pipe-dir", arg, o->pipe_dir, sizeof(o->pipe_dir));
    case 't':
        if (mps_pct_parse(err, "--thread-pct", arg, &o->pct_centi) < 0)
            return -1;
        mps_pct_text(o->pct_centi, o->thread_pct, sizeof(o->thread_pct));
        return 0;
    case 'm':
        return mps_mem_normalize(err, "--mem-limit", arg, o->mem_limit, sizeof(o->mem_limit));
    default:
        if (parse_uint(err, "--priority", arg, 0, 1, &v) < 0)
            return -1;
        o->priority = (int)v;
        return 0;
    }
}

/* Options up to CMD: '+' stops at the first word that is not an option, "--" too. */
static int parse(int argc, char **argv, struct exec_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"pipe-dir", required_argument, NULL, 'P'},
        {"thread-pct", required_argument, NULL, 't'},
        {"mem-limit", required_argument, NULL, 'm'},
        {"priority", required_argument, NULL, 'p'},
        {"no-check", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        }
        if (opt == 'n')
            o->check = false;
        else if (opt == '?' || opt == ':')
            return cli_bad_option(usage, argv, opt);
        else if (parse_value(&err, opt, optarg, o) < 0)
            return cli_usage_error(usage, &err);
    }
    if (optind >= argc) {
        error_set(&err, ERR_USAGE, "which command? expected [--] CMD [ARGS...]");
        return cli_usage_error(usage, &err);
    }
    return EXIT_OK;
}

/* Which of several records $CUDA_MPS_PIPE_DIRECTORY names (as `eval "$(gpushare mps start)"`
 * left it); n when none. */
static size_t named_by_env(const struct mps_state *recs, size_t n)
{
    const char *env = getenv("CUDA_MPS_PIPE_DIRECTORY");
    char dir[256];
    struct error err;

    if (env == NULL || mps_dir_normalize(&err, "CUDA_MPS_PIPE_DIRECTORY", env, MPS_PIPE_DIR_MAX,
                                         dir, sizeof(dir)) < 0)
        return n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(recs[i].pipe_dir, dir) == 0)
            return i;
    return n;
}

/* The daemon: --pipe-dir, else the one record (of several, the one $CUDA_MPS_PIPE_DIRECTORY
 * names), else $CUDA_MPS_PIPE_DIRECTORY or /tmp/nvidia-mps; its record when there is one. */
static int pick(struct exec_opts *o, struct mps_state *rec, bool *recorded)
{
    struct mps_state *recs;
    struct error err;
    size_t n = 0, k;

    *recorded = false;
    if (o->pipe_dir[0] != '\0') {
        mps_record_for(o->pipe_dir, rec, recorded);
        return EXIT_OK;
    }
    recs = mps_records(&err, &n);
    if (recs == NULL)
        return cli_fail(&err);
    if (n > 1 && (k = named_by_env(recs, n)) < n) {
        recs[0] = recs[k];
        n = 1;
    }
    if (n > 1) {
        fprintf(stderr,
                "gpushare: error: %zu MPS control daemons are recorded for this user; which one? "
                "pass --pipe-dir:\n",
                n);
        mps_list_records(stderr, recs, n);
        free(recs);
        return EXIT_USAGE;
    }
    if (n == 1) {
        *rec = recs[0];
        *recorded = true;
    }
    str_printf(o->pipe_dir, sizeof(o->pipe_dir), "%s",
               n == 1 ? recs[0].pipe_dir : mps_default_pipe_dir());
    free(recs);
    return EXIT_OK;
}

static int set(const char *name, const char *value)
{
    if (setenv(name, value, 1) == 0)
        return 0;
    fprintf(stderr, "gpushare: error: cannot set %s: %s\n", name, strerror(errno));
    return -1;
}

/* The daemon must answer, or CUDA would run CMD without MPS (or fail) without a word. */
static int check_daemon(const struct exec_opts *o, const struct mps_state *rec, bool recorded)
{
    struct mps_probe_result probe;
    struct error err;
    char out[160], *end;
    double def;

    if (recorded && mps_state_stale(rec)) {
        fprintf(stderr,
                "gpushare: error: the daemon gpushare recorded there is gone: %ld at '%s' (a stale "
                "record: 'gpushare mps stop' cleans up); run anyway with --no-check\n",
                rec->daemon.pid, o->pipe_dir);
        return -1;
    }
    mps_probe(o->pipe_dir, &probe);
    if (!probe.answers) {
        fprintf(stderr,
                "gpushare: error: no MPS control daemon answers at '%s' (%s); start one with "
                "'gpushare mps start', or run anyway with --no-check\n",
                o->pipe_dir, probe.detail);
        return -1;
    }
    /* MPS doc 4.2.5: a client's percentage can only lower the daemon's. */
    if (o->thread_pct[0] == '\0' ||
        mps_control(&err, o->pipe_dir, "get_default_active_thread_percentage", MPS_CLI_QUERY_MS,
                    out, sizeof(out)) != 0)
        return 0;
    def = strtod(out, &end);
    if (end != out && o->pct_centi / 100.0 > def + 1e-9)
        fprintf(stderr,
                "gpushare: warning: --thread-pct %s is above the daemon's default %.1f: a client "
                "can only lower it (MPS doc 4.2.5)\n",
                o->thread_pct, def);
    return 0;
}

int mps_exec(int argc, char **argv)
{
    struct exec_opts o = {.priority = -1, .check = true};
    struct mps_state rec;
    bool done = false, recorded;
    char prio[4];
    int rc = parse(argc, argv, &o, &done), e;

    if (rc != EXIT_OK || done)
        return rc;
    rc = pick(&o, &rec, &recorded);
    if (rc != EXIT_OK)
        return rc;
    str_printf(prio, sizeof(prio), "%d", o.priority);
    if (set("CUDA_MPS_PIPE_DIRECTORY", o.pipe_dir) < 0 ||
        (recorded && rec.log_dir[0] != '\0' && set("CUDA_MPS_LOG_DIRECTORY", rec.log_dir) < 0) ||
        (o.thread_pct[0] != '\0' && set("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", o.thread_pct) < 0) ||
        (o.mem_limit[0] != '\0' && set("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT", o.mem_limit) < 0) ||
        (o.priority >= 0 && set("CUDA_MPS_CLIENT_PRIORITY", prio) < 0))
        return EXIT_FAIL;
    if (o.check && check_daemon(&o, &rec, recorded) < 0)
        return EXIT_FAIL;
    fflush(stdout);
    fflush(stderr);
    execvp(argv[optind], argv + optind);
    e = errno;
    fprintf(stderr, "gpushare: error: cannot run '%s': %s\n", argv[optind], strerror(e));
    return e == ENOENT || e == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
