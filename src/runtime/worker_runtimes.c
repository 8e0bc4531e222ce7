/*
 * Runtimes that live in worker processes: one set of ops for every worker
 * row of the runtime table (GB_WORKER_RUNTIME in greenbench/worker.h), each
 * row naming its script. A new framework worker = one script in workers/ +
 * one row in runtimes.c (docs/worker-protocol.md, "Adding a worker").
 */
#include "greenbench/worker.h"

#include "greenbench/error.h"
#include "greenbench/paths.h"
#include "greenbench/proc.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_TIMEOUT_NS (30ULL * GB_NS_PER_S)

int gb_worker_dir(char *buf, size_t len)
{
	return gb_paths_workers_dir(buf, len);
}

int gb_worker_is_harness_option(const char *key)
{
	return !strcmp(key, "python") || !strcmp(key, "timeout") || !strcmp(key, "start_timeout");
}

static const char *option(const struct gb_runtime_options *opt, const char *key)
{
	for (size_t i = 0; opt && i < opt->n_ep_options; i++)
		if (!strcmp(opt->ep_options[i].key, key))
			return opt->ep_options[i].value;
	return NULL;
}

int gb_worker_venv_dir(char *buf, size_t len)
{
	const char *env = getenv("GREENBENCH_VENV_DIR");

	if (env && *env) {
		if ((size_t)snprintf(buf, len, "%s", env) >= len)
			return gb_error_set(-ENAMETOOLONG, "path too long: '%s'", env);
		return 0;
	}
	return gb_paths_cache_dir(NULL, "venv", buf, len);
}

/* Run `python script --probe`: 0 if it can start (the tail of its stdout
 * and stderr in facts, GB_PROC_TAIL_MAX bytes), else -ENOENT with the
 * missing module (the script's last stderr line) in msg. */
static int probe_one(const char *python, const char *script, char *msg, size_t len,
		     char facts[GB_PROC_TAIL_MAX])
{
	char *argv[] = { (char *)python, (char *)script, "--probe", NULL };
	const struct gb_proc_spec spec = {
		.argv = argv,
		.search_path = 1,
		.in = GB_PROC_NULL,
		.out = GB_PROC_TAIL,	/* only the last line matters */
		.err_to_out = 1,
		.own_group = 1,
		.die_with_parent = 1,
	};
	const struct gb_proc_wait_opts wo = { .timeout_ns = PROBE_TIMEOUT_NS };
	struct gb_proc_capture cap;
	struct gb_proc_end end;
	char *out = cap.tail, *last;
	size_t used;
	int rc;

	msg[0] = '\0';
	rc = gb_proc_run(&spec, &wo, &cap, &end);
	if (rc) {
		if (end.exec_errno)
			snprintf(msg, len, "cannot run %s: %s", python, strerror(end.exec_errno));
		else
			snprintf(msg, len, "%s", gb_error_msg());
		return rc;
	}
	if (end.timed_out) {
		snprintf(msg, len, "%s %s --probe did not answer in %llus", python, script,
			 (unsigned long long)(PROBE_TIMEOUT_NS / GB_NS_PER_S));
		return -ETIMEDOUT;
	}
	if (end.exited && end.exit_code == 0) {
		memcpy(facts, cap.tail, GB_PROC_TAIL_MAX);
		return 0;
	}
	/* The last non-empty line says why. */
	used = strlen(out);
	while (used && (out[used - 1] == '\n' || out[used - 1] == ' '))
		out[--used] = '\0';
	last = strrchr(out, '\n');
	last = last ? last + 1 : out;
	if (end.exited && end.exit_code == 3)
		snprintf(msg, len, "%s has no module %s", python, last);
	else if (end.exited && end.exit_code == 127)
		snprintf(msg, len, "cannot run %s", python);
	else
		snprintf(msg, len, "%s %s --probe failed%s%s", python, script, *last ? ": " : "", last);
	return -ENOENT;
}

size_t gb_worker_pythons(const struct gb_runtime_options *opt, const char *cands[2])
{
	const char *forced = option(opt, "python"), *env = getenv("GREENBENCH_PYTHON");

	cands[0] = forced && *forced ? forced : env && *env ? env : "python3";
	cands[1] = "/usr/bin/python3";
	return (forced && *forced) || (env && *env) ? 1 : 2;
}

/* The row's environment's python, when `make deps` made it. */
static int venv_python(const struct gb_runtime_ops *rt, char *buf, size_t len)
{
	char dir[PATH_MAX];

	return rt->venv && !gb_worker_venv_dir(dir, sizeof dir) &&
	       (size_t)snprintf(buf, len, "%s/%s/bin/python", dir, rt->venv) < len && !access(buf, X_OK);
}

/* Pick the first interpreter that can run the worker's probe: python=,
 * else the row's environment (even where GREENBENCH_PYTHON names another
 * Python, for torch, say), else those of gb_worker_pythons(). facts gets
 * the successful probe's output. */
static int pick_python(const struct gb_runtime_ops *rt, const struct gb_runtime_options *opt,
		       char *python, size_t plen, char *script, size_t slen, char facts[GB_PROC_TAIL_MAX])
{
	const char *cands[3], *forced = option(opt, "python");
	char venv[PATH_MAX + 32], dir[PATH_MAX], msg[512], first[512] = "";
	size_t ncand;
	int rc;

	if (!(forced && *forced) && venv_python(rt, venv, sizeof venv)) {
		cands[0] = venv;
		ncand = 1;
	} else {
		ncand = gb_worker_pythons(opt, cands);
	}
	rc = gb_worker_dir(dir, sizeof dir);
	if (rc)
		return rc;
	snprintf(script, slen, "%s/%s", dir, rt->worker_script);
	if (access(script, R_OK))
		return gb_error_set(-ENOENT, "cannot find worker '%s': %s", script, strerror(errno));
	for (size_t i = 0; i < ncand; i++) {
		rc = probe_one(cands[i], script, msg, sizeof msg, facts);
		if (!rc) {
			snprintf(python, plen, "%s", cands[i]);
			return 0;
		}
		if (!first[0])
			snprintf(first, sizeof first, "%s", msg);
	}
	return gb_error_set(-ENOENT, "%s", first);
}

int gb_worker_start_runtime(const struct gb_runtime_ops *rt, const struct gb_runtime_options *opt,
			    struct gb_worker **out)
{
	struct gb_worker_config cfg = { 0 };
	char python[PATH_MAX], script[PATH_MAX + 64];
	const char *argv[3];
	const char *t;
	int rc;

	*out = NULL;
	if (!rt || !rt->worker_script)
		return gb_error_set(-EINVAL, "'%s' is not a worker runtime", rt ? rt->name : "(none)");
	char facts[GB_PROC_TAIL_MAX];

	rc = pick_python(rt, opt, python, sizeof python, script, sizeof script, facts);
	if (rc)
		return gb_error_wrap(rc, "%s", rt->name);
	cfg.name = rt->name;
	argv[0] = python;
	argv[1] = script;
	argv[2] = NULL;
	cfg.argv = argv;
	cfg.stop = opt ? opt->stop : NULL;
	if ((t = option(opt, "timeout")) && (rc = gb_duration_parse(t, &cfg.timeout_ns)))
		return gb_error_wrap(rc, "option timeout");
	if ((t = option(opt, "start_timeout")) && (rc = gb_duration_parse(t, &cfg.start_timeout_ns)))
		return gb_error_wrap(rc, "option start_timeout");
	return gb_worker_start(&cfg, out);
}

/* ---- the ops every worker row shares ------------------------------------ */

int gb_worker_rt_probe(const struct gb_runtime_ops *self)
{
	char python[PATH_MAX], script[PATH_MAX + 64], facts[GB_PROC_TAIL_MAX];

	return pick_python(self, NULL, python, sizeof python, script, sizeof script, facts);
}

static void copy_json_string(const cJSON *obj, const char *key, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
}

int gb_worker_rt_info(const struct gb_runtime_ops *self, struct gb_runtime_info *out)
{
	char python[PATH_MAX], script[PATH_MAX + 64], text[GB_PROC_TAIL_MAX], *line;
	const cJSON *devs, *d;
	cJSON *obj;
	size_t off = 0;
	int rc;

	memset(out, 0, sizeof *out);
	rc = pick_python(self, NULL, python, sizeof python, script, sizeof script, text);
	if (rc)
		return rc;
	snprintf(out->interpreter, sizeof out->interpreter, "%s", python);
	/* The facts are the last line that is a JSON object; a worker that
	 * prints none (an older one) has only its interpreter to show. */
	while ((line = strrchr(text, '\n')) && !line[1])
		*line = '\0';
	line = strrchr(text, '\n');
	line = line ? line + 1 : text;
	if (*line != '{')
		return 0;
	obj = cJSON_Parse(line);
	if (!obj)
		return 0;
	copy_json_string(obj, "version", out->version, sizeof out->version);
	copy_json_string(obj, "note", out->note, sizeof out->note);
	devs = cJSON_GetObjectItemCaseSensitive(obj, "devices");
	cJSON_ArrayForEach(d, devs) {
		if (cJSON_IsString(d) && off < sizeof out->devices)
			off += (size_t)snprintf(out->devices + off, sizeof out->devices - off, "%s%s",
						off ? ", " : "", d->valuestring);
	}
	cJSON_Delete(obj);
	return 0;
}

const char *const gb_worker_origin_options[] = { "python", NULL };

/* name is one of the ", "-separated items of list. */
static int listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; *p; p += strspn(p, ", ")) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, name, len))
			return 1;
		p += n;
	}
	return 0;
}

int gb_worker_rt_ep_check(const struct gb_runtime_ops *self, const char *ep)
{
	struct gb_runtime_info info;
	char name[32], err[512];
	void *h;
	int rc;

	snprintf(name, sizeof name, "%.*s", (int)strcspn(ep, ":"), ep);
	if ((rc = gb_worker_rt_info(self, &info)))
		return rc;
	if (info.devices[0] && !listed(info.devices, name))
		return gb_error_set(-ENODEV, "ep '%s': the %s installed for %s (%s) can use %s only", name,
				    self->name, info.interpreter, info.version[0] ? info.version : "version unknown",
				    info.devices);
	if (strcmp(name, "cuda"))
		return 0;
	/* Every CUDA build needs the driver's library; loading it starts
	 * nothing. */
	if (!(h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL))) {
		const char *why = dlerror();

		snprintf(err, sizeof err, "%s", why ? why : "libcuda.so.1 does not load");
		return gb_error_set(-ENODEV, "ep 'cuda': no NVIDIA driver here (%s)", err);
	}
	dlclose(h);
	return 0;
}

/* The worker's own options of opt (harness options left out) in kv. */
static struct gb_runtime_options worker_options(const struct gb_runtime_options *opt, struct gb_kv *kv)
{
	struct gb_runtime_options o = *opt;

	o.n_ep_options = 0;
	for (size_t i = 0; i < opt->n_ep_options; i++)
		if (!gb_worker_is_harness_option(opt->ep_options[i].key))
			kv[o.n_ep_options++] = opt->ep_options[i];
	o.ep_options = kv;
	return o;
}

int gb_worker_rt_open(const struct gb_runtime_ops *self, const struct gb_runtime_options *opt,
		      void **session)
{
	struct gb_runtime_options o;
	struct gb_worker *w = NULL;
	struct gb_kv *kv = NULL;
	int rc;

	*session = NULL;
	kv = calloc(opt->n_ep_options ? opt->n_ep_options : 1, sizeof *kv);
	if (!kv)
		return gb_error_set(-ENOMEM, "out of memory");
	o = worker_options(opt, kv);
	rc = gb_worker_start_runtime(self, opt, &w);
	if (!rc)
		rc = gb_worker_load(w, &o);
	if (rc) {
		gb_worker_free(w);
		goto out;
	}
	*session = w;
out:
	free(kv);
	return rc;
}

int gb_worker_rt_reconfigure(void *s, const struct gb_runtime_options *opt)
{
	struct gb_kv *kv = calloc(opt->n_ep_options ? opt->n_ep_options : 1, sizeof *kv);
	struct gb_runtime_options o;
	int rc;

	if (!kv)
		return gb_error_set(-ENOMEM, "out of memory");
	o = worker_options(opt, kv);
	rc = gb_worker_configure(s, &o);
	free(kv);
	return rc;
}

int gb_worker_rt_describe(void *s, const struct gb_tensor_info **in, size_t *nin,
			  const struct gb_tensor_info **out, size_t *nout)
{
	return gb_worker_describe(s, in, nin, out, nout);
}

int gb_worker_rt_set_inputs(void *s, const struct gb_tensor *t, size_t n)
{
	return gb_worker_set_inputs(s, t, n);
}

int gb_worker_rt_run_batches(void *s, uint64_t n, uint64_t *lat_ns)
{
	return gb_worker_run(s, n, 0, lat_ns, NULL);
}

int gb_worker_rt_outputs(void *s, const struct gb_tensor **out, size_t *n)
{
	return gb_worker_outputs(s, out, n);
}

int gb_worker_rt_metadata(void *s, const struct gb_kv **kv, size_t *n)
{
	return gb_worker_metadata(s, kv, n);
}

int gb_worker_rt_last_phase(void *s, struct gb_runtime_phase *out)
{
	return gb_worker_last_phase(s, out);
}

void gb_worker_rt_close(void *s)
{
	gb_worker_stop(s);
}
