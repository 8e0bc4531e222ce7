/*
 * Opening the NVML source: which library is loaded, and every way it can
 * fail (init fails, no library, a required symbol missing, no GPU, lost
 * GPUs), each with a reason a user can act on; the pre-_v2 API fallbacks.
 */
#include "lib/gbtest.h"
#include "fakes/nvml_fixture.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/time.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct nvml_fixture fx;

static int setup_full(void **state)
{
	nvml_fixture_open(&fx, "libfake_nvml.so");
	return 0;
}

static int setup_old(void **state)
{
	nvml_fixture_open(&fx, "libfake_nvml_old.so");
	return 0;
}

static int teardown(void **state)
{
	nvml_fixture_close(&fx);
	return 0;
}

static int src_open(const char *lib)
{
	return nvml_fixture_src_open(&fx, lib);
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' lacks '%s'", text, part);
}

static void test_init_fails(void **state)
{
	setenv("FAKE_NVML_MODE", "init_fail", 1);
	assert_int_equal(src_open(fx.path), -ENODEV);
	assert_null(fx.st);
	assert_has(gb_error_msg(), "NVML: nvmlInit_v2: Driver Not Loaded");
	assert_has(gb_error_msg(), "nvidia-smi");
	assert_int_equal(fx.init_depth(), 0);
}

static void test_no_gpu(void **state)
{
	setenv("FAKE_NVML_GPUS", "0", 1);
	assert_int_equal(src_open(fx.path), -ENODEV);
	assert_string_equal(gb_error_msg(), "NVML lists no GPU (driver 580.159.04)");
	/* Initialised, then shut down again on the way out. */
	assert_int_equal(fx.init_depth(), 0);
	assert_int_equal(fx.calls("nvmlShutdown"), 1);
}

static void test_missing_library(void **state)
{
	assert_int_equal(src_open("/nonexistent/libnvidia-ml.so.1"), -ENOENT);
	assert_has(gb_error_msg(), "cannot load NVML library '/nonexistent/libnvidia-ml.so.1': ");
	assert_has(gb_error_msg(), "No such file or directory");
}

static void test_default_library_absent(void **state)
{
	void *real = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);

	if (real) {
		dlclose(real);
		skip();	/* a machine with the NVIDIA driver: nothing to check */
	}
	assert_int_equal(src_open(NULL), -ENOENT);
	assert_has(gb_error_msg(), "NVML not found (libnvidia-ml.so.1: ");
	assert_has(gb_error_msg(), "GREENBENCH_NVML_LIB");
}

static void test_env_and_config(void **state)
{
	/* GREENBENCH_NVML_LIB when the configuration names none... */
	setenv("GREENBENCH_NVML_LIB", fx.path, 1);
	assert_int_equal(src_open(NULL), 0);
	assert_int_equal(gb_source_nvml.domain_count(fx.st), 1);
	assert_int_equal(fx.init_depth(), 1);
	gb_source_nvml.close(fx.st);
	fx.st = NULL;
	/* ...and the configuration wins over it. */
	setenv("GREENBENCH_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
	assert_int_equal(src_open(fx.path), 0);
	assert_int_equal(fx.init_depth(), 1);
}

static void test_missing_required_symbol(void **state)
{
	char *path = gbt_build_path("libfake_nvml_noname.so");

	assert_int_equal(src_open(path), -ENOSYS);
	assert_has(gb_error_msg(), "libfake_nvml_noname.so' lacks nvmlDeviceGetName");
	assert_null(fx.st);
	free(path);
}

static void test_lost_gpu_skipped(void **state)
{
	struct gb_domain_info di;
	char buf[512];

	setenv("FAKE_NVML_GPUS", "2", 1);
	setenv("FAKE_NVML_GPU0_MODE", "lost", 1);
	assert_int_equal(src_open(fx.path), 0);
	assert_int_equal(gb_source_nvml.domain_count(fx.st), 1);
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_string_equal(di.name, "gpu1");
	assert_int_equal(di.device_index, 1);
	gb_source_nvml.describe(fx.st, buf, sizeof buf);
	assert_has(buf, "gpu0 skipped: NVML: nvmlDeviceGetHandleByIndex_v2: GPU is lost");
}

static void test_all_gpus_lost(void **state)
{
	setenv("FAKE_NVML_MODE", "lost", 1);
	assert_int_equal(src_open(fx.path), -ENODEV);
	assert_has(gb_error_msg(), "NVML: no GPU could be opened: gpu0 skipped: ");
	assert_has(gb_error_msg(), "GPU is lost");
	assert_int_equal(fx.init_depth(), 0);
}

static void test_old_api(void **state)
{
	struct gb_domain_info di;
	struct gb_sample s;
	char buf[512];

	assert_int_equal(src_open(fx.path), 0);
	assert_int_equal(fx.calls("nvmlInit"), 1);
	assert_int_equal(fx.calls("nvmlDeviceGetCount"), 1);
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_int_equal(di.method, GB_METHOD_COUNTER);
	/* No field values: no instant power, only the average. */
	assert_false(di.telemetry & GB_SAMPLE_POWER);
	assert_true(di.telemetry & GB_SAMPLE_POWER_AVG);
	gb_source_nvml.describe(fx.st, buf, sizeof buf);
	assert_has(buf, "driver 580.159.04, NVML unknown");
	assert_has(buf, "power 1 s average only");
	fx.set_time_ns(GB_NS_PER_S);
	assert_int_equal(gb_source_nvml.read(fx.st, GB_NS_PER_S, &s), 0);
	/* Throttle reasons and memory through the older calls; v1 memory
	 * counts the driver's reserve as used. */
	assert_true(s.valid & GB_SAMPLE_THROTTLE);
	assert_int_equal(s.throttle_reasons, 0x5);
	assert_int_equal(fx.calls("nvmlDeviceGetCurrentClocksThrottleReasons"), 2);
	assert_true(s.valid & GB_SAMPLE_MEM);
	assert_int_equal(s.mem_used_bytes, 1536ULL * 1024 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_fails, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_no_gpu, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_missing_library, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_default_library_absent, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_env_and_config, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required_symbol, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_lost_gpu_skipped, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_all_gpus_lost, setup_full, teardown),
		cmocka_unit_test_setup_teardown(test_old_api, setup_old, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
