/* Fuzz the run-record reader: records come from child processes (a
 * campaign's `greenbench run --json`, or any GREENBENCH_RUN_CMD), so their
 * JSON is untrusted input to gb_run_metrics_extract() and the domain
 * reader the store uses. */
#include "greenbench/record.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *rec = cJSON_ParseWithLength((const char *)data, size), *ph, *d;
	struct gb_run_metrics m;

	if (!rec)
		return 0;
	gb_run_metrics_extract(rec, &m);
	cJSON_ArrayForEach(ph, cJSON_GetObjectItemCaseSensitive(rec, GB_RK_PHASES))
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(ph, GB_RK_ENERGY)) {
			struct gb_record_domain rd;

			gb_record_domain_read(d, &rd);
		}
	cJSON_Delete(rec);
	return 0;
}
