/*
 * gpushare mps stop: stops the daemon gpushare recorded ('quit', then SIGTERM, then SIGKILL for
 * the pid and start time recorded at start) and removes the directories its start made; or,
 * with --pipe-dir of a daemon gpushare did not start, stops that one and leaves its directories.
 * Signals during the stop are held until it is done (then exit 130).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/mps_cli.h"
#include "core/json.h"
#include "core/xalloc.h"
#include "gpu/mps.h"

static const char usage[] = "usage: gpushare mps stop [--pipe-dir DIR | --all] [--timeout S] "
                            "[--json]\n";

static const char help[] =
    "Stop the MPS control daemon that `gpushare mps start` recorded for this user: 'quit',\n"
    "then SIGTERM, then SIGKILL, each after --timeout; then remove the directories start made.\n"
    "A daemon gpushare only reused (start --reuse) is left running and its record dropped.\n"
    "A record whose daemon is gone (stale) is cleaned up.\n\n"
    "  --pipe-dir DIR  the daemon at DIR: its record if gpushare has one; otherwise a daemon\n"
    "                  that answers there is stopped the same way and its directories kept\n"
    "  --all           every daemon recorded for this user\n"
    "  --timeout S     how long each step waits, 0.1 to 600 s (default 10; at worst about\n"
    "                  3 x S + 2 s in all)\n"
    "  --json          a JSON object on stdout saying how each stop ended\n"
    "  -h, --help      this help\n\n"
    "With no --pipe-dir and several daemons recorded, they are listed and nothing is stopped.\n"
    "With nothing to stop, it says so and exits 0 (as systemctl stop does).\n\n"
    "Exit status: 0 stopped by 'quit', or nothing to stop; 1 it took SIGTERM or SIGKILL, or a\n"
    "process or directory outlived the stop; 2 usage error (also: several recorded, no\n"
    "--pipe-dir); 130 a signal came during the stop (which was still finished).\n";

struct stop_opts {
    char pipe_dir[256];
    bool all, json;
    int timeout_ms;
};

static int parse(int argc, char **argv, struct stop_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"pipe-dir", required_argument, NULL, 'P'}, {"all", no_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 'T'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt, rc = 0;

    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        case 'P':
            rc = mps_opt_dir(&err, "--pipe-dir", optarg, o->pipe_dir, sizeof(o->pipe_dir));
            break;
        case 'a':
            o->all = true;
            break;
        case 'T':
            rc = mps_opt_timeout(&err, optarg, &o->timeout_ms);
            break;
        case 'j':
            o->json = true;
            break;
        default:
            return cli_bad_option(usage, argv, opt);
        }
        if (rc < 0)
            return cli_usage_error(usage, &err);
    }
    if (optind < argc)
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
    else if (o->all && o->pipe_dir[0] != '\0')
        error_set(&err, ERR_USAGE, "--all and --pipe-dir exclude each other");
    else
        return EXIT_OK;
    return cli_usage_error(usage, &err);
}

/* A daemon gpushare has no record of: stopped if one answers at the directory, else nothing. */
static void stop_unrecorded(const char *pipe_dir, int timeout_ms, struct mps_stopped *out)
{
    struct mps_probe_result probe;
    struct mps_daemon d;
    struct error err = {0};

    memset(out, 0, sizeof(*out));
    snprintf(out->pipe_dir, sizeof(out->pipe_dir), "%s", pipe_dir);
    mps_probe(pipe_dir, &probe);
    if (!probe.answers) {
        out->how = MPS_STOP_NOTHING;
        return;
    }
    if (mps_daemon_attach(&err, pipe_dir, &d) < 0) {
        out->err = err;
        out->how = MPS_STOP_FAILED;
        return;
    }
    out->pid = d.daemon.pid;
    if (mps_daemon_stop(&err, &d, timeout_ms) < 0)
        out->err = err;
    out->how = d.stopped;
}

/* --pipe-dir: its record, then (a stale record cleaned) whatever answers there. */
static size_t stop_dir(const struct stop_opts *o, struct mps_stopped *st)
{
    struct mps_state s;
    bool found;
    size_t n = 0;

    mps_record_for(o->pipe_dir, &s, &found);
    if (found) {
        bool stale = mps_state_stale(&s);

        mps_stop_record(&s, o->timeout_ms, &st[n++]);
        if (!stale || s.reused)
            return n;
    }
    stop_unrecorded(o->pipe_dir, o->timeout_ms, &st[n]);
    if (n == 0 || st[n].how != MPS_STOP_NOTHING)
        n++;
    return n;
}

static int report(const struct stop_opts *o, const struct mps_stopped *st, size_t n)
{
    json_t *arr = json_array();
    int rc = EXIT_OK;

    for (size_t i = 0; i < n; i++) {
        if (st[i].how == MPS_STOP_NOTHING && !st[i].recorded && st[i].err.code == ERR_OK)
            fprintf(stderr, "gpushare: nothing to stop: no MPS control daemon answers at '%s'\n",
                    st[i].pipe_dir);
        else if (mps_report_stopped(&st[i]) != EXIT_OK)
            rc = EXIT_FAIL;
        json_array_append_new(arr, mps_stopped_json(&st[i]));
    }
    if (n == 0)
        fprintf(stderr, "gpushare: nothing to stop: no MPS control daemon started by gpushare is "
                        "recorded for this user (pass --pipe-dir for another daemon)\n");
    if (o->json) {
        json_t *doc = json_pack("{s:o}", "stopped", arr);

        // A failed write shows in the exit status: main checks stdout at the end.
        (void)js_dump(&(struct error){0}, doc, stdout, "what was stopped");
        json_decref(doc);
    } else {
        json_decref(arr);
    }
    return rc;
}

static int run(const struct stop_opts *o)
{
    struct mps_stopped *st = xcalloc(MPS_CLI_MAX_RECORDS + 1, sizeof(*st));
    struct mps_state *recs = NULL;
    struct error err;
    size_t n = 0, n_recs = 0;
    int rc;

    if (o->pipe_dir[0] != '\0') {
        n = stop_dir(o, st);
    } else {
        recs = mps_records(&err, &n_recs);
        if (recs == NULL) {
            free(st);
            return cli_fail(&err);
        }
        if (n_recs > 1 && !o->all) {
            fprintf(stderr,
                    "gpushare: error: %zu MPS control daemons are recorded for this user; "
                    "which one? pass --pipe-dir, or --all for every one:\n",
                    n_recs);
            mps_list_records(stderr, recs, n_recs);
            free(recs);
            free(st);
            return EXIT_USAGE;
        }
        for (size_t i = 0; i < n_recs; i++)
            mps_stop_record(&recs[i], o->timeout_ms, &st[n++]);
    }
    rc = report(o, st, n);
    free(recs);
    free(st);
    return rc;
}

int mps_stop(int argc, char **argv)
{
    struct stop_opts o = {.timeout_ms = MPS_DAEMON_TIMEOUT_MS};
    struct mps_guard guard = {0};
    bool done = false;
    int rc = parse(argc, argv, &o, &done);

    if (rc != EXIT_OK || done)
        return rc;
    /* A Ctrl-C must not leave a daemon half stopped: finish, then say it came. */
    mps_guard_install(&guard);
    rc = run(&o);
    mps_guard_remove(&guard);
    if (mps_guard_pending() != 0) {
        fprintf(stderr, "gpushare: signal %d came during the stop, which was finished first\n",
                mps_guard_pending());
        return EXIT_INTERRUPTED;
    }
    return rc;
}
