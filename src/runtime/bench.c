/*
 * One configuration end to end: load, first inference, warm-up, measured
 * phase, each between two meter marks (see bench.h).
 */
#include "greenbench/bench.h"
#include "greenbench/cputree.h"
#include "greenbench/error.h"
#include "greenbench/evaluate.h"
#include "greenbench/sha256.h"
#include "greenbench/time.h"
#include "greenbench/version.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

void gb_bench_config_init(struct gb_bench_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	gb_runtime_options_init(&cfg->ropt);
	gb_input_config_init(&cfg->inputs);
	cfg->inputs.seed = 42;
	cfg->warmup_iterations = 10;
	cfg->iterations = 100;
	cfg->min_duration_ns = 10 * GB_NS_PER_S;
}

/* Next chunk of batches: what the iteration count still needs, or half of
 * what the remaining time needs at the rate so far, growing at most
 * geometrically so a fast start cannot overshoot by much. */
static uint64_t next_chunk(uint64_t done, uint64_t elapsed_ns, uint64_t min_iters, uint64_t min_ns)
{
	uint64_t need_i = done < min_iters ? min_iters - done : 0, need_t = 0, cap;

	if (done == 0)
		return 1;
	if (elapsed_ns < min_ns) {
		double per = (double)elapsed_ns / (double)done;

		need_t = per > 0 ? (uint64_t)((double)(min_ns - elapsed_ns) / per / 2.0) + 1 : done;
		cap = done * 4 + 16;
		need_t = need_t < cap ? need_t : cap;
	}
	return need_i > need_t ? need_i : (need_t ? need_t : 1);
}

int gb_bench_loop(const struct gb_runtime_ops *rt, void *session, uint64_t min_iters,
		  uint64_t min_ns, uint64_t **lat, uint64_t *n, uint64_t *t_start_ns,
		  uint64_t *t_end_ns)
{
	/* The capacity of a buffer passed in is unknown: regrow it. */
	uint64_t done = 0, cap = 0, t0 = gb_now_ns(), now = t0, chunk;
	int ret;

	for (;;) {
		if (done >= min_iters && now - t0 >= min_ns && done > 0)
			break;
		chunk = next_chunk(done, now - t0, min_iters, min_ns);
		if (lat && done + chunk > cap) {
			uint64_t want = done + chunk > 2 * cap ? done + chunk : 2 * cap;
			uint64_t *nl = realloc(*lat, want * sizeof *nl);

			if (!nl)
				return gb_error_set(-ENOMEM, "out of memory for %llu latencies",
						    (unsigned long long)want);
			*lat = nl;
			cap = want;
		}
		ret = rt->run_batches(session, chunk, lat ? *lat + done : NULL);
		now = gb_now_ns();
		if (ret)
			return ret;
		done += chunk;
	}
	*n = done;
	*t_start_ns = t0;
	*t_end_ns = now;
	return 0;
}

/* ---- phases ---------------------------------------------------------- */

struct run_ctx {
	const struct gb_bench_config *cfg;
	struct gb_meter *m;
	struct gb_run_result *res;
	struct gb_mark start, end;
	struct rusage ru_start;
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int phase_begin(struct run_ctx *c, enum gb_phase_id p)
{
	struct gb_phase *ph = &c->res->phases[p];
	int ret = 0;

	getrusage(RUSAGE_SELF, &c->ru_start);
	if (c->m)
		ret = gb_meter_mark(c->m, &c->start);
	ph->t_start_ns = c->m ? c->start.t_ns : gb_now_ns();
	return ret;
}

static int phase_end(struct run_ctx *c, enum gb_phase_id p, uint64_t iters)
{
	struct gb_phase *ph = &c->res->phases[p];
	struct rusage ru;
	int ret = 0;

	if (c->m)
		ret = gb_meter_mark(c->m, &c->end);
	ph->t_end_ns = c->m ? c->end.t_ns : gb_now_ns();
	getrusage(RUSAGE_SELF, &ru);
	ph->cpu_user_s = tv_s(ru.ru_utime) - tv_s(c->ru_start.ru_utime);
	ph->cpu_system_s = tv_s(ru.ru_stime) - tv_s(c->ru_start.ru_stime);
	ph->iterations = iters;
	ph->items = iters * c->res->batch;
	if (ret)
		return ret;
	if (c->m) {
		ph->energy = calloc(c->res->ndomains + 1, sizeof *ph->energy);
		if (!ph->energy)
			return gb_error_set(-ENOMEM, "out of memory");
		ret = gb_meter_window(c->m, &c->start, &c->end, ph->energy);
		if (!ret)
			ret = gb_meter_totals(c->m, ph->energy, &ph->totals);
		if (ret)
			return ret;
	}
	ph->done = 1;
	return 0;
}

static void copy_kv(struct gb_result_kv *dst, size_t *n, const struct gb_kv *src, size_t nsrc)
{
	for (size_t i = 0; i < nsrc && *n < GB_RESULT_KV_MAX; i++, (*n)++) {
		snprintf(dst[*n].key, sizeof dst[*n].key, "%s", src[i].key);
		snprintf(dst[*n].value, sizeof dst[*n].value, "%s", src[i].value);
	}
}

/* The runtime's facts, replacing those read before (some are known only
 * after the first batch). */
static void record_meta(const struct gb_runtime_ops *rt, void *session, struct gb_run_result *r)
{
	const struct gb_kv *meta = NULL;
	size_t nmeta = 0;

	if (!rt->metadata || rt->metadata(session, &meta, &nmeta))
		return;
	r->n_runtime_meta = 0;
	copy_kv(r->runtime_meta, &r->n_runtime_meta, meta, nmeta);
}

/* The config half of the record, before anything runs. */
static void record_config(const struct gb_bench_config *cfg, struct gb_run_result *r)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(r->started_at, sizeof r->started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(r->model, sizeof r->model, "%s", cfg->ropt.model ? cfg->ropt.model : "");
	snprintf(r->runtime, sizeof r->runtime, "%s", cfg->rt ? cfg->rt->name : "");
	snprintf(r->ep, sizeof r->ep, "%s", cfg->ropt.ep ? cfg->ropt.ep : "cpu");
	copy_kv(r->ep_options, &r->n_ep_options, cfg->ropt.ep_options, cfg->ropt.n_ep_options);
	r->io = cfg->ropt.io;
	r->batch = cfg->inputs.batch;
	for (size_t i = 0; i < cfg->inputs.ndims && i < GB_MAX_DIMS; i++)
		r->dims[r->ndims++] = cfg->inputs.dims[i];
	r->warmup_iterations = cfg->warmup_ns ? 0 : cfg->warmup_iterations;
	r->warmup_ns = cfg->warmup_ns;
	r->iterations = cfg->iterations;
	r->min_duration_ns = cfg->min_duration_ns;
	r->seed = cfg->inputs.seed;
	r->vocab = cfg->inputs.vocab ? cfg->inputs.vocab : GB_VOCAB_DEFAULT;
	r->intra_op_threads = cfg->ropt.intra_op_threads;
	r->inter_op_threads = cfg->ropt.inter_op_threads;
	r->graph_opt_level = cfg->ropt.graph_opt_level;
}

static int record_meter(struct gb_meter *m, struct gb_run_result *r)
{
	r->metered = m != NULL;
	if (!m) {
		gb_run_result_unavailable(r, "energy", "meter disabled (--no-meter)");
		return 0;
	}
	r->ndomains = gb_meter_domain_count(m);
	r->domains = calloc(r->ndomains + 1, sizeof *r->domains);
	r->idle_w = calloc(r->ndomains + 1, sizeof *r->idle_w);
	if (!r->domains || !r->idle_w)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < r->ndomains; i++) {
		r->domains[i] = *gb_meter_domain(m, i);
		if (gb_meter_idle_power(m, i, &r->idle_w[i]) < 0)
			r->idle_w[i] = NAN;
	}
	if (!r->ndomains)
		gb_run_result_unavailable(r, "energy", "no energy source is available here (see 'greenbench devices')");
	/* GPUs were asked for by a list (CUDA_VISIBLE_DEVICES, ...): why a GPU
	 * source measures none of them, e.g. the list named none here. */
	for (size_t i = 0; gb_meter_config_get(m)->gpus && i < gb_meter_source_count(m); i++) {
		const struct gb_source_status *st = gb_meter_source(m, i);

		if (st->ops->group == GB_GROUP_GPU && st->state == GB_SOURCE_UNAVAILABLE)
			gb_run_result_unavailable(r, "gpus", "%s", st->reason);
	}
	return 0;
}

static int fail(struct gb_run_result *r, int ret)
{
	r->ok = 0;
	snprintf(r->error, sizeof r->error, "%s", gb_error_msg());
	return ret;
}

/* Keep the dataset's facts and the first reasons for skipped items. */
static int record_data(struct gb_dataset *ds, struct gb_run_accuracy *a)
{
	struct gb_dataset_stats st;
	size_t n;

	gb_dataset_stats(ds, &st);
	a->skipped = st.skipped;
	n = st.skipped < GB_RESULT_SKIPPED_MAX ? st.skipped : GB_RESULT_SKIPPED_MAX;
	if (!n)
		return 0;
	a->skipped_reasons = calloc(n, sizeof *a->skipped_reasons);
	if (!a->skipped_reasons)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *why = gb_dataset_skipped_reason(ds, i);

		a->skipped_reasons[i] = strdup(why ? why : "?");
		if (!a->skipped_reasons[i])
			return gb_error_set(-ENOMEM, "out of memory");
		a->nskipped_reasons = i + 1;
	}
	return 0;
}

/* The accuracy phase: every item of the dataset through the session, in
 * batches of the run's batch size. */
static int accuracy_phase(struct run_ctx *c, void *session, uint64_t batch)
{
	const struct gb_bench_config *cfg = c->cfg;
	struct gb_run_accuracy *a = &c->res->accuracy;
	struct gb_accuracy acc;
	struct gb_eval e;
	uint64_t batches = 0;
	int ret;

	snprintf(a->data, sizeof a->data, "%s", cfg->data_path ? cfg->data_path : "");
	snprintf(a->kind, sizeof a->kind, "%s", gb_dataset_kind_name(gb_dataset_kind(cfg->data)));
	a->limit = cfg->data_limit;
	gb_accuracy_init(&acc);
	ret = gb_eval_init(&e, cfg->rt, session, cfg->data, batch);
	if (ret)
		return ret;
	ret = phase_begin(c, GB_PHASE_ACCURACY);
	if (!ret)
		ret = gb_eval_accuracy(&e, &acc, &batches);
	if (!ret)
		ret = phase_end(c, GB_PHASE_ACCURACY, batches);
	c->res->phases[GB_PHASE_ACCURACY].items = acc.n;
	if (!ret)
		ret = record_data(cfg->data, a);
	if (!ret) {
		const struct gb_tensor *out = NULL;
		size_t nout = 0;

		a->n = acc.n;
		a->top1 = acc.top1;
		a->top5 = acc.top5;
		a->valid = 1;
		/* scores per item, from the last batch's first float output */
		for (size_t i = 0; acc.n && cfg->rt->outputs(session, &out, &nout) == 0 && i < nout; i++)
			if (out[i].info.dtype == GB_DTYPE_F32 && out[i].info.dims[0] > 0) {
				a->classes = out[i].bytes / sizeof(float) / (uint64_t)out[i].info.dims[0];
				break;
			}
	}
	gb_eval_release(&e);
	if (ret)
		gb_error_wrap(ret, "accuracy on '%s'", a->data);
	return ret;
}

/* GPU processes outside this process tree, counted into *foreign (NAN
 * until some GPU could say). Always this run's tree, even beside sibling
 * runs of a campaign (GB_ENV_OWN_TREE): each is pinned to a GPU of its own,
 * so a sibling on this GPU is interference. */
static void gpu_foreign(struct gb_meter *m, double *foreign)
{
	struct gb_proc_tree tree;
	uint32_t pids[64];
	size_t n;

	if (!m || gb_proc_tree_read(0, &tree))
		return;
	for (size_t d = 0; d < gb_meter_domain_count(m); d++) {
		double k = 0;

		if (gb_meter_domain(m, d)->kind != GB_DOMAIN_GPU ||
		    gb_meter_domain_processes(m, d, pids, sizeof pids / sizeof pids[0], &n))
			continue;
		for (size_t i = 0; i < n; i++)
			k += i >= sizeof pids / sizeof pids[0] || !gb_proc_tree_has(&tree, (pid_t)pids[i]);
		*foreign = isnan(*foreign) || k > *foreign ? k : *foreign;
	}
	gb_proc_tree_release(&tree);
}

/* Others' CPU time over [a, now] in cores, into *cores (NAN if unknown). */
static void cpu_foreign(const struct gb_cpu_load *a, double *cores)
{
	struct gb_cpu_load b;

	if (gb_cpu_load_read(&b) || gb_cpu_load_foreign(a, &b, cores))
		*cores = NAN;
}

/* A phase of one batch (build, first). */
static int one_batch_phase(struct run_ctx *c, void *session, enum gb_phase_id p)
{
	uint64_t lat_ns = 0;
	int ret = phase_begin(c, p);

	if (!ret)
		ret = c->cfg->rt->run_batches(session, 1, &lat_ns);
	if (!ret)
		ret = phase_end(c, p, 1);
	return ret;
}

static int run_phases(struct run_ctx *c, void **session)
{
	const struct gb_bench_config *cfg = c->cfg;
	const struct gb_runtime_ops *rt = cfg->rt;
	struct gb_run_result *r = c->res;
	const struct gb_tensor_info *in = NULL, *outs = NULL;
	struct gb_cpu_load load;
	struct gb_runtime_options ropt = cfg->ropt;
	struct gb_tensor *t = NULL;
	uint64_t *lat = NULL, nlat = 0, t0, t1, batch = cfg->inputs.batch;
	size_t nin = 0, nout = 0;
	int ret;

	/* load */
	ropt.shapes = &cfg->inputs;
	ret = phase_begin(c, GB_PHASE_LOAD);
	if (!ret)
		ret = gb_runtime_open(rt, &ropt, session);
	if (!ret)
		ret = phase_end(c, GB_PHASE_LOAD, 0);
	if (ret)
		goto out;
	record_meta(rt, *session, r);

	/* inputs: in no phase */
	ret = rt->describe(*session, &in, &nin, &outs, &nout);
	if (!ret)
		ret = gb_inputs_new(in, nin, &cfg->inputs, &t, &batch);
	if (ret)
		goto out;
	r->batch = batch;
	snprintf(r->dtype, sizeof r->dtype, "%s", nin ? gb_dtype_name(in[0].dtype) : "none");
	ret = rt->set_inputs(*session, t, nin);
	if (ret)
		goto out;

	/* engine build (the first batch, where the runtime builds there),
	 * then the first inference */
	if (rt->builds_on_first_run && rt->builds_on_first_run(*session) == 1 &&
	    (ret = one_batch_phase(c, *session, GB_PHASE_BUILD)))
		goto out;
	ret = one_batch_phase(c, *session, GB_PHASE_FIRST);
	if (ret)
		goto out;
	/* Facts known once the engine exists (built or reused). */
	record_meta(rt, *session, r);

	/* warm-up: a count, or a duration */
	ret = phase_begin(c, GB_PHASE_WARMUP);
	if (!ret && (cfg->warmup_ns || cfg->warmup_iterations))
		ret = gb_bench_loop(rt, *session, cfg->warmup_ns ? 0 : cfg->warmup_iterations,
				    cfg->warmup_ns, NULL, &nlat, &t0, &t1);
	if (!ret)
		ret = phase_end(c, GB_PHASE_WARMUP, cfg->warmup_ns || cfg->warmup_iterations ? nlat : 0);
	if (ret)
		goto out;

	/* measured, with the interference samples outside its window: they
	 * walk /proc and ask the GPUs, which costs milliseconds */
	nlat = 0;
	gpu_foreign(c->m, &r->interference.gpu_processes);
	if (gb_cpu_load_read(&load))
		load.valid = 0;
	r->interference.campaign_tree = load.valid && load.campaign_tree;
	ret = phase_begin(c, GB_PHASE_MEASURED);
	if (!ret)
		ret = gb_bench_loop(rt, *session, cfg->iterations, cfg->min_duration_ns, &lat, &nlat,
				    &t0, &t1);
	if (!ret)
		ret = phase_end(c, GB_PHASE_MEASURED, nlat);
	if (ret)
		goto out;
	cpu_foreign(&load, &r->interference.cpu_cores);
	gpu_foreign(c->m, &r->interference.gpu_processes);
	ret = gb_latency_summarize(lat, nlat, &r->latency);
	if (ret)
		goto out;
	r->latency_valid = 1;
	/* Throughput over the loop's own clock, which brackets the batches
	 * more tightly than the marks (they also read the counters). */
	r->throughput_items_per_s = (double)(nlat * batch) / ((double)(t1 - t0) / 1e9);
	if (cfg->data)
		ret = accuracy_phase(c, *session, batch);
out:
	gb_bench_explain_oom(ret, batch);
	free(lat);
	gb_inputs_free(t, nin);
	return ret;
}

int gb_bench_explain_oom(int err, uint64_t batch)
{
	if (!err || gb_error_kind() != GB_ERROR_KIND_OOM)
		return err;
	if (batch)
		return gb_error_wrap(err, "batch %llu does not fit in memory (lower --batch)",
				     (unsigned long long)batch);
	return gb_error_wrap(err, "the batch does not fit in memory (lower --batch)");
}

int gb_bench_run(const struct gb_bench_config *cfg, struct gb_meter *m, struct gb_run_result *res)
{
	struct run_ctx c = { .cfg = cfg, .m = m, .res = res };
	void *session = NULL;
	int ret;

	record_config(cfg, res);
	if (!cfg->rt) {
		gb_error_set(-EINVAL, "no runtime given");
		return fail(res, -EINVAL);
	}
	if (cfg->ropt.model && gb_sha256_file(cfg->ropt.model, res->model_sha256) < 0) {
		res->model_sha256[0] = '\0';
		gb_run_result_unavailable(res, "model_sha256", "%s", gb_error_msg());
	}
	ret = record_meter(m, res);
	if (!ret && m) {
		ret = gb_mark_init(&c.start, m);
		if (!ret)
			ret = gb_mark_init(&c.end, m);
		if (!ret)
			ret = gb_meter_start(m);
		if (!ret && cfg->idle_ns) {
			struct gb_cpu_load load;

			res->idle_ns = cfg->idle_ns;
			if (gb_cpu_load_read(&load))
				load.valid = 0;
			ret = gb_meter_measure_idle(m, cfg->idle_ns);
			if (!ret)
				cpu_foreign(&load, &res->interference.idle_cpu_cores);
			for (size_t i = 0; !ret && i < res->ndomains; i++)
				if (gb_meter_idle_power(m, i, &res->idle_w[i]) < 0)
					res->idle_w[i] = NAN;
		}
	}
	gb_run_result_environment(res, m);
	if (!ret)
		ret = run_phases(&c, &session);
	if (m)
		gb_meter_stop(m);
	if (session)
		cfg->rt->close(session);
	if (m) {
		gb_mark_release(&c.start);
		gb_mark_release(&c.end);
	}
	if (ret)
		return fail(res, ret);
	res->ok = 1;
	gb_verdict_run_result(res);
	return 0;
}
