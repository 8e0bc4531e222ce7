/*
 * NVIDIA GPUs through NVML, loaded with dlopen() so that neither an NVIDIA
 * header nor the library is needed to build (nvtop). One domain "gpu<N>" per
 * GPU, N being the NVML index (PCI order, which CUDA_VISIBLE_DEVICES does
 * not change).
 *
 * Energy: the total-energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ)
 * where the GPU has it, method "counter"; else the trapezoid integral of the
 * sampled power, method "integrated", labelled so. Power: the instant field
 * (NVML_FI_DEV_POWER_INSTANT) -> power_mw, and nvmlDeviceGetPowerUsage, a
 * 1 s average on Ampere and newer -> power_avg_mw; integration prefers the
 * instant value. The slower telemetry (utilization, memory, SM clock,
 * temperature, clock-event reasons) is refreshed at most every
 * NV_SLOW_PERIOD_NS: the driver updates it no faster, and it keeps a 20 ms
 * sampler cheap.
 *
 * Every NVML call goes through nv_check() (LIKWID): the return code becomes
 * -errno plus a message with nvmlErrorString. A query that can never work
 * (not supported, no such function, no permission) retires its telemetry bit
 * for that GPU, so it is not asked again on every sample.
 */
#include "greenbench/meter.h"
#include "greenbench/error.h"
#include "greenbench/time.h"
#include "meter/nvml_abi.h"
#include "meter/nvml_decode.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NV_SLOW_PERIOD_NS (100 * GB_NS_PER_MS)
/* nvmlDeviceGetTotalEnergyConsumption costs ~2.8 ms of CPU per call on the
 * H200 driver 580 (measured, docs/perf.md) while every other query costs
 * under 5 us. The counter only moves every ~100 ms anyway, so the sampler
 * reads it at most once a second and marks (phase boundaries) always do:
 * phase energy stays exact to the counter, the sampler stays under 1% of a
 * core. */
#define NV_COUNTER_POLL_NS (1000 * GB_NS_PER_MS)
/* Integration needs points; the counter needs none (64-bit mJ never wraps). */
#define NV_INTEGRATE_MAX_INTERVAL_NS (100 * GB_NS_PER_MS)

/* NVML_DEVICE_UUID_V2_BUFFER_SIZE */
#define NV_UUID_LEN 96

#define NV_SLOW_BITS (GB_SAMPLE_UTIL_GPU | GB_SAMPLE_UTIL_MEM | GB_SAMPLE_MEM | \
		      GB_SAMPLE_SM_CLOCK | GB_SAMPLE_TEMP | GB_SAMPLE_THROTTLE)

/* Resolved entry points; each slot has a _name: the symbol actually found. */
struct nv_api {
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	nvmlReturn_t (*get_count)(unsigned int *);
	nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*get_name)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*get_uuid)(nvmlDevice_t, char *, unsigned int);
	const char *(*error_string)(nvmlReturn_t);
	nvmlReturn_t (*get_energy)(nvmlDevice_t, unsigned long long *);
	nvmlReturn_t (*get_power)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t (*get_fields)(nvmlDevice_t, int, nvmlFieldValue_t *);
	nvmlReturn_t (*get_util)(nvmlDevice_t, nvmlUtilization_t *);
	nvmlReturn_t (*get_memory_v2)(nvmlDevice_t, nvmlMemory_v2_t *);
	nvmlReturn_t (*get_memory)(nvmlDevice_t, nvmlMemory_t *);
	nvmlReturn_t (*get_clock)(nvmlDevice_t, nvmlClockType_t, unsigned int *);
	nvmlReturn_t (*get_temp)(nvmlDevice_t, nvmlTemperatureSensors_t, unsigned int *);
	nvmlReturn_t (*get_reasons)(nvmlDevice_t, unsigned long long *);
	nvmlReturn_t (*driver_version)(char *, unsigned int);
	nvmlReturn_t (*nvml_version)(char *, unsigned int);
	nvmlReturn_t (*compute_procs)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_t *);
	nvmlReturn_t (*graphics_procs)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_t *);
	const char *init_name, *shutdown_name, *get_count_name, *get_handle_name,
		*get_name_name, *get_uuid_name, *error_string_name, *get_energy_name, *get_power_name,
		*get_fields_name, *get_util_name, *get_memory_v2_name, *get_memory_name,
		*get_clock_name, *get_temp_name, *get_reasons_name, *driver_version_name,
		*nvml_version_name, *compute_procs_name, *graphics_procs_name;
};

struct nv_sym {
	size_t fn_off, name_off;
	int required;
	const char *names[3];	/* newest version first */
};

#define NV_SYM(slot, req, ...) \
	{ offsetof(struct nv_api, slot), offsetof(struct nv_api, slot##_name), req, { __VA_ARGS__ } }

static const struct nv_sym nv_syms[] = {
	NV_SYM(init, 1, "nvmlInit_v2", "nvmlInit"),
	NV_SYM(shutdown, 1, "nvmlShutdown"),
	NV_SYM(get_count, 1, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"),
	NV_SYM(get_handle, 1, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"),
	NV_SYM(get_name, 1, "nvmlDeviceGetName"),
	NV_SYM(get_uuid, 0, "nvmlDeviceGetUUID"),
	NV_SYM(error_string, 1, "nvmlErrorString"),
	NV_SYM(get_energy, 0, "nvmlDeviceGetTotalEnergyConsumption"),
	NV_SYM(get_power, 0, "nvmlDeviceGetPowerUsage"),
	NV_SYM(get_fields, 0, "nvmlDeviceGetFieldValues"),
	NV_SYM(get_util, 0, "nvmlDeviceGetUtilizationRates"),
	NV_SYM(get_memory_v2, 0, "nvmlDeviceGetMemoryInfo_v2"),
	NV_SYM(get_memory, 0, "nvmlDeviceGetMemoryInfo"),
	NV_SYM(get_clock, 0, "nvmlDeviceGetClockInfo"),
	NV_SYM(get_temp, 0, "nvmlDeviceGetTemperature"),
	NV_SYM(get_reasons, 0, "nvmlDeviceGetCurrentClocksEventReasons",
	       "nvmlDeviceGetCurrentClocksThrottleReasons"),
	NV_SYM(driver_version, 0, "nvmlSystemGetDriverVersion"),
	NV_SYM(nvml_version, 0, "nvmlSystemGetNVMLVersion"),
	/* _v2 and _v3 share nvmlProcessInfo_t; the unsuffixed v1 does not. */
	NV_SYM(compute_procs, 0, "nvmlDeviceGetComputeRunningProcesses_v3",
	       "nvmlDeviceGetComputeRunningProcesses_v2"),
	NV_SYM(graphics_procs, 0, "nvmlDeviceGetGraphicsRunningProcesses_v3",
	       "nvmlDeviceGetGraphicsRunningProcesses_v2"),
};

struct nv_gpu {
	nvmlDevice_t dev;
	unsigned index;
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
	char uuid[NV_UUID_LEN];	/* "" when NVML gives none */
	uint32_t supported;	/* GB_SAMPLE_* bits still worth asking for */
	enum gb_energy_method method;
	struct gb_nvml_counter counter;
	uint64_t counter_t_ns;	/* when the counter was last read */
	int counter_valid;	/* the last counter read succeeded */
	struct gb_nvml_integrator integ;
	struct gb_sample slow;	/* last slow telemetry, with its own valid bits */
	uint64_t slow_t_ns;
	int have_slow;
	int mem_v1;		/* nvmlDeviceGetMemoryInfo_v2 refused: use v1 */
};

struct nv_state {
	void *dl;
	char lib[512];
	int inited;
	struct nv_api api;
	char driver[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE]; /* "unknown" for messages */
	int driver_known;	/* driver holds the version NVML gave */
	char version[NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE];
	struct nv_gpu *gpus;
	size_t ngpus;
	char skipped[256];	/* GPUs NVML lists but we could not open */
};

static const char *nv_strerror(const struct nv_state *s, nvmlReturn_t r)
{
	const char *msg = s->api.error_string ? s->api.error_string(r) : NULL;

	return msg && *msg ? msg : gb_nvml_return_name(r);
}

/* The one wrapper for NVML return codes. g and bit: the telemetry this call
 * provides, retired for good when r says it can never work. */
static int nv_check(struct nv_state *s, struct nv_gpu *g, uint32_t bit, nvmlReturn_t r,
		    const char *fn)
{
	const char *hint;

	if (r == NVML_SUCCESS)
		return 0;
	if (g && gb_nvml_return_is_permanent(r))
		g->supported &= ~bit;
	hint = gb_nvml_return_hint(r);
	return gb_error_set(gb_nvml_errno(r), "NVML: %s: %s%s%s", fn, nv_strerror(s, r),
			    hint ? "; " : "", hint ? hint : "");
}

#define NV_CALL(s, g, bit, slot, ...) \
	nv_check((s), (g), (bit), (s)->api.slot(__VA_ARGS__), (s)->api.slot##_name)

static int nv_load(struct nv_state *s, const struct gb_meter_config *cfg)
{
	static const char *const defaults[] = { "libnvidia-ml.so.1", "libnvidia-ml.so" };
	const char *path = cfg->nvml_lib, *env = getenv("GREENBENCH_NVML_LIB");
	char first_err[512] = "";
	size_t i, k;

	if (!path && env && *env)
		path = env;
	if (path) {
		snprintf(s->lib, sizeof s->lib, "%s", path);
		s->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!s->dl)
			return gb_error_set(-ENOENT, "cannot load NVML library '%s': %s", path, dlerror());
	} else {
		for (i = 0; i < sizeof defaults / sizeof defaults[0] && !s->dl; i++) {
			snprintf(s->lib, sizeof s->lib, "%s", defaults[i]);
			s->dl = dlopen(defaults[i], RTLD_NOW | RTLD_LOCAL);
			if (!s->dl && !first_err[0])
				snprintf(first_err, sizeof first_err, "%s", dlerror());
		}
		if (!s->dl)
			return gb_error_set(-ENOENT, "NVML not found (%s): install the NVIDIA driver, "
					    "or set GREENBENCH_NVML_LIB to libnvidia-ml.so.1", first_err);
	}
	for (i = 0; i < sizeof nv_syms / sizeof nv_syms[0]; i++) {
		const struct nv_sym *y = &nv_syms[i];
		void *fn = NULL;

		for (k = 0; k < 3 && y->names[k] && !fn; k++) {
			fn = dlsym(s->dl, y->names[k]);
			if (fn)
				*(const char **)((char *)&s->api + y->name_off) = y->names[k];
		}
		/* POSIX: a dlsym() result is stored into a function pointer
		 * through its object representation. */
		*(void **)((char *)&s->api + y->fn_off) = fn;
		if (!fn && y->required)
			return gb_error_set(-ENOSYS, "NVML library '%s' lacks %s: not NVML, or too old",
					    s->lib, y->names[0]);
	}
	return 0;
}

static void nv_read_power(struct nv_state *s, struct nv_gpu *g, struct gb_sample *out)
{
	nvmlFieldValue_t fv;
	unsigned int mw;
	uint64_t v;

	if (g->supported & GB_SAMPLE_POWER) {
		memset(&fv, 0, sizeof fv);
		fv.fieldId = NVML_FI_DEV_POWER_INSTANT;
		fv.scopeId = NVML_POWER_SCOPE_GPU;
		/* Drivers older than the field answer "invalid argument" for
		 * its id: as permanent as "not supported". */
		if (NV_CALL(s, g, GB_SAMPLE_POWER, get_fields, g->dev, 1, &fv) == 0 &&
		    nv_check(s, g, GB_SAMPLE_POWER,
			     fv.nvmlReturn == NVML_ERROR_INVALID_ARGUMENT ? NVML_ERROR_NOT_SUPPORTED : fv.nvmlReturn,
			     "nvmlDeviceGetFieldValues(POWER_INSTANT)") == 0 &&
		    gb_nvml_field_u64(&fv, &v) == 0 && v <= UINT32_MAX) {
			out->power_mw = (uint32_t)v;
			out->valid |= GB_SAMPLE_POWER;
		}
	}
	if ((g->supported & GB_SAMPLE_POWER_AVG) &&
	    NV_CALL(s, g, GB_SAMPLE_POWER_AVG, get_power, g->dev, &mw) == 0) {
		out->power_avg_mw = mw;
		out->valid |= GB_SAMPLE_POWER_AVG;
	}
}

static void nv_read_slow(struct nv_state *s, struct nv_gpu *g, struct gb_sample *o)
{
	nvmlUtilization_t u;
	nvmlMemory_v2_t m2;
	nvmlMemory_t m;
	unsigned int v;
	unsigned long long bits;

	memset(o, 0, sizeof *o);
	if ((g->supported & GB_SAMPLE_UTIL_GPU) &&
	    NV_CALL(s, g, GB_SAMPLE_UTIL_GPU | GB_SAMPLE_UTIL_MEM, get_util, g->dev, &u) == 0) {
		o->util_gpu_pct = u.gpu;
		o->util_mem_pct = u.memory;
		o->valid |= GB_SAMPLE_UTIL_GPU | GB_SAMPLE_UTIL_MEM;
	}
	if ((g->supported & GB_SAMPLE_MEM) && s->api.get_memory_v2 && !g->mem_v1) {
		memset(&m2, 0, sizeof m2);
		m2.version = nvmlMemory_v2;
		if (NV_CALL(s, g, GB_SAMPLE_MEM, get_memory_v2, g->dev, &m2) == 0) {
			o->mem_used_bytes = m2.used;
			o->mem_total_bytes = m2.total;
			o->valid |= GB_SAMPLE_MEM;
		} else if (!(g->supported & GB_SAMPLE_MEM) && s->api.get_memory) {
			/* _v2 refused for good (a GPU or vGPU without it):
			 * the v1 call may still work. */
			g->mem_v1 = 1;
			g->supported |= GB_SAMPLE_MEM;
		}
	}
	if ((g->supported & GB_SAMPLE_MEM) && (!s->api.get_memory_v2 || g->mem_v1)) {
		if (NV_CALL(s, g, GB_SAMPLE_MEM, get_memory, g->dev, &m) == 0) {
			o->mem_used_bytes = m.used;
			o->mem_total_bytes = m.total;
			o->valid |= GB_SAMPLE_MEM;
		}
	}
	if ((g->supported & GB_SAMPLE_SM_CLOCK) &&
	    NV_CALL(s, g, GB_SAMPLE_SM_CLOCK, get_clock, g->dev, NVML_CLOCK_SM, &v) == 0) {
		o->sm_clock_mhz = v;
		o->valid |= GB_SAMPLE_SM_CLOCK;
	}
	if ((g->supported & GB_SAMPLE_TEMP) &&
	    NV_CALL(s, g, GB_SAMPLE_TEMP, get_temp, g->dev, NVML_TEMPERATURE_GPU, &v) == 0) {
		o->temp_c = (int32_t)v;
		o->valid |= GB_SAMPLE_TEMP;
	}
	if ((g->supported & GB_SAMPLE_THROTTLE) &&
	    NV_CALL(s, g, GB_SAMPLE_THROTTLE, get_reasons, g->dev, &bits) == 0) {
		o->throttle_reasons = bits;
		o->valid |= GB_SAMPLE_THROTTLE;
	}
}

/* One GPU at t_ns. integrate = 0 for the probe at open, whose clock is not
 * the caller's: integration starts at the first read(). fresh = 1 reads the
 * energy counter now (marks); else a reading under NV_COUNTER_POLL_NS old
 * is reused. */
static void nv_read_gpu(struct nv_state *s, struct nv_gpu *g, uint64_t t_ns, int integrate,
			int fresh, struct gb_sample *out)
{
	unsigned long long mj;
	uint32_t p;

	memset(out, 0, sizeof *out);
	if ((g->supported & GB_SAMPLE_ENERGY) && g->method == GB_METHOD_COUNTER) {
		/* A failed read is retried at the next sample, not a second later. */
		if (fresh || !g->counter_valid || t_ns < g->counter_t_ns ||
		    t_ns - g->counter_t_ns >= NV_COUNTER_POLL_NS) {
			g->counter_valid = NV_CALL(s, g, GB_SAMPLE_ENERGY, get_energy, g->dev, &mj) == 0;
			if (g->counter_valid) {
				gb_nvml_counter_update(&g->counter, mj);
				g->counter_t_ns = t_ns;
			}
		}
		if (g->counter_valid) {
			out->energy_uj = gb_nvml_counter_energy_uj(&g->counter);
			out->valid |= GB_SAMPLE_ENERGY;
		}
	}
	nv_read_power(s, g, out);
	if (g->method == GB_METHOD_INTEGRATED && integrate &&
	    (out->valid & (GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG))) {
		p = (out->valid & GB_SAMPLE_POWER) ? out->power_mw : out->power_avg_mw;
		gb_nvml_integrator_add(&g->integ, t_ns, p);
		out->energy_uj = (uint64_t)g->integ.energy_uj;
		out->valid |= GB_SAMPLE_ENERGY;
	}
	if (g->supported & NV_SLOW_BITS) {
		if (!g->have_slow || t_ns < g->slow_t_ns || t_ns - g->slow_t_ns >= NV_SLOW_PERIOD_NS) {
			nv_read_slow(s, g, &g->slow);
			g->slow_t_ns = t_ns;
			g->have_slow = integrate;
		}
		out->valid |= g->slow.valid & g->supported;
		out->util_gpu_pct = g->slow.util_gpu_pct;
		out->util_mem_pct = g->slow.util_mem_pct;
		out->mem_used_bytes = g->slow.mem_used_bytes;
		out->mem_total_bytes = g->slow.mem_total_bytes;
		out->sm_clock_mhz = g->slow.sm_clock_mhz;
		out->temp_c = g->slow.temp_c;
		out->throttle_reasons = g->slow.throttle_reasons;
	}
}

static uint32_t nv_symbol_bits(const struct nv_api *a)
{
	uint32_t b = 0;

	if (a->get_energy)
		b |= GB_SAMPLE_ENERGY;
	if (a->get_fields)
		b |= GB_SAMPLE_POWER;
	if (a->get_power)
		b |= GB_SAMPLE_POWER_AVG;
	if (a->get_util)
		b |= GB_SAMPLE_UTIL_GPU | GB_SAMPLE_UTIL_MEM;
	if (a->get_memory_v2 || a->get_memory)
		b |= GB_SAMPLE_MEM;
	if (a->get_clock)
		b |= GB_SAMPLE_SM_CLOCK;
	if (a->get_temp)
		b |= GB_SAMPLE_TEMP;
	if (a->get_reasons)
		b |= GB_SAMPLE_THROTTLE;
	return b;
}

/* Open GPU i and find out once what it supports. */
static int nv_gpu_open(struct nv_state *s, unsigned i, struct nv_gpu *g)
{
	struct gb_sample probe;
	int ret;

	memset(g, 0, sizeof *g);
	g->index = i;
	ret = NV_CALL(s, NULL, 0, get_handle, i, &g->dev);
	if (ret < 0)
		return ret;
	ret = NV_CALL(s, NULL, 0, get_name, g->dev, g->name, sizeof g->name);
	if (ret < 0)
		return ret;
	if (!s->api.get_uuid || s->api.get_uuid(g->dev, g->uuid, sizeof g->uuid) != NVML_SUCCESS)
		g->uuid[0] = '\0';
	g->supported = nv_symbol_bits(&s->api);
	g->method = GB_METHOD_COUNTER;
	nv_read_gpu(s, g, gb_now_ns(), 0, 1, &probe);
	g->counter_valid = 0; /* the probe's clock is not the caller's */
	if (!(g->supported & GB_SAMPLE_ENERGY) || !(probe.valid & GB_SAMPLE_ENERGY)) {
		/* Not supported, or not readable even once: integrate. */
		g->supported &= ~GB_SAMPLE_ENERGY;
		g->method = GB_METHOD_NONE;
		if (g->supported & (GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG)) {
			g->method = GB_METHOD_INTEGRATED;
			g->supported |= GB_SAMPLE_ENERGY;
		}
	}
	return 0;
}

static void nv_close(void *state)
{
	struct nv_state *s = state;

	if (!s)
		return;
	if (s->inited)
		s->api.shutdown();
	if (s->dl)
		dlclose(s->dl);
	free(s->gpus);
	free(s);
}

/* The NVML indices of the GPUs cfg->gpus names (all when NULL). UUIDs
 * are asked only when the list may hold some. */
static int nv_select(struct nv_state *s, const struct gb_meter_config *cfg, unsigned count,
		     unsigned *sel, size_t *nsel)
{
	char (*uuids)[NV_UUID_LEN] = NULL;
	const char **u = NULL;
	nvmlDevice_t dev;
	int ret;

	if (!cfg->gpus) {
		for (unsigned i = 0; i < count; i++)
			sel[i] = i;
		*nsel = count;
		return 0;
	}
	uuids = calloc(count, sizeof *uuids);
	u = calloc(count, sizeof *u);
	if (!uuids || !u) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < count && s->api.get_uuid && strpbrk(cfg->gpus, "GMabcdefABCDEF"); i++)
		if (s->api.get_handle(i, &dev) == NVML_SUCCESS &&
		    s->api.get_uuid(dev, uuids[i], sizeof uuids[i]) == NVML_SUCCESS)
			u[i] = uuids[i];
	ret = gb_nvml_visible_parse(cfg->gpus, u, count, sel, count, nsel);
	if (ret)
		/* The list, not the driver, is at fault: callers refuse it
		 * (gb_meter_gpus_check()). */
		ret = gb_error_mark(gb_error_wrap(ret, "cannot measure the GPUs %s%s'%s'",
						  cfg->gpus_from ? cfg->gpus_from : "", cfg->gpus_from ? "=" : "",
						  cfg->gpus),
				    GB_ERROR_KIND_GPU_LIST);
	else if (*nsel == 0)
		ret = gb_error_set(-ENODEV, "no GPU is visible to this process (GPUs %s%s'%s')",
				   cfg->gpus_from ? cfg->gpus_from : "", cfg->gpus_from ? "=" : "", cfg->gpus);
out:
	free(uuids);
	free(u);
	return ret;
}

static int nv_open(const struct gb_meter_config *cfg, void **state)
{
	struct nv_state *s = calloc(1, sizeof *s);
	unsigned count = 0, i, *sel = NULL;
	size_t used = 0, nsel = 0;
	int ret;

	if (!s)
		return gb_error_set(-ENOMEM, "out of memory");
	ret = nv_load(s, cfg);
	if (ret < 0)
		goto out;
	ret = NV_CALL(s, NULL, 0, init);
	if (ret < 0)
		goto out;
	s->inited = 1;
	s->driver_known = s->api.driver_version &&
			   s->api.driver_version(s->driver, sizeof s->driver) == NVML_SUCCESS;
	if (!s->driver_known)
		snprintf(s->driver, sizeof s->driver, "unknown");
	if (!s->api.nvml_version || s->api.nvml_version(s->version, sizeof s->version) != NVML_SUCCESS)
		snprintf(s->version, sizeof s->version, "unknown");
	ret = NV_CALL(s, NULL, 0, get_count, &count);
	if (ret < 0)
		goto out;
	if (count == 0) {
		ret = gb_error_set(-ENODEV, "NVML lists no GPU (driver %s)", s->driver);
		goto out;
	}
	s->gpus = calloc(count, sizeof *s->gpus);
	sel = calloc(count, sizeof *sel);
	if (!s->gpus || !sel) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = nv_select(s, cfg, count, sel, &nsel)) < 0)
		goto out;
	for (size_t k = 0; k < nsel; k++) {
		i = sel[k];
		ret = nv_gpu_open(s, i, &s->gpus[s->ngpus]);
		if (ret == 0) {
			s->ngpus++;
			continue;
		}
		/* One GPU we may not open (another container's, lost) must
		 * not hide the others; describe() names it. */
		if (used < sizeof s->skipped) {
			int w = snprintf(s->skipped + used, sizeof s->skipped - used, "%sgpu%u skipped: %s",
					 used ? "; " : "", i, gb_error_msg());
			used += w > 0 ? (size_t)w : 0;
		}
	}
	if (s->ngpus == 0) {
		ret = gb_error_set(-ENODEV, "NVML: no GPU could be opened: %s", s->skipped);
		goto out;
	}
	ret = 0;
out:
	free(sel);
	if (ret < 0)
		nv_close(s);
	else
		*state = s;
	return ret;
}

static size_t nv_domain_count(void *state)
{
	return ((struct nv_state *)state)->ngpus;
}

static const char *nv_integration_power(const struct nv_gpu *g)
{
	return (g->supported & GB_SAMPLE_POWER) ? "instant power" : "1 s average power";
}

static void nv_domain_info(void *state, size_t i, struct gb_domain_info *out)
{
	struct nv_state *s = state;
	const struct nv_gpu *g = &s->gpus[i];

	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "gpu%u", g->index);
	if (g->method == GB_METHOD_INTEGRATED)
		snprintf(out->label, sizeof out->label, "%s (energy integrated from %s)", g->name,
			 nv_integration_power(g));
	else
		snprintf(out->label, sizeof out->label, "%s", g->name);
	out->kind = GB_DOMAIN_GPU;
	out->method = g->method;
	out->parent = -1;
	out->device_index = (int)g->index;
	snprintf(out->device_uuid, sizeof out->device_uuid, "%s", g->uuid);
	out->telemetry = g->supported;
	/* The H100/H200 counter moves every ~100 ms (measured, docs/perf.md). */
	out->energy_update_ns = g->method == GB_METHOD_COUNTER ? 100 * GB_NS_PER_MS : 0;
	if (s->driver_known)
		snprintf(out->driver_version, sizeof out->driver_version, "%s", s->driver);
}

static int nv_read(void *state, uint64_t t_ns, struct gb_sample *out)
{
	struct nv_state *s = state;
	size_t i;

	for (i = 0; i < s->ngpus; i++)
		nv_read_gpu(s, &s->gpus[i], t_ns, 1, 0, &out[i]);
	return 0;
}

static int nv_read_mark(void *state, uint64_t t_ns, struct gb_sample *out)
{
	struct nv_state *s = state;
	size_t i;

	for (i = 0; i < s->ngpus; i++)
		nv_read_gpu(s, &s->gpus[i], t_ns, 1, 1, &out[i]);
	return 0;
}

/* Append the pids of one running-process list to pids. */
static int nv_proc_list(struct nv_state *s, nvmlReturn_t (*fn)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_t *),
			const char *name, nvmlDevice_t dev, uint32_t *pids, size_t cap, size_t *n)
{
	nvmlProcessInfo_t info[64];
	unsigned int count = sizeof info / sizeof info[0];
	int ret;

	if (!fn)
		return 0;
	memset(info, 0, sizeof info);
	/* More than 64 processes on one GPU: the first 64 are enough to say
	 * it is shared. */
	ret = nv_check(s, NULL, 0, fn(dev, &count, info), name);
	if (ret && ret != gb_nvml_errno(NVML_ERROR_INSUFFICIENT_SIZE))
		return ret;
	for (unsigned i = 0; i < count && i < sizeof info / sizeof info[0]; i++, (*n)++)
		if (*n < cap)
			pids[*n] = info[i].pid;
	return 0;
}

static int nv_processes(void *state, size_t i, uint32_t *pids, size_t cap, size_t *n)
{
	struct nv_state *s = state;
	int ret;

	*n = 0;
	if (i >= s->ngpus)
		return gb_error_set(-EINVAL, "no GPU %zu", i);
	if (!s->api.compute_procs && !s->api.graphics_procs)
		return gb_error_set(-ENOTSUP, "NVML library '%s' lists no running processes", s->lib);
	ret = nv_proc_list(s, s->api.compute_procs, s->api.compute_procs_name, s->gpus[i].dev, pids, cap, n);
	if (!ret)
		ret = nv_proc_list(s, s->api.graphics_procs, s->api.graphics_procs_name, s->gpus[i].dev, pids, cap, n);
	return ret;
}

static const char *nv_power_text(const struct nv_gpu *g)
{
	uint32_t p = g->supported & (GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG);

	return p == (GB_SAMPLE_POWER | GB_SAMPLE_POWER_AVG) ? "instant field + 1 s average"
	       : p == GB_SAMPLE_POWER			     ? "instant field"
	       : p == GB_SAMPLE_POWER_AVG		     ? "1 s average only"
							     : "none";
}

static int nv_same_kind(const struct nv_gpu *a, const struct nv_gpu *b)
{
	return a->method == b->method && a->index + 1 == b->index &&
	       !strcmp(nv_power_text(a), nv_power_text(b));
}

/* One clause per run of alike GPUs ("gpu0-7: ..."), so that eight of them
 * still fit the status line. */
static void nv_describe(void *state, char *buf, size_t len)
{
	struct nv_state *s = state;
	size_t i, j, n;
	char who[32];
	int w;

	w = snprintf(buf, len, "driver %s, NVML %s", s->driver, s->version);
	n = w > 0 ? (size_t)w : 0;
	for (i = 0; i < s->ngpus && n < len; i = j) {
		const struct nv_gpu *g = &s->gpus[i];

		for (j = i + 1; j < s->ngpus && nv_same_kind(&s->gpus[j - 1], &s->gpus[j]); j++)
			;
		if (j - i > 1)
			snprintf(who, sizeof who, "gpu%u-%u", g->index, s->gpus[j - 1].index);
		else
			snprintf(who, sizeof who, "gpu%u", g->index);
		if (g->method == GB_METHOD_COUNTER)
			w = snprintf(buf + n, len - n, "; %s: energy counter yes (mJ), power %s",
				     who, nv_power_text(g));
		else if (g->method == GB_METHOD_INTEGRATED)
			w = snprintf(buf + n, len - n, "; %s: energy counter no, integrated from %s, power %s",
				     who, nv_integration_power(g), nv_power_text(g));
		else
			w = snprintf(buf + n, len - n, "; %s: no energy (no counter, no power)", who);
		n += w > 0 ? (size_t)w : 0;
	}
	if (s->skipped[0] && n < len)
		snprintf(buf + n, len - n, "; %s", s->skipped);
}

static uint64_t nv_max_interval_ns(void *state)
{
	struct nv_state *s = state;
	size_t i;

	for (i = 0; i < s->ngpus; i++)
		if (s->gpus[i].method == GB_METHOD_INTEGRATED)
			return NV_INTEGRATE_MAX_INTERVAL_NS;
	return 0;
}

const struct gb_source_ops gb_source_nvml = {
	.name = "nvml",
	.summary = "NVIDIA GPUs through NVML: energy counter or integrated power, utilization, memory, clocks",
	.group = GB_GROUP_GPU,
	.open = nv_open,
	.domain_count = nv_domain_count,
	.domain_info = nv_domain_info,
	.read = nv_read,
	.read_mark = nv_read_mark,
	.describe = nv_describe,
	.max_interval_ns = nv_max_interval_ns,
	.processes = nv_processes,
	.close = nv_close,
};
