#include "greenbench/series.h"
#include "greenbench/meter.h"
#include "report/series_cols.h"

#include <cjson/cJSON.h>
#include <stdio.h>

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
		for (size_t c = 0; c < gb_series_ncols; c++) {
			if (!(gb_series_columns_of(di) & gb_series_cols[c].bit))
				continue;
			snprintf(name, sizeof name, "%s.%s", di->name, gb_series_cols[c].json);
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
			for (size_t c = 0; c < gb_series_ncols; c++) {
				if (!(gb_series_columns_of(di) & gb_series_cols[c].bit))
					continue;
				cJSON_AddItemToArray(row, (s->valid & gb_series_cols[c].bit)
								  ? cJSON_CreateNumber(gb_series_raw_value(s, gb_series_cols[c].bit))
								  : cJSON_CreateNull());
			}
		}
		cJSON_AddItemToArray(arr, row);
	}
	return o;
}
