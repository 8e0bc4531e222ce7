/*
 * Synthetic inputs from a model's input metadata (see inputs.h for the
 * rules). Deterministic: each input draws from its own splitmix64 stream
 * seeded by the run's seed and the input's name, so adding an input to a
 * model does not change the values of the others.
 */
#include "greenbench/inputs.h"
#include "greenbench/error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void gb_input_config_init(struct gb_input_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->vocab = GB_VOCAB_DEFAULT;
}

int gb_dim_parse(const char *text, struct gb_dim *d)
{
	const char *eq = strchr(text, '=');
	char *end;
	long long v;

	if (!eq || eq == text || (size_t)(eq - text) >= sizeof d->name)
		return gb_error_set(-EINVAL, "invalid --dim '%s': expected NAME=VALUE, e.g. seq=128", text);
	errno = 0;
	v = strtoll(eq + 1, &end, 10);
	if (errno || end == eq + 1 || *end || v <= 0)
		return gb_error_set(-EINVAL, "invalid --dim '%s': the value must be a positive integer", text);
	snprintf(d->name, sizeof d->name, "%.*s", (int)(eq - text), text);
	d->value = v;
	return 0;
}

static int contains(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static int batch_like(const char *param)
{
	return contains(param, "batch") || !strcmp(param, "N") || !strcmp(param, "n");
}

static const struct gb_dim *find_dim(const struct gb_input_config *cfg, const char *name)
{
	for (size_t i = 0; name[0] && i < cfg->ndims; i++)
		if (!strcmp(cfg->dims[i].name, name))
			return &cfg->dims[i];
	return NULL;
}

static uint64_t phys_mem_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}

/* The rule: the value of axis d of input in under cfg. The generated
 * inputs and the runtimes' free-dimension overrides both come from here. */
static int dim_value(const struct gb_tensor_info *in, int d, const struct gb_input_config *cfg,
		     int64_t *v)
{
	const struct gb_dim *given = find_dim(cfg, in->dim_params[d]);

	if (in->dims[d] >= 0)
		*v = in->dims[d];
	else if (given)
		*v = given->value;
	else if (d == 0 || batch_like(in->dim_params[d]))
		*v = cfg->batch ? (int64_t)cfg->batch : 1;
	else if (in->dim_params[d][0])
		return gb_error_set(-EINVAL, "input '%s' has symbolic dim '%s': set --dim %s=N",
				    in->name, in->dim_params[d], in->dim_params[d]);
	else
		return gb_error_set(-EINVAL, "input '%s' has an unnamed symbolic dim (axis %d): greenbench cannot fill it",
				    in->name, d);
	return 0;
}

int gb_inputs_free_dims(const struct gb_tensor_info *in, size_t n,
			const struct gb_input_config *cfg, unsigned flags, struct gb_dim *out,
			size_t cap, size_t *nout)
{
	int64_t v;
	int ret;

	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		for (int d = 0; d < in[i].rank; d++) {
			const char *name = in[i].dim_params[d];
			size_t k = 0;

			if (in[i].dims[d] >= 0 || !name[0])
				continue;
			ret = dim_value(&in[i], d, cfg, &v);
			if (ret && (flags & GB_FREE_DIMS_KNOWN))
				continue;
			if (ret)
				return ret;
			while (k < *nout && strcmp(out[k].name, name))
				k++;
			if (k < *nout)
				continue; /* one value per name: see inputs.h */
			if (k == cap)
				return gb_error_set(-E2BIG, "the model has more than %zu symbolic dims", cap);
			snprintf(out[k].name, sizeof out[k].name, "%s", name);
			out[k].value = v;
			(*nout)++;
		}
	}
	return 0;
}

static int resolve_one(const struct gb_tensor_info *in, const struct gb_input_config *cfg,
		       struct gb_tensor_info *out, uint64_t *bytes)
{
	uint64_t n;
	int ret;

	*out = *in;
	if (in->dtype == GB_DTYPE_UNKNOWN)
		return gb_error_set(-ENOTSUP, "input '%s' has a data type greenbench cannot generate",
				    in->name);
	n = gb_dtype_size(in->dtype);
	for (int d = 0; d < in->rank; d++) {
		ret = dim_value(in, d, cfg, &out->dims[d]);
		if (ret)
			return ret;
		if (__builtin_mul_overflow(n, (uint64_t)out->dims[d], &n))
			return gb_error_set(-ENOMEM, "input '%s' is too large to address", in->name);
	}
	*bytes = n;
	return 0;
}

int gb_inputs_resolve(const struct gb_tensor_info *in, size_t n,
		      const struct gb_input_config *cfg, struct gb_tensor_info *out,
		      uint64_t *batch)
{
	uint64_t total = 0, bytes = 0, limit = cfg->max_bytes ? cfg->max_bytes : phys_mem_bytes();
	int ret;

	for (size_t i = 0; i < n; i++) {
		ret = resolve_one(&in[i], cfg, &out[i], &bytes);
		if (ret)
			return ret;
		if (__builtin_add_overflow(total, bytes, &total))
			total = UINT64_MAX;
	}
	if (n > 0 && cfg->batch && in[0].rank > 0 && in[0].dims[0] >= 0 &&
	    (uint64_t)in[0].dims[0] != cfg->batch)
		return gb_error_set(-EINVAL, "input '%s' has a fixed batch of %lld: --batch %llu cannot apply",
				    in[0].name, (long long)in[0].dims[0], (unsigned long long)cfg->batch);
	if (total > limit)
		return gb_error_mark(gb_error_set(-ENOMEM, "the inputs need %.1f GiB, more than the %.1f GiB of memory here",
						  total / 1073741824.0, limit / 1073741824.0),
				     GB_ERROR_KIND_OOM);
	*batch = n > 0 && out[0].rank > 0 ? (uint64_t)out[0].dims[0] : 1;
	return 0;
}

/* ---- values ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t stream_seed(uint64_t seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return seed ^ h;
}

static float uniform01(uint64_t *s)
{
	return (float)(splitmix64(s) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform in [0, n) without modulo bias worth mentioning (Lemire). */
static uint64_t below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)splitmix64(s) * n) >> 64);
}

uint16_t gb_f32_to_f16(float f)
{
	uint32_t x, sign, mant;
	int32_t exp;
	uint16_t h;

	memcpy(&x, &f, sizeof x);
	sign = (x >> 16) & 0x8000;
	exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
	mant = x & 0x7fffff;
	if (((x >> 23) & 0xff) == 0xff) /* inf, nan */
		return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
	if (exp >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (exp <= 0) {
		uint32_t shift, half, rest;

		if (exp < -10)
			return (uint16_t)sign;
		mant |= 0x800000;
		shift = (uint32_t)(14 - exp);
		h = (uint16_t)(mant >> shift);
		half = 1u << (shift - 1);
		rest = mant & ((1u << shift) - 1);
		if (rest > half || (rest == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	h = (uint16_t)(sign | ((uint32_t)exp << 10) | (mant >> 13));
	if ((mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) == 0x1000 && (h & 1)))
		h++; /* may carry into the exponent: still correct */
	return h;
}

uint16_t gb_f32_to_bf16(float f)
{
	uint32_t x;

	memcpy(&x, &f, sizeof x);
	if ((x & 0x7fffffff) > 0x7f800000)
		return (uint16_t)((x >> 16) | 0x40);
	x += 0x7fff + ((x >> 16) & 1);
	return (uint16_t)(x >> 16);
}

enum int_kind { INT_ZERO, INT_TOKEN, INT_ONE, INT_POSITION };

static enum int_kind int_kind(const char *name)
{
	if (contains(name, "mask"))
		return INT_ONE;
	if (contains(name, "position_ids"))
		return INT_POSITION;
	if (contains(name, "token_type"))
		return INT_ZERO;
	if (contains(name, "input_ids") || (contains(name, "token") && contains(name, "ids")) ||
	    !strcasecmp(name, "ids") || !strcasecmp(name, "tokens"))
		return INT_TOKEN;
	return INT_ZERO;
}

static int64_t int_value(enum int_kind k, uint64_t *s, uint64_t vocab, size_t i, int64_t last_dim)
{
	switch (k) {
	case INT_TOKEN: return (int64_t)below(s, vocab);
	case INT_ONE: return 1;
	case INT_POSITION: return last_dim > 0 ? (int64_t)(i % (uint64_t)last_dim) : 0;
	default: return 0;
	}
}

static void fill(struct gb_tensor *t, const struct gb_input_config *cfg, size_t count)
{
	uint64_t s = stream_seed(cfg->seed, t->info.name);
	uint64_t vocab = cfg->vocab ? cfg->vocab : GB_VOCAB_DEFAULT;
	int64_t last = t->info.rank > 0 ? t->info.dims[t->info.rank - 1] : 1;
	enum int_kind k = int_kind(t->info.name);

	for (size_t i = 0; i < count; i++) {
		switch (t->info.dtype) {
		case GB_DTYPE_F32: ((float *)t->data)[i] = uniform01(&s); break;
		case GB_DTYPE_F64: ((double *)t->data)[i] = uniform01(&s); break;
		case GB_DTYPE_F16: ((uint16_t *)t->data)[i] = gb_f32_to_f16(uniform01(&s)); break;
		case GB_DTYPE_BF16: ((uint16_t *)t->data)[i] = gb_f32_to_bf16(uniform01(&s)); break;
		case GB_DTYPE_I64: ((int64_t *)t->data)[i] = int_value(k, &s, vocab, i, last); break;
		case GB_DTYPE_I32:
			((int32_t *)t->data)[i] = (int32_t)int_value(k, &s, vocab > INT32_MAX ? INT32_MAX : vocab,
								     i, last);
			break;
		case GB_DTYPE_I8: ((int8_t *)t->data)[i] = (int8_t)below(&s, 128); break;
		case GB_DTYPE_U8: ((uint8_t *)t->data)[i] = (uint8_t)below(&s, 128); break;
		case GB_DTYPE_BOOL:
			((uint8_t *)t->data)[i] = k == INT_ONE ? 1 : (uint8_t)(splitmix64(&s) >> 63);
			break;
		default: break;
		}
	}
}

int gb_inputs_new(const struct gb_tensor_info *in, size_t n, const struct gb_input_config *cfg,
		  struct gb_tensor **out, uint64_t *batch)
{
	struct gb_tensor_info *shapes = NULL;
	struct gb_tensor *t = NULL;
	int ret;

	*out = NULL;
	shapes = calloc(n + 1, sizeof *shapes);
	t = calloc(n + 1, sizeof *t);
	if (!shapes || !t) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto fail;
	}
	ret = gb_inputs_resolve(in, n, cfg, shapes, batch);
	if (ret)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		size_t count = 1;

		t[i].info = shapes[i];
		for (int d = 0; d < shapes[i].rank; d++)
			count *= (size_t)shapes[i].dims[d];
		t[i].bytes = count * gb_dtype_size(shapes[i].dtype);
		t[i].data = malloc(t[i].bytes ? t[i].bytes : 1);
		if (!t[i].data) {
			ret = gb_error_mark(gb_error_set(-ENOMEM, "out of memory for input '%s' (%zu bytes)",
							 shapes[i].name, t[i].bytes),
					    GB_ERROR_KIND_OOM);
			goto fail;
		}
		fill(&t[i], cfg, count);
	}
	*out = t;
	t = NULL;
fail:
	gb_inputs_free(t, n);
	free(shapes);
	return ret;
}

void gb_inputs_free(struct gb_tensor *t, size_t n)
{
	if (!t)
		return;
	for (size_t i = 0; i < n; i++)
		free(t[i].data);
	free(t);
}
