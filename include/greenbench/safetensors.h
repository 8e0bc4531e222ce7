/*
 * Read-only access to a .safetensors file (Hugging Face's format: an
 * 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data).
 *
 * The file is mmap'd; tensor data pointers point into the mapping and stay
 * valid until gb_safetensors_free(). Every offset and size is checked
 * against the file when it is opened, so a truncated or corrupt file fails
 * there with a message naming the file (and the tensor, when one is at
 * fault), never later.
 *
 * Thread-safety: an opened file is immutable; readers may share it.
 */
#ifndef GREENBENCH_SAFETENSORS_H
#define GREENBENCH_SAFETENSORS_H

#include "greenbench/tensor.h"

#include <stddef.h>
#include <stdint.h>

struct gb_safetensors;

struct gb_st_tensor {
	const char *name;
	enum gb_dtype dtype;	/* F32, F16, BF16, F64, I64, I32, I8, U8, BOOL */
	int rank;
	int64_t dims[GB_TENSOR_MAX_RANK];
	const void *data;
	size_t bytes;
};

/* Map and validate path; messages name the file by path. */
int gb_safetensors_open(const char *path, struct gb_safetensors **out);

/* Validate and index an in-memory image (the whole file's bytes), which
 * must outlive the result; label names it in messages. The pure part of
 * open(), for tests and fuzzing. */
int gb_safetensors_parse(const void *buf, size_t len, const char *label, struct gb_safetensors **out);

void gb_safetensors_free(struct gb_safetensors *st);

size_t gb_safetensors_count(const struct gb_safetensors *st);
const struct gb_st_tensor *gb_safetensors_at(const struct gb_safetensors *st, size_t i);
/* NULL when absent (no message set). */
const struct gb_st_tensor *gb_safetensors_find(const struct gb_safetensors *st, const char *name);

/* Look name up and check its shape (rank, dims); dtype must be one of the
 * floating-point types F32, F16, BF16. Errors name the tensor and the file:
 * "weights 'w.safetensors': tensor 'fc.weight' has shape [10,2048], expected [1000,2048]". */
int gb_safetensors_get_float(const struct gb_safetensors *st, const char *name, int rank,
			     const int64_t *dims, const struct gb_st_tensor **out);

#endif
