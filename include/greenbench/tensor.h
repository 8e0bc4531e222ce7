/*
 * The tensor vocabulary: element types, tensor descriptions, host tensors,
 * where inputs live, and key/value pairs. Shared by the model builders
 * (src/model), the workloads (src/workload) and the runtimes (runtime.h
 * includes this header); it depends on nothing else, so the arrows point
 * one way: model/ and workload/ never see the runtime plug-in API.
 *
 * Ownership: plain data. A struct gb_tensor's data belongs to whoever
 * filled it (the struct says nothing about it); gb_kv strings are borrowed.
 *
 * Units: sizes in bytes; dims are element counts.
 *
 * Thread-safety: gb_dtype_name() and gb_dtype_size() are pure.
 */
#ifndef GREENBENCH_TENSOR_H
#define GREENBENCH_TENSOR_H

#include <stddef.h>
#include <stdint.h>

enum gb_dtype {
	GB_DTYPE_UNKNOWN = 0,
	GB_DTYPE_F32,
	GB_DTYPE_F16,
	GB_DTYPE_BF16,
	GB_DTYPE_F64,
	GB_DTYPE_I64,
	GB_DTYPE_I32,
	GB_DTYPE_I8,
	GB_DTYPE_U8,
	GB_DTYPE_BOOL,
};

const char *gb_dtype_name(enum gb_dtype t);	/* "float32", ... */
size_t gb_dtype_size(enum gb_dtype t);		/* bytes per element; 0 if unknown */

#define GB_TENSOR_MAX_RANK 8

struct gb_tensor_info {
	char name[128];
	enum gb_dtype dtype;
	int rank;
	int64_t dims[GB_TENSOR_MAX_RANK];	/* -1 where symbolic */
	char dim_params[GB_TENSOR_MAX_RANK][64]; /* symbolic name ("batch"), or "" */
};

struct gb_tensor {
	struct gb_tensor_info info;	/* concrete dims, no -1 */
	void *data;			/* host memory, row-major */
	size_t bytes;
};

/* Where inputs live while batches run; recorded with every result. */
enum gb_io_placement {
	GB_IO_HOST = 0,	/* copied from host memory every run (the study's way) */
	GB_IO_DEVICE,	/* bound once on the device, reused by every run */
};

struct gb_kv {
	const char *key;
	const char *value;
};

#endif
