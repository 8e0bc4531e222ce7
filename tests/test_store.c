/*
 * The SQLite store: a campaign's plan and order, runs inserted once each
 * (a second insert of the same run is refused), everything extracted from
 * a record, absent figures stored as NULL, and lookups for resume.
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
