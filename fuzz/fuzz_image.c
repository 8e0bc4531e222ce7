/* Fuzz the JPEG/PNG decoders (dataset files are untrusted input) and the
 * resampler on whatever they decode. */
#include "greenbench/image.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_image im;
	uint8_t out[24 * 24 * 3];
	uint32_t ow, oh;

	/* The first byte picks DCT scaling, so every decode path is reached. */
	if (!size || gb_image_decode_mem("fuzz", data + 1, size - 1, (enum gb_dct_scaling)(data[0] % 3),
					 data[0] & 0x80 ? 16 : 0, &im))
		return 0;
	if ((uint64_t)im.w * im.h <= 1u << 20) {
		gb_image_resize_dims(im.w, im.h, 28, &ow, &oh);
		gb_image_resize_crop(&im, ow, oh, (enum gb_interp)(data[0] % 5), 24, 24, out);
	}
	gb_image_release(&im);
	return 0;
}
