/* Host facts for run records: name, kernel, CPU model, GPU driver. */
#include "greenbench/result.h"
#include "greenbench/sys.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

static void cpu_model(char *buf, size_t len)
{
	char path[4200], line[512];
	FILE *f;

	if (gb_sys_path(gb_sys_root(), "/proc/cpuinfo", path, sizeof path) < 0)
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		colon += strspn(colon, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

/* The NVML source says "driver 580.159.04; ..." in its detail line. */
static void gpu_driver(const struct gb_meter *m, char *buf, size_t len)
{
	for (size_t i = 0; m && i < gb_meter_source_count(m); i++) {
		const struct gb_source_status *st = gb_meter_source(m, i);
		const char *d;

		if (st->state != GB_SOURCE_ACTIVE || st->ops->group != GB_GROUP_GPU)
			continue;
		d = strstr(st->detail, "driver ");
		if (!d)
			continue;
		d += 7;
		snprintf(buf, len, "%.*s", (int)strcspn(d, " ;,)\n"), d);
		return;
	}
}

void gb_run_result_environment(struct gb_run_result *r, const struct gb_meter *m)
{
	struct utsname u;

	if (uname(&u) == 0) {
		snprintf(r->host, sizeof r->host, "%s", u.nodename);
		snprintf(r->kernel, sizeof r->kernel, "%s %s %s", u.sysname, u.release, u.machine);
	}
	cpu_model(r->cpu, sizeof r->cpu);
	gpu_driver(m, r->gpu_driver, sizeof r->gpu_driver);
}
