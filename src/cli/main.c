/*
 * greenbench: which runtime runs your model with the least energy.
 *
 *   $ greenbench devices
 *   $ greenbench measure --json -- python3 train.py
 */
#include "cli/builtin.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every subcommand is one row here and one src/cli/cmd_<name>.c file.
 * Adding a command means adding both; nothing else dispatches.
 */
const struct gb_cmd gb_commands[] = {
	{ "devices", cmd_devices, "list energy sources, GPUs and runtimes, and why any is missing" },
	{ "measure", cmd_measure, "run a command and report the energy it used" },
	{ "run", cmd_run, "benchmark one model configuration: latency, throughput, energy" },
	{ "advise", cmd_advise, "find the configuration with the least energy per item, by measuring" },
	{ "compare", cmd_compare, "run two configurations on the same inputs: top-1 agreement, |diff|" },
	{ "convert", cmd_convert, "export a framework model to ONNX (torch2onnx)" },
	{ "zoo", cmd_zoo, "write the built-in models (ResNet-50, MobileNetV2, BERT-base) as ONNX" },
	{ "campaign", cmd_campaign, "run an experiment file's configurations into a results database" },
	{ "report", cmd_report, "tables, statistics and plots of a campaign's results" },
	{ "help", cmd_help, "show help for greenbench or one of its commands" },
	{ "version", cmd_version, "print version information" },
	{ NULL, NULL, NULL },
};

static const char top_usage[] =
	"usage: greenbench [--version] [--help] <command> [<args>]\n";

static void print_command_list(FILE *f)
{
	fputs(top_usage, f);
	fputs("\ncommands:\n", f);
	for (const struct gb_cmd *c = gb_commands; c->name; c++)
		fprintf(f, "   %-10s %s\n", c->name, c->summary);
	fputs("\n'greenbench help <command>' or 'greenbench <command> --help' shows a command's options.\n", f);
}

static const struct gb_cmd *find_command(const char *name)
{
	for (const struct gb_cmd *c = gb_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Levenshtein distance, for "did you mean" suggestions (git's help.c idea). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64], prev, tmp;

	if (lb >= sizeof row / sizeof row[0])
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = tmp;
		}
	}
	return row[lb];
}

static int unknown_command(const char *name)
{
	const struct gb_cmd *best = NULL;
	size_t best_d = SIZE_MAX;

	for (const struct gb_cmd *c = gb_commands; c->name; c++) {
		size_t d = edit_distance(name, c->name);
		if (!strncmp(name, c->name, strlen(name)) && strlen(name) >= 2)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	fprintf(stderr, "greenbench: '%s' is not a greenbench command. See 'greenbench --help'.\n", name);
	if (best && best_d <= 3)
		fprintf(stderr, "\nThe most similar command is\n\t%s\n", best->name);
	return 1;
}

int cmd_help(int argc, char **argv)
{
	const struct gb_cmd *c;
	char *sub[] = { NULL, "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_command_list(stdout);
		return gb_cli_finish(0);
	}
	c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	sub[0] = argv[1];
	return c->fn(2, sub);
}

int main(int argc, char **argv)
{
	const struct gb_cmd *c;

	if (argc < 2) {
		print_command_list(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	return c->fn(argc - 1, argv + 1);
}
