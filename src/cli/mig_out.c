/*
 * gpushare mig: text and JSON output, and the files it writes (cli/mig_out.h).
 */
#include "cli/mig_out.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/atomic.h"
#include "core/str.h"
#include "gpu/info.h"
#include "gpu/nvml.h"
#include "results/results.h"

static void print_json(json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    fputc('\n', stdout);
    json_decref(j);
}

int mig_out_unknown_gpu(struct error *err, const char *model)
{
    char list[200] = "";
    size_t n;
    const struct mig_gpu *g = mig_catalog(&n);

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list);

        str_printf(list + len, sizeof(list) - len, i == 0 ? "%s" : ", %s", g[i].model);
    }
    return error_set(err, ERR_USAGE, "unknown GPU '%.40s': expected one of %s", model, list);
}

static json_t *placements_json(const struct mig_profile_spec *p)
{
    json_t *a = results_must(json_array());

    for (unsigned k = 0; k < p->n_placements; k++)
        results_append(
            a, results_must(json_pack("[i, i]", p->placements[k].start, p->placements[k].size)));
    return a;
}

static json_t *profile_json(const struct mig_profile_spec *p)
{
    return results_must(
        json_pack("{s:s, s:o, s:i, s:i, s:o, s:i, s:b, s:o, s:b, s:s}", "name", p->name, "id",
                  p->id != MIG_ID_UNKNOWN ? json_integer(p->id) : json_null(), "compute_slices",
                  p->gslices, "sms", p->sms, "memory_gib", results_real(p->mem_gib),
                  "max_instances", p->max_instances, "media_extensions", p->media_ext, "placements",
                  placements_json(p), "verified", p->verified, "source", p->source));
}

static json_t *gpu_json(const struct mig_gpu *g, bool with_profiles)
{
    json_t *j = results_must(
        json_pack("{s:s, s:i, s:i, s:i, s:o, s:b, s:s, s:s}", "model", g->model, "sms", g->sms,
                  "memory_slices", g->mem_slices, "compute_slices", g->compute_slices, "memory_gib",
                  results_real(g->mem_gib), "verified", mig_gpu_verified(g), "source", g->source,
                  "note", g->note != NULL ? g->note : ""));
    json_t *a;

    if (!with_profiles)
        return j;
    a = results_must(json_array());
    for (unsigned i = 0; i < g->n_profiles; i++)
        results_append(a, profile_json(&g->profiles[i]));
    results_set(j, "profiles", a);
    return j;
}

int mig_out_catalog(bool json)
{
    size_t n;
    const struct mig_gpu *g = mig_catalog(&n);
    json_t *a;

    if (json) {
        a = results_must(json_array());
        for (size_t i = 0; i < n; i++)
            results_append(a, gpu_json(&g[i], true));
        print_json(a);
        return EXIT_OK;
    }
    printf("MIG catalog: %zu GPUs (gpushare mig profiles --gpu MODEL for one)\n\n", n);
    printf("  %-13s %5s %8s %12s %9s  %s\n", "model", "SMs", "memory", "slices c/m", "profiles",
           "rows");
    for (size_t i = 0; i < n; i++) {
        char sms[8] = "?";

        if (g[i].sms > 0)
            str_printf(sms, sizeof(sms), "%u", g[i].sms);
        printf("  %-13s %5s %5.0f GiB %8u/%-3u %9u  %s\n", g[i].model, sms, g[i].mem_gib,
               g[i].compute_slices, g[i].mem_slices, g[i].n_profiles,
               mig_gpu_verified(&g[i]) ? "all verified" : "some unverified");
    }
    return EXIT_OK;
}

static void print_placements(const struct mig_profile_spec *p)
{
    for (unsigned k = 0; k < p->n_placements; k++)
        printf(" %u:%u", p->placements[k].start, p->placements[k].size);
}

int mig_out_profiles(const struct mig_gpu *g, bool json)
{
    bool unverified = false;

    if (json) {
        print_json(gpu_json(g, true));
        return EXIT_OK;
    }
    printf("%s: %u SMs, %u compute slices, %u memory slices\n\n", g->model, g->sms,
           g->compute_slices, g->mem_slices);
    printf("  %-12s %3s %4s %7s %4s  %s\n", "profile", "id", "SMs", "GiB", "max",
           "placements (start:size in memory slices)");
    for (unsigned i = 0; i < g->n_profiles; i++) {
        const struct mig_profile_spec *p = &g->profiles[i];
        char sms[8] = "?", gib[16] = "?", id[12] = "?";

        if (p->id != MIG_ID_UNKNOWN)
            str_printf(id, sizeof(id), "%u", p->id);
        if (p->sms > 0)
            str_printf(sms, sizeof(sms), "%u", p->sms);
        if (p->mem_gib > 0)
            str_printf(gib, sizeof(gib), "%.2f", p->mem_gib);
        printf("%c %-12s %3s %4s %7s %4u ", p->verified ? ' ' : '*', p->name, id, sms, gib,
               p->max_instances);
        print_placements(p);
        putchar('\n');
        unverified |= !p->verified;
    }
    printf("\nsource: %s\n", g->source);
    if (g->note != NULL && g->note[0] != '\0')
        printf("note: %s\n", g->note);
    if (unverified) {
        printf("* unverified rows:\n");
        for (unsigned i = 0; i < g->n_profiles; i++)
            if (!g->profiles[i].verified)
                printf("  %s: %s\n", g->profiles[i].name, g->profiles[i].source);
    }
    return EXIT_OK;
}

/* One live profile against its catalog row; each difference appended to mm. */
static void compare_profile(const struct mig_gi_profile *live, const struct mig_profile_spec *c,
                            json_t *mm)
{
    char what[160];
    bool same = live->n_placements == c->n_placements;

    for (unsigned k = 0; same && k < c->n_placements; k++)
        same = live->placements[k].start == c->placements[k].start &&
               live->placements[k].size == c->placements[k].size;
    if (live->id != c->id) {
        str_printf(what, sizeof(what), "%s: id %u live, %u in the catalog", c->name, live->id,
                   c->id);
        results_append(mm, results_string(what));
    }
    if (live->sms != c->sms) {
        str_printf(what, sizeof(what), "%s: %u SMs live, %u in the catalog", c->name, live->sms,
                   c->sms);
        results_append(mm, results_string(what));
    }
    if (live->instances != c->max_instances) {
        str_printf(what, sizeof(what), "%s: %u instances live, %u in the catalog", c->name,
                   live->instances, c->max_instances);
        results_append(mm, results_string(what));
    }
    if (!same) {
        str_printf(what, sizeof(what), "%s: placements differ", c->name);
        results_append(mm, results_string(what));
    }
}

static const char *live_name(const struct mig_gi_profile *p)
{
    return strncmp(p->name, "MIG ", 4) == 0 ? p->name + 4 : p->name;
}

/* Every catalog row against the live list, and every live profile the catalog lacks. */
static json_t *compare_live(const struct gpu_info *info, const struct mig_gpu *g)
{
    json_t *mm = results_must(json_array());
    char what[160];

    for (unsigned i = 0; i < g->n_profiles; i++) {
        const struct mig_gi_profile *live = NULL;

        for (unsigned k = 0; k < info->mig.n_profiles; k++)
            if (strcmp(live_name(&info->mig.profiles[k]), g->profiles[i].name) == 0)
                live = &info->mig.profiles[k];
        if (live != NULL)
            compare_profile(live, &g->profiles[i], mm);
        else {
            str_printf(what, sizeof(what), "%s: in the catalog, not listed by the driver",
                       g->profiles[i].name);
            results_append(mm, results_string(what));
        }
    }
    for (unsigned k = 0; k < info->mig.n_profiles; k++)
        if (mig_profile_find(g, live_name(&info->mig.profiles[k]), NULL) == NULL) {
            str_printf(what, sizeof(what), "%s: listed by the driver, not in the catalog",
                       live_name(&info->mig.profiles[k]));
            results_append(mm, results_string(what));
        }
    return mm;
}

static void print_live(const struct gpu_info *info, const struct mig_gpu *g, const json_t *mm)
{
    size_t i;
    const json_t *v;

    printf("%s (driver %s), MIG %s: %u GPU-instance profiles read through NVML\n", info->name,
           info->driver_version,
           info->mig.has_mode ? mig_mode_name(info->mig.current_enabled) : "unknown",
           info->mig.n_profiles);
    for (unsigned k = 0; k < info->mig.n_profiles; k++) {
        const struct mig_gi_profile *p = &info->mig.profiles[k];

        printf("  %-12s %3u %4u SMs %8.2f GiB %2u max ", live_name(p), p->id, p->sms,
               p->memory_mib / 1024.0, p->instances);
        for (unsigned j = 0; j < p->n_placements; j++)
            printf(" %u:%u", p->placements[j].start, p->placements[j].size);
        putchar('\n');
    }
    if (json_array_size(mm) == 0) {
        printf("matches the catalog entry %s: every profile, id, SM count, instance count and "
               "placement\n",
               g->model);
        return;
    }
    printf("differs from the catalog entry %s:\n", g->model);
    json_array_foreach (mm, i, v)
        printf("  %s\n", json_string_value(v));
}

int mig_out_live(int device, bool json)
{
    struct gpu_info *info = calloc(1, sizeof(*info));
    const struct mig_gpu *g;
    struct error err;
    json_t *mm;
    int rc;

    if (info == NULL)
        abort();
    if (nvml_open(&err) < 0 || nvml_query_device(&err, NULL, device, info) < 0) {
        nvml_close();
        free(info);
        return cli_fail(&err);
    }
    nvml_close();
    g = mig_gpu_by_nvml_name(info->name);
    if (g == NULL) {
        error_set(&err, ERR_UNSUPPORTED, "'%.60s' has no entry in the MIG catalog", info->name);
        free(info);
        return cli_fail(&err);
    }
    mm = compare_live(info, g);
    rc = json_array_size(mm) == 0 ? EXIT_OK : EXIT_FAIL;
    if (json)
        print_json(
            results_must(json_pack("{s:s, s:s, s:o, s:b, s:o}", "gpu", info->name, "catalog_model",
                                   g->model, "driver_profiles", json_integer(info->mig.n_profiles),
                                   "matches", rc == EXIT_OK, "mismatches", mm)));
    else {
        print_live(info, g, mm);
        json_decref(mm);
    }
    free(info);
    return rc;
}

static json_t *layout_json(const struct mig_layout *l, bool placed)
{
    struct mig_usage u;
    json_t *inst = results_must(json_array());
    char name[256];

    mig_layout_usage(l, &u);
    mig_layout_name(l, name, sizeof(name));
    for (size_t i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p = &l->gpu->profiles[l->prof[i]];
        json_t *o = results_must(json_pack("{s:s, s:i, s:o}", "profile", p->name, "sms", p->sms,
                                           "memory_gib", results_real(p->mem_gib)));

        if (placed) {
            results_set(o, "start", json_integer(l->start[i]));
            results_set(o, "memory_slices", json_integer(p->placements[0].size));
        }
        results_append(inst, o);
    }
    return results_must(
        json_pack("{s:s, s:s, s:o, s:i, s:o, s:o, s:i, s:i, s:b}", "gpu", l->gpu->model, "layout",
                  name, "instances", inst, "sms_used", u.sms, "sms_stranded",
                  u.sms_known ? json_integer(u.sms_stranded) : json_null(), "memory_gib",
                  results_real(u.mem_gib), "memory_slices", u.mem_slices, "compute_slices",
                  u.compute_slices, "sms_known", u.sms_known));
}

static void print_usage_line(const struct mig_layout *l)
{
    struct mig_usage u;

    mig_layout_usage(l, &u);
    if (u.sms_known)
        printf("SMs: %u of %u used, %u stranded", u.sms, l->gpu->sms, u.sms_stranded);
    else
        printf("SMs: unknown (a profile's SM count is unverified)");
    printf("; memory: %.2f GiB in %u of %u slices; compute slices: %u of %u\n", u.mem_gib,
           u.mem_slices, l->gpu->mem_slices, u.compute_slices, l->gpu->compute_slices);
}

void mig_out_check(const struct mig_layout *l, bool valid, const char *why, bool json)
{
    char name[256];
    json_t *j;

    if (json) {
        j = layout_json(l, valid);
        results_set(j, "valid", json_boolean(valid));
        if (!valid)
            results_set(j, "reason", results_string(why));
        print_json(j);
        return;
    }
    mig_layout_name(l, name, sizeof(name));
    if (!valid) {
        printf("invalid: %s on %s: %s\n", name, l->gpu->model, why);
        return;
    }
    printf("valid: %s on %s\n\n", name, l->gpu->model);
    mig_layout_draw(stdout, l);
    putchar('\n');
    print_usage_line(l);
}

struct collect {
    json_t *list;
    bool json;
};

static void each_layout(const struct mig_layout *l, void *arg)
{
    struct collect *c = arg;
    struct mig_layout placed = *l;
    struct mig_usage u;
    char name[256], why[8];

    mig_check_layout(&placed, why, sizeof(why));
    if (c->json) {
        results_append(c->list, layout_json(&placed, true));
        return;
    }
    mig_layout_usage(&placed, &u);
    mig_layout_name(&placed, name, sizeof(name));
    if (u.sms_known)
        printf("  %-46s %4u %5u %9.2f\n", name, u.sms, u.sms_stranded, u.mem_gib);
    else
        printf("  %-46s %4s %5s %9.2f\n", name, "?", "?", u.mem_gib);
}

static size_t layouts_of(const struct mig_gpu *g, bool json, json_t **out)
{
    struct collect c = {.list = json ? results_must(json_array()) : NULL, .json = json};
    size_t n;

    if (!json)
        printf("%s\n  %-46s %4s %5s %9s\n", g->model, "layout (maximal: takes no further instance)",
               "SMs", "idle", "GiB");
    n = mig_enumerate_maximal(g, each_layout, &c);
    if (!json)
        printf("  %zu maximal layouts\n", n);
    *out = c.list;
    return n;
}

int mig_out_layouts(const struct mig_gpu *g, bool json)
{
    json_t *list;
    size_t n = layouts_of(g, json, &list);

    if (json)
        print_json(results_must(json_pack("{s:s, s:I, s:o}", "gpu", g->model, "count",
                                          (json_int_t)n, "layouts", list)));
    return EXIT_OK;
}

int mig_out_all_layouts(bool json)
{
    size_t n_gpus, n;
    const struct mig_gpu *g = mig_catalog(&n_gpus);
    json_t *all = json ? results_must(json_array()) : NULL, *list;

    for (size_t i = 0; i < n_gpus; i++) {
        if (!json && i > 0)
            putchar('\n');
        n = layouts_of(&g[i], json, &list);
        if (json)
            results_append(all, results_must(json_pack("{s:s, s:I, s:o}", "gpu", g[i].model,
                                                       "count", (json_int_t)n, "layouts", list)));
    }
    if (json)
        print_json(all);
    return EXIT_OK;
}

static int make_dir(struct error *err, const char *dir)
{
    struct stat st;

    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? 0
                   : error_set(err, ERR_IO, "'%s' exists and is not a directory", dir);
    if (mkdir(dir, 0755) < 0)
        return error_set(err, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
    return 0;
}

int mig_out_files(struct error *err, const char *dir, const struct mig_layout *l, const char *name,
                  bool json)
{
    struct staged_file yaml = {0}, sh = {0};
    char yaml_path[ATOMIC_PATH_MAX], sh_path[ATOMIC_PATH_MAX], label[160];
    char *y = NULL, *s = NULL;
    int rc = -1;

    if (make_dir(err, dir) < 0)
        return -1;
    str_printf(yaml_path, sizeof(yaml_path), "%s/%s.yaml", dir, name);
    str_printf(sh_path, sizeof(sh_path), "%s/%s.sh", dir, name);
    y = migparted_yaml(err, l, name);
    s = migparted_script(l, name);
    /* Both staged before either replaces anything: a failure leaves the directory as it was. */
    if (y != NULL && atomic_stage(err, yaml_path, y, strlen(y), 0644, &yaml) == 0 &&
        atomic_stage(err, sh_path, s, strlen(s), 0755, &sh) == 0 &&
        atomic_commit(err, &yaml) == 0 && atomic_commit(err, &sh) == 0)
        rc = 0;
    atomic_discard(&yaml);
    atomic_discard(&sh);
    free(y);
    free(s);
    if (rc < 0 || json)
        return rc;
    str_printf(label, sizeof(label), "kubectl label node NODE nvidia.com/mig.config=%s --overwrite",
               name);
    printf("\nwrote %s (mig-parted config) and %s (nvidia-smi commands, not run)\n"
           "mig-manager applies it to a node labelled:\n  %s\n",
           yaml_path, sh_path, label);
    return 0;
}

static json_t *items_json(const struct demand_set *d, const struct mig_plan_item *items, size_t n,
                          bool with_gpu)
{
    json_t *a = results_must(json_array());

    for (size_t i = 0; i < n; i++) {
        json_t *o =
            results_must(json_pack("{s:s, s:i, s:i}", "model", d->d[items[i].demand].name,
                                   "replica", items[i].replica, "instance", items[i].instance));

        if (with_gpu)
            results_set(o, "gpu", json_integer(items[i].gpu));
        results_append(a, o);
    }
    return a;
}

static json_t *plan_alternatives_json(const struct demand_set *d, const struct mig_plan *p)
{
    json_t *other = results_must(json_array()), *multi = results_must(json_array());
    json_t *groups = results_must(json_array()), *mps;

    for (size_t i = 0; i < p->n_other; i++)
        results_append(other, layout_json(&p->other[i].layout, true));
    for (size_t k = 0; k < p->multi.k; k++)
        results_append(multi, layout_json(&p->multi.layouts[k], true));
    for (size_t i = 0; p->mps.fits && i < p->mps.layout.n; i++)
        results_append(groups, results_must(json_pack("{s:i, s:i, s:o, s:i}", "clients",
                                                      p->mps.groups[i].clients, "client_limit",
                                                      p->mps.groups[i].client_limit, "memory_gib",
                                                      results_real(p->mps.groups[i].mem_gib), "sms",
                                                      p->mps.groups[i].sms)));
    mps = results_must(json_pack("{s:b, s:b, s:s, s:o}", "fits", p->mps.fits, "search_cut",
                                 p->mps.cut, "why", p->mps.why, "groups", groups));
    if (p->mps.fits) {
        results_set(mps, "layout", layout_json(&p->mps.layout, true));
        results_set(mps, "items", items_json(d, p->mps.items, p->replicas, false));
    }
    return results_must(json_pack(
        "{s:o, s:{s:I, s:I, s:b, s:o, s:o}, s:o, s:{s:b, s:s, s:i, s:i, s:o, s:o, s:i, s:i}}",
        "other_gpus", other, "several_gpus", "count", (json_int_t)p->multi.k, "lower_bound",
        (json_int_t)p->multi.lower_bound, "minimal", p->multi.minimal, "layouts", multi, "items",
        p->multi.k > 0 ? items_json(d, p->multi.items, p->replicas, true) : json_array(),
        "mps_in_slices", mps, "mps_whole_gpu", "fits", p->mps_gpu.fits, "why", p->mps_gpu.why,
        "clients", p->mps_gpu.clients, "client_limit", p->mps_gpu.client_limit, "memory_gib",
        results_real(p->mps_gpu.mem_gib), "gpu_memory_gib", results_real(p->mps_gpu.gpu_mem_gib),
        "sms", p->mps_gpu.sms, "gpu_sms", p->mps_gpu.gpu_sms));
}

static void plan_json(const struct mig_gpu *g, const struct demand_set *d, const struct mig_plan *p)
{
    json_t *j = results_must(json_pack("{s:s, s:I, s:b, s:s, s:s}", "gpu", g->model, "replicas",
                                       (json_int_t)p->replicas, "fits", p->fits, "reason",
                                       mig_plan_reason_name(p->reason), "why", p->why));

    if (p->fits) {
        results_set(j, "layout", layout_json(&p->layout, true));
        results_set(j, "items", items_json(d, p->items, p->n_items, false));
        results_set(j, "free_memory_slices", json_integer(p->free_mem_slices));
        results_set(j, "uses_media_extensions", json_boolean(p->media_ext));
    } else
        results_set(j, "alternatives", plan_alternatives_json(d, p));
    print_json(j);
}

/* What a replica asks for, as the user wrote it. */
static void need_text(const struct demand *dm, const struct mig_gpu *g, char *out, size_t size)
{
    unsigned sms = demand_sms_needed(dm, g->sms);

    if (sms > 0)
        str_printf(out, size, "%.1f GiB, %u SMs", dm->mem_gib, sms);
    else
        str_printf(out, size, "%.1f GiB", dm->mem_gib);
}

static void print_items(const struct demand_set *d, const struct mig_layout *l,
                        const struct mig_plan_item *items, size_t n)
{
    char need[48];

    printf("  %-24s %-7s  %-12s %-6s  %-20s %s\n", "model", "replica", "instance", "slices",
           "needs", "gets");
    for (size_t i = 0; i < n; i++) {
        const struct demand *dm = &d->d[items[i].demand];
        const struct mig_profile_spec *ps = &l->gpu->profiles[l->prof[items[i].instance]];
        unsigned first = l->start[items[i].instance], last = first + ps->placements[0].size - 1;
        char slices[16];

        if (last > first)
            str_printf(slices, sizeof(slices), "%u-%u", first, last);
        else
            str_printf(slices, sizeof(slices), "%u", first);
        need_text(dm, l->gpu, need, sizeof(need));
        printf("  %-24s %-7u  #%-2u %-8s %-6s  %-20s %.2f GiB, %u SMs\n", dm->name,
               items[i].replica + 1, items[i].instance, ps->name, slices, need, ps->mem_gib,
               ps->sms);
    }
}

static void print_alt_other(const struct mig_plan *p)
{
    char name[256];

    if (p->n_other == 0) {
        printf("  other GPUs: none in the catalog holds every replica in an instance of its own\n");
        return;
    }
    printf("  other GPUs that hold them, one replica per instance:\n");
    for (size_t i = 0; i < p->n_other; i++) {
        mig_layout_name(&p->other[i].layout, name, sizeof(name));
        printf("    %-13s %s\n", p->other[i].gpu->model, name);
    }
}

static void print_alt_multi(const struct mig_gpu *g, const struct mig_plan *p)
{
    char name[256];

    if (p->multi.k == 0) {
        printf("  several %s: no number of them can (a replica is larger than any instance)\n",
               g->model);
        return;
    }
    printf("  %zu x %s, one replica per instance (%s):\n", p->multi.k, g->model,
           p->multi.minimal ? "no fewer can" : "first fit; at least the lower bound");
    for (size_t k = 0; k < p->multi.k; k++) {
        mig_layout_name(&p->multi.layouts[k], name, sizeof(name));
        printf("    GPU %zu: %s\n", k + 1, name);
    }
}

static void print_alt_mps(const struct mig_gpu *g, const struct mig_plan *p)
{
    char name[256];

    if (!p->mps.fits)
        printf("  MPS inside MIG slices on one %s: %s\n", g->model, p->mps.why);
    else {
        mig_layout_name(&p->mps.layout, name, sizeof(name));
        printf("  MPS inside MIG slices on one %s: %s\n", g->model, name);
        for (size_t i = 0; i < p->mps.layout.n; i++)
            printf("    #%zu %-12s %2u of at most %2u MPS clients, %.1f GiB, %u SMs asked\n", i,
                   g->profiles[p->mps.layout.prof[i]].name, p->mps.groups[i].clients,
                   p->mps.groups[i].client_limit, p->mps.groups[i].mem_gib, p->mps.groups[i].sms);
        printf("    replicas in one slice share its memory and its faults: one fatal fault stops "
               "them all\n");
    }
    if (p->mps_gpu.fits)
        printf("  MPS on the whole GPU, MIG off: %u of at most %u clients, %.1f of %.0f GiB "
               "(nominal), %u of %u SMs asked; no isolation between them\n",
               p->mps_gpu.clients, p->mps_gpu.client_limit, p->mps_gpu.mem_gib,
               p->mps_gpu.gpu_mem_gib, p->mps_gpu.sms, p->mps_gpu.gpu_sms);
    else
        printf("  MPS on the whole GPU, MIG off: %s\n", p->mps_gpu.why);
}

void mig_out_plan(const struct mig_gpu *g, const struct demand_set *d, const struct mig_plan *p,
                  bool json)
{
    char name[256];

    if (json) {
        plan_json(g, d, p);
        return;
    }
    if (!mig_gpu_verified(g)) {
        printf("note: unverified catalog rows of %s (gpushare mig profiles --gpu %s):", g->model,
               g->model);
        for (unsigned i = 0; i < g->n_profiles; i++)
            if (!g->profiles[i].verified)
                printf(" %s", g->profiles[i].name);
        printf("\n\n");
    }
    if (!p->fits) {
        printf("does not fit on one %s with MIG alone: %s\n\nnearest alternatives:\n", g->model,
               p->why);
        print_alt_other(p);
        print_alt_multi(g, p);
        print_alt_mps(g, p);
        return;
    }
    mig_layout_name(&p->layout, name, sizeof(name));
    printf("fits on one %s: %s%s\n\n", g->model, name,
           p->media_ext ? " (uses the media-extension profile: nothing else fits)" : "");
    mig_layout_draw(stdout, &p->layout);
    putchar('\n');
    print_usage_line(&p->layout);
    printf("free memory slices: %u\n\n", p->free_mem_slices);
    print_items(d, &p->layout, p->items, p->n_items);
}
