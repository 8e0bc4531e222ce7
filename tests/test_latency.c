/* Per-batch latency statistics against values worked out by hand. */
#include "lib/gbtest.h"
#include "greenbench/latency.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static void test_small(void **st)
{
	/* unsorted on purpose; sorted: 1 2 3 4 10 */
	const uint64_t v[] = { 10, 3, 1, 4, 2 };
	struct gb_latency l;

	(void)st;
	assert_int_equal(gb_latency_summarize(v, 5, &l), 0);
	assert_int_equal(l.n, 5);
	assert_float_equal(l.mean_ns, 4.0, 1e-12);
	/* sum of squares about the mean: 9+4+1+0+36 = 50; 50/4 */
	assert_float_equal(l.sd_ns, sqrt(12.5), 1e-12);
	assert_float_equal(l.p50_ns, 3.0, 1e-12);
	/* h = 4 * 0.9 = 3.6: 4 + 0.6 * (10 - 4) */
	assert_float_equal(l.p90_ns, 7.6, 1e-12);
	/* h = 3.96: 4 + 0.96 * 6 */
	assert_float_equal(l.p99_ns, 9.76, 1e-12);
	assert_float_equal(l.min_ns, 1.0, 0);
	assert_float_equal(l.max_ns, 10.0, 0);
	/* input left alone */
	assert_int_equal(v[0], 10);
}

static void test_edges(void **st)
{
	const uint64_t one[] = { 1234 };
	const uint64_t even[] = { 1, 2, 3, 4 };
	struct gb_latency l;

	(void)st;
	assert_int_equal(gb_latency_summarize(one, 0, &l), -EINVAL);
	assert_int_equal(gb_latency_summarize(one, 1, &l), 0);
	assert_float_equal(l.sd_ns, 0, 0);
	assert_float_equal(l.p99_ns, 1234, 0);
	assert_int_equal(gb_latency_summarize(even, 4, &l), 0);
	assert_float_equal(l.p50_ns, 2.5, 1e-12);
	assert_float_equal(gb_percentile_sorted(even, 4, 0), 1, 0);
	assert_float_equal(gb_percentile_sorted(even, 4, 100), 4, 0);
	assert_true(isnan(gb_percentile_sorted(even, 0, 50)));
}

/* A million identical big values: Welford keeps sd at 0 and mean exact. */
static void test_large(void **st)
{
	size_t n = 1000000;
	uint64_t *v = malloc(n * sizeof *v);
	struct gb_latency l;

	(void)st;
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = 5000000000ULL + (i % 2) * 2; /* 5 s +- 1 ns */
	assert_int_equal(gb_latency_summarize(v, n, &l), 0);
	assert_float_equal(l.mean_ns, 5000000001.0, 1e-3);
	assert_float_equal(l.sd_ns, 1.0, 1e-3);
	assert_float_equal(l.p50_ns, 5000000001.0, 1e-3);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
