/*
 * ep tensorrt of the ort runtime. ORT 1.29's TensorRT provider is an
 * old-style provider-bridge library (it exports GetProvider, not the
 * plugin EP's CreateEpFactories), so it is not registered like cuda:
 * CreateTensorRTProviderOptions + UpdateTensorRTProviderOptions +
 * SessionOptionsAppendExecutionProvider_TensorRT_V2, and ORT loads
 * libonnxruntime_providers_tensorrt.so (and libonnxruntime_providers_shared.so)
 * from the directory of libonnxruntime.so itself.
 *
 * The engine: TensorRT builds it in CreateSession when every input shape is
 * known (fixed dims, or explicit profile shapes), else at the first Run()
 * for the shapes it sees. The second case is the default for a
 * dynamic-batch model: one profile, min = opt = max = the run's shape, and
 * bench.c clocks that batch as the "build" phase. With an engine cache the
 * cache directory is listed before the session and after the build, which
 * tells built from reused (trt.h).
 */
#include "greenbench/error.h"

#ifdef GB_HAVE_ORT

#include "runtime/ort_internal.h"
#include "runtime/trt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gb_ort_trt {
	struct gb_trt_options opt;
	struct gb_trt_listing before;	/* the engine cache before the session */
	char version[32];
	char options_text[256];
	char engine[16];		/* built, reused, pending, none */
	char engine_phase[8];		/* load or build */
	int on_first_run;
};

/* ORT does not always create the cache directories itself before it
 * writes; check_dir() in trt.c made sure the parent exists. */
static int make_dir(const char *dir)
{
	if (!dir[0] || mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	return gb_error_set(-errno, "cannot create '%s': %s", dir, strerror(errno));
}

/* The bridge loads these two by fixed name from beside libonnxruntime.so:
 * provider_lib cannot move them, so their absence is said here. */
static int check_bridge(const struct gb_ort_plugin *p, char *used, size_t len)
{
	char shared[4200];

	snprintf(shared, sizeof shared, "%s/libonnxruntime_providers_shared.so", gb_ort_lib_dir());
	if (access(shared, R_OK))
		return gb_error_set(-ENOENT, "ep 'tensorrt': ORT needs '%s' beside libonnxruntime.so: %s",
				    shared, strerror(errno));
	snprintf(used, len, "%s/%s", gb_ort_lib_dir(), p->lib_file);
	if (access(used, R_OK))
		return gb_error_set(-ENOENT, "ep 'tensorrt': ORT loads '%s' from beside libonnxruntime.so, and it is not there: %s (copy or link it there; bench/device/trt_check.sh does)",
				    used, strerror(errno));
	return gb_ort_provider_check(p, used);
}

int gb_ort_trt_check(void)
{
	char used[4200];

	return check_bridge(gb_ort_plugin_find("tensorrt"), used, sizeof used);
}

int gb_ort_trt_append(struct gb_ort_session *s, const struct gb_runtime_options *opt,
		      OrtSessionOptions *so)
{
	const OrtApi *api = s->api;
	const struct gb_ort_plugin *p = gb_ort_plugin_find(s->ep);
	OrtTensorRTProviderOptionsV2 *tro = NULL;
	const char *keys[GB_TRT_OPT_MAX + 1], *vals[GB_TRT_OPT_MAX + 1];
	char tag[128] = "", dev[16];
	struct gb_ort_trt *t;
	size_t n = 0, at = 0;
	int ret;

	t = s->trt = calloc(1, sizeof *t);
	if (!t)
		return gb_error_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < opt->n_ep_options; i++)
		if (!strcmp(opt->ep_options[i].key, "provider_lib"))
			return gb_error_set(-EINVAL, "ep 'tensorrt' has no option 'provider_lib': ORT loads libonnxruntime_providers_tensorrt.so from beside libonnxruntime.so");
	if (opt->shapes)
		gb_trt_shape_tag(opt->shapes, tag, sizeof tag);
	ret = gb_trt_options_parse(opt->ep_options, opt->n_ep_options, tag, &t->opt);
	if (ret)
		return ret;
	if (s->io == GB_IO_DEVICE)
		return gb_error_set(-ENOTSUP, "ep 'tensorrt' runs with --io host only (the provider bridge gives no device allocator here)");
	/* The version first: its error says how to get TensorRT. */
	ret = gb_trt_version(t->version, sizeof t->version);
	if (ret)
		return gb_error_wrap(ret, "ep 'tensorrt'");
	ret = check_bridge(p, s->provider_lib, sizeof s->provider_lib);
	if (!ret)
		ret = make_dir(t->opt.engine_cache_dir);
	if (!ret && gb_trt_options_get(&t->opt, "trt_timing_cache_path"))
		ret = make_dir(gb_trt_options_get(&t->opt, "trt_timing_cache_path"));
	if (!ret && t->opt.engine_cache_dir[0])
		ret = gb_trt_listing_read(t->opt.engine_cache_dir, &t->before);
	if (ret)
		return ret;

	snprintf(dev, sizeof dev, "%d", s->device_id);
	keys[n] = "device_id";
	vals[n++] = dev;
	for (size_t i = 0; i < t->opt.n; i++, n++) {
		keys[n] = t->opt.keys[i];
		vals[n] = t->opt.vals[i];
		at += (size_t)snprintf(t->options_text + at, at < sizeof t->options_text ? sizeof t->options_text - at : 0,
				       "%s%s=%s", i ? "," : "", keys[n], vals[n]);
		if (at >= sizeof t->options_text)
			at = sizeof t->options_text - 1;
	}
	ret = gb_ort_check(api->CreateTensorRTProviderOptions(&tro),
			   "ep 'tensorrt': cannot create TensorRT provider options");
	if (!ret)
		ret = gb_ort_check(api->UpdateTensorRTProviderOptions(tro, keys, vals, n),
				   "ep 'tensorrt': ORT refused the TensorRT options");
	if (!ret)
		ret = gb_ort_check(api->SessionOptionsAppendExecutionProvider_TensorRT_V2(so, tro),
				   "ep 'tensorrt': cannot add TensorrtExecutionProvider to the session");
	if (tro)
		api->ReleaseTensorRTProviderOptions(tro);
	snprintf(s->ep_name, sizeof s->ep_name, "%s", p->ep_name);
	return ret;
}

static int has_dynamic_input(const struct gb_ort_session *s)
{
	for (size_t i = 0; i < s->nin; i++)
		for (int d = 0; d < s->in_info[i].rank; d++)
			if (s->in_info[i].dims[d] < 0)
				return 1;
	return 0;
}

void gb_ort_trt_describe(struct gb_ort_session *s)
{
	struct gb_ort_trt *t = s->trt;

	t->on_first_run = !t->opt.explicit_profile && has_dynamic_input(s);
	snprintf(t->engine_phase, sizeof t->engine_phase, "%s", t->on_first_run ? "build" : "load");
	gb_ort_trt_refresh(s);
	gb_ort_meta_add(s, "tensorrt_version", t->version);
	gb_ort_meta_add(s, "trt_options", t->options_text);
	gb_ort_meta_add(s, "engine", t->engine);
	gb_ort_meta_add(s, "engine_phase", t->engine_phase);
	gb_ort_meta_add(s, "engine_cache", t->opt.engine_cache_dir[0] ? t->opt.engine_cache_dir : "none");
	gb_ort_meta_add(s, "engine_cache_prefix", t->opt.cache_prefix);
}

int gb_ort_trt_builds_on_first_run(void *session)
{
	struct gb_ort_session *s = session;

	return s->trt && s->trt->on_first_run;
}

void gb_ort_trt_refresh(struct gb_ort_session *s)
{
	struct gb_ort_trt *t = s->trt;
	struct gb_trt_listing now = { 0 };
	enum gb_trt_engine_state st;

	if (!t)
		return;
	if (t->on_first_run && !s->batches_run) {
		snprintf(t->engine, sizeof t->engine, "pending");
		return;
	}
	/* Without a cache TensorRT builds every time. */
	if (!t->opt.engine_cache_dir[0]) {
		snprintf(t->engine, sizeof t->engine, "built");
		return;
	}
	if (gb_trt_listing_read(t->opt.engine_cache_dir, &now)) {
		snprintf(t->engine, sizeof t->engine, "unknown");
		return;
	}
	st = gb_trt_engine_state(&t->before, &now, t->opt.cache_prefix);
	snprintf(t->engine, sizeof t->engine, "%s", gb_trt_engine_state_name(st));
	gb_trt_listing_release(&now);
}

void gb_ort_trt_free(struct gb_ort_session *s)
{
	if (!s->trt)
		return;
	gb_trt_listing_release(&s->trt->before);
	free(s->trt);
	s->trt = NULL;
}

#else
/* Built without ONNX Runtime headers: nothing here (see ort.c). */
typedef int gb_ort_trt_unused;
#endif
