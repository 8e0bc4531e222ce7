/*
 * Pure part of the three CPU RAPL sources (powercap, perf `power` PMU,
 * MSRs): register bit fields, unit conversion, counter wraparound, zone and
 * event name parsing, de-duplication decisions. No file access here, so all
 * of it is unit-tested with fixed values (raplcap's *-common.c split); the
 * OS-access layers are powercap.c, perf_rapl.c and msr_rapl.c.
 *
 * Thread-safety: no shared state; a struct gb_rapl_counter belongs to one
 * reader at a time.
 */
#ifndef GB_METER_RAPL_COMMON_H
#define GB_METER_RAPL_COMMON_H

#include "greenbench/meter.h"

#include <stddef.h>
#include <stdint.h>

/* Intel MSRs (SDM vol. 4, "RAPL interfaces"). */
#define GB_MSR_RAPL_POWER_UNIT 0x606
#define GB_MSR_PKG_ENERGY_STATUS 0x611
#define GB_MSR_DRAM_ENERGY_STATUS 0x619
#define GB_MSR_PP0_ENERGY_STATUS 0x639
#define GB_MSR_PP1_ENERGY_STATUS 0x641
/* AMD family 17h+ (PPR "RAPL"); the core counter is per core. */
#define GB_MSR_AMD_RAPL_POWER_UNIT 0xC0010299
#define GB_MSR_AMD_CORE_ENERGY_STATUS 0xC001029A
#define GB_MSR_AMD_PKG_ENERGY_STATUS 0xC001029B

/* The most power we assume one zone can draw when bounding the poll
 * interval: far above any package or DRAM (a 500 W socket leaves 2x margin). */
#define GB_RAPL_MAX_POWER_W 1000.0

/* ---- Counters -------------------------------------------------------- */

/* A free-running counter accumulated in 64 bits. modulus is the number of
 * distinct raw values (2^32 for MSRs, max_energy_range_uj + 1 for powercap)
 * or 0 for a counter that never wraps (perf's 64-bit counts). */
struct gb_rapl_counter {
	uint64_t modulus;
	uint64_t last;	/* last raw value */
	uint64_t acc;	/* raw units accumulated since init */
};

/* Difference now - prev of a counter with `modulus` raw values, assuming at
 * most one wrap in between (callers poll faster than the wrap period). */
uint64_t gb_rapl_delta(uint64_t prev, uint64_t now, uint64_t modulus);

void gb_rapl_counter_init(struct gb_rapl_counter *c, uint64_t modulus, uint64_t raw);
/* Add the delta since the last raw value; returns the new total. */
uint64_t gb_rapl_counter_update(struct gb_rapl_counter *c, uint64_t raw);

/* Longest poll interval in ns so a counter spanning range_uj cannot wrap
 * twice unseen at max_power_w: half the time to run through the range. */
uint64_t gb_rapl_max_interval_ns(double range_uj, double max_power_w);

/* ---- MSR decoding ---------------------------------------------------- */

/* Energy status units, bits 12:8 of MSR_RAPL_POWER_UNIT (Intel and AMD):
 * one count is 1/2^esu joules. */
unsigned gb_rapl_esu(uint64_t unit_reg);
/* Microjoules per count for an ESU value. */
double gb_rapl_esu_to_uj(unsigned esu);

/* Intel server parts whose DRAM counter uses a fixed 15.3 uJ unit instead
 * of the ESU of MSR_RAPL_POWER_UNIT (same list as the kernel's
 * rapl_defaults_hsw_server/spr_server users). family 6 only. */
int gb_rapl_intel_dram_fixed_unit(unsigned family, unsigned model);
#define GB_RAPL_DRAM_FIXED_UJ 15.3

enum gb_cpu_vendor {
	GB_VENDOR_OTHER,
	GB_VENDOR_INTEL,
	GB_VENDOR_AMD,	/* AuthenticAMD and HygonGenuine (same RAPL MSRs) */
};

struct gb_cpu_id {
	enum gb_cpu_vendor vendor;
	unsigned family, model;
	char vendor_id[32];
};

/* First processor block of /proc/cpuinfo text. -EINVAL if no vendor_id. */
int gb_rapl_parse_cpuinfo(const char *text, struct gb_cpu_id *out);

/* ---- Names ----------------------------------------------------------- */

/* Kind of a RAPL zone from its powercap `name` ("package-0",
 * "package-1-die-0", "core", "uncore", "dram", "psys"); pkg and die get
 * the numbers it carries, else -1. -EINVAL for an unknown name. */
int gb_rapl_zone_name_parse(const char *name, enum gb_domain_kind *kind, int *pkg, int *die);

/* Our domain name: "package-0", "core-0", "dram-1-die-0", "psys" (pkg < 0
 * gives the bare kind). -ENAMETOOLONG if buf is too small. */
int gb_rapl_domain_name(enum gb_domain_kind kind, int pkg, int die, char *buf, size_t len);

/* Short kind word used in domain names: "package", "core", ... */
const char *gb_rapl_kind_word(enum gb_domain_kind kind);

/* A powercap directory name "<type>:<a>[:<b>]" whose type contains "rapl"
 * ("intel-rapl:0", "intel-rapl-mmio:0:1"). Returns the depth (1 or 2) and
 * fills type, a, b (b = -1 at depth 1); -EINVAL for anything else,
 * including the bare control-type directories "intel-rapl". */
int gb_rapl_zone_dir_parse(const char *dir, char *type, size_t type_len, int *a, int *b);

/* perf `power` PMU event name without "energy-" prefix handling:
 * "energy-pkg" -> package, "energy-cores" -> core, "energy-gpu" -> uncore,
 * "energy-ram" -> dram, "energy-psys" -> psys. -EINVAL otherwise. */
int gb_rapl_perf_event_kind(const char *event, enum gb_domain_kind *kind);

/* "event=0x02" (perf sysfs event spec) -> config. -EINVAL otherwise. */
int gb_rapl_perf_config_parse(const char *text, uint64_t *config);

/* ".scale" text ("2.3283064365386962890625e-10") and ".unit" ("Joules")
 * -> microjoules per count. -EINVAL for a bad number or a unit that is not
 * Joules. */
int gb_rapl_perf_scale_parse(const char *scale, const char *unit, double *uj_per_count);

/* A CPU list ("0", "0,24", "0-3,8") into cpus (at most max); returns the
 * count or -EINVAL. */
int gb_cpulist_parse(const char *text, int *cpus, size_t max);

/* ---- De-duplication of powercap zones -------------------------------- */

#define GB_RAPL_ROUNDS 3

struct gb_rapl_zone {
	char type[32];		/* control type: "intel-rapl", "intel-rapl-mmio" */
	int depth;		/* 1: package/die/psys zone, 2: subzone */
	int top;		/* depth 2: index of its depth-1 zone, else -1 */
	enum gb_domain_kind kind;
	char name[GB_NAME_MAX];	/* our domain name */
	uint64_t range_uj;
	/* energy_uj read GB_RAPL_ROUNDS times over all zones in turn, so two
	 * zones on the same counter agree in at least one round. */
	uint64_t energy_uj[GB_RAPL_ROUNDS];
	int dup_of;		/* set by dedupe: -1 kept, else the kept zone */
};

/* Mark duplicates in zones[0..n-1] (dup_of):
 * - the same domain name under two control types (intel-rapl vs
 *   intel-rapl-mmio): the intel-rapl one is kept;
 * - mirrored dies: two depth-1 zones of the same kind and range whose
 *   counters agree in some round (AMD dies that all read the package
 *   counter): the first is kept;
 * - a subzone of a dropped zone is dropped with it.
 * Returns the number of zones kept. */
size_t gb_rapl_zones_dedupe(struct gb_rapl_zone *zones, size_t n);

#endif
