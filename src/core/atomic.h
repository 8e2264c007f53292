/*
 * Files written whole or not at all: the bytes go to a temporary file in the target's
 * directory, which is fsync'd and renamed over the target (rename(2) is atomic within one
 * directory), then the directory is fsync'd. A reader sees the old file or the new one, never
 * a part. Several files are staged first and renamed together, so a failure while writing
 * any of them replaces none.
 */
#ifndef GPUSHARE_CORE_ATOMIC_H
#define GPUSHARE_CORE_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

#define ATOMIC_PATH_MAX 4096

struct staged_file {
    char path[ATOMIC_PATH_MAX];
    char tmp[ATOMIC_PATH_MAX]; /* "" when nothing is staged */
};

/* Writes data to a temporary file beside path with the given mode (ERR_IO on failure,
 * nothing left behind). */
int atomic_stage(struct error *err, const char *path, const char *data, size_t len, mode_t mode,
                 struct staged_file *s);
/* Renames the staged file over its target. */
int atomic_commit(struct error *err, struct staged_file *s);
/* Removes a staged file that will not be committed; safe on a zeroed or committed one. */
void atomic_discard(struct staged_file *s);

/* Stage and commit one file. */
int atomic_write(struct error *err, const char *path, const char *data, size_t len, mode_t mode);

#endif
