/*
 * The verdict line of `run` and `measure` (greenbench/verdict.h), printed
 * to stdout: "  verdict        suspect; foreign_cpu 0.31 cores (suspect
 * above 0.1)". Borrowed argument; not thread-safe (stdio).
 */
#ifndef GB_CLI_VERDICT_PRINT_H
#define GB_CLI_VERDICT_PRINT_H

#include "greenbench/verdict.h"

void gb_cli_print_verdict(const struct gb_verdict *v);

#endif
