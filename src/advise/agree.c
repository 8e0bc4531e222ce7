/*
 * The advisor's verdict inputs: a runtime's reference outputs, computed
 * once and kept, so the reference's session need not stay open (it may be
 * reconfigured into the next candidate), and each candidate's outputs on
 * the same inputs compared with them. The inputs are generated batches
 * (seeds seed, seed + 1, ...), each side's from its own input description,
 * so an fp16 model gets the same values narrowed (greenbench/inputs.h
 * draws them so), or the items of the data, narrowed where a model takes
 * float16 or bfloat16.
 */
#include "advise/advise_impl.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/inputs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fixed_batch(const struct gb_eval_side *s)
{
	return s->nin && s->in[0].rank >= 1 && s->in[0].dims[0] >= 0;
}

/* Called with each batch's scores (rows x ncls) and labels (NULL: none). */
typedef int (*batch_fn)(void *ctx, const float *scores, size_t rows, size_t ncls, const int64_t *labels);

/* bound[i] narrowed into a buffer of its own where the model wants a
 * 16-bit float and the data is float32; *owned[i] then frees it. */
static int narrow(const struct gb_tensor_info *in, size_t nin, struct gb_tensor *bound, void **owned)
{
	for (size_t i = 0; i < nin; i++) {
		enum gb_dtype want = in[i].dtype;
		size_t n = bound[i].bytes / sizeof(float);
		uint16_t *h;

		owned[i] = NULL;
		if (bound[i].info.dtype != GB_DTYPE_F32 || (want != GB_DTYPE_F16 && want != GB_DTYPE_BF16))
			continue;
		if (!(h = malloc(n ? n * sizeof *h : 1)))
			return gb_error_set(-ENOMEM, "out of memory");
		for (size_t k = 0; k < n; k++) {
			float f = ((const float *)bound[i].data)[k];

			h[k] = want == GB_DTYPE_F16 ? gb_f32_to_f16(f) : gb_f32_to_bf16(f);
		}
		owned[i] = h;
		bound[i].data = h;
		bound[i].bytes = n * sizeof *h;
		bound[i].info.dtype = want;
	}
	return 0;
}

static int each_data_batch(const struct gb_advise_screen_env *env, struct gb_eval_side *s, batch_fn fn, void *ctx)
{
	struct gb_eval e;
	void *owned[GB_EVAL_MAX_INPUTS] = { 0 };
	const float *sc;
	size_t got, ncls;
	int ret;

	if ((ret = gb_eval_init(&e, s->rt, s->session, env->ds, env->o->agree_batch)))
		return ret;
	for (;;) {
		if ((ret = gb_eval_next(&e, &got)) || !got)
			break;
		if (!(ret = narrow(e.model_in, e.nmodel_in, e.bound, owned)) &&
		    !(ret = gb_eval_side_scores(s, e.bound, e.nmodel_in, got, &sc, &ncls)))
			ret = fn(ctx, sc, got, ncls, e.labels);
		for (size_t i = 0; i < GB_EVAL_MAX_INPUTS; i++) {
			free(owned[i]);
			owned[i] = NULL;
		}
		if (ret)
			break;
	}
	gb_eval_release(&e);
	return ret;
}

static int each_generated_batch(const struct gb_advise_screen_env *env, struct gb_eval_side *s, batch_fn fn,
				void *ctx)
{
	struct gb_input_config ic;
	struct gb_tensor *t = NULL;
	uint64_t rows = 0;
	const float *sc;
	size_t ncls;
	int ret = 0;

	gb_input_config_init(&ic);
	ic.batch = fixed_batch(s) ? 0 : env->o->agree_batch;
	ic.dims = env->model->dims;
	ic.ndims = env->model->ndims;
	ic.vocab = env->model->vocab;
	for (uint64_t i = 0; !ret && i < env->o->agree_batches; i++) {
		ic.seed = env->o->seed + i;
		if ((ret = gb_bench_explain_oom(gb_inputs_new(s->in, s->nin, &ic, &t, &rows), ic.batch)))
			break;
		if (!(ret = gb_eval_side_scores(s, t, s->nin, rows, &sc, &ncls)))
			ret = fn(ctx, sc, rows, ncls, NULL);
		gb_inputs_free(t, s->nin);
		t = NULL;
	}
	return ret;
}

static int each_batch(const struct gb_advise_screen_env *env, struct gb_eval_side *s, batch_fn fn, void *ctx)
{
	return env->ds ? each_data_batch(env, s, fn, ctx) : each_generated_batch(env, s, fn, ctx);
}

/* ---- the reference --------------------------------------------------------- */

struct keep {
	struct gb_advise_refout *r;
	size_t cap;
	struct gb_accuracy acc;
};

static int keep_batch(void *ctx, const float *scores, size_t rows, size_t ncls, const int64_t *labels)
{
	struct keep *k = ctx;
	struct gb_advise_refout *r = k->r;
	int ret;

	if (r->rows && ncls != r->ncls)
		return gb_error_set(-EINVAL, "the reference gives %zu then %zu scores per item", r->ncls, ncls);
	r->ncls = ncls;
	if ((r->rows + rows) * ncls > k->cap) {
		size_t cap = ((r->rows + rows) * ncls) * 2;
		float *n = realloc(r->scores, cap * sizeof *n);

		if (!n)
			return gb_error_set(-ENOMEM, "out of memory");
		r->scores = n;
		k->cap = cap;
	}
	memcpy(r->scores + r->rows * ncls, scores, rows * ncls * sizeof *scores);
	r->rows += rows;
	if (labels && (ret = gb_accuracy_add(&k->acc, scores, rows, ncls, labels)))
		return ret;
	return 0;
}

int gb_advise_ref_outputs(const struct gb_advise_screen_env *env, struct gb_eval_side *s,
			  struct gb_advise_refout *out)
{
	struct keep k = { out, 0, { 0 } };
	int ret;

	gb_advise_refout_release(out);
	gb_accuracy_init(&k.acc);
	if ((ret = each_batch(env, s, keep_batch, &k))) {
		gb_advise_refout_release(out);
		return ret;
	}
	if (!out->rows) {
		gb_advise_refout_release(out);
		return gb_error_set(-ENODATA, "no items to compare outputs on");
	}
	if (env->ds && gb_accuracy_top1(&k.acc, &out->accuracy))
		out->accuracy = NAN;
	out->valid = 1;
	return 0;
}

void gb_advise_refout_release(struct gb_advise_refout *r)
{
	free(r->scores);
	memset(r, 0, sizeof *r);
	r->accuracy = NAN;
}

/* ---- a candidate against it ------------------------------------------------ */

struct cmp {
	const struct gb_advise_refout *ref;
	size_t row;
	struct gb_agreement g;
	struct gb_accuracy acc;
};

static int compare_batch(void *ctx, const float *scores, size_t rows, size_t ncls, const int64_t *labels)
{
	struct cmp *c = ctx;
	int ret;

	if (ncls != c->ref->ncls)
		return gb_error_set(-EINVAL, "%zu scores per item, the reference gives %zu", ncls, c->ref->ncls);
	if (c->row + rows > c->ref->rows)
		return gb_error_set(-EINVAL, "more items than the reference's %zu", c->ref->rows);
	gb_agreement_add(&c->g, c->ref->scores + c->row * ncls, scores, rows, ncls);
	c->row += rows;
	if (labels && (ret = gb_accuracy_add(&c->acc, scores, rows, ncls, labels)))
		return ret;
	return 0;
}

int gb_advise_agree(const struct gb_advise_screen_env *env, struct gb_eval_side *s,
		    const struct gb_advise_refout *ref, struct gb_advise_candidate *c)
{
	struct cmp k;
	int ret;

	memset(&k, 0, sizeof k);
	k.ref = ref;
	gb_agreement_init(&k.g);
	gb_accuracy_init(&k.acc);
	ret = each_batch(env, s, compare_batch, &k);
	if (ret == -ENOMEM)
		return ret;
	if (!ret && k.row != ref->rows)
		ret = gb_error_set(-EINVAL, "%zu items, the reference's %zu", k.row, ref->rows);
	if (ret) {
		c->status = GB_ADVISE_FAILED;
		snprintf(c->reason, sizeof c->reason, "outputs not comparable: %s", gb_error_msg());
		return 0;
	}
	c->agreement_valid = 1;
	c->agreement = k.g.n ? (double)k.g.top1_agree / (double)k.g.n : 0;
	c->max_abs_diff = k.g.max_abs_diff;
	c->agree_rows = k.g.n;
	c->flat_rows = k.g.flat_rows;
	c->nan_mismatch = k.g.nan_mismatch;
	c->ref_max_abs = k.g.max_abs_first;
	if (k.g.nan_mismatch)
		c->agreement = 0;
	if (!env->ds || gb_accuracy_top1(&k.acc, &c->accuracy))
		c->accuracy = NAN;
	return 0;
}

void gb_advise_agree_reason(const struct gb_advise_candidate *c, double min_agreement, char *buf, size_t len)
{
	int n = snprintf(buf, len, "top-1 agreement %.2f%% with the fp32 reference is below %.2f%% (max |diff| %.3g)",
			 100 * c->agreement, 100 * min_agreement, c->max_abs_diff);
	size_t off = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;

	if (c->nan_mismatch && off < len) {
		n = snprintf(buf + off, len - off, "; %llu of its scores are NaN where the reference's are not",
			     (unsigned long long)c->nan_mismatch);
		off = n < 0 ? off : off + (size_t)n < len ? off + (size_t)n : len;
	}
	/* The H200's MobileNetV2 (random weights) in fp16: every score of
	 * 1e-10 flushed to 0, so argmax was always class 0 and max |diff|
	 * looked tiny; say so rather than leave a puzzle. */
	if (c->flat_rows && off < len)
		snprintf(buf + off, len - off,
			 "; %llu of %llu rows came out flat (every score equal), the reference's scores being at most"
			 " %.3g in size%s",
			 (unsigned long long)c->flat_rows, (unsigned long long)c->agree_rows, c->ref_max_abs,
			 c->ref_max_abs < 6.1e-5 ? " (fp16 keeps nothing below 6e-8: random weights?)" : "");
}
