/*
 * Clocks and durations.
 *
 * All timestamps in greenbench are CLOCK_MONOTONIC nanoseconds (t_ns), the
 * clock that worker processes and the sampler share. Durations are uint64_t
 * nanoseconds. Pure functions; thread-safe.
 */
#ifndef GREENBENCH_TIME_H
#define GREENBENCH_TIME_H

#include <stddef.h>
#include <stdint.h>

#define GB_NS_PER_US 1000ULL
#define GB_NS_PER_MS 1000000ULL
#define GB_NS_PER_S 1000000000ULL

uint64_t gb_now_ns(void);

/* Parse "20ms", "1.5s", "250us", "100ns", "2m", "1h"; a bare number is
 * seconds. Rejects negatives, garbage and overflow with -EINVAL and a
 * message naming the text. */
int gb_duration_parse(const char *text, uint64_t *out_ns);

/* True if text ends in a duration unit (used where a bare integer means a
 * count instead, e.g. --warmup 10 versus --warmup 2s). */
int gb_duration_has_unit(const char *text);

/* Human form with a sensible unit: "20 ms", "1.50 s". */
void gb_duration_format(uint64_t ns, char *buf, size_t len);

/* Sleep until an absolute CLOCK_MONOTONIC time; restarts on EINTR. */
void gb_sleep_until_ns(uint64_t t_ns);

#endif
