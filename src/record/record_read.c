/*
 * The study's per-run figures out of a run record (docs/results-schema.md).
 * A key the record lacks stays NAN: absent, never 0.
 */
#include "greenbench/store.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static double num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void str(const cJSON *obj, const char *key, char *buf, size_t len)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));

	snprintf(buf, len, "%s", s ? s : "");
}

static const cJSON *measured_phase(const cJSON *rec)
{
	const cJSON *ph;

	cJSON_ArrayForEach(ph, cJSON_GetObjectItemCaseSensitive(rec, "phases")) {
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ph, "name"));
		if (n && !strcmp(n, "measured"))
			return ph;
	}
	return NULL;
}

void gb_run_metrics_extract(const cJSON *rec, struct gb_run_metrics *m)
{
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(rec, "summary");
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(rec, "latency_ns");
	const cJSON *acc = cJSON_GetObjectItemCaseSensitive(rec, "accuracy");
	const cJSON *ph = measured_phase(rec), *d, *meths;
	size_t off = 0;
	double throttle = NAN;

	memset(m, 0, sizeof *m);
	m->gpu_util_mean_pct = num(sum, "gpu_util_mean_pct");
	m->gpu_util_sd_pct = num(sum, "gpu_util_sd_pct");
	m->gpu_mem_pct = num(sum, "gpu_mem_pct");
	m->gpu_power_mean_w = num(sum, "gpu_power_mean_w");
	m->gpu_energy_j = num(sum, "gpu_energy_j");
	m->cpu_energy_j = num(sum, "cpu_energy_j");
	m->total_energy_j = num(sum, "total_energy_j");
	m->inference_time_s = num(sum, "inference_time_s");
	str(sum, "cpu_energy_method", m->cpu_energy_method, sizeof m->cpu_energy_method);
	meths = cJSON_GetObjectItemCaseSensitive(sum, "total_energy_methods");
	cJSON_ArrayForEach(d, meths)
		if (cJSON_IsString(d) && off < sizeof m->total_energy_methods)
			off += (size_t)snprintf(m->total_energy_methods + off, sizeof m->total_energy_methods - off,
						"%s%s", off ? "+" : "", d->valuestring);
	m->items = ph ? num(ph, "items") : NAN;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(ph, "energy")) {
		if (!strncmp(d->string, "gpu", 3)) {
			if (!m->gpu_energy_method[0])
				str(d, "method", m->gpu_energy_method, sizeof m->gpu_energy_method);
			double t = num(d, "throttle_reasons");
			if (!isnan(t))
				throttle = (double)((isnan(throttle) ? 0 : (uint64_t)throttle) | (uint64_t)t);
		}
	}
	if (!isnan(num(sum, "gpu_throttle_reasons")))
		throttle = num(sum, "gpu_throttle_reasons");
	m->throttle_reasons = throttle;
	if (!isnan(m->total_energy_j) && m->items > 0) {
		m->energy_per_item_mj = m->total_energy_j * 1000.0 / m->items;
	} else {
		const cJSON *epi = cJSON_GetObjectItemCaseSensitive(rec, "energy_per_item_mj");
		m->energy_per_item_mj = NAN;
		cJSON_ArrayForEach(d, epi)
			if (cJSON_IsNumber(d))
				m->energy_per_item_mj = (isnan(m->energy_per_item_mj) ? 0 : m->energy_per_item_mj) + d->valuedouble;
	}
	m->latency_mean_ns = num(lat, "mean");
	m->latency_p50_ns = num(lat, "p50");
	m->latency_p99_ns = num(lat, "p99");
	m->throughput_items_per_s = num(rec, "throughput_items_per_s");
	m->accuracy_top1 = num(acc, "top1");
	m->accuracy_top5 = num(acc, "top5");
	m->accuracy_n = num(acc, "n");
}
