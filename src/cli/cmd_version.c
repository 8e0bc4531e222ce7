/*
 * greenbench version (and --version): the version, and what this binary
 * will use, each with why not where it is missing.
 *
 *   $ greenbench --version
 *   greenbench 0.1.0 (ce877d8)
 *     workers   /usr/local/share/greenbench/workers (exe-relative)
 *     data      /usr/local/share/greenbench (exe-relative)
 *     lib       /usr/local/lib/greenbench (exe-relative)
 *     cache     /home/me/.cache/greenbench (home: HOME)
 *     ort       /usr/local/lib/greenbench/libonnxruntime.so (ONNX Runtime 1.29.0)
 *     python    /usr/bin/python3 (python3 on PATH), else /usr/bin/python3
 *     charts    vega 6.2.0, vega-lite 6.4.1, vega-embed 7.1.0
 *
 * The paths and the rule that chose each come from greenbench/paths.h.
 */
#include "cli/builtin.h"
#include "cli/parse_options.h"
#include "greenbench/error.h"
#include "greenbench/paths.h"
#include "greenbench/report.h"
#include "greenbench/runtime.h"
#include "greenbench/version.h"
#include "greenbench/worker.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct gb_usage usage = {
	.synopsis = "greenbench version\n",
	.description =
	"Print greenbench's version and git revision, then what it will use: the\n"
	"workers, data, library and cache directories with the rule that chose each\n"
	"(a GREENBENCH_* variable, XDG or HOME, next to the executable, or the\n"
	"installation prefix), the ONNX Runtime library (and its version), and the\n"
	"Python interpreters the worker runtimes try.\n",
};

static void row(const char *what, const char *value)
{
	printf("  %-9s %s\n", what, value);
}

static void missing(const char *what, const char *why)
{
	printf("  %-9s (not found: %s)\n", what, why);
}

/* name as execvp would find it: itself if it has a '/', else on PATH. */
static int find_program(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(buf, X_OK);
	}
	for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		snprintf(buf, len, "%.*s/%s", (int)(end - p), end == p ? "." : p, name);
		if (!access(buf, X_OK))
			return 0;
	}
	return -1;
}

static void print_path(enum gb_path_kind kind)
{
	struct gb_path_info pi;
	char line[PATH_MAX + 64];

	if (gb_paths_resolve(kind, &pi)) {
		missing(gb_path_kind_name(kind), gb_error_msg());
		return;
	}
	snprintf(line, sizeof line, "%s (%s%s%s%s)", pi.path, gb_path_source_name(pi.source),
		 pi.env ? ": " : "", pi.env ? pi.env : "", pi.exists ? "" : ", missing");
	row(gb_path_kind_name(kind), line);
}

static void print_python(void)
{
	const char *cands[2], *from;
	char path[PATH_MAX], line[2 * PATH_MAX + 64];
	size_t n = gb_worker_pythons(NULL, cands), used = 0;

	from = n == 1 ? "GREENBENCH_PYTHON" : "python3 on PATH";
	for (size_t i = 0; i < n; i++) {
		if (find_program(cands[i], path, sizeof path))
			continue;
		used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", used ? ", else " : "", path);
		if (i == 0 && strcmp(path, cands[0]))
			used += (size_t)snprintf(line + used, sizeof line - used, " (%s)", from);
		if (used >= sizeof line)
			break;
	}
	if (used)
		row("python", line);
	else
		missing("python", n == 1 ? "GREENBENCH_PYTHON is not an executable"
					 : "no python3 on PATH and no /usr/bin/python3");
}

int cmd_version(int argc, char **argv)
{
	const struct gb_option opts[] = { GB_OPT_END() };
	const char *lib, *ver;
	char line[PATH_MAX + 64];
	int ret = gb_parse_options(argc, argv, opts, &usage, GB_PARSE_NO_ARGS);

	if (ret < 0)
		return gb_cli_finish(gb_parse_exit(ret));
	printf("greenbench %s\n", gb_version_string());
	print_path(GB_PATH_WORKERS);
	print_path(GB_PATH_DATA);
	print_path(GB_PATH_LIB);
	print_path(GB_PATH_CACHE);
	if (gb_ort_library(&lib, &ver)) {
		missing("ort", gb_error_msg());
	} else {
		snprintf(line, sizeof line, "%s (ONNX Runtime %s)", lib, ver);
		row("ort", line);
	}
	print_python();
	if (gb_report_chart_library())
		row("charts", gb_report_chart_library());
	else
		missing("charts", "built without Vega: HTML reports have no charts (make deps)");
	return gb_cli_finish(0);
}
