/*
 * greenbench run: benchmark one configuration end to end.
 *
 *   $ greenbench run --model mlp.onnx --batch 8 --min-duration 2s
 *
 *    ort/cpu  mlp.onnx  batch 8  io host  seed 42
 *    ONNX Runtime 1.29.0, CPUExecutionProvider, threads default
 *
 *     phase         time s    batches        cpu J
 *                                        estimated
 *     load           0.095          0        1.905
 *     first          0.000          1        0.003
 *     warmup         0.000         10        0.001
 *     measured       2.000     278560       40.000
 *
 *     latency/batch  mean 7.136 us  sd 192.8  p50 2.265  p90 2.638  p99 6.670
 *                    min 2.149 us  max 21252
 *     throughput     1114239.1 items/s (278560 batches of 8 in 2.00 s)
 *     energy/item    cpu 0.0179 mJ (estimated)
 *     cpu energy is estimated from CPU time and a power model, not measured
 *
 * --json prints the run record (docs/results-schema.md) on one line; -o
 * appends it to a JSON Lines file, only when the run succeeded.
 */
#include "cli/builtin.h"
#include "cli/verdict_print.h"
#include "cli/data_opts.h"
#include "cli/meter_opts.h"
#include "cli/runtime_opts.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/record.h"
#include "greenbench/series.h"
#include "greenbench/result.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct gb_usage usage = {
	.synopsis =
	"greenbench run --model M.onnx [--runtime ort] [--ep cpu|cuda|tensorrt]\n"
	"                      [--batch N] [--dim NAME=N]... [--warmup N|DURATION]\n"
	"                      [--iterations N] [--min-duration DURATION] [--json]\n"
	"                      [-o FILE.jsonl] [options]\n",
	.description =
	"Benchmark one configuration: load the model (load phase), run one batch\n"
	"(first), warm up, then measure for at least --iterations batches AND at least\n"
	"--min-duration. Each phase reports its time and energy per domain; the\n"
	"measured phase also gives latency per batch, throughput and energy per item.\n",
	.epilogue =
	"With --data, the dataset is read and preprocessed (into the cache) before\n"
	"anything is measured; after the measured phase an \"accuracy\" phase runs\n"
	"every item through the same session, in batches of --batch (the last one\n"
	"short, or zero-padded for a fixed-batch model), and the record gets\n"
	"\"accuracy\": top-1 (and top-5 for images) over the items scored. Text data\n"
	"sets the generated inputs' seq dim to --seq; give --vocab N (the size of\n"
	"vocab.txt) so generated token ids fit the model.\n"
	"\n"
	"    greenbench run --model resnet50.onnx --batch 32 --data val/ --limit 1000\n"
	"    greenbench run --model bert.onnx --data aclImdb --vocab-file vocab.txt \\\n"
	"        --vocab 30522 --seq 128\n"
	"\n"
	"Environment: GREENBENCH_ORT_LIB names libonnxruntime.so to load.\n",
};

struct run_opts {
	struct gb_bench_config cfg;
	struct gb_meter_config mcfg;
	struct gb_cli_runtime rt;
	const char *output;
	int json;
	int no_meter;
	int series;
	struct gb_cli_dims dims;
	struct gb_cli_data data;
};

/* --warmup N (batches) or --warmup DURATION (with a unit). */
static int warmup_option(const struct gb_option *opt, const char *arg)
{
	struct gb_bench_config *cfg = opt->value;
	unsigned long long n;
	char *end;

	if (gb_duration_has_unit(arg)) {
		if (gb_duration_parse(arg, &cfg->warmup_ns) < 0)
			return -EINVAL;
		cfg->warmup_iterations = 0;
		return 0;
	}
	errno = 0;
	n = strtoull(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end || errno)
		return gb_error_set(-EINVAL, "invalid --warmup '%s': expected a number of batches or a duration such as 2s",
				    arg);
	cfg->warmup_ns = 0;
	cfg->warmup_iterations = n;
	return 0;
}

/* Can FILE be appended to? Checked before a long run, without creating it. */
static int check_output(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (access(path, F_OK) == 0)
		return access(path, W_OK) == 0 ? 0 : -errno;
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	return access(dir, W_OK) == 0 ? 0 : -errno;
}

/* 0, or GB_PARSE_HELP / GB_PARSE_ERROR (printed). */
static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	struct gb_bench_config *cfg = &o->cfg;
	const struct gb_option opts[] = {
		GB_CLI_RUNTIME_OPTIONS(&o->rt),
		GB_OPT_UINT('b', "batch", &cfg->inputs.batch, "N", "value of the symbolic batch dim (default 1)", 1),
		GB_OPT_CALLBACK(0, "dim", &o->dims, "NAME=N", "value of another symbolic dim, repeatable",
				gb_cli_dim_option),
		GB_OPT_UINT(0, "vocab", &cfg->inputs.vocab, "N", "token ids are drawn in [0, N) (default 30522)", 1),
		GB_OPT_UINT(0, "seed", &cfg->inputs.seed, "N", "seed of the generated inputs (default 42)", 0),
		GB_OPT_CALLBACK(0, "warmup", cfg, "N|DURATION", "warm-up batches, or time with a unit (default 10)",
				warmup_option),
		GB_OPT_UINT('n', "iterations", &cfg->iterations, "N", "measured batches, at least (default 100)", 1),
		GB_OPT_DURATION(0, "min-duration", &cfg->min_duration_ns, "DUR", "measured time, at least (default 10s)",
				0),
		GB_OPT_DURATION(0, "idle", &cfg->idle_ns, "DURATION", "measure idle power first; report net energy too",
				0),
		GB_OPT_BOOL(0, "no-meter", &o->no_meter, "measure no energy (for overhead benchmarks)"),
		GB_OPT_BOOL(0, "series", &o->series, "add the measured phase's sampled time series to the record"),
		GB_CLI_CPU_TDP_OPTION(&o->mcfg),
		GB_OPT_BOOL(0, "json", &o->json, "print the run record (one JSON line)"),
		GB_OPT_STRING('o', "output", &o->output, "FILE.jsonl", "append the run record (successful runs only)"),
		GB_CLI_DATA_OPTIONS(&o->data),
		GB_OPT_END(),
	};
	int ret;

	gb_bench_config_init(cfg);
	gb_meter_config_init(&o->mcfg);
	gb_cli_data_init(&o->data);
	gb_cli_runtime_init(&o->rt);
	ret = gb_parse_options(argc, argv, opts, &usage, GB_PARSE_NO_ARGS);
	if (ret < 0)
		return ret;
	cfg->inputs.dims = o->dims.dim;
	cfg->inputs.ndims = o->dims.n;
	cfg->ropt = o->rt.ro;
	if (!cfg->ropt.model)
		return gb_usage_error(&usage, opts, "no model given: use --model FILE");
	if (o->no_meter && cfg->idle_ns)
		return gb_usage_error(&usage, opts, "--idle needs the meter: drop --no-meter");
	ret = gb_cli_data_check(&o->data, &usage, opts);
	if (ret)
		return ret;
	cfg->data_path = o->data.path;
	cfg->data_limit = o->data.o.limit;
	gb_cli_meter_config_env(&o->mcfg);
	return 0;
}

/* ---- the human table --------------------------------------------------- */

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static const char *meta(const struct gb_run_result *r, const char *key)
{
	for (size_t i = 0; i < r->n_runtime_meta; i++)
		if (!strcmp(r->runtime_meta[i].key, key))
			return r->runtime_meta[i].value;
	return NULL;
}

/* The runtime's version for the header: "<runtime>_version" (torch),
 * ort_version, else the first *_version that is not the worker's or
 * Python's own. */
static const char *version_meta(const struct gb_run_result *r, const char **name)
{
	static char buf[32];
	char want[64];

	snprintf(want, sizeof want, "%s_version", r->runtime);
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < r->n_runtime_meta; i++) {
			const char *k = r->runtime_meta[i].key;
			size_t n = strlen(k);

			if (pass == 0 && strcmp(k, want))
				continue;
			if (pass == 1 && strcmp(k, "ort_version"))
				continue;
			if (pass == 2 && (n <= 8 || strcmp(k + n - 8, "_version") ||
					  !strncmp(k, "worker", 6) || !strncmp(k, "python", 6)))
				continue;
			if (!strcmp(k, "ort_version"))
				snprintf(buf, sizeof buf, "ONNX Runtime");
			else
				snprintf(buf, sizeof buf, "%.*s", (int)(n - 8), k);
			*name = buf;
			return r->runtime_meta[i].value;
		}
	}
	return NULL;
}

/* Latency unit picked from the median: us below 1 ms, ms below 1 s. */
static void pick_unit(double ns, const char **unit, double *div)
{
	if (ns < 1e6) {
		*unit = "us";
		*div = 1e3;
	} else if (ns < 1e9) {
		*unit = "ms";
		*div = 1e6;
	} else {
		*unit = "s";
		*div = 1e9;
	}
}

/* About 4 significant digits, never an exponent: 0.1234, 12.34, 12345. */
static const char *num4(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v;

	snprintf(buf, len, "%.*f", a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : 4, v);
	return buf;
}

#define DOMS_PER_ROW 4

static void print_phases(const struct gb_run_result *r)
{
	for (size_t first = 0; first == 0 || first < r->ndomains; first += DOMS_PER_ROW) {
		size_t last = first + DOMS_PER_ROW < r->ndomains ? first + DOMS_PER_ROW : r->ndomains;

		printf("  %-10s %9s %10s", "phase", "time s", "batches");
		for (size_t d = first; d < last; d++) {
			char h[32];

			snprintf(h, sizeof h, "%.10s J", r->domains[d].name);
			printf(" %12s", h);
		}
		printf("\n  %-10s %9s %10s", "", "", "");
		for (size_t d = first; d < last; d++)
			printf(" %12s", gb_method_name(r->domains[d].method));
		putchar('\n');
		for (int p = 0; p < GB_PHASE_COUNT; p++) {
			const struct gb_phase *ph = &r->phases[p];

			if (!ph->done)
				continue;
			printf("  %-10s %9.3f %10llu", gb_phase_name((enum gb_phase_id)p),
			       gb_phase_seconds(ph), (unsigned long long)ph->iterations);
			for (size_t d = first; d < last; d++) {
				if (ph->energy && ph->energy[d].energy_valid)
					printf(" %12.3f", ph->energy[d].energy_j);
				else
					printf(" %12s", "<n/a>");
			}
			putchar('\n');
		}
		if (!r->ndomains)
			break;
		putchar('\n');
	}
}

/* Energy per item of each top-level domain, wrapped at 80 columns; net:
 * with the idle power taken out. */
static void print_per_item(const struct gb_run_result *r, const char *label, int net)
{
	const struct gb_phase *m = &r->phases[GB_PHASE_MEASURED];
	int col = printf("  %-14s", label), any = 0;

	for (size_t d = 0; d < r->ndomains; d++) {
		const struct gb_domain_energy *e = &m->energy[d];
		char cell[96], v[32];
		int n;

		if (!(net ? e->net_valid : e->energy_valid) || r->domains[d].parent >= 0)
			continue;
		n = snprintf(cell, sizeof cell, " %s %s mJ (%s)", r->domains[d].name,
			     num4(v, sizeof v, (net ? e->net_energy_j : e->energy_j) * 1e3 / (double)m->items),
			     gb_method_name(e->method));
		if (col + n > 79)
			col = printf("\n  %-14s", "");
		col += printf("%s", cell);
		any = 1;
	}
	printf("%s\n", any ? "" : " <not supported>");
}

static void print_human(const struct gb_run_result *r)
{
	const struct gb_phase *m = &r->phases[GB_PHASE_MEASURED];
	const struct gb_latency *l = &r->latency;
	const char *unit, *v, *vname = "";
	char threads[48], n1[32], n2[32], n3[32], n4[32], n5[32];
	double div;

	printf("\n %s/%s  %.40s  batch %llu  io %s  seed %llu\n", r->runtime, r->ep,
	       basename_of(r->model), (unsigned long long)r->batch,
	       r->io == GB_IO_DEVICE ? "device" : "host", (unsigned long long)r->seed);
	if (r->intra_op_threads || r->inter_op_threads)
		snprintf(threads, sizeof threads, "threads %d/%d", r->intra_op_threads, r->inter_op_threads);
	else
		snprintf(threads, sizeof threads, "threads default");
	v = version_meta(r, &vname);
	printf(" %s%s%.*s%s%.30s, %s\n\n", v ? vname : "", v ? " " : "", v ? 20 : 0, v ? v : "",
	       v ? ", " : "", meta(r, "ep_name") ? meta(r, "ep_name") : r->ep, threads);
	print_phases(r);
	if (!r->ndomains) {
		printf("  energy: <not supported>  %s\n", r->metered ? "no energy source here (see 'greenbench devices')"
								     : "meter disabled (--no-meter)");
		putchar('\n');
	}
	pick_unit(l->p50_ns, &unit, &div);
	printf("  %-14s mean %s %s  sd %s  p50 %s  p90 %s  p99 %s\n", "latency/batch",
	       num4(n1, sizeof n1, l->mean_ns / div), unit, num4(n2, sizeof n2, l->sd_ns / div),
	       num4(n3, sizeof n3, l->p50_ns / div), num4(n4, sizeof n4, l->p90_ns / div),
	       num4(n5, sizeof n5, l->p99_ns / div));
	printf("  %-14s min %s %s  max %s\n", "", num4(n1, sizeof n1, l->min_ns / div), unit,
	       num4(n2, sizeof n2, l->max_ns / div));
	printf("  %-14s %.1f items/s (%llu batches of %llu in %.2f s)\n", "throughput",
	       r->throughput_items_per_s, (unsigned long long)m->iterations,
	       (unsigned long long)r->batch, gb_phase_seconds(m));
	if (!m->energy || !m->items)
		return;
	print_per_item(r, "energy/item", 0);
	if (r->idle_ns)
		print_per_item(r, "net/item", 1);
	for (size_t d = 0; d < r->ndomains; d++) {
		const struct gb_domain_energy *e = &m->energy[d];

		if (r->domains[d].kind != GB_DOMAIN_GPU)
			continue;
		printf("  %-14s", r->domains[d].name);
		if (e->util_gpu_valid)
			printf(" util %.1f%% (sd %.1f)", e->util_gpu_mean, e->util_gpu_sd);
		else
			printf(" util <not supported>");
		if (e->mem_valid)
			printf("  mem %.1f%%", e->mem_used_pct_mean);
		if (e->power_valid)
			printf("  power %.1f W", e->power_mean_w);
		putchar('\n');
	}
	for (size_t d = 0; d < r->ndomains; d++)
		if (m->energy[d].energy_valid && m->energy[d].method == GB_METHOD_ESTIMATED)
			printf("  %s energy is estimated from CPU time and a power model, not measured\n",
			       r->domains[d].name);
}

static void print_accuracy(const struct gb_run_result *r)
{
	const struct gb_run_accuracy *a = &r->accuracy;
	const struct gb_phase *p = &r->phases[GB_PHASE_ACCURACY];

	if (!a->valid)
		return;
	printf("  %-14s", "accuracy");
	if (!a->n)
		printf(" <not supported>: no item could be scored");
	else if (!strcmp(a->kind, "images"))
		printf(" top-1 %.2f%% (%llu/%llu)  top-5 %.2f%% (%llu/%llu)", 100.0 * a->top1 / a->n,
		       (unsigned long long)a->top1, (unsigned long long)a->n, 100.0 * a->top5 / a->n,
		       (unsigned long long)a->top5, (unsigned long long)a->n);
	else
		printf(" %.2f%% (%llu/%llu)", 100.0 * a->top1 / a->n, (unsigned long long)a->top1,
		       (unsigned long long)a->n);
	printf("\n  %-14s %s %.60s, %llu classes, %llu skipped, %.3f s\n", "", a->kind,
	       a->data, (unsigned long long)a->classes, (unsigned long long)a->skipped,
	       gb_phase_seconds(p));
	for (size_t i = 0; i < a->nskipped_reasons; i++)
		printf("  %-14s skipped: %s\n", "", a->skipped_reasons[i]);
}

/* ---- output ------------------------------------------------------------ */

static int append_line(const char *path, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 2);
	ssize_t n;
	int fd, ret = 0;

	if (!buf)
		return -error("out of memory");
	memcpy(buf, line, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -error("cannot open '%s' for appending: %s", path, strerror(errno));
		goto out;
	}
	/* One write of the whole line: O_APPEND keeps concurrent writers'
	 * lines whole. */
	n = write(fd, buf, len + 1);
	if (n != (ssize_t)(len + 1))
		ret = -error("cannot write '%s': %s", path, n < 0 ? strerror(errno) : "short write");
	if (close(fd) && !ret)
		ret = -error("cannot write '%s': %s", path, strerror(errno));
out:
	free(buf);
	return ret;
}

/* Open and prepare --data (outside every phase). A text dataset sets the
 * generated inputs' "seq" dim too, unless --dim seq was given. */
static int open_data(struct run_opts *o)
{
	struct gb_cli_dims *d = &o->dims;

	if (gb_cli_data_open(&o->data, &o->cfg.data) < 0)
		return -1;
	if (gb_dataset_kind(o->cfg.data) != GB_DATASET_TEXT)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->dim[i].name, "seq"))
			return 0;
	if (d->n < GB_MAX_DIMS) {
		snprintf(d->dim[d->n].name, sizeof d->dim[d->n].name, "seq");
		d->dim[d->n++].value = (int64_t)o->data.o.seq;
		o->cfg.inputs.ndims = d->n;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct gb_run_result res;
	struct gb_meter *m = NULL;
	cJSON *rec = NULL;
	char *line = NULL;
	int ret, status = 1;

	memset(&o, 0, sizeof o);
	ret = parse_opts(argc, argv, &o);
	if (ret)
		return gb_cli_finish(gb_parse_exit(ret));
	gb_run_result_init(&res);
	o.cfg.rt = gb_runtime_find(o.rt.runtime);
	if (!o.cfg.rt) {
		error("unknown runtime '%s' (see 'greenbench devices')", o.rt.runtime);
		goto out;
	}
	if (o.output && (ret = check_output(o.output)) < 0) {
		error("cannot append to '%s': %s", o.output, strerror(-ret));
		goto out;
	}
	if (gb_runtime_probe(o.cfg.rt) < 0) {
		error("runtime '%s' is not available: %s", o.rt.runtime, gb_error_msg());
		goto out;
	}
	/* A GPU list naming what is no GPU here is the user's mistake: say
	 * so rather than measure no GPU. */
	if (!o.no_meter && (gb_meter_open(&o.mcfg, &m) < 0 || gb_meter_gpus_check(m) < 0)) {
		error("%s", gb_error_msg());
		goto out;
	}
	if (o.data.path && open_data(&o) < 0)
		goto out;
	if (o.cfg.idle_ns && !o.json)
		fprintf(stderr, "measuring idle power for %.1f s...\n", o.cfg.idle_ns / 1e9);
	ret = gb_bench_run(&o.cfg, m, &res);
	if (ret < 0)
		error("%s", res.error);
	if (ret == 0 || o.json) {
		rec = gb_run_record(&res);
		if (rec && o.series && m && ret == 0) {
			const struct gb_phase *p = &res.phases[GB_PHASE_MEASURED];

			gb_meter_stop(m);
			if (gb_run_record_add_series(rec, gb_series_json(m, p->t_start_ns, p->t_end_ns)) < 0) {
				error("out of memory");
				goto out;
			}
		}
		line = rec ? cJSON_PrintUnformatted(rec) : NULL;
		if (!line) {
			error("out of memory");
			goto out;
		}
	}
	if (ret < 0) {
		if (o.json)
			puts(line);
		goto out;
	}
	if (o.json) {
		puts(line);
	} else {
		print_human(&res);
		print_accuracy(&res);
		gb_cli_print_verdict(&res.verdict);
	}
	status = o.output ? append_line(o.output, line) : 0;
out:
	free(line);
	cJSON_Delete(rec);
	gb_run_result_release(&res);
	gb_meter_free(m);
	gb_dataset_free(o.cfg.data);
	return gb_cli_finish(status);
}
