/*
 * Campaign reports: the study's tables and statistics over a stored
 * campaign, written as text, Markdown, CSV, JSON, LaTeX or one
 * self-contained HTML file.
 *
 * gb_report_build() reads a campaign from the store and computes, per
 * configuration (model, batch, runtime/EP), each figure's mean with a 95%
 * confidence interval over its repetitions (Student t), the energy
 * methods, ranks and the Pareto front; across configurations Spearman
 * correlations and pairwise Mann-Whitney U tests with Cliff's delta.
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

struct gb_rmetric_info {
	const char *key;	/* JSON/CSV name: "energy_per_item_mj" */
	const char *title;	/* column title: "Energy/item (mJ)" */
	size_t off;		/* its double in struct gb_run_metrics */
	double div;		/* shown = stored / div (ns -> ms: 1e6) */
	double max;		/* the quantity lies in [0, max] (shown unit) */
};
extern const struct gb_rmetric_info gb_rmetrics[GB_RM_COUNT];

/* A run's value of figure k, in the report's unit; NAN when absent. */
double gb_rmetric_value(const struct gb_run_metrics *m, enum gb_rmetric k);

/* The coefficient of variation of energy per item above which a
 * configuration is suspect is the GB_VR_CV check's (greenbench/verdict.h),
 * as are the throttle reasons that count (GB_VERDICT_THROTTLE_MASK). */

struct gb_report_config {
	size_t config;
	char model[96], runtime[32], ep[32], label[96];
	unsigned batch;
	size_t n_ok, n_failed;	/* n_ok: runs in the statistics (not invalid) */
	size_t n_suspect, n_invalid;	/* ok runs by verdict; invalid ones are left out */
	enum gb_verdict_level verdict;	/* suspect when any run is, or the CV is high;
					 * invalid when every ok run is */
	uint32_t verdict_reasons;	/* 1 << enum gb_verdict_reason, over its runs and the CV */
	char fail_reason[256];	/* the last failure's reason */
	struct gb_ci m[GB_RM_COUNT];
	char gpu_method[16], cpu_method[16], total_methods[48];
	double *values[GB_RM_COUNT];	/* per ok run, NAN where absent */
	double cv_epi;		/* NAN when fewer than 2 values */
	uint64_t throttle;	/* union of throttle reasons seen */
	int rank;		/* by energy per item within model and batch; 0: none */
	int pareto;		/* on its model's energy/item vs latency front */
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
	int has_accuracy;
	/* The run whose power and utilisation are plotted (HTML). */
	int64_t series_run;
	char series_label[160];
	double *series_tp, *series_power;	/* s since the first sample, W */
	double *series_tu, *series_util;	/* s, % */
	size_t nseries_power, nseries_util;
};

int gb_report_build(struct gb_store *st, int64_t campaign, struct gb_report **out);
/* Load the series of run `run` (0: the first ok run that has one). */
int gb_report_load_series(struct gb_report *r, struct gb_store *st, int64_t run);
void gb_report_free(struct gb_report *r);

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
