/*
 * Per-batch latency statistics of one measured phase.
 *
 * Percentiles interpolate linearly between order statistics (the "type 7"
 * definition of R and numpy's default): p-th percentile of n sorted values
 * x[0..n-1] is x[h] + (h - floor h)(x[h+1] - x[h]) with h = (n - 1) p / 100.
 * sd is the sample standard deviation (n - 1 in the denominator; 0 for
 * n = 1). All values in nanoseconds.
 *
 * Pure functions; thread-safe. Cross-run statistics (confidence intervals,
 * tests between configurations) live in src/report/stats.c.
 */
#ifndef GREENBENCH_LATENCY_H
#define GREENBENCH_LATENCY_H

#include <stddef.h>
#include <stdint.h>

struct gb_latency {
	uint64_t n;
	double mean_ns, sd_ns;
	double p50_ns, p90_ns, p99_ns;
	double min_ns, max_ns;
};

/* Summarise lat_ns[0..n-1] (left unchanged; a sorted copy is made).
 * -EINVAL for n == 0, -ENOMEM if the copy cannot be made. */
int gb_latency_summarize(const uint64_t *lat_ns, size_t n, struct gb_latency *out);

/* Percentile p (0..100) of already sorted values. */
double gb_percentile_sorted(const uint64_t *sorted, size_t n, double p);

#endif
