/*
 * Internals of the model zoo: the build context shared by the three
 * architectures and the layer helpers they are written with.
 *
 * Errors are sticky: the first failing helper records its code in
 * ctx->err (its message in gb_error_msg()) and every later helper does
 * nothing, so an architecture reads as straight-line code and checks
 * ctx->err once at the end (the stdio ferror() idea).
 *
 * Every value carries its shape at the reference size (batch 1, default
 * image size or sequence length); the helpers derive output shapes from
 * it and add the multiply-accumulates of Conv, Gemm and MatMul to
 * ctx->macs, so MACs are computed from the graph that is written.
 */
#ifndef GB_MODEL_ZOO_IMPL_H
#define GB_MODEL_ZOO_IMPL_H

#include "greenbench/onnx_builder.h"
#include "greenbench/safetensors.h"
#include "greenbench/zoo.h"

#include <stdint.h>

#define ZOO_OPSET 17
#define ZOO_MAX_RANK 6

struct zoo_ctx {
	struct gb_onnx_builder *b;
	const struct gb_zoo_options *opt;
	enum gb_dtype dt;		/* float type of weights and activations */
	struct gb_safetensors *st;	/* weights file, or NULL */
	int no_data;			/* describe only: no weights at all */
	int err;
	int64_t labels;
	uint64_t params, buffers, macs;
	size_t weights_used;
	struct gb_zoo_summary *sum;	/* inputs and outputs are recorded here */
	char macs_at[64];
	/* Constants already in the graph, by name (created once, shared). */
	char consts[32][48];
	int n_consts;
};

/* A graph value and its reference-size shape. */
struct zv {
	char name[112];
	int rank;
	int64_t d[ZOO_MAX_RANK];
};

enum zoo_kind {
	ZOO_PARAM,	/* a trainable parameter: counted, loadable */
	ZOO_BUFFER,	/* BatchNorm running stats: loadable, not counted */
};

enum zoo_init {
	ZOO_INIT_UNIFORM,	/* zero mean, the given standard deviation */
	ZOO_INIT_ONES,
	ZOO_INIT_ZEROS,
};

struct zoo_arch {
	const struct gb_zoo_model model;
	int has_seq;	/* takes --seq and the test-only geometry options */
	int (*build)(struct zoo_ctx *ctx);
};

extern const struct zoo_arch gb_zoo_resnet50, gb_zoo_mobilenetv2, gb_zoo_bert;

/* Record a failure (first one wins) and return it. */
int zoo_fail(struct zoo_ctx *ctx, int err);

/* A parameter or buffer named as in the reference state_dict, taken from
 * the weights file or generated. Returns name (for use as a node input). */
const char *zoo_param(struct zoo_ctx *ctx, const char *name, enum zoo_kind kind, int rank,
		      const int64_t *dims, enum zoo_init init, double std);
/* A parameter that random weights set to v everywhere (loaded weights
 * are loaded as usual). */
const char *zoo_param_const(struct zoo_ctx *ctx, const char *name, int rank, const int64_t *dims, float v);
/* Constants the graph needs (not parameters): a float scalar in ctx->dt,
 * an int64 vector of n values (n == 0: the scalar v[0]). Created on the first call with a given name; later
 * calls with that name return the same constant. */
const char *zoo_const_float(struct zoo_ctx *ctx, const char *name, float v);
const char *zoo_const_i64(struct zoo_ctx *ctx, const char *name, int n, const int64_t *v);

/* Graph inputs/outputs: dims give the ONNX shape (param for symbolic),
 * ref the reference shape used for MACs. */
struct zv zoo_input(struct zoo_ctx *ctx, const char *name, enum gb_dtype dtype, int rank,
		    const struct gb_onnx_dim *dims, const int64_t *ref);
void zoo_output(struct zoo_ctx *ctx, struct zv v, const char *name, int rank, const struct gb_onnx_dim *dims);

/* Any node with one output whose shape the caller gives. */
struct zv zoo_op(struct zoo_ctx *ctx, const char *op, const char *out, int n_in, const char *const *in,
		 int n_attrs, const struct gb_onnx_attr *attrs, int rank, const int64_t *dims);
/* Same shape as x (elementwise). */
struct zv zoo_unary(struct zoo_ctx *ctx, const char *op, const char *out, struct zv x);
struct zv zoo_binary(struct zoo_ctx *ctx, const char *op, const char *out, struct zv a, const char *b);

/* CNN layers (NCHW). conv: weight "<w>.weight" [cout, cin/groups, k, k],
 * no bias; random weights at the Kaiming (fan_in, ReLU) scale, which keeps
 * activations at unit scale with BatchNorm at its fresh running stats
 * (torchvision's fan_out scale shrinks them by sqrt(channels) at every
 * depthwise convolution of MobileNetV2). */
struct zv zoo_conv(struct zoo_ctx *ctx, struct zv x, const char *w, int64_t cout, int64_t k,
		   int64_t stride, int64_t pad, int64_t groups);
/* BatchNormalization (eps 1e-5) with "<w>.weight/.bias/.running_mean/.running_var". */
struct zv zoo_bn(struct zoo_ctx *ctx, struct zv x, const char *w);
/* The same with gamma (the BN weight) set to a constant in random weights. */
struct zv zoo_bn_gamma(struct zoo_ctx *ctx, struct zv x, const char *w, float gamma);
struct zv zoo_relu(struct zoo_ctx *ctx, struct zv x);
struct zv zoo_relu6(struct zoo_ctx *ctx, struct zv x);
struct zv zoo_add(struct zoo_ctx *ctx, struct zv a, struct zv b);
struct zv zoo_maxpool(struct zoo_ctx *ctx, struct zv x, int64_t k, int64_t stride, int64_t pad);
/* Adaptive average pool to 1x1 and flatten: [N, C]. */
struct zv zoo_pool_flatten(struct zoo_ctx *ctx, struct zv x);
/* torch.nn.Linear on [N, in] as Gemm(transB=1): "<w>.weight" [out, in],
 * "<w>.bias" [out]; weights U(+-1/sqrt(in)) like torch unless std > 0. */
struct zv zoo_linear(struct zoo_ctx *ctx, struct zv x, const char *w, int64_t out, double std);
/* torch.nn.Linear on [..., in]: MatMul by the transposed weight + bias. */
struct zv zoo_linear_nd(struct zoo_ctx *ctx, struct zv x, const char *w, int64_t out, double std);
struct zv zoo_layernorm(struct zoo_ctx *ctx, struct zv x, const char *w, float eps);
/* Batched MatMul with MACs; shapes broadcast as numpy. */
struct zv zoo_matmul(struct zoo_ctx *ctx, struct zv a, struct zv b, const char *out);

#endif
