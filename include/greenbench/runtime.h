/*
 * Inference runtimes behind one ops table: the runtime plug-in API. The
 * tensor vocabulary it speaks (dtypes, tensor info, tensors, I/O placement,
 * key/value pairs) is greenbench/tensor.h.
 *
 * A runtime opens a model into a session (the "load" phase), describes its
 * inputs and outputs, takes input tensors, runs batches and reports outputs.
 * The C ONNX Runtime backend (src/runtime/ort.c) and worker-process
 * runtimes (src/runtime/worker.c: torch, ort-python, ...) implement it alike,
 * so `run`, campaigns and `compare` never know which one they drive.
 *
 * Each runtime is one row (struct gb_runtime_ops): its facts as data (EPs
 * it accepts, whether it needs one, whether it takes zoo models by name,
 * its worker script) and its ops. probe() and open() receive their own
 * row, so one set of functions serves every worker runtime; the other ops
 * receive the session, which keeps whatever of its row it needs.
 *
 * Ownership: sessions are created by open() and destroyed by close(). Tensor
 * info returned by describe() and outputs returned by outputs() belong to
 * the session and stay valid until the next run_batches() or close().
 * Input tensors passed to set_inputs() are copied or bound before it returns.
 *
 * Units: latencies in nanoseconds (CLOCK_MONOTONIC), sizes in bytes.
 *
 * Thread-safety: a session is used by one thread at a time.
 */
#ifndef GREENBENCH_RUNTIME_H
#define GREENBENCH_RUNTIME_H

#include "greenbench/inputs.h"
#include "greenbench/tensor.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct gb_runtime_options {
	const char *model;		/* file path, or a zoo/model name for workers */
	const char *ep;			/* execution provider / device: "cpu", "cuda", "tensorrt", "cuda:0" */
	const struct gb_kv *ep_options;	/* runtime-specific options, n_ep_options entries */
	size_t n_ep_options;
	int device_id;
	enum gb_io_placement io;
	int intra_op_threads;		/* 0: runtime default */
	int inter_op_threads;		/* 0: runtime default */
	int graph_opt_level;		/* -1: default; 0 none, 1 basic, 2 extended, 99 all */
	uint64_t seed;
	/* The run's batch and --dim values, for a runtime that builds per
	 * shape (TensorRT engines) or fixes the model's symbolic dims to them
	 * (ort, ep option static_dims, default 1); NULL: not known. Borrowed
	 * until open() returns. */
	const struct gb_input_config *shapes;
	/* Set (by a signal handler, say): a worker runtime's request that is
	 * waiting ends within 100 ms with -EINTR and the worker is killed (a
	 * torch.compile of minutes must not outlast Ctrl-C). Borrowed for the
	 * session's life; NULL: none. In-process runtimes do not read it. */
	volatile sig_atomic_t *stop;
};

void gb_runtime_options_init(struct gb_runtime_options *opt);

/* Clock and CPU time of one phase (load = open, set_inputs, run_batches)
 * as the runtime itself measured it: a worker process reports its own
 * CLOCK_MONOTONIC stamps, so the meter's series is cut exactly there. */
struct gb_runtime_phase {
	uint64_t t_start_ns, t_end_ns;
	int cpu_valid;			/* CPU time known (else absent) */
	uint64_t cpu_user_ns, cpu_system_ns; /* the runtime's processes, this phase */
};

/* ---- Tunable axes ------------------------------------------------------
 *
 * A row lists the options worth searching (`greenbench advise`, sweeps in
 * experiment files) as data. Each axis says what its values do, so a search
 * knows which candidates must be checked against the reference outputs
 * (NUMERIC) and which may share a loaded session (RUN_TIME). The advisor
 * enumerates candidates from these tables only: a new row brings its own. */

enum gb_axis_effect {
	GB_AXIS_SPEED,		/* changes speed only: outputs stay bit-for-bit */
	GB_AXIS_NUMERIC,	/* may change the outputs (precision, fusion, algorithms) */
};

enum gb_axis_scope {
	GB_AXIS_SESSION,	/* set when the session is opened: a new value needs a new session */
	GB_AXIS_RUN_TIME,	/* may change on an open session */
};

/* Where a value goes, in struct gb_runtime_options and on `greenbench run`. */
enum gb_axis_via {
	GB_AXIS_VIA_OPTION,	/* an --ep-option KEY=VALUE (provider or worker option) */
	GB_AXIS_VIA_THREADS,	/* --threads N (intra_op_threads) */
	GB_AXIS_VIA_OPT_LEVEL,	/* --opt-level N (graph_opt_level) */
	GB_AXIS_VIA_IO,		/* --io host|device */
	GB_AXIS_VIA_MODEL_DTYPE, /* a model converted to this dtype (zoo export --dtype) */
};

struct gb_runtime_axis {
	const char *name;		/* the option's key: "threads", "dtype", "prefer_nhwc" */
	const char *default_value;	/* what leaving it unset means, for people */
	/* Values to try besides the default, NULL-terminated; NULL: the
	 * integers 1, 2, 4, ... up to range_max (0: the online CPUs). */
	const char *const *values;
	unsigned range_max;
	const char *const *eps;		/* EPs it applies to (NULL-terminated); NULL: every EP */
	enum gb_axis_effect effect;
	enum gb_axis_scope scope;
	enum gb_axis_via via;
	const char *requires;		/* "io=device": another axis value it needs; NULL */
	int pins_batch;			/* a session with it set keeps its batch (CUDA graphs) */
	/* The prior a search orders by: the share of energy per item a value
	 * is expected to save against the default where the axis applies
	 * (0.35: a third less), from measurements cited beside the table; 0:
	 * no expectation, negative: expected to cost. A prior only decides
	 * what is screened first, never what is recommended. */
	double gain;
	/* A session with it set builds again for every new input shape
	 * (torch.compile, TensorRT engines): screened at one batch. */
	int builds_per_shape;
};

/* What a runtime found where it can start (`greenbench devices`). Every
 * field is a NUL-terminated string, empty when unknown. */
struct gb_runtime_info {
	char version[64];	/* the framework's version ("2.21.0") */
	char devices[128];	/* devices its installed build can use ("cpu", "cpu, cuda") */
	char interpreter[256];	/* worker runtimes: the Python that runs the worker */
	char note[256];		/* what it cannot do here and why ("bert-base: no gluonnlp") */
};

struct gb_runtime_ops {
	const char *name;	/* "ort", "torch", "ort-python" */
	const char *summary;
	/* The worker program (in gb_worker_dir()) of a worker runtime; NULL
	 * for a runtime that runs in this process. */
	const char *worker_script;
	/* The execution providers / devices it accepts, NULL-terminated
	 * ("cpu", "cuda", ...); each may carry a device suffix ":N". NULL:
	 * the runtime checks its EP itself. Plans are validated against it. */
	const char *const *eps;
	int ep_required;	/* a plan must name one of eps */
	/* Takes a zoo model by its name (the framework builds its own model,
	 * the study's "original model") instead of the exported ONNX file. */
	int zoo_by_name;
	/* The virtual environment a worker runtime's interpreter comes from
	 * (gb_worker_venv_dir()/<venv>/bin/python, filled by `make deps` from
	 * requirements/<venv>.txt); NULL: the system's python3. */
	const char *venv;
	/* Tunable axes (greenbench/runtime.h above), ended by a NULL name;
	 * NULL: none. Declared beside the rows in src/runtime/runtimes.c. */
	const struct gb_runtime_axis *axes;
	/* Can this runtime start here? 0, or -errno with the reason set
	 * (e.g. "python3 has no module torch"). Cheap; used by `devices`. */
	int (*probe)(const struct gb_runtime_ops *self);
	/* Create a session: the "load" phase. Errors name the cause (missing
	 * file, unknown EP, missing provider library). */
	int (*open)(const struct gb_runtime_ops *self, const struct gb_runtime_options *opt,
		    void **session);
	int (*describe)(void *session, const struct gb_tensor_info **inputs, size_t *ninputs,
			const struct gb_tensor_info **outputs, size_t *noutputs);
	/* Supply concrete inputs; placement follows opt->io. */
	int (*set_inputs)(void *session, const struct gb_tensor *inputs, size_t n);
	/* Run n batches back to back on the bound inputs; device work is
	 * synchronised before it returns. lat_ns (may be NULL) receives each
	 * batch's latency. */
	int (*run_batches)(void *session, uint64_t n, uint64_t *lat_ns);
	/* Outputs of the last batch, copied to host. Optional (NULL). */
	int (*outputs)(void *session, const struct gb_tensor **out, size_t *n);
	/* Key/value facts for the run record ("ort_version", "ep", ...).
	 * Pointers belong to the session. Optional (NULL). */
	int (*metadata)(void *session, const struct gb_kv **kv, size_t *n);
	void (*close)(void *session);
	/* Optional (NULL): the last phase as clocked by the runtime (added for
	 * worker runtimes; a NULL entry means "use the caller's own marks"). */
	int (*last_phase)(void *session, struct gb_runtime_phase *out);
	/* Optional (NULL): what probe found, for `devices`: called after a
	 * probe that succeeded. */
	int (*info)(const struct gb_runtime_ops *self, struct gb_runtime_info *out);
	/* Optional (NULL): can this runtime run on ep (one of eps, ":N"
	 * allowed) here, finding its provider where it looks by default? 0,
	 * or -errno with the reason set. It refuses only what surely cannot
	 * work: an EP the installed build lacks, a provider library that does
	 * not load, no device for it, no driver. Called after a probe that
	 * succeeded; it may load a provider library (a second or so). Used by
	 * `devices`, whose answer the campaign preflight reads. */
	int (*ep_check)(const struct gb_runtime_ops *self, const char *ep);
	/* EP options (NULL-terminated; NULL: none) that make the runtime or
	 * its provider come from elsewhere than ep_check looks (ort:
	 * provider_lib; a worker: python): a plan runtime setting one is left
	 * for its runs to check. */
	const char *const *origin_options;
	/* Optional (NULL): 1 when the session's first run_batches() also
	 * builds (or loads from a cache) what the device runs, e.g. a TensorRT
	 * engine, so the caller clocks that batch as a "build" phase of its
	 * own; 0 when there is nothing to build or open() built it. */
	int (*builds_on_first_run)(void *session);
	/* Optional (NULL): give an open session opt's settings, where opt
	 * differs from what it was opened (or last reconfigured) with only in
	 * axes of scope GB_AXIS_RUN_TIME, so the result is what a session
	 * opened with opt would give. Inputs must be set again afterwards.
	 * -EOPNOTSUPP (or another error, with its reason) when it cannot; the
	 * session then keeps its earlier settings and stays usable. */
	int (*reconfigure)(void *session, const struct gb_runtime_options *opt);
};

/* The runtime table (src/runtime/runtimes.c): static rows, never freed;
 * read-only, so any thread may read it. */
extern const struct gb_runtime_ops *const gb_runtime_table[];
extern const size_t gb_runtime_table_len;

/* rt->probe(rt), or 0 when the row has no probe. */
int gb_runtime_probe(const struct gb_runtime_ops *rt);
/* rt->open(rt, opt, session). */
int gb_runtime_open(const struct gb_runtime_ops *rt, const struct gb_runtime_options *opt,
		    void **session);

/* rt->ep_check(rt, ep), or 0 when the row has none. */
int gb_runtime_ep_check(const struct gb_runtime_ops *rt, const char *ep);
/* 1 when key is one of rt->origin_options. */
int gb_runtime_is_origin_option(const struct gb_runtime_ops *rt, const char *key);

/* The row called name, or NULL. */
const struct gb_runtime_ops *gb_runtime_find(const char *name);

/* 1 if rt accepts ep: one of rt->eps, alone or with a device suffix
 * ":N" ("cuda:1"); also 1 for any ep when rt->eps is NULL. */
int gb_runtime_accepts_ep(const struct gb_runtime_ops *rt, const char *ep);

/* Join names for messages, ", " between them: a NULL-terminated list
 * (a row's eps), or every row's name (gb_runtime_names). Truncated to len. */
void gb_runtime_join(const char *const *names, char *buf, size_t len);
void gb_runtime_names(char *buf, size_t len);

/* The axes of rt that apply on ep (NULL: any), in table order: up to max
 * pointers into the row; returns how many. */
size_t gb_runtime_axes(const struct gb_runtime_ops *rt, const char *ep,
		       const struct gb_runtime_axis **out, size_t max);
/* rt's axis called name, or NULL. */
const struct gb_runtime_axis *gb_runtime_axis_find(const struct gb_runtime_ops *rt, const char *name);
/* The values of an axis to try besides its default: the table's, or the
 * range expanded for ncpus (1, 2, 4, ..., ncpus). Up to max strings,
 * written into store (max entries of 16 bytes) when generated; returns
 * how many. */
size_t gb_runtime_axis_values(const struct gb_runtime_axis *a, unsigned ncpus, const char **out,
			      char (*store)[16], size_t max);
/* The `greenbench run` flag of a via (--threads, --opt-level, --io), or
 * NULL for an option passed as --ep-option KEY=VALUE or a model dtype. */
const char *gb_runtime_axis_flag(enum gb_axis_via via);
/* Set one axis value in opt: threads, opt level and io in place; an
 * option appended to kv (cap entries, *nkv used; opt->ep_options then
 * points at kv). The strings are borrowed. A model dtype is the caller's
 * (it names another model file): -EINVAL. -EINVAL naming the value when
 * it does not parse, -E2BIG when kv is full. */
int gb_runtime_axis_apply(const struct gb_runtime_axis *a, const char *value,
			  struct gb_runtime_options *opt, struct gb_kv *kv, size_t cap, size_t *nkv);

/* The ONNX Runtime library the ort runtime uses, loaded if need be (as its
 * probe does): its path and version string, static for the process; 0, or
 * a negative errno with why it cannot be loaded (both set to NULL). */
int gb_ort_library(const char **path, const char **version);

/* TensorRT's version ("10.15.1", from libnvinfer.so.10's
 * getInferLibVersion()) into buf; -ENOENT with the loader's reason and how
 * to get TensorRT when it cannot be loaded. Thread-safe. */
int gb_trt_version(char *buf, size_t len);

#endif
