/*
 * The MIG profile catalog (mig/catalog.h). Every number below is from a public source: NVIDIA's
 * MIG User Guide (https://docs.nvidia.com/datacenter/tesla/mig-user-guide/), the NVIDIA/
 * mig-parted, NVIDIA/gpu-operator and NVIDIA/go-nvml repositories, or a public -lgip/-lgipp
 * printout; `source` names it per row so the output can. [V], [S], [U] in a source mark it
 * primary, secondary, not verified. A number no source gives is 0 (an ID: MIG_ID_UNKNOWN),
 * its row is unverified, and code asks mig_sms_known() and its kin rather than compare.
 *
 * nvml_names and device_filter: the PCI IDs are those of mig-parted's default config
 * (deployments/systemd/config-default.yaml, the same in gpu-operator's
 * assets/state-mig-manager/0400_configmap.yaml), each matched to its board by that file's
 * comments and by the device-ID table of NVIDIA's driver README, which also gives the names
 * NVML reports. A800/H800 boards, which the config groups with the A100/H100, are left out:
 * no public printout of theirs was found.
 */
#include "mig/catalog.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Placements shared by every 7-compute / 8-memory-slice GPU (A100, H100, H200, GH200, B200):
 * memory slices per instance and where an instance may start (section 3.1). */
// clang-format off
#define P_1G {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}}
#define P_1G_2MEM {{0, 2}, {2, 2}, {4, 2}, {6, 2}}
#define P_2G {{0, 2}, {2, 2}, {4, 2}}
#define P_3G {{0, 4}, {4, 4}}
#define P_4G {{0, 4}}
#define P_7G {{0, 8}}

/* A30: 4 memory and 4 compute slices, its own placements (section 3.2, A30-24GB). */
#define P_A30_1G {{0, 1}, {1, 1}, {2, 1}, {3, 1}}
#define P_A30_2G {{0, 2}, {2, 2}}
#define P_A30_4G {{0, 4}}
// clang-format on

#define U MIG_ID_UNKNOWN

#define LGIPP_A100 "MIG User Guide 'Getting Started' -lgip/-lgipp; go-nvml mock a100.go"
#define PCIE_H100                                                                                  \
    "presumed from the SXM5 printout (one fraction table for PCIe and SXM5, MIG User Guide); "     \
    "SMs unknown [U]"
#define LGIPP_H100 "H100 80GB HBM3 -lgip/-lgipp (lab printout, public copy); MIG User Guide"
#define LGIPP_A30 "A30 -lgip/-lgipp (Summer-Lo/Docker_configuration 000-MIG); go-nvml mock a30.go"
#define NVL_SMALL "gpu-operator PR #900/#903 -lgip [V]; placements: public H100 NVL -lgipp [S]"
#define NVL_BIG "public H100 NVL printouts [S]; placements: public H100 NVL -lgipp [S]"
#define H200_LGIP "mig-parted issue #120 -lgip [V]; placements presumed as H100's [U]"
#define GH96_UG "MIG User Guide GH200 table: name, count [V]; ID, SMs, GiB unknown [U]"
#define GH96_S "MIG User Guide: name, count [V]; SMs, GiB: public printout [S]; ID unknown [U]"
#define GH96_PL "; placements presumed as H100's [U]"
#define GH144_LGIP "mig-parted PR #139, gpu-operator PR #1057 -lgip [V]; placements as H100's [U]"
#define GH144_CM "ConfigMap: name, count [V]; ID, SMs, GiB unknown [U]; placements as H100's [U]"
#define B200_LGIP "gpu-operator PR #1242, mig-parted PR #166 -lgip [V]; placements by fraction [U]"
#define B200_UG "MIG User Guide B200: name, fractions, count [V]; ID, SMs, GiB unknown [U]"
#define GB200_LGIP                                                                                 \
    "GB200 -lgip (mig-parted #227, gpu-operator PR #1303) [V]; placements by fraction [U]"
#define GB200_CM "ConfigMap: name, count [V]; ID, SMs, GiB unknown [U]; placements by fraction [U]"

/* One row per profile: name, ID, <g>, SMs, GiB, max instances, +me, placements, verified,
 * source. */
// clang-format off
static const struct mig_gpu catalog[] = {
    {
        /* Section 3.2 A100-SXM4-40GB: every column [V]. */
        .model = "A100-40GB",
        .nvml_names = "NVIDIA A100-SXM4-40GB|NVIDIA A100-PCIE-40GB",
        .device_filter = "0x20B010DE|0x20B110DE|0x20F110DE",
        .sms = 108,
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 40,
        .n_profiles = 7,
        .profiles = {
            {"1g.5gb", 19, 1, 14, 4.75, 7, false, 7, P_1G, true, LGIPP_A100},
            {"1g.5gb+me", 20, 1, 14, 4.75, 1, true, 7, P_1G, true,
             LGIPP_A100 "; needs driver R470 or later"},
            {"1g.10gb", 15, 1, 14, 9.62, 4, false, 4, P_1G_2MEM, true,
             LGIPP_A100 "; needs driver R525 or later"},
            {"2g.10gb", 14, 2, 28, 9.62, 3, false, 3, P_2G, true, LGIPP_A100},
            {"3g.20gb", 9, 3, 42, 19.50, 2, false, 2, P_3G, true, LGIPP_A100},
            {"4g.20gb", 5, 4, 56, 19.50, 1, false, 1, P_4G, true, LGIPP_A100},
            {"7g.40gb", 0, 7, 98, 39.25, 1, false, 1, P_7G, true, LGIPP_A100},
        },
        .source = "MIG User Guide -lgip/-lgipp; NVIDIA/go-nvml mock a100.go",
        .note = "1g.10gb needs driver R525 or later; 4g + 3g together needs R510 or later",
    },
    {
        .model = "A100-80GB",
        .nvml_names = "NVIDIA A100-SXM4-80GB|NVIDIA A100 80GB PCIe",
        .device_filter = "0x20B210DE|0x20B510DE",
        .sms = 108,
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 80,
        .n_profiles = 7,
        .profiles = {
            {"1g.10gb", 19, 1, 14, 9.75, 7, false, 7, P_1G, true,
             LGIPP_A100 " (IDs, SMs, placements as 40GB); GiB 9.50-9.75 by driver"},
            {"1g.10gb+me", 20, 1, 14, 9.75, 1, true, 7, P_1G, true, LGIPP_A100},
            {"1g.20gb", 15, 1, 14, 19.50, 4, false, 4, P_1G_2MEM, false,
             "public A100 80GB PCIe printout (driver 515) only: secondary"},
            {"2g.20gb", 14, 2, 28, 19.50, 3, false, 3, P_2G, true, LGIPP_A100},
            {"3g.40gb", 9, 3, 42, 39.25, 2, false, 2, P_3G, true,
             LGIPP_A100 "; printed 3g.39gb by drivers 535/545 (mig-parted #31)"},
            {"4g.40gb", 5, 4, 56, 39.25, 1, false, 1, P_4G, true, LGIPP_A100},
            {"7g.80gb", 0, 7, 98, 79.00, 1, false, 1, P_7G, true,
             LGIPP_A100 "; GiB 78.50-79.00 by driver"},
        },
        .source = "MIG User Guide; NVIDIA/go-nvml mock; public printouts",
        .note = "4g + 3g together needs driver R510 or later (MIG User Guide, Concepts)",
    },
    {
        /* Section 3.2 A30-24GB: [V] but for the 2g.12gb+me row, from a second printout. */
        .model = "A30-24GB",
        .nvml_names = "NVIDIA A30",
        .device_filter = "0x20B710DE",
        .sms = 56, /* the 4g.24gb row, the whole GPU */
        .mem_slices = 4,
        .compute_slices = 4,
        .mem_gib = 24,
        .n_profiles = 5,
        .profiles = {
            {"1g.6gb", 14, 1, 14, 5.81, 4, false, 4, P_A30_1G, true, LGIPP_A30},
            {"1g.6gb+me", 21, 1, 14, 5.81, 1, true, 4, P_A30_1G, true, LGIPP_A30},
            {"2g.12gb", 5, 2, 28, 11.69, 2, false, 2, P_A30_2G, true, LGIPP_A30},
            {"2g.12gb+me", 6, 2, 28, 11.69, 1, true, 2, P_A30_2G, false,
             "a second public A30 printout only [S]; needs driver R525 or later"},
            {"4g.24gb", 0, 4, 56, 23.50, 1, false, 1, P_A30_4G, true,
             LGIPP_A30 "; GiB 23.44-23.50 by driver"},
        },
        .source = "MIG User Guide: 4 memory and 4 compute slices; public -lgip/-lgipp printouts",
        .note = "2g.12gb+me needs driver R525 or later; mig-parted hardcodes the A30's "
                "profiles for an NVML bug (NVIDIA/mig-parted)",
    },
    {
        .model = "H100-80GB",
        .nvml_names = "NVIDIA H100 80GB HBM3",
        .device_filter = "0x233010DE",
        .sms = 132,
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 80,
        .n_profiles = 7,
        .profiles = {
            {"1g.10gb", 19, 1, 16, 9.75, 7, false, 7, P_1G, true, LGIPP_H100},
            {"1g.10gb+me", 20, 1, 16, 9.75, 1, true, 7, P_1G, true, LGIPP_H100},
            {"1g.20gb", 15, 1, 26, 19.62, 4, false, 4, P_1G_2MEM, true, LGIPP_H100},
            {"2g.20gb", 14, 2, 32, 19.62, 3, false, 3, P_2G, true, LGIPP_H100},
            {"3g.40gb", 9, 3, 60, 39.50, 2, false, 2, P_3G, true, LGIPP_H100},
            {"4g.40gb", 5, 4, 64, 39.50, 1, false, 1, P_4G, true, LGIPP_H100},
            {"7g.80gb", 0, 7, 132, 79.25, 1, false, 1, P_7G, true, LGIPP_H100},
        },
        .source = "H100 80GB HBM3 (SXM5) -lgip/-lgipp printout; MIG User Guide",
        .note = "the SXM5 board; the PCIe board is H100-PCIE-80GB",
    },
    {
        /* Section 3.2: "H100 80GB (PCIe and SXM5)" share one fraction table in the MIG User
         * Guide, so names, counts and placements carry over; the PCIe part has fewer SMs and
         * no source gives its per-profile counts. */
        .model = "H100-PCIE-80GB",
        .nvml_names = "NVIDIA H100 PCIe",
        .device_filter = "0x233110DE",
        .sms = 114,
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 80,
        .n_profiles = 7,
        .profiles = {
            {"1g.10gb", 19, 1, 0, 9.75, 7, false, 7, P_1G, false, PCIE_H100},
            {"1g.10gb+me", 20, 1, 0, 9.75, 1, true, 7, P_1G, false, PCIE_H100},
            {"1g.20gb", 15, 1, 0, 19.62, 4, false, 4, P_1G_2MEM, false, PCIE_H100},
            {"2g.20gb", 14, 2, 0, 19.62, 3, false, 3, P_2G, false, PCIE_H100},
            {"3g.40gb", 9, 3, 0, 39.50, 2, false, 2, P_3G, false, PCIE_H100},
            {"4g.40gb", 5, 4, 0, 39.50, 1, false, 1, P_4G, false, PCIE_H100},
            {"7g.80gb", 0, 7, 0, 79.25, 1, false, 1, P_7G, false, PCIE_H100},
        },
        .source = "the H100 80GB fraction table of the MIG User Guide",
        .note = "114 SMs in all; SMs per profile are unknown, and IDs, GiB and placements "
                "are the SXM5's, presumed",
    },
    {
        /* Section 3.2 H100-94GB: 1g/2g rows [V], 3g/4g/7g rows and all placements [S]. */
        .model = "H100-94GB",
        .nvml_names = "NVIDIA H100 NVL",
        .device_filter = "0x232110DE",
        .sms = 132, /* the 7g.94gb row [S] */
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 94,
        .n_profiles = 7,
        .profiles = {
            {"1g.12gb", 19, 1, 16, 10.75, 7, false, 7, P_1G, false, NVL_SMALL},
            {"1g.12gb+me", 20, 1, 16, 10.75, 1, true, 7, P_1G, false, NVL_SMALL},
            {"1g.24gb", 15, 1, 26, 21.62, 4, false, 4, P_1G_2MEM, false, NVL_SMALL},
            {"2g.24gb", 14, 2, 32, 21.62, 3, false, 3, P_2G, false, NVL_SMALL},
            {"3g.47gb", 9, 3, 60, 46.38, 2, false, 2, P_3G, false,
             NVL_BIG "; GiB 46.12-46.38 (46.38 also in mig-parted PR #101)"},
            {"4g.47gb", 5, 4, 64, 46.38, 1, false, 1, P_4G, false,
             NVL_BIG "; GiB 46.12-46.38"},
            {"7g.94gb", 0, 7, 132, 93.12, 1, false, 1, P_7G, false,
             NVL_BIG "; GiB 92.62-93.12"},
        },
        .source = "NVIDIA/gpu-operator PR #900/#903; public H100 NVL printouts",
        .note = "H100 NVL (0x2321); placements and the 3g/4g/7g rows are from secondary "
                "printouts; the H800 NVL (0x233A), which mig-parted groups with it, is not mapped",
    },
    {
        /* Section 3.2 H200-141GB: -lgip [V]; placements presumed [U]. */
        .model = "H200-141GB",
        .nvml_names = "NVIDIA H200",
        .device_filter = "0x233510DE",
        .sms = 132, /* the 7g.141gb row [V] */
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 141,
        .n_profiles = 7,
        .profiles = {
            {"1g.18gb", 19, 1, 16, 16.00, 7, false, 7, P_1G, false, H200_LGIP},
            {"1g.18gb+me", 20, 1, 16, 16.00, 1, true, 7, P_1G, false, H200_LGIP},
            {"1g.35gb", 15, 1, 26, 32.25, 4, false, 4, P_1G_2MEM, false, H200_LGIP},
            {"2g.35gb", 14, 2, 32, 32.25, 3, false, 3, P_2G, false, H200_LGIP},
            {"3g.71gb", 9, 3, 60, 69.50, 2, false, 2, P_3G, false, H200_LGIP},
            {"4g.71gb", 5, 4, 64, 69.50, 1, false, 1, P_4G, false, H200_LGIP},
            {"7g.141gb", 0, 7, 132, 139.75, 1, false, 1, P_7G, false, H200_LGIP},
        },
        .source = "NVIDIA/mig-parted issue #120 -lgip; MIG User Guide fractions",
        .note = "placements presumed identical to H100's (no public -lgipp printout); the H200 NVL "
                "(0x233B) shares these names in mig-parted's config but is not mapped: its SMs "
                "are in no public source found",
    },
    {
        /* Section 3.2 GH200 96GB: names and counts [V], 2g-7g SMs and GiB [S], rest [U]. */
        .model = "GH200-96GB",
        .nvml_names = "NVIDIA GH200 480GB",
        .device_filter = "0x234210DE",
        .sms = 132, /* the 7g.96gb row [S] */
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 96,
        .n_profiles = 7,
        .profiles = {
            {"1g.12gb", U, 1, 0, 0, 7, false, 7, P_1G, false, GH96_UG GH96_PL},
            {"1g.12gb+me", U, 1, 0, 0, 1, true, 7, P_1G, false, GH96_UG GH96_PL},
            {"1g.24gb", U, 1, 0, 0, 4, false, 4, P_1G_2MEM, false,
             GH96_UG " (1/4 of memory)" GH96_PL},
            {"2g.24gb", U, 2, 32, 23.00, 3, false, 3, P_2G, false, GH96_S GH96_PL},
            {"3g.48gb", U, 3, 60, 46.50, 2, false, 2, P_3G, false, GH96_S GH96_PL},
            {"4g.48gb", U, 4, 64, 46.50, 1, false, 1, P_4G, false, GH96_S GH96_PL},
            {"7g.96gb", U, 7, 132, 93.00, 1, false, 1, P_7G, false, GH96_S GH96_PL},
        },
        .source = "MIG User Guide GH200 table; public printouts",
        .note = "no public source gives the GI profile IDs or the 1g SMs and GiB; placements "
                "presumed as H100's; 0x2342 also names the GH200 120GB, which is not mapped",
    },
    {
        /* Section 3.2 GH200 144GB HBM3e: 1g/2g -lgip [V], 3g/4g/7g names and counts only. */
        .model = "GH200-144GB",
        .nvml_names = "NVIDIA GH200 144G HBM3e",
        .device_filter = "0x234810DE",
        .sms = 132, /* GH200's (GH200-96GB's 7g row [S]); no 144GB printout shows it */
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 144,
        .n_profiles = 7,
        .profiles = {
            {"1g.18gb", 19, 1, 16, 17.50, 7, false, 7, P_1G, false, GH144_LGIP},
            {"1g.18gb+me", 20, 1, 16, 17.50, 1, true, 7, P_1G, false, GH144_LGIP},
            {"1g.36gb", 15, 1, 26, 35.25, 4, false, 4, P_1G_2MEM, false, GH144_LGIP},
            {"2g.36gb", 14, 2, 32, 35.25, 3, false, 3, P_2G, false, GH144_LGIP},
            {"3g.72gb", U, 3, 0, 0, 2, false, 2, P_3G, false, GH144_CM},
            {"4g.72gb", U, 4, 0, 0, 1, false, 1, P_4G, false, GH144_CM},
            {"7g.144gb", U, 7, 0, 0, 1, false, 1, P_7G, false, GH144_CM},
        },
        .source = "NVIDIA/mig-parted PR #139, NVIDIA/gpu-operator PR #1057, its ConfigMap",
        .note = "no public source gives the 3g/4g/7g IDs, SMs and GiB; placements presumed "
                "as H100's",
    },
    {
        /* Section 3.2 B200-180GB: 1g/2g -lgip [V]; 3g/4g/7g from the MIG UG table only. */
        .model = "B200-180GB",
        .nvml_names = "NVIDIA B200",
        .device_filter = "0x290110DE",
        .sms = 0, /* in no public source found (the 7g row's SMs are unknown) */
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 180,
        .n_profiles = 7,
        .profiles = {
            {"1g.23gb", 19, 1, 18, 22.00, 7, false, 7, P_1G, false,
             B200_LGIP "; GiB 20.50 in gpu-operator PR #1351"},
            {"1g.23gb+me", 20, 1, 18, 22.00, 1, true, 7, P_1G, false, B200_LGIP},
            {"1g.45gb", 15, 1, 30, 44.25, 4, false, 4, P_1G_2MEM, false, B200_LGIP},
            {"2g.45gb", 14, 2, 36, 44.25, 3, false, 3, P_2G, false, B200_LGIP},
            {"3g.90gb", U, 3, 0, 0, 2, false, 2, P_3G, false, B200_UG},
            {"4g.90gb", U, 4, 0, 0, 1, false, 1, P_4G, false, B200_UG},
            {"7g.180gb", U, 7, 0, 0, 1, false, 1, P_7G, false, B200_UG},
        },
        .source = "MIG User Guide B200 table; NVIDIA/gpu-operator PR #1242",
        .note = "no public source gives the whole-GPU SMs or the 3g/4g/7g IDs, SMs and GiB; "
                "placements from the fractions only (no -lgipp); B200 boards at 0x2909 are not "
                "in mig-parted's config and not mapped",
    },
    {
        /* Section 3.2 GB200: 1g/2g -lgip [V]; 3g/4g/7g names and counts from the ConfigMap. */
        .model = "GB200-186GB",
        .nvml_names = "NVIDIA GB200",
        .device_filter = "0x294110DE",
        .sms = 0, /* in no public source found */
        .mem_slices = 8,
        .compute_slices = 7,
        .mem_gib = 186,
        .n_profiles = 7,
        .profiles = {
            {"1g.23gb", 19, 1, 18, 22.00, 7, false, 7, P_1G, false,
             GB200_LGIP "; HGX boards print 1g.24gb (20.00 GiB) for this slot"},
            {"1g.23gb+me", 20, 1, 18, 22.00, 1, true, 7, P_1G, false, GB200_LGIP},
            {"1g.47gb", 15, 1, 32, 45.50, 4, false, 4, P_1G_2MEM, false, GB200_LGIP},
            {"2g.47gb", 14, 2, 38, 45.50, 3, false, 3, P_2G, false, GB200_LGIP},
            {"3g.93gb", U, 3, 0, 0, 2, false, 2, P_3G, false, GB200_CM},
            {"4g.93gb", U, 4, 0, 0, 1, false, 1, P_4G, false, GB200_CM},
            {"7g.186gb", U, 7, 0, 0, 1, false, 1, P_7G, false, GB200_CM},
        },
        .source = "NVIDIA/mig-parted issue #227, NVIDIA/gpu-operator PR #1303, its ConfigMap",
        .note = "names follow the current ConfigMap (1g.23gb; HGX GB200 printed 1g.24gb, "
                "mig-parted #227/#228); no public source gives the whole-GPU SMs or the 3g/4g/7g "
                "IDs, SMs and GiB; placements from the fractions only",
    },
};
// clang-format on

const struct mig_gpu *mig_catalog(size_t *n)
{
    *n = sizeof(catalog) / sizeof(catalog[0]);
    return catalog;
}

const struct mig_gpu *mig_gpu_find(const char *model)
{
    size_t n;
    const struct mig_gpu *g = mig_catalog(&n);

    for (size_t i = 0; i < n; i++)
        if (strcasecmp(g[i].model, model) == 0)
            return &g[i];
    return NULL;
}

/* Is name one of the '|'-separated entries of list? */
static bool in_list(const char *list, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = list; p != NULL && *p != '\0';) {
        size_t k = strcspn(p, "|");

        if (k == len && strncmp(p, name, len) == 0)
            return true;
        p += k + (p[k] == '|');
    }
    return false;
}

const struct mig_gpu *mig_gpu_by_nvml_name(const char *name)
{
    size_t n;
    const struct mig_gpu *g = mig_catalog(&n);

    for (size_t i = 0; i < n; i++)
        if (in_list(g[i].nvml_names, name))
            return &g[i];
    return NULL;
}

const struct mig_profile_spec *mig_profile_find(const struct mig_gpu *gpu, const char *name,
                                                unsigned *index)
{
    for (unsigned i = 0; i < gpu->n_profiles; i++)
        if (strcmp(gpu->profiles[i].name, name) == 0) {
            if (index != NULL)
                *index = i;
            return &gpu->profiles[i];
        }
    return NULL;
}

bool mig_gpu_verified(const struct mig_gpu *gpu)
{
    for (unsigned i = 0; i < gpu->n_profiles; i++)
        if (!gpu->profiles[i].verified)
            return false;
    return true;
}

bool mig_sms_known(const struct mig_profile_spec *p)
{
    return p->sms > 0;
}

bool mig_mem_known(const struct mig_profile_spec *p)
{
    return p->mem_gib > 0.0;
}

bool mig_gpu_sms_known(const struct mig_gpu *gpu)
{
    return gpu->sms > 0;
}

bool mig_gpu_figures_known(const struct mig_gpu *gpu)
{
    for (unsigned i = 0; i < gpu->n_profiles; i++)
        if (!mig_sms_known(&gpu->profiles[i]) || !mig_mem_known(&gpu->profiles[i]))
            return false;
    return true;
}
