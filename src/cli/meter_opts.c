#include "cli/meter_opts.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void gb_cli_meter_config_env(struct gb_meter_config *cfg)
{
	const char *lib = getenv("GREENBENCH_NVML_LIB");

	if (!cfg->nvml_lib && lib && *lib)
		cfg->nvml_lib = lib;
	gb_meter_config_env(cfg);
}

int gb_cli_parse_tdp(const char *text, double *watts)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end != text && (*end == 'W' || *end == 'w'))
		end++;
	if (end == text || *end || errno || !isfinite(v) || v <= 0 || v > 10000)
		return gb_error_set(-EINVAL, "invalid --cpu-tdp '%s': expected watts per package, e.g. 205", text);
	*watts = v;
	return 0;
}

int gb_cli_tdp_option(const struct gb_option *opt, const char *arg)
{
	return gb_cli_parse_tdp(arg, opt->value);
}
