#!/usr/bin/env bash
# Issue 12's comparison on the GPU machine: the best configurations found
# by hand for each model, measured with `greenbench run`, beside which the
# advisor's answers (bench/device/advise_gpu.sh) are judged. About 3
# minutes (each torch.compile takes 20-40 s on the H200).
#
#   bash bench/device/hand_tuned.sh      (repository root, .device-cache carried)
#
# The configurations: issue 12's table for ResNet-50 (torch fp16 +
# channels_last + torch.compile, inputs on the GPU, batch 256: 27.7 GPU
# mJ/image on 2026-12-01), and the same recipe for MobileNetV2 and for
# BERT-base at seq 128 (bf16, CUDA graphs), plus ORT's best of the
# advisor's first H200 answers (fp16, prefer_nhwc, io=device).
# Keeps summary.txt (one line per configuration: GPU mJ/item, total
# mJ/item, items/s, verdict) and hand.jsonl (the records) in $OUT.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi --query-gpu=name,driver_version,power.draw --format=csv,noheader | tee -a "$sum"
"$gb" zoo export mobilenetv2 --dtype fp16 -o /tmp/mobilenetv2.fp16.onnx > /dev/null 2>&1
: > "$OUT/hand.jsonl"


T="--runtime torch --ep cuda --io device --batch 256"
hand resnet50-torch-compile --model resnet50 $T --ep-option dtype=fp16 --ep-option channels_last=1 \
	--ep-option compile=default
# bf16, not fp16: with random weights MobileNetV2's scores are about 1e-9,
# which fp16 flushes to 0 (the advisor rejects it: every row flat).
hand mobilenetv2-torch-compile --model mobilenetv2 $T --ep-option dtype=bf16 --ep-option channels_last=1 \
	--ep-option compile=default --ep-option cuda_graphs=1
hand mobilenetv2-ort-fp16-nhwc --model /tmp/mobilenetv2.fp16.onnx --runtime ort --ep cuda \
	--io device --ep-option prefer_nhwc=1 --batch 64
hand bert-torch-bf16-compile-graphs --model bert-base --dim seq=128 $T --ep-option dtype=bf16 \
	--ep-option compile=default --ep-option cuda_graphs=1
log "== done $(date -u +%FT%TZ)"
