/*
 * The campaign engine (greenbench/engine.h) driven directly, with the
 * fake run (tests/fakes/fake_run.c, built as $GB_BUILD/tests/fake-run) as the run command: the
 * events it reports (typed outcomes of ok, failed, crashed and timed-out
 * runs, idle baselines, cooldowns, progress counters), the rows it
 * stores, stopping through the stop flag set from a callback, resuming,
 * and running shares of the planned order (a range, a predicate) on a
 * campaign the caller opened.
 */
#include "lib/campaign_fixture.h"
#include "lib/gbtest.h"

#include "greenbench/engine.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/plan.h"
#include "greenbench/store.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EV 64

/* What the callbacks saw. */
struct seen {
	volatile sig_atomic_t stop;
	int stop_after_ends;	/* set stop at this many run_end events (0: never) */
	int stop_on_tick;
	int starts, campaign_starts, resumed, ticks, idle_starts, idle_domains, idle_cpu, warnings;
	int fixed_cooldowns;
	struct gb_engine_progress at_start;
	size_t nend;
	struct end {
		int64_t seq;
		int ok, had_outcome, exited, exit_code, signaled, sig, timed_out;
		double epi;
		char reason[256], methods[48];
		size_t done_now, ok_n, failed_n;
	} ends[MAX_EV];
	int64_t idle_before[MAX_EV];
	/* Models made in the preflight, and what stood when the first run began. */
	int model_starts, model_ends, model_errors, ends_at_first_run, made_at_first_run;
	size_t model_index;	/* the last model_start's */
	char model_path[8][4200], model_conv[8][32];
	int paths_there_at_first_run;
};

static void on_start(void *ctx, const struct gb_engine_start *ev)
{
	struct seen *s = ctx;

	s->campaign_starts++;
	s->resumed = ev->resumed;
	s->at_start = ev->progress;
}

static void on_idle_start(void *ctx, const struct gb_engine_idle_start *ev)
{
	struct seen *s = ctx;

	assert_true(ev->duration_ns > 0);
	assert_true(ev->attempt >= 1);
	/* A busy machine has the baseline measured again: one baseline. */
	if (ev->attempt > 1) {
		assert_int_equal(ev->before_seq, s->idle_before[s->idle_starts - 1]);
		return;
	}
	s->idle_before[s->idle_starts++] = ev->before_seq;
}

static void on_idle_domain(void *ctx, const struct gb_engine_idle_domain *ev)
{
	struct seen *s = ctx;

	assert_int_equal(ev->before_seq, s->idle_before[s->idle_starts - 1]);
	s->idle_domains++;
	if (!strcmp(ev->info->name, "cpu") && ev->power_w > 0)
		s->idle_cpu++;
}

static void on_cooldown(void *ctx, const struct gb_engine_cooldown *ev)
{
	struct seen *s = ctx;

	if (ev->kind == GB_COOLDOWN_FIXED) {
		assert_true(ev->waited_ns >= 10 * 1000000ULL);
		s->fixed_cooldowns++;
	}
}

static void on_model_start(void *ctx, const struct gb_engine_model *ev)
{
	struct seen *s = ctx;

	/* One after the other within a call (a struct seen may see several). */
	assert_true(ev->index == 1 || ev->index == s->model_index + 1);
	assert_true(ev->index <= ev->count);
	assert_true(s->model_starts < 8);
	s->model_index = ev->index;
	snprintf(s->model_path[s->model_starts], sizeof s->model_path[0], "%s", ev->path);
	snprintf(s->model_conv[s->model_starts], sizeof s->model_conv[0], "%s", ev->converter ? ev->converter : "");
	/* Not there yet: a model with events is one being made. */
	assert_int_equal(access(ev->path, F_OK), -1);
	s->model_starts++;
}

static void on_model_end(void *ctx, const struct gb_engine_model *ev)
{
	struct seen *s = ctx;

	assert_int_equal(ev->index, s->model_index);
	assert_string_equal(ev->path, s->model_path[s->model_starts - 1]);
	s->model_ends++;
	if (ev->error)
		s->model_errors++;
	else
		assert_int_equal(access(ev->path, R_OK), 0);
}

static void on_run_start(void *ctx, const struct gb_engine_run *ev)
{
	struct seen *s = ctx;

	if (!s->starts) {
		s->ends_at_first_run = s->model_ends;
		s->made_at_first_run = (int)gbt_count_lines(gbt_cf.dir, "make.log");
		s->paths_there_at_first_run = 1;
		for (int i = 0; i < s->model_ends; i++)
			s->paths_there_at_first_run &= access(s->model_path[i], R_OK) == 0;
	}
	assert_ptr_equal(ev->config, &ev->plan->configs[ev->planned->config]);
	assert_int_equal(ev->progress.done_now, s->nend);
	s->starts++;
}

static void on_tick(void *ctx, const struct gb_engine_run *ev)
{
	struct seen *s = ctx;

	(void)ev;
	s->ticks++;
	if (s->stop_on_tick)
		s->stop = 1;
}

static void on_run_end(void *ctx, const struct gb_engine_run *ev, const struct gb_engine_result *res)
{
	struct seen *s = ctx;
	struct end *e;

	assert_true(s->nend < MAX_EV);
	e = &s->ends[s->nend++];
	e->seq = ev->planned->seq;
	e->ok = res->ok;
	e->had_outcome = res->outcome != NULL;
	if (res->outcome) {
		e->exited = res->outcome->end.exited;
		e->exit_code = res->outcome->end.exit_code;
		e->signaled = res->outcome->end.signaled;
		e->sig = res->outcome->end.signal;
		e->timed_out = res->outcome->end.timed_out;
	}
	e->epi = res->energy_per_item_mj;
	snprintf(e->reason, sizeof e->reason, "%s", res->reason ? res->reason : "");
	snprintf(e->methods, sizeof e->methods, "%s", res->energy_methods);
	e->done_now = ev->progress.done_now;
	e->ok_n = ev->progress.ok;
	e->failed_n = ev->progress.failed;
	if (s->stop_after_ends && (int)s->nend == s->stop_after_ends)
		s->stop = 1;
}

static void on_warning(void *ctx, const struct gb_engine_warning *ev)
{
	struct seen *s = ctx;

	(void)ev;
	s->warnings++;
}

static const struct gb_engine_callbacks cbs = {
	.campaign_start = on_start,
	.idle_start = on_idle_start,
	.idle_domain = on_idle_domain,
	.cooldown_end = on_cooldown,
	.model_start = on_model_start,
	.model_end = on_model_end,
	.run_start = on_run_start,
	.run_tick = on_tick,
	.run_end = on_run_end,
	.warning = on_warning,
};

static struct gb_engine_opts file_opts(const char *file, const char *db, struct seen *s)
{
	struct gb_engine_opts o = { .file = file, .db = db, .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo,
				    .stop = &s->stop };

	return o;
}

static void write_plan(const char *name, const char *text)
{
	gbt_write(gbt_cf.dir, name, "%s", text);
}

/* The stored runs of campaign id in db, in seq order. */
static size_t stored(const char *db, int64_t id, struct gb_store_run **runs, struct gb_store_campaign_info *ci)
{
	struct gb_store *st = NULL;
	size_t n = 0;

	assert_int_equal(gb_store_open(db, &st), 0);
	assert_int_equal(gb_store_runs_load(st, id, runs, &n), 0);
	if (ci)
		assert_int_equal(gb_store_campaign_info(st, id, ci), 0);
	gb_store_close(st);
	return n;
}

static void test_outcomes_events_and_rows(void **st)
{
	struct seen s = { 0 };
	struct gb_engine_opts o = file_opts("full.yaml", "r.db", &s);
	struct gb_engine_summary sum;
	struct gb_store_campaign_info ci;
	struct gb_store_run *runs = NULL;
	struct gb_plan *p = NULL;
	int fails = 0, crashes = 0, timeouts = 0, oks = 0;

	(void)st;
	write_plan("full.yaml", gbt_full_plan);
	setenv("GB_FAKE_FAIL", GBT_FULL_FAIL_KEY, 1);
	setenv("GB_FAKE_CRASH", GBT_FULL_CRASH_KEY, 1);
	setenv("GB_FAKE_HANG", GBT_FULL_HANG_KEY, 1);
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);

	assert_int_equal(s.campaign_starts, 1);
	assert_false(s.resumed);
	assert_int_equal(s.at_start.total, 16);
	assert_int_equal(s.at_start.done_before, 0);
	assert_int_equal(s.at_start.todo, 16);
	assert_int_equal(s.starts, 16);
	assert_int_equal(s.nend, 16);
	assert_false(sum.stopped);
	assert_true(sum.finished);
	assert_int_equal(sum.progress.done_now, 16);
	assert_int_equal(sum.progress.ok, 10);
	assert_int_equal(sum.progress.failed, 6);
	assert_int_equal(s.warnings, 0);

	assert_int_equal(gb_plan_load("full.yaml", &p), 0);
	for (size_t i = 0; i < s.nend; i++) {
		const struct end *e = &s.ends[i];
		char key[128];

		/* In the plan's order, counters growing one run at a time. */
		assert_int_equal(e->seq, (int64_t)i);
		assert_int_equal(e->done_now, i + 1);
		assert_int_equal(e->ok_n + e->failed_n, i + 1);
		assert_true(e->had_outcome);
		gb_plan_config_key(p, p->runs[i].config, key, sizeof key);
		if (!strcmp(key, "mobilenetv2|ort/cuda|b4")) {
			assert_true(e->exited);
			assert_int_equal(e->exit_code, 1);
			assert_string_equal(e->reason, "unsupported execution provider cuda on this machine");
			fails++;
		} else if (!strcmp(key, "bert-base|ort/cpu|b4")) {
			assert_true(e->signaled);
			assert_int_equal(e->sig, SIGSEGV);
			assert_non_null(strstr(e->reason, "killed by signal 11"));
			crashes++;
		} else if (!strcmp(key, "bert-base|ort/cuda|b1")) {
			assert_true(e->timed_out);
			assert_int_equal(e->sig, SIGKILL);
			assert_non_null(strstr(e->reason, "timed out after 1.0 s"));
			timeouts++;
		} else {
			assert_true(e->ok);
			assert_true(e->exited);
			assert_int_equal(e->exit_code, 0);
			assert_true(e->epi > 0);
			assert_non_null(strstr(e->methods, "estimated"));
			oks++;
		}
		if (!e->ok)
			assert_true(isnan(e->epi) && !e->methods[0]);
	}
	assert_int_equal(fails, 2);
	assert_int_equal(crashes, 2);
	assert_int_equal(timeouts, 2);
	assert_int_equal(oks, 10);

	/* The rows match the events. */
	assert_int_equal(stored("r.db", sum.progress.campaign, &runs, &ci), 16);
	for (size_t i = 0; i < 16; i++) {
		assert_int_equal(runs[i].seq, (int64_t)i);
		assert_int_equal(runs[i].ok, s.ends[i].ok);
		if (!runs[i].ok)
			assert_string_equal(runs[i].reason, s.ends[i].reason);
		else
			assert_true(runs[i].m.energy_per_item_mj > 0);
	}
	assert_true(ci.finished_at[0]);
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 16);
	free(runs);
	gb_plan_free(p);
}

static void test_stop_from_callback_then_resume(void **st)
{
	struct seen s = { .stop_after_ends = 3 }, r = { 0 };
	struct gb_engine_opts o = file_opts("small.yaml", "s.db", &s), ro = file_opts("small.yaml", "s.db", &r);
	struct gb_engine_summary sum;
	struct gb_store_campaign_info ci;
	struct gb_store_run *runs = NULL;
	int seen_seq[16] = { 0 };

	(void)st;
	/* 8 configurations, 16 runs */
	write_plan("small.yaml", "seed: 11\nreps: 2\nmodels: [mobilenetv2, resnet50]\nruntimes: [ort/cpu, ort/cuda]\n"
		   "batches: [1, 8]\n");
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	assert_true(sum.stopped);
	assert_false(sum.finished);
	assert_int_equal(s.nend, 3);
	assert_int_equal(s.starts, 3);
	assert_int_equal(sum.progress.done_now, 3);
	assert_int_equal(stored("s.db", sum.progress.campaign, &runs, &ci), 3);
	assert_false(ci.finished_at[0]);
	free(runs);

	/* Resume: the other 13, each once, and the campaign is finished. */
	ro.resume = 1;
	assert_int_equal(gb_campaign_engine_run(&ro, &cbs, &r, &sum), 0);
	assert_true(r.resumed);
	assert_int_equal(r.at_start.done_before, 3);
	assert_int_equal(r.at_start.todo, 13);
	assert_int_equal(r.nend, 13);
	assert_false(sum.stopped);
	assert_true(sum.finished);
	for (size_t i = 0; i < s.nend; i++)
		seen_seq[s.ends[i].seq]++;
	for (size_t i = 0; i < r.nend; i++)
		seen_seq[r.ends[i].seq]++;
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(seen_seq[i], 1);
	assert_int_equal(stored("s.db", sum.progress.campaign, &runs, &ci), 16);
	assert_true(ci.finished_at[0]);
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 16);
	free(runs);

	/* Resuming a file that has no campaign there is an error. */
	ro.db = "other.db";
	assert_int_equal(gb_campaign_engine_run(&ro, &cbs, &r, &sum), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "no campaign of 'small.yaml' in 'other.db' to resume"));
}

/* A stop while a run hangs kills it and records nothing of it. */
static void test_stop_during_a_run(void **st)
{
	struct seen s = { .stop_on_tick = 1 };
	struct gb_engine_opts o = file_opts("hang.yaml", "h.db", &s);
	struct gb_engine_summary sum;
	struct gb_store_run *runs = NULL;
	char pidfile[4200], *text = NULL;
	size_t len;
	pid_t pid;

	(void)st;
	write_plan("hang.yaml", "run_timeout: 60s\nmodels: [mobilenetv2]\nruntimes: [ort/cpu]\nbatches: [1]\n");
	snprintf(pidfile, sizeof pidfile, "%s/hang.pid", gbt_cf.dir);
	setenv("GB_FAKE_PIDFILE", pidfile, 1);
	setenv("GB_FAKE_HANG", "model=mobilenetv2", 1);
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	assert_true(sum.stopped);
	assert_int_equal(s.starts, 1);
	assert_int_equal(s.ticks, 1);
	assert_int_equal(s.nend, 0);
	assert_int_equal(sum.progress.done_now, 0);
	assert_int_equal(stored("h.db", sum.progress.campaign, &runs, NULL), 0);
	free(runs);
	/* The child was killed and reaped, not left sleeping. */
	assert_int_equal(gb_file_read_all(pidfile, &text, &len), 0);
	pid = (pid_t)atol(text);
	free(text);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static int odd_seq(void *ctx, const struct gb_store_planned *pl)
{
	(void)ctx;
	return pl->seq % 2 == 1;
}

/* Shares of the order on a campaign the caller opened, with idle
 * baselines and cooldowns on their schedule within each share. */
static void test_shares_of_the_order(void **st)
{
	struct gb_plan *p = NULL;
	struct gb_store *store = NULL;
	struct gb_store_run *runs = NULL;
	struct gb_engine_summary sum;
	struct seen a = { 0 }, b = { 0 }, c = { 0 };
	int64_t id;
	char *text = NULL;
	size_t len;

	(void)st;
	write_plan("share.yaml", "reps: 1\nidle_baseline: {duration: 20ms, every: 2}\ncooldown: 10ms\n"
		   "models: [resnet50]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1, 2, 4]\n"); /* 6 runs */
	assert_int_equal(gb_file_read_all("share.yaml", &text, &len), 0);
	assert_int_equal(gb_plan_parse(text, len, "share.yaml", &p), 0);
	assert_int_equal(gb_store_open("sh.db", &store), 0);
	assert_int_equal(gb_store_campaign_create(store, p, text, &id), 0);

	struct gb_engine_opts o = { .plan = p, .store = store, .campaign = id, .run_cmd = gbt_cf.fake,
				    .zoo_dir = gbt_cf.zoo, .stop = &a.stop, .first = 1, .last = 4 };
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &a, &sum), 0);
	assert_int_equal(a.at_start.todo, 3);
	assert_int_equal(a.nend, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(a.ends[i].seq, (int64_t)i + 1);
	assert_false(sum.finished);
	/* Idle at the share's first run and after every 2; cooldowns between. */
	assert_int_equal(a.idle_starts, 2);
	assert_int_equal(a.idle_before[0], 1);
	assert_int_equal(a.idle_before[1], 3);
	assert_true(a.idle_domains >= 2);
	assert_int_equal(a.idle_cpu, 2);
	assert_int_equal(a.fixed_cooldowns, 2);

	/* A predicate: the odd ones not run yet (seq 5). */
	o.first = o.last = 0;
	o.select = odd_seq;
	o.stop = &b.stop;
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &b, &sum), 0);
	assert_int_equal(b.at_start.done_before, 3);
	assert_int_equal(b.at_start.todo, 1);
	assert_int_equal(b.nend, 1);
	assert_int_equal(b.ends[0].seq, 5);
	assert_false(sum.finished);

	/* Everything left (0 and 4): the campaign is complete. */
	o.select = NULL;
	o.stop = &c.stop;
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &c, &sum), 0);
	assert_int_equal(c.nend, 2);
	assert_int_equal(c.ends[0].seq, 0);
	assert_int_equal(c.ends[1].seq, 4);
	assert_true(sum.finished);
	assert_int_equal(sum.progress.done_before + sum.progress.done_now, 6);

	/* The caller's plan and store are still the caller's. */
	size_t n = 0;
	assert_int_equal(gb_store_runs_load(store, id, &runs, &n), 0);
	assert_int_equal(n, 6);
	free(runs);
	gb_store_close(store);
	gb_plan_free(p);
	free(text);
}

/* A model that cannot be exported fails its runs without a child run;
 * an export that crashed after writing part of its file is not used. */
static void test_model_failures(void **st)
{
	static const char *const modes[] = { "1", "crash" };

	(void)st;
	write_plan("zoo.yaml", "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1, 2]\n");
	for (size_t m = 0; m < 2; m++) {
		struct seen s = { 0 };
		struct gb_engine_opts o = file_opts("zoo.yaml", m ? "z1.db" : "z0.db", &s);
		struct gb_engine_summary sum;
		char path[4200];

		setenv("GB_FAKE_ZOO_FAIL", modes[m], 1);
			/* The preflight refuses the plan; keep_going records its runs. */
		assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), -ENOEXEC);
		assert_int_equal(s.nend, 0);
		o.keep_going = 1;
		assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
		assert_int_equal(s.nend, 2);
		assert_int_equal(sum.progress.failed, 2);
		for (size_t i = 0; i < 2; i++) {
			assert_false(s.ends[i].ok);
			assert_false(s.ends[i].had_outcome);
			assert_non_null(strstr(s.ends[i].reason, "cannot export zoo model 'resnet50'"));
		}
		snprintf(path, sizeof path, "%s/resnet50.onnx", gbt_cf.zoo);
		assert_int_equal(access(path, F_OK), -1);
	}
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 0);
}

/* Converted models (convert:) and zoo exports are made once, in the
 * preflight, before the first run starts; a later campaign finds them in
 * the cache; a conversion that fails refuses the plan, or with keep_going
 * fails the runs that need it without a child and without converting
 * again between runs. */
static void test_models_made_before_the_first_run(void **st)
{
	static const char plan[] =
		"models: [mobilenetv2, {zoo: mobilenetv2, convert: torch2onnx}, {zoo: resnet50, convert: torch2onnx}]\n"
		"runtimes: [ort/cpu, torch/cpu]\nbatches: [1, 2]\n";
	char make_log[4200], zoo2[4200];
	struct gb_engine_summary sum;
	size_t converted_runs = 0;

	(void)st;
	snprintf(make_log, sizeof make_log, "%s/make.log", gbt_cf.dir);
	setenv("GB_FAKE_MAKE_LOG", make_log, 1);
	write_plan("conv.yaml", plan);
	{
		struct seen s = { 0 };
		struct gb_engine_opts o = file_opts("conv.yaml", "c1.db", &s);

		assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
		/* The ort runs' mobilenetv2 export and two conversions, in the
		 * plan's order, all done when the first run began. */
		assert_int_equal(s.model_starts, 3);
		assert_int_equal(s.model_ends, 3);
		assert_int_equal(s.model_errors, 0);
		assert_string_equal(s.model_conv[0], "");
		assert_string_equal(s.model_conv[1], "torch2onnx");
		assert_string_equal(s.model_conv[2], "torch2onnx");
		assert_int_equal(s.ends_at_first_run, 3);
		assert_int_equal(s.made_at_first_run, 3);
		assert_true(s.paths_there_at_first_run);
		assert_int_equal(s.nend, 8);
		assert_int_equal(sum.progress.ok, 8);
	}
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "make.log"), 3);
	{
		/* The converted models' runs got the converted files. */
		char *log = gbt_read_file(gbt_cf.log, NULL);
		for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			const char *arg = strstr(l, " arg="), *nl = strchr(l, '\n');
			converted_runs += arg && (!nl || arg < nl) && !strncmp(arg + 5, gbt_cf.zoo, strlen(gbt_cf.zoo)) &&
					  strstr(arg, "-torch2onnx-") && (!nl || strstr(arg, "-torch2onnx-") < nl);
		}
		assert_int_equal(converted_runs, 4);
		free(log);
	}
	{
		/* Cached: no events, nothing made again. */
		struct seen s = { 0 };
		struct gb_engine_opts o = file_opts("conv.yaml", "c2.db", &s);

		assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
		assert_int_equal(s.model_starts, 0);
		assert_int_equal(sum.progress.ok, 8);
		assert_int_equal(gbt_count_lines(gbt_cf.dir, "make.log"), 3);
	}
	setenv("GB_FAKE_CONVERT_FAIL", "1", 1);
	snprintf(zoo2, sizeof zoo2, "%s/zoo2", gbt_cf.dir);
	{
		struct seen s = { 0 };
		struct gb_engine_opts o = file_opts("conv.yaml", "c3.db", &s);

		o.zoo_dir = zoo2;
		assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), -ENOEXEC);
		assert_non_null(strstr(gb_error_msg(), "model 'mobilenetv2-torch2onnx': cannot convert 'mobilenetv2' "
						       "with torch2onnx: error: torch2onnx failed on purpose"));
		assert_non_null(strstr(gb_error_msg(), "model 'resnet50-torch2onnx': cannot convert 'resnet50'"));
		assert_int_equal(s.model_errors, 2);
		assert_int_equal(s.campaign_starts, 0);
		assert_int_equal(s.starts, 0);
	}
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "make.log"), 6);
	{
		struct seen s = { 0 };
		struct gb_engine_opts o = file_opts("conv.yaml", "c3.db", &s);
		size_t failed = 0;

		o.zoo_dir = zoo2;
		o.keep_going = 1;
		assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
		assert_int_equal(s.ends_at_first_run, 2);	/* mobilenetv2 is cached now */
		assert_int_equal(s.model_ends, 2);
		assert_int_equal(s.model_errors, 2);
		assert_int_equal(s.nend, 8);
		for (size_t i = 0; i < s.nend; i++) {
			if (s.ends[i].ok)
				continue;
			failed++;
			assert_false(s.ends[i].had_outcome);
			assert_non_null(strstr(s.ends[i].reason, "with torch2onnx: error: torch2onnx failed on purpose"));
		}
		assert_int_equal(failed, 4);
		/* Each failed conversion was tried once, in the preflight. */
		assert_int_equal(gbt_count_lines(gbt_cf.dir, "make.log"), 8);
	}
}

static void test_cannot_start(void **st)
{
	struct seen s = { 0 };
	struct gb_engine_opts o = file_opts("x.yaml", "x.db", &s);
	struct gb_engine_summary sum;

	(void)st;
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), -ENOENT);
	assert_string_equal(gb_error_msg(), "cannot open 'x.yaml': No such file or directory");
	write_plan("x.yaml", "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\n");
	o.run_cmd = "/nonexistent/gb";
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), -ENOENT);
	assert_string_equal(gb_error_msg(), "cannot run '/nonexistent/gb': No such file or directory");
	assert_int_equal(s.campaign_starts, 0);
	o.file = NULL;
	assert_int_equal(gb_campaign_engine_run(&o, NULL, NULL, &sum), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GBT_CAMPAIGN_TEST(test_outcomes_events_and_rows),
		GBT_CAMPAIGN_TEST(test_stop_from_callback_then_resume),
		GBT_CAMPAIGN_TEST(test_stop_during_a_run),
		GBT_CAMPAIGN_TEST(test_shares_of_the_order),
		GBT_CAMPAIGN_TEST(test_model_failures),
		GBT_CAMPAIGN_TEST(test_models_made_before_the_first_run),
		GBT_CAMPAIGN_TEST(test_cannot_start),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
