/*
 * The record readers (record.h): the study's per-run figures out of a run
 * record, and one domain's entry back as the writers' emitter wrote it.
 * A key the record lacks stays NAN (or invalid): absent, never 0.
 */
#include "greenbench/record.h"
#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

const struct gb_run_metric_info gb_run_metric_table[] = {
#define NUM_ROW(field, since, from, key, ...) \
	{ #field, offsetof(struct gb_run_metrics, field), 0, since, GB_RS_##from, key },
	GB_RUN_METRICS(NUM_ROW)
#undef NUM_ROW
#define TEXT_ROW(field, size, since, from, key) \
	{ #field, offsetof(struct gb_run_metrics, field), sizeof(((struct gb_run_metrics *)0)->field), \
	  since, GB_RS_##from, key },
	GB_RUN_METRICS_TEXT(TEXT_ROW)
#undef TEXT_ROW
};

const size_t gb_run_metric_count = sizeof gb_run_metric_table / sizeof gb_run_metric_table[0];

static const cJSON *item(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static double num(const cJSON *obj, const char *key)
{
	const cJSON *v = item(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void str(const cJSON *obj, const char *key, char *buf, size_t len)
{
	const char *s = cJSON_GetStringValue(item(obj, key));

	snprintf(buf, len, "%s", s ? s : "");
}

int gb_method_parse(const char *name, enum gb_energy_method *out)
{
	for (int m = GB_METHOD_NONE; m <= GB_METHOD_ESTIMATED; m++)
		if (name && !strcmp(name, gb_method_name((enum gb_energy_method)m))) {
			*out = (enum gb_energy_method)m;
			return 0;
		}
	return -EINVAL;
}

int gb_domain_kind_parse(const char *name, enum gb_domain_kind *out)
{
	for (int k = GB_DOMAIN_CPU_PACKAGE; k <= GB_DOMAIN_OTHER; k++)
		if (name && !strcmp(name, gb_domain_kind_name((enum gb_domain_kind)k))) {
			*out = (enum gb_domain_kind)k;
			return 0;
		}
	return -EINVAL;
}

const cJSON *gb_record_measured_phase(const cJSON *rec)
{
	const cJSON *ph;

	cJSON_ArrayForEach(ph, item(rec, GB_RK_PHASES)) {
		const char *n = cJSON_GetStringValue(item(ph, GB_RK_NAME));
		if (n && !strcmp(n, GB_RK_MEASURED))
			return ph;
	}
	return NULL;
}

/* Set *v and its validity flag when entry has key as a number. */
static void read_num(const cJSON *entry, const char *key, double *v, int *valid)
{
	double x = num(entry, key);

	if (!isnan(x)) {
		*v = x;
		*valid = 1;
	}
}

int gb_record_domain_read(const cJSON *entry, struct gb_record_domain *out)
{
	struct gb_domain_energy *e = &out->e;
	int have_peak = 0, have_sd = 0, have_bytes = 0;
	double peak = NAN, sd = NAN, bytes = NAN, bits = NAN, samples;

	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(entry))
		return gb_error_set(-EINVAL, "a domain's energy entry is not an object");
	out->name = entry->string;
	out->kind_valid = gb_domain_kind_parse(cJSON_GetStringValue(item(entry, GB_RK_KIND)), &out->kind) == 0;
	out->method_valid = gb_method_parse(cJSON_GetStringValue(item(entry, GB_RK_METHOD)), &e->method) == 0;
	read_num(entry, GB_RK_JOULES, &e->energy_j, &e->energy_valid);
	read_num(entry, GB_RK_NET_JOULES, &e->net_energy_j, &e->net_valid);
	read_num(entry, GB_RK_POWER_MEAN, &e->power_mean_w, &e->power_valid);
	read_num(entry, GB_RK_POWER_PEAK, &peak, &have_peak);
	read_num(entry, GB_RK_UTIL_GPU_MEAN, &e->util_gpu_mean, &e->util_gpu_valid);
	read_num(entry, GB_RK_UTIL_GPU_SD, &sd, &have_sd);
	read_num(entry, GB_RK_UTIL_MEM_MEAN, &e->util_mem_mean, &e->util_mem_valid);
	read_num(entry, GB_RK_MEM_USED, &e->mem_used_pct_mean, &e->mem_valid);
	read_num(entry, GB_RK_MEM_USED_MAX, &bytes, &have_bytes);
	read_num(entry, GB_RK_TEMP_MAX, &e->temp_max_c, &e->temp_valid);
	read_num(entry, GB_RK_THROTTLE, &bits, &e->throttle_valid);
	/* Figures written in pairs are valid only as pairs. */
	e->power_peak_w = have_peak ? peak : 0;
	e->power_valid &= have_peak;
	e->util_gpu_sd = have_sd ? sd : 0;
	e->util_gpu_valid &= have_sd;
	e->mem_used_bytes_max = have_bytes && bytes >= 0 ? (uint64_t)bytes : 0;
	e->mem_valid &= have_bytes;
	e->throttle_reasons_or = e->throttle_valid && bits >= 0 ? (uint64_t)bits : 0;
	samples = num(entry, GB_RK_SAMPLES);
	e->nsamples = samples >= 0 ? (size_t)samples : 0;
	return 0;
}

/* The measured phase's GPUs: the first one's method, every one's throttle
 * reasons ORed (NAN when none says). */
static void gpu_figures(const cJSON *ph, struct gb_run_metrics *m)
{
	const cJSON *d;
	uint64_t bits = 0;
	int any = 0;

	cJSON_ArrayForEach(d, item(ph, GB_RK_ENERGY)) {
		struct gb_record_domain rd;

		if (gb_record_domain_read(d, &rd) < 0 || !rd.kind_valid || rd.kind != GB_DOMAIN_GPU)
			continue;
		if (!m->gpu_energy_method[0] && rd.method_valid)
			snprintf(m->gpu_energy_method, sizeof m->gpu_energy_method, "%s", gb_method_name(rd.e.method));
		if (rd.e.throttle_valid) {
			bits |= rd.e.throttle_reasons_or;
			any = 1;
		}
	}
	m->throttle_reasons = any ? (double)bits : NAN;
}

static void join_methods(const cJSON *sum, struct gb_run_metrics *m)
{
	const cJSON *d;
	size_t off = 0;

	cJSON_ArrayForEach(d, item(sum, GB_RK_TOTAL_ENERGY_METHODS))
		if (cJSON_IsString(d) && off < sizeof m->total_energy_methods)
			off += (size_t)snprintf(m->total_energy_methods + off, sizeof m->total_energy_methods - off,
						"%s%s", off ? "+" : "", d->valuestring);
}

/* Energy per item: the total over the measured items, else (a record with
 * no total) the sum of its per-domain figures. */
static double energy_per_item(const cJSON *rec, const struct gb_run_metrics *m)
{
	const cJSON *d;
	double epi = NAN;

	if (!isnan(m->total_energy_j) && m->items > 0)
		return m->total_energy_j * 1000.0 / m->items;
	cJSON_ArrayForEach(d, item(rec, GB_RK_ENERGY_PER_ITEM))
		if (cJSON_IsNumber(d))
			epi = (isnan(epi) ? 0 : epi) + d->valuedouble;
	return epi;
}

int gb_record_verdict_read(const cJSON *rec, struct gb_verdict *v)
{
	const cJSON *checks = item(item(rec, GB_RK_VERDICT), GB_RK_CHECKS), *c;
	enum gb_verdict_reason code;

	gb_verdict_init(v);
	if (!cJSON_IsObject(checks))
		return -ENOENT;
	cJSON_ArrayForEach(c, checks)
		if (cJSON_IsNumber(c) && !gb_verdict_reason_parse(c->string, &code))
			gb_verdict_check(v, code, c->valuedouble);
	return 0;
}

void gb_run_metrics_extract(const cJSON *rec, struct gb_run_metrics *m)
{
	const cJSON *sec[] = {
		[GB_RS_SUMMARY] = item(rec, GB_RK_SUMMARY),
		[GB_RS_LATENCY] = item(rec, GB_RK_LATENCY),
		[GB_RS_ACCURACY] = item(rec, GB_RK_ACCURACY),
		[GB_RS_ROOT] = rec,
		[GB_RS_MEASURED] = gb_record_measured_phase(rec),
		[GB_RS_DERIVED] = NULL,
	};
	struct gb_verdict v;

	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < gb_run_metric_count; i++) {
		const struct gb_run_metric_info *f = &gb_run_metric_table[i];
		char *p = (char *)m + f->off;

		if (f->from == GB_RS_DERIVED)
			continue;
		if (f->text_size)
			str(sec[f->from], f->key, p, f->text_size);
		else
			*(double *)p = num(sec[f->from], f->key);
	}
	gpu_figures(sec[GB_RS_MEASURED], m);
	join_methods(sec[GB_RS_SUMMARY], m);
	m->energy_per_item_mj = energy_per_item(rec, m);
	if (gb_record_verdict_read(rec, &v)) {
		m->verdict = m->verdict_reasons = NAN;
	} else {
		m->verdict = v.level;
		m->verdict_reasons = v.reasons;
	}
}
