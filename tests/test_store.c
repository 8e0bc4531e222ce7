/*
 * The SQLite store: a campaign's plan and order, runs inserted once each
 * (a second insert of the same run is refused), everything extracted from
 * a record, absent figures stored as NULL, and lookups for resume. Schema
 * versions: a database of the first, unversioned schema is migrated and
 * keeps its runs; one of a newer greenbench, a file that is not SQLite
 * and a database of something else are refused and left unchanged.
 */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/plan.h"
#include "greenbench/store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plan_text[] =
	"seed: 9\nreps: 2\nmodels: [resnet50, mobilenetv2]\nruntimes: [ort/cpu]\nbatches: [1, 4]\n";

static const char record[] =
	"{\"schema\":1,\"status\":\"ok\",\"greenbench_version\":\"t\","
	"\"environment\":{\"host\":\"h\",\"cpu\":\"c\",\"kernel\":\"k\",\"gpus\":[],\"runtime\":{\"ort_version\":\"1\"}},"
	"\"phases\":[{\"name\":\"load\",\"duration_s\":0.5,\"iterations\":0,\"items\":0,"
	"\"energy\":{\"cpu\":{\"joules\":1.5,\"method\":\"estimated\"}},\"unavailable\":{\"gpu0.energy\":\"no GPU\"}},"
	"{\"name\":\"measured\",\"duration_s\":2.0,\"iterations\":10,\"items\":40,"
	"\"energy\":{\"cpu\":{\"joules\":8.0,\"method\":\"estimated\"}},\"unavailable\":{}}],"
	"\"latency_ns\":{\"n\":10,\"mean\":2e8,\"sd\":1e6,\"p50\":2e8,\"p90\":2.1e8,\"p99\":2.2e8,\"min\":1.9e8,\"max\":2.3e8},"
	"\"throughput_items_per_s\":20.0,\"energy_per_item_mj\":{\"cpu\":200.0},"
	"\"summary\":{\"cpu_energy_j\":8.0,\"cpu_energy_method\":\"estimated\",\"total_energy_j\":8.0,"
	"\"total_energy_methods\":[\"estimated\"],\"inference_time_s\":2.0},"
	"\"series\":{\"columns\":[\"t_ns\",\"cpu.power_mw\"],\"rows\":[[0,4000],[100000000,4100],[200000000,3900]]}}";

struct fx {
	char *dir, db[4096];
	struct gb_plan *plan;
	struct gb_store *st;
	int64_t id;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir = gbt_mkdtemp();
	snprintf(f->db, sizeof f->db, "%s/r.db", f->dir);
	assert_int_equal(gb_plan_parse(plan_text, strlen(plan_text), "p.yaml", &f->plan), 0);
	assert_int_equal(gb_store_open(f->db, &f->st), 0);
	assert_int_equal(gb_store_campaign_create(f->st, f->plan, plan_text, &f->id), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gb_store_close(f->st);
	gb_plan_free(f->plan);
	gbt_rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static double query_num(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	double v = NAN;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static void test_plan_and_order_stored(void **state)
{
	struct fx *f = *state;
	struct gb_store_planned *pl = NULL;
	size_t n = 0;

	assert_int_equal(gb_store_planned_load(f->st, f->id, &pl, &n), 0);
	assert_int_equal(n, f->plan->nruns);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(pl[i].seq, (int64_t)i);
		assert_int_equal(pl[i].config, f->plan->runs[i].config);
		assert_int_equal(pl[i].rep, f->plan->runs[i].rep);
		assert_false(pl[i].done);
	}
	free(pl);
}

static void test_wal_mode(void **state)
{
	struct fx *f = *state;
	sqlite3 *h;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
}

static void test_run_insert_and_load(void **state)
{
	struct fx *f = *state;
	struct gb_store_run_in ok = { .seq = 0, .config = f->plan->runs[0].config, .rep = 0, .ok = 1,
				      .record_json = record, .wall_s = 3.0 };
	struct gb_store_run_in bad = { .seq = 1, .config = f->plan->runs[1].config, .rep = f->plan->runs[1].rep,
				       .ok = 0, .reason = "killed by signal 9 (Killed), perhaps out of memory",
				       .stderr_tail = "Killed\n" };
	struct gb_store_planned *pl = NULL;
	struct gb_store_run *runs = NULL;
	double *t = NULL, *v = NULL;
	char *cols = NULL;
	size_t n = 0;

	assert_int_equal(gb_store_run_insert(f->st, f->id, &ok), 0);
	assert_int_equal(gb_store_run_insert(f->st, f->id, &bad), 0);
	assert_int_equal(gb_store_run_insert(f->st, f->id, &ok), -EEXIST);
	assert_int_equal(gb_store_planned_load(f->st, f->id, &pl, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pl[i].done, i < 2);
	free(pl);

	assert_int_equal(gb_store_runs_load(f->st, f->id, &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_true(runs[0].ok);
	assert_string_equal(runs[0].runtime, "ort");
	assert_string_equal(runs[0].label, "ort/cpu");
	/* 8 J over 40 items of the measured phase. */
	assert_true(fabs(runs[0].m.energy_per_item_mj - 200.0) < 1e-9);
	assert_true(fabs(runs[0].m.latency_mean_ns - 2e8) < 1e-3);
	assert_string_equal(runs[0].m.cpu_energy_method, "estimated");
	assert_string_equal(runs[0].m.total_energy_methods, "estimated");
	/* No GPU in this record: absent, not 0. */
	assert_true(isnan(runs[0].m.gpu_energy_j));
	assert_true(isnan(runs[0].m.gpu_util_mean_pct));
	assert_false(runs[1].ok);
	assert_string_equal(runs[1].reason, "killed by signal 9 (Killed), perhaps out of memory");
	assert_true(isnan(runs[1].m.energy_per_item_mj));

	assert_true(query_num(f->db, "SELECT count(*) FROM phase") == 2);
	assert_true(query_num(f->db, "SELECT joules FROM energy WHERE phase = 'measured' AND domain = 'cpu'") == 8.0);
	assert_true(query_num(f->db, "SELECT p99_ns FROM latency") == 2.2e8);
	assert_true(query_num(f->db, "SELECT count(*) FROM unavailable WHERE what = 'gpu0.energy'") == 1);
	assert_true(query_num(f->db, "SELECT count(*) FROM environment WHERE host = 'h'") == 1);
	assert_true(isnan(query_num(f->db, "SELECT gpu_energy_j FROM run WHERE seq = 0")));
	assert_true(query_num(f->db, "SELECT length(record_json) FROM run WHERE seq = 0") == (double)strlen(record));

	assert_int_equal(gb_store_series_columns(f->st, runs[0].id, &cols), 0);
	assert_string_equal(cols, "cpu.power_mw\n");
	assert_int_equal(gb_store_series_load(f->st, runs[0].id, "cpu.power_mw", &t, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_true(t[1] == 0.1 && v[1] == 4100 && v[2] == 3900);
	free(t);
	free(v);
	free(cols);
	free(runs);
}

static void test_find_for_resume(void **state)
{
	struct fx *f = *state;
	struct gb_plan *other = NULL;
	const char *other_text = "seed: 9\nreps: 2\nmodels: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\n";
	int64_t id = 0;

	assert_int_equal(gb_store_campaign_find(f->st, f->plan, plan_text, &id), 0);
	assert_int_equal(id, f->id);
	assert_int_equal(gb_plan_parse(other_text, strlen(other_text), "p.yaml", &other), 0);
	assert_int_equal(gb_store_campaign_find(f->st, other, other_text, &id), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "no campaign of 'p.yaml'"));
	gb_plan_free(other);
	assert_int_equal(gb_store_campaign_latest(f->st, &id), 0);
	assert_int_equal(id, f->id);
}

/* The schema of the first results databases, exactly as greenbench wrote
 * it before schema versions existed (they have user_version 0). */
static const char schema_v1_fixture[] =
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
	" finished_at TEXT, wall_s REAL,"
	" gpu_util_mean_pct REAL, gpu_util_sd_pct REAL, gpu_mem_pct REAL, gpu_power_mean_w REAL,"
	" gpu_energy_j REAL, cpu_energy_j REAL, total_energy_j REAL, inference_time_s REAL,"
	" items REAL, energy_per_item_mj REAL, latency_mean_ns REAL, latency_p50_ns REAL,"
	" latency_p99_ns REAL, throughput_items_per_s REAL, accuracy_top1 REAL, accuracy_top5 REAL,"
	" accuracy_n REAL, throttle_reasons REAL,"
	" gpu_energy_method TEXT, cpu_energy_method TEXT, total_energy_methods TEXT,"
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

/* A record of that time: energy entries with "kind", a GPU series. */
static const char v1_record[] =
	"{\"schema\":1,\"status\":\"ok\",\"phases\":[{\"name\":\"measured\",\"items\":8,"
	"\"energy\":{\"gpu0\":{\"joules\":80,\"method\":\"counter\",\"kind\":\"gpu\"},"
	"\"cpu\":{\"joules\":20,\"method\":\"estimated\",\"kind\":\"cpu\"}}}],"
	"\"summary\":{\"total_energy_j\":100}}";

static void sql_exec(const char *db, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	sqlite3_close(h);
}

/* A version-1 database holding one campaign with one finished run. */
static void make_v1_db(const char *db)
{
	char sql[4096];

	sql_exec(db, schema_v1_fixture);
	snprintf(sql, sizeof sql,
		 "INSERT INTO campaign VALUES(1, 'old', 'old.yaml', 'models: [resnet50]', 3, 1, '2026-01-01T00:00:00Z', NULL);"
		 "INSERT INTO configuration VALUES(1, 0, 'resnet50|ort/cuda|b1', 'resnet50', NULL, 'resnet50', 'ort', 'cuda',"
		 " 'ort/cuda', 1, '{}', '{}');"
		 "INSERT INTO planned VALUES(1, 0, 0, 0);"
		 "INSERT INTO planned VALUES(1, 1, 0, 1);"
		 "INSERT INTO run(id, campaign_id, seq, config_idx, rep, status, items, total_energy_j, energy_per_item_mj,"
		 " total_energy_methods, record_json) VALUES(1, 1, 0, 0, 0, 'ok', 8, 100, 12500, 'counter+estimated', '%s');"
		 "INSERT INTO energy VALUES(1, 'measured', 'gpu0', 80, 'counter', NULL, NULL, NULL, NULL, NULL, NULL);"
		 "INSERT INTO energy VALUES(1, 'measured', 'cpu', 20, 'estimated', NULL, NULL, NULL, NULL, NULL, NULL);"
		 "INSERT INTO series VALUES(1, 0, 0, 'gpu0.power_mw', 200000);", v1_record);
	sql_exec(db, sql);
}

/* The columns of every table, one line each: "table|col|type|notnull|pk". */
static char *schema_of(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT m.name || '|' || p.name || '|' || p.type || '|' || p.\"notnull\""
					    " || '|' || p.pk || char(10) FROM sqlite_master m, pragma_table_info(m.name) p"
					    " WHERE m.type = 'table' ORDER BY m.name, p.cid", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(s, 0);
		size_t n = strlen(line);

		out = realloc(out, len + n + 1);
		assert_non_null(out);
		memcpy(out + len, line, n + 1);
		len += n;
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	assert_non_null(out);
	return out;
}

static void test_v1_database_migrates(void **state)
{
	struct fx *f = *state;
	char old[4096], *fresh_schema, *old_schema, *gpus = NULL;
	struct gb_store *st = NULL;
	struct gb_store_run *runs = NULL;
	struct gb_store_run_in in = { .seq = 1, .config = 0, .rep = 1, .ok = 1, .record_json = record };
	size_t n = 0;

	snprintf(old, sizeof old, "%s/old.db", f->dir);
	make_v1_db(old);
	assert_true(query_num(old, "PRAGMA user_version") == 0);
	assert_int_equal(gb_store_open(old, &st), 0);
	assert_true(query_num(old, "PRAGMA user_version") == GB_STORE_SCHEMA_VERSION);
	/* The old run is readable, with its figures. */
	assert_int_equal(gb_store_runs_load(st, 1, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_true(runs[0].ok && runs[0].m.energy_per_item_mj == 12500 && runs[0].m.items == 8);
	assert_string_equal(runs[0].m.total_energy_methods, "counter+estimated");
	assert_true(isnan(runs[0].m.gpu_energy_j));
	/* Not converted as far as anyone knows, and no idle baseline: no net. */
	assert_string_equal(runs[0].converted_from, "");
	assert_string_equal(runs[0].zoo, "resnet50");
	assert_true(isnan(runs[0].net_energy_j));
	/* Its record has no checks: no verdict, which is not valid. */
	assert_true(isnan(runs[0].m.verdict) && isnan(runs[0].m.verdict_reasons));
	free(runs);
	/* Its domains got their kind from the stored record. */
	assert_int_equal(gb_store_run_domains(st, 1, "gpu", &gpus), 0);
	assert_string_equal(gpus, "gpu0\n");
	free(gpus);
	assert_true(query_num(old, "SELECT count(*) FROM energy WHERE domain = 'cpu' AND kind = 'cpu'") == 1);
	/* New runs go in beside it. */
	assert_int_equal(gb_store_run_insert(st, 1, &in), 0);
	assert_int_equal(gb_store_runs_load(st, 1, &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_true(fabs(runs[1].m.energy_per_item_mj - 200.0) < 1e-9);
	free(runs);
	gb_store_close(st);
	/* Migrated, it has the tables of a new database, column for column. */
	fresh_schema = schema_of(f->db);
	old_schema = schema_of(old);
	assert_string_equal(old_schema, fresh_schema);
	assert_non_null(strstr(fresh_schema, "energy|kind|TEXT|"));
	assert_non_null(strstr(fresh_schema, "configuration|converted_from|TEXT|"));
	/* 4 -> 5 after the advisor's 2 -> 3 and 3 -> 4: verdicts and attempts. */
	assert_non_null(strstr(fresh_schema, "advice_screen|label|TEXT|"));
	assert_non_null(strstr(fresh_schema, "run|verdict|REAL|"));
	assert_non_null(strstr(fresh_schema, "run|verdict_reasons|REAL|"));
	assert_non_null(strstr(fresh_schema, "attempt|retried_at|TEXT|"));
	free(fresh_schema);
	free(old_schema);
	/* Opening it again changes nothing. */
	assert_int_equal(gb_store_open(old, &st), 0);
	gb_store_close(st);
	assert_true(query_num(old, "PRAGMA user_version") == GB_STORE_SCHEMA_VERSION);
}

/* Open path, expecting refusal with err and message, and the file as it was. */
static void check_refused(const char *path, int err, const char *message)
{
	struct gb_store *st = NULL;
	size_t n0, n1;
	char *before = gbt_read_file(path, &n0), *after;

	assert_int_equal(gb_store_open(path, &st), err);
	assert_null(st);
	if (!strstr(gb_error_msg(), message))
		fail_msg("message '%s', want '%s'", gb_error_msg(), message);
	after = gbt_read_file(path, &n1);
	assert_true(n0 == n1 && !memcmp(before, after, n0));
	free(before);
	free(after);
}

static void test_refused_databases_unchanged(void **state)
{
	struct fx *f = *state;
	char path[4200], msg[4400];

	/* A newer greenbench's database. */
	snprintf(path, sizeof path, "%s/new.db", f->dir);
	make_v1_db(path);
	sql_exec(path, "PRAGMA user_version = 999");
	snprintf(msg, sizeof msg, "cannot open database '%s': its schema version 999 is newer than this greenbench's (%d)",
		 path, GB_STORE_SCHEMA_VERSION);
	check_refused(path, -EPROTONOSUPPORT, msg);
	/* Not SQLite at all. */
	snprintf(path, sizeof path, "%s/notes.db", f->dir);
	gbt_write(f->dir, "notes.db", "%0512d: these are notes, not a database\n", 0);
	snprintf(msg, sizeof msg, "cannot open database '%s': it is not an SQLite database", path);
	check_refused(path, -EINVAL, msg);
	/* SQLite, but some other program's. */
	snprintf(path, sizeof path, "%s/other.db", f->dir);
	sql_exec(path, "CREATE TABLE run(id INTEGER); CREATE TABLE recipes(name TEXT)");
	snprintf(msg, sizeof msg, "cannot open database '%s': it is not a greenbench results database (it has a table 'recipes')",
		 path);
	check_refused(path, -EINVAL, msg);
}

static void test_open_error(void **state)
{
	struct gb_store *st = NULL;

	(void)state;
	assert_true(gb_store_open("/nonexistent/dir/r.db", &st) < 0);
	assert_null(st);
	assert_non_null(strstr(gb_error_msg(), "cannot open database '/nonexistent/dir/r.db'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_and_order_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_insert_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_for_resume, setup, teardown),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test_setup_teardown(test_v1_database_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_databases_unchanged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
