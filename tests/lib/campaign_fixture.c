/*
 * The campaign tests' shared fixture (campaign_fixture.h).
 */
#include "lib/campaign_fixture.h"
#include "lib/gbtest.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

struct gbt_campaign gbt_cf;

int gbt_campaign_setup(void **st)
{
	char *built = gbt_build_path("fake-run");
	struct gbt_campaign *c = &gbt_cf;

	(void)st;
	memset(c, 0, sizeof *c);
	c->dir = gbt_mkdtemp();
	c->gb = gbt_greenbench();
	snprintf(c->fake, sizeof c->fake, "%s", built);
	free(built);
	snprintf(c->zoo, sizeof c->zoo, "%s/cache/zoo", c->dir);
	snprintf(c->log, sizeof c->log, "%s/log", c->dir);
	snprintf(c->env, sizeof c->env, "GREENBENCH_RUN_CMD='%s' GREENBENCH_CACHE_DIR='%s/cache' GB_FAKE_LOG='%s'",
		 c->fake, c->dir, c->log);
	setenv("GB_FAKE_LOG", c->log, 1);
	/* Hermetic: no NVML of the machine unless a test names the fake. */
	setenv("GREENBENCH_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
	return chdir(c->dir) ? -1 : 0;
}

/* Unset every variable whose name starts with prefix. */
static void unset_prefixed(const char *prefix)
{
	size_t len = strlen(prefix);
	char name[256];

	/* Unsetting changes environ: start again after each one. */
	for (char **e = environ; e && *e;) {
		size_t n = strcspn(*e, "=");

		if (strncmp(*e, prefix, len) || n >= sizeof name) {
			e++;
			continue;
		}
		snprintf(name, sizeof name, "%.*s", (int)n, *e);
		unsetenv(name);
		e = environ;
	}
}

int gbt_campaign_teardown(void **st)
{
	struct gbt_campaign *c = &gbt_cf;

	(void)st;
	unset_prefixed("GB_FAKE_");
	unset_prefixed("FAKE_NVML_");
	setenv("GREENBENCH_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
	if (chdir("/"))
		return -1;
	gbt_rm_rf(c->dir);
	free(c->dir);
	free(c->gb);
	memset(c, 0, sizeof *c);
	return 0;
}

int gbt_cf_gb(const char *extra_env, const char *args, char **out)
{
	char cmd[32768];

	snprintf(cmd, sizeof cmd, "cd '%s' && %s %s '%s' %s 2>&1", gbt_cf.dir, gbt_cf.env, extra_env, gbt_cf.gb,
		 args);
	return gbt_run(cmd, out);
}

long long gbt_cf_db_int(const char *db, const char *sql)
{
	char path[4200];
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;

	snprintf(path, sizeof path, "%s/%s", gbt_cf.dir, db);
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open '%s': %s", path, sqlite3_errmsg(h));
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}
