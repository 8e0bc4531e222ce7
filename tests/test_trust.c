/*
 * Results that can be trusted (issue 13): verdicts and their limits, a
 * CPU hog beside a run and beside a campaign (the hogs are children this
 * test starts and ends), a quiet run staying valid, the fake NVML's
 * foreign GPU process, throttling and a counter that disagrees with
 * power, the report's verdicts, clamped intervals and correlations true
 * by construction; faults: SIGKILL of a campaign at seeded random
 * points, a full disk while storing, failed runs retried as history, a
 * plan that cannot run, and reps: auto.
 */
#include "lib/campaign_fixture.h"
#include "lib/gbtest.h"
#include "lib/proc_fixture.h"
#include "greenbench/plan.h"
#include "greenbench/record.h"
#include "greenbench/report.h"
#include "greenbench/result.h"
#include "greenbench/store.h"
#include "greenbench/time.h"
#include "greenbench/verdict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HOGS 64

static char mounted[4200];
static pid_t hogs[MAX_HOGS];
static size_t nhogs;

static void hogs_stop(void)
{
	for (size_t i = 0; i < nhogs; i++) {
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
	nhogs = 0;
}

static int teardown(void **st)
{
	hogs_stop();
	if (mounted[0])
		umount2(mounted, MNT_DETACH);
	mounted[0] = '\0';
	return gbt_campaign_teardown(st);
}

/* One spinning child per CPU: the machine is then busy whatever else runs. */
static void hogs_start(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	for (long i = 0; i < n && nhogs < MAX_HOGS; i++) {
		pid_t p = fork();

		assert_true(p >= 0);
		if (!p) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (volatile unsigned long k = 0;; k++)
				;
		}
		hogs[nhogs++] = p;
	}
}

static int run_fake(const char *extra_env, char **out)
{
	char cmd[16384];

	snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' run --model mobilenetv2 --runtime torch --ep cuda --batch 1 --json",
		 gbt_cf.dir, extra_env, gbt_cf.fake);
	return gbt_run(cmd, out);
}

static int has_reason(cJSON *rec, const char *code, const char *level)
{
	cJSON *r;

	cJSON_ArrayForEach(r, gbt_json_get(rec, "verdict.reasons"))
		if (!strcmp(gbt_json_str(r, "code"), code) && (!level || !strcmp(gbt_json_str(r, "level"), level)))
			return 1;
	return 0;
}

/* ---- the limits ------------------------------------------------------- */

static void test_verdict_limits(void **st)
{
	struct gb_verdict v;
	char names[128];

	(void)st;
	/* The documented numbers (docs/measurement.md). */
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_CPU, 0.05), GB_VERDICT_VALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_CPU, 0.2), GB_VERDICT_SUSPECT);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_CPU, 0.6), GB_VERDICT_INVALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_GPU, 0), GB_VERDICT_VALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_GPU, 3), GB_VERDICT_SUSPECT);
	assert_int_equal(gb_verdict_level_of(GB_VR_COUNTER_UPDATES, 10), GB_VERDICT_VALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_COUNTER_UPDATES, 9), GB_VERDICT_SUSPECT);
	assert_int_equal(gb_verdict_level_of(GB_VR_COUNTER_UPDATES, 0), GB_VERDICT_INVALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_THROTTLE, 0x1), GB_VERDICT_VALID);	/* GPU idle */
	assert_int_equal(gb_verdict_level_of(GB_VR_THROTTLE, 0x40), GB_VERDICT_SUSPECT); /* thermal */
	assert_int_equal(gb_verdict_level_of(GB_VR_COUNTER_POWER, 2.9), GB_VERDICT_VALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_COUNTER_POWER, 3.1), GB_VERDICT_SUSPECT);
	assert_int_equal(gb_verdict_level_of(GB_VR_COUNTER_POWER, 11), GB_VERDICT_INVALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_IDLE_DRIFT, 30), GB_VERDICT_INVALID);
	assert_int_equal(gb_verdict_level_of(GB_VR_CV, 12), GB_VERDICT_SUSPECT);
	assert_int_equal(gb_verdict_level_of(GB_VR_FOREIGN_CPU, NAN), GB_VERDICT_VALID);
	/* The worst reason wins; bits of a check are ORed; values are kept. */
	gb_verdict_init(&v);
	gb_verdict_check(&v, GB_VR_FOREIGN_CPU, 0.01);
	assert_int_equal(v.level, GB_VERDICT_VALID);
	assert_int_equal(v.reasons, 0);
	gb_verdict_check(&v, GB_VR_THROTTLE, 0x1);
	gb_verdict_check(&v, GB_VR_THROTTLE, 0x40);
	assert_true(v.value[GB_VR_THROTTLE] == 0x41);
	gb_verdict_check(&v, GB_VR_COUNTER_POWER, 20);
	gb_verdict_check(&v, GB_VR_COUNTER_POWER, 1);	/* the worse stays */
	assert_true(v.value[GB_VR_COUNTER_POWER] == 20);
	assert_int_equal(v.level, GB_VERDICT_INVALID);
	gb_verdict_reasons_join(v.reasons, "+", names, sizeof names);
	assert_string_equal(names, "throttle+counter_vs_power");
	/* throttle bits in NVML's words: the H200 at its 700 W cap read 0x4 */
	gb_verdict_throttle_text(0x4, names, sizeof names);
	assert_string_equal(names, "sw_power_cap");
	gb_verdict_throttle_text(0x41 | 0x400, names, sizeof names);
	assert_string_equal(names, "gpu_idle+hw_thermal_slowdown+0x400");
	gb_verdict_throttle_text(0, names, sizeof names);
	assert_string_equal(names, "");
	gb_verdict_throttle_text(0xff, names, 8);	/* cut, still a string */
	assert_int_equal(strlen(names), 7);
}

/* The record carries the checks; the reader judges them again. */
static void test_verdict_round_trip(void **st)
{
	struct gb_run_result r;
	struct gb_verdict back;
	cJSON *rec;

	(void)st;
	gb_run_result_init(&r);
	r.ok = 1;
	r.interference.cpu_cores = 0.3;
	r.interference.gpu_processes = 0;
	gb_verdict_run_result(&r);
	assert_int_equal(r.verdict.level, GB_VERDICT_SUSPECT);
	rec = gb_run_record(&r);
	assert_non_null(rec);
	assert_string_equal(gbt_json_str(rec, "verdict.status"), "suspect");
	assert_true(has_reason(rec, "foreign_cpu", "suspect"));
	assert_true(gbt_json_num(rec, "verdict.reasons.0.limit") == 0.10);
	assert_true(gbt_json_num(rec, "verdict.checks.foreign_gpu_processes") == 0);
	assert_int_equal(gb_record_verdict_read(rec, &back), 0);
	assert_int_equal(back.level, GB_VERDICT_SUSPECT);
	assert_int_equal(back.reasons, 1u << GB_VR_FOREIGN_CPU);
	cJSON_Delete(rec);
	gb_run_result_release(&r);
}

/* ---- interference ------------------------------------------------------ */

static void test_hog_beside_a_run(void **st)
{
	char *out = NULL;
	cJSON *rec;

	(void)st;
	hogs_start();
	assert_int_equal(run_fake("GB_FAKE_WORK_MS=400", &out), 0);
	hogs_stop();
	rec = cJSON_Parse(out);
	if (!rec)
		fail_msg("no record:\n%s", out);
	/* One hog per CPU: others used far more than half a core. */
	assert_string_equal(gbt_json_str(rec, "verdict.status"), "invalid");
	assert_true(has_reason(rec, "foreign_cpu", "invalid"));
	assert_true(gbt_json_num(rec, "verdict.checks.foreign_cpu") > 0.5);
	cJSON_Delete(rec);
	free(out);
}

/* A quiet machine, simulated at the boundary: a fake /proc (the run reads
 * it through GREENBENCH_SYSFS_ROOT) where no other process's CPU time
 * grows while the run measures, whatever the test machine is doing. The
 * hog above stays real. */
static void test_quiet_run_stays_valid(void **st)
{
	const struct gbt_proc quiet[] = { { 1, 0, 5000, 900 }, { 4000001, 1, 1200, 300 } };
	char *out = NULL, extra[4400];
	cJSON *rec;

	(void)st;
	gbt_proc_write(gbt_cf.dir, 1000000, quiet, sizeof quiet / sizeof quiet[0]);
	snprintf(extra, sizeof extra, "GREENBENCH_SYSFS_ROOT='%s' GB_FAKE_WORK_MS=300", gbt_cf.dir);
	assert_int_equal(run_fake(extra, &out), 0);
	rec = cJSON_Parse(out);
	if (!rec)
		fail_msg("no record:\n%s", out);
	assert_true(gbt_json_num(rec, "verdict.checks.foreign_cpu") == 0);
	if (strcmp(gbt_json_str(rec, "verdict.status"), "valid"))
		fail_msg("a quiet run is not valid:\n%s", out);
	assert_string_equal(gbt_json_str(rec, "environment.cpu_own_tree"), "run");
	cJSON_Delete(rec);
	free(out);
}

static void test_hog_beside_a_campaign(void **st)
{
	char *out = NULL;

	(void)st;
	gbt_write(gbt_cf.dir, "hog.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu]\nbatches: [1]\nreps: 2\n"
		  "idle_baseline: 100ms\n");
	hogs_start();
	/* 4: no run failed, some are invalid. */
	assert_int_equal(gbt_cf_gb("GB_FAKE_WORK_MS=300", "campaign run hog.yaml --db h.db", &out), 4);
	hogs_stop();
	/* The baseline was measured 3 times, then kept and its runs marked. */
	assert_non_null(strstr(out, "warning: the machine was not idle for the idle baseline"));
	assert_non_null(strstr(out, "is invalid: foreign_cpu, idle_busy"));
	assert_non_null(strstr(out, "2 runs recorded now (2 ok, 0 failed); 0 suspect, 2 invalid"));
	free(out);
	{
		char sql[256];

		snprintf(sql, sizeof sql, "SELECT count(*) FROM run WHERE verdict = %d AND verdict_reasons = %u",
			 GB_VERDICT_INVALID, (1u << GB_VR_FOREIGN_CPU) | (1u << GB_VR_IDLE_BUSY));
		assert_int_equal(gbt_cf_db_int("h.db", sql), 2);
	}
	/* Every format shows it. */
	assert_int_equal(gbt_cf_gb("", "report --db h.db", &out), 0);
	assert_non_null(strstr(out, "invalid: foreign_cpu, idle_busy"));
	assert_non_null(strstr(out, "0 (+2 invalid)"));
	free(out);
	/* Table 3 says invalid, not failed: the runs did not fail. */
	assert_int_equal(gbt_cf_gb("", "report --db h.db --format md", &out), 0);
	{
		char *t3 = strstr(out, "## Table 3"), *end = t3 ? strstr(t3 + 1, "\n## ") : NULL;

		assert_non_null(end);
		*end = '\0';
		assert_non_null(strstr(t3, "| invalid |"));
		assert_null(strstr(t3, "| failed"));
	}
	free(out);
	assert_int_equal(gbt_cf_gb("", "report --db h.db --format csv", &out), 0);
	assert_non_null(strstr(out, ",0,0,0,2,invalid,foreign_cpu+idle_busy,"));
	free(out);
	assert_int_equal(gbt_cf_gb("", "report --db h.db --format json", &out), 0);
	assert_non_null(strstr(out, "\"runs_invalid\":\t2"));
	free(out);
}

/* Runs side by side on two GPUs of a fake NVML with a hog per CPU: the
 * sibling runs are the campaign's own (its tree, GB_ENV_OWN_TREE), the
 * hogs, outside the campaign, still make every run invalid. One GPU: each
 * run's own tree, as without slots. */
static void test_hog_beside_several_gpus(void **st)
{
	char *lib = gbt_build_path("libfake_nvml.so"), *out = NULL, extra[4400], sql[256];
	int rc;

	(void)st;
	gbt_write(gbt_cf.dir, "g.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1]\nreps: 2\n");
	snprintf(extra, sizeof extra, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_GPUS=2 GB_FAKE_WORK_MS=300", lib);
	hogs_start();
	rc = gbt_cf_gb(extra, "campaign run g.yaml --db g.db --gpus 0,1 -q", &out);
	hogs_stop();
	if (rc != 4)
		fail_msg("exit %d (want 4: runs invalid, none failed):\n%s", rc, out);
	free(out);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM run WHERE verdict = %d AND (verdict_reasons & %u) != 0",
		 GB_VERDICT_INVALID, 1u << GB_VR_FOREIGN_CPU);
	assert_int_equal(gbt_cf_db_int("g.db", sql), 4);
	assert_int_equal(gbt_cf_db_int("g.db", "SELECT count(*) FROM run WHERE"
					   " json_extract(record_json, '$.environment.cpu_own_tree') = 'campaign'"), 4);
	rc = gbt_cf_gb(extra, "campaign run g.yaml --db one.db --gpus 0 -q", &out);
	if (rc != 0 && rc != 4)
		fail_msg("exit %d:\n%s", rc, out);
	free(out);
	assert_int_equal(gbt_cf_db_int("one.db", "SELECT count(*) FROM run WHERE"
					   " json_extract(record_json, '$.environment.cpu_own_tree') = 'run'"), 4);
	free(lib);
}

/* The fake NVML: a GPU process that is not the run's, thermal throttling
 * and a counter reading 20% above the integrated power. */
static void test_fake_nvml_checks(void **st)
{
	char *lib = gbt_build_path("libfake_nvml.so"), *models = gbt_build_path("models"), *out = NULL;
	char extra[8192], args[4400];
	pid_t other;
	cJSON *rec;

	(void)st;
	if (!gbt_have_runtime("ort")) {
		free(lib);
		free(models);
		skip();
	}
	other = fork();	/* a process of ours, but not of the run's tree */
	assert_true(other >= 0);
	if (!other) {
		pause();
		_exit(0);
	}
	snprintf(extra, sizeof extra, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_POWER_MW=250000 FAKE_NVML_ENERGY_PERIOD_MS=0 "
		 "FAKE_NVML_REASONS=0x40 FAKE_NVML_ENERGY_SCALE=1.2 FAKE_NVML_PROCS=%d", lib, (int)other);
	snprintf(args, sizeof args, "run --model '%s/mlp.onnx' --min-duration 1.2s -n 3 --warmup 1 --json", models);
	assert_int_equal(gbt_cf_gb(extra, args, &out), 0);
	rec = cJSON_Parse(out);
	if (!rec)
		fail_msg("no record:\n%s", out);
	assert_true(has_reason(rec, "foreign_gpu_processes", "suspect"));
	assert_true(gbt_json_num(rec, "verdict.checks.foreign_gpu_processes") == 1);
	assert_true(has_reason(rec, "throttle", "suspect"));
	assert_true(gbt_json_num(rec, "verdict.checks.throttle") == 0x40);
	/* |P - 1.2 P| / 1.2 P = 16.7%: invalid. */
	assert_true(has_reason(rec, "counter_vs_power", "invalid"));
	assert_true(fabs(gbt_json_num(rec, "verdict.checks.counter_vs_power") - 100.0 / 6) < 1.0);
	assert_false(has_reason(rec, "counter_updates", NULL));
	assert_string_equal(gbt_json_str(rec, "verdict.status"), "invalid");
	cJSON_Delete(rec);
	free(out);
	/* The same GPU alone, its counter true: none of these reasons. */
	snprintf(extra, sizeof extra, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_POWER_MW=250000 FAKE_NVML_ENERGY_PERIOD_MS=0 "
		 "FAKE_NVML_REASONS=0x1", lib);
	assert_int_equal(gbt_cf_gb(extra, args, &out), 0);
	rec = cJSON_Parse(out);
	assert_non_null(rec);
	assert_true(gbt_json_num(rec, "verdict.checks.foreign_gpu_processes") == 0);
	assert_true(gbt_json_num(rec, "verdict.checks.counter_vs_power") < 3);
	assert_false(has_reason(rec, "throttle", NULL) || has_reason(rec, "counter_vs_power", NULL) ||
		     has_reason(rec, "foreign_gpu_processes", NULL));
	cJSON_Delete(rec);
	free(out);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	free(lib);
	free(models);
}

/* ---- the report -------------------------------------------------------- */

/* Two runs of one configuration, as records from the writer. */
static void store_two(struct gb_store *s, int64_t id, double util0, double util1, int estimated)
{
	for (int i = 0; i < 2; i++) {
		struct gb_run_result r;
		struct gb_phase *ph = &r.phases[GB_PHASE_MEASURED];
		struct gb_store_run_in in = { .seq = i, .config = 0, .rep = (unsigned)i, .ok = 1 };
		cJSON *rec;

		gb_run_result_init(&r);
		r.ok = 1;
		r.metered = 1;
		r.ndomains = 1;
		r.domains = calloc(1, sizeof *r.domains);
		r.idle_w = calloc(1, sizeof *r.idle_w);
		assert_non_null(r.domains);
		snprintf(r.domains[0].name, sizeof r.domains[0].name, "%s", estimated ? "cpu" : "gpu0");
		r.domains[0].kind = estimated ? GB_DOMAIN_CPU_ESTIMATED : GB_DOMAIN_GPU;
		r.domains[0].method = estimated ? GB_METHOD_ESTIMATED : GB_METHOD_COUNTER;
		r.domains[0].parent = -1;
		r.idle_w[0] = NAN;
		ph->done = 1;
		ph->t_start_ns = 0;
		ph->t_end_ns = (uint64_t)(1 + i) * GB_NS_PER_S;
		ph->iterations = 10;
		ph->items = 10;
		ph->energy = calloc(1, sizeof *ph->energy);
		assert_non_null(ph->energy);
		ph->energy[0].energy_valid = 1;
		ph->energy[0].method = r.domains[0].method;
		ph->energy[0].energy_j = 20.0 * (1 + i);
		ph->energy[0].util_gpu_valid = !estimated;
		ph->energy[0].util_gpu_mean = i ? util1 : util0;
		ph->totals.measured_valid = !estimated;
		ph->totals.estimated_valid = estimated;
		ph->totals.measured_j = ph->totals.estimated_j = ph->energy[0].energy_j;
		ph->totals.gpu_valid = !estimated;
		ph->totals.gpu_j = ph->energy[0].energy_j;
		ph->totals.cpu_valid = estimated;
		ph->totals.cpu_j = ph->energy[0].energy_j;
		ph->totals.cpu_method = GB_METHOD_ESTIMATED;
		ph->totals.methods = 1u << r.domains[0].method;
		r.throughput_items_per_s = 10.0 / (1 + i);
		gb_verdict_run_result(&r);
		rec = gb_run_record(&r);
		in.record_json = cJSON_PrintUnformatted(rec);
		assert_int_equal(gb_store_run_insert(s, id, &in), 0);
		free((char *)in.record_json);
		cJSON_Delete(rec);
		gb_run_result_release(&r);
	}
}

static void test_report_clamps_and_labels(void **st)
{
	static const char plan[] = "models: [resnet50]\nruntimes: [ort/cuda]\nbatches: [1]\nreps: 2\n";
	struct gb_plan *p = NULL;
	struct gb_store *s = NULL;
	struct gb_report *rep = NULL;
	const struct gb_report_format *fmt;
	char path[4200], line[512];
	int64_t id;
	FILE *f;
	char *text = NULL;
	size_t len = 0;

	(void)st;
	assert_int_equal(gb_plan_parse(plan, strlen(plan), "p.yaml", &p), 0);
	snprintf(path, sizeof path, "%s/c.db", gbt_cf.dir);
	assert_int_equal(gb_store_open(path, &s), 0);
	assert_int_equal(gb_store_campaign_create(s, p, plan, &id), 0);
	/* GPU utilisation 5 and 95: the t interval of 2 values, 50 +- 572,
	 * is cut to [0, 100]. */
	store_two(s, id, 5, 95, 0);
	assert_int_equal(gb_report_build(s, id, NULL, &rep), 0);
	assert_true(rep->cfgs[0].m[GB_RM_GPU_UTIL].clamped);
	assert_true(rep->cfgs[0].m[GB_RM_GPU_UTIL].lo == 0 && rep->cfgs[0].m[GB_RM_GPU_UTIL].hi == 100);
	assert_false(rep->time_energy.by_construction);
	f = open_memstream(&text, &len);
	assert_int_equal(gb_report_format_find("table", &fmt), 0);
	assert_int_equal(fmt->write(fmt, rep, f), 0);
	fclose(f);
	if (!strstr(text, "50.00 (0.00 to 100.0)"))
		fail_msg("no clamped interval in:\n%s", text);
	assert_non_null(strstr(text, "only 2 runs: a 95% Student-t interval from 2 values is 12.7 standard errors wide"));
	free(text);
	gb_report_free(rep);
	gb_store_close(s);
	gb_plan_free(p);

	/* Estimated energy only: time and energy correlate by construction. */
	snprintf(line, sizeof line, "%s/e.db", gbt_cf.dir);
	assert_int_equal(gb_plan_parse(plan, strlen(plan), "p.yaml", &p), 0);
	assert_int_equal(gb_store_open(line, &s), 0);
	assert_int_equal(gb_store_campaign_create(s, p, plan, &id), 0);
	store_two(s, id, 0, 0, 1);
	assert_int_equal(gb_report_build(s, id, NULL, &rep), 0);
	assert_true(rep->time_energy.by_construction);
	text = NULL;
	f = open_memstream(&text, &len);
	assert_int_equal(gb_report_format_find("json", &fmt), 0);
	assert_int_equal(fmt->write(fmt, rep, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "\"by_construction\":\ttrue"));
	free(text);
	gb_report_free(rep);
	gb_store_close(s);
	gb_plan_free(p);
}

/* ---- faults ------------------------------------------------------------ */

/* Our own children (the orphans we inherit as subreaper) still alive. */
static int reap_orphans_within(uint64_t ns)
{
	uint64_t t0 = gb_now_ns();
	int left;

	do {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		left = waitpid(-1, NULL, WNOHANG) == 0;
		if (left)
			poll(NULL, 0, 5);
	} while (left && gb_now_ns() - t0 < ns);
	return !left;
}

static void test_sigkill_at_random_points(void **st)
{
	unsigned seed = 1313;
	long long before, max_id;
	char *out = NULL, log[4200];
	int rc;

	(void)st;
	gbt_write(gbt_cf.dir, "k.yaml",
		  "models: [mobilenetv2, resnet50]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1]\nreps: 2\n");
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	for (int k = 0; k < 3; k++) {
		char cmd[16384];
		pid_t p;

		snprintf(cmd, sizeof cmd, "cd '%s' && %s GB_FAKE_WORK_MS=120 exec '%s' campaign run k.yaml --db k.db -q %s",
			 gbt_cf.dir, gbt_cf.env, gbt_cf.gb, k ? "--resume" : "");
		p = fork();
		assert_true(p >= 0);
		if (!p) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		/* A seeded point in the campaign: while a run is in flight or
		 * between runs. */
		poll(NULL, 0, 150 + (int)(rand_r(&seed) % 500));
		kill(p, SIGKILL);
		assert_int_equal(waitpid(p, NULL, 0), p);
		if (!reap_orphans_within(GB_NS_PER_S))
			fail_msg("a child of the killed campaign outlived it by 1 s (kill %d)", k);
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	before = gbt_cf_db_int("k.db", "SELECT count(*) FROM run");
	max_id = gbt_cf_db_int("k.db", "SELECT coalesce(max(id), 0) FROM run");
	assert_true(before < 8);
	/* The resume runs exactly what is missing; nothing stored is lost. */
	snprintf(log, sizeof log, "%s/log", gbt_cf.dir);
	unlink(log);
	rc = gbt_cf_gb("GB_FAKE_WORK_MS=10", "campaign run k.yaml --db k.db --resume -q", &out);
	if (rc != 0 && rc != 4)
		fail_msg("resume exit %d:\n%s", rc, out);
	free(out);
	assert_int_equal(gbt_cf_db_int("k.db", "SELECT count(*) FROM run"), 8);
	assert_int_equal(gbt_cf_db_int("k.db", "SELECT count(DISTINCT seq) FROM run"), 8);
	{
		char sql[128];

		snprintf(sql, sizeof sql, "SELECT count(*) FROM run WHERE id <= %lld", max_id);
		assert_int_equal(gbt_cf_db_int("k.db", sql), before);
	}
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 8 - before);
}

/* A filesystem that fills up while the campaign stores its runs: the run
 * that could not be stored is named, the database stays consistent and
 * a resume finishes it. Needs root (mount). */
static void test_disk_full_while_storing(void **st)
{
	char mnt[4200], db[4300], args[4600], *out = NULL;
	long long n;

	(void)st;
	snprintf(mnt, sizeof mnt, "%s/small", gbt_cf.dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=600k")) {
		fprintf(stderr, "skipped: cannot mount a small tmpfs (%s); needs root\n", strerror(errno));
		skip();
	}
	snprintf(mounted, sizeof mounted, "%s", mnt);
	snprintf(db, sizeof db, "small/f.db");
	gbt_write(gbt_cf.dir, "f.yaml", "models: [mobilenetv2, resnet50, bert-base]\nruntimes: [ort/cpu, ort/cuda]\n"
		  "batches: [1, 2, 4, 8]\nreps: 3\n");	/* 72 runs: more than 600 KiB */
	snprintf(args, sizeof args, "campaign run f.yaml --db %s -q", db);
	assert_int_equal(gbt_cf_gb("", args, &out), 1);
	if (!strstr(out, "ended ok but was not stored: cannot ") || !strstr(out, "the disk is full"))
		fail_msg("unexpected output:\n%s", out);
	free(out);
	n = gbt_cf_db_int(db, "SELECT count(*) FROM run");
	assert_true(n > 0 && n < 72);
	/* Consistent: every stored run is whole. */
	assert_int_equal(gbt_cf_db_int(db, "SELECT count(*) FROM run r WHERE r.status = 'ok' AND NOT EXISTS"
				   " (SELECT 1 FROM latency l WHERE l.run_id = r.id)"), 0);
	/* Room again: the resume stores the rest and repeats nothing stored. */
	assert_int_equal(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, "size=64m"), 0);
	snprintf(args, sizeof args, "campaign run f.yaml --db %s -q --resume", db);
	assert_int_equal(gbt_cf_gb("", args, &out), 0);
	free(out);
	assert_int_equal(gbt_cf_db_int(db, "SELECT count(*) FROM run"), 72);
	assert_int_equal(gbt_cf_db_int(db, "SELECT count(DISTINCT seq) FROM run"), 72);
}

/* The GPU's idle power climbs between baselines (the fake NVML's profile
 * ramps 380 W/s): every run after the first baseline is marked with the
 * drift; the first has nothing to compare with. */
static void test_idle_drift_marks_runs(void **st)
{
	char *lib = gbt_build_path("libfake_nvml.so"), *out = NULL, extra[4400];

	(void)st;
	gbt_write(gbt_cf.dir, "i.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu]\nbatches: [1]\nreps: 3\n"
		  "idle_baseline: {duration: 100ms, every: 1}\n");
	snprintf(extra, sizeof extra, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_POWER_MW=0:20000,1000:400000 "
		 "FAKE_NVML_ENERGY_PERIOD_MS=0", lib);
	gbt_cf_gb(extra, "campaign run i.yaml --db i.db -q", &out);
	free(out);
	assert_int_equal(gbt_cf_db_int("i.db", "SELECT count(DISTINCT before_seq) FROM idle WHERE domain = 'gpu0'"), 3);
	assert_int_equal(gbt_cf_db_int("i.db", "SELECT count(*) FROM run WHERE seq = 0 AND"
				   " json_extract(record_json, '$.verdict.checks.idle_drift') IS NULL"), 1);
	snprintf(extra, sizeof extra, "SELECT count(*) FROM run WHERE seq > 0 AND"
		 " json_extract(record_json, '$.verdict.checks.idle_drift') > %g"
		 " AND (CAST(verdict_reasons AS INTEGER) & %u) != 0",
		 gb_verdict_reasons[GB_VR_IDLE_DRIFT].suspect, 1u << GB_VR_IDLE_DRIFT);
	assert_int_equal(gbt_cf_db_int("i.db", extra), 2);
	free(lib);
}

/* A damaged database: a message a person can act on, and the file as it
 * was. */
static void test_damaged_database(void **st)
{
	char path[4200], *before, *after, *out = NULL;
	size_t n0, n1;
	FILE *f;

	(void)st;
	gbt_write(gbt_cf.dir, "d.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu]\nbatches: [1, 2, 4, 8]\nreps: 3\n");
	assert_int_equal(gbt_cf_gb("", "campaign run d.yaml --db d.db -q", &out) & ~4, 0);
	free(out);
	/* Fold the WAL in, then scribble over every page after the first. */
	assert_int_equal(gbt_cf_db_int("d.db", "SELECT count(*) FROM run"), 12);
	{
		sqlite3 *h;

		snprintf(path, sizeof path, "%s/d.db", gbt_cf.dir);
		assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	snprintf(path, sizeof path, "%s/d.db", gbt_cf.dir);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 4096, SEEK_SET), 0);
	for (int i = 0; i < 16 * 4096; i++)
		fputc((i * 131) & 0xff, f);
	assert_int_equal(fclose(f), 0);
	before = gbt_read_file(path, &n0);
	assert_int_equal(gbt_cf_gb("", "report --db d.db", &out), 1);
	if (!strstr(out, "the database is damaged"))
		fail_msg("unexpected message:\n%s", out);
	free(out);
	assert_int_equal(gbt_cf_gb("", "campaign run d.yaml --db d.db --resume -q", &out), 1);
	assert_non_null(strstr(out, "the database is damaged"));
	free(out);
	after = gbt_read_file(path, &n1);
	assert_true(n0 == n1 && !memcmp(before, after, n0));
	free(before);
	free(after);
}

static void test_retry_failed_keeps_history(void **st)
{
	char *out = NULL;

	(void)st;
	gbt_write(gbt_cf.dir, "r.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1]\nreps: 2\n");
	assert_int_equal(gbt_cf_gb("GB_FAKE_FAIL='ep=cuda'", "campaign run r.yaml --db r.db -q", &out), 3);
	free(out);
	assert_int_equal(gbt_cf_db_int("r.db", "SELECT count(*) FROM run WHERE status = 'failed'"), 2);
	assert_int_equal(gbt_cf_gb("", "campaign run r.yaml --db r.db --retry-failed", &out), 0);
	assert_non_null(strstr(out, "2 failed runs run again (the failures are kept as history)"));
	free(out);
	assert_int_equal(gbt_cf_db_int("r.db", "SELECT count(*) FROM run WHERE status = 'ok'"), 4);
	assert_int_equal(gbt_cf_db_int("r.db", "SELECT count(*) FROM attempt"
					   " WHERE reason LIKE 'unsupported execution provider%'"), 2);
	assert_int_equal(gbt_cf_gb("", "report --db r.db --format json", &out), 0);
	assert_non_null(strstr(out, "\"failed_attempts_retried\":\t2"));
	free(out);
	assert_int_equal(gbt_cf_gb("", "report --db r.db", &out), 0);
	assert_non_null(strstr(out, "2 failed runs were retried (--retry-failed); the failures are kept as history"));
	free(out);
}

static void test_preflight_refuses_or_keeps_going(void **st)
{
	char *out = NULL;

	(void)st;
	gbt_write(gbt_cf.dir, "t.yaml", "models: [resnet50]\nruntimes: [ort/cpu, {runtime: torch, ep: cuda}]\nbatches: [1]\n");
	assert_int_equal(gbt_cf_gb("GB_FAKE_UNAVAILABLE=torch", "campaign run t.yaml --db t.db", &out), 1);
	assert_non_null(strstr(out, "error: the plan cannot run here (use --keep-going to record its runs as failed): "
				    "runtime 'torch' cannot run here: fake: not installed here"));
	free(out);
	assert_int_equal(gbt_cf_db_int("t.db", "SELECT count(*) FROM campaign"), 0);
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 0);	/* nothing ran */
	assert_int_equal(gbt_cf_gb("GB_FAKE_UNAVAILABLE=torch", "campaign run t.yaml --db t.db --keep-going", &out), 3);
	free(out);
	assert_int_equal(gbt_cf_db_int("t.db", "SELECT count(*) FROM run WHERE status = 'failed' AND reason LIKE "
				   "'runtime ''torch'' cannot run here%'"), 1);
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 1);	/* only ort ran */
}

/* An EP the runtime accepts but this machine lacks: the fake's devices
 * says so of ort/cuda; a plan taking the provider from elsewhere
 * (provider_lib) is left to its runs. */
static void test_preflight_checks_eps(void **st)
{
	char *out = NULL;

	(void)st;
	gbt_write(gbt_cf.dir, "e.yaml", "models: [resnet50]\nruntimes: [ort/cpu, ort/cuda, torch/cuda]\nbatches: [1]\n");
	assert_int_equal(gbt_cf_gb("GB_FAKE_NO_EP=ort/cuda", "campaign run e.yaml --db e.db", &out), 1);
	if (!strstr(out, "error: the plan cannot run here (use --keep-going to record its runs as failed): "
			 "'ort/cuda' cannot run here: fake: no such provider here\n"))
		fail_msg("unexpected output:\n%s", out);
	free(out);
	assert_int_equal(gbt_cf_db_int("e.db", "SELECT count(*) FROM campaign"), 0);
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 0);
	assert_int_equal(gbt_cf_gb("GB_FAKE_NO_EP=ort/cuda", "campaign run e.yaml --db e.db --keep-going", &out), 3);
	free(out);
	assert_int_equal(gbt_cf_db_int("e.db", "SELECT count(*) FROM run WHERE status = 'failed' AND reason ="
					   " '''ort/cuda'' cannot run here: fake: no such provider here'"), 1);
	assert_int_equal(gbt_count_lines(gbt_cf.dir, "log"), 2);	/* ort/cpu and torch/cuda ran */
	/* cuda:1 is cuda's device 1: the same EP. */
	gbt_write(gbt_cf.dir, "d.yaml", "models: [resnet50]\nruntimes: [ort/cuda:1]\nbatches: [1]\n");
	assert_int_equal(gbt_cf_gb("GB_FAKE_NO_EP=ort/cuda", "campaign run d.yaml --db d.db", &out), 1);
	assert_non_null(strstr(out, "'ort/cuda:1' cannot run here: fake: no such provider here"));
	free(out);
	/* provider_lib: devices looked elsewhere; the run will tell. */
	gbt_write(gbt_cf.dir, "l.yaml", "models: [resnet50]\nbatches: [1]\n"
		  "runtimes: [{runtime: ort, ep: cuda, options: {provider_lib: /opt/p.so}}]\n");
	assert_int_equal(gbt_cf_gb("GB_FAKE_NO_EP=ort/cuda", "campaign run l.yaml --db l.db", &out), 0);
	free(out);
}

/* The same with the real greenbench as the run command on this machine,
 * which has neither ORT's CUDA provider (the ORT the build uses is its CPU
 * one) nor a CUDA build of torch (Debian's, $GB_PYTHON): the plan is
 * refused with both reasons, and --keep-going runs the rest for real. */
static void test_preflight_real_eps(void **st)
{
	char *models = gbt_build_path("models"), *out = NULL, extra[8400];
	const char *py = getenv("GB_PYTHON");

	(void)st;
	gbt_write(gbt_cf.dir, "r.yaml", "models: [{file: %s/mlp.onnx}]\nruntimes: [ort/cpu, ort/cuda, torch/cuda]\n"
		  "batches: [1]\nwarmup: 1\niterations: 3\nmin_duration: 50ms\n", models);
	snprintf(extra, sizeof extra, "GREENBENCH_RUN_CMD='%s' GREENBENCH_ORT_LIB= GREENBENCH_PYTHON='%s'", gbt_cf.gb,
		 py && *py ? py : "/usr/bin/python3");
	assert_int_equal(gbt_cf_gb(extra, "campaign run r.yaml --db r.db", &out), 1);
	if (!strstr(out, "'ort/cuda' cannot run here: ep 'cuda': cannot open provider library '") ||
	    !strstr(out, "libonnxruntime_providers_cuda.so': No such file or directory") ||
	    !strstr(out, "'torch/cuda' cannot run here: ep 'cuda': the torch installed for ") ||
	    !strstr(out, "can use cpu only"))
		fail_msg("unexpected output:\n%s", out);
	free(out);
	assert_int_equal(gbt_cf_db_int("r.db", "SELECT count(*) FROM campaign"), 0);
	assert_int_equal(gbt_cf_gb(extra, "campaign run r.yaml --db r.db --keep-going -q", &out), 3);
	free(out);
	assert_int_equal(gbt_cf_db_int("r.db", "SELECT count(*) FROM run WHERE status = 'ok'"), 1);
	assert_int_equal(gbt_cf_db_int("r.db", "SELECT count(*) FROM run WHERE status = 'failed'"
					   " AND reason LIKE '''%/cuda'' cannot run here: ep ''cuda'': %'"), 2);
	free(models);
}

static void test_reps_auto(void **st)
{
	char *out = NULL;

	(void)st;
	/* Identical repetitions (one noise seed): precise at the minimum. */
	gbt_write(gbt_cf.dir, "a.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1]\n"
		  "reps: {auto: true, ci_pct: 1, min: 3, max: 5}\n");
	assert_int_equal(gbt_cf_gb("GB_FAKE_NOISE_SEED=7 GB_FAKE_LOG=", "campaign run a.yaml --db a.db -q", &out), 0);
	free(out);
	assert_int_equal(gbt_cf_db_int("a.db", "SELECT count(*) FROM run"), 6);
	/* Noisy ones: more runs, up to the maximum, and no further. */
	assert_int_equal(gbt_cf_gb("", "campaign run a.yaml --db b.db -q", &out), 0);
	free(out);
	assert_int_equal(gbt_cf_db_int("b.db", "SELECT count(*) FROM run"), 10);
	assert_int_equal(gbt_cf_db_int("b.db", "SELECT max(rep) FROM planned"), 4);
	assert_int_equal(gbt_cf_db_int("b.db", "SELECT nruns FROM campaign"), 10);
	/* Bad settings are refused with the file, line and what was expected. */
	gbt_write(gbt_cf.dir, "bad.yaml", "models: [mobilenetv2]\nruntimes: [ort/cpu]\nreps: {auto: true, min: 5, max: 3}\n");
	assert_int_equal(gbt_cf_gb("", "campaign run bad.yaml --db c.db", &out), 1);
	assert_non_null(strstr(out, "bad.yaml:3:"));
	assert_non_null(strstr(out, "reps max 3 is below its min 5"));
	free(out);
}

#define TRUST_TEST(f) cmocka_unit_test_setup_teardown(f, gbt_campaign_setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_limits),
		cmocka_unit_test(test_verdict_round_trip),
		TRUST_TEST(test_hog_beside_a_run),
		TRUST_TEST(test_quiet_run_stays_valid),
		TRUST_TEST(test_hog_beside_a_campaign),
		TRUST_TEST(test_hog_beside_several_gpus),
		TRUST_TEST(test_fake_nvml_checks),
		TRUST_TEST(test_report_clamps_and_labels),
		TRUST_TEST(test_sigkill_at_random_points),
		TRUST_TEST(test_disk_full_while_storing),
		TRUST_TEST(test_idle_drift_marks_runs),
		TRUST_TEST(test_damaged_database),
		TRUST_TEST(test_retry_failed_keeps_history),
		TRUST_TEST(test_preflight_refuses_or_keeps_going),
		TRUST_TEST(test_preflight_checks_eps),
		TRUST_TEST(test_preflight_real_eps),
		TRUST_TEST(test_reps_auto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
