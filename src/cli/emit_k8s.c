/*
 * gpushare emit k8s: the files that deploy one sharing mode on Kubernetes through the NVIDIA
 * device plugin or the GPU Operator (emit/k8s_plugin.h, emit/k8s_manifests.h), or, with
 * --fleet-bench, the Job and image that run `gpushare bench` on every GPU node. Kubernetes
 * manifests go in DIR/manifests/ (so `kubectl apply -f DIR/manifests/` takes exactly them),
 * Helm values in DIR/helm/, and README.md says what to apply in which order.
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
#include "emit/k8s_manifests.h"
#include "emit/k8s_plugin.h"
#include "emit/migparted.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/plandoc.h"

static const char usage[] =
    "usage: gpushare emit k8s --mode timeslice|mps|mig-single|mig-mixed --out DIR [--replicas N]\n"
    "                         [--rename] [--mig-layout LIST --gpu MODEL] [--mig-config NAME]\n"
    "                         [--profile P] [--name NAME] [--namespace NS] [--thread-pct P]\n"
    "                         [--mem-limit SPEC] [--results FILE] [--image IMAGE] [--force]\n"
    "                         [--json]\n"
    "       gpushare emit k8s --plan PLAN.json --out DIR [--force] [--json]\n"
    "       gpushare emit k8s --fleet-bench --out DIR [--nodes N | --node-list A,B,...]\n"
    "                         [--bench MODE] [--gpus-per-pod N] [--image IMAGE] [--namespace NS]\n"
    "                         [--force] [--json]\n";

static const char help[] =
    "Writes, for one sharing mode, the NVIDIA device plugin's config as a ConfigMap, Helm values\n"
    "for the device-plugin chart and for the GPU Operator, a script that labels the nodes, the\n"
    "mig-manager ConfigMap of a MIG layout, an example Deployment that requests what the mode\n"
    "advertises, and README.md. Every rule the device plugin enforces is checked first\n"
    "(replicas >= 2, MPS only on whole GPUs and never with the mixed MIG strategy, resource\n"
    "names): a config the plugin would refuse is refused here, naming the rule.\n\n"
    "  --mode M          timeslice, mps (sharing.timeSlicing / sharing.mps of nvidia.com/gpu),\n"
    "                    mig-single, mig-mixed (the MIG strategy; with --replicas, MIG devices\n"
    "                    time-sliced too)\n"
    "  --plan PLAN.json  the mode, replicas, thread percentage, memory limit and MIG layout a\n"
    "                    plan decided (gpushare plan -o)\n"
    "  --replicas N      replicas per GPU or MIG device, 2..1024 (timeslice, mps: default 4);\n"
    "                    mps: at most the clients one MPS server accepted (48 measured on an\n"
    "                    H100 with CUDA 13.0, or what --results measured)\n"
    "  --results FILE    mps: a `gpushare bench mps` document of your card, for its client limit\n"
    "  --rename          advertise nvidia.com/gpu.shared instead of nvidia.com/gpu\n"
    "  --mig-layout LIST --gpu MODEL  the MIG layout (gpushare mig check syntax) for the\n"
    "                    mig-manager ConfigMap, config named --mig-config or after the layout\n"
    "  --mig-config NAME the mig-parted config the nodes are labelled with\n"
    "                    (nvidia.com/mig.config); without --mig-layout, one that exists already\n"
    "  --profile P       mig-mixed: the MIG profile the example requests (default: the layout's\n"
    "                    first)\n"
    "  --name NAME       the device-plugin config's name (default gpushare-MODE)\n"
    "  --namespace NS    where the ConfigMaps go (default gpu-operator); the example and the\n"
    "                    fleet Job go in default\n"
    "  --thread-pct P, --mem-limit SPEC  mps: the example's CUDA_MPS_ACTIVE_THREAD_PERCENTAGE\n"
    "                    and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT (a client can only lower them)\n"
    "  --image IMAGE     the example's (or fleet's) container image\n"
    "  --fleet-bench     instead: an Indexed Job running `gpushare bench MODE --json` on one pod\n"
    "                    per GPU node (--nodes N, or --node-list of hostnames), and the\n"
    "                    Dockerfile of its image\n"
    "  --bench MODE      streams, timeslice, mps or mig (default streams)\n"
    "  --gpus-per-pod N  nvidia.com/gpu per fleet pod (default 1)\n"
    "  --force           replace existing files\n"
    "  --json            print what was written as JSON\n"
    "  -o, --out DIR     the directory (made when missing; all files or none are written)\n"
    "  -h, --help        this help\n\n"
    "Exit status: 0 written, 1 failure (nothing written), 2 usage error or a rule refused.\n";

#define MAX_NODES 64

struct k8s_cli {
    bool fleet, mode_set, rename, force, json, quiet;
    enum k8s_share mode;
    unsigned replicas, nodes, gpus;
    const char *out, *mig_layout, *gpu, *mig_config, *profile, *name, *namespace;
    const char *thread_pct, *mem_limit, *image, *bench, *node_list, *plan, *results;
    struct plan_deploy deploy; /* --plan's */
    char plan_pct[16], plan_mem[32];
};

static int parse_value(struct error *err, int opt, const char *arg, struct k8s_cli *c)
{
    unsigned long v;
    int rc;

    switch (opt) {
    case 'm':
        c->mode_set = true;
        return k8s_share_parse(err, arg, &c->mode);
    case 'r':
        rc = parse_uint(err, "--replicas", arg, 1, 1024, &v);
        c->replicas = (unsigned)v;
        return rc;
    case 'N':
        rc = parse_uint(err, "--nodes", arg, 1, K8S_MAX_NODES, &v);
        c->nodes = (unsigned)v;
        return rc;
    case 'G':
        rc = parse_uint(err, "--gpus-per-pod", arg, 1, K8S_MAX_GPUS_PER_POD, &v);
        c->gpus = (unsigned)v;
        return rc;
    default:
        return 0;
    }
}

static const char **string_option(int opt, struct k8s_cli *c)
{
    switch (opt) {
    case 'o':
        return &c->out;
    case 'L':
        return &c->mig_layout;
    case 'g':
        return &c->gpu;
    case 'C':
        return &c->mig_config;
    case 'p':
        return &c->profile;
    case 'n':
        return &c->name;
    case 's':
        return &c->namespace;
    case 't':
        return &c->thread_pct;
    case 'M':
        return &c->mem_limit;
    case 'i':
        return &c->image;
    case 'b':
        return &c->bench;
    case 'l':
        return &c->node_list;
    case 'P':
        return &c->plan;
    case 'E':
        return &c->results;
    default:
        return NULL;
    }
}

/* -1: go on; else the exit status. */
static int parse(int argc, char **argv, struct k8s_cli *c)
{
    static const struct option opts[] = {
        {"mode", required_argument, NULL, 'm'},
        {"replicas", required_argument, NULL, 'r'},
        {"rename", no_argument, NULL, 'R'},
        {"mig-layout", required_argument, NULL, 'L'},
        {"gpu", required_argument, NULL, 'g'},
        {"mig-config", required_argument, NULL, 'C'},
        {"profile", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'n'},
        {"namespace", required_argument, NULL, 's'},
        {"thread-pct", required_argument, NULL, 't'},
        {"mem-limit", required_argument, NULL, 'M'},
        {"image", required_argument, NULL, 'i'},
        {"fleet-bench", no_argument, NULL, 'F'},
        {"nodes", required_argument, NULL, 'N'},
        {"node-list", required_argument, NULL, 'l'},
        {"bench", required_argument, NULL, 'b'},
        {"gpus-per-pod", required_argument, NULL, 'G'},
        {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"plan", required_argument, NULL, 'P'},
        {"results", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    const char **s;
    int opt;

    while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            return EXIT_OK;
        }
        if (opt == '?' || opt == ':')
            return cli_bad_option(usage, argv, opt);
        c->rename |= opt == 'R';
        c->fleet |= opt == 'F';
        c->force |= opt == 'f';
        c->json |= opt == 'j';
        if ((s = string_option(opt, c)) != NULL)
            *s = optarg;
        else if (parse_value(&err, opt, optarg, c) < 0)
            return cli_usage_error(usage, &err);
    }
    if (optind < argc)
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
    else if (c->out == NULL)
        error_set(&err, ERR_USAGE, "--out DIR is required");
    else if (c->plan != NULL && (c->mode_set || c->fleet))
        error_set(&err, ERR_USAGE, "--plan decides the mode: no --mode or --fleet-bench with it");
    else if (c->plan != NULL)
        return -1;
    else if (c->fleet == c->mode_set)
        error_set(&err, ERR_USAGE, "give either --mode, --plan or --fleet-bench");
    else
        return -1;
    return cli_usage_error(usage, &err);
}

/* What one run writes: the texts, owned, in the order README.md lists them. */
struct k8s_out {
    struct fileset_file files[FILESET_MAX];
    struct k8s_readme_file readme[K8S_MAX_README_FILES];
    char *texts[FILESET_MAX];
    size_t n;
};

static int add_file(struct error *err, struct k8s_out *o, enum k8s_file_kind kind, const char *name,
                    char *text, mode_t mode)
{
    if (text == NULL)
        return -1;
    if (o->n >= FILESET_MAX) {
        free(text);
        return error_set(err, ERR_INVALID, "too many files");
    }
    o->texts[o->n] = text;
    o->files[o->n] = (struct fileset_file){name, text, mode};
    o->readme[o->n] = (struct k8s_readme_file){kind, name, NULL};
    o->n++;
    return 0;
}

static void out_free(struct k8s_out *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->texts[i]);
}

/* The MIG side: a layout that fits (and, for single, is uniform), its mig-parted config. */
struct k8s_mig {
    struct mig_layout layout;
    bool have_layout;
    char config[MIGPARTED_NAME_MAX + 1]; /* "" when no MIG config is labelled */
    char profile[32];
};

static int mig_side(struct error *err, const struct k8s_cli *c, struct k8s_mig *m)
{
    const struct mig_gpu *g;
    char why[256];

    memset(m, 0, sizeof(*m));
    if (c->mig_config != NULL) {
        if (migparted_check_name(err, c->mig_config) < 0)
            return -1;
        str_printf(m->config, sizeof(m->config), "%s", c->mig_config);
    }
    if (c->profile != NULL)
        str_printf(m->profile, sizeof(m->profile), "%s", c->profile);
    if (c->mig_layout == NULL)
        return 0;
    if (c->gpu == NULL)
        return error_set(err, ERR_USAGE, "--mig-layout needs --gpu MODEL (gpushare mig profiles)");
    if ((g = mig_gpu_find(c->gpu)) == NULL)
        return error_set(err, ERR_USAGE, "unknown GPU '%.40s': gpushare mig profiles lists them",
                         c->gpu);
    if (mig_layout_parse(err, g, c->mig_layout, &m->layout) < 0)
        return -1;
    if (!mig_check_layout(&m->layout, why, sizeof(why)))
        return error_set(err, ERR_USAGE, "the layout does not fit: %s", why);
    m->have_layout = true;
    if (m->config[0] == '\0')
        migparted_default_name(&m->layout, m->config, sizeof(m->config));
    for (size_t i = 1; c->mode == K8S_SHARE_MIG_SINGLE && i < m->layout.n; i++)
        if (m->layout.prof[i] != m->layout.prof[0])
            return error_set(err, ERR_USAGE,
                             "mig-single advertises every MIG device as nvidia.com/gpu, so every "
                             "instance must have one profile (device plugin README, MIG "
                             "strategies); use mig-mixed for '%.60s'",
                             c->mig_layout);
    if (m->profile[0] == '\0')
        str_printf(m->profile, sizeof(m->profile), "%s", g->profiles[m->layout.prof[0]].name);
    /* The example must ask for what the nodes will advertise. */
    for (size_t i = 0; i < m->layout.n; i++)
        if (strcmp(g->profiles[m->layout.prof[i]].name, m->profile) == 0)
            return 0;
    return error_set(err, ERR_USAGE,
                     "--profile %.31s is not in the layout '%.60s': no node would advertise "
                     "nvidia.com/mig-%.31s",
                     m->profile, c->mig_layout, m->profile);
}

/* Adds nvidia.com/mig-PROFILE unless it is there already. */
static void add_resource(struct k8s_dp_config *cfg, const char *profile, unsigned replicas)
{
    char name[K8S_DP_RESOURCE_MAX + 1];

    str_printf(name, sizeof(name), "nvidia.com/mig-%s", profile);
    for (size_t i = 0; i < cfg->n_resources; i++)
        if (strcmp(cfg->resources[i].name, name) == 0)
            return;
    if (cfg->n_resources == K8S_DP_MAX_RESOURCES)
        return;
    str_printf(cfg->resources[cfg->n_resources].name, sizeof(cfg->resources[0].name), "%s", name);
    cfg->resources[cfg->n_resources++].replicas = replicas;
}

/* The device-plugin config of the mode (emit/k8s_plugin.h checks it). */
static void plugin_config(const struct k8s_cli *c, const struct k8s_mig *m,
                          struct k8s_dp_config *cfg)
{
    bool sharing = c->mode == K8S_SHARE_TIMESLICE || c->mode == K8S_SHARE_MPS || c->replicas > 0;
    unsigned replicas = c->replicas > 0 ? c->replicas : 4;

    memset(cfg, 0, sizeof(*cfg));
    cfg->fail_requests_gt_one = -1;
    if (c->name != NULL)
        str_printf(cfg->name, sizeof(cfg->name), "%s", c->name);
    else
        str_printf(cfg->name, sizeof(cfg->name), "gpushare-%s", k8s_share_name(c->mode));
    cfg->mig_strategy = c->mode == K8S_SHARE_MIG_SINGLE  ? K8S_MIG_SINGLE
                        : c->mode == K8S_SHARE_MIG_MIXED ? K8S_MIG_MIXED
                                                         : K8S_MIG_NONE;
    if (!sharing)
        return;
    cfg->sharing = c->mode == K8S_SHARE_MPS ? K8S_DP_SHARE_MPS : K8S_DP_SHARE_TIMESLICING;
    cfg->rename_by_default = c->rename;
    if (c->mode != K8S_SHARE_MIG_MIXED) {
        cfg->n_resources = 1;
        cfg->resources[0].replicas = replicas;
        str_printf(cfg->resources[0].name, sizeof(cfg->resources[0].name), "nvidia.com/gpu");
        return;
    }
    /* Mixed: every profile of the layout is a resource of its own (facts 1.5); each is shared. */
    if (!m->have_layout) {
        add_resource(cfg, m->profile, replicas);
        return;
    }
    for (size_t i = 0; i < m->layout.n; i++)
        add_resource(cfg, m->layout.gpu->profiles[m->layout.prof[i]].name, replicas);
}

/* The config file as the ConfigMap will carry it, read back under the plugin's rules: what is
 * written is what was checked. */
static int read_back(struct error *err, const struct k8s_dp_config *cfg)
{
    struct k8s_dp_config back, want = *cfg;
    char *y = k8s_dp_yaml(err, cfg);
    int rc;

    if (y == NULL)
        return -1;
    rc = k8s_dp_parse(err, y, strlen(y), "device-plugin-config.yaml", &back);
    free(y);
    if (rc < 0)
        return -1;
    k8s_dp_normalize(&want);
    str_printf(back.name, sizeof(back.name), "%s", want.name);
    return k8s_dp_equal(&back, &want)
               ? 0
               : error_set(err, ERR_INVALID,
                           "the device-plugin config does not read back as written");
}

#define CONFIGMAP_NAME "gpushare-device-plugin-config"
#define MIG_CONFIGMAP_NAME "gpushare-mig-parted-config"

static int mig_files(struct error *err, const struct k8s_cli *c, const struct k8s_mig *m,
                     struct k8s_out *o)
{
    struct migparted_entry entries[4];
    size_t n_entries;
    char *y;

    if (!m->have_layout)
        return 0;
    y = migparted_yaml(err, &m->layout, m->config);
    if (y == NULL)
        return -1;
    /* What mig-manager will read is read back first, under mig-parted's rules. */
    if (migparted_parse(err, y, strlen(y), "mig-parted-config.yaml", m->config, entries,
                        sizeof(entries) / sizeof(entries[0]), &n_entries) < 0) {
        free(y);
        return -1;
    }
    if (add_file(err, o, K8S_FILE_MIG_CONFIGMAP, "manifests/mig-parted-config.yaml",
                 k8s_mig_manager_configmap(err, MIG_CONFIGMAP_NAME, c->namespace, y), 0644) < 0) {
        free(y);
        return -1;
    }
    free(y);
    return 0;
}

static int example_file(struct error *err, const struct k8s_cli *c, const struct k8s_mig *m,
                        const struct k8s_dp_config *cfg, struct k8s_out *o)
{
    struct k8s_example_opts e = {
        .mode = c->mode,
        .image = c->image,
        .renamed = cfg->rename_by_default,
        .mig_profile = c->mode == K8S_SHARE_MIG_MIXED ? m->profile : NULL,
        .mps_thread_pct = c->thread_pct,
        .mps_mem_limit = c->mem_limit,
        .gpu_replicas = cfg->n_resources > 0 ? cfg->resources[0].replicas : 0,
    };
    static char name[64];

    if ((c->thread_pct != NULL || c->mem_limit != NULL) && c->mode != K8S_SHARE_MPS)
        return error_set(err, ERR_USAGE, "--thread-pct and --mem-limit are for --mode mps");
    str_printf(name, sizeof(name), "manifests/example-%s.yaml", k8s_share_name(c->mode));
    return add_file(err, o, K8S_FILE_EXAMPLE, name, k8s_example_deployment(err, &e), 0644);
}

/* What README.md names: the labels' values. */
struct k8s_names {
    char config[K8S_DP_NAME_MAX + 1];
    char mig_config[MIGPARTED_NAME_MAX + 1];
};

static int mode_files(struct error *err, const struct k8s_cli *c, struct k8s_out *o,
                      struct k8s_names *names)
{
    const char *ns = c->namespace != NULL ? c->namespace : K8S_MIG_MANAGER_NAMESPACE;
    struct k8s_dp_config cfg;
    struct k8s_mig m;

    if (mig_side(err, c, &m) < 0)
        return -1;
    if (c->mode == K8S_SHARE_MIG_MIXED && m.profile[0] == '\0')
        return error_set(err, ERR_USAGE, "mig-mixed needs --mig-layout or --profile");
    if ((c->mode == K8S_SHARE_MIG_SINGLE || c->mode == K8S_SHARE_MIG_MIXED) && m.config[0] == '\0')
        return error_set(err, ERR_USAGE,
                         "a MIG mode needs --mig-layout (with --gpu) or --mig-config: the nodes "
                         "must be labelled with the MIG config to apply");
    if (c->mode != K8S_SHARE_MIG_SINGLE && c->mode != K8S_SHARE_MIG_MIXED && c->mig_layout)
        return error_set(err, ERR_USAGE, "--mig-layout is for the MIG modes");
    plugin_config(c, &m, &cfg);
    if (c->rename && cfg.sharing == K8S_DP_SHARE_NONE)
        return error_set(err, ERR_USAGE,
                         "--rename renames shared resources: add --replicas N to share the MIG "
                         "devices");
    if (k8s_dp_check(err, &cfg) < 0 || read_back(err, &cfg) < 0)
        return -1;
    str_printf(names->config, sizeof(names->config), "%s", cfg.name);
    str_printf(names->mig_config, sizeof(names->mig_config), "%s", m.config);
    if (add_file(err, o, K8S_FILE_PLUGIN_CONFIGMAP, "manifests/device-plugin-config.yaml",
                 k8s_dp_configmap(err, CONFIGMAP_NAME, ns, &cfg, 1), 0644) < 0 ||
        add_file(err, o, K8S_FILE_HELM_VALUES, "helm/device-plugin-values.yaml",
                 k8s_dp_helm_values(err, &cfg, 1, cfg.name), 0644) < 0 ||
        add_file(err, o, K8S_FILE_OPERATOR_VALUES, "helm/gpu-operator-values.yaml",
                 k8s_operator_values(err, CONFIGMAP_NAME, cfg.name,
                                     m.have_layout ? MIG_CONFIGMAP_NAME : NULL, cfg.mig_strategy),
                 0644) < 0 ||
        add_file(err, o, K8S_FILE_NODE_LABELS, "label-nodes.sh",
                 k8s_label_script(err, cfg.name, m.config[0] != '\0' ? m.config : NULL),
                 0755) < 0 ||
        mig_files(err, c, &m, o) < 0)
        return -1;
    return example_file(err, c, &m, &cfg, o);
}

/* "a,b,c" into at most MAX_NODES names, pointing into buf. */
static int split_nodes(struct error *err, const char *list, char *buf, size_t size,
                       const char **names, size_t *n)
{
    char *p = buf;

    str_printf(buf, size, "%s", list);
    *n = 0;
    for (;;) {
        size_t len = strcspn(p, ",");

        // An empty name is a typo ("a,,b"): dropped, the Job would run on one node too few.
        if (len == 0)
            return error_set(err, ERR_USAGE,
                             "--node-list '%.60s': an empty node name; expected NAME[,NAME...]",
                             list);
        if (*n == MAX_NODES)
            return error_set(err, ERR_USAGE, "--node-list: at most %d nodes", MAX_NODES);
        names[(*n)++] = p;
        if (p[len] == '\0')
            return 0;
        p[len] = '\0';
        p += len + 1;
    }
}

static int fleet_files(struct error *err, const struct k8s_cli *c, struct k8s_out *o)
{
    static char buf[4096];
    const char *names[MAX_NODES];
    struct k8s_fleet_opts f = {
        .namespace = c->namespace,
        .image = c->image,
        .nodes = c->nodes > 0 ? c->nodes : 1,
        .gpus_per_pod = c->gpus,
        .bench_mode = c->bench,
    };

    if (c->node_list != NULL) {
        if (c->nodes > 0)
            return error_set(err, ERR_USAGE, "give --nodes or --node-list, not both");
        if (split_nodes(err, c->node_list, buf, sizeof(buf), names, &f.n_node_names) < 0)
            return -1;
        f.node_names = names;
    }
    return add_file(err, o, K8S_FILE_FLEET_JOB, "manifests/fleet-bench-job.yaml",
                    k8s_fleet_job(err, &f), 0644) < 0
               ? -1
               : add_file(err, o, K8S_FILE_DOCKERFILE, "Dockerfile", k8s_fleet_dockerfile(err, &f),
                          0644);
}

/* The file of kind k, or NULL. */
static const char *file_of(const struct k8s_out *o, enum k8s_file_kind k)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->readme[i].kind == k)
            return o->files[i].name;
    return NULL;
}

/* The README's steps, in its order, one line each: the config before the chart that reads
 * it, the labels that select it, and the example last. */
static void print_next(const struct k8s_cli *c, const struct k8s_out *o)
{
    const char *f;
    int n = 0;

    printf("\nnext, in the order of %s/README.md, which says more:\n", c->out);
    if ((f = file_of(o, K8S_FILE_DOCKERFILE)) != NULL)
        printf("  %d. build and push the image: docker build -f %s/%s -t REGISTRY/gpushare:TAG .\n",
               ++n, c->out, f);
    if ((f = file_of(o, K8S_FILE_PLUGIN_CONFIGMAP)) != NULL)
        printf("  %d. kubectl apply -f %s/%s\n", ++n, c->out, f);
    if ((f = file_of(o, K8S_FILE_HELM_VALUES)) != NULL)
        printf("  %d. helm upgrade -i nvdp nvdp/nvidia-device-plugin -n nvidia-device-plugin "
               "--create-namespace -f %s/%s\n     (or, with the GPU Operator, its chart with "
               "%s/%s)\n",
               ++n, c->out, f, c->out, file_of(o, K8S_FILE_OPERATOR_VALUES));
    if ((f = file_of(o, K8S_FILE_MIG_CONFIGMAP)) != NULL)
        printf("  %d. kubectl apply -f %s/%s\n", ++n, c->out, f);
    if ((f = file_of(o, K8S_FILE_NODE_LABELS)) != NULL)
        printf("  %d. review and run %s/%s\n", ++n, c->out, f);
    if ((f = file_of(o, K8S_FILE_EXAMPLE)) != NULL)
        printf("  %d. once the nodes are relabelled: kubectl apply -f %s/%s\n", ++n, c->out, f);
    if ((f = file_of(o, K8S_FILE_FLEET_JOB)) != NULL)
        printf("  %d. kubectl apply -f %s/%s, then collect one document per node\n", ++n, c->out,
               f);
}

static void report(const struct k8s_cli *c, const struct k8s_out *o)
{
    struct error err;
    json_t *files, *doc;

    if (!c->json) {
        printf("wrote %zu files into %s:\n", o->n, c->out);
        for (size_t i = 0; i < o->n; i++)
            printf("  %-40s %04o\n", o->files[i].name, (unsigned)o->files[i].mode);
        print_next(c, o);
        return;
    }
    files = json_array();
    for (size_t i = 0; i < o->n; i++)
        json_array_append_new(files, json_pack("{s:s, s:i}", "name", o->files[i].name, "mode",
                                               (int)o->files[i].mode));
    doc = json_pack("{s:s, s:s, s:o}", "dir", c->out, "mode",
                    c->fleet ? "fleet-bench" : k8s_share_name(c->mode), "files", files);
    // A failed write shows in the exit status: main checks stdout at the end.
    (void)js_dump(&err, doc, stdout, "the list of files");
    json_decref(doc);
}

/* Writes what c asks for; 0, or -1 with err set. */
static int k8s_run(struct error *err, struct k8s_cli *c)
{
    struct k8s_out o = {0};
    struct k8s_readme_opts r = {0};
    struct k8s_names names;
    int rc;

    memset(&names, 0, sizeof(names));
    // Every MPS replica is a client of the GPU's one server.
    if (!c->fleet && c->mode == K8S_SHARE_MPS &&
        emit_mps_clients_check(err, "--replicas", c->replicas > 0 ? c->replicas : 4, c->results) <
            0)
        return -1;
    rc = c->fleet ? fleet_files(err, c, &o) : mode_files(err, c, &o, &names);
    if (rc == 0) {
        r = (struct k8s_readme_opts){
            .mode = c->mode,
            .files = o.readme,
            .n_files = o.n,
            .config_name = names.config[0] != '\0' ? names.config : NULL,
            .mig_config = names.mig_config[0] != '\0' ? names.mig_config : NULL,
            .namespace = c->fleet ? c->namespace : NULL, /* the example goes in default */
        };
        rc = add_file(err, &o, K8S_FILE_OTHER, "README.md", k8s_readme(err, &r), 0644);
    }
    if (rc == 0)
        rc = fileset_write(err, c->out, o.files, o.n, c->force);
    if (rc == 0 && !c->quiet)
        report(c, &o);
    out_free(&o);
    return rc;
}

int emit_k8s_write(struct error *err, const struct emit_k8s_req *q)
{
    struct k8s_cli c = {0};

    if (k8s_share_parse(err, q->mode, &c.mode) < 0)
        return -1;
    c.mode_set = true;
    c.out = q->out;
    c.replicas = q->replicas;
    c.mig_layout = q->mig_layout;
    c.gpu = q->gpu;
    c.thread_pct = q->thread_pct;
    c.mem_limit = q->mem_limit;
    c.force = q->force;
    c.quiet = q->quiet;
    return k8s_run(err, &c);
}

/* --plan: the mode, replicas and MIG layout the plan decided. */
static int k8s_from_plan(struct error *err, struct k8s_cli *c)
{
    struct plan_deploy *d = &c->deploy;

    if (plandoc_load_deploy(err, c->plan, d) < 0)
        return -1;
    if (d->k8s_mode[0] == '\0')
        return error_set(err, ERR_INVALID, "'%s' recommends %s: %s", c->plan,
                         plan_mode_name(d->mode), d->k8s_why);
    if (k8s_share_parse(err, d->k8s_mode, &c->mode) < 0)
        return -1;
    c->mode_set = true;
    if (c->replicas == 0)
        c->replicas = d->k8s_replicas;
    if (d->mig_layout[0] != '\0' && c->mig_layout == NULL) {
        c->mig_layout = d->mig_layout;
        c->gpu = d->gpu_model;
    }
    if (strcmp(d->k8s_mode, "mps") == 0 && d->thread_pct > 0 && c->thread_pct == NULL) {
        str_printf(c->plan_pct, sizeof(c->plan_pct), "%u", d->thread_pct);
        c->thread_pct = c->plan_pct;
    }
    if (strcmp(d->k8s_mode, "mps") == 0 && d->mem_mib > 0 && c->mem_limit == NULL) {
        str_printf(c->plan_mem, sizeof(c->plan_mem), "0=%lluM", d->mem_mib);
        c->mem_limit = c->plan_mem;
    }
    return 0;
}

int emit_k8s(int argc, char **argv)
{
    struct k8s_cli c = {0};
    struct error err;
    int rc = parse(argc, argv, &c);

    if (rc >= 0)
        return rc;
    if (c.plan != NULL && k8s_from_plan(&err, &c) < 0)
        return err.code == ERR_USAGE ? cli_usage_error(usage, &err) : cli_fail(&err);
    if (k8s_run(&err, &c) < 0)
        return err.code == ERR_USAGE ? cli_usage_error(usage, &err) : cli_fail(&err);
    return EXIT_OK;
}
