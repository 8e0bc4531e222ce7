/* Pure NVML decoding: return codes, counter deltas, integration, fields, reasons. */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "meter/nvml_decode.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void test_errno_mapping(void **st)
{
	assert_int_equal(gb_nvml_errno(NVML_SUCCESS), 0);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_NOT_SUPPORTED), -EOPNOTSUPP);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_NO_PERMISSION), -EACCES);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_DRIVER_NOT_LOADED), -ENODEV);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_GPU_IS_LOST), -ENODEV);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_FUNCTION_NOT_FOUND), -ENOSYS);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_TIMEOUT), -ETIMEDOUT);
	assert_int_equal(gb_nvml_errno(NVML_ERROR_UNKNOWN), -EIO);
	assert_int_equal(gb_nvml_errno((nvmlReturn_t)12345), -EIO);
	assert_string_equal(gb_nvml_return_name(NVML_ERROR_NOT_SUPPORTED), "NVML_ERROR_NOT_SUPPORTED");
	assert_string_equal(gb_nvml_return_name((nvmlReturn_t)12345), "NVML error (unknown code)");
	assert_non_null(strstr(gb_nvml_return_hint(NVML_ERROR_DRIVER_NOT_LOADED), "nvidia-smi"));
	assert_null(gb_nvml_return_hint(NVML_ERROR_NOT_SUPPORTED));
}

static void test_permanent_codes(void **st)
{
	assert_true(gb_nvml_return_is_permanent(NVML_ERROR_NOT_SUPPORTED));
	assert_true(gb_nvml_return_is_permanent(NVML_ERROR_FUNCTION_NOT_FOUND));
	assert_true(gb_nvml_return_is_permanent(NVML_ERROR_NO_PERMISSION));
	/* Transient trouble must be retried on the next sample. */
	assert_false(gb_nvml_return_is_permanent(NVML_SUCCESS));
	assert_false(gb_nvml_return_is_permanent(NVML_ERROR_UNKNOWN));
	assert_false(gb_nvml_return_is_permanent(NVML_ERROR_TIMEOUT));
	assert_false(gb_nvml_return_is_permanent(NVML_ERROR_GPU_IS_LOST));
}

static void test_counter_deltas(void **st)
{
	struct gb_nvml_counter c = { 0 };

	/* The counter counts since the driver loaded: only deltas matter. */
	gb_nvml_counter_update(&c, 123456789);
	assert_int_equal(gb_nvml_counter_energy_uj(&c), 0);
	gb_nvml_counter_update(&c, 123456789 + 1500);
	assert_int_equal(gb_nvml_counter_energy_uj(&c), 1500000);
	/* Unchanged between the ~100 ms updates of the H100. */
	gb_nvml_counter_update(&c, 123456789 + 1500);
	assert_int_equal(gb_nvml_counter_energy_uj(&c), 1500000);
	/* Past 2^32 mJ: no 32-bit truncation anywhere. */
	gb_nvml_counter_update(&c, 123456789 + 1500 + 5000000000ULL);
	assert_int_equal(gb_nvml_counter_energy_uj(&c), (1500 + 5000000000ULL) * 1000);
	assert_int_equal(c.resets, 0);
}

static void test_counter_reset(void **st)
{
	struct gb_nvml_counter c = { 0 };

	gb_nvml_counter_update(&c, 90000);
	gb_nvml_counter_update(&c, 91000);
	/* Driver reloaded: the counter restarted from 0 and reads 250. */
	gb_nvml_counter_update(&c, 250);
	assert_int_equal(c.resets, 1);
	assert_int_equal(gb_nvml_counter_energy_uj(&c), (1000 + 250) * 1000);
	gb_nvml_counter_update(&c, 300);
	assert_int_equal(gb_nvml_counter_energy_uj(&c), (1000 + 300) * 1000);
}

static void test_trapezoid(void **st)
{
	struct gb_nvml_integrator it = { 0 };

	gb_nvml_integrator_add(&it, 1000000000ULL, 100000);
	assert_true(it.energy_uj == 0);
	/* 100 W -> 300 W over 0.5 s: mean 200 W x 0.5 s = 100 J. */
	gb_nvml_integrator_add(&it, 1500000000ULL, 300000);
	assert_true(fabs(it.energy_uj - 100e6) < 1e-3);
	/* Same instant: replaces the power, adds nothing. */
	gb_nvml_integrator_add(&it, 1500000000ULL, 100000);
	assert_true(fabs(it.energy_uj - 100e6) < 1e-3);
	/* Out of order: ignored. */
	gb_nvml_integrator_add(&it, 1400000000ULL, 900000);
	assert_int_equal(it.t_ns, 1500000000ULL);
	assert_int_equal(it.power_mw, 100000);
	/* 100 W for 20 ms = 2 J. */
	gb_nvml_integrator_add(&it, 1520000000ULL, 100000);
	assert_true(fabs(it.energy_uj - 102e6) < 1e-3);
}

static void test_field_values(void **st)
{
	nvmlFieldValue_t fv;
	uint64_t v = 7;

	memset(&fv, 0, sizeof fv);
	fv.nvmlReturn = NVML_SUCCESS;
	fv.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
	fv.value.uiVal = 72345;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), 0);
	assert_int_equal(v, 72345);
	fv.valueType = NVML_VALUE_TYPE_UNSIGNED_LONG_LONG;
	fv.value.ullVal = 1ULL << 40;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), 0);
	assert_int_equal(v, 1ULL << 40);
	fv.valueType = NVML_VALUE_TYPE_DOUBLE;
	fv.value.dVal = 118999.6;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), 0);
	assert_int_equal(v, 119000);
	fv.value.dVal = NAN;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), -ERANGE);
	fv.valueType = NVML_VALUE_TYPE_SIGNED_INT;
	fv.value.siVal = -1;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), -ERANGE);
	fv.valueType = (nvmlValueType_t)42;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), -EINVAL);
	/* A per-field error: the value is undefined and must not be used. */
	fv.valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
	fv.value.uiVal = 5;
	fv.nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
	v = 7;
	assert_int_equal(gb_nvml_field_u64(&fv, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_reason_names(void **st)
{
	char buf[256], small[12];
	int n;

	gb_nvml_reasons_format(0, buf, sizeof buf);
	assert_string_equal(buf, "none");
	gb_nvml_reasons_format(nvmlClocksEventReasonSwPowerCap | nvmlClocksThrottleReasonHwSlowdown,
			       buf, sizeof buf);
	assert_string_equal(buf, "sw_power_cap,hw_slowdown");
	gb_nvml_reasons_format(0x1 | 0x20 | 0x40 | 0x80, buf, sizeof buf);
	assert_string_equal(buf, "gpu_idle,sw_thermal_slowdown,hw_thermal_slowdown,hw_power_brake");
	gb_nvml_reasons_format(0x4 | 0x1000, buf, sizeof buf);
	assert_string_equal(buf, "sw_power_cap,0x1000");
	gb_nvml_reasons_format(0x3000, buf, sizeof buf);
	assert_string_equal(buf, "0x3000");
	/* Truncated output stays terminated and reports the full length. */
	n = gb_nvml_reasons_format(0x4 | 0x8 | 0x10, small, sizeof small);
	assert_int_equal(n, (int)strlen("sw_power_cap,hw_slowdown,sync_boost"));
	assert_int_equal(strlen(small), sizeof small - 1);
}

/* Visible-device lists as CUDA and Slurm write them, against 4 GPUs. */
static void test_visible_devices(void **st)
{
	static const char *const uuids[] = {
		"GPU-8f6c1a2b-0000-1111-2222-333344445555", "GPU-8f6d9e00-aaaa-bbbb-cccc-ddddeeeeffff",
		"GPU-12345678-9abc-def0-1234-56789abcdef0", NULL,
	};
	unsigned ix[8];
	size_t n = 99;

	(void)st;
	assert_int_equal(gb_nvml_visible_parse("2,0", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ix[0], 2);
	assert_int_equal(ix[1], 0);
	assert_int_equal(gb_nvml_visible_parse(" 3 , 1", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ix[0], 3);
	/* Full UUIDs, and unambiguous prefixes with or without "GPU-". */
	assert_int_equal(gb_nvml_visible_parse("GPU-12345678-9abc-def0-1234-56789abcdef0,GPU-8f6d", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ix[0], 2);
	assert_int_equal(ix[1], 1);
	assert_int_equal(gb_nvml_visible_parse("8f6c1", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ix[0], 0);
	/* Mixed indices and UUIDs. */
	assert_int_equal(gb_nvml_visible_parse("3,GPU-1234", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ix[1], 2);
	/* CUDA: an invalid index ends the list; "" and NoDevFiles name none. */
	assert_int_equal(gb_nvml_visible_parse("1,7,0", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ix[0], 1);
	assert_int_equal(gb_nvml_visible_parse("-1", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gb_nvml_visible_parse("", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gb_nvml_visible_parse("NoDevFiles", uuids, 4, ix, 8, &n), 0);
	assert_int_equal(n, 0);
	/* Errors. */
	assert_int_equal(gb_nvml_visible_parse("GPU-8f6", uuids, 4, ix, 8, &n), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "several"));
	assert_int_equal(gb_nvml_visible_parse("GPU-ffff", uuids, 4, ix, 8, &n), -ENODEV);
	assert_int_equal(gb_nvml_visible_parse("1,1", uuids, 4, ix, 8, &n), -EINVAL);
	assert_int_equal(gb_nvml_visible_parse("1,,2", uuids, 4, ix, 8, &n), -EINVAL);
	/* Neither an index nor a UUID: said so, not taken for an unknown UUID. */
	assert_int_equal(gb_nvml_visible_parse("1x", uuids, 4, ix, 8, &n), -EINVAL);
	assert_string_equal(gb_error_msg(), "invalid GPU '1x' in '1x': expected an index or a UUID (GPU-...)");
	assert_int_equal(gb_nvml_visible_parse("0,cuda:1", uuids, 4, ix, 8, &n), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "invalid GPU 'cuda:1'"));
	assert_int_equal(gb_nvml_visible_parse("gpu0", uuids, 4, ix, 8, &n), -EINVAL);
	assert_int_equal(gb_nvml_visible_parse("GPU-", uuids, 4, ix, 8, &n), -EINVAL);
	/* Hex is a UUID prefix, which no GPU has here. */
	assert_int_equal(gb_nvml_visible_parse("12ab", uuids, 4, ix, 8, &n), -ENODEV);
	assert_string_equal(gb_error_msg(), "no GPU has the UUID '12ab'");
	assert_int_equal(gb_nvml_visible_parse("MIG-8f6c1a2b-0000-1111-2222-333344445555", uuids, 4, ix, 8, &n),
			 -ENOTSUP);
	assert_int_equal(gb_nvml_visible_parse("0,1,2", uuids, 4, ix, 2, &n), -ENOSPC);
	/* Without UUIDs (an old driver), only indices work. */
	assert_int_equal(gb_nvml_visible_parse("GPU-8f6c", NULL, 4, ix, 8, &n), -ENODEV);
	assert_int_equal(gb_nvml_visible_parse("1", NULL, 4, ix, 8, &n), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_mapping),
		cmocka_unit_test(test_permanent_codes),
		cmocka_unit_test(test_counter_deltas),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_trapezoid),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_visible_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
