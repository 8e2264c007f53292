/*
 * libFuzzer harness for the fleet document: arbitrary bytes through fleet_loadb() (parser and
 * fleet_check()), and, when they are a valid results document, through fleet_merge(): alone,
 * beside another GPU, beside another benchmark of the same GPU (one node of two documents),
 * and twice (the same tests of one GPU, a duplicate unless it has none). Besides crashes and
 * leaks it traps broken contracts: an accepted fleet document survives being written and read
 * back byte for byte, every merge either refuses with ERR_INVALID or gives a document
 * fleet_check() accepts, and the document given twice is refused exactly when it has tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define FUZZ_NAME "fuzz_fleet"
#define FUZZ_SUBJECT "input"
#include "fuzz_check.h"

#include "core/error.h"
#include "fleet/merge.h"
#include "results/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Written and read back, an accepted document gives the same bytes the second time. */
static void fuzz_reserialise(const json_t *f)
{
    struct error err;
    char *once = json_dumps(f, JS_DUMP_FLAGS), *twice;
    json_t *back;

    fuzz_require(once != NULL, "cannot serialise an accepted fleet document", "");
    back = fleet_loadb(&err, once, strlen(once), "reserialised");
    fuzz_require(back != NULL, "a written fleet document is refused", err.msg);
    twice = json_dumps(back, JS_DUMP_FLAGS);
    fuzz_require(twice != NULL && strcmp(once, twice) == 0, "second writing differs", once);
    free(twice);
    json_decref(back);
    free(once);
}

/* A merge of in[0..n): refused with ERR_INVALID, or a document fleet_check() accepts and that
 * survives a round trip. Returns whether it merged. */
static bool fuzz_merge_some(const struct fleet_input *in, size_t n)
{
    struct fleet_opts o = {.tolerance = 0.1, .git_dirty = 0, .utc = "2026-11-24T02:30:00Z"};
    struct error err;
    json_t *f = fleet_merge(&err, &o, in, n);

    if (f == NULL) {
        fuzz_check_error(&err, ERR_INVALID, "merge refusal");
        return false;
    }
    fuzz_require(fleet_check(&err, f, "merged") == 0, "a merge fails fleet_check", err.msg);
    fuzz_reserialise(f);
    json_decref(f);
    return true;
}

/* A copy of doc as measured on another GPU of another host. */
static json_t *other_gpu(const json_t *doc)
{
    json_t *other = json_deep_copy(doc), *info = json_object_get(other, "info");

    if (json_is_object(info)) {
        json_object_set_new(info, "uuid", json_string("GPU-fuzz-other"));
        json_object_set_new(json_object_get(other, "run"), "host", json_string("fuzz-other"));
    }
    return other;
}

/* A copy of doc as another benchmark of the same GPU: every test id made new. */
static json_t *other_benchmark(const json_t *doc)
{
    json_t *other = json_deep_copy(doc), *t;
    size_t i;

    json_array_foreach (json_object_get(other, "tests"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        size_t len = id != NULL ? strlen(id) : 0;
        char *renamed = malloc(len + 7);

        if (renamed == NULL)
            abort();
        memcpy(renamed, "other.", 6);
        memcpy(renamed + 6, id != NULL ? id : "", len + 1);
        json_object_set_new(t, "id", json_string(renamed));
        free(renamed);
    }
    return other;
}

static void fuzz_merge(const json_t *doc)
{
    json_t *gpu = other_gpu(doc), *bench = other_benchmark(doc);
    struct fleet_input in[2] = {{"a.json", doc}, {"b.json", gpu}};
    struct fleet_input same[2] = {{"a.json", doc}, {"c.json", bench}};
    struct fleet_input twice[2] = {{"a.json", doc}, {"d.json", doc}};
    bool alone = fuzz_merge_some(in, 1);

    fuzz_merge_some(in, 2);
    fuzz_merge_some(same, 2);
    // Alone it merged, so twice it differs only in its tests being there twice.
    if (alone)
        fuzz_require(fuzz_merge_some(twice, 2) ==
                         (json_array_size(json_object_get(doc, "tests")) == 0),
                     "a document given twice is merged with tests, or refused without", "");
    json_decref(gpu);
    json_decref(bench);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    json_t *f, *doc;

    f = fleet_loadb(&err, (const char *)data, size, "fuzz");
    if (f != NULL) {
        fuzz_reserialise(f);
        json_decref(f);
    } else
        fuzz_require(err.code == ERR_INVALID && err.msg[0] != '\0', "refusal without a message",
                     "");
    doc = results_loadb(&err, (const char *)data, size, "fuzz");
    if (doc != NULL) {
        fuzz_merge(doc);
        json_decref(doc);
    }
    return 0;
}
