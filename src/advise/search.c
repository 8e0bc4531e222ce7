/*
 * The order of screening (docs/advise.md, "Spending a short budget"): each
 * runtime's reference first (its verdicts and batch ladder start
 * everything), then the baseline, then one step at a time, from the
 * runtime expected to reach the least energy per item.
 *
 * A runtime whose axes combine into few candidates has them all
 * enumerated; its next step is its pending candidate with the best prior
 * (the product of 1 - gain over its settings, times the reference's
 * figure). Otherwise a step is one axis tried on the runtime's incumbent
 * (the best configuration screened so far: one factor at a time from a
 * strong base, so fp16 is screened with channels_last and torch.compile on
 * top of it, not each from fp32), every value of the axis, the best kept
 * when it beats the incumbent; the runtime's expectation is the incumbent's
 * figure times 1 - gain of every axis it has left that is expected to help
 * (its potential, below). Once a value has given at least half the axis's prior,
 * its other values are alternatives expected to add nothing: they wait,
 * and are tried later on the incumbent of then (torch.compile's
 * max-autotune, which tunes for minutes, after every step expected to
 * help). Steps whose prior is positive go before those without one, which
 * go before those expected to cost (use_tf32=0), whatever the expected
 * figures: a measured improvement anywhere is worth more than a
 * refinement nobody expects.
 *
 * Sessions: each runtime keeps its last session open; the next candidate
 * of that runtime takes it as it is (the same settings: the baseline at
 * batch 1, say), reconfigured (it differs only in run-time axes and the
 * row can: torch's dtype and layout on a loaded model), or opens its own.
 * The reference's outputs are kept in memory, so no session has to stay
 * open for the verdicts.
 */
#include "advise/advise_impl.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STOP 1	/* screening ends: stopped or the deadline */

static int screened(const struct gb_advise_candidate *c)
{
	return c->status != GB_ADVISE_PENDING;
}

/* Lower is better: energy per item, else time per item; NAN unknown. */
static double figure(const struct gb_advise_candidate *c)
{
	if (c->status != GB_ADVISE_OK)
		return NAN;
	if (!isnan(c->energy_per_item_mj))
		return c->energy_per_item_mj;
	return c->throughput_per_s > 0 ? 1e3 / c->throughput_per_s : NAN;
}

static uint64_t screen_deadline(struct gb_advise_state *a)
{
	const struct gb_advise_opts *o = a->o;
	double reserve = 0;

	/* Leave the first round its time, when a whole one fits in half the
	 * budget; else screening takes it all and the answer is screened. */
	if (!o->screen_only && o->max_rounds) {
		reserve = gb_advise_round1_estimate_s(a);
		if (reserve * 1e9 > (double)o->budget_ns / 2)
			reserve = 0;
	}
	return a->deadline_ns > (uint64_t)(reserve * 1e9) ? a->deadline_ns - (uint64_t)(reserve * 1e9) : 0;
}

static void env_of(struct gb_advise_state *a, struct gb_advise_screen_env *env)
{
	memset(env, 0, sizeof *env);
	env->o = a->o;
	env->model = &a->model;
	env->ds = a->ds;
	env->m = a->m;
	env->deadline_ns = screen_deadline(a);
	env->budget_end_ns = a->deadline_ns;
	env->window_energy_j = &a->window_energy_j;
}

/* ---- verdicts shared through speed-only axes ---------------------------- */

/* The settings that may change outputs: candidates equal in them share a
 * verdict, since the rest change speed only (the rows' declaration). */
static void numeric_signature(const struct gb_advise_candidate *c, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s/%s %s", c->rt->name, c->ep, c->model);

	for (size_t i = 0; i < c->nset && off < len; i++)
		if (c->set[i].axis->effect == GB_AXIS_NUMERIC)
			off += (size_t)snprintf(buf + off, len - off, " %s=%s", c->set[i].axis->name, c->set[i].value);
}

static const struct gb_advise_candidate *shared_verdict(const struct gb_advise_state *a,
							 const struct gb_advise_candidate *c)
{
	char sc[PATH_MAX + 512], so[PATH_MAX + 512];

	numeric_signature(c, sc, sizeof sc);
	for (size_t i = 0; i < a->nc; i++) {
		const struct gb_advise_candidate *d = &a->c[i];

		if (d == c || !d->agreement_valid || d->rt != c->rt)
			continue;
		numeric_signature(d, so, sizeof so);
		if (!strcmp(sc, so))
			return d;
	}
	return NULL;
}

/* ---- sessions ------------------------------------------------------------ */

/* rs->warm ready for c: taken as it is, reconfigured, or opened anew. */
static int acquire(const struct gb_advise_screen_env *env, struct gb_advise_rt *rs, struct gb_advise_candidate *c)
{
	struct gb_advise_session opts;
	double load_s = 0;
	uint64_t t0;
	int ret;

	if (rs->warm.side.session && !strcmp(rs->warm_cfg.label, c->label) && !strcmp(rs->warm_cfg.model, c->model)) {
		c->reused = 1;
		c->fresh_load_s = rs->warm_open_s;
		goto ready;
	}
	if (rs->warm.side.session && rs->rt->reconfigure && gb_advise_run_time_only(&rs->warm_cfg, c) &&
	    !gb_advise_session_options(env, c, &opts)) {
		t0 = gb_now_ns();
		ret = rs->rt->reconfigure(rs->warm.side.session, &opts.ro);
		load_s = (double)(gb_now_ns() - t0) / 1e9;
		c->load_s += load_s;
		c->wall_s += load_s;
		if (!ret) {
			c->reused = 1;
			c->fresh_load_s = rs->warm_open_s;
			goto ready;
		}
		/* values no session takes (channels_last for BERT): a new worker
		 * would load for seconds to say the same */
		if (ret == -EINVAL)
			return ret;
		/* refused: a session of its own, as without reconfigure */
	}
	/* The kept session goes only once the new one opened: a candidate
	 * that cannot load leaves it for the next. */
	t0 = gb_now_ns();
	ret = gb_advise_session_open(env, c, &opts, &load_s);
	if (ret) {
		c->wall_s += (double)(gb_now_ns() - t0) / 1e9;
		return ret;
	}
	gb_advise_session_close(&rs->warm);
	gb_advise_session_move(&rs->warm, &opts);
	c->load_s += load_s;
	c->wall_s += load_s;
	c->fresh_load_s = rs->warm_open_s = load_s;
ready:
	rs->warm_cfg = *c;
	return 0;
}

/* Our own allocation failed (the advice cannot go on), not the model's
 * batch (GB_ERROR_KIND_OOM: a runtime's, a worker's; that candidate fails). */
static int host_oom(int ret)
{
	return ret == -ENOMEM && gb_error_kind() != GB_ERROR_KIND_OOM;
}

/* The reference's outputs, kept; opened again when a resumed advice took
 * the reference's screening from the store. */
static int ensure_ref(struct gb_advise_state *a, const struct gb_advise_screen_env *env, struct gb_advise_rt *rs)
{
	struct gb_advise_candidate *r = &a->c[rs->ref];
	int ret;

	if (rs->refout.valid || r->status != GB_ADVISE_OK)
		return 0;
	if ((ret = acquire(env, rs, r)))
		return ret;
	ret = gb_advise_ref_outputs(env, &rs->warm.side, &rs->refout);
	return host_oom(ret) ? ret : 0;
}

/* ---- one candidate ------------------------------------------------------- */

static int report(struct gb_advise_state *a, const struct gb_advise_candidate *c, int from_store)
{
	if (a->cb && a->cb->screened)
		a->cb->screened(a->ctx, c, from_store);
	return 0;
}

/* Screen a->c[i] (from start_batch; 0: the ladder) unless it is done or
 * stored; STOP when screening has to end. */
static int screen_idx(struct gb_advise_state *a, struct gb_advise_rt *rs, size_t i, unsigned start_batch)
{
	struct gb_advise_screen_env env;
	struct gb_advise_candidate *c = &a->c[i];
	const struct gb_advise_candidate *v;
	char why[320] = "";
	int ret;

	if (screened(c))
		return 0;
	if (gb_advise_from_store(a, c))
		return report(a, c, 1);
	env_of(a, &env);
	if (gb_advise_stopped(a))
		return STOP;
	if (gb_now_ns() >= env.deadline_ns) {
		a->ans->budget_ended = 1;
		return STOP;
	}
	if ((ret = gb_advise_store_screen(a, c, 1)))
		return ret;
	if (!c->is_reference && (v = shared_verdict(a, c))) {
		c->agreement_valid = 1;
		c->agreement = v->agreement;
		c->max_abs_diff = v->max_abs_diff;
		c->accuracy = v->accuracy;
		if (v->status == GB_ADVISE_REJECTED && !c->is_baseline) {
			/* the same outputs as a rejected one: no need to load it */
			c->status = GB_ADVISE_REJECTED;
			c->energy_per_item_mj = c->gpu_energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
			snprintf(c->reason, sizeof c->reason, "%.380s (its outputs are %.100s's)", v->reason, v->label);
			goto stored;
		}
	}
	if (c->is_baseline && !c->agreement_valid) {
		c->agreement_valid = 1;	/* no verdict needed: it is what runs today */
		c->agreement = 1;
	}
	if (!c->is_reference && !c->agreement_valid && (ret = ensure_ref(a, &env, rs)))
		return ret;
	if ((ret = acquire(&env, rs, c))) {
		c->status = GB_ADVISE_FAILED;
		c->energy_per_item_mj = c->gpu_energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
		snprintf(c->reason, sizeof c->reason, "cannot load: %s", gb_error_msg());
		goto stored;
	}
	if (c->is_reference && !rs->refout.valid &&
	    (ret = gb_advise_ref_outputs(&env, &rs->warm.side, &rs->refout))) {
		if (host_oom(ret))
			return ret;
		snprintf(why, sizeof why, "%s", gb_error_msg());
	}
	if ((ret = gb_advise_screen(&env, c, &rs->warm, &rs->refout, start_batch)))
		return ret;
	if (!rs->warm.side.session)
		rs->warm_cfg.label[0] = '\0';
	if (c->is_reference && why[0] && c->status == GB_ADVISE_OK)
		snprintf(c->reason, sizeof c->reason, "its outputs cannot be compared: %.250s", why);
	if (gb_advise_stopped(a))	/* interrupted: a resume screens it again */
		return gb_store_screen_forget(a->store, a->ans->advise_id, c->idx) ? -EIO : STOP;
stored:
	if ((ret = gb_advise_store_screen(a, c, 0)) || (ret = gb_advise_checkpoint(a)))
		return ret;
	return report(a, c, 0);
}

/* ---- the steps ------------------------------------------------------------ */

struct step {
	struct gb_advise_rt *rs;
	int cls;
	double expected;
	size_t cand;		/* full: the candidate; else SIZE_MAX (the next axis) */
	int deferred;		/* a value that waited, not the next axis */
};

static int before(const struct step *x, const struct step *y)
{
	if (!y->rs)
		return 1;
	if (x->cls != y->cls)
		return x->cls < y->cls;
	return x->expected < y->expected;
}

/* What a runtime searched one axis at a time could still reach, as a
 * share of its incumbent's figure: every axis left that is expected to
 * help, paying off as its prior says. Runtimes are compared by this, not
 * by their next step alone: one that is behind but has torch's dtype,
 * layout, io and torch.compile left (0.65^4 = 0.18) goes before one that
 * is ahead with one small step left, or a short budget never reaches the
 * big ones (MobileNetV2 on the H200, 2 min: ORT's 28.6 mJ found, torch's
 * 13.6 by hand never tried). */
static double potential(const struct gb_advise_rt *rs)
{
	double p = 1;

	for (size_t k = rs->next_axis; k < rs->nax; k++)
		if (rs->axes[k]->gain > 0)
			p *= 1 - rs->axes[k]->gain;
	return p;
}

static int next_step(struct gb_advise_state *a, struct step *best)
{
	memset(best, 0, sizeof *best);
	for (size_t r = 0; r < a->nrts; r++) {
		struct gb_advise_rt *rs = &a->rts[r];
		double base = figure(&a->c[rs->full ? rs->ref : rs->incumbent]);
		struct step s = { rs, 0, 0, SIZE_MAX, 0 };

		if (isnan(base))
			continue;	/* its reference failed: nothing to start from */
		if (rs->full) {
			int found = 0;

			for (size_t i = 0; i < a->nc; i++) {
				const struct gb_advise_candidate *c = &a->c[i];
				struct step t = { rs, 0, 0, i, 0 };

				if (c->rt != rs->rt || c->is_baseline || screened(c))
					continue;
				t.expected = base * gb_advise_prior(c, &t.cls);
				if (!found || before(&t, &s))
					s = t;
				found = 1;
			}
			if (!found)
				continue;
		} else {
			/* the next axis, or a value that waited if that comes first */
			struct step t = { rs, 0, 0, SIZE_MAX, 0 };
			int have = 0;

			if (rs->next_axis < rs->nax) {
				double g = rs->axes[rs->next_axis]->gain;

				s.cls = g > 0 ? 0 : g == 0 ? 1 : 2;
				s.expected = g > 0 ? base * potential(rs) : base * (1 - g);
				have = 1;
			}
			if (rs->next_deferred < rs->ndeferred) {
				t.cls = rs->deferred[rs->next_deferred].axis->gain < 0 ? 2 : 1;
				t.expected = base;
				t.deferred = 1;
				if (!have || before(&t, &s))
					s = t;
				have = 1;
			}
			if (!have)
				continue;
		}
		if (before(&s, best))
			*best = s;
	}
	return best->rs != NULL;
}

static size_t find_label(const struct gb_advise_state *a, const char *label, const char *model)
{
	for (size_t i = 0; i < a->nc; i++)
		if (!a->c[i].is_baseline && !strcmp(a->c[i].label, label) && !strcmp(a->c[i].model, model))
			return i;
	return SIZE_MAX;
}

/* Every value of the runtime's next axis on its incumbent; the best stays. */
static int axis_step(struct gb_advise_state *a, struct gb_advise_rt *rs)
{
	const struct gb_runtime_axis *ax = rs->axes[rs->next_axis];
	struct gb_advise_candidate base = a->c[rs->incumbent], d;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *vals[16];
	char store[16][16];
	size_t nv = gb_runtime_axis_values(ax, ncpu > 0 ? (unsigned)ncpu : 1, vals, store, 16), best = rs->incumbent;
	int ret = 0;

	double want = figure(&base) * (1 - ax->gain / 2);
	size_t k;

	for (k = 0; k < nv && !ret; k++) {
		size_t at;

		if (k && best != rs->incumbent && figure(&a->c[best]) <= want)
			break;	/* half the prior reached: the other values wait */
		if (gb_advise_derive(&base, ax, vals[k], &d) || !gb_advise_model_for(a, &d))
			continue;	/* a requirement the row lacks here, a model variant missing */
		if ((at = find_label(a, d.label, d.model)) == SIZE_MAX) {
			d.parent = rs->incumbent;
			if ((ret = gb_advise_add(a, &d, &at)))
				return ret;
		}
		if (at == rs->incumbent)
			continue;
		ret = screen_idx(a, rs, at, base.batch);
		if (a->c[at].status == GB_ADVISE_OK && gb_advise_better_screen(&a->c[at], &a->c[best]))
			best = at;
	}
	if (ret)
		return ret;	/* the step is not done: a resume makes it again */
	for (; k < nv && rs->ndeferred < sizeof rs->deferred / sizeof rs->deferred[0]; k++) {
		rs->deferred[rs->ndeferred].axis = ax;
		snprintf(rs->deferred[rs->ndeferred++].value, sizeof rs->deferred[0].value, "%s", vals[k]);
	}
	rs->incumbent = best;
	rs->next_axis++;
	return 0;
}

/* A value that waited, on the incumbent of now. */
static int deferred_step(struct gb_advise_state *a, struct gb_advise_rt *rs)
{
	const struct gb_advise_setting *v = &rs->deferred[rs->next_deferred];
	struct gb_advise_candidate base = a->c[rs->incumbent], d;
	size_t at;
	int ret;

	if (!gb_advise_derive(&base, v->axis, v->value, &d) && gb_advise_model_for(a, &d)) {
		if ((at = find_label(a, d.label, d.model)) == SIZE_MAX) {
			d.parent = rs->incumbent;
			if ((ret = gb_advise_add(a, &d, &at)))
				return ret;
		}
		if (at != rs->incumbent) {
			if ((ret = screen_idx(a, rs, at, base.batch)))
				return ret;
			if (a->c[at].status == GB_ADVISE_OK && gb_advise_better_screen(&a->c[at], &a->c[rs->incumbent]))
				rs->incumbent = at;
		}
	}
	rs->next_deferred++;
	return 0;
}

/* What was never reached, listed as not screened: the rest of each
 * enumerated runtime is already there; a runtime searched one axis at a
 * time gets each axis left on its incumbent. */
static int list_unreached(struct gb_advise_state *a)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	for (size_t r = 0; r < a->nrts; r++) {
		struct gb_advise_rt *rs = &a->rts[r];

		if (rs->full || isnan(figure(&a->c[rs->incumbent])))
			continue;
		for (size_t k = rs->next_axis; k < rs->nax + rs->ndeferred; k++) {
			const struct gb_runtime_axis *ax = k < rs->nax ? rs->axes[k] : rs->deferred[k - rs->nax].axis;
			const char *vals[16];
			char store[16][16];
			size_t nv = k < rs->nax ? gb_runtime_axis_values(ax, ncpu > 0 ? (unsigned)ncpu : 1, vals, store, 16) : 1, at;
			struct gb_advise_candidate d;
			int ret;

			if (k >= rs->nax && k - rs->nax < rs->next_deferred)
				continue;	/* tried */
			if (k >= rs->nax)
				vals[0] = rs->deferred[k - rs->nax].value;
			for (size_t v = 0; v < nv; v++) {
				if (gb_advise_derive(&a->c[rs->incumbent], ax, vals[v], &d) || !gb_advise_model_for(a, &d) ||
				    find_label(a, d.label, d.model) != SIZE_MAX)
					continue;
				d.parent = rs->incumbent;
				if ((ret = gb_advise_add(a, &d, &at)))
					return ret;
			}
		}
	}
	return 0;
}

size_t gb_advise_planned(const struct gb_advise_state *a)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = a->nc;	/* the references, enumerated runtimes and the baseline */

	for (size_t r = 0; r < a->nrts; r++) {
		const struct gb_advise_rt *rs = &a->rts[r];

		for (size_t k = 0; !rs->full && k < rs->nax; k++) {
			const char *vals[16];
			char store[16][16];

			n += gb_runtime_axis_values(rs->axes[k], ncpu > 0 ? (unsigned)ncpu : 1, vals, store, 16);
		}
	}
	return n;
}

int gb_advise_search(struct gb_advise_state *a)
{
	struct step s;
	int ret = 0;

	for (size_t r = 0; r < a->nrts && !ret; r++)
		ret = screen_idx(a, &a->rts[r], a->rts[r].ref, 0);
	/* the baseline early: the answer's saving and every round need it */
	for (size_t i = 0; i < a->nc && !ret; i++)
		if (a->c[i].is_baseline) {
			struct gb_advise_rt *rs = NULL;

			for (size_t r = 0; r < a->nrts; r++)
				if (a->rts[r].rt == a->c[i].rt)
					rs = &a->rts[r];
			if (rs) {
				ret = screen_idx(a, rs, i, 0);
			} else {
				struct gb_advise_rt own;

				memset(&own, 0, sizeof own);
				own.rt = a->c[i].rt;
				ret = screen_idx(a, &own, i, 0);
				gb_advise_session_close(&own.warm);
			}
		}
	while (!ret && next_step(a, &s)) {
		if (s.cand != SIZE_MAX) {
			ret = screen_idx(a, s.rs, s.cand, a->c[s.rs->ref].batch);
		} else if (s.deferred) {
			ret = deferred_step(a, s.rs);
		} else {
			ret = axis_step(a, s.rs);
		}
	}
	for (size_t r = 0; r < a->nrts; r++) {
		gb_advise_session_close(&a->rts[r].warm);
		gb_advise_refout_release(&a->rts[r].refout);
	}
	if (ret == STOP)
		ret = 0;
	if (!ret && !gb_advise_stopped(a))
		ret = list_unreached(a);
	return ret;
}
