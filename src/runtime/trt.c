/*
 * The TensorRT provider's options, engine cache listings and library
 * version (see trt.h for why the cache is listed rather than hashed).
 */
#include "runtime/trt.h"
#include "runtime/ort_providers.h"
#include "greenbench/error.h"
#include "greenbench/runtime.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum trt_kind {
	TRT_BOOL,	/* 0 or 1 */
	TRT_INT,	/* an integer in [lo, hi] */
	TRT_BYTES,	/* bytes, with an optional K/M/G suffix (powers of 1024) */
	TRT_DIR,	/* a directory: it exists, or its parent does */
	TRT_CACHE,	/* short name: *_enable=1 and *_path=DIR */
	TRT_FILE,	/* a file name (the calibration table), checked at the end */
	TRT_SHAPES,	/* "input:1x3x224x224[,input2:...]" */
	TRT_NAME,	/* letters, digits, '_', '-' */
};

/* One row per option: greenbench's short name (NULL: only ORT's key),
 * ORT's key, and how the value is checked. A CACHE row's trt key is the
 * *_path key; its *_enable key is in enable_key. */
static const struct trt_opt {
	const char *name;
	const char *trt_key;
	enum trt_kind kind;
	long long lo, hi;
	const char *enable_key;
} opts[] = {
	{ "fp16", "trt_fp16_enable", TRT_BOOL, 0, 1, NULL },
	{ "int8", "trt_int8_enable", TRT_BOOL, 0, 1, NULL },
	{ "int8_calibration_table", "trt_int8_calibration_table_name", TRT_FILE, 0, 0, NULL },
	{ "int8_native_calibration", "trt_int8_use_native_calibration_table", TRT_BOOL, 0, 1, NULL },
	{ "engine_cache", "trt_engine_cache_path", TRT_CACHE, 0, 0, "trt_engine_cache_enable" },
	{ NULL, "trt_engine_cache_enable", TRT_BOOL, 0, 1, NULL },
	{ "engine_cache_prefix", "trt_engine_cache_prefix", TRT_NAME, 0, 0, NULL },
	{ "timing_cache", "trt_timing_cache_path", TRT_CACHE, 0, 0, "trt_timing_cache_enable" },
	{ NULL, "trt_timing_cache_enable", TRT_BOOL, 0, 1, NULL },
	{ "workspace", "trt_max_workspace_size", TRT_BYTES, 1, 0, NULL },
	{ "builder_opt_level", "trt_builder_optimization_level", TRT_INT, 0, 5, NULL },
	{ "profile_min", "trt_profile_min_shapes", TRT_SHAPES, 0, 0, NULL },
	{ "profile_opt", "trt_profile_opt_shapes", TRT_SHAPES, 0, 0, NULL },
	{ "profile_max", "trt_profile_max_shapes", TRT_SHAPES, 0, 0, NULL },
	{ "dump_subgraphs", "trt_dump_subgraphs", TRT_BOOL, 0, 1, NULL },
	{ "cuda_graph", "trt_cuda_graph_enable", TRT_BOOL, 0, 1, NULL },
	{ "min_subgraph_size", "trt_min_subgraph_size", TRT_INT, 1, 1000000, NULL },
	{ "max_partition_iterations", "trt_max_partition_iterations", TRT_INT, 1, 1000000, NULL },
	{ "sparsity", "trt_sparsity_enable", TRT_BOOL, 0, 1, NULL },
	{ "detailed_build_log", "trt_detailed_build_log", TRT_BOOL, 0, 1, NULL },
	{ "force_sequential_build", "trt_force_sequential_engine_build", TRT_BOOL, 0, 1, NULL },
	{ "layer_norm_fp32_fallback", "trt_layer_norm_fp32_fallback", TRT_BOOL, 0, 1, NULL },
};

#define NOPTS (sizeof opts / sizeof opts[0])

/* Keys ort.c handles for every provider: not the provider's options. */
static int ours(const char *k)
{
	return !strcmp(k, "device_id") || !strcmp(k, "provider_lib") || !strncmp(k, "session.", 8) ||
	       !strcmp(k, GB_ORT_STATIC_DIMS);
}

static const struct trt_opt *find_opt(const char *k)
{
	for (size_t i = 0; i < NOPTS; i++)
		if ((opts[i].name && !strcmp(k, opts[i].name)) || !strcmp(k, opts[i].trt_key))
			return &opts[i];
	return NULL;
}

const char *gb_trt_key(const char *name)
{
	const struct trt_opt *o = find_opt(name);

	if (o)
		return o->trt_key;
	return strncmp(name, "trt_", 4) ? NULL : name;
}

const char *gb_trt_options_get(const struct gb_trt_options *o, const char *trt_key)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], trt_key))
			return o->vals[i];
	return NULL;
}

static int bad(const char *k, const char *v, const char *expected)
{
	return gb_error_set(-EINVAL, "invalid value '%s' for ep option '%s': expected %s", v, k,
			    expected);
}

static int parse_ll(const char *v, long long *out, char **end)
{
	errno = 0;
	*out = strtoll(v, end, 10);
	return errno || *end == v || *v == '-' || *v == '+' || isspace((unsigned char)*v) ? -EINVAL : 0;
}

static int check_bytes(const char *k, const char *v, char *canon, size_t len)
{
	static const char expected[] = "a size in bytes, optionally with K, M or G (1024-based), e.g. 4G";
	long long x;
	char *end;
	unsigned shift = 0;

	if (parse_ll(v, &x, &end) || x <= 0)
		return bad(k, v, expected);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || (unsigned long long)x > (~0ULL >> 1 >> shift))
		return bad(k, v, expected);
	snprintf(canon, len, "%llu", (unsigned long long)x << shift);
	return 0;
}

static int check_dir(const char *k, const char *v)
{
	struct stat st;
	char parent[GB_TRT_VALUE_MAX];
	const char *slash;

	if (!*v)
		return bad(k, v, "a directory");
	if (stat(v, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : bad(k, v, "a directory (it is not one)");
	slash = strrchr(v, '/');
	snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - v) : 1, slash ? v : ".");
	if (!parent[0])
		snprintf(parent, sizeof parent, "/");
	if (stat(parent, &st) || !S_ISDIR(st.st_mode))
		return gb_error_set(-ENOENT, "invalid value '%s' for ep option '%s': expected a directory, and '%s' does not exist",
				    v, k, parent);
	return 0;
}

/* "x:1x3x224x224,mask:1x128": each entry a name, ':' and positive dims. */
static int check_shapes(const char *k, const char *v)
{
	static const char expected[] = "input:DIMS[,input:DIMS...] with DIMS like 1x3x224x224";
	const char *p = v;

	if (!*v)
		return bad(k, v, expected);
	while (*p) {
		const char *colon = strchr(p, ':'), *comma = strchr(p, ',');

		if (!colon || colon == p || (comma && comma < colon))
			return bad(k, v, expected);
		p = colon + 1;
		for (;;) {
			long long d;
			char *end;

			if (!isdigit((unsigned char)*p) || parse_ll(p, &d, &end) || d <= 0)
				return bad(k, v, expected);
			p = end;
			if (*p != 'x')
				break;
			p++;
		}
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return bad(k, v, expected);
	}
	return 0;
}

static int check_name(const char *k, const char *v)
{
	if (!*v)
		return bad(k, v, "letters, digits, '_' or '-'");
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return bad(k, v, "letters, digits, '_' or '-'");
	return 0;
}

static int put(struct gb_trt_options *o, const char *given, const char *key, const char *val)
{
	if (gb_trt_options_get(o, key))
		return gb_error_set(-EINVAL, "ep option '%s' given twice (as %s)", given, key);
	if (o->n == GB_TRT_OPT_MAX)
		return gb_error_set(-E2BIG, "too many TensorRT options (at most %d)", GB_TRT_OPT_MAX);
	if (strlen(val) >= GB_TRT_VALUE_MAX)
		return gb_error_set(-ENAMETOOLONG, "value of ep option '%s' is too long", given);
	snprintf(o->keys[o->n], sizeof o->keys[0], "%s", key);
	snprintf(o->vals[o->n], sizeof o->vals[0], "%s", val);
	o->n++;
	return 0;
}

static int check_value(const struct trt_opt *t, const char *k, const char *v, char *canon,
		       size_t len)
{
	long long x;
	char *end;
	char expected[64];

	snprintf(canon, len, "%s", v);
	switch (t->kind) {
	case TRT_BOOL:
		return strcmp(v, "0") && strcmp(v, "1") ? bad(k, v, "0 or 1") : 0;
	case TRT_INT:
		snprintf(expected, sizeof expected, "an integer from %lld to %lld", t->lo, t->hi);
		if (parse_ll(v, &x, &end) || *end || x < t->lo || x > t->hi)
			return bad(k, v, expected);
		return 0;
	case TRT_BYTES:
		return check_bytes(k, v, canon, len);
	case TRT_DIR:
	case TRT_CACHE:
		return check_dir(k, v);
	case TRT_SHAPES:
		return check_shapes(k, v);
	case TRT_NAME:
		return check_name(k, v);
	case TRT_FILE:
		return *v && !strchr(v, '/') ? 0 : bad(k, v, "a file name in the engine cache directory");
	}
	return 0;
}

/* The whole set: what one option needs of the others. */
static int check_together(struct gb_trt_options *o)
{
	const char *en = gb_trt_options_get(o, "trt_engine_cache_enable");
	const char *path = gb_trt_options_get(o, "trt_engine_cache_path");
	const char *calib = gb_trt_options_get(o, "trt_int8_calibration_table_name");
	int nprof = !!gb_trt_options_get(o, "trt_profile_min_shapes") +
		    !!gb_trt_options_get(o, "trt_profile_opt_shapes") +
		    !!gb_trt_options_get(o, "trt_profile_max_shapes");
	struct stat st;
	char file[2 * GB_TRT_VALUE_MAX + 2];

	if (nprof && nprof != 3)
		return gb_error_set(-EINVAL, "ep options profile_min, profile_opt and profile_max (trt_profile_*_shapes) go together: %d of 3 given",
				    nprof);
	o->explicit_profile = nprof == 3;
	o->fp16 = gb_trt_options_get(o, "trt_fp16_enable") &&
		  !strcmp(gb_trt_options_get(o, "trt_fp16_enable"), "1");
	o->int8 = gb_trt_options_get(o, "trt_int8_enable") &&
		  !strcmp(gb_trt_options_get(o, "trt_int8_enable"), "1");
	if (en && !strcmp(en, "1"))
		snprintf(o->engine_cache_dir, sizeof o->engine_cache_dir, "%s", path ? path : ".");
	else if (path)
		return gb_error_set(-EINVAL, "ep option trt_engine_cache_path needs trt_engine_cache_enable=1 (or use engine_cache=DIR)");
	if (calib) {
		if (!o->int8)
			return gb_error_set(-EINVAL, "ep option int8_calibration_table needs int8=1");
		/* ORT reads the table from the engine cache directory. */
		snprintf(file, sizeof file, "%s/%s", o->engine_cache_dir[0] ? o->engine_cache_dir : ".",
			 calib);
		if (stat(file, &st) || !S_ISREG(st.st_mode))
			return gb_error_set(-ENOENT, "invalid value '%s' for ep option 'int8_calibration_table': no file '%s' (TensorRT reads it from the engine cache directory)",
					    calib, file);
	}
	return 0;
}

int gb_trt_options_parse(const struct gb_kv *in, size_t n, const char *shape_tag,
			 struct gb_trt_options *out)
{
	const char *pfx;
	char canon[GB_TRT_VALUE_MAX], derived[256];
	int ret = 0;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n && !ret; i++) {
		const char *k = in[i].key, *v = in[i].value ? in[i].value : "";
		const struct trt_opt *t;

		if (ours(k))
			continue;
		t = find_opt(k);
		if (!t) {
			/* ORT's own key that the table does not know: as it is. */
			if (strncmp(k, "trt_", 4))
				return gb_error_set(-EINVAL, "unknown ep option '%s' for ep 'tensorrt' (greenbench names: fp16, int8, int8_calibration_table, engine_cache, timing_cache, workspace, builder_opt_level, profile_min, profile_opt, profile_max, dump_subgraphs, cuda_graph, ...; or any trt_* key of ORT)",
						    k);
			ret = put(out, k, k, v);
			continue;
		}
		ret = check_value(t, k, v, canon, sizeof canon);
		/* Only the short name also turns the cache on. */
		if (!ret && t->kind == TRT_CACHE && t->name && !strcmp(k, t->name))
			ret = put(out, k, t->enable_key, "1");
		if (!ret)
			ret = put(out, k, t->trt_key, canon);
	}
	if (!ret)
		ret = check_together(out);
	if (ret)
		return ret;
	pfx = gb_trt_options_get(out, "trt_engine_cache_prefix");
	out->prefix_given = pfx != NULL;
	if (!pfx && out->engine_cache_dir[0] && shape_tag && *shape_tag) {
		snprintf(derived, sizeof derived, "gb_%s", shape_tag);
		ret = put(out, "engine_cache_prefix", "trt_engine_cache_prefix", derived);
		pfx = derived;
	}
	snprintf(out->cache_prefix, sizeof out->cache_prefix, "%s", pfx ? pfx : "");
	return ret;
}

static size_t tag_append(char *buf, size_t len, size_t at, const char *text)
{
	for (const char *p = text; *p && at + 1 < len; p++)
		buf[at++] = isalnum((unsigned char)*p) || *p == '-' ? *p : '_';
	buf[at < len ? at : len - 1] = '\0';
	return at;
}

void gb_trt_shape_tag(const struct gb_input_config *shapes, char *buf, size_t len)
{
	char num[32];
	size_t at;

	if (!len)
		return;
	snprintf(num, sizeof num, "b%llu", (unsigned long long)(shapes->batch ? shapes->batch : 1));
	at = tag_append(buf, len, 0, num);
	for (size_t i = 0; i < shapes->ndims; i++) {
		snprintf(num, sizeof num, "%lld", (long long)shapes->dims[i].value);
		at = tag_append(buf, len, at, "_");
		at = tag_append(buf, len, at, shapes->dims[i].name);
		at = tag_append(buf, len, at, num);
	}
}

/* ---- engine cache --------------------------------------------------- */

const char *gb_trt_engine_state_name(enum gb_trt_engine_state s)
{
	switch (s) {
	case GB_TRT_ENGINE_BUILT: return "built";
	case GB_TRT_ENGINE_REUSED: return "reused";
	default: return "none";
	}
}

int gb_trt_listing_read(const char *dir, struct gb_trt_listing *out)
{
	DIR *d = NULL;
	struct dirent *e;
	struct stat st;
	char path[4096];
	size_t cap = 0;
	int ret = 0;

	out->files = NULL;
	out->n = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : gb_error_set(-errno, "cannot list '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		struct gb_trt_file *f;

		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
		    stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (out->n == cap) {
			size_t want = cap ? 2 * cap : 16;
			struct gb_trt_file *nf = realloc(out->files, want * sizeof *nf);

			if (!nf) {
				ret = gb_error_set(-ENOMEM, "out of memory");
				goto out;
			}
			out->files = nf;
			cap = want;
		}
		f = &out->files[out->n++];
		snprintf(f->name, sizeof f->name, "%s", e->d_name);
		f->size_bytes = (uint64_t)st.st_size;
		f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
out:
	closedir(d);
	if (ret)
		gb_trt_listing_release(out);
	return ret;
}

void gb_trt_listing_release(struct gb_trt_listing *l)
{
	free(l->files);
	l->files = NULL;
	l->n = 0;
}

/* ORT names a prefixed engine "<prefix>_<hash...>.engine": the '_' keeps
 * gb_b1 from claiming gb_b16's engines. */
static int is_engine(const char *name, const char *prefix)
{
	size_t n = strlen(name), np = prefix ? strlen(prefix) : 0;

	if (np && (strncmp(name, prefix, np) || name[np] != '_'))
		return 0;
	return n > 7 && !strcmp(name + n - 7, ".engine");
}

static const struct gb_trt_file *find_file(const struct gb_trt_listing *l, const char *name)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (!strcmp(l->files[i].name, name))
			return &l->files[i];
	return NULL;
}

enum gb_trt_engine_state gb_trt_engine_state(const struct gb_trt_listing *before,
					     const struct gb_trt_listing *after, const char *prefix)
{
	enum gb_trt_engine_state s = GB_TRT_ENGINE_NONE;

	for (size_t i = 0; after && i < after->n; i++) {
		const struct gb_trt_file *a = &after->files[i], *b;

		if (!is_engine(a->name, prefix))
			continue;
		b = find_file(before, a->name);
		/* Rewritten in place (ORT rebuilds an engine whose profile
		 * does not cover the shape) counts as built too. */
		if (!b || b->size_bytes != a->size_bytes || b->mtime_ns != a->mtime_ns)
			return GB_TRT_ENGINE_BUILT;
		s = GB_TRT_ENGINE_REUSED;
	}
	return s;
}

/* ---- the library ---------------------------------------------------- */

int gb_trt_version(char *buf, size_t len)
{
	int32_t (*get)(void);
	void *h;
	int32_t v;
	const char *e;

	h = dlopen("libnvinfer.so.10", RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		e = dlerror();
		return gb_error_set(-ENOENT, "cannot load libnvinfer.so.10: %s; " GB_TRT_HOW_TO_GET,
				    e ? e : "unknown dlopen error");
	}
	*(void **)&get = dlsym(h, "getInferLibVersion");
	if (!get) {
		dlclose(h);
		return gb_error_set(-ENOEXEC, "libnvinfer.so.10 has no getInferLibVersion: not TensorRT");
	}
	v = get();
	dlclose(h);
	/* TensorRT 10 encodes major*10000 + minor*100 + patch; 8 and older
	 * major*1000 + minor*100 + patch. */
	if (v >= 100000)
		snprintf(buf, len, "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
	else
		snprintf(buf, len, "%d.%d.%d", v / 1000, v / 100 % 10, v % 100);
	return 0;
}
