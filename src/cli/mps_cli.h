/*
 * gpushare mps: what its subcommands share (cmd_mps.c), and the subcommands, one file each:
 * mps_start.c, mps_stop.c, mps_status.c, mps_exec.c. The daemon's lifecycle is gpu/mps_daemon's,
 * the record that lets one process stop what another started is gpu/mps_state's.
 */
#ifndef GPUSHARE_CLI_MPS_CLI_H
#define GPUSHARE_CLI_MPS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "core/error.h"
#include "gpu/mps_daemon.h"
#include "gpu/mps_state.h"

/* `mps status` when no daemon answers: "not running", as LSB init scripts and systemctl say. */
#define EXIT_NOT_RUNNING EXIT_NO
/* Records read from the registry; more are reported and left alone. */
#define MPS_CLI_MAX_RECORDS 32
/* The deadline of each control command `status` and `exec` send. */
#define MPS_CLI_QUERY_MS 5000

extern const char mps_usage[];

int mps_start(int argc, char **argv);
int mps_stop(int argc, char **argv);
int mps_status(int argc, char **argv);
int mps_exec(int argc, char **argv);

/* --pipe-dir (at most MPS_PIPE_DIR_MAX bytes) or --log-dir, in one spelling (ERR_USAGE). */
int mps_opt_dir(struct error *err, const char *opt, const char *arg, char *out, size_t size);

/* --timeout S: 0.1 to 600 seconds, into milliseconds (ERR_USAGE). */
int mps_opt_timeout(struct error *err, const char *arg, int *ms);

/* Every record of this user, oldest first, in a calloc'd array of MPS_CLI_MAX_RECORDS (the
 * caller frees it); invalid files are reported on stderr and skipped. NULL with err set when
 * the registry cannot be trusted or read. */
struct mps_state *mps_records(struct error *err, size_t *n);

/* The record for pipe_dir, if any (*found), reporting an unreadable one on stderr. */
void mps_record_for(const char *pipe_dir, struct mps_state *s, bool *found);

/* Prints the records' pipe directories, one per line, for a "which one?" message. */
void mps_list_records(FILE *f, const struct mps_state *s, size_t n);

/* Writes s in single quotes for a POSIX shell ('\'' for a quote). */
void mps_shell_quote(FILE *f, const char *s);

/* "quit", "SIGTERM", ...: how a stop ended, for people and for JSON. */
const char *mps_how_name(enum mps_stop_how how);

/* What stopping one daemon did. */
struct mps_stopped {
    char pipe_dir[256];
    long pid;
    bool recorded;     /* gpushare had a record of it */
    bool left_running; /* a reused daemon: its record was dropped, the daemon left alone */
    enum mps_stop_how how;
    char removed[2][256]; /* directories removed */
    size_t n_removed;
    struct error err; /* code ERR_OK when all went well */
};

/*
 * Stops the daemon of a record: a reused one is left running; otherwise mps_daemon_stop with the
 * pid and start time recorded at start (a stale record ends as MPS_STOP_GONE), then the
 * directories start made are removed and the record deleted, unless a process survived.
 */
void mps_stop_record(const struct mps_state *s, int timeout_ms, struct mps_stopped *out);

/* Reports one stop on stderr: "gpushare: MPS control daemon PID at 'DIR': ..."; returns 0 when
 * it went cleanly (quit, nothing to do, already gone), 1 otherwise. */
int mps_report_stopped(const struct mps_stopped *st);

/* The stop as a JSON object (new reference). */
json_t *mps_stopped_json(const struct mps_stopped *st);

#endif
