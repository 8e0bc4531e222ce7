/* Meter options shared by the commands that measure (measure, run, campaign). */
#ifndef GB_CLI_METER_OPTS_H
#define GB_CLI_METER_OPTS_H

#include "greenbench/meter.h"

/* Fill what the environment says (GREENBENCH_NVML_LIB, gb_meter_config_env()). */
void gb_cli_meter_config_env(struct gb_meter_config *cfg);
/* "--cpu-tdp 205" or "205W": positive watts. */
int gb_cli_parse_tdp(const char *text, double *watts);

#endif
