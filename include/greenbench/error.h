/*
 * Error reporting for libgreenbench.
 *
 * Contract: library functions return 0 on success or a negative errno value
 * on failure. Before returning an error they record a human-readable message
 * (lowercase, no trailing full stop, subject quoted) with gb_error_set(); the
 * CLI shows it with gb_error_msg(). The library itself never prints.
 *
 * Thread-safety: the message buffer is thread-local, so each thread sees the
 * message of its own last failure. The returned pointer stays valid until
 * the next gb_error_set() in the same thread.
 */
#ifndef GREENBENCH_ERROR_H
#define GREENBENCH_ERROR_H

#include <stddef.h>

/* Record a message and return err (expected negative) so callers can write
 * `return gb_error_set(-ENOENT, "cannot open '%s'", path);`. */
int gb_error_set(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the current message with more context: "ctx: old message". */
int gb_error_wrap(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The last message recorded in this thread, or strerror(-err) fallback
 * text set by gb_error_errno(). Never NULL. */
const char *gb_error_msg(void);

void gb_error_clear(void);

/* What kind of failure the last error was, for callers that act on it
 * beyond its errno (advice, retries). Set by the code that knows, right
 * after gb_error_set(); reset by the next gb_error_set() and by
 * gb_error_clear(); kept by gb_error_wrap(). Thread-local like the message. */
enum gb_error_kind {
	GB_ERROR_KIND_NONE = 0,
	/* The work did not fit in memory (host or device) at its size: the
	 * batch's inputs or activations. The error is -ENOMEM. */
	GB_ERROR_KIND_OOM,
	/* A list of GPUs to measure (CUDA_VISIBLE_DEVICES, Slurm's, --gpus)
	 * names what is no GPU here: a malformed entry, a UUID no GPU has, an
	 * ambiguous prefix, a GPU named twice, a MIG instance. Not for a list
	 * that names none, which CUDA allows. */
	GB_ERROR_KIND_GPU_LIST,
};

/* Tag the current message with kind and return err, so code can write
 * `return gb_error_mark(gb_error_set(-ENOMEM, "..."), GB_ERROR_KIND_OOM);`. */
int gb_error_mark(int err, enum gb_error_kind kind);
enum gb_error_kind gb_error_kind(void);

#endif
