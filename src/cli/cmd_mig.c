/*
 * gpushare mig profiles | check | layouts | plan: the MIG catalog, the geometry rules, and
 * the mig-parted files that apply a layout. A table of subcommands, each parsing its own
 * options. Needs no GPU, except `profiles --live` and a missing --gpu, which read the local
 * one through NVML.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/mig_out.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "fleet/merge.h"
#include "gpu/info.h"
#include "gpu/nvml.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/mig_fleet.h"
#include "plan/mig_plan.h"

static const char profiles_usage[] =
    "usage: gpushare mig profiles [--gpu MODEL | --live [--device N]] [--json]\n";
static const char check_usage[] =
    "usage: gpushare mig check LAYOUT [--gpu MODEL] [--json] [--out DIR [--name NAME] [--force]]\n";
static const char layouts_usage[] = "usage: gpushare mig layouts [--gpu MODEL] [--json]\n";
static const char plan_usage[] =
    "usage: gpushare mig plan DEMANDS [--gpu MODEL | --fleet FILE] [--json]\n"
    "                         [--out DIR [--name NAME] [--force]]\n";

static const char mig_usage[] =
    "usage: gpushare mig profiles [--gpu MODEL | --live [--device N]] [--json]\n"
    "       gpushare mig check LAYOUT [--gpu MODEL] [--json] [--out DIR [--name NAME] [--force]]\n"
    "       gpushare mig layouts [--gpu MODEL] [--json]\n"
    "       gpushare mig plan DEMANDS [--gpu MODEL | --fleet FILE] [--json]\n"
    "                             [--out DIR [--name NAME] [--force]]\n";

static const char mig_help[] =
    "MIG geometry from a catalog of every MIG-capable GPU's profiles (sources included;\n"
    "unverified rows are flagged, and a figure no source gives prints as ?, null in JSON).\n"
    "Each subcommand takes --help. See docs/mig.md.";

static const char mig_exit[] =
    "Exit status: 0 ok, 1 failure (or: plan does not fit, profiles --live mismatch), 2 usage\n"
    "error, 3 the answer is no (check: invalid layout), 69 profiles --live with no GPU.\n";

/* Long options without a short one; each subcommand's table lists only what it takes. */
enum { OPT_JSON_ID = 256, OPT_NAME_ID, OPT_LIVE_ID, OPT_FLEET_ID };

static const char gpu_text[] =
    "  -g, --gpu MODEL    a catalog model (the profiles subcommand lists them); default:\n"
    "                     the local GPU, read through NVML\n";
static const char out_text[] =
    "  -o, --out DIR      write NAME.yaml (mig-parted config) and NAME.sh (the nvidia-smi\n"
    "                     commands; gpushare never runs them) into DIR, made if missing (one\n"
    "                     level): both or neither, before anything is printed\n"
    "      --name NAME    config name, also the node label value (default from the layout)\n"
    "  -f, --force        replace NAME.yaml and NAME.sh when they exist\n";
static const char json_help_text[] = "      --json         print JSON instead of text\n"
                                     "  -h, --help         this help\n";

struct mig_opts {
    const char *gpu, *fleet, *out, *name;
    bool live, json, force, device_given;
    int device;
};

/* A subcommand's parsing: its usage, its table and getopt_long's short options. */
struct mig_parse {
    const char *usage;
    void (*help)(void);
    const struct option *opts;
    const char *short_opts;
};

/* Parses argv into o by p's table. -1: go on; otherwise the exit status (help printed, or a
 * usage error reported). */
static int parse_opts(int argc, char **argv, const struct mig_parse *p, struct mig_opts *o)
{
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, p->short_opts, p->opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            p->help();
            return EXIT_OK;
        case 'g':
            o->gpu = optarg;
            break;
        case 'd':
            if (cli_device(&err, optarg, &o->device) < 0)
                return cli_usage_error(p->usage, &err);
            o->device_given = true;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'f':
            o->force = true;
            break;
        case OPT_JSON_ID:
            o->json = true;
            break;
        case OPT_NAME_ID:
            o->name = optarg;
            break;
        case OPT_LIVE_ID:
            o->live = true;
            break;
        case OPT_FLEET_ID:
            o->fleet = optarg;
            break;
        default:
            return cli_bad_option(p->usage, argv, opt);
        }
    }
    return -1;
}

/* Exactly `want` operands after the options; -1 to go on, else the usage error's status. */
static int expect_operands(int argc, char **argv, int want, const char *what, const char *usage)
{
    struct error err;

    if (argc - optind == want)
        return -1;
    if (want == 0)
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
    else
        error_set(&err, ERR_USAGE, "%s takes exactly one %s", argv[0], what);
    return cli_usage_error(usage, &err);
}

/* --name and --force say how --out writes: alone they would do nothing. */
static int check_out_opts(const struct mig_opts *o, const char *usage)
{
    struct error err;

    if (o->name != NULL && migparted_check_name(&err, o->name) < 0)
        return cli_usage_error(usage, &err);
    if (o->out == NULL && (o->name != NULL || o->force)) {
        error_set(&err, ERR_USAGE, "%s is for the files --out DIR writes: pass --out too",
                  o->name != NULL ? "--name" : "--force");
        return cli_usage_error(usage, &err);
    }
    return -1;
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
    info = xcalloc(1, sizeof(*info));
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

/* The config name: --name, else one made from the layout. */
static void config_name(const struct mig_opts *o, const struct mig_layout *l, char *name,
                        size_t size)
{
    if (o->name != NULL)
        str_printf(name, size, "%s", o->name);
    else
        migparted_default_name(l, name, size);
}

/* ---- gpushare mig profiles ---- */

static void profiles_help(void)
{
    printf(
        "%s\n"
        "The MIG catalog: every GPU with its SMs, memory and slices; with --gpu, one GPU's\n"
        "profiles with ID, SMs, memory, instance count and placements, and the source of\n"
        "each unverified row (marked *). A figure no source gives prints as ? (null in JSON).\n\n"
        "  -g, --gpu MODEL    one catalog model; without it, every GPU of the catalog\n"
        "      --live         read the local GPU through NVML (MIG may stay disabled) and\n"
        "                     compare it with its catalog entry; not with --gpu\n"
        "  -d, --device N     with --live: the GPU's index, 0 to 63 (default 0)\n"
        "%s\n"
        "Exit status: 0 ok (--live: it matches the catalog), 1 --live mismatch or failure,\n"
        "2 usage error (unknown GPU, --gpu with --live), 69 --live with no GPU.\n",
        profiles_usage, json_help_text);
}

static int mig_profiles(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gpu", required_argument, NULL, 'g'},    {"live", no_argument, NULL, OPT_LIVE_ID},
        {"device", required_argument, NULL, 'd'}, {"json", no_argument, NULL, OPT_JSON_ID},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    static const struct mig_parse p = {profiles_usage, profiles_help, opts, ":g:d:h"};
    struct mig_opts o = {0};
    const struct mig_gpu *g = NULL;
    struct error err;
    int rc = parse_opts(argc, argv, &p, &o);

    if (rc >= 0 || (rc = expect_operands(argc, argv, 0, NULL, profiles_usage)) >= 0)
        return rc;
    if (o.live && o.gpu != NULL) {
        error_set(&err, ERR_USAGE, "--gpu and --live both name the GPU: pass one");
        return cli_usage_error(profiles_usage, &err);
    }
    if (o.device_given && !o.live) {
        error_set(&err, ERR_USAGE, "--device picks the GPU --live reads: pass --live too");
        return cli_usage_error(profiles_usage, &err);
    }
    if (o.live)
        return mig_out_live(o.device, o.json);
    if (o.gpu == NULL)
        return mig_out_catalog(o.json);
    if (pick_gpu(&err, &o, &g) < 0)
        return cli_usage_error(profiles_usage, &err);
    return mig_out_profiles(g, o.json);
}

/* ---- gpushare mig check ---- */

static void check_help(void)
{
    printf(
        "%s\n"
        "Is LAYOUT valid on the GPU? LAYOUT: PROFILE[:COUNT],... e.g. 3g.40gb,2g.20gb,1g.10gb:2.\n"
        "Valid: the placement drawn over the memory slices, SMs used and stranded, memory.\n"
        "Invalid: why, in memory slices.\n\n"
        "%s%s%s\n"
        "Exit status: 0 valid (and written); 1 failure, nothing printed or written (DIR not\n"
        "writable, a file exists without --force); 2 usage error (unknown GPU or profile,\n"
        "malformed layout or name); 3 invalid layout (nothing written).\n",
        check_usage, gpu_text, out_text, json_help_text);
}

static int mig_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gpu", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, OPT_JSON_ID},
        {"out", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, OPT_NAME_ID},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct mig_parse p = {check_usage, check_help, opts, ":g:o:fh"};
    struct mig_opts o = {0};
    const struct mig_gpu *g;
    struct mig_layout l;
    struct error err;
    char why[256], name[MIGPARTED_NAME_MAX + 1];
    bool valid;
    int rc = parse_opts(argc, argv, &p, &o);

    if (rc >= 0 || (rc = expect_operands(argc, argv, 1, "LAYOUT", check_usage)) >= 0 ||
        (rc = check_out_opts(&o, check_usage)) >= 0)
        return rc;
    if (pick_gpu(&err, &o, &g) < 0 || mig_layout_parse(&err, g, argv[optind], &l) < 0)
        return cli_usage_error(check_usage, &err);
    valid = mig_check_layout(&l, why, sizeof(why));
    // The files first: a write that fails leaves nothing printed that says "valid".
    config_name(&o, &l, name, sizeof(name));
    if (valid && o.out != NULL && mig_out_write(&err, o.out, &l, name, o.force) < 0)
        return cli_fail(&err);
    rc = mig_out_check(&l, valid, why, o.json);
    if (rc != EXIT_OK)
        return rc;
    if (o.out != NULL && !valid)
        mig_out_nothing_written(o.out, "the layout is invalid");
    else if (o.out != NULL && !o.json)
        mig_out_wrote(o.out, name);
    return valid ? EXIT_OK : EXIT_NO;
}

/* ---- gpushare mig layouts ---- */

static void layouts_help(void)
{
    printf("%s\n"
           "Every maximal layout of the GPU (one that takes no further instance), with the SMs\n"
           "it uses and leaves idle and its memory, and how many there are; without --gpu, of\n"
           "every GPU of the catalog.\n\n"
           "  -g, --gpu MODEL    one catalog model (gpushare mig profiles lists them)\n"
           "%s\n"
           "Exit status: 0 ok, 1 failure (the output could not be written), 2 usage error\n"
           "(unknown GPU).\n",
           layouts_usage, json_help_text);
}

static int mig_layouts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gpu", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, OPT_JSON_ID},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct mig_parse p = {layouts_usage, layouts_help, opts, ":g:h"};
    struct mig_opts o = {0};
    const struct mig_gpu *g;
    struct error err;
    int rc = parse_opts(argc, argv, &p, &o);

    if (rc >= 0 || (rc = expect_operands(argc, argv, 0, NULL, layouts_usage)) >= 0)
        return rc;
    if (o.gpu == NULL)
        return mig_out_all_layouts(o.json);
    if (pick_gpu(&err, &o, &g) < 0)
        return cli_usage_error(layouts_usage, &err);
    return mig_out_layouts(g, o.json);
}

/* ---- gpushare mig plan ---- */

static void plan_help(void)
{
    printf(
        "%s\n"
        "The layout that holds DEMANDS with the least memory, one replica per GPU instance,\n"
        "and which model goes where; or why none does, with the nearest alternatives: other\n"
        "GPUs, several GPUs, MPS inside MIG slices, MPS on the whole GPU.\n"
        "DEMANDS: a YAML file (models: [{name, memory_gib, min_sms | compute_fraction,\n"
        "replicas}], docs/plan.md) or NAME:MEM[:COMPUTE][xCOUNT],... e.g.\n"
        "llama:20gb:30sm,bert:4gb:10%%x3. An argument that exists, contains '/' or ends in\n"
        ".yaml or .yml is a file.\n\n"
        "%s"
        "      --fleet FILE   the GPU models of a fleet document (gpushare fleet merge): plan\n"
        "                     for each, say how many of it the fleet has and whether the plan\n"
        "                     fits in them, with MIG alone or else with MPS on one GPU, and\n"
        "                     show the plan of the model chosen (docs/fleet.md); not with --gpu\n"
        "%s"
        "                     Written only when the plan fits on one GPU with MIG alone;\n"
        "                     otherwise stderr says why nothing was.\n"
        "%s\n"
        "Exit status: 0 fits on one GPU (--fleet: in the fleet's GPUs, with MIG or MPS);\n"
        "1 does not fit, or a failure (an unreadable demands file or fleet document, DIR not\n"
        "writable, a file exists without --force); 2 usage error (unknown GPU, malformed\n"
        "demands, --gpu with --fleet, a fleet with no MIG model).\n",
        plan_usage, gpu_text, out_text, json_help_text);
}

/* A path names a YAML file: one that exists (a directory too, so that reading it says what it
 * is), or that contains '/' or ends in .yaml or .yml, which no inline demand does. Anything
 * else is the inline form. */
static bool names_file(const char *arg)
{
    size_t len = strlen(arg);
    struct stat st;

    return stat(arg, &st) == 0 || strchr(arg, '/') != NULL ||
           (len > 5 && strcmp(arg + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(arg + len - 4, ".yml") == 0);
}

static int load_demands(struct error *err, const char *arg, struct demand_set *d)
{
    if (names_file(arg))
        return demand_load_yaml(err, arg, d);
    return demand_parse_inline(err, arg, d);
}

/* Writes the plan's files when there are any to write; says on stderr why not otherwise. */
static int plan_outputs(struct error *err, const struct mig_opts *o, const struct mig_plan *p,
                        const char *not_why, char *name, size_t size)
{
    if (o->out == NULL)
        return 0;
    if (!p->fits) {
        mig_out_nothing_written(o->out, not_why);
        return 0;
    }
    config_name(o, &p->layout, name, size);
    return mig_out_write(err, o->out, &p->layout, name, o->force);
}

/* mig plan --fleet: the plan for each GPU model of the fleet, and whether it fits in it. */
static int plan_fleet(const struct mig_opts *o, const struct demand_set *d)
{
    char name[MIGPARTED_NAME_MAX + 1], why[160];
    struct mig_fleet f;
    struct error err;
    json_t *fleet;
    int rc;

    fleet = fleet_load(&err, o->fleet);
    if (fleet == NULL)
        return cli_fail(&err);
    if (mig_fleet_plan(&err, fleet, o->fleet, d, &f) < 0) {
        json_decref(fleet);
        return err.code == ERR_USAGE ? cli_usage_error(plan_usage, &err) : cli_fail(&err);
    }
    mig_out_fleet_nothing_why(&f, why, sizeof(why));
    if (plan_outputs(&err, o, f.best->p, why, name, sizeof(name)) < 0)
        rc = cli_fail(&err);
    else if ((rc = mig_out_fleet(o->fleet, &f, d, o->json)) == EXIT_OK) {
        if (o->out != NULL && f.best->p->fits && !o->json)
            mig_out_wrote(o->out, name);
        rc = f.fits ? EXIT_OK : EXIT_FAIL;
    }
    mig_fleet_release(&f);
    json_decref(fleet);
    return rc;
}

/* mig plan --gpu: one GPU model. */
static int plan_one(const struct mig_opts *o, const struct mig_gpu *g, const struct demand_set *d)
{
    struct mig_plan *p = xcalloc(1, sizeof(*p));
    char name[MIGPARTED_NAME_MAX + 1], why[96];
    struct error err;
    int rc;

    if (mig_plan_solve(&err, g, d, p) < 0) {
        free(p);
        return cli_fail(&err);
    }
    str_printf(why, sizeof(why), "the demands do not fit on one %s with MIG alone", g->model);
    // The files first: a write that fails leaves nothing printed that says "fits".
    if (plan_outputs(&err, o, p, why, name, sizeof(name)) < 0)
        rc = cli_fail(&err);
    else if ((rc = mig_out_plan(g, d, p, o->json)) == EXIT_OK) {
        if (o->out != NULL && p->fits && !o->json)
            mig_out_wrote(o->out, name);
        rc = p->fits ? EXIT_OK : EXIT_FAIL;
    }
    free(p);
    return rc;
}

static int mig_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gpu", required_argument, NULL, 'g'},
        {"fleet", required_argument, NULL, OPT_FLEET_ID},
        {"json", no_argument, NULL, OPT_JSON_ID},
        {"out", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, OPT_NAME_ID},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const struct mig_parse p = {plan_usage, plan_help, opts, ":g:o:fh"};
    struct mig_opts o = {0};
    struct demand_set *d;
    const struct mig_gpu *g = NULL;
    struct error err;
    int rc = parse_opts(argc, argv, &p, &o);

    if (rc >= 0 || (rc = expect_operands(argc, argv, 1, "DEMANDS", plan_usage)) >= 0 ||
        (rc = check_out_opts(&o, plan_usage)) >= 0)
        return rc;
    if (o.fleet != NULL && o.gpu != NULL) {
        error_set(&err, ERR_USAGE, "--gpu and --fleet both name the GPU: pass one");
        return cli_usage_error(plan_usage, &err);
    }
    d = xcalloc(1, sizeof(*d));
    if ((o.fleet == NULL && pick_gpu(&err, &o, &g) < 0) || load_demands(&err, argv[optind], d) < 0)
        rc = err.code == ERR_USAGE || err.code == ERR_INVALID ? cli_usage_error(plan_usage, &err)
                                                              : cli_fail(&err);
    else
        rc = o.fleet != NULL ? plan_fleet(&o, d) : plan_one(&o, g, d);
    demand_set_release(d);
    free(d);
    return rc;
}

/* ---- dispatch ---- */

static const struct cmd subs[] = {
    {"profiles", mig_profiles, "the catalog, or one GPU's profiles; --live compares the local GPU",
     false},
    {"check", mig_check, "is a layout valid on the GPU? where each instance goes, what it leaves",
     false},
    {"layouts", mig_layouts, "every maximal layout (one that takes no further instance)", false},
    {"plan", mig_plan, "the layout that holds your models, or why none does and what would", false},
};

static const struct cli_group group = {
    .noun = "subcommand",
    .usage = mig_usage,
    .about = mig_help,
    .footer = mig_exit,
    .width = 9,
    .subs = subs,
    .n = sizeof(subs) / sizeof(subs[0]),
};

int cmd_mig(int argc, char **argv)
{
    return cli_dispatch(&group, argc, argv);
}
