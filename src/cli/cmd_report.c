/*
 * greenbench report: the study's tables and statistics for a campaign.
 *
 *   $ greenbench report --db results.db
 *   Campaign 1: quick
 *   file examples/quick.yaml, seed 42, started 2026-11-27T09:00:00Z, ...
 *
 *   Table 1: energy and performance per model, batch size and runtime/EP
 *
 *   Model     Batch  Runtime/EP  Runs  ...  Energy/item (mJ)                 Rank
 *   -----     -----  ----------  ----       ----------------                 ----
 *   resnet50  1      ort/cpu     3          212.4 ± 3.1 [estimated]          1 (Pareto)
 *   ...
 */
#include "cli/builtin.h"
#include "cli/parse_options.h"
#include "greenbench/error.h"
#include "greenbench/report.h"
#include "greenbench/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char synopsis[] =
	"greenbench report [--db results.db] [--campaign ID] [--format FMT] [--per N] [--run ID] [-o FILE]\n";
static const char description[] =
	"Tables and statistics of a campaign: Table 1 per model, batch size and\n"
	"runtime/EP (means with 95% confidence intervals over repetitions, the\n"
	"method of every energy figure), Table 3 comparing execution providers,\n"
	"Table 2 for accuracy when runs have it, Spearman correlations, pairwise\n"
	"Mann-Whitney U tests with Cliff's delta, ranks, Pareto fronts, warnings.\n";

/* --format FMT: a row of the format table. */
static int format_option(const struct gb_option *opt, const char *arg)
{
	return gb_report_format_find(arg, opt->value);
}

/* "formats:" and one line per row of the format table. */
static void format_list(char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "formats:\n");

	for (const struct gb_report_format *f = gb_report_formats; f->name && used < len; f++)
		used += (size_t)snprintf(buf + used, len - used, "    %-8s %s%s\n", f->name, f->summary,
					 f == gb_report_formats ? " (default)" : "");
	if (used < len)
		snprintf(buf + used, len - used, "\nColumns are explained in docs/report.md.\n");
}

int cmd_report(int argc, char **argv)
{
	const char *db = "results.db", *outpath = NULL;
	int64_t campaign = 0, run = 0, per = 0;
	const struct gb_report_format *fmt = gb_report_formats;
	struct gb_store *st = NULL;
	struct gb_report *r = NULL;
	FILE *out = stdout;
	char epilogue[2048];
	const struct gb_usage usage = { synopsis, description, epilogue, NULL };
	const struct gb_option opts[] = {
		GB_OPT_STRING(0, "db", &db, "FILE", "the database (default results.db)"),
		GB_OPT_INT_RANGE(0, "campaign", &campaign, "ID", "which campaign (default: the newest)", 1, INT64_MAX),
		GB_OPT_CALLBACK(0, "format", &fmt, "FMT", "output format (default table; see below)", format_option),
		GB_OPT_INT_RANGE(0, "run", &run, "ID",
				 "html: the run whose power and utilisation are shown first (default: the first ok run with a series)",
				 1, INT64_MAX),
		GB_OPT_INT_RANGE(0, "per", &per, "N",
				 "Table 1's energy and time for N items (default: the study's, 10000 images or 25000 reviews)",
				 1, UINT32_MAX),
		GB_OPT_STRING('o', NULL, &outpath, "FILE", "write to FILE instead of standard output"),
		GB_OPT_END(),
	};
	struct gb_report_options opt = { 0 };
	int64_t id;
	int ret;

	format_list(epilogue, sizeof epilogue);
	ret = gb_parse_options(argc, argv, opts, &usage, GB_PARSE_NO_ARGS);
	if (ret < 0)
		return gb_cli_finish(gb_parse_exit(ret));
	ret = 1;
	if (run && !(fmt->flags & GB_REPORT_FORMAT_SERIES)) {
		error("--run chooses the run a chart shows: it needs --format html");
		goto out;
	}
	if (access(db, R_OK)) {
		error("cannot open database '%s': %s", db, strerror(errno));
		goto out;
	}
	if (gb_store_open(db, &st)) {
		error("%s", gb_error_msg());
		goto out;
	}
	id = campaign;
	if (!id && gb_store_campaign_latest(st, &id)) {
		error("%s", gb_error_msg());
		goto out;
	}
	opt.per_items = (unsigned)per;
	if (gb_report_build(st, id, &opt, &r)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if ((fmt->flags & GB_REPORT_FORMAT_SERIES) && gb_report_load_series(r, st, run)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (outpath && !(out = fopen(outpath, "w"))) {
		out = stdout;
		error("cannot open '%s' for writing: %s", outpath, strerror(errno));
		goto out;
	}
	if (fmt->write(fmt, r, out)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (out != stdout) {
		FILE *f = out;
		out = stdout;
		if (fclose(f)) {
			error("cannot write '%s': %s", outpath, strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	if (out != stdout)
		fclose(out);
	gb_report_free(r);
	gb_store_close(st);
	return gb_cli_finish(ret);
}
