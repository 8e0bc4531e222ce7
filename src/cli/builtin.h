/*
 * CLI subcommands: one cmd_<name>() per src/cli/cmd_<name>.c, each taking
 * argv with argv[0] the command name and returning the process exit status.
 * The CLI (not the library) prints; helpers below print git-style messages.
 */
#ifndef GB_CLI_BUILTIN_H
#define GB_CLI_BUILTIN_H

#include <stdio.h>

struct gb_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* The command table (main.c). */
extern const struct gb_cmd gb_commands[];

int cmd_devices(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_campaign(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_zoo(int argc, char **argv);

/* "error: <msg>" on stderr; returns -1 so `return error(...)` reads well. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fatal: <msg>", exit(128). */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Options and usage text: src/cli/parse_options.h, for every command. */

/* Flush stdout and report write errors (perf/git habit); returns status. */
int gb_cli_finish(int status);

#endif
