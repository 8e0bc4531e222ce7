/*
 * JPEG (libjpeg-turbo) and PNG (libpng) decoding into 8-bit gray or RGB,
 * with the same choices Pillow makes so pixels match torchvision's loader:
 * libjpeg's default IDCT (islow) and fancy upsampling, Adobe CMYK inverted
 * and converted with Pillow's formula, PNG 16-bit truncated to the high
 * byte, palettes expanded, alpha dropped, no gamma correction.
 */
#include "greenbench/image.h"
#include "greenbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

void gb_image_release(struct gb_image *im)
{
	if (!im)
		return;
	free(im->px);
	im->px = NULL;
	im->w = im->h = im->channels = 0;
}

/* Refuse absurd headers before allocating: 2^28 pixels (16384^2). */
#define MAX_PIXELS (1ULL << 28)

/* The end of a decoder: out->px = px on success, px freed on failure. */
static int image_take_px(struct gb_image *out, uint8_t *px, int ret)
{
	if (ret)
		free(px);
	out->px = ret ? NULL : px;
	return ret;
}

/* ---- JPEG ---------------------------------------------------------- */

struct jpeg_err {
	struct jpeg_error_mgr mgr;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr c)
{
	struct jpeg_err *e = (struct jpeg_err *)c->err;

	e->mgr.format_message(c, e->msg);
	longjmp(e->jb, 1);
}

/* Warnings are ignored (Pillow ignores "extraneous bytes" too), except
 * premature end of data: Pillow refuses truncated files, so do we, at
 * once (libjpeg would go on to fill the rest of the image with gray). */
static void jpeg_emit(j_common_ptr c, int level)
{
	struct jpeg_err *e = (struct jpeg_err *)c->err;

	/* Even a missing EOI marker alone: Pillow 9.4 refuses that too. */
	if (level < 0 && e->mgr.msg_code == JWRN_JPEG_EOF) {
		snprintf(e->msg, sizeof e->msg, "file is truncated");
		longjmp(e->jb, 1);
	}
}

/* The largest M/8 scale whose shorter side stays >= min_short. */
static unsigned dct_scale_num(uint32_t w, uint32_t h, enum gb_dct_scaling dct, uint32_t min_short)
{
	uint32_t s = w < h ? w : h;
	unsigned best = 8, max_num = dct == GB_DCT_HALF ? 4 : 7;

	if (dct == GB_DCT_OFF || !min_short)
		return 8;
	for (unsigned m = 1; m <= max_num; m++) {
		/* libjpeg rounds scaled sizes up: ceil(s * m / 8). */
		if ((s * m + 7) / 8 >= min_short) {
			best = m;
			break;
		}
	}
	return best;
}

static void cmyk_to_rgb(uint8_t *dst, const uint8_t *src, uint32_t w, int inverted)
{
	for (uint32_t x = 0; x < w; x++, src += 4, dst += 3) {
		int k = inverted ? 255 - src[3] : src[3];
		int nk = 255 - k;

		for (int c = 0; c < 3; c++) {
			int v = inverted ? 255 - src[c] : src[c];
			int t = v * nk + 128;
			int r = nk - (((t >> 8) + t) >> 8);
			dst[c] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
		}
	}
}

static int decode_jpeg(const char *name, const uint8_t *buf, size_t len,
		       enum gb_dct_scaling dct, uint32_t min_short, struct gb_image *out)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_err err;
	uint8_t *volatile px = NULL;
	uint8_t *volatile row4 = NULL;
	volatile int ret = 0, cmyk = 0, inverted = 0;

	memset(&cinfo, 0, sizeof cinfo);
	cinfo.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jpeg_fail;
	err.mgr.emit_message = jpeg_emit;
	if (setjmp(err.jb)) {
		ret = gb_error_set(-EBADMSG, "cannot decode image '%s': %s", name, err.msg);
		goto out;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, buf, (unsigned long)len);
	jpeg_read_header(&cinfo, TRUE);
	if ((uint64_t)cinfo.image_width * cinfo.image_height > MAX_PIXELS) {
		ret = gb_error_set(-EFBIG, "cannot decode image '%s': %ux%u pixels is too large",
				   name, cinfo.image_width, cinfo.image_height);
		goto out;
	}
	switch (cinfo.jpeg_color_space) {
	case JCS_GRAYSCALE:
		cinfo.out_color_space = JCS_GRAYSCALE;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		cinfo.out_color_space = JCS_CMYK;
		cmyk = 1;
		inverted = cinfo.saw_Adobe_marker;
		break;
	default:
		cinfo.out_color_space = JCS_RGB;
		break;
	}
	cinfo.scale_num = dct_scale_num(cinfo.image_width, cinfo.image_height, dct, min_short);
	cinfo.scale_denom = 8;
	jpeg_start_decompress(&cinfo);
	out->w = cinfo.output_width;
	out->h = cinfo.output_height;
	out->channels = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3;
	px = malloc((size_t)out->w * out->h * out->channels);
	if (cmyk)
		row4 = malloc((size_t)out->w * 4);
	if (!px || (cmyk && !row4)) {
		ret = gb_error_set(-ENOMEM, "cannot decode image '%s': out of memory", name);
		goto out;
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		uint8_t *dst = px + (size_t)cinfo.output_scanline * out->w * out->channels;
		JSAMPROW row = cmyk ? row4 : dst;

		jpeg_read_scanlines(&cinfo, &row, 1);
		if (cmyk)
			cmyk_to_rgb(dst, row4, out->w, inverted);
	}
	jpeg_finish_decompress(&cinfo);
out:
	jpeg_destroy_decompress(&cinfo);
	free(row4);
	return image_take_px(out, px, ret);
}

/* ---- PNG ----------------------------------------------------------- */

struct png_src {
	const uint8_t *buf;
	size_t len, pos;
	jmp_buf jb;
	char msg[256];
};

static void png_fail(png_structp png, png_const_charp msg)
{
	struct png_src *s = png_get_error_ptr(png);

	snprintf(s->msg, sizeof s->msg, "%s", msg);
	longjmp(s->jb, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_read_mem(png_structp png, png_bytep dst, size_t n)
{
	struct png_src *s = png_get_io_ptr(png);

	if (n > s->len - s->pos)
		png_error(png, "file is truncated");
	memcpy(dst, s->buf + s->pos, n);
	s->pos += n;
}

static int decode_png(const char *name, const uint8_t *buf, size_t len, struct gb_image *out)
{
	struct png_src src = { .buf = buf, .len = len };
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *volatile px = NULL;
	png_bytep *volatile rows = NULL;
	volatile int ret = 0;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_warn);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		ret = gb_error_set(-ENOMEM, "cannot decode image '%s': out of memory", name);
		goto out;
	}
	if (setjmp(src.jb)) {
		ret = gb_error_set(-EBADMSG, "cannot decode image '%s': %s", name, src.msg);
		goto out;
	}
	png_set_read_fn(png, &src, png_read_mem);
	png_read_info(png, info);

	png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
	int ct = png_get_color_type(png, info);

	if ((uint64_t)w * h > MAX_PIXELS) {
		ret = gb_error_set(-EFBIG, "cannot decode image '%s': %ux%u pixels is too large",
				   name, (unsigned)w, (unsigned)h);
		goto out;
	}
	/* Pillow reads 16-bit samples by their high byte; strip_16 does that. */
	png_set_strip_16(png);
	png_set_strip_alpha(png);
	if (ct == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ct == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	out->w = w;
	out->h = h;
	out->channels = png_get_channels(png, info);
	if (out->channels != 1 && out->channels != 3) {
		ret = gb_error_set(-EBADMSG, "cannot decode image '%s': unexpected %u channels",
				   name, out->channels);
		goto out;
	}
	px = malloc((size_t)w * h * out->channels);
	rows = malloc(h * sizeof *rows);
	if (!px || !rows) {
		ret = gb_error_set(-ENOMEM, "cannot decode image '%s': out of memory", name);
		goto out;
	}
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = px + (size_t)y * w * out->channels;
	png_read_image(png, rows);
	png_read_end(png, NULL);
out:
	png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
	free(rows);
	return image_take_px(out, px, ret);
}

/* ---- Entry points -------------------------------------------------- */

int gb_image_decode_mem(const char *name, const uint8_t *buf, size_t len,
			enum gb_dct_scaling dct, uint32_t min_short_px, struct gb_image *out)
{
	static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	memset(out, 0, sizeof *out);
	if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		return decode_jpeg(name, buf, len, dct, min_short_px, out);
	if (len >= 8 && !memcmp(buf, png_magic, 8))
		return decode_png(name, buf, len, out);
	return gb_error_set(-EBADMSG, "cannot decode image '%s': not a JPEG or PNG file", name);
}

int gb_image_decode(const char *path, enum gb_dct_scaling dct, uint32_t min_short_px,
		    struct gb_image *out)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd = -1, ret = 0;

	memset(out, 0, sizeof *out);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = gb_error_set(-errno, "cannot open image '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = gb_error_set(-EISDIR, "cannot open image '%s': not a regular file", path);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = gb_error_set(-ENOMEM, "cannot read image '%s': out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = gb_error_set(-errno, "cannot read image '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	ret = gb_image_decode_mem(path, buf, got, dct, min_short_px, out);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}
