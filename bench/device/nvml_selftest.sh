#!/bin/sh
# NVML source self-test on a machine with an NVIDIA GPU (the H100): compiles
# bench/device/nvml_selftest.c with the few sources it needs (gcc only, no
# make, no carried build) and runs it with the GPU idle (~15 s).
#
#   bench/device/nvml_selftest.sh [SECONDS]    from anywhere in the tree
#
# Env: GREENBENCH_NVML_LIB (default libnvidia-ml.so.1), CC (default gcc),
# OUT (where the binary and nvml_selftest.log go; default /tmp).
# Prints every field of every GPU with its validity, the counter's update
# period, per-call costs, and counter vs integrated energy; ends with
# "RESULT: ok" or "RESULT: FAIL" (exit status 0 / 1).
set -eu
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp}
mkdir -p "$out"
${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Wno-format-truncation -D_GNU_SOURCE -Iinclude -Isrc -o "$out/nvml_selftest" \
	bench/device/nvml_selftest.c src/meter/nvml.c src/meter/nvml_decode.c \
	src/common/error.c src/common/time.c -ldl -lm -lpthread
if command -v nvidia-smi >/dev/null; then
	nvidia-smi --query-gpu=index,name,driver_version,power.draw,temperature.gpu,utilization.gpu \
		--format=csv >"$out/nvml_selftest.log" 2>&1 || true
	cat "$out/nvml_selftest.log"
fi
set +e
"$out/nvml_selftest" "$@" 2>&1 | tee -a "$out/nvml_selftest.log"
exit "$(tail -n 1 "$out/nvml_selftest.log" | grep -q 'RESULT: ok' && echo 0 || echo 1)"
