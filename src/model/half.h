/* IEEE half and bfloat16 conversions (bit-exact, round to nearest even). */
#ifndef GB_MODEL_HALF_H
#define GB_MODEL_HALF_H

#include <stdint.h>

uint16_t gb_half_from_float(float f);
float gb_half_to_float(uint16_t h);
float gb_bf16_to_float(uint16_t b);

#endif
