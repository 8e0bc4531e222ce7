/*
 * The NVML source over the fake NVML: domains, every telemetry value,
 * counter versus integrated energy, what is retried and what is not.
 * The fake runs on a virtual clock set to the t_ns each read() gets.
 */
#include "lib/gbtest.h"
#include "fakes/nvml_fixture.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/time.h"
#include "meter/nvml_abi.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GIB (1024ULL * 1024 * 1024)
#define ALL_BITS (GB_SAMPLE_ENERGY | GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG | GB_SAMPLE_UTIL_GPU | \
		  GB_SAMPLE_UTIL_MEM | GB_SAMPLE_MEM | GB_SAMPLE_SM_CLOCK | GB_SAMPLE_TEMP | \
		  GB_SAMPLE_THROTTLE)

static struct nvml_fixture fx;

static int setup(void **state)
{
	nvml_fixture_open(&fx, "libfake_nvml.so");
	return 0;
}

static int teardown(void **state)
{
	nvml_fixture_close(&fx);
	return 0;
}

static void src_open(void)
{
	if (nvml_fixture_src_open(&fx, fx.path) < 0)
		fail_msg("open: %s", gb_error_msg());
}

static void read_at_ms(uint64_t t_ms, struct gb_sample *out)
{
	fx.set_time_ns(t_ms * GB_NS_PER_MS);
	assert_int_equal(gb_source_nvml.read(fx.st, t_ms * GB_NS_PER_MS, out), 0);
}

/* A phase mark: the energy counter is read now, whatever its age. */
static void mark_at_ms(uint64_t t_ms, struct gb_sample *out)
{
	fx.set_time_ns(t_ms * GB_NS_PER_MS);
	assert_int_equal(gb_source_nvml.read_mark(fx.st, t_ms * GB_NS_PER_MS, out), 0);
}

static void test_domains_and_symbols(void **state)
{
	struct gb_domain_info di;
	char buf[512];
	size_t i;

	setenv("FAKE_NVML_GPUS", "2", 1);
	src_open();
	assert_int_equal(gb_source_nvml.domain_count(fx.st), 2);
	for (i = 0; i < 2; i++) {
		gb_source_nvml.domain_info(fx.st, i, &di);
		assert_string_equal(di.name, i ? "gpu1" : "gpu0");
		assert_string_equal(di.label, "Fake NVIDIA H100 80GB HBM3");
		/* A typed field: nobody reads it back out of describe()'s text. */
		assert_string_equal(di.driver_version, "580.159.04");
		assert_int_equal(di.kind, GB_DOMAIN_GPU);
		assert_int_equal(di.method, GB_METHOD_COUNTER);
		assert_int_equal(di.parent, -1);
		assert_int_equal(di.device_index, (int)i);
		assert_int_equal(di.telemetry, ALL_BITS);
	}
	/* Newest entry points first. */
	assert_int_equal(fx.calls("nvmlInit_v2"), 1);
	assert_int_equal(fx.calls("nvmlInit"), 0);
	assert_int_equal(fx.calls("nvmlDeviceGetCount_v2"), 1);
	assert_int_equal(fx.calls("nvmlDeviceGetHandleByIndex_v2"), 2);
	assert_int_equal(fx.calls("nvmlDeviceGetHandleByIndex"), 0);
	assert_int_equal(fx.calls("nvmlDeviceGetCurrentClocksEventReasons"), 2);
	assert_int_equal(fx.calls("nvmlDeviceGetCurrentClocksThrottleReasons"), 0);
	assert_int_equal(fx.calls("nvmlDeviceGetMemoryInfo_v2"), 2);
	assert_int_equal(fx.calls("nvmlDeviceGetMemoryInfo"), 0);
	gb_source_nvml.describe(fx.st, buf, sizeof buf);
	assert_non_null(strstr(buf, "driver 580.159.04, NVML 13.580.159.04"));
	assert_non_null(strstr(buf, "; gpu0-1: energy counter yes (mJ), power instant field + 1 s average"));
	/* The counter never wraps: no polling constraint. */
	assert_int_equal(gb_source_nvml.max_interval_ns(fx.st), 0);
	assert_int_equal(fx.init_depth(), 1);
	gb_source_nvml.close(fx.st);
	fx.st = NULL;
	assert_int_equal(fx.init_depth(), 0);
}

static int src_open_gpus(const char *gpus)
{
	struct gb_meter_config cfg;

	gb_meter_config_init(&cfg);
	cfg.nvml_lib = fx.path;
	cfg.gpus = gpus;
	gb_error_clear();
	return gb_source_nvml.open(&cfg, &fx.st);
}

/* A task given GPUs 3 and 1 of 4 (by index or UUID) measures those two
 * only, under their NVML names; a list naming none opens no source. */
static void test_restricted_to_visible_gpus(void **state)
{
	struct gb_domain_info di;
	struct gb_sample s[4];

	setenv("FAKE_NVML_GPUS", "4", 1);
	setenv("FAKE_NVML_GPU1_POWER_MW", "100000", 1);
	setenv("FAKE_NVML_GPU3_POWER_MW", "300000", 1);
	if (src_open_gpus("3,GPU-fa4e0000-0000-4000-8000-000000000001") < 0)
		fail_msg("open: %s", gb_error_msg());
	assert_int_equal(gb_source_nvml.domain_count(fx.st), 2);
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_string_equal(di.name, "gpu3");
	assert_int_equal(di.device_index, 3);
	assert_string_equal(di.device_uuid, "GPU-fa4e0000-0000-4000-8000-000000000003");
	gb_source_nvml.domain_info(fx.st, 1, &di);
	assert_string_equal(di.name, "gpu1");
	/* Each domain reads its own GPU's counter (the other two are never asked). */
	mark_at_ms(0, s);
	mark_at_ms(1000, s);
	assert_int_equal(s[0].energy_uj, 300000 * 1000ULL);
	assert_int_equal(s[1].energy_uj, 100000 * 1000ULL);
	gb_source_nvml.close(fx.st);
	fx.st = NULL;
	/* A list naming none is allowed (CUDA's rule), and not the list's
	 * fault; a UUID no GPU has or a malformed entry is. */
	assert_int_equal(src_open_gpus("NoDevFiles"), -ENODEV);
	assert_non_null(strstr(gb_error_msg(), "no GPU is visible"));
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_NONE);
	assert_int_equal(src_open_gpus("GPU-ffff"), -ENODEV);
	assert_string_equal(gb_error_msg(), "cannot measure the GPUs 'GPU-ffff': no GPU has the UUID 'GPU-ffff'");
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_GPU_LIST);
	assert_int_equal(src_open_gpus("0,cuda:1"), -EINVAL);
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_GPU_LIST);
	fx.st = NULL;
}

static void test_describe_groups_alike_gpus(void **state)
{
	char buf[512];

	setenv("FAKE_NVML_GPUS", "8", 1);
	setenv("FAKE_NVML_GPU5_MODE", "no_energy", 1);
	src_open();
	gb_source_nvml.describe(fx.st, buf, sizeof buf);
	assert_string_equal(buf, "driver 580.159.04, NVML 13.580.159.04"
			    "; gpu0-4: energy counter yes (mJ), power instant field + 1 s average"
			    "; gpu5: energy counter no, integrated from instant power, power instant field + 1 s average"
			    "; gpu6-7: energy counter yes (mJ), power instant field + 1 s average");
}

static void test_every_value(void **state)
{
	struct gb_sample s[2];

	setenv("FAKE_NVML_GPUS", "2", 1);
	setenv("FAKE_NVML_POWER_MW", "150000", 1);
	setenv("FAKE_NVML_GPU1_POWER_MW", "0:60000,2000:80000", 1);
	setenv("FAKE_NVML_REASONS", "0x0c", 1);
	src_open();
	read_at_ms(1000, s);
	assert_int_equal(s[0].valid, ALL_BITS);
	assert_int_equal(s[0].power_mw, 150000);
	assert_int_equal(s[0].power_avg_mw, 150000);
	assert_int_equal(s[0].util_gpu_pct, 40);
	assert_int_equal(s[0].util_mem_pct, 10);
	/* _v2 memory: used without the driver's reserve. */
	assert_int_equal(s[0].mem_used_bytes, 1 * GIB);
	assert_int_equal(s[0].mem_total_bytes, 80 * GIB);
	assert_int_equal(s[0].sm_clock_mhz, 1755);
	assert_int_equal(s[0].temp_c, 33);
	assert_int_equal(s[0].throttle_reasons, 0x0c);
	/* 150 W for the first second, counted from open at t = 0. */
	assert_int_equal(s[0].energy_uj, 150000ULL * 1000);
	assert_int_equal(s[1].valid, ALL_BITS);
	assert_int_equal(s[1].power_mw, 70000);	/* halfway up the ramp */
	assert_int_equal(s[1].power_avg_mw, 65000);	/* mean over [0, 1 s] */
	assert_int_equal(s[1].util_gpu_pct, 41);
	assert_int_equal(s[1].mem_used_bytes, 2 * GIB);
	assert_int_equal(s[1].temp_c, 34);
}

static void test_counter_steps(void **state)
{
	struct gb_sample a, b, c;

	setenv("FAKE_NVML_POWER_MW", "200000", 1);
	src_open();
	read_at_ms(1000, &a);
	/* The H100 counter moves about every 100 ms: 50 ms later, no change. */
	read_at_ms(1050, &b);
	assert_int_equal(b.energy_uj, a.energy_uj);
	assert_int_equal(b.valid & GB_SAMPLE_ENERGY, GB_SAMPLE_ENERGY);
	read_at_ms(3000, &c);
	/* 200 W x 2 s = 400 J, and the same as the fake's own counter. */
	assert_int_equal(c.energy_uj - a.energy_uj, 400000000ULL);
	assert_int_equal(c.energy_uj, (fx.energy_mj(0) - 5000000ULL) * 1000);
}

/*
 * Three GPUs, one power profile: gpu0 has the counter, gpu1 integrates the
 * instant power, gpu2 (no instant field) integrates the 1 s average.
 * Profile: 72 W to 1 s, ramp to 300 W at 1.5 s, flat to 3.5 s, down to
 * 119 W at 4 s, flat after. Window [510 ms, 4630 ms]:
 *   0.49 x 72 + 0.5 x 186 + 2 x 300 + 0.5 x 209.5 + 0.63 x 119 = 908.00 J.
 * The sampler grid (20 ms) holds every breakpoint, so the trapezoid is
 * exact; the counter sees [500, 4600] ms (100 ms steps): 905.15 J.
 */
static void test_counter_vs_integrated(void **state)
{
	struct gb_sample s[3], a[3], b[3];
	struct gb_domain_info di;
	double e[3];
	char buf[512];
	uint64_t t;
	int i;

	setenv("FAKE_NVML_GPUS", "3", 1);
	setenv("FAKE_NVML_POWER_MW", "0:72000,1000:72000,1500:300000,3500:300000,4000:119000", 1);
	setenv("FAKE_NVML_GPU1_MODE", "no_energy", 1);
	setenv("FAKE_NVML_GPU2_MODE", "no_energy,no_instant", 1);
	src_open();
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_int_equal(di.method, GB_METHOD_COUNTER);
	gb_source_nvml.domain_info(fx.st, 1, &di);
	assert_int_equal(di.method, GB_METHOD_INTEGRATED);
	assert_string_equal(di.label, "Fake NVIDIA H100 80GB HBM3 (energy integrated from instant power)");
	assert_true(di.telemetry & GB_SAMPLE_ENERGY);
	gb_source_nvml.domain_info(fx.st, 2, &di);
	assert_int_equal(di.method, GB_METHOD_INTEGRATED);
	assert_string_equal(di.label, "Fake NVIDIA H100 80GB HBM3 (energy integrated from 1 s average power)");
	assert_false(di.telemetry & GB_SAMPLE_POWER);
	gb_source_nvml.describe(fx.st, buf, sizeof buf);
	assert_non_null(strstr(buf, "gpu1: energy counter no, integrated from instant power"));
	assert_non_null(strstr(buf, "gpu2: energy counter no, integrated from 1 s average power, power 1 s average only"));
	/* Integration needs points: the sampler is asked to poll often. */
	assert_int_equal(gb_source_nvml.max_interval_ns(fx.st), 100 * GB_NS_PER_MS);

	for (t = 0; t <= 5000; t += 20) {
		read_at_ms(t, s);
		if (t == 500)
			mark_at_ms(510, a);	/* phase marks between samples */
		if (t == 4620)
			mark_at_ms(4630, b);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(a[i].valid & b[i].valid & GB_SAMPLE_ENERGY, GB_SAMPLE_ENERGY);
		e[i] = (double)(b[i].energy_uj - a[i].energy_uj) / 1e6;
	}
	assert_true(fabs(e[1] - 908.00) < 0.001);
	assert_true(fabs(e[0] - 905.15) < 0.002);
	assert_true(fabs(e[0] - e[1]) / e[1] < 0.01);
	/* The 1 s average lags the real power by about 0.5 s: integrating it
	 * misses energy at the edges of a window, hence instant first. */
	assert_true(fabs(e[2] - e[1]) / e[1] < 0.05);
	assert_true(fabs(e[2] - e[1]) > 1.0);
}

static void test_integrated_needs_power(void **state)
{
	struct gb_sample s;

	setenv("FAKE_NVML_MODE", "no_energy", 1);
	setenv("FAKE_NVML_POWER_MW", "100000", 1);
	src_open();
	read_at_ms(1000, &s);
	/* Integration starts at the first read. */
	assert_int_equal(s.valid & GB_SAMPLE_ENERGY, GB_SAMPLE_ENERGY);
	assert_int_equal(s.energy_uj, 0);
	/* Neither power readable: this sample has no energy, never a stale one. */
	fx.inject("nvmlDeviceGetFieldValues", NVML_ERROR_UNKNOWN, 1);
	fx.inject("nvmlDeviceGetPowerUsage", NVML_ERROR_TIMEOUT, 1);
	read_at_ms(1500, &s);
	assert_false(s.valid & (GB_SAMPLE_ENERGY | GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG));
	assert_non_null(strstr(gb_error_msg(), "nvmlDeviceGetPowerUsage"));
	/* Back: the gap is bridged by the trapezoid, 100 W x 1 s. */
	read_at_ms(2000, &s);
	assert_int_equal(s.valid & GB_SAMPLE_ENERGY, GB_SAMPLE_ENERGY);
	assert_int_equal(s.energy_uj, 100000000ULL);
}

static void test_no_energy_at_all(void **state)
{
	struct gb_domain_info di;
	struct gb_sample s;

	setenv("FAKE_NVML_MODE", "no_energy,no_instant,no_avg", 1);
	src_open();
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_int_equal(di.method, GB_METHOD_NONE);
	assert_false(di.telemetry & (GB_SAMPLE_ENERGY | GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG));
	read_at_ms(1000, &s);
	assert_false(s.valid & GB_SAMPLE_ENERGY);
	assert_true(s.valid & GB_SAMPLE_UTIL_GPU);
}

static void test_unsupported_not_retried(void **state)
{
	struct gb_domain_info di;
	struct gb_sample s;
	int k;

	setenv("FAKE_NVML_MODE", "no_util,no_temp,no_instant", 1);
	src_open();
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_int_equal(di.telemetry,
			 ALL_BITS & ~(GB_SAMPLE_UTIL_GPU | GB_SAMPLE_UTIL_MEM | GB_SAMPLE_TEMP | GB_SAMPLE_POWER));
	for (k = 1; k <= 10; k++) {
		read_at_ms(200 * (uint64_t)k, &s);
		assert_int_equal(s.valid, di.telemetry);
	}
	/* Asked once at open, never again. */
	assert_int_equal(fx.calls("nvmlDeviceGetUtilizationRates"), 1);
	assert_int_equal(fx.calls("nvmlDeviceGetTemperature"), 1);
	assert_int_equal(fx.calls("nvmlDeviceGetFieldValues"), 1);
	/* The supported ones: at open and at each of the 10 reads; the costly
	 * energy counter at open and then once a second (200 and 1200 ms). */
	assert_int_equal(fx.calls("nvmlDeviceGetMemoryInfo_v2"), 11);
	assert_int_equal(fx.calls("nvmlDeviceGetTotalEnergyConsumption"), 3);
}

static void test_unknown_field_id_retired(void **state)
{
	struct gb_domain_info di;
	struct gb_sample s;

	/* A driver older than the instant-power field: "invalid argument". */
	setenv("FAKE_NVML_MODE", "no_instant,old_fields", 1);
	src_open();
	gb_source_nvml.domain_info(fx.st, 0, &di);
	assert_false(di.telemetry & GB_SAMPLE_POWER);
	read_at_ms(1000, &s);
	read_at_ms(1020, &s);
	assert_false(s.valid & GB_SAMPLE_POWER);
	assert_true(s.valid & GB_SAMPLE_POWER_AVG);
	assert_int_equal(fx.calls("nvmlDeviceGetFieldValues"), 1);
}

static void test_memory_v1_fallback(void **state)
{
	struct gb_sample s;

	setenv("FAKE_NVML_MODE", "no_mem_v2", 1);
	src_open();
	read_at_ms(1000, &s);
	read_at_ms(1200, &s);
	assert_true(s.valid & GB_SAMPLE_MEM);
	/* v1 counts the driver's 512 MiB reserve as used. */
	assert_int_equal(s.mem_used_bytes, GIB + GIB / 2);
	assert_int_equal(fx.calls("nvmlDeviceGetMemoryInfo_v2"), 1);
	assert_int_equal(fx.calls("nvmlDeviceGetMemoryInfo"), 3);
}

static void test_transient_retried_permanent_retired(void **state)
{
	struct gb_sample s;
	unsigned before;

	src_open();
	fx.inject("nvmlDeviceGetTotalEnergyConsumption", NVML_ERROR_UNKNOWN, 1);
	read_at_ms(1000, &s);
	assert_false(s.valid & GB_SAMPLE_ENERGY);
	assert_true(s.valid & GB_SAMPLE_POWER);
	assert_string_equal(gb_error_msg(), "NVML: nvmlDeviceGetTotalEnergyConsumption: Unknown Error");
	read_at_ms(1100, &s);
	assert_true(s.valid & GB_SAMPLE_ENERGY);

	/* No permission will not change while we run: asked once more, then never. */
	fx.inject("nvmlDeviceGetFieldValues", NVML_ERROR_NO_PERMISSION, 1);
	read_at_ms(1200, &s);
	assert_false(s.valid & GB_SAMPLE_POWER);
	before = fx.calls("nvmlDeviceGetFieldValues");
	read_at_ms(1300, &s);
	read_at_ms(1400, &s);
	assert_false(s.valid & GB_SAMPLE_POWER);
	assert_true(s.valid & GB_SAMPLE_POWER_AVG);
	assert_int_equal(fx.calls("nvmlDeviceGetFieldValues"), before);
}

static void test_slow_telemetry_period(void **state)
{
	struct gb_sample s;
	uint64_t t;

	src_open();
	/* 10 reads 20 ms apart: power every time, energy from a counter read
	 * at 1000 ms (and at open), the slow telemetry at 1000 and 1100 ms
	 * only (plus once at open). */
	for (t = 1000; t < 1200; t += 20) {
		read_at_ms(t, &s);
		assert_int_equal(s.valid, ALL_BITS);
		assert_int_equal(s.util_gpu_pct, 40);
	}
	assert_int_equal(fx.calls("nvmlDeviceGetTotalEnergyConsumption"), 2);
	assert_int_equal(fx.calls("nvmlDeviceGetFieldValues"), 11);
	/* A mark always reads the counter afresh. */
	mark_at_ms(1190, &s);
	assert_int_equal(fx.calls("nvmlDeviceGetTotalEnergyConsumption"), 3);
	assert_int_equal(fx.calls("nvmlDeviceGetUtilizationRates"), 3);
	assert_int_equal(fx.calls("nvmlDeviceGetCurrentClocksEventReasons"), 3);
	/* A failed refresh clears the bit until the next good one. */
	fx.inject("nvmlDeviceGetClockInfo", NVML_ERROR_TIMEOUT, 1);
	read_at_ms(1200, &s);
	assert_false(s.valid & GB_SAMPLE_SM_CLOCK);
	assert_true(s.valid & GB_SAMPLE_TEMP);
	read_at_ms(1300, &s);
	assert_true(s.valid & GB_SAMPLE_SM_CLOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_domains_and_symbols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe_groups_alike_gpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_vs_integrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integrated_needs_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_energy_at_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_field_id_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_v1_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transient_retried_permanent_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_telemetry_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restricted_to_visible_gpus, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
