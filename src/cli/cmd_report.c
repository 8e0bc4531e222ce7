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
#include "greenbench/error.h"
#include "greenbench/report.h"
#include "greenbench/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: greenbench report [--db results.db] [--campaign ID] [--format FMT] [--run ID] [-o FILE]\n"
	"\n"
	"Tables and statistics of a campaign: Table 1 per model, batch size and\n"
	"runtime/EP (means with 95% confidence intervals over repetitions, the\n"
	"method of every energy figure), Table 3 comparing execution providers,\n"
	"Table 2 for accuracy when runs have it, Spearman correlations, pairwise\n"
	"Mann-Whitney U tests with Cliff's delta, ranks, Pareto fronts, warnings.\n"
	"\n"
	"    --db FILE        the database (default results.db)\n"
	"    --campaign ID    which campaign (default: the newest)\n"
	"    --format FMT     table (default), md, csv, json, latex or html\n"
	"    --run ID         html: plot power and utilisation of this run\n"
	"                     (default: the first run with a time series)\n"
	"    -o FILE          write to FILE instead of standard output\n"
	"\n"
	"HTML is one self-contained file (inline CSS and SVG, nothing loaded from\n"
	"elsewhere). Columns are explained in docs/report.md.\n";

static int parse_id(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*s || *end || errno || *out <= 0 ? -1 : 0;
}

int cmd_report(int argc, char **argv)
{
	const char *db = "results.db", *outpath = NULL, *fmtname = "table";
	long long campaign = 0, run = 0;
	enum gb_report_format fmt;
	struct gb_store *st = NULL;
	struct gb_report *r = NULL;
	FILE *out = stdout;
	int64_t id;
	int ret = 1;

	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(usage);
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(opt, "--db") || !strcmp(opt, "--campaign") || !strcmp(opt, "--format") ||
		    !strcmp(opt, "-o") || !strcmp(opt, "--run")) {
			if (!val)
				return gb_cli_usage_error(usage, "%s needs a value", opt);
			i++;
			if (!strcmp(opt, "--db"))
				db = val;
			else if (!strcmp(opt, "-o"))
				outpath = val;
			else if (!strcmp(opt, "--format"))
				fmtname = val;
			else if (parse_id(val, !strcmp(opt, "--run") ? &run : &campaign))
				return gb_cli_usage_error(usage, "invalid %s '%s': expected a positive number", opt, val);
		} else {
			return gb_cli_usage_error(usage, "unknown argument '%s'", opt);
		}
	}
	if (gb_report_format_parse(fmtname, &fmt))
		return gb_cli_usage_error(usage, "%s", gb_error_msg());
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
	if (gb_report_build(st, id, &r)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (fmt == GB_REPORT_HTML && gb_report_load_series(r, st, run)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (outpath && !(out = fopen(outpath, "w"))) {
		out = stdout;
		error("cannot open '%s' for writing: %s", outpath, strerror(errno));
		goto out;
	}
	if (gb_report_write(r, fmt, out)) {
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
