#!/usr/bin/env bash
# The last GPU checks of 2026-12-01 in one call: the free-dimension fix on the
# converted BERT and the slice models, report_check.sh (issue 14) and a
# 3-minute advise for ResNet-50 (issue 12). About 9 minutes.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
S=$OUT/dims.txt
r() { timeout 150 $gb run --iterations 20 --warmup 3 --min-duration 2s --ep cuda "$@" > /tmp/o 2> /tmp/e; rc=$?; echo "$* -> rc $rc $(grep -o '"free_dims":"[^"]*"' /tmp/o) $(grep -o '"energy_per_item_mj":[^,]*' /tmp/o | head -1) $(tail -n1 /tmp/e | cut -c1-120)" | tee -a $S; }
$gb convert torch2onnx --model bert-base -o /tmp/b.onnx > /dev/null 2>&1
python3 bench/device/slice_bound.py /tmp
r --model /tmp/b.onnx --batch 1 --json
r --model /tmp/b.onnx --batch 64 --json
r --model /tmp/b.onnx --batch 1 --ep-option static_dims=0 --json
r --model /tmp/slice_dyn.onnx --batch 1 --dim seq=128 --json
r --model /tmp/slice_static.onnx --batch 1 --json
r --model /tmp/slice_static.onnx --batch 1 --opt-level none --json
mkdir -p /tmp/rep /tmp/adv; OUT=/tmp/rep bash bench/device/report_check.sh > /tmp/rep/check.log 2>&1; echo "report_check rc $?" | tee -a $S
BUDGET=3m HAND=0 OUT=/tmp/adv timeout 260 bash bench/device/advise_gpu.sh resnet50 > /tmp/adv/run.log 2>&1; echo "advise rc $?" | tee -a $S
tail -n 40 /tmp/adv/advise-resnet50.txt 2>/dev/null | tee -a $S
cp /tmp/rep/report.txt /tmp/rep/report.html /tmp/rep/report.md /tmp/rep/check.log /tmp/adv/advise-resnet50.txt /tmp/adv/advise-resnet50.json /tmp/adv/run.log $OUT/ 2>/dev/null
tail -n 12 /tmp/rep/check.log
