/*
 * gpushare info: the CUDA runtime's view of a device (SMs, L2, copy engines,
 * shared memory, priorities) joined with NVML's (identity, PCIe, modes, MIG)
 * through the PCI bus id, plus an MPS daemon probe.
 */
#include "gpu/info.h"

#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "gpu/cu.h"
#include "gpu/mps.h"
#include "gpu/nvml.h"

/* Turns the runtime's "no usable device" answers into the documented ERR_NO_GPU. */
static int cuda_device_count(struct error *err, int *count)
{
    cudaError_t rc = cudaGetDeviceCount(count);
    int drv = 0, rt = 0;

    if (rc == cudaSuccess && *count > 0)
        return 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    if (rc == cudaErrorInsufficientDriver)
        return error_set(err, ERR_NO_GPU,
                         "the driver supports CUDA %d.%d but gpushare's runtime needs %d.%d",
                         drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
    if (rc == cudaSuccess || rc == cudaErrorNoDevice)
        return error_set(err, ERR_NO_GPU, "the driver is loaded but CUDA sees no GPU");
    return error_set(err, ERR_NO_GPU, "CUDA cannot start: %s", cudaGetErrorString(rc));
}

static int attr(struct error *err, int device, enum cudaDeviceAttr a, int *out)
{
    return CU(err, cudaDeviceGetAttribute(out, a, device));
}

static int query_cuda(struct error *err, int device, struct gpu_info *info)
{
    struct cudaDeviceProp prop;
    int sms, l2, ce, thr, smem_sm, smem_opt;

    if (CU(err, cudaGetDeviceProperties(&prop, device)) < 0 ||
        attr(err, device, cudaDevAttrMultiProcessorCount, &sms) < 0 ||
        attr(err, device, cudaDevAttrL2CacheSize, &l2) < 0 ||
        attr(err, device, cudaDevAttrAsyncEngineCount, &ce) < 0 ||
        attr(err, device, cudaDevAttrMaxThreadsPerMultiProcessor, &thr) < 0 ||
        attr(err, device, cudaDevAttrMaxSharedMemoryPerMultiprocessor, &smem_sm) < 0 ||
        attr(err, device, cudaDevAttrMaxSharedMemoryPerBlockOptin, &smem_opt) < 0 ||
        attr(err, device, cudaDevAttrComputeCapabilityMajor, &info->cc_major) < 0 ||
        attr(err, device, cudaDevAttrComputeCapabilityMinor, &info->cc_minor) < 0)
        return -1;
    str_printf(info->name, sizeof(info->name), "%s", prop.name);
    info->sm_count = (unsigned)sms;
    info->l2_bytes = (uint64_t)l2;
    info->copy_engines = (unsigned)ce;
    info->max_threads_per_sm = (unsigned)thr;
    info->smem_per_sm_bytes = (uint64_t)smem_sm;
    info->smem_per_block_optin_bytes = (uint64_t)smem_opt;
    if (CU(err, cudaDeviceGetPCIBusId(info->pci_bus_id, (int)sizeof(info->pci_bus_id), device)) <
            0 ||
        CU(err, cudaDriverGetVersion(&info->cuda_driver_version)) < 0 ||
        CU(err, cudaRuntimeGetVersion(&info->cuda_runtime_version)) < 0)
        return -1;
    return CU(err,
              cudaDeviceGetStreamPriorityRange(&info->priority_least, &info->priority_greatest));
}

int gpu_info_query(struct error *err, int device, const char *mps_pipe_dir, struct gpu_info *info)
{
    int count = 0;

    memset(info, 0, sizeof(*info));
    info->device_index = device;
    /* NVML first: its absence is the clearest "no driver" signal, and it needs no context. */
    if (nvml_open(err) < 0 || cuda_device_count(err, &count) < 0)
        return -1;
    if (device < 0 || device >= count)
        return error_set(err, ERR_USAGE, "no CUDA device %d: this machine has %d", device, count);
    if (query_cuda(err, device, info) < 0)
        return -1;
    if (nvml_query_device(err, info->pci_bus_id, device, info) < 0)
        return -1;
    mps_probe(mps_pipe_dir, &info->mps);
    return 0;
}
