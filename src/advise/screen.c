/*
 * Screening one candidate in this process: one session for its agreement
 * check and every batch size (a session is reopened between batches only
 * when a setting pins its batch, as CUDA graphs do). Each batch step is a
 * short measured window between two meter marks, after a warm-up.
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

int gb_advise_session_open(const struct gb_advise_candidate *c, uint64_t seed, struct gb_advise_session *s,
			   double *load_s)
{
	const struct gb_tensor_info *outs;
	size_t nout;
	uint64_t t0;
	int ret;

	memset(s, 0, sizeof *s);
	gb_runtime_options_init(&s->ro);
	s->ro.model = c->model;
	s->ro.ep = c->ep;
	s->ro.seed = seed;
	for (size_t i = 0; i < c->nset; i++)
		if (c->set[i].axis->via != GB_AXIS_VIA_MODEL_DTYPE &&
		    (ret = gb_runtime_axis_apply(c->set[i].axis, c->set[i].value, &s->ro, s->kv,
						 GB_ADVISE_MAX_SET, &s->nkv)))
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

void gb_advise_session_close(struct gb_advise_session *s)
{
	if (s->side.session)
		s->side.rt->close(s->side.session);
	s->side.session = NULL;
}

static int fixed_batch(const struct gb_eval_side *s)
{
	return s->nin && s->in[0].rank >= 1 && s->in[0].dims[0] >= 0;
}

static void input_config(const struct gb_advise_screen_env *env, uint64_t batch, struct gb_input_config *ic)
{
	gb_input_config_init(ic);
	ic->batch = batch;
	ic->dims = env->model->dims;
	ic->ndims = env->model->ndims;
	ic->seed = env->o->seed;
}

/* Top-1 agreement and max |diff| with the reference on the same inputs. */
static int agree(const struct gb_advise_screen_env *env, struct gb_advise_candidate *c,
		 struct gb_eval_side *ref, struct gb_eval_side *cand)
{
	struct gb_eval_side sides[2] = { *ref, *cand };
	struct gb_eval_tally ty;
	struct gb_input_config ic;
	int failed = -1, ret;

	memset(&ty, 0, sizeof ty);
	gb_agreement_init(&ty.g);
	input_config(env, fixed_batch(ref) ? 0 : env->o->agree_batch, &ic);
	ret = gb_eval_compare_generated(sides, &ic, env->o->agree_batches, &ty, &failed);
	gb_eval_side_release(&sides[0]);
	gb_eval_side_release(&sides[1]);
	if (ret) {
		c->status = GB_ADVISE_FAILED;
		snprintf(c->reason, sizeof c->reason, "outputs not comparable%s: %s",
			 failed == 0 ? " (reference)" : "", gb_error_msg());
		return 0;
	}
	c->agreement_valid = 1;
	c->agreement = ty.g.n ? (double)ty.g.top1_agree / (double)ty.g.n : 0;
	c->max_abs_diff = ty.g.max_abs_diff;
	if (ty.g.nan_mismatch)
		c->agreement = 0;
	return 0;
}

struct step {
	double epi_mj, thr, p99_ms, measured_s;
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

/* One batch size: inputs, one batch, a warm-up, the measured window. */
static int measure_step(const struct gb_advise_screen_env *env, struct gb_eval_side *s, uint64_t batch,
			struct step *out, uint64_t *got_batch)
{
	struct gb_input_config ic;
	struct gb_tensor *t = NULL;
	struct gb_mark a = { 0 }, b = { 0 };
	struct gb_domain_energy *e = NULL;
	struct gb_latency lat;
	uint64_t *lats = NULL, n = 0, t0, t1, first;
	size_t nd = env->m ? gb_meter_domain_count(env->m) : 0;
	int ret;

	memset(out, 0, sizeof *out);
	input_config(env, batch, &ic);
	if ((ret = gb_inputs_new(s->in, s->nin, &ic, &t, got_batch)))
		goto out;
	if ((ret = s->rt->set_inputs(s->session, t, s->nin)) || (ret = s->rt->run_batches(s->session, 1, &first)))
		goto out;
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
	out->epi_mj = NAN;
	if (env->m && nd) {
		struct gb_energy_totals tot;

		if (!(e = calloc(nd, sizeof *e))) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		if ((ret = gb_meter_window(env->m, &a, &b, e)) || (ret = gb_meter_totals(env->m, e, &tot)))
			goto out;
		if (tot.measured_valid || tot.estimated_valid) {
			double j = (tot.measured_valid ? tot.measured_j : 0) + (tot.estimated_valid ? tot.estimated_j : 0);

			out->energy_valid = 1;
			out->epi_mj = j * 1e3 / (double)(n * *got_batch);
			gb_advise_methods_text(tot.methods, out->methods, sizeof out->methods);
		}
	}
out:
	free(e);
	free(lats);
	gb_mark_release(&a);
	gb_mark_release(&b);
	gb_inputs_free(t, s->nin);
	return gb_bench_explain_oom(ret, batch);
}

static int better(const struct step *a, const struct step *b)
{
	if (a->energy_valid && b->energy_valid)
		return a->epi_mj < b->epi_mj;
	return a->thr > b->thr;	/* no energy here: time per item stands in */
}

static int pins_batch(const struct gb_advise_candidate *c)
{
	for (size_t i = 0; i < c->nset; i++)
		if (c->set[i].axis->pins_batch)
			return 1;
	return 0;
}

int gb_advise_screen(const struct gb_advise_screen_env *env, struct gb_advise_candidate *c,
		     struct gb_eval_side *ref)
{
	const struct gb_advise_opts *o = env->o;
	struct gb_advise_session s;
	struct step st, best;
	uint64_t t_start = gb_now_ns(), got = 0;
	double load_s = 0, prev_thr = 0;
	int have = 0, ret, slow = 0;

	memset(&best, 0, sizeof best);
	c->status = GB_ADVISE_FAILED;
	c->energy_per_item_mj = c->throughput_per_s = c->p99_ms = NAN;
	if ((ret = gb_advise_session_open(c, o->seed, &s, &load_s))) {
		snprintf(c->reason, sizeof c->reason, "cannot load: %s", gb_error_msg());
		goto done;
	}
	c->load_s += load_s;
	if (c->is_reference) {
		c->agreement_valid = 1;
		c->agreement = 1;
		c->max_abs_diff = 0;
	} else if (ref && (ret = agree(env, c, ref, &s.side))) {
		goto done;
	} else if (!ref && !c->agreement_valid) {
		snprintf(c->reason, sizeof c->reason, "no fp32 reference to compare its outputs with");
		goto done;
	}
	if (c->status == GB_ADVISE_FAILED && c->reason[0])
		goto done;
	if (c->agreement < o->min_agreement) {
		c->status = GB_ADVISE_REJECTED;
		snprintf(c->reason, sizeof c->reason,
			 "top-1 agreement %.2f%% with the fp32 reference is below %.2f%% (max |diff| %.3g)",
			 100 * c->agreement, 100 * o->min_agreement, c->max_abs_diff);
		goto done;
	}
	/* Batch sizes: double until throughput stops rising (by 5%), memory
	 * runs out, p99 passes the limit, or max_batch. */
	/* a baseline runs at its own batch only */
	uint64_t b0 = c->is_baseline && c->batch ? c->batch : 1, bmax = c->is_baseline ? b0 : o->max_batch;

	for (uint64_t b = b0; b <= bmax; b *= 2) {
		if (o->stop && *o->stop)
			break;
		if (have && gb_now_ns() >= env->deadline_ns)
			break;
		if (have && pins_batch(c)) {
			gb_advise_session_close(&s);
			if (gb_advise_session_open(c, o->seed, &s, &load_s))
				break;
			c->load_s += load_s;
		}
		ret = measure_step(env, &s.side, fixed_batch(&s.side) ? 0 : b, &st, &got);
		if (ret) {
			if (!have)
				snprintf(c->reason, sizeof c->reason, "batch %llu: %s", (unsigned long long)b,
					 gb_error_msg());
			break;	/* out of memory or a failure at this size: keep the smaller ones */
		}
		c->measured_s += st.measured_s;
		if (o->max_p99_ms > 0 && st.p99_ms > o->max_p99_ms) {
			slow = 1;
			break;	/* a larger batch only waits longer */
		}
		if (!have || better(&st, &best)) {
			best = st;
			c->batch = (unsigned)got;
		}
		have = 1;
		if (fixed_batch(&s.side) || st.thr < prev_thr * 1.05)
			break;
		prev_thr = st.thr;
	}
	if (have) {
		c->status = GB_ADVISE_OK;
		c->reason[0] = '\0';
		c->energy_per_item_mj = best.epi_mj;
		c->throughput_per_s = best.thr;
		c->p99_ms = best.p99_ms;
		snprintf(c->methods, sizeof c->methods, "%s", best.methods);
	} else if (slow) {
		c->status = GB_ADVISE_SLOW;
		snprintf(c->reason, sizeof c->reason, "p99 %.3g ms is above --max-p99-ms %.3g even at batch 1",
			 st.p99_ms, o->max_p99_ms);
	}
done:
	gb_advise_session_close(&s);
	c->wall_s = (double)(gb_now_ns() - t_start) / 1e9;
	return 0;
}
