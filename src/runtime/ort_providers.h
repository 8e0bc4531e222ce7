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

/* How a provider is added to a session. */
enum gb_ort_ep_how {
	GB_ORT_EP_BUILTIN,	/* ORT's own (cpu) */
	GB_ORT_EP_PLUGIN,	/* RegisterExecutionProviderLibrary + AppendExecutionProvider_V2 */
	GB_ORT_EP_TENSORRT_V2,	/* provider bridge: SessionOptionsAppendExecutionProvider_TensorRT_V2,
				 * which loads lib from beside libonnxruntime.so */
};

/* X(greenbench name, ORT's name, provider library or NULL for built-in,
 *   a system library the provider cannot work without or NULL, what it is,
 *   how it is added) */
#define GB_ORT_PROVIDERS(X)                                                                   \
	X("cpu", "CPUExecutionProvider", NULL, NULL, NULL, GB_ORT_EP_BUILTIN)                 \
	X("cuda", "CUDAExecutionProvider", "libonnxruntime_providers_cuda.so", NULL, NULL,    \
	  GB_ORT_EP_PLUGIN)                                                                   \
	X("tensorrt", "TensorrtExecutionProvider", "libonnxruntime_providers_tensorrt.so",    \
	  "libnvinfer.so.10", "TensorRT", GB_ORT_EP_TENSORRT_V2)

/* The ep option that keeps or fixes the model's symbolic dims, valid for
 * every provider (ort_dims.c). */
#define GB_ORT_STATIC_DIMS "static_dims"

/* The greenbench names of GB_ORT_PROVIDERS, NULL-terminated (ort_env.c). */
extern const char *const gb_ort_eps[];
/* The ort row's tunable axes (src/runtime/runtimes.c, beside the rows). */
extern const struct gb_runtime_axis gb_ort_axes[];

#endif
