/*
 * MPS control client and daemon probe. The client binary is run rather than
 * its pipes spoken to directly: the pipe protocol is private to NVIDIA, the
 * command-line client is the documented interface (MPS doc, section 4.1).
 */
#include "gpu/mps.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "core/xalloc.h"

#define MPS_CONTROL_BIN "nvidia-cuda-mps-control"

const char *mps_default_pipe_dir(void)
{
    const char *env = getenv("CUDA_MPS_PIPE_DIRECTORY");

    return env != NULL && env[0] != '\0' ? env : "/tmp/nvidia-mps";
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

extern char **environ;

/* Child side, only async-signal-safe calls: the command on stdin, output to the pipe, the
 * environment built before the fork. */
static void exec_client(const char *bin, char *const envp[], int in_fd, int out_fd)
{
    char *const argv[] = {(char *)MPS_CONTROL_BIN, NULL};

    setpgid(0, 0); /* its own group, so a deadline kills whatever it started too */
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    execve(bin, argv, envp);
    _exit(127);
}

/* environ with CUDA_MPS_PIPE_DIRECTORY=pipe_dir in place of any it had; kv holds the entry. */
static char **client_env(const char *pipe_dir, char *kv, size_t size)
{
    static const char key[] = "CUDA_MPS_PIPE_DIRECTORY=";
    size_t n = 0, k = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    env = xcalloc(n + 2, sizeof(*env));
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], key, sizeof(key) - 1) != 0)
            env[k++] = environ[i];
    str_printf(kv, size, "%s%s", key, pipe_dir);
    env[k] = kv;
    return env;
}

/* Reads the child's output until EOF or the deadline; returns false on timeout. */
static int read_until(int fd, long deadline, char *out, size_t out_size)
{
    size_t len = 0;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long left = deadline - now_ms();
        ssize_t n;
        char sink[256];

        int ready;

        if (left <= 0)
            return 0;
        ready = poll(&pfd, 1, (int)left);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        if (len + 1 < out_size)
            n = read(fd, out + len, out_size - 1 - len);
        else
            n = read(fd, sink, sizeof(sink)); /* drain what does not fit */
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (len + 1 < out_size)
            len += (size_t)n;
    }
    if (out_size > 0)
        out[len] = '\0';
    return 1;
}

/*
 * Writes the command line without blocking past the deadline and without dying of SIGPIPE
 * when the client has already exited (a client that died early shows in its exit status).
 * SIGPIPE is ignored only here, after the fork, so the client never inherits SIG_IGN.
 */
static void write_until(int fd, const char *command, long deadline)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    size_t len = strlen(command), off = 0;

    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (off <= len) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        const char *p = off < len ? command + off : "\n";
        size_t n = off < len ? len - off : 1;
        long left = deadline - now_ms();
        ssize_t w;
        int r;

        if (left <= 0)
            break;
        /* A signal (a caller's guard handler) must not drop the command: poll again. */
        r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        w = write(fd, p, n);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w < 0)
            break; /* EPIPE: the client is gone */
        off += (size_t)w;
    }
    sigaction(SIGPIPE, &old, NULL);
}

/* Looks a program up in $PATH, as execlp would, into path: false when it is not there.
 * Resolved before fork, so the child only calls execve (async-signal-safe). */
bool mps_find_on_path(const char *name, char *path, size_t size)
{
    const char *p = getenv("PATH");

    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, ":");

        str_printf(path, size, "%.*s/%s", (int)len, len > 0 ? p : ".", name);
        if (access(path, X_OK) == 0)
            return true;
        p += len + (p[len] == ':');
    }
    return false;
}

/* Waits for pid until the deadline; kills it past the deadline. Always reaps. */
static int reap(pid_t pid, long deadline, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return -1;
        }
        nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
    }
}

int mps_control(struct error *err, const char *pipe_dir, const char *command, int timeout_ms,
                char *out, size_t out_size)
{
    int in[2], outp[2], status = 0;
    long deadline = now_ms() + timeout_ms;
    char bin[1024], kv[300];
    char **envp;
    pid_t pid;
    int done;

    if (!mps_find_on_path(MPS_CONTROL_BIN, bin, sizeof(bin)))
        return error_set(err, ERR_UNSUPPORTED, "'%s' is not on PATH", MPS_CONTROL_BIN);
    if (pipe(in) < 0)
        return error_set(err, ERR_IO, "pipe: %s", strerror(errno));
    if (pipe(outp) < 0) {
        close(in[0]);
        close(in[1]);
        return error_set(err, ERR_IO, "pipe: %s", strerror(errno));
    }
    envp = client_env(pipe_dir, kv, sizeof(kv));
    pid = fork();
    if (pid < 0) {
        int e = errno;

        close(in[0]);
        close(in[1]);
        close(outp[0]);
        close(outp[1]);
        free(envp);
        return error_set(err, ERR_IO, "fork: %s", strerror(e));
    }
    if (pid == 0) {
        close(in[1]);
        close(outp[0]);
        exec_client(bin, envp, in[0], outp[1]);
    }
    free(envp);
    close(in[0]);
    close(outp[1]);
    write_until(in[1], command, deadline);
    close(in[1]);
    done = read_until(outp[0], deadline, out, out_size);
    close(outp[0]);
    if (reap(pid, done ? deadline : now_ms(), &status) < 0 || !done)
        return error_set(err, ERR_UNSUPPORTED, "'%s' did not answer '%s' within %d ms",
                         MPS_CONTROL_BIN, command, timeout_ms);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void read_pid(const char *pipe_dir, struct mps_probe_result *out)
{
    char path[512];
    FILE *f;

    str_printf(path, sizeof(path), "%s/nvidia-cuda-mps-control.pid", pipe_dir);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fscanf(f, "%ld", &out->daemon_pid) == 1 && out->daemon_pid > 0)
        out->has_pid = true;
    fclose(f);
}

static void chomp(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    for (char *p = s; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
}

void mps_probe(const char *pipe_dir, struct mps_probe_result *out)
{
    struct stat st;
    struct error err;
    char answer[200] = "";
    char path[512];
    int rc;

    memset(out, 0, sizeof(*out));
    if (pipe_dir == NULL)
        pipe_dir = mps_default_pipe_dir();
    str_printf(out->pipe_dir, sizeof(out->pipe_dir), "%s", pipe_dir);
    str_printf(path, sizeof(path), "%s/control", pipe_dir);
    /* No control pipe: no daemon ever listened here, so do not start a client that would
     * wait for one. */
    if (stat(path, &st) < 0) {
        str_printf(out->detail, sizeof(out->detail), "no control pipe in '%s'", pipe_dir);
        return;
    }
    read_pid(pipe_dir, out);
    rc = mps_control(&err, pipe_dir, "get_server_list", 3000, answer, sizeof(answer));
    if (rc < 0) {
        str_printf(out->detail, sizeof(out->detail), "%s", err.msg);
        return;
    }
    chomp(answer);
    out->answers = rc == 0;
    str_printf(out->detail, sizeof(out->detail), "%s%s",
               rc == 0 ? "server list: " : "control client failed: ",
               answer[0] != '\0' ? answer : "(empty)");
}
