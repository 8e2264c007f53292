/*
 * The record `gpushare mps start` leaves so that a later `mps stop`, `status` or `exec`, in
 * another process, finds the MPS control daemon it started and removes exactly what it made.
 * Pure C: one JSON file per daemon (jansson) in a per-user registry directory, written
 * atomically (core/atomic.h).
 *
 * The registry is $XDG_RUNTIME_DIR/gpushare-mps when $XDG_RUNTIME_DIR is an absolute,
 * writable directory, else /tmp/gpushare-mps-UID. It must be a directory (not a link) owned
 * by this user with no group or other access, or nothing in it is trusted. It is made (0700)
 * by the first save and removed by the delete that empties it. A file is named after a hash of
 * its daemon's pipe directory (mps-<16 hex>.json, mode 0600), so there is one per directory.
 */
#ifndef GPUSHARE_GPU_MPS_STATE_H
#define GPUSHARE_GPU_MPS_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "gpu/mps_daemon.h"

#define MPS_STATE_SCHEMA "gpushare.mps-state/1"
/* A state file is at most this big: anything larger is not ours. */
#define MPS_STATE_MAX_BYTES 65536
/* Longest --pipe-dir: MPS puts Unix sockets in it ("control_privileged" and others), and a
 * socket's path must fit in sun_path, 108 bytes with its NUL. */
#define MPS_PIPE_DIR_MAX 88
/* Longest --log-dir (mps_daemon's own limit). */
#define MPS_LOG_DIR_MAX 200

struct mps_state {
    char pipe_dir[256]; /* the daemon's CUDA_MPS_PIPE_DIRECTORY: the record's key */
    char log_dir[256];  /* its CUDA_MPS_LOG_DIRECTORY; "" when unknown (a reused daemon) */
    char root[256];     /* mps_daemon's private directory holding pipe/ and log/; "" none */
    bool own_pipe_dir, own_log_dir; /* inside root: removed with it */
    bool made_pipe_dir;             /* a given pipe directory that start created: removed by stop */
    bool made_log_dir;      /* a given log directory that start created: kept (it holds logs) */
    bool reused;            /* someone else's daemon (start --reuse): stop leaves it running */
    struct mps_proc daemon; /* pid 0: unknown (only for a reused daemon) */
    unsigned uid;
    unsigned thread_centi; /* the default active thread percentage set at start, in
                            * hundredths (gpu/mps_spec.h); 0 none */
    char mem_limit[256];   /* the default pinned memory limits set at start; "" none */
    char started_at[32];   /* UTC, ISO 8601, for people */
    char path[512];        /* the file it was loaded from or saved to; not in the JSON */
};

/* The record of a daemon mps_daemon_start just returned (made_* and the settings are the
 * caller's to fill). */
void mps_state_from_daemon(struct mps_state *s, const struct mps_daemon *d);

/* A struct mps_daemon that mps_daemon_stop shuts down and cleans up as start's would be. */
void mps_state_to_daemon(const struct mps_state *s, struct mps_daemon *d);

/* The record as a JSON object (new reference). */
json_t *mps_state_to_json(const struct mps_state *s);

/*
 * Parses a state file's text (len bytes, no NUL needed) into s, strictly: the schema name,
 * every field's type and range, absolute paths that fit, a root named as mps_daemon names it
 * (gpushare-mps-UID-PID-XXXXXX, with this record's uid), pipe/ and log/ inside it when owned,
 * nothing owned or made for a reused daemon, a pid and a start time for a daemon of ours (without
 * the start time a reused pid would pass for it). Unknown keys are ignored. s->path is "".
 * ERR_INVALID with the reason, s untouched.
 */
int mps_state_parse(struct error *err, const char *text, size_t len, struct mps_state *s)
    __attribute__((warn_unused_result));

/*
 * A directory option's value, checked and put in one spelling, so that two spellings of one
 * pipe directory find one record: absolute, no "." or ".." component, no control character,
 * "//" collapsed and a trailing '/' dropped, at most max_len bytes after that. ERR_USAGE naming
 * what ("--pipe-dir").
 */
int mps_dir_normalize(struct error *err, const char *what, const char *in, size_t max_len,
                      char *out, size_t size) __attribute__((warn_unused_result));

/* The registry directory's path (whether or not it exists). */
void mps_registry_dir(char *dir, size_t size);

/*
 * Checks the registry before it is trusted: absent is fine (*exists false); present, it must be
 * a directory, not a link, owned by this user, with mode 0700 or less. ERR_IO otherwise.
 */
int mps_registry_check(struct error *err, bool *exists) __attribute__((warn_unused_result));

/* The file that holds (or would hold) the record of the daemon at pipe_dir. */
void mps_state_file(const char *pipe_dir, char *path, size_t size);

/*
 * Writes the record atomically, making the registry when it is missing; sets s->path. ERR_IO; or
 * ERR_INVALID, nothing written, for a record the parser would refuse (a daemon of ours whose
 * start time could not be read, so a later stop could not tell a reused pid from it).
 */
int mps_state_save(struct error *err, struct mps_state *s) __attribute__((warn_unused_result));

/*
 * Reads one record: a regular file (no link) of this user at most MPS_STATE_MAX_BYTES, named
 * after its pipe directory, of this uid. ERR_IO when it cannot be read, ERR_INVALID when it is
 * not a valid record. Sets s->path.
 */
int mps_state_load(struct error *err, const char *path, struct mps_state *s)
    __attribute__((warn_unused_result));

/* The record for pipe_dir, if any: *found false when there is none. Errors as mps_state_load. */
int mps_state_find(struct error *err, const char *pipe_dir, struct mps_state *s, bool *found)
    __attribute__((warn_unused_result));

/* Called for a file in the registry that is not a valid record; it is left where it is. */
typedef void (*mps_state_warn_fn)(const char *path, const struct error *why);

/*
 * Every valid record in the registry, oldest first (then by file name), at most max into out.
 * Invalid files go to warn (may be NULL) and are skipped, as are files past max. An absent
 * registry holds none. ERR_IO when the registry cannot be trusted or read.
 */
int mps_state_list(struct error *err, struct mps_state *out, size_t max, size_t *n,
                   mps_state_warn_fn warn) __attribute__((warn_unused_result));

/* Deletes the record's file, then the registry if that emptied it. ERR_IO. */
int mps_state_delete(struct error *err, const struct mps_state *s);

/* Whether the recorded daemon is gone: its pid is dead or names a process started at another
 * time (mps_proc_gone). False for an unknown pid. */
bool mps_state_stale(const struct mps_state *s);

/*
 * Whether the record's pipe directory is in use by a daemon other than the recorded one, which
 * may have started there since the recorded one died (by hand, or from a systemd unit): a daemon
 * answers there (mps_probe), or its nvidia-cuda-mps-control.pid names a live process. A pid file
 * that still names the recorded daemon's pid, under which nothing runs (a zombie counts as
 * nothing), is what that daemon left: no other has started there (a daemon writes the file as
 * it starts), whatever a control client answers. When true, why says which (for people). The
 * directories of a stale record are removed only when this is false.
 */
bool mps_state_pipe_dir_in_use(const struct mps_state *s, char *why, size_t size);

/*
 * Removes the pipe directory start made (made_pipe_dir) and everything the daemon left in it,
 * once the daemon is gone; only a real directory owned by this user, and never one in use by
 * another daemon (mps_state_pipe_dir_in_use: ERR_IO, nothing removed). 0 when there is nothing
 * to do, -1 with ERR_IO.
 */
int mps_state_remove_made(struct error *err, const struct mps_state *s);

#endif
