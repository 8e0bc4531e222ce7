/* The MSR RAPL source over fake /dev/cpu/N/msr files: sparse regular files
 * where pread at a register's offset returns its 8 bytes, as the msr
 * driver does. */
#include "lib/gbtest.h"
#include "lib/rapl_fixture.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/sys.h"
#include "meter/rapl_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct gb_source_ops gb_source_msr_rapl;

#define UNIT_ESU14 0x000A0E03ULL	/* 61.03515625 uJ */
#define UNIT_ESU16 0x000A1003ULL	/* 15.2587890625 uJ */

static int setup(void **state)
{
	return gbt_rapl_setup(state, &gb_source_msr_rapl);
}

static int teardown(void **state)
{
	return gbt_rapl_teardown(state);
}

static void cpuinfo(struct gbt_rapl *f, const char *vendor, unsigned family, unsigned model)
{
	gbt_write(f->root, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
		  "model name\t: Test CPU\n\n", vendor, family, model);
}

static void cpu(struct gbt_rapl *f, int n, int pkg, int core)
{
	char rel[128];

	gbt_rapl_cpu_package(f, n, pkg);
	snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology/core_id", n);
	gbt_write(f->root, rel, "%d\n", core);
}

/* Write a 64-bit register into <root>/dev/cpu/<n>/<dev> at offset reg. */
static void msr_dev(struct gbt_rapl *f, int n, const char *dev, uint32_t reg, uint64_t val)
{
	char rel[128], path[4300];
	int fd;

	snprintf(rel, sizeof rel, "dev/cpu/%d/%s", n, dev);
	snprintf(path, sizeof path, "%s/%s", f->root, rel);
	if (access(path, F_OK))
		gbt_write(f->root, rel, "%s", "");
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &val, sizeof val, (off_t)reg), (ssize_t)sizeof val);
	close(fd);
}

static void msr(struct gbt_rapl *f, int n, uint32_t reg, uint64_t val)
{
	msr_dev(f, n, "msr", reg, val);
}

static void test_intel_client(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[4];
	int pkg, core;

	cpuinfo(f, "GenuineIntel", 6, 0x8C);	/* Tiger Lake: DRAM not fixed */
	cpu(f, 0, 0, 0);
	cpu(f, 1, 0, 1);
	msr(f, 0, GB_MSR_RAPL_POWER_UNIT, UNIT_ESU14);
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 1000);
	msr(f, 0, GB_MSR_PP0_ENERGY_STATUS, 500);
	/* PP1 reads 0 (not counting) and DRAM is absent: 0x619 < 0x641 so
	 * the sparse file reads zeros there too. */
	msr(f, 0, GB_MSR_PP1_ENERGY_STATUS, 0);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_msr_rapl.domain_count(f->st), 2);
	pkg = gbt_rapl_find(f, "package-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_CPU_PACKAGE);
	assert_int_equal(di.method, GB_METHOD_COUNTER);
	assert_int_equal(di.parent, -1);
	core = gbt_rapl_find(f, "core-0", &di);
	assert_int_equal(di.parent, pkg);
	assert_int_equal(gbt_rapl_find(f, "uncore-0", &di), -1);
	assert_int_equal(gbt_rapl_find(f, "dram-0", &di), -1);

	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 1000 + 16384);	/* 16384 x 61.03515625 uJ = 1 J */
	msr(f, 0, GB_MSR_PP0_ENERGY_STATUS, 500 + 100);
	assert_int_equal(gb_source_msr_rapl.read(f->st, 1, s), 0);
	assert_int_equal(s[pkg].valid, GB_SAMPLE_ENERGY);
	assert_int_equal(s[pkg].energy_uj, 1000000);
	assert_int_equal(s[core].energy_uj, 6104);	/* 6103.5 rounded */
	/* 2^32 x 61 uJ = 262 kJ at 1 kW, halved: 131 s. */
	assert_int_equal(gb_source_msr_rapl.max_interval_ns(f->st), 131072000000000ULL / 1000);
}

static void test_32bit_wrap(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_sample s[4];

	cpuinfo(f, "GenuineIntel", 6, 0x8C);
	cpu(f, 0, 0, 0);
	msr(f, 0, GB_MSR_RAPL_POWER_UNIT, UNIT_ESU14);
	/* Upper 32 bits are reserved and must be ignored. */
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 0xABCD0000FFFFC000ULL);
	gbt_rapl_open_ok(f);
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 0xABCD000000000000ULL);	/* wrapped: 0x4000 counts */
	assert_int_equal(gb_source_msr_rapl.read(f->st, 1, s), 0);
	assert_int_equal(s[0].energy_uj, 1000000);
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 0x4000);
	assert_int_equal(gb_source_msr_rapl.read(f->st, 2, s), 0);
	assert_int_equal(s[0].energy_uj, 2000000);
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 0xFFFFFFFFULL);
	assert_int_equal(gb_source_msr_rapl.read(f->st, 3, s), 0);
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 0x3FFF);	/* second wrap: 0x4000 counts */
	assert_int_equal(gb_source_msr_rapl.read(f->st, 4, s), 0);
	/* 0x4000 + 0x4000 + (0xFFFFFFFF - 0x4000) + 0x4000 counts */
	assert_int_equal(s[0].energy_uj, (uint64_t)((0x4000 + 0xFFFFFFFFULL + 0x4000) * 61.03515625 + 0.5));
}

static void test_intel_server_dram_unit(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[8];
	int p0, d0, p1, d1;
	char desc[256];

	cpuinfo(f, "GenuineIntel", 6, 0x55);	/* Skylake-X: DRAM at 15.3 uJ */
	cpu(f, 0, 0, 0);
	cpu(f, 1, 1, 0);	/* second socket */
	cpu(f, 2, 0, 1);
	for (int c = 0; c < 2; c++) {
		msr(f, c, GB_MSR_RAPL_POWER_UNIT, UNIT_ESU14);
		msr(f, c, GB_MSR_PKG_ENERGY_STATUS, 100 + (uint64_t)c);
		msr(f, c, GB_MSR_DRAM_ENERGY_STATUS, 200 + (uint64_t)c);
		msr(f, c, GB_MSR_PP1_ENERGY_STATUS, 0);
	}
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_msr_rapl.domain_count(f->st), 4);
	p0 = gbt_rapl_find(f, "package-0", &di);
	assert_non_null(strstr(di.label, "CPU 0"));
	d0 = gbt_rapl_find(f, "dram-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_DRAM);
	assert_int_equal(di.parent, -1);
	p1 = gbt_rapl_find(f, "package-1", &di);
	assert_non_null(strstr(di.label, "CPU 1"));
	assert_int_equal(di.device_index, 1);
	d1 = gbt_rapl_find(f, "dram-1", &di);
	msr(f, 0, GB_MSR_PKG_ENERGY_STATUS, 100 + 16384);
	msr(f, 0, GB_MSR_DRAM_ENERGY_STATUS, 200 + 1000);
	msr(f, 1, GB_MSR_PKG_ENERGY_STATUS, 101 + 2 * 16384);
	msr(f, 1, GB_MSR_DRAM_ENERGY_STATUS, 201 + 10);
	assert_int_equal(gb_source_msr_rapl.read(f->st, 1, s), 0);
	assert_int_equal(s[p0].energy_uj, 1000000);
	assert_int_equal(s[d0].energy_uj, 15300);
	assert_int_equal(s[p1].energy_uj, 2000000);
	assert_int_equal(s[d1].energy_uj, 153);
	gb_source_msr_rapl.describe(f->st, desc, sizeof desc);
	assert_non_null(strstr(desc, "DRAM 15.3 uJ"));
}

/* AMD's RAPL registers are consecutive numbers (0xC0010299..9B), so their
 * 8-byte values would overlap in a sparse file; the msr driver treats the
 * offset as a register number, not a byte position. Serve them from a
 * table instead, through gb_sys.open/pread. */
#define AMD_CPUS 4
static uint64_t amd_reg[AMD_CPUS][3];	/* unit, core, pkg */
static int amd_fd_cpu[256];

static int amd_open(const char *path, int flags, ...)
{
	const char *p = strstr(path, "/dev/cpu/");
	int fd = open(path, flags);

	if (p && fd >= 0 && fd < 256)
		amd_fd_cpu[fd] = atoi(p + 9);
	return fd;
}

static ssize_t amd_pread(int fd, void *buf, size_t len, off_t off)
{
	int c = amd_fd_cpu[fd];

	assert_int_equal(len, 8);
	assert_true(c >= 0 && c < AMD_CPUS);
	if (off < (off_t)GB_MSR_AMD_RAPL_POWER_UNIT || off > (off_t)GB_MSR_AMD_PKG_ENERGY_STATUS) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, &amd_reg[c][off - (off_t)GB_MSR_AMD_RAPL_POWER_UNIT], 8);
	return 8;
}

static void test_amd(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[4];
	int pkg, core;

	cpuinfo(f, "AuthenticAMD", 0x19, 0x01);
	/* two cores, each with an SMT sibling (cpu2, cpu3) */
	cpu(f, 0, 0, 0);
	cpu(f, 1, 0, 1);
	cpu(f, 2, 0, 0);
	cpu(f, 3, 0, 1);
	memset(amd_reg, 0, sizeof amd_reg);
	memset(amd_fd_cpu, -1, sizeof amd_fd_cpu);
	for (int c = 0; c < AMD_CPUS; c++) {
		char rel[64];

		snprintf(rel, sizeof rel, "dev/cpu/%d/msr", c);
		gbt_write(f->root, rel, "%s", "");
		amd_reg[c][0] = UNIT_ESU16;
		amd_reg[c][2] = 5000;	/* package counter, same on every CPU */
	}
	amd_reg[0][1] = 100;
	amd_reg[1][1] = 0xFFFFFFF0ULL;
	/* siblings' counters must not be added a second time */
	amd_reg[2][1] = 7;
	amd_reg[3][1] = 9;
	gb_sys.open = amd_open;
	gb_sys.pread = amd_pread;
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_msr_rapl.domain_count(f->st), 2);
	pkg = gbt_rapl_find(f, "package-0", &di);
	core = gbt_rapl_find(f, "core-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_CPU_CORE);
	assert_int_equal(di.parent, pkg);
	amd_reg[0][2] = 5000 + 65536;	/* 65536 x 15.26 uJ = 1 J */
	amd_reg[0][1] = 100 + 65536;
	amd_reg[1][1] = 0x10;		/* wrapped: 0x20 counts */
	amd_reg[2][1] = 7 + 999999;
	assert_int_equal(gb_source_msr_rapl.read(f->st, 1, s), 0);
	assert_int_equal(s[pkg].energy_uj, 1000000);
	assert_int_equal(s[core].energy_uj, (uint64_t)((65536 + 0x20) * 15.2587890625 + 0.5));
}

static void test_msr_safe(void **state)
{
	struct gbt_rapl *f = *state;
	char desc[256];

	cpuinfo(f, "GenuineIntel", 6, 0x8C);
	cpu(f, 0, 0, 0);
	msr_dev(f, 0, "msr_safe", GB_MSR_RAPL_POWER_UNIT, UNIT_ESU14);
	msr_dev(f, 0, "msr_safe", GB_MSR_PKG_ENERGY_STATUS, 42);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_msr_rapl.domain_count(f->st), 1);
	gb_source_msr_rapl.describe(f->st, desc, sizeof desc);
	assert_non_null(strstr(desc, "msr_safe"));
}

static int deny_msr_open(const char *path, int flags, ...)
{
	if (strstr(path, "/dev/cpu/")) {
		errno = EPERM;
		return -1;
	}
	return open(path, flags);
}

static void test_permission(void **state)
{
	struct gbt_rapl *f = *state;

	cpuinfo(f, "GenuineIntel", 6, 0x8C);
	cpu(f, 0, 0, 0);
	msr(f, 0, GB_MSR_RAPL_POWER_UNIT, UNIT_ESU14);
	gb_sys.open = deny_msr_open;
	assert_int_equal(gb_source_msr_rapl.open(&f->cfg, &f->st), -EACCES);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "dev/cpu/0/msr"));
	assert_non_null(strstr(gb_error_msg(), "CAP_SYS_RAWIO"));
	assert_non_null(strstr(gb_error_msg(), "run as root"));
}

static void test_no_msr_module(void **state)
{
	struct gbt_rapl *f = *state;

	cpuinfo(f, "GenuineIntel", 6, 0x8C);
	cpu(f, 0, 0, 0);
	assert_int_equal(gb_source_msr_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "modprobe msr"));
}

static void test_vm_counters(void **state)
{
	struct gbt_rapl *f = *state;

	cpuinfo(f, "GenuineIntel", 6, 0x8F);
	cpu(f, 0, 0, 0);
	/* units readable but the package counter reads 0 */
	msr(f, 0, GB_MSR_RAPL_POWER_UNIT, UNIT_ESU14);
	msr(f, 0, GB_MSR_PP1_ENERGY_STATUS, 0);
	assert_int_equal(gb_source_msr_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "0x611"));
	/* an empty msr file: even the units register cannot be read */
	gbt_write(f->root, "dev/cpu/0/msr", "%s", "");
	assert_int_equal(gb_source_msr_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "0x606"));
}

static void test_other_vendor(void **state)
{
	struct gbt_rapl *f = *state;

	cpuinfo(f, "CentaurHauls", 6, 0x0F);
	assert_int_equal(gb_source_msr_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "CentaurHauls"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intel_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intel_server_dram_unit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msr_safe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_msr_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_vendor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
