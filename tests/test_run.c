/*
 * `greenbench run` end to end on CPU: CLI rows (arguments | exit status |
 * output pattern), the run record checked through cJSON, -o appending only
 * successful runs, and the measured phase honouring --iterations AND
 * --min-duration. Models: tests/gen_models.py and libonnx-testdata.
 * Skipped (with the reason) when ONNX Runtime cannot be loaded.
 */
#include "lib/gbtest.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAST "--min-duration 0 -n 3 --warmup 1"
#define TD "/usr/share/libonnx-testdata/data/pytorch-converted"

static char *gb, *models, *tmp;
static char env[8192];

/* stderr is kept apart when err is non-NULL; otherwise merged. */
static int run_gb(const char *args, char **out, char **err)
{
	char cmd[16384], errfile[4200];
	int rc;

	snprintf(errfile, sizeof errfile, "%s/stderr.txt", tmp);
	snprintf(cmd, sizeof cmd, "%s '%s' %s %s", env, gb, args,
		 err ? "2>" : "2>&1");
	if (err) {
		size_t n = strlen(cmd);
		snprintf(cmd + n, sizeof cmd - n, "'%s'", errfile);
	}
	rc = gbt_run(cmd, out);
	if (err) {
		char *e = NULL;
		char cat[4300];

		snprintf(cat, sizeof cat, "cat '%s'", errfile);
		gbt_run(cat, &e);
		*err = e;
	}
	return rc;
}

static const struct gbt_row rows[] = {
	{ "run", 129, "error: no model given: use --model FILE" },
	{ "run --model", 129, "option '--model' needs a value" },
	{ "run --model $M/mlp.onnx --bogus", 129, "unknown option '--bogus'" },
	{ "run --model $M/mlp.onnx extra", 129, "unexpected argument 'extra'" },
	{ "run --model $M/mlp.onnx --batch 0", 129, "invalid --batch '0'" },
	{ "run --model $M/mlp.onnx --batch -3", 129, "invalid --batch '-3'" },
	{ "run --model $M/mlp.onnx --io gpu", 129, "invalid --io 'gpu': expected host or device" },
	{ "run --model $M/mlp.onnx --dim seq", 129, "invalid --dim 'seq'" },
	{ "run --model $M/mlp.onnx --ep-option novalue", 129, "invalid --ep-option 'novalue'" },
	{ "run --model $M/mlp.onnx --opt-level max", 129, "invalid --opt-level 'max'" },
	{ "run --model $M/mlp.onnx --threads x", 129, "invalid --threads 'x'" },
	{ "run --model $M/mlp.onnx --warmup 2x", 129, "invalid --warmup '2x'" },
	{ "run --model $M/mlp.onnx --min-duration abc", 129, "invalid duration 'abc'" },
	{ "run --model $M/mlp.onnx --no-meter --idle 1s", 129, "--idle needs the meter" },
	{ "run --model /nonexistent/m.onnx", 1,
	  "error: cannot open model '/nonexistent/m.onnx': No such file or directory" },
	{ "run --model $T/bad.onnx", 1, "error: cannot load model '" },
	{ "run --model $M/mlp.onnx --ep metal", 1, "error: unknown execution provider 'metal'" },
	{ "run --model $M/mlp.onnx --ep cuda", 1, "libonnxruntime_providers_cuda.so" },
	{ "run --model $M/mlp.onnx --ep tensorrt", 1,
	  "cannot load libnvinfer.so.10: libnvinfer.so.10: cannot open shared object file" },
	{ "run --model $M/mlp.onnx --ep tensorrt", 1, "put its lib directory on LD_LIBRARY_PATH" },
	{ "run --model $M/mlp.onnx --ep tensorrt --ep-option fp16=2", 1,
	  "error: invalid value '2' for ep option 'fp16': expected 0 or 1" },
	{ "run --model $M/mlp.onnx --ep tensorrt --ep-option workspace=lots", 1,
	  "'workspace': expected a size in bytes" },
	{ "run --model $M/mlp.onnx --ep tensorrt --ep-option provider_lib=/x.so", 1,
	  "ep 'tensorrt' has no option 'provider_lib'" },
	{ "run --model $M/mlp.onnx --ep tensorrt --io device", 1, "runs with --io host only" },
	{ "run --model $M/mlp.onnx --ep-option enable_cuda_graph=1", 1, "ep 'cpu' has no option" },
	{ "run --model $M/mlp.onnx --runtime tvm", 1, "error: unknown runtime 'tvm'" },
	{ "run --model $M/tokens.onnx", 1,
	  "error: input 'input_ids' has symbolic dim 'seq': set --dim seq=N" },
	{ "run --model $M/mlp.onnx --batch 1000000000000", 1,
	  "error: batch 1000000000000 does not fit in memory (lower --batch): the inputs need" },
	{ "run --model $M/fixed.onnx --batch 3", 1, "fixed batch of 2: --batch 3 cannot apply" },
	{ "run --model $M/mlp.onnx -o /nonexistent/dir/x.jsonl", 1,
	  "error: cannot append to '/nonexistent/dir/x.jsonl'" },
	{ "run --model $M/mlp.onnx " FAST, 0, "latency/batch" },
	{ "run --model $M/mlp.onnx --batch 4 --io device " FAST, 0, "batch 4  io device" },
	{ "run --model $M/mlp.onnx --no-meter " FAST, 0, "meter disabled (--no-meter)" },
	{ "run --model $M/mlp.onnx --threads 1,1 --opt-level basic " FAST, 0, "threads 1/1" },
	{ "run --model $M/tokens.onnx --dim seq=4 --vocab 100 " FAST, 0, "throughput" },
	{ "run --model $M/fixed.onnx " FAST, 0, "batch 2" },
	{ "run --model $M/dtypes.onnx --batch 2 " FAST, 0, "energy/item" },
	{ "run --model " TD "/test_Conv2d/model.onnx " FAST, 0, "(3 batches of 2" },
	{ "run --model " TD "/test_Embedding/model.onnx " FAST, 0, "(3 batches of 1" },
};

static void test_rows(void **st)
{
	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char *out = NULL, *err = NULL;
		int rc = run_gb(rows[i].args, &out, &err);
		char *all = NULL;
		size_t lo = strlen(out), le = strlen(err);

		all = malloc(lo + le + 1);
		assert_non_null(all);
		memcpy(all, out, lo);
		memcpy(all + lo, err, le + 1);
		gbt_row_check(&rows[i], rc, all);
		/* A failed run is one line on stderr and nothing on stdout. */
		if (rows[i].exit == 1 && (strchr(err, '\n') != err + le - 1 || lo))
			fail_msg("greenbench %s: want one error line, got:\n%s---\n%s", rows[i].args, out, err);
		free(all);
		free(out);
		free(err);
	}
}

static cJSON *run_json(const char *args, int want_rc)
{
	char *out = NULL, *err = NULL, full[2048];
	cJSON *j;
	int rc;

	snprintf(full, sizeof full, "run --json %s", args);
	rc = run_gb(full, &out, &err);
	if (rc != want_rc)
		fail_msg("greenbench %s: exit %d, want %d\n%s%s", full, rc, want_rc, out, err);
	j = cJSON_Parse(out);
	if (!j)
		fail_msg("greenbench %s: stdout is not JSON:\n%s", full, out);
	/* one record, one line */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
	free(err);
	return j;
}

static void test_record(void **st)
{
	static const char *const phase[] = { "load", "first", "warmup", "measured" };
	cJSON *j, *m;
	const char *sha;

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	j = run_json("--model $M/tokens.onnx --batch 3 --dim seq=6 --vocab 100 --seed 7 "
		     "--warmup 2 -n 20 --min-duration 50ms --io device", 0);
	assert_int_equal(gbt_json_num(j, "schema"), 1);
	assert_string_equal(gbt_json_str(j, "status"), "ok");
	assert_non_null(strstr(gbt_json_str(j, "greenbench_version"), "0."));
	assert_int_equal(strlen(gbt_json_str(j, "started_at")), 20);
	assert_string_equal(gbt_json_str(j, "config.runtime"), "ort");
	assert_string_equal(gbt_json_str(j, "config.ep"), "cpu");
	assert_string_equal(gbt_json_str(j, "config.io"), "device");
	assert_int_equal(gbt_json_num(j, "config.batch"), 3);
	assert_int_equal(gbt_json_num(j, "config.dims.seq"), 6);
	assert_int_equal(gbt_json_num(j, "config.vocab"), 100);
	assert_int_equal(gbt_json_num(j, "config.seed"), 7);
	assert_int_equal(gbt_json_num(j, "config.warmup.iterations"), 2);
	assert_string_equal(gbt_json_str(j, "config.dtype"), "int64");
	sha = gbt_json_str(j, "config.model_sha256");
	assert_int_equal(strlen(sha), 64);
	for (int i = 0; i < 64; i++)
		assert_true(isxdigit((unsigned char)sha[i]));
	assert_non_null(strstr(gbt_json_str(j, "environment.runtime.ort_version"), "1."));
	assert_string_equal(gbt_json_str(j, "environment.runtime.io"), "device");
	assert_true(cJSON_IsArray(gbt_json_get(j, "environment.gpus")));

	/* four phases, in order, each with its time and CPU energy; a phase
	 * shorter than a /proc/stat tick (10 ms) has none, and says why */
	assert_int_equal(cJSON_GetArraySize(gbt_json_get(j, "phases")), 4);
	for (int p = 0; p < 4; p++) {
		char k[64];

		snprintf(k, sizeof k, "phases.%d.name", p);
		assert_string_equal(gbt_json_str(j, k), phase[p]);
		snprintf(k, sizeof k, "phases.%d.duration_s", p);
		assert_true(gbt_json_num(j, k) > 0);
		gbt_check_cpu_estimate(j, p);
		if (p) {
			char prev[64];
			snprintf(k, sizeof k, "phases.%d.t_start_ns", p);
			snprintf(prev, sizeof prev, "phases.%d.t_end_ns", p - 1);
			assert_true(gbt_json_num(j, k) >= gbt_json_num(j, prev));
		}
	}
	assert_int_equal(gbt_json_num(j, "phases.1.iterations"), 1);
	assert_int_equal(gbt_json_num(j, "phases.2.iterations"), 2);
	m = gbt_json_get(j, "phases.3");
	assert_true(gbt_json_num(m, "iterations") >= 20);
	assert_int_equal(gbt_json_num(m, "items"), 3 * gbt_json_num(m, "iterations"));

	/* latency: n batches, ordered percentiles */
	assert_int_equal(gbt_json_num(j, "latency_ns.n"), gbt_json_num(m, "iterations"));
	assert_true(gbt_json_num(j, "latency_ns.min") > 0);
	assert_true(gbt_json_num(j, "latency_ns.min") <= gbt_json_num(j, "latency_ns.p50"));
	assert_true(gbt_json_num(j, "latency_ns.p50") <= gbt_json_num(j, "latency_ns.p90"));
	assert_true(gbt_json_num(j, "latency_ns.p90") <= gbt_json_num(j, "latency_ns.p99"));
	assert_true(gbt_json_num(j, "latency_ns.p99") <= gbt_json_num(j, "latency_ns.max"));
	assert_true(gbt_json_num(j, "latency_ns.mean") >= gbt_json_num(j, "latency_ns.min"));
	assert_true(gbt_json_num(j, "throughput_items_per_s") > 0);
	/* throughput cannot beat the batch's own latency */
	assert_true(gbt_json_num(j, "throughput_items_per_s") <= 3e9 / gbt_json_num(j, "latency_ns.min") * 1.01);
	assert_float_equal(gbt_json_num(j, "energy_per_item_mj.cpu"),
			   gbt_json_num(m, "energy.cpu.joules") * 1e3 / gbt_json_num(m, "items"), 1e-9);
	assert_string_equal(gbt_json_str(j, "summary.cpu_energy_method"), "estimated");
	assert_true(cJSON_IsString(cJSON_GetObjectItem(gbt_json_get(j, "unavailable"), "summary.gpu_energy")));
	assert_null(cJSON_GetObjectItem(gbt_json_get(j, "summary"), "gpu_energy_j"));
	cJSON_Delete(j);
}

/* --iterations AND --min-duration: whichever takes longer. */
static void test_measured_phase_bounds(void **st)
{
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	j = run_json("--model $M/mlp.onnx --no-meter --warmup 0 -n 2 --min-duration 300ms", 0);
	assert_true(gbt_json_num(j, "phases.3.duration_s") >= 0.3);
	assert_true(gbt_json_num(j, "phases.3.iterations") > 2);
	assert_string_equal(gbt_json_str(j, "unavailable.energy"), "meter disabled (--no-meter)");
	assert_int_equal(gbt_json_num(j, "config.warmup.iterations"), 0);
	cJSON_Delete(j);
	j = run_json("--model $M/mlp.onnx --no-meter --warmup 50ms -n 777 --min-duration 0", 0);
	assert_int_equal(gbt_json_num(j, "phases.3.iterations"), 777);
	assert_true(gbt_json_num(j, "phases.2.duration_s") >= 0.05);
	assert_float_equal(gbt_json_num(j, "config.warmup.duration_s"), 0.05, 1e-9);
	cJSON_Delete(j);
}

static void test_failed_record(void **st)
{
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	j = run_json("--model $M/tokens.onnx", 1);
	assert_string_equal(gbt_json_str(j, "status"), "failed");
	assert_non_null(strstr(gbt_json_str(j, "error"), "set --dim seq=N"));
	assert_null(cJSON_GetObjectItem(j, "latency_ns"));
	/* the load phase did run and says so; nothing after it */
	assert_int_equal(cJSON_GetArraySize(gbt_json_get(j, "phases")), 1);
	cJSON_Delete(j);
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_output_appends(void **st)
{
	char path[4200], args[4400], line[1 << 16];
	struct stat sb;
	FILE *f;

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	snprintf(path, sizeof path, "%s/out.jsonl", tmp);
	snprintf(args, sizeof args, "run --model $M/mlp.onnx " FAST " -o '%s' >/dev/null", path);
	assert_int_equal(run_gb(args, NULL, NULL), 0);
	assert_int_equal(run_gb(args, NULL, NULL), 0);
	assert_int_equal(count_lines(path), 2);
	/* failures append nothing */
	snprintf(args, sizeof args, "run --model $M/tokens.onnx " FAST " -o '%s'", path);
	assert_int_equal(run_gb(args, NULL, NULL), 1);
	snprintf(args, sizeof args, "run --model /nonexistent.onnx -o '%s'", path);
	assert_int_equal(run_gb(args, NULL, NULL), 1);
	assert_int_equal(count_lines(path), 2);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		cJSON *j = cJSON_Parse(line);

		assert_non_null(j);
		assert_string_equal(gbt_json_str(j, "status"), "ok");
		cJSON_Delete(j);
	}
	fclose(f);
	/* and create no file */
	snprintf(path, sizeof path, "%s/never.jsonl", tmp);
	snprintf(args, sizeof args, "run --model /nonexistent.onnx -o '%s'", path);
	assert_int_equal(run_gb(args, NULL, NULL), 1);
	assert_int_not_equal(stat(path, &sb), 0);
}

/* With the fake NVML (a constant 200 W GPU): GPU energy per phase, the
 * study's summary columns, energy per item and the idle baseline. */
static void test_gpu_record(void **st)
{
	char *lib = gbt_build_path("libfake_nvml.so"), saved[8192];
	cJSON *j, *g, *methods;
	double dur, joules;
	int counter = 0, estimated = 0;

	(void)st;
	if (!gbt_have_runtime("ort")) {
		free(lib);
		skip();
	}
	if (access(lib, R_OK)) {
		fprintf(stderr, "skipped: no %s\n", lib);
		free(lib);
		skip();
	}
	snprintf(saved, sizeof saved, "%s", env);
	snprintf(env, sizeof env, "%s GREENBENCH_NVML_LIB='%s' FAKE_NVML_POWER_MW=200000 "
		 "FAKE_NVML_ENERGY_PERIOD_MS=0", saved, lib);
	j = run_json("--model $M/mlp.onnx --batch 2 --warmup 0 -n 1 --min-duration 300ms --idle 100ms --series", 0);
	snprintf(env, sizeof env, "%s", saved);
	{
		/* --series: the measured phase's samples, absolute timestamps
		 * inside it, and the fake's 200 W in the power column. */
		cJSON *cols = gbt_json_get(j, "series.columns"), *srows = gbt_json_get(j, "series.rows");
		double t0 = gbt_json_num(j, "phases.3.t_start_ns"), t1 = gbt_json_num(j, "phases.3.t_end_ns");
		int pc = -1;

		assert_string_equal(cJSON_GetArrayItem(cols, 0)->valuestring, "t_ns");
		for (int i = 0; i < cJSON_GetArraySize(cols); i++)
			if (!strcmp(cJSON_GetArrayItem(cols, i)->valuestring, "gpu0.power_mw"))
				pc = i;
		assert_true(pc > 0);
		assert_true(cJSON_GetArraySize(srows) >= 10); /* >= 300 ms at 20 ms */
		for (int r = 0; r < cJSON_GetArraySize(srows); r++) {
			cJSON *row = cJSON_GetArrayItem(srows, r);
			double t = cJSON_GetArrayItem(row, 0)->valuedouble;
			assert_true(t >= t0 && t <= t1);
			assert_float_equal(cJSON_GetArrayItem(row, pc)->valuedouble, 200000, 1);
		}
	}
	g = gbt_json_get(j, "phases.3.energy.gpu0");
	assert_string_equal(gbt_json_str(g, "method"), "counter");
	dur = gbt_json_num(j, "phases.3.duration_s");
	joules = gbt_json_num(g, "joules");
	assert_true(dur >= 0.3);
	assert_float_equal(joules, 200 * dur, 200 * dur * 0.02);
	assert_float_equal(gbt_json_num(g, "net_joules"), 0, 200 * dur * 0.02);
	assert_float_equal(gbt_json_num(j, "idle_baseline.power_w.gpu0"), 200, 4);
	assert_float_equal(gbt_json_num(j, "energy_per_item_mj.gpu0"), joules * 1e3 / gbt_json_num(j, "phases.3.items"), 1e-6);
	assert_float_equal(gbt_json_num(j, "summary.gpu_energy_j"), joules, 1e-9);
	assert_float_equal(gbt_json_num(j, "summary.gpu_util_mean_pct"), 40, 1e-9);
	assert_float_equal(gbt_json_num(j, "summary.gpu_util_sd_pct"), 0, 1e-9);
	assert_true(gbt_json_num(j, "summary.gpu_mem_pct") > 0 && gbt_json_num(j, "summary.gpu_mem_pct") < 100);
	assert_float_equal(gbt_json_num(j, "summary.gpu_power_mean_w"), 200, 4);
	assert_float_equal(gbt_json_num(j, "summary.total_energy_j"),
			   joules + gbt_json_num(j, "summary.cpu_energy_j"), 1e-6);
	methods = gbt_json_get(j, "summary.total_energy_methods");
	for (int i = 0; i < cJSON_GetArraySize(methods); i++) {
		counter += !strcmp(cJSON_GetArrayItem(methods, i)->valuestring, "counter");
		estimated += !strcmp(cJSON_GetArrayItem(methods, i)->valuestring, "estimated");
	}
	assert_true(counter && estimated);
	assert_non_null(strstr(gbt_json_str(j, "environment.gpus.0.name"), "NVIDIA"));
	assert_true(strlen(gbt_json_str(j, "environment.gpus.0.driver")) > 0);
	assert_null(cJSON_GetObjectItem(gbt_json_get(j, "unavailable"), "summary.gpu_energy"));
	cJSON_Delete(j);
	free(lib);
}

/* The engine drives worker runtimes alike: ort-python through the fake
 * onnxruntime module of the worker tests. */
static void test_worker_runtime(void **st)
{
	const char *src = getenv("GB_SRCDIR"), *py = getenv("GB_PYTHON");
	char saved[8192];
	cJSON *j;

	(void)st;
	snprintf(saved, sizeof saved, "%s", env);
	snprintf(env, sizeof env, "%s GREENBENCH_WORKERS_DIR='%s/workers' PYTHONPATH='%s/tests/fakes/pymods' "
		 "GREENBENCH_PYTHON='%s'", saved, src ? src : ".", src ? src : ".", py ? py : "python3");
	{
		char *out = NULL;
		int rc = run_gb("devices", &out, NULL);

		if (rc || !strstr(out, "ort-python  available")) {
			snprintf(env, sizeof env, "%s", saved);
			fprintf(stderr, "skipped: ort-python worker unavailable here\n");
			free(out);
			skip();
		}
		free(out);
	}
	j = run_json("--runtime ort-python --model $M/add.onnx --batch 3 --warmup 1 -n 5 --min-duration 0", 0);
	snprintf(env, sizeof env, "%s", saved);
	assert_string_equal(gbt_json_str(j, "status"), "ok");
	assert_string_equal(gbt_json_str(j, "config.runtime"), "ort-python");
	assert_int_equal(gbt_json_num(j, "config.batch"), 3);
	assert_int_equal(cJSON_GetArraySize(gbt_json_get(j, "phases")), 4);
	assert_true(gbt_json_num(j, "phases.3.iterations") >= 5);
	assert_int_equal(gbt_json_num(j, "latency_ns.n"), gbt_json_num(j, "phases.3.iterations"));
	assert_true(gbt_json_num(j, "throughput_items_per_s") > 0);
	cJSON_Delete(j);
}

static void test_ort_library_missing(void **st)
{
	char *out = NULL, args[256];

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	snprintf(args, sizeof args, "run --model $M/mlp.onnx");
	{
		char saved[8192];

		snprintf(saved, sizeof saved, "%s", env);
		snprintf(env, sizeof env, "%s GREENBENCH_ORT_LIB=/nonexistent/libonnxruntime.so", saved);
		assert_int_equal(run_gb(args, &out, NULL), 1);
		snprintf(env, sizeof env, "%s", saved);
	}
	assert_non_null(strstr(out, "error: runtime 'ort' is not available: cannot load libonnxruntime.so"));
	free(out);
}

static int setup(void **st)
{
	(void)st;
	gb = gbt_greenbench();
	models = gbt_build_path("models");
	tmp = gbt_mkdtemp();
	gbt_write(tmp, "bad.onnx", "not a protobuf\n");
	/* No real NVML (same output on a GPU machine); LSan's note about
	 * ORT's suppressed bytes would add a stderr line under ASan. */
	snprintf(env, sizeof env,
		 "export GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1 "
		 "LSAN_OPTIONS=print_suppressions=0 M='%s' T='%s';", models, tmp);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	gbt_rm_rf(tmp);
	free(tmp);
	free(models);
	free(gb);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_measured_phase_bounds),
		cmocka_unit_test(test_failed_record),
		cmocka_unit_test(test_output_appends),
		cmocka_unit_test(test_gpu_record),
		cmocka_unit_test(test_worker_runtime),
		cmocka_unit_test(test_ort_library_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
