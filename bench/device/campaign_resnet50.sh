#!/bin/sh
# The GPU campaign of issues 5 and 6: examples/device-resnet50.yaml (torch
# fp32, torch bf16+channels_last, ort/cuda, ort-python) with an idle
# baseline and cooldown until idle, then its report in every format.
set -u
cd "$(dirname "$0")/../.."
. bench/device/env.sh
gb=$GREENBENCH
"$gb" devices
db=$OUT/device-resnet50.db
rm -f "$db"*
"$gb" campaign run examples/device-resnet50.yaml --db "$db" 2>&1 | tail -n 30
for f in md csv json html; do "$gb" report --db "$db" --format $f -o "$OUT/device-resnet50.$f"; done
cat "$OUT/device-resnet50.md"
