/*
 * ONNX Runtime through its C API: the `ort` row of the runtime table.
 *
 * Execution providers: "cpu" (ORT's default provider); "cuda", which in
 * ORT 1.29 builds is a plugin library registered with
 * RegisterExecutionProviderLibrary and added with
 * SessionOptionsAppendExecutionProvider_V2 (the older
 * SessionOptionsAppendExecutionProvider_CUDA_V2 answers "not enabled in
 * this build" there); "tensorrt", a provider-bridge library added with
 * SessionOptionsAppendExecutionProvider_TensorRT_V2 (ort_trt.c). "cuda:1"
 * selects the second CUDA device.
 *
 * EP options (--ep-option k=v): static_dims=0|1 (ort_dims.c), provider_lib=PATH
 * and device_id=N are ours;
 * session.* keys become session config entries; every other key goes to the
 * provider as it is (cudnn_conv_algo_search, enable_cuda_graph, ...), after
 * the few we know are checked so a typo fails before a long load.
 *
 * I/O placement:
 *   host   inputs live in host memory; every Run() copies them to the
 *          device and the outputs back (what Python users of ORT measure);
 *   device inputs are copied to the EP's memory once and bound with an
 *          OrtIoBinding, outputs are bound to device memory; every batch is
 *          RunWithBinding() + SynchronizeBoundOutputs().
 * Either way a batch's latency is taken after its device work finished.
 */
#include "greenbench/runtime.h"
#include "greenbench/error.h"

#ifdef GB_HAVE_ORT

#include "runtime/ort_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ort_probe(const struct gb_runtime_ops *self)
{
	(void)self;
	return gb_ort_load(NULL);
}

/* ---- opening -------------------------------------------------------- */

/* One input's or output's name, dtype and shape. */
static int read_info(struct gb_ort_session *s, int input, size_t i, struct gb_tensor_info *info,
		     char **name_out)
{
	const OrtApi *api = s->api;
	OrtTypeInfo *ti = NULL;
	const OrtTensorTypeAndShapeInfo *tsi = NULL;
	enum ONNXType kind;
	ONNXTensorElementDataType et;
	const char *syms[GB_TENSOR_MAX_RANK];
	size_t rank;
	char *name = NULL;
	const char *what = input ? "input" : "output";
	int ret;

	ret = gb_ort_check(input ? api->SessionGetInputName(s->sess, i, s->cpu_alloc, &name)
				 : api->SessionGetOutputName(s->sess, i, s->cpu_alloc, &name),
			   "cannot read the model's tensor names");
	if (ret)
		goto out;
	snprintf(info->name, sizeof info->name, "%s", name);
	*name_out = strdup(name);
	if (!*name_out) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	ret = gb_ort_check(input ? api->SessionGetInputTypeInfo(s->sess, i, &ti)
				 : api->SessionGetOutputTypeInfo(s->sess, i, &ti),
			   "cannot read the model's tensor types");
	if (ret)
		goto out;
	ret = gb_ort_check(api->GetOnnxTypeFromTypeInfo(ti, &kind), "cannot read a tensor type");
	if (ret)
		goto out;
	if (kind != ONNX_TYPE_TENSOR) {
		/* Outputs of other kinds (sequences, maps) are left alone. */
		if (input)
			ret = gb_error_set(-ENOTSUP, "%s '%s' is not a tensor: not supported", what, info->name);
		info->dtype = GB_DTYPE_UNKNOWN;
		goto out;
	}
	ret = gb_ort_check(api->CastTypeInfoToTensorInfo(ti, &tsi), "cannot read a tensor type");
	if (!ret)
		ret = gb_ort_check(api->GetTensorElementType(tsi, &et), "cannot read a tensor type");
	if (!ret)
		ret = gb_ort_check(api->GetDimensionsCount(tsi, &rank), "cannot read a tensor shape");
	if (ret)
		goto out;
	if (rank > GB_TENSOR_MAX_RANK) {
		ret = gb_error_set(-ENOTSUP, "%s '%s' has rank %zu: at most %d supported", what,
				   info->name, rank, GB_TENSOR_MAX_RANK);
		goto out;
	}
	info->dtype = gb_ort_dtype_from(et);
	info->rank = (int)rank;
	ret = gb_ort_check(api->GetDimensions(tsi, info->dims, rank), "cannot read a tensor shape");
	if (!ret)
		ret = gb_ort_check(api->GetSymbolicDimensions(tsi, syms, rank),
				   "cannot read a tensor shape");
	if (ret)
		goto out;
	for (size_t d = 0; d < rank; d++) {
		if (info->dims[d] < 0)
			info->dims[d] = -1;
		snprintf(info->dim_params[d], sizeof info->dim_params[d], "%s",
			 syms[d] ? syms[d] : "");
	}
out:
	if (name)
		gb_ort_alloc_free(s, name);
	if (ti)
		api->ReleaseTypeInfo(ti);
	return ret;
}

static int read_signature(struct gb_ort_session *s)
{
	const OrtApi *api = s->api;
	int ret;

	ret = gb_ort_check(api->SessionGetInputCount(s->sess, &s->nin), "cannot read the model's inputs");
	if (!ret)
		ret = gb_ort_check(api->SessionGetOutputCount(s->sess, &s->nout),
				   "cannot read the model's outputs");
	if (ret)
		return ret;
	s->in_info = calloc(s->nin + 1, sizeof *s->in_info);
	s->out_info = calloc(s->nout + 1, sizeof *s->out_info);
	s->in_names = calloc(s->nin + 1, sizeof *s->in_names);
	s->out_names = calloc(s->nout + 1, sizeof *s->out_names);
	s->in_bufs = calloc(s->nin + 1, sizeof *s->in_bufs);
	s->in_vals = calloc(s->nin + 1, sizeof *s->in_vals);
	s->out_vals = calloc(s->nout + 1, sizeof *s->out_vals);
	s->out_host = calloc(s->nout + 1, sizeof *s->out_host);
	s->out_tensors = calloc(s->nout + 1, sizeof *s->out_tensors);
	if (!s->in_info || !s->out_info || !s->in_names || !s->out_names || !s->in_bufs ||
	    !s->in_vals || !s->out_vals || !s->out_host || !s->out_tensors)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nin; i++)
		if ((ret = read_info(s, 1, i, &s->in_info[i], &s->in_names[i])))
			return ret;
	for (size_t i = 0; i < s->nout; i++)
		if ((ret = read_info(s, 0, i, &s->out_info[i], &s->out_names[i])))
			return ret;
	return 0;
}

/* "cuda:1" -> ep "cuda", device 1, checked against the row's EP list. */
static int parse_ep(const struct gb_runtime_ops *self, const char *text, int device_default,
		    char *ep, size_t len, int *device)
{
	const char *colon = strchr(text, ':');
	char *end;
	long v;

	*device = device_default;
	snprintf(ep, len, "%.*s", colon ? (int)(colon - text) : (int)strlen(text), text);
	if (colon) {
		errno = 0;
		v = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || v < 0 || v > 1024)
			return gb_error_set(-EINVAL, "invalid device in ep '%s'", text);
		*device = (int)v;
	}
	if (!gb_runtime_accepts_ep(self, ep)) {
		char known[128];
		gb_runtime_join(self->eps, known, sizeof known);
		return gb_error_set(-EINVAL, "unknown execution provider '%s' for runtime 'ort' (known: %s)",
				    ep, known);
	}
	return 0;
}

static int check_choice(const char *key, const char *value, const char *const *ok)
{
	for (size_t i = 0; ok[i]; i++)
		if (!strcmp(value, ok[i]))
			return 0;
	return gb_error_set(-EINVAL, "invalid value '%s' for ep option '%s'", value, key);
}

/* Sort the EP options into ours, session config entries and the
 * provider's own, which are gathered into keys/vals. */
static int apply_ep_options(struct gb_ort_session *s, const struct gb_runtime_options *opt,
			    OrtSessionOptions *so, const char **keys, const char **vals, size_t *nkv)
{
	static const char *const algo[] = { "EXHAUSTIVE", "HEURISTIC", "DEFAULT", NULL };
	static const char *const bool01[] = { "0", "1", NULL };
	const struct gb_ort_plugin *p = gb_ort_plugin_find(s->ep);
	int tensorrt = p && p->how == GB_ORT_EP_TENSORRT_V2;
	char *end;
	int ret;

	*nkv = 0;
	for (size_t i = 0; i < opt->n_ep_options; i++) {
		const char *k = opt->ep_options[i].key, *v = opt->ep_options[i].value;

		if (!strcmp(k, GB_ORT_STATIC_DIMS)) {
			if ((ret = gb_ort_dims_option(s, v)))
				return ret;
			continue;
		}
		if (!strncmp(k, "session.", 8)) {
			ret = gb_ort_check(s->api->AddSessionConfigEntry(so, k, v),
					   "cannot set a session config entry");
			if (ret)
				return ret;
			continue;
		}
		if (!strcmp(s->ep, "cpu"))
			return gb_error_set(-EINVAL, "ep 'cpu' has no option '%s' (only static_dims and session.* config entries)",
					    k);
		/* TensorRT's own are ort_trt.c's (trt.h). */
		if (tensorrt && strcmp(k, "device_id"))
			continue;
		if (!strcmp(k, "provider_lib")) {
			snprintf(s->provider_lib, sizeof s->provider_lib, "%s", v);
			continue;
		}
		if (!strcmp(k, "device_id")) {
			long d = strtol(v, &end, 10);

			if (!*v || *end || d < 0 || d > 1024)
				return gb_error_set(-EINVAL, "invalid value '%s' for ep option 'device_id'", v);
			s->device_id = (int)d;
			continue;
		}
		if (!strcmp(k, "cudnn_conv_algo_search") && (ret = check_choice(k, v, algo)))
			return ret;
		if ((!strcmp(k, "enable_cuda_graph") || !strcmp(k, "trt_cuda_graph_enable")) &&
		    (ret = check_choice(k, v, bool01)))
			return ret;
		keys[*nkv] = k;
		vals[*nkv] = v;
		(*nkv)++;
	}
	return 0;
}

static int set_threads_and_level(struct gb_ort_session *s, const struct gb_runtime_options *opt,
				 OrtSessionOptions *so)
{
	const OrtApi *api = s->api;
	int lvl = opt->graph_opt_level, ret = 0;

	if (opt->intra_op_threads < 0 || opt->inter_op_threads < 0)
		return gb_error_set(-EINVAL, "thread counts must be 0 (runtime default) or positive");
	if (lvl >= 0) {
		if (lvl != ORT_DISABLE_ALL && lvl != ORT_ENABLE_BASIC && lvl != ORT_ENABLE_EXTENDED &&
		    lvl != 3 && lvl != ORT_ENABLE_ALL)
			return gb_error_set(-EINVAL, "invalid graph optimization level %d (0, 1, 2, 3 or 99)",
					    lvl);
		ret = gb_ort_check(api->SetSessionGraphOptimizationLevel(so, (GraphOptimizationLevel)lvl),
				   "cannot set the graph optimization level");
	}
	if (!ret && opt->intra_op_threads)
		ret = gb_ort_check(api->SetIntraOpNumThreads(so, opt->intra_op_threads),
				   "cannot set the intra-op thread count");
	if (!ret && opt->inter_op_threads)
		ret = gb_ort_check(api->SetInterOpNumThreads(so, opt->inter_op_threads),
				   "cannot set the inter-op thread count");
	snprintf(s->opt_level, sizeof s->opt_level, "%d", lvl >= 0 ? lvl : ORT_ENABLE_ALL);
	snprintf(s->intra, sizeof s->intra, "%d", opt->intra_op_threads);
	snprintf(s->inter, sizeof s->inter, "%d", opt->inter_op_threads);
	return ret;
}

void gb_ort_meta_add(struct gb_ort_session *s, const char *k, const char *v)
{
	if (s->nmeta < GB_ORT_META_MAX && v && *v)
		s->meta[s->nmeta++] = (struct gb_kv){ k, v };
}

/* The EP as `devices` checks it (ep_check, greenbench/runtime.h): its
 * provider where open() looks by default and, for a plugin, the device of
 * its number, as open() would take them. */
static int ort_ep_check(const struct gb_runtime_ops *self, const char *ep)
{
	const struct gb_ort_plugin *p;
	const OrtEpDevice *dev = NULL;
	OrtEnv *env = NULL;
	char name[32], used[4096];
	int ret, device;

	if ((ret = gb_ort_load(NULL)) || (ret = parse_ep(self, ep, 0, name, sizeof name, &device)))
		return ret;
	if (!(p = gb_ort_plugin_find(name)))
		return 0;	/* built in: cpu */
	if (p->how == GB_ORT_EP_TENSORRT_V2)
		return gb_ort_trt_check();
	if ((ret = gb_ort_env_acquire(&env)))
		return ret;
	ret = gb_ort_plugin_device(env, p, NULL, device, &dev, used, sizeof used);
	gb_ort_env_release();
	return ret;
}

static void ort_close(void *session);

static int ort_open(const struct gb_runtime_ops *self, const struct gb_runtime_options *opt,
		    void **session)
{
	struct gb_ort_session *s = NULL;
	const OrtApi *api = NULL;
	OrtSessionOptions *so = NULL;
	const OrtEpDevice *dev = NULL;
	const struct gb_ort_plugin *plugin = NULL;
	const char **keys = NULL, **vals = NULL;
	size_t nkv = 0;
	char what[4300];
	int ret, fd;

	*session = NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return gb_error_set(-ENOMEM, "out of memory");
	ret = gb_ort_load(&s->api);
	if (ret)
		goto fail;
	api = s->api;
	ret = parse_ep(self, opt->ep ? opt->ep : "cpu", opt->device_id, s->ep, sizeof s->ep, &s->device_id);
	if (ret)
		goto fail;
	if (!opt->model || !*opt->model) {
		ret = gb_error_set(-EINVAL, "no model given");
		goto fail;
	}
	/* ORT's own message for a missing file is long and mentions a
	 * protobuf; say it the usual way. */
	fd = open(opt->model, O_RDONLY);
	if (fd < 0) {
		ret = gb_error_set(-errno, "cannot open model '%s': %s", opt->model, strerror(errno));
		goto fail;
	}
	close(fd);
	ret = gb_ort_env_acquire(&s->env);
	if (ret)
		goto fail;
	s->io = opt->io;
	ret = gb_ort_check(s->api->GetAllocatorWithDefaultOptions(&s->cpu_alloc),
			   "cannot get ORT's default allocator");
	if (!ret)
		ret = gb_ort_check(s->api->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault,
							       &s->cpu_mem),
				   "cannot describe host memory");
	if (!ret)
		ret = gb_ort_check(s->api->CreateSessionOptions(&so), "cannot create session options");
	if (ret)
		goto fail;
	keys = calloc(opt->n_ep_options + 1, sizeof *keys);
	vals = calloc(opt->n_ep_options + 1, sizeof *vals);
	if (!keys || !vals) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	plugin = gb_ort_plugin_find(s->ep);
	ret = apply_ep_options(s, opt, so, keys, vals, &nkv);
	if (!ret)
		ret = set_threads_and_level(s, opt, so);
	if (!ret)
		ret = gb_ort_dims_apply(s, opt, so);
	if (ret)
		goto fail;
	if (plugin && plugin->how == GB_ORT_EP_TENSORRT_V2) {
		ret = gb_ort_trt_append(s, opt, so);
		if (ret)
			goto fail;
	} else if (plugin) {
		const struct gb_ort_plugin *p = plugin;
		char used[4096];

		ret = gb_ort_plugin_device(s->env, p, s->provider_lib, s->device_id, &dev, used,
					   sizeof used);
		if (ret)
			goto fail;
		snprintf(s->provider_lib, sizeof s->provider_lib, "%s", used);
		snprintf(s->ep_name, sizeof s->ep_name, "%s", p->ep_name);
		snprintf(what, sizeof what, "ep '%s': cannot add %s to the session", s->ep, p->ep_name);
		ret = gb_ort_check(s->api->SessionOptionsAppendExecutionProvider_V2(so, s->env, &dev, 1,
										    keys, vals, nkv),
				   what);
		if (ret)
			goto fail;
		s->dev_mem = s->api->EpDevice_MemoryInfo(dev, OrtDeviceMemoryType_DEFAULT);
	} else {
		snprintf(s->ep_name, sizeof s->ep_name, "CPUExecutionProvider");
	}
	snprintf(what, sizeof what, "cannot load model '%s'", opt->model);
	ret = gb_ort_check(s->api->CreateSession(s->env, opt->model, so, &s->sess), what);
	if (ret)
		goto fail;
	if (s->io == GB_IO_DEVICE && s->dev_mem) {
		ret = gb_ort_check(s->api->GetSharedAllocator(s->env, s->dev_mem, &s->dev_alloc),
				   "cannot get the device allocator");
		if (!ret && !s->dev_alloc)
			ret = gb_error_set(-ENODEV, "ep '%s' has no device allocator for --io device",
					   s->ep);
		if (ret)
			goto fail;
	}
	ret = read_signature(s);
	if (ret)
		goto fail;

	gb_ort_meta_add(s, "ort_version", gb_ort_version());
	gb_ort_meta_add(s, "ort_library", gb_ort_lib_path());
	gb_ort_meta_add(s, "ep_name", s->ep_name);
	if (strcmp(s->ep, "cpu"))
		gb_ort_meta_add(s, "provider_lib", s->provider_lib);
	gb_ort_meta_add(s, "io", s->io == GB_IO_DEVICE ? "device" : "host");
	gb_ort_meta_add(s, "graph_opt_level", s->opt_level);
	gb_ort_meta_add(s, "intra_op_threads", s->intra);
	gb_ort_meta_add(s, "inter_op_threads", s->inter);
	if (s->trt)
		gb_ort_trt_describe(s);
	gb_ort_meta_add(s, GB_ORT_STATIC_DIMS, s->dims_symbolic ? "0" : "1");
	gb_ort_meta_add(s, "free_dims", s->free_dims);
	*session = s;
	s = NULL;
fail:
	if (so)
		api->ReleaseSessionOptions(so);
	free(keys);
	free(vals);
	if (s)
		ort_close(s);
	return ret;
}

static int ort_describe(void *session, const struct gb_tensor_info **inputs, size_t *ninputs,
			const struct gb_tensor_info **outputs, size_t *noutputs)
{
	struct gb_ort_session *s = session;

	if (inputs)
		*inputs = s->in_info;
	if (ninputs)
		*ninputs = s->nin;
	if (outputs)
		*outputs = s->out_info;
	if (noutputs)
		*noutputs = s->nout;
	return 0;
}

static int ort_metadata(void *session, const struct gb_kv **kv, size_t *n)
{
	struct gb_ort_session *s = session;

	gb_ort_trt_refresh(s);
	*kv = s->meta;
	*n = s->nmeta;
	return 0;
}

static void free_names(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void ort_close(void *session)
{
	struct gb_ort_session *s = session;

	if (!s)
		return;
	gb_ort_release_io(s);
	gb_ort_trt_free(s);
	if (s->sess)
		s->api->ReleaseSession(s->sess);
	if (s->cpu_mem)
		s->api->ReleaseMemoryInfo(s->cpu_mem);
	if (s->env)
		gb_ort_env_release();
	free_names(s->in_names, s->nin);
	free_names(s->out_names, s->nout);
	free(s->in_info);
	free(s->out_info);
	free(s->in_bufs);
	free(s->in_vals);
	free(s->out_vals);
	free(s->out_host);
	free(s->out_tensors);
	free(s);
}


/* provider_lib loads the provider from another place than ort_ep_check
 * looks. */
static const char *const origin_options[] = { "provider_lib", NULL };

const struct gb_runtime_ops gb_runtime_ort = {
	.name = "ort",
	.summary = "ONNX Runtime through its C API (ep: cpu, cuda, tensorrt)",
	.eps = gb_ort_eps,
	.ep_required = 1,
	.axes = gb_ort_axes,
	.probe = ort_probe,
	.ep_check = ort_ep_check,
	.origin_options = origin_options,
	.open = ort_open,
	.describe = ort_describe,
	.set_inputs = gb_ort_set_inputs,
	.run_batches = gb_ort_run_batches,
	.outputs = gb_ort_outputs,
	.metadata = ort_metadata,
	.close = ort_close,
	.builds_on_first_run = gb_ort_trt_builds_on_first_run,
};

#else /* !GB_HAVE_ORT */

#include "runtime/ort_providers.h"

#include <errno.h>

/* Built without the ORT headers: the row stays in the table so `devices`
 * and `run --runtime ort` can say why it is missing. */
static int ort_unavailable(const struct gb_runtime_ops *self)
{
	(void)self;
	return gb_error_set(-ENOSYS, "greenbench was built without ONNX Runtime headers (run 'make deps' or set ORT_ROOT, then rebuild)");
}

static int ort_open_unavailable(const struct gb_runtime_ops *self,
				const struct gb_runtime_options *opt, void **session)
{
	(void)opt;
	*session = NULL;
	return ort_unavailable(self);
}

int gb_ort_library(const char **path, const char **version)
{
	*path = NULL;
	*version = NULL;
	return ort_unavailable(NULL);
}

/* Same facts as the built row: plans stay valid wherever they are read. */
const struct gb_runtime_ops gb_runtime_ort = {
	.name = "ort",
	.summary = "ONNX Runtime through its C API (not built)",
	.eps = gb_ort_eps,
	.ep_required = 1,
	.axes = gb_ort_axes,
	.probe = ort_unavailable,
	.open = ort_open_unavailable,
};

#endif
