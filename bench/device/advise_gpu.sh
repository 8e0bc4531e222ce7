#!/usr/bin/env bash
# Issue 12 on the GPU machine: `greenbench advise` for ResNet-50, MobileNetV2
# and BERT-base (seq 128) with ort/cuda and torch, each within the default
# budget (20 minutes), and the hand-tuned best of issue 12 for comparison.
#
#   bash bench/device/advise_gpu.sh [MODEL ...]   (repository root there,
#                                                  .device-cache carried)
#
# MODEL: resnet50, mobilenetv2, bert-base (default: all three, about an
# hour). The device lets one command run 10 minutes, so run one model per
# call with a budget that fits and resume:
#
#   BUDGET=8m bash bench/device/advise_gpu.sh resnet50
#   (carry $OUT/advise.db back as .device-cache/advise.db, then)
#   BUDGET=8m RESUME=1 bash bench/device/advise_gpu.sh resnet50
#
# A resumed advice needs the same options (BUDGET included): it goes on
# with the time left of its budget. HAND=0 skips the hand-tuned runs.
#
# Keeps in $OUT: summary.txt (printed), devices.txt, advise.db (the results
# database: advice, screenings, rounds as campaigns), and per model
# advise-MODEL.txt (the answer), advise-MODEL.json (--json), advise-MODEL.err
# (progress), hand-MODEL-*.json (the hand-tuned runs' records).
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
sum=$OUT/summary.txt
db=$OUT/advise.db
budget=${BUDGET:-20m}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(resnet50 mobilenetv2 bert-base)
log() { echo "$@" | tee -a "$sum"; }
: > "$sum"
[ "${RESUME:-0}" = 1 ] && [ -f .device-cache/advise.db ] && cp .device-cache/advise.db "$db"

log "== $(date -u +%FT%TZ) $(hostname) budget $budget per model"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader | tee -a "$sum"
"$gb" --version 2>&1 | tee -a "$sum"
"$gb" devices > "$OUT/devices.txt" 2>&1

# issue 12's table: the hand-tuned configurations it measured on ResNet-50
hand() { # MODEL NAME ARGS...
	local m=$1 name=$2; shift 2
	"$gb" run --batch 256 --min-duration 10s --json "$@" > "$OUT/hand-$m-$name.json" 2> "$OUT/hand-$m-$name.err"
	python3 - "$OUT/hand-$m-$name.json" "$m" "$name" <<'PY' | tee -a "$sum"
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print("hand %-12s %-34s no record (%s)" % (sys.argv[2], sys.argv[3], e)); sys.exit()
if r.get("status") != "ok":
    print("hand %-12s %-34s failed: %s" % (sys.argv[2], sys.argv[3], r.get("error"))); sys.exit()
m = [p for p in r["phases"] if p["name"] == "measured"][0]
g = sum(v["joules"] for v in m["energy"].values() if v.get("kind") == "gpu")
print("hand %-12s %-34s %8.0f items/s  GPU %6.1f mJ/item  total %6.1f mJ/item" % (
    sys.argv[2], sys.argv[3], r.get("throughput_items_per_s", 0), 1e3 * g / m["items"], r.get("energy_per_item_mj") or 0))
PY
}

for m in "${models[@]}"; do
	dims=(); [ "$m" = bert-base ] && dims=(--dim seq=128)
	log "== advise $m (ort/cuda, torch/cuda)"
	args=(advise --model "$m" "${dims[@]}" --runtimes ort,torch --ep cuda --budget "$budget" --db "$db"
	      --baseline "ort/cuda io=device batch=64")
	[ "${RESUME:-0}" = 1 ] && args+=(--resume)
	"$gb" "${args[@]}" > "$OUT/advise-$m.txt" 2> "$OUT/advise-$m.err"
	rc=$?
	tail -n 5 "$OUT/advise-$m.err" >> "$sum"
	cat "$OUT/advise-$m.txt" | tee -a "$sum"
	log "advise $m: exit $rc"
	# the same answer as JSON, from the database (a finished advice is
	# printed again without measuring: --resume finds nothing unfinished,
	# so read the stored answer instead)
	python3 - "$db" "$m" > "$OUT/advise-$m.json" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT answer_json FROM advice WHERE model = ? AND answer_json IS NOT NULL ORDER BY id DESC LIMIT 1",
                 (sys.argv[2],)).fetchone()
print(row[0] if row else "{}")
PY
	if [ "${HAND:-1}" = 1 ]; then
		if [ "$m" = bert-base ]; then om=/tmp/gbcache/zoo/bert-base.onnx; else om=/tmp/gbcache/zoo/$m.onnx; fi
		[ -f "$om" ] || "$gb" zoo export "$m" -o "$om" > /dev/null 2>&1
		hand "$m" ort-fp32-io-device --model "$om" --runtime ort --ep cuda --io device "${dims[@]}"
		cl=(--ep-option channels_last=1); [ "$m" = bert-base ] && cl=()
		hand "$m" torch-fp16-compile --model "$m" --runtime torch --ep cuda --ep-option dtype=fp16 \
			"${cl[@]}" --ep-option compile=default "${dims[@]}"
	fi
done
log "== done $(date -u +%FT%TZ)"
