/*
 * The graph inputs of an ONNX file, read without loading the model: the
 * runtimes need them before a session exists (to fix free dimensions,
 * src/runtime/ort_dims.c), and a converted BERT is 438 MB of weights.
 *
 * A protobuf wire-format scan finds ModelProto.graph (field 7) and, in it,
 * each input (field 11) and each initializer's name (TensorProto field 8;
 * sparse initializers: field 15); every other field, weights included, is
 * skipped by its length without being read. Each input's ValueInfoProto is
 * then decoded with protobuf-c. Inputs that share a name with an
 * initializer (ONNX IR < 4 lists initializers as inputs) are left out, as
 * ONNX Runtime leaves them out of a session's inputs.
 *
 * Each input: its name (truncated to fit), dtype (GB_DTYPE_UNKNOWN for a
 * type greenbench has no name for, and for non-tensor inputs), rank (-1
 * when the model states no shape), dims (-1 where symbolic or unknown) and
 * dim_params (the symbolic name; "" when unnamed, and also when the name
 * does not fit the field, so a truncated name is never taken for another).
 *
 * Errors (negative errno, message set): -EINVAL for a file that is not an
 * ONNX model (no graph, bad wire format, truncated), -ENOTSUP for an input
 * of rank above GB_TENSOR_MAX_RANK, -ENOMEM, or the errno of open/mmap.
 *
 * Ownership: *out is malloc'd; the caller frees it with free(). The
 * buffer given to gb_onnx_inputs_parse() is only read, never kept.
 *
 * Thread-safety: pure functions of their arguments; thread-safe.
 */
#ifndef GREENBENCH_ONNX_INPUTS_H
#define GREENBENCH_ONNX_INPUTS_H

#include "greenbench/tensor.h"

#include <stddef.h>

/* The graph inputs of the serialized ModelProto buf[0..len). */
int gb_onnx_inputs_parse(const void *buf, size_t len, struct gb_tensor_info **out, size_t *n);

/* The same for the file at path, mapped read-only for the scan: only the
 * pages holding the graph's inputs and initializer names are touched. */
int gb_onnx_inputs_read(const char *path, struct gb_tensor_info **out, size_t *n);

#endif
