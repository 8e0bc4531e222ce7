/*
 * Machine-readable reports: CSV (Table 1, one row per configuration, one
 * mean/ci_lo/ci_hi triple per figure) and JSON (everything). Absent
 * figures are empty CSV cells and absent JSON keys, never 0.
 */
#include "report/rtable.h"
#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, int valid, double v)
{
	fputc(',', f);
	if (valid && !isnan(v))
		fprintf(f, "%.17g", v);
}

int gb_report_write_csv(const struct gb_report_format *self, const struct gb_report *r, FILE *f)
{
	fputs("campaign,model,batch,runtime,ep,label,runs_ok,runs_failed,runs_suspect,runs_invalid,verdict,verdict_reasons", f);
	for (int k = 0; k < GB_RF_COUNT; k++)
		fprintf(f, ",%s_mean,%s_ci_lo,%s_ci_hi", gb_rmetrics[k].key, gb_rmetrics[k].key, gb_rmetrics[k].key);
	fputs(",per_items,gpu_energy_method,cpu_energy_method,total_energy_methods,cv_energy_per_item,rank,pareto\n", f);
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		char why[128];

		fprintf(f, "%lld,", (long long)r->info.id);
		csv_str(f, c->model);
		fprintf(f, ",%u,", c->batch);
		csv_str(f, c->runtime);
		fputc(',', f);
		csv_str(f, c->ep);
		fputc(',', f);
		csv_str(f, c->label);
		gb_verdict_reasons_join(c->verdict_reasons, "+", why, sizeof why);
		fprintf(f, ",%zu,%zu,%zu,%zu,%s,", c->n_ok, c->n_failed, c->n_suspect, c->n_invalid,
			gb_verdict_level_name(c->verdict));
		csv_str(f, why);
		for (int k = 0; k < GB_RF_COUNT; k++) {
			csv_num(f, c->m[k].valid, c->m[k].mean);
			csv_num(f, c->m[k].ci_valid, c->m[k].lo);
			csv_num(f, c->m[k].ci_valid, c->m[k].hi);
		}
		fprintf(f, ",%u,", c->per_items);
		csv_str(f, c->gpu_method);
		fputc(',', f);
		csv_str(f, c->cpu_method);
		fputc(',', f);
		csv_str(f, c->total_methods);
		csv_num(f, 1, c->cv_epi);
		csv_num(f, c->rank > 0, c->rank);
		fprintf(f, ",%d\n", c->pareto);
	}
	return 0;
}

static void add_num(cJSON *o, const char *k, int valid, double v)
{
	if (valid && !isnan(v))
		cJSON_AddNumberToObject(o, k, v);
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, k, v);
}

static cJSON *config_json(const struct gb_report_config *c)
{
	cJSON *o = cJSON_CreateObject(), *ms = cJSON_AddObjectToObject(o, "metrics"), *runs, *v, *reasons;

	add_str(o, "model", c->model);
	cJSON_AddNumberToObject(o, "batch", c->batch);
	add_str(o, "runtime", c->runtime);
	add_str(o, "ep", c->ep);
	add_str(o, "label", c->label);
	cJSON_AddNumberToObject(o, "runs_ok", (double)c->n_ok);
	cJSON_AddNumberToObject(o, "runs_failed", (double)c->n_failed);
	add_str(o, "last_failure", c->n_failed ? c->fail_reason : NULL);
	v = cJSON_AddObjectToObject(o, "verdict");
	cJSON_AddStringToObject(v, "level", gb_verdict_level_name(c->verdict));
	cJSON_AddNumberToObject(v, "runs_suspect", (double)c->n_suspect);
	cJSON_AddNumberToObject(v, "runs_invalid", (double)c->n_invalid);
	reasons = cJSON_AddArrayToObject(v, "reasons");
	for (int k = 0; k < GB_VR_COUNT; k++)
		if (c->verdict_reasons & (1u << k))
			cJSON_AddItemToArray(reasons, cJSON_CreateString(gb_verdict_reasons[k].name));
	cJSON_AddNumberToObject(o, "per_items", c->per_items);
	add_str(o, "zoo", c->zoo);
	add_str(o, "converted_from", c->converted_from);
	for (int k = 0; k < GB_RF_COUNT; k++) {
		const struct gb_ci *ci = &c->m[k];
		if (!ci->valid)
			continue;
		cJSON *m = cJSON_AddObjectToObject(ms, gb_rmetrics[k].key);
		cJSON_AddNumberToObject(m, "n", (double)ci->n);
		cJSON_AddNumberToObject(m, "mean", ci->mean);
		add_num(m, "sd", ci->ci_valid, ci->sd);
		add_num(m, "ci95_lo", ci->ci_valid, ci->lo);
		add_num(m, "ci95_hi", ci->ci_valid, ci->hi);
		if (ci->clamped)
			cJSON_AddBoolToObject(m, "ci95_clamped", 1);
	}
	runs = cJSON_AddArrayToObject(o, "energy_per_item_mj_runs");
	for (size_t i = 0; i < c->n_ok; i++)
		if (!isnan(c->values[GB_RM_EPI][i]))
			cJSON_AddItemToArray(runs, cJSON_CreateNumber(c->values[GB_RM_EPI][i]));
	cJSON *meth = cJSON_AddObjectToObject(o, "energy_methods");
	add_str(meth, "gpu", c->gpu_method);
	add_str(meth, "cpu", c->cpu_method);
	add_str(meth, "total", c->total_methods);
	add_num(o, "cv_energy_per_item", 1, c->cv_epi);
	add_num(o, "rank", c->rank > 0, c->rank);
	cJSON_AddBoolToObject(o, "pareto", c->pareto);
	if (c->throttle)
		cJSON_AddNumberToObject(o, "throttle_reasons", (double)c->throttle);
	return o;
}

static cJSON *corr_json(const struct gb_report_corr *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "n", (double)c->n);
	add_num(o, "rho", c->valid, c->rho);
	add_num(o, "p", c->valid, c->p);
	if (c->by_construction)
		cJSON_AddBoolToObject(o, "by_construction", 1);
	return o;
}

static void change_json(cJSON *o, const char *k, int valid, int ci_valid, double pct, double lo, double hi, int excl)
{
	cJSON *c;

	if (!valid)
		return;
	c = cJSON_AddObjectToObject(o, k);
	cJSON_AddNumberToObject(c, "pct", pct);
	add_num(c, "ci95_lo_pct", ci_valid, lo);
	add_num(c, "ci95_hi_pct", ci_valid, hi);
	if (ci_valid)
		cJSON_AddBoolToObject(c, "excludes_zero", excl);
}

static void conversions_json(const struct gb_report *r, cJSON *arr)
{
	for (size_t i = 0; i < r->nconversions; i++) {
		const struct gb_report_conversion *cv = &r->conversions[i];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "model", r->cfgs[cv->a].model);
		cJSON_AddNumberToObject(o, "batch", r->cfgs[cv->a].batch);
		add_str(o, "framework", r->cfgs[cv->a].label);
		add_str(o, "converted", r->cfgs[cv->b].label);
		add_str(o, "converted_from", r->cfgs[cv->b].converted_from);
		change_json(o, "energy_per_item", cv->energy.valid, cv->energy.ci_valid, cv->energy.pct,
			    cv->energy.lo_pct, cv->energy.hi_pct, cv->energy.excludes_zero);
		change_json(o, "time_per_item", cv->time.valid, cv->time.ci_valid, cv->time.pct,
			    cv->time.lo_pct, cv->time.hi_pct, cv->time.excludes_zero);
		cJSON_AddItemToArray(arr, o);
	}
}

static void findings_json(const struct gb_report *r, cJSON *arr)
{
	static const char *const verdicts[] = { "holds", "fails", "untestable" };

	for (int k = 0; k < GB_CLAIM_COUNT; k++) {
		const struct gb_report_finding *f = &r->findings[k];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "claim", gb_claims[f->claim].id);
		add_str(o, "statement", gb_claims[f->claim].statement);
		add_str(o, "verdict", verdicts[f->verdict]);
		cJSON_AddNumberToObject(o, "n", (double)f->n);
		cJSON_AddNumberToObject(o, "n_agreeing", (double)f->n_for);
		add_num(o, "value", 1, f->value);
		add_num(o, "p", 1, f->p);
		add_str(o, "detail", f->detail);
		cJSON_AddItemToArray(arr, o);
	}
}

static void environment_json(const struct gb_report *r, cJSON *arr)
{
	for (size_t i = 0; i < r->nenvs; i++) {
		const struct gb_store_environment *e = &r->envs[i];
		cJSON *o = cJSON_CreateObject(), *g = cJSON_Parse(e->gpus_json), *rt = cJSON_Parse(e->runtime_json);
		add_str(o, "host", e->host);
		add_str(o, "cpu", e->cpu);
		add_str(o, "kernel", e->kernel);
		add_str(o, "runtime", e->runtime);
		add_str(o, "greenbench_version", e->version);
		if (g)
			cJSON_AddItemToObject(o, "gpus", g);
		if (rt)
			cJSON_AddItemToObject(o, "runtime_details", rt);
		cJSON_AddNumberToObject(o, "runs", (double)e->nruns);
		cJSON_AddItemToArray(arr, o);
	}
}

int gb_report_write_json(const struct gb_report_format *self, const struct gb_report *r, FILE *f)
{
	cJSON *root = cJSON_CreateObject(), *camp, *cfgs, *prs, *cor, *w;
	char *text;

	if (!root)
		return gb_error_set(-ENOMEM, "out of memory");
	camp = cJSON_AddObjectToObject(root, "campaign");
	cJSON_AddNumberToObject(camp, "id", (double)r->info.id);
	add_str(camp, "name", r->info.name);
	add_str(camp, "file", r->info.file);
	cJSON_AddNumberToObject(camp, "seed", (double)r->info.seed);
	add_str(camp, "created_at", r->info.created_at);
	add_str(camp, "finished_at", r->info.finished_at);
	cJSON_AddNumberToObject(camp, "runs_planned", (double)r->info.nruns_planned);
	cJSON_AddNumberToObject(camp, "runs_recorded", (double)r->info.nruns_done);
	cJSON_AddNumberToObject(camp, "failed_attempts_retried", (double)r->n_attempts);
	cfgs = cJSON_AddArrayToObject(root, "configurations");
	for (size_t i = 0; i < r->ncfgs; i++)
		cJSON_AddItemToArray(cfgs, config_json(&r->cfgs[i]));
	prs = cJSON_AddArrayToObject(root, "pairwise");
	for (size_t i = 0; i < r->npairs; i++) {
		const struct gb_report_pair *p = &r->pairs[i];
		cJSON *o = cJSON_CreateObject();
		add_str(o, "model", r->cfgs[p->a].model);
		cJSON_AddNumberToObject(o, "batch", r->cfgs[p->a].batch);
		add_str(o, "a", r->cfgs[p->a].label);
		add_str(o, "b", r->cfgs[p->b].label);
		cJSON_AddNumberToObject(o, "u", p->u);
		cJSON_AddNumberToObject(o, "p", p->p);
		add_str(o, "method", p->exact ? "exact" : "asymptotic");
		cJSON_AddNumberToObject(o, "cliffs_delta", p->delta);
		cJSON_AddItemToArray(prs, o);
	}
	cor = cJSON_AddObjectToObject(root, "spearman");
	cJSON_AddItemToObject(cor, "time_per_item_vs_energy_per_item", corr_json(&r->time_energy));
	cJSON_AddItemToObject(cor, "gpu_util_vs_gpu_power", corr_json(&r->util_power));
	conversions_json(r, cJSON_AddArrayToObject(root, "conversions"));
	findings_json(r, cJSON_AddArrayToObject(root, "findings"));
	environment_json(r, cJSON_AddArrayToObject(root, "environment"));
	w = cJSON_AddArrayToObject(root, "warnings");
	for (size_t i = 0; i < r->nwarnings; i++)
		cJSON_AddItemToArray(w, cJSON_CreateString(r->warnings[i]));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return gb_error_set(-ENOMEM, "out of memory");
	fputs(text, f);
	fputc('\n', f);
	free(text);
	return 0;
}
