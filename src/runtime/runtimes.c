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

#include <ctype.h>
#include <stdio.h>
#include <string.h>

extern const struct gb_runtime_ops gb_runtime_ort;

/* cpu and cuda[:N]: every Python framework worker's devices. */
static const char *const framework_eps[] = { "cpu", "cuda", NULL };

/* torch takes zoo models by name: PyTorch's own model is the study's
 * "original model" row (docs/worker-protocol.md). */
static const struct gb_runtime_ops gb_runtime_torch = GB_WORKER_RUNTIME(
	"torch", "torch_worker.py",
	"PyTorch in a Python worker (eager, torch.compile, CUDA graphs; workers/torch_worker.py)",
	framework_eps, 1, NULL);

/* Python's onnxruntime takes the C backend's provider names. */
static const struct gb_runtime_ops gb_runtime_ort_python = GB_WORKER_RUNTIME(
	"ort-python", "ort_worker.py",
	"ONNX Runtime through its Python API in a worker (workers/ort_worker.py)", gb_ort_eps, 0, NULL);

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
