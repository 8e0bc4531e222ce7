/*
 * One benchmarked configuration, end to end: what was asked, where it ran,
 * and what each phase measured. gb_bench_run() (bench.h) fills it;
 * gb_run_record() (record.h) turns it into the JSON run record of
 * docs/results-schema.md, the contract other commands consume.
 *
 * Phases, in order: load (session creation), first (the first inference),
 * warmup, measured, and with a dataset (--data) accuracy: the model over
 * every item, after the measured phase so it cannot disturb it. Each has its own start/end timestamps (CLOCK_MONOTONIC
 * ns), CPU time of the process, and per-domain energy when a meter ran.
 * Work between phases (generating inputs, copying them to the device) is
 * in no phase.
 *
 * Ownership: a result is an embedded struct: gb_run_result_init() before
 * use, gb_run_result_release() after; strings are copied in, the arrays
 * (domains, energy, idle power) are owned by the result. Not thread-safe.
 */
#ifndef GREENBENCH_RESULT_H
#define GREENBENCH_RESULT_H

#include "greenbench/inputs.h"
#include "greenbench/latency.h"
#include "greenbench/meter.h"
#include "greenbench/tensor.h"
#include "greenbench/verdict.h"

#include <stddef.h>
#include <stdint.h>

enum gb_phase_id {
	GB_PHASE_LOAD,
	GB_PHASE_BUILD,		/* the first batch, when it builds an engine (TensorRT) */
	GB_PHASE_FIRST,
	GB_PHASE_WARMUP,
	GB_PHASE_MEASURED,
	GB_PHASE_ACCURACY,
	GB_PHASE_COUNT,
};

const char *gb_phase_name(enum gb_phase_id p); /* "load", "first", ... */

struct gb_phase {
	int done;			/* the phase ran to its end */
	uint64_t t_start_ns, t_end_ns;
	uint64_t iterations;		/* batches run */
	uint64_t items;			/* iterations x batch */
	double cpu_user_s, cpu_system_s; /* this process, all threads */
	struct gb_domain_energy *energy; /* ndomains entries; NULL without a meter */
	struct gb_energy_totals totals;	/* valid when energy != NULL */
};

#define GB_RESULT_KV_MAX 24
#define GB_RESULT_UNAVAIL_MAX 32

struct gb_result_kv {
	char key[64];
	char value[256];
};

/* The accuracy pass over a dataset (--data). */
struct gb_run_accuracy {
	int valid;			/* the pass ran to its end */
	char data[1024];		/* dataset path as given */
	char kind[16];			/* "images", "text" */
	uint64_t limit;			/* --limit; 0: all */
	uint64_t n;			/* items scored */
	uint64_t top1, top5;		/* items with the label in the top 1 / 5 */
	uint64_t classes;		/* scores per item (model output) */
	uint64_t skipped;		/* bad items left out (--skip-bad) */
	char **skipped_reasons;		/* the first GB_RESULT_SKIPPED_MAX, owned */
	size_t nskipped_reasons;
};

#define GB_RESULT_SKIPPED_MAX 20

struct gb_run_result {
	int ok;
	char error[512];		/* when !ok: one line, the cause */
	char started_at[32];		/* UTC, ISO 8601 */

	/* config: what was asked */
	char model[1024];
	char model_sha256[65];		/* "" if it could not be read */
	char runtime[32];
	char ep[64];
	struct gb_result_kv ep_options[GB_RESULT_KV_MAX];
	size_t n_ep_options;
	enum gb_io_placement io;
	uint64_t batch;			/* items per batch as run */
	struct gb_dim dims[GB_MAX_DIMS];
	size_t ndims;
	char dtype[16];			/* first input's dtype */
	uint64_t warmup_iterations;	/* one of these two is set */
	uint64_t warmup_ns;
	uint64_t iterations;
	uint64_t min_duration_ns;
	uint64_t seed;
	uint64_t vocab;
	int intra_op_threads, inter_op_threads, graph_opt_level;

	/* environment */
	char host[128], cpu[160], kernel[160];
	char gpu_driver[64];		/* "" if unknown */
	/* Where it ran on a cluster ("" outside Slurm): SLURM_JOB_ID,
	 * SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID, SLURMD_NODENAME. */
	char job_id[32], array_job_id[32], array_task_id[16], node[128];
	/* The GPUs the meter was restricted to (gb_meter_config.gpus) and the
	 * variable that said so; "" when it measured every GPU. */
	char gpus_visible[128], gpus_from[32];
	int cpu_per_process;		/* CPU energy estimated for this process only */
	struct gb_result_kv runtime_meta[GB_RESULT_KV_MAX]; /* ort_version, ... */
	size_t n_runtime_meta;

	/* meter: a copy of its domains, so the result stands alone */
	int metered;
	size_t ndomains;
	struct gb_domain_info *domains;
	uint64_t idle_ns;		/* idle baseline length; 0: none */
	double *idle_w;			/* ndomains entries, NAN where unknown */

	struct gb_phase phases[GB_PHASE_COUNT];
	int latency_valid;
	struct gb_latency latency;	/* measured phase, per batch */
	double throughput_items_per_s;	/* measured items / measured duration */
	struct gb_run_accuracy accuracy;

	/* Interference during the run (NAN: not measured): CPU time of
	 * processes outside the run's process tree, in cores, over the
	 * measured phase and over the idle baseline; processes outside the
	 * tree that the GPUs list as running at the measured phase's ends.
	 * campaign_tree: the CPU figures took the tree of the campaign that
	 * ran this run beside others (greenbench/cputree.h, GB_ENV_OWN_TREE),
	 * not the run's own. */
	struct gb_run_interference {
		double cpu_cores, idle_cpu_cores, gpu_processes;
		int campaign_tree;
	} interference;
	/* gb_verdict_run_result() fills it; gb_run_result_init() leaves it
	 * valid with nothing checked. */
	struct gb_verdict verdict;

	/* values that could not be read, with why ("energy": "...") */
	struct gb_result_kv unavailable[GB_RESULT_UNAVAIL_MAX];
	size_t nunavailable;
};

void gb_run_result_init(struct gb_run_result *r);
void gb_run_result_release(struct gb_run_result *r);

/* Record that key could not be read, and why (kept once per key). */
void gb_run_result_unavailable(struct gb_run_result *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fill host, cpu, kernel, the Slurm job and node (from the environment)
 * and, from the meter (m may be NULL), the GPU driver version, the GPU
 * restriction and the CPU energy scope. Best effort: what cannot be read
 * stays "". */
void gb_run_result_environment(struct gb_run_result *r, const struct gb_meter *m);

/* Measured-phase duration in seconds (0 if it did not run). */
double gb_phase_seconds(const struct gb_phase *p);

#endif
