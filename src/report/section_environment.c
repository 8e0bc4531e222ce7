/*
 * The environment the campaign was measured in, from the store's
 * environment table: GPUs and driver, CPU, kernel, host, runtime and
 * framework versions, energy methods, greenbench's version and revision.
 */
#include "report/rtable.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Distinct values of one environment field, "; "-joined. */
static void env_join(const struct gb_report *r, size_t off, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nenvs; i++) {
		const char *v = (const char *)&r->envs[i] + off;
		if (*v)
			gb_rtable_list_add(buf, len, &used, v);
	}
}

/* "NVIDIA H200 (driver 580.159.04)": one GPU of a record's "gpus"; 0 to leave it out. */
static int gpu_text(const struct gb_store_environment *e, const cJSON *it, char *one, size_t len)
{
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
	const char *drv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "driver"));

	(void)e;
	snprintf(one, len, "%s%s%s%s", name ? name : "GPU", drv ? " (driver " : "", drv ? drv : "", drv ? ")" : "");
	return 1;
}

/* "ort: ort 1.29.0": a *_version key of a record's "runtime"; 0 for others. */
static int runtime_text(const struct gb_store_environment *e, const cJSON *it, char *one, size_t len)
{
	const char *v = cJSON_GetStringValue(it);
	size_t kl = it->string ? strlen(it->string) : 0;

	if (!v || kl < 8 || strcmp(it->string + kl - 8, "_version"))
		return 0;
	snprintf(one, len, "%s: %.*s %s", e->runtime, (int)(kl - 8), it->string, v);
	return 1;
}

/* The distinct texts of every element of one JSON field (at off in each
 * environment), "; "-joined. */
static void env_json_list(const struct gb_report *r, size_t off,
			  int (*text)(const struct gb_store_environment *, const cJSON *, char *, size_t),
			  char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nenvs; i++) {
		cJSON *o = cJSON_Parse((const char *)&r->envs[i] + off), *it;
		cJSON_ArrayForEach(it, o) {
			char one[192];
			if (text(&r->envs[i], it, one, sizeof one))
				gb_rtable_list_add(buf, len, &used, one);
		}
		cJSON_Delete(o);
	}
}

static void env_methods(const struct gb_report *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->ncfgs; i++) {
		const struct gb_report_config *c = &r->cfgs[i];
		for (int w = 0; w < 2; w++) {
			char one[48];
			const char *m = w ? c->cpu_method : c->gpu_method;
			if (!*m)
				continue;
			snprintf(one, sizeof one, "%s %s", w ? "CPU" : "GPU", m);
			gb_rtable_list_add(buf, len, &used, one);
		}
	}
}

int gb_section_environment(const struct gb_report_section *self, const struct gb_report *r,
			   struct gb_rtable_builder *b)
{
	char buf[256];

	(void)self;
	gb_rtable_add(b, "What");
	gb_rtable_add(b, "Value");
	snprintf(b->t->empty, sizeof b->t->empty, "No run recorded its environment.");
	if (!r->nenvs)
		return 0;
	env_json_list(r, offsetof(struct gb_store_environment, gpus_json), gpu_text, buf, sizeof buf);
	gb_rtable_add(b, "GPUs");
	gb_rtable_add(b, "%s", buf[0] ? buf : "none");
	env_join(r, offsetof(struct gb_store_environment, cpu), buf, sizeof buf);
	gb_rtable_add(b, "CPU");
	gb_rtable_add(b, "%s", buf);
	env_join(r, offsetof(struct gb_store_environment, kernel), buf, sizeof buf);
	gb_rtable_add(b, "Kernel");
	gb_rtable_add(b, "%s", buf);
	env_join(r, offsetof(struct gb_store_environment, host), buf, sizeof buf);
	gb_rtable_add(b, "Host");
	gb_rtable_add(b, "%s", buf);
	env_json_list(r, offsetof(struct gb_store_environment, runtime_json), runtime_text, buf, sizeof buf);
	gb_rtable_add(b, "Runtimes");
	gb_rtable_add(b, "%s", buf[0] ? buf : "not recorded");
	env_methods(r, buf, sizeof buf);
	gb_rtable_add(b, "Energy methods");
	gb_rtable_add(b, "%s", buf[0] ? buf : "none");
	env_join(r, offsetof(struct gb_store_environment, version), buf, sizeof buf);
	gb_rtable_add(b, "greenbench");
	gb_rtable_add(b, "%s", buf);
	return 0;
}
