/*
 * Pure part of the CPU energy estimator: the power model, the TDP table and
 * /proc parsing, kept apart from file access so they are unit-tested with
 * fixed text (raplcap's *-common.c split). Thread-safe (no state).
 *
 * Model (an estimate, labelled so everywhere it appears):
 *   P(u) = packages x TDP x (idle_frac + (1 - idle_frac) x u)
 * where u is the busy fraction of all CPUs from /proc/stat over the interval.
 * idle_frac defaults to GB_EST_IDLE_FRAC; see docs/meters.md for its source.
 */
#ifndef GB_METER_ESTIMATOR_MODEL_H
#define GB_METER_ESTIMATOR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define GB_EST_IDLE_FRAC 0.30
/* Used when the CPU is not in the table and no --cpu-tdp was given. */
#define GB_EST_DEFAULT_W_PER_THREAD 10.0

struct gb_cpu_times {
	uint64_t busy;	/* user+nice+system+irq+softirq+steal, in USER_HZ ticks */
	uint64_t total;	/* busy + idle + iowait */
};

/* Parse the aggregate "cpu " line of /proc/stat. -EINVAL if absent. */
int gb_est_parse_proc_stat(const char *text, struct gb_cpu_times *out);

struct gb_cpu_model {
	char name[128];		/* "model name" of the first CPU */
	unsigned packages;	/* distinct "physical id" values, at least 1 */
	unsigned threads;	/* "processor" entries */
};

/* Parse /proc/cpuinfo text. -EINVAL if no processor entry. */
int gb_est_parse_cpuinfo(const char *text, struct gb_cpu_model *out);

/* TDP per package from the built-in table, matched by substring of the
 * model name; returns 0 and sets *tdp_w, or -ENOENT if not listed. */
int gb_est_tdp_lookup(const char *model_name, double *tdp_w, const char **matched);

/* Busy fraction over an interval in [0, 1]; -EINVAL if total did not advance. */
int gb_est_util(const struct gb_cpu_times *a, const struct gb_cpu_times *b, double *u);

/* Power in mW for a given busy fraction. */
uint32_t gb_est_power_mw(double tdp_w, unsigned packages, double idle_frac, double u);

#endif
