/*
 * Worker protocol messages with fixed lines: encoding, decoding, every
 * malformation quoted; a seeded mutation pass over valid replies (the
 * libFuzzer target fuzz/fuzz_worker_proto.c does the long version); and
 * the runtime rows' probe reasons with a scripted workers directory.
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"
#include "runtime/worker_proto.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int decode(enum gb_wp_op op, const char *line, struct gb_wp_reply *r)
{
	return gb_wp_decode_reply(op, line, strlen(line), r);
}

static void test_encode(void **state)
{
	struct gb_wp_buf b = { 0 };
	struct gb_runtime_options opt;
	struct gb_kv kv[] = { { "dtype", "bf16" }, { "channels_last", "1" } };
	cJSON *j;

	assert_int_equal(gb_wp_encode_run(&b, 1, 0, 1), 0);
	assert_string_equal(b.p, "{\"op\":\"run\",\"n\":1,\"latencies\":true}\n");
	assert_int_equal(gb_wp_encode_run(&b, 0, 2000000000ULL, 0), 0);
	assert_string_equal(b.p, "{\"op\":\"run\",\"duration_ns\":2000000000,\"latencies\":false}\n");
	assert_int_equal(gb_wp_encode_run(&b, 3, 5, 1), -EINVAL);

	gb_runtime_options_init(&opt);
	opt.model = "resnet50";
	opt.ep = "cuda:1";
	opt.io = GB_IO_DEVICE;
	opt.seed = 42;
	opt.intra_op_threads = 4;
	opt.ep_options = kv;
	opt.n_ep_options = 2;
	assert_int_equal(gb_wp_encode_load(&b, &opt), 0);
	assert_int_equal(b.p[b.len - 1], '\n');
	assert_null(memchr(b.p, '\n', b.len - 1));
	j = cJSON_Parse(b.p);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "op")->valuestring, "load");
	assert_string_equal(cJSON_GetObjectItem(j, "device")->valuestring, "cuda:1");
	assert_string_equal(cJSON_GetObjectItem(j, "io")->valuestring, "device");
	assert_int_equal(cJSON_GetObjectItem(j, "seed")->valuedouble, 42);
	assert_int_equal(cJSON_GetObjectItem(j, "intra_op_threads")->valueint, 4);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "options"), "dtype")->valuestring, "bf16");
	cJSON_Delete(j);
	assert_int_equal(gb_wp_encode_configure(&b, &opt), 0);
	j = cJSON_Parse(b.p);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "op")->valuestring, "configure");
	assert_string_equal(cJSON_GetObjectItem(j, "io")->valuestring, "device");	/* a run-time axis */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "options"), "dtype")->valuestring, "bf16");
	assert_null(cJSON_GetObjectItem(j, "model"));	/* only what may change */
	cJSON_Delete(j);

	struct gb_wp_tensor t = { 0 };
	snprintf(t.info.name, sizeof t.info.name, "in\"put\n");
	t.info.dtype = GB_DTYPE_I64;
	t.info.rank = 2;
	t.info.dims[0] = 2;
	t.info.dims[1] = 128;
	snprintf(t.file, sizeof t.file, "in-0.bin");
	assert_int_equal(gb_wp_encode_inputs(&b, &t, 1), 0);
	assert_null(memchr(b.p, '\n', b.len - 1)); /* names are escaped */
	j = cJSON_Parse(b.p);
	cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tensors"), 0);
	assert_string_equal(cJSON_GetObjectItem(t0, "name")->valuestring, "in\"put\n");
	assert_string_equal(cJSON_GetObjectItem(t0, "dtype")->valuestring, "int64");
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(t0, "shape"), 1)->valueint, 128);
	cJSON_Delete(j);
	gb_wp_buf_release(&b);
}

static void test_decode_ok(void **state)
{
	struct gb_wp_reply r;

	assert_int_equal(decode(GB_WP_HELLO, "{\"ok\":true,\"protocol\":1,\"worker\":\"torch\",\"version\":\"2.11\",\"pid\":9}", &r), 0);
	assert_true(r.ok);
	assert_string_equal(r.worker, "torch");
	assert_string_equal(r.version, "2.11");
	assert_int_equal(r.pid, 9);
	gb_wp_reply_release(&r);

	assert_int_equal(decode(GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":100,\"t_end_ns\":400,"
					   "\"cpu_ns\":[10,20,110,25],\"n\":3,\"lat_ns\":[90,95,100]}", &r), 0);
	assert_int_equal(r.t_start_ns, 100);
	assert_int_equal(r.t_end_ns, 400);
	assert_true(r.has_cpu);
	assert_int_equal(r.cpu_user_end_ns - r.cpu_user_start_ns, 100);
	assert_int_equal(r.cpu_sys_end_ns - r.cpu_sys_start_ns, 5);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.nlat, 3);
	assert_int_equal(r.lat_ns[2], 100);
	gb_wp_reply_release(&r);

	assert_int_equal(decode(GB_WP_LOAD, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":2,"
					    "\"inputs\":[{\"name\":\"input_ids\",\"dtype\":\"int64\",\"shape\":[-1,128],"
					    "\"dim_params\":[\"batch\",\"\"]}],\"outputs\":[],"
					    "\"metadata\":{\"torch_version\":\"1.13\",\"cuda_graphs\":false,\"seq\":128}}", &r), 0);
	assert_int_equal(r.ninputs, 1);
	assert_int_equal(r.inputs[0].info.dtype, GB_DTYPE_I64);
	assert_int_equal(r.inputs[0].info.dims[0], -1);
	assert_string_equal(r.inputs[0].info.dim_params[0], "batch");
	assert_false(r.has_cpu); /* optional */
	assert_int_equal(r.nmeta, 3);
	assert_string_equal(r.meta[1].value, "false");
	assert_string_equal(r.meta[2].value, "128");
	gb_wp_reply_release(&r);

	/* configure: phase times and the new facts */
	assert_int_equal(decode(GB_WP_CONFIGURE, "{\"ok\":true,\"t_start_ns\":5,\"t_end_ns\":9,"
						 "\"metadata\":{\"dtype\":\"bf16\"}}", &r), 0);
	assert_int_equal(r.t_end_ns, 9);
	assert_int_equal(r.nmeta, 1);
	assert_string_equal(r.meta[0].value, "bf16");
	gb_wp_reply_release(&r);
	assert_int_not_equal(decode(GB_WP_CONFIGURE, "{\"ok\":true,\"metadata\":{}}", &r), 0);	/* no times */
	gb_wp_reply_release(&r);

	/* The worker's own failure decodes; the caller sees ok == 0. */
	assert_int_equal(decode(GB_WP_LOAD, "{\"ok\":false,\"error\":\"unknown model 'x'\"}", &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.error, "unknown model 'x'");
	assert_int_equal(r.fail_kind, GB_WP_FAIL_OTHER);
	gb_wp_reply_release(&r);
	/* ... with what it is, where it says; a kind unknown here is "other" */
	assert_int_equal(decode(GB_WP_CONFIGURE, "{\"ok\":false,\"error\":\"e\",\"kind\":\"invalid\"}", &r), 0);
	assert_int_equal(r.fail_kind, GB_WP_FAIL_INVALID);
	gb_wp_reply_release(&r);
	assert_int_equal(decode(GB_WP_RUN, "{\"ok\":false,\"error\":\"e\",\"kind\":\"oom\"}", &r), 0);
	assert_int_equal(r.fail_kind, GB_WP_FAIL_OOM);
	gb_wp_reply_release(&r);
	assert_int_equal(decode(GB_WP_RUN, "{\"ok\":false,\"error\":\"e\",\"kind\":\"later\"}", &r), 0);
	assert_int_equal(r.fail_kind, GB_WP_FAIL_OTHER);
	gb_wp_reply_release(&r);
}

static const struct bad {
	enum gb_wp_op op;
	const char *line;
	const char *msg;
} bads[] = {
	{ GB_WP_RUN, "this is not json", "malformed reply to 'run' (not a JSON object): 'this is not json'" },
	{ GB_WP_RUN, "[1,2]", "(not a JSON object)" },
	{ GB_WP_RUN, "{\"n\":1}", "(no \"ok\" field)" },
	{ GB_WP_RUN, "{\"ok\":false}", "(failure without \"error\")" },
	{ GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":5,\"t_end_ns\":4,\"n\":1}", "(bad phase times)" },
	{ GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":-5,\"t_end_ns\":4,\"n\":1}", "(bad phase times)" },
	{ GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":4,\"n\":2,\"lat_ns\":[1]}", "(bad batch count or latencies)" },
	{ GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":4,\"n\":0}", "(bad batch count or latencies)" },
	{ GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":4,\"n\":1,\"lat_ns\":[\"x\"]}", "(bad batch count or latencies)" },
	{ GB_WP_RUN, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":4,\"cpu_ns\":[5,5,4,5],\"n\":1}", "(bad phase times)" },
	{ GB_WP_HELLO, "{\"ok\":true,\"worker\":\"x\"}", "(no protocol number)" },
	{ GB_WP_HELLO, "{\"ok\":true,\"protocol\":2,\"worker\":\"x\"}", "reply to 'hello' for protocol 2 (greenbench speaks 1)" },
	{ GB_WP_HELLO, "{\"ok\":true,\"protocol\":1}", "(no worker name)" },
	{ GB_WP_OUTPUTS, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":2,\"outputs\":[{\"name\":\"y\",\"dtype\":\"float32\",\"shape\":[1],\"file\":\"../../etc/passwd\"}]}", "(bad tensor list)" },
	{ GB_WP_OUTPUTS, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":2,\"outputs\":[{\"name\":\"y\",\"dtype\":\"float32\",\"shape\":[1]}]}", "(bad tensor list)" },
	{ GB_WP_LOAD, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":2,\"inputs\":[{\"name\":\"y\",\"dtype\":\"complex64\",\"shape\":[1]}],\"outputs\":[]}", "(bad tensor list)" },
	{ GB_WP_LOAD, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":2,\"inputs\":[{\"name\":\"y\",\"dtype\":\"float32\",\"shape\":[1,1,1,1,1,1,1,1,1]}],\"outputs\":[]}", "(bad tensor list)" },
	{ GB_WP_LOAD, "{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":2,\"inputs\":[],\"outputs\":[],\"metadata\":{\"a\":[1]}}", "(bad metadata)" },
};

static void test_decode_bad(void **state)
{
	struct gb_wp_reply r;

	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		int rc = decode(bads[i].op, bads[i].line, &r);
		if (rc != -EPROTO || !strstr(gb_error_msg(), bads[i].msg))
			fail_msg("row %zu: rc %d, '%s' (want '%s')", i, rc, gb_error_msg(), bads[i].msg);
		assert_null(r.lat_ns);
		assert_null(r.inputs);
	}
	/* A NUL byte inside the line; control bytes quoted as \xNN. */
	assert_int_equal(gb_wp_decode_reply(GB_WP_RUN, "{\"ok\"\0:true}", 12, &r), -EPROTO);
	assert_non_null(strstr(gb_error_msg(), "(NUL byte): '{\"ok\"\\x00:true}'"));
}

static void test_quote(void **state)
{
	char line[400], buf[1024];

	memset(line, 'a', sizeof line);
	gb_wp_quote(line, sizeof line, buf, sizeof buf);
	assert_int_equal(strlen(buf), GB_WP_QUOTE_MAX + 3);
	assert_string_equal(buf + GB_WP_QUOTE_MAX, "...");
	gb_wp_quote("a\tb\xff", 4, buf, sizeof buf);
	assert_string_equal(buf, "a\\x09b\\xff");
	gb_wp_quote("abcdef", 6, buf, 4); /* never past the buffer */
	assert_true(strlen(buf) < 4);
}

/* Seeded mutations of valid replies: no crash, no leak (ASan), and every
 * result either decodes or fails with -EPROTO/-ENOMEM and a message. */
static void test_mutations(void **state)
{
	const char *seeds[] = {
		"{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":5,\"cpu_ns\":[1,2,3,4],\"n\":2,\"lat_ns\":[10,20]}",
		"{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":5,\"inputs\":[{\"name\":\"input\",\"dtype\":\"float32\",\"shape\":[-1,3,224,224],\"dim_params\":[\"batch\",\"\",\"\",\"\"]}],\"outputs\":[{\"name\":\"output\",\"dtype\":\"float32\",\"shape\":[-1,1000]}],\"metadata\":{\"v\":\"1\",\"b\":true}}",
		"{\"ok\":true,\"t_start_ns\":1,\"t_end_ns\":5,\"outputs\":[{\"name\":\"y\",\"dtype\":\"float32\",\"shape\":[1,4],\"file\":\"out-0.bin\"}]}",
		"{\"ok\":true,\"protocol\":1,\"worker\":\"torch\",\"version\":\"2.11\",\"pid\":42}",
	};
	const enum gb_wp_op ops[] = { GB_WP_RUN, GB_WP_LOAD, GB_WP_OUTPUTS, GB_WP_HELLO };
	const char alphabet[] = "{}[]\",:-0123456789.eE truefalsnx\\\x01\xff";
	uint32_t rnd = 12345;
	char buf[512];
	int decoded = 0;

	for (int it = 0; it < 20000; it++) {
		size_t s = (size_t)it % 4, len = strlen(seeds[s]);
		struct gb_wp_reply r;
		memcpy(buf, seeds[s], len);
		for (int k = 0; k < 1 + it % 3 && len > 1; k++) {
			rnd = rnd * 1103515245u + 12345u;
			size_t pos = (rnd >> 8) % len;
			rnd = rnd * 1103515245u + 12345u;
			switch ((rnd >> 16) % 3) {
			case 0: buf[pos] = alphabet[(rnd >> 4) % (sizeof alphabet - 1)]; break;
			case 1: memmove(buf + pos, buf + pos + 1, len - pos - 1); len--; break;
			default: len = pos; break;
			}
		}
		int rc = gb_wp_decode_reply(ops[s], buf, len, &r);
		if (rc == 0) {
			decoded++;
			gb_wp_reply_release(&r);
		} else {
			assert_true(rc == -EPROTO || rc == -ENOMEM);
			assert_true(strlen(gb_error_msg()) > 0);
		}
	}
	assert_true(decoded > 0);
}

/* The runtime rows explain why a worker cannot start. */
static void test_probe_reasons(void **state)
{
	const struct gb_runtime_ops *torch = gb_runtime_find("torch"), *ortp = gb_runtime_find("ort-python");
	const char *py = getenv("GB_PYTHON") && *getenv("GB_PYTHON") ? getenv("GB_PYTHON") : "python3";
	char *dir = gbt_mkdtemp(), want[256];

	assert_non_null(torch);
	assert_non_null(ortp);
	/* A worker script that is missing a module answers the probe with 3. */
	gbt_write(dir, "torch_worker.py", "import sys\nsys.stderr.write('torch\\n')\nsys.exit(3)\n");
	setenv("GREENBENCH_WORKERS_DIR", dir, 1);
	setenv("GREENBENCH_PYTHON", py, 1);
	assert_int_equal(gb_runtime_probe(torch), -ENOENT);
	snprintf(want, sizeof want, "%s has no module torch", py);
	assert_string_equal(gb_error_msg(), want);
	/* No script at all. */
	assert_int_equal(gb_runtime_probe(ortp), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "ort_worker.py"));
	/* No interpreter. */
	setenv("GREENBENCH_PYTHON", "/nonexistent/python3", 1);
	assert_int_not_equal(gb_runtime_probe(torch), 0);
	assert_non_null(strstr(gb_error_msg(), "/nonexistent/python3"));
	unsetenv("GREENBENCH_PYTHON");
	unsetenv("GREENBENCH_WORKERS_DIR");
	gbt_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),	   cmocka_unit_test(test_decode_ok),
		cmocka_unit_test(test_decode_bad), cmocka_unit_test(test_quote),
		cmocka_unit_test(test_mutations),  cmocka_unit_test(test_probe_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
