/*
 * struct gpu_info <-> JSON: the "info" member of the results document (docs/results.md).
 * Pure C with no CUDA or NVML header, so the planner, the tests and the fuzzer use it
 * without a GPU.
 */
#ifndef GPUSHARE_RESULTS_INFO_JSON_H
#define GPUSHARE_RESULTS_INFO_JSON_H

#include <jansson.h>

#include "core/error.h"
#include "gpu/info.h"

/*
 * New JSON object for info (JSON null for NULL). Fields whose has_ flag is false, empty
 * strings and unknown (0) versions are JSON null; versions are "major.minor" strings.
 * pcie.max_gbps_per_direction is derived with pcie_gbps_per_direction(). Aborts on allocation
 * failure.
 */
json_t *gpu_info_to_json(const struct gpu_info *info);

/*
 * Fills info (zeroed first) from j, which must have exactly the keys gpu_info_to_json()
 * writes, with their types and ranges; strings that do not fit their field are refused, not
 * cut. max_gbps_per_direction is checked for type and then ignored: it is derived.
 * Returns 0, or -1 with ERR_INVALID and a message naming the field ("info.pcie.gen_max").
 * to_json -> from_json -> to_json gives a json_equal document.
 */
int gpu_info_from_json(struct error *err, const json_t *j, struct gpu_info *info);

#endif
