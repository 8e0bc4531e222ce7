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
};

/* An open candidate: the session and what its options point at. */
struct gb_advise_session {
	struct gb_eval_side side;
	struct gb_runtime_options ro;
	struct gb_kv kv[GB_ADVISE_MAX_SET];
	size_t nkv;
};

/* One advisor call's state (advise.c, rounds.c). */
struct gb_advise_state {
	const struct gb_advise_opts *o;
	const struct gb_advise_callbacks *cb;
	void *ctx;
	struct gb_advise_answer *ans;
	struct gb_advise_ctx_model model;
	struct gb_store *store;
	struct gb_meter *m;
	const struct gb_runtime_ops *const *rows;
	size_t nrows;
	struct gb_advise_candidate *c;	/* enumeration order (idx) */
	size_t nc, capc;
	uint64_t t_start_ns, spent_before_ns, deadline_ns;
	char run_cmd[4096], zoo_dir[4096];
	volatile sig_atomic_t round_stop;
	double max_run_wall_s;
	double runs_measured_s;
	unsigned round;
};

/* advise.c */
int gb_advise_stopped(const struct gb_advise_state *a);
uint64_t gb_advise_spent_ns(const struct gb_advise_state *a);
/* Store the time spent so far. */
int gb_advise_checkpoint(struct gb_advise_state *a);
/* x screened better than y: less energy per item, else more throughput. */
int gb_advise_better_screen(const struct gb_advise_candidate *x, const struct gb_advise_candidate *y);

/* rounds.c: the measured rounds, resumed or new, into each candidate's
 * figures; qsort order of candidate pointers by measured then screened. */
int gb_advise_rounds(struct gb_advise_state *a);
int gb_advise_cmp_measured(const void *x, const void *y);

/* candidates.c */
/* name is in the NULL-terminated list; 1 for any name when list is NULL. */
int gb_advise_in_list(const char *const *list, const char *name);
/* Append c to *arr (grown as needed). */
int gb_advise_append(struct gb_advise_candidate **arr, size_t *n, size_t *cap, const struct gb_advise_candidate *c);
void gb_advise_label(struct gb_advise_candidate *c);
const char *gb_advise_get(const struct gb_advise_candidate *c, const char *axis);
/* base plus every setting of best[0..nbest) (the one-axis winners). */
int gb_advise_combine(const struct gb_advise_candidate *base, const struct gb_advise_candidate *const *best,
		      size_t nbest, struct gb_advise_candidate *out);
/* "greenbench run --model ... --batch N [--dim ...]" */
int gb_advise_run_args(const struct gb_advise_candidate *c, const struct gb_advise_ctx_model *m,
		       unsigned batch, char *buf, size_t len);
/* "{runtime: ort, ep: 'cpu', [label: '...',] options: {threads: '2'}}" */
int gb_advise_yaml_runtime(const struct gb_advise_candidate *c, int with_label, char *buf, size_t len);

/* screen.c */
/* "counter+estimated" from 1 << method bits. */
void gb_advise_methods_text(unsigned bits, char *buf, size_t len);
struct gb_advise_screen_env {
	const struct gb_advise_opts *o;
	const struct gb_advise_ctx_model *model;
	struct gb_meter *m;		/* NULL: no energy */
	uint64_t deadline_ns;		/* gb_now_ns() at which the budget ends */
};
/* Open c's session (the load, timed into *load_s). */
int gb_advise_session_open(const struct gb_advise_candidate *c, uint64_t seed, struct gb_advise_session *s,
			   double *load_s);
void gb_advise_session_close(struct gb_advise_session *s);
/* Screen c (see advise.h); ref: its runtime's reference session, NULL when
 * c is the reference or its verdict is known (c->agreement_valid). Sets
 * c's status, figures and reason; the error return is for what stops the
 * advisor (out of memory), not for a candidate that fails. */
int gb_advise_screen(const struct gb_advise_screen_env *env, struct gb_advise_candidate *c,
		     struct gb_eval_side *ref);

#endif
