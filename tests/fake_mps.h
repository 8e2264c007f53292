/*
 * A fake nvidia-cuda-mps-control for tests, first on PATH in a sandbox of its own. The fake's
 * `-d` starts a background sh loop (the "daemon") that writes nvidia-cuda-mps-control.pid into
 * CUDA_MPS_PIPE_DIRECTORY, creates the control FIFO, forks a `sleep` as its "server", and exits
 * when the fake client leaves a `quit` file. Every command a live daemon received is appended
 * to root/commands; every process the fakes start is appended to root/pids, which the teardown
 * checks. $XDG_RUNTIME_DIR is root/run, so private directories land where teardown sees them.
 *
 * Use fake_mps_setup and fake_mps_teardown as cmocka setup and teardown: the teardown fails a
 * test that leaves a fake process, a child, a descriptor or an entry in $XDG_RUNTIME_DIR.
 */
#ifndef GPUSHARE_TESTS_FAKE_MPS_H
#define GPUSHARE_TESTS_FAKE_MPS_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define CLIENT "nvidia-cuda-mps-control"

/*
 * $FAKE_MPS_MODE holds words: fail_start (`-d` exits 1), hang_start (`-d` never returns), mute (the
 * client never answers), deaf (the daemon ignores quit), ignore_term (the daemon and its server
 * ignore SIGTERM), bad_set, bad_mem (set_default_active_thread_percentage,
 * set_default_device_pinned_mem_limit are ignored). As the real daemon does, every command it got
 * exits 0, a set percentage prints the value in force, and a memory limit reads back in whole G
 * from 1 GiB up.
 */
#define FAKE_CLIENT                                                                                \
    "R=\"$FAKE_MPS_ROOT\"\n"                                                                       \
    "D=\"${CUDA_MPS_PIPE_DIRECTORY:-/tmp/nvidia-mps}\"\n"                                          \
    "has() { case \" $FAKE_MPS_MODE \" in *\" $1 \"*) return 0;; esac; return 1; }\n"              \
    "if [ \"$1\" = -d ]; then\n"                                                                   \
    "    echo \"-d pipe=$CUDA_MPS_PIPE_DIRECTORY log=$CUDA_MPS_LOG_DIRECTORY\" >> "                \
    "\"$R/commands\"\n"                                                                            \
    "    if has fail_start; then\n"                                                                \
    "        echo 'An instance of this daemon is already running' >&2; exit 1\n"                   \
    "    fi\n"                                                                                     \
    "    has hang_start && { echo $$ >> \"$R/pids\"; exec sleep 30; }\n"                           \
    "    mkdir -p \"$D\" || exit 1\n"                                                              \
    "    sh \"$R/bin/fake-daemon\" \"$D\" </dev/null >/dev/null 2>&1 &\n"                          \
    "    exit 0\n"                                                                                 \
    "fi\n"                                                                                         \
    "read -r cmd\n"                                                                                \
    "pid=$(cat \"$D/nvidia-cuda-mps-control.pid\" 2>/dev/null)\n"                                  \
    "if [ -z \"$pid\" ] || ! kill -0 \"$pid\" 2>/dev/null; then\n"                                 \
    "    echo 'Cannot find MPS control daemon process'; exit 1\n"                                  \
    "fi\n"                                                                                         \
    "echo \"$cmd\" >> \"$R/commands\"\n"                                                           \
    "has mute && exec sleep 30\n"                                                                  \
    "case \"$cmd\" in\n"                                                                           \
    "get_server_list) cat \"$D/servers\" ;;\n"                                                     \
    "get_default_active_thread_percentage) cat \"$D/pct\" 2>/dev/null || echo 100.0 ;;\n"          \
    "'set_default_active_thread_percentage '*)\n"                                                  \
    "    has bad_set || echo \"${cmd#* }.0\" > \"$D/pct\"\n"                                       \
    "    cat \"$D/pct\" 2>/dev/null || echo 100.0 ;;\n"                                            \
    "'set_default_device_pinned_mem_limit '*)\n"                                                   \
    "    has bad_mem || { set -- $cmd; echo \"$3\" > \"$D/mem.$2\"; } ;;\n"                        \
    "'get_default_device_pinned_mem_limit '*)\n"                                                   \
    "    v=$(cat \"$D/mem.${cmd#* }\" 2>/dev/null) || exit 0\n"                                    \
    "    n=${v%?}; [ \"${v#\"$n\"}\" = G ] && n=$((n * 1024))\n"                                   \
    "    if [ $n -ge 1024 ]; then echo $((n / 1024))G; else echo ${n}M; fi ;;\n"                   \
    "get_client_list*) cat \"$D/clients\" 2>/dev/null ;;\n"                                        \
    "get_default_client_priority) cat \"$D/prio\" 2>/dev/null || echo 0 ;;\n"                      \
    "'set_default_client_priority '*) echo \"${cmd#* }\" > \"$D/prio\" ;;\n"                       \
    "get_active_thread_percentage*) cat \"$D/pct\" 2>/dev/null || echo 100.0 ;;\n"                 \
    "quit) touch \"$D/quit\" ;;\n"                                                                 \
    "*) echo 'Unknown command'; exit 1 ;;\n"                                                       \
    "esac\n"

#define FAKE_DAEMON                                                                                \
    "D=$1\n"                                                                                       \
    "has() { case \" $FAKE_MPS_MODE \" in *\" $1 \"*) return 0;; esac; return 1; }\n"              \
    "has ignore_term && trap '' TERM\n"                                                            \
    "echo $$ >> \"$FAKE_MPS_ROOT/pids\"\n"                                                         \
    "sleep 1000 &\n"                                                                               \
    "srv=$!\n"                                                                                     \
    "has ignore_term || trap 'kill $srv; exit 0' TERM\n"                                           \
    "echo $srv >> \"$FAKE_MPS_ROOT/pids\"\n"                                                       \
    "echo $srv > \"$D/servers\"\n"                                                                 \
    "has no_control || [ -p \"$D/control\" ] || mkfifo \"$D/control\"\n"                           \
    "echo $$ > \"$D/pid.tmp\" && mv \"$D/pid.tmp\" \"$D/nvidia-cuda-mps-control.pid\"\n"           \
    "while :; do\n"                                                                                \
    "    if [ -e \"$D/quit\" ] && ! has deaf; then\n"                                              \
    "        rm -f \"$D/quit\" \"$D/nvidia-cuda-mps-control.pid\"; kill $srv; exit 0\n"            \
    "    fi\n"                                                                                     \
    "    sleep 0.01\n"                                                                             \
    "done\n"

/* One temporary tree per test: root/{bin,run,pipes,logs,empty}. */
static struct {
    char root[64];
    char bin[96];   /* the fake client and daemon; first on PATH */
    char run[96];   /* $XDG_RUNTIME_DIR: private directories go here */
    char pipes[96]; /* a pipe directory the "user" gives */
    char logs[96];  /* a log directory the "user" gives */
    char empty[96]; /* a PATH with no client on it */
    char *saved[6];
    int open_fds;
} sb;

static const char *const saved_names[6] = {
    "PATH",          "XDG_RUNTIME_DIR", "CUDA_MPS_PIPE_DIRECTORY", "CUDA_MPS_LOG_DIRECTORY",
    "FAKE_MPS_ROOT", "FAKE_MPS_MODE",
};

static inline void path_in(char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/%s", sb.root, name);
}

/* Reads a whole (small) file; "" when missing. */
static inline void read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f != NULL) {
        n = fread(buf, 1, size - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

static inline void commands(char *buf, size_t size)
{
    char path[128];

    path_in(path, sizeof(path), "commands");
    read_text(path, buf, size);
}

/* Entries in a directory other than . and ..; -1 when it cannot be read. */
static inline int count_entries(const char *path, char *first, size_t size)
{
    struct dirent *e;
    int n = 0;
    DIR *d = opendir(path);

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            if (n++ == 0 && first != NULL)
                snprintf(first, size, "%s", e->d_name);
        }
    closedir(d);
    return n;
}

/* Alive: the pid exists and is not a zombie (the fakes are not our children). */
static inline bool alive(long pid)
{
    char path[64], buf[512];
    const char *p;

    if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
        return false;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    read_text(path, buf, sizeof(buf));
    p = strrchr(buf, ')');
    return !(p != NULL && (p[2] == 'Z' || p[2] == 'X'));
}

/* The most fake pids the leak checks read: two per daemon, so 128 daemons in one test. */
#define FAKE_MAX_PIDS 256

/* The pids the fakes recorded: the daemon first, then its server; at most max of them. */
static inline size_t fake_pids(long *pids, size_t max)
{
    char path[128];

    path_in(path, sizeof(path), "pids");
    return read_longs(path, pids, max);
}

/*
 * Every pid the fakes recorded, into pids (FAKE_MAX_PIDS of them), for the leak checks: -1, said
 * on stderr, when there are more than FAKE_MAX_PIDS, so a check never passes on a partial list.
 */
static inline int all_fakes(long pids[FAKE_MAX_PIDS + 1], size_t *n)
{
    *n = fake_pids(pids, FAKE_MAX_PIDS + 1);
    if (*n <= FAKE_MAX_PIDS)
        return 0;
    fprintf(stderr,
            "fake_mps: more than %d fake processes recorded: the leak check cannot see them all; "
            "raise FAKE_MAX_PIDS\n",
            FAKE_MAX_PIDS);
    *n = FAKE_MAX_PIDS;
    return -1;
}

/* How many fake processes still run; SIZE_MAX (which no test expects) when all_fakes fails. */
static inline size_t count_alive_fakes(void)
{
    long pids[FAKE_MAX_PIDS + 1];
    size_t n, left = 0;

    if (all_fakes(pids, &n) < 0)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        left += alive(pids[i]);
    return left;
}

static inline void set_mode(const char *mode)
{
    setenv("FAKE_MPS_MODE", mode, 1);
}

static inline int fake_mps_setup(void **state)
{
    char path[128];

    (void)state;
    memset(&sb, 0, sizeof(sb));
    snprintf(sb.root, sizeof(sb.root), "/tmp/gpushare-mps-test-XXXXXX");
    if (mkdtemp(sb.root) == NULL)
        return -1;
    path_in(sb.bin, sizeof(sb.bin), "bin");
    path_in(sb.run, sizeof(sb.run), "run");
    path_in(sb.pipes, sizeof(sb.pipes), "pipes");
    path_in(sb.logs, sizeof(sb.logs), "logs");
    path_in(sb.empty, sizeof(sb.empty), "empty");
    if (mkdir(sb.bin, 0755) < 0 || mkdir(sb.run, 0700) < 0 || mkdir(sb.pipes, 0755) < 0 ||
        mkdir(sb.logs, 0755) < 0 || mkdir(sb.empty, 0755) < 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/" CLIENT, sb.bin);
    if (write_file(path, "#!/bin/sh\n" FAKE_CLIENT, 0755) < 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/fake-daemon", sb.bin);
    if (write_file(path, FAKE_DAEMON, 0644) < 0)
        goto fail;

    for (size_t i = 0; i < 6; i++)
        sb.saved[i] = dup_env(saved_names[i]);
    path_prepend(sb.bin, sb.saved[0]);
    setenv("XDG_RUNTIME_DIR", sb.run, 1);
    unsetenv("CUDA_MPS_PIPE_DIRECTORY");
    unsetenv("CUDA_MPS_LOG_DIRECTORY");
    setenv("FAKE_MPS_ROOT", sb.root, 1);
    set_mode("");
    sb.open_fds = count_open_fds();
    return 0;
fail:
    remove_tree(sb.root);
    return -1;
}

/* Leaves no process, zombie child, descriptor, directory or environment change behind. */
static inline int fake_mps_teardown(void **state)
{
    long pids[FAKE_MAX_PIDS + 1];
    size_t n;
    char first[256] = "";
    int rc = 0, entries;

    (void)state;
    if (all_fakes(pids, &n) < 0)
        rc = -1;
    for (size_t i = 0; i < n; i++)
        if (alive(pids[i])) {
            fprintf(stderr, "teardown: fake process %ld still running; killing it\n", pids[i]);
            kill((pid_t)pids[i], SIGKILL);
            rc = -1;
        }
    if (check_no_children_or_fds(sb.open_fds) < 0)
        rc = -1;
    entries = count_entries(sb.run, first, sizeof(first));
    if (entries != 0) {
        fprintf(stderr, "teardown: %d entries left in $XDG_RUNTIME_DIR, such as '%s'\n", entries,
                first);
        rc = -1;
    }
    for (size_t i = 0; i < 6; i++)
        restore_env(saved_names[i], &sb.saved[i]);
    if (remove_sandbox(sb.root) < 0)
        rc = -1;
    return rc;
}

#endif
