/*
 * The compact stdout table of a results document: what was measured, the
 * figure (median with its p10-p90 spread), the bound, the verdict. Works on
 * any saved document, so `gpushare show` and `bench` print the same thing.
 */
#ifndef GPUSHARE_RESULTS_TABLE_H
#define GPUSHARE_RESULTS_TABLE_H

#include <stdio.h>

#include <jansson.h>

/* Prints every test grouped by "group", then what was skipped. */
void results_print_table(FILE *f, const json_t *doc);

#endif
