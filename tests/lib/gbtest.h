/*
 * Helpers shared by the tests: temporary trees for fake sysfs/dev roots.
 * Single-threaded test use only. Paths returned are malloc'd; callers free.
 */
#ifndef GBTEST_H
#define GBTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* mkdtemp under $GB_TEST_TMP (or /tmp); aborts the test on failure. */
char *gbt_mkdtemp(void);
/* Remove a tree (rm -rf). */
void gbt_rm_rf(const char *path);
/* Write root/rel, creating parent directories; printf-style content. */
void gbt_write(const char *root, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* chmod root/rel. */
void gbt_chmod(const char *root, const char *rel, unsigned mode);
/* Path to a built test artefact: $GB_BUILD/tests/<name> (GB_BUILD defaults to "build"). */
char *gbt_build_path(const char *name);
/* Path to the greenbench binary under test: $GB_SRCDIR/$GB_BUILD/greenbench. */
char *gbt_greenbench(void);
/* Run a shell command line, return its exit status (or -1); output captured
 * into *out (malloc'd, may be NULL to discard). */
int gbt_run(const char *cmdline, char **out);

#endif
