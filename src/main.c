/*
 * gpushare: measure GPU sharing modes, decide, deploy, show. This file maps
 * argv to the command table and nothing else (git's run_builtin, simplified).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/progress.h"
#include "version.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cmd commands[] = {
    {"info", cmd_info, "show the GPU: limits, copy engines, PCIe, MIG profiles, MPS daemon", false},
    {"plan", cmd_plan,
     "which sharing mode for your workloads, what breaks with the others, and the files", false},
    {"bench", cmd_bench, "measure a sharing mode on this GPU (streams, timeslice, mps, mig, mix)",
     false},
    {"mig", cmd_mig, "MIG profiles, layout check, every layout, and a plan for your models", false},
    {"mps", cmd_mps, "start, stop, inspect an MPS daemon; run a command as its client", false},
    {"emit", cmd_emit,
     "write deployable files: MPS scripts and unit, Kubernetes configs and manifests", false},
    {"fleet", cmd_fleet, "merge the results documents of many nodes into one fleet document",
     false},
    {"show", cmd_show, "print the table of a saved results document", false},
    {"help", cmd_help, "show help for a command: gpushare help COMMAND", false},
    {"version", cmd_version, "print the version and the commit it was built from", false},
    {"worker", cmd_worker, "one process of a multi-process benchmark (internal)", true},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f)
{
    fprintf(f, "usage: gpushare [-q|--quiet] [-h|--help] [-V|--version] COMMAND [ARGS]\n\n"
               "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!commands[i].hidden)
            fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nEvery command takes --help. Exit status: 0 ok, 1 failure, 2 usage error,\n"
               "3 the answer is no (mig check: invalid layout; mps status: no daemon), 69 no\n"
               "NVIDIA GPU or driver, 130 interrupted (SIGINT or SIGTERM; what was measured is\n"
               "kept).\n");
}

static const struct cmd *lookup(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    const struct cmd *c;
    char *help_argv[] = {NULL, (char *)"--help", NULL};

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (argc > 2) {
        fprintf(stderr, "gpushare: error: help takes one command, got '%s' too\n", argv[2]);
        return EXIT_USAGE;
    }
    c = lookup(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "gpushare: error: no command '%s'\n", argv[1]);
        print_usage(stderr);
        return EXIT_USAGE;
    }
    help_argv[0] = argv[1];
    cli_reset_getopt();
    return c->fn(2, help_argv);
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("gpushare %s (commit %s%s)\n", GPUSHARE_VERSION, GPUSHARE_GIT_COMMIT,
           GPUSHARE_GIT_DIRTY ? ", modified" : "");
    return EXIT_OK;
}

/* Output that did not reach stdout (a full disk, a closed pipe) is a failure, whatever the
 * command thought (git's run_builtin does the same). A command that failed has said why. */
static int finish_stdout(int rc)
{
    errno = 0;
    if ((fflush(stdout) == 0 && !ferror(stdout)) || rc != EXIT_OK)
        return rc;
    fprintf(stderr, "gpushare: error: cannot write to standard output: %s\n",
            errno != 0 ? strerror(errno) : "write error");
    return rc == EXIT_OK ? EXIT_FAIL : rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    const struct cmd *c;
    int opt;

    opterr = 0;
    /* "+": stop at the command name; its options are the command's to parse. */
    while ((opt = getopt_long(argc, argv, "+hVq", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            print_usage(stdout);
            return finish_stdout(EXIT_OK);
        case 'V':
            return finish_stdout(cmd_version(0, NULL));
        case 'q':
            progress_set_quiet(true);
            break;
        default:
            fprintf(stderr, "gpushare: error: unknown option '%s'\n", argv[optind - 1]);
            print_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    c = lookup(argv[optind]);
    if (c == NULL) {
        fprintf(stderr, "gpushare: error: no command '%s'\n", argv[optind]);
        print_usage(stderr);
        return EXIT_USAGE;
    }
    argv += optind;
    argc -= optind;
    cli_keep_argv(argc, argv);
    cli_reset_getopt();
    return finish_stdout(c->fn(argc, argv));
}
