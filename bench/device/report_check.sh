#!/usr/bin/env bash
# Issue 14 on the GPU machine: a small real campaign (idle baseline, so the
# net column has data; series, so the HTML can plot any run) and its report
# in every format, for docs/results/. About 3 minutes.
#
#   bash bench/device/report_check.sh       (from the repository root there,
#                                           with .device-cache carried)
#
# Needs .device-cache/gb (scripts/device-bundle.sh) and
# .device-cache/ort-gpu-sm90.tar.xz. Keeps in $OUT the database, the
# campaign's stderr and report.{txt,md,csv,json,tex,html}.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader
"$gb" --version 2>&1 | head -3
cat > /tmp/report.yaml <<'YAML'
name: report-h200
seed: 14
reps: 3
warmup: 5
min_duration: 3s
cooldown: 2s
idle_baseline: {duration: 5s}
models: [resnet50]
runtimes: [ort/cuda, torch/cuda, ort/cpu]
batches: [1, 64]
YAML
db=$OUT/report.db
rm -f "$db"*
"$gb" campaign run /tmp/report.yaml --db "$db" 2> "$OUT/campaign.err"
echo "campaign exit $?"
tail -n 3 "$OUT/campaign.err"
for f in table md csv json latex html; do
	"$gb" report --db "$db" --format $f -o "$OUT/report.$f" || echo "report --format $f failed"
done
"$gb" report --db "$db" --format html --run 3 -o "$OUT/report-run3.html"
cat "$OUT/report.table"
