/*
 * The table of inference runtimes.
 *
 * Adding a runtime = one row here. A worker runtime is one script in
 * workers/ + one GB_WORKER_RUNTIME row (greenbench/worker.h); an
 * in-process runtime is one new file in src/runtime/ defining a
 * `const struct gb_runtime_ops gb_runtime_<name>` + its row here. Rows
 * whose probe() fails are still listed by `greenbench devices` with the
 * reason. Plans are validated against the rows' names and EP lists.
 */
#include "greenbench/runtime.h"
#include "greenbench/worker.h"
#include "runtime/ort_providers.h"

#include "greenbench/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct gb_runtime_ops gb_runtime_ort;

/* cpu and cuda[:N]: every Python framework worker's devices. */
static const char *const framework_eps[] = { "cpu", "cuda", NULL };

/* ---- Tunable axes, one table per row ------------------------------------
 *
 * What `greenbench advise` may try, and how (docs/advise.md). Columns:
 * name (the option key), default (unset), values tried besides it (NULL:
 * 1, 2, 4, ... CPUs), EPs, effect (SPEED: outputs unchanged; NUMERIC:
 * checked against the fp32 reference), scope (RUN_TIME: an open session
 * can take a new value, see reconfigure), where it goes, what it needs,
 * whether it pins the batch, the prior (the share of energy per item a
 * value is expected to save: what the advisor screens first), whether it
 * builds per input shape. Options ORT documents but that are left out,
 * and why, are in docs/advise.md.
 *
 * The priors are issue 12's hand measurements on the H200 (ResNet-50, GPU
 * mJ/image): ORT fp32 -> fp16 94.0 -> 60.6 (0.35), fp16 + prefer_nhwc
 * 51.4 (0.15), CUDA graphs 62.6 -> 62.6 (0), use_tf32=0 103.9 -> 182.7
 * (-0.75); torch fp32 -> fp16 99.7 -> 64.2 (0.35), bf16 + channels_last
 * 64.9 -> 42.1 (0.35), + torch.compile 42.1 -> 27.7 (0.35), CUDA graphs
 * 46.1 against 42.1 (0). Options that only trade speed for memory or a
 * faster first batch (HEURISTIC search, no max workspace) are expected to
 * cost a little (-0.02); threads and optimisation levels have no
 * measurement behind them (0). */

#define S(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define CUDA_EPS S("cuda")
#define SPEED GB_AXIS_SPEED
#define NUMERIC GB_AXIS_NUMERIC
#define SESSION GB_AXIS_SESSION
#define RUN_TIME GB_AXIS_RUN_TIME

/* ORT's CUDA provider options (OrtCUDAProviderOptionsV2), shared by the C
 * backend and ort-python, which pass them to the provider as they are. */
#define ORT_CUDA_AXES                                                                                  \
	{ "prefer_nhwc", "0", S("1"), 0, CUDA_EPS, NUMERIC, SESSION, GB_AXIS_VIA_OPTION, NULL, 0, 0.15, 0 }, \
	{ "cudnn_conv_algo_search", "EXHAUSTIVE", S("HEURISTIC"), 0, CUDA_EPS, NUMERIC, SESSION,      \
	  GB_AXIS_VIA_OPTION, NULL, 0, -0.02, 0 },                                                     \
	{ "use_tf32", "1", S("0"), 0, CUDA_EPS, NUMERIC, SESSION, GB_AXIS_VIA_OPTION, NULL, 0, -0.75, 0 }, \
	{ "cudnn_conv_use_max_workspace", "1", S("0"), 0, CUDA_EPS, SPEED, SESSION,                   \
	  GB_AXIS_VIA_OPTION, NULL, 0, -0.02, 0 }

/* The C backend's row (src/runtime/ort.c) takes its axes from here. */
const struct gb_runtime_axis gb_ort_axes[] = {
	{ "threads", "ORT's (one per core)", NULL, 0, S("cpu"), SPEED, SESSION, GB_AXIS_VIA_THREADS, NULL, 0, 0, 0 },
	{ "opt_level", "99 (all)", S("1", "2"), 0, NULL, NUMERIC, SESSION, GB_AXIS_VIA_OPT_LEVEL, NULL, 0, 0, 0 },
	/* the prior is the GPU's: ORT's CPU kernels for float16 are few */
	{ "dtype", "fp32", S("fp16"), 0, NULL, NUMERIC, SESSION, GB_AXIS_VIA_MODEL_DTYPE, NULL, 0, 0.35, 0 },
	{ "io", "host", S("device"), 0, CUDA_EPS, SPEED, SESSION, GB_AXIS_VIA_IO, NULL, 0, 0.05, 0 },
	{ "enable_cuda_graph", "0", S("1"), 0, CUDA_EPS, SPEED, SESSION, GB_AXIS_VIA_OPTION, "io=device", 1, 0, 0 },
	ORT_CUDA_AXES,
	{ .name = NULL },
};

static const struct gb_runtime_axis ort_python_axes[] = {
	{ "threads", "ORT's (one per core)", NULL, 0, S("cpu"), SPEED, SESSION, GB_AXIS_VIA_THREADS, NULL, 0, 0, 0 },
	{ "opt_level", "99 (all)", S("1", "2"), 0, NULL, NUMERIC, SESSION, GB_AXIS_VIA_OPT_LEVEL, NULL, 0, 0, 0 },
	ORT_CUDA_AXES,
	{ .name = NULL },
};

/* workers/torch_worker.py's options. dtype (autocast), channels_last,
 * cuda_graphs and io change on a loaded model (the worker's `configure`);
 * the worker captures its CUDA graph again at every inputs request, so it
 * pins no batch. io's prior: the advisor's first H200 answer (2026-12-01)
 * was torch fp16 + channels_last + torch.compile at batch 256 with host
 * inputs, 43.0 mJ/image at 7,396 images/s, where the same with inputs on
 * the GPU gave 27.7 at 25,122 by hand: copying 154 MB of fp32 images per
 * batch over PCIe and the logits back bound it (0.35). */
static const struct gb_runtime_axis torch_axes[] = {
	{ "dtype", "fp32", S("fp16", "bf16"), 0, CUDA_EPS, NUMERIC, RUN_TIME, GB_AXIS_VIA_OPTION, NULL, 0, 0.35, 0 },
	{ "channels_last", "0", S("1"), 0, NULL, NUMERIC, RUN_TIME, GB_AXIS_VIA_OPTION, NULL, 0, 0.35, 0 },
	{ "io", "host", S("device"), 0, CUDA_EPS, SPEED, RUN_TIME, GB_AXIS_VIA_IO, NULL, 0, 0.35, 0 },
	{ "compile", "none", S("default", "max-autotune-no-cudagraphs"), 0, NULL, NUMERIC, SESSION,
	  GB_AXIS_VIA_OPTION, NULL, 0, 0.35, 1 },
	{ "cuda_graphs", "0", S("1"), 0, CUDA_EPS, SPEED, RUN_TIME, GB_AXIS_VIA_OPTION, NULL, 0, 0, 0 },
	{ .name = NULL },
};

#undef S
#undef CUDA_EPS
#undef SPEED
#undef NUMERIC
#undef SESSION
#undef RUN_TIME

/* torch takes zoo models by name: PyTorch's own model is the study's
 * "original model" row (docs/worker-protocol.md). */
static const struct gb_runtime_ops gb_runtime_torch = GB_WORKER_RUNTIME_AXES(
	"torch", "torch_worker.py",
	"PyTorch in a Python worker (eager, torch.compile, CUDA graphs; workers/torch_worker.py)",
	framework_eps, 1, NULL, torch_axes);

/* Python's onnxruntime takes the C backend's provider names. */
static const struct gb_runtime_ops gb_runtime_ort_python = GB_WORKER_RUNTIME_AXES(
	"ort-python", "ort_worker.py",
	"ONNX Runtime through its Python API in a worker (workers/ort_worker.py)", gb_ort_eps, 0, NULL,
	ort_python_axes);

/* The study's other frameworks build the zoo models themselves, each in
 * the environment `make deps` makes for it (requirements/<venv>.txt). */
static const struct gb_runtime_ops gb_runtime_tf = GB_WORKER_RUNTIME(
	"tf", "tf_worker.py",
	"TensorFlow in a Python worker (eager, tf.function graph, XLA; workers/tf_worker.py)",
	framework_eps, 1, "tf");

/* Keras 3 on JAX, PyTorch or TensorFlow: the tf environment has JAX too. */
static const struct gb_runtime_ops gb_runtime_keras = GB_WORKER_RUNTIME(
	"keras", "keras_worker.py",
	"Keras 3 on a backend=jax|torch|tensorflow in a Python worker (workers/keras_worker.py)",
	framework_eps, 1, "tf");

static const struct gb_runtime_ops gb_runtime_mxnet = GB_WORKER_RUNTIME(
	"mxnet", "mxnet_worker.py",
	"MXNet 1.9 Gluon, hybridized, in a Python worker (workers/mxnet_worker.py)",
	framework_eps, 1, "mxnet");

const struct gb_runtime_ops *const gb_runtime_table[] = {
	&gb_runtime_ort,
	&gb_runtime_torch,
	&gb_runtime_ort_python,
	&gb_runtime_tf,
	&gb_runtime_keras,
	&gb_runtime_mxnet,
};

const size_t gb_runtime_table_len = sizeof gb_runtime_table / sizeof gb_runtime_table[0];

const struct gb_runtime_ops *gb_runtime_find(const char *name)
{
	for (size_t i = 0; i < gb_runtime_table_len; i++)
		if (gb_runtime_table[i] && !strcmp(gb_runtime_table[i]->name, name))
			return gb_runtime_table[i];
	return NULL;
}

int gb_runtime_probe(const struct gb_runtime_ops *rt)
{
	return rt->probe ? rt->probe(rt) : 0;
}

int gb_runtime_open(const struct gb_runtime_ops *rt, const struct gb_runtime_options *opt,
		    void **session)
{
	return rt->open(rt, opt, session);
}

int gb_runtime_ep_check(const struct gb_runtime_ops *rt, const char *ep)
{
	return rt->ep_check ? rt->ep_check(rt, ep) : 0;
}

int gb_runtime_is_origin_option(const struct gb_runtime_ops *rt, const char *key)
{
	for (size_t i = 0; rt->origin_options && rt->origin_options[i]; i++)
		if (!strcmp(rt->origin_options[i], key))
			return 1;
	return 0;
}

/* "cuda:1" names "cuda" on device 1; the device is the runtime's to check. */
static int device_suffix(const char *s)
{
	if (*s != ':' || !s[1])
		return 0;
	for (s++; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int gb_runtime_accepts_ep(const struct gb_runtime_ops *rt, const char *ep)
{
	if (!rt->eps)
		return 1;
	for (size_t i = 0; rt->eps[i]; i++) {
		size_t n = strlen(rt->eps[i]);
		if (!strncmp(ep, rt->eps[i], n) && (!ep[n] || device_suffix(ep + n)))
			return 1;
	}
	return 0;
}

void gb_runtime_join(const char *const *names, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; names[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
}

void gb_runtime_names(char *buf, size_t len)
{
	const char *names[sizeof gb_runtime_table / sizeof gb_runtime_table[0] + 1];
	size_t n = 0;

	for (size_t i = 0; i < gb_runtime_table_len; i++)
		if (gb_runtime_table[i])
			names[n++] = gb_runtime_table[i]->name;
	names[n] = NULL;
	gb_runtime_join(names, buf, len);
}

void gb_runtime_options_init(struct gb_runtime_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->ep = "cpu";
	opt->graph_opt_level = -1;
}

/* ---- axes ---------------------------------------------------------------- */

static int axis_on_ep(const struct gb_runtime_axis *a, const char *ep)
{
	struct gb_runtime_ops probe = { .eps = a->eps };

	return !ep || !a->eps || gb_runtime_accepts_ep(&probe, ep);
}

size_t gb_runtime_axes(const struct gb_runtime_ops *rt, const char *ep,
		       const struct gb_runtime_axis **out, size_t max)
{
	size_t n = 0;

	for (const struct gb_runtime_axis *a = rt->axes; a && a->name && n < max; a++)
		if (axis_on_ep(a, ep))
			out[n++] = a;
	return n;
}

const struct gb_runtime_axis *gb_runtime_axis_find(const struct gb_runtime_ops *rt, const char *name)
{
	for (const struct gb_runtime_axis *a = rt->axes; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

size_t gb_runtime_axis_values(const struct gb_runtime_axis *a, unsigned ncpus, const char **out,
			      char (*store)[16], size_t max)
{
	unsigned top = a->range_max ? a->range_max : (ncpus ? ncpus : 1);
	size_t n = 0;

	if (a->values) {
		for (; a->values[n] && n < max; n++)
			out[n] = a->values[n];
		return n;
	}
	for (unsigned v = 1; n < max; v = v * 2 < top && v * 2 > v ? v * 2 : top) {
		snprintf(store[n], sizeof store[n], "%u", v);
		out[n] = store[n];
		n++;
		if (v == top)
			break;
	}
	return n;
}

const char *gb_runtime_axis_flag(enum gb_axis_via via)
{
	switch (via) {
	case GB_AXIS_VIA_THREADS: return "--threads";
	case GB_AXIS_VIA_OPT_LEVEL: return "--opt-level";
	case GB_AXIS_VIA_IO: return "--io";
	default: return NULL;
	}
}

static int axis_int(const struct gb_runtime_axis *a, const char *value, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (!*value || *end || errno || v < 0 || v > max)
		return gb_error_set(-EINVAL, "invalid %s '%s': expected an integer from 0 to %ld", a->name,
				    value, max);
	*out = (int)v;
	return 0;
}

int gb_runtime_axis_apply(const struct gb_runtime_axis *a, const char *value,
			  struct gb_runtime_options *opt, struct gb_kv *kv, size_t cap, size_t *nkv)
{
	switch (a->via) {
	case GB_AXIS_VIA_THREADS:
		return axis_int(a, value, 4096, &opt->intra_op_threads);
	case GB_AXIS_VIA_OPT_LEVEL:
		return axis_int(a, value, 99, &opt->graph_opt_level);
	case GB_AXIS_VIA_IO:
		if (strcmp(value, "host") && strcmp(value, "device"))
			return gb_error_set(-EINVAL, "invalid io '%s': expected host or device", value);
		opt->io = strcmp(value, "device") ? GB_IO_HOST : GB_IO_DEVICE;
		return 0;
	case GB_AXIS_VIA_OPTION:
		if (*nkv >= cap)
			return gb_error_set(-E2BIG, "too many options (at most %zu)", cap);
		kv[*nkv].key = a->name;
		kv[*nkv].value = value;
		(*nkv)++;
		opt->ep_options = kv;
		opt->n_ep_options = *nkv;
		return 0;
	default:
		return gb_error_set(-EINVAL, "%s=%s names another model file, not an option", a->name, value);
	}
}
