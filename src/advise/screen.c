/*
 * Screening one candidate in this process, on a session search.c opened
 * (or reused): its verdict against the reference's outputs, then batch
 * sizes on the same session (reopened between sizes only when a setting
 * pins its batch, as ORT's CUDA graphs do). Each batch step is a short
 * measured window between two meter marks, after a warm-up.
 *
 * Batch sizes, cheaply: a reference, which starts the search, climbs a
 * ladder 1, 4, 16, ... while energy per item falls by 5% (then tries the
 * double of the best, between it and the step that did not help); a
 * candidate made from another starts at that one's batch, doubles while
 * it helps, else halves while it helps; one whose session builds per
 * input shape (torch.compile) is screened at that batch only, since each
 * new shape would compile again (and a second shape makes torch.compile
 * compile a dynamic-shape graph no child run at one batch would use).
 */
#include "advise/advise_impl.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/latency.h"
#include "greenbench/time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A step must beat the best so far by this much to go on. */
#define STEP_GAIN 0.05

int gb_advise_session_options(const struct gb_advise_screen_env *env, const struct gb_advise_candidate *c,
			      struct gb_advise_session *s)
{
	int ret;

	memset(s, 0, sizeof *s);
	gb_runtime_options_init(&s->ro);
	s->ro.model = c->model;
	s->ro.ep = c->ep;
	s->ro.seed = env->o->seed;
	s->ro.stop = env->o->stop;	/* Ctrl-C ends a worker's compile, not only the next batch */
	for (size_t i = 0; i < c->nset; i++)
		if (c->set[i].axis->via != GB_AXIS_VIA_MODEL_DTYPE &&
		    (ret = gb_runtime_axis_apply(c->set[i].axis, c->set[i].value, &s->ro, s->kv,
						 GB_ADVISE_MAX_SET, &s->nkv)))
			return ret;
	/* A worker's request (a compile, say) may not outlast the end of
	 * screening by more than a little (a tenth of the budget, at most
	 * 30 s), nor take more than a quarter of the budget (at least 30 s):
	 * one slow candidate (torch.compile's max-autotune tunes for minutes)
	 * must not eat the time of all the others, nor the first round's. */
	if (c->rt->worker_script && env->deadline_ns) {
		uint64_t now = gb_now_ns(), left = env->deadline_ns > now ? env->deadline_ns - now : 0;
		uint64_t cap = env->o->budget_ns / 4 > 30 * GB_NS_PER_S ? env->o->budget_ns / 4 : 30 * GB_NS_PER_S;
		uint64_t grace = env->o->budget_ns / 10 < 30 * GB_NS_PER_S ? env->o->budget_ns / 10 : 30 * GB_NS_PER_S;

		left += grace;
		snprintf(s->timeout, sizeof s->timeout, "%llus",
			 (unsigned long long)((left < cap ? left : cap) / GB_NS_PER_S));
		s->kv[s->nkv].key = "timeout";
		s->kv[s->nkv].value = s->timeout;
		s->nkv++;
		s->ro.ep_options = s->kv;
		s->ro.n_ep_options = s->nkv;
	}
	return 0;
}

int gb_advise_session_open(const struct gb_advise_screen_env *env, const struct gb_advise_candidate *c,
			   struct gb_advise_session *s, double *load_s)
{
	const struct gb_tensor_info *outs;
	size_t nout;
	uint64_t t0;
	int ret;

	if ((ret = gb_advise_session_options(env, c, s)))
		return ret;
	s->side.rt = c->rt;
	gb_accuracy_init(&s->side.acc);
	t0 = gb_now_ns();
	if ((ret = gb_runtime_open(c->rt, &s->ro, &s->side.session))) {
		s->side.session = NULL;
		return ret;
	}
	*load_s = (double)(gb_now_ns() - t0) / 1e9;
	if ((ret = c->rt->describe(s->side.session, &s->side.in, &s->side.nin, &outs, &nout)))
		goto fail;
	if (s->side.nin > GB_EVAL_MAX_INPUTS) {
		ret = gb_error_set(-E2BIG, "the model has %zu inputs (at most %d)", s->side.nin, GB_EVAL_MAX_INPUTS);
		goto fail;
	}
	return 0;
fail:
	gb_advise_session_close(s);
	return ret;
}

void gb_advise_session_move(struct gb_advise_session *dst, struct gb_advise_session *src)
{
	*dst = *src;
	/* the options point into the struct itself */
	if (dst->ro.ep_options == src->kv)
		dst->ro.ep_options = dst->kv;
	for (size_t i = 0; i < dst->nkv; i++)
		if (dst->kv[i].value == src->timeout)
			dst->kv[i].value = dst->timeout;
	memset(src, 0, sizeof *src);
}

void gb_advise_session_close(struct gb_advise_session *s)
{
	if (s->side.session)
		s->side.rt->close(s->side.session);
	s->side.session = NULL;
	gb_eval_side_release(&s->side);
}

static int fixed_batch(const struct gb_eval_side *s)
{
	return s->nin && s->in[0].rank >= 1 && s->in[0].dims[0] >= 0;
}

struct step {
	double epi_mj, gpu_mj, thr, p99_ms, measured_s, first_s;
	int energy_valid;
	char methods[48];
};

void gb_advise_methods_text(unsigned bits, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < 16 && off < len; k++)
		if (bits & (1u << k))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "+" : "",
						gb_method_name((enum gb_energy_method)k));
}

/* The window's energy per item into out, and the GPUs' share. */
static int step_energy(const struct gb_advise_screen_env *env, const struct gb_mark *a, const struct gb_mark *b,
		       uint64_t items, struct step *out)
{
	size_t nd = gb_meter_domain_count(env->m);
	struct gb_domain_energy *e = calloc(nd ? nd : 1, sizeof *e);
	struct gb_energy_totals tot;
	double gpu_j = 0;
	int gpus = 0, ret;

	if (!e)
		return gb_error_set(-ENOMEM, "out of memory");
	if ((ret = gb_meter_window(env->m, a, b, e)) || (ret = gb_meter_totals(env->m, e, &tot)))
		goto out;
	for (size_t i = 0; i < nd; i++) {
		const struct gb_domain_info *d = gb_meter_domain(env->m, i);

		if (d->kind == GB_DOMAIN_GPU && d->parent < 0 && e[i].energy_valid) {
			gpu_j += e[i].energy_j;
			gpus++;
		}
	}
	if (tot.measured_valid || tot.estimated_valid) {
		double j = (tot.measured_valid ? tot.measured_j : 0) + (tot.estimated_valid ? tot.estimated_j : 0);

		out->energy_valid = 1;
		out->epi_mj = j * 1e3 / (double)items;
		if (env->window_energy_j)
			*env->window_energy_j += j;
		gb_advise_methods_text(tot.methods, out->methods, sizeof out->methods);
	}
	out->gpu_mj = gpus ? gpu_j * 1e3 / (double)items : NAN;
out:
	free(e);
	return ret;
}

/* One batch size: inputs, one batch (timed: the shape's first), a
 * warm-up, the measured window. */
static int measure_step(const struct gb_advise_screen_env *env, struct gb_eval_side *s, uint64_t batch,
			struct step *out, uint64_t *got_batch)
{
	struct gb_input_config ic;
	struct gb_tensor *t = NULL;
	struct gb_mark a = { 0 }, b = { 0 };
	struct gb_latency lat;
	uint64_t *lats = NULL, n = 0, t0, t1, first;
	int ret;

	memset(out, 0, sizeof *out);
	out->epi_mj = out->gpu_mj = NAN;
	gb_input_config_init(&ic);
	ic.batch = batch;
	ic.dims = env->model->dims;
	ic.ndims = env->model->ndims;
	ic.vocab = env->model->vocab;
	ic.seed = env->o->seed;
	if ((ret = gb_inputs_new(s->in, s->nin, &ic, &t, got_batch)))
		goto out;
	t0 = gb_now_ns();
	if ((ret = s->rt->set_inputs(s->session, t, s->nin)) || (ret = s->rt->run_batches(s->session, 1, &first)))
		goto out;
	out->first_s = (double)(gb_now_ns() - t0) / 1e9;
	if ((ret = gb_bench_loop(s->rt, s->session, 1, env->o->screen_ns / 4, NULL, &n, &t0, &t1)))
		goto out;
	if (env->m && ((ret = gb_mark_init(&a, env->m)) || (ret = gb_mark_init(&b, env->m)) ||
		       (ret = gb_meter_mark(env->m, &a))))
		goto out;
	ret = gb_bench_loop(s->rt, s->session, 2, env->o->screen_ns, &lats, &n, &t0, &t1);
	if (!ret && env->m)
		ret = gb_meter_mark(env->m, &b);
	if (ret)
		goto out;
	if ((ret = gb_latency_summarize(lats, n, &lat)))
		goto out;
	out->measured_s = (double)(t1 - t0) / 1e9;
	out->thr = (double)(n * *got_batch) / out->measured_s;
	out->p99_ms = lat.p99_ns / 1e6;
	if (env->m && gb_meter_domain_count(env->m))
		ret = step_energy(env, &a, &b, n * *got_batch, out);
out:
	free(lats);
	gb_mark_release(&a);
	gb_mark_release(&b);
	gb_inputs_free(t, s->nin);
	return gb_bench_explain_oom(ret, batch);
}

/* a beats b (by margin: 0 for the best, STEP_GAIN to go on). */
static int better(const struct step *a, const struct step *b, double margin)
{
	if (a->energy_valid && b->energy_valid)
		return a->epi_mj < b->epi_mj * (1 - margin);
	return a->thr * (1 - margin) > b->thr;	/* no energy here: time per item stands in */
}

static int has_flag(const struct gb_advise_candidate *c, int pins)
{
	for (size_t i = 0; i < c->nset; i++)
		if (pins ? c->set[i].axis->pins_batch : c->set[i].axis->builds_per_shape)
			return 1;
	return 0;
}

/* The batch search: its state and one step of it. */
struct search {
	const struct gb_advise_screen_env *env;
	struct gb_advise_candidate *c;
	struct gb_advise_session *s;
	struct step best, last;
	int have, slow, stepped, failed;
	unsigned tried[32];
	size_t ntried;
};

static int tried(const struct search *q, uint64_t b)
{
	for (size_t i = 0; i < q->ntried; i++)
		if (q->tried[i] == b)
			return 1;
	return 0;
}

/* Measure at batch b: 1 when it beat the best by STEP_GAIN (go on), 0
 * when it did not or could not run, -1 when nothing more is worth
 * trying (stopped, the deadline, too slow, a session that broke). */
static int try_batch(struct search *q, uint64_t b)
{
	const struct gb_advise_opts *o = q->env->o;
	uint64_t got = 0;
	double load_s = 0;
	int ret, gain;

	if (tried(q, b) || b > o->max_batch || !b)
		return 0;
	if ((o->stop && *o->stop) || (q->have && gb_now_ns() >= q->env->deadline_ns))
		return -1;
	if (q->ntried < sizeof q->tried / sizeof q->tried[0])
		q->tried[q->ntried++] = (unsigned)b;
	if (q->stepped && has_flag(q->c, 1)) {
		gb_advise_session_close(q->s);
		if (gb_advise_session_open(q->env, q->c, q->s, &load_s))
			return -1;
		q->c->load_s += load_s;
	}
	q->stepped = 1;
	ret = measure_step(q->env, &q->s->side, fixed_batch(&q->s->side) ? 0 : b, &q->last, &got);
	if (ret) {
		if (!q->have)
			snprintf(q->c->reason, sizeof q->c->reason, "batch %llu: %s", (unsigned long long)b, gb_error_msg());
		/* out of memory or a failure at this size: keep the smaller ones */
		return gb_error_kind() == GB_ERROR_KIND_OOM ? 0 : -1;
	}
	q->c->measured_s += q->last.measured_s;
	if (!q->c->setup_s)
		q->c->setup_s = q->last.first_s;
	if (o->max_p99_ms > 0 && q->last.p99_ms > o->max_p99_ms) {
		q->slow = !q->have;
		return 0;	/* a larger batch only waits longer */
	}
	gain = !q->have || better(&q->last, &q->best, STEP_GAIN);
	if (!q->have || better(&q->last, &q->best, 0)) {
		q->best = q->last;
		q->c->batch = (unsigned)got;
	}
	q->have = 1;
	return fixed_batch(&q->s->side) ? -1 : gain;
}

static void search_batches(struct search *q, unsigned start)
{
	const struct gb_advise_candidate *c = q->c;
	uint64_t top = q->env->o->max_batch, b;
	int r = 0;

	if (c->is_baseline) {	/* what runs today: its own batch only */
		try_batch(q, c->batch ? c->batch : 1);
		return;
	}
	if (start && has_flag(c, 0)) {
		try_batch(q, start);
		return;
	}
	if (!start) {
		for (b = 1; b <= top && (r = try_batch(q, b)) == 1; b *= 4)
			;
		if (r == -1 || !q->have)
			return;
		/* between the best and the step that did not help */
		if (q->c->batch * 2 <= top && !tried(q, q->c->batch * 2))
			try_batch(q, q->c->batch * 2);
		else if (q->c->batch < top && !tried(q, top) && top < q->c->batch * 4)
			try_batch(q, top);
		return;
	}
	if ((r = try_batch(q, start)) == -1 || !q->have)
		return;
	for (b = (uint64_t)start * 2; b <= top && (r = try_batch(q, b)) == 1; b *= 2)
		;
	if (r == -1 || q->c->batch != start)
		return;
	for (b = start / 2; b >= 1 && try_batch(q, b) == 1; b /= 2)
		;
}

int gb_advise_screen(const struct gb_advise_screen_env *env, struct gb_advise_candidate *c,
		     struct gb_advise_session *s, const struct gb_advise_refout *ref, unsigned start_batch)
{
	const struct gb_advise_opts *o = env->o;
	struct search q;
	uint64_t t_start = gb_now_ns();
	int ret = 0;

	memset(&q, 0, sizeof q);
	q.env = env;
	q.c = c;
	q.s = s;
	c->status = GB_ADVISE_FAILED;
	c->energy_per_item_mj = c->gpu_energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
	c->reason[0] = '\0';
	if (c->is_reference) {
		c->agreement_valid = 1;
		c->agreement = 1;
		c->max_abs_diff = 0;
		c->accuracy = ref ? ref->accuracy : NAN;
	} else if (!c->agreement_valid && ref && ref->valid) {
		if ((ret = gb_advise_agree(env, &s->side, ref, c)))
			goto done;
		if (c->reason[0])
			goto done;
	} else if (!c->agreement_valid) {
		snprintf(c->reason, sizeof c->reason, "no fp32 reference to compare its outputs with");
		goto done;
	}
	if (!c->is_baseline && c->agreement < o->min_agreement) {
		c->status = GB_ADVISE_REJECTED;
		gb_advise_agree_reason(c, o->min_agreement, c->reason, sizeof c->reason);
		goto done;
	}
	if (!c->is_baseline && !isnan(c->accuracy) && ref && !isnan(ref->accuracy) &&
	    c->accuracy < ref->accuracy - o->max_accuracy_drop) {
		c->status = GB_ADVISE_REJECTED;
		snprintf(c->reason, sizeof c->reason,
			 "top-1 accuracy %.2f%% is more than %.2f points below the fp32 reference's %.2f%%",
			 100 * c->accuracy, 100 * o->max_accuracy_drop, 100 * ref->accuracy);
		goto done;
	}
	search_batches(&q, start_batch);
	if (q.have) {
		c->status = GB_ADVISE_OK;
		c->reason[0] = '\0';
		c->energy_per_item_mj = q.best.epi_mj;
		c->gpu_energy_per_item_mj = q.best.gpu_mj;
		c->throughput_per_s = q.best.thr;
		c->p99_ms = q.best.p99_ms;
		snprintf(c->methods, sizeof c->methods, "%s", q.best.methods);
	} else if (q.slow) {
		c->status = GB_ADVISE_SLOW;
		snprintf(c->reason, sizeof c->reason, "p99 %.3g ms is above --max-p99-ms %.3g at batch %u",
			 q.last.p99_ms, o->max_p99_ms, start_batch ? start_batch : 1);
	} else if (!c->reason[0]) {
		snprintf(c->reason, sizeof c->reason, "no batch size could be screened before the deadline");
	}
done:
	if (c->status == GB_ADVISE_FAILED)
		gb_advise_session_close(s);	/* a session that failed is not reused */
	c->wall_s += (double)(gb_now_ns() - t_start) / 1e9;
	return ret;
}
