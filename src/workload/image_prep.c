/*
 * The preprocessing pipeline around the decoder and the resampler:
 * defaults (torchvision's ImageNet evaluation transform), names, one-file
 * load, and ToTensor + Normalize.
 */
#include "greenbench/image.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const interp_names[] = {
	[GB_INTERP_BILINEAR] = "bilinear",
	[GB_INTERP_BICUBIC] = "bicubic",
	[GB_INTERP_BOX] = "box",
	[GB_INTERP_HAMMING] = "hamming",
	[GB_INTERP_LANCZOS] = "lanczos",
};

void gb_image_prep_init(struct gb_image_prep *p)
{
	static const float mean[3] = { 0.485f, 0.456f, 0.406f };
	static const float std[3] = { 0.229f, 0.224f, 0.225f };

	memset(p, 0, sizeof *p);
	p->resize = 256;
	p->crop_h = p->crop_w = 224;
	p->interp = GB_INTERP_BILINEAR;
	p->dct = GB_DCT_OFF;
	memcpy(p->mean, mean, sizeof mean);
	memcpy(p->std, std, sizeof std);
}

int gb_interp_parse(const char *name, enum gb_interp *out)
{
	for (size_t i = 0; i < sizeof interp_names / sizeof interp_names[0]; i++) {
		if (!strcmp(name, interp_names[i])) {
			*out = (enum gb_interp)i;
			return 0;
		}
	}
	return gb_error_set(-EINVAL, "unknown interpolation '%s' (bilinear, bicubic, box, hamming, lanczos)",
			    name);
}

const char *gb_interp_name(enum gb_interp i)
{
	if ((unsigned)i < sizeof interp_names / sizeof interp_names[0])
		return interp_names[i];
	return "unknown";
}

static int parse_u32(const char *s, char **end, uint32_t *out)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || v > 65535)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_floats3(const char *s, float out[3], int positive)
{
	char *end;

	for (int i = 0; i < 3; i++) {
		double v;

		errno = 0;
		v = strtod(s, &end);
		if (end == s || errno || !isfinite(v) || (positive && v <= 0))
			return -EINVAL;
		out[i] = (float)v;
		if (i < 2 && *end != ',')
			return -EINVAL;
		s = end + (i < 2);
	}
	return *end ? -EINVAL : 0;
}

int gb_image_prep_set(struct gb_image_prep *p, const char *key, const char *value)
{
	static const char *const dct_names[] = { "off", "half", "any" };
	struct gb_image_prep q = *p;
	char *end = NULL;
	int ret = -EINVAL;

	if (!strcmp(key, "resize")) {
		ret = parse_u32(value, &end, &q.resize);
		if (!ret && *end)
			ret = -EINVAL;
	} else if (!strcmp(key, "crop")) {
		ret = parse_u32(value, &end, &q.crop_w);
		q.crop_h = q.crop_w;
		if (!ret && *end == 'x')
			ret = parse_u32(end + 1, &end, &q.crop_h);
		if (!ret && (*end || !q.crop_w || !q.crop_h))
			ret = -EINVAL;
	} else if (!strcmp(key, "interp")) {
		ret = gb_interp_parse(value, &q.interp);
		if (ret)
			return ret;
	} else if (!strcmp(key, "mean") || !strcmp(key, "std")) {
		ret = parse_floats3(value, key[0] == 'm' ? q.mean : q.std, key[0] == 's');
	} else if (!strcmp(key, "dct")) {
		for (size_t i = 0; i < sizeof dct_names / sizeof dct_names[0]; i++)
			if (!strcmp(value, dct_names[i])) {
				q.dct = (enum gb_dct_scaling)i;
				ret = 0;
			}
	} else {
		return gb_error_set(-EINVAL, "unknown image preprocessing option '%s'", key);
	}
	if (ret) {
		static const char *const hint[][2] = {
			{ "resize", "a size in pixels" }, { "crop", "a size, or WxH" },
			{ "mean", "three numbers, comma-separated" },
			{ "std", "three positive numbers, comma-separated" },
			{ "dct", "off, half or any" },
		};
		const char *h = "";

		for (size_t i = 0; i < sizeof hint / sizeof hint[0]; i++)
			if (!strcmp(key, hint[i][0]))
				h = hint[i][1];
		return gb_error_set(-EINVAL, "invalid %s '%s': expected %s", key, value, h);
	}
	*p = q;
	return 0;
}

int gb_image_load(const char *path, const struct gb_image_prep *p, uint8_t *out)
{
	struct gb_image im = { 0 };
	uint32_t ow, oh;
	int ret;

	if (!p->crop_w || !p->crop_h)
		return gb_error_set(-EINVAL, "image preprocessing needs a crop size");
	ret = gb_image_decode(path, p->dct, p->resize, &im);
	if (ret)
		return ret;
	gb_image_resize_dims(im.w, im.h, p->resize, &ow, &oh);
	ret = gb_image_resize_crop(&im, ow, oh, p->interp, p->crop_w, p->crop_h, out);
	if (ret)
		gb_error_wrap(ret, "image '%s'", path);
	gb_image_release(&im);
	return ret;
}

void gb_image_normalize(const uint8_t *hwc, uint32_t w, uint32_t h,
			const struct gb_image_prep *p, float *chw)
{
	float lut[3][256];
	size_t plane = (size_t)w * h;

	/* Same float32 operations as img.float().div(255).sub(mean).div(std). */
	for (int c = 0; c < 3; c++)
		for (int v = 0; v < 256; v++)
			lut[c][v] = ((float)v / 255.0f - p->mean[c]) / p->std[c];
	for (size_t i = 0; i < plane; i++) {
		chw[i] = lut[0][hwc[3 * i]];
		chw[plane + i] = lut[1][hwc[3 * i + 1]];
		chw[2 * plane + i] = lut[2][hwc[3 * i + 2]];
	}
}
