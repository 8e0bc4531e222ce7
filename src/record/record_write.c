/*
 * The record writers (record.h): `run --json` from a run result and
 * `measure --json` from a meter window, sharing the per-domain emitters.
 * Values that could not be read are left out and named in "unavailable"
 * with the reason; no figure is ever written as a stand-in 0.
 */
#include "greenbench/record.h"
#include "greenbench/error.h"
#include "greenbench/result.h"
#include "greenbench/version.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

	add_str_nonempty(e, GB_RK_HOST, r->host);
	add_str_nonempty(e, GB_RK_CPU, r->cpu);
	add_str_nonempty(e, GB_RK_KERNEL, r->kernel);
	gpus = cJSON_AddArrayToObject(e, GB_RK_GPUS);
	for (size_t i = 0; i < r->ndomains; i++) {
		const struct gb_domain_info *d = &r->domains[i];
		cJSON *g;

		if (d->kind != GB_DOMAIN_GPU)
			continue;
		g = cJSON_CreateObject();
		cJSON_AddNumberToObject(g, "index", d->device_index);
		cJSON_AddStringToObject(g, "name", d->label);
		add_str_nonempty(g, "driver", r->gpu_driver);
		add_str_nonempty(g, GB_RK_GPU_UUID, d->device_uuid);
		cJSON_AddItemToArray(gpus, g);
	}
	add_str_nonempty(e, GB_RK_GPUS_VISIBLE, r->gpus_visible);
	add_str_nonempty(e, GB_RK_GPUS_FROM, r->gpus_from);
	cJSON_AddStringToObject(e, GB_RK_CPU_ENERGY_SCOPE, r->cpu_per_process ? "process" : "node");
	cJSON_AddStringToObject(e, GB_RK_CPU_OWN_TREE, r->interference.campaign_tree ? "campaign" : "run");
	if (r->job_id[0] || r->node[0]) {
		cJSON *c = cJSON_AddObjectToObject(e, GB_RK_CLUSTER);

		add_str_nonempty(c, GB_RK_JOB_ID, r->job_id);
		add_str_nonempty(c, GB_RK_ARRAY_JOB_ID, r->array_job_id);
		add_str_nonempty(c, GB_RK_ARRAY_TASK_ID, r->array_task_id);
		add_str_nonempty(c, GB_RK_NODE, r->node);
	}
	rt = cJSON_AddObjectToObject(e, GB_RK_RUNTIME);
	for (size_t i = 0; i < r->n_runtime_meta; i++)
		cJSON_AddStringToObject(rt, r->runtime_meta[i].key, r->runtime_meta[i].value);
	return e;
}

/* The name of domain i's parent in dom[0..n-1], or NULL. */
static const char *parent_name(const struct gb_domain_info *dom, size_t n, size_t i)
{
	int p = dom[i].parent;

	return p >= 0 && (size_t)p < n ? dom[p].name : NULL;
}

/* A domain's energy: the same keys in run and measure records. parent is
 * the name of the domain it is not added to totals beside, or NULL. */
static void energy_entry(cJSON *o, const struct gb_domain_info *d, const char *parent,
			 const struct gb_domain_energy *e)
{
	cJSON_AddNumberToObject(o, GB_RK_JOULES, e->energy_j);
	cJSON_AddStringToObject(o, GB_RK_METHOD, gb_method_name(e->method));
	cJSON_AddStringToObject(o, GB_RK_KIND, gb_domain_kind_name(d->kind));
	if (parent) {
		const char *rel = gb_domain_relation(d);

		/* Schema 1 said "inside" for every parent; a domain that covers
		 * its parent (psys) says "overlaps" as well. */
		cJSON_AddStringToObject(o, GB_RK_INSIDE, parent);
		if (rel && strcmp(rel, GB_RK_INSIDE))
			cJSON_AddStringToObject(o, rel, parent);
	}
	if (e->net_valid)
		cJSON_AddNumberToObject(o, GB_RK_NET_JOULES, e->net_energy_j);
	if (e->power_valid) {
		cJSON_AddNumberToObject(o, GB_RK_POWER_MEAN, e->power_mean_w);
		cJSON_AddNumberToObject(o, GB_RK_POWER_PEAK, e->power_peak_w);
	}
}

static int has_telemetry(const struct gb_domain_energy *e)
{
	return e->util_gpu_valid || e->util_mem_valid || e->mem_valid || e->temp_valid || e->throttle_valid;
}

/* A domain's telemetry: the same keys in run and measure records. */
static void telemetry_entry(cJSON *o, const struct gb_domain_energy *e)
{
	if (e->util_gpu_valid) {
		cJSON_AddNumberToObject(o, GB_RK_UTIL_GPU_MEAN, e->util_gpu_mean);
		cJSON_AddNumberToObject(o, GB_RK_UTIL_GPU_SD, e->util_gpu_sd);
	}
	if (e->util_mem_valid)
		cJSON_AddNumberToObject(o, GB_RK_UTIL_MEM_MEAN, e->util_mem_mean);
	if (e->mem_valid) {
		cJSON_AddNumberToObject(o, GB_RK_MEM_USED, e->mem_used_pct_mean);
		cJSON_AddNumberToObject(o, GB_RK_MEM_USED_MAX, (double)e->mem_used_bytes_max);
	}
	if (e->temp_valid)
		cJSON_AddNumberToObject(o, GB_RK_TEMP_MAX, e->temp_max_c);
	if (e->throttle_valid)
		cJSON_AddNumberToObject(o, GB_RK_THROTTLE, (double)e->throttle_reasons_or);
	cJSON_AddNumberToObject(o, GB_RK_SAMPLES, (double)e->nsamples);
}

static const char *invalid_reason(const struct gb_domain_energy *e)
{
	return e->invalid_reason[0] ? e->invalid_reason : "no valid reading in this window";
}

/* A run record keeps a domain's telemetry in its energy entry (schema 1). */
static cJSON *domain_json(const struct gb_run_result *r, size_t i, const struct gb_domain_energy *e)
{
	const struct gb_domain_info *d = &r->domains[i];
	cJSON *o = cJSON_CreateObject();

	energy_entry(o, d, parent_name(r->domains, r->ndomains, i), e);
	telemetry_entry(o, e);
	return o;
}

static cJSON *phase_json(const struct gb_run_result *r, enum gb_phase_id id)
{
	const struct gb_phase *p = &r->phases[id];
	cJSON *o = cJSON_CreateObject(), *cpu, *en, *un;

	cJSON_AddStringToObject(o, GB_RK_NAME, gb_phase_name(id));
	cJSON_AddNumberToObject(o, "t_start_ns", (double)p->t_start_ns);
	cJSON_AddNumberToObject(o, "t_end_ns", (double)p->t_end_ns);
	cJSON_AddNumberToObject(o, GB_RK_DURATION, gb_phase_seconds(p));
	cJSON_AddNumberToObject(o, GB_RK_ITERATIONS, (double)p->iterations);
	cJSON_AddNumberToObject(o, GB_RK_ITEMS, (double)p->items);
	cpu = cJSON_AddObjectToObject(o, GB_RK_CPU_TIME);
	cJSON_AddNumberToObject(cpu, GB_RK_USER, p->cpu_user_s);
	cJSON_AddNumberToObject(cpu, GB_RK_SYSTEM, p->cpu_system_s);
	en = cJSON_AddObjectToObject(o, GB_RK_ENERGY);
	un = cJSON_AddObjectToObject(o, GB_RK_UNAVAILABLE);
	for (size_t i = 0; p->energy && i < r->ndomains; i++) {
		char key[96];

		if (p->energy[i].energy_valid) {
			cJSON_AddItemToObject(en, r->domains[i].name, domain_json(r, i, &p->energy[i]));
		} else {
			snprintf(key, sizeof key, "%s.energy", r->domains[i].name);
			cJSON_AddStringToObject(un, key, invalid_reason(&p->energy[i]));
		}
	}
	if (!p->energy)
		cJSON_AddStringToObject(un, GB_RK_ENERGY, r->metered ? "phase did not complete" : "meter disabled (--no-meter)");
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
	cJSON *s = cJSON_AddObjectToObject(root, GB_RK_SUMMARY), *per;
	const struct gb_domain_energy *g = NULL;
	double items = (double)p->items;

	cJSON_AddNumberToObject(s, GB_RK_INFERENCE_TIME, gb_phase_seconds(p));
	per = cJSON_AddObjectToObject(root, GB_RK_ENERGY_PER_ITEM);
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
		cJSON_AddNumberToObject(s, GB_RK_GPU_UTIL_MEAN, g->util_gpu_mean);
		cJSON_AddNumberToObject(s, GB_RK_GPU_UTIL_SD, g->util_gpu_sd);
	} else {
		cJSON_AddStringToObject(unav, "summary.gpu_util", g ? "GPU utilization not readable" : "no GPU measured");
	}
	if (g && g->mem_valid)
		cJSON_AddNumberToObject(s, GB_RK_GPU_MEM, g->mem_used_pct_mean);
	else
		cJSON_AddStringToObject(unav, "summary.gpu_mem", g ? "GPU memory not readable" : "no GPU measured");
	if (g && g->power_valid)
		cJSON_AddNumberToObject(s, GB_RK_GPU_POWER_MEAN, g->power_mean_w);
	if (t->gpu_valid)
		cJSON_AddNumberToObject(s, GB_RK_GPU_ENERGY, t->gpu_j);
	else
		cJSON_AddStringToObject(unav, "summary.gpu_energy", "no GPU energy measured");
	if (t->cpu_valid) {
		cJSON_AddNumberToObject(s, GB_RK_CPU_ENERGY, t->cpu_j);
		cJSON_AddStringToObject(s, GB_RK_CPU_ENERGY_METHOD, gb_method_name(t->cpu_method));
	} else {
		cJSON_AddStringToObject(unav, "summary.cpu_energy", "no CPU energy source");
	}
	if (t->measured_valid || t->estimated_valid) {
		cJSON_AddNumberToObject(s, GB_RK_TOTAL_ENERGY, t->measured_j + t->estimated_j);
		add_methods(s, GB_RK_TOTAL_ENERGY_METHODS, t->methods);
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
	o = cJSON_AddObjectToObject(root, GB_RK_LATENCY);
	cJSON_AddNumberToObject(o, GB_RK_LAT_N, (double)l->n);
	cJSON_AddNumberToObject(o, GB_RK_LAT_MEAN, l->mean_ns);
	cJSON_AddNumberToObject(o, GB_RK_LAT_SD, l->sd_ns);
	cJSON_AddNumberToObject(o, GB_RK_LAT_P50, l->p50_ns);
	cJSON_AddNumberToObject(o, GB_RK_LAT_P90, l->p90_ns);
	cJSON_AddNumberToObject(o, GB_RK_LAT_P99, l->p99_ns);
	cJSON_AddNumberToObject(o, GB_RK_LAT_MIN, l->min_ns);
	cJSON_AddNumberToObject(o, GB_RK_LAT_MAX, l->max_ns);
	cJSON_AddNumberToObject(root, GB_RK_THROUGHPUT, r->throughput_items_per_s);
}

/* "accuracy": fractions, the counts behind them, and what was scored. */
static void accuracy_json(cJSON *root, const struct gb_run_result *r, cJSON *unav)
{
	const struct gb_run_accuracy *a = &r->accuracy;
	cJSON *o, *why;

	if (!a->valid)
		return;
	o = cJSON_AddObjectToObject(root, GB_RK_ACCURACY);
	if (a->n) {
		cJSON_AddNumberToObject(o, GB_RK_TOP1, (double)a->top1 / (double)a->n);
		if (!strcmp(a->kind, "images"))
			cJSON_AddNumberToObject(o, GB_RK_TOP5, (double)a->top5 / (double)a->n);
		else
			cJSON_AddStringToObject(unav, "accuracy.top5", "sentiment: accuracy is top1");
	} else {
		cJSON_AddStringToObject(unav, "accuracy.top1", "no item could be scored");
	}
	cJSON_AddNumberToObject(o, GB_RK_ACC_N, (double)a->n);
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

/* "idle_baseline": idle power per domain, NAN where unknown. */
static void idle_json(cJSON *root, uint64_t idle_ns, const struct gb_domain_info *dom, size_t n, const double *idle_w)
{
	cJSON *ib, *pw;

	if (!idle_ns)
		return;
	ib = cJSON_AddObjectToObject(root, "idle_baseline");
	cJSON_AddNumberToObject(ib, GB_RK_DURATION, idle_ns / 1e9);
	pw = cJSON_AddObjectToObject(ib, "power_w");
	for (size_t i = 0; i < n; i++)
		if (!isnan(idle_w[i]))
			cJSON_AddNumberToObject(pw, dom[i].name, idle_w[i]);
}

cJSON *gb_run_record(const struct gb_run_result *r)
{
	cJSON *root = cJSON_CreateObject(), *phases, *unav;

	if (!root)
		return NULL;
	cJSON_AddNumberToObject(root, GB_RK_SCHEMA, GB_RECORD_SCHEMA);
	cJSON_AddStringToObject(root, GB_RK_STATUS, r->ok ? "ok" : "failed");
	if (!r->ok)
		cJSON_AddStringToObject(root, GB_RK_ERROR, r->error[0] ? r->error : "unknown error");
	cJSON_AddStringToObject(root, GB_RK_VERSION, gb_version_string());
	cJSON_AddStringToObject(root, "started_at", r->started_at);
	cJSON_AddItemToObject(root, "config", config_json(r));
	cJSON_AddItemToObject(root, GB_RK_ENVIRONMENT, environment_json(r));
	phases = cJSON_AddArrayToObject(root, GB_RK_PHASES);
	for (int p = 0; p < GB_PHASE_COUNT; p++)
		if (r->phases[p].done)
			cJSON_AddItemToArray(phases, phase_json(r, (enum gb_phase_id)p));
	unav = cJSON_CreateObject();
	latency_json(root, r);
	if (r->ok)
		summary_json(root, r, unav);
	accuracy_json(root, r, unav);
	idle_json(root, r->idle_ns, r->domains, r->ndomains, r->idle_w);
	if (r->ok)
		gb_record_verdict_write(root, &r->verdict);
	for (size_t i = 0; i < r->nunavailable; i++)
		cJSON_AddStringToObject(unav, r->unavailable[i].key, r->unavailable[i].value);
	cJSON_AddItemToObject(root, GB_RK_UNAVAILABLE, unav);
	return root;
}

int gb_record_verdict_write(cJSON *rec, const struct gb_verdict *v)
{
	cJSON *o = cJSON_CreateObject(), *reasons, *checks;

	if (!o)
		return gb_error_set(-ENOMEM, "out of memory");
	cJSON_AddStringToObject(o, GB_RK_STATUS, gb_verdict_level_name(v->level));
	reasons = cJSON_AddArrayToObject(o, GB_RK_REASONS);
	checks = cJSON_AddObjectToObject(o, GB_RK_CHECKS);
	for (int c = 0; c < GB_VR_COUNT; c++) {
		const struct gb_verdict_info *in = &gb_verdict_reasons[c];
		enum gb_verdict_level l = gb_verdict_level_of((enum gb_verdict_reason)c, v->value[c]);
		cJSON *r;

		if (isnan(v->value[c]))
			continue;
		cJSON_AddNumberToObject(checks, in->name, v->value[c]);
		if (l == GB_VERDICT_VALID || !(r = cJSON_CreateObject()))
			continue;
		cJSON_AddStringToObject(r, GB_RK_CODE, in->name);
		cJSON_AddStringToObject(r, GB_RK_LEVEL, gb_verdict_level_name(l));
		cJSON_AddNumberToObject(r, GB_RK_VALUE, v->value[c]);
		if (in->dir != GB_VD_BITS)
			cJSON_AddNumberToObject(r, GB_RK_LIMIT, l == GB_VERDICT_INVALID ? in->invalid : in->suspect);
		cJSON_AddStringToObject(r, GB_RK_UNIT, in->unit);
		cJSON_AddItemToArray(reasons, r);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(rec, GB_RK_VERDICT);
	cJSON_AddItemToObject(rec, GB_RK_VERDICT, o);
	return 0;
}

int gb_run_record_add_series(cJSON *rec, cJSON *series)
{
	if (!series)
		return gb_error_set(-EINVAL, "no time series to add to the record");
	cJSON_AddItemToObject(rec, GB_RK_SERIES, series);
	return 0;
}

/* ---- measure --json ------------------------------------------------------ */

static void measure_domains(cJSON *root, const struct gb_domain_info *dom, size_t n,
			    const struct gb_domain_energy *e)
{
	cJSON *energy = cJSON_AddObjectToObject(root, GB_RK_ENERGY);
	cJSON *tele = cJSON_AddObjectToObject(root, GB_RK_TELEMETRY);
	cJSON *unav = cJSON_AddObjectToObject(root, GB_RK_UNAVAILABLE);

	for (size_t i = 0; i < n; i++) {
		const struct gb_domain_info *d = &dom[i];

		if (e[i].energy_valid)
			energy_entry(cJSON_AddObjectToObject(energy, d->name), d, parent_name(dom, n, i), &e[i]);
		else
			cJSON_AddStringToObject(unav, d->name, invalid_reason(&e[i]));
		if (has_telemetry(&e[i]))
			telemetry_entry(cJSON_AddObjectToObject(tele, d->name), &e[i]);
	}
}

static void measure_meter(cJSON *root, const struct gb_meter *m, const struct gb_domain_energy *e)
{
	struct gb_energy_totals tot;
	uint64_t cpu_ns, reads;
	cJSON *t = cJSON_AddObjectToObject(root, "totals"), *mo;

	gb_meter_totals(m, e, &tot);
	if (tot.measured_valid)
		cJSON_AddNumberToObject(t, "measured_joules", tot.measured_j);
	if (tot.estimated_valid)
		cJSON_AddNumberToObject(t, "estimated_joules", tot.estimated_j);
	cJSON_AddNumberToObject(root, "interval_s", gb_meter_interval_ns(m) / 1e9);
	mo = cJSON_AddObjectToObject(root, "meter");
	gb_meter_sampler_cost(m, &cpu_ns, &reads);
	cJSON_AddNumberToObject(mo, "sampler_cpu_s", cpu_ns / 1e9);
	cJSON_AddNumberToObject(mo, "sampler_reads", (double)reads);
}

cJSON *gb_measure_record(const struct gb_measure_run *run, const struct gb_meter *m,
			 const struct gb_domain_energy *e)
{
	size_t n = gb_meter_domain_count(m);
	struct gb_domain_info *dom = calloc(n + 1, sizeof *dom);
	double *idle_w = calloc(n + 1, sizeof *idle_w);
	cJSON *root = NULL, *arr, *cpu;

	if (!dom || !idle_w)
		goto out;
	/* The domains as one array, as a run result holds them, so both
	 * writers share the per-domain code. */
	for (size_t i = 0; i < n; i++) {
		dom[i] = *gb_meter_domain(m, i);
		if (gb_meter_idle_power(m, i, &idle_w[i]) < 0)
			idle_w[i] = NAN;
	}
	root = cJSON_CreateObject();
	if (!root)
		goto out;
	arr = cJSON_AddArrayToObject(root, "command");
	for (size_t i = 0; run->argv[i]; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(run->argv[i]));
	cJSON_AddNumberToObject(root, "exit_code", run->exit_code);
	if (run->signal)
		cJSON_AddNumberToObject(root, "signal", run->signal);
	cJSON_AddNumberToObject(root, GB_RK_DURATION, run->duration_s);
	cpu = cJSON_AddObjectToObject(root, GB_RK_CPU_TIME);
	cJSON_AddNumberToObject(cpu, GB_RK_USER, run->user_s);
	cJSON_AddNumberToObject(cpu, GB_RK_SYSTEM, run->system_s);
	measure_domains(root, dom, n, e);
	idle_json(root, run->idle_ns, dom, n, idle_w);
	measure_meter(root, m, e);
out:
	free(dom);
	free(idle_w);
	return root;
}

static cJSON *interval_json(const struct gb_record_interval *v)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, GB_RK_LAT_N, (double)v->n);
	cJSON_AddNumberToObject(o, "mean", v->mean);
	if (v->ci_valid) {
		cJSON_AddNumberToObject(o, "ci95_lo", v->lo);
		cJSON_AddNumberToObject(o, "ci95_hi", v->hi);
	}
	return o;
}

int gb_measure_record_add_repeat(cJSON *rec, const struct gb_meter *m, size_t n,
				 const struct gb_record_interval *duration_s,
				 const struct gb_record_interval *energy_j)
{
	cJSON *o = cJSON_CreateObject(), *en;

	if (!o)
		return gb_error_set(-ENOMEM, "out of memory");
	cJSON_AddNumberToObject(o, "runs", (double)n);
	cJSON_AddItemToObject(o, GB_RK_DURATION, interval_json(duration_s));
	en = cJSON_AddObjectToObject(o, GB_RK_ENERGY);
	for (size_t d = 0; d < gb_meter_domain_count(m); d++)
		if (energy_j[d].n)
			cJSON_AddItemToObject(en, gb_meter_domain(m, d)->name, interval_json(&energy_j[d]));
	cJSON_AddItemToObject(rec, "repeat", o);
	return 0;
}
