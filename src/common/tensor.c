/* Element types of the tensor vocabulary (greenbench/tensor.h). */
#include "greenbench/tensor.h"

static const struct {
	const char *name;
	size_t size;
} dtypes[] = {
	[GB_DTYPE_UNKNOWN] = { "unknown", 0 }, [GB_DTYPE_F32] = { "float32", 4 },
	[GB_DTYPE_F16] = { "float16", 2 },     [GB_DTYPE_BF16] = { "bfloat16", 2 },
	[GB_DTYPE_F64] = { "float64", 8 },     [GB_DTYPE_I64] = { "int64", 8 },
	[GB_DTYPE_I32] = { "int32", 4 },       [GB_DTYPE_I8] = { "int8", 1 },
	[GB_DTYPE_U8] = { "uint8", 1 },	       [GB_DTYPE_BOOL] = { "bool", 1 },
};

const char *gb_dtype_name(enum gb_dtype t)
{
	return (unsigned)t < sizeof dtypes / sizeof dtypes[0] ? dtypes[t].name : "unknown";
}

size_t gb_dtype_size(enum gb_dtype t)
{
	return (unsigned)t < sizeof dtypes / sizeof dtypes[0] ? dtypes[t].size : 0;
}
