/*
 * The MPS control daemon's lifecycle: start a daemon (private pipe and log directories by
 * default), apply its default settings, hand its clients the environment they need, and stop
 * it for certain, escalating from `quit` to SIGTERM to SIGKILL. Pure C, no CUDA: it drives
 * nvidia-cuda-mps-control the way a person does (sharing-facts.md 1.2, 1.3).
 *
 * Typical use, a benchmark that runs CUDA workers as clients of a private daemon:
 *
 *     struct mps_guard g = {0};
 *     struct mps_daemon d;
 *
 *     mps_guard_install(&g);               // SIGINT/SIGTERM now only set a flag
 *     if (mps_daemon_start(err, &opts, &d) < 0)
 *         goto out;                        // nothing left behind
 *     mps_daemon_setenv(err, &d);          // forked workers inherit CUDA_MPS_PIPE_DIRECTORY
 *     ... run workers, checking mps_guard_pending() between steps ...
 *     if (mps_daemon_stop(&stop_err, &d, 5000) < 0)
 *         ...                              // d.stopped says what it took
 *   out:
 *     mps_guard_remove(&g);
 */
#ifndef GPUSHARE_GPU_MPS_DAEMON_H
#define GPUSHARE_GPU_MPS_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "gpu/mps_spec.h"

/* The start-up deadline and per-command deadline when mps_daemon_opts.timeout_ms is 0. */
#define MPS_DAEMON_TIMEOUT_MS 10000

/* At most this many server pids are tracked at stop (one server per user is active). */
#define MPS_DAEMON_MAX_SERVERS 16

struct mps_daemon_opts {
    /* NULL: a private directory is made (see mps_daemon_start). A directory given here is
     * never removed, and is made (mode 0700, one level) when missing. */
    const char *pipe_dir;
    const char *log_dir;
    /* In hundredths (gpu/mps_spec.h). 0: leave the daemon's default (100); 100..10000:
     * set_default_active_thread_percentage, then read back with
     * get_default_active_thread_percentage. */
    unsigned active_thread_centi;
    /* NULL: no limit; else "DEV=LIMIT[,DEV=LIMIT...]" as CUDA_MPS_PINNED_DEVICE_MEM_LIMIT
     * is written (e.g. "0=10G,1=512M"): one set_default_device_pinned_mem_limit DEV LIMIT
     * per entry, read back with get_default_device_pinned_mem_limit DEV. DEV is an ordinal
     * or a UUID (the daemon keeps the two apart): mps_mem_parse's grammar. */
    const char *pinned_mem_limit;
    /* A daemon already answering at pipe_dir: use it (left running by stop) instead of
     * refusing. Settings cannot be combined with a reused daemon: they would change the
     * defaults of someone else's daemon, and not those of a server already running. */
    bool reuse;
    /* Start-up deadline, and the deadline of each control command; 0: MPS_DAEMON_TIMEOUT_MS. */
    int timeout_ms;
};

/* What mps_daemon_stop had to do. */
enum mps_stop_how {
    MPS_STOP_NOTHING = 0, /* nothing was ours to stop: zeroed, stopped already, or reused */
    MPS_STOP_GONE,        /* the daemon had exited before `quit` was sent */
    MPS_STOP_QUIT,        /* it exited on `quit`: the clean case */
    MPS_STOP_TERM,        /* it (or a server) outlived `quit` and ended on SIGTERM */
    MPS_STOP_KILL,        /* it (or a server) outlived SIGTERM and was SIGKILLed */
    MPS_STOP_FAILED,      /* a process outlived SIGKILL or could not be signalled */
};

/* A process we may have to signal, named by pid and start time so a reused pid is not hit. */
struct mps_proc {
    long pid;                 /* 0: none */
    unsigned long long start; /* /proc/PID/stat field 22; 0 when unreadable */
};

struct mps_daemon {
    char root[256];     /* our mkdtemp directory holding pipe/ and log/; "" when none */
    char pipe_dir[256]; /* what clients need as CUDA_MPS_PIPE_DIRECTORY */
    char log_dir[256];  /* CUDA_MPS_LOG_DIRECTORY of a daemon we started; "" when reused */
    bool own_pipe_dir, own_log_dir; /* made by us inside root: removed by stop */
    struct mps_proc daemon;         /* from nvidia-cuda-mps-control.pid; pid 0 unknown */
    bool started;                   /* stop shuts it down (we started or attached to it) */
    bool reused;                    /* someone else's daemon: stop leaves it running */
    enum mps_stop_how stopped;      /* set by mps_daemon_stop; kept across the reset */
};

/*
 * Starts a control daemon and waits until it answers. Private directories go under
 * $XDG_RUNTIME_DIR when it is set, absolute, short (MPS puts Unix sockets in the pipe
 * directory) and writable, else under /tmp: gpushare-mps-UID-PID-XXXXXX/{pipe,log}, mode
 * 0700. Refuses (ERR_INVALID) a pipe_dir where a daemon already answers unless o->reuse.
 * Runs `nvidia-cuda-mps-control -d` (ERR_UNSUPPORTED when it is not on PATH, fails, or the
 * daemon does not answer get_default_active_thread_percentage and leave its pid file within
 * the deadline), in a session of its own so a terminal's Ctrl-C reaches gpushare, not the
 * daemon. Then applies the settings and reads each back. With a guard installed, a signal
 * ends the wait for the daemon early (ERR_INTERRUPTED) once its pid is known. On failure d
 * is all zero: what was started is stopped and what was made is removed (ERR_INVALID: bad
 * options, nothing was run; ERR_IO: a directory could not be made).
 */
int mps_daemon_start(struct error *err, const struct mps_daemon_opts *o, struct mps_daemon *d)
    __attribute__((warn_unused_result));

/*
 * Takes charge of the daemon answering at pipe_dir (NULL: mps_default_pipe_dir()) so that
 * mps_daemon_stop shuts it down (`gpushare mps stop` from another process). Its directories
 * are never removed. ERR_INVALID when no daemon answers there or its pid file is unreadable.
 */
int mps_daemon_attach(struct error *err, const char *pipe_dir, struct mps_daemon *d)
    __attribute__((warn_unused_result));

/*
 * Stops the daemon and removes our directories; idempotent, and a no-op on a zeroed struct.
 * A reused daemon is left running. Otherwise: collects the server pids (get_server_list),
 * sends `quit` and waits for the daemon and the servers to exit, both within timeout_ms
 * (0: MPS_DAEMON_TIMEOUT_MS); SIGTERMs what is left and waits as long again; then SIGKILLs
 * what is left and waits up to 2 s. At worst about 3 * timeout_ms + 2 s.
 * A process counts as gone once kill() says ESRCH, it is a zombie (it is not our child, so
 * we cannot reap it), or its pid now names a process started at another time.
 *
 * Stop the clients first: `quit` waits for attached clients, so with one still running stop
 * ends in signals, and a client that loses its server mid-call is undefined behaviour
 * (sharing-facts.md 1.4).
 *
 * Returns 0 when `quit` was enough (d->stopped MPS_STOP_QUIT) or there was nothing to do
 * (NOTHING, or GONE: the daemon had died on its own, which a benchmark may want to report).
 * Returns -1 with ERR_UNSUPPORTED when a signal was needed (TERM or KILL: all is gone, but
 * the daemon ignored `quit`) or a process survived (FAILED), and -1 with ERR_IO when a
 * directory of ours could not be removed. In every case d is reset (but for d->stopped), so
 * the caller can report the error and carry on.
 */
int mps_daemon_stop(struct error *err, struct mps_daemon *d, int timeout_ms);

/*
 * Sets CUDA_MPS_PIPE_DIRECTORY (and CUDA_MPS_LOG_DIRECTORY for a daemon we started) in this
 * process, for a parent that forks the daemon's clients after it. ERR_INVALID on a struct
 * with no daemon.
 */
int mps_daemon_setenv(struct error *err, const struct mps_daemon *d);

/*
 * Small helpers for a caller that keeps a daemon's record across processes (gpu/mps_state.h,
 * `gpushare mps`): fill a struct mps_daemon from the record, then mps_daemon_stop it.
 */

/* Whether the process is gone: as mps_daemon_stop judges it (ESRCH, a zombie, or its pid now
 * names a process started at another time). A zero pid is gone. */
bool mps_proc_gone(const struct mps_proc *p);

/* rm -r path, never following a symbolic link: 0, or -1 with errno set. A missing path is 0. */
int mps_remove_tree(const char *path);

/*
 * A guard that turns SIGINT, SIGTERM and SIGHUP into a flag for the daemon's lifetime, so the
 * caller always reaches mps_daemon_stop. One guard at a time. A handler installed over it and later
 * restored (bench/harness.c does this around a run) takes the signals meanwhile and reports
 * them itself (ERR_INTERRUPTED); the guard catches those outside. The handler only stores the
 * signal number in a sig_atomic_t. It is installed with SA_RESTART, so the caller's reads and
 * writes are not cut short; a waiting loop should wake now and then to look at the flag (the
 * loops here poll every 10 to 20 ms).
 */
struct mps_guard {
    struct sigaction old_int, old_term, old_hup; /* restored by mps_guard_remove */
    bool installed;
};

void mps_guard_install(struct mps_guard *g);

/* The signal caught since mps_guard_install (SIGINT or SIGTERM), 0 when none. */
int mps_guard_pending(void);

/* Restores the previous actions. The pending signal stays readable until the next install. */
void mps_guard_remove(struct mps_guard *g);

#endif
