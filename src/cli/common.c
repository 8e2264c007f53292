/*
 * Shared command-line plumbing: error lines, getopt state, document output.
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "results/results.h"

int cli_usage_error(const char *usage, const struct error *err)
{
    fprintf(stderr, "gpushare: error: %s\n%s", err->msg, usage);
    return EXIT_USAGE;
}

int cli_bad_option(const char *usage, char **argv, int opt)
{
    struct error err;

    if (opt == ':')
        error_set(&err, ERR_USAGE, "option '%.40s' needs a value", argv[optind - 1]);
    else
        error_set(&err, ERR_USAGE, "unknown option '%.40s'", argv[optind - 1]);
    return cli_usage_error(usage, &err);
}

int cli_fail(const struct error *err)
{
    if (err->code == ERR_NO_GPU)
        fprintf(stderr, "gpushare: no GPU: %s\n", err->msg);
    else
        fprintf(stderr, "gpushare: error: %s\n", err->msg);
    return error_exit_status(err->code);
}

void cli_reset_getopt(void)
{
    optind = 0; /* glibc: 0 re-initialises, so each command parses from scratch */
    opterr = 0; /* our messages, not getopt's */
}

int cli_check_out(struct error *err, const char *path, bool force)
{
    char dir[4096];
    const char *slash;
    struct stat st;

    if (path == NULL || strcmp(path, "-") == 0)
        return 0;
    if (path[0] == '\0')
        return error_set(err, ERR_USAGE, "an empty output path");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return error_set(err, ERR_USAGE, "'%s' is a directory: expected a file to write", path);
    if (!force && lstat(path, &st) == 0)
        return error_set(err, ERR_IO, "'%s' exists: pass --force to replace it", path);
    slash = strrchr(path, '/');
    if (slash == NULL)
        str_printf(dir, sizeof(dir), ".");
    else
        str_printf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return error_set(err, ERR_IO, "cannot write '%s': no directory '%s'", path, dir);
    if (access(dir, W_OK | X_OK) < 0)
        return error_set(err, ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

int cli_write_doc(struct error *err, const json_t *doc, const char *path, bool force)
{
    if (path == NULL)
        return 0;
    if (cli_check_out(err, path, force) < 0)
        return -1;
    return results_write(err, doc, path);
}

int cli_device(struct error *err, const char *arg, int *device)
{
    unsigned long v;

    if (parse_uint(err, "--device", arg, 0, 63, &v) < 0)
        return -1;
    *device = (int)v;
    return 0;
}

static char **given_argv; /* the process's whole life: never freed */
static int given_argc;

void cli_keep_argv(int argc, char **argv)
{
    given_argv = xcalloc((size_t)argc + 1, sizeof(*given_argv));
    for (int i = 0; i < argc; i++)
        given_argv[i] = argv[i];
    given_argc = argc;
}

int cli_given_argc(void)
{
    return given_argc;
}

char **cli_given_argv(void)
{
    return given_argv;
}

int cli_dispatch(const struct cli_group *g, int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : NULL;
    char list[256] = "";
    struct error err;

    if (name != NULL && (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)) {
        printf("%s\n%s\n\n%ss:\n", g->usage, g->about, g->noun);
        for (size_t i = 0; i < g->n; i++)
            if (!g->subs[i].hidden)
                printf("  %-*s %s\n", g->width, g->subs[i].name, g->subs[i].summary);
        printf("\n%s", g->footer);
        return EXIT_OK;
    }
    for (size_t i = 0; i < g->n; i++) {
        if (name != NULL && strcmp(name, g->subs[i].name) == 0) {
            cli_reset_getopt();
            return g->subs[i].fn(argc - 1, argv + 1);
        }
        str_append(list, sizeof(list), "%s%s",
                   i == 0          ? ""
                   : i + 1 == g->n ? " or "
                                   : ", ",
                   g->subs[i].name);
    }
    if (name == NULL)
        error_set(&err, ERR_USAGE, "which %s? expected %s", g->noun, list);
    else
        error_set(&err, ERR_USAGE, "unknown %s '%.40s': expected %s", g->noun, name, list);
    return cli_usage_error(g->usage, &err);
}
