#include "plan/mps_share.h"

#include "core/str.h"

unsigned mps_share_pct(unsigned clients)
{
    if (clients == 0)
        return 100;
    return clients >= 100 ? 1 : 100 / clients;
}

unsigned long long mps_share_mib(unsigned long long gpu_mib, unsigned clients)
{
    return clients == 0 ? gpu_mib : gpu_mib / clients;
}

void mps_share_why(unsigned clients, char *out, size_t size)
{
    unsigned pct = mps_share_pct(clients);

    str_printf(out, size,
               "each of %u clients' equal share, 100/%u in whole percent = %u, as NVIDIA's device "
               "plugin sets it for %u replicas (k8s-device-plugin "
               "cmd/mps-control-daemon/mps/daemon.go), so these files and the Kubernetes ones "
               "agree; caps limit and reserve nothing (MPS doc 2.3.5.2)",
               clients, clients, pct, clients);
}
