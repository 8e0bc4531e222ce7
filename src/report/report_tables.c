/*
 * The study's tables as text cells: Table 1 (per model, batch and
 * runtime/EP), Table 3 (EP comparison), Table 2 (accuracy) and the
 * pairwise tests.
 */
#include "report/rtable.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
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
	if (c->ci_valid && c->clamped) {
		/* Cut to the quantity's range: no longer symmetric. */
		char lo[32];

		num(c->lo, lo, sizeof lo);
		num(c->hi, h, sizeof h);
		off = (size_t)snprintf(buf, len, "%s (%s to %s)", m, lo, h);
	} else if (c->ci_valid) {
		num(c->hi - c->mean, h, sizeof h);
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

static void table1(const struct gb_report *r, struct tb *b)
{
	static const enum gb_rmetric cols[] = { GB_RM_GPU_UTIL, GB_RM_GPU_UTIL_SD, GB_RM_GPU_MEM,
		GB_RM_GPU_POWER, GB_RM_GPU_ENERGY, GB_RM_CPU_ENERGY, GB_RM_TOTAL_ENERGY, GB_RM_TIME, GB_RM_EPI };
	const size_t ncols = sizeof cols / sizeof cols[0];
	int shown[sizeof cols / sizeof cols[0]], any_gpu = 0;
	char buf[128];

	/* A campaign without any GPU figure (a CPU-only machine) drops the GPU
	 * columns instead of filling them with <not supported>; the note says so. */
	for (size_t k = 0; k < ncols; k++) {
		shown[k] = 1;
		for (size_t i = 0; i < r->ncfgs && cols[k] <= GB_RM_GPU_ENERGY; i++)
			any_gpu |= r->cfgs[i].m[cols[k]].valid;
	}
	b->t->ncols = 6;
	for (size_t k = 0; k < ncols; k++) {
		shown[k] = any_gpu || cols[k] > GB_RM_GPU_ENERGY;
		b->t->ncols += (size_t)shown[k];
	}
	cell(b, "Model");
	cell(b, "Batch");
	cell(b, "Runtime/EP");
	cell(b, "Runs");
	for (size_t k = 0; k < ncols; k++)
		if (shown[k])
			cell(b, "%s", gb_rmetrics[cols[k]].title);
	cell(b, "Rank");
	cell(b, "Verdict");
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		char why[128];
		cell(b, "%s", c->model);
		cell(b, "%u", c->batch);
		cell(b, "%s", c->label);
		if (c->n_failed && c->n_invalid)
			cell(b, "%zu (+%zu failed, %zu invalid)", c->n_ok, c->n_failed, c->n_invalid);
		else if (c->n_invalid)
			cell(b, "%zu (+%zu invalid)", c->n_ok, c->n_invalid);
		else if (c->n_failed)
			cell(b, "%zu (+%zu failed)", c->n_ok, c->n_failed);
		else
			cell(b, "%zu", c->n_ok);
		for (size_t k = 0; k < ncols; k++) {
			if (!shown[k])
				continue;
			const char *method = cols[k] == GB_RM_GPU_ENERGY ? c->gpu_method :
					     cols[k] == GB_RM_CPU_ENERGY ? c->cpu_method :
					     cols[k] == GB_RM_TOTAL_ENERGY || cols[k] == GB_RM_EPI ? c->total_methods : NULL;
			ci_cell(&c->m[cols[k]], method, buf, sizeof buf);
			cell(b, "%s", buf);
		}
		if (c->rank)
			cell(b, "%d%s", c->rank, c->pareto ? " (Pareto)" : "");
		else
			cell(b, "-");
		gb_verdict_reasons_join(c->verdict_reasons, ", ", why, sizeof why);
		if (why[0])
			cell(b, "%s: %s", gb_verdict_level_name(c->verdict), why);
		else
			cell(b, "%s", gb_verdict_level_name(c->verdict));
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Mean ± half-width of the 95%% confidence interval over repetitions (Student t); (a to b): the interval cut to the quantity's range. "
		 "Invalid runs are left out of the figures; Verdict: the worst of the runs' (docs/measurement.md). "
		 "[method] = how each energy figure was obtained: counter, integrated or estimated. "
		 "Rank by energy per item within model and batch; Pareto = not beaten on both energy per item and latency within the model.%s",
		 any_gpu ? "" : " No run has GPU figures (no GPU, or none readable), so the GPU columns are left out.");
}

/* Table 3's layout: one row per model and batch, one column per runtime/EP. */
static void table3(const struct gb_report *r, struct tb *b, size_t nlabels, const char **labels)
{
	char buf[128], m[32];

	cell(b, "Model");
	cell(b, "Batch");
	for (size_t l = 0; l < nlabels; l++)
		cell(b, "%s", labels[l]);
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		double best = INFINITY;
		if (i && !strcmp(r->cfgs[i - 1].model, c->model) && r->cfgs[i - 1].batch == c->batch)
			continue;
		for (size_t j = i; j < r->ncfgs && !strcmp(r->cfgs[j].model, c->model) && r->cfgs[j].batch == c->batch; j++)
			if (r->cfgs[j].m[GB_RM_EPI].valid && r->cfgs[j].m[GB_RM_EPI].mean < best)
				best = r->cfgs[j].m[GB_RM_EPI].mean;
		cell(b, "%s", c->model);
		cell(b, "%u", c->batch);
		for (size_t l = 0; l < nlabels; l++) {
			const struct gb_report_config *hit = NULL;
			for (size_t j = i; j < r->ncfgs && !strcmp(r->cfgs[j].model, c->model) && r->cfgs[j].batch == c->batch; j++)
				if (!strcmp(r->cfgs[j].label, labels[l]))
					hit = &r->cfgs[j];
			if (!hit) {
				cell(b, "-");
				continue;
			}
			ci_cell(&hit->m[GB_RM_EPI], NULL, buf, sizeof buf);
			if (hit->m[GB_RM_EPI].valid && best > 0) {
				snprintf(m, sizeof m, "%.2f", hit->m[GB_RM_EPI].mean / best);
				cell(b, "%s (×%s)", buf, m);
			} else {
				cell(b, "%s", buf);
			}
		}
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Energy per item (mJ), mean ± 95%% CI; (×k) = k times the lowest of its row. '-' = not in the campaign.");
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
	snprintf(b->t->note, sizeof b->t->note,
		 "Two-sided Mann-Whitney U on energy per item between configurations of the same model and batch "
		 "(exact when both have at most 8 runs and no ties); Cliff's delta > 0 means A uses more energy per item.");
}

void gb_report_corr_text(const struct gb_report *r, int which, char *buf, size_t len)
{
	const struct gb_report_corr *c = which ? &r->util_power : &r->time_energy;
	const char *what = which ? "GPU utilisation vs GPU power" : "time per item vs energy per item";

	if (c->valid && c->by_construction)
		snprintf(buf, len, "Spearman rho, %s: %.3f (n = %zu runs): true by construction, every energy figure "
			 "is estimated as power x time; not a finding", what, c->rho, c->n);
	else if (c->valid)
		snprintf(buf, len, "Spearman rho, %s: %.3f (p = %.3g, n = %zu runs)", what, c->rho, c->p, c->n);
	else
		snprintf(buf, len, "Spearman rho, %s: not computable (%zu runs with both figures)", what, c->n);
}

int gb_rtables_build(const struct gb_report *r, struct rtable **out, size_t *n)
{
	struct rtable *t = calloc(4, sizeof *t);
	const char **labels = calloc(r->ncfgs + 1, sizeof *labels);
	size_t nl = 0, nt = 0;
	struct tb b;
	int err = 0;

	if (!t || !labels) {
		free(t);
		free(labels);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->ncfgs; i++) {
		size_t l;
		for (l = 0; l < nl && strcmp(labels[l], r->cfgs[i].label); l++)
			;
		if (l == nl)
			labels[nl++] = r->cfgs[i].label;
	}
	tb_init(&b, &t[nt++], "Table 1: energy and performance per model, batch size and runtime/EP", 0);
	table1(r, &b);
	err |= b.err;
	tb_init(&b, &t[nt++], "Table 3: execution providers compared (energy per item, mJ)", 2 + nl);
	table3(r, &b, nl, labels);
	err |= b.err;
	if (r->has_accuracy) {
		tb_init(&b, &t[nt++], "Table 2: accuracy", 5);
		table2(r, &b);
		err |= b.err;
	}
	tb_init(&b, &t[nt++], "Pairwise tests: energy per item", 7);
	pairs_table(r, &b);
	err |= b.err;
	free(labels);
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
