/*
 * NVML source self-test for a machine with a real NVIDIA GPU (the H100).
 * Built and run by bench/device/nvml_selftest.sh; needs no make, no torch,
 * and leaves the GPU idle. Prints, for every GPU:
 *
 *   1. the source's description and domains (method, telemetry bits);
 *   2. two reads 1 s apart, every field with its validity, and the energy
 *      between them next to an independent reading of the NVML counter;
 *   3. how often the energy counter and the instant power actually change;
 *   4. what each NVML call and one read() of the source cost;
 *   5. counter energy versus the trapezoid of sampled instant (and average)
 *      power over SECONDS of idle at 20 ms, as the sampler would do it.
 *
 * usage: nvml_selftest [SECONDS]     (GREENBENCH_NVML_LIB may name the library)
 * Exit status 0 when the source opened and every GPU read valid energy.
 */
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/time.h"
#include "meter/nvml_abi.h"
#include "meter/nvml_decode.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct gb_source_ops gb_source_nvml;

#define MAX_GPUS 16

/* An independent handle on NVML, to check the source against. */
static struct {
	void *dl;
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*handle)(unsigned, nvmlDevice_t *);
	nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long *);
	nvmlReturn_t (*power)(nvmlDevice_t, unsigned *);
	nvmlReturn_t (*fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
	nvmlReturn_t (*util)(nvmlDevice_t, nvmlUtilization_t *);
	nvmlReturn_t (*mem2)(nvmlDevice_t, nvmlMemory_v2_t *);
	nvmlReturn_t (*clock)(nvmlDevice_t, nvmlClockType_t, unsigned *);
	nvmlReturn_t (*temp)(nvmlDevice_t, nvmlTemperatureSensors_t, unsigned *);
	nvmlReturn_t (*reasons)(nvmlDevice_t, unsigned long long *);
} nv;

static void *sym(const char *name)
{
	void *p = dlsym(nv.dl, name);

	if (!p)
		printf("  (independent handle: %s missing)\n", name);
	return p;
}

static int nv_direct_open(void)
{
	const char *lib = getenv("GREENBENCH_NVML_LIB");

	nv.dl = dlopen(lib && *lib ? lib : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!nv.dl)
		return -1;
	*(void **)&nv.init = sym("nvmlInit_v2");
	*(void **)&nv.handle = sym("nvmlDeviceGetHandleByIndex_v2");
	*(void **)&nv.energy = sym("nvmlDeviceGetTotalEnergyConsumption");
	*(void **)&nv.power = sym("nvmlDeviceGetPowerUsage");
	*(void **)&nv.fields = sym("nvmlDeviceGetFieldValues");
	*(void **)&nv.util = sym("nvmlDeviceGetUtilizationRates");
	*(void **)&nv.mem2 = sym("nvmlDeviceGetMemoryInfo_v2");
	*(void **)&nv.clock = sym("nvmlDeviceGetClockInfo");
	*(void **)&nv.temp = sym("nvmlDeviceGetTemperature");
	*(void **)&nv.reasons = sym("nvmlDeviceGetCurrentClocksEventReasons");
	if (!nv.init || !nv.handle || nv.init() != NVML_SUCCESS)
		return -1;
	return 0;
}

static const char *method_name(enum gb_energy_method m)
{
	return m == GB_METHOD_COUNTER ? "counter" : m == GB_METHOD_INTEGRATED ? "integrated"
						: m == GB_METHOD_ESTIMATED ? "estimated" : "none";
}

static void print_bits(uint32_t b)
{
	static const char *const names[] = { "energy", "power", "power_avg", "util_gpu", "util_mem",
					     "mem", "sm_clock", "temp", "throttle" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (b & (1u << i))
			printf(" %s", names[i]);
	printf("\n");
}

#define FIELD(bit, fmt, ...)                                                        \
	do {                                                                        \
		if (s->valid & (bit))                                               \
			printf("    %-18s " fmt "\n", name, __VA_ARGS__);               \
		else                                                                \
			printf("    %-18s <not valid>\n", name);                        \
	} while (0)

static void print_sample(const struct gb_sample *s)
{
	char reasons[256];
	const char *name;

	name = "energy_uj";
	FIELD(GB_SAMPLE_ENERGY, "%llu", (unsigned long long)s->energy_uj);
	name = "power_mw (instant)";
	FIELD(GB_SAMPLE_POWER, "%u", s->power_mw);
	name = "power_avg_mw (1 s)";
	FIELD(GB_SAMPLE_POWER_AVG, "%u", s->power_avg_mw);
	name = "util_gpu_pct";
	FIELD(GB_SAMPLE_UTIL_GPU, "%u", s->util_gpu_pct);
	name = "util_mem_pct";
	FIELD(GB_SAMPLE_UTIL_MEM, "%u", s->util_mem_pct);
	name = "mem used/total";
	FIELD(GB_SAMPLE_MEM, "%llu / %llu bytes", (unsigned long long)s->mem_used_bytes,
	      (unsigned long long)s->mem_total_bytes);
	name = "sm_clock_mhz";
	FIELD(GB_SAMPLE_SM_CLOCK, "%u", s->sm_clock_mhz);
	name = "temp_c";
	FIELD(GB_SAMPLE_TEMP, "%d", s->temp_c);
	gb_nvml_reasons_format(s->throttle_reasons, reasons, sizeof reasons);
	name = "throttle_reasons";
	FIELD(GB_SAMPLE_THROTTLE, "0x%llx (%s)", (unsigned long long)s->throttle_reasons, reasons);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define NCOST 200

/* Median cost of one call, in microseconds. */
#define COST(label, call)                                                           \
	do {                                                                        \
		uint64_t c_[NCOST];                                                 \
		nvmlReturn_t r_ = NVML_SUCCESS;                                     \
		for (int k_ = 0; k_ < NCOST; k_++) {                                \
			uint64_t t_ = gb_now_ns();                                  \
			r_ = (call);                                                \
			c_[k_] = gb_now_ns() - t_;                                  \
		}                                                                   \
		qsort(c_, NCOST, sizeof c_[0], cmp_u64);                            \
		printf("    %-40s median %7.1f us, p90 %7.1f us%s\n", label, c_[NCOST / 2] / 1e3, \
		       c_[NCOST * 9 / 10] / 1e3, r_ == NVML_SUCCESS ? "" : "  (call fails)"); \
	} while (0)

static void update_periods(nvmlDevice_t dev)
{
	uint64_t t0 = gb_now_ns(), t, last_change = 0, gaps[4096];
	unsigned long long e, prev_e = 0;
	unsigned long long prev_ts = 0;
	size_t ngaps = 0, changes = 0, pchanges = 0;
	nvmlFieldValue_t fv;

	/* Poll for 2 s at about 1 ms: when does each value actually move? */
	while ((t = gb_now_ns()) - t0 < 2 * GB_NS_PER_S) {
		if (nv.energy && nv.energy(dev, &e) == NVML_SUCCESS) {
			if (prev_e && e != prev_e) {
				if (last_change && ngaps < sizeof gaps / sizeof gaps[0])
					gaps[ngaps++] = t - last_change;
				last_change = t;
				changes++;
			}
			prev_e = e;
		}
		if (nv.fields) {
			memset(&fv, 0, sizeof fv);
			fv.fieldId = NVML_FI_DEV_POWER_INSTANT;
			if (nv.fields(dev, 1, &fv) == NVML_SUCCESS && fv.nvmlReturn == NVML_SUCCESS) {
				if (prev_ts && (unsigned long long)fv.timestamp != prev_ts)
					pchanges++;
				prev_ts = (unsigned long long)fv.timestamp;
			}
		}
		gb_sleep_until_ns(t + GB_NS_PER_MS);
	}
	if (ngaps) {
		qsort(gaps, ngaps, sizeof gaps[0], cmp_u64);
		printf("    energy counter: %zu changes in 2 s; interval median %.1f ms, min %.1f, max %.1f\n",
		       changes, gaps[ngaps / 2] / 1e6, gaps[0] / 1e6, gaps[ngaps - 1] / 1e6);
	} else {
		printf("    energy counter: %zu changes in 2 s\n", changes);
	}
	printf("    instant power field: timestamp changed %zu times in 2 s\n", pchanges);
}

static void costs(void *st, nvmlDevice_t dev, size_t ndom)
{
	struct gb_sample s[MAX_GPUS];
	unsigned long long ull;
	unsigned u;
	nvmlFieldValue_t fv;
	nvmlUtilization_t ut;
	nvmlMemory_v2_t m2;

	memset(&fv, 0, sizeof fv);
	fv.fieldId = NVML_FI_DEV_POWER_INSTANT;
	memset(&m2, 0, sizeof m2);
	m2.version = nvmlMemory_v2;
	if (nv.energy)
		COST("nvmlDeviceGetTotalEnergyConsumption", nv.energy(dev, &ull));
	if (nv.fields)
		COST("nvmlDeviceGetFieldValues(POWER_INSTANT)", nv.fields(dev, 1, &fv));
	if (nv.power)
		COST("nvmlDeviceGetPowerUsage", nv.power(dev, &u));
	if (nv.util)
		COST("nvmlDeviceGetUtilizationRates", nv.util(dev, &ut));
	if (nv.mem2)
		COST("nvmlDeviceGetMemoryInfo_v2", nv.mem2(dev, &m2));
	if (nv.clock)
		COST("nvmlDeviceGetClockInfo(SM)", nv.clock(dev, NVML_CLOCK_SM, &u));
	if (nv.temp)
		COST("nvmlDeviceGetTemperature(GPU)", nv.temp(dev, NVML_TEMPERATURE_GPU, &u));
	if (nv.reasons)
		COST("nvmlDeviceGetCurrentClocksEventReasons", nv.reasons(dev, &ull));
	/* The source's read() for all GPUs, 20 ms apart as the sampler does
	 * it, so that the 100 ms slow-telemetry refresh is included. */
	{
		uint64_t c[50], next = gb_now_ns();
		int k;

		for (k = 0; k < 50; k++) {
			uint64_t t;

			gb_sleep_until_ns(next);
			t = gb_now_ns();
			gb_source_nvml.read(st, t, s);
			c[k] = gb_now_ns() - t;
			next += 20 * GB_NS_PER_MS;
		}
		qsort(c, 50, sizeof c[0], cmp_u64);
		printf("    source read() of %zu GPU(s) every 20 ms: median %.1f us, max %.1f us "
		       "(= %.2f%% of a core at 20 ms)\n", ndom, c[25] / 1e3, c[49] / 1e3,
		       (double)c[25] / (20e6) * 100);
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5.0;
	struct gb_meter_config cfg;
	struct gb_domain_info di[MAX_GPUS];
	struct gb_sample a[MAX_GPUS], b[MAX_GPUS], s[MAX_GPUS];
	struct gb_nvml_integrator ii[MAX_GPUS], ia[MAX_GPUS];
	unsigned long long da[MAX_GPUS], db[MAX_GPUS];
	nvmlDevice_t dev[MAX_GPUS];
	char desc[2048];
	void *st = NULL;
	uint64_t t, t0, next;
	size_t n, i;
	int direct, bad = 0, okd[MAX_GPUS];

	memset(&cfg, 0, sizeof cfg);
	if (gb_source_nvml.open(&cfg, &st) < 0) {
		printf("FAIL: nvml source did not open: %s\n", gb_error_msg());
		return 1;
	}
	n = gb_source_nvml.domain_count(st);
	if (n > MAX_GPUS)
		n = MAX_GPUS;
	gb_source_nvml.describe(st, desc, sizeof desc);
	printf("== 1. source\n  %s\n", desc);
	direct = nv_direct_open() == 0;
	for (i = 0; i < n; i++) {
		gb_source_nvml.domain_info(st, i, &di[i]);
		printf("  %s: '%s' method %s, device %d, telemetry:", di[i].name, di[i].label,
		       method_name(di[i].method), di[i].device_index);
		print_bits(di[i].telemetry);
		dev[i] = NULL;
		if (direct && nv.handle((unsigned)di[i].device_index, &dev[i]) != NVML_SUCCESS)
			dev[i] = NULL;
	}
	if (!direct)
		printf("  (no independent NVML handle: cross-checks skipped)\n");

	printf("\n== 2. two reads 1 s apart (GPU idle)\n");
	for (i = 0; i < n; i++)
		okd[i] = dev[i] && nv.energy && nv.energy(dev[i], &da[i]) == NVML_SUCCESS;
	t0 = gb_now_ns();
	gb_source_nvml.read(st, t0, a);
	gb_sleep_until_ns(t0 + GB_NS_PER_S);
	t = gb_now_ns();
	gb_source_nvml.read(st, t, b);
	for (i = 0; i < n; i++)
		okd[i] = okd[i] && nv.energy(dev[i], &db[i]) == NVML_SUCCESS;
	for (i = 0; i < n; i++) {
		printf("  %s, second read:\n", di[i].name);
		print_sample(&b[i]);
		if (a[i].valid & b[i].valid & GB_SAMPLE_ENERGY) {
			double j = (double)(b[i].energy_uj - a[i].energy_uj) / 1e6;

			printf("    energy between reads: %.3f J over %.3f s = %.1f W mean", j,
			       (double)(t - t0) / 1e9, j / ((double)(t - t0) / 1e9));
			if (okd[i])
				printf("; independent counter %.3f J", (double)(db[i] - da[i]) / 1e3);
			printf("\n");
		} else {
			printf("    FAIL: no valid energy in both reads\n");
			bad = 1;
		}
	}

	printf("\n== 3. update periods (polled at ~1 ms for 2 s)\n");
	for (i = 0; i < n; i++)
		if (dev[i]) {
			printf("  %s:\n", di[i].name);
			update_periods(dev[i]);
		}

	printf("\n== 4. costs\n");
	if (n && dev[0])
		costs(st, dev[0], n);

	printf("\n== 5. counter vs integrated power over %.1f s at 20 ms (idle)\n", secs);
	memset(ii, 0, sizeof ii);
	memset(ia, 0, sizeof ia);
	t0 = gb_now_ns();
	gb_source_nvml.read(st, t0, a);
	for (next = t0;; next += 20 * GB_NS_PER_MS) {
		gb_sleep_until_ns(next);
		t = gb_now_ns();
		gb_source_nvml.read(st, t, s);
		for (i = 0; i < n; i++) {
			if (s[i].valid & GB_SAMPLE_POWER)
				gb_nvml_integrator_add(&ii[i], t, s[i].power_mw);
			if (s[i].valid & GB_SAMPLE_POWER_AVG)
				gb_nvml_integrator_add(&ia[i], t, s[i].power_avg_mw);
		}
		if (t - t0 >= (uint64_t)(secs * 1e9))
			break;
	}
	for (i = 0; i < n; i++) {
		double e = (double)(s[i].energy_uj - a[i].energy_uj) / 1e6;

		printf("  %s: %s energy %.2f J", di[i].name, method_name(di[i].method), e);
		if (ii[i].have)
			printf("; instant power integrated %.2f J (%+.2f%%)", ii[i].energy_uj / 1e6,
			       (ii[i].energy_uj / 1e6 - e) / e * 100);
		if (ia[i].have)
			printf("; 1 s average integrated %.2f J (%+.2f%%)", ia[i].energy_uj / 1e6,
			       (ia[i].energy_uj / 1e6 - e) / e * 100);
		printf("\n");
	}
	gb_source_nvml.close(st);
	printf("\n%s\n", bad ? "RESULT: FAIL" : "RESULT: ok");
	return bad;
}
