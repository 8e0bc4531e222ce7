/*
 * Path rules (see greenbench/paths.h). Every rule is here so that the CLI,
 * campaigns, datasets and workers agree, and `--version` can say which
 * rule won.
 */
#include "greenbench/paths.h"

#include "greenbench/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef GB_PREFIX
#define GB_PREFIX "/usr/local"
#endif

static const char *const kind_names[GB_PATH_KIND_COUNT] = {
	[GB_PATH_CACHE] = "cache",
	[GB_PATH_WORKERS] = "workers",
	[GB_PATH_RUN_CMD] = "run-command",
	[GB_PATH_DATA] = "data",
	[GB_PATH_LIB] = "lib",
};

static const char *const source_names[] = {
	[GB_PATH_FROM_CONFIG] = "config",
	[GB_PATH_FROM_ENV] = "env",
	[GB_PATH_FROM_XDG] = "xdg",
	[GB_PATH_FROM_HOME] = "home",
	[GB_PATH_FROM_EXE] = "exe-relative",
	[GB_PATH_FROM_PREFIX] = "prefix",
};

const char *gb_path_kind_name(enum gb_path_kind kind)
{
	return (unsigned)kind < GB_PATH_KIND_COUNT ? kind_names[kind] : "?";
}

const char *gb_path_source_name(enum gb_path_source source)
{
	return (unsigned)source < sizeof source_names / sizeof source_names[0] ? source_names[source] : "?";
}

static const char *env_get(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int put(struct gb_path_info *o, enum gb_path_source src, const char *env, const char *a,
	       const char *b)
{
	o->source = src;
	o->env = env;
	if ((size_t)snprintf(o->path, sizeof o->path, "%s%s", a, b) >= sizeof o->path)
		return gb_error_set(-ENAMETOOLONG, "path too long: '%s%s'", a, b);
	o->exists = access(o->path, F_OK) == 0;
	return 0;
}

/* The directory of the running executable. */
static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n < 0)
		return gb_error_set(-errno, "cannot find greenbench's own path (/proc/self/exe): %s", strerror(errno));
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return 0;
}

static int resolve_cache(struct gb_path_info *o)
{
	const char *v;

	if ((v = env_get("GREENBENCH_CACHE_DIR")))
		return put(o, GB_PATH_FROM_ENV, "GREENBENCH_CACHE_DIR", v, "");
	if ((v = env_get("XDG_CACHE_HOME")))
		return put(o, GB_PATH_FROM_XDG, "XDG_CACHE_HOME", v, "/greenbench");
	if ((v = env_get("HOME")))
		return put(o, GB_PATH_FROM_HOME, "HOME", v, "/.cache/greenbench");
	return gb_error_set(-ENOENT, "no cache directory: set GREENBENCH_CACHE_DIR or HOME");
}

static int resolve_workers(struct gb_path_info *o)
{
	/* build/greenbench, build/bench/x, installed bin/greenbench */
	static const char *const rel[] = { "/../workers", "/../../workers", "/../share/greenbench/workers" };
	const char *v = env_get("GREENBENCH_WORKERS_DIR");
	char exe[PATH_MAX];
	int ret;

	if (v) {
		if (!is_dir(v))
			return gb_error_set(-ENOENT, "GREENBENCH_WORKERS_DIR '%s' is not a directory", v);
		return put(o, GB_PATH_FROM_ENV, "GREENBENCH_WORKERS_DIR", v, "");
	}
	if (!exe_dir(exe, sizeof exe)) {
		for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			char real[PATH_MAX];

			ret = put(o, GB_PATH_FROM_EXE, NULL, exe, rel[i]);
			if (!ret && is_dir(o->path))
				return realpath(o->path, real) ? put(o, GB_PATH_FROM_EXE, NULL, real, "") : 0;
		}
	}
	o->path[0] = '\0';
	return gb_error_set(-ENOENT, "cannot find the workers directory (set GREENBENCH_WORKERS_DIR)");
}

static int resolve_run_cmd(struct gb_path_info *o)
{
	const char *v = env_get("GREENBENCH_RUN_CMD");
	ssize_t n;

	if (v)
		return put(o, GB_PATH_FROM_ENV, "GREENBENCH_RUN_CMD", v, "");
	n = readlink("/proc/self/exe", o->path, sizeof o->path - 1);
	if (n < 0)
		return gb_error_set(-errno, "cannot find greenbench's own path (/proc/self/exe): %s", strerror(errno));
	o->path[n] = '\0';
	o->source = GB_PATH_FROM_EXE;
	o->exists = 1;
	return 0;
}

/* An installed copy's folder: EXEDIR/../<sub> if it is a directory, else
 * PREFIX/<sub>. The first is made canonical, so that records name it
 * without "bin/..". */
static int resolve_installed(struct gb_path_info *o, const char *sub)
{
	char exe[PATH_MAX], real[PATH_MAX];

	if (!exe_dir(exe, sizeof exe) && !put(o, GB_PATH_FROM_EXE, NULL, exe, "/..") &&
	    strlen(o->path) + strlen(sub) + 2 < sizeof o->path) {
		snprintf(o->path + strlen(o->path), sizeof o->path - strlen(o->path), "/%s", sub);
		if (is_dir(o->path))
			return realpath(o->path, real) ? put(o, GB_PATH_FROM_EXE, NULL, real, "") : 0;
	}
	return put(o, GB_PATH_FROM_PREFIX, NULL, GB_PREFIX "/", sub);
}

static int resolve_data(struct gb_path_info *o)
{
	const char *v = env_get("GREENBENCH_DATA_DIR");

	if (v)
		return put(o, GB_PATH_FROM_ENV, "GREENBENCH_DATA_DIR", v, "");
	return resolve_installed(o, "share/greenbench");
}

int gb_paths_resolve(enum gb_path_kind kind, struct gb_path_info *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	switch (kind) {
	case GB_PATH_CACHE:
		return resolve_cache(out);
	case GB_PATH_WORKERS:
		return resolve_workers(out);
	case GB_PATH_RUN_CMD:
		return resolve_run_cmd(out);
	case GB_PATH_DATA:
		return resolve_data(out);
	case GB_PATH_LIB:
		return resolve_installed(out, "lib/greenbench");
	default:
		return gb_error_set(-EINVAL, "unknown kind of path %d", (int)kind);
	}
}

static int copy_out(const char *path, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s", path) >= len)
		return gb_error_set(-ENAMETOOLONG, "path too long: '%s'", path);
	return 0;
}

static int resolve_into(enum gb_path_kind kind, char *buf, size_t len)
{
	struct gb_path_info pi;
	int ret = gb_paths_resolve(kind, &pi);

	return ret ? ret : copy_out(pi.path, buf, len);
}

int gb_paths_cache_dir(const char *configured, const char *use, char *buf, size_t len)
{
	struct gb_path_info pi;
	int ret;

	if (configured && *configured)
		return copy_out(configured, buf, len);
	if ((ret = gb_paths_resolve(GB_PATH_CACHE, &pi)))
		return ret;
	if (!use || !*use)
		return copy_out(pi.path, buf, len);
	if ((size_t)snprintf(buf, len, "%s/%s", pi.path, use) >= len)
		return gb_error_set(-ENAMETOOLONG, "path too long: '%s/%s'", pi.path, use);
	return 0;
}

int gb_paths_workers_dir(char *buf, size_t len)
{
	return resolve_into(GB_PATH_WORKERS, buf, len);
}

int gb_paths_run_cmd(char *buf, size_t len)
{
	return resolve_into(GB_PATH_RUN_CMD, buf, len);
}

int gb_paths_data_dir(char *buf, size_t len)
{
	return resolve_into(GB_PATH_DATA, buf, len);
}

int gb_paths_mkdir(const char *dir)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof buf, "%s", dir) >= sizeof buf)
		return gb_error_set(-ENAMETOOLONG, "path too long: '%s'", dir);
	for (char *s = buf + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return gb_error_set(-errno, "cannot create directory '%s': %s", buf, strerror(errno));
		if (!c)
			return 0;
		*s = c;
	}
}
