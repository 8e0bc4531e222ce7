/*
 * `greenbench report` over a campaign run with the fake: statistics
 * against scipy (tests/helpers/report_expected.py reads the records from
 * the database itself), every format written and the machine-readable
 * ones parsed back, and the HTML checked in headless Chromium: no error,
 * data marks in every chart, nothing fetched. Markdown and LaTeX of a
 * deterministic campaign against golden files (make golden rewrites
 * them); the net column against the tables, recomputed in Python.
 */
#include "lib/gbtest.h"
#include "lib/proc_fixture.h"
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
	static const char *const want_text[] = {
		"GPUs            Fake GPU (driver 1.0)",
		"Energy methods  GPU counter; CPU estimated",
		"No accuracy: no run was measured on labelled data. Give a model `data:`",
		"No converted model in this campaign",
		"tensorrt-cuda  The TensorRT execution provider uses less energy than CUDA",
	};
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
	assert_non_null(strstr(text, "warning: resnet50 b8 ort/cuda: the GPU throttled during its runs (reasons 0x40: hw_thermal_slowdown)"));
	assert_non_null(strstr(text, "warning: mobilenetv2 b8 ort/tensorrt: 4 of 4 runs failed: unsupported execution provider tensorrt"));
	/* The environment, the empty Table 2 and RQ2 in one line, the findings. */
	for (size_t i = 0; i < sizeof want_text / sizeof want_text[0]; i++)
		if (!strstr(text, want_text[i]))
			fail_msg("the text report lacks '%s'", want_text[i]);
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
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "findings")), GB_CLAIM_COUNT);
	assert_int_equal(num(cJSON_GetArrayItem(cfgs, 0), "per_items"), 10000);
	/* Table 1's energy and time for the study's workload: N x per item. */
	{
		const cJSON *c0 = cJSON_GetArrayItem(cfgs, 1), *ms = cJSON_GetObjectItemCaseSensitive(c0, "metrics");
		double epi = num(cJSON_GetObjectItemCaseSensitive(ms, "energy_per_item_mj"), "mean");
		double gpu = num(cJSON_GetObjectItemCaseSensitive(ms, "gpu_energy_per_item_mj"), "mean");
		double cpu = num(cJSON_GetObjectItemCaseSensitive(ms, "cpu_energy_per_item_mj"), "mean");
		assert_true(close_to(gpu + cpu, epi, 1e-9));
	}

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

/* 1 when this greenbench was built with Vega (make deps), else 0 having
 * said why the chart checks are skipped. */
static int have_vega(const char *html)
{
	if (!strstr(html, "built without Vega"))
		return 1;
	fprintf(stderr, "skipped: greenbench was built without Vega (scripts/deps.d/vega.sh)\n");
	return 0;
}

/* The page's markup: html without what is between <script...> and
 * </script> (the libraries' code holds strings like "<img"). */
static char *markup(const char *html)
{
	char *out = malloc(strlen(html) + 1), *o = out;
	const char *s = html, *e;

	assert_non_null(out);
	while ((e = strstr(s, "<script"))) {
		const char *gt = strchr(e, '>');
		memcpy(o, s, (size_t)(gt + 1 - s));
		o += gt + 1 - s;
		s = strstr(gt, "</script>");
		assert_non_null(s);
	}
	memcpy(o, s, strlen(s) + 1);
	return out;
}

static void test_html_self_contained(void **st)
{
	static const char *const refs[] = { " src=", "href=", "<link", "<img", "<iframe", "url(", "@import" };
	char *html, *out = NULL, *mk;

	(void)st;
	assert_int_equal(run_gb("report --db r.db --format html --run 3 -o one.html", &out), 0);
	free(out);
	html = slurp("one.html");
	/* Nothing is loaded from anywhere: no element with a source, and a
	 * policy that has the browser refuse any fetch. */
	mk = markup(html);
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
		if (strstr(mk, refs[i]))
			fail_msg("the page's markup refers outside with '%s'", refs[i]);
	/* Without Vega the page has no script at all: nothing to keep. */
	if (strstr(html, "<script"))
		assert_non_null(strstr(mk, "</script>"));
	free(mk);
	assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none';"));
	assert_non_null(strstr(html, "<h2>Table 1: energy and performance"));
	if (have_vega(html)) {
		/* The libraries are inline, and --run chooses the run shown first. */
		assert_int_equal(count(html, "<script>"), 4);
		assert_non_null(strstr(html, "\"params\":[{\"name\":\"run\",\"value\":3,"));
		assert_non_null(strstr(html, "\"labels\":[\"run 1: "));
		assert_non_null(strstr(html, "<div id=\"chart-epi\""));
		assert_non_null(strstr(html, "<div id=\"chart-series\""));
		/* A failed configuration is in the data as such. */
		assert_non_null(strstr(html, "\"label\":\"ort/tensorrt\",\"status\":\"failed\""));
	}
	free(html);
	assert_int_equal(run_gb("report --db r.db --format html --run 999", &out), 1);
	assert_non_null(strstr(out, "error: no run 999 in campaign 1"));
	free(out);
	/* --run is not silently ignored where nothing is plotted. */
	assert_int_equal(run_gb("report --db r.db --run 3", &out), 1);
	assert_non_null(strstr(out, "error: --run chooses the run a chart shows: it needs --format html"));
	free(out);
}

/* The page's own account of what it drew (#gb-status, written by its
 * script once every chart is embedded), parsed from the browser's DOM. */
static cJSON *page_status(const char *dom)
{
	const char *s = strstr(dom, "<div id=\"gb-status\" data-done=\"1\">"), *e;
	char *text;
	cJSON *j;

	if (!s)
		fail_msg("the page script did not finish:\n%.2000s", dom);
	s = strchr(s, '>') + 1;
	e = strstr(s, "</div>");
	assert_non_null(e);
	text = strndup(s, (size_t)(e - s));
	assert_non_null(text);
	j = cJSON_Parse(text);
	if (!j)
		fail_msg("status is not JSON: %s", text);
	free(text);
	return j;
}

static void test_html_in_chromium(void **st)
{
	static const char *const charts[] = { "chart-epi", "chart-pareto", "chart-series", "chart-phases" };
	char cmd[8192], *dom = NULL, *html;
	cJSON *status, *marks;

	(void)st;
	if (gbt_run("command -v chromium >/dev/null 2>&1", NULL) != 0) {
		fprintf(stderr, "skipped: chromium is not installed (Debian package chromium)\n");
		skip();
	}
	/* The virtual time budget lets the page's promises (vega-embed) settle
	 * before the DOM is dumped. */
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' report --db r.db --format html -o c.html && "
		 "prof=$(mktemp -d) && timeout 120 chromium --headless --no-sandbox --disable-gpu "
		 "--disable-background-networking --disable-component-update --disable-sync --no-first-run "
		 "--user-data-dir=\"$prof\" --virtual-time-budget=30000 --dump-dom 'file://%s/c.html' 2>/dev/null; "
		 "rc=$?; rm -rf \"$prof\"; exit $rc", dir, gb, dir);
	assert_int_equal(gbt_run(cmd, &dom), 0);
	assert_non_null(strstr(dom, "<h1>Campaign 1: rep</h1>"));
	assert_non_null(strstr(dom, "Table 1: energy and performance"));
	html = slurp("c.html");
	if (!have_vega(html)) {
		free(html);
		free(dom);
		skip();
	}
	free(html);
	status = page_status(dom);
	/* No console error, no fetch, and every chart drew data marks. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(status, "errors")), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(status, "resources")), 0);
	marks = cJSON_GetObjectItemCaseSensitive(status, "marks");
	for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(marks, charts[i]);
		if (!cJSON_IsNumber(m) || m->valuedouble < 1)
			fail_msg("chart %s drew no data marks", charts[i]);
	}
	/* The failed configuration is drawn as such: the chart says "failed". */
	assert_non_null(strstr(strstr(dom, "id=\"chart-epi\""), ">failed</text>"));
	cJSON_Delete(status);
	free(dom);
}

/* With an idle baseline (the campaign's meter reads the fake NVML GPU and
 * the estimated CPU), Table 1 has a net column: per run, every measured
 * domain's joules less its idle power times the phase's duration, per item. */
static void test_net_energy(void **st)
{
	char cmd[16384], *out = NULL, *json = NULL, *lib = gbt_build_path("libfake_nvml.so");
	const cJSON *ms, *net;
	cJSON *j;
	double want;
	const struct gbt_proc quiet[] = { { 1, 0, 5000, 900 } };
	int rc;

	(void)st;
	gbt_write(dir, "net/net.yaml", "name: net\nseed: 3\nreps: 2\nidle_baseline: {duration: 1s}\n"
		  "models: [resnet50]\nruntimes: [ort/cuda]\nbatches: [1]\n");
	/* A quiet machine by construction (a fake /proc whose counters do not
	 * move): what this checks is the arithmetic of the net figure, not the
	 * load of the shared CI machine, which the trust tests cover. */
	snprintf(cmd, sizeof cmd, "%s/net/root", dir);
	gbt_proc_write(cmd, 1000000, quiet, sizeof quiet / sizeof quiet[0]);
	gbt_write(cmd, "proc/cpuinfo", "processor\t: 0\nmodel name\t: Fake CPU\n\nprocessor\t: 1\nmodel name\t: Fake CPU\n");
	snprintf(cmd, sizeof cmd,
		 "cd '%s/net' && GREENBENCH_SYSFS_ROOT='%s/net/root' GREENBENCH_NVML_LIB='%s' %s '%s' campaign run net.yaml "
		 "--db n.db -q 2>&1", dir, dir, lib, env, gb);
	rc = gbt_run(cmd, &out);
	if (rc != 0)
		fail_msg("net campaign failed:\n%s", out);
	free(out);
	out = NULL;
	snprintf(cmd, sizeof cmd, "cd '%s/net' && '%s' report --db n.db --format json", dir, gb);
	if (gbt_run(cmd, &json) != 0)
		fail_msg("net report failed:\n%s", json);
	/* The same from the tables, in Python's sqlite3. */
	snprintf(cmd, sizeof cmd, "cd '%s/net' && %s -c \"import sqlite3\n"
		 "db = sqlite3.connect('n.db')\n"
		 "v = [(sum(j - db.execute('SELECT power_w FROM idle WHERE domain = ?', (d,)).fetchone()[0] * t"
		 " for d, j, t in db.execute(\\\"SELECT e.domain, e.joules, p.duration_s FROM energy e JOIN phase p"
		 " ON p.run_id = e.run_id AND p.name = e.phase WHERE e.run_id = ? AND e.phase = 'measured'\\\", (r,)))"
		 " / items * 1e3) for r, items in db.execute('SELECT id, items FROM run')]\n"
		 "print(repr(sum(v) / len(v)))\"", dir, py);
	if (gbt_run(cmd, &out) != 0)
		fail_msg("python failed:\n%s", out);
	want = strtod(out, NULL);
	j = cJSON_Parse(json);
	assert_non_null(j);
	ms = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "configurations"), 0),
					      "metrics");
	net = cJSON_GetObjectItemCaseSensitive(ms, "net_energy_per_item_mj");
	assert_non_null(net);
	if (!close_to(num(net, "mean"), want, 1e-9))
		fail_msg("net energy per item %.17g, expected %.17g", num(net, "mean"), want);
	/* Below the total: the idle share is taken off. */
	assert_true(want < num(cJSON_GetObjectItemCaseSensitive(ms, "energy_per_item_mj"), "mean"));
	cJSON_Delete(j);
	free(json);
	free(out);
	/* Without any series the time chart says why instead of drawing nothing. */
	snprintf(cmd, sizeof cmd, "cd '%s/net' && %s -c \"import sqlite3; db = sqlite3.connect('n.db'); "
		 "db.execute('DELETE FROM series'); db.commit()\" && '%s' report --db n.db --format html -o n.html",
		 dir, py, gb);
	assert_int_equal(gbt_run(cmd, NULL), 0);
	snprintf(cmd, sizeof cmd, "net/n.html");
	json = slurp(cmd);
	if (have_vega(json))
		assert_non_null(strstr(json, "<h3>Power and utilisation over time</h3><p class=\"empty\">No run recorded a time series"));
	free(json);
	free(lib);
}

/* The golden campaign: deterministic noise (seed and run count), a model
 * converted from torch, BERT's 25,000-review workload, a failed
 * configuration. */
static const char golden_plan[] =
	"name: golden\n"
	"seed: 14\n"
	"reps: 3\n"
	"models: [resnet50, {zoo: resnet50, name: resnet50-onnx, convert: torch2onnx}, bert-base]\n"
	"runtimes: [ort/cuda, ort/tensorrt, torch/cuda]\n"
	"batches: [1, 64]\n";

/* Replace every `what` (and the padding after it) by `with`. */
static char *replace_all(char *text, const char *what, const char *with)
{
	size_t wl = strlen(what), n = count(text, what), len = strlen(text);
	size_t cap = len + n * (strlen(with) + 1) + 1;
	char *out = malloc(cap), *o = out;

	assert_non_null(out);
	for (const char *s = text; *s;) {
		if (wl && !strncmp(s, what, wl)) {
			o += snprintf(o, cap - (size_t)(o - out), "%s", with);
			for (s += wl; *s == ' '; s++)
				;
			*o++ = ' ';
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	free(text);
	return out;
}

/* What varies from run to run of the test: the campaign's times (every
 * "20..-..-..T..:..:..Z") and greenbench's version and revision. */
static char *normalise(char *text, const char *version)
{
	text = replace_all(text, version, "<version>");
	for (char *s = text; (s = strstr(s, "T")); s++)
		if (s - text >= 10 && s[-3] == '-' && s[-6] == '-' && s[3] == ':' && s[6] == ':' && s[9] == 'Z')
			memcpy(s - 10, "YYYY-MM-DDThh:mm:ssZ", 20);
	return text;
}

static void test_golden(void **st)
{
	static const char *const fmts[][2] = { { "md", "report.md" }, { "latex", "report.tex" } };
	char args[512], path[4096], *out = NULL, *json, *version;
	const char *update = getenv("GB_GOLDEN_UPDATE"), *src = getenv("GB_SRCDIR");
	cJSON *j;

	(void)st;
	gbt_write(dir, "golden/golden.yaml", "%s", golden_plan);
	snprintf(args, sizeof args, "GB_FAKE_NOISE_SEED=7 GB_FAKE_LOG='%s/golden/log' "
		 "GB_FAKE_FAIL='model=bert-base runtime=ort ep=tensorrt batch=64' '%s' campaign run golden.yaml --db g.db -q",
		 dir, gb);
	snprintf(path, sizeof path, "cd '%s/golden' && %s %s 2>&1", dir, env, args);
	/* Exit 3: its one planned failure (docs/campaigns.md, exit status). */
	if (gbt_run(path, &out) != 3)
		fail_msg("golden campaign failed:\n%s", out);
	free(out);
	snprintf(path, sizeof path, "cd '%s/golden' && '%s' report --db g.db --format json 2>&1", dir, gb);
	assert_int_equal(gbt_run(path, &json), 0);
	j = cJSON_Parse(json);
	assert_non_null(j);
	version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "environment"), 0), "greenbench_version"));
	assert_non_null(version);
	for (size_t i = 0; i < 2; i++) {
		char *got, *want;
		snprintf(path, sizeof path, "cd '%s/golden' && '%s' report --db g.db --format %s 2>&1", dir, gb, fmts[i][0]);
		assert_int_equal(gbt_run(path, &got), 0);
		got = normalise(got, version);
		snprintf(path, sizeof path, "%s/tests/golden/%s", src ? src : ".", fmts[i][1]);
		if (update && !strcmp(update, "1")) {
			FILE *f = fopen(path, "w");
			assert_non_null(f);
			fputs(got, f);
			assert_int_equal(fclose(f), 0);
		}
		want = gbt_read_file(path, NULL);
		if (strcmp(got, want)) {
			size_t at = 0, line = 1;
			for (; got[at] && got[at] == want[at]; at++)
				line += got[at] == '\n';
			fail_msg("%s differs from %s at line %zu (make golden rewrites it; check the diff):\n%.300s",
				 fmts[i][0], path, line, got + at);
		}
		free(got);
		free(want);
	}
	cJSON_Delete(j);
	free(json);
	/* --per N: Table 1's energy and time for N items, one tenth here. */
	snprintf(path, sizeof path, "cd '%s/golden' && '%s' report --db g.db --per 1000 --format json 2>&1", dir, gb);
	assert_int_equal(gbt_run(path, &json), 0);
	j = cJSON_Parse(json);
	assert_int_equal(num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "configurations"), 0), "per_items"), 1000);
	cJSON_Delete(j);
	free(json);
	snprintf(path, sizeof path, "cd '%s/golden' && '%s' report --db g.db --per 2500 2>&1", dir, gb);
	assert_int_equal(gbt_run(path, &out), 0);
	/* bert-base b1 ort/cuda: 10968 ± 1699 J for 25,000 reviews in the
	 * golden file, 438.7 mJ/item: a tenth of it for 2,500, the per-item
	 * figures unchanged. */
	assert_non_null(strstr(out, "2500   64.19 (18.25 to 100.0)"));	/* clamped at 100 % */
	assert_non_null(strstr(out, "1097 ± 169.9 [counter+estimated]   3.76 ± 0.225        399.9 ± 74.40"));
	free(out);
}

/* Markdown table cells: the table under the "## " heading that starts
 * with `heading`, its header (row 0) or the first row whose first cells
 * are keys[0..nkeys). Returns how many cells went into cells[]. */
static size_t md_row(const char *md, const char *heading, const char *const *keys, size_t nkeys,
		     char cells[][128], size_t max)
{
	char want[256];
	const char *line;
	int header = 1;

	snprintf(want, sizeof want, "## %s", heading);
	line = strstr(md, want);
	if (!line)
		fail_msg("no section '%s'", heading);
	for (line = strchr(line, '\n'); line && *++line && *line != '#'; line = strchr(line, '\n')) {
		size_t n = 0, k;

		if (*line != '|' || line[1] == '-')
			continue;
		for (const char *c = line + 1; *c && *c != '\n' && n < max; n++) {
			const char *end = strchr(c, '|');
			while (*c == ' ')
				c++;
			if (!end)
				break;
			k = (size_t)(end - c);
			while (k && c[k - 1] == ' ')
				k--;
			snprintf(cells[n], 128, "%.*s", (int)k, c);
			c = end + 1;
		}
		if (header && !nkeys)
			return n;
		header = 0;
		for (k = 0; k < nkeys && k < n && !strcmp(cells[k], keys[k]); k++)
			;
		if (nkeys && k == nkeys)
			return n;
	}
	return 0;
}

static size_t md_col(char cells[][128], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cells[i], name))
			return i;
	fail_msg("no column '%s'", name);
	return 0;
}

/* Two setups of one runtime (Keras on JAX and on torch, each on two EPs;
 * torch eager and compiled) stay apart in Table 3, in RQ2 and in JSON:
 * rows by label less EP, not by runtime. Real campaign database, fake runs. */
static const char setups_plan[] =
	"name: setups\n"
	"seed: 5\n"
	"reps: 2\n"
	"models: [mobilenetv2, {zoo: mobilenetv2, convert: torch2onnx}]\n"
	"runtimes:\n"
	"  - {runtime: keras, ep: cpu, options: {backend: jax}, label: keras-jax/cpu}\n"
	"  - {runtime: keras, ep: cuda, options: {backend: jax}, label: keras-jax/cuda}\n"
	"  - {runtime: keras, ep: cpu, options: {backend: torch}, label: keras-torch/cpu}\n"
	"  - {runtime: keras, ep: cuda, options: {backend: torch}, label: keras-torch/cuda}\n"
	"  - {runtime: torch, ep: cpu, label: torch-eager/cpu}\n"
	"  - {runtime: torch, ep: cpu, options: {compile: default}, label: torch-compile/cpu}\n"
	"  - ort/cpu\n"
	"batches: [1]\n";

static void test_setups_stay_apart(void **st)
{
	static char hdr[32][128], t1[32][128], t3[32][128];
	static const char *const setups[] = { "keras-jax", "keras-torch" };
	char cmd[8192], *out = NULL, *md, *jtext;
	size_t n1, n3, epi;
	cJSON *json, *cv;

	(void)st;
	gbt_write(dir, "setups/setups.yaml", "%s", setups_plan);
	snprintf(cmd, sizeof cmd, "cd '%s/setups' && %s '%s' campaign run setups.yaml --db s.db -q 2>&1", dir, env, gb);
	if (gbt_run(cmd, &out) != 0)
		fail_msg("campaign failed:\n%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "cd '%s/setups' && '%s' report --db s.db --format md -o s.md && "
		 "'%s' report --db s.db --format json -o s.json", dir, gb, gb);
	assert_int_equal(gbt_run(cmd, NULL), 0);
	md = slurp("setups/s.md");
	n1 = md_row(md, "Table 1", NULL, 0, hdr, 32);
	epi = md_col(hdr, n1, "Energy/item (mJ)");
	n3 = md_row(md, "Table 3", NULL, 0, hdr, 32);
	assert_int_equal(n3, 5);	/* Model, Batch, Runtime, cpu, cuda */
	assert_string_equal(hdr[3], "cpu");
	assert_string_equal(hdr[4], "cuda");
	/* Each Keras setup has its row, and its cells are its own
	 * configurations' figures (Table 1's), not the other backend's. */
	for (size_t k = 0; k < 2; k++) {
		const char *key3[] = { "mobilenetv2", "1", setups[k] };
		assert_int_equal(md_row(md, "Table 3", key3, 3, t3, 32), 5);
		for (size_t e = 0; e < 2; e++) {
			char label[64];
			snprintf(label, sizeof label, "%s/%s", setups[k], e ? "cuda" : "cpu");
			const char *key1[] = { "mobilenetv2", "1", label };
			assert_int_equal(md_row(md, "Table 1", key1, 3, t1, 32), n1);
			if (strncmp(t3[3 + e], t1[epi], strlen(t1[epi])) || !strstr(t3[3 + e], " (×"))
				fail_msg("Table 3 %s %s: '%s', Table 1 says '%s'", setups[k], hdr[3 + e], t3[3 + e],
					 t1[epi]);
		}
	}
	{
		const char *key3[] = { "mobilenetv2", "1", "keras" };
		assert_int_equal(md_row(md, "Table 3", key3, 3, t3, 32), 0);
	}
	/* RQ2: the converted model against both torch setups, one row each. */
	for (size_t k = 0; k < 2; k++) {
		const char *key[] = { "mobilenetv2", "1", k ? "torch-compile/cpu" : "torch-eager/cpu" };
		assert_int_equal(md_row(md, "RQ2", key, 3, t3, 32), 6);
		assert_string_equal(t3[3], "ort/cpu (torch2onnx)");
	}
	free(md);
	jtext = slurp("setups/s.json");
	json = cJSON_Parse(jtext);
	assert_non_null(json);
	cv = cJSON_GetObjectItemCaseSensitive(json, "conversions");
	assert_int_equal(cJSON_GetArraySize(cv), 2);
	assert_string_equal(gbt_json_str(cJSON_GetArrayItem(cv, 0), "framework"), "torch-compile/cpu");
	assert_string_equal(gbt_json_str(cJSON_GetArrayItem(cv, 1), "framework"), "torch-eager/cpu");
	cJSON_Delete(json);
	free(jtext);
}

/* Names with every character LaTeX treats specially, UTF-8 and a cell
 * that starts with [ or * (read as an argument after \\ or \midrule). */
static const char latex_plan[] =
	"name: 'tex_chars 100% & #1'\n"
	"seed: 9\n"
	"reps: 2\n"
	"models:\n"
	"  - {zoo: mobilenetv2, name: '[mobile_net]&v2#1'}\n"
	"  - {zoo: resnet50, name: '*res_net'}\n"
	"runtimes:\n"
	"  - {runtime: ort, ep: cpu, label: 'ort_cpu 50% & #1 {x} ~^\\ $/cpu'}\n"
	"  - {runtime: ort, ep: cuda, label: '[fast]*_cuda é µs/cuda'}\n"
	"  - ort/tensorrt\n"
	"batches: [1]\n";

/* pdflatex -halt-on-error over the LaTeX report of dir/sub/db, in a
 * document with the packages its first line names. */
static void latex_compile(const char *sub, const char *db)
{
	char cmd[8192], *out = NULL, *log;

	snprintf(cmd, sizeof cmd, "cd '%s/%s' && '%s' report --db %s --format latex -o report.tex && "
		 "printf '\\\\documentclass{article}\\n\\\\usepackage{booktabs,graphicx}\\n\\\\begin{document}\\n"
		 "\\\\input{report.tex}\\n\\\\end{document}\\n' > doc.tex && "
		 "pdflatex -halt-on-error -interaction=nonstopmode -no-shell-escape doc.tex </dev/null 2>&1",
		 dir, sub, gb, db);
	if (gbt_run(cmd, &out) != 0)
		fail_msg("pdflatex rejects the LaTeX report of %s/%s:\n%s", sub, db,
			 strlen(out) > 3000 ? out + strlen(out) - 3000 : out);
	free(out);
	snprintf(cmd, sizeof cmd, "%s/doc.log", sub);
	log = slurp(cmd);
	/* A glyph the font lacks is only a line in the log, and a hole in the PDF. */
	if (strstr(log, "Missing character"))
		fail_msg("pdflatex: %s", strstr(log, "Missing character"));
	free(log);
	snprintf(cmd, sizeof cmd, "%s/%s/doc.pdf", dir, sub);
	assert_int_equal(access(cmd, R_OK), 0);
}

/* The LaTeX format compiles: the campaign of setup() (failed and throttled
 * configurations, three EPs) and one whose names need escaping. CI has
 * texlive (scripts/deps.d/latex.pkgs); without it this fails. */
static void test_latex_compiles(void **st)
{
	char cmd[8192], *out = NULL, *tex;

	(void)st;
	if (gbt_run("command -v pdflatex >/dev/null", NULL) != 0)
		fail_msg("pdflatex not found: make deps installs texlive (scripts/deps.d/latex.pkgs)");
	gbt_write(dir, "latex/l.yaml", "%s", latex_plan);
	snprintf(cmd, sizeof cmd, "cd '%s/latex' && %s GB_FAKE_FAIL='ep=tensorrt' '%s' campaign run l.yaml --db l.db -q 2>&1",
		 dir, env, gb);
	if (gbt_run(cmd, &out) != 3)
		fail_msg("campaign failed:\n%s", out);
	free(out);
	snprintf(cmd, sizeof cmd, "cd '%s' && mkdir -p rdb && cp r.db rdb/", dir);
	assert_int_equal(gbt_run(cmd, NULL), 0);
	latex_compile("rdb", "r.db");
	latex_compile("latex", "l.db");
	tex = slurp("latex/report.tex");
	assert_non_null(strstr(tex, "ort\\_cpu 50\\% \\& \\#1 \\{x\\} \\textasciitilde{}\\textasciicircum{}\\textbackslash{} \\$/cpu"));
	assert_non_null(strstr(tex, "\n{}[mobile\\_net]\\&v2\\#1 & 1 & "));
	assert_non_null(strstr(tex, "\n{}*res\\_net & 1 & "));
	free(tex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statistics_match_scipy),
		cmocka_unit_test(test_mann_whitney_paths),
		cmocka_unit_test(test_every_format),
		cmocka_unit_test(test_html_self_contained),
		cmocka_unit_test(test_html_in_chromium),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_net_energy),
		cmocka_unit_test(test_setups_stay_apart),
		cmocka_unit_test(test_latex_compiles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
