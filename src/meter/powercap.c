/*
 * CPU RAPL energy through the powercap sysfs class
 * (/sys/class/powercap/intel-rapl*, also used for AMD by intel_rapl_msr).
 *
 * Every package/die zone and its subzones become domains; duplicates
 * (intel-rapl-mmio repeating intel-rapl, AMD dies mirroring one package
 * counter) are dropped by gb_rapl_zones_dedupe(). energy_uj wraps at
 * max_energy_range_uj; each zone is accumulated in 64 bits and the meter
 * must poll within max_interval_ns(). The energy_uj files stay open and
 * are re-read with pread at offset 0 (sysfs regenerates the text).
 */
#include "greenbench/meter.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"
#include "meter/rapl_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_ZONES 128

struct pc_dir {
	char dir[64];
	char type[32];
	int depth, a, b;
};

struct pc_state {
	size_t n;
	struct gb_domain_info info[PC_MAX_ZONES];
	int fd[PC_MAX_ZONES];
	char dir[PC_MAX_ZONES][64];
	uint64_t range_uj[PC_MAX_ZONES];
	struct gb_rapl_counter ctr[PC_MAX_ZONES];
	uint64_t max_interval_ns;
	char dropped[512];	/* zones left out and why, for describe() */
};

static int dir_cmp(const void *x, const void *y)
{
	const struct pc_dir *p = x, *q = y;
	int c = strcmp(p->type, q->type);

	/* intel-rapl before intel-rapl-mmio, then numerically, so a top
	 * zone precedes its subzones. */
	if (c)
		return c;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

static int list_zone_dirs(const char *base, struct pc_dir *dirs, size_t *n)
{
	DIR *d = opendir(base);
	struct dirent *e;

	*n = 0;
	if (!d) {
		int err = errno;
		if (err == ENOENT)
			return gb_error_set(-ENODEV, "no '%s' (no powercap RAPL driver: try 'modprobe intel_rapl_msr')", base);
		return gb_error_set(-err, "cannot list '%s': %s", base, strerror(err));
	}
	while ((e = readdir(d)) && *n < PC_MAX_ZONES) {
		struct pc_dir *z = &dirs[*n];
		int depth = gb_rapl_zone_dir_parse(e->d_name, z->type, sizeof z->type, &z->a, &z->b);

		if (depth < 0 || strlen(e->d_name) >= sizeof z->dir)
			continue;
		z->depth = depth;
		snprintf(z->dir, sizeof z->dir, "%s", e->d_name);
		(*n)++;
	}
	closedir(d);
	qsort(dirs, *n, sizeof *dirs, dir_cmp);
	if (*n == 0)
		return gb_error_set(-ENODEV, "no RAPL zones under '%s' (no powercap RAPL driver: try 'modprobe intel_rapl_msr')", base);
	return 0;
}

/* Re-read an open energy_uj. -errno without a message: callers say which. */
static int read_energy(int fd, uint64_t *uj)
{
	char buf[32], *end;
	ssize_t r = gb_sys.pread(fd, buf, sizeof buf - 1, 0);

	if (r < 0)
		return -errno;
	buf[r] = '\0';
	*uj = strtoull(buf, &end, 10);
	if (end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

static int read_energy_error(int err, const char *path)
{
	if (err == -EINVAL)
		return gb_error_set(err, "'%s' does not hold a number", path);
	return gb_error_set(err, "cannot read '%s': %s", path, strerror(-err));
}

static int eacces_message(int err, const char *path)
{
	return gb_error_set(err, "cannot read '%s': permission denied (energy_uj is readable by root only "
			    "since Linux 5.10): run as root, or 'chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj' "
			    "(lost at reboot; a udev rule keeps it)", path);
}

/* Read a zone's name and range and open its counter. 1: zone used, 0:
 * skipped (not a RAPL zone we know), <0: fatal error. */
static int zone_probe(const char *base, const struct pc_dir *d, struct gb_rapl_zone *z, int *fd,
		      char *energy_path, size_t plen)
{
	char path[4200], name[64];
	int pkg, die, ret;

	snprintf(path, sizeof path, "%s/%s/name", base, d->dir);
	if (gb_sys_read_text(path, name, sizeof name) < 0)
		return 0;
	memset(z, 0, sizeof *z);
	if (gb_rapl_zone_name_parse(name, &z->kind, &pkg, &die) < 0)
		return 0;
	snprintf(z->type, sizeof z->type, "%s", d->type);
	z->depth = d->depth;
	z->top = -1;
	if (d->depth == 1 && pkg < 0 && z->kind == GB_DOMAIN_CPU_PACKAGE)
		pkg = d->a;
	/* Subzone names ("dram") carry no number; the caller names them from
	 * their top zone. */
	ret = gb_rapl_domain_name(z->kind, pkg, die, z->name, sizeof z->name);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof path, "%s/%s/max_energy_range_uj", base, d->dir);
	if (gb_sys_read_u64(path, &z->range_uj) < 0)
		z->range_uj = 0;
	snprintf(energy_path, plen, "%s/%s/energy_uj", base, d->dir);
	*fd = gb_sys.open(energy_path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		int err = errno;
		if (err == EACCES || err == EPERM)
			return eacces_message(-err, energy_path);
		return 0; /* a zone without an energy counter (power limits only) */
	}
	return 1;
}

/* Parse the package/die numbers back out of a top zone's domain name. */
static void top_numbers(const struct gb_rapl_zone *top, int *pkg, int *die)
{
	enum gb_domain_kind k;

	if (gb_rapl_zone_name_parse(top->name, &k, pkg, die) < 0) {
		*pkg = -1;
		*die = -1;
	}
}

/* When every other die of a package only mirrored the kept one, the kept
 * zone measures the whole package: name it "package-N" (and its subzones
 * "core-N"), as on single-die parts. */
static void name_mirrored_packages(struct gb_rapl_zone *z, size_t nz)
{
	for (size_t i = 0; i < nz; i++) {
		int pkg, die, p2, d2, mirrored = 0, real_die = 0;

		if (z[i].depth != 1 || z[i].dup_of >= 0 || z[i].kind != GB_DOMAIN_CPU_PACKAGE)
			continue;
		top_numbers(&z[i], &pkg, &die);
		if (die < 0)
			continue;
		for (size_t j = 0; j < nz; j++) {
			if (j == i || z[j].depth != 1 || z[j].kind != GB_DOMAIN_CPU_PACKAGE)
				continue;
			top_numbers(&z[j], &p2, &d2);
			if (p2 != pkg || d2 < 0 || d2 == die)
				continue;
			if (z[j].dup_of == (int)i)
				mirrored = 1;
			else
				real_die = 1;
		}
		if (!mirrored || real_die)
			continue;
		for (size_t j = 0; j < nz; j++)
			if (j == i || (z[j].depth == 2 && z[j].top == (int)i))
				gb_rapl_domain_name(z[j].kind, pkg, -1, z[j].name, sizeof z[j].name);
	}
}

static int name_taken(const struct pc_state *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->info[i].name, name))
			return 1;
	return 0;
}

static void add_dropped(struct pc_state *s, const char *dir, const char *why)
{
	size_t l = strlen(s->dropped);

	snprintf(s->dropped + l, sizeof s->dropped - l, "%s%s (%s)", l ? ", " : "", dir, why);
}

static int zone_counting(const struct gb_rapl_zone *z)
{
	for (int r = 0; r < GB_RAPL_ROUNDS; r++)
		if (z->energy_uj[r])
			return 1;
	return 0;
}

static void build_domains(struct pc_state *s, struct gb_rapl_zone *z, const struct pc_dir *dirs,
			  int *fds, size_t nz)
{
	int dom_of[PC_MAX_ZONES];
	int first_pkg = -1;

	for (size_t i = 0; i < nz; i++) {
		struct gb_domain_info *in = &s->info[s->n];
		char why[96];

		dom_of[i] = -1;
		if (!zone_counting(&z[i])) {
			/* A counter stuck at exactly 0 is not counting (a VM's stub). */
			add_dropped(s, dirs[i].dir, "reads 0");
			continue;
		}
		if (z[i].dup_of >= 0) {
			snprintf(why, sizeof why, "same counter as %s", dirs[z[i].dup_of].dir);
			add_dropped(s, dirs[i].dir, why);
			continue;
		}
		memset(in, 0, sizeof *in);
		snprintf(in->name, sizeof in->name, "%s", z[i].name);
		if (name_taken(s, in->name))
			snprintf(in->name, sizeof in->name, "%s-%s", z[i].name, dirs[i].dir);
		snprintf(in->label, sizeof in->label, "RAPL %s (powercap %s)", gb_rapl_kind_word(z[i].kind), dirs[i].dir);
		in->kind = z[i].kind;
		in->method = GB_METHOD_COUNTER;
		in->parent = -1;
		in->telemetry = GB_SAMPLE_ENERGY;
		top_numbers(&z[i], &in->device_index, &(int){ 0 });
		/* Core and uncore (PP0, PP1) are parts of the package. DRAM is
		 * not (Intel SDM: the PKG domain excludes DRAM), so it keeps no
		 * parent and adds into totals. */
		if ((z[i].kind == GB_DOMAIN_CPU_CORE || z[i].kind == GB_DOMAIN_CPU_UNCORE) &&
		    z[i].top >= 0 && dom_of[z[i].top] >= 0 && z[z[i].top].kind == GB_DOMAIN_CPU_PACKAGE)
			in->parent = dom_of[z[i].top];
		if (z[i].kind == GB_DOMAIN_CPU_PACKAGE && first_pkg < 0)
			first_pkg = (int)s->n;
		s->fd[s->n] = fds[i];
		fds[i] = -1;
		snprintf(s->dir[s->n], sizeof s->dir[s->n], "%s", dirs[i].dir);
		s->range_uj[s->n] = z[i].range_uj;
		gb_rapl_counter_init(&s->ctr[s->n], z[i].range_uj ? z[i].range_uj + 1 : 0,
				     z[i].energy_uj[GB_RAPL_ROUNDS - 1]);
		dom_of[i] = (int)s->n++;
	}
	/* psys covers the whole SoC/platform, package included: shown, never
	 * summed. The parent link to the first package keeps it out of totals. */
	for (size_t i = 0; i < s->n; i++)
		if (s->info[i].kind == GB_DOMAIN_PSYS)
			s->info[i].parent = first_pkg;
}

static void pc_close(void *state)
{
	struct pc_state *s = state;

	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->fd[i] >= 0)
			gb_sys.close(s->fd[i]);
	free(s);
}

static int pc_open(const struct gb_meter_config *cfg, void **state)
{
	const char *root = cfg && cfg->sysfs_root ? cfg->sysfs_root : gb_sys_root();
	struct pc_dir *dirs = calloc(PC_MAX_ZONES, sizeof *dirs);
	struct gb_rapl_zone *z = calloc(PC_MAX_ZONES, sizeof *z);
	struct pc_state *s = calloc(1, sizeof *s);
	char base[4096], (*paths)[4200] = calloc(PC_MAX_ZONES, sizeof *paths);
	int fds[PC_MAX_ZONES];
	size_t ndirs = 0, nz = 0;
	int ret;

	for (size_t i = 0; i < PC_MAX_ZONES; i++)
		fds[i] = -1;
	if (!dirs || !z || !s || !paths) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	ret = gb_sys_path(root, "/sys/class/powercap", base, sizeof base);
	if (ret < 0)
		goto out;
	ret = list_zone_dirs(base, dirs, &ndirs);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < ndirs; i++) {
		ret = zone_probe(base, &dirs[i], &z[nz], &fds[nz], paths[nz], sizeof paths[nz]);
		if (ret < 0)
			goto out;
		if (ret == 0)
			continue;
		dirs[nz] = dirs[i];
		nz++;
	}
	/* Subzones: find their top zone and take its package/die numbers. */
	for (size_t i = 0; i < nz; i++) {
		int pkg = dirs[i].a, die = -1;

		if (z[i].depth != 2)
			continue;
		for (size_t j = 0; j < nz; j++)
			if (z[j].depth == 1 && dirs[j].a == dirs[i].a && !strcmp(dirs[j].type, dirs[i].type))
				z[i].top = (int)j;
		if (z[i].top >= 0)
			top_numbers(&z[z[i].top], &pkg, &die);
		ret = gb_rapl_domain_name(z[i].kind, pkg < 0 ? dirs[i].a : pkg, die, z[i].name, sizeof z[i].name);
		if (ret < 0)
			goto out;
	}
	/* Rounds over all zones in turn: mirrors agree within a round even if
	 * the hardware updated between rounds. */
	for (int r = 0; r < GB_RAPL_ROUNDS; r++) {
		for (size_t i = 0; i < nz; i++) {
			ret = read_energy(fds[i], &z[i].energy_uj[r]);
			if (ret == -EACCES || ret == -EPERM)
				ret = eacces_message(ret, paths[i]);
			else if (ret < 0)
				ret = read_energy_error(ret, paths[i]);
			if (ret < 0)
				goto out;
		}
	}
	gb_rapl_zones_dedupe(z, nz);
	name_mirrored_packages(z, nz);
	build_domains(s, z, dirs, fds, nz);
	if (s->n == 0) {
		ret = gb_error_set(-ENODEV, "RAPL zones under '%s' all read 0: no usable RAPL counter (virtual machine?)", base);
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		uint64_t lim = gb_rapl_max_interval_ns((double)s->range_uj[i], GB_RAPL_MAX_POWER_W);
		if (lim && (!s->max_interval_ns || lim < s->max_interval_ns))
			s->max_interval_ns = lim;
	}
	ret = 0;
out:
	for (size_t i = 0; i < PC_MAX_ZONES; i++)
		if (fds[i] >= 0)
			gb_sys.close(fds[i]);
	free(dirs);
	free(z);
	free(paths);
	if (ret < 0)
		pc_close(s);
	else
		*state = s;
	return ret;
}

static size_t pc_domain_count(void *state)
{
	return ((struct pc_state *)state)->n;
}

static void pc_domain_info(void *state, size_t i, struct gb_domain_info *out)
{
	*out = ((struct pc_state *)state)->info[i];
}

static int pc_read(void *state, uint64_t t_ns, struct gb_sample *out)
{
	struct pc_state *s = state;
	int ret = 0;
	size_t ok = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t uj;
		int r;

		memset(&out[i], 0, sizeof out[i]);
		r = read_energy(s->fd[i], &uj);
		if (r < 0) {
			char what[96];

			snprintf(what, sizeof what, "%s/energy_uj", s->dir[i]);
			ret = read_energy_error(r, what);
			continue; /* this domain's bit stays clear for this sample */
		}
		out[i].energy_uj = gb_rapl_counter_update(&s->ctr[i], uj);
		out[i].valid = GB_SAMPLE_ENERGY;
		ok++;
	}
	return ok || s->n == 0 ? 0 : ret;
}

static void pc_describe(void *state, char *buf, size_t len)
{
	struct pc_state *s = state;
	uint64_t min_range = 0;
	size_t l = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && l < len; i++) {
		int n = snprintf(buf + l, len - l, "%s%s=%s", i ? ", " : "", s->info[i].name, s->dir[i]);
		if (n < 0)
			return;
		l += (size_t)n;
		if (s->range_uj[i] && (!min_range || s->range_uj[i] < min_range))
			min_range = s->range_uj[i];
	}
	if (min_range && l < len)
		l += (size_t)snprintf(buf + l, len - l, "; wraps at %.0f J", (double)min_range / 1e6);
	if (s->dropped[0] && l < len)
		snprintf(buf + l, len - l, "; ignored %s", s->dropped);
}

static uint64_t pc_max_interval_ns(void *state)
{
	return ((struct pc_state *)state)->max_interval_ns;
}

const struct gb_source_ops gb_source_powercap = {
	.name = "powercap",
	.summary = "CPU RAPL energy counters through /sys/class/powercap (intel-rapl, also AMD)",
	.group = GB_GROUP_CPU_RAPL,
	.open = pc_open,
	.domain_count = pc_domain_count,
	.domain_info = pc_domain_info,
	.read = pc_read,
	.describe = pc_describe,
	.max_interval_ns = pc_max_interval_ns,
	.close = pc_close,
};
