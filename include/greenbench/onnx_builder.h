/*
 * A small ONNX graph builder: inputs and outputs (with symbolic dims),
 * initializers, nodes with attributes, serialization to a .onnx file.
 * Written on protobuf-c and Debian's onnx.proto; the protobuf types stay
 * inside src/model/onnx_builder.c.
 *
 * Ownership: the builder copies every name, attribute and dims array it is
 * given. Initializer data comes in two ways: gb_onnx_builder_add_initializer()
 * returns a buffer the builder owns (the caller fills it), and
 * gb_onnx_builder_add_initializer_ref() borrows caller memory (an mmap'd
 * weights file), which must stay valid until the builder is freed. A
 * borrowed NULL data pointer describes a tensor without data: enough to
 * count parameters, but gb_onnx_builder_write() then refuses the graph.
 *
 * Names are not checked for uniqueness or dangling references; the ONNX
 * checker does that in the tests.
 *
 * Thread-safety: one builder per thread.
 */
#ifndef GREENBENCH_ONNX_BUILDER_H
#define GREENBENCH_ONNX_BUILDER_H

#include "greenbench/tensor.h"

#include <stddef.h>
#include <stdint.h>

struct gb_onnx_builder;

/* One dimension of a graph input or output: a fixed size, or symbolic
 * when param is non-NULL ("batch", "seq"). */
struct gb_onnx_dim {
	int64_t value;
	const char *param;
};

enum gb_onnx_attr_type {
	GB_ONNX_ATTR_INT,
	GB_ONNX_ATTR_FLOAT,
	GB_ONNX_ATTR_INTS,
	GB_ONNX_ATTR_STRING,
};

struct gb_onnx_attr {
	const char *name;
	enum gb_onnx_attr_type type;
	int64_t i;
	float f;
	const int64_t *ints;
	size_t n_ints;
	const char *s;
};

/* New empty graph for the default ONNX domain at the given opset. */
int gb_onnx_builder_new(const char *graph_name, int opset, struct gb_onnx_builder **out);
void gb_onnx_builder_free(struct gb_onnx_builder *b);

/* Model-level strings: doc_string and metadata_props entries. */
int gb_onnx_builder_set_doc(struct gb_onnx_builder *b, const char *doc);
int gb_onnx_builder_add_meta(struct gb_onnx_builder *b, const char *key, const char *value);

int gb_onnx_builder_add_input(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
			      int rank, const struct gb_onnx_dim *dims);
int gb_onnx_builder_add_output(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
			       int rank, const struct gb_onnx_dim *dims);

/* Initializer whose data buffer (bytes = numel * dtype size, 16-byte
 * aligned, uninitialised) belongs to the builder; *data receives it. */
int gb_onnx_builder_add_initializer(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
				    int rank, const int64_t *dims, void **data);
/* Initializer on borrowed data (see the contract above). */
int gb_onnx_builder_add_initializer_ref(struct gb_onnx_builder *b, const char *name, enum gb_dtype dtype,
					int rank, const int64_t *dims, const void *data);

/* A node of the default domain. An empty input name ("") marks an omitted
 * optional input. name may be NULL (unnamed node). */
int gb_onnx_builder_add_node(struct gb_onnx_builder *b, const char *op_type, const char *name,
			     size_t n_in, const char *const *in, size_t n_out, const char *const *out,
			     size_t n_attrs, const struct gb_onnx_attr *attrs);

size_t gb_onnx_builder_node_count(const struct gb_onnx_builder *b);
size_t gb_onnx_builder_initializer_count(const struct gb_onnx_builder *b);

/* Serialize to path: written to a temporary file in the same directory and
 * renamed over path only when complete, so a failure leaves nothing. */
int gb_onnx_builder_write(const struct gb_onnx_builder *b, const char *path);

/* Serialized size in bytes (what write() would produce). */
int gb_onnx_builder_packed_size(const struct gb_onnx_builder *b, size_t *bytes);

#endif
