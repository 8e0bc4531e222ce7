#include "lib/gbtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *gbt_mkdtemp(void)
{
	const char *base = getenv("GB_TEST_TMP");
	char tmpl[4096];
	char *p;

	snprintf(tmpl, sizeof tmpl, "%s/gbt-XXXXXX", base && *base ? base : "/tmp");
	p = mkdtemp(tmpl);
	assert_non_null(p);
	return strdup(p);
}

void gbt_rm_rf(const char *path)
{
	char cmd[4200];

	if (!path || !*path || !strcmp(path, "/"))
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", path);
}

static void mkdir_p(char *path)
{
	char *s;

	for (s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
}

void gbt_write(const char *root, const char *rel, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	mkdir_p(path);
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

void gbt_chmod(const char *root, const char *rel, unsigned mode)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", root, rel);
	assert_int_equal(chmod(path, mode), 0);
}

char *gbt_build_path(const char *name)
{
	const char *b = getenv("GB_BUILD");
	const char *src = getenv("GB_SRCDIR");
	char path[4096];

	snprintf(path, sizeof path, "%s/%s/tests/%s", src && *src ? src : ".",
		 b && *b ? b : "build", name);
	return strdup(path);
}

int gbt_run(const char *cmdline, char **out)
{
	size_t len = 0, cap = 0;
	char buf[4096], *acc = NULL;
	FILE *p;
	int st;

	p = popen(cmdline, "r");
	if (!p)
		return -1;
	while (fgets(buf, sizeof buf, p)) {
		size_t n = strlen(buf);
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			acc = realloc(acc, cap);
			assert_non_null(acc);
		}
		memcpy(acc + len, buf, n + 1);
		len += n;
	}
	st = pclose(p);
	if (out)
		*out = acc ? acc : strdup("");
	else
		free(acc);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *gbt_greenbench(void)
{
	const char *b = getenv("GB_BUILD");
	const char *src = getenv("GB_SRCDIR");
	char path[4096];

	snprintf(path, sizeof path, "%s/%s/greenbench", src && *src ? src : ".", b && *b ? b : "build");
	return strdup(path);
}
