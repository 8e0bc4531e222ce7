/*
 * Runtimes that live in worker processes: one set of ops for every worker
 * row of the runtime table (GB_WORKER_RUNTIME in greenbench/worker.h), each
 * row naming its script. A new framework worker = one script in workers/ +
 * one row in runtimes.c (docs/worker-protocol.md, "Adding a worker").
 */
#include "greenbench/worker.h"

#include "greenbench/campaign.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PROBE_TIMEOUT_NS (30ULL * GB_NS_PER_S)

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int gb_worker_dir(char *buf, size_t len)
{
	const char *env = getenv("GREENBENCH_WORKERS_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		if (!is_dir(env))
			return gb_error_set(-ENOENT, "GREENBENCH_WORKERS_DIR '%s' is not a directory", env);
		snprintf(buf, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		/* build/greenbench, build/bench/x, installed bin/greenbench */
		static const char *const rel[] = { "../workers", "../../workers", "../share/greenbench/workers" };
		for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			snprintf(buf, len, "%s/%s", exe, rel[i]);
			if (is_dir(buf))
				return 0;
		}
	}
	return gb_error_set(-ENOENT, "cannot find the workers directory (set GREENBENCH_WORKERS_DIR)");
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
	char cache[PATH_MAX];
	int rc;

	if (env && *env) {
		if ((size_t)snprintf(buf, len, "%s", env) >= len)
			return gb_error_set(-ENAMETOOLONG, "path too long: '%s'", env);
		return 0;
	}
	if ((rc = gb_campaign_cache_dir(cache, sizeof cache)))
		return rc;
	if ((size_t)snprintf(buf, len, "%s/venv", cache) >= len)
		return gb_error_set(-ENAMETOOLONG, "path too long: '%s/venv'", cache);
	return 0;
}

/* Run `python script --probe`: 0 if it can start (its output, the tail of
 * stdout and stderr, in out), else -ENOENT with the missing module (the
 * script's last stderr line) in msg. */
static int probe_one(const char *python, const char *script, char *msg, size_t len, char *out,
		     size_t outlen)
{
	const char *argv[] = { python, script, "--probe", NULL };
	posix_spawn_file_actions_t fa;
	int p[2] = { -1, -1 }, rc = 0, status = 0;
	size_t used = 0;
	pid_t pid = -1;

	msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return gb_error_set(-errno, "cannot create a pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	rc = posix_spawnp(&pid, python, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc) {
		snprintf(msg, len, "cannot run %s: %s", python, strerror(rc));
		rc = -rc;
		goto out;
	}
	uint64_t deadline = gb_now_ns() + PROBE_TIMEOUT_NS;
	for (;;) {
		uint64_t now = gb_now_ns();
		struct pollfd pf = { p[0], POLLIN, 0 };
		if (now >= deadline) {
			kill(pid, SIGKILL);
			snprintf(msg, len, "%s %s --probe did not answer in %llus", python, script,
				 (unsigned long long)(PROBE_TIMEOUT_NS / GB_NS_PER_S));
			rc = -ETIMEDOUT;
			break;
		}
		if (poll(&pf, 1, (int)((deadline - now) / GB_NS_PER_MS) + 1) <= 0)
			continue;
		ssize_t k = read(p[0], out + used, outlen - 1 - used);
		if (k <= 0)
			break;
		used += (size_t)k;
		if (used == outlen - 1)
			used = 0; /* keep reading; only the tail matters */
	}
	out[used] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto out;
	/* The last non-empty line says why. */
	while (used && (out[used - 1] == '\n' || out[used - 1] == ' '))
		out[--used] = '\0';
	char *last = strrchr(out, '\n');
	last = last ? last + 1 : out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		snprintf(msg, len, "%s has no module %s", python, last);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(msg, len, "cannot run %s", python);
	else
		snprintf(msg, len, "%s %s --probe failed%s%s", python, script, *last ? ": " : "", last);
	rc = -ENOENT;
out:
	close(p[0]);
	return rc;
}

/* Pick the interpreter: python=..., else the row's virtual environment
 * when `make deps` made it, else GREENBENCH_PYTHON, else python3 from
 * PATH, else Debian's /usr/bin/python3 (where python3-torch goes when
 * PATH's python3 is another one, e.g. a pyenv shim). out (outlen bytes)
 * receives the successful probe's output. */
static int pick_python(const struct gb_runtime_ops *rt, const struct gb_runtime_options *opt,
		       char *python, size_t plen, char *script, size_t slen, char *out, size_t outlen)
{
	const char *forced = option(opt, "python"), *env = getenv("GREENBENCH_PYTHON");
	char venv[PATH_MAX + 32];
	const char *cands[3];
	size_t ncand = 0;
	char dir[PATH_MAX], msg[512], first[512] = "";
	int rc;

	rc = gb_worker_dir(dir, sizeof dir);
	if (rc)
		return rc;
	snprintf(script, slen, "%s/%s", dir, rt->worker_script);
	if (access(script, R_OK))
		return gb_error_set(-ENOENT, "cannot find worker '%s': %s", script, strerror(errno));
	if (forced && *forced) {
		cands[ncand++] = forced;
	} else if (rt->venv && !gb_worker_venv_dir(dir, sizeof dir) &&
		   (size_t)snprintf(venv, sizeof venv, "%s/%s/bin/python", dir, rt->venv) < sizeof venv &&
		   !access(venv, X_OK)) {
		/* The environment made for this runtime, even where
		 * GREENBENCH_PYTHON names another Python (for torch, say). */
		cands[ncand++] = venv;
	} else if (env && *env) {
		cands[ncand++] = env;
	} else {
		/* No environment (`make deps` could not make it, or another
		 * machine): the system's python3, whose probe says what is
		 * missing. */
		cands[ncand++] = "python3";
		cands[ncand++] = "/usr/bin/python3";
	}
	for (size_t i = 0; i < ncand; i++) {
		rc = probe_one(cands[i], script, msg, sizeof msg, out, outlen);
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
	char probe_out[1024];

	rc = pick_python(rt, opt, python, sizeof python, script, sizeof script, probe_out, sizeof probe_out);
	if (rc)
		return gb_error_wrap(rc, "%s", rt->name);
	cfg.name = rt->name;
	argv[0] = python;
	argv[1] = script;
	argv[2] = NULL;
	cfg.argv = argv;
	if ((t = option(opt, "timeout")) && (rc = gb_duration_parse(t, &cfg.timeout_ns)))
		return gb_error_wrap(rc, "option timeout");
	if ((t = option(opt, "start_timeout")) && (rc = gb_duration_parse(t, &cfg.start_timeout_ns)))
		return gb_error_wrap(rc, "option start_timeout");
	return gb_worker_start(&cfg, out);
}

/* ---- the ops every worker row shares ------------------------------------ */

int gb_worker_rt_probe(const struct gb_runtime_ops *self)
{
	char python[PATH_MAX], script[PATH_MAX + 64], out[1024];

	return pick_python(self, NULL, python, sizeof python, script, sizeof script, out, sizeof out);
}

static void copy_json_string(const cJSON *obj, const char *key, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
}

int gb_worker_rt_info(const struct gb_runtime_ops *self, struct gb_runtime_info *out)
{
	char python[PATH_MAX], script[PATH_MAX + 64], text[4096], *line;
	const cJSON *devs, *d;
	cJSON *obj;
	size_t off = 0;
	int rc;

	memset(out, 0, sizeof *out);
	rc = pick_python(self, NULL, python, sizeof python, script, sizeof script, text, sizeof text);
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

int gb_worker_rt_open(const struct gb_runtime_ops *self, const struct gb_runtime_options *opt,
		      void **session)
{
	struct gb_runtime_options o = *opt;
	struct gb_worker *w = NULL;
	struct gb_kv *kv = NULL;
	int rc;

	*session = NULL;
	kv = calloc(opt->n_ep_options ? opt->n_ep_options : 1, sizeof *kv);
	if (!kv)
		return gb_error_set(-ENOMEM, "out of memory");
	o.n_ep_options = 0;
	for (size_t i = 0; i < opt->n_ep_options; i++)
		if (!gb_worker_is_harness_option(opt->ep_options[i].key))
			kv[o.n_ep_options++] = opt->ep_options[i];
	o.ep_options = kv;
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
