/* The verdict line of `run` and `measure` (verdict_print.h). */
#include "cli/verdict_print.h"

#include <stdio.h>

/* The verdict and, for each reason, what was measured against what. */
void gb_cli_print_verdict(const struct gb_verdict *v)
{
	printf("  %-14s %s", "verdict", gb_verdict_level_name(v->level));
	for (int c = 0; c < GB_VR_COUNT; c++) {
		const struct gb_verdict_info *in = &gb_verdict_reasons[c];
		enum gb_verdict_level l = gb_verdict_level_of((enum gb_verdict_reason)c, v->value[c]);

		if (l == GB_VERDICT_VALID)
			continue;
		if (in->dir == GB_VD_BITS) {
			char words[256];

			gb_verdict_throttle_text((uint64_t)v->value[c], words, sizeof words);
			printf("; %s 0x%llx (%s)", in->name, (unsigned long long)v->value[c], words);
		} else
			printf("; %s %.3g %s (%s %s %.3g)", in->name, v->value[c], in->unit, gb_verdict_level_name(l),
			       in->dir == GB_VD_BELOW ? "below" : "above",
			       l == GB_VERDICT_INVALID ? in->invalid : in->suspect);
	}
	putchar('\n');
}
