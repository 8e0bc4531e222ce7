#!/bin/sh
# On a real H100: the meter's checks (issue 2), the worker protocol's
# overhead on a quiet host (issue 6), and the study's three models under
# ort/cuda and torch as a campaign with its report (issues 5 and 6).
set -u
cd "$(dirname "$0")/../.."
. bench/device/env.sh
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader
"$GREENBENCH" devices | head -12
echo "== meter"
OUT=$OUT bench/device/nvml_selftest.sh 3 | tail -n 22
python3 bench/device/verify_meter.py 12 "$OUT"
"$G/bin/bench_sampler" "$GREENBENCH" 7 2 | tail -n 1
echo "== worker protocol overhead"
GREENBENCH_WORKERS_DIR=$G/workers "$G/bin/bench_worker_overhead" 2>&1 | tail -n 6
echo "== campaign"
db=$OUT/device-study.db
"$GREENBENCH" campaign run examples/device-study.yaml --db "$db" -q 2>&1 | tail -n 3
for f in md csv json html; do "$GREENBENCH" report --db "$db" --format $f -o "$OUT/device-study.$f"; done
sed -n '1,/^## Pairwise/p' "$OUT/device-study.md"
grep -A3 "^## Statistics" "$OUT/device-study.md"
