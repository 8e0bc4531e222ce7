#!/usr/bin/env bash
# greenbench beside Zeus, CodeCarbon, nvidia-smi (the study's method) and
# optimum-benchmark on the GPU machine (issue 18). About 6 minutes.
#
#   bash bench/device/peers.sh        (repository root there, .device-cache carried)
#
# Needs greenbench (.device-cache/gb or gb.tar.xz, see env.sh) and the
# wheels the machine lacks in .device-cache/peers (made here by
# bench/device/peers-wheels.sh). They are installed into /tmp/peers behind
# the machine's own site-packages (a .pth file), so its torch, numpy and
# transformers stay the ones that run. Steps:
#  1. peers.py drive: each tool alone around the same fixed work in one
#     loaded process (matmul 6 s, ResNet-50 and BERT-base at batch 1 and 64,
#     matmul 1 s and 0.2 s), 2 reps, against the NVML counter read at the
#     window's edges and nvidia-smi sampled every 10 ms;
#  2. greenbench run (torch worker, same models and batches, fp32 eager);
#  3. optimum-benchmark's inference scenario with energy (BERT-base), if it
#     installs.
# Keeps in $OUT: summary.txt, peers.md, peers.json, gbrun.jsonl, ob.json,
# peers.log. Exits non-zero when a step that must work fails.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
export COUNTRY_ISO_CODE=USA HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

log "== $(date -u +%FT%TZ) $(hostname) peers"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader | tee -a "$sum"
if [ -d .device-cache/peers ]; then
	site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
	missing=$(python3 - .device-cache/peers .device-cache/peers-pyarrow <<'PY'
import os, sys
from importlib import metadata
for d in sys.argv[1:]:
    for w in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        name = w.split("-")[0].replace("_", "-").lower()
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            print(os.path.join(d, w))
PY
)
	log "installing $(echo "$missing" | grep -c whl) wheels the machine lacks"
	[ -n "$missing" ] && python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
		--target /tmp/peers $missing >> "$OUT/peers.log" 2>&1
	echo /tmp/peers > "$site/zz-greenbench-peers.pth"
fi
python3 -c 'import zeus, codecarbon; print("zeus", zeus.__version__, "codecarbon", codecarbon.__version__)' 2>&1 |
	tail -1 | tee -a "$sum"

check "peers.py drive" timeout 480 python3 bench/device/peers.py drive --out "$OUT" --gb "$gb" \
	2>> "$OUT/peers.log"
rm -f "$OUT/smi.csv.gz"; gzip -f "$OUT/smi.csv" 2>/dev/null
[ -f "$OUT/peers.md" ] && cat "$OUT/peers.md" >> "$sum"

# greenbench run on the same models and batches: its own worker process,
# the same fixed work (batches) as a 2.5 s window.
: > "$OUT/gbrun.jsonl"
for spec in "resnet50 1" "resnet50 64" "bert-base 1" "bert-base 64"; do
	set -- $spec
	"$gb" run --runtime torch --ep cuda --model "$1" --batch "$2" --dim seq=128 \
		--warmup 2s --min-duration 2.5s --json >> "$OUT/gbrun.jsonl" 2>> "$OUT/peers.log" ||
		log "greenbench run $1 b$2 failed"
done
python3 - "$OUT/gbrun.jsonl" <<'PY' | tee -a "$sum"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    c, m = r["config"], [p for p in r["phases"] if p["name"] == "measured"]
    print("greenbench run", c["model"], "b%d" % c["batch"], r["status"], "mJ/item", json.dumps(r.get("energy_per_item_mj")),
          "items/s %.1f" % (r.get("throughput_items_per_s") or 0), "measured %.2f s" % (m[0]["duration_s"] if m else 0))
PY

check "optimum-benchmark step ran (its outcome is in ob.json)" timeout 240 python3 bench/device/peers.py ob "$OUT/ob.json"
python3 -c "
import json; r = json.load(open('$OUT/ob.json'))
print('optimum-benchmark', r.get('version'), r.get('error', ''))
for x in r.get('runs', []):
    f = x.get('report', {}).get('forward', {})
    print('  b%d' % x['batch'], x.get('error') or json.dumps({'energy': f.get('energy'), 'efficiency': f.get('efficiency'), 'throughput': f.get('throughput')}))
" 2>&1 | tee -a "$sum"
log "peers: $fails failed"
exit $((fails > 0))
