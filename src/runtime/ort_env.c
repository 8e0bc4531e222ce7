/*
 * Loading libonnxruntime.so, the shared OrtEnv, execution-provider
 * plugin libraries, and the dtype map. See ort_internal.h for the search
 * order and why.
 */
#include "runtime/ort_providers.h"

#include <stddef.h>

#define GB_ORT_EP_NAME(ep, ep_name, lib, needs, needs_what, how) ep,

const char *const gb_ort_eps[] = { GB_ORT_PROVIDERS(GB_ORT_EP_NAME) NULL };

#ifdef GB_HAVE_ORT

#include "runtime/ort_internal.h"
#include "greenbench/error.h"
#include "greenbench/paths.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef GB_ORT_LIBDIR
#define GB_ORT_LIBDIR ""
#endif

#define MAX_PLUGINS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* ORT logs from inside calls made under lock (registration): its own. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	void *handle;
	const OrtApi *api;
	const char *version;
	char path[4096];
	char dir[4096];
	char load_error[1024];	/* sticky: we try once per process */
	OrtEnv *env;
	int refs;
	struct {
		const struct gb_ort_plugin *plugin;
		char path[4096];
	} registered[MAX_PLUGINS];
	size_t nregistered;
	char last_log[512];
	FILE *log_file;		/* GREENBENCH_ORT_LOG; kept open for the process */
} ort;

#define GB_ORT_PLUGIN_ROW(ep, ep_name, lib, needs, needs_what, how) \
	{ ep, ep_name, lib, needs, needs_what, how },

/* Every provider, the built-in cpu included (lib_file NULL): not a plugin. */
static const struct gb_ort_plugin plugins[] = { GB_ORT_PROVIDERS(GB_ORT_PLUGIN_ROW) };

const struct gb_ort_plugin *gb_ort_plugin_find(const char *ep)
{
	for (size_t i = 0; i < sizeof plugins / sizeof plugins[0]; i++)
		if (plugins[i].lib_file && !strcmp(plugins[i].ep, ep))
			return &plugins[i];
	return NULL;
}

static void *try_open_flags(const char *path, int flags, char *err, size_t len)
{
	void *h = dlopen(path, flags);

	if (!h) {
		const char *e = dlerror();
		snprintf(err, len, "%s", e ? e : "unknown dlopen error");
	}
	return h;
}

static void *try_open(const char *path, char *err, size_t len)
{
	return try_open_flags(path, RTLD_NOW | RTLD_LOCAL, err, len);
}

/* An installed greenbench (make install) keeps its ORT beside itself:
 * PREFIX/bin/greenbench loads PREFIX/lib/greenbench/libonnxruntime.so. */
static int installed_lib(char *buf, size_t len)
{
	struct gb_path_info pi;

	if (gb_paths_resolve(GB_PATH_LIB, &pi) || pi.source != GB_PATH_FROM_EXE)
		return -ENOENT;
	if ((size_t)snprintf(buf, len, "%s/libonnxruntime.so", pi.path) >= len || access(buf, R_OK))
		return -ENOENT;
	return 0;
}

static int load_locked(void)
{
	const char *env_path = getenv("GREENBENCH_ORT_LIB");
	char built[4200], err[1024] = "";
	const OrtApiBase *(*get_base)(void);
	const OrtApiBase *base;
	Dl_info info;

	if (ort.api)
		return 0;
	if (ort.load_error[0])
		return gb_error_set(-ENOENT, "%s", ort.load_error);

	if (env_path && *env_path) {
		ort.handle = try_open(env_path, err, sizeof err);
	} else {
		if (installed_lib(built, sizeof built) == 0)
			ort.handle = try_open(built, err, sizeof err);
		snprintf(built, sizeof built, "%s/libonnxruntime.so", GB_ORT_LIBDIR);
		if (GB_ORT_LIBDIR[0] && !ort.handle && access(built, R_OK) == 0)
			ort.handle = try_open(built, err, sizeof err);
		if (!ort.handle)
			ort.handle = try_open("libonnxruntime.so.1", err, sizeof err);
		if (!ort.handle)
			ort.handle = try_open("libonnxruntime.so", err, sizeof err);
	}
	if (!ort.handle) {
		snprintf(ort.load_error, sizeof ort.load_error,
			 "cannot load libonnxruntime.so: %s (set GREENBENCH_ORT_LIB or LD_LIBRARY_PATH, or run 'make deps')",
			 err);
		return gb_error_set(-ENOENT, "%s", ort.load_error);
	}
	*(void **)&get_base = dlsym(ort.handle, "OrtGetApiBase");
	base = get_base ? get_base() : NULL;
	if (!base) {
		snprintf(ort.load_error, sizeof ort.load_error,
			 "libonnxruntime.so has no OrtGetApiBase: not an ONNX Runtime library");
		goto fail;
	}
	ort.version = base->GetVersionString();
	ort.api = base->GetApi(GB_ORT_API_MIN);
	if (!ort.api) {
		snprintf(ort.load_error, sizeof ort.load_error,
			 "ONNX Runtime %s is too old: greenbench needs 1.%d or newer", ort.version,
			 GB_ORT_API_MIN);
		goto fail;
	}
	if (dladdr((void *)get_base, &info) && info.dli_fname) {
		const char *slash;

		snprintf(ort.path, sizeof ort.path, "%s", info.dli_fname);
		slash = strrchr(ort.path, '/');
		snprintf(ort.dir, sizeof ort.dir, "%.*s", slash ? (int)(slash - ort.path) : 1,
			 slash ? ort.path : ".");
	}
	return 0;
fail:
	/* Keep the handle: ORT does not support being unloaded. */
	ort.api = NULL;
	return gb_error_set(-ENOEXEC, "%s", ort.load_error);
}

int gb_ort_load(const OrtApi **api)
{
	int ret;

	pthread_mutex_lock(&lock);
	ret = load_locked();
	pthread_mutex_unlock(&lock);
	if (!ret && api)
		*api = ort.api;
	return ret;
}

const char *gb_ort_lib_path(void)
{
	return ort.api ? ort.path : NULL;
}

const char *gb_ort_lib_dir(void)
{
	return ort.api ? ort.dir : NULL;
}

const char *gb_ort_version(void)
{
	return ort.api ? ort.version : NULL;
}

int gb_ort_library(const char **path, const char **version)
{
	int ret = gb_ort_load(NULL);

	*path = ret ? NULL : ort.path;
	*version = ret ? NULL : ort.version;
	return ret;
}

int gb_ort_check(OrtStatus *st, const char *what)
{
	char msg[1024];
	size_t n;

	if (!st)
		return 0;
	snprintf(msg, sizeof msg, "%s", ort.api->GetErrorMessage(st));
	ort.api->ReleaseStatus(st);
	/* One line: ORT messages sometimes end in a newline or hold several. */
	for (n = 0; msg[n]; n++)
		if (msg[n] == '\n' || msg[n] == '\r')
			msg[n] = ' ';
	while (n > 0 && msg[n - 1] == ' ')
		msg[--n] = '\0';
	return gb_error_set(-EIO, "%s: %s", what, msg);
}

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

enum gb_dtype gb_ort_dtype_from(ONNXTensorElementDataType t)
{
	for (size_t i = 0; i < sizeof dtype_map / sizeof dtype_map[0]; i++)
		if (dtype_map[i].ort == t)
			return dtype_map[i].gb;
	return GB_DTYPE_UNKNOWN;
}

ONNXTensorElementDataType gb_ort_dtype_to(enum gb_dtype t)
{
	for (size_t i = 0; i < sizeof dtype_map / sizeof dtype_map[0]; i++)
		if (dtype_map[i].gb == t)
			return dtype_map[i].ort;
	return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
}

/* AllocatorFree reports a status nobody can act on; drop it. */
void gb_ort_alloc_free(struct gb_ort_session *s, void *p)
{
	OrtStatus *st = s->api->AllocatorFree(s->cpu_alloc, p);

	if (st)
		s->api->ReleaseStatus(st);
}

/* ORT's log: keep the last warning or error for error messages; print
 * nothing (the library never prints). */
static void ORT_API_CALL log_cb(void *param, OrtLoggingLevel severity, const char *category,
				const char *logid, const char *code_location, const char *message)
{
	(void)param;
	(void)category;
	(void)logid;
	(void)code_location;
	if (ort.log_file) {
		static const char sev[] = "VIWEF";

		pthread_mutex_lock(&log_lock);
		fprintf(ort.log_file, "%c %s %s\n", sev[severity >= 0 && severity <= 4 ? severity : 4],
			category ? category : "", message ? message : "");
		fflush(ort.log_file);
		pthread_mutex_unlock(&log_lock);
	}
	if (severity < ORT_LOGGING_LEVEL_WARNING)
		return;
	pthread_mutex_lock(&lock);
	snprintf(ort.last_log, sizeof ort.last_log, "%s", message ? message : "");
	pthread_mutex_unlock(&lock);
}

int gb_ort_env_acquire(OrtEnv **env)
{
	int ret;

	pthread_mutex_lock(&lock);
	ret = load_locked();
	if (ret)
		goto out;
	if (!ort.env) {
		const char *log_path = getenv("GREENBENCH_ORT_LOG");

		/* The one way to see ORT's (and TensorRT's) own log, e.g. why an
		 * engine did not build; a file, since the library never prints. */
		if (log_path && *log_path && !ort.log_file)
			ort.log_file = fopen(log_path, "ae");
		ret = gb_ort_check(ort.api->CreateEnvWithCustomLogger(log_cb, NULL,
								      ort.log_file ? ORT_LOGGING_LEVEL_INFO
										   : ORT_LOGGING_LEVEL_WARNING,
								      "greenbench", &ort.env),
				   "cannot create the ONNX Runtime environment");
		if (ret)
			goto out;
	}
	ort.refs++;
	*env = ort.env;
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

void gb_ort_env_release(void)
{
	pthread_mutex_lock(&lock);
	if (ort.refs > 0 && --ort.refs == 0) {
		for (size_t i = 0; i < ort.nregistered; i++) {
			OrtStatus *st = ort.api->UnregisterExecutionProviderLibrary(
				ort.env, ort.registered[i].plugin->ep);
			if (st)
				ort.api->ReleaseStatus(st);
		}
		ort.nregistered = 0;
		ort.api->ReleaseEnv(ort.env);
		ort.env = NULL;
	}
	pthread_mutex_unlock(&lock);
}

/* Loading the library ourselves gives the loader's own words about what is
 * missing ("libcudnn.so.9: cannot open shared object file"), which ORT's
 * registration error does not always carry. */
int gb_ort_provider_check(const struct gb_ort_plugin *p, const char *path)
{
	char err[1024];
	void *h;

	if (p->needs) {
		h = try_open(p->needs, err, sizeof err);
		if (!h)
			return gb_error_set(-ENOENT, "ep '%s' needs %s, and %s cannot be loaded: %s",
					    p->ep, p->needs_what, p->needs, err);
		dlclose(h);
	}
	if (access(path, R_OK) != 0)
		return gb_error_set(-ENOENT,
				    "ep '%s': cannot open provider library '%s': %s (set --ep-option provider_lib=PATH)",
				    p->ep, path, strerror(errno));
	/* Lazily: the provider calls back into libonnxruntime_providers_shared
	 * (Provider_GetHost), which only ORT's own registration loads into the
	 * global scope. A missing dependency (libcudnn) still fails here; an
	 * unresolved symbol is ORT's to resolve (seen on the H200 2026-11-27). */
	h = try_open_flags(path, RTLD_LAZY | RTLD_LOCAL, err, sizeof err);
	if (!h && !strstr(err, "undefined symbol"))
		return gb_error_set(-ENOENT, "ep '%s': cannot load provider library: %s", p->ep, err);
	if (h)
		dlclose(h);
	return 0;
}

static int register_locked(OrtEnv *env, const struct gb_ort_plugin *p, const char *path)
{
	char what[4300];
	int ret;

	for (size_t i = 0; i < ort.nregistered; i++) {
		if (ort.registered[i].plugin != p)
			continue;
		if (strcmp(ort.registered[i].path, path))
			return gb_error_set(-EBUSY, "ep '%s' is already registered from '%s', not '%s'",
					    p->ep, ort.registered[i].path, path);
		return 0;
	}
	if (ort.nregistered == MAX_PLUGINS)
		return gb_error_set(-ENOSPC, "too many execution provider libraries");
	ret = gb_ort_provider_check(p, path);
	if (ret)
		return ret;
	snprintf(what, sizeof what, "ep '%s': cannot register provider library '%s'", p->ep, path);
	ret = gb_ort_check(ort.api->RegisterExecutionProviderLibrary(env, p->ep, path), what);
	if (ret)
		return ret;
	ort.registered[ort.nregistered].plugin = p;
	snprintf(ort.registered[ort.nregistered].path, sizeof ort.registered[0].path, "%s", path);
	ort.nregistered++;
	return 0;
}

int gb_ort_plugin_device(OrtEnv *env, const struct gb_ort_plugin *p, const char *lib_path,
			 int device_id, const OrtEpDevice **out, char *used_path, size_t len)
{
	const OrtEpDevice *const *devs = NULL;
	char found[512] = "";
	size_t ndevs = 0, used = 0;
	int ret, seen = 0;

	pthread_mutex_lock(&lock);
	if (lib_path && *lib_path)
		snprintf(used_path, len, "%s", lib_path);
	else
		snprintf(used_path, len, "%s/%s", ort.dir, p->lib_file);
	ret = register_locked(env, p, used_path);
	if (ret)
		goto out;
	ret = gb_ort_check(ort.api->GetEpDevices(env, &devs, &ndevs),
			   "cannot list execution provider devices");
	if (ret)
		goto out;
	for (size_t i = 0; i < ndevs; i++) {
		const char *name = ort.api->EpDevice_EpName(devs[i]);

		if (name && !strcasecmp(name, p->ep_name) && seen++ == device_id) {
			*out = devs[i];
			goto out;
		}
		used += (size_t)snprintf(found + used, used < sizeof found ? sizeof found - used : 0,
					 "%s%s", i ? ", " : "", name ? name : "?");
		if (used >= sizeof found)
			used = sizeof found - 1;
	}
	if (seen)
		ret = gb_error_set(-ENODEV, "ep '%s': no device %d (%d %s device%s found)", p->ep,
				   device_id, seen, p->ep_name, seen == 1 ? "" : "s");
	else
		ret = gb_error_set(-ENODEV, "ep '%s': %s offers no device here (EP devices found: %s)%s%s",
				   p->ep, p->ep_name, found[0] ? found : "none",
				   ort.last_log[0] ? "; ORT said: " : "", ort.last_log);
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

/* LeakSanitizer (make MODE=asan) asks the program for suppressions. ORT
 * keeps a few bytes of its own for the life of the process (seen: 14 bytes
 * from CreateEnv, freed by no release call); they are not ours to fix.
 * Only frames inside libonnxruntime.so are suppressed. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libonnxruntime.so\n";
}

#else
/* Built without ONNX Runtime headers: nothing here (see ort.c). */
typedef int gb_ort_env_unused;
#endif
