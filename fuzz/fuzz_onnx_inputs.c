/* Fuzz the ONNX graph-input reader (the wire-format scan and the
 * ValueInfoProto decoding behind it), and feed what it returns to the
 * free-dims rule as the ort runtime does. */
#include "greenbench/inputs.h"
#include "greenbench/onnx_inputs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_tensor_info *in = NULL;
	struct gb_input_config cfg;
	struct gb_dim dims[GB_MAX_DIMS];
	size_t n = 0, nd = 0;

	if (gb_onnx_inputs_parse(data, size, &in, &n) < 0) {
		if (in)
			abort(); /* nothing handed out on failure */
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		/* names and dim names are terminated strings, ranks in range */
		if (strnlen(in[i].name, sizeof in[i].name) == sizeof in[i].name ||
		    in[i].rank < -1 || in[i].rank > GB_TENSOR_MAX_RANK)
			abort();
		for (int d = 0; d < in[i].rank; d++)
			if (strnlen(in[i].dim_params[d], sizeof in[i].dim_params[d]) ==
				    sizeof in[i].dim_params[d] ||
			    in[i].dims[d] < -1)
				abort();
	}
	gb_input_config_init(&cfg);
	cfg.batch = 2;
	(void)gb_inputs_free_dims(in, n, &cfg, GB_FREE_DIMS_KNOWN, dims, GB_MAX_DIMS, &nd);
	free(in);
	return 0;
}
