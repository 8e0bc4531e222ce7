/*
 * Pure part of the NVML source: return-code mapping, energy-counter deltas,
 * trapezoid integration of sampled power, field-value decoding and clock-
 * event (throttle) reason names. No NVML calls and no I/O here, so all of it
 * is unit-tested with fixed values (raplcap's *-common.c split).
 *
 * Units: energy_uj (microjoules), mJ where NVML counts mJ, power_mw
 * (milliwatts), t_ns (CLOCK_MONOTONIC nanoseconds).
 *
 * Thread-safety: functions on distinct structs are independent; the
 * functions without a struct argument are stateless.
 */
#ifndef GB_METER_NVML_DECODE_H
#define GB_METER_NVML_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "meter/nvml_abi.h"

/* nvmlReturn_t -> negative errno (NVML_SUCCESS -> 0, unknown -> -EIO). */
int gb_nvml_errno(nvmlReturn_t r);
/* "NVML_ERROR_NOT_SUPPORTED", for when nvmlErrorString gives nothing. */
const char *gb_nvml_return_name(nvmlReturn_t r);
/* What a user can do about r, or NULL when there is nothing to say. */
const char *gb_nvml_return_hint(nvmlReturn_t r);
/* True when r says the query can never work on this GPU and driver (not
 * supported, no such function, no permission), so it is not retried. */
int gb_nvml_return_is_permanent(nvmlReturn_t r);

/*
 * Total-energy counter (nvmlDeviceGetTotalEnergyConsumption, mJ since the
 * driver loaded). Energy is counted from the first reading. A reading below
 * the previous one means the driver was reloaded: the counter restarted
 * from 0, so the new reading itself is the energy since, and resets counts it.
 */
struct gb_nvml_counter {
	int have;
	uint64_t last_mj;
	uint64_t total_mj;	/* since the first reading */
	unsigned resets;
};

void gb_nvml_counter_update(struct gb_nvml_counter *c, uint64_t raw_mj);
uint64_t gb_nvml_counter_energy_uj(const struct gb_nvml_counter *c);

/*
 * Trapezoid integration of sampled power. The first point only starts the
 * integral; a point earlier than the last is ignored, one at the same time
 * replaces the last power without adding energy.
 */
struct gb_nvml_integrator {
	int have;
	uint64_t t_ns;
	uint32_t power_mw;
	double energy_uj;
};

void gb_nvml_integrator_add(struct gb_nvml_integrator *it, uint64_t t_ns, uint32_t power_mw);

/* A field value as an unsigned integer; -EINVAL if its nvmlReturn is not
 * success or its type is unknown, -ERANGE if negative or not finite. */
int gb_nvml_field_u64(const nvmlFieldValue_t *fv, uint64_t *out);

/* Reason bits -> "sw_power_cap,hw_slowdown"; "none" for 0; unknown bits as
 * one "0x..." item. Returns the length snprintf would have written. */
int gb_nvml_reasons_format(uint64_t bits, char *buf, size_t len);

/*
 * The NVML devices a visible-devices list names: CUDA_VISIBLE_DEVICES,
 * or Slurm's SLURM_STEP_GPUS / SLURM_JOB_GPUS. Entries are comma-separated
 * NVML indices or UUIDs ("GPU-8f6c...", or an unambiguous prefix of one, as
 * CUDA takes them; the "GPU-" may be left out of a prefix). As in CUDA, an
 * index out of range ends the list ("-1" hides every GPU); "" and Slurm's
 * "NoDevFiles" name none. uuids[i] is device i's UUID (NULL when unknown).
 * out receives at most cap indices, in list order, *nout how many.
 * Errors (message set): -EINVAL for a malformed entry, a device named twice
 * or an ambiguous prefix, -ENODEV for a UUID no device has, -ENOTSUP for
 * a MIG instance ("MIG-...": its energy is not metered apart), -ENOSPC when
 * more than cap are named.
 */
int gb_nvml_visible_parse(const char *list, const char *const *uuids, size_t ndev, unsigned *out,
			  size_t cap, size_t *nout);

#endif
