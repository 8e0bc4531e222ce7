/*
 * The run record's contract (record.h): every per-run figure written by
 * the writer comes back through the reader; a domain's entry reads back
 * as it was; `run` and `measure` records give a domain the same keys;
 * throttle reasons reach the report's warning; and a real `greenbench run
 * --json` record goes through the store and the report with its figures
 * intact (skipped, with the reason, when ONNX Runtime cannot be loaded).
 */
#include "lib/gbtest.h"
#include "greenbench/meter.h"
#include "greenbench/plan.h"
#include "greenbench/record.h"
#include "greenbench/report.h"
#include "greenbench/result.h"
#include "greenbench/store.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a run result with every figure set --------------------------------- */

enum { GPU0, GPU1, PKG, CORE, NDOM };

/* The figures the result is built from; the oracle below derives what the
 * reader must give from these, not from the writer's code. */
static const double dur_s = 2.5, lat_mean = 4.1e6, lat_p50 = 4.0e6, lat_p99 = 5.5e6, tput = 128.0;
static const uint64_t items = 320, acc_n = 50, acc_top1 = 40, acc_top5 = 48;
static const double gpu0_j = 600.0, gpu1_j = 400.0, pkg_j = 90.0, core_j = 50.0;
static const double gpu0_util = 71.5, gpu0_util_sd = 4.25, gpu0_mem = 33.0, gpu0_w = 240.0;
static const uint64_t gpu0_bits = 0x40, gpu1_bits = 0x8;

static void domain(struct gb_run_result *r, int i, const char *name, enum gb_domain_kind kind,
		   enum gb_energy_method method, int parent)
{
	struct gb_domain_info *d = &r->domains[i];

	snprintf(d->name, sizeof d->name, "%s", name);
	snprintf(d->label, sizeof d->label, "test %s", name);
	d->kind = kind;
	d->method = method;
	d->parent = parent;
	d->device_index = kind == GB_DOMAIN_GPU ? i : 0;
}

/* Every figure of e valid, values derived from base. */
static void full_energy(struct gb_domain_energy *e, enum gb_energy_method method, double j, double base)
{
	e->energy_valid = 1;
	e->method = method;
	e->energy_j = j;
	e->net_valid = 1;
	e->net_energy_j = j - base;
	e->power_valid = 1;
	e->power_mean_w = j / dur_s;
	e->power_peak_w = j / dur_s + base;
	e->util_gpu_valid = 1;
	e->util_gpu_mean = base + 1;
	e->util_gpu_sd = base / 10;
	e->util_mem_valid = 1;
	e->util_mem_mean = base + 2;
	e->mem_valid = 1;
	e->mem_used_pct_mean = base + 3;
	e->mem_used_bytes_max = (uint64_t)base << 20;
	e->temp_valid = 1;
	e->temp_max_c = base + 4;
	e->throttle_valid = 1;
	e->throttle_reasons_or = (uint64_t)base;
	e->nsamples = (size_t)base + 5;
}

static void fill_result(struct gb_run_result *r, uint64_t bits0, uint64_t bits1)
{
	struct gb_phase *p = &r->phases[GB_PHASE_MEASURED];
	struct gb_domain_energy *e;

	gb_run_result_init(r);
	r->ok = 1;
	snprintf(r->model, sizeof r->model, "m.onnx");
	snprintf(r->runtime, sizeof r->runtime, "ort");
	snprintf(r->ep, sizeof r->ep, "cuda");
	r->batch = 8;
	r->metered = 1;
	r->ndomains = NDOM;
	r->domains = calloc(NDOM, sizeof *r->domains);
	p->energy = e = calloc(NDOM, sizeof *e);
	assert_non_null(r->domains);
	assert_non_null(e);
	domain(r, GPU0, "gpu0", GB_DOMAIN_GPU, GB_METHOD_COUNTER, -1);
	domain(r, GPU1, "gpu1", GB_DOMAIN_GPU, GB_METHOD_INTEGRATED, -1);
	domain(r, PKG, "package-0", GB_DOMAIN_CPU_PACKAGE, GB_METHOD_COUNTER, -1);
	domain(r, CORE, "core-0", GB_DOMAIN_CPU_CORE, GB_METHOD_COUNTER, PKG);
	full_energy(&e[GPU0], GB_METHOD_COUNTER, gpu0_j, 7);
	e[GPU0].util_gpu_mean = gpu0_util;
	e[GPU0].util_gpu_sd = gpu0_util_sd;
	e[GPU0].mem_used_pct_mean = gpu0_mem;
	e[GPU0].power_mean_w = gpu0_w;
	e[GPU0].throttle_reasons_or = bits0;
	full_energy(&e[GPU1], GB_METHOD_INTEGRATED, gpu1_j, 11);
	e[GPU1].throttle_reasons_or = bits1;
	/* A CPU package has energy and power only; its core sits inside it. */
	e[PKG].energy_valid = e[CORE].energy_valid = 1;
	e[PKG].method = e[CORE].method = GB_METHOD_COUNTER;
	e[PKG].energy_j = pkg_j;
	e[CORE].energy_j = core_j;
	e[PKG].power_valid = 1;
	e[PKG].power_mean_w = pkg_j / dur_s;
	e[PKG].power_peak_w = 50;
	p->done = 1;
	p->t_start_ns = 1000;
	p->t_end_ns = 1000 + (uint64_t)(dur_s * 1e9);
	p->iterations = items / r->batch;
	p->items = items;
	p->totals.measured_valid = p->totals.gpu_valid = p->totals.cpu_valid = 1;
	p->totals.gpu_j = gpu0_j + gpu1_j;
	p->totals.cpu_j = pkg_j;
	p->totals.measured_j = gpu0_j + gpu1_j + pkg_j;
	p->totals.cpu_method = GB_METHOD_COUNTER;
	p->totals.methods = 1u << GB_METHOD_COUNTER | 1u << GB_METHOD_INTEGRATED;
	r->latency_valid = 1;
	r->latency.n = p->iterations;
	r->latency.mean_ns = lat_mean;
	r->latency.p50_ns = lat_p50;
	r->latency.p99_ns = lat_p99;
	r->throughput_items_per_s = tput;
	r->accuracy.valid = 1;
	snprintf(r->accuracy.kind, sizeof r->accuracy.kind, "images");
	r->accuracy.n = acc_n;
	r->accuracy.top1 = acc_top1;
	r->accuracy.top5 = acc_top5;
}

static cJSON *record_of(const struct gb_run_result *r)
{
	cJSON *rec = gb_run_record(r);
	char *text;

	assert_non_null(rec);
	/* Through text, as every consumer gets it. */
	text = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	assert_non_null(text);
	rec = cJSON_Parse(text);
	free(text);
	assert_non_null(rec);
	return rec;
}

/* What the reader must give for each figure of fill_result(). */
static const struct {
	const char *name;
	double num;
	const char *text;
} oracle[] = {
	{ "gpu_util_mean_pct", gpu0_util, NULL },	/* the first GPU's */
	{ "gpu_util_sd_pct", gpu0_util_sd, NULL },
	{ "gpu_mem_pct", gpu0_mem, NULL },
	{ "gpu_power_mean_w", gpu0_w, NULL },
	{ "gpu_energy_j", gpu0_j + gpu1_j, NULL },
	{ "cpu_energy_j", pkg_j, NULL },		/* the core is inside the package */
	{ "total_energy_j", gpu0_j + gpu1_j + pkg_j, NULL },
	{ "inference_time_s", dur_s, NULL },
	{ "items", (double)items, NULL },
	{ "energy_per_item_mj", (gpu0_j + gpu1_j + pkg_j) * 1000.0 / (double)items, NULL },
	{ "latency_mean_ns", lat_mean, NULL },
	{ "latency_p50_ns", lat_p50, NULL },
	{ "latency_p99_ns", lat_p99, NULL },
	{ "throughput_items_per_s", tput, NULL },
	{ "accuracy_top1", (double)acc_top1 / (double)acc_n, NULL },
	{ "accuracy_top5", (double)acc_top5 / (double)acc_n, NULL },
	{ "accuracy_n", (double)acc_n, NULL },
	{ "throttle_reasons", (double)(gpu0_bits | gpu1_bits), NULL },	/* every GPU's, ORed */
	/* gb_run_result_init()'s verdict: valid, nothing checked, written
	 * only for ok runs; fill_result() sets no check. */
	{ "verdict", GB_VERDICT_VALID, NULL },
	{ "verdict_reasons", 0, NULL },
	{ "gpu_energy_method", 0, "counter" },
	{ "cpu_energy_method", 0, "counter" },
	{ "total_energy_methods", 0, "counter+integrated" },
};

static int close_to(double a, double b)
{
	return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

static void test_every_metric_round_trips(void **st)
{
	struct gb_run_result r;
	struct gb_run_metrics m;
	cJSON *rec;

	(void)st;
	fill_result(&r, gpu0_bits, gpu1_bits);
	rec = record_of(&r);
	gb_run_metrics_extract(rec, &m);
	/* Every figure of the one list has an expected value, and no other. */
	assert_int_equal(gb_run_metric_count, sizeof oracle / sizeof oracle[0]);
	for (size_t i = 0; i < gb_run_metric_count; i++) {
		const struct gb_run_metric_info *f = &gb_run_metric_table[i];
		const char *v = (const char *)&m + f->off;
		size_t k = 0;

		while (k < sizeof oracle / sizeof oracle[0] && strcmp(oracle[k].name, f->name))
			k++;
		if (k == sizeof oracle / sizeof oracle[0])
			fail_msg("figure '%s' has no expected value in this test", f->name);
		if (f->text_size) {
			assert_non_null(oracle[k].text);
			if (strcmp(v, oracle[k].text))
				fail_msg("%s: read '%s', wrote '%s'", f->name, v, oracle[k].text);
		} else if (!close_to(*(const double *)v, oracle[k].num)) {
			fail_msg("%s: read %.17g, wrote %.17g", f->name, *(const double *)v, oracle[k].num);
		}
	}
	cJSON_Delete(rec);
	gb_run_result_release(&r);

	/* An empty record: everything absent, nothing 0. */
	gb_run_metrics_extract(NULL, &m);
	for (size_t i = 0; i < gb_run_metric_count; i++) {
		const char *v = (const char *)&m + gb_run_metric_table[i].off;

		if (gb_run_metric_table[i].text_size)
			assert_string_equal(v, "");
		else if (!isnan(*(const double *)v))
			fail_msg("%s: %g from an empty record", gb_run_metric_table[i].name, *(const double *)v);
	}
}

static void check_domain_equal(const struct gb_domain_energy *w, const struct gb_domain_energy *g, const char *name)
{
#define SAME(f) do { if (w->f != g->f) fail_msg("%s: %s differs: wrote %.17g, read %.17g", name, #f, \
						    (double)w->f, (double)g->f); } while (0)
	SAME(energy_valid); SAME(method); SAME(energy_j);
	SAME(net_valid); SAME(power_valid); SAME(util_gpu_valid); SAME(util_mem_valid);
	SAME(mem_valid); SAME(temp_valid); SAME(throttle_valid); SAME(nsamples);
	if (w->net_valid)
		SAME(net_energy_j);
	if (w->power_valid) {
		SAME(power_mean_w);
		SAME(power_peak_w);
	}
	if (w->util_gpu_valid) {
		SAME(util_gpu_mean);
		SAME(util_gpu_sd);
	}
	if (w->util_mem_valid)
		SAME(util_mem_mean);
	if (w->mem_valid) {
		SAME(mem_used_pct_mean);
		SAME(mem_used_bytes_max);
	}
	if (w->temp_valid)
		SAME(temp_max_c);
	if (w->throttle_valid)
		SAME(throttle_reasons_or);
#undef SAME
}

/* Each domain of the measured phase reads back as written: kind, method,
 * every figure and its validity. */
static void test_domain_entries_round_trip(void **st)
{
	struct gb_run_result r;
	const cJSON *ph, *entry;
	cJSON *rec;
	size_t seen = 0;

	(void)st;
	fill_result(&r, gpu0_bits, gpu1_bits);
	rec = record_of(&r);
	ph = gb_record_measured_phase(rec);
	assert_non_null(ph);
	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(ph, GB_RK_ENERGY)) {
		struct gb_record_domain rd;
		size_t i = 0;

		assert_int_equal(gb_record_domain_read(entry, &rd), 0);
		while (i < r.ndomains && strcmp(r.domains[i].name, rd.name))
			i++;
		assert_true(i < r.ndomains);
		assert_true(rd.kind_valid && rd.method_valid);
		assert_int_equal(rd.kind, r.domains[i].kind);
		check_domain_equal(&r.phases[GB_PHASE_MEASURED].energy[i], &rd.e, rd.name);
		seen++;
	}
	assert_int_equal(seen, NDOM);
	assert_string_equal(gbt_json_str(rec, "phases.0.energy.core-0.inside"), "package-0");
	{
		struct gb_record_domain rd;

		assert_int_equal(gb_record_domain_read(cJSON_GetObjectItemCaseSensitive(rec, GB_RK_SCHEMA), &rd), -EINVAL);
	}
	cJSON_Delete(rec);
	gb_run_result_release(&r);
}

/* `measure --json` and `run --json` over the same window: each domain's
 * energy and telemetry under the same keys with the same values (a fake
 * NVML GPU and the CPU estimator). */
static void test_measure_and_run_share_domain_shape(void **st)
{
	char *root = gbt_mkdtemp(), *lib = gbt_build_path("libfake_nvml.so");
	char *const argv[] = { "true", NULL };
	struct gb_measure_run mr = { .argv = argv, .duration_s = 0.1 };
	struct gb_meter_config cfg;
	struct gb_meter *m = NULL;
	struct gb_mark a = { 0 }, b = { 0 };
	struct gb_run_result r;
	struct gb_domain_energy *e;
	cJSON *mrec, *rrec;
	const uint64_t *t;
	const struct gb_sample *rows;
	size_t n, nrows = 0;
	uint64_t deadline;

	(void)st;
	gbt_write(root, "proc/cpuinfo", "processor : 0\nmodel name : Test CPU\n");
	gbt_write(root, "proc/stat", "cpu  100 0 0 900 0 0 0 0 0 0\n");
	setenv("FAKE_NVML_ENERGY_PERIOD_MS", "0", 1);
	setenv("FAKE_NVML_POWER_MW", "200000", 1);
	setenv("FAKE_NVML_REASONS", "0x48", 1);
	gb_meter_config_init(&cfg);
	cfg.sysfs_root = root;
	cfg.nvml_lib = lib;
	cfg.interval_ns = 2 * GB_NS_PER_MS;
	assert_int_equal(gb_meter_open(&cfg, &m), 0);
	n = gb_meter_domain_count(m);
	assert_true(n >= 2);
	assert_int_equal(gb_mark_init(&a, m), 0);
	assert_int_equal(gb_mark_init(&b, m), 0);
	assert_int_equal(gb_meter_start(m), 0);
	assert_int_equal(gb_meter_mark(m, &a), 0);
	/* A window with a few sampler rows in it, for the telemetry, longer
	 * than NVML's 100 ms energy step. */
	deadline = gb_now_ns() + 10 * GB_NS_PER_S;
	while ((nrows < 8 || gb_now_ns() < a.t_ns + 120 * GB_NS_PER_MS) && gb_now_ns() < deadline) {
		struct timespec ts = { 0, 2000000 };

		nanosleep(&ts, NULL);
		gb_meter_series(m, &t, &rows, &nrows);
	}
	assert_int_equal(gb_meter_mark(m, &b), 0);
	assert_int_equal(gb_meter_stop(m), 0);

	gb_run_result_init(&r);
	r.ok = 1;
	r.metered = 1;
	r.ndomains = n;
	r.domains = calloc(n, sizeof *r.domains);
	r.phases[GB_PHASE_MEASURED].energy = e = calloc(n, sizeof *e);
	assert_non_null(r.domains);
	assert_non_null(e);
	for (size_t i = 0; i < n; i++)
		r.domains[i] = *gb_meter_domain(m, i);
	assert_int_equal(gb_meter_window(m, &a, &b, e), 0);
	r.phases[GB_PHASE_MEASURED].done = 1;
	mrec = gb_measure_record(&mr, m, e);
	rrec = gb_run_record(&r);
	assert_non_null(mrec);
	assert_non_null(rrec);
	for (size_t i = 0; i < n; i++) {
		const char *name = r.domains[i].name;
		cJSON *me = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(mrec, GB_RK_ENERGY), name);
		cJSON *mt = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(mrec, GB_RK_TELEMETRY), name);
		cJSON *re = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(gb_record_measured_phase(rrec),
													 GB_RK_ENERGY), name);
		cJSON *merged, *it;

		if (!e[i].energy_valid) {
			assert_null(me);
			assert_null(re);
			continue;
		}
		assert_non_null(me);
		assert_non_null(re);
		/* The run record keeps telemetry in the energy entry. */
		merged = cJSON_Duplicate(me, 1);
		cJSON_ArrayForEach(it, mt)
			cJSON_AddItemToObject(merged, it->string, cJSON_Duplicate(it, 1));
		/* `measure` gives a sample count with telemetry only. */
		if (!cJSON_GetObjectItemCaseSensitive(merged, GB_RK_SAMPLES))
			cJSON_AddNumberToObject(merged, GB_RK_SAMPLES, (double)e[i].nsamples);
		if (!cJSON_Compare(merged, re, 1)) {
			char *x = cJSON_PrintUnformatted(merged), *y = cJSON_PrintUnformatted(re);
			fail_msg("%s: measure gives %s, run gives %s", name, x, y);
		}
		cJSON_Delete(merged);
	}
	/* The fake GPU was compared, with its throttle reasons. */
	assert_true(gbt_json_num(mrec, "telemetry.gpu0.throttle_reasons") == 0x48);
	assert_true(gbt_json_num(rrec, "phases.0.energy.gpu0.throttle_reasons") == 0x48);
	cJSON_Delete(mrec);
	cJSON_Delete(rrec);
	gb_run_result_release(&r);
	gb_mark_release(&a);
	gb_mark_release(&b);
	gb_meter_free(m);
	gbt_rm_rf(root);
	free(root);
	free(lib);
}

/* ---- through the store and the report ------------------------------------ */

static const char plan_text[] = "seed: 1\nreps: 1\nmodels: [resnet50]\nruntimes: [ort/cpu, ort/cuda]\nbatches: [1]\n";

struct db {
	char *dir, path[4096];
	struct gb_plan *plan;
	struct gb_store *st;
	int64_t id;
};

static void db_open(struct db *d)
{
	d->dir = gbt_mkdtemp();
	snprintf(d->path, sizeof d->path, "%s/r.db", d->dir);
	assert_int_equal(gb_plan_parse(plan_text, strlen(plan_text), "p.yaml", &d->plan), 0);
	assert_int_equal(gb_store_open(d->path, &d->st), 0);
	assert_int_equal(gb_store_campaign_create(d->st, d->plan, plan_text, &d->id), 0);
}

static void db_close(struct db *d)
{
	gb_store_close(d->st);
	gb_plan_free(d->plan);
	gbt_rm_rf(d->dir);
	free(d->dir);
}

/* Store text as run seq (whose configuration is the plan's). */
static void db_insert(struct db *d, int64_t seq, const char *text)
{
	struct gb_store_run_in in = { .seq = seq, .config = d->plan->runs[seq].config, .ok = 1,
				      .record_json = text, .wall_s = 1 };

	assert_int_equal(gb_store_run_insert(d->st, d->id, &in), 0);
}

static const struct gb_report_config *cfg_of(const struct gb_report *rep, const struct db *d, int64_t seq)
{
	for (size_t i = 0; i < rep->ncfgs; i++)
		if (rep->cfgs[i].config == d->plan->runs[seq].config)
			return &rep->cfgs[i];
	fail_msg("no configuration for run %lld in the report", (long long)seq);
	return NULL;
}

static int warned(const struct gb_report *rep, const char *label, const char *what)
{
	for (size_t i = 0; i < rep->nwarnings; i++)
		if (strstr(rep->warnings[i], label) && strstr(rep->warnings[i], what))
			return 1;
	return 0;
}

/* GPU throttle reasons written by the writer reach the report's warning;
 * reasons outside GB_REPORT_THROTTLE_MASK do not warn. */
static void test_throttle_reaches_report(void **st)
{
	struct gb_run_result r;
	struct gb_report *rep = NULL;
	struct db d;
	char *text;
	cJSON *rec;

	(void)st;
	db_open(&d);
	for (int64_t seq = 0; seq < 2; seq++) {
		int cuda = !strcmp(d.plan->runtimes[d.plan->configs[d.plan->runs[seq].config].runtime].ep, "cuda");

		/* ort/cuda: thermal slowdown on one GPU; ort/cpu: GPU idle only. */
		fill_result(&r, cuda ? 0x40 : 0x1, 0x0);
		rec = gb_run_record(&r);
		text = cJSON_PrintUnformatted(rec);
		db_insert(&d, seq, text);
		free(text);
		cJSON_Delete(rec);
		gb_run_result_release(&r);
	}
	assert_int_equal(gb_report_build(d.st, d.id, NULL, &rep), 0);
	assert_true(warned(rep, "ort/cuda", "the GPU throttled during its runs (reasons 0x40: hw_thermal_slowdown)"));
	assert_false(warned(rep, "ort/cpu", "throttled"));
	gb_report_free(rep);
	db_close(&d);
}

static double rec_num(cJSON *rec, const char *path)
{
	return gbt_json_num(rec, path);
}

/* `greenbench run --json` for real, its measured phase at least min long. */
static char *real_record(const char *env, const char *min)
{
	char *gb = gbt_greenbench(), *models = gbt_build_path("models"), cmd[16384], *out = NULL;
	int rc;

	snprintf(cmd, sizeof cmd, "%s '%s' run --json --model '%s/mlp.onnx' --batch 2 --min-duration %s -n 5 "
		 "--warmup 1 2>/dev/null", env, gb, models, min);
	rc = gbt_run(cmd, &out);
	if (rc != 0)
		fail_msg("%s: exit %d\n%s", cmd, rc, out);
	free(gb);
	free(models);
	return out;
}

/* The measured phase's items, by hand: the record's own phases array. */
static double measured_items(cJSON *rec)
{
	cJSON *ph;

	cJSON_ArrayForEach(ph, cJSON_GetObjectItemCaseSensitive(rec, "phases"))
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ph, "name")), "measured"))
			return cJSON_GetObjectItemCaseSensitive(ph, "items")->valuedouble;
	fail_msg("no measured phase");
	return NAN;
}

static void methods_joined(cJSON *rec, char *buf, size_t len)
{
	cJSON *m;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(m, gbt_json_get(rec, "summary.total_energy_methods"))
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "+" : "", m->valuestring);
}

static void check_close(const char *what, double got, double want)
{
	if (!(fabs(got - want) <= 1e-12 * fmax(fabs(got), fabs(want))))
		fail_msg("%s: report says %.17g, record says %.17g", what, got, want);
}

/* A real record of each kind (CPU only; a fake NVML GPU that throttles)
 * through gb_store_run_insert and gb_report_build: the report's figures
 * are the record's own. */
static void test_real_record_through_store_and_report(void **st)
{
	const char *cpu_env = "GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1";
	char *lib = gbt_build_path("libfake_nvml.so"), gpu_env[4600], *text[2] = { NULL, NULL };
	struct gb_store_run *runs = NULL;
	struct gb_report *rep = NULL;
	size_t nruns = 0;
	struct db d;

	(void)st;
	if (!gbt_have_runtime("ort")) {
		free(lib);
		skip();
	}
	snprintf(gpu_env, sizeof gpu_env, "GREENBENCH_NVML_LIB='%s' FAKE_NVML_ENERGY_PERIOD_MS=0 "
		 "FAKE_NVML_POWER_MW=150000 FAKE_NVML_REASONS=0x40", lib);
	db_open(&d);
	for (int64_t seq = 0; seq < 2; seq++) {
		int cuda = !strcmp(d.plan->runtimes[d.plan->configs[d.plan->runs[seq].config].runtime].ep, "cuda");

		/* The configuration's label only names it; the GPU is the fake's,
		 * whose energy counter moves every 100 ms. */
		text[seq] = cuda ? real_record(gpu_env, "250ms") : real_record(cpu_env, "50ms");
		db_insert(&d, seq, text[seq]);
	}
	assert_int_equal(gb_report_build(d.st, d.id, NULL, &rep), 0);
	assert_int_equal(gb_store_runs_load(d.st, d.id, &runs, &nruns), 0);
	assert_int_equal(nruns, 2);
	for (int64_t seq = 0; seq < 2; seq++) {
		cJSON *rec = cJSON_Parse(text[seq]);
		const struct gb_report_config *c = cfg_of(rep, &d, seq);
		int cuda = !strcmp(c->label, "ort/cuda");
		double n_items = measured_items(rec);
		char methods[64];

		assert_non_null(rec);
		/* A real run on a busy machine may be judged invalid: it is then
		 * counted, left out of the figures, and its own are stored. */
		assert_int_equal(c->n_ok + c->n_invalid, 1);
		check_close("items", runs[seq].m.items, n_items);
		if (c->n_invalid) {
			assert_true(runs[seq].m.verdict == GB_VERDICT_INVALID);
			assert_true((uint32_t)runs[seq].m.verdict_reasons != 0);
			assert_false(c->m[GB_RM_EPI].valid);
			check_close("stored energy per item", runs[seq].m.energy_per_item_mj,
				    rec_num(rec, "summary.total_energy_j") * 1000.0 / n_items);
			cJSON_Delete(rec);
			continue;
		}
		check_close("energy per item", c->m[GB_RM_EPI].mean,
			    rec_num(rec, "summary.total_energy_j") * 1000.0 / n_items);
		check_close("total energy", c->m[GB_RM_TOTAL_ENERGY].mean, rec_num(rec, "summary.total_energy_j"));
		check_close("CPU energy", c->m[GB_RM_CPU_ENERGY].mean, rec_num(rec, "summary.cpu_energy_j"));
		check_close("inference time", c->m[GB_RM_TIME].mean, rec_num(rec, "summary.inference_time_s"));
		check_close("latency", c->m[GB_RM_LATENCY_MS].mean, rec_num(rec, "latency_ns.mean") / 1e6);
		check_close("throughput", c->m[GB_RM_THROUGHPUT].mean, rec_num(rec, "throughput_items_per_s"));
		methods_joined(rec, methods, sizeof methods);
		assert_string_equal(c->total_methods, methods);
		assert_string_equal(c->cpu_method, gbt_json_str(rec, "summary.cpu_energy_method"));
		if (!cuda) {
			assert_false(c->m[GB_RM_GPU_ENERGY].valid);
			assert_string_equal(c->gpu_method, "");
		} else {
			check_close("GPU energy", c->m[GB_RM_GPU_ENERGY].mean, rec_num(rec, "summary.gpu_energy_j"));
			assert_string_equal(c->gpu_method, gbt_json_str(rec, "phases.3.energy.gpu0.method"));
			assert_true(rec_num(rec, "phases.3.energy.gpu0.throttle_reasons") == 0x40);
		}
		cJSON_Delete(rec);
	}
	assert_true(warned(rep, "ort/cuda", "the GPU throttled during its runs (reasons 0x40: hw_thermal_slowdown)"));
	assert_false(warned(rep, "ort/cpu", "throttled"));
	free(runs);
	gb_report_free(rep);
	db_close(&d);
	free(text[0]);
	free(text[1]);
	free(lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_metric_round_trips),
		cmocka_unit_test(test_domain_entries_round_trip),
		cmocka_unit_test(test_measure_and_run_share_domain_shape),
		cmocka_unit_test(test_throttle_reaches_report),
		cmocka_unit_test(test_real_record_through_store_and_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
