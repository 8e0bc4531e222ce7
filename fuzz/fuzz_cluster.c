/* Fuzz what a cluster campaign reads from outside: a task's records line
 * (files on a shared filesystem, possibly cut short by a kill), Slurm's
 * squeue/sacct output, and a GPU list from CUDA_VISIBLE_DEVICES or Slurm.
 * The first byte picks the parser. */
#include "greenbench/record.h"
#include "greenbench/slurm.h"
#include "meter/nvml_decode.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const uuids[] = { "GPU-8f6c1a2b-0000-1111-2222-333344445555", NULL,
					     "GPU-8f6d9e00-aaaa-bbbb-cccc-ddddeeeeffff" };
	enum gb_slurm_state st[16] = { 0 };
	struct gb_task_line l;
	unsigned ix[8];
	cJSON *owner = NULL;
	size_t n;
	char *text;

	if (!size)
		return 0;
	if (!(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (gb_task_line_parse(text, &l, &owner) == 0) {
			char *again = gb_task_line_format(&l);

			free(again);
			free((void *)l.record_json);
			cJSON_Delete(owner);
		}
		break;
	case 1:
		gb_slurm_parse_states(text, "4711", st, 16);
		break;
	default:
		gb_nvml_visible_parse(text, uuids, 3, ix, 8, &n);
		break;
	}
	free(text);
	return 0;
}
