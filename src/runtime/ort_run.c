/*
 * ORT sessions at work: inputs in host or device memory, batches timed
 * after their device work finished, outputs back on the host. See ort.c
 * for the I/O placements and ort_internal.h for the session.
 */
#ifdef GB_HAVE_ORT

#include "runtime/ort_internal.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void release_outputs(struct gb_ort_session *s)
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

static void release_inputs(struct gb_ort_session *s)
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
static int make_input(struct gb_ort_session *s, size_t i, const struct gb_tensor *t)
{
	const OrtApi *api = s->api;
	ONNXTensorElementDataType et = gb_ort_dtype_to(t->info.dtype);
	OrtValue *src = NULL;
	void *dst;
	int ret;

	/* A zero-byte malloc may return NULL; ORT wants a pointer. */
	s->in_bufs[i] = malloc(t->bytes ? t->bytes : 1);
	if (!s->in_bufs[i])
		return gb_error_mark(gb_error_set(-ENOMEM, "out of memory for input '%s' (%zu bytes)",
						  t->info.name, t->bytes),
				     GB_ERROR_KIND_OOM);
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

static int bind_io(struct gb_ort_session *s)
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

int gb_ort_set_inputs(void *session, const struct gb_tensor *inputs, size_t n)
{
	struct gb_ort_session *s = session;
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
	/* Out-of-memory is a cause of its own: the batch is too big. ORT's
	 * status has no code for it, so its text is the only source; here, at
	 * the boundary, it becomes the typed kind bench.c acts on. ORT says
	 * "Failed to allocate memory", "CUDA failure 2: out of memory",
	 * "CUBLAS_STATUS_ALLOC_FAILED", "Available memory of ... is smaller". */
	if (strcasestr(gb_error_msg(), "alloc") || strcasestr(gb_error_msg(), "memory"))
		ret = gb_error_mark(-ENOMEM, GB_ERROR_KIND_OOM);
	return ret;
}

int gb_ort_run_batches(void *session, uint64_t n, uint64_t *lat_ns)
{
	struct gb_ort_session *s = session;
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
		s->batches_run++;
	}
	return 0;
}

/* Element type, rank and dims of value v (name: the output's, or NULL);
 * the caller releases *tsi when set, on failure too. */
static int value_shape(const OrtApi *api, OrtValue *v, const char *name, OrtTensorTypeAndShapeInfo **tsi,
		       ONNXTensorElementDataType *et, int64_t *dims, size_t *rank)
{
	int ret = gb_ort_check(api->GetTensorTypeAndShape(v, tsi), "cannot read an output");

	if (!ret)
		ret = gb_ort_check(api->GetTensorElementType(*tsi, et), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetDimensionsCount(*tsi, rank), "cannot read an output");
	if (!ret && *rank > GB_TENSOR_MAX_RANK)
		ret = name ? gb_error_set(-ENOTSUP, "output '%s' has rank %zu", name, *rank) :
			     gb_error_set(-ENOTSUP, "an output has rank %zu", *rank);
	if (!ret)
		ret = gb_ort_check(api->GetDimensions(*tsi, dims, *rank), "cannot read an output");
	return ret;
}

/* Fill s->out_tensors[i] from a host-memory value. */
static int describe_value(struct gb_ort_session *s, size_t i, OrtValue *v)
{
	const OrtApi *api = s->api;
	OrtTensorTypeAndShapeInfo *tsi = NULL;
	struct gb_tensor *t = &s->out_tensors[i];
	ONNXTensorElementDataType et;
	size_t rank = 0, count = 0;
	int ret;

	memset(t, 0, sizeof *t);
	snprintf(t->info.name, sizeof t->info.name, "%s", s->out_names[i]);
	ret = value_shape(api, v, t->info.name, &tsi, &et, t->info.dims, &rank);
	if (!ret)
		ret = gb_ort_check(api->GetTensorShapeElementCount(tsi, &count), "cannot read an output");
	if (!ret)
		ret = gb_ort_check(api->GetTensorMutableData(v, &t->data), "cannot read an output");
	if (!ret) {
		t->info.dtype = gb_ort_dtype_from(et);
		t->info.rank = (int)rank;
		t->bytes = count * gb_dtype_size(t->info.dtype);
	}
	if (tsi)
		api->ReleaseTensorTypeAndShapeInfo(tsi);
	return ret;
}

/* A host copy of a device value (for device io on a GPU). */
static int copy_to_host(struct gb_ort_session *s, OrtValue *v, OrtValue **host)
{
	const OrtApi *api = s->api;
	OrtTensorTypeAndShapeInfo *tsi = NULL;
	ONNXTensorElementDataType et;
	int64_t dims[GB_TENSOR_MAX_RANK];
	size_t rank = 0;
	int ret;

	ret = value_shape(api, v, NULL, &tsi, &et, dims, &rank);
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

int gb_ort_outputs(void *session, const struct gb_tensor **out, size_t *n)
{
	struct gb_ort_session *s = session;
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
		gb_ort_alloc_free(s, bound);
	}
	return ret;
}

void gb_ort_release_io(struct gb_ort_session *s)
{
	if (s->in_vals) {
		release_outputs(s);
		release_inputs(s);
	}
}

int gb_ort_session_raw(void *session, struct gb_ort_raw *raw)
{
	struct gb_ort_session *s = session;

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

#else
typedef int gb_ort_run_unused;
#endif
