/*
 * gpushare mps status: whether a control daemon answers, its servers and their clients, and the
 * settings in force, asked of the daemon one control command at a time (gpu/mps.h, each with a
 * deadline). The client exits 0 even for a command the daemon rejects, so the text it prints,
 * not its status, is the answer (observed, driver 580; mps_daemon.c).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/mps_cli.h"
#include "core/json.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "gpu/mps.h"
#include "gpu/nvml.h"

#define MAX_PIDS 64
#define MAX_DEVICES 64

static const char usage[] = "usage: gpushare mps status [--pipe-dir DIR] [--json]\n";

static const char help[] =
    "Show the MPS control daemons gpushare recorded for this user (with none recorded, the one\n"
    "at $CUDA_MPS_PIPE_DIRECTORY or /tmp/nvidia-mps, MPS doc 4.2.2): its pid and whether it\n"
    "answers; its servers (get_server_list), each server's clients and active thread\n"
    "percentage; the default active thread percentage, client priority and pinned memory\n"
    "limit of each device (the device count comes from NVML; without it, ordinal 0 only).\n"
    "A record whose daemon is gone is reported and cleaned up.\n\n"
    "  --pipe-dir DIR  the daemon at DIR, recorded or not\n"
    "  --json          a JSON object on stdout instead of the text\n"
    "  -h, --help      this help\n\n"
    "Exit status: 0 every daemon shown answers; 3 none answers (not running, as LSB init\n"
    "scripts and systemctl status say); 1 some answer and some do not, or a failure; 2 usage\n"
    "error.\n";

struct devices {
    bool read; /* count_devices ran */
    unsigned count;
    bool from_nvml;
    char detail[256];
};

/* CUDA ordinals to ask about: NVML's device count when NVML loads, else ordinal 0 only. */
static void count_devices(struct devices *dv)
{
    struct gpu_sample s;
    struct error err;

    if (dv->read)
        return;
    memset(dv, 0, sizeof(*dv));
    dv->read = true;
    if (nvml_open(&err) < 0) {
        dv->count = 1;
        str_printf(dv->detail, sizeof(dv->detail), "NVML: %s", err.msg);
        return;
    }
    while (dv->count < MAX_DEVICES && nvml_sample(&err, NULL, (int)dv->count, &s) == 0)
        dv->count++;
    nvml_close();
    dv->from_nvml = dv->count > 0;
    if (dv->count == 0) {
        dv->count = 1;
        str_printf(dv->detail, sizeof(dv->detail), "NVML: %s", err.msg);
    }
}

/*
 * One answer of the daemon, trimmed; false when it gave none: the client failed or missed its
 * deadline, or the daemon did not know the command (it says so and still exits 0).
 */
static bool ask(const char *pipe_dir, const char *cmd, char *out, size_t size)
{
    struct error err;
    size_t n;
    int rc = mps_control(&err, pipe_dir, cmd, MPS_CLI_QUERY_MS, out, size);

    if (rc != 0) {
        out[0] = '\0';
        return false;
    }
    n = strlen(out);
    while (n > 0 && isspace((unsigned char)out[n - 1]))
        out[--n] = '\0';
    return strstr(out, "Unknown command") == NULL && strstr(out, "unknown command") == NULL &&
           strstr(out, "Cannot find MPS control daemon") == NULL;
}

/* The pids in an answer (one per line, as get_server_list and get_client_list print them). */
static size_t parse_pids(const char *s, long *pids, size_t max)
{
    size_t n = 0;

    while (*s != '\0' && n < max) {
        char *end;
        long v;

        while (*s != '\0' && !isdigit((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        v = strtol(s, &end, 10);
        if (v > 0)
            pids[n++] = v;
        s = end;
    }
    return n;
}

static json_t *number_or_null(const char *pipe_dir, const char *cmd)
{
    char out[160], *end;
    double v;

    if (!ask(pipe_dir, cmd, out, sizeof(out)))
        return json_null();
    v = strtod(out, &end);
    return end != out && *end == '\0' ? json_real(v) : json_null();
}

static json_t *servers_json(const char *pipe_dir)
{
    long servers[MAX_PIDS], clients[MAX_PIDS];
    json_t *arr = json_array();
    char out[2048], cmd[96];
    size_t n = 0;

    if (ask(pipe_dir, "get_server_list", out, sizeof(out)))
        n = parse_pids(out, servers, MAX_PIDS);
    for (size_t i = 0; i < n; i++) {
        json_t *cl = json_array();
        size_t k = 0;

        str_printf(cmd, sizeof(cmd), "get_client_list %ld", servers[i]);
        if (ask(pipe_dir, cmd, out, sizeof(out)))
            k = parse_pids(out, clients, MAX_PIDS);
        for (size_t j = 0; j < k; j++)
            json_array_append_new(cl, json_integer(clients[j]));
        str_printf(cmd, sizeof(cmd), "get_active_thread_percentage %ld", servers[i]);
        json_array_append_new(arr, json_pack("{s:I,s:o,s:o}", "pid", (json_int_t)servers[i],
                                             "clients", cl, "active_thread_percentage",
                                             number_or_null(pipe_dir, cmd)));
    }
    return arr;
}

/* Per device: the limit ("10G"), "none" when unset (an empty answer), null when unanswered. */
static json_t *limits_json(const char *pipe_dir, const struct devices *dv)
{
    json_t *o = json_object();
    char out[160], cmd[96], key[8];

    for (unsigned i = 0; i < dv->count; i++) {
        str_printf(cmd, sizeof(cmd), "get_default_device_pinned_mem_limit %u", i);
        str_printf(key, sizeof(key), "%u", i);
        if (!ask(pipe_dir, cmd, out, sizeof(out)))
            json_object_set_new(o, key, json_null());
        else
            json_object_set_new(o, key, json_string(out[0] != '\0' ? out : "none"));
    }
    return o;
}

/* What one daemon is: its record (if any), whether it answers, and what it answers. */
static json_t *daemon_json(const char *pipe_dir, const struct mps_state *rec, bool stale,
                           struct devices *dv)
{
    struct mps_probe_result probe;
    json_t *o, *prio = json_null();
    char out[160];

    mps_probe(pipe_dir, &probe);
    o = json_pack("{s:s,s:o,s:b,s:b,s:b,s:o,s:o,s:b,s:s}", "pipe_dir", pipe_dir, "log_dir",
                  rec != NULL && rec->log_dir[0] != '\0' ? json_string(rec->log_dir) : json_null(),
                  "recorded", rec != NULL, "started_by_gpushare", rec != NULL && !rec->reused,
                  "stale", stale, "state_file", rec != NULL ? json_string(rec->path) : json_null(),
                  "pid",
                  probe.has_pid                                  ? json_integer(probe.daemon_pid)
                  : rec != NULL && !stale && rec->daemon.pid > 0 ? json_integer(rec->daemon.pid)
                                                                 : json_null(),
                  "answers", probe.answers, "detail", probe.detail);
    if (!probe.answers)
        return o;
    count_devices(dv);
    if (ask(pipe_dir, "get_default_client_priority", out, sizeof(out)) &&
        (strcmp(out, "0") == 0 || strcmp(out, "1") == 0))
        prio = json_integer(out[0] - '0');
    json_object_set_new(o, "servers", servers_json(pipe_dir));
    json_object_set_new(o, "default_active_thread_percentage",
                        number_or_null(pipe_dir, "get_default_active_thread_percentage"));
    json_object_set_new(o, "default_client_priority", prio);
    json_object_set_new(o, "default_device_pinned_mem_limit", limits_json(pipe_dir, dv));
    return o;
}

#define LABEL "  %-34s "

static void print_number(const char *label, const json_t *v)
{
    if (json_is_number(v))
        printf(LABEL "%.1f\n", label, json_number_value(v));
    else
        printf(LABEL "no answer\n", label);
}

static void print_daemon(const json_t *o, const struct devices *dv, bool kept)
{
    const json_t *pid = json_object_get(o, "pid"), *servers = json_object_get(o, "servers");
    const json_t *prio = json_object_get(o, "default_client_priority"), *v, *srv;
    const char *key;
    size_t i;

    printf("MPS control daemon at '%s'\n", json_string_value(json_object_get(o, "pipe_dir")));
    if (json_is_true(json_object_get(o, "stale"))) {
        printf(LABEL "gone: its record was stale and is removed, %s\n", "recorded by gpushare",
               kept ? "its directories kept (another daemon uses them)" : "with its directories");
    } else if (json_is_true(json_object_get(o, "recorded"))) {
        printf(LABEL "%s, record '%s'\n", "recorded by gpushare",
               json_is_true(json_object_get(o, "started_by_gpushare"))
                   ? "started by gpushare"
                   : "reused (start --reuse): stop leaves it running",
               json_string_value(json_object_get(o, "state_file")));
    }
    if (json_is_string(json_object_get(o, "log_dir")))
        printf(LABEL "%s\n", "log directory", json_string_value(json_object_get(o, "log_dir")));
    if (json_is_integer(pid))
        printf(LABEL "%lld\n", "daemon pid", (long long)json_integer_value(pid));
    printf(LABEL "%s (%s)\n", "answers", json_is_true(json_object_get(o, "answers")) ? "yes" : "no",
           json_string_value(json_object_get(o, "detail")));
    if (!json_is_true(json_object_get(o, "answers")))
        return;
    printf(LABEL "%zu\n", "servers", json_array_size(servers));
    json_array_foreach (servers, i, srv) {
        const json_t *cl = json_object_get(srv, "clients"), *c;
        const json_t *pct = json_object_get(srv, "active_thread_percentage");
        char label[48];
        size_t j;

        str_printf(label, sizeof(label), "server %lld",
                   (long long)json_integer_value(json_object_get(srv, "pid")));
        printf(LABEL "%zu client%s", label, json_array_size(cl),
               json_array_size(cl) == 1 ? "" : "s");
        json_array_foreach (cl, j, c)
            printf("%s%lld", j == 0 ? " (" : " ", (long long)json_integer_value(c));
        printf("%s; active thread percentage ", json_array_size(cl) > 0 ? ")" : "");
        if (json_is_number(pct))
            printf("%.1f\n", json_number_value(pct));
        else
            printf("no answer\n");
    }
    print_number("default active thread percentage",
                 json_object_get(o, "default_active_thread_percentage"));
    if (json_is_integer(prio))
        printf(LABEL "%lld (%s)\n", "default client priority", (long long)json_integer_value(prio),
               json_integer_value(prio) == 0 ? "normal" : "below normal");
    else
        printf(LABEL "no answer\n", "default client priority");
    json_object_foreach ((json_t *)json_object_get(o, "default_device_pinned_mem_limit"), key, v) {
        char label[48];

        str_printf(label, sizeof(label), "default pinned memory limit, GPU %s", key);
        printf(LABEL "%s\n", label, json_is_string(v) ? json_string_value(v) : "no answer");
    }
    if (!dv->from_nvml)
        printf(LABEL "ordinal 0 only: device count unknown (%s)\n", "devices", dv->detail);
}

static bool is_dir(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Cleans up a stale record: its daemon is gone, so only its directories and file remain; the
 * directories stay when another daemon has started there since. Returns whether they stayed. */
static bool clean_stale(const struct mps_state *rec)
{
    struct mps_stopped st;

    mps_stop_record(rec, 1000, &st);
    if (st.err.code != ERR_OK)
        fprintf(stderr, "gpushare: error: %s\n", st.err.msg);
    return (rec->root[0] != '\0' && is_dir(rec->root)) ||
           (rec->made_pipe_dir && is_dir(rec->pipe_dir));
}

static int parse(int argc, char **argv, char *pipe_dir, size_t size, bool *json, bool *done)
{
    static const struct option opts[] = {
        {"pipe-dir", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        }
        if (opt == 'j')
            *json = true;
        else if (opt != 'P')
            return cli_bad_option(usage, argv, opt);
        else if (mps_opt_dir(&err, "--pipe-dir", optarg, pipe_dir, size) < 0)
            return cli_usage_error(usage, &err);
    }
    if (optind < argc) {
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
        return cli_usage_error(usage, &err);
    }
    return EXIT_OK;
}

/* The daemons to show: --pipe-dir's, else every record, else the default pipe directory's. */
struct target {
    const char *dir;
    const struct mps_state *rec; /* NULL: gpushare has no record of it */
};

int mps_status(int argc, char **argv)
{
    struct target *t = xcalloc(MPS_CLI_MAX_RECORDS, sizeof(*t));
    struct mps_state *recs = NULL, one;
    char pipe_dir[256] = "";
    struct devices dv = {.count = 1};
    struct error err;
    bool json = false, done = false, found;
    size_t n = 0, n_t = 0, shown = 0, answering = 0;
    json_t *arr;
    int rc;

    rc = parse(argc, argv, pipe_dir, sizeof(pipe_dir), &json, &done);
    if (rc != EXIT_OK || done) {
        free(t);
        return rc;
    }
    if (pipe_dir[0] != '\0') {
        mps_record_for(pipe_dir, &one, &found);
        t[n_t++] = (struct target){pipe_dir, found ? &one : NULL};
    } else if ((recs = mps_records(&err, &n)) == NULL) {
        free(t);
        return cli_fail(&err);
    } else {
        for (size_t i = 0; i < n; i++)
            t[n_t++] = (struct target){recs[i].pipe_dir, &recs[i]};
        if (n_t == 0)
            t[n_t++] = (struct target){mps_default_pipe_dir(), NULL};
    }
    arr = json_array();
    for (size_t i = 0; i < n_t; i++) {
        bool stale = t[i].rec != NULL && mps_state_stale(t[i].rec), kept = false;
        json_t *o;

        if (stale)
            kept = clean_stale(t[i].rec);
        o = daemon_json(t[i].dir, stale ? NULL : t[i].rec, stale, &dv);
        shown += !stale || json_is_true(json_object_get(o, "answers"));
        answering += json_is_true(json_object_get(o, "answers"));
        if (!json)
            print_daemon(o, &dv, kept);
        json_array_append_new(arr, o);
    }
    if (json) {
        /* Devices were counted only if a daemon answered: they say which limits were asked. */
        json_t *devices =
            !dv.read ? json_null()
                     : json_pack("{s:I,s:b,s:o}", "count", (json_int_t)dv.count, "from_nvml",
                                 dv.from_nvml, "detail",
                                 dv.detail[0] != '\0' ? json_string(dv.detail) : json_null());
        json_t *doc = json_pack("{s:o,s:o}", "daemons", arr, "devices", devices);

        // A failed write shows in the exit status: main checks stdout at the end.
        (void)js_dump(&(struct error){0}, doc, stdout, "the daemons");
        json_decref(doc);
    } else {
        json_decref(arr);
    }
    free(recs);
    free(t);
    if (answering == 0)
        return EXIT_NOT_RUNNING;
    return answering == shown ? EXIT_OK : EXIT_FAIL;
}
