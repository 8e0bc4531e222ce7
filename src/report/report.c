/*
 * Building a campaign report from the store: per-configuration figures
 * with 95% intervals, ranks, Pareto fronts, pairwise tests, correlations
 * and warnings. Formatting lives in report_*.c.
 */
#include "greenbench/report.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/series.h"
#include "greenbench/zoo.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#define ROW_REPORTED(id, field, key, title, div, max) \
	[id] = { key, title, offsetof(struct gb_run_metrics, field), div, max },
#define ROW_UNREPORTED(...)
#define ROW(field, since, from, rkey, rep, id, key, title, div, max) ROW_##rep(id, field, key, title, div, max)
const struct gb_rmetric_info gb_rmetrics[GB_RF_COUNT] = {
	GB_RUN_METRICS(ROW)
	[GB_RD_GPU_EPI] = { "gpu_energy_per_item_mj", "GPU mJ/item", 0, 1, INFINITY },
	[GB_RD_CPU_EPI] = { "cpu_energy_per_item_mj", "CPU mJ/item", 0, 1, INFINITY },
	[GB_RD_NET_EPI] = { "net_energy_per_item_mj", "Net mJ/item", 0, 1, INFINITY },
	[GB_RD_TIME_PER_ITEM] = { "time_per_item_ms", "Time/item (ms)", 0, 1, INFINITY },
};
#undef ROW
#undef ROW_REPORTED
#undef ROW_UNREPORTED

double gb_rmetric_value(const struct gb_run_metrics *m, enum gb_rmetric k)
{
	if ((unsigned)k >= GB_RM_COUNT)
		return NAN;
	return *(const double *)((const char *)m + gb_rmetrics[k].off) / gb_rmetrics[k].div;
}

/* Figure k of a run, stored or derived; NAN when absent. */
static double run_value(const struct gb_store_run *run, int k)
{
	const struct gb_run_metrics *m = &run->m;
	double items = m->items > 0 ? m->items : NAN;

	switch (k) {
	case GB_RD_GPU_EPI: return m->gpu_energy_j / items * 1e3;
	case GB_RD_CPU_EPI: return m->cpu_energy_j / items * 1e3;
	case GB_RD_NET_EPI: return run->net_energy_j / items * 1e3;
	case GB_RD_TIME_PER_ITEM: return m->inference_time_s / items * 1e3;
	default: return gb_rmetric_value(m, (enum gb_rmetric)k);
	}
}

const struct gb_claim_info gb_claims[GB_CLAIM_COUNT] = {
	[GB_CLAIM_TIME_ENERGY] = { "time-energy", "Inference time and energy correlate strongly (the study: Spearman rho 0.99)" },
	[GB_CLAIM_UTIL_POWER] = { "util-power", "GPU utilisation and GPU power correlate (the study: rho 0.81)" },
	[GB_CLAIM_ONNX_SMALL_BATCH] = { "onnx-batch1", "Converting a model to ONNX saves energy at batch size 1" },
	[GB_CLAIM_ONNX_LARGE_BATCH] = { "onnx-batch64", "At batch size 64 a converted model can cost more energy than the framework's own" },
	[GB_CLAIM_TRT_CUDA] = { "tensorrt-cuda", "The TensorRT execution provider uses less energy than CUDA" },
	[GB_CLAIM_CPU_SHARE] = { "cpu-share", "CPU energy is a large share of GPU energy" },
};

const char *gb_finding_verdict_name(enum gb_finding_verdict v)
{
	switch (v) {
	case GB_FINDING_HOLDS: return "holds";
	case GB_FINDING_FAILS: return "does not hold";
	default: return "cannot be tested";
	}
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

/* c->setup: c->label less its "/EP" (followed by the end or a space). */
static void setup_of(struct gb_report_config *c)
{
	size_t el = strlen(c->ep);
	const char *at = c->label;

	snprintf(c->setup, sizeof c->setup, "%s", c->label);
	while (el && (at = strchr(at, '/'))) {
		if (!strncmp(at + 1, c->ep, el) && (!at[1 + el] || at[1 + el] == ' ')) {
			snprintf(c->setup, sizeof c->setup, "%.*s%s", (int)(at - c->label), c->label, at + 1 + el);
			return;
		}
		at++;
	}
}

static struct gb_report_config *cfg_for(struct gb_report *r, const struct gb_store_run *run, unsigned per_items)
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
	setup_of(c);
	snprintf(c->zoo, sizeof c->zoo, "%s", run->zoo);
	snprintf(c->converted_from, sizeof c->converted_from, "%s", run->converted_from);
	c->batch = run->batch;
	c->per_items = per_items;
	if (!c->per_items) {
		const struct gb_zoo_model *z = run->zoo[0] ? gb_zoo_find(run->zoo) : NULL;
		c->per_items = z && z->study_items ? z->study_items : GB_REPORT_STUDY_ITEMS;
	}
	return c;
}

static int add_values(struct gb_report_config *c, const struct gb_store_run *run, size_t cap)
{
	for (int k = 0; k < GB_RF_COUNT; k++) {
		if (!c->values[k] && !(c->values[k] = malloc(cap * sizeof(double))))
			return gb_error_set(-ENOMEM, "out of memory");
		c->values[k][c->n_ok] = run_value(run, k);
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
			/* Latency per batch only compares within one batch size. */
			if (!same_group(a, b) || !a->m[GB_RM_LATENCY_MS].valid || !b->m[GB_RM_LATENCY_MS].valid)
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

/* Same model: the same zoo model, or the same name for model files. */
static int same_model(const struct gb_report_config *a, const struct gb_report_config *b)
{
	if (a->zoo[0] && b->zoo[0])
		return !strcmp(a->zoo, b->zoo);
	return !strcmp(a->model, b->model);
}

/* Change of figure k from a to b in percent of a, with the 95% Welch
 * interval of the difference of means. */
static void change(const struct gb_report_config *a, const struct gb_report_config *b, int k,
		   int *valid, int *ci_valid, double *pct, double *lo, double *hi, int *excl)
{
	const struct gb_ci *x = &a->m[k], *y = &b->m[k];

	*valid = *ci_valid = *excl = 0;
	if (!x->valid || !y->valid || x->mean == 0)
		return;
	*valid = 1;
	*pct = (y->mean - x->mean) / x->mean * 100;
	if (!x->ci_valid || !y->ci_valid)
		return;
	double vx = x->sd * x->sd / (double)x->n, vy = y->sd * y->sd / (double)y->n, se = sqrt(vx + vy);
	double df = se > 0 ? (vx + vy) * (vx + vy) / (vx * vx / (double)(x->n - 1) + vy * vy / (double)(y->n - 1)) : 1;
	double t = gsl_cdf_tdist_Pinv(0.975, df), d = y->mean - x->mean;
	*ci_valid = 1;
	*lo = (d - t * se) / x->mean * 100;
	*hi = (d + t * se) / x->mean * 100;
	*excl = *lo > 0 || *hi < 0;
}

/* a is the framework's own configuration that b was converted from: the
 * same model, batch and EP, run by the framework its converter names (the
 * part before "2": "tf2onnx" is tf's, "torch2onnx" torch's). */
static int rq2_pair(const struct gb_report_config *a, const struct gb_report_config *b)
{
	size_t fw = strcspn(b->converted_from, "2");

	return b->converted_from[0] && !a->converted_from[0] && same_model(a, b) && a->batch == b->batch &&
	       !strcmp(a->ep, b->ep) && strlen(a->runtime) == fw && !strncmp(a->runtime, b->converted_from, fw) &&
	       strcmp(a->runtime, b->runtime);
}

/* RQ2 pairs: every converted configuration against each configuration of
 * its framework (rq2_pair), one pair per framework label: tf in graph
 * mode and tf eagerly are two rows, not the first of them. */
static int conversions(struct gb_report *r)
{
	size_t n = 0;

	for (size_t j = 0; j < r->ncfgs; j++)
		for (size_t i = 0; i < r->ncfgs; i++)
			n += rq2_pair(&r->cfgs[i], &r->cfgs[j]);
	r->conversions = calloc(n + 1, sizeof *r->conversions);
	if (!r->conversions)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t j = 0; j < r->ncfgs; j++) {
		for (size_t i = 0; i < r->ncfgs; i++) {
			const struct gb_report_config *a = &r->cfgs[i], *b = &r->cfgs[j];
			struct gb_report_conversion *cv = &r->conversions[r->nconversions];

			if (!rq2_pair(a, b))
				continue;
			cv->a = i;
			cv->b = j;
			change(a, b, GB_RM_EPI, &cv->energy.valid, &cv->energy.ci_valid, &cv->energy.pct,
			       &cv->energy.lo_pct, &cv->energy.hi_pct, &cv->energy.excludes_zero);
			change(a, b, GB_RD_TIME_PER_ITEM, &cv->time.valid, &cv->time.ci_valid, &cv->time.pct,
			       &cv->time.lo_pct, &cv->time.hi_pct, &cv->time.excludes_zero);
			r->nconversions++;
		}
	}
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Set a counted finding's n, agreeing count and median; when nothing was
 * counted it cannot be tested, for the reason why_not (then 0). */
static int finding_counted(struct gb_report_finding *f, size_t n, size_t n_for, double *values, const char *why_not)
{
	f->n = n;
	f->n_for = n_for;
	f->value = median(values, n);
	if (n)
		return 1;
	f->verdict = GB_FINDING_UNTESTABLE;
	snprintf(f->detail, sizeof f->detail, "%s", why_not);
	return 0;
}

static void finding_corr(struct gb_report_finding *f, const struct gb_report_corr *c, double min_rho,
			 const char *what)
{
	f->n = c->n;
	f->value = c->valid ? c->rho : NAN;
	f->p = c->valid ? c->p : NAN;
	if (!c->valid) {
		f->verdict = GB_FINDING_UNTESTABLE;
		snprintf(f->detail, sizeof f->detail, "%zu runs have both %s; a correlation needs 3 runs that differ", c->n, what);
		return;
	}
	f->verdict = c->rho >= min_rho && c->p < GB_FINDING_ALPHA ? GB_FINDING_HOLDS : GB_FINDING_FAILS;
	f->n_for = f->verdict == GB_FINDING_HOLDS ? c->n : 0;
	snprintf(f->detail, sizeof f->detail, "Spearman rho %.3f (p = %.3g) over %zu runs, %s; holds at rho >= %.1f with p < %.2f",
		 c->rho, c->p, c->n, what, min_rho, GB_FINDING_ALPHA);
}

/* The conversion findings: at batch 1 (small) every pair saves energy;
 * at large batches at least one pair costs more. */
static void finding_onnx(const struct gb_report *r, struct gb_report_finding *f, int large, double *scratch)
{
	size_t n = 0, n_for = 0, n_sig = 0;

	for (size_t i = 0; i < r->nconversions; i++) {
		const struct gb_report_conversion *cv = &r->conversions[i];
		unsigned batch = r->cfgs[cv->a].batch;
		int agrees = large ? cv->energy.pct > 0 : cv->energy.pct < 0;
		if (!cv->energy.valid || (large ? batch < GB_FINDING_LARGE_BATCH : batch != 1))
			continue;
		scratch[n++] = cv->energy.pct;
		n_for += agrees;
		n_sig += agrees && cv->energy.excludes_zero;
	}
	if (!finding_counted(f, n, n_for, scratch, large ?
			     "no framework model with its converted model at batch >= 64 (a model with `convert:` and "
			     "the framework's own runtime, same batch and EP)" :
			     "no framework model with its converted model at batch 1 (a model with `convert:` and "
			     "the framework's own runtime, same batch and EP)"))
		return;
	f->verdict = (large ? n_for > 0 : n_for == n) ? GB_FINDING_HOLDS : GB_FINDING_FAILS;
	snprintf(f->detail, sizeof f->detail, "%zu of %zu pairs at batch %s%d: the converted model uses %s energy per item "
		 "(median change %+.1f%%; %zu with an interval excluding zero)", n_for, n, large ? ">= " : "",
		 large ? GB_FINDING_LARGE_BATCH : 1, large ? "more" : "less", f->value, n_sig);
}

static void finding_trt(const struct gb_report *r, struct gb_report_finding *f, double *scratch)
{
	size_t n = 0, n_for = 0;

	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *t = &r->cfgs[i];
		if (strcmp(t->ep, "tensorrt") || !t->m[GB_RM_EPI].valid)
			continue;
		for (size_t j = 0; j < r->ncfgs; j++) {
			const struct gb_report_config *c = &r->cfgs[j];
			if (strcmp(c->ep, "cuda") || !same_group(t, c) || strcmp(t->setup, c->setup) ||
			    !c->m[GB_RM_EPI].valid || c->m[GB_RM_EPI].mean <= 0)
				continue;
			scratch[n++] = t->m[GB_RM_EPI].mean / c->m[GB_RM_EPI].mean;
			n_for += t->m[GB_RM_EPI].mean < c->m[GB_RM_EPI].mean;
		}
	}
	if (!finding_counted(f, n, n_for, scratch,
			     "no model and batch with ok runs on both the tensorrt and the cuda EP of one runtime"))
		return;
	f->verdict = n_for == n ? GB_FINDING_HOLDS : GB_FINDING_FAILS;
	snprintf(f->detail, sizeof f->detail, "TensorRT below CUDA in energy per item for %zu of %zu model/batch pairs "
		 "(median ratio TensorRT/CUDA %.2f)", n_for, n, f->value);
}

static void finding_cpu_share(const struct gb_report *r, struct gb_report_finding *f, double *scratch)
{
	size_t n = 0, n_for = 0, estimated = 0;

	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		if (!c->m[GB_RM_GPU_ENERGY].valid || !c->m[GB_RM_CPU_ENERGY].valid || c->m[GB_RM_GPU_ENERGY].mean <= 0)
			continue;
		scratch[n] = c->m[GB_RM_CPU_ENERGY].mean / c->m[GB_RM_GPU_ENERGY].mean;
		n_for += scratch[n++] >= GB_FINDING_CPU_SHARE;
		estimated += !strcmp(c->cpu_method, "estimated");
	}
	if (!finding_counted(f, n, n_for, scratch, "no configuration has both a GPU and a CPU energy figure"))
		return;
	f->verdict = f->value >= GB_FINDING_CPU_SHARE ? GB_FINDING_HOLDS : GB_FINDING_FAILS;
	snprintf(f->detail, sizeof f->detail, "median CPU/GPU energy %.2f over %zu configurations (%zu at >= %.2f); "
		 "holds at a median >= %.2f%s", f->value, n, n_for, GB_FINDING_CPU_SHARE, GB_FINDING_CPU_SHARE,
		 estimated ? "; the CPU figures are estimated, not measured" : "");
}

static int findings(struct gb_report *r)
{
	double *scratch = malloc((r->ncfgs * r->ncfgs + 1) * sizeof *scratch);

	if (!scratch)
		return gb_error_set(-ENOMEM, "out of memory");
	for (int k = 0; k < GB_CLAIM_COUNT; k++) {
		r->findings[k].claim = (enum gb_claim)k;
		r->findings[k].value = r->findings[k].p = NAN;
	}
	finding_corr(&r->findings[GB_CLAIM_TIME_ENERGY], &r->time_energy, GB_FINDING_RHO_STRONG,
		     "time per item and energy per item");
	finding_corr(&r->findings[GB_CLAIM_UTIL_POWER], &r->util_power, GB_FINDING_RHO,
		     "GPU utilisation and GPU power");
	finding_onnx(r, &r->findings[GB_CLAIM_ONNX_SMALL_BATCH], 0, scratch);
	finding_onnx(r, &r->findings[GB_CLAIM_ONNX_LARGE_BATCH], 1, scratch);
	finding_trt(r, &r->findings[GB_CLAIM_TRT_CUDA], scratch);
	finding_cpu_share(r, &r->findings[GB_CLAIM_CPU_SHARE], scratch);
	free(scratch);
	return 0;
}

int gb_report_build(struct gb_store *st, int64_t campaign, const struct gb_report_options *opt,
		    struct gb_report **out)
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
		struct gb_report_config *c = cfg_for(r, &runs[i], opt ? opt->per_items : 0);
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
	if (!(r->runs = calloc(nruns + 1, sizeof *r->runs))) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nruns; i++) {
		struct gb_report_run *rr = &r->runs[r->nruns++];
		rr->id = runs[i].id;
		rr->rep = runs[i].rep;
		rr->ok = runs[i].ok;
		rr->verdict = runs[i].ok && !isnan(runs[i].m.verdict) ? (int)runs[i].m.verdict : -1;
		for (rr->cfg = 0; rr->cfg < r->ncfgs && r->cfgs[rr->cfg].config != runs[i].config; rr->cfg++)
			;
	}
	for (size_t i = 0; i < r->ncfgs; i++) {
		struct gb_report_config *c = &r->cfgs[i];
		char why[128];

		for (int k = 0; k < GB_RF_COUNT; k++) {
			gb_stats_ci95(c->values[k], c->n_ok, &c->m[k]);
			/* Net of idle power may go below 0: not a bounded quantity. */
			if (k != GB_RD_NET_EPI)
				clamp(&c->m[k], gb_rmetrics[k].max);
		}
		r->has_accuracy |= c->m[GB_RM_TOP1].valid || c->m[GB_RM_TOP5].valid;
		r->has_net |= c->m[GB_RD_NET_EPI].valid;
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
		if (!ret && (c->throttle & GB_VERDICT_THROTTLE_MASK)) {
			char words[256];

			gb_verdict_throttle_text(c->throttle, words, sizeof words);
			ret = warn(r, "%s b%u %s: the GPU throttled during its runs (reasons 0x%llx: %s); its figures are not at full clocks",
				   c->model, c->batch, c->label, (unsigned long long)c->throttle, words);
		}
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
	if ((ret = conversions(r)) || (ret = findings(r)) ||
	    (ret = gb_store_campaign_environment(st, campaign, &r->envs, &r->nenvs)) ||
	    (ret = gb_store_phase_energy_load(st, campaign, &r->phases, &r->nphases)))
		goto out;
	*out = r;
	r = NULL;
out:
	free(runs);
	gb_report_free(r);
	return ret;
}

/* The columns a chart shows: "<domain>.power_mw" and "<domain>.util_gpu_pct". */
static int series_kind(const char *col, int *is_util, size_t *domain_len)
{
	const char *dot = strrchr(col, '.');
	const char *pw = gb_series_json_column(GB_SAMPLE_POWER), *ut = gb_series_json_column(GB_SAMPLE_UTIL_GPU);

	if (!dot || !pw || !ut)
		return 0;
	*domain_len = (size_t)(dot - col);
	*is_util = !strcmp(dot + 1, ut);
	return *is_util || !strcmp(dot + 1, pw);
}

static int series_add(struct gb_report *r, struct gb_store *st, int64_t run, const char *col, size_t dl, int is_util)
{
	struct gb_report_series *ns = realloc(r->series, (r->nseries + 1) * sizeof *ns), *s;
	int ret;

	if (!ns)
		return gb_error_set(-ENOMEM, "out of memory");
	r->series = ns;
	s = memset(&ns[r->nseries], 0, sizeof *ns);
	s->run = run;
	s->is_util = is_util;
	snprintf(s->column, sizeof s->column, "%s", col);
	snprintf(s->domain, sizeof s->domain, "%.*s", (int)dl, col);
	if ((ret = gb_store_series_load(st, run, col, &s->t_s, &s->v, &s->n)))
		return ret;
	r->nseries++;
	for (size_t i = 0; !is_util && i < s->n; i++)
		s->v[i] /= 1000.0;	/* mW -> W */
	for (size_t i = s->n; i-- > 0;)
		s->t_s[i] -= s->t_s[0];
	return 0;
}

int gb_report_load_series(struct gb_report *r, struct gb_store *st, int64_t run)
{
	char *cols = NULL;
	int ret = 0, found = 0;

	for (size_t i = 0; i < r->nruns; i++) {
		size_t before = r->nseries;
		free(cols);
		cols = NULL;
		if ((ret = gb_store_series_columns(st, r->runs[i].id, &cols)))
			goto out;
		for (char *c = cols, *nl; *c; c = nl + 1) {
			size_t dl;
			int is_util;
			nl = strchr(c, '\n');
			*nl = '\0';
			if (series_kind(c, &is_util, &dl) && (ret = series_add(r, st, r->runs[i].id, c, dl, is_util)))
				goto out;
		}
		if (r->runs[i].id == run)
			found = 1;
		if (!r->series_run && r->nseries > before && (run ? r->runs[i].id == run : r->runs[i].ok))
			r->series_run = r->runs[i].id;
	}
	if (run && !found) {
		ret = gb_error_set(-ENOENT, "no run %lld in campaign %lld", (long long)run, (long long)r->info.id);
		goto out;
	}
	if (run && r->series_run != run)
		ret = gb_error_set(-ENOENT, "run %lld has no power or utilisation series to plot (its record has no \"series\")",
				   (long long)run);
out:
	free(cols);
	return ret;
}

void gb_report_free(struct gb_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncfgs; i++)
		for (int k = 0; k < GB_RF_COUNT; k++)
			free(r->cfgs[i].values[k]);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->cfgs);
	free(r->pairs);
	free(r->conversions);
	free(r->envs);
	for (size_t i = 0; i < r->nseries; i++) {
		free(r->series[i].t_s);
		free(r->series[i].v);
	}
	free(r->series);
	free(r->runs);
	free(r->phases);
	free(r);
}
