/*
 * Table 3: one row per model and batch, one column per runtime/EP, each
 * cell the energy per item and its ratio to the row's lowest.
 */
#include "report/rtable.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_section_table3(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b)
{
	const char **labels = calloc(r->ncfgs + 1, sizeof *labels);
	size_t nlabels = 0;
	char buf[128], m[32];

	(void)self;
	if (!labels)
		return -ENOMEM;
	for (size_t i = 0; i < r->ncfgs; i++) {
		size_t l;
		for (l = 0; l < nlabels && strcmp(labels[l], r->cfgs[i].label); l++)
			;
		if (l == nlabels)
			labels[nlabels++] = r->cfgs[i].label;
	}
	b->t->ncols = 2 + nlabels;
	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	for (size_t l = 0; l < nlabels; l++)
		gb_rtable_add(b, "%s", labels[l]);
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		double best = INFINITY;
		if (i && !strcmp(r->cfgs[i - 1].model, c->model) && r->cfgs[i - 1].batch == c->batch)
			continue;
		for (size_t j = i; j < r->ncfgs && !strcmp(r->cfgs[j].model, c->model) && r->cfgs[j].batch == c->batch; j++)
			if (r->cfgs[j].m[GB_RM_EPI].valid && r->cfgs[j].m[GB_RM_EPI].mean < best)
				best = r->cfgs[j].m[GB_RM_EPI].mean;
		gb_rtable_add(b, "%s", c->model);
		gb_rtable_add(b, "%u", c->batch);
		for (size_t l = 0; l < nlabels; l++) {
			const struct gb_report_config *hit = NULL;
			for (size_t j = i; j < r->ncfgs && !strcmp(r->cfgs[j].model, c->model) && r->cfgs[j].batch == c->batch; j++)
				if (!strcmp(r->cfgs[j].label, labels[l]))
					hit = &r->cfgs[j];
			if (!hit) {
				gb_rtable_add(b, "-");
				continue;
			}
			gb_rtable_ci_cell(&hit->m[GB_RM_EPI], NULL, buf, sizeof buf);
			if (hit->m[GB_RM_EPI].valid && best > 0) {
				snprintf(m, sizeof m, "%.2f", hit->m[GB_RM_EPI].mean / best);
				gb_rtable_add(b, "%s (×%s)", buf, m);
			} else {
				gb_rtable_add(b, "%s", buf);
			}
		}
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Energy per item (mJ), mean ± 95%% CI; (×k) = k times the lowest of its row. '-' = not in the campaign.");
	free(labels);
	return 0;
}
