#include "meter/nvml_decode.h"
#include "greenbench/error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ret_row {
	nvmlReturn_t r;
	int err;
	const char *name;
};

static const struct ret_row ret_table[] = {
	{ NVML_SUCCESS, 0, "NVML_SUCCESS" },
	{ NVML_ERROR_UNINITIALIZED, -EINVAL, "NVML_ERROR_UNINITIALIZED" },
	{ NVML_ERROR_INVALID_ARGUMENT, -EINVAL, "NVML_ERROR_INVALID_ARGUMENT" },
	{ NVML_ERROR_NOT_SUPPORTED, -EOPNOTSUPP, "NVML_ERROR_NOT_SUPPORTED" },
	{ NVML_ERROR_NO_PERMISSION, -EACCES, "NVML_ERROR_NO_PERMISSION" },
	{ NVML_ERROR_ALREADY_INITIALIZED, -EALREADY, "NVML_ERROR_ALREADY_INITIALIZED" },
	{ NVML_ERROR_NOT_FOUND, -ENOENT, "NVML_ERROR_NOT_FOUND" },
	{ NVML_ERROR_INSUFFICIENT_SIZE, -ENOBUFS, "NVML_ERROR_INSUFFICIENT_SIZE" },
	{ NVML_ERROR_INSUFFICIENT_POWER, -EIO, "NVML_ERROR_INSUFFICIENT_POWER" },
	{ NVML_ERROR_DRIVER_NOT_LOADED, -ENODEV, "NVML_ERROR_DRIVER_NOT_LOADED" },
	{ NVML_ERROR_TIMEOUT, -ETIMEDOUT, "NVML_ERROR_TIMEOUT" },
	{ NVML_ERROR_IRQ_ISSUE, -EIO, "NVML_ERROR_IRQ_ISSUE" },
	{ NVML_ERROR_LIBRARY_NOT_FOUND, -ENOENT, "NVML_ERROR_LIBRARY_NOT_FOUND" },
	{ NVML_ERROR_FUNCTION_NOT_FOUND, -ENOSYS, "NVML_ERROR_FUNCTION_NOT_FOUND" },
	{ NVML_ERROR_CORRUPTED_INFOROM, -EIO, "NVML_ERROR_CORRUPTED_INFOROM" },
	{ NVML_ERROR_GPU_IS_LOST, -ENODEV, "NVML_ERROR_GPU_IS_LOST" },
	{ NVML_ERROR_RESET_REQUIRED, -EIO, "NVML_ERROR_RESET_REQUIRED" },
	{ NVML_ERROR_OPERATING_SYSTEM, -EIO, "NVML_ERROR_OPERATING_SYSTEM" },
	{ NVML_ERROR_LIB_RM_VERSION_MISMATCH, -EPROTO, "NVML_ERROR_LIB_RM_VERSION_MISMATCH" },
	{ NVML_ERROR_IN_USE, -EBUSY, "NVML_ERROR_IN_USE" },
	{ NVML_ERROR_MEMORY, -ENOMEM, "NVML_ERROR_MEMORY" },
	{ NVML_ERROR_NO_DATA, -ENODATA, "NVML_ERROR_NO_DATA" },
	{ NVML_ERROR_VGPU_ECC_NOT_SUPPORTED, -EOPNOTSUPP, "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED" },
	{ NVML_ERROR_INSUFFICIENT_RESOURCES, -EAGAIN, "NVML_ERROR_INSUFFICIENT_RESOURCES" },
	{ NVML_ERROR_FREQ_NOT_SUPPORTED, -EOPNOTSUPP, "NVML_ERROR_FREQ_NOT_SUPPORTED" },
	{ NVML_ERROR_ARGUMENT_VERSION_MISMATCH, -EPROTO, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH" },
	{ NVML_ERROR_DEPRECATED, -EOPNOTSUPP, "NVML_ERROR_DEPRECATED" },
	{ NVML_ERROR_NOT_READY, -EAGAIN, "NVML_ERROR_NOT_READY" },
	{ NVML_ERROR_GPU_NOT_FOUND, -ENODEV, "NVML_ERROR_GPU_NOT_FOUND" },
	{ NVML_ERROR_INVALID_STATE, -EINVAL, "NVML_ERROR_INVALID_STATE" },
	{ NVML_ERROR_UNKNOWN, -EIO, "NVML_ERROR_UNKNOWN" },
};

static const struct ret_row *ret_find(nvmlReturn_t r)
{
	size_t i;

	for (i = 0; i < sizeof ret_table / sizeof ret_table[0]; i++)
		if (ret_table[i].r == r)
			return &ret_table[i];
	return NULL;
}

int gb_nvml_errno(nvmlReturn_t r)
{
	const struct ret_row *row = ret_find(r);

	return row ? row->err : -EIO;
}

const char *gb_nvml_return_name(nvmlReturn_t r)
{
	const struct ret_row *row = ret_find(r);

	return row ? row->name : "NVML error (unknown code)";
}

const char *gb_nvml_return_hint(nvmlReturn_t r)
{
	switch (r) {
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "is the NVIDIA kernel driver loaded? `nvidia-smi` should list the GPUs";
	case NVML_ERROR_NO_PERMISSION:
		return "the user cannot open /dev/nvidia*: check its permissions or the container's device list";
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
		return "libnvidia-ml and the kernel driver differ in version: reload the driver or reboot";
	case NVML_ERROR_GPU_IS_LOST:
	case NVML_ERROR_RESET_REQUIRED:
		return "the GPU fell off the bus or needs a reset: see `nvidia-smi` and the kernel log";
	case NVML_ERROR_INSUFFICIENT_POWER:
		return "check the GPU's power cables";
	default:
		return NULL;
	}
}

int gb_nvml_return_is_permanent(nvmlReturn_t r)
{
	return r == NVML_ERROR_NOT_SUPPORTED || r == NVML_ERROR_FUNCTION_NOT_FOUND ||
	       r == NVML_ERROR_NO_PERMISSION || r == NVML_ERROR_DEPRECATED ||
	       r == NVML_ERROR_VGPU_ECC_NOT_SUPPORTED || r == NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
}

void gb_nvml_counter_update(struct gb_nvml_counter *c, uint64_t raw_mj)
{
	if (c->have) {
		if (raw_mj >= c->last_mj) {
			c->total_mj += raw_mj - c->last_mj;
		} else {
			c->total_mj += raw_mj;
			c->resets++;
		}
	}
	c->have = 1;
	c->last_mj = raw_mj;
}

uint64_t gb_nvml_counter_energy_uj(const struct gb_nvml_counter *c)
{
	return c->total_mj * 1000u;
}

void gb_nvml_integrator_add(struct gb_nvml_integrator *it, uint64_t t_ns, uint32_t power_mw)
{
	if (it->have) {
		if (t_ns < it->t_ns)
			return;
		/* mW x ns = 1e-12 J = 1e-6 uJ */
		it->energy_uj += ((double)it->power_mw + (double)power_mw) / 2.0 *
				 (double)(t_ns - it->t_ns) / 1e6;
	}
	it->have = 1;
	it->t_ns = t_ns;
	it->power_mw = power_mw;
}

int gb_nvml_field_u64(const nvmlFieldValue_t *fv, uint64_t *out)
{
	double d;

	if (fv->nvmlReturn != NVML_SUCCESS)
		return -EINVAL;
	switch (fv->valueType) {
	case NVML_VALUE_TYPE_DOUBLE:
		d = fv->value.dVal;
		if (!isfinite(d) || d < 0 || d >= 18446744073709551616.0)
			return -ERANGE;
		*out = (uint64_t)(d + 0.5);
		return 0;
	case NVML_VALUE_TYPE_UNSIGNED_INT:
		*out = fv->value.uiVal;
		return 0;
	case NVML_VALUE_TYPE_UNSIGNED_LONG:
		*out = fv->value.ulVal;
		return 0;
	case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
		*out = fv->value.ullVal;
		return 0;
	case NVML_VALUE_TYPE_SIGNED_LONG_LONG:
		if (fv->value.sllVal < 0)
			return -ERANGE;
		*out = (uint64_t)fv->value.sllVal;
		return 0;
	case NVML_VALUE_TYPE_SIGNED_INT:
		if (fv->value.siVal < 0)
			return -ERANGE;
		*out = (uint64_t)fv->value.siVal;
		return 0;
	case NVML_VALUE_TYPE_UNSIGNED_SHORT:
		*out = fv->value.usVal;
		return 0;
	}
	return -EINVAL;
}

static const struct {
	uint64_t bit;
	const char *name;
} reason_names[] = {
	{ nvmlClocksEventReasonGpuIdle, "gpu_idle" },
	{ nvmlClocksEventReasonApplicationsClocksSetting, "applications_clocks" },
	{ nvmlClocksEventReasonSwPowerCap, "sw_power_cap" },
	{ nvmlClocksThrottleReasonHwSlowdown, "hw_slowdown" },
	{ nvmlClocksEventReasonSyncBoost, "sync_boost" },
	{ nvmlClocksEventReasonSwThermalSlowdown, "sw_thermal_slowdown" },
	{ nvmlClocksThrottleReasonHwThermalSlowdown, "hw_thermal_slowdown" },
	{ nvmlClocksThrottleReasonHwPowerBrakeSlowdown, "hw_power_brake" },
	{ nvmlClocksEventReasonDisplayClockSetting, "display_clock" },
};

int gb_nvml_reasons_format(uint64_t bits, char *buf, size_t len)
{
	size_t i, n = 0;
	uint64_t rest = bits;
	int w;

	if (len)
		buf[0] = '\0';
	if (!bits)
		return snprintf(buf, len, "none");
	for (i = 0; i < sizeof reason_names / sizeof reason_names[0]; i++) {
		if (!(bits & reason_names[i].bit))
			continue;
		rest &= ~reason_names[i].bit;
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s%s",
			     n ? "," : "", reason_names[i].name);
		n += (size_t)w;
	}
	if (rest) {
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s0x%llx",
			     n ? "," : "", (unsigned long long)rest);
		n += (size_t)w;
	}
	return (int)n;
}

/* [b, e) can be (a prefix of) a GPU UUID: "GPU-" then hex digits and
 * dashes, or those alone. */
static int uuid_like(const char *b, const char *e)
{
	if (e - b >= 4 && !strncmp(b, "GPU-", 4))
		b += 4;
	if (b == e)
		return 0;
	for (; b < e; b++)
		if (!isxdigit((unsigned char)*b) && *b != '-')
			return 0;
	return 1;
}

/* The device whose UUID starts with id (with or without "GPU-"), or -1;
 * -2 when several do. */
static long visible_uuid(const char *id, size_t len, const char *const *uuids, size_t ndev)
{
	long found = -1;

	for (size_t i = 0; i < ndev; i++) {
		const char *u = uuids ? uuids[i] : NULL;

		if (!u)
			continue;
		if (strncmp(id, "GPU-", 4) && !strncmp(u, "GPU-", 4))
			u += 4;
		if (strlen(u) < len || strncmp(u, id, len))
			continue;
		if (found >= 0)
			return -2;
		found = (long)i;
	}
	return found;
}

int gb_nvml_visible_parse(const char *list, const char *const *uuids, size_t ndev, unsigned *out,
			  size_t cap, size_t *nout)
{
	const char *p = list;
	size_t n = 0;

	*nout = 0;
	if (!strcmp(list, "NoDevFiles"))
		return 0;
	while (*p) {
		const char *end = p + strcspn(p, ","), *b = p, *e = end;
		long dev;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (b == e)
			return gb_error_set(-EINVAL, "empty entry in the GPU list '%s'", list);
		if (*b == '-' || (*b >= '0' && *b <= '9' && strspn(b, "0123456789") >= (size_t)(e - b))) {
			char *stop;
			long v = strtol(b, &stop, 10);

			if (stop != e)
				return gb_error_set(-EINVAL, "invalid GPU '%.*s' in '%s'", (int)(e - b), b, list);
			/* CUDA's rule: an invalid index hides it and all after it. */
			if (v < 0 || (size_t)v >= ndev)
				break;
			dev = v;
		} else if (e - b >= 4 && !strncmp(b, "MIG-", 4)) {
			return gb_error_set(-ENOTSUP, "GPU '%.*s' is a MIG instance: its energy is not metered "
					    "apart from its GPU's", (int)(e - b), b);
		} else if (!uuid_like(b, e)) {
			return gb_error_set(-EINVAL, "invalid GPU '%.*s' in '%s': expected an index or a UUID "
					    "(GPU-...)", (int)(e - b), b, list);
		} else {
			dev = visible_uuid(b, (size_t)(e - b), uuids, ndev);
			if (dev == -2)
				return gb_error_set(-EINVAL, "GPU '%.*s' is the prefix of several GPUs' UUIDs",
						    (int)(e - b), b);
			if (dev < 0)
				return gb_error_set(-ENODEV, "no GPU has the UUID '%.*s'", (int)(e - b), b);
		}
		for (size_t k = 0; k < n; k++)
			if (out[k] == (unsigned)dev)
				return gb_error_set(-EINVAL, "GPU %ld is named twice in '%s'", dev, list);
		if (n == cap)
			return gb_error_set(-ENOSPC, "more than %zu GPUs in '%s'", cap, list);
		out[n++] = (unsigned)dev;
		p = *end ? end + 1 : end;
	}
	*nout = n;
	return 0;
}
