/*
 * Layer helpers for the zoo architectures: weights (file or generated),
 * constants, and the few layer shapes torchvision and Hugging Face use.
 */
#include "model/zoo_impl.h"
#include "model/half.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int zoo_fail(struct zoo_ctx *ctx, int err)
{
	if (!ctx->err)
		ctx->err = err;
	return ctx->err;
}

/* A stream per tensor, seeded by (seed, name): weights do not depend on
 * the order tensors are made in, and one tensor can be regenerated. */
static uint64_t stream_seed(uint64_t seed, const char *name)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ^ (seed * 0x9e3779b97f4a7c15ULL);
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform on [-a, a): the standard deviation of a normal init at the
 * cost of one shift per value (BERT-base has 110 M of them). */
static void fill_uniform(void *data, enum gb_dtype dt, size_t n, double std, uint64_t seed)
{
	const float a = (float)(std * sqrt(3.0)), scale = 2.0f * a / 16777216.0f;
	float *f = data;
	uint16_t *h = data;
	uint64_t s = seed;

	for (size_t i = 0; i < n; i += 2) {
		uint64_t r = splitmix64(&s);
		float v0 = (float)(r >> 40) * scale - a, v1 = (float)((r >> 8) & 0xffffff) * scale - a;

		if (dt == GB_DTYPE_F32) {
			f[i] = v0;
			if (i + 1 < n)
				f[i + 1] = v1;
		} else {
			h[i] = gb_half_from_float(v0);
			if (i + 1 < n)
				h[i + 1] = gb_half_from_float(v1);
		}
	}
}

static void fill_const(void *data, enum gb_dtype dt, size_t n, float v)
{
	float *f = data;
	uint16_t *h = data, hv = gb_half_from_float(v);

	for (size_t i = 0; i < n; i++) {
		if (dt == GB_DTYPE_F32)
			f[i] = v;
		else
			h[i] = hv;
	}
}

/* Weights file data may sit at any byte offset: read through memcpy. */
static void convert(void *dst, enum gb_dtype to, const unsigned char *src, enum gb_dtype from, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v;
		uint16_t u;

		if (from == GB_DTYPE_F32) {
			memcpy(&v, src + 4 * i, 4);
		} else {
			memcpy(&u, src + 2 * i, 2);
			v = from == GB_DTYPE_F16 ? gb_half_to_float(u) : gb_bf16_to_float(u);
		}
		if (to == GB_DTYPE_F32)
			((float *)dst)[i] = v;
		else
			((uint16_t *)dst)[i] = gb_half_from_float(v);
	}
}

static int load_param(struct zoo_ctx *ctx, const char *name, int rank, const int64_t *dims, size_t n)
{
	const struct gb_st_tensor *t;
	void *data;
	int ret;

	ret = gb_safetensors_get_float(ctx->st, name, rank, dims, &t);
	if (ret < 0)
		return ret;
	ctx->weights_used++;
	if (t->dtype == ctx->dt)
		return gb_onnx_builder_add_initializer_ref(ctx->b, name, ctx->dt, rank, dims, t->data);
	ret = gb_onnx_builder_add_initializer(ctx->b, name, ctx->dt, rank, dims, &data);
	if (ret < 0)
		return ret;
	convert(data, ctx->dt, t->data, t->dtype, n);
	return 0;
}

const char *zoo_param(struct zoo_ctx *ctx, const char *name, enum zoo_kind kind, int rank,
		      const int64_t *dims, enum zoo_init init, double std)
{
	size_t n = 1;
	void *data;
	int ret;

	if (ctx->err)
		return name;
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	if (kind == ZOO_PARAM)
		ctx->params += n;
	else
		ctx->buffers += n;
	if (ctx->no_data) {
		ret = gb_onnx_builder_add_initializer_ref(ctx->b, name, ctx->dt, rank, dims, NULL);
	} else if (ctx->st) {
		ret = load_param(ctx, name, rank, dims, n);
	} else {
		ret = gb_onnx_builder_add_initializer(ctx->b, name, ctx->dt, rank, dims, &data);
		if (ret == 0 && init == ZOO_INIT_UNIFORM)
			fill_uniform(data, ctx->dt, n, std, stream_seed(ctx->opt->seed, name));
		else if (ret == 0)
			fill_const(data, ctx->dt, n, init == ZOO_INIT_ONES ? 1.0f : 0.0f);
	}
	if (ret < 0)
		zoo_fail(ctx, ret);
	return name;
}

const char *zoo_param_const(struct zoo_ctx *ctx, const char *name, int rank, const int64_t *dims, float v)
{
	size_t n = 1;
	void *data;
	int ret;

	if (ctx->err)
		return name;
	if (ctx->no_data || ctx->st)
		return zoo_param(ctx, name, ZOO_PARAM, rank, dims, ZOO_INIT_ONES, 0);
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	ctx->params += n;
	ret = gb_onnx_builder_add_initializer(ctx->b, name, ctx->dt, rank, dims, &data);
	if (ret < 0)
		zoo_fail(ctx, ret);
	else
		fill_const(data, ctx->dt, n, v);
	return name;
}

/* 1 if name is already a constant of the graph, else remembers it. */
static int const_seen(struct zoo_ctx *ctx, const char *name)
{
	for (int i = 0; i < ctx->n_consts; i++)
		if (!strcmp(ctx->consts[i], name))
			return 1;
	if (ctx->n_consts == (int)(sizeof ctx->consts / sizeof ctx->consts[0])) {
		zoo_fail(ctx, gb_error_set(-ENOSPC, "zoo: too many constants"));
		return 1;
	}
	snprintf(ctx->consts[ctx->n_consts++], sizeof ctx->consts[0], "%s", name);
	return 0;
}

const char *zoo_const_float(struct zoo_ctx *ctx, const char *name, float v)
{
	void *data;
	int ret;

	if (ctx->err || const_seen(ctx, name))
		return name;
	ret = gb_onnx_builder_add_initializer(ctx->b, name, ctx->dt, 0, NULL, &data);
	if (ret < 0)
		zoo_fail(ctx, ret);
	else
		fill_const(data, ctx->dt, 1, v);
	return name;
}

const char *zoo_const_i64(struct zoo_ctx *ctx, const char *name, int n, const int64_t *v)
{
	int64_t dims[1] = { n };
	void *data;
	int ret;

	if (ctx->err || const_seen(ctx, name))
		return name;
	ret = gb_onnx_builder_add_initializer(ctx->b, name, GB_DTYPE_I64, n ? 1 : 0, dims, &data);
	if (ret < 0)
		zoo_fail(ctx, ret);
	else
		memcpy(data, v, (size_t)(n ? n : 1) * sizeof *v);
	return name;
}

static struct zv value(const char *name, int rank, const int64_t *dims)
{
	struct zv v = { .rank = rank };

	snprintf(v.name, sizeof v.name, "%s", name);
	if (rank > 0)
		memcpy(v.d, dims, (size_t)rank * sizeof *dims);
	return v;
}

static void record_io(struct zoo_ctx *ctx, int is_input, const char *name, enum gb_dtype dtype, int rank,
		      const struct gb_onnx_dim *dims)
{
	size_t *n = is_input ? &ctx->sum->ninputs : &ctx->sum->noutputs;
	struct gb_tensor_info *t = is_input ? ctx->sum->inputs : ctx->sum->outputs;

	if (*n == GB_ZOO_MAX_IO)
		return;
	t += (*n)++;
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->dtype = dtype;
	t->rank = rank;
	for (int i = 0; i < rank; i++) {
		t->dims[i] = dims[i].param ? -1 : dims[i].value;
		snprintf(t->dim_params[i], sizeof t->dim_params[i], "%s", dims[i].param ? dims[i].param : "");
	}
}

struct zv zoo_input(struct zoo_ctx *ctx, const char *name, enum gb_dtype dtype, int rank,
		    const struct gb_onnx_dim *dims, const int64_t *ref)
{
	if (!ctx->err) {
		int ret = gb_onnx_builder_add_input(ctx->b, name, dtype, rank, dims);
		if (ret < 0)
			zoo_fail(ctx, ret);
		record_io(ctx, 1, name, dtype, rank, dims);
	}
	return value(name, rank, ref);
}

void zoo_output(struct zoo_ctx *ctx, struct zv v, const char *name, int rank, const struct gb_onnx_dim *dims)
{
	const char *in[1] = { v.name };
	const char *out[1] = { name };
	int ret;

	if (ctx->err)
		return;
	/* The last node already writes name when the caller planned it; an
	 * Identity keeps the graph valid otherwise. */
	ret = strcmp(v.name, name) ? gb_onnx_builder_add_node(ctx->b, "Identity", name, 1, in, 1, out, 0, NULL) : 0;
	if (ret == 0)
		ret = gb_onnx_builder_add_output(ctx->b, name, ctx->dt, rank, dims);
	if (ret < 0)
		zoo_fail(ctx, ret);
	record_io(ctx, 0, name, ctx->dt, rank, dims);
}

struct zv zoo_op(struct zoo_ctx *ctx, const char *op, const char *out, int n_in, const char *const *in,
		 int n_attrs, const struct gb_onnx_attr *attrs, int rank, const int64_t *dims)
{
	const char *outs[1] = { out };

	if (!ctx->err && strlen(out) >= sizeof ((struct zv *)0)->name)
		zoo_fail(ctx, gb_error_set(-ENAMETOOLONG, "zoo: value name '%s' too long", out));
	if (!ctx->err) {
		int ret = gb_onnx_builder_add_node(ctx->b, op, out, (size_t)n_in, in, 1, outs, (size_t)n_attrs, attrs);
		if (ret < 0)
			zoo_fail(ctx, ret);
	}
	return value(out, rank, dims);
}

struct zv zoo_unary(struct zoo_ctx *ctx, const char *op, const char *out, struct zv x)
{
	const char *in[1] = { x.name };

	return zoo_op(ctx, op, out, 1, in, 0, NULL, x.rank, x.d);
}

struct zv zoo_binary(struct zoo_ctx *ctx, const char *op, const char *out, struct zv a, const char *b)
{
	const char *in[2] = { a.name, b };

	return zoo_op(ctx, op, out, 2, in, 0, NULL, a.rank, a.d);
}

static void suffixed(char *buf, size_t len, const char *name, const char *suffix)
{
	snprintf(buf, len, "%s%s", name, suffix);
}

struct zv zoo_conv(struct zoo_ctx *ctx, struct zv x, const char *w, int64_t cout, int64_t k,
		   int64_t stride, int64_t pad, int64_t groups)
{
	int64_t cin = x.d[1], wd[4] = { cout, cin / groups, k, k };
	int64_t ks[2] = { k, k }, st[2] = { stride, stride }, pads[4] = { pad, pad, pad, pad }, dil[2] = { 1, 1 };
	const struct gb_onnx_attr attrs[] = {
		{ .name = "kernel_shape", .type = GB_ONNX_ATTR_INTS, .ints = ks, .n_ints = 2 },
		{ .name = "strides", .type = GB_ONNX_ATTR_INTS, .ints = st, .n_ints = 2 },
		{ .name = "pads", .type = GB_ONNX_ATTR_INTS, .ints = pads, .n_ints = 4 },
		{ .name = "dilations", .type = GB_ONNX_ATTR_INTS, .ints = dil, .n_ints = 2 },
		{ .name = "group", .type = GB_ONNX_ATTR_INT, .i = groups },
	};
	int64_t od[4] = { x.d[0], cout, (x.d[2] + 2 * pad - k) / stride + 1, (x.d[3] + 2 * pad - k) / stride + 1 };
	char wname[160];
	const char *in[2];

	suffixed(wname, sizeof wname, w, ".weight");
	in[0] = x.name;
	in[1] = zoo_param(ctx, wname, ZOO_PARAM, 4, wd, ZOO_INIT_UNIFORM, sqrt(2.0 / (double)(wd[1] * k * k)));
	ctx->macs += (uint64_t)(od[0] * od[1] * od[2] * od[3]) * (uint64_t)(wd[1] * k * k);
	return zoo_op(ctx, "Conv", w, 2, in, 5, attrs, 4, od);
}

struct zv zoo_bn(struct zoo_ctx *ctx, struct zv x, const char *w)
{
	return zoo_bn_gamma(ctx, x, w, 1.0f);
}

struct zv zoo_bn_gamma(struct zoo_ctx *ctx, struct zv x, const char *w, float gamma)
{
	static const struct {
		const char *suffix;
		enum zoo_kind kind;
		enum zoo_init init;
	} parts[4] = {
		{ ".weight", ZOO_PARAM, ZOO_INIT_ONES },
		{ ".bias", ZOO_PARAM, ZOO_INIT_ZEROS },
		{ ".running_mean", ZOO_BUFFER, ZOO_INIT_ZEROS },
		{ ".running_var", ZOO_BUFFER, ZOO_INIT_ONES },
	};
	const struct gb_onnx_attr attrs[] = {
		{ .name = "epsilon", .type = GB_ONNX_ATTR_FLOAT, .f = 1e-5f },
		{ .name = "momentum", .type = GB_ONNX_ATTR_FLOAT, .f = 0.9f },
	};
	char names[4][160];
	const char *in[5] = { x.name };
	int64_t c[1] = { x.d[1] };

	for (int i = 0; i < 4; i++) {
		suffixed(names[i], sizeof names[i], w, parts[i].suffix);
		if (i == 0 && gamma != 1.0f)
			in[1] = zoo_param_const(ctx, names[0], 1, c, gamma);
		else
			in[i + 1] = zoo_param(ctx, names[i], parts[i].kind, 1, c, parts[i].init, 0);
	}
	return zoo_op(ctx, "BatchNormalization", w, 5, in, 2, attrs, x.rank, x.d);
}

struct zv zoo_relu(struct zoo_ctx *ctx, struct zv x)
{
	char out[160];

	suffixed(out, sizeof out, x.name, "/relu");
	return zoo_unary(ctx, "Relu", out, x);
}

struct zv zoo_relu6(struct zoo_ctx *ctx, struct zv x)
{
	char out[160];
	const char *in[3] = { x.name, zoo_const_float(ctx, "const/zero", 0.0f), zoo_const_float(ctx, "const/six", 6.0f) };

	suffixed(out, sizeof out, x.name, "/relu6");
	return zoo_op(ctx, "Clip", out, 3, in, 0, NULL, x.rank, x.d);
}

struct zv zoo_add(struct zoo_ctx *ctx, struct zv a, struct zv b)
{
	char out[160];

	suffixed(out, sizeof out, a.name, "/add");
	return zoo_binary(ctx, "Add", out, a, b.name);
}

struct zv zoo_maxpool(struct zoo_ctx *ctx, struct zv x, int64_t k, int64_t stride, int64_t pad)
{
	int64_t ks[2] = { k, k }, st[2] = { stride, stride }, pads[4] = { pad, pad, pad, pad };
	const struct gb_onnx_attr attrs[] = {
		{ .name = "kernel_shape", .type = GB_ONNX_ATTR_INTS, .ints = ks, .n_ints = 2 },
		{ .name = "strides", .type = GB_ONNX_ATTR_INTS, .ints = st, .n_ints = 2 },
		{ .name = "pads", .type = GB_ONNX_ATTR_INTS, .ints = pads, .n_ints = 4 },
	};
	int64_t od[4] = { x.d[0], x.d[1], (x.d[2] + 2 * pad - k) / stride + 1, (x.d[3] + 2 * pad - k) / stride + 1 };
	const char *in[1] = { x.name };
	char out[160];

	suffixed(out, sizeof out, x.name, "/maxpool");
	return zoo_op(ctx, "MaxPool", out, 1, in, 3, attrs, 4, od);
}

struct zv zoo_pool_flatten(struct zoo_ctx *ctx, struct zv x)
{
	const struct gb_onnx_attr axis = { .name = "axis", .type = GB_ONNX_ATTR_INT, .i = 1 };
	int64_t pd[4] = { x.d[0], x.d[1], 1, 1 }, fd[2] = { x.d[0], x.d[1] };
	const char *in[1];
	struct zv p;

	p = zoo_unary(ctx, "GlobalAveragePool", "avgpool", x);
	memcpy(p.d, pd, sizeof pd);
	in[0] = p.name;
	return zoo_op(ctx, "Flatten", "flatten", 1, in, 1, &axis, 2, fd);
}

/* torch's default Linear init bound is 1/sqrt(in) (kaiming_uniform a=sqrt(5)). */
static void linear_params(struct zoo_ctx *ctx, const char *w, int64_t in_f, int64_t out_f, double std,
			  char wname[160], char bname[160])
{
	int64_t wd[2] = { out_f, in_f }, bd[1] = { out_f };
	double torch_std = 1.0 / sqrt((double)in_f) / sqrt(3.0);

	suffixed(wname, 160, w, ".weight");
	suffixed(bname, 160, w, ".bias");
	zoo_param(ctx, wname, ZOO_PARAM, 2, wd, ZOO_INIT_UNIFORM, std > 0 ? std : torch_std);
	zoo_param(ctx, bname, ZOO_PARAM, 1, bd, std > 0 ? ZOO_INIT_ZEROS : ZOO_INIT_UNIFORM, torch_std);
}

struct zv zoo_linear(struct zoo_ctx *ctx, struct zv x, const char *w, int64_t out, double std)
{
	const struct gb_onnx_attr tb = { .name = "transB", .type = GB_ONNX_ATTR_INT, .i = 1 };
	char wname[160], bname[160];
	int64_t od[2] = { x.d[0], out };
	const char *in[3] = { x.name, wname, bname };

	linear_params(ctx, w, x.d[1], out, std, wname, bname);
	ctx->macs += (uint64_t)(x.d[0] * x.d[1] * out);
	return zoo_op(ctx, "Gemm", w, 3, in, 1, &tb, 2, od);
}

struct zv zoo_linear_nd(struct zoo_ctx *ctx, struct zv x, const char *w, int64_t out, double std)
{
	static const int64_t perm[2] = { 1, 0 };
	const struct gb_onnx_attr tp = { .name = "perm", .type = GB_ONNX_ATTR_INTS, .ints = perm, .n_ints = 2 };
	char wname[160], bname[160], tname[200], mname[200];
	int64_t td[2] = { x.d[x.rank - 1], out };
	const char *in[1] = { wname };
	struct zv wt, y;

	linear_params(ctx, w, x.d[x.rank - 1], out, std, wname, bname);
	/* The initializer keeps the state_dict layout [out, in]; runtimes
	 * fold this Transpose when they load the model. */
	suffixed(tname, sizeof tname, w, "/weight_t");
	wt = zoo_op(ctx, "Transpose", tname, 1, in, 1, &tp, 2, td);
	suffixed(mname, sizeof mname, w, "/matmul");
	y = zoo_matmul(ctx, x, wt, mname);
	return zoo_binary(ctx, "Add", w, y, bname);
}

struct zv zoo_layernorm(struct zoo_ctx *ctx, struct zv x, const char *w, float eps)
{
	const struct gb_onnx_attr attrs[] = {
		{ .name = "axis", .type = GB_ONNX_ATTR_INT, .i = -1 },
		{ .name = "epsilon", .type = GB_ONNX_ATTR_FLOAT, .f = eps },
	};
	char wname[160], bname[160];
	int64_t c[1] = { x.d[x.rank - 1] };
	const char *in[3] = { x.name, wname, bname };

	suffixed(wname, sizeof wname, w, ".weight");
	suffixed(bname, sizeof bname, w, ".bias");
	zoo_param(ctx, wname, ZOO_PARAM, 1, c, ZOO_INIT_ONES, 0);
	zoo_param(ctx, bname, ZOO_PARAM, 1, c, ZOO_INIT_ZEROS, 0);
	return zoo_op(ctx, "LayerNormalization", w, 3, in, 2, attrs, x.rank, x.d);
}

struct zv zoo_matmul(struct zoo_ctx *ctx, struct zv a, struct zv b, const char *out)
{
	int rank = a.rank > b.rank ? a.rank : b.rank;
	int64_t od[ZOO_MAX_RANK];
	uint64_t batch = 1;
	const char *in[2] = { a.name, b.name };

	/* Leading dims broadcast; the last two multiply. */
	for (int i = 0; i < rank - 2; i++) {
		int ia = i - (rank - a.rank), ib = i - (rank - b.rank);
		int64_t da = ia >= 0 ? a.d[ia] : 1, db = ib >= 0 ? b.d[ib] : 1;
		od[i] = da > db ? da : db;
		batch *= (uint64_t)od[i];
	}
	od[rank - 2] = a.d[a.rank - 2];
	od[rank - 1] = b.d[b.rank - 1];
	ctx->macs += batch * (uint64_t)(a.d[a.rank - 2] * a.d[a.rank - 1] * b.d[b.rank - 1]);
	return zoo_op(ctx, "MatMul", out, 2, in, 0, NULL, rank, od);
}
