/*
 * greenbench campaign submit | task | collect | status: a campaign as a
 * Slurm job array (docs/cluster.md).
 *
 *   $ greenbench campaign submit study.yaml --db results.db --gpus-per-task 1
 *   4711
 *   campaign 3: 120 of 120 runs in 12 task(s), job 4711; records in /home/me/results.db-records/campaign-3
 *   $ greenbench campaign status --db results.db
 *   submission 1, job 4711: 12 tasks, 120 runs; records in /home/me/results.db-records/campaign-3
 *   task  runs    ok  failed  tries  slurm      state        node
 *      0    10    10       0      1  unknown    done         gpu-a01
 *      1    10     4       0      1  unknown    died         gpu-a02
 *      2    10     6       0      1  running    running      gpu-a03
 *   ...
 *   $ greenbench campaign collect --db results.db
 *   campaign 3: 114 runs stored now, 0 already stored, 12 idle baselines; 114 of 120 runs in all
 *   $ greenbench campaign submit study.yaml --db results.db --resume --tasks 1
 *   campaign 3: 6 of 120 runs in 1 task(s), job 4790; records in ...
 *
 * The work is the library's (greenbench/slurm.h, greenbench/shard.h);
 * this file parses arguments and prints.
 */
#include "cli/campaign_cli.h"
#include "cli/meter_opts.h"
#include "cli/parse_options.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/shard.h"
#include "greenbench/slurm.h"
#include "greenbench/store.h"

#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct gb_usage submit_usage = {
	.synopsis = "greenbench campaign submit FILE [--db results.db] [--records DIR] [--tasks N]\n"
		    "       [--partition P] [--gpus-per-task N] [--max-parallel K] [--exclusive | --shared]\n"
		    "       [--time T] [--resume] [--dry-run]\n",
	.description =
	"Store the experiment file's plan (as 'campaign run' does) and submit a Slurm job\n"
	"array whose tasks each run a share of the planned order. Tasks write their run\n"
	"records to files of their own in a shared directory, never to the database;\n"
	"'campaign collect' merges them (docs/cluster.md).\n",
	.epilogue =
	"The job id goes to stdout. Tasks run this greenbench (its absolute path) and\n"
	"inherit the environment (sbatch's default), GREENBENCH_RUN_CMD included.\n",
};

static const struct gb_usage task_usage = {
	.synopsis = "greenbench campaign task --records DIR --task-index I [--submission K] [--gpus-each] [-q]\n",
	.description =
	"Run task I's share of a submission (what the job array's script runs): each run's\n"
	"record goes to DIR/records/sK-tI.jsonl, one fsync'd line per run. SIGTERM (scancel)\n"
	"kills the run in flight and records nothing of it.\n",
};

static const struct gb_usage dir_usage_collect = {
	.synopsis = "greenbench campaign collect [--db results.db] [--records DIR | --campaign ID]\n",
	.description =
	"Merge the tasks' records into the database. Idempotent: a run already stored is\n"
	"not stored again, so collect as often as you like, also while tasks run.\n",
};

static const struct gb_usage dir_usage_status = {
	.synopsis = "greenbench campaign status [--db results.db] [--records DIR | --campaign ID]\n",
	.description =
	"Per task of the newest submission: its runs, how many are recorded ok or failed,\n"
	"and its state from the records and from sacct/squeue (done, pending, running, died).\n",
};

int gb_cli_campaign_submit(int argc, char **argv)
{
	struct gb_slurm_submit_opts o = { .db = "results.db" };
	struct gb_slurm_submit_result r;
	struct gb_option opts[] = {
		GB_OPT_STRING(0, "db", &o.db, "FILE", "the database (default results.db); only this node writes it"),
		GB_OPT_STRING(0, "records", &o.dir, "DIR", "the shared directory (default DB-records/campaign-ID)"),
		GB_OPT_UINT(0, "tasks", &o.ntasks, "N", "array tasks (default: one per configuration, at most one per run)", 1),
		GB_OPT_STRING(0, "partition", &o.job.partition, "P", "sbatch --partition"),
		GB_OPT_UINT(0, "gpus-per-task", &o.job.gpus_per_task, "N",
			    "sbatch --gres=gpu:N; with N > 1 a task runs one run per GPU at a time", 0),
		GB_OPT_UINT(0, "max-parallel", &o.job.max_parallel, "K", "at most K tasks at once (--array=...%K)", 1),
		GB_OPT_NEGBOOL(0, "exclusive", &o.job.shared,
			       "whole nodes per task (the default): CPU energy from package counters"),
		GB_OPT_BOOL(0, "shared", &o.job.shared,
			    "share nodes: CPU energy is estimated per run's process, and says so"),
		GB_OPT_STRING(0, "time", &o.job.time_limit, "T", "sbatch --time"),
		GB_OPT_BOOL(0, "resume", &o.resume, "the newest campaign of this file: collect its records, "
			    "then submit only the runs that are missing"),
		GB_OPT_BOOL(0, "dry-run", &o.dry_run, "write the submission and print its script; do not call sbatch"),
		GB_OPT_END(),
	};
	int n, ret;

	n = gb_parse_options(argc, argv, opts, &submit_usage, 0);
	if (n < 0)
		return gb_parse_exit(n);
	if (n != 1)
		return gb_parse_exit(gb_usage_error(&submit_usage, opts, n ? "more than one experiment file ('%s', '%s')"
							: "missing experiment file", argv[0], n ? argv[1] : ""));
	o.file = argv[0];
	ret = gb_slurm_campaign_submit(&o, &r);
	if (ret) {
		error("%s", gb_error_msg());
		gb_slurm_submit_result_release(&r);
		return gb_cli_finish(1);
	}
	if (r.collected)
		fprintf(stderr, "campaign %lld: %zu runs collected from the records first\n", (long long)r.campaign,
			r.collected);
	if (!r.todo) {
		fprintf(stderr, "campaign %lld: all %zu runs are stored; nothing to submit\n", (long long)r.campaign,
			r.total);
	} else if (o.dry_run) {
		fputs(r.script, stdout);
		fprintf(stderr, "campaign %lld: %zu of %zu runs in %u task(s), not submitted; the script is %s\n",
			(long long)r.campaign, r.todo, r.total, r.ntasks, r.script_path);
	} else {
		printf("%s\n", r.job_id);
		fprintf(stderr, "campaign %lld: %zu of %zu runs in %u task(s), job %s; records in %s\n",
			(long long)r.campaign, r.todo, r.total, r.ntasks, r.job_id, r.dir);
	}
	gb_slurm_submit_result_release(&r);
	return gb_cli_finish(0);
}

int gb_cli_campaign_task(int argc, char **argv)
{
	struct gb_cli_camp c = { .db = "records" };
	struct gb_shard_task t = { 0 };
	struct gb_meter_config mc;
	struct gb_engine_opts o = { .meter = &mc, .stop = &gb_cli_campaign_stop };
	struct gb_engine_summary sum;
	unsigned task = UINT32_MAX, sub = 0;
	int gpus_each = 0, n, ret;
	const char *job;
	struct gb_option opts[] = {
		GB_OPT_STRING(0, "records", &t.dir, "DIR", "the shared directory"),
		GB_OPT_UINT(0, "task-index", &task, "I", "the array index ($SLURM_ARRAY_TASK_ID)", 0),
		GB_OPT_UINT(0, "submission", &sub, "K", "the submission (default the newest)", 1),
		GB_OPT_BOOL(0, "gpus-each", &gpus_each,
			    "one run per GPU of this task at a time (the GPUs CUDA_VISIBLE_DEVICES or Slurm gives)"),
		GB_OPT_BOOL('q', "quiet", &c.quiet, "no progress lines"),
		GB_OPT_END(),
	};

	n = gb_parse_options(argc, argv, opts, &task_usage, GB_PARSE_NO_ARGS);
	if (n < 0)
		return gb_parse_exit(n);
	if (!t.dir || task == UINT32_MAX)
		return gb_parse_exit(gb_usage_error(&task_usage, opts, "%s is required",
						    t.dir ? "--task-index" : "--records"));
	t.task = task;
	t.submission = (int)sub;
	job = getenv("SLURM_ARRAY_JOB_ID");
	t.job_id = job ? job : getenv("SLURM_JOB_ID");
	t.node = getenv("SLURMD_NODENAME");
	c.tty = isatty(2);
	c.file = t.dir;
	c.last_epi = NAN;
	gb_meter_config_init(&mc);
	gb_cli_meter_config_env(&mc);
	if (gpus_each && !(o.gpus = mc.gpus)) {
		error("--gpus-each: no GPU list in the environment (CUDA_VISIBLE_DEVICES, SLURM_STEP_GPUS, SLURM_JOB_GPUS)");
		return gb_cli_finish(1);
	}
	gb_cli_campaign_signals(1);
	ret = gb_shard_task_run(&t, &o, &gb_cli_campaign_printer, &c, &sum);
	gb_cli_campaign_signals(0);
	if (c.tty && !c.quiet)
		fputs("\r\033[K", stderr);
	if (ret) {
		error("%s", gb_error_msg());
		return gb_cli_finish(1);
	}
	if (!c.quiet)
		fprintf(stderr, "task %u: %zu runs recorded now (%zu ok, %zu failed)%s\n", t.task,
			sum.progress.done_now, sum.progress.ok, sum.progress.failed,
			sum.stopped ? "; stopped, the rest is left for a resubmission" : "");
	return gb_cli_finish(sum.stopped ? 130 : 0);
}

/* --db, --records, --campaign: the directory given, or the campaign's
 * default one. parse_dir_args() returns gb_parse_options()'s result. */
struct dir_args {
	const char *db, *dir;
	int64_t campaign;
	char buf[PATH_MAX];
};

static int parse_dir_args(int argc, char **argv, const struct gb_usage *usage, struct dir_args *a)
{
	struct gb_option opts[] = {
		GB_OPT_STRING(0, "db", &a->db, "FILE", "the database (default results.db)"),
		GB_OPT_STRING(0, "records", &a->dir, "DIR", "the shared directory (default DB-records/campaign-ID)"),
		GB_OPT_INT_RANGE(0, "campaign", &a->campaign, "ID",
				 "the campaign whose default directory to read (default the newest)", 1, INT64_MAX),
		GB_OPT_END(),
	};
	a->db = "results.db";
	return gb_parse_options(argc, argv, opts, usage, GB_PARSE_NO_ARGS);
}

static int resolve_dir(struct dir_args *a, struct gb_store *st)
{
	if (a->dir)
		return 0;
	if (!a->campaign && gb_store_campaign_latest(st, &a->campaign))
		return -1;
	snprintf(a->buf, sizeof a->buf, "%s-records/campaign-%lld", a->db, (long long)a->campaign);
	a->dir = a->buf;
	return 0;
}

int gb_cli_campaign_collect(int argc, char **argv)
{
	struct dir_args a = { 0 };
	struct gb_shard_collect_summary s;
	struct gb_store *st = NULL;
	int ret;

	if ((ret = parse_dir_args(argc, argv, &dir_usage_collect, &a)) < 0)
		return gb_parse_exit(ret);
	if (gb_store_open(a.db, &st) || resolve_dir(&a, st) || gb_shard_collect(st, a.dir, &s)) {
		error("%s", gb_error_msg());
		gb_store_close(st);
		return gb_cli_finish(1);
	}
	gb_store_close(st);
	printf("campaign %lld: %zu runs stored now, %zu already stored, %zu idle baselines; %zu of %zu runs in all%s\n",
	       (long long)s.campaign, s.stored, s.already, s.idle_stored, s.done, s.total,
	       s.finished ? " (finished)" : "");
	if (s.torn)
		warning("%zu records lines were cut short (a task killed while writing) and skipped", s.torn);
	return gb_cli_finish(0);
}

int gb_cli_campaign_status(int argc, char **argv)
{
	struct dir_args a = { 0 };
	struct gb_shard_status s = { 0 };
	enum gb_slurm_state *states = NULL;
	struct gb_store *st = NULL;
	size_t missing = 0;
	int queried = 0, ret;

	if ((ret = parse_dir_args(argc, argv, &dir_usage_status, &a)) < 0)
		return gb_parse_exit(ret);
	ret = 1;
	if ((!a.dir && (gb_store_open(a.db, &st) || resolve_dir(&a, st))) || gb_shard_status_load(a.dir, 0, &s)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (!(states = calloc(s.sub.ntasks, sizeof *states))) {
		error("out of memory");
		goto out;
	}
	if (s.sub.job_id[0])
		gb_slurm_states(s.sub.job_id, states, s.sub.ntasks, 0, &queried);
	printf("submission %d%s%s: %u tasks, %zu runs; records in %s\n", s.sub.submission,
	       s.sub.job_id[0] ? ", job " : " (not submitted)", s.sub.job_id, s.sub.ntasks, s.sub.nseqs, a.dir);
	printf("%4s  %4s  %4s  %6s  %5s  %-9s  %-11s  %s\n", "task", "runs", "ok", "failed", "tries", "slurm",
	       "state", "node");
	for (unsigned i = 0; i < s.sub.ntasks; i++) {
		const struct gb_shard_task_status *t = &s.tasks[i];
		enum gb_task_phase ph = gb_slurm_task_phase(t, states[i], queried);
		size_t rec = t->ok + t->failed;

		missing += rec < t->assigned ? t->assigned - rec : 0;
		printf("%4u  %4zu  %4zu  %6zu  %5u  %-9s  %-11s  %s\n", i, t->assigned, t->ok, t->failed, t->starts,
		       gb_slurm_state_name(states[i]), gb_task_phase_name(ph), t->node[0] ? t->node : "-");
	}
	if (missing)
		printf("%zu runs not recorded yet; once no task runs: greenbench campaign submit FILE --db %s --resume\n",
		       missing, a.db);
	ret = 0;
out:
	free(states);
	gb_shard_status_release(&s);
	gb_store_close(st);
	return gb_cli_finish(ret);
}
