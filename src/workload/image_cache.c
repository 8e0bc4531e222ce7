/*
 * Cache of preprocessed images: one memory-mapped file per (file list,
 * sizes, mtimes, preprocessing, decoder versions), named by a 64-bit hash
 * of all of them, so any change is a different file (a miss) and an
 * unchanged dataset maps the old one (a hit). A cache is built in a
 * temporary file and renamed into place only once complete, so readers
 * never see a partial one and concurrent builders do not collide.
 *
 * Layout: 64-byte header, one status byte per item, padding to 64, then
 * item_bytes (crop_h * crop_w * 3 uint8, HWC) per item.
 */
#include "workload/dataset_int.h"
#include "greenbench/error.h"
#include "greenbench/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bump when decoding or resampling output changes. */
#define CACHE_FORMAT "greenbench-image-cache-1"

struct cache_header {
	char magic[8];
	uint64_t key, n, item_bytes;
	uint32_t complete, pad;
	uint64_t reserved[3];
};

static const char magic[8] = "GBIMGC01";

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

uint64_t gb_img_cache_key(const struct gb_dataset *ds)
{
	const struct gb_image_prep *p = &ds->o.image;
	uint64_t h = 14695981039346656037ULL;
	uint32_t v[5] = { p->resize, p->crop_w, p->crop_h, (uint32_t)p->interp, (uint32_t)p->dct };
	char lib[128];

	snprintf(lib, sizeof lib, "%s jpeg %d png %s", CACHE_FORMAT, JPEG_LIB_VERSION,
		 PNG_LIBPNG_VER_STRING);
	h = fnv64(h, lib, strlen(lib) + 1);
	h = fnv64(h, v, sizeof v);
	for (size_t i = 0; i < ds->n; i++) {
		const char *path = ds->items[i].path;
		struct stat st;
		int64_t id[3] = { -1, -1, -1 };

		if (!stat(path, &st)) {
			id[0] = (int64_t)st.st_size;
			id[1] = (int64_t)st.st_mtim.tv_sec;
			id[2] = (int64_t)st.st_mtim.tv_nsec;
		}
		h = fnv64(h, path, strlen(path) + 1);
		h = fnv64(h, id, sizeof id);
	}
	return h;
}

/* The one cache rule (greenbench/paths.h), in its images/ folder, unless
 * the caller configured a folder. */
int gb_img_cache_dir(const char *configured, char *buf, size_t len)
{
	int ret = gb_paths_cache_dir(configured, "images", buf, len);

	return ret ? ret : gb_paths_mkdir(buf);
}

static size_t data_offset(size_t n)
{
	return (sizeof(struct cache_header) + n + 63) & ~(size_t)63;
}

static void set_layout(struct gb_img_cache *c)
{
	c->status = c->map + sizeof(struct cache_header);
	c->data = c->map + data_offset(c->n);
}

/* Map path if it is a complete cache for (key, n, item_bytes). */
static int try_hit(struct gb_img_cache *c, uint64_t key)
{
	const struct cache_header *h;
	struct stat st;
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);
	void *m;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) || (size_t)st.st_size != c->map_len)
		goto miss;
	m = mmap(NULL, c->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto miss;
	h = m;
	if (memcmp(h->magic, magic, 8) || h->key != key || h->n != c->n ||
	    h->item_bytes != c->item_bytes || h->complete != 1) {
		munmap(m, c->map_len);
		goto miss;
	}
	c->fd = fd;
	c->map = m;
	c->hit = 1;
	set_layout(c);
	return 1;
miss:
	close(fd);
	return 0;
}

int gb_img_cache_open(struct gb_img_cache *c, const char *dir, uint64_t key, size_t n,
		      size_t item_bytes)
{
	struct cache_header *h;
	int ret = 0;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->n = n;
	c->item_bytes = item_bytes;
	c->map_len = data_offset(n) + n * item_bytes;
	snprintf(c->path, sizeof c->path, "%s/images-%016llx.gbc", dir, (unsigned long long)key);
	if (try_hit(c, key))
		return 0;
	snprintf(c->tmp, sizeof c->tmp, "%s.tmp-XXXXXX", c->path);
	c->fd = mkstemp(c->tmp);
	if (c->fd < 0) {
		ret = gb_error_set(-errno, "cannot create cache '%s': %s", c->tmp, strerror(errno));
		c->tmp[0] = '\0';
		goto out;
	}
	if (ftruncate(c->fd, (off_t)c->map_len)) {
		ret = gb_error_set(-errno, "cannot size cache '%s' to %zu bytes: %s", c->tmp, c->map_len,
				   strerror(errno));
		goto out;
	}
	c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		ret = gb_error_set(-errno, "cannot map cache '%s': %s", c->tmp, strerror(errno));
		goto out;
	}
	h = (struct cache_header *)c->map;
	memcpy(h->magic, magic, 8);
	h->key = key;
	h->n = n;
	h->item_bytes = item_bytes;
	set_layout(c);
out:
	if (ret)
		gb_img_cache_close(c);
	return ret;
}

int gb_img_cache_commit(struct gb_img_cache *c)
{
	if (c->hit || !c->tmp[0])
		return 0;
	((struct cache_header *)c->map)->complete = 1;
	/* Data first, then the name: a renamed cache is always complete. */
	if (msync(c->map, c->map_len, MS_SYNC))
		return gb_error_set(-errno, "cannot write cache '%s': %s", c->tmp, strerror(errno));
	if (rename(c->tmp, c->path))
		return gb_error_set(-errno, "cannot rename cache '%s': %s", c->tmp, strerror(errno));
	c->tmp[0] = '\0';
	return 0;
}

void gb_img_cache_close(struct gb_img_cache *c)
{
	if (c->map)
		munmap(c->map, c->map_len);
	if (c->fd >= 0)
		close(c->fd);
	if (c->tmp[0])
		unlink(c->tmp);
	c->map = NULL;
	c->fd = -1;
	c->tmp[0] = '\0';
}
