/*
 * greenbench campaign submit | task | collect | status: a campaign as a
 * Slurm job array (docs/cluster.md).
 *
 *   $ greenbench campaign submit study.yaml --db results.db --gpus-per-task 1
 *   campaign 3 'study': 120 runs in 12 tasks, job 4711; records in /home/me/results.db-records/campaign-3
 *   $ greenbench campaign status --db results.db
 *   campaign 3, submission 1, job 4711: 12 tasks, 120 runs
 *   task  runs  ok  failed  tries  slurm      state    node
 *      0    10  10       0      1  completed  done     gpu-a01
 *      1    10   4       0      1  failed     died     gpu-a02
 *   ...
 *   $ greenbench campaign collect --db results.db
 *   campaign 3: 114 runs stored now, 0 already stored, 114 of 120 in all
 *   $ greenbench campaign submit study.yaml --db results.db --resume
 *   campaign 3 'study': 6 runs in 1 task, job 4790; ...
 *
 * The work is the library's (greenbench/slurm.h, greenbench/shard.h);
 * this file parses arguments and prints.
 */
#include "cli/campaign_cli.h"
#include "cli/meter_opts.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/shard.h"
#include "greenbench/slurm.h"
#include "greenbench/store.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char submit_usage[] =
	"usage: greenbench campaign submit FILE [--db results.db] [--records DIR] [--tasks N]\n"
	"                                  [--partition P] [--gpus-per-task N] [--max-parallel K]\n"
	"                                  [--exclusive | --shared] [--time T] [--resume] [--dry-run]\n"
	"\n"
	"Store the experiment file's plan (as 'campaign run' does) and submit a Slurm job\n"
	"array whose tasks each run a share of the planned order. Tasks write their run\n"
	"records to files of their own in a shared directory, never to the database;\n"
	"'campaign collect' merges them.\n"
	"\n"
	"    --db FILE           the database (default results.db); written on this node only\n"
	"    --records DIR       the shared directory (default DB-records/campaign-ID)\n"
	"    --tasks N           array tasks (default: one per configuration, at most one per run)\n"
	"    --partition P       sbatch --partition\n"
	"    --gpus-per-task N   sbatch --gres=gpu:N; with N > 1 a task runs one run per GPU at a time\n"
	"    --max-parallel K    at most K tasks at once (--array=...%K)\n"
	"    --exclusive         whole nodes per task (the default): CPU energy from package counters\n"
	"    --shared            share nodes: CPU energy is estimated per run's process, and says so\n"
	"    --time T            sbatch --time\n"
	"    --resume            the newest campaign of this file: collect its records, then\n"
	"                        submit only the runs that are missing\n"
	"    --dry-run           write the submission and print its script; do not call sbatch\n";

static const char task_usage[] =
	"usage: greenbench campaign task --records DIR --task-index I [--submission K] [--gpus-each] [-q]\n"
	"\n"
	"Run task I's share of a submission (what the job array's script runs): each run's\n"
	"record goes to DIR/records/sK-tI.jsonl, one fsync'd line per run.\n"
	"\n"
	"    --records DIR     the shared directory\n"
	"    --task-index I    the array index ($SLURM_ARRAY_TASK_ID)\n"
	"    --submission K    the submission (default the newest)\n"
	"    --gpus-each       one run per GPU of this task at a time (--gpus-per-task > 1)\n"
	"    -q, --quiet       no progress lines\n";

static const char collect_usage[] =
	"usage: greenbench campaign collect [--db results.db] [--records DIR | --campaign ID]\n"
	"\n"
	"Merge the tasks' records into the database. Idempotent: a run already stored is\n"
	"not stored again, so collect as often as you like, also while tasks run.\n"
	"\n"
	"    --db FILE        the database (default results.db)\n"
	"    --records DIR    the shared directory (default DB-records/campaign-ID)\n"
	"    --campaign ID    the campaign whose default directory to read (default the newest)\n";

static const char status_usage[] =
	"usage: greenbench campaign status [--db results.db] [--records DIR | --campaign ID]\n"
	"\n"
	"Per task of the newest submission: runs done, ok, failed, and its state from the\n"
	"records and from sacct/squeue (done, pending, running, died).\n"
	"\n"
	"    --db FILE        the database (default results.db)\n"
	"    --records DIR    the shared directory (default DB-records/campaign-ID)\n"
	"    --campaign ID    the campaign whose default directory to read (default the newest)\n";

/* The value of option argv[*i] ("--x V" or "--x=V"), or NULL when it is
 * not name. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, const char *usage, int *bad)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 == argc) {
		*bad = gb_cli_usage_error(usage, "%s needs a value", name);
		return NULL;
	}
	return argv[++*i];
}

static int parse_uint(const char *usage, const char *name, const char *v, unsigned min, unsigned *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x < min || x > 1000000 || v[0] == '-')
		return gb_cli_usage_error(usage, "invalid %s '%s': expected a whole number of at least %u", name, v,
					  min);
	*out = (unsigned)x;
	return 0;
}

static int cmd_submit(int argc, char **argv)
{
	struct gb_slurm_submit_opts o = { .db = "results.db" };
	struct gb_slurm_submit_result r;
	const char *v;
	int bad = 0, ret;

	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(submit_usage);
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--db", submit_usage, &bad))) {
			o.db = v;
		} else if ((v = opt_value(argc, argv, &i, "--records", submit_usage, &bad))) {
			o.dir = v;
		} else if ((v = opt_value(argc, argv, &i, "--partition", submit_usage, &bad))) {
			o.job.partition = v;
		} else if ((v = opt_value(argc, argv, &i, "--time", submit_usage, &bad))) {
			o.job.time_limit = v;
		} else if ((v = opt_value(argc, argv, &i, "--tasks", submit_usage, &bad))) {
			if ((bad = parse_uint(submit_usage, "--tasks", v, 1, &o.ntasks)))
				return bad;
		} else if ((v = opt_value(argc, argv, &i, "--gpus-per-task", submit_usage, &bad))) {
			if ((bad = parse_uint(submit_usage, "--gpus-per-task", v, 0, &o.job.gpus_per_task)))
				return bad;
		} else if ((v = opt_value(argc, argv, &i, "--max-parallel", submit_usage, &bad))) {
			if ((bad = parse_uint(submit_usage, "--max-parallel", v, 1, &o.job.max_parallel)))
				return bad;
		} else if (bad) {
			return bad;
		} else if (!strcmp(argv[i], "--exclusive")) {
			o.job.shared = 0;
		} else if (!strcmp(argv[i], "--shared")) {
			o.job.shared = 1;
		} else if (!strcmp(argv[i], "--resume")) {
			o.resume = 1;
		} else if (!strcmp(argv[i], "--dry-run")) {
			o.dry_run = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return gb_cli_usage_error(submit_usage, "unknown option '%s'", argv[i]);
		} else if (o.file) {
			return gb_cli_usage_error(submit_usage, "more than one experiment file ('%s', '%s')", o.file,
						  argv[i]);
		} else {
			o.file = argv[i];
		}
	}
	if (bad)
		return bad;
	if (!o.file)
		return gb_cli_usage_error(submit_usage, "missing experiment file");
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

static int cmd_task(int argc, char **argv)
{
	struct gb_cli_camp c = { .db = "records" };
	struct gb_shard_task t = { 0 };
	struct gb_meter_config mc;
	struct gb_engine_opts o = { .meter = &mc, .stop = &gb_cli_campaign_stop };
	struct gb_engine_summary sum;
	const char *v, *job;
	unsigned sub = 0;
	int bad = 0, have_index = 0, ret;

	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(task_usage);
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--records", task_usage, &bad))) {
			t.dir = v;
		} else if ((v = opt_value(argc, argv, &i, "--task-index", task_usage, &bad))) {
			if ((bad = parse_uint(task_usage, "--task-index", v, 0, &t.task)))
				return bad;
			have_index = 1;
		} else if ((v = opt_value(argc, argv, &i, "--submission", task_usage, &bad))) {
			if ((bad = parse_uint(task_usage, "--submission", v, 1, &sub)))
				return bad;
		} else if (bad) {
			return bad;
		} else if (!strcmp(argv[i], "--gpus-each")) {
			o.gpus_each = 1;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			c.quiet = 1;
		} else {
			return gb_cli_usage_error(task_usage, "unknown argument '%s'", argv[i]);
		}
	}
	if (bad)
		return bad;
	if (!t.dir || !have_index)
		return gb_cli_usage_error(task_usage, "%s is required", t.dir ? "--task-index" : "--records");
	t.submission = (int)sub;
	job = getenv("SLURM_ARRAY_JOB_ID");
	t.job_id = job ? job : getenv("SLURM_JOB_ID");
	t.node = getenv("SLURMD_NODENAME");
	c.tty = isatty(2);
	c.file = t.dir;
	c.last_epi = NAN;
	gb_meter_config_init(&mc);
	gb_cli_meter_config_env(&mc);
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

/* --db, --records, --campaign: the directory (given, or the campaign's
 * default one) and, when asked for, the open store. */
struct dir_args {
	const char *db, *dir;
	int64_t campaign;
	char buf[PATH_MAX];
};

static int parse_dir_args(int argc, char **argv, const char *usage, struct dir_args *a)
{
	const char *v;
	int bad = 0;

	a->db = "results.db";
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--db", usage, &bad))) {
			a->db = v;
		} else if ((v = opt_value(argc, argv, &i, "--records", usage, &bad))) {
			a->dir = v;
		} else if ((v = opt_value(argc, argv, &i, "--campaign", usage, &bad))) {
			char *end;

			a->campaign = strtoll(v, &end, 10);
			if (!*v || *end || a->campaign <= 0)
				return gb_cli_usage_error(usage, "invalid --campaign '%s': expected a campaign id", v);
		} else if (bad) {
			return bad;
		} else {
			return gb_cli_usage_error(usage, "unknown argument '%s'", argv[i]);
		}
	}
	return bad;
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

static int cmd_collect(int argc, char **argv)
{
	struct dir_args a = { 0 };
	struct gb_shard_collect_summary s;
	struct gb_store *st = NULL;
	int ret;

	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(collect_usage);
	if ((ret = parse_dir_args(argc, argv, collect_usage, &a)))
		return ret;
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

static int cmd_status(int argc, char **argv)
{
	struct dir_args a = { 0 };
	struct gb_shard_status s = { 0 };
	enum gb_slurm_state *states = NULL;
	struct gb_store *st = NULL;
	size_t missing = 0;
	int queried = 0, ret = 1;

	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(status_usage);
	if ((ret = parse_dir_args(argc, argv, status_usage, &a)))
		return ret;
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

		missing += t->assigned - (t->ok + t->failed < t->assigned ? t->ok + t->failed : t->assigned);
		printf("%4u  %4zu  %4zu  %6zu  %5u  %-9s  %-11s  %s\n", i, t->assigned, t->ok, t->failed, t->starts,
		       gb_slurm_state_name(states[i]), gb_task_phase_name(ph), t->node[0] ? t->node : "-");
	}
	if (missing)
		printf("%zu runs not recorded yet; when no task is left running: greenbench campaign submit FILE --db %s --resume\n",
		       missing, a.db);
	ret = 0;
out:
	free(states);
	gb_shard_status_release(&s);
	gb_store_close(st);
	return gb_cli_finish(ret);
}

const struct gb_cmd gb_cli_campaign_cluster[] = {
	{ "submit", cmd_submit, "submit a campaign as a Slurm job array" },
	{ "task", cmd_task, "run one array task's share (the job's script runs it)" },
	{ "collect", cmd_collect, "merge the tasks' records into the database" },
	{ "status", cmd_status, "the tasks' progress from their records and from Slurm" },
	{ NULL, NULL, NULL },
};
