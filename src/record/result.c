/* The run result: lifetime helpers and the host facts it records. */
#include "greenbench/result.h"
#include "greenbench/sys.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[GB_PHASE_COUNT] = { "load", "build", "first", "warmup",
							 "measured", "accuracy" };

const char *gb_phase_name(enum gb_phase_id p)
{
	return (unsigned)p < GB_PHASE_COUNT ? phase_names[p] : "?";
}

void gb_run_result_init(struct gb_run_result *r)
{
	memset(r, 0, sizeof *r);
	r->graph_opt_level = -1;
	r->interference.cpu_cores = r->interference.idle_cpu_cores = NAN;
	r->interference.gpu_processes = NAN;
	gb_verdict_init(&r->verdict);
}

void gb_run_result_release(struct gb_run_result *r)
{
	for (int p = 0; p < GB_PHASE_COUNT; p++) {
		free(r->phases[p].energy);
		r->phases[p].energy = NULL;
	}
	free(r->domains);
	free(r->idle_w);
	for (size_t i = 0; i < r->accuracy.nskipped_reasons; i++)
		free(r->accuracy.skipped_reasons[i]);
	free(r->accuracy.skipped_reasons);
	r->accuracy.skipped_reasons = NULL;
	r->accuracy.nskipped_reasons = 0;
	r->domains = NULL;
	r->idle_w = NULL;
	r->ndomains = 0;
}

void gb_run_result_unavailable(struct gb_run_result *r, const char *key, const char *fmt, ...)
{
	struct gb_result_kv *kv;
	va_list ap;

	for (size_t i = 0; i < r->nunavailable; i++)
		if (!strcmp(r->unavailable[i].key, key))
			return;
	if (r->nunavailable == GB_RESULT_UNAVAIL_MAX)
		return;
	kv = &r->unavailable[r->nunavailable++];
	snprintf(kv->key, sizeof kv->key, "%s", key);
	va_start(ap, fmt);
	vsnprintf(kv->value, sizeof kv->value, fmt, ap);
	va_end(ap);
}

double gb_phase_seconds(const struct gb_phase *p)
{
	return p->done && p->t_end_ns > p->t_start_ns ? (p->t_end_ns - p->t_start_ns) / 1e9 : 0.0;
}
