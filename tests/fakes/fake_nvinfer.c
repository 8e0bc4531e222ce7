/*
 * A stand-in for TensorRT's libnvinfer.so.10 (tests only): the one symbol
 * `greenbench devices` and ort --ep tensorrt ask first. TensorRT 10
 * encodes its version as major*10000 + minor*100 + patch.
 */
#include <stdint.h>

int32_t getInferLibVersion(void);

int32_t getInferLibVersion(void)
{
	return 101501;
}
