/*
 * Runtimes that live in worker processes: the rows gb_runtime_torch and
 * gb_runtime_ort_python of the runtime table, both driven through the
 * worker harness. A new framework worker = one script in workers/ + one
 * line in worker_kinds[] + one `const struct gb_runtime_ops` below + one
 * row in runtimes.c (docs/worker-protocol.md, "Adding a worker").
 */
#include "greenbench/worker.h"

#include "greenbench/error.h"
#include "greenbench/time.h"

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

struct worker_kind {
	const char *runtime;	/* runtime table name */
	const char *script;	/* in the workers directory */
};

static const struct worker_kind worker_kinds[] = {
	{ "torch", "torch_worker.py" },
	{ "ort-python", "ort_worker.py" },
};

#define PROBE_TIMEOUT_NS (30ULL * GB_NS_PER_S)

static const struct worker_kind *kind_find(const char *runtime)
{
	for (size_t i = 0; i < sizeof worker_kinds / sizeof worker_kinds[0]; i++)
		if (!strcmp(worker_kinds[i].runtime, runtime))
			return &worker_kinds[i];
	return NULL;
}

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

/* Run `python script --probe`: 0 if it can start, else -ENOENT with the
 * missing module (the script's last stderr line) in msg. */
static int probe_one(const char *python, const char *script, char *msg, size_t len)
{
	const char *argv[] = { python, script, "--probe", NULL };
	posix_spawn_file_actions_t fa;
	int p[2] = { -1, -1 }, rc = 0, status = 0;
	char out[1024];
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
		ssize_t k = read(p[0], out + used, sizeof out - 1 - used);
		if (k <= 0)
			break;
		used += (size_t)k;
		if (used == sizeof out - 1)
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

size_t gb_worker_pythons(const struct gb_runtime_options *opt, const char *cands[2])
{
	const char *forced = option(opt, "python"), *env = getenv("GREENBENCH_PYTHON");

	cands[0] = forced && *forced ? forced : env && *env ? env : "python3";
	cands[1] = "/usr/bin/python3";
	return (forced && *forced) || (env && *env) ? 1 : 2;
}

/* Pick the first interpreter of gb_worker_pythons() that can run the
 * worker's probe. */
static int pick_python(const struct worker_kind *k, const struct gb_runtime_options *opt,
		       char *python, size_t plen, char *script, size_t slen)
{
	const char *cands[2];
	size_t ncand = gb_worker_pythons(opt, cands);
	char dir[PATH_MAX], msg[512], first[512] = "";
	int rc;

	rc = gb_worker_dir(dir, sizeof dir);
	if (rc)
		return rc;
	snprintf(script, slen, "%s/%s", dir, k->script);
	if (access(script, R_OK))
		return gb_error_set(-ENOENT, "cannot find worker '%s': %s", script, strerror(errno));
	for (size_t i = 0; i < ncand; i++) {
		rc = probe_one(cands[i], script, msg, sizeof msg);
		if (!rc) {
			snprintf(python, plen, "%s", cands[i]);
			return 0;
		}
		if (!first[0])
			snprintf(first, sizeof first, "%s", msg);
	}
	return gb_error_set(-ENOENT, "%s", first);
}

int gb_worker_start_runtime(const char *runtime, const struct gb_runtime_options *opt,
			    struct gb_worker **out)
{
	const struct worker_kind *k = kind_find(runtime);
	struct gb_worker_config cfg = { 0 };
	char python[PATH_MAX], script[PATH_MAX + 64];
	const char *argv[3];
	const char *t;
	int rc;

	*out = NULL;
	if (!k)
		return gb_error_set(-EINVAL, "'%s' is not a worker runtime", runtime);
	rc = pick_python(k, opt, python, sizeof python, script, sizeof script);
	if (rc)
		return gb_error_wrap(rc, "%s", runtime);
	cfg.name = k->runtime;
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

/* ---- the ops rows ------------------------------------------------------ */

static int worker_probe(const char *runtime)
{
	const struct worker_kind *k = kind_find(runtime);
	char python[PATH_MAX], script[PATH_MAX + 64];

	return pick_python(k, NULL, python, sizeof python, script, sizeof script);
}

static int torch_probe(void)
{
	return worker_probe("torch");
}

static int ort_python_probe(void)
{
	return worker_probe("ort-python");
}

static int worker_open(const char *runtime, const struct gb_runtime_options *opt, void **session)
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
	rc = gb_worker_start_runtime(runtime, opt, &w);
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

static int torch_open(const struct gb_runtime_options *opt, void **session)
{
	return worker_open("torch", opt, session);
}

static int ort_python_open(const struct gb_runtime_options *opt, void **session)
{
	return worker_open("ort-python", opt, session);
}

static int w_describe(void *s, const struct gb_tensor_info **in, size_t *nin,
		      const struct gb_tensor_info **out, size_t *nout)
{
	return gb_worker_describe(s, in, nin, out, nout);
}

static int w_set_inputs(void *s, const struct gb_tensor *t, size_t n)
{
	return gb_worker_set_inputs(s, t, n);
}

static int w_run_batches(void *s, uint64_t n, uint64_t *lat_ns)
{
	return gb_worker_run(s, n, 0, lat_ns, NULL);
}

static int w_outputs(void *s, const struct gb_tensor **out, size_t *n)
{
	return gb_worker_outputs(s, out, n);
}

static int w_metadata(void *s, const struct gb_kv **kv, size_t *n)
{
	return gb_worker_metadata(s, kv, n);
}

static int w_last_phase(void *s, struct gb_runtime_phase *out)
{
	return gb_worker_last_phase(s, out);
}

static void w_close(void *s)
{
	gb_worker_stop(s);
}

const struct gb_runtime_ops gb_runtime_torch = {
	.name = "torch",
	.summary = "PyTorch in a Python worker (eager, torch.compile, CUDA graphs; workers/torch_worker.py)",
	.probe = torch_probe,
	.open = torch_open,
	.describe = w_describe,
	.set_inputs = w_set_inputs,
	.run_batches = w_run_batches,
	.outputs = w_outputs,
	.metadata = w_metadata,
	.close = w_close,
	.last_phase = w_last_phase,
};

const struct gb_runtime_ops gb_runtime_ort_python = {
	.name = "ort-python",
	.summary = "ONNX Runtime through its Python API in a worker (workers/ort_worker.py)",
	.probe = ort_python_probe,
	.open = ort_python_open,
	.describe = w_describe,
	.set_inputs = w_set_inputs,
	.run_batches = w_run_batches,
	.outputs = w_outputs,
	.metadata = w_metadata,
	.close = w_close,
	.last_phase = w_last_phase,
};
