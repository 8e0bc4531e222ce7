/*
 * The table of energy and telemetry sources, in probe order.
 *
 * Adding a source = one new file in src/meter/ defining a
 * `const struct gb_source_ops gb_source_<name>` + one row here.
 * CPU RAPL sources come first and in order of preference (powercap needs no
 * privileges beyond reading energy_uj; perf needs perf_event_paranoid;
 * MSRs need CAP_SYS_RAWIO); the meter uses the first that opens. The
 * estimator stays last: it is used only when no CPU counter could be read.
 */
#include "greenbench/meter.h"

extern const struct gb_source_ops gb_source_powercap;
extern const struct gb_source_ops gb_source_perf_rapl;
extern const struct gb_source_ops gb_source_msr_rapl;
extern const struct gb_source_ops gb_source_nvml;
extern const struct gb_source_ops gb_source_estimator;

const struct gb_source_ops *const gb_source_table[] = {
	&gb_source_powercap,
	&gb_source_perf_rapl,
	&gb_source_msr_rapl,
	&gb_source_nvml,
	&gb_source_estimator,
};

const size_t gb_source_table_len = sizeof gb_source_table / sizeof gb_source_table[0];
