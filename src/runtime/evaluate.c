/*
 * Model outputs on real inputs through a runtime session (evaluate.h).
 */
#include "greenbench/evaluate.h"
#include "greenbench/bench.h"
#include "model/half.h"
#include "greenbench/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_eval_map_inputs(const struct gb_tensor_info *in, size_t nin, const struct gb_tensor *src,
		       size_t nsrc, struct gb_tensor *dst)
{
	for (size_t i = 0; i < nin; i++) {
		const struct gb_tensor *t = NULL;

		for (size_t j = 0; j < nsrc && !t; j++)
			if (!strcmp(src[j].info.name, in[i].name))
				t = &src[j];
		if (!t && nsrc == nin)
			t = &src[i];
		if (!t)
			return gb_error_set(-EINVAL, "no data for the model's input '%s' (the data gives %zu input%s%s%s)",
					    in[i].name, nsrc, nsrc == 1 ? "" : "s", nsrc ? ", first " : "",
					    nsrc ? src[0].info.name : "");
		dst[i] = *t;
		snprintf(dst[i].info.name, sizeof dst[i].info.name, "%s", in[i].name);
	}
	return 0;
}

/* The first float32 output as scores; with conv (may be NULL), a float16
 * or bfloat16 one when there is none, widened into *conv (grown to *cap). */
static int scores_of(const struct gb_runtime_ops *rt, void *session, const struct gb_tensor *in, size_t nin,
		     size_t rows, float **conv, size_t *cap, const float **scores, size_t *ncls)
{
	const struct gb_tensor *out = NULL;
	size_t nout = 0, count;
	int ret;

	if (!rt->outputs)
		return gb_error_set(-ENOTSUP, "runtime '%s' cannot return outputs", rt->name);
	ret = rt->set_inputs(session, in, nin);
	if (!ret)
		ret = rt->run_batches(session, 1, NULL);
	if (!ret)
		ret = rt->outputs(session, &out, &nout);
	if (ret)
		return ret;
	for (int pass = 0; pass < (conv ? 2 : 1); pass++)
		for (size_t i = 0; i < nout; i++) {
			const struct gb_tensor *t = &out[i];
			enum gb_dtype d = t->info.dtype;
			size_t esize = d == GB_DTYPE_F32 ? sizeof(float) : sizeof(uint16_t);

			if ((pass ? d != GB_DTYPE_F16 && d != GB_DTYPE_BF16 : d != GB_DTYPE_F32) || t->info.rank < 1)
				continue;
			if (t->info.dims[0] < (int64_t)rows || t->info.dims[0] <= 0)
				return gb_error_set(-EINVAL, "output '%s' has %lld rows for a batch of %zu",
						    t->info.name, (long long)t->info.dims[0], rows);
			count = t->bytes / esize;
			*ncls = count / (size_t)t->info.dims[0];
			if (!*ncls)
				return gb_error_set(-EINVAL, "output '%s' is empty", t->info.name);
			if (!pass) {
				*scores = t->data;
				return 0;
			}
			if (count > *cap) {
				float *nb = realloc(*conv, count * sizeof *nb);

				if (!nb)
					return gb_error_set(-ENOMEM, "out of memory");
				*conv = nb;
				*cap = count;
			}
			for (size_t k = 0; k < count; k++) {
				uint16_t u = ((const uint16_t *)t->data)[k];

				(*conv)[k] = d == GB_DTYPE_F16 ? gb_half_to_float(u) : gb_bf16_to_float(u);
			}
			*scores = *conv;
			return 0;
		}
	return gb_error_set(-EINVAL, "the model has no float32%s output to score (%zu output%s)",
			    conv ? ", float16 or bfloat16" : "", nout, nout == 1 ? "" : "s");
}

int gb_eval_scores(const struct gb_runtime_ops *rt, void *session, const struct gb_tensor *in,
		   size_t nin, size_t rows, const float **scores, size_t *ncls)
{
	return scores_of(rt, session, in, nin, rows, NULL, NULL, scores, ncls);
}

int gb_eval_init(struct gb_eval *e, const struct gb_runtime_ops *rt, void *session,
		 struct gb_dataset *ds, size_t batch)
{
	const struct gb_tensor_info *outs = NULL;
	size_t nout = 0;
	int ret;

	memset(e, 0, sizeof *e);
	e->rt = rt;
	e->session = session;
	e->ds = ds;
	e->batch = batch;
	e->ndata = gb_dataset_input_count(ds);
	if (e->ndata > GB_EVAL_MAX_INPUTS || !batch)
		return gb_error_set(-EINVAL, "cannot evaluate: %zu inputs, batch %zu", e->ndata, batch);
	ret = rt->describe(session, &e->model_in, &e->nmodel_in, &outs, &nout);
	if (ret)
		return ret;
	if (e->nmodel_in > GB_EVAL_MAX_INPUTS)
		return gb_error_set(-EINVAL, "the model has %zu inputs: at most %d can take data",
				    e->nmodel_in, GB_EVAL_MAX_INPUTS);
	for (size_t i = 0; i < e->nmodel_in; i++) {
		const struct gb_tensor_info *t = &e->model_in[i];

		if (t->rank < 1 || t->dims[0] < 0)
			continue;
		if ((size_t)t->dims[0] != batch)
			return gb_error_set(-EINVAL, "input '%s' has a fixed batch of %lld: the data cannot run in batches of %zu",
					    t->name, (long long)t->dims[0], batch);
		e->fixed_batch = 1;
	}
	e->labels = calloc(batch, sizeof *e->labels);
	if (!e->labels)
		return gb_error_set(-ENOMEM, "out of memory for %zu labels", batch);
	ret = gb_dataset_batch_alloc(ds, batch, e->data);
	if (ret) {
		free(e->labels);
		e->labels = NULL;
		e->ndata = 0;
		return ret;
	}
	gb_dataset_rewind(ds);
	return 0;
}

void gb_eval_release(struct gb_eval *e)
{
	if (e->labels)
		gb_dataset_batch_free(e->ds, e->data);
	free(e->labels);
	e->labels = NULL;
}

/* Zero rows got..batch-1 so a fixed-batch model gets a whole batch. */
static void pad_batch(struct gb_tensor *t, size_t got, size_t batch)
{
	size_t row = t->bytes / got;

	memset((char *)t->data + t->bytes, 0, row * (batch - got));
	t->info.dims[0] = (int64_t)batch;
	t->bytes = row * batch;
}

int gb_eval_next(struct gb_eval *e, size_t *got)
{
	int ret = gb_dataset_next(e->ds, e->batch, e->data, e->labels, got);

	if (ret || !*got)
		return ret;
	if (e->fixed_batch && *got < e->batch)
		for (size_t i = 0; i < e->ndata; i++)
			pad_batch(&e->data[i], *got, e->batch);
	return gb_eval_map_inputs(e->model_in, e->nmodel_in, e->data, e->ndata, e->bound);
}

int gb_eval_accuracy(struct gb_eval *e, struct gb_accuracy *acc, uint64_t *batches)
{
	const float *scores;
	size_t got, ncls;
	int ret;

	*batches = 0;
	for (;;) {
		ret = gb_eval_next(e, &got);
		if (ret || !got)
			return ret;
		ret = gb_eval_scores(e->rt, e->session, e->bound, e->nmodel_in, got, &scores, &ncls);
		if (!ret)
			ret = gb_accuracy_add(acc, scores, got, ncls, e->labels);
		if (ret)
			return ret;
		(*batches)++;
	}
}

/* ---- two sessions on the same batches ------------------------------------ */

int gb_eval_compare_batch(struct gb_eval_side *s, const struct gb_tensor *t, size_t nt, size_t rows,
			  const int64_t *labels, struct gb_eval_tally *ty, int *failed)
{
	const float *sc[2];
	size_t ncls[2];
	int ret;

	for (int i = 0; i < 2; i++) {
		*failed = i;
		if ((ret = gb_eval_map_inputs(s[i].in, s[i].nin, t, nt, s[i].bound)) < 0 ||
		    (ret = scores_of(s[i].rt, s[i].session, s[i].bound, s[i].nin, rows, &s[i].conv, &s[i].conv_cap,
				     &sc[i], &ncls[i])) < 0 ||
		    (labels && (ret = gb_accuracy_add(&s[i].acc, sc[i], rows, ncls[i], labels)) < 0))
			return ret;
	}
	*failed = -1;
	if (ncls[0] != ncls[1])
		return gb_error_set(-EINVAL, "the outputs differ in size: a gives %zu scores per item, b %zu",
				    ncls[0], ncls[1]);
	gb_agreement_add(&ty->g, sc[0], sc[1], rows, ncls[0]);
	ty->ncls = ncls[0];
	ty->batches++;
	ty->items += rows;
	return 0;
}

int gb_eval_side_scores(struct gb_eval_side *s, const struct gb_tensor *in, size_t nin, size_t rows,
			const float **scores, size_t *ncls)
{
	return scores_of(s->rt, s->session, in, nin, rows, &s->conv, &s->conv_cap, scores, ncls);
}

void gb_eval_side_release(struct gb_eval_side *s)
{
	free(s->conv);
	s->conv = NULL;
	s->conv_cap = 0;
}

int gb_eval_compare_generated(struct gb_eval_side *s, const struct gb_input_config *ic,
			      uint64_t nbatches, struct gb_eval_tally *ty, int *failed)
{
	struct gb_input_config c = *ic;
	struct gb_tensor *t = NULL;
	uint64_t batch = 0;
	int ret = 0;

	for (uint64_t i = 0; !ret && i < nbatches; i++) {
		c.seed = ic->seed + i;
		*failed = 0;
		if ((ret = gb_bench_explain_oom(gb_inputs_new(s[0].in, s[0].nin, &c, &t, &batch), ic->batch)) < 0)
			return ret;
		ret = gb_eval_compare_batch(s, t, s[0].nin, batch, NULL, ty, failed);
		gb_inputs_free(t, s[0].nin);
	}
	return ret;
}
