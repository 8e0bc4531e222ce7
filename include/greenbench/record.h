/*
 * The run record (docs/results-schema.md): the one module that writes it,
 * reads it and names its keys.
 *
 * Writers: gb_run_record() turns a struct gb_run_result into the record of
 * `run --json`; gb_measure_record() writes the object of `measure --json`.
 * Both write a domain's energy (joules, method, kind, net_joules, power)
 * and telemetry (utilisation, memory, temperature, throttle reasons,
 * samples) with the same emitter, so the two shapes cannot drift.
 *
 * Readers: gb_run_metrics_extract() takes out the study's per-run figures
 * (struct gb_run_metrics, defined once by GB_RUN_METRICS below);
 * gb_record_domain_read() reads back one domain entry as the emitter wrote
 * it; gb_record_measured_phase() finds the measured phase.
 *
 * Keys: every key that a reader reads is a GB_RK_* name here; keys only
 * written (the configuration's details, `measure`'s own) appear once, in
 * the writer. Records carry "schema": GB_RECORD_SCHEMA; new figures add
 * keys, never rename them.
 *
 * Ownership: writers return a new cJSON tree (NULL when out of memory)
 * that the caller frees with cJSON_Delete(); readers only borrow the
 * record. Absent figures: left out of a record, NAN in struct
 * gb_run_metrics, valid flag 0 in struct gb_domain_energy; never 0.
 * Thread-safety: none of these keep state; distinct records may be used
 * from distinct threads.
 */
#ifndef GREENBENCH_RECORD_H
#define GREENBENCH_RECORD_H

#include "greenbench/meter.h"
#include "greenbench/verdict.h"

#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct gb_run_result;

#define GB_RECORD_SCHEMA 1

/* ---- key names ---------------------------------------------------------- */

/* Top level of a run record. */
#define GB_RK_SCHEMA "schema"
#define GB_RK_STATUS "status"			/* "ok" | "failed" */
#define GB_RK_ERROR "error"
#define GB_RK_VERSION "greenbench_version"
#define GB_RK_ENVIRONMENT "environment"
#define GB_RK_PHASES "phases"
#define GB_RK_LATENCY "latency_ns"
#define GB_RK_THROUGHPUT "throughput_items_per_s"
#define GB_RK_ENERGY_PER_ITEM "energy_per_item_mj"
#define GB_RK_SUMMARY "summary"
#define GB_RK_ACCURACY "accuracy"
#define GB_RK_UNAVAILABLE "unavailable"
#define GB_RK_SERIES "series"
#define GB_RK_VERDICT "verdict"			/* {status, reasons, checks} */

/* verdict (greenbench/verdict.h); its status is GB_RK_STATUS */
#define GB_RK_REASONS "reasons"			/* [{code, level, value, limit, unit}] */
#define GB_RK_CODE "code"			/* a GB_VERDICT_REASONS name */
#define GB_RK_LEVEL "level"			/* "valid" | "suspect" | "invalid" */
#define GB_RK_VALUE "value"
#define GB_RK_LIMIT "limit"
#define GB_RK_UNIT "unit"
#define GB_RK_CHECKS "checks"			/* {code: value measured} */

/* environment */
#define GB_RK_HOST "host"
#define GB_RK_CPU "cpu"
#define GB_RK_KERNEL "kernel"
#define GB_RK_GPUS "gpus"
#define GB_RK_RUNTIME "runtime"
#define GB_RK_GPU_UUID "uuid"			/* in a gpus entry */
#define GB_RK_GPUS_VISIBLE "gpus_visible"	/* the GPU list measured, as given */
#define GB_RK_GPUS_FROM "gpus_from"		/* the variable that gave it */
#define GB_RK_CPU_ENERGY_SCOPE "cpu_energy_scope" /* "node" | "process" */
#define GB_RK_CPU_OWN_TREE "cpu_own_tree"	/* whose CPU time is not foreign_cpu: "run" | "campaign" */
#define GB_RK_CLUSTER "cluster"			/* {job_id, array_job_id, array_task_id, node} */
#define GB_RK_JOB_ID "job_id"
#define GB_RK_ARRAY_JOB_ID "array_job_id"
#define GB_RK_ARRAY_TASK_ID "array_task_id"
#define GB_RK_NODE "node"

/* A phase (and `measure`'s top level for duration and CPU time). */
#define GB_RK_NAME "name"
#define GB_RK_DURATION "duration_s"
#define GB_RK_ITERATIONS "iterations"
#define GB_RK_ITEMS "items"
#define GB_RK_CPU_TIME "cpu_time_s"
#define GB_RK_USER "user"
#define GB_RK_SYSTEM "system"
#define GB_RK_ENERGY "energy"			/* {domain: entry} */
#define GB_RK_TELEMETRY "telemetry"		/* `measure`: {domain: entry} */
#define GB_RK_MEASURED "measured"		/* the measured phase's name */

/* A domain's energy entry ... */
#define GB_RK_JOULES "joules"
#define GB_RK_METHOD "method"
#define GB_RK_KIND "kind"			/* gb_domain_kind_name() */
#define GB_RK_INSIDE "inside"			/* parent domain: not added to totals */
#define GB_RK_NET_JOULES "net_joules"
#define GB_RK_POWER_MEAN "power_mean_w"
#define GB_RK_POWER_PEAK "power_peak_w"
/* ... and its telemetry (in a run record, in the same entry). */
#define GB_RK_UTIL_GPU_MEAN "util_gpu_mean_pct"
#define GB_RK_UTIL_GPU_SD "util_gpu_sd_pct"
#define GB_RK_UTIL_MEM_MEAN "util_mem_mean_pct"
#define GB_RK_MEM_USED "mem_used_pct"
#define GB_RK_MEM_USED_MAX "mem_used_bytes_max"
#define GB_RK_TEMP_MAX "temp_max_c"
#define GB_RK_THROTTLE "throttle_reasons"	/* NVML clock-event bits seen */
#define GB_RK_SAMPLES "samples"

/* summary */
#define GB_RK_INFERENCE_TIME "inference_time_s"
#define GB_RK_GPU_UTIL_MEAN "gpu_util_mean_pct"
#define GB_RK_GPU_UTIL_SD "gpu_util_sd_pct"
#define GB_RK_GPU_MEM "gpu_mem_pct"
#define GB_RK_GPU_POWER_MEAN "gpu_power_mean_w"
#define GB_RK_GPU_ENERGY "gpu_energy_j"
#define GB_RK_CPU_ENERGY "cpu_energy_j"
#define GB_RK_CPU_ENERGY_METHOD "cpu_energy_method"
#define GB_RK_TOTAL_ENERGY "total_energy_j"
#define GB_RK_TOTAL_ENERGY_METHODS "total_energy_methods"

/* latency_ns, in nanoseconds */
#define GB_RK_LAT_N "n"
#define GB_RK_LAT_MEAN "mean"
#define GB_RK_LAT_SD "sd"
#define GB_RK_LAT_P50 "p50"
#define GB_RK_LAT_P90 "p90"
#define GB_RK_LAT_P99 "p99"
#define GB_RK_LAT_MIN "min"
#define GB_RK_LAT_MAX "max"

/* accuracy */
#define GB_RK_TOP1 "top1"
#define GB_RK_TOP5 "top5"
#define GB_RK_ACC_N "n"

/* series */
#define GB_RK_COLUMNS "columns"
#define GB_RK_ROWS "rows"
#define GB_RK_T_NS "t_ns"

/* A campaign task's line (one JSON object per line of its records file). */
#define GB_RK_LINE "line"			/* "start" | "run" | "idle" */
#define GB_RK_CAMPAIGN "campaign"
#define GB_RK_SEQ "seq"
#define GB_RK_CONFIG "config"
#define GB_RK_REP "rep"
#define GB_RK_OK "ok"
#define GB_RK_REASON "reason"
#define GB_RK_STDERR_TAIL "stderr_tail"
#define GB_RK_WALL "wall_s"
#define GB_RK_RECORD "record"			/* the whole run record */
#define GB_RK_BEFORE_SEQ "before_seq"
#define GB_RK_DOMAIN "domain"
#define GB_RK_POWER_W "power_w"
#define GB_RK_TEMP_C "temp_c"
#define GB_RK_SUBMISSION "submission"
#define GB_RK_TASK "task"
#define GB_RK_PID "pid"
#define GB_RK_TIME "time_unix"

/* ---- the study's per-run figures ---------------------------------------- */

/*
 * Every per-run figure, once. From this list come struct gb_run_metrics,
 * gb_run_metrics_extract(), the store's run-table columns (and their
 * migrations) and the report's enum gb_rmetric, titles and values.
 *
 * X(field, since, from, key, rep, id, rkey, title, div, max)
 *   field  struct member (double; NAN = absent) and run-table column (REAL)
 *   since  the store schema version whose run table first has the column;
 *          a new figure takes the next version and the store adds its
 *          column by migration
 *   from   where the record holds it: SUMMARY, LATENCY, ACCURACY, ROOT,
 *          MEASURED (the measured phase), or DERIVED (computed by the
 *          reader, see record_read.c)
 *   key    the key there (NULL for DERIVED)
 *   rep    REPORTED: a campaign report column, with the next four fields:
 *          its enum gb_rmetric name, JSON/CSV key, title, and the divisor
 *          from the stored unit to the shown one, and the largest value
 *          the quantity can take in the shown unit (every one is at
 *          least 0; INFINITY: no bound), so intervals are clamped to it;
 *          UNREPORTED: stored only (the next five are ignored)
 * Report columns keep the order of this list.
 */
#define GB_RUN_METRICS(X) \
	X(gpu_util_mean_pct, 1, SUMMARY, GB_RK_GPU_UTIL_MEAN, REPORTED, GB_RM_GPU_UTIL, "gpu_util_mean_pct", "GPU util (%)", 1, 100) \
	X(gpu_util_sd_pct, 1, SUMMARY, GB_RK_GPU_UTIL_SD, REPORTED, GB_RM_GPU_UTIL_SD, "gpu_util_sd_pct", "GPU util sd (%)", 1, 100) \
	X(gpu_mem_pct, 1, SUMMARY, GB_RK_GPU_MEM, REPORTED, GB_RM_GPU_MEM, "gpu_mem_pct", "GPU mem (%)", 1, 100) \
	X(gpu_power_mean_w, 1, SUMMARY, GB_RK_GPU_POWER_MEAN, REPORTED, GB_RM_GPU_POWER, "gpu_power_mean_w", "GPU power (W)", 1, INFINITY) \
	X(gpu_energy_j, 1, SUMMARY, GB_RK_GPU_ENERGY, REPORTED, GB_RM_GPU_ENERGY, "gpu_energy_j", "GPU energy (J)", 1, INFINITY) \
	X(cpu_energy_j, 1, SUMMARY, GB_RK_CPU_ENERGY, REPORTED, GB_RM_CPU_ENERGY, "cpu_energy_j", "CPU energy (J)", 1, INFINITY) \
	X(total_energy_j, 1, SUMMARY, GB_RK_TOTAL_ENERGY, REPORTED, GB_RM_TOTAL_ENERGY, "total_energy_j", "Total energy (J)", 1, INFINITY) \
	X(inference_time_s, 1, SUMMARY, GB_RK_INFERENCE_TIME, REPORTED, GB_RM_TIME, "inference_time_s", "Inference time (s)", 1, INFINITY) \
	X(items, 1, MEASURED, GB_RK_ITEMS, UNREPORTED, -, -, -, -, -) \
	X(energy_per_item_mj, 1, DERIVED, NULL, REPORTED, GB_RM_EPI, "energy_per_item_mj", "Energy/item (mJ)", 1, INFINITY) \
	X(latency_mean_ns, 1, LATENCY, GB_RK_LAT_MEAN, REPORTED, GB_RM_LATENCY_MS, "latency_mean_ms", "Latency (ms)", 1e6, INFINITY) \
	X(latency_p50_ns, 1, LATENCY, GB_RK_LAT_P50, REPORTED, GB_RM_LATENCY_P50_MS, "latency_p50_ms", "p50 latency (ms)", 1e6, INFINITY) \
	X(latency_p99_ns, 1, LATENCY, GB_RK_LAT_P99, REPORTED, GB_RM_LATENCY_P99_MS, "latency_p99_ms", "p99 latency (ms)", 1e6, INFINITY) \
	X(throughput_items_per_s, 1, ROOT, GB_RK_THROUGHPUT, REPORTED, GB_RM_THROUGHPUT, "throughput_items_per_s", "Throughput (items/s)", 1, INFINITY) \
	X(accuracy_top1, 1, ACCURACY, GB_RK_TOP1, REPORTED, GB_RM_TOP1, "accuracy_top1", "Top-1", 1, 1) \
	X(accuracy_top5, 1, ACCURACY, GB_RK_TOP5, REPORTED, GB_RM_TOP5, "accuracy_top5", "Top-5", 1, 1) \
	X(accuracy_n, 1, ACCURACY, GB_RK_ACC_N, UNREPORTED, -, -, -, -, -) \
	X(throttle_reasons, 1, DERIVED, NULL, UNREPORTED, -, -, -, -, -) \
	X(verdict, 5, DERIVED, NULL, UNREPORTED, -, -, -, -, -) \
	X(verdict_reasons, 5, DERIVED, NULL, UNREPORTED, -, -, -, -, -)

/*
 * The per-run texts: X(field, size, since, from, key), stored as TEXT
 * after the numbers. gpu_energy_method is the first GPU's method in the
 * measured phase; total_energy_methods joins the summary's list with '+'.
 */
#define GB_RUN_METRICS_TEXT(X) \
	X(gpu_energy_method, 16, 1, DERIVED, NULL) \
	X(cpu_energy_method, 16, 1, SUMMARY, GB_RK_CPU_ENERGY_METHOD) \
	X(total_energy_methods, 48, 1, DERIVED, NULL)

/* The study's per-run figures, extracted from a run record; NAN = absent.
 * throttle_reasons: the NVML clock-event bits of every GPU in the measured
 * phase, ORed, as a number. verdict: the enum gb_verdict_level of the
 * record's checks under this program's limits, verdict_reasons its bits
 * (NAN both: a record without a verdict, older than schema 5 stores). */
struct gb_run_metrics {
#define GB_RUN_METRIC_FIELD(field, ...) double field;
	GB_RUN_METRICS(GB_RUN_METRIC_FIELD)
#undef GB_RUN_METRIC_FIELD
#define GB_RUN_METRIC_TEXT_FIELD(field, size, ...) char field[size];
	GB_RUN_METRICS_TEXT(GB_RUN_METRIC_TEXT_FIELD)
#undef GB_RUN_METRIC_TEXT_FIELD
};

/* Where a figure is in the record (the `from` column above). */
enum gb_record_section {
	GB_RS_SUMMARY,
	GB_RS_LATENCY,
	GB_RS_ACCURACY,
	GB_RS_ROOT,
	GB_RS_MEASURED,
	GB_RS_DERIVED,
};

/* One row per figure of GB_RUN_METRICS then GB_RUN_METRICS_TEXT, for code
 * that walks them all (the store's columns). */
struct gb_run_metric_info {
	const char *name;	/* field and column name */
	size_t off;		/* offsetof(struct gb_run_metrics, field) */
	size_t text_size;	/* 0: a double; else the char array's size */
	int since;		/* store schema version of the column */
	enum gb_record_section from;
	const char *key;	/* NULL when derived */
};
extern const struct gb_run_metric_info gb_run_metric_table[];
extern const size_t gb_run_metric_count;

/* ---- writers ------------------------------------------------------------ */

/* The record of `run --json` (schema GB_RECORD_SCHEMA). */
struct cJSON *gb_run_record(const struct gb_run_result *r);

/* Add series (from gb_series_json(), ownership passes to rec) as the
 * record's "series". -EINVAL when series is NULL (it is then not added). */
int gb_run_record_add_series(struct cJSON *rec, struct cJSON *series);

/* What `measure` knows of the command it ran. */
struct gb_measure_run {
	char *const *argv;	/* the command, NULL-terminated */
	int exit_code;		/* shell convention: 128 + N when killed by N */
	int signal;		/* the signal that killed it; 0: none */
	double duration_s;	/* between the marks around it */
	double user_s, system_s; /* the command's CPU time */
	uint64_t idle_ns;	/* idle baseline measured first; 0: none */
};

/* The object of `measure --json`: e has gb_meter_domain_count(m) entries,
 * the window around the command. */
struct cJSON *gb_measure_record(const struct gb_measure_run *run, const struct gb_meter *m,
				const struct gb_domain_energy *e);

/* Set rec's "verdict" from v (replacing one it had): the status, the
 * reasons that fired with their limits, and every value checked. The run
 * writer calls it for ok runs; the campaign engine calls it again after
 * adding its own checks. */
int gb_record_verdict_write(struct cJSON *rec, const struct gb_verdict *v);

/* A figure over `measure -r N`'s repetitions: mean and 95% interval (the
 * caller computes them; ci_valid: at least two values). */
struct gb_record_interval {
	size_t n;
	double mean, lo, hi;
	int ci_valid;
};

/* Add "repeat" to a `measure --json` object: n runs, their duration and
 * each domain's energy (energy has gb_meter_domain_count(m) entries; an
 * entry with n 0 is left out). */
int gb_measure_record_add_repeat(struct cJSON *rec, const struct gb_meter *m, size_t n,
				 const struct gb_record_interval *duration_s,
				 const struct gb_record_interval *energy_j);
/*
 * A campaign task's line: what a Slurm array task writes instead of a
 * store row (greenbench/shard.h). A run line holds everything the store's
 * run insert needs, the record included whole, so collecting it stores
 * exactly what `campaign run` would have.
 */
enum gb_task_line_kind {
	GB_TASK_LINE_START,	/* a task began (job, node, pid): status shows it */
	GB_TASK_LINE_RUN,	/* a finished run, ok or failed */
	GB_TASK_LINE_IDLE,	/* one domain's idle baseline */
};

/* A run line's fields that are also the store's run row (struct
 * gb_store_run_in has the same names): one list, so the task's sink and
 * the collector copy them with one macro and a field added to both cannot
 * be left behind. */
#define GB_TASK_RUN_FIELDS(X) X(seq) X(config) X(rep) X(ok) X(reason) X(stderr_tail) X(record_json) X(wall_s)

struct gb_task_line {
	enum gb_task_line_kind kind;
	int64_t campaign;
	/* start */
	int submission, task;
	long pid;
	int64_t time_unix;
	const char *job_id, *node;	/* "" when unknown */
	/* run */
	int64_t seq;
	size_t config;
	unsigned rep;
	int ok;
	const char *reason, *stderr_tail;	/* may be NULL */
	const char *record_json;		/* may be NULL: the run printed none */
	double wall_s;
	/* idle */
	int64_t before_seq;
	double duration_s, power_w, temp_c;	/* NAN: none */
	const char *domain;
};

/* One line of JSON, without its newline (malloc'd; NULL when out of
 * memory or when record_json does not parse). */
char *gb_task_line_format(const struct gb_task_line *l);
/* Parse one line. Its strings point into *owner (a parsed tree freed
 * with cJSON_Delete(), record_json excepted: malloc'd, freed by the
 * caller with free()). -EINVAL for text that is not a line of this kind. */
int gb_task_line_parse(const char *text, struct gb_task_line *out, struct cJSON **owner);

/* ---- readers ------------------------------------------------------------ */

/* The verdict of rec, from its "checks" under this program's limits (so
 * an old record and a new one are judged alike). -ENOENT when rec has
 * none (v is then valid with nothing checked). */
int gb_record_verdict_read(const struct cJSON *rec, struct gb_verdict *v);

/* Fill m from a parsed run record; rec may be NULL (all absent). */
void gb_run_metrics_extract(const struct cJSON *rec, struct gb_run_metrics *m);

/* The phase named "measured" of a run record, or NULL. */
const struct cJSON *gb_record_measured_phase(const struct cJSON *rec);

/* One domain's entry as the writers' emitter wrote it: energy and, where
 * present in the same entry, telemetry. */
struct gb_record_domain {
	const char *name;	/* the entry's key, borrowed from the record */
	int kind_valid;		/* the record named a kind this program knows */
	enum gb_domain_kind kind;
	int method_valid;
	struct gb_domain_energy e; /* invalid_reason is left empty */
};
/* Read entry (an element of a phase's "energy" object). -EINVAL when entry
 * is not an object. */
int gb_record_domain_read(const struct cJSON *entry, struct gb_record_domain *out);

/* The method named by its gb_method_name(); -EINVAL when unknown. */
int gb_method_parse(const char *name, enum gb_energy_method *out);
/* The kind named by its gb_domain_kind_name(); -EINVAL when unknown. */
int gb_domain_kind_parse(const char *name, enum gb_domain_kind *out);

#endif
