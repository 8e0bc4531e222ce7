/*
 * Where greenbench finds and keeps things: one place for every path rule.
 *
 *   cache    GREENBENCH_CACHE_DIR, else $XDG_CACHE_HOME/greenbench, else
 *            $HOME/.cache/greenbench; each use has its own subfolder
 *            (zoo/ for exported models, images/ for decoded datasets), and
 *            a directory the user configured for one use wins over all.
 *   workers  GREENBENCH_WORKERS_DIR, else the first directory of
 *            ../workers, ../../workers, ../share/greenbench/workers next to
 *            the executable (build tree, bench tree, installed copy).
 *   run command  GREENBENCH_RUN_CMD, else this executable (/proc/self/exe).
 *   data     GREENBENCH_DATA_DIR, else ../share/greenbench next to the
 *            executable when it exists, else PREFIX/share/greenbench (the
 *            prefix the build was configured with, GB_PREFIX).
 *   lib      greenbench's private libraries of an installed copy (ONNX
 *            Runtime): ../lib/greenbench next to the executable when it
 *            exists, else PREFIX/lib/greenbench. A build tree has none and
 *            its users fall back to what the build found (GB_ORT_LIBDIR).
 *
 * gb_paths_resolve() reports a path together with the rule that chose it,
 * for `greenbench --version` and error messages; the other functions are
 * shorthands that return the path alone. The rules read the environment at
 * each call, so tests set variables and call again.
 *
 * Ownership: results go into caller buffers; names returned are static.
 * Errors: -ENOENT with a message saying which variable to set;
 * -ENAMETOOLONG when a path does not fit the buffer.
 * Thread-safety: as getenv(): safe while nobody changes the environment.
 */
#ifndef GREENBENCH_PATHS_H
#define GREENBENCH_PATHS_H

#include <limits.h>
#include <stddef.h>

enum gb_path_kind {
	GB_PATH_CACHE,
	GB_PATH_WORKERS,
	GB_PATH_RUN_CMD,
	GB_PATH_DATA,
	GB_PATH_LIB,
	GB_PATH_KIND_COUNT,
};

/* Which rule chose a path. */
enum gb_path_source {
	GB_PATH_FROM_CONFIG,	/* given explicitly (an option) */
	GB_PATH_FROM_ENV,	/* a GREENBENCH_* variable */
	GB_PATH_FROM_XDG,	/* $XDG_CACHE_HOME */
	GB_PATH_FROM_HOME,	/* $HOME */
	GB_PATH_FROM_EXE,	/* relative to the executable, or the executable itself */
	GB_PATH_FROM_PREFIX,	/* the build's installation prefix */
};

struct gb_path_info {
	enum gb_path_kind kind;
	enum gb_path_source source;
	const char *env;	/* the variable read (source ENV, XDG, HOME), else NULL */
	int exists;		/* the path exists now (a cache is created on use) */
	char path[PATH_MAX];
};

/* Resolve one kind of path with its rule. */
int gb_paths_resolve(enum gb_path_kind kind, struct gb_path_info *out);

/* "cache", "workers", "run-command", "data", "lib". */
const char *gb_path_kind_name(enum gb_path_kind kind);
/* "config", "env", "xdg", "home", "exe-relative", "prefix". */
const char *gb_path_source_name(enum gb_path_source source);

/* The cache directory of one use ("zoo", "images"): configured as it is
 * when non-empty, else <cache>/<use>. Not created; see gb_paths_mkdir(). */
int gb_paths_cache_dir(const char *configured, const char *use, char *buf, size_t len);
int gb_paths_workers_dir(char *buf, size_t len);
int gb_paths_run_cmd(char *buf, size_t len);
int gb_paths_data_dir(char *buf, size_t len);

/* mkdir -p (mode 0755); "cannot create directory 'X': reason". */
int gb_paths_mkdir(const char *dir);

#endif
