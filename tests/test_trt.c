/*
 * ORT's TensorRT provider without a GPU: the --ep-option table and its
 * checks, the engine cache's built/reused logic on fake and real listings,
 * and the errors where TensorRT (or the provider library) is missing, with
 * a fake libnvinfer.so.10 that only tells its version.
 */
#include "lib/gbtest.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/result.h"
#include "greenbench/runtime.h"
#include "runtime/trt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KV(k, v) { k, v }

static int parse(const struct gb_kv *kv, size_t n, const char *tag, struct gb_trt_options *o)
{
	gb_error_clear();
	return gb_trt_options_parse(kv, n, tag, o);
}

static void expect_error(const struct gb_kv *kv, size_t n, const char *want)
{
	struct gb_trt_options o;
	int ret = parse(kv, n, "b1", &o);

	if (ret >= 0 || !strstr(gb_error_msg(), want))
		fail_msg("%s=%s: want error with '%s', got %d '%s'", kv[n - 1].key, kv[n - 1].value,
			 want, ret, gb_error_msg());
}

static void expect_val(const struct gb_trt_options *o, const char *key, const char *want)
{
	const char *v = gb_trt_options_get(o, key);

	if (!v || strcmp(v, want))
		fail_msg("%s: want '%s', got '%s'", key, want, v ? v : "(absent)");
}

static void test_key_map(void **st)
{
	(void)st;
	assert_string_equal(gb_trt_key("fp16"), "trt_fp16_enable");
	assert_string_equal(gb_trt_key("int8"), "trt_int8_enable");
	assert_string_equal(gb_trt_key("int8_calibration_table"), "trt_int8_calibration_table_name");
	assert_string_equal(gb_trt_key("engine_cache"), "trt_engine_cache_path");
	assert_string_equal(gb_trt_key("timing_cache"), "trt_timing_cache_path");
	assert_string_equal(gb_trt_key("workspace"), "trt_max_workspace_size");
	assert_string_equal(gb_trt_key("builder_opt_level"), "trt_builder_optimization_level");
	assert_string_equal(gb_trt_key("profile_opt"), "trt_profile_opt_shapes");
	assert_string_equal(gb_trt_key("dump_subgraphs"), "trt_dump_subgraphs");
	/* ORT's keys map to themselves, known or not */
	assert_string_equal(gb_trt_key("trt_fp16_enable"), "trt_fp16_enable");
	assert_string_equal(gb_trt_key("trt_something_new"), "trt_something_new");
	assert_null(gb_trt_key("fp61"));
}

static void test_parse_short_names(void **st)
{
	char *dir = gbt_mkdtemp(), cache[512], timing[512];
	struct gb_trt_options o;

	(void)st;
	snprintf(cache, sizeof cache, "%s/engines", dir);
	snprintf(timing, sizeof timing, "%s/timing", dir);
	{
		const struct gb_kv kv[] = {
			KV("fp16", "1"), KV("workspace", "4G"), KV("builder_opt_level", "5"),
			KV("engine_cache", cache), KV("timing_cache", timing), KV("device_id", "0"),
			KV("session.x", "y"), KV("trt_dump_ep_context_model", "0"),
		};

		assert_int_equal(parse(kv, 8, "b64", &o), 0);
	}
	expect_val(&o, "trt_fp16_enable", "1");
	expect_val(&o, "trt_max_workspace_size", "4294967296");
	expect_val(&o, "trt_builder_optimization_level", "5");
	expect_val(&o, "trt_engine_cache_enable", "1");
	expect_val(&o, "trt_engine_cache_path", cache);
	expect_val(&o, "trt_timing_cache_enable", "1");
	expect_val(&o, "trt_timing_cache_path", timing);
	expect_val(&o, "trt_dump_ep_context_model", "0");
	/* the run's shape names the engines, so batch sizes do not collide */
	expect_val(&o, "trt_engine_cache_prefix", "gb_b64");
	assert_string_equal(o.cache_prefix, "gb_b64");
	assert_string_equal(o.engine_cache_dir, cache);
	assert_false(o.prefix_given);
	assert_true(o.fp16);
	assert_false(o.int8);
	assert_false(o.explicit_profile);
	/* ours are left to ort.c */
	assert_null(gb_trt_options_get(&o, "device_id"));
	assert_null(gb_trt_options_get(&o, "session.x"));
	assert_int_equal(o.n, 9);
	{
		const struct gb_kv kv[] = { KV("engine_cache", cache), KV("engine_cache_prefix", "mine") };

		assert_int_equal(parse(kv, 2, "b64", &o), 0);
		expect_val(&o, "trt_engine_cache_prefix", "mine");
		assert_true(o.prefix_given);
	}
	{
		/* no cache: no prefix is made up */
		const struct gb_kv kv[] = { KV("fp16", "0"), KV("workspace", "512M") };

		assert_int_equal(parse(kv, 2, "b64", &o), 0);
		assert_null(gb_trt_options_get(&o, "trt_engine_cache_prefix"));
		expect_val(&o, "trt_max_workspace_size", "536870912");
		assert_false(o.fp16);
		assert_string_equal(o.engine_cache_dir, "");
	}
	{
		const struct gb_kv kv[] = {
			KV("profile_min", "x:1x3x224x224"), KV("profile_opt", "x:8x3x224x224"),
			KV("trt_profile_max_shapes", "x:64x3x224x224,mask:64x128"),
		};

		assert_int_equal(parse(kv, 3, NULL, &o), 0);
		assert_true(o.explicit_profile);
		expect_val(&o, "trt_profile_max_shapes", "x:64x3x224x224,mask:64x128");
	}
	gbt_rm_rf(dir);
	free(dir);
}

static void test_parse_errors(void **st)
{
	char *dir = gbt_mkdtemp(), file[512], missing[512], cache[512];
	FILE *f;

	(void)st;
	snprintf(file, sizeof file, "%s/plain", dir);
	snprintf(missing, sizeof missing, "%s/no/such", dir);
	snprintf(cache, sizeof cache, "%s", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	{
		const struct gb_kv kv[] = { KV("fp16", "2") };
		expect_error(kv, 1, "invalid value '2' for ep option 'fp16': expected 0 or 1");
	}
	{
		const struct gb_kv kv[] = { KV("trt_int8_enable", "yes") };
		expect_error(kv, 1, "invalid value 'yes' for ep option 'trt_int8_enable': expected 0 or 1");
	}
	{
		const struct gb_kv kv[] = { KV("builder_opt_level", "6") };
		expect_error(kv, 1, "'builder_opt_level': expected an integer from 0 to 5");
	}
	{
		const struct gb_kv kv[] = { KV("workspace", "4T") };
		expect_error(kv, 1, "invalid value '4T' for ep option 'workspace': expected a size in bytes");
	}
	{
		const struct gb_kv kv[] = { KV("workspace", "-1") };
		expect_error(kv, 1, "expected a size in bytes");
	}
	{
		const struct gb_kv kv[] = { KV("engine_cache", file) };
		expect_error(kv, 1, "expected a directory (it is not one)");
	}
	{
		const struct gb_kv kv[] = { KV("engine_cache", missing) };
		expect_error(kv, 1, "does not exist");
	}
	{
		const struct gb_kv kv[] = { KV("profile_min", "x:1x3"), KV("profile_max", "x:8x3") };
		expect_error(kv, 2, "go together: 2 of 3 given");
	}
	{
		const struct gb_kv kv[] = { KV("profile_min", "1x3x224x224") };
		expect_error(kv, 1, "expected input:DIMS");
	}
	{
		const struct gb_kv kv[] = { KV("profile_opt", "x:8x0x3") };
		expect_error(kv, 1, "expected input:DIMS");
	}
	{
		const struct gb_kv kv[] = { KV("profile_max", "x:8x3,") };
		expect_error(kv, 1, "expected input:DIMS");
	}
	{
		const struct gb_kv kv[] = { KV("int8_calibration_table", "calib.flatbuffers") };
		expect_error(kv, 1, "int8_calibration_table needs int8=1");
	}
	{
		const struct gb_kv kv[] = { KV("engine_cache", cache), KV("int8", "1"),
					    KV("int8_calibration_table", "calib.flatbuffers") };
		expect_error(kv, 3, "TensorRT reads it from the engine cache directory");
	}
	{
		/* the table there: accepted */
		const struct gb_kv kv[] = { KV("engine_cache", cache), KV("int8", "1"),
					    KV("int8_calibration_table", "plain") };
		struct gb_trt_options o;

		assert_int_equal(parse(kv, 3, NULL, &o), 0);
		assert_true(o.int8);
	}
	{
		const struct gb_kv kv[] = { KV("fp16", "1"), KV("trt_fp16_enable", "0") };
		expect_error(kv, 2, "ep option 'trt_fp16_enable' given twice (as trt_fp16_enable)");
	}
	{
		const struct gb_kv kv[] = { KV("trt_engine_cache_path", cache) };
		expect_error(kv, 1, "needs trt_engine_cache_enable=1");
	}
	{
		const struct gb_kv kv[] = { KV("engine_cache_prefix", "a/b") };
		expect_error(kv, 1, "letters, digits");
	}
	{
		const struct gb_kv kv[] = { KV("fp61", "1") };
		expect_error(kv, 1, "unknown ep option 'fp61' for ep 'tensorrt'");
	}
	gbt_rm_rf(dir);
	free(dir);
}

static void test_shape_tag(void **st)
{
	struct gb_input_config cfg;
	struct gb_dim dims[2] = { { "seq", 128 }, { "past len", 7 } };
	char tag[64];

	(void)st;
	gb_input_config_init(&cfg);
	gb_trt_shape_tag(&cfg, tag, sizeof tag);
	assert_string_equal(tag, "b1");
	cfg.batch = 64;
	cfg.dims = dims;
	cfg.ndims = 2;
	gb_trt_shape_tag(&cfg, tag, sizeof tag);
	assert_string_equal(tag, "b64_seq128_past_len7");
	gb_trt_shape_tag(&cfg, tag, 4);
	assert_string_equal(tag, "b64");
}

#define FILE_(n, s, t) { n, s, t }

static void test_engine_state(void **st)
{
	struct gb_trt_file before_f[] = {
		FILE_("gb_b1_TRTKernel_graph_main_123_0_0_sm90.engine", 1000, 5),
		FILE_("gb_b1_TRTKernel_graph_main_123_0_0_sm90.profile", 10, 5),
		FILE_("gb_b64_TRTKernel_graph_main_123_0_0_sm90.engine", 2000, 6),
	};
	struct gb_trt_listing empty = { NULL, 0 }, before = { before_f, 3 };

	(void)st;
	/* nothing there before or after: no engine (no cache, or no TRT subgraph) */
	assert_int_equal(gb_trt_engine_state(&empty, &empty, "gb_b1"), GB_TRT_ENGINE_NONE);
	/* the same files: reused */
	assert_int_equal(gb_trt_engine_state(&before, &before, "gb_b1"), GB_TRT_ENGINE_REUSED);
	assert_int_equal(gb_trt_engine_state(&before, &before, ""), GB_TRT_ENGINE_REUSED);
	{
		/* a new engine under the prefix: built */
		struct gb_trt_file after_f[] = {
			before_f[0], before_f[1], before_f[2],
			FILE_("gb_b1_fp16_TRTKernel_graph_main_123_0_0_fp16_sm90.engine", 900, 9),
		};
		struct gb_trt_listing after = { after_f, 4 };

		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b1"), GB_TRT_ENGINE_BUILT);
		/* another shape's new engine is not this run's */
		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b64"), GB_TRT_ENGINE_REUSED);
		assert_int_equal(gb_trt_engine_state(&empty, &after, "gb_b6"), GB_TRT_ENGINE_NONE);
		assert_int_equal(gb_trt_engine_state(&empty, &after, "gb_b256"), GB_TRT_ENGINE_NONE);
		assert_int_equal(gb_trt_engine_state(&empty, &after, NULL), GB_TRT_ENGINE_BUILT);
	}
	{
		/* rewritten in place (a rebuild for a wider profile): built */
		struct gb_trt_file after_f[] = { before_f[0], before_f[1], before_f[2] };
		struct gb_trt_listing after = { after_f, 3 };

		after_f[2].mtime_ns = 7;
		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b64"), GB_TRT_ENGINE_BUILT);
		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b1"), GB_TRT_ENGINE_REUSED);
		after_f[2].mtime_ns = 6;
		after_f[2].size_bytes = 2001;
		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b64"), GB_TRT_ENGINE_BUILT);
	}
	{
		/* gb_b16's new engine is not gb_b1's */
		struct gb_trt_file after_f[] = { before_f[0], FILE_("gb_b16_TRTKernel_x_sm90.engine", 5, 9) };
		struct gb_trt_listing after = { after_f, 2 };

		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b1"), GB_TRT_ENGINE_REUSED);
		assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b16"), GB_TRT_ENGINE_BUILT);
	}
	{
		/* only a new profile or timing cache: not an engine */
		struct gb_trt_file after_f[] = { before_f[0], before_f[2],
						 FILE_("gb_b1_x.profile", 1, 1), FILE_("gb_b1.timing", 1, 1) };
		struct gb_trt_listing after = { after_f, 4 }, b = { before_f, 1 };

		assert_int_equal(gb_trt_engine_state(&b, &after, "gb_b1"), GB_TRT_ENGINE_REUSED);
	}
	assert_string_equal(gb_trt_engine_state_name(GB_TRT_ENGINE_BUILT), "built");
	assert_string_equal(gb_trt_engine_state_name(GB_TRT_ENGINE_REUSED), "reused");
	assert_string_equal(gb_trt_engine_state_name(GB_TRT_ENGINE_NONE), "none");
}

/* The same logic on a real directory, as ort_trt.c lists it. */
static void test_listing(void **st)
{
	char *dir = gbt_mkdtemp(), sub[512], path[600];
	struct gb_trt_listing before, after;
	FILE *f;

	(void)st;
	snprintf(sub, sizeof sub, "%s/cache", dir);
	assert_int_equal(gb_trt_listing_read(sub, &before), 0); /* missing: empty */
	assert_int_equal(before.n, 0);
	assert_int_equal(mkdir(sub, 0777), 0);
	snprintf(path, sizeof path, "%s/subdir.engine", sub);
	assert_int_equal(mkdir(path, 0777), 0); /* not a regular file */
	gbt_write(sub, "gb_b1_a.engine", "engine bytes");
	assert_int_equal(gb_trt_listing_read(sub, &before), 0);
	assert_int_equal(before.n, 1);
	assert_string_equal(before.files[0].name, "gb_b1_a.engine");
	assert_int_equal(before.files[0].size_bytes, 12);
	assert_int_equal(gb_trt_listing_read(sub, &after), 0);
	assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b1"), GB_TRT_ENGINE_REUSED);
	gb_trt_listing_release(&after);
	snprintf(path, sizeof path, "%s/gb_b1_a.engine", sub);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(" more", f);
	fclose(f);
	assert_int_equal(gb_trt_listing_read(sub, &after), 0);
	assert_int_equal(gb_trt_engine_state(&before, &after, "gb_b1"), GB_TRT_ENGINE_BUILT);
	gb_trt_listing_release(&after);
	gb_trt_listing_release(&before);
	assert_null(before.files);
	gbt_rm_rf(dir);
	free(dir);
}

/* CI has no TensorRT: the error names libnvinfer.so.10 and how to get it.
 * With the fake library on LD_LIBRARY_PATH the version is read, and the
 * next missing piece (ORT's provider beside libonnxruntime.so) is named. */
static void test_missing_and_fake(void **st)
{
	char ver[32] = "", *fake = gbt_build_path("fake-trt"), *gb = gbt_greenbench();
	char *models = gbt_build_path("models"), prefix[1200], args[1200];
	int ret;

	(void)st;
	gb_error_clear();
	ret = gb_trt_version(ver, sizeof ver);
	if (ret == 0) {
		print_message("skipped: this machine has a libnvinfer.so.10 (TensorRT %s)\n", ver);
	} else {
		assert_int_equal(ret, -ENOENT);
		assert_non_null(strstr(gb_error_msg(), "cannot load libnvinfer.so.10"));
		assert_non_null(strstr(gb_error_msg(), "LD_LIBRARY_PATH"));
		assert_non_null(strstr(gb_error_msg(), "trt-bundle.sh"));
	}
	snprintf(prefix, sizeof prefix, "LD_LIBRARY_PATH='%s'", fake);
	{
		const struct gbt_row rows[] = {
			{ "devices", 0, "tensorrt    available    TensorRT 10.15.1 (libnvinfer.so.10" },
		};
		gbt_rows_check(rows, 1, prefix, gb);
	}
	if (gbt_have_runtime("ort")) {
		const struct gbt_row rows[] = {
			{ args, 1, "libonnxruntime_providers_tensorrt.so' from beside libonnxruntime.so" },
		};
		snprintf(args, sizeof args, "run --model '%s/mlp.onnx' --ep tensorrt --ep-option fp16=1",
			 models);
		gbt_rows_check(rows, 1, prefix, gb);
	}
	free(fake);
	free(gb);
	free(models);
}

/* bench/device/trt-bundle.sh --check without the bundle: what it checks
 * before it needs one (the arguments, the manifest, the parts). The full
 * check needs the 7 parts of .device-cache/trt (CI has none; it takes
 * minutes of xz and sha256 even where they exist), so it is not run here. */
static void test_bundle_check_args(void **st)
{
	const char *src = getenv("GB_SRCDIR");
	char *dir = gbt_mkdtemp(), cmd[2048], *out = NULL;
	char script[1024];

	(void)st;
	snprintf(script, sizeof script, "%s/bench/device/trt-bundle.sh", src && *src ? src : ".");
	snprintf(cmd, sizeof cmd, "bash '%s' --check 2>&1", script);
	assert_int_equal(gbt_run(cmd, &out), 1);
	assert_non_null(strstr(out, "usage: trt-bundle.sh --check OUT_DIR"));
	free(out);
	snprintf(cmd, sizeof cmd, "bash '%s' a b 2>&1", script);
	assert_int_equal(gbt_run(cmd, &out), 1);
	assert_non_null(strstr(out, "usage: trt-bundle.sh OUT_DIR | --check OUT_DIR"));
	free(out);
	snprintf(cmd, sizeof cmd, "bash '%s' --check '%s' 2>&1", script, dir);
	assert_int_equal(gbt_run(cmd, &out), 1);
	assert_non_null(strstr(out, "trt-sm90.manifest missing"));
	free(out);
	gbt_write(dir, "trt-sm90.manifest", "# no parts\nstream 00 0\n");
	assert_int_equal(gbt_run(cmd, &out), 1);
	assert_non_null(strstr(out, "no parts in the manifest"));
	free(out);
	/* a part listed but absent, one of the wrong size and sha256 */
	gbt_write(dir, "trt-sm90.part-01", "xyz");
	gbt_write(dir, "trt-sm90.manifest",
		  "part %064d 5 trt-sm90.part-00\npart %064d 5 trt-sm90.part-01\nstream 00 0\n", 0, 0);
	assert_int_not_equal(gbt_run(cmd, &out), 0);
	assert_non_null(strstr(out, "MISSING trt-sm90.part-00"));
	assert_non_null(strstr(out, "BAD SIZE trt-sm90.part-01 3 != 5"));
	assert_non_null(strstr(out, "BAD SHA256 trt-sm90.part-01"));
	free(out);
	gbt_rm_rf(dir);
	free(dir);
}

/* ---- the build phase: bench.c with a runtime that builds on its first
 * batch (as ort --ep tensorrt does for a dynamic-batch model) ---- */

struct fake_session {
	struct gb_tensor_info in;
	uint64_t batches;
	char engine[16];
	struct gb_kv meta[1];
};

static int fake_open(const struct gb_runtime_ops *self, const struct gb_runtime_options *opt,
		     void **session)
{
	struct fake_session *s = calloc(1, sizeof *s);

	(void)self;
	assert_non_null(opt->shapes); /* bench.c passes the run's shapes */
	assert_int_equal(opt->shapes->batch, 3);
	snprintf(s->in.name, sizeof s->in.name, "x");
	s->in.dtype = GB_DTYPE_F32;
	s->in.rank = 2;
	s->in.dims[0] = -1;
	s->in.dims[1] = 4;
	*session = s;
	return 0;
}

static int fake_describe(void *session, const struct gb_tensor_info **in, size_t *nin,
			 const struct gb_tensor_info **out, size_t *nout)
{
	struct fake_session *s = session;

	*in = &s->in;
	*nin = 1;
	*out = NULL;
	*nout = 0;
	return 0;
}

static int fake_set_inputs(void *session, const struct gb_tensor *t, size_t n)
{
	(void)session;
	(void)t;
	(void)n;
	return 0;
}

static int fake_run(void *session, uint64_t n, uint64_t *lat)
{
	struct fake_session *s = session;

	for (uint64_t i = 0; i < n; i++)
		if (lat)
			lat[i] = 1000;
	s->batches += n;
	return 0;
}

/* "pending" until the first batch, then "built": read again after it. */
static int fake_meta(void *session, const struct gb_kv **kv, size_t *n)
{
	struct fake_session *s = session;

	snprintf(s->engine, sizeof s->engine, "%s", s->batches ? "built" : "pending");
	s->meta[0] = (struct gb_kv){ "engine", s->engine };
	*kv = s->meta;
	*n = 1;
	return 0;
}

static void fake_close(void *session)
{
	free(session);
}

static int fake_builds(void *session)
{
	(void)session;
	return 1;
}

static void run_fake(const struct gb_runtime_ops *rt, struct gb_run_result *res)
{
	struct gb_bench_config cfg;

	gb_bench_config_init(&cfg);
	cfg.rt = rt;
	cfg.ropt.model = "fake";
	cfg.inputs.batch = 3;
	cfg.warmup_iterations = 1;
	cfg.iterations = 2;
	cfg.min_duration_ns = 0;
	gb_run_result_init(res);
	if (gb_bench_run(&cfg, NULL, res))
		fail_msg("bench: %s", gb_error_msg());
}

static void test_build_phase(void **st)
{
	struct gb_runtime_ops rt = {
		.name = "fake-trt", .summary = "fake", .open = fake_open, .describe = fake_describe,
		.set_inputs = fake_set_inputs, .run_batches = fake_run, .metadata = fake_meta,
		.close = fake_close, .builds_on_first_run = fake_builds,
	};
	struct gb_run_result res;

	(void)st;
	run_fake(&rt, &res);
	assert_true(res.phases[GB_PHASE_BUILD].done);
	assert_int_equal(res.phases[GB_PHASE_BUILD].iterations, 1);
	assert_int_equal(res.phases[GB_PHASE_BUILD].items, 3);
	assert_true(res.phases[GB_PHASE_FIRST].done);
	assert_int_equal(res.phases[GB_PHASE_FIRST].iterations, 1);
	assert_true(res.phases[GB_PHASE_BUILD].t_end_ns <= res.phases[GB_PHASE_FIRST].t_start_ns);
	assert_string_equal(gb_phase_name(GB_PHASE_BUILD), "build");
	assert_int_equal(res.n_runtime_meta, 1);
	assert_string_equal(res.runtime_meta[0].key, "engine");
	assert_string_equal(res.runtime_meta[0].value, "built");
	gb_run_result_release(&res);

	/* no build op: no build phase */
	rt.builds_on_first_run = NULL;
	run_fake(&rt, &res);
	assert_false(res.phases[GB_PHASE_BUILD].done);
	assert_true(res.phases[GB_PHASE_FIRST].done);
	gb_run_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_map),
		cmocka_unit_test(test_parse_short_names),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_shape_tag),
		cmocka_unit_test(test_engine_state),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_missing_and_fake),
		cmocka_unit_test(test_build_phase),
		cmocka_unit_test(test_bundle_check_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
