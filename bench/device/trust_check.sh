#!/usr/bin/env bash
# Issue 13 ("Results that can be trusted") on the GPU machine: the
# verdict's checks on a real GPU (NVML counter against integrated instant
# power, counter updates, NVML's running-process lists), a foreign GPU
# process beside a run, and Ctrl-C of a campaign ending its torch worker
# within a second. About 3 minutes.
#
#   bash bench/device/trust_check.sh     (repository root, .device-cache carried)
#
# Needs .device-cache/gb (scripts/device-bundle.sh) and
# .device-cache/ort-gpu-sm90.tar.xz. Keeps summary.txt and the records in
# $OUT. Exits non-zero when a check fails.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
log "== $(date -u +%FT%TZ) $(hostname) $(nproc) CPUs"
nvidia-smi --query-gpu=name,driver_version,power.draw --format=csv,noheader | tee -a "$sum"
"$gb" zoo export resnet50 -o /tmp/resnet50.onnx > /dev/null

verdict() { # verdict FILE: print the status and checks
	python3 -c "
import json, sys
r = json.load(open('$1'))
v = r.get('verdict', {})
print('status', v.get('status'), 'checks', json.dumps(v.get('checks')), 'reasons', [x['code'] for x in v.get('reasons', [])])
"
}

# 1. A quiet run on each runtime: the counter and integrated power agree,
#    enough counter updates, no foreign GPU process (the worker is ours).
for spec in "ort cuda /tmp/resnet50.onnx" "torch cuda resnet50"; do
	set -- $spec
	"$gb" run --model "$3" --runtime "$1" --ep "$2" --batch 64 --min-duration 4s --json \
		> "$OUT/run-$1.json" 2> "$OUT/run-$1.err"
	log "run $1/$2: $(verdict "$OUT/run-$1.json")"
	check "$1: counter vs power within 3%, >= 10 updates, 0 foreign GPU processes" python3 -c "
import json
c = json.load(open('$OUT/run-$1.json'))['verdict']['checks']
assert c['counter_vs_power'] < 3, c
assert c['counter_updates'] >= 10, c
assert c['foreign_gpu_processes'] == 0, c
"
done

# 2. Another process on the GPU during a run: suspect, foreign_gpu_processes.
"$gb" run --model /tmp/resnet50.onnx --runtime ort --ep cuda --batch 64 --min-duration 25s --json \
	> /tmp/other.json 2>/dev/null &
other=$!
sleep 8	# until it holds its CUDA context (the scripted condition, not a sync)
"$gb" run --model /tmp/resnet50.onnx --runtime ort --ep cuda --batch 8 --min-duration 3s --json \
	> "$OUT/run-beside.json" 2> "$OUT/run-beside.err"
log "run beside another: $(verdict "$OUT/run-beside.json")"
check "a run beside another GPU process is marked foreign_gpu_processes" python3 -c "
import json
v = json.load(open('$OUT/run-beside.json'))['verdict']
assert v['checks']['foreign_gpu_processes'] >= 1, v
assert 'foreign_gpu_processes' in [x['code'] for x in v['reasons']], v
"
kill $other 2>/dev/null; wait $other 2>/dev/null

# 3. Ctrl-C of a campaign while its torch worker computes: the worker ends
#    within a second.
cat > /tmp/int.yaml <<'YAML'
name: int
reps: 1
min_duration: 60s
models: [resnet50]
runtimes: [torch/cuda]
batches: [64]
YAML
rm -f /tmp/int.db*
"$gb" campaign run /tmp/int.yaml --db /tmp/int.db > "$OUT/int.err" 2>&1 &
camp=$!
for i in $(seq 1 120); do pgrep -f torch_worker.py > /dev/null && break; sleep 0.5; done
sleep 10	# into the measured phase
w=$(pgrep -f torch_worker.py | head -1)
log "torch worker $w, CPU $(ps -o %cpu= -p "$w" 2>/dev/null)"
t0=$(date +%s.%N)
kill -INT $camp
gone=
for i in $(seq 1 300); do
	if ! kill -0 "$w" 2>/dev/null; then gone=$(python3 -c "import time; print(round(time.time() - $t0, 3))"); break; fi
	sleep 0.01
done
wait $camp; rc=$?
log "campaign exit $rc after SIGINT; worker gone after ${gone:-more than 3} s"
check "campaign exits 130 on Ctrl-C" test $rc -eq 130
check "the torch worker ends within 1 s of Ctrl-C" python3 -c "assert '${gone}' and float('${gone}') <= 1.0"
log "== $fails failed checks"
exit $((fails > 0))
