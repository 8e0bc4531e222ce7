/*
 * `greenbench campaign run` end to end with the scripted fake run
 * (tests/fakes/fake_run.c): every planned run recorded once in plan
 * order, failures (error record, crash, hang) recorded with reasons while
 * the campaign goes on, kill -9 at random points then --resume loses and
 * repeats nothing, Ctrl-C records nothing half-done, kill -9 of the
 * campaign leaves no run behind, CLI errors.
 */
#include "lib/gbtest.h"
#include "greenbench/plan.h"
#include "greenbench/time.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *gb, *fake, *dir, env[8192];

static int setup(void **st)
{
	(void)st;
	gb = gbt_greenbench();
	fake = gbt_build_path("fake-run");
	dir = gbt_mkdtemp();
	snprintf(env, sizeof env, "GREENBENCH_RUN_CMD='%s' GREENBENCH_CACHE_DIR='%s/cache' "
		 "GB_FAKE_LOG='%s/log'", fake, dir, dir);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	gbt_rm_rf(dir);
	free(dir);
	free(fake);
	free(gb);
	return 0;
}

/* Child environment for fork/exec tests, same as `env` above. */
static void child_env(void)
{
	char buf[4096];

	setenv("GREENBENCH_RUN_CMD", fake, 1);
	snprintf(buf, sizeof buf, "%s/cache", dir);
	setenv("GREENBENCH_CACHE_DIR", buf, 1);
	snprintf(buf, sizeof buf, "%s/log", dir);
	setenv("GB_FAKE_LOG", buf, 1);
}

static int run_gb(const char *extra_env, const char *args, char **out)
{
	char cmd[16384];

	snprintf(cmd, sizeof cmd, "cd '%s' && %s %s '%s' %s 2>&1", dir, env, extra_env, gb, args);
	return gbt_run(cmd, out);
}

static void write_plan(const char *name, const char *text)
{
	gbt_write(dir, name, "%s", text);
}

static sqlite3 *db_open(const char *name)
{
	char path[4096];
	sqlite3 *h = NULL;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	return h;
}

static long long q_int(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char *q_text(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *s;
	char *v = NULL;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

static void test_full_campaign_with_failures(void **st)
{
	char *out = NULL, *s, path[4096];
	struct gb_plan *p = NULL;
	sqlite3 *h;

	(void)st;
	write_plan("full.yaml", gbt_full_plan);
	int rc = run_gb("GB_FAKE_FAIL='" GBT_FULL_FAIL_KEY "' GB_FAKE_CRASH='" GBT_FULL_CRASH_KEY "' "
			"GB_FAKE_HANG='" GBT_FULL_HANG_KEY "'",
			"campaign run full.yaml --db r.db", &out);
	/* 3: runs failed (docs/campaigns.md, exit status). */
	if (rc != 3)
		fail_msg("campaign exit %d:\n%s", rc, out);
	assert_non_null(strstr(out, "campaign 1 'full': 8 configurations x 2 reps = 16 runs (seed 5)"));
	assert_non_null(strstr(out, "16 runs recorded now (10 ok, 6 failed)"));
	free(out);

	h = db_open("r.db");
	assert_int_equal(q_int(h, "SELECT count(*) FROM run"), 16);
	assert_int_equal(q_int(h, "SELECT count(DISTINCT seq) FROM run"), 16);
	assert_int_equal(q_int(h, "SELECT count(*) FROM run WHERE status = 'ok'"), 10);
	assert_int_equal(q_int(h, "SELECT count(*) FROM run r JOIN configuration c ON c.campaign_id = r.campaign_id AND c.idx = r.config_idx"
			      " WHERE c.key = 'mobilenetv2|ort/cuda|b4' AND r.reason = 'unsupported execution provider cuda on this machine'"), 2);
	s = q_text(h, "SELECT r.reason || '|' || r.stderr_tail FROM run r JOIN configuration c ON c.campaign_id = r.campaign_id"
		   " AND c.idx = r.config_idx WHERE c.key = 'bert-base|ort/cpu|b4' LIMIT 1");
	assert_non_null(s);
	assert_non_null(strstr(s, "killed by signal 11 (Segmentation fault)"));
	assert_non_null(strstr(s, "fake run: about to crash"));
	free(s);
	assert_int_equal(q_int(h, "SELECT count(*) FROM run r JOIN configuration c ON c.campaign_id = r.campaign_id AND c.idx = r.config_idx"
			      " WHERE c.key = 'bert-base|ort/cuda|b1' AND r.reason LIKE 'timed out after 1.0 s%'"), 2);
	/* Ok runs carry their record, phases, energy and series. */
	assert_int_equal(q_int(h, "SELECT count(*) FROM run WHERE status = 'ok' AND record_json IS NOT NULL AND energy_per_item_mj > 0"), 10);
	assert_int_equal(q_int(h, "SELECT count(DISTINCT run_id) FROM series"), 10);
	assert_int_equal(q_int(h, "SELECT count(*) FROM energy WHERE phase = 'measured' AND domain = 'cpu' AND method = 'estimated'"), 10);
	/* The order executed is the plan's seeded order. */
	snprintf(path, sizeof path, "%s/full.yaml", dir);
	assert_int_equal(gb_plan_load(path, &p), 0);
	for (size_t i = 0; i < p->nruns; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT config_idx * 1000 + rep FROM run WHERE seq = %zu", i);
		assert_int_equal(q_int(h, sql), (long long)(p->runs[i].config * 1000 + p->runs[i].rep));
	}
	gb_plan_free(p);
	sqlite3_close(h);
	/* Each run was executed exactly once; zoo models were exported to the cache once. */
	assert_int_equal(gbt_count_lines(dir, "log"), 16);
	snprintf(path, sizeof path, "%s/cache/zoo/bert-base.onnx", dir);
	assert_int_equal(access(path, R_OK), 0);
}

static pid_t spawn_campaign(const char *file, const char *db, const char *extra_env_name, const char *extra_env_val, int resume)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		child_env();
		if (extra_env_name)
			setenv(extra_env_name, extra_env_val, 1);
		if (chdir(dir))
			_exit(126);
		execl(gb, gb, "campaign", "run", file, "--db", db, "-q", resume ? "--resume" : NULL, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Poll the database until it holds at least k runs or the process ends. */
static long long wait_for_runs(const char *db, long long k, pid_t pid)
{
	char path[4096];
	long long n = 0;
	sqlite3 *h = NULL;

	snprintf(path, sizeof path, "%s/%s", dir, db);
	for (;;) {
		int status;
		if (!h && access(path, R_OK) == 0) {
			assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
			sqlite3_busy_timeout(h, 5000);
		}
		if (h) {
			sqlite3_stmt *s;
			if (sqlite3_prepare_v2(h, "SELECT count(*) FROM run", -1, &s, NULL) == SQLITE_OK) {
				if (sqlite3_step(s) == SQLITE_ROW)
					n = sqlite3_column_int64(s, 0);
				sqlite3_finalize(s);
			}
		}
		if (n >= k)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("campaign ended before %lld runs were recorded (status %d)", k, status);
		sched_yield();
	}
	sqlite3_close(h);
	return n;
}

static const char resume_plan[] =
	"seed: 11\n"
	"reps: 3\n"
	"models: [mobilenetv2, resnet50]\n"
	"runtimes: [ort/cpu, ort/cuda, ort/tensorrt]\n"
	"batches: [1, 8]\n";	/* 12 configurations, 36 runs */

static void test_resume_after_kill_at_random_points(void **st)
{
	(void)st;
	write_plan("resume.yaml", resume_plan);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (int round = 0; round < 3; round++) {
		char db[32], sql[256];
		long long k = 1 + rand() % 34, before, after;
		char *ids_before, *ids_after, *out = NULL;
		int status;
		sqlite3 *h;
		pid_t pid;

		snprintf(db, sizeof db, "k%d.db", round);
		snprintf(sql, sizeof sql, "%s/log", dir);
		unlink(sql);
		pid = spawn_campaign("resume.yaml", db, NULL, NULL, 0);
		wait_for_runs(db, k, pid);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));

		h = db_open(db);
		before = q_int(h, "SELECT count(*) FROM run");
		ids_before = q_text(h, "SELECT group_concat(id || ':' || seq || ':' || finished_at) FROM (SELECT * FROM run ORDER BY seq)");
		sqlite3_close(h);
		assert_true(before >= k && before < 36);

		snprintf(sql, sizeof sql, "campaign run resume.yaml --db %s --resume", db);
		assert_int_equal(run_gb("", sql, &out), 0);
		assert_non_null(strstr(out, "resuming: "));
		free(out);

		h = db_open(db);
		after = q_int(h, "SELECT count(*) FROM run");
		assert_int_equal(after, 36);
		assert_int_equal(q_int(h, "SELECT count(DISTINCT seq) FROM run"), 36);
		assert_int_equal(q_int(h, "SELECT count(*) FROM campaign"), 1);
		assert_int_equal(q_int(h, "SELECT count(*) FROM campaign WHERE finished_at IS NOT NULL"), 1);
		/* Runs finished before the kill are untouched, row for row. */
		snprintf(sql, sizeof sql, "SELECT group_concat(id || ':' || seq || ':' || finished_at) FROM "
			 "(SELECT * FROM run WHERE id <= %lld ORDER BY seq)", before);
		ids_after = q_text(h, sql);
		assert_string_equal(ids_before, ids_after);
		sqlite3_close(h);
		/* 36 executions, plus at most the one in flight at the kill. */
		long lines = gbt_count_lines(dir, "log");
		assert_true(lines >= 36 && lines <= 37);
		free(ids_before);
		free(ids_after);
	}
}

static void test_sigint_records_nothing_half_done(void **st)
{
	struct gb_plan *p = NULL;
	char path[4096], *out = NULL;
	long long hang_seq = -1;
	int status;
	sqlite3 *h;
	pid_t pid;

	(void)st;
	write_plan("int.yaml", "seed: 3\nreps: 2\nrun_timeout: 60s\nmodels: [mobilenetv2, resnet50]\n"
		   "runtimes: [ort/cpu, ort/cuda]\nbatches: [1]\n");
	snprintf(path, sizeof path, "%s/int.yaml", dir);
	assert_int_equal(gb_plan_load(path, &p), 0);
	/* Make the configuration of run 2 hang; Ctrl-C arrives while it does. */
	const struct gb_plan_config *cf = &p->configs[p->runs[2].config];
	char hang[256];
	snprintf(hang, sizeof hang, "model=%s runtime=ort ep=%s batch=1", p->models[cf->model].name,
		 p->runtimes[cf->runtime].ep);
	for (size_t i = 0; i < p->nruns && hang_seq < 0; i++)
		if (p->runs[i].config == p->runs[2].config)
			hang_seq = (long long)i;
	gb_plan_free(p);

	pid = spawn_campaign("int.yaml", "i.db", "GB_FAKE_HANG", hang, 0);
	wait_for_runs("i.db", hang_seq, pid);
	/* The hanging child announces itself in the fake's log before sleeping. */
	while (gbt_count_lines(dir, "log") < hang_seq + 1) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("campaign ended before the hanging run started (status %d)", status);
		sched_yield();
	}
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 130);
	h = db_open("i.db");
	assert_int_equal(q_int(h, "SELECT count(*) FROM run"), hang_seq);
	assert_int_equal(q_int(h, "SELECT count(*) FROM run WHERE status = 'failed'"), 0);
	assert_int_equal(q_int(h, "SELECT count(*) FROM campaign WHERE finished_at IS NULL"), 1);
	sqlite3_close(h);
	/* Resume without the hang: everything recorded once. */
	assert_int_equal(run_gb("", "campaign run int.yaml --db i.db --resume", &out), 0);
	free(out);
	h = db_open("i.db");
	assert_int_equal(q_int(h, "SELECT count(*) FROM run WHERE status = 'ok'"), 8);
	sqlite3_close(h);
}

/* kill -9 runs no handler, so only PR_SET_PDEATHSIG can take the run in
 * flight along. As a subreaper this test inherits the orphan and can wait
 * for it with a deadline. */
static void test_killed_campaign_leaves_no_orphan(void **st)
{
	char pidfile[4200], *text = NULL;
	uint64_t deadline;
	size_t len;
	pid_t pid, run;
	int status, gone = 0;

	(void)st;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	write_plan("orphan.yaml", "run_timeout: 60s\nmodels: [mobilenetv2]\nruntimes: [ort/cpu]\nbatches: [1]\n");
	snprintf(pidfile, sizeof pidfile, "%s/run.pid", dir);
	setenv("GB_FAKE_PIDFILE", pidfile, 1);
	pid = spawn_campaign("orphan.yaml", "o.db", "GB_FAKE_HANG", "model=mobilenetv2", 0);
	unsetenv("GB_FAKE_PIDFILE");
	deadline = gb_now_ns() + 60 * GB_NS_PER_S;
	while (access(pidfile, R_OK)) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("campaign ended before its run started (status %d)", status);
		if (gb_now_ns() > deadline)
			fail_msg("the hanging run did not start");
		poll(NULL, 0, 5);
	}
	assert_int_equal(gb_file_read_all(pidfile, &text, &len), 0);
	run = (pid_t)atol(text);
	free(text);
	assert_true(run > 0);
	assert_int_equal(kill(run, 0), 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	deadline = gb_now_ns() + GB_NS_PER_S;
	while (!gone && gb_now_ns() < deadline) {
		gone = waitpid(run, &status, WNOHANG) == run;
		if (!gone)
			poll(NULL, 0, 5);
	}
	if (!gone)
		kill(run, SIGKILL);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_true(gone);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_idle_baseline_and_export_failure(void **st)
{
	char *out = NULL;
	sqlite3 *h;

	(void)st;
	write_plan("idle.yaml", "reps: 1\nidle_baseline: {duration: 50ms, every: 2}\ncooldown: 10ms\n"
		   "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1, 2, 4]\n");
	/* The preflight refuses a model that cannot be had ... */
	assert_int_equal(run_gb("GB_FAKE_ZOO_FAIL=1", "campaign run idle.yaml --db e.db", &out), 1);
	assert_non_null(strstr(out, "error: the plan cannot run here (use --keep-going to record its runs as failed): "
				    "model 'resnet50': cannot export zoo model 'resnet50'"));
	free(out);
	h = db_open("e.db");
	assert_int_equal(q_int(h, "SELECT count(*) FROM campaign"), 0);
	sqlite3_close(h);
	/* ... and with --keep-going its runs are recorded as failed: exit 3. */
	assert_int_equal(run_gb("GB_FAKE_ZOO_FAIL=1", "campaign run idle.yaml --db e.db --keep-going", &out), 3);
	assert_non_null(strstr(out, "3 runs recorded now (0 ok, 3 failed)"));
	free(out);
	h = db_open("e.db");
	assert_int_equal(q_int(h, "SELECT count(*) FROM run WHERE reason LIKE 'cannot export zoo model ''resnet50''%zoo export failed on purpose%'"), 3);
	/* At the start and again after 2 runs. */
	assert_int_equal(q_int(h, "SELECT count(DISTINCT before_seq) FROM idle"), 2);
	assert_int_equal(q_int(h, "SELECT count(*) FROM idle WHERE domain = 'cpu' AND power_w > 0"), 2);
	sqlite3_close(h);
}

/* torch gets zoo models by name; ONNX runtimes get the exported file. */
static void test_torch_gets_model_by_name(void **st)
{
	char *out = NULL, path[4096], line[512];
	int by_name = 0, by_file = 0;
	FILE *f;

	(void)st;
	write_plan("torch.yaml", "models: [resnet50]\nruntimes: [ort/cpu, {runtime: torch, ep: cuda, options: {dtype: fp16}}]\n"
		   "batches: [1]\n");
	assert_int_equal(run_gb("", "campaign run torch.yaml --db t.db", &out), 0);
	assert_non_null(strstr(out, "2 runs recorded now (2 ok, 0 failed)"));
	free(out);
	snprintf(path, sizeof path, "%s/log", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, "runtime=torch ep=cuda") && strstr(line, "arg=resnet50\n"))
			by_name++;
		if (strstr(line, "runtime=ort ep=cpu") && strstr(line, "/cache/zoo/resnet50.onnx\n"))
			by_file++;
	}
	fclose(f);
	assert_int_equal(by_name, 1);
	assert_int_equal(by_file, 1);
}

static const struct gbt_row rows[] = {
	{ "campaign", 129, "error: missing subcommand: expected 'run'" },
	{ "campaign walk x.yaml", 129, "error: unknown subcommand 'walk'" },
	{ "campaign run", 129, "error: missing experiment file" },
	{ "campaign run a.yaml b.yaml", 129, "more than one experiment file" },
	{ "campaign run x.yaml --bogus", 129, "unknown option '--bogus'" },
	{ "campaign run missing.yaml", 1, "error: cannot open 'missing.yaml': No such file or directory" },
	{ "campaign run bad.yaml", 1, "error: bad.yaml:4:1: unknown key 'repz' in the campaign" },
	{ "campaign run full.yaml --db new.db --resume", 1, "error: no campaign of 'full.yaml' in 'new.db' to resume" },
	{ "report --db missing.db", 1, "error: cannot open database 'missing.db': No such file or directory" },
	{ "report --format pdf", 129, "unknown format 'pdf' (expected table, md, csv, json, latex or html)" },
	{ "report --campaign x", 129, "invalid --campaign 'x'" },
	{ "report --campaign", 129, "option '--campaign' needs a value" },
};

static void test_cli_rows(void **st)
{
	char *out = NULL, cmd[8192];

	(void)st;
	write_plan("ok.yaml", "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\n");
	snprintf(cmd, sizeof cmd, "cd '%s' && GREENBENCH_RUN_CMD=/nonexistent/gb '%s' campaign run ok.yaml 2>&1", dir, gb);
	assert_int_equal(gbt_run(cmd, &out), 1);
	assert_non_null(strstr(out, "error: cannot run '/nonexistent/gb': No such file or directory"));
	free(out);
	write_plan("full.yaml", gbt_full_plan);
	write_plan("bad.yaml", "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nrepz: 3\n");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int rc = run_gb("", rows[i].args, &out);

		gbt_row_check(&rows[i], rc, out);
		free(out);
	}
}

static void test_help(void **st)
{
	static const char *const cmds[] = { "campaign", "report" };

	(void)st;
	for (size_t i = 0; i < 2; i++) {
		char a1[64], a2[64], *x = NULL, *y = NULL;
		snprintf(a1, sizeof a1, "%s --help", cmds[i]);
		snprintf(a2, sizeof a2, "help %s", cmds[i]);
		assert_int_equal(run_gb("", a1, &x), 0);
		assert_int_equal(run_gb("", a2, &y), 0);
		assert_string_equal(x, y);
		assert_non_null(strstr(x, "usage: greenbench "));
		free(x);
		free(y);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_campaign_with_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_kill_at_random_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigint_records_nothing_half_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_campaign_leaves_no_orphan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_baseline_and_export_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torch_gets_model_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
