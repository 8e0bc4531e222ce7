/*
 * The ONNX graph-input reader (onnx_inputs.h): the models of
 * tests/gen_models.py and a zoo export read as onnx's own parser reads
 * them, initializers left out of the inputs (IR 3), odd inputs, every
 * truncation of a file, files that are not ONNX and broken wire formats.
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/onnx_inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *model(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof rel, "models/%s", name);
	return gbt_build_path(rel);
}

static void read_model(const char *name, struct gb_tensor_info **in, size_t *n)
{
	char *path = model(name);

	if (gb_onnx_inputs_read(path, in, n))
		fail_msg("%s: %s", path, gb_error_msg());
	free(path);
}

static void check_dims(const struct gb_tensor_info *t, int rank, const int64_t *dims,
		       const char *const *params)
{
	assert_int_equal(t->rank, rank);
	for (int d = 0; d < rank; d++) {
		assert_int_equal(t->dims[d], dims[d]);
		assert_string_equal(t->dim_params[d], params[d]);
	}
}

static void test_tokens(void **st)
{
	static const int64_t dims[] = { -1, -1 };
	static const char *const params[] = { "batch", "seq" };
	static const char *const names[] = { "input_ids", "attention_mask", "token_type_ids" };
	struct gb_tensor_info *in;
	size_t n;

	(void)st;
	read_model("tokens.onnx", &in, &n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(in[i].name, names[i]);
		assert_int_equal(in[i].dtype, GB_DTYPE_I64);
		check_dims(&in[i], 2, dims, params);
	}
	free(in);
}

/* mlp.onnx has an initializer W that is no input; ir3.onnx lists it among
 * the inputs, as IR < 4 does: both give x alone, as ORT's session does. */
static void test_initializers_are_not_inputs(void **st)
{
	static const int64_t dims[] = { -1, 16 };
	static const char *const params[] = { "batch", "" };
	const char *files[] = { "mlp.onnx", "ir3.onnx" };
	struct gb_tensor_info *in;
	size_t n;

	(void)st;
	for (size_t f = 0; f < 2; f++) {
		read_model(files[f], &in, &n);
		assert_int_equal(n, 1);
		assert_string_equal(in[0].name, "x");
		assert_int_equal(in[0].dtype, GB_DTYPE_F32);
		check_dims(&in[0], 2, dims, params);
		free(in);
	}
}

static void test_dtypes_and_fixed(void **st)
{
	static const int64_t fixed[] = { 2, 3, 4, 4 };
	static const char *const none[] = { "", "", "", "" };
	struct gb_tensor_info *in;
	size_t n;

	(void)st;
	read_model("dtypes.onnx", &in, &n);
	assert_int_equal(n, 3);
	assert_int_equal(in[0].dtype, GB_DTYPE_F16);
	assert_int_equal(in[1].dtype, GB_DTYPE_BOOL);
	assert_int_equal(in[2].dtype, GB_DTYPE_I32);
	free(in);
	read_model("fixed.onnx", &in, &n);
	assert_int_equal(n, 1);
	check_dims(&in[0], 4, fixed, none);
	free(in);
}

/* A name too long for the field is no name (never a truncated one), an
 * unnamed dim is -1 "", no shape is rank -1, a sequence and complex64 are
 * of unknown dtype; an input that is a sparse initializer is left out. */
static void test_odd_inputs(void **st)
{
	static const int64_t l_dims[] = { -1, -1 }, u_dims[] = { -1, 3 };
	static const char *const l_params[] = { "", "seq" }, *const u_params[] = { "", "" };
	struct gb_tensor_info *in;
	size_t n;

	(void)st;
	read_model("odd_inputs.onnx", &in, &n);
	assert_int_equal(n, 5);
	assert_string_equal(in[0].name, "l");
	check_dims(&in[0], 2, l_dims, l_params);
	assert_string_equal(in[1].name, "u");
	assert_int_equal(in[1].dtype, GB_DTYPE_I32);
	check_dims(&in[1], 2, u_dims, u_params);
	assert_string_equal(in[2].name, "n");
	assert_int_equal(in[2].dtype, GB_DTYPE_F32);
	assert_int_equal(in[2].rank, -1);
	assert_string_equal(in[3].name, "s");
	assert_int_equal(in[3].dtype, GB_DTYPE_UNKNOWN);
	assert_string_equal(in[4].name, "c");
	assert_int_equal(in[4].dtype, GB_DTYPE_UNKNOWN);
	free(in);
	assert_int_equal(gb_onnx_inputs_read("nope.onnx", &in, &n), -ENOENT);
	assert_null(in);
	{
		char *path = model("rank9.onnx");

		assert_int_equal(gb_onnx_inputs_read(path, &in, &n), -ENOTSUP);
		assert_non_null(strstr(gb_error_msg(), "input 'x' has rank 9"));
		free(path);
	}
}

/* Every prefix of a model is either refused as not ONNX or, once the
 * graph is complete (opset_import follows it), read whole. */
static void test_truncated(void **st)
{
	struct gb_tensor_info *in;
	size_t len, n, whole = 0;
	char *path = model("tokens.onnx"), *buf = gbt_read_file(path, &len);

	(void)st;
	for (size_t k = 0; k < len; k++) {
		int ret = gb_onnx_inputs_parse(buf, k, &in, &n);

		if (ret) {
			assert_int_equal(ret, -EINVAL);
			assert_null(in);
			assert_non_null(strstr(gb_error_msg(), "not an ONNX model"));
			continue;
		}
		assert_int_equal(n, 3);
		assert_string_equal(in[2].name, "token_type_ids");
		free(in);
		whole++;
	}
	assert_true(whole > 0 && whole < len / 2);
	assert_int_equal(gb_onnx_inputs_parse(buf, len / 2, &in, &n), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "truncated"));
	free(buf);
	free(path);
}

struct bad_case {
	const char *what;
	const char *bytes;
	size_t len;
	const char *msg;
};

static void test_not_onnx(void **st)
{
	static const struct bad_case cases[] = {
		{ "empty", "", 0, "empty" },
		{ "text", "hello, world\n", 13, "not an ONNX model" },
		{ "json", "{\"schema\": 1}", 13, "not an ONNX model" },
		{ "no graph: ir_version only", "\x08\x07", 2, "no graph" },
		{ "graph as a varint", "\x38\x01", 2, "its graph is not a message" },
		{ "graph longer than the file", "\x3a\x10\x00", 3, "truncated" },
		{ "varint of 11 bytes", "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, "overflows" },
		{ "tenth varint byte above 1", "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11, "overflows" },
		{ "a group", "\x0b\x0c", 2, "unknown wire type" },
		{ "field 0", "\x00\x00", 2, "field number 0" },
		/* graph { input { name: 5 bytes promised, none there } } */
		{ "bad input message", "\x3a\x04\x5a\x02\x0a\x05", 6, "graph input cannot be decoded" },
		/* graph { initializer { name: truncated } } */
		{ "bad initializer", "\x3a\x04\x2a\x02\x42\x05", 6, "truncated" },
	};
	struct gb_tensor_info *in;
	size_t n;

	(void)st;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int ret = gb_onnx_inputs_parse(cases[i].bytes, cases[i].len, &in, &n);

		if (ret != -EINVAL || !strstr(gb_error_msg(), cases[i].msg))
			fail_msg("%s: %d '%s', expected -EINVAL '%s'", cases[i].what, ret, gb_error_msg(),
				 cases[i].msg);
		assert_null(in);
	}
	/* an empty graph is a graph without inputs */
	assert_int_equal(gb_onnx_inputs_parse("\x3a\x00", 2, &in, &n), 0);
	assert_int_equal(n, 0);
	free(in);
	/* a directory, a file of text */
	assert_int_equal(gb_onnx_inputs_read(".", &in, &n), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "not a file"));
	gbt_write(".", "notes.onnx", "not a model\n");
	assert_int_equal(gb_onnx_inputs_read("notes.onnx", &in, &n), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "model 'notes.onnx': not an ONNX model"));
}

/* A zoo export (the C writer, weights included) reads as onnx reads it. */
static void test_zoo_export(void **st)
{
	char *gb = gbt_greenbench(), *out = NULL;
	struct gb_tensor_info *in;
	size_t n;

	(void)st;
	if (gbt_run_gb("", gb, "zoo export mobilenetv2 -o m.onnx", &out))
		fail_msg("zoo export: %s", out);
	free(out);
	assert_int_equal(gb_onnx_inputs_read("m.onnx", &in, &n), 0);
	assert_int_equal(n, 1);
	if (gbt_run("/usr/bin/python3 -c 'import onnx; m = onnx.load(\"m.onnx\", load_external_data=False); "
		    "print(\" \".join(\"%s:%s\" % (i.name, \",\".join(d.dim_param or str(d.dim_value) "
		    "for d in i.type.tensor_type.shape.dim)) for i in m.graph.input))'", &out))
		fail_msg("onnx: %s", out);
	{
		char mine[1024] = "";
		size_t used = 0;

		for (size_t i = 0; i < n; i++) {
			used += (size_t)snprintf(mine + used, sizeof mine - used, "%s%s:", i ? " " : "",
						 in[i].name);
			for (int d = 0; d < in[i].rank; d++) {
				if (in[i].dims[d] >= 0)
					used += (size_t)snprintf(mine + used, sizeof mine - used, "%s%lld",
								 d ? "," : "", (long long)in[i].dims[d]);
				else
					used += (size_t)snprintf(mine + used, sizeof mine - used, "%s%s",
								 d ? "," : "", in[i].dim_params[d]);
			}
		}
		used += (size_t)snprintf(mine + used, sizeof mine - used, "\n");
		assert_string_equal(mine, out);
	}
	free(out);
	free(in);
	free(gb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_initializers_are_not_inputs),
		cmocka_unit_test(test_dtypes_and_fixed),
		cmocka_unit_test(test_odd_inputs),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_not_onnx),
		cmocka_unit_test(test_zoo_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
