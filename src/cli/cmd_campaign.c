/*
 * greenbench campaign run: execute an experiment file into a SQLite store.
 *
 *   $ greenbench campaign run examples/quick.yaml --db results.db
 *   [model 1/2] converting mobilenetv2 with tf2onnx, once for every campaign (cached)...
 *   [model 1/2] mobilenetv2-tf2onnx: converted in 21.4 s
 *   [model 2/2] exporting zoo model mobilenetv2 (cached)...
 *   [model 2/2] mobilenetv2: exported in 1.2 s
 *   campaign 1 'quick': 18 configurations x 3 reps = 54 runs (seed 42), db results.db
 *   idle baseline: cpu 4.10 W (estimated)
 *   [ 7/54] resnet50 ort/cpu b8 rep 2/3 | 0:41 elapsed, ETA 4:32 | last 212.4 mJ/item (estimated)
 *   ...
 *   campaign 1: 54 runs recorded (53 ok, 1 failed); see: greenbench report --db results.db --campaign 1
 *
 * Each run is a child `greenbench run ... --json` (see campaign.h); its
 * record is stored in one transaction as it ends. Ctrl-C kills the run in
 * flight, records nothing of it, and exits 130; --resume goes on later.
 * The loop is the library's campaign engine (greenbench/engine.h); this
 * file parses arguments, handles signals and prints the engine's events.
 */
#include "cli/builtin.h"
#include "cli/campaign_cli.h"
#include "cli/meter_opts.h"
#include "cli/parse_options.h"
#include "greenbench/engine.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/plan.h"
#include "greenbench/proc.h"
#include "greenbench/time.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct gb_usage run_usage = {
	.synopsis = "greenbench campaign run FILE [--db results.db] [--resume] [--retry-failed] [--keep-going] [--gpus LIST] [-q]\n",
	.description =
	"Run every configuration of an experiment file (models x runtimes x batches,\n"
	"minus exclusions) `reps` times in a seeded random order, with an idle\n"
	"baseline and cooldowns, and record each run in a SQLite database as it ends.\n",
	.epilogue =
	"Exit status: 0 every run ok and none invalid; 1 the campaign could not be\n"
	"opened, checked or stored; 3 runs failed; 4 no run failed but some are\n"
	"invalid (see their verdicts in the report); 129 usage; 130 interrupted.\n"
	"\n"
	"Environment: GREENBENCH_RUN_CMD runs each configuration with another\n"
	"program instead of this greenbench; GREENBENCH_CACHE_DIR is where zoo\n"
	"models are exported (default ~/.cache/greenbench). The file format is in\n"
	"docs/campaigns.md; see the results with 'greenbench report'.\n",
};

volatile sig_atomic_t gb_cli_campaign_stop;

static void on_signal(int sig)
{
	gb_cli_campaign_stop = 1;
	/* A second Ctrl-C ends at once: stored runs are safe either way. */
	signal(sig, SIG_DFL);
}

void gb_cli_campaign_signals(int on)
{
	struct sigaction sa;

	if (!on) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits wake up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static const char *clear_line(const struct gb_cli_camp *c)
{
	return c->tty ? "\r\033[K" : "";
}

static void progress(struct gb_cli_camp *c, const struct gb_engine_run *ev, const char *state)
{
	const struct gb_plan *p = ev->plan;
	const struct gb_engine_progress *pr = &ev->progress;
	double el = (double)pr->elapsed_ns / 1e9;
	size_t left = pr->total - pr->done_before - pr->done_now;
	char eta[32] = "?", last[96] = "";

	if (c->quiet)
		return;
	if (pr->done_now)
		snprintf(eta, sizeof eta, "%d:%02d", (int)(el / pr->done_now * left) / 60,
			 (int)(el / pr->done_now * left) % 60);
	if (!isnan(c->last_epi))
		snprintf(last, sizeof last, " | last %.1f mJ/item%s%s%s", c->last_epi,
			 c->last_method[0] ? " (" : "", c->last_method, c->last_method[0] ? ")" : "");
	fprintf(stderr, "%s[%*zu/%zu] %s %s b%u rep %u/%u %s| %d:%02d elapsed, ETA %s%s%s",
		clear_line(c), (int)snprintf(NULL, 0, "%zu", pr->total),
		pr->done_before + pr->done_now + (state ? 0 : 1), pr->total,
		p->models[ev->config->model].name, p->runtimes[ev->config->runtime].label, ev->config->batch,
		ev->planned->rep + 1, p->reps_auto ? p->reps_max : p->reps, state ? state : "", (int)el / 60, (int)el % 60, eta, last,
		c->tty ? "" : "\n");
	fflush(stderr);
}

static void on_start(void *ctx, const struct gb_engine_start *ev)
{
	struct gb_cli_camp *c = ctx;
	const struct gb_plan *p = ev->plan;

	if (c->quiet)
		return;
	if (p->reps_auto)
		fprintf(stderr, "campaign %lld '%s': %zu configurations x %u reps = %zu runs to start with, more up to %u reps "
			"until energy per item is within +-%.0f%% (seed %llu), db %s\n",
			(long long)ev->progress.campaign, p->name, p->nconfigs, p->reps, ev->progress.total, p->reps_max,
			p->reps_ci_pct, (unsigned long long)p->seed, c->db);
	else
		fprintf(stderr, "campaign %lld '%s': %zu configurations x %u reps = %zu runs (seed %llu), db %s\n",
			(long long)ev->progress.campaign, p->name, p->nconfigs, p->reps, ev->progress.total,
			(unsigned long long)p->seed, c->db);
	if (c->resume)
		fprintf(stderr, "resuming: %zu of %zu runs already recorded\n", ev->progress.done_before,
			ev->progress.total);
}

static void on_idle_start(void *ctx, const struct gb_engine_idle_start *ev)
{
	struct gb_cli_camp *c = ctx;

	if (!c->quiet)
		fprintf(stderr, "%smeasuring the idle baseline (%.1f s)...%s", clear_line(c),
			(double)ev->duration_ns / 1e9, c->tty ? "" : "\n");
}

static void on_idle_domain(void *ctx, const struct gb_engine_idle_domain *ev)
{
	struct gb_cli_camp *c = ctx;

	if (!c->quiet && ev->before_seq == 0 && !isnan(ev->power_w))
		fprintf(stderr, "%sidle baseline: %s %.2f W (%s)\n", clear_line(c), ev->info->name, ev->power_w,
			gb_method_name(ev->info->method));
}

static void on_cooldown(void *ctx, const struct gb_engine_cooldown *ev)
{
	struct gb_cli_camp *c = ctx;

	if (ev->kind != GB_COOLDOWN_UNTIL_IDLE || !ev->ngpus)
		return;
	if (ev->timed_out)
		warning("cooldown: GPU not back within %.0f%% of idle after its timeout; going on", ev->margin_pct);
	else if (!c->quiet && !c->tty)
		fprintf(stderr, "cooldown: GPU within %.0f%% of idle power and temperature after %.1f s\n",
			ev->margin_pct, (double)ev->waited_ns / 1e9);
}

/* Zoo exports and conversions, made before the first run. */
static void on_model_start(void *ctx, const struct gb_engine_model *ev)
{
	struct gb_cli_camp *c = ctx;
	const struct gb_plan_model *m = &ev->plan->models[ev->model];

	if (c->quiet)
		return;
	if (ev->converter)
		fprintf(stderr, "[model %zu/%zu] converting %s with %s, once for every campaign (cached)...%s",
			ev->index, ev->count, m->zoo, ev->converter, c->tty ? "" : "\n");
	else
		fprintf(stderr, "[model %zu/%zu] exporting zoo model %s (cached)...%s", ev->index, ev->count,
			m->zoo, c->tty ? "" : "\n");
}

static void on_model_end(void *ctx, const struct gb_engine_model *ev)
{
	struct gb_cli_camp *c = ctx;

	if (c->quiet)
		return;
	if (ev->error)	/* the preflight says so, refusing or keeping going */
		fputs(clear_line(c), stderr);
	else
		fprintf(stderr, "%s[model %zu/%zu] %s: %s in %.1f s\n", clear_line(c), ev->index, ev->count,
			ev->plan->models[ev->model].name, ev->converter ? "converted" : "exported",
			(double)ev->elapsed_ns / 1e9);
}

/* As a run starts and once a second while it runs: the status line. */
static void on_run_going(void *ctx, const struct gb_engine_run *ev)
{
	struct gb_cli_camp *c = ctx;

	if (c->tty)
		progress(c, ev, NULL);
}

static void on_run_end(void *ctx, const struct gb_engine_run *ev, const struct gb_engine_result *res)
{
	struct gb_cli_camp *c = ctx;
	const struct gb_plan *p = ev->plan;

	if (res->ok) {
		c->last_epi = res->energy_per_item_mj;
		snprintf(c->last_method, sizeof c->last_method, "%s", res->energy_methods);
		if (!c->quiet && res->verdict && res->verdict->level != GB_VERDICT_VALID) {
			char why[256];

			gb_verdict_reasons_join(res->verdict->reasons, ", ", why, sizeof why);
			fputs(clear_line(c), stderr);
			warning("run %lld (%s %s b%u rep %u) is %s: %s", (long long)ev->planned->seq + 1,
				p->models[ev->config->model].name, p->runtimes[ev->config->runtime].label,
				ev->config->batch, ev->planned->rep + 1, gb_verdict_level_name(res->verdict->level), why);
		}
	} else if (!c->quiet) {
		fputs(clear_line(c), stderr);
		warning("run %lld (%s %s b%u rep %u) failed: %s", (long long)ev->planned->seq + 1,
			p->models[ev->config->model].name, p->runtimes[ev->config->runtime].label,
			ev->config->batch, ev->planned->rep + 1, res->reason);
	}
	if (!gb_cli_campaign_stop && !c->tty)
		progress(c, ev, res->ok ? "ok " : "FAILED ");
}

static void on_warning(void *ctx, const struct gb_engine_warning *ev)
{
	(void)ctx;
	switch (ev->kind) {
	case GB_ENGINE_WARN_NO_METER:
		warning("no meter, so no idle baseline or idle cooldown: %s", ev->detail);
		break;
	case GB_ENGINE_WARN_SAMPLER:
		warning("cannot start the sampler: %s", ev->detail);
		break;
	case GB_ENGINE_WARN_IDLE:
		warning("idle baseline: %s", ev->detail);
		break;
	case GB_ENGINE_WARN_STORE:
		warning("%s", ev->detail);
		break;
	case GB_ENGINE_WARN_IDLE_BUSY:
		warning("the machine was not idle for the idle baseline (%s); runs that subtract it are marked", ev->detail);
		break;
	case GB_ENGINE_WARN_PREFLIGHT:
		warning("%s", ev->detail);
		break;
	}
}

const struct gb_engine_callbacks gb_cli_campaign_printer = {
	.campaign_start = on_start,
	.idle_start = on_idle_start,
	.idle_domain = on_idle_domain,
	.cooldown_end = on_cooldown,
	.model_start = on_model_start,
	.model_end = on_model_end,
	.run_start = on_run_going,
	.run_tick = on_run_going,
	.run_end = on_run_end,
	.warning = on_warning,
};

static int campaign_run(struct gb_cli_camp *c)
{
	struct gb_meter_config mc;
	struct gb_engine_opts o = { .file = c->file, .db = c->db, .resume = c->resume || c->retry_failed,
				    .meter = &mc, .stop = &gb_cli_campaign_stop, .gpus = c->gpus,
				    .keep_going = c->keep_going, .retry_failed = c->retry_failed };
	struct gb_engine_summary sum;
	const struct gb_engine_progress *pr = &sum.progress;
	int ret;

	gb_meter_config_init(&mc);
	gb_cli_meter_config_env(&mc);
	/* The engine's own meter (idle baselines, cooldowns) watches the same GPUs. */
	if (c->gpus)
		mc.gpus = c->gpus;
	gb_cli_campaign_signals(1);
	/* A run killed on Ctrl-C leaves its worker to whoever adopts it: us,
	 * so that we can wait for it below (docs/campaigns.md). */
	if (gb_proc_adopt_orphans())
		warning("%s; a worker orphaned on Ctrl-C may outlive the campaign", gb_error_msg());
	c->last_epi = NAN;
	if (gb_campaign_engine_run(&o, &gb_cli_campaign_printer, c, &sum)) {
		error("%s", gb_error_msg());
		ret = 1;
		goto out;
	}
	if (c->tty && !c->quiet)
		fputs("\r\033[K", stderr);
	if (sum.stopped) {
		fprintf(stderr, "interrupted: %zu of %zu runs recorded; continue with: greenbench campaign run %s --db %s --resume\n",
			pr->done_before + pr->done_now, pr->total, c->file, c->db);
		ret = 130;
		goto out;
	}
	if (!c->quiet && sum.retried)
		fprintf(stderr, "campaign %lld: %zu failed runs run again (the failures are kept as history)\n",
			(long long)pr->campaign, sum.retried);
	if (!c->quiet)
	{
		char verdicts[64] = "";

		if (pr->suspect || pr->invalid)
			snprintf(verdicts, sizeof verdicts, "; %zu suspect, %zu invalid", pr->suspect, pr->invalid);
		fprintf(stderr, "campaign %lld: %zu runs recorded now (%zu ok, %zu failed)%s, %zu in all; see: greenbench report --db %s --campaign %lld\n",
			(long long)pr->campaign, pr->done_now, pr->ok, pr->failed, verdicts,
			pr->done_before + pr->done_now, c->db, (long long)pr->campaign);
	}
	ret = pr->failed ? 3 : pr->invalid ? 4 : 0;
out:
	{
		size_t n;

		if (gb_proc_reap_orphans(5 * GB_NS_PER_S, &n))
			warning("%s", gb_error_msg());
	}
	gb_cli_campaign_signals(0);
	return gb_cli_finish(ret);
}

static int campaign_run_cmd(int argc, char **argv)
{
	struct gb_cli_camp c;
	const char *db = "results.db";
	struct gb_option opts[] = {
		GB_OPT_STRING(0, "db", &db, "FILE", "the database (default results.db); created if missing"),
		GB_OPT_BOOL(0, "resume", &c.resume, "continue the newest campaign of this same file in the "
			    "database: finished runs are kept, the rest are run"),
		GB_OPT_BOOL(0, "retry-failed", &c.retry_failed, "with --resume: run the failed runs again (the "
			    "failures are kept as history)"),
		GB_OPT_BOOL(0, "keep-going", &c.keep_going, "record the runs of runtimes or models that cannot "
			    "run here as failed, instead of refusing the plan"),
		GB_OPT_STRING(0, "gpus", &c.gpus, "LIST", "one run per GPU at a time, each pinned to its GPU "
			      "(NVML indices or UUIDs: 0,1,2,3) and measuring only it"),
		GB_OPT_BOOL('q', "quiet", &c.quiet, "no progress output"),
		GB_OPT_END(),
	};
	int n;

	memset(&c, 0, sizeof c);
	n = gb_parse_options(argc, argv, opts, &run_usage, 0);
	if (n < 0)
		return gb_parse_exit(n);
	if (n == 0)
		return gb_parse_exit(gb_usage_error(&run_usage, opts, "missing experiment file"));
	if (n > 1)
		return gb_parse_exit(gb_usage_error(&run_usage, opts, "more than one experiment file ('%s', '%s')",
						    argv[0], argv[1]));
	c.tty = isatty(2);
	c.file = argv[0];
	c.db = db;
	return campaign_run(&c);
}

/*
 * The campaign subcommands: one row each. argv[0] of fn is the
 * subcommand's name.
 */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} subcommands[] = {
	{ "run", campaign_run_cmd, "run an experiment file into a results database" },
	/* On a Slurm cluster (cmd_campaign_cluster.c). */
	{ "submit", gb_cli_campaign_submit, "store the plan and submit it as a Slurm job array" },
	{ "task", gb_cli_campaign_task, "run one array task's share (what the job's script runs)" },
	{ "collect", gb_cli_campaign_collect, "merge the tasks' records into the database" },
	{ "status", gb_cli_campaign_status, "the tasks' progress, from their records and from Slurm" },
};
#define NSUB (sizeof subcommands / sizeof subcommands[0])

static void campaign_usage(FILE *f)
{
	fputs("usage: greenbench campaign <subcommand> [<args>]\n\nsubcommands:\n", f);
	for (size_t i = 0; i < NSUB; i++)
		fprintf(f, "   %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fputs("\n'greenbench campaign <subcommand> --help' shows its options.\n", f);
}

int cmd_campaign(int argc, char **argv)
{
	char names[256];
	size_t off = 0;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		campaign_usage(stdout);
		return gb_cli_finish(0);
	}
	for (size_t i = 0; argc >= 2 && i < NSUB; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	for (size_t i = 0; i < NSUB && off < sizeof names; i++)
		off += (size_t)snprintf(names + off, sizeof names - off, "%s'%s'", i ? ", " : "", subcommands[i].name);
	if (argc < 2)
		error("missing subcommand: expected %s", names);
	else
		error("unknown subcommand '%s': expected %s", argv[1], names);
	fputc('\n', stderr);
	campaign_usage(stderr);
	return 129;
}
