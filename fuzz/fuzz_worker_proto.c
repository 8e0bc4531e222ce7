/* Fuzz the worker reply decoder: the first byte picks the request the
 * reply answers, the rest is the reply line. */
#include "runtime/worker_proto.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_wp_reply r;

	if (!size)
		return 0;
	if (!gb_wp_decode_reply((enum gb_wp_op)(data[0] % (GB_WP_CONFIGURE + 1)),
				(const char *)data + 1, size - 1, &r))
		gb_wp_reply_release(&r);
	return 0;
}
