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
run=$(pgrep -P $camp | head -1)
log "torch worker $w (CPU $(ps -o %cpu= -p "$w" 2>/dev/null)%), its run $run"
# Ctrl-C as a terminal sends it, to the campaign; the timeline says when
# each process had its last thread, its memory (the GPU's mappings), its
# end (zombie), its reap, and when the GPU stopped listing it.
python3 bench/device/exit_timeline.py INT $camp campaign=$camp run=$run worker=$w \
	--json "$OUT/int-timeline.json" | tee -a "$sum"
wait $camp; rc=$?
log "campaign exit $rc after SIGINT"
check "campaign exits 130 on Ctrl-C" test $rc -eq 130
check "the torch worker has ended (zombie or gone) within 1 s of Ctrl-C" python3 -c "
import json
e = json.load(open('$OUT/int-timeline.json'))['events']['worker']
assert e.get('zombie', 99) <= 1.0, e
"

# 4. The floor: a bare PyTorch process computing the same (ResNet-50,
#    batch 64, CUDA), SIGKILLed directly, no greenbench between.
python3 -c "
import torch, torchvision
m = torchvision.models.resnet50().cuda().eval()
x = torch.randn(64, 3, 224, 224, device='cuda')
print('ready', flush=True)
with torch.inference_mode():
    while True:
        m(x); torch.cuda.synchronize()
" > /tmp/bare.out 2>&1 &
bare=$!
for i in $(seq 1 240); do grep -q ready /tmp/bare.out && break; sleep 0.25; done
sleep 3	# computing for a while, as the worker was
python3 bench/device/exit_timeline.py KILL $bare bare=$bare --json "$OUT/bare-timeline.json" | tee -a "$sum"
wait $bare 2>/dev/null
log "== $fails failed checks"
exit $((fails > 0))
