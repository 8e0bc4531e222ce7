/*
 * Hugging Face BertForSequenceClassification(BertConfig()) in eval mode:
 * BERT-base uncased geometry, exact (erf) GELU, LayerNorm eps 1e-12, the
 * attention mask turned into an additive mask of (1 - mask) * finfo.min as
 * HF does, pooler tanh on [CLS], linear classifier. Tensors are named as
 * in the state_dict (bert.embeddings..., classifier.weight).
 */
#include "model/zoo_impl.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#define BERT_STD 0.02	/* HF initializer_range */
#define BERT_EPS 1e-12f

struct geom {
	int64_t layers, hidden, heads, inter, vocab, max_pos, type_vocab;
};

static struct zv gelu(struct zoo_ctx *ctx, struct zv x, const char *p)
{
	char n[4][128];
	struct zv t;

	snprintf(n[0], sizeof n[0], "%s/gelu_div", p);
	snprintf(n[1], sizeof n[1], "%s/gelu_erf", p);
	snprintf(n[2], sizeof n[2], "%s/gelu_add", p);
	snprintf(n[3], sizeof n[3], "%s/gelu_mul", p);
	/* x * 0.5 * (1 + erf(x / sqrt(2))), as torch's exact gelu */
	t = zoo_binary(ctx, "Div", n[0], x, zoo_const_float(ctx, "const/sqrt2", (float)M_SQRT2));
	t = zoo_unary(ctx, "Erf", n[1], t);
	t = zoo_binary(ctx, "Add", n[2], t, zoo_const_float(ctx, "const/one", 1.0f));
	t = zoo_binary(ctx, "Mul", n[3], t, x.name);
	snprintf(n[0], sizeof n[0], "%s/gelu", p);
	return zoo_binary(ctx, "Mul", n[0], t, zoo_const_float(ctx, "const/half", 0.5f));
}

/* [B, S, H] -> [B, heads, S, dh] (perm 0213) or [B, heads, dh, S] (0231). */
static struct zv split_heads(struct zoo_ctx *ctx, struct zv x, const struct geom *g, int keys)
{
	const int64_t dh = g->hidden / g->heads, shape[4] = { 0, 0, g->heads, dh };
	const int64_t pq[4] = { 0, 2, 1, 3 }, pk[4] = { 0, 2, 3, 1 };
	const struct gb_onnx_attr perm = { .name = "perm", .type = GB_ONNX_ATTR_INTS, .ints = keys ? pk : pq, .n_ints = 4 };
	int64_t rd[4] = { x.d[0], x.d[1], g->heads, dh };
	int64_t td[4] = { x.d[0], g->heads, keys ? dh : x.d[1], keys ? x.d[1] : dh };
	char r[160], t[160];
	const char *in[2] = { x.name, zoo_const_i64(ctx, "const/heads_shape", 4, shape) };
	struct zv y;

	snprintf(r, sizeof r, "%s/heads", x.name);
	snprintf(t, sizeof t, "%s/heads_t", x.name);
	y = zoo_op(ctx, "Reshape", r, 2, in, 0, NULL, 4, rd);
	in[0] = y.name;
	return zoo_op(ctx, "Transpose", t, 1, in, 1, &perm, 4, td);
}

static struct zv attention(struct zoo_ctx *ctx, struct zv h, const char *mask, const struct geom *g, const char *p)
{
	const int64_t merged[3] = { 0, 0, g->hidden }, perm_v[4] = { 0, 2, 1, 3 };
	const struct gb_onnx_attr perm = { .name = "perm", .type = GB_ONNX_ATTR_INTS, .ints = perm_v, .n_ints = 4 };
	const struct gb_onnx_attr axis = { .name = "axis", .type = GB_ONNX_ATTR_INT, .i = -1 };
	char n[8][160];
	struct zv q, k, v, s, c;
	const char *in[2];

	snprintf(n[0], sizeof n[0], "%s.attention.self.query", p);
	snprintf(n[1], sizeof n[1], "%s.attention.self.key", p);
	snprintf(n[2], sizeof n[2], "%s.attention.self.value", p);
	q = split_heads(ctx, zoo_linear_nd(ctx, h, n[0], g->hidden, BERT_STD), g, 0);
	k = split_heads(ctx, zoo_linear_nd(ctx, h, n[1], g->hidden, BERT_STD), g, 1);
	v = split_heads(ctx, zoo_linear_nd(ctx, h, n[2], g->hidden, BERT_STD), g, 0);
	snprintf(n[3], sizeof n[3], "%s.attention.self/scores", p);
	s = zoo_matmul(ctx, q, k, n[3]);
	snprintf(n[4], sizeof n[4], "%s.attention.self/scaled", p);
	s = zoo_binary(ctx, "Div", n[4], s,
		       zoo_const_float(ctx, "const/sqrt_head_dim", (float)sqrt((double)(g->hidden / g->heads))));
	snprintf(n[5], sizeof n[5], "%s.attention.self/masked", p);
	s = zoo_binary(ctx, "Add", n[5], s, mask);
	snprintf(n[6], sizeof n[6], "%s.attention.self/probs", p);
	in[0] = s.name;
	s = zoo_op(ctx, "Softmax", n[6], 1, in, 1, &axis, s.rank, s.d);
	snprintf(n[7], sizeof n[7], "%s.attention.self/context", p);
	c = zoo_matmul(ctx, s, v, n[7]);
	/* [B, heads, S, dh] -> [B, S, heads, dh] -> [B, S, H] */
	int64_t td[4] = { c.d[0], c.d[2], c.d[1], c.d[3] }, md[3] = { c.d[0], c.d[2], g->hidden };
	snprintf(n[3], sizeof n[3], "%s.attention.self/context_t", p);
	in[0] = c.name;
	c = zoo_op(ctx, "Transpose", n[3], 1, in, 1, &perm, 4, td);
	snprintf(n[4], sizeof n[4], "%s.attention.self/context_merged", p);
	in[0] = c.name;
	in[1] = zoo_const_i64(ctx, "const/merged_shape", 3, merged);
	c = zoo_op(ctx, "Reshape", n[4], 2, in, 0, NULL, 3, md);
	snprintf(n[5], sizeof n[5], "%s.attention.output.dense", p);
	c = zoo_linear_nd(ctx, c, n[5], g->hidden, BERT_STD);
	c = zoo_add(ctx, c, h);
	snprintf(n[6], sizeof n[6], "%s.attention.output.LayerNorm", p);
	return zoo_layernorm(ctx, c, n[6], BERT_EPS);
}

static struct zv layer(struct zoo_ctx *ctx, struct zv h, const char *mask, const struct geom *g, int i)
{
	char p[64], n[3][128];
	struct zv a, f;

	snprintf(p, sizeof p, "bert.encoder.layer.%d", i);
	a = attention(ctx, h, mask, g, p);
	snprintf(n[0], sizeof n[0], "%s.intermediate.dense", p);
	snprintf(n[1], sizeof n[1], "%s.output.dense", p);
	snprintf(n[2], sizeof n[2], "%s.output.LayerNorm", p);
	f = gelu(ctx, zoo_linear_nd(ctx, a, n[0], g->inter, BERT_STD), n[0]);
	f = zoo_add(ctx, zoo_linear_nd(ctx, f, n[1], g->hidden, BERT_STD), a);
	return zoo_layernorm(ctx, f, n[2], BERT_EPS);
}

static struct zv embeddings(struct zoo_ctx *ctx, struct zv ids, struct zv types, const struct geom *g)
{
	const int64_t wd[2] = { g->vocab, g->hidden }, pd[2] = { g->max_pos, g->hidden },
		      td[2] = { g->type_vocab, g->hidden }, zero = 0, one = 1;
	const int64_t ed[3] = { ids.d[0], ids.d[1], g->hidden };
	const char *in[2];
	struct zv w, t, pos;

	in[0] = zoo_param(ctx, "bert.embeddings.word_embeddings.weight", ZOO_PARAM, 2, wd, ZOO_INIT_UNIFORM, BERT_STD);
	in[1] = ids.name;
	w = zoo_op(ctx, "Gather", "bert.embeddings.word_embeddings", 2, in, 0, NULL, 3, ed);
	in[0] = zoo_param(ctx, "bert.embeddings.token_type_embeddings.weight", ZOO_PARAM, 2, td, ZOO_INIT_UNIFORM,
			  BERT_STD);
	in[1] = types.name;
	t = zoo_op(ctx, "Gather", "bert.embeddings.token_type_embeddings", 2, in, 0, NULL, 3, ed);
	w = zoo_binary(ctx, "Add", "bert.embeddings/sum", w, t.name);
	/* position_ids = arange(seq) for every row, built as
	 * cumsum(ids * 0 + 1, axis 1) - 1: elementwise ops keep [batch, seq]
	 * visible to shape inference, where Range or Slice on Shape() would
	 * hide it. */
	pos = zoo_binary(ctx, "Mul", "bert.embeddings/pos_zero", ids, zoo_const_i64(ctx, "const/i64_zero", 0, &zero));
	pos = zoo_binary(ctx, "Add", "bert.embeddings/pos_one", pos, zoo_const_i64(ctx, "const/i64_one", 0, &one));
	pos = zoo_binary(ctx, "CumSum", "bert.embeddings/pos_cumsum", pos, "const/i64_one");
	pos = zoo_binary(ctx, "Sub", "bert.embeddings/position_ids", pos, "const/i64_one");
	in[0] = zoo_param(ctx, "bert.embeddings.position_embeddings.weight", ZOO_PARAM, 2, pd, ZOO_INIT_UNIFORM,
			  BERT_STD);
	in[1] = pos.name;
	pos = zoo_op(ctx, "Gather", "bert.embeddings.position_embeddings", 2, in, 0, NULL, 3, ed);
	w = zoo_binary(ctx, "Add", "bert.embeddings/sum_pos", w, pos.name);
	return zoo_layernorm(ctx, w, "bert.embeddings.LayerNorm", BERT_EPS);
}

/* int64 [B, S] mask of 1/0 -> additive [B, 1, 1, S] of 0/finfo(dtype).min. */
static const char *additive_mask(struct zoo_ctx *ctx, struct zv mask)
{
	const int64_t axes[2] = { 1, 2 }, md[4] = { mask.d[0], 1, 1, mask.d[1] };
	const struct gb_onnx_attr to = { .name = "to", .type = GB_ONNX_ATTR_INT, .i = ctx->dt == GB_DTYPE_F16 ? 10 : 1 };
	const char *in[2] = { mask.name };
	struct zv m;

	m = zoo_op(ctx, "Cast", "attention_mask/float", 1, in, 1, &to, 2, mask.d);
	in[0] = m.name;
	in[1] = zoo_const_i64(ctx, "const/mask_axes", 2, axes);
	m = zoo_op(ctx, "Unsqueeze", "attention_mask/4d", 2, in, 0, NULL, 4, md);
	in[0] = zoo_const_float(ctx, "const/one", 1.0f);
	in[1] = m.name;
	m = zoo_op(ctx, "Sub", "attention_mask/inverted", 2, in, 0, NULL, 4, md);
	m = zoo_binary(ctx, "Mul", "attention_mask/additive", m,
		       zoo_const_float(ctx, "const/finfo_min", ctx->dt == GB_DTYPE_F16 ? -65504.0f : -3.4028234663852886e38f));
	return "attention_mask/additive";
}

static int build(struct zoo_ctx *ctx)
{
	const struct gb_zoo_options *o = ctx->opt;
	struct geom g = {
		.layers = o->layers ? o->layers : 12, .hidden = o->hidden ? o->hidden : 768,
		.heads = o->heads ? o->heads : 12, .inter = o->intermediate ? o->intermediate : 3072,
		.vocab = o->vocab ? o->vocab : 30522, .max_pos = 512, .type_vocab = 2,
	};
	const int64_t seq_ref = o->seq ? o->seq : 128, ref[2] = { 1, seq_ref }, cls[1] = { 0 };
	const struct gb_onnx_dim dims[2] = { { o->batch, o->batch ? NULL : "batch" }, { o->seq, o->seq ? NULL : "seq" } };
	const struct gb_onnx_dim out_dims[2] = { dims[0], { ctx->labels, NULL } };
	const struct gb_onnx_attr axis1 = { .name = "axis", .type = GB_ONNX_ATTR_INT, .i = 1 };
	const char *mask, *in[2];
	struct zv ids, am, types, h;

	if (g.hidden % g.heads || o->seq > g.max_pos)
		return zoo_fail(ctx, gb_error_set(-EINVAL, "bert: hidden %lld not divisible by heads %lld, or seq %lld over %lld",
						  (long long)g.hidden, (long long)g.heads, (long long)o->seq,
						  (long long)g.max_pos));
	snprintf(ctx->macs_at, sizeof ctx->macs_at, "seq %lld", (long long)seq_ref);
	ids = zoo_input(ctx, "input_ids", GB_DTYPE_I64, 2, dims, ref);
	am = zoo_input(ctx, "attention_mask", GB_DTYPE_I64, 2, dims, ref);
	types = zoo_input(ctx, "token_type_ids", GB_DTYPE_I64, 2, dims, ref);
	h = embeddings(ctx, ids, types, &g);
	mask = additive_mask(ctx, am);
	for (int i = 0; i < g.layers; i++)
		h = layer(ctx, h, mask, &g, i);
	/* pooler: dense + tanh on the first ([CLS]) token */
	in[0] = h.name;
	in[1] = zoo_const_i64(ctx, "const/i64_zero", 0, cls);
	h = zoo_op(ctx, "Gather", "bert.pooler/cls", 2, in, 1, &axis1, 2, (int64_t[2]){ h.d[0], g.hidden });
	h = zoo_unary(ctx, "Tanh", "bert.pooler/tanh", zoo_linear(ctx, h, "bert.pooler.dense", g.hidden, BERT_STD));
	/* dropout is the identity at inference */
	h = zoo_linear(ctx, h, "classifier", ctx->labels, BERT_STD);
	zoo_output(ctx, h, "logits", 2, out_dims);
	return ctx->err;
}

const struct zoo_arch gb_zoo_bert = {
	.model = { "bert-base", "BERT-base uncased with a sequence-classification head",
		   "transformers.BertForSequenceClassification(BertConfig())", 2, 25000 },
	.has_seq = 1,
	.build = build,
};
