/*
 * The meter core over a fake machine: a /proc tree for the estimator, no
 * RAPL, no NVML. Phase energy from marks, windows, idle baseline, sampler.
 */
#include "lib/gbtest.h"
#include "greenbench/meter.h"
#include "greenbench/series.h"
#include "greenbench/time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

struct fixture {
	char *root;
	struct gb_meter *m;
	size_t cpu;
};

static int setup(void **st)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct gb_meter_config cfg;

	f->root = gbt_mkdtemp();
	gbt_write(f->root, "proc/cpuinfo", "processor : 0\nmodel name : AMD EPYC 7763 64-Core Processor\n");
	gbt_write(f->root, "proc/stat", "cpu  100 0 0 900 0 0 0 0 0 0\n");
	setenv("GREENBENCH_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
	gb_meter_config_init(&cfg);
	cfg.sysfs_root = f->root;
	cfg.nvml_lib = "/nonexistent/libnvidia-ml.so.1";
	cfg.interval_ns = 5 * GB_NS_PER_MS;
	assert_int_equal(gb_meter_open(&cfg, &f->m), 0);
	f->cpu = SIZE_MAX;
	for (size_t d = 0; d < gb_meter_domain_count(f->m); d++)
		if (!strcmp(gb_meter_domain(f->m, d)->name, "cpu"))
			f->cpu = d;
	assert_true(f->cpu != SIZE_MAX);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *f = *st;

	gb_meter_free(f->m);
	gbt_rm_rf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static void test_sources_report_state(void **st)
{
	struct fixture *f = *st;
	int seen_estimator = 0;

	for (size_t i = 0; i < gb_meter_source_count(f->m); i++) {
		const struct gb_source_status *s = gb_meter_source(f->m, i);

		if (!strcmp(s->ops->name, "estimator")) {
			seen_estimator = 1;
			assert_int_equal(s->state, GB_SOURCE_ACTIVE);
			assert_non_null(strstr(s->detail, "TDP table"));
		} else {
			/* Nothing else exists in the fake tree; each says why. */
			assert_int_not_equal(s->state, GB_SOURCE_ACTIVE);
			assert_true(strlen(s->reason) > 0);
		}
	}
	assert_true(seen_estimator);
}

static void test_window_energy_from_marks(void **st)
{
	struct fixture *f = *st;
	struct gb_mark a, b;
	struct gb_domain_energy *e = calloc(gb_meter_domain_count(f->m), sizeof *e);
	double dur, expect;

	assert_int_equal(gb_mark_init(&a, f->m), 0);
	assert_int_equal(gb_mark_init(&b, f->m), 0);
	assert_int_equal(gb_meter_mark(f->m, &a), 0);
	/* A window shorter than a /proc/stat tick has no estimate of its own:
	 * absent with the reason, never 0 J. */
	assert_int_equal(gb_meter_mark(f->m, &b), 0);
	assert_int_equal(gb_meter_window(f->m, &a, &b, e), 0);
	assert_false(e[f->cpu].energy_valid);
	assert_non_null(strstr(e[f->cpu].invalid_reason, "shorter than the counter's 10 ms update period"));
	assert_int_equal(gb_meter_mark(f->m, &a), 0);
	gbt_write(f->root, "proc/stat", "cpu  200 0 0 900 0 0 0 0 0 0\n"); /* fully busy */
	/* The window must span a tick (10 ms at USER_HZ 100). */
	gb_sleep_until_ns(a.t_ns + 11 * GB_NS_PER_MS);
	assert_int_equal(gb_meter_mark(f->m, &b), 0);
	assert_int_equal(gb_meter_window(f->m, &a, &b, e), 0);
	dur = (b.t_ns - a.t_ns) / 1e9;
	expect = 280.0 * dur; /* EPYC 7763 at full load */
	assert_true(e[f->cpu].energy_valid);
	assert_int_equal(e[f->cpu].method, GB_METHOD_ESTIMATED);
	assert_true(e[f->cpu].energy_j > expect - 1e-5 && e[f->cpu].energy_j < expect + 1e-5);
	assert_true(e[f->cpu].power_valid);
	assert_true(e[f->cpu].power_mean_w > 279.9 && e[f->cpu].power_mean_w < 280.1);
	assert_false(e[f->cpu].net_valid); /* no baseline yet */
	assert_false(e[f->cpu].util_gpu_valid);

	/* With an idle power known, net = gross - idle x duration. */
	assert_int_equal(gb_meter_set_idle_power(f->m, f->cpu, 84.0), 0);
	assert_int_equal(gb_meter_window(f->m, &a, &b, e), 0);
	assert_true(e[f->cpu].net_valid);
	assert_true(fabs(e[f->cpu].net_energy_j - (e[f->cpu].energy_j - 84.0 * dur)) < 1e-9);
	assert_int_equal(gb_meter_set_idle_power(f->m, f->cpu, -1), -EINVAL);

	/* Marks taken from another meter's layout are refused. */
	b.n++;
	assert_int_equal(gb_meter_window(f->m, &a, &b, e), -EINVAL);
	b.n--;
	gb_mark_release(&a);
	gb_mark_release(&b);
	free(e);
}

static void test_idle_baseline(void **st)
{
	struct fixture *f = *st;
	double w = -1;

	assert_int_equal(gb_meter_idle_power(f->m, f->cpu, &w), -ENODATA);
	/* /proc/stat does not move during the baseline, so the estimated
	 * energy is flat and the idle power is exactly 0 W; a busy tick
	 * afterwards is then all net energy. */
	assert_int_equal(gb_meter_measure_idle(f->m, 2 * GB_NS_PER_MS), 0);
	assert_int_equal(gb_meter_idle_power(f->m, f->cpu, &w), 0);
	assert_true(w == 0.0);
	{
		struct gb_mark a, b;
		struct gb_domain_energy *e = calloc(gb_meter_domain_count(f->m), sizeof *e);

		gb_mark_init(&a, f->m);
		gb_mark_init(&b, f->m);
		assert_int_equal(gb_meter_mark(f->m, &a), 0);
		gbt_write(f->root, "proc/stat", "cpu  200 0 0 900 0 0 0 0 0 0\n");
		gb_sleep_until_ns(a.t_ns + 11 * GB_NS_PER_MS);	/* past a tick */
		assert_int_equal(gb_meter_mark(f->m, &b), 0);
		assert_int_equal(gb_meter_window(f->m, &a, &b, e), 0);
		assert_true(e[f->cpu].net_valid);
		assert_true(e[f->cpu].energy_j > 0);
		assert_true(e[f->cpu].net_energy_j == e[f->cpu].energy_j);
		gb_mark_release(&a);
		gb_mark_release(&b);
		free(e);
	}
}

static size_t series_rows(struct gb_meter *m)
{
	const uint64_t *t;
	const struct gb_sample *s;
	size_t n;

	gb_meter_series(m, &t, &s, &n);
	return n;
}

static void test_sampler_records_monotonic_series(void **st)
{
	struct fixture *f = *st;
	const uint64_t *t;
	const struct gb_sample *s;
	uint64_t deadline = gb_now_ns() + 10 * GB_NS_PER_S;
	size_t n;

	assert_int_equal(gb_meter_start(f->m), 0);
	assert_int_equal(gb_meter_start(f->m), 0); /* idempotent */
	/* Wait for the condition (rows recorded), bounded; not a fixed sleep. */
	while (series_rows(f->m) < 20 && gb_now_ns() < deadline) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(gb_meter_stop(f->m), 0);
	gb_meter_series(f->m, &t, &s, &n);
	assert_true(n >= 20);
	for (size_t r = 1; r < n; r++)
		assert_true(t[r] > t[r - 1]);
	/* Never faster than asked: mean spacing at least the interval. */
	assert_true((t[n - 1] - t[0]) / (n - 1) >= gb_meter_interval_ns(f->m) * 9 / 10);
	gb_meter_series_clear(f->m);
	assert_int_equal(series_rows(f->m), 0);
}

static void test_series_csv(void **st)
{
	struct fixture *f = *st;
	struct gb_mark a;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	assert_int_equal(gb_mark_init(&a, f->m), 0);
	assert_int_equal(gb_meter_mark(f->m, &a), 0);
	gbt_write(f->root, "proc/stat", "cpu  150 0 0 950 0 0 0 0 0 0\n");
	assert_int_equal(gb_meter_mark(f->m, &a), 0);
	assert_int_equal(gb_series_write_csv(f->m, 0, mem), 0);
	fclose(mem);
	assert_non_null(strstr(buf, "t_s,cpu.energy_j,cpu.power_w,cpu.util_cpu_pct\n"));
	/* First row: power unknown, so an empty cell, not 0. */
	assert_non_null(strstr(buf, ",0.000000,,\n"));
	assert_non_null(strstr(buf, ",50.0\n"));
	free(buf);
	gb_mark_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sources_report_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_energy_from_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_baseline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sampler_records_monotonic_series, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_csv, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
