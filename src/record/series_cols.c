#include "record/series_cols.h"

const struct gb_series_col gb_series_cols[] = {
	{ GB_SAMPLE_ENERGY, "energy_j", "energy_uj" },
	{ GB_SAMPLE_POWER, "power_w", "power_mw" },
	{ GB_SAMPLE_POWER_AVG, "power_avg_w", "power_avg_mw" },
	{ GB_SAMPLE_UTIL_GPU, "util_gpu_pct", "util_gpu_pct" },
	{ GB_SAMPLE_UTIL_MEM, "util_mem_pct", "util_mem_pct" },
	{ GB_SAMPLE_MEM, "mem_used_bytes", "mem_used_bytes" },
	{ GB_SAMPLE_SM_CLOCK, "sm_clock_mhz", "sm_clock_mhz" },
	{ GB_SAMPLE_TEMP, "temp_c", "temp_c" },
	{ GB_SAMPLE_THROTTLE, "throttle_reasons", "throttle_reasons" },
	{ GB_SAMPLE_UTIL_CPU, "util_cpu_pct", "util_cpu_permille" },
};

const size_t gb_series_ncols = sizeof gb_series_cols / sizeof gb_series_cols[0];

uint32_t gb_series_columns_of(const struct gb_domain_info *di)
{
	return di->telemetry | ((di->telemetry & GB_SAMPLE_ENERGY) ? GB_SAMPLE_POWER : 0);
}

double gb_series_raw_value(const struct gb_sample *s, uint32_t bit)
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
	case GB_SAMPLE_THROTTLE: return (double)s->throttle_reasons;
	default: return s->util_cpu_permille;
	}
}
