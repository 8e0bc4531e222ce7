/*
 * The advisor (greenbench/advise.h): candidates from the rows' axes,
 * screening in this process, and the answer; the measured rounds are
 * rounds.c, the JSON answer_json.c. State lives in the results database,
 * so a call with `resume` repeats nothing that finished.
 */
#include "advise/advise_impl.h"
#include "greenbench/campaign.h"
#include "greenbench/error.h"
#include "greenbench/paths.h"
#include "greenbench/plan.h"
#include "greenbench/store.h"
#include "greenbench/time.h"
#include "greenbench/zoo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gb_advise_opts_init(struct gb_advise_opts *o)
{
	memset(o, 0, sizeof *o);
	o->ep = "cpu";
	o->min_agreement = 0.99;
	o->budget_ns = 20 * 60 * GB_NS_PER_S;
	o->db = "results.db";
	o->max_batch = 256;
	o->max_candidates = 24;
	o->agree_batch = 8;
	o->agree_batches = 2;
	o->screen_ns = GB_NS_PER_S;
	o->measure_ns = 10 * GB_NS_PER_S;
	o->reps = 3;
	o->max_rounds = 3;
	o->finalists = 4;
	o->run_timeout_ns = 600 * GB_NS_PER_S;
	o->seed = 42;
}

int gb_advise_stopped(const struct gb_advise_state *a)
{
	return a->o->stop && *a->o->stop;
}

uint64_t gb_advise_spent_ns(const struct gb_advise_state *a)
{
	return a->spent_before_ns + (gb_now_ns() - a->t_start_ns);
}

/* ---- setting up --------------------------------------------------------- */

static void key_of(const struct gb_advise_opts *o, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len,
				      "model=%s ep=%s p99=%g agree=%g budget=%llu maxb=%u maxc=%u screen=%llu "
				      "measure=%llu reps=%u rounds=%u finalists=%u seed=%llu baseline=%s",
				      o->model, o->ep, o->max_p99_ms, o->min_agreement,
				      (unsigned long long)o->budget_ns, o->max_batch, o->max_candidates,
				      (unsigned long long)o->screen_ns, (unsigned long long)o->measure_ns, o->reps,
				      o->max_rounds, o->finalists, (unsigned long long)o->seed,
				      o->baseline ? o->baseline : "");

	for (size_t i = 0; o->runtimes && o->runtimes[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " rt=%s", o->runtimes[i]);
	for (size_t i = 0; o->axes && o->axes[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " axis=%s", o->axes[i]);
	for (size_t i = 0; i < o->ndims && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " dim=%s=%llu", o->dims[i].name,
					(unsigned long long)o->dims[i].value);
}

static int add_candidate(struct gb_advise_state *a, const struct gb_advise_candidate *c)
{
	int ret = gb_advise_append(&a->c, &a->nc, &a->capc, c);

	if (!ret) {
		a->c[a->nc - 1].idx = a->nc - 1;
		a->c[a->nc - 1].epi.valid = 0;
	}
	return ret;
}

/* The model file a candidate opens: the zoo name for a runtime that
 * builds it by name, the fp16 variant for dtype=fp16, else the fp32 file.
 * 0 when the variant it needs does not exist (the candidate is dropped). */
static int model_for(struct gb_advise_state *a, struct gb_advise_candidate *c)
{
	const char *dt = NULL;

	for (size_t i = 0; i < c->nset; i++)
		if (c->set[i].axis->via == GB_AXIS_VIA_MODEL_DTYPE)
			dt = c->set[i].value;
	if (a->model.zoo && c->rt->zoo_by_name && !dt) {
		snprintf(c->model, sizeof c->model, "%s", a->model.name);
		return 1;
	}
	if (dt && strcmp(dt, "fp16"))
		return 0;
	if (dt && !a->model.fp16[0])
		return 0;
	snprintf(c->model, sizeof c->model, "%s", dt ? a->model.fp16 : a->model.file);
	return 1;
}

static int resolve_model(struct gb_advise_state *a, int need_fp16)
{
	struct gb_advise_ctx_model *m = &a->model;
	int ret;

	m->name = a->o->model;
	m->dims = a->o->dims;
	m->ndims = a->o->ndims;
	m->zoo = access(m->name, F_OK) && gb_zoo_find(m->name);
	if (!m->zoo) {
		const char *dot = strrchr(m->name, '.');

		if (access(m->name, R_OK))
			return gb_error_set(-errno, "cannot open model '%s': %s (expected a zoo model or an ONNX file)",
					    m->name, strerror(errno));
		snprintf(m->file, sizeof m->file, "%s", m->name);
		/* a file's fp16 variant sits beside it: M.onnx -> M.fp16.onnx */
		snprintf(m->fp16, sizeof m->fp16, "%.*s.fp16.onnx", dot ? (int)(dot - m->name) : (int)strlen(m->name),
			 m->name);
		if (access(m->fp16, R_OK))
			m->fp16[0] = '\0';
		return 0;
	}
	if ((ret = gb_campaign_zoo_export(a->run_cmd, m->name, NULL, a->zoo_dir, m->file, sizeof m->file)))
		return ret;
	if (need_fp16 && gb_campaign_zoo_export(a->run_cmd, m->name, "fp16", a->zoo_dir, m->fp16, sizeof m->fp16))
		m->fp16[0] = '\0';	/* its candidates are left out */
	return 0;
}

/* A row asked for (or any, without --runtimes) that takes the EP and
 * starts here. */
static int searched(const struct gb_advise_opts *o, const struct gb_runtime_ops *rt)
{
	return rt && gb_advise_in_list(o->runtimes, rt->name) && gb_runtime_accepts_ep(rt, o->ep) &&
	       !gb_runtime_probe(rt);
}

static int enumerate_all(struct gb_advise_state *a)
{
	const struct gb_advise_opts *o = a->o;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int need_fp16 = 0, ret;
	size_t nruntimes = 0;

	for (size_t r = 0; r < a->nrows; r++) {
		const struct gb_runtime_ops *rt = a->rows[r];

		if (!searched(o, rt))
			continue;
		const struct gb_runtime_axis *ax[32];
		size_t nax = gb_runtime_axes(rt, o->ep, ax, 32);

		/* export a converted model only when a searched axis needs it */
		for (size_t k = 0; k < nax; k++)
			need_fp16 |= ax[k]->via == GB_AXIS_VIA_MODEL_DTYPE && gb_advise_in_list(o->axes, ax[k]->name);
	}
	if ((ret = resolve_model(a, need_fp16)))
		return ret;
	for (size_t r = 0; r < a->nrows; r++) {
		const struct gb_runtime_ops *rt = a->rows[r];
		struct gb_advise_candidate *list = NULL;
		size_t n = 0;

		if (!searched(o, rt))
			continue;
		if ((ret = gb_advise_enumerate(rt, o->ep, o->axes, o->max_candidates, ncpu > 0 ? (unsigned)ncpu : 1,
					       &list, &n)))
			return ret;
		for (size_t i = 0; i < n && !ret; i++)
			if (model_for(a, &list[i]))
				ret = add_candidate(a, &list[i]);
		free(list);
		if (ret)
			return ret;
		nruntimes++;
	}
	if (!nruntimes)
		return gb_error_set(-ENOENT, "no runtime here takes ep '%s'%s (see 'greenbench devices')", o->ep,
				    o->runtimes ? " among those asked for" : "");
	/* an axis asked for must be one a searched runtime declares */
	for (size_t i = 0; o->axes && o->axes[i]; i++) {
		int found = 0;

		for (size_t r = 0; r < a->nrows && !found; r++)
			found = a->rows[r] && gb_advise_in_list(o->runtimes, a->rows[r]->name) &&
				gb_runtime_axis_find(a->rows[r], o->axes[i]);
		if (!found)
			return gb_error_set(-EINVAL, "no runtime searched declares an axis '%s' (see docs/advise.md)",
					    o->axes[i]);
	}
	return 0;
}

static int add_baseline(struct gb_advise_state *a)
{
	struct gb_advise_candidate b;
	size_t first = SIZE_MAX;
	int ret;

	if (a->o->baseline) {
		if ((ret = gb_advise_parse_config(a->o->baseline, a->rows, a->nrows, &b)))
			return gb_error_wrap(ret, "--baseline");
		if (!model_for(a, &b))
			return gb_error_set(-ENOENT, "--baseline '%s': no model file for it", a->o->baseline);
	} else {
		for (size_t i = 0; i < a->nc && first == SIZE_MAX; i++)
			if (a->c[i].is_reference)
				first = i;
		b = a->c[first];
		b.is_reference = 0;
	}
	if (!b.batch)
		b.batch = 1;
	b.is_baseline = 1;
	/* Measured like the rest, but at its own batch, and never ranked as a
	 * candidate to recommend unless it also is one. */
	return add_candidate(a, &b);
}

/* ---- the store ---------------------------------------------------------- */

static const char *const status_names[] = {
	[GB_ADVISE_PENDING] = "pending", [GB_ADVISE_OK] = "ok", [GB_ADVISE_REJECTED] = "rejected",
	[GB_ADVISE_FAILED] = "failed", [GB_ADVISE_SLOW] = "slow",
};

const char *gb_advise_status_name(enum gb_advise_status s)
{
	return (size_t)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

/* A crash in a runtime takes this process along: a candidate is marked
 * started before it is screened, and a resume that finds it so leaves it
 * out as failed instead of crashing on it again. */
#define STARTED "started"
#define CRASHED "the advisor died while screening it (a crash in the runtime?); left out on resume"

static int store_screen(struct gb_advise_state *a, const struct gb_advise_candidate *c, int started)
{
	struct gb_store_screen r;

	memset(&r, 0, sizeof r);
	r.idx = c->idx;
	snprintf(r.label, sizeof r.label, "%s", c->label);
	snprintf(r.status, sizeof r.status, "%s", started ? STARTED : status_names[c->status]);
	snprintf(r.reason, sizeof r.reason, "%s", c->reason);
	r.batch = c->batch;
	r.energy_per_item_mj = c->energy_per_item_mj;
	snprintf(r.methods, sizeof r.methods, "%s", c->methods);
	r.throughput_per_s = c->throughput_per_s;
	r.p99_ms = c->p99_ms;
	r.agreement = c->agreement_valid ? c->agreement : NAN;
	r.max_abs_diff = c->agreement_valid ? c->max_abs_diff : NAN;
	r.load_s = c->load_s;
	r.measured_s = c->measured_s;
	r.wall_s = c->wall_s;
	return gb_store_screen_insert(a->store, a->ans->advise_id, &r);
}

static void apply_screen(struct gb_advise_candidate *c, const struct gb_store_screen *r)
{
	if (!strcmp(r->status, STARTED)) {
		c->status = GB_ADVISE_FAILED;
		snprintf(c->reason, sizeof c->reason, "%s", CRASHED);
		c->energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
		return;
	}
	for (size_t k = 0; k < sizeof status_names / sizeof status_names[0]; k++)
		if (!strcmp(status_names[k], r->status))
			c->status = (enum gb_advise_status)k;
	snprintf(c->reason, sizeof c->reason, "%s", r->reason);
	c->batch = r->batch;
	c->energy_per_item_mj = r->energy_per_item_mj;
	snprintf(c->methods, sizeof c->methods, "%s", r->methods);
	c->throughput_per_s = r->throughput_per_s;
	c->p99_ms = r->p99_ms;
	c->agreement_valid = !isnan(r->agreement);
	c->agreement = r->agreement;
	c->max_abs_diff = r->max_abs_diff;
	c->load_s = r->load_s;
	c->measured_s = r->measured_s;
	c->wall_s = r->wall_s;
}

int gb_advise_checkpoint(struct gb_advise_state *a)
{
	return gb_store_advice_update(a->store, a->ans->advise_id, gb_advise_spent_ns(a), NULL);
}

/* ---- screening ---------------------------------------------------------- */

/* The settings that may change outputs: candidates equal in them share a
 * verdict, since the rest change speed only (the rows' declaration). */
static void numeric_signature(const struct gb_advise_candidate *c, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "%s/%s", c->rt->name, c->ep);

	for (size_t i = 0; i < c->nset && off < len; i++)
		if (c->set[i].axis->effect == GB_AXIS_NUMERIC)
			off += (size_t)snprintf(buf + off, len - off, " %s=%s", c->set[i].axis->name, c->set[i].value);
}

static const struct gb_advise_candidate *shared_verdict(const struct gb_advise_state *a, const struct gb_advise_candidate *c)
{
	char sc[512], so[512];

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

static int screen_one(struct gb_advise_state *a, struct gb_advise_candidate *c, struct gb_advise_session *ref)
{
	struct gb_advise_screen_env env = { a->o, &a->model, a->m, a->deadline_ns };
	const struct gb_advise_candidate *v = c->is_reference ? NULL : shared_verdict(a, c);
	struct gb_advise_opts one;
	int ret;

	if ((ret = store_screen(a, c, 1)))
		return ret;
	if (v) {
		c->agreement_valid = 1;
		c->agreement = v->agreement;
		c->max_abs_diff = v->max_abs_diff;
	}
	if (v && !c->is_baseline && v->status == GB_ADVISE_REJECTED) {
		/* the same outputs as a rejected one: no need to load it */
		c->status = GB_ADVISE_REJECTED;
		c->energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
		snprintf(c->reason, sizeof c->reason, "%s (its outputs are %s's)", v->reason, v->label);
		goto stored;
	}
	if (c->is_baseline) {
		/* no verdict needed: it is what runs today */
		one = *a->o;
		one.min_agreement = 0;
		env.o = &one;
		if (!c->agreement_valid) {
			c->agreement_valid = 1;
			c->agreement = 1;
		}
		ret = gb_advise_screen(&env, c, NULL);
	} else {
		ret = gb_advise_screen(&env, c, c->agreement_valid || !ref->side.session ? NULL : &ref->side);
	}
	if (ret)
		return ret;
	if (gb_advise_stopped(a))	/* interrupted: a resume screens it again */
		return gb_store_screen_forget(a->store, a->ans->advise_id, c->idx);
stored:
	if ((ret = store_screen(a, c, 0)) || (ret = gb_advise_checkpoint(a)))
		return ret;
	if (a->cb && a->cb->screened)
		a->cb->screened(a->ctx, c, 0);
	return 0;
}

static int screened(const struct gb_advise_candidate *c)
{
	return c->status != GB_ADVISE_PENDING;
}

int gb_advise_better_screen(const struct gb_advise_candidate *x, const struct gb_advise_candidate *y)
{
	if (!isnan(x->energy_per_item_mj) && !isnan(y->energy_per_item_mj))
		return x->energy_per_item_mj < y->energy_per_item_mj;
	return x->throughput_per_s > y->throughput_per_s;
}

/* One-axis-at-a-time searches end with the combination of every value that
 * beat the default on its own. */
static int add_combined(struct gb_advise_state *a, const struct gb_runtime_ops *rt, size_t *added)
{
	const struct gb_advise_candidate *def = NULL, *best[GB_ADVISE_MAX_SET];
	size_t nbest = 0;
	struct gb_advise_candidate comb;

	*added = 0;
	for (size_t i = 0; i < a->nc; i++)
		if (a->c[i].rt == rt && a->c[i].is_reference)
			def = &a->c[i];
	if (!def || def->status != GB_ADVISE_OK)
		return 0;
	for (size_t i = 0; i < a->nc; i++) {
		const struct gb_advise_candidate *c = &a->c[i];
		int replaced = 0;

		if (c->rt != rt || c->is_baseline || c->status != GB_ADVISE_OK || c->nset != 1 || !gb_advise_better_screen(c, def))
			continue;
		for (size_t k = 0; k < nbest; k++)
			if (best[k]->set[0].axis == c->set[0].axis) {
				if (gb_advise_better_screen(c, best[k]))
					best[k] = c;
				replaced = 1;
			}
		if (!replaced && nbest < GB_ADVISE_MAX_SET)
			best[nbest++] = c;
	}
	if (nbest < 2 || gb_advise_combine(def, best, nbest, &comb))
		return 0;
	for (size_t i = 0; i < a->nc; i++)
		if (!strcmp(a->c[i].label, comb.label))
			return 0;
	comb.status = GB_ADVISE_PENDING;
	comb.agreement_valid = 0;
	comb.load_s = comb.measured_s = comb.wall_s = 0;
	if (!model_for(a, &comb))
		return 0;
	*added = 1;
	return add_candidate(a, &comb);
}

static int screen_runtime(struct gb_advise_state *a, const struct gb_runtime_ops *rt)
{
	struct gb_advise_session ref;
	struct gb_advise_candidate *refc = NULL;
	double load_s = 0;
	int ret = 0, pending = 0;
	size_t added;

	memset(&ref, 0, sizeof ref);
	for (size_t i = 0; i < a->nc; i++)
		if (a->c[i].rt == rt) {
			pending |= !screened(&a->c[i]);
			if (a->c[i].is_reference && !a->c[i].is_baseline)
				refc = &a->c[i];
		}
	if (!pending || !refc)
		return 0;
	/* The reference first: its verdict and session serve the others. */
	if (!screened(refc) && (ret = screen_one(a, refc, &ref)))
		return ret;
	if (refc->status == GB_ADVISE_OK && gb_advise_session_open(refc, a->o->seed, &ref, &load_s))
		ref.side.session = NULL;
	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (size_t i = 0; i < a->nc && !ret; i++) {
			struct gb_advise_candidate *c = &a->c[i];

			if (c->rt != rt || screened(c))
				continue;
			if (gb_advise_stopped(a) || gb_now_ns() >= a->deadline_ns) {
				a->ans->budget_ended |= !gb_advise_stopped(a);
				goto out;
			}
			ret = screen_one(a, c, &ref);
		}
		if (ret || pass || (ret = add_combined(a, rt, &added)) || !added)
			break;
	}
out:
	gb_advise_session_close(&ref);
	return ret;
}

/* ---- the answer --------------------------------------------------------- */

static int rank_class(const struct gb_advise_candidate *c)
{
	if (c->status == GB_ADVISE_OK)
		return c->epi.valid ? 0 : 1;
	return c->status == GB_ADVISE_PENDING ? 3 : 2;
}

static int cmp_rank(const void *x, const void *y)
{
	const struct gb_advise_candidate *a = x, *b = y;
	int ca = rank_class(a), cb = rank_class(b);
	const struct gb_advise_candidate *pa = a, *pb = b;

	if (ca != cb)
		return ca - cb;
	if (a->is_baseline != b->is_baseline)
		return a->is_baseline - b->is_baseline;
	return gb_advise_cmp_measured(&pa, &pb);
}

static double shown_epi(const struct gb_advise_candidate *c)
{
	return c->epi.valid ? c->epi.mean : c->energy_per_item_mj;
}

static double shown_p99(const struct gb_advise_candidate *c)
{
	return c->epi.valid ? c->run_p99_ms : c->p99_ms;
}

static void answer(struct gb_advise_state *a)
{
	struct gb_advise_answer *ans = a->ans;
	const struct gb_advise_candidate *w, *b;

	qsort(a->c, a->nc, sizeof *a->c, cmp_rank);
	ans->cands = a->c;
	ans->ncands = a->nc;
	a->c = NULL;
	ans->winner = ans->runner_up = ans->baseline = SIZE_MAX;
	for (size_t i = 0; i < ans->ncands; i++) {
		const struct gb_advise_candidate *c = &ans->cands[i];

		if (c->is_baseline)
			ans->baseline = i;
		else if (c->status == GB_ADVISE_OK && ans->winner == SIZE_MAX)
			ans->winner = i;
		else if (c->status == GB_ADVISE_OK && ans->runner_up == SIZE_MAX &&
			 rank_class(c) == rank_class(&ans->cands[ans->winner]))
			ans->runner_up = i;
	}
	/* Pareto front of energy per item against p99 latency */
	for (size_t i = 0; i < ans->ncands; i++) {
		struct gb_advise_candidate *c = &ans->cands[i];
		int dominated = 0;

		if (c->status != GB_ADVISE_OK || isnan(shown_epi(c)) || isnan(shown_p99(c)))
			continue;
		for (size_t j = 0; j < ans->ncands && !dominated; j++) {
			const struct gb_advise_candidate *d = &ans->cands[j];
			double ec = shown_epi(c), ed = shown_epi(d), lc = shown_p99(c), ld = shown_p99(d);

			if (j == i || d->status != GB_ADVISE_OK || rank_class(d) != rank_class(c) || isnan(ed) || isnan(ld))
				continue;
			dominated = ed <= ec && ld <= lc && (ed < ec || ld < lc);
		}
		c->pareto = !dominated;
	}
	ans->saving_pct = NAN;
	ans->separated = 0;
	if (ans->winner == SIZE_MAX)
		return;
	w = &ans->cands[ans->winner];
	if (ans->runner_up != SIZE_MAX) {
		const struct gb_advise_candidate *r = &ans->cands[ans->runner_up];

		ans->separated = w->epi.ci_valid && r->epi.ci_valid && w->epi.hi < r->epi.lo;
	}
	if (ans->baseline != SIZE_MAX) {
		b = &ans->cands[ans->baseline];
		double eb = b->epi.valid && w->epi.valid ? b->epi.mean : b->energy_per_item_mj;
		double ew = b->epi.valid && w->epi.valid ? w->epi.mean : w->energy_per_item_mj;

		if (!isnan(eb) && !isnan(ew) && eb > 0)
			ans->saving_pct = 100.0 * (eb - ew) / eb;
	}
	gb_advise_run_args(w, &a->model, w->batch, ans->command, sizeof ans->command);
	char entry[1024];
	if (!gb_advise_yaml_runtime(w, 0, entry, sizeof entry)) {
		const char *fp16 = strcmp(w->model, a->model.fp16) ? NULL : a->model.fp16;

		if (fp16 || !a->model.zoo)
			snprintf(ans->plan_entry, sizeof ans->plan_entry,
				 "models: [{file: '%s'}]\nruntimes:\n  - %s\nbatches: [%u]\n", fp16 ? fp16 : a->model.file,
				 entry, w->batch);
		else
			snprintf(ans->plan_entry, sizeof ans->plan_entry, "models: [%s]\nruntimes:\n  - %s\nbatches: [%u]\n",
				 a->model.name, entry, w->batch);
	}
}

/* What screening cost this call, loads and agreement checks included. */
static void screen_energy(struct gb_meter *m, const struct gb_mark *m0, const struct gb_mark *m1,
			  struct gb_advise_answer *ans)
{
	size_t nd = gb_meter_domain_count(m);
	struct gb_domain_energy *e = nd ? calloc(nd, sizeof *e) : NULL;
	struct gb_energy_totals tot;

	if (e && !gb_meter_window(m, m0, m1, e) && !gb_meter_totals(m, e, &tot) &&
	    (tot.measured_valid || tot.estimated_valid)) {
		ans->screen_energy_j = (tot.measured_valid ? tot.measured_j : 0) + (tot.estimated_valid ? tot.estimated_j : 0);
		gb_advise_methods_text(tot.methods, ans->screen_energy_methods, sizeof ans->screen_energy_methods);
	}
	free(e);
}

int gb_advise_run(const struct gb_advise_opts *o, const struct gb_advise_callbacks *cb, void *ctx,
		  struct gb_advise_answer *ans)
{
	struct gb_advise_state a;
	struct gb_mark m0 = { 0 }, m1 = { 0 };
	char key[2048];
	double screen_measured = 0, screen_load = 0;
	int ret, marked = 0;

	memset(ans, 0, sizeof *ans);
	memset(&a, 0, sizeof a);
	ans->winner = ans->runner_up = ans->baseline = SIZE_MAX;
	ans->saving_pct = NAN;
	a.o = o;
	a.cb = cb;
	a.ctx = ctx;
	a.ans = ans;
	a.rows = o->rows ? o->rows : gb_runtime_table;
	a.nrows = o->rows ? o->nrows : gb_runtime_table_len;
	a.t_start_ns = gb_now_ns();
	/* the same command and cache the engine's runs use */
	ret = o->run_cmd ? snprintf(a.run_cmd, sizeof a.run_cmd, "%s", o->run_cmd) < 0
			 : gb_paths_run_cmd(a.run_cmd, sizeof a.run_cmd);
	if (ret || (ret = gb_paths_cache_dir(o->zoo_dir, "zoo", a.zoo_dir, sizeof a.zoo_dir)))
		return ret;
	if ((ret = enumerate_all(&a)) || (ret = add_baseline(&a)))
		goto out;
	if ((ret = gb_store_open(o->db, &a.store)))
		goto out;
	key_of(o, key, sizeof key);
	if (o->resume && !gb_store_advice_find(a.store, key, &ans->advise_id, &a.spent_before_ns)) {
		struct gb_store_screen *rows = NULL;
		size_t n = 0;

		ans->resumed = 1;
		if ((ret = gb_store_screen_load(a.store, ans->advise_id, &rows, &n)))
			goto out;
		size_t nc0 = a.nc;
		int later = 0;

		for (size_t i = 0; i < n; i++) {
			later |= rows[i].idx >= nc0;
			if (rows[i].idx < nc0 && !strcmp(a.c[rows[i].idx].label, rows[i].label))
				apply_screen(&a.c[rows[i].idx], &rows[i]);
		}
		/* combinations were made from the first screenings: make them again */
		for (size_t r = 0; later && !ret && r < a.nrows; r++) {
			size_t added = 0;

			if (a.rows[r])
				ret = add_combined(&a, a.rows[r], &added);
		}
		for (size_t i = 0; i < n; i++)
			if (rows[i].idx >= nc0 && rows[i].idx < a.nc && !strcmp(a.c[rows[i].idx].label, rows[i].label))
				apply_screen(&a.c[rows[i].idx], &rows[i]);
		free(rows);
		if (ret)
			goto out;
	} else if ((ret = gb_store_advice_create(a.store, key, o->model, &ans->advise_id))) {
		goto out;
	}
	a.deadline_ns = a.t_start_ns + (o->budget_ns > a.spent_before_ns ? o->budget_ns - a.spent_before_ns : 0);
	if (cb && cb->candidates)
		cb->candidates(ctx, a.c, a.nc, ans->resumed);
	for (size_t i = 0; cb && cb->screened && i < a.nc; i++)
		if (screened(&a.c[i]))
			cb->screened(ctx, &a.c[i], 1);
	if (gb_meter_open(o->meter, &a.m) < 0)
		a.m = NULL;	/* screening then ranks by time per item */
	if (a.m && gb_meter_start(a.m) < 0) {
		gb_meter_free(a.m);
		a.m = NULL;
	}
	marked = a.m && !gb_mark_init(&m0, a.m) && !gb_mark_init(&m1, a.m) && !gb_meter_mark(a.m, &m0);

	for (size_t r = 0; r < a.nrows && !ret && !gb_advise_stopped(&a); r++)
		if (a.rows[r])
			ret = screen_runtime(&a, a.rows[r]);
	/* the baseline, when it is no candidate of a searched runtime */
	for (size_t i = 0; i < a.nc && !ret && !gb_advise_stopped(&a); i++)
		if (!screened(&a.c[i]) && a.c[i].is_baseline && gb_now_ns() < a.deadline_ns)
			ret = screen_one(&a, &a.c[i], &(struct gb_advise_session){ 0 });
	ans->screen_energy_j = NAN;
	if (marked && !gb_meter_mark(a.m, &m1))
		screen_energy(a.m, &m0, &m1, ans);
	if (a.m) {
		gb_meter_stop(a.m);	/* the child runs meter themselves */
		gb_meter_free(a.m);
		a.m = NULL;
	}
	if (ret)
		goto out;
	if (!o->screen_only && !gb_advise_stopped(&a) && (ret = gb_advise_rounds(&a)))
		goto out;
	for (size_t i = 0; i < a.nc; i++) {
		screen_measured += a.c[i].measured_s;
		screen_load += a.c[i].load_s;
	}
	ans->stopped = gb_advise_stopped(&a);
	ans->measured_s = screen_measured + a.runs_measured_s;
	ans->load_s = screen_load;
	ans->wall_s = (double)gb_advise_spent_ns(&a) / 1e9;
	answer(&a);
	if (!ans->stopped) {
		char *json = gb_advise_answer_json(ans);

		ret = gb_store_advice_update(a.store, ans->advise_id, gb_advise_spent_ns(&a), json ? json : "{}");
		free(json);
	} else {
		ret = gb_advise_checkpoint(&a);
	}
out:
	gb_mark_release(&m0);
	gb_mark_release(&m1);
	free(a.c);
	gb_store_close(a.store);
	return ret;
}

void gb_advise_answer_release(struct gb_advise_answer *a)
{
	free(a->cands);
	a->cands = NULL;
	a->ncands = 0;
}
