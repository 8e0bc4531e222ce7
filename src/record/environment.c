/* Host facts for run records: name, kernel, CPU model, GPU driver. */
#include "greenbench/result.h"
#include "greenbench/sys.h"

#include <stdio.h>
#include <stdlib.h>
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

/* The first GPU domain's driver version (a field of its domain info). */
static void gpu_driver(const struct gb_meter *m, char *buf, size_t len)
{
	for (size_t i = 0; m && i < gb_meter_domain_count(m); i++) {
		const struct gb_domain_info *d = gb_meter_domain(m, i);

		if (d->kind == GB_DOMAIN_GPU && d->driver_version[0]) {
			snprintf(buf, len, "%s", d->driver_version);
			return;
		}
	}
}

static void env_copy(const char *var, char *buf, size_t len)
{
	const char *v = getenv(var);

	snprintf(buf, len, "%s", v ? v : "");
}

void gb_run_result_environment(struct gb_run_result *r, const struct gb_meter *m)
{
	const struct gb_meter_config *cfg = m ? gb_meter_config_get(m) : NULL;
	struct utsname u;

	if (uname(&u) == 0) {
		snprintf(r->host, sizeof r->host, "%s", u.nodename);
		snprintf(r->kernel, sizeof r->kernel, "%s %s %s", u.sysname, u.release, u.machine);
	}
	cpu_model(r->cpu, sizeof r->cpu);
	gpu_driver(m, r->gpu_driver, sizeof r->gpu_driver);
	env_copy("SLURM_JOB_ID", r->job_id, sizeof r->job_id);
	env_copy("SLURM_ARRAY_JOB_ID", r->array_job_id, sizeof r->array_job_id);
	env_copy("SLURM_ARRAY_TASK_ID", r->array_task_id, sizeof r->array_task_id);
	env_copy("SLURMD_NODENAME", r->node, sizeof r->node);
	if (cfg && cfg->gpus) {
		snprintf(r->gpus_visible, sizeof r->gpus_visible, "%s", cfg->gpus);
		snprintf(r->gpus_from, sizeof r->gpus_from, "%s", cfg->gpus_from ? cfg->gpus_from : "");
	}
	r->cpu_per_process = cfg && cfg->cpu_per_process;
}
