/*
 * Free dimensions: greenbench runs every session at one known shape
 * (--batch, --dim), so before the session is created the model's symbolic
 * dims are fixed to it with AddFreeDimensionOverrideByName. ORT's constant
 * folding then turns shape computations (Shape -> Gather -> Unsqueeze ->
 * Slice, as torch.onnx writes for BERT's position_ids[:, :seq]) into
 * constants. Besides letting ORT plan memory for one shape, that removes
 * the pattern on which ORT 1.29's CUDA plugin EP dies with SIGSEGV: a
 * Slice whose bound is computed at run time (docs/runtimes.md, "Free
 * dimensions"). The values come from gb_inputs_free_dims(), the rule the
 * generated inputs follow, so the session and its inputs cannot disagree.
 */
#include "greenbench/error.h"
#include "greenbench/inputs.h"
#include "greenbench/onnx_inputs.h"

#ifdef GB_HAVE_ORT

#include "runtime/ort_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gb_ort_dims_option(struct gb_ort_session *s, const char *value)
{
	if (strcmp(value, "0") && strcmp(value, "1"))
		return gb_error_set(-EINVAL, "invalid value '%s' for ep option '%s' (0 or 1)", value,
				    GB_ORT_STATIC_DIMS);
	s->dims_symbolic = !strcmp(value, "0");
	return 0;
}

int gb_ort_dims_apply(struct gb_ort_session *s, const struct gb_runtime_options *opt,
		      OrtSessionOptions *so)
{
	struct gb_tensor_info *in = NULL;
	struct gb_dim dims[GB_MAX_DIMS];
	size_t nin = 0, nd = 0, used = 0, len;
	int ret;

	s->free_dims[0] = '\0';
	/* An ORT-format file (.ort) is no ModelProto, and was optimised for
	 * its shapes when it was written. */
	len = strlen(opt->model);
	if (s->dims_symbolic || !opt->shapes || (len > 4 && !strcmp(opt->model + len - 4, ".ort")))
		return 0;
	ret = gb_onnx_inputs_read(opt->model, &in, &nin);
	/* Dims no --dim values stay symbolic: a dataset's inputs may fill
	 * them, and generating inputs says what is missing. */
	if (!ret)
		ret = gb_inputs_free_dims(in, nin, opt->shapes, GB_FREE_DIMS_KNOWN, dims, GB_MAX_DIMS,
					  &nd);
	for (size_t i = 0; !ret && i < nd; i++) {
		char what[160];
		int n;

		snprintf(what, sizeof what, "cannot fix dim '%s' to %lld", dims[i].name,
			 (long long)dims[i].value);
		ret = gb_ort_check(s->api->AddFreeDimensionOverrideByName(so, dims[i].name, dims[i].value),
				   what);
		n = snprintf(s->free_dims + used, sizeof s->free_dims - used, "%s%s=%lld",
			     i ? "," : "", dims[i].name, (long long)dims[i].value);
		if (!ret && (n < 0 || (size_t)n >= sizeof s->free_dims - used))
			ret = gb_error_set(-E2BIG, "the model's symbolic dims do not fit the run's metadata");
		if (!ret)
			used += (size_t)n;
	}
	free(in);
	return ret;
}

#endif
