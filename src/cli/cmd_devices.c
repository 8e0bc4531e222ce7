/*
 * greenbench devices: every energy source and runtime, available or not,
 * and why not.
 *
 *   $ greenbench devices
 *   energy sources
 *     powercap    unavailable  cannot open '/sys/class/powercap': No such file or directory
 *     nvml        active       driver 580.159.04; gpu0 NVIDIA H100 80GB HBM3: energy counter
 *     estimator   active       Intel(R) Xeon(R) ..., TDP table: ... (estimated)
 *   domains
 *     gpu0        counter      NVIDIA H100 80GB HBM3
 *     cpu         estimated    Intel(R) Xeon(R) Platinum 8480+ x1 (estimated)
 *   CPU energy: estimated (no CPU energy counter could be read)
 *   runtimes
 *     ort         available    ONNX Runtime 1.29.0
 *                 ep tensorrt  ep 'tensorrt': ORT loads '.../libonnxruntime_providers_tensorrt.so' ... not there
 *     tf          available    TensorFlow in a Python worker (...)
 *                              version 2.21.0, devices cpu, python ~/.cache/greenbench/venv/tf/bin/python
 *                 ep cuda      ep 'cuda': the tf installed for ... (2.21.0) can use cpu only
 *     mxnet       available    MXNet 1.9 Gluon, hybridized, in a Python worker (...)
 *                              version 1.9.1, devices cpu, python ...
 *                              bert-base unavailable: GluonNLP ... (the probe's note)
 *   libraries
 *     tensorrt    unavailable  cannot load libnvinfer.so.10: ...; TensorRT 10 ... is not installed: ...
 */
#include "cli/builtin.h"
#include "cli/meter_opts.h"
#include "greenbench/error.h"
#include "greenbench/meter.h"
#include "greenbench/runtime.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const struct gb_usage usage = {
	.synopsis = "greenbench devices [--json] [--cpu-tdp W]\n",
	.description =
	"List every energy and telemetry source (RAPL through powercap, perf or MSRs;\n"
	"NVIDIA GPUs through NVML; the CPU estimator), whether it works here and why\n"
	"not, the domains that will be measured with the method of each, and the\n"
	"inference runtimes that can start, with every execution provider of theirs\n"
	"that cannot run here and why.\n",
	.epilogue =
	"Environment: GREENBENCH_SYSFS_ROOT (default /) prefixes /sys, /proc and /dev;\n"
	"GREENBENCH_NVML_LIB names the NVML library to load.\n",
};

static const char *state_name(enum gb_source_state s)
{
	switch (s) {
	case GB_SOURCE_ACTIVE: return "active";
	case GB_SOURCE_REDUNDANT: return "not used";
	case GB_SOURCE_DISABLED: return "disabled";
	default: return "unavailable";
	}
}

/* TensorRT, which ort --ep tensorrt needs: its version into ver, or ""
 * with the reason in gb_error_msg(). */
static int trt_probe(char *ver, size_t len)
{
	int ret;

	gb_error_clear();
	ret = gb_trt_version(ver, len);
	if (ret)
		ver[0] = '\0';
	return ret;
}

/* Which method CPU energy will use, and why, in one line. */
static const char *cpu_method(const struct gb_meter *m, const char **why)
{
	for (size_t d = 0; d < gb_meter_domain_count(m); d++) {
		const struct gb_domain_info *di = gb_meter_domain(m, d);
		if (di->kind == GB_DOMAIN_CPU_PACKAGE || di->kind == GB_DOMAIN_PSYS) {
			*why = "RAPL counter";
			return "counter";
		}
	}
	for (size_t d = 0; d < gb_meter_domain_count(m); d++) {
		if (gb_meter_domain(m, d)->kind == GB_DOMAIN_CPU_ESTIMATED) {
			*why = "no CPU energy counter could be read; see the sources above";
			return "estimated";
		}
	}
	*why = "no CPU source is available";
	return "none";
}

/* Each EP the row accepts, as its ep_check finds it: {name, available,
 * reason} (the campaign preflight reads these keys). */
static cJSON *eps_json(const struct gb_runtime_ops *rt)
{
	cJSON *eps = cJSON_CreateArray();

	for (size_t i = 0; rt->eps && rt->eps[i]; i++) {
		cJSON *o = cJSON_CreateObject();
		int ret;

		gb_error_clear();
		ret = gb_runtime_ep_check(rt, rt->eps[i]);
		cJSON_AddStringToObject(o, "name", rt->eps[i]);
		cJSON_AddBoolToObject(o, "available", ret == 0);
		if (ret)
			cJSON_AddStringToObject(o, "reason", gb_error_msg());
		cJSON_AddItemToArray(eps, o);
	}
	return eps;
}

static int print_json(struct gb_meter *m)
{
	cJSON *root = cJSON_CreateObject(), *srcs, *doms, *rts, *libs, *trt;
	const char *why, *method;
	char ver[32];
	char *text;

	srcs = cJSON_AddArrayToObject(root, "sources");
	for (size_t i = 0; i < gb_meter_source_count(m); i++) {
		const struct gb_source_status *st = gb_meter_source(m, i);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", st->ops->name);
		cJSON_AddStringToObject(o, "state", state_name(st->state));
		if (st->reason[0])
			cJSON_AddStringToObject(o, "reason", st->reason);
		if (st->detail[0])
			cJSON_AddStringToObject(o, "detail", st->detail);
		cJSON_AddItemToArray(srcs, o);
	}
	doms = cJSON_AddArrayToObject(root, "domains");
	for (size_t d = 0; d < gb_meter_domain_count(m); d++) {
		const struct gb_domain_info *di = gb_meter_domain(m, d);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", di->name);
		cJSON_AddStringToObject(o, "kind", gb_domain_kind_name(di->kind));
		cJSON_AddStringToObject(o, "method", gb_method_name(di->method));
		cJSON_AddStringToObject(o, "label", di->label);
		if (di->parent >= 0)
			cJSON_AddStringToObject(o, gb_domain_relation(di), gb_meter_domain(m, (size_t)di->parent)->name);
		cJSON_AddItemToArray(doms, o);
	}
	method = cpu_method(m, &why);
	cJSON_AddStringToObject(root, "cpu_energy_method", method);
	cJSON_AddStringToObject(root, "cpu_energy_reason", why);
	rts = cJSON_AddArrayToObject(root, "runtimes");
	for (size_t i = 0; i < gb_runtime_table_len; i++) {
		const struct gb_runtime_ops *rt = gb_runtime_table[i];
		struct gb_runtime_info info;
		cJSON *o;
		int ret;

		if (!rt)
			continue;
		gb_error_clear();
		ret = gb_runtime_probe(rt);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", rt->name);
		cJSON_AddBoolToObject(o, "available", ret == 0);
		cJSON_AddStringToObject(o, ret == 0 ? "detail" : "reason",
					ret == 0 ? rt->summary : gb_error_msg());
		if (ret == 0 && rt->info && rt->info(rt, &info) == 0) {
			if (info.version[0])
				cJSON_AddStringToObject(o, "version", info.version);
			if (info.devices[0])
				cJSON_AddStringToObject(o, "devices", info.devices);
			if (info.interpreter[0])
				cJSON_AddStringToObject(o, "interpreter", info.interpreter);
			if (info.note[0])
				cJSON_AddStringToObject(o, "note", info.note);
		}
		if (ret == 0)
			cJSON_AddItemToObject(o, "eps", eps_json(rt));
		cJSON_AddItemToArray(rts, o);
	}
	libs = cJSON_AddArrayToObject(root, "libraries");
	trt = cJSON_CreateObject();
	cJSON_AddStringToObject(trt, "name", "tensorrt");
	cJSON_AddBoolToObject(trt, "available", trt_probe(ver, sizeof ver) == 0);
	cJSON_AddStringToObject(trt, ver[0] ? "version" : "reason", ver[0] ? ver : gb_error_msg());
	cJSON_AddItemToArray(libs, trt);
	text = cJSON_Print(root);
	puts(text);
	free(text);
	cJSON_Delete(root);
	return 0;
}

/* The EPs the row accepts that cannot run here, one line each. */
static void print_eps(const struct gb_runtime_ops *rt)
{
	for (size_t i = 0; rt->eps && rt->eps[i]; i++) {
		char what[48];

		gb_error_clear();
		if (!gb_runtime_ep_check(rt, rt->eps[i]))
			continue;
		snprintf(what, sizeof what, "ep %s", rt->eps[i]);
		printf("  %-11s %-12s %s\n", "", what, gb_error_msg());
	}
}

static void print_table(struct gb_meter *m)
{
	const char *why, *method;
	char ver[32];

	puts("energy sources");
	for (size_t i = 0; i < gb_meter_source_count(m); i++) {
		const struct gb_source_status *st = gb_meter_source(m, i);

		printf("  %-11s %-12s %s\n", st->ops->name, state_name(st->state),
		       st->state == GB_SOURCE_ACTIVE ? (st->detail[0] ? st->detail : st->ops->summary)
						     : st->reason);
	}
	puts("domains");
	if (!gb_meter_domain_count(m))
		puts("  (none: nothing can be measured here)");
	for (size_t d = 0; d < gb_meter_domain_count(m); d++) {
		const struct gb_domain_info *di = gb_meter_domain(m, d);

		printf("  %-11s %-12s %s", di->name, gb_method_name(di->method), di->label);
		if (di->parent >= 0)
			printf(" (%s %s, not added to totals)", gb_domain_relation(di),
			       gb_meter_domain(m, (size_t)di->parent)->name);
		putchar('\n');
	}
	method = cpu_method(m, &why);
	printf("CPU energy: %s (%s)\n", method, why);
	puts("runtimes");
	for (size_t i = 0; i < gb_runtime_table_len; i++) {
		const struct gb_runtime_ops *rt = gb_runtime_table[i];
		struct gb_runtime_info info;
		int ret;

		if (!rt)
			continue;
		gb_error_clear();
		ret = gb_runtime_probe(rt);
		printf("  %-11s %-12s %s\n", rt->name, ret == 0 ? "available" : "unavailable",
		       ret == 0 ? rt->summary : gb_error_msg());
		if (ret)
			continue;
		if (rt->info && !rt->info(rt, &info)) {
			if (info.version[0] || info.devices[0])
				printf("  %-11s %-12s version %s, devices %s%s%s\n", "", "",
				       info.version[0] ? info.version : "?", info.devices[0] ? info.devices : "?",
				       info.interpreter[0] ? ", python " : "", info.interpreter);
			if (info.note[0])
				printf("  %-11s %-12s %s\n", "", "", info.note);
		}
		print_eps(rt);
	}
	puts("libraries");
	if (trt_probe(ver, sizeof ver) == 0)
		printf("  %-11s %-12s TensorRT %s (libnvinfer.so.10, for ort --ep tensorrt)\n",
		       "tensorrt", "available", ver);
	else
		printf("  %-11s %-12s %s\n", "tensorrt", "unavailable", gb_error_msg());
}

int cmd_devices(int argc, char **argv)
{
	struct gb_meter_config cfg;
	struct gb_meter *m = NULL;
	int json = 0, ret;
	const struct gb_option opts[] = {
		GB_OPT_BOOL(0, "json", &json, "print one JSON object instead of the table"),
		GB_CLI_CPU_TDP_OPTION(&cfg),
		GB_OPT_END(),
	};

	gb_meter_config_init(&cfg);
	ret = gb_parse_options(argc, argv, opts, &usage, GB_PARSE_NO_ARGS);
	if (ret < 0)
		return gb_cli_finish(gb_parse_exit(ret));
	gb_cli_meter_config_env(&cfg);
	ret = gb_meter_open(&cfg, &m);
	if (ret < 0)
		return error("%s", gb_error_msg()), 1;
	if (json)
		print_json(m);
	else
		print_table(m);
	gb_meter_free(m);
	return gb_cli_finish(0);
}
