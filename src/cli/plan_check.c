/*
 * gpushare plan check MIX.json: the planner's predictions for every mix a `gpushare bench mix`
 * document measured, beside the measurement, with the error. The prediction takes what a user
 * would give: the request's time alone (the document's mix.timeslice.alone p50) and the rate;
 * every other figure comes from the evidence (the committed device results, or --results),
 * never from the mix measured. The check is a results document of its own.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/str.h"
#include "core/xalloc.h"
#include "mig/catalog.h"
#include "plan/demand.h"
#include "plan/evidence.h"
#include "plan/planner.h"
#include "results/results.h"
#include "results/table.h"

int plan_check_run(int argc, char **argv);

static const char usage[] =
    "usage: gpushare plan check MIX.json [--results FILE]... [--json] [-o CHECK.json] [--force]\n";

static const char help[] =
    "  -r, --results FILE  more measured figures for the planner (any bench document)\n"
    "      --json          print the check document on stdout instead of the table\n"
    "  -o, --output FILE   write the check document to FILE (atomically)\n"
    "  -f, --force         replace FILE when it exists\n"
    "  -h, --help          this help\n\n"
    "Exit status: 0 checked (whatever the errors), 1 failure, 2 usage error.\n";

/* The p99 error the issue sets as the model's goal. */
#define CHECK_GOAL 0.25
#define CHECK_MAX_RESULTS 64

struct check {
    const json_t *mix;
    const struct mig_gpu *g;
    double request_ms; /* the request alone, no MPS, p50 and p99: the inputs a user gives */
    double request_p99_ms;
    struct ev_docs docs;
    json_t *out;
};

/* The mix of test t as a plan file: the inference processes, and the gemm as a batch
 * workload that keeps the whole GPU busy. */
static char *check_yaml(const struct check *k, unsigned procs, double rate, bool gemm)
{
    struct strbuf b = {0};

    strbuf_printf(&b, "gpus: [{model: %s, count: 1}]\nworkloads:\n", k->g->model);
    for (unsigned i = 0; i < procs; i++)
        strbuf_printf(&b,
                      "  - {name: infer-%u, memory_gib: 1, requests_per_s: %.9g, "
                      "gpu_ms_per_request: %.9g, gpu_ms_p99_per_request: %.9g}\n",
                      i + 1, rate, k->request_ms, k->request_p99_ms);
    if (gemm)
        strbuf_puts(&b, "  - {name: gemm, memory_gib: 1, compute_fraction: 1}\n");
    return b.p;
}

static void check_one(struct check *k, const json_t *t)
{
    const char *id = json_string_value(json_object_get(t, "id"));
    const json_t *params = json_object_get(t, "params");
    unsigned procs = (unsigned)json_integer_value(json_object_get(params, "processes"));
    double rate = json_number_value(json_object_get(params, "rate_per_process"));
    bool gemm = strcmp(json_string_value(json_object_get(params, "neighbour")), "gemm") == 0;
    bool mps = strncmp(id, "mix.mps.", 8) == 0;
    enum plan_mode mode = mps ? PM_MPS : PM_TIMESLICE;
    char *yaml = check_yaml(k, procs, rate, gemm), cid[96], title[200], detail[256];
    struct demand_set set;
    struct plan *p = xcalloc(1, sizeof(*p));
    struct error err = {0};
    const json_t *samples = json_object_get(t, "samples"), *v;
    double meas50 = results_derived_num(t, "p50_us") / 1000;
    double meas99 = results_derived_num(t, "p99_us") / 1000, pred50, pred99, *errs;
    size_t n = json_array_size(samples), i;
    json_t *c;

    if (demand_load_yaml_buf(&err, yaml, strlen(yaml), id, &set) < 0 ||
        plan_predict_mix(&err, &set, &k->docs, mode, p) < 0) {
        results_skip(k->out, id, err.msg);
        goto out;
    }
    pred50 = p->modes[mode].wl[0].p50_ms;
    pred99 = p->modes[mode].wl[0].p99_ms;
    str_printf(cid, sizeof(cid), "check.%s", id + 4);
    // Skipped before the test is added: a test without its figure is no test (docs/results.md).
    if (n == 0 || !isfinite(pred99)) {
        results_skip(k->out, cid,
                     !isfinite(pred99) ? "the model predicts no finite p99 here (its queue grows "
                                         "without bound)"
                                       : "no trial to compare with");
        goto out;
    }
    str_printf(title, sizeof(title), "the planner's p99 against %s",
               json_string_value(json_object_get(t, "title")));
    c = results_add_test(k->out, cid, mps ? "check.mps" : "check.timeslice", title);
    results_param_str(c, "mix_test", id);
    results_param_int(c, "processes", procs);
    results_param_num(c, "rate_per_process", rate);
    results_param_str(c, "neighbour", gemm ? "gemm" : "none");
    results_param_num(c, "request_ms_alone", k->request_ms);
    results_param_num(c, "request_p99_ms_alone", k->request_p99_ms);
    results_param_str(c, "model_mode", plan_mode_name(mode));
    errs = xcalloc(n, sizeof(*errs));
    json_array_foreach (samples, i, v)
        errs[i] = 100 * (pred99 - json_number_value(v) / 1000) / (json_number_value(v) / 1000);
    if (results_metric(&err, c, "p99_error", "%", "lower", errs, n) < 0) {
        free(errs);
        results_skip(k->out, cid, err.msg);
        goto out;
    }
    free(errs);
    results_derived(c, "predicted_p50_ms", pred50);
    results_derived(c, "predicted_p99_ms", pred99);
    results_derived(c, "measured_p50_ms", meas50);
    results_derived(c, "measured_p99_ms", meas99);
    results_derived(c, "error_p50", (pred50 - meas50) / meas50);
    results_derived(c, "error_p99", (pred99 - meas99) / meas99);
    str_printf(detail, sizeof(detail),
               "p99 predicted %.3g ms, measured %.3g ms: %+.0f%%; p50 predicted %.3g ms, measured "
               "%.3g ms: %+.0f%% (pooled over %g requests)",
               pred99, meas99, 100 * (pred99 - meas99) / meas99, pred50, meas50,
               100 * (pred50 - meas50) / meas50, results_derived_num(t, "requests"));
    results_verdict(c,
                    fabs((pred99 - meas99) / meas99) <= CHECK_GOAL ? VERDICT_MEETS : VERDICT_MISSES,
                    "|p99 error| <= 25%, the planner's goal (docs/plan.md)", detail);
out:
    free(yaml);
    plan_release(p);
    free(p);
    demand_set_release(&set);
}

int plan_check_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"results", required_argument, NULL, 'r'},
        CLI_DOC_OPTIONS,
    };
    const char *results[CHECK_MAX_RESULTS], *out_path = NULL;
    size_t n_results = 0;
    struct run_meta meta = {.git_dirty = -1,
                            .command = "plan check",
                            .argc = cli_given_argc(),
                            .argv = cli_given_argv()};
    struct check k = {0};
    struct error err;
    bool json = false, force = false;
    const json_t *t, *alone, *name;
    size_t i;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, ":r:o:fh", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\nThe planner's latency predictions for each mix of a `gpushare bench mix`\n"
                   "document, beside what was measured, with the error (docs/plan.md).\n\n%s",
                   usage, help);
            return EXIT_OK;
        } else if (opt == 'r' && n_results < CHECK_MAX_RESULTS) {
            results[n_results++] = optarg;
        } else if (opt == 'j') {
            json = true;
        } else if (opt == 'o') {
            out_path = optarg;
        } else if (opt == 'f') {
            force = true;
        } else {
            return cli_bad_option(usage, argv, opt);
        }
    }
    if (optind + 1 != argc) {
        error_set(&err, ERR_USAGE, "give one bench mix document");
        return cli_usage_error(usage, &err);
    }
    if (cli_check_out(&err, out_path, force) < 0)
        return cli_fail(&err);
    k.mix = results_load(&err, argv[optind]);
    if (k.mix == NULL)
        return cli_fail(&err);
    name = json_object_get(json_object_get(k.mix, "info"), "name");
    alone = results_find_test(k.mix, "mix.timeslice.alone");
    k.g = json_is_string(name) ? mig_gpu_by_nvml_name(json_string_value(name)) : NULL;
    rc = EXIT_FAIL;
    if (k.g == NULL)
        error_set(&err, ERR_INVALID, "'%s': its GPU is not in the MIG catalog the planner knows",
                  argv[optind]);
    else if (alone == NULL)
        error_set(&err, ERR_INVALID,
                  "'%s' has no test mix.timeslice.alone: expected a document "
                  "of gpushare bench mix",
                  argv[optind]);
    else if (evidence_docs_init(&err, &k.docs) == 0)
        rc = EXIT_OK;
    for (size_t r = 0; rc == EXIT_OK && r < n_results; r++)
        if (evidence_docs_add(&err, &k.docs, results[r]) < 0)
            rc = EXIT_FAIL;
    if (rc != EXIT_OK) {
        json_decref((json_t *)k.mix);
        evidence_docs_release(&k.docs);
        return cli_fail(&err);
    }
    k.request_ms = results_derived_num(alone, "p50_us") / 1000;
    k.request_p99_ms = fmax(k.request_ms, results_derived_num(alone, "p99_us") / 1000);
    k.out = results_new(&meta, json_deep_copy(json_object_get(k.mix, "info")));
    json_array_foreach (json_object_get(k.mix, "tests"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));

        if (strncmp(id, "mix.", 4) == 0 && strstr(id, ".alone") == NULL)
            check_one(&k, t);
    }
    rc = EXIT_OK;
    if (cli_write_doc(&err, k.out, out_path, force) < 0 ||
        (json && results_write(&err, k.out, "-") < 0))
        rc = cli_fail(&err);
    if (!json)
        results_print_table(stdout, k.out);
    json_decref(k.out);
    json_decref((json_t *)k.mix);
    evidence_docs_release(&k.docs);
    return rc;
}
