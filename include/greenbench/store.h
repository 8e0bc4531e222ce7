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
#define GB_STORE_SCHEMA_VERSION 7

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
/* The same, unless the campaign has this domain's baseline before this seq
 * already: then nothing is written and -EEXIST returned (collecting a
 * task's records twice). */
int gb_store_idle_insert_once(struct gb_store *st, int64_t campaign, int64_t before_seq,
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
	char zoo[64];		/* the zoo model; "" for a file */
	char converted_from[32]; /* the plan model's convert ("tf2onnx"); "" when none */
	double net_energy_j;	/* measured phase less idle (GPU and CPU domains); NAN: no baseline */
	double wall_s;		/* the child process, start to end; NAN: not known */
	struct gb_run_metrics m;
};
int gb_store_runs_load(struct gb_store *st, int64_t campaign,
		       struct gb_store_run **out, size_t *n);

/* The distinct environments a campaign's runs were measured in (one row
 * per host, CPU, kernel, GPUs, runtime and version), in run order. The
 * JSON texts are the records' "gpus" and "runtime" objects, cut at their
 * size. */
struct gb_store_environment {
	char host[128], cpu[128], kernel[128], version[64], runtime[32];
	char gpus_json[1024], runtime_json[2048];
	size_t nruns;
};
int gb_store_campaign_environment(struct gb_store *st, int64_t campaign, struct gb_store_environment **out,
				  size_t *n);

/* A run's energy in one phase: the sum over its GPU and CPU domains
 * (kinds gpu, cpu, package, dram), in phase order. */
struct gb_store_phase_energy {
	int64_t run;
	char phase[32];		/* "load", "first", "warmup", "measured" */
	double joules;
};
int gb_store_phase_energy_load(struct gb_store *st, int64_t campaign, struct gb_store_phase_energy **out,
			       size_t *n);

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

/* ---- the advisor's state (greenbench/advise.h) ---------------------------
 * An advice is keyed by the options that shape it; it keeps the time spent
 * across resumes, its candidates' screening and each measured round's
 * campaign, and its answer (JSON) once finished. */

/* The newest unfinished advice with this key; -ENOENT if none. */
int gb_store_advice_find(struct gb_store *st, const char *key, int64_t *id, uint64_t *spent_ns);
int gb_store_advice_create(struct gb_store *st, const char *key, const char *model, int64_t *id);
/* The time spent so far; with answer_json (else NULL), also finished. */
int gb_store_advice_update(struct gb_store *st, int64_t id, uint64_t spent_ns, const char *answer_json);

/* What an advice's screening cost in energy, over every call of it (a
 * resumed advice adds each call's share), so the cost it reports is the
 * whole advice's. */
struct gb_store_advice_energy {
	double screen_j, window_j;	/* J: all of screening, its measured windows; NAN: none */
	unsigned methods;		/* 1 << gb_energy_method of every figure in them */
	int open;	/* a call is adding its share: set at its start, cleared when added */
	int partial;	/* some call's share is missing (it was killed, or had no meter) */
};
int gb_store_advice_energy_load(struct gb_store *st, int64_t id, struct gb_store_advice_energy *e);
int gb_store_advice_energy_save(struct gb_store *st, int64_t id, const struct gb_store_advice_energy *e);

/* One candidate's screening; NAN: absent. */
struct gb_store_screen {
	size_t idx;
	char label[256];
	char status[16];	/* started (not finished), ok, rejected, failed, slow */
	char reason[512];
	unsigned batch;
	double energy_per_item_mj;
	char methods[48];
	double throughput_per_s, p99_ms, agreement, max_abs_diff, load_s, measured_s, wall_s;
	/* since schema 6 (NAN, 0 in older rows) */
	double accuracy, gpu_energy_per_item_mj, fresh_load_s, setup_s;
	int reused;
};
/* Replaces the candidate's earlier row (its "started" one). */
int gb_store_screen_insert(struct gb_store *st, int64_t advice, const struct gb_store_screen *r);
/* Drop a candidate's row (an interrupted screening, to be redone). */
int gb_store_screen_forget(struct gb_store *st, int64_t advice, size_t idx);
/* All of an advice's, by idx; *out malloc'd (NULL when none). */
int gb_store_screen_load(struct gb_store *st, int64_t advice, struct gb_store_screen **out, size_t *n);
int gb_store_advice_round_insert(struct gb_store *st, int64_t advice, unsigned round, int64_t campaign);
/* The campaign of each round, in round order; *campaigns malloc'd. */
int gb_store_advice_rounds_load(struct gb_store *st, int64_t advice, int64_t **campaigns, size_t *n);

#endif
