/* Pure RAPL decoding (src/meter/rapl_common.c) with fixed values. */
#include "lib/gbtest.h"
#include "meter/rapl_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void test_delta_and_wrap(void **st)
{
	struct gb_rapl_counter c;

	assert_int_equal(gb_rapl_delta(100, 350, 1000), 250);
	/* 32-bit MSR: 0xFFFFFF00 -> 0x100 is 0x200 counts. */
	assert_int_equal(gb_rapl_delta(0xFFFFFF00u, 0x100, 1ULL << 32), 0x200);
	/* powercap: values 0..range, so modulus range + 1. */
	assert_int_equal(gb_rapl_delta(999000, 500, 1000001), 1501);
	/* modulus 0: 64-bit counter. */
	assert_int_equal(gb_rapl_delta(UINT64_MAX - 9, 5, 0), 15);
	/* a raw value beyond the declared range counts nothing */
	assert_int_equal(gb_rapl_delta(2000000, 5, 1000001), 0);

	gb_rapl_counter_init(&c, 1000, 900);
	assert_int_equal(gb_rapl_counter_update(&c, 100), 200);	/* wrap 1 */
	assert_int_equal(gb_rapl_counter_update(&c, 800), 900);
	assert_int_equal(gb_rapl_counter_update(&c, 50), 1150);	/* wrap 2 */
	assert_int_equal(c.last, 50);
}

static void test_units(void **st)
{
	/* Intel typical MSR_RAPL_POWER_UNIT: ESU 14 -> 61.03515625 uJ. */
	assert_int_equal(gb_rapl_esu(0x000A0E03), 14);
	assert_true(gb_rapl_esu_to_uj(14) == 61.03515625);
	/* AMD Zen: ESU 16 -> 15.2587890625 uJ. */
	assert_int_equal(gb_rapl_esu(0x000A1003), 16);
	assert_true(gb_rapl_esu_to_uj(16) == 15.2587890625);
	/* Bits above 12 do not leak into the field. */
	assert_int_equal(gb_rapl_esu(0xFFFFE0FFu), 0);

	assert_true(gb_rapl_intel_dram_fixed_unit(6, 0x55));	/* Skylake-X */
	assert_true(gb_rapl_intel_dram_fixed_unit(6, 0x8F));	/* Sapphire Rapids */
	assert_false(gb_rapl_intel_dram_fixed_unit(6, 0x8C));	/* Tiger Lake client */
	assert_false(gb_rapl_intel_dram_fixed_unit(0x19, 0x55));
}

static void test_max_interval(void **st)
{
	/* The usual powercap range 262143328850 uJ at 1 kW: 262 s, halved. */
	uint64_t ns = gb_rapl_max_interval_ns(262143328850.0, GB_RAPL_MAX_POWER_W);

	assert_true(ns > 131000000000ULL && ns < 131100000000ULL);
	assert_int_equal(gb_rapl_max_interval_ns(0, 1000), 0);
	/* 1 J range at 1 kW: 0.5 ms. */
	assert_int_equal(gb_rapl_max_interval_ns(1e6, 1000), 500000);
}

static void test_cpuinfo(void **st)
{
	struct gb_cpu_id id;

	assert_int_equal(gb_rapl_parse_cpuinfo("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
					       "model\t\t: 143\nmodel name\t: Intel Xeon\n\nprocessor\t: 1\n"
					       "vendor_id\t: AuthenticAMD\n", &id), 0);
	assert_int_equal(id.vendor, GB_VENDOR_INTEL);
	assert_int_equal(id.family, 6);
	assert_int_equal(id.model, 143);	/* not confused with "model name" */
	assert_int_equal(gb_rapl_parse_cpuinfo("processor : 0\nvendor_id : HygonGenuine\ncpu family : 24\n", &id), 0);
	assert_int_equal(id.vendor, GB_VENDOR_AMD);
	assert_int_equal(id.family, 24);
	assert_int_equal(gb_rapl_parse_cpuinfo("processor : 0\nvendor_id : ARM\n", &id), 0);
	assert_int_equal(id.vendor, GB_VENDOR_OTHER);
	assert_int_equal(gb_rapl_parse_cpuinfo("processor : 0\n", &id), -EINVAL);
}

static void test_zone_names(void **st)
{
	enum gb_domain_kind k;
	int pkg, die;
	char buf[GB_NAME_MAX];

	assert_int_equal(gb_rapl_zone_name_parse("package-0", &k, &pkg, &die), 0);
	assert_int_equal(k, GB_DOMAIN_CPU_PACKAGE);
	assert_int_equal(pkg, 0);
	assert_int_equal(die, -1);
	assert_int_equal(gb_rapl_zone_name_parse("package-1-die-2", &k, &pkg, &die), 0);
	assert_int_equal(pkg, 1);
	assert_int_equal(die, 2);
	assert_int_equal(gb_rapl_zone_name_parse("dram", &k, &pkg, &die), 0);
	assert_int_equal(k, GB_DOMAIN_DRAM);
	assert_int_equal(pkg, -1);
	assert_int_equal(gb_rapl_zone_name_parse("uncore", &k, &pkg, &die), 0);
	assert_int_equal(k, GB_DOMAIN_CPU_UNCORE);
	assert_int_equal(gb_rapl_zone_name_parse("psys", &k, &pkg, &die), 0);
	assert_int_equal(k, GB_DOMAIN_PSYS);
	assert_int_equal(gb_rapl_zone_name_parse("package-x", &k, &pkg, &die), -EINVAL);
	assert_int_equal(gb_rapl_zone_name_parse("package-0-die-", &k, &pkg, &die), -EINVAL);
	assert_int_equal(gb_rapl_zone_name_parse("cores", &k, &pkg, &die), -EINVAL);
	assert_int_equal(gb_rapl_zone_name_parse("", &k, &pkg, &die), -EINVAL);

	assert_int_equal(gb_rapl_domain_name(GB_DOMAIN_DRAM, 1, -1, buf, sizeof buf), 0);
	assert_string_equal(buf, "dram-1");
	assert_int_equal(gb_rapl_domain_name(GB_DOMAIN_CPU_CORE, 0, 3, buf, sizeof buf), 0);
	assert_string_equal(buf, "core-0-die-3");
	assert_int_equal(gb_rapl_domain_name(GB_DOMAIN_PSYS, -1, -1, buf, sizeof buf), 0);
	assert_string_equal(buf, "psys");
	assert_int_equal(gb_rapl_domain_name(GB_DOMAIN_CPU_PACKAGE, 0, -1, buf, 5), -ENAMETOOLONG);
}

static void test_zone_dirs(void **st)
{
	char type[32];
	int a, b;

	assert_int_equal(gb_rapl_zone_dir_parse("intel-rapl:0", type, sizeof type, &a, &b), 1);
	assert_string_equal(type, "intel-rapl");
	assert_int_equal(a, 0);
	assert_int_equal(b, -1);
	assert_int_equal(gb_rapl_zone_dir_parse("intel-rapl-mmio:1:2", type, sizeof type, &a, &b), 2);
	assert_string_equal(type, "intel-rapl-mmio");
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(gb_rapl_zone_dir_parse("intel-rapl", type, sizeof type, &a, &b), -EINVAL);
	assert_int_equal(gb_rapl_zone_dir_parse("intel-rapl:x", type, sizeof type, &a, &b), -EINVAL);
	assert_int_equal(gb_rapl_zone_dir_parse("intel-rapl:0:1:2", type, sizeof type, &a, &b), -EINVAL);
	assert_int_equal(gb_rapl_zone_dir_parse("dtpm:0", type, sizeof type, &a, &b), -EINVAL);
}

static void test_perf_parsing(void **st)
{
	enum gb_domain_kind k;
	uint64_t cfg;
	double uj;

	assert_int_equal(gb_rapl_perf_event_kind("energy-pkg", &k), 0);
	assert_int_equal(k, GB_DOMAIN_CPU_PACKAGE);
	assert_int_equal(gb_rapl_perf_event_kind("energy-cores", &k), 0);
	assert_int_equal(k, GB_DOMAIN_CPU_CORE);
	assert_int_equal(gb_rapl_perf_event_kind("energy-gpu", &k), 0);
	assert_int_equal(k, GB_DOMAIN_CPU_UNCORE);
	assert_int_equal(gb_rapl_perf_event_kind("energy-ram", &k), 0);
	assert_int_equal(k, GB_DOMAIN_DRAM);
	assert_int_equal(gb_rapl_perf_event_kind("energy-psys", &k), 0);
	assert_int_equal(k, GB_DOMAIN_PSYS);
	assert_int_equal(gb_rapl_perf_event_kind("energy-pkg.scale", &k), -EINVAL);

	assert_int_equal(gb_rapl_perf_config_parse("event=0x05", &cfg), 0);
	assert_int_equal(cfg, 5);
	assert_int_equal(gb_rapl_perf_config_parse("event=12", &cfg), 0);
	assert_int_equal(cfg, 12);
	assert_int_equal(gb_rapl_perf_config_parse("umask=0x1", &cfg), -EINVAL);
	assert_int_equal(gb_rapl_perf_config_parse("event=0x5,umask=1", &cfg), -EINVAL);

	assert_int_equal(gb_rapl_perf_scale_parse("2.3283064365386962890625e-10", "Joules", &uj), 0);
	assert_true(uj > 2.3283064365e-4 && uj < 2.3283064366e-4);
	assert_int_equal(gb_rapl_perf_scale_parse("1e-6", "Watts", &uj), -EINVAL);
	assert_int_equal(gb_rapl_perf_scale_parse("zero", "Joules", &uj), -EINVAL);
	assert_int_equal(gb_rapl_perf_scale_parse("-1e-6", "Joules", &uj), -EINVAL);
}

static void test_cpulist(void **st)
{
	int cpus[8];

	assert_int_equal(gb_cpulist_parse("0", cpus, 8), 1);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(gb_cpulist_parse("0,24", cpus, 8), 2);
	assert_int_equal(cpus[1], 24);
	assert_int_equal(gb_cpulist_parse("0-3,8", cpus, 8), 5);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 8);
	assert_int_equal(gb_cpulist_parse("", cpus, 8), 0);
	assert_int_equal(gb_cpulist_parse("3-1", cpus, 8), -EINVAL);
	assert_int_equal(gb_cpulist_parse("0;1", cpus, 8), -EINVAL);
	assert_int_equal(gb_cpulist_parse("0-9", cpus, 8), -E2BIG);
}

static struct gb_rapl_zone zone(const char *type, int depth, int top, enum gb_domain_kind kind, const char *name,
				uint64_t e0, uint64_t e1, uint64_t e2)
{
	struct gb_rapl_zone z;

	memset(&z, 0, sizeof z);
	snprintf(z.type, sizeof z.type, "%s", type);
	z.depth = depth;
	z.top = top;
	z.kind = kind;
	snprintf(z.name, sizeof z.name, "%s", name);
	z.range_uj = 262143328850ULL;
	z.energy_uj[0] = e0;
	z.energy_uj[1] = e1;
	z.energy_uj[2] = e2;
	return z;
}

static void test_dedupe(void **st)
{
	struct gb_rapl_zone z[8];

	/* intel-rapl-mmio repeating package-0 (listed first to show the
	 * preference is by type, not order). */
	z[0] = zone("intel-rapl-mmio", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-0", 5, 6, 7);
	z[1] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-0", 5, 6, 7);
	z[2] = zone("intel-rapl", 2, 1, GB_DOMAIN_CPU_CORE, "core-0", 3, 3, 4);
	assert_int_equal(gb_rapl_zones_dedupe(z, 3), 2);
	assert_int_equal(z[0].dup_of, 1);
	assert_int_equal(z[1].dup_of, -1);
	assert_int_equal(z[2].dup_of, -1);

	/* Mirrored AMD dies: same counter, agreeing in round 2 only (the
	 * hardware updated between the reads of rounds 0 and 1). */
	z[0] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-0-die-0", 100, 200, 300);
	z[1] = zone("intel-rapl", 2, 0, GB_DOMAIN_CPU_CORE, "core-0-die-0", 10, 20, 30);
	z[2] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-0-die-1", 150, 250, 300);
	z[3] = zone("intel-rapl", 2, 2, GB_DOMAIN_CPU_CORE, "core-0-die-1", 11, 21, 31);
	/* A second socket with its own counter stays. */
	z[4] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-1", 101, 201, 301);
	assert_int_equal(gb_rapl_zones_dedupe(z, 5), 3);
	assert_int_equal(z[2].dup_of, 0);
	assert_int_equal(z[3].dup_of, 2);	/* subzone goes with its die */
	assert_int_equal(z[4].dup_of, -1);

	/* Two counters stuck at 0 are not "the same counter". */
	z[0] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-0", 0, 0, 0);
	z[1] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-1", 0, 0, 0);
	assert_int_equal(gb_rapl_zones_dedupe(z, 2), 2);
	/* Equal values but different kinds or ranges are different counters. */
	z[0] = zone("intel-rapl", 1, -1, GB_DOMAIN_CPU_PACKAGE, "package-0", 9, 9, 9);
	z[1] = zone("intel-rapl", 1, -1, GB_DOMAIN_PSYS, "psys", 9, 9, 9);
	assert_int_equal(gb_rapl_zones_dedupe(z, 2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_and_wrap),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_max_interval),
		cmocka_unit_test(test_cpuinfo),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_zone_dirs),
		cmocka_unit_test(test_perf_parsing),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_dedupe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
