/* Per-batch latency statistics; see latency.h for the definitions. */
#include "greenbench/latency.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

double gb_percentile_sorted(const uint64_t *sorted, size_t n, double p)
{
	double h, frac;
	size_t lo;

	if (n == 0)
		return NAN;
	if (p <= 0)
		return (double)sorted[0];
	if (p >= 100)
		return (double)sorted[n - 1];
	h = (double)(n - 1) * p / 100.0;
	lo = (size_t)h;
	frac = h - (double)lo;
	if (lo + 1 >= n)
		return (double)sorted[n - 1];
	return (double)sorted[lo] + frac * ((double)sorted[lo + 1] - (double)sorted[lo]);
}

int gb_latency_summarize(const uint64_t *lat_ns, size_t n, struct gb_latency *out)
{
	uint64_t *s;
	double mean = 0, m2 = 0;

	if (n == 0)
		return gb_error_set(-EINVAL, "no latencies to summarise");
	s = malloc(n * sizeof *s);
	if (!s)
		return gb_error_set(-ENOMEM, "out of memory for %zu latencies", n);
	memcpy(s, lat_ns, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_u64);
	/* Welford on values shifted by the minimum: stable for millions of
	 * large nanosecond values with a small spread. */
	for (size_t i = 0; i < n; i++) {
		double x = (double)(s[i] - s[0]), d = x - mean;

		mean += d / (double)(i + 1);
		m2 += d * (x - mean);
	}
	out->n = n;
	out->mean_ns = (double)s[0] + mean;
	out->sd_ns = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
	out->p50_ns = gb_percentile_sorted(s, n, 50);
	out->p90_ns = gb_percentile_sorted(s, n, 90);
	out->p99_ns = gb_percentile_sorted(s, n, 99);
	out->min_ns = (double)s[0];
	out->max_ns = (double)s[n - 1];
	free(s);
	return 0;
}
