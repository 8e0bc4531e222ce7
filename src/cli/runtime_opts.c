/* Runtime options shared by run and compare (runtime_opts.h). */
#include "cli/runtime_opts.h"
#include "cli/builtin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void gb_cli_runtime_init(struct gb_cli_runtime *r)
{
	memset(r, 0, sizeof *r);
	gb_runtime_options_init(&r->ro);
	r->runtime = "ort";
}

int gb_cli_parse_u64(const char *usage, const char *opt, const char *text, uint64_t min,
		     uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (!*text || *text == '-' || *end || errno || v < min)
		return gb_cli_usage_error(usage, "invalid %s '%s': expected an integer >= %llu", opt,
					  text, (unsigned long long)min);
	*out = v;
	return 0;
}

static int parse_threads(const char *usage, const char *text, struct gb_runtime_options *ro)
{
	uint64_t a, b = 0;
	const char *comma = strchr(text, ',');
	char first[32];

	snprintf(first, sizeof first, "%.*s", comma ? (int)(comma - text) : (int)strlen(text), text);
	if (gb_cli_parse_u64(usage, "--threads", first, 0, &a) ||
	    (comma && gb_cli_parse_u64(usage, "--threads", comma + 1, 0, &b)))
		return 129;
	if (a > 4096 || b > 4096)
		return gb_cli_usage_error(usage, "invalid --threads '%s': too many threads", text);
	ro->intra_op_threads = (int)a;
	ro->inter_op_threads = (int)b;
	return 0;
}

static int parse_opt_level(const char *usage, const char *text, int *level)
{
	static const struct {
		const char *name;
		int level;
	} names[] = { { "none", 0 }, { "basic", 1 }, { "extended", 2 }, { "layout", 3 },
		      { "all", 99 },  { "0", 0 },     { "1", 1 },	  { "2", 2 },
		      { "3", 3 },     { "99", 99 } };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(text, names[i].name)) {
			*level = names[i].level;
			return 0;
		}
	return gb_cli_usage_error(usage, "invalid --opt-level '%s': expected none, basic, extended, layout or all",
				  text);
}

static int parse_ep_option(const char *usage, struct gb_cli_runtime *r, const char *text)
{
	const char *eq = strchr(text, '=');
	size_t i = r->ro.n_ep_options;

	if (!eq || eq == text || (size_t)(eq - text) >= sizeof r->keys[0])
		return gb_cli_usage_error(usage, "invalid --ep-option '%s': expected KEY=VALUE", text);
	if (i == GB_CLI_EP_OPTIONS_MAX)
		return gb_cli_usage_error(usage, "too many --ep-option (at most %d)", GB_CLI_EP_OPTIONS_MAX);
	snprintf(r->keys[i], sizeof r->keys[i], "%.*s", (int)(eq - text), text);
	r->kv[i].key = r->keys[i];
	r->kv[i].value = eq + 1;
	r->ro.ep_options = r->kv;
	r->ro.n_ep_options = i + 1;
	return 0;
}

int gb_cli_runtime_option(struct gb_cli_runtime *r, int c, const char *arg, const char *usage)
{
	switch (c) {
	case 'm': r->ro.model = arg; return 0;
	case GB_OPT_RUNTIME: r->runtime = arg; return 0;
	case GB_OPT_EP: r->ro.ep = arg; return 0;
	case GB_OPT_EP_OPTION: return parse_ep_option(usage, r, arg);
	case GB_OPT_IO:
		if (!strcmp(arg, "host"))
			r->ro.io = GB_IO_HOST;
		else if (!strcmp(arg, "device"))
			r->ro.io = GB_IO_DEVICE;
		else
			return gb_cli_usage_error(usage, "invalid --io '%s': expected host or device", arg);
		return 0;
	case GB_OPT_THREADS: return parse_threads(usage, arg, &r->ro);
	case GB_OPT_OPT_LEVEL: return parse_opt_level(usage, arg, &r->ro.graph_opt_level);
	default: return gb_cli_usage_error(usage, "internal error: runtime option %d", c);
	}
}
