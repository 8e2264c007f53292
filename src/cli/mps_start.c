/*
 * gpushare mps start: a control daemon that outlives gpushare (mps_daemon_start runs it in a
 * session of its own), its record, the shell lines that point clients at it, and the compute
 * mode advice. SIGINT, SIGTERM and SIGHUP during the start stop what was started (exit 130).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/mps_cli.h"
#include "core/json.h"
#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "gpu/mps.h"
#include "gpu/nvml.h"

static const char usage[] =
    "usage: gpushare mps start [--pipe-dir DIR] [--log-dir DIR] [--thread-pct P]\n"
    "                          [--mem-limit SPEC] [--reuse] [--timeout S] [--device N] [--json]\n";

static const char help[] =
    "Start an MPS control daemon (nvidia-cuda-mps-control -d) that keeps running after\n"
    "gpushare exits, wait until it answers, apply its default settings and read them back.\n"
    "It is recorded for this user, so `gpushare mps stop` finds it without arguments.\n"
    "stdout gets the lines that point clients at it: eval \"$(gpushare mps start)\"; stderr a\n"
    "summary, and the nvidia-smi command that sets EXCLUSIVE_PROCESS when the GPU is not in it\n"
    "(recommended, not required, by the MPS doc, 2.3.1.2; gpushare never runs it).\n\n"
    "  --pipe-dir DIR     CUDA_MPS_PIPE_DIRECTORY, absolute, at most 88 bytes (default: a\n"
    "                     private directory under $XDG_RUNTIME_DIR or /tmp, removed by stop;\n"
    "                     a given one is removed by stop only if start created it)\n"
    "  --log-dir DIR      CUDA_MPS_LOG_DIRECTORY (default: private, removed by stop; a given\n"
    "                     one is kept: it holds control.log and server.log)\n"
    "  --thread-pct P     default active thread percentage of new servers, 1 to 100 with at\n"
    "                     most two decimals (12.5)\n"
    "  --mem-limit SPEC   default pinned device memory limit per client, DEV=N{M,G},...\n"
    "                     DEV a CUDA ordinal or a GPU UUID, e.g. 0=10G,1=512M\n"
    "  --reuse            a daemon that already answers at --pipe-dir is used (and left\n"
    "                     running by stop) instead of refused; no settings with it\n"
    "  --timeout S        start-up deadline and deadline per control command (default 10)\n"
    "  -d, --device N     the GPU whose compute mode is read (NVML index, default 0)\n"
    "      --json         one JSON object on stdout instead of the shell lines\n"
    "  -h, --help         this help\n\n"
    "Exit status: 0 started (or reused), 1 failure (nothing left behind; also when a daemon\n"
    "already answers at --pipe-dir and --reuse is not given), 2 usage error, 130 interrupted\n"
    "(the daemon stopped, its directories removed).\n";

struct start_opts {
    char pipe_dir[256], log_dir[256], mem_limit[256];
    unsigned thread_centi; /* hundredths; 0 not given */
    bool reuse, json;
    int timeout_ms, device;
};

static int parse_value(struct error *err, int opt, const char *arg, struct start_opts *o)
{
    switch (opt) {
    case 'P':
        return mps_opt_dir(err, "--pipe-dir", arg, o->pipe_dir, sizeof(o->pipe_dir));
    case 'L':
        return mps_opt_dir(err, "--log-dir", arg, o->log_dir, sizeof(o->log_dir));
    case 't':
        return mps_pct_parse(err, "--thread-pct", arg, &o->thread_centi);
    case 'm':
        return mps_mem_normalize(err, "--mem-limit", arg, o->mem_limit, sizeof(o->mem_limit));
    case 'T':
        return mps_opt_timeout(err, arg, &o->timeout_ms);
    default:
        return cli_device(err, arg, &o->device);
    }
}

static int parse(int argc, char **argv, struct start_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"pipe-dir", required_argument, NULL, 'P'},
        {"log-dir", required_argument, NULL, 'L'},
        {"thread-pct", required_argument, NULL, 't'},
        {"mem-limit", required_argument, NULL, 'm'},
        {"reuse", no_argument, NULL, 'r'},
        {"timeout", required_argument, NULL, 'T'},
        {"device", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        }
        if (opt == 'r')
            o->reuse = true;
        else if (opt == 'j')
            o->json = true;
        else if (opt == '?' || opt == ':')
            return cli_bad_option(usage, argv, opt);
        else if (parse_value(&err, opt, optarg, o) < 0)
            return cli_usage_error(usage, &err);
    }
    if (optind < argc) {
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
        return cli_usage_error(usage, &err);
    }
    return EXIT_OK;
}

static bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* The GPU's compute mode through NVML, which may be absent (no driver: dlopen fails). */
struct compute_mode {
    bool known, exclusive;
    char mode[24], bus_id[32], detail[256], command[96];
};

static void read_compute_mode(int device, struct compute_mode *cm)
{
    struct gpu_info *g = xcalloc(1, sizeof(*g));
    struct error err;

    memset(cm, 0, sizeof(*cm));
    if (nvml_open(&err) < 0 || nvml_query_device(&err, NULL, device, g) < 0)
        str_printf(cm->detail, sizeof(cm->detail), "NVML: %s", err.msg);
    else if (!g->has_compute_mode)
        str_printf(cm->detail, sizeof(cm->detail), "NVML does not report it");
    else {
        cm->known = true;
        cm->exclusive = strcmp(g->compute_mode, "Exclusive_Process") == 0;
        str_printf(cm->mode, sizeof(cm->mode), "%s", g->compute_mode);
        str_printf(cm->bus_id, sizeof(cm->bus_id), "%s", g->pci_bus_id);
    }
    nvml_close();
    free(g);
    /* nvidia-smi -i takes an index or a bus id; the bus id names the card beyond doubt. */
    if (cm->bus_id[0] != '\0')
        str_printf(cm->command, sizeof(cm->command), "sudo nvidia-smi -i %s -c EXCLUSIVE_PROCESS",
                   cm->bus_id);
    else
        str_printf(cm->command, sizeof(cm->command), "sudo nvidia-smi -i %d -c EXCLUSIVE_PROCESS",
                   device);
}

/* Advice only: the command is printed, never run (the project never changes the GPU's mode). */
static void report_compute_mode(const struct compute_mode *cm, int device)
{
    if (cm->known && cm->exclusive) {
        fprintf(stderr,
                "gpushare: GPU %d compute mode is Exclusive_Process: only the MPS server "
                "uses it\n",
                device);
        return;
    }
    if (cm->known)
        fprintf(stderr, "gpushare: GPU %d compute mode is %s, not EXCLUSIVE_PROCESS\n", device,
                cm->mode);
    else
        fprintf(stderr, "gpushare: GPU %d compute mode unknown (%s)\n", device, cm->detail);
    fprintf(stderr,
            "gpushare: the MPS doc (2.3.1.2) recommends, without requiring, EXCLUSIVE_PROCESS so "
            "that only the MPS server uses the GPU; to set it (gpushare never does):\n"
            "    %s\n",
            cm->command);
}

/* The settings in force, read back from the daemon: the percentage, and each limit given. */
static json_t *read_settings(const struct mps_state *s, int timeout_ms)
{
    struct mps_mem_limit m[MPS_MAX_MEM_LIMITS];
    json_t *limits = json_object(), *pct = json_null();
    char out[160], cmd[128], *end;
    struct error err;
    size_t n = 0;

    if (mps_control(&err, s->pipe_dir, "get_default_active_thread_percentage", timeout_ms, out,
                    sizeof(out)) == 0) {
        double v = strtod(out, &end);

        if (end != out)
            pct = json_real(v);
    }
    if (s->mem_limit[0] != '\0' &&
        mps_mem_parse(&err, "mem_limit", s->mem_limit, m, MPS_MAX_MEM_LIMITS, &n) < 0)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        str_printf(cmd, sizeof(cmd), "get_default_device_pinned_mem_limit %s", m[i].dev);
        if (mps_control(&err, s->pipe_dir, cmd, timeout_ms, out, sizeof(out)) != 0)
            continue;
        out[strcspn(out, "\r\n")] = '\0';
        json_object_set_new(limits, m[i].dev, json_string(out));
    }
    return json_pack("{s:o,s:o}", "default_active_thread_percentage", pct,
                     "default_device_pinned_mem_limit", limits);
}

static void print_summary(const struct mps_state *s, const json_t *settings, bool fresh,
                          size_t n_records)
{
    const json_t *pct = json_object_get(settings, "default_active_thread_percentage");
    const json_t *lim = json_object_get(settings, "default_device_pinned_mem_limit");
    const char *dev;
    json_t *v;

    if (fresh)
        fprintf(stderr,
                "gpushare: MPS control daemon %ld started: pipe directory '%s', log "
                "directory '%s'\n",
                s->daemon.pid, s->pipe_dir, s->log_dir);
    else
        fprintf(stderr, "gpushare: reusing the MPS control daemon %ld at '%s'%s\n", s->daemon.pid,
                s->pipe_dir,
                s->reused ? " (gpushare did not start it; stop leaves it running)" : "");
    if (json_is_number(pct))
        fprintf(stderr, "gpushare: default active thread percentage %.1f (read back)\n",
                json_number_value(pct));
    json_object_foreach ((json_t *)lim, dev, v)
        fprintf(stderr, "gpushare: default pinned memory limit of device %s: %s (read back)\n", dev,
                json_string_value(v));
    fprintf(stderr, "gpushare: recorded in '%s'; stop it with: gpushare mps stop%s%s\n", s->path,
            n_records > 1 ? " --pipe-dir " : "", n_records > 1 ? s->pipe_dir : "");
}

static void print_result(const struct mps_state *s, json_t *settings, const struct compute_mode *cm,
                         int device, bool fresh, bool as_json)
{
    json_t *o, *mode;

    if (!as_json) {
        fputs("export CUDA_MPS_PIPE_DIRECTORY=", stdout);
        mps_shell_quote(stdout, s->pipe_dir);
        fputc('\n', stdout);
        if (s->log_dir[0] != '\0') {
            fputs("export CUDA_MPS_LOG_DIRECTORY=", stdout);
            mps_shell_quote(stdout, s->log_dir);
            fputc('\n', stdout);
        }
        fflush(stdout);
        return;
    }
    mode =
        json_pack("{s:i,s:o,s:o,s:o,s:o,s:o}", "device", device, "mode",
                  cm->known ? json_string(cm->mode) : json_null(), "exclusive_process",
                  cm->known ? json_boolean(cm->exclusive) : json_null(), "pci_bus_id",
                  cm->bus_id[0] != '\0' ? json_string(cm->bus_id) : json_null(), "detail",
                  cm->detail[0] != '\0' ? json_string(cm->detail) : json_null(),
                  "recommended_command", !cm->exclusive ? json_string(cm->command) : json_null());
    o = json_pack("{s:s,s:o,s:{s:o,s:I},s:b,s:b,s:O,s:o,s:s}", "pipe_dir", s->pipe_dir, "log_dir",
                  s->log_dir[0] != '\0' ? json_string(s->log_dir) : json_null(), "daemon", "pid",
                  s->daemon.pid > 0 ? json_integer(s->daemon.pid) : json_null(), "start",
                  (json_int_t)s->daemon.start, "started", fresh, "reused", s->reused, "settings",
                  settings, "compute_mode", mode, "state_file", s->path);
    // A failed write shows in the exit status: main checks stdout at the end.
    (void)js_dump(&(struct error){0}, o, stdout, "the daemon");
    json_decref(o);
}

/* Says what start leaves, once the daemon is recorded (or was already). */
static int finish(const struct start_opts *o, const struct mps_state *s, bool fresh)
{
    struct compute_mode cm;
    struct error err;
    struct mps_state *all;
    size_t n = 1;
    json_t *settings = read_settings(s, o->timeout_ms > 0 ? o->timeout_ms : MPS_CLI_QUERY_MS);

    all = mps_records(&err, &n);
    free(all);
    read_compute_mode(o->device, &cm);
    print_result(s, settings, &cm, o->device, fresh, o->json);
    print_summary(s, settings, fresh, n);
    report_compute_mode(&cm, o->device);
    json_decref(settings);
    return EXIT_OK;
}

/*
 * A record already at the pipe directory: a stale one is cleaned up so the start can go on
 * (*proceed); a live one is reused with --reuse, else refused.
 */
static int check_record(const struct start_opts *o, bool *proceed)
{
    struct mps_state s;
    struct mps_stopped st;
    bool found;

    *proceed = true;
    mps_record_for(o->pipe_dir, &s, &found);
    if (!found)
        return EXIT_OK;
    if (mps_state_stale(&s)) {
        mps_stop_record(&s, o->timeout_ms, &st);
        return mps_report_stopped(&st) == EXIT_OK ? EXIT_OK : EXIT_FAIL;
    }
    if (s.reused && !o->reuse)
        return EXIT_OK; /* mps_daemon_start refuses, or starts one if it no longer answers */
    *proceed = false;
    if (o->reuse) {
        if (o->thread_centi > 0 || o->mem_limit[0] != '\0') {
            fprintf(stderr,
                    "gpushare: error: the MPS control daemon at '%s' is reused: its "
                    "settings cannot be changed; drop --reuse or the settings\n",
                    o->pipe_dir);
            return EXIT_FAIL;
        }
        return finish(o, &s, false);
    }
    fprintf(stderr,
            "gpushare: error: gpushare already started the MPS control daemon %ld at '%s': stop "
            "it with 'gpushare mps stop --pipe-dir %s', or share it with --reuse\n",
            s.daemon.pid, s.pipe_dir, s.pipe_dir);
    return EXIT_FAIL;
}

/* A given directory start created: gone again when the start fails (logs excepted). */
static void undo_made(const char *dir, bool made, bool keep_logs)
{
    if (!made)
        return;
    if (keep_logs)
        rmdir(dir); /* only when empty: a failed daemon's control.log says why */
    else
        mps_remove_tree(dir);
}

static int interrupted(void)
{
    fprintf(stderr,
            "gpushare: interrupted by signal %d: the start is undone (a daemon it started is "
            "stopped, directories it made are removed)\n",
            mps_guard_pending());
    return EXIT_INTERRUPTED;
}

/* Start, record, and stop again if the record cannot be written or a signal came. */
static int start_and_record(const struct start_opts *o)
{
    struct mps_daemon_opts dopts = {
        .pipe_dir = o->pipe_dir[0] != '\0' ? o->pipe_dir : NULL,
        .log_dir = o->log_dir[0] != '\0' ? o->log_dir : NULL,
        .active_thread_centi = o->thread_centi,
        .pinned_mem_limit = o->mem_limit[0] != '\0' ? o->mem_limit : NULL,
        .reuse = o->reuse,
        .timeout_ms = o->timeout_ms,
    };
    bool made_pipe = dopts.pipe_dir != NULL && !exists(dopts.pipe_dir);
    bool made_log = dopts.log_dir != NULL && !exists(dopts.log_dir);
    struct mps_guard guard = {0};
    struct mps_daemon d;
    struct mps_state s;
    struct mps_stopped st;
    struct error err;

    mps_guard_install(&guard);
    if (mps_daemon_start(&err, &dopts, &d) < 0) {
        undo_made(o->pipe_dir, made_pipe, false);
        undo_made(o->log_dir, made_log, true);
        mps_guard_remove(&guard);
        if (err.code == ERR_INTERRUPTED || mps_guard_pending() != 0)
            return interrupted();
        return cli_fail(&err);
    }
    mps_state_from_daemon(&s, &d);
    s.made_pipe_dir = made_pipe && !d.reused;
    s.made_log_dir = made_log && !d.reused;
    if (!d.reused) {
        s.thread_centi = o->thread_centi;
        str_printf(s.mem_limit, sizeof(s.mem_limit), "%s", o->mem_limit);
    }
    if (mps_state_save(&err, &s) < 0) {
        struct error stop_err = {0};
        char why[sizeof(err.msg)];

        /* Unrecorded, no later stop could find it: it must not outlive us. */
        str_printf(why, sizeof(why), "%s", err.msg);
        if (d.reused)
            error_set(&err, ERR_IO, "cannot record the MPS control daemon: %s", why);
        else if (mps_daemon_stop(&stop_err, &d, o->timeout_ms) < 0)
            error_set(&err, ERR_IO, "cannot record the MPS control daemon: %s; stopping it: %s",
                      why, stop_err.msg);
        else
            error_set(&err, ERR_IO, "cannot record the MPS control daemon, so it was stopped: %s",
                      why);
        undo_made(o->pipe_dir, s.made_pipe_dir, false);
        undo_made(o->log_dir, s.made_log_dir, true);
        mps_guard_remove(&guard);
        return cli_fail(&err);
    }
    if (mps_guard_pending() != 0) {
        mps_stop_record(&s, o->timeout_ms, &st);
        mps_guard_remove(&guard);
        if (st.err.code != ERR_OK)
            fprintf(stderr, "gpushare: error: %s\n", st.err.msg);
        return interrupted();
    }
    mps_guard_remove(&guard);
    return finish(o, &s, !d.reused);
}

int mps_start(int argc, char **argv)
{
    struct start_opts o = {.device = 0};
    struct error err;
    bool done = false, exists_reg, proceed = true;
    int rc = parse(argc, argv, &o, &done);

    if (rc != EXIT_OK || done)
        return rc;
    /* Refuse an untrustworthy registry before anything is started. */
    if (mps_registry_check(&err, &exists_reg) < 0)
        return cli_fail(&err);
    if (o.pipe_dir[0] != '\0') {
        rc = check_record(&o, &proceed);
        if (rc != EXIT_OK || !proceed)
            return rc;
    }
    return start_and_record(&o);
}
