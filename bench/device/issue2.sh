#!/bin/sh
# Everything issue 2 (the measurement core) verifies on the H100, in one run.
# Needs the carried bundle from scripts/device-bundle.sh in .device-cache/gb.
#   bench/device/issue2.sh          (OUT names where logs go)
set -u
cd "$(dirname "$0")/../.."
. bench/device/env.sh
echo "== machine"; date -u; nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv
grep -m1 "model name" /proc/cpuinfo; nproc; head -2 /etc/os-release
echo "== greenbench devices"; "$GREENBENCH" devices; "$GREENBENCH" devices --json > "$OUT/devices.json"
echo "== NVML self-test"; OUT=$OUT bench/device/nvml_selftest.sh 5 | tail -n 40
echo "== GPU energy vs independent NVML, integrated vs counter"
python3 bench/device/verify_meter.py 15 "$OUT"
echo "== RAPL sources on this machine"; python3 bench/device/verify_rapl.py "$OUT"
echo "== sampler overhead (NVML + estimator active)"; "$G/bin/bench_sampler" "$GREENBENCH" 7 2
