/*
 * Table 1: the study's figures per model, batch size and runtime/EP, each
 * energy with its method.
 */
#include "report/rtable.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int gb_section_table1(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b)
{
	static const enum gb_rmetric cols[] = { GB_RM_GPU_UTIL, GB_RM_GPU_UTIL_SD, GB_RM_GPU_MEM,
		GB_RM_GPU_POWER, GB_RM_GPU_ENERGY, GB_RM_CPU_ENERGY, GB_RM_TOTAL_ENERGY, GB_RM_TIME, GB_RM_EPI };
	const size_t ncols = sizeof cols / sizeof cols[0];
	int shown[sizeof cols / sizeof cols[0]], any_gpu = 0;
	char buf[128];

	(void)self;
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
	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	gb_rtable_add(b, "Runtime/EP");
	gb_rtable_add(b, "Runs");
	for (size_t k = 0; k < ncols; k++)
		if (shown[k])
			gb_rtable_add(b, "%s", gb_rmetrics[cols[k]].title);
	gb_rtable_add(b, "Rank");
	gb_rtable_add(b, "Verdict");
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		char why[128];
		gb_rtable_add(b, "%s", c->model);
		gb_rtable_add(b, "%u", c->batch);
		gb_rtable_add(b, "%s", c->label);
		if (c->n_failed && c->n_invalid)
			gb_rtable_add(b, "%zu (+%zu failed, %zu invalid)", c->n_ok, c->n_failed, c->n_invalid);
		else if (c->n_invalid)
			gb_rtable_add(b, "%zu (+%zu invalid)", c->n_ok, c->n_invalid);
		else if (c->n_failed)
			gb_rtable_add(b, "%zu (+%zu failed)", c->n_ok, c->n_failed);
		else
			gb_rtable_add(b, "%zu", c->n_ok);
		for (size_t k = 0; k < ncols; k++) {
			if (!shown[k])
				continue;
			const char *method = cols[k] == GB_RM_GPU_ENERGY ? c->gpu_method :
					     cols[k] == GB_RM_CPU_ENERGY ? c->cpu_method :
					     cols[k] == GB_RM_TOTAL_ENERGY || cols[k] == GB_RM_EPI ? c->total_methods : NULL;
			gb_rtable_ci_cell(&c->m[cols[k]], method, buf, sizeof buf);
			gb_rtable_add(b, "%s", buf);
		}
		if (c->rank)
			gb_rtable_add(b, "%d%s", c->rank, c->pareto ? " (Pareto)" : "");
		else
			gb_rtable_add(b, "-");
		gb_verdict_reasons_join(c->verdict_reasons, ", ", why, sizeof why);
		if (why[0])
			gb_rtable_add(b, "%s: %s", gb_verdict_level_name(c->verdict), why);
		else
			gb_rtable_add(b, "%s", gb_verdict_level_name(c->verdict));
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Mean ± half-width of the 95%% confidence interval over repetitions (Student t); (a to b): the interval cut to the quantity's range. "
		 "Invalid runs are left out of the figures; Verdict: the worst of the runs' (docs/measurement.md). "
		 "[method] = how each energy figure was obtained: counter, integrated or estimated. "
		 "Rank by energy per item within model and batch; Pareto = not beaten on both energy per item and latency within the model.%s",
		 any_gpu ? "" : " No run has GPU figures (no GPU, or none readable), so the GPU columns are left out.");
	return 0;
}
