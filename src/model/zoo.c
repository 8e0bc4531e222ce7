/*
 * The model zoo table and the driver that builds, describes and writes a
 * model.
 *
 * Adding a model = one new src/model/zoo_<name>.c defining a
 * `const struct zoo_arch` + one row in zoo_table below.
 */
#include "greenbench/zoo.h"
#include "greenbench/error.h"
#include "model/zoo_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct zoo_arch *const zoo_table[] = {
	&gb_zoo_resnet50,
	&gb_zoo_mobilenetv2,
	&gb_zoo_bert,
};

#define ZOO_LEN (sizeof zoo_table / sizeof zoo_table[0])

size_t gb_zoo_count(void)
{
	return ZOO_LEN;
}

const struct gb_zoo_model *gb_zoo_at(size_t i)
{
	return i < ZOO_LEN ? &zoo_table[i]->model : NULL;
}

static const struct zoo_arch *find_arch(const char *name)
{
	for (size_t i = 0; i < ZOO_LEN; i++)
		if (!strcmp(zoo_table[i]->model.name, name))
			return zoo_table[i];
	return NULL;
}

const struct gb_zoo_model *gb_zoo_find(const char *name)
{
	const struct zoo_arch *a = find_arch(name);

	return a ? &a->model : NULL;
}

void gb_zoo_options_init(struct gb_zoo_options *o)
{
	memset(o, 0, sizeof *o);
	o->dtype = GB_DTYPE_F32;
}

static int check_options(const struct zoo_arch *a, const struct gb_zoo_options *o)
{
	if (!a->has_seq && (o->seq || o->layers || o->hidden || o->heads || o->intermediate || o->vocab))
		return gb_error_set(-EINVAL, "%s takes no sequence length or BERT geometry options", a->model.name);
	if (o->dtype != GB_DTYPE_F32 && o->dtype != GB_DTYPE_F16)
		return gb_error_set(-EINVAL, "unsupported dtype '%s': the zoo writes float32 or float16",
				    gb_dtype_name(o->dtype));
	if (o->batch < 0 || o->seq < 0 || o->labels < 0 || o->layers < 0 || o->hidden < 0 || o->heads < 0 ||
	    o->intermediate < 0 || o->vocab < 0)
		return gb_error_set(-EINVAL, "sizes must not be negative");
	return 0;
}

/* Build name into a fresh builder; no_data describes the graph only. */
static int build(const char *name, const struct gb_zoo_options *o, int no_data, struct gb_safetensors *st,
		 struct gb_onnx_builder **bout, struct gb_zoo_summary *sum)
{
	const struct zoo_arch *a = find_arch(name);
	struct zoo_ctx ctx = { .opt = o, .dt = o->dtype, .st = st, .no_data = no_data, .sum = sum };
	char seed[32];
	int ret;

	if (!a)
		return gb_error_set(-ENOENT, "no model '%s' in the zoo (see 'greenbench zoo list')", name);
	ret = check_options(a, o);
	if (ret < 0)
		return ret;
	memset(sum, 0, sizeof *sum);
	ctx.labels = o->labels ? o->labels : a->model.default_labels;
	ret = gb_onnx_builder_new(name, ZOO_OPSET, &ctx.b);
	if (ret < 0)
		return ret;
	ret = a->build(&ctx);
	if (ret == 0) {
		snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
		ret = gb_onnx_builder_set_doc(ctx.b, a->model.reference);
		if (!ret)
			ret = gb_onnx_builder_add_meta(ctx.b, "greenbench.zoo", name);
		if (!ret)
			ret = gb_onnx_builder_add_meta(ctx.b, "greenbench.weights", st ? "safetensors" : "random");
		if (!ret && !st)
			ret = gb_onnx_builder_add_meta(ctx.b, "greenbench.seed", seed);
	}
	if (ret < 0) {
		gb_onnx_builder_free(ctx.b);
		return ret;
	}
	sum->params = ctx.params;
	sum->buffers = ctx.buffers;
	sum->macs = ctx.macs;
	snprintf(sum->macs_at, sizeof sum->macs_at, "%s", ctx.macs_at);
	sum->nodes = gb_onnx_builder_node_count(ctx.b);
	sum->initializers = gb_onnx_builder_initializer_count(ctx.b);
	sum->weights_used = ctx.weights_used;
	sum->weights_unused = st ? gb_safetensors_count(st) - ctx.weights_used : 0;
	*bout = ctx.b;
	return 0;
}

int gb_zoo_info(const char *name, const struct gb_zoo_options *o, struct gb_zoo_summary *out)
{
	struct gb_onnx_builder *b = NULL;
	int ret = build(name, o, 1, NULL, &b, out);

	gb_onnx_builder_free(b);
	return ret;
}

int gb_zoo_export(const char *name, const struct gb_zoo_options *o, const char *path,
		  struct gb_zoo_summary *out)
{
	struct gb_onnx_builder *b = NULL;
	struct gb_safetensors *st = NULL;
	struct gb_zoo_summary local;
	int ret;

	if (o->weights) {
		ret = gb_safetensors_open(o->weights, &st);
		if (ret < 0)
			return ret;
	}
	ret = build(name, o, 0, st, &b, out ? out : &local);
	if (ret == 0)
		ret = gb_onnx_builder_write(b, path);
	gb_onnx_builder_free(b);
	gb_safetensors_free(st);
	return ret;
}
