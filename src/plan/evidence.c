/*
 * Evidence (plan/evidence.h): one table says where each figure lives in a results document,
 * what it means and its documented default; evidence_for() picks, for each figure, the best
 * documents that have it.
 */
#include "plan/evidence.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/io.h"
#include "core/stats.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "fleet/merge.h"
#include "mig/catalog.h"
#include "results/results.h"

/* The committed documents' bytes (plan/evidence_docs.c). */
void evidence_committed_blob(size_t i, const char **buf, size_t *len);

/* A plan names one figure per GPU it plans on; a fleet document may hold thousands of nodes. */
#define EV_MAX_DOCS 8192
#define EV_FILE_MAX (256u << 20)

struct ev_spec {
    const char *name, *unit, *what;
    const char *test; /* test id; NULL: a field of "info" */
    const char *key;  /* a derived key, "median" for the metric's median, or the info field */
    double scale;     /* the document's unit into the figure's */
    double def;       /* the documented default; NAN: none */
    const char *def_src;
};

#define MS 1e-3 /* us -> ms */
#define NO_DEFAULT NAN, NULL

static const struct ev_spec specs[EV_COUNT] = {
    [EV_SLICE_MS] = {"slice_ms", "ms", "the time slice a context gets while others wait",
                     "timeslice.timeline.p2", "slice_p50_us", MS, 1.024,
                     "the default of NVIDIA open-gpu-kernel-modules, "
                     "kfifoChannelGroupGetDefaultTimeslice_GV100 in kernel_fifo_gv100.c (128 << 3 "
                     "us); the GPU's firmware may use another"},
    [EV_SWITCH_MS] = {"switch_ms", "ms", "the GPU's idle time at each switch between contexts",
                      "timeslice.timeline.p2", "switch_p50_us", MS, NO_DEFAULT},
    [EV_TS_P50_MS] = {"ts_alone_p50_ms", "ms", "a batch-1 inference request alone, p50",
                      "timeslice.victim.p1", "p50_us", MS, NO_DEFAULT},
    [EV_TS_P99_MS] = {"ts_alone_p99_ms", "ms", "the same request alone, p99", "timeslice.victim.p1",
                      "p99_us", MS, NO_DEFAULT},
    [EV_MPS_P50_MS] = {"mps_alone_p50_ms", "ms", "the request alone as an MPS client, p50",
                       "mps.victim.p1", "p50_us", MS, NO_DEFAULT},
    [EV_MPS_P99_MS] = {"mps_alone_p99_ms", "ms", "the request alone as an MPS client, p99",
                       "mps.victim.p1", "p99_us", MS, NO_DEFAULT},
    [EV_MPS_K1_P50] = {"mps_gemm1_p50_ms", "ms", "the request beside 1 gemm MPS client, p50",
                       "mps.victim.p2", "p50_us", MS, NO_DEFAULT},
    [EV_MPS_K1_P99] = {"mps_gemm1_p99_ms", "ms", "the request beside 1 gemm MPS client, p99",
                       "mps.victim.p2", "p99_us", MS, NO_DEFAULT},
    [EV_MPS_K2_P50] = {"mps_gemm2_p50_ms", "ms", "the request beside 2 gemm MPS clients, p50",
                       "mps.victim.p3", "p50_us", MS, NO_DEFAULT},
    [EV_MPS_K2_P99] = {"mps_gemm2_p99_ms", "ms", "the request beside 2 gemm MPS clients, p99",
                       "mps.victim.p3", "p99_us", MS, NO_DEFAULT},
    [EV_MPS_K3_P50] = {"mps_gemm3_p50_ms", "ms", "the request beside 3 gemm MPS clients, p50",
                       "mps.victim.p4", "p50_us", MS, NO_DEFAULT},
    [EV_MPS_K3_P99] = {"mps_gemm3_p99_ms", "ms", "the request beside 3 gemm MPS clients, p99",
                       "mps.victim.p4", "p99_us", MS, NO_DEFAULT},
    [EV_LOW_K1_P50] = {"lowprio_gemm1_p50_ms", "ms",
                       "the request beside 1 below-normal-priority gemm client, p50",
                       "mps.victim.lowprio.p2", "p50_us", MS, NO_DEFAULT},
    [EV_LOW_K1_P99] = {"lowprio_gemm1_p99_ms", "ms",
                       "the request beside 1 below-normal-priority gemm client, p99",
                       "mps.victim.lowprio.p2", "p99_us", MS, NO_DEFAULT},
    [EV_LOW_K2_P50] = {"lowprio_gemm2_p50_ms", "ms",
                       "the request beside 2 below-normal-priority gemm clients, p50",
                       "mps.victim.lowprio.p3", "p50_us", MS, NO_DEFAULT},
    [EV_LOW_K2_P99] = {"lowprio_gemm2_p99_ms", "ms",
                       "the request beside 2 below-normal-priority gemm clients, p99",
                       "mps.victim.lowprio.p3", "p99_us", MS, NO_DEFAULT},
    [EV_LOW_K3_P50] = {"lowprio_gemm3_p50_ms", "ms",
                       "the request beside 3 below-normal-priority gemm clients, p50",
                       "mps.victim.lowprio.p4", "p50_us", MS, NO_DEFAULT},
    [EV_LOW_K3_P99] = {"lowprio_gemm3_p99_ms", "ms",
                       "the request beside 3 below-normal-priority gemm clients, p99",
                       "mps.victim.lowprio.p4", "p99_us", MS, NO_DEFAULT},
    [EV_CAP_K1_P50] = {"cap50_gemm1_p50_ms", "ms",
                       "the request beside 1 gemm client capped at 50% of the threads, p50",
                       "mps.victim.cap50.p2", "p50_us", MS, NO_DEFAULT},
    [EV_CAP_K1_P99] = {"cap50_gemm1_p99_ms", "ms",
                       "the request beside 1 gemm client capped at 50% of the threads, p99",
                       "mps.victim.cap50.p2", "p99_us", MS, NO_DEFAULT},
    [EV_CAP_K2_P50] = {"cap50_gemm2_p50_ms", "ms",
                       "the request beside 2 gemm clients capped at 50% each, p50",
                       "mps.victim.cap50.p3", "p50_us", MS, NO_DEFAULT},
    [EV_CAP_K2_P99] = {"cap50_gemm2_p99_ms", "ms",
                       "the request beside 2 gemm clients capped at 50% each, p99",
                       "mps.victim.cap50.p3", "p99_us", MS, NO_DEFAULT},
    [EV_CAP_K3_P50] = {"cap50_gemm3_p50_ms", "ms",
                       "the request beside 3 gemm clients capped at 50% each, p50",
                       "mps.victim.cap50.p4", "p50_us", MS, NO_DEFAULT},
    [EV_CAP_K3_P99] = {"cap50_gemm3_p99_ms", "ms",
                       "the request beside 3 gemm clients capped at 50% each, p99",
                       "mps.victim.cap50.p4", "p99_us", MS, NO_DEFAULT},
    [EV_MPS_CLIENTS] = {"mps_clients", "clients", "the clients one MPS server accepted",
                        "mps.clients", "median", 1, 48,
                        "NVIDIA's MPS documentation, section 2.3.5.1: 48 clients per GPU on Volta "
                        "and later up to CUDA 13.0 (60 from CUDA 13.1)"},
    [EV_CTX_MIB] = {"context_mib", "MiB", "the device memory one client's context takes",
                    "mps.clients", "mib_per_client_est", 1, 438,
                    "NVIDIA/nvidia-docker issue 868: 438 MiB per nbody MPS client on a V100"},
    [EV_SM_STEP] = {"mps_sm_step", "SMs", "MPS hands out SMs in steps of this many",
                    "mps.threads.sms", "granularity_sms", 1, NO_DEFAULT},
    [EV_SM_MIN] = {"mps_sm_min", "SMs", "the fewest SMs an MPS thread cap gives", "mps.threads.sms",
                   "sms_min", 1, NO_DEFAULT},
    [EV_MEMLIMIT_OK] = {"mps_memlimit_enforced", "",
                        "an allocation past the pinned memory limit "
                        "fails",
                        "mps.memlimit", "alloc_past_limit", 1, 1,
                        "NVIDIA's MPS documentation, section 2.3.5.4: an allocation past "
                        "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT fails as out of memory"},
    [EV_TS_AGGREGATE] = {"ts_aggregate", "x",
                         "two time-sliced gemm processes: work done against one alone",
                         "timeslice.contention.gemm.fp32.n4096.p2", "aggregate_x", 1, NO_DEFAULT},
    [EV_MPS_AGGREGATE] = {"mps_aggregate", "x",
                          "two gemm MPS clients: work done against one process alone",
                          "mps.contention.gemm.fp32.n4096.p2", "aggregate_x", 1, NO_DEFAULT},
    [EV_GPU_MEM_GIB] = {"gpu_memory_gib", "GiB", "the whole GPU's memory", NULL,
                        "memory_total_bytes", 1.0 / (1u << 30), NO_DEFAULT},
    [EV_GPU_SMS] = {"gpu_sms", "SMs", "the whole GPU's SMs", NULL, "sm_count", 1, NO_DEFAULT},
};

const char *evidence_name(enum ev_id id)
{
    return id < EV_COUNT ? specs[id].name : "?";
}

const char *evidence_unit(enum ev_id id)
{
    return id < EV_COUNT ? specs[id].unit : "";
}

const char *evidence_what(enum ev_id id)
{
    return id < EV_COUNT ? specs[id].what : "";
}

/* ---- the documents ---- */

static int ev_push(struct error *err, struct ev_docs *docs, json_t *doc, const char *name,
                   bool user)
{
    const char *card = json_string_value(json_object_get(json_object_get(doc, "info"), "name"));
    struct ev_doc *d;

    if (docs->n == EV_MAX_DOCS) {
        json_decref(doc);
        return error_set(err, ERR_INVALID, "more than %d documents to plan from", EV_MAX_DOCS);
    }
    if (docs->n == docs->cap) {
        size_t cap = docs->cap ? 2 * docs->cap : 16;
        struct ev_doc *grown = xcalloc(cap, sizeof(*grown));

        if (docs->n > 0)
            memcpy(grown, docs->d, docs->n * sizeof(*grown));
        free(docs->d);
        docs->d = grown;
        docs->cap = cap;
    }
    d = &docs->d[docs->n++];
    memset(d, 0, sizeof(*d));
    d->doc = doc;
    d->user = user;
    str_printf(d->name, sizeof(d->name), "%s", name);
    if (card != NULL) {
        str_printf(d->card, sizeof(d->card), "%s", card);
        d->g = mig_gpu_by_nvml_name(card);
    }
    return 0;
}

int evidence_docs_init(struct error *err, struct ev_docs *docs)
{
    memset(docs, 0, sizeof(*docs));
    for (size_t i = 0; i < evidence_committed_count; i++) {
        const char *buf;
        size_t len;
        json_t *doc;

        evidence_committed_blob(i, &buf, &len);
        doc = results_loadb(err, buf, len, evidence_committed_names[i]);
        if (doc == NULL || ev_push(err, docs, doc, evidence_committed_names[i], false) < 0) {
            evidence_docs_release(docs);
            return -1;
        }
    }
    return 0;
}

void evidence_docs_release(struct ev_docs *docs)
{
    for (size_t i = 0; i < docs->n; i++)
        json_decref(docs->d[i].doc);
    free(docs->d);
    memset(docs, 0, sizeof(*docs));
}

/* Each node's document of a checked fleet document, named "FILE: node ID". */
static int ev_add_fleet(struct error *err, struct ev_docs *docs, const json_t *fleet,
                        const char *path)
{
    const json_t *node;
    size_t i;

    json_array_foreach (json_object_get(fleet, "nodes"), i, node) {
        const json_t *doc;
        const char *file = NULL;

        // A node may hold several benchmarks' documents of its one GPU: each counts.
        for (size_t k = 0; (doc = fleet_node_document(node, k, &file)) != NULL; k++) {
            char name[160];

            str_printf(name, sizeof(name), "%s: node %s (%s)", path,
                       json_string_value(json_object_get(node, "id")), file != NULL ? file : "?");
            if (ev_push(err, docs, json_incref((json_t *)doc), name, true) < 0)
                return -1;
        }
    }
    return 0;
}

int evidence_docs_add(struct error *err, struct ev_docs *docs, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    json_t *peek, *doc;
    const char *schema;
    bool fleet;
    int rc;

    if (io_read_file(err, path, path, EV_FILE_MAX, "a results or fleet document", &buf, &len) < 0)
        return -1;
    // The schema decides which checker reads it; a document with neither id is the results
    // checker's to refuse, with its message.
    peek = json_loadb(buf, len, 0, NULL);
    schema = json_string_value(json_object_get(peek, "schema"));
    fleet = schema != NULL && strcmp(schema, FLEET_SCHEMA_ID) == 0;
    json_decref(peek);
    doc = fleet ? fleet_loadb(err, buf, len, path) : results_loadb(err, buf, len, path);
    free(buf);
    if (doc == NULL)
        return -1;
    if (!fleet)
        return ev_push(err, docs, doc, path, true);
    rc = ev_add_fleet(err, docs, doc, path);
    json_decref(doc);
    return rc;
}

/* ---- one figure of one document ---- */

/* The figure's value in doc, or NAN when the document does not have it. */
static double ev_value(const json_t *doc, const struct ev_spec *s)
{
    const json_t *t, *v;

    if (s->test == NULL) {
        v = json_object_get(json_object_get(doc, "info"), s->key);
        return json_is_number(v) ? json_number_value(v) * s->scale : NAN;
    }
    t = results_find_test(doc, s->test);
    if (t == NULL)
        return NAN;
    if (strcmp(s->key, "median") == 0) {
        v = json_object_get(json_object_get(t, "summary"), "median");
        return json_is_number(v) ? json_number_value(v) * s->scale : NAN;
    }
    v = json_object_get(json_object_get(t, "derived"), s->key);
    if (json_is_string(v)) { // the one verdict-like figure: did the allocation fail as it must
        if (strcmp(json_string_value(v), "not probed") == 0)
            return NAN; // the probe did not report: nothing was measured
        return strcmp(json_string_value(v), "cudaErrorMemoryAllocation") == 0 ? 1.0 : 0.0;
    }
    return json_is_number(v) ? json_number_value(v) * s->scale : NAN;
}

/* Is document d a better source than the chosen one (NULL: none yet)? The model planned
 * first, then what the user gave, then the order given. */
static bool ev_better(const struct ev_doc *d, const struct ev_doc *chosen, const struct mig_gpu *g)
{
    if (chosen == NULL)
        return true;
    if ((d->g == g) != (chosen->g == g))
        return d->g == g;
    if (d->user != chosen->user)
        return d->user;
    return false;
}

/* The best document with the figure, and the median over every document like it: the same
 * card, given the same way. */
static void ev_pick(const struct ev_docs *docs, const struct mig_gpu *g, const struct ev_spec *s,
                    struct ev_fig *f)
{
    const struct ev_doc *chosen = NULL;
    double *vals = xcalloc(docs->n, sizeof(*vals));
    size_t n = 0;

    for (size_t i = 0; i < docs->n; i++)
        if (isfinite(ev_value(docs->d[i].doc, s)) && ev_better(&docs->d[i], chosen, g))
            chosen = &docs->d[i];
    if (chosen != NULL) {
        for (size_t i = 0; i < docs->n; i++) {
            const struct ev_doc *d = &docs->d[i];
            double v = ev_value(d->doc, s);

            if (isfinite(v) && d->user == chosen->user && strcmp(d->card, chosen->card) == 0)
                vals[n++] = v;
        }
        f->kind = chosen->g == g ? EV_MEASURED : EV_OTHER_CARD;
        f->v = stats_percentile(vals, n, 50);
        f->docs = (unsigned)n;
        str_printf(f->card, sizeof(f->card), "%s", chosen->card);
        if (s->test == NULL)
            str_printf(f->src, sizeof(f->src), "%s, info.%s", chosen->name, s->key);
        else
            str_printf(f->src, sizeof(f->src), "%s, %s", chosen->name, s->test);
    } else if (!isnan(s->def)) {
        f->kind = EV_DEFAULT;
        f->v = s->def;
        str_printf(f->src, sizeof(f->src), "%s", s->def_src);
    }
    free(vals);
}

/* The emulated slices' request times of one document, normalised to its largest slice. */
static size_t ev_curve_of(const json_t *doc, struct ev_curve *c)
{
    const json_t *t;
    size_t i, n = 0, top = 0;

    json_array_foreach (json_object_get(doc, "tests"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        double sms = results_derived_num(t, "sms_seen");
        double f = results_derived_num(t, "infer_p50_over_full");

        if (id == NULL || strncmp(id, "mig.emulated.", 13) != 0 || !(sms > 0) || !(f > 0) ||
            n == EV_CURVE_MAX)
            continue;
        // Ascending by SMs, as the model interpolates.
        size_t k = n++;

        while (k > 0 && c->sms[k - 1] > sms) {
            c->sms[k] = c->sms[k - 1];
            c->factor[k] = c->factor[k - 1];
            k--;
        }
        c->sms[k] = sms;
        c->factor[k] = f;
    }
    if (n < 2)
        return 0;
    top = n - 1;
    for (size_t k = 0; k < n; k++)
        c->factor[k] /= c->factor[top];
    c->n = n;
    return n;
}

static void ev_pick_curve(const struct ev_docs *docs, const struct mig_gpu *g, struct ev_curve *c)
{
    const struct ev_doc *chosen = NULL;
    struct ev_curve tmp;

    for (size_t i = 0; i < docs->n; i++) {
        memset(&tmp, 0, sizeof(tmp));
        if (ev_curve_of(docs->d[i].doc, &tmp) > 0 && ev_better(&docs->d[i], chosen, g))
            chosen = &docs->d[i];
    }
    memset(c, 0, sizeof(*c));
    if (chosen == NULL)
        return;
    ev_curve_of(chosen->doc, c);
    c->kind = chosen->g == g ? EV_MEASURED : EV_OTHER_CARD;
    str_printf(c->card, sizeof(c->card), "%s", chosen->card);
    str_printf(c->src, sizeof(c->src), "%s, mig.emulated.*", chosen->name);
}

/* The catalog's figures for the GPU, where no document measured it. */
static void ev_catalog(const struct mig_gpu *g, struct evidence *ev)
{
    struct ev_fig *mem = &ev->f[EV_GPU_MEM_GIB], *sms = &ev->f[EV_GPU_SMS];

    if (mem->kind != EV_MEASURED) {
        double whole = 0;

        // The whole-GPU instance is what CUDA can allocate of it; the name's figure is nominal.
        for (unsigned j = 0; j < g->n_profiles; j++)
            if (g->profiles[j].gslices == g->compute_slices && g->profiles[j].mem_gib > whole)
                whole = g->profiles[j].mem_gib;
        memset(mem, 0, sizeof(*mem));
        mem->kind = EV_DEFAULT;
        mem->v = whole > 0 ? whole : g->mem_gib;
        str_printf(mem->src, sizeof(mem->src),
                   whole > 0 ? "the MIG catalog: the memory of %s's whole-GPU instance "
                               "(nvidia-smi mig -lgip)"
                             : "the MIG catalog: %s's nominal memory",
                   g->model);
    }
    if (sms->kind != EV_MEASURED) {
        memset(sms, 0, sizeof(*sms));
        sms->v = NAN;
        if (g->sms > 0) {
            sms->kind = EV_DEFAULT;
            sms->v = g->sms;
            str_printf(sms->src, sizeof(sms->src), "the MIG catalog: %s", g->model);
        }
    }
}

void evidence_for(const struct ev_docs *docs, const struct mig_gpu *gpu, struct evidence *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->gpu = gpu;
    for (int i = 0; i < EV_COUNT; i++) {
        ev->f[i].v = NAN;
        ev_pick(docs, gpu, &specs[i], &ev->f[i]);
    }
    ev_catalog(gpu, ev);
    ev_pick_curve(docs, gpu, &ev->infer);
}

/* "measured on X, not on this MODEL" and the like, after the source. */
static void ev_cite_kind(const struct evidence *ev, enum ev_kind kind, const char *src,
                         const char *card, unsigned docs, char *out, size_t size)
{
    char many[48] = "";

    if (docs > 1)
        str_printf(many, sizeof(many), " (median of %u documents)", docs);
    switch (kind) {
    case EV_MEASURED:
        str_printf(out, size, "%s%s", src, many);
        break;
    case EV_OTHER_CARD:
        str_printf(out, size, "%s%s; measured on %s, not on this %s", src, many,
                   card[0] != '\0' ? card : "another GPU", ev->gpu->model);
        break;
    case EV_DEFAULT:
        str_printf(out, size, "%s", src);
        break;
    default:
        str_printf(out, size, "not measured");
        break;
    }
}

void evidence_cite(const struct evidence *ev, enum ev_id id, char *out, size_t size)
{
    const struct ev_fig *f = &ev->f[id];

    ev_cite_kind(ev, f->kind, f->src, f->card, f->docs, out, size);
}

void evidence_cite_curve(const struct evidence *ev, char *out, size_t size)
{
    ev_cite_kind(ev, ev->infer.n > 0 ? ev->infer.kind : EV_UNKNOWN, ev->infer.src, ev->infer.card,
                 1, out, size);
}

/* ---- MPS thread percentages ---- */

static const json_t *ev_series_samples(const json_t *t, const char *name)
{
    return json_object_get(json_object_get(json_object_get(t, "series"), name), "samples");
}

static long ev_derived_count(const json_t *t, const char *key)
{
    double x = results_derived_num(t, key);

    return x >= 0 && x <= 1e6 && x == floor(x) ? (long)x : -1;
}

int evidence_threads_at(struct error *err, const json_t *doc, const char *name, unsigned pct_centi,
                        struct ev_threads_at *m)
{
    const json_t *t = results_find_test(doc, EV_THREADS_TEST_ID), *v, *pcts, *sms, *gpu;
    char file[72];
    size_t i;

    // At most 60 characters of the name in a message, "..." when cut.
    str_printable(file, 61, name);
    if (strlen(name) > 60)
        memcpy(file + 60, "...", 4);
    if (t == NULL)
        return error_set(err, ERR_INVALID,
                         "'%s' has no test '%s': expected a document of gpushare bench mps", file,
                         EV_THREADS_TEST_ID);
    pcts = ev_series_samples(t, "thread_pct");
    sms = ev_series_samples(t, "sms_attribute");
    if (json_array_size(pcts) == 0 || json_array_size(pcts) != json_array_size(sms))
        return error_set(err, ERR_INVALID,
                         "'%s': test '%s' lacks the series thread_pct and sms_attribute, of one "
                         "length",
                         file, EV_THREADS_TEST_ID);
    memset(m, 0, sizeof(*m));
    m->present = true;
    m->pct_centi = pct_centi;
    str_printable(m->results, sizeof(m->results), name);
    gpu = json_object_get(json_object_get(doc, "info"), "name");
    str_printable(m->gpu, sizeof(m->gpu), json_is_string(gpu) ? json_string_value(gpu) : "");
    m->sms_total = ev_derived_count(t, "sms_total");
    m->granularity = ev_derived_count(t, "granularity_sms");
    json_array_foreach (pcts, i, v) {
        double p = json_number_value(v), s = json_number_value(json_array_get(sms, i));
        unsigned pc, sc;

        if (!(p >= 0 && p <= 100) || !(s >= 0 && s <= 1e6) || s != floor(s))
            return error_set(err, ERR_INVALID,
                             "'%s': test '%s' sample %zu: %g%% and %g SMs are not a percentage "
                             "and a whole SM count",
                             file, EV_THREADS_TEST_ID, i, p, s);
        pc = (unsigned)lround(p * 100);
        sc = (unsigned)s;
        if (pc == pct_centi) {
            m->sms_lo = !m->exact || sc < m->sms_lo ? sc : m->sms_lo;
            m->sms_hi = !m->exact || sc > m->sms_hi ? sc : m->sms_hi;
            m->exact = true;
        } else if (pc < pct_centi && (!m->has_below || pc >= m->below_centi)) {
            m->has_below = true;
            m->below_centi = pc;
            m->below_sms = sc;
        } else if (pc > pct_centi && (!m->has_above || pc <= m->above_centi)) {
            m->has_above = true;
            m->above_centi = pc;
            m->above_sms = sc;
        }
    }
    return 0;
}
