/*
 * Building a campaign report from the store: per-configuration figures
 * with 95% intervals, ranks, Pareto fronts, pairwise tests, correlations
 * and warnings. Formatting lives in report_*.c.
 */
#include "greenbench/report.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/series.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>

#define ROW_REPORTED(id, field, key, title, div, max) \
	[id] = { key, title, offsetof(struct gb_run_metrics, field), div, max },
#define ROW_UNREPORTED(...)
#define ROW(field, since, from, rkey, rep, id, key, title, div, max) ROW_##rep(id, field, key, title, div, max)
const struct gb_rmetric_info gb_rmetrics[GB_RM_COUNT] = { GB_RUN_METRICS(ROW) };
#undef ROW
#undef ROW_REPORTED
#undef ROW_UNREPORTED

double gb_rmetric_value(const struct gb_run_metrics *m, enum gb_rmetric k)
{
	if ((unsigned)k >= GB_RM_COUNT)
		return NAN;
	return *(const double *)((const char *)m + gb_rmetrics[k].off) / gb_rmetrics[k].div;
}

__attribute__((format(printf, 2, 3)))
static int warn(struct gb_report *r, const char *fmt, ...)
{
	char buf[512], **nw;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	nw = realloc(r->warnings, (r->nwarnings + 1) * sizeof *nw);
	if (!nw)
		return gb_error_set(-ENOMEM, "out of memory");
	r->warnings = nw;
	if (!(nw[r->nwarnings] = strdup(buf)))
		return gb_error_set(-ENOMEM, "out of memory");
	r->nwarnings++;
	return 0;
}

static int cmp_cfg(const void *a, const void *b)
{
	const struct gb_report_config *x = a, *y = b;
	int c = strcmp(x->model, y->model);

	if (c)
		return c;
	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	return strcmp(x->label, y->label);
}

static int same_group(const struct gb_report_config *a, const struct gb_report_config *b)
{
	return !strcmp(a->model, b->model) && a->batch == b->batch;
}

static struct gb_report_config *cfg_for(struct gb_report *r, const struct gb_store_run *run)
{
	struct gb_report_config *c;

	for (size_t i = 0; i < r->ncfgs; i++)
		if (r->cfgs[i].config == run->config)
			return &r->cfgs[i];
	c = &r->cfgs[r->ncfgs++];
	c->config = run->config;
	snprintf(c->model, sizeof c->model, "%s", run->model);
	snprintf(c->runtime, sizeof c->runtime, "%s", run->runtime);
	snprintf(c->ep, sizeof c->ep, "%s", run->ep);
	snprintf(c->label, sizeof c->label, "%s", run->label);
	c->batch = run->batch;
	return c;
}

static int add_values(struct gb_report_config *c, const struct gb_store_run *run, size_t cap)
{
	for (int k = 0; k < GB_RM_COUNT; k++) {
		if (!c->values[k] && !(c->values[k] = malloc(cap * sizeof(double))))
			return gb_error_set(-ENOMEM, "out of memory");
		c->values[k][c->n_ok] = gb_rmetric_value(&run->m, k);
	}
	if (!c->gpu_method[0])
		snprintf(c->gpu_method, sizeof c->gpu_method, "%s", run->m.gpu_energy_method);
	if (!c->cpu_method[0])
		snprintf(c->cpu_method, sizeof c->cpu_method, "%s", run->m.cpu_energy_method);
	if (!c->total_methods[0])
		snprintf(c->total_methods, sizeof c->total_methods, "%s", run->m.total_energy_methods);
	c->n_ok++;
	return 0;
}

static void rank_and_pareto(struct gb_report *r)
{
	for (size_t i = 0; i < r->ncfgs; i++) {
		struct gb_report_config *a = &r->cfgs[i];
		int rank = 1, dominated = 0;

		if (!a->m[GB_RM_EPI].valid)
			continue;
		for (size_t j = 0; j < r->ncfgs; j++) {
			const struct gb_report_config *b = &r->cfgs[j];
			if (j == i || !b->m[GB_RM_EPI].valid)
				continue;
			if (same_group(a, b) && b->m[GB_RM_EPI].mean < a->m[GB_RM_EPI].mean)
				rank++;
			if (strcmp(a->model, b->model) || !a->m[GB_RM_LATENCY_MS].valid || !b->m[GB_RM_LATENCY_MS].valid)
				continue;
			double ea = a->m[GB_RM_EPI].mean, eb = b->m[GB_RM_EPI].mean;
			double la = a->m[GB_RM_LATENCY_MS].mean, lb = b->m[GB_RM_LATENCY_MS].mean;
			if (eb <= ea && lb <= la && (eb < ea || lb < la))
				dominated = 1;
		}
		a->rank = rank;
		a->pareto = a->m[GB_RM_LATENCY_MS].valid && !dominated;
	}
}

static int pairs(struct gb_report *r)
{
	size_t cap = r->ncfgs * r->ncfgs / 2 + 1;

	r->pairs = calloc(cap, sizeof *r->pairs);
	if (!r->pairs)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < r->ncfgs; i++)
		for (size_t j = i + 1; j < r->ncfgs; j++) {
			struct gb_report_config *a = &r->cfgs[i], *b = &r->cfgs[j];
			struct gb_report_pair *pr = &r->pairs[r->npairs];
			if (!same_group(a, b) || a->m[GB_RM_EPI].n < 2 || b->m[GB_RM_EPI].n < 2 ||
			    a->m[GB_RM_EPI].n != a->n_ok || b->m[GB_RM_EPI].n != b->n_ok)
				continue;
			if (gb_stats_mann_whitney(a->values[GB_RM_EPI], a->n_ok, b->values[GB_RM_EPI], b->n_ok,
						  &pr->u, &pr->p, &pr->exact))
				return -EDOM;
			pr->delta = gb_stats_cliffs_delta(a->values[GB_RM_EPI], a->n_ok, b->values[GB_RM_EPI], b->n_ok);
			pr->a = i;
			pr->b = j;
			r->npairs++;
		}
	return 0;
}

/* Invalid runs are counted, not averaged. */
static int run_invalid(const struct gb_store_run *run)
{
	return run->m.verdict == GB_VERDICT_INVALID;
}

/* Cut an interval to the quantity's range [0, max], saying so. */
static void clamp(struct gb_ci *c, double max)
{
	if (!c->ci_valid)
		return;
	if (c->lo < 0) {
		c->lo = 0;
		c->clamped = 1;
	}
	if (c->hi > max) {
		c->hi = max;
		c->clamped = 1;
	}
}

/* Every ok run's energy is an estimate (a power model times time): time
 * per item then predicts energy per item by construction. */
static int all_estimated(const struct gb_store_run *runs, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!runs[i].ok || run_invalid(&runs[i]) || isnan(runs[i].m.energy_per_item_mj))
			continue;
		if (strcmp(runs[i].m.total_energy_methods, gb_method_name(GB_METHOD_ESTIMATED)))
			return 0;
		k++;
	}
	return k > 0;
}

static void correlate(const struct gb_store_run *runs, size_t n, enum gb_rmetric kx,
		      enum gb_rmetric ky, struct gb_report_corr *out)
{
	double *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
	size_t k = 0;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; x && y && i < n; i++) {
		double a = gb_rmetric_value(&runs[i].m, kx), b = gb_rmetric_value(&runs[i].m, ky);
		if (runs[i].ok && !run_invalid(&runs[i]) && !isnan(a) && !isnan(b)) {
			x[k] = a;
			y[k++] = b;
		}
	}
	out->n = k;
	if (x && y && !gb_stats_spearman(x, y, k, &out->rho, &out->p))
		out->valid = 1;
	gb_error_clear();
	free(x);
	free(y);
}

int gb_report_build(struct gb_store *st, int64_t campaign, struct gb_report **out)
{
	struct gb_report *r = calloc(1, sizeof *r);
	struct gb_store_run *runs = NULL;
	size_t nruns = 0, two_reps = 0;
	int ret;

	*out = NULL;
	gsl_set_error_handler_off();
	if (!r)
		return gb_error_set(-ENOMEM, "out of memory");
	if ((ret = gb_store_campaign_info(st, campaign, &r->info)) ||
	    (ret = gb_store_runs_load(st, campaign, &runs, &nruns)))
		goto out;
	r->cfgs = calloc(nruns + 1, sizeof *r->cfgs);
	if (!r->cfgs) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nruns; i++) {
		struct gb_report_config *c = cfg_for(r, &runs[i]);
		if (!runs[i].ok) {
			c->n_failed++;
			snprintf(c->fail_reason, sizeof c->fail_reason, "%s", runs[i].reason);
			continue;
		}
		if (!isnan(runs[i].m.verdict_reasons))
			c->verdict_reasons |= (uint32_t)runs[i].m.verdict_reasons;
		if (!isnan(runs[i].m.throttle_reasons))
			c->throttle |= (uint64_t)runs[i].m.throttle_reasons;
		c->n_suspect += run_invalid(&runs[i]) ? 0 : runs[i].m.verdict == GB_VERDICT_SUSPECT;
		if (run_invalid(&runs[i]))
			c->n_invalid++;
		else if ((ret = add_values(c, &runs[i], nruns)))
			goto out;
	}
	qsort(r->cfgs, r->ncfgs, sizeof *r->cfgs, cmp_cfg);
	for (size_t i = 0; i < r->ncfgs; i++) {
		struct gb_report_config *c = &r->cfgs[i];
		char why[128];
		for (int k = 0; k < GB_RM_COUNT; k++) {
			gb_stats_ci95(c->values[k], c->n_ok, &c->m[k]);
			clamp(&c->m[k], gb_rmetrics[k].max);
		}
		r->has_accuracy |= c->m[GB_RM_TOP1].valid || c->m[GB_RM_TOP5].valid;
		const struct gb_ci *e = &c->m[GB_RM_EPI];
		c->cv_epi = e->ci_valid && e->mean != 0 ? e->sd / fabs(e->mean) : NAN;
		two_reps += e->n == 2;
		if (!isnan(c->cv_epi) && gb_verdict_level_of(GB_VR_CV, c->cv_epi * 100) != GB_VERDICT_VALID) {
			c->verdict_reasons |= 1u << GB_VR_CV;
			ret = warn(r, "%s b%u %s: energy per item varies a lot across repetitions (CV %.0f%% > %.0f%%); add reps or check for interference",
				   c->model, c->batch, c->label, c->cv_epi * 100, gb_verdict_reasons[GB_VR_CV].suspect);
		}
		c->verdict = !c->n_ok && c->n_invalid ? GB_VERDICT_INVALID
			     : c->n_suspect || c->n_invalid || (c->verdict_reasons & (1u << GB_VR_CV)) ? GB_VERDICT_SUSPECT
			     : GB_VERDICT_VALID;
		gb_verdict_reasons_join(c->verdict_reasons, ", ", why, sizeof why);
		if (!ret && c->n_invalid)
			ret = warn(r, "%s b%u %s: %zu of %zu ok runs are invalid (%s) and left out of the statistics",
				   c->model, c->batch, c->label, c->n_invalid, c->n_invalid + c->n_ok, why);
		else if (!ret && c->n_suspect)
			ret = warn(r, "%s b%u %s: %zu of %zu runs are suspect (%s)", c->model, c->batch, c->label,
				   c->n_suspect, c->n_ok, why);
		if (!ret && (c->throttle & GB_VERDICT_THROTTLE_MASK))
			ret = warn(r, "%s b%u %s: the GPU throttled during its runs (reasons 0x%llx); its figures are not at full clocks",
				   c->model, c->batch, c->label, (unsigned long long)c->throttle);
		if (!ret && c->n_failed)
			ret = warn(r, "%s b%u %s: %zu of %zu runs failed: %s", c->model, c->batch, c->label,
				   c->n_failed, c->n_failed + c->n_ok, c->fail_reason);
		if (ret)
			goto out;
	}
	if (two_reps &&
	    (ret = warn(r, "%zu configuration%s only 2 runs: a 95%% Student-t interval from 2 values is 12.7 standard errors wide; use reps: 3 or more, or reps: auto",
			two_reps, two_reps == 1 ? " has" : "s have")))
		goto out;
	if ((ret = gb_store_attempts_count(st, campaign, &r->n_attempts)) ||
	    (r->n_attempts && (ret = warn(r, "%zu failed run%s retried (--retry-failed); the failures are kept as history",
					  r->n_attempts, r->n_attempts == 1 ? " was" : "s were"))))
		goto out;
	if (r->info.nruns_done < r->info.nruns_planned &&
	    (ret = warn(r, "the campaign is incomplete: %zu of %zu runs recorded (resume it with --resume)",
			r->info.nruns_done, r->info.nruns_planned)))
		goto out;
	rank_and_pareto(r);
	if ((ret = pairs(r)))
		goto out;
	/* The study pairs time and energy for the same work. A measured phase
	 * here lasts at least min_duration, so its length alone says little:
	 * pair time per item with energy per item. Spearman is rank-based, so
	 * rho(1/throughput, e) = -rho(throughput, e) exactly. */
	correlate(runs, nruns, GB_RM_THROUGHPUT, GB_RM_EPI, &r->time_energy);
	r->time_energy.rho = -r->time_energy.rho;
	r->time_energy.by_construction = all_estimated(runs, nruns);
	correlate(runs, nruns, GB_RM_GPU_UTIL, GB_RM_GPU_POWER, &r->util_power);
	*out = r;
	r = NULL;
out:
	free(runs);
	gb_report_free(r);
	return ret;
}

/* In cols (one name a line), the first "<gpu>.<suffix>" for the GPUs in
 * gpus (one name a line, in record order); "" when none. */
static void gpu_column(const char *cols, const char *gpus, const char *suffix, char *buf, size_t len)
{
	char want[160];

	buf[0] = '\0';
	for (const char *g = gpus, *nl; *g; g = nl + 1) {
		nl = strchr(g, '\n');
		snprintf(want, sizeof want, "%.*s.%s\n", (int)(nl - g), g, suffix);
		for (const char *c = cols; *c; c = strchr(c, '\n') + 1)
			if (!strncmp(c, want, strlen(want))) {
				snprintf(buf, len, "%.*s", (int)strlen(want) - 1, want);
				return;
			}
	}
}

int gb_report_load_series(struct gb_report *r, struct gb_store *st, int64_t run)
{
	struct gb_store_run *runs = NULL;
	char *cols = NULL, *gpus = NULL, power[64] = "", util[64] = "";
	size_t n = 0;
	int ret;

	if ((ret = gb_store_runs_load(st, r->info.id, &runs, &n)))
		return ret;
	for (size_t i = 0; i < n && !power[0]; i++) {
		if (run ? runs[i].id != run : !runs[i].ok)
			continue;
		free(cols);
		free(gpus);
		cols = gpus = NULL;
		if ((ret = gb_store_series_columns(st, runs[i].id, &cols)) ||
		    (ret = gb_store_run_domains(st, runs[i].id, gb_domain_kind_name(GB_DOMAIN_GPU), &gpus)))
			goto out;
		/* The first GPU's power and utilisation columns. */
		gpu_column(cols, gpus, gb_series_json_column(GB_SAMPLE_POWER), power, sizeof power);
		gpu_column(cols, gpus, gb_series_json_column(GB_SAMPLE_UTIL_GPU), util, sizeof util);
		if (power[0] || run) {
			r->series_run = runs[i].id;
			snprintf(r->series_label, sizeof r->series_label, "run %lld: %s b%u %s rep %u",
				 (long long)runs[i].id, runs[i].model, runs[i].batch, runs[i].label, runs[i].rep + 1);
		}
	}
	if (run && !r->series_run) {
		ret = gb_error_set(-ENOENT, "no run %lld in campaign %lld", (long long)run, (long long)r->info.id);
		goto out;
	}
	if (power[0] && (ret = gb_store_series_load(st, r->series_run, power, &r->series_tp, &r->series_power, &r->nseries_power)))
		goto out;
	if (util[0] && (ret = gb_store_series_load(st, r->series_run, util, &r->series_tu, &r->series_util, &r->nseries_util)))
		goto out;
	for (size_t i = 0; i < r->nseries_power; i++)
		r->series_power[i] /= 1000.0;
	for (size_t i = r->nseries_power; i-- > 0;)
		r->series_tp[i] -= r->series_tp[0];
	for (size_t i = r->nseries_util; i-- > 0;)
		r->series_tu[i] -= r->series_tu[0];
out:
	free(cols);
	free(gpus);
	free(runs);
	return ret;
}

void gb_report_free(struct gb_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncfgs; i++)
		for (int k = 0; k < GB_RM_COUNT; k++)
			free(r->cfgs[i].values[k]);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->cfgs);
	free(r->pairs);
	free(r->series_tp);
	free(r->series_power);
	free(r->series_tu);
	free(r->series_util);
	free(r);
}
