/*
 * A campaign on a cluster: the shared directory that array tasks run from
 * and write to, so that no task ever writes SQLite on a shared filesystem
 * (docs/cluster.md).
 *
 *   DIR/campaign.json          campaign id, experiment file, its text
 *   DIR/submission-K.json      submission K: its task count, the seqs it runs,
 *                              the Slurm job id once submitted
 *   DIR/submission-K.sbatch    its script (greenbench/slurm.h)
 *   DIR/records/sK-tI.jsonl    task I of submission K: one line per event
 *                              (start, idle, run), append-only, fsync'd
 *   DIR/logs/sK-tI.out         the task's output (Slurm's --output)
 *
 * Task I of a submission of N tasks runs the submission's seqs at
 * positions I, I+N, I+2N, ... (the planned order is already random), less
 * those recorded in any records file. `collect` inserts every run line
 * into the store; a seq that has a row is not stored again (UNIQUE
 * (campaign_id, seq)), so collecting twice, or a run recorded by two
 * tasks, stores one row. A resubmission lists only the seqs with neither a
 * row nor a run line.
 *
 * Ownership: strings given are borrowed; arrays returned are malloc'd and
 * freed by the caller with free() (gb_shard_status_free() for status).
 * Errors: 0 or negative errno with gb_error_msg() set ("cannot open
 * 'DIR/campaign.json': ..."). The library prints nothing.
 * Thread-safety: none; one process per records file (Slurm runs an array
 * task once at a time).
 */
#ifndef GREENBENCH_SHARD_H
#define GREENBENCH_SHARD_H

#include "greenbench/engine.h"
#include "greenbench/store.h"

#include <stddef.h>
#include <stdint.h>

/* Write DIR/campaign.json (created with DIR when missing; an existing
 * one must name the same campaign) and a new submission of nseqs seqs in
 * ntasks tasks; *submission is its number (1, 2, ...). */
int gb_shard_prepare(const char *dir, int64_t campaign, const char *file, const char *plan_text,
		     const int64_t *seqs, size_t nseqs, unsigned ntasks, int *submission);
/* Remember the Slurm job id of a submission (for status and resubmission). */
int gb_shard_set_job(const char *dir, int submission, const char *job_id);

struct gb_shard_submission {
	int submission;
	unsigned ntasks;
	int64_t *seqs;		/* malloc'd, in planned order */
	size_t nseqs;
	char job_id[32];	/* "" until submitted */
};
/* Submission k (0: the newest). -ENOENT when there is none. */
int gb_shard_submission_load(const char *dir, int k, struct gb_shard_submission *out);
void gb_shard_submission_release(struct gb_shard_submission *s);
/* The path of task's records file. */
int gb_shard_records_path(const char *dir, int submission, unsigned task, char *buf, size_t len);

/* Run one task's share through the engine (opts: run_cmd, zoo_dir, meter,
 * stop as for gb_campaign_engine_run(); plan, store, sink and planned are
 * set here). job_id and node go into the task's start line. */
struct gb_shard_task {
	const char *dir;
	int submission;		/* 0: the newest */
	unsigned task;		/* the array index, 0-based */
	const char *job_id, *node;	/* may be NULL */
};
int gb_shard_task_run(const struct gb_shard_task *t, const struct gb_engine_opts *engine,
		      const struct gb_engine_callbacks *cb, void *ctx, struct gb_engine_summary *sum);

struct gb_shard_collect_summary {
	int64_t campaign;
	size_t files, lines;
	size_t stored;		/* run rows inserted now */
	size_t already;		/* run lines whose seq had a row */
	size_t idle_stored;
	size_t torn;		/* last lines cut short by a killed task (ignored) */
	size_t done, total;	/* runs with a row after collecting, planned runs */
	int finished;		/* every planned run has a row: marked finished */
};
/* Merge every records file of DIR into the store (idempotent). */
int gb_shard_collect(struct gb_store *st, const char *dir, struct gb_shard_collect_summary *out);

/* The campaign id of DIR. */
int gb_shard_campaign(const char *dir, int64_t *campaign);

/* One task of a submission as its records say. */
struct gb_shard_task_status {
	unsigned task;
	size_t assigned;	/* seqs of its share */
	size_t ok, failed;	/* run lines for its share, from any file */
	unsigned starts;	/* start lines in its file (attempts) */
	char job_id[32], node[128];	/* of its last start line */
};
struct gb_shard_status {
	struct gb_shard_submission sub;
	struct gb_shard_task_status *tasks;	/* sub.ntasks entries */
};
int gb_shard_status_load(const char *dir, int submission, struct gb_shard_status *out);
void gb_shard_status_release(struct gb_shard_status *s);

/* Seqs that have a run line in some records file of DIR, as a bitmap of
 * nruns bytes (1: recorded). */
int gb_shard_recorded(const char *dir, size_t nruns, unsigned char **recorded);

#endif
