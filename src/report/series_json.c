#include "greenbench/series.h"
#include "greenbench/meter.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* Columns in the units of struct gb_sample, named like the study's figures. */
static const struct {
	uint32_t bit;
	const char *suffix;
} cols[] = {
	{ GB_SAMPLE_ENERGY, "energy_uj" },	  { GB_SAMPLE_POWER, "power_mw" },
	{ GB_SAMPLE_POWER_AVG, "power_avg_mw" }, { GB_SAMPLE_UTIL_GPU, "util_gpu_pct" },
	{ GB_SAMPLE_UTIL_MEM, "util_mem_pct" },  { GB_SAMPLE_MEM, "mem_used_bytes" },
	{ GB_SAMPLE_SM_CLOCK, "sm_clock_mhz" },  { GB_SAMPLE_TEMP, "temp_c" },
	{ GB_SAMPLE_UTIL_CPU, "util_cpu_permille" },
};

static double value_of(const struct gb_sample *s, uint32_t bit)
{
	switch (bit) {
	case GB_SAMPLE_ENERGY: return (double)s->energy_uj;
	case GB_SAMPLE_POWER: return s->power_mw;
	case GB_SAMPLE_POWER_AVG: return s->power_avg_mw;
	case GB_SAMPLE_UTIL_GPU: return s->util_gpu_pct;
	case GB_SAMPLE_UTIL_MEM: return s->util_mem_pct;
	case GB_SAMPLE_MEM: return (double)s->mem_used_bytes;
	case GB_SAMPLE_SM_CLOCK: return s->sm_clock_mhz;
	case GB_SAMPLE_TEMP: return s->temp_c;
	default: return s->util_cpu_permille;
	}
}

/* Power is derived by the meter where a source has none. */
static uint32_t columns_of(const struct gb_domain_info *di)
{
	return di->telemetry | ((di->telemetry & GB_SAMPLE_ENERGY) ? GB_SAMPLE_POWER : 0);
}

cJSON *gb_series_json(struct gb_meter *m, uint64_t t0_ns, uint64_t t1_ns)
{
	size_t nd = gb_meter_domain_count(m), nrows;
	const struct gb_sample *rows;
	const uint64_t *t;
	cJSON *o = cJSON_CreateObject(), *names, *arr;
	char name[GB_NAME_MAX + 32];

	if (!o)
		return NULL;
	gb_meter_series(m, &t, &rows, &nrows);
	names = cJSON_AddArrayToObject(o, "columns");
	arr = cJSON_AddArrayToObject(o, "rows");
	cJSON_AddItemToArray(names, cJSON_CreateString("t_ns"));
	for (size_t d = 0; d < nd; d++) {
		const struct gb_domain_info *di = gb_meter_domain(m, d);
		for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
			if (!(columns_of(di) & cols[c].bit))
				continue;
			snprintf(name, sizeof name, "%s.%s", di->name, cols[c].suffix);
			cJSON_AddItemToArray(names, cJSON_CreateString(name));
		}
	}
	for (size_t r = 0; r < nrows; r++) {
		cJSON *row;

		if (t[r] < t0_ns || t[r] > t1_ns)
			continue;
		row = cJSON_CreateArray();
		cJSON_AddItemToArray(row, cJSON_CreateNumber((double)t[r]));
		for (size_t d = 0; d < nd; d++) {
			const struct gb_domain_info *di = gb_meter_domain(m, d);
			const struct gb_sample *s = &rows[r * nd + d];
			for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
				if (!(columns_of(di) & cols[c].bit))
					continue;
				cJSON_AddItemToArray(row, (s->valid & cols[c].bit)
								  ? cJSON_CreateNumber(value_of(s, cols[c].bit))
								  : cJSON_CreateNull());
			}
		}
		cJSON_AddItemToArray(arr, row);
	}
	return o;
}
