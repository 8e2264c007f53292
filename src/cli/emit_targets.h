/*
 * The targets of `gpushare emit` that live in files of their own (cli/cmd_emit.c holds the
 * table). Each parses its own options; argv[0] is the target's name.
 */
#ifndef GPUSHARE_CLI_EMIT_TARGETS_H
#define GPUSHARE_CLI_EMIT_TARGETS_H

/* gpushare emit k8s (cli/emit_k8s.c). */
int emit_k8s(int argc, char **argv);

#endif
