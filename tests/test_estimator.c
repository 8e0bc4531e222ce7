/* The CPU estimator's pure model and its source over a fake /proc tree. */
#include "lib/gbtest.h"
#include "greenbench/meter.h"
#include "meter/estimator_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct gb_source_ops gb_source_estimator;

static void test_parse_proc_stat(void **st)
{
	struct gb_cpu_times t;

	(void)st;
	assert_int_equal(gb_est_parse_proc_stat("intr 5\ncpu  10 2 3 100 7 1 1 1 0 0\ncpu0 1 1 1 1\n", &t), 0);
	assert_int_equal(t.busy, 10 + 2 + 3 + 1 + 1 + 1);
	assert_int_equal(t.total, t.busy + 100 + 7);
	assert_int_equal(gb_est_parse_proc_stat("cpu0 1 2 3 4\n", &t), -EINVAL);
	assert_int_equal(gb_est_parse_proc_stat("cpu  1 2\n", &t), -EINVAL);
}

static void test_parse_cpuinfo(void **st)
{
	struct gb_cpu_model c;
	const char *two_sockets =
		"processor\t: 0\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 0\n\n"
		"processor\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 1\n\n"
		"processor\t: 2\nmodel name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: 1\n";

	(void)st;
	assert_int_equal(gb_est_parse_cpuinfo(two_sockets, &c), 0);
	assert_int_equal(c.threads, 3);
	assert_int_equal(c.packages, 2);
	assert_string_equal(c.name, "AMD EPYC 7763 64-Core Processor");
	/* No physical id (some VMs): one package. */
	assert_int_equal(gb_est_parse_cpuinfo("processor : 0\nmodel name : X\n", &c), 0);
	assert_int_equal(c.packages, 1);
	assert_int_equal(gb_est_parse_cpuinfo("nothing here\n", &c), -EINVAL);
}

static void test_tdp_and_power(void **st)
{
	double tdp, u;
	const char *m;
	struct gb_cpu_times a = { 100, 1000 }, b = { 150, 1100 }, c = { 150, 1000 };

	(void)st;
	assert_int_equal(gb_est_tdp_lookup("AMD EPYC 7763 64-Core Processor", &tdp, &m), 0);
	assert_true(tdp == 280.0);
	assert_int_equal(gb_est_tdp_lookup("Some Unknown CPU", &tdp, &m), -ENOENT);
	assert_int_equal(gb_est_util(&a, &b, &u), 0);
	assert_true(u > 0.499 && u < 0.501);
	assert_int_equal(gb_est_util(&a, &c, &u), -EINVAL);
	/* 2 x 100 W, 30% idle share, half busy: 200 x (0.3 + 0.7 x 0.5) = 130 W. */
	assert_int_equal(gb_est_power_mw(100, 2, 0.3, 0.5), 130000);
	assert_int_equal(gb_est_power_mw(100, 1, 0.3, 7.0), 100000); /* clamped */
	assert_int_equal(gb_est_power_mw(100, 1, 0.3, -1.0), 30000);
}

static char *fake_root(void)
{
	char *root = gbt_mkdtemp();

	gbt_write(root, "proc/cpuinfo", "processor : 0\nmodel name : AMD EPYC 7763 64-Core Processor\n"
					    "physical id : 0\n");
	gbt_write(root, "proc/stat", "cpu  100 0 0 900 0 0 0 0 0 0\n");
	return root;
}

static void test_source_integrates_busy_time(void **st)
{
	struct gb_meter_config cfg;
	struct gb_domain_info di;
	struct gb_sample s;
	char *root = fake_root();
	void *state = NULL;

	(void)st;
	gb_meter_config_init(&cfg);
	cfg.sysfs_root = root;
	assert_int_equal(gb_source_estimator.open(&cfg, &state), 0);
	gb_source_estimator.domain_info(state, 0, &di);
	assert_int_equal(di.method, GB_METHOD_ESTIMATED);
	assert_non_null(strstr(di.label, "estimated"));

	/* No tick elapsed yet: energy starts at 0, power unknown (not 0 W). */
	assert_int_equal(gb_source_estimator.read(state, 1000000000ULL, &s), 0);
	assert_true(s.valid & GB_SAMPLE_ENERGY);
	assert_false(s.valid & GB_SAMPLE_POWER);
	assert_int_equal(s.energy_uj, 0);

	/* Fully busy for 2 s at 280 W: 560 J. */
	gbt_write(root, "proc/stat", "cpu  200 0 0 900 0 0 0 0 0 0\n");
	assert_int_equal(gb_source_estimator.read(state, 3000000000ULL, &s), 0);
	assert_true(s.valid & GB_SAMPLE_POWER);
	assert_int_equal(s.power_mw, 280000);
	assert_int_equal(s.util_cpu_permille, 1000);
	assert_int_equal(s.energy_uj, 560000000ULL);

	/* Idle for 1 s: 30% of TDP = 84 J more. */
	gbt_write(root, "proc/stat", "cpu  200 0 0 1000 0 0 0 0 0 0\n");
	assert_int_equal(gb_source_estimator.read(state, 4000000000ULL, &s), 0);
	assert_int_equal(s.energy_uj, 644000000ULL);
	gb_source_estimator.close(state);

	/* --cpu-tdp overrides the table. */
	cfg.cpu_tdp_w = 100;
	assert_int_equal(gb_source_estimator.open(&cfg, &state), 0);
	gbt_write(root, "proc/stat", "cpu  300 0 0 1000 0 0 0 0 0 0\n");
	assert_int_equal(gb_source_estimator.read(state, 1, &s), 0);
	assert_int_equal(s.power_mw, 100000);
	gb_source_estimator.close(state);
	gbt_rm_rf(root);
	free(root);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Per process (shared nodes, several runs at once): this process's CPU
 * time, not the node's /proc/stat, and no idle share; package counters
 * are left out of the meter. */
static void test_per_process(void **st)
{
	struct gb_meter_config cfg;
	struct gb_domain_info di;
	struct gb_meter *m = NULL;
	struct gb_sample s;
	char *root = fake_root();
	void *state = NULL;
	volatile uint64_t x = 0;
	uint64_t c0;
	int rapl_disabled = 0;

	(void)st;
	gb_meter_config_init(&cfg);
	cfg.sysfs_root = root;
	cfg.cpu_per_process = 1;
	assert_int_equal(gb_source_estimator.open(&cfg, &state), 0);
	gb_source_estimator.domain_info(state, 0, &di);
	assert_non_null(strstr(di.label, "estimated per process"));
	assert_int_equal(gb_source_estimator.read(state, 1000000000ULL, &s), 0);
	/* The node is fully busy, but not because of us. */
	gbt_write(root, "proc/stat", "cpu  1100 0 0 900 0 0 0 0 0 0\n");
	for (c0 = cpu_ns(); cpu_ns() - c0 < 50000000ULL;)
		x++;
	assert_int_equal(gb_source_estimator.read(state, 2000000000ULL, &s), 0);
	assert_true(s.valid & GB_SAMPLE_POWER);
	/* At least 5% of one CPU for the 1 s the reads are apart, times the
	 * dynamic 70% of 280 W: 9.8 W; far below the node's (280 W). */
	assert_true(s.power_mw >= 9800);
	assert_true(s.power_mw < 100000);
	assert_int_equal(s.energy_uj, (uint64_t)s.power_mw * 1000);
	gb_source_estimator.close(state);

	cfg.nvml_lib = "/nonexistent/libnvidia-ml.so.1";
	assert_int_equal(gb_meter_open(&cfg, &m), 0);
	for (size_t i = 0; i < gb_meter_source_count(m); i++) {
		const struct gb_source_status *ss = gb_meter_source(m, i);

		if (ss->ops->group == GB_GROUP_CPU_RAPL) {
			assert_int_equal(ss->state, GB_SOURCE_DISABLED);
			assert_non_null(strstr(ss->reason, "per process"));
			rapl_disabled++;
		}
	}
	assert_true(rapl_disabled > 0);
	gb_meter_free(m);
	gbt_rm_rf(root);
	free(root);
}

static void test_source_missing_proc(void **st)
{
	struct gb_meter_config cfg;
	char *root = gbt_mkdtemp();
	void *state = NULL;

	(void)st;
	gb_meter_config_init(&cfg);
	cfg.sysfs_root = root;
	assert_int_equal(gb_source_estimator.open(&cfg, &state), -ENOENT);
	gbt_rm_rf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_proc_stat),
		cmocka_unit_test(test_parse_cpuinfo),
		cmocka_unit_test(test_tdp_and_power),
		cmocka_unit_test(test_source_integrates_busy_time),
		cmocka_unit_test(test_source_missing_proc),
		cmocka_unit_test(test_per_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
