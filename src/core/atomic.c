/*
 * Atomic file writes (core/atomic.h).
 */
#include "core/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io.h"

/* The directory part of path into dir: ".", "/" or the prefix before the last '/'. */
static int split_dir(struct error *err, const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;

    if (path[0] == '\0' || base[0] == '\0')
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(EISDIR));
    if (slash == NULL)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else if ((size_t)(slash - path) < size)
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
    else
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(ENAMETOOLONG));
    return 0;
}

int atomic_stage(struct error *err, const char *path, const char *data, size_t len, mode_t mode,
                 struct staged_file *s)
{
    char dir[ATOMIC_PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    s->tmp[0] = '\0';
    if (split_dir(err, path, dir, sizeof(dir)) < 0)
        return -1;
    if (snprintf(s->path, sizeof(s->path), "%s", path) >= (int)sizeof(s->path) ||
        snprintf(s->tmp, sizeof(s->tmp), "%s/.%s.XXXXXX", dir, slash != NULL ? slash + 1 : path) >=
            (int)sizeof(s->tmp)) {
        s->tmp[0] = '\0';
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(ENAMETOOLONG));
    }
    fd = mkstemp(s->tmp);
    if (fd < 0) {
        error_set(err, ERR_IO, "cannot create a temporary file in '%s': %s", dir, strerror(errno));
        s->tmp[0] = '\0';
        return -1;
    }
    /* mkstemp makes the file 0600; what we write is for everyone to read. */
    errno = 0;
    if (fchmod(fd, mode) < 0 || io_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        error_set(err, ERR_IO, "cannot write '%s': %s", s->tmp, strerror(errno ? errno : EIO));
        close(fd);
        atomic_discard(s);
        return -1;
    }
    if (close(fd) < 0) {
        error_set(err, ERR_IO, "cannot write '%s': %s", s->tmp, strerror(errno));
        atomic_discard(s);
        return -1;
    }
    return 0;
}

/* Best effort: makes the rename itself durable. A failure here loses nothing written. */
static void sync_dir(const char *path)
{
    char dir[ATOMIC_PATH_MAX];
    int fd;

    if (split_dir(NULL, path, dir, sizeof(dir)) < 0)
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int atomic_commit(struct error *err, struct staged_file *s)
{
    if (rename(s->tmp, s->path) < 0) {
        error_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", s->tmp, s->path, strerror(errno));
        atomic_discard(s);
        return -1;
    }
    s->tmp[0] = '\0';
    sync_dir(s->path);
    return 0;
}

void atomic_discard(struct staged_file *s)
{
    if (s->tmp[0] != '\0')
        unlink(s->tmp);
    s->tmp[0] = '\0';
}

int atomic_write(struct error *err, const char *path, const char *data, size_t len, mode_t mode)
{
    struct staged_file s;

    if (atomic_stage(err, path, data, len, mode, &s) < 0)
        return -1;
    return atomic_commit(err, &s);
}
