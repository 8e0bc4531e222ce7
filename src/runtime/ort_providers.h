/*
 * The execution providers greenbench knows for ONNX Runtime, in one list
 * (not a public header). Everything that names them is generated from it:
 * the ort row's EP list and the ort-python row's (gb_ort_eps[]), the
 * plugin table of ort_env.c, and the messages that list them. The Python
 * worker's PROVIDERS dict (workers/ort_worker.py) mirrors it by hand.
 *
 * Needs no ONNX Runtime header, so plans are validated by a greenbench
 * built without ORT too.
 */
#ifndef GB_RUNTIME_ORT_PROVIDERS_H
#define GB_RUNTIME_ORT_PROVIDERS_H

#include "greenbench/runtime.h"

/* X(greenbench name, ORT's name, plugin library or NULL for built-in,
 *   a system library the plugin cannot work without or NULL, what it is) */
#define GB_ORT_PROVIDERS(X)                                                                   \
	X("cpu", "CPUExecutionProvider", NULL, NULL, NULL)                                    \
	X("cuda", "CUDAExecutionProvider", "libonnxruntime_providers_cuda.so", NULL, NULL)    \
	X("tensorrt", "TensorrtExecutionProvider", "libonnxruntime_providers_tensorrt.so",    \
	  "libnvinfer.so.10", "TensorRT")

/* The greenbench names of GB_ORT_PROVIDERS, NULL-terminated (ort_env.c). */
extern const char *const gb_ort_eps[];
/* The ort row's tunable axes (src/runtime/runtimes.c, beside the rows). */
extern const struct gb_runtime_axis gb_ort_axes[];

#endif
