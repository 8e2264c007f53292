/*
 * libFuzzer harness for the fleet document: arbitrary bytes through fleet_loadb() (parser and
 * fleet_check()), and, when they are a valid results document, through fleet_merge(). Besides
 * crashes and leaks it traps broken contracts: an accepted fleet document survives being
 * written and read back byte for byte, and every merge either refuses with ERR_INVALID or
 * gives a document fleet_check() accepts.
 */
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
    char *once = json_dumps(f, RESULTS_DUMP_FLAGS), *twice;
    json_t *back;

    fuzz_require(once != NULL, "cannot serialise an accepted fleet document", "");
    back = fleet_loadb(&err, once, strlen(once), "reserialised");
    fuzz_require(back != NULL, "a written fleet document is refused", err.msg);
    twice = json_dumps(back, RESULTS_DUMP_FLAGS);
    fuzz_require(twice != NULL && strcmp(once, twice) == 0, "second writing differs", once);
    free(twice);
    json_decref(back);
    free(once);
}

/* The document alone, and beside a copy of itself as another GPU on another host. */
static void fuzz_merge(const json_t *doc)
{
    struct fleet_opts o = {.tolerance = 0.1, .git_dirty = 0, .utc = "2026-11-24T02:30:00Z"};
    struct fleet_input in[2] = {{"a.json", doc}, {"b.json", NULL}};
    json_t *other = json_deep_copy(doc), *info = json_object_get(other, "info"), *f;
    struct error err;

    if (json_is_object(info)) {
        json_object_set_new(info, "uuid", json_string("GPU-fuzz-other"));
        json_object_set_new(json_object_get(other, "run"), "host", json_string("fuzz-other"));
    }
    in[1].doc = other;
    for (size_t n = 1; n <= 2; n++) {
        f = fleet_merge(&err, &o, in, n);
        if (f == NULL) {
            fuzz_check_error(&err, ERR_INVALID, "merge refusal");
            continue;
        }
        fuzz_require(fleet_check(&err, f, "merged") == 0, "a merge fails fleet_check", err.msg);
        fuzz_reserialise(f);
        json_decref(f);
    }
    json_decref(other);
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
