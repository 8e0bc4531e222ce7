#!/usr/bin/env bash
# Issue 15 ("Seams before growth") on the GPU machine: the moved campaign
# engine, the one launcher, the run-record module and the runtime rows,
# driven for real on the GPU. About 4 minutes.
#
#   bash bench/device/seams_check.sh        (from the repository root there,
#                                            with .device-cache carried)
#
# Needs .device-cache/gb (scripts/device-bundle.sh) and
# .device-cache/ort-gpu-sm90.tar.xz (../shared/device/ort-gpu-bundle.sh).
# Keeps in $OUT: summary.txt (printed too), devices.txt, the campaign's
# stderr, the report as text, JSON and HTML, and the run records.
# Exits non-zero when a check fails.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH

log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader | tee -a "$sum"
"$gb" --version 2>&1 | tee -a "$sum"
"$gb" devices > "$OUT/devices.txt" 2>&1
cat "$OUT/devices.txt" >> "$sum"
check "devices lists an NVML GPU domain" grep -Eq 'gpu0 .*counter' "$OUT/devices.txt"
check "devices lists ort available" grep -Eq '^ +ort +available' "$OUT/devices.txt"
check "devices lists torch available" grep -Eq '^ +torch +available' "$OUT/devices.txt"

# One record of each runtime, straight from `run --json`.
"$gb" zoo export resnet50 -o /tmp/resnet50.onnx > /dev/null
for spec in "ort cuda" "torch cuda"; do
	set -- $spec
	m=/tmp/resnet50.onnx; [ "$1" = torch ] && m=resnet50
	"$gb" run --model "$m" --runtime "$1" --ep "$2" --batch 64 --min-duration 3s --json \
		> "$OUT/run-$1.json" 2> "$OUT/run-$1.err"
	check "run $1/$2 b64 ok" python3 -c "
import json, sys
r = json.load(open('$OUT/run-$1.json'))
assert r['status'] == 'ok', r.get('error')
m = [p for p in r['phases'] if p['name'] == 'measured'][0]
g = [v for k, v in m['energy'].items() if v.get('kind') == 'gpu']
assert g and g[0]['method'] == 'counter' and g[0]['joules'] > 0, m['energy']
print('$1', 'items', m['items'], 'gpu J', g[0]['joules'], 'mJ/item', r.get('energy_per_item_mj'))
"
done

# The engine: a small campaign with an idle baseline and cooldown until
# idle, both runtimes, two batches, two repetitions.
cat > /tmp/seams.yaml <<'YAML'
name: seams-gpu
seed: 15
reps: 2
warmup: 5
min_duration: 3s
cooldown: {until: idle, margin_pct: 15, timeout: 20s}
idle_baseline: {duration: 3s}
models: [resnet50]
runtimes: [ort/cuda, torch/cuda]
batches: [1, 64]
YAML
db=/tmp/seams.db
rm -f $db*
"$gb" campaign run /tmp/seams.yaml --db $db 2> "$OUT/campaign.err"
rc=$?
tail -n 3 "$OUT/campaign.err" | tee -a "$sum"
check "campaign exits 0" test $rc -eq 0
"$gb" report --db $db > "$OUT/report.txt" 2>&1
"$gb" report --db $db --format json -o "$OUT/report.json"
"$gb" report --db $db --format html -o "$OUT/report.html"
cat "$OUT/report.txt" >> "$sum"
check "8 ok runs stored, GPU energy from the counter" python3 -c "
import sqlite3
db = sqlite3.connect('$db')
n, = db.execute(\"SELECT count(*) FROM run WHERE status='ok' AND gpu_energy_method='counter' AND gpu_energy_j > 0\").fetchone()
v, = db.execute('PRAGMA user_version').fetchone()
print('ok runs with counter energy', n, 'schema version', v)
assert n == 8
"
python3 -c "
import sqlite3
db = sqlite3.connect('$db')
for r in db.execute('SELECT seq, config_idx, rep, status, round(energy_per_item_mj,2), round(throughput_items_per_s), gpu_energy_method, cpu_energy_method FROM run ORDER BY seq'):
    print(r)
" | tee -a "$sum"
log "== $fails failed checks"
exit $((fails > 0))
