/*
 * Worker processes: a runtime that lives in another process (a Python
 * framework, any language) driven over the protocol of
 * docs/worker-protocol.md.
 *
 * The harness spawns the worker (through greenbench/proc.h) in its own
 * process group, dying with greenbench (PR_SET_PDEATHSIG), with the protocol
 * on fds 3 (requests) and 4 (replies), both one Unix socket, and the
 * worker's stdout and stderr on one captured pipe: whatever a worker
 * prints cannot corrupt the protocol, and its last lines explain failures.
 * Every wait has a deadline; a worker that hangs is killed (SIGKILL to its
 * process group), one that dies, or sends a malformed reply, fails the
 * call with the reason (signal or exit status, the offending line quoted)
 * and the tail of its output. After such a failure the worker is gone and
 * every later call fails with the same reason.
 *
 * Ownership: gb_worker_start() returns a worker freed by gb_worker_free(),
 * which kills it if still running. Tensor info, outputs, latencies and
 * metadata returned by accessors belong to the worker and stay valid until
 * the next call that produces the same kind of data, or gb_worker_free().
 *
 * Units: CLOCK_MONOTONIC nanoseconds; CPU times in nanoseconds.
 * Thread-safety: one worker is used by one thread at a time. The library
 * never changes signal dispositions (writes use MSG_NOSIGNAL).
 */
#ifndef GREENBENCH_WORKER_H
#define GREENBENCH_WORKER_H

#include "greenbench/runtime.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GB_WORKER_START_TIMEOUT_NS (120ULL * 1000000000ULL)
#define GB_WORKER_TIMEOUT_NS (600ULL * 1000000000ULL)

struct gb_worker_config {
	const char *name;		/* for messages: "torch" */
	const char *const *argv;	/* NULL-terminated; argv[0] found in PATH */
	uint64_t start_timeout_ns;	/* spawn to hello reply; 0: default */
	uint64_t timeout_ns;		/* every other request; 0: default */
	volatile sig_atomic_t *stop;	/* set: a request ends (-EINTR), the worker is killed; may be NULL */
};

struct gb_worker;

/* Spawn, then exchange hello (the worker's name, version, protocol). */
int gb_worker_start(const struct gb_worker_config *cfg, struct gb_worker **out);
/* Ask for a clean exit (shutdown), wait, then free. Failures still free. */
int gb_worker_stop(struct gb_worker *w);
void gb_worker_free(struct gb_worker *w);

pid_t gb_worker_pid(const struct gb_worker *w);
/* The last lines (at most max_lines) of the worker's stdout+stderr. */
void gb_worker_output_tail(const struct gb_worker *w, size_t max_lines, char *buf, size_t len);

/* Requests. Each fills the last phase (gb_worker_last_phase). A failure the
 * worker reports itself ({"ok":false}) returns -EIO and leaves it usable. */
int gb_worker_load(struct gb_worker *w, const struct gb_runtime_options *opt);
int gb_worker_describe(struct gb_worker *w, const struct gb_tensor_info **inputs,
		       size_t *ninputs, const struct gb_tensor_info **outputs, size_t *noutputs);
int gb_worker_set_inputs(struct gb_worker *w, const struct gb_tensor *t, size_t n);
/* Run n batches, or for duration_ns when n is 0. *n_done (may be NULL)
 * gets the batches run; lat_ns (may be NULL; n entries when n > 0)
 * receives latencies. */
int gb_worker_run(struct gb_worker *w, uint64_t n, uint64_t duration_ns, uint64_t *lat_ns,
		  uint64_t *n_done);
/* Latencies of the last run (duration runs: their count is *n). */
int gb_worker_latencies(struct gb_worker *w, const uint64_t **lat_ns, size_t *n);
int gb_worker_outputs(struct gb_worker *w, const struct gb_tensor **out, size_t *n);
/* Export the loaded model to ONNX (torch worker: torch.onnx.export). */
int gb_worker_convert(struct gb_worker *w, const char *path, int opset);
/* Give the loaded model opt's ep options (all of them, harness options
 * left out): the worker changes what may change on a loaded model and
 * refuses the rest ({"ok":false}, -EIO: it keeps its settings). */
int gb_worker_configure(struct gb_worker *w, const struct gb_runtime_options *opt);
/* hello's and load's facts plus the harness's own (worker_*). */
int gb_worker_metadata(struct gb_worker *w, const struct gb_kv **kv, size_t *n);
int gb_worker_last_phase(struct gb_worker *w, struct gb_runtime_phase *out);

/* ---- Worker runtimes (rows of the runtime table) -------------------- */

/* Where worker programs live: GREENBENCH_WORKERS_DIR, else ../workers or
 * ../../workers from the executable's directory (build trees), else
 * ../share/greenbench/workers; gb_paths_workers_dir() (greenbench/paths.h). */
int gb_worker_dir(char *buf, size_t len);

/* Where `make deps` puts the frameworks' virtual environments:
 * GREENBENCH_VENV_DIR, else the cache directory's venv/
 * (gb_paths_cache_dir(NULL, "venv")). A row with a venv runs the worker
 * with <dir>/<venv>/bin/python when that exists, before the interpreters
 * of gb_worker_pythons() (unless python= names one). */
int gb_worker_venv_dir(char *buf, size_t len);

/* The interpreters a worker runtime tries, in order, into cands; returns
 * how many: python=PATH of opt (may be NULL), else GREENBENCH_PYTHON, else
 * python3 from PATH and then Debian's /usr/bin/python3 (where python3-torch
 * goes when PATH's python3 is another one, e.g. a pyenv shim). Static or
 * environment strings; nothing is run. */
size_t gb_worker_pythons(const struct gb_runtime_options *opt, const char *cands[2]);

/* Options a worker runtime takes for itself and never sends on:
 * python=PATH (interpreter), timeout=DUR, start_timeout=DUR. */
int gb_worker_is_harness_option(const char *key);

/* Start the worker of a worker runtime row (rt->worker_script) with the
 * harness options of opt (NULL: defaults). -EINVAL for a row without a
 * worker script. */
int gb_worker_start_runtime(const struct gb_runtime_ops *rt, const struct gb_runtime_options *opt,
			    struct gb_worker **out);

/* The ops every worker runtime row shares (src/runtime/worker_runtimes.c):
 * probe and open start self->worker_script; a session is a gb_worker. */
int gb_worker_rt_probe(const struct gb_runtime_ops *self);
/* The probe's facts: the worker's `--probe` prints one JSON line
 * {"version", "devices": [...], "note"} on success. */
int gb_worker_rt_info(const struct gb_runtime_ops *self, struct gb_runtime_info *out);
/* ep among the probe's devices (a worker that names none passes), and
 * for cuda the NVIDIA driver (libcuda.so.1) loadable. */
int gb_worker_rt_ep_check(const struct gb_runtime_ops *self, const char *ep);
/* The harness option python= runs the worker elsewhere than the probe. */
extern const char *const gb_worker_origin_options[];
int gb_worker_rt_open(const struct gb_runtime_ops *self, const struct gb_runtime_options *opt,
		      void **session);
int gb_worker_rt_describe(void *session, const struct gb_tensor_info **inputs, size_t *ninputs,
			  const struct gb_tensor_info **outputs, size_t *noutputs);
int gb_worker_rt_set_inputs(void *session, const struct gb_tensor *inputs, size_t n);
int gb_worker_rt_run_batches(void *session, uint64_t n, uint64_t *lat_ns);
int gb_worker_rt_outputs(void *session, const struct gb_tensor **out, size_t *n);
int gb_worker_rt_metadata(void *session, const struct gb_kv **kv, size_t *n);
int gb_worker_rt_last_phase(void *session, struct gb_runtime_phase *out);
void gb_worker_rt_close(void *session);
int gb_worker_rt_reconfigure(void *session, const struct gb_runtime_options *opt);

/* A worker runtime row: a new framework worker is one script in workers/
 * (docs/worker-protocol.md) plus one
 *   GB_WORKER_RUNTIME("name", "name_worker.py", "summary", eps, by_name, venv)
 * row in src/runtime/runtimes.c. eps: NULL-terminated list of the devices
 * it takes (NULL: any); by_name: it takes zoo models by name; venv: the
 * virtual environment (requirements/<venv>.txt) whose python runs it, or
 * NULL for the system's python3. GB_WORKER_RUNTIME_AXES adds its tunable
 * axes (greenbench/runtime.h). */
#define GB_WORKER_RUNTIME_AXES(name_, script_, summary_, eps_, by_name_, venv_, axes_)      \
	{                                                                                   \
		.name = (name_), .summary = (summary_), .worker_script = (script_),        \
		.eps = (eps_), .ep_required = 0, .zoo_by_name = (by_name_), .venv = (venv_),\
		.axes = (axes_),                                                            \
		.probe = gb_worker_rt_probe, .open = gb_worker_rt_open,                     \
		.describe = gb_worker_rt_describe, .set_inputs = gb_worker_rt_set_inputs,   \
		.run_batches = gb_worker_rt_run_batches, .outputs = gb_worker_rt_outputs,   \
		.metadata = gb_worker_rt_metadata, .close = gb_worker_rt_close,             \
		.last_phase = gb_worker_rt_last_phase, .info = gb_worker_rt_info,           \
		.ep_check = gb_worker_rt_ep_check, .origin_options = gb_worker_origin_options,\
		.reconfigure = gb_worker_rt_reconfigure,                                    \
	}

/* A worker row with no tunable axes. */
#define GB_WORKER_RUNTIME(name_, script_, summary_, eps_, by_name_, venv_) \
	GB_WORKER_RUNTIME_AXES(name_, script_, summary_, eps_, by_name_, venv_, NULL)

#endif
