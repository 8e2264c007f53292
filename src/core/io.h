/*
 * Whole writes to a file descriptor: write(2) may write less than asked, and a signal may
 * interrupt it; both mean "go on", not "fail".
 */
#ifndef GPUSHARE_CORE_IO_H
#define GPUSHARE_CORE_IO_H

#include <stddef.h>

/* Writes all len bytes, retrying short writes and EINTR. 0, or -1 with errno set. */
int io_write_all(int fd, const void *buf, size_t len);

#endif
