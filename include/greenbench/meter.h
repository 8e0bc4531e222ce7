/*
 * Energy and telemetry meter.
 *
 * A meter owns a set of sources (RAPL through powercap, perf or MSRs; NVIDIA
 * GPUs through NVML; a CPU estimator), each exposing one or more domains
 * (a CPU package, its DRAM, a GPU). Every domain reports a cumulative energy
 * in microjoules since the meter opened, already corrected for counter
 * wraparound, plus whatever telemetry it has; each value carries a validity
 * bit and a value whose bit is clear must never be shown as 0.
 *
 * Energy of a phase = energy at its end mark - energy at its start mark.
 * Marks read every counter at that instant; the sampler thread reads them
 * periodically in between and records the time series.
 *
 * Ownership: gb_meter_open() returns a meter the caller frees with
 * gb_meter_free(). Pointers returned by accessors belong to the meter.
 *
 * Units: energy_uj (microjoules), power_mw (milliwatts), t_ns
 * (CLOCK_MONOTONIC nanoseconds), mem_bytes, clocks in MHz, temperature in
 * degrees Celsius.
 *
 * Thread-safety: one meter may be used from one controlling thread; the
 * sampler thread it starts is synchronised internally (marks and sampler
 * reads are serialised by the meter's lock). Distinct meters are independent.
 */
#ifndef GREENBENCH_METER_H
#define GREENBENCH_METER_H

#include "greenbench/error.h"

#include <stddef.h>
#include <stdint.h>

enum gb_domain_kind {
	GB_DOMAIN_CPU_PACKAGE,
	GB_DOMAIN_CPU_CORE,
	GB_DOMAIN_CPU_UNCORE,
	GB_DOMAIN_DRAM,
	GB_DOMAIN_PSYS,
	GB_DOMAIN_GPU,
	GB_DOMAIN_CPU_ESTIMATED,
	GB_DOMAIN_OTHER,
};

/* How a domain's energy figure is obtained; printed beside every figure. */
enum gb_energy_method {
	GB_METHOD_NONE = 0,	/* no energy figure (telemetry only) */
	GB_METHOD_COUNTER,	/* hardware energy counter */
	GB_METHOD_INTEGRATED,	/* integral of sampled power */
	GB_METHOD_ESTIMATED,	/* model, e.g. CPU time x power model */
};

/* Validity bits of struct gb_sample. */
enum {
	GB_SAMPLE_ENERGY = 1 << 0,
	GB_SAMPLE_POWER = 1 << 1,	/* instantaneous or short-window power */
	GB_SAMPLE_POWER_AVG = 1 << 2,	/* driver's averaged power (NVML: 1 s) */
	GB_SAMPLE_UTIL_GPU = 1 << 3,
	GB_SAMPLE_UTIL_MEM = 1 << 4,
	GB_SAMPLE_MEM = 1 << 5,		/* mem_used_bytes and mem_total_bytes */
	GB_SAMPLE_SM_CLOCK = 1 << 6,
	GB_SAMPLE_TEMP = 1 << 7,
	GB_SAMPLE_THROTTLE = 1 << 8,
	GB_SAMPLE_UTIL_CPU = 1 << 9,	/* estimator: busy fraction of all CPUs */
	GB_SAMPLE_POWER_DERIVED = 1 << 10, /* power_mw computed by the meter from energy deltas */
};

struct gb_sample {
	uint32_t valid;
	uint32_t power_mw;
	uint32_t power_avg_mw;
	uint32_t util_gpu_pct;
	uint32_t util_mem_pct;
	uint32_t util_cpu_permille;
	uint32_t sm_clock_mhz;
	int32_t temp_c;
	uint64_t energy_uj;	/* cumulative since open, wrap-corrected */
	uint64_t mem_used_bytes;
	uint64_t mem_total_bytes;
	uint64_t throttle_reasons; /* NVML clock-event reason bits */
};

#define GB_NAME_MAX 48
#define GB_LABEL_MAX 128

struct gb_domain_info {
	char name[GB_NAME_MAX];   /* unique in the meter: "package-0", "dram-0", "gpu0", "cpu" */
	char label[GB_LABEL_MAX]; /* human description: "NVIDIA H100 80GB HBM3" */
	enum gb_domain_kind kind;
	enum gb_energy_method method;
	/* Index (within the same source) of the domain that already includes
	 * this one's energy (core inside package), or -1. Domains with a
	 * parent are shown but never added into totals. */
	int parent;
	int device_index;	  /* socket, die or GPU number; -1 if none */
	char device_uuid[GB_NAME_MAX]; /* a GPU's UUID ("GPU-8f6c..."); "" if none */
	uint32_t telemetry;	  /* GB_SAMPLE_* bits this domain can provide */
	/* How often the energy figure itself moves (NVML's counter: ~100 ms);
	 * a window shorter than this has no meaningful energy. 0: fine-grained. */
	uint64_t energy_update_ns;
	/* Version of the driver the device is read through ("580.159.04"
	 * from NVML), or "" where there is none or it is unknown. */
	char driver_version[GB_NAME_MAX];
};

struct gb_meter_config {
	const char *sysfs_root;	/* NULL: gb_sys_root() */
	const char *nvml_lib;	/* NULL: GREENBENCH_NVML_LIB, else libnvidia-ml.so.1 */
	/* The GPUs to measure, as CUDA_VISIBLE_DEVICES or Slurm lists them:
	 * NVML indices or UUIDs, comma-separated; NULL: every GPU. A list that
	 * names none leaves the meter without GPUs (see gb_meter_gpus_env()). */
	const char *gpus;
	const char *gpus_from;	/* the variable gpus came from, or NULL */
	/* CPU energy: 0 = the node's (a package counter, else the estimate
	 * of all CPUs); 1 = this process's only, estimated from its CPU time
	 * (shared nodes, several runs at once: a package counter cannot be
	 * attributed). */
	int cpu_per_process;
	uint64_t interval_ns;	/* sampler period; 0: 20 ms */
	double cpu_tdp_w;	/* estimator override per package; 0: table */
	unsigned disable;	/* 1 << index in the source table: do not open */
};

void gb_meter_config_init(struct gb_meter_config *cfg);

/* The environment's say on what a process measures. GB_ENV_GPUS, else
 * CUDA_VISIBLE_DEVICES, else SLURM_STEP_GPUS, else SLURM_JOB_GPUS gives
 * cfg->gpus (unless set; gpus_from names the variable); GB_ENV_CPU_ENERGY
 * "process" sets cpu_per_process. The strings are the environment's. */
#define GB_ENV_GPUS "GREENBENCH_GPUS"
#define GB_ENV_CPU_ENERGY "GREENBENCH_CPU_ENERGY"	/* "node" (default) | "process" */
void gb_meter_config_env(struct gb_meter_config *cfg);

/* ---- Sources: one ops row per backend ------------------------------- */

/* What a source is for; the meter opens at most one CPU_RAPL source (they
 * read the same hardware) and the estimator only when none opened. */
enum gb_source_group {
	GB_GROUP_CPU_RAPL,
	GB_GROUP_GPU,
	GB_GROUP_CPU_ESTIMATE,
};

struct gb_source_ops {
	const char *name;	 /* "powercap", "perf-rapl", "msr-rapl", "nvml", "estimator" */
	const char *summary;	 /* one line for `greenbench devices` */
	enum gb_source_group group;
	/* Probe hardware and allocate state. On failure return -errno after
	 * gb_error_set() with the reason and what to do about it. */
	int (*open)(const struct gb_meter_config *cfg, void **state);
	size_t (*domain_count)(void *state);
	void (*domain_info)(void *state, size_t i, struct gb_domain_info *out);
	/* Read every domain at t_ns into out[0 .. domain_count-1]: cumulative
	 * energy, telemetry, validity bits. Called from the sampler thread and
	 * at marks, never concurrently. Must be cheap (tens of microseconds). */
	int (*read)(void *state, uint64_t t_ns, struct gb_sample *out);
	/* Optional: the read for a mark (a phase boundary), where freshness
	 * matters more than cost; read() may then serve the sampler from a
	 * cheaper or staler path (NVML's energy query costs milliseconds).
	 * NULL: marks use read(). */
	int (*read_mark)(void *state, uint64_t t_ns, struct gb_sample *out);
	/* Optional: extra lines for `devices` (driver version, units, limits). */
	void (*describe)(void *state, char *buf, size_t len);
	/* Longest safe interval between reads before a counter could wrap
	 * twice unseen; 0 = no limit. The sampler polls at least this often. */
	uint64_t (*max_interval_ns)(void *state);
	/* Optional: the pids of the processes using domain i (of this
	 * source) now, the first cap in pids; *n is how many there are.
	 * Called at phase boundaries only. NULL: the source cannot tell. */
	int (*processes)(void *state, size_t i, uint32_t *pids, size_t cap, size_t *n);
	void (*close)(void *state);
};

/* The table of sources, in probe order (defined in src/meter/sources.c). */
extern const struct gb_source_ops *const gb_source_table[];
extern const size_t gb_source_table_len;

/* ---- The meter ------------------------------------------------------- */

struct gb_meter;

/* State of each table row after gb_meter_open(), for `devices`. */
enum gb_source_state {
	GB_SOURCE_ACTIVE,
	GB_SOURCE_UNAVAILABLE,	/* open failed: reason holds why */
	GB_SOURCE_REDUNDANT,	/* works, but another source reads the same hardware */
	GB_SOURCE_DISABLED,	/* disabled by configuration */
};

struct gb_source_status {
	const struct gb_source_ops *ops;
	enum gb_source_state state;
	char reason[512];
	char detail[512];	/* describe() output when available */
	size_t first_domain;	/* index into the meter's domains, when active */
	size_t ndomains;
	enum gb_error_kind error_kind;	/* of the open error, when unavailable */
};

int gb_meter_open(const struct gb_meter_config *cfg, struct gb_meter **out);
void gb_meter_free(struct gb_meter *m);
/* The configuration the meter was opened with (its strings as given). */
const struct gb_meter_config *gb_meter_config_get(const struct gb_meter *m);

/* 0, or -EINVAL with the source's reason when a source refused the
 * configuration's GPU list (GB_ERROR_KIND_GPU_LIST: a malformed entry, a
 * UUID no GPU has, a MIG instance). A list naming none is not refused:
 * the meter then has no GPU and its source says why. */
int gb_meter_gpus_check(const struct gb_meter *m);

size_t gb_meter_source_count(const struct gb_meter *m);
const struct gb_source_status *gb_meter_source(const struct gb_meter *m, size_t i);

size_t gb_meter_domain_count(const struct gb_meter *m);
const struct gb_domain_info *gb_meter_domain(const struct gb_meter *m, size_t i);

/* A mark: every domain read at one instant. */
struct gb_mark {
	uint64_t t_ns;
	size_t n;
	struct gb_sample *s;
};

int gb_mark_init(struct gb_mark *mk, const struct gb_meter *m);
void gb_mark_release(struct gb_mark *mk);

/* Read all counters now (also appended to the time series). */
int gb_meter_mark(struct gb_meter *m, struct gb_mark *out);

/* Start/stop the sampler thread. Samples are kept until gb_meter_free()
 * or gb_meter_series_clear(). */
int gb_meter_start(struct gb_meter *m);
int gb_meter_stop(struct gb_meter *m);

/* The recorded time series: nrows rows, each a timestamp and
 * domain_count samples (row r, domain d at samples[r * ndomains + d]).
 * Call while the sampler is stopped, or accept a snapshot (locked copy). */
int gb_meter_series(struct gb_meter *m, const uint64_t **t_ns,
		    const struct gb_sample **samples, size_t *nrows);
void gb_meter_series_clear(struct gb_meter *m);

/* Energy and telemetry of one domain between two marks. */
struct gb_domain_energy {
	int energy_valid;
	char invalid_reason[96];	/* why energy_valid is 0, for "unavailable" */
	enum gb_energy_method method;
	double energy_j;	/* gross */
	int net_valid;		/* set when an idle baseline is known */
	double net_energy_j;	/* gross - idle power x duration */
	int power_valid;
	double power_mean_w;	/* energy / duration, or mean of sampled power */
	double power_peak_w;	/* highest sampled power in the window */
	int util_gpu_valid;
	double util_gpu_mean, util_gpu_sd;
	int util_mem_valid;
	double util_mem_mean, util_mem_sd;
	int mem_valid;
	double mem_used_pct_mean, mem_used_pct_max;
	uint64_t mem_used_bytes_max;
	int temp_valid;
	double temp_max_c;
	int throttle_valid;
	uint64_t throttle_reasons_or; /* union of reasons seen */
	size_t nsamples;	/* sampler rows inside the window */
	/* A counter's energy against the trapezoid integral of the sampled
	 * instant power over the samples' span (at least 10 of them): mean
	 * watts of each over that span. */
	int cross_valid;
	double cross_counter_w, cross_power_w;
};

/* Compute per-domain figures for the window [a, b]; out has
 * gb_meter_domain_count() entries. */
int gb_meter_window(struct gb_meter *m, const struct gb_mark *a,
		    const struct gb_mark *b, struct gb_domain_energy *out);

/* Totals over a window, never mixing methods silently: measured energy
 * (counter + integrated) and estimated energy are kept apart. Only
 * top-level domains count (a core inside its package does not), and a psys
 * (platform) domain is left out when package domains exist, since it
 * already contains them. */
struct gb_energy_totals {
	int measured_valid;
	double measured_j;	/* counter + integrated */
	int estimated_valid;
	double estimated_j;
	int gpu_valid;
	double gpu_j;		/* GPU domains only (any method) */
	int cpu_valid;
	double cpu_j;		/* CPU package/dram/psys or estimate */
	enum gb_energy_method cpu_method; /* method of the CPU figure */
	unsigned methods;	/* 1 << method, for every figure included */
};

int gb_meter_totals(const struct gb_meter *m, const struct gb_domain_energy *e,
		    struct gb_energy_totals *out);

/* Idle baseline: sleep dur_ns with the sampler running and keep each
 * domain's mean power; later windows then also report net energy. */
int gb_meter_measure_idle(struct gb_meter *m, uint64_t dur_ns);
/* Idle power of domain i in W; -ENODATA if none measured or invalid. */
int gb_meter_idle_power(const struct gb_meter *m, size_t i, double *watts);
/* Use an idle power measured elsewhere (a campaign's baseline). */
int gb_meter_set_idle_power(struct gb_meter *m, size_t i, double watts);

/* The processes using domain i now (see gb_source_ops.processes): the
 * first cap pids, *n of them in all. -ENOTSUP when its source cannot tell. */
int gb_meter_domain_processes(struct gb_meter *m, size_t i, uint32_t *pids, size_t cap, size_t *n);

/* CPU time the sampler thread used and the reads it made, summed over its
 * finished runs (valid after gb_meter_stop()). */
void gb_meter_sampler_cost(const struct gb_meter *m, uint64_t *cpu_ns, uint64_t *reads);

/* The sampler period in use: the configured one, shortened where a
 * source's counter could otherwise wrap twice between reads. */
uint64_t gb_meter_interval_ns(const struct gb_meter *m);

const char *gb_method_name(enum gb_energy_method m); /* "counter", ... */

/* How domain d relates to its parent, for display: "inside" (a core within
 * its package) or "overlaps" (psys covers the whole platform, packages
 * included). NULL when d has no parent. */
const char *gb_domain_relation(const struct gb_domain_info *d);
const char *gb_domain_kind_name(enum gb_domain_kind k); /* "package", ... */

#endif
