/*
 * libFuzzer harness for emit/migparted's reader: arbitrary bytes go to migparted_parse, for
 * config "x" and for the first config name the input seems to hold (the first line indented
 * by two spaces, up to its ':'). Refusals must be ERR_INVALID in git's style naming the file
 * and a line, with *n back at 0; accepted entries must keep mig-parted's rules
 * (k8s-mig-facts.md section 2.1) and the caller's bound, never writing past it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "emit/migparted.h"
#include "mig/profile.h"

#define FUZZ_NAME "fuzz_migparted"
#define FUZZ_SUBJECT "config"
#include "fuzz_check.h"

#define FUZZ_FILE "fuzz.yaml"
#define FUZZ_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_line_refusal(const struct error *err, size_t n, const char *name)
{
    fuzz_require(n == 0, "*n not 0 after a refusal", name);
    fuzz_check_yaml_refusal(err, FUZZ_FILE, name);
}

static void fuzz_check_entry(const struct migparted_entry *e, const char *name)
{
    struct error err = {0};
    struct mig_profile_name pn;
    unsigned long total = 0;

    fuzz_require(e->n_filters <= 4, "more than 4 device filters", name);
    for (size_t i = 0; i < e->n_filters; i++)
        fuzz_require(strnlen(e->device_filter[i], sizeof(e->device_filter[i])) <
                         sizeof(e->device_filter[i]),
                     "device filter unterminated", name);
    fuzz_require(e->n_devices <= 16, "more than 16 devices", name);
    fuzz_require(!e->all_devices || e->n_devices == 0, "devices both all and a list", name);
    fuzz_require(e->n_mig_devices <= MIG_MAX_PROFILES, "too many mig-devices", name);
    fuzz_require(e->mig_enabled || e->n_mig_devices == 0, "mig-devices while disabled", name);
    for (size_t i = 0; i < e->n_mig_devices; i++) {
        const char *p = e->mig_devices[i].profile;

        fuzz_require(strnlen(p, sizeof(e->mig_devices[i].profile)) <
                         sizeof(e->mig_devices[i].profile),
                     "profile unterminated", name);
        fuzz_require(mig_profile_parse(&err, p, &pn) == 0, "profile not in the grammar", name);
        fuzz_require(e->mig_devices[i].count <= 1000000, "count out of range", name);
        total += e->mig_devices[i].count;
    }
    fuzz_require(e->n_mig_devices == 0 || total > 0, "all counts 0 accepted", name);
}

/* Parses with room for FUZZ_MAX entries and for 1, a canary past each bound. */
static void fuzz_parse(const uint8_t *data, size_t size, const char *name)
{
    struct migparted_entry out[FUZZ_MAX + 1], one[2], canary;
    struct error err = {0};
    size_t n = 12345, n1 = 12345;
    int rc, rc1;

    memset(&canary, 0xa5, sizeof(canary));
    memcpy(&out[FUZZ_MAX], &canary, sizeof(canary));
    memcpy(&one[1], &canary, sizeof(canary));
    rc = migparted_parse(&err, (const char *)data, size, FUZZ_FILE, name, out, FUZZ_MAX, &n);
    fuzz_require(memcmp(&out[FUZZ_MAX], &canary, sizeof(canary)) == 0, "wrote past max", name);
    if (rc != 0) {
        fuzz_require(rc == -1, "refusal is not -1", name);
        fuzz_check_line_refusal(&err, n, name);
    } else {
        fuzz_require(n >= 1 && n <= FUZZ_MAX, "accepted entry count outside [1, max]", name);
        for (size_t i = 0; i < n; i++)
            fuzz_check_entry(&out[i], name);
    }

    // The same input with room for one: the same answer while it fits, else "more than 1".
    rc1 = migparted_parse(&err, (const char *)data, size, FUZZ_FILE, name, one, 1, &n1);
    fuzz_require(memcmp(&one[1], &canary, sizeof(canary)) == 0, "wrote past max 1", name);
    if (rc == 0 && n == 1) {
        fuzz_require(rc1 == 0 && n1 == 1, "max 1 refused a one-entry config", name);
        fuzz_require(memcmp(&one[0], &out[0], sizeof(one[0])) == 0, "max 1 read it otherwise",
                     name);
    } else {
        fuzz_require(rc1 == -1, "max 1 accepted what max 8 did not, or more than 1", name);
        fuzz_check_line_refusal(&err, n1, name);
        fuzz_require(rc != 0 || strstr(err.msg, "more than 1 entries") != NULL,
                     "max 1 refused a long config for another reason", name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[MIGPARTED_NAME_MAX + 1];
    const char *p = (const char *)data, *end = p + size;

    fuzz_parse(data, size, "x");
    // The first line that starts with exactly two spaces: a config name, block style.
    for (const char *line = p; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *eol = nl != NULL ? nl : end;

        if (eol - line > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
            size_t k = 0;

            while (line + 2 + k < eol && line[2 + k] != ':' && line[2 + k] != '\0' &&
                   k < sizeof(name) - 1) {
                name[k] = line[2 + k];
                k++;
            }
            name[k] = '\0';
            fuzz_parse(data, size, name);
            break;
        }
        line = eol + 1;
    }
    return 0;
}
