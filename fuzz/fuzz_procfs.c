/* Fuzz the /proc text parsers of the CPU estimator and the duration parser. */
#include "greenbench/time.h"
#include "meter/estimator_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct gb_cpu_times t;
	struct gb_cpu_model c;
	uint64_t ns;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	gb_est_parse_proc_stat(text, &t);
	gb_est_parse_cpuinfo(text, &c);
	gb_duration_parse(text, &ns);
	free(text);
	return 0;
}
