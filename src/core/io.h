/*
 * Whole writes to a file descriptor: write(2) may write less than asked, and a signal may
 * interrupt it; both mean "go on", not "fail". And whole reads of a bounded file.
 */
#ifndef GPUSHARE_CORE_IO_H
#define GPUSHARE_CORE_IO_H

#include <stddef.h>

#include "core/error.h"

/* Writes all len bytes, retrying short writes and EINTR. 0, or -1 with errno set. */
int io_write_all(int fd, const void *buf, size_t len);

/*
 * Reads the regular file at path whole into a malloc'd buffer with a NUL after its len bytes
 * (the caller frees *buf). shown is what messages call the file. ERR_IO when it cannot be
 * opened or read ("cannot open 'F': No such file or directory", "cannot read 'F': Is a
 * directory"); ERR_INVALID when it is larger than max bytes ("'F' is larger than 32 MiB: not
 * a WHAT", what saying what it should have been).
 */
int io_read_file(struct error *err, const char *path, const char *shown, size_t max,
                 const char *what, char **buf, size_t *len);

#endif
