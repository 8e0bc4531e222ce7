#!/usr/bin/env bash
# Accuracy and agreement on the H100 machine (issue 7, evaluation half):
#   1. the end-to-end test's tiny classifier (tests/helpers/train_tiny.py,
#      trained there with torch 2.x): `greenbench run --data` with ORT on
#      cpu, cuda (--io host) and cuda (--io device) against PyTorch's own
#      count of correct predictions, and the accuracy phase's GPU energy;
#   2. `greenbench compare` ORT CPU vs ORT CUDA on those images;
#   3. ResNet-50 (random weights, BatchNorm calibrated, saved as
#      safetensors): the zoo export on ORT CUDA against the torch worker on
#      CUDA with the same weights, on generated inputs and on 64 generated
#      256-500 px JPEG/PNG images through the full ImageNet transform
#      (the study's "conversion keeps accuracy" check, done directly).
# About 3 minutes.
#
#   GREENBENCH=/path/to/greenbench ORT_GPU_ROOT=/tmp/ort [OUT=dir] [PYTHON=python3] \
#       bench/device/eval_check.sh
#
# Run from the repository root (it uses tests/helpers/train_tiny.py and
# workers/). ORT_GPU_ROOT: the unpacked ort-gpu-sm90.tar.xz, as for
# ort_cuda.sh. Keeps under $OUT/eval_check: every JSON record/object
# (*.json), logs, and summary.txt, which it also prints.
# Exit status: the number of failed checks. A check fails when a command
# fails, when ORT CPU's count of correct predictions differs from
# PyTorch's (must be exact, as in the test suite), when ORT CUDA's differs
# by more than 1 (a near-tie may flip under different kernels; the count
# is printed either way), or when ORT CUDA and torch CUDA agree on less
# than 90% of top-1 predictions for ResNet-50 (TF32 convolutions in torch
# make small differences; the figures are printed).
set -uo pipefail

: "${GREENBENCH:?set GREENBENCH to the greenbench binary}"
: "${ORT_GPU_ROOT:?set ORT_GPU_ROOT to the unpacked GPU ORT tree}"
OUT=${OUT:-out}
PY=${PYTHON:-python3}
dir="$OUT/eval_check"
mkdir -p "$dir"
export GREENBENCH_ORT_LIB="$ORT_GPU_ROOT/lib/libonnxruntime.so"
export LD_LIBRARY_PATH="$ORT_GPU_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GREENBENCH_WORKERS_DIR="${GREENBENCH_WORKERS_DIR:-$(pwd)/workers}"
export GREENBENCH_PYTHON="$PY"
export XDG_CACHE_HOME="$dir/cache"
failed=0
log() { echo "$@" | tee -a "$dir/summary.txt"; }
fail() { log "FAIL: $*"; failed=$((failed + 1)); }
# jq may be missing: read JSON with Python
jget() { "$PY" -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v=v[int(k)] if isinstance(v,list) else v.get(k) if isinstance(v,dict) else None
print(v)' "$1" "$2"; }
: > "$dir/summary.txt"

log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | tee -a "$dir/summary.txt"
"$GREENBENCH" version | tee -a "$dir/summary.txt"

# ---- 1. tiny classifier --------------------------------------------------
log "== tiny classifier (tests/helpers/train_tiny.py)"
if ! "$PY" tests/helpers/train_tiny.py "$dir" > "$dir/train_tiny.log" 2>&1; then
	fail "train_tiny.py: $(tail -3 "$dir/train_tiny.log")"
else
	read -r n want < "$dir/expected.txt"
	log "pytorch: $want/$n correct"
	prep="--resize 32 --crop 32 --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25"
	fast="--min-duration 0 -n 20 --warmup 5"
	for cfg in "cpu host" "cuda host" "cuda device"; do
		set -- $cfg
		f="$dir/tiny_$1_$2.json"
		if ! "$GREENBENCH" run --json --model "$dir/tiny.onnx" --ep "$1" --io "$2" --batch 16 \
			--data "$dir/val" $prep $fast > "$f" 2> "$f.err"; then
			fail "run --ep $1 --io $2: $(cat "$f.err")"
			continue
		fi
		got=$(jget "$f" accuracy.correct_top1)
		gpu_j=$(jget "$f" phases.4.energy.gpu0.joules)
		log "ort $1 io $2: $got/$(jget "$f" accuracy.n) correct; accuracy phase $(jget "$f" phases.4.duration_s) s, gpu0 ${gpu_j} J"
		if [ "$1" = cpu ] && [ "$got" != "$want" ]; then
			fail "ort cpu counts $got correct, pytorch $want"
		elif [ "$1" = cuda ] && [ $(( got > want ? got - want : want - got )) -gt 1 ]; then
			fail "ort cuda counts $got correct, pytorch $want"
		fi
	done
	f="$dir/tiny_compare.json"
	if "$GREENBENCH" compare --json --batch 16 --data "$dir/val" $prep \
		-- --model "$dir/tiny.onnx" -- --model "$dir/tiny.onnx" --ep cuda --io device > "$f" 2> "$f.err"; then
		log "compare ort cpu vs ort cuda: top-1 agreement $(jget "$f" top1_agreement), max |diff| $(jget "$f" max_abs_diff), mean $(jget "$f" mean_abs_diff)"
	else
		fail "compare tiny cpu/cuda: $(cat "$f.err")"
	fi
fi

# ---- 3. ResNet-50: ORT CUDA vs torch CUDA ---------------------------------
log "== resnet50: zoo export on ORT CUDA vs the torch worker on CUDA, same weights"
cat > "$dir/r50_prep.py" <<'EOF'
import os, random, sys
import torch, torchvision
from PIL import Image, ImageDraw
from safetensors.torch import save_file
out = sys.argv[1]
torch.manual_seed(0)
m = torchvision.models.resnet50(weights=None)
g = torch.Generator().manual_seed(1)
for mod in m.modules():  # BatchNorm made non-trivial, as zoo_vs_torch.py
    if isinstance(mod, torch.nn.BatchNorm2d):
        with torch.no_grad():
            mod.weight.uniform_(0.5, 1.5, generator=g)
            mod.bias.normal_(0.0, 0.1, generator=g)
        mod.reset_running_stats()
        mod.momentum = None
m.train()
with torch.no_grad():
    for _ in range(4):
        m(torch.randn(16, 3, 224, 224, generator=g))
save_file({k: v.detach().contiguous() for k, v in m.state_dict().items()},
          os.path.join(out, "r50.safetensors"))
rng = random.Random(3)
for c in range(4):
    d = os.path.join(out, "imgs", "c%d" % c)
    os.makedirs(d, exist_ok=True)
    for i in range(16):
        w, h = rng.randint(256, 500), rng.randint(256, 500)
        img = Image.new("RGB", (w, h), tuple(rng.randint(0, 255) for _ in range(3)))
        dr = ImageDraw.Draw(img)
        for _ in range(12):
            x0, y0 = rng.randint(0, w - 2), rng.randint(0, h - 2)
            dr.ellipse([x0, y0, rng.randint(x0 + 1, w), rng.randint(y0 + 1, h)],
                       fill=tuple(rng.randint(0, 255) for _ in range(3)))
        img.save(os.path.join(d, "%02d.%s" % (i, "png" if i % 2 else "jpg")))
EOF
if ! "$PY" "$dir/r50_prep.py" "$dir" > "$dir/r50_prep.log" 2>&1; then
	fail "r50_prep.py: $(tail -3 "$dir/r50_prep.log")"
elif ! "$GREENBENCH" zoo export resnet50 -o "$dir/r50.onnx" --weights "$dir/r50.safetensors" > "$dir/r50_export.log" 2>&1; then
	fail "zoo export: $(tail -3 "$dir/r50_export.log")"
else
	torch_side="--runtime torch --model resnet50 --ep cuda --ep-option weights=$dir/r50.safetensors"
	for what in generated data; do
		f="$dir/r50_compare_$what.json"
		extra="--batches 8"
		[ "$what" = data ] && extra="--data $dir/imgs"
		if "$GREENBENCH" compare --json --batch 16 $extra -- --model "$dir/r50.onnx" --ep cuda \
			-- $torch_side > "$f" 2> "$f.err"; then
			agree=$(jget "$f" top1_agreement)
			log "resnet50 $what: ort cuda vs torch cuda: n $(jget "$f" n), top-1 agreement $agree, max |diff| $(jget "$f" max_abs_diff), mean $(jget "$f" mean_abs_diff)"
			"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.9 else 1)" "$agree" ||
				fail "resnet50 $what: top-1 agreement $agree < 0.9"
		else
			fail "compare resnet50 $what: $(cat "$f.err")"
		fi
	done
	f="$dir/r50_run_data.json"
	if "$GREENBENCH" run --json --model "$dir/r50.onnx" --ep cuda --io device --batch 32 \
		--data "$dir/imgs" --min-duration 2s > "$f" 2> "$f.err"; then
		log "resnet50 run --data on cuda/device: n $(jget "$f" accuracy.n), top1 $(jget "$f" accuracy.top1) (random weights: chance), accuracy phase $(jget "$f" phases.4.duration_s) s, gpu0 $(jget "$f" phases.4.energy.gpu0.joules) J; measured $(jget "$f" phases.3.duration_s) s"
	else
		fail "run resnet50 --data: $(cat "$f.err")"
	fi
fi

log "== eval_check: $failed failed"
exit "$failed"
