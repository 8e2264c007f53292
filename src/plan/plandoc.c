/*
 * The plan document (plan/plandoc.h).
 */
#include "plan/plandoc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/io.h"
#include "core/json.h"
#include "core/str.h"
#include "mig/geometry.h"
#include "plan/evidence.h"
#include "plan/mps_share.h"
#include "plan/planner.h"
#include "results/doccheck.h"
#include "results/results.h"
#include "version.h"

/* ---- building ---- */

static json_t *pd_num(double v)
{
    return js_real(v); /* null for NaN and infinity */
}

static json_t *pd_str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? js_string(s) : json_null();
}

static const char *pd_kind(enum ev_kind k)
{
    switch (k) {
    case EV_MEASURED:
        return "measured";
    case EV_OTHER_CARD:
        return "other-card";
    case EV_DEFAULT:
        return "default";
    default:
        return "not-measured";
    }
}

static json_t *pd_evidence(const struct plan_gpu *pg)
{
    json_t *figs = js_must(json_object()), *curve;

    for (int i = 0; i < EV_COUNT; i++) {
        const struct ev_fig *f = &pg->ev.f[i];
        char cite[400];

        evidence_cite(&pg->ev, (enum ev_id)i, cite, sizeof(cite));
        js_set(figs, evidence_name((enum ev_id)i),
               js_must(json_pack("{s:o, s:s, s:s, s:s, s:o, s:s}", "value", pd_num(f->v), "unit",
                                 evidence_unit((enum ev_id)i), "what", evidence_what((enum ev_id)i),
                                 "kind", pd_kind(f->kind), "card", pd_str_or_null(f->card),
                                 "source", cite)));
    }
    curve = js_must(json_object());
    {
        json_t *sms = js_must(json_array()), *fac = js_must(json_array());
        char cite[400];

        for (size_t k = 0; k < pg->ev.infer.n; k++) {
            js_append(sms, pd_num(pg->ev.infer.sms[k]));
            js_append(fac, pd_num(pg->ev.infer.factor[k]));
        }
        evidence_cite_curve(&pg->ev, cite, sizeof(cite));
        js_set(curve, "sms", sms);
        js_set(curve, "factor", fac);
        js_set(curve, "source", js_string(cite));
        js_set(curve, "what",
               js_string("a request's time on that many SMs of the measuring card, over "
                         "its time on the whole card"));
    }
    return js_must(json_pack("{s:s, s:I, s:o, s:o}", "gpu", pg->g->model, "count",
                             (json_int_t)pg->count, "figures", figs, "request_time_curve", curve));
}

static json_t *pd_input(const struct demand_set *set, const char *file)
{
    json_t *gpus = js_must(json_array()), *wls = js_must(json_array());

    for (size_t i = 0; i < set->n_gpus; i++)
        js_append(gpus, js_must(json_pack("{s:s, s:I}", "model", set->gpus[i].model, "count",
                                          (json_int_t)set->gpus[i].count)));
    for (size_t w = 0; w < set->n; w++) {
        const struct demand *d = &set->d[w];

        js_append(wls, js_must(json_pack(
                           "{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "name", d->name,
                           "replicas", (json_int_t)d->replicas, "memory_gib", pd_num(d->mem_gib),
                           "min_sms", d->min_sms > 0 ? json_integer(d->min_sms) : json_null(),
                           "compute_fraction",
                           d->min_fraction > 0 ? pd_num(d->min_fraction) : json_null(),
                           "requests_per_s", d->rate > 0 ? pd_num(d->rate) : json_null(),
                           "gpu_ms_per_request", d->rate > 0 ? pd_num(d->request_ms) : json_null(),
                           "latency_slo_ms", d->slo_ms > 0 ? pd_num(d->slo_ms) : json_null(),
                           "tenant", d->tenant, "isolation", demand_isolation_name(d->isolation))));
    }
    return js_must(json_pack("{s:s, s:o, s:o}", "file", file, "gpus", gpus, "workloads", wls));
}

/* The figures a mode's predictions are built from: every one of them names its source in
 * the evidence section. */
static json_t *pd_uses(enum plan_mode m)
{
    static const char *const ts[] = {"slice_ms",        "switch_ms",   "ts_alone_p50_ms",
                                     "ts_alone_p99_ms", "context_mib", NULL};
    static const char *const mps[] = {
        "mps_alone_p50_ms", "mps_alone_p99_ms", "mps_gemm1_p99_ms", "mps_gemm2_p99_ms",
        "mps_gemm3_p99_ms", "mps_clients",      "context_mib",      NULL};
    static const char *const caps[] = {"mps_alone_p50_ms",   "mps_alone_p99_ms",
                                       "cap50_gemm1_p99_ms", "cap50_gemm2_p99_ms",
                                       "mps_sm_step",        "mps_sm_min",
                                       "request_time_curve", "mps_clients",
                                       "context_mib",        NULL};
    static const char *const low[] = {
        "mps_alone_p50_ms",     "mps_alone_p99_ms", "lowprio_gemm1_p99_ms", "lowprio_gemm2_p99_ms",
        "lowprio_gemm3_p99_ms", "mps_clients",      "context_mib",          NULL};
    static const char *const mig[] = {"ts_alone_p50_ms", "ts_alone_p99_ms", "request_time_curve",
                                      "context_mib", NULL};
    static const char *const migmps[] = {"mps_alone_p50_ms", "mps_alone_p99_ms",
                                         "request_time_curve", "context_mib", NULL};
    static const char *const whole[] = {"ts_alone_p50_ms", "ts_alone_p99_ms", "context_mib", NULL};
    const char *const *list = m == PM_TIMESLICE                   ? ts
                              : m == PM_MPS || m == PM_MPS_LIMITS ? mps
                              : m == PM_MPS_CAPS                  ? caps
                              : m == PM_MPS_PRIORITY              ? low
                              : m == PM_MIG                       ? mig
                              : m == PM_MIG_MPS || m == PM_MIXED  ? migmps
                                                                  : whole;
    json_t *a = js_must(json_array());

    for (size_t i = 0; list[i] != NULL; i++)
        js_append(a, js_string(list[i]));
    return a;
}

static json_t *pd_iso(enum plan_iso level, const char *why)
{
    return js_must(json_pack("{s:s, s:s}", "level", plan_iso_name(level), "why", why));
}

static json_t *pd_workloads(const struct plan *p, const struct plan_mode_result *r)
{
    json_t *a = js_must(json_array());

    for (size_t w = 0; w < p->set->n; w++) {
        const struct demand *d = &p->set->d[w];
        const struct plan_wl *wl = &r->wl[w];

        js_append(a, js_must(json_pack("{s:s, s:o, s:o, s:o, s:b, s:b, s:b, s:o, s:o, s:i}", "name",
                                       d->name, "p50_ms", pd_num(wl->p50_ms), "p99_ms",
                                       pd_num(wl->p99_ms), "slo_ms",
                                       d->slo_ms > 0 ? pd_num(d->slo_ms) : json_null(), "slo_met",
                                       wl->slo_met, "isolation_met", wl->iso_met, "stable",
                                       wl->stable, "served", pd_num(wl->served), "request_ms_there",
                                       d->rate > 0 ? pd_num(wl->t_ms) : json_null(), "neighbours",
                                       (int)wl->neighbours)));
    }
    return a;
}

static json_t *pd_units(const struct plan *p, const struct plan_mode_result *r)
{
    json_t *a = js_must(json_array());

    for (size_t u = 0; u < r->n_units; u++) {
        const struct plan_unit *un = &r->units[u];
        char layout[160] = "";

        if (un->is_mig)
            mig_layout_name(&un->mig, layout, sizeof(layout));
        js_append(a, js_must(json_pack("{s:s, s:o, s:o, s:I, s:i, s:o, s:o, s:o}", "model",
                                       p->gpus[un->model].g->model, "mig_layout",
                                       pd_str_or_null(layout), "tenant", pd_str_or_null(un->tenant),
                                       "replicas", (json_int_t)un->members, "mps_clients",
                                       (int)un->clients_max, "memory_gib", pd_num(un->mem_gib),
                                       "busy", pd_num(un->load), "thread_pct",
                                       un->thread_pct > 0 ? pd_num(un->thread_pct) : json_null())));
    }
    return a;
}

static json_t *pd_mode(const struct plan *p, const struct plan_mode_result *r)
{
    json_t *m = js_must(json_object());
    bool detail = p->set->n <= PLANDOC_DETAIL_MAX && r->n_units <= PLANDOC_DETAIL_MAX;

    js_set(m, "mode", js_string(plan_mode_name(r->mode)));
    js_set(m, "title", js_string(plan_mode_title(r->mode)));
    js_set(m, "evaluated", json_boolean(r->evaluated));
    js_set(m, "rank", json_integer(r->rank));
    js_set(m, "breaks", js_string(r->breaks));
    if (!r->evaluated)
        return m;
    js_set(m, "summary", js_string(r->summary));
    js_set(m, "fits", json_boolean(r->fits));
    js_set(m, "slo_met", json_boolean(r->slo_met));
    js_set(m, "isolation_met", json_boolean(r->iso_met));
    js_set(m, "stable", json_boolean(r->stable));
    js_set(m, "predicted", json_boolean(r->predicted));
    js_set(m, "extrapolated", json_boolean(r->extrapolated));
    js_set(m, "gpus_needed", json_integer((json_int_t)r->gpus_needed));
    js_set(m, "gpus_for_slo",
           r->gpus_for_slo > 0 ? json_integer((json_int_t)r->gpus_for_slo) : json_null());
    js_set(m, "lower_bound", json_integer((json_int_t)r->lower_bound));
    js_set(m, "gpus_available", json_integer((json_int_t)r->gpus_available));
    js_set(m, "utilization", pd_num(r->util_after));
    js_set(m, "worst_p99_over_slo", pd_num(r->worst_ratio));
    js_set(m, "worst_workload", pd_str_or_null(r->worst_name));
    js_set(m, "isolation",
           js_must(json_pack("{s:o, s:o, s:o}", "memory", pd_iso(r->iso.memory, r->iso.memory_why),
                             "faults", pd_iso(r->iso.faults, r->iso.faults_why), "performance",
                             pd_iso(r->iso.performance, r->iso.performance_why))));
    js_set(m, "uses", pd_uses(r->mode));
    js_set(m, "workloads", detail ? pd_workloads(p, r) : json_null());
    js_set(m, "gpus", detail ? pd_units(p, r) : json_null());
    return m;
}

void plandoc_deploy_of(const struct plan *p, struct plan_deploy *d)
{
    const struct plan_mode_result *r;
    const struct plan_gpu *pg = &p->gpus[0];

    memset(d, 0, sizeof(*d));
    d->mode = PM_COUNT;
    if (!p->any_works)
        return;
    r = &p->modes[p->best];
    d->mode = r->mode;
    d->gpus = r->gpus_needed;
    str_printf(d->gpu_model, sizeof(d->gpu_model), "%s", pg->g->model);
    for (size_t u = 0; u < r->n_units; u++) {
        const struct plan_unit *un = &r->units[u];

        if (!un->is_mig && un->clients_max > d->mps_clients)
            d->mps_clients = un->clients_max;
        if (un->is_mig && d->mig_layout[0] == '\0')
            mig_layout_spec(&un->mig, d->mig_layout, sizeof(d->mig_layout));
    }
    switch (r->mode) {
    case PM_MPS_CAPS:
        d->thread_pct = mps_share_pct(d->mps_clients);
        d->mem_mib = mps_share_mib((unsigned long long)floor(pg->mem_gib * 1024), d->mps_clients);
        mps_share_why(d->mps_clients, d->mps_why, sizeof(d->mps_why));
        str_printf(d->k8s_mode, sizeof(d->k8s_mode), "mps");
        d->k8s_replicas = d->mps_clients;
        break;
    case PM_MPS_LIMITS: {
        double most = 0;

        for (size_t w = 0; w < p->set->n; w++)
            most = fmax(most, p->set->d[w].mem_gib + (isfinite(pg->ctx_gib) ? pg->ctx_gib : 0));
        d->mem_mib = (unsigned long long)ceil(most * 1024);
        str_printf(d->mps_why, sizeof(d->mps_why),
                   "the largest workload's memory and its context's, %llu MiB: every client's "
                   "default; a client may set a lower one in CUDA_MPS_PINNED_DEVICE_MEM_LIMIT",
                   d->mem_mib);
    }
        /* fall through */
    case PM_MPS:
    case PM_MPS_PRIORITY:
        d->low_priority_batch = r->mode == PM_MPS_PRIORITY;
        str_printf(d->k8s_why, sizeof(d->k8s_why),
                   "the device plugin's MPS caps every replica at 100/N of the threads and "
                   "memory (k8s-device-plugin cmd/mps-control-daemon/mps/daemon.go), which is "
                   "%s: run the daemon from the systemd files instead",
                   plan_mode_name(PM_MPS_CAPS));
        break;
    case PM_TIMESLICE: {
        size_t most = 0;

        for (size_t u = 0; u < r->n_units; u++)
            most = r->units[u].members > most ? r->units[u].members : most;
        str_printf(d->k8s_mode, sizeof(d->k8s_mode), "timeslice");
        d->k8s_replicas = most < 2 ? 2 : (unsigned)most;
        break;
    }
    case PM_MIG:
        str_printf(d->k8s_mode, sizeof(d->k8s_mode), "mig-mixed");
        break;
    case PM_MIG_MPS:
    case PM_MIXED:
        str_printf(d->k8s_why, sizeof(d->k8s_why),
                   "the device plugin refuses MPS on MIG devices (k8s-device-plugin "
                   "internal/plugin/mps.go): the MIG layout is written, an MPS daemon per slice "
                   "is yours to run");
        break;
    default:
        str_printf(d->k8s_why, sizeof(d->k8s_why),
                   "a whole GPU per replica needs no sharing config: request nvidia.com/gpu: 1");
        break;
    }
}

static json_t *pd_deploy(const struct plan *p)
{
    struct plan_deploy d;
    json_t *j, *mps = json_null(), *k8s = json_null();

    plandoc_deploy_of(p, &d);
    if (d.mode == PM_COUNT)
        return json_null();
    if (d.mps_clients > 0)
        mps = js_must(
            json_pack("{s:i, s:o, s:o, s:b, s:s}", "clients", (int)d.mps_clients, "thread_pct",
                      d.thread_pct > 0 ? json_integer(d.thread_pct) : json_null(), "mem_limit_mib",
                      d.mem_mib > 0 ? json_integer((json_int_t)d.mem_mib) : json_null(),
                      "low_priority_batch", d.low_priority_batch, "why", d.mps_why));
    if (d.k8s_mode[0] != '\0')
        k8s = js_must(json_pack("{s:s, s:o}", "mode", d.k8s_mode, "replicas",
                                d.k8s_replicas > 0 ? json_integer(d.k8s_replicas) : json_null()));
    j = js_must(json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "mode", plan_mode_name(d.mode),
                          "gpu_model", d.gpu_model, "gpus", (json_int_t)d.gpus, "mps", mps, "k8s",
                          k8s, "k8s_why", pd_str_or_null(d.k8s_why), "mig_layout",
                          pd_str_or_null(d.mig_layout)));
    return j;
}

static json_t *pd_fleet(const struct plan *p)
{
    const struct plan_mode_result *b = p->any_works ? &p->modes[p->best] : NULL;

    return js_must(json_pack(
        "{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "replicas", (json_int_t)p->replicas,
        "gpus_one_per_replica", (json_int_t)p->replicas, "gpus_needed",
        b != NULL ? json_integer((json_int_t)b->gpus_needed) : json_null(), "lower_bound",
        b != NULL ? json_integer((json_int_t)b->lower_bound) : json_null(), "gap",
        b != NULL ? json_integer((json_int_t)(b->gpus_needed - b->lower_bound)) : json_null(),
        "utilization_before", pd_num(p->util_before), "utilization_after",
        b != NULL ? pd_num(b->util_after) : json_null(), "demand_gpus", pd_num(p->demand)));
}

json_t *plandoc_build(const struct plan *p, const char *file)
{
    json_t *doc = js_must(json_object()), *modes = js_must(json_array());
    json_t *ev = js_must(json_array()), *close = js_must(json_array());

    js_set(doc, "schema", js_string(PLAN_SCHEMA_ID));
    js_set(doc, "tool",
           js_must(json_pack("{s:s, s:s, s:s, s:b}", "name", "gpushare", "version",
                             GPUSHARE_VERSION, "git_commit", GPUSHARE_GIT_COMMIT, "git_dirty",
                             GPUSHARE_GIT_DIRTY != 0)));
    js_set(doc, "input", pd_input(p->set, file));
    for (size_t i = 0; i < p->n_gpus; i++)
        js_append(ev, pd_evidence(&p->gpus[i]));
    js_set(doc, "evidence", ev);
    for (int m = 0; m < PM_COUNT; m++)
        js_append(modes, pd_mode(p, &p->modes[m]));
    js_set(doc, "modes", modes);
    for (size_t i = 0; i < p->n_close; i++)
        js_append(close, js_string(plan_mode_name(p->close[i])));
    js_set(doc, "recommendation",
           js_must(json_pack("{s:o, s:o, s:s, s:o}", "mode",
                             p->any_works ? js_string(plan_mode_name(p->best)) : json_null(),
                             "summary",
                             p->any_works ? js_string(p->modes[p->best].summary) : json_null(),
                             "rationale", p->rationale, "close", close)));
    js_set(doc, "deploy", pd_deploy(p));
    js_set(doc, "fleet", pd_fleet(p));
    return doc;
}

/* ---- checking and reading ---- */

/* The plan document's own rules over the shared checker machinery (results/doccheck.h). */

/* A member that may be absent or null, both read as NULL. */
static int pd_opt(struct doc_chk *c, const json_t *o, const char *base, const char *key,
                  unsigned types, const json_t **out)
{
    if (doc_opt(c, o, base, key, types | JT_NULL, out) < 0)
        return -1;
    if (json_is_null(*out))
        *out = NULL;
    return 0;
}

/* A whole number of a member within [lo, hi]; absent or null passes when it may be. */
static int pd_range(struct doc_chk *c, const json_t *n, const char *path, long long lo,
                    long long hi, const char *want)
{
    if (n == NULL || (json_integer_value(n) >= lo && json_integer_value(n) <= hi))
        return 0;
    return doc_fail(c, "%s: %s", path, want);
}

static int pd_check_mps(struct doc_chk *c, const json_t *mps)
{
    const json_t *n, *pct, *mib;

    if ((n = doc_get(c, mps, "deploy.mps", "clients", JT_INTEGER)) == NULL ||
        doc_get(c, mps, "deploy.mps", "why", JT_STRING) == NULL ||
        doc_get(c, mps, "deploy.mps", "low_priority_batch", JT_BOOL) == NULL ||
        pd_opt(c, mps, "deploy.mps", "thread_pct", JT_INTEGER, &pct) < 0 ||
        pd_opt(c, mps, "deploy.mps", "mem_limit_mib", JT_INTEGER, &mib) < 0)
        return -1;
    if (pd_range(c, n, "deploy.mps.clients", 1, 1000, "expected a whole number from 1 to 1000"))
        return -1;
    if (pd_range(c, pct, "deploy.mps.thread_pct", 1, 100,
                 "expected a whole percentage from 1 to 100"))
        return -1;
    return pd_range(c, mib, "deploy.mps.mem_limit_mib", 1, 9999999,
                    "expected MiB from 1 to 9999999");
}

static int pd_check_deploy(struct doc_chk *c, const json_t *dep)
{
    const json_t *v, *mps, *k8s, *n;

    if (doc_get(c, dep, "deploy", "mode", JT_STRING) == NULL ||
        doc_get(c, dep, "deploy", "gpu_model", JT_STRING) == NULL ||
        doc_get(c, dep, "deploy", "gpus", JT_INTEGER) == NULL ||
        pd_opt(c, dep, "deploy", "mig_layout", JT_STRING, &v) < 0 ||
        pd_opt(c, dep, "deploy", "k8s_why", JT_STRING, &v) < 0 ||
        pd_opt(c, dep, "deploy", "mps", JT_OBJECT, &mps) < 0 ||
        pd_opt(c, dep, "deploy", "k8s", JT_OBJECT, &k8s) < 0)
        return -1;
    if (mps != NULL && pd_check_mps(c, mps) < 0)
        return -1;
    if (k8s == NULL)
        return 0;
    if (doc_get(c, k8s, "deploy.k8s", "mode", JT_STRING) == NULL ||
        pd_opt(c, k8s, "deploy.k8s", "replicas", JT_INTEGER, &n) < 0)
        return -1;
    return pd_range(c, n, "deploy.k8s.replicas", 2, 1024, "expected a whole number from 2 to 1024");
}

int plandoc_check(struct error *err, const json_t *doc, const char *where)
{
    static const char *const top[] = {"schema",         "tool",   "input", "evidence", "modes",
                                      "recommendation", "deploy", "fleet", NULL};
    struct doc_chk c = {.err = err, .where = where != NULL ? where : "<plan>"};
    const json_t *v, *dep;
    const char *unknown;

    if (!json_is_object(doc))
        return doc_fail(&c, "the document must be an object, not %s", jtype_text(jtype_of(doc)));
    if ((v = doc_get(&c, doc, "", "schema", JT_STRING)) == NULL)
        return -1;
    if (strcmp(json_string_value(v), PLAN_SCHEMA_ID) != 0)
        return doc_fail(&c, "schema '%.60s' is not '%s'", json_string_value(v), PLAN_SCHEMA_ID);
    for (size_t i = 1; top[i] != NULL; i++)
        if (strcmp(top[i], "deploy") != 0 &&
            doc_get(&c, doc, "", top[i], JT_OBJECT | JT_ARRAY) == NULL)
            return -1;
    unknown = doc_unknown_key(doc, top);
    if (unknown != NULL)
        return doc_fail(&c, "%s: unknown member", unknown);
    if ((v = doc_get(&c, doc, "", "modes", JT_ARRAY)) == NULL)
        return -1;
    if (json_array_size(v) != PM_COUNT)
        return doc_fail(&c, "modes: expected one entry per mode");
    // No deploy section (absent or null): the plan recommends nothing, which is no error here.
    if (pd_opt(&c, doc, "", "deploy", JT_OBJECT, &dep) < 0)
        return -1;
    return dep == NULL ? 0 : pd_check_deploy(&c, dep);
}

json_t *plandoc_load(struct error *err, const char *path)
{
    json_t *doc = doc_load(err, path, "a plan document");

    if (doc != NULL && plandoc_check(err, doc, path) < 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int plandoc_deploy(struct error *err, const json_t *doc, const char *where, struct plan_deploy *d)
{
    const json_t *dep = json_object_get(doc, "deploy"), *mps, *k8s;
    const char *mode, *s;

    memset(d, 0, sizeof(*d));
    d->mode = PM_COUNT;
    if (dep == NULL || json_is_null(dep))
        return error_set(err, ERR_INVALID,
                         "'%s': the plan recommends no mode: nothing fits the GPUs it was given",
                         where);
    mode = json_string_value(json_object_get(dep, "mode"));
    for (int m = 0; m < PM_COUNT; m++)
        if (strcmp(plan_mode_name((enum plan_mode)m), mode) == 0)
            d->mode = (enum plan_mode)m;
    if (d->mode == PM_COUNT)
        return error_set(err, ERR_INVALID, "'%s': deploy.mode '%.40s' is no mode", where, mode);
    str_printf(d->gpu_model, sizeof(d->gpu_model), "%s",
               json_string_value(json_object_get(dep, "gpu_model")));
    d->gpus = (size_t)json_integer_value(json_object_get(dep, "gpus"));
    if ((s = json_string_value(json_object_get(dep, "mig_layout"))) != NULL)
        str_printf(d->mig_layout, sizeof(d->mig_layout), "%s", s);
    if ((s = json_string_value(json_object_get(dep, "k8s_why"))) != NULL)
        str_printf(d->k8s_why, sizeof(d->k8s_why), "%s", s);
    mps = json_object_get(dep, "mps");
    if (json_is_object(mps)) {
        d->mps_clients = (unsigned)json_integer_value(json_object_get(mps, "clients"));
        d->thread_pct = (unsigned)json_integer_value(json_object_get(mps, "thread_pct"));
        d->mem_mib = (unsigned long long)json_integer_value(json_object_get(mps, "mem_limit_mib"));
        d->low_priority_batch = json_is_true(json_object_get(mps, "low_priority_batch"));
        str_printf(d->mps_why, sizeof(d->mps_why), "%s",
                   json_string_value(json_object_get(mps, "why")));
    }
    k8s = json_object_get(dep, "k8s");
    if (json_is_object(k8s)) {
        str_printf(d->k8s_mode, sizeof(d->k8s_mode), "%s",
                   json_string_value(json_object_get(k8s, "mode")));
        d->k8s_replicas = (unsigned)json_integer_value(json_object_get(k8s, "replicas"));
    }
    return 0;
}

int plandoc_load_deploy(struct error *err, const char *path, struct plan_deploy *d)
{
    json_t *doc = plandoc_load(err, path);
    int rc;

    if (doc == NULL)
        return -1;
    rc = plandoc_deploy(err, doc, path, d);
    json_decref(doc);
    return rc;
}
