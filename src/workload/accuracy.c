/*
 * Top-1/top-5 accuracy and output agreement (include/greenbench/accuracy.h).
 */
#include "greenbench/accuracy.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>

void gb_accuracy_init(struct gb_accuracy *a)
{
	a->n = a->top1 = a->top5 = 0;
}

size_t gb_scores_argmax(const float *row, size_t ncls)
{
	size_t best = 0;
	int have = 0;

	if (ncls == 1)
		return row[0] > 0.0f;
	for (size_t c = 0; c < ncls; c++) {
		if (isnan(row[c]))
			continue;
		if (!have || row[c] > row[best]) {
			best = c;
			have = 1;
		}
	}
	return best;
}

int gb_scores_in_top_k(const float *row, size_t ncls, size_t label, size_t k)
{
	size_t above = 0;
	float s;

	if (ncls == 1)
		return k >= 2 || gb_scores_argmax(row, 1) == label;
	s = row[label];
	if (isnan(s))
		return 0;
	for (size_t c = 0; c < ncls && above < k; c++)
		if (!isnan(row[c]) && (row[c] > s || (row[c] == s && c < label)))
			above++;
	return above < k;
}

int gb_accuracy_add(struct gb_accuracy *a, const float *scores, size_t n, size_t ncls,
		    const int64_t *labels)
{
	size_t limit = ncls == 1 ? 2 : ncls;
	uint64_t t1 = 0, t5 = 0;

	if (!ncls)
		return gb_error_set(-EINVAL, "model output has no classes");
	for (size_t i = 0; i < n; i++)
		if (labels[i] < 0 || (uint64_t)labels[i] >= limit)
			return gb_error_set(-EINVAL, "label %lld of row %zu is outside the model's %zu classes",
					    (long long)labels[i], i, limit);
	for (size_t i = 0; i < n; i++) {
		const float *row = scores + i * ncls;

		t1 += gb_scores_in_top_k(row, ncls, (size_t)labels[i], 1);
		t5 += gb_scores_in_top_k(row, ncls, (size_t)labels[i], 5);
	}
	a->n += n;
	a->top1 += t1;
	a->top5 += t5;
	return 0;
}

static int frac(uint64_t hits, uint64_t n, double *out)
{
	if (!n)
		return gb_error_set(-ENODATA, "no labelled rows were counted");
	*out = (double)hits / (double)n;
	return 0;
}

int gb_accuracy_top1(const struct gb_accuracy *a, double *f)
{
	return frac(a->top1, a->n, f);
}

int gb_accuracy_top5(const struct gb_accuracy *a, double *f)
{
	return frac(a->top5, a->n, f);
}

void gb_agreement_init(struct gb_agreement *g)
{
	*g = (struct gb_agreement){ 0 };
}

void gb_agreement_add(struct gb_agreement *g, const float *a, const float *b, size_t n, size_t ncls)
{
	for (size_t i = 0; i < n; i++) {
		const float *ra = a + i * ncls, *rb = b + i * ncls;
		int flat_a = 1, flat_b = 1;

		g->top1_agree += gb_scores_argmax(ra, ncls) == gb_scores_argmax(rb, ncls);
		for (size_t c = 1; c < ncls; c++) {
			flat_a &= ra[c] == ra[0];
			flat_b &= rb[c] == rb[0];
		}
		g->flat_rows += ncls > 1 && flat_b && !flat_a;
		for (size_t c = 0; c < ncls; c++) {
			if (!isnan(ra[c]) && fabs((double)ra[c]) > g->max_abs_first)
				g->max_abs_first = fabs((double)ra[c]);
			if (isnan(ra[c]) != isnan(rb[c])) {
				g->nan_mismatch++;
				continue;
			}
			if (isnan(ra[c]))
				continue;
			double d = fabs((double)ra[c] - (double)rb[c]);

			if (d > g->max_abs_diff)
				g->max_abs_diff = d;
			g->sum_abs_diff += d;
			g->values++;
		}
	}
	g->n += n;
}
