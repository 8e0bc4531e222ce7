/*
 * greenbench advise: the greenest configuration of one model that meets
 * the constraints, measured (docs/advise.md). The search is the library's
 * (greenbench/advise.h); this file parses options, turns Ctrl-C into the
 * stop flag, and prints progress and the answer.
 *
 *   $ greenbench advise --model mlp.onnx --budget 2m
 *   advise 1: mlp.onnx on cpu, 7 candidates from the runtimes' axes (ort 6, baseline 1)
 *   screened ort/cpu                       0.0123 mJ/item at batch 64 (estimated), agreement 100.00%
 *   ...
 *   round 1: 4 configurations x 3 reps
 *
 *    rank  configuration               batch  mJ/item [95% CI]          items/s   p99 ms  agree    front
 *    1     ort/cpu threads=1           64     0.0101 [0.0098, 0.0104]   812345    0.09    100.00%  *
 *    ...
 *   recommended: ort/cpu threads=1 at batch 64, 38.2% less energy per item than the baseline ...
 *     greenbench run --model mlp.onnx --runtime ort --ep cpu --threads 1 --batch 64
 */
#include "cli/builtin.h"
#include "cli/data_opts.h"
#include "cli/meter_opts.h"
#include "cli/parse_options.h"
#include "cli/runtime_opts.h"
#include "greenbench/advise.h"
#include "greenbench/error.h"
#include "greenbench/verdict.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gb_usage usage = {
	.synopsis = "greenbench advise --model M [--runtimes R,...] [--ep cpu|cuda] [--max-p99-ms X]\n"
		    "                         [--min-agreement 0.99] [--budget 20m] [--db results.db]\n"
		    "                         [--baseline \"RUNTIME/EP [KEY=VALUE ...] [batch=N]\"] [--resume] [--json]\n"
		    "                         [--data PATH [--limit N] [--max-accuracy-drop 0.01] ...]",
	.description =
	"Find the configuration of one model with the least energy per item that\n"
	"meets the constraints. Candidates come from the axes the runtimes declare\n"
	"(threads, graph optimization, precision, layout, IO binding, CUDA graphs,\n"
	"compile modes, ...), screened first where their declared priors expect the\n"
	"most, one axis at a time on the best configuration found so far. Each is\n"
	"checked against its runtime's fp32 reference on the same inputs (below\n"
	"--min-agreement, or with --data more than --max-accuracy-drop below its\n"
	"accuracy, it is rejected), screened over batch sizes in this process (on\n"
	"a reused session where only run-time options differ), and the best get\n"
	"measured runs with repetitions until the winner is separated by its 95% CI\n"
	"or the budget ends.\n"
	"Everything is stored in the results database; --resume goes on after Ctrl-C.",
	.epilogue = "See docs/advise.md for the search and its outputs.\n",
};

/* Comma-separated names into a NULL-terminated list. */
struct name_list {
	char buf[512];
	const char *v[33];
	int given;
};

static int list_option(const struct gb_option *opt, const char *arg)
{
	struct name_list *l = opt->value;
	size_t n = 0;
	char *save = NULL;

	snprintf(l->buf, sizeof l->buf, "%s", arg);
	for (char *t = strtok_r(l->buf, ",", &save); t && n < 32; t = strtok_r(NULL, ",", &save))
		l->v[n++] = t;
	l->v[n] = NULL;
	if (!n)
		return gb_error_set(-22, "invalid --%s '%s': expected a comma-separated list", opt->long_name, arg);
	l->given = 1;
	return 0;
}

struct advise_cli {
	struct gb_advise_opts o;
	struct gb_cli_dims dims;
	struct name_list runtimes, axes;
	struct gb_meter_config mcfg;
	struct gb_cli_data data;
	int json, quiet;
	unsigned nscreened, ncands;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
	signal(sig, SIG_DFL);	/* a second Ctrl-C ends at once */
}

static int parse(int argc, char **argv, struct advise_cli *c)
{
	struct gb_advise_opts *o = &c->o;
	const struct gb_option opts[] = {
		GB_OPT_STRING('m', "model", &o->model, "M", "zoo model (resnet50, mobilenetv2, bert-base) or ONNX file"),
		GB_OPT_CALLBACK(0, "dim", &c->dims, "NAME=N", "value of a symbolic dim, repeatable (bert-base: seq=128)",
				gb_cli_dim_option),
		GB_OPT_CALLBACK(0, "runtimes", &c->runtimes, "R,...", "runtimes to search (default: every one here)",
				list_option),
		GB_OPT_STRING(0, "ep", &o->ep, "EP[:N]", "execution provider or device (default cpu)"),
		GB_OPT_CALLBACK(0, "axes", &c->axes, "A,...", "search only these declared axes (default: all)",
				list_option),
		GB_OPT_DOUBLE(0, "max-p99-ms", &o->max_p99_ms, "X", "latency limit per batch at the 99th percentile"),
		GB_OPT_DOUBLE(0, "min-agreement", &o->min_agreement, "X",
			      "top-1 agreement with the fp32 reference, at least (default 0.99)"),
		GB_OPT_DURATION(0, "budget", &o->budget_ns, "DUR", "time for the whole search (default 20m)", 1),
		GB_OPT_STRING(0, "db", &o->db, "FILE", "results database (default results.db)"),
		GB_OPT_STRING(0, "baseline", &o->baseline, "CONFIG",
			      "what runs today, \"ort/cuda io=device batch=64\" (default: the first runtime's default, batch 1)"),
		GB_OPT_BOOL(0, "resume", &o->resume, "continue the newest advice of the same options"),
		GB_OPT_UINT(0, "max-batch", &o->max_batch, "N", "largest batch tried (default 256)", 1),
		GB_OPT_UINT(0, "max-candidates", &o->max_candidates, "N",
			    "every combination of the axes up to this many, else one axis at a time (default 24)", 1),
		GB_OPT_DURATION(0, "screen", &o->screen_ns, "DUR", "measured window per batch when screening (default 1s)",
				1000000),
		GB_OPT_DURATION(0, "measure", &o->measure_ns, "DUR", "measured phase of each measured run (default 10s)",
				1000000),
		GB_OPT_UINT(0, "reps", &o->reps, "N", "repetitions per round (default 3)", 1),
		GB_OPT_UINT(0, "rounds", &o->max_rounds, "N", "measured rounds, at most (default 3)", 0),
		GB_OPT_UINT(0, "finalists", &o->finalists, "N", "candidates measured in the first round (default 4)", 1),
		GB_OPT_DURATION(0, "run-timeout", &o->run_timeout_ns, "DUR", "one measured run, at most (default 10m)",
				1000000000),
		GB_OPT_UINT(0, "seed", &o->seed, "N", "seed of the inputs and the run order (default 42)", 0),
		GB_OPT_UINT(0, "vocab", &o->vocab, "N", "generated token ids in [0, N) (default 30522)", 1),
		GB_OPT_UINT(0, "agree-batch", &o->agree_batch, "N", "items per batch of the agreement check (default 8)", 1),
		GB_OPT_UINT(0, "agree-batches", &o->agree_batches, "N",
			    "generated batches of the agreement check (default 2)", 1),
		GB_OPT_DOUBLE(0, "max-accuracy-drop", &o->max_accuracy_drop, "X",
			      "with --data: top-1 accuracy below the reference's, at most (default 0.01)"),
		GB_OPT_BOOL(0, "screen-only", &o->screen_only, "no measured runs: rank by the screening"),
		GB_CLI_CPU_TDP_OPTION(&c->mcfg),
		GB_OPT_BOOL(0, "json", &c->json, "print the answer as one JSON object"),
		GB_OPT_BOOL('q', "quiet", &c->quiet, "no progress output"),
		GB_CLI_DATA_OPTIONS(&c->data),
		GB_OPT_END(),
	};
	int ret;

	gb_advise_opts_init(o);
	gb_meter_config_init(&c->mcfg);
	gb_cli_data_init(&c->data);
	ret = gb_parse_options(argc, argv, opts, &usage, GB_PARSE_NO_ARGS);
	if (ret < 0)
		return ret;
	if ((ret = gb_cli_data_check(&c->data, &usage, opts)) < 0)
		return ret;
	if (!o->model)
		return gb_usage_error(&usage, opts, "no model given: use --model M");
	if (o->min_agreement < 0 || o->min_agreement > 1)
		return gb_usage_error(&usage, opts, "invalid --min-agreement %g: expected 0 to 1", o->min_agreement);
	if (o->max_accuracy_drop < 0 || o->max_accuracy_drop > 1)
		return gb_usage_error(&usage, opts, "invalid --max-accuracy-drop %g: expected 0 to 1", o->max_accuracy_drop);
	if (o->max_p99_ms < 0)
		return gb_usage_error(&usage, opts, "invalid --max-p99-ms %g: expected a positive number", o->max_p99_ms);
	o->dims = c->dims.dim;
	o->ndims = c->dims.n;
	o->runtimes = c->runtimes.given ? c->runtimes.v : NULL;
	o->axes = c->axes.given ? c->axes.v : NULL;
	o->data = c->data.path;
	o->data_opts = &c->data.o;
	gb_cli_meter_config_env(&c->mcfg);
	o->meter = &c->mcfg;
	o->stop = &stop_flag;
	return 0;
}

/* ---- progress ----------------------------------------------------------- */

static void on_candidates(void *ctx, const struct gb_advise_candidate *cs, size_t n, size_t planned, int resumed)
{
	struct advise_cli *c = ctx;

	c->ncands = (unsigned)planned;
	if (c->o.resume && !resumed)
		warning("no unfinished advice with these options in '%s': starting a new one", c->o.db);
	if (c->quiet)
		return;
	fprintf(stderr, "advise: %s on %s, up to %zu candidates from the runtimes' axes (%zu known now)%s\n",
		c->o.model, c->o.ep, planned, n, resumed ? " (resumed)" : "");
	(void)cs;
}

static void on_screened(void *ctx, const struct gb_advise_candidate *cd, int from_store)
{
	struct advise_cli *c = ctx;

	c->nscreened++;
	if (c->quiet)
		return;
	fprintf(stderr, "%s [%u/%u] %-40s ", from_store ? "stored  " : "screened", c->nscreened, c->ncands, cd->label);
	if (cd->status == GB_ADVISE_OK) {
		if (isnan(cd->energy_per_item_mj))
			fprintf(stderr, "%.0f items/s at batch %u (no energy source)", cd->throughput_per_s, cd->batch);
		else
			fprintf(stderr, "%.4g mJ/item at batch %u (%s)", cd->energy_per_item_mj, cd->batch, cd->methods);
		if (cd->agreement_valid)
			fprintf(stderr, ", agreement %.2f%%", 100 * cd->agreement);
		if (!isnan(cd->accuracy))
			fprintf(stderr, ", accuracy %.2f%%", 100 * cd->accuracy);
		if (!from_store)
			fprintf(stderr, ", %s %.1f s", cd->reused ? "session reused" : "loaded in", cd->load_s);
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "%s: %s\n", cd->status == GB_ADVISE_REJECTED ? "rejected" : cd->status == GB_ADVISE_SLOW ? "too slow" : "failed",
			cd->reason);
	}
}

static void on_round(void *ctx, unsigned round, size_t n, unsigned reps)
{
	struct advise_cli *c = ctx;

	if (!c->quiet)
		fprintf(stderr, "round %u: %zu configurations x %u reps (child runs)\n", round, n, reps);
}

static void on_run_end(void *ctx, unsigned round, const struct gb_engine_run *ev, const struct gb_engine_result *res)
{
	struct advise_cli *c = ctx;

	if (c->quiet)
		return;
	fprintf(stderr, "  round %u run %zu/%zu %s b%u: ", round, ev->progress.done_before + ev->progress.done_now,
		ev->progress.total, ev->plan->runtimes[ev->config->runtime].label, ev->config->batch);
	if (res->ok)
		fprintf(stderr, "%.4g mJ/item (%s)\n", res->energy_per_item_mj, res->energy_methods);
	else
		fprintf(stderr, "failed: %s\n", res->reason);
}

/* ---- the answer ----------------------------------------------------------- */

static const char *status_word(enum gb_advise_status s)
{
	switch (s) {
	case GB_ADVISE_REJECTED: return "rejected";
	case GB_ADVISE_FAILED: return "failed";
	case GB_ADVISE_SLOW: return "too slow";
	case GB_ADVISE_PENDING: return "not screened (budget)";
	default: return "ok";
	}
}

static void label_of(const struct gb_advise_candidate *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", c->label, c->is_baseline ? " (baseline)" : "");
}

/* A percentage, or "-" where there is none (never a made-up 0). */
static void pct_text(int valid, double frac, char *buf, size_t len)
{
	if (valid && !isnan(frac))
		snprintf(buf, len, "%.2f%%", 100 * frac);
	else
		snprintf(buf, len, "-");
}

/* Measured runs whose verdict was not valid: invalid ones were left out
 * of the figures above, suspect ones are in them. */
static void print_run_verdicts(const struct gb_advise_answer *a)
{
	for (size_t i = 0; i < a->ncands; i++) {
		const struct gb_advise_candidate *c = &a->cands[i];
		char why[256], words[256];

		if (!c->runs_invalid && !c->runs_suspect)
			continue;
		gb_verdict_reasons_join(c->verdict_reasons, ", ", why, sizeof why);
		printf(" runs: %s b%u:", c->label, c->batch);
		if (c->runs_invalid)
			printf(" %zu of %zu invalid (left out)%s", c->runs_invalid, c->runs_ok, c->runs_suspect ? "," : "");
		if (c->runs_suspect)
			printf(" %zu of %zu suspect", c->runs_suspect, c->runs_ok);
		printf(" (%s", why);
		if (c->throttle & GB_VERDICT_THROTTLE_MASK) {
			gb_verdict_throttle_text(c->throttle & GB_VERDICT_THROTTLE_MASK, words, sizeof words);
			printf(": %s", words);
		}
		printf(")\n");
	}
}

static void print_answer(const struct gb_advise_answer *a)
{
	int gpu = 0, acc = 0, w_lab = (int)strlen("configuration");
	char lab[300];

	for (size_t i = 0; i < a->ncands; i++) {
		gpu |= a->cands[i].status == GB_ADVISE_OK && !isnan(a->cands[i].gpu_energy_per_item_mj);
		acc |= !isnan(a->cands[i].accuracy);
		if (a->cands[i].status == GB_ADVISE_OK) {
			label_of(&a->cands[i], lab, sizeof lab);
			if ((int)strlen(lab) > w_lab)
				w_lab = (int)strlen(lab);
		}
	}
	printf("\n %-5s %-*s %6s  %-30s %10s %9s %8s", "rank", w_lab, "configuration", "batch", "mJ/item [95% CI]",
	       "items/s", "p99 ms", "agree");
	if (acc)
		printf(" %8s", "top-1");
	if (gpu)
		printf(" %9s", "GPU mJ");
	printf("  %s\n", "front");
	for (size_t i = 0; i < a->ncands; i++) {
		const struct gb_advise_candidate *c = &a->cands[i];
		char e[64], agree[16], top1[16];

		if (c->status != GB_ADVISE_OK)
			continue;
		if (c->epi.ci_valid)
			snprintf(e, sizeof e, "%.4g [%.4g, %.4g]", c->epi.mean, c->epi.lo, c->epi.hi);
		else if (c->epi.valid)
			snprintf(e, sizeof e, "%.4g (1 run)", c->epi.mean);
		else if (!isnan(c->energy_per_item_mj))
			snprintf(e, sizeof e, "%.4g (screening)", c->energy_per_item_mj);
		else
			snprintf(e, sizeof e, "<not supported>");
		label_of(c, lab, sizeof lab);
		pct_text(c->agreement_valid, c->agreement, agree, sizeof agree);
		printf(" %-5zu %-*s %6u  %-30s %10.0f %9.3g %8s", i + 1, w_lab, lab, c->batch, e,
		       c->epi.valid ? c->run_throughput_per_s : c->throughput_per_s,
		       c->epi.valid ? c->run_p99_ms : c->p99_ms, agree);
		pct_text(1, c->accuracy, top1, sizeof top1);
		if (acc)
			printf(" %8s", top1);
		if (gpu)	/* from the same source as the mJ/item column */
			printf(" %9.4g", c->epi.valid ? c->run_gpu_energy_per_item_mj : c->gpu_energy_per_item_mj);
		printf("  %s\n", c->pareto ? "*" : "");
	}
	print_run_verdicts(a);
	for (size_t i = 0; i < a->ncands; i++) {
		const struct gb_advise_candidate *c = &a->cands[i];

		if (c->status != GB_ADVISE_OK)
			printf(" %s: %s%s%s\n", status_word(c->status), c->label, c->reason[0] ? ": " : "", c->reason);
	}
	if (a->winner == SIZE_MAX) {
		printf("\nno candidate met the constraints\n");
		return;
	}
	const struct gb_advise_candidate *w = &a->cands[a->winner];
	printf("\nrecommended: %s at batch %u", w->label, w->batch);
	if (!isnan(a->saving_pct) && a->baseline != SIZE_MAX)
		printf(", %.1f%% %s energy per item than the baseline %s (batch %u)", fabs(a->saving_pct),
		       a->saving_pct >= 0 ? "less" : "more", a->cands[a->baseline].label, a->cands[a->baseline].batch);
	if (a->runner_up != SIZE_MAX)
		printf("; %s from the runner-up %s by their 95%% CIs", a->separated ? "separated" : "not separated",
		       a->cands[a->runner_up].label);
	if (w->runs_invalid && !w->epi.valid)
		printf("; its measured runs were all invalid (see runs: above), so it is ranked by its screening");
	printf("%s\n  %s\nexperiment-file entry:\n", a->budget_ended ? " (the budget ended)" : "", a->command);
	for (const char *s = a->plan_entry; *s;) {
		const char *nl = strchr(s, '\n');
		int n = nl ? (int)(nl - s) : (int)strlen(s);

		printf("  %.*s\n", n, s);
		s += n + (nl ? 1 : 0);
	}
	printf("time: %.1f s, %.0f%% in measured phases, %.0f%% loading models in screening (advice %lld in the database)\n",
	       a->wall_s, a->wall_s > 0 ? 100 * a->measured_s / a->wall_s : 0,
	       a->wall_s > 0 ? 100 * a->load_s / a->wall_s : 0, (long long)a->advise_id);
	printf("  screening %.1f s (%.1f s in its measured windows, %.1f s loading, %zu candidates on a reused session),"
	       " measured runs %.1f s (%.1f s in their measured phases); overhead %.1f s\n",
	       a->screen_s, a->screen_measured_s, a->load_s, a->reused, a->runs_s, a->runs_measured_s,
	       a->wall_s - a->measured_s);
	const char *at_least = a->screen_energy_partial ? ", at least: a call's share is missing" : "";
	if (!isnan(a->screen_energy_j) && !isnan(a->screen_window_energy_j))
		printf("energy: screening %.1f J (%s%s), of it %.1f J in its measured windows and %.1f J overhead (loads,"
		       " agreement checks, warm-ups); measured runs %.1f J in their measured phases\n",
		       a->screen_energy_j, a->screen_energy_methods, at_least, a->screen_window_energy_j,
		       a->screen_energy_j - a->screen_window_energy_j, a->runs_energy_j);
	else if (!isnan(a->screen_energy_j))
		printf("energy: screening %.1f J (%s%s; its measured windows' share was not measured); measured runs"
		       " %.1f J in their measured phases\n",
		       a->screen_energy_j, a->screen_energy_methods, at_least, a->runs_energy_j);
	else
		printf("energy: screening not measured (no energy source); measured runs %.1f J in their measured"
		       " phases\n", a->runs_energy_j);
}

int cmd_advise(int argc, char **argv)
{
	struct advise_cli c;
	struct gb_advise_callbacks cb = {
		.candidates = on_candidates, .screened = on_screened, .round_start = on_round, .run_end = on_run_end,
	};
	struct gb_advise_answer a;
	int ret, status = 1;

	memset(&c, 0, sizeof c);
	ret = parse(argc, argv, &c);
	if (ret < 0)
		return gb_parse_exit(ret);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = gb_advise_run(&c.o, &cb, &c, &a);
	if (ret) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (a.stopped) {
		if (!c.quiet)
			fprintf(stderr, "interrupted: what finished is stored; run again with --resume\n");
		status = 130;
		goto out;
	}
	status = 0;
	if (c.json) {
		char *j = gb_advise_answer_json(&a);

		if (!j)
			status = error("out of memory");
		else
			puts(j);
		free(j);
	} else {
		print_answer(&a);
	}
out:
	gb_advise_answer_release(&a);
	return gb_cli_finish(status);
}
