/*
 * Pairwise tests: Mann-Whitney U and Cliff's delta on energy per item
 * between configurations of the same model and batch.
 */
#include "report/rtable.h"

#include <stdio.h>

int gb_section_pairs(const struct gb_report_section *self, const struct gb_report *r,
		     struct gb_rtable_builder *b)
{
	(void)self;
	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	gb_rtable_add(b, "A");
	gb_rtable_add(b, "B");
	gb_rtable_add(b, "U");
	gb_rtable_add(b, "p");
	gb_rtable_add(b, "Cliff's delta");
	for (size_t i = 0; i < r->npairs; i++) {
		const struct gb_report_pair *p = &r->pairs[i];
		gb_rtable_add(b, "%s", r->cfgs[p->a].model);
		gb_rtable_add(b, "%u", r->cfgs[p->a].batch);
		gb_rtable_add(b, "%s", r->cfgs[p->a].label);
		gb_rtable_add(b, "%s", r->cfgs[p->b].label);
		gb_rtable_add(b, "%.1f", p->u);
		gb_rtable_add(b, "%.4g%s", p->p, p->exact ? "" : " (approx.)");
		gb_rtable_add(b, "%+.2f", p->delta);
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Two-sided Mann-Whitney U on energy per item between configurations of the same model and batch "
		 "(exact when both have at most 8 runs and no ties); Cliff's delta > 0 means A uses more energy per item.");
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No pairwise tests: no two configurations of the same model and batch have two or more ok runs each.");
	return 0;
}
