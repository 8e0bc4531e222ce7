/* The powercap RAPL source over fake /sys/class/powercap trees. */
#include "lib/gbtest.h"
#include "lib/rapl_fixture.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct gb_source_ops gb_source_powercap;

#define RANGE_UJ 262143328850ULL
#define PC "sys/class/powercap"

static int setup(void **state)
{
	return gbt_rapl_setup(state, &gb_source_powercap);
}

static int teardown(void **state)
{
	return gbt_rapl_teardown(state);
}

static void zone(struct gbt_rapl *f, const char *dir, const char *name, uint64_t range, uint64_t uj)
{
	char rel[256];

	snprintf(rel, sizeof rel, PC "/%s/name", dir);
	gbt_write(f->root, rel, "%s\n", name);
	snprintf(rel, sizeof rel, PC "/%s/max_energy_range_uj", dir);
	gbt_write(f->root, rel, "%llu\n", (unsigned long long)range);
	snprintf(rel, sizeof rel, PC "/%s/energy_uj", dir);
	gbt_write(f->root, rel, "%llu\n", (unsigned long long)uj);
}

/* Rewrite a counter in place (same inode, as sysfs would show it). */
static void set_uj(struct gbt_rapl *f, const char *dir, uint64_t uj)
{
	char rel[256];

	snprintf(rel, sizeof rel, PC "/%s/energy_uj", dir);
	gbt_write(f->root, rel, "%llu\n", (unsigned long long)uj);
}

static void test_single_socket_nested(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[8];
	int pkg, core, uncore, dram, psys;
	uint64_t total_uj = 0;

	/* The control-type directory itself has no counter and is skipped. */
	gbt_write(f->root, PC "/intel-rapl/enabled", "1\n");
	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 1000000);
	zone(f, "intel-rapl:0:0", "core", RANGE_UJ, 400000);
	zone(f, "intel-rapl:0:1", "uncore", RANGE_UJ, 50000);
	zone(f, "intel-rapl:0:2", "dram", RANGE_UJ, 300000);
	zone(f, "intel-rapl:1", "psys", RANGE_UJ, 9000000);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_powercap.domain_count(f->st), 5);
	pkg = gbt_rapl_find(f, "package-0", &di);
	assert_true(pkg >= 0);
	assert_int_equal(di.kind, GB_DOMAIN_CPU_PACKAGE);
	assert_int_equal(di.method, GB_METHOD_COUNTER);
	assert_int_equal(di.parent, -1);
	assert_int_equal(di.device_index, 0);
	core = gbt_rapl_find(f, "core-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_CPU_CORE);
	assert_int_equal(di.parent, pkg);
	uncore = gbt_rapl_find(f, "uncore-0", &di);
	assert_int_equal(di.parent, pkg);
	dram = gbt_rapl_find(f, "dram-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_DRAM);
	assert_int_equal(di.parent, -1);	/* DRAM is not inside the package */
	psys = gbt_rapl_find(f, "psys", &di);
	assert_int_equal(di.kind, GB_DOMAIN_PSYS);
	assert_int_equal(di.parent, pkg);	/* overlaps the package: never summed */
	assert_true(core >= 0 && uncore >= 0 && dram >= 0 && psys >= 0);

	/* Energy counts from open. */
	assert_int_equal(gb_source_powercap.read(f->st, 1, s), 0);
	assert_int_equal(s[pkg].valid, GB_SAMPLE_ENERGY);
	assert_int_equal(s[pkg].energy_uj, 0);
	set_uj(f, "intel-rapl:0", 1000000 + 5000000);
	set_uj(f, "intel-rapl:0:0", 400000 + 3000000);
	set_uj(f, "intel-rapl:0:1", 50000 + 1000000);
	set_uj(f, "intel-rapl:0:2", 300000 + 700000);
	set_uj(f, "intel-rapl:1", 9000000 + 8000000);
	assert_int_equal(gb_source_powercap.read(f->st, 2, s), 0);
	assert_int_equal(s[pkg].energy_uj, 5000000);
	assert_int_equal(s[core].energy_uj, 3000000);
	assert_int_equal(s[uncore].energy_uj, 1000000);
	assert_int_equal(s[dram].energy_uj, 700000);
	assert_int_equal(s[psys].energy_uj, 8000000);
	/* Summing every domain without a parent counts package + DRAM once. */
	for (size_t i = 0; i < gb_source_powercap.domain_count(f->st); i++) {
		gb_source_powercap.domain_info(f->st, i, &di);
		if (di.parent < 0)
			total_uj += s[i].energy_uj;
	}
	assert_int_equal(total_uj, 5700000);
	/* Poll bound: 262 kJ at 1 kW, halved. */
	assert_int_equal(gb_source_powercap.max_interval_ns(f->st), 131071664425000ULL / 1000);
}

static void test_wraparound(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_sample s[2];

	/* A 1 J range wraps constantly; each wrap seen once is counted. */
	zone(f, "intel-rapl:0", "package-0", 1000000, 999000);
	gbt_rapl_open_ok(f);
	set_uj(f, "intel-rapl:0", 500);	/* wrapped: 1001 + 500 */
	assert_int_equal(gb_source_powercap.read(f->st, 1, s), 0);
	assert_int_equal(s[0].energy_uj, 1501);
	set_uj(f, "intel-rapl:0", 900500);
	assert_int_equal(gb_source_powercap.read(f->st, 2, s), 0);
	assert_int_equal(s[0].energy_uj, 901501);
	set_uj(f, "intel-rapl:0", 100);	/* second wrap: 99501 + 100 */
	assert_int_equal(gb_source_powercap.read(f->st, 3, s), 0);
	assert_int_equal(s[0].energy_uj, 1001102);
	/* The sampler must poll within half the time 1 kW takes to run
	 * through 1 J: 0.5 ms. */
	assert_int_equal(gb_source_powercap.max_interval_ns(f->st), 500000);
}

static void test_multi_socket_missing_dram(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[8];
	int p0, p1, d0;

	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 10);
	zone(f, "intel-rapl:0:0", "dram", RANGE_UJ, 20);
	zone(f, "intel-rapl:1", "package-1", RANGE_UJ, 30);
	/* socket 1 has no dram zone */
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_powercap.domain_count(f->st), 3);
	p0 = gbt_rapl_find(f, "package-0", &di);
	d0 = gbt_rapl_find(f, "dram-0", &di);
	assert_int_equal(di.device_index, 0);
	p1 = gbt_rapl_find(f, "package-1", &di);
	assert_int_equal(di.device_index, 1);
	assert_int_equal(gbt_rapl_find(f, "dram-1", &di), -1);
	set_uj(f, "intel-rapl:0", 110);
	set_uj(f, "intel-rapl:0:0", 220);
	set_uj(f, "intel-rapl:1", 3030);
	assert_int_equal(gb_source_powercap.read(f->st, 1, s), 0);
	assert_int_equal(s[p0].energy_uj, 100);
	assert_int_equal(s[d0].energy_uj, 200);
	assert_int_equal(s[p1].energy_uj, 3000);
}

static int deny_energy_open(const char *path, int flags, ...)
{
	size_t l = strlen(path);

	if (l >= 9 && !strcmp(path + l - 9, "energy_uj")) {
		errno = EACCES;
		return -1;
	}
	return open(path, flags);
}

static void test_eacces(void **state)
{
	struct gbt_rapl *f = *state;

	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 10);
	/* chmod 000 does not stop root; fake the kernel's answer instead. */
	gb_sys.open = deny_energy_open;
	assert_int_equal(gb_source_powercap.open(&f->cfg, &f->st), -EACCES);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "intel-rapl:0/energy_uj"));
	assert_non_null(strstr(gb_error_msg(), "permission denied"));
	assert_non_null(strstr(gb_error_msg(), "Linux 5.10"));
	assert_non_null(strstr(gb_error_msg(), "run as root"));
	assert_non_null(strstr(gb_error_msg(), "chmod"));
}

static void test_mmio_duplicate(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	char desc[512];

	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 777);
	zone(f, "intel-rapl:0:0", "core", RANGE_UJ, 333);
	zone(f, "intel-rapl-mmio:0", "package-0", RANGE_UJ, 777);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_powercap.domain_count(f->st), 2);
	assert_true(gbt_rapl_find(f, "package-0", &di) >= 0);
	assert_non_null(strstr(di.label, "intel-rapl:0"));
	assert_null(strstr(di.label, "mmio"));
	gb_source_powercap.describe(f->st, desc, sizeof desc);
	assert_non_null(strstr(desc, "ignored intel-rapl-mmio:0 (same counter as intel-rapl:0)"));
}

static void test_amd_mirrored_dies(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;

	/* Two dies of package 0 reading the one package counter, and a
	 * second socket with its own. */
	zone(f, "intel-rapl:0", "package-0-die-0", RANGE_UJ, 123456);
	zone(f, "intel-rapl:1", "package-0-die-1", RANGE_UJ, 123456);
	zone(f, "intel-rapl:2", "package-1-die-0", RANGE_UJ, 654321);
	zone(f, "intel-rapl:0:0", "core", RANGE_UJ, 1111);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_powercap.domain_count(f->st), 3);
	/* The kept die stands for its whole package and is named so. */
	assert_true(gbt_rapl_find(f, "package-0", &di) >= 0);
	assert_non_null(strstr(di.label, "intel-rapl:0)"));
	assert_true(gbt_rapl_find(f, "core-0", &di) >= 0);
	assert_int_equal(gbt_rapl_find(f, "package-0-die-1", &di), -1);
	/* A package whose single die has no mirror keeps its name. */
	assert_true(gbt_rapl_find(f, "package-1-die-0", &di) >= 0);
	assert_int_equal(di.device_index, 1);
}

static void test_intel_real_dies(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;

	/* Multi-die Intel parts have distinct counters per die: both stay,
	 * with their subzones named after the die. */
	zone(f, "intel-rapl:0", "package-0-die-0", RANGE_UJ, 1000);
	zone(f, "intel-rapl:0:0", "dram", RANGE_UJ, 50);
	zone(f, "intel-rapl:1", "package-0-die-1", RANGE_UJ, 2000);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_powercap.domain_count(f->st), 3);
	assert_true(gbt_rapl_find(f, "package-0-die-1", &di) >= 0);
	assert_true(gbt_rapl_find(f, "dram-0-die-0", &di) >= 0);
}

static void test_all_zero_is_unavailable(void **state)
{
	struct gbt_rapl *f = *state;

	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 0);
	zone(f, "intel-rapl:1", "psys", RANGE_UJ, 0);
	assert_int_equal(gb_source_powercap.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "read 0"));
}

static void test_zero_subzone_dropped(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	char desc[512];

	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 10);
	zone(f, "intel-rapl:0:0", "uncore", RANGE_UJ, 0);
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_powercap.domain_count(f->st), 1);
	assert_int_equal(gbt_rapl_find(f, "uncore-0", &di), -1);
	gb_source_powercap.describe(f->st, desc, sizeof desc);
	assert_non_null(strstr(desc, "intel-rapl:0:0 (reads 0)"));
}

static void test_no_powercap(void **state)
{
	struct gbt_rapl *f = *state;

	assert_int_equal(gb_source_powercap.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "intel_rapl"));
	gbt_write(f->root, PC "/intel-rapl/enabled", "1\n");
	assert_int_equal(gb_source_powercap.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "no RAPL zones"));
}

/* Fail reads of one zone's counter after open. */
static int failing_fd = -1;

static int record_open(const char *path, int flags, ...)
{
	int fd = open(path, flags);

	if (strstr(path, "intel-rapl:0:0/energy_uj"))
		failing_fd = fd;
	return fd;
}

static int fail_reads;

static ssize_t flaky_pread(int fd, void *buf, size_t len, off_t off)
{
	if (fail_reads && fd == failing_fd) {
		errno = EIO;
		return -1;
	}
	return pread(fd, buf, len, off);
}

static void test_read_error_clears_validity(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[2];
	int pkg, core;

	zone(f, "intel-rapl:0", "package-0", RANGE_UJ, 10);
	zone(f, "intel-rapl:0:0", "core", RANGE_UJ, 5);
	gb_sys.open = record_open;
	gb_sys.pread = flaky_pread;
	fail_reads = 0;
	gbt_rapl_open_ok(f);
	pkg = gbt_rapl_find(f, "package-0", &di);
	core = gbt_rapl_find(f, "core-0", &di);
	fail_reads = 1;
	set_uj(f, "intel-rapl:0", 20);
	assert_int_equal(gb_source_powercap.read(f->st, 1, s), 0);
	assert_int_equal(s[pkg].valid, GB_SAMPLE_ENERGY);
	assert_int_equal(s[pkg].energy_uj, 10);
	assert_int_equal(s[core].valid, 0);
	/* Once it reads again, the energy in between is not lost. */
	fail_reads = 0;
	set_uj(f, "intel-rapl:0:0", 25);
	assert_int_equal(gb_source_powercap.read(f->st, 2, s), 0);
	assert_int_equal(s[core].valid, GB_SAMPLE_ENERGY);
	assert_int_equal(s[core].energy_uj, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_socket_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multi_socket_missing_dram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eacces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amd_mirrored_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intel_real_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_zero_is_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_subzone_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_powercap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_error_clears_validity, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
