/*
 * The advisor's measured rounds: the finalists (and, in the first, the
 * baseline) as one campaign per round, child `greenbench run` processes
 * through the engine, the field halved each round until the winner's 95% CI
 * of energy per item is below the runner-up's, the rounds are done, or the
 * budget ends. The baseline is measured once, for the saving: a later
 * round is there to separate the leaders, and on the H200 a short budget
 * once spent its second round on the baseline instead of the runner-up. A
 * round's campaign is stored as the round begins, so a resume goes on with
 * it (the engine skips runs that have a row).
 */
#include "advise/advise_impl.h"
#include "greenbench/error.h"
#include "greenbench/plan.h"
#include "greenbench/time.h"
#include "greenbench/verdict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ns_text(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000 ? ns / 1000000 : 1));
}

/* The round's experiment file: each candidate at its batch, everything
 * else of the models x runtimes x batches matrix excluded. */
static int round_plan_text(struct gb_advise_state *a, struct gb_advise_candidate *const *cs, size_t n, unsigned reps,
			   unsigned round, char **out)
{
	size_t cap = 65536, off = 0;
	char *t = malloc(cap), warm[32], dur[32], to[32], entry[1024];
	unsigned batches[64];
	size_t nb = 0;
	int ret = 0;

#define P(...) (off += (size_t)snprintf(t + off, off < cap ? cap - off : 0, __VA_ARGS__))
	if (!t)
		return gb_error_set(-ENOMEM, "out of memory");
	ns_text(a->o->screen_ns, warm, sizeof warm);
	ns_text(a->o->measure_ns, dur, sizeof dur);
	ns_text(a->o->run_timeout_ns, to, sizeof to);
	/* The measured phase lasts --measure: run's 100 batches at least
	 * would make a slow model's runs (BERT on a CPU: a second a batch)
	 * outlast every estimate; 10 keep a p99 meaningful. */
	P("# greenbench advise %lld, round %u\nname: advise-%lld-round%u\nseed: %llu\nreps: %u\n"
	  "warmup: %s\niterations: 10\nmin_duration: %s\nrun_timeout: %s\nmodels:\n",
	  (long long)a->ans->advise_id, round, (long long)a->ans->advise_id, round,
	  (unsigned long long)(a->o->seed + round), reps, warm, dur, to);
	for (int v = 0; v < 2; v++) {
		int used = 0;

		for (size_t i = 0; i < n; i++)
			used |= v ? !strcmp(cs[i]->model, a->model.fp16) : strcmp(cs[i]->model, a->model.fp16) != 0;
		if (!used)
			continue;
		if (v)
			P("  - {file: '%s', name: fp16", a->model.fp16);
		else if (a->model.zoo)
			P("  - {zoo: %s, name: fp32", a->model.name);
		else
			P("  - {file: '%s', name: fp32", a->model.file);
		for (size_t d = 0; d < a->model.ndims; d++)
			P("%s%s: %llu", d ? ", " : ", dims: {", a->model.dims[d].name,
			  (unsigned long long)a->model.dims[d].value);
		P("%s}\n", a->model.ndims ? "}" : "");
	}
	P("runtimes:\n");
	for (size_t i = 0; i < n; i++) {
		int dup = 0;

		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(cs[j]->label, cs[i]->label);
		if (dup)
			continue;
		if ((ret = gb_advise_yaml_runtime(cs[i], &a->model, 1, entry, sizeof entry)))
			goto out;
		P("  - %s\n", entry);
	}
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < nb && batches[k] != cs[i]->batch)
			k++;
		if (k == nb && nb < 64)
			batches[nb++] = cs[i]->batch;
	}
	P("batches: [");
	for (size_t k = 0; k < nb; k++)
		P("%s%u", k ? ", " : "", batches[k]);
	P("]\n");
	/* every (model, runtime, batch) that is no candidate */
	int nex = 0;
	for (int v = 0; v < 2; v++)
		for (size_t i = 0; i < n; i++) {
			int first = 1;

			for (size_t j = 0; j < i; j++)
				first &= strcmp(cs[j]->label, cs[i]->label) != 0;
			if (!first)
				continue;
			for (size_t k = 0; k < nb; k++) {
				int keep = 0, model_used = 0;

				for (size_t j = 0; j < n; j++) {
					int fp16 = !strcmp(cs[j]->model, a->model.fp16);

					model_used |= fp16 == v;
					keep |= !strcmp(cs[j]->label, cs[i]->label) && cs[j]->batch == batches[k] && fp16 == v;
				}
				if (!keep && model_used)
					P("%s  - {model: %s, runtime: '%s', batch: %u}\n", nex++ ? "" : "exclude:\n",
					  v ? "fp16" : "fp32", cs[i]->label, batches[k]);
			}
		}
#undef P
	if (off >= cap) {
		ret = gb_error_set(-E2BIG, "the round's plan is too large");
		goto out;
	}
	*out = t;
	t = NULL;
out:
	free(t);
	return ret;
}

static void on_run_tick(void *ctx, const struct gb_engine_run *ev)
{
	struct gb_advise_state *a = ctx;

	(void)ev;
	if (gb_advise_stopped(a))
		a->round_stop = 1;
}

static void on_run_end(void *ctx, const struct gb_engine_run *ev, const struct gb_engine_result *res)
{
	struct gb_advise_state *a = ctx;

	if (res->outcome && res->outcome->wall_s > a->max_run_wall_s)
		a->max_run_wall_s = res->outcome->wall_s;
	gb_advise_checkpoint(a);
	if (a->cb && a->cb->run_end)
		a->cb->run_end(a->ctx, a->round, ev, res);
	if (gb_advise_stopped(a))
		a->round_stop = 1;
	/* Another run must fit in what is left of the budget. */
	if (gb_now_ns() + (uint64_t)(a->max_run_wall_s * 1e9) > a->deadline_ns) {
		a->round_stop = 1;
		a->ans->budget_ended = 1;
	}
}

static int run_round(struct gb_advise_state *a, int64_t campaign, const struct gb_plan *p)
{
	struct gb_engine_callbacks cb = { .run_tick = on_run_tick, .run_end = on_run_end };
	struct gb_engine_opts eo = {
		.plan = (struct gb_plan *)p, .store = a->store, .campaign = campaign,
		.run_cmd = a->o->run_cmd, .zoo_dir = a->zoo_dir, .meter = a->o->meter,
		.stop = &a->round_stop,
	};
	struct gb_engine_summary sum;

	a->round_stop = 0;
	return gb_campaign_engine_run(&eo, &cb, a, &sum);
}

/* Measured runs of every round so far, into each candidate's figures. */
static int collect(struct gb_advise_state *a, const int64_t *campaigns, size_t nrounds)
{
	double *epi = calloc(4096, sizeof *epi), *thr = calloc(4096, sizeof *thr), *p99 = calloc(4096, sizeof *p99);
	double *gpu = calloc(4096, sizeof *gpu);
	int ret = 0;

	if (!epi || !thr || !p99 || !gpu) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	a->runs_measured_s = a->runs_wall_s = 0;
	a->ans->runs_energy_j = 0;
	for (size_t i = 0; i < a->nc; i++) {
		struct gb_advise_candidate *c = &a->c[i];
		size_t n = 0, ngpu = 0;

		c->runs_ok = c->runs_failed = c->runs_invalid = c->runs_suspect = 0;
		c->verdict_reasons = 0;
		c->throttle = 0;
		for (size_t r = 0; r < nrounds && !ret; r++) {
			struct gb_store_run *runs = NULL;
			size_t nruns = 0;

			if ((ret = gb_store_runs_load(a->store, campaigns[r], &runs, &nruns)))
				break;
			for (size_t k = 0; k < nruns; k++) {
				if (strcmp(runs[k].label, c->label) || runs[k].batch != c->batch)
					continue;
				if (!isnan(runs[k].wall_s))
					a->runs_wall_s += runs[k].wall_s;
				if (!runs[k].ok) {
					c->runs_failed++;
					continue;
				}
				c->runs_ok++;
				if (!isnan(runs[k].m.verdict_reasons))
					c->verdict_reasons |= (uint32_t)runs[k].m.verdict_reasons;
				if (!isnan(runs[k].m.throttle_reasons))
					c->throttle |= (uint64_t)runs[k].m.throttle_reasons;
				c->runs_suspect += runs[k].m.verdict == GB_VERDICT_SUSPECT;
				/* the advisor's cost counts every run it made */
				if (!isnan(runs[k].m.inference_time_s))
					a->runs_measured_s += runs[k].m.inference_time_s;
				if (!isnan(runs[k].m.total_energy_j))
					a->ans->runs_energy_j += runs[k].m.total_energy_j;
				if (runs[k].m.verdict == GB_VERDICT_INVALID) {
					c->runs_invalid++;	/* counted, not averaged */
					continue;
				}
				if (n < 4096) {
					epi[n] = runs[k].m.energy_per_item_mj;
					thr[n] = runs[k].m.throughput_items_per_s;
					p99[n] = runs[k].m.latency_p99_ns / 1e6;
					n++;
					/* a run whose GPU could not be read has no share: left out, not 0 */
					if (!isnan(runs[k].m.gpu_energy_j) && runs[k].m.items > 0)
						gpu[ngpu++] = 1e3 * runs[k].m.gpu_energy_j / runs[k].m.items;
				}
			}
			free(runs);
		}
		gb_stats_ci95(epi, n, &c->epi);
		if (c->epi.ci_valid && c->epi.lo < 0)
			c->epi.lo = 0;	/* energy is never negative: 2 noisy runs' t-interval can reach below */
		struct gb_ci t, l;
		gb_stats_ci95(thr, n, &t);
		gb_stats_ci95(p99, n, &l);
		c->run_throughput_per_s = t.valid ? t.mean : NAN;
		c->run_p99_ms = l.valid ? l.mean : NAN;
		gb_stats_ci95(gpu, ngpu, &t);
		c->run_gpu_energy_per_item_mj = t.valid ? t.mean : NAN;
	}
out:
	free(gpu);
	free(epi);
	free(thr);
	free(p99);
	return ret;
}

int gb_advise_cmp_measured(const void *x, const void *y)
{
	const struct gb_advise_candidate *a = *(const struct gb_advise_candidate *const *)x;
	const struct gb_advise_candidate *b = *(const struct gb_advise_candidate *const *)y;

	if (a->epi.valid != b->epi.valid)
		return b->epi.valid - a->epi.valid;
	if (a->epi.valid && a->epi.mean != b->epi.mean)
		return a->epi.mean < b->epi.mean ? -1 : 1;
	if (gb_advise_better_screen(a, b))
		return -1;
	if (gb_advise_better_screen(b, a))
		return 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* What a round of cs[0..n) at reps repetitions is expected to take. */
static double round_estimate_s(const struct gb_advise_state *a, struct gb_advise_candidate *const *cs, size_t n,
			       unsigned reps)
{
	double t = 0;

	for (size_t i = 0; i < n; i++)
		t += gb_advise_run_estimate_s(a, cs[i]);
	return t * reps;
}

/* The field of the first round: the best screened, at most finalists. */
static size_t first_field(struct gb_advise_state *a, struct gb_advise_candidate **field, size_t *baseline)
{
	size_t n = 0;

	*baseline = SIZE_MAX;
	for (size_t i = 0; i < a->nc; i++) {
		if (a->c[i].is_baseline)
			*baseline = i;
		else if (a->c[i].status == GB_ADVISE_OK)
			field[n++] = &a->c[i];
	}
	qsort(field, n, sizeof *field, gb_advise_cmp_measured);
	return n > a->o->finalists ? a->o->finalists : n;
}

double gb_advise_round1_estimate_s(struct gb_advise_state *a)
{
	struct gb_advise_candidate **field = calloc(a->nc + 1, sizeof *field);
	size_t baseline, n;
	double t;

	if (!field)
		return 0;
	n = first_field(a, field, &baseline);
	if (baseline != SIZE_MAX && a->c[baseline].status == GB_ADVISE_OK)
		field[n++] = &a->c[baseline];
	t = round_estimate_s(a, field, n, a->o->reps);
	free(field);
	return t;
}

static int base_in_round(const struct gb_advise_state *a, size_t baseline, unsigned round)
{
	return round == 1 && baseline != SIZE_MAX && a->c[baseline].status == GB_ADVISE_OK;
}

/* Round r's configurations into cs: the field's first nfield, and the
 * baseline in the first round; returns how many. */
static size_t field_of_round(struct gb_advise_state *a, struct gb_advise_candidate **field, size_t nfield,
			     size_t baseline, unsigned round, struct gb_advise_candidate **cs)
{
	size_t n = 0;

	for (size_t i = 0; i < nfield; i++)
		cs[n++] = field[i];
	if (base_in_round(a, baseline, round))
		cs[n++] = &a->c[baseline];
	return n;
}

int gb_advise_rounds(struct gb_advise_state *a)
{
	struct gb_advise_candidate **field = NULL, **cs = NULL;
	int64_t *campaigns = NULL;
	size_t nrounds = 0, nfield = 0, baseline = SIZE_MAX;
	struct gb_plan *p = NULL;
	char *text = NULL;
	int ret;

	field = calloc(a->nc + 1, sizeof *field);
	cs = calloc(a->nc + 1, sizeof *cs);
	if (!field || !cs) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	nfield = first_field(a, field, &baseline);
	if ((ret = gb_store_advice_rounds_load(a->store, a->ans->advise_id, &campaigns, &nrounds)))
		goto out;
	for (unsigned r = 1; r <= a->o->max_rounds && nfield; r++) {
		size_t n = 0;
		int64_t campaign;
		unsigned reps = a->o->reps;

		a->round = r;
		if (r > nrounds) {
			/* A new round only when all its runs fit in what is left
			 * (each estimated from its screening), with fewer
			 * finalists if need be: a round cut short would rank the
			 * configurations it reached above those it did not. */
			uint64_t now = gb_now_ns();
			double left = now < a->deadline_ns ? (double)(a->deadline_ns - now) / 1e9 : 0;
			size_t least = r == 1 ? 1 : 2;	/* a later round compares two at least */

			if (gb_advise_stopped(a) || nfield < least)
				break;
			for (;;) {
				n = field_of_round(a, field, nfield, baseline, r, cs);
				if (nfield <= least || round_estimate_s(a, cs, n, reps) <= left)
					break;
				nfield--;
			}
			if (round_estimate_s(a, cs, n, reps) > left) {
				a->ans->budget_ended = 1;
				break;
			}
			if ((ret = round_plan_text(a, cs, n, reps, r, &text)) ||
			    (ret = gb_plan_parse(text, strlen(text), "advise-round.yaml", &p)) ||
			    (ret = gb_store_campaign_create(a->store, p, text, &campaign)) ||
			    (ret = gb_store_advice_round_insert(a->store, a->ans->advise_id, r, campaign)))
				goto out;
			int64_t *nc = realloc(campaigns, (nrounds + 1) * sizeof *nc);
			if (!nc) {
				ret = gb_error_set(-ENOMEM, "out of memory");
				goto out;
			}
			campaigns = nc;
			campaigns[nrounds++] = campaign;
		} else {
			struct gb_store_campaign_info info;
			int has_base = base_in_round(a, baseline, r);
			size_t planned;

			campaign = campaigns[r - 1];
			if ((ret = gb_store_campaign_info(a->store, campaign, &info)))
				goto out;
			/* the field as the round was planned (it may have been cut to fit) */
			planned = reps ? info.nruns_planned / reps : 0;
			if (planned > (size_t)has_base && planned - (size_t)has_base < nfield)
				nfield = planned - (size_t)has_base;
			n = field_of_round(a, field, nfield, baseline, r, cs);
			if ((ret = round_plan_text(a, cs, n, reps, r, &text)) ||
			    (ret = gb_plan_parse(text, strlen(text), "advise-round.yaml", &p)))
				goto out;
			if (info.nruns_done >= info.nruns_planned)
				goto done_round;
		}
		if (gb_now_ns() >= a->deadline_ns) {
			a->ans->budget_ended = 1;	/* a resumed round with no time left */
			break;
		}
		if (a->cb && a->cb->round_start)
			a->cb->round_start(a->ctx, r, n, reps);
		if ((ret = run_round(a, campaign, p)))
			goto out;
done_round:
		a->ans->rounds = r;
		gb_plan_free(p);
		p = NULL;
		free(text);
		text = NULL;
		if ((ret = collect(a, campaigns, nrounds)))
			goto out;
		if (a->round_stop || gb_advise_stopped(a))
			break;
		qsort(field, nfield, sizeof *field, gb_advise_cmp_measured);
		if (nfield >= 2 && field[0]->epi.ci_valid && field[1]->epi.ci_valid && field[0]->epi.hi < field[1]->epi.lo)
			break;	/* separated */
		if (nfield > 2)
			nfield = (nfield + 1) / 2;
	}
	ret = collect(a, campaigns, nrounds);
out:
	gb_plan_free(p);
	free(text);
	free(campaigns);
	free(field);
	free(cs);
	return ret;
}

