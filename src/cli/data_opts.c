/* Dataset options shared by run and compare (data_opts.h). */
#include "cli/data_opts.h"
#include "cli/builtin.h"
#include "greenbench/error.h"

#include <string.h>

void gb_cli_data_init(struct gb_cli_data *d)
{
	memset(d, 0, sizeof *d);
	gb_dataset_options_init(&d->o);
}

const struct gb_option_choice gb_cli_data_kinds[] = {
	{ "images", GB_DATASET_IMAGES },
	{ "text", GB_DATASET_TEXT },
	{ NULL, 0 },
};

int gb_cli_image_prep_option(const struct gb_option *opt, const char *arg)
{
	return gb_image_prep_set(opt->value, opt->long_name, arg);
}

int gb_cli_data_check(const struct gb_cli_data *d, const struct gb_usage *usage,
		      const struct gb_option *opts)
{
	if (!d->path && d->given)
		return gb_usage_error(usage, opts, "data options need --data PATH");
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
