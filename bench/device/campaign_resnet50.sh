#!/bin/sh
# The GPU campaign of issues 5 and 6: examples/device-resnet50.yaml (torch
# fp32, torch bf16+channels_last, ort/cuda, ort-python) with an idle
# baseline and cooldown until idle, then its report in every format.
set -u
cd "$(dirname "$0")/../.."
G=$PWD/.device-cache/gb
OUT=${OUT:-/tmp/gb-out}
mkdir -p /tmp/ort "$OUT"
[ -f /tmp/ort/lib/libonnxruntime.so ] || tar xJf .device-cache/ort-gpu-sm90.tar.xz -C /tmp/ort 2>/dev/null || python3 -c "
import lzma, tarfile
tarfile.open(fileobj=lzma.open('.device-cache/ort-gpu-sm90.tar.xz')).extractall('/tmp/ort')"
export LD_LIBRARY_PATH=$G/lib:/tmp/ort/lib GREENBENCH_ORT_LIB=/tmp/ort/lib/libonnxruntime.so
export GREENBENCH_CACHE_DIR=/tmp/gbcache
gb=$G/bin/greenbench
"$gb" devices
db=$OUT/device-resnet50.db
rm -f "$db"*
"$gb" campaign run examples/device-resnet50.yaml --db "$db" 2>&1 | tail -n 30
for f in md csv json html; do "$gb" report --db "$db" --format $f -o "$OUT/device-resnet50.$f"; done
cat "$OUT/device-resnet50.md"
