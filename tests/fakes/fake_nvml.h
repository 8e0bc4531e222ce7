/*
 * Control interface of the fake NVML (tests/fakes/fake_nvml.c), a shared
 * library built by the tests ($(BUILD)/tests/libfake_nvml.so and variants,
 * see mk/nvml.mk) that exports the NVML symbols greenbench uses.
 *
 * Scripted by environment variables, read at every nvmlInit():
 *   FAKE_NVML_GPUS=N               number of GPUs (default 1, at most 8)
 *   FAKE_NVML_MODE=flag,...        for every GPU; FAKE_NVML_GPU<N>_MODE adds
 *                                  flags for GPU N. Flags: full (none),
 *                                  no_energy, no_instant, no_avg, no_util,
 *                                  no_mem, no_clock, no_temp, no_reasons
 *                                  (the query answers NOT_SUPPORTED), lost
 *                                  (its handle answers GPU_IS_LOST),
 *                                  old_fields (unknown field ids answer
 *                                  INVALID_ARGUMENT, as drivers before the
 *                                  power fields do; use with no_instant),
 *                                  no_mem_v2 (only the v1 memory call works),
 *                                  init_fail (nvmlInit: DRIVER_NOT_LOADED)
 *   FAKE_NVML_POWER_MW=P or t_ms:P,t_ms:P,...   power profile, linear
 *                                  between points, flat outside them;
 *                                  FAKE_NVML_GPU<N>_POWER_MW per GPU
 *   FAKE_NVML_ENERGY_PERIOD_MS=100 the counter moves in steps of this
 *                                  period, like the H100's (0: continuous)
 *   FAKE_NVML_REASONS=0x5          clock-event reason bits
 *   FAKE_NVML_ENERGY_SCALE=1       the counter reads this times the true
 *                                  energy (1.10: disagrees with power by 10%)
 *   FAKE_NVML_PROCS=pid,...        processes every GPU lists as running
 *                                  (compute list, _v3 and _v2)
 *
 * Energy is the exact integral of the power profile over the fake's clock
 * (mJ, floored, quantised to the period), starting at 5,000,000 mJ so that
 * callers must take differences; the 1 s average power is the exact mean
 * over the last second; instant power is the profile itself. The clock is
 * CLOCK_MONOTONIC since nvmlInit, or a virtual time the test sets, which
 * makes every value deterministic.
 *
 * Fixed telemetry for GPU i: utilization 40+i % (memory 10+i %), 80 GiB
 * total memory with (1+i) GiB used and 512 MiB reserved, SM clock 1755+i
 * MHz, temperature 33+i C, name "Fake NVIDIA H100 80GB HBM3", UUID
 * "GPU-fa4e0000-0000-4000-8000-00000000000i" (i on 12 digits).
 *
 * Variants: -DFAKE_NVML_OLD_API exports only the pre-_v2 names, the
 * throttle-reason query and no field values, memory _v2 or NVML version;
 * -DFAKE_NVML_NO_NAME lacks the required nvmlDeviceGetName.
 */
#ifndef FAKE_NVML_H
#define FAKE_NVML_H

#include <stdint.h>

/* Use t_ns as the fake's clock from now on (kept across nvmlInit). */
typedef void (*fake_nvml_set_time_ns_fn)(uint64_t t_ns);
/* Calls of the NVML function named fn since the last nvmlInit. */
typedef unsigned (*fake_nvml_calls_fn)(const char *fn);
/* The next `times` calls of fn return nvml_return (reset by nvmlInit). */
typedef void (*fake_nvml_fail_fn)(const char *fn, int nvml_return, unsigned times);
/* nvmlInit calls minus nvmlShutdown calls. */
typedef int (*fake_nvml_init_depth_fn)(void);
/* The energy counter of GPU i at the current fake time, in mJ. */
typedef uint64_t (*fake_nvml_energy_mj_fn)(unsigned i);

void fake_nvml_set_time_ns(uint64_t t_ns);
unsigned fake_nvml_calls(const char *fn);
void fake_nvml_fail(const char *fn, int nvml_return, unsigned times);
int fake_nvml_init_depth(void);
uint64_t fake_nvml_energy_mj(unsigned i);

#endif
