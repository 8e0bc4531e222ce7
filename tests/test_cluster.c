/*
 * Campaigns on a cluster without a cluster: task lines, the shared
 * directory (tasks, collect, status, a resubmission of what a stopped task
 * left), the sbatch script, Slurm's state words, and several GPUs of one
 * host through slots, over the scripted fake run and a fake NVML of four
 * GPUs. tests/slurm/cluster.sh runs the same against a real Slurm.
 */
#include "lib/campaign_fixture.h"
#include "lib/gbtest.h"
#include "greenbench/engine.h"
#include "greenbench/error.h"
#include "greenbench/plan.h"
#include "greenbench/record.h"
#include "greenbench/shard.h"
#include "greenbench/slurm.h"
#include "greenbench/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- task lines --------------------------------------------------------- */

static void test_task_lines_round_trip(void **st)
{
	struct gb_task_line run = { .kind = GB_TASK_LINE_RUN, .campaign = 7, .seq = 12, .config = 3, .rep = 1,
				    .ok = 1, .stderr_tail = "tail\n", .wall_s = 2.5,
				    .record_json = "{\"schema\":1,\"status\":\"ok\",\"summary\":{\"total_energy_j\":3}}" };
	struct gb_task_line idle = { .kind = GB_TASK_LINE_IDLE, .campaign = 7, .before_seq = 4, .duration_s = 0.5,
				     .domain = "gpu1", .power_w = 61.5, .temp_c = NAN };
	struct gb_task_line start = { .kind = GB_TASK_LINE_START, .campaign = 7, .submission = 2, .task = 5,
				      .pid = 99, .time_unix = 1700000000, .job_id = "4711", .node = "n01" };
	struct gb_task_line l;
	cJSON *owner, *rec;
	char *text;

	(void)st;
	text = gb_task_line_format(&run);
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	assert_int_equal(gb_task_line_parse(text, &l, &owner), 0);
	free(text);
	assert_int_equal(l.kind, GB_TASK_LINE_RUN);
	assert_int_equal(l.campaign, 7);
	assert_int_equal(l.seq, 12);
	assert_int_equal(l.config, 3);
	assert_int_equal(l.rep, 1);
	assert_true(l.ok);
	assert_null(l.reason);
	assert_string_equal(l.stderr_tail, "tail\n");
	assert_true(l.wall_s == 2.5);
	/* The record travels whole, as an object. */
	rec = cJSON_Parse(l.record_json);
	assert_true(gbt_json_num(rec, "summary.total_energy_j") == 3);
	cJSON_Delete(rec);
	free((void *)l.record_json);
	cJSON_Delete(owner);

	text = gb_task_line_format(&idle);
	assert_int_equal(gb_task_line_parse(text, &l, &owner), 0);
	free(text);
	assert_int_equal(l.kind, GB_TASK_LINE_IDLE);
	assert_int_equal(l.before_seq, 4);
	assert_string_equal(l.domain, "gpu1");
	assert_true(l.power_w == 61.5);
	assert_true(isnan(l.temp_c));
	cJSON_Delete(owner);

	text = gb_task_line_format(&start);
	assert_int_equal(gb_task_line_parse(text, &l, &owner), 0);
	free(text);
	assert_int_equal(l.kind, GB_TASK_LINE_START);
	assert_int_equal(l.submission, 2);
	assert_int_equal(l.task, 5);
	assert_string_equal(l.job_id, "4711");
	assert_string_equal(l.node, "n01");
	cJSON_Delete(owner);

	/* A line cut short, another kind, a run without its seq. */
	assert_int_equal(gb_task_line_parse("{\"line\":\"run\",\"campaign\":7,\"seq\":1", &l, &owner), -EINVAL);
	assert_null(owner);
	assert_int_equal(gb_task_line_parse("{\"line\":\"walk\",\"campaign\":7}", &l, &owner), -EINVAL);
	assert_int_equal(gb_task_line_parse("{\"line\":\"run\",\"campaign\":7,\"config\":1,\"rep\":0}", &l, &owner),
			 -EINVAL);
	/* A record that is not JSON cannot be written into a line. */
	run.record_json = "{not json";
	assert_null(gb_task_line_format(&run));
}

/* ---- Slurm: the script and its state words ------------------------------ */

static void test_sbatch_script(void **st)
{
	struct gb_slurm_job j = { .greenbench = "/opt/gb/bin/greenbench", .dir = "/home/me/r.db-records/campaign-3",
				  .submission = 2, .ntasks = 12, .name = "gb-c3-s2", .partition = "gpu",
				  .gpus_per_task = 1, .max_parallel = 4 };
	char *text = NULL;

	(void)st;
	assert_int_equal(gb_slurm_script(&j, &text), 0);
	assert_true(!strncmp(text, "#!/bin/sh\n", 10));
	assert_non_null(strstr(text, "\n#SBATCH --job-name=gb-c3-s2\n"));
	assert_non_null(strstr(text, "\n#SBATCH --array=0-11%4\n"));
	assert_non_null(strstr(text, "\n#SBATCH --output=/home/me/r.db-records/campaign-3/logs/s2-t%a.out\n"));
	assert_non_null(strstr(text, "\n#SBATCH --partition=gpu\n"));
	assert_non_null(strstr(text, "\n#SBATCH --gres=gpu:1\n"));
	assert_non_null(strstr(text, "\n#SBATCH --exclusive\n"));
	assert_null(strstr(text, "GREENBENCH_CPU_ENERGY"));
	assert_null(strstr(text, "--time"));
	assert_non_null(strstr(text, "\nexec '/opt/gb/bin/greenbench' campaign task --records "
				     "'/home/me/r.db-records/campaign-3' --submission 2 --task-index \"$SLURM_ARRAY_TASK_ID\"\n"));
	free(text);

	/* Shared nodes: CPU energy per process; several GPUs: one run each. */
	j.shared = 1;
	j.gpus_per_task = 4;
	j.max_parallel = 0;
	j.partition = NULL;
	j.time_limit = "2:00:00";
	j.greenbench = "/opt/it's/greenbench";
	assert_int_equal(gb_slurm_script(&j, &text), 0);
	assert_null(strstr(text, "--exclusive"));
	assert_null(strstr(text, "--partition"));
	assert_non_null(strstr(text, "\n#SBATCH --array=0-11\n"));
	assert_non_null(strstr(text, "\n#SBATCH --time=2:00:00\n"));
	assert_non_null(strstr(text, "\nexport GREENBENCH_CPU_ENERGY=process\n"));
	assert_non_null(strstr(text, "exec '/opt/it'\\''s/greenbench' campaign task"));
	assert_non_null(strstr(text, " --gpus-each\n"));
	free(text);

	/* What an #SBATCH line cannot hold. */
	j.dir = "/home/my results";
	assert_int_equal(gb_slurm_script(&j, &text), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "#SBATCH"));
	j.dir = "/d";
	j.ntasks = 0;
	assert_int_equal(gb_slurm_script(&j, &text), -EINVAL);
}

static void test_slurm_states(void **st)
{
	enum gb_slurm_state s[8] = { 0 };

	(void)st;
	/* squeue -h -r -o '%i %T' */
	gb_slurm_parse_states("4711_0 RUNNING\n4711_3 PENDING\n4712_1 RUNNING\n47111_2 RUNNING\n", "4711", s, 8);
	assert_int_equal(s[0], GB_SLURM_RUNNING);
	assert_int_equal(s[1], GB_SLURM_UNKNOWN);
	assert_int_equal(s[2], GB_SLURM_UNKNOWN);
	assert_int_equal(s[3], GB_SLURM_PENDING);
	/* sacct -n -P -X -o JobID,State: ranges of pending tasks, a limit, steps ignored. */
	gb_slurm_parse_states("4711_1|COMPLETED\n4711_2|CANCELLED by 0\n4711_2.batch|CANCELLED\n"
			      "4711_[4-5,7%2]|PENDING\n4711_6|OUT_OF_MEMORY\n", "4711", s, 8);
	assert_int_equal(s[1], GB_SLURM_COMPLETED);
	assert_int_equal(s[2], GB_SLURM_FAILED);
	assert_int_equal(s[4], GB_SLURM_PENDING);
	assert_int_equal(s[5], GB_SLURM_PENDING);
	assert_int_equal(s[6], GB_SLURM_FAILED);
	assert_int_equal(s[7], GB_SLURM_PENDING);
	/* Indices past the array are ignored. */
	gb_slurm_parse_states("4711_9 RUNNING\n", "4711", s, 8);
	assert_int_equal(gb_slurm_state_parse("TIMEOUT"), GB_SLURM_FAILED);
	assert_int_equal(gb_slurm_state_parse("COMPLETING"), GB_SLURM_RUNNING);
	assert_int_equal(gb_slurm_state_parse("WHATEVER"), GB_SLURM_UNKNOWN);

	/* A task's phase: its records first, then Slurm. */
	struct gb_shard_task_status t = { .assigned = 3, .ok = 2, .failed = 1, .starts = 1 };

	assert_int_equal(gb_slurm_task_phase(&t, GB_SLURM_FAILED, 1), GB_TASK_DONE);
	t.ok = 1;
	assert_int_equal(gb_slurm_task_phase(&t, GB_SLURM_RUNNING, 1), GB_TASK_RUNNING);
	assert_int_equal(gb_slurm_task_phase(&t, GB_SLURM_FAILED, 1), GB_TASK_DIED);
	assert_int_equal(gb_slurm_task_phase(&t, GB_SLURM_UNKNOWN, 1), GB_TASK_DIED);
	assert_int_equal(gb_slurm_task_phase(&t, GB_SLURM_UNKNOWN, 0), GB_TASK_UNKNOWN);
	t.starts = 0;
	assert_int_equal(gb_slurm_task_phase(&t, GB_SLURM_UNKNOWN, 1), GB_TASK_NOT_STARTED);
}

/* ---- the shared directory ------------------------------------------------ */

struct seen {
	volatile sig_atomic_t stop;
	size_t cooldowns;
	struct { char gpu[16]; int timed_out; size_t ngpus; } cool[64];
	size_t stop_after;	/* set stop after this many run ends (0: never) */
	size_t ends, idle_domains, max_busy, busy;
	int64_t seqs[64];
	char gpus[64][16];
};

static void on_run_start(void *ctx, const struct gb_engine_run *ev)
{
	struct seen *s = ctx;

	if (++s->busy > s->max_busy)
		s->max_busy = s->busy;
	(void)ev;
}

static void on_run_end(void *ctx, const struct gb_engine_run *ev, const struct gb_engine_result *res)
{
	struct seen *s = ctx;

	(void)res;
	s->busy--;
	if (s->ends < 64) {
		s->seqs[s->ends] = ev->planned->seq;
		snprintf(s->gpus[s->ends], sizeof s->gpus[0], "%s", ev->gpu ? ev->gpu : "");
	}
	if (++s->ends == s->stop_after)
		s->stop = 1;
}

static void on_idle_domain(void *ctx, const struct gb_engine_idle_domain *ev)
{
	(void)ev;
	((struct seen *)ctx)->idle_domains++;
}

static void on_cooldown(void *ctx, const struct gb_engine_cooldown *ev)
{
	struct seen *s = ctx;

	if (s->cooldowns < 64) {
		snprintf(s->cool[s->cooldowns].gpu, sizeof s->cool[0].gpu, "%s", ev->gpu ? ev->gpu : "");
		s->cool[s->cooldowns].timed_out = ev->timed_out;
		s->cool[s->cooldowns].ngpus = ev->ngpus;
		s->cooldowns++;
	}
}

static const struct gb_engine_callbacks cbs = {
	.run_start = on_run_start, .run_end = on_run_end, .idle_domain = on_idle_domain,
	.cooldown_end = on_cooldown,
};

#define PLAN_TEXT "reps: 2\nidle_baseline: 20ms\ncooldown: 5ms\nmodels: [resnet50, mobilenetv2]\n" \
		  "runtimes: [ort/cpu, ort/cuda]\nbatches: [1, 4]\n"	/* 8 configurations, 16 runs */

/* A store with a new campaign of PLAN_TEXT; its planned seqs in order. */
static int64_t new_campaign(struct gb_store **store, int64_t *seqs, size_t *n)
{
	struct gb_plan *p = NULL;
	int64_t id;

	gbt_write(gbt_cf.dir, "c.yaml", "%s", PLAN_TEXT);
	assert_int_equal(gb_plan_parse(PLAN_TEXT, strlen(PLAN_TEXT), "c.yaml", &p), 0);
	assert_int_equal(gb_store_open("r.db", store), 0);
	assert_int_equal(gb_store_campaign_create(*store, p, PLAN_TEXT, &id), 0);
	*n = p->nruns;
	for (size_t i = 0; i < *n; i++)
		seqs[i] = (int64_t)i;
	gb_plan_free(p);
	return id;
}

static void run_task(const char *shared, int submission, unsigned task, struct seen *s)
{
	struct gb_shard_task t = { shared, submission, task, "4711", "node-a" };
	struct gb_engine_opts o = { .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo, .stop = &s->stop };
	struct gb_engine_summary sum;

	if (gb_shard_task_run(&t, &o, &cbs, s, &sum))
		fail_msg("task %u: %s", task, gb_error_msg());
}

/* Rows of the run table per seq (each must be 0 or 1). */
static size_t rows(struct gb_store *store, int64_t id, unsigned *per_seq, size_t nseq)
{
	struct gb_store_run *r = NULL;
	size_t n = 0;

	memset(per_seq, 0, nseq * sizeof *per_seq);
	assert_int_equal(gb_store_runs_load(store, id, &r, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].seq >= 0 && (size_t)r[i].seq < nseq);
		per_seq[r[i].seq]++;
	}
	free(r);
	return n;
}

/* Three tasks of one submission, collected twice; a task stopped after
 * one run and resubmitted for what it left: every run stored once, and
 * every run executed once (the fake run's log). */
static void test_tasks_collect_resubmit(void **st)
{
	struct gb_store *store = NULL;
	struct gb_shard_collect_summary cs;
	struct gb_shard_status ss;
	struct gb_shard_submission sub;
	int64_t seqs[64], missing[64];
	unsigned per_seq[64];
	size_t n = 0, nmissing = 0;
	int64_t id;
	int k;
	char shared[4200];
	struct seen s0 = { 0 }, s1 = { .stop_after = 1 }, s2 = { 0 }, r0 = { 0 };
	unsigned char *recorded = NULL;

	(void)st;
	id = new_campaign(&store, seqs, &n);
	assert_int_equal(n, 16);
	snprintf(shared, sizeof shared, "%s/shared", gbt_cf.dir);
	assert_int_equal(gb_shard_prepare(shared, id, "c.yaml", PLAN_TEXT, seqs, n, 3, &k), 0);
	assert_int_equal(k, 1);
	/* The directory belongs to its campaign. */
	assert_int_equal(gb_shard_prepare(shared, id + 1, "c.yaml", PLAN_TEXT, seqs, n, 3, &k), -EEXIST);

	run_task(shared, 1, 0, &s0);
	run_task(shared, 1, 1, &s1);	/* stops after its first run */
	run_task(shared, 1, 2, &s2);
	/* Task t runs positions t, t+3, ...: 6, 6 and 5 runs. */
	assert_int_equal(s0.ends, 6);
	assert_int_equal(s1.ends, 1);
	assert_int_equal(s2.ends, 5);
	for (size_t i = 0; i < s0.ends; i++)
		assert_int_equal(s0.seqs[i], (int64_t)(3 * i));
	assert_int_equal(s1.seqs[0], 1);
	/* The tasks never touched the database. */
	assert_int_equal(rows(store, id, per_seq, n), 0);

	/* Status from the records (no Slurm asked here). */
	assert_int_equal(gb_shard_status_load(shared, 0, &ss), 0);
	assert_int_equal(ss.sub.ntasks, 3);
	assert_int_equal(ss.tasks[0].assigned, 6);
	assert_int_equal(ss.tasks[0].ok, 6);
	assert_int_equal(ss.tasks[1].ok + ss.tasks[1].failed, 1);
	assert_int_equal(ss.tasks[1].starts, 1);
	assert_string_equal(ss.tasks[1].node, "node-a");
	assert_int_equal(gb_slurm_task_phase(&ss.tasks[1], GB_SLURM_FAILED, 1), GB_TASK_DIED);
	assert_int_equal(gb_slurm_task_phase(&ss.tasks[0], GB_SLURM_COMPLETED, 1), GB_TASK_DONE);
	gb_shard_status_release(&ss);

	/* Collect: 12 stored, idle baselines once each; again: nothing new. */
	assert_int_equal(gb_shard_collect(store, shared, &cs), 0);
	assert_int_equal(cs.stored, 12);
	assert_int_equal(cs.already, 0);
	assert_int_equal(cs.idle_stored, 3);	/* one CPU domain per task's first run */
	assert_false(cs.finished);
	assert_int_equal(gb_shard_collect(store, shared, &cs), 0);
	assert_int_equal(cs.stored, 0);
	assert_int_equal(cs.already, 12);
	assert_int_equal(cs.idle_stored, 0);
	assert_int_equal(rows(store, id, per_seq, n), 12);

	/* A line cut short by a kill is skipped, and the next task's line
	 * after it stands on its own. */
	{
		char path[4300];
		FILE *f;

		snprintf(path, sizeof path, "%s/records/s1-t1.jsonl", shared);
		f = fopen(path, "a");
		assert_non_null(f);
		fputs("{\"line\":\"run\",\"campaign\":1,\"se", f);
		fclose(f);
	}

	/* Resubmission: the seqs with no row and no line. */
	assert_int_equal(gb_shard_recorded(shared, n, &recorded), 0);
	for (size_t i = 0; i < n; i++)
		if (!recorded[i])
			missing[nmissing++] = (int64_t)i;
	free(recorded);
	assert_int_equal(nmissing, 4);	/* task 1's positions 4, 7, 10, 13 */
	assert_int_equal(missing[0], 4);
	assert_int_equal(gb_shard_prepare(shared, id, "c.yaml", PLAN_TEXT, missing, nmissing, 1, &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(gb_shard_submission_load(shared, 0, &sub), 0);
	assert_int_equal(sub.submission, 2);
	assert_int_equal(sub.nseqs, 4);
	gb_shard_submission_release(&sub);
	run_task(shared, 0, 0, &r0);
	assert_int_equal(r0.ends, 4);
	assert_int_equal(gb_shard_collect(store, shared, &cs), 0);
	assert_int_equal(cs.stored, 4);
	assert_int_equal(cs.already, 12);
	assert_int_equal(cs.torn, 1);
	assert_true(cs.finished);
	assert_int_equal(cs.done, 16);
	assert_int_equal(rows(store, id, per_seq, n), 16);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(per_seq[i], 1);
	/* Nothing ran twice. */
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 16);
	/* A task index past the submission's is refused. */
	{
		struct gb_shard_task t = { shared, 2, 1, NULL, NULL };
		struct gb_engine_opts o = { .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo };
		struct gb_engine_summary sum;

		assert_int_equal(gb_shard_task_run(&t, &o, NULL, NULL, &sum), -EINVAL);
	}
	gb_store_close(store);
}

/* ---- several GPUs of one host ------------------------------------------- */

/* Four GPUs, eight runs: one run per GPU at a time, each pinned and
 * measuring only its own GPU, CPU energy per process. */
static void test_several_gpus(void **st)
{
	struct gb_store *store = NULL;
	struct gb_store_run *runs = NULL;
	struct gb_engine_summary sum;
	struct seen s = { 0 };
	char *nvml = gbt_build_path("libfake_nvml.so"), slot_log[4200], *text, *line;
	size_t n = 0, nlines = 0, overlapped = 0;
	uint64_t t0[64], t1[64];
	char gpus[64][32];

	(void)st;
	snprintf(slot_log, sizeof slot_log, "%s/slots", gbt_cf.dir);
	setenv("GREENBENCH_NVML_LIB", nvml, 1);
	setenv("FAKE_NVML_GPUS", "4", 1);
	setenv("GB_FAKE_METER", "1", 1);
	setenv("GB_FAKE_SLEEP_MS", "150", 1);
	setenv("GB_FAKE_SLOT_LOG", slot_log, 1);
	setenv("GB_FAKE_WORK_MS", "20", 1);	/* others' CPU time, as a run judges it */
	gbt_write(gbt_cf.dir, "g.yaml", "reps: 2\ncooldown: 5ms\nidle_baseline: 20ms\nmodels: [resnet50]\n"
		  "runtimes: [ort/cpu, ort/cuda]\nbatches: [1, 4]\n");
	struct gb_engine_opts o = { .file = "g.yaml", .db = "g.db", .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo,
				    .stop = &s.stop, .gpus = "0,1,2,3" };
	struct gb_meter_config mc;

	gb_meter_config_init(&mc);
	mc.nvml_lib = nvml;
	mc.gpus = o.gpus;
	o.meter = &mc;
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	assert_int_equal(sum.progress.done_now, 8);
	assert_int_equal(sum.progress.ok, 8);
	assert_true(sum.finished);
	/* More than one run at a time, never more than four. */
	assert_true(s.max_busy > 1);
	assert_true(s.max_busy <= 4);
	/* The idle baseline covered the four GPUs (and the CPU). */
	assert_true(s.idle_domains >= 4);

	/* Each child saw one GPU, the one its slot named. */
	text = gbt_read_file(slot_log, NULL);
	assert_non_null(text);
	for (line = text; *line && nlines < 64; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0),
	     nlines++) {
		unsigned long long a, b;

		assert_int_equal(sscanf(line, "gpus=%31s scope=process t0=%llu t1=%llu", gpus[nlines], &a, &b), 3);
		assert_null(strchr(gpus[nlines], ','));
		t0[nlines] = a;
		t1[nlines] = b;
	}
	free(text);
	assert_int_equal(nlines, 8);
	for (size_t i = 0; i < nlines; i++)
		for (size_t j = 0; j < nlines; j++)
			if (i != j && t0[j] < t1[i] && t0[i] < t1[j]) {
				/* Runs at the same time are on different GPUs. */
				assert_string_not_equal(gpus[i], gpus[j]);
				overlapped++;
			}
	assert_true(overlapped > 0);
	/* The engine's events name the GPU; the stored record names the same
	 * GPU domain and says CPU energy is per process. */
	for (size_t i = 0; i < s.ends; i++)
		assert_true(s.gpus[i][0] >= '0' && s.gpus[i][0] <= '3');
	assert_int_equal(gb_store_open("g.db", &store), 0);
	int64_t id;

	assert_int_equal(gb_store_campaign_latest(store, &id), 0);
	assert_int_equal(gb_store_runs_load(store, id, &runs, &n), 0);
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++) {
		char *names = NULL;

		assert_int_equal(gb_store_run_domains(store, runs[i].id, "gpu", &names), 0);
		/* Exactly one name. */
		assert_true(!names[strcspn(names, "\n")] || !names[strcspn(names, "\n") + 1]);
		names[strcspn(names, "\n")] = '\0';
		assert_true(!strcmp(names, "gpu0") || !strcmp(names, "gpu1") || !strcmp(names, "gpu2") ||
			    !strcmp(names, "gpu3"));
		free(names);
	}
	free(runs);
	gb_store_close(store);
	/* The sibling runs are the campaign's own, not each other's foreign
	 * CPU time (tests/test_cputree.c has the arithmetic). */
	assert_int_equal(gbt_cf_db_int("g.db", "SELECT count(*) FROM run WHERE"
					   " json_extract(record_json, '$.environment.cpu_own_tree') = 'campaign'"), 8);
	free(nvml);
}

/* Cooldowns until idle, per GPU: GPU 1 stays hot after its idle baseline
 * and times out each time; the others are back at once. */
static void test_several_gpus_cooldown_per_gpu(void **st)
{
	struct gb_engine_summary sum;
	struct gb_meter_config mc;
	struct seen s = { 0 };
	char *nvml = gbt_build_path("libfake_nvml.so");
	size_t hot = 0, cool = 0;

	(void)st;
	setenv("GREENBENCH_NVML_LIB", nvml, 1);
	setenv("FAKE_NVML_GPUS", "3", 1);
	setenv("FAKE_NVML_GPU1_POWER_MW", "0:50000,100:300000", 1);
	/* A continuous counter: a 20 ms idle baseline is then exact. */
	setenv("FAKE_NVML_ENERGY_PERIOD_MS", "0", 1);
	setenv("GB_FAKE_METER", "1", 1);
	setenv("GB_FAKE_SLEEP_MS", "150", 1);
	gbt_write(gbt_cf.dir, "g.yaml",
		  "reps: 2\nidle_baseline: 20ms\ncooldown: {until: idle, margin_pct: 10, timeout: 300ms}\n"
		  "models: [resnet50]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1, 4]\n");
	gb_meter_config_init(&mc);
	mc.nvml_lib = nvml;
	struct gb_engine_opts o = { .file = "g.yaml", .db = "g.db", .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo,
				    .stop = &s.stop, .gpus = "0,1,2", .meter = &mc };

	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	assert_int_equal(sum.progress.done_now, 8);
	assert_true(s.cooldowns > 0);
	for (size_t i = 0; i < s.cooldowns; i++) {
		assert_int_equal(s.cool[i].ngpus, 1);
		if (!strcmp(s.cool[i].gpu, "1")) {
			assert_true(s.cool[i].timed_out);
			hot++;
		} else {
			assert_false(s.cool[i].timed_out);
			cool++;
		}
	}
	/* While GPU 1 waited out its timeouts the others ran more. */
	assert_true(cool > hot);
	free(nvml);
}

/* A stop while four runs are in flight records none of them. */
static void test_several_gpus_stop(void **st)
{
	struct gb_engine_summary sum;
	struct seen s = { .stop_after = 1 };

	(void)st;
	setenv("GB_FAKE_METER", "1", 1);
	setenv("GB_FAKE_SLEEP_MS", "100", 1);
	gbt_write(gbt_cf.dir, "g.yaml", "reps: 2\nmodels: [resnet50]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1, 4]\n");
	struct gb_engine_opts o = { .file = "g.yaml", .db = "g.db", .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo,
				    .stop = &s.stop, .gpus = "0,1,2" };

	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	assert_true(sum.stopped);
	assert_false(sum.finished);
	/* The first to end stopped the rest: only it is recorded. */
	assert_int_equal(sum.progress.done_now, 1);
	/* A resume runs the other seven. */
	struct seen r = { 0 };

	o.resume = 1;
	o.stop = &r.stop;
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &r, &sum), 0);
	assert_int_equal(sum.progress.done_before, 1);
	assert_int_equal(sum.progress.done_now, 7);
	assert_true(sum.finished);
	/* Bad lists are refused. */
	o.gpus = "0,,1";
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &r, &sum), -EINVAL);
}

/* --gpus must name GPUs of this host: an index out of range (CUDA would
 * hide it and run unmeasured), a UUID no GPU has; refused before anything
 * is stored. Without NVML the runs' meters say. */
static void test_several_gpus_checked(void **st)
{
	char *nvml = gbt_build_path("libfake_nvml.so");
	struct gb_engine_summary sum;
	struct gb_meter_config mc;
	struct seen s = { 0 };

	(void)st;
	setenv("FAKE_NVML_GPUS", "2", 1);
	gbt_write(gbt_cf.dir, "g.yaml", "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\n");
	gb_meter_config_init(&mc);
	mc.nvml_lib = nvml;
	struct gb_engine_opts o = { .file = "g.yaml", .db = "g.db", .run_cmd = gbt_cf.fake, .zoo_dir = gbt_cf.zoo,
				    .stop = &s.stop, .gpus = "0,5", .meter = &mc };

	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), -EINVAL);
	assert_string_equal(gb_error_msg(), "invalid --gpus '0,5': GPU '5' is not one of this host's 2 GPUs (0 to 1)");
	o.gpus = "GPU-fa4e0000-0000-4000-8000-000000000001,GPU-0bad";
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), -EINVAL);
	assert_string_equal(gb_error_msg(), "cannot measure the GPUs --gpus='GPU-fa4e0000-0000-4000-8000-000000000001,"
			    "GPU-0bad': no GPU has the UUID 'GPU-0bad'");
	assert_int_equal(s.ends, 0);
	assert_int_equal(gbt_cf_db_int("g.db", "SELECT count(*) FROM campaign"), 0);
	/* Both GPUs, by UUID and by index. */
	o.gpus = "GPU-fa4e0000-0000-4000-8000-000000000001,0";
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	assert_int_equal(sum.progress.ok, 1);
	/* No NVML to ask: the list is the runs' to judge. */
	mc.nvml_lib = "/nonexistent/libnvidia-ml.so.1";
	o.gpus = "0,5";
	o.db = "n.db";
	assert_int_equal(gb_campaign_engine_run(&o, &cbs, &s, &sum), 0);
	free(nvml);
}

/* What a process measures comes from its environment (CUDA_VISIBLE_DEVICES
 * and Slurm's lists, indices or UUIDs), through `greenbench run` on a fake
 * NVML of four GPUs: the record names the GPUs and the variable; a list
 * naming none measures no GPU and says why; a value that is no GPU is an
 * error. */
static const struct {
	const char *env;
	int exit;
	const char *key;	/* exit 0: a key of the record, as text ("[N]": an array of N) */
	const char *want;	/* its value; exit 1: a line of the output */
} gpu_env_rows[] = {
	{ "CUDA_VISIBLE_DEVICES=GPU-fa4e0000-0000-4000-8000-000000000002", 0, "environment.gpus.0.index", "2" },
	{ "CUDA_VISIBLE_DEVICES=GPU-fa4e0000-0000-4000-8000-000000000002", 0, "environment.gpus.0.uuid",
	  "GPU-fa4e0000-0000-4000-8000-000000000002" },
	{ "CUDA_VISIBLE_DEVICES=GPU-fa4e0000-0000-4000-8000-000000000002", 0, "environment.gpus_from",
	  "CUDA_VISIBLE_DEVICES" },
	{ "CUDA_VISIBLE_DEVICES=fa4e0000-0000-4000-8000-000000000003", 0, "environment.gpus.0.index", "3" },
	{ "CUDA_VISIBLE_DEVICES=3,1", 0, "environment.gpus.1.index", "1" },
	{ "CUDA_VISIBLE_DEVICES=3,1", 0, "environment.gpus", "[2]" },
	{ "GREENBENCH_GPUS=1 CUDA_VISIBLE_DEVICES=2", 0, "environment.gpus_from", "GREENBENCH_GPUS" },
	{ "GREENBENCH_GPUS=1 CUDA_VISIBLE_DEVICES=2", 0, "environment.gpus.0.index", "1" },
	{ "SLURM_STEP_GPUS=2 SLURM_JOB_GPUS=0,1", 0, "environment.gpus_from", "SLURM_STEP_GPUS" },
	{ "SLURM_JOB_GPUS=0,1", 0, "environment.gpus", "[2]" },
	{ "SLURM_JOB_ID=77 SLURM_JOB_GPUS=0 SLURMD_NODENAME=gpu-a01", 0, "environment.cluster.job_id", "77" },
	{ "SLURM_JOB_ID=77 SLURM_JOB_GPUS=0 SLURMD_NODENAME=gpu-a01", 0, "environment.cluster.node", "gpu-a01" },
	{ "CUDA_VISIBLE_DEVICES=7", 0, "environment.gpus", "[0]" },
	{ "CUDA_VISIBLE_DEVICES=7", 0, "unavailable.gpus",
	  "no GPU is visible to this process (GPUs CUDA_VISIBLE_DEVICES='7')" },
	{ "CUDA_VISIBLE_DEVICES=NoDevFiles", 0, "environment.gpus", "[0]" },
	{ "CUDA_VISIBLE_DEVICES=GPU-0bad", 1, NULL,
	  "error: cannot measure the GPUs CUDA_VISIBLE_DEVICES='GPU-0bad': no GPU has the UUID 'GPU-0bad'\n" },
	{ "CUDA_VISIBLE_DEVICES=cuda:0", 1, NULL, "error: cannot measure the GPUs CUDA_VISIBLE_DEVICES='cuda:0': "
	  "invalid GPU 'cuda:0' in 'cuda:0': expected an index or a UUID (GPU-...)\n" },
	{ "CUDA_VISIBLE_DEVICES=GPU-fa4e", 1, NULL, "is the prefix of several GPUs' UUIDs" },
	{ "CUDA_VISIBLE_DEVICES=MIG-fa4e0000-0000-4000-8000-000000000001", 1, NULL, "is a MIG instance" },
	{ "CUDA_VISIBLE_DEVICES=1,1", 1, NULL, "GPU 1 is named twice in '1,1'" },
};

/* A record's value at path as text: a number as %g, an array as "[N]". */
static void value_text(cJSON *rec, const char *path, char *buf, size_t len)
{
	cJSON *v = gbt_json_get(rec, path);

	if (cJSON_IsNumber(v))
		snprintf(buf, len, "%g", v->valuedouble);
	else if (cJSON_IsArray(v))
		snprintf(buf, len, "[%d]", cJSON_GetArraySize(v));
	else
		snprintf(buf, len, "%s", cJSON_IsString(v) ? v->valuestring : "(not a string)");
}

static void test_gpus_from_the_environment(void **st)
{
	char *nvml = gbt_build_path("libfake_nvml.so"), *models = gbt_build_path("models");
	char args[4400];

	(void)st;
	if (!gbt_have_runtime("ort"))
		fail_msg("the ort runtime is part of every build that runs these tests");
	snprintf(args, sizeof args, "run --model '%s/mlp.onnx' --min-duration 0 -n 2 --warmup 1 --json", models);
	for (size_t i = 0; i < sizeof gpu_env_rows / sizeof gpu_env_rows[0]; i++) {
		char prefix[8400], got[512] = "", *out = NULL;
		cJSON *rec = NULL;
		int rc;

		snprintf(prefix, sizeof prefix, "env -u CUDA_VISIBLE_DEVICES -u GREENBENCH_GPUS -u SLURM_STEP_GPUS "
			 "-u SLURM_JOB_GPUS -u SLURM_JOB_ID GREENBENCH_NVML_LIB='%s' FAKE_NVML_GPUS=4 %s", nvml,
			 gpu_env_rows[i].env);
		rc = gbt_run_gb(prefix, gbt_cf.gb, args, &out);
		if (rc == 0 && gpu_env_rows[i].key && (rec = cJSON_Parse(out)))
			value_text(rec, gpu_env_rows[i].key, got, sizeof got);
		if (rc != gpu_env_rows[i].exit || (gpu_env_rows[i].key ? strcmp(got, gpu_env_rows[i].want)
									: !strstr(out, gpu_env_rows[i].want)))
			fail_msg("%s greenbench run: exit %d (want %d), %s '%s' (want '%s'), output:\n%s",
				 gpu_env_rows[i].env, rc, gpu_env_rows[i].exit,
				 gpu_env_rows[i].key ? gpu_env_rows[i].key : "output", got, gpu_env_rows[i].want, out);
		cJSON_Delete(rec);
		free(out);
	}
	free(models);
	free(nvml);
}

/* ---- the CLI ------------------------------------------------------------- */

static const struct gbt_row cli_rows[] = {
	{ "campaign submit", 129, "error: missing experiment file" },
	{ "campaign submit a.yaml b.yaml", 129, "more than one experiment file" },
	{ "campaign submit c.yaml --tasks 0", 129, "--tasks" },
	{ "campaign submit c.yaml --bogus", 129, "unknown option '--bogus'" },
	{ "campaign task --records d", 129, "--task-index is required" },
	{ "campaign task --task-index 0", 129, "--records is required" },
	{ "campaign task --records nowhere --task-index 0", 1, "error: cannot open 'nowhere/campaign.json'" },
	{ "campaign collect --db none.db --records nowhere", 1, "error: cannot open 'nowhere/campaign.json'" },
	{ "campaign status --records nowhere", 1, "error: cannot open 'nowhere/campaign.json'" },
	{ "campaign status --campaign x", 129, "--campaign" },
	{ "campaign submit --help", 0, "usage: greenbench campaign submit FILE" },
	{ "campaign task --help", 0, "--task-index" },
	{ "campaign collect --help", 0, "usage: greenbench campaign collect" },
	{ "campaign status --help", 0, "usage: greenbench campaign status" },
	{ "campaign --help", 0, "submit" },
};

/* The subcommands end to end without Slurm, in order: a dry run writes the
 * submission and prints its script; its tasks are run by hand; status and
 * collect read what they wrote; a resubmission holds what is missing. */
static const struct gbt_row cli_steps[] = {
	{ "campaign submit c.yaml --db r.db --tasks 2 --shared --partition ci --dry-run", 0,
	  "campaign 1: 16 of 16 runs in 2 task(s), not submitted; the script is " },
	{ "campaign task --records r.db-records/campaign-1 --task-index 1", 0, "task 1: 8 runs recorded now (8 ok, 0 failed)" },
	{ "campaign status --db r.db", 0, "submission 1 (not submitted): 2 tasks, 16 runs" },
	{ "campaign status --db r.db", 0, "   1     8     8       0      1  unknown    done" },
	{ "campaign status --db r.db", 0, "   0     8     0       0      0  unknown    unknown" },
	{ "campaign status --db r.db", 0, "8 runs not recorded yet" },
	{ "campaign collect --db r.db", 0, "campaign 1: 8 runs stored now, 0 already stored, 1 idle baselines; 8 of 16 runs in all\n" },
	/* --resume collects, then submits what is missing. */
	{ "campaign submit c.yaml --db r.db --resume --tasks 1 --dry-run", 0, "campaign 1: 8 of 16 runs in 1 task(s), not submitted" },
	{ "campaign task --records r.db-records/campaign-1 --task-index 0", 0, "task 0: 8 runs recorded now (8 ok, 0 failed)" },
	{ "campaign collect --db r.db --campaign 1", 0,
	  "8 runs stored now, 8 already stored, 1 idle baselines; 16 of 16 runs in all (finished)" },
	{ "campaign submit c.yaml --db r.db --resume", 0, "campaign 1: all 16 runs are stored; nothing to submit" },
	/* campaign run --gpus: one run per GPU at a time. */
	{ "campaign run c.yaml --db g.db --gpus 0,,1", 1, "error: invalid GPU list '0,,1'" },
	{ "campaign run c.yaml --db g.db --gpus 0,1", 0, "16 runs recorded now (16 ok, 0 failed)" },
};

static void test_cli_without_slurm(void **st)
{
	char prefix[20000], path[4400], *script;

	(void)st;
	gbt_write(gbt_cf.dir, "c.yaml", "%s", PLAN_TEXT);
	snprintf(prefix, sizeof prefix, "cd '%s' && %s", gbt_cf.dir, gbt_cf.env);
	gbt_rows_check(cli_rows, sizeof cli_rows / sizeof cli_rows[0], prefix, gbt_cf.gb);
	gbt_rows_check(cli_steps, 11, prefix, gbt_cf.gb);
	/* Nothing ran twice. */
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 16);
	gbt_rows_check(cli_steps + 11, sizeof cli_steps / sizeof cli_steps[0] - 11, prefix, gbt_cf.gb);
	snprintf(path, sizeof path, "%s/r.db-records/campaign-1/submission-1.sbatch", gbt_cf.dir);
	script = gbt_read_file(path, NULL);
	assert_non_null(script);
	assert_non_null(strstr(script, "#SBATCH --array=0-1\n"));
	assert_non_null(strstr(script, "#SBATCH --partition=ci\n"));
	assert_non_null(strstr(script, "export GREENBENCH_CPU_ENERGY=process"));
	free(script);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_lines_round_trip),
		cmocka_unit_test(test_sbatch_script),
		cmocka_unit_test(test_slurm_states),
		GBT_CAMPAIGN_TEST(test_tasks_collect_resubmit),
		GBT_CAMPAIGN_TEST(test_several_gpus),
		GBT_CAMPAIGN_TEST(test_several_gpus_cooldown_per_gpu),
		GBT_CAMPAIGN_TEST(test_several_gpus_stop),
		GBT_CAMPAIGN_TEST(test_several_gpus_checked),
		GBT_CAMPAIGN_TEST(test_gpus_from_the_environment),
		GBT_CAMPAIGN_TEST(test_cli_without_slurm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
