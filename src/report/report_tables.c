/*
 * The study's tables as text cells: Table 1 (per model, batch and
 * runtime/EP), Table 3 (EP comparison), Table 2 (accuracy) and the
 * pairwise tests.
 */
#include "report/rtable.h"
#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOT_SUPPORTED "<not supported>"

static void num(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (a >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1 || a == 0)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* "12.3 ± 0.4", or the mean alone for one value. */
static void ci_cell(const struct gb_ci *c, const char *method, char *buf, size_t len)
{
	char m[32], h[32];
	size_t off;

	if (!c->valid) {
		snprintf(buf, len, NOT_SUPPORTED);
		return;
	}
	num(c->mean, m, sizeof m);
	if (c->ci_valid) {
		/* Rounding error of identical values is no spread. */
		num(c->hi - c->mean > 1e-9 * fabs(c->mean) ? c->hi - c->mean : 0, h, sizeof h);
		off = (size_t)snprintf(buf, len, "%s ± %s", m, h);
	} else {
		off = (size_t)snprintf(buf, len, "%s", m);
	}
	if (method && *method && off < len)
		snprintf(buf + off, len - off, " [%s]", method);
}

struct tb {
	struct rtable *t;
	size_t cap;
	int err;
};

static void tb_init(struct tb *b, struct rtable *t, const char *title, size_t ncols)
{
	memset(t, 0, sizeof *t);
	snprintf(t->title, sizeof t->title, "%s", title);
	t->ncols = ncols;
	b->t = t;
	b->cap = 0;
	b->err = 0;
}

__attribute__((format(printf, 2, 3)))
static void cell(struct tb *b, const char *fmt, ...)
{
	struct rtable *t = b->t;
	char buf[256];
	va_list ap;

	if (b->err)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (b->cap % 64 == 0) {
		char **nc = realloc(t->cells, (b->cap + 64) * sizeof *nc);
		if (!nc) {
			b->err = -ENOMEM;
			return;
		}
		t->cells = nc;
	}
	if (!(t->cells[b->cap] = strdup(buf))) {
		b->err = -ENOMEM;
		return;
	}
	b->cap++;
	t->nrows = b->cap / t->ncols - (b->cap >= t->ncols ? 1 : 0);
}

const char *gb_rtable_cell(const struct rtable *t, size_t row, size_t col)
{
	return t->cells[row * t->ncols + col];
}

/* "12.3 ± 0.4" of figure k scaled by f (a linear change of unit scales
 * the mean and the interval alike). */
static void scaled_cell(const struct gb_ci *c, double f, const char *method, char *buf, size_t len)
{
	struct gb_ci s = *c;

	s.mean *= f;
	s.lo *= f;
	s.hi *= f;
	ci_cell(&s, method, buf, len);
}

static void table1(const struct gb_report *r, struct tb *b)
{
	/* Columns: k, scaled to the workload (J or s for per_items items). */
	static const struct { int k; int per_n; } cols[] = {
		{ GB_RM_GPU_UTIL, 0 }, { GB_RM_GPU_UTIL_SD, 0 }, { GB_RM_GPU_MEM, 0 }, { GB_RM_GPU_POWER, 0 },
		{ GB_RD_GPU_EPI, 1 }, { GB_RD_CPU_EPI, 1 }, { GB_RM_EPI, 1 }, { GB_RD_NET_EPI, 1 },
		{ GB_RD_TIME_PER_ITEM, 1 }, { GB_RD_GPU_EPI, 0 }, { GB_RD_CPU_EPI, 0 }, { GB_RM_EPI, 0 },
		{ GB_RM_THROUGHPUT, 0 }, { GB_RM_LATENCY_P50_MS, 0 }, { GB_RM_LATENCY_P99_MS, 0 },
	};
	static const char *const per_n_titles[GB_RF_COUNT] = {
		[GB_RD_GPU_EPI] = "GPU energy (J)", [GB_RD_CPU_EPI] = "CPU energy (J)",
		[GB_RM_EPI] = "Total energy (J)", [GB_RD_NET_EPI] = "Net energy (J)",
		[GB_RD_TIME_PER_ITEM] = "Inference time (s)",
	};
	const size_t ncols = sizeof cols / sizeof cols[0];
	int shown[sizeof cols / sizeof cols[0]], any_gpu = 0;
	char buf[128];

	/* A campaign without any GPU figure (a CPU-only machine) drops the GPU
	 * columns instead of filling them with <not supported>; the note says
	 * so. The net column is there when some run has an idle baseline. */
	for (size_t i = 0; i < r->ncfgs; i++)
		for (int k = GB_RM_GPU_UTIL; k <= GB_RM_GPU_ENERGY; k++)
			any_gpu |= r->cfgs[i].m[k].valid;
	b->t->ncols = 6;
	for (size_t k = 0; k < ncols; k++) {
		int gpu = cols[k].k <= GB_RM_GPU_ENERGY || cols[k].k == GB_RD_GPU_EPI;
		shown[k] = (any_gpu || !gpu) && (cols[k].k != GB_RD_NET_EPI || r->has_net);
		b->t->ncols += (size_t)shown[k];
	}
	cell(b, "Model");
	cell(b, "Batch");
	cell(b, "Runtime/EP");
	cell(b, "Runs");
	cell(b, "Items");
	for (size_t k = 0; k < ncols; k++)
		if (shown[k])
			cell(b, "%s", cols[k].per_n ? per_n_titles[cols[k].k] : gb_rmetrics[cols[k].k].title);
	cell(b, "Rank");
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		cell(b, "%s", c->model);
		cell(b, "%u", c->batch);
		cell(b, "%s", c->label);
		if (c->n_failed)
			cell(b, "%zu (+%zu failed)", c->n_ok, c->n_failed);
		else
			cell(b, "%zu", c->n_ok);
		cell(b, "%u", c->per_items);
		for (size_t k = 0; k < ncols; k++) {
			int m = cols[k].k;
			if (!shown[k])
				continue;
			const char *method = !cols[k].per_n ? NULL : m == GB_RD_GPU_EPI ? c->gpu_method :
					     m == GB_RD_CPU_EPI ? c->cpu_method : m == GB_RM_EPI ? c->total_methods : NULL;
			/* mJ/item or ms/item times N items: J or s. */
			scaled_cell(&c->m[m], cols[k].per_n ? c->per_items / 1e3 : 1, method, buf, sizeof buf);
			cell(b, "%s", buf);
		}
		if (c->rank)
			cell(b, "%d%s", c->rank, c->pareto ? " (Pareto)" : "");
		else
			cell(b, "-");
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Energy and time are for Items items, the study's workload (10,000 images, 25,000 reviews) unless --per says otherwise; "
		 "mJ/item, throughput and latency are per item or batch. Mean ± half-width of the 95%% confidence interval over repetitions (Student t). "
		 "[method]: counter, integrated or estimated. Rank by energy per item within model and batch; "
		 "Pareto: not beaten on both energy per item and latency within model and batch.%s%s",
		 r->has_net ? " Net: less the idle power measured before the run." : "",
		 any_gpu ? "" : " No run has GPU figures (no GPU, or none readable), so the GPU columns are left out.");
}

/* One row of Table 3: same model, batch and runtime. */
static int same_row3(const struct gb_report_config *a, const struct gb_report_config *b)
{
	return a->ep[0] && b->ep[0] && !strcmp(a->model, b->model) && a->batch == b->batch &&
	       !strcmp(a->runtime, b->runtime);
}

/* Table 3 as in the study: per model, batch and runtime, one column per
 * execution provider, energy per item and its ratio to the row's best. */
static void table3(const struct gb_report *r, struct tb *b, size_t neps, const char **eps)
{
	char buf[128];

	cell(b, "Model");
	cell(b, "Batch");
	cell(b, "Runtime");
	for (size_t l = 0; l < neps; l++)
		cell(b, "%s", eps[l]);
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		double best = INFINITY;
		size_t seen = 0;
		if (!c->ep[0])
			continue;
		for (size_t j = 0; j < i; j++)
			seen += same_row3(&r->cfgs[j], c);
		if (seen)
			continue;
		for (size_t j = i; j < r->ncfgs; j++)
			if (same_row3(&r->cfgs[j], c) && r->cfgs[j].m[GB_RM_EPI].valid && r->cfgs[j].m[GB_RM_EPI].mean < best)
				best = r->cfgs[j].m[GB_RM_EPI].mean;
		cell(b, "%s", c->model);
		cell(b, "%u", c->batch);
		cell(b, "%s", c->runtime);
		for (size_t l = 0; l < neps; l++) {
			const struct gb_report_config *hit = NULL;
			for (size_t j = i; j < r->ncfgs; j++)
				if (same_row3(&r->cfgs[j], c) && !strcmp(r->cfgs[j].ep, eps[l]))
					hit = &r->cfgs[j];
			if (!hit) {
				cell(b, "-");
				continue;
			}
			ci_cell(&hit->m[GB_RM_EPI], NULL, buf, sizeof buf);
			if (hit->m[GB_RM_EPI].valid && best > 0)
				cell(b, "%s (×%.2f)", buf, hit->m[GB_RM_EPI].mean / best);
			else if (!hit->n_ok)
				cell(b, "failed");
			else
				cell(b, "%s", buf);
		}
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Energy per item (mJ), mean ± 95%% CI; (×k) = k times the lowest of its row. '-' = not in the campaign.");
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No run names an execution provider, so there is nothing to compare across providers.");
}

/* RQ2: the framework's own model against the model converted from it. */
static void conversion_table(const struct gb_report *r, struct tb *b)
{
	cell(b, "Model");
	cell(b, "Batch");
	cell(b, "Framework");
	cell(b, "Converted");
	cell(b, "Energy/item change");
	cell(b, "Time/item change");
	for (size_t i = 0; i < r->nconversions; i++) {
		const struct gb_report_conversion *cv = &r->conversions[i];
		const struct gb_report_config *a = &r->cfgs[cv->a], *c = &r->cfgs[cv->b];
		cell(b, "%s", a->model);
		cell(b, "%u", a->batch);
		cell(b, "%s", a->label);
		cell(b, "%s (%s)", c->label, c->converted_from);
		for (int w = 0; w < 2; w++) {
			const __typeof__(cv->energy) *x = w ? &cv->time : &cv->energy;
			if (!x->valid)
				cell(b, NOT_SUPPORTED);
			else if (!x->ci_valid)
				cell(b, "%+.1f%%", x->pct);
			else
				cell(b, "%+.1f%% [%+.1f, %+.1f]%s", x->pct, x->lo_pct, x->hi_pct,
				     x->excludes_zero ? " *" : "");
		}
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Change of the converted model against the framework's own (same model, batch and EP), in percent of the "
		 "framework's mean, with the 95%% Welch interval of the difference; * = the interval excludes zero.");
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No converted model in this campaign: add a model converted from a framework (`- {zoo: resnet50, convert: "
		 "tf2onnx}`) next to a runtime of that framework to compare them.");
}

static void findings_table(const struct gb_report *r, struct tb *b)
{
	cell(b, "Finding");
	cell(b, "Claim");
	cell(b, "Here");
	cell(b, "Evidence");
	for (int k = 0; k < GB_CLAIM_COUNT; k++) {
		const struct gb_report_finding *f = &r->findings[k];
		cell(b, "%s", gb_claims[f->claim].id);
		cell(b, "%s", gb_claims[f->claim].statement);
		cell(b, "%s", gb_verdict_name(f->verdict));
		cell(b, "%s", f->detail);
	}
}

/* Append one to a "; "-joined list unless it is there. */
static void list_add(char *buf, size_t len, size_t *used, const char *one)
{
	if (strstr(buf, one) || *used >= len)
		return;
	*used += (size_t)snprintf(buf + *used, len - *used, "%s%s", *used ? "; " : "", one);
}

/* Distinct values of one environment field, "; "-joined. */
static void env_join(const struct gb_report *r, size_t off, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nenvs; i++) {
		const char *v = (const char *)&r->envs[i] + off;
		if (*v)
			list_add(buf, len, &used, v);
	}
}

/* "NVIDIA H200 (driver 580.159.04)" for each GPU of the records. */
static void env_gpus(const struct gb_report *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nenvs; i++) {
		cJSON *g = cJSON_Parse(r->envs[i].gpus_json), *it;
		cJSON_ArrayForEach(it, g) {
			char one[192];
			const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
			const char *drv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "driver"));
			snprintf(one, sizeof one, "%s%s%s%s", name ? name : "GPU", drv ? " (driver " : "", drv ? drv : "",
				 drv ? ")" : "");
			list_add(buf, len, &used, one);
		}
		cJSON_Delete(g);
	}
}

/* "ort 1.29.0; torch 2.5.1": each runtime's *_version keys. */
static void env_runtimes(const struct gb_report *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nenvs; i++) {
		cJSON *o = cJSON_Parse(r->envs[i].runtime_json), *it;
		cJSON_ArrayForEach(it, o) {
			char one[192];
			const char *v = cJSON_GetStringValue(it);
			size_t kl = it->string ? strlen(it->string) : 0;
			if (!v || kl < 8 || strcmp(it->string + kl - 8, "_version"))
				continue;
			snprintf(one, sizeof one, "%s: %.*s %s", r->envs[i].runtime, (int)(kl - 8), it->string, v);
			list_add(buf, len, &used, one);
		}
		cJSON_Delete(o);
	}
}

static void env_methods(const struct gb_report *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		for (int w = 0; w < 2; w++) {
			char one[48];
			const char *m = w ? c->cpu_method : c->gpu_method;
			if (!*m)
				continue;
			snprintf(one, sizeof one, "%s %s", w ? "CPU" : "GPU", m);
			list_add(buf, len, &used, one);
		}
	}
}

static void env_table(const struct gb_report *r, struct tb *b)
{
	char buf[256];

	cell(b, "What");
	cell(b, "Value");
	if (!r->nenvs)
		return;
	env_gpus(r, buf, sizeof buf);
	cell(b, "GPUs");
	cell(b, "%s", buf[0] ? buf : "none");
	env_join(r, offsetof(struct gb_store_environment, cpu), buf, sizeof buf);
	cell(b, "CPU");
	cell(b, "%s", buf);
	env_join(r, offsetof(struct gb_store_environment, kernel), buf, sizeof buf);
	cell(b, "Kernel");
	cell(b, "%s", buf);
	env_join(r, offsetof(struct gb_store_environment, host), buf, sizeof buf);
	cell(b, "Host");
	cell(b, "%s", buf);
	env_runtimes(r, buf, sizeof buf);
	cell(b, "Runtimes");
	cell(b, "%s", buf[0] ? buf : "not recorded");
	env_methods(r, buf, sizeof buf);
	cell(b, "Energy methods");
	cell(b, "%s", buf[0] ? buf : "none");
	env_join(r, offsetof(struct gb_store_environment, version), buf, sizeof buf);
	cell(b, "greenbench");
	cell(b, "%s", buf);
	snprintf(b->t->empty, sizeof b->t->empty, "No run recorded its environment.");
}

static void table2(const struct gb_report *r, struct tb *b)
{
	char buf[128];

	cell(b, "Model");
	cell(b, "Batch");
	cell(b, "Runtime/EP");
	cell(b, "Top-1");
	cell(b, "Top-5");
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		if (!c->m[GB_RM_TOP1].valid && !c->m[GB_RM_TOP5].valid)
			continue;
		cell(b, "%s", c->model);
		cell(b, "%u", c->batch);
		cell(b, "%s", c->label);
		ci_cell(&c->m[GB_RM_TOP1], NULL, buf, sizeof buf);
		cell(b, "%s", buf);
		ci_cell(&c->m[GB_RM_TOP5], NULL, buf, sizeof buf);
		cell(b, "%s", buf);
	}
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No accuracy: no run was measured on labelled data. Give a model `data:` (and `limit:`) in the experiment file.");
}

static void pairs_table(const struct gb_report *r, struct tb *b)
{
	cell(b, "Model");
	cell(b, "Batch");
	cell(b, "A");
	cell(b, "B");
	cell(b, "U");
	cell(b, "p");
	cell(b, "Cliff's delta");
	for (size_t i = 0; i < r->npairs; i++) {
		const struct gb_report_pair *p = &r->pairs[i];
		cell(b, "%s", r->cfgs[p->a].model);
		cell(b, "%u", r->cfgs[p->a].batch);
		cell(b, "%s", r->cfgs[p->a].label);
		cell(b, "%s", r->cfgs[p->b].label);
		cell(b, "%.1f", p->u);
		cell(b, "%.4g%s", p->p, p->exact ? "" : " (approx.)");
		cell(b, "%+.2f", p->delta);
	}
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No pairwise tests: no two configurations of the same model and batch have two or more ok runs each.");
	snprintf(b->t->note, sizeof b->t->note,
		 "Two-sided Mann-Whitney U on energy per item between configurations of the same model and batch "
		 "(exact when both have at most 8 runs and no ties); Cliff's delta > 0 means A uses more energy per item.");
}

void gb_report_corr_text(const struct gb_report *r, int which, char *buf, size_t len)
{
	const struct gb_report_corr *c = which ? &r->util_power : &r->time_energy;
	const char *what = which ? "GPU utilisation vs GPU power" : "time per item vs energy per item";

	if (c->valid)
		snprintf(buf, len, "Spearman rho, %s: %.3f (p = %.3g, n = %zu runs)", what, c->rho, c->p, c->n);
	else
		snprintf(buf, len, "Spearman rho, %s: not computable (%zu runs with both figures)", what, c->n);
}

int gb_rtables_build(const struct gb_report *r, struct rtable **out, size_t *n)
{
	struct rtable *t = calloc(8, sizeof *t);
	const char **eps = calloc(r->ncfgs + 1, sizeof *eps);
	size_t ne = 0, nt = 0;
	struct tb b;
	int err = 0;

	if (!t || !eps) {
		free(t);
		free(eps);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->ncfgs; i++) {
		size_t l;
		if (!r->cfgs[i].ep[0])
			continue;
		for (l = 0; l < ne && strcmp(eps[l], r->cfgs[i].ep); l++)
			;
		if (l == ne)
			eps[ne++] = r->cfgs[i].ep;
	}
	tb_init(&b, &t[nt++], "Environment", 2);
	env_table(r, &b);
	err |= b.err;
	tb_init(&b, &t[nt++], "Table 1: energy and performance per model, batch size and runtime/EP", 0);
	table1(r, &b);
	err |= b.err;
	tb_init(&b, &t[nt++], "Table 2: accuracy", 5);
	table2(r, &b);
	err |= b.err;
	tb_init(&b, &t[nt++], "Table 3: execution providers compared (energy per item, mJ)", 3 + ne);
	table3(r, &b, ne, eps);
	err |= b.err;
	tb_init(&b, &t[nt++], "RQ2: each framework's model against its converted model", 6);
	conversion_table(r, &b);
	err |= b.err;
	tb_init(&b, &t[nt++], "The study's findings, checked", 4);
	findings_table(r, &b);
	err |= b.err;
	tb_init(&b, &t[nt++], "Pairwise tests: energy per item", 7);
	pairs_table(r, &b);
	err |= b.err;
	free(eps);
	if (err) {
		gb_rtables_free(t, nt);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	*out = t;
	*n = nt;
	return 0;
}

void gb_rtables_free(struct rtable *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		for (size_t c = 0; c < (t[i].nrows + 1) * t[i].ncols; c++)
			free(t[i].cells[c]);
		free(t[i].cells);
	}
	free(t);
}
