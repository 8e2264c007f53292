/*
 * NVML, loaded at run time with dlopen("libnvidia-ml.so.1") so the binary
 * starts, and its tests pass, where no driver is installed. The function table
 * is the module's only state; nothing here includes a CUDA header.
 */
#ifndef GPUSHARE_GPU_NVML_H
#define GPUSHARE_GPU_NVML_H

#include "core/error.h"
#include "gpu/info.h"

/*
 * Loads the library ($GPUSHARE_NVML_LIB overrides the name, for tests) and
 * initialises NVML. ERR_NO_GPU with a one-line reason when the library is
 * missing or the driver is not loaded. Idempotent.
 */
int nvml_open(struct error *err);

/* Shuts NVML down and unloads the library. */
void nvml_close(void);

/*
 * Fills the NVML fields of `info` (name, UUID, driver version, memory, PCIe,
 * compute and persistence modes, MIG mode and GPU-instance profiles with
 * placements) for the device on PCI bus `pci_bus_id`, or with index
 * `fallback_index` when the bus id is not found. Fields NVML does not support
 * keep has_* false.
 */
int nvml_query_device(struct error *err, const char *pci_bus_id, int fallback_index,
                      struct gpu_info *info);

#endif
