/*
 * The PCIe link's ceiling, from what NVML reports of it (gpu/info.h: pcie).
 */
#ifndef GPUSHARE_GPU_PCIE_H
#define GPUSHARE_GPU_PCIE_H

/*
 * PCIe bandwidth per direction in GB/s (1e9 B/s) after 128b/130b encoding (Gen3+) or
 * 8b/10b (Gen1, Gen2): GT/s per lane x lanes x encoding / 8; Gen5 x16 is 63.0. Gen6
 * (FLIT mode) is taken as 128b/130b as well, which overstates it by about 4%.
 * NAN for a gen outside 1..6 or width 0 (no link information).
 */
double pcie_gbps_per_direction(unsigned gen, unsigned width);

#endif
