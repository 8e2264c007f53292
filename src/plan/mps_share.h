/*
 * The equal MPS share: what each of N clients of one GPU gets, as NVIDIA's device plugin sets
 * it for N replicas (k8s-device-plugin, cmd/mps-control-daemon/mps/daemon.go): an active thread
 * percentage of 100/N in whole percent (Go's integer division) and a pinned memory limit of the
 * GPU's memory / N in whole MiB. The planner states these figures and every emitter writes
 * them, so the systemd files and the Kubernetes ones agree.
 *
 * Pure arithmetic.
 */
#ifndef GPUSHARE_PLAN_MPS_SHARE_H
#define GPUSHARE_PLAN_MPS_SHARE_H

#include <stddef.h>

/* floor(100 / clients), at least 1 (0 clients: 100, the daemon's own). */
unsigned mps_share_pct(unsigned clients);

/* floor(gpu_mib / clients) (0 clients: gpu_mib). */
unsigned long long mps_share_mib(unsigned long long gpu_mib, unsigned clients);

/* The sentence the files' headers give for mps_share_pct(clients): where the figure comes
 * from and what the MPS documentation suggests instead. */
void mps_share_why(unsigned clients, char *out, size_t size);

#endif
