/*
 * The columns a meter's time series is written with, shared by the CSV
 * writer (human units: J, W) and the record's JSON series (the raw units of
 * struct gb_sample). Internal to src/record; constant data, thread-safe.
 */
#ifndef GB_RECORD_SERIES_COLS_H
#define GB_RECORD_SERIES_COLS_H

#include "greenbench/meter.h"

#include <stddef.h>
#include <stdint.h>

struct gb_series_col {
	uint32_t bit;		/* GB_SAMPLE_* validity bit */
	const char *csv;	/* CSV header suffix: "energy_j" */
	const char *json;	/* JSON column suffix: "energy_uj" */
};

extern const struct gb_series_col gb_series_cols[];
extern const size_t gb_series_ncols;

/* The columns written for a domain: its telemetry, plus power wherever it
 * has energy (the meter derives power from energy deltas). */
uint32_t gb_series_columns_of(const struct gb_domain_info *di);

/* A sample's value for a column in gb_sample's own units. */
double gb_series_raw_value(const struct gb_sample *s, uint32_t bit);

#endif
