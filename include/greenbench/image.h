/*
 * Image decoding and preprocessing, equal to torchvision's evaluation
 * transform on a PIL image:
 *
 *   Image.open(f).convert("RGB") -> Resize(256) -> CenterCrop(224)
 *     -> ToTensor() -> Normalize(mean, std)
 *
 * Decoding uses libjpeg-turbo (JPEG) and libpng (PNG), chosen by the file's
 * magic bytes, not its name. Resizing reproduces Pillow's separable
 * resampler bit for bit (fixed-point 8-bit passes, horizontal first, filter
 * support scaled by the downscale factor: "antialiased"), so the uint8
 * pixels equal Pillow's and the floats equal torchvision's to rounding.
 *
 * Two stages, so the dataset cache can keep the compact one:
 *   gb_image_load():      file -> cropped uint8 RGB, HWC (what the cache holds)
 *   gb_image_normalize(): uint8 HWC -> float32 CHW, (x/255 - mean) / std
 *
 * Ownership: buffers are the caller's. Units: pixels. Errors return a
 * negative errno with a message naming the file (gb_error_msg()).
 * Thread-safety: all functions are reentrant (no shared state).
 */
#ifndef GREENBENCH_IMAGE_H
#define GREENBENCH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Pillow's resampling filters, by their Pillow names. */
enum gb_interp {
	GB_INTERP_BILINEAR = 0,	/* torchvision's default; support 1 */
	GB_INTERP_BICUBIC,	/* a = -0.5; support 2 */
	GB_INTERP_BOX,		/* support 0.5 */
	GB_INTERP_HAMMING,	/* support 1 */
	GB_INTERP_LANCZOS,	/* support 3 */
};

/* libjpeg-turbo DCT-domain scaling (decode at M/8 of full size). Exact
 * mode reproduces torchvision; the faster modes change pixels (see
 * docs/data.md for the measured differences). */
enum gb_dct_scaling {
	GB_DCT_OFF = 0,		/* decode at full size: equal to torchvision */
	GB_DCT_HALF,		/* only factors <= 1/2 (keeps >= 2x the target) */
	GB_DCT_ANY,		/* any M/8 keeping the shorter side >= resize */
};

struct gb_image_prep {
	uint32_t resize;	/* shorter side after resize; 0: no resize */
	uint32_t crop_h, crop_w;/* center crop; required (batches need one size) */
	enum gb_interp interp;
	enum gb_dct_scaling dct;
	float mean[3], std[3];	/* per channel, applied after x / 255 */
};

/* ImageNet evaluation: 256, 224x224, bilinear, ImageNet mean/std, exact. */
void gb_image_prep_init(struct gb_image_prep *p);

int gb_interp_parse(const char *name, enum gb_interp *out); /* "bilinear", ... */

/* Set one preprocessing option from text, for command-line flags and
 * experiment files: "resize" (pixels, 0: none), "crop" ("224" or "WxH"),
 * "interp" (gb_interp_parse names), "mean" / "std" ("0.485,0.456,0.406";
 * std > 0), "dct" ("off", "half", "any"). -EINVAL with a message naming
 * the key and the text. */
int gb_image_prep_set(struct gb_image_prep *p, const char *key, const char *value);
const char *gb_interp_name(enum gb_interp i);

/* A decoded image: 8-bit, 1 (gray) or 3 (RGB) channels, rows packed. */
struct gb_image {
	uint32_t w, h, channels;
	uint8_t *px;		/* malloc'd; gb_image_release() frees */
};

void gb_image_release(struct gb_image *im);

/* Decode a JPEG or PNG file. JPEG: gray stays 1 channel, everything else
 * becomes RGB; a truncated file is an error. PNG: 16-bit keeps the high
 * byte, palettes expand, alpha is dropped (as Pillow's convert("RGB")).
 * min_short_px > 0 with a JPEG lets DCT scaling (mode dct) shrink the
 * image while its shorter side stays >= min_short_px. */
int gb_image_decode(const char *path, enum gb_dct_scaling dct, uint32_t min_short_px,
		    struct gb_image *out);
/* Same, from memory; name is only used in messages. */
int gb_image_decode_mem(const char *name, const uint8_t *buf, size_t len,
			enum gb_dct_scaling dct, uint32_t min_short_px, struct gb_image *out);

/* Output size of torchvision's Resize(resize) for a w x h image. */
void gb_image_resize_dims(uint32_t w, uint32_t h, uint32_t resize, uint32_t *ow, uint32_t *oh);

/* Resize (Pillow's algorithm) and center-crop (torchvision's rounding,
 * zero padding when the crop is larger) in one step, computing only the
 * pixels the crop keeps. out: crop_h * crop_w * 3 bytes, RGB HWC (gray
 * input is replicated, as convert("RGB") does). Pure. */
int gb_image_resize_crop(const struct gb_image *in, uint32_t out_w, uint32_t out_h,
			 enum gb_interp interp, uint32_t crop_w, uint32_t crop_h, uint8_t *out);

/* Decode, resize and crop one file into out (crop_h * crop_w * 3 bytes). */
int gb_image_load(const char *path, const struct gb_image_prep *p, uint8_t *out);

/* HWC uint8 RGB -> CHW float32 normalized, as ToTensor + Normalize. */
void gb_image_normalize(const uint8_t *hwc, uint32_t w, uint32_t h,
			const struct gb_image_prep *p, float *chw);

#endif
