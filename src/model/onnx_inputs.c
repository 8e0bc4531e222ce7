/*
 * The graph inputs of an ONNX file without its weights (onnx_inputs.h).
 *
 * protobuf-c can only unpack a whole message, and unpacking a ModelProto
 * copies every initializer: 438 MB for BERT. So the two outer levels
 * (ModelProto, GraphProto) are walked here on the wire format, skipping
 * each field by its length, and protobuf-c decodes only the small
 * ValueInfoProto of each input. Every length is checked against what is
 * left of its enclosing message before it is used.
 */
#include "greenbench/onnx_inputs.h"
#include "greenbench/error.h"

#include "onnx.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Field numbers of onnx.proto (stable since IR 1). */
enum {
	MODEL_GRAPH = 7,
	GRAPH_INITIALIZER = 5,
	GRAPH_INPUT = 11,
	GRAPH_SPARSE_INITIALIZER = 15,
	TENSOR_NAME = 8,
	SPARSE_VALUES = 1,
};

enum wire { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* A span of the buffer: a message being walked, or a field's bytes. */
struct span {
	const uint8_t *p;
	size_t len;
};

struct field {
	uint64_t num;
	enum wire wire;
	uint64_t varint;	/* WIRE_VARINT */
	struct span bytes;	/* WIRE_LEN */
};

struct scan {
	struct span *inputs;	/* ValueInfoProto bytes */
	size_t ninputs, cap_inputs;
	struct span *inits;	/* initializer names */
	size_t ninits, cap_inits;
};

static int bad(const char *why)
{
	return gb_error_set(-EINVAL, "not an ONNX model: %s", why);
}

static int varint(struct span *s, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (i >= s->len)
			return bad("truncated");
		b = s->p[i];
		/* the tenth byte holds bit 63 only */
		if (i == 9 && b > 1)
			return bad("a varint overflows 64 bits");
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			s->p += i + 1;
			s->len -= i + 1;
			*v = x;
			return 0;
		}
	}
	return bad("a varint overflows 64 bits");
}

static int skip(struct span *s, uint64_t n)
{
	if (n > s->len)
		return bad("truncated");
	s->p += n;
	s->len -= n;
	return 0;
}

/* The next field of s; its bytes (WIRE_LEN) stay inside s. */
static int next_field(struct span *s, struct field *f)
{
	uint64_t key, n;
	int ret;

	ret = varint(s, &key);
	if (ret)
		return ret;
	f->num = key >> 3;
	f->wire = (enum wire)(key & 7);
	if (f->num == 0)
		return bad("field number 0");
	switch (f->wire) {
	case WIRE_VARINT:
		return varint(s, &f->varint);
	case WIRE_I64:
		return skip(s, 8);
	case WIRE_I32:
		return skip(s, 4);
	case WIRE_LEN:
		ret = varint(s, &n);
		if (ret)
			return ret;
		f->bytes.p = s->p;
		f->bytes.len = n <= s->len ? (size_t)n : 0;
		return skip(s, n);
	default:
		/* groups (3, 4) are not in onnx.proto; 6 and 7 do not exist */
		return bad("an unknown wire type");
	}
}

static int push(struct span **v, size_t *n, size_t *cap, struct span x)
{
	if (*n == *cap) {
		size_t want = *cap ? 2 * *cap : 16;
		struct span *nv = realloc(*v, want * sizeof *nv);

		if (!nv)
			return gb_error_set(-ENOMEM, "out of memory");
		*v = nv;
		*cap = want;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* The last length-delimited field num of message m (protobuf: the last
 * one given wins), or an empty span. */
static int last_field(struct span m, uint64_t num, struct span *out)
{
	struct field f;
	int ret;

	out->p = m.p;
	out->len = 0;
	while (m.len) {
		ret = next_field(&m, &f);
		if (ret)
			return ret;
		if (f.num == num && f.wire == WIRE_LEN)
			*out = f.bytes;
	}
	return 0;
}

/* The name of an initializer: a TensorProto's, or a SparseTensorProto's
 * values tensor's. */
static int initializer_name(struct span t, int sparse, struct span *name)
{
	int ret = 0;

	if (sparse)
		ret = last_field(t, SPARSE_VALUES, &t);
	return ret ? ret : last_field(t, TENSOR_NAME, name);
}

static int scan_graph(struct span g, struct scan *sc)
{
	struct field f;
	struct span name;
	int ret;

	while (g.len) {
		ret = next_field(&g, &f);
		if (ret)
			return ret;
		if (f.wire != WIRE_LEN)
			continue;
		if (f.num == GRAPH_INPUT) {
			ret = push(&sc->inputs, &sc->ninputs, &sc->cap_inputs, f.bytes);
		} else if (f.num == GRAPH_INITIALIZER || f.num == GRAPH_SPARSE_INITIALIZER) {
			ret = initializer_name(f.bytes, f.num == GRAPH_SPARSE_INITIALIZER, &name);
			if (!ret && name.len)
				ret = push(&sc->inits, &sc->ninits, &sc->cap_inits, name);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static enum gb_dtype dtype_from(int32_t t)
{
	switch (t) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return GB_DTYPE_F32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return GB_DTYPE_F16;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return GB_DTYPE_BF16;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return GB_DTYPE_F64;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return GB_DTYPE_I64;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return GB_DTYPE_I32;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return GB_DTYPE_I8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return GB_DTYPE_U8;
	case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return GB_DTYPE_BOOL;
	default: return GB_DTYPE_UNKNOWN;
	}
}

/* One ValueInfoProto into info. */
static int decode_input(struct span v, struct gb_tensor_info *info)
{
	Onnx__ValueInfoProto *vi = onnx__value_info_proto__unpack(NULL, v.len, v.p);
	const Onnx__TypeProto__Tensor *tt;
	const Onnx__TensorShapeProto *shape;
	int ret = 0;

	memset(info, 0, sizeof *info);
	info->rank = -1;
	if (!vi)
		return bad("a graph input cannot be decoded");
	snprintf(info->name, sizeof info->name, "%s", vi->name ? vi->name : "");
	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !vi->type->tensor_type)
		goto out;
	tt = vi->type->tensor_type;
	info->dtype = dtype_from(tt->elem_type);
	shape = tt->shape;
	if (!shape)
		goto out;
	if (shape->n_dim > GB_TENSOR_MAX_RANK) {
		ret = gb_error_set(-ENOTSUP, "input '%s' has rank %zu: at most %d supported", info->name,
				   shape->n_dim, GB_TENSOR_MAX_RANK);
		goto out;
	}
	info->rank = (int)shape->n_dim;
	for (size_t d = 0; d < shape->n_dim; d++) {
		const Onnx__TensorShapeProto__Dimension *dim = shape->dim[d];

		info->dims[d] = -1;
		if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    dim->dim_value >= 0)
			info->dims[d] = dim->dim_value;
		else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
			 dim->dim_param && strlen(dim->dim_param) < sizeof info->dim_params[d])
			snprintf(info->dim_params[d], sizeof info->dim_params[d], "%s", dim->dim_param);
	}
out:
	onnx__value_info_proto__free_unpacked(vi, NULL);
	return ret;
}

/* The input's name is an initializer's (looked up in the sorted names). */
static int is_initializer(const struct scan *sc, struct span v)
{
	Onnx__ValueInfoProto *vi = onnx__value_info_proto__unpack(NULL, v.len, v.p);
	struct span key;
	int found;

	if (!vi)
		return 0; /* decode_input says why */
	key.p = (const uint8_t *)(vi->name ? vi->name : "");
	key.len = strlen((const char *)key.p);
	found = sc->ninits && bsearch(&key, sc->inits, sc->ninits, sizeof *sc->inits, span_cmp);
	onnx__value_info_proto__free_unpacked(vi, NULL);
	return found;
}

int gb_onnx_inputs_parse(const void *buf, size_t len, struct gb_tensor_info **out, size_t *n)
{
	struct span m = { buf, len };
	struct scan sc = { 0 };
	struct gb_tensor_info *in = NULL;
	struct field f;
	size_t k = 0;
	int ret = 0, graphs = 0;

	*out = NULL;
	*n = 0;
	if (!len)
		return bad("empty");
	/* protobuf merges repeated occurrences of a message field: their
	 * inputs and initializers add up */
	while (m.len && !ret) {
		ret = next_field(&m, &f);
		if (!ret && f.num == MODEL_GRAPH) {
			if (f.wire != WIRE_LEN) {
				ret = bad("its graph is not a message");
				break;
			}
			graphs++;
			ret = scan_graph(f.bytes, &sc);
		}
	}
	if (!ret && !graphs)
		ret = bad("no graph");
	if (ret)
		goto out;
	if (sc.ninits)
		qsort(sc.inits, sc.ninits, sizeof *sc.inits, span_cmp);
	in = calloc(sc.ninputs + 1, sizeof *in);
	if (!in) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sc.ninputs; i++) {
		if (is_initializer(&sc, sc.inputs[i]))
			continue;
		ret = decode_input(sc.inputs[i], &in[k]);
		if (ret)
			goto out;
		k++;
	}
	*out = in;
	*n = k;
	in = NULL;
out:
	free(in);
	free(sc.inputs);
	free(sc.inits);
	return ret;
}

int gb_onnx_inputs_read(const char *path, struct gb_tensor_info **out, size_t *n)
{
	struct stat st;
	void *map = MAP_FAILED;
	int fd, ret;

	*out = NULL;
	*n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gb_error_set(-errno, "cannot open model '%s': %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = gb_error_set(-errno, "cannot read model '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		ret = gb_error_set(-EINVAL, "model '%s' is not an ONNX model: %s", path,
				   S_ISREG(st.st_mode) ? "empty" : "not a file");
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = gb_error_set(-errno, "cannot map model '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = gb_onnx_inputs_parse(map, (size_t)st.st_size, out, n);
	if (ret)
		gb_error_wrap(ret, "cannot load model '%s'", path);
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return ret;
}
