/*
 * Dataset layouts: find the items and their labels (see the table in
 * include/greenbench/dataset.h). Nothing here decodes an image or reads a
 * review; bad items found while listing (missing label, empty folder,
 * unparsable line) fail, or are skipped and counted with skip_bad.
 */
#include "workload/dataset_int.h"
#include "greenbench/error.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct names {
	char **v;
	size_t n;
};

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int has_ext(const char *name, const char *const *exts)
{
	const char *dot = strrchr(name, '.');

	for (; dot && *exts; exts++)
		if (!strcasecmp(dot + 1, *exts))
			return 1;
	return 0;
}

static const char *const image_exts[] = { "jpg", "jpeg", "png", NULL };
static const char *const text_exts[] = { "txt", NULL };

/* Sorted entries of dir: folders (want_dirs) or files with one of exts. */
static int list_dir(const char *dir, int want_dirs, const char *const *exts, struct names *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	int ret = 0;

	out->v = NULL;
	out->n = 0;
	if (!d)
		return gb_error_set(-errno, "cannot open folder '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (want_dirs ? !is_dir(path) : (is_dir(path) || !has_ext(e->d_name, exts)))
			continue;
		char **nv = realloc(out->v, (out->n + 1) * sizeof *nv);
		char *s = strdup(e->d_name);

		if (!nv || !s) {
			free(s);
			if (nv)
				out->v = nv;
			ret = gb_error_set(-ENOMEM, "out of memory");
			break;
		}
		out->v = nv;
		out->v[out->n++] = s;
	}
	closedir(d);
	if (ret)
		names_free(out);
	else if (out->n)
		qsort(out->v, out->n, sizeof *out->v, cmp_str);
	return ret;
}

/* A bad listing entry: fail, or record it as skipped. */
static int bad_entry(struct gb_dataset *ds, int err)
{
	return ds->o.skip_bad ? gb_ds_skip(ds) : err;
}

/* Add class lists one item per class at a time (balanced prefixes). */
static int add_interleaved(struct gb_dataset *ds, const char *base, char **cls, size_t ncls,
			   struct names *files, const int64_t *labels)
{
	char path[8192];
	size_t most = 0;

	for (size_t c = 0; c < ncls; c++)
		if (files[c].n > most)
			most = files[c].n;
	for (size_t i = 0; i < most; i++) {
		for (size_t c = 0; c < ncls; c++) {
			if (i >= files[c].n)
				continue;
			snprintf(path, sizeof path, "%s/%s/%s", base, cls[c], files[c].v[i]);
			int ret = gb_ds_add_item(ds, path, NULL, 0, path, labels[c]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int parse_label(const char *s, int text, int64_t *out)
{
	char *end;
	long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (text) {
		if (!strcasecmp(s, "pos") || !strcasecmp(s, "positive")) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, "neg") || !strcasecmp(s, "negative")) {
			*out = 0;
			return 0;
		}
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	if (end == s || *end || errno || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ---- Images -------------------------------------------------------- */

static int images_by_class(struct gb_dataset *ds, const char *root, struct names *cls)
{
	size_t ncls = cls->n;
	struct names *files = calloc(ncls, sizeof *files);
	int64_t *labels = malloc(ncls * sizeof *labels);
	char dir[8192];
	int ret = 0;

	if (!files || !labels) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < cls->n; c++) {
		labels[c] = (int64_t)c;
		snprintf(dir, sizeof dir, "%s/%s", root, cls->v[c]);
		ret = list_dir(dir, 0, image_exts, &files[c]);
		if (!ret && !files[c].n)
			ret = bad_entry(ds, gb_error_set(-ENOENT, "empty folder '%s': no .jpg, .jpeg or .png files",
							 dir));
		if (ret)
			goto out;
	}
	ret = add_interleaved(ds, root, cls->v, cls->n, files, labels);
	if (ret)
		goto out;
	ds->classes = cls->v;
	ds->nclasses = cls->n;
	cls->v = NULL;
	cls->n = 0;
out:
	for (size_t c = 0; files && c < ncls; c++)
		names_free(&files[c]);
	free(files);
	free(labels);
	return ret;
}

static int in_names(const struct names *s, const char *name)
{
	return s->n && bsearch(&name, s->v, s->n, sizeof *s->v, cmp_str);
}

/* "file label" lines; files relative to dir. check: images of dir that
 * the file does not list are missing a label. */
static int images_from_labels(struct gb_dataset *ds, const char *file, const char *dir, int check)
{
	FILE *f = fopen(file, "r");
	struct names listed = { 0 }, present = { 0 };
	char *line = NULL, path[8192], name[8192];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;

	if (!f)
		return gb_error_set(-errno, "cannot open label file '%s': %s", file, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *sp;
		int64_t label;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		snprintf(name, sizeof name, "%s:%zu", file, lineno);
		sp = strrchr(line, ' ');
		if (!sp)
			sp = strrchr(line, '\t');
		if (!sp || parse_label(sp + 1, 0, &label)) {
			ret = bad_entry(ds, gb_error_set(-EINVAL, "missing label at '%s': expected \"file label\"",
							 name));
			if (ret)
				goto out;
			continue;
		}
		*sp = '\0';
		snprintf(path, sizeof path, "%s/%s", dir, line);
		ret = gb_ds_add_item(ds, path, NULL, 0, path, label);
		if (ret)
			goto out;
		char *copy = strdup(line);
		char **nv = copy ? realloc(listed.v, (listed.n + 1) * sizeof *nv) : NULL;

		if (!nv) {
			free(copy);
			ret = gb_error_set(-ENOMEM, "out of memory");
			goto out;
		}
		listed.v = nv;
		listed.v[listed.n++] = copy;
	}
	if (check) {
		if (listed.n)
			qsort(listed.v, listed.n, sizeof *listed.v, cmp_str);
		ret = list_dir(dir, 0, image_exts, &present);
		for (size_t i = 0; !ret && i < present.n; i++) {
			if (in_names(&listed, present.v[i]))
				continue;
			ret = bad_entry(ds, gb_error_set(-ENOENT, "missing label for '%s/%s' in '%s'", dir,
							 present.v[i], file));
		}
	}
out:
	free(line);
	names_free(&listed);
	names_free(&present);
	fclose(f);
	return ret;
}

static int list_images(struct gb_dataset *ds, const char *path)
{
	struct names cls = { 0 };
	char labels[8192], dir[4096];
	int ret;

	if (!is_dir(path)) {
		const char *slash = strrchr(path, '/');

		snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
		return images_from_labels(ds, path, dir, 0);
	}
	ret = list_dir(path, 1, NULL, &cls);
	if (ret)
		return ret;
	if (cls.n) {
		ret = images_by_class(ds, path, &cls);
		names_free(&cls);
		return ret;
	}
	if (ds->o.labels)
		return images_from_labels(ds, ds->o.labels, path, 1);
	snprintf(labels, sizeof labels, "%s/labels.txt", path);
	if (access(labels, F_OK)) {
		struct names any = { 0 };
		size_t nimages;

		ret = list_dir(path, 0, image_exts, &any);
		nimages = any.n;
		names_free(&any);
		if (ret)
			return ret;
		if (!nimages)
			return gb_error_set(-ENOENT, "empty folder '%s': no class folders and no images", path);
		return gb_error_set(-ENOENT, "missing labels for '%s': no class folders and no labels.txt",
				    path);
	}
	return images_from_labels(ds, labels, path, 1);
}

/* ---- Text ---------------------------------------------------------- */

static int text_imdb(struct gb_dataset *ds, const char *root)
{
	char *cls[2] = { "neg", "pos" };
	static const int64_t labels[2] = { 0, 1 };
	struct names files[2] = { { 0 } };
	char dir[8192];
	int ret = 0;

	for (int c = 0; c < 2; c++) {
		snprintf(dir, sizeof dir, "%s/%s", root, cls[c]);
		ret = list_dir(dir, 0, text_exts, &files[c]);
		if (!ret && !files[c].n)
			ret = bad_entry(ds, gb_error_set(-ENOENT, "empty folder '%s': no .txt files", dir));
		if (ret)
			goto out;
	}
	ret = add_interleaved(ds, root, cls, 2, files, labels);
out:
	names_free(&files[0]);
	names_free(&files[1]);
	return ret;
}

/* One TSV or JSONL line into (text, label); -EINVAL with a message. */
static int parse_line(const char *name, char *line, int jsonl, char **text, int64_t *label)
{
	cJSON *j = NULL, *t, *l;
	int ret = 0;

	*text = NULL;
	if (!jsonl) {
		char *tab = strrchr(line, '\t');

		if (!tab || parse_label(tab + 1, 1, label))
			return gb_error_set(-EINVAL, "missing label at '%s': expected \"text<TAB>label\"", name);
		*tab = '\0';
		*text = strdup(line);
		return *text ? 0 : gb_error_set(-ENOMEM, "out of memory");
	}
	j = cJSON_Parse(line);
	t = cJSON_GetObjectItemCaseSensitive(j, "text");
	l = cJSON_GetObjectItemCaseSensitive(j, "label");
	if (!j || !cJSON_IsString(t)) {
		ret = gb_error_set(-EINVAL, "bad line '%s': expected {\"text\": \"...\", \"label\": N}", name);
	} else if (cJSON_IsNumber(l) && l->valuedouble >= 0 && l->valuedouble == (double)(int64_t)l->valuedouble) {
		*label = (int64_t)l->valuedouble;
	} else if (!cJSON_IsString(l) || parse_label(l->valuestring, 1, label)) {
		ret = gb_error_set(-EINVAL, "missing label at '%s'", name);
	}
	if (!ret && !(*text = strdup(t->valuestring)))
		ret = gb_error_set(-ENOMEM, "out of memory");
	cJSON_Delete(j);
	return ret;
}

static int text_lines(struct gb_dataset *ds, const char *file, int jsonl)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, name[8192];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;

	if (!f)
		return gb_error_set(-errno, "cannot open dataset '%s': %s", file, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *text = NULL;
		int64_t label;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (lineno == 1 && !jsonl && !strcasecmp(line, "text\tlabel"))
			continue;
		snprintf(name, sizeof name, "%s:%zu", file, lineno);
		ret = parse_line(name, line, jsonl, &text, &label);
		if (ret == -EINVAL) {
			ret = bad_entry(ds, ret);
			if (ret)
				break;
			continue;
		}
		if (!ret)
			ret = gb_ds_add_item(ds, NULL, text, strlen(text), name, label);
		if (ret) {
			free(text);
			break;
		}
	}
	free(line);
	fclose(f);
	if (!ret && !ds->n && !ds->nskipped)
		ret = gb_error_set(-ENOENT, "empty dataset '%s'", file);
	return ret;
}

static int imdb_root(const char *path, char *buf, size_t len)
{
	char a[8192], b[8192];

	snprintf(a, sizeof a, "%s/test/pos", path);
	snprintf(b, sizeof b, "%s/test/neg", path);
	if (is_dir(a) && is_dir(b)) {
		snprintf(buf, len, "%s/test", path);
		return 1;
	}
	snprintf(a, sizeof a, "%s/pos", path);
	snprintf(b, sizeof b, "%s/neg", path);
	if (is_dir(a) && is_dir(b)) {
		snprintf(buf, len, "%s", path);
		return 1;
	}
	return 0;
}

static const char *const tsv_exts[] = { "tsv", NULL };
static const char *const jsonl_exts[] = { "jsonl", "json", "ndjson", NULL };

int gb_ds_list(struct gb_dataset *ds, const char *path)
{
	char root[8192];
	int imdb = is_dir(path) && imdb_root(path, root, sizeof root);
	int lines = !is_dir(path) && (has_ext(path, tsv_exts) || has_ext(path, jsonl_exts));
	struct stat st;

	if (stat(path, &st))
		return gb_error_set(-errno, "cannot open dataset '%s': %s", path, strerror(errno));
	if (ds->kind == GB_DATASET_AUTO)
		ds->kind = imdb || lines ? GB_DATASET_TEXT : GB_DATASET_IMAGES;
	if (ds->kind == GB_DATASET_IMAGES)
		return list_images(ds, path);
	if (imdb)
		return text_imdb(ds, root);
	if (lines)
		return text_lines(ds, path, has_ext(path, jsonl_exts));
	return gb_error_set(-EINVAL, "cannot read '%s' as text: expected an IMDB folder (test/pos, test/neg), "
			    ".tsv or .jsonl", path);
}
