/*
 * The campaign store in SQLite (WAL, synchronous=FULL so a committed run
 * survives even a power cut). Schema in docs/campaigns.md.
 */
#include "greenbench/store.h"
#include "greenbench/error.h"
#include "greenbench/plan.h"
#include "greenbench/record.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>

struct gb_store {
	sqlite3 *db;
	char path[1024];
};

/*
 * Schema version 1, the tables of the first results databases (which have
 * user_version 0). Never edit it: a change is a new migration below. The
 * run table's figure columns are those of GB_RUN_METRICS with since 1.
 */
static const char schema_v1_head[] =
	"CREATE TABLE IF NOT EXISTS campaign(id INTEGER PRIMARY KEY, name TEXT, file TEXT,"
	" plan_text TEXT NOT NULL, seed INTEGER, nruns INTEGER, created_at TEXT, finished_at TEXT);"
	"CREATE TABLE IF NOT EXISTS configuration(campaign_id INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" key TEXT, model TEXT, model_file TEXT, zoo TEXT, runtime TEXT, ep TEXT, label TEXT, batch INTEGER,"
	" dims_json TEXT, options_json TEXT, PRIMARY KEY(campaign_id, idx));"
	"CREATE TABLE IF NOT EXISTS planned(campaign_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" config_idx INTEGER NOT NULL, rep INTEGER NOT NULL, PRIMARY KEY(campaign_id, seq));"
	"CREATE TABLE IF NOT EXISTS run(id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, config_idx INTEGER NOT NULL, rep INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK(status IN ('ok','failed')), reason TEXT, stderr_tail TEXT,"
	" finished_at TEXT, wall_s REAL,";
/* (the figure columns) */
static const char schema_v1_tail[] =
	" record_json TEXT, UNIQUE(campaign_id, seq));"
	"CREATE TABLE IF NOT EXISTS phase(run_id INTEGER NOT NULL, idx INTEGER NOT NULL, name TEXT,"
	" duration_s REAL, iterations REAL, items REAL, cpu_user_s REAL, cpu_system_s REAL,"
	" PRIMARY KEY(run_id, idx));"
	"CREATE TABLE IF NOT EXISTS energy(run_id INTEGER NOT NULL, phase TEXT, domain TEXT,"
	" joules REAL, method TEXT, net_joules REAL, power_mean_w REAL, power_peak_w REAL,"
	" util_gpu_mean_pct REAL, util_gpu_sd_pct REAL, mem_used_pct REAL);"
	"CREATE TABLE IF NOT EXISTS unavailable(run_id INTEGER NOT NULL, phase TEXT, what TEXT, reason TEXT);"
	"CREATE TABLE IF NOT EXISTS latency(run_id INTEGER PRIMARY KEY, n REAL, mean_ns REAL, sd_ns REAL,"
	" p50_ns REAL, p90_ns REAL, p99_ns REAL, min_ns REAL, max_ns REAL);"
	"CREATE TABLE IF NOT EXISTS series(run_id INTEGER NOT NULL, row INTEGER NOT NULL,"
	" t_ns REAL, col TEXT NOT NULL, value REAL);"
	"CREATE INDEX IF NOT EXISTS series_run ON series(run_id, col, row);"
	"CREATE TABLE IF NOT EXISTS environment(run_id INTEGER PRIMARY KEY, host TEXT, cpu TEXT,"
	" kernel TEXT, gpus_json TEXT, runtime_json TEXT, greenbench_version TEXT);"
	"CREATE TABLE IF NOT EXISTS idle(id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL,"
	" before_seq INTEGER, measured_at TEXT, duration_s REAL, domain TEXT, power_w REAL, temp_c REAL);";

/*
 * Migrations: the step from version `from` to from + 1, applied in order
 * in one transaction on open. A step also adds the run-table columns of
 * the figures whose `since` is from + 1 (GB_RUN_METRICS), so a new figure
 * needs no SQL here.
 */
static const struct migration {
	int from;
	const char *sql;
} migrations[] = {
	/* 1 -> 2: each domain's kind, so readers select GPUs by kind, not by
	 * name. Older runs get it from their stored record, which has said
	 * "kind" since schema 1. */
	{ 1, "ALTER TABLE energy ADD COLUMN kind TEXT;"
	     "UPDATE energy SET kind = (SELECT json_extract(p.value, '$.energy.\"' || energy.domain || '\".kind')"
	     " FROM run r, json_each(CASE WHEN json_valid(r.record_json) THEN r.record_json ELSE '{}' END, '$.phases') p"
	     " WHERE r.id = energy.run_id AND json_extract(p.value, '$.name') IS energy.phase);" },
	/* 2 -> 3: the advisor's state (greenbench/advise.h): each advice, its
	 * candidates' screening and the campaign of each measured round. */
	{ 2, "CREATE TABLE advice(id INTEGER PRIMARY KEY, key TEXT NOT NULL, model TEXT, created_at TEXT,"
	     " finished_at TEXT, spent_ns INTEGER NOT NULL DEFAULT 0, answer_json TEXT);"
	     "CREATE TABLE advice_screen(advice_id INTEGER NOT NULL REFERENCES advice(id), idx INTEGER NOT NULL,"
	     " label TEXT NOT NULL,"
	     " status TEXT NOT NULL CHECK(status IN ('started','ok','rejected','failed','slow')),"
	     " reason TEXT, batch INTEGER, energy_per_item_mj REAL, energy_methods TEXT, throughput_per_s REAL,"
	     " p99_ms REAL, agreement REAL, max_abs_diff REAL, load_s REAL, measured_s REAL, wall_s REAL,"
	     " PRIMARY KEY(advice_id, idx));"
	     "CREATE TABLE advice_round(advice_id INTEGER NOT NULL REFERENCES advice(id), round INTEGER NOT NULL,"
	     " campaign_id INTEGER NOT NULL REFERENCES campaign(id), PRIMARY KEY(advice_id, round));" },
	/* 3 -> 4: which framework's model a configuration's model was
	 * converted from (the plan model's `convert`), so reports pair a
	 * framework's own model with its converted one. NULL: not converted,
	 * or not known (older campaigns). */
	{ 3, "ALTER TABLE configuration ADD COLUMN converted_from TEXT;" },
	/* 4 -> 5: verdicts (their run columns come from GB_RUN_METRICS;
	 * older records have no checks, so their verdict stays absent) and
	 * the failed attempts that --retry-failed ran again, kept as
	 * history. */
	{ 4, "CREATE TABLE IF NOT EXISTS attempt(id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL,"
	     " seq INTEGER NOT NULL, config_idx INTEGER NOT NULL, rep INTEGER NOT NULL, reason TEXT,"
	     " stderr_tail TEXT, finished_at TEXT, wall_s REAL, record_json TEXT, retried_at TEXT);" },
	/* 5 -> 6: what the advisor's cheaper screening knows of a candidate:
	 * its accuracy on --data, the GPUs' energy per item, what loading it
	 * afresh and its first batch cost (the rounds' estimates), and whether
	 * it ran on a session reused from another candidate. */
	{ 5, "ALTER TABLE advice_screen ADD COLUMN accuracy REAL;"
	     "ALTER TABLE advice_screen ADD COLUMN gpu_energy_per_item_mj REAL;"
	     "ALTER TABLE advice_screen ADD COLUMN fresh_load_s REAL;"
	     "ALTER TABLE advice_screen ADD COLUMN setup_s REAL;"
	     "ALTER TABLE advice_screen ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;" },
	/* 6 -> 7: the screening's energy over every call of an advice, so a
	 * resumed one reports the whole cost. An unfinished advice from
	 * before has calls whose share was never kept: partial. */
	{ 6, "ALTER TABLE advice ADD COLUMN screen_energy_j REAL;"
	     "ALTER TABLE advice ADD COLUMN screen_window_energy_j REAL;"
	     "ALTER TABLE advice ADD COLUMN screen_energy_methods INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE advice ADD COLUMN screen_energy_open INTEGER NOT NULL DEFAULT 0;"
	     "ALTER TABLE advice ADD COLUMN screen_energy_partial INTEGER NOT NULL DEFAULT 0;"
	     "UPDATE advice SET screen_energy_partial = 1 WHERE spent_ns > 0;" },
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(NMIGRATIONS + 1 == GB_STORE_SCHEMA_VERSION, "one migration per schema version after 1");

/* The run table's figure columns: gb_run_metric_table (numbers as REAL,
 * texts as TEXT), one list for the schema, insert and load. */
#define NCOLS gb_run_metric_count
#define COL gb_run_metric_table

/* Every column belongs to a version this program knows. */
#define SINCE_OK(field, since) \
	_Static_assert(since >= 1 && since <= GB_STORE_SCHEMA_VERSION, "schema version of column " #field);
#define NUM_SINCE_OK(field, since, ...) SINCE_OK(field, since)
#define TEXT_SINCE_OK(field, size, since, ...) SINCE_OK(field, since)
GB_RUN_METRICS(NUM_SINCE_OK)
GB_RUN_METRICS_TEXT(TEXT_SINCE_OK)
#undef NUM_SINCE_OK
#undef TEXT_SINCE_OK
#undef SINCE_OK

static int db_err(struct gb_store *st, int rc, const char *what)
{
	int err = rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_CONSTRAINT ? -EEXIST :
		  (rc & 0xff) == SQLITE_BUSY ? -EBUSY : (rc & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
	int base = rc & 0xff;

	/* What a person can do about it, for the failures that are theirs. */
	if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB)
		return gb_error_set(-EIO, "cannot %s in '%s': the database is damaged (%s); nothing was changed: "
				    "restore it from a copy, or use a new --db", what, st->path, sqlite3_errstr(rc));
	if (base == SQLITE_FULL)
		return gb_error_set(err, "cannot %s in '%s': the disk is full (%s); what was stored before is intact",
				    what, st->path, sqlite3_errstr(rc));
	return gb_error_set(err, "cannot %s in '%s': %s", what, st->path, sqlite3_errmsg(st->db));
}

static int exec(struct gb_store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_err(st, rc, what);
}

static int prep(struct gb_store *st, const char *sql, sqlite3_stmt **s)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

	return rc == SQLITE_OK ? 0 : db_err(st, rc, "prepare a query");
}

/* Run a prepared statement to completion and finalize it. */
static int step_done(struct gb_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, rc, what);
}

static void bind_num(sqlite3_stmt *s, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, v);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static double col_num(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static void col_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

/* Step s to the end, one zeroed element of elsize per row filled by fill();
 * finalizes s. *out is malloc'd (NULL when no row). */
static int load_rows(struct gb_store *st, sqlite3_stmt *s, size_t elsize, void (*fill)(sqlite3_stmt *, void *),
		     const char *what, void **out, size_t *n)
{
	char *arr = NULL;
	size_t cap = 0, cnt = 0;
	int ret = 0, rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			char *na = realloc(arr, cap * elsize);
			if (!na) {
				ret = gb_error_set(-ENOMEM, "out of memory");
				goto out;
			}
			arr = na;
		}
		memset(arr + cnt * elsize, 0, elsize);
		fill(s, arr + cnt++ * elsize);
	}
	if (rc != SQLITE_DONE)
		ret = db_err(st, rc, what);
out:
	sqlite3_finalize(s);
	if (ret) {
		free(arr);
		return ret;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The version-1 schema as SQL, malloc'd (NULL when out of memory). */
static char *schema_v1_sql(void)
{
	size_t len = sizeof schema_v1_head + sizeof schema_v1_tail, off;
	char *sql;

	for (size_t i = 0; i < NCOLS; i++)
		len += strlen(COL[i].name) + 8;
	sql = malloc(len);
	if (!sql)
		return NULL;
	off = (size_t)snprintf(sql, len, "%s", schema_v1_head);
	for (size_t i = 0; i < NCOLS; i++)
		if (COL[i].since == 1)
			off += (size_t)snprintf(sql + off, len - off, " %s %s,", COL[i].name,
						COL[i].text_size ? "TEXT" : "REAL");
	snprintf(sql + off, len - off, "%s", schema_v1_tail);
	return sql;
}

static int not_sqlite(struct gb_store *st, int rc)
{
	if (rc == SQLITE_NOTADB)
		return gb_error_set(-EINVAL, "cannot open database '%s': it is not an SQLite database", st->path);
	return db_err(st, rc, "read the schema version");
}

static int read_version(struct gb_store *st, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return not_sqlite(st, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : not_sqlite(st, rc);
}

static int too_new(struct gb_store *st, int version)
{
	return gb_error_set(-EPROTONOSUPPORT, "cannot open database '%s': its schema version %d is newer than "
			    "this greenbench's (%d); use a newer greenbench", st->path, version, GB_STORE_SCHEMA_VERSION);
}

/* Is table `name` one of version 1's? Asked of an in-memory database made
 * from the version-1 schema, so no second list of names exists. */
static int v1_has_table(sqlite3 *v1, const char *name)
{
	sqlite3_stmt *s = NULL;
	int found;

	if (sqlite3_prepare_v2(v1, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &s, NULL))
		return 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* A database without a version is new (no tables) or was made before
 * versions existed: then its tables are all version 1's. Any other table
 * means the file belongs to something else. */
static int check_unversioned(struct gb_store *st)
{
	sqlite3 *v1 = NULL;
	sqlite3_stmt *s = NULL;
	char *sql = schema_v1_sql();
	int ret = 0, rc;

	if (!sql || sqlite3_open(":memory:", &v1) != SQLITE_OK ||
	    sqlite3_exec(v1, sql, NULL, NULL, NULL) != SQLITE_OK) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = prep(st, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'", &s)))
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		if (!v1_has_table(v1, name)) {
			ret = gb_error_set(-EINVAL, "cannot open database '%s': it is not a greenbench results database "
					   "(it has a table '%s')", st->path, name);
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		ret = not_sqlite(st, rc);
out:
	sqlite3_finalize(s);
	sqlite3_close(v1);
	free(sql);
	return ret;
}

/* The figure columns that schema version `version` adds to the run table. */
static int add_metric_columns(struct gb_store *st, int version)
{
	char sql[256];
	int ret;

	for (size_t i = 0; i < NCOLS; i++) {
		if (COL[i].since != version)
			continue;
		snprintf(sql, sizeof sql, "ALTER TABLE run ADD COLUMN %s %s", COL[i].name,
			 COL[i].text_size ? "TEXT" : "REAL");
		if ((ret = exec(st, sql, "add a column to the run table")))
			return ret;
	}
	return 0;
}

/* Bring the database to GB_STORE_SCHEMA_VERSION in one transaction; the
 * version is read again inside it, as another process may have migrated
 * it meanwhile. */
static int migrate(struct gb_store *st)
{
	char *v1 = NULL, sql[64];
	int version = 0, ret;

	if (sqlite3_db_readonly(st->db, "main") == 1)
		return gb_error_set(-EROFS, "cannot open database '%s': it is read-only and needs an upgrade to "
				    "schema version %d", st->path, GB_STORE_SCHEMA_VERSION);
	if ((ret = exec(st, "BEGIN IMMEDIATE", "begin a transaction")))
		return ret;
	if ((ret = read_version(st, &version)))
		goto out;
	if (version > GB_STORE_SCHEMA_VERSION) {
		ret = too_new(st, version);
		goto out;
	}
	if (version == 0) {
		if (!(v1 = schema_v1_sql())) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		if ((ret = exec(st, v1, "create the tables")))
			goto out;
		version = 1;
	}
	for (; version < GB_STORE_SCHEMA_VERSION; version++)
		if ((ret = exec(st, migrations[version - 1].sql, "migrate the tables")) ||
		    (ret = add_metric_columns(st, version + 1)))
			goto out;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", GB_STORE_SCHEMA_VERSION);
	if ((ret = exec(st, sql, "set the schema version")))
		goto out;
	ret = exec(st, "COMMIT", "commit the migration");
out:
	if (ret)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	free(v1);
	return ret;
}

int gb_store_open(const char *path, struct gb_store **out)
{
	struct gb_store *st = calloc(1, sizeof *st);
	int rc, ret = 0, version = 0;

	*out = NULL;
	if (!st)
		return gb_error_set(-ENOMEM, "out of memory");
	snprintf(st->path, sizeof st->path, "%s", path);
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		ret = gb_error_set(-EIO, "cannot open database '%s': %s", path,
				   st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* Look before writing anything: a file that is refused stays as it was. */
	if ((ret = read_version(st, &version)))
		goto out;
	if (version > GB_STORE_SCHEMA_VERSION) {
		ret = too_new(st, version);
		goto out;
	}
	if (version == 0 && (ret = check_unversioned(st)))
		goto out;
	/* Read every table's schema once: a damaged file says so now, before
	 * anything is written. */
	if ((ret = exec(st, "SELECT count(*) FROM sqlite_master", "read the schema")))
		goto out;
	if ((ret = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			"set up the journal")))
		goto out;
	if (version < GB_STORE_SCHEMA_VERSION && (ret = migrate(st)))
		goto out;
	*out = st;
	st = NULL;
out:
	gb_store_close(st);
	return ret;
}

void gb_store_close(struct gb_store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

static char *kvs_json(const struct gb_plan_kv *kv, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	for (size_t i = 0; o && i < n; i++)
		cJSON_AddStringToObject(o, kv[i].key, kv[i].value);
	s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	return s;
}

static int insert_config(struct gb_store *st, int64_t campaign, const struct gb_plan *p, size_t i)
{
	const struct gb_plan_config *c = &p->configs[i];
	const struct gb_plan_model *m = &p->models[c->model];
	const struct gb_plan_runtime *r = &p->runtimes[c->runtime];
	char key[512], *dims = kvs_json(m->dims, m->ndims), *opts = kvs_json(r->options, r->noptions);
	sqlite3_stmt *s = NULL;
	int ret;

	if (!dims || !opts) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	gb_plan_config_key(p, i, key, sizeof key);
	if ((ret = prep(st, "INSERT INTO configuration(campaign_id, idx, key, model, model_file, zoo, runtime, ep,"
			" label, batch, dims_json, options_json, converted_from) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", &s)))
		goto out;
	sqlite3_bind_int64(s, 1, campaign);
	sqlite3_bind_int64(s, 2, (int64_t)i);
	bind_text(s, 3, key);
	bind_text(s, 4, m->name);
	bind_text(s, 5, m->file);
	bind_text(s, 6, m->zoo);
	bind_text(s, 7, r->runtime);
	bind_text(s, 8, r->ep);
	bind_text(s, 9, r->label);
	sqlite3_bind_int64(s, 10, c->batch);
	bind_text(s, 11, dims);
	bind_text(s, 12, opts);
	bind_text(s, 13, m->convert);
	ret = step_done(st, s, "store a configuration");
out:
	free(dims);
	free(opts);
	return ret;
}

int gb_store_campaign_create(struct gb_store *st, const struct gb_plan *p,
			     const char *plan_text, int64_t *campaign)
{
	sqlite3_stmt *s = NULL;
	char now[32];
	int ret;

	if ((ret = exec(st, "BEGIN IMMEDIATE", "begin a transaction")))
		return ret;
	now_iso(now, sizeof now);
	if ((ret = prep(st, "INSERT INTO campaign(name, file, plan_text, seed, nruns, created_at) VALUES(?,?,?,?,?,?)", &s)))
		goto out;
	bind_text(s, 1, p->name);
	bind_text(s, 2, p->path);
	sqlite3_bind_text(s, 3, plan_text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (int64_t)p->seed);
	sqlite3_bind_int64(s, 5, (int64_t)p->nruns);
	bind_text(s, 6, now);
	if ((ret = step_done(st, s, "store the campaign")))
		goto out;
	*campaign = sqlite3_last_insert_rowid(st->db);
	for (size_t i = 0; i < p->nconfigs; i++)
		if ((ret = insert_config(st, *campaign, p, i)))
			goto out;
	for (size_t i = 0; i < p->nruns; i++) {
		if ((ret = prep(st, "INSERT INTO planned VALUES(?,?,?,?)", &s)))
			goto out;
		sqlite3_bind_int64(s, 1, *campaign);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		sqlite3_bind_int64(s, 3, (int64_t)p->runs[i].config);
		sqlite3_bind_int64(s, 4, p->runs[i].rep);
		if ((ret = step_done(st, s, "store the run order")))
			goto out;
	}
	ret = exec(st, "COMMIT", "commit the campaign");
out:
	if (ret)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int gb_store_campaign_find(struct gb_store *st, const struct gb_plan *p,
			   const char *plan_text, int64_t *campaign)
{
	sqlite3_stmt *s = NULL;
	char key[512], stored[512];
	size_t n = 0;
	int ret, rc;

	if ((ret = prep(st, "SELECT id FROM campaign WHERE plan_text = ? ORDER BY id DESC LIMIT 1", &s)))
		return ret;
	sqlite3_bind_text(s, 1, plan_text, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return db_err(st, rc, "look up the campaign");
		return gb_error_set(-ENOENT, "no campaign of '%s' in '%s' to resume (the experiment file must be unchanged)",
				    p->path, st->path);
	}
	*campaign = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if ((ret = prep(st, "SELECT idx, key FROM configuration WHERE campaign_id = ? ORDER BY idx", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, *campaign);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t idx = (size_t)sqlite3_column_int64(s, 0);
		col_text(s, 1, stored, sizeof stored);
		if (idx >= p->nconfigs)
			break;
		gb_plan_config_key(p, idx, key, sizeof key);
		if (strcmp(key, stored))
			break;
		n++;
	}
	sqlite3_finalize(s);
	if (n != p->nconfigs)
		return gb_error_set(-EINVAL, "campaign %lld in '%s' has other configurations than '%s' gives now; start a new campaign",
				    (long long)*campaign, st->path, p->path);
	return 0;
}

int gb_store_campaign_latest(struct gb_store *st, int64_t *campaign)
{
	sqlite3_stmt *s = NULL;
	int ret, rc;

	if ((ret = prep(st, "SELECT max(id) FROM campaign", &s)))
		return ret;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*campaign = sqlite3_column_int64(s, 0);
	else
		ret = rc == SQLITE_ROW ? gb_error_set(-ENOENT, "no campaign in '%s'", st->path)
				       : db_err(st, rc, "look up campaigns");
	sqlite3_finalize(s);
	return ret;
}

int gb_store_campaign_finish(struct gb_store *st, int64_t campaign)
{
	sqlite3_stmt *s = NULL;
	char now[32];
	int ret;

	now_iso(now, sizeof now);
	if ((ret = prep(st, "UPDATE campaign SET finished_at = ? WHERE id = ?", &s)))
		return ret;
	bind_text(s, 1, now);
	sqlite3_bind_int64(s, 2, campaign);
	return step_done(st, s, "mark the campaign finished");
}

int gb_store_campaign_info(struct gb_store *st, int64_t campaign, struct gb_store_campaign_info *out)
{
	sqlite3_stmt *s = NULL;
	int ret, rc;

	if ((ret = prep(st, "SELECT name, file, created_at, finished_at, seed, nruns,"
			" (SELECT count(*) FROM run WHERE campaign_id = c.id) FROM campaign c WHERE id = ?", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = campaign;
		col_text(s, 0, out->name, sizeof out->name);
		col_text(s, 1, out->file, sizeof out->file);
		col_text(s, 2, out->created_at, sizeof out->created_at);
		col_text(s, 3, out->finished_at, sizeof out->finished_at);
		out->seed = (uint64_t)sqlite3_column_int64(s, 4);
		out->nruns_planned = (size_t)sqlite3_column_int64(s, 5);
		out->nruns_done = (size_t)sqlite3_column_int64(s, 6);
	} else {
		ret = rc == SQLITE_DONE ? gb_error_set(-ENOENT, "no campaign %lld in '%s'", (long long)campaign, st->path)
					: db_err(st, rc, "read the campaign");
	}
	sqlite3_finalize(s);
	return ret;
}

static void planned_fill(sqlite3_stmt *s, void *item)
{
	struct gb_store_planned *p = item;

	p->seq = sqlite3_column_int64(s, 0);
	p->config = (size_t)sqlite3_column_int64(s, 1);
	p->rep = (unsigned)sqlite3_column_int64(s, 2);
	p->done = sqlite3_column_int(s, 3);
}

int gb_store_planned_load(struct gb_store *st, int64_t campaign,
			  struct gb_store_planned **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *rows;
	int ret;

	if ((ret = prep(st, "SELECT p.seq, p.config_idx, p.rep, r.id IS NOT NULL FROM planned p"
			" LEFT JOIN run r ON r.campaign_id = p.campaign_id AND r.seq = p.seq"
			" WHERE p.campaign_id = ? ORDER BY p.seq", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	if (!(ret = load_rows(st, s, sizeof **out, planned_fill, "read the run order", &rows, n)))
		*out = rows;
	return ret;
}

/* ---- one run ------------------------------------------------------------ */

static int insert_energy(struct gb_store *st, int64_t run, const char *phase, const cJSON *energy)
{
	const cJSON *d;
	sqlite3_stmt *s = NULL;
	int ret;

	cJSON_ArrayForEach(d, energy) {
		struct gb_record_domain rd;
		const struct gb_domain_energy *e = &rd.e;

		if (gb_record_domain_read(d, &rd) < 0)
			continue;
		if ((ret = prep(st, "INSERT INTO energy(run_id, phase, domain, kind, joules, method, net_joules,"
				" power_mean_w, power_peak_w, util_gpu_mean_pct, util_gpu_sd_pct, mem_used_pct)"
				" VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &s)))
			return ret;
		sqlite3_bind_int64(s, 1, run);
		bind_text(s, 2, phase);
		bind_text(s, 3, rd.name);
		bind_text(s, 4, rd.kind_valid ? gb_domain_kind_name(rd.kind) : NULL);
		bind_num(s, 5, e->energy_valid ? e->energy_j : NAN);
		bind_text(s, 6, rd.method_valid ? gb_method_name(e->method) : NULL);
		bind_num(s, 7, e->net_valid ? e->net_energy_j : NAN);
		bind_num(s, 8, e->power_valid ? e->power_mean_w : NAN);
		bind_num(s, 9, e->power_valid ? e->power_peak_w : NAN);
		bind_num(s, 10, e->util_gpu_valid ? e->util_gpu_mean : NAN);
		bind_num(s, 11, e->util_gpu_valid ? e->util_gpu_sd : NAN);
		bind_num(s, 12, e->mem_valid ? e->mem_used_pct_mean : NAN);
		if ((ret = step_done(st, s, "store energy")))
			return ret;
	}
	return 0;
}

static int insert_unavailable(struct gb_store *st, int64_t run, const char *phase, const cJSON *un)
{
	const cJSON *d;
	sqlite3_stmt *s = NULL;
	int ret;

	cJSON_ArrayForEach(d, un) {
		if ((ret = prep(st, "INSERT INTO unavailable VALUES(?,?,?,?)", &s)))
			return ret;
		sqlite3_bind_int64(s, 1, run);
		bind_text(s, 2, phase);
		bind_text(s, 3, d->string);
		bind_text(s, 4, cJSON_GetStringValue(d));
		if ((ret = step_done(st, s, "store an unavailable value")))
			return ret;
	}
	return 0;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int insert_phases(struct gb_store *st, int64_t run, const cJSON *rec)
{
	const cJSON *ph;
	sqlite3_stmt *s = NULL;
	int idx = 0, ret;

	cJSON_ArrayForEach(ph, cJSON_GetObjectItemCaseSensitive(rec, GB_RK_PHASES)) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ph, GB_RK_NAME));
		const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(ph, GB_RK_CPU_TIME);

		if ((ret = prep(st, "INSERT INTO phase VALUES(?,?,?,?,?,?,?,?)", &s)))
			return ret;
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int(s, 2, idx++);
		bind_text(s, 3, name);
		bind_num(s, 4, jnum(ph, GB_RK_DURATION));
		bind_num(s, 5, jnum(ph, GB_RK_ITERATIONS));
		bind_num(s, 6, jnum(ph, GB_RK_ITEMS));
		bind_num(s, 7, jnum(cpu, GB_RK_USER));
		bind_num(s, 8, jnum(cpu, GB_RK_SYSTEM));
		if ((ret = step_done(st, s, "store a phase")))
			return ret;
		if ((ret = insert_energy(st, run, name, cJSON_GetObjectItemCaseSensitive(ph, GB_RK_ENERGY))))
			return ret;
		if ((ret = insert_unavailable(st, run, name, cJSON_GetObjectItemCaseSensitive(ph, GB_RK_UNAVAILABLE))))
			return ret;
	}
	return insert_unavailable(st, run, NULL, cJSON_GetObjectItemCaseSensitive(rec, GB_RK_UNAVAILABLE));
}

static int insert_latency_env(struct gb_store *st, int64_t run, const cJSON *rec)
{
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(rec, GB_RK_LATENCY);
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(rec, GB_RK_ENVIRONMENT);
	static const char *const keys[] = { GB_RK_LAT_N, GB_RK_LAT_MEAN, GB_RK_LAT_SD, GB_RK_LAT_P50,
					    GB_RK_LAT_P90, GB_RK_LAT_P99, GB_RK_LAT_MIN, GB_RK_LAT_MAX };
	sqlite3_stmt *s = NULL;
	char *gpus = NULL, *rt = NULL;
	int ret = 0;

	if (lat) {
		if ((ret = prep(st, "INSERT INTO latency VALUES(?,?,?,?,?,?,?,?,?)", &s)))
			return ret;
		sqlite3_bind_int64(s, 1, run);
		for (int i = 0; i < 8; i++)
			bind_num(s, 2 + i, jnum(lat, keys[i]));
		if ((ret = step_done(st, s, "store latency")))
			return ret;
	}
	if (!env)
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(env, GB_RK_GPUS))
		gpus = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(env, GB_RK_GPUS));
	if (cJSON_GetObjectItemCaseSensitive(env, GB_RK_RUNTIME))
		rt = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(env, GB_RK_RUNTIME));
	if ((ret = prep(st, "INSERT INTO environment VALUES(?,?,?,?,?,?,?)", &s)))
		goto out;
	sqlite3_bind_int64(s, 1, run);
	bind_text(s, 2, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, GB_RK_HOST)));
	bind_text(s, 3, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, GB_RK_CPU)));
	bind_text(s, 4, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, GB_RK_KERNEL)));
	bind_text(s, 5, gpus);
	bind_text(s, 6, rt);
	bind_text(s, 7, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, GB_RK_VERSION)));
	ret = step_done(st, s, "store the environment");
out:
	free(gpus);
	free(rt);
	return ret;
}

/* Series in long form (run, row, t_ns, column, value): any column set. */
static int insert_series(struct gb_store *st, int64_t run, const cJSON *rec)
{
	const cJSON *ser = cJSON_GetObjectItemCaseSensitive(rec, GB_RK_SERIES);
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(ser, GB_RK_COLUMNS);
	const cJSON *row;
	sqlite3_stmt *s = NULL;
	int nrow = 0, tcol = -1, ncols = cJSON_GetArraySize(cols), ret;

	if (!ser)
		return 0;
	for (int c = 0; c < ncols; c++) {
		const char *n = cJSON_GetStringValue(cJSON_GetArrayItem(cols, c));
		if (n && !strcmp(n, GB_RK_T_NS))
			tcol = c;
	}
	if ((ret = prep(st, "INSERT INTO series VALUES(?,?,?,?,?)", &s)))
		return ret;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(ser, GB_RK_ROWS)) {
		double t = tcol >= 0 && cJSON_IsNumber(cJSON_GetArrayItem(row, tcol)) ?
			   cJSON_GetArrayItem(row, tcol)->valuedouble : NAN;
		for (int c = 0; c < ncols; c++) {
			const cJSON *v = cJSON_GetArrayItem(row, c);
			const char *n = cJSON_GetStringValue(cJSON_GetArrayItem(cols, c));
			if (c == tcol || !n || !cJSON_IsNumber(v))
				continue;
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, run);
			sqlite3_bind_int(s, 2, nrow);
			bind_num(s, 3, t);
			bind_text(s, 4, n);
			sqlite3_bind_double(s, 5, v->valuedouble);
			int rc = sqlite3_step(s);
			if (rc != SQLITE_DONE) {
				ret = db_err(st, rc, "store the series");
				goto out;
			}
		}
		nrow++;
	}
out:
	sqlite3_finalize(s);
	return ret;
}

int gb_store_run_insert(struct gb_store *st, int64_t campaign, const struct gb_store_run_in *in)
{
	cJSON *rec = in->record_json ? cJSON_Parse(in->record_json) : NULL;
	struct gb_run_metrics m;
	sqlite3_stmt *s = NULL;
	char sql[2048], now[32];
	size_t off;
	int64_t run;
	int ret, col;

	gb_run_metrics_extract(rec, &m);
	off = (size_t)snprintf(sql, sizeof sql, "INSERT INTO run(campaign_id, seq, config_idx, rep, status,"
			       " reason, stderr_tail, finished_at, wall_s, record_json");
	for (size_t i = 0; i < NCOLS; i++)
		off += (size_t)snprintf(sql + off, sizeof sql - off, ", %s", COL[i].name);
	off += (size_t)snprintf(sql + off, sizeof sql - off, ") VALUES(?");
	for (size_t i = 1; i < 10 + NCOLS; i++)
		off += (size_t)snprintf(sql + off, sizeof sql - off, ",?");
	snprintf(sql + off, sizeof sql - off, ")");

	if ((ret = exec(st, "BEGIN IMMEDIATE", "begin a transaction")))
		goto out_nortx;
	if ((ret = prep(st, sql, &s)))
		goto out;
	now_iso(now, sizeof now);
	sqlite3_bind_int64(s, 1, campaign);
	sqlite3_bind_int64(s, 2, in->seq);
	sqlite3_bind_int64(s, 3, (int64_t)in->config);
	sqlite3_bind_int64(s, 4, in->rep);
	bind_text(s, 5, in->ok ? "ok" : "failed");
	bind_text(s, 6, in->reason);
	bind_text(s, 7, in->stderr_tail);
	bind_text(s, 8, now);
	bind_num(s, 9, in->wall_s);
	bind_text(s, 10, in->record_json);
	col = 11;
	for (size_t i = 0; i < NCOLS; i++, col++) {
		const char *v = (const char *)&m + COL[i].off;

		if (COL[i].text_size)
			bind_text(s, col, v);
		else
			bind_num(s, col, *(const double *)v);
	}
	if ((ret = step_done(st, s, "store the run")))
		goto out;
	run = sqlite3_last_insert_rowid(st->db);
	if (rec && ((ret = insert_phases(st, run, rec)) || (ret = insert_latency_env(st, run, rec)) ||
		    (ret = insert_series(st, run, rec))))
		goto out;
	ret = exec(st, "COMMIT", "commit the run");
out:
	if (ret)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out_nortx:
	cJSON_Delete(rec);
	return ret;
}

/* One integer answer of a query on campaign. */
static int count_of(struct gb_store *st, const char *sql, int64_t campaign, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int ret, rc;

	*n = 0;
	if ((ret = prep(st, sql, &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(s, 0);
	else
		ret = db_err(st, rc, "count runs");
	sqlite3_finalize(s);
	return ret;
}

int gb_store_planned_add(struct gb_store *st, int64_t campaign, size_t config, unsigned rep, int64_t *seq)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	int ret;

	if ((ret = exec(st, "BEGIN IMMEDIATE", "begin a transaction")))
		return ret;
	if ((ret = count_of(st, "SELECT coalesce(max(seq) + 1, 0) FROM planned WHERE campaign_id = ?", campaign, &n)) ||
	    (ret = prep(st, "INSERT INTO planned(campaign_id, seq, config_idx, rep) VALUES(?,?,?,?)", &s)))
		goto out;
	sqlite3_bind_int64(s, 1, campaign);
	sqlite3_bind_int64(s, 2, (int64_t)n);
	sqlite3_bind_int64(s, 3, (int64_t)config);
	sqlite3_bind_int64(s, 4, rep);
	ret = step_done(st, s, "plan one more run");
	s = NULL;
	if (ret)
		goto out;
	if ((ret = prep(st, "UPDATE campaign SET nruns = nruns + 1, finished_at = NULL WHERE id = ?", &s)))
		goto out;
	sqlite3_bind_int64(s, 1, campaign);
	ret = step_done(st, s, "count the planned runs");
	s = NULL;
	if (ret)
		goto out;
	*seq = (int64_t)n;
	ret = exec(st, "COMMIT", "commit the planned run");
out:
	if (ret) {
		sqlite3_finalize(s);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

int gb_store_runs_retry_failed(struct gb_store *st, int64_t campaign, size_t *n)
{
	/* A failed run's dependants (a failed record may have phases) go
	 * with it; the attempt keeps its record. */
	static const char *const dependants[] = { "phase", "energy", "unavailable", "latency", "series",
						  "environment" };
	char sql[1024], failed[128], now[32];
	int ret;

	*n = 0;
	now_iso(now, sizeof now);
	snprintf(failed, sizeof failed, "campaign_id = %lld AND status = 'failed'", (long long)campaign);
	if ((ret = exec(st, "BEGIN IMMEDIATE", "begin a transaction")))
		return ret;
	if ((ret = count_of(st, "SELECT count(*) FROM run WHERE campaign_id = ? AND status = 'failed'", campaign, n)))
		goto out;
	snprintf(sql, sizeof sql, "INSERT INTO attempt(campaign_id, seq, config_idx, rep, reason, stderr_tail,"
		 " finished_at, wall_s, record_json, retried_at) SELECT campaign_id, seq, config_idx, rep, reason,"
		 " stderr_tail, finished_at, wall_s, record_json, '%s' FROM run WHERE %s", now, failed);
	if ((ret = exec(st, sql, "keep the failed runs as history")))
		goto out;
	for (size_t i = 0; i < sizeof dependants / sizeof dependants[0]; i++) {
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE run_id IN (SELECT id FROM run WHERE %s)",
			 dependants[i], failed);
		if ((ret = exec(st, sql, "remove the failed runs' figures")))
			goto out;
	}
	snprintf(sql, sizeof sql, "DELETE FROM run WHERE %s", failed);
	if ((ret = exec(st, sql, "remove the failed runs")))
		goto out;
	ret = exec(st, "COMMIT", "commit the retry");
out:
	if (ret) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		*n = 0;
	}
	return ret;
}

int gb_store_attempts_count(struct gb_store *st, int64_t campaign, size_t *n)
{
	return count_of(st, "SELECT count(*) FROM attempt WHERE campaign_id = ?", campaign, n);
}

static int idle_insert(struct gb_store *st, int once, int64_t campaign, int64_t before_seq,
		       double duration_s, const char *domain, double power_w, double temp_c)
{
	sqlite3_stmt *s = NULL;
	char now[32];
	int ret;

	now_iso(now, sizeof now);
	if ((ret = prep(st, once ? "INSERT INTO idle(campaign_id, before_seq, measured_at, duration_s, domain, power_w, temp_c)"
				   " SELECT ?1,?2,?3,?4,?5,?6,?7 WHERE NOT EXISTS(SELECT 1 FROM idle"
				   " WHERE campaign_id = ?1 AND before_seq = ?2 AND domain = ?5)"
				 : "INSERT INTO idle(campaign_id, before_seq, measured_at, duration_s, domain, power_w, temp_c)"
				   " VALUES(?1,?2,?3,?4,?5,?6,?7)", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	sqlite3_bind_int64(s, 2, before_seq);
	bind_text(s, 3, now);
	bind_num(s, 4, duration_s);
	bind_text(s, 5, domain);
	bind_num(s, 6, power_w);
	bind_num(s, 7, temp_c);
	if ((ret = step_done(st, s, "store the idle baseline")))
		return ret;
	return once && !sqlite3_changes(st->db) ? -EEXIST : 0;
}

int gb_store_idle_insert(struct gb_store *st, int64_t campaign, int64_t before_seq,
			 double duration_s, const char *domain, double power_w, double temp_c)
{
	return idle_insert(st, 0, campaign, before_seq, duration_s, domain, power_w, temp_c);
}

int gb_store_idle_insert_once(struct gb_store *st, int64_t campaign, int64_t before_seq,
			      double duration_s, const char *domain, double power_w, double temp_c)
{
	return idle_insert(st, 1, campaign, before_seq, duration_s, domain, power_w, temp_c);
}

/*
 * A run's net energy in its measured phase: per GPU and CPU domain the
 * record's net_joules, else its joules less the campaign's latest idle
 * power of that domain (measured before this run) times the phase's
 * duration; NULL unless every such domain has one or the other.
 */
static const char net_energy_sql[] =
	"(SELECT CASE WHEN count(*) > 0 AND count(*) = count(COALESCE(e.net_joules,"
	" e.joules - i.power_w * ph.duration_s)) THEN sum(COALESCE(e.net_joules, e.joules - i.power_w * ph.duration_s)) END"
	" FROM energy e JOIN phase ph ON ph.run_id = e.run_id AND ph.name = e.phase"
	" LEFT JOIN idle i ON i.id = (SELECT max(id) FROM idle WHERE campaign_id = r.campaign_id"
	" AND domain = e.domain AND before_seq <= r.seq)"
	" WHERE e.run_id = r.id AND e.phase = '" GB_RK_MEASURED "' AND e.kind IN ('gpu', 'cpu', 'package', 'dram'))";

static void run_fill(sqlite3_stmt *s, void *item)
{
	struct gb_store_run *r = item;
	int col = 15;

	r->id = sqlite3_column_int64(s, 0);
	r->seq = sqlite3_column_int64(s, 1);
	r->config = (size_t)sqlite3_column_int64(s, 2);
	r->rep = (unsigned)sqlite3_column_int64(s, 3);
	r->ok = sqlite3_column_int(s, 4);
	col_text(s, 5, r->model, sizeof r->model);
	col_text(s, 6, r->runtime, sizeof r->runtime);
	col_text(s, 7, r->ep, sizeof r->ep);
	col_text(s, 8, r->label, sizeof r->label);
	r->batch = (unsigned)sqlite3_column_int64(s, 9);
	col_text(s, 10, r->reason, sizeof r->reason);
	col_text(s, 11, r->zoo, sizeof r->zoo);
	col_text(s, 12, r->converted_from, sizeof r->converted_from);
	r->net_energy_j = col_num(s, 13);
	r->wall_s = col_num(s, 14);
	for (size_t i = 0; i < NCOLS; i++, col++) {
		char *v = (char *)&r->m + COL[i].off;

		if (COL[i].text_size)
			col_text(s, col, v, COL[i].text_size);
		else
			*(double *)v = col_num(s, col);
	}
}

int gb_store_runs_load(struct gb_store *st, int64_t campaign, struct gb_store_run **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *rows;
	size_t off;
	char sql[2048];
	int ret;

	off = (size_t)snprintf(sql, sizeof sql, "SELECT r.id, r.seq, r.config_idx, r.rep, r.status = 'ok',"
			       " c.model, c.runtime, c.ep, c.label, c.batch, r.reason, c.zoo, c.converted_from, %s, r.wall_s",
			       net_energy_sql);
	for (size_t i = 0; i < NCOLS; i++)
		off += (size_t)snprintf(sql + off, sizeof sql - off, ", r.%s", COL[i].name);
	snprintf(sql + off, sizeof sql - off, " FROM run r JOIN configuration c ON c.campaign_id = r.campaign_id"
		 " AND c.idx = r.config_idx WHERE r.campaign_id = ? ORDER BY r.seq");
	if ((ret = prep(st, sql, &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	if (!(ret = load_rows(st, s, sizeof **out, run_fill, "read the runs", &rows, n)))
		*out = rows;
	return ret;
}

int gb_store_series_load(struct gb_store *st, int64_t run, const char *column,
			 double **t_s, double **values, size_t *n)
{
	sqlite3_stmt *s = NULL;
	double *t = NULL, *v = NULL;
	size_t cap = 0, cnt = 0;
	int ret, rc;

	if ((ret = prep(st, "SELECT t_ns, value FROM series WHERE run_id = ? AND col = ? ORDER BY row", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, run);
	bind_text(s, 2, column);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 256;
			double *nt = realloc(t, cap * sizeof *t);
			if (nt)
				t = nt;
			double *nv = nt ? realloc(v, cap * sizeof *v) : NULL;
			if (!nv) {
				ret = gb_error_set(-ENOMEM, "out of memory");
				goto out;
			}
			v = nv;
		}
		t[cnt] = col_num(s, 0) / 1e9;
		v[cnt++] = col_num(s, 1);
	}
	if (rc != SQLITE_DONE)
		ret = db_err(st, rc, "read the series");
out:
	sqlite3_finalize(s);
	if (ret) {
		free(t);
		free(v);
		return ret;
	}
	*t_s = t;
	*values = v;
	*n = cnt;
	return 0;
}

/* Step s to the end and join its first column, one name a line; finalizes s. */
static int load_names(struct gb_store *st, sqlite3_stmt *s, const char *what, char **names)
{
	char *buf = NULL;
	size_t len = 0;
	int ret = 0, rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 0);
		size_t cl = c ? strlen(c) : 0;
		char *nb = realloc(buf, len + cl + 2);
		if (!nb) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		buf = nb;
		memcpy(buf + len, c, cl);
		len += cl;
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	if (rc != SQLITE_DONE)
		ret = db_err(st, rc, what);
out:
	sqlite3_finalize(s);
	if (ret) {
		free(buf);
		return ret;
	}
	*names = buf ? buf : strdup("");
	return *names ? 0 : gb_error_set(-ENOMEM, "out of memory");
}

int gb_store_series_columns(struct gb_store *st, int64_t run, char **names)
{
	sqlite3_stmt *s = NULL;
	int ret;

	if ((ret = prep(st, "SELECT DISTINCT col FROM series WHERE run_id = ? ORDER BY col", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, run);
	return load_names(st, s, "read the series", names);
}

int gb_store_run_domains(struct gb_store *st, int64_t run, const char *kind, char **names)
{
	sqlite3_stmt *s = NULL;
	int ret;

	if ((ret = prep(st, "SELECT domain FROM energy WHERE run_id = ? AND kind = ? AND domain IS NOT NULL"
			" GROUP BY domain ORDER BY min(rowid)", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, run);
	bind_text(s, 2, kind);
	return load_names(st, s, "read the domains", names);
}

/* ---- the advisor's state ------------------------------------------------- */

int gb_store_advice_find(struct gb_store *st, const char *key, int64_t *id, uint64_t *spent_ns)
{
	sqlite3_stmt *s = NULL;
	int ret, rc;

	if ((ret = prep(st, "SELECT id, spent_ns FROM advice WHERE key = ? AND finished_at IS NULL"
			    " ORDER BY id DESC LIMIT 1", &s)))
		return ret;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*spent_ns = (uint64_t)sqlite3_column_int64(s, 1);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : db_err(st, rc, "look up an advice");
	}
	sqlite3_finalize(s);
	return ret;
}

int gb_store_advice_create(struct gb_store *st, const char *key, const char *model, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	char now[32];
	int ret;

	now_iso(now, sizeof now);
	if ((ret = prep(st, "INSERT INTO advice(key, model, created_at) VALUES(?,?,?)", &s)))
		return ret;
	bind_text(s, 1, key);
	bind_text(s, 2, model);
	bind_text(s, 3, now);
	if ((ret = step_done(st, s, "store an advice")))
		return ret;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int gb_store_advice_update(struct gb_store *st, int64_t id, uint64_t spent_ns, const char *answer_json)
{
	sqlite3_stmt *s = NULL;
	char now[32];
	int ret;

	now_iso(now, sizeof now);
	if ((ret = prep(st, "UPDATE advice SET spent_ns = ?, answer_json = coalesce(?, answer_json),"
			    " finished_at = CASE WHEN ? IS NULL THEN finished_at ELSE ? END WHERE id = ?", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, (int64_t)spent_ns);
	bind_text(s, 2, answer_json);
	bind_text(s, 3, answer_json);
	bind_text(s, 4, now);
	sqlite3_bind_int64(s, 5, id);
	return step_done(st, s, "update an advice");
}

int gb_store_advice_energy_load(struct gb_store *st, int64_t id, struct gb_store_advice_energy *e)
{
	sqlite3_stmt *s = NULL;
	int ret, rc;

	if ((ret = prep(st, "SELECT screen_energy_j, screen_window_energy_j, screen_energy_methods,"
			    " screen_energy_open, screen_energy_partial FROM advice WHERE id = ?", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		e->screen_j = col_num(s, 0);
		e->window_j = col_num(s, 1);
		e->methods = (unsigned)sqlite3_column_int64(s, 2);
		e->open = sqlite3_column_int(s, 3);
		e->partial = sqlite3_column_int(s, 4);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? gb_error_set(-ENOENT, "%s: no advice %lld", st->path, (long long)id)
					: db_err(st, rc, "read an advice's energy");
	}
	sqlite3_finalize(s);
	return ret;
}

int gb_store_advice_energy_save(struct gb_store *st, int64_t id, const struct gb_store_advice_energy *e)
{
	sqlite3_stmt *s = NULL;
	int ret;

	if ((ret = prep(st, "UPDATE advice SET screen_energy_j = ?, screen_window_energy_j = ?,"
			    " screen_energy_methods = ?, screen_energy_open = ?, screen_energy_partial = ? WHERE id = ?",
			    &s)))
		return ret;
	bind_num(s, 1, e->screen_j);
	bind_num(s, 2, e->window_j);
	sqlite3_bind_int64(s, 3, e->methods);
	sqlite3_bind_int(s, 4, e->open);
	sqlite3_bind_int(s, 5, e->partial);
	sqlite3_bind_int64(s, 6, id);
	return step_done(st, s, "store an advice's energy");
}

int gb_store_screen_insert(struct gb_store *st, int64_t advice, const struct gb_store_screen *r)
{
	sqlite3_stmt *s = NULL;
	int ret;

	if ((ret = prep(st, "INSERT OR REPLACE INTO advice_screen(advice_id, idx, label, status, reason, batch,"
			    " energy_per_item_mj, energy_methods, throughput_per_s, p99_ms, agreement, max_abs_diff,"
			    " load_s, measured_s, wall_s, accuracy, gpu_energy_per_item_mj, fresh_load_s, setup_s, reused)"
			    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, advice);
	sqlite3_bind_int64(s, 2, (int64_t)r->idx);
	bind_text(s, 3, r->label);
	bind_text(s, 4, r->status);
	bind_text(s, 5, r->reason);
	sqlite3_bind_int64(s, 6, r->batch);
	bind_num(s, 7, r->energy_per_item_mj);
	bind_text(s, 8, r->methods);
	bind_num(s, 9, r->throughput_per_s);
	bind_num(s, 10, r->p99_ms);
	bind_num(s, 11, r->agreement);
	bind_num(s, 12, r->max_abs_diff);
	bind_num(s, 13, r->load_s);
	bind_num(s, 14, r->measured_s);
	bind_num(s, 15, r->wall_s);
	bind_num(s, 16, r->accuracy);
	bind_num(s, 17, r->gpu_energy_per_item_mj);
	bind_num(s, 18, r->fresh_load_s);
	bind_num(s, 19, r->setup_s);
	sqlite3_bind_int(s, 20, r->reused);
	return step_done(st, s, "store a screening");
}

int gb_store_screen_forget(struct gb_store *st, int64_t advice, size_t idx)
{
	sqlite3_stmt *s = NULL;
	int ret;

	if ((ret = prep(st, "DELETE FROM advice_screen WHERE advice_id = ? AND idx = ?", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, advice);
	sqlite3_bind_int64(s, 2, (int64_t)idx);
	return step_done(st, s, "forget a screening");
}

static void screen_fill(sqlite3_stmt *s, void *item)
{
	struct gb_store_screen *r = item;

	r->idx = (size_t)sqlite3_column_int64(s, 0);
	col_text(s, 1, r->label, sizeof r->label);
	col_text(s, 2, r->status, sizeof r->status);
	col_text(s, 3, r->reason, sizeof r->reason);
	r->batch = (unsigned)sqlite3_column_int64(s, 4);
	r->energy_per_item_mj = col_num(s, 5);
	col_text(s, 6, r->methods, sizeof r->methods);
	r->throughput_per_s = col_num(s, 7);
	r->p99_ms = col_num(s, 8);
	r->agreement = col_num(s, 9);
	r->max_abs_diff = col_num(s, 10);
	r->load_s = col_num(s, 11);
	r->measured_s = col_num(s, 12);
	r->wall_s = col_num(s, 13);
	r->accuracy = col_num(s, 14);
	r->gpu_energy_per_item_mj = col_num(s, 15);
	r->fresh_load_s = col_num(s, 16);
	r->setup_s = col_num(s, 17);
	r->reused = sqlite3_column_int(s, 18);
}

int gb_store_screen_load(struct gb_store *st, int64_t advice, struct gb_store_screen **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	if ((ret = prep(st, "SELECT idx, label, status, reason, batch, energy_per_item_mj, energy_methods,"
			    " throughput_per_s, p99_ms, agreement, max_abs_diff, load_s, measured_s, wall_s,"
			    " accuracy, gpu_energy_per_item_mj, fresh_load_s, setup_s, reused"
			    " FROM advice_screen WHERE advice_id = ? ORDER BY idx", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, advice);
	return load_rows(st, s, sizeof **out, screen_fill, "load screenings", (void **)out, n);
}

int gb_store_advice_round_insert(struct gb_store *st, int64_t advice, unsigned round, int64_t campaign)
{
	sqlite3_stmt *s = NULL;
	int ret;

	if ((ret = prep(st, "INSERT INTO advice_round VALUES(?,?,?)", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, advice);
	sqlite3_bind_int64(s, 2, round);
	sqlite3_bind_int64(s, 3, campaign);
	return step_done(st, s, "store an advice round");
}

static void round_fill(sqlite3_stmt *s, void *item)
{
	*(int64_t *)item = sqlite3_column_int64(s, 0);
}

int gb_store_advice_rounds_load(struct gb_store *st, int64_t advice, int64_t **campaigns, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int ret;

	*campaigns = NULL;
	*n = 0;
	if ((ret = prep(st, "SELECT campaign_id FROM advice_round WHERE advice_id = ? ORDER BY round", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, advice);
	return load_rows(st, s, sizeof **campaigns, round_fill, "load advice rounds", (void **)campaigns, n);
}

static void env_fill(sqlite3_stmt *s, void *item)
{
	struct gb_store_environment *e = item;

	col_text(s, 0, e->host, sizeof e->host);
	col_text(s, 1, e->cpu, sizeof e->cpu);
	col_text(s, 2, e->kernel, sizeof e->kernel);
	col_text(s, 3, e->gpus_json, sizeof e->gpus_json);
	col_text(s, 4, e->runtime_json, sizeof e->runtime_json);
	col_text(s, 5, e->version, sizeof e->version);
	col_text(s, 6, e->runtime, sizeof e->runtime);
	e->nruns = (size_t)sqlite3_column_int64(s, 7);
}

int gb_store_campaign_environment(struct gb_store *st, int64_t campaign, struct gb_store_environment **out,
				  size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *rows;
	int ret;

	if ((ret = prep(st, "SELECT e.host, e.cpu, e.kernel, e.gpus_json, e.runtime_json, e.greenbench_version,"
			" c.runtime, count(*) FROM environment e JOIN run r ON r.id = e.run_id"
			" JOIN configuration c ON c.campaign_id = r.campaign_id AND c.idx = r.config_idx"
			" WHERE r.campaign_id = ? GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY min(r.seq)", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	if (!(ret = load_rows(st, s, sizeof **out, env_fill, "read the environment", &rows, n)))
		*out = rows;
	return ret;
}

static void phase_fill(sqlite3_stmt *s, void *item)
{
	struct gb_store_phase_energy *e = item;

	e->run = sqlite3_column_int64(s, 0);
	col_text(s, 1, e->phase, sizeof e->phase);
	e->joules = col_num(s, 2);
}

int gb_store_phase_energy_load(struct gb_store *st, int64_t campaign, struct gb_store_phase_energy **out,
			       size_t *n)
{
	sqlite3_stmt *s = NULL;
	void *rows;
	int ret;

	if ((ret = prep(st, "SELECT r.id, e.phase, sum(e.joules) FROM energy e JOIN run r ON r.id = e.run_id"
			" WHERE r.campaign_id = ? AND e.kind IN ('gpu', 'cpu', 'package', 'dram') AND e.phase IS NOT NULL"
			" GROUP BY r.id, e.phase ORDER BY r.seq, min(e.rowid)", &s)))
		return ret;
	sqlite3_bind_int64(s, 1, campaign);
	if (!(ret = load_rows(st, s, sizeof **out, phase_fill, "read the phases' energy", &rows, n)))
		*out = rows;
	return ret;
}
