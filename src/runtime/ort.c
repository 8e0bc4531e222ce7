/*
 * ONNX Runtime through its C API: the `ort` row of the runtime table.
 *
 * Execution providers: "cpu" (ORT's default provider), and "cuda" and
 * "tensorrt", which in ORT 1.29 builds are plugin libraries registered with
 * RegisterExecutionProviderLibrary and added with
 * SessionOptionsAppendExecutionProvider_V2 (the older
 * SessionOptionsAppendExecutionProvider_CUDA_V2 answers "not enabled in
 * this build" there). "cuda:1" selects the second CUDA device.
 *
 * EP options (--ep-option k=v): provider_lib=PATH and device_id=N are ours;
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
#include "greenbench/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define META_MAX 16

struct ort_session {
	const OrtApi *api;
	OrtEnv *env;
	OrtSession *sess;
	OrtMemoryInfo *cpu_mem;
	const OrtMemoryInfo *dev_mem;	/* EP device memory; NULL: host memory */
	OrtAllocator *dev_alloc;	/* shared allocator of dev_mem (env's) */
	OrtAllocator *cpu_alloc;	/* ORT's default allocator (not owned) */
	enum gb_io_placement io;

	size_t nin, nout;
	struct gb_tensor_info *in_info, *out_info;
	char **in_names, **out_names;

	/* Inputs: host buffers (host io) and their values; device values
	 * (device io) bound in binding. */
	void **in_bufs;
	OrtValue **in_vals;
	OrtIoBinding *binding;
	int have_inputs;

	/* Outputs of the last batch (host io), and host copies handed out. */
	OrtValue **out_vals;
	OrtValue **out_host;
	struct gb_tensor *out_tensors;

	char ep[32];
	char ep_name[64];
	char provider_lib[4096];
	int device_id;
	char opt_level[8], intra[16], inter[16];
	struct gb_kv meta[META_MAX];
	size_t nmeta;
};

static const struct {
	ONNXTensorElementDataType ort;
	enum gb_dtype gb;
} dtype_map[] = {
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, GB_DTYPE_F32 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, GB_DTYPE_F16 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, GB_DTYPE_BF16 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, GB_DTYPE_F64 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, GB_DTYPE_I64 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, GB_DTYPE_I32 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, GB_DTYPE_I8 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, GB_DTYPE_U8 },
	{ ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, GB_DTYPE_BOOL },
};

static enum gb_dtype from_ort(ONNXTensorElementDataType t)
{
	for (size_t i = 0; i < sizeof dtype_map / sizeof dtype_map[0]; i++)
		if (dtype_map[i].ort == t)
			return dtype_map[i].gb;
	return GB_DTYPE_UNKNOWN;
}

static ONNXTensorElementDataType to_ort(enum gb_dtype t)
{
	for (size_t i = 0; i < sizeof dtype_map / sizeof dtype_map[0]; i++)
		if (dtype_map[i].gb == t)
			return dtype_map[i].ort;
	return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

/* AllocatorFree reports a status nobody can act on; drop it. */
static void alloc_free(struct ort_session *s, void *p)
{
	OrtStatus *st = s->api->AllocatorFree(s->cpu_alloc, p);

	if (st)
		s->api->ReleaseStatus(st);
}

static int ort_probe(void)
{
	return gb_ort_load(NULL);
}

/* ---- opening -------------------------------------------------------- */

/* One input's or output's name, dtype and shape. */
static int read_info(struct ort_session *s, int input, size_t i, struct gb_tensor_info *info,
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
	info->dtype = from_ort(et);
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
		alloc_free(s, name);
	if (ti)
		api->ReleaseTypeInfo(ti);
	return ret;
}

static int read_signature(struct ort_session *s)
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

/* "cuda:1" -> ep "cuda", device 1. */
static int parse_ep(const char *text, int device_default, char *ep, size_t len, int *device)
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
	if (strcmp(ep, "cpu") && !gb_ort_plugin_find(ep))
		return gb_error_set(-EINVAL, "unknown execution provider '%s' for runtime 'ort' (known: cpu, cuda, tensorrt)",
				    ep);
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
static int apply_ep_options(struct ort_session *s, const struct gb_runtime_options *opt,
			    OrtSessionOptions *so, const char **keys, const char **vals, size_t *nkv)
{
	static const char *const algo[] = { "EXHAUSTIVE", "HEURISTIC", "DEFAULT", NULL };
	static const char *const bool01[] = { "0", "1", NULL };
	char *end;
	int ret;

	*nkv = 0;
	for (size_t i = 0; i < opt->n_ep_options; i++) {
		const char *k = opt->ep_options[i].key, *v = opt->ep_options[i].value;

		if (!strncmp(k, "session.", 8)) {
			ret = gb_ort_check(s->api->AddSessionConfigEntry(so, k, v),
					   "cannot set a session config entry");
			if (ret)
				return ret;
			continue;
		}
		if (!strcmp(s->ep, "cpu"))
			return gb_error_set(-EINVAL, "ep 'cpu' has no option '%s' (only session.* config entries)",
					    k);
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

static int set_threads_and_level(struct ort_session *s, const struct gb_runtime_options *opt,
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

static void add_meta(struct ort_session *s, const char *k, const char *v)
{
	if (s->nmeta < META_MAX && v && *v)
		s->meta[s->nmeta++] = (struct gb_kv){ k, v };
}

static void ort_close(void *session);

static int ort_open(const struct gb_runtime_options *opt, void **session)
{
	struct ort_session *s = NULL;
	const OrtApi *api = NULL;
	OrtSessionOptions *so = NULL;
	const OrtEpDevice *dev = NULL;
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
	ret = parse_ep(opt->ep ? opt->ep : "cpu", opt->device_id, s->ep, sizeof s->ep, &s->device_id);
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
	ret = apply_ep_options(s, opt, so, keys, vals, &nkv);
	if (!ret)
		ret = set_threads_and_level(s, opt, so);
	if (ret)
		goto fail;
	if (strcmp(s->ep, "cpu")) {
		const struct gb_ort_plugin *p = gb_ort_plugin_find(s->ep);
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

	add_meta(s, "ort_version", gb_ort_version());
	add_meta(s, "ort_library", gb_ort_lib_path());
	add_meta(s, "ep_name", s->ep_name);
	if (strcmp(s->ep, "cpu"))
		add_meta(s, "provider_lib", s->provider_lib);
	add_meta(s, "io", s->io == GB_IO_DEVICE ? "device" : "host");
	add_meta(s, "graph_opt_level", s->opt_level);
	add_meta(s, "intra_op_threads", s->intra);
	add_meta(s, "inter_op_threads", s->inter);
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
	struct ort_session *s = session;

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

/* ---- inputs and outputs -------------------------------------------- */

static void release_outputs(struct ort_session *s)
{
	for (size_t i = 0; i < s->nout; i++) {
		if (s->out_vals[i])
			s->api->ReleaseValue(s->out_vals[i]);
		if (s->out_host[i])
			s->api->ReleaseValue(s->out_host[i]);
		s->out_vals[i] = NULL;
		s->out_host[i] = NULL;
	}
}

static void release_inputs(struct ort_session *s)
{
	if (s->binding) {
		s->api->ReleaseIoBinding(s->binding);
		s->binding = NULL;
	}
	for (size_t i = 0; i < s->nin; i++) {
		if (s->in_vals[i])
			s->api->ReleaseValue(s->in_vals[i]);
		free(s->in_bufs[i]);
		s->in_vals[i] = NULL;
		s->in_bufs[i] = NULL;
	}
	s->have_inputs = 0;
}

static const struct gb_tensor *find_tensor(const struct gb_tensor *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].info.name, name))
			return &t[i];
	return NULL;
}

static int check_tensor(const struct gb_tensor_info *want, const struct gb_tensor *t)
{
	size_t count = gb_dtype_size(t->info.dtype);

	if (t->info.dtype != want->dtype)
		return gb_error_set(-EINVAL, "input '%s' is %s, the model wants %s", want->name,
				    gb_dtype_name(t->info.dtype), gb_dtype_name(want->dtype));
	if (t->info.rank != want->rank)
		return gb_error_set(-EINVAL, "input '%s' has rank %d, the model wants %d", want->name,
				    t->info.rank, want->rank);
	for (int d = 0; d < t->info.rank; d++) {
		if (t->info.dims[d] < 0 || (want->dims[d] >= 0 && want->dims[d] != t->info.dims[d]))
			return gb_error_set(-EINVAL, "input '%s' dim %d is %lld, the model wants %lld",
					    want->name, d, (long long)t->info.dims[d],
					    (long long)want->dims[d]);
		count *= (size_t)t->info.dims[d];
	}
	if (count != t->bytes || (t->bytes && !t->data))
		return gb_error_set(-EINVAL, "input '%s' holds %zu bytes, its shape needs %zu", want->name,
				    t->bytes, count);
	return 0;
}

/* Input i into a value in host memory (host io) or device memory. */
static int make_input(struct ort_session *s, size_t i, const struct gb_tensor *t)
{
	const OrtApi *api = s->api;
	ONNXTensorElementDataType et = to_ort(t->info.dtype);
	OrtValue *src = NULL;
	void *dst;
	int ret;

	/* A zero-byte malloc may return NULL; ORT wants a pointer. */
	s->in_bufs[i] = malloc(t->bytes ? t->bytes : 1);
	if (!s->in_bufs[i])
		return gb_error_set(-ENOMEM, "out of memory for input '%s' (%zu bytes)", t->info.name,
				    t->bytes);
	memcpy(s->in_bufs[i], t->data, t->bytes);
	ret = gb_ort_check(api->CreateTensorWithDataAsOrtValue(s->cpu_mem, s->in_bufs[i], t->bytes,
							       t->info.dims, (size_t)t->info.rank,
							       et, &src),
			   "cannot create an input tensor");
	if (ret || s->io == GB_IO_HOST) {
		s->in_vals[i] = src;
		return ret;
	}
	ret = gb_ort_check(api->CreateTensorAsOrtValue(s->dev_alloc ? s->dev_alloc : s->cpu_alloc,
						       t->info.dims, (size_t)t->info.rank, et,
						       &s->in_vals[i]),
			   "cannot allocate an input tensor on the device");
	if (ret)
		goto out;
	if (s->dev_alloc) {
		ret = gb_ort_check(api->CopyTensors(s->env, (const OrtValue *const *)&src,
						    &s->in_vals[i], NULL, 1),
				   "cannot copy an input to the device");
	} else {
		ret = gb_ort_check(api->GetTensorMutableData(s->in_vals[i], &dst),
				   "cannot reach an input tensor");
		if (!ret)
			memcpy(dst, t->data, t->bytes);
	}
out:
	api->ReleaseValue(src);
	free(s->in_bufs[i]);
	s->in_bufs[i] = NULL;
	return ret;
}

static int bind_io(struct ort_session *s)
{
	const OrtApi *api = s->api;
	const OrtMemoryInfo *out_mem = s->dev_alloc ? s->dev_mem : s->cpu_mem;
	int ret;

	ret = gb_ort_check(api->CreateIoBinding(s->sess, &s->binding), "cannot create an IO binding");
	for (size_t i = 0; !ret && i < s->nin; i++)
		ret = gb_ort_check(api->BindInput(s->binding, s->in_names[i], s->in_vals[i]),
				   "cannot bind an input");
	for (size_t i = 0; !ret && i < s->nout; i++)
		ret = gb_ort_check(api->BindOutputToDevice(s->binding, s->out_names[i], out_mem),
				   "cannot bind an output");
	if (!ret)
		ret = gb_ort_check(api->SynchronizeBoundInputs(s->binding),
				   "cannot synchronise the bound inputs");
	return ret;
}

static int ort_set_inputs(void *session, const struct gb_tensor *inputs, size_t n)
{
	struct ort_session *s = session;
	int ret = 0;

	release_outputs(s);
	release_inputs(s);
	for (size_t i = 0; i < s->nin; i++) {
		const struct gb_tensor *t = find_tensor(inputs, n, s->in_info[i].name);

		if (!t) {
			ret = gb_error_set(-EINVAL, "no data for input '%s'", s->in_info[i].name);
			goto out;
		}
		ret = check_tensor(&s->in_info[i], t);
		if (!ret)
			ret = make_input(s, i, t);
		if (ret)
			goto out;
	}
	if (s->io == GB_IO_DEVICE)
		ret = bind_io(s);
out:
	if (ret)
		release_inputs(s);
	else
		s->have_inputs = 1;
	return ret;
}

static int run_failed(OrtStatus *st, uint64_t i)
{
	char what[64];
	int ret;

	snprintf(what, sizeof what, "inference failed at run %llu", (unsigned long long)i + 1);
	ret = gb_ort_check(st, what);
	/* Out-of-memory is a cause of its own: the batch is too big. ORT says
	 * "Failed to allocate memory", "CUDA failure 2: out of memory",
	 * "CUBLAS_STATUS_ALLOC_FAILED", "Available memory of ... is smaller". */
	if (strcasestr(gb_error_msg(), "alloc") || strcasestr(gb_error_msg(), "memory"))
		ret = -ENOMEM;
	return ret;
}

static int ort_run_batches(void *session, uint64_t n, uint64_t *lat_ns)
{
	struct ort_session *s = session;
	const OrtApi *api = s->api;
	const char *const *in_names = (const char *const *)s->in_names;
	const char *const *out_names = (const char *const *)s->out_names;
	OrtStatus *st;
	uint64_t t0, t1;

	if (!s->have_inputs)
		return gb_error_set(-EINVAL, "no inputs set before running");
	/* One clock read per batch: a batch ends where the next begins, so
	 * releasing the previous outputs counts in the batch that frees them,
	 * as it does for a Python caller. */
	t0 = gb_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		if (s->binding) {
			st = api->RunWithBinding(s->sess, NULL, s->binding);
			if (!st)
				st = api->SynchronizeBoundOutputs(s->binding);
		} else {
			release_outputs(s);
			st = api->Run(s->sess, NULL, in_names, (const OrtValue *const *)s->in_vals, s->nin,
				      out_names, s->nout, s->out_vals);
		}
		t1 = gb_now_ns();
		if (st)
			return run_failed(st, i);
		if (lat_ns)
			lat_ns[i] = t1 - t0;
		t0 = t1;
	}
	return 0;
}

/* Fill s->out_tensors[i] from a host-memory value. */
static int describe_value(struct ort_session *s, size_t i, OrtValue *v)
{
	const OrtApi *api = s->api;
	OrtTensorTypeAndShapeInfo *tsi = NULL;
	struct gb_tensor *t = &s->out_tensors[i];
	ONNXTensorElementDataType et;
	size_t rank = 0, count = 0;
	int ret;

	memset(t, 0, sizeof *t);
	snprintf(t->info.name, sizeof t->info.name, "%s", s->out_names[i]);
	ret = gb_ort_check(api->GetTensorTypeAndShape(v, &tsi), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetTensorElementType(tsi, &et), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetDimensionsCount(tsi, &rank), "cannot read an output");
	if (!ret && rank > GB_TENSOR_MAX_RANK)
		ret = gb_error_set(-ENOTSUP, "output '%s' has rank %zu", t->info.name, rank);
	if (!ret)
		ret = gb_ort_check(api->GetDimensions(tsi, t->info.dims, rank), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetTensorShapeElementCount(tsi, &count), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetTensorMutableData(v, &t->data), "cannot read an output");
	if (!ret) {
		t->info.dtype = from_ort(et);
		t->info.rank = (int)rank;
		t->bytes = count * gb_dtype_size(t->info.dtype);
	}
	if (tsi)
		api->ReleaseTensorTypeAndShapeInfo(tsi);
	return ret;
}

/* A host copy of a device value (for device io on a GPU). */
static int copy_to_host(struct ort_session *s, OrtValue *v, OrtValue **host)
{
	const OrtApi *api = s->api;
	OrtTensorTypeAndShapeInfo *tsi = NULL;
	ONNXTensorElementDataType et;
	int64_t dims[GB_TENSOR_MAX_RANK];
	size_t rank = 0;
	int ret;

	ret = gb_ort_check(api->GetTensorTypeAndShape(v, &tsi), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetTensorElementType(tsi, &et), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetDimensionsCount(tsi, &rank), "cannot read an output");
	if (!ret && rank > GB_TENSOR_MAX_RANK)
		ret = gb_error_set(-ENOTSUP, "an output has rank %zu", rank);
	if (!ret)
		ret = gb_ort_check(api->GetDimensions(tsi, dims, rank), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->CreateTensorAsOrtValue(s->cpu_alloc, dims, rank, et, host),
				   "cannot allocate an output copy");
	if (!ret)
		ret = gb_ort_check(api->CopyTensors(s->env, (const OrtValue *const *)&v, host, NULL, 1),
				   "cannot copy an output to the host");
	if (tsi)
		api->ReleaseTensorTypeAndShapeInfo(tsi);
	return ret;
}

static int ort_outputs(void *session, const struct gb_tensor **out, size_t *n)
{
	struct ort_session *s = session;
	const OrtApi *api = s->api;
	OrtValue **bound = NULL;
	size_t nbound = 0;
	int ret = 0;

	if (s->binding) {
		ret = gb_ort_check(api->GetBoundOutputValues(s->binding, s->cpu_alloc, &bound, &nbound),
				   "cannot read the bound outputs");
		if (ret)
			return ret;
		if (nbound != s->nout) {
			ret = gb_error_set(-ENODATA, "no outputs yet: run a batch first");
			goto out;
		}
		for (size_t i = 0; i < s->nout; i++) {
			if (s->out_vals[i])
				api->ReleaseValue(s->out_vals[i]);
			if (s->out_host[i])
				api->ReleaseValue(s->out_host[i]);
			s->out_host[i] = NULL;
			s->out_vals[i] = bound[i];
			bound[i] = NULL;
			if (s->dev_alloc && (ret = copy_to_host(s, s->out_vals[i], &s->out_host[i])))
				goto out;
		}
	}
	for (size_t i = 0; i < s->nout; i++) {
		OrtValue *v = s->out_host[i] ? s->out_host[i] : s->out_vals[i];

		if (!v) {
			ret = gb_error_set(-ENODATA, "no outputs yet: run a batch first");
			goto out;
		}
		if ((ret = describe_value(s, i, v)))
			goto out;
	}
	*out = s->out_tensors;
	*n = s->nout;
out:
	if (bound) {
		for (size_t i = 0; i < nbound; i++)
			if (bound[i])
				api->ReleaseValue(bound[i]);
		alloc_free(s, bound);
	}
	return ret;
}

static int ort_metadata(void *session, const struct gb_kv **kv, size_t *n)
{
	struct ort_session *s = session;

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
	struct ort_session *s = session;

	if (!s)
		return;
	if (s->in_vals) {
		release_outputs(s);
		release_inputs(s);
	}
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

int gb_ort_session_raw(void *session, struct gb_ort_raw *raw)
{
	struct ort_session *s = session;

	if (s->io != GB_IO_HOST || !s->have_inputs)
		return gb_error_set(-EINVAL, "a raw session needs host io and inputs set");
	raw->api = s->api;
	raw->session = s->sess;
	raw->in_names = (const char *const *)s->in_names;
	raw->in_vals = (const OrtValue *const *)s->in_vals;
	raw->nin = s->nin;
	raw->out_names = (const char *const *)s->out_names;
	raw->nout = s->nout;
	return 0;
}

const struct gb_runtime_ops gb_runtime_ort = {
	.name = "ort",
	.summary = "ONNX Runtime through its C API (ep: cpu, cuda, tensorrt)",
	.probe = ort_probe,
	.open = ort_open,
	.describe = ort_describe,
	.set_inputs = ort_set_inputs,
	.run_batches = ort_run_batches,
	.outputs = ort_outputs,
	.metadata = ort_metadata,
	.close = ort_close,
};

#else /* !GB_HAVE_ORT */

#include <errno.h>

/* Built without the ORT headers: the row stays in the table so `devices`
 * and `run --runtime ort` can say why it is missing. */
static int ort_unavailable(void)
{
	return gb_error_set(-ENOSYS, "greenbench was built without ONNX Runtime headers (run 'make deps' or set ORT_ROOT, then rebuild)");
}

static int ort_open_unavailable(const struct gb_runtime_options *opt, void **session)
{
	(void)opt;
	*session = NULL;
	return ort_unavailable();
}

const struct gb_runtime_ops gb_runtime_ort = {
	.name = "ort",
	.summary = "ONNX Runtime through its C API (not built)",
	.probe = ort_unavailable,
	.open = ort_open_unavailable,
};

#endif
