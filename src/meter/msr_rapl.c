/*
 * CPU RAPL energy read straight from the MSRs through /dev/cpu/N/msr (the
 * msr module) or /dev/cpu/N/msr_safe (LLNL's msr-safe, with RAPL registers
 * in its allowlist). Needs CAP_SYS_RAWIO for msr.
 *
 * Intel: units 0x606, package 0x611, PP0 (core) 0x639, PP1 (uncore) 0x641,
 * DRAM 0x619, each package-wide, read on one CPU per package. AMD family
 * 17h+: units 0xC0010299, package 0xC001029B, and a per-core counter
 * 0xC001029A summed over one CPU per core. Counters are 32 bits wide and
 * wrap every few minutes under load; each is accumulated in 64 bits and the
 * meter must poll within max_interval_ns().
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

#define MSR_MAX_PKGS 16
#define MSR_MAX_CORES 512	/* per package */
#define MSR_MAX_DOMAINS (MSR_MAX_PKGS * 4)
#define MSR_MAX_FDS 1024
#define MSR_COUNTER_MOD (1ULL << 32)

struct msr_ctr {
	int fd;
	uint32_t reg;
	struct gb_rapl_counter c;
};

struct msr_dom {
	double unit_uj;
	size_t first, n;	/* range in ctr[] */
};

struct msr_pkg {
	int id;
	int cpu;		/* lowest CPU of the package */
	int ncores;
	int core_cpu[MSR_MAX_CORES];	/* one CPU per core (AMD core counter) */
	int core_id[MSR_MAX_CORES];
};

struct msr_state {
	char root[4096];
	struct gb_cpu_id cpu;
	size_t n;
	struct gb_domain_info info[MSR_MAX_DOMAINS];
	struct msr_dom dom[MSR_MAX_DOMAINS];
	struct msr_ctr *ctr;
	size_t nctr, cap;
	int fds[MSR_MAX_FDS];	/* every open msr file, to close */
	int fd_cpu[MSR_MAX_FDS];
	size_t nfds;
	uint64_t max_interval_ns;
	unsigned esu;
	int dram_fixed;
	char dev[16];		/* "msr" or "msr_safe" */
};

static int read_cpu_id(const char *root, struct gb_cpu_id *id)
{
	char path[4200], buf[8192];
	int ret = gb_sys_path(root, "/proc/cpuinfo", path, sizeof path);

	if (ret < 0)
		return ret;
	/* The first processor block (vendor, family, model) fits easily. */
	ret = gb_sys_read_text(path, buf, sizeof buf);
	if (ret < 0)
		return ret;
	return gb_rapl_parse_cpuinfo(buf, id);
}

static int read_topo(const char *root, int cpu, const char *what, int *val)
{
	char rel[128], path[4300];
	uint64_t v;

	snprintf(rel, sizeof rel, "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, what);
	if (gb_sys_path(root, rel, path, sizeof path) < 0 || gb_sys_read_u64(path, &v) < 0 || v > 1u << 20)
		return -1;
	*val = (int)v;
	return 0;
}

static int int_cmp(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

/* Packages, each with its lowest CPU and one CPU per core. */
static int list_packages(const char *root, struct msr_pkg *pkgs, int *npkgs)
{
	char path[4200];
	int cpus[4096], ncpus = 0, ret;
	struct dirent *e;
	DIR *d;

	ret = gb_sys_path(root, "/sys/devices/system/cpu", path, sizeof path);
	if (ret < 0)
		return ret;
	d = opendir(path);
	if (!d)
		return gb_error_set(-ENODEV, "cannot list '%s': %s", path, strerror(errno));
	while ((e = readdir(d)) && ncpus < 4096) {
		char *end;
		long n;

		if (strncmp(e->d_name, "cpu", 3) || e->d_name[3] < '0' || e->d_name[3] > '9')
			continue;
		n = strtol(e->d_name + 3, &end, 10);
		if (!*end)
			cpus[ncpus++] = (int)n;
	}
	closedir(d);
	qsort(cpus, (size_t)ncpus, sizeof cpus[0], int_cmp);
	*npkgs = 0;
	for (int i = 0; i < ncpus; i++) {
		int pkg, core, k, c;

		if (read_topo(root, cpus[i], "physical_package_id", &pkg) < 0)
			continue; /* offline CPU: no topology */
		if (read_topo(root, cpus[i], "core_id", &core) < 0)
			core = cpus[i];
		for (k = 0; k < *npkgs && pkgs[k].id != pkg; k++)
			;
		if (k == *npkgs) {
			if (k == MSR_MAX_PKGS)
				continue;
			memset(&pkgs[k], 0, sizeof pkgs[k]);
			pkgs[k].id = pkg;
			pkgs[k].cpu = cpus[i];
			(*npkgs)++;
		}
		for (c = 0; c < pkgs[k].ncores && pkgs[k].core_id[c] != core; c++)
			;
		if (c == pkgs[k].ncores && c < MSR_MAX_CORES) {
			pkgs[k].core_id[c] = core;
			pkgs[k].core_cpu[c] = cpus[i];
			pkgs[k].ncores++;
		}
	}
	if (*npkgs == 0)
		return gb_error_set(-ENODEV, "no CPU topology under '%s'", path);
	return 0;
}

/* Try one device file; fd or -errno. */
static int try_open(const char *root, int cpu, const char *dev, char *path, size_t len)
{
	char rel[64];
	int fd;

	snprintf(rel, sizeof rel, "/dev/cpu/%d/%s", cpu, dev);
	if (gb_sys_path(root, rel, path, len) < 0)
		return -ENAMETOOLONG;
	fd = gb_sys.open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/* The msr (else msr_safe) file of a CPU, opened once and cached. */
static int open_msr(struct msr_state *s, int cpu, int *fd_out)
{
	char path[4200], safe_path[4200];
	int fd, err, err_safe;

	for (size_t i = 0; i < s->nfds; i++) {
		if (s->fd_cpu[i] == cpu) {
			*fd_out = s->fds[i];
			return 0;
		}
	}
	fd = err = try_open(s->root, cpu, "msr", path, sizeof path);
	if (fd >= 0) {
		snprintf(s->dev, sizeof s->dev, "msr");
	} else {
		/* msr_safe is how unprivileged users get at RAPL; try it even
		 * when msr said permission denied. */
		fd = err_safe = try_open(s->root, cpu, "msr_safe", safe_path, sizeof safe_path);
		if (fd >= 0)
			snprintf(s->dev, sizeof s->dev, "msr_safe");
	}
	if (fd < 0) {
		if (err == -EACCES || err == -EPERM || err_safe == -EACCES || err_safe == -EPERM)
			return gb_error_set(-EACCES, "cannot open '%s': permission denied (reading MSRs needs "
					    "CAP_SYS_RAWIO): run as root or 'setcap cap_sys_rawio+ep greenbench', or "
					    "use msr_safe with the RAPL registers in its allowlist", path);
		if (err == -ENOENT || err == -ENXIO || err == -ENODEV)
			return gb_error_set(-ENODEV, "no '%s' (the msr module is not loaded: 'modprobe msr')", path);
		return gb_error_set(err, "cannot open '%s': %s", path, strerror(-err));
	}
	if (s->nfds == MSR_MAX_FDS) {
		gb_sys.close(fd);
		return gb_error_set(-EMFILE, "more than %d MSR files", MSR_MAX_FDS);
	}
	s->fds[s->nfds] = fd;
	s->fd_cpu[s->nfds++] = cpu;
	*fd_out = fd;
	return 0;
}

static int read_msr(int fd, uint32_t reg, uint64_t *val)
{
	ssize_t r = gb_sys.pread(fd, val, sizeof *val, (off_t)reg);

	if (r != (ssize_t)sizeof *val) {
		int err = r < 0 ? errno : EIO;
		return gb_error_set(-err, "cannot read MSR 0x%x: %s", reg, strerror(err));
	}
	return 0;
}

static int add_counter(struct msr_state *s, int fd, uint32_t reg, uint64_t raw)
{
	if (s->nctr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct msr_ctr *n = realloc(s->ctr, cap * sizeof *n);
		if (!n)
			return gb_error_set(-ENOMEM, "out of memory");
		s->ctr = n;
		s->cap = cap;
	}
	s->ctr[s->nctr].fd = fd;
	s->ctr[s->nctr].reg = reg;
	gb_rapl_counter_init(&s->ctr[s->nctr].c, MSR_COUNTER_MOD, raw & 0xffffffffu);
	s->nctr++;
	return 0;
}

/* Add one domain reading `reg` on each of cpus[0..ncpus-1] (summed). A
 * register that cannot be read or reads 0 means the domain is absent;
 * returns 1 if added, 0 if absent, <0 on a fatal error. */
static int add_domain(struct msr_state *s, const struct msr_pkg *p, enum gb_domain_kind kind, uint32_t reg,
		      double unit_uj, const int *cpus, int ncpus, int parent)
{
	struct gb_domain_info *in = &s->info[s->n];
	size_t first = s->nctr;
	uint64_t any = 0;
	int ret;

	if (s->n == MSR_MAX_DOMAINS)
		return 0;
	for (int c = 0; c < ncpus; c++) {
		uint64_t raw;
		int fd;

		ret = open_msr(s, cpus[c], &fd);
		if (ret < 0)
			return ret;
		if (read_msr(fd, reg, &raw) < 0) {
			s->nctr = first;
			return 0;
		}
		any |= raw & 0xffffffffu;
		ret = add_counter(s, fd, reg, raw);
		if (ret < 0)
			return ret;
	}
	if (!any) {
		s->nctr = first; /* not counting: e.g. PP1 on a server, DRAM on a client */
		return 0;
	}
	memset(in, 0, sizeof *in);
	gb_rapl_domain_name(kind, p->id, -1, in->name, sizeof in->name);
	snprintf(in->label, sizeof in->label, "RAPL %s (MSR 0x%x on CPU %d%s)", gb_rapl_kind_word(kind), reg,
		 cpus[0], ncpus > 1 ? " and one CPU per core" : "");
	in->kind = kind;
	in->method = GB_METHOD_COUNTER;
	in->parent = parent;
	in->device_index = p->id;
	in->telemetry = GB_SAMPLE_ENERGY;
	s->dom[s->n].unit_uj = unit_uj;
	s->dom[s->n].first = first;
	s->dom[s->n].n = s->nctr - first;
	s->n++;
	return 1;
}

static int add_package(struct msr_state *s, const struct msr_pkg *p)
{
	int amd = s->cpu.vendor == GB_VENDOR_AMD;
	uint32_t unit_reg = amd ? GB_MSR_AMD_RAPL_POWER_UNIT : GB_MSR_RAPL_POWER_UNIT;
	uint32_t pkg_reg = amd ? GB_MSR_AMD_PKG_ENERGY_STATUS : GB_MSR_PKG_ENERGY_STATUS;
	uint64_t units;
	double unit_uj;
	int fd, ret, pkg_dom = (int)s->n;

	ret = open_msr(s, p->cpu, &fd);
	if (ret < 0)
		return ret;
	if (read_msr(fd, unit_reg, &units) < 0)
		return gb_error_set(-ENODEV, "MSR 0x%x (RAPL units) unreadable on CPU %d: no RAPL (virtual machine?)",
				    unit_reg, p->cpu);
	s->esu = gb_rapl_esu(units);
	unit_uj = gb_rapl_esu_to_uj(s->esu);
	ret = add_domain(s, p, GB_DOMAIN_CPU_PACKAGE, pkg_reg, unit_uj, &p->cpu, 1, -1);
	if (ret == 0)
		return gb_error_set(-ENODEV, "MSR 0x%x (package energy) unreadable or 0 on CPU %d: no usable RAPL "
				    "counter (virtual machine?)", pkg_reg, p->cpu);
	if (ret < 0)
		return ret;
	if (amd)
		return add_domain(s, p, GB_DOMAIN_CPU_CORE, GB_MSR_AMD_CORE_ENERGY_STATUS, unit_uj, p->core_cpu,
				  p->ncores, pkg_dom);
	/* PP0 and PP1 are inside the package; DRAM is not. */
	ret = add_domain(s, p, GB_DOMAIN_CPU_CORE, GB_MSR_PP0_ENERGY_STATUS, unit_uj, &p->cpu, 1, pkg_dom);
	if (ret >= 0)
		ret = add_domain(s, p, GB_DOMAIN_CPU_UNCORE, GB_MSR_PP1_ENERGY_STATUS, unit_uj, &p->cpu, 1, pkg_dom);
	if (ret >= 0)
		ret = add_domain(s, p, GB_DOMAIN_DRAM, GB_MSR_DRAM_ENERGY_STATUS,
				 s->dram_fixed ? GB_RAPL_DRAM_FIXED_UJ : unit_uj, &p->cpu, 1, -1);
	return ret;
}

static void msr_close(void *state)
{
	struct msr_state *s = state;

	if (!s)
		return;
	for (size_t i = 0; i < s->nfds; i++)
		gb_sys.close(s->fds[i]);
	free(s->ctr);
	free(s);
}

static int msr_open(const struct gb_meter_config *cfg, void **state)
{
	struct msr_state *s = calloc(1, sizeof *s);
	struct msr_pkg *pkgs = calloc(MSR_MAX_PKGS, sizeof *pkgs);
	int npkgs = 0, ret;

	if (!s || !pkgs) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	snprintf(s->root, sizeof s->root, "%s", cfg && cfg->sysfs_root ? cfg->sysfs_root : gb_sys_root());
	ret = read_cpu_id(s->root, &s->cpu);
	if (ret < 0)
		goto out;
	if (s->cpu.vendor == GB_VENDOR_OTHER) {
		ret = gb_error_set(-ENODEV, "CPU vendor '%s' has no known RAPL MSRs", s->cpu.vendor_id);
		goto out;
	}
	s->dram_fixed = s->cpu.vendor == GB_VENDOR_INTEL && gb_rapl_intel_dram_fixed_unit(s->cpu.family, s->cpu.model);
	ret = list_packages(s->root, pkgs, &npkgs);
	if (ret < 0)
		goto out;
	for (int i = 0; i < npkgs; i++) {
		ret = add_package(s, &pkgs[i]);
		if (ret < 0)
			goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		double range_uj = (double)MSR_COUNTER_MOD * s->dom[i].unit_uj;
		uint64_t lim = gb_rapl_max_interval_ns(range_uj, GB_RAPL_MAX_POWER_W);
		if (lim && (!s->max_interval_ns || lim < s->max_interval_ns))
			s->max_interval_ns = lim;
	}
	ret = 0;
out:
	free(pkgs);
	if (ret < 0)
		msr_close(s);
	else
		*state = s;
	return ret;
}

static size_t msr_domain_count(void *state)
{
	return ((struct msr_state *)state)->n;
}

static void msr_domain_info(void *state, size_t i, struct gb_domain_info *out)
{
	*out = ((struct msr_state *)state)->info[i];
}

static int msr_read(void *state, uint64_t t_ns, struct gb_sample *out)
{
	struct msr_state *s = state;
	size_t ok = 0;
	int ret = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct msr_dom *d = &s->dom[i];
		uint64_t counts = 0;
		int bad = 0;

		memset(&out[i], 0, sizeof out[i]);
		for (size_t k = d->first; k < d->first + d->n; k++) {
			struct msr_ctr *c = &s->ctr[k];
			uint64_t raw;
			int r = read_msr(c->fd, c->reg, &raw);

			if (r < 0) {
				ret = r;
				bad = 1;
				continue; /* keep the others' accumulators current */
			}
			counts += gb_rapl_counter_update(&c->c, raw & 0xffffffffu);
		}
		if (bad)
			continue;
		out[i].energy_uj = (uint64_t)((double)counts * d->unit_uj + 0.5);
		out[i].valid = GB_SAMPLE_ENERGY;
		ok++;
	}
	return ok || s->n == 0 ? 0 : ret;
}

static void msr_describe(void *state, char *buf, size_t len)
{
	struct msr_state *s = state;

	snprintf(buf, len, "%s family %u model 0x%x via /dev/cpu/*/%s; energy unit 1/2^%u J (%.2f uJ)%s",
		 s->cpu.vendor_id, s->cpu.family, s->cpu.model, s->dev, s->esu, gb_rapl_esu_to_uj(s->esu),
		 s->dram_fixed ? ", DRAM 15.3 uJ" : "");
}

static uint64_t msr_max_interval_ns(void *state)
{
	return ((struct msr_state *)state)->max_interval_ns;
}

const struct gb_source_ops gb_source_msr_rapl = {
	.name = "msr-rapl",
	.summary = "CPU RAPL energy read from the MSRs (/dev/cpu/N/msr or msr_safe)",
	.group = GB_GROUP_CPU_RAPL,
	.open = msr_open,
	.domain_count = msr_domain_count,
	.domain_info = msr_domain_info,
	.read = msr_read,
	.describe = msr_describe,
	.max_interval_ns = msr_max_interval_ns,
	.close = msr_close,
};
