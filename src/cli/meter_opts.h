/* Meter options shared by the commands that measure (devices, measure,
 * run, campaign): the --cpu-tdp row and the environment. */
#ifndef GB_CLI_METER_OPTS_H
#define GB_CLI_METER_OPTS_H

#include "cli/parse_options.h"
#include "greenbench/meter.h"

/* Fill what the environment says (GREENBENCH_NVML_LIB, gb_meter_config_env()). */
void gb_cli_meter_config_env(struct gb_meter_config *cfg);
/* "--cpu-tdp 205" or "205W": positive watts. */
int gb_cli_parse_tdp(const char *text, double *watts);

/* The --cpu-tdp row setting cfg->cpu_tdp_w, and its callback. */
#define GB_CLI_CPU_TDP_OPTION(cfg)                                                     \
	GB_OPT_CALLBACK(0, "cpu-tdp", &(cfg)->cpu_tdp_w, "W",                           \
			"package TDP for the CPU estimator (overrides the table)", gb_cli_tdp_option)
int gb_cli_tdp_option(const struct gb_option *opt, const char *arg);

#endif
