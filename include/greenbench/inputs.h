/*
 * Synthetic model inputs, generated from the model's own input metadata.
 *
 * Shapes: a fixed dim is kept as it is. A symbolic dim takes its value
 * from the --dim list when its name is there; otherwise the first axis
 * (and any dim named like "batch", "N", "batch_size") takes the batch size;
 * anything else is an error naming the dim ("input 'x' has symbolic dim
 * 'seq': set --dim seq=N").
 *
 * Values, by dtype and input name (case-insensitive), reproducible from the
 * seed:
 *   float32/float16/bfloat16/float64  uniform in [0, 1)
 *   int64/int32 named *input_ids*, *token*ids*, "ids"  uniform in [0, vocab)
 *   int* named *mask*                 all ones (attention masks)
 *   int* named *position_ids*         0, 1, 2, ... along the last axis
 *   other ints (token_type_ids, indices, ...) zeros, valid for any index
 *   bool named *mask*                 all true; other bool: random
 *   int8/uint8                        uniform in [0, 128)
 *
 * Ownership: gb_inputs_new() returns an array of n tensors whose data the
 * caller frees with gb_inputs_free(). Pure computation; thread-safe.
 */
#ifndef GREENBENCH_INPUTS_H
#define GREENBENCH_INPUTS_H

#include "greenbench/tensor.h"

#include <stddef.h>
#include <stdint.h>

#define GB_VOCAB_DEFAULT 30522	/* BERT-base's vocabulary */
#define GB_MAX_DIMS 16

/* A named symbolic dim value from --dim name=value. */
struct gb_dim {
	char name[64];
	int64_t value;
};

struct gb_input_config {
	uint64_t batch;		/* 0: not given (symbolic batch dims get 1) */
	const struct gb_dim *dims;
	size_t ndims;
	uint64_t vocab;		/* 0: GB_VOCAB_DEFAULT */
	uint64_t seed;
	/* Refuse inputs larger than this in total; 0: physical memory. */
	uint64_t max_bytes;
};

void gb_input_config_init(struct gb_input_config *cfg);

/* Parse "seq=128" into d; -EINVAL with a message naming the text. */
int gb_dim_parse(const char *text, struct gb_dim *d);

/* Resolve every input's shape (no -1 left) into out[0..n-1]; *batch gets
 * the items per batch (the first input's first dim, or 1 for a scalar). */
int gb_inputs_resolve(const struct gb_tensor_info *in, size_t n,
		      const struct gb_input_config *cfg, struct gb_tensor_info *out,
		      uint64_t *batch);

/* The value of each named symbolic dim of in[0..n-1] under the shape rule
 * above, once per name in order of first use, into out[0..cap-1] (*nout of
 * them). It is the rule gb_inputs_resolve() applies, so a runtime that
 * fixes these dims before loading (ORT's free-dimension overrides) fixes
 * the very values the generated inputs get. A name used on several axes
 * gets one value: where the rule gives it one, it is the same on each.
 * Unnamed symbolic dims have no name to fix and are left out.
 * flags: GB_FREE_DIMS_KNOWN leaves out the dims the rule cannot value
 * (no --dim for them: inputs from a dataset may still fill them) instead
 * of failing as gb_inputs_resolve() would.
 * Errors: -EINVAL as gb_inputs_resolve(), -E2BIG for more than cap names. */
#define GB_FREE_DIMS_KNOWN (1u << 0)
int gb_inputs_free_dims(const struct gb_tensor_info *in, size_t n,
			const struct gb_input_config *cfg, unsigned flags, struct gb_dim *out,
			size_t cap, size_t *nout);

/* Resolve and fill. *out gets n tensors. */
int gb_inputs_new(const struct gb_tensor_info *in, size_t n, const struct gb_input_config *cfg,
		  struct gb_tensor **out, uint64_t *batch);
void gb_inputs_free(struct gb_tensor *t, size_t n);

/* IEEE half and bfloat16 from float (round to nearest even). */
uint16_t gb_f32_to_f16(float f);
uint16_t gb_f32_to_bf16(float f);

#endif
