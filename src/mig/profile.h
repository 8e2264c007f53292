/*
 * MIG profile names as mig-parted reads them in a config's mig-devices keys: "1g.10gb",
 * "1c.2g.10gb", "1g.10gb+me", "1g.24gb+me.all", "1g.24gb-me". The rule is mig-parted's own
 * format check: MigConfigSpec.UnmarshalJSON (api/spec/v1/spec.go) validates every key with
 * types.AssertValidMigProfileFormat, which is go-nvlib's parseMigProfile
 * (NVIDIA/go-nvlib pkg/nvlib/device/mig_profile.go, with parseMigProfileFields and
 * parseMigProfileAttributes). Whether a GPU has the profile is a separate question: see
 * mig_profile_find in mig/catalog.h.
 *
 * Pure string handling: no CUDA, no NVML.
 */
#ifndef GPUSHARE_MIG_PROFILE_H
#define GPUSHARE_MIG_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Longest attribute list kept ("me", "me.all", "gfx", ...); mig-parted sets no limit. */
#define MIG_PROFILE_ATTRS_MAX 31

/* Room for any name mig_profile_format writes: three 10-digit numbers, "c.", "g.", "gb",
 * the sign, the attributes and the NUL. */
#define MIG_PROFILE_NAME_SIZE 72

struct mig_profile_name {
    unsigned c;      /* compute-instance slices, the <c> of "<c>c."; 0 when absent */
    unsigned g;      /* GPU-instance compute slices, the <g> of "<g>g." */
    unsigned mem_gb; /* the <mem> of "<mem>gb" */
    char attrs[MIG_PROFILE_ATTRS_MAX + 1]; /* after the sign, as written ("me", "me.all",
                                              "me,gfx"); "" when none */
    bool attrs_negated; /* the attributes followed '-' ("1g.24gb-me": no media engines) */
};

/*
 * Parses s in mig-parted's grammar
 *
 *     [<c>c.]<g>g.<mem>gb[(+|-)<attr>[,<attr>...]]
 *
 * <c>, <g>, <mem>: ASCII digits, leading zeros allowed ("01g" is 1g), 0 allowed, <c> may
 * exceed <g>; "c", "g", "gb" in lower case. <attr>: letters (either case), digits and '.',
 * starting with a letter and not ending in '.'; no attribute twice. Not both '+' and '-'.
 * Two limits of ours: each number at most 4294967295 (mig-parted: 2^63 - 1) and the
 * attribute list at most MIG_PROFILE_ATTRS_MAX characters.
 *
 * 0 with *out filled; -1 with ERR_USAGE saying what is wrong, *out untouched.
 */
int mig_profile_parse(struct error *err, const char *s, struct mig_profile_name *out);

/*
 * The canonical spelling, as mig-parted's MigProfileInfo.String writes it: numbers without
 * leading zeros, "<c>c." only when c is set and differs from g, then the sign and the
 * attributes as parsed. Truncated to fit size (MIG_PROFILE_NAME_SIZE always fits).
 */
void mig_profile_format(const struct mig_profile_name *p, char *out, size_t size);

#endif
