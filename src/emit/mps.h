/*
 * The files that run an MPS control daemon as a service: mps-start.sh and mps-stop.sh (bash),
 * a systemd unit and its environment file. Pure C, no CUDA. Every value that reaches a file is
 * validated here first (paths, the active thread percentage, the pinned memory limits), so a
 * value can never break out of its quotes; the files say where each value came from. MPS facts:
 * sharing-facts.md section 1 ("MPS doc 4.2.2" is section 4.2.2 of NVIDIA's MPS documentation).
 *
 * Use: fill struct emit_mps_opts from the command line, emit_mps_configure() checks it into a
 * struct emit_mps_config, emit_mps_render() returns each file's text, emit_mps_json() a summary.
 */
#ifndef GPUSHARE_EMIT_MPS_H
#define GPUSHARE_EMIT_MPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/error.h"
#include "gpu/mps_spec.h"
#include "plan/evidence.h"

/* A path written into a file is shorter than this: MPS puts Unix sockets in the pipe directory,
 * and a socket's path must fit in sun_path (108 bytes). */
#define EMIT_MPS_PATH_MAX 100
/* Entries in a pinned memory limit ("0=10G,1=512M"). */
#define EMIT_MPS_MAX_MEM MPS_MAX_MEM_LIMITS
/* Most MPS clients per device: 48 up to CUDA 13.0, 60 since (MPS doc 2.3.5.1). */
#define EMIT_MPS_MAX_CLIENTS 60

#define EMIT_MPS_DEFAULT_PIPE_DIR "/tmp/nvidia-mps"    /* MPS doc 4.2.2 */
#define EMIT_MPS_DEFAULT_LOG_DIR "/var/log/nvidia-mps" /* MPS doc 4.2.3 */
#define EMIT_MPS_DEFAULT_CONTROL "nvidia-cuda-mps-control"
#define EMIT_MPS_DEFAULT_INSTALL_DIR "/usr/local/lib/gpushare"
#define EMIT_MPS_DEFAULT_ENV_FILE "/etc/gpushare/mps.env"
#define EMIT_MPS_DEFAULT_PIPE_MODE 0755

/* What the command line gave; NULL means not given. Borrowed, not copied. */
struct emit_mps_opts {
    const char *pipe_dir, *log_dir;     /* absolute paths (emit_mps_check_path) */
    const char *install_dir, *env_file; /* where the files go once installed: written into the
                                           unit and the scripts */
    const char *control;                /* the control program: a name on PATH or a path */
    const char *pipe_mode;              /* octal, the mode mps-start.sh gives a new pipe dir */
    const char *thread_pct;             /* 1 to 100, at most two decimals */
    const char *mem_limit;              /* "DEV=LIMIT[,DEV=LIMIT...]" */
    /* A thread percentage the plan decided (plan/mps_share.h, or a plan document), written
     * when --thread-pct is not given: in hundredths (0: none), for how many clients, and the
     * sentence the files give for where it came from. */
    unsigned plan_pct_centi;
    unsigned plan_clients;
    const char *plan_why;
    const char *mem_why;          /* where mem_limit came from, when a plan decided it */
    const char *version, *commit; /* NULL: the build's (version.h); tests fix them */
    int dirty;                    /* -1: the build's flag (the CLI); 0 or 1 (tests) */
};

/* Where a value came from. */
enum emit_mps_source {
    EMIT_MPS_SRC_DEFAULT = 0,
    EMIT_MPS_SRC_OPTION,
    EMIT_MPS_SRC_PLAN, /* what the plan decided: --clients N, or a plan document */
};

/* One entry of a pinned memory limit. */
/* The checked values and their sources: what the files are rendered from. */
struct emit_mps_config {
    char pipe_dir[EMIT_MPS_PATH_MAX], log_dir[EMIT_MPS_PATH_MAX];
    char install_dir[EMIT_MPS_PATH_MAX], env_file[EMIT_MPS_PATH_MAX];
    char control[EMIT_MPS_PATH_MAX];
    unsigned pipe_mode;
    unsigned pct_centi; /* the active thread percentage in hundredths; 0: not set (100 holds) */
    unsigned clients;   /* the clients the plan's percentage is for; 0 when none */
    char pct_why[400];  /* where the plan's percentage came from; "" when none */
    char mem_why[400];  /* where the memory limit came from when the plan decided it */
    struct mps_mem_limit mem[EMIT_MPS_MAX_MEM];
    size_t n_mem;
    enum emit_mps_source src_pipe_dir, src_log_dir, src_install_dir, src_env_file, src_control,
        src_pipe_mode, src_pct, src_mem;
    /* What a results document measured at the percentage in force (or at 100 when none is
     * set): the caller looks it up (evidence_threads_at) after configuring. */
    struct ev_threads_at measured;
    char version[32], commit[48]; /* printable ASCII */
    bool dirty;
};

/* The files, in the order they are written. */
enum emit_mps_file {
    EMIT_MPS_START = 0, /* mps-start.sh, 0755 */
    EMIT_MPS_STOP,      /* mps-stop.sh, 0755 */
    EMIT_MPS_UNIT,      /* gpushare-mps.service, 0644 */
    EMIT_MPS_ENV,       /* gpushare-mps.env, 0644 */
    EMIT_MPS_NFILES,
};

/* A file's name in the output directory, its mode, and a few words on what it is. */
const char *emit_mps_file_name(enum emit_mps_file f);
mode_t emit_mps_file_mode(enum emit_mps_file f);
const char *emit_mps_file_what(enum emit_mps_file f);

/*
 * Checks every option and fills c: defaults where nothing was given, the plan's thread
 * percentage unless --thread-pct was given. ERR_USAGE for a bad value (the message names the
 * option and the value). c is left zeroed on failure.
 */
int emit_mps_configure(struct error *err, const struct emit_mps_opts *o, struct emit_mps_config *c)
    __attribute__((warn_unused_result));

/* The text of one file, malloc'd and NUL-terminated (the caller frees it); aborts on no memory.
 * Deterministic: the same config gives the same bytes. */
char *emit_mps_render(const struct emit_mps_config *c, enum emit_mps_file f);

/* The summary `--json` prints: {"dir", "files": [{name, path, mode}], "settings": [{name, value,
 * source, detail}], "measured": {...} or null}. dir may be NULL (no paths). New reference. */
json_t *emit_mps_json(const struct emit_mps_config *c, const char *dir);

/* ---- the validators (each ERR_USAGE with a message naming what and the value) ---- */

/* An absolute path of 1 to EMIT_MPS_PATH_MAX - 1 bytes from [A-Za-z0-9._/-], normalized: no
 * empty, "." or ".." component and no trailing '/'. what: "--pipe-dir". */
int emit_mps_check_path(struct error *err, const char *what, const char *path);

/* --control: a program name from [A-Za-z0-9._-] (looked up on PATH) or a path as above. */
int emit_mps_check_control(struct error *err, const char *what, const char *prog);

/* --pipe-mode: three or four octal digits, at most 0777, the owner's rwx included. */
int emit_mps_parse_mode(struct error *err, const char *what, const char *s, unsigned *mode);

#endif
