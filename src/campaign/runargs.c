/*
 * What a campaign hands to `greenbench run`: the command, the model file
 * (zoo models exported once into a cache) and the argv of a configuration.
 * The flags mirror `greenbench run --help`; docs/campaigns.md lists them.
 */
#include "greenbench/campaign.h"
#include "greenbench/convert.h"
#include "greenbench/error.h"
#include "greenbench/paths.h"
#include "greenbench/plan.h"
#include "greenbench/runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runtimes that build zoo models themselves from the name (the framework's
 * own model, as the study's "original model" rows) say so in their row
 * (zoo_by_name), and get the name instead of an exported ONNX file
 * (docs/worker-protocol.md). */
int gb_campaign_model_by_name(const struct gb_plan *p, size_t config)
{
	const struct gb_plan_config *c = &p->configs[config];
	const struct gb_runtime_ops *rt = gb_runtime_find(p->runtimes[c->runtime].runtime);

	return p->models[c->model].zoo && !p->models[c->model].convert && rt && rt->zoo_by_name;
}

/* Run argv (greenbench zoo export / convert, writing tmp), then move tmp
 * to path: the cached file is whole or absent. A stop kills it. */
static int make_cached(char **argv, const char *what, const char *tmp, const char *path,
		       volatile sig_atomic_t *stop)
{
	struct gb_run_outcome o;
	int ret;

	if ((ret = gb_campaign_exec(argv, 3600ULL * 1000000000ULL, stop, NULL, NULL, &o)))
		return ret;
	gb_run_outcome_release(&o);
	/* Export and convert print no record: success is exit 0 and the file written. */
	if (access(tmp, R_OK) || !o.end.exited || o.end.exit_code || o.end.timed_out) {
		unlink(tmp);
		if (o.interrupted)
			return gb_error_set(-EINTR, "cannot %s: stopped", what);
		return gb_error_set(-EIO, "cannot %s: %s", what, o.stderr_tail[0] ? o.stderr_tail : o.reason);
	}
	if (rename(tmp, path))
		return gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

static void zoo_file(const char *zoo, const char *dtype, const char *zoo_dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s.onnx", zoo_dir, zoo, dtype ? "." : "", dtype ? dtype : "");
}

static int zoo_make(const char *cmd, const char *zoo, const char *dtype, const char *path,
		    volatile sig_atomic_t *stop)
{
	char tmp[PATH_MAX + 32], what[256];

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	char *argv[] = { (char *)cmd, "zoo", "export", (char *)zoo, "-o", tmp,
			 dtype ? "--dtype" : NULL, (char *)dtype, NULL };
	snprintf(what, sizeof what, "export zoo model '%s'", zoo);
	return make_cached(argv, what, tmp, path, stop);
}

int gb_campaign_zoo_export(const char *cmd, const char *zoo, const char *dtype, const char *zoo_dir,
			   char *buf, size_t len)
{
	int ret;

	zoo_file(zoo, dtype, zoo_dir, buf, len);
	if (!access(buf, R_OK))
		return 0;
	if ((ret = gb_paths_mkdir(zoo_dir)))
		return ret;
	return zoo_make(cmd, zoo, dtype, buf, NULL);
}

int gb_campaign_model_file(const struct gb_plan *p, size_t model, const char *zoo_dir, char *buf, size_t len)
{
	const struct gb_plan_model *m = &p->models[model];
	const struct gb_converter *cv = gb_converter_find(m->convert);
	char key[GB_SHA256_HEX_LEN];
	int ret;

	if (m->file) {
		snprintf(buf, len, "%s", m->file);
		return 0;
	}
	if (!cv) {
		zoo_file(m->zoo, NULL, zoo_dir, buf, len);
		return 0;
	}
	/* One file per converter, model, weights and versions. */
	if ((ret = gb_converter_cache_key(cv, m->zoo, m->weights, key)))
		return gb_error_wrap(ret, "cannot convert '%s'", m->zoo);
	snprintf(buf, len, "%s/%s-%s-%.16s.onnx", zoo_dir, m->zoo, cv->name, key);
	return 0;
}

int gb_campaign_model_make(const struct gb_plan *p, size_t model, const char *cmd, const char *path,
			   volatile sig_atomic_t *stop)
{
	const struct gb_plan_model *m = &p->models[model];
	const struct gb_converter *cv = gb_converter_find(m->convert);
	char tmp[PATH_MAX + 32], what[256], dir[PATH_MAX], *slash;
	int ret;

	if (m->file) {
		if (access(m->file, R_OK))
			return gb_error_set(-errno, "cannot open model '%s': %s", m->file, strerror(errno));
		return 0;
	}
	if (!access(path, R_OK))
		return 0;
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if ((ret = gb_paths_mkdir(dir)))
		return ret;
	if (!cv)
		return zoo_make(cmd, m->zoo, NULL, path, stop);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	char *argv[] = { (char *)cmd, "convert", (char *)cv->name, "--model", m->zoo, "-o", tmp,
			 m->weights ? "--weights" : NULL, m->weights, NULL };
	snprintf(what, sizeof what, "convert '%s' with %s", m->zoo, cv->name);
	return make_cached(argv, what, tmp, path, stop);
}

int gb_campaign_model_path(const struct gb_plan *p, size_t model, const char *cmd,
			   const char *zoo_dir, char *buf, size_t len)
{
	int ret = gb_campaign_model_file(p, model, zoo_dir, buf, len);

	return ret ? ret : gb_campaign_model_make(p, model, cmd, buf, NULL);
}

struct argv_b {
	char **v;
	size_t n, cap;
	int err;
};

/* Append s1, or "s1=s2" when s2 is given. */
static void add(struct argv_b *a, const char *s1, const char *s2)
{
	char buf[1024];

	if (a->err)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **nv = realloc(a->v, cap * sizeof *nv);
		if (!nv) {
			a->err = -ENOMEM;
			return;
		}
		a->v = nv;
		a->cap = cap;
	}
	snprintf(buf, sizeof buf, "%s%s%s", s1, s2 ? "=" : "", s2 ? s2 : "");
	if (!(a->v[a->n] = strdup(buf))) {
		a->err = -ENOMEM;
		return;
	}
	a->v[++a->n] = NULL;
}

int gb_campaign_run_argv(const struct gb_plan *p, size_t config, const char *cmd,
			 const char *model_path, char ***argv)
{
	const struct gb_plan_config *c = &p->configs[config];
	const struct gb_plan_model *m = &p->models[c->model];
	const struct gb_plan_runtime *r = &p->runtimes[c->runtime];
	const struct gb_runtime_ops *rt = gb_runtime_find(r->runtime);
	struct argv_b a = { 0 };
	char num[32];

	add(&a, cmd, NULL);
	add(&a, "run", NULL);
	add(&a, "--model", NULL);
	add(&a, model_path, NULL);
	add(&a, "--runtime", NULL);
	add(&a, r->runtime, NULL);
	if (r->ep) {
		add(&a, "--ep", NULL);
		add(&a, r->ep, NULL);
	}
	for (size_t i = 0; i < r->noptions; i++) {
		/* an option the row declares as an axis with a flag of its own
		 * (threads, opt_level, io) is passed as that flag */
		const struct gb_runtime_axis *ax = rt ? gb_runtime_axis_find(rt, r->options[i].key) : NULL;
		const char *flag = ax ? gb_runtime_axis_flag(ax->via) : NULL;

		add(&a, flag ? flag : "--ep-option", NULL);
		add(&a, flag ? r->options[i].value : r->options[i].key, flag ? NULL : r->options[i].value);
	}
	snprintf(num, sizeof num, "%u", c->batch);
	add(&a, "--batch", NULL);
	add(&a, num, NULL);
	for (size_t i = 0; i < m->ndims; i++) {
		add(&a, "--dim", NULL);
		add(&a, m->dims[i].key, m->dims[i].value);
	}
	if (m->data) {
		add(&a, "--data", NULL);
		add(&a, m->data, NULL);
		if (m->limit) {
			snprintf(num, sizeof num, "%u", m->limit);
			add(&a, "--limit", NULL);
			add(&a, num, NULL);
		}
		for (size_t i = 0; i < m->ndata_args; i++)
			add(&a, m->data_args[i], NULL);
	}
	if (p->warmup) {
		add(&a, "--warmup", NULL);
		add(&a, p->warmup, NULL);
	}
	if (p->iterations) {
		snprintf(num, sizeof num, "%u", p->iterations);
		add(&a, "--iterations", NULL);
		add(&a, num, NULL);
	}
	if (p->min_duration) {
		add(&a, "--min-duration", NULL);
		add(&a, p->min_duration, NULL);
	}
	snprintf(num, sizeof num, "%llu", (unsigned long long)p->seed);
	add(&a, "--seed", NULL);
	add(&a, num, NULL);
	for (size_t i = 0; i < r->nargs; i++)
		add(&a, r->args[i], NULL);
	/* The report plots power and utilisation over time from it. */
	add(&a, "--series", NULL);
	add(&a, "--json", NULL);
	if (a.err) {
		gb_campaign_argv_free(a.v);
		return gb_error_set(a.err, "out of memory");
	}
	*argv = a.v;
	return 0;
}

void gb_campaign_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
