/*
 * Fixture shared by the campaign tests (test_engine, test_cluster,
 * test_trust): a temporary directory that is also the working directory,
 * the scripted fake run (tests/fakes/fake_run.c) as the run command, its
 * log, a cache with its zoo inside the directory, and a hermetic meter (no
 * NVML of the machine). In-process engine calls and greenbench children
 * see the same: the variables are set in this process's environment, and
 * env holds them as shell assignments for a command line.
 *
 * One fixture at a time (a static one, gbt_cf): single-threaded tests
 * only. The teardown unsets every GB_FAKE_* and FAKE_NVML_* variable a
 * test set, so no test leaks a fake's behaviour into the next.
 */
#ifndef GBT_CAMPAIGN_FIXTURE_H
#define GBT_CAMPAIGN_FIXTURE_H

#include <stddef.h>

struct gbt_campaign {
	char *dir;		/* the temporary directory (malloc'd) */
	char *gb;		/* the greenbench under test (malloc'd) */
	char fake[4096];	/* $GB_BUILD/tests/fake-run */
	char zoo[4096];		/* dir/cache/zoo: the engine's zoo_dir */
	char log[4096];		/* dir/log: GB_FAKE_LOG, one line per fake run */
	char env[16384];	/* GREENBENCH_RUN_CMD=... GREENBENCH_CACHE_DIR=... GB_FAKE_LOG=... */
};

extern struct gbt_campaign gbt_cf;

/* cmocka setup and teardown of gbt_cf, and a test case with both. */
int gbt_campaign_setup(void **st);
int gbt_campaign_teardown(void **st);
#define GBT_CAMPAIGN_TEST(f) cmocka_unit_test_setup_teardown(f, gbt_campaign_setup, gbt_campaign_teardown)

/* `cd DIR && ENV EXTRA_ENV greenbench ARGS 2>&1`: its exit status, its
 * output into *out (malloc'd; NULL to discard). */
int gbt_cf_gb(const char *extra_env, const char *args, char **out);

/* The first column of the first row of sql on the database dir/db (read
 * only), or -1 when there is no row; fails the test on an SQL error. */
long long gbt_cf_db_int(const char *db, const char *sql);

#endif
