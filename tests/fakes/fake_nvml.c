/*
 * A fake libnvidia-ml for the tests: see fake_nvml.h for how it is scripted.
 * Single-threaded use only, like the NVML source's read().
 */
#include "fakes/fake_nvml.h"
#include "meter/nvml_abi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_MAX_GPUS 8
#define FAKE_MAX_POINTS 16
#define FAKE_GIB (1024ULL * 1024 * 1024)

enum {
	F_NO_ENERGY = 1 << 0,
	F_NO_INSTANT = 1 << 1,
	F_NO_AVG = 1 << 2,
	F_NO_UTIL = 1 << 3,
	F_NO_MEM = 1 << 4,
	F_NO_CLOCK = 1 << 5,
	F_NO_TEMP = 1 << 6,
	F_NO_REASONS = 1 << 7,
	F_LOST = 1 << 8,
	F_INIT_FAIL = 1 << 9,
	F_OLD_FIELDS = 1 << 10,
	F_NO_MEM_V2 = 1 << 11,
};

struct nvmlDevice_st {
	unsigned index;
	unsigned flags;
	size_t npoints;
	double t_ms[FAKE_MAX_POINTS], p_mw[FAKE_MAX_POINTS];
};

struct fake_call {
	const char *fn;
	unsigned n;
	int fail_ret;
	unsigned fail_times;
};

static struct nvmlDevice_st devs[FAKE_MAX_GPUS];
static unsigned ngpus;
static int depth;
static double period_ms;
static unsigned long long reasons;
static double energy_scale = 1;
static uint64_t t0_ns, vtime_ns;
static int vtime_set;
static struct fake_call calls[48];

/* The NVML API as exported; prototypes keep -Wmissing-prototypes quiet. */
#ifdef FAKE_NVML_OLD_API
nvmlReturn_t nvmlInit(void);
nvmlReturn_t nvmlDeviceGetCount(unsigned int *n);
nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d);
nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d, unsigned long long *r);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m);
#else
nvmlReturn_t nvmlInit(void);
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlDeviceGetCount(unsigned int *n);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n);
nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d);
nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t d, unsigned long long *r);
nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d, unsigned long long *r);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m);
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m);
nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t d, int n, nvmlFieldValue_t *v);
nvmlReturn_t nvmlSystemGetNVMLVersion(char *buf, unsigned int len);
#endif
#ifndef FAKE_NVML_NO_NAME
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len);
#endif
#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len);
#endif
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t r);
nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj);
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u);
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, nvmlClockType_t type, unsigned int *mhz);
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, nvmlTemperatureSensors_t s, unsigned int *c);
nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned int len);

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double now_ms(void)
{
	return (double)(vtime_set ? vtime_ns : mono_ns() - t0_ns) / 1e6;
}

static struct fake_call *call_find(const char *fn)
{
	size_t i;

	for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		if (!calls[i].fn)
			calls[i].fn = fn;
		if (!strcmp(calls[i].fn, fn))
			return &calls[i];
	}
	abort();
}

/* Count the call; an injected failure wins over everything else. */
static int enter(const char *fn)
{
	struct fake_call *c = call_find(fn);

	c->n++;
	if (c->fail_times) {
		c->fail_times--;
		return c->fail_ret;
	}
	return NVML_SUCCESS;
}

#define ENTER(fn)                          \
	do {                               \
		int r_ = enter(fn);        \
		if (r_ != NVML_SUCCESS)    \
			return r_;         \
	} while (0)

/* Device calls: initialised, a handle of ours, the GPU not lost. */
#define DEV_ENTER(fn, d)                                             \
	do {                                                         \
		ENTER(fn);                                           \
		if (depth <= 0)                                      \
			return NVML_ERROR_UNINITIALIZED;             \
		if (!(d) || (d) < devs || (d) >= devs + ngpus)       \
			return NVML_ERROR_INVALID_ARGUMENT;          \
		if ((d)->flags & F_LOST)                             \
			return NVML_ERROR_GPU_IS_LOST;               \
	} while (0)

static unsigned parse_flags(const char *text)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {
		{ "full", 0 }, { "no_energy", F_NO_ENERGY }, { "no_instant", F_NO_INSTANT },
		{ "no_avg", F_NO_AVG }, { "no_util", F_NO_UTIL }, { "no_mem", F_NO_MEM },
		{ "no_clock", F_NO_CLOCK }, { "no_temp", F_NO_TEMP }, { "no_reasons", F_NO_REASONS },
		{ "lost", F_LOST }, { "init_fail", F_INIT_FAIL },
		{ "old_fields", F_OLD_FIELDS }, { "no_mem_v2", F_NO_MEM_V2 },
	};
	unsigned flags = 0;
	size_t i, len;

	while (text && *text) {
		len = strcspn(text, ",");
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == len && !strncmp(names[i].name, text, len))
				break;
		if (i == sizeof names / sizeof names[0]) {
			fprintf(stderr, "fake_nvml: unknown mode flag '%.*s'\n", (int)len, text);
			abort();
		}
		flags |= names[i].flag;
		text += len + (text[len] == ',');
	}
	return flags;
}

static void parse_profile(struct nvmlDevice_st *d, const char *text)
{
	char *end;

	d->npoints = 0;
	if (!text || !*text)
		text = "100000";
	if (!strchr(text, ':')) {
		d->t_ms[0] = 0;
		d->p_mw[0] = strtod(text, NULL);
		d->npoints = 1;
		return;
	}
	while (*text && d->npoints < FAKE_MAX_POINTS) {
		d->t_ms[d->npoints] = strtod(text, &end);
		if (*end != ':')
			abort();
		d->p_mw[d->npoints] = strtod(end + 1, &end);
		d->npoints++;
		text = end + (*end == ',');
	}
}

static const char *gpu_env(unsigned i, const char *what)
{
	char name[64];

	snprintf(name, sizeof name, "FAKE_NVML_GPU%u_%s", i, what);
	return getenv(name);
}

static double power_at(const struct nvmlDevice_st *d, double t)
{
	size_t k;

	if (t <= d->t_ms[0])
		return d->p_mw[0];
	for (k = 1; k < d->npoints; k++)
		if (t <= d->t_ms[k])
			return d->p_mw[k - 1] + (d->p_mw[k] - d->p_mw[k - 1]) *
						(t - d->t_ms[k - 1]) / (d->t_ms[k] - d->t_ms[k - 1]);
	return d->p_mw[d->npoints - 1];
}

/* Exact integral of the profile over [0, t] in mJ (mW x ms / 1000). */
static double energy_to(const struct nvmlDevice_st *d, double t)
{
	double e = 0, a = 0, b;
	size_t k;

	/* Breakpoints split [0, t] into pieces where power is linear. */
	for (k = 0; k <= d->npoints && a < t; k++) {
		b = k < d->npoints ? d->t_ms[k] : t;
		if (b > t)
			b = t;
		if (b > a) {
			e += (power_at(d, a) + power_at(d, b)) / 2 * (b - a);
			a = b;
		}
	}
	return e / 1000.0;
}

static nvmlReturn_t init_as(const char *fn)
{
	const char *env;
	unsigned i, all;

	memset(calls, 0, sizeof calls);
	ENTER(fn);
	env = getenv("FAKE_NVML_GPUS");
	ngpus = env ? (unsigned)atoi(env) : 1;
	if (ngpus > FAKE_MAX_GPUS)
		ngpus = FAKE_MAX_GPUS;
	all = parse_flags(getenv("FAKE_NVML_MODE"));
	if (all & F_INIT_FAIL)
		return NVML_ERROR_DRIVER_NOT_LOADED;
	env = getenv("FAKE_NVML_ENERGY_PERIOD_MS");
	period_ms = env ? strtod(env, NULL) : 100;
	env = getenv("FAKE_NVML_REASONS");
	reasons = env ? strtoull(env, NULL, 0) : 0x5;
	env = getenv("FAKE_NVML_ENERGY_SCALE");
	energy_scale = env ? strtod(env, NULL) : 1;
	for (i = 0; i < ngpus; i++) {
		memset(&devs[i], 0, sizeof devs[i]);
		devs[i].index = i;
		devs[i].flags = all | parse_flags(gpu_env(i, "MODE"));
		parse_profile(&devs[i], gpu_env(i, "POWER_MW") ? gpu_env(i, "POWER_MW")
							     : getenv("FAKE_NVML_POWER_MW"));
	}
	t0_ns = mono_ns();
	depth++;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit(void)
{
	return init_as("nvmlInit");
}

nvmlReturn_t nvmlShutdown(void)
{
	ENTER("nvmlShutdown");
	if (depth <= 0)
		return NVML_ERROR_UNINITIALIZED;
	depth--;
	return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t r)
{
	switch (r) {
	case NVML_SUCCESS: return "Success";
	case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
	case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
	case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
	case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
	case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
	default: return "Unknown Error";
	}
}

static nvmlReturn_t get_count(const char *fn, unsigned int *n)
{
	ENTER(fn);
	if (depth <= 0)
		return NVML_ERROR_UNINITIALIZED;
	*n = ngpus;
	return NVML_SUCCESS;
}

static nvmlReturn_t get_handle(const char *fn, unsigned int i, nvmlDevice_t *d)
{
	ENTER(fn);
	if (depth <= 0)
		return NVML_ERROR_UNINITIALIZED;
	if (i >= ngpus)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (devs[i].flags & F_LOST)
		return NVML_ERROR_GPU_IS_LOST;
	*d = &devs[i];
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int *n)
{
	return get_count("nvmlDeviceGetCount", n);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *d)
{
	return get_handle("nvmlDeviceGetHandleByIndex", i, d);
}

#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlInit_v2(void)
{
	return init_as("nvmlInit_v2");
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
	return get_count("nvmlDeviceGetCount_v2", n);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
	return get_handle("nvmlDeviceGetHandleByIndex_v2", i, d);
}
#endif

#ifndef FAKE_NVML_NO_NAME
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len)
{
	DEV_ENTER("nvmlDeviceGetName", d);
	if (len < 32)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	snprintf(buf, len, "Fake NVIDIA H100 80GB HBM3");
	return NVML_SUCCESS;
}
#endif

#ifndef FAKE_NVML_OLD_API
/* GPU i's UUID: "GPU-fa4e0000-0000-4000-8000-00000000000i". */
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len)
{
	DEV_ENTER("nvmlDeviceGetUUID", d);
	if (len < 41)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	snprintf(buf, len, "GPU-fa4e0000-0000-4000-8000-%012u", d->index);
	return NVML_SUCCESS;
}
#endif

uint64_t fake_nvml_energy_mj(unsigned i)
{
	double t = now_ms();

	if (i >= ngpus)
		return 0;
	if (period_ms > 0)
		t = floor(t / period_ms) * period_ms;
	return 5000000ULL + (uint64_t)floor(energy_scale * energy_to(&devs[i], t));
}

#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *info);
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *info);

static nvmlReturn_t running(const char *fn, nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *info)
{
	const char *p = getenv("FAKE_NVML_PROCS");
	unsigned n = 0, cap;
	char *end;

	DEV_ENTER(fn, d);
	cap = *count;
	while (p && *p) {
		unsigned long pid = strtoul(p, &end, 10);

		if (end == p)
			break;
		if (n < cap) {
			memset(&info[n], 0, sizeof info[n]);
			info[n].pid = (unsigned)pid;
			info[n].usedGpuMemory = 1ULL << 28;
		}
		n++;
		p = end + (*end == ',');
	}
	*count = n;
	return n > cap ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *info)
{
	return running("nvmlDeviceGetComputeRunningProcesses_v3", d, count, info);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *info)
{
	return running("nvmlDeviceGetComputeRunningProcesses_v2", d, count, info);
}
#endif

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj)
{
	DEV_ENTER("nvmlDeviceGetTotalEnergyConsumption", d);
	if (d->flags & F_NO_ENERGY)
		return NVML_ERROR_NOT_SUPPORTED;
	*mj = fake_nvml_energy_mj(d->index);
	return NVML_SUCCESS;
}

static unsigned avg_mw(const struct nvmlDevice_st *d)
{
	double t = now_ms(), a = t > 1000 ? t - 1000 : 0;

	if (t <= a)
		return (unsigned)power_at(d, t);
	return (unsigned)((energy_to(d, t) - energy_to(d, a)) * 1000.0 / (t - a));
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
	DEV_ENTER("nvmlDeviceGetPowerUsage", d);
	if (d->flags & F_NO_AVG)
		return NVML_ERROR_NOT_SUPPORTED;
	*mw = avg_mw(d);
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t d, int n, nvmlFieldValue_t *v)
{
	int k;

	DEV_ENTER("nvmlDeviceGetFieldValues", d);
	for (k = 0; k < n; k++) {
		v[k].timestamp = (long long)(now_ms() * 1000);
		v[k].valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
		v[k].nvmlReturn = NVML_SUCCESS;
		if (v[k].fieldId == NVML_FI_DEV_POWER_INSTANT && v[k].scopeId == NVML_POWER_SCOPE_GPU &&
		    !(d->flags & F_NO_INSTANT))
			v[k].value.uiVal = (unsigned)power_at(d, now_ms());
		else if (v[k].fieldId == NVML_FI_DEV_POWER_AVERAGE && !(d->flags & F_NO_AVG))
			v[k].value.uiVal = avg_mw(d);
		else if (d->flags & F_OLD_FIELDS)
			v[k].nvmlReturn = NVML_ERROR_INVALID_ARGUMENT;
		else
			v[k].nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
	}
	return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
	DEV_ENTER("nvmlDeviceGetUtilizationRates", d);
	if (d->flags & F_NO_UTIL)
		return NVML_ERROR_NOT_SUPPORTED;
	u->gpu = 40 + d->index;
	u->memory = 10 + d->index;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
	DEV_ENTER("nvmlDeviceGetMemoryInfo", d);
	if (d->flags & F_NO_MEM)
		return NVML_ERROR_NOT_SUPPORTED;
	m->total = 80 * FAKE_GIB;
	m->used = (1 + d->index) * FAKE_GIB + FAKE_GIB / 2; /* v1 counts reserved as used */
	m->free = m->total - m->used;
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, nvmlMemory_v2_t *m)
{
	DEV_ENTER("nvmlDeviceGetMemoryInfo_v2", d);
	if (m->version != nvmlMemory_v2)
		return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	if (d->flags & (F_NO_MEM | F_NO_MEM_V2))
		return NVML_ERROR_NOT_SUPPORTED;
	m->total = 80 * FAKE_GIB;
	m->reserved = FAKE_GIB / 2;
	m->used = (1 + d->index) * FAKE_GIB;
	m->free = m->total - m->used - m->reserved;
	return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, nvmlClockType_t type, unsigned int *mhz)
{
	DEV_ENTER("nvmlDeviceGetClockInfo", d);
	if (d->flags & F_NO_CLOCK)
		return NVML_ERROR_NOT_SUPPORTED;
	if (type != NVML_CLOCK_SM)
		return NVML_ERROR_INVALID_ARGUMENT;
	*mhz = 1755 + d->index;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, nvmlTemperatureSensors_t s, unsigned int *c)
{
	DEV_ENTER("nvmlDeviceGetTemperature", d);
	if (d->flags & F_NO_TEMP)
		return NVML_ERROR_NOT_SUPPORTED;
	if (s != NVML_TEMPERATURE_GPU)
		return NVML_ERROR_INVALID_ARGUMENT;
	*c = 33 + d->index;
	return NVML_SUCCESS;
}

static nvmlReturn_t get_reasons(nvmlDevice_t d, unsigned long long *r)
{
	if (d->flags & F_NO_REASONS)
		return NVML_ERROR_NOT_SUPPORTED;
	*r = reasons;
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t d, unsigned long long *r)
{
	DEV_ENTER("nvmlDeviceGetCurrentClocksEventReasons", d);
	return get_reasons(d, r);
}
#endif

nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t d, unsigned long long *r)
{
	DEV_ENTER("nvmlDeviceGetCurrentClocksThrottleReasons", d);
	return get_reasons(d, r);
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned int len)
{
	ENTER("nvmlSystemGetDriverVersion");
	snprintf(buf, len, "580.159.04");
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OLD_API
nvmlReturn_t nvmlSystemGetNVMLVersion(char *buf, unsigned int len)
{
	ENTER("nvmlSystemGetNVMLVersion");
	snprintf(buf, len, "13.580.159.04");
	return NVML_SUCCESS;
}
#endif

void fake_nvml_set_time_ns(uint64_t t_ns)
{
	vtime_ns = t_ns;
	vtime_set = 1;
}

unsigned fake_nvml_calls(const char *fn)
{
	return call_find(fn)->n;
}

void fake_nvml_fail(const char *fn, int nvml_return, unsigned times)
{
	struct fake_call *c = call_find(fn);

	c->fail_ret = nvml_return;
	c->fail_times = times;
}

int fake_nvml_init_depth(void)
{
	return depth;
}
