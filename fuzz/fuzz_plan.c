/* Fuzz the experiment file parser (YAML through libyaml into a plan). */
#include "greenbench/plan.h"

#include <stdint.h>
#include <stddef.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_plan *p = NULL;

	/* Cap the matrix: a fuzzed `reps: 100000` over many entries is valid
	 * but only slow, not interesting. */
	if (size > 4096)
		return 0;
	if (!gb_plan_parse((const char *)data, size, "fuzz.yaml", &p))
		gb_plan_free(p);
	return 0;
}
