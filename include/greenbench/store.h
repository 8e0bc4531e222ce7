/*
 * The campaign store: SQLite in WAL mode.
 *
 * A campaign's plan (the experiment file's text, seed, configurations and
 * the run order) is written when it starts; each run is then inserted in
 * one transaction as it ends (run row, phases, per-domain energy, latency,
 * series, environment, and the whole record JSON), so a kill loses at most
 * the run in flight and `--resume` re-runs exactly the planned runs that
 * have no row. The tables are described in docs/campaigns.md; the run
 * table's figures are GB_RUN_METRICS (record.h), read from each record by
 * gb_run_metrics_extract(). The schema is versioned (PRAGMA user_version)
 * and older databases are migrated when opened.
 *
 * Ownership: gb_store_open() returns a handle freed by gb_store_close().
 * Arrays and names returned by *_load(), *_columns() and *_domains() are
 * malloc'd; the caller free()s them. Absent numbers are NAN in struct
 * gb_run_metrics and NULL in SQL, never 0.
 *
 * Thread-safety: one handle per thread. Several processes may read a
 * database while one campaign writes it (WAL).
 */
#ifndef GREENBENCH_STORE_H
#define GREENBENCH_STORE_H

#include "greenbench/record.h"

#include <stddef.h>
#include <stdint.h>

struct gb_plan;
struct cJSON;
struct gb_store;

/* The schema version this program writes (PRAGMA user_version). */
#define GB_STORE_SCHEMA_VERSION 3

/* Open or create a results database, migrating an older one to
 * GB_STORE_SCHEMA_VERSION in one transaction. Refused, with the file left
 * as it was: a database of a newer greenbench (-EPROTONOSUPPORT), a file
 * that is not SQLite or holds tables that are not greenbench's (-EINVAL). */
int gb_store_open(const char *path, struct gb_store **out);
void gb_store_close(struct gb_store *st);

/* A new campaign: plan text, configurations and run order, one transaction. */
int gb_store_campaign_create(struct gb_store *st, const struct gb_plan *p,
			     const char *plan_text, int64_t *campaign);
/* The newest campaign started from exactly this plan text; -ENOENT if none.
 * Also checks that its stored configurations are the plan's. */
int gb_store_campaign_find(struct gb_store *st, const struct gb_plan *p,
			   const char *plan_text, int64_t *campaign);
/* The newest campaign of all; -ENOENT if the database has none. */
int gb_store_campaign_latest(struct gb_store *st, int64_t *campaign);
int gb_store_campaign_finish(struct gb_store *st, int64_t campaign);

struct gb_store_planned {
	int64_t seq;	/* position in execution order, 0-based */
	size_t config;	/* index into the plan's configs */
	unsigned rep;
	int done;	/* a run row exists (ok or failed) */
};
int gb_store_planned_load(struct gb_store *st, int64_t campaign,
			  struct gb_store_planned **out, size_t *n);
/* Plan one more run of configuration config (repetition rep) at the end
 * of the order (reps: auto); *seq is its position. */
int gb_store_planned_add(struct gb_store *st, int64_t campaign, size_t config, unsigned rep, int64_t *seq);

struct gb_store_run_in {
	int64_t seq;
	size_t config;
	unsigned rep;
	int ok;
	const char *reason;	/* failed runs: one line; NULL otherwise */
	const char *stderr_tail; /* may be NULL */
	const char *record_json; /* may be NULL for a run that printed none */
	double wall_s;
};
/* Insert one finished run and everything extracted from its record, in
 * one transaction. -EEXIST if this seq already has a row. */
int gb_store_run_insert(struct gb_store *st, int64_t campaign, const struct gb_store_run_in *in);

/* Move the campaign's failed runs into the attempt table (history: they
 * stay there, with when they were retried) so that a resume runs them
 * again; one transaction. *n: how many moved. */
int gb_store_runs_retry_failed(struct gb_store *st, int64_t campaign, size_t *n);
/* Failed attempts of the campaign that were later retried. */
int gb_store_attempts_count(struct gb_store *st, int64_t campaign, size_t *n);

int gb_store_idle_insert(struct gb_store *st, int64_t campaign, int64_t before_seq,
			 double duration_s, const char *domain, double power_w, double temp_c);

/* A stored run joined with its configuration, for reports. */
struct gb_store_run {
	int64_t id, seq;
	size_t config;
	unsigned rep;
	int ok;
	char model[96], runtime[32], ep[32], label[96];
	unsigned batch;
	char reason[256];
	struct gb_run_metrics m;
};
int gb_store_runs_load(struct gb_store *st, int64_t campaign,
		       struct gb_store_run **out, size_t *n);

struct gb_store_campaign_info {
	int64_t id;
	char name[128], file[512], created_at[32], finished_at[32];
	uint64_t seed;
	size_t nruns_planned, nruns_done;
};
int gb_store_campaign_info(struct gb_store *st, int64_t campaign, struct gb_store_campaign_info *out);

/* One column of a run's time series (e.g. "gpu0.power_mw"), in row order. */
int gb_store_series_load(struct gb_store *st, int64_t run, const char *column,
			 double **t_s, double **values, size_t *n);
/* Names of the series columns of a run, newline-separated, malloc'd. */
int gb_store_series_columns(struct gb_store *st, int64_t run, char **names);
/* Names of a run's domains of one kind (gb_domain_kind_name(): "gpu"), in
 * record order, newline-separated, malloc'd ("" when none). */
int gb_store_run_domains(struct gb_store *st, int64_t run, const char *kind, char **names);

#endif
