#!/usr/bin/env bash
# Issue 12 on the GPU machine, in one device call of about 8.5 minutes:
# `greenbench advise` for ResNet-50 (budget 4 min), MobileNetV2 (2 min) and
# BERT-base at seq 128 (2.5 min), each with `--ep cuda --runtimes ort,torch`.
#
#   bash bench/device/advise_gpu.sh [MODEL ...]   (repository root there,
#                                                  .device-cache carried)
#
# MODEL: resnet50, mobilenetv2, bert-base (default: all three). Budgets:
# BUDGET_resnet50=240 BUDGET_mobilenetv2=120 BUDGET_bert_base=150 (seconds).
# TOTAL (570 s) bounds the whole call: a model whose budget no longer fits
# in what is left, less what the models after it need, gets a smaller one
# (or is skipped, under 30 s), so the call ends inside the device's 10
# minutes. A model that fails, crashes or overruns does not stop the
# others: each advise runs under `timeout -s INT` (budget + a tenth, the
# most a worker's request may run past screening, + 20 s; the
# advisor stores what finished and exits 130); one that did not finish is
# resumed with the time its budget has left, or, without time, with
# --screen-only, which prints the answer of what is stored.
# HAND=1 (default: when at least 60 s are left at the end) also runs issue
# 12's hand-tuned best for ResNet-50 (torch fp16 + channels_last +
# torch.compile, inputs on the GPU, batch 256: 27.7 GPU mJ/image on
# 2026-12-01); bench/device/hand_tuned.sh runs it for every model.
#
# Keeps in $OUT (six files, the device returns at most eight):
#   summary.txt        the machine, each model's answer line, the advisor's
#                      own cost (time and energy outside measured phases),
#                      the figures against issue 12's hand-tuned ones
#   advise-MODEL.log   per model: the progress (stderr) then the answer table
#                      of each call (and of a resume)
#   advise.json        {model: the stored answer (advise --json's object)}
#   advise.db          the results database: advices, screenings, rounds as
#                      campaigns with every run's record
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
db=$OUT/advise.db
T0=$(date +%s)
TOTAL=${TOTAL:-570}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(resnet50 mobilenetv2 bert-base)
budget_of() { local v="BUDGET_${1//-/_}"; case $1 in resnet50) echo "${!v:-240}" ;; mobilenetv2) echo "${!v:-120}" ;; *) echo "${!v:-150}" ;; esac; }
elapsed() { echo $(($(date +%s) - T0)); }
tmp=$(mktemp -d)

log "== $(date -u +%FT%TZ) $(hostname), total ${TOTAL}s"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader 2>&1 | tee -a "$sum"
"$gb" --version 2>&1 | tee -a "$sum"
"$gb" devices 2>&1 | grep -E "^ *(ort|torch|ort-python)|gpu|GPU" | head -n 12 >> "$sum"

# Every advise: the same options, so a resume finds its advice (the key
# is made of them; --screen-only is not part of it).
run_advise() { # MODEL BUDGET_S CAP_S EXTRA...
	local m=$1 b=$2 cap=$3 dims=()
	shift 3
	[ "$m" = bert-base ] && dims=(--dim seq=128)
	local args=(advise --model "$m" "${dims[@]}" --runtimes "${RUNTIMES:-ort,torch}" --ep "${EP:-cuda}"
		    --budget "${b}s" --db "$db" --screen 800ms --measure 3s --reps 2 --rounds 1 --finalists 2
		    --run-timeout 60s --baseline "${BASELINE:-ort/cuda io=device batch=64}" "$@")
	echo "--- $(date -u +%T) greenbench ${args[*]} (cap ${cap}s)" >> "$OUT/advise-$m.log"
	timeout -s INT -k 15 "$cap" "$gb" "${args[@]}" > "$tmp/$m.out" 2>> "$OUT/advise-$m.log"
	local rc=$?
	cat "$tmp/$m.out" >> "$OUT/advise-$m.log"
	return $rc
}

cap_of() { echo $(($1 + $1 / 10 + 20)); }	# see the header
later_need() { # seconds the models after index $1 need (their caps)
	local n=0 j
	for ((j = $1 + 1; j < ${#models[@]}; j++)); do n=$((n + $(cap_of "$(budget_of "${models[j]}")"))); done
	echo $n
}

for i in "${!models[@]}"; do
	m=${models[i]}
	b=$(budget_of "$m")
	room=$((TOTAL - $(elapsed) - $(later_need "$i") - 20))
	[ "$b" -gt "$room" ] && b=$room
	: > "$OUT/advise-$m.log"
	if [ "$b" -lt 30 ]; then
		log "== advise $m: skipped, ${room}s left for it"
		continue
	fi
	log "== advise $m: budget ${b}s at +$(elapsed)s"
	t_model=$(date +%s)
	run_advise "$m" "$b" "$(cap_of "$b")"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		# interrupted (124/130) or crashed (139): go on with what is stored
		left=$(($(cap_of "$b") - ($(date +%s) - t_model)))
		if [ $rc -ne 124 ] && [ $rc -ne 130 ] && [ $left -gt 30 ]; then
			log "advise $m: exit $rc; resuming with its budget's time left"
			run_advise "$m" "$b" "$left" --resume
			rc=$?
		fi
		if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
			log "advise $m: exit $rc; the stored answer (--resume --screen-only)"
			run_advise "$m" "$b" 40 --resume --screen-only
			rc=$?
		fi
	fi
	log "advise $m: exit $rc after $(($(date +%s) - t_model))s"
	grep -E "^recommended:|^  greenbench run|^time:|^  screening|^energy:" "$tmp/$m.out" | tee -a "$sum"
done

# The stored answers, one object per model (the newest finished advice).
python3 - "$db" "$OUT/advise.json" "${models[@]}" <<'PY'
import json, sqlite3, sys
out = {}
try:
    db = sqlite3.connect(sys.argv[1])
    for m in sys.argv[3:]:
        row = db.execute("SELECT answer_json FROM advice WHERE model = ? AND answer_json IS NOT NULL"
                         " ORDER BY id DESC LIMIT 1", (m,)).fetchone()
        out[m] = json.loads(row[0]) if row else None
except Exception as e:
    out["error"] = str(e)
json.dump(out, open(sys.argv[2], "w"), indent=1)
PY

# Issue 12's hand-tuned best, measured in this session when time is left.
hand=${HAND:-auto}
if [ "$hand" = 1 ] || { [ "$hand" = auto ] && [ $((TOTAL - $(elapsed))) -ge 60 ]; }; then
	log "== hand-tuned resnet50 torch fp16 + channels_last + compile, batch 256 at +$(elapsed)s"
	timeout -k 5 50 "$gb" run --model resnet50 --runtime torch --ep cuda --ep-option dtype=fp16 \
		--ep-option channels_last=1 --ep-option compile=default --io device --batch 256 --min-duration 5s --json \
		> "$tmp/hand.json" 2>> "$OUT/advise-resnet50.log"
	echo "hand rc $?" >> "$sum"
fi

python3 - "$OUT/advise.json" "$tmp/hand.json" <<'PY' | tee -a "$sum"
import json, sys
ans = json.load(open(sys.argv[1]))
# issue 12 (2026-12-01, H200): GPU mJ per item, by hand; None: not measured
HAND = {"resnet50": 27.7, "mobilenetv2": None, "bert-base": None}
try:
    r = json.load(open(sys.argv[2]))
    m = [p for p in r["phases"] if p["name"] == "measured"][0]
    g = sum(v["joules"] for v in m["energy"].values() if v.get("kind") == "gpu")
    print("hand-tuned resnet50 today: %.1f GPU mJ/image, %.0f images/s" % (1e3 * g / m["items"],
          r.get("throughput_items_per_s", 0)))
except Exception as e:
    print("hand-tuned resnet50 today: not run (%s)" % e)
fmt = lambda v, f="%.4g": "n/a" if v is None else f % v
for model, a in ans.items():
    if not isinstance(a, dict):
        print("%-12s no stored answer" % model)
        continue
    cands = a.get("candidates", [])
    w = next((c for c in cands if c["label"] == a.get("winner") and not c["baseline"]), None)
    print("%-12s winner %s batch %s: %s mJ/item of which GPU %s (%s), screening %s mJ/item of which GPU %s;"
          " hand-tuned GPU %s" % (
        model, a.get("winner"), a.get("winner_batch"),
        fmt(w and w.get("energy_per_item_mj")), fmt(w and w.get("gpu_energy_per_item_mj")),
        "measured runs" if w and w.get("energy_per_item_mj") else "not measured",
        fmt(w and w.get("screen_energy_per_item_mj")), fmt(w and w.get("screen_gpu_energy_per_item_mj")),
        fmt(HAND.get(model), "%.1f")))
    ok = [c for c in cands if c["status"] == "ok" and not c["baseline"]]
    for rt in ("torch", "ort"):
        best = min((c for c in ok if c["runtime"] == rt), default=None,
                   key=lambda c: c.get("screen_energy_per_item_mj") or 1e30)
        if best:
            print("%-12s   best %-5s %s batch %d: screening %s mJ/item, GPU %s" % (model, rt, best["label"],
                  best["batch"], fmt(best.get("screen_energy_per_item_mj")), fmt(best.get("screen_gpu_energy_per_item_mj"))))
    print("%-12s   %d screened, %d not screened (budget), %d on a reused session; compile reached: %s" % (
        model, sum(c["status"] != "pending" for c in cands), sum(c["status"] == "pending" for c in cands),
        a.get("reused_sessions", 0), any("compile=" in c["label"] and c["status"] != "pending" for c in cands)))
    print("%-12s   time %.0f s: %.0f%% measured; screening %.0f s (%.0f s windows), runs %.0f s (%.0f s measured);"
          " overhead %.0f s" % (model, a["wall_s"], 100 * (a.get("measured_share") or 0), a.get("screen_s", 0),
          a.get("screen_measured_s", 0), a.get("runs_s", 0), a.get("runs_measured_s", 0), a.get("overhead_s", 0)))
    print("%-12s   energy: screening %s J (%s J in windows, %s J overhead), runs' measured phases %s J" % (
        model, fmt(a.get("screen_energy_j"), "%.0f"), fmt(a.get("screen_window_energy_j"), "%.0f"),
        fmt(a.get("screen_overhead_energy_j"), "%.0f"), fmt(a.get("runs_energy_j"), "%.0f")))
PY
log "== done $(date -u +%FT%TZ) after $(elapsed)s"
rm -rf "$tmp"
