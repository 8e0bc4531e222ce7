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
/* The whole file (NUL-terminated, malloc'd), its length in *len (may be
 * NULL); fails the test when it cannot be read. */
char *gbt_read_file(const char *path, size_t *len);
/* Lines in root/rel; 0 if it does not exist. */
long gbt_count_lines(const char *root, const char *rel);

/* A campaign for the fake run (tests/fakes/fake_run.c): 8 configurations x 2 reps with a
 * 1 s run timeout; with GB_FAKE_FAIL, _CRASH and _HANG set to the keys
 * below, 2 runs each fail, crash and time out: 16 runs, 10 ok. */
extern const char gbt_full_plan[];
#define GBT_FULL_FAIL_KEY "model=mobilenetv2 runtime=ort ep=cuda batch=4"
#define GBT_FULL_CRASH_KEY "model=bert-base runtime=ort ep=cpu batch=4"
#define GBT_FULL_HANG_KEY "model=bert-base runtime=ort ep=cuda batch=1"

/* chmod root/rel. */
void gbt_chmod(const char *root, const char *rel, unsigned mode);
/* Path to a built test artefact: $GB_BUILD/tests/<name> (GB_BUILD defaults to "build"). */
char *gbt_build_path(const char *name);
/* Path to the greenbench binary under test: $GB_SRCDIR/$GB_BUILD/greenbench. */
char *gbt_greenbench(void);
/* Run a shell command line, return its exit status (or -1); output captured
 * into *out (malloc'd, may be NULL to discard). */
int gbt_run(const char *cmdline, char **out);
/* Run `PREFIX 'GB' ARGS 2>&1` (prefix: environment assignments, "cd DIR &&"
 * or ""); output as gbt_run. */
int gbt_run_gb(const char *prefix, const char *gb, const char *args, char **out);

/* 1 when runtime name is built in and its probe passes; else 0, having
 * printed "skipped: <why>" to stderr. */
int gbt_have_runtime(const char *name);

/* How many nodes of op_type the main graph of the ONNX file at path has
 * (counted by Python's onnx, $GB_PYTHON); fails the test when it cannot. */
long gbt_onnx_count_op(const char *path, const char *op_type);

/* One CLI case: `greenbench ARGS` exits EXIT with PATTERN in its output. */
struct gbt_row {
	const char *args;
	int exit;
	const char *pattern;
};
/* Fail the test unless rc is row->exit and out contains row->pattern. */
void gbt_row_check(const struct gbt_row *row, int rc, const char *out);
/* Run each row with gbt_run_gb(prefix, gb, ...) and check it. */
void gbt_rows_check(const struct gbt_row *rows, size_t n, const char *prefix, const char *gb);

/* JSON by dotted path ("phases.0.name": array items by index); fail the
 * test when absent or of another type. */
struct cJSON;
struct cJSON *gbt_json_get(struct cJSON *o, const char *path);
double gbt_json_num(struct cJSON *o, const char *path);
const char *gbt_json_str(struct cJSON *o, const char *path);

/* Phase `phase` of a run record has the estimator's CPU energy, or, when
 * it lasted less than a /proc/stat tick (10 ms), names the reason it has
 * none; around 10 ms either is right. */
void gbt_check_cpu_estimate(struct cJSON *rec, int phase);

#endif
