#include "greenbench/series.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "record/series_cols.h"

#include <errno.h>
#include <string.h>

static void put_value(FILE *f, const struct gb_sample *s, uint32_t bit, uint64_t e0)
{
	switch (bit) {
	case GB_SAMPLE_ENERGY: fprintf(f, "%.6f", (double)(s->energy_uj - e0) / 1e6); break;
	case GB_SAMPLE_POWER: fprintf(f, "%.3f", s->power_mw / 1e3); break;
	case GB_SAMPLE_POWER_AVG: fprintf(f, "%.3f", s->power_avg_mw / 1e3); break;
	case GB_SAMPLE_UTIL_GPU: fprintf(f, "%u", s->util_gpu_pct); break;
	case GB_SAMPLE_UTIL_MEM: fprintf(f, "%u", s->util_mem_pct); break;
	case GB_SAMPLE_MEM: fprintf(f, "%llu", (unsigned long long)s->mem_used_bytes); break;
	case GB_SAMPLE_SM_CLOCK: fprintf(f, "%u", s->sm_clock_mhz); break;
	case GB_SAMPLE_TEMP: fprintf(f, "%d", s->temp_c); break;
	case GB_SAMPLE_THROTTLE: fprintf(f, "0x%llx", (unsigned long long)s->throttle_reasons); break;
	case GB_SAMPLE_UTIL_CPU: fprintf(f, "%.1f", s->util_cpu_permille / 10.0); break;
	}
}

int gb_series_write_csv(struct gb_meter *m, uint64_t t0_ns, FILE *f)
{
	size_t nd = gb_meter_domain_count(m), nrows;
	const struct gb_sample *rows;
	const uint64_t *t;
	uint64_t e0[64] = { 0 };

	if (nd > sizeof e0 / sizeof e0[0])
		return gb_error_set(-E2BIG, "too many domains for CSV output");
	gb_meter_series(m, &t, &rows, &nrows);
	fputs("t_s", f);
	for (size_t d = 0; d < nd; d++) {
		const struct gb_domain_info *di = gb_meter_domain(m, d);
		for (size_t c = 0; c < gb_series_ncols; c++)
			if (gb_series_columns_of(di) & gb_series_cols[c].bit)
				fprintf(f, ",%s.%s", di->name, gb_series_cols[c].csv);
	}
	fputc('\n', f);
	/* Energy is written relative to the first valid reading at or after
	 * t0 so the column reads as "joules since start". */
	for (size_t d = 0; d < nd; d++) {
		for (size_t r = 0; r < nrows; r++) {
			const struct gb_sample *s = &rows[r * nd + d];
			if (t[r] >= t0_ns && (s->valid & GB_SAMPLE_ENERGY)) {
				e0[d] = s->energy_uj;
				break;
			}
		}
	}
	for (size_t r = 0; r < nrows; r++) {
		if (t[r] < t0_ns)
			continue;
		fprintf(f, "%.6f", (double)(t[r] - t0_ns) / 1e9);
		for (size_t d = 0; d < nd; d++) {
			const struct gb_domain_info *di = gb_meter_domain(m, d);
			const struct gb_sample *s = &rows[r * nd + d];
			for (size_t c = 0; c < gb_series_ncols; c++) {
				if (!(gb_series_columns_of(di) & gb_series_cols[c].bit))
					continue;
				fputc(',', f);
				if ((s->valid & gb_series_cols[c].bit) &&
				    !(gb_series_cols[c].bit == GB_SAMPLE_ENERGY && s->energy_uj < e0[d]))
					put_value(f, s, gb_series_cols[c].bit, e0[d]);
			}
		}
		fputc('\n', f);
	}
	if (ferror(f))
		return gb_error_set(-EIO, "cannot write the time series");
	return 0;
}
