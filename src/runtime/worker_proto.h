/*
 * Worker protocol messages (docs/worker-protocol.md): pure encoding and
 * decoding, no I/O, so it is unit-tested and fuzzed with fixed lines.
 *
 * Requests are built into a caller-owned struct gb_wp_buf; replies are
 * decoded from one line (without its newline) into a struct gb_wp_reply
 * that owns its arrays and is released with gb_wp_reply_release().
 *
 * Errors: -EPROTO with a message that quotes the offending line (cut to
 * GB_WP_QUOTE_MAX bytes, control characters escaped); -ENOMEM.
 * Thread-safety: none needed (no shared state).
 */
#ifndef GB_RUNTIME_WORKER_PROTO_H
#define GB_RUNTIME_WORKER_PROTO_H

#include "greenbench/runtime.h"

#include <stddef.h>
#include <stdint.h>

#define GB_WP_PROTOCOL 1
#define GB_WP_QUOTE_MAX 160

enum gb_wp_op {
	GB_WP_HELLO,
	GB_WP_LOAD,
	GB_WP_INPUTS,
	GB_WP_RUN,
	GB_WP_OUTPUTS,
	GB_WP_SHUTDOWN,
	GB_WP_CONVERT,
	GB_WP_CONFIGURE,
};

const char *gb_wp_op_name(enum gb_wp_op op);

/* A growable text buffer for one request line (ends in '\n'). */
struct gb_wp_buf {
	char *p;
	size_t len, cap;
};

void gb_wp_buf_release(struct gb_wp_buf *b);

/* A tensor exchanged through a file in the worker's exchange directory. */
struct gb_wp_tensor {
	struct gb_tensor_info info;
	char file[256];		/* name inside the exchange directory */
};

int gb_wp_encode_hello(struct gb_wp_buf *b, const char *dir);
/* model, device, io, seed, threads and every ep option go into "options". */
int gb_wp_encode_load(struct gb_wp_buf *b, const struct gb_runtime_options *opt);
int gb_wp_encode_inputs(struct gb_wp_buf *b, const struct gb_wp_tensor *t, size_t n);
/* Exactly one of n (batches) and duration_ns is non-zero. */
int gb_wp_encode_run(struct gb_wp_buf *b, uint64_t n, uint64_t duration_ns, int want_latencies);
int gb_wp_encode_outputs(struct gb_wp_buf *b);
int gb_wp_encode_shutdown(struct gb_wp_buf *b);
/* Export the loaded model to ONNX at path (opset). */
int gb_wp_encode_convert(struct gb_wp_buf *b, const char *path, int opset);
/* New option values for the loaded model (opt's ep options, all of them). */
int gb_wp_encode_configure(struct gb_wp_buf *b, const struct gb_runtime_options *opt);

struct gb_wp_kv {
	char *key;
	char *value;
};

/* What a failure reply says of itself ("kind"); kinds this side does not
 * know are GB_WP_FAIL_OTHER, so a newer worker stays understood. */
enum gb_wp_fail_kind {
	GB_WP_FAIL_OTHER = 0,
	GB_WP_FAIL_INVALID,	/* the request's values cannot be taken, in any worker */
	GB_WP_FAIL_OOM,		/* the framework ran out of memory */
};

struct gb_wp_reply {
	int ok;
	char error[512];	/* the worker's own message when !ok */
	enum gb_wp_fail_kind fail_kind;	/* when !ok */
	/* Phase clock and CPU time, CLOCK_MONOTONIC ns; every reply but
	 * hello's and shutdown's carries them. */
	int has_times;
	uint64_t t_start_ns, t_end_ns;
	int has_cpu;
	uint64_t cpu_user_start_ns, cpu_sys_start_ns;
	uint64_t cpu_user_end_ns, cpu_sys_end_ns;
	/* hello */
	int protocol;
	char worker[64];
	char version[64];
	int64_t pid;
	/* run */
	uint64_t n;
	uint64_t *lat_ns;	/* n entries when latencies were asked for */
	size_t nlat;
	/* load: inputs and outputs; outputs: outputs with their files */
	struct gb_wp_tensor *inputs;
	size_t ninputs;
	struct gb_wp_tensor *outputs;
	size_t noutputs;
	struct gb_wp_kv *meta;
	size_t nmeta;
};

/* Decode the reply to op from line[0..len). A well-formed {"ok":false}
 * reply decodes with 0 and ok == 0. */
int gb_wp_decode_reply(enum gb_wp_op op, const char *line, size_t len, struct gb_wp_reply *out);
void gb_wp_reply_release(struct gb_wp_reply *r);

/* Quote text for an error message: at most max bytes, control characters
 * and non-ASCII bytes as \xNN, "..." when cut. */
void gb_wp_quote(const char *text, size_t len, char *buf, size_t buflen);

/* Parse a dtype name ("float32", "int64", ...); GB_DTYPE_UNKNOWN if none. */
enum gb_dtype gb_wp_dtype_parse(const char *name);

#endif
