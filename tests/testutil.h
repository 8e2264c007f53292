/*
 * Process helpers shared by the suites that run real children in a temporary tree (test_mps,
 * test_mps_daemon, test_harness): the environment, the clock, small files, and teardown's
 * checks for leaked children and descriptors. Needs _POSIX_C_SOURCE (the Makefile sets it).
 */
#ifndef GPUSHARE_TESTS_TESTUTIL_H
#define GPUSHARE_TESTS_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A malloc'd copy of $name for restore_env, or NULL when it is unset (or on no memory). */
static inline char *dup_env(const char *name)
{
    const char *v = getenv(name);
    char *copy;

    if (v == NULL)
        return NULL;
    copy = malloc(strlen(v) + 1);
    if (copy != NULL)
        memcpy(copy, v, strlen(v) + 1);
    return copy;
}

/* Puts back what dup_env saved (unset when NULL) and frees it; *saved becomes NULL. */
static inline void restore_env(const char *name, char **saved)
{
    if (*saved != NULL)
        setenv(name, *saved, 1);
    else
        unsetenv(name);
    free(*saved);
    *saved = NULL;
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* $PATH becomes dir, then saved (the old $PATH as dup_env kept it; /usr/bin:/bin if unset). */
static inline void path_prepend(const char *dir, const char *saved)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s:%s", dir, saved != NULL ? saved : "/usr/bin:/bin");
    setenv("PATH", path, 1);
}

/* Anything at path, a dangling link included. */
static inline bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* Writes text to path, created or truncated, and gives it mode (fchmod: no umask). 0 or -1. */
static inline int write_file(const char *path, const char *text, mode_t mode)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    if (fd < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* The whole of path, NUL-terminated, its length in *len; NULL when it cannot be opened. The
 * caller frees it. */
static inline char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf == NULL)
            abort();
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Up to max whitespace-separated numbers from path (a pid file): how many were read, 0 when it
 * cannot be opened. */
static inline size_t read_longs(const char *path, long *out, size_t max)
{
    size_t n = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return 0;
    while (n < max && fscanf(f, "%ld", &out[n]) == 1)
        n++;
    fclose(f);
    return n;
}

/*
 * rm -r path, links not followed. 0, or -1 when anything could not be removed. Recursive, so
 * not inline: unused rather than inline keeps a suite that does not call it quiet.
 */
__attribute__((unused)) static int remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (lstat(path, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char child[512];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (remove_tree(child) < 0)
            rc = -1;
    }
    closedir(d);
    return rmdir(path) < 0 ? -1 : rc;
}

/* Open descriptors below 1024; opens none itself, so it may be compared at any point. */
static inline int count_open_fds(void)
{
    int n = 0;

    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

/*
 * Teardown's checks on this process: no child left, zombie or not (any found are reaped so the
 * next test starts clean), and as many descriptors open as open_fds, the count at setup. Says
 * what is wrong on stderr; returns 0 or -1.
 */
static inline int check_no_children_or_fds(int open_fds)
{
    int rc = 0;

    if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
        fprintf(stderr, "teardown: an unreaped child is left\n");
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        rc = -1;
    }
    if (count_open_fds() != open_fds) {
        fprintf(stderr, "teardown: %d descriptors open, %d at setup\n", count_open_fds(), open_fds);
        rc = -1;
    }
    return rc;
}

/* Removes a test's temporary tree and checks it is gone. Says so on stderr; 0 or -1. */
static inline int remove_sandbox(const char *root)
{
    if (remove_tree(root) < 0 || exists(root)) {
        fprintf(stderr, "teardown: cannot remove '%s'\n", root);
        return -1;
    }
    return 0;
}

#endif
