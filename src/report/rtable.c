/*
 * The report's tables as text cells: the builder the sections use, and
 * the loop over the section table (sections.c).
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
void gb_rtable_ci_cell(const struct gb_ci *c, const char *method, char *buf, size_t len)
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
		/* Rounding error of identical values is no spread. */
		num(c->hi - c->mean > 1e-9 * fabs(c->mean) ? c->hi - c->mean : 0, h, sizeof h);
		off = (size_t)snprintf(buf, len, "%s ± %s", m, h);
	} else {
		off = (size_t)snprintf(buf, len, "%s", m);
	}
	if (method && *method && off < len)
		snprintf(buf + off, len - off, " [%s]", method);
}

void gb_rtable_scaled_cell(const struct gb_ci *c, double f, const char *method, char *buf, size_t len)
{
	struct gb_ci s = *c;

	s.mean *= f;
	s.lo *= f;
	s.hi *= f;
	gb_rtable_ci_cell(&s, method, buf, len);
}

void gb_rtable_list_add(char *buf, size_t len, size_t *used, const char *one)
{
	if (strstr(buf, one) || *used >= len)
		return;
	*used += (size_t)snprintf(buf + *used, len - *used, "%s%s", *used ? "; " : "", one);
}

static void builder_init(struct gb_rtable_builder *b, struct rtable *t, const char *title, size_t ncols)
{
	memset(t, 0, sizeof *t);
	snprintf(t->title, sizeof t->title, "%s", title);
	t->ncols = ncols;
	memset(b, 0, sizeof *b);
	b->t = t;
}

void gb_rtable_add(struct gb_rtable_builder *b, const char *fmt, ...)
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

int gb_rtables_build(const struct gb_report *r, struct rtable **out, size_t *n)
{
	struct rtable *t = calloc(gb_report_section_count, sizeof *t);
	struct gb_rtable_builder b;
	size_t nt = 0;
	int err = 0;

	if (!t)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < gb_report_section_count && !err; i++) {
		const struct gb_report_section *s = &gb_report_sections[i];

		builder_init(&b, &t[nt], s->title, s->ncols);
		err = s->build(s, r, &b);
		if (!err)
			err = b.err;
		if (err || !b.skip)
			nt++;
		else
			gb_rtables_free_one(&t[nt]);
	}
	if (err) {
		gb_rtables_free(t, nt);
		return gb_error_set(err, "cannot build the report's tables: %s", strerror(-err));
	}
	*out = t;
	*n = nt;
	return 0;
}

void gb_rtables_free_one(struct rtable *t)
{
	for (size_t c = 0; t->cells && c < (t->nrows + 1) * t->ncols; c++)
		free(t->cells[c]);
	free(t->cells);
	t->cells = NULL;
}

void gb_rtables_free(struct rtable *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		gb_rtables_free_one(&t[i]);
	free(t);
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
