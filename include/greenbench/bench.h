/*
 * Benchmark one configuration: open the model (load), run one batch
 * (first), warm up, then measure, taking a meter mark around each phase.
 *
 * Every timestamp and every counter read comes after the runtime's
 * run_batches() returned, and run_batches() synchronises device work
 * before it returns, so no phase ends with GPU work still queued.
 *
 * The measured phase runs at least `iterations` batches AND for at least
 * `min_duration_ns` (GPU energy counters tick only every ~100 ms, so a
 * short phase would have too few ticks to mean anything).
 *
 * Thread-safety: one benchmark per meter at a time.
 */
#ifndef GREENBENCH_BENCH_H
#define GREENBENCH_BENCH_H

#include "greenbench/dataset.h"
#include "greenbench/inputs.h"
#include "greenbench/meter.h"
#include "greenbench/result.h"
#include "greenbench/runtime.h"

#include <stdint.h>

struct gb_bench_config {
	const struct gb_runtime_ops *rt;
	struct gb_runtime_options ropt;	/* model, ep, io, threads, ... */
	struct gb_input_config inputs;	/* batch, dims, vocab, seed */
	uint64_t warmup_iterations;	/* used when warmup_ns == 0 */
	uint64_t warmup_ns;
	uint64_t iterations;
	uint64_t min_duration_ns;
	uint64_t idle_ns;		/* idle baseline before loading; 0: none */
	/* Optional (NULL): a dataset, opened and prepared by the caller
	 * (preparation is in no phase), scored in the "accuracy" phase after
	 * the measured one through the same session (greenbench/evaluate.h). */
	struct gb_dataset *data;
	const char *data_path;		/* recorded as given */
	uint64_t data_limit;		/* recorded; the dataset applies it */
};

/* Defaults: cpu, host io, warm-up 10 batches, 100 iterations, 10 s. */
void gb_bench_config_init(struct gb_bench_config *cfg);

/* Run the benchmark. m may be NULL (no energy). res must be initialised;
 * on failure it holds the phases done so far, ok = 0 and the error, and
 * the negative errno is returned. */
int gb_bench_run(const struct gb_bench_config *cfg, struct gb_meter *m, struct gb_run_result *res);

/* The one place the "(lower --batch)" advice is written: when the last
 * error is of kind GB_ERROR_KIND_OOM (greenbench/error.h), prefix it with
 * "batch N does not fit in memory (lower --batch)" (batch 0: the model's
 * own); other errors are left alone. Returns err. */
int gb_bench_explain_oom(int err, uint64_t batch);

/* The measured-phase loop on an open session with inputs set: run batches
 * until at least min_iters ran and min_ns passed. Per-batch latencies go
 * to *lat (grown with realloc; *lat may start NULL), their count to *n.
 * lat may be NULL to keep none. *t_start_ns / *t_end_ns bracket the loop. */
int gb_bench_loop(const struct gb_runtime_ops *rt, void *session, uint64_t min_iters,
		  uint64_t min_ns, uint64_t **lat, uint64_t *n, uint64_t *t_start_ns,
		  uint64_t *t_end_ns);

#endif
