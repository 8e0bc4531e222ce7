/*
 * greenbench campaign run: execute an experiment file into a SQLite store.
 *
 *   $ greenbench campaign run examples/quick.yaml --db results.db
 *   campaign 1 'quick': 18 configurations x 3 reps = 54 runs (seed 42), db results.db
 *   idle baseline: cpu 4.10 W (estimated)
 *   [ 7/54] resnet50 ort/cpu b8 rep 2/3 | 0:41 elapsed, ETA 4:32 | last 212.4 mJ/item (estimated)
 *   ...
 *   campaign 1: 54 runs recorded (53 ok, 1 failed); see: greenbench report --db results.db --campaign 1
 *
 * Each run is a child `greenbench run ... --json` (see campaign.h); its
 * record is stored in one transaction as it ends. Ctrl-C kills the run in
 * flight, records nothing of it, and exits 130; --resume goes on later.
 */
#include "cli/builtin.h"
#include "cli/meter_opts.h"
#include "greenbench/campaign.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/plan.h"
#include "greenbench/store.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: greenbench campaign run FILE [--db results.db] [--resume]\n"
	"\n"
	"Run every configuration of an experiment file (models x runtimes x batches,\n"
	"minus exclusions) `reps` times in a seeded random order, with an idle\n"
	"baseline and cooldowns, and record each run in a SQLite database as it ends.\n"
	"\n"
	"    --db FILE     the database (default results.db); created if missing\n"
	"    --resume      continue the newest campaign of this same file in the\n"
	"                  database: finished runs are kept, the rest are run\n"
	"    -q, --quiet   no progress output\n"
	"\n"
	"Environment: GREENBENCH_RUN_CMD runs each configuration with another\n"
	"program instead of this greenbench; GREENBENCH_CACHE_DIR is where zoo\n"
	"models are exported (default ~/.cache/greenbench). The file format is in\n"
	"docs/campaigns.md; see the results with 'greenbench report'.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
	/* A second Ctrl-C ends at once: stored runs are safe either way. */
	signal(sig, SIG_DFL);
}

/* Sleep, but wake up for Ctrl-C. */
static void pause_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / GB_NS_PER_S), (long)(ns % GB_NS_PER_S) };

	if (!stop_flag)
		nanosleep(&ts, NULL);
}

struct idle_ref {
	int have;
	double temp_c[64];	/* per domain; NAN if none */
	double power_w[64];
};

struct camp {
	struct gb_plan *plan;
	struct gb_store *st;
	int64_t id;
	struct gb_meter *meter;
	struct idle_ref idle;
	char cmd[PATH_MAX], cache[PATH_MAX];
	char **model_paths;	/* resolved lazily, one per plan model */
	char **model_errs;
	int tty, quiet;
	uint64_t t_start;
	size_t total, done_before, done_now, ok, failed;
	double last_epi;
	int last_failed;
	char last_method[48];
};

static void progress(struct camp *c, const struct gb_store_planned *pl, const char *state)
{
	const struct gb_plan_config *cf = &c->plan->configs[pl->config];
	double el = (double)(gb_now_ns() - c->t_start) / 1e9;
	size_t left = c->total - c->done_before - c->done_now;
	char eta[32] = "?", last[96] = "";

	if (c->quiet)
		return;
	if (c->done_now)
		snprintf(eta, sizeof eta, "%d:%02d", (int)(el / c->done_now * left) / 60,
			 (int)(el / c->done_now * left) % 60);
	if (!isnan(c->last_epi))
		snprintf(last, sizeof last, " | last %.1f mJ/item%s%s%s", c->last_epi,
			 c->last_method[0] ? " (" : "", c->last_method, c->last_method[0] ? ")" : "");
	fprintf(stderr, "%s[%*zu/%zu] %s %s b%u rep %u/%u %s| %d:%02d elapsed, ETA %s%s%s",
		c->tty ? "\r\033[K" : "", (int)snprintf(NULL, 0, "%zu", c->total),
		c->done_before + c->done_now + (state ? 0 : 1), c->total,
		c->plan->models[cf->model].name, c->plan->runtimes[cf->runtime].label, cf->batch,
		pl->rep + 1, c->plan->reps, state ? state : "", (int)el / 60, (int)el % 60, eta, last,
		c->tty ? "" : "\n");
	fflush(stderr);
}

struct tick_arg {
	struct camp *c;
	const struct gb_store_planned *pl;
};

static void tick(void *arg)
{
	struct tick_arg *t = arg;

	progress(t->c, t->pl, NULL);
}

static void idle_baseline(struct camp *c, int64_t before_seq)
{
	struct gb_mark mk = { 0 };
	double secs = (double)c->plan->idle_duration_ns / 1e9;

	if (!c->meter || !c->plan->idle_duration_ns)
		return;
	if (!c->quiet)
		fprintf(stderr, "%smeasuring the idle baseline (%.1f s)...%s", c->tty ? "\r\033[K" : "", secs,
			c->tty ? "" : "\n");
	if (gb_meter_measure_idle(c->meter, c->plan->idle_duration_ns)) {
		warning("idle baseline: %s", gb_error_msg());
		return;
	}
	if (gb_mark_init(&mk, c->meter) || gb_meter_mark(c->meter, &mk))
		memset(&mk, 0, sizeof mk);
	c->idle.have = 1;
	for (size_t d = 0; d < gb_meter_domain_count(c->meter) && d < 64; d++) {
		const struct gb_domain_info *di = gb_meter_domain(c->meter, d);
		double w = NAN;

		c->idle.temp_c[d] = mk.s && (mk.s[d].valid & GB_SAMPLE_TEMP) ? mk.s[d].temp_c : NAN;
		if (gb_meter_idle_power(c->meter, d, &w))
			w = NAN;
		c->idle.power_w[d] = w;
		if (gb_store_idle_insert(c->st, c->id, before_seq, secs, di->name, w, c->idle.temp_c[d]))
			warning("%s", gb_error_msg());
		if (!c->quiet && before_seq == 0 && !isnan(w))
			fprintf(stderr, "%sidle baseline: %s %.2f W (%s)%s", c->tty ? "\r\033[K" : "", di->name, w,
				gb_method_name(di->method), "\n");
	}
	gb_mark_release(&mk);
}

/* Wait until every GPU is within margin of its idle power and temperature. */
static void cooldown_until_idle(struct camp *c)
{
	const struct gb_plan *p = c->plan;
	uint64_t t0 = gb_now_ns(), deadline = t0 + p->cooldown_ns;
	double f = 1.0 + p->cooldown_margin_pct / 100.0;
	struct gb_mark mk = { 0 };
	int gpus = 0;

	if (!c->meter || !c->idle.have || gb_mark_init(&mk, c->meter))
		return;
	while (!stop_flag && gb_now_ns() < deadline) {
		int settled = 1;

		gpus = 0;
		if (gb_meter_mark(c->meter, &mk))
			break;
		for (size_t d = 0; d < mk.n && d < 64; d++) {
			if (gb_meter_domain(c->meter, d)->kind != GB_DOMAIN_GPU)
				continue;
			gpus++;
			if ((mk.s[d].valid & GB_SAMPLE_POWER) && !isnan(c->idle.power_w[d]) &&
			    mk.s[d].power_mw / 1000.0 > c->idle.power_w[d] * f)
				settled = 0;
			if ((mk.s[d].valid & GB_SAMPLE_TEMP) && !isnan(c->idle.temp_c[d]) &&
			    mk.s[d].temp_c > c->idle.temp_c[d] * f)
				settled = 0;
		}
		if (settled || !gpus)
			break;
		pause_ns(GB_NS_PER_S / 2);
	}
	if (gb_now_ns() >= deadline && gpus)
		warning("cooldown: GPU not back within %.0f%% of idle after its timeout; going on",
			p->cooldown_margin_pct);
	else if (gpus && !c->quiet && !c->tty)
		fprintf(stderr, "cooldown: GPU within %.0f%% of idle power and temperature after %.1f s\n",
			p->cooldown_margin_pct, (double)(gb_now_ns() - t0) / 1e9);
	gb_mark_release(&mk);
}

static void cooldown(struct camp *c)
{
	if (c->plan->cooldown == GB_COOLDOWN_FIXED)
		pause_ns(c->plan->cooldown_ns);
	else if (c->plan->cooldown == GB_COOLDOWN_UNTIL_IDLE)
		cooldown_until_idle(c);
}

static int run_one(struct camp *c, const struct gb_store_planned *pl)
{
	const struct gb_plan_config *cf = &c->plan->configs[pl->config];
	struct gb_run_outcome o = { 0 };
	struct gb_store_run_in in = { 0 };
	char **argv = NULL, path[PATH_MAX];
	const char *model;
	int ret = 0;

	in.seq = pl->seq;
	in.config = pl->config;
	in.rep = pl->rep;
	if (gb_campaign_model_by_name(c->plan, pl->config)) {
		model = c->plan->models[cf->model].zoo;
		goto have_model;
	}
	if (!c->model_paths[cf->model] && !c->model_errs[cf->model]) {
		if (gb_campaign_model_path(c->plan, cf->model, c->cmd, c->cache, path, sizeof path))
			c->model_errs[cf->model] = strdup(gb_error_msg());
		else
			c->model_paths[cf->model] = strdup(path);
	}
	if (c->model_errs[cf->model]) {
		in.reason = c->model_errs[cf->model];
		goto record;
	}
	if (!(model = c->model_paths[cf->model]))
		return error("out of memory");
have_model:
	if (gb_campaign_run_argv(c->plan, pl->config, c->cmd, model, &argv))
		return error("%s", gb_error_msg());
	struct tick_arg ta = { c, pl };
	if (gb_campaign_exec(argv, c->plan->run_timeout_ns, &stop_flag, c->tty ? tick : NULL, &ta, &o)) {
		ret = error("%s", gb_error_msg());
		goto out;
	}
	if (o.interrupted)
		goto out;
	in.ok = o.ok;
	in.reason = o.ok ? NULL : o.reason;
	in.stderr_tail = o.stderr_tail;
	in.record_json = o.record_json;
	in.wall_s = o.wall_s;
record:
	if (gb_store_run_insert(c->st, c->id, &in)) {
		ret = error("%s", gb_error_msg());
		goto out;
	}
	c->done_now++;
	if (in.ok) {
		cJSON *rec = cJSON_Parse(in.record_json);
		struct gb_run_metrics m;

		c->ok++;
		c->last_failed = 0;
		gb_run_metrics_extract(rec, &m);
		cJSON_Delete(rec);
		c->last_epi = m.energy_per_item_mj;
		snprintf(c->last_method, sizeof c->last_method, "%s", m.total_energy_methods);
	} else {
		c->failed++;
		c->last_failed = 1;
		if (!c->quiet) {
			if (c->tty)
				fputs("\r\033[K", stderr);
			warning("run %lld (%s %s b%u rep %u) failed: %s", (long long)pl->seq + 1,
				c->plan->models[cf->model].name, c->plan->runtimes[cf->runtime].label,
				cf->batch, pl->rep + 1, in.reason);
		}
	}
out:
	gb_campaign_argv_free(argv);
	gb_run_outcome_release(&o);
	return ret;
}

static int campaign_run(struct camp *c, const char *file, const char *db, int resume)
{
	struct gb_store_planned *pl = NULL;
	struct gb_meter_config mc;
	struct sigaction sa;
	char *text = NULL;
	size_t len = 0, npl = 0, since_idle = 0;
	int ret = 1, first = 1;

	if (gb_file_read_all(file, &text, &len) || gb_plan_parse(text, len, file, &c->plan)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (gb_store_open(db, &c->st)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (resume ? gb_store_campaign_find(c->st, c->plan, text, &c->id)
		   : gb_store_campaign_create(c->st, c->plan, text, &c->id)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (gb_store_planned_load(c->st, c->id, &pl, &npl) || gb_campaign_run_cmd(c->cmd, sizeof c->cmd) ||
	    gb_campaign_cache_dir(c->cache, sizeof c->cache)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (access(c->cmd, X_OK)) {
		error("cannot run '%s': %s", c->cmd, strerror(errno));
		goto out;
	}
	c->model_paths = calloc(c->plan->nmodels, sizeof *c->model_paths);
	c->model_errs = calloc(c->plan->nmodels, sizeof *c->model_errs);
	if (!c->model_paths || !c->model_errs) {
		error("out of memory");
		goto out;
	}
	c->total = npl;
	for (size_t i = 0; i < npl; i++)
		c->done_before += pl[i].done;
	if (!c->quiet)
		fprintf(stderr, "campaign %lld '%s': %zu configurations x %u reps = %zu runs (seed %llu), db %s%s\n",
			(long long)c->id, c->plan->name, c->plan->nconfigs, c->plan->reps, npl,
			(unsigned long long)c->plan->seed, db, resume ? "" : "");
	if (resume && !c->quiet)
		fprintf(stderr, "resuming: %zu of %zu runs already recorded\n", c->done_before, npl);
	if (c->plan->idle_duration_ns || c->plan->cooldown == GB_COOLDOWN_UNTIL_IDLE) {
		gb_meter_config_init(&mc);
		gb_cli_meter_config_env(&mc);
		if (gb_meter_open(&mc, &c->meter)) {
			warning("no meter, so no idle baseline or idle cooldown: %s", gb_error_msg());
			c->meter = NULL;
		} else if (gb_meter_start(c->meter)) {
			warning("cannot start the sampler: %s", gb_error_msg());
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits wake up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	c->t_start = gb_now_ns();
	c->last_epi = NAN;
	for (size_t i = 0; i < npl && !stop_flag; i++) {
		if (pl[i].done)
			continue;
		if (first || (c->plan->idle_every && since_idle >= c->plan->idle_every)) {
			idle_baseline(c, pl[i].seq);
			since_idle = 0;
		}
		if (!first)
			cooldown(c);
		if (stop_flag)
			break;
		first = 0;
		if (c->tty)
			progress(c, &pl[i], NULL);
		if (run_one(c, &pl[i]))
			goto out;
		since_idle++;
		if (!stop_flag && !c->tty)
			progress(c, &pl[i], c->last_failed ? "FAILED " : "ok ");
	}
	if (c->tty && !c->quiet)
		fputs("\r\033[K", stderr);
	if (stop_flag) {
		fprintf(stderr, "interrupted: %zu of %zu runs recorded; continue with: greenbench campaign run %s --db %s --resume\n",
			c->done_before + c->done_now, c->total, file, db);
		ret = 130;
		goto out;
	}
	if (gb_store_campaign_finish(c->st, c->id))
		warning("%s", gb_error_msg());
	if (!c->quiet)
		fprintf(stderr, "campaign %lld: %zu runs recorded now (%zu ok, %zu failed), %zu in all; see: greenbench report --db %s --campaign %lld\n",
			(long long)c->id, c->done_now, c->ok, c->failed, c->done_before + c->done_now, db, (long long)c->id);
	ret = 0;
out:
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (c->meter) {
		gb_meter_stop(c->meter);
		gb_meter_free(c->meter);
	}
	for (size_t i = 0; c->plan && i < c->plan->nmodels; i++) {
		if (c->model_paths)
			free(c->model_paths[i]);
		if (c->model_errs)
			free(c->model_errs[i]);
	}
	free(c->model_paths);
	free(c->model_errs);
	free(pl);
	free(text);
	gb_store_close(c->st);
	gb_plan_free(c->plan);
	return gb_cli_finish(ret);
}

int cmd_campaign(int argc, char **argv)
{
	struct camp c;
	const char *file = NULL, *db = "results.db";
	int resume = 0;

	memset(&c, 0, sizeof c);
	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(usage);
	if (argc < 2 || strcmp(argv[1], "run"))
		return gb_cli_usage_error(usage, argc < 2 ? "missing subcommand: expected 'run'"
					  : "unknown subcommand '%s': expected 'run'", argc < 2 ? "" : argv[1]);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--db")) {
			if (++i == argc)
				return gb_cli_usage_error(usage, "--db needs a file");
			db = argv[i];
		} else if (!strncmp(argv[i], "--db=", 5)) {
			db = argv[i] + 5;
		} else if (!strcmp(argv[i], "--resume")) {
			resume = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			c.quiet = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return gb_cli_usage_error(usage, "unknown option '%s'", argv[i]);
		} else if (file) {
			return gb_cli_usage_error(usage, "more than one experiment file ('%s', '%s')", file, argv[i]);
		} else {
			file = argv[i];
		}
	}
	if (!file)
		return gb_cli_usage_error(usage, "missing experiment file");
	c.tty = isatty(2);
	return campaign_run(&c, file, db, resume);
}
