#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/runtime.h"

#include <cjson/cJSON.h>
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

char *gbt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

long gbt_count_lines(const char *root, const char *rel)
{
	char path[4096], buf[512];
	long n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof buf, f))
		n += strchr(buf, '\n') != NULL;
	fclose(f);
	return n;
}

const char gbt_full_plan[] =
	"name: full\n"
	"seed: 5\n"
	"reps: 2\n"
	"run_timeout: 1s\n"
	"models:\n"
	"  - mobilenetv2\n"
	"  - zoo: bert-base\n"
	"    dims: {seq: 32}\n"
	"runtimes: [ort/cpu, ort/cuda]\n"
	"batches: [1, 4]\n";

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

int gbt_run_gb(const char *prefix, const char *gb, const char *args, char **out)
{
	char cmd[16384];

	snprintf(cmd, sizeof cmd, "%s '%s' %s 2>&1", prefix, gb, args);
	return gbt_run(cmd, out);
}

void gbt_row_check(const struct gbt_row *row, int rc, const char *out)
{
	if (rc != row->exit || !strstr(out, row->pattern))
		fail_msg("greenbench %s: exit %d (want %d), output:\n%s\n(want '%s')", row->args, rc, row->exit,
			 out, row->pattern);
}

void gbt_rows_check(const struct gbt_row *rows, size_t n, const char *prefix, const char *gb)
{
	for (size_t i = 0; i < n; i++) {
		char *out = NULL;
		int rc = gbt_run_gb(prefix, gb, rows[i].args, &out);

		gbt_row_check(&rows[i], rc, out);
		free(out);
	}
}

cJSON *gbt_json_get(cJSON *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(tok)) : cJSON_GetObjectItem(o, tok);
	if (!o)
		fail_msg("no '%s' in the JSON", path);
	return o;
}

double gbt_json_num(cJSON *o, const char *path)
{
	cJSON *v = gbt_json_get(o, path);

	if (!cJSON_IsNumber(v))
		fail_msg("'%s' is not a number", path);
	return v->valuedouble;
}

const char *gbt_json_str(cJSON *o, const char *path)
{
	cJSON *v = gbt_json_get(o, path);

	if (!cJSON_IsString(v))
		fail_msg("'%s' is not a string", path);
	return v->valuestring;
}

int gbt_have_runtime(const char *name)
{
	const struct gb_runtime_ops *rt = gb_runtime_find(name);

	if (rt && gb_runtime_probe(rt) == 0)
		return 1;
	if (rt)
		fprintf(stderr, "skipped: %s\n", gb_error_msg());
	else
		fprintf(stderr, "skipped: no %s runtime\n", name);
	return 0;
}

void gbt_check_cpu_estimate(cJSON *rec, int phase)
{
	char k[64];
	double dur;

	snprintf(k, sizeof k, "phases.%d.duration_s", phase);
	dur = gbt_json_num(rec, k);
	if (dur >= 0.011) {
		snprintf(k, sizeof k, "phases.%d.energy.cpu.method", phase);
		if (strcmp(gbt_json_str(rec, k), "estimated"))
			fail_msg("'%s' is not estimated", k);
	} else if (dur < 0.009) {
		const char *why;

		snprintf(k, sizeof k, "phases.%d.unavailable", phase);
		why = cJSON_GetStringValue(cJSON_GetObjectItem(gbt_json_get(rec, k), "cpu.energy"));
		if (!why || !strstr(why, "shorter than the counter's 10 ms update period"))
			fail_msg("phase %d of %.1f ms: no reason for its missing CPU estimate", phase, dur * 1e3);
	}
}

long gbt_onnx_count_op(const char *path, const char *op_type)
{
	const char *py = getenv("GB_PYTHON") && *getenv("GB_PYTHON") ? getenv("GB_PYTHON") : "/usr/bin/python3";
	char cmd[8192], *out = NULL, *end;
	long n;

	snprintf(cmd, sizeof cmd,
		 "%s -c 'import onnx, sys; m = onnx.load(sys.argv[1], load_external_data=False); "
		 "print(sum(n.op_type == sys.argv[2] for n in m.graph.node))' '%s' '%s' 2>&1",
		 py, path, op_type);
	if (gbt_run(cmd, &out))
		fail_msg("counting %s nodes in %s: %s", op_type, path, out ? out : "");
	n = strtol(out, &end, 10);
	if (end == out || *end != '\n')
		fail_msg("counting %s nodes in %s: %s", op_type, path, out);
	free(out);
	return n;
}
