/*
 * The two MPS settings users write by hand, parsed one way for every command that takes them
 * (mps start, mps exec, emit mps, emit k8s, the bench workers) and for the daemon's record:
 *   a thread percentage, CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (NVIDIA's MPS documentation,
 *   section 4.2.5): 1 to 100, fractions allowed; kept here in hundredths, at most two decimals;
 *   a pinned memory limit, CUDA_MPS_PINNED_DEVICE_MEM_LIMIT (section 4.2.7): "0=10G,1=512M".
 * Pure: no CUDA, no daemon.
 */
#ifndef GPUSHARE_GPU_MPS_SPEC_H
#define GPUSHARE_GPU_MPS_SPEC_H

#include <stddef.h>

#include "core/error.h"

/* At most this many entries in a pinned memory limit. */
#define MPS_MAX_MEM_LIMITS 16
/* The longest normalized limit: every entry a UUID at the largest value. */
#define MPS_MEM_TEXT_MAX (MPS_MAX_MEM_LIMITS * (44 + 1 + 8 + 1) + 1)

/* "25", "12.5", "33.33": a percentage from 1 to 100 with at most two decimals, in hundredths
 * (2500, 1250, 3333). ERR_USAGE "invalid value 'X' for <what>: expected ...". */
int mps_pct_parse(struct error *err, const char *what, const char *s, unsigned *centi);

/* The percentage as the daemon and the files are given it: "25", "12.5", "33.33". */
void mps_pct_text(unsigned centi, char *out, size_t size);

/* One entry of a pinned memory limit ("0=10G"). */
struct mps_mem_limit {
    char dev[48];           /* a CUDA ordinal ("0") or a UUID ("GPU-..." or "MIG-...") */
    char value[12];         /* as sent to the daemon: digits and M or G ("10240M") */
    unsigned long long mib; /* the limit in MiB */
};

/*
 * "DEV=LIMIT[,DEV=LIMIT...]": DEV a CUDA ordinal from 0 to 63 without a leading zero, or a
 * UUID, "GPU-" or "MIG-" and 8-4-4-4-12 hex digits; LIMIT a whole number from 1 to 9999999
 * without a leading zero, then M or G, upper case as NVIDIA writes them. At most max entries
 * (no more than MPS_MAX_MEM_LIMITS), no device twice. ERR_USAGE naming what and the bad entry;
 * *n is 0 on failure.
 */
int mps_mem_parse(struct error *err, const char *what, const char *spec, struct mps_mem_limit *m,
                  size_t max, size_t *n);

/* The entries as one setting, "0=10G,1=512M"; out holds MPS_MEM_TEXT_MAX. */
void mps_mem_text(const struct mps_mem_limit *m, size_t n, char *out, size_t size);

/* mps_mem_parse, then the setting as mps_mem_text writes it into out (may be NULL): what a
 * command passes on. ERR_USAGE as mps_mem_parse, or when it is longer than size - 1 bytes. */
int mps_mem_normalize(struct error *err, const char *what, const char *spec, char *out,
                      size_t size);

#endif
