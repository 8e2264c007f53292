/*
 * gpushare info: what the card is and how it is set up for sharing, read
 * through the CUDA runtime and NVML. Changes nothing on the card.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bounds.h"
#include "cli/cli.h"
#include "core/xalloc.h"
#include "gpu/info.h"
#include "gpu/pcie.h"
#include "results/info_json.h"
#include "results/results.h"

static const char usage[] =
    "usage: gpushare info [--device N] [--mps-pipe-dir DIR] [--json] [-o FILE]\n";

static const char help[] =
    "Show the GPU's identity and driver, SMs, memory, L2, copy engines, PCIe link, compute and\n"
    "persistence modes, MIG mode with every GPU-instance profile and its placements, and\n"
    "whether an MPS control daemon answers.\n\n"
    "  -d, --device N        CUDA device ordinal (default 0)\n"
    "      --mps-pipe-dir D  probe for an MPS daemon at D (default $CUDA_MPS_PIPE_DIRECTORY\n"
    "                        or /tmp/nvidia-mps)\n"
    "      --json            print a results document holding the info block on stdout\n"
    "  -o, --output FILE     write that document to FILE (atomically)\n"
    "  -f, --force           replace FILE when it exists\n"
    "  -h, --help            this help\n\n"
    "Exit status: 0 ok, 1 failure, 2 usage error, 69 no NVIDIA driver or GPU.\n";

struct info_opts {
    int device;
    const char *mps_dir;
    bool json, force;
    const char *out;
};

static int parse(int argc, char **argv, struct info_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'},
        {"mps-pipe-dir", required_argument, NULL, 'm'},
        CLI_DOC_OPTIONS,
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":d:o:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if (cli_device(&err, optarg, &o->device) < 0)
                return cli_usage_error(usage, &err);
            break;
        case 'm':
            o->mps_dir = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'f':
            o->force = true;
            break;
        case 'h':
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        default:
            return cli_bad_option(usage, argv, opt);
        }
    }
    if (optind < argc) {
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
        return cli_usage_error(usage, &err);
    }
    if (cli_check_out(&err, o->out, o->force) < 0)
        return cli_fail(&err);
    return EXIT_OK;
}

static void print_mib(const char *label, bool has, uint64_t bytes)
{
    if (has)
        printf("%-22s %" PRIu64 " MiB\n", label, bytes >> 20);
    else
        printf("%-22s n/a\n", label);
}

static void print_opt_uint(const char *label, bool has, unsigned v, const char *suffix)
{
    if (has)
        printf("  %-20s %u%s\n", label, v, suffix);
    else
        printf("  %-20s n/a\n", label);
}

static void print_mig(const struct mig_info *m)
{
    if (!m->supported) {
        printf("%-22s not supported\n", "MIG");
        return;
    }
    printf("%-22s supported, current %s, pending %s\n", "MIG", mig_mode_name(m->current_enabled),
           mig_mode_name(m->pending_enabled));
    printf("  %-14s %4s %9s %5s %4s %10s  %s\n", "profile", "id", "instances", "SMs", "CEs",
           "memory", "placements (start:size)");
    for (unsigned i = 0; i < m->n_profiles; i++) {
        const struct mig_gi_profile *p = &m->profiles[i];

        printf("  %-14s %4u %9u %5u %4u %6" PRIu64 " MiB ", p->name, p->id, p->instances, p->sms,
               p->copy_engines, p->memory_mib);
        for (unsigned j = 0; j < p->n_placements; j++)
            printf(" %u:%u", p->placements[j].start, p->placements[j].size);
        printf("\n");
    }
}

void cli_print_info(const struct gpu_info *g)
{
    const struct pcie_info *p = &g->pcie;

    printf("%-22s %d: %s\n", "device", g->device_index, g->name);
    printf("%-22s %s\n", "uuid", g->uuid[0] ? g->uuid : "n/a");
    printf("%-22s %s\n", "pci bus", g->pci_bus_id);
    printf("%-22s %s, CUDA %d.%d (runtime %d.%d)\n", "driver",
           g->driver_version[0] ? g->driver_version : "n/a", g->cuda_driver_version / 1000,
           g->cuda_driver_version % 1000 / 10, g->cuda_runtime_version / 1000,
           g->cuda_runtime_version % 1000 / 10);
    printf("%-22s %d.%d\n", "compute capability", g->cc_major, g->cc_minor);
    printf("%-22s %u\n", "SMs", g->sm_count);
    print_mib("memory total", g->has_memory, g->memory_total_bytes);
    print_mib("memory free", g->has_memory, g->memory_free_bytes);
    printf("%-22s %" PRIu64 " MiB\n", "L2 cache", g->l2_bytes >> 20);
    printf("%-22s %u\n", "copy engines", g->copy_engines);
    printf("%-22s %d (least) to %d (greatest)\n", "stream priorities", g->priority_least,
           g->priority_greatest);
    printf("PCIe\n");
    print_opt_uint("generation current", p->has_gen_current, p->gen_current, "");
    print_opt_uint("generation max", p->has_gen_max, p->gen_max, "");
    print_opt_uint("width current", p->has_width_current, p->width_current, " lanes");
    print_opt_uint("width max", p->has_width_max, p->width_max, " lanes");
    if (p->has_gen_max && p->has_width_max)
        printf("  %-20s %.1f GB/s per direction\n", "link bound",
               pcie_gbps_per_direction(p->gen_max, p->width_max));
    printf("%-22s %s\n", "compute mode", g->has_compute_mode ? g->compute_mode : "n/a");
    printf("%-22s %s\n", "persistence mode",
           g->has_persistence ? (g->persistence_enabled ? "Enabled" : "Disabled") : "n/a");
    print_mig(&g->mig);
    printf("%-22s %s at %s (%s)\n", "MPS daemon", g->mps.answers ? "answers" : "not answering",
           g->mps.pipe_dir, g->mps.detail);
}

int cmd_info(int argc, char **argv)
{
    struct info_opts o = {0};
    struct gpu_info *g = xcalloc(1, sizeof(*g));
    struct run_meta meta = {0};
    struct error err;
    bool done = false;
    json_t *doc = NULL;
    int rc;

    rc = parse(argc, argv, &o, &done);
    if (rc != EXIT_OK || done)
        goto out;
    if (gpu_info_query(&err, o.device, o.mps_dir, g) < 0) {
        rc = cli_fail(&err);
        goto out;
    }
    meta.git_dirty = -1;
    meta.command = "info";
    meta.argc = cli_given_argc();
    meta.argv = cli_given_argv();
    doc = results_new(&meta, gpu_info_to_json(g));
    if (cli_write_doc(&err, doc, o.out, o.force) < 0 ||
        (o.json && results_write(&err, doc, "-") < 0)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (!o.json)
        cli_print_info(g);
out:
    json_decref(doc);
    free(g);
    return rc;
}
