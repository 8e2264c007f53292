/*
 * libFuzzer harness for the results loader: arbitrary bytes through results_loadb() (parser
 * and results_check()) and the "info" member through gpu_info_from_json(). Besides crashes
 * and leaks it traps broken round trips: what the checker accepts must survive being written.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "gpu/info.h"
#include "results/info_json.h"
#include "results/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Accepted info must map back to the JSON it maps to: to_json(from_json(to_json(x))). */
static void fuzz_info(const json_t *j)
{
    static struct gpu_info a, b; /* about 10 KiB each: off the stack */
    struct error err;
    json_t *j2, *j3;

    if (gpu_info_from_json(&err, j, &a) < 0)
        return;
    j2 = gpu_info_to_json(&a);
    if (gpu_info_from_json(&err, j2, &b) < 0)
        abort();
    j3 = gpu_info_to_json(&b);
    if (!json_equal(j2, j3))
        abort();
    json_decref(j2);
    json_decref(j3);
}

/*
 * An accepted document can be written and read back, and the second writing gives the same
 * bytes as the first. (Not json_equal with the input: reals from outside are cut to
 * JS_REAL_DIGITS when written.)
 */
static void fuzz_reserialise(const json_t *doc)
{
    struct error err;
    char *once = json_dumps(doc, JS_DUMP_FLAGS), *twice;
    json_t *back;

    if (once == NULL)
        abort();
    back = results_loadb(&err, once, strlen(once), "reserialised");
    if (back == NULL)
        abort();
    twice = json_dumps(back, JS_DUMP_FLAGS);
    if (twice == NULL || strcmp(once, twice) != 0)
        abort();
    free(twice);
    json_decref(back);
    free(once);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    json_error_t jerr;
    json_t *doc, *raw;

    doc = results_loadb(&err, (const char *)data, size, "fuzz");
    if (doc != NULL) {
        fuzz_reserialise(doc);
        json_decref(doc);
    }
    // The info mapping on its own, whatever the rest of the document looks like.
    raw = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (raw != NULL) {
        const json_t *info = json_object_get(raw, "info");

        fuzz_info(info ? info : raw);
        json_decref(raw);
    }
    return 0;
}
