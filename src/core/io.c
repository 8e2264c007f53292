#include "core/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

int io_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t k = write(fd, p, len);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* "32 MiB", "1 MiB", "512 KiB" for a limit in messages. */
static void size_text(size_t max, char *out, size_t size)
{
    if (max >= (1u << 20) && max % (1u << 20) == 0)
        snprintf(out, size, "%zu MiB", max >> 20);
    else if (max >= 1024 && max % 1024 == 0)
        snprintf(out, size, "%zu KiB", max >> 10);
    else
        snprintf(out, size, "%zu bytes", max);
}

int io_read_file(struct error *err, const char *path, const char *shown, size_t max,
                 const char *what, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, n = 0;
    char *p = NULL, limit[32];
    struct stat st;

    *buf = NULL;
    *len = 0;
    if (f == NULL)
        return error_set(err, ERR_IO, "cannot open '%s': %s", shown, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return error_set(err, ERR_IO, "cannot read '%s': %s", shown, strerror(EISDIR));
    }
    for (;;) {
        size_t k;

        if (n == cap) {
            char *grown;

            cap = cap == 0 ? 65536 : 2 * cap;
            if (cap > max + 1)
                cap = max + 1;
            grown = realloc(p, cap + 1);
            if (grown == NULL) {
                free(p);
                fclose(f);
                return error_set(err, ERR_IO, "cannot read '%s': out of memory", shown);
            }
            p = grown;
        }
        k = fread(p + n, 1, cap - n, f);
        n += k;
        if (k == 0 || n > max)
            break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;

        free(p);
        fclose(f);
        return error_set(err, ERR_IO, "cannot read '%s': %s", shown, strerror(e));
    }
    fclose(f);
    if (n > max) {
        free(p);
        size_text(max, limit, sizeof(limit));
        return error_set(err, ERR_INVALID, "'%s' is larger than %s: not %s", shown, limit, what);
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return 0;
}
