/*
 * Zoo exports run in ONNX Runtime (the "ort" runtime of the runtime
 * table) on CPU: every model, fp32 and fp16, loads, describes its inputs
 * as exported, and gives finite logits of shape [batch, labels] for
 * batch 1 and 8. Skipped, with the reason, when the build has no ort
 * runtime or ONNX Runtime cannot be loaded.
 */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/runtime.h"
#include "greenbench/zoo.h"
#include "model/half.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gb_runtime_ops *ort;

static int need_ort(void)
{
	ort = gb_runtime_find("ort");
	if (!ort) {
		fprintf(stderr, "skipped: this build has no ort runtime\n");
		return 0;
	}
	if (gb_runtime_probe(ort) != 0) {
		fprintf(stderr, "skipped: %s\n", gb_error_msg());
		return 0;
	}
	return 1;
}

/* Deterministic inputs for the described tensors at this batch size. */
static struct gb_tensor *make_inputs(const struct gb_tensor_info *in, size_t n, int64_t batch, int64_t seq)
{
	struct gb_tensor *t = calloc(n, sizeof *t);

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		size_t numel = 1, esize = gb_dtype_size(in[i].dtype);

		t[i].info = in[i];
		for (int d = 0; d < in[i].rank; d++) {
			int64_t v = in[i].dims[d] >= 0 ? in[i].dims[d] : d == 0 ? batch : seq;
			t[i].info.dims[d] = v;
			numel *= (size_t)v;
		}
		t[i].bytes = numel * esize;
		t[i].data = malloc(t[i].bytes);
		assert_non_null(t[i].data);
		for (size_t k = 0; k < numel; k++) {
			float f = sinf((float)k * 0.01f);
			int64_t pos = in[i].rank == 2 ? (int64_t)(k % (size_t)seq) : 0;

			switch (in[i].dtype) {
			case GB_DTYPE_F32: ((float *)t[i].data)[k] = f; break;
			case GB_DTYPE_F16: ((uint16_t *)t[i].data)[k] = gb_half_from_float(f); break;
			case GB_DTYPE_I64:
				if (!strcmp(in[i].name, "input_ids"))
					((int64_t *)t[i].data)[k] = (int64_t)((k * 7919) % 900);
				else if (!strcmp(in[i].name, "attention_mask"))
					((int64_t *)t[i].data)[k] = pos < seq - 3;	/* padded tail */
				else
					((int64_t *)t[i].data)[k] = pos >= seq / 2;
				break;
			default: fail_msg("input '%s': unexpected dtype", in[i].name);
			}
		}
	}
	return t;
}

static void free_inputs(struct gb_tensor *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].data);
	free(t);
}

static void run_model(const char *name, const struct gb_zoo_options *o, int64_t labels)
{
	struct gb_runtime_options opt;
	const struct gb_tensor_info *in, *out_info;
	const struct gb_tensor *out;
	struct gb_zoo_summary sum;
	size_t nin, nout;
	void *s = NULL;
	char path[64];

	snprintf(path, sizeof path, "%s.onnx", name);
	if (gb_zoo_export(name, o, path, &sum) != 0)
		fail_msg("export %s: %s", name, gb_error_msg());
	gb_runtime_options_init(&opt);
	opt.model = path;
	if (gb_runtime_open(ort, &opt, &s) != 0)
		fail_msg("open %s: %s", path, gb_error_msg());
	assert_int_equal(ort->describe(s, &in, &nin, &out_info, &nout), 0);
	assert_int_equal(nin, sum.ninputs);
	for (size_t i = 0; i < nin; i++) {
		assert_string_equal(in[i].name, sum.inputs[i].name);
		assert_int_equal(in[i].dtype, sum.inputs[i].dtype);
		assert_int_equal(in[i].dims[0], -1);	/* symbolic batch */
	}
	for (int64_t batch = 1; batch <= 8; batch += 7) {
		struct gb_tensor *t = make_inputs(in, nin, batch, 16);
		size_t bad = 0, numel;

		if (ort->set_inputs(s, t, nin) != 0 || ort->run_batches(s, 1, NULL) != 0 ||
		    ort->outputs(s, &out, &nout) != 0)
			fail_msg("%s batch %lld: %s", name, (long long)batch, gb_error_msg());
		assert_int_equal(nout, 1);
		assert_int_equal(out[0].info.rank, 2);
		assert_int_equal(out[0].info.dims[0], batch);
		assert_int_equal(out[0].info.dims[1], labels);
		assert_int_equal(out[0].info.dtype, o->dtype);
		numel = (size_t)(batch * labels);
		for (size_t k = 0; k < numel; k++) {
			float v = o->dtype == GB_DTYPE_F16 ? gb_half_to_float(((const uint16_t *)out[0].data)[k])
							   : ((const float *)out[0].data)[k];
			bad += !isfinite(v);
		}
		if (bad)
			fail_msg("%s batch %lld: %zu of %zu logits not finite", name, (long long)batch, bad, numel);
		free_inputs(t, nin);
	}
	ort->close(s);
	remove(path);
}

static void test_models(void **st)
{
	struct gb_zoo_options o;

	(void)st;
	if (!need_ort())
		skip();
	for (int h = 0; h < 2; h++) {
		gb_zoo_options_init(&o);
		o.dtype = h ? GB_DTYPE_F16 : GB_DTYPE_F32;
		run_model("mobilenetv2", &o, 1000);
		run_model("resnet50", &o, 1000);
		/* BERT-base's operators at a fraction of its size */
		o.layers = 2;
		o.vocab = 1000;
		run_model("bert-base", &o, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
