/*
 * bench mps, clients part: how many clients one MPS server takes. MPS doc 2.3.5.1: 48 client
 * contexts per device on Volta and newer up to CUDA 13.0 (60 from 13.1, sharing-facts.md 1.4);
 * past the limit, context creation fails. The probe is bounded: max_clients light clients
 * start at once, each creating one context and holding it until all have reported.
 */
#include "bench/mpsbench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/progress.h"
#include "core/stats.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "results/results.h"

/* The clients hold their contexts this long after the release: long enough for the harness
 * to see every window overlap, short enough to cost nothing. */
#define HOLD_S 1.0

struct client_tally {
    unsigned ok, refused;
    char first_error[64];
    double ctx_ms[MPS_MAX_CLIENTS];
    double free_min_mib, free_max_mib;
};

static void tally(const struct multi_run *r, struct client_tally *t)
{
    t->free_min_mib = INFINITY;
    t->free_max_mib = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const json_t *m = r->w[i].ready_msg;
        const char *ctx = json_string_value(json_object_get(m, "context"));
        double free_mib = multi_num(m, "mem_free_bytes") / 1048576;

        if (ctx != NULL && strcmp(ctx, "ok") == 0) {
            t->ctx_ms[t->ok++] = multi_num(m, "context_ms");
            t->free_min_mib = fmin(t->free_min_mib, free_mib);
            t->free_max_mib = fmax(t->free_max_mib, free_mib);
            continue;
        }
        if (t->refused++ == 0)
            str_printf(t->first_error, sizeof(t->first_error), "%s",
                       ctx != NULL ? ctx : "no answer");
    }
}

static unsigned documented_limit(const struct mpsbench_opts *o)
{
    return o->cuda_driver_version > 0 && o->cuda_driver_version <= 13000 ? MPS_DOC_CLIENTS_OLD
                                                                         : MPS_DOC_CLIENTS_NEW;
}

static void record(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o,
                   const struct client_tally *t)
{
    unsigned doc = documented_limit(o);
    double got = t->ok;
    char detail[256];
    json_t *tt = results_add_test(c->doc, "mps.clients", "mps.clients",
                                  "how many clients one MPS server accepts");

    results_param_int(tt, "clients_started", o->max_clients);
    results_param_num(tt, "hold_s", HOLD_S);
    results_param_int(tt, "cuda_driver_version", o->cuda_driver_version);
    results_metric(err, tt, "clients_with_context", "clients", "higher", &got, 1);
    results_bound(tt, doc, "clients", "upper",
                  "MPS doc 2.3.5.1: 48 client contexts per device up to CUDA 13.0, 60 from 13.1");
    results_derived(tt, "clients_refused", t->refused);
    results_derived(tt, "documented_limit", doc);
    results_derived_str(tt, "refusal_error", t->refused > 0 ? t->first_error : "none");
    if (t->ok > 0) {
        results_derived(tt, "context_ms_p50", stats_percentile(t->ctx_ms, t->ok, 50));
        results_derived(tt, "context_ms_max", stats_percentile(t->ctx_ms, t->ok, 100));
        results_derived(tt, "free_mib_min", t->free_min_mib);
        results_derived(tt, "free_mib_max", t->free_max_mib);
    }
    /* Each client saw the free memory after its own context: the spread over the clients
     * estimates one client's footprint (context, and the server's share). */
    if (t->ok > 1)
        results_derived(tt, "mib_per_client_est",
                        (t->free_max_mib - t->free_min_mib) / (t->ok - 1));
    if (t->refused == 0) {
        str_printf(detail, sizeof(detail),
                   "all %u clients got a context: the limit is above what was probed", t->ok);
        results_verdict(tt, VERDICT_INFO, "", detail);
        return;
    }
    str_printf(detail, sizeof(detail), "%u of %u clients got a context; the others got %s", t->ok,
               o->max_clients, t->first_error);
    results_verdict(tt, t->ok == doc ? VERDICT_MEETS : VERDICT_MISSES,
                    "the documented client limit for this CUDA version", detail);
}

int mps_clients(struct error *err, struct multi_ctx *c, const struct mpsbench_opts *o)
{
    struct worker_argv *a = xcalloc(o->max_clients, sizeof(*a));
    struct worker_argv *ap[MPS_MAX_CLIENTS];
    struct client_tally t = {0};
    struct multi_run r;
    int rc;

    progress("mps clients: %u clients at once", o->max_clients);
    for (unsigned i = 0; i < o->max_clients; i++) {
        worker_argv_init(&a[i], c, "client", HOLD_S);
        ap[i] = &a[i];
    }
    rc = multi_run(err, c, o->max_clients, ap, &r);
    if (rc == 0) {
        tally(&r, &t);
        record(err, c, o, &t);
        multi_run_free(&r);
    }
    free(a);
    return rc;
}
