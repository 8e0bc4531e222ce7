/*
 * Table 3 as in the study: per model, batch and runtime setup one column
 * per execution provider, each cell the energy per item and its ratio to
 * the row's lowest. A row is a configuration's label less its EP (struct
 * gb_report_config's setup), not its runtime: Keras on JAX and Keras on
 * torch are two rows, ort/cuda and ort/tensorrt one.
 */
#include "report/rtable.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row of Table 3: same model, batch and setup. */
static int same_row3(const struct gb_report_config *a, const struct gb_report_config *b)
{
	return a->ep[0] && b->ep[0] && !strcmp(a->model, b->model) && a->batch == b->batch &&
	       !strcmp(a->setup, b->setup);
}

/* Table 3 as in the study: per model, batch and setup, one column per
 * execution provider, energy per item and its ratio to the row's best. */
int gb_section_table3(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b)
{
	const char **eps = calloc(r->ncfgs + 1, sizeof *eps);
	size_t neps = 0;
	char buf[128];

	(void)self;
	if (!eps)
		return -ENOMEM;
	for (size_t i = 0; i < r->ncfgs; i++) {
		size_t l;
		if (!r->cfgs[i].ep[0])
			continue;
		for (l = 0; l < neps && strcmp(eps[l], r->cfgs[i].ep); l++)
			;
		if (l == neps)
			eps[neps++] = r->cfgs[i].ep;
	}
	b->t->ncols = 3 + neps;

	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	gb_rtable_add(b, "Runtime");
	for (size_t l = 0; l < neps; l++)
		gb_rtable_add(b, "%s", eps[l]);
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
		gb_rtable_add(b, "%s", c->model);
		gb_rtable_add(b, "%u", c->batch);
		gb_rtable_add(b, "%s", c->setup);
		for (size_t l = 0; l < neps; l++) {
			const struct gb_report_config *hit = NULL;
			/* Two labels of one setup and EP ("ort/cuda" and "ort" on
			 * cuda) share a cell: the first, in the report's order. */
			for (size_t j = i; j < r->ncfgs && !hit; j++)
				if (same_row3(&r->cfgs[j], c) && !strcmp(r->cfgs[j].ep, eps[l]))
					hit = &r->cfgs[j];
			if (!hit) {
				gb_rtable_add(b, "-");
				continue;
			}
			gb_rtable_ci_cell(&hit->m[GB_RM_EPI], NULL, buf, sizeof buf);
			if (hit->m[GB_RM_EPI].valid && best > 0)
				gb_rtable_add(b, "%s (×%.2f)", buf, hit->m[GB_RM_EPI].mean / best);
			else if (!hit->n_ok)	/* no run in the statistics: say why */
				gb_rtable_add(b, "%s", hit->n_invalid ? "invalid" : "failed");
			else
				gb_rtable_add(b, "%s", buf);
		}
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Energy per item (mJ), mean ± 95%% CI; (×k) = k times the lowest of its row. '-' = not in the campaign; failed: every run failed; invalid: every ok run is invalid (Table 1's Verdict says why).");
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No run names an execution provider, so there is nothing to compare across providers.");
	free(eps);
	return 0;
}
