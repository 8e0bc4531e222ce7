/*
 * Fixture shared by the CPU energy source tests (MSR, perf, powercap): a
 * temporary sysfs root, a meter config pointing at it and the source under
 * test, opened through its ops table.
 */
#ifndef GBT_RAPL_FIXTURE_H
#define GBT_RAPL_FIXTURE_H

#include "greenbench/meter.h"

struct gbt_rapl {
	char *root;			/* fake sysfs/dev root (malloc'd) */
	struct gb_meter_config cfg;	/* sysfs_root = root */
	void *st;			/* the source's state once opened */
	const struct gb_source_ops *ops;
};

/* cmocka setup: *state = a new fixture for ops. */
int gbt_rapl_setup(void **state, const struct gb_source_ops *ops);
/* Close the source if open (st = NULL). */
void gbt_rapl_close(struct gbt_rapl *f);
/* cmocka teardown: close, gb_sys_reset(), remove the tree, free. */
int gbt_rapl_teardown(void **state);
/* Open the source; fail the test with the error message otherwise. */
void gbt_rapl_open_ok(struct gbt_rapl *f);
/* Index of the domain called name (info in *out), or -1. */
int gbt_rapl_find(const struct gbt_rapl *f, const char *name, struct gb_domain_info *out);
/* Write cpu<cpu>/topology/physical_package_id = pkg under the root. */
void gbt_rapl_cpu_package(struct gbt_rapl *f, int cpu, int pkg);

#endif
