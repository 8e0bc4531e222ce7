/* The perf `power` PMU source over a fake PMU sysfs tree, with
 * perf_event_open, read and close replaced through gb_sys. */
#include "lib/gbtest.h"
#include "lib/rapl_fixture.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/sys.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct gb_source_ops gb_source_perf_rapl;

#define PMU "sys/bus/event_source/devices/power"
#define SCALE_2_32 "2.3283064365386962890625e-10" /* 2^-32 J */

/* ---- fake PMU: one entry per opened event -------------------------- */

#define FAKE_FD0 1000
#define MAX_FAKE 32

static struct {
	uint32_t type;
	uint64_t config;
	int cpu;
	uint64_t count;
	int open;
} ev[MAX_FAKE];
static size_t nev;
/* counts added per read, by event config (0 = never advances) */
static uint64_t step[16];
static int open_errno;
static uint64_t refuse_config;	/* this event's open fails with EOPNOTSUPP */

static long fake_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
				 unsigned long flags)
{
	if (open_errno) {
		errno = open_errno;
		return -1;
	}
	if (attr->config == refuse_config) {
		errno = EOPNOTSUPP;
		return -1;
	}
	assert_int_equal(pid, -1);	/* CPU-wide */
	assert_int_equal(group_fd, -1);
	assert_int_equal(attr->size, sizeof *attr);
	assert_true(nev < MAX_FAKE);
	ev[nev].type = attr->type;
	ev[nev].config = attr->config;
	ev[nev].cpu = cpu;
	ev[nev].count = 0;
	ev[nev].open = 1;
	return FAKE_FD0 + (long)nev++;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	size_t i = (size_t)(fd - FAKE_FD0);

	if (fd < FAKE_FD0)
		return read(fd, buf, len); /* sysfs attributes */
	assert_true(i < nev && ev[i].open);
	assert_int_equal(len, sizeof(uint64_t));
	memcpy(buf, &ev[i].count, sizeof ev[i].count);
	ev[i].count += step[ev[i].config & 15];
	return (ssize_t)len;
}

static int fake_close(int fd)
{
	size_t i = (size_t)(fd - FAKE_FD0);

	if (fd < FAKE_FD0)
		return close(fd);
	assert_true(i < nev && ev[i].open);
	ev[i].open = 0;
	return 0;
}

static size_t still_open(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nev; i++)
		n += ev[i].open;
	return n;
}

/* ---- fixture ---------------------------------------------------------- */

static int setup(void **state)
{
	memset(ev, 0, sizeof ev);
	memset(step, 0, sizeof step);
	nev = 0;
	open_errno = 0;
	refuse_config = UINT64_MAX;
	gb_sys.perf_event_open = fake_perf_event_open;
	gb_sys.read = fake_read;
	gb_sys.close = fake_close;
	return gbt_rapl_setup(state, &gb_source_perf_rapl);
}

static int teardown(void **state)
{
	gbt_rapl_close(*state);
	assert_int_equal(still_open(), 0);
	return gbt_rapl_teardown(state);
}

static void pmu(struct gbt_rapl *f, unsigned type, const char *cpumask)
{
	gbt_write(f->root, PMU "/type", "%u\n", type);
	gbt_write(f->root, PMU "/cpumask", "%s\n", cpumask);
}

static void event(struct gbt_rapl *f, const char *name, unsigned config, const char *scale, const char *unit)
{
	char rel[256];

	snprintf(rel, sizeof rel, PMU "/events/%s", name);
	gbt_write(f->root, rel, "event=0x%02x\n", config);
	snprintf(rel, sizeof rel, PMU "/events/%s.scale", name);
	gbt_write(f->root, rel, "%s\n", scale);
	snprintf(rel, sizeof rel, PMU "/events/%s.unit", name);
	gbt_write(f->root, rel, "%s\n", unit);
}

/* ---- tests ---------------------------------------------------------- */

static void test_two_packages(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	struct gb_sample s[8];
	int p0, c0, r0, p1, r1;

	pmu(f, 23, "0,4");
	event(f, "energy-cores", 0x01, SCALE_2_32, "Joules");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Joules");
	event(f, "energy-ram", 0x03, "6.103515625e-05", "Joules");
	gbt_rapl_cpu_package(f, 0, 0);
	gbt_rapl_cpu_package(f, 4, 1);
	step[1] = 1ULL << 31;	/* 0.5 J per read */
	step[2] = 1ULL << 32;	/* 1 J per read */
	step[3] = 1000;		/* 1000 x 61.03515625 uJ per read */
	gbt_rapl_open_ok(f);
	/* cores on package 0 only would be odd; the PMU lists them on both */
	assert_int_equal(gb_source_perf_rapl.domain_count(f->st), 6);
	for (size_t i = 0; i < nev; i++) {
		assert_int_equal(ev[i].type, 23);
		assert_true(ev[i].cpu == 0 || ev[i].cpu == 4);
	}
	p0 = gbt_rapl_find(f, "package-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_CPU_PACKAGE);
	assert_int_equal(di.method, GB_METHOD_COUNTER);
	assert_int_equal(di.device_index, 0);
	assert_int_equal(di.parent, -1);
	c0 = gbt_rapl_find(f, "core-0", &di);
	assert_int_equal(di.parent, p0);
	r0 = gbt_rapl_find(f, "dram-0", &di);
	assert_int_equal(di.kind, GB_DOMAIN_DRAM);
	assert_int_equal(di.parent, -1);
	p1 = gbt_rapl_find(f, "package-1", &di);
	assert_int_equal(di.device_index, 1);
	assert_non_null(strstr(di.label, "CPU 4"));
	assert_int_equal(gbt_rapl_find(f, "core-1", &di) >= 0, 1);
	assert_int_equal(di.parent, p1);
	r1 = gbt_rapl_find(f, "dram-1", &di);
	assert_true(c0 >= 0 && r0 >= 0 && r1 >= 0);

	assert_int_equal(gb_source_perf_rapl.read(f->st, 1, s), 0);
	assert_int_equal(s[p0].valid, GB_SAMPLE_ENERGY);
	assert_int_equal(s[p0].energy_uj, 1000000);
	assert_int_equal(s[c0].energy_uj, 500000);
	assert_int_equal(s[r0].energy_uj, 61035);	/* 61035.15625 rounded */
	assert_int_equal(gb_source_perf_rapl.read(f->st, 2, s), 0);
	assert_int_equal(s[p0].energy_uj, 2000000);
	assert_int_equal(s[p1].energy_uj, 2000000);
	assert_int_equal(s[r1].energy_uj, 122070);	/* 122070.3125 */
	/* The kernel handles the 32-bit wrap: no poll bound from us. */
	assert_null(gb_source_perf_rapl.max_interval_ns);
}

static void test_vm_psys_only(void **state)
{
	struct gbt_rapl *f = *state;

	/* What this development machine and the H100 VM expose. */
	pmu(f, 9, "0");
	event(f, "energy-psys", 0x05, SCALE_2_32, "Joules");
	gbt_rapl_cpu_package(f, 0, 0);
	assert_int_equal(gb_source_perf_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_string_equal(gb_error_msg(), "energy-psys reads 0: no usable RAPL counter (virtual machine?)");
	assert_int_equal(nev, 1);	/* it was opened, then closed again */
}

static void test_psys_stub_beside_working_pkg(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	char desc[512];
	int pkg;

	pmu(f, 9, "0");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Joules");
	event(f, "energy-psys", 0x05, SCALE_2_32, "Joules");
	event(f, "energy-cores", 0x01, SCALE_2_32, "Joules");
	gbt_rapl_cpu_package(f, 0, 0);
	step[2] = 1000;
	/* psys and cores never move: psys is a stub and goes, an idle
	 * core domain is plausible and stays. */
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_perf_rapl.domain_count(f->st), 2);
	pkg = gbt_rapl_find(f, "package-0", &di);
	assert_true(pkg >= 0);
	assert_true(gbt_rapl_find(f, "core-0", &di) >= 0);
	assert_int_equal(di.parent, pkg);
	assert_int_equal(gbt_rapl_find(f, "psys", &di), -1);
	assert_int_equal(still_open(), 2);
	gb_source_perf_rapl.describe(f->st, desc, sizeof desc);
	assert_non_null(strstr(desc, "ignored energy-psys on psys (reads 0)"));
}

static void test_psys_working(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	int pkg;

	pmu(f, 9, "0");
	event(f, "energy-psys", 0x05, SCALE_2_32, "Joules");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Joules");
	gbt_rapl_cpu_package(f, 0, 0);
	step[2] = 10;
	step[5] = 30;
	gbt_rapl_open_ok(f);
	pkg = gbt_rapl_find(f, "package-0", &di);
	assert_true(gbt_rapl_find(f, "psys", &di) >= 0);
	assert_int_equal(di.kind, GB_DOMAIN_PSYS);
	assert_int_equal(di.parent, pkg);	/* overlaps the package: never summed */
}

static void test_permission(void **state)
{
	struct gbt_rapl *f = *state;

	pmu(f, 9, "0");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Joules");
	gbt_write(f->root, "proc/sys/kernel/perf_event_paranoid", "2\n");
	open_errno = EACCES;
	assert_int_equal(gb_source_perf_rapl.open(&f->cfg, &f->st), -EACCES);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "permission denied"));
	assert_non_null(strstr(gb_error_msg(), "perf_event_paranoid=2"));
	assert_non_null(strstr(gb_error_msg(), "CAP_PERFMON"));
	assert_non_null(strstr(gb_error_msg(), "sysctl kernel.perf_event_paranoid=0"));
}

static void test_other_open_error(void **state)
{
	struct gbt_rapl *f = *state;

	pmu(f, 9, "0");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Joules");
	open_errno = ENOENT;
	assert_int_equal(gb_source_perf_rapl.open(&f->cfg, &f->st), -ENOENT);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "power/energy-pkg/"));
}

static void test_one_event_refused(void **state)
{
	struct gbt_rapl *f = *state;
	struct gb_domain_info di;
	char desc[512];

	pmu(f, 9, "0");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Joules");
	event(f, "energy-ram", 0x03, SCALE_2_32, "Joules");
	gbt_rapl_cpu_package(f, 0, 0);
	step[2] = 1;
	refuse_config = 0x03;
	gbt_rapl_open_ok(f);
	assert_int_equal(gb_source_perf_rapl.domain_count(f->st), 1);
	assert_true(gbt_rapl_find(f, "package-0", &di) >= 0);
	gb_source_perf_rapl.describe(f->st, desc, sizeof desc);
	assert_non_null(strstr(desc, "ignored energy-ram on CPU 0 ("));
}

static void test_no_pmu(void **state)
{
	struct gbt_rapl *f = *state;

	assert_int_equal(gb_source_perf_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "no perf 'power' PMU"));
}

static void test_bad_unit_skipped(void **state)
{
	struct gbt_rapl *f = *state;

	pmu(f, 9, "0");
	event(f, "energy-pkg", 0x02, SCALE_2_32, "Watts");
	assert_int_equal(gb_source_perf_rapl.open(&f->cfg, &f->st), -ENODEV);
	f->st = NULL;
	assert_non_null(strstr(gb_error_msg(), "no usable energy-* event"));
	assert_int_equal(nev, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_packages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_psys_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psys_stub_beside_working_pkg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psys_working, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_open_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_event_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_pmu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_unit_skipped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
