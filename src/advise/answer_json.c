/*
 * The advisor's answer as JSON (`advise --json`, and the advice's
 * answer_json in the results database): the same figures as the table.
 */
#include "greenbench/advise.h"

#include "greenbench/verdict.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

static void add_num(cJSON *o, const char *k, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, v);
}

char *gb_advise_answer_json(const struct gb_advise_answer *a)
{
	cJSON *j = cJSON_CreateObject(), *arr;
	char *s;

	if (!j)
		return NULL;
	cJSON_AddNumberToObject(j, "advise_id", (double)a->advise_id);
	cJSON_AddBoolToObject(j, "resumed", a->resumed);
	cJSON_AddBoolToObject(j, "separated", a->separated);
	cJSON_AddBoolToObject(j, "budget_ended", a->budget_ended);
	cJSON_AddBoolToObject(j, "stopped", a->stopped);
	cJSON_AddNumberToObject(j, "rounds", a->rounds);
	add_num(j, "saving_pct", a->saving_pct);
	cJSON_AddNumberToObject(j, "wall_s", a->wall_s);
	cJSON_AddNumberToObject(j, "measured_s", a->measured_s);
	cJSON_AddNumberToObject(j, "load_s", a->load_s);
	add_num(j, "screen_energy_j", a->screen_energy_j);
	cJSON_AddStringToObject(j, "screen_energy_methods", a->screen_energy_methods);
	cJSON_AddBoolToObject(j, "screen_energy_partial", a->screen_energy_partial);
	add_num(j, "runs_energy_j", a->runs_energy_j);
	add_num(j, "measured_share", a->wall_s > 0 ? a->measured_s / a->wall_s : NAN);
	/* the advisor's own cost: time and energy outside measured phases */
	cJSON_AddNumberToObject(j, "overhead_s", a->wall_s - a->measured_s);
	cJSON_AddNumberToObject(j, "screen_s", a->screen_s);
	cJSON_AddNumberToObject(j, "screen_measured_s", a->screen_measured_s);
	cJSON_AddNumberToObject(j, "runs_s", a->runs_s);
	cJSON_AddNumberToObject(j, "runs_measured_s", a->runs_measured_s);
	cJSON_AddNumberToObject(j, "reused_sessions", (double)a->reused);
	add_num(j, "screen_window_energy_j", a->screen_window_energy_j);
	add_num(j, "screen_overhead_energy_j", a->screen_energy_j - a->screen_window_energy_j);	/* NAN: either absent */
	add_num(j, "reference_accuracy", a->ref_accuracy);
	if (a->winner != SIZE_MAX) {
		cJSON_AddStringToObject(j, "winner", a->cands[a->winner].label);
		cJSON_AddNumberToObject(j, "winner_batch", a->cands[a->winner].batch);
		cJSON_AddStringToObject(j, "command", a->command);
		cJSON_AddStringToObject(j, "plan_entry", a->plan_entry);
	} else {
		cJSON_AddNullToObject(j, "winner");
	}
	arr = cJSON_AddArrayToObject(j, "candidates");
	for (size_t i = 0; arr && i < a->ncands; i++) {
		const struct gb_advise_candidate *c = &a->cands[i];
		cJSON *o = cJSON_CreateObject(), *set;

		if (!o)
			break;
		cJSON_AddItemToArray(arr, o);
		cJSON_AddNumberToObject(o, "rank", (double)i + 1);
		cJSON_AddStringToObject(o, "label", c->label);
		cJSON_AddStringToObject(o, "runtime", c->rt->name);
		cJSON_AddStringToObject(o, "ep", c->ep);
		set = cJSON_AddObjectToObject(o, "settings");
		for (size_t k = 0; set && k < c->nset; k++)
			cJSON_AddStringToObject(set, c->set[k].axis->name, c->set[k].value);
		cJSON_AddStringToObject(o, "status", gb_advise_status_name(c->status));
		if (c->reason[0])
			cJSON_AddStringToObject(o, "reason", c->reason);
		cJSON_AddBoolToObject(o, "baseline", c->is_baseline);
		cJSON_AddBoolToObject(o, "reference", c->is_reference);
		cJSON_AddBoolToObject(o, "pareto", c->pareto);
		cJSON_AddNumberToObject(o, "batch", c->batch);
		add_num(o, "agreement", c->agreement_valid ? c->agreement : NAN);
		add_num(o, "max_abs_diff", c->agreement_valid ? c->max_abs_diff : NAN);
		add_num(o, "accuracy", c->accuracy);
		if (c->parent != SIZE_MAX && c->parent < a->ncands)
			cJSON_AddNumberToObject(o, "from_idx", (double)c->parent);
		cJSON_AddNumberToObject(o, "idx", (double)c->idx);
		cJSON_AddBoolToObject(o, "reused_session", c->reused);
		cJSON_AddNumberToObject(o, "load_s", c->load_s);
		cJSON_AddNumberToObject(o, "setup_s", c->setup_s);
		cJSON_AddNumberToObject(o, "screen_wall_s", c->wall_s);
		add_num(o, "screen_gpu_energy_per_item_mj", c->gpu_energy_per_item_mj);
		add_num(o, "screen_energy_per_item_mj", c->energy_per_item_mj);
		add_num(o, "screen_throughput_per_s", c->throughput_per_s);
		add_num(o, "screen_p99_ms", c->p99_ms);
		cJSON_AddStringToObject(o, "energy_methods", c->methods);
		cJSON_AddNumberToObject(o, "runs_ok", (double)c->runs_ok);
		cJSON_AddNumberToObject(o, "runs_failed", (double)c->runs_failed);
		cJSON_AddNumberToObject(o, "runs_invalid", (double)c->runs_invalid);
		cJSON_AddNumberToObject(o, "runs_suspect", (double)c->runs_suspect);
		if (c->verdict_reasons) {
			cJSON *why = cJSON_AddArrayToObject(o, "verdict_reasons");

			for (int r = 0; r < GB_VR_COUNT; r++)
				if (c->verdict_reasons >> r & 1)
					cJSON_AddItemToArray(why, cJSON_CreateString(gb_verdict_reasons[r].name));
		}
		if (c->throttle) {
			char words[256];

			gb_verdict_throttle_text(c->throttle, words, sizeof words);
			cJSON_AddNumberToObject(o, "throttle_reasons", (double)c->throttle);
			cJSON_AddStringToObject(o, "throttle", words);
		}
		add_num(o, "energy_per_item_mj", c->epi.valid ? c->epi.mean : NAN);
		add_num(o, "energy_per_item_ci_lo", c->epi.ci_valid ? c->epi.lo : NAN);
		add_num(o, "energy_per_item_ci_hi", c->epi.ci_valid ? c->epi.hi : NAN);
		add_num(o, "throughput_per_s", c->epi.valid ? c->run_throughput_per_s : NAN);
		add_num(o, "p99_ms", c->epi.valid ? c->run_p99_ms : NAN);
		add_num(o, "gpu_energy_per_item_mj", c->epi.valid ? c->run_gpu_energy_per_item_mj : NAN);
	}
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}
