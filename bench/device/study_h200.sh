#!/usr/bin/env bash
# The study replicated on the GPU machine (issue 18): examples/study-h200.yaml
# as a campaign, resumable across calls: the database comes back in $OUT
# and is carried into the next call as .device-cache/study/study.db.
#
#   STUDY_LIMIT_S=540 bash bench/device/study_h200.sh
#
# Stops the campaign with SIGINT after STUDY_LIMIT_S seconds (the campaign
# keeps every finished run; --resume goes on from there), then writes the
# report of what is there. Needs greenbench (env.sh), ORT's CUDA provider
# (carried or in /tmp/ort from an earlier call) and the Keras wheels
# (.device-cache/whl, or /tmp/site from an earlier call). Keeps in $OUT:
# summary.txt, study.db, campaign.log, report.md, report.html, report.json.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
limit=${STUDY_LIMIT_S:-540}

keras_setup || exit 1

log "== $(date -u +%FT%TZ) $(hostname) study, limit ${limit}s"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader | tee -a "$sum"
db=$OUT/study.db
resume=
if [ -f .device-cache/study/study.db ]; then
	cp .device-cache/study/study.db "$db"
	resume=--resume
fi
timeout -s INT -k 20 "$limit" "$gb" campaign run examples/study-h200.yaml --db "$db" $resume \
	> "$OUT/campaign.log" 2>&1
rc=$?
log "campaign exit $rc (124: stopped at the limit; resume in the next call)"
grep -E "^\[ *[0-9]+/" "$OUT/campaign.log" | tail -3 | tee -a "$sum"
grep -c " ok |" "$OUT/campaign.log" | sed 's/^/runs ok in this call: /' | tee -a "$sum"
grep -E "FAILED|warning" "$OUT/campaign.log" | head -5 | tee -a "$sum"
"$gb" report --db "$db" --format md > "$OUT/report.md" 2>> "$sum"
"$gb" report --db "$db" --format html > "$OUT/report.html" 2>> "$sum"
"$gb" report --db "$db" --format json > "$OUT/report.json" 2>> "$sum"
exit 0
