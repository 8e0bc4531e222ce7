#include "lib/rapl_fixture.h"
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gbt_rapl_setup(void **state, const struct gb_source_ops *ops)
{
	struct gbt_rapl *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->ops = ops;
	f->root = gbt_mkdtemp();
	gb_meter_config_init(&f->cfg);
	f->cfg.sysfs_root = f->root;
	*state = f;
	return 0;
}

void gbt_rapl_close(struct gbt_rapl *f)
{
	if (f->st)
		f->ops->close(f->st);
	f->st = NULL;
}

int gbt_rapl_teardown(void **state)
{
	struct gbt_rapl *f = *state;

	gbt_rapl_close(f);
	gb_sys_reset();
	gbt_rm_rf(f->root);
	free(f->root);
	free(f);
	return 0;
}

void gbt_rapl_open_ok(struct gbt_rapl *f)
{
	int ret = f->ops->open(&f->cfg, &f->st);

	if (ret < 0)
		fail_msg("open: %s", gb_error_msg());
}

int gbt_rapl_find(const struct gbt_rapl *f, const char *name, struct gb_domain_info *out)
{
	size_t n = f->ops->domain_count(f->st);

	for (size_t i = 0; i < n; i++) {
		f->ops->domain_info(f->st, i, out);
		if (!strcmp(out->name, name))
			return (int)i;
	}
	return -1;
}

void gbt_rapl_cpu_package(struct gbt_rapl *f, int cpu, int pkg)
{
	char rel[128];

	snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
	gbt_write(f->root, rel, "%d\n", pkg);
}
