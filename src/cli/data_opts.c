/* Dataset options shared by run and compare (data_opts.h). */
#include "cli/data_opts.h"
#include "cli/builtin.h"
#include "cli/runtime_opts.h"
#include "greenbench/error.h"

#include <stdlib.h>
#include <string.h>

void gb_cli_data_init(struct gb_cli_data *d)
{
	memset(d, 0, sizeof *d);
	gb_dataset_options_init(&d->o);
}

static int parse_size(const char *opt, const char *text, uint64_t min, size_t *out, const char *usage)
{
	uint64_t v;
	int ret = gb_cli_parse_u64(usage, opt, text, min, &v);

	if (!ret && v > SIZE_MAX)
		ret = gb_cli_usage_error(usage, "invalid %s '%s': too large", opt, text);
	if (!ret)
		*out = (size_t)v;
	return ret;
}

int gb_cli_data_option(struct gb_cli_data *d, int c, const char *arg, const char *usage)
{
	static const char *const prep_key[] = {
		[GB_OPT_RESIZE - GB_OPT_RESIZE] = "resize", [GB_OPT_CROP - GB_OPT_RESIZE] = "crop",
		[GB_OPT_INTERP - GB_OPT_RESIZE] = "interp", [GB_OPT_MEAN - GB_OPT_RESIZE] = "mean",
		[GB_OPT_STD - GB_OPT_RESIZE] = "std",	    [GB_OPT_DCT - GB_OPT_RESIZE] = "dct",
	};
	size_t n = 0;
	int ret = 0;

	d->other_given |= c != GB_OPT_DATA;
	switch (c) {
	case GB_OPT_DATA: d->path = arg; break;
	case GB_OPT_LIMIT: ret = parse_size("--limit", arg, 1, &d->o.limit, usage); break;
	case GB_OPT_SKIP_BAD: d->o.skip_bad = 1; break;
	case GB_OPT_DATA_KIND:
		if (!strcmp(arg, "images"))
			d->o.kind = GB_DATASET_IMAGES;
		else if (!strcmp(arg, "text"))
			d->o.kind = GB_DATASET_TEXT;
		else
			ret = gb_cli_usage_error(usage, "invalid --data-kind '%s': expected images or text", arg);
		break;
	case GB_OPT_VOCAB_FILE: d->o.vocab = arg; break;
	case GB_OPT_LABELS_FILE: d->o.labels = arg; break;
	case GB_OPT_SEQ:
		ret = parse_size("--seq", arg, 2, &d->o.seq, usage);
		d->seq_given = 1;
		break;
	case GB_OPT_RESIZE: case GB_OPT_CROP: case GB_OPT_INTERP:
	case GB_OPT_MEAN: case GB_OPT_STD: case GB_OPT_DCT:
		if (gb_image_prep_set(&d->o.image, prep_key[c - GB_OPT_RESIZE], arg) < 0)
			ret = gb_cli_usage_error(usage, "%s", gb_error_msg());
		break;
	case GB_OPT_CACHE_DIR: d->o.cache_dir = arg; break;
	case GB_OPT_NO_CACHE: d->o.cache = 0; break;
	case GB_OPT_DATA_THREADS:
		ret = parse_size("--data-threads", arg, 1, &n, usage);
		if (!ret && n > 1024)
			ret = gb_cli_usage_error(usage, "invalid --data-threads '%s': at most 1024", arg);
		d->o.threads = (unsigned)n;
		break;
	default: return gb_cli_usage_error(usage, "internal error: data option %d", c);
	}
	return ret;
}

int gb_cli_data_check(const struct gb_cli_data *d, const char *usage)
{
	if (!d->path && d->other_given)
		return gb_cli_usage_error(usage, "data options need --data PATH");
	return 0;
}

int gb_cli_data_open(const struct gb_cli_data *d, struct gb_dataset **ds)
{
	*ds = NULL;
	if (gb_dataset_open(d->path, &d->o, ds) < 0 || gb_dataset_prepare(*ds) < 0) {
		error("%s", gb_error_msg());
		gb_dataset_free(*ds);
		*ds = NULL;
		return -1;
	}
	return 0;
}
