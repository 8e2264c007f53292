/*
 * gpushare mps start | stop | status | exec: an MPS control daemon for this user, started in
 * directories of its own, found again by a later command through its record (gpu/mps_state.h),
 * and stopped for certain. This file dispatches and holds what the subcommands share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/mps_cli.h"
#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"

const char mps_usage[] =
    "usage: gpushare mps start [--pipe-dir DIR] [--log-dir DIR] [--thread-pct P]\n"
    "                          [--mem-limit SPEC] [--reuse] [--timeout S] [--device N] [--json]\n"
    "       gpushare mps stop [--pipe-dir DIR | --all] [--timeout S] [--json]\n"
    "       gpushare mps status [--pipe-dir DIR] [--json]\n"
    "       gpushare mps exec [--pipe-dir DIR] [--thread-pct P] [--mem-limit SPEC]\n"
    "                         [--priority 0|1] [--no-check] [--] CMD [ARGS...]\n";

int mps_opt_dir(struct error *err, const char *opt, const char *arg, char *out, size_t size)
{
    size_t max = strcmp(opt, "--pipe-dir") == 0 ? MPS_PIPE_DIR_MAX : MPS_LOG_DIR_MAX;

    return mps_dir_normalize(err, opt, arg, max, out, size);
}

int mps_opt_timeout(struct error *err, const char *arg, int *ms)
{
    double s;

    if (parse_double(err, "--timeout", arg, 0.1, 600, &s) < 0)
        return -1;
    *ms = (int)(s * 1000 + 0.5);
    return 0;
}

static void warn_record(const char *path, const struct error *why)
{
    fprintf(stderr, "gpushare: warning: ignoring '%s': %s (remove it if it is stale)\n", path,
            why->msg);
}

struct mps_state *mps_records(struct error *err, size_t *n)
{
    struct mps_state *s = xcalloc(MPS_CLI_MAX_RECORDS, sizeof(*s));

    if (mps_state_list(err, s, MPS_CLI_MAX_RECORDS, n, warn_record) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void mps_record_for(const char *pipe_dir, struct mps_state *s, bool *found)
{
    struct error err;

    if (mps_state_find(&err, pipe_dir, s, found) < 0) {
        fprintf(stderr, "gpushare: warning: %s\n", err.msg);
        *found = false;
    }
}

void mps_list_records(FILE *f, const struct mps_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  --pipe-dir %s   (daemon %ld, started %s)\n", s[i].pipe_dir, s[i].daemon.pid,
                s[i].started_at);
}

void mps_shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

const char *mps_how_name(enum mps_stop_how how)
{
    switch (how) {
    case MPS_STOP_NOTHING:
        return "nothing";
    case MPS_STOP_GONE:
        return "gone";
    case MPS_STOP_QUIT:
        return "quit";
    case MPS_STOP_TERM:
        return "SIGTERM";
    case MPS_STOP_KILL:
        return "SIGKILL";
    case MPS_STOP_FAILED:
        return "failed";
    }
    return "unknown";
}

static bool is_dir(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void note_removed(struct mps_stopped *out, const char *path)
{
    if (out->n_removed < 2 && !is_dir(path))
        str_printf(out->removed[out->n_removed++], sizeof(out->removed[0]), "%s", path);
}

/*
 * As mps_cli.h says; and a stale record whose pipe directory another daemon now uses (started by
 * hand, or from a unit: mps_state_pipe_dir_in_use) keeps its directories: only the record is
 * deleted, which is said on stderr, and nothing is listed as removed.
 */
void mps_stop_record(const struct mps_state *s, int timeout_ms, struct mps_stopped *out)
{
    struct mps_daemon d;
    struct error e = {0};
    char why[160];
    bool had_root, had_pipe;

    memset(out, 0, sizeof(*out));
    str_printf(out->pipe_dir, sizeof(out->pipe_dir), "%s", s->pipe_dir);
    out->pid = s->daemon.pid;
    out->recorded = true;
    if (s->reused) {
        /* Someone else's daemon (start --reuse): drop the record, leave the daemon. */
        out->left_running = true;
        out->how = mps_state_stale(s) ? MPS_STOP_GONE : MPS_STOP_NOTHING;
        if (mps_state_delete(&e, s) < 0)
            out->err = e;
        return;
    }
    if (mps_state_stale(s) && mps_state_pipe_dir_in_use(s, why, sizeof(why))) {
        /* Another daemon started there since ours died: its sockets and pid file, and the log
         * directory it may be writing, stay; only our record goes. */
        fprintf(stderr,
                "gpushare: keeping '%s' and the directories start made for the MPS control daemon "
                "%ld, which is gone: %s, started since; only the stale record is removed\n",
                s->pipe_dir, s->daemon.pid, why);
        out->how = MPS_STOP_GONE;
        if (mps_state_delete(&e, s) < 0)
            out->err = e;
        return;
    }
    had_root = s->root[0] != '\0' && is_dir(s->root);
    had_pipe = s->made_pipe_dir && is_dir(s->pipe_dir);
    mps_state_to_daemon(s, &d);
    if (mps_daemon_stop(&e, &d, timeout_ms) < 0)
        out->err = e;
    out->how = d.stopped;
    if (had_root)
        note_removed(out, s->root);
    if (out->how == MPS_STOP_FAILED)
        return; /* keep the record: a process of it is still running */
    if (mps_state_remove_made(&e, s) < 0 && out->err.code == ERR_OK)
        out->err = e;
    if (had_pipe)
        note_removed(out, s->pipe_dir);
    if (mps_state_delete(&e, s) < 0 && out->err.code == ERR_OK)
        out->err = e;
}

int mps_report_stopped(const struct mps_stopped *st)
{
    char who[400];
    const char *what;

    if (st->pid > 0)
        str_printf(who, sizeof(who), "MPS control daemon %ld at '%s'", st->pid, st->pipe_dir);
    else
        str_printf(who, sizeof(who), "MPS control daemon at '%s'", st->pipe_dir);
    switch (st->how) {
    case MPS_STOP_NOTHING:
        what = st->left_running ? "left running: gpushare did not start it (start --reuse); "
                                  "its record is dropped"
                                : "nothing to stop";
        break;
    case MPS_STOP_GONE:
        what = st->left_running    ? "gone already; its record (start --reuse) is dropped"
               : st->n_removed > 0 ? "gone already (stale record): cleaned up"
                                   : "gone already (stale record): its record is removed";
        break;
    case MPS_STOP_QUIT:
        what = "stopped by 'quit'";
        break;
    case MPS_STOP_TERM:
        what = "ignored 'quit'; ended by SIGTERM";
        break;
    case MPS_STOP_KILL:
        what = "ignored 'quit' and SIGTERM; ended by SIGKILL";
        break;
    default:
        what = "still running after SIGKILL; its record is kept";
        break;
    }
    fprintf(stderr, "gpushare: %s: %s\n", who, what);
    for (size_t i = 0; i < st->n_removed; i++)
        fprintf(stderr, "gpushare: removed '%s'\n", st->removed[i]);
    if (st->err.code != ERR_OK)
        fprintf(stderr, "gpushare: error: %s\n", st->err.msg);
    return st->err.code == ERR_OK && st->how <= MPS_STOP_QUIT ? EXIT_OK : EXIT_FAIL;
}

json_t *mps_stopped_json(const struct mps_stopped *st)
{
    json_t *removed = json_array();

    for (size_t i = 0; i < st->n_removed; i++)
        json_array_append_new(removed, json_string(st->removed[i]));
    return json_pack("{s:s,s:o,s:b,s:s,s:b,s:o,s:o}", "pipe_dir", st->pipe_dir, "pid",
                     st->pid > 0 ? json_integer(st->pid) : json_null(), "recorded", st->recorded,
                     "how", st->left_running ? "left_running" : mps_how_name(st->how), "ok",
                     st->err.code == ERR_OK && st->how <= MPS_STOP_QUIT, "removed", removed,
                     "error", st->err.code != ERR_OK ? json_string(st->err.msg) : json_null());
}

static const struct cmd subs[] = {
    {"start", mps_start,
     "start a daemon in private directories (or --pipe-dir/--log-dir), apply and\n"
     "           read back its default settings, record it, and print the shell lines that\n"
     "           point clients at it: eval \"$(gpushare mps start)\"",
     false},
    {"stop", mps_stop,
     "stop the daemon gpushare recorded ('quit', then SIGTERM, then SIGKILL) and\n"
     "           remove the directories its start made",
     false},
    {"status", mps_status,
     "whether a daemon answers; its servers, their clients, the settings in force", false},
    {"exec", mps_exec, "run CMD as a client, with per-client limits from the options", false},
};

static const struct cli_group group = {
    .noun = "subcommand",
    .usage = mps_usage,
    .about = "An MPS control daemon for this user, and commands run as its clients.",
    .footer =
        "Each subcommand takes --help. gpushare never changes the GPU's compute mode: start "
        "prints\nthe nvidia-smi command when EXCLUSIVE_PROCESS is not set. See docs/mps.md.\n\n"
        "Exit status: 0 ok, 1 failure, 2 usage error, 3 (status) no daemon answers, 130 "
        "interrupted;\nexec: CMD's own, or 126/127 when CMD cannot be run or is not found.\n",
    .width = 8,
    .subs = subs,
    .n = sizeof(subs) / sizeof(subs[0]),
};

int cmd_mps(int argc, char **argv)
{
    return cli_dispatch(&group, argc, argv);
}
