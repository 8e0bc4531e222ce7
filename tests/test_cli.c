/*
 * CLI behaviour as table rows (LIKWID style): arguments, expected exit
 * status, and a pattern the output must contain. Plus --help for every
 * command, JSON shape of `measure --json`, exit-status propagation and
 * signal forwarding.
 */
#include "lib/gbtest.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *gb;
static char env[4096];

static int run_gb(const char *args, char **out)
{
	return gbt_run_gb(env, gb, args, out);
}

static const struct gbt_row rows[] = {
	{ "", 1, "usage: greenbench" },
	{ "--help", 0, "commands:" },
	{ "--version", 0, "greenbench " },
	{ "hlep", 1, "The most similar command is\n\thelp" },
	{ "mesure", 1, "\tmeasure" },
	{ "devices --bogus", 129, "usage: greenbench devices" },
	{ "devices extra", 129, "unexpected argument 'extra'" },
	{ "devices --cpu-tdp -5", 129, "invalid --cpu-tdp '-5'" },
	{ "devices", 0, "CPU energy: estimated" },
	{ "measure", 129, "no command given" },
	{ "measure -i 10parsecs -- true", 129, "unknown unit 'parsecs'" },
	{ "measure -i 100us -- true", 129, "below 1ms" },
	{ "measure --idle x -- true", 129, "invalid duration 'x'" },
	{ "measure -- /nonexistent/program", 127, "error: cannot run '/nonexistent/program': No such file or directory" },
	{ "measure -- sh -c 'exit 3'", 3, "(exit 3)" },
	{ "measure -- sh -c 'kill -TERM $$'", 143, "(exit 143)" },
	/* (a window under a /proc/stat tick has no estimate: test_meter; this
	 * one may take longer than a tick on a loaded machine) */
	{ "measure -- true", 0, "(exit 0)" },
	{ "measure -- sleep 0.05", 0, "estimated" },
	{ "measure -r 3 -- sleep 0.02", 0, "Over 3 runs of 'sleep' (mean, 95% Student-t interval)" },
	{ "measure -r 2 -- sleep 0.02", 0, "2 runs: the interval is 12.7 standard errors wide" },
	{ "measure -r 0 -- true", 129, "-r" },
	{ "measure -r 3 -- sh -c 'exit 5'", 5, "(exit 5)" },
	{ "measure -o /nonexistent/dir/x.csv -- true", 1, "cannot open '/nonexistent/dir/x.csv' for writing" },
	{ "measure -- sh -c 'echo child says hi'", 0, "child says hi" },
};

static void test_rows(void **st)
{
	(void)st;
	gbt_rows_check(rows, sizeof rows / sizeof rows[0], env, gb);
}

/* Every command listed by --help has --help, equal to `help <cmd>`. */
static void test_help_for_every_command(void **st)
{
	char *list = NULL, *line, *save = NULL;
	int ncmd = 0;

	(void)st;
	assert_int_equal(run_gb("--help", &list), 0);
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], args[128], *a = NULL, *b = NULL;

		if (sscanf(line, "   %63s", name) != 1 || line[0] != ' ' || line[3] == ' ')
			continue;
		ncmd++;
		snprintf(args, sizeof args, "%s --help", name);
		assert_int_equal(run_gb(args, &a), 0);
		snprintf(args, sizeof args, "help %s", name);
		assert_int_equal(run_gb(args, &b), 0);
		if (strcmp(a, b) || !strstr(a, "usage: greenbench"))
			fail_msg("'%s --help' and 'help %s' differ or lack usage:\n%s\n---\n%s", name, name, a, b);
		free(a);
		free(b);
	}
	assert_true(ncmd >= 4);
	free(list);
}

/* -r N: N runs, each domain's energy and the duration with an interval
 * that never goes below 0. */
static void test_measure_repeat_json(void **st)
{
	char *out = NULL;
	cJSON *j, *rep, *cpu;

	(void)st;
	assert_int_equal(run_gb("measure --json -r 3 -- sleep 0.03 2>/dev/null", &out), 0);
	j = cJSON_Parse(out);
	if (!j)
		fail_msg("not JSON:\n%s", out);
	rep = cJSON_GetObjectItem(j, "repeat");
	assert_non_null(rep);
	assert_int_equal(cJSON_GetObjectItem(rep, "runs")->valueint, 3);
	assert_int_equal(gbt_json_num(rep, "duration_s.n"), 3);
	assert_true(gbt_json_num(rep, "duration_s.mean") >= 0.03);
	assert_true(gbt_json_num(rep, "duration_s.ci95_lo") >= 0);
	assert_true(gbt_json_num(rep, "duration_s.ci95_lo") <= gbt_json_num(rep, "duration_s.mean"));
	assert_true(gbt_json_num(rep, "duration_s.ci95_hi") >= gbt_json_num(rep, "duration_s.mean"));
	cpu = gbt_json_get(rep, "energy.cpu");
	assert_non_null(cpu);
	assert_int_equal(gbt_json_num(cpu, "n"), 3);
	assert_true(gbt_json_num(cpu, "ci95_lo") >= 0);
	/* The last run's verdict: others' CPU time over the command. */
	assert_true(gbt_json_num(j, "verdict.checks.foreign_cpu") >= 0);
	assert_non_null(strstr("valid suspect invalid", gbt_json_str(j, "verdict.status")));
	cJSON_Delete(j);
	free(out);
}

static void test_measure_json_shape(void **st)
{
	char *out = NULL;
	cJSON *j, *e, *cpu;

	(void)st;
	assert_int_equal(run_gb("measure --json -- sh -c 'sleep 0.05; exit 4' 2>/dev/null", &out), 4);
	j = cJSON_Parse(out);
	if (!j)
		fail_msg("not JSON:\n%s", out);
	assert_int_equal(cJSON_GetObjectItem(j, "exit_code")->valueint, 4);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "duration_s")));
	assert_true(cJSON_GetObjectItem(j, "duration_s")->valuedouble >= 0);
	e = cJSON_GetObjectItem(j, "energy");
	assert_true(cJSON_IsObject(e));
	cpu = cJSON_GetObjectItem(e, "cpu");
	assert_non_null(cpu);
	assert_string_equal(cJSON_GetObjectItem(cpu, "method")->valuestring, "estimated");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(cpu, "joules")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "command")));
	cJSON_Delete(j);
	free(out);
}

static void test_measure_idle_and_csv(void **st)
{
	char *out = NULL, *csv = NULL;
	cJSON *j, *ib;
	FILE *f;
	long n;

	(void)st;
	assert_int_equal(run_gb("measure --json --idle 50ms -i 5ms -o series.csv -- "
				"sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'", &out), 0);
	j = cJSON_Parse(out);
	assert_non_null(j);
	ib = cJSON_GetObjectItem(j, "idle_baseline");
	assert_non_null(ib);
	assert_true(cJSON_GetObjectItem(ib, "duration_s")->valuedouble > 0.049);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "energy"), "cpu"), "net_joules"));
	cJSON_Delete(j);
	free(out);
	f = fopen("series.csv", "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	csv = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(csv, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_int_equal(strncmp(csv, "t_s,cpu.energy_j,cpu.power_w", 28), 0);
	/* At 5 ms a loop of ~50+ ms gives several rows. */
	assert_true(strchr(strchr(strchr(csv, '\n') + 1, '\n') + 1, '\n') != NULL);
	free(csv);
}

/* SIGTERM sent to greenbench reaches the child; its status comes back. */
static void test_signal_forwarding(void **st)
{
	char cmd[8192];
	uint64_t deadline;
	struct stat sb;
	pid_t pid;
	int status;

	(void)st;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		snprintf(cmd, sizeof cmd, "echo started > started; exec sleep 60");
		execl(gb, gb, "measure", "--", "sh", "-c", cmd, (char *)NULL);
		_exit(126);
	}
	deadline = gb_now_ns() + 20 * GB_NS_PER_S;
	while (stat("started", &sb) != 0 && gb_now_ns() < deadline) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(stat("started", &sb), 0);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
}

static int setup(void **st)
{
	(void)st;
	gb = gbt_greenbench();
	/* No real NVML: the tests must behave the same on a GPU machine. */
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1");
	setenv("GREENBENCH_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	free(gb);
	return 0;
}

/* GPU energy through a fake NVML: the counter and the integration of
 * sampled power must both give power x duration, each with its method. */
static void check_fake_gpu(const char *mode, const char *method)
{
	char args[8192], *out = NULL;
	char *lib = gbt_build_path("libfake_nvml.so");
	cJSON *j, *g;
	double dur, joules;

	/* The workload outlasts the counter's 100 ms step (below it there is no
	 * GPU energy at all, see test_measure_short_window_gpu). */
	snprintf(args, sizeof args, "measure --json -i 5ms -- sleep 0.25 2>/dev/null");
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_POWER_MW=250000 "
		 "FAKE_NVML_ENERGY_PERIOD_MS=0 FAKE_NVML_MODE=%s", lib, mode);
	assert_int_equal(run_gb(args, &out), 0);
	j = cJSON_Parse(out);
	if (!j)
		fail_msg("not JSON:\n%s", out);
	g = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "energy"), "gpu0");
	assert_non_null(g);
	assert_string_equal(cJSON_GetObjectItem(g, "method")->valuestring, method);
	dur = cJSON_GetObjectItem(j, "duration_s")->valuedouble;
	joules = cJSON_GetObjectItem(g, "joules")->valuedouble;
	/* Integration starts at the first sample after the start mark and the
	 * counter is floored to mJ: allow one interval and a millijoule. */
	if (fabs(joules - 250.0 * dur) > 250.0 * 0.006 + 0.002)
		fail_msg("%s: %.4f J over %.4f s, expected %.4f J", mode, joules, dur, 250.0 * dur);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "telemetry"), "gpu0"));
	cJSON_Delete(j);
	free(out);
	free(lib);
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1");
}

static void test_measure_fake_gpu_counter(void **st)
{
	(void)st;
	check_fake_gpu("full", "counter");
}

static void test_measure_fake_gpu_integrated(void **st)
{
	(void)st;
	check_fake_gpu("no_energy", "integrated");
}

/* A window shorter than the NVML counter's 100 ms step has no GPU energy:
 * absent with the reason, never 0 J. */
static void test_measure_short_window_gpu(void **st)
{
	char *lib = gbt_build_path("libfake_nvml.so"), *out = NULL;
	cJSON *j, *un;

	(void)st;
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_POWER_MW=250000", lib);
	assert_int_equal(run_gb("measure --json -- true 2>/dev/null", &out), 0);
	j = cJSON_Parse(out);
	assert_non_null(j);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "energy"), "gpu0"));
	un = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "unavailable"), "gpu0");
	assert_non_null(un);
	assert_non_null(strstr(un->valuestring, "shorter than the counter's 100 ms update period"));
	cJSON_Delete(j);
	free(out);
	free(lib);
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1");
}

static void test_devices_fake_gpu(void **st)
{
	char *lib = gbt_build_path("libfake_nvml.so"), *out = NULL;

	(void)st;
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_GPUS=2", lib);
	assert_int_equal(run_gb("devices", &out), 0);
	assert_non_null(strstr(out, "gpu1"));
	assert_non_null(strstr(out, "Fake NVIDIA H100"));
	free(out);
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_MODE=init_fail", lib);
	assert_int_equal(run_gb("devices", &out), 0);
	assert_non_null(strstr(out, "Driver Not Loaded"));
	free(out);
	free(lib);
	snprintf(env, sizeof env, "GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_help_for_every_command),
		cmocka_unit_test(test_measure_json_shape),
		cmocka_unit_test(test_measure_repeat_json),
		cmocka_unit_test(test_measure_idle_and_csv),
		cmocka_unit_test(test_signal_forwarding),
		cmocka_unit_test(test_measure_fake_gpu_counter),
		cmocka_unit_test(test_measure_fake_gpu_integrated),
		cmocka_unit_test(test_devices_fake_gpu),
		cmocka_unit_test(test_measure_short_window_gpu),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
