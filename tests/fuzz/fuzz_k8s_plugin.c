/*
 * libFuzzer harness for emit/k8s_plugin. Arbitrary bytes go to k8s_dp_parse: a refusal must be
 * ERR_INVALID in git's style naming the file and a line, with *out zeroed; an accepted config
 * must pass k8s_dp_check (every rule of k8s-mig-facts.md section 1.3) once named, and written
 * back with k8s_dp_yaml it must read back as itself, normalized. The input's first line is also
 * taken as a config name: k8s_label_value_check is judged by a reference written here, and an
 * accepted name goes into the label script and the ConfigMap unchanged.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "emit/k8s_plugin.h"

#define FUZZ_NAME "fuzz_k8s_plugin"
#define FUZZ_SUBJECT "input"
#include "fuzz_check.h"

#define FUZZ_FILE "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_line_refusal(const struct error *err, const char *subject)
{
    fuzz_check_yaml_refusal(err, FUZZ_FILE, subject);
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
    static const struct k8s_dp_config zero;
    struct k8s_dp_config out, want, again;
    struct error err = {0};
    char *y;

    memset(&out, 0xa5, sizeof(out));
    if (k8s_dp_parse(&err, (const char *)data, size, FUZZ_FILE, &out) != 0) {
        fuzz_check_line_refusal(&err, "parse");
        fuzz_require(memcmp(&out, &zero, sizeof(out)) == 0, "out not zeroed after a refusal",
                     "parse");
        return;
    }
    fuzz_require(out.name[0] == '\0', "the reader set a name", "parse");
    fuzz_require(out.n_resources <= K8S_DP_MAX_RESOURCES, "too many resources", "parse");
    for (size_t i = 0; i < out.n_resources; i++)
        fuzz_require(strnlen(out.resources[i].name, sizeof(out.resources[i].name)) <
                         sizeof(out.resources[i].name),
                     "resource name unterminated", "parse");
    memcpy(out.name, "x", 2);
    fuzz_require(k8s_dp_check(&err, &out) == 0, "accepted a config k8s_dp_check refuses", err.msg);

    // Written back, it reads back as itself (failRequestsGreaterThanOne resolved).
    want = out;
    k8s_dp_normalize(&want);
    y = k8s_dp_yaml(&err, &out);
    fuzz_require(y != NULL, "accepted a config k8s_dp_yaml cannot write", err.msg);
    fuzz_require(k8s_dp_parse(&err, y, strlen(y), FUZZ_FILE, &again) == 0,
                 "the written config does not read back", err.msg);
    memcpy(again.name, "x", 2);
    fuzz_require(k8s_dp_equal(&again, &want), "the written config reads back otherwise", y);
    free(y);
}

static bool ref_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A label value: 1 to 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static bool ref_label_value(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 63 || !ref_alnum(s[0]) || !ref_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!ref_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static void fuzz_name(const uint8_t *data, size_t size)
{
    struct k8s_dp_config c = {.fail_requests_gt_one = -1};
    struct error err = {0};
    char name[80], want[128];
    size_t k = 0;
    bool ok;
    char *s;

    while (k < size && k < sizeof(name) - 1 && data[k] != '\n' && data[k] != '\0') {
        name[k] = (char)data[k];
        k++;
    }
    name[k] = '\0';
    ok = ref_label_value(name);
    fuzz_require((k8s_label_value_check(&err, "config name", name) == 0) == ok,
                 "label value check disagrees with the reference", name);
    if (!ok) {
        fuzz_check_refusal(&err, ERR_USAGE, name);
        fuzz_require(k8s_label_script(&err, name, NULL) == NULL, "script for a bad name", name);
        return;
    }
    s = k8s_label_script(&err, "c", name);
    fuzz_require(s != NULL, "no script for a good name", name);
    snprintf(want, sizeof(want), " nvidia.com/mig.config=%s --overwrite\n", name);
    fuzz_require(strstr(s, want) != NULL, "the script does not hold the name as given", name);
    free(s);
    memcpy(c.name, name, k + 1);
    s = k8s_dp_configmap(&err, "gpushare", "default", &c, 1);
    fuzz_require(s != NULL, "no ConfigMap for a good name", name);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse(data, size);
    fuzz_name(data, size);
    return 0;
}
