/*
 * gpushare mig: text and JSON output, and the files it writes (cli/mig_out.h).
 */
#include "cli/mig_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/fileset.h"
#include "core/json.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "gpu/info.h"
#include "gpu/nvml.h"

/* Writes j (and drops it): EXIT_OK, or EXIT_FAIL with "cannot write the ...: why". */
static int print_json(json_t *j, const char *what)
{
    struct error err;
    int rc = js_dump(&err, j, stdout, what) < 0 ? cli_fail(&err) : EXIT_OK;

    json_decref(j);
    return rc;
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* A count, or "?" when the catalog does not know it. */
static const char *num(char *buf, size_t size, bool known, unsigned v)
{
    if (!known)
        str_printf(buf, size, "?");
    else
        str_printf(buf, size, "%u", v);
    return buf;
}

/* GiB with two decimals, or "?". */
static const char *gib(char *buf, size_t size, bool known, double v)
{
    if (!known)
        str_printf(buf, size, "?");
    else
        str_printf(buf, size, "%.2f", v);
    return buf;
}

static json_t *js_num(bool known, unsigned v)
{
    return known ? js_must(json_integer(v)) : js_must(json_null());
}

static json_t *js_gib(bool known, double v)
{
    return known ? js_real(v) : js_must(json_null());
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
    json_t *a = js_must(json_array());

    for (unsigned k = 0; k < p->n_placements; k++)
        js_append(a, js_must(json_pack("[i, i]", p->placements[k].start, p->placements[k].size)));
    return a;
}

static json_t *profile_json(const struct mig_profile_spec *p)
{
    return js_must(json_pack("{s:s, s:o, s:i, s:o, s:o, s:i, s:b, s:o, s:b, s:s}", "name", p->name,
                             "id", js_num(p->id != MIG_ID_UNKNOWN, p->id), "compute_slices",
                             p->gslices, "sms", js_num(mig_sms_known(p), p->sms), "memory_gib",
                             js_gib(mig_mem_known(p), p->mem_gib), "max_instances",
                             p->max_instances, "media_extensions", p->media_ext, "placements",
                             placements_json(p), "verified", p->verified, "source", p->source));
}

static json_t *gpu_json(const struct mig_gpu *g, bool with_profiles)
{
    json_t *j = js_must(json_pack(
        "{s:s, s:o, s:i, s:i, s:o, s:b, s:s, s:s}", "model", g->model, "sms",
        js_num(mig_gpu_sms_known(g), g->sms), "memory_slices", g->mem_slices, "compute_slices",
        g->compute_slices, "memory_gib", js_gib(g->mem_gib > 0, g->mem_gib), "verified",
        mig_gpu_verified(g), "source", g->source, "note", g->note != NULL ? g->note : ""));
    json_t *a;

    if (!with_profiles)
        return j;
    a = js_must(json_array());
    for (unsigned i = 0; i < g->n_profiles; i++)
        js_append(a, profile_json(&g->profiles[i]));
    js_set(j, "profiles", a);
    return j;
}

int mig_out_catalog(bool json)
{
    size_t n;
    const struct mig_gpu *g = mig_catalog(&n);
    int w = (int)strlen("model");
    json_t *a;

    if (json) {
        a = js_must(json_array());
        for (size_t i = 0; i < n; i++)
            js_append(a, gpu_json(&g[i], true));
        return print_json(a, "the MIG catalog");
    }
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(g[i].model) > w)
            w = (int)strlen(g[i].model);
    printf("MIG catalog: %zu GPU%s (gpushare mig profiles --gpu MODEL for one)\n\n", n, plural(n));
    printf("  %-*s %5s %8s %12s %9s  %s\n", w, "model", "SMs", "memory", "slices c/m", "profiles",
           "rows");
    for (size_t i = 0; i < n; i++) {
        char sms[12], mem[16];

        num(sms, sizeof(sms), mig_gpu_sms_known(&g[i]), g[i].sms);
        if (g[i].mem_gib > 0)
            str_printf(mem, sizeof(mem), "%.0f GiB", g[i].mem_gib);
        else
            str_printf(mem, sizeof(mem), "? GiB");
        printf("  %-*s %5s %9s %8u/%-3u %9u  %s\n", w, g[i].model, sms, mem, g[i].compute_slices,
               g[i].mem_slices, g[i].n_profiles,
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
    char sms[12];

    if (json)
        return print_json(gpu_json(g, true), "the MIG profiles");
    printf("%s: %s SMs, %u compute slices, %u memory slices\n\n", g->model,
           num(sms, sizeof(sms), mig_gpu_sms_known(g), g->sms), g->compute_slices, g->mem_slices);
    printf("  %-12s %3s %4s %7s %4s  %s\n", "profile", "id", "SMs", "GiB", "max",
           "placements (start:size in memory slices)");
    for (unsigned i = 0; i < g->n_profiles; i++) {
        const struct mig_profile_spec *p = &g->profiles[i];
        char gb[16], id[12];

        printf("%c %-12s %3s %4s %7s %4u ", p->verified ? ' ' : '*', p->name,
               num(id, sizeof(id), p->id != MIG_ID_UNKNOWN, p->id),
               num(sms, sizeof(sms), mig_sms_known(p), p->sms),
               gib(gb, sizeof(gb), mig_mem_known(p), p->mem_gib), p->max_instances);
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

/* One live profile against its catalog row: each difference appended to mm, each figure the
 * catalog lacks (and the driver gives) to gaps, which is no mismatch. */
static void compare_profile(const struct mig_gi_profile *live, const struct mig_profile_spec *c,
                            json_t *mm, json_t *gaps)
{
    char what[160];
    bool same = live->n_placements == c->n_placements;

    for (unsigned k = 0; same && k < c->n_placements; k++)
        same = live->placements[k].start == c->placements[k].start &&
               live->placements[k].size == c->placements[k].size;
    if (c->id == MIG_ID_UNKNOWN) {
        str_printf(what, sizeof(what), "%s: id %u live, unknown in the catalog", c->name, live->id);
        js_append(gaps, js_string(what));
    } else if (live->id != c->id) {
        str_printf(what, sizeof(what), "%s: id %u live, %u in the catalog", c->name, live->id,
                   c->id);
        js_append(mm, js_string(what));
    }
    if (!mig_sms_known(c)) {
        str_printf(what, sizeof(what), "%s: %u SMs live, unknown in the catalog", c->name,
                   live->sms);
        js_append(gaps, js_string(what));
    } else if (live->sms != c->sms) {
        str_printf(what, sizeof(what), "%s: %u SMs live, %u in the catalog", c->name, live->sms,
                   c->sms);
        js_append(mm, js_string(what));
    }
    if (live->instances != c->max_instances) {
        str_printf(what, sizeof(what), "%s: %u instance%s live, %u in the catalog", c->name,
                   live->instances, plural(live->instances), c->max_instances);
        js_append(mm, js_string(what));
    }
    if (!same) {
        str_printf(what, sizeof(what), "%s: placements differ", c->name);
        js_append(mm, js_string(what));
    }
}

static const char *live_name(const struct mig_gi_profile *p)
{
    return strncmp(p->name, "MIG ", 4) == 0 ? p->name + 4 : p->name;
}

/* Every catalog row against the live list, and every live profile the catalog lacks. */
static json_t *compare_live(const struct gpu_info *info, const struct mig_gpu *g, json_t *gaps)
{
    json_t *mm = js_must(json_array());
    char what[160];

    for (unsigned i = 0; i < g->n_profiles; i++) {
        const struct mig_gi_profile *live = NULL;

        for (unsigned k = 0; k < info->mig.n_profiles; k++)
            if (strcmp(live_name(&info->mig.profiles[k]), g->profiles[i].name) == 0)
                live = &info->mig.profiles[k];
        if (live != NULL)
            compare_profile(live, &g->profiles[i], mm, gaps);
        else {
            str_printf(what, sizeof(what), "%s: in the catalog, not listed by the driver",
                       g->profiles[i].name);
            js_append(mm, js_string(what));
        }
    }
    for (unsigned k = 0; k < info->mig.n_profiles; k++)
        if (mig_profile_find(g, live_name(&info->mig.profiles[k]), NULL) == NULL) {
            str_printf(what, sizeof(what), "%s: listed by the driver, not in the catalog",
                       live_name(&info->mig.profiles[k]));
            js_append(mm, js_string(what));
        }
    return mm;
}

static void print_list(const char *head, const json_t *a)
{
    size_t i;
    const json_t *v;

    if (json_array_size(a) == 0)
        return;
    printf("%s\n", head);
    json_array_foreach (a, i, v)
        printf("  %s\n", json_string_value(v));
}

static void print_live(const struct gpu_info *info, const struct mig_gpu *g, const json_t *mm,
                       const json_t *gaps)
{
    char head[96];

    printf("%s (driver %s), MIG %s: %u GPU-instance profile%s read through NVML\n", info->name,
           info->driver_version,
           info->mig.has_mode ? mig_mode_name(info->mig.current_enabled) : "unknown",
           info->mig.n_profiles, plural(info->mig.n_profiles));
    for (unsigned k = 0; k < info->mig.n_profiles; k++) {
        const struct mig_gi_profile *p = &info->mig.profiles[k];

        printf("  %-12s %3u %4u SMs %8.2f GiB %2u max ", live_name(p), p->id, p->sms,
               p->memory_mib / 1024.0, p->instances);
        for (unsigned j = 0; j < p->n_placements; j++)
            printf(" %u:%u", p->placements[j].start, p->placements[j].size);
        putchar('\n');
    }
    if (json_array_size(mm) == 0)
        printf("matches the catalog entry %s: every profile, id, SM count, instance count and "
               "placement\n",
               g->model);
    str_printf(head, sizeof(head), "differs from the catalog entry %s:", g->model);
    print_list(head, mm);
    str_printf(head, sizeof(head), "figures the catalog entry %s lacks:", g->model);
    print_list(head, gaps);
}

int mig_out_live(int device, bool json)
{
    struct gpu_info *info = xcalloc(1, sizeof(*info));
    const struct mig_gpu *g;
    struct error err;
    json_t *mm, *gaps;
    int rc;

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
    gaps = js_must(json_array());
    mm = compare_live(info, g, gaps);
    rc = json_array_size(mm) == 0 ? EXIT_OK : EXIT_FAIL;
    if (json) {
        json_t *j =
            js_must(json_pack("{s:s, s:s, s:o, s:b, s:o, s:o}", "gpu", info->name, "catalog_model",
                              g->model, "driver_profiles", json_integer(info->mig.n_profiles),
                              "matches", rc == EXIT_OK, "mismatches", mm, "catalog_unknown", gaps));

        if (print_json(j, "the live MIG profiles") != EXIT_OK)
            rc = EXIT_FAIL;
    } else {
        print_live(info, g, mm, gaps);
        json_decref(mm);
        json_decref(gaps);
    }
    free(info);
    return rc;
}

static json_t *layout_json(const struct mig_layout *l, bool placed)
{
    struct mig_usage u;
    json_t *inst = js_must(json_array());
    char name[256];

    mig_layout_usage(l, &u);
    mig_layout_name(l, name, sizeof(name));
    for (size_t i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p = &l->gpu->profiles[l->prof[i]];
        json_t *o = js_must(json_pack("{s:s, s:o, s:o}", "profile", p->name, "sms",
                                      js_num(mig_sms_known(p), p->sms), "memory_gib",
                                      js_gib(mig_mem_known(p), p->mem_gib)));

        if (placed) {
            js_set(o, "start", json_integer(l->start[i]));
            js_set(o, "memory_slices", json_integer(p->placements[0].size));
        }
        js_append(inst, o);
    }
    return js_must(
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:i, s:i, s:b, s:b}", "gpu", l->gpu->model,
                  "layout", name, "instances", inst, "sms_used", js_num(u.sms_known, u.sms),
                  "sms_stranded", js_num(u.stranded_known, u.sms_stranded), "memory_gib",
                  js_gib(u.mem_known, u.mem_gib), "memory_slices", u.mem_slices, "compute_slices",
                  u.compute_slices, "sms_known", u.sms_known, "memory_known", u.mem_known));
}

/* The "?" legend, once, where a layout's figures were not all known. */
static void print_unknown_legend(const struct mig_gpu *g)
{
    printf("?: not in the catalog (unverified rows: gpushare mig profiles --gpu %s)\n", g->model);
}

static void print_usage_line(const struct mig_layout *l)
{
    struct mig_usage u;
    char used[12], whole[12], stranded[12], mem[16];

    mig_layout_usage(l, &u);
    printf("SMs: %s of %s used, %s stranded; memory: %s GiB in %u of %u slices; compute slices: "
           "%u of %u\n",
           num(used, sizeof(used), u.sms_known, u.sms),
           num(whole, sizeof(whole), mig_gpu_sms_known(l->gpu), l->gpu->sms),
           num(stranded, sizeof(stranded), u.stranded_known, u.sms_stranded),
           gib(mem, sizeof(mem), u.mem_known, u.mem_gib), u.mem_slices, l->gpu->mem_slices,
           u.compute_slices, l->gpu->compute_slices);
    if (!u.sms_known || !u.mem_known || !u.stranded_known)
        print_unknown_legend(l->gpu);
}

int mig_out_check(const struct mig_layout *l, bool valid, const char *why, bool json)
{
    char name[256];
    json_t *j;

    if (json) {
        j = layout_json(l, valid);
        js_set(j, "valid", json_boolean(valid));
        if (!valid)
            js_set(j, "reason", js_string(why));
        return print_json(j, "the layout check");
    }
    mig_layout_name(l, name, sizeof(name));
    if (!valid) {
        printf("invalid: %s on %s: %s\n", name, l->gpu->model, why);
        return EXIT_OK;
    }
    printf("valid: %s on %s\n\n", name, l->gpu->model);
    mig_layout_draw(stdout, l);
    putchar('\n');
    print_usage_line(l);
    return EXIT_OK;
}

struct collect {
    json_t *list;
    bool json, unknown; /* unknown: a row printed a "?" */
};

static void each_layout(const struct mig_layout *l, void *arg)
{
    struct collect *c = arg;
    struct mig_layout placed = *l;
    struct mig_usage u;
    char name[256], why[8], sms[12], idle[12], mem[16];

    mig_check_layout(&placed, why, sizeof(why));
    if (c->json) {
        js_append(c->list, layout_json(&placed, true));
        return;
    }
    mig_layout_usage(&placed, &u);
    mig_layout_name(&placed, name, sizeof(name));
    printf("  %-46s %4s %5s %9s\n", name, num(sms, sizeof(sms), u.sms_known, u.sms),
           num(idle, sizeof(idle), u.stranded_known, u.sms_stranded),
           gib(mem, sizeof(mem), u.mem_known, u.mem_gib));
    c->unknown = c->unknown || !u.sms_known || !u.stranded_known || !u.mem_known;
}

static size_t layouts_of(const struct mig_gpu *g, bool json, json_t **out)
{
    struct collect c = {.list = json ? js_must(json_array()) : NULL, .json = json};
    size_t n;

    if (!json)
        printf("%s\n  %-46s %4s %5s %9s\n", g->model, "layout (maximal: takes no further instance)",
               "SMs", "idle", "GiB");
    n = mig_enumerate_maximal(g, each_layout, &c);
    if (!json) {
        printf("  %zu maximal layout%s\n", n, plural(n));
        if (c.unknown)
            print_unknown_legend(g);
    }
    *out = c.list;
    return n;
}

int mig_out_layouts(const struct mig_gpu *g, bool json)
{
    json_t *list;
    size_t n = layouts_of(g, json, &list);

    if (!json)
        return EXIT_OK;
    return print_json(js_must(json_pack("{s:s, s:I, s:o}", "gpu", g->model, "count", (json_int_t)n,
                                        "layouts", list)),
                      "the MIG layouts");
}

int mig_out_all_layouts(bool json)
{
    size_t n_gpus, n;
    const struct mig_gpu *g = mig_catalog(&n_gpus);
    json_t *all = json ? js_must(json_array()) : NULL, *list;

    for (size_t i = 0; i < n_gpus; i++) {
        if (!json && i > 0)
            putchar('\n');
        n = layouts_of(&g[i], json, &list);
        if (json)
            js_append(all, js_must(json_pack("{s:s, s:I, s:o}", "gpu", g[i].model, "count",
                                             (json_int_t)n, "layouts", list)));
    }
    return json ? print_json(all, "the MIG layouts") : EXIT_OK;
}

int mig_out_write(struct error *err, const char *dir, const struct mig_layout *l, const char *name,
                  bool force)
{
    char yaml_name[MIGPARTED_NAME_MAX + 8], sh_name[MIGPARTED_NAME_MAX + 8];
    struct fileset_file files[2];
    char *y, *s;
    int rc;

    y = migparted_yaml(err, l, name);
    if (y == NULL)
        return -1;
    s = migparted_script(l, name);
    str_printf(yaml_name, sizeof(yaml_name), "%s.yaml", name);
    str_printf(sh_name, sizeof(sh_name), "%s.sh", name);
    files[0] = (struct fileset_file){.name = yaml_name, .text = y, .mode = 0644};
    files[1] = (struct fileset_file){.name = sh_name, .text = s, .mode = 0755};
    rc = fileset_write(err, dir, files, 2, force);
    free(y);
    free(s);
    return rc;
}

void mig_out_wrote(const char *dir, const char *name)
{
    printf("\nwrote %s/%s.yaml (mig-parted config) and %s/%s.sh (nvidia-smi commands, not run)\n"
           "mig-manager applies it to a node labelled:\n"
           "  kubectl label node NODE nvidia.com/mig.config=%s --overwrite\n",
           dir, name, dir, name, name);
}

void mig_out_nothing_written(const char *dir, const char *why)
{
    fprintf(stderr, "gpushare: nothing written to %s: %s\n", dir, why);
}

static json_t *items_json(const struct demand_set *d, const struct mig_plan_item *items, size_t n,
                          bool with_gpu)
{
    json_t *a = js_must(json_array());

    for (size_t i = 0; i < n; i++) {
        json_t *o = js_must(json_pack("{s:s, s:i, s:i}", "model", d->d[items[i].demand].name,
                                      "replica", items[i].replica, "instance", items[i].instance));

        if (with_gpu)
            js_set(o, "gpu", json_integer(items[i].gpu));
        js_append(a, o);
    }
    return a;
}

static json_t *mps_in_slices_json(const struct demand_set *d, const struct mig_plan *p)
{
    json_t *groups = js_must(json_array()), *mps;

    for (size_t i = 0; p->mps.fits && i < p->mps.layout.n; i++)
        js_append(groups, js_must(json_pack(
                              "{s:i, s:i, s:o, s:i}", "clients", p->mps.groups[i].clients,
                              "client_limit", p->mps.groups[i].client_limit, "memory_gib",
                              js_real(p->mps.groups[i].mem_gib), "sms", p->mps.groups[i].sms)));
    mps = js_must(json_pack("{s:b, s:b, s:s, s:o}", "fits", p->mps.fits, "search_cut", p->mps.cut,
                            "why", p->mps.why, "groups", groups));
    if (p->mps.fits) {
        js_set(mps, "layout", layout_json(&p->mps.layout, true));
        js_set(mps, "items", items_json(d, p->mps.items, p->replicas, false));
    }
    return mps;
}

static json_t *plan_alternatives_json(const struct demand_set *d, const struct mig_plan *p)
{
    json_t *other = js_must(json_array()), *multi = js_must(json_array());

    for (size_t i = 0; i < p->n_other; i++)
        js_append(other, layout_json(&p->other[i].layout, true));
    for (size_t k = 0; k < p->multi.k; k++)
        js_append(multi, layout_json(&p->multi.layouts[k], true));
    return js_must(json_pack(
        "{s:o, s:{s:I, s:I, s:b, s:o, s:o}, s:o, s:{s:b, s:s, s:i, s:i, s:o, s:o, s:i, s:o}}",
        "other_gpus", other, "several_gpus", "count", (json_int_t)p->multi.k, "lower_bound",
        (json_int_t)p->multi.lower_bound, "minimal", p->multi.minimal, "layouts", multi, "items",
        p->multi.k > 0 ? items_json(d, p->multi.items, p->replicas, true) : json_array(),
        "mps_in_slices", mps_in_slices_json(d, p), "mps_whole_gpu", "fits", p->mps_gpu.fits, "why",
        p->mps_gpu.why, "clients", p->mps_gpu.clients, "client_limit", p->mps_gpu.client_limit,
        "memory_gib", js_real(p->mps_gpu.mem_gib), "gpu_memory_gib",
        js_real(p->mps_gpu.gpu_mem_gib), "sms", p->mps_gpu.sms, "gpu_sms",
        js_num(p->mps_gpu.gpu_sms > 0, p->mps_gpu.gpu_sms)));
}

static json_t *plan_json(const struct mig_gpu *g, const struct demand_set *d,
                         const struct mig_plan *p)
{
    json_t *j = js_must(json_pack("{s:s, s:I, s:b, s:s, s:s}", "gpu", g->model, "replicas",
                                  (json_int_t)p->replicas, "fits", p->fits, "reason",
                                  mig_plan_reason_name(p->reason), "why", p->why));

    if (p->fits) {
        js_set(j, "layout", layout_json(&p->layout, true));
        js_set(j, "items", items_json(d, p->items, p->n_items, false));
        js_set(j, "free_memory_slices", json_integer(p->free_mem_slices));
        js_set(j, "uses_media_extensions", json_boolean(p->media_ext));
    } else
        js_set(j, "alternatives", plan_alternatives_json(d, p));
    return j;
}

/* What a replica asks for, as the user wrote it. */
static void need_text(const struct demand *dm, const struct mig_gpu *g, char *out, size_t size)
{
    unsigned sms = demand_sms_needed(dm, g->sms);

    if (sms > 0)
        str_printf(out, size, "%.1f GiB, %u SM%s", dm->mem_gib, sms, plural(sms));
    else
        str_printf(out, size, "%.1f GiB", dm->mem_gib);
}

static void print_items(const struct demand_set *d, const struct mig_layout *l,
                        const struct mig_plan_item *items, size_t n)
{
    char need[48], sms[12];
    int w = 24;

    for (size_t i = 0; i < n; i++)
        if ((int)strlen(d->d[items[i].demand].name) > w)
            w = (int)strlen(d->d[items[i].demand].name);
    printf("  %-*s %-7s  %-12s %-6s  %-20s %s\n", w, "model", "replica", "instance", "slices",
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
        // An instance holds a replica only when its memory is known; its SMs may not be.
        printf("  %-*s %-7u  #%-2u %-8s %-6s  %-20s %.2f GiB, %s SMs\n", w, dm->name,
               items[i].replica + 1, items[i].instance, ps->name, slices, need, ps->mem_gib,
               num(sms, sizeof(sms), mig_sms_known(ps), ps->sms));
    }
}

static void print_alt_other(const struct mig_plan *p)
{
    char name[256];
    int width = 0;

    if (p->n_other == 0) {
        printf("  other GPUs: none in the catalog holds every replica in an instance of its own\n");
        return;
    }
    printf("  other GPUs that hold them, one replica per instance:\n");
    // As wide as the longest model name: a column is never cut or pushed out of line.
    for (size_t i = 0; i < p->n_other; i++)
        if ((int)strlen(p->other[i].gpu->model) > width)
            width = (int)strlen(p->other[i].gpu->model);
    for (size_t i = 0; i < p->n_other; i++) {
        mig_layout_name(&p->other[i].layout, name, sizeof(name));
        printf("    %-*s  %s\n", width, p->other[i].gpu->model, name);
    }
}

static void print_alt_multi(const struct mig_gpu *g, const struct mig_plan *p)
{
    char name[256];

    if (p->multi.k == 0 && p->reason == MIG_PLAN_UNKNOWN)
        printf("  several %s: no number of them is known to hold every replica, one per "
               "instance (the catalog lacks the figures of the instances that might)\n",
               g->model);
    else if (p->multi.k == 0)
        printf("  several %s: no number of them can (a replica is larger than any instance)\n",
               g->model);
    if (p->multi.k == 0)
        return;
    printf("  %zu x %s, one replica per instance (%s):\n", p->multi.k, g->model,
           p->multi.minimal ? "no fewer can" : "first fit; at least the lower bound");
    for (size_t k = 0; k < p->multi.k; k++) {
        mig_layout_name(&p->multi.layouts[k], name, sizeof(name));
        printf("    GPU %zu: %s\n", k + 1, name);
    }
}

/* ", 40 SMs asked", or nothing when no SMs were asked. */
static const char *sms_asked(char *buf, size_t size, unsigned sms, const char *of)
{
    buf[0] = '\0';
    if (sms > 0)
        str_printf(buf, size, ", %u%s SM%s asked", sms, of, plural(of[0] != '\0' ? 2 : sms));
    return buf;
}

static void print_alt_mps(const struct mig_gpu *g, const struct mig_plan *p)
{
    char name[256], asked[48], of[24], whole[12];

    if (!p->mps.fits)
        printf("  MPS inside MIG slices on one %s: %s\n", g->model, p->mps.why);
    else {
        mig_layout_name(&p->mps.layout, name, sizeof(name));
        printf("  MPS inside MIG slices on one %s: %s\n", g->model, name);
        for (size_t i = 0; i < p->mps.layout.n; i++)
            printf("    #%zu %-12s %2u of at most %2u MPS clients, %.1f GiB%s\n", i,
                   g->profiles[p->mps.layout.prof[i]].name, p->mps.groups[i].clients,
                   p->mps.groups[i].client_limit, p->mps.groups[i].mem_gib,
                   sms_asked(asked, sizeof(asked), p->mps.groups[i].sms, ""));
        printf("    replicas in one slice share its memory and its faults: one fatal fault stops "
               "them all\n");
    }
    if (!p->mps_gpu.fits) {
        printf("  MPS on the whole GPU, MIG off: %s\n", p->mps_gpu.why);
        return;
    }
    str_printf(of, sizeof(of), " of %s",
               num(whole, sizeof(whole), p->mps_gpu.gpu_sms > 0, p->mps_gpu.gpu_sms));
    printf("  MPS on the whole GPU, MIG off: %u of at most %u clients, %.1f of %.0f GiB "
           "(nominal)%s; no isolation between them\n",
           p->mps_gpu.clients, p->mps_gpu.client_limit, p->mps_gpu.mem_gib, p->mps_gpu.gpu_mem_gib,
           sms_asked(asked, sizeof(asked), p->mps_gpu.sms, of));
}

/* A warning, so on stderr: the plan rests on rows no primary source confirms. */
static void note_unverified(const struct mig_gpu *g)
{
    if (mig_gpu_verified(g))
        return;
    fprintf(stderr,
            "gpushare: note: unverified catalog rows of %s (gpushare mig profiles --gpu %s):",
            g->model, g->model);
    for (unsigned i = 0; i < g->n_profiles; i++)
        if (!g->profiles[i].verified)
            fprintf(stderr, " %s", g->profiles[i].name);
    fputc('\n', stderr);
}

/* The plan as text. */
static void print_plan(const struct mig_gpu *g, const struct demand_set *d,
                       const struct mig_plan *p)
{
    char name[256];

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

int mig_out_plan(const struct mig_gpu *g, const struct demand_set *d, const struct mig_plan *p,
                 bool json)
{
    note_unverified(g);
    if (json)
        return print_json(plan_json(g, d, p), "the MIG plan");
    print_plan(g, d, p);
    return EXIT_OK;
}

/* ---- mig plan --fleet ---- */

/* "the plan needs 6 x A100-80GB; the fleet has 4: it does not fit, ...": the answer. */
static void fleet_verdict(const struct mig_fleet_model *m, char *out, size_t size)
{
    const char *model = m->g->model;
    char mig[96] = "";

    if (m->way != MIG_FLEET_MIG && m->mig_need > 0)
        str_printf(mig, sizeof(mig), "MIG alone, one replica per instance, needs %zu", m->mig_need);
    else if (m->way != MIG_FLEET_MIG)
        str_printf(mig, sizeof(mig), "no number of them holds the demands with MIG alone");
    switch (m->way) {
    case MIG_FLEET_MIG:
        str_printf(out, size, "the plan needs %zu x %s; the fleet has %zu: it fits", m->need, model,
                   m->gpus);
        break;
    case MIG_FLEET_MPS_SLICES:
        str_printf(out, size,
                   "the plan needs 1 x %s, with MPS inside MIG slices; the fleet has %zu: it fits "
                   "(%s)",
                   model, m->gpus, mig);
        break;
    case MIG_FLEET_MPS_GPU:
        str_printf(out, size,
                   "the plan needs 1 x %s, with MPS on the whole GPU and MIG off; the fleet has "
                   "%zu: it fits (%s)",
                   model, m->gpus, mig);
        break;
    case MIG_FLEET_NONE:
        if (m->mig_need > 0)
            str_printf(out, size,
                       "the plan needs %zu x %s; the fleet has %zu: it does not fit, and "
                       "neither MPS alternative does on one GPU",
                       m->mig_need, model, m->gpus);
        else
            str_printf(out, size,
                       "no number of %s holds the demands with MIG alone, and neither MPS "
                       "alternative does on one GPU",
                       model);
        break;
    }
}

/* The MPS ways, for a model whose MIG plan does not fit in the fleet. */
static void print_fleet_mps(const struct mig_fleet_model *m)
{
    const struct mig_plan *p = m->p;
    char name[256];

    if (p->mps.fits) {
        mig_layout_name(&p->mps.layout, name, sizeof(name));
        printf("    MPS inside MIG slices fits on one %s: %s\n", m->g->model, name);
    } else
        printf("    MPS inside MIG slices does not fit on one %s\n", m->g->model);
    if (p->mps_gpu.fits && m->mps_gpu_no != NULL)
        printf("    MPS on the whole GPU has room on one, but %s\n", m->mps_gpu_no);
    else if (p->mps_gpu.fits)
        printf("    MPS on the whole GPU, MIG off, fits on one: %u of at most %u clients\n",
               p->mps_gpu.clients, p->mps_gpu.client_limit);
    else
        printf("    MPS on the whole GPU does not fit on one: %s\n", p->mps_gpu.why);
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
    if (m->g == NULL) {
        printf("    no MIG profile in the catalog: not planned\n");
        return;
    }
    if (m->mig_need == 0)
        printf("    no number of %s holds every replica in an instance of its own\n", m->g->model);
    else
        printf("    MIG needs %zu x %s (%s); the fleet has %zu: %s\n", m->mig_need, m->g->model,
               m->p->fits ? "fits on one" : "one replica per instance", m->gpus,
               m->mig_need <= m->gpus ? "fits" : "does not fit");
    if (m->way != MIG_FLEET_MIG)
        print_fleet_mps(m);
}

/* Why the model was chosen, after "plan for MODEL". */
static void print_fleet_choice(const struct mig_fleet *f)
{
    if (f->n < 2)
        return;
    if (f->best->way == MIG_FLEET_MIG)
        printf(" (chosen of %zu models: fits in the fleet, then fewest GPUs)", f->n);
    else if (f->fits)
        printf(" (chosen of %zu models: none fits in the fleet with MIG alone; it fits with MPS)",
               f->n);
    else
        printf(" (chosen of %zu models: none fits in the fleet; the fewest GPUs)", f->n);
}

static json_t *fleet_json(const char *file, const struct mig_fleet *f)
{
    const char *way = mig_fleet_way_name(f->best->way);
    json_t *j = js_must(json_pack("{s:s, s:[], s:s, s:b, s:o}", "fleet", file, "models", "chosen",
                                  f->best->g->model, "fits_in_fleet", f->fits, "fits_with",
                                  way != NULL ? json_string(way) : json_null()));

    for (size_t i = 0; i < f->n; i++)
        js_append(json_object_get(j, "models"), mig_fleet_model_json(&f->models[i]));
    return j;
}

int mig_out_fleet(const char *file, const struct mig_fleet *f, const struct demand_set *d,
                  bool json)
{
    const struct mig_fleet_model *best = f->best;
    char verdict[400];

    if (json) {
        note_unverified(best->g);
        return print_json(fleet_json(file, f), "the fleet plan");
    }
    // The answer first; the figures behind it follow.
    fleet_verdict(best, verdict, sizeof(verdict));
    printf("fleet '%s': %s\n\n", file, verdict);
    for (size_t i = 0; i < f->n; i++)
        print_fleet_model(&f->models[i]);
    printf("\nplan for %s", best->g->model);
    print_fleet_choice(f);
    printf(":\n\n");
    note_unverified(best->g);
    print_plan(best->g, d, best->p);
    printf("\nfleet: %s\n", verdict);
    return EXIT_OK;
}

void mig_out_fleet_nothing_why(const struct mig_fleet *f, char *why, size_t size)
{
    const struct mig_fleet_model *m = f->best;

    switch (m->way) {
    case MIG_FLEET_MIG:
        str_printf(why, size,
                   "the plan needs %zu x %s, and --out writes the config of one GPU's layout",
                   m->need, m->g->model);
        break;
    case MIG_FLEET_MPS_SLICES:
        str_printf(why, size, "the plan shares MIG slices through MPS, which --out does not write");
        break;
    case MIG_FLEET_MPS_GPU:
        str_printf(why, size, "the plan runs MPS with MIG off: there is no MIG layout to write");
        break;
    case MIG_FLEET_NONE:
        str_printf(why, size, "the plan does not fit in the fleet");
        break;
    }
}
