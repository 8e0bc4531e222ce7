/*
 * `greenbench report` over a campaign run with the fake: statistics
 * against scipy (tests/helpers/report_expected.py reads the records from
 * the database itself), every format written and the machine-readable
 * ones parsed back, and the HTML checked in headless Chromium: it renders,
 * its plots hold data, and it refers to nothing outside itself.
 */
#include "lib/gbtest.h"
#include "greenbench/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *gb, *fake, *dir, env[8192], py[64];

static const char plan[] =
	"name: rep\n"
	"seed: 21\n"
	"reps: 4\n"
	"models: [mobilenetv2, resnet50]\n"
	"runtimes: [ort/cpu, ort/cuda, ort/tensorrt]\n"
	"batches: [1, 8]\n";

static int run_gb(const char *args, char **out)
{
	char cmd[16384];

	snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s 2>&1", dir, env, gb, args);
	return gbt_run(cmd, out);
}

static char *slurp(const char *name)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return gbt_read_file(path, NULL);
}

static int setup(void **st)
{
	char *out = NULL;

	(void)st;
	gb = gbt_greenbench();
	fake = gbt_build_path("fake-run");
	dir = gbt_mkdtemp();
	snprintf(py, sizeof py, "%s", access("/usr/bin/python3", X_OK) ? "python3" : "/usr/bin/python3");
	snprintf(env, sizeof env, "GREENBENCH_RUN_CMD='%s' GREENBENCH_CACHE_DIR='%s/cache' "
		 "GB_FAKE_THROTTLE='model=resnet50 runtime=ort ep=cuda batch=8' "
		 "GB_FAKE_FAIL='model=mobilenetv2 runtime=ort ep=tensorrt batch=8'", fake, dir);
	gbt_write(dir, "rep.yaml", "%s", plan);
	/* 3: some runs failed, as planned (GB_FAKE_FAIL). */
	if (run_gb("campaign run rep.yaml --db r.db -q", &out) != 3)
		fail_msg("campaign failed:\n%s", out);
	free(out);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	gbt_rm_rf(dir);
	free(dir);
	free(fake);
	free(gb);
	return 0;
}

static int close_to(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v))
		fail_msg("missing number '%s'", k);
	return v->valuedouble;
}

static void test_statistics_match_scipy(void **st)
{
	char cmd[8192], *exp_text = NULL, *out = NULL, *got_text;
	cJSON *exp, *got, *c, *e;
	size_t nconf = 0, npairs = 0;

	(void)st;
	snprintf(cmd, sizeof cmd, "%s -c 'import scipy' 2>/dev/null", py);
	if (gbt_run(cmd, NULL) != 0) {
		fprintf(stderr, "skipped: python3-scipy is not installed\n");
		skip();
	}
	snprintf(cmd, sizeof cmd, "%s '%s/tests/helpers/report_expected.py' '%s/r.db'", py,
		 getenv("GB_SRCDIR") ? getenv("GB_SRCDIR") : ".", dir);
	assert_int_equal(gbt_run(cmd, &exp_text), 0);
	assert_int_equal(run_gb("report --db r.db --format json -o r.json", &out), 0);
	free(out);
	got_text = slurp("r.json");
	exp = cJSON_Parse(exp_text);
	got = cJSON_Parse(got_text);
	assert_non_null(exp);
	assert_non_null(got);

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(got, "configurations")) {
		char key[256];
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "metrics"), "energy_per_item_mj");
		snprintf(key, sizeof key, "%s|%d|%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "model")),
			 (int)num(c, "batch"), cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "label")));
		e = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(exp, "configurations"), key);
		if (!m) {
			assert_null(e);	/* the failed configuration has no figure */
			continue;
		}
		assert_non_null(e);
		assert_true(num(m, "n") == num(e, "n"));
		assert_true(close_to(num(m, "mean"), num(e, "mean"), 1e-9));
		assert_true(close_to(num(m, "ci95_lo"), num(e, "ci95_lo"), 1e-9));
		assert_true(close_to(num(m, "ci95_hi"), num(e, "ci95_hi"), 1e-9));
		nconf++;
	}
	assert_int_equal(nconf, 11);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(got, "pairwise")) {
		char key[256];
		snprintf(key, sizeof key, "%s|%d|%s|%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "model")),
			 (int)num(c, "batch"), cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "a")),
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "b")));
		const cJSON *hit = NULL;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(exp, "pairwise"))
			if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "key")), key))
				hit = e;
		if (!hit)
			fail_msg("pair %s not expected", key);
		assert_true(close_to(num(c, "u"), num(hit, "u"), 1e-12));
		assert_true(close_to(num(c, "p"), num(hit, "p"), 1e-9));
		assert_true(close_to(num(c, "cliffs_delta"), num(hit, "cliffs_delta"), 1e-12));
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "method")),
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(hit, "method")));
		npairs++;
	}
	/* 4 groups of 3 configurations (3 pairs each), one group of 2, one of 3 minus the failed one. */
	assert_int_equal(npairs, (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(exp, "pairwise")));
	assert_int_equal(npairs, 10);
	static const char *const corr[] = { "time_per_item_vs_energy_per_item", "gpu_util_vs_gpu_power" };
	for (int i = 0; i < 2; i++) {
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(got, "spearman"), corr[i]);
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(exp, "spearman"), corr[i]);
		assert_true(num(g, "n") == num(x, "n"));
		assert_true(close_to(num(g, "rho"), num(x, "rho"), 1e-9));
		assert_true(close_to(num(g, "p"), num(x, "p"), 1e-6));
	}
	cJSON_Delete(exp);
	cJSON_Delete(got);
	free(exp_text);
	free(got_text);
}

/* gb_stats_mann_whitney(x, y) against scipy's U and p for the same samples
 * (xs, ys: them as comma-separated text), and whether it took the exact path. */
static void check_mwu(const double *x, size_t nx, const char *xs, const double *y, size_t ny, const char *ys,
		      int want_exact)
{
	char cmd[512], *out = NULL;
	double u, p, eu, ep;
	int exact;

	assert_int_equal(gb_stats_mann_whitney(x, nx, y, ny, &u, &p, &exact), 0);
	assert_int_equal(exact, want_exact);
	snprintf(cmd, sizeof cmd, "%s '%s/tests/helpers/report_expected.py' mwu %s %s", py,
		 getenv("GB_SRCDIR") ? getenv("GB_SRCDIR") : ".", xs, ys);
	assert_int_equal(gbt_run(cmd, &out), 0);
	assert_int_equal(sscanf(out, "%lf %lf", &eu, &ep), 2);
	assert_true(close_to(u, eu, 1e-12) && close_to(p, ep, 1e-9));
	free(out);
}

/* The asymptotic path (ties, larger samples) and the exact one, against scipy. */
static void test_mann_whitney_paths(void **st)
{
	static const double x[] = { 1, 2, 2, 3, 4, 5, 6, 7, 8, 9 }, y[] = { 2, 3, 3, 5, 8, 10, 11 };
	static const double a[] = { 1.5, 2.5, 9.1 }, b[] = { 3.3, 4.4, 5.5, 6.6 };
	char cmd[512];

	(void)st;
	snprintf(cmd, sizeof cmd, "%s -c 'import scipy' 2>/dev/null", py);
	if (gbt_run(cmd, NULL) != 0)
		skip();
	check_mwu(x, 10, "1,2,2,3,4,5,6,7,8,9", y, 7, "2,3,3,5,8,10,11", 0);
	check_mwu(a, 3, "1.5,2.5,9.1", b, 4, "3.3,4.4,5.5,6.6", 1);
	assert_true(gb_stats_cliffs_delta(a, 3, b, 4) == (double)(1 * 4 - 2 * 4) / 12);
}

/* Split one CSV line into fields (quotes honoured); returns the count. */
static size_t csv_fields(const char *line, char fields[][128], size_t max)
{
	size_t n = 0, k = 0;
	int q = 0;

	for (const char *s = line;; s++) {
		if (!q && (*s == ',' || *s == '\0' || *s == '\n')) {
			if (n < max)
				fields[n][k < 127 ? k : 127] = '\0';
			n++;
			k = 0;
			if (*s != ',')
				break;
		} else if (*s == '"') {
			if (q && s[1] == '"') {
				if (n < max && k < 127)
					fields[n][k++] = '"';
				s++;
			} else {
				q = !q;
			}
		} else if (n < max && k < 127) {
			fields[n][k++] = *s;
		}
	}
	return n;
}

static void test_every_format(void **st)
{
	static char hdr[128][128], row[128][128];
	static const char *const fmts[] = { "table", "md", "csv", "json", "latex", "html" };
	char args[256], *out = NULL, *text, *jtext, *line, *save = NULL;
	size_t ncols, nrows = 0, epi_col = 0, method_col = 0, label_col = 0;
	cJSON *json, *cfgs;

	(void)st;
	for (size_t i = 0; i < 6; i++) {
		snprintf(args, sizeof args, "report --db r.db --campaign 1 --format %s -o out.%s", fmts[i], fmts[i]);
		if (run_gb(args, &out) != 0)
			fail_msg("report --format %s failed:\n%s", fmts[i], out);
		free(out);
	}
	/* Plain text to stdout is the default. */
	assert_int_equal(run_gb("report --db r.db", &out), 0);
	text = slurp("out.table");
	assert_string_equal(out, text);
	free(out);
	assert_non_null(strstr(text, "Table 1: energy and performance per model, batch size and runtime/EP"));
	assert_non_null(strstr(text, "Table 3: execution providers compared"));
	assert_non_null(strstr(text, "[estimated]"));
	assert_non_null(strstr(text, "0 (+4 failed)"));
	assert_non_null(strstr(text, "warning: resnet50 b8 ort/cuda: the GPU throttled during its runs (reasons 0x40)"));
	assert_non_null(strstr(text, "warning: mobilenetv2 b8 ort/tensorrt: 4 of 4 runs failed: unsupported execution provider tensorrt"));
	free(text);
	text = slurp("out.md");
	assert_non_null(strstr(text, "## Table 1: energy"));
	assert_non_null(strstr(text, "| Model "));
	free(text);
	text = slurp("out.latex");
	assert_non_null(strstr(text, "\\begin{tabular}"));
	assert_non_null(strstr(text, "$\\pm$"));
	assert_null(strstr(text, "±"));
	free(text);

	jtext = slurp("out.json");
	json = cJSON_Parse(jtext);
	assert_non_null(json);
	cfgs = cJSON_GetObjectItemCaseSensitive(json, "configurations");
	assert_int_equal(cJSON_GetArraySize(cfgs), 12);
	assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(json, "campaign"), "runs_recorded"), 48);

	/* CSV: a rectangle with one row per configuration, agreeing with JSON. */
	text = slurp("out.csv");
	line = strtok_r(text, "\n", &save);
	ncols = csv_fields(line, hdr, 128);
	for (size_t c = 0; c < ncols; c++) {
		if (!strcmp(hdr[c], "energy_per_item_mj_mean"))
			epi_col = c;
		if (!strcmp(hdr[c], "total_energy_methods"))
			method_col = c;
		if (!strcmp(hdr[c], "label"))
			label_col = c;
	}
	assert_true(epi_col && method_col && label_col);
	while ((line = strtok_r(NULL, "\n", &save))) {
		const cJSON *c = cJSON_GetArrayItem(cfgs, (int)nrows);
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "metrics"), "energy_per_item_mj");
		assert_int_equal(csv_fields(line, row, 128), ncols);
		assert_string_equal(row[label_col], cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "label")));
		if (m) {
			assert_true(close_to(strtod(row[epi_col], NULL), num(m, "mean"), 1e-12));
			assert_string_equal(row[method_col], "counter+estimated");
		} else {
			assert_string_equal(row[epi_col], "");	/* absent, not 0 */
		}
		nrows++;
	}
	assert_int_equal(nrows, 12);
	cJSON_Delete(json);
	free(jtext);
	free(text);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

static void test_html_self_contained(void **st)
{
	char *html, *out = NULL;

	(void)st;
	assert_int_equal(run_gb("report --db r.db --format html --run 3 -o one.html", &out), 0);
	free(out);
	html = slurp("one.html");
	/* Nothing is fetched from anywhere: no URL, no external reference. */
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	assert_int_equal(count(html, "<rect class=\"bar\""), 11);
	assert_int_equal(count(html, "<circle class=\"pt"), 11);
	assert_non_null(strstr(html, "run 3: "));
	assert_non_null(strstr(html, "<polyline class=\"series-power\" data-n=\"10\""));
	free(html);
	assert_int_equal(run_gb("report --db r.db --format html --run 999", &out), 1);
	assert_non_null(strstr(out, "error: no run 999 in campaign 1"));
	free(out);
}

static void test_html_in_chromium(void **st)
{
	char cmd[8192], *dom = NULL;

	(void)st;
	if (gbt_run("command -v chromium >/dev/null 2>&1", NULL) != 0) {
		fprintf(stderr, "skipped: chromium is not installed (Debian package chromium)\n");
		skip();
	}
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' report --db r.db --format html -o c.html && "
		 "prof=$(mktemp -d) && timeout 60 chromium --headless --no-sandbox --disable-gpu "
		 "--disable-background-networking --disable-component-update --no-first-run "
		 "--user-data-dir=\"$prof\" --dump-dom 'file://%s/c.html' 2>/dev/null; rc=$?; rm -rf \"$prof\"; exit $rc",
		 dir, gb, dir);
	assert_int_equal(gbt_run(cmd, &dom), 0);
	/* The browser parsed it: the DOM it serialises holds the plots' data. */
	assert_non_null(strstr(dom, "<h1>Campaign 1: rep</h1>"));
	assert_int_equal(count(dom, "<rect class=\"bar\""), 11);
	assert_int_equal(count(dom, "<circle class=\"pt"), 11);
	assert_true(count(dom, "class=\"pt front\"") >= 2);
	assert_non_null(strstr(dom, "<polyline class=\"series-power\" data-n=\"10\" points=\""));
	assert_non_null(strstr(dom, "Table 1: energy and performance"));
	free(dom);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statistics_match_scipy),
		cmocka_unit_test(test_mann_whitney_paths),
		cmocka_unit_test(test_every_format),
		cmocka_unit_test(test_html_self_contained),
		cmocka_unit_test(test_html_in_chromium),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
