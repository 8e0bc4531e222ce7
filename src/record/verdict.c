/*
 * Validity verdicts (greenbench/verdict.h): the checks' limits, the level
 * a value earns, and the checks a run result answers.
 */
#include "greenbench/verdict.h"
#include "greenbench/result.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

const struct gb_verdict_info gb_verdict_reasons[GB_VR_COUNT] = {
#define GB_VR_ROW(id, name, unit, dir, suspect, invalid) [id] = { name, unit, dir, suspect, invalid },
	GB_VERDICT_REASONS(GB_VR_ROW)
#undef GB_VR_ROW
};

void gb_verdict_init(struct gb_verdict *v)
{
	v->level = GB_VERDICT_VALID;
	v->reasons = 0;
	for (size_t i = 0; i < GB_VR_COUNT; i++)
		v->value[i] = NAN;
}

/* nvmlClocksEventReason* (nvml.h), in bit order. */
static const char *const throttle_names[] = {
	"gpu_idle", "applications_clocks_setting", "sw_power_cap", "hw_slowdown", "sync_boost",
	"sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown", "display_clock_setting",
};

void gb_verdict_throttle_text(uint64_t bits, char *buf, size_t len)
{
	size_t off = 0;
	const size_t nnames = sizeof throttle_names / sizeof throttle_names[0];

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned b = 0; b < 64 && off < len; b++) {
		int n;

		if (!(bits >> b & 1))
			continue;
		if (b < nnames)
			n = snprintf(buf + off, len - off, "%s%s", off ? "+" : "", throttle_names[b]);
		else
			n = snprintf(buf + off, len - off, "%s0x%llx", off ? "+" : "", 1ull << b);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static int past(enum gb_verdict_dir dir, double value, double limit)
{
	if (isnan(limit))
		return 0;
	switch (dir) {
	case GB_VD_ABOVE: return value > limit;
	case GB_VD_BELOW: return value < limit;
	case GB_VD_BITS: return value >= 0 && ((uint64_t)value & GB_VERDICT_THROTTLE_MASK) != 0;
	}
	return 0;
}

enum gb_verdict_level gb_verdict_level_of(enum gb_verdict_reason code, double value)
{
	const struct gb_verdict_info *in;

	if ((unsigned)code >= GB_VR_COUNT || isnan(value))
		return GB_VERDICT_VALID;
	in = &gb_verdict_reasons[code];
	if (past(in->dir, value, in->invalid))
		return GB_VERDICT_INVALID;
	return past(in->dir, value, in->suspect) ? GB_VERDICT_SUSPECT : GB_VERDICT_VALID;
}

void gb_verdict_check(struct gb_verdict *v, enum gb_verdict_reason code, double value)
{
	enum gb_verdict_level l;
	double old;

	if ((unsigned)code >= GB_VR_COUNT || isnan(value))
		return;
	old = v->value[code];
	if (gb_verdict_reasons[code].dir == GB_VD_BITS && !isnan(old))
		value = (double)((uint64_t)old | (uint64_t)value);
	else if (!isnan(old) && gb_verdict_level_of(code, old) > gb_verdict_level_of(code, value))
		value = old;
	v->value[code] = value;
	l = gb_verdict_level_of(code, value);
	if (l != GB_VERDICT_VALID)
		v->reasons |= 1u << code;
	if (l > v->level)
		v->level = l;
}

const char *gb_verdict_level_name(enum gb_verdict_level l)
{
	switch (l) {
	case GB_VERDICT_VALID: return "valid";
	case GB_VERDICT_SUSPECT: return "suspect";
	case GB_VERDICT_INVALID: return "invalid";
	}
	return "?";
}

int gb_verdict_level_parse(const char *name, enum gb_verdict_level *out)
{
	for (int l = GB_VERDICT_VALID; l <= GB_VERDICT_INVALID; l++)
		if (name && !strcmp(name, gb_verdict_level_name((enum gb_verdict_level)l))) {
			*out = (enum gb_verdict_level)l;
			return 0;
		}
	return -EINVAL;
}

int gb_verdict_reason_parse(const char *name, enum gb_verdict_reason *out)
{
	for (int c = 0; c < GB_VR_COUNT; c++)
		if (name && !strcmp(name, gb_verdict_reasons[c].name)) {
			*out = (enum gb_verdict_reason)c;
			return 0;
		}
	return -EINVAL;
}

void gb_verdict_reasons_join(uint32_t bits, const char *sep, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (int c = 0; c < GB_VR_COUNT && off < len; c++)
		if (bits & (1u << c)) {
			int w = snprintf(buf + off, len - off, "%s%s", off ? sep : "", gb_verdict_reasons[c].name);

			off += w > 0 ? (size_t)w : 0;
		}
}

void gb_verdict_window(struct gb_verdict *v, const struct gb_domain_info *dom, size_t n,
		       const struct gb_domain_energy *e, uint64_t dur_ns)
{
	for (size_t d = 0; d < n; d++) {
		if (dom[d].energy_update_ns && dom[d].method == GB_METHOD_COUNTER)
			gb_verdict_check(v, GB_VR_COUNTER_UPDATES, floor((double)dur_ns / (double)dom[d].energy_update_ns));
		if (dom[d].kind == GB_DOMAIN_GPU && e[d].throttle_valid)
			gb_verdict_check(v, GB_VR_THROTTLE, (double)e[d].throttle_reasons_or);
		if (e[d].cross_valid && e[d].cross_counter_w > 0)
			gb_verdict_check(v, GB_VR_COUNTER_POWER,
					 100.0 * fabs(e[d].cross_power_w - e[d].cross_counter_w) / e[d].cross_counter_w);
	}
}

void gb_verdict_run_result(struct gb_run_result *r)
{
	const struct gb_phase *ph = &r->phases[GB_PHASE_MEASURED];
	struct gb_verdict *v = &r->verdict;

	gb_verdict_check(v, GB_VR_FOREIGN_CPU, r->interference.cpu_cores);
	gb_verdict_check(v, GB_VR_IDLE_BUSY, r->interference.idle_cpu_cores);
	gb_verdict_check(v, GB_VR_FOREIGN_GPU, r->interference.gpu_processes);
	if (ph->done && ph->energy)
		gb_verdict_window(v, r->domains, r->ndomains, ph->energy, ph->t_end_ns - ph->t_start_ns);
}
