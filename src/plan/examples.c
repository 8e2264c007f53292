/*
 * The example plans (plan/examples.h), their bytes taken by the assembler's .incbin from
 * examples/plan/ as make runs it, from the repository's root. The Makefile's PLAN_EXAMPLES
 * lists the same files, so a change rebuilds this.
 */
#include "plan/examples.h"

#include <string.h>

#define EX_EMBED(sym, path)                                                                        \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n"                                                                         \
            ".type " #sym ", @object\n" #sym ":\n"                                                 \
            ".incbin \"" path "\"\n"                                                               \
            ".type " #sym "_end, @object\n" #sym "_end:\n"                                         \
            ".byte 0\n"                                                                            \
            ".previous\n")

#define EX_40 "examples/plan/40-models-a100-80gb.yaml"
#define EX_TENANTS "examples/plan/mixed-tenants-h100.yaml"
#define EX_LARGE "examples/plan/large-and-small-h100.yaml"

EX_EMBED(ex_40, EX_40);
EX_EMBED(ex_tenants, EX_TENANTS);
EX_EMBED(ex_large, EX_LARGE);

extern const char ex_40[], ex_40_end[], ex_tenants[], ex_tenants_end[], ex_large[], ex_large_end[];

const struct plan_example *plan_examples(size_t *n)
{
    static struct plan_example ex[] = {
        {"40-models-a100-80gb", EX_40,
         "the canonical question: 40 small inference models on one A100-80GB", NULL, 0},
        {"mixed-tenants-h100", EX_TENANTS,
         "three tenants on one H100-80GB, two models needing hard isolation", NULL, 0},
        {"large-and-small-h100", EX_LARGE,
         "two large language models and 24 small ones on two "
         "H100-80GB",
         NULL, 0},
    };
    const char *const start[] = {ex_40, ex_tenants, ex_large};
    const char *const end[] = {ex_40_end, ex_tenants_end, ex_large_end};

    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        ex[i].text = start[i];
        ex[i].len = (size_t)(end[i] - start[i]);
    }
    *n = sizeof(ex) / sizeof(ex[0]);
    return ex;
}

const struct plan_example *plan_example_find(const char *name)
{
    size_t n;
    const struct plan_example *ex = plan_examples(&n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(ex[i].name, name) == 0)
            return &ex[i];
    return NULL;
}
