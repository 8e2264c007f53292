/*
 * gpushare mig profiles | check | layouts | plan: the MIG catalog, the geometry rules, and
 * the mig-parted files that apply a layout. Needs no GPU, except `profiles --live` and the
 * default --gpu, which read the local one through NVML.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/mig_out.h"
#include "core/str.h"
#include "fleet/merge.h"
#include "gpu/info.h"
#include "gpu/nvml.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/mig_fleet.h"
#include "plan/mig_plan.h"
#include "results/results.h"

static const char usage[] =
    "usage: gpushare mig profiles [--gpu MODEL | --live [--device N]] [--json]\n"
    "       gpushare mig check LAYOUT [--gpu MODEL] [--json] [--out DIR] [--name NAME]\n"
    "       gpushare mig layouts [--gpu MODEL] [--json]\n"
    "       gpushare mig plan DEMANDS [--gpu MODEL | --fleet FILE] [--json] [--out DIR] [--name "
    "NAME]\n";

static const char help[] =
    "MIG geometry from a catalog of every MIG-capable GPU's profiles (sources included;\n"
    "unverified rows are flagged).\n\n"
    "  profiles   the catalog: every GPU, or one GPU's profiles with SMs, memory, instances and\n"
    "             placements; --live reads the local GPU through NVML (MIG may stay disabled)\n"
    "             and compares it with its catalog entry (exit 1 on any mismatch)\n"
    "  check      is LAYOUT valid on the GPU? LAYOUT: PROFILE[:COUNT],... e.g.\n"
    "             3g.40gb,2g.20gb,1g.10gb:2. Valid: the placement drawn over the memory slices,\n"
    "             SMs used and stranded, memory. Invalid: why (exit 1)\n"
    "  layouts    every maximal layout (one that takes no further instance) and how many\n"
    "  plan       the layout that holds DEMANDS with the least memory, and which model goes\n"
    "             where; or why none does, with the nearest alternatives. DEMANDS: a YAML file\n"
    "             (models: [{name, memory_gib, min_sms | compute_fraction, replicas}]) or\n"
    "             NAME:MEM[:COMPUTE][xCOUNT],... e.g. llama:20gb:30sm,bert:4gb:10%x3\n\n"
    "  -g, --gpu MODEL   a catalog model (gpushare mig profiles lists them); default: the\n"
    "                    local GPU, read through NVML\n"
    "      --fleet FILE  plan: the GPU models of a fleet document (gpushare fleet merge):\n"
    "                    plan for each model, say how many of it the fleet has and whether\n"
    "                    the plan's GPUs fit in them, and show the plan of the model needing\n"
    "                    the fewest GPUs (docs/fleet.md); not with --gpu\n"
    "      --live        profiles: read the local GPU       -d, --device N  its NVML index\n"
    "      --json        print JSON instead of text\n"
    "  -o, --out DIR     check, plan: write NAME.yaml (mig-parted config) and NAME.sh (the\n"
    "                    nvidia-smi commands; gpushare never runs them) into DIR, atomically\n"
    "      --name NAME   config name, also the node label value (default from the layout)\n"
    "  -h, --help        this help\n\n"
    "Exit status: 0 ok (valid, fits, matches), 1 invalid layout, no fit (--fleet: not in the\n"
    "fleet's GPUs), a live mismatch or an unreadable fleet document, 2 usage error (unknown\n"
    "GPU or profile, malformed layout or demands, --gpu with --fleet, a fleet with no MIG\n"
    "model), 69 --live with no GPU.\n";

struct mig_opts {
    const char *gpu;
    const char *fleet;
    bool live, json;
    int device;
    const char *out, *name;
};

static int parse_common(int argc, char **argv, struct mig_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"gpu", required_argument, NULL, 'g'},
        {"live", no_argument, NULL, 'l'},
        {"device", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, 'n'},
        {"fleet", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":g:d:o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        case 'g':
            o->gpu = optarg;
            break;
        case 'l':
            o->live = true;
            break;
        case 'd':
            if (cli_device(&err, optarg, &o->device) < 0)
                return cli_usage_error(usage, &err);
            break;
        case 'j':
            o->json = true;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'F':
            o->fleet = optarg;
            break;
        default:
            return cli_bad_option(usage, argv, opt);
        }
    }
    return EXIT_OK;
}

/* The GPU the command is about: --gpu, else the local one by its NVML name. */
static int pick_gpu(struct error *err, const struct mig_opts *o, const struct mig_gpu **g)
{
    struct gpu_info *info;
    int rc = 0;

    if (o->gpu != NULL) {
        *g = mig_gpu_find(o->gpu);
        if (*g == NULL)
            return mig_out_unknown_gpu(err, o->gpu);
        return 0;
    }
    info = calloc(1, sizeof(*info));
    if (info == NULL)
        abort();
    if (nvml_open(err) < 0 || nvml_query_device(err, NULL, o->device, info) < 0) {
        char why[sizeof(err->msg)];

        str_printf(why, sizeof(why), "%s", err->msg);
        rc = error_set(err, ERR_USAGE, "no --gpu MODEL, and no local GPU to take it from: %s", why);
    } else if ((*g = mig_gpu_by_nvml_name(info->name)) == NULL)
        rc = error_set(err, ERR_USAGE,
                       "the local GPU '%.60s' supports no MIG profile in the catalog: pass --gpu",
                       info->name);
    nvml_close();
    free(info);
    return rc;
}

static int cmd_profiles(const struct mig_opts *o)
{
    struct error err;
    const struct mig_gpu *g = NULL;

    if (o->live)
        return mig_out_live(o->device, o->json);
    if (o->gpu == NULL)
        return mig_out_catalog(o->json);
    if (pick_gpu(&err, o, &g) < 0)
        return cli_usage_error(usage, &err);
    return mig_out_profiles(g, o->json);
}

/* Writes the layout's mig-parted config and script into o->out. Both are staged before either
 * is renamed, so a failure while writing replaces nothing (core/atomic.h). */
static int write_outputs(struct error *err, const struct mig_opts *o, const struct mig_layout *l)
{
    char name[MIGPARTED_NAME_MAX + 1];

    if (o->name != NULL && migparted_check_name(err, o->name) < 0)
        return -1;
    if (o->name != NULL)
        str_printf(name, sizeof(name), "%s", o->name);
    else
        migparted_default_name(l, name, sizeof(name));
    return mig_out_files(err, o->out, l, name, o->json);
}

static int cmd_check(const struct mig_opts *o, const char *layout)
{
    const struct mig_gpu *g;
    struct mig_layout l;
    struct error err;
    char why[256];
    bool valid;

    if (pick_gpu(&err, o, &g) < 0 || mig_layout_parse(&err, g, layout, &l) < 0)
        return cli_usage_error(usage, &err);
    if (o->name != NULL && migparted_check_name(&err, o->name) < 0)
        return cli_usage_error(usage, &err);
    valid = mig_check_layout(&l, why, sizeof(why));
    mig_out_check(&l, valid, why, o->json);
    if (valid && o->out != NULL && write_outputs(&err, o, &l) < 0)
        return cli_fail(&err);
    return valid ? EXIT_OK : EXIT_FAIL;
}

static int cmd_layouts(const struct mig_opts *o)
{
    struct error err;
    const struct mig_gpu *g;

    if (o->gpu == NULL)
        return mig_out_all_layouts(o->json);
    if (pick_gpu(&err, o, &g) < 0)
        return cli_usage_error(usage, &err);
    return mig_out_layouts(g, o->json);
}

/* A path to a file is a YAML file; anything else is the inline form. */
static int load_demands(struct error *err, const char *arg, struct demand_set *d)
{
    struct stat st;

    if (stat(arg, &st) == 0 && S_ISREG(st.st_mode))
        return demand_load_yaml(err, arg, d);
    return demand_parse_inline(err, arg, d);
}

static void print_fleet_model(const struct mig_fleet_model *m)
{
    const json_t *id;
    size_t i;

    printf("  %zu x %s", m->gpus, m->name);
    if (m->g != NULL)
        printf(" (%s)", m->g->model);
    printf(" on");
    json_array_foreach (m->nodes, i, id) {
        printf("%s %s", i > 0 ? "," : "", json_string_value(id));
    }
    putchar('\n');
    if (m->g == NULL)
        printf("    no MIG profile in the catalog: not planned\n");
    else if (m->need == 0)
        printf("    no number of %s holds every replica in an instance of its own\n", m->g->model);
    else
        printf("    MIG needs %zu x %s (%s); the fleet has %zu: %s\n", m->need, m->g->model,
               m->p->fits ? "fits on one" : "one replica per instance", m->gpus,
               m->need <= m->gpus ? "fits" : "does not fit");
}

/* mig plan --fleet: the plan for each GPU model of the fleet, and whether it fits in it. */
static int cmd_plan_fleet(const struct mig_opts *o, const struct demand_set *d)
{
    const struct mig_fleet_model *best;
    struct mig_fleet f;
    struct error err;
    json_t *fleet;
    int rc;

    fleet = fleet_load(&err, o->fleet);
    if (fleet == NULL)
        return cli_fail(&err);
    if (mig_fleet_plan(&err, fleet, o->fleet, d, &f) < 0) {
        json_decref(fleet);
        return err.code == ERR_USAGE ? cli_usage_error(usage, &err) : cli_fail(&err);
    }
    best = f.best;
    if (o->json) {
        json_t *j = results_must(json_pack("{s:s, s:[], s:s, s:b}", "fleet", o->fleet, "models",
                                           "chosen", best->g->model, "fits_in_fleet", f.fits));

        for (size_t i = 0; i < f.n; i++)
            results_append(json_object_get(j, "models"), mig_fleet_model_json(&f.models[i]));
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        fputc('\n', stdout);
        json_decref(j);
    } else {
        printf("fleet '%s':\n", o->fleet);
        for (size_t i = 0; i < f.n; i++)
            print_fleet_model(&f.models[i]);
        printf("\nplan for %s", best->g->model);
        if (f.n > 1)
            printf(" (chosen of %zu models: fits in the fleet, then fewest GPUs)", f.n);
        printf(":\n\n");
        mig_out_plan(best->g, d, best->p, false);
        if (best->need == 0)
            printf("\nfleet: no number of %s holds the demands with MIG alone\n", best->g->model);
        else
            printf("\nfleet: the plan needs %zu x %s; the fleet has %zu: %s\n", best->need,
                   best->g->model, best->gpus, f.fits ? "it fits" : "it does not fit");
    }
    rc = f.fits ? EXIT_OK : EXIT_FAIL;
    if (best->p->fits && o->out != NULL && write_outputs(&err, o, &best->p->layout) < 0)
        rc = cli_fail(&err);
    mig_fleet_release(&f);
    json_decref(fleet);
    return rc;
}

static int mig_cmd_plan(const struct mig_opts *o, const char *arg)
{
    struct demand_set *d = calloc(1, sizeof(*d));
    struct mig_plan *p = calloc(1, sizeof(*p));
    const struct mig_gpu *g;
    struct error err;
    int rc;

    if (d == NULL || p == NULL)
        abort();
    if (o->fleet != NULL) {
        if (o->gpu != NULL)
            rc = cli_usage_error(
                usage, (error_set(&err, ERR_USAGE, "--gpu and --fleet both name the GPU: pass one"),
                        &err));
        else if (load_demands(&err, arg, d) < 0 ||
                 (o->name != NULL && migparted_check_name(&err, o->name) < 0))
            rc = err.code == ERR_USAGE || err.code == ERR_INVALID ? cli_usage_error(usage, &err)
                                                                  : cli_fail(&err);
        else
            rc = cmd_plan_fleet(o, d);
        demand_set_release(d);
        free(d);
        free(p);
        return rc;
    }
    if (pick_gpu(&err, o, &g) < 0 || load_demands(&err, arg, d) < 0 ||
        (o->name != NULL && migparted_check_name(&err, o->name) < 0))
        rc = err.code == ERR_USAGE || err.code == ERR_INVALID ? cli_usage_error(usage, &err)
                                                              : cli_fail(&err);
    else if (mig_plan_solve(&err, g, d, p) < 0)
        rc = cli_fail(&err);
    else {
        mig_out_plan(g, d, p, o->json);
        rc = p->fits ? EXIT_OK : EXIT_FAIL;
        if (p->fits && o->out != NULL && write_outputs(&err, o, &p->layout) < 0)
            rc = cli_fail(&err);
    }
    demand_set_release(d);
    free(d);
    free(p);
    return rc;
}

int cmd_mig(int argc, char **argv)
{
    struct mig_opts o = {0};
    struct error err;
    bool done = false;
    const char *sub = argc > 1 ? argv[1] : NULL;
    int rc;

    if (sub != NULL && (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)) {
        printf("%s\n%s", usage, help);
        return EXIT_OK;
    }
    if (sub == NULL) {
        error_set(&err, ERR_USAGE, "which subcommand? expected profiles, check, layouts or plan");
        return cli_usage_error(usage, &err);
    }
    rc = parse_common(argc - 1, argv + 1, &o, &done);
    if (rc != EXIT_OK || done)
        return rc;
    argc -= 1;
    argv += 1;
    if (o.fleet != NULL && strcmp(sub, "plan") != 0) {
        error_set(&err, ERR_USAGE, "--fleet is for mig plan only");
        return cli_usage_error(usage, &err);
    }
    if (strcmp(sub, "profiles") == 0 && optind == argc)
        return cmd_profiles(&o);
    if (strcmp(sub, "layouts") == 0 && optind == argc)
        return cmd_layouts(&o);
    if (strcmp(sub, "check") == 0 && optind + 1 == argc)
        return cmd_check(&o, argv[optind]);
    if (strcmp(sub, "plan") == 0 && optind + 1 == argc)
        return mig_cmd_plan(&o, argv[optind]);
    if (strcmp(sub, "check") == 0 || strcmp(sub, "plan") == 0)
        error_set(&err, ERR_USAGE, "%s takes exactly one %s", sub,
                  sub[0] == 'c' ? "LAYOUT" : "DEMANDS");
    else if (strcmp(sub, "profiles") == 0 || strcmp(sub, "layouts") == 0)
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
    else
        error_set(&err, ERR_USAGE,
                  "unknown subcommand '%.40s': expected profiles, check, layouts or plan", sub);
    return cli_usage_error(usage, &err);
}
