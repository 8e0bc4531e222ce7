#!/usr/bin/env bash
# Issue 12's target as the issue states it: `greenbench advise` with its
# default budget (20 minutes), which one device call (10 minutes) cannot
# hold. Each call advises for up to CALL seconds (default 540), is stopped
# with SIGINT (the advisor stores what finished and exits 130), and brings
# the database back; the next call, given that database, resumes the same
# advice (`--resume`, same options: its spent time is kept, so the budget
# is the whole advice's, not the call's). Three calls finish a 20-minute
# advice.
#
#   bash bench/device/advise_long.sh MODEL      (repository root there)
#
# MODEL: resnet50, mobilenetv2 or bert-base (seq 128). BUDGET (default
# 20m), RUNTIMES (ort,torch), EP (cuda). Carry .device-cache/gb.tar.xz,
# .device-cache/ort-gpu-sm90.tar.xz and, from the second call on,
# .device-cache/advise-long.db (the file the previous call left in $OUT).
# When the advice finished in this call, the printed command is run
# FOLLOW times (default 2; 10 s measured each), and MODEL's hand-tuned
# best (bench/device/hand_tuned.sh's recipe) once, so the answer is checked
# against its own command and against the same hour's hand tuning.
# Keeps in $OUT: advise-long.db, advise-long.log (progress, then the
# answer when the advice finished), hand.jsonl (the follow-up records),
# summary.txt.
set -uo pipefail
. bench/device/env.sh
m=${1:?usage: advise_long.sh MODEL}
db=/tmp/advise-long.db
[ -f .device-cache/advise-long.db ] && cp .device-cache/advise-long.db "$db"
dims=()
[ "$m" = bert-base ] && dims=(--dim seq=128)
log "== $(date -u +%FT%TZ) $(hostname): advise $m, budget ${BUDGET:-20m}, this call ${CALL:-540}s"
"$GREENBENCH" --version | head -n 1 | tee -a "$sum"
timeout -s INT -k 20 "${CALL:-540}" "$GREENBENCH" advise --model "$m" "${dims[@]}" \
	--runtimes "${RUNTIMES:-ort,torch}" --ep "${EP:-cuda}" --budget "${BUDGET:-20m}" --db "$db" \
	--baseline "ort/cuda io=device batch=64" --resume > "$OUT/advise-long.log" 2>&1
rc=$?
log "advise exit $rc ($( [ $rc -eq 124 ] && echo "stopped for this call: resume in the next" || echo finished))"
grep -E "^recommended:|^  greenbench run|^time:|^energy:" "$OUT/advise-long.log" | tee -a "$sum"
cp "$db" "$OUT/advise-long.db"
[ $rc -eq 0 ] || exit $rc

# The answer's command, as printed: the proof that it reproduces.
read -r -a cmd <<< "$(grep -m1 -A1 '^recommended:' "$OUT/advise-long.log" | sed -n '2s/^ *greenbench run //p')"
: > "$OUT/hand.jsonl"
if [ ${#cmd[@]} -gt 0 ]; then
	for i in $(seq 1 "${FOLLOW:-2}"); do MIN=10s hand "recommended-$i" "${cmd[@]}"; done
fi
T="--runtime torch --ep cuda --io device --batch 256"
case $m in
resnet50)
	hand "$m-hand" --model "$m" $T --ep-option dtype=fp16 --ep-option channels_last=1 --ep-option compile=default ;;
mobilenetv2)	# bf16: fp16 flushes this random-weight model's 1e-9 scores to 0
	hand "$m-hand" --model "$m" $T --ep-option dtype=bf16 --ep-option channels_last=1 --ep-option compile=default \
		--ep-option cuda_graphs=1 ;;
bert-base)
	hand "$m-hand" --model bert-base --dim seq=128 $T --ep-option dtype=bf16 --ep-option compile=default \
		--ep-option cuda_graphs=1 ;;
esac
