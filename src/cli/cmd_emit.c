/*
 * gpushare emit TARGET: write the files that deploy a sharing mode. A table of targets, each
 * parsing its own options; `mps` writes the MPS control daemon's scripts, systemd unit and
 * environment file (emit/mps.h); `k8s` the Kubernetes files (cli/emit_k8s.c). Needs no GPU: nothing
 * is run, only written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/emit_targets.h"
#include "core/fileset.h"
#include "core/json.h"
#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "emit/mps.h"
#include "mig/catalog.h"
#include "plan/evidence.h"
#include "plan/mps_share.h"
#include "plan/plandoc.h"
#include "results/results.h"

static int emit_mps(int argc, char **argv);

static const struct cmd targets[] = {
    {"mps", emit_mps, "MPS control daemon: start and stop scripts, systemd unit, environment file",
     false},
    {"k8s", emit_k8s,
     "Kubernetes: device-plugin config, Helm and GPU Operator values, node labels, mig-manager\n"
     "         config, an example Deployment; or a Job benchmarking every GPU node",
     false},
};

static const struct cli_group group = {
    .noun = "target",
    .usage = "usage: gpushare emit TARGET [OPTIONS]   (gpushare emit TARGET --help)\n",
    .about = "Write the files that deploy a sharing mode into a directory; gpushare runs none "
             "of them.",
    .footer = "Exit status: 0 written, 1 failure (nothing written), 2 usage error.\n",
    .width = 6,
    .subs = targets,
    .n = sizeof(targets) / sizeof(targets[0]),
};

int cmd_emit(int argc, char **argv)
{
    return cli_dispatch(&group, argc, argv);
}

/* ---- gpushare emit mps ---- */

static const char mps_usage[] =
    "usage: gpushare emit mps --out DIR [--plan PLAN.json | --clients N | --thread-pct P]\n"
    "                         [--mem-limit SPEC] [--results FILE] [--pipe-dir DIR] [--log-dir "
    "DIR]\n"
    "                         [--pipe-mode MODE] [--control PROGRAM] [--install-dir DIR]\n"
    "                         [--env-file FILE] [--force] [--json]\n";

static const char mps_help[] =
    "Write the files that run NVIDIA's MPS control daemon as a service, into DIR:\n"
    "  mps-start.sh          starts the daemon (nvidia-cuda-mps-control -d), waits until it\n"
    "                        answers, sets the default active thread percentage and pinned\n"
    "                        memory limits and reads each back (mode 0755)\n"
    "  mps-stop.sh           echo quit | nvidia-cuda-mps-control, then SIGTERM, then SIGKILL,\n"
    "                        each waited for (mode 0755)\n"
    "  gpushare-mps.service  a systemd unit running the two (mode 0644)\n"
    "  gpushare-mps.env      the settings, for the unit and the scripts (mode 0644)\n"
    "Every file begins with where each value came from: an option, the plan, or the default.\n"
    "The files are written together or not at all. See docs/emit-mps.md.\n\n"
    "  -o, --out DIR          where to write (made if missing, one level); required\n"
    "      --plan PLAN.json   the figures a plan decided (gpushare plan -o): its clients'\n"
    "                         thread percentage and pinned memory limit\n"
    "      --clients N        clients the daemon will serve, 1 to 60: the active thread\n"
    "                         percentage becomes each one's equal share, 100/N in whole percent,\n"
    "                         as NVIDIA's device plugin sets it for N replicas\n"
    "      --thread-pct P     the default active thread percentage, 1 to 100 with at most two\n"
    "                         decimals; wins over --clients. With neither, none is set and\n"
    "                         the daemon's default, 100, holds\n"
    "      --mem-limit SPEC   default pinned device memory limit per client, DEV=LIMIT[,...]\n"
    "                         as in CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: DEV a GPU ordinal or UUID\n"
    "                         (GPU-...), LIMIT a whole number and M or G, e.g. 0=10G,1=512M\n"
    "      --results FILE     a `gpushare bench mps` results document: the files also say what\n"
    "                         the percentage gave a client there (test mps.threads.sms)\n"
    "      --pipe-dir DIR     CUDA_MPS_PIPE_DIRECTORY, default /tmp/nvidia-mps (MPS doc 4.2.2)\n"
    "      --log-dir DIR      CUDA_MPS_LOG_DIRECTORY, default /var/log/nvidia-mps (MPS doc 4.2.3)\n"
    "      --pipe-mode MODE   the mode mps-start.sh gives a pipe directory it makes, default\n"
    "                         0755 so clients of every user can connect; 0700 for one user\n"
    "      --control PROGRAM  the control program, default nvidia-cuda-mps-control (on PATH)\n"
    "      --install-dir DIR  where the scripts will be installed, written into the unit;\n"
    "                         default /usr/local/lib/gpushare\n"
    "      --env-file FILE    where gpushare-mps.env will be installed, written into the unit\n"
    "                         and the scripts; default /etc/gpushare/mps.env\n"
    "  -f, --force            replace files of these names already in DIR\n"
    "      --json             print what was written, every value and its source, as JSON\n"
    "  -h, --help             this help\n\n"
    "Paths must be absolute, under 100 bytes, of A-Z a-z 0-9 . _ / - only.\n\n"
    "Exit status: 0 written; 1 failure, nothing written (DIR not writable, a file exists\n"
    "without --force, an unusable --results document); 2 usage error.\n";

enum {
    OPT_PIPE_DIR = 256,
    OPT_LOG_DIR,
    OPT_THREAD_PCT,
    OPT_MEM_LIMIT,
    OPT_CLIENTS,
    OPT_RESULTS,
    OPT_INSTALL_DIR,
    OPT_ENV_FILE,
    OPT_CONTROL,
    OPT_PIPE_MODE,
    OPT_JSON,
    OPT_PLAN,
};

struct mps_cli {
    struct emit_mps_opts o;
    const char *out, *results, *clients, *plan;
    char why[400], mem[48];
    struct plan_deploy deploy;
    bool force, json;
};

/* Parses argv into c; returns -1 to go on, else the exit status (help, usage error). */
static int parse_mps(int argc, char **argv, struct mps_cli *c)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"pipe-dir", required_argument, NULL, OPT_PIPE_DIR},
        {"log-dir", required_argument, NULL, OPT_LOG_DIR},
        {"thread-pct", required_argument, NULL, OPT_THREAD_PCT},
        {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
        {"clients", required_argument, NULL, OPT_CLIENTS},
        {"results", required_argument, NULL, OPT_RESULTS},
        {"install-dir", required_argument, NULL, OPT_INSTALL_DIR},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"control", required_argument, NULL, OPT_CONTROL},
        {"pipe-mode", required_argument, NULL, OPT_PIPE_MODE},
        {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, OPT_JSON},
        {"plan", required_argument, NULL, OPT_PLAN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":o:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", mps_usage, mps_help);
            return EXIT_OK;
        case 'o':
            c->out = optarg;
            break;
        case OPT_PIPE_DIR:
            c->o.pipe_dir = optarg;
            break;
        case OPT_LOG_DIR:
            c->o.log_dir = optarg;
            break;
        case OPT_THREAD_PCT:
            c->o.thread_pct = optarg;
            break;
        case OPT_MEM_LIMIT:
            c->o.mem_limit = optarg;
            break;
        case OPT_CLIENTS:
            c->clients = optarg;
            break;
        case OPT_RESULTS:
            c->results = optarg;
            break;
        case OPT_INSTALL_DIR:
            c->o.install_dir = optarg;
            break;
        case OPT_ENV_FILE:
            c->o.env_file = optarg;
            break;
        case OPT_CONTROL:
            c->o.control = optarg;
            break;
        case OPT_PIPE_MODE:
            c->o.pipe_mode = optarg;
            break;
        case 'f':
            c->force = true;
            break;
        case OPT_JSON:
            c->json = true;
            break;
        case OPT_PLAN:
            c->plan = optarg;
            break;
        default:
            return cli_bad_option(mps_usage, argv, opt);
        }
    }
    if (optind < argc) {
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
        return cli_usage_error(mps_usage, &err);
    }
    if (c->out == NULL || c->out[0] == '\0') {
        error_set(&err, ERR_USAGE, "no --out DIR: where should the files go?");
        return cli_usage_error(mps_usage, &err);
    }
    if (c->plan != NULL && c->clients != NULL) {
        error_set(&err, ERR_USAGE, "--plan and --clients both say how many clients: give one");
        return cli_usage_error(mps_usage, &err);
    }
    if (c->clients != NULL) {
        unsigned long n = 0;

        if (parse_uint(&err, "--clients", c->clients, 1, EMIT_MPS_MAX_CLIENTS, &n) < 0)
            return cli_usage_error(mps_usage, &err);
        if (emit_mps_clients_check(&err, "--clients", (unsigned)n, c->results) < 0)
            return cli_usage_error(mps_usage, &err);
        c->o.plan_clients = (unsigned)n;
        c->o.plan_pct_centi = mps_share_pct((unsigned)n) * 100;
        mps_share_why((unsigned)n, c->why, sizeof(c->why));
        c->o.plan_why = c->why;
    }
    return -1;
}

int emit_mps_clients_check(struct error *err, const char *option, unsigned clients,
                           const char *results)
{
    struct ev_docs docs;
    struct evidence *ev;
    const struct mig_gpu *g;
    char cite[400];
    double limit;

    if (evidence_docs_init(err, &docs) < 0)
        return -1;
    if (results != NULL && evidence_docs_add(err, &docs, results) < 0) {
        evidence_docs_release(&docs);
        return -1;
    }
    // The limit belongs to the driver more than the card: the user's card, else the committed.
    g = results != NULL ? docs.d[docs.n - 1].g : NULL;
    if (g == NULL)
        g = mig_gpu_by_nvml_name(docs.d[0].card);
    ev = xcalloc(1, sizeof(*ev));
    evidence_for(&docs, g, ev);
    limit = ev->f[EV_MPS_CLIENTS].v;
    evidence_cite(ev, EV_MPS_CLIENTS, cite, sizeof(cite));
    free(ev);
    evidence_docs_release(&docs);
    if (!(clients > limit))
        return 0;
    return error_set(err, ERR_USAGE,
                     "%s %u: one MPS server accepted %.0f clients (%s); measure your card with "
                     "`gpushare bench mps --only clients -o R.json` and pass --results R.json",
                     option, clients, limit, cite);
}

/* What was written and with which values, for people: the JSON summary as text. */
static void print_summary(const json_t *sum, const struct emit_mps_config *cfg, const char *dir)
{
    const json_t *v;
    size_t i;

    printf("wrote into %s:\n", dir);
    json_array_foreach (json_object_get(sum, "files"), i, v)
        printf("  %-21s %s  %s\n", json_string_value(json_object_get(v, "name")),
               json_string_value(json_object_get(v, "mode")),
               json_string_value(json_object_get(v, "what")));
    printf("\nsettings (each file's header says where each came from):\n");
    json_array_foreach (json_object_get(sum, "settings"), i, v) {
        const char *value = json_string_value(json_object_get(v, "value"));

        printf("  %-34s %s (%s)\n", json_string_value(json_object_get(v, "name")),
               value != NULL ? value : "not set", json_string_value(json_object_get(v, "source")));
    }
    printf("\ninstall (as root):\n"
           "  install -D -m 0755 -t %s %s/mps-start.sh %s/mps-stop.sh\n"
           "  install -D -m 0644 %s/gpushare-mps.env %s\n"
           "  install -D -m 0644 %s/gpushare-mps.service /etc/systemd/system/gpushare-mps.service\n"
           "  systemctl daemon-reload && systemctl enable --now gpushare-mps.service\n",
           cfg->install_dir, dir, dir, dir, cfg->env_file, dir);
}

int emit_mps_write(struct error *err, const struct emit_mps_opts *o, const char *out, bool force,
                   const char *results, struct emit_mps_config *cfg)
{
    char *text[EMIT_MPS_NFILES] = {NULL};
    struct fileset_file files[EMIT_MPS_NFILES];
    json_t *doc;
    int rc;

    /* Every option is checked before any file is read. */
    if (emit_mps_configure(err, o, cfg) < 0)
        return -1;
    if (results != NULL) {
        doc = results_load(err, results);
        if (doc == NULL)
            return -1;
        rc = evidence_threads_at(err, doc, results, cfg->pct_centi > 0 ? cfg->pct_centi : 10000,
                                 &cfg->measured);
        json_decref(doc);
        if (rc < 0)
            return -1;
    }
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        text[f] = emit_mps_render(cfg, f);
        files[f] = (struct fileset_file){emit_mps_file_name(f), text[f], emit_mps_file_mode(f)};
    }
    rc = fileset_write(err, out, files, EMIT_MPS_NFILES, force);
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        free(text[f]);
    return rc;
}

/* --plan: the figures the plan decided, where no option gave them. */
static int mps_from_plan(struct error *err, struct mps_cli *c)
{
    struct plan_deploy *d = &c->deploy;

    if (plandoc_load_deploy(err, c->plan, d) < 0)
        return -1;
    if (d->mps_clients == 0)
        return error_set(err, ERR_INVALID,
                         "'%s' recommends %s, which runs no MPS daemon on a whole GPU", c->plan,
                         plan_mode_name(d->mode));
    if (d->thread_pct > 0) {
        c->o.plan_pct_centi = d->thread_pct * 100;
        c->o.plan_clients = d->mps_clients;
        c->o.plan_why = d->mps_why;
    }
    if (d->mem_mib > 0 && c->o.mem_limit == NULL) {
        str_printf(c->mem, sizeof(c->mem), "0=%lluM", d->mem_mib);
        c->o.mem_limit = c->mem;
        c->o.mem_why = d->mps_why;
    }
    return 0;
}

static int emit_mps(int argc, char **argv)
{
    struct mps_cli c;
    struct emit_mps_config cfg;
    struct error err;
    json_t *sum;
    int rc;

    memset(&c, 0, sizeof(c));
    c.o.dirty = -1;
    rc = parse_mps(argc, argv, &c);
    if (rc >= 0)
        return rc;
    if (c.plan != NULL && mps_from_plan(&err, &c) < 0)
        return err.code == ERR_USAGE ? cli_usage_error(mps_usage, &err) : cli_fail(&err);
    /* A bad value is a usage error, found before any file is read or written. */
    if (emit_mps_configure(&err, &c.o, &cfg) < 0)
        return cli_usage_error(mps_usage, &err);
    if (emit_mps_write(&err, &c.o, c.out, c.force, c.results, &cfg) < 0)
        return cli_fail(&err);
    sum = emit_mps_json(&cfg, c.out);
    if (c.json) {
        // A failed write shows in the exit status: main checks stdout at the end.
        (void)js_dump(&(struct error){0}, sum, stdout, "what was written");
    } else {
        print_summary(sum, &cfg, c.out);
    }
    json_decref(sum);
    return EXIT_OK;
}
