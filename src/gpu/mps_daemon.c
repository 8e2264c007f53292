/*
 * The MPS control daemon's lifecycle on top of the control client (gpu/mps.c).
 *
 * Facts relied on (sharing-facts.md 1.2, 1.3; MPS doc 4.1, 4.2):
 *  - `nvidia-cuda-mps-control -d` starts the control daemon and returns; the daemon reads
 *    CUDA_MPS_PIPE_DIRECTORY (named pipes, Unix sockets, nvidia-cuda-mps-control.pid; default
 *    /tmp/nvidia-mps) and CUDA_MPS_LOG_DIRECTORY (control.log, server.log; default
 *    /var/log/nvidia-mps) from its environment. Clients need the same pipe directory.
 *  - Commands go to the control client on stdin: get_server_list,
 *    set_default_active_thread_percentage PCT / get_default_active_thread_percentage,
 *    set_default_device_pinned_mem_limit DEV N{M,G}, and `quit`, which ends the daemon and
 *    its servers (the set_default_* values die with it).
 *  - One daemon per pipe directory: a second `-d` at the same one fails.
 *
 * Observed with driver 580.159 / MPS 13.0 on an H100 (recorded here because the doc is silent):
 *  - `-d` returns at once, its pid file and `control` socket are there within ~50 ms; the
 *    daemon is reparented to pid 1 and, where pid 1 does not reap, stays a zombie after it
 *    exits. A second `-d` prints "An instance of this daemon is already running", status 1.
 *  - The client exits 0 for every command the daemon got, ignored or not ("Unknown command",
 *    a percentage of 150, a limit of "10X" taken as 10M): settings must be read back. With no
 *    daemon it prints "Cannot find MPS control daemon process" and exits 1.
 *  - `quit` does not return while a client holds a context; the daemon then removes its pid
 *    file and `log` FIFO but leaves `control`, `control_lock` and `control_privileged`.
 */
#define _GNU_SOURCE /* close_range, environ */
#include "gpu/mps_daemon.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/str.h"
#include "gpu/mps.h"

#define MPS_CONTROL_BIN "nvidia-cuda-mps-control"
#define PID_FILE "nvidia-cuda-mps-control.pid"
#define ROOT_PREFIX "gpushare-mps-"
#define READY_COMMAND "get_default_active_thread_percentage"
/* Longest $XDG_RUNTIME_DIR used for private directories: the pipe directory holds Unix
 * sockets, whose paths must fit in sun_path (108 bytes); /tmp is used past this. */
#define XDG_MAX_LEN 40
#define DIR_MAX_LEN 200 /* a given directory, so "DIR/" PID_FILE fits in our buffers */
#define KILL_WAIT_MS 2000
#define POLL_MS 10

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL); /* a signal only shortens one polling step */
}

static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- processes that are not our children ---- */

/* State and start time (clock ticks since boot) from /proc/PID/stat; -1 when unreadable. */
static int proc_stat(long pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
    const char *p;
    ssize_t n;
    int fd;

    str_printf(path, sizeof(path), "/proc/%ld/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (p == NULL || p[1] != ' ' || p[2] == '\0')
        return -1;
    *state = p[2];
    p += 3;
    /* Field 3 was the state; field 22 is the start time, 19 fields on. */
    for (int field = 4; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (p == NULL)
            return -1;
    }
    *start = strtoull(p + 1, NULL, 10);
    return 0;
}

static struct mps_proc proc_track(long pid)
{
    struct mps_proc p = {.pid = pid};
    char state;

    if (proc_stat(pid, &state, &p.start) < 0)
        p.start = 0;
    return p;
}

/*
 * Gone: no such pid, a zombie (reparented to init, or to us when we are a subreaper or pid 1:
 * then reaped here), or the pid now names a process started at another time.
 */
static bool proc_gone(const struct mps_proc *p)
{
    unsigned long long start;
    char state;

    if (p->pid <= 0)
        return true;
    if (kill((pid_t)p->pid, 0) < 0 && errno == ESRCH)
        return true;
    if (proc_stat(p->pid, &state, &start) < 0)
        return false;
    if (state == 'Z' || state == 'X') {
        waitpid((pid_t)p->pid, NULL, WNOHANG); /* ECHILD unless it is ours */
        return true;
    }
    return p->start != 0 && start != p->start;
}

static size_t count_alive(const struct mps_proc *p, size_t n)
{
    size_t alive = 0;

    for (size_t i = 0; i < n; i++)
        alive += !proc_gone(&p[i]);
    return alive;
}

/* Polls until every process is gone or ms have passed; returns how many are left. */
static size_t wait_gone(const struct mps_proc *p, size_t n, long ms)
{
    long deadline = now_ms() + ms;
    size_t alive;

    while ((alive = count_alive(p, n)) > 0 && now_ms() < deadline)
        sleep_ms(POLL_MS);
    return alive;
}

static void signal_alive(const struct mps_proc *p, size_t n, int sig)
{
    for (size_t i = 0; i < n; i++)
        if (!proc_gone(&p[i]))
            kill((pid_t)p[i].pid, sig);
}

/* Set by the guard's handler; start gives up when it is set while the guard is installed. */
static volatile sig_atomic_t guard_signal;
static bool guard_active;

/* ---- directories ---- */

static long read_pid_file(const char *pipe_dir)
{
    char path[512];
    long pid = 0;
    FILE *f;

    str_printf(path, sizeof(path), "%s/" PID_FILE, pipe_dir);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
        pid = 0;
    fclose(f);
    return pid;
}

/* Removes path and everything below it, never following a symbolic link. */
int mps_remove_tree(const char *path)
{
    struct dirent *e;
    struct stat st;
    int rc = 0;
    DIR *dir;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    dir = opendir(path);
    if (dir == NULL)
        return -1;
    while ((e = readdir(dir)) != NULL) {
        char child[512];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        str_printf(child, sizeof(child), "%s/%s", path, e->d_name);
        if (mps_remove_tree(child) < 0)
            rc = -1;
    }
    closedir(dir);
    return rmdir(path) < 0 ? -1 : rc;
}

/* Removes our mkdtemp directory, and only that: its name must be ours. */
static int remove_root(struct error *err, struct mps_daemon *d)
{
    const char *base = strrchr(d->root, '/');

    if (d->root[0] == '\0' || (!d->own_pipe_dir && !d->own_log_dir))
        return 0;
    if (base == NULL || strncmp(base + 1, ROOT_PREFIX, strlen(ROOT_PREFIX)) != 0)
        return error_set(err, ERR_IO, "refusing to remove '%s': not a directory of ours", d->root);
    if (mps_remove_tree(d->root) < 0)
        return error_set(err, ERR_IO, "cannot remove '%s': %s", d->root, strerror(errno));
    return 0;
}

static const char *private_base(void)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");

    if (xdg != NULL && xdg[0] == '/' && strlen(xdg) <= XDG_MAX_LEN && is_dir(xdg) &&
        access(xdg, W_OK | X_OK) == 0)
        return xdg;
    return "/tmp";
}

static int make_dir(struct error *err, const char *path, const char *what)
{
    if (mkdir(path, 0700) < 0 && !(errno == EEXIST && is_dir(path)))
        return error_set(err, ERR_IO, "cannot create %s directory '%s': %s", what, path,
                         strerror(errno));
    return 0;
}

/* Fills d's directories: the given ones as they are (made when missing), ours in d->root. */
static int make_dirs(struct error *err, const struct mps_daemon_opts *o, struct mps_daemon *d)
{
    if (o->pipe_dir == NULL || o->log_dir == NULL) {
        str_printf(d->root, sizeof(d->root), "%s/" ROOT_PREFIX "%u-%ld-XXXXXX", private_base(),
                   (unsigned)getuid(), (long)getpid());
        if (mkdtemp(d->root) == NULL) {
            int e = errno;

            d->root[0] = '\0';
            return error_set(err, ERR_IO, "cannot create a private MPS directory in '%s': %s",
                             private_base(), strerror(e));
        }
    }
    if (o->pipe_dir != NULL) {
        str_printf(d->pipe_dir, sizeof(d->pipe_dir), "%s", o->pipe_dir);
    } else {
        str_printf(d->pipe_dir, sizeof(d->pipe_dir), "%s/pipe", d->root);
        d->own_pipe_dir = true;
    }
    if (o->log_dir != NULL) {
        str_printf(d->log_dir, sizeof(d->log_dir), "%s", o->log_dir);
    } else {
        str_printf(d->log_dir, sizeof(d->log_dir), "%s/log", d->root);
        d->own_log_dir = true;
    }
    if (make_dir(err, d->pipe_dir, "MPS pipe") < 0 || make_dir(err, d->log_dir, "MPS log") < 0)
        return -1;
    return 0;
}

/* ---- options ---- */

/*
 * Parses "DEV=N{M,G}[,DEV=N{M,G}...]". Stricter than the daemon, which silently takes a missing
 * or unknown unit as M ("100" is 100M, "1T" is 1M) and 0 as "no limit" (observed, driver 580).
 */
static int check_opts(struct error *err, const struct mps_daemon_opts *o, struct mps_mem_limit *mem,
                      size_t *n_mem)
{
    const char *dirs[2] = {o->pipe_dir, o->log_dir};

    *n_mem = 0;
    if (o->active_thread_centi > 10000 ||
        (o->active_thread_centi > 0 && o->active_thread_centi < 100))
        return error_set(err, ERR_INVALID, "active thread percentage %u.%02u: expected 1 to 100",
                         o->active_thread_centi / 100, o->active_thread_centi % 100);
    for (size_t i = 0; i < 2; i++)
        if (dirs[i] != NULL && (dirs[i][0] == '\0' || strlen(dirs[i]) > DIR_MAX_LEN))
            return error_set(err, ERR_INVALID, "MPS %s directory '%.64s': expected 1 to %d bytes",
                             i == 0 ? "pipe" : "log", dirs[i], DIR_MAX_LEN);
    // The caller checked what the user gave; a bad limit here is the program's: invalid.
    if (o->pinned_mem_limit != NULL &&
        mps_mem_parse(err, "the pinned memory limit", o->pinned_mem_limit, mem, MPS_MAX_MEM_LIMITS,
                      n_mem) < 0) {
        err->code = ERR_INVALID;
        return -1;
    }
    return 0;
}

/* ---- starting ---- */

/* Collapses the client's output to one line for a message. */
static void one_line(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    for (char *p = s; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* environ with our two variables replacing any the caller has; entries are borrowed. */
static char **daemon_env(char *pipe_kv, size_t pipe_size, char *log_kv, size_t log_size,
                         const struct mps_daemon *d)
{
    size_t n = 0, k = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    env = malloc((n + 3) * sizeof(*env));
    if (env == NULL)
        return NULL;
    str_printf(pipe_kv, pipe_size, "CUDA_MPS_PIPE_DIRECTORY=%s", d->pipe_dir);
    str_printf(log_kv, log_size, "CUDA_MPS_LOG_DIRECTORY=%s", d->log_dir);
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "CUDA_MPS_PIPE_DIRECTORY=", 24) != 0 &&
            strncmp(environ[i], "CUDA_MPS_LOG_DIRECTORY=", 23) != 0)
            env[k++] = environ[i];
    env[k++] = pipe_kv;
    env[k++] = log_kv;
    env[k] = NULL;
    return env;
}

/*
 * Child side, between fork and exec: only async-signal-safe calls. A session of its own (a
 * terminal's Ctrl-C must reach gpushare, which then stops the daemon with `quit`), default
 * signal actions and mask, and none of our descriptors.
 */
static void exec_daemon(const char *bin, char **env, int null_fd, int out_fd)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT};
    char *argv[] = {(char *)MPS_CONTROL_BIN, (char *)"-d", NULL};
    sigset_t none;

    setsid();
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    if (close_range(3, ~0U, 0) < 0)
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    execve(bin, argv, env);
    _exit(127);
}

/*
 * Runs `nvidia-cuda-mps-control -d` and reaps it: it forks the daemon and exits. Its output
 * goes to an unlinked file rather than a pipe: the daemon may inherit the descriptor, and a
 * pipe would then never reach EOF, or kill the daemon with SIGPIPE once we close our end.
 */
static int run_daemon_client(struct error *err, const char *bin, const struct mps_daemon *d,
                             int timeout_ms)
{
    char pipe_kv[300], log_kv[300], out[200] = "";
    long deadline = now_ms() + timeout_ms;
    int status = 0, null_fd = -1, rc = -1;
    FILE *tmp = NULL;
    char **env;
    pid_t pid;

    env = daemon_env(pipe_kv, sizeof(pipe_kv), log_kv, sizeof(log_kv), d);
    if (env == NULL)
        return error_set(err, ERR_IO, "out of memory");
    tmp = tmpfile();
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (tmp == NULL || null_fd < 0) {
        error_set(err, ERR_IO, "cannot open a file for '%s -d' output: %s", MPS_CONTROL_BIN,
                  strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        error_set(err, ERR_IO, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        exec_daemon(bin, env, null_fd, fileno(tmp));
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            error_set(err, ERR_IO, "waitpid: %s", strerror(errno));
            goto out;
        }
        if (now_ms() >= deadline) {
            kill(-pid, SIGKILL); /* its session: whatever it started goes too */
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            error_set(err, ERR_UNSUPPORTED, "'%s -d' did not return within %d ms", MPS_CONTROL_BIN,
                      timeout_ms);
            goto out;
        }
        sleep_ms(POLL_MS / 2);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc = 0;
        goto out;
    }
    if (fseek(tmp, 0, SEEK_SET) == 0)
        out[fread(out, 1, sizeof(out) - 1, tmp)] = '\0';
    one_line(out);
    if (WIFEXITED(status))
        error_set(err, ERR_UNSUPPORTED, "'%s -d' failed with exit status %d%s%s", MPS_CONTROL_BIN,
                  WEXITSTATUS(status), out[0] != '\0' ? ": " : "", out);
    else
        error_set(err, ERR_UNSUPPORTED, "'%s -d' was killed by signal %d%s%s", MPS_CONTROL_BIN,
                  WTERMSIG(status), out[0] != '\0' ? ": " : "", out);
out:
    if (null_fd >= 0)
        close(null_fd);
    if (tmp != NULL)
        fclose(tmp);
    free(env);
    return rc;
}

/* Tracks the pid in the pid file when it names a live process. */
static void refresh_pid(struct mps_daemon *d)
{
    long pid = read_pid_file(d->pipe_dir);
    struct mps_proc p;

    if (pid <= 0 || pid == d->daemon.pid)
        return;
    p = proc_track(pid);
    if (!proc_gone(&p))
        d->daemon = p;
}

/*
 * Polls until the daemon answers a harmless command and its pid file names a live process.
 * The control pipe must exist first: a client started before it may wait for it (gpu/mps.c).
 * The pid file is read again after the answer, in case a stale one was read before the
 * daemon wrote its own. Sets *answered once it answered.
 */
static int wait_ready(struct error *err, struct mps_daemon *d, int timeout_ms, bool *answered)
{
    long deadline = now_ms() + timeout_ms;
    char control[512], out[160], last[160] = "";
    bool has_control = false;
    struct error e = {0};
    struct stat st;

    str_printf(control, sizeof(control), "%s/control", d->pipe_dir);
    while (!*answered) {
        long left = deadline - now_ms();
        int rc;

        refresh_pid(d);
        if (left <= 0)
            break;
        /* Interrupted: give up, but only once the pid is known, so the cleanup can stop it. */
        if (guard_active && guard_signal != 0 && d->daemon.pid > 0)
            return error_set(err, ERR_INTERRUPTED,
                             "interrupted by signal %d while waiting for the MPS control daemon",
                             (int)guard_signal);
        if (stat(control, &st) == 0) {
            has_control = true;
            rc = mps_control(&e, d->pipe_dir, READY_COMMAND, (int)left, out, sizeof(out));
            if (rc == 0) {
                *answered = true;
                break;
            }
            if (rc < 0) {
                last[0] = '\0'; /* it did not answer within what was left */
                break;
            }
            one_line(out);
            str_printf(last, sizeof(last), ": %s", out[0] != '\0' ? out : "(no output)");
        }
        sleep_ms(2 * POLL_MS);
    }
    if (!*answered) {
        refresh_pid(d); /* for the cleanup: it may have written it while we waited */
        if (!has_control)
            str_printf(last, sizeof(last), ": no control pipe in '%s'", d->pipe_dir);
        return error_set(err, ERR_UNSUPPORTED, "MPS control daemon did not answer within %d ms%s",
                         timeout_ms, last);
    }
    for (;;) {
        refresh_pid(d);
        if (d->daemon.pid > 0 && !proc_gone(&d->daemon))
            return 0;
        if (now_ms() >= deadline)
            return error_set(err, ERR_UNSUPPORTED,
                             "MPS control daemon answered but '%s/" PID_FILE
                             "' names no live process",
                             d->pipe_dir);
        sleep_ms(POLL_MS);
    }
}

/* Sends one command; the daemon must answer with exit status 0. */
static int control_ok(struct error *err, const struct mps_daemon *d, const char *cmd,
                      int timeout_ms, char *out, size_t out_size)
{
    int rc = mps_control(err, d->pipe_dir, cmd, timeout_ms, out, out_size);

    if (rc < 0)
        return -1;
    one_line(out);
    if (rc != 0)
        return error_set(err, ERR_UNSUPPORTED, "MPS control daemon refused '%s' (status %d)%s%s",
                         cmd, rc, out[0] != '\0' ? ": " : "", out);
    return 0;
}

/*
 * Applies the settings and reads each back: the daemon answers every set command with exit
 * status 0, even one it ignored (an out-of-range percentage, a malformed limit), so the exit
 * status proves nothing (observed, driver 580). set_default_active_thread_percentage prints the
 * value now in force ("50.0"); get_default_device_pinned_mem_limit prints whole G from 1 GiB up
 * (1536M shows as "1G", though the server applies 1.5 GiB), M below, and nothing when unset.
 */
static int apply_settings(struct error *err, const struct mps_daemon_opts *o,
                          const struct mps_daemon *d, int timeout_ms,
                          const struct mps_mem_limit *mem, size_t n_mem)
{
    char cmd[160], out[160], want[32], pct[16];

    if (o->active_thread_centi > 0) {
        double set = o->active_thread_centi / 100.0, got;
        char *end;

        mps_pct_text(o->active_thread_centi, pct, sizeof(pct));
        str_printf(cmd, sizeof(cmd), "set_default_active_thread_percentage %s", pct);
        if (control_ok(err, d, cmd, timeout_ms, out, sizeof(out)) < 0 ||
            control_ok(err, d, READY_COMMAND, timeout_ms, out, sizeof(out)) < 0)
            return -1;
        got = strtod(out, &end);
        if (end == out || *end != '\0' || got < set - 0.05 || got > set + 0.05)
            return error_set(err, ERR_UNSUPPORTED,
                             "MPS control daemon reports default active thread percentage '%s' "
                             "after setting %s",
                             out, pct);
    }
    for (size_t i = 0; i < n_mem; i++) {
        str_printf(cmd, sizeof(cmd), "set_default_device_pinned_mem_limit %s %s", mem[i].dev,
                   mem[i].value);
        if (control_ok(err, d, cmd, timeout_ms, out, sizeof(out)) < 0)
            return -1;
        str_printf(cmd, sizeof(cmd), "get_default_device_pinned_mem_limit %s", mem[i].dev);
        if (control_ok(err, d, cmd, timeout_ms, out, sizeof(out)) < 0)
            return -1;
        if (mem[i].mib >= 1024)
            str_printf(want, sizeof(want), "%lluG", mem[i].mib / 1024);
        else
            str_printf(want, sizeof(want), "%lluM", mem[i].mib);
        if (strcmp(out, want) != 0)
            return error_set(err, ERR_UNSUPPORTED,
                             "MPS control daemon reports default pinned memory limit '%s' for "
                             "device '%s' after setting %s",
                             out, mem[i].dev, mem[i].value);
    }
    return 0;
}

/* ---- stopping ---- */

/* Appends the server pids in get_server_list's answer (one per line) to p. */
static size_t add_servers(const struct mps_daemon *d, int timeout_ms, struct mps_proc *p, size_t n)
{
    char out[512], *s, *end;
    struct error e = {0};

    if (mps_control(&e, d->pipe_dir, "get_server_list", timeout_ms, out, sizeof(out)) != 0)
        return n;
    for (s = out; *s != '\0'; s = end) {
        long pid;

        while (*s != '\0' && !isdigit((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        pid = strtol(s, &end, 10);
        if (pid > 1 && pid != (long)getpid() && pid != d->daemon.pid &&
            n < 1 + MPS_DAEMON_MAX_SERVERS)
            p[n++] = proc_track(pid);
    }
    return n;
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "es";
}

/*
 * Ends the daemon and its servers; why gets a sentence when a signal was needed. With
 * try_quit false (a daemon that never answered), SIGTERM comes first.
 */
static enum mps_stop_how shut_down(struct mps_daemon *d, int timeout_ms, bool try_quit, char *why,
                                   size_t why_size)
{
    struct mps_proc p[1 + MPS_DAEMON_MAX_SERVERS];
    char note[200] = "", out[160] = "";
    size_t n = 0, after_quit, after_term;

    why[0] = '\0';
    if (d->daemon.pid > 0) {
        if (proc_gone(&d->daemon))
            return MPS_STOP_GONE;
        p[n++] = d->daemon;
    }
    if (try_quit) {
        struct error e = {0};
        long deadline;
        int rc;

        n = add_servers(d, timeout_ms, p, n);
        /* One deadline for `quit` and the exit: it does not return while clients are attached
         * (observed, driver 580). */
        deadline = now_ms() + timeout_ms;
        rc = mps_control(&e, d->pipe_dir, "quit", timeout_ms, out, sizeof(out));
        one_line(out);
        if (rc < 0)
            str_printf(note, sizeof(note), " ('quit': %s)", e.msg);
        else if (rc != 0)
            str_printf(note, sizeof(note), " ('quit' failed with status %d%s%s)", rc,
                       out[0] != '\0' ? ": " : "", out);
        if (d->daemon.pid <= 0) {
            if (rc == 0)
                return MPS_STOP_QUIT; /* unverified: no pid to watch */
            str_printf(why, why_size, "MPS control daemon has no known pid%s", note);
            return MPS_STOP_FAILED;
        }
        if ((after_quit = wait_gone(p, n, deadline - now_ms())) == 0)
            return MPS_STOP_QUIT;
    } else {
        if (n == 0)
            return MPS_STOP_NOTHING;
        after_quit = count_alive(p, n);
    }
    signal_alive(p, n, SIGTERM);
    if ((after_term = wait_gone(p, n, timeout_ms)) == 0) {
        str_printf(why, why_size,
                   "MPS control daemon %ld: %zu process%s still running %d ms after 'quit'%s; "
                   "SIGTERM ended %s",
                   d->daemon.pid, after_quit, plural(after_quit), try_quit ? timeout_ms : 0, note,
                   after_quit == 1 ? "it" : "them");
        return MPS_STOP_TERM;
    }
    signal_alive(p, n, SIGKILL);
    if (wait_gone(p, n, KILL_WAIT_MS) == 0) {
        str_printf(why, why_size,
                   "MPS control daemon %ld: %zu process%s still running %d ms after 'quit'%s "
                   "and %zu after SIGTERM; SIGKILL ended %s",
                   d->daemon.pid, after_quit, plural(after_quit), try_quit ? timeout_ms : 0, note,
                   after_term, after_term == 1 ? "it" : "them");
        return MPS_STOP_KILL;
    }
    {
        char pids[100] = "";
        size_t len = 0;

        for (size_t i = 0; i < n; i++)
            if (!proc_gone(&p[i]) && len + 24 < sizeof(pids)) {
                str_printf(pids + len, sizeof(pids) - len, "%s%ld", len > 0 ? " " : "", p[i].pid);
                len = strlen(pids);
            }
        str_printf(why, why_size, "MPS control daemon %ld: process%s %s outlived SIGKILL%s",
                   d->daemon.pid, strchr(pids, ' ') != NULL ? "es" : "", pids, note);
    }
    return MPS_STOP_FAILED;
}

/* ---- the API ---- */

int mps_daemon_start(struct error *err, const struct mps_daemon_opts *o, struct mps_daemon *d)
{
    int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : MPS_DAEMON_TIMEOUT_MS;
    struct mps_mem_limit mem[MPS_MAX_MEM_LIMITS];
    char bin[1024];
    bool answered = false;
    size_t n_mem;

    memset(d, 0, sizeof(*d));
    if (check_opts(err, o, mem, &n_mem) < 0)
        return -1;
    if (!mps_find_on_path(MPS_CONTROL_BIN, bin, sizeof(bin)))
        return error_set(err, ERR_UNSUPPORTED, "'%s' is not on PATH", MPS_CONTROL_BIN);
    if (o->pipe_dir != NULL) {
        struct mps_probe_result probe;

        mps_probe(o->pipe_dir, &probe);
        if (probe.answers && !o->reuse)
            return error_set(err, ERR_INVALID,
                             "an MPS control daemon already answers at '%s': use --reuse to "
                             "share it, or stop it with 'echo quit | CUDA_MPS_PIPE_DIRECTORY=%s "
                             "%s'",
                             o->pipe_dir, o->pipe_dir, MPS_CONTROL_BIN);
        if (probe.answers) {
            if (o->active_thread_centi > 0 || n_mem > 0)
                return error_set(err, ERR_INVALID,
                                 "the MPS control daemon at '%s' is reused: its settings cannot "
                                 "be changed; drop --reuse or the settings",
                                 o->pipe_dir);
            str_printf(d->pipe_dir, sizeof(d->pipe_dir), "%s", o->pipe_dir);
            if (probe.has_pid)
                d->daemon = proc_track(probe.daemon_pid);
            d->reused = true;
            return 0;
        }
    }
    if (make_dirs(err, o, d) < 0)
        goto fail;
    if (run_daemon_client(err, bin, d, timeout_ms) < 0)
        goto fail;
    d->started = true;
    if (wait_ready(err, d, timeout_ms, &answered) < 0 ||
        apply_settings(err, o, d, timeout_ms, mem, n_mem) < 0)
        goto fail;
    return 0;

fail:
    if (d->started) {
        char why[256];

        /* Only the daemon we started: its pid was read after our `-d` returned. */
        if (shut_down(d, timeout_ms, answered, why, sizeof(why)) == MPS_STOP_FAILED) {
            char msg[sizeof(err->msg)];

            memcpy(msg, err->msg, sizeof(msg));
            str_printf(err->msg, sizeof(err->msg), "%s; cleanup: %s", msg, why);
        }
    }
    {
        struct error rm = {0};

        if (remove_root(&rm, d) < 0) {
            char msg[sizeof(err->msg)];

            memcpy(msg, err->msg, sizeof(msg));
            str_printf(err->msg, sizeof(err->msg), "%s; cleanup: %s", msg, rm.msg);
        }
    }
    memset(d, 0, sizeof(*d));
    return -1;
}

int mps_daemon_attach(struct error *err, const char *pipe_dir, struct mps_daemon *d)
{
    struct mps_probe_result probe;

    memset(d, 0, sizeof(*d));
    if (pipe_dir == NULL)
        pipe_dir = mps_default_pipe_dir();
    mps_probe(pipe_dir, &probe);
    if (!probe.answers)
        return error_set(err, ERR_INVALID, "no MPS control daemon answers at '%s': %s", pipe_dir,
                         probe.detail);
    if (!probe.has_pid)
        return error_set(err, ERR_INVALID, "cannot read '%s/" PID_FILE "'", pipe_dir);
    str_printf(d->pipe_dir, sizeof(d->pipe_dir), "%s", pipe_dir);
    d->daemon = proc_track(probe.daemon_pid);
    d->started = true;
    return 0;
}

int mps_daemon_stop(struct error *err, struct mps_daemon *d, int timeout_ms)
{
    enum mps_stop_how how = MPS_STOP_NOTHING;
    struct error rm = {0};
    char why[256] = "";
    int rm_rc;

    if (timeout_ms <= 0)
        timeout_ms = MPS_DAEMON_TIMEOUT_MS;
    if (d->started && !d->reused)
        how = shut_down(d, timeout_ms, true, why, sizeof(why));
    rm_rc = remove_root(&rm, d);
    memset(d, 0, sizeof(*d));
    d->stopped = how;
    if (how >= MPS_STOP_TERM && rm_rc < 0)
        return error_set(err, ERR_UNSUPPORTED, "%s; %s", why, rm.msg);
    if (how >= MPS_STOP_TERM)
        return error_set(err, ERR_UNSUPPORTED, "%s", why);
    if (rm_rc < 0)
        return error_set(err, ERR_IO, "%s", rm.msg);
    return 0;
}

int mps_daemon_setenv(struct error *err, const struct mps_daemon *d)
{
    if (d->pipe_dir[0] == '\0')
        return error_set(err, ERR_INVALID, "no MPS control daemon to point clients at");
    if (setenv("CUDA_MPS_PIPE_DIRECTORY", d->pipe_dir, 1) < 0 ||
        (d->log_dir[0] != '\0' && setenv("CUDA_MPS_LOG_DIRECTORY", d->log_dir, 1) < 0))
        return error_set(err, ERR_IO, "setenv: %s", strerror(errno));
    return 0;
}

/* ---- the signal guard ---- */

static void on_guard_signal(int sig)
{
    guard_signal = sig;
}

void mps_guard_install(struct mps_guard *g)
{
    struct sigaction sa = {.sa_handler = on_guard_signal, .sa_flags = SA_RESTART};

    if (g->installed)
        return;
    guard_signal = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &g->old_int);
    sigaction(SIGTERM, &sa, &g->old_term);
    /* A closed SSH session: the daemon runs in a session of its own and would outlive us. */
    sigaction(SIGHUP, &sa, &g->old_hup);
    g->installed = true;
    guard_active = true;
}

int mps_guard_pending(void)
{
    return guard_signal;
}

void mps_guard_remove(struct mps_guard *g)
{
    if (!g->installed)
        return;
    sigaction(SIGINT, &g->old_int, NULL);
    sigaction(SIGTERM, &g->old_term, NULL);
    sigaction(SIGHUP, &g->old_hup, NULL);
    g->installed = false;
    guard_active = false;
}

/* ---- helpers for a record kept across processes ---- */

bool mps_proc_gone(const struct mps_proc *p)
{
    return proc_gone(p);
}
