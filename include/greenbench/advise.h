/*
 * The advisor: the configuration of one model with the least energy per
 * item that meets the constraints, found by measuring (docs/advise.md).
 *
 *   struct gb_advise_opts o;
 *   gb_advise_opts_init(&o);
 *   o.model = "resnet50"; o.ep = "cuda"; o.db = "results.db";
 *   struct gb_advise_answer a;
 *   int rc = gb_advise_run(&o, &callbacks, ctx, &a);
 *   ... a.cands (ranked), a.winner, a.command ...
 *   gb_advise_answer_release(&a);
 *
 * Candidates come only from the runtime rows' declared axes
 * (greenbench/runtime.h, struct gb_runtime_axis) on the EP asked for: the
 * full product of their values when it is small, else a search one axis
 * at a time from the best configuration found so far (each axis's values
 * tried on it, the best kept), the axes in the order of their declared
 * priors (`gain`), the runtimes interleaved by the energy each next step
 * is expected to reach. For each candidate, in this process: a session
 * (a new one, or the last one of its runtime when the candidate differs
 * from it only in run-time axes: reconfigured), its outputs compared with
 * its runtime's fp32 reference (the default configuration) on the same
 * generated inputs or the items of `data` (top-1 agreement, max |diff|;
 * with data, accuracy), rejected below min_agreement or more than
 * max_accuracy_drop below the reference's accuracy, then batch sizes
 * screened on the same session (from the configuration it came from:
 * doubling and halving while energy per item falls by 5%; the references
 * on a ladder 1, 4, 16, ...). The most promising candidates then get measured runs with
 * repetitions as child `greenbench run` processes through the campaign
 * engine (greenbench/engine.h), one campaign per round, halving the field
 * each round until the winner's 95% CI of energy per item is below the
 * runner-up's or the budget ends.
 *
 * Stored in the results database: the advice (its key: the options that
 * shape it), every candidate's screening, and each round's campaign, so
 * resume (same options, `resume`) repeats nothing that finished.
 *
 * Ownership: opts and its strings are borrowed for the call. The answer
 * owns its arrays until gb_advise_answer_release(). Event pointers are
 * valid only during the callback.
 * Errors: 0, or negative errno with gb_error_msg() set (the model cannot
 * be had, no runtime takes the EP, the database cannot be opened).
 * Candidates that fail or are rejected are results, not errors.
 * Units: _ns nanoseconds, _mj millijoules per item, _ms milliseconds.
 * Thread-safety: one call at a time per database; callbacks run on the
 * calling thread; *stop may be set by a signal handler.
 */
#ifndef GREENBENCH_ADVISE_H
#define GREENBENCH_ADVISE_H

#include "greenbench/dataset.h"
#include "greenbench/engine.h"
#include "greenbench/inputs.h"
#include "greenbench/meter.h"
#include "greenbench/report.h"
#include "greenbench/runtime.h"

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define GB_ADVISE_MAX_SET 16

struct gb_advise_opts {
	const char *model;		/* zoo name or ONNX file */
	const struct gb_dim *dims;	/* symbolic dims (--dim seq=128) */
	size_t ndims;
	const char *ep;			/* "cpu" (default), "cuda", "cuda:1" */
	/* Runtime names to search (NULL-terminated; NULL: every row that
	 * probes and takes ep), from rows (NULL: gb_runtime_table). */
	const char *const *runtimes;
	const struct gb_runtime_ops *const *rows;
	size_t nrows;
	const char *const *axes;	/* only these axes (NULL-terminated); NULL: all declared */
	double max_p99_ms;		/* 0: no latency limit */
	double min_agreement;		/* top-1 share with the reference (default 0.99) */
	uint64_t budget_ns;		/* default 20 min; spent across resumes */
	const char *db;			/* results database (default results.db) */
	/* "RUNTIME/EP [KEY=VALUE ...] [batch=N]"; NULL: the first runtime's
	 * default at batch 1 */
	const char *baseline;
	/* Labelled data for the agreement check (greenbench/dataset.h); NULL:
	 * generated inputs. With data, accuracy is checked too. */
	const char *data;
	const struct gb_dataset_options *data_opts;	/* NULL: defaults */
	double max_accuracy_drop;	/* top-1 below the reference's, at most (default 0.01) */
	uint64_t vocab;			/* generated token ids below this (0: BERT's) */
	int resume;			/* continue the newest advice of the same options */
	unsigned max_batch;		/* default 256 */
	unsigned max_candidates;	/* full product up to this many (default 24) */
	unsigned agree_batch;		/* items per compared batch (default 8) */
	unsigned agree_batches;		/* compared batches (default 2) */
	uint64_t screen_ns;		/* measured window per batch step (default 1 s) */
	uint64_t measure_ns;		/* measured runs: min_duration (default 10 s) */
	unsigned reps;			/* repetitions per round (default 3) */
	unsigned max_rounds;		/* default 3 */
	unsigned finalists;		/* measured in the first round (default 4) */
	uint64_t run_timeout_ns;	/* one measured run (default 10 min) */
	uint64_t seed;			/* inputs and run order (default 42) */
	int screen_only;		/* no measured runs (a row `run` does not know) */
	const char *run_cmd;		/* NULL: gb_paths_run_cmd() */
	const char *zoo_dir;		/* NULL: the cache's zoo/ */
	const struct gb_meter_config *meter; /* NULL: defaults */
	volatile sig_atomic_t *stop;	/* may be NULL */
};

void gb_advise_opts_init(struct gb_advise_opts *o);

enum gb_advise_status {
	GB_ADVISE_PENDING,
	GB_ADVISE_OK,		/* screened */
	GB_ADVISE_REJECTED,	/* outputs disagree with the reference */
	GB_ADVISE_FAILED,	/* could not be loaded or run */
	GB_ADVISE_SLOW,		/* p99 above the limit at every batch */
};

/* One axis set away from its default. */
struct gb_advise_setting {
	const struct gb_runtime_axis *axis;
	char value[32];
};

struct gb_advise_candidate {
	size_t idx;			/* in enumeration order (stable across resumes) */
	const struct gb_runtime_ops *rt;
	char ep[32];
	struct gb_advise_setting set[GB_ADVISE_MAX_SET];
	size_t nset;
	char label[256];		/* "ort/cpu threads=2 opt_level=1" */
	char model[PATH_MAX];		/* the file, or the zoo name for a by-name runtime */
	int is_reference;		/* its runtime's fp32 default */
	int is_baseline;

	/* screening (in process) */
	enum gb_advise_status status;
	char reason[512];
	unsigned batch;			/* the best batch found */
	double energy_per_item_mj;	/* at that batch; NAN: no energy source */
	double throughput_per_s, p99_ms;
	char methods[48];		/* "counter", "estimated", ... */
	int agreement_valid;
	double agreement, max_abs_diff;	/* top-1 share, max |diff| vs the reference */
	/* this call's check (not stored: its rejection's reason says them):
	 * rows compared, rows of its outputs flat where the reference's are
	 * not, values NaN on one side only, the reference's largest |score| */
	uint64_t agree_rows, flat_rows, nan_mismatch;
	double ref_max_abs;
	double accuracy;		/* top-1 on the data; NAN: no data */
	double gpu_energy_per_item_mj;	/* the GPUs' share of energy_per_item_mj; NAN: none */
	/* load_s: this candidate's own (a reconfigured session's is the
	 * reconfiguration); fresh_load_s: what a new process pays to load it;
	 * setup_s: its first batch (compilation, algorithm search). */
	double load_s, fresh_load_s, setup_s, measured_s, wall_s;
	int reused;			/* screened on an earlier candidate's session */
	size_t parent;			/* the configuration it was made from; SIZE_MAX: none */

	/* measured runs (child processes, every round) */
	struct gb_ci epi;		/* energy per item over the repetitions */
	double run_throughput_per_s, run_p99_ms;	/* means over them */
	double run_gpu_energy_per_item_mj;	/* the GPUs' share, mean; NAN: none */
	size_t runs_ok, runs_failed;
	/* of runs_ok, by their verdicts (greenbench/verdict.h): invalid runs
	 * are counted and left out of the figures, as in reports; suspect
	 * ones stay in, and the answer says so. verdict_reasons: 1 << code of
	 * every check that fired in them; throttle: NVML reason bits, ORed. */
	size_t runs_invalid, runs_suspect;
	uint32_t verdict_reasons;
	uint64_t throttle;
	double run_measured_s, run_wall_s;
	int pareto;			/* on the front of energy vs p99 */
};

struct gb_advise_answer {
	int64_t advise_id;
	int resumed;
	struct gb_advise_candidate *cands;	/* ranked: measured, screened, rejected, failed */
	size_t ncands;
	size_t winner, runner_up, baseline;	/* SIZE_MAX: none */
	int separated;		/* the winner's CI lies below the runner-up's */
	int budget_ended;	/* stopped early for the budget */
	int stopped;		/* *stop ended the call */
	unsigned rounds;
	double saving_pct;	/* energy per item saved against the baseline; NAN: unknown */
	double wall_s, measured_s, load_s;	/* this call and earlier ones */
	/* Where the time went: screening (its measured windows, its loads),
	 * the measured runs (their measured phases); wall_s less measured_s is
	 * the advisor's overhead. */
	double screen_s, screen_measured_s, runs_s, runs_measured_s;
	size_t reused;		/* candidates screened on a session reused */
	/* The advisor's own cost: all energy while screening, over every
	 * call of the advice (loads and agreement checks included; NAN: no
	 * energy source), the part of it in the measured windows, and the
	 * measured phases of every stored run of its rounds. partial: some
	 * call's screening energy is missing (it was killed before it stored
	 * its share, or had no energy source), so the figures are a floor. */
	double screen_energy_j, screen_window_energy_j;
	char screen_energy_methods[48];
	int screen_energy_partial;
	double runs_energy_j;
	double ref_accuracy;	/* with data: the first runtime's reference's; NAN */
	char command[2048];	/* the winner as a `greenbench run` command */
	char plan_entry[1024];	/* ... and as an experiment-file runtimes entry */
};

/* Events (each optional). */
struct gb_advise_callbacks {
	/* the candidates known before screening (n) and how many the search
	 * screens at most (planned: it makes the rest from what it finds) */
	void (*candidates)(void *ctx, const struct gb_advise_candidate *c, size_t n, size_t planned,
			   int resumed);
	/* after a candidate's screening is stored (from_store: by an earlier call) */
	void (*screened)(void *ctx, const struct gb_advise_candidate *c, int from_store);
	void (*round_start)(void *ctx, unsigned round, size_t ncands, unsigned reps);
	/* a measured run ended and is stored */
	void (*run_end)(void *ctx, unsigned round, const struct gb_engine_run *ev,
			const struct gb_engine_result *res);
};

int gb_advise_run(const struct gb_advise_opts *o, const struct gb_advise_callbacks *cb, void *ctx,
		  struct gb_advise_answer *ans);
void gb_advise_answer_release(struct gb_advise_answer *a);
/* "ok", "rejected", "failed", "slow", "pending" (JSON and the store). */
const char *gb_advise_status_name(enum gb_advise_status s);
/* The answer as one JSON object (malloc'd), or NULL when out of memory. */
char *gb_advise_answer_json(const struct gb_advise_answer *a);

/* ---- the parts, for tests ---------------------------------------------- */

/* The candidates of rt on ep from its declared axes (greenbench/runtime.h):
 * *out malloc'd, *n of them, the default first. max_candidates and axes
 * as in the options; ncpus for range axes. */
int gb_advise_enumerate(const struct gb_runtime_ops *rt, const char *ep, const char *const *axes,
			unsigned max_candidates, unsigned ncpus, struct gb_advise_candidate **out,
			size_t *n);
/* "RUNTIME/EP [KEY=VALUE ...] [batch=N]" as a candidate of rows; batch 0
 * when not given. -EINVAL naming what is wrong. */
int gb_advise_parse_config(const char *text, const struct gb_runtime_ops *const *rows, size_t nrows,
			   struct gb_advise_candidate *c);

#endif
