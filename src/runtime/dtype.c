#include "greenbench/runtime.h"

#include <string.h>

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

void gb_runtime_options_init(struct gb_runtime_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->ep = "cpu";
	opt->graph_opt_level = -1;
}
