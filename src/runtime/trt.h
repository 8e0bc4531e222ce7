/*
 * ONNX Runtime's TensorRT execution provider, the parts that need no ORT
 * header (not a public header): the --ep-option table (greenbench's short
 * names and ORT's trt_* keys), option validation, the engine cache's
 * reuse logic and TensorRT's version. ort.c passes the result to
 * UpdateTensorRTProviderOptions.
 *
 * Engine reuse: ORT names cached engines by a hash of the model and of its
 * options, which greenbench cannot reproduce. Instead the cache directory is
 * listed before the session and again once the engine exists: an .engine
 * file under the run's prefix that is new or changed (size, mtime) means
 * TensorRT built it; otherwise a cached one was reused.
 *
 * Ownership: struct gb_trt_options holds its own copies of every string.
 * Listings (struct gb_trt_listing) are allocated by gb_trt_listing_read()
 * and freed with gb_trt_listing_release(). Units: bytes, nanoseconds.
 * Thread-safety: every function is pure or touches only its arguments,
 * except gb_trt_version() (dlopen, thread-safe).
 */
#ifndef GB_RUNTIME_TRT_H
#define GB_RUNTIME_TRT_H

#include "greenbench/inputs.h"
#include "greenbench/tensor.h"

#include <stddef.h>
#include <stdint.h>

#define GB_TRT_OPT_MAX 32
#define GB_TRT_VALUE_MAX 1024

/* What to get when TensorRT is missing, in every message about it. */
#define GB_TRT_HOW_TO_GET                                                                    \
	"TensorRT 10 (libnvinfer.so.10) is not installed: put its lib directory on "         \
	"LD_LIBRARY_PATH (bench/device/trt-bundle.sh makes one for the GPU machine, "        \
	"docs/tensorrt-bundle.md)"

struct gb_trt_options {
	/* ORT's keys and values, in the order given, ready for
	 * UpdateTensorRTProviderOptions. */
	char keys[GB_TRT_OPT_MAX][64];
	char vals[GB_TRT_OPT_MAX][GB_TRT_VALUE_MAX];
	size_t n;
	/* Facts the session needs (also among keys/vals). */
	char engine_cache_dir[GB_TRT_VALUE_MAX]; /* "": no engine cache */
	char cache_prefix[256];	/* trt_engine_cache_prefix, given or derived */
	int prefix_given;	/* the user named the prefix */
	int explicit_profile;	/* trt_profile_{min,opt,max}_shapes given */
	int fp16, int8;
};

/*
 * Parse --ep-option pairs for ep tensorrt into out: greenbench's short
 * names (fp16, int8, int8_calibration_table, engine_cache, timing_cache,
 * workspace, builder_opt_level, profile_min/opt/max, dump_subgraphs,
 * cuda_graph, engine_cache_prefix, ...) or ORT's trt_* keys as they are.
 * Keys greenbench handles itself (device_id, provider_lib, session.*) are
 * skipped. Each value is checked; an error names the key, the value and
 * what was expected. shape_tag (may be NULL) names the run's shapes
 * ("b64"): the default engine cache prefix, so engines of different batch
 * sizes in one cache do not overwrite each other.
 */
int gb_trt_options_parse(const struct gb_kv *in, size_t n, const char *shape_tag,
			 struct gb_trt_options *out);

/* The value given for ORT key trt_key, or NULL. */
const char *gb_trt_options_get(const struct gb_trt_options *o, const char *trt_key);

/* The ORT key a greenbench name maps to ("fp16" -> "trt_fp16_enable"),
 * a trt_* key to itself; NULL when unknown. */
const char *gb_trt_key(const char *name);

/* "b64" or "b64_seq128" from the batch and --dim values of shapes (batch
 * 0 counts as 1): letters, digits, '_' and '-' only. */
void gb_trt_shape_tag(const struct gb_input_config *shapes, char *buf, size_t len);

/* ---- engine cache --------------------------------------------------- */

struct gb_trt_file {
	char name[256];
	uint64_t size_bytes;
	int64_t mtime_ns;
};

struct gb_trt_listing {
	struct gb_trt_file *files;
	size_t n;
};

enum gb_trt_engine_state {
	GB_TRT_ENGINE_NONE,	/* no engine file under the prefix (no cache, or no TRT subgraph) */
	GB_TRT_ENGINE_BUILT,	/* an engine file appeared or changed */
	GB_TRT_ENGINE_REUSED,	/* engine files there, none new or changed */
};

const char *gb_trt_engine_state_name(enum gb_trt_engine_state s); /* "none", "built", "reused" */

/* The regular files of dir (not recursive); a missing dir is an empty
 * listing. */
int gb_trt_listing_read(const char *dir, struct gb_trt_listing *out);
void gb_trt_listing_release(struct gb_trt_listing *l);

/* Compare two listings of the cache: only files named "<prefix>_*.engine"
 * count (any "*.engine" when prefix is NULL or ""). Pure. */
enum gb_trt_engine_state gb_trt_engine_state(const struct gb_trt_listing *before,
					     const struct gb_trt_listing *after, const char *prefix);

/* gb_trt_version() (TensorRT's version) is declared in greenbench/runtime.h. */

#endif
