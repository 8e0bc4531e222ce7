/*
 * RQ2: each framework's own model against the model converted from it
 * (torch against torch2onnx on ort ...), percent change in energy and
 * time per item with the interval and whether it excludes zero.
 */
#include "report/rtable.h"

#include <stdio.h>

#define NOT_SUPPORTED "<not supported>"

/* RQ2: the framework's own model against the model converted from it. */
int gb_section_conversions(const struct gb_report_section *self, const struct gb_report *r,
			   struct gb_rtable_builder *b)
{
	(void)self;
	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	gb_rtable_add(b, "Framework");
	gb_rtable_add(b, "Converted");
	gb_rtable_add(b, "Energy/item change");
	gb_rtable_add(b, "Time/item change");
	for (size_t i = 0; i < r->nconversions; i++) {
		const struct gb_report_conversion *cv = &r->conversions[i];
		const struct gb_report_config *a = &r->cfgs[cv->a], *c = &r->cfgs[cv->b];
		gb_rtable_add(b, "%s", a->model);
		gb_rtable_add(b, "%u", a->batch);
		gb_rtable_add(b, "%s", a->label);
		gb_rtable_add(b, "%s (%s)", c->label, c->converted_from);
		for (int w = 0; w < 2; w++) {
			const __typeof__(cv->energy) *x = w ? &cv->time : &cv->energy;
			if (!x->valid)
				gb_rtable_add(b, NOT_SUPPORTED);
			else if (!x->ci_valid)
				gb_rtable_add(b, "%+.1f%%", x->pct);
			else
				gb_rtable_add(b, "%+.1f%% [%+.1f, %+.1f]%s", x->pct, x->lo_pct, x->hi_pct,
				     x->excludes_zero ? " *" : "");
		}
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Change of the converted model against the framework's own (same model, batch and EP), in percent of the "
		 "framework's mean, with the 95%% Welch interval of the difference; * = the interval excludes zero.");
	snprintf(b->t->empty, sizeof b->t->empty,
		 "No converted model in this campaign: add a model converted from a framework (`- {zoo: resnet50, convert: "
		 "tf2onnx}`) next to a runtime of that framework to compare them.");
	return 0;
}
