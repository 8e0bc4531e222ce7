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
# Keeps in $OUT: advise-long.db, advise-long.log (progress, then the
# answer when the advice finished), summary.txt.
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
