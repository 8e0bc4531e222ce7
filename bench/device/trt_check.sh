#!/usr/bin/env bash
# Issue 11 on the GPU machine: ORT's TensorRT EP through greenbench, the
# study's Table 3 (ResNet-50 from torch2onnx, ort/cuda vs ort/tensorrt fp32
# and fp16, batch 1 and 64) and the greenest TensorRT configuration. Stays
# under about 8 minutes: later steps are skipped (and say so) when time is
# short.
#
#   bash bench/device/trt_check.sh      (repository root there, .device-cache/gb
#                                        and .device-cache/ort-gpu-sm90.tar.xz carried)
#
# Expects TensorRT unpacked at /tmp/trt/lib (docs/tensorrt-bundle.md, "Sending
# it"); when it is not there but the 7 parts are in /tmp/trt-parts, it is
# reassembled here. ORT's GPU tree is unpacked at /tmp/ort by env.sh.
#
# $OUT receives at most 8 files: summary.txt (printed too),
# devices.txt, build1.err (stderr of the first engine build), ort.log (ORT's
# and TensorRT's own log of that build, GREENBENCH_ORT_LOG), campaign.err,
# report.txt, green.txt (greenest runs and compare) and checks.log.
# Exits non-zero when a check fails.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
sum=$OUT/summary.txt
fails=0
BUDGET_S=${TRT_CHECK_BUDGET_S:-470}
MODEL=/tmp/resnet50-t2o.onnx
CACHE=/tmp/trt-engines
TIMING=/tmp/trt-timing
log() { echo "$@" | tee -a "$sum"; }
check() { # check NAME CMD...: log ok/FAIL
	local name=$1; shift
	if "$@" >> "$OUT/checks.log" 2>&1; then log "ok   $name"; else log "FAIL $name"; fails=$((fails + 1)); fi
}
left() { echo $((BUDGET_S - SECONDS)); }
finish() { log "== $fails failed checks, ${SECONDS}s"; exit $((fails > 0)); }
: > "$sum"; : > "$OUT/ort.log"

log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader | tee -a "$sum"

# TensorRT's libraries, and ORT's provider where ORT looks for it.
if [ ! -f /tmp/trt/lib/libnvinfer.so.10 ] && ls /tmp/trt-parts/trt-sm90.part-* > /dev/null 2>&1; then
	log "reassembling /tmp/trt from $(ls /tmp/trt-parts | wc -l) parts"
	mkdir -p /tmp/trt && cat /tmp/trt-parts/trt-sm90.part-* | xz -d | tar x -C /tmp/trt
fi
check "TensorRT unpacked at /tmp/trt/lib" test -f /tmp/trt/lib/libnvinfer.so.10
[ -f /tmp/trt/lib/libnvinfer.so.10 ] || { log "no TensorRT: send the parts first"; finish; }
ln -sf /tmp/trt/lib/libonnxruntime_providers_tensorrt.so /tmp/ort/lib/libonnxruntime_providers_tensorrt.so
export LD_LIBRARY_PATH=/tmp/trt/lib:$LD_LIBRARY_PATH
check "ORT's provider bridge library beside libonnxruntime.so" test -f /tmp/ort/lib/libonnxruntime_providers_shared.so
log "ldd libonnxruntime_providers_tensorrt.so, not found: $(ldd /tmp/ort/lib/libonnxruntime_providers_tensorrt.so | grep -c 'not found')"
ldd /tmp/ort/lib/libonnxruntime_providers_tensorrt.so | grep 'not found' | tee -a "$sum"
log "libnvrtc.so.13 on the system: $(ldconfig -p | grep -c 'libnvrtc.so.13')"

"$gb" --version 2>&1 | head -n 3 | tee -a "$sum"
"$gb" devices > "$OUT/devices.txt" 2>&1
grep -E '^ +(ort|tensorrt) ' "$OUT/devices.txt" | tee -a "$sum"
check "devices shows the TensorRT version" grep -Eq '^ +tensorrt +available +TensorRT 10\.' "$OUT/devices.txt"

"$gb" convert torch2onnx --model resnet50 -o $MODEL >> "$OUT/checks.log" 2>&1
check "torch2onnx exported ResNet-50" test -s $MODEL
[ -s $MODEL ] || finish

# The open risk first: one engine at batch 1 (TensorRT may want
# libnvinfer_builder_resource_sm90.so, which the bundle lacks). Its engine
# is cached and reused by the campaign's ort/tensorrt fp32 batch 1 runs.
rm -rf $CACHE $TIMING
trt_opts=(--ep-option engine_cache=$CACHE --ep-option timing_cache=$TIMING)
GREENBENCH_ORT_LOG=$OUT/ort.log "$gb" run --model $MODEL --runtime ort --ep tensorrt "${trt_opts[@]}" \
	--batch 1 --warmup 5 --iterations 20 --min-duration 1s --json > /tmp/build1.json 2> "$OUT/build1.err"
rc=$?
# Keep what comes back small: the end of the log holds the build.
tail -c 4000000 "$OUT/ort.log" > /tmp/ort.log && cp /tmp/ort.log "$OUT/ort.log"
cat "$OUT/build1.err" >> "$sum"
python3 - /tmp/build1.json <<'PY' 2>&1 | tee -a "$sum"
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print('first build: no record:', e); sys.exit()
rt = r.get('environment', {}).get('runtime', {})
print('first build: status', r.get('status'), r.get('error', ''))
print('  tensorrt', rt.get('tensorrt_version'), 'engine', rt.get('engine'), 'in phase', rt.get('engine_phase'),
      'cache', rt.get('engine_cache'), 'prefix', rt.get('engine_cache_prefix'))
for p in r.get('phases', []):
    g = sum(v.get('joules', 0) for v in p.get('energy', {}).values() if v.get('kind') == 'gpu')
    print('  phase %-9s %8.2f s  gpu %8.1f J' % (p['name'], p.get('duration_s', 0), g))
print('  mJ/item', r.get('energy_per_item_mj'), 'items/s', r.get('throughput_items_per_s'))
print('  trt_options', rt.get('trt_options'))
PY
check "first TensorRT engine built (batch 1)" test $rc -eq 0
if [ $rc -ne 0 ]; then
	log "== TensorRT could not build: ORT/TensorRT errors (ort.log):"
	grep -E '^(E|F|W) ' "$OUT/ort.log" | grep -iE 'tensorrt|trt|builder|resource|nvinfer|cuda' | tail -n 20 | tee -a "$sum"
	grep -iE 'builder_resource|Unable to load library' "$OUT/ort.log" | tail -n 5 | tee -a "$sum"
	finish
fi
check "a fresh cache says built" grep -q '"engine":[[:space:]]*"built"' /tmp/build1.json
ls -la $CACHE | tee -a "$sum"

# Table 3 as a campaign. ort/cuda fp16 is not in it: the CUDA EP runs fp16
# only from an fp16 model, which greenbench cannot convert yet.
cat > /tmp/trt-table3.yaml <<YAML
name: trt-table3
seed: 11
reps: 2
warmup: 10
iterations: 20
min_duration: 5s
run_timeout: 4m
idle_baseline: {duration: 3s}
models:
  - file: $MODEL
    name: resnet50-torch2onnx
runtimes:
  - ort/cuda
  - runtime: ort
    ep: tensorrt
    options: {engine_cache: $CACHE, timing_cache: $TIMING}
    label: ort-trt-fp32
  - runtime: ort
    ep: tensorrt
    options: {fp16: 1, engine_cache: $CACHE, timing_cache: $TIMING}
    label: ort-trt-fp16
batches: [1, 64]
YAML
db=/tmp/trt-table3.db
rm -f $db*
if [ "$(left)" -gt 200 ]; then
	timeout $(( $(left) - 90 )) "$gb" campaign run /tmp/trt-table3.yaml --db $db 2> "$OUT/campaign.err"
	rc=$?
	tail -n 3 "$OUT/campaign.err" | tee -a "$sum"
	check "campaign exits 0" test $rc -eq 0
	"$gb" report --db $db > "$OUT/report.txt" 2>&1
	cat "$OUT/report.txt" >> "$sum"
	python3 - $db <<'PY' 2>&1 | tee -a "$sum"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print('%-16s %5s %3s %-6s %-7s %8s %9s %9s %10s' % ('config', 'batch', 'rep', 'status', 'engine', 'build s', 'build J', 'gpu mJ/it', 'items/s'))
for rep, status, rec in db.execute('SELECT rep, status, record_json FROM run ORDER BY seq'):
    r = json.loads(rec or '{}')
    cfg = r.get('config', {})
    rt = r.get('environment', {}).get('runtime', {})
    b = [p for p in r.get('phases', []) if p['name'] == 'build']
    bs = b[0].get('duration_s', 0) if b else 0
    bj = sum(v.get('joules', 0) for v in b[0].get('energy', {}).values() if v.get('kind') == 'gpu') if b else 0
    e = sum(v for k, v in (r.get('energy_per_item_mj') or {}).items() if k.startswith('gpu'))
    fp16 = (cfg.get('ep_options') or {}).get('fp16') == '1'
    name = cfg.get('ep', '?') + (' fp16' if fp16 else ' fp32')
    print('%-16s %5s %3s %-6s %-7s %8.1f %9.1f %9.2f %10.0f' % (name, cfg.get('batch'), rep, status,
          rt.get('engine', '-'), bs, bj, e, r.get('throughput_items_per_s') or 0))
n, = db.execute("SELECT count(*) FROM run WHERE status='ok'").fetchone()
print('ok runs', n, 'of 12')
PY
	check "12 ok runs in the campaign" python3 -c "
import sqlite3; n, = sqlite3.connect('$db').execute(\"SELECT count(*) FROM run WHERE status='ok'\").fetchone(); assert n == 12, n"
else
	log "skipped: the campaign (${SECONDS}s used of ${BUDGET_S}s)"
fi

# The greenest TensorRT configuration: fp16, large batches; then its
# outputs against fp32 CUDA on the same inputs.
: > "$OUT/green.txt"
best=
for b in 256 512 1024; do
	if [ "$(left)" -lt 60 ]; then log "skipped: greenest at batch $b and after (${SECONDS}s used)"; break; fi
	"$gb" run --model $MODEL --runtime ort --ep tensorrt --ep-option fp16=1 "${trt_opts[@]}" --batch $b \
		--warmup 5 --iterations 10 --min-duration 5s --json > /tmp/green-$b.json 2>> "$OUT/green.txt"
	python3 - /tmp/green-$b.json $b <<'PY' 2>&1 | tee -a "$OUT/green.txt" "$sum"
import json, sys
r = json.load(open(sys.argv[1]))
rt = r.get('environment', {}).get('runtime', {})
b = [p for p in r.get('phases', []) if p['name'] == 'build']
s = r.get('summary', {})
print('trt fp16 batch', sys.argv[2], r.get('status'), r.get('error', ''), 'engine', rt.get('engine'),
      'build %.1fs' % (b[0].get('duration_s', 0) if b else 0),
      'gpu mJ/item %.2f' % sum(v for k, v in (r.get('energy_per_item_mj') or {}).items() if k.startswith('gpu')),
      'items/s', r.get('throughput_items_per_s'), 'gpu util', s.get('gpu_util_mean_pct'), 'mem %', s.get('gpu_mem_pct'))
PY
	grep -q '"status":[[:space:]]*"ok"' /tmp/green-$b.json && best=$b
done
if [ -n "$best" ] && [ "$(left)" -gt 25 ]; then
	log "== compare trt fp16 vs cuda fp32, batch $best"
	"$gb" compare -b $best --batches 2 -- --model $MODEL --runtime ort --ep tensorrt --ep-option fp16=1 \
		"${trt_opts[@]}" -- --model $MODEL --runtime ort --ep cuda > /tmp/compare.txt 2>&1
	rc=$?
	tee -a "$OUT/green.txt" "$sum" < /tmp/compare.txt
	check "compare ran" test $rc -eq 0
else
	log "skipped: compare (no greenest run, or ${SECONDS}s used)"
fi
finish
