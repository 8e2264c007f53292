/*
 * The command table's contract. Each command parses its own options with
 * getopt_long, prints its help on -h/--help (exit 0), and returns a documented
 * exit status (core/error.h: 0, 1, 2 usage, 69 no GPU).
 */
#ifndef GPUSHARE_CLI_CLI_H
#define GPUSHARE_CLI_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "core/error.h"

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
    bool hidden;
};

int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_mig(int argc, char **argv);
int cmd_mps(int argc, char **argv);
int cmd_emit(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_plan(int argc, char **argv);

/* The end of the option table of every command that writes a document: --json, -o/--output
 * FILE, -f/--force and -h/--help, then the terminator. */
// clang-format off
#define CLI_DOC_OPTIONS                                                                            \
    {"json", no_argument, NULL, 'j'},                                                              \
    {"output", required_argument, NULL, 'o'},                                                      \
    {"force", no_argument, NULL, 'f'},                                                             \
    {"help", no_argument, NULL, 'h'},                                                              \
    {NULL, 0, NULL, 0}
// clang-format on

/* A command of subcommands (mig, mps, emit, fleet): one way to pick one and to list them. */
struct cli_group {
    const char *noun;   /* "subcommand", "target" */
    const char *usage;  /* the group's usage lines */
    const char *about;  /* --help: a paragraph after the usage */
    const char *footer; /* --help: after the list (exit statuses) */
    int width;          /* the name column of the list */
    const struct cmd *subs;
    size_t n;
};

/* argv[1] names the subcommand, which runs with argv + 1 (its argv[0] its name). --help or -h
 * prints the usage, about, each subcommand's summary and the footer; no name or an unknown one
 * is a usage error naming the choices. */
int cli_dispatch(const struct cli_group *g, int argc, char **argv);

/* Prints "gpushare: error: MSG" and the usage line to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const struct error *err);

/* The message for an unknown option or missing argument, from getopt_long's state. */
int cli_bad_option(const char *usage, char **argv, int opt);

/* Reports a failure on stderr in one line and returns its exit status: "gpushare: no GPU:
 * ..." for ERR_NO_GPU, "gpushare: error: ..." otherwise. */
int cli_fail(const struct error *err);

/* --device N: a CUDA ordinal, 0 to 63 (ERR_USAGE otherwise). */
int cli_device(struct error *err, const char *arg, int *device);

/* The command's arguments as the user gave them (getopt_long reorders argv while it parses):
 * cli_keep_argv copies them before the command runs; a results document records these. */
void cli_keep_argv(int argc, char **argv);
int cli_given_argc(void);
char **cli_given_argv(void);

struct gpu_info;
/* The GPU as `gpushare info` prints it, on stdout (show prints an info document so). */
void cli_print_info(const struct gpu_info *g);

/* Resets getopt_long for a fresh argument vector. */
void cli_reset_getopt(void);

/*
 * The one rule for every file a command writes, checked before any work is done: path (NULL
 * or "-": stdout, nothing to check) must not be a directory, its directory must exist and be
 * writable, and an existing file stays unless force ("'PATH' exists: pass --force to replace
 * it"). ERR_USAGE for a directory, ERR_IO otherwise.
 */
int cli_check_out(struct error *err, const char *path, bool force);

/* Writes the document where the options say: path (atomically, under cli_check_out's rule),
 * "-" or NULL for none. */
int cli_write_doc(struct error *err, const json_t *doc, const char *path, bool force);

#endif
