/*
 * Writing a meter's time series. The caller owns the FILE; nothing else is
 * printed. Invalid samples are written as empty cells, never as 0.
 * Not thread-safe with a running sampler: stop it first.
 */
#ifndef GREENBENCH_SERIES_H
#define GREENBENCH_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct gb_meter;
struct gb_domain_info;
struct gb_sample;

/* CSV: header "t_s,<domain>.energy_j,<domain>.power_w,..." then one row per
 * sample, t_s relative to t0_ns. Columns appear only for telemetry some
 * domain provides. */
int gb_series_write_csv(struct gb_meter *m, uint64_t t0_ns, FILE *f);

/* The run record's "series" object for samples with t0_ns <= t <= t1_ns:
 * {"columns": ["t_ns", "<domain>.energy_uj", "<domain>.power_mw", ...],
 *  "rows": [[t_ns, value or null, ...], ...]}. Timestamps are absolute
 * CLOCK_MONOTONIC, like the phases'; invalid values are null, never 0.
 * Returns a new cJSON object (caller deletes) or NULL when out of memory. */
struct cJSON;
struct cJSON *gb_series_json(struct gb_meter *m, uint64_t t0_ns, uint64_t t1_ns);

/* The same from samples held elsewhere (a test's fake run): nrows rows of
 * t_ns[r] and ndomains samples each, row r and domain d at
 * rows[r * ndomains + d], as gb_meter_series() gives them. */
struct gb_series_view {
	const struct gb_domain_info *domains;
	size_t ndomains;
	const uint64_t *t_ns;
	const struct gb_sample *rows;
	size_t nrows;
};
struct cJSON *gb_series_json_view(const struct gb_series_view *v, uint64_t t0_ns, uint64_t t1_ns);

/* The record's column suffix for a GB_SAMPLE_* bit ("power_mw" for
 * GB_SAMPLE_POWER), as in "<domain>.<suffix>"; NULL for another bit. */
const char *gb_series_json_column(uint32_t bit);

#endif
