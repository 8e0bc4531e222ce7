#include "model/half.h"

#include <string.h>

uint16_t gb_half_from_float(float f)
{
	uint32_t x, sign, mant;
	int32_t exp;

	memcpy(&x, &f, sizeof x);
	sign = (x >> 16) & 0x8000u;
	exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
	mant = x & 0x7fffffu;
	if (((x >> 23) & 0xff) == 0xff)	/* inf or NaN (keep NaN quiet) */
		return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
	if (exp >= 31)
		return (uint16_t)(sign | 0x7c00u);
	if (exp <= 0) {
		if (exp < -10)
			return (uint16_t)sign;
		/* Subnormal: shift the implicit bit in, round to nearest even. */
		mant |= 0x800000u;
		uint32_t shift = (uint32_t)(14 - exp);
		uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
		if (rem > half || (rem == half && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	uint32_t h = (uint32_t)exp << 10 | mant >> 13, rem = mant & 0x1fffu;
	if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
		h++;	/* a carry into the exponent is still correct (up to inf) */
	return (uint16_t)(sign | h);
}

float gb_half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
	float f;

	if (exp == 0x1f) {
		x = sign | 0x7f800000u | mant << 13;
	} else if (exp) {
		x = sign | (exp + 112) << 23 | mant << 13;
	} else if (mant) {
		/* Subnormal half: normalise. */
		exp = 113;
		while (!(mant & 0x400u)) {
			mant <<= 1;
			exp--;
		}
		x = sign | exp << 23 | (mant & 0x3ffu) << 13;
	} else {
		x = sign;
	}
	memcpy(&f, &x, sizeof f);
	return f;
}

float gb_bf16_to_float(uint16_t b)
{
	uint32_t x = (uint32_t)b << 16;
	float f;

	memcpy(&f, &x, sizeof f);
	return f;
}
