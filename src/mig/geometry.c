/*
 * MIG geometry (mig/geometry.h): a backtracking search over the catalog's placements, largest
 * instances first, and the explanation that goes with a refusal. Memory slices are bits of a
 * 64-bit mask; no GPU has more than 8.
 */
#include "mig/geometry.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "mig/catalog.h"

/* Enough of a bad item to recognise it; the rest of the message must fit too. */
#define NAME_ECHO 40
/* Room for the GPU's profile names in "unknown MIG profile" (the message has 256 bytes). */
#define NAMES_MAX 136
#define MAX_SLICES 64

/* A bounded, always NUL-terminated text builder over a caller's buffer (may be empty). */
struct sbuf {
    char *p;
    size_t size, len;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (b->p == NULL || b->size == 0 || b->len + 1 >= b->size)
        return;
    va_start(ap, fmt);
    k = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
    va_end(ap);
    if (k < 0)
        b->p[b->len] = '\0';
    else if ((size_t)k >= b->size - b->len)
        b->len = b->size - 1;
    else
        b->len += (size_t)k;
}

static const char *const count_words[] = {"",     "",    "two",   "three", "four",
                                          "five", "six", "seven", "eight"};

/* "two 3g.40gb", or the bare name for one. */
static void sb_count(struct sbuf *b, unsigned c, const char *name)
{
    if (c <= 1)
        sb_add(b, "%s", name);
    else if (c < sizeof(count_words) / sizeof(count_words[0]))
        sb_add(b, "%s %s", count_words[c], name);
    else
        sb_add(b, "%u %s", c, name);
}

/* The set bits of mask as runs, "0-3", "5", "0-1, 4 and 6-7", the last joined by `last`.
 * Without pair_as_range a run of two is two items ("0 or 1"). */
static void sb_runs(struct sbuf *b, uint64_t mask, const char *last, bool pair_as_range)
{
    unsigned lo[MAX_SLICES], hi[MAX_SLICES], n = 0;

    for (unsigned s = 0; s < MAX_SLICES; s++) {
        if (!(mask >> s & 1))
            continue;
        if (n > 0 && hi[n - 1] + 1 == s &&
            (pair_as_range || hi[n - 1] > lo[n - 1] ||
             (s + 1 < MAX_SLICES && (mask >> (s + 1) & 1)))) {
            hi[n - 1] = s;
        } else {
            lo[n] = hi[n] = s;
            n++;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? last : ", ";

        if (lo[i] == hi[i])
            sb_add(b, "%s%u", sep, lo[i]);
        else
            sb_add(b, "%s%u-%u", sep, lo[i], hi[i]);
    }
}

static const struct mig_profile_spec *prof_of(const struct mig_gpu *gpu, unsigned i)
{
    return &gpu->profiles[i];
}

/* Memory slices an instance of p takes: every placement of a profile has one size. */
static unsigned prof_slices(const struct mig_profile_spec *p)
{
    return p->n_placements > 0 ? p->placements[0].size : 0;
}

/* The slices of a placement, or 0 when it does not lie inside the GPU (never in the catalog). */
static uint64_t placement_mask(const struct mig_gpu *gpu, const struct mig_placement_spec *pl)
{
    if (gpu->mem_slices > MAX_SLICES || pl->size == 0 || pl->size > gpu->mem_slices ||
        pl->start > gpu->mem_slices - pl->size)
        return 0;
    return (pl->size == 64 ? ~UINT64_C(0) : (UINT64_C(1) << pl->size) - 1) << pl->start;
}

static uint64_t all_slices(const struct mig_gpu *gpu)
{
    unsigned n = gpu->mem_slices < MAX_SLICES ? gpu->mem_slices : MAX_SLICES;

    return n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

/* Largest first (memory slices, then compute slices), ties in catalog order: the order the
 * search tries, names list and explanations use. Negative when a goes before b. */
static int prof_cmp(const struct mig_gpu *gpu, unsigned a, unsigned b)
{
    const struct mig_profile_spec *pa = prof_of(gpu, a), *pb = prof_of(gpu, b);

    if (prof_slices(pa) != prof_slices(pb))
        return prof_slices(pa) > prof_slices(pb) ? -1 : 1;
    if (pa->gslices != pb->gslices)
        return pa->gslices > pb->gslices ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* idx[] = 0..n-1 sorted by prof_cmp of prof[idx[]] (stable insertion sort: n <= 8). */
static void sort_by_size(const struct mig_gpu *gpu, const unsigned *prof, size_t n, size_t *idx)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;

        while (j > 0 && prof_cmp(gpu, prof[idx[j - 1]], prof[i]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
}

/* One search: instances in search order, identical ones adjacent. */
struct search {
    const struct mig_gpu *gpu;
    size_t n;
    unsigned prof[MIG_MAX_INSTANCES];
    unsigned pick[MIG_MAX_INSTANCES];     /* placement index chosen for each */
    unsigned need[MIG_MAX_INSTANCES + 1]; /* memory slices of instances i.. */
};

static bool search_from(struct search *s, size_t i, uint64_t used, unsigned n_used)
{
    const struct mig_profile_spec *p;
    unsigned first = 0;

    if (i == s->n)
        return true;
    if (s->need[i] > s->gpu->mem_slices - n_used)
        return false;
    p = prof_of(s->gpu, s->prof[i]);
    // Identical instances take increasing placements, so each set of places is tried once.
    if (i > 0 && s->prof[i - 1] == s->prof[i])
        first = s->pick[i - 1] + 1;
    for (unsigned k = first; k < p->n_placements && k < MIG_MAX_PLACEMENTS; k++) {
        uint64_t m = placement_mask(s->gpu, &p->placements[k]);

        if (m == 0 || (m & used) != 0)
            continue;
        s->pick[i] = k;
        if (search_from(s, i + 1, used | m, n_used + p->placements[k].size))
            return true;
    }
    return false;
}

/*
 * Places the instances prof[0..n) (any order; max_instances is not checked here): true with
 * start[i] for each, false if no placement exists. *used gets the occupied slices.
 */
static bool place(const struct mig_gpu *gpu, const unsigned *prof, size_t n, unsigned *start,
                  uint64_t *used)
{
    struct search s = {.gpu = gpu, .n = n};
    size_t idx[MIG_MAX_INSTANCES];

    if (n > MIG_MAX_INSTANCES)
        return false;
    sort_by_size(gpu, prof, n, idx);
    for (size_t i = 0; i < n; i++)
        s.prof[i] = prof[idx[i]];
    s.need[n] = 0;
    for (size_t i = n; i-- > 0;)
        s.need[i] = s.need[i + 1] + prof_slices(prof_of(gpu, s.prof[i]));
    if (!search_from(&s, 0, 0, 0))
        return false;
    *used = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mig_placement_spec *pl = &prof_of(gpu, s.prof[i])->placements[s.pick[i]];

        start[idx[i]] = pl->start;
        *used |= placement_mask(gpu, pl);
    }
    return true;
}

/* Does the multiset fit: max_instances per profile and a placement? */
static bool fits(const struct mig_gpu *gpu, const unsigned *prof, size_t n)
{
    unsigned count[MIG_MAX_PROFILES] = {0}, start[MIG_MAX_INSTANCES];
    uint64_t used;

    for (size_t i = 0; i < n; i++)
        if (++count[prof[i]] > prof_of(gpu, prof[i])->max_instances)
            return false;
    return place(gpu, prof, n, start, &used);
}

static int unknown_profile(struct error *err, const struct mig_gpu *gpu, const char *item,
                           size_t len)
{
    char names[NAMES_MAX];
    struct sbuf b = {names, sizeof(names), 0};

    names[0] = '\0';
    for (unsigned i = 0; i < gpu->n_profiles; i++) {
        const char *sep = i == 0 ? "" : i + 1 == gpu->n_profiles ? " or " : ", ";

        // Whole names only, always leaving room for " and 12 more".
        size_t need =
            strlen(sep) + strlen(gpu->profiles[i].name) + (i + 1 < gpu->n_profiles ? 13 : 1);

        if (b.len + need > sizeof(names)) {
            sb_add(&b, " and %u more", gpu->n_profiles - i);
            break;
        }
        sb_add(&b, "%s%s", sep, gpu->profiles[i].name);
    }
    return error_set(err, ERR_USAGE, "unknown MIG profile '%.*s%s' for %.32s: expected %s",
                     (int)(len < NAME_ECHO ? len : NAME_ECHO), item, len > NAME_ECHO ? "..." : "",
                     gpu->model, names);
}

int mig_layout_parse(struct error *err, const struct mig_gpu *gpu, const char *list,
                     struct mig_layout *l)
{
    struct mig_layout out = {.gpu = gpu};
    size_t total = strlen(list), item = 0;
    const char *more = total > NAME_ECHO ? "..." : "";
    const char *p = list;

    if (total == 0)
        return error_set(
            err, ERR_USAGE,
            "empty MIG layout for %.32s: expected PROFILE or PROFILE:COUNT, comma-separated",
            gpu->model);
    for (;;) {
        size_t len = strcspn(p, ","), nlen;
        const char *colon = memchr(p, ':', len), *cut = len > NAME_ECHO ? "..." : "";
        int echo = (int)(len < NAME_ECHO ? len : NAME_ECHO);
        unsigned long count = 1;
        char name[64];
        unsigned pi = 0;

        item++;
        if (len == 0)
            return error_set(err, ERR_USAGE, "empty item %zu in MIG layout '%.*s%s'", item,
                             NAME_ECHO, list, more);
        nlen = colon != NULL ? (size_t)(colon - p) : len;
        name[0] = '\0';
        if (nlen < sizeof(name)) {
            memcpy(name, p, nlen);
            name[nlen] = '\0';
        }
        if (name[0] == '\0' || mig_profile_find(gpu, name, &pi) == NULL)
            return unknown_profile(err, gpu, p, nlen);
        if (colon != NULL) {
            const char *d = colon + 1, *end = p + len;

            if (d == end)
                return error_set(err, ERR_USAGE, "missing count after ':' in '%.*s%s'", echo, p,
                                 cut);
            count = 0;
            for (; d < end; d++) {
                if (*d < '0' || *d > '9')
                    break;
                if (count <= MIG_MAX_INSTANCES) // saturates: any more is too many anyway
                    count = count * 10 + (unsigned long)(*d - '0');
            }
            if (d != end || count == 0)
                return error_set(err, ERR_USAGE,
                                 "invalid count in '%.*s%s': expected a whole number from 1 to %d",
                                 echo, p, cut, MIG_MAX_INSTANCES);
        }
        if (count > MIG_MAX_INSTANCES - out.n)
            return error_set(err, ERR_USAGE,
                             "too many GPU instances at '%.*s%s': a layout has at most %d", echo, p,
                             cut, MIG_MAX_INSTANCES);
        for (unsigned long k = 0; k < count; k++) {
            out.prof[out.n] = pi;
            out.start[out.n] = 0;
            out.n++;
        }
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *l = out;
    return 0;
}

/*
 * Why `placed` (placed at start[], taking `used`) leaves no room for an instance of profile
 * `victim`. Every arrangement of `placed` leaves none, since placed plus victim has no
 * placement; this one is shown because it is concrete.
 */
static void explain_no_room(struct sbuf *b, const struct mig_gpu *gpu, const unsigned *placed,
                            const unsigned *start, size_t n, uint64_t used, unsigned victim)
{
    const struct mig_profile_spec *v = prof_of(gpu, victim);
    uint64_t free_slices = all_slices(gpu) & ~used, starts = 0;
    size_t order[MIG_MAX_INSTANCES];

    if (free_slices == 0) {
        // "two 3g.40gb use all 8 memory slices": who, largest first, in words.
        sort_by_size(gpu, placed, n, order);
        for (size_t i = 0; i < n;) {
            size_t j = i;

            while (j < n && placed[order[j]] == placed[order[i]])
                j++;
            sb_add(b, "%s", i == 0 ? "" : j == n ? " and " : ", ");
            sb_count(b, (unsigned)(j - i), prof_of(gpu, placed[order[i]])->name);
            i = j;
        }
        sb_add(b, " %s all %u memory slices; no %s can be placed", n == 1 ? "uses" : "use",
               gpu->mem_slices, v->name);
        return;
    }
    // "4g.40gb takes slices 0-3 and 2g.20gb slices 4-5": by start, touching twins together.
    for (size_t i = 0; i < n; i++) {
        size_t j = i;

        while (j > 0 && start[order[j - 1]] > start[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t i = 0; i < n;) {
        const struct mig_profile_spec *p = prof_of(gpu, placed[order[i]]);
        size_t j = i + 1;
        unsigned size = prof_slices(p), lo = start[order[i]];

        while (j < n && placed[order[j]] == placed[order[i]] &&
               start[order[j]] == lo + size * (unsigned)(j - i))
            j++;
        sb_add(b, "%s", i == 0 ? "" : j == n ? " and " : ", ");
        sb_count(b, (unsigned)(j - i), p->name);
        if (i == 0)
            sb_add(b, " %s", j - i == 1 ? "takes" : "take");
        if (size * (j - i) == 1)
            sb_add(b, " slice %u", lo);
        else
            sb_add(b, " slices %u-%u", lo, lo + size * (unsigned)(j - i) - 1);
        i = j;
    }
    for (unsigned k = 0; k < v->n_placements && k < MIG_MAX_PLACEMENTS; k++)
        if (placement_mask(gpu, &v->placements[k]) != 0)
            starts |= UINT64_C(1) << v->placements[k].start;
    if (prof_slices(v) == 1) {
        sb_add(b, "; %s needs one of slices ", v->name);
        sb_runs(b, starts, " or ", false);
        sb_add(b, " free");
    } else {
        sb_add(b, "; %s needs %u free slices starting at ", v->name, prof_slices(v));
        sb_runs(b, starts, " or ", false);
    }
    sb_add(b, "; only slice%s ", (free_slices & (free_slices - 1)) != 0 ? "s" : "");
    sb_runs(b, free_slices, " and ", true);
    sb_add(b, " %s free", (free_slices & (free_slices - 1)) != 0 ? "are" : "is");
}

/*
 * Why l has no placement (max_instances holds): add instances largest first while the ones so
 * far still fit; the first that does not is the one explained, against the ones before it.
 */
static void explain(struct sbuf *b, const struct mig_layout *l)
{
    const struct mig_gpu *gpu = l->gpu;
    unsigned placed[MIG_MAX_INSTANCES], start[MIG_MAX_INSTANCES], trial[MIG_MAX_INSTANCES];
    size_t order[MIG_MAX_INSTANCES], n = 0;
    uint64_t used = 0;

    sort_by_size(gpu, l->prof, l->n, order);
    for (size_t i = 0; i < l->n; i++) {
        uint64_t u;

        placed[n] = l->prof[order[i]];
        if (place(gpu, placed, n + 1, trial, &u)) {
            memcpy(start, trial, (n + 1) * sizeof(start[0]));
            used = u;
            n++;
            continue;
        }
        explain_no_room(b, gpu, placed, start, n, used, placed[n]);
        return;
    }
    sb_add(b, "no placement found"); // unreachable: every instance fit
}

bool mig_check_layout(struct mig_layout *l, char *why, size_t size)
{
    const struct mig_gpu *gpu = l->gpu;
    struct sbuf b = {why, size, 0};
    unsigned count[MIG_MAX_PROFILES] = {0}, start[MIG_MAX_INSTANCES];
    uint64_t used;

    if (why != NULL && size > 0)
        why[0] = '\0';
    if (gpu == NULL || l->n > MIG_MAX_INSTANCES) {
        sb_add(&b, "invalid layout: no GPU or more than %d instances", MIG_MAX_INSTANCES);
        return false;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (l->prof[i] >= gpu->n_profiles || gpu->n_profiles > MIG_MAX_PROFILES) {
            sb_add(&b, "invalid layout: profile index %u for %s", l->prof[i], gpu->model);
            return false;
        }
        count[l->prof[i]]++;
    }
    for (unsigned j = 0; j < gpu->n_profiles; j++) {
        const struct mig_profile_spec *p = prof_of(gpu, j);

        if (count[j] > p->max_instances) {
            sb_add(&b, "%s: at most %u instance%s, %u asked", p->name, p->max_instances,
                   p->max_instances == 1 ? "" : "s", count[j]);
            return false;
        }
        if (count[j] > 0 && prof_slices(p) == 0) {
            sb_add(&b, "%s: no placement known on %s", p->name, gpu->model);
            return false;
        }
    }
    if (!place(gpu, l->prof, l->n, start, &used)) {
        explain(&b, l);
        return false;
    }
    // Sorted by start (insertion sort, n <= 8).
    for (size_t i = 0; i < l->n; i++) {
        unsigned pr = l->prof[i], st = start[i];
        size_t j = i;

        while (j > 0 && start[j - 1] > st) {
            start[j] = start[j - 1];
            l->prof[j] = l->prof[j - 1];
            j--;
        }
        start[j] = st;
        l->prof[j] = pr;
    }
    memcpy(l->start, start, l->n * sizeof(start[0]));
    return true;
}

void mig_layout_usage(const struct mig_layout *l, struct mig_usage *u)
{
    const struct mig_gpu *gpu = l->gpu;

    memset(u, 0, sizeof(*u));
    u->sms_known = u->mem_known = true;
    for (size_t i = 0; i < l->n && i < MIG_MAX_INSTANCES; i++) {
        const struct mig_profile_spec *p = prof_of(gpu, l->prof[i]);

        u->sms += p->sms;
        u->sms_known = u->sms_known && mig_sms_known(p);
        u->mem_slices += prof_slices(p);
        u->compute_slices += p->gslices;
        u->mem_gib += p->mem_gib;
        u->mem_known = u->mem_known && mig_mem_known(p);
    }
    // A sum over an unknown is unknown, not short of it.
    if (!u->sms_known)
        u->sms = 0;
    if (!u->mem_known)
        u->mem_gib = 0;
    // Stranded only against a known whole-GPU count; a layout never has more.
    u->stranded_known = u->sms_known && mig_gpu_sms_known(gpu) && gpu->sms >= u->sms;
    if (u->stranded_known)
        u->sms_stranded = gpu->sms - u->sms;
}

/* The layout in words (sep " + ", count " x") or as mig_layout_parse() reads it (",", ":"). */
static void layout_text(const struct mig_layout *l, char *out, size_t size, const char *sep,
                        const char *count)
{
    struct sbuf b = {out, size, 0};
    size_t order[MIG_MAX_INSTANCES], n = l->n < MIG_MAX_INSTANCES ? l->n : MIG_MAX_INSTANCES;

    if (out == NULL || size == 0)
        return;
    out[0] = '\0';
    if (n == 0) {
        sb_add(&b, "none");
        return;
    }
    sort_by_size(l->gpu, l->prof, n, order);
    for (size_t i = 0; i < n;) {
        size_t j = i;

        while (j < n && l->prof[order[j]] == l->prof[order[i]])
            j++;
        sb_add(&b, "%s%s", i == 0 ? "" : sep, prof_of(l->gpu, l->prof[order[i]])->name);
        if (j - i > 1)
            sb_add(&b, "%s%zu", count, j - i);
        i = j;
    }
}

void mig_layout_name(const struct mig_layout *l, char *out, size_t size)
{
    layout_text(l, out, size, " + ", " x");
}

void mig_layout_spec(const struct mig_layout *l, char *out, size_t size)
{
    layout_text(l, out, size, ",", ":");
}

/* Cells of 5 columns per memory slice; rows lose trailing spaces. */
#define CELL 5

static void draw_row(FILE *f, char *row, size_t len)
{
    while (len > 0 && row[len - 1] == ' ')
        len--;
    fprintf(f, "%.*s\n", (int)len, row);
}

static void draw_bar(char *row, size_t at, unsigned slices, char fill)
{
    row[at] = '[';
    memset(row + at + 1, fill, (size_t)slices * CELL - 2);
    row[at + (size_t)slices * CELL - 1] = ']';
}

void mig_layout_draw(FILE *f, const struct mig_layout *l)
{
    const struct mig_gpu *gpu = l->gpu;
    unsigned slices = gpu->mem_slices < 16 ? gpu->mem_slices : 16;
    char row[32 + 16 * CELL + 2];
    size_t label = strlen("slice"), n = l->n < MIG_MAX_INSTANCES ? l->n : MIG_MAX_INSTANCES;
    uint64_t used = 0;

    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(prof_of(gpu, l->prof[i])->name);

        label = k > label ? k : label;
    }
    label = (label < 30 ? label : 30) + 2;
    memset(row, ' ', sizeof(row));
    memcpy(row, "slice", 5);
    for (unsigned s = 0; s < slices; s++)
        row[label + s * CELL + 2] = (char)('0' + s % 10);
    draw_row(f, row, label + slices * CELL);
    for (size_t i = 0; i < n; i++) {
        const struct mig_profile_spec *p = prof_of(gpu, l->prof[i]);
        const char *name = p->name;
        unsigned st = l->start[i], sz = prof_slices(p);

        memset(row, ' ', sizeof(row));
        memcpy(row, name, strlen(name) < label - 2 ? strlen(name) : label - 2);
        if (sz > 0 && st < slices && sz <= slices - st) {
            draw_bar(row, label + st * CELL, sz, '=');
            used |= ((UINT64_C(1) << sz) - 1) << st;
        }
        draw_row(f, row, label + slices * CELL);
    }
    memset(row, ' ', sizeof(row));
    memcpy(row, "free", 4);
    if ((~used & ((UINT64_C(1) << slices) - 1)) == 0)
        memcpy(row + label, "none", 4);
    for (unsigned s = 0; s < slices;) {
        unsigned e = s;

        if (used >> s & 1) {
            s++;
            continue;
        }
        while (e < slices && !(used >> e & 1))
            e++;
        draw_bar(row, label + s * CELL, e - s, '.');
        s = e;
    }
    draw_row(f, row, label + slices * CELL);
}

/* Depth-first over the count of each profile, catalog order; a layout that does not fit has
 * no superset that does, so a count stops growing at the first misfit. */
struct enum_state {
    const struct mig_gpu *gpu;
    void (*fn)(const struct mig_layout *l, void *arg);
    void *arg;
    unsigned prof[MIG_MAX_INSTANCES];
    size_t n, found;
};

static bool maximal(const struct enum_state *e)
{
    unsigned prof[MIG_MAX_INSTANCES];

    if (e->n >= MIG_MAX_INSTANCES)
        return true;
    memcpy(prof, e->prof, e->n * sizeof(prof[0]));
    for (unsigned j = 0; j < e->gpu->n_profiles; j++) {
        prof[e->n] = j;
        if (fits(e->gpu, prof, e->n + 1))
            return false;
    }
    return true;
}

static void enum_from(struct enum_state *e, unsigned j)
{
    size_t n0 = e->n;

    if (j == e->gpu->n_profiles) {
        struct mig_layout l = {.gpu = e->gpu, .n = e->n};
        uint64_t used;

        if (e->n == 0 || !maximal(e))
            return;
        memcpy(l.prof, e->prof, e->n * sizeof(l.prof[0]));
        place(e->gpu, l.prof, l.n, l.start, &used);
        e->found++;
        if (e->fn != NULL)
            e->fn(&l, e->arg);
        return;
    }
    enum_from(e, j + 1);
    while (e->n < MIG_MAX_INSTANCES) {
        e->prof[e->n++] = j;
        if (!fits(e->gpu, e->prof, e->n))
            break;
        enum_from(e, j + 1);
    }
    e->n = n0;
}

size_t mig_enumerate_maximal(const struct mig_gpu *gpu,
                             void (*fn)(const struct mig_layout *l, void *arg), void *arg)
{
    struct enum_state e = {.gpu = gpu, .fn = fn, .arg = arg};

    if (gpu->n_profiles > MIG_MAX_PROFILES)
        return 0;
    enum_from(&e, 0);
    return e.found;
}
