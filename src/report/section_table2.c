/*
 * Table 2: accuracy per model, batch and runtime/EP (campaigns with data).
 */
#include "report/rtable.h"

#include <stdio.h>
#include <string.h>

int gb_section_table2(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b)
{
	char buf[128];

	(void)self;
	/* Only campaigns that measured accuracy (data: in the file) have it;
	 * the others say how to get it. */
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No accuracy: no run was measured on labelled data. Give a model `data:` (and `limit:`) in the experiment file.");

	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	gb_rtable_add(b, "Runtime/EP");
	gb_rtable_add(b, "Top-1");
	gb_rtable_add(b, "Top-5");
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		if (!c->m[GB_RM_TOP1].valid && !c->m[GB_RM_TOP5].valid)
			continue;
		gb_rtable_add(b, "%s", c->model);
		gb_rtable_add(b, "%u", c->batch);
		gb_rtable_add(b, "%s", c->label);
		gb_rtable_ci_cell(&c->m[GB_RM_TOP1], NULL, buf, sizeof buf);
		gb_rtable_add(b, "%s", buf);
		gb_rtable_ci_cell(&c->m[GB_RM_TOP5], NULL, buf, sizeof buf);
		gb_rtable_add(b, "%s", buf);
	}
	return 0;
}
