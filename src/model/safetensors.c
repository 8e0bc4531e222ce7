/*
 * safetensors reader: the pure header decoder (gb_safetensors_parse) on
 * any byte image, and gb_safetensors_open, which mmaps a file and hands
 * the mapping to the decoder.
 */
#include "greenbench/safetensors.h"
#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The format caps the header at 100 MB; so do we. */
#define ST_MAX_HEADER (100u * 1000 * 1000)

struct gb_safetensors {
	char label[512];
	void *map;		/* munmap on free, or NULL for parse() images */
	size_t map_len;
	struct gb_st_tensor *t;
	size_t n;
	char *names;		/* every tensor name, NUL-separated */
};

static const struct {
	const char *name;
	enum gb_dtype dtype;
} st_dtypes[] = {
	{ "F32", GB_DTYPE_F32 }, { "F16", GB_DTYPE_F16 }, { "BF16", GB_DTYPE_BF16 },
	{ "F64", GB_DTYPE_F64 }, { "I64", GB_DTYPE_I64 }, { "I32", GB_DTYPE_I32 },
	{ "I8", GB_DTYPE_I8 },	 { "U8", GB_DTYPE_U8 },	  { "BOOL", GB_DTYPE_BOOL },
};

static int cmp_tensor(const void *a, const void *b)
{
	return strcmp(((const struct gb_st_tensor *)a)->name, ((const struct gb_st_tensor *)b)->name);
}

/* A JSON number that is an exact non-negative integer below 2^53. */
static int json_u64(const cJSON *j, uint64_t *out)
{
	double v;

	if (!cJSON_IsNumber(j))
		return -1;
	v = j->valuedouble;
	if (!(v >= 0) || v > 9007199254740992.0 || floor(v) != v)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int parse_entry(struct gb_safetensors *st, const cJSON *e, struct gb_st_tensor *t, size_t data_len)
{
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
	const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
	uint64_t begin, end, numel = 1, d;
	const cJSON *it;
	size_t esize;

	if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs))
		return gb_error_set(-EINVAL, "weights '%s': tensor '%s': entry lacks dtype, shape or data_offsets",
				    st->label, t->name);
	t->dtype = GB_DTYPE_UNKNOWN;
	for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
		if (!strcmp(dt->valuestring, st_dtypes[i].name))
			t->dtype = st_dtypes[i].dtype;
	if (t->dtype == GB_DTYPE_UNKNOWN)
		return gb_error_set(-ENOTSUP, "weights '%s': tensor '%s': unsupported dtype '%s'", st->label,
				    t->name, dt->valuestring);
	esize = gb_dtype_size(t->dtype);
	t->rank = 0;
	cJSON_ArrayForEach(it, shape) {
		if (t->rank == GB_TENSOR_MAX_RANK || json_u64(it, &d))
			return gb_error_set(-EINVAL, "weights '%s': tensor '%s': bad shape", st->label, t->name);
		if (d && numel > (UINT64_MAX / esize) / d)
			return gb_error_set(-EINVAL, "weights '%s': tensor '%s': shape too large", st->label,
					    t->name);
		numel *= d;
		t->dims[t->rank++] = (int64_t)d;
	}
	if (cJSON_GetArraySize(offs) != 2 || json_u64(cJSON_GetArrayItem(offs, 0), &begin) ||
	    json_u64(cJSON_GetArrayItem(offs, 1), &end) || begin > end)
		return gb_error_set(-EINVAL, "weights '%s': tensor '%s': bad data_offsets", st->label, t->name);
	if (end > data_len)
		return gb_error_set(-EINVAL, "weights '%s': tensor '%s': data ends at byte %llu of %zu (truncated file?)",
				    st->label, t->name, (unsigned long long)end, data_len);
	if (end - begin != numel * esize)
		return gb_error_set(-EINVAL, "weights '%s': tensor '%s': %llu data bytes for %llu elements of %s",
				    st->label, t->name, (unsigned long long)(end - begin),
				    (unsigned long long)numel, gb_dtype_name(t->dtype));
	t->bytes = (size_t)(end - begin);
	t->data = (const void *)(uintptr_t)begin;	/* rebased by the caller */
	return 0;
}

int gb_safetensors_parse(const void *buf, size_t len, const char *label, struct gb_safetensors **out)
{
	const unsigned char *p = buf;
	struct gb_safetensors *st = calloc(1, sizeof *st);
	cJSON *root = NULL;
	const cJSON *e;
	uint64_t hlen = 0;
	size_t names_len = 0, k = 0, data_len;
	const char *end = NULL;
	char *np;
	int ret;

	if (!st)
		return gb_error_set(-ENOMEM, "out of memory");
	snprintf(st->label, sizeof st->label, "%s", label);
	if (len < 8) {
		ret = gb_error_set(-EINVAL, "weights '%s': not a safetensors file (%zu bytes)", label, len);
		goto out;
	}
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | p[i];
	if (hlen < 2 || hlen > ST_MAX_HEADER || hlen > len - 8) {
		ret = gb_error_set(-EINVAL, "weights '%s': not a safetensors file (header length %llu, file %zu bytes)",
				   label, (unsigned long long)hlen, len);
		goto out;
	}
	root = cJSON_ParseWithLengthOpts((const char *)p + 8, (size_t)hlen, &end, 0);
	/* The header may be padded with spaces (writers align the data to 8
	 * bytes); anything else after the object is corruption. */
	while (root && end < (const char *)p + 8 + hlen && *end && strchr(" \t\r\n", *end))
		end++;
	if (!cJSON_IsObject(root) || end != (const char *)p + 8 + hlen) {
		ret = gb_error_set(-EINVAL, "weights '%s': header is not a JSON object", label);
		goto out;
	}
	cJSON_ArrayForEach(e, root) {
		if (strcmp(e->string, "__metadata__")) {
			st->n++;
			names_len += strlen(e->string) + 1;
		}
	}
	st->t = calloc(st->n ? st->n : 1, sizeof *st->t);
	st->names = malloc(names_len ? names_len : 1);
	if (!st->t || !st->names) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	data_len = len - 8 - (size_t)hlen;
	np = st->names;
	cJSON_ArrayForEach(e, root) {
		if (!strcmp(e->string, "__metadata__"))
			continue;
		size_t nl = strlen(e->string) + 1;
		memcpy(np, e->string, nl);
		st->t[k].name = np;
		np += nl;
		ret = parse_entry(st, e, &st->t[k], data_len);
		if (ret < 0)
			goto out;
		st->t[k].data = p + 8 + hlen + (uintptr_t)st->t[k].data;
		k++;
	}
	qsort(st->t, st->n, sizeof *st->t, cmp_tensor);
	for (size_t i = 1; i < st->n; i++) {
		if (!strcmp(st->t[i - 1].name, st->t[i].name)) {
			ret = gb_error_set(-EINVAL, "weights '%s': tensor '%s' appears twice", label, st->t[i].name);
			goto out;
		}
	}
	*out = st;
	st = NULL;
	ret = 0;
out:
	cJSON_Delete(root);
	gb_safetensors_free(st);
	return ret;
}

int gb_safetensors_open(const char *path, struct gb_safetensors **out)
{
	struct gb_safetensors *st = NULL;
	void *map = MAP_FAILED;
	struct stat sb;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gb_error_set(-errno, "cannot open weights '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb)) {
		ret = gb_error_set(-errno, "cannot open weights '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < 8) {
		ret = gb_error_set(-EINVAL, "weights '%s': not a safetensors file", path);
		goto out;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		ret = gb_error_set(-errno, "cannot map weights '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = gb_safetensors_parse(map, (size_t)sb.st_size, path, &st);
	if (ret < 0)
		goto out;
	st->map = map;
	st->map_len = (size_t)sb.st_size;
	map = MAP_FAILED;
	*out = st;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)sb.st_size);
	close(fd);
	return ret;
}

void gb_safetensors_free(struct gb_safetensors *st)
{
	if (!st)
		return;
	if (st->map)
		munmap(st->map, st->map_len);
	free(st->t);
	free(st->names);
	free(st);
}

size_t gb_safetensors_count(const struct gb_safetensors *st)
{
	return st->n;
}

const struct gb_st_tensor *gb_safetensors_at(const struct gb_safetensors *st, size_t i)
{
	return i < st->n ? &st->t[i] : NULL;
}

const struct gb_st_tensor *gb_safetensors_find(const struct gb_safetensors *st, const char *name)
{
	struct gb_st_tensor key = { .name = name };

	return bsearch(&key, st->t, st->n, sizeof *st->t, cmp_tensor);
}

static void format_shape(char *buf, size_t len, int rank, const int64_t *dims)
{
	size_t o = 0;

	o += (size_t)snprintf(buf + o, len - o, "[");
	for (int i = 0; i < rank && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "," : "", (long long)dims[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
}

int gb_safetensors_get_float(const struct gb_safetensors *st, const char *name, int rank,
			     const int64_t *dims, const struct gb_st_tensor **out)
{
	const struct gb_st_tensor *t = gb_safetensors_find(st, name);
	char have[160], want[160];

	if (!t)
		return gb_error_set(-ENOENT, "weights '%s': missing tensor '%s'", st->label, name);
	if (t->dtype != GB_DTYPE_F32 && t->dtype != GB_DTYPE_F16 && t->dtype != GB_DTYPE_BF16)
		return gb_error_set(-EINVAL, "weights '%s': tensor '%s' is %s, expected a float type (F32, F16, BF16)",
				    st->label, name, gb_dtype_name(t->dtype));
	if (t->rank != rank || memcmp(t->dims, dims, (size_t)rank * sizeof *dims)) {
		format_shape(have, sizeof have, t->rank, t->dims);
		format_shape(want, sizeof want, rank, dims);
		return gb_error_set(-EINVAL, "weights '%s': tensor '%s' has shape %s, expected %s", st->label,
				    name, have, want);
	}
	*out = t;
	return 0;
}
