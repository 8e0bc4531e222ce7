/*
 * Slurm, as the cluster's scheduler: greenbench writes a job array's
 * script, submits it with sbatch and asks squeue/sacct how its tasks are
 * doing. It schedules nothing itself (docs/cluster.md).
 *
 * The script's tasks run `greenbench campaign task` on a share of the
 * campaign's planned order and write their records into the shared
 * directory (greenbench/shard.h).
 *
 * Ownership: text returned is malloc'd (free()); arrays too. Errors: 0 or
 * negative errno with gb_error_msg() set ("sbatch: ...", "cannot run
 * 'sbatch': ..."). Thread-safety: no state; the commands run as children
 * through the launcher (greenbench/proc.h) with bounded waits.
 */
#ifndef GREENBENCH_SLURM_H
#define GREENBENCH_SLURM_H

#include <stddef.h>
#include <stdint.h>

struct gb_slurm_job {
	const char *greenbench;	/* absolute path of the greenbench tasks run */
	const char *dir;	/* the shared directory, absolute */
	int submission;
	unsigned ntasks;	/* array indices 0 .. ntasks-1 */
	const char *name;	/* --job-name */
	const char *partition;	/* NULL: the cluster's default */
	unsigned gpus_per_task;	/* --gres=gpu:N; 0: none asked */
	unsigned max_parallel;	/* the %K of --array; 0: no limit */
	int shared;		/* 0: --exclusive (whole nodes); 1: share nodes */
	const char *time_limit;	/* --time; NULL: the partition's */
};

/* The sbatch script. -EINVAL for a path or name that cannot be written
 * into an #SBATCH line (whitespace, quotes) or an empty array. */
int gb_slurm_script(const struct gb_slurm_job *j, char **text);

/* sbatch --parsable SCRIPT: the job id it answers. timeout_ns bounds the
 * wait (0: 60 s). */
int gb_slurm_submit(const char *script, uint64_t timeout_ns, char *job_id, size_t len);

enum gb_slurm_state {
	GB_SLURM_UNKNOWN,	/* neither squeue nor sacct knows it */
	GB_SLURM_PENDING,
	GB_SLURM_RUNNING,	/* RUNNING, COMPLETING, CONFIGURING, ... */
	GB_SLURM_COMPLETED,
	GB_SLURM_FAILED,	/* FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, ... */
};
const char *gb_slurm_state_name(enum gb_slurm_state s);
/* A Slurm state word ("RUNNING", "CANCELLED by 0") as one of ours. */
enum gb_slurm_state gb_slurm_state_parse(const char *word);

/* Parse squeue -h -r -o '%i %T' or sacct -n -P -X -o JobID,State output
 * (separator ' ' or '|') for array job_id: states[i] for task i < ntasks
 * is set for every line naming job_id_i or a range job_id_[a-b,c]; other
 * lines are ignored. Entries not named are left as they were. */
void gb_slurm_parse_states(const char *text, const char *job_id, enum gb_slurm_state *states,
			   size_t ntasks);

/* The tasks' states: sacct first (where accounting is on), then squeue,
 * whose view of live tasks wins. Each command is bounded by timeout_ns
 * (0: 30 s); one that is missing or fails is skipped, so states may stay
 * UNKNOWN. *queried: how many of the two answered. */
int gb_slurm_states(const char *job_id, enum gb_slurm_state *states, size_t ntasks, uint64_t timeout_ns,
		    int *queried);

/* What a task of a submission is doing, from its records and Slurm. */
enum gb_task_phase {
	GB_TASK_DONE,		/* every run of its share is recorded */
	GB_TASK_PENDING,
	GB_TASK_RUNNING,
	GB_TASK_DIED,		/* ended (or gone from the queue) with runs missing */
	GB_TASK_NOT_STARTED,	/* no start line and not in the queue */
	GB_TASK_UNKNOWN,	/* runs missing and Slurm could not be asked */
};
struct gb_shard_task_status;
/* queried: whether squeue or sacct answered (gb_slurm_states()). */
enum gb_task_phase gb_slurm_task_phase(const struct gb_shard_task_status *t, enum gb_slurm_state st,
				       int queried);
const char *gb_task_phase_name(enum gb_task_phase p);

/*
 * `campaign submit`: store the plan (a new campaign, or with resume the
 * newest of this file's text, whose records are collected first), list the
 * planned runs with neither a row nor a records line, write the shared
 * directory's submission and its script, and sbatch it (not with dry_run:
 * then everything is written but nothing submitted). A resubmission is
 * refused while the previous submission still has tasks pending or
 * running (they would run the same seqs twice).
 */
struct gb_slurm_submit_opts {
	const char *file, *db;
	const char *dir;	/* shared directory; NULL: DB-records/campaign-ID */
	int resume;
	unsigned ntasks;	/* 0: one per configuration, at most one per run */
	struct gb_slurm_job job;	/* partition, gpus_per_task, max_parallel, shared,
					 * time_limit; greenbench NULL: this executable;
					 * dir, submission, ntasks and name are set here */
	int dry_run;
	uint64_t timeout_ns;	/* each Slurm command; 0: the defaults */
};

struct gb_slurm_submit_result {
	int64_t campaign;
	int resumed, submission;
	unsigned ntasks;
	size_t total, todo;	/* planned runs; runs this submission runs */
	size_t collected;	/* run rows stored from records before submitting */
	char dir[4096], script_path[4200];
	char *script;		/* malloc'd; gb_slurm_submit_result_release() */
	char job_id[32];	/* "" with dry_run, or when nothing was left to run */
};
int gb_slurm_campaign_submit(const struct gb_slurm_submit_opts *o, struct gb_slurm_submit_result *r);
void gb_slurm_submit_result_release(struct gb_slurm_submit_result *r);

#endif
