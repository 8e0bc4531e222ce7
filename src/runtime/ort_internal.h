/*
 * ONNX Runtime plumbing shared by src/runtime/ort*.c (not a public header).
 *
 * libonnxruntime.so is loaded with dlopen at run time, never linked, so one
 * greenbench binary runs against whichever ORT tree the machine has (the
 * CPU build from npm here, the GPU tree on the H100 machine) and
 * `greenbench devices` can say why ORT is missing instead of the loader
 * refusing to start the program. Search order:
 *   1. GREENBENCH_ORT_LIB (a path to the library; no fallback when set),
 *   2. ../lib/greenbench/libonnxruntime.so from the executable's directory,
 *      where `make install` puts it,
 *   3. GB_ORT_LIBDIR/libonnxruntime.so, the tree greenbench was built with,
 *   4. libonnxruntime.so.1, then libonnxruntime.so, on the loader's path.
 * The library is never unloaded (ORT's static state does not survive it).
 *
 * One OrtEnv is shared by every session of the process (ORT wants one per
 * process); sessions take a reference and the last one releases it.
 * Execution-provider plugin libraries are registered in that env once per
 * provider. ORT's log goes to a buffer, never to the terminal: the library
 * never prints.
 *
 * Thread-safety: loading, env references and EP registration are
 * serialised by one mutex.
 */
#ifndef GB_RUNTIME_ORT_INTERNAL_H
#define GB_RUNTIME_ORT_INTERNAL_H

#include "greenbench/runtime.h"
#include "runtime/ort_providers.h"

#include <onnxruntime_c_api.h>

#include <stddef.h>
#include <stdint.h>

/* Oldest ORT C API this backend uses (EpDevice_MemoryInfo, CopyTensors,
 * GetSharedAllocator arrived in 1.23). */
#define GB_ORT_API_MIN 23

/* Load the library once; *api stays valid for the process. */
int gb_ort_load(const OrtApi **api);
/* Path and version of the loaded library (NULL before gb_ort_load). */
const char *gb_ort_lib_path(void);
const char *gb_ort_lib_dir(void);
const char *gb_ort_version(void);

int gb_ort_env_acquire(OrtEnv **env);
void gb_ort_env_release(void);

/* Turn a non-NULL status into gb_error_set(-EIO, "<what>: <ORT message>")
 * and release it; 0 for a NULL status. */
int gb_ort_check(OrtStatus *st, const char *what);

/* An execution provider of GB_ORT_PROVIDERS (ort_providers.h); those with
 * a lib_file are served by a plugin library. */
struct gb_ort_plugin {
	const char *ep;		/* greenbench name: "cuda", "tensorrt" */
	const char *ep_name;	/* ORT's name: "CUDAExecutionProvider" */
	const char *lib_file;	/* default file name in the ORT lib dir; NULL: built in */
	const char *needs;	/* a system library it cannot work without, or NULL */
	const char *needs_what;	/* what that library is ("TensorRT") */
	enum gb_ort_ep_how how;
};

/* The plugin provider called ep; NULL for cpu (built in) and unknown names. */
const struct gb_ort_plugin *gb_ort_plugin_find(const char *ep);

/* Load p's needs and then path (lazily) once, so a missing dependency is
 * named by the loader ("libcudnn.so.9: cannot open shared object file");
 * -ENOENT with that message. */
int gb_ort_provider_check(const struct gb_ort_plugin *p, const char *path);

/* Register p's library (lib_path, or <ORT lib dir>/p->lib_file when NULL)
 * in env if not done yet, and return the device_id-th OrtEpDevice of its
 * provider. The path actually used goes to used_path. Errors name the
 * missing library (dlerror text) or list the EP devices found. */
int gb_ort_plugin_device(OrtEnv *env, const struct gb_ort_plugin *p, const char *lib_path,
			 int device_id, const OrtEpDevice **out, char *used_path, size_t len);

/* ---- sessions (ort.c opens and closes, ort_run.c feeds and runs) ---- */

#define GB_ORT_META_MAX 24

struct gb_ort_session {
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
	int dims_symbolic;		/* static_dims=0 (ort_dims.c) */
	char free_dims[512];		/* "batch=1,seq=128": the dims fixed */
	uint64_t batches_run;		/* by run_batches(), successful ones */
	struct gb_ort_trt *trt;		/* ep tensorrt only (ort_trt.c) */
	struct gb_kv meta[GB_ORT_META_MAX];
	size_t nmeta;
};

/* ---- free dimensions (ort_dims.c) ------------------------------------ */

/* The value of ep option static_dims: "1" (default) fixes the model's
 * symbolic dims to the run's shape, "0" keeps them; -EINVAL otherwise. */
int gb_ort_dims_option(struct gb_ort_session *s, const char *value);
/* Before CreateSession: unless static_dims=0 or opt->shapes is NULL, read
 * the model's graph inputs and add a free-dimension override to so for
 * each symbolic dim the run's shape gives (gb_inputs_free_dims()), listed
 * in s->free_dims. */
int gb_ort_dims_apply(struct gb_ort_session *s, const struct gb_runtime_options *opt,
		      OrtSessionOptions *so);

/* Add k=v (borrowed, must outlive the session) to the session's
 * metadata; empty or NULL values and entries past GB_ORT_META_MAX are
 * left out. */
void gb_ort_meta_add(struct gb_ort_session *s, const char *k, const char *v);

/* ---- ep tensorrt (ort_trt.c) ---- */

/* Parse the TensorRT options of opt (trt.h), check that TensorRT and the
 * provider library load, and add the provider to so; s->trt is set.
 * Before CreateSession. */
int gb_ort_trt_append(struct gb_ort_session *s, const struct gb_runtime_options *opt,
		      OrtSessionOptions *so);
/* After CreateSession and the signature: the metadata entries. */
void gb_ort_trt_describe(struct gb_ort_session *s);
/* 1 when the first Run() builds the engine (dynamic input dims and no
 * explicit profile), else 0. */
int gb_ort_trt_builds_on_first_run(void *session);
/* Whether ep tensorrt can be added here: the bridge's libraries beside
 * libonnxruntime.so and TensorRT itself load (`devices`). 0 or -ENOENT. */
int gb_ort_trt_check(void);
/* Refresh the engine state (built, reused, pending) from the cache. */
void gb_ort_trt_refresh(struct gb_ort_session *s);
void gb_ort_trt_free(struct gb_ort_session *s);

enum gb_dtype gb_ort_dtype_from(ONNXTensorElementDataType t);
ONNXTensorElementDataType gb_ort_dtype_to(enum gb_dtype t);
/* AllocatorFree through the session's default allocator, status dropped. */
void gb_ort_alloc_free(struct gb_ort_session *s, void *p);

/* The ops of ort_run.c (see runtime.h for their contracts). */
int gb_ort_set_inputs(void *session, const struct gb_tensor *inputs, size_t n);
int gb_ort_run_batches(void *session, uint64_t n, uint64_t *lat_ns);
int gb_ort_outputs(void *session, const struct gb_tensor **out, size_t *n);
/* Release inputs, binding and outputs (before closing). */
void gb_ort_release_io(struct gb_ort_session *s);

/* The very session behind a gb_runtime_ort session, for
 * bench/bench_run_overhead.c to time a bare Run() loop against
 * run_batches(). Host I/O only (fails with -EINVAL otherwise). */
struct gb_ort_raw {
	const OrtApi *api;
	OrtSession *session;
	const char *const *in_names;
	const OrtValue *const *in_vals;
	size_t nin;
	const char *const *out_names;
	size_t nout;
};

int gb_ort_session_raw(void *session, struct gb_ort_raw *raw);

#endif
