/*
 * The MPS control client: talks to nvidia-cuda-mps-control the way a person
 * does (`echo CMD | nvidia-cuda-mps-control`), with the pipe directory in the
 * environment and a deadline, so a wedged daemon never hangs gpushare.
 */
#ifndef GPUSHARE_GPU_MPS_H
#define GPUSHARE_GPU_MPS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "gpu/info.h"

/* Looks a program up in $PATH into path (as execlp would); false when it is not there. */
bool mps_find_on_path(const char *name, char *path, size_t size);

/* $CUDA_MPS_PIPE_DIRECTORY when set, else /tmp/nvidia-mps (MPS doc, section 4.2.2). */
const char *mps_default_pipe_dir(void);

/*
 * Sends one command line to the control daemon at pipe_dir and collects what
 * it prints (at most out_size - 1 bytes, NUL-terminated). Returns the client's
 * exit status (0 = the daemon answered), or -1 with err set when the client
 * cannot be started or misses the deadline (it is then killed and reaped).
 */
int mps_control(struct error *err, const char *pipe_dir, const char *command, int timeout_ms,
                char *out, size_t out_size);

/* Whether a daemon answers at pipe_dir; never fails, the reason goes in detail. */
void mps_probe(const char *pipe_dir, struct mps_probe_result *out);

#endif
