/*
 * gpushare plan: from workloads to a sharing mode, a geometry, what breaks with every other
 * mode, and the files that deploy it (docs/plan.md). A thin command over plan/: it reads the
 * plan file and the results documents, prints what the planner decided, writes the plan
 * document and, with --emit, the artifacts through the existing emitters. `plan check` sets
 * the planner's predictions beside a measured mix (cli/plan_check.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/emit_targets.h"
#include "cli/mig_out.h"
#include "cli/plan_out.h"
#include "core/fileset.h"
#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "emit/migparted.h"
#include "emit/mps.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/evidence.h"
#include "plan/examples.h"
#include "plan/plandoc.h"
#include "plan/planner.h"
#include "results/results.h"

static const char usage[] =
    "usage: gpushare plan FILE.yaml [--results FILE]... [--gpu MODEL[:COUNT]] [--json]\n"
    "                     [-o PLAN.json] [--emit DIR] [--force] [--table]\n"
    "       gpushare plan --example NAME [options as above]\n"
    "       gpushare plan --examples\n"
    "       gpushare plan check MIX.json [--results FILE]... [--json] [-o CHECK.json]\n";

static const char help[] =
    "Decide how to share GPUs between workloads: every sharing mode (a GPU each, time-slicing,\n"
    "MPS plain or with memory limits, equal caps or priorities, MIG, MPS inside MIG slices, and\n"
    "a mixed fleet plan) is packed onto the GPUs, its latency predicted from measured figures,\n"
    "its isolation stated; the recommendation comes first, then what breaks with each other\n"
    "mode, the decision table and the figures behind every prediction (docs/plan.md).\n\n"
    "FILE.yaml: gpus (model, count) and workloads (name, memory_gib, replicas, one of min_sms,\n"
    "compute_fraction or requests_per_s with gpu_ms_per_request, latency_slo_ms, tenant,\n"
    "isolation none|soft|hard); a `gpushare mig plan` demands file with --gpu works too.\n\n"
    "  -r, --results FILE  a results document (any gpushare bench) or a fleet document (gpushare\n"
    "                      fleet merge): its figures for its GPU model win over the device\n"
    "                      results committed with gpushare; repeat for several\n"
    "  -g, --gpu MODEL[:COUNT]  plan on COUNT (default 1) of a catalog model instead of the\n"
    "                      file's gpus (gpushare mig profiles lists the models)\n"
    "      --example NAME  plan a shipped example (--examples lists them)\n"
    "      --json          print the plan document (gpushare.plan/1) instead of the text\n"
    "  -o, --output FILE   write the plan document to FILE, atomically\n"
    "      --emit DIR      write the recommendation's artifacts: DIR/plan.json, and as it needs\n"
    "                      DIR/mps/ (gpushare emit mps), DIR/k8s/ (gpushare emit k8s), DIR/mig/\n"
    "                      (the mig-parted config and nvidia-smi script)\n"
    "  -f, --force         replace what -o or --emit would write\n"
    "      --table         print the decision table only\n"
    "  -h, --help          this help\n\n"
    "check: reads a `gpushare bench mix` document and sets the planner's prediction for each\n"
    "measured mix beside it, with the error (a results document: -o, --json).\n\n"
    "Needs no GPU. Exit status: 0 a mode works (the recommendation), 1 none does, or a file\n"
    "could not be read or written (nothing written), 2 usage error or a bad plan file (its\n"
    "line and column named).\n";

#define PLAN_MAX_RESULTS 64

struct plan_cli {
    const char *file, *example, *gpu, *out, *emit;
    const char *results[PLAN_MAX_RESULTS];
    size_t n_results;
    bool json, force, table, list;
};

int plan_check_run(int argc, char **argv);

static int parse(int argc, char **argv, struct plan_cli *c)
{
    static const struct option opts[] = {
        {"results", required_argument, NULL, 'r'},
        {"gpu", required_argument, NULL, 'g'},
        {"example", required_argument, NULL, 'E'},
        {"examples", no_argument, NULL, 'L'},
        {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"emit", required_argument, NULL, 'e'},
        {"force", no_argument, NULL, 'f'},
        {"table", no_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":r:g:o:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", usage, help);
            return EXIT_OK;
        case 'r':
            if (c->n_results == PLAN_MAX_RESULTS) {
                error_set(&err, ERR_USAGE, "at most %d --results", PLAN_MAX_RESULTS);
                return cli_usage_error(usage, &err);
            }
            c->results[c->n_results++] = optarg;
            break;
        case 'g':
            c->gpu = optarg;
            break;
        case 'E':
            c->example = optarg;
            break;
        case 'L':
            c->list = true;
            break;
        case 'j':
            c->json = true;
            break;
        case 'o':
            c->out = optarg;
            break;
        case 'e':
            c->emit = optarg;
            break;
        case 'f':
            c->force = true;
            break;
        case 't':
            c->table = true;
            break;
        default:
            return cli_bad_option(usage, argv, opt);
        }
    }
    if (optind < argc)
        c->file = argv[optind++];
    if (optind < argc)
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
    else if (c->list)
        return -1;
    else if ((c->file == NULL) == (c->example == NULL))
        error_set(&err, ERR_USAGE, "give a plan file or --example NAME (one of the two)");
    else if (c->json && c->table)
        error_set(&err, ERR_USAGE, "--json and --table: give one");
    else
        return -1;
    return cli_usage_error(usage, &err);
}

static int list_examples(void)
{
    size_t n;
    const struct plan_example *ex = plan_examples(&n);

    for (size_t i = 0; i < n; i++)
        printf("%-22s %s (%s)\n", ex[i].name, ex[i].what, ex[i].path);
    return EXIT_OK;
}

/* --gpu MODEL[:COUNT] in place of the file's GPUs. */
static int take_gpu(struct error *err, const char *arg, struct demand_set *set)
{
    char model[DEMAND_NAME_MAX];
    const char *colon = strchr(arg, ':');
    const struct mig_gpu *g;
    unsigned long count = 1;

    str_printf(model, sizeof(model), "%.*s", colon != NULL ? (int)(colon - arg) : (int)strlen(arg),
               arg);
    if ((g = mig_gpu_find(model)) == NULL)
        return mig_out_unknown_gpu(err, model);
    if (colon != NULL &&
        parse_uint(err, "--gpu COUNT", colon + 1, 1, PLAN_MAX_GPU_COUNT, &count) < 0)
        return -1;
    set->n_gpus = 1;
    memset(&set->gpus[0], 0, sizeof(set->gpus[0]));
    str_printf(set->gpus[0].model, sizeof(set->gpus[0].model), "%s", g->model);
    set->gpus[0].count = count;
    return 0;
}

/* The plan file or the example, and the GPUs to plan on. */
static int load_input(struct error *err, const struct plan_cli *c, struct demand_set *set,
                      const char **name)
{
    int rc;

    if (c->example != NULL) {
        const struct plan_example *ex = plan_example_find(c->example);

        if (ex == NULL)
            return error_set(err, ERR_USAGE,
                             "no example '%.40s': gpushare plan --examples lists them", c->example);
        *name = ex->path;
        rc = demand_load_yaml_buf(err, ex->text, ex->len, ex->path, set);
    } else {
        *name = c->file;
        rc = demand_load_yaml(err, c->file, set);
    }
    if (rc < 0)
        return -1;
    if (c->gpu != NULL && take_gpu(err, c->gpu, set) < 0)
        return -1;
    if (set->n_gpus == 0)
        return error_set(err, ERR_USAGE,
                         "'%.80s' names no GPUs: add a 'gpus:' list, or give --gpu MODEL[:COUNT]",
                         *name);
    return 0;
}

/* DIR/mps: the systemd files with the plan's figures. */
static int emit_mps_files(struct error *err, const struct plan_deploy *d, const char *dir)
{
    char out[4096], mem[48];
    struct emit_mps_opts o = {.dirty = -1};
    struct emit_mps_config cfg;

    str_printf(out, sizeof(out), "%s/mps", dir);
    if (d->thread_pct > 0) {
        o.plan_pct_centi = d->thread_pct * 100;
        o.plan_clients = d->mps_clients;
        o.plan_why = d->mps_why;
    }
    if (d->mem_mib > 0) {
        // The default limit of device 0; a node's other GPUs take theirs in the env file.
        str_printf(mem, sizeof(mem), "0=%lluM", d->mem_mib);
        o.mem_limit = mem;
        o.mem_why = d->mps_why;
    }
    return emit_mps_write(err, &o, out, false, NULL, &cfg);
}

static int emit_k8s_files(struct error *err, const struct plan_deploy *d, const char *dir)
{
    char out[4096], pct[16], mem[48];
    struct emit_k8s_req q = {.out = out, .mode = d->k8s_mode, .quiet = true};

    str_printf(out, sizeof(out), "%s/k8s", dir);
    q.replicas = d->k8s_replicas;
    if (strcmp(d->k8s_mode, "mps") == 0) {
        str_printf(pct, sizeof(pct), "%u", d->thread_pct);
        str_printf(mem, sizeof(mem), "0=%lluM", d->mem_mib);
        q.thread_pct = d->thread_pct > 0 ? pct : NULL;
        q.mem_limit = d->mem_mib > 0 ? mem : NULL;
    }
    if (d->mig_layout[0] != '\0' && strncmp(d->k8s_mode, "mig", 3) == 0) {
        q.mig_layout = d->mig_layout;
        q.gpu = d->gpu_model;
    }
    return emit_k8s_write(err, &q);
}

static int emit_mig_files(struct error *err, const struct plan_deploy *d, const char *dir)
{
    char out[4096], name[MIGPARTED_NAME_MAX + 1];
    const struct mig_gpu *g = mig_gpu_find(d->gpu_model);
    struct mig_layout l;

    str_printf(out, sizeof(out), "%s/mig", dir);
    if (g == NULL || mig_layout_parse(err, g, d->mig_layout, &l) < 0 ||
        !mig_check_layout(&l, NULL, 0))
        return error_set(err, ERR_INVALID, "the plan's MIG layout '%.80s' does not fit %s",
                         d->mig_layout, d->gpu_model);
    migparted_default_name(&l, name, sizeof(name));
    return mig_out_write(err, out, &l, name, true);
}

/* --emit DIR: every artifact of the deployment, each through its emitter, into a private
 * directory that takes DIR's place only when all of them were written: nothing half-written. */
static int emit_all(struct error *err, const json_t *doc, const struct plan_deploy *d,
                    const char *dir, bool force)
{
    char *text = xmust(json_dumps(doc, JS_DUMP_FLAGS), "the plan document"), *with_nl, tmp[4096];
    struct fileset_file plan_file = {"plan.json", NULL, 0644};
    size_t len;
    int rc;

    len = strlen(text);
    with_nl = xmalloc(len + 2);
    memcpy(with_nl, text, len);
    memcpy(with_nl + len, "\n", 2);
    free(text);
    plan_file.text = with_nl;
    if (fileset_dir_begin(err, dir, force, tmp, sizeof(tmp)) < 0) {
        free(with_nl);
        return -1;
    }
    rc = fileset_write(err, tmp, &plan_file, 1, true);
    free(with_nl);
    if (rc == 0 && d->mps_clients > 0)
        rc = emit_mps_files(err, d, tmp);
    if (rc == 0 && d->k8s_mode[0] != '\0')
        rc = emit_k8s_files(err, d, tmp);
    if (rc == 0 && d->mig_layout[0] != '\0')
        rc = emit_mig_files(err, d, tmp);
    if (rc < 0) {
        fileset_dir_abort(tmp);
        return -1;
    }
    return fileset_dir_commit(err, tmp, dir);
}

static void print_emitted(const struct plan_deploy *d, const char *dir)
{
    printf("\nwrote into %s:\n  plan.json   the plan (gpushare.plan/1)\n", dir);
    if (d->mps_clients > 0)
        printf(
            "  mps/        the MPS daemon's start and stop scripts, systemd unit and settings\n");
    if (d->k8s_mode[0] != '\0')
        printf("  k8s/        the device plugin's %s config, Helm values, node labels, an "
               "example (k8s/README.md says in which order)\n",
               d->k8s_mode);
    if (d->mig_layout[0] != '\0')
        printf("  mig/        the mig-parted config of %s and the nvidia-smi script (not run)\n",
               d->mig_layout);
}

static int run(const struct plan_cli *c)
{
    struct demand_set set;
    struct ev_docs docs;
    struct plan *p = xcalloc(1, sizeof(*p));
    struct plan_deploy d;
    struct error err;
    const char *name = "";
    char again[200];
    json_t *doc = NULL;
    int rc = EXIT_FAIL;

    memset(&set, 0, sizeof(set));
    memset(&docs, 0, sizeof(docs));
    if (load_input(&err, c, &set, &name) < 0) {
        rc = err.code == ERR_IO ? cli_fail(&err) : cli_usage_error(usage, &err);
        goto out;
    }
    if ((c->out != NULL && cli_check_out(&err, c->out, c->force) < 0) ||
        evidence_docs_init(&err, &docs) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    for (size_t i = 0; i < c->n_results; i++)
        if (evidence_docs_add(&err, &docs, c->results[i]) < 0) {
            rc = cli_fail(&err);
            goto out;
        }
    if (plan_solve(&err, &set, &docs, p) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    doc = plandoc_build(p, name);
    plandoc_deploy_of(p, &d);
    if (cli_write_doc(&err, doc, c->out, c->force) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (c->emit != NULL && p->any_works && emit_all(&err, doc, &d, c->emit, c->force) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (c->example != NULL)
        str_printf(again, sizeof(again), "gpushare plan --example %s", c->example);
    else
        str_printf(again, sizeof(again), "gpushare plan %s", name);
    if (c->json && results_write(&err, doc, "-") < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    if (c->table && !c->json)
        plan_out_table(stdout, p);
    else if (!c->json)
        plan_out_text(stdout, p, name, again);
    if (c->emit != NULL && !c->json) {
        if (p->any_works)
            print_emitted(&d, c->emit);
        else
            fprintf(stderr, "gpushare: nothing written into %s: no mode fits\n", c->emit);
    }
    rc = p->any_works ? EXIT_OK : EXIT_FAIL;
out:
    json_decref(doc);
    plan_release(p);
    free(p);
    evidence_docs_release(&docs);
    demand_set_release(&set);
    return rc;
}

int cmd_plan(int argc, char **argv)
{
    struct plan_cli c;
    int rc;

    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        cli_reset_getopt();
        return plan_check_run(argc - 1, argv + 1);
    }
    memset(&c, 0, sizeof(c));
    rc = parse(argc, argv, &c);
    if (rc >= 0)
        return rc;
    if (c.list)
        return list_examples();
    return run(&c);
}
