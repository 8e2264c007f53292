/*
 * Stand-ins for the CUDA side when gpushare is built without nvcc (CUDA=0):
 * info says so and exits 69 (bench/nocuda.c does the same for bench).
 */
#include "gpu/info.h"

int gpu_info_query(struct error *err, int device, const char *mps_pipe_dir, struct gpu_info *info)
{
    (void)device;
    (void)mps_pipe_dir;
    (void)info;
    return error_set(err, ERR_NO_GPU, "this gpushare was built without CUDA (no nvcc)");
}
