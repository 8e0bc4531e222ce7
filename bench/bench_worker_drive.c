/*
 * Drive one runtime row through the ops table, as `greenbench run` does,
 * and print one JSON line: a stand-in for `run` on the device until it
 * lands, and a quick figure for `make bench`.
 *
 *   build/bench/bench_worker_drive [RUNTIME MODEL EP BATCH ITERS [KEY=VALUE ...]]
 *
 * KEY=VALUE: io=host|device, seed=N, threads=N, seq=N (symbolic dims other
 * than the batch), warmup=N (default 3); anything else is a runtime option
 * (dtype=bf16, channels_last=1, compile=default, ...). Inputs are filled
 * from describe(): floats uniform in [-1, 1), int64 token ids in [0, 1000),
 * except *mask* inputs (1) and token_type_ids (0). Without arguments:
 * torch mobilenetv2 on cpu, batch 1, 5 batches (skipped if torch is missing).
 */
#include "greenbench/error.h"
#include "greenbench/runtime.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void fill(struct gb_tensor *t, uint32_t *rnd)
{
	size_t n = t->bytes / gb_dtype_size(t->info.dtype);

	for (size_t i = 0; i < n; i++) {
		*rnd = *rnd * 1664525u + 1013904223u;
		if (t->info.dtype == GB_DTYPE_F32) {
			((float *)t->data)[i] = (float)(*rnd >> 8) / (float)(1u << 23) - 1.0f;
		} else if (t->info.dtype == GB_DTYPE_I64) {
			int64_t v = (int64_t)((*rnd >> 8) % 1000);
			if (strstr(t->info.name, "mask"))
				v = 1;
			else if (!strcmp(t->info.name, "token_type_ids"))
				v = 0;
			((int64_t *)t->data)[i] = v;
		} else {
			((unsigned char *)t->data)[i] = 0;
		}
	}
}

static void add_phase(cJSON *o, const char *name, const struct gb_runtime_ops *rt, void *s)
{
	struct gb_runtime_phase ph;
	cJSON *p;

	if (!rt->last_phase || rt->last_phase(s, &ph))
		return;
	p = cJSON_AddObjectToObject(o, name);
	cJSON_AddNumberToObject(p, "duration_s", (double)(ph.t_end_ns - ph.t_start_ns) / 1e9);
	if (ph.cpu_valid) {
		cJSON_AddNumberToObject(p, "cpu_user_s", (double)ph.cpu_user_ns / 1e9);
		cJSON_AddNumberToObject(p, "cpu_system_s", (double)ph.cpu_system_ns / 1e9);
	}
}

int main(int argc, char **argv)
{
	const char *runtime = "torch", *model = "mobilenetv2", *ep = "cpu";
	long batch = 1, iters = 5, warmup = 3, seq = 128;
	struct gb_kv kv[32];
	struct gb_runtime_options opt;
	const struct gb_runtime_ops *rt = NULL;
	const struct gb_tensor_info *in, *out;
	struct gb_tensor *t = NULL;
	size_t nin = 0, nout, nkv = 0;
	uint64_t *lat = NULL, t0;
	uint32_t rnd = 42;
	void *s = NULL;
	cJSON *o = cJSON_CreateObject(), *opts;
	int rc = 1, defaults = argc < 6;

	gb_runtime_options_init(&opt);
	if (!defaults) {
		runtime = argv[1];
		model = argv[2];
		ep = argv[3];
		batch = atol(argv[4]);
		iters = atol(argv[5]);
	}
	opts = cJSON_CreateObject();
	for (int i = 6; i < argc && nkv < 32; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq) {
			fprintf(stderr, "bench_worker_drive: '%s' is not KEY=VALUE\n", argv[i]);
			goto out;
		}
		*eq = '\0';
		if (!strcmp(argv[i], "io"))
			opt.io = strcmp(eq + 1, "device") ? GB_IO_HOST : GB_IO_DEVICE;
		else if (!strcmp(argv[i], "seed"))
			opt.seed = strtoull(eq + 1, NULL, 10);
		else if (!strcmp(argv[i], "threads"))
			opt.intra_op_threads = atoi(eq + 1);
		else if (!strcmp(argv[i], "warmup"))
			warmup = atol(eq + 1);
		else if (!strcmp(argv[i], "seq"))
			seq = atol(eq + 1);
		else
			kv[nkv++] = (struct gb_kv){ argv[i], eq + 1 };
		cJSON_AddStringToObject(opts, argv[i], eq + 1);
	}
	cJSON_AddStringToObject(o, "runtime", runtime);
	cJSON_AddStringToObject(o, "model", model);
	cJSON_AddStringToObject(o, "ep", ep);
	cJSON_AddNumberToObject(o, "batch", (double)batch);
	cJSON_AddItemToObject(o, "options", opts);
	rt = gb_runtime_find(runtime);
	if (!rt || batch < 1 || iters < 1) {
		cJSON_AddStringToObject(o, "error", rt ? "bad batch or iterations" : "no such runtime");
		goto out;
	}
	if (gb_runtime_probe(rt)) {
		cJSON_AddStringToObject(o, defaults ? "skipped" : "error", gb_error_msg());
		rc = defaults ? 0 : 1;
		goto out;
	}
	opt.model = model;
	opt.ep = ep;
	opt.ep_options = kv;
	opt.n_ep_options = nkv;
	if (gb_runtime_open(rt, &opt, &s) || rt->describe(s, &in, &nin, &out, &nout))
		goto fail;
	add_phase(o, "load", rt, s);
	t = calloc(nin, sizeof *t);
	for (size_t i = 0; t && i < nin; i++) {
		size_t n = 1;
		t[i].info = in[i];
		for (int d = 0; d < in[i].rank; d++) {
			if (in[i].dims[d] < 0)
				t[i].info.dims[d] = d == 0 ? batch : seq;
			n *= (size_t)t[i].info.dims[d];
		}
		t[i].bytes = n * gb_dtype_size(in[i].dtype);
		t[i].data = malloc(t[i].bytes ? t[i].bytes : 1);
		if (!t[i].data)
			goto fail;
		fill(&t[i], &rnd);
	}
	lat = malloc((size_t)(iters > warmup ? iters : warmup) * sizeof *lat);
	if (!t || !lat || rt->set_inputs(s, t, nin))
		goto fail;
	if (warmup > 0 && rt->run_batches(s, (uint64_t)warmup, lat))
		goto fail;
	add_phase(o, "warmup", rt, s);
	t0 = gb_now_ns();
	if (rt->run_batches(s, (uint64_t)iters, lat))
		goto fail;
	double wall_s = (double)(gb_now_ns() - t0) / 1e9;
	add_phase(o, "measured", rt, s);
	qsort(lat, (size_t)iters, sizeof *lat, cmp_u64);
	cJSON_AddNumberToObject(o, "iterations", (double)iters);
	cJSON_AddNumberToObject(o, "latency_p50_ms", (double)lat[iters / 2] / 1e6);
	cJSON_AddNumberToObject(o, "latency_min_ms", (double)lat[0] / 1e6);
	cJSON_AddNumberToObject(o, "items_per_s", (double)(batch * iters) / wall_s);
	const struct gb_tensor *ot;
	size_t no;
	if (rt->outputs && !rt->outputs(s, &ot, &no) && no) {
		cJSON *shape = cJSON_AddArrayToObject(o, "output_shape");
		for (int d = 0; d < ot[0].info.rank; d++)
			cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)ot[0].info.dims[d]));
	}
	const struct gb_kv *meta;
	size_t nmeta;
	if (rt->metadata && !rt->metadata(s, &meta, &nmeta)) {
		cJSON *m = cJSON_AddObjectToObject(o, "metadata");
		for (size_t i = 0; i < nmeta; i++)
			cJSON_AddStringToObject(m, meta[i].key, meta[i].value);
	}
	rc = 0;
	goto out;
fail:
	cJSON_AddStringToObject(o, "error", gb_error_msg());
out:
	if (s)
		rt->close(s);
	for (size_t i = 0; t && i < nin; i++)
		free(t[i].data);
	free(t);
	free(lat);
	char *text = cJSON_PrintUnformatted(o);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(o);
	return rc;
}
