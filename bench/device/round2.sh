#!/bin/sh
# Device round 2: ONNX Runtime CUDA through `greenbench run` (issue 3), and
# the sampler overhead after the NVML counter change (issue 2).
set -u
cd "$(dirname "$0")/../.."
G=$PWD/.device-cache/gb
OUT=${OUT:-/tmp/gb-out}
mkdir -p /tmp/ort "$OUT"
tar xJf .device-cache/ort-gpu-sm90.tar.xz -C /tmp/ort 2>/dev/null || python3 - <<'PY'
import lzma, tarfile
with lzma.open(".device-cache/ort-gpu-sm90.tar.xz") as f:
    tarfile.open(fileobj=f).extractall("/tmp/ort")
PY
export LD_LIBRARY_PATH=$G/lib
echo "== sampler overhead after the change"
"$G/bin/bench_sampler" "$G/bin/greenbench" 9 2 2>&1 | tail -n 3
GREENBENCH=$G/bin/greenbench python3 bench/device/verify_meter.py 10 "$OUT" | tail -n 4
echo "== ORT CUDA"
GREENBENCH=$G/bin/greenbench ORT_GPU_ROOT=/tmp/ort OUT=$OUT bash bench/device/ort_cuda.sh > "$OUT/ort_cuda.log" 2>&1
echo "ort_cuda exit $?"
cat "$OUT/ort_cuda/summary.txt"
