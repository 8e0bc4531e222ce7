#!/usr/bin/env bash
# Issue 16, "a task measures only the GPUs it was given", on the real GPU
# machine (one H200): the GPU lists a process is given, mapped to NVML
# devices, checked from the run records. About a minute.
#
#   bash bench/device/gpu_select.sh      (repository root, .device-cache carried)
#
#   1. CUDA_VISIBLE_DEVICES=0 and =GPU-<the card's UUID from nvidia-smi -L>
#      (and a short prefix of it): an ort/cuda run measures that card,
#      index and UUID in the record's environment, its counter > 0;
#   2. values that name no GPU here: a UUID no GPU has and "cuda:0" are
#      refused with the variable and the reason; an index past the last
#      ("1") measures no GPU and the record says why; campaign run
#      --gpus 0,1 is refused before anything is stored;
#   3. campaign run --gpus 0 of a tiny ort/cuda resnet50 campaign (with a
#      Slurm job's variables set, as a task would have them): the stored
#      record names the card (index, UUID), the list and its variable,
#      the CPU scope, the host, the job id and the node; the idle
#      baseline is the card's.
#
# Needs .device-cache/gb built from this branch (scripts/device-bundle.sh)
# and .device-cache/ort-gpu-sm90.tar.xz. Keeps summary.txt, checks.log,
# the records and the campaign's database in $OUT. Exits non-zero when a
# check fails. EP=cpu runs the same with ort/cpu, to try the script on a
# machine with the fake NVML (GREENBENCH_NVML_LIB, an nvidia-smi stand-in).
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
ep=${EP:-cuda}
unset CUDA_VISIBLE_DEVICES GREENBENCH_GPUS SLURM_STEP_GPUS SLURM_JOB_GPUS SLURM_JOB_ID

log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi -L | tee -a "$sum"
uuid=$(nvidia-smi -L | sed -n 's/^GPU 0: .*(UUID: \(GPU-[^)]*\)).*/\1/p')
log "card 0: $uuid"
check "nvidia-smi -L names card 0's UUID" test -n "$uuid"
"$gb" zoo export resnet50 -o /tmp/resnet50.onnx > /dev/null 2>> "$OUT/checks.log"
t0=$(date +%s.%N)
"$gb" devices --json > "$OUT/devices.json" 2>> "$OUT/checks.log"
log "devices --json: $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
check "devices --json: ort's $ep EP can run here (what the preflight reads)" python3 -c "
import json
rt = [r for r in json.load(open('$OUT/devices.json'))['runtimes'] if r['name'] == 'ort'][0]
ep = [e for e in rt['eps'] if e['name'] == '$ep'][0]
assert ep['available'], ep
"

# record FILE INDEX UUID LIST VAR: the record is ok and measured exactly the
# card INDEX/UUID, given LIST by VAR, with energy from its counter.
record() {
	python3 - "$@" <<'PY'
import json, sys
path, index, uuid, visible, var = sys.argv[1:6]
r = json.load(open(path))
assert r['status'] == 'ok', r.get('error')
e = r['environment']
assert [(g['index'], g['uuid']) for g in e['gpus']] == [(int(index), uuid)], e['gpus']
assert e['gpus_visible'] == visible and e['gpus_from'] == var, (e['gpus_visible'], e['gpus_from'])
m = [p for p in r['phases'] if p['name'] == 'measured'][0]
g = [(k, v) for k, v in m['energy'].items() if v.get('kind') == 'gpu']
assert len(g) == 1 and g[0][0] == 'gpu%s' % index, m['energy']
assert g[0][1]['method'] == 'counter' and g[0][1]['joules'] > 0, g
print(path, g[0][0], e['gpus'][0]['name'], 'J', round(g[0][1]['joules'], 2))
PY
}

run_on() { # run_on LIST NAME: an ort/$ep run given LIST in CUDA_VISIBLE_DEVICES
	CUDA_VISIBLE_DEVICES=$1 timeout 60 "$gb" run --model /tmp/resnet50.onnx --runtime ort --ep "$ep" --batch 8 \
		--warmup 2 --min-duration 2s --json > "$OUT/run-$2.json" 2> "$OUT/run-$2.err"
}

# 1. Index and UUID.
run_on 0 index
check "CUDA_VISIBLE_DEVICES=0: the record measured card 0 ($uuid)" \
	record "$OUT/run-index.json" 0 "$uuid" 0 CUDA_VISIBLE_DEVICES
run_on "$uuid" uuid
check "CUDA_VISIBLE_DEVICES=$uuid: the record measured that card" \
	record "$OUT/run-uuid.json" 0 "$uuid" "$uuid" CUDA_VISIBLE_DEVICES
prefix=${uuid:0:12}
CUDA_VISIBLE_DEVICES=$prefix timeout 30 "$gb" measure --json -- sleep 1 > "$OUT/measure-prefix.json" 2>> "$OUT/checks.log"
check "CUDA_VISIBLE_DEVICES=$prefix (a prefix): measure has gpu0's counter" python3 -c "
import json
e = json.load(open('$OUT/measure-prefix.json'))['energy']
assert e['gpu0']['method'] == 'counter' and e['gpu0']['joules'] > 0, e
"

# 2. Values that name no GPU here.
bad=GPU-00000000-0000-0000-0000-000000000000
CUDA_VISIBLE_DEVICES=$bad timeout 30 "$gb" run --model /tmp/resnet50.onnx --ep "$ep" --json > /dev/null 2> "$OUT/run-bad.err"
rc=$?
log "CUDA_VISIBLE_DEVICES=$bad: exit $rc, $(tail -n 1 "$OUT/run-bad.err")"
check "a UUID no GPU has: exit 1, the variable and the reason" test $rc -eq 1 -a \
	"$(tail -n 1 "$OUT/run-bad.err")" = "error: cannot measure the GPUs CUDA_VISIBLE_DEVICES='$bad': no GPU has the UUID '$bad'"
CUDA_VISIBLE_DEVICES=cuda:0 timeout 30 "$gb" run --model /tmp/resnet50.onnx --ep "$ep" --json > /dev/null 2> "$OUT/run-malformed.err"
rc=$?
log "CUDA_VISIBLE_DEVICES=cuda:0: exit $rc, $(tail -n 1 "$OUT/run-malformed.err")"
check "cuda:0 (no GPU list): exit 1, expected an index or a UUID" eval \
	"test $rc -eq 1 && grep -q \"expected an index or a UUID\" '$OUT/run-malformed.err'"
CUDA_VISIBLE_DEVICES=1 timeout 30 "$gb" run --model /tmp/resnet50.onnx --ep cpu --batch 1 --warmup 1 \
	--min-duration 0.2s --json > "$OUT/run-none.json" 2>> "$OUT/checks.log"
check "CUDA_VISIBLE_DEVICES=1 (past the last): no GPU measured, and why" python3 -c "
import json
r = json.load(open('$OUT/run-none.json'))
assert r['status'] == 'ok' and r['environment']['gpus'] == [], r['environment']
assert 'no GPU is visible' in r['unavailable']['gpus'], r['unavailable']
"

# 3. campaign run --gpus 0, as a Slurm task with one GPU would be pinned.
cat > /tmp/gpu-select.yaml <<YAML
name: gpu-select
reps: 1
warmup: 2
min_duration: 2s
idle_baseline: 2s
models: [resnet50]
runtimes: [ort/$ep]
batches: [8]
YAML
db=$OUT/gpu-select.db
rm -f "$db"*
timeout 60 "$gb" campaign run /tmp/gpu-select.yaml --db "$db" --gpus 0,1 > /dev/null 2> "$OUT/campaign-bad.err"
rc=$?
log "campaign run --gpus 0,1: exit $rc, $(tail -n 1 "$OUT/campaign-bad.err")"
check "campaign run --gpus 0,1 on one GPU is refused, nothing stored" eval \
	"test $rc -eq 1 && grep -q \"GPU '1' is not one of this host's 1 GPU\" '$OUT/campaign-bad.err' &&
	 python3 -c \"import sqlite3; assert sqlite3.connect('$db').execute('SELECT count(*) FROM campaign').fetchone()[0] == 0\""
rm -f "$db"*
SLURM_JOB_ID=4711 SLURMD_NODENAME=$(hostname) timeout 90 "$gb" campaign run /tmp/gpu-select.yaml --db "$db" \
	--gpus 0 > "$OUT/campaign.out" 2> "$OUT/campaign.err"
rc=$?
log "campaign run --gpus 0: exit $rc, $(tail -n 1 "$OUT/campaign.err")"
check "campaign run --gpus 0 exits 0 (4: a verdict; see campaign.err)" test $rc -eq 0 -o $rc -eq 4
check "the stored record names the card, the list, the host, the job and the node" python3 - "$db" "$uuid" <<'PY'
import json, socket, sqlite3, sys
db, uuid = sys.argv[1:3]
h = sqlite3.connect(db)
rows = h.execute("SELECT status, record_json FROM run").fetchall()
assert len(rows) == 1 and rows[0][0] == 'ok', rows
r = json.loads(rows[0][1])
e = r['environment']
assert [(g['index'], g['uuid']) for g in e['gpus']] == [(0, uuid)], e['gpus']
assert e['gpus_visible'] == '0' and e['gpus_from'] == 'GREENBENCH_GPUS', e
assert e['cpu_energy_scope'] == 'node' and e['cpu_own_tree'] == 'run', e
assert e['host'] and e['cluster']['job_id'] == '4711' and e['cluster']['node'] == socket.gethostname(), e
doms = [d for (d,) in h.execute("SELECT DISTINCT domain FROM idle")]
assert 'gpu0' in doms, doms
print('record', e['gpus'][0], e['cluster'], 'idle domains', doms)
PY
python3 -c "
import json, sqlite3
r = json.loads(sqlite3.connect('$db').execute('SELECT record_json FROM run').fetchone()[0])
json.dump(r, open('$OUT/campaign-record.json', 'w'), indent=1)
" 2>> "$OUT/checks.log"
log "== $fails failed checks"
exit $((fails > 0))
