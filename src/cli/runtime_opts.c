/* Runtime options shared by run and compare (runtime_opts.h). */
#include "cli/runtime_opts.h"
#include "greenbench/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gb_cli_runtime_init(struct gb_cli_runtime *r)
{
	memset(r, 0, sizeof *r);
	gb_runtime_options_init(&r->ro);
	r->runtime = "ort";
}

/* One thread count, 0..4096, ending at *end (',' or '\0'). */
static int thread_count(const char *text, const char **end, int *out)
{
	char *e;
	unsigned long v;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &e, 10);
	if (errno || v > 4096)
		return -ERANGE;
	*end = e;
	*out = (int)v;
	return 0;
}

int gb_cli_threads_option(const struct gb_option *opt, const char *arg)
{
	struct gb_runtime_options *ro = opt->value;
	const char *end = arg;
	int a = 0, b = 0, ret;

	ret = thread_count(arg, &end, &a);
	if (!ret && *end == ',')
		ret = thread_count(end + 1, &end, &b);
	if (!ret && *end)
		ret = -EINVAL;
	if (ret == -ERANGE)
		return gb_error_set(ret, "invalid --threads '%s': too many threads", arg);
	if (ret)
		return gb_error_set(ret, "invalid --threads '%s': expected N or N,M (0: the runtime's default)",
				    arg);
	ro->intra_op_threads = a;
	ro->inter_op_threads = b;
	return 0;
}

const struct gb_option_choice gb_cli_opt_level_choices[] = {
	{ "none", 0 }, { "basic", 1 }, { "extended", 2 }, { "layout", 3 }, { "all", 99 },
	{ "0", 0 },    { "1", 1 },     { "2", 2 },	      { "3", 3 },      { "99", 99 },
	{ NULL, 0 },
};

const struct gb_option_choice gb_cli_io_choices[] = {
	{ "host", GB_IO_HOST },
	{ "device", GB_IO_DEVICE },
	{ NULL, 0 },
};

int gb_cli_ep_option(const struct gb_option *opt, const char *arg)
{
	struct gb_cli_runtime *r = opt->value;
	const char *eq = strchr(arg, '=');
	size_t i = r->ro.n_ep_options;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof r->keys[0])
		return gb_error_set(-EINVAL, "invalid --ep-option '%s': expected KEY=VALUE", arg);
	if (i == GB_CLI_EP_OPTIONS_MAX)
		return gb_error_set(-E2BIG, "too many --ep-option (at most %d)", GB_CLI_EP_OPTIONS_MAX);
	snprintf(r->keys[i], sizeof r->keys[i], "%.*s", (int)(eq - arg), arg);
	r->kv[i].key = r->keys[i];
	r->kv[i].value = eq + 1;
	r->ro.ep_options = r->kv;
	r->ro.n_ep_options = i + 1;
	return 0;
}

int gb_cli_dim_option(const struct gb_option *opt, const char *arg)
{
	struct gb_cli_dims *d = opt->value;

	if (d->n == GB_MAX_DIMS)
		return gb_error_set(-E2BIG, "too many --dim (at most %d)", GB_MAX_DIMS);
	if (gb_dim_parse(arg, &d->dim[d->n]) < 0)
		return -EINVAL;
	d->n++;
	return 0;
}
