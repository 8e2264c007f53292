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

/* Resets getopt_long for a fresh argument vector. */
void cli_reset_getopt(void);

/* Writes the document where the options say: path (atomically), "-" or NULL for none. */
int cli_write_doc(struct error *err, const json_t *doc, const char *path);

#endif
