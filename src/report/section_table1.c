/*
 * Table 1 in the study's terms: per model, batch and runtime/EP the
 * study's columns (GPU utilisation, memory, power; GPU, CPU and total
 * energy with their methods; inference time) for the study's workload
 * (energy and time for N items), then what the study lacked: energy per
 * item split GPU/CPU, net of idle, throughput, p50/p99 latency.
 */
#include "report/rtable.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_section_table1(const struct gb_report_section *self, const struct gb_report *r,
		      struct gb_rtable_builder *b)
{
	/* Columns: k, scaled to the workload (J or s for per_items items). */
	static const struct { int k; int per_n; } cols[] = {
		{ GB_RM_GPU_UTIL, 0 }, { GB_RM_GPU_UTIL_SD, 0 }, { GB_RM_GPU_MEM, 0 }, { GB_RM_GPU_POWER, 0 },
		{ GB_RD_GPU_EPI, 1 }, { GB_RD_CPU_EPI, 1 }, { GB_RM_EPI, 1 }, { GB_RD_NET_EPI, 1 },
		{ GB_RD_TIME_PER_ITEM, 1 }, { GB_RD_GPU_EPI, 0 }, { GB_RD_CPU_EPI, 0 }, { GB_RM_EPI, 0 },
		{ GB_RM_THROUGHPUT, 0 }, { GB_RM_LATENCY_P50_MS, 0 }, { GB_RM_LATENCY_P99_MS, 0 },
	};
	static const char *const per_n_titles[GB_RF_COUNT] = {
		[GB_RD_GPU_EPI] = "GPU energy (J)", [GB_RD_CPU_EPI] = "CPU energy (J)",
		[GB_RM_EPI] = "Total energy (J)", [GB_RD_NET_EPI] = "Net energy (J)",
		[GB_RD_TIME_PER_ITEM] = "Inference time (s)",
	};
	const size_t ncols = sizeof cols / sizeof cols[0];
	int shown[sizeof cols / sizeof cols[0]], any_gpu = 0;
	char buf[128];

	(void)self;
	/* A campaign without any GPU figure (a CPU-only machine) drops the GPU
	 * columns instead of filling them with <not supported>; the note says
	 * so. The net column is there when some run has an idle baseline. */
	for (size_t i = 0; i < r->ncfgs; i++)
		for (int k = GB_RM_GPU_UTIL; k <= GB_RM_GPU_ENERGY; k++)
			any_gpu |= r->cfgs[i].m[k].valid;
	b->t->ncols = 7;
	for (size_t k = 0; k < ncols; k++) {
		int gpu = cols[k].k <= GB_RM_GPU_ENERGY || cols[k].k == GB_RD_GPU_EPI;
		shown[k] = (any_gpu || !gpu) && (cols[k].k != GB_RD_NET_EPI || r->has_net);
		b->t->ncols += (size_t)shown[k];
	}
	gb_rtable_add(b, "Model");
	gb_rtable_add(b, "Batch");
	gb_rtable_add(b, "Runtime/EP");
	gb_rtable_add(b, "Runs");
	gb_rtable_add(b, "Items");
	for (size_t k = 0; k < ncols; k++)
		if (shown[k])
			gb_rtable_add(b, "%s", cols[k].per_n ? per_n_titles[cols[k].k] : gb_rmetrics[cols[k].k].title);
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
		gb_rtable_add(b, "%u", c->per_items);
		for (size_t k = 0; k < ncols; k++) {
			int m = cols[k].k;
			if (!shown[k])
				continue;
			const char *method = !cols[k].per_n ? NULL : m == GB_RD_GPU_EPI ? c->gpu_method :
					     m == GB_RD_CPU_EPI ? c->cpu_method : m == GB_RM_EPI ? c->total_methods : NULL;
			/* mJ/item or ms/item times N items: J or s. */
			gb_rtable_scaled_cell(&c->m[m], cols[k].per_n ? c->per_items / 1e3 : 1, method, buf, sizeof buf);
			gb_rtable_add(b, "%s", buf);
		}
		if (c->rank)
			gb_rtable_add(b, "%d%s", c->rank, c->pareto ? " (Pareto)" : "");
		else
			gb_rtable_add(b, "-");
		gb_verdict_reasons_join(c->verdict_reasons, ", ", why, sizeof why);
		if (!c->n_ok && !c->n_invalid)
			gb_rtable_add(b, "%s", c->n_failed ? "failed" : "-");	/* no run to judge */
		else if (why[0])
			gb_rtable_add(b, "%s: %s", gb_verdict_level_name(c->verdict), why);
		else
			gb_rtable_add(b, "%s", gb_verdict_level_name(c->verdict));
	}
	snprintf(b->t->note, sizeof b->t->note,
		 "Energy and time are for Items items, the study's workload (10,000 images, 25,000 reviews) unless --per says otherwise; "
		 "mJ/item, throughput and latency are per item or batch. Mean ± half-width of the 95%% confidence interval over repetitions (Student t); "
		 "(a to b): the interval cut to the quantity's range. "
		 "Invalid runs are left out of the figures; Verdict: the worst of the runs' (docs/measurement.md). "
		 "[method]: counter, integrated or estimated. Rank by energy per item within model and batch; "
		 "Pareto: not beaten on both energy per item and latency within model and batch.%s%s",
		 r->has_net ? " Net: less the idle power measured before the run." : "",
		 any_gpu ? "" : " No run has GPU figures (no GPU, or none readable), so the GPU columns are left out.");
	return 0;
}
