/*
 * Path rules (greenbench/paths.h) with the environment set in the test:
 * which rule wins for the cache, workers, run command and data
 * directories, and that each result names its rule. The executable-
 * relative rules are checked on a copy of this program placed in an
 * installed-looking tree (bin/, share/greenbench/workers/).
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const vars[] = { "GREENBENCH_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "GREENBENCH_WORKERS_DIR",
				    "GREENBENCH_RUN_CMD", "GREENBENCH_DATA_DIR" };
static char *saved[sizeof vars / sizeof vars[0]];
static char *dir;

static int setup(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		saved[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
		unsetenv(vars[i]);
	}
	dir = gbt_mkdtemp();
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
	gbt_rm_rf(dir);
	free(dir);
	return 0;
}

static void check(enum gb_path_kind kind, enum gb_path_source src, const char *env, const char *path)
{
	struct gb_path_info pi;

	assert_int_equal(gb_paths_resolve(kind, &pi), 0);
	assert_int_equal(pi.kind, kind);
	assert_string_equal(gb_path_source_name(pi.source), gb_path_source_name(src));
	if (env)
		assert_string_equal(pi.env, env);
	else
		assert_null(pi.env);
	if (path)
		assert_string_equal(pi.path, path);
}

static void test_cache_rules(void **st)
{
	char want[PATH_MAX], buf[PATH_MAX];
	struct gb_path_info pi;

	(void)st;
	/* Nothing set: no cache, and the message says what to set. */
	assert_int_equal(gb_paths_resolve(GB_PATH_CACHE, &pi), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "set GREENBENCH_CACHE_DIR or HOME"));

	setenv("HOME", "/h", 1);
	check(GB_PATH_CACHE, GB_PATH_FROM_HOME, "HOME", "/h/.cache/greenbench");
	setenv("XDG_CACHE_HOME", "/x", 1);
	check(GB_PATH_CACHE, GB_PATH_FROM_XDG, "XDG_CACHE_HOME", "/x/greenbench");
	setenv("GREENBENCH_CACHE_DIR", "/g", 1);
	check(GB_PATH_CACHE, GB_PATH_FROM_ENV, "GREENBENCH_CACHE_DIR", "/g");
	/* Empty is unset. */
	setenv("GREENBENCH_CACHE_DIR", "", 1);
	check(GB_PATH_CACHE, GB_PATH_FROM_XDG, "XDG_CACHE_HOME", "/x/greenbench");

	/* Each use in its folder; a configured folder wins as it is. */
	assert_int_equal(gb_paths_cache_dir(NULL, "zoo", buf, sizeof buf), 0);
	assert_string_equal(buf, "/x/greenbench/zoo");
	assert_int_equal(gb_paths_cache_dir("", "images", buf, sizeof buf), 0);
	assert_string_equal(buf, "/x/greenbench/images");
	assert_int_equal(gb_paths_cache_dir("/mine", "images", buf, sizeof buf), 0);
	assert_string_equal(buf, "/mine");
	assert_int_equal(gb_paths_cache_dir(NULL, "zoo", buf, 8), -ENAMETOOLONG);

	/* exists follows the file system; mkdir makes every level. */
	snprintf(want, sizeof want, "%s/c", dir);
	setenv("GREENBENCH_CACHE_DIR", want, 1);
	assert_int_equal(gb_paths_resolve(GB_PATH_CACHE, &pi), 0);
	assert_false(pi.exists);
	assert_int_equal(gb_paths_cache_dir(NULL, "zoo", buf, sizeof buf), 0);
	assert_int_equal(gb_paths_mkdir(buf), 0);
	assert_int_equal(gb_paths_mkdir(buf), 0);
	assert_int_equal(gb_paths_resolve(GB_PATH_CACHE, &pi), 0);
	assert_true(pi.exists);
	gbt_write(dir, "file", "x");
	snprintf(want, sizeof want, "%s/file/sub", dir);
	assert_int_equal(gb_paths_mkdir(want), -ENOTDIR);
	assert_non_null(strstr(gb_error_msg(), "cannot create directory '"));
}

static void test_run_cmd_rules(void **st)
{
	char self[PATH_MAX];
	ssize_t n;

	(void)st;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	check(GB_PATH_RUN_CMD, GB_PATH_FROM_EXE, NULL, self);
	setenv("GREENBENCH_RUN_CMD", "/opt/fake-run", 1);
	check(GB_PATH_RUN_CMD, GB_PATH_FROM_ENV, "GREENBENCH_RUN_CMD", "/opt/fake-run");
}

static void test_workers_rules(void **st)
{
	struct gb_path_info pi;
	char buf[PATH_MAX], exe[PATH_MAX], real[PATH_MAX];
	ssize_t n;

	(void)st;
	/* build/tests/test_paths: ../../workers is the source tree's, named
	 * canonically. */
	assert_int_equal(gb_paths_resolve(GB_PATH_WORKERS, &pi), 0);
	assert_int_equal(pi.source, GB_PATH_FROM_EXE);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(buf, sizeof buf, "%s/../../workers", exe);
	assert_non_null(realpath(buf, real));
	assert_string_equal(pi.path, real);
	snprintf(buf, sizeof buf, "%s/torch_worker.py", pi.path);
	assert_int_equal(access(buf, R_OK), 0);

	setenv("GREENBENCH_WORKERS_DIR", dir, 1);
	check(GB_PATH_WORKERS, GB_PATH_FROM_ENV, "GREENBENCH_WORKERS_DIR", dir);
	assert_int_equal(gb_paths_workers_dir(buf, sizeof buf), 0);
	assert_string_equal(buf, dir);
	/* A variable naming no directory is an error, not a fallback. */
	setenv("GREENBENCH_WORKERS_DIR", "/nonexistent/workers", 1);
	assert_int_equal(gb_paths_workers_dir(buf, sizeof buf), -ENOENT);
	assert_string_equal(gb_error_msg(), "GREENBENCH_WORKERS_DIR '/nonexistent/workers' is not a directory");
}

static void test_lib_rules(void **st)
{
	struct gb_path_info pi;

	(void)st;
	/* A build tree has no lib/greenbench next to it: the build's prefix. */
	check(GB_PATH_LIB, GB_PATH_FROM_PREFIX, NULL, NULL);
	assert_int_equal(gb_paths_resolve(GB_PATH_LIB, &pi), 0);
	assert_string_equal(pi.path + strlen(pi.path) - strlen("/lib/greenbench"), "/lib/greenbench");
}

static void test_data_rules(void **st)
{
	struct gb_path_info pi;

	/* No share/greenbench next to build/tests: the build's prefix. */
	check(GB_PATH_DATA, GB_PATH_FROM_PREFIX, NULL, NULL);
	assert_int_equal(gb_paths_resolve(GB_PATH_DATA, &pi), 0);
	assert_string_equal(pi.path + strlen(pi.path) - strlen("/share/greenbench"), "/share/greenbench");
	(void)st;
	setenv("GREENBENCH_DATA_DIR", "/d", 1);
	check(GB_PATH_DATA, GB_PATH_FROM_ENV, "GREENBENCH_DATA_DIR", "/d");
}

/* Run as a copy in PREFIX/bin: print each resolved path and its rule. */
static int print_paths(void)
{
	for (int k = 0; k < GB_PATH_KIND_COUNT; k++) {
		struct gb_path_info pi;

		if (gb_paths_resolve((enum gb_path_kind)k, &pi))
			printf("%s error %s\n", gb_path_kind_name((enum gb_path_kind)k), gb_error_msg());
		else
			printf("%s %s %s\n", gb_path_kind_name(pi.kind), gb_path_source_name(pi.source), pi.path);
	}
	return 0;
}

static void test_installed_layout(void **st)
{
	char cmd[4 * PATH_MAX], *out = NULL, want[3 * PATH_MAX];

	(void)st;
	gbt_write(dir, "share/greenbench/workers/torch_worker.py", "# fake\n");
	gbt_write(dir, "bin/.keep", "\n");
	gbt_write(dir, "lib/greenbench/libonnxruntime.so", "not a library\n");
	snprintf(cmd, sizeof cmd, "cp /proc/%ld/exe '%s/bin/greenbench' && env -u GREENBENCH_WORKERS_DIR "
		 "-u GREENBENCH_DATA_DIR -u GREENBENCH_RUN_CMD GREENBENCH_CACHE_DIR=/c '%s/bin/greenbench' --print-paths",
		 (long)getpid(), dir, dir);
	assert_int_equal(gbt_run(cmd, &out), 0);
	/* Canonical paths: records and --version name them without "bin/..". */
	snprintf(want, sizeof want, "data exe-relative %s/share/greenbench\n", dir);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "workers exe-relative %s/share/greenbench/workers\n", dir);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "lib exe-relative %s/lib/greenbench\n", dir);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof want, "run-command exe-relative %s/bin/greenbench\n", dir);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "cache env /c\n"));
	free(out);
	/* Without lib/greenbench beside it: the build's prefix. */
	snprintf(want, sizeof want, "%s/lib", dir);
	gbt_rm_rf(want);
	assert_int_equal(gbt_run(cmd, &out), 0);
	assert_non_null(strstr(out, "lib prefix "));
	free(out);
}

static void test_names(void **st)
{
	(void)st;
	for (int k = 0; k < GB_PATH_KIND_COUNT; k++)
		assert_string_not_equal(gb_path_kind_name((enum gb_path_kind)k), "?");
	for (int s = GB_PATH_FROM_CONFIG; s <= GB_PATH_FROM_PREFIX; s++)
		assert_string_not_equal(gb_path_source_name((enum gb_path_source)s), "?");
	assert_string_equal(gb_path_source_name(GB_PATH_FROM_EXE), "exe-relative");
	assert_string_equal(gb_path_kind_name(GB_PATH_KIND_COUNT), "?");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_cmd_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lib_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_installed_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	};

	if (argc > 1 && !strcmp(argv[1], "--print-paths"))
		return print_paths();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
