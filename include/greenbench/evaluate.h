/*
 * Evaluation: model outputs on real inputs, through an open runtime
 * session and the same set_inputs()/run_batches() path the performance
 * phases use. `run --data` scores a dataset (accuracy); `compare` feeds two
 * sessions the same batches (agreement).
 *
 * Inputs are bound to the model's inputs by name, else by position when
 * the counts agree (a dataset's one image tensor "input" feeds a model
 * whose one input is "x"). A dataset's extra tensors are left out (a text
 * model that only takes input_ids).
 *
 * Scores are the model's first float32 output, read as [rows, C] with C
 * the product of its other dims (C = 1: one logit of a binary classifier).
 *
 * Batches: a model with a symbolic batch dim runs the last short batch at
 * its size; a model with a fixed batch gets it padded with zero rows, which
 * are run but not scored.
 *
 * Ownership: a gb_eval owns its batch tensors; the scores pointer returned
 * by gb_eval_scores() belongs to the session (valid until its next run).
 * Thread-safety: one gb_eval per session, one thread.
 */
#ifndef GREENBENCH_EVALUATE_H
#define GREENBENCH_EVALUATE_H

#include "greenbench/accuracy.h"
#include "greenbench/dataset.h"
#include "greenbench/inputs.h"
#include "greenbench/runtime.h"

#include <stddef.h>
#include <stdint.h>

#define GB_EVAL_MAX_INPUTS 8

/* dst[i] = the tensor of src that feeds model input i (a shallow copy
 * renamed to the model's name). -EINVAL naming the input when none does. */
int gb_eval_map_inputs(const struct gb_tensor_info *in, size_t nin, const struct gb_tensor *src,
		       size_t nsrc, struct gb_tensor *dst);

/* Bind inputs, run one batch, and return its scores: *scores has rows x
 * *ncls floats (rows <= the batch's first dim; padded rows are ignored). */
int gb_eval_scores(const struct gb_runtime_ops *rt, void *session, const struct gb_tensor *in,
		   size_t nin, size_t rows, const float **scores, size_t *ncls);

/* ---- comparing two sessions (compare, the advisor's agreement check) --- */

/* One side: an open session, its model inputs (describe()'s), the
 * tensors bound to them, and its accuracy when labels are given. A side
 * whose model outputs float16 or bfloat16 (an fp16 conversion) is compared
 * on those widened to float, in conv (the side's; gb_eval_side_release()). */
struct gb_eval_side {
	const struct gb_runtime_ops *rt;
	void *session;
	const struct gb_tensor_info *in;
	size_t nin;
	struct gb_tensor bound[GB_EVAL_MAX_INPUTS];
	struct gb_accuracy acc;
	float *conv;
	size_t conv_cap;
};

void gb_eval_side_release(struct gb_eval_side *s);

/* One batch in (bound to s's inputs already) through s: its scores, rows
 * x *ncls floats, float16 and bfloat16 outputs widened into s->conv.
 * *scores belongs to the session or to s, valid until either runs again. */
int gb_eval_side_scores(struct gb_eval_side *s, const struct gb_tensor *in, size_t nin, size_t rows,
			const float **scores, size_t *ncls);

struct gb_eval_tally {
	struct gb_agreement g;
	uint64_t batches, items;
	size_t ncls;		/* scores per item */
};

/* Both sides (s[0], s[1]) on one batch t of nt tensors, rows scored: the
 * agreement of their scores into ty; with labels (may be NULL) each side's
 * accuracy too. On error *failed is the side (0, 1), or -1 when the sides
 * give different numbers of scores. */
int gb_eval_compare_batch(struct gb_eval_side *s, const struct gb_tensor *t, size_t nt, size_t rows,
			  const int64_t *labels, struct gb_eval_tally *ty, int *failed);
/* nbatches generated batches (seeds ic->seed, ic->seed + 1, ...), shaped
 * and named after side 0's inputs (side 1 takes them by name or position). */
int gb_eval_compare_generated(struct gb_eval_side *s, const struct gb_input_config *ic,
			      uint64_t nbatches, struct gb_eval_tally *ty, int *failed);

/* A dataset read in batches for one session. */
struct gb_eval {
	const struct gb_runtime_ops *rt;
	void *session;
	struct gb_dataset *ds;
	const struct gb_tensor_info *model_in;
	size_t nmodel_in;
	struct gb_tensor data[GB_EVAL_MAX_INPUTS];	/* the dataset's batch tensors */
	size_t ndata;
	struct gb_tensor bound[GB_EVAL_MAX_INPUTS];	/* the same, per model input */
	size_t batch;
	int fixed_batch;				/* the model's batch dim is fixed: pad */
	int64_t *labels;
};

/* Allocate batches of `batch` rows for ds and check the model can take
 * them (a fixed batch dim must equal batch). ds is rewound. */
int gb_eval_init(struct gb_eval *e, const struct gb_runtime_ops *rt, void *session,
		 struct gb_dataset *ds, size_t batch);
void gb_eval_release(struct gb_eval *e);

/* The next batch, bound to the model's inputs (padded when fixed):
 * *got items (0 at the end), their labels in e->labels. */
int gb_eval_next(struct gb_eval *e, size_t *got);

/* Every remaining batch of the dataset through the session into acc;
 * *batches counts the runs. */
int gb_eval_accuracy(struct gb_eval *e, struct gb_accuracy *acc, uint64_t *batches);

#endif
