/*
 * A set of files written into a directory together, all or none as far as POSIX allows: the
 * directory and the subdirectories the files need are made when missing (and removed again on
 * failure); existing files are refused unless forced; every file is staged (core/atomic.h)
 * before any is renamed into place; the files to be replaced are kept as hard links until all
 * renames succeed, and a failed rename undoes the ones done. Only a crash between the renames
 * leaves a mix, with hidden temporary files (".NAME.XXXXXX", ".NAME.XXXXXX.old") beside them.
 */
#ifndef GPUSHARE_CORE_FILESET_H
#define GPUSHARE_CORE_FILESET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

#define FILESET_MAX 16

struct fileset_file {
    const char *name; /* relative to the directory: "x.yaml" or one level deeper, "sub/x.yaml" */
    const char *text;
    mode_t mode;
};

/* Writes the n files (at most FILESET_MAX) into dir. ERR_IO with the path and the cause; the
 * message ends in "every file is as it was" when a failed rename was undone. */
int fileset_write(struct error *err, const char *dir, const struct fileset_file *files, size_t n,
                  bool force);

/*
 * A directory of files from several writers, all or nothing: fileset_dir_begin() makes a
 * private directory beside dir ("DIR.gpushare-XXXXXX", mode 0755; the directories above dir are
 * made where missing) for them to write into, and
 * *tmp holds its path; fileset_dir_commit() puts it in dir's place (an existing dir only with
 * force, swapped out by renames and then removed); fileset_dir_abort() removes it and what it
 * holds. ERR_IO naming the path and the cause.
 */
int fileset_dir_begin(struct error *err, const char *dir, bool force, char *tmp, size_t size);
int fileset_dir_commit(struct error *err, const char *tmp, const char *dir);
void fileset_dir_abort(const char *tmp);

#endif
