/*
 * The option parser (src/cli/parse_options.c): every row type, the
 * accepted spellings, "--", argument order, errors and their messages,
 * and the help generated from the rows. Runs in-process; stdout and
 * stderr are captured into files for each parse.
 */
#include "lib/gbtest.h"
#include "cli/parse_options.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXARGS 32

/* What one parse did: its return, the rewritten argv, what it printed. */
struct result {
	int ret;
	char *argv[MAXARGS + 1];
	char *out, *err;
};

static char *slurp(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* stdout and stderr go to files until capture_end(). */
struct capture {
	FILE *out, *err;
	int saved_out, saved_err;
};

static void capture_start(struct capture *c)
{
	c->out = tmpfile();
	c->err = tmpfile();
	assert_non_null(c->out);
	assert_non_null(c->err);
	fflush(stdout);
	fflush(stderr);
	c->saved_out = dup(1);
	c->saved_err = dup(2);
	dup2(fileno(c->out), 1);
	dup2(fileno(c->err), 2);
}

static void capture_end(struct capture *c, char **out, char **err)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_out, 1);
	dup2(c->saved_err, 2);
	close(c->saved_out);
	close(c->saved_err);
	fseek(c->out, 0, SEEK_END);
	fseek(c->err, 0, SEEK_END);
	*out = slurp(c->out);
	*err = slurp(c->err);
}

/* Split line at spaces into argv (after "cmd") and parse it. */
static void parse(const char *line, const struct gb_option *opts, const struct gb_usage *u, unsigned flags,
		  struct result *r)
{
	static char buf[1024];
	struct capture c;
	int argc = 0;
	char *save = NULL;

	memset(r, 0, sizeof *r);
	snprintf(buf, sizeof buf, "cmd %s", line);
	for (char *t = strtok_r(buf, " ", &save); t && argc < MAXARGS; t = strtok_r(NULL, " ", &save))
		r->argv[argc++] = t;
	capture_start(&c);
	r->ret = gb_parse_options(argc, r->argv, opts, u, flags);
	capture_end(&c, &r->out, &r->err);
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

static const struct gb_usage usage = {
	.synopsis = "cmd [options] ARGS\n",
	.description = "Do the thing.\n",
	.epilogue = "See the docs.\n",
};

/* The variables every row of the test table sets. */
struct vals {
	int json, cache, quiet, verbose, flag_seen;
	int opset;
	int8_t small;
	uint64_t seed;
	unsigned threads;
	size_t mem;
	double ratio;
	const char *name, *out, *cb_arg;
	uint64_t interval_ns;
	int data_given;
	const char *data, *other;
	int hidden;
	enum { PLACE_HOST = 3, PLACE_DEVICE = -7 } place;
};

static const struct gb_option_choice places[] = {
	{ "host", PLACE_HOST }, { "device", PLACE_DEVICE }, { "gpu", PLACE_DEVICE }, { NULL, 0 },
};

static int cb_pick(const struct gb_option *opt, const char *arg)
{
	struct vals *v = opt->value;

	if (!strcmp(arg, "bad"))
		return gb_error_set(-EINVAL, "invalid --pick '%s': not today", arg);
	v->cb_arg = arg;
	return 0;
}

static int cb_flag(const struct gb_option *opt, const char *arg)
{
	struct vals *v = opt->value;

	v->flag_seen += arg == NULL;
	return 0;
}

#define TABLE(v)                                                                                    \
	GB_OPT_BOOL('j', "json", &(v)->json, "print JSON"),                                          \
	GB_OPT_NEGBOOL(0, "no-cache", &(v)->cache, "no cache"),                                      \
	GB_OPT_BOOL('q', "quiet", &(v)->quiet, "say less"),                                          \
	{ .type = GB_OPTION_BOOL, .short_name = 'v', .long_name = "verbose", .value = &(v)->verbose,  \
	  .help = "say more", .defval = 1, .flags = GB_OPTION_NONEG },                                \
	GB_OPT_INT_RANGE(0, "opset", &(v)->opset, "N", "opset", 7, 30),                              \
	GB_OPT_INT(0, "small", &(v)->small, "N", "an int8"),                                         \
	GB_OPT_UINT(0, "seed", &(v)->seed, "N", "seed", 0),                                          \
	GB_OPT_UINT_RANGE(0, "threads", &(v)->threads, "N", "threads", 1, 1024),                     \
	GB_OPT_SIZE(0, "mem", &(v)->mem, "SIZE", "memory", 1),                                    \
	GB_OPT_DOUBLE(0, "ratio", &(v)->ratio, "X", "a ratio"),                                      \
	GB_OPT_STRING('n', "name", &(v)->name, "NAME", "a name"),                                    \
	GB_OPT_STRING('o', NULL, &(v)->out, "FILE", "output file"),                                  \
	GB_OPT_CHOICE(0, "io", &(v)->place, "WHERE", "host or device", places),                      \
	GB_OPT_CALLBACK(0, "pick", (v), "WHAT", "a callback", cb_pick),                              \
	GB_OPT_CALLBACK('f', "flag", (v), NULL, "a callback without value", cb_flag),                \
	GB_OPT_DURATION('i', "interval", &(v)->interval_ns, "DUR", "period", GB_NS_PER_MS),          \
	GB_OPT_GROUP_COUNT("data:", &(v)->data_given),                                               \
	GB_OPT_STRING(0, "data", &(v)->data, "PATH", "the data"),                                    \
	GB_OPT_STRING(0, "data-other", &(v)->other, "X", "another data option"),                     \
	GB_OPT_GROUP_HIDDEN(),                                                                       \
	GB_OPT_BOOL(0, "secret", &(v)->hidden, "not listed"),                                        \
	GB_OPT_GROUP_LIST_ONLY("elsewhere:"),                                                        \
	GB_OPT_STRING(0, "listed", &(v)->other, "X", "listed, not accepted here"),                   \
	GB_OPT_END()

static void check_ok(const char *line, struct vals *v, struct result *r, unsigned flags)
{
	const struct gb_option opts[] = { TABLE(v) };

	memset(v, 0, sizeof *v);
	v->cache = 1;
	parse(line, opts, &usage, flags, r);
	if (r->ret < 0)
		fail_msg("'%s' failed: %s", line, r->err);
	assert_string_equal(r->err, "");
}

/* line fails with a usage error whose first line is "error: " msg, then
 * the usage. */
static void check_error(const char *line, const char *msg)
{
	struct vals v;
	const struct gb_option opts[] = { TABLE(&v) };
	struct result r;
	char want[512];

	memset(&v, 0, sizeof v);
	parse(line, opts, &usage, 0, &r);
	snprintf(want, sizeof want, "error: %s\n\nusage: cmd [options] ARGS\n", msg);
	if (r.ret != GB_PARSE_ERROR || strncmp(r.err, want, strlen(want)))
		fail_msg("'%s': ret %d, stderr:\n%s\nwanted first:\n%s", line, r.ret, r.err, want);
	assert_string_equal(r.out, "");
	result_free(&r);
}

static void test_types(void **st)
{
	struct vals v;
	struct result r;

	(void)st;
	check_ok("--json --no-cache --opset 17 --small -128 --seed 18446744073709551615 --threads 8 "
		 "--mem 16M --ratio 0.25 --name x --pick p -f -i 20ms -o out.txt --io gpu", &v, &r, 0);
	assert_int_equal(r.ret, 0);
	assert_int_equal(v.json, 1);
	assert_int_equal(v.cache, 0);
	assert_int_equal(v.opset, 17);
	assert_int_equal(v.small, -128);
	assert_true(v.seed == UINT64_MAX);
	assert_int_equal(v.threads, 8);
	assert_int_equal(v.mem, 16u << 20);
	assert_true(v.ratio == 0.25);
	assert_string_equal(v.name, "x");
	assert_string_equal(v.cb_arg, "p");
	assert_int_equal(v.flag_seen, 1);
	assert_true(v.interval_ns == 20 * GB_NS_PER_MS);
	assert_string_equal(v.out, "out.txt");
	assert_int_equal(v.place, PLACE_DEVICE);
	result_free(&r);
	check_ok("--io host", &v, &r, 0);
	assert_int_equal(v.place, PLACE_HOST);
	result_free(&r);

	check_ok("--mem 512 --mem 4k", &v, &r, 0);
	assert_int_equal(v.mem, 4096);
	result_free(&r);
}

static void test_spellings(void **st)
{
	struct vals v;
	struct result r;

	(void)st;
	/* --x=v, -xV, bundled flags, the last of a bundle taking the rest */
	check_ok("--name=a=b -nshort -jq -qjnbundle --opset=9", &v, &r, 0);
	assert_string_equal(v.name, "bundle");
	assert_int_equal(v.json, 1);
	assert_int_equal(v.quiet, 1);
	assert_int_equal(v.opset, 9);
	result_free(&r);
	check_ok("--name=a=b", &v, &r, 0);
	assert_string_equal(v.name, "a=b");
	result_free(&r);
	/* a value may start with '-' */
	check_ok("--name -x -o -", &v, &r, 0);
	assert_string_equal(v.name, "-x");
	assert_string_equal(v.out, "-");
	result_free(&r);
	/* negations: --no-X for X, --X for no-X; the last one wins */
	check_ok("--json --no-json --no-cache --cache", &v, &r, 0);
	assert_int_equal(v.json, 0);
	assert_int_equal(v.cache, 1);
	result_free(&r);
	/* unambiguous prefixes, also of a negation */
	check_ok("--thr 3 --rat 2 --no-js", &v, &r, 0);
	assert_int_equal(v.threads, 3);
	assert_true(v.ratio == 2);
	assert_int_equal(v.json, 0);
	result_free(&r);
	/* an exact name beats the longer one it starts */
	check_ok("--data d", &v, &r, 0);
	assert_string_equal(v.data, "d");
	assert_null(v.other);
	result_free(&r);
}

static void test_arguments(void **st)
{
	struct vals v;
	struct result r;

	(void)st;
	/* non-options keep their order; "--" ends the options */
	check_ok("a --json b -- --name c", &v, &r, 0);
	assert_int_equal(r.ret, 4);
	assert_string_equal(r.argv[0], "a");
	assert_string_equal(r.argv[1], "b");
	assert_string_equal(r.argv[2], "--name");
	assert_string_equal(r.argv[3], "c");
	assert_null(r.argv[4]);
	assert_int_equal(v.json, 1);
	assert_null(v.name);
	result_free(&r);
	/* stop at the first non-option: the rest is a command's own */
	check_ok("-j sh -c --json", &v, &r, GB_PARSE_STOP_AT_NON_OPTION);
	assert_int_equal(r.ret, 3);
	assert_string_equal(r.argv[0], "sh");
	assert_string_equal(r.argv[2], "--json");
	assert_null(r.argv[3]);
	result_free(&r);
	check_ok("", &v, &r, GB_PARSE_NO_ARGS);
	assert_int_equal(r.ret, 0);
	assert_null(r.argv[0]);
	result_free(&r);
}

static void test_errors(void **st)
{
	(void)st;
	check_error("--bogus", "unknown option '--bogus'");
	check_error("--bogus=3", "unknown option '--bogus'");
	check_error("-jx", "unknown option '-x'");
	check_error("--name", "option '--name' needs a value");
	check_error("-o", "option '-o' needs a value");
	check_error("--json=1", "option '--json' takes no value");
	check_error("--no-verbose", "unknown option '--no-verbose'");
	check_error("--no-name x", "unknown option '--no-name'");
	check_error("--s 1", "ambiguous option '--s': could be --small or --seed");
	check_error("--da x", "ambiguous option '--da': could be --data or --data-other");
	check_error("--=x", "unknown option '--'");
	check_error("--listed x", "unknown option '--listed'");
	check_error("--opset 6", "invalid --opset '6': expected an integer from 7 to 30");
	check_error("--opset 7x", "invalid --opset '7x': expected an integer from 7 to 30");
	check_error("--small 128", "invalid --small '128': out of range");
	check_error("--small x", "invalid --small 'x': expected an integer");
	check_error("--seed -1", "invalid --seed '-1': expected an integer >= 0");
	check_error("--seed 18446744073709551616", "invalid --seed '18446744073709551616': too large");
	check_error("--threads 0", "invalid --threads '0': expected an integer from 1 to 1024");
	check_error("--mem 0", "invalid --mem '0': expected a size >= 1");
	check_error("--mem 4q", "invalid --mem '4q': expected a size >= 1");
	check_error("--ratio nan", "invalid --ratio 'nan': expected a number");
	check_error("-i 10parsecs",
		    "--interval: invalid duration '10parsecs': unknown unit 'parsecs' (use ns, us, ms, s, m or h)");
	check_error("-i 100us", "--interval: duration '100us' is below 1ms");
	check_error("--pick bad", "invalid --pick 'bad': not today");
	check_error("--io moon", "invalid --io 'moon': expected host, device or gpu");
}

static void test_no_args_and_prefix(void **st)
{
	struct vals v;
	const struct gb_option opts[] = { TABLE(&v) };
	struct gb_usage u = usage;
	struct result r;

	(void)st;
	memset(&v, 0, sizeof v);
	parse("--json extra", opts, &usage, GB_PARSE_NO_ARGS, &r);
	assert_int_equal(r.ret, GB_PARSE_ERROR);
	assert_non_null(strstr(r.err, "error: unexpected argument 'extra'\n"));
	result_free(&r);
	parse("-- extra", opts, &usage, GB_PARSE_NO_ARGS, &r);
	assert_int_equal(r.ret, GB_PARSE_ERROR);
	assert_non_null(strstr(r.err, "error: unexpected argument 'extra'\n"));
	result_free(&r);
	u.error_prefix = "side a: ";
	parse("--bogus", opts, &u, 0, &r);
	assert_int_equal(strncmp(r.err, "error: side a: unknown option '--bogus'\n", 40), 0);
	result_free(&r);
	assert_int_equal(gb_parse_exit(GB_PARSE_ERROR), 129);
	assert_int_equal(gb_parse_exit(GB_PARSE_HELP), 0);
}

/* An ambiguity names the options as the user would spell them. */
static void test_ambiguous_negation(void **st)
{
	int color = 1;
	const char *colors = NULL;
	const struct gb_option opts[] = {
		GB_OPT_NEGBOOL(0, "no-color", &color, "plain output"),
		GB_OPT_STRING(0, "colors", &colors, "LIST", "the palette"),
		GB_OPT_END(),
	};
	struct result r;

	(void)st;
	parse("--col", opts, &usage, 0, &r);
	assert_int_equal(r.ret, GB_PARSE_ERROR);
	assert_int_equal(strncmp(r.err, "error: ambiguous option '--col': could be --color or --colors\n", 62), 0);
	result_free(&r);
	parse("--no-color --colo", opts, &usage, 0, &r);
	assert_int_equal(r.ret, GB_PARSE_ERROR);
	result_free(&r);
	parse("--no-col --colors=rgb", opts, &usage, 0, &r);
	assert_int_equal(r.ret, 0);
	assert_int_equal(color, 0);
	assert_string_equal(colors, "rgb");
	result_free(&r);
}

static void test_group_count(void **st)
{
	struct vals v;
	struct result r;

	(void)st;
	check_ok("--json --data-other x --secret", &v, &r, 0);
	assert_int_equal(v.data_given, 1);
	assert_int_equal(v.hidden, 1);
	result_free(&r);
	check_ok("--data a --data-other x", &v, &r, 0);
	assert_int_equal(v.data_given, 2);
	result_free(&r);
}

/* The help lists every visible row, in order, in the fixed layout. */
static void test_help(void **st)
{
	static const char want[] =
		"usage: cmd [options] ARGS\n"
		"\n"
		"Do the thing.\n"
		"\n"
		"    -j, --json               print JSON\n"
		"        --no-cache           no cache\n"
		"    -q, --quiet              say less\n"
		"    -v, --verbose            say more\n"
		"        --opset N            opset\n"
		"        --small N            an int8\n"
		"        --seed N             seed\n"
		"        --threads N          threads\n"
		"        --mem SIZE           memory\n"
		"        --ratio X            a ratio\n"
		"    -n, --name NAME          a name\n"
		"    -o FILE                  output file\n"
		"        --io WHERE           host or device\n"
		"        --pick WHAT          a callback\n"
		"    -f, --flag               a callback without value\n"
		"    -i, --interval DUR       period\n"
		"\n"
		"data:\n"
		"        --data PATH          the data\n"
		"        --data-other X       another data option\n"
		"\n"
		"elsewhere:\n"
		"        --listed X           listed, not accepted here\n"
		"\n"
		"See the docs.\n";
	struct vals v;
	const struct gb_option opts[] = { TABLE(&v) };
	struct result r;

	(void)st;
	parse("--json --help --bogus", opts, &usage, 0, &r);
	assert_int_equal(r.ret, GB_PARSE_HELP);
	assert_string_equal(r.out, want);
	assert_string_equal(r.err, "");
	result_free(&r);
	parse("-jh", opts, &usage, 0, &r);
	assert_int_equal(r.ret, GB_PARSE_HELP);
	assert_string_equal(r.out, want);
	result_free(&r);
	/* after "--", --help is an argument */
	parse("-- --help", opts, &usage, 0, &r);
	assert_int_equal(r.ret, 1);
	assert_string_equal(r.out, "");
	result_free(&r);
}

/* Long help text wraps at spaces before column 80, under the help
 * column; a long option name puts its help on the next line. */
static void test_help_wrap(void **st)
{
	const char *s = NULL;
	const struct gb_option opts[] = {
		GB_OPT_STRING(0, "long", &s, "X",
			      "one two three four five six seven eight nine ten eleven twelve thirteen "
			      "fourteen fifteen sixteen"),
		GB_OPT_STRING(0, "a-very-long-option-name", &s, "VALUE", "short help"),
		GB_OPT_END(),
	};
	const struct gb_usage u = { .synopsis = "cmd" };
	static const char want[] =
		"usage: cmd\n"
		"\n"
		"        --long X             one two three four five six seven eight nine ten\n"
		"                             eleven twelve thirteen fourteen fifteen sixteen\n"
		"        --a-very-long-option-name VALUE\n"
		"                             short help\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)st;
	assert_non_null(f);
	gb_usage_print(f, &u, opts);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_usage_error(void **st)
{
	const struct gb_option opts[] = { GB_OPT_END() };
	const struct gb_usage u = { .synopsis = "cmd X\n", .error_prefix = "side b: " };
	struct capture c;
	char *out, *err;
	int ret;

	(void)st;
	capture_start(&c);
	ret = gb_usage_error(&u, opts, "no model given: use --model %s", "FILE");
	capture_end(&c, &out, &err);
	assert_int_equal(ret, GB_PARSE_ERROR);
	assert_string_equal(out, "");
	assert_string_equal(err, "error: side b: no model given: use --model FILE\n\nusage: cmd X\n");
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_args_and_prefix),
		cmocka_unit_test(test_ambiguous_negation),
		cmocka_unit_test(test_group_count),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_help_wrap),
		cmocka_unit_test(test_usage_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
