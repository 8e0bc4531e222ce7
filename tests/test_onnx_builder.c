/*
 * The ONNX builder on its own: a small graph with symbolic and fixed
 * dims, owned and borrowed initializers, and attributes of every kind,
 * written, read back by Debian's onnx (checker + dump, tests/zoo_check.py)
 * and compared field by field; write failures leave nothing behind.
 */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/onnx_builder.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const float borrowed[2] = { 0.5f, -1.5f };

/* y = Transpose(LeakyRelu(x + c)) padded; Cast to float16 on the side. */
static struct gb_onnx_builder *tiny(void)
{
	struct gb_onnx_builder *b = NULL;
	const struct gb_onnx_dim in[2] = { { 0, "batch" }, { 2, NULL } }, out[2] = { { 3, NULL }, { 0, "n" } };
	const int64_t cd[1] = { 2 }, pd[1] = { 4 }, perm[2] = { 1, 0 };
	int64_t *pads;
	const struct gb_onnx_attr leaky = { .name = "alpha", .type = GB_ONNX_ATTR_FLOAT, .f = 0.25f };
	const struct gb_onnx_attr tp = { .name = "perm", .type = GB_ONNX_ATTR_INTS, .ints = perm, .n_ints = 2 };
	const struct gb_onnx_attr mode = { .name = "mode", .type = GB_ONNX_ATTR_STRING, .s = "reflect" };
	const struct gb_onnx_attr to = { .name = "to", .type = GB_ONNX_ATTR_INT, .i = 10 };

	assert_int_equal(gb_onnx_builder_new("tiny", 17, &b), 0);
	assert_int_equal(gb_onnx_builder_set_doc(b, "a test graph"), 0);
	assert_int_equal(gb_onnx_builder_add_meta(b, "k", "v"), 0);
	assert_int_equal(gb_onnx_builder_add_input(b, "x", GB_DTYPE_F32, 2, in), 0);
	assert_int_equal(gb_onnx_builder_add_initializer_ref(b, "c", GB_DTYPE_F32, 1, cd, borrowed), 0);
	assert_int_equal(gb_onnx_builder_add_initializer(b, "pads", GB_DTYPE_I64, 1, pd, (void **)&pads), 0);
	pads[0] = 0, pads[1] = 1, pads[2] = 0, pads[3] = 0;
	assert_int_equal(gb_onnx_builder_add_node(b, "Add", "add", 2, (const char *[]){ "x", "c" }, 1,
						 (const char *[]){ "s" }, 0, NULL), 0);
	assert_int_equal(gb_onnx_builder_add_node(b, "LeakyRelu", NULL, 1, (const char *[]){ "s" }, 1,
						 (const char *[]){ "l" }, 1, &leaky), 0);
	assert_int_equal(gb_onnx_builder_add_node(b, "Pad", "pad", 3, (const char *[]){ "l", "pads", "" }, 1,
						 (const char *[]){ "p" }, 1, &mode), 0);
	assert_int_equal(gb_onnx_builder_add_node(b, "Transpose", "t", 1, (const char *[]){ "p" }, 1,
						 (const char *[]){ "y" }, 1, &tp), 0);
	assert_int_equal(gb_onnx_builder_add_node(b, "Cast", "cast", 1, (const char *[]){ "x" }, 1,
						 (const char *[]){ "h" }, 1, &to), 0);
	assert_int_equal(gb_onnx_builder_add_output(b, "y", GB_DTYPE_F32, 2, out), 0);
	assert_int_equal(gb_onnx_builder_add_output(b, "h", GB_DTYPE_F16, 2, in), 0);
	assert_int_equal(gb_onnx_builder_node_count(b), 5);
	assert_int_equal(gb_onnx_builder_initializer_count(b), 2);
	return b;
}

static cJSON *dump(const char *path)
{
	const char *p = getenv("GB_PYTHON"), *src = getenv("GB_SRCDIR");
	char cmd[8192], *out = NULL;
	cJSON *j;

	snprintf(cmd, sizeof cmd, "'%s' '%s/tests/zoo_check.py' dump '%s' 2>&1", p && *p ? p : "/usr/bin/python3",
		 src && *src ? src : ".", path);
	if (gbt_run(cmd, &out) != 0 || strncmp(out, "ok ", 3))
		fail_msg("dump %s:\n%s", path, out);
	j = cJSON_Parse(out + 3);
	assert_non_null(j);
	free(out);
	return j;
}

static char *json_of(const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	assert_non_null(s);
	return s;
}

static void expect_json(const cJSON *root, const char *key, const char *want)
{
	char *got = json_of(cJSON_GetObjectItem(root, key));

	if (strcmp(got, want))
		fail_msg("%s: got %s, want %s", key, got, want);
	free(got);
}

static void test_roundtrip(void **st)
{
	struct gb_onnx_builder *b = tiny();
	struct stat sb;
	size_t bytes;
	cJSON *j;

	(void)st;
	assert_int_equal(gb_onnx_builder_write(b, "tiny.onnx"), 0);
	assert_int_equal(gb_onnx_builder_packed_size(b, &bytes), 0);
	assert_int_equal(stat("tiny.onnx", &sb), 0);
	assert_int_equal((size_t)sb.st_size, bytes);
	gb_onnx_builder_free(b);

	j = dump("tiny.onnx");
	expect_json(j, "ir", "8");
	expect_json(j, "opset", "[[\"\",17]]");
	expect_json(j, "producer", "\"greenbench\"");
	expect_json(j, "doc", "\"a test graph\"");
	expect_json(j, "meta", "{\"k\":\"v\"}");
	expect_json(j, "inputs", "[[\"x\",1,[\"batch\",2]]]");
	expect_json(j, "outputs", "[[\"y\",1,[3,\"n\"]],[\"h\",10,[\"batch\",2]]]");
	expect_json(j, "init", "{\"c\":[[2],1,[0.5,-1.5]],\"pads\":[[4],7,[0,1,0,0]]}");
	expect_json(j, "nodes",
		    "[[\"Add\",\"add\",[\"x\",\"c\"],[\"s\"],{}],"
		    "[\"LeakyRelu\",\"\",[\"s\"],[\"l\"],{\"alpha\":0.25}],"
		    "[\"Pad\",\"pad\",[\"l\",\"pads\",\"\"],[\"p\"],{\"mode\":\"reflect\"}],"
		    "[\"Transpose\",\"t\",[\"p\"],[\"y\"],{\"perm\":[1,0]}],"
		    "[\"Cast\",\"cast\",[\"x\"],[\"h\"],{\"to\":10}]]");
	cJSON_Delete(j);
}

static void test_write_failures(void **st)
{
	struct gb_onnx_builder *b = tiny();
	char *out = NULL;
	const int64_t d[1] = { 3 };
	FILE *f;

	(void)st;
	assert_int_equal(gb_onnx_builder_write(b, "/nonexistent/dir/t.onnx"), -ENOENT);
	assert_string_equal(gb_error_msg(), "cannot write '/nonexistent/dir/t.onnx': No such file or directory");
	/* A tensor without data: describable, not writable; the old file stays. */
	f = fopen("keep.onnx", "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
	assert_int_equal(gb_onnx_builder_add_initializer_ref(b, "nodata", GB_DTYPE_F32, 1, d, NULL), 0);
	assert_int_equal(gb_onnx_builder_write(b, "keep.onnx"), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "some initializers have no data"));
	assert_int_equal(gbt_run("cat keep.onnx; ls | grep -c tmp-", &out), 1);
	assert_string_equal(out, "old0\n");
	free(out);
	/* Unsupported types and bad dims are refused with the tensor's name. */
	assert_int_equal(gb_onnx_builder_add_initializer_ref(b, "u", GB_DTYPE_UNKNOWN, 1, d, NULL), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "'u'"));
	assert_int_equal(gb_onnx_builder_add_initializer_ref(b, "neg", GB_DTYPE_F32, 1, (const int64_t[1]){ -2 }, NULL),
			 -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "initializer 'neg': bad dimension -2"));
	gb_onnx_builder_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
