/*
 * Per-run overhead of greenbench's measured phase: gb_bench_loop() over the
 * ort runtime's run_batches() (which timestamps every batch) versus a bare
 * C loop of OrtApi::Run() on the very same session and inputs, batch 1,
 * CPU, one intra-op thread (ORT then runs the graph on the calling
 * thread), meter off. Rounds alternate which loop goes first; the figures
 * are medians over rounds of the paired differences, both in wall time and
 * in the calling thread's CPU time (which a busy, shared machine disturbs
 * far less than wall time).
 *
 *   build/bench/bench_run_overhead [MODEL_DIR] [ROUNDS] [RUNS]
 *
 * MODEL_DIR defaults to $GB_BUILD/tests/models (the models of
 * tests/gen_models.py). No pass/fail: figures go to docs/perf.md.
 */
#include "bench_util.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/inputs.h"
#include "greenbench/runtime.h"
#include "greenbench/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef GB_HAVE_ORT
#include "runtime/ort_internal.h"

struct pair {
	double wall, cpu; /* ns per run */
};

/* ns per run of a bare Run() loop, outputs released as run_batches does. */
static struct pair bare_loop(const struct gb_ort_raw *raw, uint64_t runs)
{
	OrtValue *out[16] = { NULL };
	uint64_t t0 = gb_now_ns(), c0 = bench_thread_cpu_ns();

	for (uint64_t i = 0; i < runs; i++) {
		for (size_t k = 0; k < raw->nout; k++) {
			raw->api->ReleaseValue(out[k]);
			out[k] = NULL;
		}
		OrtStatus *st = raw->api->Run(raw->session, NULL, raw->in_names, raw->in_vals, raw->nin,
					      raw->out_names, raw->nout, out);
		if (st) {
			fprintf(stderr, "Run failed: %s\n", raw->api->GetErrorMessage(st));
			exit(1);
		}
	}
	for (size_t k = 0; k < raw->nout; k++)
		raw->api->ReleaseValue(out[k]);
	return (struct pair){ (double)(gb_now_ns() - t0) / (double)runs,
			      (double)(bench_thread_cpu_ns() - c0) / (double)runs };
}

static struct pair gb_loop(const struct gb_runtime_ops *rt, void *s, uint64_t runs, uint64_t **lat)
{
	uint64_t n = 0, t0 = 0, t1 = 0, c0 = bench_thread_cpu_ns();

	if (gb_bench_loop(rt, s, runs, 0, lat, &n, &t0, &t1)) {
		fprintf(stderr, "gb_bench_loop: %s\n", gb_error_msg());
		exit(1);
	}
	return (struct pair){ (double)(t1 - t0) / (double)n, (double)(bench_thread_cpu_ns() - c0) / (double)n };
}

static int bench_model(const char *dir, const char *name, int rounds, uint64_t runs)
{
	const struct gb_runtime_ops *rt = gb_runtime_find("ort");
	struct gb_runtime_options opt;
	struct gb_input_config icfg;
	const struct gb_tensor_info *in;
	struct gb_tensor *t = NULL;
	struct gb_ort_raw raw;
	double *v = calloc((size_t)rounds * 6, sizeof *v), bw, bc, dw, dc;
	uint64_t *lat = NULL, batch;
	char path[4096];
	void *s = NULL;
	size_t nin;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	gb_runtime_options_init(&opt);
	opt.model = path;
	opt.intra_op_threads = 1;
	gb_input_config_init(&icfg);
	icfg.batch = 1;
	if (!v || gb_runtime_open(rt, &opt, &s) || rt->describe(s, &in, &nin, NULL, NULL) ||
	    gb_inputs_new(in, nin, &icfg, &t, &batch) || rt->set_inputs(s, t, nin) ||
	    gb_ort_session_raw(s, &raw)) {
		fprintf(stderr, "%s: %s\n", path, gb_error_msg());
		return 1;
	}
	bare_loop(&raw, runs / 4 + 1); /* warm both paths up */
	gb_loop(rt, s, runs / 4 + 1, &lat);
	for (int r = 0; r < rounds; r++) {
		struct pair a, g;

		if (r % 2) {
			g = gb_loop(rt, s, runs, &lat);
			a = bare_loop(&raw, runs);
		} else {
			a = bare_loop(&raw, runs);
			g = gb_loop(rt, s, runs, &lat);
		}
		v[r] = a.wall;
		v[rounds + r] = a.cpu;
		v[2 * rounds + r] = g.wall - a.wall;
		v[3 * rounds + r] = g.cpu - a.cpu;
	}
	bw = bench_median(v, rounds);
	bc = bench_median(v + rounds, rounds);
	dw = bench_median(v + 2 * rounds, rounds);
	dc = bench_median(v + 3 * rounds, rounds);
	printf("%-13s %9.3f %9.3f %9.3f %7.2f %9.3f %7.2f\n", name, bw / 1e3, bc / 1e3, dw / 1e3,
	       100 * dw / bw, dc / 1e3, 100 * dc / bc);
	free(lat);
	free(v);
	gb_inputs_free(t, nin);
	rt->close(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *b = getenv("GB_BUILD");
	char dir[4096];
	int rounds = argc > 2 ? atoi(argv[2]) : 9;
	uint64_t runs = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000;

	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/tests/models", b && *b ? b : "build");
	if (rounds < 1 || runs < 1) {
		fprintf(stderr, "usage: bench_run_overhead [MODEL_DIR] [ROUNDS] [RUNS]\n");
		return 2;
	}
	printf("run overhead: greenbench measured loop vs bare OrtApi::Run() loop\n");
	printf("batch 1, cpu, 1 intra-op thread, meter off; medians of %d rounds of %llu runs\n\n",
	       rounds, (unsigned long long)runs);
	printf("%-13s %9s %9s %17s %17s\n", "", "bare run", "bare run", "overhead (wall)",
	       "overhead (cpu)");
	printf("%-13s %9s %9s %9s %7s %9s %7s\n", "model", "wall us", "cpu us", "us", "%", "us", "%");
	if (bench_model(dir, "mlp.onnx", rounds, runs) ||
	    bench_model(dir, "mlp_big.onnx", rounds, runs / 10 + 1))
		return 1;
	return 0;
}

#else

int main(void)
{
	printf("bench_run_overhead: skipped (built without ONNX Runtime)\n");
	return 0;
}

#endif
