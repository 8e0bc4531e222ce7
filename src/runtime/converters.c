/*
 * The converters' table (greenbench/convert.h): each is the exporter of a
 * framework worker, reached through its runtime row's `convert` request.
 */
#include "greenbench/convert.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"
#include "greenbench/version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct gb_converter converters[] = {
	{ "torch2onnx", "torch", "torch_version" },
	{ "tf2onnx", "tf", "tf_version" },
	{ "mx2onnx", "mxnet", "mxnet_version" },
};

#define NCONVERTERS (sizeof converters / sizeof converters[0])

const struct gb_converter *gb_converter_find(const char *name)
{
	for (size_t i = 0; name && i < NCONVERTERS; i++)
		if (!strcmp(converters[i].name, name))
			return &converters[i];
	return NULL;
}

void gb_converter_names(char *buf, size_t len)
{
	const char *names[NCONVERTERS + 1];

	for (size_t i = 0; i < NCONVERTERS; i++)
		names[i] = converters[i].name;
	names[NCONVERTERS] = NULL;
	gb_runtime_join(names, buf, len);
}

int gb_converter_cache_key(const struct gb_converter *cv, const char *model, const char *weights,
			   char hex[GB_SHA256_HEX_LEN])
{
	const struct gb_runtime_ops *rt = gb_runtime_find(cv->runtime);
	struct gb_runtime_info info = { 0 };
	char text[2048];
	struct stat st = { 0 };
	int rc, n;

	if (!rt)
		return gb_error_set(-ENOENT, "%s: no runtime '%s' in this build", cv->name, cv->runtime);
	if ((rc = gb_runtime_probe(rt)))
		return gb_error_wrap(rc, "%s", cv->name);
	if (rt->info && (rc = rt->info(rt, &info)))
		return gb_error_wrap(rc, "%s", cv->name);
	if (weights && stat(weights, &st))
		return gb_error_set(-errno, "cannot open weights '%s': %s", weights, strerror(errno));
	n = snprintf(text, sizeof text, "%s\n%s\n%s\n%lld\n%lld\n%s\n%s\n", cv->name, model,
		     weights ? weights : "", (long long)st.st_size, (long long)st.st_mtime, info.version,
		     gb_version_string());
	if (n < 0 || (size_t)n >= sizeof text)
		return gb_error_set(-ENAMETOOLONG, "%s: model or weights name too long", cv->name);
	return gb_sha256_buf(text, (size_t)n, hex);
}
