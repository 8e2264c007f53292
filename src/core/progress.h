/*
 * Progress lines on stderr during long work: "gpushare: [  12.3 s] message".
 * stdout stays clean for tables and JSON. The level is one of the two mutable
 * globals the house style allows (with the NVML table).
 */
#ifndef GPUSHARE_CORE_PROGRESS_H
#define GPUSHARE_CORE_PROGRESS_H

#include <stdbool.h>

void progress_set_quiet(bool quiet);
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
