/*
 * The results document: one JSON document per run, the contract between the
 * pipeline's stages (measure -> results -> plan -> emit -> report). The format
 * is specified in docs/results.md and docs/results.schema.json; the schema
 * identifier below changes with any incompatible change.
 *
 * The document is a jansson tree owned by the caller. Builders append to it;
 * results_write() serialises it atomically; results_load() parses and checks
 * a document someone hands us, with file and line in every error.
 */
#ifndef GPUSHARE_RESULTS_RESULTS_H
#define GPUSHARE_RESULTS_RESULTS_H

#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "core/json.h"
#include "core/stats.h"
#include "results/verdict.h"

#define RESULTS_SCHEMA_ID "gpushare.results/1"

/* Identity of the run. NULL fields take the build's values (version, commit), the current
 * UTC time and the host name; tests inject fixed values for byte-stable output. */
struct run_meta {
    const char *tool_version;
    const char *git_commit;
    int git_dirty;        /* -1: take the build's flag */
    const char *utc_time; /* RFC 3339, "2026-11-24T02:30:00Z" */
    const char *host;
    const char *command; /* e.g. "bench streams" */
    int argc;            /* argv of the run, recorded verbatim */
    char *const *argv;
};

/* New document with tool, run, info (may be NULL: JSON null), empty tests and skipped.
 * meta may be NULL (all defaults). Takes ownership of info. Never NULL (allocation failure
 * aborts, like every builder below; keys must be UTF-8). */
json_t *results_new(const struct run_meta *meta, json_t *info);

/*
 * Appends a test and returns it (borrowed from doc). id is unique in the
 * document ("streams.gemm.bf16.n1024"); group names the table section
 * ("streams.gemm"); title is one human line. results_check() enforces the
 * uniqueness. NULL when doc is not a document from results_new(); the builders below do
 * nothing when handed a NULL or non-object test.
 */
json_t *results_add_test(json_t *doc, const char *id, const char *group, const char *title);

/* Parameters of the test: stored under "params". */
void results_param_int(json_t *test, const char *key, long long v);
void results_param_num(json_t *test, const char *key, double v);
void results_param_str(json_t *test, const char *key, const char *v);

/*
 * The headline figure: name, unit ("x", "GB/s", "ms", "us"), which way is
 * better ("higher" | "lower"), its raw samples and their summary. No samples, or
 * samples that are not finite or beyond JS_REAL_LIMIT, are refused (-1, ERR_INVALID)
 * and nothing is recorded.
 */
int results_metric(struct error *err, json_t *test, const char *name, const char *unit,
                   const char *better, const double *samples, size_t n);

/* A supporting raw series ("serial_ms", "concurrent_ms") with its own summary. */
int results_series(struct error *err, json_t *test, const char *name, const char *unit,
                   const double *samples, size_t n);

/* The physical bound the metric is compared with. kind: "upper" (the metric cannot exceed it)
 * or "lower". basis says where it comes from ("min(k, 132 SMs / 66 per kernel)"). */
void results_bound(json_t *test, double value, const char *unit, const char *kind,
                   const char *basis);

/* A derived figure stored under "derived" (efficiency, recovered share, waves...). NaN: null. */
void results_derived(json_t *test, const char *key, double v);
void results_derived_str(json_t *test, const char *key, const char *v);

/* The verdict: status, the criterion it was judged by, and a sentence of detail (the reason a
 * figure misses, or why no bar applies). */
void results_verdict(json_t *test, enum verdict_status status, const char *criterion,
                     const char *detail);

/* Records something that was not measured and why ("no GPU", "cuBLAS not found"). */
void results_skip(json_t *doc, const char *what, const char *why);

/* The test with this id, or NULL (borrowed reference). */
json_t *results_find_test(const json_t *doc, const char *id);
/* A derived number of a test; NAN when the test or the value is missing or not a number. */
double results_derived_num(const json_t *test, const char *key);

/*
 * Serialises with JS_DUMP_FLAGS and a final newline to path via a temp file in the same
 * directory, fsync(2) and rename(2): readers never see half a document, and on any failure
 * the temp file is removed and an existing file at path is left as it was (ERR_IO). path "-"
 * writes to stdout. The document is not checked here: a caller that wants that runs
 * results_check() first.
 */
int results_write(struct error *err, const json_t *doc, const char *path);

/*
 * Parses path ("-": stdin) and checks it with results_check(). Returns a new reference, or
 * NULL with err set: ERR_IO when the file cannot be opened or read, ERR_INVALID for syntax
 * ("'<file>' line L column C: <parser text>"; duplicate keys are syntax errors) and for
 * documents results_check() refuses.
 */
json_t *results_load(struct error *err, const char *path);

/* results_load() on len bytes in memory; name stands for the file in messages. */
json_t *results_loadb(struct error *err, const char *buf, size_t len, const char *name);

/*
 * Checks a parsed document against every rule the later stages rely on (docs/results.md):
 * the exact schema id, keys and JSON types, unique test ids, summaries consistent with their
 * samples, the verdict, bound and metric enumerations, and the "info" member. Returns 0, or
 * -1 with ERR_INVALID and a message "'<where>': tests[3] ('id'): what is wrong".
 */
int results_check(struct error *err, const json_t *doc, const char *where);

/* Summary helper shared by the builders: {"n","median","min","max","p10","p90","mean"}. */
json_t *results_summary_json(const struct summary *s);

#endif
