/*
 * Worker protocol: request encoding and reply decoding (pure; see
 * worker_proto.h and docs/worker-protocol.md).
 */
#include "runtime/worker_proto.h"

#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
	[GB_WP_HELLO] = "hello",       [GB_WP_LOAD] = "load",	  [GB_WP_INPUTS] = "inputs",
	[GB_WP_RUN] = "run",	       [GB_WP_OUTPUTS] = "outputs", [GB_WP_SHUTDOWN] = "shutdown",
	[GB_WP_CONVERT] = "convert",   [GB_WP_CONFIGURE] = "configure",
};

const char *gb_wp_op_name(enum gb_wp_op op)
{
	return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

void gb_wp_buf_release(struct gb_wp_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int buf_printf(struct gb_wp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int buf_printf(struct gb_wp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return gb_error_set(-EINVAL, "cannot format a worker request");
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		size_t cap = (b->len + (size_t)n + 1) * 2;
		char *p = realloc(b->p, cap < 256 ? 256 : cap);
		if (!p)
			return gb_error_set(-ENOMEM, "out of memory");
		b->p = p;
		b->cap = cap < 256 ? 256 : cap;
	}
}

/* Serialise a cJSON object as one line into b (replacing its content). */
static int buf_set_json(struct gb_wp_buf *b, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	int rc;

	if (!s)
		return gb_error_set(-ENOMEM, "out of memory");
	b->len = 0;
	rc = buf_printf(b, "%s\n", s);
	free(s);
	return rc;
}

static cJSON *request_new(enum gb_wp_op op)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "op", gb_wp_op_name(op))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int finish_request(struct gb_wp_buf *b, cJSON *o, int ok)
{
	int rc = ok ? buf_set_json(b, o) : gb_error_set(-ENOMEM, "out of memory");

	cJSON_Delete(o);
	return rc;
}

int gb_wp_encode_hello(struct gb_wp_buf *b, const char *dir)
{
	cJSON *o = request_new(GB_WP_HELLO);
	int ok = o && cJSON_AddNumberToObject(o, "protocol", GB_WP_PROTOCOL) &&
		 cJSON_AddStringToObject(o, "dir", dir ? dir : "");

	return finish_request(b, o, ok);
}

int gb_wp_encode_load(struct gb_wp_buf *b, const struct gb_runtime_options *opt)
{
	cJSON *o = request_new(GB_WP_LOAD), *opts = NULL;
	int ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "model", opt->model ? opt->model : "");
	ok = ok && cJSON_AddStringToObject(o, "device", opt->ep ? opt->ep : "cpu");
	ok = ok && cJSON_AddNumberToObject(o, "device_id", opt->device_id);
	ok = ok && cJSON_AddStringToObject(o, "io", opt->io == GB_IO_DEVICE ? "device" : "host");
	/* Seeds stay below 2^53 so that JSON numbers carry them exactly. */
	ok = ok && cJSON_AddNumberToObject(o, "seed", (double)(opt->seed & ((1ULL << 53) - 1)));
	ok = ok && cJSON_AddNumberToObject(o, "intra_op_threads", opt->intra_op_threads);
	ok = ok && cJSON_AddNumberToObject(o, "inter_op_threads", opt->inter_op_threads);
	ok = ok && cJSON_AddNumberToObject(o, "graph_opt_level", opt->graph_opt_level);
	ok = ok && (opts = cJSON_AddObjectToObject(o, "options")) != NULL;
	for (size_t i = 0; ok && i < opt->n_ep_options; i++)
		ok = cJSON_AddStringToObject(opts, opt->ep_options[i].key,
					     opt->ep_options[i].value ? opt->ep_options[i].value : "") != NULL;
	return finish_request(b, o, ok);
}

static cJSON *tensor_json(const struct gb_wp_tensor *t)
{
	cJSON *o = cJSON_CreateObject(), *shape = NULL;
	int ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "name", t->info.name);
	ok = ok && cJSON_AddStringToObject(o, "dtype", gb_dtype_name(t->info.dtype));
	ok = ok && (shape = cJSON_AddArrayToObject(o, "shape")) != NULL;
	for (int d = 0; ok && d < t->info.rank; d++) {
		cJSON *v = cJSON_CreateNumber((double)t->info.dims[d]);
		ok = v && cJSON_AddItemToArray(shape, v);
	}
	ok = ok && cJSON_AddStringToObject(o, "file", t->file);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int gb_wp_encode_inputs(struct gb_wp_buf *b, const struct gb_wp_tensor *t, size_t n)
{
	cJSON *o = request_new(GB_WP_INPUTS), *arr = NULL;
	int ok = o && (arr = cJSON_AddArrayToObject(o, "tensors")) != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		cJSON *tj = tensor_json(&t[i]);
		ok = tj && cJSON_AddItemToArray(arr, tj);
	}
	return finish_request(b, o, ok);
}

int gb_wp_encode_run(struct gb_wp_buf *b, uint64_t n, uint64_t duration_ns, int want_latencies)
{
	if ((n == 0) == (duration_ns == 0))
		return gb_error_set(-EINVAL, "a run asks for batches or for a duration, not both");
	/* Hand-formatted: this is the per-batch hot path at n = 1. */
	b->len = 0;
	if (n)
		return buf_printf(b, "{\"op\":\"run\",\"n\":%llu,\"latencies\":%s}\n",
				  (unsigned long long)n, want_latencies ? "true" : "false");
	return buf_printf(b, "{\"op\":\"run\",\"duration_ns\":%llu,\"latencies\":%s}\n",
			  (unsigned long long)duration_ns, want_latencies ? "true" : "false");
}

int gb_wp_encode_outputs(struct gb_wp_buf *b)
{
	b->len = 0;
	return buf_printf(b, "{\"op\":\"outputs\"}\n");
}

int gb_wp_encode_shutdown(struct gb_wp_buf *b)
{
	b->len = 0;
	return buf_printf(b, "{\"op\":\"shutdown\"}\n");
}

int gb_wp_encode_convert(struct gb_wp_buf *b, const char *path, int opset)
{
	cJSON *o = request_new(GB_WP_CONVERT);
	int ok = o && cJSON_AddStringToObject(o, "path", path) &&
		 cJSON_AddNumberToObject(o, "opset", opset);

	return finish_request(b, o, ok);
}

int gb_wp_encode_configure(struct gb_wp_buf *b, const struct gb_runtime_options *opt)
{
	cJSON *o = request_new(GB_WP_CONFIGURE), *opts = NULL;
	int ok = o && cJSON_AddStringToObject(o, "io", opt->io == GB_IO_DEVICE ? "device" : "host") &&
		 (opts = cJSON_AddObjectToObject(o, "options")) != NULL;

	for (size_t i = 0; ok && i < opt->n_ep_options; i++)
		ok = cJSON_AddStringToObject(opts, opt->ep_options[i].key,
					     opt->ep_options[i].value ? opt->ep_options[i].value : "") != NULL;
	return finish_request(b, o, ok);
}

/* ---- decoding ---------------------------------------------------------- */

void gb_wp_quote(const char *text, size_t len, char *buf, size_t buflen)
{
	size_t o = 0, max = len > GB_WP_QUOTE_MAX ? GB_WP_QUOTE_MAX : len;

	if (!buflen)
		return;
	for (size_t i = 0; i < max && o + 5 < buflen; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, buflen - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (max < len && o + 4 < buflen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

enum gb_dtype gb_wp_dtype_parse(const char *name)
{
	for (int t = GB_DTYPE_F32; t <= GB_DTYPE_BOOL; t++)
		if (!strcmp(name, gb_dtype_name((enum gb_dtype)t)))
			return (enum gb_dtype)t;
	return GB_DTYPE_UNKNOWN;
}

struct dec {
	const char *line;
	size_t len;
	enum gb_wp_op op;
};

static int bad(const struct dec *d, const char *what)
{
	char q[GB_WP_QUOTE_MAX * 4 + 8];

	gb_wp_quote(d->line, d->len, q, sizeof q);
	return gb_error_set(-EPROTO, "malformed reply to '%s' (%s): '%s'", gb_wp_op_name(d->op), what, q);
}

/* A non-negative integer below 2^63 carried by a JSON number. */
static int get_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
	    v->valuedouble >= 9.2e18 || v->valuedouble != floor(v->valuedouble))
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int get_str(const cJSON *o, const char *key, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v))
		return -1;
	snprintf(buf, len, "%s", v->valuestring);
	return 0;
}

static int decode_tensor(const cJSON *t, struct gb_wp_tensor *out, int need_file)
{
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(t, "dim_params");
	const cJSON *v;
	char dtype[32];
	int d = 0;

	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(t) || get_str(t, "name", out->info.name, sizeof out->info.name) ||
	    get_str(t, "dtype", dtype, sizeof dtype) || !cJSON_IsArray(shape))
		return -1;
	out->info.dtype = gb_wp_dtype_parse(dtype);
	if (out->info.dtype == GB_DTYPE_UNKNOWN)
		return -1;
	cJSON_ArrayForEach(v, shape) {
		if (d >= GB_TENSOR_MAX_RANK)
			return -1;
		if (cJSON_IsNumber(v) && v->valuedouble == -1) {
			out->info.dims[d] = -1;
		} else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9.2e18 &&
			   v->valuedouble == floor(v->valuedouble)) {
			out->info.dims[d] = (int64_t)v->valuedouble;
		} else {
			return -1;
		}
		d++;
	}
	out->info.rank = d;
	if (params) {
		int i = 0;
		if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) != d)
			return -1;
		cJSON_ArrayForEach(v, params) {
			if (!cJSON_IsString(v))
				return -1;
			snprintf(out->info.dim_params[i++], sizeof out->info.dim_params[0], "%s",
				 v->valuestring);
		}
	}
	if (get_str(t, "file", out->file, sizeof out->file) && need_file)
		return -1;
	/* The harness opens this name inside its exchange directory. */
	if (strchr(out->file, '/') || !strcmp(out->file, "..") || !strcmp(out->file, "."))
		return -1;
	if (need_file && !out->file[0])
		return -1;
	return 0;
}

static int decode_tensors(const cJSON *o, const char *key, struct gb_wp_tensor **out,
			  size_t *n, int need_file)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key), *t;
	size_t i = 0, cnt;

	if (!cJSON_IsArray(arr))
		return -1;
	cnt = (size_t)cJSON_GetArraySize(arr);
	*out = calloc(cnt ? cnt : 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	cJSON_ArrayForEach(t, arr) {
		if (decode_tensor(t, &(*out)[i], need_file))
			return -1;
		i++;
	}
	*n = cnt;
	return 0;
}

static int decode_meta(const cJSON *o, struct gb_wp_reply *r)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metadata"), *v;
	size_t cnt, i = 0;

	if (!m)
		return 0;
	if (!cJSON_IsObject(m))
		return -1;
	cnt = (size_t)cJSON_GetArraySize(m);
	r->meta = calloc(cnt ? cnt : 1, sizeof *r->meta);
	if (!r->meta)
		return -ENOMEM;
	cJSON_ArrayForEach(v, m) {
		char num[32];
		const char *val = num;
		if (cJSON_IsString(v))
			val = v->valuestring;
		else if (cJSON_IsBool(v))
			val = cJSON_IsTrue(v) ? "true" : "false";
		else if (cJSON_IsNumber(v))
			snprintf(num, sizeof num, "%.17g", v->valuedouble);
		else
			return -1;
		r->meta[i].key = strdup(v->string ? v->string : "");
		r->meta[i].value = strdup(val);
		r->nmeta = ++i;
		if (!r->meta[i - 1].key || !r->meta[i - 1].value)
			return -ENOMEM;
	}
	return 0;
}

static int decode_times(const cJSON *o, struct gb_wp_reply *r)
{
	const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(o, "cpu_ns");

	if (get_u64(o, "t_start_ns", &r->t_start_ns) || get_u64(o, "t_end_ns", &r->t_end_ns) ||
	    r->t_end_ns < r->t_start_ns)
		return -1;
	r->has_times = 1;
	/* cpu_ns: [user_start, sys_start, user_end, sys_end]; optional, since
	 * a worker may not be able to read it. */
	if (!cpu)
		return 0;
	if (!cJSON_IsArray(cpu) || cJSON_GetArraySize(cpu) != 4)
		return -1;
	uint64_t c[4];
	for (int i = 0; i < 4; i++) {
		const cJSON *v = cJSON_GetArrayItem(cpu, i);
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
		    v->valuedouble >= 9.2e18)
			return -1;
		c[i] = (uint64_t)v->valuedouble;
	}
	if (c[2] < c[0] || c[3] < c[1])
		return -1;
	r->cpu_user_start_ns = c[0];
	r->cpu_sys_start_ns = c[1];
	r->cpu_user_end_ns = c[2];
	r->cpu_sys_end_ns = c[3];
	r->has_cpu = 1;
	return 0;
}

static int decode_lat(const cJSON *o, struct gb_wp_reply *r)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "lat_ns"), *v;
	size_t i = 0;

	if (get_u64(o, "n", &r->n) || r->n == 0)
		return -1;
	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr) || (uint64_t)cJSON_GetArraySize(arr) != r->n)
		return -1;
	r->lat_ns = malloc(r->n * sizeof *r->lat_ns);
	if (!r->lat_ns)
		return -ENOMEM;
	cJSON_ArrayForEach(v, arr) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
		    v->valuedouble >= 9.2e18)
			return -1;
		r->lat_ns[i++] = (uint64_t)v->valuedouble;
	}
	r->nlat = i;
	return 0;
}

static int decode_body(const struct dec *d, const cJSON *o, struct gb_wp_reply *r)
{
	int rc = 0;

	switch (d->op) {
	case GB_WP_HELLO: {
		uint64_t proto, pid = 0;
		if (get_u64(o, "protocol", &proto))
			return bad(d, "no protocol number");
		if (proto != GB_WP_PROTOCOL)
			return gb_error_set(-EPROTO, "reply to 'hello' for protocol %llu (greenbench speaks %d)",
					    (unsigned long long)proto, GB_WP_PROTOCOL);
		r->protocol = (int)proto;
		if (get_str(o, "worker", r->worker, sizeof r->worker) || !r->worker[0])
			return bad(d, "no worker name");
		get_str(o, "version", r->version, sizeof r->version);
		if (cJSON_GetObjectItemCaseSensitive(o, "pid") && get_u64(o, "pid", &pid))
			return bad(d, "bad pid");
		r->pid = (int64_t)pid;
		return 0;
	}
	case GB_WP_LOAD:
		if (decode_times(o, r))
			return bad(d, "bad phase times");
		rc = decode_tensors(o, "inputs", &r->inputs, &r->ninputs, 0);
		if (!rc)
			rc = decode_tensors(o, "outputs", &r->outputs, &r->noutputs, 0);
		if (rc == -ENOMEM)
			return gb_error_set(rc, "out of memory");
		if (rc)
			return bad(d, "bad tensor list");
		break;
	case GB_WP_RUN:
		if (decode_times(o, r))
			return bad(d, "bad phase times");
		rc = decode_lat(o, r);
		if (rc == -ENOMEM)
			return gb_error_set(rc, "out of memory");
		if (rc)
			return bad(d, "bad batch count or latencies");
		break;
	case GB_WP_OUTPUTS:
		if (decode_times(o, r))
			return bad(d, "bad phase times");
		rc = decode_tensors(o, "outputs", &r->outputs, &r->noutputs, 1);
		if (rc == -ENOMEM)
			return gb_error_set(rc, "out of memory");
		if (rc)
			return bad(d, "bad tensor list");
		break;
	case GB_WP_INPUTS:
	case GB_WP_CONVERT:
	case GB_WP_CONFIGURE:
		if (decode_times(o, r))
			return bad(d, "bad phase times");
		break;
	case GB_WP_SHUTDOWN:
		break;
	}
	rc = decode_meta(o, r);
	if (rc == -ENOMEM)
		return gb_error_set(rc, "out of memory");
	if (rc)
		return bad(d, "bad metadata");
	return 0;
}

int gb_wp_decode_reply(enum gb_wp_op op, const char *line, size_t len, struct gb_wp_reply *out)
{
	struct dec d = { line, len, op };
	cJSON *o = NULL;
	const cJSON *ok;
	int rc;

	memset(out, 0, sizeof *out);
	if (memchr(line, '\0', len)) {
		rc = bad(&d, "NUL byte");
		goto out;
	}
	o = cJSON_ParseWithLength(line, len);
	if (!o || !cJSON_IsObject(o)) {
		rc = bad(&d, "not a JSON object");
		goto out;
	}
	ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
	if (!cJSON_IsBool(ok)) {
		rc = bad(&d, "no \"ok\" field");
		goto out;
	}
	if (!cJSON_IsTrue(ok)) {
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");

		if (get_str(o, "error", out->error, sizeof out->error) || !out->error[0]) {
			rc = bad(&d, "failure without \"error\"");
			goto out;
		}
		if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "invalid"))
			out->fail_kind = GB_WP_FAIL_INVALID;
		else if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "oom"))
			out->fail_kind = GB_WP_FAIL_OOM;
		rc = 0;
		goto out;
	}
	out->ok = 1;
	rc = decode_body(&d, o, out);
out:
	cJSON_Delete(o);
	if (rc)
		gb_wp_reply_release(out);
	return rc;
}

void gb_wp_reply_release(struct gb_wp_reply *r)
{
	free(r->lat_ns);
	free(r->inputs);
	free(r->outputs);
	for (size_t i = 0; i < r->nmeta; i++) {
		free(r->meta[i].key);
		free(r->meta[i].value);
	}
	free(r->meta);
	r->lat_ns = NULL;
	r->inputs = r->outputs = NULL;
	r->meta = NULL;
	r->nlat = r->ninputs = r->noutputs = r->nmeta = 0;
}
