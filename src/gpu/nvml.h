/*
 * NVML, loaded at run time with dlopen("libnvidia-ml.so.1") so the binary
 * starts, and its tests pass, where no driver is installed. The function table
 * is the module's only state; nothing here includes a CUDA header.
 */
#ifndef GPUSHARE_GPU_NVML_H
#define GPUSHARE_GPU_NVML_H

#include <stddef.h>

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

/*
 * One reading of the device on PCI bus `pci_bus_id` (or index `fallback_index`,
 * as in nvml_query_device): GPU and memory-controller utilization, SM clock,
 * board power and memory used. Cheap enough for 10 Hz or more, and touches no
 * CUDA, so a parent process can sample while its workers own the GPU. `out` is
 * zeroed first: a field NVML does not answer keeps has_* false and reads 0
 * (utilization on a MIG-enabled GPU, power on some boards). -1 with ERR_NVML or
 * ERR_NO_GPU only when NVML cannot be opened or the device cannot be found.
 * Call nvml_open() first; like nvml_query_device, it opens NVML itself if not.
 */
int nvml_sample(struct error *err, const char *pci_bus_id, int fallback_index,
                struct gpu_sample *out);

/*
 * The MIG devices (GPU instance + compute instance) that exist on the GPU, at most max: UUID
 * ("MIG-..."), name and profile ("1g.10gb"), memory. *n = 0 where MIG is off or unsupported.
 * A worker runs on one with CUDA_VISIBLE_DEVICES=<UUID>.
 */
int nvml_mig_devices(struct error *err, const char *pci_bus_id, int fallback_index,
                     struct mig_device *out, size_t max, size_t *n);

#endif
