/*
 * The run record (docs/results-schema.md, schema 1) from a run result.
 * Values that could not be read are left out and named in "unavailable"
 * with the reason; no figure is ever written as a stand-in 0.
 */
#include "greenbench/result.h"
#include "greenbench/version.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void add_str_nonempty(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
}

static cJSON *config_json(const struct gb_run_result *r)
{
	cJSON *c = cJSON_CreateObject(), *o;

	cJSON_AddStringToObject(c, "model", r->model);
	add_str_nonempty(c, "model_sha256", r->model_sha256);
	cJSON_AddStringToObject(c, "runtime", r->runtime);
	cJSON_AddStringToObject(c, "ep", r->ep);
	o = cJSON_AddObjectToObject(c, "ep_options");
	for (size_t i = 0; i < r->n_ep_options; i++)
		cJSON_AddStringToObject(o, r->ep_options[i].key, r->ep_options[i].value);
	cJSON_AddStringToObject(c, "io", r->io == GB_IO_DEVICE ? "device" : "host");
	if (r->batch)
		cJSON_AddNumberToObject(c, "batch", (double)r->batch);
	o = cJSON_AddObjectToObject(c, "dims");
	for (size_t i = 0; i < r->ndims; i++)
		cJSON_AddNumberToObject(o, r->dims[i].name, (double)r->dims[i].value);
	add_str_nonempty(c, "dtype", r->dtype);
	o = cJSON_AddObjectToObject(c, "warmup");
	if (r->warmup_ns)
		cJSON_AddNumberToObject(o, "duration_s", r->warmup_ns / 1e9);
	else
		cJSON_AddNumberToObject(o, "iterations", (double)r->warmup_iterations);
	cJSON_AddNumberToObject(c, "iterations", (double)r->iterations);
	cJSON_AddNumberToObject(c, "min_duration_s", r->min_duration_ns / 1e9);
	cJSON_AddNumberToObject(c, "seed", (double)r->seed);
	cJSON_AddNumberToObject(c, "vocab", (double)r->vocab);
	o = cJSON_AddObjectToObject(c, "threads");
	cJSON_AddNumberToObject(o, "intra_op", r->intra_op_threads);
	cJSON_AddNumberToObject(o, "inter_op", r->inter_op_threads);
	if (r->graph_opt_level >= 0)
		cJSON_AddNumberToObject(c, "graph_opt_level", r->graph_opt_level);
	return c;
}

static cJSON *environment_json(const struct gb_run_result *r)
{
	cJSON *e = cJSON_CreateObject(), *gpus, *rt;

	add_str_nonempty(e, "host", r->host);
	add_str_nonempty(e, "cpu", r->cpu);
	add_str_nonempty(e, "kernel", r->kernel);
	gpus = cJSON_AddArrayToObject(e, "gpus");
	for (size_t i = 0; i < r->ndomains; i++) {
		const struct gb_domain_info *d = &r->domains[i];
		cJSON *g;

		if (d->kind != GB_DOMAIN_GPU)
			continue;
		g = cJSON_CreateObject();
		cJSON_AddNumberToObject(g, "index", d->device_index);
		cJSON_AddStringToObject(g, "name", d->label);
		add_str_nonempty(g, "driver", r->gpu_driver);
		cJSON_AddItemToArray(gpus, g);
	}
	rt = cJSON_AddObjectToObject(e, "runtime");
	for (size_t i = 0; i < r->n_runtime_meta; i++)
		cJSON_AddStringToObject(rt, r->runtime_meta[i].key, r->runtime_meta[i].value);
	return e;
}

static cJSON *domain_json(const struct gb_run_result *r, size_t i, const struct gb_domain_energy *e)
{
	const struct gb_domain_info *d = &r->domains[i];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "joules", e->energy_j);
	cJSON_AddStringToObject(o, "method", gb_method_name(e->method));
	cJSON_AddStringToObject(o, "kind", gb_domain_kind_name(d->kind));
	if (d->parent >= 0 && (size_t)d->parent < r->ndomains)
		cJSON_AddStringToObject(o, "inside", r->domains[d->parent].name);
	if (e->net_valid)
		cJSON_AddNumberToObject(o, "net_joules", e->net_energy_j);
	if (e->power_valid) {
		cJSON_AddNumberToObject(o, "power_mean_w", e->power_mean_w);
		cJSON_AddNumberToObject(o, "power_peak_w", e->power_peak_w);
	}
	if (e->util_gpu_valid) {
		cJSON_AddNumberToObject(o, "util_gpu_mean_pct", e->util_gpu_mean);
		cJSON_AddNumberToObject(o, "util_gpu_sd_pct", e->util_gpu_sd);
	}
	if (e->mem_valid) {
		cJSON_AddNumberToObject(o, "mem_used_pct", e->mem_used_pct_mean);
		cJSON_AddNumberToObject(o, "mem_used_bytes_max", (double)e->mem_used_bytes_max);
	}
	if (e->temp_valid)
		cJSON_AddNumberToObject(o, "temp_max_c", e->temp_max_c);
	cJSON_AddNumberToObject(o, "samples", (double)e->nsamples);
	return o;
}

static cJSON *phase_json(const struct gb_run_result *r, enum gb_phase_id id)
{
	const struct gb_phase *p = &r->phases[id];
	cJSON *o = cJSON_CreateObject(), *cpu, *en, *un;

	cJSON_AddStringToObject(o, "name", gb_phase_name(id));
	cJSON_AddNumberToObject(o, "t_start_ns", (double)p->t_start_ns);
	cJSON_AddNumberToObject(o, "t_end_ns", (double)p->t_end_ns);
	cJSON_AddNumberToObject(o, "duration_s", gb_phase_seconds(p));
	cJSON_AddNumberToObject(o, "iterations", (double)p->iterations);
	cJSON_AddNumberToObject(o, "items", (double)p->items);
	cpu = cJSON_AddObjectToObject(o, "cpu_time_s");
	cJSON_AddNumberToObject(cpu, "user", p->cpu_user_s);
	cJSON_AddNumberToObject(cpu, "system", p->cpu_system_s);
	en = cJSON_AddObjectToObject(o, "energy");
	un = cJSON_AddObjectToObject(o, "unavailable");
	for (size_t i = 0; p->energy && i < r->ndomains; i++) {
		char key[96];

		if (p->energy[i].energy_valid) {
			cJSON_AddItemToObject(en, r->domains[i].name, domain_json(r, i, &p->energy[i]));
		} else {
			snprintf(key, sizeof key, "%s.energy", r->domains[i].name);
			cJSON_AddStringToObject(un, key, p->energy[i].invalid_reason[0] ? p->energy[i].invalid_reason
									   : "no valid reading in this window");
		}
	}
	if (!p->energy)
		cJSON_AddStringToObject(un, "energy", r->metered ? "phase did not complete" : "meter disabled (--no-meter)");
	return o;
}

static void add_methods(cJSON *o, const char *key, unsigned methods)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	for (int m = GB_METHOD_COUNTER; m <= GB_METHOD_ESTIMATED; m++)
		if (methods & (1u << m))
			cJSON_AddItemToArray(a, cJSON_CreateString(gb_method_name((enum gb_energy_method)m)));
}

/* The study's columns, from the measured phase; the first GPU gives the
 * utilization and memory figures, all GPUs add into the energy. */
static void summary_json(cJSON *root, const struct gb_run_result *r, cJSON *unav)
{
	const struct gb_phase *p = &r->phases[GB_PHASE_MEASURED];
	const struct gb_energy_totals *t = &p->totals;
	cJSON *s = cJSON_AddObjectToObject(root, "summary"), *per;
	const struct gb_domain_energy *g = NULL;
	double items = (double)p->items;

	cJSON_AddNumberToObject(s, "inference_time_s", gb_phase_seconds(p));
	per = cJSON_AddObjectToObject(root, "energy_per_item_mj");
	if (!p->energy)
		return;
	for (size_t i = 0; i < r->ndomains; i++) {
		if (!p->energy[i].energy_valid || r->domains[i].parent >= 0 || items <= 0)
			continue;
		cJSON_AddNumberToObject(per, r->domains[i].name, p->energy[i].energy_j * 1e3 / items);
		if (r->domains[i].kind == GB_DOMAIN_GPU && !g)
			g = &p->energy[i];
	}
	if (g && g->util_gpu_valid) {
		cJSON_AddNumberToObject(s, "gpu_util_mean_pct", g->util_gpu_mean);
		cJSON_AddNumberToObject(s, "gpu_util_sd_pct", g->util_gpu_sd);
	} else {
		cJSON_AddStringToObject(unav, "summary.gpu_util", g ? "GPU utilization not readable" : "no GPU measured");
	}
	if (g && g->mem_valid)
		cJSON_AddNumberToObject(s, "gpu_mem_pct", g->mem_used_pct_mean);
	else
		cJSON_AddStringToObject(unav, "summary.gpu_mem", g ? "GPU memory not readable" : "no GPU measured");
	if (g && g->power_valid)
		cJSON_AddNumberToObject(s, "gpu_power_mean_w", g->power_mean_w);
	if (t->gpu_valid)
		cJSON_AddNumberToObject(s, "gpu_energy_j", t->gpu_j);
	else
		cJSON_AddStringToObject(unav, "summary.gpu_energy", "no GPU energy measured");
	if (t->cpu_valid) {
		cJSON_AddNumberToObject(s, "cpu_energy_j", t->cpu_j);
		cJSON_AddStringToObject(s, "cpu_energy_method", gb_method_name(t->cpu_method));
	} else {
		cJSON_AddStringToObject(unav, "summary.cpu_energy", "no CPU energy source");
	}
	if (t->measured_valid || t->estimated_valid) {
		cJSON_AddNumberToObject(s, "total_energy_j", t->measured_j + t->estimated_j);
		add_methods(s, "total_energy_methods", t->methods);
		if (t->measured_valid)
			cJSON_AddNumberToObject(s, "measured_energy_j", t->measured_j);
		if (t->estimated_valid)
			cJSON_AddNumberToObject(s, "estimated_energy_j", t->estimated_j);
	}
}

static void latency_json(cJSON *root, const struct gb_run_result *r)
{
	const struct gb_latency *l = &r->latency;
	cJSON *o;

	if (!r->latency_valid)
		return;
	o = cJSON_AddObjectToObject(root, "latency_ns");
	cJSON_AddNumberToObject(o, "n", (double)l->n);
	cJSON_AddNumberToObject(o, "mean", l->mean_ns);
	cJSON_AddNumberToObject(o, "sd", l->sd_ns);
	cJSON_AddNumberToObject(o, "p50", l->p50_ns);
	cJSON_AddNumberToObject(o, "p90", l->p90_ns);
	cJSON_AddNumberToObject(o, "p99", l->p99_ns);
	cJSON_AddNumberToObject(o, "min", l->min_ns);
	cJSON_AddNumberToObject(o, "max", l->max_ns);
	cJSON_AddNumberToObject(root, "throughput_items_per_s", r->throughput_items_per_s);
}

/* "accuracy": fractions, the counts behind them, and what was scored. */
static void accuracy_json(cJSON *root, const struct gb_run_result *r, cJSON *unav)
{
	const struct gb_run_accuracy *a = &r->accuracy;
	cJSON *o, *why;

	if (!a->valid)
		return;
	o = cJSON_AddObjectToObject(root, "accuracy");
	if (a->n) {
		cJSON_AddNumberToObject(o, "top1", (double)a->top1 / (double)a->n);
		if (!strcmp(a->kind, "images"))
			cJSON_AddNumberToObject(o, "top5", (double)a->top5 / (double)a->n);
		else
			cJSON_AddStringToObject(unav, "accuracy.top5", "sentiment: accuracy is top1");
	} else {
		cJSON_AddStringToObject(unav, "accuracy.top1", "no item could be scored");
	}
	cJSON_AddNumberToObject(o, "n", (double)a->n);
	cJSON_AddNumberToObject(o, "correct_top1", (double)a->top1);
	if (!strcmp(a->kind, "images"))
		cJSON_AddNumberToObject(o, "correct_top5", (double)a->top5);
	cJSON_AddStringToObject(o, "data", a->data);
	cJSON_AddStringToObject(o, "kind", a->kind);
	if (a->limit)
		cJSON_AddNumberToObject(o, "limit", (double)a->limit);
	cJSON_AddNumberToObject(o, "classes", (double)a->classes);
	cJSON_AddNumberToObject(o, "skipped", (double)a->skipped);
	why = cJSON_AddArrayToObject(o, "skipped_reasons");
	for (size_t i = 0; i < a->nskipped_reasons; i++)
		cJSON_AddItemToArray(why, cJSON_CreateString(a->skipped_reasons[i]));
}

cJSON *gb_run_record(const struct gb_run_result *r)
{
	cJSON *root = cJSON_CreateObject(), *phases, *unav;

	if (!root)
		return NULL;
	cJSON_AddNumberToObject(root, "schema", 1);
	cJSON_AddStringToObject(root, "status", r->ok ? "ok" : "failed");
	if (!r->ok)
		cJSON_AddStringToObject(root, "error", r->error[0] ? r->error : "unknown error");
	cJSON_AddStringToObject(root, "greenbench_version", gb_version_string());
	cJSON_AddStringToObject(root, "started_at", r->started_at);
	cJSON_AddItemToObject(root, "config", config_json(r));
	cJSON_AddItemToObject(root, "environment", environment_json(r));
	phases = cJSON_AddArrayToObject(root, "phases");
	for (int p = 0; p < GB_PHASE_COUNT; p++)
		if (r->phases[p].done)
			cJSON_AddItemToArray(phases, phase_json(r, (enum gb_phase_id)p));
	unav = cJSON_CreateObject();
	latency_json(root, r);
	if (r->ok)
		summary_json(root, r, unav);
	accuracy_json(root, r, unav);
	if (r->idle_ns) {
		cJSON *ib = cJSON_AddObjectToObject(root, "idle_baseline"), *pw;

		cJSON_AddNumberToObject(ib, "duration_s", r->idle_ns / 1e9);
		pw = cJSON_AddObjectToObject(ib, "power_w");
		for (size_t i = 0; i < r->ndomains; i++)
			if (!isnan(r->idle_w[i]))
				cJSON_AddNumberToObject(pw, r->domains[i].name, r->idle_w[i]);
	}
	for (size_t i = 0; i < r->nunavailable; i++)
		cJSON_AddStringToObject(unav, r->unavailable[i].key, r->unavailable[i].value);
	cJSON_AddItemToObject(root, "unavailable", unav);
	return root;
}
