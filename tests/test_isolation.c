/*
 * Unit tests for bench/isolation: the records a run leaves, the matrix read back from a checked
 * document, and the verdict against the published claims, including outcomes that contradict
 * them and one that settles a conflict between two NVIDIA sources.
 */
#include "bench/isolation.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "check.h"
#include "proc.h"
#include "results/results.h"

static const struct run_meta meta = {.tool_version = "0.1.0",
                                     .git_commit = "0000000",
                                     .git_dirty = 0,
                                     .utc_time = "2026-12-08T00:00:00Z",
                                     .host = "test",
                                     .command = "bench isolation"};

static const struct iso_fault mps_fault = {
    .kind = "illegal-address",
    .error = "cudaErrorLaunchFailure",
    .at = "cudaStreamSynchronize",
    .victim_continues = 0,
    .new_process_ok = 1,
    .server_survived = 1,
    .recovery_ms = {812, 790},
    .trials = 2,
};

/* A document as a run on a card would leave it: the MPS rows as the MPS doc says, time-slicing
 * containing the fault, and streams sharing no memory trouble (contradicting its claim). */
static json_t *recorded(void)
{
    struct iso_fault ts_fault = mps_fault, trap = mps_fault;
    struct iso_memory limited = {.neighbour_gib = 10,
                                 .victim_failed = 0,
                                 .limit_held = 1,
                                 .victim_mib = {60000, 60100},
                                 .trials = 2};
    struct iso_memory streams_mem = limited;
    const double alone[] = {305, 310, 300}, beside[] = {7800, 7900, 7700};
    json_t *doc = results_new(&meta, NULL);
    struct error err = {0};

    ts_fault.error = "none";
    ts_fault.at = "";
    ts_fault.victim_continues = 1;
    ts_fault.server_survived = -1;
    trap.kind = "trap";
    streams_mem.limit_held = -1;
    if (iso_record_fault(&err, doc, ISO_MPS, &mps_fault) < 0 ||
        iso_record_fault(&err, doc, ISO_MPS, &trap) < 0 ||
        iso_record_fault(&err, doc, ISO_TIMESLICE, &ts_fault) < 0 ||
        iso_record_memory(&err, doc, ISO_MPS_LIMITS, &limited) < 0 ||
        iso_record_memory(&err, doc, ISO_STREAMS, &streams_mem) < 0 ||
        iso_record_perf(&err, doc, ISO_MPS, alone, beside, 3) < 0)
        fail_msg("recording: %s", err.msg);
    return doc;
}

/* What is recorded is a valid results document. */
static void test_records_check(void **state)
{
    json_t *doc = recorded();
    struct error err = {0};

    (void)state;
    if (results_check(&err, doc, "isolation") < 0)
        fail_msg("%s", err.msg);
    assert_non_null(results_find_test(doc, "isolation.mps.fault.illegal-address"));
    assert_non_null(results_find_test(doc, "isolation.mps.fault.trap"));
    assert_non_null(results_find_test(doc, "isolation.mps-limits.memory"));
    check_close(results_derived_num(results_find_test(doc, "isolation.mps.perf"), "inflation"),
                7800.0 / 305, 1e-6, "inflation", 0);
    json_decref(doc);
}

static const struct {
    enum iso_mode m;
    enum iso_prop p;
    enum iso_level measured;
    enum iso_verdict verdict;
} cells[] = {
    {ISO_MPS, ISO_FAULT, ISO_NOT_ISOLATED, ISO_AGREES},
    {ISO_TIMESLICE, ISO_FAULT, ISO_ISOLATED, ISO_SETTLES},
    {ISO_MPS_LIMITS, ISO_MEMORY, ISO_ISOLATED, ISO_AGREES},
    /* The claim says streams share their memory trouble; this record says otherwise. */
    {ISO_STREAMS, ISO_MEMORY, ISO_ISOLATED, ISO_CONTRADICTS},
    {ISO_MPS, ISO_PERF, ISO_NOT_ISOLATED, ISO_AGREES},
    {ISO_MIG, ISO_FAULT, ISO_UNKNOWN, ISO_NOT_MEASURED},
    {ISO_STREAMS, ISO_PERF, ISO_UNKNOWN, ISO_NOT_MEASURED},
};

static void test_matrix(void **state)
{
    json_t *doc = recorded();
    struct iso_matrix mx;

    (void)state;
    iso_matrix_of(doc, &mx);
    for (size_t i = 0; i < COUNT(cells); i++) {
        const struct iso_cell *c = &mx.cell[cells[i].m][cells[i].p];

        if (c->measured != cells[i].measured || c->verdict != cells[i].verdict)
            fail_msg("case %zu (%s, %s): %s (%s), want %s (%s)", i, iso_mode_name(cells[i].m),
                     iso_prop_name(cells[i].p), iso_level_name(c->measured),
                     iso_verdict_name(c->verdict), iso_level_name(cells[i].measured),
                     iso_verdict_name(cells[i].verdict));
        assert_non_null(c->claim);
        assert_true(c->claim->source[0] != '\0');
    }
    /* Two fault runs under MPS: both outcomes are kept in the cell's words. */
    assert_non_null(strstr(mx.cell[ISO_MPS][ISO_FAULT].outcome, "; "));
    assert_false(mx.emulated_mig);
    json_decref(doc);
}

/* A property with one contained and one uncontained fault run is not isolated. */
static void test_worse_run_wins(void **state)
{
    struct iso_fault ok = mps_fault;
    json_t *doc = results_new(&meta, NULL);
    struct error err = {0};
    struct iso_matrix mx;

    (void)state;
    ok.error = "none";
    ok.victim_continues = 1;
    ok.kind = "trap";
    assert_int_equal(iso_record_fault(&err, doc, ISO_TIMESLICE, &ok), 0);
    assert_int_equal(iso_record_fault(&err, doc, ISO_TIMESLICE, &mps_fault), 0);
    iso_matrix_of(doc, &mx);
    assert_int_equal(mx.cell[ISO_TIMESLICE][ISO_FAULT].measured, ISO_NOT_ISOLATED);
    json_decref(doc);
}

static void test_agreement(void **state)
{
    static const struct iso_claim yes = {ISO_ISOLATED, "x", "s"}, no = {ISO_NOT_ISOLATED, "x", "s"},
                                  both = {ISO_CONFLICT, "x", "s"}, none = {ISO_UNKNOWN, "x", ""};

    (void)state;
    assert_int_equal(iso_agreement(&yes, ISO_ISOLATED), ISO_AGREES);
    assert_int_equal(iso_agreement(&yes, ISO_NOT_ISOLATED), ISO_CONTRADICTS);
    assert_int_equal(iso_agreement(&no, ISO_ISOLATED), ISO_CONTRADICTS);
    assert_int_equal(iso_agreement(&both, ISO_NOT_ISOLATED), ISO_SETTLES);
    assert_int_equal(iso_agreement(&none, ISO_ISOLATED), ISO_NOT_MEASURED);
    assert_int_equal(iso_agreement(&yes, ISO_UNKNOWN), ISO_NOT_MEASURED);
    /* Every published claim names its source. */
    for (int m = 0; m < ISO_MODES; m++)
        for (int p = 0; p < ISO_PROPS; p++)
            assert_true(iso_claim((enum iso_mode)m, (enum iso_prop)p)->source[0] != '\0');
    assert_string_equal(iso_claim(ISO_MODES, ISO_FAULT)->text, "no claim published");
}

/* The text leads with the count of claims that held and did not. */
static void test_print(void **state)
{
    json_t *doc = recorded();
    struct iso_matrix mx;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    (void)state;
    iso_matrix_of(doc, &mx);
    iso_matrix_print(f, &mx);
    fclose(f);
    if (strncmp(text,
                "Isolation: 3 published claims held here, 1 did not, 1 conflicting claim "
                "settled",
                strlen("Isolation: 3 published claims")) != 0)
        fail_msg("leads with: %.120s", text);
    assert_non_null(strstr(text, "1 did not"));
    assert_non_null(strstr(text, "mps, fault: the victim got cudaErrorLaunchFailure at "
                                 "cudaStreamSynchronize and had to restart"));
    assert_non_null(strstr(text, "streams, memory:"));
    assert_non_null(strstr(text, "contradicts"));
    free(text);
    json_decref(doc);
}

/* A run that measured nothing is refused, not recorded as a zero. */
static void test_no_trials(void **state)
{
    json_t *doc = results_new(&meta, NULL);
    struct iso_fault f = mps_fault;
    struct error err = {0};

    (void)state;
    f.trials = 0;
    assert_int_equal(iso_record_fault(&err, doc, ISO_MPS, &f), -1);
    assert_int_equal(iso_record_perf(&err, doc, ISO_MPS, NULL, NULL, 0), -1);
    assert_int_equal(err.code, ERR_INVALID);
    json_decref(doc);
}

/* gpushare show prints the matrix of a document with isolation tests, after its table. */
static void test_show(void **state)
{
    const char *path = "build/test-out/isolation-recorded.json";
    const char *args[] = {"show", path, NULL};
    json_t *doc = recorded();
    struct error err = {0};
    struct proc r;

    (void)state;
    mkdir("build", 0755);
    mkdir("build/test-out", 0755);
    unlink(path);
    if (results_write(&err, doc, path) < 0)
        fail_msg("%s", err.msg);
    json_decref(doc);
    proc_gpushare(&r, args, &(struct proc_opts){.tmp_dir = "build/test-out"});
    expect_status(&r, 0, "show");
    expect_in(r.out, "isolation.fault", "the table");
    expect_in(r.out, "Isolation: 3 published claims held here, 1 did not", "the matrix");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_check),  cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_worse_run_wins), cmocka_unit_test(test_agreement),
        cmocka_unit_test(test_print),          cmocka_unit_test(test_no_trials),
        cmocka_unit_test(test_show),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
