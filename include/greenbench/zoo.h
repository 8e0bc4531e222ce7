/*
 * The built-in model zoo: ResNet-50, MobileNetV2 (torchvision) and
 * BERT-base (Hugging Face BertForSequenceClassification) written as ONNX
 * (opset 17) by greenbench itself, with deterministic pseudo-random
 * weights or weights from a safetensors file that uses the reference
 * model's state_dict names.
 *
 * Units: parameter and MAC counts are plain counts; MACs are per sample
 * (batch 1) at the model's default input size (224x224 images, BERT at
 * --seq or 128 tokens), counting Conv, Gemm and MatMul only.
 *
 * Thread-safety: every call builds its own graph; calls may run in
 * parallel. Errors set gb_error_msg().
 */
#ifndef GREENBENCH_ZOO_H
#define GREENBENCH_ZOO_H

#include "greenbench/tensor.h"

#include <stddef.h>
#include <stdint.h>

struct gb_zoo_model {
	const char *name;	/* "resnet50" */
	const char *summary;
	const char *reference;	/* "torchvision.models.resnet50" */
	int64_t default_labels;	/* classes of the head */
	unsigned study_items;	/* the study's workload: 10,000 images, 25,000 reviews */
};

/* The zoo table (src/model/zoo.c). */
size_t gb_zoo_count(void);
const struct gb_zoo_model *gb_zoo_at(size_t i);
const struct gb_zoo_model *gb_zoo_find(const char *name);

struct gb_zoo_options {
	enum gb_dtype dtype;	/* GB_DTYPE_F32 (default) or GB_DTYPE_F16 */
	int64_t batch;		/* 0: symbolic "batch" */
	int64_t seq;		/* BERT only; 0: symbolic "seq" */
	int64_t labels;		/* 0: the model's default */
	uint64_t seed;		/* random weights */
	const char *weights;	/* safetensors path, or NULL for random weights */
	/* Test-only BERT geometry overrides (0: BERT-base). Not for studies:
	 * the result is no longer BERT-base. */
	int64_t layers, hidden, heads, intermediate, vocab;
};

void gb_zoo_options_init(struct gb_zoo_options *o);

#define GB_ZOO_MAX_IO 4

struct gb_zoo_summary {
	uint64_t params;	/* trainable parameters (state_dict minus BN buffers) */
	uint64_t buffers;	/* BatchNorm running mean/var elements */
	uint64_t macs;		/* per sample, see the contract above */
	char macs_at[64];	/* "3x224x224", "seq 128" */
	size_t nodes, initializers;
	size_t ninputs, noutputs;
	struct gb_tensor_info inputs[GB_ZOO_MAX_IO];
	struct gb_tensor_info outputs[GB_ZOO_MAX_IO];
	size_t weights_used;	/* tensors taken from the weights file */
	size_t weights_unused;	/* tensors in it the graph did not need */
};

/* Describe a model without generating weights (fast). */
int gb_zoo_info(const char *name, const struct gb_zoo_options *o, struct gb_zoo_summary *out);

/* Build and write path (temporary file + rename: nothing is left on
 * failure). out may be NULL. */
int gb_zoo_export(const char *name, const struct gb_zoo_options *o, const char *path,
		  struct gb_zoo_summary *out);

#endif
