/*
 * CPU energy estimator for machines without CPU energy counters (most VMs,
 * CI, the H100 test machine). Energy is integrated from the busy fraction of
 * all CPUs (/proc/stat) through the power model in estimator_model.h. Every
 * figure it produces has method GB_METHOD_ESTIMATED.
 */
#include "greenbench/meter.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"
#include "meter/estimator_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

struct est_state {
	char root[4096];
	char stat_path[4200];
	struct gb_cpu_model cpu;
	double tdp_w;
	char tdp_source[160];
	struct gb_cpu_times last;
	uint64_t last_t_ns;
	int have_last;
	uint64_t tick_ns;	/* one USER_HZ tick */
	double energy_uj;
	double last_util;
	int util_valid;
	struct gb_sample last_sample;
	/* Per process: the busy fraction is this process's CPU time (and its
	 * waited-for children's) over all CPUs, and power is its dynamic
	 * share only: the node's idle power belongs to no one process. */
	int per_process;
	uint64_t proc_cpu_ns;
};

static int read_big(const char *path, char **out)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	int n;

	if (!buf)
		return gb_error_set(-ENOMEM, "out of memory");
	/* cpuinfo can exceed 64 KiB on big machines; grow until it fits. */
	for (;;) {
		n = gb_sys_read_text(path, buf, cap);
		if (n < 0 || (size_t)n < cap - 1)
			break;
		cap *= 4;
		char *nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			return gb_error_set(-ENOMEM, "out of memory");
		}
		buf = nb;
	}
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return 0;
}

#define TV_NS(tv) ((uint64_t)(tv).tv_sec * 1000000000ULL + (uint64_t)(tv).tv_usec * 1000ULL)

/* CPU time of this process and its waited-for children. */
static uint64_t proc_cpu_ns(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return TV_NS(self.ru_utime) + TV_NS(self.ru_stime) + TV_NS(kids.ru_utime) + TV_NS(kids.ru_stime);
}

static int read_times(struct est_state *s, struct gb_cpu_times *t)
{
	char buf[8192];
	int n = gb_sys_read_text(s->stat_path, buf, sizeof buf);

	if (n < 0)
		return n;
	return gb_est_parse_proc_stat(buf, t);
}

static int est_open(const struct gb_meter_config *cfg, void **state)
{
	struct est_state *s = calloc(1, sizeof *s);
	char path[4200], *info = NULL;
	const char *matched = NULL;
	int ret;

	if (!s)
		return gb_error_set(-ENOMEM, "out of memory");
	snprintf(s->root, sizeof s->root, "%s", cfg->sysfs_root ? cfg->sysfs_root : gb_sys_root());
	ret = gb_sys_path(s->root, "/proc/cpuinfo", path, sizeof path);
	if (ret < 0)
		goto out;
	ret = read_big(path, &info);
	if (ret < 0)
		goto out;
	ret = gb_est_parse_cpuinfo(info, &s->cpu);
	if (ret < 0)
		goto out;
	s->tick_ns = 1000000000ull / (uint64_t)(sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100);
	ret = gb_sys_path(s->root, "/proc/stat", s->stat_path, sizeof s->stat_path);
	if (ret < 0)
		goto out;
	ret = read_times(s, &s->last);
	if (ret < 0)
		goto out;
	s->per_process = cfg->cpu_per_process;
	s->proc_cpu_ns = proc_cpu_ns();
	if (cfg->cpu_tdp_w > 0) {
		s->tdp_w = cfg->cpu_tdp_w;
		snprintf(s->tdp_source, sizeof s->tdp_source, "--cpu-tdp %.0f W per package", s->tdp_w);
	} else if (gb_est_tdp_lookup(s->cpu.name, &s->tdp_w, &matched) == 0) {
		snprintf(s->tdp_source, sizeof s->tdp_source, "TDP table: '%s' %.0f W per package", matched, s->tdp_w);
	} else {
		/* Unknown CPU: a per-thread default keeps the estimate in a
		 * plausible range; the source line says how crude it is. */
		s->tdp_w = GB_EST_DEFAULT_W_PER_THREAD * s->cpu.threads / s->cpu.packages;
		snprintf(s->tdp_source, sizeof s->tdp_source,
			 "CPU not in TDP table: default %.0f W per thread (set --cpu-tdp)", GB_EST_DEFAULT_W_PER_THREAD);
	}
	ret = 0;
out:
	free(info);
	if (ret < 0)
		free(s);
	else
		*state = s;
	return ret;
}

static size_t est_domain_count(void *state)
{
	return 1;
}

static void est_domain_info(void *state, size_t i, struct gb_domain_info *out)
{
	struct est_state *s = state;

	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "cpu");
	snprintf(out->label, sizeof out->label, "%s x%u (estimated%s)", s->cpu.name, s->cpu.packages,
		 s->per_process ? " per process" : "");
	out->kind = GB_DOMAIN_CPU_ESTIMATED;
	out->method = GB_METHOD_ESTIMATED;
	out->parent = -1;
	out->device_index = -1;
	out->telemetry = GB_SAMPLE_ENERGY | GB_SAMPLE_POWER | GB_SAMPLE_UTIL_CPU;
	/* The busy fraction moves in /proc/stat ticks: a shorter window has
	 * no estimate of its own. */
	out->energy_update_ns = s->tick_ns;
}

/* /proc/stat is regenerated whole on every read (all CPUs, every IRQ
 * count): ~100 us on a small VM. Its ticks are 10 ms, so the sampler reads
 * it at most every EST_POLL_NS and repeats the last sample in between;
 * marks always read it. */
#define EST_POLL_NS (100 * 1000000ULL)

static int est_read_now(struct est_state *s, uint64_t t_ns, struct gb_sample *out);

/* Per process, only the dynamic share: no idle power. */
static uint32_t est_power_mw(const struct est_state *s)
{
	if (s->per_process)
		return gb_est_power_mw(s->tdp_w * (1.0 - GB_EST_IDLE_FRAC), s->cpu.packages, 0, s->last_util);
	return gb_est_power_mw(s->tdp_w, s->cpu.packages, GB_EST_IDLE_FRAC, s->last_util);
}

static int est_read(void *state, uint64_t t_ns, struct gb_sample *out)
{
	struct est_state *s = state;

	if (s->have_last && t_ns >= s->last_t_ns && t_ns - s->last_t_ns < EST_POLL_NS) {
		*out = s->last_sample;
		return 0;
	}
	return est_read_now(s, t_ns, out);
}

static int est_read_mark(void *state, uint64_t t_ns, struct gb_sample *out)
{
	return est_read_now(state, t_ns, out);
}

static int est_read_now(struct est_state *s, uint64_t t_ns, struct gb_sample *out)
{
	struct gb_cpu_times now;
	double u;
	int ret;

	memset(out, 0, sizeof *out);
	ret = read_times(s, &now);
	if (ret < 0)
		return ret;
	/* /proc/stat ticks every 10 ms; between ticks the last busy fraction
	 * still describes the interval best. */
	if (s->per_process) {
		uint64_t c = proc_cpu_ns();

		if (s->have_last && t_ns > s->last_t_ns) {
			s->last_util = (double)(c - s->proc_cpu_ns) / ((double)(t_ns - s->last_t_ns) * s->cpu.threads);
			s->util_valid = 1;
		}
		s->proc_cpu_ns = c;
	} else if (gb_est_util(&s->last, &now, &u) == 0) {
		s->last_util = u;
		s->util_valid = 1;
		s->last = now;
	}
	if (s->have_last && s->util_valid && t_ns > s->last_t_ns) {
		uint32_t p = est_power_mw(s);
		s->energy_uj += (double)p * (double)(t_ns - s->last_t_ns) / 1e6;
	}
	s->last_t_ns = t_ns;
	s->have_last = 1;
	out->valid = GB_SAMPLE_ENERGY;
	out->energy_uj = (uint64_t)s->energy_uj;
	if (s->util_valid) {
		out->valid |= GB_SAMPLE_POWER | GB_SAMPLE_UTIL_CPU;
		out->power_mw = est_power_mw(s);
		out->util_cpu_permille = (uint32_t)(s->last_util * 1000.0 + 0.5);
	}
	s->last_sample = *out;
	return 0;
}

static void est_describe(void *state, char *buf, size_t len)
{
	struct est_state *s = state;

	snprintf(buf, len, "%s, %u package(s), %u threads; %s; idle share %.0f%% of TDP",
		 s->cpu.name, s->cpu.packages, s->cpu.threads, s->tdp_source, GB_EST_IDLE_FRAC * 100);
}

static void est_close(void *state)
{
	free(state);
}

const struct gb_source_ops gb_source_estimator = {
	.name = "estimator",
	.summary = "CPU energy estimated from CPU time and a TDP power model",
	.group = GB_GROUP_CPU_ESTIMATE,
	.open = est_open,
	.domain_count = est_domain_count,
	.domain_info = est_domain_info,
	.read = est_read,
	.read_mark = est_read_mark,
	.describe = est_describe,
	.close = est_close,
};
