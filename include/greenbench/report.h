/*
 * Campaign reports: the study's tables and statistics over a stored
 * campaign, written as text, Markdown, CSV, JSON, LaTeX or one
 * self-contained HTML file.
 *
 * gb_report_build() reads a campaign from the store and computes, per
 * configuration (model, batch, runtime/EP), each figure's mean with a 95%
 * confidence interval over its repetitions (Student t), the energy
 * methods, ranks and the Pareto front; across configurations Spearman
 * correlations, pairwise Mann-Whitney U tests with Cliff's delta, the
 * RQ2 pairs (a framework's model against its converted model), the
 * study's findings judged on the campaign's numbers, and the environments
 * the runs were measured in.
 *
 * Ownership: the report owns everything inside; gb_report_free() frees it.
 * Writers write to a FILE the caller owns and never print elsewhere.
 * Absent figures have valid == 0 and are shown as not supported, never 0.
 * Thread-safety: a built report is read-only.
 */
#ifndef GREENBENCH_REPORT_H
#define GREENBENCH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "greenbench/store.h"
#include "greenbench/verdict.h"

/* ---- statistics (src/report/stats.c, GSL) ------------------------------ */

struct gb_ci {
	int valid;	/* at least one value */
	int ci_valid;	/* at least two values: lo/hi and sd are set */
	size_t n;
	double mean, sd, lo, hi;
	int clamped;	/* lo or hi was cut to the quantity's range (the report) */
};
/* Mean and 95% Student-t interval of the non-NAN values of x. */
void gb_stats_ci95(const double *x, size_t n, struct gb_ci *out);

/* Spearman rank correlation with the two-sided p-value of the t test on
 * n - 2 degrees of freedom (as scipy.stats.spearmanr). -EDOM if n < 3 or
 * a variable is constant. */
int gb_stats_spearman(const double *x, const double *y, size_t n, double *rho, double *p);

/* Two-sided Mann-Whitney U for x against y: u is U of x. Exact
 * distribution when both samples have at most 8 values and no ties, else
 * the normal approximation with tie and continuity correction (as
 * scipy.stats.mannwhitneyu's method="auto"). *exact says which. */
int gb_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
			  double *u, double *p, int *exact);

/* Cliff's delta: (#(x > y) - #(x < y)) / (nx ny), in [-1, 1]. */
double gb_stats_cliffs_delta(const double *x, size_t nx, const double *y, size_t ny);

/* ---- the report --------------------------------------------------------- */

/* The reported figures: the REPORTED rows of GB_RUN_METRICS (record.h), in
 * its order. */
#define GB_RM_ENUM_REPORTED(id) id,
#define GB_RM_ENUM_UNREPORTED(id)
#define GB_RM_ENUM(field, since, from, key, rep, id, ...) GB_RM_ENUM_##rep(id)
enum gb_rmetric {
	GB_RUN_METRICS(GB_RM_ENUM)
	GB_RM_COUNT
};
#undef GB_RM_ENUM
#undef GB_RM_ENUM_REPORTED
#undef GB_RM_ENUM_UNREPORTED

/* Figures the report derives from each run (not stored): they follow the
 * stored ones in struct gb_report_config's m[] and values[]. */
enum gb_rderived {
	GB_RD_GPU_EPI = GB_RM_COUNT,	/* GPU energy / items, mJ */
	GB_RD_CPU_EPI,			/* CPU energy / items, mJ */
	GB_RD_NET_EPI,			/* net (idle-subtracted) energy / items, mJ */
	GB_RD_TIME_PER_ITEM,		/* inference time / items, ms */
	GB_RF_COUNT
};

struct gb_rmetric_info {
	const char *key;	/* JSON/CSV name: "energy_per_item_mj" */
	const char *title;	/* column title: "Energy/item (mJ)" */
	size_t off;		/* its double in struct gb_run_metrics */
	double div;		/* shown = stored / div (ns -> ms: 1e6) */
	double max;		/* the quantity lies in [0, max] (shown unit) */
};
/* Every figure, stored then derived (off is unused for derived ones). */
extern const struct gb_rmetric_info gb_rmetrics[GB_RF_COUNT];

/* A run's value of stored figure k (< GB_RM_COUNT), in the report's unit;
 * NAN when absent. */
double gb_rmetric_value(const struct gb_run_metrics *m, enum gb_rmetric k);

/* The coefficient of variation of energy per item above which a
 * configuration is suspect is the GB_VR_CV check's (greenbench/verdict.h),
 * as are the throttle reasons that count (GB_VERDICT_THROTTLE_MASK). */
/* The workload of a model the zoo does not know (a model file). */
#define GB_REPORT_STUDY_ITEMS 10000u

struct gb_report_config {
	size_t config;
	char model[96], runtime[32], ep[32], label[96];
	/* The label without its EP ("keras-jax/cuda": "keras-jax", "ort/cuda
	 * prefer_nhwc=1": "ort prefer_nhwc=1"): one runtime set up one way,
	 * whatever the EP. Table 3's rows and the TensorRT/CUDA finding pair
	 * EPs by it, so two setups of one runtime (Keras on JAX and on torch)
	 * stay apart. A label that does not name its EP as "/EP" is kept. */
	char setup[96];
	char zoo[64], converted_from[32];	/* "" when none */
	unsigned batch;
	unsigned per_items;	/* the workload figures are normalised to (--per, or the study's) */
	size_t n_ok, n_failed;	/* n_ok: runs in the statistics (not invalid) */
	size_t n_suspect, n_invalid;	/* ok runs by verdict; invalid ones are left out */
	enum gb_verdict_level verdict;	/* suspect when any run is, or the CV is high;
					 * invalid when every ok run is */
	uint32_t verdict_reasons;	/* 1 << enum gb_verdict_reason, over its runs and the CV */
	char fail_reason[256];	/* the last failure's reason */
	struct gb_ci m[GB_RF_COUNT];
	char gpu_method[16], cpu_method[16], total_methods[48];
	double *values[GB_RF_COUNT];	/* per ok run, NAN where absent */
	double cv_epi;		/* NAN when fewer than 2 values */
	uint64_t throttle;	/* union of throttle reasons seen */
	int rank;		/* by energy per item within model and batch; 0: none */
	int pareto;		/* on its model and batch's energy/item vs latency front */
};

struct gb_report_pair {
	size_t a, b;		/* indices into cfgs, same model and batch */
	double u, p, delta;
	int exact;
};

struct gb_report_corr {
	int valid;
	size_t n;
	double rho, p;
	/* True by construction, not a finding: time against energy where every
	 * run's energy is estimated (power model x time). */
	int by_construction;
};

/* RQ2: a framework's own model (a) against the model converted from it
 * (b), same model, batch and EP. Changes are (b - a) / a in percent, with
 * the 95% Welch interval of the difference of means over a's mean. */
struct gb_report_conversion {
	size_t a, b;		/* indices into cfgs */
	struct {
		int valid, ci_valid;
		double pct, lo_pct, hi_pct;
		int excludes_zero;
	} energy, time;		/* energy per item, time per item */
};

/* The study's qualitative findings the campaign can test. */
enum gb_claim {
	GB_CLAIM_TIME_ENERGY,	/* time and energy correlate strongly (rho 0.99) */
	GB_CLAIM_UTIL_POWER,	/* GPU utilisation and power correlate (rho 0.81) */
	GB_CLAIM_ONNX_SMALL_BATCH, /* converting to ONNX saves energy at batch 1 */
	GB_CLAIM_ONNX_LARGE_BATCH, /* at batch 64 a converted model can cost more */
	GB_CLAIM_TRT_CUDA,	/* TensorRT uses less energy than CUDA */
	GB_CLAIM_CPU_SHARE,	/* CPU energy is a large share of GPU energy */
	GB_CLAIM_COUNT
};

enum gb_finding_verdict {
	GB_FINDING_HOLDS,
	GB_FINDING_FAILS,	/* the campaign's numbers contradict it */
	GB_FINDING_UNTESTABLE,	/* the campaign has nothing to test it with */
};

struct gb_report_finding {
	enum gb_claim claim;
	enum gb_finding_verdict verdict;
	size_t n;		/* runs, pairs or configurations looked at */
	size_t n_for;		/* of which agree with the claim */
	double value;		/* rho, median ratio ...; NAN when none */
	double p;		/* its p-value; NAN when none */
	char detail[320];	/* the numbers in words, or why it cannot be tested */
};

struct gb_claim_info {
	const char *id;		/* "time-energy" */
	const char *statement;	/* the claim in the study's words */
};
extern const struct gb_claim_info gb_claims[GB_CLAIM_COUNT];
const char *gb_finding_verdict_name(enum gb_finding_verdict v);	/* "holds", "does not hold", "cannot be tested" */

/* Thresholds a finding is judged by (docs/report.md). */
#define GB_FINDING_RHO_STRONG 0.7	/* time-energy */
#define GB_FINDING_RHO 0.5		/* util-power */
#define GB_FINDING_ALPHA 0.05
#define GB_FINDING_CPU_SHARE 0.2	/* CPU / GPU energy */
#define GB_FINDING_LARGE_BATCH 64

struct gb_report_run {
	int64_t id;
	size_t cfg;		/* index into cfgs */
	unsigned rep;		/* 0-based */
	int ok;
	int verdict;		/* enum gb_verdict_level of an ok run; -1: none (failed, or an older record) */
};

/* One sampled column of one run: power (W) or GPU utilisation (%). */
struct gb_report_series {
	int64_t run;
	char column[64];	/* as stored: "gpu0.power_mw" */
	char domain[48];	/* "gpu0" */
	int is_util;		/* 1: GPU utilisation in %; 0: power in W */
	double *t_s;		/* s since the run's first sample */
	double *v;
	size_t n;
};

struct gb_report {
	struct gb_store_campaign_info info;
	struct gb_report_config *cfgs;
	size_t ncfgs;
	struct gb_report_pair *pairs;
	size_t npairs;
	struct gb_report_corr time_energy, util_power;
	char **warnings;
	size_t nwarnings;
	size_t n_attempts;	/* failed attempts retried later (history) */
	struct gb_report_conversion *conversions;
	size_t nconversions;
	struct gb_report_finding findings[GB_CLAIM_COUNT];
	struct gb_store_environment *envs;	/* distinct environments, run order */
	size_t nenvs;
	int has_accuracy;
	int has_net;		/* some configuration has a net energy figure */
	/* Every run, in execution order (for the charts). */
	struct gb_report_run *runs;
	size_t nruns;
	/* Energy per run and phase (gb_report_build). */
	struct gb_store_phase_energy *phases;
	size_t nphases;
	/* Power and utilisation over time of every run that recorded them
	 * (gb_report_load_series), and the run shown first. */
	struct gb_report_series *series;
	size_t nseries;
	int64_t series_run;
};

struct gb_report_options {
	/* Items the workload figures of Table 1 are for; 0: the study's
	 * (10,000 images, 25,000 reviews: the zoo model's study_items, 10,000
	 * for a model file). */
	unsigned per_items;
};

/* opt may be NULL (defaults). */
int gb_report_build(struct gb_store *st, int64_t campaign, const struct gb_report_options *opt,
		    struct gb_report **out);
/* Load the power and utilisation series of every run; `run` (0: the
 * first ok run that has one) is the one the report shows first. -ENOENT
 * when run is not in the campaign or has no series. */
int gb_report_load_series(struct gb_report *r, struct gb_store *st, int64_t run);
void gb_report_free(struct gb_report *r);

/* The chart library compiled in for HTML reports ("vega 6.2.0, vega-lite
 * 6.4.1, vega-embed 7.1.0"), or NULL when built without (static text). */
const char *gb_report_chart_library(void);

/* ---- formats (src/report/formats.c) ---------------------------------- */

enum gb_report_format_flags {
	/* Plots a run's time series: call gb_report_load_series() first. */
	GB_REPORT_FORMAT_SERIES = 1 << 0,
	/* The Markdown flavour of the text writer. */
	GB_REPORT_FORMAT_MARKDOWN = 1 << 1,
};

/* One output format: a row of gb_report_formats[]. write() gets its own
 * row, writes the whole report to out and returns 0 or a negative errno
 * with the message set. */
struct gb_report_format {
	const char *name;	/* the --format value */
	const char *summary;	/* one line for the help */
	int (*write)(const struct gb_report_format *self, const struct gb_report *r, FILE *out);
	unsigned flags;		/* enum gb_report_format_flags */
};

/* Every format, the default first, ending with a row whose name is NULL. */
extern const struct gb_report_format gb_report_formats[];

/* The format called name, or -EINVAL with a message listing the names. */
int gb_report_format_find(const char *name, const struct gb_report_format **out);

#endif
