#include "greenbench/series.h"
#include "greenbench/meter.h"
#include "greenbench/record.h"
#include "record/series_cols.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

cJSON *gb_series_json_view(const struct gb_series_view *v, uint64_t t0_ns, uint64_t t1_ns)
{
	cJSON *o = cJSON_CreateObject(), *names, *arr;
	char name[GB_NAME_MAX + 32];

	if (!o)
		return NULL;
	names = cJSON_AddArrayToObject(o, GB_RK_COLUMNS);
	arr = cJSON_AddArrayToObject(o, GB_RK_ROWS);
	cJSON_AddItemToArray(names, cJSON_CreateString(GB_RK_T_NS));
	for (size_t d = 0; d < v->ndomains; d++) {
		const struct gb_domain_info *di = &v->domains[d];
		for (size_t c = 0; c < gb_series_ncols; c++) {
			if (!(gb_series_columns_of(di) & gb_series_cols[c].bit))
				continue;
			snprintf(name, sizeof name, "%s.%s", di->name, gb_series_cols[c].json);
			cJSON_AddItemToArray(names, cJSON_CreateString(name));
		}
	}
	for (size_t r = 0; r < v->nrows; r++) {
		cJSON *row;

		if (v->t_ns[r] < t0_ns || v->t_ns[r] > t1_ns)
			continue;
		row = cJSON_CreateArray();
		cJSON_AddItemToArray(row, cJSON_CreateNumber((double)v->t_ns[r]));
		for (size_t d = 0; d < v->ndomains; d++) {
			const struct gb_domain_info *di = &v->domains[d];
			const struct gb_sample *s = &v->rows[r * v->ndomains + d];
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

cJSON *gb_series_json(struct gb_meter *m, uint64_t t0_ns, uint64_t t1_ns)
{
	struct gb_series_view v = { .ndomains = gb_meter_domain_count(m) };
	struct gb_domain_info *dom = calloc(v.ndomains + 1, sizeof *dom);
	cJSON *o = NULL;

	if (!dom)
		return NULL;
	for (size_t d = 0; d < v.ndomains; d++)
		dom[d] = *gb_meter_domain(m, d);
	v.domains = dom;
	gb_meter_series(m, &v.t_ns, &v.rows, &v.nrows);
	o = gb_series_json_view(&v, t0_ns, t1_ns);
	free(dom);
	return o;
}

const char *gb_series_json_column(uint32_t bit)
{
	for (size_t c = 0; c < gb_series_ncols; c++)
		if (gb_series_cols[c].bit == bit)
			return gb_series_cols[c].json;
	return NULL;
}
