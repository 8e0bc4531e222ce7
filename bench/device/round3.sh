#!/bin/sh
# Device round 3: ORT CUDA through `greenbench run` (issue 3), sampler
# overhead (issue 2), ResNet-50/MobileNetV2/BERT zoo exports vs PyTorch
# (issue 4).
set -u
cd "$(dirname "$0")/../.."
. bench/device/env.sh
echo "== sampler overhead"
"$G/bin/bench_sampler" "$GREENBENCH" 9 2 2>&1 | tail -n 2
echo "== zoo vs torch"
GB_DIR=$G sh bench/device/zoo_vs_torch.sh "$OUT/zoo" 2>&1 | tail -n 8
echo "== ORT CUDA"
GREENBENCH=$G/bin/greenbench ORT_GPU_ROOT=/tmp/ort OUT=$OUT bash bench/device/ort_cuda.sh > "$OUT/ort_cuda.log" 2>&1
echo "ort_cuda exit $?"
cat "$OUT/ort_cuda/summary.txt"
cp "$OUT/ort_cuda/summary.txt" "$OUT/ort_cuda_summary.txt"; cp "$OUT/ort_cuda/runs.jsonl" "$OUT/ort_cuda_runs.jsonl"
rm -f "$OUT"/ort_cuda/*.onnx
