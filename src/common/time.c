#include "greenbench/time.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t gb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * GB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static const struct {
	const char *suffix;
	double ns;
} units[] = {
	/* Longest suffixes first so "ms" is not read as "m" + garbage. */
	{ "ns", 1.0 }, { "us", 1e3 }, { "ms", 1e6 },
	{ "s", 1e9 },  { "m", 60e9 }, { "h", 3600e9 },
};

int gb_duration_has_unit(const char *text)
{
	size_t n = text ? strlen(text) : 0;

	return n > 0 && (text[n - 1] == 's' || text[n - 1] == 'm' || text[n - 1] == 'h');
}

int gb_duration_parse(const char *text, uint64_t *out_ns)
{
	char *end;
	double v, scale = 1e9;
	size_t i;

	if (!text || !*text)
		return gb_error_set(-EINVAL, "empty duration");
	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno || !isfinite(v) || v < 0)
		return gb_error_set(-EINVAL, "invalid duration '%s': expected a number with a unit such as 20ms or 5s", text);
	if (*end) {
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (!strcmp(end, units[i].suffix))
				break;
		if (i == sizeof units / sizeof units[0])
			return gb_error_set(-EINVAL, "invalid duration '%s': unknown unit '%s' (use ns, us, ms, s, m or h)", text, end);
		scale = units[i].ns;
	}
	v *= scale;
	if (v > 1.8e19)
		return gb_error_set(-EINVAL, "duration '%s' is too long", text);
	*out_ns = (uint64_t)llround(v);
	return 0;
}

void gb_duration_format(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10 * GB_NS_PER_US)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 10 * GB_NS_PER_MS)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 10 * GB_NS_PER_S)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
}

void gb_sleep_until_ns(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(t_ns / GB_NS_PER_S),
			       .tv_nsec = (long)(t_ns % GB_NS_PER_S) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
