#!/usr/bin/env bash
# Keras on the GPU machine (issue 10): keras backend=jax vs backend=torch vs
# PyTorch vs ORT's CUDA EP, ResNet-50 and MobileNetV2 at batch 1 and 64, as
# a campaign (examples/device-keras.yaml), then its report. About 6 minutes.
#
#   bash bench/device/keras_gpu.sh     (from the repository root there, with
#                                       .device-cache carried)
#
# Needs .device-cache/gb (scripts/device-bundle.sh),
# .device-cache/ort-gpu-sm90.tar.xz and .device-cache/whl: the Keras wheels
# the machine lacks (keras 3.15.1, namex 0.1.0, optree 0.20.0 for CPython
# 3.12; absl-py, h5py, ml-dtypes, numpy, rich, packaging are there), made
# here with `pip download --no-deps --only-binary=:all: --python-version
# 3.12 --platform manylinux_2_28_x86_64 ...`. The machine's python3 (JAX
# 0.11 + CUDA, torch 2.11) runs the keras and torch workers: the rows' own
# environments (make deps) do not exist there, so the harness falls back to
# python3 (docs/worker-protocol.md, "Interpreter").
# Keeps in $OUT: summary.txt, devices.txt, the campaign's log, the report
# (text, JSON, HTML) and the database. Exits non-zero when a check fails.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH

keras_setup || exit 1

log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader | tee -a "$sum"
KERAS_BACKEND=jax python3 -c 'import keras, jax, torch; print("keras", keras.__version__, "jax", jax.__version__, jax.devices(), "torch", torch.__version__)' 2>&1 |
	tee -a "$sum"
"$gb" devices > "$OUT/devices.txt" 2>&1
cat "$OUT/devices.txt" >> "$sum"
check "devices lists keras available" grep -Eq '^ +keras +available' "$OUT/devices.txt"
check "devices lists torch available" grep -Eq '^ +torch +available' "$OUT/devices.txt"

# One record first: the backend that ran it and the device, from the record.
"$gb" run --runtime keras --ep cuda --ep-option backend=jax --model resnet50 --batch 64 \
	--min-duration 3s --json > "$OUT/keras-jax-resnet50.json" 2> "$OUT/keras-jax-resnet50.log"
check "keras backend=jax ran on the GPU (record: keras_backend jax, jax_device cuda)" python3 - "$OUT/keras-jax-resnet50.json" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
m = r["environment"]["runtime"]
print(r["status"], m.get("keras_backend"), m.get("jax_device"), r.get("throughput_items_per_s"))
assert r["status"] == "ok" and m["keras_backend"] == "jax" and "cuda" in m.get("jax_device", "").lower()
PY

db=$OUT/keras.db
rm -f "$db"
"$gb" campaign run examples/device-keras.yaml --db "$db" 2>&1 | tee "$OUT/campaign.log" | tail -n 20
check "campaign recorded every run" grep -Eq 'runs recorded now \(([0-9]+) ok, 0 failed\)' "$OUT/campaign.log"
"$gb" report --db "$db" | tee "$OUT/report.txt"
"$gb" report --db "$db" --format json -o "$OUT/report.json"
"$gb" report --db "$db" --format html -o "$OUT/report.html"
log "== $fails failed checks"
exit $fails
