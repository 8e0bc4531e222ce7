/*
 * The advisor (greenbench/advise.h): candidates from the rows' axes, the
 * store, and the answer; the order of screening is search.c, a
 * candidate's screening screen.c (its verdict agree.c), the measured
 * rounds rounds.c, the JSON answer_json.c. State lives in the results
 * database, so a call with `resume` repeats nothing that finished.
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
	o->max_accuracy_drop = 0.01;
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
	/* keys older advices lack only when these are given */
	if (o->data && off < len)
		off += (size_t)snprintf(buf + off, len - off, " data=%s limit=%zu drop=%g", o->data,
					o->data_opts ? o->data_opts->limit : 0, o->max_accuracy_drop);
	if (o->vocab && off < len)
		off += (size_t)snprintf(buf + off, len - off, " vocab=%llu", (unsigned long long)o->vocab);
}

int gb_advise_add(struct gb_advise_state *a, const struct gb_advise_candidate *c, size_t *at)
{
	int ret = gb_advise_append(&a->c, &a->nc, &a->capc, c);
	struct gb_advise_candidate *n;

	if (ret)
		return ret;
	n = &a->c[a->nc - 1];
	n->idx = a->nc - 1;
	n->epi.valid = 0;
	n->status = GB_ADVISE_PENDING;
	n->reason[0] = '\0';
	n->agreement_valid = 0;
	n->energy_per_item_mj = n->gpu_energy_per_item_mj = n->throughput_per_s = n->p99_ms = NAN;
	n->accuracy = NAN;
	n->load_s = n->fresh_load_s = n->setup_s = n->measured_s = n->wall_s = 0;
	n->reused = 0;
	n->methods[0] = '\0';
	if (!c->is_baseline)
		n->batch = 0;
	if (at)
		*at = a->nc - 1;
	return 0;
}

/* The model file a candidate opens: the zoo name for a runtime that
 * builds it by name, the fp16 variant for dtype=fp16, else the fp32 file.
 * 0 when the variant it needs does not exist (the candidate is dropped). */
int gb_advise_model_for(struct gb_advise_state *a, struct gb_advise_candidate *c)
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

/* The symbolic dims as given; a text dataset's tokens per item stand for
 * a seq no --dim gave, as `run --data` does. */
static int set_dims(struct gb_advise_state *a)
{
	const struct gb_advise_opts *o = a->o;
	size_t n = 0;
	int has_seq = 0;

	if (o->ndims > GB_MAX_DIMS)
		return gb_error_set(-E2BIG, "at most %d --dim values", GB_MAX_DIMS);
	for (size_t i = 0; i < o->ndims; i++) {
		a->dims[n++] = o->dims[i];
		has_seq |= !strcmp(o->dims[i].name, "seq");
	}
	if (a->ds && gb_dataset_kind(a->ds) == GB_DATASET_TEXT) {
		size_t seq = o->data_opts && o->data_opts->seq ? o->data_opts->seq : 128;

		for (size_t i = 0; i < n; i++)
			if (!strcmp(a->dims[i].name, "seq") && (size_t)a->dims[i].value != seq)
				return gb_error_set(-EINVAL, "--dim seq=%lld differs from the data's %zu tokens per item (--seq)",
						    (long long)a->dims[i].value, seq);
		if (!has_seq && n < GB_MAX_DIMS) {
			snprintf(a->dims[n].name, sizeof a->dims[n].name, "seq");
			a->dims[n++].value = (int64_t)seq;
		}
	}
	a->model.dims = a->dims;
	a->model.ndims = n;
	a->model.vocab = o->vocab;
	return 0;
}

static int open_data(struct gb_advise_state *a)
{
	struct gb_dataset_options d;
	int ret;

	if (!a->o->data)
		return 0;
	if (a->o->data_opts)
		d = *a->o->data_opts;
	else
		gb_dataset_options_init(&d);
	if ((ret = gb_dataset_open(a->o->data, &d, &a->ds)) || (ret = gb_dataset_prepare(a->ds))) {
		gb_dataset_free(a->ds);
		a->ds = NULL;
		return gb_error_wrap(ret, "--data");
	}
	return 0;
}

/* A row asked for (or any, without --runtimes) that takes the EP and
 * starts here. */
static int searched(const struct gb_advise_opts *o, const struct gb_runtime_ops *rt)
{
	return rt && gb_advise_in_list(o->runtimes, rt->name) && gb_runtime_accepts_ep(rt, o->ep) &&
	       !gb_runtime_probe(rt);
}

/* The searched axes, by prior (the highest first; the row's order between
 * equal ones). */
static void axes_by_prior(const struct gb_advise_opts *o, struct gb_advise_rt *rs)
{
	const struct gb_runtime_axis *all[32];
	size_t nall = gb_runtime_axes(rs->rt, o->ep, all, 32);

	rs->nax = 0;
	for (size_t i = 0; i < nall; i++)
		if (gb_advise_in_list(o->axes, all[i]->name))
			rs->axes[rs->nax++] = all[i];
	for (size_t i = 1; i < rs->nax; i++)
		for (size_t j = i; j > 0 && rs->axes[j]->gain > rs->axes[j - 1]->gain; j--) {
			const struct gb_runtime_axis *t = rs->axes[j];

			rs->axes[j] = rs->axes[j - 1];
			rs->axes[j - 1] = t;
		}
}

static int enumerate_all(struct gb_advise_state *a)
{
	const struct gb_advise_opts *o = a->o;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned ncpus = ncpu > 0 ? (unsigned)ncpu : 1;
	int need_fp16 = 0, ret;

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
	if (!(a->rts = calloc(a->nrows ? a->nrows : 1, sizeof *a->rts)))
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t r = 0; r < a->nrows; r++) {
		const struct gb_runtime_ops *rt = a->rows[r];
		struct gb_advise_candidate *list = NULL;
		struct gb_advise_rt *rs = &a->rts[a->nrts];
		size_t n = 0, at;

		if (!searched(o, rt))
			continue;
		if ((ret = gb_advise_enumerate(rt, o->ep, o->axes, o->max_candidates, ncpus, &list, &n)))
			return ret;
		rs->rt = rt;
		rs->full = gb_advise_product(rt, o->ep, o->axes, ncpus) <= (double)o->max_candidates;
		axes_by_prior(o, rs);
		rs->ref = SIZE_MAX;
		gb_advise_refout_release(&rs->refout);
		/* one axis at a time: only the reference now, the rest as found */
		for (size_t i = 0; i < (rs->full ? n : 1) && !ret; i++) {
			list[i].parent = SIZE_MAX;
			if (gb_advise_model_for(a, &list[i]) && !(ret = gb_advise_add(a, &list[i], &at)) &&
			    list[i].is_reference)
				rs->ref = at;
		}
		free(list);
		if (ret)
			return ret;
		rs->incumbent = rs->ref;
		if (rs->ref != SIZE_MAX)
			a->nrts++;
	}
	if (!a->nrts)
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
	int ret;

	if (a->o->baseline) {
		if ((ret = gb_advise_parse_config(a->o->baseline, a->rows, a->nrows, &b)))
			return gb_error_wrap(ret, "--baseline");
		if (!gb_advise_model_for(a, &b))
			return gb_error_set(-ENOENT, "--baseline '%s': no model file for it", a->o->baseline);
	} else {
		b = a->c[a->rts[0].ref];
		b.is_reference = 0;
	}
	if (!b.batch)
		b.batch = 1;
	b.is_baseline = 1;
	b.parent = SIZE_MAX;
	/* Measured like the rest, but at its own batch, and never ranked as a
	 * candidate to recommend unless it also is one. */
	return gb_advise_add(a, &b, NULL);
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

int gb_advise_store_screen(struct gb_advise_state *a, const struct gb_advise_candidate *c, int started)
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
	r.accuracy = c->accuracy;
	r.gpu_energy_per_item_mj = c->gpu_energy_per_item_mj;
	r.fresh_load_s = c->fresh_load_s;
	r.setup_s = c->setup_s;
	r.reused = c->reused;
	return gb_store_screen_insert(a->store, a->ans->advise_id, &r);
}

static void apply_screen(struct gb_advise_candidate *c, const struct gb_store_screen *r)
{
	if (!strcmp(r->status, STARTED)) {
		c->status = GB_ADVISE_FAILED;
		snprintf(c->reason, sizeof c->reason, "%s", CRASHED);
		c->energy_per_item_mj = c->gpu_energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
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
	c->accuracy = r->accuracy;
	c->gpu_energy_per_item_mj = r->gpu_energy_per_item_mj;
	c->fresh_load_s = r->fresh_load_s;
	c->setup_s = r->setup_s;
	c->reused = r->reused;
}

int gb_advise_from_store(struct gb_advise_state *a, struct gb_advise_candidate *c)
{
	/* The search is a function of the screenings, so a resume makes the
	 * same candidates in the same order: idx and label both match. */
	for (size_t i = 0; i < a->nstored; i++)
		if (a->stored[i].idx == c->idx && !strcmp(a->stored[i].label, c->label)) {
			apply_screen(c, &a->stored[i]);
			return 1;
		}
	return 0;
}

int gb_advise_checkpoint(struct gb_advise_state *a)
{
	return gb_store_advice_update(a->store, a->ans->advise_id, gb_advise_spent_ns(a), NULL);
}

int gb_advise_better_screen(const struct gb_advise_candidate *x, const struct gb_advise_candidate *y)
{
	if (!isnan(x->energy_per_item_mj) && !isnan(y->energy_per_item_mj))
		return x->energy_per_item_mj < y->energy_per_item_mj;
	return x->throughput_per_s > y->throughput_per_s;
}

double gb_advise_run_estimate_s(const struct gb_advise_state *a, const struct gb_advise_candidate *c)
{
	/* a child loads anew, builds in its first batch, warms up for the
	 * round's warm-up and measures; 1 s for its start and its record */
	double load = c->fresh_load_s > 0 ? c->fresh_load_s : c->load_s;

	return load + c->setup_s + (double)(a->o->screen_ns + a->o->measure_ns) / 1e9 + 1;
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
	if (!gb_advise_yaml_runtime(w, &a->model, 0, entry, sizeof entry)) {
		const char *fp16 = strcmp(w->model, a->model.fp16) ? NULL : a->model.fp16;
		char dims[256] = "";
		size_t off = 0;

		for (size_t d = 0; d < a->model.ndims && off < sizeof dims; d++)
			off += (size_t)snprintf(dims + off, sizeof dims - off, "%s%s: %lld", d ? ", " : ", dims: {",
						a->model.dims[d].name, (long long)a->model.dims[d].value);
		if (off && off < sizeof dims)
			snprintf(dims + off, sizeof dims - off, "}");
		if (fp16 || !a->model.zoo || off)
			snprintf(ans->plan_entry, sizeof ans->plan_entry,
				 "models: [{%s: '%s'%s}]\nruntimes:\n  - %s\nbatches: [%u]\n",
				 fp16 || !a->model.zoo ? "file" : "zoo", fp16 ? fp16 : a->model.zoo ? a->model.name : a->model.file,
				 dims, entry, w->batch);
		else
			snprintf(ans->plan_entry, sizeof ans->plan_entry, "models: [%s]\nruntimes:\n  - %s\nbatches: [%u]\n",
				 a->model.name, entry, w->batch);
	}
}

/* What screening cost this call, loads and agreement checks included
 * (*j stays NAN when it could not be had). */
static void screen_energy(struct gb_meter *m, const struct gb_mark *m0, const struct gb_mark *m1, double *j,
			  unsigned *methods)
{
	size_t nd = gb_meter_domain_count(m);
	struct gb_domain_energy *e = nd ? calloc(nd, sizeof *e) : NULL;
	struct gb_energy_totals tot;

	if (e && !gb_meter_window(m, m0, m1, e) && !gb_meter_totals(m, e, &tot) &&
	    (tot.measured_valid || tot.estimated_valid)) {
		*j = (tot.measured_valid ? tot.measured_j : 0) + (tot.estimated_valid ? tot.estimated_j : 0);
		*methods = tot.methods;
	}
	free(e);
}

static double add_share(double total, double call)
{
	return isnan(total) ? call : isnan(call) ? total : total + call;
}

/* This call's screening energy added to what earlier calls stored: the
 * answer's figures are the whole advice's. A call with no figure where
 * the others had one (or the reverse) leaves the sum a floor: partial. */
static int screen_energy_add(struct gb_advise_state *a, struct gb_store_advice_energy *en, double call_j,
			     unsigned call_methods)
{
	struct gb_advise_answer *ans = a->ans;
	double call_w = a->window_energy_valid && !isnan(call_j) ? a->window_energy_j : NAN;

	if (ans->resumed && isnan(en->screen_j) != isnan(call_j))
		en->partial = 1;
	en->screen_j = add_share(en->screen_j, call_j);
	en->window_j = add_share(en->window_j, call_w);
	en->methods |= isnan(call_j) ? 0 : call_methods;
	en->open = 0;
	ans->screen_energy_j = en->screen_j;
	a->window_energy_j = en->window_j;
	a->window_energy_valid = !isnan(en->window_j);
	ans->screen_energy_partial = en->partial;
	gb_advise_methods_text(en->methods, ans->screen_energy_methods, sizeof ans->screen_energy_methods);
	return gb_store_advice_energy_save(a->store, ans->advise_id, en);
}

/* The stored screenings of the advice being resumed. */
static int load_stored(struct gb_advise_state *a)
{
	return gb_store_screen_load(a->store, a->ans->advise_id, &a->stored, &a->nstored);
}

static void figures(struct gb_advise_state *a)
{
	struct gb_advise_answer *ans = a->ans;

	ans->screen_s = ans->screen_measured_s = ans->load_s = 0;
	ans->reused = 0;
	ans->ref_accuracy = NAN;
	for (size_t i = 0; i < a->nc; i++) {
		const struct gb_advise_candidate *c = &a->c[i];

		ans->screen_s += c->wall_s;
		ans->screen_measured_s += c->measured_s;
		ans->load_s += c->load_s;
		ans->reused += c->reused && c->status != GB_ADVISE_PENDING;
	}
	if (a->nrts && a->rts[0].ref < a->nc)
		ans->ref_accuracy = a->c[a->rts[0].ref].accuracy;
	ans->runs_s = a->runs_wall_s;
	ans->runs_measured_s = a->runs_measured_s;
	ans->measured_s = ans->screen_measured_s + a->runs_measured_s;
	ans->wall_s = (double)gb_advise_spent_ns(a) / 1e9;
	ans->screen_window_energy_j = a->window_energy_valid ? a->window_energy_j : NAN;
}

int gb_advise_run(const struct gb_advise_opts *o, const struct gb_advise_callbacks *cb, void *ctx,
		  struct gb_advise_answer *ans)
{
	struct gb_advise_state a;
	struct gb_mark m0 = { 0 }, m1 = { 0 };
	struct gb_store_advice_energy en;
	char key[2048];
	double call_j = NAN;
	unsigned call_methods = 0;
	int ret, marked = 0;

	memset(ans, 0, sizeof *ans);
	memset(&a, 0, sizeof a);
	ans->winner = ans->runner_up = ans->baseline = SIZE_MAX;
	ans->saving_pct = ans->screen_energy_j = ans->screen_window_energy_j = ans->ref_accuracy = NAN;
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
	if ((ret = open_data(&a)) || (ret = set_dims(&a)))
		goto out;
	if ((ret = enumerate_all(&a)) || (ret = add_baseline(&a)))
		goto out;
	if ((ret = gb_store_open(o->db, &a.store)))
		goto out;
	key_of(o, key, sizeof key);
	if (o->resume && !gb_store_advice_find(a.store, key, &ans->advise_id, &a.spent_before_ns)) {
		ans->resumed = 1;
		if ((ret = load_stored(&a)))
			goto out;
	} else if ((ret = gb_store_advice_create(a.store, key, o->model, &ans->advise_id))) {
		goto out;
	}
	/* open until this call adds its share: a resume that finds it open
	 * knows a call was killed before it could */
	if ((ret = gb_store_advice_energy_load(a.store, ans->advise_id, &en)))
		goto out;
	en.partial |= en.open;
	en.open = 1;
	if ((ret = gb_store_advice_energy_save(a.store, ans->advise_id, &en)))
		goto out;
	a.deadline_ns = a.t_start_ns + (o->budget_ns > a.spent_before_ns ? o->budget_ns - a.spent_before_ns : 0);
	if (cb && cb->candidates)
		cb->candidates(ctx, a.c, a.nc, gb_advise_planned(&a), ans->resumed);
	if (gb_meter_open(o->meter, &a.m) < 0)
		a.m = NULL;	/* screening then ranks by time per item */
	if (a.m && gb_meter_start(a.m) < 0) {
		gb_meter_free(a.m);
		a.m = NULL;
	}
	marked = a.m && !gb_mark_init(&m0, a.m) && !gb_mark_init(&m1, a.m) && !gb_meter_mark(a.m, &m0);
	a.window_energy_valid = marked;

	ret = gb_advise_search(&a);
	if (marked && !gb_meter_mark(a.m, &m1))
		screen_energy(a.m, &m0, &m1, &call_j, &call_methods);
	if (a.m) {
		gb_meter_stop(a.m);	/* the child runs meter themselves */
		gb_meter_free(a.m);
		a.m = NULL;
	}
	if (ret || (ret = screen_energy_add(&a, &en, call_j, call_methods)))
		goto out;
	if (!o->screen_only && !gb_advise_stopped(&a) && (ret = gb_advise_rounds(&a)))
		goto out;
	ans->stopped = gb_advise_stopped(&a);
	figures(&a);
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
	free(a.rts);
	free(a.stored);
	gb_dataset_free(a.ds);
	gb_store_close(a.store);
	return ret;
}

void gb_advise_answer_release(struct gb_advise_answer *a)
{
	free(a->cands);
	a->cands = NULL;
	a->ncands = 0;
}
