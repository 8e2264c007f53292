/*
 * A set of files written into a directory together (core/fileset.h).
 */
#include "core/fileset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/str.h"
#include "core/xalloc.h"

/*
 * Before any file is renamed into place, each file it will replace (not a directory: no rename
 * replaces one) is kept under a second name, a hard link beside its staged file, so that a
 * failed write can put it back without having touched it. ERR_IO when one cannot be kept.
 */
static int keep_old(struct error *err, char (*path)[ATOMIC_PATH_MAX],
                    const struct staged_file *staged, char (*old)[ATOMIC_PATH_MAX + 8], size_t n)
{
    struct stat st;

    for (size_t f = 0; f < n; f++) {
        if (lstat(path[f], &st) < 0) {
            if (errno == ENOENT)
                continue;
            return error_set(err, ERR_IO, "cannot read '%s': %s", path[f], strerror(errno));
        }
        if (S_ISDIR(st.st_mode))
            continue;
        str_printf(old[f], ATOMIC_PATH_MAX + 8, "%s.old", staged[f].tmp);
        if (link(path[f], old[f]) < 0) {
            error_set(err, ERR_IO, "cannot keep '%s' as '%s' to put it back on failure: %s",
                      path[f], old[f], strerror(errno));
            old[f][0] = '\0';
            return -1;
        }
    }
    return 0;
}

/* Undoes the renames done (done[f]): a replaced file is put back from its link, a new one is
 * removed. What cannot be undone is added to err's message, which keeps the first cause. */
static void undo_commits(struct error *err, char (*path)[ATOMIC_PATH_MAX],
                         char (*old)[ATOMIC_PATH_MAX + 8], const bool *done, size_t n)
{
    char msg[sizeof(err->msg)];
    bool clean = true;

    for (size_t f = n; f-- > 0;) {
        int rc;

        if (!done[f])
            continue;
        rc = old[f][0] != '\0' ? rename(old[f], path[f]) : unlink(path[f]);
        if (rc == 0) {
            old[f][0] = '\0';
            continue;
        }
        memcpy(msg, err->msg, sizeof(msg));
        if (old[f][0] != '\0')
            str_printf(err->msg, sizeof(err->msg), "%s; cannot put back '%s' (kept as '%s'): %s",
                       msg, path[f], old[f], strerror(errno));
        else
            str_printf(err->msg, sizeof(err->msg), "%s; cannot remove '%s': %s", msg, path[f],
                       strerror(errno));
        old[f][0] = '\0'; /* left for the user to see */
        clean = false;
    }
    if (clean) {
        memcpy(msg, err->msg, sizeof(msg));
        str_printf(err->msg, sizeof(err->msg), "%s; every file is as it was", msg);
    }
}

/* Best effort: makes the renames and removals in dir durable. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Everything one write holds: too large for the stack. */
struct fileset_work {
    struct staged_file staged[FILESET_MAX];
    char path[FILESET_MAX][ATOMIC_PATH_MAX], old[FILESET_MAX][ATOMIC_PATH_MAX + 8];
    bool done[FILESET_MAX];
    char made[FILESET_MAX + 1][ATOMIC_PATH_MAX]; /* directories made here, dir first */
    size_t n_made;
};

/* Makes path (one level) unless it is a directory already; remembers what it made. */
static int need_dir(struct error *err, const char *path, struct fileset_work *w)
{
    struct stat st;

    for (size_t i = 0; i < w->n_made; i++)
        if (strcmp(w->made[i], path) == 0)
            return 0;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode)
                   ? 0
                   : error_set(err, ERR_IO, "'%s' exists and is not a directory", path);
    if (errno != ENOENT || mkdir(path, 0755) < 0)
        return error_set(err, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    str_printf(w->made[w->n_made++], ATOMIC_PATH_MAX, "%s", path);
    return 0;
}

/* The file paths, and the directories they need. */
static int prepare(struct error *err, const char *dir, const struct fileset_file *files, size_t n,
                   struct fileset_work *w)
{
    if (n == 0 || n > FILESET_MAX || strlen(dir) + 64 >= ATOMIC_PATH_MAX)
        return error_set(err, ERR_IO, "cannot write %zu files into '%.60s'", n, dir);
    if (need_dir(err, dir, w) < 0)
        return -1;
    for (size_t f = 0; f < n; f++) {
        const char *slash = strchr(files[f].name, '/');
        char sub[ATOMIC_PATH_MAX];

        str_printf(w->path[f], ATOMIC_PATH_MAX, "%s/%s", dir, files[f].name);
        if (slash == NULL)
            continue;
        str_printf(sub, sizeof(sub), "%s/%.*s", dir, (int)(slash - files[f].name), files[f].name);
        if (need_dir(err, sub, w) < 0)
            return -1;
    }
    return 0;
}

static int write_set(struct error *err, const struct fileset_file *files, size_t n, bool force,
                     struct fileset_work *w)
{
    struct stat st;

    for (size_t f = 0; !force && f < n; f++)
        if (lstat(w->path[f], &st) == 0)
            return error_set(err, ERR_IO, "'%s' exists: pass --force to replace it", w->path[f]);
    for (size_t f = 0; f < n; f++)
        if (atomic_stage(err, w->path[f], files[f].text, strlen(files[f].text), files[f].mode,
                         &w->staged[f]) < 0)
            return -1;
    /* Without --force none exists; one that appeared since is kept all the same. */
    if (keep_old(err, w->path, w->staged, w->old, n) < 0)
        return -1;
    for (size_t f = 0; f < n; f++) {
        if (rename(w->staged[f].tmp, w->path[f]) < 0) {
            error_set(err, ERR_IO, "cannot put the new '%s' in place: %s", w->path[f],
                      strerror(errno));
            undo_commits(err, w->path, w->old, w->done, n);
            return -1;
        }
        w->staged[f].tmp[0] = '\0';
        w->done[f] = true;
    }
    return 0;
}

int fileset_write(struct error *err, const char *dir, const struct fileset_file *files, size_t n,
                  bool force)
{
    struct fileset_work *w = xcalloc(1, sizeof(*w));
    int rc;

    rc = prepare(err, dir, files, n, w);
    if (rc == 0)
        rc = write_set(err, files, n, force, w);
    for (size_t i = 0; i < w->n_made; i++)
        sync_dir(w->made[i]);
    sync_dir(dir);
    for (size_t f = 0; f < n && f < FILESET_MAX; f++) {
        atomic_discard(&w->staged[f]);
        if (w->old[f][0] != '\0')
            unlink(w->old[f]);
    }
    /* Made here and the write failed: the directories go again, deepest first. */
    for (size_t i = w->n_made; rc < 0 && i-- > 0;)
        rmdir(w->made[i]);
    free(w);
    return rc;
}

/* rm -r path, links not followed; best effort. */
static void remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            char child[ATOMIC_PATH_MAX];

            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            str_printf(child, sizeof(child), "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
    }
    rmdir(path);
}

/* The directories above dir[0..len), made where missing (mkdir -p of its parent): the private
 * directory goes beside dir, so its parent must exist. */
static int make_parents(struct error *err, const char *dir, size_t len)
{
    char path[ATOMIC_PATH_MAX];
    struct stat st;

    if (len >= sizeof(path))
        return error_set(err, ERR_IO, "'%.60s...': the path is too long", dir);
    for (size_t i = 1; i < len; i++) {
        if (dir[i] != '/')
            continue;
        str_printf(path, sizeof(path), "%.*s", (int)i, dir);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return error_set(err, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            return error_set(err, ERR_IO, "'%s' is not a directory", path);
    }
    return 0;
}

int fileset_dir_begin(struct error *err, const char *dir, bool force, char *tmp, size_t size)
{
    struct stat st;
    size_t len = strlen(dir);

    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (lstat(dir, &st) == 0 && !force)
        return error_set(err, ERR_IO, "'%s' exists: pass --force to replace it", dir);
    if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return error_set(err, ERR_IO, "'%s' is not a directory", dir);
    if (make_parents(err, dir, len) < 0)
        return -1;
    str_printf(tmp, size, "%.*s.gpushare-XXXXXX", (int)len, dir);
    if (mkdtemp(tmp) == NULL)
        return error_set(err, ERR_IO, "cannot make a directory beside '%s': %s", dir,
                         strerror(errno));
    chmod(tmp, 0755);
    return 0;
}

int fileset_dir_commit(struct error *err, const char *tmp, const char *dir)
{
    char old[ATOMIC_PATH_MAX];
    struct stat st;

    if (lstat(dir, &st) != 0) {
        if (rename(tmp, dir) == 0)
            return 0;
        error_set(err, ERR_IO, "cannot put the files in '%s': %s", dir, strerror(errno));
        fileset_dir_abort(tmp);
        return -1;
    }
    str_printf(old, sizeof(old), "%s.old", tmp);
    if (rename(dir, old) < 0 || rename(tmp, dir) < 0) {
        error_set(err, ERR_IO, "cannot replace '%s': %s", dir, strerror(errno));
        if (lstat(dir, &st) != 0)
            rename(old, dir);
        fileset_dir_abort(tmp);
        return -1;
    }
    remove_tree(old);
    return 0;
}

void fileset_dir_abort(const char *tmp)
{
    if (tmp != NULL && tmp[0] != '\0')
        remove_tree(tmp);
}
