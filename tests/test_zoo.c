/*
 * greenbench zoo end to end: usage errors as table rows, parameter and
 * MAC counts against the reference figures, every export through the ONNX
 * checker with output shapes at batch 1 and 8 (tests/zoo_check.py, run
 * with Debian's python3-onnx as $GB_PYTHON), and weights loaded from
 * safetensors files (F32, F16, BF16; missing, misshapen and truncated).
 */
#include "lib/gbtest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *gb;
static char py[4096];

static int run_gb(const char *args, char **out)
{
	return gbt_run_gb("", gb, args, out);
}

/* tests/zoo_check.py ARGS; its output must start with "ok". Returns it. */
static char *check_py_out(const char *args)
{
	char cmd[8192], *out = NULL;
	int rc;

	snprintf(cmd, sizeof cmd, "%s %s 2>&1", py, args);
	rc = gbt_run(cmd, &out);
	if (rc != 0 || strncmp(out, "ok", 2))
		fail_msg("zoo_check.py %s: exit %d\n%s", args, rc, out);
	return out;
}

static void check_py(const char *args)
{
	free(check_py_out(args));
}

static void export_ok(const char *args)
{
	char *out = NULL;
	int rc = run_gb(args, &out);

	if (rc != 0 || !strstr(out, "wrote "))
		fail_msg("greenbench %s: exit %d\n%s", args, rc, out);
	free(out);
}

static int setup(void **st)
{
	const char *p = getenv("GB_PYTHON"), *src = getenv("GB_SRCDIR");

	(void)st;
	gb = gbt_greenbench();
	snprintf(py, sizeof py, "'%s' '%s/tests/zoo_check.py'", p && *p ? p : "/usr/bin/python3",
		 src && *src ? src : ".");
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	free(gb);
	return 0;
}

static const struct gbt_row rows[] = {
	{ "zoo", 129, "zoo needs a subcommand" },
	{ "zoo frobnicate", 129, "unknown zoo subcommand 'frobnicate'" },
	{ "zoo list extra", 129, "unexpected argument 'extra'" },
	{ "zoo info", 129, "which model?" },
	{ "zoo info resnet51", 1, "error: no model 'resnet51' in the zoo" },
	{ "zoo info resnet50 extra", 129, "unexpected argument 'extra'" },
	{ "zoo info bert-base --seq 0", 129, "invalid --seq '0': expected an integer >= 1" },
	{ "zoo info bert-base --seq 12x", 129, "invalid --seq '12x'" },
	{ "zoo info bert-base --seq 513", 1, "seq 513 over 512" },
	{ "zoo info resnet50 --dtype fp8", 129, "invalid --dtype 'fp8': expected fp32, float32, fp16 or float16" },
	{ "zoo info resnet50 --seq 128", 1, "error: resnet50 takes no sequence length" },
	{ "zoo info resnet50 --weights w.safetensors", 129, "unknown option '--weights'" },
	{ "zoo export resnet50", 129, "export needs -o FILE.onnx" },
	{ "zoo export resnet50 -o", 129, "option '-o' needs a value" },
	{ "zoo export resnet50 -o x.onnx --seed -1", 129, "invalid --seed '-1': expected an integer >= 0" },
	{ "zoo export mobilenetv2 -o x.onnx --weights /nonexistent/w.safetensors", 1,
	  "error: cannot open weights '/nonexistent/w.safetensors': No such file or directory" },
	{ "zoo export mobilenetv2 -o /nonexistent/dir/m.onnx", 1,
	  "error: cannot write '/nonexistent/dir/m.onnx': No such file or directory" },
	{ "zoo list", 0, "mobilenetv2" },
	{ "zoo --help", 0, "usage: greenbench zoo list" },
};

static void test_rows(void **st)
{
	(void)st;
	gbt_rows_check(rows, sizeof rows / sizeof rows[0], "", gb);
	assert_int_equal(access("x.onnx", F_OK), -1);
}

static void test_help_equals_help_zoo(void **st)
{
	char *a = NULL, *b = NULL;

	(void)st;
	assert_int_equal(run_gb("zoo --help", &a), 0);
	assert_int_equal(run_gb("help zoo", &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* "1,234,567" after "label" in `zoo info` output; -1 if absent. */
static int64_t field(const char *out, const char *label)
{
	const char *p = strstr(out, label);
	int64_t v = 0;
	int digits = 0;

	if (!p)
		return -1;
	for (p += strlen(label); *p == ' '; p++)
		;
	for (; (*p >= '0' && *p <= '9') || *p == ','; p++)
		if (*p != ',') {
			v = v * 10 + (*p - '0');
			digits++;
		}
	return digits ? v : -1;
}

static int64_t macs(const char *out)
{
	const char *p = strstr(out, "MACs");

	p = p ? strchr(p, '(') : NULL;
	return p ? field(p, "(") : -1;
}

static char *info(const char *args)
{
	char *out = NULL, cmd[512];

	snprintf(cmd, sizeof cmd, "zoo info %s", args);
	if (run_gb(cmd, &out) != 0)
		fail_msg("greenbench %s:\n%s", cmd, out);
	return out;
}

/* The reference figures: torchvision and HF state_dict sizes
 * without BatchNorm buffers, MACs of Conv/Gemm/MatMul per sample. */
static void test_reference_counts(void **st)
{
	static const struct {
		const char *args;
		int64_t params;
		double macs;
		const char *io[4];
	} ref[] = {
		{ "resnet50", 25557032, 4.09e9, { "input float32 [batch,3,224,224]", "logits float32 [batch,1000]" } },
		{ "mobilenetv2", 3504872, 0.30e9, { "input float32 [batch,3,224,224]", "logits float32 [batch,1000]" } },
		{ "bert-base", 109482240 + 1538, 11.2e9,
		  { "input_ids int64 [batch,seq]", "attention_mask int64 [batch,seq]",
		    "token_type_ids int64 [batch,seq]", "logits float32 [batch,2]" } },
	};

	(void)st;
	for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
		char *out = info(ref[i].args);
		double m = (double)macs(out);

		if (field(out, "parameters") != ref[i].params)
			fail_msg("%s: parameters %" PRId64 ", want %" PRId64 "\n%s", ref[i].args,
				 field(out, "parameters"), ref[i].params, out);
		/* The issue rounds the figures to 3 digits. */
		if (m < ref[i].macs * 0.99 || m > ref[i].macs * 1.01)
			fail_msg("%s: MACs %.0f, want about %.3g\n%s", ref[i].args, m, ref[i].macs, out);
		for (int k = 0; k < 4 && ref[i].io[k]; k++)
			if (!strstr(out, ref[i].io[k]))
				fail_msg("%s: no '%s' in\n%s", ref[i].args, ref[i].io[k], out);
		free(out);
	}
}

/* Counts follow the options: they are computed, not looked up. */
static void test_counts_follow_options(void **st)
{
	char *b2 = info("bert-base"), *b5 = info("bert-base --labels 5"), *s64 = info("bert-base --seq 64");
	char *s256 = info("bert-base --seq 256"), *r10 = info("resnet50 --labels 10"), *r = info("resnet50");
	char *f = info("bert-base --batch 4 --seq 32 --dtype fp16");

	(void)st;
	assert_int_equal(field(b5, "parameters") - field(b2, "parameters"), 3 * 768 + 3);
	assert_int_equal(field(r, "parameters") - field(r10, "parameters"), 990 * 2048 + 990);
	/* Linear layers grow with seq, attention with seq^2. */
	double lin = 12.0 * (4 * 768 * 768 + 2 * 768 * 3072), att = 12.0 * 2 * 768;
	assert_true(macs(s256) - macs(s64) == (int64_t)(lin * 192 + att * (256.0 * 256 - 64.0 * 64)));
	assert_true(strstr(f, "input_ids int64 [4,32]") && strstr(f, "logits float16 [4,2]"));
	free(b2), free(b5), free(s64), free(s256), free(r10), free(r), free(f);
}

static void test_export_checker(void **st)
{
	/* args go to both info and export; seed only to export */
	static const struct {
		const char *args, *seed, *file;
		int labels;
	} ex[] = {
		{ "resnet50", "", "resnet50.onnx", 1000 },
		{ "mobilenetv2 --dtype fp16", "--seed 7", "mobilenetv2-fp16.onnx", 1000 },
		{ "mobilenetv2 --batch 4 --labels 10", "", "mobilenetv2-b4.onnx", 10 },
		/* BERT-base's graph with fewer layers, a small vocabulary and
		 * (fp16) a narrower width: the same operators, a fraction of
		 * the bytes. */
		{ "bert-base --layers 2 --vocab 1000", "", "bert.onnx", 2 },
		{ "bert-base --layers 2 --vocab 1000 --hidden 256 --heads 4 --intermediate 512 --dtype fp16 --seq 32 --labels 3",
		  "", "bert-fp16.onnx", 3 },
	};
	char args[512], *out, *inf;

	(void)st;
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		snprintf(args, sizeof args, "zoo export %s %s -o %s", ex[i].args, ex[i].seed, ex[i].file);
		export_ok(args);
		snprintf(args, sizeof args, "check %s %d", ex[i].file, ex[i].labels);
		out = check_py_out(args);
		/* The file holds exactly the parameters `zoo info` counts. */
		inf = info(ex[i].args);
		if (field(out, "params=") != field(inf, "parameters"))
			fail_msg("%s: file has %" PRId64 " parameters, info says\n%s", ex[i].args,
				 field(out, "params="), inf);
		if (strstr(ex[i].args, "fp16") && !strstr(ex[i].args, "bert") && !strstr(out, "input:FLOAT16"))
			fail_msg("%s: input not float16: %s", ex[i].args, out);
		if (strstr(ex[i].args, "--batch 4") && !strstr(out, "batches=[4, 4]"))
			fail_msg("%s: batch not fixed: %s", ex[i].args, out);
		free(inf);
		free(out);
	}
}

/* Same seed, same bytes; another seed, other weights. */
static void test_export_deterministic(void **st)
{
	char *a = NULL, *b = NULL;

	(void)st;
	export_ok("zoo export mobilenetv2 -o s1.onnx --seed 5");
	export_ok("zoo export mobilenetv2 -o s2.onnx --seed 5");
	export_ok("zoo export mobilenetv2 -o s3.onnx --seed 6");
	assert_int_equal(gbt_run("cmp -s s1.onnx s2.onnx", &a), 0);
	assert_int_not_equal(gbt_run("cmp -s s1.onnx s3.onnx", &b), 0);
	free(a);
	free(b);
}

static void test_weights_roundtrip(void **st)
{
	(void)st;
	export_ok("zoo export mobilenetv2 -o ref.onnx --seed 11");
	/* F32 file: the same weights bit for bit */
	check_py("to-safetensors ref.onnx w32.safetensors F32");
	export_ok("zoo export mobilenetv2 -o w32.onnx --weights w32.safetensors");
	check_py("same-weights ref.onnx w32.onnx F32");
	/* F16 and BF16 files widen exactly to float32 */
	check_py("to-safetensors ref.onnx w16.safetensors F16");
	export_ok("zoo export mobilenetv2 -o w16.onnx --weights w16.safetensors");
	check_py("same-weights ref.onnx w16.onnx F16");
	check_py("to-safetensors ref.onnx wbf.safetensors BF16");
	export_ok("zoo export mobilenetv2 -o wbf.onnx --weights wbf.safetensors");
	check_py("same-weights ref.onnx wbf.onnx BF16");
	/* F32 file into an fp16 model: rounded to nearest */
	export_ok("zoo export mobilenetv2 -o w32h.onnx --dtype fp16 --weights w32.safetensors");
	check_py("same-weights ref.onnx w32h.onnx F16");
	check_py("check w32h.onnx 1000");
}

static void test_weights_bert_extra_tensor(void **st)
{
	char *out = NULL;

	(void)st;
	export_ok("zoo export bert-base --layers 1 --vocab 500 -o bref.onnx --seed 2");
	/* HF files may carry the position_ids buffer: not a parameter, unused */
	check_py("to-safetensors bref.onnx b.safetensors F32 --extra");
	assert_int_equal(run_gb("zoo export bert-base --layers 1 --vocab 500 -o b.onnx --weights b.safetensors", &out), 0);
	assert_non_null(strstr(out, "1 unused"));
	check_py("same-weights bref.onnx b.onnx F32");
	free(out);
}

static void expect_fail(const char *args, const char *pattern)
{
	char *out = NULL;
	int rc = run_gb(args, &out);

	if (rc != 1 || !strstr(out, pattern))
		fail_msg("greenbench %s: exit %d, want 1 and '%s':\n%s", args, rc, pattern, out);
	free(out);
}

static void test_weights_errors_write_nothing(void **st)
{
	FILE *f;
	char buf[16] = { 0 }, *out = NULL;

	(void)st;
	export_ok("zoo export mobilenetv2 -o ref.onnx");
	/* An older file at the destination survives every failure. */
	f = fopen("out.onnx", "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
	check_py("to-safetensors ref.onnx missing.safetensors F32 --drop features.3.conv.1.1.running_var");
	expect_fail("zoo export mobilenetv2 -o out.onnx --weights missing.safetensors",
		    "error: weights 'missing.safetensors': missing tensor 'features.3.conv.1.1.running_var'");
	check_py("to-safetensors ref.onnx shape.safetensors F32 --reshape classifier.1.weight");
	expect_fail("zoo export mobilenetv2 -o out.onnx --weights shape.safetensors",
		    "tensor 'classifier.1.weight' has shape [1,1280000], expected [1000,1280]");
	expect_fail("zoo export resnet50 -o out.onnx --weights shape.safetensors", "missing tensor 'conv1.weight'");
	/* Truncated: the last tensor's bytes run past the end. */
	check_py("to-safetensors ref.onnx t.safetensors F32");
	assert_int_equal(gbt_run("truncate -s -100 t.safetensors", NULL), 0);
	expect_fail("zoo export mobilenetv2 -o out.onnx --weights t.safetensors", "(truncated file?)");
	/* Garbage */
	assert_int_equal(gbt_run("head -c 4096 /dev/urandom > g.safetensors", NULL), 0);
	expect_fail("zoo export mobilenetv2 -o out.onnx --weights g.safetensors", "weights 'g.safetensors'");
	f = fopen("out.onnx", "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_string_equal(buf, "old");
	/* and no temporary file is left behind */
	assert_int_equal(gbt_run("ls | grep -c tmp-", &out), 1);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_help_equals_help_zoo),
		cmocka_unit_test(test_reference_counts),
		cmocka_unit_test(test_counts_follow_options),
		cmocka_unit_test(test_export_checker),
		cmocka_unit_test(test_export_deterministic),
		cmocka_unit_test(test_weights_roundtrip),
		cmocka_unit_test(test_weights_bert_extra_tensor),
		cmocka_unit_test(test_weights_errors_write_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
