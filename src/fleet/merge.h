/*
 * The fleet document (gpushare.fleet/1, docs/fleet.md): the results documents of many nodes
 * merged into one file, one node per GPU. Each node keeps its identity (host, GPU UUID, PCI bus
 * id, model, driver) and every document measured on it whole (several benchmarks of one GPU
 * make one node); figures of GPUs of one model are set against their peers' median, and a GPU
 * that is worse by more than a tolerance is flagged. `gpushare fleet merge` writes it;
 * `gpushare mig plan --fleet` and `gpushare plan --results` read it.
 *
 * Pure logic over jansson and results/: no CUDA, no NVML.
 */
#ifndef GPUSHARE_FLEET_MERGE_H
#define GPUSHARE_FLEET_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "core/error.h"

#define FLEET_SCHEMA_ID "gpushare.fleet/1"
/* A figure is flagged when it is worse than its peers' median by more than this fraction. */
#define FLEET_DEFAULT_TOLERANCE 0.10
/* GPUs of one model that must have a figure before any of them can be called an outlier: with
 * two, the median is their mean and neither can be told from the other. */
#define FLEET_MIN_PEERS 3
/* Documents one merge takes. */
#define FLEET_MAX_INPUTS 4096

/* One input: the file it came from (for messages and the node's "file") and its document, a
 * results document already checked by results_check() (borrowed). */
struct fleet_input {
    const char *file;
    const json_t *doc;
};

/* How a merge runs. NULL strings take the build's version and commit and the current time;
 * git_dirty < 0 takes the build's flag. Tests inject fixed values for byte-stable output. */
struct fleet_opts {
    double tolerance; /* fraction, > 0: 0.10 for 10% */
    const char *tool_version;
    const char *git_commit;
    int git_dirty;
    const char *utc; /* RFC 3339 UTC, "2026-11-24T02:30:00Z" */
};

/*
 * Loads and checks each of n files with results_load() into docs[0..n). All or nothing: on
 * any failure the documents already loaded are released, docs[] is all NULL, and err says
 * which file and what is wrong (results_load()'s message, which names the file). Returns 0 or
 * -1 (ERR_IO, ERR_INVALID).
 */
int fleet_load_inputs(struct error *err, char *const *files, size_t n, json_t **docs)
    __attribute__((nonnull(1, 4), warn_unused_result));

/*
 * Merges n >= 1 inputs into a new fleet document (a new reference; the caller releases it),
 * or NULL with err set (ERR_INVALID). Documents of one GPU (the same host and UUID) make one
 * node. Refused: a document without a GPU ("info" null, or no name or UUID); a test that
 * another document of the same GPU has too ("'b.json': test 'x' is also in 'a.json' ..."); a
 * GPU on two hosts, or whose documents disagree on its name, PCI bus id, index or driver; more
 * than FLEET_MAX_INPUTS; a bad tolerance. Every message names the file. The result passes
 * fleet_check().
 */
json_t *fleet_merge(struct error *err, const struct fleet_opts *o, const struct fleet_input *in,
                    size_t n) __attribute__((nonnull(1, 2)));

/*
 * Checks a parsed fleet document (docs/fleet.md): the exact schema id, closed objects and
 * their JSON types, every embedded document through results_check() and against its node,
 * and that nodes, models, comparisons and flags agree with one another. 0, or -1 with
 * ERR_INVALID and a message "'<where>': nodes[2]: what is wrong".
 */
int fleet_check(struct error *err, const json_t *fleet, const char *where);

/* Parses path (doc_load(), results/doccheck.h) and checks it with fleet_check(); a new
 * reference, or NULL with err set: ERR_IO when unreadable, ERR_INVALID for syntax ("'<file>'
 * line L column C: ..."), a file over DOC_MAX_BYTES, or a refusal. */
json_t *fleet_load(struct error *err, const char *path);

/* fleet_load() on len bytes in memory; name stands for the file in messages. */
json_t *fleet_loadb(struct error *err, const char *buf, size_t len, const char *name);

/* The i-th results document of a node of a checked fleet document: 0 its "document", then
 * those of its "more_sources"; NULL past the last. *file (when file is not NULL) is the file
 * it came from. A reader of every figure of a node reads all of them. */
const json_t *fleet_node_document(const json_t *node, size_t i, const char **file);

/* The table of a checked fleet document: nodes, models and their peer status, flags. */
void fleet_print_table(FILE *f, const json_t *fleet);

#endif
