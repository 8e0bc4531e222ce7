/*
 * A stand-in for `greenbench run ... --json`, `greenbench zoo export
 * NAME -o FILE` and `greenbench convert C --model NAME -o FILE [--weights
 * W]` (a file naming the model and converter), for campaign and report tests
 * (GREENBENCH_RUN_CMD=build/tests/fake-run). It fills a struct
 * gb_run_result as the engine would, with plausible figures derived from
 * its arguments (energy = power x time, items = 20 batches), and prints it
 * through the real record writer, so its records are the real shape. The
 * noise comes from GB_FAKE_NOISE_SEED (default: the pid); with GB_FAKE_LOG
 * set too, the seed is mixed with the number of runs logged before this
 * one, so the repetitions of a campaign differ and the campaign is the
 * same every time (the report's golden files).
 *
 * Told what to do through the environment, each a substring matched
 * against "model=NAME runtime=R ep=E batch=B":
 *   GB_FAKE_FAIL      print a failed record ("unsupported EP") and exit 1
 *   GB_FAKE_CRASH     die of SIGSEGV after a line on stderr
 *   GB_FAKE_HANG      sleep until killed (writing its pid to $GB_FAKE_PIDFILE
 *                     if set, through a rename so readers see all of it)
 *   GB_FAKE_THROTTLE  report GPU thermal throttling (reason 0x40)
 * GB_FAKE_WORK_MS=N makes the measured phase real: N ms during which the
 * CPU time of processes outside this one's tree is measured as `run`
 * does (greenbench/cputree.h), so a CPU hog beside it is seen.
 * GB_FAKE_UNAVAILABLE=NAME: `devices --json` says runtime NAME cannot
 * run here (the campaign's preflight asks it); GB_FAKE_NO_EP=NAME/EP says
 * the same of one EP of an available runtime.
 * GB_FAKE_LOG=FILE appends "key arg=MODEL" per run; GB_FAKE_METER=1 opens
 * the real meter as `run` would (GREENBENCH_NVML_LIB, GREENBENCH_GPUS, ...:
 * gb_meter_config_env()), takes the record's environment from it and names
 * its GPU domain after the meter's first GPU, sleeps GB_FAKE_SLEEP_MS and
 * appends "gpus=gpu2,... scope=process|node t0=NS t1=NS" (CLOCK_MONOTONIC)
 * to GB_FAKE_SLOT_LOG; GB_FAKE_ZOO_FAIL=1
 * fails exports (exit 1); GB_FAKE_ZOO_FAIL=crash writes part of the file,
 * then dies of SIGSEGV. GB_FAKE_CONVERT_FAIL=1 fails conversions (exit 1).
 * GB_FAKE_MAKE_LOG=FILE appends "export MODEL" or "convert C MODEL" per
 * export or conversion.
 */
#include "greenbench/cputree.h"
#include "greenbench/meter.h"
#include "greenbench/record.h"
#include "greenbench/result.h"
#include "greenbench/runtime.h"
#include "greenbench/series.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FAKE_BATCHES 20
#define FAKE_SAMPLES 10
#define THERMAL_SLOWDOWN 0x40ull	/* NVML clocks-event reason */

enum { GPU, CPU, DRAM, NDOM };

struct args {
	const char *model, *runtime, *ep, *batch, *seed;
	char dims[256], opts[256];
	struct gb_dim dim[GB_MAX_DIMS];
	size_t ndims;
	struct gb_result_kv opt[GB_RESULT_KV_MAX];
	size_t nopts;
	char name[256], key[512];
};

static uint64_t rng_state;

/* splitmix64: uniform in [0, 1). */
static double rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static int matches(const struct args *a, const char *var)
{
	const char *v = getenv(var);

	return v && *v && strstr(a->key, v);
}

static void write_pidfile(void)
{
	const char *path = getenv("GB_FAKE_PIDFILE");
	char tmp[4096];
	FILE *f;

	if (!path || !*path)
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%ld\n", (long)getpid());
	if (!fclose(f))
		rename(tmp, path);
}

static int write_model(const char *path, const char *model, const char *converter)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "fake onnx %s%s%s\n", model, *converter ? " " : "", converter) < 0 || fclose(f)) {
		fprintf(stderr, "error: cannot write '%s'\n", path);
		return 1;
	}
	return 0;
}

static void append_line(const char *var, const char *line);

static int zoo_export(int argc, char **argv)
{
	char line[512];
	FILE *f;

	if (getenv("GB_FAKE_ZOO_FAIL") && !strcmp(getenv("GB_FAKE_ZOO_FAIL"), "1")) {
		fprintf(stderr, "error: zoo export failed on purpose\n");
		return 1;
	}
	if (argc < 6 || strcmp(argv[2], "export") || strcmp(argv[4], "-o")) {
		fprintf(stderr, "usage: zoo export NAME -o FILE\n");
		return 129;
	}
	/* A crash half-way through writing: the caller must not keep the file. */
	if (getenv("GB_FAKE_ZOO_FAIL") && !strcmp(getenv("GB_FAKE_ZOO_FAIL"), "crash")) {
		f = fopen(argv[5], "w");
		if (f) {
			fputs("fake onn", f);
			fclose(f);
		}
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	snprintf(line, sizeof line, "export %s\n", argv[3]);
	append_line("GB_FAKE_MAKE_LOG", line);
	return write_model(argv[5], argv[3], "");
}

/* convert C --model NAME -o FILE [--weights W] */
static int convert(int argc, char **argv)
{
	char line[512];

	if (argc < 7 || strcmp(argv[3], "--model") || strcmp(argv[5], "-o")) {
		fprintf(stderr, "usage: convert C --model NAME -o FILE [--weights W]\n");
		return 129;
	}
	snprintf(line, sizeof line, "convert %s %s\n", argv[2], argv[4]);
	append_line("GB_FAKE_MAKE_LOG", line);
	if (getenv("GB_FAKE_CONVERT_FAIL") && !strcmp(getenv("GB_FAKE_CONVERT_FAIL"), "1")) {
		fprintf(stderr, "error: %s failed on purpose\n", argv[2]);
		return 1;
	}
	return write_model(argv[6], argv[4], argv[2]);
}

/* What `greenbench devices --json` says of the runtimes and their EPs, as
 * its keys. */
static int devices(void)
{
	static const char *const names[] = { "ort", "torch", "ort-python" };
	static const char *const eps[] = { "cpu", "cuda", "tensorrt" };
	const char *off = getenv("GB_FAKE_UNAVAILABLE"), *no_ep = getenv("GB_FAKE_NO_EP");
	cJSON *root = cJSON_CreateObject(), *rts = cJSON_AddArrayToObject(root, "runtimes");
	char *text;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		cJSON *o = cJSON_CreateObject(), *list;
		int ok = !off || strcmp(off, names[i]);

		cJSON_AddStringToObject(o, "name", names[i]);
		cJSON_AddBoolToObject(o, "available", ok);
		cJSON_AddStringToObject(o, ok ? "detail" : "reason", ok ? "fake" : "fake: not installed here");
		cJSON_AddItemToArray(rts, o);
		if (!ok)
			continue;
		list = cJSON_AddArrayToObject(o, "eps");
		for (size_t k = 0; k < sizeof eps / sizeof eps[0]; k++) {
			cJSON *e = cJSON_CreateObject();
			char pair[64];
			int here;

			snprintf(pair, sizeof pair, "%s/%s", names[i], eps[k]);
			here = !no_ep || strcmp(no_ep, pair);
			cJSON_AddStringToObject(e, "name", eps[k]);
			cJSON_AddBoolToObject(e, "available", here);
			if (!here)
				cJSON_AddStringToObject(e, "reason", "fake: no such provider here");
			cJSON_AddItemToArray(list, e);
		}
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}

/* GB_FAKE_WORK_MS: others' CPU time over a real window of that length. */
static void real_window(struct gb_run_result *r)
{
	const char *ms = getenv("GB_FAKE_WORK_MS");
	struct gb_cpu_load a, b;
	struct timespec ts;
	long n;

	if (!ms || (n = atol(ms)) <= 0 || gb_cpu_load_read(&a))
		return;
	r->interference.campaign_tree = a.campaign_tree;
	ts.tv_sec = n / 1000;
	ts.tv_nsec = (n % 1000) * 1000000L;
	while (nanosleep(&ts, &ts))
		;
	if (gb_cpu_load_read(&b) || gb_cpu_load_foreign(&a, &b, &r->interference.cpu_cores))
		r->interference.cpu_cores = NAN;
}

static void add_kv(struct gb_result_kv *kv, size_t *n, const char *text)
{
	const char *eq = strchr(text, '=');

	if (!eq || *n == GB_RESULT_KV_MAX)
		return;
	snprintf(kv[*n].key, sizeof kv[*n].key, "%.*s", (int)(eq - text), text);
	snprintf(kv[*n].value, sizeof kv[*n].value, "%s", eq + 1);
	(*n)++;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	const char *base;

	memset(a, 0, sizeof *a);
	a->model = a->runtime = "";
	a->ep = "none";
	a->batch = "1";
	a->seed = "0";
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			break;
		} else if (!strcmp(o, "--model")) {
			a->model = v;
		} else if (!strcmp(o, "--runtime")) {
			a->runtime = v;
		} else if (!strcmp(o, "--ep")) {
			a->ep = v;
		} else if (!strcmp(o, "--batch")) {
			a->batch = v;
		} else if (!strcmp(o, "--seed")) {
			a->seed = v;
		} else if (!strcmp(o, "--dim")) {
			size_t off = strlen(a->dims);
			struct gb_result_kv kv[1];
			size_t n = 0;

			snprintf(a->dims + off, sizeof a->dims - off, " %s", v);
			add_kv(kv, &n, v);
			if (n && a->ndims < GB_MAX_DIMS) {
				snprintf(a->dim[a->ndims].name, sizeof a->dim[a->ndims].name, "%s", kv[0].key);
				a->dim[a->ndims++].value = strtoll(kv[0].value, NULL, 10);
			}
		} else if (!strcmp(o, "--ep-option")) {
			size_t off = strlen(a->opts);

			snprintf(a->opts + off, sizeof a->opts - off, " %s", v);
			add_kv(a->opt, &a->nopts, v);
		} else if (strcmp(o, "--warmup") && strcmp(o, "--iterations") && strcmp(o, "--min-duration")) {
			continue;	/* a flag without a value (--json, --series) */
		}
		i++;
	}
	base = strrchr(a->model, '/');
	snprintf(a->name, sizeof a->name, "%s", base ? base + 1 : a->model);
	if (strlen(a->name) > 5 && !strcmp(a->name + strlen(a->name) - 5, ".onnx"))
		a->name[strlen(a->name) - 5] = '\0';
	snprintf(a->key, sizeof a->key, "model=%s runtime=%s ep=%s batch=%s", a->name, a->runtime, a->ep, a->batch);
}

/* Like the torch worker, torch takes a zoo model by name; others need a file. */
/* A runtime that takes zoo models by name (its row says so: torch, tf,
 * keras, mxnet) gets a zoo name; the others a file. */
static int model_ok(const struct args *a)
{
	static const char *const by_name[] = { "resnet50", "mobilenetv2", "bert-base" };
	const struct gb_runtime_ops *rt = gb_runtime_find(a->runtime);

	if (rt && rt->zoo_by_name)
		for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++)
			if (!strcmp(a->model, by_name[i]))
				return 1;
	return access(a->model, R_OK) == 0;
}

/* Lines in $GB_FAKE_LOG: the runs logged so far (0 without a log). */
static uint64_t runs_logged(void)
{
	const char *path = getenv("GB_FAKE_LOG");
	FILE *f = path && *path ? fopen(path, "r") : NULL;
	uint64_t n = 0;
	int c;

	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* One line appended to the file $var names (if set), in one write(). */
static void append_line(const char *var, const char *line)
{
	const char *path = getenv(var);
	size_t n = strlen(line);
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) != (ssize_t)n)
		fprintf(stderr, "fake run: short write to '%s'\n", path);
	close(fd);
}

static void log_run(const struct args *a)
{
	char line[2048];

	snprintf(line, sizeof line, "%s arg=%s\n", a->key, a->model);
	append_line("GB_FAKE_LOG", line);
}

static void domains(struct gb_run_result *r)
{
	static const struct {
		const char *name, *label;
		enum gb_domain_kind kind;
		enum gb_energy_method method;
		uint32_t telemetry;
	} d[NDOM] = {
		[GPU] = { "gpu0", "Fake GPU", GB_DOMAIN_GPU, GB_METHOD_COUNTER,
			  GB_SAMPLE_POWER | GB_SAMPLE_UTIL_GPU },
		[CPU] = { "cpu", "Fake CPU (estimated)", GB_DOMAIN_CPU_ESTIMATED, GB_METHOD_ESTIMATED, 0 },
		[DRAM] = { "dram", "Fake DRAM", GB_DOMAIN_DRAM, GB_METHOD_COUNTER, 0 },
	};

	r->metered = 1;
	r->ndomains = NDOM;
	r->domains = calloc(NDOM, sizeof *r->domains);
	if (!r->domains)
		abort();
	for (int i = 0; i < NDOM; i++) {
		snprintf(r->domains[i].name, sizeof r->domains[i].name, "%s", d[i].name);
		snprintf(r->domains[i].label, sizeof r->domains[i].label, "%s", d[i].label);
		r->domains[i].kind = d[i].kind;
		r->domains[i].method = d[i].method;
		r->domains[i].parent = -1;
		r->domains[i].device_index = i == GPU ? 0 : -1;
		r->domains[i].telemetry = d[i].telemetry;
	}
}

struct draw {
	double gpu_w, cpu_w, util;
	uint64_t throttle;
};

/* One phase of dur_s from t0_ns, every domain metered as the engine's
 * window would be. */
static void phase(struct gb_run_result *r, enum gb_phase_id id, uint64_t t0_ns, double dur_s,
		  uint64_t iterations, uint64_t items, const struct draw *w)
{
	struct gb_phase *p = &r->phases[id];
	struct gb_domain_energy *e = calloc(NDOM, sizeof *e);
	struct gb_energy_totals *t = &p->totals;

	if (!e)
		abort();
	p->done = 1;
	p->t_start_ns = t0_ns;
	p->t_end_ns = t0_ns + (uint64_t)llround(dur_s * 1e9);
	p->iterations = iterations;
	p->items = items;
	p->cpu_user_s = dur_s;
	p->cpu_system_s = 0.01;
	p->energy = e;

	e[GPU].energy_valid = 1;
	e[GPU].method = GB_METHOD_COUNTER;
	e[GPU].energy_j = w->gpu_w * dur_s;
	e[GPU].power_valid = 1;
	e[GPU].power_mean_w = w->gpu_w;
	e[GPU].power_peak_w = w->gpu_w * 1.1;
	e[GPU].util_gpu_valid = 1;
	e[GPU].util_gpu_mean = w->util;
	e[GPU].util_gpu_sd = 3.0;
	e[GPU].mem_valid = 1;
	e[GPU].mem_used_pct_mean = 12.5;
	e[GPU].mem_used_bytes_max = 10ull << 30;
	e[GPU].throttle_valid = 1;
	e[GPU].throttle_reasons_or = w->throttle;
	e[GPU].nsamples = FAKE_SAMPLES;

	e[CPU].energy_valid = 1;
	e[CPU].method = GB_METHOD_ESTIMATED;
	e[CPU].energy_j = w->cpu_w * dur_s;
	e[CPU].power_valid = 1;
	e[CPU].power_mean_w = e[CPU].power_peak_w = w->cpu_w;
	e[CPU].nsamples = FAKE_SAMPLES;

	snprintf(e[DRAM].invalid_reason, sizeof e[DRAM].invalid_reason, "no RAPL on this machine");

	/* As gb_meter_totals() adds them: GPU counter measured, CPU estimated. */
	t->gpu_valid = t->cpu_valid = t->measured_valid = t->estimated_valid = 1;
	t->gpu_j = t->measured_j = e[GPU].energy_j;
	t->cpu_j = t->estimated_j = e[CPU].energy_j;
	t->cpu_method = GB_METHOD_ESTIMATED;
	t->methods = 1u << GB_METHOD_COUNTER | 1u << GB_METHOD_ESTIMATED;
}

static void latency(struct gb_run_result *r, double lat_ns, double items, double dur_s)
{
	struct gb_latency *l = &r->latency;

	r->latency_valid = 1;
	l->n = FAKE_BATCHES;
	l->mean_ns = lat_ns;
	l->sd_ns = lat_ns * 0.02;
	l->p50_ns = lat_ns;
	l->p90_ns = lat_ns * 1.02;
	l->p99_ns = lat_ns * 1.05;
	l->min_ns = lat_ns * 0.97;
	l->max_ns = lat_ns * 1.06;
	r->throughput_items_per_s = items / dur_s;
}

/* The measured phase's samples: GPU power and utilisation. */
static cJSON *series(const struct gb_run_result *r, const struct draw *w)
{
	const struct gb_phase *p = &r->phases[GB_PHASE_MEASURED];
	struct gb_sample rows[FAKE_SAMPLES * NDOM];
	uint64_t t[FAKE_SAMPLES];
	struct gb_series_view v = { r->domains, NDOM, t, rows, FAKE_SAMPLES };

	memset(rows, 0, sizeof rows);
	for (int i = 0; i < FAKE_SAMPLES; i++) {
		struct gb_sample *g = &rows[i * NDOM + GPU];

		t[i] = p->t_start_ns + (p->t_end_ns - p->t_start_ns) * (uint64_t)i / FAKE_SAMPLES;
		g->valid = GB_SAMPLE_POWER | GB_SAMPLE_UTIL_GPU;
		g->power_mw = (uint32_t)(w->gpu_w * 1000 * (0.9 + 0.2 * rnd()));
		g->util_gpu_pct = (uint32_t)w->util;
	}
	return gb_series_json_view(&v, p->t_start_ns, p->t_end_ns);
}

static void config(struct gb_run_result *r, const struct args *a)
{
	snprintf(r->started_at, sizeof r->started_at, "2026-11-27T09:00:00Z");
	snprintf(r->model, sizeof r->model, "%s", a->model);
	snprintf(r->runtime, sizeof r->runtime, "%s", a->runtime);
	snprintf(r->ep, sizeof r->ep, "%s", a->ep);
	r->batch = strtoull(a->batch, NULL, 10);
	r->seed = strtoull(a->seed, NULL, 10);
	memcpy(r->dims, a->dim, sizeof a->dim);
	r->ndims = a->ndims;
	memcpy(r->ep_options, a->opt, sizeof a->opt);
	r->n_ep_options = a->nopts;
	r->iterations = FAKE_BATCHES;
	snprintf(r->host, sizeof r->host, "fakehost");
	snprintf(r->cpu, sizeof r->cpu, "Fake CPU");
	snprintf(r->kernel, sizeof r->kernel, "6.1");
	snprintf(r->gpu_driver, sizeof r->gpu_driver, "1.0");
	snprintf(r->runtime_meta[0].key, sizeof r->runtime_meta[0].key, "fake_version");
	snprintf(r->runtime_meta[0].value, sizeof r->runtime_meta[0].value, "1");
	r->n_runtime_meta = 1;
}

/* The figures: a model's base cost, an EP's speed-up, noise of a few %. */
static void measure(struct gb_run_result *r, const struct args *a, struct draw *w)
{
	/* By prefix: a converted model ("resnet50-torch2onnx-KEY") costs what its zoo model does. */
	double base = !strncmp(a->name, "bert-base", 9) ? 9 : !strncmp(a->name, "resnet50", 8) ? 5 : 1;
	double speed = !strcmp(a->ep, "cuda") ? 8 : !strcmp(a->ep, "tensorrt") ? 12 : 1;
	double batch = (double)r->batch, items = batch * FAKE_BATCHES, lat, dur_s;
	int on_cpu = !strcmp(a->ep, "cpu") || !strcmp(a->ep, "none");

	lat = base * 1e6 * (1 + batch * 0.3) / speed * (1 + 0.05 * rnd());
	dur_s = FAKE_BATCHES * lat / 1e9;
	w->gpu_w = on_cpu ? 70 : 150 + 200 * rnd();
	w->cpu_w = 20 + 10 * rnd();
	w->util = !strcmp(a->ep, "cpu") ? 0 : 40 + 50 * rnd();
	w->throttle = matches(a, "GB_FAKE_THROTTLE") ? THERMAL_SLOWDOWN : 0;
	r->ok = 1;
	domains(r);
	phase(r, GB_PHASE_LOAD, 1000000000ull, 0.1, 0, 0, w);
	phase(r, GB_PHASE_MEASURED, 2000000000ull, dur_s, FAKE_BATCHES, (uint64_t)items, w);
	latency(r, lat, items, dur_s);
}

static int print_record(const struct gb_run_result *r, const struct draw *w)
{
	cJSON *rec = gb_run_record(r);
	char *text;

	if (!rec || (r->ok && gb_run_record_add_series(rec, series(r, w)) < 0)) {
		cJSON_Delete(rec);
		fprintf(stderr, "fake run: out of memory\n");
		return -1;
	}
	text = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	if (!text)
		return -1;
	puts(text);
	free(text);
	return fflush(stdout) ? -1 : 0;
}

/* GB_FAKE_METER: what a pinned `run` would see of the machine. */
static void slot_meter(struct gb_run_result *r)
{
	const char *sleep_ms = getenv("GB_FAKE_SLEEP_MS");
	struct gb_meter_config cfg;
	struct gb_meter *m = NULL;
	char line[1024], gpus[512] = "";
	size_t used = 0;
	uint64_t t0 = gb_now_ns(), t1;
	int n;

	gb_meter_config_init(&cfg);
	gb_meter_config_env(&cfg);
	if (gb_meter_open(&cfg, &m))
		m = NULL;
	gb_run_result_environment(r, m);
	for (size_t i = 0; m && i < gb_meter_domain_count(m); i++) {
		const struct gb_domain_info *d = gb_meter_domain(m, i);

		if (d->kind != GB_DOMAIN_GPU)
			continue;
		if (!used && r->domains) {
			snprintf(r->domains[GPU].name, sizeof r->domains[GPU].name, "%s", d->name);
			snprintf(r->domains[GPU].device_uuid, sizeof r->domains[GPU].device_uuid, "%s", d->device_uuid);
			r->domains[GPU].device_index = d->device_index;
		}
		n = snprintf(gpus + used, sizeof gpus - used, "%s%s", used ? "," : "", d->name);
		used += n > 0 && (size_t)n < sizeof gpus - used ? (size_t)n : 0;
	}
	if (sleep_ms) {
		struct timespec ts = { atol(sleep_ms) / 1000, (atol(sleep_ms) % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	t1 = gb_now_ns();
	gb_meter_free(m);
	snprintf(line, sizeof line, "gpus=%s scope=%s t0=%llu t1=%llu\n", used ? gpus : "-",
		 r->cpu_per_process ? "process" : "node", (unsigned long long)t0, (unsigned long long)t1);
	append_line("GB_FAKE_SLOT_LOG", line);
}

int main(int argc, char **argv)
{
	struct gb_run_result r;
	struct draw w = { 0 };
	struct args a;
	const char *noise = getenv("GB_FAKE_NOISE_SEED");
	int status = 0;

	if (argc > 1 && !strcmp(argv[1], "zoo"))
		return zoo_export(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "devices"))
		return devices();
	if (argc > 1 && !strcmp(argv[1], "convert"))
		return convert(argc, argv);
	if (argc < 2 || strcmp(argv[1], "run")) {
		fprintf(stderr, "fake-run: expected 'run', 'zoo' or 'convert'\n");
		return 129;
	}
	parse_args(argc, argv, &a);
	if (!model_ok(&a)) {
		fprintf(stderr, "error: cannot open model '%s': No such file or directory\n", a.model);
		return 1;
	}
	log_run(&a);
	fprintf(stderr, "fake run: %s dims=%s opts=%s\n", a.key, a.dims, a.opts);
	if (matches(&a, "GB_FAKE_CRASH")) {
		fprintf(stderr, "fake run: about to crash\n");
		fflush(stderr);
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (matches(&a, "GB_FAKE_HANG")) {
		write_pidfile();
		for (;;)
			pause();
	}
	rng_state = noise && *noise ? strtoull(noise, NULL, 10) * 0x100000001b3ull + runs_logged() : (uint64_t)getpid();
	gb_run_result_init(&r);
	config(&r, &a);
	if (matches(&a, "GB_FAKE_FAIL")) {
		snprintf(r.error, sizeof r.error, "unsupported execution provider %s on this machine", a.ep);
		status = 1;
	} else {
		measure(&r, &a, &w);
		real_window(&r);
		gb_verdict_run_result(&r);
	}
	if (getenv("GB_FAKE_METER"))
		slot_meter(&r);
	if (print_record(&r, &w) < 0)
		status = 1;
	gb_run_result_release(&r);
	return status;
}
