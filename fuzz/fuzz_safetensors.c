/* Fuzz the safetensors header decoder and the lookups behind it. */
#include "greenbench/safetensors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_safetensors *st = NULL;
	const struct gb_st_tensor *t;
	volatile uint8_t sink = 0;

	if (gb_safetensors_parse(data, size, "fuzz", &st) < 0)
		return 0;
	for (size_t i = 0; i < gb_safetensors_count(st); i++) {
		const struct gb_st_tensor *e = gb_safetensors_at(st, i);
		/* every byte a tensor claims must be inside the input */
		if (e->bytes)
			sink ^= ((const uint8_t *)e->data)[0] ^ ((const uint8_t *)e->data)[e->bytes - 1];
		if (gb_safetensors_get_float(st, e->name, e->rank, e->dims, &t) == 0 && t != e)
			abort();
	}
	(void)sink;
	gb_safetensors_free(st);
	return 0;
}
