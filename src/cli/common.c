/*
 * Shared command-line plumbing: error lines, getopt state, document output.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/strparse.h"
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

int cli_write_doc(struct error *err, const json_t *doc, const char *path)
{
    if (path == NULL)
        return 0;
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
    given_argv = calloc((size_t)argc + 1, sizeof(*given_argv));
    if (given_argv == NULL)
        abort();
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
