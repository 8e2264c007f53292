/*
 * gpushare emit TARGET: write the files that deploy a sharing mode. A table of targets, each
 * parsing its own options; `mps` writes the MPS control daemon's scripts, systemd unit and
 * environment file (emit/mps.h). Needs no GPU: nothing is run, only written.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/atomic.h"
#include "core/str.h"
#include "emit/mps.h"
#include "results/results.h"

struct emit_target {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the target's name */
    const char *summary;
};

static int emit_mps(int argc, char **argv);

static const struct emit_target targets[] = {
    {"mps", emit_mps, "MPS control daemon: start and stop scripts, systemd unit, environment file"},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static const char usage[] =
    "usage: gpushare emit TARGET [OPTIONS]   (gpushare emit TARGET --help)\n";

static void print_targets(FILE *f)
{
    fprintf(f, "\ntargets:\n");
    for (size_t i = 0; i < NTARGETS; i++)
        fprintf(f, "  %-6s %s\n", targets[i].name, targets[i].summary);
    fprintf(f, "\nExit status: 0 written, 1 failure (nothing written), 2 usage error.\n");
}

int cmd_emit(int argc, char **argv)
{
    struct error err;
    char list[128] = "";

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("%s\nWrite the files that deploy a sharing mode into a directory; gpushare runs "
               "none of them.\n",
               usage);
        print_targets(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < NTARGETS; i++) {
        size_t len = strlen(list);

        str_printf(list + len, sizeof(list) - len, i == 0 ? "%s" : ", %s", targets[i].name);
        if (argc >= 2 && strcmp(argv[1], targets[i].name) == 0) {
            cli_reset_getopt();
            return targets[i].fn(argc - 1, argv + 1);
        }
    }
    if (argc < 2)
        error_set(&err, ERR_USAGE, "which target? expected %s", list);
    else
        error_set(&err, ERR_USAGE, "unknown target '%.40s': expected %s", argv[1], list);
    return cli_usage_error(usage, &err);
}

/* ---- gpushare emit mps ---- */

static const char mps_usage[] =
    "usage: gpushare emit mps --out DIR [--clients N | --thread-pct P] [--mem-limit SPEC]\n"
    "                         [--results FILE] [--pipe-dir DIR] [--log-dir DIR]\n"
    "                         [--pipe-mode MODE] [--control PROGRAM] [--install-dir DIR]\n"
    "                         [--env-file FILE] [--force] [--json]\n";

static const char mps_help[] =
    "Write the files that run NVIDIA's MPS control daemon as a service, into DIR:\n"
    "  mps-start.sh          starts the daemon (nvidia-cuda-mps-control -d), waits until it\n"
    "                        answers, sets the default active thread percentage and pinned\n"
    "                        memory limits and reads each back (mode 0755)\n"
    "  mps-stop.sh           echo quit | nvidia-cuda-mps-control, then SIGTERM, then SIGKILL,\n"
    "                        each waited for (mode 0755)\n"
    "  gpushare-mps.service  a systemd unit running the two (mode 0644)\n"
    "  gpushare-mps.env      the settings, for the unit and the scripts (mode 0644)\n"
    "Every file begins with where each value came from: an option, the recommendation, or the\n"
    "default. The files are written together or not at all. See docs/emit-mps.md.\n\n"
    "  -o, --out DIR          where to write (made if missing, one level); required\n"
    "      --clients N        clients the daemon will serve, 1 to 60: the active thread\n"
    "                         percentage becomes 100/(0.5*N), rounded up, at most 100 (MPS\n"
    "                         doc 2.3.5.2)\n"
    "      --thread-pct P     the default active thread percentage, 1 to 100 with at most two\n"
    "                         decimals; wins over --clients. With neither, none is set and\n"
    "                         the daemon's default, 100, holds\n"
    "      --mem-limit SPEC   default pinned device memory limit per client, DEV=LIMIT[,...]\n"
    "                         as in CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: DEV a GPU ordinal or UUID\n"
    "                         (GPU-...), LIMIT a whole number and M or G, e.g. 0=10G,1=512M\n"
    "      --results FILE     a `gpushare bench mps` results document: the files also say what\n"
    "                         the percentage gave a client there (test mps.threads.sms)\n"
    "      --pipe-dir DIR     CUDA_MPS_PIPE_DIRECTORY, default /tmp/nvidia-mps (MPS doc 4.2.2)\n"
    "      --log-dir DIR      CUDA_MPS_LOG_DIRECTORY, default /var/log/nvidia-mps (MPS doc 4.2.3)\n"
    "      --pipe-mode MODE   the mode mps-start.sh gives a pipe directory it makes, default\n"
    "                         0755 so clients of every user can connect; 0700 for one user\n"
    "      --control PROGRAM  the control program, default nvidia-cuda-mps-control (on PATH)\n"
    "      --install-dir DIR  where the scripts will be installed, written into the unit;\n"
    "                         default /usr/local/lib/gpushare\n"
    "      --env-file FILE    where gpushare-mps.env will be installed, written into the unit\n"
    "                         and the scripts; default /etc/gpushare/mps.env\n"
    "  -f, --force            replace files of these names already in DIR\n"
    "      --json             print what was written, every value and its source, as JSON\n"
    "  -h, --help             this help\n\n"
    "Paths must be absolute, under 100 bytes, of A-Z a-z 0-9 . _ / - only.\n\n"
    "Exit status: 0 written; 1 failure, nothing written (DIR not writable, a file exists\n"
    "without --force, an unusable --results document); 2 usage error.\n";

enum {
    OPT_PIPE_DIR = 256,
    OPT_LOG_DIR,
    OPT_THREAD_PCT,
    OPT_MEM_LIMIT,
    OPT_CLIENTS,
    OPT_RESULTS,
    OPT_INSTALL_DIR,
    OPT_ENV_FILE,
    OPT_CONTROL,
    OPT_PIPE_MODE,
    OPT_JSON,
};

struct mps_cli {
    struct emit_mps_opts o;
    const char *out, *results;
    bool force, json;
};

/* Parses argv into c; returns -1 to go on, else the exit status (help, usage error). */
static int parse_mps(int argc, char **argv, struct mps_cli *c)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"pipe-dir", required_argument, NULL, OPT_PIPE_DIR},
        {"log-dir", required_argument, NULL, OPT_LOG_DIR},
        {"thread-pct", required_argument, NULL, OPT_THREAD_PCT},
        {"mem-limit", required_argument, NULL, OPT_MEM_LIMIT},
        {"clients", required_argument, NULL, OPT_CLIENTS},
        {"results", required_argument, NULL, OPT_RESULTS},
        {"install-dir", required_argument, NULL, OPT_INSTALL_DIR},
        {"env-file", required_argument, NULL, OPT_ENV_FILE},
        {"control", required_argument, NULL, OPT_CONTROL},
        {"pipe-mode", required_argument, NULL, OPT_PIPE_MODE},
        {"force", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":o:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", mps_usage, mps_help);
            return EXIT_OK;
        case 'o':
            c->out = optarg;
            break;
        case OPT_PIPE_DIR:
            c->o.pipe_dir = optarg;
            break;
        case OPT_LOG_DIR:
            c->o.log_dir = optarg;
            break;
        case OPT_THREAD_PCT:
            c->o.thread_pct = optarg;
            break;
        case OPT_MEM_LIMIT:
            c->o.mem_limit = optarg;
            break;
        case OPT_CLIENTS:
            c->o.clients = optarg;
            break;
        case OPT_RESULTS:
            c->results = optarg;
            break;
        case OPT_INSTALL_DIR:
            c->o.install_dir = optarg;
            break;
        case OPT_ENV_FILE:
            c->o.env_file = optarg;
            break;
        case OPT_CONTROL:
            c->o.control = optarg;
            break;
        case OPT_PIPE_MODE:
            c->o.pipe_mode = optarg;
            break;
        case 'f':
            c->force = true;
            break;
        case OPT_JSON:
            c->json = true;
            break;
        default:
            return cli_bad_option(mps_usage, argv, opt);
        }
    }
    if (optind < argc) {
        error_set(&err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind]);
        return cli_usage_error(mps_usage, &err);
    }
    if (c->out == NULL || c->out[0] == '\0') {
        error_set(&err, ERR_USAGE, "no --out DIR: where should the files go?");
        return cli_usage_error(mps_usage, &err);
    }
    return -1;
}

/*
 * Before any file is renamed into place, each file it will replace (not a directory: no rename
 * replaces one) is kept under a second name, a hard link beside its staged file, so that a
 * failed write can put it back without having touched it. ERR_IO when one cannot be kept.
 */
static int keep_old(struct error *err, char (*path)[ATOMIC_PATH_MAX],
                    const struct staged_file *staged, char (*old)[ATOMIC_PATH_MAX + 8])
{
    struct stat st;

    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        if (lstat(path[f], &st) < 0) {
            if (errno == ENOENT)
                continue;
            return error_set(err, ERR_IO, "cannot read '%s': %s", path[f], strerror(errno));
        }
        if (S_ISDIR(st.st_mode))
            continue;
        str_printf(old[f], ATOMIC_PATH_MAX + 8, "%s.old", staged[f].tmp);
        if (link(path[f], old[f]) < 0) {
            error_set(err, ERR_IO, "cannot keep '%s' as '%s' to put it back on failure: %s",
                      path[f], old[f], strerror(errno));
            old[f][0] = '\0';
            return -1;
        }
    }
    return 0;
}

/* Undoes the renames done (done[f]): a replaced file is put back from its link, a new one is
 * removed. What cannot be undone is added to err's message, which keeps the first cause. */
static void undo_commits(struct error *err, char (*path)[ATOMIC_PATH_MAX],
                         char (*old)[ATOMIC_PATH_MAX + 8], const bool *done)
{
    char msg[sizeof(err->msg)];
    bool clean = true;

    for (int f = EMIT_MPS_NFILES - 1; f >= 0; f--) {
        int rc;

        if (!done[f])
            continue;
        rc = old[f][0] != '\0' ? rename(old[f], path[f]) : unlink(path[f]);
        if (rc == 0) {
            old[f][0] = '\0';
            continue;
        }
        memcpy(msg, err->msg, sizeof(msg));
        if (old[f][0] != '\0')
            str_printf(err->msg, sizeof(err->msg), "%s; cannot put back '%s' (kept as '%s'): %s",
                       msg, path[f], old[f], strerror(errno));
        else
            str_printf(err->msg, sizeof(err->msg), "%s; cannot remove '%s': %s", msg, path[f],
                       strerror(errno));
        old[f][0] = '\0'; /* left for the user to see */
        clean = false;
    }
    if (clean) {
        memcpy(msg, err->msg, sizeof(msg));
        str_printf(err->msg, sizeof(err->msg), "%s; every file is as it was", msg);
    }
}

/* Best effort: makes the renames and removals in dir durable. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/*
 * Writes every file into dir, or none, as far as POSIX allows (docs/emit-mps.md): dir is made
 * when missing (one level) and removed again on failure; an existing file of one of the names is
 * refused unless force. All are staged (atomic_stage) before any is renamed into place, and the
 * files to be replaced are kept (keep_old); if a rename fails, the renames already done are
 * undone (undo_commits). Only a crash between the renames leaves a mix, and hidden temporary
 * files (".NAME.XXXXXX", ".NAME.XXXXXX.old") beside them.
 */
static int write_files(struct error *err, const char *dir, bool force,
                       char *const text[EMIT_MPS_NFILES])
{
    struct staged_file staged[EMIT_MPS_NFILES];
    char path[EMIT_MPS_NFILES][ATOMIC_PATH_MAX], old[EMIT_MPS_NFILES][ATOMIC_PATH_MAX + 8];
    bool done[EMIT_MPS_NFILES] = {false};
    struct stat st;
    bool made = false;
    int rc = -1;

    memset(staged, 0, sizeof(staged));
    memset(old, 0, sizeof(old));
    if (strlen(dir) + 32 >= ATOMIC_PATH_MAX)
        return error_set(err, ERR_IO, "cannot write into '%.60s...': %s", dir,
                         strerror(ENAMETOOLONG));
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        str_printf(path[f], sizeof(path[f]), "%s/%s", dir, emit_mps_file_name(f));
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return error_set(err, ERR_IO, "'%s' exists and is not a directory", dir);
    } else if (errno != ENOENT || mkdir(dir, 0755) < 0) {
        return error_set(err, ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
    } else {
        made = true;
    }
    for (int f = 0; !force && f < EMIT_MPS_NFILES; f++)
        if (lstat(path[f], &st) == 0) {
            error_set(err, ERR_IO, "'%s' exists: pass --force to replace it", path[f]);
            goto out;
        }
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        if (atomic_stage(err, path[f], text[f], strlen(text[f]), emit_mps_file_mode(f),
                         &staged[f]) < 0)
            goto out;
    /* Without --force none exists; one that appeared since is kept all the same. */
    if (keep_old(err, path, staged, old) < 0)
        goto out;
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        if (rename(staged[f].tmp, path[f]) < 0) {
            error_set(err, ERR_IO, "cannot put the new '%s' in place: %s", path[f],
                      strerror(errno));
            undo_commits(err, path, old, done);
            break;
        }
        staged[f].tmp[0] = '\0';
        done[f] = true;
    }
    sync_dir(dir);
    rc = done[EMIT_MPS_NFILES - 1] ? 0 : -1;
out:
    for (int f = 0; f < EMIT_MPS_NFILES; f++) {
        atomic_discard(&staged[f]);
        if (old[f][0] != '\0')
            unlink(old[f]);
    }
    if (rc < 0 && made)
        rmdir(dir);
    return rc;
}

/* What was written and with which values, for people: the JSON summary as text. */
static void print_summary(const json_t *sum, const struct emit_mps_config *cfg, const char *dir)
{
    const json_t *v;
    size_t i;

    printf("wrote into %s:\n", dir);
    json_array_foreach (json_object_get(sum, "files"), i, v)
        printf("  %-21s %s  %s\n", json_string_value(json_object_get(v, "name")),
               json_string_value(json_object_get(v, "mode")),
               json_string_value(json_object_get(v, "what")));
    printf("\nsettings (each file's header says where each came from):\n");
    json_array_foreach (json_object_get(sum, "settings"), i, v) {
        const char *value = json_string_value(json_object_get(v, "value"));

        printf("  %-34s %s (%s)\n", json_string_value(json_object_get(v, "name")),
               value != NULL ? value : "not set", json_string_value(json_object_get(v, "source")));
    }
    printf("\ninstall (as root):\n"
           "  install -D -m 0755 -t %s %s/mps-start.sh %s/mps-stop.sh\n"
           "  install -D -m 0644 %s/gpushare-mps.env %s\n"
           "  install -D -m 0644 %s/gpushare-mps.service /etc/systemd/system/gpushare-mps.service\n"
           "  systemctl daemon-reload && systemctl enable --now gpushare-mps.service\n",
           cfg->install_dir, dir, dir, dir, cfg->env_file, dir);
}

static int emit_mps(int argc, char **argv)
{
    struct mps_cli c;
    struct emit_mps_config cfg;
    struct error err;
    char *text[EMIT_MPS_NFILES] = {NULL};
    json_t *doc = NULL, *sum;
    int rc;

    memset(&c, 0, sizeof(c));
    c.o.dirty = -1;
    rc = parse_mps(argc, argv, &c);
    if (rc >= 0)
        return rc;
    /* Every option is checked before any file is read. */
    if (emit_mps_configure(&err, &c.o, &cfg) < 0)
        return cli_usage_error(mps_usage, &err);
    if (c.results != NULL) {
        doc = results_load(&err, c.results);
        if (doc == NULL)
            return cli_fail(&err);
        c.o.results = doc;
        c.o.results_name = c.results;
        rc = emit_mps_configure(&err, &c.o, &cfg);
        json_decref(doc);
        if (rc < 0)
            return err.code == ERR_USAGE ? cli_usage_error(mps_usage, &err) : cli_fail(&err);
    }
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        text[f] = emit_mps_render(&cfg, f);
    rc = write_files(&err, c.out, c.force, text);
    for (int f = 0; f < EMIT_MPS_NFILES; f++)
        free(text[f]);
    if (rc < 0)
        return cli_fail(&err);
    sum = emit_mps_json(&cfg, c.out);
    if (c.json) {
        json_dumpf(sum, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        fputc('\n', stdout);
    } else {
        print_summary(sum, &cfg, c.out);
    }
    json_decref(sum);
    return EXIT_OK;
}
