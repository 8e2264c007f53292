#include "gpu/pcie.h"

#include <math.h>

/* Per-lane rate and line encoding by PCIe generation. Gen6 has no 128b/130b: it sends PAM4
 * symbols in 256-byte FLITs whose FEC and CRC cost about 6%. Using 128/130 there too keeps one
 * formula and overstates the ceiling by about 4%, the safe side for a bound. */
static const struct {
    double gts;      /* GT/s per lane */
    double encoding; /* payload bits per line bit */
} pcie_gens[] = {
    [1] = {2.5, 8.0 / 10.0},     [2] = {5.0, 8.0 / 10.0},     [3] = {8.0, 128.0 / 130.0},
    [4] = {16.0, 128.0 / 130.0}, [5] = {32.0, 128.0 / 130.0}, [6] = {64.0, 128.0 / 130.0},
};

double pcie_gbps_per_direction(unsigned gen, unsigned width)
{
    if (gen == 0 || gen >= sizeof(pcie_gens) / sizeof(pcie_gens[0]) || width == 0)
        return NAN;
    return pcie_gens[gen].gts * (double)width * pcie_gens[gen].encoding / 8.0;
}
