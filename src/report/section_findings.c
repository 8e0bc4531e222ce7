/*
 * The study's qualitative findings (struct gb_report_finding, judged in
 * report.c), each with its verdict here and the numbers behind it.
 */
#include "report/rtable.h"

int gb_section_findings(const struct gb_report_section *self, const struct gb_report *r,
			struct gb_rtable_builder *b)
{
	(void)self;
	gb_rtable_add(b, "Finding");
	gb_rtable_add(b, "Claim");
	gb_rtable_add(b, "Here");
	gb_rtable_add(b, "Evidence");
	for (int k = 0; k < GB_CLAIM_COUNT; k++) {
		const struct gb_report_finding *f = &r->findings[k];
		gb_rtable_add(b, "%s", gb_claims[f->claim].id);
		gb_rtable_add(b, "%s", gb_claims[f->claim].statement);
		gb_rtable_add(b, "%s", gb_finding_verdict_name(f->verdict));
		gb_rtable_add(b, "%s", f->detail);
	}
	return 0;
}
