/*
 * CPU RAPL energy through the perf `power` PMU
 * (/sys/bus/event_source/devices/power: type, cpumask, events/energy-*
 * with .scale and .unit). One CPU-wide event per package and event, opened
 * with perf_event_open on the CPU the PMU's cpumask names for that package.
 *
 * The kernel keeps 64-bit counts and handles the hardware's 32-bit wrap
 * itself, so this source sets no poll bound. Virtual machines often expose
 * the PMU with only energy-psys, which reads 0 forever: open() waits briefly
 * for each event to advance and refuses a PMU where none does, rather than
 * report 0 J.
 */
#include "greenbench/meter.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"
#include "greenbench/time.h"
#include "meter/rapl_common.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PR_MAX_CPUS 64
#define PR_MAX_EVENTS 8
#define PR_MAX_DOMAINS (PR_MAX_CPUS * PR_MAX_EVENTS)
/* How long open() waits for a counter to move. The hardware updates every
 * ~1 ms; an idle core domain may stay still for a while, which is why a
 * non-advancing event is only fatal when no event at all advances. */
#define PR_PROBE_NS (50 * GB_NS_PER_MS)

struct pr_event {
	char name[32];		/* "energy-pkg" */
	enum gb_domain_kind kind;
	uint64_t config;
	double uj_per_count;
};

struct pr_state {
	size_t n;
	struct gb_domain_info info[PR_MAX_DOMAINS];
	int fd[PR_MAX_DOMAINS];
	const struct pr_event *ev[PR_MAX_DOMAINS];
	struct gb_rapl_counter ctr[PR_MAX_DOMAINS];
	struct pr_event events[PR_MAX_EVENTS];
	size_t nevents;
	unsigned type;
	char cpumask[128];
	char dropped[512];
};

static int read_attr(const char *base, const char *rel, char *buf, size_t len)
{
	char path[4400];

	snprintf(path, sizeof path, "%s/%s", base, rel);
	return gb_sys_read_text(path, buf, len);
}

static int kind_rank(enum gb_domain_kind k)
{
	static const enum gb_domain_kind order[] = {
		GB_DOMAIN_CPU_PACKAGE, GB_DOMAIN_CPU_CORE, GB_DOMAIN_CPU_UNCORE, GB_DOMAIN_DRAM, GB_DOMAIN_PSYS,
	};
	for (int i = 0; i < 5; i++)
		if (order[i] == k)
			return i;
	return 5;
}

static int event_cmp(const void *x, const void *y)
{
	return kind_rank(((const struct pr_event *)x)->kind) - kind_rank(((const struct pr_event *)y)->kind);
}

static int list_events(const char *base, struct pr_state *s)
{
	char dir[4200], text[128], unit[64], scale[64];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/events", base);
	d = opendir(dir);
	if (!d)
		return gb_error_set(-ENODEV, "cannot list '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)) && s->nevents < PR_MAX_EVENTS) {
		struct pr_event *ev = &s->events[s->nevents];
		char rel[300];

		if (strchr(e->d_name, '.') || gb_rapl_perf_event_kind(e->d_name, &ev->kind) < 0)
			continue;
		snprintf(ev->name, sizeof ev->name, "%s", e->d_name);
		snprintf(rel, sizeof rel, "events/%s", e->d_name);
		if (read_attr(base, rel, text, sizeof text) < 0 || gb_rapl_perf_config_parse(text, &ev->config) < 0)
			continue;
		snprintf(rel, sizeof rel, "events/%s.scale", e->d_name);
		if (read_attr(base, rel, scale, sizeof scale) < 0)
			continue;
		snprintf(rel, sizeof rel, "events/%s.unit", e->d_name);
		if (read_attr(base, rel, unit, sizeof unit) < 0)
			continue;
		if (gb_rapl_perf_scale_parse(scale, unit, &ev->uj_per_count) < 0)
			continue;
		s->nevents++;
	}
	closedir(d);
	if (!s->nevents)
		return gb_error_set(-ENODEV, "perf 'power' PMU lists no usable energy-* event in '%s'", dir);
	qsort(s->events, s->nevents, sizeof s->events[0], event_cmp);
	return 0;
}

static int package_of(const char *root, int cpu, int fallback)
{
	char rel[128], path[4300];
	uint64_t id;

	snprintf(rel, sizeof rel, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
	if (gb_sys_path(root, rel, path, sizeof path) < 0 || gb_sys_read_u64(path, &id) < 0 || id > 4096)
		return fallback;
	return (int)id;
}

static int permission_message(int err, const char *root, const char *event, int cpu)
{
	char path[4200], val[32] = "unknown";

	if (gb_sys_path(root, "/proc/sys/kernel/perf_event_paranoid", path, sizeof path) < 0 ||
	    gb_sys_read_text(path, val, sizeof val) < 0)
		snprintf(val, sizeof val, "unknown");
	return gb_error_set(err, "perf_event_open(power/%s/, cpu %d): permission denied "
			    "(kernel.perf_event_paranoid=%s; CPU-wide events need it <= 0 or CAP_PERFMON): "
			    "run as root, 'sysctl kernel.perf_event_paranoid=0', or "
			    "'setcap cap_perfmon+ep greenbench'", event, cpu, val);
}

static int read_count(int fd, uint64_t *count)
{
	ssize_t r = gb_sys.read(fd, count, sizeof *count);

	if (r != (ssize_t)sizeof *count) {
		int err = r < 0 ? errno : EIO;
		return gb_error_set(-err, "cannot read perf power counter: %s", strerror(err));
	}
	return 0;
}

static int open_events(const char *root, struct pr_state *s, const int *cpus, int ncpus)
{
	int first_pkg = -1, last_err = 0;

	for (int c = 0; c < ncpus; c++) {
		int pkg = package_of(root, cpus[c], c), pkg_dom = -1;

		for (size_t e = 0; e < s->nevents; e++) {
			const struct pr_event *ev = &s->events[e];
			struct perf_event_attr attr;
			struct gb_domain_info *in = &s->info[s->n];
			long fd;

			memset(&attr, 0, sizeof attr);
			attr.type = s->type;
			attr.size = sizeof attr;
			attr.config = ev->config;
			errno = 0;
			fd = gb_sys.perf_event_open(&attr, -1, cpus[c], -1, PERF_FLAG_FD_CLOEXEC);
			if (fd < 0) {
				int err = errno ? errno : EIO;
				size_t l = strlen(s->dropped);

				if (err == EACCES || err == EPERM)
					return permission_message(-err, root, ev->name, cpus[c]);
				/* One event the kernel refuses (a model without DRAM
				 * RAPL) should not cost the others. */
				last_err = gb_error_set(-err, "perf_event_open(power/%s/, cpu %d): %s", ev->name,
							cpus[c], strerror(err));
				snprintf(s->dropped + l, sizeof s->dropped - l, "%s%s on CPU %d (%s)", l ? ", " : "",
					 ev->name, cpus[c], strerror(err));
				continue;
			}
			memset(in, 0, sizeof *in);
			gb_rapl_domain_name(ev->kind, ev->kind == GB_DOMAIN_PSYS && ncpus == 1 ? -1 : pkg, -1,
					    in->name, sizeof in->name);
			snprintf(in->label, sizeof in->label, "RAPL %s (perf power/%s/ on CPU %d)",
				 gb_rapl_kind_word(ev->kind), ev->name, cpus[c]);
			in->kind = ev->kind;
			in->method = GB_METHOD_COUNTER;
			in->device_index = pkg;
			in->telemetry = GB_SAMPLE_ENERGY;
			in->parent = -1;
			if (ev->kind == GB_DOMAIN_CPU_PACKAGE) {
				pkg_dom = (int)s->n;
				if (first_pkg < 0)
					first_pkg = pkg_dom;
			}
			/* Events are sorted package first, so its index is known.
			 * Core and GPU (PP0, PP1) lie inside the package; DRAM does
			 * not; psys covers everything and is never summed. */
			if (ev->kind == GB_DOMAIN_CPU_CORE || ev->kind == GB_DOMAIN_CPU_UNCORE)
				in->parent = pkg_dom;
			else if (ev->kind == GB_DOMAIN_PSYS)
				in->parent = first_pkg;
			s->fd[s->n] = (int)fd;
			s->ev[s->n] = ev;
			s->n++;
		}
	}
	return s->n ? 0 : last_err;
}

/* Wait up to PR_PROBE_NS for every counter to move from its first value.
 * moved[i] tells which did; the last counts seed the accumulators. */
static int probe_counters(struct pr_state *s, int *moved)
{
	uint64_t first[PR_MAX_DOMAINS], now[PR_MAX_DOMAINS];
	uint64_t deadline = gb_now_ns() + PR_PROBE_NS;
	int ret;

	for (size_t i = 0; i < s->n; i++) {
		ret = read_count(s->fd[i], &first[i]);
		if (ret < 0)
			return ret;
		now[i] = first[i];
		moved[i] = 0;
	}
	for (;;) {
		size_t still = 0;

		for (size_t i = 0; i < s->n; i++) {
			if (moved[i])
				continue;
			ret = read_count(s->fd[i], &now[i]);
			if (ret < 0)
				return ret;
			moved[i] = now[i] != first[i];
			still += !moved[i];
		}
		if (!still || gb_now_ns() >= deadline)
			break;
		gb_sleep_until_ns(gb_now_ns() + 2 * GB_NS_PER_MS);
	}
	for (size_t i = 0; i < s->n; i++)
		gb_rapl_counter_init(&s->ctr[i], 0, now[i]);
	return 0;
}

static void drop_domain(struct pr_state *s, size_t i)
{
	size_t l = strlen(s->dropped);

	snprintf(s->dropped + l, sizeof s->dropped - l, "%s%s on %s (reads 0)", l ? ", " : "",
		 s->ev[i]->name, s->info[i].name);
	gb_sys.close(s->fd[i]);
	for (size_t j = 0; j < s->n; j++)
		if (s->info[j].parent > (int)i)
			s->info[j].parent--;
		else if (s->info[j].parent == (int)i)
			s->info[j].parent = -1;
	memmove(&s->info[i], &s->info[i + 1], (s->n - i - 1) * sizeof s->info[0]);
	memmove(&s->fd[i], &s->fd[i + 1], (s->n - i - 1) * sizeof s->fd[0]);
	memmove(&s->ev[i], &s->ev[i + 1], (s->n - i - 1) * sizeof s->ev[0]);
	memmove(&s->ctr[i], &s->ctr[i + 1], (s->n - i - 1) * sizeof s->ctr[0]);
	s->n--;
}

static int none_moved_message(const struct pr_state *s)
{
	char names[160] = "";
	size_t l = 0;

	for (size_t e = 0; e < s->nevents; e++)
		l += (size_t)snprintf(names + l, l < sizeof names ? sizeof names - l : 0, "%s%s",
				      e ? ", " : "", s->events[e].name);
	return gb_error_set(-ENODEV, "%s %s 0: no usable RAPL counter (virtual machine?)", names,
			    s->nevents == 1 ? "reads" : "read");
}

static void pr_close(void *state)
{
	struct pr_state *s = state;

	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		gb_sys.close(s->fd[i]);
	free(s);
}

static int pr_open(const struct gb_meter_config *cfg, void **state)
{
	const char *root = cfg && cfg->sysfs_root ? cfg->sysfs_root : gb_sys_root();
	struct pr_state *s = calloc(1, sizeof *s);
	int cpus[PR_MAX_CPUS], moved[PR_MAX_DOMAINS], ncpus, any = 0;
	char base[4096], path[4200];
	uint64_t type;
	int ret;

	if (!s)
		return gb_error_set(-ENOMEM, "out of memory");
	ret = gb_sys_path(root, "/sys/bus/event_source/devices/power", base, sizeof base);
	if (ret < 0)
		goto out;
	snprintf(path, sizeof path, "%s/type", base);
	ret = gb_sys_read_u64(path, &type);
	if (ret == -ENOENT)
		ret = gb_error_set(-ENODEV, "no perf 'power' PMU ('%s' missing): kernel without RAPL perf "
				   "support or CPU without RAPL", path);
	if (ret < 0)
		goto out;
	s->type = (unsigned)type;
	ret = read_attr(base, "cpumask", s->cpumask, sizeof s->cpumask);
	if (ret < 0)
		goto out;
	ncpus = gb_cpulist_parse(s->cpumask, cpus, PR_MAX_CPUS);
	if (ncpus <= 0) {
		ret = ncpus < 0 ? ncpus : gb_error_set(-ENODEV, "perf 'power' PMU has an empty cpumask");
		goto out;
	}
	ret = list_events(base, s);
	if (ret < 0)
		goto out;
	ret = open_events(root, s, cpus, ncpus);
	if (ret < 0)
		goto out;
	ret = probe_counters(s, moved);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++)
		any |= moved[i];
	if (!any) {
		ret = none_moved_message(s);
		goto out;
	}
	/* psys spans the whole platform and is never idle: still at 0 means
	 * a stub. Other still counters may be idle domains; they stay. */
	for (size_t i = s->n; i-- > 0;)
		if (!moved[i] && s->info[i].kind == GB_DOMAIN_PSYS)
			drop_domain(s, i);
	ret = 0;
out:
	if (ret < 0)
		pr_close(s);
	else
		*state = s;
	return ret;
}

static size_t pr_domain_count(void *state)
{
	return ((struct pr_state *)state)->n;
}

static void pr_domain_info(void *state, size_t i, struct gb_domain_info *out)
{
	*out = ((struct pr_state *)state)->info[i];
}

static int pr_read(void *state, uint64_t t_ns, struct gb_sample *out)
{
	struct pr_state *s = state;
	size_t ok = 0;
	int ret = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t count;
		int r;

		memset(&out[i], 0, sizeof out[i]);
		r = read_count(s->fd[i], &count);
		if (r < 0) {
			ret = r;
			continue;
		}
		gb_rapl_counter_update(&s->ctr[i], count);
		out[i].energy_uj = (uint64_t)((double)s->ctr[i].acc * s->ev[i]->uj_per_count + 0.5);
		out[i].valid = GB_SAMPLE_ENERGY;
		ok++;
	}
	return ok || s->n == 0 ? 0 : ret;
}

static void pr_describe(void *state, char *buf, size_t len)
{
	struct pr_state *s = state;
	size_t l;

	snprintf(buf, len, "PMU type %u, CPUs %s;", s->type, s->cpumask);
	for (size_t e = 0; e < s->nevents; e++) {
		l = strlen(buf);
		snprintf(buf + l, len - l, " %s %.4g uJ/count", s->events[e].name, s->events[e].uj_per_count);
	}
	l = strlen(buf);
	if (s->dropped[0])
		snprintf(buf + l, len - l, "; ignored %s", s->dropped);
}

const struct gb_source_ops gb_source_perf_rapl = {
	.name = "perf-rapl",
	.summary = "CPU RAPL energy through the perf 'power' PMU (perf_event_open)",
	.group = GB_GROUP_CPU_RAPL,
	.open = pr_open,
	.domain_count = pr_domain_count,
	.domain_info = pr_domain_info,
	.read = pr_read,
	.describe = pr_describe,
	.close = pr_close,
};
