/*
 * The worker requests above the wire: load, inputs, run, outputs, convert.
 * Tensors travel as raw row-major files in the worker's exchange directory
 * (no tensor bytes in JSON), named in the messages.
 */
#include "runtime/worker_impl.h"

#include "greenbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int need_alive(struct gb_worker *w)
{
	return w->dead ? gb_error_set(-EPIPE, "%s", w->reason) : 0;
}

static int copy_infos(const struct gb_wp_tensor *t, size_t n, struct gb_tensor_info **out)
{
	free(*out);
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		(*out)[i] = t[i].info;
	return 0;
}

int gb_worker_load(struct gb_worker *w, const struct gb_runtime_options *opt)
{
	int rc = need_alive(w);

	if (!rc)
		rc = gb_wp_encode_load(&w->req, opt);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_LOAD, w->timeout_ns);
	if (!rc)
		rc = copy_infos(w->rep.inputs, w->rep.ninputs, &w->in_info);
	if (!rc)
		w->nin = w->rep.ninputs;
	if (!rc)
		rc = copy_infos(w->rep.outputs, w->rep.noutputs, &w->out_info);
	if (!rc)
		w->nout = w->rep.noutputs;
	if (!rc)
		rc = gb_worker_meta_take_reply(w);
	if (!rc && w->phase.cpu_valid) {
		rc = gb_worker_meta_set_u64(w, "worker_load_cpu_user_ns", w->phase.cpu_user_ns);
		if (!rc)
			rc = gb_worker_meta_set_u64(w, "worker_load_cpu_system_ns", w->phase.cpu_system_ns);
	}
	return rc;
}

int gb_worker_describe(struct gb_worker *w, const struct gb_tensor_info **inputs, size_t *ninputs,
		       const struct gb_tensor_info **outputs, size_t *noutputs)
{
	if (!w->in_info)
		return gb_error_set(-EINVAL, "%s worker: describe before load", w->name);
	*inputs = w->in_info;
	*ninputs = w->nin;
	*outputs = w->out_info;
	*noutputs = w->nout;
	return 0;
}

static int tensor_bytes(const struct gb_tensor_info *info, size_t *bytes)
{
	size_t n = gb_dtype_size(info->dtype);

	if (!n)
		return -EINVAL;
	for (int d = 0; d < info->rank; d++) {
		if (info->dims[d] < 0 || (info->dims[d] && n > SIZE_MAX / (size_t)info->dims[d]))
			return -EINVAL;
		n *= (size_t)info->dims[d];
	}
	*bytes = n;
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;
	int rc = 0;

	if (fd < 0)
		return gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = gb_error_set(k < 0 ? -errno : -EIO, "cannot write '%s': %s", path,
					  k < 0 ? strerror(errno) : "short write");
			goto out;
		}
		p += k;
		len -= (size_t)k;
	}
out:
	if (close(fd) && !rc)
		rc = gb_error_set(-errno, "cannot write '%s': %s", path, strerror(errno));
	return rc;
}

int gb_worker_set_inputs(struct gb_worker *w, const struct gb_tensor *t, size_t n)
{
	struct gb_wp_tensor *wt = NULL;
	char path[PATH_MAX + 64];
	int rc = need_alive(w);

	if (rc)
		goto out;
	wt = calloc(n ? n : 1, sizeof *wt);
	if (!wt) {
		rc = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		size_t want;
		if (tensor_bytes(&t[i].info, &want) || want != t[i].bytes) {
			rc = gb_error_set(-EINVAL, "input '%s': %zu bytes do not match its %s shape",
					  t[i].info.name, t[i].bytes, gb_dtype_name(t[i].info.dtype));
			goto out;
		}
		wt[i].info = t[i].info;
		snprintf(wt[i].file, sizeof wt[i].file, "in-%zu.bin", i);
		snprintf(path, sizeof path, "%s/%s", w->dir, wt[i].file);
		rc = write_file(path, t[i].data, t[i].bytes);
		if (rc)
			goto out;
	}
	rc = gb_wp_encode_inputs(&w->req, wt, n);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_INPUTS, w->timeout_ns);
out:
	free(wt);
	return rc;
}

int gb_worker_run(struct gb_worker *w, uint64_t n, uint64_t duration_ns, uint64_t *lat_ns,
		  uint64_t *n_done)
{
	int rc = need_alive(w);

	if (rc)
		return rc;
	rc = gb_wp_encode_run(&w->req, n, n ? 0 : duration_ns, 1);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_RUN, w->timeout_ns);
	if (rc)
		return rc;
	if (n && w->rep.n != n)
		return gb_error_set(-EPROTO, "%s worker: asked for %llu batches, ran %llu", w->name,
				    (unsigned long long)n, (unsigned long long)w->rep.n);
	if (w->rep.nlat != w->rep.n)
		return gb_error_set(-EPROTO, "%s worker: %llu batches but %zu latencies", w->name,
				    (unsigned long long)w->rep.n, w->rep.nlat);
	if (lat_ns && n)
		memcpy(lat_ns, w->rep.lat_ns, n * sizeof *lat_ns);
	if (n_done)
		*n_done = w->rep.n;
	w->nruns++;
	w->run_cpu_valid = w->nruns == 1 ? w->phase.cpu_valid : w->run_cpu_valid && w->phase.cpu_valid;
	w->cpu_run_user_ns += w->phase.cpu_user_ns;
	w->cpu_run_sys_ns += w->phase.cpu_system_ns;
	return 0;
}

int gb_worker_latencies(struct gb_worker *w, const uint64_t **lat_ns, size_t *n)
{
	*lat_ns = w->rep.lat_ns;
	*n = w->rep.nlat;
	return 0;
}

static int read_file(const char *path, void *data, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *p = data;
	int rc = 0;

	if (fd < 0)
		return gb_error_set(-errno, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len) {
		rc = gb_error_set(-EPROTO, "'%s' holds %lld bytes, its shape needs %zu", path,
				  (long long)st.st_size, len);
		goto out;
	}
	while (len) {
		ssize_t k = read(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rc = gb_error_set(-EIO, "cannot read '%s'", path);
			goto out;
		}
		p += k;
		len -= (size_t)k;
	}
out:
	close(fd);
	return rc;
}

int gb_worker_outputs(struct gb_worker *w, const struct gb_tensor **out, size_t *n)
{
	char path[PATH_MAX + 300];
	int rc = need_alive(w);

	if (!rc)
		rc = gb_wp_encode_outputs(&w->req);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_OUTPUTS, w->timeout_ns);
	if (rc)
		return rc;
	gb_worker_clear_outputs(w);
	w->outs = calloc(w->rep.noutputs ? w->rep.noutputs : 1, sizeof *w->outs);
	if (!w->outs)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < w->rep.noutputs; i++) {
		struct gb_tensor *t = &w->outs[i];
		t->info = w->rep.outputs[i].info;
		if (tensor_bytes(&t->info, &t->bytes))
			return gb_error_set(-EPROTO, "%s worker: output '%s' has no concrete shape", w->name,
					    t->info.name);
		t->data = malloc(t->bytes ? t->bytes : 1);
		w->nouts = i + 1;
		if (!t->data)
			return gb_error_set(-ENOMEM, "out of memory");
		snprintf(path, sizeof path, "%s/%s", w->dir, w->rep.outputs[i].file);
		rc = read_file(path, t->data, t->bytes);
		unlink(path);
		if (rc)
			return gb_error_wrap(rc, "%s worker: output '%s'", w->name, t->info.name);
	}
	*out = w->outs;
	*n = w->nouts;
	return 0;
}

int gb_worker_convert(struct gb_worker *w, const char *path, int opset)
{
	int rc = need_alive(w);

	if (!rc)
		rc = gb_wp_encode_convert(&w->req, path, opset);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_CONVERT, w->timeout_ns);
	return rc;
}

int gb_worker_configure(struct gb_worker *w, const struct gb_runtime_options *opt)
{
	int rc = need_alive(w);

	if (!rc)
		rc = gb_wp_encode_configure(&w->req, opt);
	if (!rc)
		rc = gb_worker_transact(w, GB_WP_CONFIGURE, w->timeout_ns);
	if (!rc)
		rc = gb_worker_meta_take_reply(w);
	return rc;
}

/* Fold the run totals into the metadata when asked, not on every batch. */
int gb_worker_run_totals(struct gb_worker *w)
{
	int rc = gb_worker_meta_set_u64(w, "worker_runs", w->nruns);

	if (!rc && w->nruns && w->run_cpu_valid) {
		rc = gb_worker_meta_set_u64(w, "worker_run_cpu_user_ns", w->cpu_run_user_ns);
		if (!rc)
			rc = gb_worker_meta_set_u64(w, "worker_run_cpu_system_ns", w->cpu_run_sys_ns);
	}
	return rc;
}
