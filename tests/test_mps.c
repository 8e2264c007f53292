/*
 * Unit tests for gpu/mps: the real control client code driven against a shell-script
 * nvidia-cuda-mps-control put first on PATH, one temporary directory per test.
 */
#include "gpu/mps.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "gpu/info.h"
#include "testutil.h"

#define CLIENT "nvidia-cuda-mps-control"
#define DAEMON_PID 31337

/* The fake clients. $FAKE_MPS_ROOT is the test's temporary directory. */
#define FAKE_ANSWER "touch \"$FAKE_MPS_ROOT/ran\"\nread cmd\necho 4242\n"
#define FAKE_TWO_SERVERS "read cmd\nprintf '4242\\n5151\\n'\n"
#define FAKE_SILENT "touch \"$FAKE_MPS_ROOT/ran\"\nread cmd\n"
#define FAKE_REFUSE                                                                                \
    "touch \"$FAKE_MPS_ROOT/ran\"\nread cmd\n"                                                     \
    "echo 'Cannot find MPS control daemon process'\nexit 1\n"
#define FAKE_ECHO "read cmd\necho \"dir=$CUDA_MPS_PIPE_DIRECTORY\"\necho \"cmd=$cmd\"\n"
#define FAKE_HANG "echo $$ > \"$FAKE_MPS_ROOT/fake.pid\"\nread cmd\nexec sleep 30\n"
#define FAKE_FLOOD "read cmd\nhead -c 200000 /dev/zero | tr '\\000' x\n"

/* One temporary tree per test: root/{bin,pipes,empty}. */
static struct {
    char root[64];  /* /tmp/gpushare-mps-XXXXXX */
    char bin[96];   /* the fake client; first on PATH */
    char pipes[96]; /* control FIFO and daemon pid file, as the daemon leaves them */
    char empty[96]; /* a PATH with no client on it */
    char *saved_path;
    char *saved_pipe_env;
    int open_fds; /* at setup, to catch a leaked pipe end */
} sb;

static void path_in(char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/%s", sb.root, name);
}

/* Installs `body` as bin/nvidia-cuda-mps-control; renamed into place, so never half-written. */
static void install_fake(const char *body)
{
    char tmp[128], path[128], script[1024];

    snprintf(script, sizeof(script), "#!/bin/sh\n%s", body);
    snprintf(tmp, sizeof(tmp), "%s/.fake", sb.bin);
    snprintf(path, sizeof(path), "%s/%s", sb.bin, CLIENT);
    assert_int_equal(write_file(tmp, script, 0755), 0);
    assert_int_equal(rename(tmp, path), 0);
}

/* The pid the hanging fake wrote, or 0. */
static pid_t fake_pid(void)
{
    char path[128];
    long pid = 0;

    path_in(path, sizeof(path), "fake.pid");
    return read_longs(path, &pid, 1) == 1 ? (pid_t)pid : 0;
}

static int setup(void **state)
{
    char path[128], pid_text[16];

    (void)state;
    memset(&sb, 0, sizeof(sb));
    snprintf(sb.root, sizeof(sb.root), "/tmp/gpushare-mps-XXXXXX");
    if (mkdtemp(sb.root) == NULL)
        return -1;
    path_in(sb.bin, sizeof(sb.bin), "bin");
    path_in(sb.pipes, sizeof(sb.pipes), "pipes");
    path_in(sb.empty, sizeof(sb.empty), "empty");
    snprintf(path, sizeof(path), "%s/control", sb.pipes);
    snprintf(pid_text, sizeof(pid_text), "%d\n", DAEMON_PID);
    if (mkdir(sb.bin, 0755) < 0 || mkdir(sb.pipes, 0755) < 0 || mkdir(sb.empty, 0755) < 0 ||
        mkfifo(path, 0600) < 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/nvidia-cuda-mps-control.pid", sb.pipes);
    if (write_file(path, pid_text, 0644) < 0)
        goto fail;

    sb.saved_path = dup_env("PATH");
    sb.saved_pipe_env = dup_env("CUDA_MPS_PIPE_DIRECTORY");
    path_prepend(sb.bin, sb.saved_path);
    unsetenv("CUDA_MPS_PIPE_DIRECTORY");
    setenv("FAKE_MPS_ROOT", sb.root, 1);
    sb.open_fds = count_open_fds();
    return 0;
fail:
    remove_tree(sb.root);
    return -1;
}

/* Leaves no process, zombie, descriptor, file or environment change behind, and checks it. */
static int teardown(void **state)
{
    pid_t pid = fake_pid();
    int rc = 0;

    (void)state;
    if (pid > 0 && kill(pid, 0) == 0) {
        fprintf(stderr, "teardown: fake client %ld still running; killing it\n", (long)pid);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0); // when it is still our child
        rc = -1;
    }
    if (check_no_children_or_fds(sb.open_fds) < 0)
        rc = -1;
    restore_env("PATH", &sb.saved_path);
    restore_env("CUDA_MPS_PIPE_DIRECTORY", &sb.saved_pipe_env);
    unsetenv("FAKE_MPS_ROOT");
    if (remove_sandbox(sb.root) < 0)
        rc = -1;
    return rc;
}

static const struct {
    const char *env; /* $CUDA_MPS_PIPE_DIRECTORY, NULL for unset */
    const char *want;
} default_dir_cases[] = {
    {NULL, "/tmp/nvidia-mps"},
    {"", "/tmp/nvidia-mps"},
    {"/run/mps", "/run/mps"},
    {"/tmp/mps pipes/", "/tmp/mps pipes/"},
};

static void test_default_pipe_dir(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(default_dir_cases) / sizeof(default_dir_cases[0]); i++) {
        const char *got;

        if (default_dir_cases[i].env != NULL)
            setenv("CUDA_MPS_PIPE_DIRECTORY", default_dir_cases[i].env, 1);
        else
            unsetenv("CUDA_MPS_PIPE_DIRECTORY");
        got = mps_default_pipe_dir();
        if (strcmp(got, default_dir_cases[i].want) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, got, default_dir_cases[i].want);
    }
}

static const struct {
    const char *fake;
    bool no_pipe; /* probe root/, which has no control FIFO, instead of pipes/ */
    bool answers;
    const char *detail; /* exact; NULL: "no control pipe in '<dir>'" */
    bool ran;           /* the fake touched $FAKE_MPS_ROOT/ran */
} probe_cases[] = {
    {FAKE_ANSWER, false, true, "server list: 4242", true},
    {FAKE_TWO_SERVERS, false, true, "server list: 4242 5151", false},
    {FAKE_SILENT, false, true, "server list: (empty)", true},
    {FAKE_REFUSE, false, false, "control client failed: Cannot find MPS control daemon process",
     true},
    {FAKE_ANSWER, true, false, NULL, false},
};

static void test_probe(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(probe_cases) / sizeof(probe_cases[0]); i++) {
        const char *dir = probe_cases[i].no_pipe ? sb.root : sb.pipes;
        struct mps_probe_result r;
        char want[256], marker[128];

        path_in(marker, sizeof(marker), "ran");
        unlink(marker);
        install_fake(probe_cases[i].fake);
        mps_probe(dir, &r);
        if (probe_cases[i].detail != NULL)
            snprintf(want, sizeof(want), "%s", probe_cases[i].detail);
        else
            snprintf(want, sizeof(want), "no control pipe in '%s'", dir);
        if (strcmp(r.detail, want) != 0)
            fail_msg("case %zu: detail \"%s\", want \"%s\"", i, r.detail, want);
        if (r.answers != probe_cases[i].answers)
            fail_msg("case %zu (%s): answers %d", i, want, r.answers);
        if (strcmp(r.pipe_dir, dir) != 0)
            fail_msg("case %zu (%s): pipe_dir \"%s\"", i, want, r.pipe_dir);
        if (exists(marker) != probe_cases[i].ran)
            fail_msg("case %zu (%s): the client %s", i, want,
                     probe_cases[i].ran ? "did not run" : "ran");
        // The pid file sits next to the control pipe; root/ has neither.
        if (r.has_pid != !probe_cases[i].no_pipe ||
            r.daemon_pid != (probe_cases[i].no_pipe ? 0 : DAEMON_PID))
            fail_msg("case %zu (%s): has_pid %d daemon_pid %ld", i, want, r.has_pid, r.daemon_pid);
    }
}

/* A NULL directory means $CUDA_MPS_PIPE_DIRECTORY, the one the user's daemon listens at. */
static void test_probe_default_dir(void **state)
{
    struct mps_probe_result r;

    (void)state;
    install_fake(FAKE_ANSWER);
    setenv("CUDA_MPS_PIPE_DIRECTORY", sb.pipes, 1);
    mps_probe(NULL, &r);
    assert_string_equal(r.pipe_dir, sb.pipes);
    assert_true(r.answers);
    assert_string_equal(r.detail, "server list: 4242");
}

/* The client gets the pipe directory in its environment and the command line on stdin. */
static void test_control_passes_dir_and_command(void **state)
{
    struct error err = {0};
    char out[512], want[512];

    (void)state;
    install_fake(FAKE_ECHO);
    setenv("CUDA_MPS_PIPE_DIRECTORY", "/elsewhere", 1);
    assert_int_equal(mps_control(&err, sb.pipes, "get_server_list", 5000, out, sizeof(out)), 0);
    snprintf(want, sizeof(want), "dir=%s\ncmd=get_server_list\n", sb.pipes);
    assert_string_equal(out, want);
    assert_int_equal(mps_control(&err, sb.pipes, "set_default_active_thread_percentage 50", 5000,
                                 out, sizeof(out)),
                     0);
    snprintf(want, sizeof(want), "dir=%s\ncmd=set_default_active_thread_percentage 50\n", sb.pipes);
    assert_string_equal(out, want);
    // Only the child's environment is changed.
    assert_string_equal(getenv("CUDA_MPS_PIPE_DIRECTORY"), "/elsewhere");
}

static const struct {
    const char *fake;
    int want;
} status_cases[] = {
    {"read cmd\nexit 0\n", 0},
    {"read cmd\nexit 1\n", 1},
    {"read cmd\nexit 3\n", 3},
    {"read cmd\nkill -TERM $$\n", 128 + SIGTERM},
    {"read cmd\nkill -KILL $$\n", 128 + SIGKILL},
};

/* The return value is the client's exit status, 128 + signal when it was killed. */
static void test_control_exit_status(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
        struct error err = {0};
        char out[64];
        int rc;

        install_fake(status_cases[i].fake);
        rc = mps_control(&err, sb.pipes, "get_server_list", 5000, out, sizeof(out));
        if (rc != status_cases[i].want)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, status_cases[i].want, err.msg);
    }
}

/* A wedged client is killed at the deadline and reaped: no zombie, no survivor. */
static void test_control_timeout(void **state)
{
    struct error err = {0};
    char out[64];
    long t0, elapsed;
    pid_t pid;

    (void)state;
    install_fake(FAKE_HANG);
    t0 = now_ms();
    assert_int_equal(mps_control(&err, sb.pipes, "get_server_list", 300, out, sizeof(out)), -1);
    elapsed = now_ms() - t0;
    assert_int_equal(err.code, ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "'" CLIENT "' did not answer 'get_server_list' within 300 ms");
    if (elapsed < 300 || elapsed >= 2000)
        fail_msg("returned after %ld ms, want 300 to 2000", elapsed);

    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
    pid = fake_pid();
    assert_true(pid > 0);
    errno = 0;
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static void test_control_not_on_path(void **state)
{
    struct error err = {0};
    char out[64];
    long t0 = now_ms();

    (void)state;
    install_fake(FAKE_ANSWER); // present, but not on the PATH below
    setenv("PATH", sb.empty, 1);
    assert_int_equal(mps_control(&err, sb.pipes, "get_server_list", 5000, out, sizeof(out)), -1);
    assert_int_equal(err.code, ERR_UNSUPPORTED);
    assert_string_equal(err.msg, "'" CLIENT "' is not on PATH");
    assert_true(now_ms() - t0 < 2000);
}

static const size_t flood_sizes[] = {0, 1, 2, 17, 4096};

/*
 * 200000 bytes, more than the buffer and than a pipe holds: the client must be drained (else
 * it blocks and the deadline hits) and the buffer filled to out_size - 1 and terminated.
 */
static void test_control_truncates(void **state)
{
    (void)state;
    install_fake(FAKE_FLOOD);
    for (size_t i = 0; i < sizeof(flood_sizes) / sizeof(flood_sizes[0]); i++) {
        size_t size = flood_sizes[i];
        struct error err = {0};
        char buf[4096 + 64];
        long t0 = now_ms();
        int rc;

        memset(buf, '#', sizeof(buf));
        rc = mps_control(&err, sb.pipes, "get_server_list", 10000, buf, size);
        if (rc != 0)
            fail_msg("size %zu: rc %d: %s", size, rc, err.msg);
        if (now_ms() - t0 >= 5000)
            fail_msg("size %zu: took %ld ms", size, now_ms() - t0);
        for (size_t j = 0; j + 1 < size; j++)
            if (buf[j] != 'x')
                fail_msg("size %zu: byte %zu is 0x%02x, want 'x'", size, j, (unsigned char)buf[j]);
        if (size > 0 && buf[size - 1] != '\0')
            fail_msg("size %zu: not terminated at %zu", size, size - 1);
        for (size_t j = size; j < sizeof(buf); j++)
            if (buf[j] != '#')
                fail_msg("size %zu: byte %zu past the buffer written", size, j);
    }
}

/*
 * A client that exits without reading stdin (as a failed exec does, 127) must not kill the
 * caller with SIGPIPE. The command is longer than a pipe holds so the write meets the closed
 * pipe every time; with a short line the same happens by chance (about 4 in 1000 calls with
 * the client off PATH). Run in a child so a SIGPIPE fails this test rather than the suite.
 */
static void test_control_client_exits_early(void **state)
{
    size_t len = 256 * 1024;
    char *command = malloc(len + 1);
    pid_t child;
    int status = 0;

    (void)state;
    assert_non_null(command);
    memset(command, 'x', len);
    command[len] = '\0';
    install_fake("exit 0\n");
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct error err = {0};
        char out[64];

        _exit(mps_control(&err, sb.pipes, command, 5000, out, sizeof(out)) == 0 ? 0 : 1);
    }
    free(command);
    assert_int_equal(waitpid(child, &status, 0), child);
    if (WIFSIGNALED(status))
        fail_msg("mps_control killed its caller: %s", strsignal(WTERMSIG(status)));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_pipe_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_default_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_passes_dir_and_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_exit_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_not_on_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_truncates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_client_exits_early, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
