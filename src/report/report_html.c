/*
 * One self-contained HTML report: inline CSS, inline SVG plots drawn here,
 * no script, font, image or style loaded from anywhere. Plots: energy per
 * item with 95% CI bars (one chart per model), the Pareto front of energy
 * per item against latency (per model), power and GPU utilisation over
 * time for one run. Every plotted value is also in a data-* attribute.
 */
#include "report/rtable.h"
#include "greenbench/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 640
#define H 300
#define ML 70	/* left margin */
#define MR 60
#define MT 20
#define MB 80

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static double nice_max(double v)
{
	double e, m;

	if (!(v > 0))
		return 1;
	e = pow(10, floor(log10(v)));
	m = v / e;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

struct axis {
	double x0, x1, y0, y1;
};

static double px(const struct axis *a, double x)
{
	return ML + (x - a->x0) / (a->x1 - a->x0) * (W - ML - MR);
}

static double py(const struct axis *a, double y)
{
	return H - MB - (y - a->y0) / (a->y1 - a->y0) * (H - MT - MB);
}

static void axes(FILE *f, const struct axis *a, const char *xlabel, const char *ylabel, int xticks)
{
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", ML, H - MB, W - MR, H - MB);
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", ML, MT, ML, H - MB);
	for (int i = 0; i <= 4; i++) {
		double v = a->y0 + (a->y1 - a->y0) * i / 4;
		fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>", ML - 4, py(a, v) + 4, v);
		if (xticks) {
			double x = a->x0 + (a->x1 - a->x0) * i / 4;
			fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g</text>", px(a, x), H - MB + 16, x);
		}
	}
	fprintf(f, "\n<text class=\"label\" x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">", (H - MB + MT) / 2, (H - MB + MT) / 2);
	esc(f, ylabel);
	fputs("</text>", f);
	if (xlabel) {
		fprintf(f, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (W - MR + ML) / 2, H - MB + 36);
		esc(f, xlabel);
		fputs("</text>", f);
	}
	fputc('\n', f);
}

static void epi_chart(const struct gb_report *r, FILE *f, size_t from, size_t to)
{
	struct axis a = { 0, (double)(to - from), 0, 0 };
	double bw = (double)(W - ML - MR) / (double)(to - from);

	for (size_t i = from; i < to; i++) {
		const struct gb_ci *c = &r->cfgs[i].m[GB_RM_EPI];
		if (c->valid)
			a.y1 = fmax(a.y1, c->ci_valid ? c->hi : c->mean);
	}
	a.y1 = nice_max(a.y1 * 1.05);
	fprintf(f, "<figure><svg class=\"plot epi\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H, W, H);
	axes(f, &a, NULL, "energy per item (mJ)", 0);
	for (size_t i = from; i < to; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		const struct gb_ci *m = &c->m[GB_RM_EPI];
		double x = ML + bw * (double)(i - from) + bw * 0.15, cx = x + bw * 0.35;
		if (m->valid) {
			fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" data-config=\"",
				x, py(&a, m->mean), bw * 0.7, py(&a, 0) - py(&a, m->mean));
			esc(f, c->label);
			fprintf(f, " b%u\" data-mean=\"%.6g\"><title>", c->batch, m->mean);
			esc(f, c->label);
			fprintf(f, " b%u: %.4g mJ/item</title></rect>", c->batch, m->mean);
			if (m->ci_valid)
				fprintf(f, "<line class=\"ci\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" data-lo=\"%.6g\" data-hi=\"%.6g\"/>",
					cx, cx, py(&a, m->lo), py(&a, m->hi), m->lo, m->hi);
		}
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-35 %.1f %d)\">", cx, H - MB + 14, cx, H - MB + 14);
		esc(f, c->label);
		fprintf(f, " b%u</text>\n", c->batch);
	}
	fputs("</svg><figcaption>Energy per item by configuration of <b>", f);
	esc(f, r->cfgs[from].model);
	fputs("</b>: mean over repetitions, bars show the 95% confidence interval.</figcaption></figure>\n", f);
}

static int cmp_lat(const void *x, const void *y)
{
	const struct gb_report_config *a = *(const struct gb_report_config *const *)x;
	const struct gb_report_config *b = *(const struct gb_report_config *const *)y;
	double la = a->m[GB_RM_LATENCY_MS].mean, lb = b->m[GB_RM_LATENCY_MS].mean;

	return (la > lb) - (la < lb);
}

static void pareto_chart(const struct gb_report *r, FILE *f, size_t from, size_t to)
{
	struct axis a = { 0, 0, 0, 0 };
	const struct gb_report_config **front = calloc(to - from, sizeof *front);
	size_t nf = 0, np = 0;

	if (!front)
		return;
	for (size_t i = from; i < to; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		if (!c->m[GB_RM_EPI].valid || !c->m[GB_RM_LATENCY_MS].valid)
			continue;
		a.x1 = fmax(a.x1, c->m[GB_RM_LATENCY_MS].mean);
		a.y1 = fmax(a.y1, c->m[GB_RM_EPI].mean);
		np++;
		if (c->pareto)
			front[nf++] = c;
	}
	if (!np) {
		free(front);
		return;
	}
	a.x1 = nice_max(a.x1 * 1.05);
	a.y1 = nice_max(a.y1 * 1.05);
	fprintf(f, "<figure><svg class=\"plot pareto\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H, W, H);
	axes(f, &a, "mean batch latency (ms)", "energy per item (mJ)", 1);
	qsort(front, nf, sizeof *front, cmp_lat);
	fputs("<polyline class=\"front\" points=\"", f);
	for (size_t i = 0; i < nf; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(&a, front[i]->m[GB_RM_LATENCY_MS].mean), py(&a, front[i]->m[GB_RM_EPI].mean));
	fputs("\"/>\n", f);
	for (size_t i = from; i < to; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		if (!c->m[GB_RM_EPI].valid || !c->m[GB_RM_LATENCY_MS].valid)
			continue;
		double x = px(&a, c->m[GB_RM_LATENCY_MS].mean), y = py(&a, c->m[GB_RM_EPI].mean);
		fprintf(f, "<circle class=\"pt%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" data-latency-ms=\"%.6g\" data-epi=\"%.6g\"><title>",
			c->pareto ? " front" : "", x, y, c->m[GB_RM_LATENCY_MS].mean, c->m[GB_RM_EPI].mean);
		esc(f, c->label);
		fprintf(f, " b%u</title></circle><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">", c->batch, x + 7, y - 4);
		esc(f, c->label);
		fprintf(f, " b%u</text>\n", c->batch);
	}
	fputs("</svg><figcaption>Energy per item against latency for <b>", f);
	esc(f, r->cfgs[from].model);
	fputs("</b>; filled points and the line form the Pareto front.</figcaption></figure>\n", f);
	free(front);
}

static void polyline(FILE *f, const char *cls, const struct axis *a, const double *t, const double *v, size_t n, double scale)
{
	fprintf(f, "<polyline class=\"%s\" data-n=\"%zu\" points=\"", cls, n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", px(a, t[i]), py(a, v[i] * scale));
	fputs("\"/>\n", f);
}

static void series_chart(const struct gb_report *r, FILE *f)
{
	struct axis a = { 0, 0, 0, 0 };
	double scale = 1;

	if (!r->nseries_power && !r->nseries_util)
		return;
	for (size_t i = 0; i < r->nseries_power; i++) {
		a.x1 = fmax(a.x1, r->series_tp[i]);
		a.y1 = fmax(a.y1, r->series_power[i]);
	}
	for (size_t i = 0; i < r->nseries_util; i++)
		a.x1 = fmax(a.x1, r->series_tu[i]);
	a.x1 = a.x1 > 0 ? a.x1 : 1;
	a.y1 = nice_max(a.y1 > 0 ? a.y1 * 1.05 : 100);
	scale = a.y1 / 100.0;	/* utilisation 0-100 % drawn on the power axis' height */
	fprintf(f, "<figure><svg class=\"plot series\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H, W, H);
	axes(f, &a, "time (s)", r->nseries_power ? "GPU power (W)" : "GPU utilisation (%)", 1);
	if (r->nseries_power)
		polyline(f, "series-power", &a, r->series_tp, r->series_power, r->nseries_power, 1);
	if (r->nseries_util) {
		polyline(f, "series-util", &a, r->series_tu, r->series_util, r->nseries_util, r->nseries_power ? scale : 1);
		fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\">100%% util</text>", W - MR + 4, MT + 4);
	}
	fputs("</svg><figcaption>GPU power (solid) and utilisation (dashed, 0-100% on the same height) over time, ", f);
	esc(f, r->series_label);
	fputs(".</figcaption></figure>\n", f);
}

static const char css[] =
	"body{font:14px/1.4 sans-serif;margin:2em;color:#222;max-width:1400px}"
	"table{border-collapse:collapse;margin:1em 0;font-size:12px}"
	"th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}"
	"th{background:#eee}td:nth-child(-n+3){text-align:left}"
	".note{font-size:12px;color:#555}.warn{color:#a40}"
	"svg .axis{stroke:#333}svg .tick{font-size:10px;fill:#333}svg .label{font-size:12px;fill:#111}"
	"svg .bar{fill:#4a90c2}svg .ci{stroke:#000;stroke-width:2}"
	"svg .pt{fill:#fff;stroke:#c0392b;stroke-width:2}svg .pt.front{fill:#c0392b}"
	"svg .front{fill:none;stroke:#c0392b;stroke-dasharray:4 3}"
	"svg .series-power{fill:none;stroke:#2c7a3f;stroke-width:1.5}"
	"svg .series-util{fill:none;stroke:#7a4a2c;stroke-width:1.5;stroke-dasharray:5 3}"
	"figure{display:inline-block;margin:1em}figcaption{font-size:12px;max-width:640px}";

int gb_report_write_html(const struct gb_report_format *self, const struct gb_report *r, FILE *f)
{
	struct rtable *t = NULL;
	size_t nt = 0;
	char buf[256];
	int ret;

	if ((ret = gb_rtables_build(r, &t, &nt)))
		return ret;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>greenbench: ", f);
	esc(f, r->info.name);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>Campaign %lld: ", css, (long long)r->info.id);
	esc(f, r->info.name);
	fputs("</h1>\n<p>", f);
	esc(f, r->info.file);
	fprintf(f, ", seed %llu, started %s, %zu of %zu runs recorded.</p>\n", (unsigned long long)r->info.seed,
		r->info.created_at, r->info.nruns_done, r->info.nruns_planned);
	if (r->nwarnings) {
		fputs("<h2>Warnings</h2><ul class=\"warn\">\n", f);
		for (size_t i = 0; i < r->nwarnings; i++) {
			fputs("<li>", f);
			esc(f, r->warnings[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<h2>Plots</h2>\n", f);
	for (size_t i = 0, j; i < r->ncfgs; i = j) {
		for (j = i; j < r->ncfgs && !strcmp(r->cfgs[j].model, r->cfgs[i].model); j++)
			;
		epi_chart(r, f, i, j);
		pareto_chart(r, f, i, j);
	}
	series_chart(r, f);
	for (size_t i = 0; i < nt; i++) {
		const struct rtable *tb = &t[i];
		fputs("<h2>", f);
		esc(f, tb->title);
		fputs("</h2>\n<table>\n", f);
		for (size_t row = 0; row <= tb->nrows; row++) {
			fputs("<tr>", f);
			for (size_t c = 0; c < tb->ncols; c++) {
				fputs(row ? "<td>" : "<th>", f);
				esc(f, gb_rtable_cell(tb, row, c));
				fputs(row ? "</td>" : "</th>", f);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
		if (tb->note[0]) {
			fputs("<p class=\"note\">", f);
			esc(f, tb->note);
			fputs("</p>\n", f);
		}
	}
	fputs("<h2>Correlations</h2><ul>\n", f);
	for (int w = 0; w < 2; w++) {
		gb_report_corr_text(r, w, buf, sizeof buf);
		fputs("<li>", f);
		esc(f, buf);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n<p class=\"note\">Generated by greenbench.</p>\n</body></html>\n", f);
	gb_rtables_free(t, nt);
	return 0;
}
