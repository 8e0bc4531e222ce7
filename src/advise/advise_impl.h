/* The advisor's parts (src/advise/): shared inside the library only. */
#ifndef GB_ADVISE_IMPL_H
#define GB_ADVISE_IMPL_H

#include "greenbench/advise.h"
#include "greenbench/evaluate.h"
#include "greenbench/store.h"

#include <limits.h>

/* The model as each candidate needs it. */
struct gb_advise_ctx_model {
	const char *name;		/* as given: a zoo name or a file */
	int zoo;			/* a zoo name */
	char file[PATH_MAX];		/* the fp32 ONNX file (exported for a zoo model) */
	char fp16[PATH_MAX];		/* the fp16 variant; "" when none */
	const struct gb_dim *dims;
	size_t ndims;
	uint64_t vocab;			/* --vocab for runs; 0: the default */
};

/* An open candidate: the session and what its options point at. */
struct gb_advise_session {
	struct gb_eval_side side;
	struct gb_runtime_options ro;
	struct gb_kv kv[GB_ADVISE_MAX_SET + 1];
	size_t nkv;
	char timeout[32];		/* a worker's request timeout: the budget's end */
};

/* A runtime's reference outputs on the agreement inputs (agree.c). */
struct gb_advise_refout {
	int valid;
	float *scores;			/* rows x ncls */
	size_t rows, ncls;
	double accuracy;		/* with data; NAN without */
};

/* A searched runtime during screening (search.c). */
struct gb_advise_rt {
	const struct gb_runtime_ops *rt;
	size_t ref;			/* its reference in the state's candidates */
	int full;			/* every combination enumerated up front */
	/* one axis at a time: the axes by prior, the next one, the best so far */
	const struct gb_runtime_axis *axes[32];
	size_t nax, next_axis, incumbent;
	/* values left of an axis whose first values already gave half its
	 * prior: tried later on the incumbent of then, without a prior */
	struct gb_advise_setting deferred[64];
	size_t ndeferred, next_deferred;
	struct gb_advise_refout refout;
	/* the last session opened or reconfigured, kept for the next candidate */
	struct gb_advise_session warm;
	struct gb_advise_candidate warm_cfg;
	double warm_open_s;
};

/* One advisor call's state (advise.c, search.c, rounds.c). */
struct gb_advise_state {
	const struct gb_advise_opts *o;
	const struct gb_advise_callbacks *cb;
	void *ctx;
	struct gb_advise_answer *ans;
	struct gb_advise_ctx_model model;
	struct gb_dim dims[GB_MAX_DIMS];
	struct gb_dataset *ds;		/* opts' data, prepared; NULL: none */
	struct gb_store *store;
	struct gb_meter *m;
	const struct gb_runtime_ops *const *rows;
	size_t nrows;
	struct gb_advise_candidate *c;	/* creation order (idx) */
	size_t nc, capc;
	struct gb_advise_rt *rts;	/* the searched runtimes, in row order */
	size_t nrts;
	struct gb_store_screen *stored;	/* screenings of an earlier call */
	size_t nstored;
	uint64_t t_start_ns, spent_before_ns, deadline_ns;
	char run_cmd[4096], zoo_dir[4096];
	volatile sig_atomic_t round_stop;
	double max_run_wall_s;
	double runs_measured_s, runs_wall_s;
	double window_energy_j;		/* screening windows of this call */
	int window_energy_valid;
	unsigned round;
};

/* advise.c */
int gb_advise_stopped(const struct gb_advise_state *a);
uint64_t gb_advise_spent_ns(const struct gb_advise_state *a);
/* Store the time spent so far. */
int gb_advise_checkpoint(struct gb_advise_state *a);
/* x screened better than y: less energy per item, else more throughput. */
int gb_advise_better_screen(const struct gb_advise_candidate *x, const struct gb_advise_candidate *y);
/* Add c (idx set, figures cleared); its index in a->c into *at. */
int gb_advise_add(struct gb_advise_state *a, const struct gb_advise_candidate *c, size_t *at);
/* The file c opens (c->model); 0 when the variant it needs is missing. */
int gb_advise_model_for(struct gb_advise_state *a, struct gb_advise_candidate *c);
/* c's stored screening of an earlier call, applied; 1 when there was one. */
int gb_advise_from_store(struct gb_advise_state *a, struct gb_advise_candidate *c);
/* Store c as started (started) or screened. */
int gb_advise_store_screen(struct gb_advise_state *a, const struct gb_advise_candidate *c, int started);
/* What a measured child run of c is expected to take, in seconds. */
double gb_advise_run_estimate_s(const struct gb_advise_state *a, const struct gb_advise_candidate *c);

/* search.c: every candidate screened, in the order of the search, until
 * the deadline (less what the first round needs). */
int gb_advise_search(struct gb_advise_state *a);
/* How many candidates the search screens at most. */
size_t gb_advise_planned(const struct gb_advise_state *a);

/* rounds.c: the measured rounds, resumed or new, into each candidate's
 * figures; qsort order of candidate pointers by measured then screened. */
int gb_advise_rounds(struct gb_advise_state *a);
int gb_advise_cmp_measured(const void *x, const void *y);
/* What the first round costs (s) with the best screened candidates now. */
double gb_advise_round1_estimate_s(struct gb_advise_state *a);

/* candidates.c */
/* name is in the NULL-terminated list; 1 for any name when list is NULL. */
int gb_advise_in_list(const char *const *list, const char *name);
/* Append c to *arr (grown as needed). */
int gb_advise_append(struct gb_advise_candidate **arr, size_t *n, size_t *cap, const struct gb_advise_candidate *c);
void gb_advise_label(struct gb_advise_candidate *c);
const char *gb_advise_get(const struct gb_advise_candidate *c, const char *axis);
/* The candidates of the searched axes combined: how many (1 + values) x ... */
double gb_advise_product(const struct gb_runtime_ops *rt, const char *ep, const char *const *axes, unsigned ncpus);
/* base with axis set to value (and what that needs, from the row's axes
 * on base's EP): 0 and *out, or -EINVAL when a requirement cannot be met. */
int gb_advise_derive(const struct gb_advise_candidate *base, const struct gb_runtime_axis *axis,
		     const char *value, struct gb_advise_candidate *out);
/* The prior of c: the product of (1 - gain) of its settings, and the
 * class of its worst setting (0: every gain > 0, 1: some 0, 2: some < 0). */
double gb_advise_prior(const struct gb_advise_candidate *c, int *cls);
/* x and y differ only in axes of scope GB_AXIS_RUN_TIME (1), else 0. */
int gb_advise_run_time_only(const struct gb_advise_candidate *x, const struct gb_advise_candidate *y);
/* "greenbench run --model ... --batch N [--dim ...]" */
int gb_advise_run_args(const struct gb_advise_candidate *c, const struct gb_advise_ctx_model *m,
		       unsigned batch, char *buf, size_t len);
/* "{runtime: ort, ep: 'cpu', [label: '...',] options: {threads: '2'}[, args: [...]]}" */
int gb_advise_yaml_runtime(const struct gb_advise_candidate *c, const struct gb_advise_ctx_model *m,
			   int with_label, char *buf, size_t len);

/* screen.c */
/* "counter+estimated" from 1 << method bits. */
void gb_advise_methods_text(unsigned bits, char *buf, size_t len);
struct gb_advise_screen_env {
	const struct gb_advise_opts *o;
	const struct gb_advise_ctx_model *model;
	struct gb_dataset *ds;		/* NULL: generated inputs */
	struct gb_meter *m;		/* NULL: no energy */
	/* gb_now_ns() after which no batch step starts (the budget's end less
	 * the first round's time); a worker's requests end within 30 s of it */
	uint64_t deadline_ns;
	uint64_t budget_end_ns;		/* the budget's end */
	double *window_energy_j;	/* adds each measured window's energy; may be NULL */
};
/* c's runtime options into s (strings borrowed from c, which must stay
 * put while s->ro is used). */
int gb_advise_session_options(const struct gb_advise_screen_env *env, const struct gb_advise_candidate *c,
			      struct gb_advise_session *s);
/* Open c's session (the load, timed into *load_s). */
int gb_advise_session_open(const struct gb_advise_screen_env *env, const struct gb_advise_candidate *c,
			   struct gb_advise_session *s, double *load_s);
void gb_advise_session_close(struct gb_advise_session *s);
/* src's open session into dst (src left closed). */
void gb_advise_session_move(struct gb_advise_session *dst, struct gb_advise_session *src);
/* Screen c on the open session s (search.c opened or reconfigured it):
 * its verdict against ref (NULL when c is a reference or its verdict is
 * known: c->agreement_valid), then batch sizes from start_batch (0: the
 * ladder 1, 4, 16, ...). Sets c's status, figures and reason; the error
 * return is for what stops the advisor (out of memory), not for a
 * candidate that fails. s may be reopened (a setting that pins the batch)
 * and is closed on failure. */
int gb_advise_screen(const struct gb_advise_screen_env *env, struct gb_advise_candidate *c,
		     struct gb_advise_session *s, const struct gb_advise_refout *ref, unsigned start_batch);

/* agree.c */
/* The reference's outputs on the agreement inputs (generated, or the data's
 * items) into out. */
int gb_advise_ref_outputs(const struct gb_advise_screen_env *env, struct gb_eval_side *s,
			  struct gb_advise_refout *out);
void gb_advise_refout_release(struct gb_advise_refout *r);
/* c's outputs on the same inputs against ref: c's agreement, max |diff|
 * and accuracy. A candidate whose outputs cannot be compared is marked
 * failed with the reason (0 returned); errors are out of memory. */
int gb_advise_agree(const struct gb_advise_screen_env *env, struct gb_eval_side *s,
		    const struct gb_advise_refout *ref, struct gb_advise_candidate *c);
/* Why c, below min_agreement, is rejected: the agreement, max |diff|, and
 * what its outputs lost (flat rows, NaNs) when they say more than those. */
void gb_advise_agree_reason(const struct gb_advise_candidate *c, double min_agreement, char *buf, size_t len);

#endif
