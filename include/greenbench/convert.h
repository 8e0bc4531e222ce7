/*
 * Converters: a framework's own exporter to ONNX, run in that framework's
 * worker (`greenbench convert NAME`, campaign models `{zoo: M, convert:
 * NAME}`). One table (src/runtime/converters.c), one row per converter.
 *
 * Ownership: rows are static and never freed; strings go into caller
 * buffers. Thread-safety: the table is read-only; gb_converter_cache_key
 * starts the worker's probe (a process) and is as thread-safe as fork.
 */
#ifndef GREENBENCH_CONVERT_H
#define GREENBENCH_CONVERT_H

#include "greenbench/sha256.h"

#include <stddef.h>

struct gb_converter {
	const char *name;	/* "tf2onnx" */
	const char *runtime;	/* the worker runtime whose exporter runs it: "tf" */
	const char *version_key;	/* its load metadata's framework version: "tf_version" */
};

/* The row called name, or NULL. */
const struct gb_converter *gb_converter_find(const char *name);
/* "torch2onnx, tf2onnx, mx2onnx", truncated to len. */
void gb_converter_names(char *buf, size_t len);
/* A key naming one conversion's output: the converter, the zoo model, the
 * weights file (path, size and modification time; NULL: random weights),
 * the converter's framework version (its runtime's probe) and greenbench's
 * version. 0, or -errno with the reason (the runtime cannot start). */
int gb_converter_cache_key(const struct gb_converter *cv, const char *model, const char *weights,
			   char hex[GB_SHA256_HEX_LEN]);

#endif
