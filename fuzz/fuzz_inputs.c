/*
 * Fuzz the input generator's shape resolution and filling (overflow and
 * size checks) and the --dim parser. The first bytes script one or two
 * inputs; the rest is a --dim text. Inputs are capped at 64 KiB so a run
 * never allocates much.
 */
#include "greenbench/inputs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "input_ids", "attention_mask", "x", "position_ids",
					     "token_type_ids", "pad_mask" };
	static const char *const params[] = { "", "batch", "seq", "N", "len" };
	struct gb_tensor_info in[2];
	struct gb_input_config cfg;
	struct gb_dim dim;
	struct gb_tensor *t = NULL;
	uint64_t batch;
	char text[64];
	size_t n, pos = 0;

	if (size < 4)
		return 0;
	memset(in, 0, sizeof in);
	gb_input_config_init(&cfg);
	n = 1 + (data[pos++] & 1);
	cfg.batch = data[pos++] % 5;
	cfg.vocab = data[pos++] % 70000;
	cfg.seed = data[pos++];
	cfg.max_bytes = 1 << 16;
	for (size_t i = 0; i < n; i++) {
		struct gb_tensor_info *ti = &in[i];
		uint8_t b = pos < size ? data[pos++] : 0;

		snprintf(ti->name, sizeof ti->name, "%s", names[b % 6]);
		ti->dtype = (enum gb_dtype)((b >> 3) % 10);
		ti->rank = pos < size ? data[pos++] % (GB_TENSOR_MAX_RANK + 1) : 0;
		for (int d = 0; d < ti->rank; d++) {
			uint8_t v = pos < size ? data[pos++] : 0;

			/* negative: symbolic; large: overflow paths */
			ti->dims[d] = v & 0x80 ? -1 : v & 0x40 ? (int64_t)1 << (v & 0x3f) : v & 0x3f;
			snprintf(ti->dim_params[d], sizeof ti->dim_params[d], "%s", params[v % 5]);
		}
	}
	snprintf(text, sizeof text, "%.*s", (int)(size - pos < 63 ? size - pos : 63),
		 (const char *)data + pos);
	if (gb_dim_parse(text, &dim) == 0) {
		cfg.dims = &dim;
		cfg.ndims = 1;
	}
	if (gb_inputs_new(in, n, &cfg, &t, &batch) == 0)
		gb_inputs_free(t, n);
	return 0;
}
