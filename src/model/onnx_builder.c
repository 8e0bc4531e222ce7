/*
 * ONNX graph builder on protobuf-c. Every protobuf message, string and
 * builder-owned weight buffer comes from one arena, so freeing a graph of
 * a few thousand nodes is a handful of free() calls, and nothing needs a
 * per-message destructor.
 */
#include "greenbench/onnx_builder.h"
#include "greenbench/error.h"

#include "onnx.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ONNX_IR_VERSION 8	/* the IR of opset 17 (onnx 1.12) */
#define ARENA_CHUNK (256 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char mem[];
};

struct gb_onnx_builder {
	struct chunk *chunks;
	Onnx__GraphProto graph;
	Onnx__OperatorSetIdProto opset;
	Onnx__OperatorSetIdProto *opsets[1];
	Onnx__StringStringEntryProto **meta;
	size_t n_meta;
	char *doc;
	size_t cap_node, cap_init, cap_in, cap_out, cap_meta;
	int missing_data;	/* initializers described without data */
};

static void *arena_alloc(struct gb_onnx_builder *b, size_t n)
{
	struct chunk *c = b->chunks;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		struct chunk *nc = malloc(sizeof *nc + cap);

		if (!nc)
			return NULL;
		nc->used = 0;
		nc->cap = cap;
		/* A big private chunk goes behind the current one so that the
		 * current chunk keeps serving small requests. */
		if (c && cap != ARENA_CHUNK) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			b->chunks = nc;
		}
		c = nc;
	}
	void *p = c->mem + c->used;
	c->used += n;
	return p;
}

static char *arena_strdup(struct gb_onnx_builder *b, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(b, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/* Append ptr to a pointer array that lives on the heap (it grows). */
static int push(void ***arr, size_t *n, size_t *cap, void *ptr)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void **na = realloc(*arr, nc * sizeof *na);

		if (!na)
			return gb_error_set(-ENOMEM, "out of memory");
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = ptr;
	return 0;
}

static int onnx_elem_type(enum gb_dtype t)
{
	switch (t) {
	case GB_DTYPE_F32: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	case GB_DTYPE_F16: return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
	case GB_DTYPE_BF16: return ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
	case GB_DTYPE_F64: return ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	case GB_DTYPE_I64: return ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
	case GB_DTYPE_I32: return ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
	case GB_DTYPE_I8: return ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
	case GB_DTYPE_U8: return ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
	case GB_DTYPE_BOOL: return ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
	default: return 0;
	}
}

int gb_onnx_builder_new(const char *graph_name, int opset, struct gb_onnx_builder **out)
{
	struct gb_onnx_builder *b = calloc(1, sizeof *b);

	if (!b)
		return gb_error_set(-ENOMEM, "out of memory");
	onnx__graph_proto__init(&b->graph);
	onnx__operator_set_id_proto__init(&b->opset);
	b->opset.domain = "";
	b->opset.has_version = 1;
	b->opset.version = opset;
	b->opsets[0] = &b->opset;
	b->graph.name = arena_strdup(b, graph_name);
	if (!b->graph.name) {
		gb_onnx_builder_free(b);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	*out = b;
	return 0;
}

void gb_onnx_builder_free(struct gb_onnx_builder *b)
{
	if (!b)
		return;
	for (struct chunk *c = b->chunks, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(b->graph.node);
	free(b->graph.initializer);
	free(b->graph.input);
	free(b->graph.output);
	free(b->meta);
	free(b);
}

int gb_onnx_builder_set_doc(struct gb_onnx_builder *b, const char *doc)
{
	b->doc = arena_strdup(b, doc);
	return b->doc ? 0 : gb_error_set(-ENOMEM, "out of memory");
}

int gb_onnx_builder_add_meta(struct gb_onnx_builder *b, const char *key, const char *value)
{
	Onnx__StringStringEntryProto *e = arena_alloc(b, sizeof *e);

	if (!e)
		return gb_error_set(-ENOMEM, "out of memory");
	onnx__string_string_entry_proto__init(e);
	e->key = arena_strdup(b, key);
	e->value = arena_strdup(b, value);
	if (!e->key || !e->value)
		return gb_error_set(-ENOMEM, "out of memory");
	return push((void ***)&b->meta, &b->n_meta, &b->cap_meta, e);
}

static Onnx__ValueInfoProto *value_info(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
					int rank, const struct gb_onnx_dim *dims)
{
	Onnx__ValueInfoProto *vi = arena_alloc(b, sizeof *vi);
	Onnx__TypeProto *tp = arena_alloc(b, sizeof *tp);
	Onnx__TypeProto__Tensor *tt = arena_alloc(b, sizeof *tt);
	Onnx__TensorShapeProto *sh = arena_alloc(b, sizeof *sh);
	Onnx__TensorShapeProto__Dimension **dv = arena_alloc(b, (size_t)(rank ? rank : 1) * sizeof *dv);

	if (!vi || !tp || !tt || !sh || !dv)
		return NULL;
	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	for (int i = 0; i < rank; i++) {
		Onnx__TensorShapeProto__Dimension *d = arena_alloc(b, sizeof *d);

		if (!d)
			return NULL;
		onnx__tensor_shape_proto__dimension__init(d);
		if (dims[i].param) {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = arena_strdup(b, dims[i].param);
			if (!d->dim_param)
				return NULL;
		} else {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[i].value;
		}
		dv[i] = d;
	}
	sh->n_dim = (size_t)rank;
	sh->dim = dv;
	tt->has_elem_type = 1;
	tt->elem_type = onnx_elem_type(dtype);
	tt->shape = sh;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->name = arena_strdup(b, name);
	vi->type = tp;
	return vi->name ? vi : NULL;
}

static int add_io(struct gb_onnx_builder *b, int is_input, const char *name, enum gb_dtype dtype,
		  int rank, const struct gb_onnx_dim *dims)
{
	Onnx__ValueInfoProto *vi;

	if (!onnx_elem_type(dtype) || rank < 0 || rank > GB_TENSOR_MAX_RANK)
		return gb_error_set(-EINVAL, "graph %s '%s': unsupported type or rank",
				    is_input ? "input" : "output", name);
	vi = value_info(b, name, dtype, rank, dims);
	if (!vi)
		return gb_error_set(-ENOMEM, "out of memory");
	if (is_input)
		return push((void ***)&b->graph.input, &b->graph.n_input, &b->cap_in, vi);
	return push((void ***)&b->graph.output, &b->graph.n_output, &b->cap_out, vi);
}

int gb_onnx_builder_add_input(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
			      int rank, const struct gb_onnx_dim *dims)
{
	return add_io(b, 1, name, dtype, rank, dims);
}

int gb_onnx_builder_add_output(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
			       int rank, const struct gb_onnx_dim *dims)
{
	return add_io(b, 0, name, dtype, rank, dims);
}

static int add_tensor(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype, int rank,
		      const int64_t *dims, void *data, int own, void **out)
{
	Onnx__TensorProto *t;
	size_t numel = 1, esize = gb_dtype_size(dtype);

	if (!onnx_elem_type(dtype) || !esize || rank < 0 || rank > GB_TENSOR_MAX_RANK)
		return gb_error_set(-EINVAL, "initializer '%s': unsupported type or rank", name);
	for (int i = 0; i < rank; i++) {
		if (dims[i] < 0 || (dims[i] && numel > SIZE_MAX / esize / (size_t)dims[i]))
			return gb_error_set(-EINVAL, "initializer '%s': bad dimension %lld", name,
					    (long long)dims[i]);
		numel *= (size_t)dims[i];
	}
	t = arena_alloc(b, sizeof *t);
	if (!t)
		return gb_error_set(-ENOMEM, "out of memory");
	onnx__tensor_proto__init(t);
	t->name = arena_strdup(b, name);
	t->dims = arena_alloc(b, (size_t)(rank ? rank : 1) * sizeof *t->dims);
	if (!t->name || !t->dims)
		return gb_error_set(-ENOMEM, "out of memory");
	if (rank)
		memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
	t->n_dims = (size_t)rank;
	t->has_data_type = 1;
	t->data_type = onnx_elem_type(dtype);
	if (own) {
		data = arena_alloc(b, numel ? numel * esize : 1);
		if (!data)
			return gb_error_set(-ENOMEM, "out of memory for initializer '%s' (%zu bytes)", name,
					    numel * esize);
		*out = data;
	}
	if (!data)
		b->missing_data = 1;
	t->has_raw_data = 1;
	t->raw_data.len = numel * esize;
	t->raw_data.data = data;
	return push((void ***)&b->graph.initializer, &b->graph.n_initializer, &b->cap_init, t);
}

int gb_onnx_builder_add_initializer(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
				    int rank, const int64_t *dims, void **data)
{
	return add_tensor(b, name, dtype, rank, dims, NULL, 1, data);
}

int gb_onnx_builder_add_initializer_ref(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
					int rank, const int64_t *dims, const void *data)
{
	/* protobuf-c's bytes field is not const, but it is only read. */
	return add_tensor(b, name, dtype, rank, dims, (void *)(uintptr_t)data, 0, NULL);
}

static int set_attr(struct gb_onnx_builder *b, Onnx__AttributeProto *a, const struct gb_onnx_attr *in)
{
	onnx__attribute_proto__init(a);
	a->name = arena_strdup(b, in->name);
	if (!a->name)
		return -ENOMEM;
	a->has_type = 1;
	switch (in->type) {
	case GB_ONNX_ATTR_INT:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		a->has_i = 1;
		a->i = in->i;
		return 0;
	case GB_ONNX_ATTR_FLOAT:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		a->has_f = 1;
		a->f = in->f;
		return 0;
	case GB_ONNX_ATTR_INTS:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
		a->ints = arena_alloc(b, (in->n_ints ? in->n_ints : 1) * sizeof *a->ints);
		if (!a->ints)
			return -ENOMEM;
		if (in->n_ints)
			memcpy(a->ints, in->ints, in->n_ints * sizeof *a->ints);
		a->n_ints = in->n_ints;
		return 0;
	case GB_ONNX_ATTR_STRING:
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
		a->has_s = 1;
		a->s.data = (uint8_t *)arena_strdup(b, in->s);
		a->s.len = strlen(in->s);
		return a->s.data ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

int gb_onnx_builder_add_node(struct gb_onnx_builder *b, const char *op_type, const char *name,
			     size_t n_in, const char *const *in, size_t n_out, const char *const *out,
			     size_t n_attrs, const struct gb_onnx_attr *attrs)
{
	Onnx__NodeProto *n = arena_alloc(b, sizeof *n);
	int ret;

	if (!n)
		return gb_error_set(-ENOMEM, "out of memory");
	onnx__node_proto__init(n);
	n->op_type = arena_strdup(b, op_type);
	n->name = name ? arena_strdup(b, name) : NULL;
	n->input = arena_alloc(b, (n_in ? n_in : 1) * sizeof *n->input);
	n->output = arena_alloc(b, (n_out ? n_out : 1) * sizeof *n->output);
	n->attribute = arena_alloc(b, (n_attrs ? n_attrs : 1) * sizeof *n->attribute);
	if (!n->op_type || (name && !n->name) || !n->input || !n->output || !n->attribute)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n_in; i++)
		if (!(n->input[i] = arena_strdup(b, in[i])))
			return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n_out; i++)
		if (!(n->output[i] = arena_strdup(b, out[i])))
			return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n_attrs; i++) {
		n->attribute[i] = arena_alloc(b, sizeof *n->attribute[i]);
		if (!n->attribute[i])
			return gb_error_set(-ENOMEM, "out of memory");
		ret = set_attr(b, n->attribute[i], &attrs[i]);
		if (ret < 0)
			return gb_error_set(ret, "node '%s': bad attribute '%s'", name ? name : op_type,
					    attrs[i].name);
	}
	n->n_input = n_in;
	n->n_output = n_out;
	n->n_attribute = n_attrs;
	return push((void ***)&b->graph.node, &b->graph.n_node, &b->cap_node, n);
}

size_t gb_onnx_builder_node_count(const struct gb_onnx_builder *b)
{
	return b->graph.n_node;
}

size_t gb_onnx_builder_initializer_count(const struct gb_onnx_builder *b)
{
	return b->graph.n_initializer;
}

static void model_init(const struct gb_onnx_builder *b, Onnx__ModelProto *m)
{
	onnx__model_proto__init(m);
	m->has_ir_version = 1;
	m->ir_version = ONNX_IR_VERSION;
	m->n_opset_import = 1;
	m->opset_import = (Onnx__OperatorSetIdProto **)b->opsets;
	m->producer_name = "greenbench";
	m->producer_version = GB_VERSION;
	m->doc_string = b->doc;
	m->n_metadata_props = b->n_meta;
	m->metadata_props = b->meta;
	m->graph = (Onnx__GraphProto *)&b->graph;
}

int gb_onnx_builder_packed_size(const struct gb_onnx_builder *b, size_t *bytes)
{
	Onnx__ModelProto m;

	model_init(b, &m);
	*bytes = onnx__model_proto__get_packed_size(&m);
	return 0;
}

/* protobuf-c hands big bytes fields straight to append(), so weights go
 * from their buffers (or the mmap'd weights file) to the FILE unchanged. */
struct file_buffer {
	ProtobufCBuffer base;
	FILE *f;
	int err;
};

static void file_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
	struct file_buffer *fb = (struct file_buffer *)buf;

	if (!fb->err && len && fwrite(data, 1, len, fb->f) != len)
		fb->err = errno ? errno : EIO;
}

/* A fresh temporary name beside path, created with O_EXCL so two writers
 * never share one; mode 0666 less the umask, as a plain fopen would give. */
static int open_temp(const char *path, char *tmp, size_t len)
{
	static _Atomic unsigned counter;

	for (int tries = 0; tries < 100; tries++) {
		int fd;

		if (snprintf(tmp, len, "%s.tmp-%ld-%u", path, (long)getpid(), counter++) >= (int)len)
			return gb_error_set(-ENAMETOOLONG, "cannot write '%s': path too long", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
	}
	return gb_error_set(-EEXIST, "cannot write '%s': no free temporary name", path);
}

int gb_onnx_builder_write(const struct gb_onnx_builder *b, const char *path)
{
	struct file_buffer fb = { .base = { .append = file_append } };
	Onnx__ModelProto m;
	char tmp[4096] = "";
	FILE *f = NULL;
	int fd, ret;

	if (b->missing_data)
		return gb_error_set(-EINVAL, "cannot write '%s': some initializers have no data", path);
	fd = open_temp(path, tmp, sizeof tmp);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "wb");
	if (!f) {
		ret = gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	fb.f = f;
	model_init(b, &m);
	onnx__model_proto__pack_to_buffer(&m, &fb.base);
	if (!fb.err && fflush(f))
		fb.err = errno ? errno : EIO;
	if (fclose(f) && !fb.err)
		fb.err = errno ? errno : EIO;
	if (fb.err) {
		ret = gb_error_set(-fb.err, "cannot write '%s': %s", path, strerror(fb.err));
		goto out;
	}
	if (rename(tmp, path)) {
		ret = gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	ret = 0;
out:
	if (tmp[0])
		unlink(tmp);
	return ret;
}
